"""What makes a chart fit to publish: a title with the scenario, date and base under it,
a source line, one colour per region in every chart, and the metadata a reader (or a
test) can read back from the HTML or the PNG."""

from __future__ import annotations

import textwrap
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from truce.report.result import Result
from truce.report.timeline import TimelineResult
from truce.report.version import truce_version

#: Twenty colours that stay apart: Kelly's colours of maximum contrast (K. Kelly, 1965,
#: "Twenty-two colors of maximum contrast"; white and black left out), strong ones
#: first.  Region k of a world's region order gets colour k in every chart.
REGION_PALETTE: tuple[str, ...] = (
    "#0067A5",
    "#BE0032",
    "#008856",
    "#F38400",
    "#875692",
    "#882D17",
    "#E68FAC",
    "#8DB600",
    "#848482",
    "#F6A600",
    "#A1CAF1",
    "#604E97",
    "#E25822",
    "#C2B280",
    "#F99379",
    "#B3446C",
    "#DCD300",
    "#654522",
    "#2B3D26",
    "#F3C300",
)


def region_colors(regions: list[str]) -> dict[str, str]:
    """The colour of each region, by its place in the world's region order."""
    return {r: REGION_PALETTE[k % len(REGION_PALETTE)] for k, r in enumerate(regions)}


def version_text() -> str:
    """truce's version for a chart's source line (``unknown`` from a source tree)."""
    return truce_version() or "unknown"


@dataclass(frozen=True)
class Stamp:
    """What every chart of one result says besides its data."""

    scenario: str
    date: str | None
    base: str
    source: str

    @property
    def subtitle(self) -> str:
        """``busan-deal on 2025-11-10 · changes against …``."""
        when = f" on {self.date}" if self.date else ""
        return f"{self.scenario}{when} · changes against {self.base}"

    def metadata(self, title: str) -> dict[str, str]:
        """The chart's metadata (PNG text chunks; ``layout.meta`` of a Plotly figure)."""
        return {
            "Title": title,
            "Scenario": self.scenario,
            "Date": self.date or "",
            "Base": self.base,
            "Source": self.source,
            "Software": f"truce {version_text()}",
        }


def _source_line(model: str, world: str, data: str | None) -> str:
    data_part = f"; data: {data}" if data else ""
    return f"Source: truce {version_text()}, {model} model on world {world}{data_part}"


def sweep_stamp(name: str, results: Sequence[Result]) -> Stamp:
    """The stamp of a sweep's charts: its name, and the base and source of its points
    (the first finished one's)."""
    first = results[0] if results else None
    return Stamp(
        scenario=f"sweep {name}",
        date=None,
        base=str(first.base.get("text", "the world's base")) if first else "the world's base",
        source=_source_line(first.model, first.world, None) if first else "Source: truce",
    )


def result_stamp(result: Result, data: str | None = None) -> Stamp:
    """The stamp of a run's charts (``data``: the world's main data source, if named)."""
    return Stamp(
        scenario=result.scenario,
        date=None if result.date is None else result.date.isoformat(),
        base=str(result.base.get("text", "the world's base")),
        source=_source_line(result.model, result.world, data),
    )


def timeline_stamp(timeline: TimelineResult, data: str | None = None) -> Stamp:
    """The stamp of a timeline's charts: its span of dates instead of one date."""
    days = [p.result.date for p in timeline.phases if p.result.date is not None]
    span = f"{min(days).isoformat()} to {max(days).isoformat()}" if days else None
    return Stamp(
        scenario=timeline.scenario,
        date=span,
        base=str(timeline.base.get("text", "the world's base")),
        source=_source_line(timeline.model, timeline.world, data),
    )


# ----------------------------------------------------------------------------- Plotly


def stamp_plotly(fig: go.Figure, title: str, stamp: Stamp | None, height: int) -> go.Figure:
    """Title (with the stamp's subtitle), source line and metadata on a Plotly figure."""
    text = (
        title
        if stamp is None
        else title
        + "".join(f"<br><sup>{line}</sup>" for line in textwrap.wrap(stamp.subtitle, 110))
    )
    fig.update_layout(
        title={"text": text},
        height=height,
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 110, "b": 90 if stamp is not None else 60},
        separators=".,",
    )
    if stamp is not None:
        fig.update_layout(meta=stamp.metadata(title))
        fig.add_annotation(
            text=stamp.source,
            xref="paper",
            yref="paper",
            x=0.0,
            y=0.0,
            yshift=-75,
            xanchor="left",
            yanchor="top",
            showarrow=False,
            font={"size": 10, "color": "#666"},
        )
    return fig


# ------------------------------------------------------------------------- Matplotlib

#: The metadata each stamped Matplotlib figure carries into its PNG.
_PNG_METADATA: weakref.WeakKeyDictionary[Figure, dict[str, str]] = weakref.WeakKeyDictionary()


def stamp_matplotlib(fig: Figure, title: str, stamp: Stamp | None) -> Figure:
    """Title, subtitle and source line on a Matplotlib figure; its metadata kept for
    :func:`png_metadata`."""
    if stamp is None:
        fig.suptitle(title)
        return fig
    lines = textwrap.wrap(title, 90) + textwrap.wrap(stamp.subtitle, 120)
    fig.suptitle("\n".join(lines), fontsize=9)
    fig.supxlabel(
        "\n".join(textwrap.wrap(stamp.source, 150)), fontsize=7, color="#666", x=0.01, ha="left"
    )
    _PNG_METADATA[fig] = stamp.metadata(title)
    return fig


def png_metadata(fig: Figure) -> dict[str, Any]:
    """The text chunks a stamped figure's PNG carries (empty for an unstamped one)."""
    return dict(_PNG_METADATA.get(fig, {}))


def percent_axis(axis: Any) -> None:
    """Tick labels ``+1.5%`` on a Matplotlib axis of percentages."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+g}%" if v else "0%"))


def thousands_axis(axis: Any) -> None:
    """Tick labels ``12,500`` on a Matplotlib axis of amounts."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def short_source(sources: Sequence[str]) -> str | None:
    """A world's main data source for a chart's source line: its first source, up to
    the first colon (None for a world without sources)."""
    if not sources:
        return None
    first = str(sources[0])
    head = first.split(":", 1)[0].strip()
    return head if len(head) <= 90 else head[:89] + "…"
