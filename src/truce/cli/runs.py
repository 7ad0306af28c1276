"""``truce runs`` and ``truce compare``: the run store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from truce import api
from truce._lazy import Lazy
from truce.api.defaults import DEFAULT_MAX_STEPS
from truce.cli._common import (
    FormatOption,
    NoStoreOption,
    OutputFormat,
    StoreOption,
    app,
    fail,
    keep,
    region_table,
    runs_app,
    stderr,
    stdout,
    store_path,
    styled,
    write_plain,
    wrote,
)
from truce.cli._tables import Column, fitted_table, pct
from truce.errors import InputError, TruceError

if TYPE_CHECKING:
    from truce.api.store import RunStore
    from truce.report.result import Result

pd = Lazy("pandas")
run_store = Lazy("truce.api.store")
comparison = Lazy("truce.report.comparison")
render = Lazy("truce.report.render")
against = Lazy("truce.report.against")


def _open_store(store: Path | None) -> RunStore:
    path = store_path(store)
    if path is None:
        raise InputError("the run store is off (TRUCE_STORE=off): pass --store PATH")
    return run_store.RunStore(path)


@runs_app.callback()
def runs(
    ctx: typer.Context, store: StoreOption = None, output: FormatOption = OutputFormat.table
) -> None:
    """List the stored runs: id, scenario, world, date, time, seconds."""
    ctx.obj = store
    if ctx.invoked_subcommand is not None:
        return
    try:
        kept = _open_store(store)
        infos = kept.list()
    except TruceError as error:
        raise fail(error) from None
    frame = pd.DataFrame(
        {
            "id": [i.id for i in infos],
            "scenario": [i.scenario for i in infos],
            "world": [i.world for i in infos],
            "date": [str(i.date) if i.date is not None else "" for i in infos],
            "saved_utc": [i.created_at.strftime("%Y-%m-%d %H:%M:%S") for i in infos],
            "seconds": [round(i.seconds, 2) for i in infos],
            "converged": [i.converged for i in infos],
        }
    )
    if output is not OutputFormat.table:
        write_plain(output, {"runs": frame.to_dict(orient="records")}, frame)
        return
    columns = [
        Column("id", list(frame["id"]), 0, "left"),
        Column("scenario", list(frame["scenario"]), 1, "left"),
        Column("world", list(frame["world"]), 2, "left"),
        Column("date", list(frame["date"]), 3, "left"),
        Column("saved (UTC)", list(frame["saved_utc"]), 4, "left"),
        Column("seconds", [f"{s:.2f}" for s in frame["seconds"]], 5),
    ]
    stdout.print(fitted_table(f"runs in {kept.path}", columns, stdout.width))
    if not infos:
        stderr.print("no runs kept yet", highlight=False)


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="A run id (or a unique prefix of one).")],
    store: StoreOption = None,
    output: FormatOption = OutputFormat.table,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the run's results JSON here.")
    ] = None,
    report_path: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write the run's HTML report here (needs its world, by name or folder).",
        ),
    ] = None,
) -> None:
    """Print one stored run: where it came from, its solver statistics and its regions;
    or its results as JSON or CSV (--format), or write them (--json, --report)."""
    try:
        kept = _open_store(store or ctx.obj)
        info = kept.info(run_id)
        result = kept.get(info.id)
        if json_path is not None:
            result.to_json(json_path)
        if report_path is not None:
            _stored_report(report_path, result, kept.scenario_text(info.id))
    except TruceError as error:
        raise fail(error) from None
    if output is not OutputFormat.table:
        write_plain(output, result.to_dict(), result.regions)
        return
    stdout.print(
        styled((f"run {info.id}", "bold"), f"  saved {info.created_at:%Y-%m-%d %H:%M:%S} UTC")
    )
    stdout.print(f"scenario  {info.scenario}", highlight=False)
    stdout.print(
        f"world     {info.world} (content hash {info.world_hash or 'unknown'})",
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
    stdout.print(region_table(result))
    wrote(json_path, report_path)


def _stored_report(path: Path, result: Result, text: str | None) -> None:
    """The HTML report of a stored run, from its scenario's text and its world."""
    if text is None:
        raise InputError(f"run of {result.scenario} kept no scenario text: no report")
    spec = api.scenario_from_text(text, result.scenario)
    world = api.load_world(result.world)
    render.write_report(
        path,
        render.render_html(result, scenario=spec, world=world, sources=api.scenario_sources(spec)),
    )


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
        raise fail(error) from None
    stderr.print(f"deleted run {info.id}", highlight=False)


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
    output: FormatOption = OutputFormat.table,
) -> None:
    """Set runs side by side: welfare, real wage and price index by region, each run's
    values and its exact change from the first run."""
    if len(runs) < 2:
        raise fail(InputError("compare needs at least two runs or scenarios"))
    path = store_path(store, no_store)
    kept = run_store.RunStore(path) if path is not None else None
    labelled: list[tuple[str, Result, str | None]] = []
    try:
        for name in runs:
            labelled.append(_run_or_stored(name, kept, world, max_iterations))
    except TruceError as error:
        raise fail(error) from None
    if output is not OutputFormat.table:
        pairs = [(run_id, r) for run_id, r, _ in labelled]
        names = comparison.run_labels(pairs)
        table = comparison.comparison_table(
            [(n, r) for n, (_, r) in zip(names, pairs, strict=True)]
        )
        document = {
            "runs": [
                {"run": n, "id": run_id, "scenario": r.scenario, "base": r.base}
                for n, (run_id, r) in zip(names, pairs, strict=True)
            ],
            "comparison": table.astype(object).where(table.notna(), None).to_dict(orient="records"),
        }
        write_plain(output, document, table)
    else:
        _print_comparison(labelled)
    if report_path is not None:
        try:
            html = comparison.render_comparison_html([(label, r) for label, r, _ in labelled])
            render.write_report(report_path, html)
        except TruceError as error:
            raise fail(error) from None
        stderr.print(f"wrote {report_path}", highlight=False)


