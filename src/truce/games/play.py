"""Optimal tariffs, Nash tariff wars and bargained trade talks (Ossa 2014, with gradients).

Every search maximises welfare (the model's ``welfare_pct``) over tariffs within
``[0, MAX_TARIFF]`` with a bounded quasi-Newton method (SciPy's L-BFGS-B) fed with exact
gradients: the derivative of the equilibrium with respect to the tariffs is the implicit
one of the model's solve.  A search is converged when its projected gradient (the
gradient with the components that push against a bound removed) is below ``tol`` in
welfare points per unit of tariff; anything else raises
:class:`~truce.errors.NonConvergenceError`, as does an equilibrium solve that fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import minimize

from truce.errors import NonConvergenceError
from truce.games.economy import Economy
from truce.games.plan import MAX_TARIFF, TariffPlan

#: A search stops when the projected gradient is below this (welfare % per unit tariff).
GRADIENT_TOL = 1e-6
#: A Nash war stops when no player's rates move by more than this in a round.
RATE_TOL = 1e-7
MAX_ROUNDS = 100
MAX_SEARCH_STEPS = 500
#: Fresh starts of a search that stops short of the tolerance.
RESTARTS = 3
#: ``which`` for a search over every player's rates at once.
ALL = -1


@dataclass(frozen=True)
class Response:
    """One player's best response: its rates, the welfare of every region, the search."""

    rates: np.ndarray
    welfare: np.ndarray
    evaluations: int
    gradient: float
    """Largest projected gradient at the answer (welfare % per unit of tariff)."""


@dataclass(frozen=True)
class NashOutcome:
    """Tariffs no player wants to change alone."""

    rates: np.ndarray
    """``[player, parameter]``."""
    welfare: np.ndarray
    """Every region's welfare change, %, at the Nash tariffs."""
    rounds: int
    evaluations: int
    deviation_gains: np.ndarray
    """What each player gains (welfare points) by its best deviation from the Nash
    tariffs, the others' held: zero up to the search's tolerance."""


class _Objective:
    """A jitted value-and-gradient of weighted welfare in a block of the rates."""

    def __init__(self, economy: Economy, plan: TariffPlan) -> None:
        self.economy, self.plan = economy, plan
        self.base = jnp.asarray(economy.base_tariffs)
        self.evaluations = 0

        def weighted(free, fixed, which, weights):
            rates = free if which == ALL else fixed.at[which].set(free)
            welfare, converged, residual = economy.evaluate(plan.tariffs(self.base, rates))
            return weights @ welfare, (welfare, converged, residual)

        self._value_grad = jax.jit(jax.value_and_grad(weighted, has_aux=True), static_argnums=2)

    def __call__(self, free: np.ndarray, fixed: np.ndarray, which, weights: np.ndarray):
        self.evaluations += 1
        (value, (welfare, converged, residual)), grad = self._value_grad(
            jnp.asarray(free), jnp.asarray(fixed), which, jnp.asarray(weights)
        )
        if not bool(converged):
            raise NonConvergenceError(
                f"the {self.economy.model} equilibrium did not converge at tariffs "
                f"{np.round(np.asarray(free), 6).tolist()} (residual {float(residual):.3g})",
                residual=float(residual),
            )
        return float(value), np.asarray(grad, dtype=np.float64), np.asarray(welfare)


