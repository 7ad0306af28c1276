"""Charts from the tidy result tables: Plotly figures for the HTML report and Matplotlib
figures (PNG, for papers) of the same data.

Every chart is one function of tidy tables (:attr:`Result.regions`, :attr:`Result.trade`,
:attr:`TimelineResult.table`, :attr:`TimelineResult.bilateral` or the tables derived
from them in :mod:`truce.report.tables`).  :func:`plotly_figures` /
:func:`matplotlib_figures` (and their ``timeline_`` versions) give every chart of a
result under a stable name, which is also the PNG's file name.  Matplotlib figures are
drawn on the Agg canvas, never through pyplot, so no GUI backend is involved.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from truce.policy.groups import is_service
from truce.report.chart_style import (
    Stamp,
    percent_axis,
    region_colors,
    result_stamp,
    stamp_matplotlib,
    stamp_plotly,
    thousands_axis,
    timeline_stamp,
)
from truce.report.result import Result
from truce.report.tables import FOCUS_PAIR, bilateral_change, pair_sector_flows
from truce.report.timeline import TimelineResult
from truce.timeline.calendar import Phase

#: Bar charts show at most this many regions (the largest traders) ...
MAX_BARS = 30
#: ... and the trade heatmap at most this many.
MAX_GRID = 25

#: Chart names of a run, in report order (``us-china`` only when the world has both).
RUN_CHARTS: tuple[str, ...] = ("welfare", "trade-change", "us-china", "prices", "revenue")
#: Chart names of a timeline, in report order (``timeline-us-china`` as above, and
#: ``timeline-tariffs`` when the average tariffs include the pair).
TIMELINE_CHARTS: tuple[str, ...] = ("timeline-welfare", "timeline-us-china", "timeline-tariffs")

_GAIN, _LOSS = "#2b8cbe", "#d7301f"
_BASELINE, _COUNTERFACTUAL = "#9e9e9e", "#d7301f"


def has_pair(regions: pd.DataFrame, pair: tuple[str, str] = FOCUS_PAIR) -> bool:
    """True iff both regions of ``pair`` are among ``regions['region']``."""
    present = set(regions["region"])
    return all(r in present for r in pair)


def _signs(values: pd.Series) -> list[str]:
    return [_GAIN if v >= 0 else _LOSS for v in values]


def _direction(exporter: str, importer: str) -> str:
    return f"{exporter} → {importer}"


def _phase_labels(frame: pd.DataFrame) -> list[str]:
    if "phase" in frame.columns:
        return [str(title) for title in frame["phase"]]
    return [
        Phase(start, end).label
        for start, end in zip(frame["phase_start"], frame["phase_end"], strict=True)
    ]


def _pair_by_phase(bilateral: pd.DataFrame, pair: tuple[str, str]) -> pd.DataFrame:
    """Per phase and direction of ``pair``: the goods flow's change from the baseline, %."""
    a, b = pair
    rows = bilateral[
        ((bilateral["exporter"] == a) & (bilateral["importer"] == b))
        | ((bilateral["exporter"] == b) & (bilateral["importer"] == a))
    ].copy()
    rows["phase"] = _phase_labels(rows)
    rows["direction"] = [
        _direction(e, i) for e, i in zip(rows["exporter"], rows["importer"], strict=True)
    ]
    rows["change_pct"] = 100.0 * (rows["counterfactual"] / rows["baseline"] - 1.0)
    return rows.reset_index(drop=True)


# --------------------------------------------------------------------------- Plotly


def _layout(fig: go.Figure, title: str, height: int = 420, stamp: Stamp | None = None) -> go.Figure:
    return stamp_plotly(fig, title, stamp, height)


#: Title words of a chart whose results carry elasticity-draw bands.
BAND_NOTE = " (whiskers: median and 90% band over elasticity draws)"


def has_band(frame: pd.DataFrame, column: str) -> bool:
    """Whether ``frame`` has the percentile columns of ``column`` (``--draws``)."""
    return all(f"{column}_{p}" in frame.columns for p in ("p05", "p50", "p95"))


