"""Use-cases: tariff wars and trade talks on a world (``truce war``, ``truce talks``).

A war's answer is the Nash tariffs of the players (:func:`truce.games.nash`); talks add
the efficient frontier between two players and the Nash bargain with the war as the
threat point (:func:`truce.games.bargain`).  Each answer is also a scenario file (the
tariffs found, ``mode: set``), so that it runs, reports and compares like any scenario.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from truce._types import DEFAULT_MAX_STEPS, DEFAULT_PLAYERS, MAX_TARIFF
from truce.api._cache import LruCache
from truce.api.defaults import MODEL_NAME
from truce.api.models import calibration
from truce.data.calibrate import world_to_baseline
from truce.data.elasticities import with_source
from truce.data.world import World, content_hash, load_world
from truce.errors import InputError
from truce.games import METHODS, Economy, NashOutcome, TariffPlan, bargain, model_economy
from truce.games import frontier as efficient_frontier
from truce.games import nash as nash_tariffs
from truce.games.play import BARGAIN_HALVINGS
from truce.model.registry import get_model, model_names
from truce.policy.groups import is_service
from truce.policy.names import did_you_mean, resolve


@dataclass(frozen=True)
class Game:
    """A world under a model, and who sets which tariffs."""

    world: World
    model: str
    economy: Economy
    plan: TariffPlan
    zero_deficits: bool = False
    """Played from the base with every deficit closed (welfare measured against it)."""
    elasticities: str | None = None
    """The source of the trade elasticities, where not the world's own."""
    traded: tuple[str, ...] = ()
    """The sectors traded between regions (services included)."""


def game(
    world: World | str | Path,
    players: Sequence[str] = DEFAULT_PLAYERS,
    *,
    model: str | None = None,
    uniform: bool = False,
    by_partner: bool = False,
    everyone: bool = False,
    sectors: Sequence[str] | None = None,
    max_tariff: float = MAX_TARIFF,
    deficits: str = "fixed",
    elasticities: str | None = None,
) -> Game:
    """Set up a tariff game: ``players`` tax each other in every goods sector (or in
    ``sectors``, codes or names), with one rate per sector, one per target and sector
    (``by_partner``) or one ``uniform`` rate, each between 0 and ``max_tariff``.  With
    ``everyone`` every region plays and taxes every other; a single player taxes every
    other region, and its "war" is its optimal tariffs against a world that does not
    answer.  With ``deficits="zero"`` the game is played from the base with every trade
    deficit closed, and welfare is measured against that base (as a run's
    ``deficits: zero``).  ``elasticities`` names a source of the world's elasticities
    table to play with (default: the world's own).  Raises :class:`InputError` for
    unknown players, sectors, models or sources, a highest tariff outside (0, 10], or
    zero deficits in a model that keeps its transfers."""
    if deficits not in ("fixed", "zero"):
        raise InputError(f"deficits are fixed or zero, not {deficits!r}")
    if not isinstance(world, World):
        world = load_world(world)
    if elasticities is not None:
        world = with_source(world, elasticities)
    chosen = None if sectors is None else tuple(sectors)
    # The world's own model choice is not in its content hash, but picks the game's model.
    key = (
        content_hash(world),
        model or world.model,
        tuple(players),
        (uniform, by_partner, everyone, chosen, float(max_tariff), deficits, elasticities),
    )
    made, _ = _GAMES.get_or_make(
        key,
        lambda: _game(
            elasticities,
            world,
            players,
            model,
            uniform,
            by_partner,
            everyone,
            chosen,
            float(max_tariff),
            deficits == "zero",
        ),
    )
    return made


#: Games kept (with their compiled searches) for later calls on the same world.
GAME_CACHE = 4
_GAMES: LruCache[Game] = LruCache(GAME_CACHE)


