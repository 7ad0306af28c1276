"""truce: numbers on trade deals and trade wars.

A calibrated multi-country, multi-sector general-equilibrium trade model (Caliendo–Parro
2015) driven by dated scenario files::

    import truce
    world = truce.load_world("cp2015")
    scenario = truce.load_scenario("cp2015-nafta")
    result = truce.run(world, scenario)
    result.regions
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

from truce.api import builtin_scenarios as builtin_scenarios  # noqa: E402
from truce.api import builtin_worlds as builtin_worlds  # noqa: E402
from truce.api import load_scenario as load_scenario  # noqa: E402
from truce.api import load_world as load_world  # noqa: E402
from truce.api import run as run  # noqa: E402

# The function shadows the package truce.timeline as an attribute of truce; every module
# of that package is imported (by truce.api) before this line, so none rebinds it later.
from truce.api import timeline as timeline  # noqa: E402
from truce.data.world import World as World  # noqa: E402
from truce.errors import InputError as InputError  # noqa: E402
from truce.errors import ModelError as ModelError  # noqa: E402
from truce.errors import NonConvergenceError as NonConvergenceError  # noqa: E402
from truce.errors import ScenarioError as ScenarioError  # noqa: E402
from truce.errors import TruceError as TruceError  # noqa: E402
from truce.errors import WorldError as WorldError  # noqa: E402
from truce.policy.spec import Scenario as Scenario  # noqa: E402
from truce.report.result import Result as Result  # noqa: E402
from truce.report.timeline import TimelineResult as TimelineResult  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "ModelError",
    "NonConvergenceError",
    "Result",
    "Scenario",
    "ScenarioError",
    "TimelineResult",
    "TruceError",
    "World",
    "WorldError",
    "builtin_scenarios",
    "builtin_worlds",
    "load_scenario",
    "load_world",
    "run",
    "timeline",
]
