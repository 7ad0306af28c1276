"""Nash tariffs from every player's first-order conditions, solved together.

At a Nash equilibrium each player's rates maximise its own welfare given the others':
the gradient g_p = ∂W_p/∂r_p vanishes at an interior rate, and points out of the box
[0, max_tariff] at a bound.  Both cases are one equation per rate, the natural residual

    F(r) = r − clip(r + g(r), 0, max_tariff) = 0,

whose size is exactly the projected gradient the best-response searches stop on.  F is
piecewise smooth, and semismooth Newton solves it: the Jacobian of every player's own
gradient (second derivatives of welfare, exact, by forward-mode differentiation through
the implicit derivative of the equilibrium solve) restricted to the free rates, a step
that solves the linear system, and a backtracking line search on |F|.  One compiled
function yields F and its Jacobian together, for every player at once.

A root of F is a stationary point of every player's problem; whether it is each
player's best response is checked afterwards, as for the other method (the caller
searches each player's best deviation afresh).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from truce.errors import NonConvergenceError
from truce.games.economy import Economy, unsolved_at
from truce.games.plan import TariffPlan

#: Newton steps before giving up.
MAX_NEWTON_STEPS = 40
#: Largest change of any rate in one step (a rate of 1 is 100%).
MAX_RATE_STEP = 0.5
#: Halvings of a step that fails to reduce |F| before giving up.
MAX_HALVINGS = 20


@dataclass(frozen=True)
class FirstOrderOutcome:
    """Rates that meet every player's first-order conditions."""

    rates: np.ndarray
    """``[player, parameter]``."""
    welfare: np.ndarray
    """Every region's welfare change, %, at ``rates``."""
    steps: int
    """Newton steps taken."""
    evaluations: int
    """Evaluations of the residual and its Jacobian."""
    gap: float
    """Largest natural residual at ``rates`` (the projected gradient)."""


class _System:
    """The natural residual F of a game's first-order conditions and its Jacobian."""

    def __init__(self, economy: Economy, plan: TariffPlan) -> None:
        base = jnp.asarray(economy.base_tariffs)
        rows = jnp.asarray([plan.regions.index(p) for p in plan.players])
        players = jnp.arange(len(plan.players))
        self.model = economy.model

        def welfare(rates):
            values, converged, residual = economy.evaluate(plan.tariffs(base, rates))
            return values, (values, converged, residual)

        def own_gradients(rates):
            jac, aux = jax.jacfwd(welfare, has_aux=True)(rates)  # [region, player, k]
            return jac[rows, players], aux

        def system(rates):
            (grad, aux), hess = _value_and_jacfwd(own_gradients, rates)
            return grad, hess, aux

        self._system = jax.jit(system)

    def __call__(self, rates: np.ndarray):
        grad, hess, (welfare, converged, residual) = self._system(jnp.asarray(rates))
        if not bool(converged):
            raise unsolved_at(self.model, rates, float(residual))
        return np.asarray(grad), np.asarray(hess), np.asarray(welfare)


def _value_and_jacfwd(fn: Callable, x):
    """``fn(x)`` (with its auxiliary value) and the Jacobian of its first output."""

    def pushed(v):
        return jax.jvp(lambda y: fn(y)[0], (x,), (v,))[1]

    value = fn(x)
    basis = jnp.eye(x.size, dtype=x.dtype).reshape((x.size, *x.shape))
    columns = jax.vmap(pushed)(basis)  # [input, *output shape]
    return value, jnp.moveaxis(columns, 0, -1).reshape((*value[0].shape, *x.shape))


@lru_cache(maxsize=8)
def _system_of(economy: Economy, plan: TariffPlan) -> _System:
    return _System(economy, plan)


def _residual(rates: np.ndarray, grad: np.ndarray, top: float) -> np.ndarray:
    return rates - np.clip(rates + grad, 0.0, top)


def first_order_nash(
    economy: Economy,
    plan: TariffPlan,
    start: np.ndarray,
    *,
    tol: float,
    progress: Callable[[int, float], None] | None = None,
) -> FirstOrderOutcome:
    """Rates where every player's projected gradient is below ``tol``, by semismooth
    Newton from ``start`` (``[player, parameter]``).  ``progress(step, gap)`` follows
    each step.  Raises :class:`NonConvergenceError` when the steps stall or run out."""
    system = _system_of(economy, plan)
    shape = start.shape
    size = start.size
    top = plan.max_tariff
    rates = np.clip(np.asarray(start, dtype=np.float64), 0.0, top)
    grad, hess, welfare = system(rates)
    evaluations = 1
    F = _residual(rates, grad, top).ravel()
    for step in range(1, MAX_NEWTON_STEPS + 1):
        gap = float(np.max(np.abs(F))) if size else 0.0
        if gap <= tol:
            return FirstOrderOutcome(rates, welfare, step - 1, evaluations, gap)
        moved = (rates + grad).ravel()
        free = ((moved > 0.0) & (moved < top)).astype(np.float64)
        jac = np.eye(size) - free[:, None] * (np.eye(size) + hess.reshape(size, size))
        try:
            direction = -np.linalg.solve(jac, F)
        except np.linalg.LinAlgError:
            direction = -F
        largest = float(np.max(np.abs(direction)))
        direction *= min(1.0, MAX_RATE_STEP / max(largest, 1e-300))
        length = 1.0
        for _ in range(MAX_HALVINGS):
            # Not clipped: an iterate may stray past a bound (F pulls it back), and
            # clipping would cancel the step of a rate that must cross one.
            trial = rates + length * direction.reshape(shape)
            t_grad, t_hess, t_welfare = system(trial)
            evaluations += 1
            t_F = _residual(trial, t_grad, top).ravel()
            if np.linalg.norm(t_F) < np.linalg.norm(F):
                break
            length *= 0.5
        else:
            raise NonConvergenceError(
                f"the first-order conditions stalled at a projected gradient of {gap:.3g} "
                f"(tolerance {tol:.1g}) after {step} Newton steps",
                iterations=step,
                residual=gap,
            )
        rates, grad, hess, welfare, F = trial, t_grad, t_hess, t_welfare, t_F
        if progress is not None:
            progress(step, float(np.max(np.abs(F))))
    gap = float(np.max(np.abs(F)))
    if gap <= tol:
        return FirstOrderOutcome(rates, welfare, MAX_NEWTON_STEPS, evaluations, gap)
    raise NonConvergenceError(
        f"the first-order conditions are not met after {MAX_NEWTON_STEPS} Newton steps "
        f"(projected gradient {gap:.3g}, tolerance {tol:.1g})",
        iterations=MAX_NEWTON_STEPS,
        residual=gap,
    )
