"""Speed of tariff wars and talks: Nash tariffs from first-order conditions.

``truce.api.wars.war`` finds Nash tariffs by solving every player's first-order
conditions together (``truce.games.first_order``: semismooth quasi-Newton with exact
first and second derivatives through the implicit derivative of the equilibrium
solve).  Measured, in one process:

1. USA–CHN Nash tariffs by sector on the built-in world ``default`` (14 regions × 28
   sectors, caliendo-parro; 27 goods sectors, so 27 rates per player): a first call
   (cold: compilation included) and a second one (warm), both without the final check
   of each player's deviation (``verify=False``); then, warm, the peer measured in the
   same run: the same game by best responses in turn (``method="best-responses"``, each
   a bounded L-BFGS-B search with exact gradients, the method truce used before); then
   the first-order call with the check, and ``wars.talks`` (war, 5 frontier points,
   bargain), warm.  The compile time JAX reports (``jax.monitoring``) is printed beside
   each wall time.
2. USA–CHN uniform Nash tariffs on ``baci2023`` (194 countries, one sector, ilms2025):
   cold and warm.
3. The gradient's worth, against a peer measured in the same run: one best response
   of the USA on ``default`` by sector from the base rates, (a) truce's
   ``truce.games.best_response`` (exact gradients) and (b) the same L-BFGS-B search
   (same scaling, bounds, tolerances and restarts) fed with central finite-difference
   gradients (h = 1e-6, one-sided at a bound) of the same jitted welfare function, each
   gradient 2 × 27 + 1 sequential equilibrium solves.  The peer's iterations are capped
   (``--peer-iterations``); when the cap binds, its time per iteration and a projected
   total are printed.  Printed: both times, their ratio, and how far apart their
   answers are (rates, welfare).
4. All-region Nash: every region of ``default`` sets one uniform tariff on every
   other (``everyone=True``, 14 players, caliendo-parro), stopped at the first step ending past
   ``--all-budget`` seconds; then a second (warm) call when the first took under half
   the budget.

Targets (the project's issue): USA–CHN Nash by sector on ``default`` under 5 s warm;
``truce talks --players USA,CHN`` under 30 s warm.  The 44 × 16 tariffwar game and its
NumPy peer are in ``benchmarks/bench_nash.py``.

Usage: python benchmarks/bench_games.py [--skip-peer] [--skip-all]
       [--peer-iterations 100] [--all-budget 300]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np
import scipy
from scipy.optimize import minimize

from truce.api.wars import WarResult, game, war
from truce.api.wars import talks as wars_talks
from truce.errors import NonConvergenceError
from truce.games import best_response
from truce.games.plan import MAX_TARIFF
from truce.games.play import GRADIENT_TOL, RESTARTS, STEP_SCALE

PLAYERS = ("USA", "CHN")
TARGET_BY_SECTOR = 5.0  # s, USA–CHN by sector on default, warm
TARGET_TALKS = 30.0  # s, USA–CHN talks by sector on default, warm
FD_STEP = 1e-6


class _Compiles:
    """Compilation time and count as JAX reports them (trace, lowering, XLA compile)."""

    EVENTS = (
        "/jax/core/compile/jaxpr_trace_duration",
        "/jax/core/compile/jaxpr_to_mlir_module_duration",
        "/jax/core/compile/backend_compile_duration",
    )

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0
        jax.monitoring.register_event_duration_secs_listener(self._listen)

    def _listen(self, event: str, duration: float, **_kwargs) -> None:
        if event in self.EVENTS:
            self.seconds += duration
            self.count += event == self.EVENTS[-1]

    def now(self) -> tuple[float, int]:
        return self.seconds, self.count


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _timed_war(compiles: _Compiles, *args, call=None, **kwargs):
    """(result, wall seconds, compile seconds, XLA compiles) of one ``war`` call (or of
    ``call``)."""
    seconds0, count0 = compiles.now()
    began = time.perf_counter()
    result = (call or war)(*args, **kwargs)
    wall = time.perf_counter() - began
    seconds1, count1 = compiles.now()
    return result, wall, seconds1 - seconds0, count1 - count0


def _print_war(label: str, result: WarResult, wall: float, compiled: float, count: int) -> None:
    print(
        f"  {label:<5} {wall:7.2f} s wall (compile {compiled:5.2f} s, {count} XLA compiles), "
        f"{result.method}: {result.rounds} steps, {result.evaluations} equilibria evaluated"
    )
    welfare = result.welfare.set_index("region")["welfare_pct"]
    for player in result.players:
        rates = result.rates[result.rates["player"] == player]["rate"].to_numpy()
        spread = (
            f"rate {100 * rates[0]:6.2f}%"
            if len(rates) == 1
            else f"rates mean {100 * rates.mean():6.2f}%, "
            f"{100 * rates.min():.2f}–{100 * rates.max():.2f}%"
        )
        gain = result.deviation_gains[player]
        checked = "not checked" if gain != gain else f"{gain:+.1e} pp"
        print(
            f"        {player}: welfare {float(welfare[player]):+.4f}%, deviation gain "
            f"{checked}; {spread}"
        )


def _war_part(compiles: _Compiles, title: str, world: str, *, uniform: bool):
    print(title)
    out = []
    for label in ("cold", "warm"):
        result, wall, compiled, count = _timed_war(
            compiles, world, PLAYERS, uniform=uniform, verify=False
        )
        _print_war(label, result, wall, compiled, count)
        out.append((result, wall))
    return out


def _peer_war(compiles: _Compiles, first: WarResult, first_wall: float) -> None:
    """Part 1's peer (best responses in turn), the verified call and the talks."""
    result, wall, compiled, count = _timed_war(
        compiles, "default", PLAYERS, method="best-responses", verify=False
    )
    _print_war("peer", result, wall, compiled, count)
    gap = float((first.rates["rate"] - result.rates["rate"]).abs().max())
    ours = first.welfare.set_index("region")["welfare_pct"]
    theirs = result.welfare.set_index("region")["welfare_pct"]
    print(
        f"  peer (best responses) / truce (first-order), warm: {wall / first_wall:.1f}x; "
        f"largest rate difference {gap:.1e} (flat directions: sectors with little trade), "
        f"largest welfare difference {float((ours - theirs).abs().max()):.1e} pp"
    )
    result, wall, compiled, count = _timed_war(compiles, "default", PLAYERS)
    _print_war("checked", result, wall, compiled, count)
    _, wall, compiled, count = _timed_war(compiles, "default", PLAYERS, call=wars_talks)
    print(
        f"  talks  {wall:7.2f} s wall warm (compile {compiled:5.2f} s, {count} XLA compiles); "
        f"target < {TARGET_TALKS:g} s   {_met(wall < TARGET_TALKS)}"
    )