def _band_plotly(frame: pd.DataFrame, column: str, x: list[str], name: str) -> go.Scatter:
    """Median markers with whiskers from the 5th to the 95th percentile of ``column``."""
    mid = frame[f"{column}_p50"].to_numpy(dtype=np.float64)
    return go.Scatter(
        x=x,
        y=list(mid),
        mode="markers",
        name=name,
        marker={"color": "black", "size": 6, "symbol": "line-ew-open"},
        error_y={
            "type": "data",
            "symmetric": False,
            "array": list(frame[f"{column}_p95"].to_numpy(dtype=np.float64) - mid),
            "arrayminus": list(mid - frame[f"{column}_p05"].to_numpy(dtype=np.float64)),
            "color": "black",
            "thickness": 1.2,
        },
        hovertemplate="%{x}: median %{y:+.3f}<extra>90% band</extra>",
    )


def _band_matplotlib(ax, x: np.ndarray, frame: pd.DataFrame, column: str) -> None:
    """Median markers with whiskers from the 5th to the 95th percentile of ``column``."""
    mid = frame[f"{column}_p50"].to_numpy(dtype=np.float64)
    low = mid - frame[f"{column}_p05"].to_numpy(dtype=np.float64)
    high = frame[f"{column}_p95"].to_numpy(dtype=np.float64) - mid
    ax.errorbar(x, mid, yerr=[low, high], fmt="_", color="black", capsize=2, linewidth=1)


def welfare_plotly(regions: pd.DataFrame, note: str = "", stamp: Stamp | None = None) -> go.Figure:
    """Welfare change by region, %: one bar per region (``note`` ends the title); with
    elasticity draws, whiskers show the median and the 90% band."""
    x = list(regions["region"])
    fig = go.Figure(
        go.Bar(
            x=x,
            y=list(regions["welfare_pct"]),
            marker_color=_signs(regions["welfare_pct"]),
            name="point estimate",
            customdata=_money(regions),
            hovertemplate="%{x}: %{y:+.3f}%%{customdata}<extra></extra>",
        )
    )
    if has_band(regions, "welfare_pct"):
        fig.add_trace(_band_plotly(regions, "welfare_pct", x, "median, 90% band"))
        note = BAND_NOTE + note
    fig.update_layout(showlegend=False)
    fig.update_yaxes(title_text="welfare change, %", ticksuffix="%", zeroline=True)
    return _layout(fig, "Welfare by region" + note, stamp=stamp)


def _money(regions: pd.DataFrame) -> list[str]:
    """Hover text: the welfare change in US$ bn where the results have it."""
    if "welfare_usd_bn" not in regions.columns:
        return [""] * len(regions)
    return [f" (US$ {v:+,.1f} bn)" for v in regions["welfare_usd_bn"]]


