"""Framework documents (truce.api.frameworks) and ``truce framework``.

The built-in Kuala Lumpur / Busan document loads; every item that a trade model prices
links existing built-in scenarios and measures of the right kind that are in force on
the link's date; items no model prices say why, and those the project's sources do not
cover say so and cite nothing.  A bad document is an InputError naming the file, line
and key.  The command renders every item, running the linked scenarios on demand.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import truce
from truce.api.frameworks import (
    FrameworkError,
    builtin_frameworks,
    describe_measure,
    framework_contributions,
    framework_effects,
    load_framework,
)
from truce.cli.main import app
from truce.policy.spec import ExportCap, ImportFloor, PortFee, Tariff

NAME = "kuala-lumpur-2025"
RUNNER = CliRunner(env={"COLUMNS": "400"})

# The items the brief of the document lists, and the measure kinds that model them.
EXPECTED_KINDS = {
    "threat-100": {Tariff, ExportCap},
    "fentanyl-tariff": {Tariff},
    "reciprocal-suspension": {Tariff},
    "china-retaliation": {Tariff},
    "rare-earths": {ExportCap},
    "soybeans": {ImportFloor},
    "port-fees": {PortFee},
}
UNMODELLED = {
    "affiliates-rule",
    "section-301-exclusions",
    "semiconductors",
    "tiktok",
    "fentanyl-cooperation",
    "taiwan",
    "jimmy-lai",
    "russia-oil",
}


@pytest.fixture(scope="module")
def document():
    return load_framework(NAME)


def test_builtin_document_loads(document) -> None:
    assert NAME in builtin_frameworks()
    assert document.name == NAME
    ids = [item.id for item in document.items]
    assert len(ids) == len(set(ids))
    assert set(EXPECTED_KINDS) | UNMODELLED <= set(ids)


def test_economic_items_link_existing_scenarios_and_measures(document) -> None:
    builtin = truce.builtin_scenarios()
    items = {item.id: item for item in document.items}
    for ident, kinds in EXPECTED_KINDS.items():
        item = items[ident]
        assert item.modelled and item.not_modelled is None
        for link in item.model:
            assert link.scenario in builtin
            scenario = truce.load_scenario(link.scenario)
            for index in link.measures:
                measure = scenario.measures[index]
                assert type(measure) in kinds, (ident, link.scenario, index)
                assert measure.in_force(link.date)
    soy = items["soybeans"].model[0]
    floor = truce.load_scenario(soy.scenario).measures[soy.measures[0]]
    assert floor.product == "soybeans"


def test_unmodelled_items_are_marked(document) -> None:
    items = {item.id: item for item in document.items}
    for ident in UNMODELLED:
        item = items[ident]
        assert not item.modelled and item.not_modelled
    # The political items are not trade measures, and say so; the addendum covers them.
    for ident in ("taiwan", "jimmy-lai", "russia-oil"):
        item = items[ident]
        assert "not a trade measure" in item.not_modelled or "outside" in item.not_modelled
    for item in document.items:
        assert item.sources, item.id


def test_describe_measure() -> None:
    busan = truce.load_scenario("busan-deal")
    assert describe_measure(busan.measures[0]).startswith("#0 tariff: USA adds 10% on goods")
    floor = describe_measure(busan.measures[8])
    assert "at least 11,700" in floor and "soybeans" in floor


BASE = """\
name: bad
title: A bad document
items:
  - id: soybeans
    title: Soybeans
    area: purchases
    status: announced
    sources: [S46]