class _FiniteDifferencePeer:
    """One player's welfare as the same jitted equilibrium evaluation truce uses, with
    central finite-difference gradients; every call to the welfare is one solve."""

    def __init__(self, g, rates: np.ndarray, player: int, step: float = FD_STEP) -> None:
        base = jnp.asarray(g.economy.base_tariffs)
        k = g.plan.regions.index(g.plan.players[player])

        def welfare(free, fixed):
            played = fixed.at[player].set(free)
            w, converged, residual = g.economy.evaluate(g.plan.tariffs(base, played))
            return w[k], converged, residual

        self._welfare = jax.jit(welfare)
        self.fixed = jnp.asarray(rates, dtype=jnp.float64)
        self.step = step
        self.solves = 0
        self.evaluations = 0

    def compile(self, x: np.ndarray) -> float:
        """Seconds to compile (and run once) the welfare function; not counted."""
        began = time.perf_counter()
        jax.block_until_ready(self._welfare(jnp.asarray(x), self.fixed))
        return time.perf_counter() - began

    def value(self, x: np.ndarray) -> float:
        self.solves += 1
        w, converged, residual = self._welfare(jnp.asarray(x), self.fixed)
        if not bool(converged):
            raise NonConvergenceError(
                f"the peer's equilibrium did not converge (residual {float(residual):.3g})",
                iterations=0,
                residual=float(residual),
            )
        return float(w)

    def value_and_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.evaluations += 1
        value = self.value(x)
        grad = np.empty_like(x)
        for i in range(x.size):
            lo, hi = max(x[i] - self.step, 0.0), min(x[i] + self.step, MAX_TARIFF)
            up, down = x.copy(), x.copy()
            up[i], down[i] = hi, lo
            grad[i] = (self.value(up) - self.value(down)) / (hi - lo)
        return value, grad


