"""The US–China trade-war tariffs added to the 2021 tariff file (data.sources.trade_war).

Where each expected number comes from (facts = shared/facts/us-china-measures.md):

- statutory rates, dates in force and 2017 list values: facts §2 (US) and §3 (China),
  with the row's source keys beside each;
- PIIE's averages (20.8%, 21.2%) and coverage (66.4%, 58.3%): facts §5;
- the carve-outs: 2024 US import values from China [S108] over the default world's
  2022 CHN→USA cells (US$ million, printed by the builder's source data);
- soybeans' share of the US→China farm cell: 17,900 / 21,267.1 [S102, S103] (the
  product catalogue);
- invariants: the sector rate is Σ share × rate, whatever the trade flows (nothing is
  fitted), disjoint shares add to at most 1, no other cell moves.
"""

from datetime import date

import numpy as np
import pytest

from truce.data.catalogue import DEFAULT_A01_USA_CHN, US_SOYBEAN_EXPORTS_TO_CHINA_2022
from truce.data.sources import trade_war as tw
from truce.data.sources.trade_war import (
    CHINA_ON_US,
    US_ON_CHINA,
    Layer,
    add_trade_war_tariffs,
    check_table,
    coverage_table,
    covered_share,
    layer_rate,
    layers_table,
    sector_rate,
)
from truce.errors import WorldError

SECTORS = [*US_ON_CHINA, "SVC"]
COUNTRIES = ["CHN", "DEU", "USA"]
CHN, USA = COUNTRIES.index("CHN"), COUNTRIES.index("USA")
EXACT = 1e-12  # closed forms of a few float products and sums


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


def _layer(table, sector, key, on=None) -> Layer:
    (layer,) = [x for x in table[sector] if x.measure.key == key and x.on == on]
    return layer


# --------------------------------------------------------------------------- the facts


@pytest.mark.parametrize(
    ("measure", "rate", "since", "value"),
    [
        # §2: List 1 25% 2018-07-06 $34 bn, List 2 25% 2018-08-23 $16 bn, List 3 25%
        # from 2019-05-10 $200 bn [S2-S6]: one layer at 25% since the List 3 rise.
        (tw.US_LISTS_1_3, 0.25, "2019-05-10", 34.0 + 16.0 + 200.0),
        # §2: List 4A 15% → 7.5% on 2020-02-14 (Phase One), ~$120 bn [S3, S4, S8].
        (tw.US_LIST_4A, 0.075, "2020-02-14", 120.0),
        # §2: List 4B ~$160 bn suspended 2019-12-13, never taxed [S3, S4].
        (tw.US_LIST_4B, 0.0, "2019-12-13", 160.0),
        # §2 four-year review, 2024 tranche eff. 2024-09-27 [S9-S12].
        (tw.US_EV, 1.00, "2024-09-27", None),
        (tw.US_SOLAR, 0.50, "2024-09-27", None),
        (tw.US_EV_BATT, 0.25, "2024-09-27", None),
        (tw.US_BATT_PARTS, 0.25, "2024-09-27", None),
        (tw.US_MINERALS, 0.25, "2024-09-27", None),
        (tw.US_STEEL_ALU, 0.25, "2024-09-27", None),
        (tw.US_CRANES, 0.25, "2024-09-27", None),
        (tw.US_SYRINGES, 1.00, "2024-09-27", None),
        (tw.US_MASKS, 0.25, "2024-09-27", None),
        # §2 four-year review, 2025 tranche eff. 2025-01-01 [S9-S13].
        (tw.US_SEMIS, 0.50, "2025-01-01", None),
        (tw.US_GLOVES, 0.50, "2025-01-01", None),
        (tw.US_POLYSILICON, 0.50, "2025-01-01", None),
        (tw.US_TUNGSTEN, 0.25, "2025-01-01", None),
        # §3: s.232 retaliation 2018-04-02 ~$3 bn, 15% and 25% parts [S65].
        (tw.CN_232, 0.25, "2018-04-02", 3.0),
        (tw.CN_232_FRUIT, 0.15, "2018-04-02", 3.0),
        # §3: List 1 and List 2 retaliation at 25% on ~$34 bn and ~$16 bn [S5, S66].
        (tw.CN_L1, 0.25, "2018-07-06", 34.0),
        (tw.CN_L2, 0.25, "2018-08-23", 16.0),
        # §3: the $60 bn list at 5/10/20/25% since 2019-06-01 [S5, S68]: mean tier 15%
        # (closed form (5 + 10 + 20 + 25) / 4), LNG in the 25% tier.
        (tw.CN_60, (0.05 + 0.10 + 0.20 + 0.25) / 4, "2019-06-01", 60.0),
        (tw.CN_60_LNG, 0.25, "2019-06-01", 60.0),
        # §3: List 4 tranche 1 halved on 2020-02-14: 5 → 2.5% (soybeans, crude), 10 → 5%
        # (pork, beef) [S69-S71].
        (tw.CN_T1_SOY, 0.05 / 2, "2020-02-14", None),
        (tw.CN_T1_MEAT, 0.10 / 2, "2020-02-14", None),
    ],
)
def test_measures_match_the_facts(measure, rate, since, value) -> None:
    assert measure.rate == pytest.approx(rate, abs=EXACT)
    assert measure.since == date.fromisoformat(since)
    assert measure.since <= tw.IN_FORCE_ON  # in force on 20 January 2025
    assert measure.value_2017_bn == value
    assert measure.sources


