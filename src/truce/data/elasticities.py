"""How uncertain a world's trade elasticities are: the ``theta_se`` and ``elasticities``
tables.

Two kinds of uncertainty, kept apart.  *Sampling*: each published estimate has a
standard error (the ``theta_se`` table, below).  *Model choice*: published sources
disagree on the elasticities themselves (the ``elasticities`` table: one θ per source
and sector); :func:`with_source` makes one source the world's elasticities and
:func:`source_thetas` gives every source's θ at once, for solving them in one batch.

A sector's elasticity θ_s may rest on one estimate with its own standard error, or be
the mean of several estimates (a world's sector that joins two of the estimating
paper's sectors), and several sectors may rest on the same estimate.  The optional
world table ``theta_se`` says this with one row per (sector, estimate): ``se`` is how
much of the estimate's standard error enters the sector's θ (the standard error itself
for a sector resting on one estimate; w_k × se_k for an estimate of weight w_k in a
mean).  Rows become the loading matrix L of :mod:`truce.model.draws`:
θ = θ̄ + L z with z standard normal, one z per estimate.  A sector without rows keeps
its θ in every draw (no estimate stands behind it).

A user may give such a table as a CSV file (``sector``, ``se`` and optionally
``estimate``; without ``estimate`` each row is its own estimate), read by
:func:`read_theta_se` and attached with :func:`with_theta_se`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from truce.data.world import World, check_world
from truce.errors import InputError, WorldError


@dataclass(frozen=True)
class ThetaSpread:
    """A world's elasticities with their sampling law, in the world's sector order."""

    sectors: tuple[str, ...]
    theta_s: np.ndarray
    estimates: tuple[str, ...]
    loading_sk: np.ndarray
    """Sectors × estimates: each estimate's standard error as it enters each θ_s."""

    @property
    def fixed(self) -> tuple[str, ...]:
        """The sectors whose elasticity no estimate moves."""
        held = ~np.any(self.loading_sk != 0, axis=1)
        return tuple(s for s, h in zip(self.sectors, held, strict=True) if h)

    @property
    def se_s(self) -> np.ndarray:
        """Each sector's standard error (the square root of the diagonal of L Lᵀ)."""
        return np.sqrt(np.sum(self.loading_sk**2, axis=1))


def theta_spread(world: World) -> ThetaSpread | None:
    """The sampling law of ``world``'s elasticities, or ``None`` without a ``theta_se``
    table for them (none, or one that holds another source's standard errors: see
    :func:`se_source`)."""
    table = world.theta_se
    if table is None or se_source(world) != world.theta_source:
        return None
    sectors = tuple(str(s) for s in world.sectors["sector"])
    estimates = tuple(dict.fromkeys(str(e) for e in table["estimate"]))
    loading = np.zeros((len(sectors), len(estimates)))
    s_ix = {s: k for k, s in enumerate(sectors)}
    e_ix = {e: k for k, e in enumerate(estimates)}
    loading[
        table["sector"].map(s_ix).to_numpy(dtype=int),
        table["estimate"].map(e_ix).to_numpy(dtype=int),
    ] = table["se"].to_numpy(dtype=np.float64)
    return ThetaSpread(
        sectors=sectors,
        theta_s=world.sectors["theta"].to_numpy(dtype=np.float64),
        estimates=estimates,
        loading_sk=loading,
    )


def se_source(world: World) -> str | None:
    """The source whose standard errors ``world``'s ``theta_se`` table holds (``None``
    without one or when its elasticities are unnamed)."""
    if world.theta_se is None:
        return None
    return world.theta_se_source or world.theta_source


def with_theta_se(world: World, table: pd.DataFrame) -> World:
    """``world`` with ``table`` as the standard errors of the elasticities it uses
    (checked; replaces any ``theta_se`` table)."""
    return check_world(replace(world, theta_se=table, theta_se_source=None))


