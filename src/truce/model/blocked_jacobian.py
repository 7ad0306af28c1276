"""An inverse Jacobian for solves with many export caps, from a few derivative passes.

A scenario that caps every cell has thousands of unknowns, one export-tax equivalent per
cell.  Its exact Jacobian takes one forward pass per unknown and a dense inverse of
the whole matrix (minutes for five thousand caps).  But the caps' equations are nearly
separable: a cell's equivalent moves its own quantity and, through the importer's price
index of the sector, those of the cells that compete with it in the same market; its
effects elsewhere run through wages and prices and are small.

So the Jacobian is taken in blocks (docs/numerics.md#many-caps):

- the *dense* unknowns (log wages, floor and capacity equivalents) exactly: one forward
  pass per column and one reverse pass per row;
- the caps against the caps only within each market (sector, importer), estimated by
  colouring: caps with the same exporter never share a market, so one forward pass per
  exporter gives every market's block at once (the effects across markets, left out,
  are what Broyden's updates learn);

and inverted through the Schur complement of the block-diagonal part, which needs the
inverses of one small matrix per market and one of the dense unknowns' size.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from truce.model.broyden import Linearization, Residual


class BlockedInverse(NamedTuple):
    """The approximate inverse Jacobian, by blocks (dense unknowns first, caps last in
    the notation below; in the unknowns' own order through ``dense`` and ``caps``)."""

    schur_inv: Float[Array, "d d"]
    """(A − B D⁻¹ C)⁻¹."""
    b_dinv: Float[Array, "d k"]
    """B D⁻¹."""
    dinv_c: Float[Array, "k d"]
    """D⁻¹ C."""
    d_inv: Float[Array, "g n n"]
    """Each market's block of D, inverted (markets × exporters × exporters)."""
    market: Int[Array, " k"]
    """Each cap's market (sector × regions + importer)."""
    exporter: Int[Array, " k"]
    """Each cap's exporter."""
    dense: Int[Array, " d"]
    """Positions of the dense unknowns among all unknowns."""
    caps: Int[Array, " k"]
    """Positions of the caps among all unknowns."""


def _block_apply(inv: BlockedInverse, x: Array, transpose: bool) -> Array:
    """D⁻¹ x (or D⁻ᵀ x) for caps' values ``x``."""
    grid = jnp.zeros(inv.d_inv.shape[:2]).at[inv.market, inv.exporter].set(x)
    spec = "gji,gj->gi" if transpose else "gij,gj->gi"
    return jnp.einsum(spec, inv.d_inv, grid)[inv.market, inv.exporter]


def _apply(inv: BlockedInverse, x: Array) -> Array:
    x_d, x_c = x[inv.dense], x[inv.caps]
    y_d = inv.schur_inv @ (x_d - inv.b_dinv @ x_c)
    y_c = _block_apply(inv, x_c, False) - inv.dinv_c @ y_d
    return jnp.zeros_like(x).at[inv.dense].set(y_d).at[inv.caps].set(y_c)


def _apply_t(inv: BlockedInverse, x: Array) -> Array:
    x_d, x_c = x[inv.dense], x[inv.caps]
    y_d = inv.schur_inv.T @ (x_d - inv.dinv_c.T @ x_c)
    y_c = _block_apply(inv, x_c, True) - inv.b_dinv.T @ y_d
    return jnp.zeros_like(x).at[inv.dense].set(y_d).at[inv.caps].set(y_c)


def blocked_linearization(
    cap_cells: Int[Array, "k 3"], n_regions: int, n_sectors: int, first_cap: int
) -> Linearization:
    """The :class:`~truce.model.broyden.Linearization` for unknowns whose positions
    ``first_cap`` to ``first_cap + k − 1`` are the equivalents of the caps on
    ``cap_cells`` (sector, importer, exporter rows); every other unknown is dense."""
    k = cap_cells.shape[0]
    n, s = n_regions, n_sectors
    cells = cap_cells.astype(jnp.arange(1).dtype)
    market = cells[:, 0] * n + cells[:, 1]
    exporter = cells[:, 2]

    def make(residual: Residual, z: Array, aux: Any) -> tuple[BlockedInverse, Array, Any]:
        m = z.shape[0]
        caps = jnp.arange(first_cap, first_cap + k)
        dense = jnp.concatenate([jnp.arange(first_cap), jnp.arange(first_cap + k, m)])
        f, jvp, new_aux = jax.linearize(lambda x: residual(x, aux), z, has_aux=True)
        vjp = jax.linear_transpose(jvp, z)

        unit = jnp.eye(m)[dense]  # one row per dense unknown
        columns = jax.vmap(jvp)(unit)  # row j: the Jacobian's column dense[j]
        rows = jax.vmap(lambda e: vjp(e)[0])(unit)  # row j: the Jacobian's row dense[j]
        A = columns[:, dense].T
        C = columns[:, caps].T
        B = rows[:, caps]

        # One pass per exporter: every cap of that exporter moved at once.
        colours = (exporter[None, :] == jnp.arange(n)[:, None]).astype(z.dtype)
        pushes = jnp.zeros((n, m)).at[:, caps].set(colours)
        answers = jax.vmap(jvp)(pushes)[:, caps]  # exporter × cap row
        capped = jnp.zeros((s * n, n), dtype=bool).at[market, exporter].set(True)
        blocks = (
            jnp.zeros((s * n, n, n))
            .at[market, exporter, :]
            .set(answers.T * capped[market, :].astype(z.dtype))
        )
        blocks = blocks + jax.vmap(jnp.diag)((~capped).astype(z.dtype))
        d_inv = jnp.linalg.inv(blocks)

        partial = BlockedInverse(
            schur_inv=jnp.zeros((dense.shape[0],) * 2),
            b_dinv=jnp.zeros((dense.shape[0], k)),
            dinv_c=jnp.zeros((k, dense.shape[0])),
            d_inv=d_inv,
            market=market,
            exporter=exporter,
            dense=dense,
            caps=caps,
        )
        dinv_c = jax.vmap(lambda col: _block_apply(partial, col, False), in_axes=1, out_axes=1)(C)
        b_dinv = jax.vmap(lambda row: _block_apply(partial, row, True))(B)
        schur_inv = jnp.linalg.inv(A - B @ dinv_c)
        return partial._replace(schur_inv=schur_inv, b_dinv=b_dinv, dinv_c=dinv_c), f, new_aux

    return Linearization(make, _apply, _apply_t)
