"""The US–China tariffs of 2018–2024 in force on 20 January 2025, by ICIO sector.

The 2021 tariff file (Teti's Global Tariff Database) holds applied MFN-type rates only:
it lacks the US Section 301 tariffs on Chinese goods and China's retaliation.  This
module adds them as the world's baseline policy.  Sources: the facts file
us-china-measures.md, docs/sources.md (§2 US lists, §3 China's retaliation, §5 PIIE averages).

How the sector rates are built
------------------------------
Statutory rates are the ones in force on 20 January 2025:

* US (facts §2): Lists 1–3 at 25% (≈ $250 bn of 2017 imports), List 4A at 7.5%
  (≈ $120 bn), the 2024 four-year-review increases in force by then (EVs 100%,
  semiconductors and solar cells 50%, EV batteries 25%, steel and aluminium products
  25%, ship-to-shore cranes 25%, syringes 100%, medical gloves 50%, polysilicon 50%,
  critical minerals 25%), and Section 232 on steel (25%) and aluminium (10%), which
  PIIE's average counts too.
* China (facts §3): the 2018 retaliation for Section 232 (15–25%, fruit, nuts, wine,
  pork, aluminium scrap), the List 1 and List 2 retaliation (25% on ≈ $34 bn and
  ≈ $16 bn: soybeans, meat, seafood, autos; coal, fuels, chemicals, medical equipment),
  the $60 bn list at 5–25% since June 2019 (a 15% average is assumed), and the first
  List 4 tranche at half its 2019 rates since February 2020 (2.5% on crude oil and
  soybeans, 5% on pork and beef).

The data carry no product detail, so which share of a sector's imports each list
covers is an assumption made from the lists' composition as reported (e.g. Lists 1–3
are mostly machinery, electrical goods, parts and materials; List 4A mostly apparel,
footwear and consumer goods; phones, laptops and toys — List 4B — were never taxed;
China spared aircraft and most chips).  These shares are in ``US_ON_CHINA`` and
``CHINA_ON_US`` below.

Calibration.  PIIE's trade-weighted averages (20.8% US on China, 21.2% China on US,
20 January 2025, facts §5) use PIIE's own product detail and weights; with the shares
above and the world's 2022 flows the averages come out lower (Chinese exports shifted
towards untaxed goods after 2018).  So the covered shares of the broad lists (not the
statutory rates, not the targeted 2024 increases, not Section 232) are scaled by one
factor per country, found by bisection, until the world's trade-weighted average tariff
(MFN plus additional, goods sectors, 2022 flows) equals PIIE's figure.  The factor is
reported in the world's description.  For China it is close to one.  For the United
States it is about two: on 2022 weights the lists as allocated here give about 18%,
because US imports from China moved after 2018 towards goods that were never taxed
(phones and laptops are most of computers and electronics, C26), while PIIE weights
products by their pre-war trade.  Matching PIIE on 2022 weights therefore spreads the
lists' coverage further than the statutory lists reach, most visibly in C26 (about 11%
instead of about 5%); scenarios that add to or set these rates see the difference only
through the level of the base tariff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from truce.errors import WorldError

#: PIIE (Bown), US–China trade war tariffs chart, 20 January 2025 (facts §5).
PIIE_US_ON_CHINA = 0.208
PIIE_CHINA_ON_US = 0.212


@dataclass(frozen=True)
class Layer:
    """A share of a sector's bilateral imports taxed at an extra ad-valorem rate."""

    share: float
    rate: float
    scalable: bool = True
    """Broad lists are scaled by the calibration; targeted measures are not."""


def _lists(l13: float, l4a: float, *extra: Layer) -> tuple[Layer, ...]:
    return (Layer(l13, 0.25), Layer(l4a, 0.075), *extra)


def _fixed(share: float, rate: float) -> Layer:
    return Layer(share, rate, scalable=False)


