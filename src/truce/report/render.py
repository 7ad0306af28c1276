"""HTML report assembly: one self-contained file per run or timeline.

The document opens with no network: Plotly's JavaScript is inlined once in the head,
each chart's data is an inline script, the style sheet is inline, and nothing is
loaded from elsewhere (no ``<script src>``, ``<link>`` or ``<img>``).  Every text that
comes from a scenario or a world is HTML-escaped; the figures' JSON has ``<``, ``>``
and ``&`` escaped so that no text can close its script.  Sections carry stable ids
(:data:`RUN_SECTIONS`, :data:`TIMELINE_SECTIONS`).
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from matplotlib.figure import Figure
from plotly.offline import get_plotlyjs

from truce.errors import OutputError
from truce.policy.spec import Measure, Scenario, file_keys
from truce.report import charts
from truce.report.chart_style import png_metadata, short_source
from truce.report.files import write_atomically, write_text
from truce.report.result import Result, SolverStats
from truce.report.tables import FOCUS_PAIR, REGION_LABELS, bilateral_change, pair_sector_flows
from truce.report.timeline import TimelineResult

#: Section ids of a run's report, in order.
RUN_SECTIONS: tuple[str, ...] = (
    "headline",
    "welfare",
    "trade",
    "us-china",
    "sectors",
    "prices",
    "revenue",
    "measures",
    "scenario",
    "sources",
    "provenance",
    "solver",
)
#: Section ids of a timeline's report, in order.
TIMELINE_SECTIONS: tuple[str, ...] = (
    "headline",
    "timeline",
    "phases",
    "scenario",
    "sources",
    "provenance",
    "solver",
)

#: Resolution of the PNGs :func:`write_figures` writes.
FIGURE_DPI = 150


class WorldInfo(Protocol):
    """What a report says about the world: a :class:`truce.data.world.World` fits."""

    @property
    def name(self) -> str: ...
    @property
    def year(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def sources(self) -> Sequence[str]: ...


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
  max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
nav a { margin-right: 0.8em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #eee; text-align: right; }
th { background: #f5f5f5; }
td.text, th.text { text-align: left; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em;
  white-space: pre-wrap; }
.note { color: #666; font-size: 0.9em; }
.chart { width: 100%; }
"""


# ---------------------------------------------------------------------------- public


def render_html(
    result: Result,
    *,
    scenario: Scenario,
    world: WorldInfo,
    sources: pd.DataFrame | None = None,
) -> str:
    """The report of one run as a complete, self-contained HTML document; ``sources``
    (columns ``key``, ``title``, ``quality``, ``address``) resolves the source keys the
    scenario cites."""
    figures = charts.plotly_figures(result, world.currency, short_source(world.sources))
    regions = list(result.regions["region"])
    when = f" on {result.date.isoformat()}" if result.date is not None else ""
    sections = [
        _section("headline", "Headline", _run_headline(result, world.currency)),
        _section(
            "welfare",
            "Welfare by region",
            _plot(figures["welfare"], "chart-welfare")
            + _para(
                "Welfare is real income: factor income plus tariff and tax revenue, rents "
                "and deficits, over the consumer price index."
            ),
        ),
        _section(
            "trade",
            "Change in bilateral trade",
            _plot(figures["trade-change"], "chart-trade-change")
            + _para(
                "Each cell: the change in the exporter's sales to the importer, all sectors "
                "(goods and services) summed, domestic sales excluded."
            )
            + _largest_changes(bilateral_change(result.trade, regions), world.currency),
        ),
        _section("us-china", "US–China flows by sector", _us_china(result, figures, world)),
        _section("sectors", "Output by sector", _sectors(result, world.currency)),
        _section(
            "prices",
            "Prices and real wages",
            _plot(figures["prices"], "chart-prices"),
        ),
        _section(
            "revenue",
            "Tariff revenue",
            _plot(figures["revenue"], "chart-revenue")
            + _table(
                result.regions.loc[:, ["region", "tariff_revenue"]],
                {"tariff_revenue": ("tariff revenue (" + world.currency + ")", _amount)},
            ),
        ),
        _section("measures", "Measures", _measures(scenario, result.measures)),
        _section("scenario", "Scenario", _scenario(scenario)),
        _section("sources", "Sources", _sources(sources)),
        _section("provenance", "World and provenance", _provenance(world)),
        _section("solver", "Solver", _solver_table([("solve", result.date, result.solver)])),
    ]
    title = f"{result.scenario} on {result.world}{when}"
    return _document(title, RUN_SECTIONS, sections)


