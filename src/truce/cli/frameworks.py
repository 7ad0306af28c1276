"""``truce framework``: trade frameworks item by item."""

from __future__ import annotations

from datetime import date as Date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from truce import api
from truce._lazy import Lazy
from truce.cli._common import (
    app,
    fail,
    print_sources,
    progress_bar,
    stdout,
    styled,
)
from truce.cli._tables import pct
from truce.errors import TruceError

if TYPE_CHECKING:
    from truce.api import frameworks as framework_types

frameworks = Lazy("truce.api.frameworks")


@app.command()
def framework(
    name: Annotated[
        str | None,
        typer.Argument(help="A built-in framework document or a file; omit it to list them."),
    ] = None,
    world: Annotated[
        str | None,
        typer.Option("--world", help="Solve the linked scenarios on this world instead."),
    ] = None,
    contributions: Annotated[
        bool,
        typer.Option(
            "--contributions",
            help="Also solve each linked scenario without the item's measures and show "
            "what those measures contribute (one more solve per link).",
        ),
    ] = False,
) -> None:
    """Show a trade framework item by item: status, dates, sources, and for the items a
    trade model prices, the scenarios and measures that model them and their effects."""
    try:
        if name is None:
            listing = Table(title="built-in frameworks")
            listing.add_column("name")
            listing.add_column("title")
            for key, title in frameworks.builtin_frameworks().items():
                listing.add_row(key, title)
            stdout.print(listing)
            return
        document = frameworks.load_framework(name)
        bar = progress_bar(quiet=False)
        with bar:
            task = bar.add_task("solving the linked scenarios", total=None)

            def progress(done: int, total: int, label: str) -> None:
                bar.update(task, completed=done, total=total, description=label)

            effects = frameworks.framework_effects(document, world=world, progress=progress)
            own = (
                frameworks.framework_contributions(
                    document, effects, world=world, progress=progress
                )
                if contributions
                else {}
            )
    except TruceError as error:
        raise fail(error) from None
    _print_framework(document, effects, own)


def _print_framework(
    document: framework_types.Framework,
    effects: dict[tuple[str, Date | None], framework_types.Headline],
    own: dict[tuple[str, int], framework_types.Contribution],
) -> None:
    """Every item of ``document`` as a block of lines, then the linked scenarios' effects."""
    out = stdout
    out.print(styled((document.title, "bold")), soft_wrap=True)
    if document.description:
        out.print(document.description, highlight=False)
    if document.sources:
        out.print(f"sources: {', '.join(document.sources)}", highlight=False)
    a, b = frameworks.FOCUS
    scenarios: dict[str, api.Scenario] = {}
    for number, item in enumerate(document.items, start=1):
        out.print()
        out.print(
            styled((f"{number}. {item.title}", "bold"), "  ", (f"({item.area})", "dim")),
            soft_wrap=True,
        )
        out.print(f"   status   {item.status}", highlight=False)
        for event in item.dates:
            out.print(f"   {event.date}  {event.event}", highlight=False)
        out.print(
            f"   sources  {', '.join(item.sources) if item.sources else 'none'}", highlight=False
        )
        if item.in_2026 is not None:
            out.print(
                styled("   in 2026  ", (item.in_2026.state, "bold"), f": {item.in_2026.note}"),
                soft_wrap=True,
            )
        if not item.modelled:
            out.print(styled((f"   not modelled: {item.not_modelled or ''}", "italic")))
            continue
        for k, link in enumerate(item.model):
            if link.scenario not in scenarios:
                scenarios[link.scenario] = api.load_scenario(link.scenario)
            spec = scenarios[link.scenario]
            when = f" on {link.date}" if link.date is not None else ""
            note = f": {link.note}" if link.note else ""
            out.print(styled("   model    ", (link.scenario, "bold"), f"{when}{note}"))
            for index in link.measures:
                text = frameworks.describe_measure(spec.measures[index])
                out.print(f"            {text}", highlight=False)
            head = effects[(link.scenario, link.date)]
            out.print(
                f"   effects  {a} welfare {pct(head.welfare_pct.get(a, 0.0))}%, {b} "
                f"welfare {pct(head.welfare_pct.get(b, 0.0))}%, {a}-{b} goods trade "
                f"{round(head.trade_pct, 1) + 0.0:+.1f}% (whole scenario)",
                highlight=False,
            )
            part = own.get((item.id, k))
            if part is not None:
                out.print(
                    f"   own      {a} welfare {pct(part.welfare_pp.get(a, 0.0))} pp, {b} "
                    f"welfare {pct(part.welfare_pp.get(b, 0.0))} pp, {a}-{b} goods trade "
                    f"{round(part.trade_pct, 1) + 0.0:+.1f}% (these measures)",
                    highlight=False,
                )
    if effects:
        _print_effects(effects)
    _print_sources(document)


def _print_sources(document: framework_types.Framework) -> None:
    """Every source key the document cites, with its title and address."""
    keys = list(document.sources)
    for item in document.items:
        keys += item.sources
        for event in item.dates:
            keys += api.cited_keys(event.event)
        if item.in_2026 is not None:
            keys += api.cited_keys(item.in_2026.note)
    table = api.resolve_sources(keys, strict=False)
    if len(table) == 0:
        return
    stdout.print()
    stdout.print(styled(("sources", "bold")))
    print_sources(table, indent="  ")
    missing = sorted(set(keys) - set(table["key"]))
    if missing:
        stdout.print(f"  not in the facts' source lists: {', '.join(missing)}", highlight=False)


def _print_effects(effects: dict[tuple[str, Date | None], framework_types.Headline]) -> None:
    """The linked scenarios' effects against the world's baseline, one row each."""
    out = stdout
    a, b = frameworks.FOCUS
    out.print()
    table = Table(
        title="linked scenarios against their world's baseline (January 2025 tariffs)",
        caption=f"goods trade: {a} and {b}'s exports to each other at world prices, in "
        "thousands of the world's currency (US$ bn in the default world)",
    )
    for column in ("scenario", f"{a} welfare %", f"{b} welfare %", "goods trade", "change %"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for (scenario, on), head in effects.items():
        label = scenario + (f"\non {on}" if on is not None else "")
        table.add_row(
            label,
            pct(head.welfare_pct.get(a, 0.0)),
            pct(head.welfare_pct.get(b, 0.0)),
            f"{head.trade_baseline / 1e3:,.0f} → {head.trade_counterfactual / 1e3:,.0f}",
            f"{round(head.trade_pct, 1) + 0.0:+.1f}",
        )
    out.print(table)
