"""Shapes rounded up to buckets, so that scenarios and worlds share compiled solves.

JAX compiles the equilibrium solve once per shape of its inputs (and per value of their
static fields, such as the sector codes).  A scenario's tariffs, trade costs and
deficits always have the world's shape, but the numbers of export caps, purchase floors
and capacity limits vary from scenario to scenario (and from phase to phase of a
timeline), and so does which of the optional wedges (export taxes, bans) are present;
and a scenario that names products solves on a world with a few more sectors.  Before
the solve, :func:`padded` brings the base and the shock to a bucket's layout:

- the sectors to a multiple of :data:`SECTOR_MULTIPLE`, with empty sectors (no flow,
  no spending share, no inputs, value-added share 1), whose price indices stay at 1
  and whose spending stays at zero, so they enter no equation; and the codes dropped
  from the base the solve sees (it never reads them);
- when the shock has any constraint or optional wedge, every optional field present
  (export taxes of zero, no ban), and each kind of constraint padded to the next bucket
  (4, 8, 16, … caps) with non-binding dummies: a dummy cap or capacity limit sits on a
  sector index one past the last, so its equivalent moves no price (the scatter drops
  it), its quantity reads as zero and its share of 1 leaves it slack: its equation is
  ``FB(u, 1) = 0``, solved by ``u = 0`` alone; a dummy purchase floor covers no cell
  and asks for at least −1, so it is met with no subsidy.

So each dummy's row and column of the outer Jacobian are those of the identity, the
real unknowns' Newton and Broyden steps are the same with and without them, and the
solution is the same.  :class:`Padding` maps unknowns, inverse Jacobians, warm starts
and solutions between the two layouts; the solver's callers only ever see their own
sizes (docs/numerics.md#compiled-shapes).  Caps beyond :data:`LARGEST_PADDED` keep their
count (many caps take the blocked Jacobian, whose colouring needs distinct cells).
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

from truce.model.baseline import Baseline, Shock

#: Smallest bucket of each kind of constraint once a shock has any.
SMALLEST_BUCKET = 4
#: Smallest bucket of purchase floors (each is a whole sector × importer × exporter mask).
SMALLEST_FLOOR_BUCKET = 2
#: Caps beyond this keep their own count.
LARGEST_PADDED = 128
#: Sector counts are padded to a multiple of this.
SECTOR_MULTIPLE = 4


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
    """How a padded base and shock relate to the scenario's own."""

    n: int
    """Regions (the log wages come first among the unknowns)."""
    sizes: tuple[int, int, int]
    """The scenario's own numbers of caps, floors and capacity limits."""
    padded: tuple[int, int, int]
    """The same after padding."""
    sectors: tuple[int, int]
    """The world's own number of sectors, and the padded number."""

    @property
    def trivial(self) -> bool:
        """Whether nothing is padded (the layouts are the same)."""
        return self.sizes == self.padded and self.sectors[0] == self.sectors[1]

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

    def own(self, values: Array, kind: int) -> Array:
        """The first entries of a per-constraint array: the scenario's own constraints
        of ``kind`` (0 caps, 1 floors, 2 capacity limits)."""
        return _first(values, ((0, self.sizes[kind]),))

    def own_sectors(self, values: Array, *axes: int) -> Array:
        """``values`` with only the world's own sectors along ``axes``."""
        return _first(values, tuple((axis, self.sectors[0]) for axis in axes))

    def more_sectors(self, values: Array, axis: int, fill: float | bool) -> Array:
        """``values`` with the padded sectors, at ``fill``, appended along ``axis``."""
        return _grow(values, axis, self.sectors[1] - self.sectors[0], fill)


def _first(values: Array, cuts: tuple[tuple[int, int], ...]) -> Array:
    """``values`` cut to its first ``count`` entries along each ``(axis, count)``."""
    index = [slice(None)] * values.ndim
    for axis, count in cuts:
        index[axis] = slice(0, count)
    if _module(values) is jnp:
        return values[tuple(index)]
    return _device(np.asarray(values)[tuple(index)])


def _grow(values: Any, axis: int, extra: int, fill: Any) -> Array:
    """``values`` with ``extra`` entries of ``fill`` appended along ``axis``."""
    if extra == 0:
        return values
    xp = _module(values)
    values = xp.asarray(values)
    shape = list(values.shape)
    shape[axis] = extra
    grown = xp.concatenate([values, xp.full(shape, fill, dtype=values.dtype)], axis=axis)
    return grown if xp is jnp else _device(grown)


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


