"""Many equilibria at once: the same scenario under drawn trade elasticities.

Trade elasticities are estimates with standard errors.  :func:`draw_thetas` draws sector
elasticities from normal sampling distributions truncated below at
:data:`THETA_FLOOR` (an elasticity must stay positive), and :func:`solve_draws` solves
the scenario for every draw in one batched (vmapped) computation: each draw's solve is
the ordinary one, iterated to its own tolerance, with its own convergence flag.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from truce.model.baseline import Baseline, Shock
from truce.model.solve import DEFAULT_MAX_STEPS, DEFAULT_TOL, Equilibrium, solve_differentiable
from truce.model.welfare import RegionOutcomes, region_outcomes

#: Drawn elasticities are kept at or above this.
THETA_FLOOR = 0.1


def draw_thetas(
    theta_s: Float[Array, " s"], se_s: Float[Array, " s"], draws: int, seed: int
) -> Float[Array, "d s"]:
    """``draws`` sector elasticities, each sector's from N(θ_s, se_s²) truncated below at
    :data:`THETA_FLOOR`; reproducible from ``seed``.  A zero standard error gives θ_s in
    every draw."""
    theta_s = jnp.asarray(theta_s, dtype=jnp.float64)
    se_s = jnp.asarray(se_s, dtype=jnp.float64)
    safe = jnp.where(se_s > 0, se_s, 1.0)
    shape = (draws, theta_s.shape[0])
    lower = jnp.broadcast_to((THETA_FLOOR - theta_s) / safe, shape)
    z = jax.random.truncated_normal(jax.random.PRNGKey(seed), lower, jnp.inf, shape, jnp.float64)
    centre, spread = jnp.broadcast_to(theta_s, shape), jnp.broadcast_to(safe, shape)
    return jnp.where(jnp.broadcast_to(se_s > 0, shape), centre + spread * z, centre)


class DrawOutcomes(eqx.Module):
    """Each draw's equilibrium and region outcomes (a leading draw axis on every field)."""

    equilibrium: Equilibrium
    outcomes: RegionOutcomes


@eqx.filter_jit
def _solve_batch(baseline: Baseline, shock: Shock, theta_ds, tol, max_steps) -> DrawOutcomes:
    def one(theta_s):
        drawn = eqx.tree_at(lambda b: b.theta_s, baseline, theta_s)
        eq = solve_differentiable(drawn, shock, tol=tol, max_steps=max_steps)
        return DrawOutcomes(eq, region_outcomes(drawn, shock, eq))

    return jax.vmap(one)(theta_ds)


def solve_draws(
    baseline: Baseline,
    shock: Shock,
    theta_ds: Float[Array, "d s"],
    *,
    tol: float = DEFAULT_TOL,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> DrawOutcomes:
    """Solve ``shock`` on ``baseline`` once per row of ``theta_ds`` (sector elasticities),
    all draws in one batched computation.  Convergence is per draw
    (``result.equilibrium.converged``); the caller decides what a failed draw means."""
    return _solve_batch(baseline, shock, jnp.asarray(theta_ds, dtype=jnp.float64), tol, max_steps)