def render_timeline_html(
    timeline: TimelineResult,
    *,
    scenario: Scenario,
    world: WorldInfo,
    sources: pd.DataFrame | None = None,
) -> str:
    """The report of a timeline as a complete, self-contained HTML document (``sources``
    as for :func:`render_html`)."""
    figures = charts.timeline_plotly_figures(timeline, short_source(world.sources))
    charts_html = _plot(figures["timeline-welfare"], "chart-timeline-welfare")
    if "timeline-us-china" in figures:
        charts_html += _plot(figures["timeline-us-china"], "chart-timeline-us-china")
    if "timeline-tariffs" in figures:
        charts_html += _plot(figures["timeline-tariffs"], "chart-timeline-tariffs")
    phases_html = _phase_welfare(timeline) + _phase_measures(scenario, timeline)
    rows = [(p.title, p.result.date, p.result.solver) for p in timeline.phases]
    rows.append(("total", None, timeline.solver))
    sections = [
        _section("headline", "Headline", _timeline_headline(timeline)),
        _section("timeline", "Welfare by phase", charts_html),
        _section("phases", "Phases", phases_html),
        _section("scenario", "Scenario", _scenario(scenario)),
        _section("sources", "Sources", _sources(sources)),
        _section("provenance", "World and provenance", _provenance(world)),
        _section("solver", "Solver", _solver_table(rows)),
    ]
    title = f"{timeline.scenario} on {timeline.world}: timeline"
    return _document(title, TIMELINE_SECTIONS, sections)


def write_report(path: str | os.PathLike[str], html: str) -> Path:
    """Write ``html`` at ``path`` atomically; an unwritable path is an
    :class:`~truce.errors.OutputError`."""
    return write_text(path, html, "the report")


