"""Timelines: the phases of a dated scenario, solved in order (``truce timeline``).

The calendar is checked against its closed form (the phases are cut at the set of
start/end dates, and the measures in force are constant within a phase).  Every solved
phase is compared with a separate ``truce.run`` on the day the phase is solved at: the
warm start from the previous phase may change the path the solver takes, never its
answer.  All solves are on the built-in ``default`` world (14 regions × 28 sectors);
after the first solve compiles the solver, each phase costs a few hundredths of a second.
"""

from __future__ import annotations

import datetime
import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import truce
from truce import api as api_module
from truce.cli.main import app
from truce.cli.solve import WIDE_PHASES
from truce.data.calibrate import world_to_baseline
from truce.model import caliendo_parro
from truce.model.solve import solve
from truce.policy.compile import change_dates, compile_scenario, in_force
from truce.policy.spec import Tariff
from truce.report.timeline import TABLE_COLUMNS
from truce.timeline import Phase, phases, solve_path

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)
RUNNER = CliRunner(env={"COLUMNS": "400"})
EXIT_OK, EXIT_MODEL_FAILED, EXIT_BAD_INPUT = 0, 1, 2  # CONTRACTS.md §4

# Each solve stops once every equilibrium condition is within 1e-12 of world income (the
# solver converges at 10 × DEFAULT_TOL).  Two such points, one reached from a cold start
# and one from the previous phase, differ by about 1e-11 in every ratio, so by about
# 1e-9 percentage points; a change that is itself near zero (a nominal wage that hardly
# moves) cannot then agree to rtol alone, so the *_pct columns also get an absolute
# tolerance of 1e-8 percentage points (1e-10 in ratio terms).  Levels (tariff revenue,
# flows in USD million) agree to the relative tolerance; tiny flows get 1e-6 USD million.
RTOL = 1e-9
PCT_ATOL = 1e-8
FLOW_ATOL = 1e-6

# The 2025 US-China escalation: three US rates on China in sequence, a Chinese
# retaliation that overlaps two of them, and an undated trade-cost rise.
TRADE_WAR = """\
name: escalation
description: US tariffs on China in 2025, Chinese retaliation, a permanent cost rise.
world: default
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25
    start: 2025-02-04
    end: 2025-04-10
  - kind: tariff
    by: USA
    on: CHN
    rate: 1.25
    start: 2025-04-10
    end: 2025-05-14
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.30
    start: 2025-05-14
  - kind: tariff
    by: CHN
    on: USA
    sectors: [A01, B05]
    rate: 0.15
    start: 2025-03-10
    end: 2025-05-14
  - kind: trade_cost
    by: USA
    on: CHN
    factor: 1.01
"""
TRADE_WAR_DATES = [D(2025, 2, 4), D(2025, 3, 10), D(2025, 4, 10), D(2025, 5, 14)]

UNDATED = """\
name: undated
world: default
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25
"""

ZERO_DEFICITS = """\
name: zero-deficits
world: default
options:
  deficits: zero
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25
    start: 2025-02-04
"""

UNKNOWN_REGION = """\
name: unknown-region
world: default
measures:
  - kind: tariff
    by: USA
    on: XYZ
    rate: 0.25
    start: 2025-02-04
"""


def _tariff(
    rate: float, start: D | None = None, end: D | None = None, by: str = "USA", on: str = "CHN"
) -> Tariff:
    return Tariff(by=by, on=on, rate=rate, start=start, end=end)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("timeline")


@pytest.fixture(scope="module")
def world() -> truce.World:
    return truce.load_world("default")


@pytest.fixture(scope="module")
def war(folder: Path) -> truce.Scenario:
    return truce.load_scenario(_write(folder, "escalation", TRADE_WAR))


@pytest.fixture(scope="module")
def war_path(world, war):
    """The escalation's timeline, with every progress call recorded."""
    calls: list[tuple[int, int, Phase]] = []
    result = truce.timeline(world, war, progress=lambda *call: calls.append(call))
    return result, calls


# --------------------------------------------------------------------------- calendar


