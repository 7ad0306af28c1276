"""``truce``: run scenarios and manage worlds from the terminal.

Exit codes (CONTRACTS.md §4): 0 success, 1 the model failed (nothing is written),
2 bad input (the message names what is wrong).  Progress goes to stderr, results to
stdout or to the named files.
"""

from __future__ import annotations

import sys
from datetime import date as Date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from truce import api
from truce import framework as frameworks
from truce.api import DEFAULT_MAX_STEPS
from truce.config import enable_compilation_cache
from truce.errors import InputError, TruceError
from truce.report import charts, render
from truce.report.timeline import PhaseResult, TimelineResult

app = typer.Typer(
    name="truce",
    help="Numbers on trade deals and trade wars: a general-equilibrium trade model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
world_app = typer.Typer(help="Build, import and inspect world folders.", no_args_is_help=True)
app.add_typer(world_app, name="world")

stdout = Console()
stderr = Console(stderr=True)

EXIT_MODEL_FAILED = 1
EXIT_BAD_INPUT = 2


def _fail(error: TruceError) -> typer.Exit:
    code = EXIT_BAD_INPUT if isinstance(error, InputError) else EXIT_MODEL_FAILED
    kind = "bad input" if code == EXIT_BAD_INPUT else "model failed"
    stderr.print(f"[bold red]error[/] ({kind}): {escape(str(error))}", highlight=False)
    return typer.Exit(code)


def _parse_date(text: str | None) -> Date | None:
    if text is None:
        return None
    try:
        return Date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date of the form YYYY-MM-DD") from None


@app.command()
def run(
    scenario: Annotated[
        str, typer.Argument(help="A scenario file or the name of a built-in scenario.")
    ],
    world: Annotated[
        str | None, typer.Option("--world", help="A built-in world name or a world folder.")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", help="Apply the measures in force on this day (YYYY-MM-DD)."),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the results JSON here.")
    ] = None,
    report_path: Annotated[
        Path | None,
        typer.Option("--report", help="Write a self-contained HTML report here."),
    ] = None,
    figures_dir: Annotated[
        Path | None,
        typer.Option("--figures", help="Write each chart as a PNG into this folder."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    max_iterations: Annotated[
        int, typer.Option("--max-iterations", min=1, help="Cap on the solver's iterations.")
    ] = DEFAULT_MAX_STEPS,
) -> None:
    """Solve a scenario and print welfare, wages and prices by region."""
    on_date = _parse_date(date)
    try:
        spec = api.load_scenario(scenario)
        world_name = world or spec.world
        if world_name is None:
            raise InputError(
                f"scenario {spec.name!r} names no world: pass --world NAME_OR_FOLDER "
                f"(built-in worlds: {', '.join(api.builtin_worlds()) or 'none'})"
            )
        world_data = api.load_world(world_name)
        if not quiet:
            stderr.print(f"solving {spec.name} on {world_data.name} …", highlight=False)
        result = api.run(world_data, spec, date=on_date, max_steps=max_iterations)
        if json_path is not None:
            result.to_json(json_path)
        if report_path is not None:
            render.write_report(
                report_path, render.render_html(result, scenario=spec, world=world_data)
            )
        if figures_dir is not None:
            render.write_figures(
                figures_dir, charts.matplotlib_figures(result, world_data.currency)
            )
    except TruceError as error:
        raise _fail(error) from None
    if quiet:
        return
    solver = result.solver
    stderr.print(
        f"converged in {solver.iterations} iterations, residual {solver.residual:.1e}, "
        f"{solver.seconds:.2f} s",
        highlight=False,
    )
    table = Table(
        title=f"{result.scenario} on {result.world}" + (f" ({on_date})" if on_date else "")
    )
    for column in (
        "region",
        "welfare %",
        "real wage %",
        "prices %",
        "exports %",
        "imports %",
        "ToT %",
        "VoT %",
    ):
        table.add_column(column, justify="left" if column == "region" else "right")
    for row in result.regions.itertuples(index=False):
        table.add_row(
            row.region,
            *(
                f"{v:+.3f}"
                for v in (
                    row.welfare_pct,
                    row.real_wage_pct,
                    row.price_index_pct,
                    row.exports_pct,
                    row.imports_pct,
                    row.tot_pct,
                    row.vot_pct,
                )
            ),
        )
    stdout.print(table)
    _wrote(json_path, report_path, figures_dir)


#: Up to this many phases, ``truce timeline`` prints regions × phases; beyond, one row
#: per phase with the focus regions and the largest movers.
WIDE_PHASES = 6
#: Regions shown in every phase row of a long timeline, when the world has them.
FOCUS_REGIONS = ("USA", "CHN")


def _world_name(spec: api.Scenario, world: str | None) -> str:
    name = world or spec.world
    if name is None:
        raise InputError(
            f"scenario {spec.name!r} names no world: pass --world NAME_OR_FOLDER "
            f"(built-in worlds: {', '.join(api.builtin_worlds()) or 'none'})"
        )
    return name


@app.command()
def timeline(
    scenario: Annotated[
        str, typer.Argument(help="A scenario file or the name of a built-in scenario.")
    ],
    world: Annotated[
        str | None, typer.Option("--world", help="A built-in world name or a world folder.")
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the timeline JSON here.")
    ] = None,
    report_path: Annotated[
        Path | None,
        typer.Option("--report", help="Write a self-contained HTML report here."),
    ] = None,
    figures_dir: Annotated[
        Path | None,
        typer.Option("--figures", help="Write each chart as a PNG into this folder."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    max_iterations: Annotated[
        int, typer.Option("--max-iterations", min=1, help="Cap on the solver's iterations.")
    ] = DEFAULT_MAX_STEPS,
) -> None:
    """Solve a dated scenario phase by phase and print welfare by region and phase.

    The phases are the spans between the scenario's start and end dates, beginning with
    the span before the first date; each is solved on its first day.
    """
    try:
        spec = api.load_scenario(scenario)
        world_data = api.load_world(_world_name(spec, world))
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=stderr,
            transient=True,
            disable=quiet,
        )
        with bar:
            task = bar.add_task(f"solving {spec.name} on {world_data.name}", total=None)

            def progress(done: int, total: int, phase: api.Phase) -> None:
                bar.update(task, completed=done, total=total, description=escape(phase.label))

            result = api.timeline(world_data, spec, max_steps=max_iterations, progress=progress)
        if json_path is not None:
            result.to_json(json_path)
        if report_path is not None:
            render.write_report(
                report_path,
                render.render_timeline_html(result, scenario=spec, world=world_data),
            )
        if figures_dir is not None:
            render.write_figures(figures_dir, charts.timeline_matplotlib_figures(result))
    except TruceError as error:
        raise _fail(error) from None
    if quiet:
        return
    solver = result.solver
    stderr.print(
        f"{len(result.phases)} phases solved in {solver.iterations} iterations, largest "
        f"residual {solver.residual:.1e}, {solver.seconds:.2f} s",
        highlight=False,
    )
    if len(result.phases) <= WIDE_PHASES:
        stdout.print(_phase_columns(result))
    else:
        stdout.print(_phase_rows(result))
    _wrote(json_path, report_path, figures_dir)


def _wrote(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            stderr.print(f"wrote {path}", highlight=False)


def _signed(value: float) -> str:
    """``value`` to three decimals with its sign; a rounded zero is ``+0.000``, never ``-0.000``."""
    return f"{round(value, 3) + 0.0:+.3f}"


def _phase_header(phase: PhaseResult) -> str:
    if phase.start is None:
        return "always" if phase.end is None else f"before\n{phase.end}"
    if phase.end is None:
        return f"from\n{phase.start}"
    return f"{phase.start}\nto {phase.end}"


def _phase_columns(result: TimelineResult) -> Table:
    """Regions down, phases across: welfare % of every region in every phase."""
    table = Table(title=f"welfare % by phase: {escape(result.scenario)} on {result.world}")
    table.add_column("region")
    for phase in result.phases:
        table.add_column(_phase_header(phase), justify="right")
    welfare = [
        dict(zip(p.result.regions["region"], p.result.regions["welfare_pct"], strict=True))
        for p in result.phases
    ]
    for region in result.phases[0].result.regions["region"]:
        table.add_row(region, *(_signed(w[region]) for w in welfare))
    return table


def _phase_rows(result: TimelineResult) -> Table:
    """One row per phase: welfare % of the focus regions and of the largest movers."""
    table = Table(title=f"welfare % by phase: {escape(result.scenario)} on {result.world}")
    regions = list(result.phases[0].result.regions["region"])
    focus = [r for r in FOCUS_REGIONS if r in regions]
    table.add_column("phase")
    for region in focus:
        table.add_column(region, justify="right")
    table.add_column("largest gain", justify="right")
    table.add_column("largest loss", justify="right")
    for phase in result.phases:
        welfare = dict(
            zip(phase.result.regions["region"], phase.result.regions["welfare_pct"], strict=True)
        )
        others = sorted((w, r) for r, w in welfare.items() if r not in focus)
        gain = f"{others[-1][1]} {_signed(others[-1][0])}" if others else ""
        loss = f"{others[0][1]} {_signed(others[0][0])}" if others else ""
        table.add_row(phase.label, *(_signed(welfare[r]) for r in focus), gain, loss)
    return table


@app.command()
def worlds() -> None:
    """List the built-in worlds: year, regions × sectors and sources."""
    table = Table(title="built-in worlds")
    for column in ("name", "year", "regions × sectors", "sources"):
        table.add_column(column)
    for name in api.builtin_worlds():
        try:
            w = api.load_world(name)
        except TruceError as error:
            raise _fail(error) from None
        table.add_row(
            name,
            str(w.year),
            f"{len(w.regions)} × {len(w.sectors)}",
            "\n".join(escape(source) for source in w.sources),
        )
    stdout.print(table)


@app.command()
def scenarios() -> None:
    """List the built-in scenarios, one line each."""
    table = Table(title="built-in scenarios")
    table.add_column("name")
    table.add_column("description")
    for name, description in api.builtin_scenarios().items():
        table.add_row(name, " ".join(description.split()))
    stdout.print(table)


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
                listing.add_row(key, escape(title))
            stdout.print(listing)
            return
        document = frameworks.load_framework(name)
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=stderr,
            transient=True,
        )
        with bar:
            task = bar.add_task("solving the linked scenarios", total=None)

            def progress(done: int, total: int, label: str) -> None:
                bar.update(task, completed=done, total=total, description=escape(label))

            effects = frameworks.framework_effects(document, world=world, progress=progress)
            own = (
                frameworks.framework_contributions(
                    document, effects, world=world, progress=progress
                )
                if contributions
                else {}
            )
    except TruceError as error:
        raise _fail(error) from None
    _print_framework(document, effects, own)


def _print_framework(
    document: frameworks.Framework,
    effects: dict[tuple[str, Date | None], frameworks.Headline],
    own: dict[tuple[str, int], frameworks.Contribution],
) -> None:
    """Every item of ``document`` as a block of lines, then the linked scenarios' effects."""
    out = stdout
    out.print(f"[bold]{escape(document.title)}[/]", highlight=False, soft_wrap=True)
    if document.description:
        out.print(escape(document.description), highlight=False)
    if document.sources:
        out.print(f"sources: {', '.join(document.sources)}", highlight=False)
    a, b = frameworks.FOCUS
    scenarios: dict[str, api.Scenario] = {}
    for number, item in enumerate(document.items, start=1):
        out.print()
        out.print(
            f"[bold]{number}. {escape(item.title)}[/]  [dim]({escape(item.area)})[/]",
            highlight=False,
            soft_wrap=True,
        )
        out.print(f"   status   {escape(item.status)}", highlight=False)
        for event in item.dates:
            out.print(f"   {event.date}  {escape(event.event)}", highlight=False)
        out.print(
            f"   sources  {', '.join(item.sources) if item.sources else 'none'}", highlight=False
        )
        if not item.modelled:
            out.print(f"   [italic]not modelled: {escape(item.not_modelled or '')}[/]")
            continue
        for k, link in enumerate(item.model):
            if link.scenario not in scenarios:
                scenarios[link.scenario] = api.load_scenario(link.scenario)
            spec = scenarios[link.scenario]
            when = f" on {link.date}" if link.date is not None else ""
            note = f": {escape(link.note)}" if link.note else ""
            out.print(f"   model    [bold]{link.scenario}[/]{when}{note}", highlight=False)
            for index in link.measures:
                text = frameworks.describe_measure(spec.measures[index])
                out.print(f"            {escape(text)}", highlight=False)
            head = effects[(link.scenario, link.date)]
            out.print(
                f"   effects  {a} welfare {_signed(head.welfare_pct.get(a, 0.0))}%, {b} "
                f"welfare {_signed(head.welfare_pct.get(b, 0.0))}%, {a}-{b} goods trade "
                f"{round(head.trade_pct, 1) + 0.0:+.1f}% (whole scenario)",
                highlight=False,
            )
            part = own.get((item.id, k))
            if part is not None:
                out.print(
                    f"   own      {a} welfare {_signed(part.welfare_pp.get(a, 0.0))} pp, {b} "
                    f"welfare {_signed(part.welfare_pp.get(b, 0.0))} pp, {a}-{b} goods trade "
                    f"{round(part.trade_pct, 1) + 0.0:+.1f}% (these measures)",
                    highlight=False,
                )
    if not effects:
        return
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
            _signed(head.welfare_pct.get(a, 0.0)),
            _signed(head.welfare_pct.get(b, 0.0)),
            f"{head.trade_baseline / 1e3:,.0f} → {head.trade_counterfactual / 1e3:,.0f}",
            f"{round(head.trade_pct, 1) + 0.0:+.1f}",
        )
    out.print(table)


def _wrote_world(world: api.World, out: Path) -> None:
    stderr.print(
        f"wrote world {world.name} ({len(world.regions)} regions × "
        f"{len(world.sectors)} sectors) to {out}",
        highlight=False,
    )


@world_app.command("import")
def world_import(
    source: Annotated[str, typer.Argument(help="The kind of source data: cp2015.")],
    src: Annotated[Path, typer.Argument(help="Folder holding the source files.")],
    out: Annotated[Path, typer.Argument(help="World folder to write.")],
) -> None:
    """Turn published source data into a world folder."""
    try:
        world = api.import_world(source, src, out)
    except TruceError as error:
        raise _fail(error) from None
    _wrote_world(world, out)


@world_app.command("build")
def world_build(
    out: Annotated[Path, typer.Argument(help="World folder to write (replaced if it exists).")],
    regions: Annotated[
        str,
        typer.Option(
            "--regions",
            help="default (14 regions), all (the 81 economies) or a CSV file with columns "
            "economy, region and optionally name.",
        ),
    ] = "default",
    elasticities: Annotated[
        str,
        typer.Option(
            "--elasticities",
            help=f"Trade-elasticity source: {', '.join(api.ELASTICITY_CHOICES)}.",
        ),
    ] = api.DEFAULT_ELASTICITIES,
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            envvar="TRUCE_DATA",
            help="Folder holding icio2022_lashkaripour/ and icio2020_io_params/.",
        ),
    ] = Path("../shared/data"),
) -> None:
    """Build the default world (the global economy of 2022) from the source data."""
    stderr.print(f"building the 2022 world from {data} …", highlight=False)
    try:
        world = api.build_world(out, data_dir=data, regions=regions, elasticities=elasticities)
    except TruceError as error:
        raise _fail(error) from None
    _wrote_world(world, out)


