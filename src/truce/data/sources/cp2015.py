"""Caliendo & Parro (2015) NAFTA data (1993) → the built-in world ``cp2015``.

Source files (data set ``cp2015_nafta_1993``, see docs/sources.md):
``countries.csv``, ``sectors.csv``, ``trade_tariffs.csv`` (thousands of US$, percent
tariffs), ``gross_output_va_share.csv`` (US$), ``io_coefficients.csv`` and
``elasticity_estimates_table1.csv`` (the estimates behind CP Table 1, with standard
errors).  The construction follows the authors' ``script.m``: trade at world prices net
of tariffs; domestic sales are gross output minus exports, gross output being raised to
exports where it is smaller; value added = VA share × gross output; purchases of input k
by sector s = io share × (1 − VA share of s) × gross output of s.  The world is then
balanced so that it meets its own identities exactly (see :func:`cp2015_world`).

The built-in files are made by ``truce world import cp2015 SRC src/truce/builtin/worlds/cp2015``
(which solves the model, see :mod:`truce.api.worlds`) and by writing
:func:`nafta_scenario_yaml` to ``src/truce/builtin/scenarios/cp2015-nafta.yaml``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from truce.data.world import World, check_world
from truce.errors import WorldError

SECTOR_CODES: tuple[str, ...] = (
    "AGR", "MIN", "FOD", "TEX", "WOD", "PAP", "PET", "CHM", "PLA", "NMM",
    "BMT", "MTP", "MCH", "OFC", "ELE", "COM", "MED", "VEH", "OTE", "OMF",
    "ELY", "CON", "RET", "HOT", "LTR", "WTR", "ATR", "AUX", "PST", "FNS",
    "REA", "RNT", "CMP", "RND", "OBS", "PUB", "EDU", "HLT", "OSV", "PRV",
)  # fmt: skip
"""Short codes for CP's 40 sectors, in their order (1-20 tradable goods, 21-40 services)."""

NAFTA: tuple[str, ...] = ("USA", "CAN", "MEX")

SOURCES: tuple[str, ...] = (
    "Caliendo, L. and F. Parro (2015), 'Estimates of the Trade and Welfare Effects of NAFTA', "
    "Review of Economic Studies 82(1): 1-44, supplementary data (replication package)",
    "UN Comtrade: bilateral trade flows, 1993",
    "TRAINS/WITS: applied tariffs, 1993 and 2005",
    "OECD STAN: gross output, value added and input-output tables",
)

_MILLION = 1e6

TABLE1_FILE = "elasticity_estimates_table1.csv"
"""The regression output behind CP Table 1 (20 tradable sectors)."""
TABLE1_SAMPLE = "99"
"""The sample of Table 1 whose estimates the authors' counterfactuals use (99%)."""
TABLE1_MATCH = 0.01
"""A sector's elasticity is Table 1's estimate when they differ by less than this."""


def read_table1(src: Path) -> pd.DataFrame:
    """CP Table 1 for the 99% sample: columns ``name`` (the paper's sector), ``theta``
    (= minus the tariff coefficient) and ``se`` (its standard error), in the paper's
    order."""
    path = Path(src) / TABLE1_FILE
    if not path.is_file():
        raise WorldError(f"{path}: missing (expected beside the Caliendo-Parro data)")
    raw = pd.read_csv(path).sort_values("sector_idx")
    columns = ("sector", f"c_{TABLE1_SAMPLE}", f"se_{TABLE1_SAMPLE}")
    if any(c not in raw.columns for c in columns):
        raise WorldError(f"{path}: expected columns {', '.join(columns)}")
    return pd.DataFrame(
        {
            "name": raw["sector"].astype(str).to_numpy(),
            "theta": -raw[f"c_{TABLE1_SAMPLE}"].to_numpy(dtype=np.float64),
            "se": raw[f"se_{TABLE1_SAMPLE}"].to_numpy(dtype=np.float64),
        }
    )


def table1_estimate(name: str) -> str:
    """The ``estimate`` label of a Table 1 sector in ``theta_se`` tables."""
    return f"CP2015 Table 1: {name}"


def _read(src: Path) -> dict[str, pd.DataFrame]:
    names = ("countries", "sectors", "trade_tariffs", "gross_output_va_share", "io_coefficients")
    missing = [f"{n}.csv" for n in names if not (src / f"{n}.csv").is_file()]
    if missing:
        raise WorldError(f"{src}: missing Caliendo-Parro file(s) {', '.join(missing)}")
    return {n: pd.read_csv(src / f"{n}.csv") for n in names}


