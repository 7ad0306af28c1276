"""The README's examples run as written (documentation that runs)."""

import re
from pathlib import Path

import pytest

import truce

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_scenario_example_runs(tmp_path):
    (scenario_text,) = [b for b in _blocks("yaml") if "measures:" in b]
    path = tmp_path / "example.yaml"
    path.write_text(scenario_text, encoding="utf-8")
    scenario = truce.load_scenario(path)
    result = truce.run(truce.load_world(scenario.world), scenario)
    # Every measure of the example is reported, in file order (CONTRACTS §3).
    assert list(result.measures["index"]) == list(range(len(scenario.measures)))


def test_the_python_example_runs(tmp_path, monkeypatch):
    (code,) = [b for b in _blocks("python") if "truce.run(" in b]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)  # the README is ours
    assert (tmp_path / "nafta.json").is_file()
    assert namespace["result"].scenario == "cp2015-nafta"


def test_the_games_example_runs():
    (code,) = [b for b in _blocks("python") if "wars.war(" in b]
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)  # the README is ours
    war, outcome = namespace["war"], namespace["outcome"]
    assert set(war.rates["sector"]) == {"C26", "C24A"} and (war.rates["rate"] <= 1.0).all()
    assert outcome.rates.shape == (2, 1) and outcome.welfare.shape == (14,)


@pytest.mark.parametrize("line", [b for b in _blocks("bash") if "pytest" in b])
def test_ci_runs_the_readme_test_command(line):
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert line.strip() in ci
