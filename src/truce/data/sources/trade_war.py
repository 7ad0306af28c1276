"""The US–China tariffs of 2018–2024 in force on 20 January 2025, by ICIO sector.

The 2021 tariff file (Teti's Global Tariff Database) holds applied MFN-type rates only:
it lacks the US Section 301 tariffs on Chinese goods, Section 232 and China's
retaliation.  This module adds them as the world's baseline policy.  Sources: the facts
file us-china-measures.md (keys such as [S2]; §2 US measures, §3 China's, §5 PIIE's
averages, §8 trade values) and docs/sources.md.

The rates are built, not fitted
-------------------------------
Each sector's additional rate is the sum, over its layers, of the layer's covered share
of the sector's bilateral imports times the layer's additional rate.  Nothing is scaled
and nothing is solved for: the trade-weighted averages that follow are *reported*
beside PIIE's (:func:`add_trade_war_tariffs`, :func:`coverage_table`), not matched.

A layer is one measure (:class:`Measure`: its statutory rate in force on 20 January
2025, the date that rate applies from, the 2017 import value announced for it, its
source keys) on a share of one sector (:class:`Layer`).  How layers combine:

* ``on=None``: the layer's goods are its own.  Within a sector these layers partition
  the imports: their shares (the untaxed ones included) add to at most 1.  US Lists 1–3,
  List 4A and the never-taxed List 4B are disjoint lists of products; so are China's
  retaliation lists on different goods.
* ``on="<measure key>"``: the layer taxes again goods of that layer in the same sector;
  its share is at most that layer's.  If the measure ``raises`` a rate (the US 2024
  four-year review moved listed goods from 25% or 7.5% to a higher rate) it adds the
  difference; otherwise it stacks in full (China's List 4 tranche 1 on goods already on
  its List 1 retaliation: soybeans pay 25% + 2.5%).
* ``on="sector"``: a different law applied across the sector whatever the lists
  (Section 232 on steel and aluminium stacks on Section 301 [facts conventions]).

Covered shares are estimated: the data have no product detail.  Each layer's ``basis``
states its rule and source; the general rules are these.

* US untaxed goods (List 4B, suspended 13 Dec 2019 [S3, S4]): where the facts give a
  2024 US import value from China of a List 4B product [S108], its share of the sector
  is that value over the default world's 2022 CHN→USA cell (US$ million at basic
  prices, OECD ICIO): phones ($50.1 bn) and computers ($35.5 bn) are 85,600 / 108,203
  = 79.1% of C26; toys ($13.5 bn) and video and card games, consoles included ($7.1
  bn), are 20,600 / 66,815 = 30.8% of C31T33 (video-game consoles, HS 9504, are
  games, ISIC 3240, so they sit in C31T33, not C26).  The rule mixes 2024 customs values
  with 2022 basic-price flows: a rough share, stated as such.
* Elsewhere, the US lists: Lists 1–3 (≈ $250 bn, 2017) were mostly industrial inputs,
  machinery, parts and materials, List 4A (≈ $120 bn) mostly apparel, footwear and
  consumer goods [S3, S4]; 5% of a sector is left untaxed for lines never listed or
  excluded (assumption; USTR still kept 178 exclusions in 2025 [S41]).
* China's lists: soybeans are 84.2% of the US→China A01 cell (the product catalogue,
  [S102, S103]); energy shares of B06 from 2017 values [S87]; beef from the 2022
  farm-export list [S102]; other shares are assumptions from the lists' composition as
  reported (§3).  The $60 bn list's 5/10/20/25% tiers are not given by product in the
  facts: a sector on it gets their mean, 15% (assumption), LNG its reported 25% tier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

import numpy as np
import pandas as pd

from truce.errors import WorldError

#: PIIE (Bown), US–China trade war tariffs chart, 20 January 2025 (facts §5 [S53, S85]).
PIIE_US_ON_CHINA = 0.208
PIIE_CHINA_ON_US = 0.212
#: PIIE's covered shares of imports at 2017 levels, Phase One (14 Feb 2020) version
#: (facts §5 [S79, S84]): US 66.4% (≈ $335 bn), China 58.3% (≈ $90 bn).
PIIE_US_COVERAGE = 0.664
PIIE_CHINA_COVERAGE = 0.583
#: US imports from China in 2017, US$ bn (facts §8a [S87, S88]).
US_IMPORTS_FROM_CHINA_2017 = 505.5

IN_FORCE_ON = date(2025, 1, 20)
"""The date whose tariffs the default world holds."""


@dataclass(frozen=True)
class Measure:
    """One tariff measure as in force on :data:`IN_FORCE_ON`."""

    key: str
    name: str
    rate: float
    """Statutory additional ad-valorem rate in force on 20 January 2025."""
    since: date
    """Date that rate applies from."""
    value_2017_bn: float | None
    """Import value announced for the measure, US$ bn (2017 trade), where given."""
    sources: str
    raises: bool = False
    """True: it raises the rate of goods already on another list (adds the difference)."""


@dataclass(frozen=True)
class Layer:
    """A measure on a share of one sector's bilateral imports."""

    measure: Measure
    share: float
    basis: str
    on: str | None = None
    """None: own goods (partition); a measure key: the same goods again; "sector"."""