def read_theta_se(path: str | os.PathLike[str], world: World) -> pd.DataFrame:
    """A user's standard-error file for ``world``'s sectors, as a ``theta_se`` table.

    The CSV has columns ``sector`` and ``se`` and optionally ``estimate`` (rows sharing
    an estimate move together; without the column each row is its own estimate).
    Raises :class:`~truce.errors.WorldError` naming the file, line and column of the
    first problems: a missing file or column, an unknown sector, an ``se`` that is not
    a non-negative number, a (sector, estimate) pair given twice.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise WorldError(f"{path}: no such standard-error file") from None
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise WorldError(f"{path}: cannot be read as CSV: {err}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in ("sector", "se") if c not in raw.columns]
    if missing:
        raise WorldError(
            f"{path}: missing column(s) {', '.join(missing)} (expected sector, se and "
            "optionally estimate)"
        )
    extra = [c for c in raw.columns if c not in ("sector", "se", "estimate")]
    if extra:
        raise WorldError(f"{path}: unexpected column(s) {', '.join(extra)}")
    sector = raw["sector"].str.strip()
    estimate = raw["estimate"].str.strip() if "estimate" in raw.columns else sector
    se = pd.to_numeric(raw["se"].str.strip(), errors="coerce")
    known = set(world.sectors["sector"])
    problems: list[str] = []
    for i in range(len(raw)):
        line = i + 2  # the header is line 1
        if sector.iat[i] not in known:
            problems.append(
                f"{path}:{line}: column sector: {sector.iat[i]!r} is not a sector of world "
                f"{world.name}"
            )
        if not np.isfinite(se.iat[i]) or se.iat[i] < 0:
            problems.append(
                f"{path}:{line}: column se: {raw['se'].iat[i]!r} is not a non-negative number"
            )
        if estimate.iat[i] == "":
            problems.append(f"{path}:{line}: column estimate: empty")
    table = pd.DataFrame({"sector": sector, "estimate": estimate, "se": se.astype("float64")})
    twice = table.duplicated(["sector", "estimate"]).to_numpy()
    problems += [
        f"{path}:{i + 2}: sector {sector.iat[i]!r} with estimate {estimate.iat[i]!r} "
        "appears more than once"
        for i in np.flatnonzero(twice)
    ]
    if problems:
        more = f"\n... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise WorldError("\n".join(problems[:10]) + more)
    if len(table) == 0:
        raise WorldError(f"{path}: no rows")
    return table


#: The name a run uses for every source of a world's ``elasticities`` table at once.
ALL_SOURCES = "all"


def elasticity_sources(world: World) -> tuple[str, ...]:
    """The sources of ``world``'s ``elasticities`` table, in table order (none without
    one)."""
    if world.elasticities is None:
        return ()
    return tuple(dict.fromkeys(str(s) for s in world.elasticities["source"]))


def _unknown_source(world: World, source: str) -> InputError:
    known = elasticity_sources(world)
    if not known:
        return InputError(
            f"world {world.name} has no alternative trade elasticities (no elasticities "
            f"table), so it cannot solve with {source!r}: its own are "
            f"{world.theta_source or 'unnamed'}"
        )
    return InputError(
        f"unknown elasticity source {source!r} for world {world.name}: it has "
        f"{', '.join(known)} (or {ALL_SOURCES})"
    )


def source_thetas(world: World, sources: tuple[str, ...] | None = None) -> np.ndarray:
    """Each source's elasticities (sources × sectors, in the world's sector order):
    ``sources`` (default: all of the world's)."""
    chosen = elasticity_sources(world) if sources is None else sources
    table = world.elasticities
    if table is None or not chosen:
        raise _unknown_source(world, ALL_SOURCES if sources is None else sources[0])
    known = set(table["source"])
    for source in chosen:
        if source not in known:
            raise _unknown_source(world, source)
    # Every source covers every sector (a world check), so the reindex finds each cell.
    cells = pd.MultiIndex.from_product([list(chosen), world.sectors["sector"]])
    theta = table.set_index(["source", "sector"])["theta"].reindex(cells)
    return theta.to_numpy(dtype=np.float64).reshape(len(chosen), -1)


def with_source(world: World, source: str) -> World:
    """``world`` with the elasticities of ``source`` (a source of its ``elasticities``
    table) as its own.  The ``theta_se`` table stays with the source it belongs to:
    elasticity draws are possible exactly when ``source`` is that one (see
    :func:`theta_spread`).  Raises :class:`~truce.errors.InputError` for a source the
    world does not have."""
    if source == world.theta_source:
        return world
    (theta_s,) = source_thetas(world, (source,))
    sectors = world.sectors.assign(theta=theta_s)
    return check_world(
        replace(
            world,
            sectors=sectors,
            theta_source=source,
            theta_se_source=se_source(world),
        )
    )
