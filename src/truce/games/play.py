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
GRADIENT_TOL = 1e-5
#: A Nash war stops when no player's rates move by more than this in a round.
RATE_TOL = 1e-7
MAX_ROUNDS = 100
MAX_SEARCH_STEPS = 500
#: Rates move in these units in a search (its first step is about one unit).
STEP_SCALE = 0.05
#: Fresh starts of a search that stops short of the tolerance.
RESTARTS = 3
#: Below this gain over the threat point (welfare points) the log of the Nash product is
#: continued linearly.
LOG_FLOOR = 1e-4
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
    tariffs, the others' held, searched from its Nash rates and from free trade: at most
    zero up to the search's tolerance (negative when the search from free trade ends at
    a worse optimum)."""


class _Objective:
    """A jitted value-and-gradient of a welfare score in a block of the rates: the
    weighted sum Σ_k w_k W_k, or with ``log_gains`` the weighted log-gains
    Σ_k w_k log(W_k − d_k) over a threat point d (the Nash product's logarithm)."""

    def __init__(self, economy: Economy, plan: TariffPlan, *, log_gains: bool = False) -> None:
        self.economy, self.plan = economy, plan
        self.base = jnp.asarray(economy.base_tariffs)
        self.evaluations = 0
        self.threat = jnp.zeros(len(plan.regions))

        def score(free, fixed, which, weights, threat):
            rates = free if which == ALL else fixed.at[which].set(free)
            welfare, converged, residual = economy.evaluate(plan.tariffs(self.base, rates))
            if log_gains:
                # log, continued linearly below LOG_FLOOR so that a trial step that
                # leaves a player worse off than the threat point is finite and steep.
                gains = jnp.where(weights > 0, welfare - threat, 1.0)
                safe = jnp.maximum(gains, LOG_FLOOR)
                logs = jnp.where(
                    gains > LOG_FLOOR,
                    jnp.log(safe),
                    jnp.log(LOG_FLOOR) + (gains - LOG_FLOOR) / LOG_FLOOR,
                )
                value = weights @ logs
            else:
                value = weights @ welfare
            return value, (welfare, converged, residual)

        self._value_grad = jax.jit(jax.value_and_grad(score, has_aux=True), static_argnums=2)

    def __call__(self, free: np.ndarray, fixed: np.ndarray, which, weights: np.ndarray):
        self.evaluations += 1
        (value, (welfare, converged, residual)), grad = self._value_grad(
            jnp.asarray(free), jnp.asarray(fixed), which, jnp.asarray(weights), self.threat
        )
        if not bool(converged):
            raise NonConvergenceError(
                f"the {self.economy.model} equilibrium did not converge at tariffs "
                f"{np.round(np.asarray(free), 6).tolist()} (residual {float(residual):.3g})",
                iterations=0,
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

    # The search runs in units of STEP_SCALE, so that its first step (of unit length
    # along the gradient) moves rates by a few points, not to a bound.
    def negative(y):
        value, grad, welfare = objective((y * STEP_SCALE).reshape(shape), fixed, which, weights)
        seen["welfare"] = welfare
        return -value, -grad.ravel() * STEP_SCALE

    lower, upper = 0.0, MAX_TARIFF
    x = np.clip(np.ravel(start), lower, upper)
    # A line search can end early on the welfare's rounding; a fresh start from where it
    # stopped (new curvature memory) then finishes the search.
    for _ in range(RESTARTS + 1):
        result = minimize(
            negative,
            x / STEP_SCALE,
            jac=True,
            method="L-BFGS-B",
            bounds=[(lower / STEP_SCALE, upper / STEP_SCALE)] * int(np.size(start)),
            options={"maxiter": MAX_SEARCH_STEPS, "ftol": 0.0, "gtol": tol * 0.5 * STEP_SCALE},
        )
        x = np.clip(result.x * STEP_SCALE, lower, upper)
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
    player's best deviation is searched afresh, from its Nash rates and from free trade,
    and its gain reported.

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
    gains = np.full(len(plan.players), -np.inf)
    for p in range(len(plan.players)):
        k = plan.regions.index(plan.players[p])
        # A deviation is searched from the Nash rates and, to look beyond the nearest
        # optimum, from free trade.
        for origin in (rates[p], np.zeros_like(rates[p])):
            deviation = _best_response(objective, rates, p, tol, start=origin)
            gains[p] = max(gains[p], deviation.welfare[k] - welfare[k])
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
    welfare, %, in the war) as the threat point: the rates of both that maximise
    (W_a − d_a)(W_b − d_b) among those that leave both better off than the war.

    The product's logarithm is maximised from the first of these that leaves both
    better off: ``start``, the maximum of W_a + W_b, free trade between them.  Raises
    :class:`NonConvergenceError` when none does.
    """
    if len(plan.players) != 2:
        raise ValueError("a bargain is struck between exactly two players")
    a, b = (plan.regions.index(p) for p in plan.players)
    weights = np.zeros(len(plan.regions))
    weights[a] = weights[b] = 1.0
    free_trade = np.zeros((2, plan.size()))
    joint = _Objective(economy, plan)
    candidates = [] if start is None else [np.array(start, dtype=float)]
    candidates.append(
        _maximise(joint, free_trade, free_trade, ALL, weights, tol, "the joint optimum")[0]
    )
    candidates.append(free_trade)
    product = _Objective(economy, plan, log_gains=True)
    product.threat = jnp.asarray(threat)
    for candidate in candidates:
        _, _, welfare = joint(candidate, candidate, ALL, weights)
        if welfare[a] > threat[a] and welfare[b] > threat[b]:
            rates, welfare, _ = _maximise(
                product, candidate, candidate, ALL, weights, tol, "the Nash bargain"
            )
            return rates, welfare
    raise NonConvergenceError(
        "no bargain found that leaves both players better off than the war "
        "(tried the joint optimum and free trade between them)",
        iterations=0,
        residual=0.0,
    )


__all__ = [
    "GRADIENT_TOL",
    "NashOutcome",
    "Response",
    "bargain",
    "best_response",
    "frontier",
    "nash",
]