def trade_change_plotly(
    change: pd.DataFrame, regions: list[str], note: str = "", stamp: Stamp | None = None
) -> go.Figure:
    """Heatmap of the % change of each pair's foreign flow (rows exporters, columns
    importers) from a :func:`~truce.report.tables.bilateral_change` table."""
    z = _change_matrix(change, regions)
    bound = _symmetric_bound(z)
    fig = go.Figure(
        go.Heatmap(
            z=z.tolist(),
            x=regions,
            y=regions,
            colorscale="RdBu",
            zmid=0.0,
            zmin=-bound,
            zmax=bound,
            texttemplate="%{z:.1f}",
            colorbar={"title": {"text": "%"}, "ticksuffix": "%"},
            hovertemplate="%{y} → %{x}: %{z:+.2f}%<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="importer", side="bottom")
    fig.update_yaxes(title_text="exporter", autorange="reversed")
    return _layout(
        fig,
        "Change in bilateral trade (all sectors, foreign flows), %" + note,
        620,
        stamp,
    )


def _goods_and_services(flows: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The goods rows of a pair's sector flows, and a title note with the services
    flows left out (they would swamp the goods)."""
    service = [is_service(str(c), True) for c in flows["sector"]]
    goods = flows[[not s for s in service]]
    services = flows[service]
    if services.empty:
        return flows, ""
    parts = [
        f"{_direction(e, i)} {b:,.0f} → {c:,.0f}"
        for e, i, b, c in services.groupby(["exporter", "importer"], sort=False)[
            ["baseline", "counterfactual"]
        ]
        .sum()
        .reset_index()
        .itertuples(index=False)
    ]
    return goods, " (goods; services apart: " + "; ".join(parts) + ")"


def _named(codes: list[str], names: dict[str, str]) -> list[str]:
    """``C26 Computer, electronic…``: a code with its name, shortened."""
    out = []
    for code in codes:
        name = names.get(code, "")
        short = name if len(name) <= 28 else name[:27] + "…"
        out.append(f"{code} {short}" if short and short != code else code)
    return out


def pair_sectors_plotly(
    flows: pd.DataFrame,
    currency: str,
    stamp: Stamp | None = None,
    names: dict[str, str] | None = None,
) -> go.Figure:
    """Base and counterfactual goods flows by sector, one panel per direction, from a
    :func:`~truce.report.tables.pair_sector_flows` table; services in the title."""
    flows, note = _goods_and_services(flows)
    directions = list(dict.fromkeys(zip(flows["exporter"], flows["importer"], strict=True)))
    fig = make_subplots(
        rows=1,
        cols=max(1, len(directions)),
        subplot_titles=[_direction(e, i) for e, i in directions],
        shared_yaxes=True,
    )
    for col, (e, i) in enumerate(directions, start=1):
        part = flows[(flows["exporter"] == e) & (flows["importer"] == i)]
        labels = _named(list(part["sector"]), names or {})
        for case, color in (("baseline", _BASELINE), ("counterfactual", _COUNTERFACTUAL)):
            fig.add_trace(
                go.Bar(
                    y=labels,
                    x=list(part[case]),
                    name="base" if case == "baseline" else "after",
                    orientation="h",
                    marker_color=color,
                    legendgroup=case,
                    showlegend=col == 1,
                    hovertemplate="%{y}: %{x:,.0f}<extra>" + case + "</extra>",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text=currency, tickformat=",.0f", row=1, col=col)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(barmode="group")
    height = max(420, 22 * flows["sector"].nunique() + 160)
    return _layout(fig, "US–China flows by sector" + note, height, stamp)


def prices_plotly(regions: pd.DataFrame, note: str = "", stamp: Stamp | None = None) -> go.Figure:
    """Consumer prices and real wages by region, % change: grouped bars."""
    fig = go.Figure()
    for column, name, color in (
        ("price_index_pct", "consumer prices", _LOSS),
        ("real_wage_pct", "real wage", _GAIN),
    ):
        fig.add_trace(
            go.Bar(
                x=list(regions["region"]),
                y=list(regions[column]),
                name=name,
                marker_color=color,
                offsetgroup=column,
                hovertemplate="%{x}: %{y:+.3f}%<extra>" + name + "</extra>",
            )
        )
        if has_band(regions, column):
            band = _band_plotly(regions, column, list(regions["region"]), name + " band")
            band.update(offsetgroup=column, showlegend=False)
            fig.add_trace(band)
    if has_band(regions, "real_wage_pct"):
        note = BAND_NOTE + note
    fig.update_layout(barmode="group", scattermode="group")
    fig.update_yaxes(title_text="change, %", ticksuffix="%")
    return _layout(
        fig,
        "Consumer prices (in the model's numeraire) and real wages by region" + note,
        stamp=stamp,
    )


def _revenue(regions: pd.DataFrame) -> tuple[str, str]:
    """The revenue column a chart shows and its title: the change when known."""
    if "tariff_revenue_change" in regions.columns:
        return "tariff_revenue_change", "Change in tariff revenue by region"
    return "tariff_revenue", "Tariff revenue by region (after the measures)"


def revenue_plotly(
    regions: pd.DataFrame, currency: str, note: str = "", stamp: Stamp | None = None
) -> go.Figure:
    """The change in tariff revenue by region (the level for older results), in the
    world's currency."""
    column, title = _revenue(regions)
    fig = go.Figure(
        go.Bar(
            x=list(regions["region"]),
            y=list(regions[column]),
            marker_color=_signs(regions[column]),
            hovertemplate="%{x}: %{y:+,.0f}<extra></extra>",
        )
    )
    fig.update_yaxes(title_text=currency, tickformat=",.0f")
    return _layout(fig, title + note, stamp=stamp)


#: How far before the first change date a timeline chart starts its leading phase, and
#: after the last one it ends its open phase, as a share of the dated span.
_PAD = 0.12


def phase_spans(
    starts: list[datetime.date | None], ends: list[datetime.date | None]
) -> list[tuple[datetime.date, datetime.date]]:
    """Each phase's span on a date axis: open ends drawn a little beyond the dated span
    (a one-day phase stays one day wide; a three-year one, three years)."""
    known = [d for d in (*starts, *ends) if d is not None]
    if not known:
        today = datetime.date(2000, 1, 1)
        return [(today, today + datetime.timedelta(days=365)) for _ in starts]
    first, last = min(known), max(known)
    pad = datetime.timedelta(days=max(30, int(_PAD * (last - first).days)))
    return [
        (first - pad if s is None else s, last + pad if e is None else e)
        for s, e in zip(starts, ends, strict=True)
    ]


def _steps(part: pd.DataFrame, column: str) -> tuple[list[datetime.date], list[float]]:
    """A step line over the phases of ``part`` (rows in phase order): each phase's value
    held from its start to its end."""
    spans = phase_spans(list(part["phase_start"]), list(part["phase_end"]))
    x: list[datetime.date] = []
    y: list[float] = []
    for (start, end), value in zip(spans, part[column], strict=True):
        x += [start, end]
        y += [float(value), float(value)]
    return x, y


def timeline_welfare_plotly(table: pd.DataFrame, stamp: Stamp | None = None) -> go.Figure:
    """Welfare by phase on a date axis, one step line per region (the same colour as in
    every chart), from :attr:`TimelineResult.table`."""
    fig = go.Figure()
    colors = region_colors(list(dict.fromkeys(table["region"])))
    for region, part in table.groupby("region", sort=False):
        x, y = _steps(part, "welfare_pct")
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=str(region),
                line={"color": colors[str(region)], "width": 2},
                hovertemplate="%{x|%Y-%m-%d}: %{y:+.3f}%<extra>" + str(region) + "</extra>",
            )
        )
    fig.update_xaxes(title_text="date", type="date")
    fig.update_yaxes(title_text="welfare change, %", ticksuffix="%")
    return _layout(fig, "Welfare by phase", 480, stamp)


def timeline_pair_plotly(
    bilateral: pd.DataFrame, pair: tuple[str, str] = FOCUS_PAIR, stamp: Stamp | None = None
) -> go.Figure:
    """The change of each direction's goods flow between ``pair`` by phase, %, on a
    date axis."""
    rows = _pair_by_phase(bilateral, pair)
    fig = go.Figure()
    for direction, part in rows.groupby("direction", sort=False):
        x, y = _steps(part, "change_pct")
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=str(direction)))
    fig.update_xaxes(title_text="date", type="date")
    fig.update_yaxes(title_text="goods flow change, %", ticksuffix="%")
    return _layout(fig, "US–China goods trade by phase", 420, stamp)