def _game(
    elasticities: str | None,
    world: World,
    players: Sequence[str],
    model_name: str | None,
    uniform: bool,
    by_partner: bool,
    everyone: bool,
    sectors: tuple[str, ...] | None,
    max_tariff: float,
    zero_deficits: bool,
) -> Game:
    if not 0.0 < max_tariff <= 10.0:
        raise InputError(
            f"the highest tariff must be above 0 and at most 10 (1,000%), not {max_tariff:g}"
        )
    name = model_name or world.model or MODEL_NAME
    try:
        model = get_model(name)
    except KeyError:
        raise InputError(
            f"unknown model {name!r}: the models are {', '.join(model_names())}"
        ) from None
    regions = tuple(world.regions["region"])
    players = regions if everyone else tuple(players)
    unknown = [p for p in players if p not in regions]
    if unknown:
        raise InputError(
            f"players not in the world {world.name}: {', '.join(unknown)} "
            f"(its regions: {', '.join(regions)})"
        )
    if len(set(players)) != len(players) or not players:
        raise InputError("the players must be distinct region codes, at least one")
    baseline = world_to_baseline(world)
    calibrated, _ = calibration(model, world, baseline, model.rebates[0])
    if zero_deficits:
        if not model.closes_deficits:
            raise InputError(
                f"the {model.name} model keeps its transfers (deficits fixed); "
                "zero deficits are a caliendo-parro option"
            )
        balanced = model.prepare(calibrated, zero_deficits=True, max_steps=DEFAULT_MAX_STEPS)
        calibrated = model.calibrate(balanced.base, rebate=model.rebates[0])
    economy = model_economy(model, calibrated)
    foreign = ~np.eye(len(regions), dtype=bool)
    traded = (np.asarray(baseline.flow_sni) * foreign).sum(axis=(1, 2)) > 0
    # A one-sector world's sector is all its traded goods, whatever its code.
    one_sector = len(baseline.sectors) == 1
    goods = tuple(
        s
        for s, t in zip(baseline.sectors, traded, strict=True)
        if t and (one_sector or not is_service(s, t))
    )
    if sectors is not None:
        goods = _choice_sectors(world, baseline.sectors, traded, sectors)
    if not goods:
        raise InputError(f"the world {world.name} has no goods sector for tariffs to be set on")
    if uniform and by_partner:
        raise InputError("choose a uniform rate or rates by partner, not both")
    plan = TariffPlan.war(
        regions,
        economy.sectors,
        players,
        goods,
        uniform=uniform,
        by_partner=by_partner,
        everyone=everyone,
        max_tariff=max_tariff,
    )
    every = tuple(c for c, t in zip(baseline.sectors, traded, strict=True) if t)
    return Game(world, model.name, economy, plan, zero_deficits, elasticities, every)


def _choice_sectors(
    world: World, codes: Sequence[str], traded: np.ndarray, asked: Sequence[str]
) -> tuple[str, ...]:
    """The sector codes ``asked`` names (codes or names, any case; ``all`` for every
    traded sector, services included), in the world's order; an InputError for one the
    world lacks or that nobody trades."""
    names = [str(n) for n in world.sectors.set_index("sector").loc[list(codes), "name"]]
    picked = set()
    if any(text.strip().lower() == "all" for text in asked):
        return tuple(c for c, t in zip(codes, traded, strict=True) if t)
    for text in asked:
        code = resolve(text, codes, names)
        if code is None:
            raise InputError(
                f"no sector {text!r} in the world {world.name}{did_you_mean(text, codes, names)}"
            )
        if not traded[list(codes).index(code)]:
            raise InputError(f"sector {code} is not traded between regions: no tariff to set")
        picked.add(code)
    if not picked:
        raise InputError("name at least one sector for the players to set tariffs in")
    return tuple(c for c in codes if c in picked)


