"""Cost of critical inputs (a benchmark, not a test).

Measures, on this machine, for a scenario that caps critical products on the built-in
world ``default`` (products split, so rare earths and magnets are critical inputs):
  1. one point solve with the CES nest (sigma = the catalogue's 0.1), warm, against the
     same solve with the world's critical inputs removed (Cobb–Douglas): the cost of
     the extension;
  2. a sweep over sigma (``--points``, at least 25, from 0.05 to 1), warm: each point a
     solve of the compiled model with sigma changed (sigma is data, so nothing
     recompiles), warm-started from the previous point, against the peer measured in the
     same run, ``truce.run(..., sigma=s)`` for each point.

Prints the times and the ratios, and US welfare along the sweep.

Usage: python benchmarks/bench_critical.py [--scenario rare-earth-cut-80] [--points 25]
"""

from __future__ import annotations

import argparse
import dataclasses

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from _timing import warm_median_seconds

import truce
from truce.api.running import _split
from truce.data.calibrate import world_to_baseline
from truce.model.solve import solve
from truce.model.welfare import region_outcomes
from truce.policy.compile import compile_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="rare-earth-cut-80")
    parser.add_argument("--points", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    scenario = truce.load_scenario(args.scenario)
    world = truce.load_world(scenario.world or "default")
    split = _split(world, scenario, None)
    ces = world_to_baseline(split)
    plain = world_to_baseline(dataclasses.replace(split, critical_inputs=None))
    shock_ces = compile_scenario(scenario, ces)
    shock_plain = compile_scenario(scenario, plain)

    t_ces = warm_median_seconds(
        lambda: solve(ces, shock_ces).w_hat_n.block_until_ready(), args.repeats
    )
    t_plain = warm_median_seconds(
        lambda: solve(plain, shock_plain).w_hat_n.block_until_ready(), args.repeats
    )
    print(f"point solve, critical inputs (sigma 0.1): {t_ces:.3f} s")
    print(f"point solve, Cobb-Douglas:               {t_plain:.3f} s")
    print(f"cost of the extension: {t_ces / t_plain:.2f}x")

    sigmas = np.linspace(0.05, 1.0, max(args.points, 25))
    us = ces.regions.index("USA")

    def sweep() -> list[float]:
        welfare, previous = [], None
        for sigma in sigmas:
            b = eqx.tree_at(lambda x: x.sigma, ces, jnp.asarray(sigma))
            eq = solve(b, shock_ces, initial=previous)
            previous = eq
            welfare.append(100 * (float(region_outcomes(b, shock_ces, eq).welfare_n[us]) - 1))
        return welfare

    def peer() -> None:
        for sigma in sigmas:
            truce.run(world, scenario, sigma=float(sigma))

    t_sweep = warm_median_seconds(sweep, 1)
    t_peer = warm_median_seconds(peer, 1)
    print(f"sigma sweep, {len(sigmas)} points, compiled model: {t_sweep:.2f} s")
    print(f"peer, truce.run per point:                {t_peer:.2f} s")
    print(f"sweep speed-up: {t_peer / t_sweep:.1f}x")
    for sigma, value in zip(sigmas, sweep(), strict=True):
        print(f"  sigma {sigma:.3f}: US welfare {value:+.4f}%")


if __name__ == "__main__":
    main()