def test_the_public_name_is_the_function() -> None:
    # ``truce.timeline`` is the use-case function although a package of that name exists:
    # importing the package's modules (all loaded with truce) must not rebind it.
    import truce.timeline.calendar

    assert callable(truce.timeline) and truce.timeline is truce.api.timeline
    assert "timeline" in truce.__all__ and "TimelineResult" in truce.__all__


def test_phases_are_cut_at_every_change_date(war) -> None:
    cut = phases(war)
    dates = change_dates(war)
    assert dates == TRADE_WAR_DATES  # the set of start/end dates, sorted
    # Closed form: [None, d1, ..., dk, None] taken pairwise.
    bounds = [None, *dates, None]
    assert [(p.start, p.end) for p in cut] == list(itertools.pairwise(bounds))
    # Contiguous, in date order, the last one open.
    for before, after in itertools.pairwise(cut):
        assert before.end == after.start
    assert cut[0].start is None and cut[-1].end is None


def test_measures_in_force_are_constant_within_a_phase(war) -> None:
    cut = phases(war)
    for phase in cut:
        first = phase.date
        assert first is not None and phase.contains(first)
        last = phase.end - ONE_DAY if phase.end is not None else first + ONE_DAY * 365
        assert in_force(war, first) == in_force(war, last)
    # Consecutive phases differ: each cut is a real change.
    forces = [tuple(m.index for m in in_force(war, p.date)) for p in cut]
    assert all(a != b for a, b in itertools.pairwise(forces))
    # Before the first date only the undated trade cost is in force.
    assert forces[0] == (4,)


def test_phase_dates_and_labels(war) -> None:
    cut = phases(war)
    # Dated phases are solved at their start, the leading one the day before the first date.
    assert cut[0].date == D(2025, 2, 3)
    assert [p.date for p in cut[1:]] == TRADE_WAR_DATES
    assert cut[0].label == "before 2025-02-04"
    assert cut[1].label == "2025-02-04 to 2025-03-10"
    assert cut[-1].label == "from 2025-05-14"


@pytest.mark.parametrize(
    "measures",
    [(), (_tariff(0.25),), (_tariff(0.25), _tariff(0.1, by="CHN", on="USA"))],
    ids=["empty", "one undated", "two undated"],
)
def test_no_dates_is_one_phase(measures) -> None:
    (phase,) = phases(truce.Scenario(name="x", measures=measures))
    assert (phase.start, phase.end, phase.date, phase.label) == (None, None, None, "always")


def test_only_an_end_date_gives_two_phases() -> None:
    cut = phases(truce.Scenario(name="x", measures=(_tariff(0.25, end=D(2025, 1, 1)),)))
    assert [(p.start, p.end) for p in cut] == [(None, D(2025, 1, 1)), (D(2025, 1, 1), None)]


def test_an_empty_phase_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty phase"):
        Phase(D(2025, 1, 2), D(2025, 1, 2))


# --------------------------------------------------------------------------- solving


def test_progress_is_reported_before_each_phase_and_after_the_last(war, war_path) -> None:
    _, calls = war_path
    cut = phases(war)
    total = len(cut)
    assert calls == [(k, total, p) for k, p in enumerate(cut)] + [(total, total, cut[-1])]


def test_phases_come_out_in_date_order(war, war_path) -> None:
    result, _ = war_path
    assert [(p.start, p.end) for p in result.phases] == [(p.start, p.end) for p in phases(war)]
    assert [p.result.date for p in result.phases] == [p.date for p in phases(war)]
    assert result.solver.iterations == sum(p.result.solver.iterations for p in result.phases)