def _m(key, name, rate, since, value, sources, raises=False) -> Measure:
    return Measure(key, name, rate, date.fromisoformat(since), value, sources, raises)


# --- US measures on Chinese goods (facts §2) -----------------------------------------

US_LISTS_1_3 = _m(
    "us_301_lists_1_3",
    "US s.301 Lists 1-3",
    0.25,
    "2019-05-10",
    34.0 + 16.0 + 200.0,
    "§2 [S2-S6]: List 1 25% 2018-07-06 ($34 bn), List 2 25% 2018-08-23 ($16 bn), "
    "List 3 10% 2018-09-24 raised to 25% 2019-05-10 ($200 bn)",
)
US_LIST_4A = _m(
    "us_301_list_4a",
    "US s.301 List 4A",
    0.075,
    "2020-02-14",
    120.0,
    "§2 [S3, S4, S8]: 15% 2019-09-01, cut to 7.5% 2020-02-14 (Phase One); ~$112-120 bn",
)
US_LIST_4B = _m(
    "us_301_list_4b",
    "US s.301 List 4B (suspended, never taxed)",
    0.0,
    "2019-12-13",
    160.0,
    "§2 [S3, S4]: 15% due 2019-12-15 on ~$160 bn, suspended 2019-12-13",
)
US_UNLISTED = _m(
    "us_unlisted",
    "US: never listed or excluded",
    0.0,
    "2018-07-06",
    None,
    "assumption: lines on no list, or excluded (178 exclusions kept in 2025 [S41])",
)
_REVIEW = "§2 four-year review [S9-S12]"
US_EV = _m(
    "us_2024_ev",
    "US 2024: EVs",
    1.00,
    "2024-09-27",
    None,
    f"{_REVIEW}: EVs 25 -> 100%",
    raises=True,
)
US_SOLAR = _m(
    "us_2024_solar",
    "US 2024: solar cells",
    0.50,
    "2024-09-27",
    None,
    f"{_REVIEW}: solar cells 25 -> 50%",
    raises=True,
)
US_SEMIS = _m(
    "us_2025_semis",
    "US 2025: semiconductors",
    0.50,
    "2025-01-01",
    None,
    f"{_REVIEW}: semiconductors 25 -> 50% (2025 tranche)",
    raises=True,
)
US_EV_BATT = _m(
    "us_2024_ev_batteries",
    "US 2024: EV batteries",
    0.25,
    "2024-09-27",
    None,
    f"{_REVIEW}: Li-ion EV batteries 7.5 -> 25%",
    raises=True,
)
US_BATT_PARTS = _m(
    "us_2024_battery_parts",
    "US 2024: battery parts",
    0.25,
    "2024-09-27",
    None,
    f"{_REVIEW}: battery parts 7.5 -> 25%",
    raises=True,
)
US_MINERALS = _m(
    "us_2024_minerals",
    "US 2024: critical minerals",
    0.25,
    "2024-09-27",
    None,
    f"{_REVIEW}: certain critical minerals 0 -> 25%",
)
US_STEEL_ALU = _m(
    "us_2024_steel_alu",
    "US 2024: steel/aluminium products",
    0.25,
    "2024-09-27",
    None,
    f"{_REVIEW}: steel/aluminium products 0-7.5 -> 25%",
)
US_CRANES = _m(
    "us_2024_cranes",
    "US 2024: ship-to-shore cranes",
    0.25,
    "2024-09-27",
    None,
    f"{_REVIEW}: ship-to-shore cranes 0 -> 25%",
)
US_SYRINGES = _m(
    "us_2024_syringes",
    "US 2024: syringes and needles",
    1.00,
    "2024-09-27",
    None,
    f"{_REVIEW}: syringes/needles 0 -> 100%",
)
US_MASKS = _m(
    "us_2024_masks",
    "US 2024: masks and respirators",
    0.25,
    "2024-09-27",
    None,
    f"{_REVIEW}: masks/respirators -> 25% (2024)",
    raises=True,
)
US_GLOVES = _m(
    "us_2025_gloves",
    "US 2025: medical gloves",
    0.50,
    "2025-01-01",
    None,
    f"{_REVIEW}: medical gloves 7.5 -> 50% (2025 tranche)",
    raises=True,
)
US_POLYSILICON = _m(
    "us_2025_polysilicon",
    "US 2025: polysilicon and wafers",
    0.50,
    "2025-01-01",
    None,
    "§2 [S13]: polysilicon and wafers -> 50%",
    raises=True,
)
US_TUNGSTEN = _m(
    "us_2025_tungsten",
    "US 2025: tungsten products",
    0.25,
    "2025-01-01",
    None,
    "§2 [S13]: certain tungsten products -> 25%",
)
US_232_STEEL = _m(
    "us_232_steel",
    "US s.232 steel",
    0.25,
    "2018-03-23",
    None,
    "Section 232 steel 25%, as in the module before (PIIE counts it); in force "
    "since 2018-03-23 (date not in the facts file)",
)
US_232_ALU = _m(
    "us_232_aluminium",
    "US s.232 aluminium",
    0.10,
    "2018-03-23",
    None,
    "Section 232 aluminium 10%, as in the module before (PIIE counts it); in "
    "force since 2018-03-23 (date not in the facts file)",
)

