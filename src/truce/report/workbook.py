"""A run's tables as an Excel workbook (``truce run --xlsx``): one sheet per table and a
first sheet of notes (what the run is, its base, the unit of every column, sources)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from truce.report.files import write_atomically
from truce.report.result import Result

#: The unit of each result column (docs/results.md); ``CURRENCY`` is the world's.
UNITS: dict[str, str] = {
    "welfare_pct": "% change (real income)",
    "welfare_usd_bn": "US$ bn at base-year prices (equivalent variation)",
    "welfare_usd_per_household": "US$ per household at base-year prices",
    "real_wage_pct": "% change",
    "nominal_wage_pct": "% change (numeraire: world factor income)",
    "price_index_pct": "% change (numeraire: world factor income)",
    "tariff_revenue": "CURRENCY, after the measures",
    "tariff_revenue_change": "CURRENCY, change",
    "exports_pct": "% change",
    "imports_pct": "% change",
    "tot_pct": "% of base income (first order)",
    "vot_pct": "% of base income (first order)",
    "employment_pct": "% change (regions); % of the region's factors (sectors)",
    "deficit_pct": "% of the base deficit's absolute value",
    "exports_gdp_pct": "% change of the ratio",
    "imports_gdp_pct": "% change of the ratio",
    "baseline": "CURRENCY (the base's flow)",
    "counterfactual": "CURRENCY",
    "quantity": "CURRENCY at the base's prices",
    "base": "CURRENCY (zero-deficit base)",
    "gross_output": "CURRENCY",
    "output_pct": "% change (real)",
    "value_added_pct": "% change",
    "employment_base_pct": "% of the region's factors",
    "price_pct": "% change",
    "unit_cost_pct": "% change",
    "critical_share_base_pct": "% of the sector's costs",
    "critical_share_pct": "% of the sector's costs",
    "equivalent_rate": "ad-valorem rate (0.1 = 10%)",
    "before_pct": "% (trade-weighted by base-year goods flows)",
    "after_pct": "% (trade-weighted by base-year goods flows)",
}

#: The sheets after the notes, in order.
SHEETS: tuple[str, ...] = ("regions", "tariffs", "sectors", "trade", "measures")


def notes_table(result: Result, currency: str, sources: list[str]) -> pd.DataFrame:
    """The notes sheet: one row per fact (``item``, ``value``)."""
    rows: list[tuple[str, str]] = [
        ("scenario", result.scenario),
        ("world", result.world),
        ("date", result.date.isoformat() if result.date is not None else "(undated)"),
        ("model", result.model),
        ("changes measured against", str(result.base.get("text", "the world's base"))),
        ("currency", currency),
    ]
    seen: set[str] = set()
    banded = False
    for sheet in SHEETS:
        frame = getattr(result, sheet)
        for column in frame.columns:
            banded = banded or len(_stems(column)) > 1
            if column in UNITS and column not in seen:
                seen.add(column)
                rows.append((f"unit of {column}", UNITS[column].replace("CURRENCY", currency)))
    if banded:
        rows.append(
            (
                "columns ending _p05, _p50, _p95 (_src_min, _src_max)",
                "the 5th, 50th and 95th percentiles over elasticity draws (the least and "
                "greatest across elasticity sources), in the unit of their field",
            )
        )
    rows += [("source", s) for s in sources]
    names = result.names or {}
    for kind in ("regions", "sectors"):
        for code, name in names.get(kind, {}).items():
            rows.append((f"{kind[:-1]} {code}", name))
    return pd.DataFrame(rows, columns=["item", "value"])


def _stems(column: str) -> list[str]:
    """A column and the field it bands (``welfare_pct_p05`` → ``welfare_pct``)."""
    stems = [column]
    for suffix in ("_p05", "_p50", "_p95", "_src_min", "_src_max"):
        if column.endswith(suffix):
            stems.append(column.removesuffix(suffix))
    return stems


def write_xlsx(
    path: str | os.PathLike[str], result: Result, currency: str, sources: list[str]
) -> Path:
    """Write the notes and every non-empty table of ``result`` as sheets of an Excel
    workbook at ``path``, atomically."""

    def write(out: BinaryIO) -> None:
        with pd.ExcelWriter(out, engine="openpyxl") as book:
            notes_table(result, currency, sources).to_excel(book, sheet_name="notes", index=False)
            for sheet in SHEETS:
                frame = getattr(result, sheet)
                if not frame.empty:
                    frame.to_excel(book, sheet_name=sheet, index=False)

    return write_atomically(Path(path), write, "the Excel workbook")
