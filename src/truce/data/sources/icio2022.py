"""OECD ICIO 2022 flows and tariffs + ICIO 2020 IO parameters → the built-in world ``default``.

Source folders under a data directory (the data sets of docs/sources.md):

- ``icio2022_lashkaripour/``: ``icio2022_flows_tariffs.npz`` with ``flows_musd``
  [origin, destination, sector] (81 economies × 28 sectors, US$ million, domestic sales
  on the diagonal) and ``tariff`` [exporter, importer, sector] (Teti 2021 applied
  rates); ``sectors_elasticities.csv`` with trade elasticities from eight sources.
- ``icio2020_io_params/``: ``icio2020_io_params.npz`` with ``io_cost_share``
  [input k, country, output j], ``va_share`` [sector, country] and
  ``final_demand_share`` [sector, country] for 77 economies × 45 ISIC sectors.

The construction, step by step (:func:`icio2022_world`):

1. clean the source (services tariffs, food-tariff artefacts, negatives; the four
   economies the 2020 file folds into its ROW take ROW's parameters);
2. map the 45 IO sectors onto the 28 ICIO-2022 sectors (:data:`IO_CONCORDANCE`);
3. add the tariff measures in force at the baseline date (a ``policy`` function,
   by default :func:`truce.data.sources.trade_war.add_trade_war_tariffs`);
4. value added and input purchases per economy (shares × its gross output);
5. aggregate economies into regions (:data:`DEFAULT_REGIONS`, all 81, or a CSV);
6. balance: where intermediate use of a good exceeds its absorption, scale those
   purchases down and move the difference into value added.  Trade flows are never
   changed.

Every step that alters the data is counted and sized in the world's description.
"""

from __future__ import annotations

import csv
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeAlias, get_args, runtime_checkable

import numpy as np
import pandas as pd

from truce._types import DEFAULT_ELASTICITIES, ELASTICITY_CHOICES, ElasticityChoice
from truce.data.sources.cp2015 import TABLE1_MATCH, read_table1, table1_estimate
from truce.data.sources.households import HOUSEHOLDS_SOURCE, region_households
from truce.data.sources.trade_war import add_trade_war_tariffs, world_layers_table
from truce.data.world import World, check_world
from truce.errors import InputError, WorldError

FLOWS_FILE = Path("icio2022_lashkaripour") / "icio2022_flows_tariffs.npz"
ELASTICITIES_FILE = Path("icio2022_lashkaripour") / "sectors_elasticities.csv"
IO_FILE = Path("icio2020_io_params") / "icio2020_io_params.npz"

SERVICES = "SVC"
"""Code of the services aggregate (the source labels it "Services (aggregate)")."""

SECTORS: tuple[tuple[str, str], ...] = (
    ("A01", "Crop and animal production, hunting and related service activities"),
    ("A02", "Forestry and logging"),
    ("A03", "Fishing and aquaculture"),
    ("B05", "Mining of coal and lignite"),
    ("B06", "Extraction of crude petroleum and natural gas"),
    ("B07", "Mining of metal ores"),
    ("B08", "Other mining and quarrying"),
    ("B09", "Mining support service activities"),
    ("C10T12", "Food products, beverages and tobacco"),
    ("C13T15", "Textiles, textile products, leather and footwear"),
    ("C16", "Wood and products of wood and cork"),
    ("C17_18", "Paper products and printing"),
    ("C19", "Coke and refined petroleum products"),
    ("C20", "Chemicals and chemical products"),
    ("C21", "Pharmaceuticals, medicinal chemical and botanical products"),
    ("C22", "Rubber and plastics products"),
    ("C23", "Other non-metallic mineral products"),
    ("C24A", "Basic iron and steel"),
    ("C24B", "Basic precious and other non-ferrous metals"),
    ("C25", "Fabricated metal products"),
    ("C26", "Computer, electronic and optical equipment"),
    ("C27", "Electrical equipment"),
    ("C28", "Machinery and equipment, nec"),
    ("C29", "Motor vehicles, trailers and semi-trailers"),
    ("C301", "Building of ships and boats"),
    ("C302T309", "Other transport equipment (railway, air and spacecraft, military, nec)"),
    ("C31T33", "Manufacturing nec; repair and installation of machinery and equipment"),
    (SERVICES, "Services (aggregate)"),
)
"""The 28 ICIO-2022 sectors in source order (OECD ICIO 2023 edition titles)."""

SECTOR_CODES: tuple[str, ...] = tuple(code for code, _ in SECTORS)

CP_TABLE1_FOLDER = Path("cp2015_nafta_1993")
"""Where the estimates behind Caliendo-Parro Table 1 are, under the data folder."""

CP_TABLE1_SECTORS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("A01", "A02", "A03"), ("Agriculture",)),
    **dict.fromkeys(("B05", "B06", "B07", "B08", "B09"), ("Mining",)),
    "C10T12": ("Food",),
    "C13T15": ("Textile",),
    **dict.fromkeys(("C16", "C17_18"), ("Wood", "Paper")),
    "C19": ("Petroleum",),
    **dict.fromkeys(("C20", "C21"), ("Chemicals",)),
    **dict.fromkeys(("C22", "C23"), ("Plastic", "Minerals")),
    **dict.fromkeys(("C24A", "C24B"), ("Basic metals",)),
    "C25": ("Metal products",),
    "C26": ("Office", "Communication", "Medical"),
    "C27": ("Electrical",),
    "C28": ("Machinery n.e.c.",),
    **dict.fromkeys(("C29", "C301", "C302T309"), ("Auto", "Other Transport")),
    "C31T33": ("Other", "Medical"),
}
"""ICIO sector → the Table 1 sectors whose mean estimate is its ``cp`` elasticity, as
the tariffwar package maps them (checked against the package's numbers when a world is
built); the services aggregate has no Table 1 estimate."""
FOOD = "C10T12"

