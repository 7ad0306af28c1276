"""The run store (truce.api.store) and the commands over it: ``truce run`` keeping runs,
``truce runs``, ``truce runs show`` and ``truce compare``.

Every store here lives under ``tmp_path`` (``--store`` or ``TRUCE_STORE`` in a child's
environment); conftest turns the user's store off for everything else.  Child processes
check what one process cannot: a run saved by one process is listed by another, a
process killed with SIGKILL inside the saving transaction leaves the store readable and
without a part of its run, and two processes saving at once both land.  The children
save synthetic results (no solve), except the one that runs ``truce run``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from truce import api
from truce.api.store import TABLES, RunStore, default_path
from truce.cli.main import app
from truce.config import Settings
from truce.errors import StoreError
from truce.report.result import Result

RUNNER = CliRunner(env={"COLUMNS": "400"})
ROOT = Path(__file__).resolve().parents[1]

# One tariff, fixed deficits: the smallest scenario that moves the cp2015 world.
SCENARIO = """\
name: store-small
description: The United States adds 25% on Chinese goods.
world: cp2015
options:
  deficits: fixed
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25
"""

# A synthetic result, built the same way here and in child processes: object columns
# holding numbers and None, a date, extra fields, and a trade table big enough that
# DuckDB writes it to the file before the commit.
SYNTHETIC = """
import pandas as pd
from datetime import date
from truce.report.result import Result, SolverStats

