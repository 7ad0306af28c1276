"""``truce war`` and ``truce talks``: Nash tariffs and bargained ones."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from truce import api
from truce._lazy import Lazy
from truce.api import defaults
from truce.cli._common import (
    ModelOption,
    QuietOption,
    app,
    fail,
    progress_bar,
    stderr,
    stdout,
    wrote,
)
from truce.cli._tables import pct
from truce.errors import InputError, TruceError
from truce.report.files import write_text

wars = Lazy("truce.api.wars")

PlayersOption = Annotated[
    str,
    typer.Option(
        "--players",
        help="Comma-separated region codes of the players (others keep their tariffs).",
    ),
]
GameWorldOption = Annotated[
    str, typer.Option("--world", help="A built-in world name or a world folder.")
]
UniformOption = Annotated[
    bool, typer.Option("--uniform", help="One rate per player for every sector and target.")
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Write the tariffs found as a scenario file (YAML) here."),
]
SectorsOption = Annotated[
    str | None,
    typer.Option(
        "--sectors",
        help="Sectors whose tariffs the players set, codes or names, comma-separated, or "
        "all (every traded sector, services included; default: every traded goods sector).",
    ),
]
MaxTariffOption = Annotated[
    float,
    typer.Option(
        "--max-tariff",
        help="The highest tariff a player may set, as a rate (2.0 = 200%, the default).",
    ),
]
DeficitsOption = Annotated[
    str,
    typer.Option(
        "--deficits",
        help="fixed (the default) or zero: play from the base with every trade deficit "
        "closed, and measure welfare against it.",
    ),
]
VerifyOption = Annotated[
    bool,
    typer.Option(
        "--verify/--no-verify",
        help="Search each player's best deviation from the answer and report its gain "
        "(the default; two searches per player, which in a game of many players take "
        "far longer than finding the answer).",
    ),
]
GameElasticitiesOption = Annotated[
    str | None,
    typer.Option(
        "--elasticities",
        help="Trade elasticities from this source of the world's elasticities table "
        "(truce world show lists them); default: the world's own.",
    ),
]
#: ``--first-order`` values and the :func:`truce.games.nash` methods they name.
FIRST_ORDER = {"exact": "first-order", "sufficient-statistics": "sufficient-statistics"}
#: The players when ``--players`` is not given.
DEFAULT_PLAYERS = ",".join(defaults.DEFAULT_PLAYERS)
JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print the tariffs, welfare and solver statistics as JSON.")
]


def _listed(text: str) -> list[str]:
    """The comma-separated items of an option's value, blanks dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _players(text: str) -> list[str]:
    players = _listed(text)
    if not players:
        raise InputError("--players names no region (give codes such as USA,CHN)")
    return players


def _sectors(text: str | None) -> list[str] | None:
    return None if text is None else _listed(text)


class _WarBar:
    """A war's progress bar (with the time left): the search, as its largest gap falls
    from the first step's to the tolerance on a log scale, then the check of each
    player's deviation."""

    def __init__(self, quiet: bool) -> None:
        self.bar = progress_bar(quiet, counts=False)
        self.task = self.bar.add_task("searching", total=100.0)
        self.first: float | None = None

    def __enter__(self) -> _WarBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)  # type: ignore[arg-type]

    def step(self, step: int, gap: float) -> None:
        tol = defaults.GRADIENT_TOL
        self.first = self.first or max(gap, 10.0 * tol)
        share = math.log(self.first / max(gap, tol)) / math.log(self.first / tol)
        self.bar.update(
            self.task,
            completed=100.0 * min(max(share, 0.0), 1.0),
            description=f"step {step}: largest gap {gap:.1e}",
        )

    def check(self, done: int, players: int) -> None:
        self.bar.update(
            self.task,
            completed=100.0 * done / players,
            description=f"checking each player's best deviation: {done}/{players}",
        )


def _write_scenario(path: Path | None, text: str) -> None:
    if path is None:
        return
    write_text(path, text, "the scenario file")


@app.command()
def war(
    players: PlayersOption = DEFAULT_PLAYERS,
    world: GameWorldOption = "default",
    model: ModelOption = None,
    uniform: UniformOption = False,
    by_partner: Annotated[
        bool, typer.Option("--by-partner", help="One rate per target and sector.")
    ] = False,
    everyone: Annotated[
        bool, typer.Option("--all", help="Every region plays (and taxes every other).")
    ] = False,
    start: Annotated[
        float | None,
        typer.Option("--start", help="Start every player's rates here instead of the base."),
    ] = None,
    sectors: SectorsOption = None,
    max_tariff: MaxTariffOption = defaults.MAX_TARIFF,
    deficits: DeficitsOption = "fixed",
    first_order: Annotated[
        str,
        typer.Option(
            "--first-order",
            help="exact (the default): every player's exact first-order conditions; "
            "sufficient-statistics: the optimal-tariff formula of Lashkaripour (2021, "
            "eq. 14) instead, with --uniform --all (see docs/games.md).",
        ),
    ] = "exact",
    verify: VerifyOption = True,
    elasticities: GameElasticitiesOption = None,
    out: OutOption = None,
    as_json: JsonFlag = False,
    quiet: QuietOption = False,
) -> None:
    """Nash tariffs of a tariff war: no player gains by changing its tariffs alone.

    With one player (``--players USA``), its optimal tariffs on every other region,
    which keep theirs.
    """
    try:
        chosen = _players(players) if not everyone else []
        if first_order not in FIRST_ORDER:
            raise InputError(f"--first-order is {' or '.join(FIRST_ORDER)}, not {first_order!r}")

        if not quiet:
            stderr.print(f"searching the Nash tariffs on {world} …", highlight=False)
        with _WarBar(quiet) as bar:
            result = wars.war(
                world, chosen, model=model, uniform=uniform, by_partner=by_partner,
                everyone=everyone, start=start, progress=bar.step, sectors=_sectors(sectors),
                max_tariff=max_tariff, deficits=deficits, method=FIRST_ORDER[first_order],
                verify=verify, elasticities=elasticities, checking=bar.check,
            )  # fmt: skip
        _write_scenario(out, result.scenario)
    except TruceError as error:
        raise fail(error) from None
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=1, allow_nan=False) + "\n")
    elif not quiet:
        stdout.print(_rates(result.rates, f"Nash tariffs on {result.world} ({result.model})"))
        stdout.print(
            _welfare(
                result.welfare,
                result.players,
                result.deviation_gains,
                result.world,
                result.zero_deficits,
            )
        )
        stderr.print(
            f"{result.method}: {result.rounds} steps, {result.evaluations} equilibria, "
            f"{result.seconds:.1f} s",
            highlight=False,
        )
    if not quiet:
        wrote(out)


