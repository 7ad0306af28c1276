"""Runs side by side (``truce compare``): a tidy table, a chart and an HTML report.

The report is self-contained like :mod:`truce.report.render`'s, whose document,
section, chart and table helpers it uses.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from truce.report import render
from truce.report.against import relative_pct
from truce.report.chart_style import Stamp, region_colors, stamp_plotly, version_text
from truce.report.result import Result

#: What is compared: (region-table column, heading).
COMPARED: tuple[tuple[str, str], ...] = (
    ("welfare_pct", "welfare %"),
    ("real_wage_pct", "real wage %"),
    ("price_index_pct", "price index %"),
)

#: Section ids of a comparison report, in order.
COMPARISON_SECTIONS: tuple[str, ...] = ("runs", "differences", *(c for c, _ in COMPARED))


def run_labels(runs: Sequence[tuple[str, Result]]) -> list[str]:
    """A readable label per run: its scenario's name, with its date or id where two
    runs would otherwise share one."""
    names = [r.scenario for _, r in runs]
    labels = []
    for (run_id, result), name in zip(runs, names, strict=True):
        if names.count(name) == 1:
            labels.append(name)
            continue
        when = result.date.isoformat() if result.date is not None else None
        dated = [r.date for _, r in runs if r.scenario == name]
        labels.append(
            f"{name} ({when})" if when and dated.count(result.date) == 1 else f"{name} ({run_id})"
        )
    # The same run twice: number the repeats.
    return [
        label if label not in labels[:k] else f"{label} #{labels[:k].count(label) + 1}"
        for k, label in enumerate(labels)
    ]


def comparison_table(runs: Sequence[tuple[str, Result]]) -> pd.DataFrame:
    """One row per (run, region, measure): ``run``, ``region``, ``measure``, ``value`` and
    ``difference``: the exact change from the first run, in percent (the ratio of the
    two runs' changes from their common base, :func:`~truce.report.against.relative_pct`;
    NaN where the first run lacks the region)."""
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
                        "difference": float(relative_pct(value, float(base)))
                        if base is not None
                        else float("nan"),
                    }
                )
    return pd.DataFrame(rows, columns=["run", "region", "measure", "value", "difference"])


def comparison_plotly(
    table: pd.DataFrame, measure: str, heading: str, column: str = "value"
) -> go.Figure:
    """One measure by region, a bar per run: its ``value`` (change from the base) or its
    ``difference`` (exact change from the first run, which is then left out)."""
    fig = go.Figure()
    part = table[table["measure"] == measure]
    labels = list(dict.fromkeys(part["run"]))
    if column == "difference":
        labels = labels[1:]
    colors = region_colors(labels)
    for label in labels:
        rows = part[part["run"] == label]
        fig.add_trace(
            go.Bar(
                name=str(label),
                x=list(rows["region"]),
                y=list(rows[column]),
                marker_color=colors[label],
                hovertemplate="%{x}: %{y:+.3f}%<extra>" + str(label) + "</extra>",
            )
        )
    first = str(part["run"].iloc[0]) if len(part) else ""
    title = (
        f"{heading} by region: change from the base"
        if column == "value"
        else f"{heading} by region: exact change from {first}"
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=f"{heading}", ticksuffix="%")
    runs = ", ".join(map(str, dict.fromkeys(part["run"])))
    stamp = Stamp(
        scenario=runs,
        date=None,
        base=f"the first run, {first}" if column == "difference" else "each run's own base",
        source=f"Source: truce {version_text()}, runs {runs}",
    )
    return stamp_plotly(fig, title, stamp, 460)


def render_comparison_html(runs: Sequence[tuple[str, Result]]) -> str:
    """The comparison of ``runs`` (run id, result) as a self-contained HTML document,
    the runs named by their scenarios."""
    names = run_labels(runs)
    table = comparison_table([(n, r) for n, (_, r) in zip(names, runs, strict=True)])
    listing = pd.DataFrame(
        [
            {
                "run": name,
                "id": label,
                "scenario": r.scenario,
                "world": r.world,
                "date": r.date.isoformat() if r.date is not None else "",
                "base": str(r.base.get("text", "")) if r.base else "",
            }
            for name, (label, r) in zip(names, runs, strict=True)
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
            f"Largest change from {names[0]} (exact, %)",
            render._table(largest, {c: (h, _signed) for c, h in COMPARED}),
        ),
    ]
    for column, heading in COMPARED:
        sections.append(
            render._section(
                column,
                heading,
                render._plot(comparison_plotly(table, column, heading), f"chart-{column}")
                + render._plot(
                    comparison_plotly(table, column, heading, "difference"),
                    f"chart-{column}-difference",
                ),
            )
        )
    title = "comparison: " + ", ".join(names)
    return render._document(title, COMPARISON_SECTIONS, sections)


def _signed(value: float) -> str:
    return f"{value:+.3f}"
