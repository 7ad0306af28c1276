"""Frameworks as documents: every item of a trade framework, with its status, dates and
sources, and for the items a trade model can price, the built-in scenarios and measures
that model them and their headline effects.

A framework document is a YAML file (built-in ones live in ``truce/builtin/frameworks``)::

    name: kuala-lumpur-2025
    title: The Kuala Lumpur / Busan framework
    description: ...
    sources: [S39, S41]             # source keys of the project's facts file
    items:
      - id: soybeans
        title: China to buy at least 25 Mt of US soybeans a year in 2026-2028
        area: purchases
        status: announced by the US only; ...
        dates:
          - {date: 2025-11-01, event: "White House fact sheet [S46]"}
        sources: [S46, S49]
        model:                      # the built-in scenarios and measures that model it
          - scenario: busan-deal
            measures: [8]           # 0-based measure indices in that scenario
            date: 2026-01-01        # optional: solve the scenario on this day
            note: the 25 Mt floor
      - id: tiktok
        ...
        not_modelled: an ownership matter, not a trade flow

Each item has either ``model`` (a non-empty list of links) or ``not_modelled`` (why no
trade model prices it).  :func:`load_framework` validates the whole document, the links
included (the scenario exists, each index names one of its measures, and the measure is
in force on the link's date); a bad document raises :class:`FrameworkError`, an
:class:`~truce.errors.InputError` whose message reads ``PATH:LINE: key KEY: what is
wrong``.  :func:`framework_effects` solves each linked scenario once, on demand, and
keeps nothing on disk; :func:`framework_contributions` adds, for each link, what its
measures contribute (the scenario solved without them).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from truce.api.running import run
from truce.api.scenarios import builtin_scenarios, load_scenario
from truce.config import builtin_folder
from truce.data.world import World, load_world
from truce.errors import InputError, LocatedInputError, ScenarioError
from truce.policy._yaml import item_line, key_line, load_yaml, start_line, value_line
from truce.policy.groups import is_service
from truce.policy.spec import (
    ExportCap,
    ExportTax,
    ImportFloor,
    Measure,
    PortFee,
    Scenario,
    Tariff,
    TradeCost,
)
from truce.report.result import Result

__all__ = [
    "FOCUS",
    "Contribution",
    "DatedEvent",
    "Framework",
    "FrameworkError",
    "FrameworkItem",
    "Headline",
    "ModelLink",
    "builtin_frameworks",
    "describe_measure",
    "framework_contributions",
    "framework_effects",
    "load_framework",
    "parse_framework",
]

#: The pair of regions whose welfare and bilateral goods trade the headlines report.
FOCUS: tuple[str, str] = ("USA", "CHN")

_TOP_KEYS = ("name", "title", "description", "sources", "items")
_ITEM_KEYS = (
    "id",
    "title",
    "area",
    "status",
    "dates",
    "sources",
    "model",
    "not_modelled",
    "in_2026",
)
#: What became of an item by the end of the facts (November 2026): its ``in_2026`` state.
STATES_2026: tuple[str, ...] = ("kept", "delivered", "lapsed", "unknown")
_LINK_KEYS = ("scenario", "measures", "date", "note")
_EVENT_KEYS = ("date", "event")
_SOURCE_KEY = re.compile(r"S[0-9]+[a-z]?")


class FrameworkError(LocatedInputError):
    """A framework document is missing or invalid (``PATH:LINE: key KEY: what``)."""


@dataclass(frozen=True)
class DatedEvent:
    """One dated step of an item (the event text carries its source keys)."""

    date: datetime.date
    event: str


@dataclass(frozen=True)
class ModelLink:
    """Measures of a built-in scenario that model an item, solved on ``date``
    (``None``: undated, every measure in force)."""

    scenario: str
    measures: tuple[int, ...]
    date: datetime.date | None = None
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    """What became of an item by the end of the facts: one of :data:`STATES_2026` and
    the facts that say so (with their source keys)."""

    state: str
    note: str


@dataclass(frozen=True)
class FrameworkItem:
    """One item of a framework."""

    id: str
    title: str
    area: str
    status: str
    dates: tuple[DatedEvent, ...]
    sources: tuple[str, ...]
    model: tuple[ModelLink, ...] = ()
    not_modelled: str | None = None
    in_2026: Outcome | None = None

    @property
    def modelled(self) -> bool:
        """Whether built-in scenarios model the item."""
        return bool(self.model)


@dataclass(frozen=True)
class Framework:
    """A framework document, validated."""

    name: str
    title: str
    description: str
    sources: tuple[str, ...]
    items: tuple[FrameworkItem, ...]
    path: str | None = None

    @property
    def runs(self) -> tuple[tuple[str, datetime.date | None], ...]:
        """The distinct (scenario, date) pairs the items link, in order of appearance."""
        seen: dict[tuple[str, datetime.date | None], None] = {}
        for item in self.items:
            for link in item.model:
                seen.setdefault((link.scenario, link.date), None)
        return tuple(seen)


@dataclass(frozen=True)
class Headline:
    """The headline effects of one linked scenario, against its world's baseline.

    ``welfare_pct`` holds the welfare change of the :data:`FOCUS` regions; the goods
    trade is the two focus regions' exports to each other summed over goods sectors
    (products included), at world prices, in the world's currency.
    """

    scenario: str
    date: datetime.date | None
    world: str
    welfare_pct: Mapping[str, float]
    trade_baseline: float
    trade_counterfactual: float
    converged: bool

    @property
    def trade_pct(self) -> float:
        """Percentage change of the focus pair's goods trade."""
        if self.trade_baseline == 0:
            return 0.0
        return 100.0 * (self.trade_counterfactual / self.trade_baseline - 1.0)


