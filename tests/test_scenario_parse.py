"""Parsing and validating scenario files (CONTRACTS §2).

Expected line numbers are never typed in: the offending line of each document carries a
``# <-`` marker and the test reads the marker's line, so every expected line is the
1-based number of the marked line.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

import truce  # noqa: F401  (enables float64)
from truce.errors import ScenarioError
from truce.policy import (
    MEASURE_KINDS,
    ExportCap,
    ExportTax,
    ImportFloor,
    Options,
    PortFee,
    Scenario,
    Tariff,
    TradeCost,
    parse_scenario,
    read_scenario,
)

PATH = "s.yaml"

CONTRACT_EXAMPLE = """\
name: truce-collapse
description: The May 2025 truce lapses and the April 2025 rates return.
world: default                    # optional: a built-in world name or a folder path
options:
  deficits: fixed                 # fixed (default)
measures:
  - kind: tariff                  # import tariff
    by: USA                       # importer(s) imposing it
    on: CHN                       # exporter(s) it targets
    sectors: "*"                  # a sector code, a list, or "*"
    rate: 1.25                    # ad-valorem rate, 1.25 = 125%
    mode: add                     # add (default)
    start: 2025-04-10             # optional ISO dates; in force on start <= date < end
    end: 2025-05-14
  - kind: trade_cost              # iceberg trade-cost change
    by: USA
    on: CHN
    sectors: "*"
    factor: 1.02                  # 1.02 = costs 2% higher
"""


def marked(text: str) -> tuple[str, int]:
    """Dedent ``text`` and return it with the 1-based line of its ``# <-`` marker."""
    text = textwrap.dedent(text)
    lines = [k for k, line in enumerate(text.splitlines(), start=1) if "# <-" in line]
    assert len(lines) == 1, "a test document needs exactly one marker"
    return text, lines[0]


# --- valid scenarios ------------------------------------------------------------------


def test_contract_example_parses() -> None:
    scenario = parse_scenario(CONTRACT_EXAMPLE, PATH)
    assert scenario.name == "truce-collapse"
    assert scenario.world == "default"
    assert scenario.options == Options(deficits="fixed")
    assert scenario.path == PATH
    assert scenario.text == CONTRACT_EXAMPLE
    tariff, cost = scenario.measures
    assert tariff == Tariff(
        by=("USA",),
        on=("CHN",),
        sectors="*",
        rate=1.25,
        mode="add",
        start=datetime.date(2025, 4, 10),
        end=datetime.date(2025, 5, 14),
        index=0,
        line=7,  # "- kind: tariff" is line 7 of CONTRACT_EXAMPLE
    )
    assert isinstance(cost, TradeCost)
    # "- kind: trade_cost" is line 15 of CONTRACT_EXAMPLE.
    assert (cost.index, cost.line, cost.factor) == (1, 15, 1.02)
    # Parsed values are plain Python types, not ruamel's scalar subclasses.
    assert type(tariff.rate) is float
    assert all(type(code) is str for code in tariff.by)


def test_measure_lines_point_at_values() -> None:
    text, line = marked(
        """\
        name: x
        measures:
          - kind: tariff
            by: USA
            on:
              - CHN
              - MEX   # <-
            rate: 0.1
        """
    )
    (tariff,) = parse_scenario(text, PATH).measures
    # "- kind: tariff" is line 3 (hand count); the MEX element is the marked line.
    assert tariff.line == 3
    assert tariff.line_of("on", 1) == line
    assert tariff.line_of("rate") == line + 1  # rate follows the marked line


@pytest.mark.parametrize(
    "text",
    ["name: x\n", "name: x\nmeasures: []\n", "name: x\nmeasures:\n", "name: x\noptions:\n"],
)
def test_no_measures_is_valid(text: str) -> None:
    scenario = parse_scenario(text, PATH)
    assert scenario.measures == ()
    assert scenario.options == Options()  # default: deficits fixed
    assert scenario.options.deficits == "fixed"


