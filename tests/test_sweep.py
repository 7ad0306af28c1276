"""Sweeps (truce.policy.sweep_spec, truce.api.sweep_runner, ``truce sweep``).

Points run on Dask clusters started here on 127.0.0.1: a module-wide one with one
worker thread (``processes=False``), which shares this process's compiled solvers, one
started inside a test and reached by its scheduler's address, and, once, the default
local cluster of worker processes.  The world is the built-in ``default`` (14 regions,
a solve takes a few hundredths of a second once compiled).  Every number compared comes
from an independent :func:`truce.run` of the same scenario, never from a constant.
"""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

from truce import api
from truce.api.store import RunStore
from truce.api.sweep_runner import builtin_sweeps, load_sweep, run_sweep, show_value, summary_html
from truce.cli.main import app
from truce.errors import SweepError
from truce.policy.parse import parse_scenario
from truce.policy.sweep_spec import parse_sweep

RUNNER = CliRunner(env={"COLUMNS": "400"})
EXIT_OK, EXIT_MODEL_FAILED, EXIT_BAD_INPUT = 0, 1, 2
WORLD = "default"

# Equal up to the last bits: the same solve in another thread or process.
RTOL = ATOL = 1e-12

# A tariff each way and a cap, so that every axis kind can be swept.  The comment on
# the rate line must survive the round-trip edit of the points' texts.
BASE = """\
# base: a small US-China exchange for the sweep tests
name: base
description: Tariffs both ways and a cap on Chinese mining exports to the US.
world: default
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25  # the US tariff the grids vary
  - kind: tariff
    by: CHN
    on: USA
    sectors: goods
    rate: 0.1
  - kind: export_cap
    by: CHN
    on: USA
    sectors: [B07]
    share: 0.5
"""


def flat(text: str) -> str:
    return " ".join(text.split())


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def grid_spec(*axes: str, name: str = "grid", scenario: str = "base.yaml") -> str:
    return f"name: {name}\nscenario: {scenario}\ngrid:\n" + "".join(axes)


def axis(measure: str, key: str, values: str) -> str:
    return f"  - measure: {measure}\n    key: {key}\n    values: {values}\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sweep")
    write(path, "base.yaml", BASE)
    return path


@pytest.fixture(scope="module")
def world() -> api.World:
    return api.load_world(WORLD)


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(
        host="127.0.0.1",
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",  # threads, but a real scheduler address on the loopback
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    ) as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster):
    with Client(cluster) as connected:
        yield connected


def regions_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        left.reset_index(drop=True), right.reset_index(drop=True), rtol=RTOL, atol=ATOL
    )


# --------------------------------------------------------------------------- spec errors


# (spec text, line, key, fragment of the message); the base scenario is BASE.
BAD_SPECS = [
    (grid_spec(axis("2", "share", "[0.5, 1.5]")), 6, "share", "outside [0, 1]"),
    (grid_spec(axis("5", "rate", "[0.1]")), 4, "measure", "measures 0 to 2"),
    (grid_spec(axis("0", "share", "[0.1]")), 5, "key", "tariff measure"),
    (grid_spec(axis("0", "kind", "[tariff]")), 5, "key", "cannot be swept"),
    (grid_spec(axis("0", "rate", "[-0.5]")), 6, "rate", "negative"),
    (grid_spec(axis("0", "rate", "[0.1, 0.1]")), 6, "values", "appears twice"),
    (grid_spec(axis("0", "rate", "[]")), 6, "values", "non-empty list"),
    (
        grid_spec("  - measure: 0\n    key: rate\n    from: 0\n    to: 1\n    steps: 1\n"),
        8,
        "steps",
        "integer >= 2",
    ),
    (
        grid_spec("  - measure: 0\n    key: rate\n    values: [0.1]\n    steps: 3\n"),
        7,
        "steps",
        "not both",
    ),
    (grid_spec(axis("0", "rate", "[0.1]"), axis("0", "rate", "[0.2]")), 8, "key", "already"),
    (grid_spec(axis("0", "rate", "[0.1]"), scenario="nowhere.yaml"), 2, "scenario", "no scenario"),
    (grid_spec(axis("0", "rate", "[0.1]"), scenario="no-such-built-in"), 2, "scenario", "unknown"),
    (
        grid_spec(axis("0", "start", "[2026-01-01]"), axis("0", "end", "[2025-01-01]")),
        5,
        "start",
        "date range is empty",
    ),
    ("name: list\nscenarios:\n  - base.yaml\n  - base.yaml\n", 4, "scenarios", "two entries"),
    ("name: x\nscenarios: [base.yaml]\ngrid: []\n", 2, "scenarios", "not both"),
    ("name: x\nscenario: base.yaml\n", 1, "grid", "missing"),
    ("name: x\ncolour: red\nscenarios: [base.yaml]\n", 2, "colour", "unknown key"),
    ("scenarios: [base.yaml]\n", 1, "name", "missing"),
    ("name: x\nscenarios: [base.yaml\n", 3, None, "invalid YAML"),
]


