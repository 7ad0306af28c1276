"""The results of a timeline: one :class:`Result` per phase, and long tables across phases."""

from __future__ import annotations

import dataclasses
import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from truce.model.baseline import Baseline
from truce.report.result import Result, SolverStats, _records, write_json
from truce.timeline.calendar import Phase

#: The region columns of :attr:`TimelineResult.table`, after the phase bounds.
TABLE_COLUMNS: tuple[str, ...] = (
    "welfare_pct",
    "welfare_usd_bn",
    "real_wage_pct",
    "price_index_pct",
    "exports_pct",
    "imports_pct",
    "tariff_revenue",
    "tariff_revenue_change",
)


class PhaseResult(NamedTuple):
    """One phase of a timeline: in force on ``start <= d < end`` (``None``: open)."""

    start: datetime.date | None
    end: datetime.date | None
    result: Result
    name: str | None = None
    """The scenario's name for the phase, if it gives one."""

    @property
    def label(self) -> str:
        """``before D``, ``D1 to D2``, ``from D`` or ``always``."""
        return Phase(self.start, self.end).label

    @property
    def title(self) -> str:
        """The name and span, or the span alone (see :attr:`Phase.title`)."""
        return Phase(self.start, self.end, self.name).title


@dataclass(frozen=True)
class TimelineResult:
    """The equilibria of a scenario's phases, in date order.

    ``phases`` holds one :class:`PhaseResult` per phase, each with the full
    :class:`Result` of the measures in force during it (``result.date`` is the day it was
    solved at).  ``table`` is long: one row per phase and region with the columns
    ``phase_start``, ``phase_end``, ``phase`` (its title), ``region`` and
    :data:`TABLE_COLUMNS`.  ``bilateral``
    has one row per phase and exporter-importer pair (domestic sales excluded) with the
    goods flows summed over sectors: ``baseline`` (the world's own), ``counterfactual``
    and, under ``deficits: zero``, ``base``.  ``solver`` totals every solve, the
    zero-deficit base included.
    """

    scenario: str
    world: str
    model: str
    solver: SolverStats
    phases: list[PhaseResult]
    table: pd.DataFrame
    bilateral: pd.DataFrame
    tariffs: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    """One row per phase, importer and exporter: the trade-weighted average tariffs
    before and after (``Result.tariffs`` of each phase), with the phase bounds."""
    base: dict[str, Any] = dataclasses.field(default_factory=dict)
    """What every phase's changes are measured against (``Result.base``)."""

    def to_dict(self) -> dict[str, Any]:
        """The timeline JSON document as Python objects."""
        return {
            "scenario": self.scenario,
            "world": self.world,
            "model": self.model,
            "base": self.base,
            "solver": _solver(self.solver),
            "phases": [
                {
                    "start": _iso(p.start),
                    "end": _iso(p.end),
                    "label": p.label,
                    "name": p.name,
                    "date": _iso(p.result.date),
                    "solver": _solver(p.result.solver),
                    "base": p.result.base,
                    "regions": _records(p.result.regions),
                    "measures": _records(p.result.measures),
                }
                for p in self.phases
            ],
            "table": _records(_dates_as_text(self.table)),
            "bilateral": _records(_dates_as_text(self.bilateral)),
            "tariffs": _records(_dates_as_text(self.tariffs)),
        }

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write the timeline JSON atomically: the file appears whole or not at all."""
        return write_json(Path(path), self.to_dict(), "the timeline JSON")


def goods_sectors(baseline: Baseline) -> tuple[str, ...]:
    """Sectors that carry a tariff somewhere in ``baseline`` (as ``truce world show``);
    every sector when no cell carries one."""
    taxed = np.asarray(baseline.tau_sni).max(axis=(1, 2)) > 0
    if not taxed.any():
        return tuple(baseline.sectors)
    return tuple(s for s, t in zip(baseline.sectors, taxed, strict=True) if t)


def timeline_table(phases: list[PhaseResult]) -> pd.DataFrame:
    """One row per phase and region: the phase bounds and those of :data:`TABLE_COLUMNS`
    the results have (the money columns need a world in US dollars)."""
    present = [c for c in TABLE_COLUMNS if not phases or c in phases[0].result.regions.columns]
    frames = [_with_bounds(p, p.result.regions.loc[:, ["region", *present]]) for p in phases]
    columns = ["phase_start", "phase_end", "phase", "region", *present]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True).loc[:, columns]


def tariff_path_table(phases: list[PhaseResult]) -> pd.DataFrame:
    """The average tariffs of every phase (``Result.tariffs``), with the phase bounds."""
    frames = [_with_bounds(p, p.result.tariffs) for p in phases if not p.result.tariffs.empty]
    if not frames:
        return pd.DataFrame(columns=["phase_start", "phase_end", "phase", "importer", "exporter"])
    return pd.concat(frames, ignore_index=True)


def bilateral_table(phases: list[PhaseResult], goods: tuple[str, ...]) -> pd.DataFrame:
    """Goods flows per phase and exporter-importer pair, summed over ``goods`` sectors.

    Rows follow the world's region order (exporter-major); domestic sales are left out.
    """
    frames = []
    for p in phases:
        trade = p.result.trade
        regions = list(p.result.regions["region"])
        values = [c for c in ("baseline", "counterfactual", "base") if c in trade.columns]
        kept = trade[trade["sector"].isin(goods) & (trade["exporter"] != trade["importer"])]
        pairs = kept.assign(
            exporter=pd.Categorical(kept["exporter"], categories=regions),
            importer=pd.Categorical(kept["importer"], categories=regions),
        )
        summed = (
            pairs.groupby(["exporter", "importer"], observed=True, sort=True)[values]
            .sum()
            .reset_index()
        )
        summed["exporter"] = summed["exporter"].astype(str)
        summed["importer"] = summed["importer"].astype(str)
        frames.append(_with_bounds(p, summed))
    if not frames:
        return pd.DataFrame(
            columns=["phase_start", "phase_end", "phase", "exporter", "importer", "baseline"]
        )
    return pd.concat(frames, ignore_index=True)


def _with_bounds(phase: PhaseResult, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True)
    bounds = pd.DataFrame(
        {
            "phase_start": pd.Series([phase.start] * len(out), dtype=object),
            "phase_end": pd.Series([phase.end] * len(out), dtype=object),
            "phase": pd.Series([phase.title] * len(out), dtype=object),
        }
    )
    return pd.concat([bounds, out], axis=1)


def _dates_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in ("phase_start", "phase_end"):
        out[column] = pd.Series([_iso(d) for d in out[column]], dtype=object, index=out.index)
    return out


def _iso(day: datetime.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _solver(stats: SolverStats) -> dict[str, Any]:
    return {
        "converged": stats.converged,
        "iterations": stats.iterations,
        "residual": stats.residual,
        "seconds": stats.seconds,
        "jacobians": stats.jacobians,
    }
