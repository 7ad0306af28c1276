"""Speed of the ilms2025 (Liberation Day) solve: one 194-country Case 1 solve, warm.

Peer: the issue gives about 1.4 s per solve for the paper's public Python port (scipy
fsolve on the 582-unknown system) on this machine class; it cannot be run here, so the
ratio is against that figure.  Target: at least 50x faster (under 0.03 s), with every
equation's residual below 1e-10 of world income.

Usage: python benchmarks/bench_ilms.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import jax

import truce  # noqa: F401  (float64)
from truce.data.sources.liberation_day import read_liberation_day
from truce.model import ilms

PEER_SECONDS = 1.4  # the figure for the public Python port
TARGET_SECONDS = 0.03
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "liberation_day_baci2023"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()

    source = read_liberation_day(args.data)
    data = ilms.build_data(source.flows_ji, source.gdp_i, source.us)
    tariffs = ilms.liberation_day_tariffs(source.us_tariff_ld, source.us)

    def timed(**kwargs):
        start = time.perf_counter()
        jax.block_until_ready(ilms.solve(data, tariffs, **kwargs))
        first = time.perf_counter() - start
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            eq = jax.block_until_ready(ilms.solve(data, tariffs, **kwargs))
            times.append(time.perf_counter() - start)
        return first, statistics.median(times), eq

    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, float64")
    print(f"ilms2025 Case 1, {len(source.iso3)} countries, {3 * len(source.iso3)} unknowns")
    first, cold, _ = timed()
    print(f"  first call (compile + run)                  {first:8.3f} s")
    print(
        f"  warm, exact Jacobian at the start            {cold:8.3f} s   ratio "
        f"{PEER_SECONDS / cold:5.1f}x"
    )
    start = time.perf_counter()
    inverse = jax.block_until_ready(ilms.base_inverse_jacobian(data))
    print(f"  the world's base Jacobian, once per world    {time.perf_counter() - start:8.3f} s")
    _, warm, eq = timed(start_inverse=inverse)
    print(
        f"  warm, Broyden from the world's Jacobian      {warm:8.3f} s   peer {PEER_SECONDS:.1f} s"
        f"  ratio {PEER_SECONDS / warm:5.1f}x   target < {TARGET_SECONDS} s "
        f"({'met' if warm < TARGET_SECONDS else 'not met'})"
    )
    print(f"  {int(eq.iterations)} iterations, largest residual {float(eq.residual):.1e}")
    print("  (most of the first route's time is the 582-direction forward Jacobian)")


if __name__ == "__main__":
    main()
