"""The tariffwar package's WIOD 2014 data as a world (``truce world import wiod2014``).

Expected values are the data set's own totals as docs/PROVENANCE of the shared data
states them (CHN→USA goods 337.0 bn and US gross output 31.1 tn, both gross of
tariffs) and the invariant that solving the base with no measure changes nothing.
Skipped, with the reason printed, where the shared data are absent.
"""

from __future__ import annotations

import pytest
from conftest import WIOD2014 as SOURCE

from truce import api
from truce.policy.parse import parse_scenario

pytestmark = pytest.mark.skipif(
    not SOURCE.is_dir(), reason=f"the shared data set {SOURCE} is absent"
)


def test_the_world_keeps_the_data_sets_totals(wiod) -> None:
    world = api.load_world(wiod)
    assert (len(world.regions), len(world.sectors)) == (44, 16)
    trade = world.trade.assign(gross=lambda t: t["value"] * (1.0 + t["tariff"]))
    goods = trade[trade["sector"] != "SVC"]
    china_to_us = goods[(goods["exporter"] == "CHN") & (goods["importer"] == "USA")]
    assert china_to_us["gross"].sum() / 1e3 == pytest.approx(337.0, abs=0.05)
    us_output = trade[trade["exporter"] == "USA"]["gross"].sum()
    assert us_output / 1e6 == pytest.approx(31.1, abs=0.05)
    assert set(world.elasticities["source"]) == {
        "is", "u4", "cp", "bsy", "gyy", "shapiro", "fontagne", "ll"
    }  # fmt: skip


def test_the_base_solves_to_itself(wiod) -> None:
    result = api.run(wiod, parse_scenario(f"name: base\nworld: {wiod}\n"))
    assert result.solver.residual <= 1e-11
    assert result.regions["welfare_pct"].abs().max() <= 1e-9
