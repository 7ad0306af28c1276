"""Nash tariffs from every player's first-order conditions, solved together.

At a Nash equilibrium each player's rates maximise its own welfare given the others':
the gradient g_p = ∂W_p/∂r_p vanishes at an interior rate, and points out of the box
[0, max_tariff] at a bound.  Both cases are one equation per rate, the natural residual

    F(r) = r − clip(r + g(r), 0, max_tariff) = 0,

whose size is exactly the projected gradient the best-response searches stop on.  F is
piecewise smooth, and a semismooth quasi-Newton method solves it
(docs/numerics.md#first-order-conditions):

* g comes from one compiled function for every player at once: the equilibrium is
  solved once and each player's own gradient follows from the implicit derivative of
  that solve (forward directions when each player has one rate, one reverse pass per
  player otherwise), so the equilibrium Jacobian's factorisation serves every player;
* the Jacobian of g (each player's second derivatives in its own and the others'
  rates) starts whole and exact in a small game and as its exact diagonal in a large
  one, or, from the sufficient-statistics rates, as the formula's Jacobian with each
  player's row scaled (below); it follows Broyden's update from the steps taken, and
  is taken whole and exactly (reverse over forward differentiation through the
  implicit derivative) when a step fails;
* each player's own block is shifted, where needed, to curve downwards, so that a step
  climbs every player's welfare;
* a step solves the Newton system restricted to the rates off their bounds, within a
  bound on each rate's change that shrinks after a step that raises |F| and grows
  after one that cuts it; it is accepted when |F| falls below its largest over the
  last few steps, and halved otherwise.

A root of F is a stationary point of every player's problem; whether it is each
player's best response is checked afterwards (the caller searches each player's best
deviation afresh, unless told not to).

The formula's start.  Near the sufficient-statistics rates a player's gradient in its
uniform tariff is nearly proportional to the formula's gap, g_p ≈ −κ_p (t_p −
1/S_p(t)), so the Jacobian of g is nearly −diag(κ) times the formula's Jacobian J, which
the formula's own solve has at hand.  One more gradient, at every rate raised by
:data:`SECANT_STEP`, gives κ_p = −(Δg_p / h) / (J·1)_p.  On the 44-player tariffwar game
this start is within 1% of the exact Jacobian (its diagonal alone is 6% off), costs
one gradient instead of the diagonal's forward-over-forward pass, and needs no second
derivative compiled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from truce.errors import NonConvergenceError
from truce.games.economy import Economy, finite_derivative, unsolved_at
from truce.games.plan import TariffPlan

#: Quasi-Newton steps before giving up.
MAX_NEWTON_STEPS = 60
#: Largest change of any rate in one step (a rate of 1 is 100%): the first steps' and
#: the most the step bound grows to.  The bound halves after a step that raises |F|
#: (down to MIN_RATE_STEP) and doubles after one that halves it.
MAX_RATE_STEP = 0.5
MIN_RATE_STEP = 1e-3
#: Halvings of a step that fails to reduce |F| before giving up.
MAX_HALVINGS = 20
#: A step is accepted when |F| falls below its largest over this many last steps.
NONMONOTONE = 8
#: Games with at most this many rates start from the whole exact Jacobian of g (one
#: compiled function fewer; larger games start from its diagonal, which costs one
#: forward pass per rate instead of one reverse-over-forward pass).
WHOLE_JACOBIAN_UP_TO = 24
#: The least downward curvature of a player's welfare a Newton step assumes (welfare %
#: per unit of tariff, squared).
MIN_CURVATURE = 1e-3
#: The rise of every rate whose gradient change scales the formula's Jacobian.
SECANT_STEP = 1e-4


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
    """Evaluations of every player's gradient (each one equilibrium solve)."""
    hessians: int
    """Exact Jacobians of the gradients taken."""
    gap: float
    """Largest natural residual at ``rates`` (the projected gradient)."""