@world_app.command("show")
def world_show(
    world: Annotated[str, typer.Argument(help="A built-in world name or a world folder.")],
) -> None:
    """Print a summary of a world: size, sources, description, flows, tariffs, identities."""
    try:
        summary = api.world_summary(world)
    except TruceError as error:
        raise _fail(error) from None
    unit = summary.currency
    stdout.print(
        f"[bold]{escape(summary.name)}[/]  {summary.year}  {escape(unit)}  "
        f"{summary.n_regions} regions × {summary.n_sectors} sectors",
        highlight=False,
    )
    stdout.print(
        f"gross output {summary.gross_output:,.0f}; international trade "
        f"{summary.international:,.0f} ({escape(unit)})",
        highlight=False,
    )
    stdout.print("\n[bold]sources[/]", highlight=False)
    for source in summary.sources:
        stdout.print(f"  • {escape(source)}", highlight=False, soft_wrap=True)
    stdout.print("\n[bold]description[/]", highlight=False)
    # The description is wrapped by its author; rich must not wrap it again.
    stdout.print(escape(summary.description), highlight=False, soft_wrap=True)

    flows = Table(title=f"largest international flows ({escape(unit)})")
    for column in ("exporter", "importer", "sector", "value", "tariff %"):
        flows.add_column(column, justify="right" if column in ("value", "tariff %") else "left")
    for row in summary.top_flows.itertuples(index=False):
        flows.add_row(
            row.exporter, row.importer, row.sector, f"{row.value:,.0f}", f"{100 * row.tariff:.2f}"
        )
    stdout.print(flows)

    pairs = Table(title="trade-weighted average tariff on goods, largest pairs")
    for column in ("exporter", "importer", f"goods ({unit})", "tariff %"):
        pairs.add_column(escape(column), justify="left" if "porter" in column else "right")
    for row in summary.pair_tariffs.itertuples(index=False):
        pairs.add_row(row.exporter, row.importer, f"{row.value:,.0f}", f"{100 * row.tariff:.2f}")
    stdout.print(pairs)
    stdout.print(
        f"identities: largest gap gross output − value added − purchases "
        f"{summary.output_gap:.1e} of the cell ({summary.output_gap_cell}); lowest final "
        f"demand {summary.final_gap:.1e} of absorption ({summary.final_gap_cell})",
        highlight=False,
    )


def main() -> None:
    """Console entry point."""
    enable_compilation_cache()
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
