"""Optimal tariffs, Nash tariff wars and bargained trade talks (Ossa 2014, with gradients).

Every search maximises welfare (the model's ``welfare_pct``) over tariffs within
``[0, max_tariff]`` (the plan's; :data:`~truce.games.plan.MAX_TARIFF` unless set) with
a bounded quasi-Newton method (SciPy's L-BFGS-B) fed with exact gradients: the derivative
of the equilibrium with respect to the tariffs is the implicit
one of the model's solve.  A search is converged when its projected gradient (the
gradient with the components that push against a bound removed) is below ``tol`` in
welfare points per unit of tariff; anything else raises
:class:`~truce.errors.NonConvergenceError`, as does an equilibrium solve that fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import minimize

from truce._types import GRADIENT_TOL
from truce.errors import NonConvergenceError
from truce.games.economy import Economy, finite_derivative, unsolved_at
from truce.games.first_order import first_order_nash
from truce.games.plan import TariffPlan
from truce.games.sufficient_statistics import check_formula_applies, formula_tariffs

#: The first round's search tolerance, and each later round's share of the last move.
LOOSE_TOL = 1e-2
LOOSE_SHARE = 1e-2
#: A Nash war stops when no player's rates move by more than this in a round.
RATE_TOL = 1e-7
MAX_ROUNDS = 100
MAX_SEARCH_STEPS = 500
#: Rates move in these units in a search (its first step is about one unit).
STEP_SCALE = 0.05
#: Searches (each ended by gradient-only steps if short of the tolerance) before giving up.
RESTARTS = 3
#: Gradient-only steps that end a search.
POLISH_STEPS = 30
#: The bargaining weight is found to this precision, in this many halvings.
SHARE_TOL = 1e-7
BARGAIN_HALVINGS = int(np.ceil(np.log2(1.0 / SHARE_TOL)))
#: ``which`` for a search over every player's rates at once.
ALL = -1
#: How :func:`nash` finds the tariffs.
METHODS = ("first-order", "best-responses", "sufficient-statistics")
#: The sufficient-statistics formula is solved to this (rates), as a start to this.
FORMULA_TOL = 1e-10
FORMULA_START_TOL = 1e-4


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
    """Newton steps (first-order methods) or rounds of best responses."""
    evaluations: int
    deviation_gains: np.ndarray
    """What each player gains (welfare points) by its best deviation from the Nash
    tariffs, the others' held, searched from its Nash rates and from free trade: at most
    zero up to the search's tolerance (negative when the search from free trade ends at
    a worse optimum); positive for the sufficient-statistics formula, which is not each
    player's optimum; NaN when not checked."""
    method: str = "best-responses"
    """How the tariffs were found (one of :data:`METHODS`; ``first-order`` falls back
    to ``best-responses``, and says so here)."""


class _Objective:
    """A jitted value-and-gradient of weighted welfare Σ_k w_k W_k in a block of the rates.

    One compiled function serves every player (its index is an argument, not a
    constant) and one all players at once; :func:`_objective` keeps them per economy and
    plan, so later searches on the same game compile nothing.  ``evaluations`` counts
    the calls.
    """

    def __init__(self, economy: Economy, plan: TariffPlan) -> None:
        self.economy, self.plan = economy, plan
        self.base = jnp.asarray(economy.base_tariffs)
        self.evaluations = 0

        def score(rates, weights):
            welfare, converged, residual = economy.evaluate(plan.tariffs(self.base, rates))
            return weights @ welfare, (welfare, converged, residual)

        def one(free, fixed, which, weights):
            return score(fixed.at[which].set(free), weights)

        self._one = jax.jit(jax.value_and_grad(one, has_aux=True))
        self._every = jax.jit(jax.value_and_grad(score, has_aux=True))

    def __call__(self, free: np.ndarray, fixed: np.ndarray, which: int, weights: np.ndarray):
        self.evaluations += 1
        try:
            if which == ALL:
                out = self._every(jnp.asarray(free), jnp.asarray(weights))
            else:
                out = self._one(
                    jnp.asarray(free), jnp.asarray(fixed), jnp.asarray(which), jnp.asarray(weights)
                )
        except (ValueError, RuntimeError) as error:  # a failed solve inside the derivative
            reason = next((line for line in str(error).splitlines() if "solve" in line), "")
            raise NonConvergenceError(
                f"the {self.economy.model} equilibrium or its derivative failed at tariffs "
                f"{np.round(np.asarray(free), 6).tolist()}: {reason.strip() or error}",
                iterations=0,
                residual=float("nan"),
            ) from None
        (value, (welfare, converged, residual)), grad = out
        if not bool(converged):
            raise unsolved_at(self.economy.model, free, float(residual))
        grad = finite_derivative(grad, self.economy.model, free)
        return float(value), grad, np.asarray(welfare)