def _maximise(
    objective: _Objective,
    start: np.ndarray,
    fixed: np.ndarray,
    which,
    weights: np.ndarray,
    tol: float,
    what: str,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Maximise ``weights @ welfare`` over the rates ``fixed[which]``, from ``start``."""
    shape = np.shape(start)
    seen: dict[str, np.ndarray] = {}

    def negative(x):
        value, grad, welfare = objective(x.reshape(shape), fixed, which, weights)
        seen["welfare"] = welfare
        return -value, -grad.ravel()

    lower, upper = 0.0, MAX_TARIFF
    x = np.clip(np.ravel(start), lower, upper)
    # A line search can end early on the welfare's rounding; a fresh start from where it
    # stopped (new curvature memory) then finishes the search.
    for _ in range(RESTARTS + 1):
        result = minimize(
            negative,
            x,
            jac=True,
            method="L-BFGS-B",
            bounds=[(lower, upper)] * int(np.size(start)),
            options={"maxiter": MAX_SEARCH_STEPS, "ftol": 0.0, "gtol": tol * 1e-2},
        )
        x = result.x
        _, grad, welfare = objective(x.reshape(shape), fixed, which, weights)
        step = np.clip(x + grad.ravel(), lower, upper) - x  # projected gradient (ascent)
        gap = float(np.max(np.abs(step))) if step.size else 0.0
        if gap <= tol:
            break
    if not gap <= tol:
        raise NonConvergenceError(
            f"{what}: the search stopped with a projected gradient of {gap:.3g} "
            f"(tolerance {tol:.1g}) after {result.nit} iterations ({result.message})",
            iterations=int(result.nit),
            residual=gap,
        )
    return x.reshape(shape), welfare, gap


def best_response(
    economy: Economy,
    plan: TariffPlan,
    rates: np.ndarray,
    player: int,
    *,
    tol: float = GRADIENT_TOL,
    start: np.ndarray | None = None,
) -> Response:
    """Player ``player``'s optimal rates when the others keep ``rates`` (``[player,
    parameter]``), searched from ``start`` (default: its current rates)."""
    objective = _Objective(economy, plan)
    return _best_response(objective, rates, player, tol, start)


def _best_response(objective, rates, player, tol, start=None) -> Response:
    plan = objective.plan
    weights = np.zeros(len(plan.regions))
    weights[plan.regions.index(plan.players[player])] = 1.0
    x0 = np.asarray(rates[player] if start is None else start, dtype=np.float64)
    before = objective.evaluations
    x, welfare, gap = _maximise(
        objective,
        x0,
        np.asarray(rates, dtype=np.float64),
        player,
        weights,
        tol,
        f"the best response of {plan.players[player]}",
    )
    return Response(x, welfare, objective.evaluations - before, gap)


def nash(
    economy: Economy,
    plan: TariffPlan,
    *,
    start: np.ndarray | None = None,
    tol: float = GRADIENT_TOL,
    rate_tol: float = RATE_TOL,
    max_rounds: int = MAX_ROUNDS,
    progress: Callable[[int, float], None] | None = None,
) -> NashOutcome:
    """Nash tariffs by best responses in turn (Gauss–Seidel) from ``start`` (default:
    the base rates), until no rate moves by more than ``rate_tol`` in a round; then each
    player's best deviation is searched afresh from its Nash rates and reported.

    ``progress(round, largest move)`` is called after each round.  Raises
    :class:`NonConvergenceError` when ``max_rounds`` pass first.
    """
    objective = _Objective(economy, plan)
    rates = plan.rates_of(economy.base_tariffs) if start is None else np.array(start, dtype=float)
    for round_ in range(1, max_rounds + 1):
        moved = 0.0
        for p in range(len(plan.players)):
            response = _best_response(objective, rates, p, tol)
            moved = max(moved, float(np.max(np.abs(response.rates - rates[p]))))
            rates[p] = response.rates
        if progress is not None:
            progress(round_, moved)
        if moved <= rate_tol:
            break
    else:
        raise NonConvergenceError(
            f"no Nash equilibrium after {max_rounds} rounds of best responses "
            f"(the last round moved a rate by {moved:.3g})",
            iterations=max_rounds,
            residual=moved,
        )
    _, _, welfare = objective(rates, rates, ALL, np.zeros(len(plan.regions)))
    gains = np.zeros(len(plan.players))
    for p in range(len(plan.players)):
        k = plan.regions.index(plan.players[p])
        deviation = _best_response(objective, rates, p, tol)
        gains[p] = deviation.welfare[k] - welfare[k]
    return NashOutcome(rates, welfare, round_, objective.evaluations, gains)


def frontier(
    economy: Economy,
    plan: TariffPlan,
    shares: Sequence[float],
    *,
    start: np.ndarray | None = None,
    tol: float = GRADIENT_TOL,
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Points of the efficient frontier between two players: for each ``share`` λ, the
    rates of both that maximise λ W_first + (1 − λ) W_second.  Returns ``(λ, rates,
    welfare)`` per share."""
    if len(plan.players) != 2:
        raise ValueError("the frontier is drawn between exactly two players")
    objective = _Objective(economy, plan)
    a, b = (plan.regions.index(p) for p in plan.players)
    rates = np.zeros((2, plan.size())) if start is None else np.array(start, dtype=float)
    points = []
    for share in shares:
        weights = np.zeros(len(plan.regions))
        weights[a], weights[b] = share, 1.0 - share
        rates, welfare, _ = _maximise(
            objective, rates, rates, ALL, weights, tol, f"the frontier at {share:g}"
        )
        points.append((float(share), rates.copy(), welfare))
    return points


def bargain(
    economy: Economy,
    plan: TariffPlan,
    threat: np.ndarray,
    *,
    start: np.ndarray | None = None,
    tol: float = GRADIENT_TOL,
) -> tuple[np.ndarray, np.ndarray]:
    """The Nash bargaining solution between two players with ``threat`` (each region's
    welfare, %, in the war) as the threat point: the rates that maximise
    (W_a − d_a)(W_b − d_b) over the tariffs both set, among those that leave both better
    off than the war.  Searched from ``start`` (default free trade between them).

    Solved as the point of the efficient frontier where the weights equal the
    bargaining solution's: at the optimum of the product, λ/(1 − λ) = (W_b − d_b) /
    (W_a − d_a), so λ is updated to that ratio and the weighted problem solved again
    until λ settles (each weighted problem is smooth and bounded, unlike the product).
    """
    if len(plan.players) != 2:
        raise ValueError("a bargain is struck between exactly two players")
    objective = _Objective(economy, plan)
    a, b = (plan.regions.index(p) for p in plan.players)
    rates = np.zeros((2, plan.size())) if start is None else np.array(start, dtype=float)
    share = 0.5
    for _ in range(MAX_ROUNDS):
        weights = np.zeros(len(plan.regions))
        weights[a], weights[b] = share, 1.0 - share
        rates, welfare, _ = _maximise(objective, rates, rates, ALL, weights, tol, "the bargain")
        gain_a, gain_b = welfare[a] - threat[a], welfare[b] - threat[b]
        if gain_a <= 0 or gain_b <= 0:
            raise NonConvergenceError(
                "no bargain leaves both players better off than the war "
                f"(gains {gain_a:.3g} and {gain_b:.3g} welfare points at weight {share:.3g})"
            )
        new_share = gain_b / (gain_a + gain_b)
        if abs(new_share - share) <= 1e-10:
            return rates, welfare
        share = new_share
    raise NonConvergenceError(f"the bargaining weight did not settle (last {share:.6g})")


__all__ = [
    "GRADIENT_TOL",
    "NashOutcome",
    "Response",
    "bargain",
    "best_response",
    "frontier",
    "nash",
]
