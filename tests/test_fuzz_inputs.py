"""Property tests on hostile scenario files (documents from tests/hostile_documents.py).

The properties are the contracts of docs/cli.md and docs/python-api.md:

- reading, checking or running a file raises only truce's documented errors
  (:class:`truce.errors.TruceError` and its subclasses), never anything else;
- every bad-input error about a file names it and the line: ``PATH:LINE:``;
- a result holds no NaN;
- ``truce run`` exits 0, 1 or 2, and leaves its output file only after 0.

CI runs a few thousand documents; ``benchmarks/fuzz_inputs.py`` runs the same
properties on ten thousand and more and prints the counts.
"""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path

import numpy as np
from hostile_documents import scenario_bytes
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from truce import api
from truce.cli.main import app
from truce.errors import InputError, ModelError, TruceError

RUNNER = CliRunner()
_FOLDER = Path(tempfile.mkdtemp(prefix="truce-fuzz-"))
_QUIET = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def _file(data: bytes) -> Path:
    path = _FOLDER / "hostile.yaml"
    path.write_bytes(data)
    return path


def located(error: InputError, path: Path) -> bool:
    """Whether ``error`` reads ``PATH:LINE: ...`` (the file itself or one it extends)."""
    text = str(error)
    if re.match(rf"{re.escape(str(path))}:\d+: ", text):
        return True
    # A base the file extends is a built-in scenario: its own path and line.
    return bool(re.match(r"\S+\.yaml:\d+: ", text)) and "builtin" in text.split(":")[0]


def load_or_error(path: Path) -> object:
    """The scenario, or the documented error it raised (checked to be located)."""
    try:
        return api.load_scenario(path)
    except InputError as error:
        assert located(error, path), f"no PATH:LINE in {error!s}"
        return error


def check_or_error(path: Path) -> object:
    loaded = load_or_error(path)
    if isinstance(loaded, InputError):
        return loaded
    try:
        world = api.scenario_world(loaded)
        api.check(world, loaded)
    except InputError as error:
        assert located(error, path), f"no PATH:LINE in {error!s}"
        return error
    return loaded


#: Columns docs/results.md says may be ``null`` (a value that does not exist, such as a
#: region without a household count); every other number must be finite.
NULLABLE = {"welfare_usd_per_household", "equivalent_rate", "cells", "before_pct", "after_pct"}


def finite(result: api.Result) -> bool:
    for table in (result.regions, result.trade, result.measures, result.sectors, result.tariffs):
        numeric = table.select_dtypes("number")
        values = numeric.to_numpy(dtype=float)
        if np.isinf(values).any():
            return False
        missing = [c for c in numeric.columns if numeric[c].isna().any()]
        if set(missing) - NULLABLE:
            return False
    return math.isfinite(result.solver.residual)


@settings(max_examples=2000, **_QUIET)
@given(scenario_bytes())
def test_reading_a_hostile_file_raises_only_located_documented_errors(data: bytes) -> None:
    try:
        load_or_error(_file(data))
    except TruceError as error:  # a documented error that is not bad input
        assert not isinstance(error, InputError), error


@settings(max_examples=400, **_QUIET)
@given(scenario_bytes())
def test_checking_a_hostile_file_raises_only_located_documented_errors(data: bytes) -> None:
    check_or_error(_file(data))


@settings(max_examples=25, **_QUIET)
@given(scenario_bytes())
def test_running_a_hostile_file_gives_finite_numbers_or_a_documented_error(data: bytes) -> None:
    path = _file(data)
    checked = check_or_error(path)
    if isinstance(checked, InputError):
        return
    try:
        result = api.run(api.scenario_world(checked), checked, max_steps=60)
    except ModelError:
        return
    assert finite(result)


@settings(max_examples=60, **_QUIET)
@given(scenario_bytes())
def test_the_run_command_leaves_output_only_after_success(data: bytes) -> None:
    path = _file(data)
    out = _FOLDER / "out.json"
    out.unlink(missing_ok=True)
    done = RUNNER.invoke(
        app, ["run", str(path), "--no-store", "--max-iterations", "60", "--json", str(out)]
    )
    assert done.exit_code in (0, 1, 2), (done.exit_code, done.output, done.exception)
    assert out.exists() == (done.exit_code == 0), done.output
    if done.exit_code == 2:
        message = " ".join(done.stderr.split())
        assert re.search(rf"{re.escape(str(path))}:\d+:", message.replace(" ", "")) or re.search(
            rf"{re.escape(str(path))}:\d+:", message
        ), message