def test_defaults_and_normalisation() -> None:
    text = textwrap.dedent(
        """\
        name: x
        options: {deficits: zero}
        measures:
          - {kind: tariff, by: USA, rate: 0}
          - {kind: tariff, by: [USA, CAN, USA], on: ["CHN"], sectors: A01, rate: 2, mode: set,
             start: "2025-01-01", end: 2026-01-01}
        """
    )
    scenario = parse_scenario(text, PATH)
    assert scenario.options.deficits == "zero"
    first, second = scenario.measures
    assert (first.on, first.sectors, first.start, first.end) == ("*", "*", None, None)
    assert isinstance(first, Tariff) and first.mode == "add"
    assert isinstance(second, Tariff)
    assert second.by == ("USA", "CAN")  # order kept, repeat dropped
    assert second.sectors == ("A01",)
    assert second.start == datetime.date(2025, 1, 1)  # a quoted ISO string is a date too
    assert second.end == datetime.date(2026, 1, 1)
    assert second.rate == 2.0 and type(second.rate) is float


def test_python_built_specs_are_validated_and_numbered() -> None:
    tariff = Tariff(by="USA", on=["CHN"], rate=0.5, start="2025-04-10")
    assert tariff.by == ("USA",) and tariff.on == ("CHN",)
    assert tariff.start == datetime.date(2025, 4, 10)
    scenario = Scenario("py", measures=[tariff, TradeCost(by="USA", factor=1.1)])
    assert [m.index for m in scenario.measures] == [0, 1]
    with pytest.raises(ScenarioError, match="^key rate: "):
        Tariff(by="USA", rate=-0.1)
    with pytest.raises(ScenarioError, match="^key end: "):
        TradeCost(by="USA", factor=1.0, start="2025-01-02", end="2025-01-01")
    with pytest.raises(ScenarioError, match="^key name: "):
        Scenario("")
    with pytest.raises(TypeError):
        dataclasses.replace(tariff, no_such_field=1)  # type: ignore[call-arg]


def test_kinds_table() -> None:
    assert MEASURE_KINDS["tariff"] is Tariff
    assert MEASURE_KINDS["trade_cost"] is TradeCost
    assert MEASURE_KINDS["export_tax"] is ExportTax
    assert MEASURE_KINDS["export_cap"] is ExportCap
    assert MEASURE_KINDS["import_floor"] is ImportFloor
    assert MEASURE_KINDS["port_fee"] is PortFee


def test_read_scenario(tmp_path) -> None:
    file = tmp_path / "collapse.yaml"
    file.write_text(CONTRACT_EXAMPLE, encoding="utf-8")
    scenario = read_scenario(file)
    assert scenario.path == str(file)
    assert scenario == parse_scenario(CONTRACT_EXAMPLE)  # path and text do not compare
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ScenarioError, match="^" + str(missing) + ": cannot read"):
        read_scenario(missing)


# --- errors: PATH:LINE: key KEY: ... ----------------------------------------------------

# Prefixes of the documents below: lines 1-4 (1-5 for RATED) are valid.
TARIFF = "name: x\nmeasures:\n  - kind: tariff\n    by: USA\n"
RATED = TARIFF + "    rate: 1\n"
COST = "name: x\nmeasures:\n  - kind: trade_cost\n    by: USA\n"
CAP = "name: x\nmeasures:\n  - kind: export_cap\n    by: CHN\n"
FLOOR = "name: x\nmeasures:\n  - kind: import_floor\n    by: CHN\n"
FEE = "name: x\nmeasures:\n  - kind: port_fee\n    by: USA\n"