#: The average tariffs a timeline's tariff chart draws: (importer, exporter).
TARIFF_LINES: tuple[tuple[str, str], ...] = (("USA", "CHN"), ("CHN", "USA"))


def timeline_tariffs_plotly(tariffs: pd.DataFrame, stamp: Stamp | None = None) -> go.Figure:
    """The trade-weighted average tariff each way between the US and China by date
    (PIIE's measure), from :attr:`TimelineResult.tariffs`."""
    fig = go.Figure()
    for importer, exporter in TARIFF_LINES:
        part = tariffs[(tariffs["importer"] == importer) & (tariffs["exporter"] == exporter)]
        if part.empty:
            continue
        x, y = _steps(part, "after_pct")
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=f"{importer} tariff on {exporter} goods",
                hovertemplate="%{x|%Y-%m-%d}: %{y:.1f}%<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="date", type="date")
    fig.update_yaxes(title_text="average tariff, %", ticksuffix="%", rangemode="tozero")
    return _layout(
        fig, "Average US–China tariffs by date (trade-weighted, base-year goods flows)", 420, stamp
    )


@dataclass(frozen=True)
class _Focus:
    """The regions a run's charts show: all of them, or the largest traders."""

    bars: pd.DataFrame
    """Rows of ``result.regions`` for the bar charts."""
    bars_note: str
    grid: list[str]
    """Regions of the trade heatmap, in the results' order."""
    grid_note: str