@app.command()
def talks(
    players: PlayersOption = DEFAULT_PLAYERS,
    world: GameWorldOption = "default",
    model: ModelOption = None,
    uniform: UniformOption = False,
    points: Annotated[
        int, typer.Option("--points", min=1, help="Points of the efficient frontier to draw.")
    ] = 5,
    sectors: SectorsOption = None,
    max_tariff: MaxTariffOption = defaults.MAX_TARIFF,
    deficits: DeficitsOption = "fixed",
    verify: VerifyOption = True,
    elasticities: GameElasticitiesOption = None,
    out: OutOption = None,
    as_json: JsonFlag = False,
    quiet: QuietOption = False,
) -> None:
    """Trade talks: the efficient frontier between two players and their Nash bargain,
    with their tariff war as the threat point."""
    try:
        if not quiet:
            stderr.print(f"solving the war and the talks on {world} …", highlight=False)
        with progress_bar(quiet) as bar:
            task = bar.add_task("the war (threat point)", total=None)

            def progress(done: int, total: int, stage: str) -> None:
                bar.update(task, completed=done, total=total, description=stage)

            result = wars.talks(
                world,
                _players(players),
                model=model,
                uniform=uniform,
                points=points,
                sectors=_sectors(sectors),
                max_tariff=max_tariff,
                deficits=deficits,
                verify=verify,
                elasticities=elasticities,
                progress=progress,
            )
        _write_scenario(out, result.scenario)
    except TruceError as error:
        raise fail(error) from None
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=1, allow_nan=False) + "\n")
    elif not quiet:
        a, b = result.war.players
        stdout.print(_rates(result.rates, f"bargained tariffs on {result.war.world}"))
        table = Table(
            title="welfare %: war (threat point) and bargain",
            caption=_base_note(result.war.world, result.war.zero_deficits),
            caption_justify="left",
        )
        for column in ("", a, b):
            table.add_column(column, justify="left" if not column else "right")
        war_welfare = result.war.welfare.set_index("region")["welfare_pct"]
        deal = result.welfare.set_index("region")["welfare_pct"]
        table.add_row("war", pct(war_welfare[a]), pct(war_welfare[b]))
        table.add_row("bargain", pct(deal[a]), pct(deal[b]))
        stdout.print(table)
        frontier = Table(title=f"efficient frontier (weight on {a})")
        for column in ("weight", a, b):
            frontier.add_column(column, justify="right")
        for row in result.frontier.itertuples(index=False):
            frontier.add_row(f"{row[0]:.2f}", pct(row[1]), pct(row[2]))
        stdout.print(frontier)
        stderr.print(f"{result.seconds:.1f} s", highlight=False)
    if not quiet:
        wrote(out)


def _rates(rates, title: str) -> Table:
    table = Table(title=title)
    for column in ("player", "on", "sector", "rate %", "base %"):
        table.add_column(column, justify="right" if "%" in column else "left")
    for row in rates.itertuples(index=False):
        table.add_row(
            row.player,
            row.target,
            row.sector,
            f"{100 * row.rate:.2f}",
            f"{100 * row.base_rate:.2f}",
        )
    return table


def _base_note(world: str, zero_deficits: bool = False) -> str:
    """What a game's welfare changes are measured against: the world's base tariffs
    (with its deficits closed first under ``--deficits zero``)."""
    try:
        tariffs = api.load_world(world).tariffs
    except TruceError:
        tariffs = None
    what = f"tariffs {tariffs}" if tariffs else "its base tariffs"
    if zero_deficits:
        what += " and every trade deficit closed"
    return (
        f"changes against world {world} with {what}; where the game's rates lie below "
        "the base rates (base %), a war can raise welfare against this base"
    )


def _welfare(welfare, players, gains, world: str, zero_deficits: bool) -> Table:
    table = Table(
        title="players' welfare at the Nash tariffs",
        caption=_base_note(world, zero_deficits),
        caption_justify="left",
    )
    for column in ("player", "welfare %", "gain from deviating"):
        table.add_column(column, justify="left" if column == "player" else "right")
    by_region = welfare.set_index("region")["welfare_pct"]
    for p in players:
        gain = "not checked" if gains[p] != gains[p] else f"{gains[p]:.1e}"
        table.add_row(p, pct(by_region[p]), gain)
    return table
