"""Production technology: unit costs and cost shares, with critical inputs.

In Caliendo–Parro (2015) a sector's unit cost is Cobb–Douglas in value added and its
input sectors, so every cost share is fixed.  A world may mark some sectors *critical
inputs* (docs/models/caliendo-parro.md, "Critical inputs"): each using sector's unit
cost is then a CES of its Cobb–Douglas bundle of everything else and the critical inputs,
with one elasticity of substitution σ, calibrated in changes from the base cost shares::

    ĉ^(1−σ) = (1 − S) B̂^(1−σ) + Σ_k γ_k P̂_k^(1−σ),
    log B̂ = (γ_va log ŵ + Σ_(j not critical) γ_j log P̂_j) / (1 − S),

where γ are the base cost shares and S = Σ_k γ_k the critical inputs' share.  σ = 1 is
the Cobb–Douglas model exactly (the code takes that branch, so results are identical to
the last bit); σ → 0 is Leontief.  The counterfactual cost shares follow the CES law
γ′_k = γ_k (P̂_k / ĉ)^(1−σ) for a critical input and γ′_j = γ_j (B̂ / ĉ)^(1−σ) for value
added and every other input.  Pure JAX: no I/O, no printing.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from truce.model.baseline import Baseline


class Technology(eqx.Module):
    """Unit costs and the cost shares that go with them, at given wages and prices."""

    log_c_sn: Float[Array, "s n"]
    """log ĉ: the change in each sector's unit cost."""
    gamma_va_sn: Float[Array, "s n"]
    """Value-added share of gross output at these prices."""
    gamma_io_nsk: Float[Array, "n s k"]
    """Cost share of input k in sector s of region n at these prices."""


def _cobb_douglas(
    baseline: Baseline, log_w_n: Float[Array, " n"], log_P_sn: Float[Array, "s n"]
) -> Float[Array, "s n"]:
    inputs = jnp.einsum("nsk,kn->sn", baseline.gamma_io_nsk, log_P_sn)
    return baseline.gamma_va_sn * log_w_n[None, :] + inputs


def has_critical_inputs(baseline: Baseline) -> bool:
    """Whether ``baseline`` marks critical inputs (static: decides the traced code)."""
    return baseline.critical_s is not None


def technology(
    baseline: Baseline, log_w_n: Float[Array, " n"], log_P_sn: Float[Array, "s n"]
) -> Technology:
    """Unit-cost changes and cost shares at log wages ``log_w_n`` and log price indices
    ``log_P_sn`` (see the module docstring)."""
    log_cd = _cobb_douglas(baseline, log_w_n, log_P_sn)
    if baseline.critical_s is None:
        return Technology(log_cd, baseline.gamma_va_sn, baseline.gamma_io_nsk)
    rho = 1.0 - baseline.sigma  # 0 at Cobb–Douglas
    critical_k = baseline.critical_s
    gamma_crit_nsk = jnp.where(critical_k[None, None, :], baseline.gamma_io_nsk, 0.0)
    share_sn = gamma_crit_nsk.sum(axis=2).T
    uses = (share_sn > 0) & (share_sn < 1) & (rho != 0)
    bundle_weight_sn = jnp.where(uses, 1.0 - share_sn, 1.0)
    log_B_sn = (log_cd - jnp.einsum("nsk,kn->sn", gamma_crit_nsk, log_P_sn)) / bundle_weight_sn
    # log ĉ = log1p(Σ a_j expm1(ρ x_j)) / ρ with weights a summing to one: accurate for
    # ρ near 0, where the CES approaches the Cobb–Douglas form.
    safe_rho = jnp.where(rho != 0, rho, 1.0)
    critical_term_sn = jnp.einsum("nsk,kn->sn", gamma_crit_nsk, jnp.expm1(safe_rho * log_P_sn))
    mean_sn = bundle_weight_sn * jnp.expm1(safe_rho * log_B_sn) + critical_term_sn
    log_ces_sn = jnp.log1p(mean_sn) / safe_rho
    log_c_sn = jnp.where(uses, log_ces_sn, log_cd)
    # The CES cost-share law; exactly 1 where the sector takes the Cobb–Douglas branch.
    bundle_scale_sn = jnp.where(uses, jnp.exp(safe_rho * (log_B_sn - log_c_sn)), 1.0)
    critical_scale_nsk = jnp.exp(safe_rho * (log_P_sn.T[:, None, :] - log_c_sn.T[:, :, None]))
    scale_nsk = jnp.where(
        uses.T[:, :, None] & critical_k[None, None, :],
        critical_scale_nsk,
        bundle_scale_sn.T[:, :, None],
    )
    return Technology(
        log_c_sn,
        baseline.gamma_va_sn * bundle_scale_sn,
        baseline.gamma_io_nsk * scale_nsk,
    )


def log_unit_cost_sn(
    baseline: Baseline, log_w_n: Float[Array, " n"], log_P_sn: Float[Array, "s n"]
) -> Float[Array, "s n"]:
    """log ĉ: value added at the wage change, inputs at their price-index changes."""
    if baseline.critical_s is None:
        return _cobb_douglas(baseline, log_w_n, log_P_sn)
    return technology(baseline, log_w_n, log_P_sn).log_c_sn


def critical_cost_share_sn(
    baseline: Baseline, gamma_io_nsk: Float[Array, "*batch n s k"]
) -> Float[Array, "*batch s n"]:
    """The critical inputs' joint share of each sector's costs under ``gamma_io_nsk``
    (any leading axes kept; zeros where the baseline marks none)."""
    critical_k = baseline.critical_s
    if critical_k is None:
        critical_k = jnp.zeros(gamma_io_nsk.shape[-1], dtype=bool)
    critical = jnp.where(critical_k[..., None, None, :], gamma_io_nsk, 0.0)
    return jnp.swapaxes(critical.sum(axis=-1), -1, -2)