def sector_bucket(count: int) -> int:
    """The padded number of sectors: the next multiple of :data:`SECTOR_MULTIPLE`."""
    return -(-count // SECTOR_MULTIPLE) * SECTOR_MULTIPLE


def padded(baseline: Baseline, shock: Shock) -> tuple[Baseline, Shock, Padding]:
    """``baseline`` and ``shock`` in their bucket's layout, and the :class:`Padding`
    that maps back."""
    s, n, _ = shock.tau_sni.shape
    plain = _plain(shock)
    k, f, g = shock.n_caps, shock.n_floors, shock.n_capacities
    counts = (k, f, g) if plain else (bucket(k), bucket(f, SMALLEST_FLOOR_BUCKET), bucket(g))
    padding = Padding(n=n, sizes=(k, f, g), padded=counts, sectors=(s, sector_bucket(s)))
    return _padded_baseline(baseline, padding), _padded_shock(shock, padding, plain), padding


def _padded_baseline(baseline: Baseline, padding: Padding) -> Baseline:
    """The base with empty sectors added and its codes dropped."""
    more = padding.more_sectors
    fields: dict[str, Any] = {"regions": (), "sectors": (), "region_names": (), "sector_names": ()}
    if padding.sectors[0] != padding.sectors[1]:
        fields |= {
            "flow_sni": more(baseline.flow_sni, 0, 0.0),
            "tau_sni": more(baseline.tau_sni, 0, 0.0),
            "X_sn": more(baseline.X_sn, 0, 0.0),
            "pi_sni": more(baseline.pi_sni, 0, 0.0),
            "gamma_va_sn": more(baseline.gamma_va_sn, 0, 1.0),
            "gamma_io_nsk": more(more(baseline.gamma_io_nsk, 1, 0.0), 2, 0.0),
            "alpha_sn": more(baseline.alpha_sn, 0, 0.0),
            "theta_s": more(baseline.theta_s, 0, 1.0),
        }
        if baseline.critical_s is not None:
            fields["critical_s"] = more(baseline.critical_s, 0, False)
    return dataclasses.replace(baseline, **fields)


def _padded_shock(shock: Shock, padding: Padding, plain: bool) -> Shock:
    """The shock with the padded sectors and, unless it is ``plain``, every optional
    field and the constraints' dummies."""
    more = padding.more_sectors
    tau, cost = more(shock.tau_sni, 0, 0.0), more(shock.cost_sni, 0, 1.0)
    if plain:
        if padding.sectors[0] == padding.sectors[1]:
            return shock
        return dataclasses.replace(shock, tau_sni=tau, cost_sni=cost)
    shape = tuple(tau.shape)
    xp = _module(*(getattr(shock, field.name) for field in dataclasses.fields(shock)))
    beyond = padding.sectors[1]

    def rows(array: Any, count: int, fill: Any, dtype: Any) -> Array:
        """``array`` (or nothing) with rows of ``fill`` up to ``count``."""
        own = xp.zeros((0, *np.shape(fill)), dtype) if array is None else xp.asarray(array)
        extra = xp.broadcast_to(xp.asarray(fill, dtype), (count - own.shape[0], *np.shape(fill)))
        return _device(xp.concatenate([own, extra.astype(own.dtype)]))

    def present(array: Any, fill: Any, dtype: Any) -> Array:
        if array is None:
            return _device(xp.full(shape, fill, dtype))
        return more(array, 0, fill)

    floors = None if shock.floor_cells is None else more(shock.floor_cells, 1, 0.0)
    ints = jnp.zeros(0, dtype=int).dtype
    pk, pf, pg = padding.padded
    return Shock(
        tau_sni=tau,
        cost_sni=cost,
        deficit_n=shock.deficit_n,
        export_tax_sni=present(shock.export_tax_sni, 0.0, np.float64),
        blocked_sni=present(shock.blocked_sni, False, bool),
        cap_cells=rows(shock.cap_cells, pk, np.array([beyond, 0, 0]), ints),
        cap_share=rows(shock.cap_share, pk, 1.0, np.float64),
        floor_cells=rows(floors, pf, np.zeros(shape), np.float64),
        floor_value=rows(shock.floor_value, pf, -1.0, np.float64),
        capacity_cells=rows(shock.capacity_cells, pg, np.array([beyond, 0]), ints),
        capacity_share=rows(shock.capacity_share, pg, 1.0, np.float64),
    )
