"""Source keys: the facts files' source lists as the table truce ships, and every key the
library cites resolving to a title and an address.

Expected values: the committed table equals the one rebuilt from the facts files (an
independent read of the same files, when ../shared is present); S42's address and
S274's secondary mark are read off the facts files themselves.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import truce
from truce.api import cited_keys, resolve_sources, scenario_sources
from truce.api.sources import source_table
from truce.cli.main import app
from truce.data.sources.facts import FACTS_FILES, read_facts_sources

REPO = Path(__file__).resolve().parents[1]
FACTS = REPO.parent / "shared" / "facts"
BUILTIN = resources.files("truce") / "builtin"
RUNNER = CliRunner(env={"COLUMNS": "300"})


def _facts() -> Path:
    if not all((FACTS / name).is_file() for name in FACTS_FILES):
        pytest.skip(f"facts files not found in {FACTS} (../shared beside the repository)")
    return FACTS


def test_the_shipped_table_is_the_facts_source_lists() -> None:
    rebuilt = read_facts_sources(_facts())
    pd.testing.assert_frame_equal(source_table(), rebuilt.astype(str), check_dtype=False)


def test_a_line_with_several_entries_gives_each_its_key() -> None:
    text = (_facts() / "us-china-measures.md").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("- S37 — "))
    table = source_table()
    # S37's line holds S37, S37a and S37b, each with its own address.
    for key in ("S37", "S37a", "S37b"):
        (address,) = table.loc[table["key"] == key, "address"]
        assert address in line
    assert set(table.loc[table["key"] == "S274", "quality"]) == {"secondary"}


def test_every_key_the_library_cites_resolves() -> None:
    texts = [p.read_text(encoding="utf-8") for p in (BUILTIN / "scenarios").iterdir()]
    texts += [p.read_text(encoding="utf-8") for p in (BUILTIN / "frameworks").iterdir()]
    keys = cited_keys("\n".join(texts))
    assert len(keys) > 50
    resolved = resolve_sources(keys)  # strict: an unknown key is an error
    assert set(resolved["key"]) == set(keys)
    assert (resolved["address"] != "").all() and (resolved["title"] != "").all()


def test_unknown_keys_are_named() -> None:
    with pytest.raises(truce.InputError, match="unknown source key.*S9999"):
        resolve_sources(["S42", "S9999"])
    assert list(resolve_sources(["S9999", "S42"], strict=False)["key"]) == ["S42"]


def test_cited_keys_reads_bracketed_citations_only() -> None:
    text = "rate: 0.1  # [S42, S43a] and S99 outside; [S274] again [S42]"
    assert cited_keys(text) == ("S42", "S43a", "S274")


def test_cli_sources() -> None:
    shown = RUNNER.invoke(app, ["sources", "S42", "S274"])
    assert shown.exit_code == 0, shown.output
    table = source_table()
    address = table.loc[table["key"] == "S42", "address"].iloc[0]
    assert address in shown.stdout and "(secondary)" in shown.stdout
    as_json = RUNNER.invoke(app, ["sources", "S42", "--json"])
    assert json.loads(as_json.stdout)[0]["address"] == address
    bad = RUNNER.invoke(app, ["sources", "S9999"])
    assert bad.exit_code == 2 and "S9999" in bad.output


def test_a_report_resolves_the_keys_its_scenario_cites(tmp_path) -> None:
    scenario = truce.load_scenario("cliff-snapback")
    sources = scenario_sources(scenario)
    # The branch's own keys and those of the path it extends.
    assert {"S42", "S274", "S14"} <= set(sources["key"])
    out = tmp_path / "r.html"
    done = RUNNER.invoke(app, ["run", "cliff-snapback", "--no-store", "-q", "--report", str(out)])
    assert done.exit_code == 0, done.output
    html = out.read_text(encoding="utf-8")
    assert 'id="sources"' in html
    assert source_table().loc[source_table()["key"] == "S42", "address"].iloc[0] in html
