"""Speed of elasticity draws on the built-in world ``default`` under its ``cp``
elasticities, the source with standard errors (a benchmark, not a test).

Measures, on this machine, for the scenario ``truce-collapse``:
  1. ``truce.run(..., draws=N)`` whole (draws, batched solves, percentile tables), warm:
     after a first run has compiled the batched solve;
  2. the peer, measured in the same run: the same draws solved one after another with
     the ordinary (warm, jitted) point solve, started like the batched one from the point
     equilibrium, and the same result tables, on a subset of ``--peer`` draws, scaled to N;
  3. the batched solve alone (no tables) for 250 draws in its two layouts, vectorised
     (``vmap``, the accelerator layout) and mapped in turn (``lax.map``, the CPU default),
     each warm.

Target (the project's issue): 1,000 draws under 60 s on this machine.  Prints each time,
its ratio to the target and the speed-up of the batched path over the peer.

Usage: python benchmarks/bench_draws.py [--draws 1000] [--peer 100] [--scenario truce-collapse]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import truce
import truce.api
from truce.data.calibrate import world_to_baseline
from truce.data.elasticities import theta_spread, with_source
from truce.model.caliendo_parro import CaliendoParro
from truce.model.draws import default_vectorize, draw_thetas, solve_draws
from truce.model.solve import inverse_jacobian_at, solve
from truce.policy.compile import compile_scenario_full
from truce.report.tables import region_table, trade_table

TARGET = 60.0  # s for 1,000 draws


def _peer(world: truce.World, scenario: truce.Scenario, count: int, seed: int) -> float:
    """Seconds to solve ``count`` draws one at a time with the point solver (warm)."""
    world = truce.api.with_products(world, scenario)  # as a run splits it
    baseline = world_to_baseline(world)
    spread = theta_spread(world)
    assert spread is not None
    thetas = np.asarray(draw_thetas(spread.theta_s, spread.loading_sk, count, seed))
    shock = compile_scenario_full(scenario, baseline).shock
    point = solve(baseline, shock)

    model = CaliendoParro()

    def one(theta: np.ndarray) -> None:
        drawn = baseline.__class__(**{**baseline.__dict__, "theta_s": theta})
        prepared = model.prepare(
            model.calibrate(drawn, rebate="lump_sum"), zero_deficits=False, max_steps=200
        )
        solved = model.solve(prepared, shock, max_steps=200, initial=point)
        outcomes = model.outcomes(prepared, shock, solved)
        region_table(outcomes)
        trade_table(baseline.flow_sni, outcomes)

    one(thetas[0])  # compile
    start = time.perf_counter()
    for theta in thetas:
        one(theta)
    return time.perf_counter() - start


def _layouts(world: truce.World, scenario: truce.Scenario, count: int = 250) -> dict[str, float]:
    """Warm seconds of the batched solve alone, vectorised and mapped."""
    import jax

    world = truce.api.with_products(world, scenario)  # as a run splits it
    baseline = world_to_baseline(world)
    spread = theta_spread(world)
    assert spread is not None
    thetas = draw_thetas(spread.theta_s, spread.loading_sk, count, seed=2)
    shock = compile_scenario_full(scenario, baseline).shock
    point = solve(baseline, shock)
    inverse = inverse_jacobian_at(baseline, shock, point)  # borrowed, as a run does
    times = {}
    for name, vectorize in (("vectorised (vmap)", True), ("mapped (lax.map)", False)):
        run = lambda v=vectorize: solve_draws(  # noqa: E731
            baseline, shock, thetas, initial=point, inverse_jacobian=inverse, vectorize=v
        )
        jax.block_until_ready(run())
        start = time.perf_counter()
        jax.block_until_ready(run())
        times[name] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--peer", type=int, default=100)
    parser.add_argument("--scenario", default="truce-collapse")
    args = parser.parse_args()

    # Draws sample Caliendo-Parro's standard errors around their own elasticities.
    world = with_source(truce.load_world("default"), "cp")
    scenario = truce.load_scenario(args.scenario)
    start = time.perf_counter()
    truce.run(world, scenario, draws=min(args.draws, 250), seed=99)
    first = time.perf_counter() - start
    start = time.perf_counter()
    result = truce.run(world, scenario, draws=args.draws, seed=1)
    batched = time.perf_counter() - start
    peer = _peer(world, scenario, args.peer, seed=1) * args.draws / args.peer

    layouts = _layouts(world, scenario)

    usa = result.regions.set_index("region").loc["USA"]
    print(f"default world, {args.scenario}, {args.draws} elasticity draws")
    print(f"  first run (compiles the batched solve): {first:8.2f} s")
    print(
        f"  truce.run(draws={args.draws}), warm:      {batched:8.2f} s   "
        f"({batched / TARGET * 1000 / args.draws:.2f} of the 60 s per 1,000 draws target)"
    )
    print(
        f"  peer, one solve per draw ({args.peer} timed, scaled): {peer:8.2f} s   "
        f"batched is {peer / batched:.1f}x faster"
    )
    default = "vectorised (vmap)" if default_vectorize() else "mapped (lax.map)"
    for name, seconds in layouts.items():
        mark = "  <- this backend's default" if name == default else ""
        print(f"  batched solve alone, 250 draws, {name}: {seconds:6.2f} s{mark}")
    print(
        f"  US welfare: point {usa['welfare_pct']:+.3f}%, median {usa['welfare_pct_p50']:+.3f}%, "
        f"90% band [{usa['welfare_pct_p05']:+.3f}, {usa['welfare_pct_p95']:+.3f}]%"
    )


if __name__ == "__main__":
    main()
