"""Scenario composition: ``extends: BASE`` (a built-in name or a path).

Expected results come from the contract in docs/scenarios.md: the base's measures come
first and the file's own follow; the file's own description, world, as_of and options
win; every error names the file and line where the bad key is, a base's errors its own
file; a chain of extends that comes back to a file is an error at the extends line that
closes it.  The fuzz test checks these rules on random graphs of files against an
independent walk of the same graph.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import truce
import truce.api
from truce.api import load_scenario, scenario_from_text
from truce.api.sweep_runner import load_sweep
from truce.errors import ScenarioError

TARIFF = """\
  - kind: tariff
    by: USA
    on: CHN
    sectors: {sector}
    rate: {rate}
"""


def _file(name: str, *, extends: str | None = None, sectors: tuple[str, ...] = ()) -> str:
    head = f"name: {name}\n" + (f"extends: {extends}\n" if extends else "")
    if not sectors:
        return head
    return head + "measures:\n" + "".join(TARIFF.format(sector=s, rate=0.1) for s in sectors)


def test_the_base_measures_come_first_and_the_file_keys_win() -> None:
    text = _file("mine", extends="busan-deal", sectors=("C20",))
    text += "description: mine on top of Busan\nas_of: 2026-03-01\noptions:\n  elasticities: cp\n"
    base = load_scenario("busan-deal")
    mine = scenario_from_text(text, "mine.yaml")
    assert mine.extends == "busan-deal"
    assert mine.measures[: len(base.measures)] == tuple(
        m for m in base.measures
    )  # same measures, in order (indices and lines are the base's)
    assert len(mine.measures) == len(base.measures) + 1
    assert mine.measures[-1].sectors == ("C20",) and mine.measures[-1].index == len(base.measures)
    assert mine.description == "mine on top of Busan"
    assert mine.as_of == datetime.date(2026, 3, 1)
    assert mine.world == base.world == "default"
    assert mine.options.elasticities == "cp"
    # Without its own keys, the file takes the base's.
    plain = scenario_from_text(_file("plain", extends="busan-deal"), "plain.yaml")
    assert plain.description == base.description and plain.as_of == base.as_of
    assert plain.measures == base.measures


def test_an_extended_scenario_solves_like_the_same_measures_in_one_file(tmp_path) -> None:
    # Independent path: the same measures written out in one file.
    base = tmp_path / "base.yaml"
    base.write_text(_file("base", sectors=("C20", "C21")) + "world: default\n")
    child = tmp_path / "child.yaml"
    child.write_text(_file("child", extends="base.yaml", sectors=("C22",)))
    whole = tmp_path / "whole.yaml"
    whole.write_text(_file("whole", sectors=("C20", "C21", "C22")) + "world: default\n")
    a = truce.run("default", load_scenario(child)).regions
    b = truce.run("default", load_scenario(whole)).regions
    assert list(a["welfare_pct"]) == list(b["welfare_pct"])


def test_errors_name_the_file_and_line_of_the_bad_key(tmp_path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(
        "name: base\nworld: default\noptions:\n  elasticities: nope\nmeasures:\n"
        + TARIFF.format(sector="C99", rate=0.1)
    )
    child = tmp_path / "child.yaml"
    child.write_text(_file("child", extends="base.yaml", sectors=("C20",)))
    scenario = load_scenario(child)
    with pytest.raises(ScenarioError) as caught:
        truce.api.check("default", scenario)
    error = caught.value
    # The bad option is the base's, at its line in the base file.
    assert error.path == str(base) and error.line == 4 and error.key == "elasticities"
    fixed = base.read_text().replace("  elasticities: nope\n", "  elasticities: cp\n")
    base.write_text(fixed)
    with pytest.raises(ScenarioError) as caught:
        truce.api.check("default", load_scenario(child))
    # The unknown sector is in the base's measure, at the base's line.
    assert caught.value.path == str(base) and caught.value.key == "sectors"
    assert caught.value.line == 9
    # A problem in the file itself names the file.
    child.write_text(_file("child", extends="base.yaml") + "measures:\n  - kind: tarif\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert caught.value.path == str(child) and caught.value.line == 4


def test_an_unknown_base_is_an_error_at_the_extends_line(tmp_path) -> None:
    with pytest.raises(ScenarioError, match="unknown scenario 'no-such'") as caught:
        scenario_from_text("name: x\nextends: no-such\n", "x.yaml")
    assert caught.value.line == 2 and caught.value.key == "extends"
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nextends: missing.yaml\n")
    with pytest.raises(ScenarioError, match="no scenario file") as caught:
        load_scenario(path)
    assert caught.value.path == str(path) and caught.value.line == 2


def test_a_cycle_is_an_error_at_the_line_that_closes_it(tmp_path) -> None:
    (tmp_path / "a.yaml").write_text(_file("a", extends="b.yaml"))
    (tmp_path / "b.yaml").write_text("# b\n" + _file("b", extends="a.yaml"))
    with pytest.raises(ScenarioError, match="a cycle") as caught:
        load_scenario(tmp_path / "a.yaml")
    assert caught.value.path == str(tmp_path / "b.yaml") and caught.value.line == 3
    (tmp_path / "self.yaml").write_text(_file("self", extends="self.yaml"))
    with pytest.raises(ScenarioError, match="a cycle") as caught:
        load_scenario(tmp_path / "self.yaml")
    assert caught.value.key == "extends"


def test_a_grid_sweep_refuses_an_extending_scenario(tmp_path) -> None:
    (tmp_path / "child.yaml").write_text(_file("child", extends="busan-deal", sectors=("C20",)))
    (tmp_path / "sweep.yaml").write_text(
        "name: s\nscenario: child.yaml\ngrid:\n  - measure: 0\n    key: rate\n"
        "    values: [0.1, 0.2]\n"
    )
    with pytest.raises(truce.InputError, match="extends busan-deal") as caught:
        load_sweep(tmp_path / "sweep.yaml")
    assert caught.value.line == 2


# --- fuzz: random graphs of extends -------------------------------------------------


def _walk(parents: list[int | None], start: int) -> tuple[list[int], bool]:
    """The chain of files from ``start`` and whether it comes back to one of them."""
    chain = [start]
    while parents[chain[-1]] is not None:
        nxt = parents[chain[-1]]
        if nxt in chain:
            return chain, True
        chain.append(nxt)
    return chain, False


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    parents=st.integers(1, 6).flatmap(
        lambda n: st.lists(st.one_of(st.none(), st.integers(0, n - 1)), min_size=n, max_size=n)
    ),
    counts=st.lists(st.integers(0, 2), min_size=6, max_size=6),
)
def test_random_chains_of_extends(tmp_path_factory, parents, counts) -> None:
    folder: Path = tmp_path_factory.mktemp("chain")
    sectors = ("C20", "C21")
    for k, parent in enumerate(parents):
        extends = f"f{parent}.yaml" if parent is not None else None
        (folder / f"f{k}.yaml").write_text(
            _file(f"f{k}", extends=extends, sectors=sectors[: counts[k]])
        )
    for k in range(len(parents)):
        chain, cycle = _walk(parents, k)
        if cycle:
            with pytest.raises(ScenarioError, match="a cycle") as caught:
                load_scenario(folder / f"f{k}.yaml")
            # The error is at the extends line (line 2) of the file that closes the loop.
            assert caught.value.line == 2 and caught.value.key == "extends"
            assert caught.value.path == str(folder / f"f{chain[-1]}.yaml")
        else:
            scenario = load_scenario(folder / f"f{k}.yaml")
            assert len(scenario.measures) == sum(counts[j] for j in chain)
            assert [m.index for m in scenario.measures] == list(range(len(scenario.measures)))


def test_remove_leaves_base_measures_out_and_is_checked() -> None:
    base = load_scenario("busan-deal")
    mine = scenario_from_text(
        "name: mine\nextends: busan-deal\nremove: [0, 2]\n"
        + "measures:\n"
        + TARIFF.format(sector="C20", rate=0.1),
        "mine.yaml",
    )
    kept = [m for m in base.measures if m.index not in (0, 2)]
    assert [m.line for m in mine.measures[:-1]] == [m.line for m in kept]
    assert len(mine.measures) == len(base.measures) - 2 + 1
    for text, what, line in (
        ("name: x\nextends: busan-deal\nremove: [99]\n", "measures 0 to", 3),
        ("name: x\nremove: [1]\n", "give extends", 2),
        ("name: x\nextends: busan-deal\nremove: [1, 1]\n", "removed twice", 3),
        ("name: x\nextends: busan-deal\nremove: one\n", "list of the base", 3),
    ):
        with pytest.raises(ScenarioError, match=what) as caught:
            scenario_from_text(text, "x.yaml")
        assert caught.value.line == line and caught.value.key == "remove"
