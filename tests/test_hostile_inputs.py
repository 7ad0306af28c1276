"""Inputs a hostile user tried (issue 19's reproducers): names that look like console
markup, an error on line 100, lone surrogates, world folders whose files are folders or
devices.  Each must end in a result or in a bad-input error (exit 2) naming the file,
with nothing written after an error."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from truce import api
from truce.cli.main import app
from truce.config import builtin_folder
from truce.errors import NonConvergenceError, ScenarioError, WorldError

RUNNER = CliRunner()

MARKUP = """\
name: "[/bad]"
description: "[bold]not bold[/bold] :100: [/]"
world: cp2015
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("form", ["table", "json"])
def test_a_name_that_looks_like_markup_is_printed_as_written(tmp_path: Path, form: str) -> None:
    path = write(tmp_path, "markup.yaml", MARKUP)
    done = RUNNER.invoke(app, ["run", str(path), "--no-store", "--format", form])
    assert done.exit_code == 0, done.output
    if form == "json":
        assert json.loads(done.stdout)["scenario"] == "[/bad]"
    else:
        assert "[/bad] on cp2015" in done.stdout


def test_an_error_on_line_100_keeps_its_line_number(tmp_path: Path) -> None:
    """Rich read ':100:' as an emoji code: `f.yaml💯 key rate`."""
    measure = "  - kind: tariff\n    by: USA\n    on: CHN\n    rate: 0.1\n"
    head = "# the bad rate is on line 100\nname: x\nworld: cp2015\nmeasures:\n"
    text = head + measure * 23 + measure.replace("0.1", "-1")
    path = write(tmp_path, "f.yaml", text)
    done = RUNNER.invoke(app, ["run", str(path), "--no-store"])
    assert done.exit_code == 2
    assert f"{path}:100:keyrate:-1isnegative" in "".join(done.stderr.split())


def test_a_lone_surrogate_is_refused_at_its_line_and_nothing_is_written(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", 'name: ok\ndescription: "bad \\ud800"\nmeasures: []\n')
    with pytest.raises(ScenarioError) as caught:
        api.load_scenario(path)
    assert caught.value.line == 2
    out = tmp_path / "out.json"
    done = RUNNER.invoke(app, ["run", str(path), "--world", "cp2015", "--json", str(out)])
    assert done.exit_code == 2 and not out.exists()


def _world_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "w"
    shutil.copytree(builtin_folder("worlds") / "cp2015", folder)
    return folder


@pytest.mark.parametrize(
    ("broken", "fragment"),
    [
        ("toml-folder", "world.toml: is a folder, not a file"),
        ("toml-device", "world.toml: is not a regular file"),
        ("table-folder", "trade.parquet: is a folder, not a file"),
    ],
)
def test_a_world_file_that_is_no_file_is_bad_input(
    tmp_path: Path, broken: str, fragment: str
) -> None:
    folder = _world_folder(tmp_path)
    if broken == "toml-folder":
        (folder / "world.toml").unlink()
        (folder / "world.toml").mkdir()
    elif broken == "toml-device":
        if not Path("/dev/zero").exists():
            pytest.skip("no /dev/zero on this system")
        (folder / "world.toml").unlink()
        os.symlink("/dev/zero", folder / "world.toml")
    else:
        (folder / "trade.parquet").unlink()
        (folder / "trade.parquet").mkdir()
    with pytest.raises(WorldError, match=fragment):
        api.load_world(folder)
    done = RUNNER.invoke(app, ["world", "show", str(folder)])
    assert done.exit_code == 2 and fragment in " ".join(done.stderr.split())


def test_a_result_resting_on_the_closure_says_so() -> None:
    """Issue 19 item 12: under fixed deficits a huge tariff by a deficit region keeps its
    imports (the deficit must be spent), so its revenue and welfare rest on the closure;
    the result says so, and under deficits: zero it has nothing to say."""
    from test_readable_results import small_world

    world = small_world()
    text = """
name: huge
measures:
  - kind: tariff
    by: B
    on: A
    sectors: [G]
    rate: 10
    allow_large: true
"""
    fixed = api.run(world, api.scenario_from_text(text))
    (note,) = fixed.extra["notes"]
    assert note.startswith("B's tariff revenue comes to") and "deficits: zero" in note
    # By hand: B's revenue is its tariff (the base's 0.1 plus the 10 added) times its
    # counterfactual imports from A, over its base spending of 84 (test_readable_results'
    # hand computation).
    flows = fixed.trade.set_index(["exporter", "importer", "sector"])["counterfactual"]
    assert f"{100 * 10.1 * flows.loc[('A', 'B', 'G')] / 84.0:.0f}%" in note
    closed = api.run(world, api.scenario_from_text(text + "options:\n  deficits: zero\n"))
    assert "notes" not in closed.extra


def test_a_solve_that_stops_says_what_may_help() -> None:
    """Issue 19 item 9: a failed solve's message suggests what to try."""
    from test_readable_results import SMALL_A, small_world

    with pytest.raises(NonConvergenceError) as caught:
        api.run(small_world(), api.scenario_from_text(SMALL_A), max_steps=1)
    message = str(caught.value)
    assert "did not converge" in message and "what may help" in message
    assert "--max-iterations" in message and "deficits: zero" in message


@pytest.mark.parametrize(
    ("table", "column", "value", "fragment"),
    [
        ("sectors", "theta", 1e-300, "is outside [0.01, 1000]"),
        ("sectors", "theta", 1e300, "is outside [0.01, 1000]"),
        ("trade", "tariff", 1e300, "is above 100 (10,000%)"),
    ],
)
def test_absurd_world_parameters_are_refused_at_load(
    table: str, column: str, value: float, fragment: str
) -> None:
    """Issue 19 item 5: theta = 1e-300 or 1e300 and a base tariff of 1e300 passed the
    load checks."""
    from dataclasses import replace

    from test_readable_results import small_world

    from truce.data.world import check_world

    world = small_world()
    frame = getattr(world, table).copy()
    row = 1 if table == "trade" else 0  # a foreign trade row (A to B), or the first sector
    frame.loc[row, column] = value
    with pytest.raises(WorldError, match=re.escape(fragment)):
        check_world(replace(world, **{table: frame}))


DEEP = "name: x\nmeasures: " + "[" * 3000 + "]" * 3000 + "\n"
HUGE = "name: x\nmeasures:\n  - kind: tariff\n    by: USA\n    rate: 1" + "0" * 100_000 + "\n"


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        ("name: x\nworld: nope-world\nmeasures: []\n", 2, "key world: nope-world: no built-in"),
        (DEEP, 2, "nested deeper than 64 levels"),
        (HUGE, 5, "a number of 100,001 digits cannot be read"),
        ("name: &a x\ndescription: &a y\nmeasures: []\n", 2, "anchor &a used twice"),
        (b"name: x\nmeasures: []\ndescription: \xff\xfe\n", 3, "not UTF-8 text: byte 0xff"),
    ],
)
def test_bad_input_from_a_file_names_its_line(
    tmp_path: Path, content: str | bytes, line: int, fragment: str
) -> None:
    """Issue 19 item 8: these errors lacked `PATH:LINE:`."""
    path = tmp_path / "s.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    done = RUNNER.invoke(app, ["run", str(path), "--no-store"])
    assert done.exit_code == 2, done.output
    message = " ".join(done.stderr.split())
    assert f"{path}:{line}:" in message.replace(" ", "") or f"{path}:{line}:" in message
    assert fragment in message


