"""Long world tables → the model's sector-major arrays (the one place this happens)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from truce.data.world import World, check_world
from truce.model.baseline import Baseline, baseline_from_flows


def _positions(codes: pd.Series, axis: pd.Index) -> np.ndarray:
    """Positions of ``codes`` on ``axis`` (every code is known: the world is checked)."""
    return axis.get_indexer(codes)


def world_to_baseline(world: World) -> Baseline:
    """Checked world → :class:`~truce.model.baseline.Baseline`.

    Axes follow the row order of ``world.regions`` and ``world.sectors``.  Missing trade,
    value-added and io rows are zeros; without an ``io`` table there are no input-output
    linkages (value added then equals gross output, as the checks require).  With a
    ``final_demand`` table its shares are the final-demand shares; otherwise they are
    derived from absorption minus intermediate use (clipped at zero).  A
    ``distribution`` table gives the local-distribution shares ``nu_n``, and value added
    is then gross output less purchased inputs; a model without local distribution
    (Caliendo–Parro) ignores the shares, so every sale is factor income of the seller.
    Raises ``WorldError`` if the world fails its checks.
    """
    world = check_world(world)
    regions = pd.Index(world.regions["region"])
    sectors = pd.Index(world.sectors["sector"])
    n_r, n_s = len(regions), len(sectors)

    t = world.trade
    s, n, i = (
        _positions(t["sector"], sectors),
        _positions(t["importer"], regions),
        _positions(t["exporter"], regions),
    )
    flow_sni = np.zeros((n_s, n_r, n_r))
    tau_sni = np.zeros((n_s, n_r, n_r))
    flow_sni[s, n, i] = t["value"].to_numpy()
    tau_sni[s, n, i] = t["tariff"].to_numpy()

    va = world.value_added
    va_sn = np.zeros((n_s, n_r))
    va_s, va_n = _positions(va["sector"], sectors), _positions(va["region"], regions)
    va_sn[va_s, va_n] = va["value"].to_numpy()
    nu_n = None
    if world.distribution is not None:
        va_sn = flow_sni.sum(axis=1) - io_purchases_sn(world, regions, sectors)
        nu_n = np.zeros(n_r)
        nu_n[_positions(world.distribution["region"], regions)] = world.distribution[
            "share"
        ].to_numpy()

    io_nks = np.zeros((n_r, n_s, n_s))
    if world.io is not None:
        io = world.io
        io_nks[
            _positions(io["region"], regions),
            _positions(io["input_sector"], sectors),
            _positions(io["output_sector"], sectors),
        ] = io["value"].to_numpy()

    if world.final_demand is None:
        # Final use of each good: absorption (tariffs included) minus intermediate use.
        # The checks allow it to dip below zero by rounding (0.1% of absorption); such
        # cells get a zero share rather than a negative Cobb-Douglas exponent.
        final_sn = (flow_sni * (1.0 + tau_sni)).sum(axis=2) - io_nks.sum(axis=2).T
        final_sn = np.clip(final_sn, 0.0, None)
        alpha_sn = final_sn / final_sn.sum(axis=0, keepdims=True)
    else:
        fd = world.final_demand
        alpha_sn = np.zeros((n_s, n_r))
        alpha_sn[_positions(fd["sector"], sectors), _positions(fd["region"], regions)] = fd[
            "share"
        ].to_numpy()

    return baseline_from_flows(
        regions=tuple(regions),
        sectors=tuple(sectors),
        flow_sni=flow_sni,
        tau_sni=tau_sni,
        va_sn=va_sn,
        io_nks=io_nks,
        theta_s=world.sectors["theta"].to_numpy(dtype=np.float64),
        alpha_sn=alpha_sn,
        nu_n=nu_n,
        **_critical(world, sectors),
        region_names=tuple(world.regions["name"]),
        sector_names=tuple(world.sectors["name"]),
    )


def _critical(world: World, sectors: pd.Index) -> dict[str, object]:
    """``critical_s`` and ``sigma`` for :func:`baseline_from_flows` (none without a
    ``critical_inputs`` table)."""
    table = world.critical_inputs
    if table is None or len(table) == 0:
        return {}
    critical_s = np.zeros(len(sectors), dtype=bool)
    critical_s[_positions(table["sector"], sectors)] = True
    return {"critical_s": critical_s, "sigma": float(table["sigma"].iloc[0])}


def io_purchases_sn(world: World, regions: pd.Index, sectors: pd.Index) -> np.ndarray:
    """Inputs bought by each region's sectors, ``[output sector, region]`` (zeros without io)."""
    out = np.zeros((len(sectors), len(regions)))
    if world.io is not None:
        np.add.at(
            out,
            (
                _positions(world.io["output_sector"], sectors),
                _positions(world.io["region"], regions),
            ),
            world.io["value"].to_numpy(),
        )
    return out