@dataclass(frozen=True)
class WarResult:
    """The Nash tariffs of a war and what they do."""

    world: str
    model: str
    players: tuple[str, ...]
    rates: pd.DataFrame
    """One row per player and sector: ``player``, ``sector``, ``rate``, ``base_rate``."""
    welfare: pd.DataFrame
    """One row per region: ``region``, ``welfare_pct`` at the Nash tariffs."""
    deviation_gains: dict[str, float]
    rounds: int
    evaluations: int
    seconds: float
    scenario: str = field(repr=False)
    """The Nash tariffs as a scenario file."""
    zero_deficits: bool = False
    """Played from the base with every deficit closed, and measured against it."""
    method: str = "first-order"
    """How the tariffs were found (:data:`truce.games.METHODS`)."""

    @property
    def verified(self) -> bool:
        """Whether each player's best deviation was searched (its gain is known)."""
        return not any(np.isnan(x) for x in self.deviation_gains.values())

    def to_dict(self) -> dict:
        """The JSON document of ``--json`` (deviation gains null when not checked)."""
        return {
            "world": self.world,
            "model": self.model,
            "method": self.method,
            "deficits": "zero" if self.zero_deficits else "fixed",
            "players": list(self.players),
            "tariffs": self.rates.to_dict(orient="records"),
            "welfare": {p: float(w) for p, w in self._player_welfare().items()},
            "regions": self.welfare.to_dict(orient="records"),
            "deviation_gains": {
                p: (None if np.isnan(x) else x) for p, x in self.deviation_gains.items()
            },
            "solver": {
                "rounds": self.rounds,
                "evaluations": self.evaluations,
                "seconds": self.seconds,
            },
        }

    def _player_welfare(self) -> dict[str, float]:
        by_region = self.welfare.set_index("region")["welfare_pct"]
        return {p: float(by_region[p]) for p in self.players}


def _rates_table(g: Game, rates: np.ndarray) -> pd.DataFrame:
    """One row per player and parameter: ``player``, ``target`` (the regions its rate
    falls on, named: ``CHN``, or ``all 13 others``), ``sector`` (``all``: one rate for
    every sector), ``rate``, and ``base_rate`` (the mean base rate of its cells)."""
    base = g.plan.rates_of(g.economy.base_tariffs)

    def on(p: int, target: str) -> str:
        if target != "*":
            return target
        targets = g.plan.targets[p]
        return ", ".join(targets) if len(targets) <= 3 else f"all {len(targets)} others"

    rows = [
        {
            "player": player,
            "target": on(p, target),
            "sector": "all" if sector == "*" else sector,
            "rate": float(rates[p, k]),
            "base_rate": float(base[p, k]),
        }
        for p, player in enumerate(g.plan.players)
        for k, (target, sector) in enumerate(g.plan.labels(p))
    ]
    return pd.DataFrame(rows, columns=["player", "target", "sector", "rate", "base_rate"])


def war(
    world: World | str | Path,
    players: Sequence[str] = DEFAULT_PLAYERS,
    *,
    model: str | None = None,
    uniform: bool = False,
    by_partner: bool = False,
    everyone: bool = False,
    start: float | None = None,
    progress: Callable[[int, float], None] | None = None,
    sectors: Sequence[str] | None = None,
    max_tariff: float = MAX_TARIFF,
    deficits: str = "fixed",
    method: str = "first-order",
    verify: bool = True,
    elasticities: str | None = None,
    checking: Callable[[int, int], None] | None = None,
) -> WarResult:
    """The Nash tariffs of ``players`` (others passive, or ``everyone`` playing), from
    the base tariffs or from a uniform ``start`` rate, set in ``sectors`` (default:
    every traded goods sector) up to ``max_tariff``, with ``deficits`` fixed or closed
    first and the trade elasticities of ``elasticities`` (see :func:`game`), found by
    ``method`` (:func:`truce.games.nash`: ``first-order``, ``best-responses`` or
    ``sufficient-statistics``, the formula of Lashkaripour 2021 for uniform tariffs on
    every other region) and, with ``verify``, checked by searching each player's best
    deviation.  ``progress(step, size)`` follows each step of the search and
    ``checking(done, players)`` each player's check, as in :func:`truce.games.nash`.
    Raises :class:`InputError` for a method the game does not admit and
    :class:`~truce.errors.NonConvergenceError` when no equilibrium is found."""
    began = time.perf_counter()
    g = game(
        world,
        players,
        model=model,
        uniform=uniform,
        by_partner=by_partner,
        everyone=everyone,
        sectors=sectors,
        max_tariff=max_tariff,
        deficits=deficits,
        elasticities=elasticities,
    )
    initial = None
    if start is not None:
        initial = np.full((len(g.plan.players), g.plan.size()), float(start))
    outcome = _nash(g, initial, progress, method, verify, checking)
    return _war_result(g, outcome, time.perf_counter() - began)


