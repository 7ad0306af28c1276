"""``truce``: run scenarios and manage worlds from the terminal.

Exit codes (CONTRACTS.md §4): 0 success, 1 the model failed (nothing is written),
2 bad input (the message names what is wrong).  Progress goes to stderr, results to
stdout or to the named files.
"""

from __future__ import annotations

import json
import sys
from datetime import date as Date
from enum import StrEnum
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
from truce import store as run_store
from truce.api import DEFAULT_MAX_STEPS
from truce.config import enable_compilation_cache
from truce.errors import InputError, TruceError
from truce.report import charts, comparison, render
from truce.report.result import Result
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
runs_app = typer.Typer(
    help="List and show the runs kept in the run store.", invoke_without_command=True
)
app.add_typer(runs_app, name="runs")

stdout = Console()
stderr = Console(stderr=True)

EXIT_MODEL_FAILED = 1
EXIT_BAD_INPUT = 2


def _fail(error: TruceError) -> typer.Exit:
    code = EXIT_BAD_INPUT if isinstance(error, InputError) else EXIT_MODEL_FAILED
    kind = "bad input" if code == EXIT_BAD_INPUT else "model failed"
    stderr.print(f"[bold red]error[/] ({kind}): {escape(str(error))}", highlight=False)
    return typer.Exit(code)


StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="The run store's database file (default: TRUCE_STORE, else runs.duckdb in "
        "the user's data folder).",
    ),
]
NoStoreOption = Annotated[
    bool, typer.Option("--no-store", help="Keep no record of this run in the run store.")
]


def _store_path(option: Path | None, off: bool = False) -> Path | None:
    """The store to use: ``--store``, else ``TRUCE_STORE``, else the default; ``None``
    under ``--no-store`` or ``TRUCE_STORE=off``."""
    if off:
        return None
    return option if option is not None else run_store.default_path()


def _keep(
    result: Result, world: api.World, spec: api.Scenario, path: Path | None, *, quiet: bool
) -> str | None:
    """Save a run in the store at ``path``; a store that fails costs a warning, not the run."""
    if path is None:
        return None
    try:
        run_id = run_store.RunStore(path).save_run(result, world, spec)
    except TruceError as error:
        stderr.print(
            f"[yellow]warning[/]: the run was not kept: {escape(str(error))}", highlight=False
        )
        return None
    if not quiet:
        stderr.print(f"run {run_id} saved in {escape(str(path))}", highlight=False)
    return run_id


def _parse_date(text: str | None) -> Date | None:
    if text is None:
        return None
    try:
        return Date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date of the form YYYY-MM-DD") from None


class OutputFormat(StrEnum):
    """How results go to stdout."""

    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        help="stdout as a rich table, the results JSON, or CSV of the main table.",
    ),
]


