"""Household counts of a world's regions (the optional ``households`` table,
docs/worlds.md): what turns a region's welfare change in dollars into dollars per
household."""

from __future__ import annotations

import numpy as np

from truce.data.world import World


def households_by_region(world: World) -> np.ndarray | None:
    """The number of households of each region, in the world's region order (NaN for a
    region without a count); None when the world has no ``households`` table."""
    table = world.households
    if table is None:
        return None
    counts = dict(zip(table["region"], table["households"], strict=True))
    return np.asarray(
        [counts.get(region, np.nan) for region in world.regions["region"]], dtype=np.float64
    )
