"""Constraint counts rounded up to buckets, so that scenarios share compiled solves.

JAX compiles the equilibrium solve once per shape of its inputs.  A scenario's tariffs,
trade costs and deficits always have the world's shape, but the numbers of export caps,
purchase floors and capacity limits vary from scenario to scenario (and from phase to
phase of a timeline), and so does which of the optional wedges (export taxes, bans) are
present.  Before the solve, :func:`padded` brings a shock with any constraint or
optional wedge to one layout: every optional field present (export taxes of zero, no
ban), and each kind of constraint padded to the next bucket (4, 8, 16, … caps) with
non-binding dummies:

- a dummy cap or capacity limit sits on a sector index one past the last: its equivalent
  moves no price (the scatter drops it), its quantity reads as zero, and its share of 1
  leaves it slack, so its equation is ``FB(u, 1) = 0``, solved by ``u = 0`` alone;
- a dummy purchase floor covers no cell and asks for at least −1: always met, so its
  subsidy is zero, and it covers nothing the subsidy could move.

So each dummy's row and column of the outer Jacobian are those of the identity, the
real unknowns' Newton and Broyden steps are the same with and without them, and the
solution is the same.  :class:`Padding` maps unknowns, inverse Jacobians and solutions
between the two layouts; the solver's callers only ever see the scenario's own sizes
(docs/numerics.md#compiled-shapes).  A shock without constraints or optional wedges is
left as it is, and so are caps beyond :data:`LARGEST_PADDED` (many caps take the blocked
Jacobian, whose colouring needs distinct cells).
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float
from numpy.typing import NDArray

from truce.model.baseline import Shock

#: Smallest bucket of each kind of constraint once a shock has any.
SMALLEST_BUCKET = 4
#: Smallest bucket of purchase floors (each is a whole sector × importer × exporter mask).
SMALLEST_FLOOR_BUCKET = 2
#: Caps beyond this keep their own count.
LARGEST_PADDED = 128


def bucket(count: int, smallest: int = SMALLEST_BUCKET) -> int:
    """The padded size for ``count`` constraints: the next power of two, at least
    ``smallest``; counts beyond :data:`LARGEST_PADDED` are their own bucket."""
    if count > LARGEST_PADDED:
        return count
    return max(smallest, 1 << max(count - 1, 0).bit_length())


def _module(*arrays: object) -> ModuleType:
    """NumPy for concrete arrays (no compiling for new shapes), jax.numpy under tracing."""
    return jnp if any(isinstance(a, jax.core.Tracer) for a in arrays) else np


def _device(array: Any) -> Array:
    return jnp.asarray(array)


class Padding(NamedTuple):
    """How a padded shock's unknowns relate to the scenario's own."""

    n: int
    """Regions (the log wages come first among the unknowns)."""
    sizes: tuple[int, int, int]
    """The scenario's own numbers of caps, floors and capacity limits."""
    padded: tuple[int, int, int]
    """The same after padding."""

    @property
    def own_size(self) -> int:
        """Number of the scenario's own unknowns."""
        return self.n + sum(self.sizes)

    @property
    def padded_size(self) -> int:
        """Number of unknowns after padding."""
        return self.n + sum(self.padded)

    def own_positions(self) -> NDArray[np.int64]:
        """Positions of the scenario's own unknowns among the padded ones."""
        (k, f, g), (pk, pf, _) = self.sizes, self.padded
        n = self.n
        return np.concatenate([np.arange(n + k), n + pk + np.arange(f), n + pk + pf + np.arange(g)])

    def unknowns(self, z: Float[Array, " m"]) -> Float[Array, " M"]:
        """The scenario's unknowns with the dummies' (zero) inserted."""
        xp = _module(z)
        (k, f, g), (pk, pf, pg) = self.sizes, self.padded
        n, zeros = self.n, (lambda count: xp.zeros(count, dtype=z.dtype))
        parts = [z[: n + k], zeros(pk - k), z[n + k : n + k + f], zeros(pf - f)]
        padded = xp.concatenate([*parts, z[n + k + f :], zeros(pg - g)])
        return padded if xp is jnp else _device(padded)

    def own_unknowns(self, z: Float[Array, " M"]) -> Float[Array, " m"]:
        """The scenario's unknowns among the padded ones."""
        xp = _module(z)
        own = (z if xp is jnp else np.asarray(z))[self.own_positions()]
        return own if xp is jnp else _device(own)

    def inverse(self, inverse: Float[Array, "m m"]) -> Float[Array, "M M"]:
        """An inverse Jacobian of the scenario's unknowns, with the dummies' (the
        identity) added."""
        keep = self.own_positions()
        if _module(inverse) is jnp:
            eye = jnp.eye(self.padded_size, dtype=inverse.dtype)
            return eye.at[keep[:, None], keep[None, :]].set(inverse)
        out = np.eye(self.padded_size)
        out[keep[:, None], keep[None, :]] = np.asarray(inverse)
        return _device(out)

    def own_inverse(self, inverse: Float[Array, "M M"]) -> Float[Array, "m m"]:
        """The scenario's block of a padded inverse Jacobian (exact: the dummies'
        block is the identity and the blocks between are zero)."""
        keep = self.own_positions()
        if _module(inverse) is jnp:
            return inverse[keep[:, None], keep[None, :]]
        return _device(np.asarray(inverse)[keep[:, None], keep[None, :]])

    def own(self, values: Float[Array, " K"], kind: int) -> Float[Array, " k"]:
        """The first entries of a per-constraint array: the scenario's own constraints
        of ``kind`` (0 caps, 1 floors, 2 capacity limits)."""
        count = self.sizes[kind]
        if _module(values) is jnp:
            return values[:count]
        return _device(np.asarray(values)[:count])


