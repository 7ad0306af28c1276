"""Compile a :class:`Scenario` into a :class:`~truce.model.baseline.Shock`.

This is the only place where region and sector codes become array indices.  The rules
(docs/scenarios.md):

* A measure touches the cells ``[sector, importer, exporter]`` selected by its ``by``,
  ``on`` and ``sectors``; ``by`` is the importer for the kinds whose ``by_role`` is
  ``"importer"`` (``tariff``, ``trade_cost``, ``import_floor``, ``port_fee``) and the
  exporter otherwise (``export_tax``, ``export_cap``).  ``"*"`` on one side means every
  region not selected on the other side (so ``by: EU27, on: "*"`` leaves out trade
  among the members); ``"*"`` on both sides means every pair of distinct regions.
  Domestic cells (importer == exporter) are never touched, whatever the selections.
* Codes: a region code is looked up among the world's regions first, then in the
  caller's optional ``groups`` table (each member must be a region of the world), then
  among the built-in groups of :mod:`truce.policy.groups` (``EU27``, ``ASEAN``: the
  members that are regions of the world, at least one).  ``sectors`` may name the
  built-in sector groups ``goods`` and ``services`` (defined there).
* Products: sub-sectors are coded ``SECTOR.PRODUCT`` (``A01.soybeans`` is the soybean
  part of ``A01``; after a split, ``A01`` itself holds the rest of the sector).  A
  measure without ``product`` covers the sectors it names and all their sub-sectors,
  which together are the original sector.  A measure with ``product: P`` covers, for
  each sector ``S`` it selects, the sub-sector ``S.P`` instead of ``S``: a sector named
  by its code must have it (otherwise a :class:`ScenarioError` on key ``product``),
  sectors reached through ``"*"`` or a group without it are skipped (at least one must
  have it).  The code that splits a world into products must name the sub-sectors so.
* Tariffs: an ``add`` measure adds its rate to the world's rate; a ``set`` measure
  replaces it.  Two ``set`` measures in force on one cell are an error.  When a ``set``
  and ``add`` measures meet on a cell the result is the set rate plus the added rates,
  whatever their order in the file (``set`` replaces the *world's* rate, not the other
  measures').  Rates are >= 0, so the result is never below zero when the world's
  rates are not.
* Trade costs: the factors of every ``trade_cost`` and ``port_fee`` measure on a cell
  multiply; a port fee's factor is :attr:`~truce.policy.spec.PortFee.cost_factor`.
* Export wedges compound: 1 + e = (1 + e_tax)(1 + e_cap), and two export taxes on one
  cell compound too, (1 + t1)(1 + t2) (as two successive levies at the border would).
* Export caps bound each covered cell's quantity at ``share`` × its baseline quantity,
  one capped cell per cell.  Where several caps cover one cell the tightest share binds
  (a cap that is not the tightest is slack there, with equivalent 0); a share of 0 bans
  the flow (``Shock.blocked_sni``), which beats every cap.  Cells without a baseline
  flow are left out: their flow stays zero anyway.
* Import floors: the covered cells of one measure form one floor on their summed
  quantity (baseline prices); overlapping floors are separate constraints, except that
  two floors over the same cells with the same value are one.
* Errors beyond unknown codes: a constraint, tax or fee that covers no foreign cell with
  a baseline flow (nothing to constrain: key ``on``), a floor above the importer(s)'
  baseline absorption of the covered sectors (key ``value``), and a floor whose every
  covered flow is banned (key ``on``).
* A measure is in force on ``date`` iff ``start <= date < end``; with no date, every
  measure is in force (so two ``set`` measures on one cell with disjoint date ranges
  must be compiled for a date).
* Deficits are the baseline's own; ``options.deficits == "zero"`` is for the caller.

:func:`compile_scenario_full` returns, with the shock, which measure each capped cell
and each floor belongs to (:class:`CompiledScenario`), so that results can be reported
per measure; :func:`compile_scenario` returns the shock alone.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray

from truce.errors import ScenarioError
from truce.model.baseline import Baseline, Shock
from truce.policy._constraints import CompiledScenario, replace_shock, with_constraints
from truce.policy._select import Groups, Selector
from truce.policy.spec import (
    Capacity,
    ExportCap,
    ExportTax,
    ImportFloor,
    Measure,
    PortFee,
    Scenario,
    Tariff,
    TradeCost,
)

__all__ = [
    "Cells",
    "CompiledScenario",
    "Groups",
    "Wedges",
    "change_dates",
    "compile_scenario",
    "compile_scenario_full",
    "in_force",
    "register_compiler",
]


def in_force(scenario: Scenario, date: datetime.date | None) -> tuple[Measure, ...]:
    """The measures of ``scenario`` in force on ``date`` (all of them when ``None``)."""
    if isinstance(date, datetime.datetime):
        date = date.date()
    return tuple(m for m in scenario.measures if m.in_force(date))


def change_dates(scenario: Scenario) -> list[datetime.date]:
    """Every distinct ``start`` and ``end`` date of the scenario's measures, sorted."""
    dates = {d for m in scenario.measures for d in (m.start, m.end) if d is not None}
    return sorted(dates)


