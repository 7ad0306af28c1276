"""Sweep specs: a grid or a list of scenarios, and the points they stand for.

A sweep spec is a YAML file of one of two forms.  A grid varies keys of a base
scenario's measures over every combination of their values::

    name: us-china-grid
    description: The US tariff on China against China's cap on rare earths.
    world: default                  # optional; the command line's --world wins
    scenario: rare-earth-controls   # the base: a built-in name or a path beside the spec
    grid:
      - measure: 2                  # 0-based index of a measure of the base (or a list)
        key: rate                   # a key of that measure's kind
        values: [0.0, 0.5, 1.0]     # or: from: 0.0, to: 1.5, steps: 4 (ends included)
      - measure: [12, 13]           # the same value set on several measures
        key: share
        values: [0, 0.5, 1]

An axis may instead vary a scenario option, ``- option: critical_sigma`` with its
``values`` (or ``from``/``to``/``steps``); its label is ``options.critical_sigma``.  A
spec may also name ``outputs: [USA C29, USA C26]``: region and sector pairs whose real
output change the summary shows beside welfare.

A list names each point's scenario: ``scenarios: [truce-collapse, busan-deal, my.yaml]``.

:func:`parse_sweep` reads the spec's text; the caller reads the scenarios it names (a
:class:`Ref` each) and hands their texts to :func:`sweep_points`, which checks every
swept value with the measure kind's own check, writes each grid point's scenario text
by a round-trip edit of the base's text (``measures[i][key] = value`` and a new
``name``, comments kept) and parses it.  Every problem raises
:class:`truce.errors.SweepError` reading ``PATH:LINE: key KEY: what is wrong`` with the
line in the spec, except a base scenario's own errors, which point into that scenario.
Nothing here reads files or solves.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import itertools
import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from truce.errors import ScenarioError, SweepError
from truce.policy._checks import Invalid, check_real, check_text, describe, is_boolean
from truce.policy._yaml import check_top_mapping
from truce.policy._yaml import item_line as _item_line
from truce.policy._yaml import key_line as _key_line
from truce.policy._yaml import key_name as _key_name
from truce.policy._yaml import load_yaml as _load_yaml
from truce.policy._yaml import start_line as _start_line
from truce.policy._yaml import value_line as _value_line
from truce.policy.parse import Resolve, parse_scenario
from truce.policy.spec import Options, Scenario, check_value, file_keys

TOP_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "world",
    "scenario",
    "grid",
    "scenarios",
    "outputs",
    "against",
)
"""The keys a sweep spec may have at its top level."""

AXIS_KEYS: tuple[str, ...] = ("measure", "key", "option", "values", "from", "to", "steps")
"""The keys of one grid axis."""

MAX_POINTS = 10_000
"""The most points one sweep may have."""

#: Significant digits kept of the values ``from``/``to``/``steps`` make, so that
#: 0.1 + 0.2 is written 0.3 in the points' scenario texts.
RANGE_DIGITS = 12

#: Hex digits of a point key and of a sweep id.
KEY_LENGTH = 16


@dataclass(frozen=True)
class Ref:
    """A scenario a spec names: a built-in scenario's name or a path (relative to the
    spec's folder), and the line where the spec names it."""

    name: str
    line: int | None = None