def _peer_search(peer: _FiniteDifferencePeer, start: np.ndarray, max_iterations: int):
    """truce's search (``truce.games.play._maximise``) with the peer's gradients:
    L-BFGS-B in units of STEP_SCALE on [0, MAX_TARIFF], ftol 0, gtol tol/2, fresh
    starts while the projected gradient is above tol; at most ``max_iterations``
    L-BFGS-B iterations in all.  Returns (rates, welfare, gap, iterations)."""
    tol = GRADIENT_TOL

    def negative(y):
        value, grad = peer.value_and_gradient(y * STEP_SCALE)
        return -value, -grad * STEP_SCALE

    x = np.clip(np.asarray(start, dtype=np.float64), 0.0, MAX_TARIFF)
    iterations = 0
    for _ in range(RESTARTS + 1):
        result = minimize(
            negative,
            x / STEP_SCALE,
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, MAX_TARIFF / STEP_SCALE)] * x.size,
            options={
                "maxiter": max_iterations - iterations,
                "ftol": 0.0,
                "gtol": tol * 0.5 * STEP_SCALE,
            },
        )
        iterations += int(result.nit)
        x = np.clip(result.x * STEP_SCALE, 0.0, MAX_TARIFF)
        value, grad = peer.value_and_gradient(x)
        gap = float(np.max(np.abs(np.clip(x + grad, 0.0, MAX_TARIFF) - x)))
        if gap <= tol or iterations >= max_iterations:
            break
    return x, value, gap, iterations


def _peer_part(compiles: _Compiles, max_iterations: int) -> None:
    print(
        "3. The gradient's worth: one best response of the USA on default by sector "
        "(27 rates), from the base rates"
    )
    g = game("default", PLAYERS)
    rates = g.plan.rates_of(g.economy.base_tariffs)
    usa = g.plan.regions.index("USA")

    seconds0, count0 = compiles.now()
    began = time.perf_counter()
    exact = best_response(g.economy, g.plan, rates, 0)
    truce_wall = time.perf_counter() - began
    truce_compile = compiles.now()[0] - seconds0
    truce_count = compiles.now()[1] - count0
    truce_run = truce_wall - truce_compile
    print(
        f"  (a) truce, exact gradients:     {truce_wall:7.2f} s wall (compile "
        f"{truce_compile:.2f} s, {truce_count} XLA compiles; run {truce_run:.2f} s), "
        f"{exact.evaluations} equilibria + gradients, projected gradient {exact.gradient:.1e}"
    )

    peer = _FiniteDifferencePeer(g, rates, 0)
    peer_compile = peer.compile(rates[0])
    began = time.perf_counter()
    x, value, gap, iterations = _peer_search(peer, rates[0], max_iterations)
    peer_run = time.perf_counter() - began
    converged = gap <= GRADIENT_TOL
    capped = not converged and iterations >= max_iterations
    per_evaluation = peer_run / peer.evaluations
    print(
        f"  (b) peer, central differences:  {peer_run + peer_compile:7.2f} s wall (compile "
        f"{peer_compile:.2f} s; run {peer_run:.2f} s), {iterations} L-BFGS-B iterations, "
        f"{peer.evaluations} values + gradients = {peer.solves} equilibrium solves, "
        f"projected gradient {gap:.1e}"
    )
    print(
        f"      {peer_run / max(iterations, 1):.2f} s per iteration, {per_evaluation:.3f} s "
        f"per value + gradient ({2 * x.size + 1} solves), "
        f"{peer_run / peer.solves * 1e3:.1f} ms per solve"
    )
    if capped:
        projected = per_evaluation * exact.evaluations
        print(
            f"      CAPPED at {max_iterations} iterations (--peer-iterations) before its "
            f"tolerance ({GRADIENT_TOL:g}); projected total at truce's {exact.evaluations} "
            f"evaluations (same path assumed): {projected:.1f} s"
        )
    elif not converged:
        projected = None
        print(f"      stopped short of its tolerance ({GRADIENT_TOL:g}) without hitting the cap")
    else:
        projected = None
    ratio_run = peer_run / truce_run
    ratio_wall = (peer_run + peer_compile) / truce_wall
    suffix = " (capped peer: a lower bound)" if capped else ""
    print(f"  ratio peer/truce: run {ratio_run:.1f}x, wall with compile {ratio_wall:.1f}x{suffix}")
    if projected is not None:
        print(
            f"  ratio peer/truce, projected uncapped peer: run "
            f"{projected / truce_run:.1f}x, wall {(projected + peer_compile) / truce_wall:.1f}x"
        )
    diff_rates = float(np.max(np.abs(x - exact.rates)))
    diff_welfare = abs(value - float(exact.welfare[usa]))
    print(
        f"  agreement{' (capped peer)' if capped else ''}: max |rates peer - truce| "
        f"{diff_rates:.1e}, |USA welfare peer - truce| {diff_welfare:.1e} pp "
        f"(truce {float(exact.welfare[usa]):+.6f}%, peer {value:+.6f}%)"
    )