ERRORS = {
    # name: (document with the offending line marked, key)
    "unknown top-level key": ("name: x\nmodel: cp   # <-\n", "model"),
    "name missing": ("# the mapping starts below\ndescription: d  # <-\n", "name"),
    "name not a string": ("name: [a, b]  # <-\n", "name"),
    "name empty": ("name: ''  # <-\n", "name"),
    "description not a string": ("name: x\ndescription: 3  # <-\n", "description"),
    "world not a string": ("name: x\nworld: {a: 1}  # <-\n", "world"),
    "options not a mapping": ("name: x\noptions: [zero]  # <-\n", "options"),
    "unknown option": ("name: x\noptions:\n  deficit: zero  # <-\n", "deficit"),
    "unknown option value": ("name: x\noptions:\n  deficits: float  # <-\n", "deficits"),
    "option without value": ("name: x\noptions:\n  deficits:  # <-\n", "deficits"),
    "measures not a list": ("name: x\nmeasures: {kind: tariff}  # <-\n", "measures"),
    "measure not a mapping": ("name: x\nmeasures:\n  - tariff  # <-\n", "measures"),
    "kind missing": ("name: x\nmeasures:\n  - by: USA  # <-\n    rate: 1\n", "kind"),
    "unknown kind": ("name: x\nmeasures:\n  - kind: quota  # <-\n", "kind"),
    "kind not a string": ("name: x\nmeasures:\n  - kind: [tariff]  # <-\n", "kind"),
    "unknown measure key": (RATED + "    sector: A01  # <-\n", "sector"),
    "rate missing": ("name: x\nmeasures:\n  - kind: tariff  # <-\n    by: USA\n", "rate"),
    "factor missing": ("name: x\nmeasures:\n  - kind: trade_cost  # <-\n    by: A\n", "factor"),
    "by missing": ("name: x\nmeasures:\n  - kind: tariff  # <-\n    rate: 0.1\n", "by"),
    "measure key without value": (RATED + "    on:  # <-\n", "on"),
    "rate is a boolean": (TARIFF + "    rate: true  # <-\n", "rate"),
    "rate is a string": (TARIFF + "    rate: '0.1'  # <-\n", "rate"),
    "rate is a list": (TARIFF + "    rate: [1]  # <-\n", "rate"),
    "rate is nan": (TARIFF + "    rate: .nan  # <-\n", "rate"),
    "rate is infinite": (TARIFF + "    rate: .inf  # <-\n", "rate"),
    "rate is negative": (TARIFF + "    rate: -0.01  # <-\n", "rate"),
    "factor is zero": (COST + "    factor: 0  # <-\n", "factor"),
    "factor is negative": (COST + "    factor: -1.5  # <-\n", "factor"),
    "factor is a string": (COST + "    factor: high  # <-\n", "factor"),
    "mode unknown": (RATED + "    mode: replace  # <-\n", "mode"),
    "date not ISO": (RATED + "    start: April 10  # <-\n", "start"),
    "date is a number": (RATED + "    end: 20250410  # <-\n", "end"),
    "date has a time": (RATED + "    start: 2025-04-10T10:00:00  # <-\n", "start"),
    "impossible date": (RATED + "    start: 2025-02-30  # <-\n", "start"),
    "impossible quoted date": (RATED + "    end: '2025-13-01'  # <-\n", "end"),
    "end equals start": (
        RATED + "    start: 2025-04-10\n    end: 2025-04-10  # <-\n",
        "end",
    ),
    "end before start": (
        RATED + "    end: 2025-04-09  # <-\n    start: 2025-04-10\n",
        "end",
    ),
    "code not a string": ("name: x\nmeasures: [{kind: tariff, by: 840, rate: 1}]  # <-\n", "by"),
    "code in list not a string": (
        RATED + "    sectors:\n      - A01\n      - 7  # <-\n",
        "sectors",
    ),
    "code list empty": (TARIFF + "    on: []  # <-\n    rate: 1\n", "on"),
    "wildcard inside a list": (TARIFF + "    on: [CHN, '*']  # <-\n    rate: 1\n", "on"),
    "code is a mapping": (RATED + "    sectors: {A01: 1}  # <-\n", "sectors"),
    "duplicate key": ("name: x\nworld: a\nworld: b  # <-\n", "world"),
    "share above one": (CAP + "    share: 1.5  # <-\n", "share"),
    "share negative": (CAP + "    share: -0.1  # <-\n", "share"),
    "share missing": ("name: x\nmeasures:\n  - kind: export_cap  # <-\n    by: A\n", "share"),
    "export tax rate negative": (
        "name: x\nmeasures:\n  - {kind: export_tax, by: CHN, rate: -0.2}  # <-\n",
        "rate",
    ),
    "floor value zero": (FLOOR + "    value: 0  # <-\n", "value"),
    "floor value negative": (FLOOR + "    value: -12000  # <-\n", "value"),
    "fee negative": (
        FEE + "    fee_per_net_ton: -50  # <-\n    net_tons_per_million: 150\n"
        "    affected_share: 0.4\n",
        "fee_per_net_ton",
    ),
    "net tons zero": (
        FEE + "    fee_per_net_ton: 50\n    net_tons_per_million: 0  # <-\n"
        "    affected_share: 0.4\n",
        "net_tons_per_million",
    ),
    "affected share above one": (
        FEE + "    fee_per_net_ton: 50\n    net_tons_per_million: 150\n"
        "    affected_share: 2  # <-\n",
        "affected_share",
    ),
    "product not a string": (RATED + "    product: 12  # <-\n", "product"),
    "product with a dot": (RATED + "    product: soy.beans  # <-\n", "product"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_error_names_path_line_and_key(case: str) -> None:
    text, key = ERRORS[case]
    text, line = marked(text)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, PATH)
    assert str(info.value).startswith(f"{PATH}:{line}: key {key}: "), str(info.value)
    assert (info.value.path, info.value.line, info.value.key) == (PATH, line, key)


@pytest.mark.parametrize(
    "text",
    [
        "- a  # <-\n- b\n",
        "# comment\n\njust text  # <-\n",
        "name: x\nworld: a\n  bad: indent  # <-\n",
        "name: x\n\tworld: a  # <-\n",
        "name: x\nmeasures: [\n  {kind: tariff  # <-",
        "name: x\ndescription: bell \x07  # <-\n",
    ],
    ids=["list", "scalar", "bad-indent", "tab", "unclosed", "control-char"],
)
def test_document_errors_have_path_and_line(text: str) -> None:
    text, line = marked(text)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, PATH)
    assert str(info.value).startswith(f"{PATH}:{line}: "), str(info.value)