def test_2024_raises_add_the_difference_on_listed_goods() -> None:
    # EVs 25 → 100% [S9]: +75 points on EVs already on Lists 1-3.
    ev = _layer(US_ON_CHINA, "C29", tw.US_EV.key, on=tw.US_LISTS_1_3.key)
    assert layer_rate(ev, US_ON_CHINA["C29"]) == pytest.approx(1.00 - 0.25, abs=EXACT)
    # Medical gloves 7.5 → 50% [S9]: +42.5 points on goods of List 4A.
    gloves = _layer(US_ON_CHINA, "C22", tw.US_GLOVES.key, on=tw.US_LIST_4A.key)
    assert layer_rate(gloves, US_ON_CHINA["C22"]) == pytest.approx(0.50 - 0.075, abs=EXACT)
    # Syringes 0 → 100% [S9]: new goods, the full rate, own share (not on a list).
    syringes = _layer(US_ON_CHINA, "C31T33", tw.US_SYRINGES.key)
    assert layer_rate(syringes, US_ON_CHINA["C31T33"]) == 1.0


# --------------------------------------------------------------------------- stacking


def test_soybeans_pay_list1_plus_tranche1_on_their_share() -> None:
    # Soybeans' share of the A01 cell: 17,900 / 21,267.1 [S102, S103], to 4 decimals.
    soy = round(US_SOYBEAN_EXPORTS_TO_CHINA_2022 / DEFAULT_A01_USA_CHN, 4)
    assert soy == tw.A01_SOYBEANS
    layers = CHINA_ON_US["A01"]
    list1 = _layer(CHINA_ON_US, "A01", tw.CN_L1.key)
    tranche1 = _layer(CHINA_ON_US, "A01", tw.CN_T1_SOY.key, on=tw.CN_L1.key)
    assert list1.share >= soy and tranche1.share == soy
    # Stacked, not squeezed: soybeans carry 25% + 2.5% (facts §3 [S66, S70]).
    soy_rate = layer_rate(list1, layers) + layer_rate(tranche1, layers)
    assert soy_rate == pytest.approx(0.25 + 0.025, abs=EXACT)
    # The sector: Σ share × rate over its layers, nothing scaled (closed form).
    fruit = _layer(CHINA_ON_US, "A01", tw.CN_232_FRUIT.key)
    expected = list1.share * 0.25 + soy * 0.025 + fruit.share * 0.15
    assert sector_rate(layers) == pytest.approx(expected, abs=EXACT)