@dataclass
class _Adjustments:
    """What balancing changed, for the world's description (sizes in US$ million)."""

    raised: int = 0
    raised_total: float = 0.0
    negative_shares: list[str] = field(default_factory=list)
    rescaled: int = 0
    rescale_dev: float = 0.0
    no_inputs: int = 0
    over: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Cp2015Source:
    """The authors' data as arrays, cleaned but not yet an equilibrium (US$ million)."""

    regions: tuple[str, ...]
    region_names: tuple[str, ...]
    sector_names: tuple[str, ...]
    theta_s: np.ndarray
    se_s: np.ndarray
    """Table 1's standard error where θ_s is Table 1's estimate, else 0."""
    tradable_s: np.ndarray
    flow_sni: np.ndarray
    """[sector, importer, exporter] at world prices; diagonal = domestic sales."""
    tau_sni: np.ndarray
    va_sn: np.ndarray
    purchases_nks: np.ndarray
    """Purchases of input k by sector s of region n (tariffs included)."""
    alpha_sn: np.ndarray
    """Final-demand shares as the authors compute them (negative ones set to zero)."""
    notes: tuple[str, ...]
    """What cleaning changed, one sentence each, for the world's description."""


def read_cp2015(src: Path) -> Cp2015Source:
    """Read the authors' files into arrays, following their ``script.m``.

    Cleaning, recorded in ``notes``: gross output raised to exports where smaller (the
    authors do this); negative io shares set to zero and io columns rescaled to sum to
    one (the published shares are rounded).  Final-demand shares are absorption minus
    intermediate use over total final use, set to zero where negative and renormalised,
    as the authors do.  The data are not an equilibrium of the model (intermediate use
    exceeds absorption in some cells); the world builder solves for one.
    """
    raw = _read(Path(src))
    countries = raw["countries"].sort_values("idx")
    sectors = raw["sectors"].sort_values("idx")
    regions = tuple(str(c) for c in countries["iso3"])
    if len(sectors) != len(SECTOR_CODES):
        raise WorldError(f"{src}/sectors.csv: expected {len(SECTOR_CODES)} sectors")
    r_ix = {c: k for k, c in enumerate(regions)}
    n_s, n_r = len(SECTOR_CODES), len(regions)
    notes = _Adjustments()

    # Flows [sector, importer, exporter] in US$ million at world prices, net of tariffs.
    t = raw["trade_tariffs"]
    cell = (
        t["sector_idx"].to_numpy() - 1,
        t["importer"].map(r_ix).to_numpy(),
        t["exporter"].map(r_ix).to_numpy(),
    )
    flow, tau = np.zeros((n_s, n_r, n_r)), np.zeros((n_s, n_r, n_r))
    flow[cell] = t["trade_1993_kusd"].to_numpy() / 1e3
    tau[cell] = t["tariff_1993_pct"].to_numpy() / 100
    diag = np.arange(n_r)
    flow[:, diag, diag] = 0.0  # zeros in the source; domestic sales are set below
    tau[:, diag, diag] = 0.0

    g = raw["gross_output_va_share"]
    at = (g["sector_idx"].to_numpy() - 1, g["country"].map(r_ix).to_numpy())
    gross, va_share = np.zeros((n_s, n_r)), np.ones((n_s, n_r))
    gross[at] = g["gross_output_usd"].to_numpy() / _MILLION
    va_share[at] = g["va_share"].to_numpy()

    # Domestic sales = gross output - exports, gross output raised to exports (authors).
    exports = flow.sum(axis=1)
    notes.raised = int((gross < exports).sum())
    notes.raised_total = float(np.clip(exports - gross, 0.0, None).sum())
    gross = np.maximum(gross, exports)
    flow[:, diag, diag] = gross - exports

    share = _io_shares(raw["io_coefficients"], r_ix, regions, notes)
    no_inputs = (share.sum(axis=1).T == 0) & (va_share < 1)
    notes.no_inputs = int(no_inputs.sum())
    va_share = np.where(no_inputs, 1.0, va_share)
    va = va_share * gross
    purchases = share * ((1.0 - va_share) * gross).T[:, None, :]  # [region, input k, output s]

    absorption = (flow * (1.0 + tau)).sum(axis=2)  # [k, region]
    final = absorption - purchases.sum(axis=2).T
    negative = final < 0
    notes.over = {
        regions[n]: [SECTOR_CODES[k] for k in np.flatnonzero(negative[:, n])]
        for n in range(n_r)
        if negative[:, n].any()
    }
    final = np.where(negative, 0.0, final)
    theta_s = sectors["theta"].to_numpy(dtype=np.float64)
    table1 = read_table1(Path(src))
    se_s = np.zeros(n_s)
    for k, name in enumerate(sectors["sector"].astype(str)):
        row = table1[table1["name"] == name]
        if len(row) and abs(float(row["theta"].iat[0]) - theta_s[k]) < TABLE1_MATCH:
            se_s[k] = float(row["se"].iat[0])
    return Cp2015Source(
        regions=regions,
        region_names=tuple(
            "Rest of the world" if c == "ROW" else str(x)
            for c, x in zip(regions, countries["name"], strict=True)
        ),
        sector_names=tuple(str(x) for x in sectors["sector"]),
        theta_s=theta_s,
        se_s=se_s,
        tradable_s=sectors["tradable"].to_numpy() == 1,
        flow_sni=flow,
        tau_sni=tau,
        va_sn=va,
        purchases_nks=purchases,
        alpha_sn=final / final.sum(axis=0, keepdims=True),
        notes=_describe(notes, float(gross.sum())),
    )