def _nash(
    g: Game,
    start: np.ndarray | None,
    progress: Callable[[int, float], None] | None,
    method: str,
    verify: bool,
    checking: Callable[[int, int], None] | None = None,
) -> NashOutcome:
    if method not in METHODS:
        raise InputError(f"the method is one of {', '.join(METHODS)}, not {method!r}")
    if method == "sufficient-statistics" and set(g.plan.choice_sectors) != set(g.traded):
        raise InputError(
            "the sufficient-statistics formula is a tariff on every import, services "
            "included: play with every traded sector (sectors all)"
        )
    try:
        return nash_tariffs(
            g.economy, g.plan, start=start, progress=progress, method=method, verify=verify,
            checking=checking,
        )  # fmt: skip
    except ValueError as error:  # a game the formula does not describe
        raise InputError(str(error)) from None


def _war_result(g: Game, outcome: NashOutcome, seconds: float) -> WarResult:
    welfare = pd.DataFrame({"region": list(g.plan.regions), "welfare_pct": outcome.welfare})
    name = "war-" + "-".join(p.lower() for p in g.plan.players)
    if len(g.plan.players) > 4:
        name = "war-all"
    return WarResult(
        world=g.world.name,
        model=g.model,
        players=g.plan.players,
        rates=_rates_table(g, outcome.rates),
        welfare=welfare,
        deviation_gains={
            p: float(x) for p, x in zip(g.plan.players, outcome.deviation_gains, strict=True)
        },
        rounds=outcome.rounds,
        evaluations=outcome.evaluations,
        seconds=seconds,
        zero_deficits=g.zero_deficits,
        method=outcome.method,
        scenario=scenario_text(
            g,
            outcome.rates,
            name=name,
            description=(
                f"Nash tariffs of a tariff war between {', '.join(g.plan.players)} on the "
                f"world {g.world.name} (model {g.model}), found by truce war: no player "
                "gains by changing its tariffs alone."
            ),
        ),
    )


@dataclass(frozen=True)
class TalksResult:
    """Trade talks between two players: the war, the frontier and the bargain."""

    war: WarResult
    frontier: pd.DataFrame
    """One row per weight: ``share`` (of the first player), each player's welfare."""
    rates: pd.DataFrame
    """The bargain's tariffs (as :attr:`WarResult.rates`)."""
    welfare: pd.DataFrame
    """Every region's welfare at the bargain."""
    seconds: float
    scenario: str = field(repr=False)

    def to_dict(self) -> dict:
        by_region = self.welfare.set_index("region")["welfare_pct"]
        return {
            "world": self.war.world,
            "model": self.war.model,
            "players": list(self.war.players),
            "tariffs": self.rates.to_dict(orient="records"),
            "welfare": {p: float(by_region[p]) for p in self.war.players},
            "threat": self.war._player_welfare(),
            "war": self.war.to_dict(),
            "frontier": self.frontier.to_dict(orient="records"),
            "regions": self.welfare.to_dict(orient="records"),
            "solver": {"seconds": self.seconds},
        }