class _OverBudget(Exception):
    pass


def _all_part(compiles: _Compiles, budget: float) -> None:
    print(
        "4. All-region uniform Nash on default (everyone=True: 14 players, each one "
        "uniform rate on every other region), caliendo-parro"
    )
    spent = 0.0
    for label in ("cold", "warm"):
        if label == "warm" and spent > budget / 2:
            print(f"  warm  not run: the cold call took over half the budget ({budget:g} s)")
            break
        wall, finished = _all_run(compiles, label, budget)
        spent += wall
        if not finished:
            break


def _all_run(compiles: _Compiles, label: str, budget: float) -> tuple[float, bool]:
    """One all-region war, stopped at the end of the first step past ``budget``."""
    began = time.perf_counter()
    rounds: list[tuple[int, float, float]] = []

    def progress(step: int, gap: float) -> None:
        rounds.append((step, gap, time.perf_counter() - began))
        if time.perf_counter() - began > budget:
            raise _OverBudget

    seconds0, count0 = compiles.now()
    try:
        result = war("default", everyone=True, uniform=True, progress=progress, verify=False)
    except _OverBudget:
        result = None
    wall = time.perf_counter() - began
    compiled, count = compiles.now()[0] - seconds0, compiles.now()[1] - count0
    first = rounds[0][2] if rounds else float("nan")
    trail = ", ".join(f"{r}: {m:.0e} @ {t:.1f} s" for r, m, t in rounds)
    if result is None:
        print(
            f"  {label:<5} STOPPED after step {rounds[-1][0]} at {wall:.1f} s (budget "
            f"{budget:g} s, --all-budget): first step {first:.1f} s (compile "
            f"{compiled:.1f} s, {count} XLA compiles so far)"
        )
        print(f"        steps (largest gap @ elapsed): {trail}")
        return wall, False
    print(
        f"  {label:<5} {wall:7.2f} s wall (compile {compiled:.2f} s, {count} XLA compiles), "
        f"{result.rounds} steps (first {first:.1f} s), {result.evaluations} "
        "equilibria evaluated"
    )
    print(f"        steps (largest gap @ elapsed): {trail}")
    rates = result.rates["rate"].to_numpy()
    print(f"        rates {100 * rates.min():.2f}–{100 * rates.max():.2f}% ({result.method})")
    return wall, True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-peer", action="store_true", help="skip part 3")
    parser.add_argument("--skip-all", action="store_true", help="skip part 4")
    parser.add_argument(
        "--peer-iterations",
        type=int,
        default=100,
        help="cap on the finite-difference peer's L-BFGS-B iterations (default 100)",
    )
    parser.add_argument(
        "--all-budget",
        type=float,
        default=300.0,
        help="seconds after which part 4 stops at the end of a step (default 300)",
    )
    args = parser.parse_args()

    print(
        f"jax {jax.__version__} on {jax.devices()[0].platform}, float64; numpy "
        f"{np.__version__}, scipy {scipy.__version__}; {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    compiles = _Compiles()

    runs = _war_part(
        compiles,
        "1. USA–CHN Nash tariffs by sector on default (14 regions × 28 sectors, "
        "caliendo-parro; 27 rates per player)",
        "default",
        uniform=False,
    )
    warm = runs[1][1]
    print(
        f"  target: < {TARGET_BY_SECTOR:g} s (warm call)   {warm:.2f} s   "
        f"{_met(warm < TARGET_BY_SECTOR)}"
    )
    _peer_war(compiles, runs[1][0], warm)

    _war_part(
        compiles,
        "2. USA–CHN uniform Nash tariffs on baci2023 (194 countries, one sector, ilms2025)",
        "baci2023",
        uniform=True,
    )
    print("  target: none in the issue")

    if args.skip_peer:
        print("3. The gradient's worth: skipped (--skip-peer)")
    else:
        _peer_part(compiles, args.peer_iterations)

    if args.skip_all:
        print("4. All-region Nash: skipped (--skip-all)")
    else:
        _all_part(compiles, args.all_budget)


if __name__ == "__main__":
    main()
