"""YAML text → plain data that remembers its lines, for scenario, sweep and framework files.

:func:`load_yaml` loads one document with ruamel.yaml's round-trip loader (plain data
only: mappings, lists, strings, numbers, dates) and turns every failure into the file
kind's error with its line (by default a :class:`~truce.errors.ScenarioError`); the
``*_line`` helpers find where a key, value or list item stands; and
:func:`check_top_mapping` checks a document's top level.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeAlias

import yaml as yaml_c
from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLFutureWarning, YAMLWarning
from ruamel.yaml.reader import ReaderError

from truce.errors import ScenarioError
from truce.policy._checks import describe

_DUPLICATE_KEY = re.compile(r'found duplicate key "(.*?)" with value')

Doc: TypeAlias = Mapping[Any, Any]
"""A YAML mapping as loaded (a ruamel ``CommentedMap`` that knows its lines)."""

#: ``fail(path, line, key, reason)``: raise the file kind's own error.
Fail: TypeAlias = Callable[[str | None, int | None, str | None, str], NoReturn]


def check_top_mapping(
    doc: Any,
    text: str,
    path: str | None,
    *,
    keys: tuple[str, ...],
    noun: str,
    owner: str,
    fail: Fail,
) -> Doc:
    """``doc`` if it is a mapping whose keys are all in ``keys`` and that has a name;
    otherwise ``fail`` at the offending line (``noun``: what the file is, "scenario";
    ``owner``: what needs the name)."""
    if doc is None:
        fail(path, 1, None, f"the {noun} is empty: expected a mapping with a name")
    if not isinstance(doc, Mapping):
        line = start_line(doc, first_content_line(text))
        fail(path, line, None, f"a {noun} must be a mapping, not {describe(doc)}")
    for key in doc:
        if not isinstance(key, str) or key not in keys:
            fail(
                path,
                key_line(doc, key),
                key_name(key),
                f"unknown key; a {noun} has {', '.join(keys)}",
            )
    if "name" not in doc:
        fail(path, start_line(doc, 1), "name", f"missing: a {owner} needs a name")
    return doc


class _Constructor(RoundTripConstructor):
    """The round-trip constructor, except that an impossible date stays text.

    ``start: 2025-02-30`` would otherwise fail inside the YAML library with no key;
    kept as the string ``"2025-02-30"``, it fails the date check with its key and line.
    """


def _construct_timestamp(constructor: RoundTripConstructor, node: Any) -> Any:
    try:
        return RoundTripConstructor.construct_yaml_timestamp(constructor, node)
    except (ValueError, OverflowError):
        return str(node.value)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

#: A lone surrogate: a string holding one cannot be written as UTF-8 (to a terminal,
#: a JSON file or a web page).
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Unwritable(Exception):
    """A text value that holds a lone surrogate, at ``line`` (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _BadScalar(Exception):
    """A value the YAML library cannot turn into a number, at ``line`` (1-based)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(line, reason)
        self.line = line
        self.reason = reason


def _construct_int(constructor: RoundTripConstructor, node: Any) -> Any:
    try:
        return RoundTripConstructor.construct_yaml_int(constructor, node)
    except ValueError:  # more digits than Python converts
        digits = len(str(node.value))
        raise _BadScalar(node.start_mark.line + 1, f"a number of {digits:,} digits") from None


_Constructor.add_constructor("tag:yaml.org,2002:int", _construct_int)

#: The deepest nesting of lists and mappings a document may have (a scenario needs 4).
MAX_DEPTH = 64


def _too_deep(text: str) -> int | None:
    """The first line where flow brackets nest deeper than :data:`MAX_DEPTH` (quoted
    text skipped), found before the YAML library recurses into them; None if none."""
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        quote = ""
        for char in line:
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "#":
                break
            elif char in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    return number
            elif char in "]}":
                depth = max(depth - 1, 0)
    return None


_ANCHOR_LINES = re.compile(r"line (\d+), column")

#: Most values (scalars, lists and mappings together) a document may hold.  They are
#: counted before the document is loaded, by libyaml's C parser, because the loader that
#: keeps lines takes about 50 µs a value: a file at the limit loads in a few seconds.
MAX_VALUES = 100_000


def _over_limits(
    text: str, most: Mapping[str, tuple[int, str]]
) -> tuple[int, str | None, str] | None:
    """Stream ``text``'s parse events and find the first value beyond a limit:
    :data:`MAX_VALUES` in all, or ``most[key] = (limit, reason)`` items in the list
    under top-level ``key``.  Returns (line, key, reason), or None.  Best effort: a
    document libyaml cannot parse is left to the loader, which says why."""
    if not yaml_c.__with_libyaml__:
        return None
    stack: list[str] = []  # "map" / "seq" per open container
    expecting_key = False  # in the top mapping, the next scalar is a key
    top_key: str | None = None
    watched: tuple[int, str, str] | None = None  # (limit, reason, key) of the open list
    items = values = 0
    try:
        for event in yaml_c.parse(text, Loader=yaml_c.CSafeLoader):
            starts = isinstance(
                event, (yaml_c.ScalarEvent, yaml_c.AliasEvent, yaml_c.CollectionStartEvent)
            )
            if not starts:
                if isinstance(event, yaml_c.CollectionEndEvent):
                    stack.pop()
                    if len(stack) == 1:
                        watched = None
                        expecting_key = True
                continue
            line = event.start_mark.line + 1
            values += 1
            if values > MAX_VALUES:
                return line, None, f"the file holds more than {MAX_VALUES:,} values"
            depth = len(stack)
            if depth == 1 and stack[0] == "map":
                if expecting_key:
                    top_key = event.value if isinstance(event, yaml_c.ScalarEvent) else None
                    expecting_key = False
                else:
                    expecting_key = True
                    if isinstance(event, yaml_c.SequenceStartEvent) and top_key in most:
                        limit, reason = most[top_key]
                        watched = (limit, reason, top_key)
                        items = 0
            elif depth == 2 and watched is not None and stack[1] == "seq":
                items += 1
                if items > watched[0]:
                    return line, watched[2], watched[1]
            if isinstance(event, yaml_c.CollectionStartEvent):
                stack.append("map" if isinstance(event, yaml_c.MappingStartEvent) else "seq")
                if len(stack) == 1:
                    expecting_key = True
    except yaml_c.YAMLError:
        return None
    return None


def _construct_str(constructor: RoundTripConstructor, node: Any) -> Any:
    value = RoundTripConstructor.construct_yaml_str(constructor, node)
    if isinstance(value, str) and _SURROGATE.search(value):
        raise _Unwritable(node.start_mark.line + 1)
    return value


_Constructor.add_constructor("tag:yaml.org,2002:str", _construct_str)


def load_yaml(
    text: str,
    path: str | None,
    fail: Fail | None = None,
    *,
    most: Mapping[str, tuple[int, str]] | None = None,
) -> Any:
    """Load one YAML document, turning every failure into ``fail(path, line, key,
    reason)`` (by default a :class:`ScenarioError`).

    Before loading, the document's values are counted (:data:`MAX_VALUES`), and so are
    the items of each top-level list named in ``most`` (``{key: (limit, reason)}``): a
    file beyond a limit fails at the first value beyond it, without being loaded."""
    _fail = _scenario_error if fail is None else fail
    deep = _too_deep(text)
    if deep is not None:
        _fail(path, deep, None, f"invalid YAML: nested deeper than {MAX_DEPTH} levels")
    over = _over_limits(text, most or {})
    if over is not None:
        _fail(path, *over)
    yaml = YAML(typ="rt", pure=True)
    yaml.Constructor = _Constructor
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", YAMLWarning)
            warnings.simplefilter("error", YAMLFutureWarning)
            return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = "; ".join(str(part) for part in (exc.context, exc.problem) if part)
        duplicate = _DUPLICATE_KEY.search(str(exc.problem or ""))
        key = duplicate.group(1) if duplicate is not None else None
        _fail(path, line, key, f"invalid YAML: {what or 'syntax error'}")
    except ReaderError as exc:
        position = exc.position if isinstance(exc.position, int) else 0
        line = text.count("\n", 0, position) + 1
        character = exc.character
        shown = f"U+{character:04X}" if isinstance(character, int) else repr(character)
        what = f"unacceptable character {shown}"
        _fail(path, line, None, f"invalid YAML: {what}")
    except _BadScalar as exc:
        _fail(path, exc.line, None, f"invalid YAML: {exc.reason} cannot be read")
    except _Unwritable as exc:
        _fail(
            path,
            exc.line,
            None,
            "a text value holds a lone surrogate (an escape from \\ud800 to \\udfff), "
            "which cannot be written as UTF-8: write the character itself (or "
            "\\U0001F600 for one beyond \\uffff)",
        )
    except RecursionError:
        _fail(path, None, None, "invalid YAML: nested too deeply")
    except Exception as exc:
        if type(exc).__name__ == "ReusedAnchorWarning":
            lines = [int(n) for n in _ANCHOR_LINES.findall(str(exc))]
            anchor = re.search(r"duplicate anchor '([^']*)'", str(exc))
            name = f" &{anchor.group(1)}" if anchor else ""
            first = f" (first at line {lines[0]})" if len(lines) > 1 else ""
            _fail(path, lines[-1] if lines else None, None, f"anchor{name} used twice{first}")
        line = mark_line(exc)
        _fail(path, line, None, f"invalid YAML: {type(exc).__name__}: {str(exc)[:200]}")


def mark_line(exc: BaseException) -> int | None:
    for name in ("problem_mark", "context_mark", "mark"):
        line = getattr(getattr(exc, name, None), "line", None)
        if isinstance(line, int):
            return line + 1
    return None


def _scenario_error(path: str | None, line: int | None, key: str | None, reason: str) -> NoReturn:
    raise ScenarioError(reason, path=path, line=line, key=key)


def key_name(key: object) -> str:
    return str(key) if isinstance(key, str) else describe(key)


def _lc(node: object) -> Any:
    return getattr(node, "lc", None)


def start_line(node: object, default: int) -> int:
    """The line where a mapping or list starts (``default`` for scalars)."""
    try:
        line = _lc(node).line
    except AttributeError:
        return default
    return line + 1 if isinstance(line, int) else default


def key_line(mapping: Doc, key: object, default: int | None = None) -> int:
    return pair_line(mapping, key, 0, default)


def value_line(mapping: Doc, key: object, default: int | None = None) -> int:
    # An empty (null) value has no position of its own: ruamel marks the next token,
    # often on a later line, so point at the key's line instead.
    slot = 0 if mapping.get(key) is None else 2
    return pair_line(mapping, key, slot, default)


def pair_line(mapping: Doc, key: object, slot: int, default: int | None) -> int:
    """Line of a key (slot 0) or its value (slot 2); a merged key has no own line."""
    fallback = start_line(mapping, 1) if default is None else default
    try:
        line = _lc(mapping).data[key][slot]
    except (AttributeError, KeyError, IndexError, TypeError):
        return fallback
    return line + 1 if isinstance(line, int) else fallback


def item_line(seq: object, index: int, default: int) -> int:
    try:
        line = _lc(seq).data[index][0]
    except (AttributeError, KeyError, IndexError, TypeError):
        return default
    return line + 1 if isinstance(line, int) else default


def first_content_line(text: str) -> int:
    """The first line holding something other than blanks, comments or directives."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "%")) and stripped != "---":
            return number
    return 1