def test_pork_stacks_three_measures() -> None:
    # Pork: s.232 retaliation 25% [S65] + List 1 25% [S66] + tranche 1 5% [S70].
    layers = CHINA_ON_US["C10T12"]
    on_list1 = {x.measure.key: x for x in layers if x.on == tw.CN_L1.key}
    assert set(on_list1) == {tw.CN_232.key, tw.CN_T1_MEAT.key}
    pork = on_list1[tw.CN_232.key].share
    assert on_list1[tw.CN_T1_MEAT.key].share >= pork  # pork and beef both in tranche 1
    assert 0.25 + layer_rate(on_list1[tw.CN_232.key], layers) + 0.05 == pytest.approx(0.55)


def test_every_sector_rate_is_the_sum_of_share_times_rate() -> None:
    # Invariant: no layer set is scaled; each layer adds share × its own rate.
    for table in (US_ON_CHINA, CHINA_ON_US):
        for layers in table.values():
            closed = sum(x.share * layer_rate(x, layers) for x in layers)
            assert sector_rate(layers) == pytest.approx(closed, abs=EXACT)


def test_rates_do_not_depend_on_the_flows() -> None:
    # Nothing is fitted: two different flow arrays give the same tariff cells.
    tariff, flows_a = _inputs(0)
    _, flows_b = _inputs(1)
    new_a, _ = add_trade_war_tariffs(tariff, COUNTRIES, SECTORS, flows_eis=flows_a)
    new_b, _ = add_trade_war_tariffs(tariff, COUNTRIES, SECTORS, flows_eis=flows_b)
    np.testing.assert_array_equal(new_a, new_b)
    for k, s in enumerate(SECTORS[:-1]):
        assert new_a[CHN, USA, k] - tariff[CHN, USA, k] == pytest.approx(
            sector_rate(US_ON_CHINA[s]), abs=EXACT
        )
        assert new_a[USA, CHN, k] - tariff[USA, CHN, k] == pytest.approx(
            sector_rate(CHINA_ON_US.get(s, ())), abs=EXACT
        )


# --------------------------------------------------------------------------- coverage


def test_disjoint_shares_never_exceed_the_sector() -> None:
    # Invariant: US Lists 1-3 + 4A + 2024 new goods + untaxed ≤ 1 in every sector; a
    # layer on another covers at most that layer's share.
    for table in (US_ON_CHINA, CHINA_ON_US):
        check_table(table)
        for sector, layers in table.items():
            own = {x.measure.key: x.share for x in layers if x.on is None}
            assert sum(own.values()) <= 1.0 + EXACT, sector
            for x in layers:
                if x.on not in (None, "sector"):
                    assert x.share <= own[x.on] + EXACT, (sector, x.measure.key)
    # Every US goods sector is partitioned exactly (untaxed rest made explicit).
    for sector, layers in US_ON_CHINA.items():
        assert sum(x.share for x in layers if x.on is None) == pytest.approx(1.0), sector


def test_an_overfull_or_dangling_table_is_refused() -> None:
    over = {"C25": (Layer(tw.US_LISTS_1_3, 0.8, "t"), Layer(tw.US_LIST_4A, 0.3, "t"))}
    with pytest.raises(WorldError, match="cover"):
        check_table(over)
    dangling = {"C29": (Layer(tw.US_EV, 0.01, "t", on=tw.US_LISTS_1_3.key),)}
    with pytest.raises(WorldError, match="not in sector"):
        check_table(dangling)


