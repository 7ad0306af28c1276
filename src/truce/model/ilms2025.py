"""The Liberation Day model (Ignatenko, Lashkaripour, Macedoni & Simonovska 2025) behind
the :class:`~truce.model.interface.TradeModel` interface: one sector, labour supply,
local distribution, tariff revenue rebated through the income tax or lump-sum
(docs/models/ilms2025.md).  The equations are in :mod:`truce.model.ilms`.

Results use the model's own numeraire: the world's expenditure-weighted mean change of
the price indices is zero, so ``price_index_pct`` is each country's price index relative
to the world's, as in the paper's tables.
"""

from __future__ import annotations

from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from truce.model import ilms
from truce.model.baseline import Baseline, Shock
from truce.model.draws import default_vectorize
from truce.model.interface import (
    Calibration,
    Outcomes,
    Prepared,
    Solved,
    TradeModel,
    WelfareOfTariffs,
    no_constraints,
)

NAME = "ilms2025"

#: The region fields of a result, in display order: the common ones, then the paper's
#: Table 1 columns.
REGION_FIELDS: tuple[str, ...] = (
    "welfare_pct",
    "real_wage_pct",
    "nominal_wage_pct",
    "price_index_pct",
    "tariff_revenue",
    "exports_pct",
    "imports_pct",
    "employment_pct",
    "deficit_pct",
    "exports_gdp_pct",
    "imports_gdp_pct",
)


class IlmsBase(eqx.Module):
    """The model's base data for one world and rebate rule, with the inverse Jacobian of
    its conditions at the base (every solve's Newton–Broyden starts from it; None: each
    solve computes its own)."""

    data: ilms.IlmsData
    params: ilms.Params
    inverse_jacobian: Float[Array, "m m"] | None


def tariffs_ji(tau_sni: Float[Array, "1 n i"]) -> Float[Array, "n n"]:
    """One-sector tariffs ``[importer, exporter]`` as the model's ``[exporter, importer]``."""
    return tau_sni[0].T


def _ratio(after: Array, before: Array) -> Array:
    """``after / before``; 1 where both are 0, infinite where only ``before`` is."""
    has = before != 0
    ratio = after / jnp.where(has, before, 1.0)
    return jnp.where(has, ratio, jnp.where(after != 0, jnp.inf, 1.0))


def _outcomes(baseline: Baseline, data: ilms.IlmsData, eq: ilms.IlmsEquilibrium) -> Outcomes:
    """Labelled outcomes of one solve.

    ``welfare_pct`` is the paper's welfare (consumption and leisure); ``real_wage_pct``
    the wage per unit of labour over the price index; ``exports_pct``/``imports_pct``
    foreign sales and purchases at world prices; ``employment_pct`` labour supply;
    ``deficit_pct`` the change in imports minus exports over its base absolute value;
    ``exports_gdp_pct``/``imports_gdp_pct`` the change in their ratios to factor income.
    """
    foreign = 1.0 - jnp.eye(len(baseline.regions))
    X0, X1 = data.X_ji * foreign, eq.X_ji * foreign
    values = jnp.stack(
        [
            eq.welfare_pct,
            100.0 * (eq.w_hat / eq.P_hat - 1.0),
            100.0 * (eq.w_hat - 1.0),
            eq.price_index_pct,
            eq.tariff_revenue,
            100.0 * (_ratio(X1.sum(axis=1), X0.sum(axis=1)) - 1.0),
            100.0 * (_ratio(X1.sum(axis=0), X0.sum(axis=0)) - 1.0),
            eq.employment_pct,
            eq.deficit_pct,
            eq.exports_gdp_pct,
            eq.imports_gdp_pct,
        ]
    )
    empty_caps, empty_floors = no_constraints()
    return Outcomes(
        regions=baseline.regions,
        sectors=baseline.sectors,
        region_fields=REGION_FIELDS,
        region_values=values,
        trade_fields=("counterfactual",),
        trade_values=eq.X_ji.T[None, None],
        cap_rate_k=empty_caps,
        floor_rate_f=empty_floors,
    )


