"""The Caliendo–Parro (2015) model behind the :class:`~truce.model.interface.TradeModel`
interface: many sectors, input-output linkages, tariff revenue, trade deficits, export
caps and import floors (docs/models/caliendo-parro.md)."""

from __future__ import annotations

from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from truce.model.baseline import Baseline, Shock, no_shock
from truce.model.draws import solve_draws
from truce.model.interface import (
    Calibration,
    Outcomes,
    Prepared,
    Solved,
    TradeModel,
    TradeOfTariffs,
    WelfareOfTariffs,
)
from truce.model.solve import Equilibrium, inverse_jacobian_at, solve, solve_differentiable
from truce.model.technology import critical_cost_share_sn, has_critical_inputs
from truce.model.welfare import RegionOutcomes, rebase, region_outcomes

#: The region fields of a result, in display order.
REGION_FIELDS: tuple[str, ...] = (
    "welfare_pct",
    "real_wage_pct",
    "nominal_wage_pct",
    "price_index_pct",
    "tariff_revenue",
    "exports_pct",
    "imports_pct",
    "tot_pct",
    "vot_pct",
)


#: The region × sector fields of a result (docs/results.md), in display order.
SECTOR_FIELDS: tuple[str, ...] = (
    "gross_output",
    "output_pct",
    "value_added_pct",
    "employment_base_pct",
    "employment_pct",
    "price_pct",
    "unit_cost_pct",
)
#: Added when the world has critical inputs.
CRITICAL_FIELDS: tuple[str, ...] = ("critical_share_base_pct", "critical_share_pct")


def closing_shock(baseline: Baseline) -> Shock:
    """The shock that closes every deficit and changes nothing else."""
    return Shock(
        tau_sni=baseline.tau_sni,
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=jnp.zeros_like(baseline.deficit_n),
    )


def _pct(ratio: Array) -> Array:
    return 100.0 * (ratio - 1.0)


def _region_values(r: RegionOutcomes) -> Float[Array, "*batch field n"]:
    """The :data:`REGION_FIELDS` of ``r`` stacked (any leading axes kept)."""
    return jnp.stack(
        [
            _pct(r.welfare_n),
            _pct(r.real_wage_n),
            _pct(r.nominal_wage_n),
            _pct(r.price_index_n),
            r.tariff_revenue_n,
            _pct(r.exports_n),
            _pct(r.imports_n),
            100.0 * r.terms_of_trade_n,
            100.0 * r.volume_of_trade_n,
        ],
        axis=-2,
    )


def _ratio(after: Array, before: Array) -> Array:
    """after / before where before is positive, else 1 (no change reported)."""
    positive = before > 0
    return jnp.where(positive, after / jnp.where(positive, before, 1.0), 1.0)


def _sector_values(solved_from: Baseline, eq: Equilibrium) -> tuple[tuple[str, ...], Array]:
    """The region × sector fields (``[field, sector, region]``, any leading draw axis
    kept): changes against ``solved_from``, the base the equilibrium was solved from."""
    gross_before = solved_from.flow_sni.sum(axis=-2)
    gross_after = eq.producer_flow_sni.sum(axis=-2)
    va_before = solved_from.gamma_va_sn * gross_before
    va_after = eq.gamma_va_sn * gross_after
    factor_before = solved_from.va_n[..., None, :]
    factor_after = eq.w_hat_n[..., None, :] * factor_before
    shape = gross_after.shape
    values = [
        jnp.broadcast_to(gross_before, shape),
        _pct(_ratio(gross_after / eq.c_hat_sn, gross_before)),
        _pct(_ratio(va_after, va_before)),
        jnp.broadcast_to(100.0 * va_before / factor_before, shape),
        100.0 * va_after / factor_after,
        _pct(eq.P_hat_sn),
        _pct(eq.c_hat_sn),
    ]
    fields = SECTOR_FIELDS
    if has_critical_inputs(solved_from):
        before = critical_cost_share_sn(solved_from, solved_from.gamma_io_nsk)
        values += [
            jnp.broadcast_to(100.0 * before, shape),
            100.0 * critical_cost_share_sn(solved_from, eq.gamma_io_nsk),
        ]
        fields = SECTOR_FIELDS + CRITICAL_FIELDS
    return fields, jnp.stack(values, axis=-3)


