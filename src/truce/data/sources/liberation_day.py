"""The Liberation Day paper's base data (``shared/data/liberation_day_baci2023``).

Source files (PROVENANCE.md §1): ``countries.csv`` (the paper's 194 countries in its
order, GDP in US$, the US 2 April 2025 tariff on each exporter, EU flags) and
``trade_flows_2023.csv`` (BACI 2023 flows, thousands of US$, non-zero foreign pairs only).
The model that uses them is :mod:`truce.model.ilms`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from truce.errors import WorldError

COUNTRIES_FILE = "countries.csv"
FLOWS_FILE = "trade_flows_2023.csv"


@dataclass(frozen=True)
class LiberationDaySource:
    """The paper's base data as arrays, countries in the paper's order."""

    iso3: tuple[str, ...]
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
        flows_ji=X,
        gdp_i=countries["gdp_usd"].to_numpy(dtype=float) / 1000.0,
        us_tariff_ld=countries["us_tariff_ld"].to_numpy(dtype=float),
        eu_in_paper_tables=countries["eu_in_paper_tables"].to_numpy(dtype=int) == 1,
    )