_GENERIC = (
    "assumption: Lists 1-3 (~$250 bn) were mostly industrial inputs, machinery, parts and "
    "materials, List 4A (~$120 bn) mostly consumer goods [S3, S4]; 5% of lines unlisted"
)


def _us(l13: float, l4a: float, basis: str = _GENERIC, *extra: Layer) -> tuple[Layer, ...]:
    """Lists 1–3 and 4A on their shares, the rest of the sector untaxed, plus ``extra``."""
    own = l13 + l4a + sum(x.share for x in extra if x.on is None)
    layers = [Layer(US_LISTS_1_3, l13, basis), Layer(US_LIST_4A, l4a, basis), *extra]
    rest = round(1.0 - own, 6)
    if rest > 0:
        layers.append(Layer(US_UNLISTED, rest, "the rest of the sector (closed form 1 - listed)"))
    return tuple(layers)


def _l(measure: Measure, share: float, basis: str, on: str | None = None) -> Layer:
    return Layer(measure, share, basis, on)


#: Default world's 2022 CHN→USA cells, US$ million (OECD ICIO at basic prices), used as
#: denominators of the shares taken from US import values [S108].
CHN_USA_2022_C26 = 108_203.0
CHN_USA_2022_C31T33 = 66_815.4
CHN_USA_2022_C27 = 57_397.0

#: US imports from China in 2024, US$ bn (facts §8b [S108]).
PHONES_2024, COMPUTERS_2024, TOYS_2024, VIDEO_GAMES_2024 = 50.1, 35.5, 13.5, 7.1
BATTERIES_2024 = 17.0

#: List 4B share of C26: phones and computers [S108] over the 2022 cell (0.791).
C26_UNTAXED = round((PHONES_2024 + COMPUTERS_2024) * 1e3 / CHN_USA_2022_C26, 3)
#: List 4B share of C31T33: toys, video and card games incl. consoles [S108] (0.308).
C31T33_UNTAXED = round((TOYS_2024 + VIDEO_GAMES_2024) * 1e3 / CHN_USA_2022_C31T33, 3)
#: Li-ion/electric batteries (List 4A until 2024) in C27 [S105, S108] (0.296).
C27_BATTERIES = round(BATTERIES_2024 * 1e3 / CHN_USA_2022_C27, 3)

_C26_BASIS = (
    f"phones $50.1 bn + computers $35.5 bn of 2024 US imports from China [S108] are "
    f"{C26_UNTAXED:.1%} of the 2022 CHN->USA C26 cell ($108.2 bn): List 4B, never taxed "
    "(assumption: all laptops/tablets, S108 does not split computers); of the rest, "
    "assumption: chips, displays, parts and instruments on Lists 1-3, smartwatches and "
    "audio goods on 4A"
)
_C31_BASIS = (
    f"toys $13.5 bn + video and card games (consoles, HS 9504) $7.1 bn of 2024 US imports "
    f"from China [S108] are {C31T33_UNTAXED:.1%} of the 2022 C31T33 cell ($66.8 bn): List "
    "4B, never taxed; assumption: furniture, seats ($6.6 bn [S108]), lamps and medical "
    "instruments on Lists 1-3, sporting goods, jewellery and household goods on 4A"
)

