"""Solved arrays → long, labelled tables (the one place where arrays become rows)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from truce.model.baseline import Baseline
from truce.model.solve import Equilibrium
from truce.model.welfare import RegionOutcomes

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


def _pct(ratio) -> np.ndarray:
    return 100.0 * (np.asarray(ratio, dtype=np.float64) - 1.0)


def region_columns(outcomes: RegionOutcomes) -> dict[str, np.ndarray]:
    """The numeric columns of :func:`region_table`; arrays keep any leading axes of
    ``outcomes`` (a draw axis: one row of each array per draw)."""
    return {
        "welfare_pct": _pct(outcomes.welfare_n),
        "real_wage_pct": _pct(outcomes.real_wage_n),
        "nominal_wage_pct": _pct(outcomes.nominal_wage_n),
        "price_index_pct": _pct(outcomes.price_index_n),
        "tariff_revenue": np.asarray(outcomes.tariff_revenue_n, dtype=np.float64),
        "exports_pct": _pct(outcomes.exports_n),
        "imports_pct": _pct(outcomes.imports_n),
        "tot_pct": 100.0 * np.asarray(outcomes.terms_of_trade_n, dtype=np.float64),
        "vot_pct": 100.0 * np.asarray(outcomes.volume_of_trade_n, dtype=np.float64),
    }


def region_table(baseline: Baseline, outcomes: RegionOutcomes) -> pd.DataFrame:
    """One row per region with the CONTRACTS.md §3 fields and the CP2015 decomposition."""
    return pd.DataFrame({"region": list(baseline.regions), **region_columns(outcomes)})


def trade_cells(world_baseline: Baseline, eq: Equilibrium) -> np.ndarray:
    """Which cells (sector-major, then importer, then exporter, flattened) the trade
    table lists: those whose baseline or counterfactual flow is non-zero."""
    before = np.asarray(world_baseline.flow_sni, dtype=np.float64).ravel()
    after = np.asarray(eq.flow_sni, dtype=np.float64).ravel()
    return (before != 0) | (after != 0)


def trade_columns(
    eq: Equilibrium, keep: np.ndarray, base: Baseline | None = None
) -> dict[str, np.ndarray]:
    """The solved columns of :func:`trade_table` on the cells ``keep``
    (:func:`trade_cells`); arrays keep any leading axes of ``eq`` and ``base``."""
    flow = np.asarray(eq.flow_sni, dtype=np.float64)
    lead = flow.shape[:-3]
    c_hat_si = np.asarray(eq.c_hat_sn, dtype=np.float64)
    quantity = np.asarray(eq.producer_flow_sni, dtype=np.float64) / c_hat_si[..., :, None, :]
    columns = {
        "counterfactual": flow.reshape(*lead, -1)[..., keep],
        "quantity": quantity.reshape(*lead, -1)[..., keep],
    }
    if base is not None:
        base_flow = np.asarray(base.flow_sni, dtype=np.float64)
        columns["base"] = base_flow.reshape(*lead, -1)[..., keep]
    return columns


def trade_table(
    world_baseline: Baseline, eq: Equilibrium, base: Baseline | None = None
) -> pd.DataFrame:
    """Every cell whose baseline or counterfactual flow is non-zero, domestic included.

    ``baseline`` is the world's own flow; when the scenario was solved from another base
    (the zero-deficit one) that base's flow is given in a ``base`` column.
    ``quantity`` is the counterfactual flow at the base's prices: its value at the
    exporter's producer price over the change in the exporter's unit cost (CONTRACTS
    §2, "Volume"), so ``quantity / baseline`` (or ``/ base``) is the change in volume
    that export caps bound.
    """
    S, N, _ = world_baseline.flow_sni.shape
    sector, importer, exporter = np.meshgrid(
        np.arange(S), np.arange(N), np.arange(N), indexing="ij"
    )
    keep = trade_cells(world_baseline, eq)
    regions = np.asarray(world_baseline.regions, dtype=object)
    sectors = np.asarray(world_baseline.sectors, dtype=object)
    solved = trade_columns(eq, keep, base)
    table = {
        "exporter": regions[exporter.ravel()[keep]],
        "importer": regions[importer.ravel()[keep]],
        "sector": sectors[sector.ravel()[keep]],
        "baseline": np.asarray(world_baseline.flow_sni, dtype=np.float64).ravel()[keep],
        "counterfactual": solved["counterfactual"],
        "quantity": solved["quantity"],
    }
    if base is not None:
        table["base"] = solved["base"]
    return pd.DataFrame(table)


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
