"""A plain NumPy + ``scipy.optimize.fsolve`` solver of the ilms2025 equilibrium in levels.

The peer of ``benchmarks/bench_ilms.py``: the formulation of the Liberation Day paper's
public Python port (Ignatenko, Lashkaripour, Macedoni & Simonovska 2025), written here
independently of :mod:`truce.model.ilms` from the equations in that module's docstring.
The 3N unknowns are the levels x = (ŵ, Ê, L̂), started from ones; the numeraire
Σ_i E_i (P̂_i − 1) = 0 replaces the wage equation of the last country; tariff revenue is
rebated by cutting the income tax (the paper's Case 1).  ``fsolve`` (MINPACK ``hybrd``)
gets no Jacobian: it builds one by finite differences and updates it by Broyden steps.

Flows are indexed ``[exporter j, importer i]`` throughout.  Market conditions are in
currency divided by world factor income Σ_k Y_k; the labour-supply condition is a
difference of levels and the numeraire is divided by world expenditure, so every
condition is dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import fsolve

#: Labour-supply elasticity κ of the main analysis.
KAPPA = 0.5
#: ψ = SCALE_PSI / ε and θ = ε / SCALE_PSI.
SCALE_PSI = 0.67


@dataclass(frozen=True)
class Base:
    """The base equilibrium and parameters, as plain NumPy arrays."""

    X: np.ndarray  # [j, i] flows, domestic sales on the diagonal
    nu: np.ndarray
    E: np.ndarray
    Y: np.ndarray
    T: np.ndarray
    lam: np.ndarray  # [j, i] expenditure shares
    eps: float
    kappa: float
    psi: float
    phi: np.ndarray


def base_from_flows(flows_ji: np.ndarray, nu_i: np.ndarray, eps: float = 4.0) -> Base:
    """E, Y, T and λ from the complete flow matrix and the local-distribution shares."""
    X = np.asarray(flows_ji, dtype=np.float64)
    nu = np.asarray(nu_i, dtype=np.float64)
    E = X.sum(axis=0)
    Y = X @ (1.0 - nu) + nu * E  # Σ_i (1 − ν_i) X_ji + ν_j Σ_k X_kj
    theta = eps / SCALE_PSI
    return Base(
        X=X,
        nu=nu,
        E=E,
        Y=Y,
        T=E - Y,
        lam=X / E,
        eps=float(eps),
        kappa=KAPPA,
        psi=SCALE_PSI / eps,
        phi=(1.0 + theta) / ((1.0 - nu) * theta) - 1.0 / theta,
    )


@dataclass(frozen=True)
class Outcome:
    """Everything that follows from the unknowns."""

    w: np.ndarray
    E_hat: np.ndarray
    L: np.ndarray
    P_hat: np.ndarray
    X_new: np.ndarray
    revenue: np.ndarray
    Y_new: np.ndarray
    E_new: np.ndarray
    tau: np.ndarray


def outcome(b: Base, t: np.ndarray, x: np.ndarray) -> Outcome:
    """Shares, prices, flows, revenue and incomes at x = (ŵ, Ê, L̂)."""
    n = b.E.size
    w, E_hat, L = x[:n], x[n : 2 * n], x[2 * n :]
    cost = w / L**b.psi
    a = b.lam * (cost**-b.eps)[:, None] * (1.0 + t) ** (-b.eps * b.phi[None, :])
    A = a.sum(axis=0)
    lam_new = a / A
    P_hat = (E_hat / w) ** (1.0 - b.phi) * A ** (-1.0 / b.eps)
    E_new = b.E * E_hat
    X_new = lam_new * E_new / (1.0 + t)
    revenue = (lam_new * t / (1.0 + t)).sum(axis=0) * E_new
    Y_new = w * L * b.Y
    return Outcome(w, E_hat, L, P_hat, X_new, revenue, Y_new, E_new, revenue / Y_new)


def gaps(b: Base, t: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Every condition, none replaced: (wage, spending, labour, numeraire).

    Wage and spending gaps are currency over world income; labour supply is
    L̂ − (τ̂ ŵ / P̂)^κ with τ̂ = 1 / (1 − R / Y'); the numeraire is over world expenditure.
    """
    o = outcome(b, t, x)
    world_income = b.Y.sum()
    earned = o.X_new @ (1.0 - b.nu) + b.nu * o.X_new.sum(axis=0)
    wage = (earned - o.Y_new) / world_income
    transfer = b.T * o.Y_new.sum() / world_income
    spending = (o.revenue + o.Y_new + transfer - o.E_new) / world_income
    labour = o.L - (o.w / ((1.0 - o.tau) * o.P_hat)) ** b.kappa
    numeraire = (b.E * (o.P_hat - 1.0)).sum() / b.E.sum()
    return wage, spending, labour, np.asarray(numeraire)


def system(x: np.ndarray, b: Base, t: np.ndarray) -> np.ndarray:
    """The 3N conditions fsolve drives to zero (last wage equation → numeraire)."""
    wage, spending, labour, numeraire = gaps(b, t, x)
    wage = wage.copy()
    wage[-1] = numeraire
    return np.concatenate([wage, spending, labour])


def solve(b: Base, t_ji: np.ndarray, xtol: float = 1e-10) -> tuple[np.ndarray, dict, int]:
    """fsolve from x0 = ones; returns the levels x, fsolve's info dict and its flag."""
    t = np.asarray(t_ji, dtype=np.float64)
    x0 = np.ones(3 * b.E.size)
    x, info, flag, _ = fsolve(system, x0, args=(b, t), xtol=xtol, full_output=True)
    return x, info, flag


def welfare_pct(b: Base, t_ji: np.ndarray, x: np.ndarray) -> np.ndarray:
    """100 (Ŵ − 1), Ŵ = δ Ê / P̂ + (1 − δ) ŵ L̂ / P̂, δ = E / (E − κ (1 − τ) Y / (1 + κ))."""
    o = outcome(b, np.asarray(t_ji, dtype=np.float64), x)
    delta = b.E / (b.E - b.kappa * (1.0 - o.tau) * b.Y / (1.0 + b.kappa))
    W = delta * o.E_hat / o.P_hat + (1.0 - delta) * o.w * o.L / o.P_hat
    return 100.0 * (W - 1.0)


def largest_gap(b: Base, t_ji: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """(largest market gap over world income, largest labour/numeraire gap), all N
    wage equations included."""
    wage, spending, labour, numeraire = gaps(b, np.asarray(t_ji, dtype=np.float64), x)
    market = max(np.abs(wage).max(), np.abs(spending).max())
    return float(market), float(max(np.abs(labour).max(), abs(float(numeraire))))
