"""Speed of the all-country tariff war on the WIOD 2014 world: the tariffwar game.

The game of Lashkaripour (2021) as the MATLAB package tariffwar plays it: 44 economies
× 16 sectors of the WIOD 2014 data (``../shared/data/wiod2014_tariffwar``, built with
``truce world import wiod2014``), no input-output links, every deficit closed first,
each economy setting one uniform tariff on every import from every other (services
included), between 0 and 200%.  For the U4 (uniform 4) and IS (Lashkaripour 2021's own
sector estimates) elasticities, measured in this run:

- truce, cold: ``truce.api.wars.war(..., method="first-order", verify=False)`` as the
  first call of a fresh Python process (world loading, calibration, the balanced base
  and every compilation included), with an empty compilation cache; then again in a
  second fresh process that finds the compiled programs the first left on disk (as
  the command line keeps them, docs/numerics.md#compilation-cache);
- truce, warm: the same call again in that process (compiled functions kept);
- the peer: ``tests/tariffwar_peer.py``, the same game in NumPy and SciPy (MINPACK's
  hybrid method for each equilibrium, bounded Brent search for each best response),
  its Nash tariffs found by best responses in turn from its own solution of the
  sufficient-statistics formula, until no rate moves by more than 1e-8 (at most
  ``--peer-rounds`` rounds; where that stops it first, its time is a lower bound).

Printed per elasticity source: the three times, the ratio peer / truce warm, the largest
difference between the two sets of Nash tariffs, and how far the exact tariffs lie above
the sufficient-statistics formula's (Lashkaripour 2021, eq. 14).  With ``--verify``,
also truce's warm time with the check of every player's best deviation.

Targets (the project's issue): under 2 s warm, against the 2.1 s that tariffwar's
authors report for this game in MATLAB (a published figure, not run here); under 20 s
cold.

Usage: python benchmarks/bench_nash.py [--sources u4,is] [--skip-peer] [--verify]
       [--peer-rounds 6]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import tariffwar_peer as peer

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "wiod2014_tariffwar"
DATA = SOURCE / "wiod2014_flows_tariffs.npz"
TARGET_WARM = 2.0  # s
TARGET_COLD = 20.0  # s
TARIFFWAR_SECONDS = 2.1  # s, as tariffwar's authors report it
PEER_TOL = 1e-8


def _truce_run(world: str, source: str, verify: bool, cache: str) -> dict:
    """One cold and one warm call, in this (fresh) process, compiled programs kept in
    the folder ``cache``."""
    began = time.perf_counter()
    from truce.api import wars
    from truce.config import Settings, enable_compilation_cache

    enable_compilation_cache(Settings(cache_dir=Path(cache)))

    def play(method: str, check: bool = False) -> wars.WarResult:
        return wars.war(
            world, everyone=True, uniform=True, deficits="zero", sectors=["all"],
            elasticities=source, method=method, verify=check,
        )  # fmt: skip

    cold = play("first-order")
    cold_seconds = time.perf_counter() - began
    began = time.perf_counter()
    warm = play("first-order")
    warm_seconds = time.perf_counter() - began
    formula = play("sufficient-statistics")
    out = {
        "cold": cold_seconds,
        "warm": warm_seconds,
        "steps": warm.rounds,
        "evaluations": warm.evaluations,
        "method": warm.method,
        "rates": warm.rates.set_index("player")["rate"].to_dict(),
        "formula": formula.rates.set_index("player")["rate"].to_dict(),
        "agree": float((cold.rates["rate"] - warm.rates["rate"]).abs().max()),
    }
    if verify:
        began = time.perf_counter()
        checked = play("first-order", check=True)
        out["verified"] = time.perf_counter() - began
        out["largest_gain"] = max(checked.deviation_gains.values())
    return out


def _truce(world: str, source: str, verify: bool, cache: str) -> dict:
    """:func:`_truce_run` in a fresh process, so that its first call is cold."""
    env = {**os.environ, "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")}
    command = [sys.executable, __file__, "--child", world, source, cache]
    if verify:
        command.append("--verify")
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"truce's run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _peer(source: str, rounds: int) -> tuple[float, np.ndarray, int, float]:
    data = np.load(DATA)
    began = time.perf_counter()
    eps = data[f"eps_{source.upper()}"]
    base = peer.balanced(peer.economy(data["flows_musd"], data["tariff"], eps))
    game = peer.Game(base)
    start = game.formula(np.zeros(len(base.R)))

    def progress(round_: int, moved: float) -> None:
        print(
            f"    peer round {round_}: largest move {moved:.1e} at "
            f"{time.perf_counter() - began:.0f} s",
            flush=True,
        )

    rates, moved = game.nash(start, tol=PEER_TOL, rounds=rounds, progress=progress)
    return time.perf_counter() - began, rates, game.solves, moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default="u4,is", help="elasticity sources (default u4,is)")
    parser.add_argument("--skip-peer", action="store_true", help="time truce only")
    parser.add_argument("--verify", action="store_true", help="also time the verified call")
    parser.add_argument(
        "--peer-rounds", type=int, default=6, help="rounds of the peer's best responses at most"
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("WORLD", "SOURCE", "CACHE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        world, source, cache = args.child
        print(json.dumps(_truce_run(world, source, args.verify, cache)))
        return
    if not SOURCE.is_dir():
        raise SystemExit(f"the shared data set {SOURCE} is absent: nothing to benchmark")

    import jax
    import scipy

    from truce.api.worlds import import_world

    print(
        f"jax {jax.__version__} on {jax.devices()[0].platform}, float64; numpy "
        f"{np.__version__}, scipy {scipy.__version__}; {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    countries = [str(c) for c in np.load(DATA)["countries"]]
    with tempfile.TemporaryDirectory() as folder:
        world = str(Path(folder) / "wiod2014")
        import_world("wiod2014", SOURCE, world)
        for source in args.sources.split(","):
            print(f"\n{source.upper()} elasticities: all-country uniform Nash, 44 × 16")
            cache = str(Path(folder) / f"cache-{source}")
            found = _truce(world, source, args.verify, cache)
            again = _truce(world, source, False, cache)
            rates = np.array([found["rates"][c] for c in countries])
            formula = np.array([found["formula"][c] for c in countries])
            print(
                f"  truce cold  {found['cold']:7.2f} s   (target < {TARGET_COLD:g} s: "
                f"{'met' if found['cold'] < TARGET_COLD else 'NOT met'})"
            )
            print(f"  truce cold, compiled programs on disk  {again['cold']:7.2f} s")
            print(
                f"  truce warm  {found['warm']:7.2f} s   (target < {TARGET_WARM:g} s: "
                f"{'met' if found['warm'] < TARGET_WARM else 'NOT met'}; tariffwar reports "
                f"{TARIFFWAR_SECONDS:g} s in MATLAB)  {found['method']}, {found['steps']} "
                f"steps, {found['evaluations']} gradient evaluations"
            )
            if "verified" in found:
                print(
                    f"  truce warm, verified  {found['verified']:7.2f} s  (largest gain from "
                    f"deviating {found['largest_gain']:.1e} pp)"
                )
            above = 100 * (rates - formula)
            print(
                f"  exact Nash minus the eq. 14 formula: {above.min():+.2f} to "
                f"{above.max():+.2f} pp (median {np.median(above):+.2f})"
            )
            if args.skip_peer:
                continue
            seconds, expected, solves, moved = _peer(source, args.peer_rounds)
            short = moved > PEER_TOL
            print(
                f"  peer        {seconds:7.2f} s   ({solves} equilibrium solves"
                f"{f', STOPPED after {args.peer_rounds} rounds, still moving' if short else ''})"
                f"   peer / truce warm {seconds / found['warm']:.0f}x"
                f"{' (a lower bound)' if short else ''}"
            )
            print(f"  largest |truce − peer| Nash tariff: {np.abs(rates - expected).max():.1e}")


if __name__ == "__main__":
    main()
