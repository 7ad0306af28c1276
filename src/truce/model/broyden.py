"""Newton's method with Broyden updates, bounded, in one ``lax.while_loop``.

Both models solve a small outer system this way.  The exact Jacobian (forward mode) is
computed at the start — unless an inverse is given — and again only when a Broyden step
fails to reduce the residual norm; between refreshes the inverse Jacobian is updated
with the good Broyden (Sherman–Morrison) formula.  Steps are capped in length, and
halved when a freshly computed Jacobian still fails.  The residual may carry auxiliary
values (warm starts of inner fixed points) from one evaluation to the next.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array

#: Damping below which the loop gives up (the step no longer reduces the residual).
MIN_DAMPING = 1e-6

Residual = Callable[[Array, Any], tuple[Array, Any]]
"""``residual(z, aux) -> (f, aux)``: the conditions at ``z``, warm-started from ``aux``."""


class BroydenResult(NamedTuple):
    z: Array
    f: Array
    aux: Any
    steps: Array
    jacobians: Array


def newton_broyden(
    residual: Residual,
    z0: Array,
    aux0: Any,
    *,
    tol: float,
    max_steps: int,
    max_step: float,
    inverse_jacobian: Array | None = None,
) -> BroydenResult:
    """Iterate until ``max|f| <= tol``, ``max_steps`` steps, or a stall (see module doc).

    A Jacobian refresh counts as a step.  The caller checks convergence from the result.
    """

    def refresh(s):
        def with_aux(z):
            f, aux = residual(z, s["aux"])
            return f, (f, aux)

        jac, (f, aux) = jax.jacfwd(with_aux, has_aux=True)(s["z"])
        return dict(
            s,
            f=f,
            aux=aux,
            J_inv=jnp.linalg.inv(jac),
            stale=jnp.asarray(False),
            fresh=jnp.asarray(True),
            damping=jnp.asarray(1.0),
            jacobians=s["jacobians"] + 1,
        )

    def attempt(s):
        dz = -s["J_inv"] @ s["f"]
        dz = dz * jnp.minimum(1.0, max_step / jnp.maximum(jnp.max(jnp.abs(dz)), 1e-300))
        dz = dz * s["damping"]
        f_new, aux_new = residual(s["z"] + dz, s["aux"])
        improved = jnp.all(jnp.isfinite(f_new)) & (jnp.linalg.norm(f_new) < jnp.linalg.norm(s["f"]))
        J_inv_df = s["J_inv"] @ (f_new - s["f"])
        denom = dz @ J_inv_df
        safe = jnp.abs(denom) > 1e-300
        update = jnp.outer(dz - J_inv_df, dz @ s["J_inv"]) / jnp.where(safe, denom, 1.0)
        accepted = dict(
            s,
            z=s["z"] + dz,
            f=f_new,
            aux=aux_new,
            J_inv=jnp.where(safe, s["J_inv"] + update, s["J_inv"]),
            fresh=jnp.asarray(False),
            damping=jnp.minimum(1.0, 2.0 * s["damping"]),
        )
        # A stale Jacobian is refreshed next; a fresh one that still fails gets a
        # shorter step.
        rejected = dict(
            s,
            damping=jnp.where(s["fresh"], 0.5 * s["damping"], s["damping"]),
            stale=~s["fresh"],
        )
        return jax.tree.map(lambda a, r: jnp.where(improved, a, r), accepted, rejected)

    def keep_going(s):
        unsolved = jnp.max(jnp.abs(s["f"])) > tol
        return (unsolved | s["stale"]) & (s["steps"] < max_steps) & (s["damping"] > MIN_DAMPING)

    def body(s):
        s = jax.lax.cond(s["stale"], refresh, attempt, s)
        return dict(s, steps=s["steps"] + 1)

    m = z0.shape[0]
    if inverse_jacobian is None:
        f0, J_inv0, stale = jnp.full(m, jnp.inf), jnp.eye(m), True
    else:
        (f0, aux0), J_inv0, stale = residual(z0, aux0), inverse_jacobian, False
    init = dict(
        z=z0,
        f=f0,
        aux=aux0,
        J_inv=J_inv0,
        stale=jnp.asarray(stale),
        fresh=jnp.asarray(False),
        damping=jnp.asarray(1.0),
        steps=jnp.asarray(0),
        jacobians=jnp.asarray(0),
    )
    s = jax.lax.while_loop(keep_going, body, init)
    return BroydenResult(s["z"], s["f"], s["aux"], s["steps"], s["jacobians"])
