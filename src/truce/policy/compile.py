"""Compile a :class:`Scenario` into a :class:`~truce.model.baseline.Shock`.

This is the only place where region and sector codes become array indices.  The rules
(CONTRACTS §2):

* A measure touches the cells ``[sector, importer, exporter]`` selected by its ``by``,
  ``on`` and ``sectors``; ``by`` is the importer for the kinds whose ``by_role`` is
  ``"importer"`` (``tariff``, ``trade_cost``) and the exporter otherwise.  ``"*"`` means
  every region (every sector).  Domestic cells (importer == exporter) are never touched,
  whether ``"*"`` or an explicit list would reach them.
* Tariffs: an ``add`` measure adds its rate to the world's rate; a ``set`` measure
  replaces it.  Two ``set`` measures in force on one cell are an error.  When a ``set``
  and ``add`` measures meet on a cell the result is the set rate plus the added rates,
  whatever their order in the file (``set`` replaces the *world's* rate, not the other
  measures').  Rates are >= 0, so the result is never below zero when the world's
  rates are not.
* Trade costs: the factors of every ``trade_cost`` measure on a cell multiply.
* A measure is in force on ``date`` iff ``start <= date < end``; with no date, every
  measure is in force (so two ``set`` measures on one cell with disjoint date ranges
  must be compiled for a date).
* Deficits are the baseline's own; ``options.deficits == "zero"`` is for the caller.

A code is looked up among the baseline's regions first, then in the optional ``groups``
table (group code to member region codes, e.g. ``{"EU27": ("AUT", ...)}``), which is the
hook for region groups.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NoReturn

import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray

from truce.errors import ScenarioError
from truce.model.baseline import Baseline, Shock
from truce.policy._checks import WILDCARD, Selection
from truce.policy.spec import Measure, Scenario, Tariff, TradeCost

Groups = Mapping[str, Iterable[str]]
"""Region groups: a group code mapped to the region codes it stands for."""

_MAX_LISTED = 30


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
    """Product of the ``trade_cost`` factors."""


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
        at = f" (line {other.line})" if other.line is not None else ""
        raise ScenarioError(
            f"measure #{measure.index} sets the tariff on {cells.name(cell)}, which "
            f"measure #{other.index}{at} also sets while both are in force; two set "
            "tariffs on one cell are ambiguous (use add, or date ranges that do not "
            "overlap and a date)",
            path=cells.scenario.path,
            line=measure.line_of("mode"),
            key="mode",
        )
    wedges.set_rate[cells.mask] = measure.rate
    wedges.set_by[cells.mask] = measure.index


@register_compiler(TradeCost)
def _trade_cost(measure: Measure, cells: Cells, wedges: Wedges) -> None:
    assert isinstance(measure, TradeCost)
    wedges.cost[cells.mask] *= measure.factor


def compile_scenario(
    scenario: Scenario,
    baseline: Baseline,
    *,
    date: datetime.date | None = None,
    groups: Groups | None = None,
) -> Shock:
    """The shock that the measures of ``scenario`` in force on ``date`` make.

    Raises :class:`ScenarioError` (with the scenario's path, the line of the offending
    value and its key) for a code the baseline does not know, and for two ``set``
    tariffs on one cell.  Deficits are the baseline's own.
    """
    tau = np.array(baseline.tau_sni, dtype=np.float64)
    wedges = Wedges(
        tau_base=tau,
        set_rate=np.zeros_like(tau),
        set_by=np.full(tau.shape, -1, dtype=np.int64),
        add_rate=np.zeros_like(tau),
        cost=np.ones_like(tau),
    )
    resolver = _Resolver(scenario, baseline, groups or {})
    for measure in in_force(scenario, date):
        compiler = _COMPILERS.get(type(measure))
        if compiler is None:
            raise ScenarioError(
                f"measures of kind {measure.kind} cannot be compiled into a shock yet",
                path=scenario.path,
                line=measure.line_of("kind"),
                key="kind",
            )
        compiler(measure, Cells(resolver.mask(measure), scenario, baseline), wedges)
    is_set = wedges.set_by >= 0
    tau_sni = np.where(is_set, wedges.set_rate, wedges.tau_base) + wedges.add_rate
    return Shock(
        tau_sni=jnp.asarray(tau_sni, dtype=jnp.float64),
        cost_sni=jnp.asarray(wedges.cost, dtype=jnp.float64),
        deficit_n=baseline.deficit_n,
    )


class _Resolver:
    """Turns a measure's code selections into a boolean cell mask."""

    def __init__(self, scenario: Scenario, baseline: Baseline, groups: Groups) -> None:
        self.scenario = scenario
        self.regions = baseline.regions
        self.sectors = baseline.sectors
        self.region_at = {code: k for k, code in enumerate(baseline.regions)}
        self.sector_at = {code: k for k, code in enumerate(baseline.sectors)}
        self.groups = groups

    def mask(self, measure: Measure) -> NDArray[np.bool_]:
        """``[sector, importer, exporter]`` cells of ``measure``, domestic cells off."""
        by = self._regions(measure, "by", measure.by)
        on = self._regions(measure, "on", measure.on)
        sectors = self._sectors(measure)
        importer, exporter = (by, on) if measure.by_role == "importer" else (on, by)
        foreign = ~np.eye(len(self.regions), dtype=bool)
        return (
            sectors[:, None, None]
            & importer[None, :, None]
            & exporter[None, None, :]
            & foreign[None, :, :]
        )

    def _regions(self, measure: Measure, key: str, selection: Selection) -> NDArray[np.bool_]:
        chosen = np.zeros(len(self.regions), dtype=bool)
        if selection == WILDCARD:
            chosen[:] = True
            return chosen
        for item, code in enumerate(selection):
            if code in self.region_at:
                chosen[self.region_at[code]] = True
            elif code in self.groups:
                for member in self.groups[code]:
                    if member not in self.region_at:
                        self._unknown(
                            measure,
                            key,
                            item,
                            f"group {code} names region {member!r}, which the world "
                            f"does not have; its regions are {_listed(self.regions)}",
                        )
                    chosen[self.region_at[member]] = True
            else:
                self._unknown(
                    measure,
                    key,
                    item,
                    f"unknown region {code!r}; the world's regions are {_listed(self.regions)}",
                )
        return chosen

    def _sectors(self, measure: Measure) -> NDArray[np.bool_]:
        chosen = np.zeros(len(self.sectors), dtype=bool)
        if measure.sectors == WILDCARD:
            chosen[:] = True
            return chosen
        for item, code in enumerate(measure.sectors):
            if code not in self.sector_at:
                self._unknown(
                    measure,
                    "sectors",
                    item,
                    f"unknown sector {code!r}; the world's sectors are {_listed(self.sectors)}",
                )
            chosen[self.sector_at[code]] = True
        return chosen

    def _unknown(self, measure: Measure, key: str, item: int, message: str) -> NoReturn:
        raise ScenarioError(
            message,
            path=self.scenario.path,
            line=measure.line_of(key, item),
            key=key,
        )


def _listed(codes: tuple[str, ...]) -> str:
    shown = ", ".join(codes[:_MAX_LISTED])
    return shown + (", ..." if len(codes) > _MAX_LISTED else "")
