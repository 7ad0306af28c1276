"""The summary page of a sweep: welfare in a few regions across the sweep's points.

One axis: welfare against the swept value, one line per region; two axes: one heatmap
per region; a list of scenarios (or more axes): grouped bars by point.  Columns named
``... output %`` (a sector's real output, from the spec's ``outputs``) are drawn the
same way with their own unit.  Then a table of every point's values.  The page is
self-contained (Plotly's JavaScript inlined).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from truce.policy.sweep_spec import show_value
from truce.report.chart_style import Stamp, stamp_plotly

_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}"
    ".note{color:#555}.chart{margin:1em 0}table{border-collapse:collapse}"
    "td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
)


def _unit(column: str) -> str:
    """The unit of a summary column: an output column's own, else welfare."""
    return "output %" if column.endswith("output %") else "welfare %"


def sweep_figures(
    axes: Sequence[tuple[str, Sequence[Any]]],
    regions: Sequence[str],
    table: pd.DataFrame,
    stamp: Stamp | None = None,
) -> list[go.Figure]:
    """The summary charts.  ``axes``: each grid axis's column label and values (empty
    for a list of scenarios); ``table``: one row per point with a ``point`` column, the
    axes' columns and one welfare column per region; ``stamp``: the base and source
    every chart states."""
    figures: list[go.Figure] = []
    if len(axes) == 1:
        column = axes[0][0]
        figure = go.Figure()
        for region in regions:
            figure.add_trace(
                go.Scatter(x=table[column], y=table[region], mode="lines+markers", name=region)
            )
        figure.update_layout(
            title="Welfare by swept value", xaxis_title=column, yaxis_title="welfare %"
        )
        figures.append(figure)
    elif len(axes) == 2:
        (x_label, xs), (y_label, ys) = axes
        for region in regions:
            grid = table.pivot_table(index=y_label, columns=x_label, values=region, sort=False)
            grid = grid.reindex(index=list(ys), columns=list(xs))
            z = [[None if pd.isna(v) else float(v) for v in row] for row in grid.to_numpy()]
            unit = _unit(region)
            title = region if unit != "welfare %" else f"{region}: welfare %"
            figure = go.Figure(
                go.Heatmap(
                    x=[show_value(v) for v in xs],
                    y=[show_value(v) for v in ys],
                    z=z,
                    zmid=0.0,
                    colorscale="RdBu",
                    colorbar={"title": unit},
                )
            )
            figure.update_layout(title=title, xaxis_title=x_label, yaxis_title=y_label)
            figures.append(figure)
    else:
        figure = go.Figure()
        for region in regions:
            figure.add_trace(go.Bar(x=table["point"], y=table[region], name=region))
        figure.update_layout(title="Welfare by point", barmode="group", yaxis_title="welfare %")
        figures.append(figure)
    for figure in figures:
        stamp_plotly(figure, str(figure.layout.title.text or "Sweep"), stamp, 460)
    return figures


def sweep_summary_html(
    *,
    title: str,
    description: str,
    facts: str,
    axes: Sequence[tuple[str, Sequence[Any]]],
    regions: Sequence[str],
    table: pd.DataFrame,
    stamp: Stamp | None = None,
) -> str:
    """The sweep's summary page (see :func:`sweep_figures` for ``axes``, ``table``, which
    also has a ``run_id`` column, and ``stamp``)."""
    charts = []
    base = (
        f'<p class="note">Changes are measured against {escape(stamp.base)}.</p>\n' if stamp else ""
    )
    for number, figure in enumerate(sweep_figures(axes, regions, table, stamp)):
        payload = pio.to_json(figure, validate=False)
        payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        charts.append(
            f'<div id="chart-{number}" class="chart"></div>\n'
            f"<script>(function () {{ var figure = {payload};\n"
            f'Plotly.newPlot("chart-{number}", figure.data, figure.layout, '
            '{"displaylogo": false, "responsive": true}); })();</script>'
        )
    heads = "".join(f"<th>{escape(str(c))}</th>" for c in ["point", *regions, "run"])
    rows = []
    for row in table.itertuples(index=False):
        values = dict(zip(table.columns, row, strict=True))
        cells = [f"<td>{escape(str(values['point']))}</td>"]
        cells += [f'<td class="num">{float(values[r]):+.3f}</td>' for r in regions]
        cells.append(f"<td>{escape(str(values['run_id'] or ''))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n"
        f"<script>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n<p>{escape(description)}</p>\n"
        f'<p class="note">{escape(facts)}</p>\n'
        + base
        + "\n".join(charts)
        + f"\n<h2>Welfare % (and output %) by point</h2>\n<table><tr>{heads}</tr>\n"
        + "\n".join(rows)
        + "\n</table>\n</body>\n</html>\n"
    )
