"""Results in money and in policy terms (docs/results.md, "Money"): welfare in US$ bn
and per household, the change in tariff revenue, and trade-weighted average tariffs.

Welfare in money is the equivalent variation at base-year prices: the welfare change
times the region's base national expenditure (factor income + tariff revenue +
deficit).  Against another scenario B it is the base expenditure times the difference
of the two welfare ratios, so that A's dollars against B are A's dollars minus B's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from truce.report.against import relative_regions

#: A world currency this module turns into US$ bn: ``USD`` and a power of a thousand.
_USD_UNITS: dict[str, float] = {
    "": 1e-9,
    "thousand": 1e-6,
    "million": 1e-3,
    "billion": 1.0,
}


def usd_bn_per_unit(currency: str) -> float | None:
    """US$ bn per unit of a world's ``currency`` (``USD million`` → 0.001); None for a
    currency that is not US dollars."""
    match = re.fullmatch(r"\s*(?:US\$|USD)\s*(thousand|million|billion)?\s*", currency, re.I)
    if match is None:
        return None
    return _USD_UNITS[(match.group(1) or "").lower()]


@dataclass(frozen=True)
class MoneyBase:
    """What turns a run's changes into money: each region's base national expenditure
    and tariff revenue (the world's currency, the base the run was solved from), US$ bn
    per unit of that currency (None: not dollars) and household counts (NaN: unknown;
    None: the world has none)."""

    income_n: np.ndarray
    tariff_revenue_n: np.ndarray
    usd_bn: float | None
    households_n: np.ndarray | None = None


def money_columns(
    a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray] | None, base: MoneyBase
) -> dict[str, np.ndarray]:
    """``welfare_usd_bn`` and ``welfare_usd_per_household`` (US$ at base-year prices;
    only for a dollar world, the second only with household counts) and
    ``tariff_revenue_change`` (the world's currency) of run A, against the base or, with
    ``b``, against run B.  Columns keep any leading draw axis of ``a``."""
    out: dict[str, np.ndarray] = {}
    welfare = np.asarray(a["welfare_pct"]) / 100.0
    if b is not None:
        welfare = welfare - np.asarray(b["welfare_pct"]) / 100.0
    if base.usd_bn is not None:
        usd_bn = welfare * base.income_n * base.usd_bn
        out["welfare_usd_bn"] = usd_bn
        if base.households_n is not None:
            out["welfare_usd_per_household"] = usd_bn * 1e9 / base.households_n
    if "tariff_revenue" in a:
        before = base.tariff_revenue_n if b is None else np.asarray(b["tariff_revenue"])
        out["tariff_revenue_change"] = np.asarray(a["tariff_revenue"]) - before
    return out


#: The money columns that follow each field of the model's, in order.
_AFTER: dict[str, tuple[str, ...]] = {
    "welfare_pct": ("welfare_usd_bn", "welfare_usd_per_household"),
    "tariff_revenue": ("tariff_revenue_change",),
}


def measured_regions(
    a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray] | None, base: MoneyBase
) -> dict[str, np.ndarray]:
    """Run A's region columns as a result reports them: against the base, or against
    run B (:func:`~truce.report.against.relative_regions`), with the money columns
    placed after the fields they translate."""
    changes = dict(a) if b is None else relative_regions(a, b)
    money = money_columns(a, b, base)
    out: dict[str, np.ndarray] = {}
    for field, values in changes.items():
        out[field] = values
        out.update({extra: money[extra] for extra in _AFTER.get(field, ()) if extra in money})
    return out


def _weighted_pct(value: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """100 × value / weight where the weight is positive, else NaN."""
    positive = weight > 0
    return np.where(positive, 100.0 * value / np.where(positive, weight, 1.0), np.nan)


def average_tariffs(
    regions: tuple[str, ...],
    sectors: tuple[str, ...],
    weights_sni: np.ndarray,
    before_sni: np.ndarray,
    after_sni: np.ndarray,
    goods: tuple[str, ...],
) -> pd.DataFrame:
    """Trade-weighted average tariffs, the measure of PIIE's US-China tariff chart:
    for every importer, on all its imports (``exporter`` = ``all``) and on each foreign
    exporter, the mean of the tariff rates on ``goods`` weighted by the base flows
    ``weights_sni`` (fixed weights, so a change is a change in rates, not in the mix),
    ``before_pct`` and ``after_pct`` in percent.  A pair without goods trade has NaN."""
    keep = np.isin(np.asarray(sectors), np.asarray(goods))
    foreign = 1.0 - np.eye(len(regions))
    weight = np.asarray(weights_sni, dtype=np.float64)[keep] * foreign[None, :, :]
    pair_weight = weight.sum(axis=0)  # [importer, exporter]
    averages = {}
    for column, tau in (("before_pct", before_sni), ("after_pct", after_sni)):
        taxed = (np.asarray(tau, dtype=np.float64)[keep] * weight).sum(axis=0)
        on_all = _weighted_pct(taxed.sum(axis=1), pair_weight.sum(axis=1))
        by_pair = _weighted_pct(taxed, pair_weight)
        # Row order: each importer on all, then on each partner in the world's order.
        averages[column] = np.concatenate(
            [np.concatenate([[on_all[i]], np.delete(by_pair[i], i)]) for i in range(len(regions))]
        )
    importer = [r for r in regions for _ in regions]
    exporter = [
        e
        for i in range(len(regions))
        for e in ("all", *(r for j, r in enumerate(regions) if j != i))
    ]
    return pd.DataFrame({"importer": importer, "exporter": exporter, **averages})