IO_CONCORDANCE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("A01_02", ("A01", "A02")),
    ("A03", ("A03",)),
    ("B05_06", ("B05", "B06")),
    ("B07_08", ("B07", "B08")),
    ("B09", ("B09",)),
    *((c, (c,)) for c in ("C10T12", "C13T15", "C16", "C17_18", "C19", "C20", "C21", "C22")),
    ("C23", ("C23",)),
    ("C24", ("C24A", "C24B")),
    *((c, (c,)) for c in ("C25", "C26", "C27", "C28", "C29")),
    ("C30", ("C301", "C302T309")),
    ("C31T33", ("C31T33",)),
    *(
        (c, (SERVICES,))
        for c in (
            "D", "E", "F", "G", "H49", "H50", "H51", "H52", "H53", "I", "J58T60", "J61",
            "J62_63", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T",
        )
    ),
)  # fmt: skip
"""The 45 ISIC Rev.4 sectors of the ICIO 2020 IO parameters → the 28 ICIO-2022 sectors.

One-to-one rows copy. One-to-many rows (A01_02, B05_06, B07_08, C24, C30): as *output*
sectors, each 2022 sector takes the 2020 sector's cost and value-added shares as they
are; as *inputs*, the 2020 cost share is split among the 2022 sectors in proportion to
the using economy's 2022 absorption of each (at world prices; equal split if it absorbs
none).  Many-to-one rows (the 23 services D…T → SVC): as inputs, cost shares are summed;
as outputs, SVC's shares are a weighted average of the 23 services' shares, weighted by
their 2020 final-demand shares in that economy (a proxy for size: the 2022 flows have
no gross output below SVC and the 2020 file has no levels; equal weights if all are 0).
"""

EU27: tuple[str, ...] = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE",
)  # fmt: skip
"""The 27 members of the European Union (since 2020)."""

ASEAN_REST: tuple[str, ...] = ("BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA")
"""ASEAN members in the data other than Viet Nam (VNM is a region of its own)."""

DEFAULT_REGIONS: tuple[str, ...] = (
    "USA", "CHN", "EU27", "JPN", "KOR", "TWN", "VNM", "MEX", "CAN", "IND", "BRA", "GBR",
    "ASEAN", "ROW",
)  # fmt: skip
"""Regions of the default mapping, in order; every other economy (HKG included) is ROW."""

ECONOMY_NAMES: dict[str, str] = {
    "AGO": "Angola", "ARE": "United Arab Emirates", "ARG": "Argentina", "AUS": "Australia",
    "AUT": "Austria", "BEL": "Belgium", "BGD": "Bangladesh", "BGR": "Bulgaria",
    "BLR": "Belarus", "BRA": "Brazil", "BRN": "Brunei Darussalam", "CAN": "Canada",
    "CHE": "Switzerland", "CHL": "Chile", "CHN": "China", "CIV": "Côte d'Ivoire",
    "CMR": "Cameroon", "COD": "Congo, Democratic Republic", "COL": "Colombia",
    "CRI": "Costa Rica", "CYP": "Cyprus", "CZE": "Czechia", "DEU": "Germany", "DNK": "Denmark",
    "EGY": "Egypt", "ESP": "Spain", "EST": "Estonia", "FIN": "Finland", "FRA": "France",
    "GBR": "United Kingdom", "GRC": "Greece", "HKG": "Hong Kong, China", "HRV": "Croatia",
    "HUN": "Hungary", "IDN": "Indonesia", "IND": "India", "IRL": "Ireland", "ISL": "Iceland",
    "ISR": "Israel", "ITA": "Italy", "JOR": "Jordan", "JPN": "Japan", "KAZ": "Kazakhstan",
    "KHM": "Cambodia", "KOR": "Korea, Republic of", "LAO": "Lao People's Democratic Republic",
    "LTU": "Lithuania", "LUX": "Luxembourg", "LVA": "Latvia", "MAR": "Morocco", "MEX": "Mexico",
    "MLT": "Malta", "MMR": "Myanmar", "MYS": "Malaysia", "NGA": "Nigeria", "NLD": "Netherlands",
    "NOR": "Norway", "NZL": "New Zealand", "PAK": "Pakistan", "PER": "Peru",
    "PHL": "Philippines", "POL": "Poland", "PRT": "Portugal", "ROU": "Romania",
    "RUS": "Russian Federation", "SAU": "Saudi Arabia", "SEN": "Senegal", "SGP": "Singapore",
    "STP": "São Tomé and Príncipe", "SVK": "Slovakia", "SVN": "Slovenia", "SWE": "Sweden",
    "THA": "Thailand", "TUN": "Tunisia", "TUR": "Türkiye", "TWN": "Chinese Taipei (Taiwan)",
    "UKR": "Ukraine", "USA": "United States", "VNM": "Viet Nam", "ZAF": "South Africa",
    "ROW": "Rest of the world",
}  # fmt: skip
"""Readable names of the 81 ICIO-2022 economies (OECD/UN short names)."""

GROUP_NAMES: dict[str, str] = {
    "EU27": "European Union (27 members)",
    "ASEAN": "Rest of ASEAN (ASEAN members other than Viet Nam)",
    "ROW": "Rest of the world",
}

Elasticities: TypeAlias = ElasticityChoice

