"""Console tables that fit the terminal: columns chosen by priority, the rest named in a
note, every header with its unit, and the base a result is measured against."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:
    from truce.report.result import Result

#: Cell padding and the border a column adds to a table's width.
_COLUMN_OVERHEAD = 3


@dataclass(frozen=True)
class Column:
    """One column: its header (unit included), its cells, and how much it matters
    (lower ``priority`` is kept first when the terminal is narrow)."""

    header: str
    cells: Sequence[str]
    priority: int
    justify: str = "right"
    wrap: int | None = None
    """Text cells may wrap onto lines of this width (numbers never wrap)."""

    @property
    def width(self) -> int:
        """The width it needs so that nothing in it is cut."""
        lines = self.header.split("\n")
        widest = max([len(line) for line in lines] + [len(c) for c in self.cells])
        return widest if self.wrap is None else min(widest, self.wrap)


def fit_columns(columns: Sequence[Column], width: int) -> tuple[list[Column], list[Column]]:
    """The columns that fit ``width`` whole, most important first but kept in their
    order, and those left out.  The first column (the row labels) is always kept."""
    used = columns[0].width + _COLUMN_OVERHEAD + 1
    kept = {0}
    for k in sorted(range(1, len(columns)), key=lambda k: columns[k].priority):
        need = columns[k].width + _COLUMN_OVERHEAD
        if used + need <= width:
            kept.add(k)
            used += need
    return (
        [c for k, c in enumerate(columns) if k in kept],
        [c for k, c in enumerate(columns) if k not in kept],
    )


def fitted_table(
    title: str, columns: Sequence[Column], width: int, caption: str | None = None
) -> Table:
    """A table of the ``columns`` that fit ``width``; the caption states ``caption`` (the
    base) and names any column left out."""
    kept, dropped = fit_columns(columns, width)
    notes = [caption] if caption else []
    if dropped:
        names = ", ".join(c.header.replace("\n", " ") for c in dropped)
        notes.append(f"left out at this width: {names} (see --format csv or --json)")
    table = Table(title=title, caption="\n".join(notes) or None, caption_justify="left")
    for column in kept:
        table.add_column(
            column.header,
            justify=column.justify,  # type: ignore[arg-type]
            no_wrap=column.wrap is None,
            max_width=column.wrap,
            min_width=column.width,
        )
    for row in zip(*(c.cells for c in kept), strict=True):
        table.add_row(*row)
    return table


def pct(value: float | None, digits: int = 3) -> str:
    """A signed percentage to ``digits`` decimals; ``—`` when missing; never ``-0.000``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{round(float(value), digits) + 0.0:+.{digits}f}"


def band(point: float, low: float, high: float) -> str:
    """A point and its band, compactly: ``-0.61 [-0.63, -0.59]``."""
    return f"{pct(point, 2)} [{pct(low, 2)}, {pct(high, 2)}]"


def money(value: float | None, digits: int = 1) -> str:
    """A signed amount with thousands separators; ``—`` when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{round(float(value), digits) + 0.0:+,.{digits}f}"


def base_caption(base: dict[str, object]) -> str | None:
    """``changes against: …`` for a result's ``base`` entry (None when it has none)."""
    text = base.get("text") if base else None
    return f"changes against {text}" if text else None


#: Region fields a console shows, in order: header (unit included), priority.
_REGION_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("welfare_pct", "welfare\n%", 0),
    ("welfare_usd_bn", "welfare\nUS$ bn", 1),
    ("welfare_usd_per_household", "welfare US$\nper household", 3),
    ("real_wage_pct", "real wage\n%", 2),
    ("price_index_pct", "prices\n%", 4),
    ("exports_pct", "exports\n%", 5),
    ("imports_pct", "imports\n%", 6),
    ("tariff_revenue_change", "tariff revenue\nchange US$ bn", 7),
    ("employment_pct", "employment\n%", 8),
    ("deficit_pct", "deficit\n%", 9),
    ("tot_pct", "ToT\n% of income", 10),
    ("vot_pct", "VoT\n% of income", 11),
)


def region_columns(result: Result, usd_bn_per_unit: float | None) -> list[Column]:
    """The console columns of a result's region table (``usd_bn_per_unit`` turns the
    world's currency into US$ bn; None: not dollars, no revenue column)."""
    frame = result.regions
    columns = [Column("region", list(frame["region"]), 0, "left")]
    drawn = "welfare_pct_p05" in frame.columns
    across = "welfare_pct_src_min" in frame.columns
    for field, header, priority in _REGION_COLUMNS:
        if field not in frame.columns:
            continue
        values = frame[field].tolist()
        if field == "welfare_pct" and drawn:
            cells = [
                band(v, lo, hi)
                for v, lo, hi in zip(
                    values, frame["welfare_pct_p05"], frame["welfare_pct_p95"], strict=True
                )
            ]
            columns.append(Column("welfare %\n[90% band]", cells, priority))
        elif field == "welfare_usd_per_household":
            columns.append(Column(header, [money(v, 0) for v in values], priority))
        elif field == "welfare_usd_bn":
            columns.append(Column(header, [money(v) for v in values], priority))
        elif field == "tariff_revenue_change":
            if usd_bn_per_unit is None:
                continue
            columns.append(Column(header, [money(v * usd_bn_per_unit) for v in values], priority))
        else:
            columns.append(Column(header, [pct(v) for v in values], priority))
        if field == "welfare_pct" and across:
            cells = [
                f"[{pct(lo, 2)}, {pct(hi, 2)}]"
                for lo, hi in zip(
                    frame["welfare_pct_src_min"], frame["welfare_pct_src_max"], strict=True
                )
            ]
            columns.append(Column("welfare % across\nsources [min, max]", cells, priority))
    return columns


#: The importer-exporter pairs whose average tariffs a console shows, when present.
TARIFF_PAIRS: tuple[tuple[str, str], ...] = (
    ("USA", "CHN"),
    ("CHN", "USA"),
    ("USA", "all"),
    ("CHN", "all"),
)


def tariff_table(result: Result) -> Table | None:
    """The trade-weighted average tariffs of the focus pairs, before and after (None
    when the result has none of them)."""
    frame = result.tariffs
    if frame.empty:
        return None
    rows = []
    for importer, exporter in TARIFF_PAIRS:
        found = frame[(frame["importer"] == importer) & (frame["exporter"] == exporter)]
        if len(found):
            row = found.iloc[0]
            label = f"{importer} on {'all imports' if exporter == 'all' else exporter}"
            rows.append((label, row["before_pct"], row["after_pct"]))
    if not rows:
        return None
    against = result.base.get("scenario") if result.base else None
    before = f"{against}\n%" if against else "base\n%"
    columns = [
        Column("average tariff on goods", [r[0] for r in rows], 0, "left"),
        Column(before, [f"{r[1]:.1f}" for r in rows], 1),
        Column(f"{result.scenario}\n%", [f"{r[2]:.1f}" for r in rows], 2),
    ]
    return fitted_table(
        "average tariffs",
        columns,
        200,
        "trade-weighted by base-year goods flows (PIIE's measure)",
    )