@dataclass
class Wedges:
    """The arrays being built, all ``[sector, importer, exporter]`` (mutable)."""

    tau_base: NDArray[np.float64]
    """The world's own tariff rates."""
    set_rate: NDArray[np.float64]
    """Rates of ``set`` tariffs (meaningful where ``set_by >= 0``)."""
    set_by: NDArray[np.int64]
    """Index of the ``set`` tariff measure on each cell, -1 where none."""
    add_rate: NDArray[np.float64]
    """Sum of the rates of ``add`` tariffs."""
    cost: NDArray[np.float64]
    """Product of the ``trade_cost`` and ``port_fee`` factors."""
    export: NDArray[np.float64] = field(default_factory=lambda: np.ones(0))
    """Product of 1 + the export-tax rates."""
    caps: list[tuple[int, float, NDArray[np.bool_]]] = field(default_factory=list)
    """Each export cap: (measure index, share, its cells with a baseline flow)."""
    floors: list[tuple[int, float, NDArray[np.bool_]]] = field(default_factory=list)
    """Each import floor: (measure index, value, its cells with a baseline flow)."""
    capacities: list[tuple[int, float, NDArray[np.bool_]]] = field(default_factory=list)
    """Each capacity limit: (measure index, share, ``[sector, producer]`` pairs with
    baseline output)."""


@dataclass(frozen=True)
class Cells:
    """The cells one measure covers, with what is needed to explain a clash."""

    mask: NDArray[np.bool_]
    """``[sector, importer, exporter]``: True where the measure applies."""
    scenario: Scenario
    baseline: Baseline

    def name(self, cell: tuple[int, ...]) -> str:
        """Describe one cell by its codes."""
        s, n, i = cell
        regions, sectors = self.baseline.regions, self.baseline.sectors
        return f"sector {sectors[s]}, importer {regions[n]}, exporter {regions[i]}"

    @property
    def traded(self) -> NDArray[np.bool_]:
        """The covered cells with a non-zero baseline flow."""
        return self.mask & (np.asarray(self.baseline.flow_sni) != 0)

    def require_trade(self, measure: Measure) -> NDArray[np.bool_]:
        """:attr:`traded`, or a :class:`ScenarioError` (key ``on``) when it is empty."""
        traded = self.traded
        if not traded.any():
            raise ScenarioError(
                f"the {measure.kind} measure #{measure.index} covers no foreign cell with "
                "a baseline flow: nothing to constrain (its cells are all domestic, or "
                "carry no trade)",
                path=measure.file_in(self.scenario),
                line=measure.line_of("on"),
                key="on",
            )
        return traded


Compiler = Callable[[Measure, Cells, Wedges], None]
"""Applies one measure to the wedges on its cells."""

_COMPILERS: dict[type[Measure], Compiler] = {}


def register_compiler(kind: type[Measure]) -> Callable[[Compiler], Compiler]:
    """Decorator: the function that applies measures of class ``kind``."""

    def register(compiler: Compiler) -> Compiler:
        _COMPILERS[kind] = compiler
        return compiler

    return register


@register_compiler(Tariff)
def _tariff(measure: Measure, cells: Cells, wedges: Wedges) -> None:
    assert isinstance(measure, Tariff)
    if measure.mode == "add":
        wedges.add_rate[cells.mask] += measure.rate
        return
    clash = cells.mask & (wedges.set_by >= 0)
    if clash.any():
        cell = tuple(int(k) for k in np.argwhere(clash)[0])
        other = cells.scenario.measures[int(wedges.set_by[cell])]
        where = other.file_in(cells.scenario)
        at = "" if other.line is None else f" (line {other.line}"
        if at and other.path is not None and where is not None:
            at += f" of {where}"
        at += ")" if at else ""
        raise ScenarioError(
            f"measure #{measure.index} sets the tariff on {cells.name(cell)}, which "
            f"measure #{other.index}{at} also sets while both are in force; two set "
            "tariffs on one cell are ambiguous (use add, or date ranges that do not "
            "overlap and a date)",
            path=measure.file_in(cells.scenario),
            line=measure.line_of("mode"),
            key="mode",
        )
    wedges.set_rate[cells.mask] = measure.rate
    wedges.set_by[cells.mask] = measure.index


@register_compiler(TradeCost)
def _trade_cost(measure: Measure, cells: Cells, wedges: Wedges) -> None:
    assert isinstance(measure, TradeCost)
    wedges.cost[cells.mask] *= measure.factor


