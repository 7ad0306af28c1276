"""Read a scenario file: YAML text in, a validated :class:`Scenario` out.

The text is loaded with ruamel.yaml's round-trip loader, which builds only plain data
(mappings, lists, strings, numbers, dates: never arbitrary Python objects) and remembers
where every key and value stands.  Every problem, from a YAML syntax error to a negative
rate, raises :class:`truce.errors.ScenarioError` reading ``PATH:LINE: key KEY: what is
wrong`` with the 1-based line of the offending value; nothing else escapes
:func:`parse_scenario`, whatever the text.

Two readings that the contract leaves open: an explicit null (``measures:`` with nothing
after it) counts as an absent key for the optional top-level keys ``description``,
``world``, ``options`` and ``measures``, but is an error as the value of an option or of
a measure key (leave the key out to get its default).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from truce.errors import ScenarioError
from truce.policy._checks import Invalid, check_date, check_text, describe
from truce.policy._yaml import Doc, check_top_mapping
from truce.policy._yaml import item_line as _item_line
from truce.policy._yaml import key_line as _key_line
from truce.policy._yaml import key_name as _key_name
from truce.policy._yaml import load_yaml as _load_yaml
from truce.policy._yaml import start_line as _start_line
from truce.policy._yaml import value_line as _value_line
from truce.policy.spec import (
    MEASURE_KINDS,
    Measure,
    Options,
    Scenario,
    SourceLines,
    check_value,
    file_keys,
    required_keys,
)

_NO_VALUE = "has no value; leave the key out to get its default"

TOP_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "extends",
    "remove",
    "world",
    "as_of",
    "phases",
    "options",
    "measures",
)
"""The keys a scenario file may have at its top level."""

Resolve = Callable[[str, "str | None"], tuple[str, str]]
"""``resolve(reference, from_path) -> (text, path)``: the scenario that ``extends:
reference`` names in the file ``from_path``; raises :class:`ScenarioError` (its reason
becomes the message at the ``extends`` line) when there is none."""


#: The most measures one scenario file may list (the library's largest has 116).
MAX_MEASURES = 5_000
_TOO_MANY = (
    f"more than {MAX_MEASURES:,} measures: a scenario may have at most {MAX_MEASURES:,} "
    "(the measure here is the first beyond); group cells with lists of codes instead"
)

#: The largest scenario file truce reads (the whole library's largest is ~20 KB).
MAX_SCENARIO_BYTES = 4 << 20


def read_text(path: str) -> str:
    """The UTF-8 text of the scenario file ``path``: :class:`ScenarioError` if it is not
    a regular file of at most :data:`MAX_SCENARIO_BYTES`, cannot be read, or is not
    UTF-8 (at the line of the first bad byte)."""
    if os.path.isdir(path):
        raise ScenarioError("is a folder, not a scenario file", path=path)
    try:
        with open(path, "rb") as file:
            if not os.path.isfile(path):
                raise ScenarioError("is not a regular file", path=path)
            raw = file.read(MAX_SCENARIO_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror}", path=path) from None
    if len(raw) > MAX_SCENARIO_BYTES:
        raise ScenarioError(
            f"the file is larger than {MAX_SCENARIO_BYTES:,} bytes, the most truce reads "
            "as a scenario",
            path=path,
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded", path=path, line=line
        ) from None


def read_scenario(path: str | os.PathLike[str], *, resolve: Resolve | None = None) -> Scenario:
    """Read and parse the scenario file at ``path`` (UTF-8 YAML); ``resolve`` finds the
    files it extends (default: :func:`relative_file`)."""
    name = os.fspath(path)
    return parse_scenario(read_text(name), path=name, resolve=resolve)


def relative_file(reference: str, from_path: str | None) -> tuple[str, str]:
    """The scenario file ``reference`` names, relative to the folder of ``from_path``
    (a file's path; the working folder without one)."""
    folder = os.path.dirname(from_path) if from_path else ""
    target = reference if os.path.isabs(reference) else os.path.join(folder, reference)
    if not os.path.isfile(target):
        raise ScenarioError(f"no scenario file {target}")
    return read_text(target), target


def parse_scenario(
    text: str,
    path: str | None = None,
    *,
    resolve: Resolve | None = None,
    _chain: tuple[str, ...] = (),
) -> Scenario:
    """Parse and validate the YAML text of a scenario.

    ``path`` labels error messages and the result, and is where an ``extends``
    reference is looked for from (by ``resolve``, default :func:`relative_file`).  A
    scenario that extends another takes its base's measures first, then its own; its
    own ``description``, ``world``, ``as_of`` and each option it sets win over the
    base's.  Raises :class:`ScenarioError`, and nothing else, for any invalid text,
    naming the file and line of the problem (a base's problems name the base's file).
    """
    doc = check_top_mapping(
        _load_yaml(text, path, most={"measures": (MAX_MEASURES, _TOO_MANY)}),
        text,
        path,
        keys=TOP_KEYS,
        noun="scenario",
        owner="scenario",
        fail=_fail,
    )
    name = _text(doc, "name", path, optional=False)
    base = _base(doc, path, resolve, _chain)
    description = _text(doc, "description", path, optional=True)
    world = _text(doc, "world", path, optional=True)
    world_at = (path, _value_line(doc, "world")) if "world" in doc else None
    as_of, as_of_line = _as_of(doc, path)
    options = _options(doc, path)
    measures = _measures(doc, path)
    names = _phase_names(doc, path)
    if base is not None:
        description = base.description if description is None else description
        world = base.world if world is None else world
        world_at = base.world_at if world_at is None else world_at
        if as_of is None:
            as_of = base.as_of
        options = _merged_options(base, options)
        dropped = _removed(doc, path, base)
        inherited = tuple(
            dataclasses.replace(m, path=m.path or base.path)
            for m in base.measures
            if m.index not in dropped
        )
        measures = inherited + measures
        names = {**dict(base.phase_names), **names}
    if base is None and "remove" in doc:
        _fail(path, _key_line(doc, "remove"), "remove", "removes measures of a base: give extends")
    _check_phase_names(doc, path, names, measures)
    try:
        return Scenario(
            name=name or "",
            description=description or "",
            world=world,
            options=options,
            measures=measures,
            as_of=as_of,
            path=path,
            text=text,
            as_of_line=as_of_line,
            world_at=world_at,
            extends=base.name if base is not None else None,
            phase_names=tuple(names.items()),
        )
    except ScenarioError as exc:  # pragma: no cover - every field was checked above
        _fail(path, exc.line, exc.key, exc.reason)


def _base(
    doc: Doc, path: str | None, resolve: Resolve | None, chain: tuple[str, ...]
) -> Scenario | None:
    """The scenario ``extends`` names, parsed (``None`` without the key)."""
    if "extends" not in doc:
        return None
    line = _value_line(doc, "extends")
    reference = _text(doc, "extends", path, optional=False) or ""
    try:
        text, target = (resolve or relative_file)(reference, path)
    except ScenarioError as exc:
        _fail(path, line, "extends", exc.reason)
    here = _identity(path) if path is not None else "<text>"
    seen = (*chain, here)
    if _identity(target) in seen:
        cycle = " -> ".join((*seen, _identity(target)))
        _fail(path, line, "extends", f"{reference!r} leads back to this file: a cycle ({cycle})")
    return parse_scenario(text, target, resolve=resolve, _chain=seen)


def _removed(doc: Doc, path: str | None, base: Scenario) -> set[int]:
    """The base measures ``remove`` leaves out: indices into the base's measures."""
    raw = doc.get("remove")
    if raw is None:
        return set()
    line = _value_line(doc, "remove")
    if not isinstance(raw, list) or not raw:
        _fail(path, line, "remove", "must be a list of the base's measure numbers")
    out: set[int] = set()
    for k, value in enumerate(raw):
        where = _item_line(raw, k, line)
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(path, where, "remove", f"{describe(value)} is not a measure number")
        if not 0 <= value < len(base.measures):
            _fail(
                path,
                where,
                "remove",
                f"{base.name} has measures 0 to {len(base.measures) - 1}, not {value}",
            )
        if value in out:
            _fail(path, where, "remove", f"measure {value} is removed twice")
        out.add(value)
    return out


def _identity(path: str) -> str:
    """A file's identity for finding cycles (its real path when it exists)."""
    return os.path.realpath(path) if os.path.exists(path) else path


#: The ``phases`` key naming the phase before a scenario's first date.
BEFORE = "before"


def _phase_names(doc: Doc, path: str | None) -> dict[datetime.date | None, str]:
    """The ``phases`` mapping: a date (or ``before``) to the name of the phase it starts."""
    raw = doc.get("phases")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        _fail(path, _value_line(doc, "phases"), "phases", f"must be a mapping, not {describe(raw)}")
    names: dict[datetime.date | None, str] = {}
    for key, value in raw.items():
        line = _key_line(raw, key)
        day: datetime.date | None = None
        if key != BEFORE:
            try:
                day = check_date(key)
            except Invalid:
                _fail(
                    path,
                    line,
                    "phases",
                    f"{describe(key)} is neither a date (YYYY-MM-DD) nor {BEFORE!r}",
                )
        try:
            names[day] = check_text(value)
        except Invalid as exc:
            _fail(path, _value_line(raw, key), "phases", f"the name of {key}: {exc.reason}")
    return names


def _check_phase_names(
    doc: Doc,
    path: str | None,
    names: dict[datetime.date | None, str],
    measures: tuple[Measure, ...],
) -> None:
    """Each named date must start a phase: a date on which a measure starts or ends."""
    raw = doc.get("phases")
    if not isinstance(raw, Mapping):
        return
    changes = {d for m in measures for d in (m.start, m.end) if d is not None}
    for key in raw:
        day = None if key == BEFORE else check_date(key)
        if day is not None and day not in changes:
            _fail(
                path,
                _key_line(raw, key),
                "phases",
                f"{day} starts no phase: no measure starts or ends on it",
            )


def _merged_options(base: Scenario, own: Options) -> Options:
    """The base's options with the file's own on top; each keeps its line and file."""
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    paths: dict[str, str] = {}
    for key in file_keys(Options):
        if key in own.lines or getattr(own, key) != getattr(Options(), key):
            values[key] = getattr(own, key)
            if key in own.lines:
                lines[key] = own.lines[key]
        else:
            values[key] = getattr(base.options, key)
            line = base.options.line_of(key)
            if line is not None:
                lines[key] = line
            where = base.options.paths.get(key, base.path)
            if where is not None:
                paths[key] = where
    return Options(**values, lines=lines, paths=paths)


def _text(doc: Doc, key: str, path: str | None, *, optional: bool) -> str | None:
    if key not in doc or (optional and doc[key] is None):
        return None
    value = doc[key]
    if key == "description" and isinstance(value, str):
        return str(value)  # a description may be empty
    try:
        return check_text(value)
    except Invalid as exc:
        _fail(path, _value_line(doc, key), key, exc.reason)


def _as_of(doc: Doc, path: str | None) -> tuple[datetime.date | None, int | None]:
    """The ``as_of`` date and its line (``None`` without the key)."""
    if "as_of" not in doc:
        return None, None
    line = _value_line(doc, "as_of")
    if doc["as_of"] is None:
        _fail(path, line, "as_of", _NO_VALUE)
    try:
        return check_date(doc["as_of"]), line
    except Invalid as exc:
        _fail(path, line, "as_of", exc.reason)


def _options(doc: Doc, path: str | None) -> Options:
    raw = doc.get("options")
    if raw is None:
        return Options()
    if not isinstance(raw, Mapping):
        line = _value_line(doc, "options")
        _fail(path, line, "options", f"must be a mapping, not {describe(raw)}")
    keys = file_keys(Options)
    clean: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key in raw:
        if not isinstance(key, str) or key not in keys:
            _fail(
                path,
                _key_line(raw, key),
                _key_name(key),
                f"unknown option; the options are {', '.join(keys)}",
            )
        value = raw[key]
        line = _value_line(raw, key)
        if value is None:
            _fail(path, line, key, _NO_VALUE)
        try:
            clean[str(key)] = check_value(Options, key, value)
        except Invalid as exc:
            _fail(path, line, key, exc.reason)
        if line is not None:
            lines[str(key)] = line
    return Options(**clean, lines=lines)


def _measures(doc: Doc, path: str | None) -> tuple[Measure, ...]:
    raw = doc.get("measures")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        line = _value_line(doc, "measures")
        what = f"must be a list of measures, not {describe(raw)}"
        _fail(path, line, "measures", what)
    if len(raw) > MAX_MEASURES:  # where libyaml could not count them before loading
        line = _item_line(raw, MAX_MEASURES, _value_line(doc, "measures"))
        _fail(path, line, "measures", _TOO_MANY)
    measures: list[Measure] = []
    for index, item in enumerate(raw):
        item_line = _item_line(raw, index, _value_line(doc, "measures"))
        if not isinstance(item, Mapping):
            _fail(
                path,
                item_line,
                "measures",
                f"measure #{index} must be a mapping with a kind, not {describe(item)}",
            )
        measures.append(_measure(item, index, _start_line(item, item_line), path))
    return tuple(measures)


def _measure(raw: Doc, index: int, line: int, path: str | None) -> Measure:
    """One measure mapping: kind, unknown, empty and missing keys here; values in it."""
    kinds = ", ".join(MEASURE_KINDS)
    if "kind" not in raw:
        _fail(path, line, "kind", f"missing: every measure needs a kind ({kinds})")
    kind = raw["kind"]
    if not isinstance(kind, str) or kind not in MEASURE_KINDS:
        where = _value_line(raw, "kind", line)
        what = f"unknown kind {describe(kind)}; the kinds are {kinds}"
        _fail(path, where, "kind", what)
    cls = MEASURE_KINDS[kind]
    keys = file_keys(cls)
    for key in raw:
        if isinstance(key, str) and key == "kind":
            continue
        if not isinstance(key, str) or key not in keys:
            _fail(
                path,
                _key_line(raw, key, line),
                _key_name(key),
                f"unknown key for a {kind} measure; its keys are kind, " + ", ".join(keys),
            )
        if raw[key] is None:
            _fail(path, _value_line(raw, key, line), key, _NO_VALUE)
    for key in required_keys(cls):
        if key not in raw:
            _fail(path, line, key, f"missing: a {kind} measure needs {key}")
    values: dict[str, Any] = {str(key): raw[key] for key in raw if key in keys}
    source = SourceLines(
        values=tuple((key, _value_line(raw, key, line)) for key in values),
        items=tuple(
            (key, tuple(_item_line(value, i, line) for i in range(len(value))))
            for key, value in values.items()
            if isinstance(value, list)
        ),
    )
    try:
        return cls(**values, index=index, line=line, source=source)
    except ScenarioError as exc:
        _fail(path, exc.line, exc.key, exc.reason)


def _fail(path: str | None, line: int | None, key: str | None, reason: str) -> NoReturn:
    raise ScenarioError(reason, path=path, line=line, key=key)
