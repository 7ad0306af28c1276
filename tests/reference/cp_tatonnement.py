"""An independent NumPy implementation of the Caliendo–Parro (2015) equilibrium.

It follows the algorithm of the paper's Appendix C, not truce's solver: for a guess of
wages, iterate the price indices to convergence, solve the goods-market conditions for
expenditure as one dense linear system, then move wages in proportion to the excess
demand for each region's factors (a damped tâtonnement) until factor markets clear.
It uses CP's own layout, [importer n, exporter i, sector j], and shares no code with
``truce.model``; tests compare the two, and the benchmarks time it as the peer algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Data:
    """Baseline data in CP's layout."""

    pi: np.ndarray  # (n, i, j) expenditure shares
    X: np.ndarray  # (n, j) absorption
    tau: np.ndarray  # (n, i, j) tariffs
    gamma_va: np.ndarray  # (n, j) value-added shares
    gamma_io: np.ndarray  # (n, k, j) cost share of input k in sector j
    alpha: np.ndarray  # (n, j) final-demand shares
    theta: np.ndarray  # (j,)
    va: np.ndarray  # (n,)


@dataclass
class Solution:
    w_hat: np.ndarray
    P_hat: np.ndarray
    X: np.ndarray
    pi: np.ndarray
    iterations: int


def from_baseline(baseline) -> Data:
    """Copy a truce Baseline into CP's layout (plain NumPy arrays)."""
    return Data(
        pi=np.transpose(np.asarray(baseline.pi_sni), (1, 2, 0)),
        X=np.asarray(baseline.X_sn).T,
        tau=np.transpose(np.asarray(baseline.tau_sni), (1, 2, 0)),
        gamma_va=np.asarray(baseline.gamma_va_sn).T,
        gamma_io=np.transpose(np.asarray(baseline.gamma_io_nsk), (0, 2, 1)),
        alpha=np.asarray(baseline.alpha_sn).T,
        theta=np.asarray(baseline.theta_s),
        va=np.asarray(baseline.va_n),
    )


def _prices(d: Data, kappa: np.ndarray, w_hat: np.ndarray, P: np.ndarray, tol: float):
    theta = d.theta
    for _ in range(10_000):
        c = w_hat[:, None] ** d.gamma_va * np.exp(np.einsum("nkj,nk->nj", d.gamma_io, np.log(P)))
        inner = (d.pi * (kappa * c[None, :, :]) ** (-theta)).sum(axis=1)
        P_new = np.where(inner > 0, np.where(inner > 0, inner, 1.0) ** (-1.0 / theta), 1.0)
        if np.max(np.abs(P_new - P)) < tol:
            return P_new, c
        P = P_new
    raise RuntimeError("price iteration did not converge")


def _expenditure(d: Data, pi_new, tau_new, w_hat, deficit):
    """Solve X' = IO demand + alpha (factor income + tariff revenue + deficit) directly."""
    N, J = d.X.shape
    buy = pi_new / (1.0 + tau_new)  # (n, i, j): world-price purchases per unit of X'_nj
    # Gross output of exporter i in sector j: sum_n buy[n, i, j] X'[n, j].
    # Input demand of region i for good k: sum_j gamma_io[i, k, j] * gross[i, j].
    M = np.zeros((N, J, N, J))
    for k in range(J):
        for j in range(J):
            # coefficient on X'[n, j] in X'[i, k]: gamma_io[i, k, j] * buy[n, i, j]
            M[:, k, :, j] += d.gamma_io[:, k, j][:, None] * buy[:, :, j].T
    revenue_rate = (buy * tau_new).sum(axis=1)  # (n, j)
    for n in range(N):
        M[n, :, n, :] += np.outer(d.alpha[n], revenue_rate[n])
    A = np.eye(N * J) - M.reshape(N * J, N * J)
    b = (d.alpha * (w_hat * d.va + deficit)[:, None]).reshape(N * J)
    return np.linalg.solve(A, b).reshape(N, J)


def solve(
    d: Data,
    tau_new: np.ndarray,
    deficit: np.ndarray,
    *,
    step: float = 0.5,
    tol: float = 1e-12,
    max_iter: int = 100_000,
) -> Solution:
    """Counterfactual equilibrium for new tariffs (CP layout) and deficits (levels)."""
    kappa = (1.0 + tau_new) / (1.0 + d.tau)
    N, J = d.X.shape
    w_hat = np.ones(N)
    P = np.ones((N, J))
    world = d.va.sum()
    for iteration in range(1, max_iter + 1):
        P, c = _prices(d, kappa, w_hat, P, tol=1e-14)
        pi_new = np.where(
            d.pi > 0, d.pi * (kappa * c[None, :, :] / P[:, None, :]) ** (-d.theta), 0.0
        )
        X = _expenditure(d, pi_new, tau_new, w_hat, deficit)
        gross = (pi_new / (1.0 + tau_new) * X[:, None, :]).sum(axis=0)  # (i, j)
        excess = (d.gamma_va * gross).sum(axis=1) - w_hat * d.va
        if np.max(np.abs(excess)) / world < tol:
            return Solution(w_hat=w_hat, P_hat=P, X=X, pi=pi_new, iterations=iteration)
        w_hat = w_hat * (1.0 + step * excess / (w_hat * d.va))
        w_hat *= world / (w_hat * d.va).sum()
    raise RuntimeError("wage tatonnement did not converge")