@pytest.mark.parametrize(("text", "line", "key", "fragment"), BAD_SPECS)
def test_a_bad_spec_names_its_file_line_and_key(folder, text, line, key, fragment) -> None:
    path = write(folder, "bad.yaml", text)
    with pytest.raises(SweepError) as raised:
        load_sweep(path)
    error = raised.value
    assert (error.path, error.line, error.key) == (str(path), line, key), str(error)
    prefix = f"{path}:{line}: " + (f"key {key}: " if key else "")
    assert str(error).startswith(prefix), str(error)
    assert fragment in str(error)


def test_every_spec_error_is_a_sweep_error() -> None:
    # Whatever the text, parse_sweep raises SweepError and nothing else.
    for text in ["", "[1, 2]", "name: 3\nscenarios: [a]", "name: x\ngrid: {a: 1}", "\t:"]:
        with pytest.raises(SweepError):
            parse_sweep(text, "x.yaml")


# --------------------------------------------------------------------------- points


def test_a_grid_has_every_combination_and_keeps_the_base(folder) -> None:
    path = write(
        folder,
        "combos.yaml",
        grid_spec(
            axis("0", "rate", "[0, 0.5, 1]"),
            "  - measure: [1, 2]\n    key: start\n    values: [2025-01-01, 2026-01-01]\n",
        ),
    )
    sweep = load_sweep(path)
    base = parse_scenario(BASE)
    assert len(sweep.points) == 3 * 2
    assert len({p.key for p in sweep.points}) == 6
    assert sweep.columns == ("m0.rate", "m1+2.start")
    for point in sweep.points:
        rate, start = point.values["m0.rate"], point.values["m1+2.start"]
        assert point.label == f"m0.rate={rate},m1+2.start={start.isoformat()}"
        assert point.scenario.name == f"base@{point.label}"
        measures = point.scenario.measures
        assert measures[0].rate == rate
        assert measures[1].start == start and measures[2].start == start
        assert measures[0].start is None  # measure 0 is not on that axis
        # Everything not swept is the base's.
        assert measures[1].rate == base.measures[1].rate
        assert measures[2].share == base.measures[2].share
        assert measures[2].sectors == base.measures[2].sectors
        assert "# the US tariff the grids vary" in point.text  # comments kept
    # The last axis runs fastest.
    assert [p.values["m0.rate"] for p in sweep.points] == [0, 0, 0.5, 0.5, 1, 1]


def test_a_range_is_inclusive_and_evenly_spaced(folder) -> None:
    path = write(
        folder,
        "range.yaml",
        grid_spec("  - measure: 2\n    key: share\n    from: 0.1\n    to: 0.9\n    steps: 5\n"),
    )
    values = [p.values["m2.share"] for p in load_sweep(path).points]
    np.testing.assert_allclose(values, np.linspace(0.1, 0.9, 5), rtol=0, atol=1e-12)
    assert values[0] == 0.1 and values[-1] == 0.9


