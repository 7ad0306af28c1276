"""Splitting a product out of its parent sector (truce.data.products).

Expected values are invariants of the split: parent plus product add back to the
original flows, value added and input purchases; identities still hold; a world split
and solved with no measures reproduces itself; and the product's share of a cell is the
stated share.
"""

import numpy as np
import pytest

import truce
from truce.data.calibrate import world_to_baseline
from truce.data.products import Product, split_products
from truce.model.baseline import no_shock
from truce.model.solve import solve

SOY = Product(
    code="soybeans",
    sector="A01",
    name="Soybeans",
    default_share=0.05,
    shares={("USA", "CHN"): 0.84, ("BRA", "*"): 0.5},
    source="test shares",
)


@pytest.fixture(scope="module")
def worlds():
    world = truce.load_world("default")
    return world, split_products(world, [SOY])


def _total(frame, keys, code_col, parent, sub):
    merged = frame.assign(**{code_col: frame[code_col].replace(sub, parent)})
    return merged.groupby(keys)["value"].sum()


def test_parent_plus_product_add_back(worlds):
    world, split = worlds
    keys = ["exporter", "importer", "sector"]
    before = world.trade.groupby(keys)["value"].sum()
    after = _total(split.trade, keys, "sector", "A01", SOY.sub_sector)
    np.testing.assert_allclose(after.reindex(before.index), before, rtol=1e-12)
    va_before = world.value_added.groupby(["region", "sector"])["value"].sum()
    va_after = _total(split.value_added, ["region", "sector"], "sector", "A01", SOY.sub_sector)
    np.testing.assert_allclose(va_after.reindex(va_before.index), va_before, rtol=1e-12)


def test_stated_shares(worlds):
    _, split = worlds
    t = split.trade.set_index(["exporter", "importer", "sector"])["value"]
    for (e, i), share in [(("USA", "CHN"), 0.84), (("BRA", "USA"), 0.5), (("JPN", "KOR"), 0.05)]:
        total = t[(e, i, "A01")] + t[(e, i, SOY.sub_sector)]
        assert t[(e, i, SOY.sub_sector)] == pytest.approx(share * total, rel=1e-12)


def test_split_world_is_its_own_equilibrium(worlds):
    _, split = worlds
    baseline = world_to_baseline(split)  # runs the identity checks
    assert baseline.sectors.index(SOY.sub_sector) == baseline.sectors.index("A01") + 1
    eq = solve(baseline, no_shock(baseline))
    np.testing.assert_allclose(eq.w_hat_n, 1.0, atol=1e-10)
    np.testing.assert_allclose(eq.flow_sni, baseline.flow_sni, rtol=1e-9, atol=1e-9)
    theta = dict(zip(split.sectors["sector"], split.sectors["theta"], strict=True))
    assert theta[SOY.sub_sector] == theta["A01"]


def test_unknown_parent_is_an_error():
    world = truce.load_world("cp2015")
    with pytest.raises(truce.WorldError, match="A01"):
        split_products(world, [SOY])