def write_figures(directory: str | os.PathLike[str], figures: Mapping[str, Figure]) -> list[Path]:
    """Save each figure as ``DIRECTORY/NAME.png`` at :data:`FIGURE_DPI`, each file
    atomically; the folder is created if needed.  An unwritable folder is an
    :class:`~truce.errors.OutputError`."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{folder}: cannot write the figures: {error.strerror}") from error
    return [
        write_atomically(
            folder / f"{name}.png",
            lambda out, figure=figure: figure.savefig(
                out, format="png", dpi=FIGURE_DPI, metadata=png_metadata(figure)
            ),
            "the figures",
        )
        for name, figure in figures.items()
    ]


# ----------------------------------------------------------------------- assembly


def _document(title: str, ids: Sequence[str], sections: Iterable[str]) -> str:
    nav = " ".join(f'<a href="#{i}">{escape(i)}</a>' for i in ids)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n"
        f"<script>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n<nav>{nav}</nav>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def _section(section_id: str, heading: str, body: str) -> str:
    return f'<section id="{section_id}">\n<h2>{escape(heading)}</h2>\n{body}\n</section>'


def _para(text: str, css: str = "note") -> str:
    return f'<p class="{css}">{escape(text)}</p>'


def _plot(figure: go.Figure, div_id: str) -> str:
    """A chart as a div and an inline script that draws it with the inlined Plotly."""
    payload = pio.to_json(figure, validate=False)
    # No text inside the figure can end the script or start markup.
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        f'<div id="{div_id}" class="chart"></div>\n<script>(function () {{\n'
        f"var f = {payload};\n"
        f'Plotly.newPlot("{div_id}", f.data, f.layout, '
        '{"displaylogo": false, "responsive": true});\n})();</script>'
    )


Format = tuple[str, Callable[[Any], str]]


def _table(frame: pd.DataFrame, columns: Mapping[str, Format] | None = None) -> str:
    """``frame`` as an HTML table; ``columns`` maps a column to its heading and format
    (other columns as text).  Every cell is escaped."""
    columns = columns or {}
    heads = []
    for name in frame.columns:
        heading = columns[name][0] if name in columns else str(name)
        css = "" if name in columns else ' class="text"'
        heads.append(f"<th{css}>{escape(heading)}</th>")
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for name, value in zip(frame.columns, row, strict=True):
            if name in columns:
                cells.append(f"<td>{escape(columns[name][1](value))}</td>")
            else:
                cells.append(f'<td class="text">{escape(_text(value))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "<table>\n<thead><tr>"
        + "".join(heads)
        + "</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody>\n</table>"
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _pct(value: Any) -> str:
    return "–" if _missing(value) else f"{round(float(value), 3) + 0.0:+.3f}"


def _pct1(value: Any) -> str:
    return "–" if _missing(value) else f"{round(float(value), 1) + 0.0:+.1f}"


def _amount(value: Any) -> str:
    return "–" if _missing(value) else f"{float(value):,.0f}"


def _rate(value: Any) -> str:
    return "–" if _missing(value) else f"{float(value):.4f}"


# ------------------------------------------------------------------------ sections


def _signed(digits: int) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        return "–" if _missing(value) else f"{round(float(value), digits) + 0.0:+,.{digits}f}"

    return show


def _region_columns(currency: str) -> dict[str, Format]:
    """The headline table's columns: every change with its unit, money beside welfare."""
    columns: dict[str, Format] = {}
    for column, label in REGION_LABELS.items():
        columns[column] = (label, _pct)
        if column == "welfare_pct":
            columns["welfare_usd_bn"] = ("welfare US$ bn", _signed(1))
            columns["welfare_usd_per_household"] = ("welfare US$ per household", _signed(0))
            columns["tariff_revenue_change"] = (f"tariff revenue change ({currency})", _signed(0))
    return columns


def _run_headline(result: Result, currency: str) -> str:
    solver = result.solver
    state = "converged" if solver.converged else "did NOT converge"
    when = f" with the measures in force on {result.date.isoformat()}" if result.date else ""
    text = (
        f"Scenario {result.scenario} on the world {result.world}{when}, model {result.model}. "
        f"The solver {state} in {solver.iterations} iterations (residual "
        f"{solver.residual:.1e}). Changes are measured against "
        f"{result.base.get('text', 'the base') if result.base else 'the base'}."
    )
    draws = result.extra.get("draws")
    if draws:
        fixed = ", ".join(draws["fixed_sectors"]) or "none"
        text += (
            f" Bands: the scenario was also solved under {draws['count']} draws of the "
            f"trade elasticities from their estimates' sampling distributions (seed "
            f"{draws['seed']}; sectors held fixed: {fixed}); the charts' whiskers give the "
            "median and the 5th-95th percentile range, the bars the point estimate."
        )
    parts = [_para(text, "lead")]
    if charts.has_pair(result.regions):
        change = bilateral_change(result.trade, list(result.regions["region"]))
        a, b = FOCUS_PAIR
        for e, i in ((a, b), (b, a)):
            row = change[(change["exporter"] == e) & (change["importer"] == i)].iloc[0]
            parts.append(
                _para(
                    f"{e} → {i} trade (all sectors): {_amount(row['baseline'])} → "
                    f"{_amount(row['counterfactual'])} {currency} "
                    f"({_pct1(row['change_pct'])}%).",
                    "lead",
                )
            )
    parts += _tariff_lines(result)
    shown = {c: f for c, f in _region_columns(currency).items() if c in result.regions.columns}
    parts.append(_table(result.regions.loc[:, ["region", *shown]], shown))
    return "\n".join(parts)


