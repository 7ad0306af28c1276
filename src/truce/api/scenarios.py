"""Use-cases: find, read and prepare scenarios (built-in or from a file or a text)."""

from __future__ import annotations

import weakref
from pathlib import Path

import pandas as pd

from truce.api.sources import cited_keys, resolve_sources
from truce.config import builtin_folder
from truce.data.catalogue import CATALOGUE, products_for
from truce.data.products import split_products
from truce.data.world import World, builtin_worlds, load_world
from truce.errors import ScenarioError, WorldError
from truce.policy.parse import parse_scenario, read_scenario, read_text, relative_file
from truce.policy.spec import Scenario


def _is_file_reference(reference: str) -> bool:
    """A reference names a file (not a built-in) when it ends in .yaml/.yml or has a
    folder in it."""
    return reference.endswith((".yaml", ".yml")) or "/" in reference or "\\" in reference


def resolve_extends(reference: str, from_path: str | None) -> tuple[str, str]:
    """What ``extends: reference`` names: a scenario file (relative to the extending
    file's folder) or a built-in scenario by name."""
    if _is_file_reference(reference):
        return relative_file(reference, from_path)
    return resolve_builtin(reference, from_path)


def resolve_builtin(reference: str, from_path: str | None) -> tuple[str, str]:
    """What ``extends: reference`` names when only built-in scenarios may be extended
    (a text from elsewhere, such as the web app's, must not read this machine's files)."""
    if _is_file_reference(reference):
        raise ScenarioError(
            f"{reference!r} names a file: here a scenario may extend only a built-in "
            "scenario, by name"
        )
    entry = builtin_folder("scenarios") / f"{reference}.yaml"
    if not entry.is_file():
        known = ", ".join(sorted(builtin_scenarios())) or "none"
        raise ScenarioError(
            f"unknown scenario {reference!r}: not a built-in scenario (built-in: {known}); "
            "a file is named by a path ending in .yaml"
        )
    return read_text(str(entry)), str(entry)


def builtin_scenarios() -> dict[str, str]:
    """Built-in scenario names and their one-line descriptions."""
    found: dict[str, str] = {}
    for entry in sorted(builtin_folder("scenarios").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            scenario = read_scenario(Path(str(entry)), resolve=resolve_extends)
            found[entry.name.removesuffix(".yaml")] = scenario.description
    return found


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        if not candidate.is_file():
            raise ScenarioError("no such scenario file", path=str(candidate))
        return read_scenario(candidate, resolve=resolve_extends)
    entry = builtin_folder("scenarios") / f"{name_or_path}.yaml"
    if not entry.is_file():
        known = ", ".join(sorted(builtin_scenarios())) or "none"
        raise ScenarioError(
            f"unknown scenario {str(name_or_path)!r}: not a file and not a built-in "
            f"scenario (built-in: {known})"
        )
    return read_scenario(Path(str(entry)), resolve=resolve_extends)


def scenario_world(scenario: Scenario, world: str | Path | None = None) -> World:
    """The world a run of ``scenario`` solves on: ``world`` (a built-in name or a folder),
    else the one the scenario names, whose failure to load is a
    :class:`~truce.errors.ScenarioError` at the scenario's ``world`` line."""
    name = world if world is not None else scenario.world
    if name is None:
        known = ", ".join(builtin_worlds()) or "none"
        raise ScenarioError(
            f"scenario {scenario.name!r} names no world: add a world: key or pass "
            f"--world NAME_OR_FOLDER (built-in worlds: {known})",
            path=scenario.path,
            line=1 if scenario.path is not None else None,
            key="world",
        )
    try:
        return load_world(name)
    except WorldError as error:
        if world is not None or scenario.world_at is None:
            raise
        path, line = scenario.world_at
        raise ScenarioError(str(error), path=path, line=line, key="world") from None


def scenario_sources(scenario: Scenario) -> pd.DataFrame:
    """The facts' sources that ``scenario`` cites in its file's comments and in those of
    the files it extends, resolved to titles and addresses (keys the facts lack are left
    out)."""
    texts = [scenario.text or ""]
    for path in dict.fromkeys(m.path for m in scenario.measures if m.path is not None):
        try:
            texts.append(read_text(path))
        except ScenarioError:
            continue  # a base file gone since the scenario was read cites nothing now
    return resolve_sources(cited_keys("\n".join(texts)), strict=False)


def scenario_from_text(text: str, path: str | None = None, *, files: bool = True) -> Scenario:
    """A scenario written as text (in a web form, say); ``path`` names it in error
    messages, which read as they do for a file of that name.  ``extends`` may name a
    built-in scenario, and with ``files`` a scenario file (relative to the working
    folder); a text from a client of the web app is read with ``files=False``, so that
    it reads no file of the machine."""
    return parse_scenario(text, path, resolve=resolve_extends if files else resolve_builtin)


#: Each world's product splits, kept while the world lives: a split world is built (and
#: checked, and its content hashed) once, however many scenarios run on it.
_SPLITS: weakref.WeakKeyDictionary[World, dict[tuple[tuple[str, str], ...], World]] = (
    weakref.WeakKeyDictionary()
)


def with_products(world: World, scenario: Scenario, *others: Scenario) -> World:
    """``world`` split into the catalogue's products that ``scenario``'s measures (and
    those of ``others``: runs to be compared must share one split world) name.

    Each named product's entries in :data:`truce.data.catalogue.CATALOGUE` whose parent
    sector the world has become sub-sectors ``SECTOR.PRODUCT`` (see
    :func:`truce.data.products.split_products`); a world without such measures comes
    back unchanged.  A name the catalogue lacks raises :class:`ScenarioError` at the
    line of the first measure naming it, key ``product``.
    """
    named = [(s, m) for s in (scenario, *others) for m in s.measures if m.product is not None]
    if not named:
        return world
    try:
        products = products_for(world, (m.product for _, m in named if m.product is not None))
    except KeyError as missing:
        name = missing.args[0]
        owner, measure = next((s, m) for s, m in named if m.product == name)
        raise ScenarioError(
            f"unknown product {name!r}: the product catalogue has {', '.join(CATALOGUE)}",
            path=measure.file_in(owner),
            line=measure.line_of("product"),
            key="product",
        ) from None
    key = tuple((product.sector, product.code) for product in products)
    splits = _SPLITS.setdefault(world, {})
    if key not in splits:
        splits[key] = split_products(world, products)
    return splits[key]
