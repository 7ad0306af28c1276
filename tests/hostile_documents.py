"""Scenario documents as a hostile user writes them: hypothesis strategies shared by
the property tests (tests/test_fuzz_inputs.py, a few thousand documents) and the
benchmark that runs ten thousand and more (benchmarks/fuzz_inputs.py).

A document is drawn as data (every top-level key and every measure key, each with
values that are right, nearly right or absurd: markup, control characters, NaN, huge
numbers, impossible dates, unknown codes, paths that climb out), written as YAML, and
then perhaps damaged as text (a line dropped, doubled or cut, a stray character, bytes
that are not UTF-8).
"""

from __future__ import annotations

import datetime

import yaml
from hypothesis import strategies as st

KINDS = (
    "tariff",
    "trade_cost",
    "export_tax",
    "export_cap",
    "import_floor",
    "capacity",
    "port_fee",
    "quota",
    "",
)

_AWKWARD_TEXT = (
    "[/bold]",
    "[red]x[/red]",
    ":100:",
    "\x00",
    "\u202e",
    "é",
    "😀",
    "a" * 300,
    " ",
    "${HOME}",
    "../../../etc/passwd",
    "<script>alert(1)</script>",
)

regions = st.sampled_from(
    (
        "USA",
        "CHN",
        "EU27",
        "JPN",
        "ROW",
        "usa",
        "United States",
        "*",
        "ZZZ",
        "",
        "goods",
        *_AWKWARD_TEXT,
    )
)
sectors = st.sampled_from(
    (
        "C26",
        "C24A",
        "goods",
        "services",
        "*",
        "A01",
        "Computer, electronic and optical",
        "C99",
        "",
        "c26",
        *_AWKWARD_TEXT,
    )
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-2.0, max_value=12.0),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from((0, 1, 60, 1e-300, 1e300, "0.1", "ten", True, None, [], {})),
)
dates = st.one_of(
    st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)),
    st.dates(min_value=datetime.date(2017, 1, 1), max_value=datetime.date(2027, 12, 31)),
    st.sampled_from(("2025-02-30", "2025-13-01", "tomorrow", "", 20250101)),
)
texts = st.one_of(st.text(max_size=40), st.sampled_from(_AWKWARD_TEXT))