def _tariff_lines(result: Result) -> list[str]:
    """The focus pair's trade-weighted average tariffs, before and after, one line each."""
    if result.tariffs.empty:
        return []
    table = result.tariffs.set_index(["importer", "exporter"])
    a, b = FOCUS_PAIR
    against = result.base.get("scenario") if result.base else None
    before = f"under {against}" if against else "in the base"
    lines = []
    for importer, exporter in ((a, b), (b, a)):
        if (importer, exporter) in table.index:
            row = table.loc[(importer, exporter)]
            lines.append(
                _para(
                    f"Average {importer} tariff on {exporter} goods (trade-weighted by "
                    f"base-year flows): {row['before_pct']:.1f}% {before}, "
                    f"{row['after_pct']:.1f}% under {result.scenario}.",
                    "lead",
                )
            )
    return lines


def _largest_changes(change: pd.DataFrame, currency: str, count: int = 10) -> str:
    moved = change.assign(moved=change["counterfactual"] - change["baseline"])
    top = moved.reindex(moved["moved"].abs().sort_values(ascending=False).index).head(count)
    return "<h3>Largest changes by value</h3>\n" + _table(
        top.loc[:, ["exporter", "importer", "baseline", "counterfactual", "moved", "change_pct"]],
        {
            "baseline": (f"baseline ({currency})", _amount),
            "counterfactual": (f"counterfactual ({currency})", _amount),
            "moved": ("change", _amount),
            "change_pct": ("change %", _pct1),
        },
    )


def _us_china(result: Result, figures: Mapping[str, go.Figure], world: WorldInfo) -> str:
    if "us-china" not in figures:
        a, b = FOCUS_PAIR
        return _para(f"The world {world.name} does not have both {a} and {b} as regions.")
    flows = pair_sector_flows(result.trade)
    return _plot(figures["us-china"], "chart-us-china") + _table(
        flows,
        {
            "baseline": (f"baseline ({world.currency})", _amount),
            "counterfactual": (f"counterfactual ({world.currency})", _amount),
            "change_pct": ("change %", _pct1),
        },
    )


#: The region whose sectors the report lists first.
SECTOR_FOCUS = "USA"


def _sectors(result: Result, currency: str, count: int = 10) -> str:
    """Which sectors lose real output (the focus region's, then anywhere, by value), and
    with critical inputs, what their users pay and what the answer rests on."""
    table = result.sectors
    if "output_pct" not in table.columns or table.empty:
        return _para(f"The model {result.model} reports no results by sector.")
    names = result.names.get("sectors", {}) if result.names else {}
    table = table.assign(
        lost=table["gross_output"] * table["output_pct"] / 100.0,
        sector=[f"{c} {names[c]}" if c in names and names[c] != c else c for c in table["sector"]],
    )
    columns = {
        "gross_output": (f"base output ({currency})", _amount),
        "output_pct": ("real output %", _pct),
        "lost": (f"change at base prices ({currency})", _amount),
        "employment_pct": ("share of factors %", _pct),
        "price_pct": ("price %", _pct),
    }
    shown = ["region", "sector", *columns]
    parts = [
        _para(
            "Real output: each sector's sales at producer prices deflated by its unit-cost "
            "change; its change at base prices is base output times that percentage. A "
            "shortage of an input shows here before it shows in welfare."
        )
    ]
    focus = table[table["region"] == SECTOR_FOCUS]
    if not focus.empty:
        worst = focus.sort_values("output_pct").head(count)
        parts.append(f"<h3>{SECTOR_FOCUS}: the sectors that lose most output</h3>")
        parts.append(_table(worst.loc[:, shown], columns))
    anywhere = table.sort_values("lost").head(count)
    parts.append("<h3>Largest losses anywhere, by value</h3>")
    parts.append(_table(anywhere.loc[:, shown], columns))
    if "critical_share_pct" in table.columns:
        users = table.assign(
            critical_change=table["critical_share_pct"] - table["critical_share_base_pct"]
        ).sort_values("critical_change", ascending=False)
        critical_columns = ["region", "sector", "critical_share_base_pct"]
        critical_columns += ["critical_share_pct", "output_pct"]
        parts.append("<h3>Critical inputs: the users whose cost share rises most</h3>")
        parts.append(
            _table(
                users.head(count).loc[:, critical_columns],
                {
                    "critical_share_base_pct": ("critical share of costs, base %", _pct),
                    "critical_share_pct": ("critical share of costs, after %", _pct),
                    "output_pct": ("real output %", _pct),
                },
            )
        )
        parts.append(
            _para(
                "What this answer rests on most: the elasticity of substitution between "
                "critical inputs and the rest of their users' costs (sigma; 0.1 unless the "
                "run or the scenario sets another) and how far output of them can grow "
                "outside the controlling country (the scenario's capacity measures); the "
                "trade elasticities matter far less. `truce run ... --sigma 0.3` and "
                "`truce sweep critical-sigma` show how much (docs/models/caliendo-parro.md)."
            )
        )
    return "".join(parts)