US_ON_CHINA: Mapping[str, tuple[Layer, ...]] = MappingProxyType(
    {
        "A01": _us(0.65, 0.30),
        "A02": _us(0.90, 0.05),
        "A03": _us(0.85, 0.10, "assumption: seafood mostly on List 3, the rest on 4A"),
        "B05": _us(0.90, 0.05),
        "B06": _us(0.90, 0.05),
        "B07": _us(
            0.80,
            0.05,
            "assumption: ores on List 3; critical minerals were left off the lists until 2024",
            _l(US_MINERALS, 0.10, "assumption: critical-mineral ores 10% of the cell (0 -> 25%)"),
        ),
        "B08": _us(0.90, 0.05),
        "B09": _us(0.90, 0.05),
        "C10T12": _us(0.60, 0.35, "assumption: processed food split List 3 / List 4A"),
        "C13T15": _us(
            0.15,
            0.75,
            "assumption: yarns, fabrics and leather on List 3; apparel and footwear (~$54 bn of "
            "2017 imports [S101, unverified]) mostly List 4A; 10% (apparel/footwear lines of "
            "List 4B) untaxed",
            _l(US_LIST_4B, 0.10, "assumption: apparel and footwear lines of List 4B"),
            _l(
                US_MASKS,
                0.01,
                "assumption: masks 1% of the cell, on List 4A before 2024",
                on=US_LIST_4A.key,
            ),
        ),
        "C16": _us(0.90, 0.05),
        "C17_18": _us(0.70, 0.25, "assumption: paper on List 3, printed matter on List 4A"),
        "C19": _us(0.90, 0.05),
        "C20": _us(
            0.90,
            0.05,
            _GENERIC,
            _l(
                US_POLYSILICON,
                0.01,
                "assumption: polysilicon and wafers (HS 2804, 3818) 1% of "
                "the cell, on List 1-3 at 25% before",
                on=US_LISTS_1_3.key,
            ),
        ),
        "C21": _us(
            0.06,
            0.03,
            "packaged medicines $6.1 bn of 2024 US imports from China [S108] are 91% of the "
            "2022 C21 cell ($6.7 bn): left off the lists (assumption from the lists as "
            "reported); active ingredients split Lists 1-3 / 4A",
        ),
        "C22": _us(
            0.70,
            0.25,
            _GENERIC,
            _l(
                US_GLOVES,
                0.04,
                "assumption: medical gloves 4% of the cell, on 4A before",
                on=US_LIST_4A.key,
            ),
        ),
        "C23": _us(0.85, 0.10),
        "C24A": _us(
            0.95,
            0.0,
            "assumption: iron and steel on Lists 1-3",
            _l(US_STEEL_ALU, 0.03, "assumption: steel products at 0% before 2024, 3% of the cell"),
            _l(US_232_STEEL, 1.0, "basic iron and steel: all of C24A under s.232", on="sector"),
        ),
        "C24B": _us(
            0.90,
            0.03,
            _GENERIC,
            _l(US_STEEL_ALU, 0.03, "assumption: aluminium products at 0% before 2024, 3%"),
            _l(US_TUNGSTEN, 0.01, "assumption: tungsten products (5 HS subheadings [S13]), 1%"),
            _l(
                US_232_ALU,
                1.0,
                "assumption (the module before): all of C24B under s.232 "
                "aluminium; copper, zinc and other metals make this an upper bound",
                on="sector",
            ),
        ),
        "C25": _us(0.80, 0.15),
        "C26": (
            _l(US_LIST_4B, C26_UNTAXED, _C26_BASIS),
            _l(US_LISTS_1_3, 0.16, _C26_BASIS),
            _l(US_LIST_4A, round(1.0 - C26_UNTAXED - 0.16, 3), _C26_BASIS),
            _l(
                US_SEMIS,
                0.02,
                "assumption: semiconductors 2% of the cell (mostly List 1-2)",
                on=US_LISTS_1_3.key,
            ),
            _l(
                US_SOLAR,
                0.01,
                "assumption: solar cells 1% of the cell (List 1-3 before)",
                on=US_LISTS_1_3.key,
            ),
        ),
        "C27": _us(
            0.60,
            0.35,
            f"Li-ion/electric batteries $17.0 bn of 2024 imports [S108] are {C27_BATTERIES:.1%} "
            "of the 2022 C27 cell ($57.4 bn), List 4A at 7.5% until 2024; with other "
            "appliances, 35% on 4A (assumption); motors, transformers, wiring on Lists 1-3",
            _l(
                US_EV_BATT,
                0.07,
                "assumption: EV batteries a quarter of the batteries' share "
                "(non-EV Li-ion stays 7.5% until 2026 [S9])",
                on=US_LIST_4A.key,
            ),
            _l(US_BATT_PARTS, 0.01, "assumption: battery parts 1% of the cell", on=US_LIST_4A.key),
        ),
        "C28": _us(
            0.90,
            0.05,
            _GENERIC,
            _l(US_CRANES, 0.01, "assumption: ship-to-shore cranes, at 0% before 2024, 1%"),
        ),
        "C29": _us(
            0.90,
            0.05,
            "assumption: vehicles and parts (parts $9.1 bn in 2024 [S108]) on Lists 1-3",
            _l(
                US_EV,
                0.01,
                "assumption: EVs 1% of the cell (on List 1 at 25% before)",
                on=US_LISTS_1_3.key,
            ),
        ),
        "C301": _us(0.90, 0.05),
        "C302T309": _us(
            0.70,
            0.25,
            "assumption: rail and aircraft parts on Lists 1-3, "
            "bicycles and motorcycles partly on 4A",
        ),
        "C31T33": (
            _l(US_LIST_4B, C31T33_UNTAXED, _C31_BASIS),
            _l(US_LISTS_1_3, 0.45, _C31_BASIS),
            _l(US_LIST_4A, round(1.0 - C31T33_UNTAXED - 0.45 - 0.005, 3), _C31_BASIS),
            _l(
                US_SYRINGES,
                0.005,
                "assumption: syringes and needles 0.5% of the cell, at 0% before 2024",
            ),
        ),
    }
)
"""US additional tariffs on Chinese goods, by ICIO sector."""


# --- China's measures on US goods (facts §3) -----------------------------------------

