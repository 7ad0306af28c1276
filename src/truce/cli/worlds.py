"""``truce worlds``, ``truce scenarios`` and ``truce world ...``: built-in data, world folders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from truce import api
from truce._lazy import Lazy
from truce.api import defaults
from truce.cli._common import (
    app,
    fail,
    print_sources,
    scenarios_app,
    stderr,
    stdout,
    styled,
    world_app,
)
from truce.errors import TruceError

source_keys = Lazy("truce.api.sources")


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
            "\n".join(source for source in w.sources),
        )
    stdout.print(table)


@scenarios_app.callback()
def scenarios(ctx: typer.Context) -> None:
    """List the built-in scenarios: world, the day an undated run solves, the dates their
    measures span, and a one-line description."""
    if ctx.invoked_subcommand is not None:
        return
    table = Table(title="built-in scenarios")
    for column in ("name", "world", "as of", "dates", "description"):
        table.add_column(column)
    for name in api.builtin_scenarios():
        try:
            scenario = api.load_scenario(name)
        except TruceError as error:
            raise fail(error) from None
        days = sorted({d for m in scenario.measures for d in (m.start, m.end) if d})
        span = f"{days[0]} to {days[-1]}" if days else "undated"
        as_of = str(scenario.as_of) if scenario.as_of else ("a date needed" if days else "")
        base = f" (extends {scenario.extends})" if scenario.extends else ""
        table.add_row(
            name,
            scenario.world or "",
            as_of,
            span,
            " ".join(scenario.description.split()) + base,
        )
    stdout.print(table)


@scenarios_app.command("show")
def scenarios_show(
    name: Annotated[str, typer.Argument(help="A built-in scenario's name.")],
) -> None:
    """Print a built-in scenario's file: its measures with the source or assumption of
    every value (copy it to start a scenario of your own)."""
    try:
        scenario = api.load_scenario(name)
    except TruceError as error:
        raise fail(error) from None
    if scenario.text is None:  # pragma: no cover - files always carry their text
        raise fail(TruceError(f"scenario {name} has no text"))
    typer.echo(scenario.text, nl=not scenario.text.endswith("\n"))


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
            help=f"Trade-elasticity source: {', '.join(defaults.ELASTICITY_CHOICES)}.",
        ),
    ] = defaults.DEFAULT_ELASTICITIES,
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
        styled(
            (summary.name, "bold"),
            f"  {summary.year}  {unit}  {summary.n_regions} regions × {summary.n_sectors} "
            "sectors" + (f"  model {summary.model}" if summary.model else ""),
        )
    )
    stdout.print(
        f"gross output {summary.gross_output:,.0f}; international trade "
        f"{summary.international:,.0f} ({unit})",
        highlight=False,
    )
    stdout.print(styled("\n", ("sources", "bold")))
    for source in summary.sources:
        stdout.print(f"  • {source}", highlight=False, soft_wrap=True)
    stdout.print(styled("\n", ("description", "bold")))
    # The description is wrapped by its author; rich must not wrap it again.
    stdout.print(summary.description, highlight=False, soft_wrap=True)

    flows = Table(title=f"largest international flows ({unit})")
    for column in ("exporter", "importer", "sector", "value", "tariff %"):
        flows.add_column(column, justify="right" if column in ("value", "tariff %") else "left")
    for row in summary.top_flows.itertuples(index=False):
        flows.add_row(
            row.exporter, row.importer, row.sector, f"{row.value:,.0f}", f"{100 * row.tariff:.2f}"
        )
    stdout.print(flows)

    pairs = Table(title="trade-weighted average tariff on goods, largest pairs")
    for column in ("exporter", "importer", f"goods ({unit})", "tariff %"):
        pairs.add_column(column, justify="left" if "porter" in column else "right")
    for row in summary.pair_tariffs.itertuples(index=False):
        pairs.add_row(row.exporter, row.importer, f"{row.value:,.0f}", f"{100 * row.tariff:.2f}")
    stdout.print(pairs)
    _print_names(api.load_world(world))
    if summary.theta_source is not None or summary.elasticity_sources:
        others = [s for s in summary.elasticity_sources if s != summary.theta_source]
        stdout.print(
            f"elasticities: {summary.theta_source or 'unnamed'}"
            + (f" (others: {(', '.join(others))})" if others else "")
            + (
                f"; standard errors for draws: {summary.se_source}'s"
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


@app.command()
def sources(
    keys: Annotated[
        list[str] | None,
        typer.Argument(help="Source keys (S42 S274 ...); none lists every key."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
) -> None:
    """Resolve the source keys that scenarios and frameworks cite ([S42]) to their
    titles and addresses, from the project's facts files."""
    try:
        table = api.resolve_sources(keys) if keys else api.resolve_sources(source_keys.all_keys())
    except TruceError as error:
        raise fail(error) from None
    if as_json:
        typer.echo(json.dumps(table.to_dict(orient="records"), indent=1, ensure_ascii=False))
        return
    print_sources(table)


def _print_names(world: api.World) -> None:
    """The world's regions and sectors: code, name, and households or elasticity."""
    households = (
        {}
        if world.households is None
        else dict(zip(world.households["region"], world.households["households"], strict=True))
    )
    regions = Table(title="regions (a scenario may use the code or the name)")
    regions.add_column("code", no_wrap=True)
    regions.add_column("name")
    regions.add_column("households\nmillion", justify="right", no_wrap=True)
    for row in world.regions.itertuples(index=False):
        count = households.get(row.region)
        regions.add_row(row.region, row.name, "—" if count is None else f"{count / 1e6:,.1f}")
    stdout.print(regions)
    sectors = Table(title="sectors (a scenario may use the code or the name)")
    sectors.add_column("code", no_wrap=True)
    sectors.add_column("name")
    sectors.add_column("trade\nelasticity", justify="right", no_wrap=True)
    for row in world.sectors.itertuples(index=False):
        sectors.add_row(row.sector, row.name, f"{row.theta:.2f}")
    stdout.print(sectors)
