"""The Liberation Day paper's base data (data set ``liberation_day_baci2023``, docs/sources.md).

Source files (docs/sources.md): ``countries.csv`` (the paper's 194 countries in its
order, GDP in US$, the US 2 April 2025 tariff on each exporter, EU flags) and
``trade_flows_2023.csv`` (BACI 2023 flows, thousands of US$, non-zero foreign pairs only).
The model that uses them is :mod:`truce.model.ilms`; :func:`baci2023_world` turns its base
equilibrium into the built-in world ``baci2023``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from truce.data.world import World
from truce.errors import WorldError

COUNTRIES_FILE = "countries.csv"
FLOWS_FILE = "trade_flows_2023.csv"


@dataclass(frozen=True)
class LiberationDaySource:
    """The paper's base data as arrays, countries in the paper's order."""

    iso3: tuple[str, ...]
    names: tuple[str, ...]
    flows_ji: np.ndarray
    """International flows ``[exporter, importer]``, thousands of US$, zero diagonal."""
    gdp_i: np.ndarray
    """GDP in thousands of US$ (the file's US$ divided by 1000, as the paper does)."""
    us_tariff_ld: np.ndarray
    """The US tariff on each exporter's goods announced on 2 April 2025 (fraction)."""
    eu_in_paper_tables: np.ndarray
    """The 25 countries of the paper's "EU" rows (boolean)."""

    @property
    def us(self) -> int:
        return self.iso3.index("USA")


def read_liberation_day(folder: str | Path) -> LiberationDaySource:
    """Read the two source files; a missing or inconsistent file is a :class:`WorldError`."""
    folder = Path(folder)
    try:
        countries = pd.read_csv(folder / COUNTRIES_FILE, keep_default_na=False)
        flows = pd.read_csv(folder / FLOWS_FILE, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        raise WorldError(f"{folder}: cannot read the Liberation Day data: {exc}") from exc
    iso3 = tuple(str(c) for c in countries["iso3"])
    index = {c: k for k, c in enumerate(iso3)}
    unknown = sorted(set(flows["exporter"]).union(flows["importer"]) - set(index))
    if unknown:
        raise WorldError(f"{folder / FLOWS_FILE}: countries not in {COUNTRIES_FILE}: {unknown}")
    n = len(iso3)
    X = np.zeros((n, n))
    j = flows["exporter"].map(index).to_numpy()
    i = flows["importer"].map(index).to_numpy()
    np.add.at(X, (j, i), flows["value_kusd"].to_numpy(dtype=float))
    np.fill_diagonal(X, 0.0)
    return LiberationDaySource(
        iso3=iso3,
        names=tuple(str(c) for c in countries["name"]),
        flows_ji=X,
        gdp_i=countries["gdp_usd"].to_numpy(dtype=float) / 1000.0,
        us_tariff_ld=countries["us_tariff_ld"].to_numpy(dtype=float),
        eu_in_paper_tables=countries["eu_in_paper_tables"].to_numpy(dtype=int) == 1,
    )


#: The one sector of the world: all goods (BACI covers goods only).
SECTOR = "GOODS"

BACI2023_SOURCES = (
    "Ignatenko, A., A. Lashkaripour, L. Macedoni and I. Simonovska (2025), 'Making America "
    "Great Again? The Economic Impacts of Liberation Day Tariffs', Journal of International "
    "Economics 157, 104138; replication package (July 2025), data/base_data",
    "CEPII BACI HS22, 2023, version V202501: bilateral goods trade summed over HS6 products "
    "(Licence Ouverte / Etalab 2.0)",
    "World Bank, World Development Indicators: GDP, current US$, latest available year (CC BY 4.0)",
)


def baci2023_world(
    source: LiberationDaySource, *, flows_ji: np.ndarray, nu_i: np.ndarray, eps: float
) -> World:
    """The ``baci2023`` world: the paper's base equilibrium as a one-sector world folder.

    ``flows_ji`` are the flows with the constructed domestic sales on the diagonal and
    ``nu_i`` the calibrated local-distribution shares (both from
    :func:`truce.model.ilms.build_data`); ``eps`` is the trade elasticity.  Value added is
    each country's factor income Σ_j (1 − ν_j) X_ij + ν_i Σ_j X_ji, which the world's
    ``distribution`` table makes its accounting identity.
    """
    regions = list(source.iso3)
    n = len(regions)
    j, i = np.nonzero(flows_ji)
    nu_us, nu_rest = float(nu_i[source.us]), float(np.delete(nu_i, source.us)[0])
    income = ((1.0 - nu_i)[None, :] * flows_ji).sum(axis=1) + nu_i * flows_ji.sum(axis=0)
    zero_domestic = [regions[k] for k in range(n) if flows_ji[k, k] == 0.0]
    description = (
        "The world economy of 2023 as in the base data of Ignatenko, Lashkaripour, Macedoni "
        "and Simonovska (2025), the Liberation Day paper: 194 countries, one sector (all "
        "goods), US$ thousand, no tariffs in the base. International flows are BACI 2023 "
        "goods trade; GDP from the World Bank's WDI. Calibrated for the ilms2025 model "
        "(docs/models/ilms2025.md): the local-distribution shares nu (the table distribution) "
        f"solve the paper's two moments, nu = {nu_us:.8f} for the USA and {nu_rest:.8f} "
        "elsewhere; transfers follow from GDP, "
        "T_i = (1 - nu_i)(imports_i - sum_j (1 - nu_j) X_ij); domestic sales are "
        "X_ii = max(GDP_i + T_i - imports_i, 0), "
        f"zero for {len(zero_domestic)} countries ({', '.join(zero_domestic) or 'none'}); "
        "value added is factor income "
        "Y_i = sum_j (1 - nu_j) X_ij + nu_i sum_j X_ji, so spending minus factor income is "
        "each country's transfer. Trade elasticity epsilon = theta of the sector."
    )
    return World(
        name="baci2023",
        year=2023,
        currency="USD thousand",
        description=description,
        sources=BACI2023_SOURCES,
        model="ilms2025",
        tariffs="of zero (the paper's base has none)",
        regions=pd.DataFrame({"region": regions, "name": list(source.names)}),
        sectors=pd.DataFrame({"sector": [SECTOR], "name": ["All goods"], "theta": [eps]}),
        trade=pd.DataFrame(
            {
                "exporter": [regions[k] for k in j],
                "importer": [regions[k] for k in i],
                "sector": SECTOR,
                "value": flows_ji[j, i],
                "tariff": 0.0,
            }
        ),
        value_added=pd.DataFrame({"region": regions, "sector": SECTOR, "value": income}),
        distribution=pd.DataFrame({"region": regions, "share": np.asarray(nu_i, dtype=float)}),
    )


# ------------------------------------------------------------- the paper's scenarios

_HEADER = """\
# {name}: {title}
#
# Generated from the Liberation Day paper's data (data set liberation_day_baci2023,
# countries.csv: the US tariff of 2 April 2025 on each exporter, USTR schedule as compiled
# by the authors) by truce.data.sources.liberation_day.paper_scenarios; the tests check
# that this file is what the data give. Paper: Ignatenko, Lashkaripour, Macedoni and
# Simonovska (2025), J. Int. Econ. 157, 104138, {where}.
#
# World baci2023 (194 countries, one sector, no tariffs in the base); model ilms2025.
# {notes}
"""


def _rate(value: float) -> str:
    """A rate as YAML: short when it is a round number, full precision otherwise."""
    text = f"{value:.6g}"
    return text if float(text) == value else repr(float(value))


def _by_rate(codes: list[str], rates: np.ndarray) -> list[tuple[float, list[str]]]:
    """``codes`` grouped by their rate, highest rate first, codes in file order."""
    groups: dict[float, list[str]] = {}
    for code, rate in zip(codes, rates, strict=True):
        groups.setdefault(float(rate), []).append(code)
    return sorted(groups.items(), key=lambda item: -item[0])


def _measures(by: str, rates: list[tuple[float, list[str]]], *, importer_side: bool) -> str:
    """Tariff measures, one per rate: the US on its partners, or the partners on the US."""
    lines = []
    for rate, codes in rates:
        listed = _wrap_codes(codes)
        if importer_side:
            lines.append(f"  - kind: tariff\n    by: {by}\n    on: {listed}\n")
        else:
            lines.append(f"  - kind: tariff\n    by: {listed}\n    on: {by}\n")
        lines[-1] += f"    rate: {_rate(rate)}\n    mode: set\n"
    return "".join(lines)


def _wrap_codes(codes: list[str], indent: int = 8, width: int = 92) -> str:
    if len(codes) == 1:
        return codes[0]
    out, line = [], "["
    for k, code in enumerate(codes):
        piece = code + ("]" if k == len(codes) - 1 else ", ")
        if len(line) + len(piece) > width - indent:
            out.append(line.rstrip())
            line = " " * indent
        line += piece
    out.append(line)
    return "\n".join(out)


def _scenario(
    name: str, title: str, where: str, notes: str, description: str, body: str, options: str = ""
) -> str:
    head = _HEADER.format(name=name, title=title, where=where, notes=notes.replace("\n", "\n# "))
    text = head + f"name: {name}\ndescription: >-\n"
    text += "".join(f"  {line}\n" for line in description.split("\n"))
    text += "world: baci2023\noptions:\n  model: ilms2025\n" + options
    return text + "measures:\n" + body


def paper_scenarios(
    source: LiberationDaySource, *, optimal_us: dict[str, float], optimal_retaliation: float
) -> dict[str, str]:
    """The paper's scenarios as scenario files (name → YAML text).

    ``optimal_us`` holds the closed-form optimal uniform US tariff 1/((1 + δ ε) φ − 1)
    with δ's denominator netting domestic sales from expenditure (key ``"expenditure"``,
    the paper's Table 1 case) and from factor income (``"income"``, its Table 2 case 3);
    ``optimal_retaliation`` the rest of the world's optimal uniform tariff on the US
    (:func:`truce.model.ilms.optimal_retaliation_tariff`).
    """
    us = source.us
    partners = [c for k, c in enumerate(source.iso3) if k != us]
    ld = np.maximum(0.10, np.delete(source.us_tariff_ld, us))
    us_rates = _measures("USA", _by_rate(partners, ld), importer_side=True)
    case1_note = (
        "The US applies max(10%, its 2 April 2025 rate) to every exporter (as the paper's\n"
        "code does; RUS, listed at 0, gets 10%); no other country has a tariff."
    )
    chn = source.iso3.index("CHN")
    china_ld = float(max(0.10, source.us_tariff_ld[chn]))
    scenarios = {
        "ld-case1": _scenario(
            "ld-case1",
            "the 2 April 2025 US tariffs, revenue returned by an income-tax cut",
            "Table 1, case 1",
            case1_note + "\nTariff revenue cuts the US income tax (the default rebate).",
            "Liberation Day (2 April 2025): the US tariffs on every partner, no retaliation;\n"
            "tariff revenue cuts the income tax (the paper's case 1).",
            us_rates,
        ),
        "ld-case2": _scenario(
            "ld-case2",
            "the 2 April 2025 US tariffs, revenue rebated lump-sum",
            "Table 1, case 2",
            case1_note + "\nTariff revenue is rebated lump-sum: the income tax stays.",
            "Liberation Day tariffs with no retaliation; tariff revenue rebated lump-sum\n"
            "(the paper's case 2).",
            us_rates,
            "  rebate: lump_sum\n",
        ),
        "ld-reciprocal-retaliation": _scenario(
            "ld-reciprocal-retaliation",
            "the 2 April 2025 US tariffs and reciprocal retaliation",
            "Table 2, panel 1",
            case1_note + "\nEvery partner answers with the rate the US levies on it.",
            "Liberation Day tariffs answered in kind: every partner levies on US goods the\n"
            "rate the US levies on its goods (WTO reciprocity).",
            us_rates + _measures("USA", _by_rate(partners, ld), importer_side=False),
        ),
        "ld-optimal-retaliation": _scenario(
            "ld-optimal-retaliation",
            "the 2 April 2025 US tariffs and optimal retaliation",
            "Table 2, panel 2",
            case1_note + "\nEvery partner levies the rest of the world's optimal uniform "
            "tariff on US goods,\n1/((1 + delta eps) phi - 1) on the two-region aggregation "
            "rest-of-world versus US\n(truce.model.ilms.optimal_retaliation_tariff): "
            f"{100 * optimal_retaliation:.4f}%.",
            "Liberation Day tariffs met by optimal retaliation: every partner levies the\n"
            f"rest of the world's optimal uniform tariff ({100 * optimal_retaliation:.2f}%) "
            "on US goods.",
            us_rates
            + f'  - kind: tariff\n    by: "*"\n    on: USA\n    rate: {_rate(optimal_retaliation)}'
            "\n    mode: set\n",
        ),
        "ld-optimal-us-tariff": _scenario(
            "ld-optimal-us-tariff",
            "the optimal uniform US tariff, no retaliation",
            "Table 1, case 3",
            "The US levies its optimal uniform tariff 1/((1 + delta_US eps) phi_US - 1) on "
            "every\nexporter, delta from the base data with domestic sales netted from "
            "expenditure as in\nthe paper's code for this case "
            f"(truce.model.ilms.optimal_uniform_tariff): {100 * optimal_us['expenditure']:.4f}%."
            "\nThe paper's text gives 19%; the same formula with domestic sales netted from "
            "factor\nincome, as the paper's code does for Table 2 panel 3 "
            f"(ld-optimal-tariff-war), gives {100 * optimal_us['income']:.2f}%.",
            "The unilaterally optimal US tariff: one uniform rate "
            f"({100 * optimal_us['expenditure']:.2f}%) on every partner,\n"
            "revenue cutting the income tax, no retaliation (the paper's case 3).",
            f'  - kind: tariff\n    by: USA\n    on: "*"\n    rate: '
            f"{_rate(optimal_us['expenditure'])}\n    mode: set\n",
        ),
        "ld-optimal-tariff-war": _scenario(
            "ld-optimal-tariff-war",
            "optimal US tariffs met by optimal retaliation",
            "Table 2, panel 3",
            "The US levies its optimal uniform tariff with delta's denominator netting "
            "domestic\nsales from factor income, as the paper's code does for this case: "
            f"{100 * optimal_us['income']:.4f}%;\nevery partner levies the rest of the "
            f"world's optimal uniform tariff on US goods: {100 * optimal_retaliation:.4f}%.",
            f"Optimal tariffs on both sides: the US levies {100 * optimal_us['income']:.2f}% "
            "on every partner and every\npartner levies "
            f"{100 * optimal_retaliation:.2f}% on US goods.",
            f'  - kind: tariff\n    by: USA\n    on: "*"\n    rate: {_rate(optimal_us["income"])}'
            f'\n    mode: set\n  - kind: tariff\n    by: "*"\n    on: USA\n    rate: '
            f"{_rate(optimal_retaliation)}\n    mode: set\n",
        ),
        "ld-us-china-war": _scenario(
            "ld-us-china-war",
            "a US-China tariff war at the 2 April 2025 rate both ways",
            "section 5.2 and appendix G (US-China cases)",
            f"The US levies its 2 April 2025 rate on China ({100 * china_ld:g}%) and China "
            "the same rate on the\nUS; no other country has a tariff (the paper's appendix "
            "variants also keep 10% on\nother partners; this file isolates the US-China pair).",
            f"A US-China tariff war: {100 * china_ld:g}% both ways (the US rate on China of "
            "2 April 2025),\nno other tariffs.",
            f"  - kind: tariff\n    by: USA\n    on: CHN\n    rate: {_rate(china_ld)}\n"
            f"    mode: set\n  - kind: tariff\n    by: CHN\n    on: USA\n    rate: "
            f"{_rate(china_ld)}\n    mode: set\n",
        ),
        "ld-us-china-108": _scenario(
            "ld-us-china-108",
            "a US-China tariff war at 108% both ways",
            "section 5.2 and appendix G (escalation to 108%)",
            "The US and China levy 108% on each other's goods; no other country has a tariff.",
            "A US-China tariff war escalated to 108% both ways, no other tariffs.",
            "  - kind: tariff\n    by: USA\n    on: CHN\n    rate: 1.08\n    mode: set\n"
            "  - kind: tariff\n    by: CHN\n    on: USA\n    rate: 1.08\n    mode: set\n",
        ),
    }
    return scenarios
