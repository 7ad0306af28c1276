"""Compiling scenarios into shocks (CONTRACTS §2, "Meaning, precisely").

The baseline is tiny: regions USA, CHN, MEX (indices 0, 1, 2), sectors A01, B07
(indices 0, 1).  Its tariff on cell [s, n, i] is 0.01 (s + 1) + 0.1 n + 0.001 (i + 1)
off the diagonal and 0 on it, so every foreign cell has its own rate and every expected
number below is that base rate plus or replaced by the measures' rates, by hand.
"""

from __future__ import annotations

import datetime
import textwrap
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import truce  # noqa: F401  (enables float64)
from truce.errors import ScenarioError
from truce.model.baseline import Baseline, Shock, baseline_from_flows
from truce.policy import (
    ExportCap,
    ExportTax,
    Groups,
    ImportFloor,
    Measure,
    PortFee,
    Scenario,
    Tariff,
    TradeCost,
    change_dates,
    compile_scenario,
    in_force,
    parse_scenario,
)

PATH = "c.yaml"
USA, CHN, MEX = 0, 1, 2
A01, B07 = 0, 1


def base_tariff(s: int, n: int, i: int) -> float:
    """The tiny baseline's tariff on cell [s, n, i] (the closed form in the docstring)."""
    return 0.0 if n == i else 0.01 * (s + 1) + 0.1 * n + 0.001 * (i + 1)


def tiny_baseline() -> Baseline:
    """Three regions, two sectors, unit flows, no input-output linkages."""
    s_count, n_count = 2, 3
    cells = np.ndindex(s_count, n_count, n_count)
    tau = np.array([base_tariff(*cell) for cell in cells]).reshape(s_count, n_count, n_count)
    flow = np.ones((s_count, n_count, n_count))
    return baseline_from_flows(
        regions=("USA", "CHN", "MEX"),
        sectors=("A01", "B07"),
        flow_sni=flow,
        tau_sni=tau,
        va_sn=flow.sum(axis=1),  # gross output = value added: no intermediate inputs
        io_nks=np.zeros((n_count, s_count, s_count)),
        theta_s=np.array([4.0, 8.0]),
    )


BASE = tiny_baseline()
TAU0 = np.asarray(BASE.tau_sni)


def compiled(text: str, date: datetime.date | None = None, groups: Groups | None = None) -> Shock:
    """Parse a dedented scenario text and compile it on the tiny baseline."""
    scenario = parse_scenario(textwrap.dedent(text), PATH)
    return compile_scenario(scenario, BASE, date=date, groups=groups)


def marked(text: str) -> tuple[str, int]:
    """Dedent ``text``; return it and the 1-based line of its ``# <-`` marker."""
    text = textwrap.dedent(text)
    (line,) = [k for k, row in enumerate(text.splitlines(), start=1) if "# <-" in row]
    return text, line


def expected_tau(changes: dict[tuple[int, int, int], float]) -> np.ndarray:
    """The base tariffs with the given cells replaced."""
    tau = TAU0.copy()
    for cell, value in changes.items():
        tau[cell] = value
    return tau


def test_base_closed_form() -> None:
    assert TAU0[B07, CHN, MEX] == pytest.approx(0.02 + 0.1 + 0.003)
    assert np.all(np.diagonal(TAU0, axis1=1, axis2=2) == 0.0)


def test_empty_scenario_is_the_baseline() -> None:
    for text in ("name: empty\n", "name: empty\nmeasures: []\n"):
        shock = compiled(text)
        np.testing.assert_array_equal(shock.tau_sni, BASE.tau_sni)  # the world's own rates
        np.testing.assert_array_equal(shock.cost_sni, np.ones_like(TAU0))  # no cost change
        np.testing.assert_array_equal(shock.deficit_n, BASE.deficit_n)  # deficits unchanged
        assert shock.tau_sni.dtype == np.float64


def test_deficits_are_the_baselines_even_when_zero_is_asked() -> None:
    shock = compiled("name: z\noptions: {deficits: zero}\n")
    np.testing.assert_array_equal(shock.deficit_n, BASE.deficit_n)  # the caller closes them


