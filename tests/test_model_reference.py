"""truce's solver against an independent implementation of CP2015's own algorithm.

The reference (tests/reference/cp_tatonnement.py) solves the same equilibrium by a
different method — nested price iteration, a dense direct solve for expenditure and a
damped wage tâtonnement — so agreement checks the equations and the solver together.
"""

import jax.numpy as jnp
import numpy as np
import pytest
from reference import cp_tatonnement as reference

from truce.data.synthetic import synthetic_baseline
from truce.model.baseline import Shock
from truce.model.solve import solve

#: The reference stops when factor-market excess is below 1e-12 of world income; its
#: wages are accurate to about that over the tâtonnement's contraction rate.
AGREEMENT = 1e-9


@pytest.mark.parametrize(("seed", "n", "s", "size"), [(11, 5, 3, 0.3), (12, 7, 4, 1.0)])
def test_agrees_with_the_reference_algorithm(seed, n, s, size):
    baseline = synthetic_baseline(n, s, seed=seed)
    rng = np.random.default_rng(seed)
    tau_new = (
        np.asarray(baseline.tau_sni)
        + rng.uniform(0, size, baseline.tau_sni.shape) * (1.0 - np.eye(n))[None]
    )
    shock = Shock(
        tau_sni=jnp.asarray(tau_new),
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=baseline.deficit_n,
    )
    ours = solve(baseline, shock)
    theirs = reference.solve(
        reference.from_baseline(baseline),
        np.transpose(tau_new, (1, 2, 0)),
        np.asarray(baseline.deficit_n),
    )
    np.testing.assert_allclose(ours.w_hat_n, theirs.w_hat, rtol=AGREEMENT)
    np.testing.assert_allclose(ours.P_hat_sn, theirs.P_hat.T, rtol=AGREEMENT)
    scale = float(baseline.va_n.sum())
    np.testing.assert_allclose(ours.X_sn / scale, theirs.X.T / scale, atol=AGREEMENT)
