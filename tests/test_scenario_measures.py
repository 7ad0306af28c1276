"""Export taxes, export caps, import floors, port fees, products and groups (CONTRACTS §2, §3).

Compile tests use a tiny world: regions USA, CHN, DEU, FRA, VNM (indices 0-4) and
sectors A01, A01.soy (a product sub-sector of A01), C26, SVC, B99 (indices 0-4), no
tariffs, and flow[s, n, i] = 1 + s + 0.1 n + 0.01 i on every cell except B99's foreign
cells, which are 0 (B99 is non-traded).  Every expected array below is written from the
contract's rules on that closed form.  Run tests solve the built-in ``default`` world
and check invariants of complementarity (a slack constraint changes nothing), the
tax-quota equivalence (a cap at the volume an export tax leaves gives the same
equilibrium, with the tax as its equivalent) and the contract's reporting rules.
"""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

import truce
from truce.data.calibrate import world_to_baseline
from truce.errors import ScenarioError
from truce.model.baseline import Baseline, baseline_from_flows
from truce.policy import (
    CompiledScenario,
    ExportCap,
    ExportTax,
    ImportFloor,
    PortFee,
    Scenario,
    compile_scenario,
    compile_scenario_full,
    parse_scenario,
)
from truce.policy.groups import ASEAN, EU27

PATH = "m.yaml"
REGIONS = ("USA", "CHN", "DEU", "FRA", "VNM")
USA, CHN, DEU, FRA, VNM = range(5)
SECTORS = ("A01", "A01.soy", "C26", "SVC", "B99")
A01, SOY, C26, SVC, B99 = range(5)

#: Agreement of two solves of the same equilibrium, and of a slack constraint with none
#: (the solver's tolerance is 1e-12 on every condition; percentages are 100 × ratios).
RUN_TOL = 1e-8


def flow_at(s: int, n: int, i: int) -> float:
    """The tiny world's flow on cell [s, n, i] (the closed form in the docstring)."""
    return 0.0 if (s == B99 and n != i) else 1 + s + 0.1 * n + 0.01 * i


def tiny_baseline(regions: tuple[str, ...] = REGIONS) -> Baseline:
    n_count, s_count = len(regions), len(SECTORS)
    flow = np.array([flow_at(*cell) for cell in np.ndindex(s_count, n_count, n_count)]).reshape(
        s_count, n_count, n_count
    )
    return baseline_from_flows(
        regions=regions,
        sectors=SECTORS,
        flow_sni=flow,
        tau_sni=np.zeros_like(flow),
        va_sn=flow.sum(axis=1),
        io_nks=np.zeros((n_count, s_count, s_count)),
        theta_s=np.full(s_count, 4.0),
    )


BASE = tiny_baseline()


def full(text: str, baseline: Baseline = BASE) -> CompiledScenario:
    return compile_scenario_full(parse_scenario(textwrap.dedent(text), PATH), baseline)


def error(text: str, baseline: Baseline = BASE) -> tuple[ScenarioError, int]:
    """Compile a text with a ``# <-`` marker; return the error and the marked line."""
    text = textwrap.dedent(text)
    (line,) = [k for k, row in enumerate(text.splitlines(), start=1) if "# <-" in row]
    with pytest.raises(ScenarioError) as info:
        compile_scenario(parse_scenario(text, PATH), baseline)
    return info.value, line


def cells_of(mask: np.ndarray) -> set[tuple[int, int, int]]:
    return {tuple(int(x) for x in cell) for cell in np.argwhere(mask)}


# --- parsing ----------------------------------------------------------------------------


def test_contract_example_measures_parse() -> None:
    text = """\
        name: all
        measures:
          - {kind: export_tax, by: CHN, on: USA, sectors: [B07], rate: 0.30}
          - {kind: export_cap, by: CHN, on: USA, sectors: [B07], share: 0.5}
          - {kind: import_floor, by: CHN, on: USA, sectors: [A01], value: 12000}
          - {kind: port_fee, by: USA, on: CHN, fee_per_net_ton: 50,
             net_tons_per_million: 150, affected_share: 0.4, product: ships}
        """
    tax, cap, floor, fee = parse_scenario(textwrap.dedent(text), PATH).measures
    assert isinstance(tax, ExportTax) and tax.by_role == "exporter" and tax.rate == 0.3
    assert isinstance(cap, ExportCap) and cap.share == 0.5 and cap.by_role == "exporter"
    assert isinstance(floor, ImportFloor) and floor.value == 12000.0
    assert floor.by_role == "importer" and floor.product is None
    assert isinstance(fee, PortFee) and fee.product == "ships"
    # 1 + 50 US$/NT × 150 NT per US$ million × 0.4 / 10⁶ (the docstring's example).
    assert fee.cost_factor == pytest.approx(1.003, abs=1e-15)