@register_compiler(PortFee)
def _port_fee(measure: Measure, cells: Cells, wedges: Wedges) -> None:
    assert isinstance(measure, PortFee)
    cells.require_trade(measure)
    wedges.cost[cells.mask] *= measure.cost_factor


@register_compiler(ExportTax)
def _export_tax(measure: Measure, cells: Cells, wedges: Wedges) -> None:
    assert isinstance(measure, ExportTax)
    cells.require_trade(measure)
    wedges.export[cells.mask] *= 1.0 + measure.rate


@register_compiler(ExportCap)
def _export_cap(measure: Measure, cells: Cells, wedges: Wedges) -> None:
    assert isinstance(measure, ExportCap)
    wedges.caps.append((measure.index, measure.share, cells.require_trade(measure)))


@register_compiler(ImportFloor)
def _import_floor(measure: Measure, cells: Cells, wedges: Wedges) -> None:
    assert isinstance(measure, ImportFloor)
    traded = cells.require_trade(measure)
    sectors = cells.mask.any(axis=(1, 2))
    importers = cells.mask.any(axis=(0, 2))
    X_sn = np.asarray(cells.baseline.X_sn, dtype=np.float64)
    absorption = float(X_sn[np.ix_(sectors, importers)].sum())
    if measure.value > absorption:
        raise ScenarioError(
            f"the floor {measure.value:.10g} is above the importer's baseline absorption "
            f"of the covered sectors ({absorption:.10g}, tariffs and domestic purchases "
            "included): it cannot be met",
            path=measure.file_in(cells.scenario),
            line=measure.line_of("value"),
            key="value",
        )
    wedges.floors.append((measure.index, measure.value, traded))


@register_compiler(Capacity)
def _capacity(measure: Measure, cells: Cells, wedges: Wedges) -> None:
    assert isinstance(measure, Capacity)
    output_si = np.asarray(cells.baseline.flow_sni, dtype=np.float64).sum(axis=1)
    producers = cells.mask.any(axis=1) & (output_si > 0)
    if not producers.any():
        raise ScenarioError(
            f"the capacity measure #{measure.index} covers no producer with baseline "
            "output of the sectors it names: nothing to limit",
            path=measure.file_in(cells.scenario),
            line=measure.line_of("by"),
            key="by",
        )
    wedges.capacities.append((measure.index, measure.share, producers))


def compile_scenario(
    scenario: Scenario,
    baseline: Baseline,
    *,
    date: datetime.date | None = None,
    groups: Groups | None = None,
) -> Shock:
    """The shock that the measures of ``scenario`` in force on ``date`` make.

    Raises :class:`ScenarioError` (with the scenario's path, the line of the offending
    value and its key) for a code the baseline does not know, two ``set`` tariffs on
    one cell, and the other errors listed in this module's docstring.  Deficits are the
    baseline's own.
    """
    return compile_scenario_full(scenario, baseline, date=date, groups=groups).shock


def compile_scenario_full(
    scenario: Scenario,
    baseline: Baseline,
    *,
    date: datetime.date | None = None,
    groups: Groups | None = None,
) -> CompiledScenario:
    """Like :func:`compile_scenario`, with the measures' constraints mapped to the shock's."""
    tau = np.array(baseline.tau_sni, dtype=np.float64)
    wedges = Wedges(
        tau_base=tau,
        set_rate=np.zeros_like(tau),
        set_by=np.full(tau.shape, -1, dtype=np.int64),
        add_rate=np.zeros_like(tau),
        cost=np.ones_like(tau),
        export=np.ones_like(tau),
    )
    selector = Selector(scenario, baseline, groups or {})
    counts: dict[int, int] = {}
    for measure in in_force(scenario, date):
        compiler = _COMPILERS.get(type(measure))
        if compiler is None:
            raise ScenarioError(
                f"measures of kind {measure.kind} cannot be compiled into a shock yet",
                path=measure.file_in(scenario),
                line=measure.line_of("kind"),
                key="kind",
            )
        cells = Cells(selector.mask(measure), scenario, baseline)
        compiler(measure, cells, wedges)
        counts[measure.index] = int(cells.traded.sum())
    is_set = wedges.set_by >= 0
    tau_sni = np.where(is_set, wedges.set_rate, wedges.tau_base) + wedges.add_rate
    shock = Shock(
        tau_sni=jnp.asarray(tau_sni, dtype=jnp.float64),
        cost_sni=jnp.asarray(wedges.cost, dtype=jnp.float64),
        deficit_n=baseline.deficit_n,
    )
    if (wedges.export != 1.0).any():
        shock = replace_shock(shock, export_tax_sni=jnp.asarray(wedges.export - 1.0))
    return with_constraints(
        scenario, baseline, shock, wedges.caps, wedges.floors, counts, wedges.capacities
    )