def _focus(result: Result) -> _Focus:
    """At most :data:`MAX_BARS` regions in bar charts and :data:`MAX_GRID` in the heatmap:
    those with the most foreign trade in the baseline (exports plus imports), kept in the
    results' order, and said so in the chart's title."""
    regions = list(result.regions["region"])
    trade = result.trade[result.trade["exporter"] != result.trade["importer"]]
    volume = (
        trade.groupby("exporter")["baseline"]
        .sum()
        .add(trade.groupby("importer")["baseline"].sum(), fill_value=0.0)
    ).reindex(regions, fill_value=0.0)

    def largest(limit: int) -> tuple[list[str], str]:
        if len(regions) <= limit:
            return regions, ""
        keep = set(volume.sort_values(ascending=False, kind="mergesort").index[:limit])
        note = f" — the {limit} largest traders of {len(regions)} regions"
        return [r for r in regions if r in keep], note

    bars, bars_note = largest(MAX_BARS)
    grid, grid_note = largest(MAX_GRID)
    shown = result.regions[result.regions["region"].isin(bars)]
    return _Focus(shown, bars_note, grid, grid_note)


def plotly_figures(
    result: Result, currency: str = "world currency", data: str | None = None
) -> dict[str, go.Figure]:
    """Every chart of a run, by name (see :data:`RUN_CHARTS`), each stamped with the
    scenario, date, base and source (``data``: the world's main data source)."""
    f = _focus(result)
    stamp = result_stamp(result, data)
    change = bilateral_change(result.trade, f.grid)
    figures = {
        "welfare": welfare_plotly(f.bars, f.bars_note, stamp),
        "trade-change": trade_change_plotly(change, f.grid, f.grid_note, stamp),
    }
    if has_pair(result.regions):
        figures["us-china"] = pair_sectors_plotly(
            pair_sector_flows(result.trade), currency, stamp, _sector_names(result)
        )
    figures["prices"] = prices_plotly(f.bars, f.bars_note, stamp)
    figures["revenue"] = revenue_plotly(f.bars, currency, f.bars_note, stamp)
    return figures


def _sector_names(result: Result) -> dict[str, str]:
    return dict(result.names.get("sectors", {})) if result.names else {}


def timeline_plotly_figures(
    timeline: TimelineResult, data: str | None = None
) -> dict[str, go.Figure]:
    """Every chart of a timeline, by name (see :data:`TIMELINE_CHARTS`), stamped."""
    stamp = timeline_stamp(timeline, data)
    figures = {"timeline-welfare": timeline_welfare_plotly(timeline.table, stamp)}
    if timeline.phases and has_pair(timeline.phases[0].result.regions):
        figures["timeline-us-china"] = timeline_pair_plotly(timeline.bilateral, stamp=stamp)
    if _has_tariff_lines(timeline.tariffs):
        figures["timeline-tariffs"] = timeline_tariffs_plotly(timeline.tariffs, stamp)
    return figures


def _has_tariff_lines(tariffs: pd.DataFrame) -> bool:
    if tariffs.empty or "importer" not in tariffs.columns:
        return False
    pairs = set(zip(tariffs["importer"], tariffs["exporter"], strict=True))
    return any(pair in pairs for pair in TARIFF_LINES)


# ----------------------------------------------------------------------- Matplotlib


def _figure(width: float = 8.0, height: float = 4.5) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def welfare_matplotlib(regions: pd.DataFrame, note: str = "", stamp: Stamp | None = None) -> Figure:
    """Welfare change by region, %: one bar per region; with elasticity draws, whiskers
    show the median and the 90% band."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.bar(list(regions["region"]), regions["welfare_pct"], color=_signs(regions["welfare_pct"]))
    if has_band(regions, "welfare_pct"):
        _band_matplotlib(ax, np.arange(len(regions)), regions, "welfare_pct")
        note = BAND_NOTE + note
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_ylabel("welfare change, %")
    percent_axis(ax.yaxis)
    ax.tick_params(axis="x", labelrotation=45)
    return stamp_matplotlib(fig, "Welfare by region" + note, stamp)


def trade_change_matplotlib(
    change: pd.DataFrame, regions: list[str], note: str = "", stamp: Stamp | None = None
) -> Figure:
    """Heatmap of the % change of each pair's foreign flow (rows exporters)."""
    z = _change_matrix(change, regions)
    bound = _symmetric_bound(z)
    fig = _figure(8.0, 7.5)
    ax = fig.add_subplot()
    cmap = _colormap("RdBu")
    image = ax.imshow(z, cmap=cmap, norm=TwoSlopeNorm(0.0, -bound, bound))
    ax.set_xticks(range(len(regions)), regions, rotation=90)
    ax.set_yticks(range(len(regions)), regions)
    ax.set_xlabel("importer")
    ax.set_ylabel("exporter")
    if len(regions) <= 20:
        for r in range(len(regions)):
            for c in range(len(regions)):
                if not math.isnan(z[r, c]):
                    ax.text(c, r, f"{z[r, c]:.1f}", ha="center", va="center", fontsize=6)
    bar = fig.colorbar(image, ax=ax, label="change, %", shrink=0.8)
    percent_axis(bar.ax.yaxis)
    return stamp_matplotlib(
        fig, "Change in bilateral trade (all sectors, foreign flows), %" + note, stamp
    )