def _codes(values: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(values, st.lists(values, max_size=4), numbers)


def _mostly(
    good: st.SearchStrategy[object], bad: st.SearchStrategy[object]
) -> st.SearchStrategy[object]:
    """``good`` three times in four, ``bad`` otherwise."""
    return st.integers(0, 3).flatmap(lambda k: bad if k == 3 else good)


#: The keys each kind takes, with values that are right for it.
_GOOD = {
    "tariff": {"rate": st.floats(0.0, 1.5), "mode": st.sampled_from(("add", "set"))},
    "trade_cost": {"factor": st.floats(0.8, 1.5)},
    "export_tax": {"rate": st.floats(0.0, 1.0)},
    "export_cap": {"share": st.floats(0.0, 1.0)},
    "import_floor": {"value": st.floats(1.0, 5e4)},
    "capacity": {"share": st.floats(0.5, 1.5)},
    "port_fee": {
        "fee_per_net_ton": st.floats(0.0, 150.0),
        "net_tons_per_million": st.floats(1.0, 50.0),
        "affected_share": st.floats(0.0, 1.0),
    },
}
_GOOD_REGIONS = st.sampled_from(("USA", "CHN", "EU27", "JPN", "MEX", "CAN", "*"))
_GOOD_SECTORS = st.sampled_from(("C26", "C24A", "A01", "C20", "goods", "*"))


_MEASURE_KEYS = {
    "by": _codes(regions),
    "on": _codes(regions),
    "sectors": _codes(sectors),
    "product": st.sampled_from(("rare_earths", "soybeans", "chips", "", "[/x]")),
    "rate": numbers,
    "factor": numbers,
    "share": numbers,
    "value": numbers,
    "mode": st.sampled_from(("add", "set", "multiply", "")),
    "allow_large": st.one_of(st.booleans(), numbers),
    "start": dates,
    "end": dates,
    "fee_per_net_ton": numbers,
    "net_tons_per_million": numbers,
    "affected_share": numbers,
    "note": texts,
}


@st.composite
def measures(draw: st.DrawFn) -> object:
    """One measure: a right one three times in four (each value then wrong one time in
    ten), else a mapping of any kind with any keys, or not a mapping at all."""
    if draw(st.integers(0, 3)) != 3:
        kind = draw(st.sampled_from(sorted(_GOOD)))
        measure: dict[str, object] = {"kind": kind, "by": draw(_GOOD_REGIONS)}
        good = {
            "on": _GOOD_REGIONS,
            "sectors": st.one_of(_GOOD_SECTORS, st.lists(_GOOD_SECTORS, min_size=1, max_size=3)),
            "start": st.dates(datetime.date(2018, 1, 1), datetime.date(2026, 12, 31)),
            **_GOOD[kind],
        }
        for key in draw(st.lists(st.sampled_from(sorted(good)), max_size=4, unique=True)):
            measure[key] = draw(
                st.integers(0, 9).flatmap(
                    lambda k, key=key: _MEASURE_KEYS.get(key, numbers) if k == 9 else good[key]
                )
            )
        for key, values in _GOOD[kind].items():
            measure.setdefault(key, draw(values))
        return measure
    if draw(st.integers(0, 4)) == 4:
        return draw(st.one_of(numbers, texts, st.lists(texts, max_size=2)))
    measure = {"kind": draw(st.sampled_from(KINDS))}
    keys = draw(st.lists(st.sampled_from(sorted(_MEASURE_KEYS)), max_size=6, unique=True))
    if draw(st.booleans()):
        keys = ["by", *keys]
    for key in keys:
        measure[key] = draw(_MEASURE_KEYS[key])
    return measure


_OPTIONS = {
    "deficits": st.sampled_from(("fixed", "zero", "balanced", "")),
    "model": st.sampled_from(("caliendo-parro", "ilms2025", "gravity", "")),
    "rebate": st.sampled_from(("lump_sum", "income_tax", "none")),
    "critical_sigma": numbers,
    "elasticities": st.sampled_from(("cp", "all", "median", "u4", "nope")),
    "colour": texts,
}

_TOP = {
    "name": st.one_of(texts, numbers),
    "description": st.one_of(texts, numbers),
    "world": st.sampled_from(("default", "cp2015", "nowhere", "../../../etc", "", "[/b]")),
    "as_of": dates,
    "phases": st.one_of(
        st.dictionaries(st.one_of(dates, st.just("before")), texts, max_size=3), numbers
    ),
    "extends": st.sampled_from(("busan-deal", "trade-war-2019", "nope", "../x.yaml", "")),
    "remove": st.one_of(st.lists(st.integers(-2, 200), max_size=3), numbers),
    "options": st.one_of(st.fixed_dictionaries({}, optional=_OPTIONS), numbers),
    "measures": st.one_of(st.lists(measures(), max_size=5), numbers, texts),
    "colour": texts,
}


@st.composite
def documents(draw: st.DrawFn) -> dict[str, object]:
    """A scenario as data: a name and world usually, the other keys sometimes."""
    doc: dict[str, object] = {}
    if draw(st.integers(0, 19)) != 19:
        doc["name"] = draw(_mostly(st.just("fuzz"), _TOP["name"]))
    if draw(st.integers(0, 19)) != 19:
        doc["world"] = draw(_mostly(st.just("default"), _TOP["world"]))
    if draw(st.integers(0, 2)) == 2:
        others = draw(st.lists(st.sampled_from(sorted(_TOP)), max_size=3, unique=True))
        for key in others:
            doc[key] = draw(_TOP[key])
    if "measures" not in doc and draw(st.booleans()):
        doc["measures"] = draw(st.lists(measures(), min_size=1, max_size=4))
    return doc


def _as_yaml(doc: dict[str, object]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=80)


@st.composite
def scenario_bytes(draw: st.DrawFn) -> bytes:
    """A scenario file's bytes: a drawn document as YAML, perhaps damaged as text."""
    text = _as_yaml(draw(documents()))
    damage = draw(st.sampled_from(("none",) * 6 + ("drop", "double", "cut", "char")))
    lines = text.splitlines(keepends=True)
    if damage != "none" and lines:
        at = draw(st.integers(0, len(lines) - 1))
        if damage == "drop":
            del lines[at]
        elif damage == "double":
            lines.insert(at, lines[at])
        elif damage == "cut":
            lines = lines[:at]
        else:
            char = draw(st.sampled_from(("\t", ":", "-", "[", "{", "&a ", "*a", "!!python/none ")))
            spot = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:spot] + char + lines[at][spot:]
    data = "".join(lines).encode("utf-8")
    if draw(st.integers(0, 29)) == 29:
        spot = draw(st.integers(0, len(data)))
        data = data[:spot] + b"\xff\xfe" + data[spot:]
    return data
