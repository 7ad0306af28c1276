"""The validation page and its scenario: ``trade-war-undone`` and ``docs/validation.md``.

``trade-war-undone`` is generated from the built-in default world and the trade-war
layers; the committed file must be that output, and its measures must set each sector
back to the world's rate less the sector's layers (an identity of the two tables).
``docs/validation.md`` must be what ``scripts/validation.py`` writes today, so that the
numbers it prints are the code's.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import truce
from truce.data.calibrate import world_to_baseline
from truce.data.sources.trade_war import TABLES, sector_rate
from truce.data.sources.trade_war_undone import undone_scenario_yaml
from truce.policy.compile import compile_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "src" / "truce" / "builtin" / "scenarios" / "trade-war-undone.yaml"


@pytest.fixture(scope="module")
def world() -> truce.World:
    return truce.load_world("default")


def test_the_committed_scenario_is_the_generated_one(world) -> None:
    assert SCENARIO.read_text(encoding="utf-8") == undone_scenario_yaml(world)


def test_undone_tariffs_are_the_world_rates_less_the_layers(world) -> None:
    baseline = world_to_baseline(world)
    shock = compile_scenario(truce.load_scenario("trade-war-undone"), baseline)
    regions, sectors = list(baseline.regions), list(baseline.sectors)
    before, after = np.asarray(baseline.tau_sni), np.asarray(shock.tau_sni)
    changed = 0
    for table, exporter, importer in TABLES.values():
        n, i = regions.index(importer), regions.index(exporter)
        for sector, layers in table.items():
            s = sectors.index(sector)
            expected = before[s, n, i] - sector_rate(layers)
            assert after[s, n, i] == pytest.approx(max(expected, 0.0), abs=1e-10), sector
            changed += sector_rate(layers) > 0
    # Nothing else moves.
    mask = np.ones_like(before, dtype=bool)
    for _, exporter, importer in TABLES.values():
        mask[:, regions.index(importer), regions.index(exporter)] = False
    np.testing.assert_array_equal(after[mask], before[mask])
    assert changed > 40  # both directions, most goods sectors


def test_the_validation_page_is_current() -> None:
    spec = importlib.util.spec_from_file_location("validation", ROOT / "scripts" / "validation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    page = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    assert module.markdown(module.rows()) == page, "run scripts/validation.py again"


def test_world_show_layer_coverage_adds_up_to_the_sector_rates(world) -> None:
    # Invariant: a direction's layer points sum to its sectors' additional rates
    # (truce.data.sources.trade_war.sector_rate) weighted by the world's goods flows.
    from truce.data.summary import layer_coverage

    coverage = layer_coverage(world)
    goods = {s for table, _, _ in TABLES.values() for s in table}
    trade = world.trade.set_index(["exporter", "importer", "sector"])["value"]
    for table, exporter, importer in TABLES.values():
        flows = {s: float(trade.get((exporter, importer, s), 0.0)) for s in goods}
        total = sum(flows.values())
        expected = sum(sector_rate(layers) * flows[s] for s, layers in table.items()) / total
        mine = coverage[(coverage["exporter"] == exporter) & (coverage["importer"] == importer)]
        assert mine["points"].sum() == pytest.approx(expected, rel=1e-12)