ELASTICITY_SOURCES: dict[str, tuple[str, str]] = {
    "is": (
        "eps_IS",
        "A. Lashkaripour, tariffwar package: in-sample trade elasticities estimated on the "
        "package's ICIO data (Caliendo-Parro-style estimates)",
    ),
    "u4": (
        "eps_U4",
        "Uniform trade elasticity of 4 (Simonovska, I. and M. Waugh (2014), 'The elasticity "
        "of trade: Estimates and evidence', Journal of International Economics 92(1): 34-50)",
    ),
    "cp": (
        "eps_CP",
        "Caliendo, L. and F. Parro (2015), 'Estimates of the Trade and Welfare Effects of "
        "NAFTA', Review of Economic Studies 82(1): 1-44, Table 1",
    ),
    "bsy": (
        "eps_BSY",
        "Bagwell, K., R. Staiger and A. Yurukoglu (2021), 'Quantitative Analysis of "
        "Multiparty Tariff Negotiations', Econometrica 89(4): 1595-1631",
    ),
    "gyy": (
        "eps_GYY",
        "Giri, R., K.-M. Yi and H. Yilmazkuday (2021), 'Gains from trade: Does sectoral "
        "heterogeneity matter?', Journal of International Economics 129: 103429",
    ),
    "shapiro": (
        "eps_Shap",
        "Shapiro, J. (2016), 'Trade Costs, CO2, and the Environment', American Economic "
        "Journal: Economic Policy 8(4): 220-254",
    ),
    "fontagne": (
        "eps_FGO",
        "Fontagné, L., H. Guimbard and G. Orefice (2022), 'Tariff-based product-level trade "
        "elasticities', Journal of International Economics 137: 103593",
    ),
    "ll": (
        "eps_LL",
        "Lashkaripour, A. and V. Lugovskyy (2023), 'Profits, Scale Economies, and the Gains "
        "from Trade and Industrial Policy', American Economic Review 113(10): 2759-2808",
    ),
}
"""``--elasticities`` choice → (column of sectors_elasticities.csv, the source paper)."""

MEDIAN = "median"
"""The per-sector median of the published sources above (:func:`elasticities_table`)."""
MEDIAN_SOURCE = (
    "Per-sector median of the eight published sources (is, u4, cp, bsy, gyy, shapiro, fontagne, ll)"
)

if set(ELASTICITY_CHOICES) != {*ELASTICITY_SOURCES, MEDIAN}:  # one list, spelt twice
    raise ImportError("truce._types.ELASTICITY_CHOICES and ELASTICITY_SOURCES disagree")
SE_SOURCE: Elasticities = "cp"
#: The tariffs of the default world's base, in words (world.toml ``tariffs``): what its
#: results are measured against.
BASE_TARIFFS = (
    "in force on 20 January 2025 (2021 applied rates plus the US-China trade-war tariffs)"
)
"""The one source with standard errors (Caliendo-Parro's Table 1): the ``theta_se``
table belongs to it, whichever source a world uses."""

FOOD_CAP = 0.5
"""Food (C10T12) tariffs above this are treated as aggregation artefacts."""


@runtime_checkable
class TariffPolicy(Protocol):
    """Adds baseline tariff measures: ``(tariff_eis, countries, sectors, *, flows_eis)``.

    Returns the new [exporter, importer, sector] tariff array and description lines;
    :func:`truce.data.sources.trade_war.add_trade_war_tariffs` is the default.
    """

    def __call__(
        self,
        tariff_eis: np.ndarray,
        countries: Sequence[str],
        sectors: Sequence[str],
        *,
        flows_eis: np.ndarray,
    ) -> tuple[np.ndarray, list[str]]: ...


SOURCES_BASE: tuple[str, ...] = (
    "OECD Inter-Country Input-Output (ICIO) tables, 2023 edition, year 2022 (extended "
    "version): bilateral flows by sector, via A. Lashkaripour's tariffwar package "
    "(github.com/ahmadlp/tariffwar, mat/ICIO2022.mat)",
    "OECD ICIO tables, 2023 edition, year 2020 (45 ISIC Rev.4 sectors): input-output cost "
    "shares, value-added shares and final-demand shares, via M. Murillo's trade_simulator "
    "(github.com/matthew-murillo/trade_simulator, output/p.npy)",
    "Teti, F. (2024), Global Tariff Database (v_beta1-2024-12): applied tariffs, 2021, as "
    "mapped to ICIO sectors by the tariffwar package",
)
FACTS_SOURCE = (
    "US-China trade measures 2018-2025 (project facts file us-china-measures.md: "
    "USTR Section 301 lists, China's retaliation lists, PIIE (C. Bown) 'US-China Trade War "
    "Tariffs: An Up-to-Date Chart')"
)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Icio2022Source:
    """The cleaned source at the economy level, before region aggregation (US$ million)."""

    economies: tuple[str, ...]
    flow_eis: np.ndarray
    """[exporter, importer, sector] at world prices; diagonal = domestic sales."""
    tariff_eis: np.ndarray
    """[exporter, importer, sector] ad-valorem, cleaned, policy added."""
    va_es: np.ndarray
    """[economy, sector] value added = VA share × gross output."""
    purchases_ekj: np.ndarray
    """[economy, input k, output j] purchases = cost share × gross output of j."""
    theta_s: np.ndarray
    elasticities: str
    notes: tuple[str, ...]
    """Cleaning and IO-mapping steps with their sizes, one sentence each."""
    policy_notes: tuple[str, ...]
    """The description lines the tariff policy returned."""


def _load_npz(path: Path, keys: Sequence[str]) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise WorldError(f"{path}: missing (expected in the data folder, see docs/sources.md)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in keys if k not in npz.files]
            if missing:
                raise WorldError(f"{path}: missing array(s) {', '.join(missing)}")
            return {k: np.asarray(npz[k]) for k in keys}
    except (OSError, ValueError) as err:
        raise WorldError(f"{path}: cannot be read: {err}") from None


def _elasticity_column(data_dir: Path, elasticities: str) -> np.ndarray:
    if elasticities == MEDIAN:
        columns = [_elasticity_column(data_dir, source) for source in ELASTICITY_SOURCES]
        return np.median(np.stack(columns), axis=0)
    path = data_dir / ELASTICITIES_FILE
    column = ELASTICITY_SOURCES[elasticities][0]
    if not path.is_file():
        raise WorldError(f"{path}: missing (expected in the data folder, see docs/sources.md)")
    table = pd.read_csv(path)
    if column not in table.columns or len(table) != len(SECTORS):
        raise WorldError(f"{path}: expected {len(SECTORS)} rows and a column {column}")
    theta = table.sort_values("idx")[column].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(theta) & (theta > 0)):
        raise WorldError(f"{path}: column {column} must hold positive numbers")
    return theta


