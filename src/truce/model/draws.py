"""Many equilibria at once: the same scenario under drawn trade elasticities.

Trade elasticities are estimates with standard errors.  A world's sector elasticities
θ_s may rest on a few underlying estimates b_k (one sector's θ may be the mean of two
estimates, and two sectors may share one), so the sampling law is written with a loading
matrix L (sectors × estimates): θ = θ̄ + L z, z standard normal, each column of L an
estimate's standard error spread over the sectors that use it.  Sectors sharing an
estimate move together.  :func:`draw_thetas` draws from this law conditioned on every
θ_s ≥ :data:`THETA_FLOOR` (an elasticity must stay positive; rejection sampling), and
:func:`solve_draws` solves the scenario for every draw in one compiled computation: each
draw's solve is the ordinary one, iterated to its own tolerance, with its own
convergence flag.  The draws are either vectorised (``jax.vmap``: every draw of the
batch steps together, so the loop runs until the slowest has converged; the layout for
an accelerator) or mapped one after another inside the computation (``jax.lax.map``:
each draw stops when it has converged; on a CPU as fast or faster, see
benchmarks/bench_draws.py).
:func:`default_vectorize` picks by the backend.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from truce.errors import ModelError
from truce.model.baseline import Baseline, Shock
from truce.model.solve import DEFAULT_MAX_STEPS, DEFAULT_TOL, Equilibrium, solve_differentiable
from truce.model.welfare import RegionOutcomes, rebase, region_outcomes

#: Drawn elasticities are kept at or above this.
THETA_FLOOR = 0.1

#: Rejection sampling gives up when fewer than this share of candidate draws is kept.
MIN_ACCEPTANCE = 1e-3


def draw_thetas(
    theta_s: Float[ArrayLike, " s"],
    loading_sk: Float[ArrayLike, "s k"] | Float[ArrayLike, " s"],
    draws: int,
    seed: int,
) -> Float[Array, "d s"]:
    """``draws`` vectors of sector elasticities θ̄ + L z (z standard normal over the
    ``k`` estimates), conditioned on every sector's θ ≥ :data:`THETA_FLOOR`;
    reproducible from ``seed``.  A sector whose row of L is zero keeps θ̄ in every draw.

    ``loading_sk`` may also be a vector of per-sector standard errors (independent
    estimates, L diagonal).  Raises :class:`~truce.errors.ModelError` when the floor
    rejects nearly every draw (standard errors far larger than the elasticities).
    """
    theta = np.asarray(theta_s, dtype=np.float64)
    loading = np.asarray(loading_sk, dtype=np.float64)
    if loading.ndim == 1:
        loading = np.diag(loading)
    if draws < 1:
        raise ValueError(f"draws must be at least 1, not {draws}")
    if not np.any(loading):
        return jnp.tile(jnp.asarray(theta), (draws, 1))
    rng = np.random.default_rng(seed)
    kept: list[np.ndarray] = []
    tried = have = 0
    while have < draws:
        batch = max(2 * (draws - have), 64)
        z = rng.standard_normal((batch, loading.shape[1]))
        candidate = theta + z @ loading.T
        ok = candidate[np.all(candidate >= THETA_FLOOR, axis=1)]
        kept.append(ok)
        tried, have = tried + batch, have + len(ok)
        if have < draws and tried >= 64 / MIN_ACCEPTANCE:
            raise ModelError(
                f"the elasticities' standard errors are too large: only {have} of {tried} "
                f"draws keep every elasticity at or above {THETA_FLOOR}"
            )
    return jnp.asarray(np.concatenate(kept)[:draws])


class DrawOutcomes(eqx.Module):
    """Each draw's base, equilibrium and region outcomes (a leading draw axis on every
    field).  ``base`` is the baseline with the draw's elasticities, re-solved with every
    deficit closed when the draws were solved from the zero-deficit base;
    ``base_converged`` says whether that base solve converged (True when there was
    none)."""

    base: Baseline
    base_converged: Array
    equilibrium: Equilibrium
    outcomes: RegionOutcomes


def default_vectorize() -> bool:
    """Vectorise draws (vmap) on an accelerator, map them in turn on a CPU."""
    return jax.default_backend() != "cpu"


@eqx.filter_jit
def _solve_batch(
    baseline: Baseline,
    shock: Shock,
    closing: Shock | None,
    initial: Equilibrium | None,
    inverse_jacobian,
    theta_ds,
    sigma_d,
    tol,
    max_steps,
    vectorize: bool,
) -> DrawOutcomes:
    def one(drawn_parameters):
        theta_s, sigma = drawn_parameters
        drawn = eqx.tree_at(lambda b: b.theta_s, baseline, theta_s)
        if sigma is not None:
            drawn = eqx.tree_at(lambda b: b.sigma, drawn, sigma)
        base_converged = jnp.asarray(True)
        if closing is not None:
            eq0 = solve_differentiable(drawn, closing, tol=tol, max_steps=max_steps)
            drawn, base_converged = rebase(drawn, closing, eq0), eq0.converged
        eq = solve_differentiable(
            drawn,
            shock,
            tol=tol,
            max_steps=max_steps,
            initial=initial,
            inverse_jacobian=inverse_jacobian,
        )
        return DrawOutcomes(drawn, base_converged, eq, region_outcomes(drawn, shock, eq))

    parameters = (theta_ds, sigma_d)
    return jax.vmap(one)(parameters) if vectorize else jax.lax.map(one, parameters)


def solve_draws(
    baseline: Baseline,
    shock: Shock,
    theta_ds: Float[ArrayLike, "d s"],
    *,
    closing: Shock | None = None,
    initial: Equilibrium | None = None,
    inverse_jacobian: Float[ArrayLike, "m m"] | None = None,
    sigma_d: Float[ArrayLike, " d"] | None = None,
    tol: float = DEFAULT_TOL,
    max_steps: int = DEFAULT_MAX_STEPS,
    vectorize: bool | None = None,
) -> DrawOutcomes:
    """Solve ``shock`` on ``baseline`` once per row of ``theta_ds`` (sector elasticities),
    all draws in one compiled computation, vectorised or mapped (``vectorize``; default
    :func:`default_vectorize`).  With ``closing`` (the shock that closes every
    deficit) each draw is solved from its own zero-deficit base, as a point run under
    ``deficits: zero`` is.  ``initial`` (the point equilibrium, say) warm-starts every
    draw's scenario solve, and ``inverse_jacobian`` (from
    :func:`~truce.model.solve.inverse_jacobian_at` of that equilibrium) starts its
    Broyden steps, so that a draw computes a Jacobian only when they stall; neither
    changes an answer beyond the tolerance.  ``sigma_d`` (one per draw) also draws the
    critical inputs' elasticity of substitution of a baseline that has them.  Convergence is
    per draw (``result.equilibrium.converged``, ``result.base_converged``); the caller
    decides what a failed draw means."""
    thetas = jnp.asarray(theta_ds, dtype=jnp.float64)
    if vectorize is None:
        vectorize = default_vectorize()
    inverse = None if inverse_jacobian is None else jnp.asarray(inverse_jacobian)
    sigmas = None if sigma_d is None else jnp.asarray(sigma_d, dtype=jnp.float64)
    if sigmas is not None and baseline.critical_s is None:
        raise ModelError("sigma draws need a baseline with critical inputs")
    return _solve_batch(
        baseline,
        shock,
        closing,
        initial,
        inverse,
        thetas,
        sigmas,
        tol,
        max_steps,
        bool(vectorize),
    )
