"""Runs side by side (``truce compare``): a tidy table, a chart and an HTML report.

The report is self-contained like :mod:`truce.report.render`'s, whose document,
section, chart and table helpers it uses.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from truce.report import render
from truce.report.result import Result

#: What is compared: (region-table column, heading).
COMPARED: tuple[tuple[str, str], ...] = (
    ("welfare_pct", "welfare %"),
    ("real_wage_pct", "real wage %"),
    ("price_index_pct", "price index %"),
)

#: Section ids of a comparison report, in order.
COMPARISON_SECTIONS: tuple[str, ...] = ("runs", "differences", *(c for c, _ in COMPARED))


def comparison_table(runs: Sequence[tuple[str, Result]]) -> pd.DataFrame:
    """One row per (run, region, measure): ``run``, ``region``, ``measure``, ``value`` and
    ``difference`` from the first run's value for that region (NaN where it lacks one)."""
    rows = []
    first = runs[0][1].regions.set_index("region")
    for label, result in runs:
        for row in result.regions.itertuples(index=False):
            for column, _ in COMPARED:
                value = float(getattr(row, column))
                base = first[column].get(row.region)
                rows.append(
                    {
                        "run": label,
                        "region": row.region,
                        "measure": column,
                        "value": value,
                        "difference": value - float(base) if base is not None else float("nan"),
                    }
                )
    return pd.DataFrame(rows, columns=["run", "region", "measure", "value", "difference"])


def comparison_plotly(table: pd.DataFrame, measure: str, heading: str) -> go.Figure:
    """One measure by region, a bar per run."""
    fig = go.Figure()
    part = table[table["measure"] == measure]
    for label in dict.fromkeys(part["run"]):
        rows = part[part["run"] == label]
        fig.add_trace(
            go.Bar(
                name=str(label),
                x=list(rows["region"]),
                y=list(rows["value"]),
                hovertemplate="%{x}: %{y:+.3f}%<extra>" + str(label) + "</extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        title=f"{heading} by region",
        height=420,
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
    )
    fig.update_yaxes(title_text=heading)
    return fig


def render_comparison_html(runs: Sequence[tuple[str, Result]]) -> str:
    """The comparison of ``runs`` (label, result) as a self-contained HTML document."""
    table = comparison_table(runs)
    listing = pd.DataFrame(
        [
            {
                "run": label,
                "scenario": r.scenario,
                "world": r.world,
                "date": r.date.isoformat() if r.date is not None else "",
                "converged": "yes" if r.solver.converged else "no",
            }
            for label, r in runs
        ]
    )
    largest = (
        table.assign(size=table["difference"].abs())
        .groupby(["run", "measure"], sort=False)["size"]
        .max()
        .unstack("measure")
        .reindex(columns=[c for c, _ in COMPARED])
        .reset_index()
    )
    sections = [
        render._section("runs", "Runs", render._table(listing)),
        render._section(
            "differences",
            f"Largest difference from {runs[0][0]} (percentage points)",
            render._table(largest, {c: (h, _scientific) for c, h in COMPARED}),
        ),
    ]
    for column, heading in COMPARED:
        sections.append(
            render._section(
                column,
                heading,
                render._plot(comparison_plotly(table, column, heading), f"chart-{column}"),
            )
        )
    title = "comparison: " + ", ".join(label for label, _ in runs)
    return render._document(title, COMPARISON_SECTIONS, sections)


def _scientific(value: float) -> str:
    return f"{value:.3e}"