def _plain(shock: Shock) -> bool:
    return all(
        value is None
        for value in (
            shock.export_tax_sni,
            shock.blocked_sni,
            shock.cap_cells,
            shock.floor_cells,
            shock.capacity_cells,
        )
    )


def padded(shock: Shock) -> tuple[Shock, Padding | None]:
    """``shock`` in its bucket's layout, with the :class:`Padding` that maps back, or
    ``shock`` itself and ``None`` when it has no constraint and no optional wedge."""
    if _plain(shock):
        return shock, None
    s, n, _ = shock.tau_sni.shape
    k, f, g = shock.n_caps, shock.n_floors, shock.n_capacities
    pk, pf, pg = bucket(k), bucket(f, SMALLEST_FLOOR_BUCKET), bucket(g)
    xp = _module(*(getattr(shock, field.name) for field in dataclasses.fields(shock)))
    shape = shock.tau_sni.shape

    def more(array: Any, rows: int, fill: Any, dtype: Any) -> Array:
        """``array`` (or nothing) with rows of ``fill`` up to ``rows``."""
        own = xp.zeros((0, *np.shape(fill)), dtype) if array is None else xp.asarray(array)
        extra = xp.broadcast_to(xp.asarray(fill, dtype), (rows - own.shape[0], *np.shape(fill)))
        return _device(xp.concatenate([own, extra.astype(own.dtype)]))

    def present(array: Any, dtype: Any) -> Array:
        return _device(xp.zeros(shape, dtype) if array is None else array)

    ints = jnp.zeros(0, dtype=int).dtype
    padded_shock = Shock(
        tau_sni=shock.tau_sni,
        cost_sni=shock.cost_sni,
        deficit_n=shock.deficit_n,
        export_tax_sni=present(shock.export_tax_sni, np.float64),
        blocked_sni=present(shock.blocked_sni, bool),
        cap_cells=more(shock.cap_cells, pk, np.array([s, 0, 0]), ints),
        cap_share=more(shock.cap_share, pk, 1.0, np.float64),
        floor_cells=more(shock.floor_cells, pf, np.zeros(shape), np.float64),
        floor_value=more(shock.floor_value, pf, -1.0, np.float64),
        capacity_cells=more(shock.capacity_cells, pg, np.array([s, 0]), ints),
        capacity_share=more(shock.capacity_share, pg, 1.0, np.float64),
    )
    return padded_shock, Padding(n=n, sizes=(k, f, g), padded=(pk, pf, pg))