def test_add_tariff_on_every_sector() -> None:
    shock = compiled(
        """\
        name: add
        measures: [{kind: tariff, by: USA, on: CHN, rate: 0.25}]
        """
    )
    # base + 0.25 on both sectors of USA-from-CHN; nothing else moves.
    tau = expected_tau({(s, USA, CHN): base_tariff(s, USA, CHN) + 0.25 for s in (A01, B07)})
    np.testing.assert_allclose(shock.tau_sni, tau, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(shock.cost_sni, np.ones_like(TAU0))


def test_set_replaces_the_worlds_rate() -> None:
    shock = compiled(
        """\
        name: set
        measures: [{kind: tariff, by: CHN, on: USA, sectors: B07, rate: 0.3, mode: set}]
        """
    )
    np.testing.assert_array_equal(shock.tau_sni, expected_tau({(B07, CHN, USA): 0.3}))


@pytest.mark.parametrize("set_first", [True, False])
def test_set_plus_adds_is_the_set_rate_plus_the_adds(set_first: bool) -> None:
    setting = "{kind: tariff, by: USA, on: CHN, sectors: A01, rate: 0.3, mode: set}"
    adding = "{kind: tariff, by: USA, on: [CHN, MEX], sectors: A01, rate: 0.1}"
    adding2 = "{kind: tariff, by: USA, on: CHN, sectors: A01, rate: 0.05}"
    order = [setting, adding, adding2] if set_first else [adding, adding2, setting]
    shock = compiled(f"name: stack\nmeasures: [{', '.join(order)}]\n")
    # USA-from-CHN A01: 0.3 (set) + 0.1 + 0.05 (adds), in either order in the file;
    # USA-from-MEX A01: base + 0.1 (only the first add reaches it).
    tau = expected_tau(
        {
            (A01, USA, CHN): 0.3 + 0.1 + 0.05,
            (A01, USA, MEX): base_tariff(A01, USA, MEX) + 0.1,
        }
    )
    np.testing.assert_allclose(shock.tau_sni, tau, rtol=0, atol=1e-15)


def test_two_sets_on_one_cell_are_an_error() -> None:
    text, line = marked(
        """\
        name: clash
        measures:
          - {kind: tariff, by: USA, on: "*", rate: 0.3, mode: set}
          - kind: tariff
            by: USA
            on: MEX
            sectors: B07
            rate: 0.5
            mode: set   # <-
        """
    )
    with pytest.raises(ScenarioError) as info:
        compile_scenario(parse_scenario(text, PATH), BASE)
    assert str(info.value).startswith(f"{PATH}:{line}: key mode: ")
    assert "sector B07, importer USA, exporter MEX" in str(info.value)


def test_two_sets_with_disjoint_dates() -> None:
    text = """\
        name: phases
        measures:
          - {kind: tariff, by: USA, on: CHN, rate: 1.45, mode: set,
             start: 2025-04-10, end: 2025-05-14}
          - {kind: tariff, by: USA, on: CHN, rate: 0.30, mode: set, start: 2025-05-14}
        """
    april = compiled(text, datetime.date(2025, 4, 10))
    may = compiled(text, datetime.date(2025, 5, 14))  # the first ends, the second starts
    for s in (A01, B07):
        assert april.tau_sni[s, USA, CHN] == 1.45
        assert may.tau_sni[s, USA, CHN] == 0.30
    with pytest.raises(ScenarioError, match="key mode: "):  # without a date both are in force
        compiled(text)


def test_sets_on_different_cells_do_not_clash() -> None:
    shock = compiled(
        """\
        name: ok
        measures:
          - {kind: tariff, by: USA, on: CHN, rate: 0.3, mode: set}
          - {kind: tariff, by: CHN, on: USA, rate: 0.4, mode: set}
        """
    )
    assert shock.tau_sni[A01, USA, CHN] == 0.3 and shock.tau_sni[A01, CHN, USA] == 0.4


def test_trade_cost_factors_multiply() -> None:
    shock = compiled(
        """\
        name: costs
        measures:
          - {kind: trade_cost, by: MEX, on: USA, factor: 1.1}
          - {kind: trade_cost, by: MEX, on: "*", sectors: [B07], factor: 1.2}
        """
    )
    cost = np.ones_like(TAU0)
    cost[:, MEX, USA] = 1.1
    cost[B07, MEX, USA] = 1.1 * 1.2  # both measures: the factors multiply
    cost[B07, MEX, CHN] = 1.2
    np.testing.assert_allclose(shock.cost_sni, cost, rtol=1e-15)
    np.testing.assert_array_equal(shock.tau_sni, TAU0)  # costs leave tariffs alone


def test_wildcard_on_excludes_the_by_region() -> None:
    shock = compiled("name: w\nmeasures: [{kind: tariff, by: USA, rate: 1.0, mode: set}]\n")
    # "*" on: USA's imports from CHN and MEX are set, USA's domestic cells stay 0.
    tau = expected_tau({(s, USA, i): 1.0 for s in (A01, B07) for i in (CHN, MEX)})
    np.testing.assert_array_equal(shock.tau_sni, tau)


def test_no_measure_touches_a_domestic_cell() -> None:
    shock = compiled(
        """\
        name: d
        measures:
          - {kind: tariff, by: "*", on: "*", rate: 0.5}
          - {kind: tariff, by: [USA, CHN], on: [USA, CHN, MEX], rate: 0.5, mode: set}
          - {kind: trade_cost, by: USA, on: [USA, MEX], factor: 3}
        """
    )
    # Invariant: the diagonal keeps the world's 0 tariff and a unit cost factor.
    assert np.all(np.diagonal(shock.tau_sni, axis1=1, axis2=2) == 0.0)
    assert np.all(np.diagonal(shock.cost_sni, axis1=1, axis2=2) == 1.0)
    # Off the diagonal: MEX's imports get base + 0.5; USA's and CHN's get 0.5 + 0.5.
    assert shock.tau_sni[A01, MEX, USA] == pytest.approx(base_tariff(A01, MEX, USA) + 0.5)
    assert shock.tau_sni[B07, CHN, MEX] == 1.0
    assert shock.cost_sni[A01, USA, MEX] == 3.0


def test_dates_in_force_on_start_not_on_end() -> None:
    text = """\
        name: dated
        measures:
          - {kind: tariff, by: USA, on: CHN, sectors: A01, rate: 0.2,
             start: 2025-04-10, end: 2025-05-14}
          - {kind: tariff, by: USA, on: CHN, sectors: A01, rate: 0.01}
        """
    on_a01 = (A01, USA, CHN)
    base = base_tariff(*on_a01)
    cases = {
        datetime.date(2025, 4, 9): base + 0.01,  # before start: only the undated measure
        datetime.date(2025, 4, 10): base + 0.2 + 0.01,  # on start: in force
        datetime.date(2025, 5, 13): base + 0.2 + 0.01,  # the day before end: in force
        datetime.date(2025, 5, 14): base + 0.01,  # on end: no longer in force
    }
    for date, rate in cases.items():
        assert compiled(text, date).tau_sni[on_a01] == pytest.approx(rate, abs=1e-15), date
    assert compiled(text).tau_sni[on_a01] == pytest.approx(base + 0.21, abs=1e-15)  # no date


def test_in_force_and_change_dates() -> None:
    scenario = Scenario(
        "t",
        measures=(
            Tariff(by="USA", rate=0.1, start="2025-04-10", end="2025-05-14"),
            Tariff(by="USA", rate=0.1, start="2025-05-14"),
            TradeCost(by="USA", factor=1.1, end="2026-01-01"),
        ),
    )
    assert change_dates(scenario) == [
        datetime.date(2025, 4, 10),
        datetime.date(2025, 5, 14),
        datetime.date(2026, 1, 1),
    ]
    assert [m.index for m in in_force(scenario, datetime.date(2025, 4, 10))] == [0, 2]
    assert [m.index for m in in_force(scenario, datetime.date(2025, 5, 14))] == [1, 2]
    assert [m.index for m in in_force(scenario, datetime.date(2026, 1, 1))] == [1]
    assert in_force(scenario, None) == scenario.measures


RATED = "name: u\nmeasures:\n  - kind: tariff\n    by: USA\n    rate: 1\n"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("name: u\nmeasures:\n  - {kind: tariff, by: USB, rate: 1}  # <-\n", "by"),
        (RATED + "    on:\n      - CHN\n      - XXX  # <-\n", "on"),
        (RATED + "    sectors: [A01, Z99]  # <-\n", "sectors"),
        (RATED + "    on: EU27  # <-\n", "on"),
    ],
    ids=["by", "on-list-item", "sectors", "group-without-table"],
)
def test_unknown_codes(text: str, key: str) -> None:
    text, line = marked(text)
    with pytest.raises(ScenarioError) as info:
        compile_scenario(parse_scenario(text, PATH), BASE)
    assert str(info.value).startswith(f"{PATH}:{line}: key {key}: unknown ")
    assert (info.value.line, info.value.key) == (line, key)


