"""A bounded fixed-point iteration whose derivative is the implicit one.

``x* = step(x*, params)`` is found by plain iteration from a warm start.  Differentiating
through the iterations would be wrong for a warm start (the loop may stop after one pass
while the tangent has not converged), so the JVP is defined by the implicit function
theorem instead: the tangent solves ``(I − ∂step/∂x) dx = ∂step/∂params · dparams``.

That linear solve is a :func:`jax.lax.custom_linear_solve`, so reverse mode works too:
forward, the tangent is iterated, ``dx ← ∂step/∂x · dx + forcing``, to the loop's own
tolerance; backward, the cotangent is iterated with the transposed map,
``g ← (∂step/∂x)ᵀ g + ḡ``, which contracts whenever the forward map does (same spectral
radius), to the loop's tolerance times ``max(1, max|ḡ|)`` (cotangents need not be of
order one).  All loops are capped; a capped loop leaves a residual that the caller's
final check reports.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float


def _iterate(update: Callable[[Array], Array], x0: Array, tol: Any, max_steps: int) -> Array:
    def body(carry):
        x, _, k = carry
        new = update(x)
        return new, jnp.max(jnp.abs(new - x)), k + 1

    x, _, _ = jax.lax.while_loop(
        lambda c: (c[1] > tol) & (c[2] < max_steps),
        body,
        (x0, jnp.asarray(jnp.inf, dtype=x0.dtype), jnp.asarray(0)),
    )
    return x


def fixed_point(
    step: Callable[[Array, Any], Array],
    x0: Float[Array, ...],
    params: Any,
    tol: float,
    max_steps: int,
) -> Float[Array, ...]:
    """Iterate ``x ← step(x, params)`` from ``x0`` until successive iterates differ by at
    most ``tol`` (absolute, so scale ``x`` to order one) or ``max_steps`` passes.

    The result's derivative with respect to ``params`` — and to any traced value ``step``
    closes over, which is hoisted into the parameters — is the implicit one at the
    returned point (forward and reverse mode); ``x0`` carries no derivative.
    """
    converted, consts = jax.closure_convert(step, x0, params)

    def closed_step(x: Array, params_consts: tuple[Any, tuple]) -> Array:
        params, consts = params_consts
        return converted(x, params, *consts)

    return _fixed_point(closed_step, x0, (params, tuple(consts)), tol, max_steps)


@partial(jax.custom_jvp, nondiff_argnums=(0, 3, 4))
def _fixed_point(
    step: Callable[[Array, Any], Array], x0: Array, params: Any, tol: float, max_steps: int
) -> Array:
    return _iterate(lambda x: step(x, params), x0, tol, max_steps)


def implicit_tangent(
    step: Callable[[Array, Any], Array],
    x: Float[Array, ...],
    params: Any,
    dparams: Any,
    tol: float,
    max_steps: int,
) -> Float[Array, ...]:
    """The tangent ``dx = (I − ∂step/∂x)⁻¹ ∂step/∂params · dparams`` at a fixed point ``x``,
    linear in ``dparams`` and transposable (see the module docstring)."""
    _, forcing = jax.jvp(lambda p: step(x, p), (params,), (dparams,))

    # Linearise once at the solution, so each pass is a linear map only.
    _, step_jvp = jax.linearize(lambda y: step(y, params), x)
    step_transpose = jax.linear_transpose(step_jvp, x)

    def matvec(dx):
        return dx - step_jvp(dx)

    def solve(_, b):
        return _iterate(lambda dx: step_jvp(dx) + b, b, tol, max_steps)

    def transpose_solve(_, b):
        scaled_tol = tol * jnp.maximum(jnp.max(jnp.abs(b)), 1.0)
        return _iterate(lambda g: step_transpose(g)[0] + b, b, scaled_tol, max_steps)

    return jax.lax.custom_linear_solve(matvec, forcing, solve, transpose_solve)


@_fixed_point.defjvp
def _fixed_point_jvp(step, tol, max_steps, primals, tangents):
    x0, params = primals
    _, dparams = tangents
    x = _fixed_point(step, x0, params, tol, max_steps)
    return x, implicit_tangent(step, x, params, dparams, tol, max_steps)
