"""Implicit differentiation of a root found by a loop: the loop is never differentiated.

A solver returns ``(z, aux) = primal(inputs)`` with ``rewrite(z, aux, inputs) = 0`` at
its root (``aux`` carries what the loop learnt, such as the inner fixed points'
solutions, to warm-start ``rewrite``).  By the implicit function theorem the root moves
with the inputs as

    dz = −(∂F/∂z)⁻¹ (∂F/∂inputs) d inputs,    F = rewrite(·, aux, ·),

one dense LU of the Jacobian in z (or GMRES on Jacobian-vector products, for a large
system that is well conditioned); ``aux`` carries no derivative.  A singular Jacobian,
or a matrix-free solve that does not converge, gives a derivative that is not finite,
which the games check for (:func:`truce.games.economy.finite_derivative`).  The rule is itself
differentiable, so second derivatives come the same way (the solve's through the
Jacobian as a linear map, never through its factors), and it is linear in the inputs'
tangents, so reverse mode transposes it.

It is written here rather than taken from optimistix's ``ImplicitAdjoint``, which does
the same but checks its linear solve for failure by a host callback: JAX's persistent
compilation cache keeps no program with a host callback, so every compiled derivative
of a solve was compiled anew in each process (docs/numerics.md#implicit-differentiation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

#: Tolerances and restart length of the matrix-free linear solve (GMRES).
GMRES_TOL = 1e-11
GMRES_RESTART = 100
#: A GMRES solution whose residual exceeds this (relative to the right-hand side, or
#: absolute below 1) is a failure: NaN.
GMRES_CHECK = 1e-8


@eqx.filter_custom_jvp
def implicit_root(
    primal: Callable[[Any], tuple[Array, Any]],
    rewrite: Callable[[Array, Any, Any], Float[Array, " m"]],
    inputs: Any,
    *,
    matrix_free: bool = False,
) -> tuple[Float[Array, " m"], Any]:
    """``primal(inputs)``, whose first output ``z`` is differentiable through
    ``rewrite(z, aux, inputs) = 0``; its second, ``aux``, carries no derivative.
    ``primal`` and ``rewrite`` must be plain global functions.  With ``matrix_free``
    the derivative's linear system is solved by GMRES on Jacobian-vector products
    instead of an LU of the whole Jacobian (for large, well-conditioned systems, such as
    conditions premultiplied by a good inverse Jacobian)."""
    return primal(inputs)


@implicit_root.def_jvp
def _implicit_root_jvp(primals, tangents, *, matrix_free=False):
    primal, rewrite, inputs = primals
    t_inputs = tangents[2]
    z, aux = implicit_root(primal, rewrite, inputs, matrix_free=matrix_free)
    no_tangent = jax.tree_util.tree_map(lambda _: None, aux)

    leaves, treedef = jax.tree_util.tree_flatten(inputs)
    t_leaves = treedef.flatten_up_to(t_inputs) if t_inputs is not None else [None] * len(leaves)
    moving = [k for k, t in enumerate(t_leaves) if t is not None]
    if not moving:
        return (z, aux), (None, no_tangent)

    def conditions_of(moved: list[Array]) -> Float[Array, " m"]:
        values = list(leaves)
        for k, value in zip(moving, moved, strict=True):
            values[k] = value
        return rewrite(z, aux, jax.tree_util.tree_unflatten(treedef, values))

    _, forcing = jax.jvp(
        conditions_of, ([leaves[k] for k in moving],), ([t_leaves[k] for k in moving],)
    )
    solved = _solve_linearised(rewrite, z, aux, inputs, forcing, matrix_free)
    return (z, aux), (-solved, no_tangent)


def _solve_linearised(
    rewrite: Callable[[Array, Any, Any], Float[Array, " m"]],
    z: Float[Array, " m"],
    aux: Any,
    inputs: Any,
    forcing: Float[Array, " m"],
    matrix_free: bool,
) -> Float[Array, " m"]:
    """(∂F/∂z)⁻¹ forcing at the root, by one LU of the Jacobian (or GMRES).  The
    solve's own derivative (for second derivatives) runs through ∂F/∂z as a linear map,
    never through its factors: d(A⁻¹b) = A⁻¹(db − dA A⁻¹b), with dA·x one more
    directional derivative rather than a derivative of the whole matrix."""
    _, conditions_jvp = jax.linearize(lambda root: rewrite(root, aux, inputs), z)
    if matrix_free:
        conditions_vjp = jax.linear_transpose(conditions_jvp, z)

        def gmres(operator: Callable[[Array], Array], b: Array) -> Array:
            x, _ = jax.scipy.sparse.linalg.gmres(
                operator, b, tol=GMRES_TOL, atol=GMRES_TOL, restart=GMRES_RESTART
            )
            # JAX's GMRES reports no failure: one that did not converge gives NaN, which
            # the callers check for, rather than a wrong derivative.
            miss = jnp.max(jnp.abs(operator(x) - b))
            scale = jnp.maximum(jnp.max(jnp.abs(b)), 1.0)
            return jnp.where(miss <= GMRES_CHECK * scale, x, jnp.nan)

        return jax.lax.custom_linear_solve(
            conditions_jvp,
            forcing,
            lambda _, b: gmres(conditions_jvp, b),
            lambda _, b: gmres(lambda v: conditions_vjp(v)[0], b),
        )
    jacobian = jax.vmap(conditions_jvp, out_axes=1)(jnp.eye(z.shape[0], dtype=z.dtype))
    factors = jax.scipy.linalg.lu_factor(jacobian)

    def solve(_, b):
        return jax.scipy.linalg.lu_solve(factors, b)

    def transpose_solve(_, b):
        return jax.scipy.linalg.lu_solve(factors, b, trans=1)

    return jax.lax.custom_linear_solve(conditions_jvp, forcing, solve, transpose_solve)
