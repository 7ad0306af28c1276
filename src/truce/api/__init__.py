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

The names below are the public Python API (docs/python-api.md).
"""

from truce.api.running import BINDING_RATE as BINDING_RATE
from truce.api.running import DEFAULT_MAX_STEPS as DEFAULT_MAX_STEPS
from truce.api.running import MODEL_NAME as MODEL_NAME
from truce.api.running import MODELS as MODELS
from truce.api.running import RunConfig as RunConfig
from truce.api.running import check as check
from truce.api.running import model_for as model_for
from truce.api.running import run as run
from truce.api.running import run_config as run_config
from truce.api.running import timeline as timeline
from truce.api.scenarios import builtin_scenarios as builtin_scenarios
from truce.api.scenarios import load_scenario as load_scenario
from truce.api.scenarios import scenario_from_text as scenario_from_text
from truce.api.scenarios import scenario_sources as scenario_sources
from truce.api.scenarios import scenario_world as scenario_world
from truce.api.scenarios import with_products as with_products
from truce.api.sources import cited_keys as cited_keys
from truce.api.sources import resolve_sources as resolve_sources
from truce.api.worlds import DEFAULT_ELASTICITIES as DEFAULT_ELASTICITIES
from truce.api.worlds import ELASTICITY_CHOICES as ELASTICITY_CHOICES
from truce.api.worlds import build_world as build_world
from truce.api.worlds import import_world as import_world
from truce.api.worlds import world_summary as world_summary
from truce.data.summary import WorldSummary as WorldSummary
from truce.data.world import World as World
from truce.data.world import builtin_worlds as builtin_worlds
from truce.data.world import load_world as load_world
from truce.policy.spec import Measure as Measure
from truce.policy.spec import Scenario as Scenario
from truce.report.result import Result as Result
from truce.timeline.calendar import Phase as Phase

__all__ = [
    "BINDING_RATE",
    "DEFAULT_ELASTICITIES",
    "DEFAULT_MAX_STEPS",
    "ELASTICITY_CHOICES",
    "MODELS",
    "MODEL_NAME",
    "Measure",
    "Phase",
    "Result",
    "RunConfig",
    "Scenario",
    "World",
    "WorldSummary",
    "build_world",
    "builtin_scenarios",
    "builtin_worlds",
    "check",
    "cited_keys",
    "import_world",
    "load_scenario",
    "load_world",
    "model_for",
    "resolve_sources",
    "run",
    "run_config",
    "scenario_from_text",
    "scenario_sources",
    "scenario_world",
    "timeline",
    "with_products",
    "world_summary",
]
