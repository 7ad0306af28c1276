"""Use-case: solve a compiled scenario with the ``ilms2025`` model (MODELS.md §2).

The model runs on one-sector worlds (:func:`truce.data.calibrate.world_to_one_sector`);
its base data and the inverse Jacobian of its conditions at the base are computed once
per world and rebate rule and kept (:func:`prepared`), so that every later scenario on
that world starts Newton–Broyden from them.

Results use the model's own numeraire: the world's expenditure-weighted mean change of
the price indices is zero, so ``price_index_pct`` is each country's price index relative
to the world's, as in the paper's tables.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from truce.api.draws import ChunkSolved, ChunkSolver, stacked_tables
from truce.data.calibrate import OneSectorWorld, world_to_one_sector
from truce.data.world import World, content_hash
from truce.errors import ScenarioError
from truce.model import ilms
from truce.model.baseline import Shock
from truce.model.draws import default_vectorize
from truce.policy.compile import CompiledScenario, in_force
from truce.policy.spec import Scenario

MODEL = "ilms2025"
#: Measure kinds the model has: it knows tariffs only.
SUPPORTED_KINDS = ("tariff",)
#: Worlds whose base data and base Jacobian are kept (least recently used go first).
CACHE_SIZE = 4


@dataclass(frozen=True)
class PreparedWorld:
    """A world's arrays, base equilibrium and base inverse Jacobian for one rebate rule."""

    arrays: OneSectorWorld
    data: ilms.IlmsData
    params: ilms.Params
    inverse_jacobian: jnp.ndarray


_CACHE: OrderedDict[tuple[str, str], PreparedWorld] = OrderedDict()


def prepared(world: World, rebate: str) -> tuple[PreparedWorld, bool]:
    """The world made ready for the model, and whether it was computed just now."""
    key = (content_hash(world), rebate)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key], False
    arrays = world_to_one_sector(world, MODEL)
    data = ilms.data_from_flows(arrays.flows_ji, arrays.nu_i)
    params = ilms.default_params(data, eps=arrays.theta)
    ready = PreparedWorld(
        arrays, data, params, ilms.base_inverse_jacobian(data, params, rebate=rebate)
    )
    _CACHE[key] = ready
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return ready, True


def check_measures(scenario: Scenario, date: datetime.date | None) -> None:
    """Raise :class:`ScenarioError` at the first measure in force the model lacks."""
    for measure in in_force(scenario, date):
        if measure.kind not in SUPPORTED_KINDS:
            raise ScenarioError(
                f"measures of kind {measure.kind} are not in the {MODEL} model (it has "
                f"{', '.join(SUPPORTED_KINDS)} only); solve with the caliendo-parro model",
                path=scenario.path,
                line=measure.line_of("kind"),
                key="kind",
            )


def tariffs_ji(shock: Shock) -> np.ndarray:
    """The shock's one-sector tariffs as ``[exporter, importer]``."""
    return np.asarray(shock.tau_sni, dtype=np.float64)[0].T


@dataclass(frozen=True)
class IlmsRun:
    """One solved scenario: labelled tables and the solver's statistics."""

    regions: pd.DataFrame
    trade: pd.DataFrame
    converged: bool
    iterations: int
    residual: float
    jacobians: int
    equilibrium: ilms.IlmsEquilibrium


def solve_compiled(
    world: World, compiled: CompiledScenario, *, rebate: str, max_steps: int
) -> IlmsRun:
    """Solve ``compiled`` (compiled on the world's one-sector baseline) with the model.

    Raises :class:`~truce.errors.NonConvergenceError` when the solve fails and
    :class:`~truce.errors.WorldError` when the world is not a one-sector world without
    tariffs.
    """
    ready, fresh = prepared(world, rebate)
    eq = ilms.solve(
        ready.data,
        tariffs_ji(compiled.shock),
        ready.params,
        rebate=rebate,
        max_steps=max_steps,
        start_inverse=ready.inverse_jacobian,
    )
    return IlmsRun(
        regions=region_table(ready.arrays.regions, ready.data, eq),
        trade=trade_table(ready.arrays, eq),
        converged=bool(eq.converged),
        iterations=int(eq.iterations),
        residual=float(eq.residual),
        jacobians=int(fresh),
        equilibrium=eq,
    )


