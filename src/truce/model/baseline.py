"""The calibrated initial equilibrium (`Baseline`) and a policy change (`Shock`).

Arrays are sector-major and carry their axes in their names: ``pi_sni`` is indexed by
sector ``s``, importer ``n`` and exporter ``i``; ``X_sn`` by sector and region.  The
region and sector codes travel with the arrays as static fields, so nothing downstream
needs to know an index by heart.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from truce._types import Codes


class Baseline(eqx.Module):
    """An observed (or previously solved) equilibrium, in the form the model needs.

    Build one with :func:`baseline_from_flows`; the fields are derived, never edited.
    """

    regions: Codes = eqx.field(static=True)
    sectors: Codes = eqx.field(static=True)
    flow_sni: Float[Array, "s n i"]
    """Purchases by importer n from exporter i at world prices (tariffs excluded)."""
    tau_sni: Float[Array, "s n i"]
    """Ad-valorem tariff of importer n on exporter i (0 on the diagonal)."""
    X_sn: Float[Array, "s n"]
    """Absorption: spending of region n on sector s goods, tariffs included."""
    pi_sni: Float[Array, "s n i"]
    """Expenditure shares, X-weighted: flow × (1 + tariff) / absorption."""
    va_n: Float[Array, " n"]
    """Factor income (value added) of each region."""
    gamma_va_sn: Float[Array, "s n"]
    """Value-added share of gross output."""
    gamma_io_nsk: Float[Array, "n s k"]
    """Cost share of input sector k in the gross output of sector s, region n."""
    alpha_sn: Float[Array, "s n"]
    """Final-demand (Cobb-Douglas) shares; each region's column sums to one."""
    theta_s: Float[Array, " s"]
    """Trade elasticity of each sector."""
    deficit_n: Float[Array, " n"]
    """Trade deficit at world prices: imports minus exports."""
    nu_n: Float[Array, " n"] | None = None
    """Local-distribution share of each region's purchases, where the world has them
    (the ``distribution`` table; a model without local distribution ignores it)."""
    critical_s: Bool[Array, " s"] | None = None
    """Which sectors are critical inputs (the ``critical_inputs`` table), where the
    world marks any: their users' unit costs are CES (:mod:`truce.model.technology`)."""
    sigma: Float[Array, ""] | None = None
    """The elasticity of substitution between critical inputs and the rest of a
    using sector's costs (with ``critical_s``; 1 is Cobb–Douglas)."""
    region_names: Codes = eqx.field(static=True, default=())
    """Readable names of ``regions`` (same order), when known: labels, never numbers."""
    sector_names: Codes = eqx.field(static=True, default=())
    """Readable names of ``sectors`` (same order), when known."""

    @property
    def gross_output_sn(self) -> Float[Array, "s n"]:
        """Gross output of each sector in each region (sum over its buyers)."""
        return self.flow_sni.sum(axis=1)

    @property
    def tariff_revenue_n(self) -> Float[Array, " n"]:
        """Tariff revenue collected by each importer."""
        return (self.tau_sni * self.flow_sni).sum(axis=(0, 2))

    @property
    def income_n(self) -> Float[Array, " n"]:
        """Final spending: factor income + tariff revenue + deficit."""
        return self.va_n + self.tariff_revenue_n + self.deficit_n


class Shock(eqx.Module):
    """The counterfactual policy: wedges in levels, plus the quantity constraints.

    Only tariffs, trade costs and deficits are required; the other wedges default to
    none.  Caps and floors are complementarity constraints solved inside the
    equilibrium, each with an endogenous ad-valorem equivalent.
    """

    tau_sni: Float[Array, "s n i"]
    """Counterfactual tariff levels (importer n on exporter i)."""
    cost_sni: Float[Array, "s n i"]
    """Iceberg trade-cost factor relative to the baseline (1 = unchanged)."""
    deficit_n: Float[Array, " n"]
    """Counterfactual trade deficits in the world's currency."""
    export_tax_sni: Float[Array, "s n i"] | None = None
    """Export tax of exporter i on sales to n (revenue to the exporter)."""
    blocked_sni: Bool[Array, "s n i"] | None = None
    """Cells whose flow is banned (an export cap of zero)."""
    cap_cells: Int[Array, "k 3"] | None = None
    """Capped cells as (sector, importer, exporter) rows."""
    cap_share: Float[Array, " k"] | None = None
    """Most each capped cell may ship, as a share of its baseline quantity."""
    floor_cells: Float[Array, "f s n i"] | None = None
    """1 where purchase floor f covers the cell, else 0."""
    floor_value: Float[Array, " f"] | None = None
    """Least value (baseline prices, world currency) floor f's cells must sum to."""
    capacity_cells: Int[Array, "g 2"] | None = None
    """Capacity limits as (sector, producer) rows: the producer's output of the sector,
    to every buyer (domestic included), is bounded."""
    capacity_share: Float[Array, " g"] | None = None
    """Most each limited producer may make, as a share of its baseline quantity."""

    @property
    def n_caps(self) -> int:
        """Number of capped cells (each has its own export-tax equivalent)."""
        return 0 if self.cap_cells is None else int(self.cap_cells.shape[0])

    @property
    def n_capacities(self) -> int:
        """Number of capacity limits (each has its own output-tax equivalent)."""
        return 0 if self.capacity_cells is None else int(self.capacity_cells.shape[0])

    @property
    def n_floors(self) -> int:
        """Number of purchase floors (each has its own import-subsidy equivalent)."""
        return 0 if self.floor_value is None else int(self.floor_value.shape[0])


