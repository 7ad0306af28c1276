"""Elasticity draws solved in one batch (the numerical core of ``--draws``).

Expected numbers: with zero standard errors every draw is the point result (an
identity); a batched solve equals the same draws solved one at a time (an independent
path through the same solver); the draws follow their truncated normal law (the
truncation floor is a hard bound; sample means of a draw set near the point estimates,
within five standard errors of the mean).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import truce
from truce.data.calibrate import world_to_baseline
from truce.model.draws import THETA_FLOOR, draw_thetas, solve_draws
from truce.model.solve import solve
from truce.model.welfare import region_outcomes
from truce.policy.compile import compile_scenario


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


def test_draws_follow_their_truncated_law() -> None:
    theta = jnp.array([0.5, 4.0, 8.0])
    se = jnp.array([1.0, 0.5, 0.0])
    thetas = np.asarray(draw_thetas(theta, se, 4000, seed=3))
    assert thetas.min() >= THETA_FLOOR
    np.testing.assert_array_equal(thetas[:, 2], 8.0)
    # Sector 2 is barely truncated (floor 7.8 standard errors below): its mean is θ.
    assert abs(thetas[:, 1].mean() - 4.0) < 5 * 0.5 / np.sqrt(4000)
    np.testing.assert_array_equal(thetas, np.asarray(draw_thetas(theta, se, 4000, seed=3)))