ScenarioArgument = Annotated[
    str, typer.Argument(help="A scenario file or the name of a built-in scenario.")
]
WorldOption = Annotated[
    str | None, typer.Option("--world", help="A built-in world name or a world folder.")
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")
]
FiguresOption = Annotated[
    Path | None, typer.Option("--figures", help="Write each chart as a PNG into this folder.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
MaxIterationsOption = Annotated[
    int, typer.Option("--max-iterations", min=1, help="Cap on the solver's iterations.")
]


@app.command()
def run(
    scenario: ScenarioArgument,
    world: WorldOption = None,
    date: Annotated[
        str | None,
        typer.Option("--date", help="Apply the measures in force on this day (YYYY-MM-DD)."),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the results JSON here.")
    ] = None,
    report_path: ReportOption = None,
    figures_dir: FiguresOption = None,
    quiet: QuietOption = False,
    output: FormatOption = OutputFormat.table,
    max_iterations: MaxIterationsOption = DEFAULT_MAX_STEPS,
    store: StoreOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Solve a scenario and print welfare, wages and prices by region.

    Each successful run is kept in the run store (see ``truce runs``); its id goes to
    stderr.
    """
    on_date = _parse_date(date)
    try:
        spec = api.load_scenario(scenario)
        world_data = api.load_world(_world_name(spec, world))
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
    _keep(result, world_data, spec, _store_path(store, no_store), quiet=quiet)
    if quiet:
        return
    solver = result.solver
    stderr.print(
        f"converged in {solver.iterations} iterations, residual {solver.residual:.1e}, "
        f"{solver.seconds:.2f} s",
        highlight=False,
    )
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=1, allow_nan=False) + "\n")
    elif output is OutputFormat.csv:
        sys.stdout.write(result.regions.to_csv(index=False))
    else:
        stdout.print(_region_table(result))
        constrained = _measure_rows(result)
        if constrained is not None:
            stdout.print(constrained)
    _wrote(json_path, report_path, figures_dir)


def _measure_rows(result: Result) -> Table | None:
    """Caps and floors: whether each binds and its equivalent rate (None if none)."""
    rows = result.measures
    rows = rows[rows["in_force"] & (rows["binding"] | rows["equivalent_rate"].notna())]
    if rows.empty:
        return None
    table = Table(title="constraints")
    for column in ("#", "kind", "binding", "equivalent rate"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for row in rows.itertuples(index=False):
        rate = "ban" if row.equivalent_rate is None else f"{100 * row.equivalent_rate:.2f}%"
        table.add_row(str(row.index), row.kind, "yes" if row.binding else "no", rate)
    return table


def _region_table(result: Result) -> Table:
    """Welfare, wages, prices, trade and its decomposition by region."""
    on_date = result.date
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
    return table


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
    scenario: ScenarioArgument,
    world: WorldOption = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the timeline JSON here.")
    ] = None,
    report_path: ReportOption = None,
    figures_dir: FiguresOption = None,
    quiet: QuietOption = False,
    output: FormatOption = OutputFormat.table,
    max_iterations: MaxIterationsOption = DEFAULT_MAX_STEPS,
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
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=1, allow_nan=False) + "\n")
    elif output is OutputFormat.csv:
        sys.stdout.write(result.table.to_csv(index=False))
    elif len(result.phases) <= WIDE_PHASES:
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


def _open_store(store: Path | None) -> run_store.RunStore:
    path = _store_path(store)
    if path is None:
        raise InputError("the run store is off (TRUCE_STORE=off): pass --store PATH")
    return run_store.RunStore(path)


@runs_app.callback()
def runs(ctx: typer.Context, store: StoreOption = None) -> None:
    """List the stored runs: id, time, scenario, world, converged, seconds."""
    ctx.obj = store
    if ctx.invoked_subcommand is not None:
        return
    try:
        kept = _open_store(store)
        infos = kept.list()
    except TruceError as error:
        raise _fail(error) from None
    table = Table(title=f"runs in {escape(str(kept.path))}")
    for column in ("id", "time (UTC)", "scenario", "world", "date", "converged", "seconds"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for info in infos:
        table.add_row(
            info.id,
            info.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            escape(info.scenario),
            escape(info.world),
            str(info.date) if info.date is not None else "",
            "yes" if info.converged else "no",
            f"{info.seconds:.2f}",
        )
    stdout.print(table)
    if not infos:
        stderr.print("no runs kept yet", highlight=False)


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="A run id (or a unique prefix of one).")],
    store: StoreOption = None,
) -> None:
    """Print one stored run: where it came from, its solver statistics and its regions."""
    try:
        kept = _open_store(store or ctx.obj)
        info = kept.info(run_id)
        result = kept.get(info.id)
    except TruceError as error:
        raise _fail(error) from None
    stdout.print(f"[bold]run {info.id}[/]  saved {info.created_at:%Y-%m-%d %H:%M:%S} UTC")
    stdout.print(f"scenario  {escape(info.scenario)}", highlight=False)
    stdout.print(
        f"world     {escape(info.world)} (content hash {info.world_hash or 'unknown'})",
        highlight=False,
    )
    stdout.print(
        f"model     {info.model}, truce {info.truce_version or 'unknown'}"
        + (f", measures in force on {info.date}" if info.date is not None else ""),
        highlight=False,
    )
    stdout.print(
        f"solver    {'converged' if info.converged else 'did not converge'} in "
        f"{info.iterations} iterations ({info.jacobians} Jacobians), residual "
        f"{info.residual:.1e}, {info.seconds:.2f} s",
        highlight=False,
    )
    stdout.print(_region_table(result))


@runs_app.command("delete")
def runs_delete(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="A run id (or a unique prefix of one).")],
    store: StoreOption = None,
) -> None:
    """Remove a run from the store."""
    try:
        kept = _open_store(store or ctx.obj)
        info = kept.info(run_id)
        kept.delete(info.id)
    except TruceError as error:
        raise _fail(error) from None
    stderr.print(f"deleted run {info.id}", highlight=False)


#: What ``truce compare`` sets side by side: (column, heading).
COMPARED = comparison.COMPARED


@app.command()
def compare(
    runs: Annotated[
        list[str],
        typer.Argument(
            help="Two or more run ids, or scenarios (names or files) to run now and keep."
        ),
    ],
    world: Annotated[
        str | None,
        typer.Option("--world", help="The world for the scenarios run now (a name or folder)."),
    ] = None,
    max_iterations: Annotated[
        int, typer.Option("--max-iterations", min=1, help="Cap on the solver's iterations.")
    ] = DEFAULT_MAX_STEPS,
    report_path: Annotated[
        Path | None,
        typer.Option("--report", help="Also write an HTML report with charts here."),
    ] = None,
    store: StoreOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Set runs side by side: welfare, real wage and price index by region, each run's
    values and its differences from the first run."""
    if len(runs) < 2:
        raise _fail(InputError("compare needs at least two runs or scenarios"))
    path = _store_path(store, no_store)
    kept = run_store.RunStore(path) if path is not None else None
    labelled: list[tuple[str, Result, str | None]] = []
    try:
        for name in runs:
            labelled.append(_run_or_stored(name, kept, world, max_iterations))
    except TruceError as error:
        raise _fail(error) from None
    _print_comparison(labelled)
    if report_path is not None:
        try:
            html = comparison.render_comparison_html([(label, r) for label, r, _ in labelled])
            render.write_report(report_path, html)
        except TruceError as error:
            raise _fail(error) from None
        stderr.print(f"wrote {report_path}", highlight=False)


def _run_or_stored(
    name: str, kept: run_store.RunStore | None, world: str | None, max_steps: int
) -> tuple[str, Result, str | None]:
    """(label, result, world hash) of a stored run, or of a scenario solved now and kept."""
    if kept is not None and name in kept:
        info = kept.info(name)
        return info.id, kept.get(info.id), info.world_hash
    try:
        spec = api.load_scenario(name)
    except InputError as error:
        where = f"a run id in {kept.path}" if kept is not None else "a run id (the store is off)"
        raise InputError(f"{name!r} is neither {where} nor a scenario: {error}") from None
    world_data = api.load_world(_world_name(spec, world))
    stderr.print(f"solving {spec.name} on {world_data.name} …", highlight=False)
    result = api.run(world_data, spec, max_steps=max_steps)
    run_id = _keep(result, world_data, spec, kept.path if kept else None, quiet=False)
    hash_ = kept.info(run_id).world_hash if kept is not None and run_id is not None else None
    return run_id or spec.name, result, hash_


def _print_comparison(labelled: list[tuple[str, Result, str | None]]) -> None:
    """The runs, one table per compared column, and each run's largest difference."""
    heads = Table(title="runs compared")
    for column in ("run", "scenario", "world", "date", "converged"):
        heads.add_column(column)
    for label, result, _ in labelled:
        heads.add_row(
            label,
            escape(result.scenario),
            escape(result.world),
            str(result.date) if result.date is not None else "",
            "yes" if result.solver.converged else "no",
        )
    stdout.print(heads)
    hashes = {h for _, _, h in labelled if h is not None}
    worlds = {r.world for _, r, _ in labelled}
    if len(hashes) > 1 or len(worlds) > 1:
        stderr.print(
            "[yellow]note[/]: the runs were solved on different worlds or world data",
            highlight=False,
        )
    values = [
        {
            column: dict(zip(r.regions["region"], r.regions[column], strict=True))
            for column, _ in COMPARED
        }
        for _, r, _ in labelled
    ]
    regions: list[str] = []
    for _, result, _ in labelled:
        regions += [r for r in result.regions["region"] if r not in regions]
    first_label = labelled[0][0]
    largest = [0.0] * len(labelled)
    for column, heading in COMPARED:
        table = Table(title=f"{heading} (Δ: difference from {first_label})")
        table.add_column("region")
        for k, (label, _, _) in enumerate(labelled):
            table.add_column(label, justify="right")
            if k > 0:
                table.add_column(f"Δ {label}", justify="right")
        for region in regions:
            base = values[0][column].get(region)
            cells: list[str] = []
            for k, run_values in enumerate(values):
                value = run_values[column].get(region)
                cells.append("—" if value is None else _signed(value))
                if k == 0:
                    continue
                if value is None or base is None:
                    cells.append("—")
                    continue
                diff = float(value) - float(base)
                largest[k] = max(largest[k], abs(diff))
                cells.append(_signed(diff))
            table.add_row(region, *cells)
        stdout.print(table)
    for k, (label, _, _) in enumerate(labelled[1:], start=1):
        stdout.print(
            f"largest difference of {label} from {first_label}: {largest[k]:.3e} percentage points",
            highlight=False,
        )


def main() -> None:
    """Console entry point."""
    enable_compilation_cache()
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
