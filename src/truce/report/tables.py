"""Solved arrays → long, labelled tables (the one place where arrays become rows)."""

from __future__ import annotations

from datetime import date as Date

import numpy as np
import pandas as pd

from truce.model.interface import Outcomes
from truce.policy.compile import CompiledScenario, in_force
from truce.policy.spec import Scenario

#: Labels of the region-table columns any model may report, in display order.
REGION_LABELS: dict[str, str] = {
    "welfare_pct": "welfare %",
    "real_wage_pct": "real wage %",
    "nominal_wage_pct": "nominal wage %",
    "price_index_pct": "prices %",
    "exports_pct": "exports %",
    "imports_pct": "imports %",
    "employment_pct": "employment %",
    "deficit_pct": "deficit %",
    "exports_gdp_pct": "exports/GDP %",
    "imports_gdp_pct": "imports/GDP %",
    "tot_pct": "ToT %",
    "vot_pct": "VoT %",
}
#: The columns a terminal table shows, when the results have them.
CONSOLE_COLUMNS: tuple[str, ...] = (
    "welfare_pct",
    "real_wage_pct",
    "price_index_pct",
    "exports_pct",
    "imports_pct",
    "employment_pct",
    "deficit_pct",
    "tot_pct",
    "vot_pct",
)


#: A constraint binds iff its equivalent rate exceeds this (docs/results.md).
BINDING_RATE = 1e-9


def region_columns(outcomes: Outcomes) -> dict[str, np.ndarray]:
    """The numeric columns of :func:`region_table`, in the model's order; arrays keep
    any leading axis of ``outcomes`` (a draw axis: one row of each array per draw)."""
    values = np.asarray(outcomes.region_values, dtype=np.float64)
    return {field: values[..., k, :] for k, field in enumerate(outcomes.region_fields)}


def region_table(outcomes: Outcomes) -> pd.DataFrame:
    """One row per region: ``region`` and the model's region fields (docs/results.md)."""
    return pd.DataFrame({"region": list(outcomes.regions), **region_columns(outcomes)})


def sector_table(outcomes: Outcomes) -> pd.DataFrame:
    """One row per region and sector (region-major): ``region``, ``sector`` and the
    model's sector fields (docs/results.md); no rows for a model without them."""
    if outcomes.sector_values is None:
        return pd.DataFrame({"region": [], "sector": []}, dtype=object)
    values = np.asarray(outcomes.sector_values, dtype=np.float64)  # [field, s, n]
    S, N = values.shape[-2:]
    region, sector = np.meshgrid(np.arange(N), np.arange(S), indexing="ij")
    regions = np.asarray(outcomes.regions, dtype=object)
    sectors = np.asarray(outcomes.sectors, dtype=object)
    table: dict[str, object] = {
        "region": regions[region.ravel()],
        "sector": sectors[sector.ravel()],
    }
    for k, field in enumerate(outcomes.sector_fields):
        table[field] = values[k].T.ravel()
    return pd.DataFrame(table)


def trade_cells(baseline_sni: np.ndarray, outcomes: Outcomes) -> np.ndarray:
    """Which cells (sector-major, then importer, then exporter, flattened) the trade
    table lists: those whose baseline or counterfactual flow is non-zero."""
    before = np.asarray(baseline_sni, dtype=np.float64).ravel()
    after = np.asarray(outcomes.trade("counterfactual"), dtype=np.float64).ravel()
    return (before != 0) | (after != 0)


def trade_columns(outcomes: Outcomes, keep: np.ndarray) -> dict[str, np.ndarray]:
    """The solved columns of :func:`trade_table` on the cells ``keep``
    (:func:`trade_cells`); arrays keep any leading draw axis of ``outcomes``."""
    values = np.asarray(outcomes.trade_values, dtype=np.float64)
    lead = values.shape[:-4]
    return {
        field: values[..., k, :, :, :].reshape(*lead, -1)[..., keep]
        for k, field in enumerate(outcomes.trade_fields)
    }


def trade_table(
    baseline_sni: np.ndarray, outcomes: Outcomes, keep: np.ndarray | None = None
) -> pd.DataFrame:
    """Every cell whose baseline or counterfactual flow is non-zero, domestic included:
    ``exporter``, ``importer``, ``sector``, ``baseline`` (the world's own flow) and the
    model's trade fields (docs/results.md).

    ``counterfactual`` is the flow at world prices; ``quantity`` (where the model has
    it) the counterfactual flow at the base's prices, so ``quantity / baseline`` is the
    change in volume that export caps bound; ``base`` the flow of the base a scenario
    was solved from, when that is not the world's (the zero-deficit base).  ``keep``
    chooses the cells (default: :func:`trade_cells`).
    """
    S, N, _ = np.shape(baseline_sni)
    sector, importer, exporter = np.meshgrid(
        np.arange(S), np.arange(N), np.arange(N), indexing="ij"
    )
    if keep is None:
        keep = trade_cells(baseline_sni, outcomes)
    regions = np.asarray(outcomes.regions, dtype=object)
    sectors = np.asarray(outcomes.sectors, dtype=object)
    table = {
        "exporter": regions[exporter.ravel()[keep]],
        "importer": regions[importer.ravel()[keep]],
        "sector": sectors[sector.ravel()[keep]],
        "baseline": np.asarray(baseline_sni, dtype=np.float64).ravel()[keep],
        **trade_columns(outcomes, keep),
    }
    return pd.DataFrame(table)