def _assert_same_regions(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert list(a["region"]) == list(b["region"])
    pct = [c for c in a.columns if c.endswith("_pct")]
    np.testing.assert_allclose(a[pct], b[pct], rtol=RTOL, atol=PCT_ATOL)
    np.testing.assert_allclose(a["tariff_revenue"], b["tariff_revenue"], rtol=RTOL)


def _assert_same_result(got: truce.Result, want: truce.Result) -> None:
    assert got.date == want.date
    _assert_same_regions(got.regions, want.regions)
    keys = [c for c in got.trade.columns if c not in ("counterfactual", "base")]
    pd.testing.assert_frame_equal(got.trade[keys], want.trade[keys])
    np.testing.assert_allclose(
        got.trade["counterfactual"], want.trade["counterfactual"], rtol=RTOL, atol=FLOW_ATOL
    )
    pd.testing.assert_frame_equal(got.measures, want.measures)


def test_each_phase_equals_a_separate_run(world, war, war_path) -> None:
    result, _ = war_path
    for phase in result.phases:
        _assert_same_result(phase.result, truce.run(world, war, date=phase.result.date))
    # Dated phases are the runs on their start date.
    for phase in result.phases[1:]:
        assert phase.result.date == phase.start


def test_the_leading_phase_holds_the_undated_measures_only(world, war, war_path) -> None:
    result, _ = war_path
    first = result.phases[0].result
    undated = truce.Scenario(name="cost only", measures=(war.measures[4],))
    _assert_same_regions(first.regions, truce.run(world, undated).regions)
    assert list(first.measures["in_force"]) == [False, False, False, False, True]


def test_undated_scenario_is_one_phase_equal_to_run(world, folder: Path) -> None:
    scenario = truce.load_scenario(_write(folder, "undated", UNDATED))
    result = truce.timeline(world, scenario)
    (phase,) = result.phases
    assert (phase.start, phase.end, phase.result.date) == (None, None, None)
    _assert_same_result(phase.result, truce.run(world, scenario))
    assert len(result.table) == len(world.regions)


def test_zero_deficits_share_one_base(world, folder: Path) -> None:
    scenario = truce.load_scenario(_write(folder, "zero", ZERO_DEFICITS))
    result = truce.timeline(world, scenario)
    assert [(p.start, p.end) for p in result.phases] == [
        (None, D(2025, 2, 4)),
        (D(2025, 2, 4), None),
    ]
    for phase in result.phases:
        _assert_same_result(phase.result, truce.run(world, scenario, date=phase.result.date))
    # Before the tariff the equilibrium is the zero-deficit base itself: every change is 0.
    before = result.phases[0].result.regions
    np.testing.assert_allclose(before["welfare_pct"], 0.0, atol=PCT_ATOL)
    assert "base" in result.bilateral.columns
    # The base solve is counted in the totals, not in any phase.
    assert result.solver.iterations > sum(p.result.solver.iterations for p in result.phases)


def test_solve_path_warm_starts_from_the_previous_phase(world, war) -> None:
    baseline = world_to_baseline(world)
    seen: list[object] = []

    def solve_phase(day, start):
        seen.append(start)
        eq = solve(baseline, compile_scenario(war, baseline, date=day), initial=start)
        return (day, eq), eq

    calls: list[tuple[int, int]] = []
    steps = solve_path(phases(war), solve_phase, progress=lambda d, t, _p: calls.append((d, t)))
    assert seen[0] is None
    assert [s is p.solved[1] for s, p in zip(seen[1:], steps[:-1], strict=True)] == [True] * (
        len(steps) - 1
    )
    assert [step.solved[0] for step in steps] == [step.phase.date for step in steps]
    assert calls == [(k, len(steps)) for k in range(len(steps) + 1)]


def test_api_timeline_warm_starts_each_phase(world, war, monkeypatch) -> None:
    seen: list[object] = []

    def spy(*args, initial=None, **kwargs):
        seen.append(initial)
        return solve(*args, initial=initial, **kwargs)

    # The Caliendo–Parro model's solve, as the timeline calls it phase by phase.
    monkeypatch.setattr(caliendo_parro, "solve", spy)
    result = api_module.timeline(world, war)
    assert seen[0] is None
    assert all(s is not None for s in seen[1:]) and len(seen) == len(result.phases)


# --------------------------------------------------------------------------- tables, JSON


def test_long_table(war_path, world) -> None:
    result, _ = war_path
    table = result.table
    assert list(table.columns) == ["phase_start", "phase_end", "phase", "region", *TABLE_COLUMNS]
    n = len(world.regions)
    assert len(table) == n * len(result.phases)
    for k, phase in enumerate(result.phases):
        rows = table.iloc[k * n : (k + 1) * n]
        assert set(rows["phase_start"]) == {phase.start}
        assert set(rows["phase_end"]) == {phase.end}
        assert set(rows["phase"]) == {phase.title}
        pd.testing.assert_frame_equal(
            rows.loc[:, ["region", *TABLE_COLUMNS]].reset_index(drop=True),
            phase.result.regions.loc[:, ["region", *TABLE_COLUMNS]],
        )


def test_bilateral_goods_totals(war_path, world) -> None:
    result, _ = war_path
    bilateral = result.bilateral
    assert list(bilateral.columns) == [
        "phase_start",
        "phase_end",
        "phase",
        "exporter",
        "importer",
        "baseline",
        "counterfactual",
    ]
    assert not (bilateral["exporter"] == bilateral["importer"]).any()
    # Goods are every sector but services in the default world.
    for phase in result.phases:
        trade = phase.result.trade
        pair = trade[
            (trade.exporter == "CHN") & (trade.importer == "USA") & (trade.sector != "SVC")
        ]
        row = bilateral[
            (bilateral.phase_start.map(lambda d, s=phase.start: d == s))
            & (bilateral.exporter == "CHN")
            & (bilateral.importer == "USA")
        ]
        assert len(row) == 1
        np.testing.assert_allclose(row["baseline"], pair["baseline"].sum(), rtol=1e-12)
        np.testing.assert_allclose(row["counterfactual"], pair["counterfactual"].sum(), rtol=1e-12)
    # The US tariffs on China cut China's goods sales to the US in every dated phase.
    china_usa = bilateral[(bilateral.exporter == "CHN") & (bilateral.importer == "USA")]
    ratio = (china_usa["counterfactual"] / china_usa["baseline"]).to_numpy()
    assert ratio[0] < 1.0  # the undated 1% cost rise
    assert ratio[3] < ratio[1] < ratio[0]  # the 125% phase is the deepest cut


def test_json_at_full_precision(war_path, tmp_path: Path) -> None:
    result, _ = war_path
    target = tmp_path / "out" / "timeline.json"
    assert result.to_json(target) == target
    assert [p.name for p in target.parent.iterdir()] == ["timeline.json"]  # no temp file left
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc.keys() >= {"scenario", "world", "model", "phases", "table"}
    assert (doc["scenario"], doc["world"], doc["model"]) == (
        "escalation",
        "default",
        "caliendo-parro",
    )
    assert [(p["start"], p["end"]) for p in doc["phases"]] == [
        (None, "2025-02-04"),
        ("2025-02-04", "2025-03-10"),
        ("2025-03-10", "2025-04-10"),
        ("2025-04-10", "2025-05-14"),
        ("2025-05-14", None),
    ]
    for entry, phase in zip(doc["phases"], result.phases, strict=True):
        assert entry["solver"]["converged"] is True
        assert entry["date"] == phase.result.date.isoformat()
        assert [r["welfare_pct"] for r in entry["regions"]] == list(
            phase.result.regions["welfare_pct"]
        )
        assert len(entry["measures"]) == 5
    assert [row["welfare_pct"] for row in doc["table"]] == list(result.table["welfare_pct"])
    assert doc["table"][0]["phase_start"] is None
    assert doc["table"][-1]["phase_start"] == "2025-05-14"
    assert len(doc["bilateral"]) == len(result.bilateral)


# --------------------------------------------------------------------------- command line


def _invoke(*args: object):
    return RUNNER.invoke(app, [str(a) for a in args])


def test_cli_prints_regions_by_phase_and_writes_json(folder: Path) -> None:
    scenario = _write(folder, "escalation", TRADE_WAR)
    out = folder / "cli" / "timeline.json"
    result = _invoke("timeline", scenario, "--json", out)
    assert result.exit_code == EXIT_OK, (result.output, result.exception)
    assert "welfare % by phase" in result.stdout
    for fragment in ("before", "2025-02-04", "USA", "CHN", "EU27", "ROW"):
        assert fragment in result.stdout
    assert "-0.000" not in result.stdout
    assert "5 phases solved" in result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["phases"]) == 5