def test_an_option_axis_writes_the_option_into_each_point(folder) -> None:
    path = write(
        folder,
        "option.yaml",
        grid_spec("  - option: critical_sigma\n    values: [0.1, 1]\n", axis("2", "share", "[0.5]"))
        + "outputs: [USA C29, CHN B07]\n",
    )
    sweep = load_sweep(path)
    assert sweep.columns == ("options.critical_sigma", "m2.share")
    assert [p.scenario.options.critical_sigma for p in sweep.points] == [0.1, 1.0]
    assert [p.scenario.measures[2].share for p in sweep.points] == [0.5, 0.5]
    assert sweep.spec.outputs == (("USA", "C29"), ("CHN", "B07"))


@pytest.mark.parametrize(
    ("axis_text", "key", "fragment"),
    [
        ("  - option: model\n    values: [nonsense]\n", "values", "option model"),
        ("  - option: colour\n    values: [1]\n", "option", "must be a scenario option"),
        ("  - option: critical_sigma\n    key: rate\n    values: [1]\n", "key", "not both"),
        ("  - option: critical_sigma\n    values: [11]\n", "values", "outside [0, 10]"),
    ],
)
def test_a_bad_option_axis_names_its_line(folder, axis_text, key, fragment) -> None:
    path = write(folder, "bad-option.yaml", grid_spec(axis_text))
    with pytest.raises(SweepError) as caught:
        load_sweep(path)
    assert caught.value.key == key and fragment in str(caught.value)
    assert caught.value.line is not None


def test_the_critical_sigma_sweep_shows_output_beside_welfare(world, client) -> None:
    # Two points of the built-in critical-sigma sweep: each output column is the point's
    # own run's sector row (an independent truce.run), and welfare is the run's.
    sweep = load_sweep("critical-sigma")
    assert len(sweep.points) >= 25
    picked = [p for p in sweep.points if p.values["m0+1.share"] == 0.2][:2]
    small = type(sweep)(spec=sweep.spec, points=tuple(picked))
    result = run_sweep(small, client=client)
    table = result.welfare_table()
    for point, row in zip(picked, table.itertuples(index=False), strict=True):
        expected = api.run(world, point.scenario)
        sectors = expected.sectors.set_index(["region", "sector"])
        assert row.point == point.label
        values = dict(zip(table.columns, row, strict=True))
        for region, sector in sweep.spec.outputs:
            assert values[f"{region} {sector} output %"] == pytest.approx(
                sectors.at[(region, sector), "output_pct"], rel=1e-9, abs=1e-12
            )
        welfare = expected.regions.set_index("region")["welfare_pct"]
        assert values["USA"] == pytest.approx(welfare["USA"], rel=1e-9, abs=1e-12)
    assert "USA C29 output %" in summary_html(result)


def test_the_builtin_sweeps_load() -> None:
    assert {"us-china-grid", "us-china-2025", "critical-sigma"} <= set(builtin_sweeps())
    grid = load_sweep("us-china-grid")
    assert grid.spec.kind == "grid"
    assert len(grid.points) == math.prod(len(a.values) for a in grid.spec.axes)
    listed = load_sweep("us-china-2025")
    assert [p.label for p in listed.points] == [r.name for r in listed.spec.scenarios]


# --------------------------------------------------------------------------- solving


def test_a_sweep_against_its_base_measures_each_point_against_it(folder, world, client) -> None:
    # Identity: the base's own value against the base changes nothing; another value
    # against the base is that point's run against the base.
    spec = grid_spec(axis("0", "rate", "[0.25, 0.5]"), name="against") + "against: base.yaml\n"
    path = write(folder, "against.yaml", spec)
    sweep = load_sweep(path)
    result = run_sweep(sweep, client=client)
    same, other = result.points
    assert (same.result.regions["welfare_pct"].abs() < 1e-9).all()
    assert same.result.base["scenario"] == api.load_scenario(folder / "base.yaml").name
    base = api.load_scenario(folder / "base.yaml")
    expected = api.run(world, api.load_scenario(folder / "base.yaml"), against=base)
    assert (expected.regions["welfare_pct"].abs() < 1e-9).all()
    alone = api.run(world, other.point.scenario, against=base)
    regions_equal(other.result.regions, alone.regions)
    # Points measured against a scenario are other runs than the same points alone.
    plain = load_sweep(write(folder, "plain.yaml", spec.replace("against: base.yaml\n", "")))
    assert run_sweep(plain, client=client).id != result.id


