"""The interface every trade model implements (docs/adding-a-model.md).

A model is a final subclass of :class:`TradeModel`.  It says what it supports (measure
kinds, rebate rules, whether it can close trade deficits first) and how it

1. checks that a baseline suits it (:meth:`TradeModel.unfit`),
2. calibrates itself to a world's baseline once (:meth:`TradeModel.calibrate`: the
   costly part, which the use-case layer caches per world),
3. prepares one run from that calibration (:meth:`TradeModel.prepare`),
4. solves a shock (:meth:`TradeModel.solve`) and reports the solution as labelled arrays
   (:meth:`TradeModel.outcomes`), the same :class:`Outcomes` for every model, which one
   table builder turns into rows,
5. solves a batch of drawn trade elasticities in one computation
   (:meth:`TradeModel.solve_draws`),
6. gives each region's welfare as a differentiable function of the tariffs
   (:meth:`TradeModel.welfare_of_tariffs`), for the tariff games.

The use-case layer asks the model object for all of this and never compares names;
models are found by name in :mod:`truce.model.registry`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from truce._types import Codes
from truce.model.baseline import Baseline, Shock

#: ``evaluate(tau_sni) -> (welfare_pct [n], converged, residual)``: differentiable in the
#: tariffs ``[sector, importer, exporter]`` and traceable under ``jax.jit``.
WelfareOfTariffs = Callable[[Array], tuple[Array, Array, Array]]
#: ``trade(tau_sni) -> (flow_sni, share_sni, converged, residual)``: the purchases at
#: world prices (net of tariffs) and each exporter's share of the importer's spending,
#: ``[sector, importer, exporter]``, at the equilibrium under the tariffs ``tau_sni``.
TradeOfTariffs = Callable[[Array], tuple[Array, Array, Array, Array]]


class Calibration(eqx.Module):
    """What a model computes once per world (and rebate rule): the world's baseline and
    the model's own base data (``data``, any pytree; None when the baseline is all the
    model needs).  ``jacobians`` counts the Jacobians spent computing it."""

    baseline: Baseline
    data: Any
    rebate: str = eqx.field(static=True)
    jacobians: int = eqx.field(static=True, default=0)


class Prepared(eqx.Module):
    """A calibration made ready for one run: the base the scenario is solved from, and
    the solver work spent on it (``iterations``, ``jacobians``)."""

    calibration: Calibration
    base: Baseline
    """The world's baseline, or the equilibrium a run's options make its base."""
    zero_deficits: bool = eqx.field(static=True, default=False)
    """Whether ``base`` is the baseline re-solved with every deficit closed."""
    iterations: int = eqx.field(static=True, default=0)
    jacobians: int = eqx.field(static=True, default=0)

    @property
    def world_baseline(self) -> Baseline:
        """The world's own baseline (its flows are a result's ``baseline`` column)."""
        return self.calibration.baseline


class Solved(eqx.Module):
    """A solve's outcome: the model's own equilibrium (``state``, which warm-starts a
    later solve) and the solver's statistics.  Batched solves carry a leading draw axis
    on every array."""

    state: Any
    converged: Bool[Array, "*batch"]
    iterations: Int[Array, "*batch"]
    residual: Float[Array, "*batch"]
    jacobians: Int[Array, "*batch"]


class Outcomes(eqx.Module):
    """A solved scenario as labelled arrays, the same for every model.

    ``region_values`` holds one row per name in ``region_fields`` (in display order;
    changes in percent, revenue in the world's currency), one column per region.
    ``trade_values`` holds one ``[sector, importer, exporter]`` array per name in
    ``trade_fields`` (``counterfactual`` first: the flow at world prices).  The
    equivalent rates of export caps (``cap_rate_k``) and import floors
    (``floor_rate_f``) are empty for a model without such constraints.  Batched
    outcomes carry a leading draw axis on every array.
    """

    regions: Codes = eqx.field(static=True)
    sectors: Codes = eqx.field(static=True)
    region_fields: Codes = eqx.field(static=True)
    region_values: Float[Array, "*batch region_field n"]
    trade_fields: Codes = eqx.field(static=True)
    trade_values: Float[Array, "*batch trade_field s n i"]
    cap_rate_k: Float[Array, "*batch k"]
    floor_rate_f: Float[Array, "*batch f"]
    capacity_rate_g: Float[Array, "*batch g"] | None = None
    """Output-tax equivalents of capacity limits (None: the model has none)."""
    sector_fields: Codes = eqx.field(static=True, default=())
    """Names of the region × sector result fields (empty: the model reports none)."""
    sector_values: Float[Array, "*batch sector_field s n"] | None = None
    """One ``[sector, region]`` array per name in ``sector_fields``."""

    def sector(self, field: str) -> Array:
        """The ``[sector, region]`` values of one sector field (a draw axis kept)."""
        assert self.sector_values is not None
        return self.sector_values[..., self.sector_fields.index(field), :, :]

    def region(self, field: str) -> Array:
        """The values of one region field (a leading draw axis kept)."""
        return self.region_values[..., self.region_fields.index(field), :]

    def trade(self, field: str) -> Array:
        """The cells of one trade field (a leading draw axis kept)."""
        return self.trade_values[..., self.trade_fields.index(field), :, :, :]


def no_constraints() -> tuple[Array, Array]:
    """Empty cap and floor rates, for a model without quantity constraints."""
    return jnp.zeros((0,)), jnp.zeros((0,))


class TradeModel(abc.ABC):
    """A trade model as the use-case layer sees it.  Subclasses are final: each
    implements every abstract method and sets the class variables."""

    name: ClassVar[str]
    """The name scenarios, worlds and ``--model`` use."""
    measure_kinds: ClassVar[frozenset[str]]
    """The scenario measure kinds the model can solve."""
    rebates: ClassVar[tuple[str, ...]]
    """How tariff revenue may be returned (``options.rebate``); the first is the default."""
    closes_deficits: ClassVar[bool]
    """Whether ``options.deficits: zero`` (close every deficit first) is available."""

    @abc.abstractmethod
    def unfit(self, baseline: Baseline) -> str | None:
        """Why the model cannot run on ``baseline`` (a sentence), or None if it can."""

    @abc.abstractmethod
    def calibrate(self, baseline: Baseline, *, rebate: str) -> Calibration:
        """The model's base data for ``baseline``; computed once per world and rebate."""

    @abc.abstractmethod
    def prepare(self, calibration: Calibration, *, zero_deficits: bool, max_steps: int) -> Prepared:
        """One run's base: the calibration's baseline, or (``zero_deficits``) that
        baseline re-solved with every deficit closed."""

    @abc.abstractmethod
    def solve(
        self, prepared: Prepared, shock: Shock, *, max_steps: int, initial: Any = None
    ) -> Solved:
        """Solve ``shock`` (compiled on ``prepared.base``); ``initial`` is an earlier
        solve's ``state`` to start from.  Raises
        :class:`~truce.errors.NonConvergenceError` when the solver fails."""

    @abc.abstractmethod
    def outcomes(self, prepared: Prepared, shock: Shock, solved: Solved) -> Outcomes:
        """The solution as labelled arrays."""

    @abc.abstractmethod
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
        """``shock`` solved once per row of sector elasticities ``theta_ds`` (and, with
        ``sigma_d``, per drawn elasticity of substitution of critical inputs, for a
        model that has them), in one compiled computation starting from the point
        solution ``point``; every array has a leading draw axis.  Convergence is
        reported per draw, never raised."""

    @abc.abstractmethod
    def welfare_of_tariffs(self, calibration: Calibration) -> WelfareOfTariffs:
        """Each region's welfare change (percent) as a differentiable function of the
        tariffs, every other policy at the calibration's baseline."""

    def trade_of_tariffs(self, calibration: Calibration) -> TradeOfTariffs | None:
        """Bilateral flows and spending shares as a differentiable function of the
        tariffs (as :meth:`welfare_of_tariffs`), for formulas written in them; None for a
        model whose equilibrium has no such shares."""
        return None