# --- export taxes and port fees -----------------------------------------------------------


def test_export_taxes_compound_and_face_the_exporter() -> None:
    shock = full(
        """\
        name: t
        measures:
          - {kind: export_tax, by: CHN, on: USA, sectors: C26, rate: 0.2}
          - {kind: export_tax, by: CHN, on: "*", sectors: C26, rate: 0.1}
        """
    ).shock
    tax = np.zeros((5, 5, 5))
    tax[C26, USA, CHN] = 1.2 * 1.1 - 1  # two taxes compound: (1 + t1)(1 + t2) - 1
    for n in (DEU, FRA, VNM):
        tax[C26, n, CHN] = 0.1
    np.testing.assert_allclose(shock.export_tax_sni, tax, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(shock.tau_sni, np.zeros((5, 5, 5)))  # tariffs untouched
    assert shock.cap_cells is None and shock.floor_cells is None and shock.blocked_sni is None


def test_port_fee_factor_is_the_closed_form_and_multiplies_with_trade_costs() -> None:
    shock = full(
        """\
        name: fee
        measures:
          - {kind: port_fee, by: USA, on: CHN, fee_per_net_ton: 50,
             net_tons_per_million: 150, affected_share: 0.4}
          - {kind: trade_cost, by: USA, on: CHN, sectors: C26, factor: 1.1}
        """
    ).shock
    fee = 1 + 50 * 150 * 0.4 / 1e6
    cost = np.ones((5, 5, 5))
    cost[:, USA, CHN] = fee
    cost[C26, USA, CHN] = fee * 1.1
    np.testing.assert_allclose(shock.cost_sni, cost, rtol=1e-15)
    assert shock.export_tax_sni is None


# --- caps, bans and their reporting ---------------------------------------------------------

CAPS = """\
    name: caps
    measures:
      - {kind: export_cap, by: CHN, on: USA, sectors: [A01, C26], share: 0.5}
      - {kind: export_cap, by: CHN, on: [USA, DEU], sectors: C26, share: 0.8}
      - {kind: export_cap, by: CHN, on: DEU, sectors: C26, share: 0.8}
      - {kind: export_cap, by: VNM, on: USA, sectors: A01, share: 0}
      - {kind: export_cap, by: VNM, on: USA, share: 0.3}
    """


def test_caps_tightest_binds_and_bans_beat_caps() -> None:
    compiled = full(CAPS)
    shock = compiled.shock
    # A01 covers its sub-sector A01.soy; "*" covers every sector with trade (not B99).
    # [C26, USA, CHN]: 0.5 beats 0.8; [C26, DEU, CHN]: 0.8 twice, the first owns it;
    # VNM's A01 and A01.soy flows to USA are banned, which beats the 0.3 cap.
    assert shock.cap_cells.tolist() == [
        [A01, USA, CHN],
        [SOY, USA, CHN],
        [C26, USA, CHN],
        [C26, USA, VNM],
        [C26, DEU, CHN],
        [SVC, USA, VNM],
    ]
    np.testing.assert_array_equal(shock.cap_share, [0.5, 0.5, 0.5, 0.3, 0.8, 0.3])
    assert compiled.cap_measure == (0, 0, 0, 4, 1, 4)
    assert cells_of(np.asarray(shock.blocked_sni)) == {(A01, USA, VNM), (SOY, USA, VNM)}
    assert compiled.bans == frozenset({3})
    assert dict(compiled.cells) == {0: 3, 1: 2, 2: 1, 3: 2, 4: 4}


def test_cap_equivalent_rates_are_flow_weighted_and_zero_where_another_binds() -> None:
    compiled = full(CAPS)
    rates = compiled.equivalent_rates(np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), np.zeros(0))
    w = flow_at
    assert rates[0] == pytest.approx(
        (w(A01, USA, CHN) * 0.1 + w(SOY, USA, CHN) * 0.2 + w(C26, USA, CHN) * 0.3)
        / (w(A01, USA, CHN) + w(SOY, USA, CHN) + w(C26, USA, CHN)),
        rel=1e-14,
    )
    # Measure 1 is slack on [C26, USA, CHN] (measure 0 is tighter) and ties on DEU.
    assert rates[1] == pytest.approx(
        0.5 * w(C26, DEU, CHN) / (w(C26, USA, CHN) + w(C26, DEU, CHN)), rel=1e-14
    )
    assert rates[2] == pytest.approx(0.5, rel=1e-14)  # the tie: the same bound, the same rate
    assert rates[3] is None  # a ban
    banned = w(A01, USA, VNM) + w(SOY, USA, VNM)
    assert rates[4] == pytest.approx(
        (w(C26, USA, VNM) * 0.4 + w(SVC, USA, VNM) * 0.6)
        / (banned + w(C26, USA, VNM) + w(SVC, USA, VNM)),
        rel=1e-14,
    )