def elasticity_citation(elasticities: str) -> str:
    """Where the elasticities of a ``--elasticities`` choice come from."""
    return MEDIAN_SOURCE if elasticities == MEDIAN else ELASTICITY_SOURCES[elasticities][1]


def elasticities_table(data_dir: Path) -> pd.DataFrame:
    """Every source's elasticity for every sector (``source``, ``sector``, ``theta``; the
    world table ``elasticities``), the per-sector median last."""
    return pd.DataFrame(
        [
            {"source": source, "sector": code, "theta": float(theta)}
            for source in (*ELASTICITY_SOURCES, MEDIAN)
            for code, theta in zip(SECTOR_CODES, _elasticity_column(data_dir, source), strict=True)
        ]
    )


def check_elasticities(elasticities: str) -> Elasticities:
    """``elasticities`` if it is a known source, else :class:`~truce.errors.InputError`."""
    if elasticities not in (*ELASTICITY_SOURCES, MEDIAN):
        known = ", ".join(get_args(Elasticities))
        raise InputError(
            f"unknown elasticity source {elasticities!r}: choose one of {known} "
            f"(default {DEFAULT_ELASTICITIES})"
        )
    return elasticities  # type: ignore[return-value]


def read_icio2022(
    data_dir: str | os.PathLike[str],
    *,
    elasticities: str = DEFAULT_ELASTICITIES,
    policy: TariffPolicy,
) -> Icio2022Source:
    """Read and clean the two sources, add ``policy``'s tariffs, and compute VA and purchases.

    Everything stays at the level of the 81 economies.  Raises
    :class:`~truce.errors.WorldError` for missing or malformed files and
    :class:`~truce.errors.InputError` for an unknown elasticity source.
    """
    check_elasticities(elasticities)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise WorldError(f"{data_dir}: no such data folder")
    raw = _load_npz(data_dir / FLOWS_FILE, ("flows_musd", "tariff", "countries", "sectors"))
    io = _load_npz(
        data_dir / IO_FILE,
        ("io_cost_share", "va_share", "final_demand_share", "countries", "sectors"),
    )
    theta = _elasticity_column(data_dir, elasticities)

    economies = tuple(str(c) for c in raw["countries"])
    flow = np.array(raw["flows_musd"], dtype=np.float64)
    tariff = np.array(raw["tariff"], dtype=np.float64)
    n_e, n_s = len(economies), len(SECTORS)
    if flow.shape != (n_e, n_e, n_s) or tariff.shape != flow.shape:
        raise WorldError(
            f"{data_dir / FLOWS_FILE}: expected flows and tariffs of shape {(n_e, n_e, n_s)}"
        )
    source_sectors = [str(s) for s in raw["sectors"]]
    if source_sectors[:-1] != list(SECTOR_CODES[:-1]) or economies[-1] != "ROW":
        raise WorldError(f"{data_dir / FLOWS_FILE}: unexpected sector or country labels")
    unnamed = [e for e in economies if e not in ECONOMY_NAMES]
    if unnamed:
        raise WorldError(f"{data_dir / FLOWS_FILE}: unknown economies {', '.join(unnamed)}")

    notes: list[str] = []
    s_ix = {c: k for k, c in enumerate(SECTOR_CODES)}
    svc, food = s_ix[SERVICES], s_ix[FOOD]
    diag = np.arange(n_e)

    # Negatives (the converter already set them to zero; counted here to be sure).
    negatives = {
        "flows": int((flow < 0).sum()),
        "tariffs": int((tariff < 0).sum()),
        "IO cost shares": int((io["io_cost_share"] < 0).sum()),
        "value-added shares": int((io["va_share"] < 0).sum()),
        "final-demand shares": int((io["final_demand_share"] < 0).sum()),
    }
    negative_size = float(-flow[flow < 0].sum())
    flow = np.clip(flow, 0.0, None)
    tariff = np.clip(tariff, 0.0, None)
    tariff[diag, diag, :] = 0.0
    counted = ", ".join(f"{v} in {k}" for k, v in negatives.items())
    notes.append(
        f"negative values set to 0: {counted}"
        + (f" (flows: US$ {negative_size:,.1f} million)" if negatives["flows"] else "")
        + ";"
    )

    # Services: the concordance gives the services aggregate tariffs; services trade
    # carries none.
    services_cells = int((tariff[:, :, svc] > 0).sum())
    services_max = float(tariff[:, :, svc].max())
    services_revenue = float((flow[:, :, svc] * tariff[:, :, svc]).sum())
    tariff[:, :, svc] = 0.0
    notes.append(
        f"services tariffs set to 0 in {services_cells} exporter-importer cells (up to "
        f"{services_max:.1%}; US$ {services_revenue / 1e3:,.1f} bn of implied revenue);"
    )

    # Food: rates above FOOD_CAP are aggregation artefacts (tobacco and alcohol specific
    # duties averaged into the whole sector); each importer's are replaced by its
    # trade-weighted average over its other partners.
    notes.append(_clean_food(flow, tariff, economies, food))

    cost_ekj, va_share_ej, io_notes = _io_parameters(io, economies, flow)
    notes.extend(io_notes)

    tariff, policy_notes = policy(tariff.copy(), economies, SECTOR_CODES, flows_eis=flow)
    tariff = np.asarray(tariff, dtype=np.float64)
    if tariff.shape != flow.shape or not np.all(np.isfinite(tariff)) or (tariff < 0).any():
        raise WorldError("the tariff policy returned an array of the wrong shape or values")
    if np.any(tariff[diag, diag, :] != 0):
        raise WorldError("the tariff policy put a tariff on domestic sales")

    gross_es = flow.sum(axis=1)
    return Icio2022Source(
        economies=economies,
        flow_eis=flow,
        tariff_eis=tariff,
        va_es=va_share_ej * gross_es,
        purchases_ekj=cost_ekj * gross_es[:, None, :],
        theta_s=theta,
        elasticities=elasticities,
        notes=tuple(notes),
        policy_notes=tuple(policy_notes),
    )


