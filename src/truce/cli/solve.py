"""``truce run`` and ``truce timeline``: solve scenarios and print the results."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from truce import api
from truce._lazy import Lazy
from truce.api.defaults import DEFAULT_MAX_STEPS
from truce.cli._common import (
    AgainstOption,
    FiguresOption,
    FormatOption,
    MaxIterationsOption,
    ModelOption,
    NoStoreOption,
    OutputFormat,
    QuietOption,
    ReportOption,
    ScenarioArgument,
    SigmaOption,
    StoreOption,
    WorldOption,
    app,
    fail,
    keep,
    parse_date,
    progress_bar,
    region_table,
    stderr,
    stdout,
    store_path,
    styled,
    write_plain,
    wrote,
)
from truce.cli._tables import (
    Column,
    base_caption,
    fit_columns,
    fitted_table,
    pct,
    tariff_table,
)
from truce.errors import TruceError
from truce.report.files import write_text

if TYPE_CHECKING:
    from truce.report.result import Result
    from truce.report.timeline import PhaseResult, TimelineResult

charts = Lazy("truce.report.charts")
render = Lazy("truce.report.render")
workbook = Lazy("truce.report.workbook")
chart_style = Lazy("truce.report.chart_style")


def _solve_run(world: api.World, spec: api.Scenario, config: api.RunConfig, quiet: bool) -> Result:
    """``api.run``, with a progress bar on stderr while elasticity draws are solved."""
    if not config.draws:
        return api.run_config(world, spec, config)
    bar = progress_bar(quiet)
    with bar:
        task = bar.add_task("elasticity draws", total=config.draws)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return api.run_config(world, spec, replace(config, progress=progress))


@app.command()
def run(
    scenario: ScenarioArgument,
    world: WorldOption = None,
    model: ModelOption = None,
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
    draws: Annotated[
        int,
        typer.Option(
            "--draws",
            min=0,
            help="Also solve under N draws of the trade elasticities and report the median "
            "and a 90% band of every result (columns *_p05, *_p50, *_p95).",
        ),
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the elasticity draws.")] = 0,
    theta_se: Annotated[
        Path | None,
        typer.Option(
            "--theta-se",
            help="CSV of the elasticities' standard errors (columns sector, se and "
            "optionally estimate), instead of the world's own.",
        ),
    ] = None,
    elasticities: Annotated[
        str | None,
        typer.Option(
            "--elasticities",
            help="Trade elasticities from this source of the world's elasticities table "
            "(truce world show lists them), or 'all': the world's own with the spread "
            "across every source (columns *_src_min, *_src_max). Default: the scenario's "
            "options.elasticities, else the world's own.",
        ),
    ] = None,
    sigma: SigmaOption = None,
    against: AgainstOption = None,
    xlsx_path: Annotated[
        Path | None,
        typer.Option(
            "--xlsx",
            help="Write every table as a sheet of an Excel workbook here, with a sheet of "
            "notes (base, units, sources, names).",
        ),
    ] = None,
    sectors_csv: Annotated[
        Path | None,
        typer.Option(
            "--sectors-csv",
            help="Write the region x sector results (output, value added, employment, "
            "prices, critical-input cost shares) here as CSV.",
        ),
    ] = None,
) -> None:
    """Solve a scenario and print welfare, wages and prices by region.

    Each successful run is kept in the run store (see ``truce runs``); its id goes to
    stderr.
    """
    on_date = parse_date(date)
    try:
        spec = api.load_scenario(scenario)
        world_data = api.scenario_world(spec, world)
        if not quiet:
            stderr.print(f"solving {spec.name} on {world_data.name} …", highlight=False)
        config = api.RunConfig(
            date=on_date,
            max_steps=max_iterations,
            model=model,
            draws=draws,
            seed=seed,
            theta_se=theta_se,
            elasticities=elasticities,
            sigma=sigma,
            against=None if against is None else api.load_scenario(against),
        )
        result = _solve_run(world_data, spec, config, quiet)
        if json_path is not None:
            result.to_json(json_path)
        if sectors_csv is not None:
            write_text(sectors_csv, result.sectors.to_csv(index=False), "the sector table")
        if xlsx_path is not None:
            workbook.write_xlsx(xlsx_path, result, world_data.currency, list(world_data.sources))
        if report_path is not None:
            render.write_report(
                report_path,
                render.render_html(
                    result,
                    scenario=spec,
                    world=world_data,
                    sources=api.scenario_sources(spec),
                ),
            )
        if figures_dir is not None:
            render.write_figures(
                figures_dir,
                charts.matplotlib_figures(
                    result, world_data.currency, chart_style.short_source(world_data.sources)
                ),
            )
    except TruceError as error:
        raise fail(error) from None
    keep(result, world_data, spec, store_path(store, no_store), quiet=quiet)
    if quiet:
        return
    for note in result.extra.get("notes", ()):
        stderr.print(styled(("note:", "yellow"), f" {note!s}"))
    solver = result.solver
    stderr.print(
        f"converged in {solver.iterations} iterations, residual {solver.residual:.1e}, "
        f"{solver.seconds:.2f} s",
        highlight=False,
    )
    if "draws" in result.extra:
        info = result.extra["draws"]
        fixed = ", ".join(info["fixed_sectors"]) or "none"
        stderr.print(
            f"{info['count']} elasticity draws (seed {info['seed']}) in "
            f"{info['seconds']:.1f} s; sectors held fixed: {fixed}",
            highlight=False,
        )
        if "sigma" in info:
            sigma = info["sigma"]
            stderr.print(
                f"critical inputs' sigma drawn too: {sigma['mean']:g} (standard error "
                f"{sigma['se']:g}, kept >= 0), 90% of draws from {sigma['p05']:.3g} to "
                f"{sigma['p95']:.3g}",
                highlight=False,
            )
    if "elasticities" in result.extra:
        info = result.extra["elasticities"]
        point = info["point"] or "the world's own elasticities"
        stderr.print(
            f"solved under {len(info['sources'])} elasticity sources "
            f"({', '.join(info['sources'])}) in {info['seconds']:.1f} s; the point result "
            f"uses {point}",
            highlight=False,
        )
    if output is not OutputFormat.table:
        write_plain(output, result.to_dict(), result.regions)
    else:
        stdout.print(region_table(result))
        tariffs = tariff_table(result)
        if tariffs is not None:
            stdout.print(tariffs)
        constrained = _measure_rows(result, spec)
        if constrained is not None:
            stdout.print(constrained)
    wrote(json_path, report_path, figures_dir, sectors_csv, xlsx_path)


def _measure_rows(result: Result, spec: api.Scenario) -> Table | None:
    """Caps and floors: what each covers (by name), whether it binds and its
    equivalent rate (None if none is in force)."""
    rows = result.measures
    rows = rows[rows["in_force"] & (rows["binding"] | rows["equivalent_rate"].notna())]
    if rows.empty:
        return None
    measures = {m.index: m for m in spec.measures}
    sectors = result.names.get("sectors", {}) if result.names else {}
    columns = [
        Column("#", [str(i) for i in rows["index"]], 0),
        Column("kind", list(rows["kind"]), 1, "left"),
        Column(
            "covers",
            [_covers(measures[i], sectors) for i in rows["index"]],
            4,
            "left",
            wrap=30,
        ),
        Column("binding", ["yes" if b else "no" for b in rows["binding"]], 2),
        Column(
            "equivalent\nrate %",
            ["ban" if r is None else f"{100 * r:.2f}" for r in rows["equivalent_rate"]],
            3,
        ),
    ]
    return fitted_table("constraints", columns, stdout.width)


def _covers(measure: api.Measure, sectors: dict[str, str]) -> str:
    """``CHN on all: C27.magnets Rare-earth permanent magnets``: the measure's ``by``
    and ``on`` and what it covers, by name."""

    def listed(selection: object) -> str:
        return "all" if selection == "*" else ", ".join(map(str, selection))  # type: ignore[call-overload]

    product = measure.product
    if measure.sectors == "*":
        what = "all sectors" if product is None else f"every {product} sub-sector"
    else:
        codes = [str(c) if product is None else f"{c}.{product}" for c in measure.sectors]
        what = ", ".join(f"{c} {sectors[c]}" if c in sectors else c for c in codes)
    return f"{listed(measure.by)} on {listed(measure.on)}: {what}"


#: Up to this many phases, ``truce timeline`` prints regions × phases; beyond, one row
#: per phase with the focus regions and the largest movers.
WIDE_PHASES = 6
#: Regions shown in every phase row of a long timeline, when the world has them.
FOCUS_REGIONS = ("USA", "CHN")


@app.command()
def timeline(
    scenario: ScenarioArgument,
    world: WorldOption = None,
    model: ModelOption = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the timeline JSON here.")
    ] = None,
    report_path: ReportOption = None,
    figures_dir: FiguresOption = None,
    quiet: QuietOption = False,
    output: FormatOption = OutputFormat.table,
    max_iterations: MaxIterationsOption = DEFAULT_MAX_STEPS,
    elasticities: Annotated[
        str | None,
        typer.Option(
            "--elasticities",
            help="Trade elasticities from this source of the world's elasticities table "
            "(truce world show lists them). Default: the scenario's options.elasticities, "
            "else the world's own.",
        ),
    ] = None,
    sigma: SigmaOption = None,
    against: AgainstOption = None,
) -> None:
    """Solve a dated scenario phase by phase and print welfare by region and phase.

    The phases are the spans between the scenario's start and end dates, beginning with
    the span before the first date; each is solved on its first day.
    """
    try:
        spec = api.load_scenario(scenario)
        world_data = api.scenario_world(spec, world)
        bar = progress_bar(quiet)
        with bar:
            task = bar.add_task(f"solving {spec.name} on {world_data.name}", total=None)

            def progress(done: int, total: int, phase: api.Phase) -> None:
                bar.update(task, completed=done, total=total, description=phase.title)

            result = api.timeline(
                world_data,
                spec,
                max_steps=max_iterations,
                progress=progress,
                model=model,
                elasticities=elasticities,
                sigma=sigma,
                against=None if against is None else api.load_scenario(against),
            )
        if json_path is not None:
            result.to_json(json_path)
        if report_path is not None:
            render.write_report(
                report_path,
                render.render_timeline_html(
                    result, scenario=spec, world=world_data, sources=api.scenario_sources(spec)
                ),
            )
        if figures_dir is not None:
            render.write_figures(
                figures_dir,
                charts.timeline_matplotlib_figures(
                    result, chart_style.short_source(world_data.sources)
                ),
            )
    except TruceError as error:
        raise fail(error) from None
    if quiet:
        return
    solver = result.solver
    stderr.print(
        f"{len(result.phases)} phases solved in {solver.iterations} iterations, largest "
        f"residual {solver.residual:.1e}, {solver.seconds:.2f} s",
        highlight=False,
    )
    if output is not OutputFormat.table:
        write_plain(output, result.to_dict(), result.table)
    else:
        stdout.print(_timeline_table(result))
    wrote(json_path, report_path, figures_dir)


def _phase_header(phase: PhaseResult) -> str:
    if phase.start is None:
        span = "always" if phase.end is None else f"before\n{phase.end}"
    elif phase.end is None:
        span = f"from\n{phase.start}"
    else:
        span = f"{phase.start}\nto {phase.end}"
    return span if phase.name is None else f"{phase.name}\n{span}"


def _timeline_table(result: TimelineResult) -> Table:
    """Regions down and phases across when that fits the terminal, else one row per
    phase with the focus regions and the largest gain and loss among the others."""
    title = f"welfare % by phase: {result.scenario} on {result.world}"
    caption = base_caption(result.base)
    if len(result.phases) <= WIDE_PHASES:
        columns = _phase_columns(result)
        _, dropped = fit_columns(columns, stdout.width)
        if not dropped:
            return fitted_table(title, columns, stdout.width, caption)
    return fitted_table(title, _phase_rows(result), stdout.width, caption)


def _phase_columns(result: TimelineResult) -> list[Column]:
    """Regions down, phases across: welfare % of every region in every phase."""
    regions = list(result.phases[0].result.regions["region"])
    columns = [Column("region", regions, 0, "left")]
    for k, phase in enumerate(result.phases):
        welfare = dict(
            zip(phase.result.regions["region"], phase.result.regions["welfare_pct"], strict=True)
        )
        columns.append(Column(_phase_header(phase), [pct(welfare[r]) for r in regions], k + 1))
    return columns


def _phase_rows(result: TimelineResult) -> list[Column]:
    """One row per phase: welfare % of the focus regions and the largest gain and loss
    among the other regions (``—`` when none gains, or none loses)."""
    regions = list(result.phases[0].result.regions["region"])
    focus = [r for r in FOCUS_REGIONS if r in regions]
    titles, gains, losses = [], [], []
    by_focus: dict[str, list[str]] = {r: [] for r in focus}
    for phase in result.phases:
        welfare = dict(
            zip(phase.result.regions["region"], phase.result.regions["welfare_pct"], strict=True)
        )
        others = sorted((w, r) for r, w in welfare.items() if r not in focus)
        titles.append(phase.title)
        for region in focus:
            by_focus[region].append(pct(welfare[region]))
        top, bottom = (others[-1], others[0]) if others else ((0.0, ""), (0.0, ""))
        gains.append(f"{top[1]} {pct(top[0])}" if top[0] > 0 else "—")
        losses.append(f"{bottom[1]} {pct(bottom[0])}" if bottom[0] < 0 else "—")
    columns = [
        Column("phase", titles, 0, "left", wrap=26),
        *(Column(f"{r}\n%", by_focus[r], 1) for r in focus),
        Column("largest gain\n%", gains, 2),
        Column("largest loss\n%", losses, 3),
    ]
    for importer, exporter in (("USA", "CHN"), ("CHN", "USA")):
        rates = [_average_tariff(p.result, importer, exporter) for p in result.phases]
        if any(r is not None for r in rates):
            columns.append(
                Column(
                    f"{importer} tariff\non {exporter} %",
                    ["—" if r is None else f"{r:.1f}" for r in rates],
                    4,
                )
            )
    return columns


def _average_tariff(result: Result, importer: str, exporter: str) -> float | None:
    """The trade-weighted average tariff of ``importer`` on ``exporter`` after the
    measures (None when the result lacks the pair)."""
    table = result.tariffs
    if table.empty:
        return None
    found = table[(table["importer"] == importer) & (table["exporter"] == exporter)]
    return None if found.empty else float(found["after_pct"].iloc[0])