# --- floors -------------------------------------------------------------------------------


def test_floors_one_per_measure_identical_ones_merge() -> None:
    compiled = full(
        """\
        name: floors
        measures:
          - {kind: import_floor, by: CHN, on: USA, sectors: A01, value: 2}
          - {kind: import_floor, by: CHN, on: [USA, DEU], sectors: A01, product: soy,
             value: 1.5}
          - {kind: import_floor, by: CHN, on: USA, sectors: A01, value: 2}
        """
    )
    shock = compiled.shock
    np.testing.assert_array_equal(shock.floor_value, [2.0, 1.5])
    assert cells_of(np.asarray(shock.floor_cells[0]) == 1) == {(A01, CHN, USA), (SOY, CHN, USA)}
    assert cells_of(np.asarray(shock.floor_cells[1]) == 1) == {(SOY, CHN, USA), (SOY, CHN, DEU)}
    assert compiled.floor_measure == (0, 1)
    assert dict(compiled.floor_of) == {0: 0, 1: 1, 2: 0}
    assert compiled.equivalent_rates(np.zeros(0), np.array([0.25, 0.0])) == {
        0: 0.25,
        1: 0.0,
        2: 0.25,
    }


def test_floor_up_to_the_absorption_is_allowed() -> None:
    # CHN's absorption of A01 and A01.soy: Σ_i (1.1 + 0.01 i) + Σ_i (2.1 + 0.01 i) = 16.2.
    assert float(BASE.X_sn[A01, CHN] + BASE.X_sn[SOY, CHN]) == pytest.approx(16.2, rel=1e-14)
    full("name: f\nmeasures: [{kind: import_floor, by: CHN, sectors: A01, value: 16.1}]\n")


# --- products -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sectors", "product", "expected"),
    [
        ("A01", None, {A01, SOY}),  # a sector covers its sub-sectors
        ("A01", "soy", {SOY}),  # a product: the sub-sector instead of the sector
        ("A01.soy", None, {SOY}),  # a sub-sector by its own code
        ('"*"', "soy", {SOY}),  # through "*": the sectors that have the product
        ("goods", "soy", {SOY}),  # through a group, likewise
    ],
)
def test_products_select_sub_sectors(sectors: str, product: str | None, expected: set) -> None:
    extra = f", product: {product}" if product else ""
    text = (
        f"name: p\nmeasures: [{{kind: export_tax, by: CHN, sectors: {sectors}{extra}, rate: 1}}]\n"
    )
    tax = np.asarray(full(text).shock.export_tax_sni)
    assert {s for s, _, _ in cells_of(tax > 0)} == expected


# --- groups ---------------------------------------------------------------------------------