def _clean_food(flow: np.ndarray, tariff: np.ndarray, economies: Sequence[str], food: int) -> str:
    """Replace food tariffs above :data:`FOOD_CAP` in place; describe what changed."""
    n_e = len(economies)
    rate = tariff[:, :, food]  # [exporter, importer], a view
    weight = flow[:, :, food].copy()
    weight[np.arange(n_e), np.arange(n_e)] = 0.0
    # ROW pairs carry no tariff at all in the source (no data): they are not evidence of
    # a zero rate, so they do not enter the averages.
    row = economies.index("ROW")
    high = rate > FOOD_CAP
    replaced: list[str] = []
    for n in np.flatnonzero(high.any(axis=0)):
        ok = ~high[:, n]
        ok[[n, row]] = False
        w = weight[ok, n]
        new = float((rate[ok, n] * w).sum() / w.sum()) if w.sum() > 0 else float(rate[ok, n].mean())
        cells = high[:, n]
        replaced.append(
            f"{economies[n]} {int(cells.sum())} cells (up to {rate[cells, n].max():.0%}) -> "
            f"{new:.1%}"
        )
        rate[cells, n] = new
    affected = float(flow[:, :, food][high].sum())
    return (
        f"food (C10T12) tariffs above {FOOD_CAP:.0%} treated as aggregation artefacts: "
        f"{int(high.sum())} cells (US$ {affected / 1e3:,.1f} bn of imports) set to the "
        "importer's trade-weighted average food tariff over its other partners (ROW pairs, "
        f"which carry no tariff data, left out): {'; '.join(replaced) or 'none'};"
    )


