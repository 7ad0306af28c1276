"""Elasticity draws: a scenario's result with a 90% band on every result field.

The world's sector elasticities are drawn from their estimates' sampling law (the
``theta_se`` table, see :mod:`truce.data.elasticities`), the scenario is solved once per
draw in batched (vmapped) computations of up to :data:`CHUNK` draws, and every numeric result
field gets three more columns: its 5th, 50th and 95th percentile over the draws
(``welfare_pct_p05``, ``welfare_pct_p50``, ``welfare_pct_p95``).  The point result (the
world's own elasticities) stays in the field itself.  A draw that does not converge is
an error, as a point solve that does not converge is: no band is computed from the draws
that happened to converge.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from truce.data.elasticities import ThetaSpread
from truce.errors import NonConvergenceError
from truce.model.baseline import Shock
from truce.model.draws import draw_thetas
from truce.model.interface import Outcomes, Prepared, Solved, TradeModel
from truce.report.tables import region_columns, trade_cells, trade_columns

#: Draws solved in one batched computation (the last batch is padded to this size, so
#: every batch reuses one compiled solve).
CHUNK = 250

#: The percentiles reported, with the suffix of their columns.
PERCENTILES: tuple[tuple[str, float], ...] = (("p05", 5.0), ("p50", 50.0), ("p95", 95.0))

#: Result columns that are inputs or identifiers, never banded.
UNBANDED: dict[str, tuple[str, ...]] = {
    "regions": ("region",),
    "trade": ("exporter", "importer", "sector", "baseline"),
    "measures": ("index", "kind", "binding", "in_force", "cells"),
}

#: ``progress(done, total)``: called as batches of draws finish.
DrawProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class DrawnTables:
    """The three result tables with their percentile columns, and what was drawn."""

    regions: pd.DataFrame
    trade: pd.DataFrame
    measures: pd.DataFrame
    info: dict[str, Any]
    """The ``draws`` entry of the results JSON: count, seed, fixed sectors, timing."""


def _after_each_field(
    point: pd.DataFrame,
    values: dict[str, np.ndarray],
    table: str,
    summarize: Callable[[np.ndarray], dict[str, np.ndarray]],
) -> pd.DataFrame:
    """``point`` with, after each field that ``values`` (field → rows of solves × table
    rows) has, the columns ``FIELD_SUFFIX`` that ``summarize`` makes of its rows."""
    out: dict[str, Any] = {}
    for column in point.columns:
        out[column] = point[column]
        if column in UNBANDED[table] or column not in values:
            continue
        for suffix, result in summarize(values[column]).items():
            out[f"{column}_{suffix}"] = result
    return pd.DataFrame(out, index=point.index)


def _percentiles(values: np.ndarray) -> dict[str, np.ndarray]:
    """The 5th, 50th and 95th percentile of each column; missing where every draw is."""
    missing = np.isnan(values)
    # np.percentile where no draw is missing (fast); nanpercentile where some are.
    whole, partial = ~missing.any(axis=0), missing.any(axis=0) & ~missing.all(axis=0)
    out = {}
    for suffix, q in PERCENTILES:
        result = np.full(values.shape[1], np.nan)
        result[whole] = np.percentile(values[:, whole], q, axis=0)
        if partial.any():
            result[partial] = np.nanpercentile(values[:, partial], q, axis=0)
        out[suffix] = result
    return out


def banded(point: pd.DataFrame, draws: dict[str, np.ndarray], table: str) -> pd.DataFrame:
    """``point`` with ``FIELD_p05``, ``FIELD_p50``, ``FIELD_p95`` after each field that
    ``draws`` (field → draws × rows) has; a field whose every draw is missing (a rate
    not defined) gets missing percentiles."""
    return _after_each_field(point, draws, table, _percentiles)


def _numeric(frame: pd.DataFrame, table: str) -> dict[str, np.ndarray]:
    """The bandable columns of one draw's table as float arrays (None → NaN)."""
    return {
        c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64)
        for c in frame.columns
        if c not in UNBANDED[table]
    }


@dataclass(frozen=True)
class ChunkSolved:
    """A batch of solved draws: each result table's bandable columns as arrays with one
    row per draw (draws × table rows), and each draw's convergence and residual."""

    columns: dict[str, dict[str, np.ndarray]]
    converged: np.ndarray
    residual: np.ndarray


#: A model's batch solver: drawn elasticity vectors (draws × sectors), and optionally one
#: drawn elasticity of substitution of critical inputs per draw → the batch.
ChunkSolver = Callable[[np.ndarray, np.ndarray | None], ChunkSolved]


@dataclass(frozen=True)
class SigmaSpread:
    """The critical inputs' elasticity of substitution and its standard error: draws
    are normal around ``sigma``, conditioned on σ ≥ 0."""

    sigma: float
    se: float


