"""Shocks far from the base (a benchmark, not a test).

Measures, on this machine, on the built-in world ``default``:
  1. every cell capped at half its base quantity (5,074 caps, ``tests/reference/
     half-of-everything.yaml``): the solve with the Jacobian taken in blocks
     (``truce.model.blocked_jacobian``), against the peer measured in the same run,
     the same solve with the whole Jacobian (the method before blocks);
  2. 1,000% tariffs by everyone on everyone (``tests/reference/thousand-percent.yaml``):
     the solve with continuation, and whether the direct solve alone converges.

Each solve is timed warm (compiled once first).  Prints times, iterations, Jacobians
and the ratio.

Usage: python benchmarks/bench_extreme.py [--skip-dense]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import jax

import truce.model.solve as solve_module
from truce.api.running import RunConfig, _prepare
from truce.api.scenarios import load_scenario
from truce.policy.compile import compile_scenario_full

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "reference"


def _problem(name: str):
    scenario = load_scenario(REFERENCE / f"{name}.yaml")
    prepared = _prepare("default", scenario, RunConfig()).prepared
    return prepared.base, compile_scenario_full(scenario, prepared.base, date=None).shock


def _timed(baseline, shock, **options):
    solve_module.solve(baseline, shock, throw=False, **options)  # compile
    started = time.perf_counter()
    eq = jax.block_until_ready(solve_module.solve(baseline, shock, throw=False, **options))
    return time.perf_counter() - started, eq


def _line(label: str, seconds: float, eq) -> None:
    print(
        f"  {label:<34} {seconds:7.2f} s  converged {bool(eq.converged)!s:<5}  "
        f"{int(eq.iterations):>4} iterations  {int(eq.jacobians):>3} Jacobians  "
        f"residual {float(eq.residual):.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-dense", action="store_true", help="leave out the slow peer")
    args = parser.parse_args()

    baseline, shock = _problem("half-of-everything")
    print(f"half-of-everything: {shock.n_caps:,} caps")
    blocked_s, eq = _timed(baseline, shock)
    _line("blocked Jacobian (truce)", blocked_s, eq)
    if not args.skip_dense:
        solve_module.BLOCKED_CAPS = 10**9
        solve_module._solve.clear_cache()
        dense_s, eq = _timed(baseline, shock)
        _line("whole Jacobian (peer)", dense_s, eq)
        print(f"  ratio peer / truce: {dense_s / blocked_s:.1f}x")
        solve_module.BLOCKED_CAPS = 256
        solve_module._solve.clear_cache()

    baseline, shock = _problem("thousand-percent")
    print("thousand-percent: 1,000% tariffs by every region on every partner")
    seconds, eq = _timed(baseline, shock, continuation=False)
    _line("direct solve only", seconds, eq)
    seconds, eq = _timed(baseline, shock)
    _line("direct, then continuation (truce)", seconds, eq)


if __name__ == "__main__":
    main()
