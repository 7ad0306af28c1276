"""The US–China trade-war tariffs added to the 2021 tariff file (data.sources.trade_war).

Expected values: the calibration's defining property (the flow-weighted average equals
PIIE's published figure), the statutory rates of targeted measures, and invariants
(no other cell changes).
"""

import numpy as np
import pytest

from truce.data.sources.trade_war import (
    CHINA_ON_US,
    PIIE_CHINA_ON_US,
    PIIE_US_ON_CHINA,
    US_ON_CHINA,
    add_trade_war_tariffs,
)
from truce.errors import WorldError

SECTORS = [*US_ON_CHINA, "SVC"]
COUNTRIES = ["CHN", "DEU", "USA"]


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    shape = (len(COUNTRIES), len(COUNTRIES), len(SECTORS))
    flows = rng.lognormal(size=shape)
    # MFN-like rates averaging about 8%, as China's on US goods in the 2021 file.
    tariff = rng.uniform(0.0, 0.16, size=shape)
    for k in range(len(COUNTRIES)):
        tariff[k, k, :] = 0.0
    tariff[:, :, -1] = 0.0  # services untaxed
    return tariff, flows


def _average(tariff, flows, exporter, importer):
    goods = slice(0, len(SECTORS) - 1)
    w = flows[exporter, importer, goods]
    return float((tariff[exporter, importer, goods] * w).sum() / w.sum())


def test_averages_hit_the_piie_figures_and_nothing_else_moves():
    tariff, flows = _inputs()
    new, notes = add_trade_war_tariffs(tariff, COUNTRIES, SECTORS, flows_eis=flows)
    chn, usa = COUNTRIES.index("CHN"), COUNTRIES.index("USA")
    assert _average(new, flows, chn, usa) == pytest.approx(PIIE_US_ON_CHINA, abs=1e-9)
    assert _average(new, flows, usa, chn) == pytest.approx(PIIE_CHINA_ON_US, abs=1e-9)
    changed = new != tariff
    changed[chn, usa, :] = False
    changed[usa, chn, :] = False
    assert not changed.any()
    assert new[chn, usa, -1] == 0.0 and new[usa, chn, -1] == 0.0  # services untouched
    assert np.all(new >= tariff)
    assert len(notes) == 2 and all("PIIE" in line for line in notes)


def test_targeted_measures_keep_their_statutory_rates():
    # Section 232 on steel (25%) applies to every Chinese steel product, whatever the
    # calibration: the steel sector's extra duty is at least 25 points.
    tariff, flows = _inputs(1)
    new, _ = add_trade_war_tariffs(tariff, COUNTRIES, SECTORS, flows_eis=flows)
    chn, usa, steel = COUNTRIES.index("CHN"), COUNTRIES.index("USA"), SECTORS.index("C24A")
    assert new[chn, usa, steel] - tariff[chn, usa, steel] >= 0.25
    # No sector's broad-list coverage exceeds its imports: the extra duty is at most the
    # highest statutory rate of its layers plus the targeted ones.
    for table, (e, i) in ((US_ON_CHINA, (chn, usa)), (CHINA_ON_US, (usa, chn))):
        for s, layers in table.items():
            k = SECTORS.index(s)
            bound = max(layer.rate for layer in layers if layer.scalable) + sum(
                layer.rate * layer.share for layer in layers if not layer.scalable
            )
            assert new[e, i, k] - tariff[e, i, k] <= bound + 1e-12


def test_an_unreachable_average_is_an_error():
    # With MFN rates near zero and every list at full coverage, China's average stays
    # below 21.2% (its lists are mostly at 15-25%): the builder must say so, not fudge.
    tariff, flows = _inputs()
    with pytest.raises(WorldError, match="cannot reach"):
        add_trade_war_tariffs(tariff * 0.0, COUNTRIES, SECTORS, flows_eis=flows)


def test_needs_both_countries():
    tariff, flows = _inputs()
    with pytest.raises(WorldError, match="USA"):
        add_trade_war_tariffs(tariff, ["CHN", "DEU", "FRA"], SECTORS, flows_eis=flows)
