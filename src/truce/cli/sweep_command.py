"""``truce sweep``: solve a grid or list of scenarios in parallel, resumably."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from truce._lazy import Lazy
from truce.api.defaults import DEFAULT_MAX_STEPS
from truce.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_MODEL_FAILED,
    AgainstOption,
    MaxIterationsOption,
    NoStoreOption,
    QuietOption,
    ReportOption,
    StoreOption,
    WorldOption,
    app,
    fail,
    progress_bar,
    stderr,
    stdout,
    store_path,
    styled,
    wrote,
)
from truce.cli._tables import pct
from truce.errors import InputError, TruceError

if TYPE_CHECKING:
    from truce.api import sweep_runner as sweep_types

run_store = Lazy("truce.api.store")
sweeps = Lazy("truce.api.sweep_runner")

#: The exit status of an interrupted sweep (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


@app.command()
def sweep(
    spec: Annotated[str, typer.Argument(help="A sweep spec file or the name of a built-in sweep.")],
    world: WorldOption = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes of the local cluster (default: one per CPU).",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Run on the Dask cluster whose scheduler is at this address "
            "(tcp://HOST:PORT) instead of a local one.",
        ),
    ] = None,
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help="Write one row per point and region (every field) here."),
    ] = None,
    report_path: ReportOption = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the sweep's points as JSON here.")
    ] = None,
    quiet: QuietOption = False,
    max_iterations: MaxIterationsOption = DEFAULT_MAX_STEPS,
    against: AgainstOption = None,
    store: StoreOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Solve every point of a sweep and print welfare by point.

    A sweep is a grid over a base scenario's measures or a list of scenarios (see the
    README).  Each finished point is kept in the run store at once, so a sweep run
    again after an interruption solves only the points it lacks.  A failed point does
    not stop the others; the command then exits 1 and writes no files.
    """
    if workers is not None and scheduler is not None:
        raise fail(
            InputError(
                "--workers sets the size of a local cluster and cannot go with --scheduler "
                "(that cluster has its own workers)"
            )
        )
    path = store_path(store, no_store)
    kept = run_store.RunStore(path) if path is not None else None
    saved = 0
    try:
        loaded = sweeps.load_sweep(spec)
        if against is not None:
            loaded = sweeps.with_against(loaded, against)
        if kept is None and not quiet:
            stderr.print(
                styled(
                    ("warning", "yellow"),
                    ": no run store (--no-store or TRUCE_STORE=off): the points are kept "
                    "nowhere and an interrupted sweep cannot resume",
                )
            )
        bar = progress_bar(quiet)
        with bar:
            task = bar.add_task(f"sweep {loaded.name}", total=len(loaded.points))

            def progress(done: int, total: int, point: sweep_types.PointResult | None) -> None:
                nonlocal saved
                if point is None:
                    if done and not quiet:
                        stderr.print(
                            f"{done} of {total} points already in the run store",
                            highlight=False,
                        )
                else:
                    saved += point.run_id is not None
                    bar.update(task, description=point.point.label)
                bar.update(task, completed=done, total=total)

            result = sweeps.run_sweep(
                loaded,
                world=world,
                store=kept,
                workers=workers,
                scheduler=scheduler,
                max_steps=max_iterations,
                progress=progress,
            )
    except TruceError as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        where = f"kept in {path!s}" if path is not None else "kept nowhere"
        stderr.print(
            f"interrupted: {saved} newly solved point{'s' if saved != 1 else ''} {where}; "
            "run the same command again to solve the rest",
            highlight=False,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if result.failed:
        _report_failures(result)
    try:
        if csv_path is not None:
            result.to_csv(csv_path)
        if json_path is not None:
            result.to_json(json_path)
        if report_path is not None:
            result.write_report(report_path)
    except TruceError as error:
        raise fail(error) from None
    if quiet:
        return
    count, reused = len(result.points), len(result.reused)
    if result.cluster is None:
        done = f"{count} points, all from the run store"
    elif result.stored:
        done = f"{count} points: {len(result.solved)} solved on {result.cluster}, {reused} "
        done += "from the run store"
    else:
        done = f"{count} points solved on {result.cluster}, none kept"
    stderr.print(f"{done}; sweep {result.id}", highlight=False)
    stdout.print(_welfare_rows(result))
    wrote(csv_path, json_path, report_path)


def _report_failures(result: sweep_types.SweepResult) -> None:
    """Name every failed point on stderr and exit 2 (bad input) or 1 (the model)."""
    for point in result.failed:
        stderr.print(
            styled(("error", "bold red"), f": point {point.point.label}: {point.error or ''}")
        )
    bad_input = any(p.bad_input for p in result.failed)
    done = len(result.points) - len(result.failed)
    kept = "kept in the run store; " if result.stored else ""
    stderr.print(
        f"{len(result.failed)} of {len(result.points)} points failed; the {done} others are "
        f"{kept}nothing was written",
        highlight=False,
    )
    raise typer.Exit(EXIT_BAD_INPUT if bad_input else EXIT_MODEL_FAILED)


def _welfare_rows(result: sweep_types.SweepResult) -> Table:
    """One row per point: its swept values, welfare % of the focus regions, its run."""
    regions = list(result.focus_regions())
    columns = list(result.sweep.columns)
    out = Table(title=f"welfare % by point: {result.sweep.name} on {result.world}")
    for column in columns:
        out.add_column(column, justify="right")
    for region in regions:
        out.add_column(region, justify="right")
    out.add_column("run", justify="left")
    for point in result.points:
        if point.result is None:
            continue
        frame = point.result.regions
        welfare = dict(zip(frame["region"], frame["welfare_pct"], strict=True))
        out.add_row(
            *(sweeps.show_value(point.point.values[c]) for c in columns),
            *(pct(float(welfare[r])) for r in regions),
            point.run_id or "",
        )
    return out