def test_empty_document() -> None:
    with pytest.raises(ScenarioError, match=f"^{PATH}:1: the scenario is empty"):
        parse_scenario("# only a comment\n", PATH)


def test_message_without_path() -> None:
    with pytest.raises(ScenarioError, match="^line 2: key rate: "):
        parse_scenario("name: x\nmeasures: [{kind: tariff, by: USA, rate: -1}]\n")


# --- fuzzing: nothing but ScenarioError escapes parse_scenario --------------------------

FUZZ_EXAMPLES = 10_000
"""Generated scenario documents over the two document fuzz tests below (half each)."""
RANDOM_TEXT_EXAMPLES = 2_000
"""Random texts, on top of the documents."""


def _fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


_YAML_CHARS = "-:[]{},'\"&*!|>#%@`?~ \n\t.0123456789eE+_TUSACHNkindrateby\\/<=\x85\u2028\ufeff"
_KEYS = (
    "name", "description", "world", "options", "measures", "deficits", "kind", "by",
    "on", "sectors", "rate", "mode", "factor", "start", "end", "<<", "share", "value",
    "product", "fee_per_net_ton", "net_tons_per_million", "affected_share",
)  # fmt: skip
_KINDS = ("tariff", "trade_cost", "export_tax", "export_cap", "import_floor", "port_fee")
_WORDS = (
    *_KINDS, "add", "set", "fixed", "zero", "*", "USA", "CHN", "A01", "EU27", "goods",
    "2025-04-10", "2025-02-30", "1.25", "yes", "~", "null",
)  # fmt: skip

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=12)
    | st.dates()
    | st.datetimes()
    | st.sampled_from(_WORDS)
)
_keys = st.sampled_from(_KEYS) | st.text(max_size=8) | st.integers(-5, 5) | st.booleans()
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=25,
)


