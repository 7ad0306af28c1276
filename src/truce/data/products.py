"""Products inside sectors: splitting a sector's cells into a sub-sector.

Some measures target a product, not a sector: rare earths sit inside mining and metals,
soybeans inside crops. A product is a stated share of its parent sector's bilateral
flows (by exporter and importer, with defaults). Splitting a world moves that share of
each of the parent's trade cells into a sub-sector coded ``SECTOR.PRODUCT`` with the
parent's technology: the same trade elasticity (drawn with its parent's in elasticity
draws) unless the product states its own (then fixed in draws), value-added share and
input cost shares (its value added and input purchases are the parent's scaled by the
product's share of the region's gross output), and the same share of every buyer's
intermediate and final use of the parent good as the product has of the region's
absorption. The split world meets every accounting identity the parent world met, and
every flow, tariff and aggregate of the parent is unchanged when the parent and its
product are added up. A product marked critical (:class:`CriticalInput`) also becomes a
row of the world's ``critical_inputs`` table, so that every sector buying it does so
through a CES nest (:mod:`truce.model.technology`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from truce.data.world import World, check_world
from truce.errors import WorldError

#: Separator between a parent sector code and a product code in sub-sector codes.
PRODUCT_SEPARATOR = "."


@dataclass(frozen=True)
class CriticalInput:
    """What makes a product a critical input: the elasticity of substitution σ between
    it and the rest of a using sector's costs, and where σ comes from."""

    sigma: float
    sigma_se: float
    """The standard error elasticity draws give σ (0: held fixed)."""
    source: str


@dataclass(frozen=True)
class Product:
    """A product as a share of its parent sector's bilateral flows."""

    code: str
    sector: str
    """The parent sector's code."""
    name: str
    default_share: float
    """Share of every parent cell without a more specific entry (domestic cells too)."""
    shares: Mapping[tuple[str, str], float] = field(default_factory=dict)
    """Shares by (exporter, importer); ``"*"`` stands for any importer or exporter."""
    source: str = ""
    """Where the shares come from, or the reasoning behind them."""
    theta: float | None = None
    """The product's own trade elasticity across origins; ``None``: its parent's."""
    theta_source: str = ""
    """Where :attr:`theta` comes from."""
    critical: CriticalInput | None = None
    """Set when the product is a critical input of the sectors that buy it."""

    @property
    def sub_sector(self) -> str:
        """The code of the sub-sector the split creates."""
        return f"{self.sector}{PRODUCT_SEPARATOR}{self.code}"

    def share(self, exporter: str, importer: str) -> float:
        """The product's share of the parent cell exporter → importer."""
        for key in ((exporter, importer), (exporter, "*"), ("*", importer)):
            if key in self.shares:
                return self.shares[key]
        return self.default_share


def split_products(world: World, products: Iterable[Product]) -> World:
    """``world`` with each product split out of its parent sector (see module doc)."""
    for product in products:
        world = _split_one(world, product)
    return world