#: US additional tariffs on Chinese goods: (Lists 1–3 share, List 4A share, targeted).
US_ON_CHINA: dict[str, tuple[Layer, ...]] = {
    "A01": _lists(0.55, 0.25),
    "A02": _lists(0.80, 0.10),
    "A03": _lists(0.70, 0.20),
    "B05": _lists(0.85, 0.05),
    "B06": _lists(0.85, 0.05),
    "B07": _lists(0.85, 0.05, _fixed(0.10, 0.25)),  # critical minerals 0 -> 25% (2024)
    "B08": _lists(0.85, 0.05),
    "B09": _lists(0.85, 0.05),
    "C10T12": _lists(0.55, 0.30),
    "C13T15": _lists(0.20, 0.65),  # apparel and footwear mostly List 4A
    "C16": _lists(0.90, 0.05),
    "C17_18": _lists(0.65, 0.20),
    "C19": _lists(0.85, 0.05),
    "C20": _lists(0.85, 0.05, _fixed(0.02, 0.25)),  # polysilicon 25 -> 50% (2025)
    "C21": _lists(0.10, 0.05),  # medicines largely left off the lists
    "C22": _lists(0.70, 0.20, _fixed(0.04, 0.425)),  # medical gloves 7.5 -> 50% (2025)
    "C23": _lists(0.85, 0.10),
    "C24A": _lists(0.95, 0.00, _fixed(0.05, 0.175), _fixed(1.0, 0.25)),  # 2024 steel; s.232
    "C24B": _lists(0.90, 0.05, _fixed(0.05, 0.175), _fixed(1.0, 0.10)),  # 2024 alu.; s.232
    "C25": _lists(0.85, 0.10),
    # Phones and laptops (List 4B) were never taxed; semiconductors and solar 25 -> 50%.
    "C26": _lists(0.18, 0.07, _fixed(0.03, 0.25), _fixed(0.01, 0.25)),
    "C27": _lists(0.60, 0.30, _fixed(0.05, 0.175)),  # EV batteries 7.5 -> 25% (2024)
    "C28": _lists(0.90, 0.05, _fixed(0.01, 0.25)),  # ship-to-shore cranes 0 -> 25%
    "C29": _lists(0.90, 0.05, _fixed(0.01, 0.75)),  # EVs 25 -> 100% (2024)
    "C301": _lists(0.90, 0.00),
    "C302T309": _lists(0.80, 0.10),
    "C31T33": _lists(0.40, 0.25, _fixed(0.005, 1.0)),  # toys untaxed; syringes 100%
}


def _china(*layers: tuple[float, float]) -> tuple[Layer, ...]:
    return tuple(Layer(share, rate) for share, rate in layers)


#: China's additional tariffs on US goods: (share, rate) per retaliation list.
CHINA_ON_US: dict[str, tuple[Layer, ...]] = {
    "A01": _china((0.90, 0.25), (0.85, 0.025), (0.03, 0.15)),  # soybeans L1 + L4 tranche 1
    "A02": _china((0.90, 0.10)),
    "A03": _china((0.80, 0.25)),
    "B05": _china((0.90, 0.25)),  # coal, List 2 retaliation
    "B06": _china((0.60, 0.025), (0.30, 0.25)),  # crude oil (L4 t1), LNG ($60 bn list)
    "B07": _china((0.70, 0.15)),
    "B08": _china((0.70, 0.10)),
    "C10T12": _china((0.60, 0.25), (0.20, 0.15), (0.50, 0.05), (0.15, 0.20)),
    "C13T15": _china((0.60, 0.15), (0.30, 0.05)),
    "C16": _china((0.90, 0.15)),
    "C17_18": _china((0.80, 0.15)),
    "C19": _china((0.60, 0.25), (0.20, 0.15)),
    "C20": _china((0.30, 0.25), (0.50, 0.15)),
    "C21": _china((0.20, 0.10)),
    "C22": _china((0.20, 0.25), (0.60, 0.15)),
    "C23": _china((0.80, 0.15)),
    "C24A": _china((0.40, 0.25), (0.50, 0.15)),
    "C24B": _china((0.30, 0.25), (0.50, 0.15)),  # aluminium scrap (2018), $60 bn list
    "C25": _china((0.80, 0.15)),
    "C26": _china((0.05, 0.25), (0.25, 0.15)),  # most chips spared
    "C27": _china((0.70, 0.15)),
    "C28": _china((0.70, 0.15)),
    "C29": _china((0.90, 0.25)),  # autos, List 1 retaliation
    "C301": _china((0.50, 0.10)),
    "C302T309": _china((0.10, 0.10)),  # aircraft spared
    "C31T33": _china((0.20, 0.25), (0.50, 0.15)),
}