def _describe(measure: Measure) -> str:
    """A measure's file keys and values, ``key value; …`` (unset optional keys left out)."""
    parts = []
    for name in file_keys(type(measure)):
        value = getattr(measure, name)
        if value is None:
            continue
        if isinstance(value, tuple | list | frozenset):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{name} {_text(value)}")
    return "; ".join(parts)


def _measures(scenario: Scenario, table: pd.DataFrame) -> str:
    if table.empty:
        return _para("The scenario has no measures.")
    details = {m.index: _describe(m) for m in scenario.measures}
    lines = {m.index: m.line for m in scenario.measures}
    frame = table.assign(
        line=[lines.get(i) for i in table["index"]],
        details=[details.get(i, "") for i in table["index"]],
    )
    order = ["index", "kind", "details", "line", "in_force", "binding", "equivalent_rate", "cells"]
    frame = frame.loc[:, [c for c in order if c in frame.columns]]
    return _para(
        "A constraint binds when its equivalent rate (the tax or subsidy that would have the "
        "same effect) exceeds 1e-9; kinds without a constraint have none."
    ) + _table(
        frame,
        {
            "index": ("#", _text),
            "line": ("line", _text),
            "equivalent_rate": ("equivalent rate", _rate),
            "cells": ("cells", _text),
        },
    )


def _sources(sources: pd.DataFrame | None) -> str:
    """The cited source keys with their titles and addresses, one list item each."""
    if sources is None or len(sources) == 0:
        return _para("The scenario cites no source key of the project's facts files.")
    items = []
    for row in sources.itertuples(index=False):
        shown = row.quality and str(row.quality) not in str(row.title)
        quality = f" ({escape(str(row.quality))})" if shown else ""
        # The address as text, not a link: a report loads and links nothing from elsewhere.
        link = f"<code>{escape(str(row.address))}</code>"
        items.append(
            f"<li><b>{escape(str(row.key))}</b> {escape(str(row.title))}{quality}: {link}</li>"
        )
    return (
        _para(
            "The source keys the scenario's comments cite ([S42]), from the project's facts files."
        )
        + "<ul>"
        + "".join(items)
        + "</ul>"
    )


def _scenario(scenario: Scenario) -> str:
    parts = [_para(f"{scenario.name}", "lead")]
    if scenario.description:
        parts.append(f"<p>{escape(scenario.description)}</p>")
    if scenario.path is not None:
        parts.append(_para(f"Read from {scenario.path}."))
    if scenario.text is not None:
        parts.append(f'<pre class="scenario-text">{escape(scenario.text)}</pre>')
    else:
        options = {
            f.name: getattr(scenario.options, f.name) for f in dataclasses.fields(scenario.options)
        }
        parts.append(_para(f"Built in Python (no file text); options {options}."))
    return "\n".join(parts)