def _mostly(good: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Usually (9 times in 10) a plausible value, sometimes anything at all."""
    return st.integers(0, 9).flatmap(lambda k: good if k else _documents)


_codes = st.sampled_from(("USA", "CHN", "MEX", "A01", "B07", "*", "EU27"))
_selection = _mostly(_codes | st.lists(_codes | _scalars, max_size=3))
_date = st.dates() | st.dates().map(str) | st.sampled_from(("2025-04-10", "2025-02-30"))
_number = st.floats(-1, 3) | st.integers(-1, 3)
_measure_shaped = st.fixed_dictionaries(
    {"kind": _mostly(st.sampled_from(_KINDS))},
    optional={
        "by": _selection,
        "on": _selection,
        "sectors": _selection,
        "rate": _mostly(_number),
        "factor": _mostly(_number),
        "mode": _mostly(st.sampled_from(("add", "set"))),
        "start": _mostly(_date),
        "end": _mostly(_date),
        "product": _mostly(st.sampled_from(("soy", "soy.beans", ""))) | _scalars,
        "share": _mostly(_number),
        "value": _mostly(_number),
        "fee_per_net_ton": _mostly(_number),
        "net_tons_per_million": _mostly(_number),
        "affected_share": _mostly(_number),
    },
)
_deficits = st.sampled_from(("fixed", "zero"))
_scenario_shaped = st.fixed_dictionaries(
    {"name": _mostly(st.just("fuzz"))},
    optional={
        "description": _mostly(st.text(max_size=20)),
        "world": _mostly(st.just("default")),
        "options": _mostly(st.fixed_dictionaries({"deficits": _mostly(_deficits)})),
        "measures": _mostly(st.lists(_mostly(_measure_shaped), max_size=4)),
    },
)


def _dump(document: object, flow: bool) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def _parses_or_fails_cleanly(text: str) -> None:
    """The property: a Scenario, or a ScenarioError that names the path and a real line."""
    try:
        scenario = parse_scenario(text, PATH)
    except ScenarioError as exc:
        assert exc.path == PATH
        assert str(exc).startswith(PATH + ":")
        if exc.line is not None:
            assert 1 <= exc.line <= len(text.splitlines()) + 1
    else:
        assert isinstance(scenario, Scenario)
        assert [m.index for m in scenario.measures] == list(range(len(scenario.measures)))


@_fuzz(RANDOM_TEXT_EXAMPLES)
@given(text=st.text(max_size=200) | st.text(alphabet=_YAML_CHARS, max_size=200))
def test_fuzz_random_text(text: str) -> None:
    _parses_or_fails_cleanly(text)


@_fuzz(FUZZ_EXAMPLES // 2)
@given(document=_mostly(_scenario_shaped), flow=st.booleans())
def test_fuzz_random_documents(document: object, flow: bool) -> None:
    _parses_or_fails_cleanly(_dump(document, flow))


@st.composite
def _mutated_example(draw: st.DrawFn) -> str:
    """The contract's example with a few random edits: inserts, deletes, line shuffles."""
    lines = CONTRACT_EXAMPLE.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        text = "".join(lines)
        where = draw(st.integers(0, max(len(text) - 1, 0)))
        edit = draw(st.sampled_from(["insert", "delete", "replace", "swap", "dup", "word"]))
        if edit == "insert":
            text = text[:where] + draw(st.text(alphabet=_YAML_CHARS, max_size=5)) + text[where:]
        elif edit == "delete":
            text = text[:where] + text[where + draw(st.integers(1, 10)) :]
        elif edit == "replace":
            text = text[:where] + draw(st.sampled_from(_YAML_CHARS)) + text[where + 1 :]
        elif edit == "word":
            text = text[:where] + draw(st.sampled_from(_WORDS + _KEYS)) + text[where:]
        lines = text.splitlines(keepends=True) or [""]
        if edit in ("swap", "dup"):
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if edit == "swap":
                lines[a], lines[b] = lines[b], lines[a]
            else:
                lines.insert(b, lines[a])
    return "".join(lines)


@_fuzz(FUZZ_EXAMPLES // 2)
@given(text=_mutated_example())
def test_fuzz_mutated_example(text: str) -> None:
    _parses_or_fails_cleanly(text)