def _additional(layers: tuple[Layer, ...], scale: float) -> float | int:
    """Extra ad-valorem rate of a sector with its broad lists' shares scaled (total ≤ 1)."""
    broad = sum(layer.share for layer in layers if layer.scalable)
    factor = min(scale, 1.0 / broad) if broad > 0 else 0.0
    return sum(layer.rate * layer.share * (factor if layer.scalable else 1.0) for layer in layers)


def _calibrate(
    table: dict[str, tuple[Layer, ...]],
    sectors: Sequence[str],
    mfn_s: np.ndarray,
    flow_s: np.ndarray,
    target: float,
) -> tuple[float, np.ndarray]:
    """The scale factor whose flow-weighted average (MFN + additional) hits ``target``."""

    def extra(scale: float) -> np.ndarray:
        return np.array([_additional(table.get(s, ()), scale) for s in sectors])

    def average(scale: float) -> float:
        return float(((mfn_s + extra(scale)) * flow_s).sum() / flow_s.sum())

    low, high = 0.0, 10.0
    if not average(low) <= target <= average(high):
        raise WorldError(
            f"cannot reach the trade-weighted average tariff {target:.1%}: with no list "
            f"coverage it is {average(low):.1%}, with full coverage {average(high):.1%}"
        )
    for _ in range(200):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if average(mid) < target else (low, mid)
    scale = 0.5 * (low + high)
    return scale, extra(scale)


def add_trade_war_tariffs(
    tariff_eis: np.ndarray,
    countries: Sequence[str],
    sectors: Sequence[str],
    *,
    flows_eis: np.ndarray,
) -> tuple[np.ndarray, list[str]]:
    """Add the US Section 301 tariffs and China's retaliation to a tariff array.

    ``tariff_eis`` and ``flows_eis`` are indexed [exporter, importer, sector] over
    ``countries`` (must include USA and CHN) and ``sectors`` (ICIO codes; sectors not in
    the tables, such as services, get nothing).  Returns the new array and lines for the
    world's description (scale factors and resulting averages).
    """
    codes = list(countries)
    for code in ("USA", "CHN"):
        if code not in codes:
            raise WorldError(f"the trade-war tariffs need region {code} in the source data")
    usa, chn = codes.index("USA"), codes.index("CHN")
    goods = np.array([s in US_ON_CHINA for s in sectors])
    tariff = np.array(tariff_eis, dtype=np.float64, copy=True)
    notes = []
    for table, exporter, importer, target, label in (
        (US_ON_CHINA, chn, usa, PIIE_US_ON_CHINA, "US Section 301 (+232) on Chinese goods"),
        (CHINA_ON_US, usa, chn, PIIE_CHINA_ON_US, "China's retaliation on US goods"),
    ):
        mfn = tariff[exporter, importer, :]
        flow = np.where(goods, flows_eis[exporter, importer, :], 0.0)
        before = float((mfn * flow).sum() / flow.sum())
        scale, extra = _calibrate(table, sectors, mfn, flow, target)
        tariff[exporter, importer, :] = mfn + extra
        notes.append(
            f"{label}: sector rates from the statutory lists in force on 20 January 2025; "
            f"the broad lists' covered shares scaled by {scale:.3f} so that the "
            f"trade-weighted average (2022 goods flows) goes from {before:.1%} (MFN only) to "
            f"PIIE's {target:.1%}."
        )
    return tariff, notes
