"""Newton's method with Broyden updates, bounded, in one ``lax.while_loop``.

Both models solve a small outer system this way.  The exact Jacobian (forward mode) is
computed at the start — unless an inverse is given — and again only when a Broyden step
fails to reduce the residual norm; between refreshes the inverse Jacobian is updated
with the good Broyden (Sherman–Morrison) formula, kept as low-rank factors.  Steps are
capped in length, and
halved when a freshly computed Jacobian still fails.  The residual may carry auxiliary
values (warm starts of inner fixed points) from one evaluation to the next.

How the inverse Jacobian is taken and applied is a :class:`Linearization`: by default a
dense inverse of the exact Jacobian; a model with many unknowns may give a structured
approximation instead (the Broyden updates correct what it leaves out).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, cast

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

#: Damping below which the loop gives up (the step no longer reduces the residual).
MIN_DAMPING = 1e-6

Residual = Callable[[Array, Any], tuple[Array, Any]]
"""``residual(z, aux) -> (f, aux)``: the conditions at ``z``, warm-started from ``aux``."""


class Linearization(NamedTuple):
    """How the loop takes an inverse Jacobian and applies it (and its transpose)."""

    make: Callable[[Residual, Array, Any], tuple[Any, Array, Any]]
    """``make(residual, z, aux) -> (H, f, aux)``: an inverse Jacobian at ``z`` (any
    pytree of arrays), with the residual there and its auxiliary values."""
    apply: Callable[[Any, Array], Array]
    """``apply(H, x)``: H x."""
    apply_t: Callable[[Any, Array], Array]
    """``apply_t(H, x)``: Hᵀ x."""


def _dense_inverse(residual: Residual, z: Array, aux: Any) -> tuple[Array, Array, Any]:
    def with_aux(x):
        f, new_aux = residual(x, aux)
        return f, (f, new_aux)

    jac, (f, new_aux) = jax.jacfwd(with_aux, has_aux=True)(z)
    return jnp.linalg.inv(jac), f, new_aux


#: The exact Jacobian, inverted densely.
DENSE = Linearization(
    _dense_inverse, lambda H, x: cast(Array, H @ x), lambda H, x: cast(Array, x @ H)
)


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
    tol: float | Float[Array, ""],
    max_steps: int,
    max_step: float,
    inverse_jacobian: Array | None = None,
    linearization: Linearization = DENSE,
) -> BroydenResult:
    """Iterate until ``max|f| <= tol``, ``max_steps`` steps, or a stall (see module doc).

    A Jacobian refresh counts as a step.  The caller checks convergence from the result.

    Two nested loops: each pass of the outer one takes an inverse Jacobian ``H0`` (the
    given one first, then a freshly computed one) and runs Broyden steps with it in the
    inner one until the problem is solved or a step fails with a stale Jacobian.  The
    inverse is kept in compact form, ``H = H0 + Σ_k u_k v_kᵀ`` (the updates since ``H0``
    are rows of ``U`` and ``V``), so a step reads ``H0`` twice (``H f`` and ``Hᵀ dz``),
    never rewrites it, and the inner loop carries only vectors and the update rows.
    A given ``inverse_jacobian`` is dense: it is used only with :data:`DENSE`.
    """
    if inverse_jacobian is not None and linearization is not DENSE:
        raise ValueError("a given inverse Jacobian is dense: use the DENSE linearization")
    m = z0.shape[0]
    slots = max(int(max_steps), 1)

    def unsolved(f):
        return jnp.max(jnp.abs(f)) > tol

    def broyden_steps(H0, c):
        """Broyden steps from ``c`` with the base inverse ``H0`` (a loop invariant)."""

        def apply(U, V, x):
            return linearization.apply(H0, x) + U.T @ (V @ x)

        def apply_t(U, V, x):
            return linearization.apply_t(H0, x) + V.T @ (U @ x)

        def going(s):
            return (
                unsolved(s["f"])
                & ~s["stale"]
                & (s["steps"] < max_steps)
                & (s["damping"] > MIN_DAMPING)
                & (s["count"] < slots)
            )

        def step(s):
            g = s["g"]  # H f at the current point
            scale = jnp.minimum(1.0, max_step / jnp.maximum(jnp.max(jnp.abs(g)), 1e-300))
            dz = -g * (scale * s["damping"])
            f_new, aux_new = residual(s["z"] + dz, s["aux"])
            ok = jnp.all(jnp.isfinite(f_new)) & (jnp.linalg.norm(f_new) < jnp.linalg.norm(s["f"]))
            U, V, k = s["U"], s["V"], s["count"]
            h = apply(U, V, f_new)
            H_df = h - g
            denom = dz @ H_df
            safe = ok & (jnp.abs(denom) > 1e-300)
            u = jnp.where(safe, (dz - H_df) / jnp.where(safe, denom, 1.0), 0.0)
            v = jnp.where(safe, apply_t(U, V, dz), 0.0)

            def pick(new, old):
                return jnp.where(ok, new, old)

            return dict(
                s,
                z=pick(s["z"] + dz, s["z"]),
                f=pick(f_new, s["f"]),
                aux=jax.tree.map(pick, aux_new, s["aux"]),
                # A rejected step writes zeros into the next free row, which stays free.
                U=U.at[k].set(u),
                V=V.at[k].set(v),
                count=k + safe.astype(k.dtype),
                g=pick(h + u * (v @ f_new), g),
                # A stale Jacobian is refreshed next; a fresh one that still fails gets a
                # shorter step.
                damping=jnp.where(
                    ok,
                    jnp.minimum(1.0, 2.0 * s["damping"]),
                    jnp.where(s["fresh"], 0.5 * s["damping"], s["damping"]),
                ),
                stale=~ok & ~s["fresh"],
                fresh=s["fresh"] & ~ok,
                steps=s["steps"] + 1,
            )

        inner = dict(
            c,
            U=jnp.zeros((slots, m)),
            V=jnp.zeros((slots, m)),
            count=jnp.asarray(0),
            g=linearization.apply(H0, c["f"]),
            stale=jnp.asarray(False),
        )
        out = jax.lax.while_loop(going, step, inner)
        return {key: out[key] for key in c}

    def from_inverse(H0, f, aux, refreshed, c):
        """An epoch of Broyden steps from the inverse Jacobian ``H0``."""
        c = dict(
            c,
            f=f,
            aux=aux,
            fresh=refreshed,
            damping=jnp.where(refreshed, 1.0, c["damping"]),
            steps=c["steps"] + refreshed.astype(c["steps"].dtype),
            jacobians=c["jacobians"] + refreshed.astype(c["jacobians"].dtype),
        )
        return broyden_steps(H0, c)

    def epoch(c):
        if inverse_jacobian is not None:
            # The given inverse belongs to a nearby problem; when its steps stall, they
            # may have led away from the start, so the first exact Jacobian is taken
            # back at the start: no worse than starting without the inverse.
            back = c["jacobians"] == 0
            c = dict(
                c,
                z=jnp.where(back, z0, c["z"]),
                aux=jax.tree.map(lambda a, b: jnp.where(back, a, b), aux0, c["aux"]),
            )
        H0, f, aux = linearization.make(residual, c["z"], c["aux"])
        return from_inverse(H0, f, aux, jnp.asarray(True), c)

    def more(c):
        return unsolved(c["f"]) & (c["steps"] < max_steps) & (c["damping"] > MIN_DAMPING)

    init = dict(
        z=z0,
        f=jnp.full(m, jnp.inf),
        aux=aux0,
        fresh=jnp.asarray(False),
        damping=jnp.asarray(1.0),
        steps=jnp.asarray(0),
        jacobians=jnp.asarray(0),
    )
    if inverse_jacobian is not None:
        # The first epoch uses the given inverse; it is outside the loop (not a branch
        # of a cond) so that a batched (vmapped) solve never computes a Jacobian there.
        f0, aux_start = residual(z0, aux0)
        init = from_inverse(jnp.asarray(inverse_jacobian), f0, aux_start, jnp.asarray(False), init)
    c = jax.lax.while_loop(more, epoch, init)
    return BroydenResult(c["z"], c["f"], c["aux"], c["steps"], c["jacobians"])