def test_region_groups_hook() -> None:
    text = "name: g\nmeasures: [{kind: tariff, by: CHN, on: NAFTA, sectors: A01, rate: 0.5}]\n"
    shock = compiled(text, groups={"NAFTA": ("USA", "MEX")})
    tau = expected_tau({(A01, CHN, i): base_tariff(A01, CHN, i) + 0.5 for i in (USA, MEX)})
    np.testing.assert_allclose(shock.tau_sni, tau, rtol=0, atol=1e-15)
    unknown_member = r"^c.yaml:2: key on: group NAFTA names region 'CAN'"
    with pytest.raises(ScenarioError, match=unknown_member):
        compiled(text, groups={"NAFTA": ("USA", "CAN")})


# --- fuzzing: parse then compile; only ScenarioError, and the invariants hold ----------

COMPILE_FUZZ_EXAMPLES = 2_000
"""Scenario-shaped documents parsed and compiled (the parse-only fuzz is elsewhere)."""

# Mostly good codes (repeats weigh them), now and then a code the world lacks.
_region = st.sampled_from(("USA", "CHN", "MEX") * 6 + ("*", "*", "ZZZ"))
_sector = st.sampled_from(("A01", "B07") * 5 + ("*", "*", "goods", "USA"))
_regions = _region | st.lists(_region.filter(lambda c: c != "*"), min_size=1, max_size=3)
_sectors = _sector | st.lists(_sector.filter(lambda c: c != "*"), min_size=1, max_size=2)
_day = st.dates(datetime.date(2025, 1, 1), datetime.date(2025, 1, 5))
_start = st.dates(datetime.date(2025, 1, 1), datetime.date(2025, 1, 3))
_end = st.dates(datetime.date(2025, 1, 3), datetime.date(2025, 1, 5))
_where = {"on": _regions, "sectors": _sectors, "start": _start, "end": _end}
_measure = st.fixed_dictionaries(
    {"kind": st.just("tariff"), "by": _regions, "rate": st.floats(0, 3) | st.integers(0, 3)},
    optional={**_where, "mode": st.sampled_from(("add", "set"))},
) | st.fixed_dictionaries(
    {
        "kind": st.just("trade_cost"),
        "by": _regions,
        "factor": st.floats(0.1, 3) | st.integers(1, 3),
    },
    optional=_where,
)
# The kinds of issue 4, now and then with a product (the tiny world has none: an error).
_measure = (
    _measure
    | st.fixed_dictionaries(
        {"kind": st.just("export_tax"), "by": _regions, "rate": st.floats(0, 3)},
        optional=_where,
    )
    | st.fixed_dictionaries(
        {
            "kind": st.just("export_cap"),
            "by": _regions,
            "share": st.sampled_from((0, 0.5, 1)) | st.floats(0, 1.2),
        },
        optional=_where,
    )
    | st.fixed_dictionaries(
        {"kind": st.just("import_floor"), "by": _regions, "value": st.floats(0.1, 5)},
        optional=_where,
    )
    | st.fixed_dictionaries(
        {
            "kind": st.just("port_fee"),
            "by": _regions,
            "fee_per_net_ton": st.floats(0, 200),
            "net_tons_per_million": st.floats(1, 1000),
            "affected_share": st.floats(0, 1),
        },
        optional=_where,
    )
)


