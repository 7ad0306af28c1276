"""The command line's shared pieces: the app, consoles, exit codes, options and tables."""

from __future__ import annotations

import json
import sys
from datetime import date as Date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from truce import api
from truce._lazy import Lazy
from truce.api import defaults
from truce.cli._tables import base_caption, fitted_table, region_columns
from truce.config import enable_compilation_cache
from truce.errors import InputError, TruceError
from truce.report.version import truce_version

if TYPE_CHECKING:
    import pandas as pd

    from truce.report.result import Result

run_store = Lazy("truce.api.store")
money = Lazy("truce.report.money")

app = typer.Typer(
    name="truce",
    help="Numbers on trade deals and trade wars: a general-equilibrium trade model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        version = truce_version() or "unknown (not installed)"
        stdout.print(f"truce {version}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    context: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print truce's version."
        ),
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Keep no compiled solvers on disk for this command (TRUCE_NO_CACHE=1 for "
            "all; TRUCE_CACHE_DIR moves the cache, default ~/.cache/truce).",
        ),
    ] = False,
) -> None:
    """Numbers on trade deals and trade wars: a general-equilibrium trade model."""
    # The console entry asks for the cache (``main``); a test's runner does not.
    if (context.obj or {}).get("compilation_cache") and not no_cache:
        enable_compilation_cache()


world_app = typer.Typer(help="Build, import and inspect world folders.", no_args_is_help=True)
app.add_typer(world_app, name="world")
runs_app = typer.Typer(
    help="List and show the runs kept in the run store.", invoke_without_command=True
)
app.add_typer(runs_app, name="runs")
scenarios_app = typer.Typer(
    help="List the built-in scenarios, or show one's text.", invoke_without_command=True
)
app.add_typer(scenarios_app, name="scenarios")

# One printing path for user text: names, codes and messages are printed as they are,
# never read as markup or emoji codes (a scenario named "[/b]" or an error on line 100,
# ":100:", prints as written); styles come only from styled().
stdout = Console(markup=False, emoji=False, highlight=False)
stderr = Console(stderr=True, markup=False, emoji=False, highlight=False)


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line from plain strings and (text, style) pairs, none of it read as markup."""
    return Text.assemble(*parts)


EXIT_MODEL_FAILED = 1
EXIT_BAD_INPUT = 2


def progress_bar(quiet: bool, *, counts: bool = True) -> Progress:
    """A transient progress bar on stderr (description, bar, done/total unless not
    ``counts``, time spent, time left); silent with ``--quiet``."""
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        *([MofNCompleteColumn()] if counts else []),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=quiet,
    )


def fail(error: TruceError) -> typer.Exit:
    code = EXIT_BAD_INPUT if isinstance(error, InputError) else EXIT_MODEL_FAILED
    kind = "bad input" if code == EXIT_BAD_INPUT else "model failed"
    stderr.print(styled(("error", "bold red"), f" ({kind}): {error!s}"))
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


def store_path(option: Path | None, off: bool = False) -> Path | None:
    """The store to use: ``--store``, else ``TRUCE_STORE``, else the default; ``None``
    under ``--no-store`` or ``TRUCE_STORE=off``."""
    if off:
        return None
    return option if option is not None else run_store.default_path()


def keep(
    result: Result, world: api.World, spec: api.Scenario, path: Path | None, *, quiet: bool
) -> str | None:
    """Save a run in the store at ``path``; a store that fails costs a warning, not the run."""
    if path is None:
        return None
    try:
        run_id = run_store.RunStore(path).save_run(result, world, spec)
    except TruceError as error:
        stderr.print(styled(("warning", "yellow"), f": the run was not kept: {error!s}"))
        return None
    if not quiet:
        stderr.print(f"run {run_id} saved in {path!s}", highlight=False)
    return run_id


def parse_date(text: str | None) -> Date | None:
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
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help=f"The model to solve with: {' or '.join(defaults.MODELS)} (default: the "
        f"scenario's options.model, else the world's model, else {defaults.MODEL_NAME}).",
    ),
]
SigmaOption = Annotated[
    float | None,
    typer.Option(
        "--sigma",
        min=0.0,
        max=10.0,
        help="Elasticity of substitution between critical inputs (rare earths, magnets, "
        "chips) and the rest of their users' costs: 0 Leontief, 1 Cobb-Douglas. Default: "
        "the scenario's options.critical_sigma, else the catalogue's 0.1.",
    ),
]
AgainstOption = Annotated[
    str | None,
    typer.Option(
        "--against",
        help="Measure the changes against this scenario (a file or a built-in name), "
        "solved on the same world and model, instead of against the world's base: e.g. "
        "truce run busan-deal --against truce-collapse.",
    ),
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


def region_table(result: Result) -> Table:
    """Welfare (in % and in dollars), wages, prices, trade and what else the model
    reports, by region, in the columns that fit the terminal, under the base."""
    on_date = result.date
    title = f"{result.scenario} on {result.world}" + (f" ({on_date})" if on_date else "")
    currency = result.base.get("currency") if result.base else None
    columns = region_columns(
        result, money.usd_bn_per_unit(currency) if isinstance(currency, str) else None
    )
    return fitted_table(title, columns, stdout.width, base_caption(result.base))


def wrote(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            stderr.print(f"wrote {path}", highlight=False)


def print_sources(table: pd.DataFrame, indent: str = "") -> None:
    """Each row of a source table (``truce.api.resolve_sources``) as one line: key,
    title, quality and address."""
    for row in table.itertuples(index=False):
        quality = f" ({row.quality})" if row.quality and row.quality not in row.title else ""
        stdout.print(
            styled(indent, (row.key, "bold"), f" {row.title}{quality} — {row.address}"),
            soft_wrap=True,
        )


def write_plain(output: OutputFormat, document: dict, table: pd.DataFrame) -> None:
    """The results JSON, or the main table as CSV, on stdout."""
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(document, indent=1, allow_nan=False) + "\n")
    else:
        sys.stdout.write(table.to_csv(index=False))