def test_too_many_measures_is_an_error_at_the_first_beyond() -> None:
    """Issue 19 item 10: 30,000 measures took 15 s of checks; beyond the limit the file
    is refused at the first measure too many, before any measure is checked."""
    from truce.policy.parse import MAX_MEASURES

    one = "  - kind: tariff\n    by: USA\n    rate: 0.1\n"
    text = "name: x\nmeasures:\n" + one * (MAX_MEASURES + 1)
    with pytest.raises(ScenarioError, match=f"at most {MAX_MEASURES:,}") as caught:
        api.scenario_from_text(text, "many.yaml")
    assert caught.value.line == 3 + 3 * MAX_MEASURES


def test_files_beyond_the_limits_are_refused_before_they_are_loaded(monkeypatch) -> None:
    """Issue 19 item 10: the slow loader (the one that keeps lines) never sees a file
    beyond a limit; libyaml's parser counts first and stops at the first value beyond."""
    from ruamel.yaml import YAML

    from truce.policy._yaml import MAX_VALUES
    from truce.policy.parse import MAX_MEASURES

    def refuse(*args: object) -> None:
        raise AssertionError("the document was loaded")

    monkeypatch.setattr(YAML, "load", refuse)
    one = "  - {kind: tariff, by: USA, rate: 0.1}\n"
    text = "name: x\nmeasures:\n" + one * (3 * MAX_MEASURES)
    with pytest.raises(ScenarioError, match=f"more than {MAX_MEASURES:,} measures") as caught:
        api.scenario_from_text(text, "many.yaml")
    assert (caught.value.line, caught.value.key) == (3 + MAX_MEASURES, "measures")
    # Values in all: one list of codes long enough to pass the measures' limit.
    codes = ", ".join(["USA"] * MAX_VALUES)
    text = f"name: x\nmeasures:\n  - kind: tariff\n    by: [{codes}]\n    rate: 0.1\n"
    with pytest.raises(ScenarioError, match=f"more than {MAX_VALUES:,} values") as caught:
        api.scenario_from_text(text, "wide.yaml")
    assert caught.value.line == 4


def test_a_model_option_that_does_not_fit_the_world_is_an_error_at_its_line(
    tmp_path: Path,
) -> None:
    """Issue 19 item 8: ``options.model`` naming a model the world cannot take was
    reported against the world folder, without the scenario's line."""
    path = tmp_path / "m.yaml"
    path.write_text("name: m\nworld: default\noptions:\n  model: ilms2025\n", encoding="utf-8")
    for call in (api.run, api.check):
        with pytest.raises(ScenarioError, match="needs a one-sector world") as caught:
            call("default", path)
        assert (caught.value.path, caught.value.line, caught.value.key) == (
            str(path),
            4,
            "model",
        )
