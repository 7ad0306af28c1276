"""One counterfactual measured against another (docs/results.md, "Against another
scenario").

Every ``*_pct`` change of a run is 100 × (x_A / x_0 − 1) against the base 0.  Against a
second counterfactual B solved from the same base, the exact change is the ratio of the
two hats, 100 × (x̂_A / x̂_B − 1): not the difference of the two percentages.  Levels
(tariff revenue, employment shares) stay the run's own, and the "before" columns
become B's.  Fields with no such ratio (the first-order welfare decomposition, the
change in the deficit over its base) are left out.

The functions work on columns (field → array whose last axis is the table's rows), so
that one point result and a batch of elasticity draws (a leading draw axis) are
measured alike.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

Columns = Mapping[str, np.ndarray]

#: Region fields that are 100 × (x̂ − 1) of a level x.
REGION_RATIOS: frozenset[str] = frozenset(
    {
        "welfare_pct",
        "real_wage_pct",
        "nominal_wage_pct",
        "price_index_pct",
        "exports_pct",
        "imports_pct",
        "employment_pct",
        "exports_gdp_pct",
        "imports_gdp_pct",
    }
)
#: Region fields without a ratio form: left out of a result measured against a scenario.
REGION_DROPPED: frozenset[str] = frozenset({"tot_pct", "vot_pct", "deficit_pct"})

#: Sector fields that are 100 × (x̂ − 1) of a level x.
SECTOR_RATIOS: frozenset[str] = frozenset(
    {"output_pct", "value_added_pct", "price_pct", "unit_cost_pct"}
)
#: Sector "before" fields and the field of the other run that replaces each.
SECTOR_BEFORE: dict[str, str] = {
    "employment_base_pct": "employment_pct",
    "critical_share_base_pct": "critical_share_pct",
}


def relative_pct(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The change from B to A, both given as changes in percent from one base."""
    return 100.0 * ((1.0 + np.asarray(a) / 100.0) / (1.0 + np.asarray(b) / 100.0) - 1.0)


def relative_regions(a: Columns, b: Columns) -> dict[str, np.ndarray]:
    """Region columns of run A measured against run B (same regions, same base)."""
    out: dict[str, np.ndarray] = {}
    for field, values in a.items():
        if field in REGION_DROPPED:
            continue
        out[field] = relative_pct(values, b[field]) if field in REGION_RATIOS else values
    return out


def relative_sectors(a: Columns, b: Columns) -> dict[str, np.ndarray]:
    """Region × sector columns of run A measured against run B: ratios for changes,
    B's levels as the "before" columns, B's output for ``gross_output``."""
    out: dict[str, np.ndarray] = {}
    for field, values in a.items():
        if field in SECTOR_RATIOS:
            out[field] = relative_pct(values, b[field])
        elif field in SECTOR_BEFORE:
            out[field] = b[SECTOR_BEFORE[field]]
        elif field == "gross_output":
            out[field] = values * (1.0 + b["output_pct"] / 100.0)
        else:
            out[field] = values
    return out


def relative_trade(a: Columns, b: Columns) -> dict[str, np.ndarray]:
    """Trade columns of run A against run B: ``baseline`` is B's flow, ``quantity`` A's
    flow at B's prices (so ``quantity / baseline`` is the volume ratio A/B), and the
    zero-deficit ``base`` column is left out (both runs share it)."""
    out: dict[str, np.ndarray] = {}
    before = np.asarray(b["counterfactual"])
    for field, values in a.items():
        if field == "base":
            continue
        if field == "baseline":
            out[field] = before
        elif field == "quantity":
            # A's volume over B's, times B's flow: A's quantities at B's prices.
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(b["quantity"] > 0, values / b["quantity"], 0.0)
            out[field] = ratio * before
        else:
            out[field] = values
    return out