def ilms_chunk_solver(
    world: World,
    compiled: CompiledScenario,
    *,
    rebate: str,
    measures: pd.DataFrame,
    max_steps: int,
) -> ChunkSolver:
    """A batch solver of ``compiled`` under drawn trade elasticities ε (draws × 1, the
    world's one sector), for :func:`truce.api.draws.band_draws`: each draw's region,
    trade and measures tables (``measures``, which no elasticity changes), stacked."""
    ready, _ = prepared(world, rebate)
    t_ji = tariffs_ji(compiled.shock)

    def solve_chunk(eps: np.ndarray) -> ChunkSolved:
        batch = jax.device_get(
            ilms.outcomes_by_eps(
                ready.data,
                t_ji,
                np.asarray(eps, dtype=np.float64)[:, 0],
                kappa=float(ready.params.kappa),
                rebate=rebate,
                max_steps=max_steps,
                start_inverse=ready.inverse_jacobian,
                vectorize=default_vectorize(),
            )
        )
        tables: list[dict[str, pd.DataFrame] | None] = []
        for k in range(len(eps)):
            eq = jax.tree.map(lambda x, k=k: x[k], batch)
            tables.append(
                {
                    "regions": region_table(ready.arrays.regions, ready.data, eq),
                    "trade": trade_table(ready.arrays, eq),
                    "measures": measures,
                }
                if bool(eq.converged)
                else None
            )
        return stacked_tables(tables, np.asarray(batch.residual))

    return solve_chunk


def region_table(
    regions: tuple[str, ...], data: ilms.IlmsData, eq: ilms.IlmsEquilibrium
) -> pd.DataFrame:
    """One row per country: the CONTRACTS §3 fields and the model's own.

    ``welfare_pct`` is the paper's welfare (consumption and leisure, MODELS.md §2);
    ``real_wage_pct`` the wage per unit of labour over the price index;
    ``exports_pct``/``imports_pct`` foreign sales and purchases at world prices;
    ``employment_pct`` labour supply; ``deficit_pct`` the change in imports minus
    exports over its base absolute value; ``exports_gdp_pct``/``imports_gdp_pct`` the
    change in their ratios to factor income (the paper's Table 1 columns).
    """
    X0 = np.asarray(data.X_ji, dtype=np.float64)
    X1 = np.asarray(eq.X_ji, dtype=np.float64)
    foreign = ~np.eye(len(regions), dtype=bool)
    exports0, exports1 = (X0 * foreign).sum(axis=1), (X1 * foreign).sum(axis=1)
    imports0, imports1 = (X0 * foreign).sum(axis=0), (X1 * foreign).sum(axis=0)
    w = np.asarray(eq.w_hat, dtype=np.float64)
    p = np.asarray(eq.P_hat, dtype=np.float64)
    return pd.DataFrame(
        {
            "region": list(regions),
            "welfare_pct": np.asarray(eq.welfare_pct, dtype=np.float64),
            "real_wage_pct": 100.0 * (w / p - 1.0),
            "nominal_wage_pct": 100.0 * (w - 1.0),
            "price_index_pct": np.asarray(eq.price_index_pct, dtype=np.float64),
            "tariff_revenue": np.asarray(eq.tariff_revenue, dtype=np.float64),
            "exports_pct": 100.0 * (_ratio(exports1, exports0) - 1.0),
            "imports_pct": 100.0 * (_ratio(imports1, imports0) - 1.0),
            "employment_pct": np.asarray(eq.employment_pct, dtype=np.float64),
            "deficit_pct": np.asarray(eq.deficit_pct, dtype=np.float64),
            "exports_gdp_pct": np.asarray(eq.exports_gdp_pct, dtype=np.float64),
            "imports_gdp_pct": np.asarray(eq.imports_gdp_pct, dtype=np.float64),
        }
    )


def _ratio(after: np.ndarray, before: np.ndarray) -> np.ndarray:
    """``after / before``, 1 where both are 0 (no trade before or after)."""
    out = np.ones_like(after)
    np.divide(after, before, out=out, where=before != 0)
    return np.where((before == 0) & (after != 0), np.inf, out)


def trade_table(arrays: OneSectorWorld, eq: ilms.IlmsEquilibrium) -> pd.DataFrame:
    """Every non-zero cell, domestic sales included, at world prices."""
    before = arrays.flows_ji
    after = np.asarray(eq.X_ji, dtype=np.float64)
    j, i = np.nonzero((before != 0) | (after != 0))
    regions = np.asarray(arrays.regions, dtype=object)
    return pd.DataFrame(
        {
            "exporter": regions[j],
            "importer": regions[i],
            "sector": arrays.sector,
            "baseline": before[j, i],
            "counterfactual": after[j, i],
        }
    )