def test_a_one_point_sweep_equals_a_run(folder, world, client) -> None:
    # One value, the base's own: the point is the base scenario under another name.
    path = write(folder, "one.yaml", grid_spec(axis("0", "rate", "[0.25]")))
    result = run_sweep(load_sweep(path), client=client)
    (point,) = result.points
    assert point.ok and not point.reused and point.run_id is None
    expected = api.run(world, api.load_scenario(folder / "base.yaml"))
    regions_equal(point.result.regions, expected.regions)
    regions_equal(point.result.trade, expected.trade)
    pd.testing.assert_frame_equal(point.result.measures, expected.measures)
    assert point.result.extra["sweep"]["id"] == result.id


def test_each_point_equals_its_own_run(folder, world, cluster) -> None:
    # A cluster of its own on the loopback, reached by its scheduler's address.
    path = write(
        folder,
        "two.yaml",
        grid_spec(axis("0", "rate", "[0, 1.5]"), axis("2", "share", "[0, 1]")),
    )
    sweep = load_sweep(path)
    with LocalCluster(
        host="127.0.0.1",
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",  # threads, but a real scheduler address on the loopback
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    ) as own:
        address = own.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        result = run_sweep(sweep, scheduler=address)
    assert result.cluster == f"the cluster at {address}"
    assert not result.failed and len(result.solved) == 4
    for point in result.points:
        expected = api.run(world, point.point.scenario)
        regions_equal(point.result.regions, expected.regions)
    # The long table is every point's regions, one block per point, in order.
    long = result.long_table()
    assert len(long) == 4 * len(world.regions)
    for point in result.points:
        block = long[long["point"] == point.point.label]
        assert (block["m0.rate"] == point.point.values["m0.rate"]).all()
        fields = list(point.result.regions.columns)
        regions_equal(block[fields], point.result.regions)
    # Two axes: one heatmap per region the swept measures name (USA, CHN).
    assert result.focus_regions() == ("USA", "CHN")
    html = summary_html(result)
    assert "<script src" not in html
    figures = [json.loads(f) for f in re.findall(r"var figure = (\{.*?\});\n", html, re.S)]
    # Each chart's title (its metadata; the shown title adds the base under it).
    assert [f["layout"]["meta"]["Title"] for f in figures] == ["USA: welfare %", "CHN: welfare %"]
    assert all("changes against world" in f["layout"]["title"]["text"] for f in figures)
    for figure, region in zip(figures, ("USA", "CHN"), strict=True):
        (heatmap,) = figure["data"]
        assert heatmap["type"] == "heatmap"
        for point in result.points:  # z[row of the second axis][column of the first]
            row = ["0", "1"].index(show_value(point.point.values["m2.share"]))
            column = ["0", "1.5"].index(show_value(point.point.values["m0.rate"]))
            regions = point.result.regions.set_index("region")
            assert heatmap["z"][row][column] == regions.loc[region, "welfare_pct"]


def test_a_world_object_is_sent_to_the_workers(folder, world, client) -> None:
    path = write(folder, "object.yaml", grid_spec(axis("0", "rate", "[0.5]")))
    sweep = load_sweep(path)
    (point,) = run_sweep(sweep, world=world, client=client).points
    regions_equal(point.result.regions, api.run(world, sweep.points[0].scenario).regions)


