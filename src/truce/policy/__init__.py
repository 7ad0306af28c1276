"""The scenario language: specifications, parsing and compilation to a :class:`Shock`.

A scenario file is read with :func:`read_scenario` (or its text with
:func:`parse_scenario`) into an immutable :class:`Scenario`; :func:`compile_scenario`
turns it into the :class:`~truce.model.baseline.Shock` it makes on a given baseline, and
:func:`compile_scenario_full` into a :class:`CompiledScenario` that also maps the shock's
constraints back to their measures.  Built-in region and sector groups live in
:mod:`truce.policy.groups`.
"""

from truce.policy._checks import WILDCARD as WILDCARD
from truce.policy._checks import Selection as Selection
from truce.policy.compile import CompiledScenario as CompiledScenario
from truce.policy.compile import Groups as Groups
from truce.policy.compile import change_dates as change_dates
from truce.policy.compile import compile_scenario as compile_scenario
from truce.policy.compile import compile_scenario_full as compile_scenario_full
from truce.policy.compile import in_force as in_force
from truce.policy.compile import register_compiler as register_compiler
from truce.policy.parse import parse_scenario as parse_scenario
from truce.policy.parse import read_scenario as read_scenario
from truce.policy.spec import MEASURE_KINDS as MEASURE_KINDS
from truce.policy.spec import Capacity as Capacity
from truce.policy.spec import ExportCap as ExportCap
from truce.policy.spec import ExportTax as ExportTax
from truce.policy.spec import ImportFloor as ImportFloor
from truce.policy.spec import Measure as Measure
from truce.policy.spec import Options as Options
from truce.policy.spec import PortFee as PortFee
from truce.policy.spec import Scenario as Scenario
from truce.policy.spec import SourceLines as SourceLines
from truce.policy.spec import Tariff as Tariff
from truce.policy.spec import TradeCost as TradeCost
from truce.policy.spec import register_measure as register_measure

__all__ = [
    "MEASURE_KINDS",
    "WILDCARD",
    "Capacity",
    "CompiledScenario",
    "ExportCap",
    "ExportTax",
    "Groups",
    "ImportFloor",
    "Measure",
    "Options",
    "PortFee",
    "Scenario",
    "Selection",
    "SourceLines",
    "Tariff",
    "TradeCost",
    "change_dates",
    "compile_scenario",
    "compile_scenario_full",
    "in_force",
    "parse_scenario",
    "read_scenario",
    "register_compiler",
    "register_measure",
]
