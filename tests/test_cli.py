"""The command line (CONTRACTS.md §3 results JSON, §4 commands and exit codes).

Runs go through ``typer.testing.CliRunner`` on :data:`truce.cli.main.app`; one test runs
the installed ``truce`` console script in a subprocess.  This typer's ``CliRunner``
keeps stdout and stderr apart (``result.stdout`` / ``result.stderr``; ``result.output``
mixes them), so the tests check that progress and errors go to stderr.

Solving on the built-in ``cp2015`` world costs a few seconds the first time (the solver
is compiled per array shape and per iteration cap); later solves in the same process
take a fraction of a second, so the successful run is shared by a module fixture.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from truce.cli.main import app
from truce.data.world import World, read_world, write_world

# Rich wraps at the terminal width (80 columns when there is none); a wide terminal keeps
# each message on one line.  Messages are also compared with whitespace collapsed, in case
# the console fixed its width before this environment was set.
RUNNER = CliRunner(env={"COLUMNS": "400"})

# One tariff, fixed deficits: the smallest scenario that moves the cp2015 world.
SCENARIO = """\
name: cli-small
description: The United States adds 25% on Chinese goods.
options:
  deficits: fixed
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25
"""

# CONTRACTS.md §3: the fields a results document, a region row, a trade row, a measure
# row and the solver block must have (fields may be added, none renamed).
TOP_KEYS = {"scenario", "world", "date", "model", "solver", "regions", "trade", "measures"}
SOLVER_KEYS = {"converged", "iterations", "residual", "seconds"}
REGION_KEYS = {
    "region",
    "welfare_pct",
    "real_wage_pct",
    "nominal_wage_pct",
    "price_index_pct",
    "tariff_revenue",
    "exports_pct",
    "imports_pct",
}
TRADE_KEYS = {"exporter", "importer", "sector", "baseline", "counterfactual"}
MEASURE_KEYS = {"index", "kind", "binding", "equivalent_rate"}

EXIT_OK, EXIT_MODEL_FAILED, EXIT_BAD_INPUT = 0, 1, 2  # CONTRACTS.md §4


def flat(text: str) -> str:
    """``text`` with every run of whitespace (line wraps included) as one space."""
    return " ".join(text.split())


def invoke(*args: str):
    return RUNNER.invoke(app, [str(a) for a in args])


def assert_bad_input(result, *fragments: str) -> None:
    """Exit 2, nothing on stdout, and every fragment in the error on stderr."""
    assert result.exit_code == EXIT_BAD_INPUT, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit)  # not an uncaught exception
    assert result.stdout == ""
    message = flat(result.stderr)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    (folder / "small.yaml").write_text(SCENARIO, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def small_scenario(workdir: Path) -> Path:
    return workdir / "small.yaml"


@pytest.fixture(scope="module")
def json_run(workdir: Path, small_scenario: Path):
    """One successful ``truce run --json`` on cp2015: (CliRunner result, parsed JSON)."""
    out = workdir / "results" / "small.json"
    result = invoke("run", small_scenario, "--world", "cp2015", "--json", out)
    assert result.exit_code == EXIT_OK, (result.output, result.exception)
    return result, json.loads(out.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- truce run


def test_run_writes_the_results_json(json_run) -> None:
    _, doc = json_run
    # §3: every top-level key (more are allowed).
    assert doc.keys() >= TOP_KEYS, TOP_KEYS - doc.keys()
    assert doc["scenario"] == "cli-small"
    assert doc["world"] == "cp2015"
    assert doc["date"] is None  # no --date given
    assert doc["model"] == "caliendo-parro"
    assert doc["solver"].keys() >= SOLVER_KEYS
    assert doc["solver"]["converged"] is True
    assert doc["solver"]["iterations"] >= 1
    # The solver's tolerance is 1e-11 (solve.DEFAULT_TOL, convergence at 10 x tol).
    assert 0.0 <= doc["solver"]["residual"] <= 1e-10
    # cp2015 has 31 regions (30 countries and ROW): one row each, every §3 field.
    assert len(doc["regions"]) == 31
    assert [row["region"] for row in doc["regions"]].count("USA") == 1
    for row in doc["regions"]:
        assert row.keys() >= REGION_KEYS, REGION_KEYS - row.keys()
        assert all(isinstance(row[k], float) for k in REGION_KEYS - {"region"})
    assert doc["trade"], "the trade table is never empty"
    for row in doc["trade"]:
        assert row.keys() >= TRADE_KEYS
    # One tariff measure: one row, index 0, no constraint (§3).
    assert [{k: m[k] for k in MEASURE_KEYS} for m in doc["measures"]] == [
        {"index": 0, "kind": "tariff", "binding": False, "equivalent_rate": None}
    ]


def test_run_tariff_moves_the_targeted_flows(json_run) -> None:
    # A 25% US tariff on Chinese goods: US imports from China fall in every sector
    # where there is trade (the CES demand for a dearer variety falls), so the change
    # has the right sign in every cell, not just on average.
    _, doc = json_run
    trade = pd.DataFrame(doc["trade"])
    cells = trade[(trade.exporter == "CHN") & (trade.importer == "USA") & (trade.baseline > 0)]
    assert len(cells) > 0
    assert (cells.counterfactual < cells.baseline).all()
    usa = next(r for r in doc["regions"] if r["region"] == "USA")
    assert usa["tariff_revenue"] > 0.0


def test_run_reports_on_stdout_and_progress_on_stderr(json_run) -> None:
    result, _ = json_run
    assert "USA" in result.stdout  # the region table
    assert "cli-small on cp2015" in flat(result.stdout)
    assert "converged in" in result.stderr
    assert "wrote" in result.stderr
    assert "USA" not in result.stderr


def test_quiet_run_prints_nothing(small_scenario: Path) -> None:
    result = invoke("run", small_scenario, "--world", "cp2015", "--quiet")
    assert result.exit_code == EXIT_OK, result.output
    assert result.output == ""


def test_no_convergence_exits_1_and_writes_nothing(small_scenario: Path, tmp_path: Path) -> None:
    # One iteration cannot meet a 1e-11 tolerance from the baseline guess (the first
    # step of this shock leaves a residual of about 3e-5).
    out = tmp_path / "out"
    out.mkdir()
    result = invoke(
        "run",
        small_scenario,
        "--world",
        "cp2015",
        "--max-iterations",
        "1",
        "--json",
        out / "r.json",
    )
    assert result.exit_code == EXIT_MODEL_FAILED, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)  # an orderly exit, not a crash
    assert "model failed" in result.stderr
    assert "did not converge" in flat(result.stderr)
    assert result.stdout == ""
    # §4: nothing is written: no JSON and no temporary file beside it.
    assert list(out.iterdir()) == []


# --------------------------------------------------------------------------- bad input


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_scenario_key_names_path_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "typo.yaml", SCENARIO + "    sector: AGR\n")
    monkeypatch.chdir(tmp_path)  # a short relative path, quoted as given
    result = invoke("run", "typo.yaml", "--world", "cp2015")
    # `sector:` is the 10th line of the file (SCENARIO has nine).
    assert_bad_input(result, "typo.yaml:10: key sector:", "unknown key")


def test_unknown_top_level_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "top.yaml", "name: x\nworld: cp2015\nmeasure: []\n")
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "top.yaml")
    assert_bad_input(result, "top.yaml:3: key measure:", "unknown key")


def test_unknown_region_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Codes are checked against the world when the scenario is compiled; the message
    # still points at the value: `on: XXX` is line 8.
    write(tmp_path, "region.yaml", SCENARIO.replace("on: CHN", "on: XXX"))
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "region.yaml", "--world", "cp2015")
    assert_bad_input(result, "region.yaml:8: key on:", "unknown region 'XXX'")


def test_negative_rate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "neg.yaml", SCENARIO.replace("rate: 0.25", "rate: -0.25"))
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "neg.yaml", "--world", "cp2015")
    assert_bad_input(result, "neg.yaml:9: key rate:")


def test_missing_scenario_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = invoke("run", missing, "--world", "cp2015")
    assert_bad_input(result, "nowhere.yaml", "no such scenario file")


def test_unknown_builtin_scenario() -> None:
    result = invoke("run", "no-such-scenario", "--world", "cp2015")
    # The message names the unknown name and the built-in scenarios there are.
    assert_bad_input(result, "unknown scenario 'no-such-scenario'", "cp2015-nafta")


@pytest.mark.parametrize("text", ["2025-13-01", "10/04/2025", "soon"])
def test_bad_date(small_scenario: Path, text: str) -> None:
    result = invoke("run", small_scenario, "--world", "cp2015", "--date", text)
    assert_bad_input(result, f"'{text}' is not a date of the form YYYY-MM-DD")


def test_unknown_world_name(small_scenario: Path) -> None:
    result = invoke("run", small_scenario, "--world", "atlantis")
    assert_bad_input(result, "atlantis: no built-in world of that name", "cp2015")


def test_missing_world_folder(small_scenario: Path, tmp_path: Path) -> None:
    folder = tmp_path / "no-world"
    result = invoke("run", small_scenario, "--world", folder)
    assert_bad_input(result, "no-world: no such world folder")


def test_scenario_without_a_world(tmp_path: Path) -> None:
    # SCENARIO names no world, so without --world there is nothing to run it on.
    path = write(tmp_path, "s.yaml", SCENARIO)
    result = invoke("run", path)
    assert_bad_input(result, "names no world", "--world")


def tiny_world() -> World:
    """Two regions, one good, no tariffs, no input-output: balanced by construction.

    Gross output (sum over importers): A = 10 + 5 = 15, B = 3 + 8 = 11; without an io
    table value added must equal gross output, so value added is A 15, B 11.
    """
    return World(
        name="tiny",
        year=2020,
        currency="USD million",
        description="Two regions, one good.",
        sources=("made up",),
        regions=pd.DataFrame({"region": ["A", "B"], "name": ["Aland", "Bland"]}),
        sectors=pd.DataFrame({"sector": ["G"], "name": ["Goods"], "theta": [4.0]}),
        trade=pd.DataFrame(
            {
                "exporter": ["A", "A", "B", "B"],
                "importer": ["A", "B", "A", "B"],
                "sector": ["G", "G", "G", "G"],
                "value": [10.0, 5.0, 3.0, 8.0],
                "tariff": [0.0, 0.0, 0.0, 0.0],
            }
        ),
        value_added=pd.DataFrame(
            {"region": ["A", "B"], "sector": ["G", "G"], "value": [15.0, 11.0]}
        ),
    )


def test_world_that_fails_its_identities(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "good"
    write_world(tiny_world(), good)
    read_world(good)  # the uncorrupted folder passes its checks
    bad = tmp_path / "bad"
    shutil.copytree(good, bad)
    trade = pd.read_parquet(bad / "trade.parquet")
    # A ships 50 instead of 5 to B: A's gross output becomes 60 against value added 15,
    # far beyond the 0.1% tolerance of CONTRACTS.md §1.
    trade.loc[(trade.exporter == "A") & (trade.importer == "B"), "value"] = 50.0
    (bad / "trade.parquet").unlink()
    trade.to_csv(bad / "trade.csv", index=False)
    scenario = write(
        tmp_path, "t.yaml", "name: t\nmeasures:\n  - kind: tariff\n    by: A\n    rate: 0.1\n"
    )
    monkeypatch.chdir(tmp_path)  # a short relative folder path, quoted as given
    result = invoke("run", scenario, "--world", "./bad")
    assert_bad_input(result, "error (bad input)")
    message = flat(result.stderr)
    assert "bad/value_added" in message  # the folder and its file are named
    # The offending cell is named (region A, sector G) with both sides of the identity:
    # gross output 10 + 50 = 60 against value added 15.
    assert "region=A, sector=G" in message, message
    assert "60" in message and "15" in message, message
    assert "region=B" not in message  # B's identity still holds (3 + 8 = 11)


# Messages are printed verbatim, not read as rich markup: a key spelled like a markup
# tag must be shown as it is (`[bold]`) and must not crash the error printer (`[/x]`).
@pytest.mark.parametrize("key", ["[bold]", "[/x]"])
def test_error_message_is_printed_verbatim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    write(tmp_path, "m.yaml", SCENARIO + f'    "{key}": 1\n')
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "m.yaml", "--world", "cp2015")
    assert_bad_input(result, f"m.yaml:10: key {key}:")


# A --json path that cannot be written is bad input (§4: exit 2 and a message).
def test_json_path_that_is_a_folder(small_scenario: Path, tmp_path: Path) -> None:
    result = invoke("run", small_scenario, "--world", "cp2015", "-q", "--json", tmp_path)
    assert_bad_input(result, str(tmp_path))


# --------------------------------------------------------------------------- listings


def test_scenarios_lists_the_builtin_scenario() -> None:
    result = invoke("scenarios")
    assert result.exit_code == EXIT_OK, result.output
    assert "cp2015-nafta" in result.stdout
    assert "NAFTA" in result.stdout  # its description


def test_worlds_lists_the_builtin_world() -> None:
    result = invoke("worlds")
    assert result.exit_code == EXIT_OK, result.output
    assert "cp2015" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "cp2015" in line)
    # year, regions and sectors of cp2015 (world.toml and its tables)
    assert "1993" in row and "31" in row and "40" in row


# --------------------------------------------------------------------------- world import


def test_world_import_missing_source_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("world", "import", "cp2015", tmp_path / "nothing-here", out)
    assert_bad_input(result, "nothing-here: no such source folder")
    assert not out.exists()


def test_world_import_unknown_source(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("world", "import", "nosuch", tmp_path, out)
    assert_bad_input(result, "unknown source 'nosuch'", "cp2015")
    assert not out.exists()


# --------------------------------------------------------------------------- entry point


def console_script() -> Path:
    beside = Path(sys.executable).parent / ("truce.exe" if os.name == "nt" else "truce")
    if beside.exists():
        return beside
    found = shutil.which("truce")
    if found is None:
        pytest.fail("the `truce` console script is not installed (pip install -e .)")
    return Path(found)


def test_console_script_runs(small_scenario: Path) -> None:
    done = subprocess.run(
        [str(console_script()), "run", str(small_scenario), "--world", "cp2015", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert done.stdout == ""  # -q prints nothing but errors


def test_console_script_exit_code_for_bad_input(tmp_path: Path) -> None:
    # The exit code must survive the entry point (main() wraps app()).
    done = subprocess.run(
        [str(console_script()), "run", str(tmp_path / "missing.yaml"), "--world", "cp2015"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert "no such scenario file" in flat(done.stderr)


# --------------------------------------------------------------------------- --format


def test_format_json_prints_the_results_document(small_scenario: Path) -> None:
    result = invoke("run", small_scenario, "--world", "cp2015", "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads(result.stdout)  # stdout holds the document and nothing else
    assert set(doc) >= TOP_KEYS
    assert {row["region"] for row in doc["regions"]} >= {"USA", "CHN"}


def test_format_csv_prints_the_regions_table(small_scenario: Path) -> None:
    result = invoke("run", small_scenario, "--world", "cp2015", "--format", "csv")
    assert result.exit_code == EXIT_OK, result.output
    header, *rows = result.stdout.strip().splitlines()
    assert set(header.split(",")) >= REGION_KEYS
    assert len(rows) == 31  # one row per region of the cp2015 world


def test_a_bad_format_is_bad_input(small_scenario: Path) -> None:
    result = invoke("run", small_scenario, "--world", "cp2015", "--format", "xml")
    assert result.exit_code == EXIT_BAD_INPUT


def test_version_prints_the_installed_version() -> None:
    from importlib import metadata

    result = RUNNER.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"truce {metadata.version('truce')}"