class _System:
    """Every player's own gradient, and its exact Jacobian, as compiled functions."""

    def __init__(self, economy: Economy, plan: TariffPlan) -> None:
        base = jnp.asarray(economy.base_tariffs)
        players = len(plan.players)
        size = plan.size()
        rows = jnp.asarray([plan.regions.index(p) for p in plan.players])
        owner = jnp.asarray(np.repeat(np.arange(players), size))
        self.model = economy.model

        def welfare(rates):
            values, converged, residual = economy.evaluate(plan.tariffs(base, rates))
            return values[rows], (values, converged, residual)

        # One reverse pass per player beats one forward direction per rate as soon as
        # players have more than one rate each.
        differentiate = jax.jacrev if size > 1 else jax.jacfwd

        def gradients(rates):
            jac, aux = differentiate(welfare, has_aux=True)(rates)  # [player, player, k]
            return jac[jnp.arange(players), jnp.arange(players)], aux

        def own_slope(j):
            """The slope of rate j's player's welfare along rate j, as a function of
            the rates, and that direction."""
            direction = jnp.zeros(players * size).at[j].set(1.0).reshape((players, size))

            def slope(rates):
                return jax.jvp(lambda r: welfare(r)[0], (rates,), (direction,))[1][owner[j]]

            return slope, direction

        def hessian(rates):
            def row(j):
                return jax.grad(own_slope(j)[0])(rates).ravel()

            return jax.lax.map(row, jnp.arange(players * size))

        def curvature(rates):
            def second(j):
                slope, direction = own_slope(j)
                return jax.jvp(slope, (rates,), (direction,))[1]

            return jax.vmap(second)(jnp.arange(players * size))

        self._gradients = jax.jit(gradients)
        self._hessian = jax.jit(hessian)
        self._curvature = jax.jit(curvature)

    def gradients(self, rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each player's gradient in its own rates ``[player, parameter]``, and every
        region's welfare, at ``rates``."""
        grad, (welfare, converged, residual) = self._gradients(jnp.asarray(rates))
        if not bool(converged):
            raise unsolved_at(self.model, rates, float(residual))
        return finite_derivative(grad, self.model, rates), np.asarray(welfare)

    def hessian(self, rates: np.ndarray) -> np.ndarray:
        """The Jacobian of :meth:`gradients`' first output in the rates, flattened."""
        return finite_derivative(self._hessian(jnp.asarray(rates)), self.model, rates)

    def curvature(self, rates: np.ndarray) -> np.ndarray:
        """The diagonal of :meth:`hessian` alone (each rate's second derivative of its
        player's welfare), flattened: a few times cheaper."""
        return finite_derivative(self._curvature(jnp.asarray(rates)), self.model, rates)


@lru_cache(maxsize=8)
def _system_of(economy: Economy, plan: TariffPlan) -> _System:
    return _System(economy, plan)


def _concave(B: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """``B`` with each player's own block (the second derivatives of its welfare in its
    own rates) shifted, where needed, to curve down by at least :data:`MIN_CURVATURE`:
    a Newton step then climbs each player's welfare instead of heading for a minimum
    or a saddle."""
    out = B.copy()
    for p in np.unique(owner):
        own = np.flatnonzero(owner == p)
        block = out[np.ix_(own, own)]
        top = float(np.linalg.eigvalsh(0.5 * (block + block.T))[-1])
        if top > -MIN_CURVATURE:
            out[own, own] -= top + MIN_CURVATURE
    return out


def _scaled_rows(formula_jacobian: np.ndarray, along_ones: np.ndarray) -> np.ndarray:
    """−diag(κ) J with κ_p = −along_ones_p / (J·1)_p: the Jacobian of g from the
    formula's ``J`` and g's change along every rate at once, ``along_ones`` (≈ Jg·1).
    A row whose κ is not positive and finite keeps ``along_ones`` on its diagonal."""
    row_sums = formula_jacobian.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = -along_ones / row_sums
    usable = np.isfinite(kappa) & (kappa > 0.0)
    B = np.diag(along_ones)
    B[usable] = -kappa[usable, None] * formula_jacobian[usable]
    return B


def _residual(rates: np.ndarray, grad: np.ndarray, top: float) -> np.ndarray:
    return rates - np.clip(rates + grad, 0.0, top)


def first_order_nash(
    economy: Economy,
    plan: TariffPlan,
    start: np.ndarray,
    *,
    tol: float,
    progress: Callable[[int, float], None] | None = None,
    formula_jacobian: np.ndarray | None = None,
) -> FirstOrderOutcome:
    """Rates where every player's projected gradient is below ``tol``, by semismooth
    quasi-Newton from ``start`` (``[player, parameter]``).  ``progress(step, gap)``
    follows each step.  ``formula_jacobian``, the sufficient-statistics formula's
    Jacobian at ``start`` (one uniform rate per player), gives the first Jacobian (see
    the module docstring).  Raises :class:`NonConvergenceError` when the steps stall or
    run out."""
    system = _system_of(economy, plan)
    top = plan.max_tariff
    used = plan.used().ravel()  # rates that set no tariff stay at 0, outside the system
    shape = (len(plan.players), plan.size())
    rates = np.zeros(shape)
    rates.ravel()[used] = np.clip(np.asarray(start, dtype=np.float64).ravel()[used], 0.0, top)

    evaluations = hessians = 0

    def evaluate(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        nonlocal evaluations
        evaluations += 1
        full = np.zeros(shape)
        full.ravel()[used] = x
        grad, welfare = system.gradients(full)
        g = grad.ravel()[used]
        return g, _residual(x, g, top), welfare

    def exact(x: np.ndarray, whole: bool) -> np.ndarray:
        nonlocal hessians
        hessians += 1
        full = np.zeros(shape)
        full.ravel()[used] = x
        if whole:
            return system.hessian(full)[np.ix_(used, used)]
        return np.diag(system.curvature(full)[used])

    x = rates.ravel()[used]
    owner = np.repeat(np.arange(shape[0]), shape[1])[used]
    g, F, welfare = evaluate(x)
    # The Jacobian of g starts whole and exact in a small game, and as its diagonal in
    # a large one (each rate's own curvature: players' rates interact weakly through
    # wages and prices); it learns the rest from the steps, and is taken whole and
    # exactly again when a step fails.
    B, fresh = None, False
    identity = np.eye(x.size)
    norms = [float(np.linalg.norm(F))]
    best = (norms[0], x, g, F, welfare)
    since_best, radius = 0, MAX_RATE_STEP
    for step in range(MAX_NEWTON_STEPS + 1):
        gap = float(np.max(np.abs(F))) if x.size else 0.0
        if step and progress is not None:
            progress(step, gap)
        if gap <= tol:
            break
        if step == MAX_NEWTON_STEPS:
            raise NonConvergenceError(
                f"the first-order conditions are not met after {MAX_NEWTON_STEPS} "
                f"Newton steps (projected gradient {gap:.3g}, tolerance {tol:.1g})",
                iterations=MAX_NEWTON_STEPS,
                residual=gap,
            )
        if B is None and formula_jacobian is not None and formula_jacobian.shape == (x.size,) * 2:
            moved, _, _ = evaluate(x + SECANT_STEP)
            B = _scaled_rows(formula_jacobian, (moved - g) / SECANT_STEP)
        if B is None:
            whole = x.size <= WHOLE_JACOBIAN_UP_TO
            B, fresh = exact(x, whole=whole), whole
        if since_best >= NONMONOTONE:
            # No new best for a while (the steps may cycle): back to the best point, with
            # the exact Jacobian, and steps that must improve on it.
            _, x, g, F, welfare = best
            B, fresh, norms, since_best = exact(x, whole=True), True, [best[0]], 0
        # A step may raise |F| for a while (climbing through a region where a player's
        # welfare is convex in its rates), but not above its largest of the last few.
        bar = max(norms[-NONMONOTONE:])
        while True:
            free = ((x + g > 0.0) & (x + g < top)).astype(np.float64)
            jac = identity - free[:, None] * (identity + _concave(B, owner))
            try:
                direction = -np.linalg.solve(jac, F)
            except np.linalg.LinAlgError:
                direction = -F
            direction *= min(1.0, radius / max(float(np.max(np.abs(direction))), 1e-300))
            # Not clipped: an iterate may stray past a bound (F pulls it back), and
            # clipping would cancel the step of a rate that must cross one.
            trial = x + direction
            t_g, t_F, t_welfare = evaluate(trial)
            if np.linalg.norm(t_F) < bar or fresh:
                break
            B, fresh = exact(x, whole=True), True  # the estimate misled: take it exactly
        length = 1.0
        for _ in range(MAX_HALVINGS):
            if np.linalg.norm(t_F) < bar:
                break
            length *= 0.5
            trial = x + length * direction
            t_g, t_F, t_welfare = evaluate(trial)
        else:
            raise NonConvergenceError(
                f"the first-order conditions stalled at a projected gradient of {gap:.3g} "
                f"(tolerance {tol:.1g}) after {step} Newton steps",
                iterations=step,
                residual=gap,
            )
        s, y = trial - x, t_g - g
        B = B + np.outer(y - B @ s, s) / float(s @ s)  # Broyden's update
        ratio = float(np.linalg.norm(t_F)) / norms[-1]
        if ratio >= 1.0:
            radius = max(0.5 * float(np.max(np.abs(s))), MIN_RATE_STEP)
        elif ratio < 0.5:
            radius = min(2.0 * radius, MAX_RATE_STEP)
        fresh = False
        x, g, F, welfare = trial, t_g, t_F, t_welfare
        norms.append(float(np.linalg.norm(F)))
        if norms[-1] < best[0]:
            best, since_best = (norms[-1], x, g, F, welfare), 0
        else:
            since_best += 1
    rates = np.zeros(shape)
    rates.ravel()[used] = x
    return FirstOrderOutcome(rates, welfare, step, evaluations, hessians, gap)
