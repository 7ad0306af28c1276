"""The scenario language: specifications, parsing and compilation to a :class:`Shock`.

A scenario file is read with :func:`read_scenario` (or its text with
:func:`parse_scenario`) into an immutable :class:`Scenario`; :func:`compile_scenario`
turns it into the :class:`~truce.model.baseline.Shock` it makes on a given baseline, and
:func:`compile_scenario_full` into a :class:`CompiledScenario` that also maps the shock's
constraints back to their measures.  Built-in region and sector groups live in
:mod:`truce.policy.groups`.
"""

from truce._lazy import lazy_exports

#: Public name -> the module that defines it (each loaded on first use).
_PUBLIC = {
    "WILDCARD": "truce.policy._checks",
    "Selection": "truce.policy._checks",
    "CompiledScenario": "truce.policy.compile",
    "Groups": "truce.policy.compile",
    "change_dates": "truce.policy.compile",
    "compile_scenario": "truce.policy.compile",
    "compile_scenario_full": "truce.policy.compile",
    "in_force": "truce.policy.compile",
    "register_compiler": "truce.policy.compile",
    "parse_scenario": "truce.policy.parse",
    "read_scenario": "truce.policy.parse",
    "MEASURE_KINDS": "truce.policy.spec",
    "Capacity": "truce.policy.spec",
    "ExportCap": "truce.policy.spec",
    "ExportTax": "truce.policy.spec",
    "ImportFloor": "truce.policy.spec",
    "Measure": "truce.policy.spec",
    "Options": "truce.policy.spec",
    "PortFee": "truce.policy.spec",
    "Scenario": "truce.policy.spec",
    "SourceLines": "truce.policy.spec",
    "Tariff": "truce.policy.spec",
    "TradeCost": "truce.policy.spec",
    "register_measure": "truce.policy.spec",
}

__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)

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
