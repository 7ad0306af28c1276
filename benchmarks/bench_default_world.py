"""Speed of the built-in world ``default`` (a benchmark, not a test).

Measures, on this machine:
  1. ``truce.load_world("default")`` cold: in a fresh Python process, median of several
     processes (the time to ``import truce`` there, mostly JAX, is printed apart);
  2. the same load warm, in this process, after a first load;
  3. a warm no-measure solve on it (deficits fixed), after one solve has compiled it.

Targets (the project's issue): load < 1 s, solve < 0.2 s.  Each number is printed with
its ratio to the target (below 1 = within target).

Usage: python benchmarks/bench_default_world.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from _timing import median_seconds

import truce
from truce.policy.spec import Options, Scenario

LOAD_TARGET = 1.0  # s
SOLVE_TARGET = 0.2  # s

_CHILD = """
import time
start = time.perf_counter()
import truce
imported = time.perf_counter()
truce.load_world("default")
print(imported - start, time.perf_counter() - imported)
"""


def _cold_load(repeats: int) -> tuple[float, float]:
    """Median (import truce, load_world) seconds over fresh processes."""
    imports, loads = [], []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True
        )
        first, second = done.stdout.strip().splitlines()[-1].split()
        imports.append(float(first))
        loads.append(float(second))
    return statistics.median(imports), statistics.median(loads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    imported, cold = _cold_load(args.repeats)
    world = truce.load_world("default")
    warm = median_seconds(lambda: truce.load_world("default"), args.repeats)

    scenario = Scenario(name="none", options=Options(deficits="fixed"), measures=())
    start = time.perf_counter()
    first = truce.run(world, scenario)
    compile_and_solve = time.perf_counter() - start
    assert first.solver.converged
    solve = median_seconds(lambda: truce.run(world, scenario), args.repeats)
    inner = statistics.median(truce.run(world, scenario).solver.seconds for _ in range(3))

    size = f"{len(world.regions)} regions × {len(world.sectors)} sectors"
    print(f"default world: {size}; median of {args.repeats} runs")
    rows = (
        ("load, cold (fresh process)", cold, LOAD_TARGET),
        ("load, warm", warm, LOAD_TARGET),
        ("no-measure run, warm (truce.run)", solve, SOLVE_TARGET),
        ("  of which the solve (solver.seconds)", inner, SOLVE_TARGET),
    )
    for label, seconds, target in rows:
        print(
            f"  {label:<40} {seconds:8.4f} s   target {target:.1f} s   ratio {seconds / target:.3f}"
        )
    print(f"  import truce in that process (no target) {imported:8.4f} s")
    print(f"  first run (compiles the solver)          {compile_and_solve:8.4f} s   (no target)")


if __name__ == "__main__":
    main()
