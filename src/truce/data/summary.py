"""A world at a glance: size, largest flows, bilateral tariffs and its identity gaps.

:func:`summarize_world` computes the numbers that ``truce world show`` prints; it does
no formatting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from truce.data._checks import earned_with_distribution
from truce.data.elasticities import elasticity_sources, se_source
from truce.data.world import World

ALWAYS_PAIRS: tuple[tuple[str, str], ...] = (("CHN", "USA"), ("USA", "CHN"))
"""Bilateral pairs whose tariffs are always shown when the world has both regions."""


@dataclass(frozen=True)
class WorldSummary:
    """What ``truce world show`` prints about a world (values in its currency)."""

    name: str
    year: int
    currency: str
    description: str
    sources: tuple[str, ...]
    n_regions: int
    n_sectors: int
    gross_output: float
    """World gross output (sum of every trade row)."""
    international: float
    """World trade: the sum of the rows with exporter ≠ importer."""
    top_flows: pd.DataFrame
    """Columns exporter, importer, sector, value, tariff: the largest international cells."""
    pair_tariffs: pd.DataFrame
    """Columns exporter, importer, value, tariff: goods trade of the largest pairs and its
    trade-weighted average tariff (goods = sectors that carry a tariff somewhere)."""
    output_gap: float
    """Largest |gross output − value added − purchases| over a cell's gross output (sales
    net of distribution instead of gross output in a world with a ``distribution`` table)."""
    output_label: str
    """What the output identity measures: ``gross output`` or ``sales net of distribution``."""
    model: str | None
    """The model the world names in world.toml, if any."""
    output_gap_cell: str
    final_gap: float
    """Most negative final demand (absorption − intermediate use) over absorption (≤ 0)."""
    final_gap_cell: str
    elasticities: pd.DataFrame
    """Columns sector, name, theta: the trade elasticities in use."""
    theta_source: str | None
    """The source of those elasticities (world.toml ``theta_source``), if named."""
    elasticity_sources: tuple[str, ...]
    """The sources of the world's ``elasticities`` table a run may choose instead."""
    se_source: str | None
    """The source whose standard errors the world's ``theta_se`` table holds, if any:
    elasticity draws sample around that source's elasticities."""
    layer_coverage: pd.DataFrame
    """Columns exporter, importer, layer, name, rate, covered_share, points, sectors:
    each measure of the world's ``tariff_layers`` table with the share of the pair's
    goods imports it covers and the points it adds to their trade-weighted average
    tariff (shares and rates: 0.2 = 20%); empty without such a table."""

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain data for JSON (``truce world show --json``): identity,
        sources, the trade-weighted average goods tariff of each listed pair (a share:
        0.2 = 20%), the elasticities in use with their source, and the checks."""
        return {
            "name": self.name,
            "year": self.year,
            "currency": self.currency,
            "model": self.model,
            "regions": self.n_regions,
            "sectors": self.n_sectors,
            "gross_output": self.gross_output,
            "international_trade": self.international,
            "sources": list(self.sources),
            "pair_tariffs": self.pair_tariffs.to_dict(orient="records"),
            "tariff_layers": self.layer_coverage.to_dict(orient="records"),
            "elasticities": {
                "source": self.theta_source,
                "alternatives": list(self.elasticity_sources),
                "standard_errors_of": self.se_source,
                "by_sector": self.elasticities.to_dict(orient="records"),
            },
            "checks": {
                "output_gap": self.output_gap,
                "output_gap_cell": self.output_gap_cell,
                "output_identity": self.output_label,
                "final_demand_gap": self.final_gap,
                "final_demand_gap_cell": self.final_gap_cell,
            },
            "description": self.description,
        }


def summarize_world(
    world: World,
    *,
    top: int = 10,
    pairs: int = 8,
    always: Sequence[tuple[str, str]] = ALWAYS_PAIRS,
) -> WorldSummary:
    """Summarise a checked ``world``: the ``top`` largest international flows, the
    trade-weighted goods tariffs of the ``pairs`` largest bilateral pairs (plus
    ``always``), and the largest gaps in its accounting identities."""
    trade = world.trade
    foreign = trade[trade["exporter"] != trade["importer"]]
    top_flows = (
        foreign.sort_values("value", ascending=False, kind="mergesort")
        .head(top)
        .reset_index(drop=True)
    )
    tariffed = set(foreign.loc[foreign["tariff"] > 0, "sector"])
    goods = foreign[foreign["sector"].isin(tariffed)]
    by_pair = (
        goods.assign(revenue=goods["value"] * goods["tariff"])
        .groupby(["exporter", "importer"], sort=False)[["value", "revenue"]]
        .sum()
        .sort_values("value", ascending=False, kind="mergesort")
    )
    chosen = list(by_pair.index[:pairs])
    chosen += [p for p in always if p in by_pair.index and p not in chosen]
    shown = by_pair.loc[chosen]
    pair_tariffs = pd.DataFrame(
        {
            "exporter": [e for e, _ in chosen],
            "importer": [i for _, i in chosen],
            "value": shown["value"].to_numpy(),
            "tariff": np.divide(
                shown["revenue"].to_numpy(),
                shown["value"].to_numpy(),
                out=np.zeros(len(shown)),
                where=shown["value"].to_numpy() > 0,
            ),
        }
    )
    output_gap, output_cell, final_gap, final_cell = _identity_gaps(world)
    return WorldSummary(
        name=world.name,
        year=world.year,
        currency=world.currency,
        description=world.description,
        sources=tuple(world.sources),
        n_regions=len(world.regions),
        n_sectors=len(world.sectors),
        gross_output=float(trade["value"].sum()),
        international=float(foreign["value"].sum()),
        top_flows=top_flows,
        pair_tariffs=pair_tariffs,
        output_gap=output_gap,
        output_label=(
            "gross output" if world.distribution is None else "sales net of distribution"
        ),
        model=world.model,
        output_gap_cell=output_cell,
        final_gap=final_gap,
        final_gap_cell=final_cell,
        elasticities=world.sectors.loc[:, ["sector", "name", "theta"]].reset_index(drop=True),
        theta_source=world.theta_source,
        elasticity_sources=elasticity_sources(world),
        se_source=se_source(world),
        layer_coverage=layer_coverage(world),
    )


def layer_coverage(world: World) -> pd.DataFrame:
    """Each measure of ``world``'s ``tariff_layers`` table over the goods imports of its
    pair (the sectors the table names for either direction, weighted by the world's
    flows): the share it covers and the points it adds to the average tariff."""
    columns = [
        "exporter",
        "importer",
        "layer",
        "name",
        "rate",
        "covered_share",
        "points",
        "sectors",
    ]
    layers = world.tariff_layers
    if layers is None or layers.empty:
        return pd.DataFrame(columns=columns)
    goods = set(layers["sector"])
    trade = world.trade[world.trade["sector"].isin(goods)]
    flow = trade.set_index(["exporter", "importer", "sector"])["value"]
    rows = []
    for (exporter, importer), pair in layers.groupby(["exporter", "importer"], sort=False):
        total = float(
            trade.loc[
                (trade["exporter"] == exporter) & (trade["importer"] == importer), "value"
            ].sum()
        )
        keys = pd.MultiIndex.from_arrays(
            [[exporter] * len(pair), [importer] * len(pair), pair["sector"]]
        )
        cell = flow.reindex(keys, fill_value=0.0).to_numpy(dtype=np.float64)
        weight = cell / total if total > 0 else np.zeros(len(cell))
        pair = pair.assign(
            covered_share=pair["share"].to_numpy() * weight,
            points=pair["share"].to_numpy() * pair["added"].to_numpy() * weight,
        )
        for layer, rows_of in pair.groupby("layer", sort=False):
            rows.append(
                {
                    "exporter": exporter,
                    "importer": importer,
                    "layer": layer,
                    "name": rows_of["name"].iat[0],
                    "rate": float(rows_of["rate"].iat[0]),
                    "covered_share": float(rows_of["covered_share"].sum()),
                    "points": float(rows_of["points"].sum()),
                    "sectors": " ".join(rows_of.loc[rows_of["share"] > 0, "sector"]),
                }
            )
    return pd.DataFrame(rows, columns=columns)


def _identity_gaps(world: World) -> tuple[float, str, float, str]:
    cells = pd.MultiIndex.from_product(
        [world.regions["region"], world.sectors["sector"]], names=["region", "sector"]
    )
    trade, va, io = world.trade, world.value_added, world.io

    def total(df: pd.DataFrame | None, keys: list[str], value: pd.Series | None = None):
        if df is None or len(df) == 0:
            return np.zeros(len(cells))
        v = df["value"] if value is None else value
        summed = v.groupby([df[k] for k in keys]).sum()
        summed.index.names = cells.names
        return summed.reindex(cells, fill_value=0.0).to_numpy(dtype=np.float64)

    gross = total(trade, ["exporter", "sector"])
    if world.distribution is not None:
        gross = earned_with_distribution(trade, world.distribution, cells)
    off = np.abs(gross - total(va, ["region", "sector"]) - total(io, ["region", "output_sector"]))
    rel = np.divide(off, gross, out=off.copy(), where=gross > 0)
    paid = trade["value"] * (1.0 + trade["tariff"])
    absorption = total(trade, ["importer", "sector"], paid)
    final = absorption - total(io, ["region", "input_sector"])
    rel_final = np.divide(final, absorption, out=final.copy(), where=absorption > 0)
    i, j = int(np.argmax(rel)), int(np.argmin(rel_final))

    def label(k: int) -> str:
        return f"{cells[k][0]} {cells[k][1]}"

    return float(rel[i]), label(i), float(min(rel_final[j], 0.0)), label(j)