def test_a_sweep_interrupted_and_restarted_does_not_redo_finished_points(
    folder, client, tmp_path
) -> None:
    path = write(folder, "resume.yaml", grid_spec(axis("0", "rate", "[0, 0.5, 1, 1.5]")))
    sweep = load_sweep(path)
    store = RunStore(tmp_path / "runs.duckdb")

    def stop_after_first(done, total, point) -> None:
        if point is not None:
            raise KeyboardInterrupt  # as if Ctrl-C came right after the first save

    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, store=store, client=client, progress=stop_after_first)
    runs = store.list()
    assert len(runs) == 1  # the first point, whole
    (first_key,) = store.sweep_runs(store.get(runs[0].id).extra["sweep"]["id"])

    seen: list[tuple[int, int, str | None]] = []
    again = run_sweep(
        sweep,
        store=store,
        client=client,
        progress=lambda d, t, p: seen.append((d, t, p and p.point.key)),
    )
    assert [p.point.key for p in again.reused] == [first_key]
    assert {p.point.key for p in again.solved} == {p.key for p in sweep.points} - {first_key}
    assert seen[0] == (1, 4, None)  # the reused point counts from the start
    assert [s[2] for s in seen[1:]] != [] and first_key not in [s[2] for s in seen[1:]]
    assert len(store.list()) == 4  # no point kept twice
    assert set(store.sweep_runs(again.id)) == {p.key for p in sweep.points}
    # The reused point reads back equal to a fresh solve of it.
    reused = again.reused[0]
    fresh = run_sweep(load_sweep(path), client=client).points
    fresh_point = next(p for p in fresh if p.point.key == first_key)
    regions_equal(reused.result.regions, fresh_point.result.regions)

    # A third run solves nothing and needs no cluster.
    third = run_sweep(sweep, store=store, client=None, workers=1)
    assert len(third.reused) == 4 and third.cluster is None


def test_failed_points_are_reported_and_the_others_kept(folder, client, tmp_path) -> None:
    # ZZZ is no region of the world: that point fails at compile time, as bad input.
    write(folder, "alien.yaml", BASE.replace("name: base", "name: alien").replace("CHN", "ZZZ"))
    path = write(folder, "mixed.yaml", "name: mixed\nscenarios: [base.yaml, alien.yaml]\n")
    store = RunStore(tmp_path / "runs.duckdb")
    result = run_sweep(load_sweep(path), store=store, client=client)
    (failed,) = result.failed
    assert failed.point.label == "alien" and failed.bad_input and "ZZZ" in failed.error
    assert [p.point.label for p in result.solved] == ["base"]
    assert [r.scenario for r in store.list()] == ["base"]
    # A list: grouped bars.
    assert '"bar"' in summary_html(result)


def test_a_point_that_does_not_converge_fails_as_the_model(folder, client) -> None:
    path = write(folder, "cap.yaml", grid_spec(axis("0", "rate", "[1.5]")))
    result = run_sweep(load_sweep(path), client=client, max_steps=1)
    (failed,) = result.failed
    assert not failed.bad_input and "converge" in failed.error.lower()


# --------------------------------------------------------------------------- command line


def test_the_command_end_to_end(folder, cluster, tmp_path) -> None:
    spec = write(
        folder, "cli.yaml", grid_spec(axis("0", "rate", "[0, 0.25]"), axis("2", "share", "[0.5]"))
    )
    store = tmp_path / "runs.duckdb"
    out = tmp_path / "out"
    args = ["sweep", str(spec), "--world", WORLD, "--scheduler", cluster.scheduler_address]
    args += ["--store", str(store)]
    files = ["--csv", out / "s.csv", "--json", out / "s.json", "--report", out / "s.html"]
    first = RUNNER.invoke(app, [*args, *map(str, files)])
    assert first.exit_code == EXIT_OK, (first.output, first.exception)
    assert "2 points: 2 solved" in flat(first.stderr)
    for label in ("m0.rate", "m2.share", "USA", "CHN"):
        assert label in first.stdout
    document = json.loads((out / "s.json").read_text(encoding="utf-8"))
    assert [p["label"] for p in document["points"]] == [
        "m0.rate=0,m2.share=0.5",
        "m0.rate=0.25,m2.share=0.5",
    ]
    table = pd.read_csv(out / "s.csv")
    regions = len(api.load_world(WORLD).regions)
    assert len(table) == 2 * regions
    assert set(table["run_id"]) == {p["run_id"] for p in document["points"]}
    assert "Plotly.newPlot(" in (out / "s.html").read_text(encoding="utf-8")

    # The point at the base's own values equals `truce run` of the base.
    run_json = tmp_path / "run.json"
    ran = RUNNER.invoke(app, ["run", str(folder / "base.yaml"), "--json", str(run_json)])
    assert ran.exit_code == EXIT_OK, ran.output
    expected = pd.DataFrame(json.loads(run_json.read_text(encoding="utf-8"))["regions"])
    same = pd.DataFrame(document["points"][1]["regions"])
    regions_equal(same, expected)

    again = RUNNER.invoke(app, args)
    assert again.exit_code == EXIT_OK, again.output
    assert "2 points, all from the run store" in flat(again.stderr)