_measure = _measure.flatmap(
    lambda m: st.integers(0, 19).map(lambda k: {**m, "product": "soy"} if k == 7 else m)
)


@settings(
    max_examples=COMPILE_FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    measures=st.lists(_measure, max_size=4),
    date=st.none() | _day,
)
def test_fuzz_parse_and_compile(
    measures: list[dict[str, object]], date: datetime.date | None
) -> None:
    scenario_text = "\n".join(["name: fuzz", "measures:"] + [f"  - {_flow(m)}" for m in measures])
    try:
        scenario = parse_scenario(scenario_text, PATH)
        shock = compile_scenario(scenario, BASE, date=date)
    except ScenarioError as exc:
        assert str(exc).startswith(f"{PATH}:")
        return
    tau, cost = np.asarray(shock.tau_sni), np.asarray(shock.cost_sni)
    # Invariants: rates >= 0 only raise or replace non-negative rates; factors > 0;
    # domestic cells are never touched.
    assert np.all(tau >= 0) and np.all(cost > 0)
    assert np.all(np.diagonal(tau, axis1=1, axis2=2) == 0.0)
    assert np.all(np.diagonal(cost, axis1=1, axis2=2) == 1.0)
    # And every cell agrees with a cell-by-cell reading of the contract.
    want = _cell_by_cell(scenario, date)
    np.testing.assert_allclose(tau, want["tau"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(cost, want["cost"], rtol=1e-13)
    export = np.zeros_like(TAU0) if shock.export_tax_sni is None else shock.export_tax_sni
    np.testing.assert_allclose(export, want["export"], rtol=1e-13, atol=1e-15)
    blocked = np.zeros(TAU0.shape, bool) if shock.blocked_sni is None else shock.blocked_sni
    np.testing.assert_array_equal(blocked, want["blocked"])
    caps = {} if shock.cap_cells is None else {
        tuple(int(x) for x in cell): float(share)
        for cell, share in zip(shock.cap_cells, shock.cap_share, strict=True)
    }  # fmt: skip
    assert caps == want["caps"]
    floors = [] if shock.floor_cells is None else [
        (float(v), tuple(np.asarray(c).ravel() == 1))
        for v, c in zip(shock.floor_value, shock.floor_cells, strict=True)
    ]  # fmt: skip
    assert floors == want["floors"]


def _cell_by_cell(scenario: Scenario, date: datetime.date | None) -> dict[str, Any]:
    """The shock's arrays computed one cell at a time, straight from CONTRACTS §2: tariffs,
    cost factors, export taxes, bans, caps ({cell: tightest share}) and floors
    ([(value, cells)], identical floors once).  The tiny world trades on every foreign cell."""
    tau, cost, export = TAU0.copy(), np.ones_like(TAU0), np.zeros_like(TAU0)
    blocked, caps = np.zeros(TAU0.shape, bool), {}
    floor_cells = {m.index: np.zeros(TAU0.shape, bool) for m in scenario.measures}
    for s, sector in enumerate(BASE.sectors):
        for n, importer in enumerate(BASE.regions):
            for i, exporter in enumerate(BASE.regions):
                if n == i:
                    continue  # no measure touches a domestic cell
                live = [
                    m
                    for m in scenario.measures
                    if (m.start is None or date is None or m.start <= date)
                    and (m.end is None or date is None or date < m.end)
                    and _covers(m, importer, exporter)
                    and (m.sectors == "*" or {"goods", sector} & set(m.sectors))
                ]
                sets = [m.rate for m in live if isinstance(m, Tariff) and m.mode == "set"]
                assert len(sets) <= 1  # compile would have raised
                adds = sum(m.rate for m in live if isinstance(m, Tariff) and m.mode == "add")
                tau[s, n, i] = (sets[0] if sets else TAU0[s, n, i]) + adds
                cost[s, n, i] = np.prod(
                    [m.factor for m in live if isinstance(m, TradeCost)]
                    + [m.cost_factor for m in live if isinstance(m, PortFee)]
                )
                export[s, n, i] = (
                    np.prod([1 + m.rate for m in live if isinstance(m, ExportTax)]) - 1
                )
                shares = [m.share for m in live if isinstance(m, ExportCap)]
                blocked[s, n, i] = 0 in shares
                if shares and 0 not in shares:
                    caps[(s, n, i)] = min(shares)
                for m in live:
                    floor_cells[m.index][s, n, i] = isinstance(m, ImportFloor)
    floors: list[tuple[float, tuple[bool, ...]]] = []
    for m in scenario.measures:
        if isinstance(m, ImportFloor) and floor_cells[m.index].any():
            floor = (m.value, tuple(floor_cells[m.index].ravel()))
            floors += [] if floor in floors else [floor]
    return {"tau": tau, "cost": cost, "export": export, "blocked": blocked, "caps": caps,
            "floors": floors}  # fmt: skip


def _covers(m: Measure, importer: str, exporter: str) -> bool:
    """Whether measure ``m`` reaches the importer-exporter pair (by-role aware)."""
    if m.by_role == "importer":
        return _selects(m.by, importer, m.on) and _selects(m.on, exporter, m.by)
    return _selects(m.by, exporter, m.on) and _selects(m.on, importer, m.by)


def _selects(side: object, region: str, other: object) -> bool:
    """Whether one side of a measure selects ``region``: ``"*"`` on one side is every
    region not named on the other side, ``"*"`` on both is every region (§2)."""
    if side != "*":
        return region in side  # type: ignore[operator]
    return other == "*" or region not in other  # type: ignore[operator]


def _flow(value: object) -> str:
    """Write a small value as YAML flow text (strings always quoted)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
