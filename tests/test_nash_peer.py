"""The tariffwar game (Lashkaripour 2021) against an independent implementation.

All 44 economies of the WIOD 2014 data set each set one uniform tariff on every import
(all 16 sectors, as the MATLAB package tariffwar plays it), from the base with every
deficit closed.  The expected numbers come from ``tests/tariffwar_peer.py``, the same
game written in NumPy and SciPy from the equations without truce's code:

- truce's exact Nash tariffs are a fixed point of the peer's best responses (each
  searched by bounded Brent search on the peer's own equilibrium solves) to 1e-6;
- truce's ``sufficient-statistics`` tariffs equal the peer's fixed point of the
  formula (its eq. 14, found by plain iteration) to 1e-6.

Skipped, with the reason printed, where the shared data are absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tariffwar_peer as peer
from conftest import WIOD2014 as SOURCE
from typer.testing import CliRunner

from truce.api import wars
from truce.cli.main import app
from truce.errors import InputError

DATA = SOURCE / "wiod2014_flows_tariffs.npz"
#: tariffwar taxes services too: the 15 goods sectors and services, by code.
EVERY_SECTOR = [*(f"W{k:02d}" for k in range(1, 16)), "SVC"]

pytestmark = pytest.mark.skipif(
    not SOURCE.is_dir(), reason=f"the shared data set {SOURCE} is absent"
)


@pytest.fixture(scope="module")
def peer_game() -> peer.Game:
    data = np.load(DATA)
    base = peer.economy(data["flows_musd"], data["tariff"], data["eps_IS"])
    return peer.Game(peer.balanced(base))


def _war(wiod: Path, method: str) -> wars.WarResult:
    return wars.war(
        wiod, everyone=True, uniform=True, deficits="zero", sectors=EVERY_SECTOR,
        elasticities="is", method=method, verify=False,
    )  # fmt: skip


def _rates(result: wars.WarResult) -> np.ndarray:
    """The players' rates in the data set's country order (the world's region order)."""
    countries = [str(c) for c in np.load(DATA)["countries"]]
    return result.rates.set_index("player")["rate"].loc[countries].to_numpy()


def test_exact_nash_is_a_fixed_point_of_the_peers_best_responses(wiod, peer_game) -> None:
    result = _war(wiod, "first-order")
    assert result.method == "first-order"
    rates = _rates(result)
    responses = np.array([peer_game.best_response(rates, n) for n in range(len(rates))])
    np.testing.assert_allclose(responses, rates, atol=1e-6)
    # The same welfare, too: truce's against the peer's at the Nash tariffs.
    countries = [str(c) for c in np.load(DATA)["countries"]]
    truce_welfare = result.welfare.set_index("region")["welfare_pct"].loc[countries]
    np.testing.assert_allclose(
        truce_welfare.to_numpy(), peer_game.outcome(rates).welfare_pct, atol=1e-7
    )


def test_sufficient_statistics_equal_the_peers_formula(wiod, peer_game) -> None:
    result = _war(wiod, "sufficient-statistics")
    assert result.method == "sufficient-statistics" and not result.verified
    expected = peer_game.formula(np.zeros(44))
    np.testing.assert_allclose(_rates(result), expected, atol=1e-6)


def test_the_formula_is_refused_where_it_does_not_describe_the_game(wiod) -> None:
    def formula(players, **how):
        wars.war(wiod, players, method="sufficient-statistics", deficits="zero", **how)

    with pytest.raises(InputError, match="services included"):
        formula(["USA"], uniform=True)  # goods only, by default
    with pytest.raises(InputError, match="one uniform rate"):
        formula(["USA"], sectors=["all"])
    with pytest.raises(InputError, match="tax only the other players"):
        formula(["USA", "CHN"], uniform=True, sectors=["all"])
    done = CliRunner().invoke(
        app, ["war", "--world", str(wiod), "--uniform", "--first-order", "taylor"]
    )
    assert done.exit_code == 2 and "--first-order is exact or sufficient-statistics" in done.stderr


def test_cli_plays_the_formula_with_one_player(wiod, peer_game) -> None:
    """A single player taxes every other region, so the formula applies: its rate is
    the peer's formula with the others at their base tariffs, and the JSON says how it
    was found and that it was not checked."""
    done = CliRunner().invoke(
        app,
        ["war", "--world", str(wiod), "--players", "USA", "--uniform", "--deficits", "zero",
         "--sectors", "all", "--first-order", "sufficient-statistics", "--no-verify",
         "--json"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout[done.stdout.index("{") :])
    assert document["method"] == "sufficient-statistics"
    assert document["deviation_gains"] == {"USA": None}
    countries = [str(c) for c in np.load(DATA)["countries"]]
    alone = peer.Game(peer_game.base, players=[countries.index("USA")])
    expected = alone.formula(np.zeros(1))
    assert document["tariffs"][0]["rate"] == pytest.approx(float(expected[0]), abs=1e-6)