CN_232 = _m(
    "cn_232_retaliation",
    "China: s.232 retaliation",
    0.25,
    "2018-04-02",
    3.0,
    "§3 [S65]: fruit, nuts, wine 15%, pork and aluminium scrap 25% (rates U); ~$3 bn",
)
CN_232_FRUIT = _m(
    "cn_232_fruit_wine",
    "China: s.232 retaliation (fruit, nuts, wine)",
    0.15,
    "2018-04-02",
    3.0,
    "§3 [S65]: the 15% part of the ~$3 bn s.232 retaliation (rates unverified)",
)
CN_L1 = _m(
    "cn_list1",
    "China: List 1 retaliation",
    0.25,
    "2018-07-06",
    34.0,
    "§3 [S5, S66]: 25% on ~$34 bn incl. soybeans, autos, other farm goods",
)
CN_L2 = _m(
    "cn_list2", "China: List 2 retaliation", 0.25, "2018-08-23", 16.0, "§3 [S5]: 25% on ~$16 bn"
)
CN_60 = _m(
    "cn_60bn",
    "China: $60 bn list (mean tier)",
    0.15,
    "2019-06-01",
    60.0,
    "§3 [S5, S68]: 5/10/20/25% since 2019-06-01; 15% = mean of the tiers (assumption)",
)
CN_60_LNG = _m(
    "cn_60bn_lng",
    "China: $60 bn list (LNG, 25% tier)",
    0.25,
    "2019-06-01",
    60.0,
    "§3 [S5, S68]: LNG in the 25% tier (assumption: tier not in the facts)",
)
CN_T1_SOY = _m(
    "cn_list4_t1_soy_crude",
    "China: List 4 tranche 1 (soybeans, crude)",
    0.025,
    "2020-02-14",
    None,
    "§3 [S69-S71]: +5% 2019-09-01, halved to 2.5% 2020-02-14",
)
CN_T1_MEAT = _m(
    "cn_list4_t1_pork_beef",
    "China: List 4 tranche 1 (pork, beef)",
    0.05,
    "2020-02-14",
    None,
    "§3 [S69-S71]: +10% 2019-09-01, halved to 5% 2020-02-14",
)
CN_UNTAXED = _m(
    "cn_untaxed",
    "China: on no list",
    0.0,
    "2018-04-02",
    None,
    "assumption: goods China spared (aircraft [S98], most chips, medicines)",
)


def _cn(*layers: Layer) -> tuple[Layer, ...]:
    own = sum(x.share for x in layers if x.on is None)
    rest = round(1.0 - own, 6)
    if rest > 0:
        layers = (*layers, Layer(CN_UNTAXED, rest, "the rest of the sector (1 - listed)"))
    return tuple(layers)


#: Soybeans' share of the US→China A01 cell: US$ 17.9 bn (2022, USDA FAS [S102, S103])
#: over the default world's US$ 21,267.1 million (the product catalogue's SOYBEANS).
A01_SOYBEANS = 0.8417
#: Beef: US$ 2.2 bn of 2022 US farm exports to China [S102] over the C10T12 cell (5,980.2).
C10T12_BEEF = round(2.2e3 / 5_980.2, 2)
#: Crude: $4.4 bn of the $6.9 bn crude + natural gas exports of 2017 [S87].
B06_CRUDE = round(4.4 / (4.4 + 2.5), 2)

_CN_GENERIC = "assumption: on the $60 bn list (most manufactures; facts §3 gives no split)"

CHINA_ON_US: Mapping[str, tuple[Layer, ...]] = MappingProxyType(
    {
        "A01": _cn(
            _l(
                CN_L1,
                0.97,
                f"soybeans {A01_SOYBEANS:.1%} of the cell [S102, S103] plus corn, "
                "wheat, cotton, sorghum (assumption) on List 1 [S66]",
            ),
            _l(CN_232_FRUIT, 0.03, "assumption: fresh fruit and nuts 3% of the cell"),
            _l(
                CN_T1_SOY,
                A01_SOYBEANS,
                "soybeans (catalogue share [S102, S103]) taxed again by "
                "tranche 1: 25% + 2.5% [S66, S70]",
                on=CN_L1.key,
            ),
        ),
        "A02": _cn(_l(CN_60, 0.90, "assumption: logs on the $60 bn list")),
        "A03": _cn(_l(CN_L1, 0.90, "assumption: seafood on List 1 [S66]")),
        "B05": _cn(_l(CN_L2, 0.95, "assumption: coal on List 2")),
        "B06": _cn(
            _l(
                CN_T1_SOY,
                B06_CRUDE,
                f"crude oil: $4.4 bn of $6.9 bn crude + gas in 2017 [S87] "
                f"= {B06_CRUDE:.0%}; tranche 1 at 2.5% [S70]",
            ),
            _l(
                CN_60_LNG,
                round(1 - B06_CRUDE, 2),
                "natural gas (LNG), the rest of 2017's crude + gas [S87], on the $60 bn list",
            ),
        ),
        "B07": _cn(_l(CN_60, 0.70, _CN_GENERIC)),
        "B08": _cn(_l(CN_60, 0.70, _CN_GENERIC)),
        "C10T12": _cn(
            _l(
                CN_L1,
                0.72,
                f"beef ({C10T12_BEEF:.0%}: $2.2 bn in 2022 [S102]), pork (15%, "
                "assumption) and other food (20%, assumption) on List 1 [S66]",
            ),
            _l(CN_232_FRUIT, 0.02, "assumption: wine 2% of the cell"),
            _l(CN_60, 0.23, _CN_GENERIC),
            _l(
                CN_232,
                0.15,
                "pork (assumption 15%): s.232 retaliation 25% [S65] on top of List 1",
                on=CN_L1.key,
            ),
            _l(
                CN_T1_MEAT,
                round(C10T12_BEEF + 0.15, 2),
                "pork and beef taxed again by tranche 1 at 5% [S70]",
                on=CN_L1.key,
            ),
        ),
        "C13T15": _cn(_l(CN_60, 0.90, _CN_GENERIC)),
        "C16": _cn(_l(CN_60, 0.90, _CN_GENERIC)),
        "C17_18": _cn(_l(CN_60, 0.80, _CN_GENERIC)),
        "C19": _cn(
            _l(CN_L2, 0.60, "assumption: fuels on List 2"),
            _l(CN_60, 0.20, _CN_GENERIC),
        ),
        "C20": _cn(
            _l(CN_L2, 0.30, "assumption: chemicals on List 2"),
            _l(CN_60, 0.50, _CN_GENERIC),
        ),
        "C21": _cn(_l(CN_60, 0.20, "assumption: medicines mostly spared")),
        "C22": _cn(_l(CN_L2, 0.20, "assumption: plastics on List 2"), _l(CN_60, 0.60, _CN_GENERIC)),
        "C23": _cn(_l(CN_60, 0.80, _CN_GENERIC)),
        "C24A": _cn(
            _l(CN_L2, 0.40, "assumption: steel products on List 2"), _l(CN_60, 0.50, _CN_GENERIC)
        ),
        "C24B": _cn(
            _l(
                CN_232,
                0.30,
                "assumption: aluminium scrap 30% of the cell, s.232 retaliation 25% [S65]",
            ),
            _l(CN_60, 0.50, _CN_GENERIC),
        ),
        "C25": _cn(_l(CN_60, 0.80, _CN_GENERIC)),
        "C26": _cn(
            _l(CN_L2, 0.05, "assumption: a few instruments on List 2"),
            _l(
                CN_60,
                0.25,
                "assumption: most chips spared (semiconductors $6.8 bn of 2023 "
                "exports [S104] are 36% of the 2022 cell); the rest partly on the $60 bn list",
            ),
        ),
        "C27": _cn(_l(CN_60, 0.70, _CN_GENERIC)),
        "C28": _cn(_l(CN_60, 0.70, _CN_GENERIC)),
        "C29": _cn(_l(CN_L1, 0.90, "autos on List 1 [S5, S66], as the facts file gives them")),
        "C301": _cn(_l(CN_60, 0.50, _CN_GENERIC)),
        "C302T309": _cn(
            _l(
                CN_60,
                0.10,
                "civil aircraft (top US export, $16.3 bn in 2017 [S98]) "
                "spared; parts on the $60 bn list (assumption)",
            )
        ),
        "C31T33": _cn(
            _l(CN_L2, 0.20, "assumption: medical equipment on List 2"),
            _l(CN_60, 0.50, _CN_GENERIC),
        ),
    }
)
"""China's additional tariffs on US goods, by ICIO sector."""