def talks(
    world: World | str | Path,
    players: Sequence[str] = DEFAULT_PLAYERS,
    *,
    model: str | None = None,
    uniform: bool = False,
    points: int = 5,
    sectors: Sequence[str] | None = None,
    max_tariff: float = MAX_TARIFF,
    deficits: str = "fixed",
    verify: bool = True,
    elasticities: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> TalksResult:
    """The war between two players (the threat point), ``points`` points of the
    efficient frontier between them, and their Nash bargain (tariffs in ``sectors``, up
    to ``max_tariff``, ``deficits`` fixed or closed first, the elasticities of
    ``elasticities``, the war ``verify``-ed, as in :func:`war`).  ``progress(done,
    total, stage)`` follows the work in units: the war (one), each halving of the
    bargaining weight's interval, each frontier point."""
    began = time.perf_counter()
    g = game(
        world,
        players,
        model=model,
        uniform=uniform,
        sectors=sectors,
        max_tariff=max_tariff,
        deficits=deficits,
        elasticities=elasticities,
    )
    if len(g.plan.players) != 2:
        raise InputError("trade talks are between exactly two players")
    shares = np.linspace(0.0, 1.0, points) if points > 1 else np.array([0.5])
    total = 1 + BARGAIN_HALVINGS + len(shares)

    def report(stage: str, before: int) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        return lambda done, _: progress(before + done, total, stage)

    if progress is not None:
        progress(0, total, "the war (threat point)")
    outcome = _nash(g, None, None, "first-order", verify)
    war_result = _war_result(g, outcome, time.perf_counter() - began)
    rates, welfare = bargain(g.economy, g.plan, outcome.welfare, progress=report("the bargain", 1))
    a, b = (g.plan.regions.index(p) for p in g.plan.players)
    drawn = efficient_frontier(
        g.economy, g.plan, shares, progress=report("the frontier", 1 + BARGAIN_HALVINGS)
    )
    rows = [
        {"share": share, g.plan.players[0]: float(w[a]), g.plan.players[1]: float(w[b])}
        for share, _, w in drawn
    ]
    return TalksResult(
        war=war_result,
        frontier=pd.DataFrame(rows),
        rates=_rates_table(g, rates),
        welfare=pd.DataFrame({"region": list(g.plan.regions), "welfare_pct": welfare}),
        seconds=time.perf_counter() - began,
        scenario=scenario_text(
            g,
            rates,
            name="talks-" + "-".join(p.lower() for p in g.plan.players),
            description=(
                f"The Nash bargain between {' and '.join(g.plan.players)} on the world "
                f"{g.world.name} (model {g.model}), with their tariff war as the threat "
                "point, found by truce talks."
            ),
        ),
    )


def scenario_text(g: Game, rates: np.ndarray, *, name: str, description: str) -> str:
    """The tariffs ``rates`` (``[player, parameter]``) as a scenario file."""
    lines = [
        f"# {description}",
        "# Rates at full precision; every other tariff stays at the world's.",
        f"name: {name}",
        f"description: {json.dumps(description)}",
        f"world: {json.dumps(g.world.name)}",
        "options:",
        f"  model: {g.model}",
        *(["  deficits: zero"] if g.zero_deficits else []),
        *([f"  elasticities: {g.elasticities}"] if g.elasticities else []),
        "measures:",
    ]

    def listed(codes: Sequence[str]) -> str:
        return codes[0] if len(codes) == 1 else "[" + ", ".join(codes) + "]"

    for p, (player, targets) in enumerate(zip(g.plan.players, g.plan.targets, strict=True)):
        for k, (target, sector) in enumerate(g.plan.labels(p)):
            lines += [
                "  - kind: tariff",
                f"    by: {player}",
                f"    on: {listed(targets if target == '*' else [target])}",
                f"    sectors: {listed(g.plan.choice_sectors if sector == '*' else [sector])}",
                f"    rate: {float(rates[p, k])!r}",
                "    mode: set",
            ]
    return "\n".join(lines) + "\n"