@lru_cache(maxsize=8)
def _objective(economy: Economy, plan: TariffPlan) -> _Objective:
    """The compiled objective of a game (kept for the game's later searches)."""
    return _Objective(economy, plan)


def _maximise(
    objective: _Objective,
    start: np.ndarray,
    fixed: np.ndarray,
    which,
    weights: np.ndarray,
    tol: float,
    what: str,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Maximise ``weights @ welfare`` over the rates ``fixed[which]`` (all of them for
    :data:`ALL`), from ``start``."""
    shape = np.shape(start)
    seen: dict[str, np.ndarray] = {}

    # The search runs in units of STEP_SCALE, so that its first step (of unit length
    # along the gradient) moves rates by a few points, not to a bound.
    def negative(y):
        value, grad, welfare = objective((y * STEP_SCALE).reshape(shape), fixed, which, weights)
        seen["welfare"] = welfare
        return -value, -grad.ravel() * STEP_SCALE

    lower, upper = 0.0, objective.plan.max_tariff
    x = np.clip(np.ravel(start), lower, upper)
    # A line search can end early on the welfare's rounding; a fresh start from where it
    # stopped (new curvature memory) then finishes the search.
    for _ in range(RESTARTS):
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
        # Near the optimum welfare differences fall below its rounding and the line
        # search stalls, while the gradient stays exact: finish with gradient-only steps.
        x, grad, welfare, gap = _polish(objective, x, grad, shape, (fixed, which, weights), tol)
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


def _polish(objective, x, grad, shape, call, tol):
    """Projected Barzilai–Borwein ascent on the gradient alone, from ``x`` (gradient
    ``grad``), until the projected gradient is below ``tol`` or :data:`POLISH_STEPS`."""
    lower, upper = 0.0, objective.plan.max_tariff
    x, grad = np.ravel(x), np.ravel(grad)
    alpha = STEP_SCALE / max(float(np.max(np.abs(grad))), 1.0)
    welfare = None
    for _ in range(POLISH_STEPS):
        new_x = np.clip(x + alpha * grad, lower, upper)
        _, new_grad, welfare = objective(new_x.reshape(shape), *call)
        new_grad = new_grad.ravel()
        gap = float(np.max(np.abs(np.clip(new_x + new_grad, lower, upper) - new_x)))
        s, y = new_x - x, new_grad - grad
        x, grad = new_x, new_grad
        if gap <= tol:
            break
        curvature = float(s @ y)
        alpha = float(s @ s) / -curvature if curvature < 0 else 2.0 * alpha
    else:
        gap = float(np.max(np.abs(np.clip(x + grad, lower, upper) - x)))
    return x, grad, welfare, gap


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
    objective = _objective(economy, plan)
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
    method: str = "first-order",
    verify: bool = True,
    checking: Callable[[int, int], None] | None = None,
) -> NashOutcome:
    """Nash tariffs from ``start`` (default: the base rates).

    ``method="first-order"`` (the default) solves every player's first-order
    conditions together by semismooth quasi-Newton (:mod:`truce.games.first_order`);
    in a game of uniform tariffs on every other region it starts from the
    sufficient-statistics solution, a few points below the optimum.  Where its steps
    stall it falls back to ``"best-responses"``: each player's best response in turn
    (Gauss–Seidel) until no rate moves by more than ``rate_tol`` in a round.
    ``"sufficient-statistics"`` solves the formula of Lashkaripour (2021, eq. 14;
    :mod:`truce.games.sufficient_statistics`) instead of the players' exact problems.

    With ``verify`` each player's best deviation is then searched afresh, from its
    rates and from free trade, and its gain reported (``deviation_gains``; NaN without
    ``verify``).  ``progress(step, size)`` is called after each Newton step (size: the
    largest gap) or round (size: the largest move); ``checking(done, players)`` after
    each player's deviations are searched.  Raises :class:`ValueError` for an
    unknown method or a game the formula does not describe, and
    :class:`NonConvergenceError` when no method finds the equilibrium.
    """
    if method not in METHODS:
        raise ValueError(f"method is one of {', '.join(METHODS)}, not {method!r}")
    objective = _objective(economy, plan)
    counted = objective.evaluations
    rates = plan.rates_of(economy.base_tariffs) if start is None else np.array(start, dtype=float)
    if method == "sufficient-statistics":
        found = formula_tariffs(economy, plan, rates, tol=FORMULA_TOL, progress=progress)
        return _verified(
            objective, found.rates, found.steps, found.evaluations, counted, tol, verify, method,
            checking,
        )  # fmt: skip
    if method == "first-order":
        try:
            origin, extra, jacobian = rates, 0, None
            if start is None and _formula_applies(economy, plan):
                formula = formula_tariffs(
                    economy, plan, rates, tol=FORMULA_START_TOL, exact_jacobian=True
                )
                origin, extra, jacobian = formula.rates, formula.evaluations, formula.jacobian
            found = first_order_nash(
                economy, plan, origin, tol=tol, progress=progress, formula_jacobian=jacobian
            )
        except NonConvergenceError:
            method = "best-responses"  # in turn, below, from the same start
        else:
            extra += found.evaluations
            return _verified(
                objective, found.rates, found.steps, extra, counted, tol, verify, method,
                checking, found.welfare,
            )  # fmt: skip
    # Early rounds move rates a lot, so their best responses need not be exact: each
    # round's tolerance follows the last round's largest move, down to ``tol``; the
    # war ends only after a round at ``tol`` that moves nothing.
    loose = LOOSE_TOL
    for round_ in range(1, max_rounds + 1):
        moved = 0.0
        round_tol = max(tol, loose)
        for p in range(len(plan.players)):
            response = _best_response(objective, rates, p, round_tol)
            moved = max(moved, float(np.max(np.abs(response.rates - rates[p]))))
            rates[p] = response.rates
        if progress is not None:
            progress(round_, moved)
        if moved <= rate_tol and round_tol <= tol:
            break
        loose = min(loose, LOOSE_SHARE * moved)
    else:
        raise NonConvergenceError(
            f"no Nash equilibrium after {max_rounds} rounds of best responses "
            f"(the last round moved a rate by {moved:.3g})",
            iterations=max_rounds,
            residual=moved,
        )
    return _verified(objective, rates, round_, 0, counted, tol, verify, method, checking)


def _formula_applies(economy: Economy, plan: TariffPlan) -> bool:
    try:
        check_formula_applies(economy, plan)
    except ValueError:
        return False
    return True


def _verified(
    objective: _Objective,
    rates: np.ndarray,
    rounds: int,
    extra_evaluations: int,
    counted: int,
    tol: float,
    verify: bool,
    method: str,
    checking: Callable[[int, int], None] | None = None,
    welfare: np.ndarray | None = None,
) -> NashOutcome:
    """The outcome at Nash ``rates`` found by ``method`` (every region's ``welfare``
    there, where the method has it), with each player's best deviation searched afresh
    when ``verify`` (its gain; NaN otherwise)."""
    plan = objective.plan
    if welfare is None:
        _, _, welfare = objective(rates, rates, ALL, np.zeros(len(plan.regions)))
    gains = np.full(len(plan.players), -np.inf if verify else np.nan)
    for p in range(len(plan.players) if verify else 0):
        k = plan.regions.index(plan.players[p])
        # A deviation is searched from the Nash rates and, to look beyond the nearest
        # optimum, from free trade.
        for origin in (rates[p], np.zeros_like(rates[p])):
            deviation = _best_response(objective, rates, p, tol, start=origin)
            gains[p] = max(gains[p], deviation.welfare[k] - welfare[k])
        if checking is not None:
            checking(p + 1, len(plan.players))
    evaluations = objective.evaluations - counted + extra_evaluations
    return NashOutcome(rates, welfare, rounds, evaluations, gains, method)


def frontier(
    economy: Economy,
    plan: TariffPlan,
    shares: Sequence[float],
    *,
    start: np.ndarray | None = None,
    tol: float = GRADIENT_TOL,
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Points of the efficient frontier between two players: for each ``share`` λ, the
    rates of both that maximise λ W_first + (1 − λ) W_second, each searched from the
    last.  ``progress(done, total)`` follows each point.  Returns ``(λ, rates,
    welfare)`` per share."""
    if len(plan.players) != 2:
        raise ValueError("the frontier is drawn between exactly two players")
    objective = _objective(economy, plan)
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
        if progress is not None:
            progress(len(points), len(shares))
    return points


def bargain(
    economy: Economy,
    plan: TariffPlan,
    threat: np.ndarray,
    *,
    start: np.ndarray | None = None,
    tol: float = GRADIENT_TOL,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The Nash bargaining solution between two players with ``threat`` (each region's
    welfare, %, in the war) as the threat point: the rates of both that maximise
    (W_a − d_a)(W_b − d_b) among those that leave both better off than the war.

    It is the point of the efficient frontier (the maximum of λ W_a + (1 − λ) W_b) whose
    weight satisfies λ (W_a − d_a) = (1 − λ)(W_b − d_b), the first-order condition of the
    product; that difference grows with λ, so λ is found by bisection, each point of the
    frontier searched from the last (``start``, default free trade between them, for
    the first).  Points off the frontier's concave hull are not reached.
    ``progress(done, total)`` follows each halving of the weight's interval.  Raises
    :class:`NonConvergenceError` when the bargain leaves a player no better off than
    the war.
    """
    if len(plan.players) != 2:
        raise ValueError("a bargain is struck between exactly two players")
    a, b = (plan.regions.index(p) for p in plan.players)
    joint = _objective(economy, plan)
    rates = np.zeros((2, plan.size())) if start is None else np.array(start, dtype=float)
    low, high = 0.0, 1.0
    welfare = np.asarray(threat, dtype=float)
    done = 0
    while high - low > SHARE_TOL:
        share = 0.5 * (low + high)
        weights = np.zeros(len(plan.regions))
        weights[a], weights[b] = share, 1.0 - share
        rates, welfare, _ = _maximise(
            joint, rates, rates, ALL, weights, tol, f"the frontier at weight {share:.6g}"
        )
        gap = share * (welfare[a] - threat[a]) - (1.0 - share) * (welfare[b] - threat[b])
        if gap > 0:
            high = share
        else:
            low = share
        done += 1
        if progress is not None:
            progress(done, BARGAIN_HALVINGS)
    gains = (welfare[a] - threat[a], welfare[b] - threat[b])
    if min(gains) <= 0:
        raise NonConvergenceError(
            "no bargain leaves both players better off than the war (gains "
            f"{gains[0]:.3g} and {gains[1]:.3g} welfare points at the bargaining weight)",
            iterations=0,
            residual=float(min(gains)),
        )
    return rates, welfare


__all__ = [
    "GRADIENT_TOL",
    "NashOutcome",
    "Response",
    "bargain",
    "best_response",
    "frontier",
    "nash",
]