def pair_sectors_matplotlib(
    flows: pd.DataFrame,
    currency: str,
    stamp: Stamp | None = None,
    names: dict[str, str] | None = None,
) -> Figure:
    """Base and counterfactual goods flows by sector, one panel per direction;
    services in the title."""
    flows, note = _goods_and_services(flows)
    directions = list(dict.fromkeys(zip(flows["exporter"], flows["importer"], strict=True)))
    sectors = list(dict.fromkeys(flows["sector"]))
    fig = _figure(11.0, max(4.0, 0.25 * len(sectors) + 2.0))
    axes = fig.subplots(1, max(1, len(directions)), sharey=True, squeeze=False)[0]
    y = np.arange(len(sectors))
    for ax, (e, i) in zip(axes, directions, strict=False):
        part = flows[(flows["exporter"] == e) & (flows["importer"] == i)].set_index("sector")
        part = part.reindex(sectors, fill_value=0.0)
        ax.barh(y - 0.2, part["baseline"], height=0.4, color=_BASELINE, label="base")
        ax.barh(y + 0.2, part["counterfactual"], height=0.4, color=_COUNTERFACTUAL, label="after")
        ax.set_title(_direction(e, i))
        ax.set_xlabel(currency)
        thousands_axis(ax.xaxis)
    axes[0].set_yticks(y, _named(sectors, names or {}), fontsize=7)
    axes[0].invert_yaxis()
    axes[-1].legend(fontsize=8, loc="lower right")
    return stamp_matplotlib(fig, "US–China flows by sector" + note, stamp)


def prices_matplotlib(regions: pd.DataFrame, note: str = "", stamp: Stamp | None = None) -> Figure:
    """Consumer prices and real wages by region, % change: grouped bars."""
    fig = _figure()
    ax = fig.add_subplot()
    x = np.arange(len(regions))
    ax.bar(x - 0.2, regions["price_index_pct"], width=0.4, color=_LOSS, label="consumer prices")
    ax.bar(x + 0.2, regions["real_wage_pct"], width=0.4, color=_GAIN, label="real wage")
    for column, shift in (("price_index_pct", -0.2), ("real_wage_pct", 0.2)):
        if has_band(regions, column):
            _band_matplotlib(ax, x + shift, regions, column)
    if has_band(regions, "real_wage_pct"):
        note = BAND_NOTE + note
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xticks(x, list(regions["region"]), rotation=45)
    ax.set_ylabel("change, %")
    percent_axis(ax.yaxis)
    ax.legend(fontsize=8)
    return stamp_matplotlib(
        fig, "Consumer prices (in the model's numeraire) and real wages by region" + note, stamp
    )


def revenue_matplotlib(
    regions: pd.DataFrame, currency: str, note: str = "", stamp: Stamp | None = None
) -> Figure:
    """The change in tariff revenue by region, in the world's currency."""
    column, title = _revenue(regions)
    fig = _figure()
    ax = fig.add_subplot()
    ax.bar(list(regions["region"]), regions[column], color=_signs(regions[column]))
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_ylabel(currency)
    thousands_axis(ax.yaxis)
    ax.tick_params(axis="x", labelrotation=45)
    return stamp_matplotlib(fig, title + note, stamp)


def _date_lines(ax, frame: pd.DataFrame, key: str, column: str, colors: dict[str, str]) -> None:
    for label, part in frame.groupby(key, sort=False):
        x, y = _steps(part, column)
        ax.plot(x, y, label=str(label), color=colors.get(str(label)), linewidth=1.6)