def _io_parameters(
    io: dict[str, np.ndarray], economies: Sequence[str], flow: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Cost shares [economy, input k, output j] and VA shares [economy, j] on 28 sectors."""
    io_sectors = [str(s) for s in io["sectors"]]
    io_countries = [str(c) for c in io["countries"]]
    if io_sectors != [s for s, _ in IO_CONCORDANCE]:
        raise WorldError(f"{IO_FILE}: sectors differ from the concordance's 45 ISIC sectors")
    unknown = [c for c in io_countries if c not in economies]
    if unknown:
        raise WorldError(f"{IO_FILE}: economies not in the ICIO 2022 data: {', '.join(unknown)}")
    n_e, n_s, n_k = len(economies), len(SECTOR_CODES), len(io_sectors)
    c_ix = {c: k for k, c in enumerate(io_countries)}
    folded = [e for e in economies if e not in c_ix]
    at = np.array([c_ix.get(e, c_ix["ROW"]) for e in economies])

    cost = np.asarray(io["io_cost_share"], dtype=np.float64).clip(0.0, None)[:, at, :]
    cost = np.transpose(cost, (1, 0, 2))  # [economy, k45, j45]
    va = np.asarray(io["va_share"], dtype=np.float64).clip(0.0, None)[:, at].T  # [e, j45]
    fd = np.asarray(io["final_demand_share"], dtype=np.float64).clip(0.0, None)[:, at].T
    # Columns must add up to one (they do in the source, to rounding).
    total = cost.sum(axis=1) + va
    off = np.abs(total - 1.0) > 1e-12
    cost = np.where(off[:, None, :], cost / np.where(total > 0, total, 1.0)[:, None, :], cost)
    va = np.where(off, va / np.where(total > 0, total, 1.0), va)

    s_ix = {c: k for k, c in enumerate(SECTOR_CODES)}
    absorbed = flow.sum(axis=0)  # [importer, sector] at world prices
    out_w = np.zeros((n_e, n_k, n_s))  # weight of 45-sector column j in 28-sector column
    in_w = np.zeros((n_e, n_k, n_s))  # share of 45-sector input k going to 28-sector input
    services = [k for k, (_, to) in enumerate(IO_CONCORDANCE) if to == (SERVICES,)]
    w_svc = fd[:, services]
    no_weight = w_svc.sum(axis=1) <= 0
    w_svc[no_weight] = 1.0
    out_w[:, services, s_ix[SERVICES]] = w_svc / w_svc.sum(axis=1, keepdims=True)
    for k, (_, targets) in enumerate(IO_CONCORDANCE):
        cols = [s_ix[t] for t in targets]
        if targets != (SERVICES,):
            out_w[:, k, cols] = 1.0
        part = absorbed[:, cols]
        total_part = part.sum(axis=1, keepdims=True)
        even = np.full_like(part, 1.0 / len(cols))
        in_w[:, k, cols] = np.where(
            total_part > 0, part / np.where(total_part > 0, total_part, 1.0), even
        )
    cost_out = np.einsum("ekj,ejs->eks", cost, out_w)
    cost28 = np.einsum("ekj,ekt->etj", cost_out, in_w)
    va28 = np.einsum("ej,ejs->es", va, out_w)

    splits = [f"{src}->{'/'.join(to)}" for src, to in IO_CONCORDANCE if len(to) > 1]
    notes = [
        f"the IO parameters are those of 2020 (OECD ICIO, 45 ISIC sectors), not 2022; "
        f"{', '.join(folded)} sit inside the 2020 file's ROW and take ROW's IO and value-added "
        f"shares; {len(folded)} economies in all;",
        "the 45 sectors are mapped onto the 28 of the 2022 flows: where one 2020 sector maps "
        f"onto several ({', '.join(splits)}), each 2022 sector takes its cost and value-added "
        "shares as they are, and as an input its cost share is split in proportion to the "
        "using economy's absorption of each part; the 23 service sectors D-T form SVC: as "
        "inputs their cost shares are summed; as an output, SVC's shares average theirs "
        "weighted by each economy's 2020 final-demand shares of the 23 services (an "
        "assumption: a proxy for their size, as no gross output below SVC is available)"
        + (
            f"; equal weights for {int(no_weight.sum())} economies without"
            if no_weight.any()
            else ""
        )
        + (f"; {int(off.sum())} IO columns rescaled to sum to one" if off.any() else "")
        + ";",
    ]
    return cost28, va28, notes


# --------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class RegionMapping:
    """Economy → region, the regions in order and their readable names."""

    regions: tuple[str, ...]
    names: tuple[str, ...]
    region_of: dict[str, str]
    label: str
    """How the mapping was chosen, for the description."""


def region_mapping(spec: str | os.PathLike[str], economies: Sequence[str]) -> RegionMapping:
    """``default``, ``all``, or a CSV file (columns ``economy``, ``region``, optional ``name``).

    Raises :class:`~truce.errors.WorldError` naming unknown or unmapped economies.
    """
    if isinstance(spec, str) and spec == "all":
        return RegionMapping(
            regions=tuple(economies),
            names=tuple(ECONOMY_NAMES[e] for e in economies),
            region_of={e: e for e in economies},
            label="all 81 economies of the source kept as regions (ROW: the OECD's rest of "
            "the world)",
        )
    if isinstance(spec, str) and spec == "default":
        region_of = {}
        for e in economies:
            if e in DEFAULT_REGIONS:
                region_of[e] = e
            elif e in EU27:
                region_of[e] = "EU27"
            elif e in ASEAN_REST:
                region_of[e] = "ASEAN"
            else:
                region_of[e] = "ROW"
        rest = sorted(e for e, r in region_of.items() if r == "ROW" and e != "ROW")
        names = tuple(GROUP_NAMES.get(r) or ECONOMY_NAMES[r] for r in DEFAULT_REGIONS)
        return RegionMapping(
            regions=DEFAULT_REGIONS,
            names=names,
            region_of=region_of,
            label=(
                "default mapping: "
                + ", ".join(r for r in DEFAULT_REGIONS if r not in GROUP_NAMES)
                + " as themselves; EU27 = the 27 EU members ("
                + " ".join(EU27)
                + "); ASEAN = the ASEAN members other than VNM ("
                + " ".join(ASEAN_REST)
                + "); ROW = the source's own ROW plus every other economy, Hong Kong (HKG) "
                "included: " + " ".join(rest)
            ),
        )
    return _mapping_file(Path(spec), economies)


def _mapping_file(path: Path, economies: Sequence[str]) -> RegionMapping:
    if not path.is_file():
        raise WorldError(
            f"{path}: --regions must be 'default', 'all' or a CSV file with columns "
            "economy, region (and optionally name); no such file"
        )
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise WorldError(f"{path}: cannot be read: {err}") from None
    columns = set(rows[0].keys()) if rows else set()
    if not {"economy", "region"} <= columns:
        raise WorldError(f"{path}: needs columns economy and region (found: {sorted(columns)})")
    region_of: dict[str, str] = {}
    names: dict[str, str] = {}
    order: list[str] = []
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        economy = (row.get("economy") or "").strip()
        region = (row.get("region") or "").strip()
        name = (row.get("name") or "").strip()
        if not economy or not region:
            problems.append(f"line {line}: economy and region must not be empty")
            continue
        if economy in region_of:
            problems.append(f"line {line}: economy {economy} mapped twice")
            continue
        region_of[economy] = region
        if region not in order:
            order.append(region)
        if name:
            if names.get(region, name) != name:
                problems.append(f"line {line}: region {region} has two names")
            names[region] = name
    unknown = [e for e in region_of if e not in economies]
    unmapped = [e for e in economies if e not in region_of]
    if unknown:
        problems.append(f"unknown economies (not in the source): {', '.join(unknown)}")
    if unmapped:
        problems.append(f"economies not mapped to a region: {', '.join(unmapped)}")
    if problems:
        raise WorldError(f"{path}: " + "; ".join(problems))
    members = {r: [e for e in economies if region_of[e] == r] for r in order}
    readable = []
    for r in order:
        if r in names:
            readable.append(names[r])
        elif members[r] == [r]:
            readable.append(ECONOMY_NAMES[r])
        elif r in GROUP_NAMES and r != "ROW":
            readable.append(GROUP_NAMES[r])
        else:
            readable.append("Group of " + ", ".join(members[r]))
    groups = "; ".join(f"{r} = {' '.join(members[r])}" for r in order if members[r] != [r])
    return RegionMapping(
        regions=tuple(order),
        names=tuple(readable),
        region_of=region_of,
        label=f"regions from {path.name}" + (f": {groups}" if groups else ""),
    )


# --------------------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class _Regional:
    flow_rqs: np.ndarray
    tariff_rqs: np.ndarray
    va_rs: np.ndarray
    purchases_rkj: np.ndarray
    lost_revenue: float
    """Tariff revenue on trade inside a grouped region, which becomes domestic."""


def aggregate(source: Icio2022Source, mapping: RegionMapping) -> _Regional:
    """Sum flows, value added and purchases over members; flow-weighted tariffs."""
    r_ix = {r: k for k, r in enumerate(mapping.regions)}
    member = np.zeros((len(source.economies), len(mapping.regions)))
    at = [r_ix[mapping.region_of[e]] for e in source.economies]
    member[np.arange(len(source.economies)), at] = 1.0
    flow, tariff = source.flow_eis, source.tariff_eis
    flow_r = np.einsum("eis,er,iq->rqs", flow, member, member)
    revenue_r = np.einsum("eis,er,iq->rqs", flow * tariff, member, member)
    simple = (
        np.einsum("eis,er,iq->rqs", tariff, member, member)
        / np.einsum("er,iq->rq", member, member)[:, :, None]
    )
    has_flow = flow_r > 0
    tariff_r = np.where(has_flow, revenue_r / np.where(has_flow, flow_r, 1.0), simple)
    diag = np.arange(len(mapping.regions))
    lost = float(revenue_r[diag, diag, :].sum())
    tariff_r[diag, diag, :] = 0.0
    return _Regional(
        flow_rqs=flow_r,
        tariff_rqs=tariff_r,
        va_rs=member.T @ source.va_es,
        purchases_rkj=np.einsum("ekj,er->rkj", source.purchases_ekj, member),
        lost_revenue=lost,
    )


def balance(regional: _Regional) -> tuple[np.ndarray, np.ndarray, str]:
    """Purchases and value added that meet the world's identities; flows untouched.

    Where a region's intermediate use of a good exceeds its absorption (tariffs
    included), that input's purchases are scaled down across the using sectors so final
    demand is zero, and what was removed is added to those sectors' value added.
    """
    flow, tariff = regional.flow_rqs, regional.tariff_rqs
    va, purchases = regional.va_rs.copy(), regional.purchases_rkj.copy()
    absorption = (flow * (1.0 + tariff)).sum(axis=0)  # [region, sector]
    used = purchases.sum(axis=2)  # [region, input k]
    over = used > absorption
    factor = np.where(over, absorption / np.where(used > 0, used, 1.0), 1.0)
    scaled = purchases * factor[:, :, None]
    removed = purchases - scaled
    va += removed.sum(axis=1)
    va = np.clip(va, 0.0, None)
    total_removed = float(removed.sum())
    worst = float(1.0 - factor.min()) if over.any() else 0.0
    note = (
        f"balancing: intermediate use exceeded absorption (tariffs included) in "
        f"{int(over.sum())} region-good cells; those inputs' purchases were scaled down "
        f"across the using sectors (by up to {worst:.1%}) so final demand is zero, and the "
        f"US$ {total_removed / 1e3:,.1f} bn removed "
        f"({total_removed / purchases.sum():.3%} of intermediate purchases) was added to "
        "the using sectors' value added; trade flows are unchanged;"
    )
    return va, scaled, note


# --------------------------------------------------------------------------- the world


def icio2022_world(
    data_dir: str | os.PathLike[str],
    *,
    regions: str | os.PathLike[str] = "default",
    elasticities: str = DEFAULT_ELASTICITIES,
    policy: TariffPolicy | None = None,
) -> World:
    """The checked ``default`` world: the global economy of 2022 (see the module docstring).

    ``regions``: ``"default"``, ``"all"`` or a CSV mapping file; ``elasticities``: one of
    :data:`ELASTICITY_SOURCES`; ``policy`` adds the baseline tariff measures to the
    cleaned 2021 tariffs of the 81 economies (default: the US-China trade-war tariffs).
    """
    check_elasticities(elasticities)
    source = read_icio2022(
        data_dir, elasticities=elasticities, policy=policy or add_trade_war_tariffs
    )
    mapping = region_mapping(regions, source.economies)
    regional = aggregate(source, mapping)
    va, purchases, balance_note = balance(regional)
    n_grouped = sum(
        1
        for r in mapping.regions
        if [e for e in source.economies if mapping.region_of[e] == r] != [r]
    )
    aggregation_note = (
        "aggregation: flows, value added and purchases summed over member economies; "
        "tariffs of aggregated cells are flow-weighted averages (simple averages where the "
        "flow is zero)"
        + (
            f"; trade between members of the {n_grouped} grouped regions becomes domestic "
            f"and loses its tariffs (US$ {regional.lost_revenue / 1e3:,.1f} bn of revenue)"
            if n_grouped
            else ""
        )
        + ";"
    )
    table = elasticities_table(Path(data_dir))
    households, households_note = region_households(
        mapping.regions, mapping.region_of, source.economies
    )
    description = _description(
        source, mapping, [*source.notes, aggregation_note, balance_note], table, households_note
    )
    sources = (
        *SOURCES_BASE,
        *(
            f"{elasticity_citation(name)} (trade elasticities '{name}', as mapped to ICIO "
            "sectors by the tariffwar package)"
            for name in ELASTICITY_SOURCES
        ),
        FACTS_SOURCE,
        HOUSEHOLDS_SOURCE,
    )
    world = World(
        name="default",
        year=2022,
        currency="USD million",
        description=description,
        sources=sources,
        regions=pd.DataFrame({"region": mapping.regions, "name": mapping.names}),
        sectors=pd.DataFrame(
            {"sector": SECTOR_CODES, "name": [n for _, n in SECTORS], "theta": source.theta_s}
        ),
        theta_se=cp_theta_se(Path(data_dir), _elasticity_column(Path(data_dir), SE_SOURCE)),
        elasticities=table,
        tariff_layers=world_layers_table() if policy is None else None,
        households=households,
        theta_source=elasticities,
        tariffs=BASE_TARIFFS
        if policy is None
        else "applied tariffs of 2021 and the measures of a tariff policy of the builder's caller",
        theta_se_source=SE_SOURCE,
        **_long_tables(mapping.regions, regional.flow_rqs, regional.tariff_rqs, va, purchases),
    )
    return check_world(world)


def cp_theta_se(data_dir: Path, theta_s: np.ndarray) -> pd.DataFrame:
    """The ``theta_se`` table of the ``cp`` elasticities (see :mod:`truce.data.elasticities`).

    Each ICIO sector's elasticity is the mean of the Table 1 estimates listed in
    :data:`CP_TABLE1_SECTORS`; an estimate of weight 1/m in that mean enters with se/m,
    and sectors sharing an estimate move together.  Raises
    :class:`~truce.errors.WorldError` when a mean differs from the sector's elasticity
    by more than :data:`~truce.data.sources.cp2015.TABLE1_MATCH` (the concordance would
    be wrong).
    """
    table1 = read_table1(data_dir / CP_TABLE1_FOLDER).set_index("name")
    rows: list[tuple[str, str, float]] = []
    for k, code in enumerate(SECTOR_CODES):
        names = CP_TABLE1_SECTORS.get(code)
        if names is None:
            continue
        mean = float(table1.loc[list(names), "theta"].mean())
        if abs(mean - theta_s[k]) > TABLE1_MATCH:
            raise WorldError(
                f"{data_dir / CP_TABLE1_FOLDER}: sector {code}: the mean of the Table 1 "
                f"estimates for {', '.join(names)} is {mean:.4f}, not its elasticity "
                f"{theta_s[k]:.4f}"
            )
        rows += [(code, table1_estimate(n), float(table1.at[n, "se"]) / len(names)) for n in names]
    return pd.DataFrame(rows, columns=["sector", "estimate", "se"])


def _long_tables(
    regions: Sequence[str],
    flow: np.ndarray,
    tariff: np.ndarray,
    va: np.ndarray,
    purchases: np.ndarray,
) -> dict[str, pd.DataFrame]:
    """[exporter, importer, sector] arrays → the long ``trade``, ``value_added``, ``io``."""
    r, c = np.asarray(regions), np.asarray(SECTOR_CODES)
    n_r, n_s = len(r), len(c)
    ee, ii, ss = (x.reshape(-1) for x in np.indices((n_r, n_r, n_s)))
    rr, kk, jj = np.nonzero(purchases > 0)
    return {
        "trade": pd.DataFrame(
            {
                "exporter": r[ee],
                "importer": r[ii],
                "sector": c[ss],
                "value": flow.reshape(-1),
                "tariff": tariff.reshape(-1),
            }
        ),
        "value_added": pd.DataFrame(
            {"region": np.repeat(r, n_s), "sector": np.tile(c, n_r), "value": va.reshape(-1)}
        ),
        "io": pd.DataFrame(
            {
                "region": r[rr],
                "input_sector": c[kk],
                "output_sector": c[jj],
                "value": purchases[rr, kk, jj],
            }
        ),
    }


def _para(text: str, indent: str = "") -> str:
    return textwrap.fill(text, width=92, initial_indent=indent, subsequent_indent="  ")


def _extremes(table: pd.DataFrame) -> str:
    """The median's largest elasticity beside the largest and smallest of single sources."""
    median = table[table["source"] == MEDIAN]
    others = table[table["source"] != MEDIAN]
    top, high, low = (
        median.loc[median["theta"].idxmax()],
        others.loc[others["theta"].idxmax()],
        others.loc[others["theta"].idxmin()],
    )
    return (
        f"the median's largest is {top['theta']:.2f} ({top['sector']}), where single "
        f"sources reach {high['theta']:.2f} ({high['source']}, {high['sector']}) and fall "
        f"to {low['theta']:.2f} ({low['source']}, {low['sector']})"
    )