def test_the_command_exit_codes(folder, cluster, tmp_path) -> None:
    bad = write(folder, "cli-bad.yaml", grid_spec(axis("2", "share", "[1.5]")))
    result = RUNNER.invoke(app, ["sweep", str(bad), "--no-store"])
    assert result.exit_code == EXIT_BAD_INPUT and result.stdout == ""
    assert f"{bad}:6: key share:" in flat(result.stderr)

    both = RUNNER.invoke(app, ["sweep", "us-china-grid", "--workers", "1", "--scheduler", "x"])
    assert both.exit_code == EXIT_BAD_INPUT and "--scheduler" in flat(both.stderr)

    unknown = RUNNER.invoke(app, ["sweep", "no-such-sweep"])
    assert unknown.exit_code == EXIT_BAD_INPUT and "us-china-grid" in flat(unknown.stderr)

    spec = write(folder, "cli-fail.yaml", grid_spec(axis("0", "rate", "[1.5]")))
    report = tmp_path / "never.html"
    args = ["sweep", str(spec), "--scheduler", cluster.scheduler_address, "--no-store"]
    failed = RUNNER.invoke(app, [*args, "--max-iterations", "1", "--report", str(report)])
    assert failed.exit_code == EXIT_MODEL_FAILED, failed.output
    assert "point m0.rate=1.5" in flat(failed.stderr) and "nothing was written" in flat(
        failed.stderr
    )
    assert not report.exists()
    assert "cannot resume" in flat(failed.stderr)  # no store: the command says so


def test_the_default_local_cluster_runs_worker_processes(folder, world, tmp_path) -> None:
    # The default path: a LocalCluster of worker processes on 127.0.0.1.
    spec = write(folder, "procs.yaml", grid_spec(axis("0", "rate", "[0.5]")))
    out = tmp_path / "procs.json"
    result = RUNNER.invoke(
        app, ["sweep", str(spec), "--workers", "1", "--no-store", "--json", str(out)]
    )
    assert result.exit_code == EXIT_OK, (result.output, result.exception)
    assert "1 local worker" in flat(result.stderr)
    (point,) = json.loads(out.read_text(encoding="utf-8"))["points"]
    expected = api.run(world, load_sweep(spec).points[0].scenario)
    regions_equal(pd.DataFrame(point["regions"]), expected.regions)


def test_local_workers_leave_ctrl_c_to_the_sweep() -> None:
    """Issue 19 item 11: Ctrl-C reaches every process of the terminal's group, and each
    worker printed a traceback before the sweep's message.  Workers start with SIGINT
    ignored (read back from a worker), and this process's handler is put back."""
    import signal

    from truce.api.sweep_runner import _dask_client

    before = signal.getsignal(signal.SIGINT)
    with _dask_client(1, None, None, 1) as (dask, _):
        in_worker = dask.submit(signal.getsignal, signal.SIGINT, pure=False).result()
    assert in_worker == signal.SIG_IGN
    assert signal.getsignal(signal.SIGINT) == before
