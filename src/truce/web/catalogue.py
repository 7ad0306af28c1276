"""What the app offers: the built-in worlds and scenarios, loaded once and shared.

Worlds are loaded on first use and kept (they are few and read-only); a name that is
not a built-in world is never turned into a path.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from truce import api
from truce.errors import InputError


@dataclass(frozen=True)
class WorldEntry:
    """One built-in world at a glance."""

    name: str
    description: str
    year: int
    currency: str
    regions: int
    sectors: int
    model: str


@dataclass(frozen=True)
class ScenarioEntry:
    """One built-in scenario: its name, what it says about itself, and its text."""

    name: str
    description: str
    world: str | None
    measures: int
    text: str


@dataclass(frozen=True)
class StoredWorld:
    """What a report says about a world that is not built in (a run kept by the
    command line from a world folder): its name only."""

    name: str
    year: int = 0
    currency: str = "world currency"
    description: str = "Not a built-in world: the run was solved from a world folder."
    sources: Sequence[str] = ()


@dataclass
class Catalogue:
    """The built-in worlds the app offers and every built-in scenario."""

    world_names: tuple[str, ...]
    scenarios: dict[str, ScenarioEntry]
    _worlds: dict[str, api.World] = field(default_factory=dict)
    _entries: dict[str, WorldEntry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, worlds: Sequence[str] | None = None) -> Catalogue:
        """The built-in scenarios and the built-in worlds named (all when ``None``)."""
        builtin = api.builtin_worlds()
        chosen = tuple(builtin if worlds is None else worlds)
        unknown = [w for w in chosen if w not in builtin]
        if unknown:
            raise InputError(
                f"not built-in worlds: {', '.join(unknown)} (built-in: {', '.join(builtin)})"
            )
        scenarios = {}
        for name in api.builtin_scenarios():
            spec = api.load_scenario(name)
            scenarios[name] = ScenarioEntry(
                name=name,
                description=spec.description,
                world=spec.world,
                measures=len(spec.measures),
                text=spec.text or "",
            )
        return cls(world_names=chosen, scenarios=scenarios)

    def world(self, name: str) -> api.World:
        """The built-in world ``name`` (one the app offers), loaded once."""
        if name not in self.world_names:
            raise InputError(f"{name!r} is not one of the worlds offered here")
        with self._lock:
            if name not in self._worlds:
                self._worlds[name] = api.load_world(name)
            return self._worlds[name]

    def world_entry(self, name: str) -> WorldEntry:
        """Size and description of the offered world ``name``."""
        with self._lock:
            if name in self._entries:
                return self._entries[name]
        world = self.world(name)
        summary = api.world_summary(world)
        entry = WorldEntry(
            name=name,
            description=world.description,
            year=world.year,
            currency=world.currency,
            regions=summary.n_regions,
            sectors=summary.n_sectors,
            model=world.model or api.MODEL_NAME,
        )
        with self._lock:
            self._entries[name] = entry
        return entry

    def report_world(self, name: str) -> api.World | StoredWorld:
        """What a run report shows of world ``name``: the built-in world when it is one,
        else its name alone."""
        if name in api.builtin_worlds():
            with self._lock:
                if name not in self._worlds:
                    self._worlds[name] = api.load_world(name)
                return self._worlds[name]
        return StoredWorld(name)
