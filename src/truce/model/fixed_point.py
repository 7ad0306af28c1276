"""A bounded fixed-point iteration whose derivative is the implicit one.

``x* = step(x*, params)`` is found by plain iteration from a warm start.  Differentiating
through the iterations would be wrong for a warm start (the loop may stop after one pass
while the tangent has not converged), so the JVP is defined by the implicit function
theorem instead: the tangent solves ``dx = ∂step/∂x · dx + ∂step/∂params · dparams``,
which is iterated to its own tolerance.  Both loops are capped; a capped loop leaves a
residual that the caller's final check reports.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float


def _iterate(update: Callable[[Array], Array], x0: Array, tol: float, max_steps: int) -> Array:
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


@partial(jax.custom_jvp, nondiff_argnums=(0, 3, 4))
def fixed_point(
    step: Callable[[Array, Any], Array],
    x0: Float[Array, ...],
    params: Any,
    tol: float,
    max_steps: int,
) -> Float[Array, ...]:
    """Iterate ``x ← step(x, params)`` from ``x0`` until successive iterates differ by at
    most ``tol`` (absolute, so scale ``x`` to order one) or ``max_steps`` passes."""
    return _iterate(lambda x: step(x, params), x0, tol, max_steps)


@fixed_point.defjvp
def _fixed_point_jvp(step, tol, max_steps, primals, tangents):
    x0, params = primals
    _, dparams = tangents
    x = fixed_point(step, x0, params, tol, max_steps)
    _, forcing = jax.jvp(lambda p: step(x, p), (params,), (dparams,))

    # Linearise once at the solution, so each tangent pass is a linear map only.
    _, step_jvp = jax.linearize(lambda y: step(y, params), x)

    def linearised(dx):
        return step_jvp(dx) + forcing

    dx = _iterate(linearised, forcing, tol, max_steps)
    return x, dx
