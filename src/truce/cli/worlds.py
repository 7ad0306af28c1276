"""``truce worlds``, ``truce scenarios`` and ``truce world ...``: built-in data, world folders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from truce import api
from truce.cli._common import (
    app,
    fail,
    stderr,
    stdout,
    world_app,
)
from truce.errors import TruceError


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
            raise fail(error) from None
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


def _wrote_world(world: api.World, out: Path) -> None:
    stderr.print(
        f"wrote world {world.name} ({len(world.regions)} regions × "
        f"{len(world.sectors)} sectors) to {out}",
        highlight=False,
    )


@world_app.command("import")
def world_import(
    source: Annotated[
        str, typer.Argument(help="The kind of source data: cp2015, icio2022 or baci2023.")
    ],
    src: Annotated[Path, typer.Argument(help="Folder holding the source files.")],
    out: Annotated[Path, typer.Argument(help="World folder to write.")],
) -> None:
    """Turn published source data into a world folder."""
    try:
        world = api.import_world(source, src, out)
    except TruceError as error:
        raise fail(error) from None
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
        raise fail(error) from None
    _wrote_world(world, out)


@world_app.command("show")
def world_show(
    world: Annotated[str, typer.Argument(help="A built-in world name or a world folder.")],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the summary as JSON: pair tariffs, elasticities and their source, "
            "the checks.",
        ),
    ] = False,
) -> None:
    """Print a summary of a world: size, sources, description, flows, tariffs, identities."""
    try:
        summary = api.world_summary(world)
    except TruceError as error:
        raise fail(error) from None
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=1, allow_nan=False))
        return
    unit = summary.currency
    stdout.print(
        f"[bold]{escape(summary.name)}[/]  {summary.year}  {escape(unit)}  "
        f"{summary.n_regions} regions × {summary.n_sectors} sectors"
        + (f"  model {summary.model}" if summary.model else ""),
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
    if summary.theta_source is not None or summary.elasticity_sources:
        others = [s for s in summary.elasticity_sources if s != summary.theta_source]
        stdout.print(
            f"elasticities: {escape(summary.theta_source or 'unnamed')}"
            + (f" (others: {escape(', '.join(others))})" if others else "")
            + (
                f"; standard errors for draws: {escape(summary.se_source)}'s"
                if summary.se_source
                else "; no standard errors"
            ),
            highlight=False,
        )
    stdout.print(
        f"identities: largest gap {summary.output_label} − value added − purchases "
        f"{summary.output_gap:.1e} of the cell ({summary.output_gap_cell}); lowest final "
        f"demand {summary.final_gap:.1e} of absorption ({summary.final_gap_cell})",
        highlight=False,
    )
