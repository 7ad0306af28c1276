"""Building world folders from published data sets (use-cases over data and model).

A published data set is rarely an equilibrium of the model as it stands: rounding,
gaps and inconsistent sources leave accounting identities off.  Each importer reads the
source into arrays (``truce.data.sources``), makes them an equilibrium the way the
source's authors do, and writes a checked world folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from truce._types import DEFAULT_ELASTICITIES
from truce.data.sources.cp2015 import cp2015_world, read_cp2015
from truce.data.sources.icio2022 import (
    TariffPolicy,
    check_elasticities,
    icio2022_world,
)
from truce.data.sources.liberation_day import (
    baci2023_world,
    paper_scenarios,
    read_liberation_day,
)
from truce.data.sources.wiod2014 import wiod2014_world
from truce.data.summary import WorldSummary, summarize_world
from truce.data.world import World, load_world, read_world, write_world
from truce.errors import InputError, WorldError
from truce.model import ilms
from truce.model.baseline import baseline_from_flows, no_shock
from truce.model.solve import solve


def build_cp2015(src: Path) -> World:
    """The ``cp2015`` world: the model's equilibrium for the authors' 1993 data.

    As in the authors' own script, the model is solved with the 1993 policy and the
    observed deficits from the (inconsistent) data, and that equilibrium is the world.
    """
    source = read_cp2015(src)
    raw = baseline_from_flows(
        regions=source.regions,
        sectors=tuple(f"s{k}" for k in range(len(source.sector_names))),
        flow_sni=source.flow_sni,
        tau_sni=source.tau_sni,
        va_sn=source.va_sn,
        io_nks=source.purchases_nks,
        theta_s=source.theta_s,
        alpha_sn=source.alpha_sn,
    )
    eq = solve(raw, no_shock(raw))
    flow = np.asarray(eq.flow_sni)
    gross_sn = flow.sum(axis=1)
    va_sn = np.asarray(raw.gamma_va_sn) * gross_sn
    purchases_nks = np.transpose(np.asarray(raw.gamma_io_nsk), (0, 2, 1)) * gross_sn.T[:, None, :]
    before = source.flow_sni
    moved = float(np.abs(flow - before).sum() / before.sum())
    foreign = ~np.eye(len(source.regions), dtype=bool)[None]
    moved_foreign = float(
        np.abs(flow - before)[np.broadcast_to(foreign, flow.shape)].sum()
        / before[np.broadcast_to(foreign, flow.shape)].sum()
    )
    note = (
        "solving for the equilibrium (every condition met to 1e-11 of world income) moves "
        f"flows by {moved:.3g} of their total in absolute "
        f"value ({moved_foreign:.3g} of international trade); factor income changes by "
        f"{float(jnp.max(jnp.abs(eq.w_hat_n - 1.0))):.3g} at most in a region;"
    )
    return cp2015_world(
        source, flow_sni=flow, va_sn=va_sn, purchases_nks=purchases_nks, equilibrium_note=note
    )


def build_icio2022(
    data_dir: str | os.PathLike[str],
    *,
    regions: str | os.PathLike[str] = "default",
    elasticities: str = DEFAULT_ELASTICITIES,
    policy: TariffPolicy | None = None,
) -> World:
    """The ``default`` world (the global economy of 2022) from the shared data folder.

    ``data_dir`` holds ``icio2022_lashkaripour/`` and ``icio2020_io_params/``;
    ``regions`` is ``"default"``, ``"all"`` or a CSV mapping file (columns economy,
    region, optionally name); ``elasticities`` one of ``is, u4, cp, bsy, gyy, shapiro,
    fontagne, ll``; ``policy`` replaces the US-China trade-war tariffs (for tests).
    Raises :class:`~truce.errors.InputError` (``WorldError``) for bad input.
    """
    check_elasticities(elasticities)
    return icio2022_world(data_dir, regions=regions, elasticities=elasticities, policy=policy)


def build_world(
    out: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str],
    regions: str | os.PathLike[str] = "default",
    elasticities: str = DEFAULT_ELASTICITIES,
) -> World:
    """Build the ``default`` world with these options and write it to the folder ``out``.

    The folder is written atomically (replacing an older world folder there); returns
    the world as read back from it.
    """
    world = build_icio2022(data_dir, regions=regions, elasticities=elasticities)
    write_world(world, Path(out))
    return read_world(Path(out))


def build_baci2023(src: Path) -> World:
    """The ``baci2023`` world: the Liberation Day paper's base equilibrium.

    ``src`` is the folder ``liberation_day_baci2023``; the base data (ν calibrated to the
    paper's two moments, domestic sales constructed from GDP) are built as in
    :func:`truce.model.ilms.build_data`.
    """
    source = read_liberation_day(src)
    data = ilms.build_data(source.flows_ji, source.gdp_i, source.us)
    return baci2023_world(
        source,
        flows_ji=np.asarray(data.X_ji, dtype=np.float64),
        nu_i=np.asarray(data.nu_i, dtype=np.float64),
        eps=ilms.EPS,
    )


def liberation_day_scenarios(src: Path) -> dict[str, str]:
    """The Liberation Day paper's scenarios (name → scenario-file text) from its data in
    ``src``, with the closed-form optimal and retaliation tariffs of the base data."""
    source = read_liberation_day(src)
    data = ilms.build_data(source.flows_ji, source.gdp_i, source.us)
    return paper_scenarios(
        source,
        optimal_us={
            base: float(ilms.optimal_uniform_tariff(data, source.us, income=base))
            for base in ("expenditure", "income")
        },
        optimal_retaliation=float(ilms.optimal_retaliation_tariff(data, source.us)),
    )


def build_wiod2014(src: Path) -> World:
    """The ``wiod2014`` world: the tariffwar package's WIOD 2014 data (44 economies ×
    16 sectors, no input-output links) from the folder ``wiod2014_tariffwar``."""
    return wiod2014_world(src)


#: Importers of published data sets, by the name the command line uses.
BUILDERS: dict[str, Callable[[Path], World]] = {
    "cp2015": build_cp2015,
    "icio2022": build_icio2022,
    "baci2023": build_baci2023,
    "wiod2014": build_wiod2014,
}


def import_world(source: str, src: str | Path, out: str | Path) -> World:
    """Build a world folder at ``out`` from the data set ``source`` found in ``src``."""
    if source not in BUILDERS:
        raise InputError(f"unknown source {source!r}: known sources are {', '.join(BUILDERS)}")
    folder = Path(src)
    if not folder.is_dir():
        raise WorldError(f"{folder}: no such source folder")
    write_world(BUILDERS[source](folder), Path(out))
    return read_world(Path(out))


def world_summary(world: World | str | Path) -> WorldSummary:
    """The numbers ``truce world show`` prints for a world (a name, a folder or a World)."""
    if not isinstance(world, World):
        world = load_world(world)
    return summarize_world(world)
