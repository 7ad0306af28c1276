"""Synthetic baselines for tests, examples and benchmarks.

A synthetic world is random but balanced by construction: gross output equals value
added plus intermediate purchases in every cell and final demand is non-negative, so it
is an equilibrium of the model exactly as an observed world is.
"""

from __future__ import annotations

import numpy as np

from truce.model.baseline import Baseline, baseline_from_flows


def synthetic_baseline(
    n_regions: int,
    n_sectors: int,
    *,
    seed: int = 0,
    io: bool = True,
    tariffs: bool = True,
    zero_share: float = 0.1,
    balanced_trade: bool = False,
) -> Baseline:
    """A random balanced world with ``n_regions`` × ``n_sectors``.

    ``zero_share`` of the foreign cells carry no flow.  ``balanced_trade`` makes the
    foreign flows symmetric, so every region's trade is balanced (no deficits).
    """
    rng = np.random.default_rng(seed)
    S, N = n_sectors, n_regions
    flow = rng.lognormal(mean=0.0, sigma=1.0, size=(S, N, N))
    flow *= rng.random((S, N, N)) >= zero_share
    if balanced_trade:
        flow = 0.5 * (flow + np.transpose(flow, (0, 2, 1)))
    eye = np.eye(N, dtype=bool)[None]
    domestic = rng.uniform(5.0, 20.0, size=(S, N, 1)) * np.eye(N)[None]
    flow = np.where(eye, domestic, flow)
    tau = rng.uniform(0.0, 0.3, size=(S, N, N)) if tariffs else np.zeros((S, N, N))
    tau = np.where(eye, 0.0, tau)

    gross_sn = flow.sum(axis=1)
    absorption_sn = (flow * (1.0 + tau)).sum(axis=2)
    if io:
        intermediate_share_sn = rng.uniform(0.2, 0.6, size=(S, N))
        mix_nks = rng.dirichlet(np.ones(S), size=(N, S)).transpose(0, 2, 1)
        io_nks = mix_nks * (intermediate_share_sn * gross_sn).T[:, None, :]
        # Keep intermediate use of each good below 80% of its absorption.
        use_nk = io_nks.sum(axis=2)
        cap_nk = 0.8 * absorption_sn.T
        io_nks *= np.minimum(1.0, cap_nk / use_nk)[:, :, None]
    else:
        io_nks = np.zeros((N, S, S))
    va_sn = gross_sn - io_nks.sum(axis=1).T
    return baseline_from_flows(
        regions=tuple(f"R{r:02d}" for r in range(N)),
        sectors=tuple(f"S{s:02d}" for s in range(S)),
        flow_sni=flow,
        tau_sni=tau,
        va_sn=va_sn,
        io_nks=io_nks,
        theta_s=rng.uniform(2.0, 10.0, size=S),
    )