def test_region_groups_expand_to_their_members_in_the_world() -> None:
    shock = full("name: g\nmeasures: [{kind: export_tax, by: EU27, sectors: C26, rate: 1}]\n").shock
    # EU27 is DEU and FRA here; "*" leaves out the members, so no intra-EU cell.
    assert cells_of(np.asarray(shock.export_tax_sni) > 0) == {
        (C26, n, i) for i in (DEU, FRA) for n in (USA, CHN, VNM)
    }
    shock = full("name: g\nmeasures: [{kind: tariff, by: ASEAN, on: EU27, rate: 1}]\n").shock
    assert cells_of(np.asarray(shock.tau_sni) > 0) == {
        (s, VNM, i) for s in range(5) for i in (DEU, FRA)
    }


def test_wildcard_by_leaves_out_the_on_regions() -> None:
    shock = full("name: g\nmeasures: [{kind: tariff, by: '*', on: [USA, CHN], rate: 1}]\n").shock
    assert cells_of(np.asarray(shock.tau_sni) > 0) == {
        (s, n, i) for s in range(5) for n in (DEU, FRA, VNM) for i in (USA, CHN)
    }


def test_sector_groups() -> None:
    # SVC is a service by its code although it is traded; B99 by having no foreign flow.
    for group, expected in (("goods", {A01, SOY, C26}), ("services", {SVC, B99})):
        text = f"name: g\nmeasures: [{{kind: tariff, by: USA, sectors: {group}, rate: 1}}]\n"
        tau = np.asarray(full(text).shock.tau_sni)
        assert {s for s, _, _ in cells_of(tau > 0)} == expected


def test_group_tables() -> None:
    assert len(EU27) == len(set(EU27)) == 27
    assert len(ASEAN) == len(set(ASEAN)) == 10 and "VNM" in ASEAN


@pytest.fixture(scope="module")
def default_base() -> Baseline:
    return world_to_baseline(truce.load_world("default"))


def test_groups_that_are_regions_of_the_world_are_the_region(default_base: Baseline) -> None:
    regions = default_base.regions
    text = "name: g\nmeasures: [{kind: tariff, by: ASEAN, on: EU27, sectors: goods, rate: 1}]\n"
    shock = compile_scenario(parse_scenario(text, PATH), default_base)
    added = np.asarray(shock.tau_sni) - np.asarray(default_base.tau_sni)
    # The default world's ASEAN region (VNM apart) and its EU27 region; goods: all but SVC.
    goods = {s for s, code in enumerate(default_base.sectors) if code != "SVC"}
    assert len(goods) == 27
    asean, eu = regions.index("ASEAN"), regions.index("EU27")
    assert cells_of(added != 0) == {(s, asean, eu) for s in goods}


def test_groups_expand_in_the_cp2015_world() -> None:
    base = world_to_baseline(truce.load_world("cp2015"))
    text = "name: g\nmeasures: [{kind: tariff, by: EU27, sectors: services, rate: 1}]\n"
    tau = np.asarray(compile_scenario(parse_scenario(text, PATH), base).tau_sni)
    added = tau - np.asarray(base.tau_sni)
    members = {r for r in base.regions if r in EU27}
    assert len(members) == 13  # GBR is not a member
    importers = {base.regions[n] for _, n, _ in cells_of(added != 0)}
    exporters = {base.regions[i] for _, _, i in cells_of(added != 0)}
    sectors = {base.sectors[s] for s, _, _ in cells_of(added != 0)}
    assert importers == members and exporters == set(base.regions) - members
    assert sectors == set(base.sectors[20:])  # CP2015's sectors 21-40 are services


# --- errors ---------------------------------------------------------------------------------