def synthetic(name="synthetic", rows=200_000):
    regions = pd.DataFrame({
        "region": pd.Series(["AAA", "BBB", "CCC"], dtype="str"),
        "welfare_pct": [0.5, -0.25, 1e-17],
        "real_wage_pct": [0.1, 0.2, 0.3],
        "price_index_pct": [-1.0, 2.0, float("nan")],
    })
    trade = pd.DataFrame({
        "exporter": pd.Series(["AAA", "BBB"] * (rows // 2), dtype="str"),
        "importer": pd.Series(["BBB", "AAA"] * (rows // 2), dtype="str"),
        "baseline": [float(k) / 7.0 for k in range(rows)],
    })
    measures = pd.DataFrame({
        "index": [0, 1],
        "kind": pd.Series(["tariff", "export_cap"], dtype="str"),
        "binding": [False, True],
        "equivalent_rate": pd.Series([None, 0.125], dtype=object),
        "in_force": [True, True],
        "cells": pd.Series([3, None], dtype=object),
    })
    return Result(
        scenario=name, world="made-up", date=date(2025, 4, 2), model="caliendo-parro",
        solver=SolverStats(converged=True, iterations=7, residual=1e-13, seconds=0.5,
                           jacobians=1),
        regions=regions, trade=trade, measures=measures, extra={"note": "made up"},
    )
"""

namespace: dict[str, object] = {}
exec(SYNTHETIC, namespace)  # the same builder the children use
synthetic = namespace["synthetic"]


def _child(code: str, **env: str) -> subprocess.Popen[str]:
    """A Python child running ``code`` after the synthetic-result builder."""
    return subprocess.Popen(
        [sys.executable, "-c", SYNTHETIC + code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
    )


def _assert_same(got: Result, want: Result) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True)
    assert got.solver == want.solver
    assert (got.scenario, got.world, got.date, got.model) == (
        want.scenario,
        want.world,
        want.date,
        want.model,
    )
    assert got.extra == want.extra
    assert got.to_dict().keys() == want.to_dict().keys()


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, api.World, api.Scenario]:
    folder = tmp_path_factory.mktemp("scenario")
    (folder / "small.yaml").write_text(SCENARIO)
    world = api.load_world("cp2015")
    spec = api.load_scenario(folder / "small.yaml")
    return api.run(world, spec), world, spec


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "runs.duckdb"


def test_round_trip_of_a_solved_run(solved, store_path: Path) -> None:
    result, world, spec = solved
    store = RunStore(store_path)
    run_id = store.save_run(result, world, spec)
    assert len(run_id) == 12
    _assert_same(store.get(run_id), result)
    assert store.get(run_id).to_dict() == result.to_dict()
    info = store.info(run_id)
    assert (info.scenario, info.world, info.converged) == ("store-small", "cp2015", True)
    assert info.world_hash is not None and len(info.world_hash) == 64
    assert store.scenario_text(run_id) == SCENARIO


def test_round_trip_keeps_dtypes_nulls_dates_and_extras(store_path: Path) -> None:
    result = synthetic(rows=10)
    store = RunStore(store_path)
    run_id = store.save(result, scenario_text="name: x", world_hash="abc")
    got = store.get(run_id)
    _assert_same(got, result)
    assert got.measures["equivalent_rate"].tolist() == [None, 0.125]
    assert got.measures["cells"].tolist() == [3, None]
    assert got.date == date(2025, 4, 2)


def test_list_prefix_and_delete(store_path: Path) -> None:
    store = RunStore(store_path)
    assert store.list() == []
    first = store.save(synthetic("one", rows=4))
    second = store.save(synthetic("two", rows=4))
    assert [i.id for i in store.list()] == [first, second]
    assert store.info(first[:6]).scenario == "one"
    assert first in store and "nope" not in store
    store.delete(first)
    assert [i.id for i in store.list()] == [second]
    with pytest.raises(StoreError, match="no run"):
        store.get(first)
    with duckdb.connect(str(store_path)) as con:
        for name in TABLES:
            ids = {r[0] for r in con.execute(f"SELECT DISTINCT run_id FROM {name}").fetchall()}
            assert ids <= {second}


def test_default_path_follows_the_settings() -> None:
    assert default_path(Settings(cache_dir=None, store_off=True)) is None
    assert default_path(Settings(cache_dir=None, store=Path("x.duckdb"))) == Path("x.duckdb")
    assert default_path(Settings(cache_dir=None)).name == "runs.duckdb"


def test_a_run_saved_by_one_process_is_listed_by_another(tmp_path: Path) -> None:
    (tmp_path / "small.yaml").write_text(SCENARIO)
    store_path = tmp_path / "runs.duckdb"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from truce.cli.main import main; sys.argv[0] = 'truce'; main()",
            "run",
            str(tmp_path / "small.yaml"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TRUCE_STORE": str(store_path), "COLUMNS": "400"},
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    runs = RunStore(store_path).list()
    assert len(runs) == 1
    assert f"run {runs[0].id} saved" in done.stderr
    assert runs[0].scenario == "store-small"
    regions = RunStore(store_path).get(runs[0].id).regions
    assert "USA" in set(regions["region"])


def test_a_process_killed_while_saving_leaves_no_partial_run(store_path: Path) -> None:
    child = _child(
        f"""
import sys, time
from truce.api.store import RunStore
store = RunStore({str(store_path)!r})
print(store.save(synthetic("kept")), flush=True)
def wait():
    print("inside", flush=True)
    time.sleep(60)
store.save(synthetic("killed"), before_commit=wait)
"""
    )
    with child:
        assert child.stdout is not None
        try:
            kept = child.stdout.readline().strip()
            assert child.stdout.readline().strip() == "inside"
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert child.returncode == -signal.SIGKILL
    store = RunStore(store_path, lock_timeout=10)
    assert [i.id for i in store.list()] == [kept]
    assert store.get(kept).trade.shape == (200_000, 3)
    with duckdb.connect(str(store_path)) as con:
        for name in TABLES:
            ids = {r[0] for r in con.execute(f"SELECT DISTINCT run_id FROM {name}").fetchall()}
            # No row of the killed run (a synthetic result has no sectors or tariffs rows).
            assert ids == ({kept} if name not in ("sectors", "tariffs") else set())
    # ... and stays writable.
    again = store.save(synthetic("after", rows=4))
    assert [i.id for i in store.list()] == [kept, again]


def test_two_processes_saving_at_once_both_land(tmp_path: Path, store_path: Path) -> None:
    go = tmp_path / "go"
    code = f"""
import os, time
from pathlib import Path
from truce.api.store import RunStore
store = RunStore({str(store_path)!r})
while not Path({str(go)!r}).exists():
    time.sleep(0.01)
for k in range(3):
    print(store.save(synthetic(f"writer-{{os.getpid()}}-{{k}}")), flush=True)
"""
    children = [_child(code), _child(code)]
    time.sleep(0.5)
    go.touch()
    ids: list[str] = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        ids += out.split()
    assert len(ids) == 6
    store = RunStore(store_path)
    assert sorted(i.id for i in store.list()) == sorted(ids)
    want = synthetic()
    for run_id in ids:
        got = store.get(run_id)
        assert got.scenario.startswith("writer-")
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name))


# -- the command line ----------------------------------------------------------------------


@pytest.fixture
def stored(solved, store_path: Path) -> str:
    result, world, spec = solved
    return RunStore(store_path).save_run(result, world, spec)


def _invoke(*args: str):
    return RUNNER.invoke(app, list(args))


def test_run_keeps_the_run_and_prints_its_id(tmp_path: Path, store_path: Path) -> None:
    (tmp_path / "small.yaml").write_text(SCENARIO)
    done = _invoke("run", str(tmp_path / "small.yaml"), "--store", str(store_path))
    assert done.exit_code == 0, done.output
    (info,) = RunStore(store_path).list()
    assert f"run {info.id} saved" in done.stderr
    assert info.id not in done.stdout


def test_run_with_no_store_keeps_nothing(tmp_path: Path, store_path: Path) -> None:
    (tmp_path / "small.yaml").write_text(SCENARIO)
    done = _invoke("run", str(tmp_path / "small.yaml"), "--store", str(store_path), "--no-store")
    assert done.exit_code == 0, done.output
    assert not store_path.exists()


def test_runs_lists_and_shows(stored: str, store_path: Path) -> None:
    listed = _invoke("runs", "--store", str(store_path))
    assert listed.exit_code == 0, listed.output
    assert stored in listed.stdout and "store-small" in listed.stdout
    shown = _invoke("runs", "show", stored[:6], "--store", str(store_path))
    assert shown.exit_code == 0, shown.output
    assert f"run {stored}" in shown.stdout
    assert "converged in" in shown.stdout and "USA" in shown.stdout


def test_runs_on_an_empty_store(store_path: Path) -> None:
    listed = _invoke("runs", "--store", str(store_path))
    assert listed.exit_code == 0
    assert "no runs kept yet" in listed.stderr


@pytest.mark.parametrize("command", [["runs", "show"], ["runs", "delete"]])
def test_unknown_run_id_exits_2(stored: str, store_path: Path, command: list[str]) -> None:
    done = _invoke(*command, "0123456789ab", "--store", str(store_path))
    assert done.exit_code == 2
    assert "no run '0123456789ab'" in " ".join(done.stderr.split())


def test_compare_a_run_with_itself_shows_zero_differences(stored: str, store_path: Path) -> None:
    done = _invoke("compare", stored, stored, "--store", str(store_path))
    assert done.exit_code == 0, done.output
    first = f"store-small ({stored})"
    assert f"largest change of {first} #2 from {first}: 0.000%" in done.stdout
    for heading in ("welfare %", "real wage %", "price index %"):
        assert heading in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.startswith("│ USA")]
    assert len(rows) == 3
    for row in rows:
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert cells[1] == cells[2] and cells[3] == "+0.000"


def test_compare_runs_scenarios_on_demand_and_keeps_them(
    stored: str, tmp_path: Path, store_path: Path
) -> None:
    (tmp_path / "small.yaml").write_text(SCENARIO)
    done = _invoke("compare", stored, str(tmp_path / "small.yaml"), "--store", str(store_path))
    assert done.exit_code == 0, done.output
    runs = RunStore(store_path).list()
    assert len(runs) == 2
    assert (
        f"largest change of store-small ({runs[1].id}) from store-small ({stored}): 0.000%"
        in done.stdout
    )


def test_compare_of_something_unknown_exits_2(stored: str, store_path: Path) -> None:
    done = _invoke("compare", stored, "no-such-thing", "--store", str(store_path))
    assert done.exit_code == 2
    assert "neither a run id" in " ".join(done.stderr.split())
    one = _invoke("compare", stored, "--store", str(store_path))
    assert one.exit_code == 2


def test_a_save_waits_for_another_process_holding_the_database(store_path: Path) -> None:
    RunStore(store_path).list()  # nothing yet: the file is not created
    RunStore(store_path).save(synthetic("first", rows=4))
    # A process that opens the database itself, without the store's lock file.
    code = f"""
import time, duckdb
con = duckdb.connect({str(store_path)!r})
print("open", flush=True)
time.sleep(1.5)
con.close()
"""
    with _child(code) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "open"
        started = time.monotonic()
        second = RunStore(store_path, lock_timeout=30).save(synthetic("second", rows=4))
        waited = time.monotonic() - started
        child.communicate(timeout=30)
    assert waited > 0.5
    assert [i.scenario for i in RunStore(store_path).list()] == ["first", "second"]
    assert second in RunStore(store_path)


def test_compare_writes_a_report(stored: str, tmp_path: Path, store_path: Path) -> None:
    report = tmp_path / "compare.html"
    done = _invoke("compare", stored, stored, "--store", str(store_path), "--report", str(report))
    assert done.exit_code == 0, done.output
    html = report.read_text()
    assert html.startswith("<!DOCTYPE html>")
    for section in ("runs", "differences", "welfare_pct", "real_wage_pct", "price_index_pct"):
        assert f'id="{section}"' in html
    assert "<script src" not in html
    assert "+0.000" in html  # the exact change of a run against itself


def test_compare_report_to_a_folder_exits_2(stored: str, tmp_path: Path, store_path: Path) -> None:
    done = _invoke("compare", stored, stored, "--store", str(store_path), "--report", str(tmp_path))
    assert done.exit_code == 2


# ------------------------------------------------------------- damage and foreign files


def test_a_damaged_layout_is_a_store_error(store_path: Path) -> None:
    """Reproducer: a corrupted layout entry made `runs show` end in a JSONDecodeError."""
    run_id = RunStore(store_path).save(synthetic("damaged", rows=4))
    with duckdb.connect(str(store_path)) as con:
        con.execute("UPDATE runs SET layout = '{not json' WHERE id = ?", [run_id])
    with pytest.raises(StoreError, match="damaged"):
        RunStore(store_path).get(run_id)
    done = _invoke("runs", "show", run_id, "--store", str(store_path))
    assert done.exit_code == 2 and "damaged" in " ".join(done.stderr.split())


def test_a_dropped_table_is_damage_not_an_empty_result(store_path: Path) -> None:
    """Reproducer: a dropped trade table came back recreated, and the run with 0 rows."""
    run_id = RunStore(store_path).save(synthetic("dropped", rows=4))
    with duckdb.connect(str(store_path)) as con:
        con.execute("DROP TABLE trade")
    with pytest.raises(StoreError, match="trade table holds 0 rows, it was saved with 4"):
        RunStore(store_path).get(run_id)


def test_another_database_is_refused_without_loading_an_extension(tmp_path: Path) -> None:
    """Reproducer: a SQLite file as the store made DuckDB try to download its reader."""
    import sqlite3

    path = tmp_path / "other.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute("CREATE TABLE t (a)")
        con.commit()
    with pytest.raises(StoreError, match="not a truce run store"):
        RunStore(path).list()


def test_saved_times_carry_their_utc_offset(store_path: Path) -> None:
    """Reproducer: `created_at` lacked an offset, against the API's own date-time."""
    run_id = RunStore(store_path).save(synthetic("timed", rows=4))
    created = RunStore(store_path).info(run_id).created_at
    assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0
    assert created.isoformat().endswith("+00:00")


def test_reading_writes_nothing(store_path: Path) -> None:
    """Reads open the store read-only (a store on a read-only disk can be listed): a
    store kept before a table existed is read without the table being created."""
    run_id = RunStore(store_path).save(synthetic("old", rows=4))
    with duckdb.connect(str(store_path)) as con:
        layout = json.loads(con.execute("SELECT layout FROM runs").fetchone()[0])
        del layout["tariffs"], layout["_rows"]["tariffs"]
        con.execute("UPDATE runs SET layout = ?", [json.dumps(layout)])
        con.execute("DROP TABLE tariffs")
    kept = RunStore(store_path)
    assert [i.id for i in kept.list()] == [run_id]
    assert kept.get(run_id).tariffs.empty
    with duckdb.connect(str(store_path), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "tariffs" not in tables