def draw_sigmas(spread: SigmaSpread, draws: int, seed: int) -> np.ndarray:
    """``draws`` values of σ from ``spread`` (rejection sampling below 0), reproducible
    from ``seed`` and independent of the elasticity draws of the same seed."""
    rng = np.random.default_rng([seed, 1])
    kept: list[np.ndarray] = []
    have = 0
    while have < draws:
        candidate = spread.sigma + spread.se * rng.standard_normal(max(2 * draws, 64))
        ok = candidate[candidate >= 0.0]
        kept.append(ok)
        have += len(ok)
    return np.concatenate(kept)[:draws]


def _stack(frames: list[pd.DataFrame], table: str) -> dict[str, np.ndarray]:
    """One table's bandable columns over draws (draws × rows)."""
    numeric = [_numeric(f, table) for f in frames]
    return {column: np.stack([n[column] for n in numeric]) for column in numeric[0]}


def chunk_solver(
    *,
    model: TradeModel,
    prepared: Prepared,
    shock: Shock,
    point: Solved,
    point_outcomes: Outcomes,
    measures_of: Callable[[Outcomes], pd.DataFrame],
    max_steps: int,
    keep: np.ndarray | None = None,
) -> ChunkSolver:
    """A batch solver for :func:`band_draws`: ``model`` solves ``shock`` under each
    draw, starting from the point solution ``point``; the draws report the point's
    trade cells (``point_outcomes``; ``keep`` chooses others), and
    ``measures_of(outcomes)`` gives one draw's measures table.  Region and trade columns
    are taken from the batch's arrays at once.
    """
    if keep is None:
        keep = trade_cells(np.asarray(prepared.world_baseline.flow_sni), point_outcomes)
    # Without caps or floors no draw changes the measures table: build it once.
    unconstrained = point_outcomes.cap_rate_k.size == 0 and point_outcomes.floor_rate_f.size == 0
    point_measures = measures_of(point_outcomes)

    def solve_chunk(thetas: np.ndarray, sigmas: np.ndarray | None = None) -> ChunkSolved:
        # sigma_d only when drawn: a model without critical inputs need not take it.
        extra = {} if sigmas is None else {"sigma_d": jnp.asarray(sigmas)}
        outcomes, solved = jax.device_get(
            model.solve_draws(
                prepared, shock, jnp.asarray(thetas), point=point, max_steps=max_steps, **extra
            )
        )
        if unconstrained:
            measures = [point_measures] * len(thetas)
        else:
            measures = [
                measures_of(jax.tree.map(lambda x, k=k: x[k], outcomes)) for k in range(len(thetas))
            ]
        columns = {
            "regions": region_columns(outcomes),
            "trade": trade_columns(outcomes, keep),
            "measures": _stack(measures, "measures"),
        }
        return ChunkSolved(
            columns, np.asarray(solved.converged), np.asarray(solved.residual, dtype=np.float64)
        )

    return solve_chunk