def _outcomes(
    world_baseline: Baseline,
    regions: RegionOutcomes,
    eq: Equilibrium,
    base: Baseline | None,
    solved_from: Baseline,
) -> Outcomes:
    """Labelled outcomes; ``base`` (the zero-deficit base a run solved from) adds a
    ``base`` trade field; sector changes are against ``solved_from``.  Arrays may carry a
    leading draw axis."""
    # The counterfactual flow at the base's prices: its value at the exporter's
    # producer price over the change in the exporter's unit cost (docs/results.md).
    quantity = eq.producer_flow_sni / eq.c_hat_sn[..., :, None, :]
    fields, values = ["counterfactual", "quantity"], [eq.flow_sni, quantity]
    sector_fields, sector_values = _sector_values(solved_from, eq)
    if base is not None:
        fields.append("base")
        values.append(jnp.broadcast_to(base.flow_sni, eq.flow_sni.shape))
    return Outcomes(
        regions=world_baseline.regions,
        sectors=world_baseline.sectors,
        region_fields=REGION_FIELDS,
        region_values=_region_values(regions),
        trade_fields=tuple(fields),
        trade_values=jnp.stack(values, axis=-4),
        cap_rate_k=eq.cap_rate_k,
        floor_rate_f=eq.floor_rate_f,
        capacity_rate_g=eq.capacity_rate_g,
        sector_fields=sector_fields,
        sector_values=sector_values,
    )


class CaliendoParro(TradeModel):
    """The default model (docs/models/caliendo-parro.md)."""

    name: ClassVar[str] = "caliendo-parro"
    measure_kinds: ClassVar[frozenset[str]] = frozenset(
        {
            "tariff",
            "trade_cost",
            "export_tax",
            "export_cap",
            "import_floor",
            "port_fee",
            "capacity",
        }
    )
    rebates: ClassVar[tuple[str, ...]] = ("lump_sum",)
    closes_deficits: ClassVar[bool] = True

    def unfit(self, baseline: Baseline) -> str | None:
        return None

    def calibrate(self, baseline: Baseline, *, rebate: str) -> Calibration:
        return Calibration(baseline=baseline, data=None, rebate=rebate)

    def prepare(self, calibration: Calibration, *, zero_deficits: bool, max_steps: int) -> Prepared:
        baseline = calibration.baseline
        if not zero_deficits:
            return Prepared(calibration=calibration, base=baseline)
        closing = closing_shock(baseline)
        eq = solve(baseline, closing, max_steps=max_steps)
        return Prepared(
            calibration=calibration,
            base=rebase(baseline, closing, eq),
            zero_deficits=True,
            iterations=int(eq.iterations),
            jacobians=int(eq.jacobians),
        )

    def solve(
        self, prepared: Prepared, shock: Shock, *, max_steps: int, initial: Any = None
    ) -> Solved:
        eq = solve(prepared.base, shock, max_steps=max_steps, initial=initial)
        return Solved(
            state=eq,
            converged=eq.converged,
            iterations=eq.iterations,
            residual=eq.residual,
            jacobians=eq.jacobians,
        )

    def outcomes(self, prepared: Prepared, shock: Shock, solved: Solved) -> Outcomes:
        eq = solved.state
        return _outcomes(
            prepared.world_baseline,
            region_outcomes(prepared.base, shock, eq),
            eq,
            prepared.base if prepared.zero_deficits else None,
            prepared.base,
        )

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
        # Under deficits: zero each draw closes the deficits again from the world's
        # baseline with its own elasticities.
        closing = closing_shock(prepared.world_baseline) if prepared.zero_deficits else None
        start = prepared.world_baseline if closing is not None else prepared.base
        batch = solve_draws(
            start,
            shock,
            theta_ds,
            closing=closing,
            initial=point.state,
            inverse_jacobian=inverse_jacobian_at(prepared.base, shock, point.state),
            sigma_d=sigma_d,
            max_steps=max_steps,
        )
        eq = batch.equilibrium
        outcomes = _outcomes(
            prepared.world_baseline,
            batch.outcomes,
            eq,
            batch.base if closing is not None else None,
            batch.base,
        )
        converged: Bool[Array, " d"] = eq.converged & batch.base_converged
        solved = Solved(
            state=eq,
            converged=converged,
            iterations=eq.iterations,
            residual=eq.residual,
            jacobians=eq.jacobians,
        )
        return outcomes, solved

    def welfare_of_tariffs(self, calibration: Calibration) -> WelfareOfTariffs:
        baseline = calibration.baseline
        shock = no_shock(baseline)

        def evaluate(tau_sni: Array) -> tuple[Array, Array, Array]:
            played = eqx.tree_at(lambda sh: sh.tau_sni, shock, tau_sni)
            eq = solve_differentiable(baseline, played)
            welfare = 100.0 * (region_outcomes(baseline, played, eq).welfare_n - 1.0)
            return welfare, eq.converged, eq.residual

        return evaluate

    def trade_of_tariffs(self, calibration: Calibration) -> TradeOfTariffs:
        baseline = calibration.baseline
        shock = no_shock(baseline)

        def trade(tau_sni: Array) -> tuple[Array, Array, Array, Array]:
            played = eqx.tree_at(lambda sh: sh.tau_sni, shock, tau_sni)
            eq = solve_differentiable(baseline, played)
            return eq.flow_sni, eq.pi_sni, eq.converged, eq.residual

        return trade
