"""Cost of solving a scenario under every elasticity source (a benchmark, not a test).

Measures, on this machine, for a scenario on the built-in world ``default`` (its
``elasticities`` table: eight published sources and their per-sector median):
  1. ``truce.run(world, scenario)``, the point result, warm;
  2. ``truce.run(world, scenario, elasticities="all")``, warm: the point result plus
     every source solved in one compiled batch and the spread tables;
  3. the peer, measured in the same run: the sources solved one after another, each a
     warm ``truce.run(..., elasticities=SOURCE)``.

Target (the project's issue): ``all`` costs at most 3× one point solve.  Prints each
time and the ratios.

Usage: python benchmarks/bench_sources.py [--scenario busan-deal] [--repeats 5]
"""

from __future__ import annotations

import argparse

from _timing import warm_median_seconds

import truce
from truce.data.elasticities import elasticity_sources

TARGET_RATIO = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="busan-deal")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    world = truce.load_world("default")
    scenario = truce.load_scenario(args.scenario)
    sources = elasticity_sources(world)
    if not sources:
        raise SystemExit("the default world has no elasticities table: rebuild it")

    point = warm_median_seconds(lambda: truce.run(world, scenario), args.repeats)
    every = warm_median_seconds(
        lambda: truce.run(world, scenario, elasticities="all"), args.repeats
    )
    peer = sum(
        warm_median_seconds(lambda s=s: truce.run(world, scenario, elasticities=s), args.repeats)
        for s in sources
    )
    result = truce.run(world, scenario, elasticities="all")
    usa = result.regions.set_index("region").loc["USA"]

    print(f"default world, {args.scenario}, {len(sources)} sources: {', '.join(sources)}")
    print(f"  point run, warm:                          {point:8.3f} s")
    print(
        f"  elasticities='all', warm:                 {every:8.3f} s   "
        f"{every / point:.1f}x the point run (target <= {TARGET_RATIO:.0f}x: "
        f"{'met' if every / point <= TARGET_RATIO else 'NOT met'})"
    )
    print(
        f"  peer, one run per source, warm (summed):  {peer:8.3f} s   "
        f"'all' is {peer / every:.1f}x faster"
    )
    own = result.extra["elasticities"]["point"]
    print(
        f"  US welfare: point {usa['welfare_pct']:+.3f}% ({own}), across sources "
        f"[{usa['welfare_pct_src_min']:+.3f}, {usa['welfare_pct_src_max']:+.3f}]%"
    )


if __name__ == "__main__":
    main()
