"""The command line starts without the numerics (issue: "truce --help and every command
that solves nothing start in well under a second (no JAX import)").

Checked by the modules a fresh interpreter has loaded, not by timing: importing the
command line or asking for help loads neither JAX nor NumPy, pandas, DuckDB or the chart
libraries; listing the built-in scenarios reads tables (pandas) but loads no JAX;
``import truce`` loads no JAX until a name that needs it is used, and then runs in
64-bit floats.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("jax", "numpy", "pandas", "scipy", "duckdb", "plotly", "matplotlib")


def _loaded_after(code: str) -> dict:
    probe = (
        f"import sys, json\n{code}\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cli(argv: list[str]) -> dict:
    return _loaded_after(
        "from truce.cli.main import app\n"
        "try:\n"
        f"    app({argv!r}, standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass"
    )


def test_help_loads_no_numerics() -> None:
    for argv in (["--help"], ["war", "--help"], ["run", "--help"], ["--version"]):
        loaded = _cli(argv)
        assert not any(loaded.values()), (argv, loaded)


def test_listing_scenarios_loads_no_jax() -> None:
    loaded = _cli(["scenarios"])
    assert loaded["pandas"] and not loaded["jax"]


def test_import_truce_defers_jax_and_then_uses_float64() -> None:
    assert not any(_loaded_after("import truce").values())
    loaded = _loaded_after(
        "import truce\n"
        "truce.run\n"
        "import jax.numpy as jnp\n"
        "assert jnp.ones(1).dtype == jnp.float64, jnp.ones(1).dtype\n"
        "assert callable(truce.timeline) and truce.World.__name__ == 'World'"
    )
    assert loaded["jax"]