def measure_table(
    scenario: Scenario,
    date: Date | None,
    compiled: CompiledScenario | None = None,
    outcomes: Outcomes | None = None,
) -> pd.DataFrame:
    """One row per measure in file order (docs/results.md), from its compiled constraints.

    ``equivalent_rate``: for an export cap, the baseline-flow-weighted mean of its
    cells' export-tax equivalents (a cell where another cap binds first counts 0);
    ``None`` (JSON null) for a ban (share 0), which is always ``binding``; for an import
    floor, its import-subsidy equivalent; ``None`` for kinds without a constraint
    (tariff, trade_cost, export_tax, port_fee) and for measures not in force.
    ``binding`` is true iff the rate exceeds :data:`BINDING_RATE`; a rate within it of
    zero is reported as 0 (the solver's round-off).  ``cells`` counts the
    foreign cells with a baseline flow that the measure covers (``None`` when not in
    force).  Without ``compiled`` and ``outcomes`` no constraint is known: every rate is
    ``None``.
    """
    active = {m.index for m in in_force(scenario, date)}
    rates: dict[int, float | None] = {}
    if compiled is not None and outcomes is not None:
        capacity = outcomes.capacity_rate_g
        rates = compiled.equivalent_rates(
            np.asarray(outcomes.cap_rate_k),
            np.asarray(outcomes.floor_rate_f),
            None if capacity is None else np.asarray(capacity),
        )
    bans = compiled.bans if compiled is not None else frozenset()
    cells = compiled.cells if compiled is not None else {}
    rows = []
    for m in scenario.measures:
        rate = rates.get(m.index)
        if rate is not None and abs(rate) <= BINDING_RATE:
            rate = 0.0  # the solver's round-off around a slack constraint
        rows.append(
            {
                "index": m.index,
                "kind": m.kind,
                "binding": m.index in bans or (rate is not None and rate > BINDING_RATE),
                "equivalent_rate": rate,
                "in_force": m.index in active,
                "cells": cells.get(m.index),
            }
        )
    columns = ["index", "kind", "binding", "equivalent_rate", "in_force", "cells"]
    frame = pd.DataFrame(rows, columns=columns)
    # Object columns keep None as None (not NaN) and counts as ints.
    for column in ("equivalent_rate", "cells"):
        frame[column] = pd.Series([row[column] for row in rows], dtype=object)
    return frame


#: The pair whose sector flows the reports chart, when the world has both regions.
FOCUS_PAIR: tuple[str, str] = ("USA", "CHN")


def bilateral_change(trade: pd.DataFrame, regions: list[str]) -> pd.DataFrame:
    """Foreign flows summed over every sector (goods and services), per exporter-importer
    pair: ``exporter``, ``importer``, ``baseline``, ``counterfactual`` and ``change_pct``.

    ``trade`` is a :attr:`Result.trade` table; ``regions`` gives the row order
    (exporter-major).  Domestic sales are left out; a pair with no baseline flow has a
    ``change_pct`` of NaN.
    """
    foreign = trade[trade["exporter"] != trade["importer"]]
    summed = foreign.groupby(["exporter", "importer"], sort=False)[
        ["baseline", "counterfactual"]
    ].sum()
    pairs = pd.MultiIndex.from_tuples(
        [(e, i) for e in regions for i in regions if e != i], names=["exporter", "importer"]
    )
    out = summed.reindex(pairs, fill_value=0.0).reset_index()
    before = out["baseline"].to_numpy(dtype=np.float64)
    after = out["counterfactual"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change_pct"] = np.where(before > 0, 100.0 * (after / before - 1.0), np.nan)
    return out


def pair_sector_flows(trade: pd.DataFrame, pair: tuple[str, str] = FOCUS_PAIR) -> pd.DataFrame:
    """The flows between the two regions of ``pair`` by sector, both directions.

    Columns ``exporter``, ``importer``, ``sector``, ``baseline``, ``counterfactual``,
    ``change_pct`` (NaN without a baseline flow); the ``pair[0]`` → ``pair[1]`` rows
    first, each direction in the table's sector order.  Empty when the world lacks
    either region.
    """
    a, b = pair
    frames = [
        trade[(trade["exporter"] == e) & (trade["importer"] == i)] for e, i in ((a, b), (b, a))
    ]
    out = pd.concat(frames, ignore_index=True).loc[
        :, ["exporter", "importer", "sector", "baseline", "counterfactual"]
    ]
    before = out["baseline"].to_numpy(dtype=np.float64)
    after = out["counterfactual"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change_pct"] = np.where(before > 0, 100.0 * (after / before - 1.0), np.nan)
    return out