class Ilms2025(TradeModel):
    """The Liberation Day model (docs/models/ilms2025.md)."""

    name: ClassVar[str] = NAME
    measure_kinds: ClassVar[frozenset[str]] = frozenset({"tariff"})
    rebates: ClassVar[tuple[str, ...]] = (ilms.INCOME_TAX, ilms.LUMP_SUM)
    closes_deficits: ClassVar[bool] = False

    def unfit(self, baseline: Baseline) -> str | None:
        if len(baseline.sectors) != 1:
            return (
                f"the {NAME} model needs a one-sector world; this one has "
                f"{len(baseline.sectors)} sectors (solve it with another model, e.g. "
                "--model caliendo-parro)"
            )
        if bool(np.any(np.asarray(baseline.gamma_io_nsk) != 0)):
            return f"the {NAME} model has no input-output linkages (io table)"
        tau = np.asarray(baseline.tau_sni)[0]
        if np.any(tau != 0):
            n, i = (int(k[0]) for k in np.nonzero(tau))
            return (
                f"the {NAME} model starts from a base without tariffs; "
                f"{int(np.count_nonzero(tau))} trade rows have one, e.g. "
                f"exporter={baseline.regions[i]}, importer={baseline.regions[n]}, "
                f"tariff {tau[n, i]:g}"
            )
        return None

    def calibrate(self, baseline: Baseline, *, rebate: str) -> Calibration:
        nu_n = jnp.zeros(len(baseline.regions)) if baseline.nu_n is None else baseline.nu_n
        data = ilms.data_from_flows(tariffs_ji(baseline.flow_sni), nu_n)
        params = ilms.default_params(data, eps=float(baseline.theta_s[0]))
        inverse = ilms.base_inverse_jacobian(data, params, rebate=rebate)
        return Calibration(
            baseline=baseline,
            data=IlmsBase(data, params, inverse),
            rebate=rebate,
            jacobians=1,
        )

    def prepare(self, calibration: Calibration, *, zero_deficits: bool, max_steps: int) -> Prepared:
        return Prepared(calibration=calibration, base=calibration.baseline)

    def solve(
        self, prepared: Prepared, shock: Shock, *, max_steps: int, initial: Any = None
    ) -> Solved:
        base: IlmsBase = prepared.calibration.data
        eq = ilms.solve(
            base.data,
            tariffs_ji(shock.tau_sni),
            base.params,
            rebate=prepared.calibration.rebate,
            max_steps=max_steps,
            start_inverse=base.inverse_jacobian,
        )
        return Solved(
            state=eq,
            converged=eq.converged,
            iterations=eq.iterations,
            residual=eq.residual,
            jacobians=jnp.asarray(0),
        )

    def outcomes(self, prepared: Prepared, shock: Shock, solved: Solved) -> Outcomes:
        return _outcomes(prepared.world_baseline, prepared.calibration.data.data, solved.state)

    def solve_draws(
        self,
        prepared: Prepared,
        shock: Shock,
        theta_ds: Float[Array, "d s"],
        *,
        point: Solved,
        max_steps: int,
        sigma_d: Float[Array, " d"] | None = None,
    ) -> tuple[Outcomes, Solved]:
        del sigma_d  # no input-output links, so no critical inputs (checked by the caller)
        base: IlmsBase = prepared.calibration.data
        eq = ilms.outcomes_by_eps(
            base.data,
            tariffs_ji(shock.tau_sni),
            jnp.asarray(theta_ds)[:, 0],
            kappa=float(base.params.kappa),
            rebate=prepared.calibration.rebate,
            max_steps=max_steps,
            start_inverse=base.inverse_jacobian,
            vectorize=default_vectorize(),
        )
        outcomes = jax.vmap(lambda e: _outcomes(prepared.world_baseline, base.data, e))(eq)
        solved = Solved(
            state=eq,
            converged=eq.converged,
            iterations=eq.iterations,
            residual=eq.residual,
            jacobians=jnp.zeros_like(eq.iterations),
        )
        return outcomes, solved

    def welfare_of_tariffs(self, calibration: Calibration) -> WelfareOfTariffs:
        base: IlmsBase = calibration.data
        rebate = calibration.rebate

        def evaluate(tau_sni: Array) -> tuple[Array, Array, Array]:
            eq = ilms.outcomes(
                base.data,
                tariffs_ji(tau_sni),
                base.params,
                rebate=rebate,
                start_inverse=base.inverse_jacobian,
            )
            return eq.welfare_pct, eq.converged, eq.residual

        return evaluate