@dataclass(frozen=True)
class Axis:
    """One axis of a grid: ``key`` of the base's measures ``measures`` takes ``values``.

    ``lines`` holds the spec line of each value (for ``from``/``to``/``steps``, the line
    of ``from`` for the first value, of ``to`` for the last and of ``steps`` between).
    """

    measures: tuple[int, ...]
    key: str
    values: tuple[Any, ...]
    lines: tuple[int | None, ...] = ()
    measure_line: int | None = None
    key_line: int | None = None
    option: bool = False
    """True when ``key`` is a scenario option (``measures`` is then empty)."""

    @property
    def label(self) -> str:
        """``m2.rate``, ``m12+13.share`` for an axis over two measures, or
        ``options.critical_sigma`` for an option."""
        if self.option:
            return f"options.{self.key}"
        return "m" + "+".join(str(m) for m in self.measures) + "." + self.key


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep spec: a base scenario and a grid, or a list of scenarios."""

    name: str
    description: str = ""
    world: str | None = None
    scenario: Ref | None = None
    """The base scenario of a grid (``None`` for a list)."""
    axes: tuple[Axis, ...] = ()
    scenarios: tuple[Ref, ...] = ()
    """The scenarios of a list (empty for a grid)."""
    outputs: tuple[tuple[str, str], ...] = ()
    """(region, sector) pairs whose real output change summaries show."""
    against: Ref | None = None
    """The scenario every point is measured against (``None``: the world's base)."""
    path: str | None = None
    text: str | None = field(default=None, compare=False, repr=False)

    @property
    def kind(self) -> Literal["grid", "list"]:
        """``grid`` or ``list``."""
        return "grid" if self.scenario is not None else "list"

    @property
    def refs(self) -> tuple[Ref, ...]:
        """Every scenario the spec names, in order."""
        return (self.scenario,) if self.scenario is not None else self.scenarios

    @property
    def size(self) -> int:
        """The number of points."""
        if self.scenario is None:
            return len(self.scenarios)
        return math.prod(len(axis.values) for axis in self.axes)


@dataclass(frozen=True)
class ScenarioSource:
    """The text of a scenario a spec names, and the path that labels its errors."""

    text: str
    path: str | None = None


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: its scenario, text, label and key.

    ``label`` reads ``m2.rate=0.5,m12+13.share=1`` for a grid point (the scenario's
    name is ``BASE@LABEL``) and is the scenario's name for a list point; ``values`` maps
    each axis label to the point's value (``{"scenario": NAME}`` for a list).  ``key``
    is a hash of the label and the text: it names the point in the run store.
    """

    label: str
    values: Mapping[str, Any]
    scenario: Scenario
    text: str
    key: str


# --------------------------------------------------------------------------- parsing


def parse_sweep(text: str, path: str | None = None) -> SweepSpec:
    """Parse and check the YAML text of a sweep spec (``path`` only labels errors).

    Raises :class:`SweepError`, and nothing else, for any invalid text.  The scenarios
    the spec names are not read here: see :func:`sweep_points`.
    """
    try:
        doc = _load_yaml(text, path)
    except ScenarioError as exc:
        _fail(path, exc.line, exc.key, exc.reason)
    doc = check_top_mapping(
        doc, text, path, keys=TOP_KEYS, noun="sweep spec", owner="sweep", fail=_fail
    )
    name = _text(doc, "name", path)
    description = doc.get("description")
    if description is not None and not isinstance(description, str):
        line = _value_line(doc, "description")
        _fail(path, line, "description", f"must be a string, not {describe(description)}")
    world = _text(doc, "world", path) if doc.get("world") is not None else None
    outputs = _outputs(doc, path)
    against = (
        Ref(_text(doc, "against", path), _value_line(doc, "against"))
        if doc.get("against") is not None
        else None
    )
    has_grid, has_list = "grid" in doc, "scenarios" in doc
    if has_grid and has_list:
        what = "a sweep has either scenario and grid, or scenarios, not both"
        _fail(path, _key_line(doc, "scenarios"), "scenarios", what)
    if has_list:
        if "scenario" in doc:
            what = "scenario (a grid's base) goes with grid; a list names its scenarios only"
            _fail(path, _key_line(doc, "scenario"), "scenario", what)
        scenarios = _scenario_list(doc, path)
        return SweepSpec(
            name=name,
            description=str(description or ""),
            world=world,
            scenarios=scenarios,
            outputs=outputs,
            against=against,
            path=path,
            text=text,
        )
    if not has_grid:
        what = "missing: a sweep needs a grid (with its base scenario) or a list of scenarios"
        _fail(path, _start_line(doc, 1), "grid", what)
    if "scenario" not in doc:
        what = "missing: a grid needs the base scenario whose measures it varies"
        _fail(path, _key_line(doc, "grid"), "scenario", what)
    base = Ref(_text(doc, "scenario", path), _value_line(doc, "scenario"))
    axes = _grid(doc, path)
    spec = SweepSpec(
        name=name,
        description=str(description or ""),
        world=world,
        scenario=base,
        axes=axes,
        outputs=outputs,
        against=against,
        path=path,
        text=text,
    )
    if spec.size > MAX_POINTS:
        what = f"the grid has {spec.size} points; a sweep may have at most {MAX_POINTS}"
        _fail(path, _key_line(doc, "grid"), "grid", what)
    return spec


def _text(doc: Mapping[Any, Any], key: str, path: str | None) -> str:
    try:
        return check_text(doc[key])
    except Invalid as exc:
        _fail(path, _value_line(doc, key), key, exc.reason)


def _outputs(doc: Mapping[Any, Any], path: str | None) -> tuple[tuple[str, str], ...]:
    """The spec's ``outputs``: each entry ``REGION SECTOR`` (two codes)."""
    if "outputs" not in doc:
        return ()
    raw = doc["outputs"]
    line = _value_line(doc, "outputs")
    if not isinstance(raw, list) or not raw:
        what = "must be a non-empty list of 'REGION SECTOR' entries, such as 'USA C29'"
        _fail(path, line, "outputs", f"{what}, not {describe(raw)}")
    pairs = []
    for index, item in enumerate(raw):
        parts = item.split() if isinstance(item, str) else []
        if len(parts) != 2:
            what = f"entry #{index} must be 'REGION SECTOR' (two codes), not {describe(item)}"
            _fail(path, _item_line(raw, index, line), "outputs", what)
        pairs.append((parts[0], parts[1]))
    return tuple(pairs)


def _scenario_list(doc: Mapping[Any, Any], path: str | None) -> tuple[Ref, ...]:
    raw = doc["scenarios"]
    line = _value_line(doc, "scenarios")
    if not isinstance(raw, list) or not raw:
        what = "must be a non-empty list of scenarios (built-in names or paths)"
        _fail(path, line, "scenarios", f"{what}, not {describe(raw)}")
    refs = []
    for index, item in enumerate(raw):
        item_line = _item_line(raw, index, line)
        try:
            refs.append(Ref(check_text(item), item_line))
        except Invalid as exc:
            _fail(path, item_line, "scenarios", f"entry #{index} {exc.reason}")
    if len(refs) > MAX_POINTS:
        what = f"{len(refs)} scenarios; a sweep may have at most {MAX_POINTS}"
        _fail(path, line, "scenarios", what)
    return tuple(refs)


def _grid(doc: Mapping[Any, Any], path: str | None) -> tuple[Axis, ...]:
    raw = doc["grid"]
    line = _value_line(doc, "grid")
    if not isinstance(raw, list) or not raw:
        what = "must be a non-empty list of axes (measure, key, values)"
        _fail(path, line, "grid", f"{what}, not {describe(raw)}")
    axes: list[Axis] = []
    seen: dict[tuple[int, str], int] = {}
    for index, item in enumerate(raw):
        item_line = _item_line(raw, index, line)
        if not isinstance(item, Mapping):
            what = f"axis #{index} must be a mapping with measure, key and values"
            _fail(path, item_line, "grid", f"{what}, not {describe(item)}")
        axis = _axis(item, index, _start_line(item, item_line), path)
        for measure in axis.measures or (-1,):  # -1: the scenario's options
            earlier = seen.setdefault((measure, axis.key), index)
            if earlier != index:
                owner = f"measure {measure}" if measure >= 0 else "the options"
                what = f"axis #{earlier} already sweeps key {axis.key} of {owner}"
                _fail(path, axis.key_line, "key", what)
        axes.append(axis)
    return tuple(axes)


def _axis(raw: Mapping[Any, Any], index: int, line: int, path: str | None) -> Axis:
    """One axis mapping: which measures, which key, which values."""
    for key in raw:
        if not isinstance(key, str) or key not in AXIS_KEYS:
            _fail(
                path,
                _key_line(raw, key, line),
                _key_name(key),
                f"unknown key for a grid axis; its keys are {', '.join(AXIS_KEYS)}",
            )
    option = "option" in raw
    if option:
        for key in ("measure", "key"):
            if key in raw:
                what = "an axis varies either an option or a measure's key, not both"
                _fail(path, _key_line(raw, key, line), key, what)
        measures: tuple[int, ...] = ()
        measure_line = None
        key_line = _value_line(raw, "option", line)
        key = raw["option"]
        if not isinstance(key, str) or key not in file_keys(Options):
            what = f"must be a scenario option ({', '.join(file_keys(Options))})"
            _fail(path, key_line, "option", f"{what}, not {describe(key)}")
    else:
        for key in ("measure", "key"):
            if key not in raw:
                _fail(path, line, key, f"missing: grid axis #{index} needs {key}")
        measure_line = _value_line(raw, "measure", line)
        measures = _measure_indices(raw["measure"], measure_line, path)
        key_line = _value_line(raw, "key", line)
        key = raw["key"]
        if not isinstance(key, str) or not key.strip():
            what = f"must be the name of a measure key, not {describe(key)}"
            _fail(path, key_line, "key", what)
        if key == "kind":
            _fail(path, key_line, "key", "the kind of a measure cannot be swept")
    ranged = [k for k in ("from", "to", "steps") if k in raw]
    if "values" in raw and ranged:
        what = "give either values or from, to and steps, not both"
        _fail(path, _key_line(raw, ranged[0], line), ranged[0], what)
    if "values" in raw:
        values, lines = _listed_values(raw, line, path)
    elif ranged:
        values, lines = _range_values(raw, line, path)
    else:
        what = "missing: an axis needs values (a list) or from, to and steps"
        _fail(path, line, "values", what)
    seen: dict[str, int | None] = {}
    for value, value_line in zip(values, lines, strict=True):
        shown = show_value(value)
        if shown in seen:
            what = f"the value {shown} appears twice on this axis"
            _fail(path, value_line, "values", what)
        seen[shown] = value_line
    return Axis(
        measures=measures,
        key=str(key),
        values=tuple(values),
        lines=tuple(lines),
        measure_line=measure_line,
        key_line=key_line,
        option=option,
    )


def _measure_indices(raw: object, line: int, path: str | None) -> tuple[int, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        _fail(path, line, "measure", "must be a measure index or a non-empty list of them")
    indices: list[int] = []
    for item in items:
        if is_boolean(item) or not isinstance(item, int) or item < 0:
            what = f"must be a 0-based measure index (an integer >= 0), not {describe(item)}"
            _fail(path, line, "measure", what)
        if int(item) in indices:
            _fail(path, line, "measure", f"measure {int(item)} is listed twice")
        indices.append(int(item))
    return tuple(indices)


def _listed_values(
    raw: Mapping[Any, Any], line: int, path: str | None
) -> tuple[list[Any], list[int | None]]:
    values_line = _value_line(raw, "values", line)
    listed = raw["values"]
    if not isinstance(listed, list) or not listed:
        what = f"must be a non-empty list of values, not {describe(listed)}"
        _fail(path, values_line, "values", what)
    values, lines = [], []
    for i, item in enumerate(listed):
        item_line = _item_line(listed, i, values_line)
        try:
            values.append(_plain(item))
        except Invalid as exc:
            _fail(path, item_line, "values", exc.reason)
        lines.append(item_line)
    return values, lines


def _range_values(
    raw: Mapping[Any, Any], line: int, path: str | None
) -> tuple[list[Any], list[int | None]]:
    for key in ("from", "to", "steps"):
        if key not in raw:
            _fail(path, line, key, "missing: a range needs from, to and steps")
    ends: list[float] = []
    for key in ("from", "to"):
        try:
            ends.append(check_real(raw[key]))
        except Invalid as exc:
            _fail(path, _value_line(raw, key, line), key, exc.reason)
    steps = raw["steps"]
    steps_line = _value_line(raw, "steps", line)
    if is_boolean(steps) or not isinstance(steps, int) or steps < 2:
        what = (
            f"must be an integer >= 2 (the number of values, ends included), not {describe(steps)}"
        )
        _fail(path, steps_line, "steps", what)
    start, stop = ends
    count = int(steps)
    values = [
        float(f"{start + (stop - start) * k / (count - 1):.{RANGE_DIGITS}g}") for k in range(count)
    ]
    values[0], values[-1] = start, stop
    lines = [steps_line] * count
    lines[0], lines[-1] = _value_line(raw, "from", line), _value_line(raw, "to", line)
    return values, lines


def _plain(value: object) -> Any:
    """A swept value as plain Python: bool, int, float, str, date or a list of them."""
    if value is None:
        raise Invalid("a swept value cannot be null")
    if is_boolean(value):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value  # the measure's date check says what is wrong with it
    if isinstance(value, datetime.date):
        return datetime.date(value.year, value.month, value.day)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    raise Invalid(f"a swept value must be a scalar or a list, not {describe(value)}")


def show_value(value: object) -> str:
    """A swept value as a point's label shows it: ``0.5``, ``1``, ``USA+CHN``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "+".join(show_value(item) for item in value)
    return str(value)


# --------------------------------------------------------------------------- points


def sweep_points(
    spec: SweepSpec, sources: Mapping[str, ScenarioSource], resolve: Resolve | None = None
) -> tuple[SweepPoint, ...]:
    """The points of ``spec``, in order; ``sources`` holds the text of every scenario it
    names, by :attr:`Ref.name`; ``resolve`` finds what a scenario ``extends`` (see
    :func:`~truce.policy.parse.parse_scenario`).  A grid varies the measures of a
    scenario that extends no other (its measure indices are its file's).

    A grid's points run through the last axis fastest.  Raises :class:`SweepError` at
    the spec's line for a measure index the base lacks, a key its kind lacks, a value
    its check rejects, a point whose scenario is invalid, or two list entries with one
    name; a base scenario's own errors are :class:`ScenarioError` in that scenario.
    """
    if spec.scenario is None:
        return _list_points(spec, sources, resolve)
    source = sources[spec.scenario.name]
    base = parse_scenario(source.text, source.path, resolve=resolve)
    if base.extends is not None:
        _fail(
            spec.path,
            spec.scenario.line,
            "scenario",
            f"{base.name} extends {base.extends}: a grid varies the measures of a scenario "
            "file that extends no other (write the measures it varies into one file)",
        )
    _check_axes(spec, base)
    yaml = _round_trip()
    doc = yaml.load(source.text)
    prefix = source.path or base.name
    points = []
    for combination in itertools.product(*(axis.values for axis in spec.axes)):
        label = ",".join(
            f"{axis.label}={show_value(value)}"
            for axis, value in zip(spec.axes, combination, strict=True)
        )
        for axis, value in zip(spec.axes, combination, strict=True):
            if axis.option:
                if doc.get("options") is None:
                    doc["options"] = CommentedMap()
                doc["options"][axis.key] = _node(value)
            for measure in axis.measures:
                doc["measures"][measure][axis.key] = _node(value)
        doc["name"] = f"{base.name}@{label}"
        out = io.StringIO()
        yaml.dump(doc, out)
        text = out.getvalue()
        try:
            scenario = parse_scenario(text, f"{prefix}@{label}")
        except ScenarioError as exc:
            axis = spec.axes[0]
            _fail(spec.path, axis.key_line, axis.key, f"point {label}: {exc}")
        values = {axis.label: value for axis, value in zip(spec.axes, combination, strict=True)}
        points.append(SweepPoint(label, values, scenario, text, point_key(label, text)))
    return tuple(points)


def _check_axes(spec: SweepSpec, base: Scenario) -> None:
    """Each axis's measures exist in ``base``, have its key, and accept its values."""
    count = len(base.measures)
    for axis in spec.axes:
        if axis.option:
            for value, line in zip(axis.values, axis.lines, strict=True):
                try:
                    check_value(Options, axis.key, value)
                except Invalid as exc:
                    _fail(spec.path, line, "values", f"option {axis.key}: {exc.reason}")
        for index in axis.measures:
            if index >= count:
                has = f"measures 0 to {count - 1}" if count else "no measures"
                what = f"the base scenario {base.name} has {has}; there is no measure {index}"
                _fail(spec.path, axis.measure_line, "measure", what)
            measure = base.measures[index]
            keys = file_keys(type(measure))
            if axis.key not in keys:
                what = (
                    f"measure {index} is a {measure.kind} measure, which has no key "
                    f"{axis.key!r}; its keys are {', '.join(keys)}"
                )
                _fail(spec.path, axis.key_line, "key", what)
            for value, line in zip(axis.values, axis.lines, strict=True):
                try:
                    check_value(type(measure), axis.key, value)
                except Invalid as exc:
                    what = f"{exc.reason} (measure {index} is a {measure.kind} measure)"
                    _fail(spec.path, line, axis.key, what)


def _list_points(
    spec: SweepSpec, sources: Mapping[str, ScenarioSource], resolve: Resolve | None
) -> tuple[SweepPoint, ...]:
    points: list[SweepPoint] = []
    lines: dict[str, int | None] = {}
    for ref in spec.scenarios:
        source = sources[ref.name]
        scenario = parse_scenario(source.text, source.path, resolve=resolve)
        if scenario.name in lines:
            what = (
                f"two entries are the scenario {scenario.name!r} (the other at line "
                f"{lines[scenario.name]}): each point needs its own name"
            )
            _fail(spec.path, ref.line, "scenarios", what)
        lines[scenario.name] = ref.line
        label = scenario.name
        values = {"scenario": scenario.name}
        points.append(
            SweepPoint(label, values, scenario, source.text, point_key(label, source.text))
        )
    return tuple(points)


def _round_trip() -> YAML:
    """A round-trip YAML that writes a scenario back much as it was read."""
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 1 << 16  # never fold a long line
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _node(value: Any) -> Any:
    """A value as the YAML document holds it: lists in flow style (``[USA, CHN]``)."""
    if isinstance(value, list):
        seq = CommentedSeq(value)
        seq.fa.set_flow_style()
        return seq
    return value


def point_key(label: str, text: str) -> str:
    """The key of a point: a hash of its label and its scenario text."""
    digest = hashlib.sha256(f"{label}\x00{text}".encode()).hexdigest()
    return digest[:KEY_LENGTH]


def sweep_id(
    spec: SweepSpec,
    points: Sequence[SweepPoint],
    world_hash: str,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The id of a sweep: a hash of its name, its points (labels and scenario texts),
    the world's content hash and ``extra`` (other settings that change the results).

    Two runs of one spec on one world share an id, so a rerun finds the points the
    first one kept; any change to a point, the world or ``extra`` makes a new id.
    """
    document = {
        "name": spec.name,
        "world": world_hash,
        "points": [[p.label, p.text] for p in points],
        "extra": dict(extra or {}),
    }
    canonical = json.dumps(document, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:KEY_LENGTH]


def _fail(path: str | None, line: int | None, key: str | None, reason: str) -> NoReturn:
    raise SweepError(reason, path=path, line=line, key=key)
