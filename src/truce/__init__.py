"""truce: numbers on trade deals and trade wars.

A calibrated multi-country, multi-sector general-equilibrium trade model (Caliendo–Parro
2015) driven by dated scenario files::

    import truce
    world = truce.load_world("cp2015")
    scenario = truce.load_scenario("cp2015-nafta")
    result = truce.run(world, scenario)
    result.regions

The names below are loaded on first use, so that importing ``truce`` (or starting the
command line) does not import JAX; the model switches JAX to 64-bit floats when it is
imported (:mod:`truce.model`).
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

from truce._lazy import lazy_exports

# 64-bit floats in JAX, whoever imports it first; truce.model also sets it on import.
os.environ.setdefault("JAX_ENABLE_X64", "True")

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_PUBLIC = {
    "InputError": "truce.errors",
    "ModelError": "truce.errors",
    "NonConvergenceError": "truce.errors",
    "ScenarioError": "truce.errors",
    "TruceError": "truce.errors",
    "WorldError": "truce.errors",
    "Result": "truce.report.result",
    "Scenario": "truce.policy.spec",
    "TimelineResult": "truce.report.timeline",
    "World": "truce.data.world",
    "builtin_scenarios": "truce.api",
    "builtin_worlds": "truce.api",
    "load_scenario": "truce.api",
    "load_world": "truce.api",
    "run": "truce.api",
}

__all__ = sorted([*_PUBLIC, "timeline"])


__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)


class _Truce(types.ModuleType):
    """The package's module type: ``truce.timeline`` is the function
    :func:`truce.api.timeline`, whether or not the package of that name (which the
    import system binds to the same attribute when it loads it) has been imported."""

    @property
    def timeline(self) -> Any:
        from truce.api import timeline

        return timeline

    @timeline.setter
    def timeline(self, _package: Any) -> None:
        pass  # the package stays reachable as sys.modules["truce.timeline"]


sys.modules[__name__].__class__ = _Truce