def test_cli_long_timeline_lists_phases_as_rows(folder: Path) -> None:
    starts = [D(2025, 1, 1) + ONE_DAY * 7 * k for k in range(WIDE_PHASES + 1)]
    measures = "".join(
        f"  - {{kind: tariff, by: USA, on: CHN, rate: {0.05 * (k + 1)}, start: {d}}}\n"
        for k, d in enumerate(starts)
    )
    scenario = _write(folder, "weekly", f"name: weekly\nworld: default\nmeasures:\n{measures}")
    result = _invoke("timeline", scenario, "--quiet")
    assert result.exit_code == EXIT_OK, (result.output, result.exception)
    assert result.stdout == result.stderr == ""
    result = _invoke("timeline", scenario)
    assert result.exit_code == EXIT_OK, (result.output, result.exception)
    for fragment in ("phase", "largest gain", "largest loss", "before 2025-01-01"):
        assert fragment in result.stdout
    assert f"from {starts[-1]}" in result.stdout


@pytest.mark.parametrize(
    ("text", "fragment"),
    [(UNKNOWN_REGION, "unknown region 'XYZ'"), ("name: x\nworld: default\nbogus: 1\n", "bogus")],
    ids=["unknown region", "unknown key"],
)
def test_cli_bad_scenario_is_bad_input(folder: Path, text: str, fragment: str) -> None:
    scenario = _write(folder, "bad", text)
    out = folder / "bad.json"
    result = _invoke("timeline", scenario, "--json", out)
    assert result.exit_code == EXIT_BAD_INPUT, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert fragment in " ".join(result.stderr.split())
    assert not out.exists()


