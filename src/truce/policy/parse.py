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

import os
from collections.abc import Mapping
from typing import Any, NoReturn

from truce.errors import ScenarioError
from truce.policy._checks import Invalid, check_text, describe
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

TOP_KEYS: tuple[str, ...] = ("name", "description", "world", "options", "measures")
"""The keys a scenario file may have at its top level."""


def read_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and parse the scenario file at ``path`` (UTF-8 YAML)."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeError) as exc:
        raise ScenarioError(f"cannot read the file: {exc}", path=name) from None
    return parse_scenario(text, path=name)


def parse_scenario(text: str, path: str | None = None) -> Scenario:
    """Parse and validate the YAML text of a scenario.

    ``path`` only labels error messages and the result; nothing is read from it.
    Raises :class:`ScenarioError`, and nothing else, for any invalid text.
    """
    doc = check_top_mapping(
        _load_yaml(text, path),
        text,
        path,
        keys=TOP_KEYS,
        noun="scenario",
        owner="scenario",
        fail=_fail,
    )
    name = _text(doc, "name", path, optional=False)
    description = _text(doc, "description", path, optional=True)
    world = _text(doc, "world", path, optional=True)
    options = _options(doc, path)
    measures = _measures(doc, path)
    try:
        return Scenario(
            name=name or "",
            description=description or "",
            world=world,
            options=options,
            measures=measures,
            path=path,
            text=text,
        )
    except ScenarioError as exc:  # pragma: no cover - every field was checked above
        _fail(path, exc.line, exc.key, exc.reason)


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
