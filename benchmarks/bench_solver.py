"""Speed and memory of the equilibrium solver (a benchmark, not a test).

Measures, on this machine:
  1. the CP2015 NAFTA experiment (31 regions × 40 sectors): the zero-deficit base solve
     plus the counterfactual, compile time and warm time; the counterfactual alone;
  2. a synthetic 80 × 28 world with input-output linkages: a 20-point tariff rise by
     one region on everyone, warm;
  3. peak resident memory of the process;
  4. where the time goes: exact Jacobians versus residual evaluations.

Peers: (a) measured in this run, an independent NumPy implementation of CP2015's own
algorithm (Appendix C: nested price loop, direct expenditure solve, wage tâtonnement;
tests/reference/cp_tatonnement.py) on the same NAFTA counterfactual; (b) the figures
the project's issue gives for the public JAX replication of CP2015 on this machine
class (3.1 s warm for the two solves, 1.4 s for the counterfactual, about 5 s to
compile), which cannot be run here.

Usage: python benchmarks/bench_solver.py [--no-peer] [--repeats 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import truce
from truce.data.calibrate import world_to_baseline
from truce.data.synthetic import synthetic_baseline
from truce.model.baseline import Shock
from truce.model.caliendo_parro import closing_shock
from truce.model.solve import _conditions, _evaluate, solve
from truce.model.welfare import rebase
from truce.policy.compile import compile_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from reference import cp_tatonnement

PEER_WARM_TWO_SOLVES = 3.1  # s, public JAX replication of CP2015 (issue's figure)
PEER_WARM_COUNTERFACTUAL = 1.4  # s
PEER_COMPILE = 5.0  # s


def _timed(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _nafta(repeats):
    world = truce.load_world("cp2015")
    scenario = truce.load_scenario("cp2015-nafta")
    baseline = world_to_baseline(world)

    def both():
        closing = closing_shock(baseline)
        base = rebase(baseline, closing, solve(baseline, closing))
        shock = compile_scenario(scenario, base)
        return base, shock, solve(base, shock)

    start = time.perf_counter()
    jax.block_until_ready(both())
    first = time.perf_counter() - start
    warm, (base, shock, eq) = _timed(both, repeats)
    alone, _ = _timed(lambda: solve(base, shock), repeats)
    return dict(first=first, warm=warm, alone=alone, base=base, shock=shock, eq=eq)


def _profile(base, shock, eq, repeats):
    """Time one exact Jacobian and one residual evaluation at the solution."""
    z = eq.log_unknowns
    log_P = jnp.log(eq.P_hat_sn)
    cold_P = jnp.zeros_like(log_P)
    numeraire = base.va_n

    def conditions(z, P0, X0):
        return _conditions(base, shock, numeraire, z, _evaluate(base, shock, z, P0, X0))

    residual = jax.jit(conditions)
    jacobian = jax.jit(jax.jacfwd(conditions))
    jax.block_until_ready(residual(z, cold_P, base.X_sn))
    jax.block_until_ready(jacobian(z, log_P, eq.X_sn))
    cold, _ = _timed(lambda: residual(z, cold_P, base.X_sn), repeats)
    warm, _ = _timed(lambda: residual(z, log_P, eq.X_sn), repeats)
    jac, _ = _timed(lambda: jacobian(z, log_P, eq.X_sn), repeats)
    return cold, warm, jac


def _synthetic(repeats):
    baseline = synthetic_baseline(80, 28, seed=0)
    extra = np.zeros(baseline.tau_sni.shape)
    extra[:, 0, 1:] = 0.2
    shock = Shock(
        tau_sni=baseline.tau_sni + extra,
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=baseline.deficit_n,
    )
    start = time.perf_counter()
    jax.block_until_ready(solve(baseline, shock))
    first = time.perf_counter() - start
    warm, eq = _timed(lambda: solve(baseline, shock), repeats)
    return first, warm, eq


def _peer(base, shock):
    data = cp_tatonnement.from_baseline(base)
    start = time.perf_counter()
    solution = cp_tatonnement.solve(
        data, np.transpose(np.asarray(shock.tau_sni), (1, 2, 0)), np.asarray(shock.deficit_n)
    )
    return time.perf_counter() - start, solution


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-peer", action="store_true", help="skip the NumPy peer run")
    args = parser.parse_args()

    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, float64")
    nafta = _nafta(args.repeats)
    eq = nafta["eq"]
    compile_s = nafta["first"] - nafta["warm"]
    print("\nCP2015 NAFTA, 31 × 40 (zero-deficit base solve + counterfactual)")
    print(f"  first call (compile + run)  {nafta['first']:8.3f} s")
    print(
        f"  compile                     {compile_s:8.3f} s   "
        f"peer ~{PEER_COMPILE:.1f} s  ratio {PEER_COMPILE / compile_s:5.1f}x"
    )
    print(
        f"  warm, both solves           {nafta['warm']:8.3f} s   "
        f"peer {PEER_WARM_TWO_SOLVES:.1f} s  ratio {PEER_WARM_TWO_SOLVES / nafta['warm']:5.1f}x"
    )
    print(
        f"  warm, counterfactual alone  {nafta['alone']:8.3f} s   "
        f"peer {PEER_WARM_COUNTERFACTUAL:.1f} s  ratio "
        f"{PEER_WARM_COUNTERFACTUAL / nafta['alone']:5.1f}x"
    )
    print(
        f"  counterfactual: {int(eq.iterations)} iterations, {int(eq.jacobians)} Jacobian(s), "
        f"residual {float(eq.residual):.1e}"
    )

    cold, warm, jac = _profile(nafta["base"], nafta["shock"], eq, args.repeats)
    print("  profile at the solution (counterfactual):")
    print(
        f"    one exact Jacobian (forward mode, {len(nafta['base'].regions)} directions) "
        f"{1e3 * jac:7.1f} ms"
    )
    print(f"    one residual, cold inner loops  {1e3 * cold:7.1f} ms")
    print(f"    one residual, warm inner loops  {1e3 * warm:7.1f} ms")
    share = int(eq.jacobians) * jac / nafta["alone"]
    print(f"    => Jacobians take about {100 * min(share, 1.0):.0f}% of the counterfactual solve")

    if not args.no_peer:
        seconds, solution = _peer(nafta["base"], nafta["shock"])
        gap = float(np.max(np.abs(solution.w_hat - np.asarray(eq.w_hat_n))))
        print(
            f"  peer measured in this run (NumPy, CP Appendix C algorithm), counterfactual: "
            f"{seconds:.2f} s, {solution.iterations} wage iterations; ratio "
            f"{seconds / nafta['alone']:.1f}x; max wage gap {gap:.1e}"
        )

    first, warm80, eq80 = _synthetic(args.repeats)
    print("\nsynthetic 80 × 28 with IO (one region +20 points on everyone)")
    print(f"  first call (compile + run)  {first:8.3f} s")
    print(
        f"  warm                        {warm80:8.3f} s   target < 1 s; "
        f"{int(eq80.iterations)} iterations, {int(eq80.jacobians)} Jacobian(s)"
    )

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory {peak_mb:.0f} MB (target < 2048 MB)")


if __name__ == "__main__":
    main()