def cp2015_world(
    source: Cp2015Source,
    *,
    flow_sni: np.ndarray,
    va_sn: np.ndarray,
    purchases_nks: np.ndarray,
    equilibrium_note: str,
) -> World:
    """The checked ``cp2015`` world from equilibrium flows, value added and purchases."""
    description = (
        _para(
            "Caliendo & Parro (2015) NAFTA baseline: 30 countries and the rest of the world, "
            "40 sectors (20 tradable goods, 20 services traded only at home), 1993, with the "
            "1993 applied tariffs. Built as the authors build their base year: trade flows at "
            "world prices net of tariffs, domestic sales = gross output - exports, value added "
            "= VA share x gross output, input purchases = io share x (1 - VA share) x gross "
            "output; then, because these data are not an equilibrium of the model, the model "
            "is solved with the 1993 policy and the observed trade deficits, and that "
            "equilibrium is the world (the authors' script does the same before their "
            "counterfactuals). Trade elasticities as in the authors' counterfactuals (8.22 "
            "for Auto, Other Transport and services); their standard errors (theta_se) "
            "are Table 1's (99% sample) where the elasticity is Table 1's estimate, and "
            "the other elasticities are held fixed in elasticity draws."
        )
        + "\n\nAdjustments to the source data (sizes relative to world gross output):\n"
        + "\n".join(_para(item, "- ") for item in source.notes[:-1])
        + source.notes[-1]
        + "\n"
        + _para(equilibrium_note, "- ")
    )
    world = World(
        name="cp2015",
        year=1993,
        tariffs="applied in 1993 (Caliendo and Parro's data)",
        currency="USD million",
        description=description,
        sources=SOURCES,
        regions=pd.DataFrame({"region": source.regions, "name": source.region_names}),
        sectors=pd.DataFrame(
            {"sector": SECTOR_CODES, "name": source.sector_names, "theta": source.theta_s}
        ),
        theta_se=pd.DataFrame(
            {
                "sector": [c for c, se in zip(SECTOR_CODES, source.se_s, strict=True) if se > 0],
                "estimate": [
                    table1_estimate(n)
                    for n, se in zip(source.sector_names, source.se_s, strict=True)
                    if se > 0
                ],
                "se": source.se_s[source.se_s > 0],
            }
        ),
        **_long_tables(
            source.regions, source.tradable_s, flow_sni, source.tau_sni, va_sn, purchases_nks
        ),
    )
    return check_world(world)


def _io_shares(
    io: pd.DataFrame, r_ix: dict[str, int], regions: tuple[str, ...], notes: _Adjustments
) -> np.ndarray:
    """Input shares [region, input k, output s]: negatives dropped, columns summing to one."""
    n_r, n_s = len(regions), len(SECTOR_CODES)
    share = np.zeros((n_r, n_s, n_s))
    share[
        io["country"].map(r_ix).to_numpy(),
        io["input_sector_idx"].to_numpy() - 1,
        io["output_sector_idx"].to_numpy() - 1,
    ] = io["io_share"].to_numpy()
    negative = share < 0
    notes.negative_shares = [
        f"{regions[n]} {SECTOR_CODES[k]}->{SECTOR_CODES[s]} ({share[n, k, s]:.6g})"
        for n, k, s in zip(*np.nonzero(negative), strict=True)
    ]
    share[negative] = 0.0
    col = share.sum(axis=1, keepdims=True)  # [region, 1, output s]
    notes.rescaled = int(((col != 1.0) & (col > 0)).sum())
    rounded = (col > 0) & ~negative.any(axis=1, keepdims=True)
    notes.rescale_dev = float(np.abs(col - 1.0)[rounded].max(initial=0.0))
    return np.divide(share, col, out=np.zeros_like(share), where=col > 0)