COMPILE_ERRORS = {
    # name: (document with the offending line marked, key)
    "cap on domestic cells only": (
        "name: e\nmeasures:\n  - kind: export_cap\n    by: CHN\n    on: CHN  # <-\n"
        "    share: 0.5\n",
        "on",
    ),
    "tax on a sector without trade": (
        "name: e\nmeasures:\n  - kind: export_tax\n    by: CHN\n    on: USA  # <-\n"
        "    sectors: B99\n    rate: 0.1\n",
        "on",
    ),
    "floor on domestic cells only": (
        "name: e\nmeasures:\n  - kind: import_floor\n    by: [CHN, USA]\n"
        "    on: [CHN, USA]  # <-\n    sectors: B99\n    value: 1\n",
        "on",
    ),
    "port fee on domestic cells only": (
        "name: e\nmeasures:\n  - {kind: port_fee, by: USA, on: USA, fee_per_net_ton: 50,"
        " net_tons_per_million: 150, affected_share: 1}  # <-\n",
        "on",
    ),
    "floor above the absorption": (
        "name: e\nmeasures:\n  - kind: import_floor\n    by: CHN\n    sectors: A01\n"
        "    value: 16.3  # <-\n",
        "value",
    ),
    "floor on banned flows only": (
        "name: e\nmeasures:\n  - {kind: export_cap, by: USA, on: CHN, share: 0}\n"
        "  - kind: import_floor\n    by: CHN\n    on: USA  # <-\n    value: 1\n",
        "on",
    ),
    "unknown product for a named sector": (
        "name: e\nmeasures:\n  - kind: export_tax\n    by: CHN\n    sectors: [A01, C26]\n"
        "    product: soy  # <-\n    rate: 0.1\n",
        "product",
    ),
    "unknown product everywhere": (
        "name: e\nmeasures:\n  - kind: tariff\n    by: CHN\n    product: rice  # <-\n"
        "    rate: 0.1\n",
        "product",
    ),
}


@pytest.mark.parametrize("case", list(COMPILE_ERRORS))
def test_compile_errors_name_path_line_and_key(case: str) -> None:
    text, key = COMPILE_ERRORS[case]
    exc, line = error(text)
    assert str(exc).startswith(f"{PATH}:{line}: key {key}: "), str(exc)


def test_floor_without_on_points_at_the_measure() -> None:
    # "*" selects every other region, but CHN's floor over B99 covers no traded cell.
    exc, line = error(
        "name: e\nmeasures:\n  - kind: import_floor  # <-\n    by: CHN\n    sectors: B99\n"
        "    value: 1\n"
    )
    assert str(exc).startswith(f"{PATH}:{line}: key on: ")


def test_a_group_without_members_in_the_world_is_unknown() -> None:
    base = tiny_baseline(("USA", "CHN", "MEX", "JPN", "KOR"))
    exc, line = error(
        "name: e\nmeasures: [{kind: tariff, by: USA, on: ASEAN, rate: 1}]  # <-\n", base
    )
    assert str(exc).startswith(f"{PATH}:{line}: key on: unknown region 'ASEAN'")


# --- through truce.run on the default world --------------------------------------------------


@pytest.fixture(scope="module")
def world():
    return truce.load_world("default")


def _run(world, text: str):
    return truce.run(world, parse_scenario(textwrap.dedent(text), PATH))


def _row(trade, exporter: str, importer: str, sector: str):
    hit = trade[
        (trade.exporter == exporter) & (trade.importer == importer) & (trade.sector == sector)
    ]
    assert len(hit) == 1
    return hit.iloc[0]


def _pct(result) -> np.ndarray:
    return result.regions.filter(like="_pct").to_numpy(dtype=np.float64)


def test_cap_at_the_baseline_volume_changes_nothing(world) -> None:
    result = _run(
        world,
        "name: c\nmeasures:\n"
        "  - {kind: export_cap, by: CHN, on: USA, sectors: [C26, C27], share: 1}\n",
    )
    np.testing.assert_allclose(_pct(result), 0.0, atol=RUN_TOL)
    (row,) = result.measures.to_dict("records")
    assert row["binding"] is False and row["cells"] == 2
    assert 0.0 <= row["equivalent_rate"] <= 1e-9


def test_ban_ends_the_flow_and_is_binding_with_null_rate(world) -> None:
    result = _run(
        world, "name: b\nmeasures: [{kind: export_cap, by: CHN, on: USA, sectors: C26, share: 0}]\n"
    )
    row = _row(result.trade, "CHN", "USA", "C26")
    assert row.baseline > 0 and row.counterfactual == 0.0 and row.quantity == 0.0
    doc = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert doc["measures"] == [
        {
            "index": 0,
            "kind": "export_cap",
            "binding": True,
            "equivalent_rate": None,
            "in_force": True,
            "cells": 1,
        }
    ]


