"""Long world tables → the model's sector-major arrays (the one place this happens)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from truce.data.world import World, check_world
from truce.errors import WorldError
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
    derived from absorption minus intermediate use (clipped at zero).  The Caliendo–Parro
    model has no local distribution: a ``distribution`` table is ignored and every sale
    is factor income of the seller (value added = gross output less purchased inputs).
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
    if world.distribution is not None:
        va_sn = flow_sni.sum(axis=1) - io_purchases_sn(world, regions, sectors)

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
    )


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


@dataclass(frozen=True)
class OneSectorWorld:
    """A one-sector world as the arrays of the ``ilms2025`` model."""

    regions: tuple[str, ...]
    sector: str
    flows_ji: np.ndarray
    """Flows ``[exporter, importer]`` at world prices, domestic sales on the diagonal."""
    nu_i: np.ndarray
    """Local-distribution shares (0 where the world has no ``distribution`` row)."""
    theta: float
    """The sector's trade elasticity."""


def world_to_one_sector(world: World, model: str = "ilms2025") -> OneSectorWorld:
    """Checked one-sector world → flows and distribution shares for ``model``.

    Raises :class:`~truce.errors.WorldError` naming what stands in the way: more than one
    sector, input-output linkages, or tariffs in the base (the model's base has none).
    """
    world = check_world(world)
    where = str(world.path) if world.path is not None else world.name
    if len(world.sectors) != 1:
        raise WorldError(
            f"{where}: the {model} model needs a one-sector world; this one has "
            f"{len(world.sectors)} sectors (solve it with another model, e.g. "
            "--model caliendo-parro)"
        )
    if world.io is not None and len(world.io) and (world.io["value"] != 0).any():
        raise WorldError(f"{where}: the {model} model has no input-output linkages (io table)")
    taxed = world.trade[world.trade["tariff"] != 0]
    if len(taxed):
        row = taxed.iloc[0]
        raise WorldError(
            f"{where}: the {model} model starts from a base without tariffs; "
            f"{len(taxed)} trade rows have one, e.g. exporter={row['exporter']}, "
            f"importer={row['importer']}, tariff {row['tariff']:g}"
        )
    regions = pd.Index(world.regions["region"])
    flows = np.zeros((len(regions), len(regions)))
    t = world.trade
    flows[_positions(t["exporter"], regions), _positions(t["importer"], regions)] = t[
        "value"
    ].to_numpy()
    nu = np.zeros(len(regions))
    if world.distribution is not None:
        nu[_positions(world.distribution["region"], regions)] = world.distribution[
            "share"
        ].to_numpy()
    return OneSectorWorld(
        regions=tuple(regions),
        sector=str(world.sectors["sector"].iat[0]),
        flows_ji=flows,
        nu_i=nu,
        theta=float(world.sectors["theta"].iat[0]),
    )