def _split_one(world: World, product: Product) -> World:
    parent, sub = product.sector, product.sub_sector
    sectors = world.sectors
    if parent not in set(sectors["sector"]):
        raise WorldError(
            f"product {product.code!r} belongs to sector {parent!r}, which world "
            f"{world.name!r} does not have"
        )
    if sub in set(sectors["sector"]):
        return world  # already split

    trade = world.trade
    in_parent = trade["sector"] == parent
    rows = trade[in_parent]
    share = np.array(
        [product.share(e, i) for e, i in zip(rows["exporter"], rows["importer"], strict=True)],
        dtype=np.float64,
    )
    if np.any((share < 0) | (share > 1)):
        raise WorldError(f"product {product.code!r}: shares must lie in [0, 1]")
    moved = rows.assign(sector=sub, value=rows["value"].to_numpy() * share)
    kept = rows.assign(value=rows["value"].to_numpy() * (1.0 - share))
    new_trade = pd.concat([trade[~in_parent], kept, moved], ignore_index=True)

    # The product's share of each region's gross output (g) and absorption (a).
    def by(frame: pd.DataFrame, key: str, value: pd.Series) -> pd.Series:
        return value.groupby(frame[key]).sum()

    gross_sub = by(moved, "exporter", moved["value"])
    gross_all = by(rows, "exporter", rows["value"])
    absorb_sub = by(moved, "importer", moved["value"] * (1.0 + moved["tariff"]))
    absorb_all = by(rows, "importer", rows["value"] * (1.0 + rows["tariff"]))
    g = (gross_sub / gross_all).fillna(0.0)
    a = (absorb_sub / absorb_all).fillna(0.0)

    new_va = _divide(world.value_added, "sector", parent, sub, g)
    new_io = world.io
    if new_io is not None:
        # Outputs first (the sub-sector buys like its parent), then inputs (buyers buy
        # the product in proportion to its share of their region's absorption).
        new_io = _divide(new_io, "output_sector", parent, sub, g)
        new_io = _divide(new_io, "input_sector", parent, sub, a)
    new_fd = world.final_demand
    if new_fd is not None:
        new_fd = _divide(new_fd, "sector", parent, sub, a, value="share")
    new_se = world.theta_se
    if new_se is not None and product.theta is None:
        # The sub-sector's elasticity is its parent's, draw for draw.
        parent_rows = new_se[new_se["sector"] == parent]
        new_se = pd.concat([new_se, parent_rows.assign(sector=sub)], ignore_index=True)
    new_sources = world.elasticities
    if new_sources is not None:  # its own or its parent's under every published source
        parent_rows = new_sources[new_sources["sector"] == parent]
        if product.theta is not None:
            parent_rows = parent_rows.assign(theta=product.theta)
        new_sources = pd.concat([new_sources, parent_rows.assign(sector=sub)], ignore_index=True)
    new_critical = world.critical_inputs
    if product.critical is not None:
        row = pd.DataFrame(
            {
                "sector": [sub],
                "source": [product.critical.source],
                "sigma": [product.critical.sigma],
                "sigma_se": [product.critical.sigma_se],
            }
        )
        new_critical = row if new_critical is None else pd.concat([new_critical, row])
        new_critical = new_critical.reset_index(drop=True)

    position = int(np.flatnonzero(sectors["sector"].to_numpy() == parent)[0])
    theta = float(sectors["theta"].iloc[position]) if product.theta is None else product.theta
    new_sectors = pd.concat(
        [
            sectors.iloc[: position + 1],
            pd.DataFrame({"sector": [sub], "name": [product.name], "theta": [theta]}),
            sectors.iloc[position + 1 :],
        ],
        ignore_index=True,
    )
    split = replace(
        world,
        sectors=new_sectors,
        trade=new_trade,
        value_added=new_va,
        io=new_io,
        final_demand=new_fd,
        theta_se=new_se,
        elasticities=new_sources,
        critical_inputs=new_critical,
        description=world.description
        + f"\n\nProduct split: {product.sub_sector} ({product.name}) out of {parent}. "
        + product.source
        + _technology_note(product),
    )
    return check_world(split)


def with_critical_sigma(world: World, sigma: float, source: str) -> World:
    """``world`` with every critical input's elasticity of substitution set to
    ``sigma`` (``source`` says who chose it) and held fixed in elasticity draws (a
    chosen value, not an estimate); a world without critical inputs comes back
    unchanged."""
    table = world.critical_inputs
    if table is None or len(table) == 0:
        return world
    chosen = table.assign(sigma=sigma, sigma_se=0.0, source=source)
    return check_world(replace(world, critical_inputs=chosen))


def _technology_note(product: Product) -> str:
    """What the split world's description says about the product's own parameters."""
    note = ""
    if product.theta is not None:
        note += f" Trade elasticity {product.theta:g}: {product.theta_source}"
    if product.critical is not None:
        note += (
            f" A critical input of the sectors buying it (elasticity of substitution "
            f"{product.critical.sigma:g}): {product.critical.source}"
        )
    return note


def _divide(
    frame: pd.DataFrame,
    column: str,
    parent: str,
    sub: str,
    fraction: pd.Series,
    *,
    value: str = "value",
) -> pd.DataFrame:
    """Move ``fraction`` (by region) of each ``parent`` row's ``value`` to a ``sub`` row."""
    rows = frame[column] == parent
    part = frame[rows]
    f = fraction.reindex(part["region"]).fillna(0.0).to_numpy()
    amount = part[value].to_numpy()
    return pd.concat(
        [
            frame[~rows],
            part.assign(**{value: amount * (1.0 - f)}),
            part.assign(**{column: sub, value: amount * f}),
        ],
        ignore_index=True,
    )
