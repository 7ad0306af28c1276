"""Elasticity draws: the batched solve, the sampling law, and ``truce run --draws``.

Expected numbers: with zero standard errors every draw is the point result, in every
result field (an identity); a batched solve equals the same draws solved one at a time
(an independent path through the same solver); the draws follow their law (the
truncation floor is a hard bound; sample means and spreads within five standard errors;
sectors resting on one estimate move together, a closed form); the built-in worlds'
standard errors are CP2015 Table 1's (a published table), divided by m where a sector's
elasticity is the mean of m estimates.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import truce
import truce.api
from truce.cli.main import app
from truce.data.calibrate import world_to_baseline
from truce.data.catalogue import CATALOGUE
from truce.data.elasticities import read_theta_se, theta_spread, with_source
from truce.errors import InputError, WorldError
from truce.model.draws import THETA_FLOOR, draw_thetas, solve_draws
from truce.model.solve import inverse_jacobian_at, solve
from truce.model.welfare import region_outcomes
from truce.policy.compile import compile_scenario

REPO = Path(__file__).resolve().parents[1]
CP_TABLE1 = REPO.parent / "shared" / "data" / "cp2015_nafta_1993" / "table1.csv"
CP_TABLE1 = CP_TABLE1.with_name("elasticity_estimates_table1.csv")
SUFFIXES = ("_p05", "_p50", "_p95")
RUNNER = CliRunner()


@pytest.fixture(scope="module")
def case():
    world = truce.load_world("cp2015")
    baseline = world_to_baseline(world)
    shock = compile_scenario(truce.load_scenario("cp2015-nafta"), baseline)
    return baseline, shock


def test_zero_standard_errors_give_the_point_result_in_every_draw(case) -> None:
    baseline, shock = case
    thetas = draw_thetas(baseline.theta_s, jnp.zeros_like(baseline.theta_s), 3, seed=1)
    np.testing.assert_array_equal(np.asarray(thetas), np.tile(np.asarray(baseline.theta_s), (3, 1)))
    batch = solve_draws(baseline, shock, thetas)
    point = region_outcomes(baseline, shock, solve(baseline, shock))
    assert bool(np.all(np.asarray(batch.equilibrium.converged)))
    for k in range(3):
        np.testing.assert_allclose(
            np.asarray(batch.outcomes.welfare_n[k]), np.asarray(point.welfare_n), atol=1e-12
        )


def test_a_batch_equals_its_draws_solved_one_at_a_time(case) -> None:
    baseline, shock = case
    se = 0.2 * np.asarray(baseline.theta_s)
    thetas = draw_thetas(baseline.theta_s, se, 2, seed=7)
    batch = solve_draws(baseline, shock, thetas)
    for k in range(2):
        drawn = baseline.__class__(**{**baseline.__dict__, "theta_s": thetas[k]})
        alone = region_outcomes(drawn, shock, solve(drawn, shock))
        np.testing.assert_allclose(
            np.asarray(batch.outcomes.welfare_n[k]), np.asarray(alone.welfare_n), atol=1e-10
        )
    # Different elasticities give different answers.
    assert not np.allclose(
        np.asarray(batch.outcomes.welfare_n[0]), np.asarray(batch.outcomes.welfare_n[1])
    )


def test_a_borrowed_inverse_jacobian_changes_no_answer(case) -> None:
    # Two paths to one equilibrium: each draw's own Jacobian, or the point's inverse
    # Jacobian borrowed.  Near draws need no Jacobian of their own; a far one (every
    # elasticity tripled) falls back to its own and still converges.
    baseline, shock = case
    point = solve(baseline, shock)
    inverse = inverse_jacobian_at(baseline, shock, point)
    theta = np.asarray(baseline.theta_s)
    thetas = np.concatenate(
        [np.asarray(draw_thetas(theta, 0.05 * theta, 3, seed=5)), 3.0 * theta[None, :]]
    )
    own = solve_draws(baseline, shock, thetas, initial=point)
    borrowed = solve_draws(baseline, shock, thetas, initial=point, inverse_jacobian=inverse)
    np.testing.assert_allclose(
        np.asarray(borrowed.outcomes.welfare_n), np.asarray(own.outcomes.welfare_n), atol=1e-10
    )
    assert bool(np.all(np.asarray(borrowed.equilibrium.converged)))
    np.testing.assert_array_equal(np.asarray(borrowed.equilibrium.jacobians[:3]), 0)
    assert np.all(np.asarray(own.equilibrium.jacobians) >= 1)


def test_vectorised_and_mapped_draws_agree(case) -> None:
    # Two layouts of one computation (vmap and lax.map): the same answers, each draw
    # converged to its own tolerance.
    baseline, shock = case
    thetas = draw_thetas(baseline.theta_s, 0.2 * np.asarray(baseline.theta_s), 3, seed=9)
    mapped = solve_draws(baseline, shock, thetas, vectorize=False)
    vectorised = solve_draws(baseline, shock, thetas, vectorize=True)
    np.testing.assert_allclose(
        np.asarray(mapped.outcomes.welfare_n),
        np.asarray(vectorised.outcomes.welfare_n),
        atol=1e-10,
    )
    assert bool(np.all(np.asarray(mapped.equilibrium.converged)))


def test_draws_follow_their_truncated_law() -> None:
    theta = jnp.array([0.5, 4.0, 8.0])
    se = jnp.array([1.0, 0.5, 0.0])
    thetas = np.asarray(draw_thetas(theta, se, 4000, seed=3))
    assert thetas.min() >= THETA_FLOOR
    np.testing.assert_array_equal(thetas[:, 2], 8.0)
    # Sector 2 is barely truncated (floor 7.8 standard errors below): its mean is θ.
    assert abs(thetas[:, 1].mean() - 4.0) < 5 * 0.5 / np.sqrt(4000)
    np.testing.assert_array_equal(thetas, np.asarray(draw_thetas(theta, se, 4000, seed=3)))


def test_sectors_sharing_an_estimate_move_together() -> None:
    # θ = θ̄ + L z: sectors 0 and 1 rest on estimate 0 (half its se each), sector 2 on
    # estimate 1 alone; so θ0 − θ̄0 = θ1 − θ̄1 in every draw (closed form).
    theta = jnp.array([5.0, 7.0, 3.0])
    loading = jnp.array([[0.5, 0.0], [0.5, 0.0], [0.0, 0.4]])
    thetas = np.asarray(draw_thetas(theta, loading, 2000, seed=5))
    np.testing.assert_allclose(thetas[:, 0] - 5.0, thetas[:, 1] - 7.0, atol=1e-12)
    assert abs(np.std(thetas[:, 0]) - 0.5) < 5 * 0.5 / np.sqrt(2 * 2000)
    assert abs(np.corrcoef(thetas[:, 0], thetas[:, 2])[0, 1]) < 5 / np.sqrt(2000)


# --------------------------------------------------------------------------- whole runs


def _zero_se(world: truce.World) -> pd.DataFrame:
    return pd.DataFrame({"sector": world.sectors["sector"], "estimate": "none", "se": 0.0})


def _banded_columns(frame: pd.DataFrame) -> list[str]:
    return [c[: -len("_p50")] for c in frame.columns if c.endswith("_p50")]


def test_zero_standard_errors_give_the_point_result_in_every_field() -> None:
    # Identity: every draw is the point solve, so every percentile equals the point
    # (truce-collapse caps critical products: a sigma the run sets is held fixed).
    world = truce.load_world("default")
    result = truce.run(world, "truce-collapse", draws=3, theta_se=_zero_se(world), sigma=0.1)
    for name in ("regions", "trade", "measures"):
        frame = getattr(result, name)
        fields = _banded_columns(frame)
        assert fields, name
        for field in fields:
            point = pd.to_numeric(frame[field]).to_numpy(dtype=float)
            for suffix in ("p05", "p50", "p95"):
                np.testing.assert_allclose(
                    frame[f"{field}_{suffix}"].to_numpy(dtype=float),
                    point,
                    rtol=1e-9,
                    atol=1e-9,
                    err_msg=f"{name}.{field}_{suffix}",
                )
    assert set(_banded_columns(result.regions)) == {
        c for c in result.regions.columns if c != "region" and not c.endswith(SUFFIXES)
    }
    assert "baseline_p50" not in result.trade.columns  # an input, not a result


def test_zero_standard_errors_from_a_zero_deficit_base() -> None:
    # The same identity through the per-draw zero-deficit base (CP2015's NAFTA case).
    world = truce.load_world("cp2015")
    result = truce.run(world, "cp2015-nafta", draws=2, theta_se=_zero_se(world))
    np.testing.assert_allclose(
        result.regions["welfare_pct_p50"], result.regions["welfare_pct"], atol=1e-9
    )
    np.testing.assert_allclose(result.trade["base_p95"], result.trade["base"], rtol=1e-9)


def test_draws_band_the_point_and_are_reproducible() -> None:
    # The default world's standard errors are cp's: its draws sample around cp.
    first = truce.run("default", "truce-collapse", draws=40, seed=11, elasticities="cp")
    again = truce.run("default", "truce-collapse", draws=40, seed=11, elasticities="cp")
    regions = first.regions
    assert (regions["welfare_pct_p05"] <= regions["welfare_pct_p50"]).all()
    assert (regions["welfare_pct_p50"] <= regions["welfare_pct_p95"]).all()
    # Elasticities do move results: the bands are not all points.
    assert (regions["welfare_pct_p95"] - regions["welfare_pct_p05"]).max() > 1e-4
    pd.testing.assert_frame_equal(first.regions, again.regions)
    info = first.extra["draws"]
    assert info["count"] == 40 and info["seed"] == 11
    # The services aggregate has no estimate; the critical products (truce-collapse
    # carries the rare-earth caps) have their own, fixed elasticity.
    assert info["fixed_sectors"] == ["B07.rare_earths", "C24B.rare_earths", "C27.magnets", "SVC"]
    document = first.to_dict()
    assert {"welfare_pct_p05", "welfare_pct_p50", "welfare_pct_p95"} <= set(document["regions"][0])
    assert "counterfactual_p95" in document["trade"][0]


def test_cp2015_standard_errors_are_table_1s() -> None:
    # Published table: CP2015 Table 1 (99% sample) standard errors, for the sectors whose
    # elasticity is Table 1's estimate (the authors use 8.22 for Auto and Other Transport).
    table = pd.read_csv(CP_TABLE1) if CP_TABLE1.is_file() else None
    if table is None:
        pytest.skip(f"source data not found at {CP_TABLE1} (../shared/data beside the repository)")
    world = truce.load_world("cp2015")
    se = world.theta_se.set_index("sector")["se"]
    names = dict(zip(world.sectors["sector"], world.sectors["name"], strict=True))
    published = dict(zip(table["sector"], table["se_99"], strict=True))
    assert len(se) == 18
    for sector, value in se.items():
        assert value == pytest.approx(published[names[sector]], rel=1e-12)
    assert "VEH" not in se.index and "OTE" not in se.index


def test_default_world_standard_errors_follow_the_elasticity_means() -> None:
    # A sector whose θ is the mean of m Table 1 estimates carries se_k / m of each.
    world = with_source(truce.load_world("default"), "cp")
    spread = theta_spread(world)
    assert spread is not None
    s = spread.sectors.index("C16")  # wood and paper, as the elasticity mapping has it
    row = spread.loading_sk[s]
    assert np.count_nonzero(row) == 2
    t = spread.sectors.index("C17_18")  # the same two estimates: perfectly correlated
    np.testing.assert_array_equal(spread.loading_sk[t], row)
    if CP_TABLE1.is_file():
        table = pd.read_csv(CP_TABLE1).set_index("sector")
        expected = sorted([table.at["Wood", "se_99"] / 2, table.at["Paper", "se_99"] / 2])
        np.testing.assert_allclose(sorted(row[row != 0]), expected, rtol=1e-12)


def test_a_product_draws_its_parents_elasticity_unless_it_has_its_own() -> None:
    # busan-deal splits soybeans (the parent's elasticity) and rare earths and magnets
    # (critical products with their own, fixed elasticity: truce.data.catalogue).
    world = with_source(truce.load_world("default"), "cp")
    split = truce.api.with_products(world, truce.load_scenario("busan-deal"))
    spread = theta_spread(split)
    assert spread is not None
    subs = [s for s in spread.sectors if "." in s]
    own = {p.sub_sector for ps in CATALOGUE.values() for p in ps if p.theta is not None}
    assert set(subs) - own and set(subs) & own
    for sub in subs:
        row = spread.loading_sk[spread.sectors.index(sub)]
        if sub in own:
            assert not row.any()
        else:
            parent_row = spread.loading_sk[spread.sectors.index(sub.split(".")[0])]
            np.testing.assert_array_equal(row, parent_row)


def test_a_standard_error_file(tmp_path: Path) -> None:
    world = truce.load_world("default")
    good = tmp_path / "se.csv"
    good.write_text("sector,se\nA01,1.5\nC26,0.7\n")
    table = read_theta_se(good, world)
    assert list(table["estimate"]) == ["A01", "C26"]
    result = truce.run(world, "truce-collapse", draws=4, theta_se=good)
    # Every sector of the run's (product-split) world is fixed but A01 and C26 and their
    # products, which draw their parent's elasticity.
    split = truce.api.with_products(world, truce.load_scenario("truce-collapse"))
    drawn = [s for s in split.sectors["sector"] if s.split(".")[0] in ("A01", "C26")]
    assert len(result.extra["draws"]["fixed_sectors"]) == len(split.sectors) - len(drawn)
    bad = tmp_path / "bad.csv"
    bad.write_text("sector,se\nA01,1.5\nXX9,0.7\nC26,-1\n")
    with pytest.raises(WorldError) as caught:
        read_theta_se(bad, world)
    message = str(caught.value)
    assert f"{bad}:3: column sector: 'XX9'" in message
    assert f"{bad}:4: column se: '-1'" in message


def test_draws_need_standard_errors() -> None:
    world = truce.load_world("default")
    bare = replace(world, theta_se=None, theta_se_source=None)
    with pytest.raises(InputError, match="no standard errors"):
        truce.run(bare, "truce-collapse", draws=2)
    # The default world's own elasticities (the median) have none; cp's are named.
    assert world.theta_source == "median" and world.theta_se_source == "cp"
    with pytest.raises(InputError, match=r"\(median\) have no standard errors.*--elasticities cp"):
        truce.run(world, "truce-collapse", draws=2)


def test_ilms2025_draws() -> None:
    # The one-sector model: ε drawn from a user's standard error.  With se = 0 every
    # percentile is the point (identity); with se > 0 the batch equals the same ε solved
    # one at a time through the point path (an independent path).
    world = truce.load_world("baci2023")
    zero = truce.run(world, "ld-case1", draws=2, theta_se=_zero_se(world))
    np.testing.assert_allclose(
        zero.regions["welfare_pct_p95"], zero.regions["welfare_pct"], atol=1e-9
    )
    spread = pd.DataFrame({"sector": world.sectors["sector"], "estimate": "eps", "se": [0.5]})
    drawn = truce.run(world, "ld-case1", draws=5, seed=2, theta_se=spread)
    eps = draw_thetas(world.sectors["theta"].to_numpy(), np.array([0.5]), 5, seed=2)
    one_by_one = []
    for value in np.asarray(eps)[:, 0]:
        sectors = world.sectors.assign(theta=value)
        alone = truce.run(replace(world, sectors=sectors, theta_se=None), "ld-case1")
        one_by_one.append(alone.regions["welfare_pct"].to_numpy())
    np.testing.assert_allclose(
        drawn.regions["welfare_pct_p50"], np.median(np.stack(one_by_one), axis=0), atol=1e-8
    )


def test_cli_draws(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = RUNNER.invoke(
        app,
        [
            "run",
            "truce-collapse",
            "--elasticities",
            "cp",
            "--draws",
            "5",
            "--seed",
            "3",
            "--json",
            str(out),
            "--no-store",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["draws"]["count"] == 5
    assert "welfare_pct_p95" in document["regions"][0]
    missing = RUNNER.invoke(
        app, ["run", "truce-collapse", "--draws", "5", "--theta-se", str(tmp_path / "no.csv")]
    )
    assert missing.exit_code == 2
    assert "no such standard-error file" in " ".join(missing.output.split())


def test_a_banded_run_is_kept_whole_in_the_store(tmp_path: Path) -> None:
    # Round trip: the store gives back the percentile columns and the draws entry, and a
    # later run without draws comes back without them.
    from truce.api.store import RunStore

    world, scenario = truce.load_world("default"), truce.load_scenario("truce-collapse")
    banded_run = truce.run(world, scenario, draws=3, seed=4, elasticities="cp")
    plain_run = truce.run(world, scenario)
    store = RunStore(tmp_path / "runs.duckdb")
    kept = [store.get(store.save_run(r, world, scenario)) for r in (banded_run, plain_run)]
    for back, original in zip(kept, (banded_run, plain_run), strict=True):
        for name in ("regions", "trade", "measures"):
            pd.testing.assert_frame_equal(getattr(back, name), getattr(original, name))
        assert back.extra == original.extra