def band_draws(
    *,
    spread: ThetaSpread,
    point: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    solve_chunk: ChunkSolver,
    draws: int,
    seed: int,
    max_steps: int,
    progress: DrawProgress | None = None,
    sigma: SigmaSpread | None = None,
) -> DrawnTables:
    """Draw ``draws`` elasticity vectors (and, with ``sigma``, as many elasticities of
    substitution of critical inputs), solve them in batches of up to :data:`CHUNK`
    with ``solve_chunk`` and band ``point`` (the point result's regions, trade and
    measures tables).  Raises :class:`~truce.errors.NonConvergenceError` when any draw
    fails to converge (``max_steps`` is the cap it reports)."""
    started = time.perf_counter()
    thetas = np.asarray(draw_thetas(spread.theta_s, spread.loading_sk, draws, seed))
    sigmas = None if sigma is None else draw_sigmas(sigma, draws, seed)
    collected: dict[str, dict[str, list[np.ndarray]]] = {t: {} for t in UNBANDED}
    failed: list[int] = []
    worst = 0.0
    if progress is not None:
        progress(0, draws)
    size = min(CHUNK, draws)
    for first in range(0, draws, size):
        chunk = thetas[first : first + size]
        padded = np.concatenate([chunk, np.repeat(chunk[-1:], size - len(chunk), axis=0)])
        padded_sigmas = None
        if sigmas is not None:
            part = sigmas[first : first + size]
            padded_sigmas = np.concatenate([part, np.repeat(part[-1:], size - len(part))])
        solved = solve_chunk(padded, padded_sigmas)
        ok = solved.converged[: len(chunk)]
        for k in np.flatnonzero(~ok):
            failed.append(first + int(k))
            worst = max(worst, float(solved.residual[k]))
        for name, columns in solved.columns.items():
            rows = len(point[list(UNBANDED).index(name)])
            for column, values in columns.items():
                if values.shape[1:] != (rows,):
                    raise AssertionError(f"the draws' {name} table has other rows than the point's")
                collected[name].setdefault(column, []).append(values[: len(chunk)][ok])
        if progress is not None:
            progress(min(first + size, draws), draws)
    if failed:
        shown = ", ".join(
            f"#{d} (theta {_describe(thetas[d], spread)}"
            + ("" if sigmas is None else f", sigma {sigmas[d]:.3g}")
            + ")"
            for d in failed[:3]
        )
        raise NonConvergenceError(
            f"{len(failed)} of {draws} elasticity draws did not converge (seed {seed}; "
            f"first: {shown}); no band is reported from the rest",
            iterations=max_steps,
            residual=worst,
        )
    stacked = {t: {c: np.concatenate(v) for c, v in cols.items()} for t, cols in collected.items()}
    regions, trade, measures = (
        banded(frame, stacked[name], name) for frame, name in zip(point, UNBANDED, strict=True)
    )
    info = {
        "count": draws,
        "seed": seed,
        "percentiles": [q for _, q in PERCENTILES],
        "estimates": len(spread.estimates),
        "fixed_sectors": list(spread.fixed),
        "theta_p05": dict(
            zip(spread.sectors, np.percentile(thetas, 5, axis=0).tolist(), strict=True)
        ),
        "theta_p95": dict(
            zip(spread.sectors, np.percentile(thetas, 95, axis=0).tolist(), strict=True)
        ),
        "seconds": time.perf_counter() - started,
    }
    if sigmas is not None and sigma is not None:
        info["sigma"] = {
            "mean": sigma.sigma,
            "se": sigma.se,
            "p05": float(np.percentile(sigmas, 5)),
            "p95": float(np.percentile(sigmas, 95)),
        }
    return DrawnTables(regions, trade, measures, info)


def _describe(theta: np.ndarray, spread: ThetaSpread) -> str:
    """The lowest drawn elasticities of a draw, ``C29=0.12, C301=0.3``."""
    low = np.argsort(theta)[:2]
    return ", ".join(f"{spread.sectors[i]}={theta[i]:.3g}" for i in low)


#: The suffixes of the spread across elasticity sources: the least and the greatest
#: value of a field over the sources.
SOURCE_SPREAD: tuple[tuple[str, Callable[..., np.ndarray]], ...] = (
    ("src_min", np.nanmin),
    ("src_max", np.nanmax),
)


def _least_and_greatest(rows: np.ndarray) -> dict[str, np.ndarray]:
    """Each column's least and greatest value over the sources; missing where every
    source's is."""
    some = ~np.isnan(rows).all(axis=0)
    out = {}
    for suffix, reduce in SOURCE_SPREAD:
        result = np.full(rows.shape[1], np.nan)
        if some.any():
            result[some] = reduce(rows[:, some], axis=0)
        out[suffix] = result
    return out


def _spread(point: pd.DataFrame, values: dict[str, np.ndarray], table: str) -> pd.DataFrame:
    """``point`` with ``FIELD_src_min`` and ``FIELD_src_max`` after each field that
    ``values`` (field → sources × rows) has; missing where every source's is."""
    return _after_each_field(point, values, table, _least_and_greatest)


def across_sources(
    *,
    sources: tuple[str, ...],
    thetas: np.ndarray,
    point: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    solve_chunk: ChunkSolver,
    max_steps: int,
) -> DrawnTables:
    """Solve the scenario under each source's elasticities (``thetas``: sources ×
    sectors) in one batch and add the spread across them after every numeric field of
    ``point``; the ``elasticities`` entry of the results JSON gives each source's
    region fields.  Raises :class:`~truce.errors.NonConvergenceError` naming the
    sources whose solve fails."""
    started = time.perf_counter()
    solved = solve_chunk(np.asarray(thetas, dtype=np.float64), None)
    failed = [s for s, ok in zip(sources, solved.converged, strict=True) if not ok]
    if failed:
        raise NonConvergenceError(
            f"the scenario does not converge under the elasticities of "
            f"{', '.join(failed)}; no spread across sources is reported",
            iterations=max_steps,
            residual=float(np.max(solved.residual)),
        )
    regions, trade, measures = (
        _spread(frame, solved.columns[name], name)
        for frame, name in zip(point, UNBANDED, strict=True)
    )
    codes = point[0]["region"].tolist()
    by_source = {
        source: {
            field: dict(zip(codes, values[k].tolist(), strict=True))
            for field, values in solved.columns["regions"].items()
        }
        for k, source in enumerate(sources)
    }
    info = {
        "sources": list(sources),
        "regions": by_source,
        "seconds": time.perf_counter() - started,
    }
    return DrawnTables(regions, trade, measures, info)