def test_carve_outs_bound_us_coverage() -> None:
    # C26: phones $50.1 bn + computers $35.5 bn [S108] over the 2022 cell $108,203 m.
    untaxed_c26 = (50.1 + 35.5) * 1e3 / 108_203.0
    assert covered_share(US_ON_CHINA["C26"]) <= 1.0 - untaxed_c26 + 1e-3  # 3-decimal share
    assert _layer(US_ON_CHINA, "C26", tw.US_LIST_4B.key).measure.rate == 0.0
    # C31T33: toys $13.5 bn + video and card games $7.1 bn [S108] over $66,815.4 m.
    untaxed_c31 = (13.5 + 7.1) * 1e3 / 66_815.4
    assert covered_share(US_ON_CHINA["C31T33"]) <= 1.0 - untaxed_c31 + 1e-3
    # Packaged medicines $6.1 bn [S108] of the C21 cell (6,697.8) left untaxed.
    assert covered_share(US_ON_CHINA["C21"]) <= 1.0 - 6.1e3 / 6_697.8 + 1e-2
    # No US sector reaches 100% through the lists alone (the module leaves at least 2%
    # unlisted: C24A, 95% Lists 1-3 + 3% 2024 steel products),
    # except through Section 232, a different law on the whole sector.
    for sector, layers in US_ON_CHINA.items():
        lists = sum(x.share for x in layers if x.on is None and x.measure.rate > 0)
        assert lists <= 0.98 + EXACT, sector


def test_every_share_states_its_basis() -> None:
    table = layers_table()
    assert set(table["direction"]) == {"US on China", "China on US"}
    assert (table["basis"].str.len() > 10).all()
    shares = table[table["layer"].isin(["us_301_lists_1_3", "cn_60bn"])]
    assert shares["basis"].str.contains("assumption|S1", regex=True).all()


# --------------------------------------------------------------------------- the report


def test_averages_are_reported_beside_piie_and_nothing_else_moves() -> None:
    tariff, flows = _inputs()
    new, notes = add_trade_war_tariffs(tariff, COUNTRIES, SECTORS, flows_eis=flows)
    changed = new != tariff
    changed[CHN, USA, :] = False
    changed[USA, CHN, :] = False
    assert not changed.any()
    assert new[CHN, USA, -1] == 0.0 and new[USA, CHN, -1] == 0.0  # services untouched
    assert np.all(new >= tariff)
    assert len(notes) == 2
    us, cn = (" ".join(n.split()) for n in notes)
    # The built average beside PIIE's 20.8% / 21.2% and coverage beside 66.4% / 58.3%
    # (facts §5), and the reason they differ.
    assert f"{_average(new, flows, CHN, USA):.1%}" in us and "PIIE: 20.8%" in us
    assert f"{_average(new, flows, USA, CHN):.1%}" in cn and "PIIE: 21.2%" in cn
    assert "PIIE: 66.4%" in us and "PIIE: 58.3%" in cn
    assert all("differ because" in n and "no scaling" in n for n in (us, cn))
    assert "Lists 1-3 25.0% on" in us and "tranche 1 (soybeans, crude) 2.5% on" in cn


def test_coverage_table_adds_up_to_the_average() -> None:
    tariff, flows = _inputs(2)
    new, _ = add_trade_war_tariffs(tariff, COUNTRIES, SECTORS, flows_eis=flows)
    table = coverage_table(flows, COUNTRIES, SECTORS)
    assert {"layer", "rate", "covered_share", "basis", "since"} <= set(table.columns)
    for direction, (e, i) in (("US on China", (CHN, USA)), ("China on US", (USA, CHN))):
        rows = table[table["direction"] == direction]
        # Closed form: Σ layer points = average after − average before.
        gain = _average(new, flows, e, i) - _average(tariff, flows, e, i)
        assert rows["points"].sum() == pytest.approx(gain, abs=1e-12)
        assert (rows["covered_share"].between(0.0, 1.0)).all()


def test_needs_both_countries():
    tariff, flows = _inputs()
    with pytest.raises(WorldError, match="USA"):
        add_trade_war_tariffs(tariff, ["CHN", "DEU", "FRA"], SECTORS, flows_eis=flows)