TABLES: Mapping[str, tuple[Mapping[str, tuple[Layer, ...]], str, str]] = MappingProxyType(
    {
        "US on China": (US_ON_CHINA, "CHN", "USA"),
        "China on US": (CHINA_ON_US, "USA", "CHN"),
    }
)
"""Each direction: (its table, exporter, importer)."""


def layer_rate(layer: Layer, layers: Sequence[Layer]) -> float:
    """The additional rate a layer adds on its share (a raise adds the difference)."""
    if layer.measure.raises and layer.on not in (None, "sector"):
        base = next(x.measure.rate for x in layers if x.measure.key == layer.on)
        return layer.measure.rate - base
    return layer.measure.rate


def sector_rate(layers: Sequence[Layer]) -> float:
    """A sector's additional ad-valorem rate: Σ share × rate, with nothing scaled."""
    return float(sum(layer.share * layer_rate(layer, layers) for layer in layers))


def covered_share(layers: Sequence[Layer]) -> float:
    """Share of a sector's imports under some additional tariff (overlaps counted once)."""
    own = sum(x.share for x in layers if x.on is None and x.measure.rate > 0)
    whole = max((x.share for x in layers if x.on == "sector"), default=0.0)
    return float(min(1.0, max(own, whole)))


def check_table(table: Mapping[str, Sequence[Layer]], tol: float = 1e-9) -> None:
    """Raises :class:`WorldError` unless the layers of every sector are consistent.

    Disjoint layers' shares add to at most 1; a layer on another covers at most that
    layer's share; shares lie in [0, 1].
    """
    for sector, layers in table.items():
        own = {x.measure.key: x.share for x in layers if x.on is None}
        total = sum(x.share for x in layers if x.on is None)
        if total > 1.0 + tol:
            raise WorldError(f"trade-war layers of {sector} cover {total:.3f} > 1 of it")
        for x in layers:
            if not 0.0 <= x.share <= 1.0 + tol:
                raise WorldError(f"{sector}: {x.measure.key} share {x.share} not in [0, 1]")
            if x.on not in (None, "sector"):
                if x.on not in own:
                    raise WorldError(f"{sector}: {x.measure.key} is on {x.on}, not in sector")
                if x.share > own[x.on] + tol:
                    raise WorldError(f"{sector}: {x.measure.key} exceeds the share of {x.on}")


def _direction_inputs(
    sectors: Sequence[str],
    flows_eis: np.ndarray,
    exporter: int,
    importer: int,
) -> np.ndarray:
    """The direction's goods flows (sectors of either table; services get weight 0)."""
    goods = np.array([s in US_ON_CHINA or s in CHINA_ON_US for s in sectors])
    return np.where(goods, np.asarray(flows_eis, dtype=np.float64)[exporter, importer, :], 0.0)


