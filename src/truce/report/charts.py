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
#: Chart names of a timeline, in report order (``timeline-us-china`` as above).
TIMELINE_CHARTS: tuple[str, ...] = ("timeline-welfare", "timeline-us-china")

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


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
    )
    return fig


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


def welfare_plotly(regions: pd.DataFrame, note: str = "") -> go.Figure:
    """Welfare change by region, %: one bar per region (``note`` ends the title); with
    elasticity draws, whiskers show the median and the 90% band."""
    x = list(regions["region"])
    fig = go.Figure(
        go.Bar(
            x=x,
            y=list(regions["welfare_pct"]),
            marker_color=_signs(regions["welfare_pct"]),
            name="point estimate",
            hovertemplate="%{x}: %{y:+.3f}%<extra></extra>",
        )
    )
    if has_band(regions, "welfare_pct"):
        fig.add_trace(_band_plotly(regions, "welfare_pct", x, "median, 90% band"))
        note = BAND_NOTE + note
    fig.update_layout(showlegend=False)
    fig.update_yaxes(title_text="welfare change, %")
    return _layout(fig, "Welfare by region" + note)


def trade_change_plotly(change: pd.DataFrame, regions: list[str], note: str = "") -> go.Figure:
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
            colorbar={"title": {"text": "%"}},
            hovertemplate="%{y} → %{x}: %{z:+.2f}%<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="importer", side="bottom")
    fig.update_yaxes(title_text="exporter", autorange="reversed")
    return _layout(fig, "Change in bilateral trade (all sectors, foreign flows), %" + note, 620)


