"""Household counts of the source economies (``builtin/sources/households.csv``), summed
into a world's regions: the ``households`` table of docs/worlds.md.

Each economy's count names its source: World Bank WDI population for 2022 over the
latest average household size of UN DESA's "Household Size and Composition 2022", or a
national statistical office's count where the UN has none or an old one.  A region
gets a count only when every one of its economies has one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from truce.config import builtin_folder

#: The world source line for the counts.
HOUSEHOLDS_SOURCE = (
    "Households: World Bank, World Development Indicators, population 2022 (SP.POP.TOTL, "
    "CC BY 4.0) over UN DESA Population Division, 'Household Size and Composition 2022', "
    "latest average household size; national counts for China (2020 census), Denmark, "
    "Sweden, Iceland and Taiwan (each named in truce's households.csv)"
)


def economy_households() -> pd.DataFrame:
    """The committed counts: columns ``economy`` (ISO3), ``households``, ``source``."""
    return pd.read_csv(builtin_folder("sources") / "households.csv")


def region_households(
    regions: Sequence[str], region_of: Mapping[str, str], economies: Sequence[str]
) -> tuple[pd.DataFrame, str]:
    """The ``households`` table of regions made of ``economies`` (``region_of`` maps
    each to its region), and a sentence for the world's description naming the regions
    left without a count and why."""
    table = economy_households()
    counts = dict(zip(table["economy"], table["households"], strict=True))
    sources = dict(zip(table["economy"], table["source"], strict=True))
    rows, missing = [], []
    for region in regions:
        members = [e for e in economies if region_of[e] == region]
        lacking = [e for e in members if e not in counts]
        if lacking:
            missing.append(f"{region} (no count for {', '.join(lacking)})")
            continue
        if members == [region] or len(members) == 1:
            source = sources[members[0]]
        else:
            source = (
                f"sum over its {len(members)} economies, each from its own source "
                "(WDI population 2022 / UN DESA average household size, or a national count)"
            )
        rows.append(
            {
                "region": region,
                "source": source,
                "households": float(sum(counts[e] for e in members)),
            }
        )
    note = (
        "Households (for welfare per household): summed over each region's economies from "
        "truce's households.csv" + (f"; none for {'; '.join(missing)}" if missing else "") + "."
    )
    return pd.DataFrame(rows, columns=["region", "source", "households"]), note