"""


@pytest.mark.parametrize(
    ("tail", "key", "line", "what"),
    [
        (
            "    model:\n      - scenario: busan-deal\n        measures: [99]\n",
            "items[0].model[0].measures",
            11,
            "out of range",
        ),
        (
            "    model:\n      - scenario: no-such\n        measures: [0]\n",
            "items[0].model[0].scenario",
            10,
            "unknown built-in scenario",
        ),
        (
            "    model:\n      - scenario: busan-deal\n        date: 2025-01-01\n"
            "        measures: [8]\n",
            "items[0].model[0].measures",
            12,
            "not in force",
        ),
        ("", "items[0].model", 4, "either model"),
        ("    not_modelled: x\n    colour: red\n", "colour", 10, "unknown key"),
    ],
)
def test_bad_document_names_file_line_and_key(
    tmp_path: Path, tail: str, key: str, line: int, what: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BASE + tail)
    with pytest.raises(FrameworkError, match=what) as info:
        load_framework(path)
    error = info.value
    assert isinstance(error, truce.InputError)
    assert (error.path, error.key, error.line) == (str(path), key, line)
    assert str(error).startswith(f"{path}:{line}: key {key}: ")


def test_bad_sources_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BASE.replace("[S46]", "[Reuters]") + "    not_modelled: x\n")
    with pytest.raises(FrameworkError, match="not a source key") as info:
        load_framework(path)
    assert info.value.key == "items[0].sources"
    with pytest.raises(FrameworkError, match="unknown framework"):
        load_framework("no-such-framework")


def test_effects_of_a_small_document(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(BASE + "    model:\n      - scenario: busan-deal\n        measures: [8]\n")
    calls: list[tuple[int, int]] = []
    effects = framework_effects(load_framework(path), progress=lambda d, t, _: calls.append((d, t)))
    head = effects[("busan-deal", None)]
    assert head.converged and head.world == "default"
    assert head.welfare_pct["USA"] < 0 and head.welfare_pct["CHN"] < 0
    # The Busan state taxes trade both ways: US-China goods trade falls.
    assert head.trade_counterfactual < head.trade_baseline
    assert -100 < head.trade_pct < 0
    assert calls == [(0, 1), (1, 1)]
    # The floor's own contribution: the same scenario solved without it.  With soybeans
    # at 13% and the default (median) elasticities, US sales stay above 25 Mt: the floor
    # is slack, and a slack constraint changes nothing (an invariant), to the solver's
    # tolerance.
    busan = truce.run("default", "busan-deal")
    floor = busan.measures.set_index("index").loc[8]
    assert floor["kind"] == "import_floor" and not floor["binding"]
    own = framework_contributions(load_framework(path), effects)
    part = own[("soybeans", 0)]
    assert part.scenario == "busan-deal" and part.date is None
    assert abs(part.trade_pct) < 1e-9
    assert set(part.welfare_pp) == {"USA", "CHN"}
    assert all(abs(v) < 1e-9 for v in part.welfare_pp.values())


def test_cli_shows_every_item() -> None:
    document = load_framework(NAME)
    result = RUNNER.invoke(app, ["framework", NAME])
    assert result.exit_code == 0, result.output
    for item in document.items:
        assert item.title in result.stdout, item.title
    assert result.stdout.count("not modelled:") == sum(not i.modelled for i in document.items)
    assert "effects  USA welfare" in result.stdout
    for name, _ in document.runs:
        assert name in result.stdout


def test_cli_lists_frameworks_and_rejects_unknown() -> None:
    listed = RUNNER.invoke(app, ["framework"])
    assert listed.exit_code == 0 and NAME in listed.stdout
    bad = RUNNER.invoke(app, ["framework", "no-such-framework"])
    assert bad.exit_code == 2 and "unknown framework" in bad.stderr


def test_every_item_says_what_became_of_it_in_2026() -> None:
    # The addendum's status tables (us-china-2026.md, section B): each item carries a
    # state and the facts behind it, cited by key.
    document = load_framework(NAME)
    states = {item.id: item.in_2026 for item in document.items}
    assert all(states.values()), [k for k, v in states.items() if v is None]
    assert states["fentanyl-tariff"].state == "lapsed"  # voided with IEEPA [S225]
    assert states["tiktok"].state == "delivered"  # the joint venture closed [S25a]
    assert states["port-fees"].state == "unknown"  # the cliff's outcome is not in the facts
    # The political items now rest on the addendum's sources.
    for ident in ("taiwan", "jimmy-lai", "russia-oil"):
        item = next(i for i in document.items if i.id == ident)
        assert item.sources and item.dates


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("{state: maybe, note: 'x [S1]'}", "'maybe' is not a state"),
        ("{state: kept, note: no key here}", "must cite the facts"),
        ("{state: kept, note: 'x [S1]', colour: red}", "unknown key"),
    ],
)
def test_a_bad_2026_state_is_an_error_at_its_line(tmp_path: Path, value: str, what: str) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(BASE + f"    in_2026: {value}\n    not_modelled: because\n")
    with pytest.raises(FrameworkError, match=what) as caught:
        load_framework(path)
    assert caught.value.line == 9