# --- loading --------------------------------------------------------------------------


def _folder() -> Any:
    return builtin_folder("frameworks")


def builtin_frameworks() -> dict[str, str]:
    """Built-in framework documents by name, with their titles."""
    found: dict[str, str] = {}
    for entry in sorted(_folder().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            found[entry.name.removesuffix(".yaml")] = load_framework(Path(str(entry))).title
    return found


def load_framework(name_or_path: str | Path) -> Framework:
    """A built-in framework document by name, or a framework file by path; validated."""
    candidate = Path(name_or_path)
    if candidate.suffix not in {".yaml", ".yml"} and not candidate.exists():
        entry = _folder() / f"{name_or_path}.yaml"
        if not entry.is_file():
            known = ", ".join(e.name.removesuffix(".yaml") for e in _builtin_entries())
            raise FrameworkError(
                f"unknown framework {str(name_or_path)!r}: not a file and not a built-in "
                f"framework (built-in: {known or 'none'})"
            )
        candidate = Path(str(entry))
    label = str(candidate)
    try:
        text = candidate.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise FrameworkError(f"cannot read the file: {exc}", path=label) from None
    return parse_framework(text, path=label)


def _builtin_entries() -> list[Any]:
    return sorted(
        (e for e in _folder().iterdir() if e.name.endswith(".yaml")), key=lambda e: e.name
    )


def parse_framework(text: str, path: str | None = None) -> Framework:
    """Parse and validate a framework document's YAML text (``path`` labels errors)."""
    doc = load_yaml(text, path, _framework_error)
    reader = _Reader(path)
    if not isinstance(doc, Mapping):
        reader.fail(1, None, "a framework must be a mapping with name, title and items")
    reader.keys(doc, _TOP_KEYS, "a framework")
    name = reader.text(doc, "name")
    title = reader.text(doc, "title")
    description = reader.text(doc, "description", optional=True) or ""
    sources = reader.sources(doc, "sources")
    raw_items = reader.required(doc, "items")
    if not isinstance(raw_items, list) or not raw_items:
        reader.fail(reader.value_line(doc, "items"), "items", "must be a non-empty list")
    items: list[FrameworkItem] = []
    seen: set[str] = set()
    scenarios: dict[str, Scenario] = {}
    for k, raw in enumerate(raw_items):
        where = f"items[{k}]"
        if not isinstance(raw, Mapping):
            reader.fail(
                item_line(raw_items, k, value_line(doc, "items")), where, "must be a mapping"
            )
        item = reader.item(raw, where, scenarios)
        if item.id in seen:
            reader.fail(reader.value_line(raw, "id"), f"{where}.id", f"duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    return Framework(name, title, description, sources, tuple(items), path)


class _Reader:
    """Validation helpers that know the document's path and report lines and keys."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.builtin: tuple[str, ...] | None = None  # built-in scenario names, read once

    def fail(self, line: int | None, key: str | None, reason: str) -> NoReturn:
        raise FrameworkError(reason, path=self.path, line=line, key=key)

    value_line = staticmethod(value_line)
    key_line = staticmethod(key_line)

    def keys(self, mapping: Mapping[Any, Any], allowed: Sequence[str], what: str) -> None:
        for key in mapping:
            if not isinstance(key, str) or key not in allowed:
                self.fail(
                    self.key_line(mapping, key),
                    str(key),
                    f"unknown key; {what} has {', '.join(allowed)}",
                )

    def required(self, mapping: Mapping[str, Any], key: str, prefix: str = "") -> Any:
        if key not in mapping or mapping[key] is None:
            self.fail(start_line(mapping, 1), prefix + key, "missing")
        return mapping[key]

    def text(
        self, mapping: Mapping[str, Any], key: str, prefix: str = "", *, optional: bool = False
    ) -> str | None:
        if optional and mapping.get(key) is None:
            return None
        value = self.required(mapping, key, prefix)
        if not isinstance(value, str) or not value.strip():
            self.fail(self.value_line(mapping, key), prefix + key, "must be a non-empty string")
        return " ".join(str(value).split())

    def sources(self, mapping: Mapping[str, Any], key: str, prefix: str = "") -> tuple[str, ...]:
        value = mapping.get(key, [])
        if value is None:
            value = []
        if not isinstance(value, list):
            self.fail(self.value_line(mapping, key), prefix + key, "must be a list of source keys")
        for k, entry in enumerate(value):
            if not isinstance(entry, str) or not _SOURCE_KEY.fullmatch(entry):
                self.fail(
                    item_line(value, k, self.value_line(mapping, key)),
                    prefix + key,
                    f"{entry!r} is not a source key such as S41 or S44a",
                )
        return tuple(str(v) for v in value)

    def date(self, mapping: Mapping[str, Any], key: str, prefix: str) -> datetime.date:
        value = mapping.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = datetime.date.fromisoformat(value)
        if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
            self.fail(self.value_line(mapping, key), prefix + key, "must be a date YYYY-MM-DD")
        return datetime.date(value.year, value.month, value.day)

    def item(
        self, raw: Mapping[str, Any], where: str, scenarios: dict[str, Scenario]
    ) -> FrameworkItem:
        self.keys(raw, _ITEM_KEYS, "an item")
        p = where + "."
        ident = self.text(raw, "id", p) or ""
        title = self.text(raw, "title", p) or ""
        area = self.text(raw, "area", p) or ""
        status = self.text(raw, "status", p) or ""
        dates = self.events(raw, p)
        sources = self.sources(raw, "sources", p)
        outcome = self.outcome(raw, p)
        has_model = raw.get("model") is not None
        has_reason = raw.get("not_modelled") is not None
        if has_model == has_reason:
            self.fail(
                start_line(raw, 1),
                p + "model",
                "an item has either model (the scenarios that price it) or not_modelled "
                "(why none does), not both and not neither",
            )
        if has_reason:
            reason = self.text(raw, "not_modelled", p)
            return FrameworkItem(ident, title, area, status, dates, sources, (), reason, outcome)
        links = raw["model"]
        if not isinstance(links, list) or not links:
            self.fail(self.value_line(raw, "model"), p + "model", "must be a non-empty list")
        model = tuple(
            self.link(
                link,
                f"{p}model[{j}]",
                item_line(links, j, self.value_line(raw, "model")),
                scenarios,
            )
            for j, link in enumerate(links)
        )
        return FrameworkItem(ident, title, area, status, dates, sources, model, None, outcome)

    def outcome(self, raw: Mapping[str, Any], p: str) -> Outcome | None:
        """The item's ``in_2026`` mapping: ``state`` (one of :data:`STATES_2026`) and
        ``note`` (the facts, with source keys)."""
        value = raw.get("in_2026")
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(self.value_line(raw, "in_2026"), p + "in_2026", "must be a mapping")
        self.keys(value, ("state", "note"), "in_2026")
        state = self.text(value, "state", p + "in_2026.") or ""
        if state not in STATES_2026:
            self.fail(
                self.value_line(value, "state"),
                p + "in_2026.state",
                f"{state!r} is not a state ({', '.join(STATES_2026)})",
            )
        note = self.text(value, "note", p + "in_2026.") or ""
        if not _SOURCE_KEY.search(note):
            self.fail(
                self.value_line(value, "note"),
                p + "in_2026.note",
                "must cite the facts it rests on ([S225])",
            )
        return Outcome(state, note)

    def events(self, raw: Mapping[str, Any], p: str) -> tuple[DatedEvent, ...]:
        value = raw.get("dates", [])
        if value is None:
            value = []
        if not isinstance(value, list):
            self.fail(self.value_line(raw, "dates"), p + "dates", "must be a list")
        events = []
        for k, entry in enumerate(value):
            key = f"{p}dates[{k}]"
            if not isinstance(entry, Mapping):
                self.fail(
                    item_line(value, k, self.value_line(raw, "dates")),
                    key,
                    "must be a mapping with date and event",
                )
            self.keys(entry, _EVENT_KEYS, "a dated event")
            events.append(
                DatedEvent(
                    self.date(entry, "date", key + "."), self.text(entry, "event", key + ".") or ""
                )
            )
        if [e.date for e in events] != sorted(e.date for e in events):
            self.fail(self.value_line(raw, "dates"), p + "dates", "must be in date order")
        return tuple(events)

    def link(
        self, raw: Any, key: str, line: int | None, scenarios: dict[str, Scenario]
    ) -> ModelLink:
        if not isinstance(raw, Mapping):
            self.fail(line, key, "must be a mapping with scenario and measures")
        self.keys(raw, _LINK_KEYS, "a model link")
        p = key + "."
        name = self.text(raw, "scenario", p) or ""
        if name not in scenarios:
            if self.builtin is None:
                self.builtin = tuple(builtin_scenarios())
            if name not in self.builtin:
                known = ", ".join(self.builtin)
                self.fail(
                    self.value_line(raw, "scenario"),
                    p + "scenario",
                    f"unknown built-in scenario {name!r} (built-in: {known})",
                )
            try:
                scenarios[name] = load_scenario(name)
            except ScenarioError as exc:
                self.fail(self.value_line(raw, "scenario"), p + "scenario", str(exc))
        scenario = scenarios[name]
        on = self.date(raw, "date", p) if raw.get("date") is not None else None
        indices = self.required(raw, "measures", p)
        if not isinstance(indices, list) or not indices:
            self.fail(self.value_line(raw, "measures"), p + "measures", "must be a non-empty list")
        count = len(scenario.measures)
        for j, index in enumerate(indices):
            where = item_line(indices, j, self.value_line(raw, "measures"))
            if isinstance(index, bool) or not isinstance(index, int):
                self.fail(where, p + "measures", f"{index!r} is not a measure index")
            if not 0 <= index < count:
                self.fail(
                    where,
                    p + "measures",
                    f"index {index} is out of range: {name} has {count} measures (0 to "
                    f"{count - 1})",
                )
            if not scenario.measures[index].in_force(on):
                self.fail(
                    where,
                    p + "measures",
                    f"measure #{index} of {name} is not in force on {on}",
                )
        note = self.text(raw, "note", p, optional=True) or ""
        return ModelLink(name, tuple(int(i) for i in indices), on, note)


def _framework_error(path: str | None, line: int | None, key: str | None, reason: str) -> NoReturn:
    raise FrameworkError(reason, path=path, line=line, key=key)


# --- effects --------------------------------------------------------------------------

Progress = Callable[[int, int, str], None]
"""``progress(done, total, label)``: ``done`` of ``total`` runs are finished and
``label`` names the one being solved next (the last one once ``done == total``)."""


def framework_effects(
    framework: Framework,
    *,
    world: str | None = None,
    progress: Progress | None = None,
) -> dict[tuple[str, datetime.date | None], Headline]:
    """Solve every (scenario, date) pair the framework links, once each, in memory.

    ``world`` overrides the scenarios' own worlds.  Raises like :func:`truce.run`
    (a scenario that does not converge raises :class:`~truce.errors.NonConvergenceError`).
    """
    runs = framework.runs
    worlds: dict[str, World] = {}
    out: dict[tuple[str, datetime.date | None], Headline] = {}
    for done, (name, on) in enumerate(runs):
        label = name + (f" on {on}" if on is not None else "")
        if progress is not None:
            progress(done, len(runs), label)
        scenario = load_scenario(name)
        world_name = world or scenario.world
        if world_name is None:
            raise InputError(f"scenario {name!r} names no world: pass a world")
        if world_name not in worlds:
            worlds[world_name] = load_world(world_name)
        result = run(worlds[world_name], scenario, date=on)
        out[(name, on)] = _headline(result, name, on)
    if progress is not None and runs:
        progress(len(runs), len(runs), "done")
    return out


@dataclass(frozen=True)
class Contribution:
    """What one link's measures add to their scenario: the scenario's results less
    those of the same scenario without the measures (on the same date).

    ``welfare_pp`` is the difference of the focus regions' welfare changes, in
    percentage points; ``trade_pct`` the percentage by which the measures change the
    focus pair's goods trade from its level without them.
    """

    item: str
    link: int
    scenario: str
    date: datetime.date | None
    welfare_pp: Mapping[str, float]
    trade_pct: float


def framework_contributions(
    framework: Framework,
    effects: Mapping[tuple[str, datetime.date | None], Headline],
    *,
    world: str | None = None,
    progress: Progress | None = None,
) -> dict[tuple[str, int], Contribution]:
    """Each link's own contribution, keyed by (item id, link position).

    ``effects`` are :func:`framework_effects`'s results (the scenarios with every
    measure); each link costs one more solve, without its measures.
    """
    links = [(item, k, link) for item in framework.items for k, link in enumerate(item.model)]
    worlds: dict[str, World] = {}
    out: dict[tuple[str, int], Contribution] = {}
    for done, (item, k, link) in enumerate(links):
        if progress is not None:
            progress(done, len(links), f"{link.scenario} without the measures of {item.id}")
        scenario = load_scenario(link.scenario)
        kept = tuple(m for m in scenario.measures if m.index not in link.measures)
        without = dataclasses.replace(scenario, measures=kept)
        world_name = world or scenario.world
        if world_name is None:
            raise InputError(f"scenario {link.scenario!r} names no world: pass a world")
        if world_name not in worlds:
            worlds[world_name] = load_world(world_name)
        base = _headline(run(worlds[world_name], without, date=link.date), link.scenario, link.date)
        full = effects[(link.scenario, link.date)]
        trade = (
            100.0 * (full.trade_counterfactual / base.trade_counterfactual - 1.0)
            if base.trade_counterfactual
            else 0.0
        )
        out[(item.id, k)] = Contribution(
            item=item.id,
            link=k,
            scenario=link.scenario,
            date=link.date,
            welfare_pp={
                r: full.welfare_pct[r] - base.welfare_pct[r]
                for r in full.welfare_pct
                if r in base.welfare_pct
            },
            trade_pct=trade,
        )
    if progress is not None and links:
        progress(len(links), len(links), "done")
    return out


def _headline(result: Result, name: str, on: datetime.date | None) -> Headline:
    regions = result.regions.set_index("region")
    welfare = {r: float(regions.loc[r, "welfare_pct"]) for r in FOCUS if r in regions.index}
    trade = result.trade
    a, b = FOCUS
    pair = ((trade["exporter"] == a) & (trade["importer"] == b)) | (
        (trade["exporter"] == b) & (trade["importer"] == a)
    )
    goods = ~trade["sector"].map(lambda code: is_service(code, True))
    kept = trade[pair & goods]
    return Headline(
        scenario=name,
        date=on,
        world=result.world,
        welfare_pct=welfare,
        trade_baseline=float(kept["baseline"].sum()),
        trade_counterfactual=float(kept["counterfactual"].sum()),
        converged=result.solver.converged,
    )


# --- describing measures ----------------------------------------------------------------


def describe_measure(measure: Measure) -> str:
    """One line on what a measure does, for documents and reports."""
    sectors = _codes(measure.sectors)
    if measure.product is not None:
        sectors += f" ({measure.product})"
    by, on = _codes(measure.by), _codes(measure.on)
    if isinstance(measure, Tariff):
        verb = "adds" if measure.mode == "add" else "sets"
        what = f"tariff: {by} {verb} {_pct(measure.rate)} on {sectors} from {on}"
    elif isinstance(measure, ExportTax):
        what = f"export tax: {by} {_pct(measure.rate)} on {sectors} to {on}"
    elif isinstance(measure, ExportCap):
        if measure.share == 0:
            what = f"export ban: {by} on {sectors} to {on}"
        else:
            what = (
                f"export cap: {by} ships at most {_pct(measure.share)} of the baseline "
                f"{sectors} to {on}"
            )
    elif isinstance(measure, ImportFloor):
        what = f"purchase floor: {by} buys at least {measure.value:,.0f} of {sectors} from {on}"
    elif isinstance(measure, PortFee):
        what = (
            f"port fee: {by} charges vessels from {on} US$ {measure.fee_per_net_ton:g}/net ton "
            f"(trade cost {_pct(measure.cost_factor - 1)})"
        )
    elif isinstance(measure, TradeCost):
        what = f"trade cost: {by} on {sectors} from {on}, factor {measure.factor:g}"
    else:  # pragma: no cover - every registered kind is listed above
        what = measure.kind
    return f"#{measure.index} {what}{_span(measure)}"


def _codes(selection: object) -> str:
    if selection == "*":
        return "all"
    if isinstance(selection, tuple):
        return ",".join(selection) if len(selection) <= 4 else f"{len(selection)} sectors"
    return str(selection)


def _pct(value: float) -> str:
    return f"{100 * value:.3g}%"


def _span(measure: Measure) -> str:
    if measure.start is not None and measure.end is not None:
        return f", {measure.start} to {measure.end}"
    if measure.start is not None:
        return f", from {measure.start}"
    if measure.end is not None:
        return f", until {measure.end}"
    return ""