def _provenance(world: WorldInfo) -> str:
    sources = "\n".join(f"<li>{escape(s)}</li>" for s in world.sources)
    return (
        _para(f"{world.name}: {world.year}, {world.currency}.", "lead")
        + f'\n<pre class="description">{escape(world.description)}</pre>\n'
        + "<h3>Sources</h3>\n"
        + (f"<ul>\n{sources}\n</ul>" if sources else _para("No sources are given."))
    )


def _solver_table(rows: Sequence[tuple[str, datetime.date | None, SolverStats]]) -> str:
    frame = pd.DataFrame(
        [
            {
                "solve": label,
                "date": day,
                "converged": stats.converged,
                "iterations": stats.iterations,
                "jacobians": stats.jacobians,
                "residual": stats.residual,
                "seconds": stats.seconds,
            }
            for label, day, stats in rows
        ]
    )
    frame["date"] = pd.Series(list(frame["date"]), dtype=object)
    return _table(
        frame,
        {
            "iterations": ("iterations", str),
            "jacobians": ("Jacobians", str),
            "residual": ("residual", lambda v: f"{float(v):.2e}"),
            "seconds": ("seconds", lambda v: f"{float(v):.2f}"),
        },
    )


def _timeline_headline(timeline: TimelineResult) -> str:
    solver = timeline.solver
    state = "every solve converged" if solver.converged else "some solve did NOT converge"
    text = (
        f"Scenario {timeline.scenario} on the world {timeline.world}, model "
        f"{timeline.model}: {len(timeline.phases)} phases, {state} "
        f"({solver.iterations} iterations in all, largest residual {solver.residual:.1e}). "
        f"Changes are measured against "
        f"{timeline.base.get('text', 'the base') if timeline.base else 'the base'}."
    )
    regions = list(timeline.phases[0].result.regions["region"]) if timeline.phases else []
    focus = [r for r in FOCUS_PAIR if r in regions]
    rows = []
    for p in timeline.phases:
        welfare = dict(
            zip(p.result.regions["region"], p.result.regions["welfare_pct"], strict=True)
        )
        row: dict[str, Any] = {"phase": p.title, "solved on": p.result.date}
        row["in force"] = int(p.result.measures["in_force"].sum())
        for r in focus:
            row[f"{r} welfare %"] = welfare[r]
        rows.append(row)
    frame = pd.DataFrame(rows)
    if "solved on" in frame:
        frame["solved on"] = pd.Series(list(frame["solved on"]), dtype=object)
    formats: dict[str, Format] = {"in force": ("measures in force", str)}
    formats.update({f"{r} welfare %": (f"{r} welfare %", _pct) for r in focus})
    return _para(text, "lead") + _table(frame, formats)


def _phase_welfare(timeline: TimelineResult) -> str:
    if not timeline.phases:
        return _para("No phases.")
    labels = [p.title for p in timeline.phases]
    wide = pd.DataFrame({"region": list(timeline.phases[0].result.regions["region"])})
    for label, p in zip(labels, timeline.phases, strict=True):
        wide[label] = list(p.result.regions["welfare_pct"])
    return "<h3>Welfare % by region and phase</h3>\n" + _table(
        wide, {label: (label, _pct) for label in labels}
    )


def _phase_measures(scenario: Scenario, timeline: TimelineResult) -> str:
    if not timeline.phases or not scenario.measures:
        return ""
    wide = pd.DataFrame(
        {
            "index": [m.index for m in scenario.measures],
            "kind": [m.kind for m in scenario.measures],
            "details": [_describe(m) for m in scenario.measures],
        }
    )
    for p in timeline.phases:
        table = p.result.measures.set_index("index")
        wide[p.label] = [
            ("binding" if table.at[i, "binding"] else "in force")
            if table.at[i, "in_force"]
            else "–"
            for i in wide["index"]
        ]
    return "<h3>Measures in force by phase</h3>\n" + _table(wide)