def _run_or_stored(
    name: str, kept: RunStore | None, world: str | None, max_steps: int
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
    world_data = api.scenario_world(spec, world)
    stderr.print(f"solving {spec.name} on {world_data.name} …", highlight=False)
    result = api.run(world_data, spec, max_steps=max_steps)
    run_id = keep(result, world_data, spec, kept.path if kept else None, quiet=False)
    hash_ = kept.info(run_id).world_hash if kept is not None and run_id is not None else None
    return run_id or spec.name, result, hash_


def _print_comparison(stored: list[tuple[str, Result, str | None]]) -> None:
    """The runs, one table per compared column, and each run's largest exact change
    from the first (the ratio of the two runs' changes from their common base)."""
    names = comparison.run_labels([(run_id, r) for run_id, r, _ in stored])
    heads = Table(title="runs compared")
    for column in ("run", "id", "world", "date"):
        heads.add_column(column, no_wrap=True)
    for name, (run_id, result, _) in zip(names, stored, strict=True):
        heads.add_row(
            name,
            run_id,
            result.world,
            str(result.date) if result.date is not None else "",
        )
    stdout.print(heads)
    labelled = [(n, r, h) for n, (_, r, h) in zip(names, stored, strict=True)]
    bases = {str(r.base.get("text")) for _, r, _ in labelled if r.base}
    if len(bases) > 1:
        stderr.print(
            styled(
                ("note", "yellow"),
                ": the runs are measured against different bases; their exact changes "
                "from the first run mix those bases",
            )
        )
    hashes = {h for _, _, h in labelled if h is not None}
    worlds = {r.world for _, r, _ in labelled}
    if len(hashes) > 1 or len(worlds) > 1:
        stderr.print(
            styled(("note", "yellow"), ": the runs were solved on different worlds or world data")
        )
    values = [
        {
            column: dict(zip(r.regions["region"], r.regions[column], strict=True))
            for column, _ in comparison.COMPARED
        }
        for _, r, _ in labelled
    ]
    regions: list[str] = []
    for _, result, _ in labelled:
        regions += [r for r in result.regions["region"] if r not in regions]
    first_label = labelled[0][0]
    largest = [0.0] * len(labelled)
    for column, heading in comparison.COMPARED:
        table = Table(
            title=f"{heading} (Δ: exact change from {first_label}, %)",
            caption="each run's column: change from its base",
        )
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
                cells.append("—" if value is None else pct(value))
                if k == 0:
                    continue
                if value is None or base is None:
                    cells.append("—")
                    continue
                diff = float(against.relative_pct(float(value), float(base)))
                largest[k] = max(largest[k], abs(diff))
                cells.append(pct(diff))
            table.add_row(region, *cells)
        stdout.print(table)
    for k, (label, _, _) in enumerate(labelled[1:], start=1):
        stdout.print(
            f"largest change of {label} from {first_label}: {largest[k]:.3f}%",
            highlight=False,
        )