def coverage_table(
    flows_eis: np.ndarray,
    countries: Sequence[str],
    sectors: Sequence[str],
) -> pd.DataFrame:
    """Each direction's layers with their weight in its goods imports (machine-readable).

    Columns: ``direction``, ``layer`` (measure key), ``name``, ``rate`` (statutory rate
    in force on 20 January 2025), ``since``, ``covered_share`` (flow-weighted share of
    the direction's goods imports the layer covers, over ``flows_eis``), ``points``
    (its contribution to the trade-weighted average, in rate units), ``sectors`` and
    ``basis`` (the measure's sources).  ``flows_eis`` is [exporter, importer, sector].
    """
    codes = list(countries)
    rows = []
    for direction, (table, exp, imp) in TABLES.items():
        flow = _direction_inputs(sectors, flows_eis, codes.index(exp), codes.index(imp))
        total = flow.sum()
        acc: dict[str, dict] = {}
        for k, s in enumerate(sectors):
            layers = table.get(s, ())
            for layer in layers:
                m = layer.measure
                row = acc.setdefault(
                    m.key,
                    {
                        "direction": direction,
                        "layer": m.key,
                        "name": m.name,
                        "rate": m.rate,
                        "since": m.since.isoformat(),
                        "covered_share": 0.0,
                        "points": 0.0,
                        "sectors": [],
                        "basis": m.sources,
                    },
                )
                row["covered_share"] += layer.share * flow[k] / total
                row["points"] += layer.share * layer_rate(layer, layers) * flow[k] / total
                if layer.share > 0:
                    row["sectors"].append(s)
        for row in acc.values():
            row["sectors"] = " ".join(row["sectors"])
            rows.append(row)
    return pd.DataFrame(rows)


def layers_table() -> pd.DataFrame:
    """Every layer of both directions, one row each (machine-readable).

    Columns: ``direction``, ``sector``, ``layer`` (measure key), ``name``, ``rate``
    (statutory), ``added`` (the rate it adds on its share: the difference for a raise),
    ``share`` (of the sector's bilateral imports), ``on`` and ``basis`` (the rule and
    source of the share).
    """
    rows = [
        {
            "direction": direction,
            "sector": sector,
            "layer": x.measure.key,
            "name": x.measure.name,
            "rate": x.measure.rate,
            "added": layer_rate(x, layers),
            "share": x.share,
            "on": x.on or "",
            "basis": x.basis,
        }
        for direction, (table, _, _) in TABLES.items()
        for sector, layers in table.items()
        for x in layers
    ]
    return pd.DataFrame(rows)


def world_layers_table() -> pd.DataFrame:
    """:func:`layers_table` as the world table ``tariff_layers`` (exporter and importer
    instead of the direction; no stacking column)."""
    table = layers_table()
    pairs = {direction: (exp, imp) for direction, (_, exp, imp) in TABLES.items()}
    return pd.DataFrame(
        {
            "exporter": [pairs[d][0] for d in table["direction"]],
            "importer": [pairs[d][1] for d in table["direction"]],
            "sector": table["sector"],
            "layer": table["layer"],
            "name": table["name"],
            "basis": table["basis"],
            "rate": table["rate"].astype(float),
            "added": table["added"].astype(float),
            "share": table["share"].astype(float),
        }
    )


def coverage_table_for(world) -> pd.DataFrame:
    """:func:`coverage_table` over a world's ``trade`` table (needs regions USA and CHN)."""
    t = world.trade
    regions = list(world.regions["region"])
    sectors = list(world.sectors["sector"])
    cube = (
        t.pivot_table(index=["exporter", "importer"], columns="sector", values="value")
        .reindex(pd.MultiIndex.from_product([regions, regions]), fill_value=0.0)
        .reindex(columns=sectors, fill_value=0.0)
        .to_numpy()
        .reshape(len(regions), len(regions), len(sectors))
    )
    return coverage_table(cube, regions, sectors)


#: PIIE's Phase One figures for the US (facts §5 [S79, S84]): 19.3% average, 66.4%
#: covered, over a pre-war 3.1%.
PIIE_US_FEB2020, PIIE_US_PREWAR = 0.193, 0.031


