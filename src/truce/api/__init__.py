"""Use-cases: what the command line, the web app and a script ask of truce.

The package's modules, from the bottom up (each imports only those before it):

- :mod:`~truce.api.sources`: the source keys the library cites, with titles and addresses;
- :mod:`~truce.api.store`: the run store (DuckDB) of every kept result;
- :mod:`~truce.api.worlds`: building, importing and summarising world folders;
- :mod:`~truce.api.scenarios`: built-in scenarios, scenario files and texts, products;
- :mod:`~truce.api.models`: which model a run uses and its cached calibration;
- :mod:`~truce.api.draws`: results under rows of trade elasticities: drawn ones (percentile
  bands) or every published source's (the spread across sources);
- :mod:`~truce.api.running`: :func:`run`, :func:`check` and :func:`timeline`;
- :mod:`~truce.api.wars`: tariff wars and trade talks;
- :mod:`~truce.api.frameworks`: framework documents, item by item;
- :mod:`~truce.api.sweep_runner`: grids and lists of scenarios on Dask workers.

The names below are the public Python API (docs/python-api.md), each loaded on first use
(so that the command line starts without importing JAX).
"""

from __future__ import annotations

from truce._lazy import lazy_exports

#: Public name -> the module that defines it.
_PUBLIC = {
    "BINDING_RATE": "truce.api.running",
    "DEFAULT_MAX_STEPS": "truce.api.defaults",
    "MODEL_NAME": "truce.api.defaults",
    "MODELS": "truce.api.defaults",
    "RunConfig": "truce.api.running",
    "check": "truce.api.running",
    "model_for": "truce.api.running",
    "run": "truce.api.running",
    "run_config": "truce.api.running",
    "timeline": "truce.api.running",
    "builtin_scenarios": "truce.api.scenarios",
    "load_scenario": "truce.api.scenarios",
    "scenario_from_text": "truce.api.scenarios",
    "scenario_sources": "truce.api.scenarios",
    "scenario_world": "truce.api.scenarios",
    "with_products": "truce.api.scenarios",
    "cited_keys": "truce.api.sources",
    "resolve_sources": "truce.api.sources",
    "DEFAULT_ELASTICITIES": "truce.api.defaults",
    "ELASTICITY_CHOICES": "truce.api.defaults",
    "build_world": "truce.api.worlds",
    "import_world": "truce.api.worlds",
    "world_summary": "truce.api.worlds",
    "WorldSummary": "truce.data.summary",
    "World": "truce.data.world",
    "builtin_worlds": "truce.data.world",
    "load_world": "truce.data.world",
    "Measure": "truce.policy.spec",
    "Scenario": "truce.policy.spec",
    "Result": "truce.report.result",
    "Phase": "truce.timeline.calendar",
}

__all__ = sorted(_PUBLIC)


#: The package's modules, importable as attributes (``api.wars``).
_MODULES = (
    "defaults", "draws", "feasibility", "frameworks", "models", "running", "scenarios",
    "sources", "store", "sweep_runner", "wars", "worlds",
)  # fmt: skip

__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC, _MODULES)