def _long_tables(
    regions: tuple[str, ...],
    tradable: np.ndarray,
    flow: np.ndarray,
    tau: np.ndarray,
    va: np.ndarray,
    purchases: np.ndarray,
) -> dict[str, pd.DataFrame]:
    """Arrays → the long ``trade``, ``value_added`` and ``io`` tables."""
    r, c = np.asarray(regions), np.asarray(SECTOR_CODES)
    n_s, n_r = len(c), len(r)
    ss, nn, ii = np.meshgrid(np.arange(n_s), np.arange(n_r), np.arange(n_r), indexing="ij")
    # Every tradable cell (zero flows keep their tariff); services only at home.
    keep = tradable[ss] | (nn == ii)
    rr, kk, oo = np.nonzero(purchases > 0)
    return {
        "trade": pd.DataFrame(
            {
                "exporter": r[ii[keep]],
                "importer": r[nn[keep]],
                "sector": c[ss[keep]],
                "value": flow[keep],
                "tariff": tau[keep],
            }
        ),
        "value_added": pd.DataFrame(
            {"region": np.repeat(r, n_s), "sector": np.tile(c, n_r), "value": va.T.reshape(-1)}
        ),
        "io": pd.DataFrame(
            {
                "region": r[rr],
                "input_sector": c[kk],
                "output_sector": c[oo],
                "value": purchases[rr, kk, oo],
            }
        ),
    }


def _para(text: str, indent: str = "") -> str:
    return textwrap.fill(text, width=92, initial_indent=indent, subsequent_indent="  ")


def _describe(notes: _Adjustments, world_gross: float) -> tuple[str, ...]:
    """One sentence per cleaning step; the last entry lists the zero final-demand cells."""
    n_over = sum(map(len, notes.over.values()))
    cells = "".join(f"\n    {r}: {' '.join(codes)}" for r, codes in notes.over.items())
    return (
        f"as the authors do, gross output raised to exports in {notes.raised} cells "
        f"(+{notes.raised_total / world_gross:.3g} in total);",
        f"negative io shares set to zero: {', '.join(notes.negative_shares) or 'none'};",
        f"io columns rescaled to sum to one in {notes.rescaled} region-sector cells (the "
        f"published shares are rounded: largest correction {notes.rescale_dev:.2g} outside "
        "columns that lost a negative share);",
        f"value added set to gross output in {notes.no_inputs} cells that buy no inputs but "
        "had a VA share below one;",
        f"intermediate use above absorption in {n_over} region-good cells: as the authors "
        "do, their final-demand shares are set to zero. Cells:",
        cells,
    )


def nafta_scenario_yaml(src: Path) -> str:
    """The built-in scenario ``cp2015-nafta`` (YAML text): NAFTA partners' 2005 tariffs.

    One ``tariff`` measure with ``mode: set`` per NAFTA importer, NAFTA exporter and
    tradable sector whose 2005 rate differs from the 1993 rate, at the 2005 rate.
    """
    raw = _read(Path(src))
    codes = dict(zip(raw["sectors"]["idx"], SECTOR_CODES, strict=True))
    t = raw["trade_tariffs"]
    lines = [
        "# NAFTA tariff changes of Caliendo & Parro (2015), 'Estimates of the Trade and",
        "# Welfare Effects of NAFTA', Review of Economic Studies 82(1), Table 2: each NAFTA",
        "# member's applied tariff on the other two members' goods goes from its 1993 to its",
        "# 2005 level (TRAINS/WITS); all other tariffs stay at 1993 levels. Generated by",
        "# truce.data.sources.cp2015.nafta_scenario_yaml from the authors' supplementary",
        "# data; do not edit by hand.",
        "name: cp2015-nafta",
        "description: >-",
        "  NAFTA: the United States, Canada and Mexico cut their tariffs on each other from",
        "  1993 to 2005 levels (Caliendo and Parro 2015, Table 2; trade deficits closed).",
        "world: cp2015",
        "options:",
        "  deficits: zero",
        "measures:",
    ]
    for importer in NAFTA:
        for exporter in NAFTA:
            if importer == exporter:
                continue
            pair = t[(t["importer"] == importer) & (t["exporter"] == exporter)]
            pair = pair.sort_values("sector_idx")
            changed = pair[pair["tariff_2005_pct"] != pair["tariff_1993_pct"]]
            for _, row in changed.iterrows():
                rate = round(float(row["tariff_2005_pct"]) / 100, 12)
                lines += [
                    "  - kind: tariff",
                    f"    by: {importer}",
                    f"    on: {exporter}",
                    f"    sectors: {codes[int(row['sector_idx'])]}",
                    f"    rate: {rate!r}",
                    "    mode: set",
                ]
    return "\n".join(lines) + "\n"