def _why(
    direction: str,
    rows: pd.DataFrame,
    weights: dict[str, float],
    cover: float,
    after: float,
    before: float,
) -> str:
    """Why the built figures differ from PIIE's, from the computed layer weights.

    ``weights``: each sector's share of the direction's 2022 goods imports.
    """
    on_cover = (after - before) / cover if cover > 0 else 0.0
    if direction == "US on China":
        piie_on_cover = (PIIE_US_FEB2020 - PIIE_US_PREWAR) / PIIE_US_COVERAGE
        l4a = float(rows.loc[rows["layer"] == US_LIST_4A.key, "covered_share"].sum())
        lists = (US_LISTS_1_3, US_LIST_4A)
        announced = sum(m.rate * (m.value_2017_bn or 0.0) for m in lists) / sum(
            m.value_2017_bn or 0.0 for m in lists
        )
        return (
            "PIIE weights tariff lines by their 2017 import values (the lists were announced "
            "on $250 bn for Lists 1-3, $120 bn for List 4A and $160 bn, untaxed, for List "
            f"4B, of ${US_IMPORTS_FROM_CHINA_2017} bn) and counted the exclusions of 2020; "
            "here the weights are 2022 ICIO flows and each sector's split between the lists "
            "is estimated (carve-outs from 2024 import values [S108], the rest assumptions; "
            "see trade_war.coverage_table). PIIE's Phase One figures (19.3% with 66.4% "
            f"covered over a 3.1% pre-war base [S79, S84]) imply {piie_on_cover:.1%} extra on "
            f"covered goods; here covered goods carry {on_cover:.1%} ({l4a / cover:.0%} of the "
            "covered 2022 trade is on List 4A at 7.5%), close to the "
            f"{announced:.1%} the lists' announced 2017 values give (25% on $250 bn, 7.5% on "
            "$120 bn): PIIE's higher figure rests on its product weights, which the facts do "
            f"not give. Phones and computers, never taxed, are {C26_UNTAXED:.0%} of 2022 C26 "
            "by 2024 values [S108]"
        )
    return (
        "PIIE weights by 2017 imports (~$90 bn covered); here by 2022 ICIO flows, in which "
        f"the farm cell A01 (soybeans 84% of it [S102], 25% + 2.5%) is {weights['A01']:.0%} "
        "of US goods sold to China against about 10% for soybeans in 2017 ($12.4 bn of "
        f"~$130 bn [S87, S98]) and aircraft and other transport (C302T309), spared, "
        f"{weights['C302T309']:.0%} against 13% for civil aircraft alone in 2017 ($16.3 bn "
        "[S98]); the $60 bn list enters at the "
        f"mean of its tiers (15%, assumption) and autos at 25% as the facts list them. Covered "
        f"goods carry {on_cover:.1%} extra"
    )


_PIIE = {
    "US on China": (PIIE_US_ON_CHINA, PIIE_US_COVERAGE, "~$335 bn"),
    "China on US": (PIIE_CHINA_ON_US, PIIE_CHINA_COVERAGE, "~$90 bn"),
}
_LABEL = {
    "US on China": "US Section 301 (+232) on Chinese goods",
    "China on US": "China's retaliation on US goods",
}


def add_trade_war_tariffs(
    tariff_eis: np.ndarray,
    countries: Sequence[str],
    sectors: Sequence[str],
    *,
    flows_eis: np.ndarray,
) -> tuple[np.ndarray, list[str]]:
    """Add the US Section 301/232 tariffs and China's retaliation to a tariff array.

    ``tariff_eis`` and ``flows_eis`` are indexed [exporter, importer, sector] over
    ``countries`` (must include USA and CHN) and ``sectors`` (ICIO codes; sectors not in
    the tables, such as services, get nothing).  Each sector's extra rate is
    :func:`sector_rate` of its layers; nothing is scaled.  Returns the new array and
    lines for the world's description: per direction the resulting trade-weighted
    average and covered share beside PIIE's and why they differ, then each layer's
    covered share of the 2022 goods imports (:func:`coverage_table`).
    """
    codes = list(countries)
    for code in ("USA", "CHN"):
        if code not in codes:
            raise WorldError(f"the trade-war tariffs need region {code} in the source data")
    tariff = np.array(tariff_eis, dtype=np.float64, copy=True)
    table_rows = coverage_table(flows_eis, codes, sectors)
    notes = []
    for direction, (table, exp, imp) in TABLES.items():
        check_table(table)
        e, i = codes.index(exp), codes.index(imp)
        flow = _direction_inputs(sectors, flows_eis, e, i)
        extra = np.array([sector_rate(table.get(s, ())) for s in sectors])
        covered = np.array([covered_share(table.get(s, ())) for s in sectors])
        mfn = tariff[e, i, :]
        before = float((mfn * flow).sum() / flow.sum())
        tariff[e, i, :] = mfn + extra
        after = float((tariff[e, i, :] * flow).sum() / flow.sum())
        cover = float((covered * flow).sum() / flow.sum())
        piie, piie_cover, piie_value = _PIIE[direction]
        rows = table_rows[(table_rows["direction"] == direction) & (table_rows["rate"] > 0)]
        layers = "; ".join(
            f"{r.name} {r.rate:.1%} on {r.covered_share:.1%}" for r in rows.itertuples()
        )
        weights = {s: float(flow[k] / flow.sum()) for k, s in enumerate(sectors)}
        why = _why(direction, rows, weights, cover, after, before)
        notes.append(
            f"{_LABEL[direction]}, in force on 20 January 2025, built from the statutory "
            f"lists with no scaling (truce.data.sources.trade_war): trade-weighted average "
            f"(MFN + additional, 2022 goods flows) {after:.1%} (MFN alone {before:.1%}); "
            f"PIIE: {piie:.1%}. Covered share of 2022 goods imports {cover:.1%}; PIIE: "
            f"{piie_cover:.1%} of 2017 imports ({piie_value}). They differ because "
            f"{why}. Layers (rate on share of 2022 imports): {layers}."
        )
    return tariff, notes


__all__ = [
    "CHINA_ON_US",
    "IN_FORCE_ON",
    "PIIE_CHINA_COVERAGE",
    "PIIE_CHINA_ON_US",
    "PIIE_US_COVERAGE",
    "PIIE_US_ON_CHINA",
    "US_ON_CHINA",
    "Layer",
    "Measure",
    "add_trade_war_tariffs",
    "check_table",
    "coverage_table",
    "coverage_table_for",
    "covered_share",
    "layer_rate",
    "layers_table",
    "sector_rate",
]