def baseline_from_flows(
    *,
    regions: Codes,
    sectors: Codes,
    flow_sni: Float[ArrayLike, "s n i"],
    tau_sni: Float[ArrayLike, "s n i"],
    va_sn: Float[ArrayLike, "s n"],
    io_nks: Float[ArrayLike, "n k s"],
    theta_s: Float[ArrayLike, " s"],
    alpha_sn: Float[ArrayLike, "s n"] | None = None,
    nu_n: Float[ArrayLike, " n"] | None = None,
    critical_s: Bool[ArrayLike, " s"] | None = None,
    sigma: float | None = None,
    region_names: Codes = (),
    sector_names: Codes = (),
) -> Baseline:
    """Derive the model's shares from flows, value added and input-output purchases.

    ``io_nks`` holds the purchases (tariffs included) of input ``k`` by sector ``s`` of
    region ``n``.  Final-demand shares are absorption minus intermediate use over total
    final use unless ``alpha_sn`` gives them; ``nu_n`` (local-distribution shares) is
    carried as given, and so are ``critical_s`` (which sectors are critical inputs) and
    ``sigma`` (their elasticity of substitution), which go together; ``region_names``
    and ``sector_names`` label the codes.
    Cells without output or without spending get neutral shares (value-added share 1,
    expenditure shares 0): they carry no flow, so they enter no equation.
    """
    # Plain NumPy here: this runs once per world, and eager JAX would compile every op.
    flow_sni = np.asarray(flow_sni, dtype=np.float64)
    tau_sni = np.asarray(tau_sni, dtype=np.float64)
    va_sn = np.asarray(va_sn, dtype=np.float64)
    io_nks = np.asarray(io_nks, dtype=np.float64)
    gross_sn = flow_sni.sum(axis=1)
    X_sn = (flow_sni * (1.0 + tau_sni)).sum(axis=2)
    buys = X_sn > 0
    pi_sni = np.where(
        buys[:, :, None],
        flow_sni * (1.0 + tau_sni) / np.where(buys, X_sn, 1.0)[:, :, None],
        0.0,
    )
    has_output = gross_sn > 0
    safe_gross = np.where(has_output, gross_sn, 1.0)
    gamma_va_sn = np.where(has_output, va_sn / safe_gross, 1.0)
    gamma_io_nsk = np.where(
        has_output.T[:, :, None],
        np.transpose(io_nks, (0, 2, 1)) / safe_gross.T[:, :, None],
        0.0,
    )
    if alpha_sn is None:
        final_sn = X_sn - io_nks.sum(axis=2).T
        alpha_sn = final_sn / final_sn.sum(axis=0, keepdims=True)
    deficit_n = flow_sni.sum(axis=(0, 2)) - flow_sni.sum(axis=(0, 1))

    def array(x):
        return jnp.asarray(np.asarray(x, dtype=np.float64))

    return Baseline(
        regions=tuple(str(r) for r in regions),
        sectors=tuple(str(s) for s in sectors),
        flow_sni=array(flow_sni),
        tau_sni=array(tau_sni),
        X_sn=array(X_sn),
        pi_sni=array(pi_sni),
        va_n=array(va_sn.sum(axis=0)),
        gamma_va_sn=array(gamma_va_sn),
        gamma_io_nsk=array(gamma_io_nsk),
        alpha_sn=array(alpha_sn),
        theta_s=array(theta_s),
        deficit_n=array(deficit_n),
        nu_n=None if nu_n is None else array(nu_n),
        critical_s=None if critical_s is None else jnp.asarray(np.asarray(critical_s, dtype=bool)),
        sigma=None if critical_s is None else array(1.0 if sigma is None else sigma),
        region_names=tuple(str(r) for r in region_names),
        sector_names=tuple(str(s) for s in sector_names),
    )


def no_shock(baseline: Baseline) -> Shock:
    """The shock that changes nothing: the baseline's own wedges and deficits."""
    return Shock(
        tau_sni=baseline.tau_sni,
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=baseline.deficit_n,
    )