def timeline_welfare_matplotlib(table: pd.DataFrame, stamp: Stamp | None = None) -> Figure:
    """Welfare by phase on a date axis, one step line per region."""
    fig = _figure(9.0, 5.0)
    ax = fig.add_subplot()
    colors = region_colors(list(dict.fromkeys(table["region"])))
    _date_lines(ax, table, "region", "welfare_pct", colors)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_ylabel("welfare change, %")
    ax.set_xlabel("date")
    percent_axis(ax.yaxis)
    ax.legend(fontsize=7, ncols=2, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return stamp_matplotlib(fig, "Welfare by phase", stamp)


def timeline_pair_matplotlib(
    bilateral: pd.DataFrame, pair: tuple[str, str] = FOCUS_PAIR, stamp: Stamp | None = None
) -> Figure:
    """The change of each direction's goods flow between ``pair`` by phase, %."""
    rows = _pair_by_phase(bilateral, pair)
    fig = _figure(8.0, 4.5)
    ax = fig.add_subplot()
    _date_lines(ax, rows, "direction", "change_pct", {})
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_ylabel("goods flow change, %")
    ax.set_xlabel("date")
    percent_axis(ax.yaxis)
    ax.legend(fontsize=8)
    return stamp_matplotlib(fig, "US–China goods trade by phase", stamp)


def timeline_tariffs_matplotlib(tariffs: pd.DataFrame, stamp: Stamp | None = None) -> Figure:
    """The trade-weighted average tariff each way between the US and China by date."""
    fig = _figure(8.0, 4.5)
    ax = fig.add_subplot()
    for importer, exporter in TARIFF_LINES:
        part = tariffs[(tariffs["importer"] == importer) & (tariffs["exporter"] == exporter)]
        if not part.empty:
            x, y = _steps(part, "after_pct")
            ax.plot(x, y, label=f"{importer} tariff on {exporter} goods", linewidth=1.6)
    ax.set_ylabel("average tariff, %")
    ax.set_xlabel("date")
    ax.set_ylim(bottom=0.0)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:g}%")
    ax.legend(fontsize=8)
    return stamp_matplotlib(
        fig, "Average US–China tariffs by date (trade-weighted, base-year goods flows)", stamp
    )


def matplotlib_figures(
    result: Result, currency: str = "world currency", data: str | None = None
) -> dict[str, Figure]:
    """Every chart of a run as a Matplotlib figure, by name (see :data:`RUN_CHARTS`),
    stamped as :func:`plotly_figures`' are."""
    f = _focus(result)
    stamp = result_stamp(result, data)
    change = bilateral_change(result.trade, f.grid)
    figures = {
        "welfare": welfare_matplotlib(f.bars, f.bars_note, stamp),
        "trade-change": trade_change_matplotlib(change, f.grid, f.grid_note, stamp),
    }
    if has_pair(result.regions):
        figures["us-china"] = pair_sectors_matplotlib(
            pair_sector_flows(result.trade), currency, stamp, _sector_names(result)
        )
    figures["prices"] = prices_matplotlib(f.bars, f.bars_note, stamp)
    figures["revenue"] = revenue_matplotlib(f.bars, currency, f.bars_note, stamp)
    return figures


def timeline_matplotlib_figures(
    timeline: TimelineResult, data: str | None = None
) -> dict[str, Figure]:
    """Every chart of a timeline as a Matplotlib figure (see :data:`TIMELINE_CHARTS`)."""
    stamp = timeline_stamp(timeline, data)
    figures = {"timeline-welfare": timeline_welfare_matplotlib(timeline.table, stamp)}
    if timeline.phases and has_pair(timeline.phases[0].result.regions):
        figures["timeline-us-china"] = timeline_pair_matplotlib(timeline.bilateral, stamp=stamp)
    if _has_tariff_lines(timeline.tariffs):
        figures["timeline-tariffs"] = timeline_tariffs_matplotlib(timeline.tariffs, stamp)
    return figures


# ---------------------------------------------------------------------------- shared


def _change_matrix(change: pd.DataFrame, regions: list[str]) -> np.ndarray:
    """exporter × importer matrix of ``change_pct``; NaN on the diagonal and where unknown."""
    wide = change.pivot(index="exporter", columns="importer", values="change_pct")
    return wide.reindex(index=regions, columns=regions).to_numpy(dtype=np.float64)


def _symmetric_bound(z: np.ndarray) -> float:
    finite = np.abs(z[np.isfinite(z)])
    bound = float(finite.max()) if finite.size else 0.0
    return bound if bound > 0.0 else 1.0


def _colormap(name: str):
    return colormaps[name].with_extremes(bad="#eeeeee")
