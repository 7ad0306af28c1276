"""Speed-up of ``truce sweep`` with local worker processes (a benchmark, not a test).

A 100-point grid (10 × 10) over the built-in ``rare-earth-controls`` scenario on the
``default`` world: the US reciprocal tariff on Chinese goods (measure 2, 0 to 150%)
against China's caps on rare earths and magnets (measures 12 and 13, 0 to 1).  For 1
worker process, then 2 (or the counts given to ``--workers``), on local Dask clusters
without a run store and without JAX's persistent compilation cache:

  cold: the whole sweep as a first ``truce sweep`` sees it: start the cluster, spawn
        the workers, import truce and compile the solver in each (twice: a ban, share
        0, compiles apart from a cap), then solve;
  warm: a cluster started and warmed beforehand (every worker has solved a ban and a
        cap once), so that only the 100 solves are timed: the sweep's throughput.

Each line gives the wall time and its speed-up over the first worker count.  On a
machine shared with other work, the numbers move with its load.

Usage: python benchmarks/bench_sweep.py [--steps 10] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

from distributed import Client, LocalCluster

from truce.api.sweep_runner import LOOPBACK, load_sweep, run_sweep, solve_point

SPEC = """\
name: bench-grid
description: US reciprocal tariff on China against China's rare-earth and magnet caps.
world: default
scenario: rare-earth-controls
grid:
  - measure: 2
    key: rate
    from: 0.0
    to: 1.5
    steps: {steps}
  - measure: [12, 13]
    key: share
    from: 0.0
    to: 1.0
    steps: {steps}
"""


def cold(sweep, workers: int) -> float:
    """Seconds for the whole sweep on a new local cluster of ``workers`` processes."""
    start = time.perf_counter()
    check(run_sweep(sweep, workers=workers))
    return time.perf_counter() - start


def warm(sweep, workers: int) -> float:
    """Seconds for the sweep's solves alone, on a cluster whose workers have compiled."""
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            host=LOOPBACK,
            dashboard_address=f"{LOOPBACK}:0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        for point in (sweep.points[0], sweep.points[1]):  # share 0 (a ban), then a cap
            outcomes = client.run(solve_point, "default", point.text)
            assert all(o.result is not None for o in outcomes.values())
        start = time.perf_counter()
        check(run_sweep(sweep, client=client))
        return time.perf_counter() - start


def check(result) -> None:
    if result.failed:
        failed = ", ".join(p.point.label for p in result.failed)
        raise SystemExit(f"{len(result.failed)} points failed: {failed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="values per axis")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-grid.yaml"
        path.write_text(SPEC.format(steps=args.steps), encoding="utf-8")
        sweep = load_sweep(path)
    points = len(sweep.points)
    print(f"{points}-point sweep of rare-earth-controls on default; {os.cpu_count()} CPUs")
    heads = ("workers", "cold s", "speed-up", "warm s", "ms/point", "speed-up")
    print(" ".join(f"{h:>{w}}" for h, w in zip(heads, (7, 8, 9, 8, 9, 9), strict=True)))
    first: tuple[float, float] | None = None
    for workers in args.workers:
        whole, solves = cold(sweep, workers), warm(sweep, workers)
        first = first or (whole, solves)
        print(
            f"{workers:>7} {whole:>8.2f} {first[0] / whole:>9.2f} {solves:>8.2f} "
            f"{1000 * solves / points:>9.1f} {first[1] / solves:>9.2f}"
        )


if __name__ == "__main__":
    main()