def test_floors_below_and_above_baseline_trade(world, default_base: Baseline) -> None:
    sectors, regions = default_base.sectors, default_base.regions
    cell = (sectors.index("A01"), regions.index("CHN"), regions.index("USA"))
    base = float(default_base.flow_sni[cell])  # CHN's baseline purchases of US A01
    slack = _run(
        world,
        f"name: f\nmeasures: [{{kind: import_floor, by: CHN, on: USA, sectors: A01,"
        f" value: {0.5 * base!r}}}]\n",
    )
    np.testing.assert_allclose(_pct(slack), 0.0, atol=RUN_TOL)
    (row,) = slack.measures.to_dict("records")
    assert row["binding"] is False and 0.0 <= row["equivalent_rate"] <= 1e-9
    value = 1.2 * base
    tight = _run(
        world,
        f"name: f\nmeasures: [{{kind: import_floor, by: CHN, on: USA, sectors: A01,"
        f" value: {value!r}}}]\n",
    )
    (row,) = tight.measures.to_dict("records")
    assert row["binding"] is True and 0.0 < row["equivalent_rate"] < 1.0
    # The floor is met exactly: its one cell's quantity at baseline prices is the value.
    assert _row(tight.trade, "USA", "CHN", "A01").quantity == pytest.approx(value, rel=1e-9)


def test_export_tax_and_the_cap_at_its_volume_are_equivalent(world) -> None:
    rate = 0.3
    taxed = _run(
        world,
        f"name: t\nmeasures:\n"
        f"  - {{kind: export_tax, by: CHN, on: USA, sectors: C26, rate: {rate}}}\n",
    )
    (row,) = taxed.measures.to_dict("records")
    assert row["binding"] is False and row["equivalent_rate"] is None  # no constraint
    cell = _row(taxed.trade, "CHN", "USA", "C26")
    share = float(cell.quantity / cell.baseline)  # quantity = producer value / ĉ (§2)
    assert 0.0 < share < 1.0
    capped = _run(
        world,
        f"name: c\nmeasures: [{{kind: export_cap, by: CHN, on: USA, sectors: C26,"
        f" share: {share!r}}}]\n",
    )
    (row,) = capped.measures.to_dict("records")
    assert row["binding"] is True
    assert row["equivalent_rate"] == pytest.approx(rate, abs=RUN_TOL)
    np.testing.assert_allclose(_pct(capped), _pct(taxed), rtol=0, atol=RUN_TOL)
    np.testing.assert_allclose(
        capped.regions["tariff_revenue"], taxed.regions["tariff_revenue"], rtol=RUN_TOL
    )


def test_python_built_measures_run(world) -> None:
    scenario = Scenario(
        "py",
        measures=(
            PortFee(by="USA", on="CHN", fee_per_net_ton=50, net_tons_per_million=150,
                    affected_share=0.4),
        ),
    )  # fmt: skip
    result = truce.run(world, scenario)
    (row,) = result.measures.to_dict("records")
    assert row["kind"] == "port_fee" and row["binding"] is False
    assert row["equivalent_rate"] is None and row["cells"] == 28  # CHN ships USA every sector
    assert result.regions.set_index("region").loc["USA", "imports_pct"] < 0


LARGE = """\
name: large
measures:
  - kind: {kind}
    by: USA
    on: CHN
    rate: {rate}{extra}
"""


@pytest.mark.parametrize("kind", ["tariff", "export_tax"])
def test_a_rate_above_five_needs_allow_large(kind: str) -> None:
    # 60 written for 60% is 6,000%: an error at the rate's line that suggests 0.60.
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(LARGE.format(kind=kind, rate=60, extra=""), "large.yaml")
    error = caught.value
    assert (error.line, error.key) == (6, "rate")
    assert "6000%" in str(error) and "0.60 for 60%" in str(error)
    assert "allow_large: true" in str(error)
    # Five itself, and any rate with allow_large: true, are accepted as written.
    assert parse_scenario(LARGE.format(kind=kind, rate=5, extra="")).measures[0].rate == 5.0
    allowed = LARGE.format(kind=kind, rate=60, extra="\n    allow_large: true")
    assert parse_scenario(allowed).measures[0].rate == 60.0


def test_allow_large_must_be_true_or_false() -> None:
    text = LARGE.format(kind="tariff", rate=0.5, extra="\n    allow_large: yes please")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "large.yaml")
    assert (caught.value.line, caught.value.key) == (7, "allow_large")
    assert "true or false" in str(caught.value)