def test_cli_no_world_is_bad_input(folder: Path) -> None:
    scenario = _write(folder, "worldless", "name: worldless\nmeasures: []\n")
    result = _invoke("timeline", scenario)
    assert result.exit_code == EXIT_BAD_INPUT
    assert "--world" in result.stderr


def test_cli_nonconvergence_writes_nothing(folder: Path) -> None:
    scenario = _write(folder, "undated", UNDATED)
    out = folder / "failed.json"
    result = _invoke("timeline", scenario, "--json", out, "--max-iterations", "1")
    assert result.exit_code == EXIT_MODEL_FAILED, (result.output, result.exception)
    assert "did not converge" in result.stderr
    assert not out.exists()


def test_named_phases_carry_their_names_everywhere(tmp_path) -> None:
    # The scenario's phases key names each span; the names reach the phases, the long
    # table, the JSON and the command line's table.
    path = tmp_path / "named.yaml"
    path.write_text(
        "name: named\nworld: cp2015\nphases:\n  before: Calm\n  2025-04-10: First layer\n"
        "measures:\n  - kind: tariff\n    by: USA\n    on: CHN\n    rate: 0.1\n"
        "    start: 2025-04-10\n  - kind: tariff\n    by: USA\n    on: CHN\n    rate: 0.1\n"
        "    start: 2025-05-14\n"
    )
    result = truce.timeline("cp2015", path)
    assert [p.name for p in result.phases] == ["Calm", "First layer", None]
    assert result.phases[1].title == "First layer (2025-04-10 to 2025-05-14)"
    assert result.phases[2].title == "from 2025-05-14"
    assert set(result.table["phase"]) == {p.title for p in result.phases}
    assert [p["name"] for p in result.to_dict()["phases"]] == ["Calm", "First layer", None]
    shown = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["timeline", str(path)])
    assert shown.exit_code == 0, shown.output
    assert "Calm" in shown.stdout and "First layer" in shown.stdout
    # A name on a date where nothing changes is an error at its line.
    bad = path.read_text().replace("2025-04-10: First", "2025-04-11: First")
    path.write_text(bad)
    with pytest.raises(truce.ScenarioError, match="starts no phase") as caught:
        truce.load_scenario(path)
    assert caught.value.line == 5