def pair_sectors_plotly(flows: pd.DataFrame, currency: str) -> go.Figure:
    """Baseline and counterfactual flows by sector, one panel per direction, from a
    :func:`~truce.report.tables.pair_sector_flows` table."""
    directions = list(dict.fromkeys(zip(flows["exporter"], flows["importer"], strict=True)))
    fig = make_subplots(
        rows=1,
        cols=len(directions),
        subplot_titles=[_direction(e, i) for e, i in directions],
        shared_yaxes=True,
    )
    for col, (e, i) in enumerate(directions, start=1):
        part = flows[(flows["exporter"] == e) & (flows["importer"] == i)]
        for case, color in (("baseline", _BASELINE), ("counterfactual", _COUNTERFACTUAL)):
            fig.add_trace(
                go.Bar(
                    y=list(part["sector"]),
                    x=list(part[case]),
                    name=case,
                    orientation="h",
                    marker_color=color,
                    legendgroup=case,
                    showlegend=col == 1,
                    hovertemplate="%{y}: %{x:,.0f}<extra>" + case + "</extra>",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text=currency, row=1, col=col)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(barmode="group")
    height = max(420, 22 * flows["sector"].nunique() + 140)
    return _layout(fig, "US–China flows by sector", height)


def prices_plotly(regions: pd.DataFrame, note: str = "") -> go.Figure:
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
    fig.update_yaxes(title_text="change, %")
    return _layout(fig, "Prices and real wages by region" + note)


def revenue_plotly(regions: pd.DataFrame, currency: str, note: str = "") -> go.Figure:
    """Tariff revenue by region in the counterfactual, in the world's currency."""
    fig = go.Figure(
        go.Bar(
            x=list(regions["region"]),
            y=list(regions["tariff_revenue"]),
            marker_color=_BASELINE,
            hovertemplate="%{x}: %{y:,.0f}<extra></extra>",
        )
    )
    fig.update_yaxes(title_text=currency)
    return _layout(fig, "Tariff revenue by region (counterfactual)" + note)


def timeline_welfare_plotly(table: pd.DataFrame) -> go.Figure:
    """Welfare by phase, one line per region, from :attr:`TimelineResult.table`."""
    labels = _phase_labels(table)
    frame = table.assign(phase=labels)
    order = list(dict.fromkeys(labels))
    fig = go.Figure()
    for region, part in frame.groupby("region", sort=False):
        fig.add_trace(
            go.Scatter(
                x=list(part["phase"]),
                y=list(part["welfare_pct"]),
                mode="lines+markers",
                name=str(region),
                hovertemplate="%{x}: %{y:+.3f}%<extra>" + str(region) + "</extra>",
            )
        )
    fig.update_xaxes(categoryorder="array", categoryarray=order, title_text="phase")
    fig.update_yaxes(title_text="welfare change, %")
    return _layout(fig, "Welfare by phase", 480)


def timeline_pair_plotly(bilateral: pd.DataFrame, pair: tuple[str, str] = FOCUS_PAIR) -> go.Figure:
    """The change of each direction's goods flow between ``pair`` by phase, %."""
    rows = _pair_by_phase(bilateral, pair)
    order = list(dict.fromkeys(rows["phase"]))
    fig = go.Figure()
    for direction, part in rows.groupby("direction", sort=False):
        fig.add_trace(
            go.Scatter(
                x=list(part["phase"]),
                y=list(part["change_pct"]),
                mode="lines+markers",
                name=str(direction),
            )
        )
    fig.update_xaxes(categoryorder="array", categoryarray=order, title_text="phase")
    fig.update_yaxes(title_text="goods flow change, %")
    return _layout(fig, "US–China goods trade by phase", 420)


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


def plotly_figures(result: Result, currency: str = "world currency") -> dict[str, go.Figure]:
    """Every chart of a run, by name (see :data:`RUN_CHARTS`)."""
    f = _focus(result)
    change = bilateral_change(result.trade, f.grid)
    figures = {
        "welfare": welfare_plotly(f.bars, f.bars_note),
        "trade-change": trade_change_plotly(change, f.grid, f.grid_note),
    }
    if has_pair(result.regions):
        figures["us-china"] = pair_sectors_plotly(pair_sector_flows(result.trade), currency)
    figures["prices"] = prices_plotly(f.bars, f.bars_note)
    figures["revenue"] = revenue_plotly(f.bars, currency, f.bars_note)
    return figures


def timeline_plotly_figures(timeline: TimelineResult) -> dict[str, go.Figure]:
    """Every chart of a timeline, by name (see :data:`TIMELINE_CHARTS`)."""
    figures = {"timeline-welfare": timeline_welfare_plotly(timeline.table)}
    if timeline.phases and has_pair(timeline.phases[0].result.regions):
        figures["timeline-us-china"] = timeline_pair_plotly(timeline.bilateral)
    return figures


# ----------------------------------------------------------------------- Matplotlib


def _figure(width: float = 8.0, height: float = 4.5) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def welfare_matplotlib(regions: pd.DataFrame, note: str = "") -> Figure:
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
    ax.set_title("Welfare by region" + note)
    ax.tick_params(axis="x", labelrotation=45)
    return fig


def trade_change_matplotlib(change: pd.DataFrame, regions: list[str], note: str = "") -> Figure:
    """Heatmap of the % change of each pair's foreign flow (rows exporters)."""
    z = _change_matrix(change, regions)
    bound = _symmetric_bound(z)
    fig = _figure(8.0, 7.0)
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
    fig.colorbar(image, ax=ax, label="%", shrink=0.8)
    ax.set_title("Change in bilateral trade (all sectors, foreign flows), %" + note)
    return fig


def pair_sectors_matplotlib(flows: pd.DataFrame, currency: str) -> Figure:
    """Baseline and counterfactual flows by sector, one panel per direction."""
    directions = list(dict.fromkeys(zip(flows["exporter"], flows["importer"], strict=True)))
    sectors = list(dict.fromkeys(flows["sector"]))
    fig = _figure(10.0, max(4.0, 0.25 * len(sectors) + 1.5))
    axes = fig.subplots(1, max(1, len(directions)), sharey=True, squeeze=False)[0]
    y = np.arange(len(sectors))
    for ax, (e, i) in zip(axes, directions, strict=False):
        part = flows[(flows["exporter"] == e) & (flows["importer"] == i)].set_index("sector")
        part = part.reindex(sectors, fill_value=0.0)
        ax.barh(y - 0.2, part["baseline"], height=0.4, color=_BASELINE, label="baseline")
        ax.barh(
            y + 0.2,
            part["counterfactual"],
            height=0.4,
            color=_COUNTERFACTUAL,
            label="counterfactual",
        )
        ax.set_title(_direction(e, i))
        ax.set_xlabel(currency)
    axes[0].set_yticks(y, sectors)
    axes[0].invert_yaxis()
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    fig.suptitle("US–China flows by sector")
    return fig


def prices_matplotlib(regions: pd.DataFrame, note: str = "") -> Figure:
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
    ax.set_title("Prices and real wages by region" + note)
    ax.legend(fontsize=8)
    return fig


def revenue_matplotlib(regions: pd.DataFrame, currency: str, note: str = "") -> Figure:
    """Tariff revenue by region in the counterfactual, in the world's currency."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.bar(list(regions["region"]), regions["tariff_revenue"], color=_BASELINE)
    ax.set_ylabel(currency)
    ax.set_title("Tariff revenue by region (counterfactual)" + note)
    ax.tick_params(axis="x", labelrotation=45)
    return fig


def timeline_welfare_matplotlib(table: pd.DataFrame) -> Figure:
    """Welfare by phase, one line per region."""
    labels = _phase_labels(table)
    order = list(dict.fromkeys(labels))
    position = {label: k for k, label in enumerate(order)}
    frame = table.assign(x=[position[label] for label in labels])
    fig = _figure(9.0, 5.0)
    ax = fig.add_subplot()
    for region, part in frame.groupby("region", sort=False):
        ax.plot(part["x"], part["welfare_pct"], marker="o", label=str(region))
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xticks(range(len(order)), order, rotation=30, ha="right")
    ax.set_ylabel("welfare change, %")
    ax.set_title("Welfare by phase")
    ax.legend(fontsize=7, ncols=2, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def timeline_pair_matplotlib(bilateral: pd.DataFrame, pair: tuple[str, str] = FOCUS_PAIR) -> Figure:
    """The change of each direction's goods flow between ``pair`` by phase, %."""
    rows = _pair_by_phase(bilateral, pair)
    order = list(dict.fromkeys(rows["phase"]))
    position = {label: k for k, label in enumerate(order)}
    fig = _figure(8.0, 4.5)
    ax = fig.add_subplot()
    for direction, part in rows.groupby("direction", sort=False):
        ax.plot(
            [position[p] for p in part["phase"]], part["change_pct"], marker="o", label=direction
        )
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xticks(range(len(order)), order, rotation=30, ha="right")
    ax.set_ylabel("goods flow change, %")
    ax.set_title("US–China goods trade by phase")
    ax.legend(fontsize=8)
    return fig


def matplotlib_figures(result: Result, currency: str = "world currency") -> dict[str, Figure]:
    """Every chart of a run as a Matplotlib figure, by name (see :data:`RUN_CHARTS`)."""
    f = _focus(result)
    change = bilateral_change(result.trade, f.grid)
    figures = {
        "welfare": welfare_matplotlib(f.bars, f.bars_note),
        "trade-change": trade_change_matplotlib(change, f.grid, f.grid_note),
    }
    if has_pair(result.regions):
        figures["us-china"] = pair_sectors_matplotlib(pair_sector_flows(result.trade), currency)
    figures["prices"] = prices_matplotlib(f.bars, f.bars_note)
    figures["revenue"] = revenue_matplotlib(f.bars, currency, f.bars_note)
    return figures


def timeline_matplotlib_figures(timeline: TimelineResult) -> dict[str, Figure]:
    """Every chart of a timeline as a Matplotlib figure (see :data:`TIMELINE_CHARTS`)."""
    figures = {"timeline-welfare": timeline_welfare_matplotlib(timeline.table)}
    if timeline.phases and has_pair(timeline.phases[0].result.regions):
        figures["timeline-us-china"] = timeline_pair_matplotlib(timeline.bilateral)
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