def _description(
    source: Icio2022Source,
    mapping: RegionMapping,
    notes: Sequence[str],
    table: pd.DataFrame,
    households: str,
) -> str:
    n_r = len(mapping.regions)
    intro = _para(
        f"The global economy of 2022: {n_r} regions x {len(SECTORS)} sectors (27 goods "
        "sectors of the OECD ICIO and one services aggregate, SVC), US$ million at basic "
        "prices. Bilateral flows by sector (intermediate and final use, domestic sales "
        "included) from the OECD ICIO tables (2023 edition, year 2022) as built by A. "
        "Lashkaripour's tariffwar package; input-output cost shares and value-added shares "
        "from the OECD ICIO for 2020 (an approximation for 2022); applied tariffs of 2021 "
        "(Teti Global Tariff Database), cleaned as listed below, plus the measures listed "
        "at the end (the US-China trade-war tariffs in force on 20 January 2025). Value "
        "added = VA share x gross output and input purchases = cost share x gross output, "
        "per economy, then summed into regions; the "
        "world is balanced so that it meets its accounting identities exactly without "
        "changing any trade flow, and is its own equilibrium of the model with its trade "
        "deficits (imports minus exports) held fixed. Trade with the source's own ROW "
        "economy carries no tariffs (no data in the source); none were added."
    )
    elasticity = _para(
        f"Trade elasticities (theta): {source.elasticities} = "
        f"{elasticity_citation(source.elasticities)}, "
        + ("each " if source.elasticities == MEDIAN else "")
        + "as mapped to ICIO sectors by the tariffwar package (uncovered sectors 4)."
        + (
            f" They are the default because no one source's outliers reach them: "
            f"{_extremes(table)}; see README.md, 'Which elasticities'."
            if source.elasticities == MEDIAN
            else ""
        )
        + " Every source's elasticities are in the elasticities table (a run may choose "
        "any: --elasticities SOURCE, or all). Standard errors (theta_se) are those of cp, "
        "Caliendo-Parro's Table 1 (99% sample), an estimate entering a mean of m estimates "
        "with se/m; services are held fixed in elasticity draws. Draws sample them around "
        "cp's elasticities (--elasticities cp); no other source has standard errors."
    )
    regions = _para(f"Regions: {mapping.label}.") + "\n\n" + _para(households)
    steps = "\n".join(_para(n, "- ") for n in notes)
    tariffs = "\n".join(_para(n, "- ") for n in source.policy_notes) or "- none"
    return (
        f"{intro}\n\n{elasticity}\n\n{regions}\n\n"
        f"Cleaning, IO approximation and balancing:\n{steps}\n\n"
        f"Tariffs added to the 2021 rates (before aggregation):\n{tariffs}\n"
    )
