"""Shocks far from the base: continuation, many caps, and scenarios without an
equilibrium.

Expected values come from invariants (the path of shocks starts at the base and ends
at the scenario; a converged solve meets every equilibrium condition, checked apart
from the loop; bans leave no flow), from an independent implementation (the blocked
Jacobian's solve against the dense one's) and from the algebra of the blocked inverse
(its transpose is its adjoint).  The reproducers are those of an attack on truce:
1,000% tariffs by everyone on everyone, every export of China banned, every cell
capped.
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import truce
import truce.model.solve as solve_module
from truce.data.synthetic import synthetic_baseline
from truce.errors import NonConvergenceError, ScenarioError
from truce.model.baseline import Shock, no_shock
from truce.model.blocked_jacobian import _apply, _apply_t, blocked_linearization
from truce.model.continuation import shock_between
from truce.model.solve import DEFAULT_TOL, solve

SOLVED = 10.0 * DEFAULT_TOL


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\nworld: default\n{body}")
    return path


def _all_capped(baseline, share: float) -> Shock:
    flows = np.asarray(baseline.flow_sni)
    cells = [
        (s, n, i)
        for s, n, i in np.argwhere(flows > 0)
        if n != i  # caps are on foreign cells only
    ]
    return Shock(
        tau_sni=baseline.tau_sni,
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=baseline.deficit_n,
        cap_cells=jnp.asarray(cells, dtype=jnp.int32),
        cap_share=jnp.full(len(cells), share),
    )


def test_the_path_of_shocks_runs_from_the_base_to_the_scenario():
    baseline = synthetic_baseline(4, 3, seed=5)
    blocked = np.zeros(baseline.tau_sni.shape, dtype=bool)
    blocked[0, 1, 2] = True
    shock = Shock(
        tau_sni=baseline.tau_sni + 2.0,
        cost_sni=jnp.full_like(baseline.tau_sni, 1.3),
        deficit_n=0.5 * baseline.deficit_n,
        export_tax_sni=jnp.full_like(baseline.tau_sni, 0.2),
        blocked_sni=jnp.asarray(blocked),
        cap_cells=jnp.asarray([[1, 0, 3]]),
        cap_share=jnp.asarray([0.25]),
    )
    start, end = shock_between(baseline, shock, 0.0), shock_between(baseline, shock, 1.0)
    base = no_shock(baseline)
    np.testing.assert_allclose(start.tau_sni, base.tau_sni, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(start.cost_sni, 1.0)
    np.testing.assert_allclose(start.deficit_n, base.deficit_n)
    np.testing.assert_allclose(start.export_tax_sni, 0.0, atol=1e-15)
    np.testing.assert_allclose(start.cap_share, 1.0)
    assert not np.asarray(start.blocked_sni).any()
    for field in ("tau_sni", "cost_sni", "deficit_n", "export_tax_sni", "cap_share"):
        np.testing.assert_allclose(getattr(end, field), getattr(shock, field), rtol=1e-12)
    np.testing.assert_array_equal(end.blocked_sni, blocked)
    # Halfway, the banned cell keeps half its base share: its cost factor is 2^(1/θ).
    half = shock_between(baseline, shock, 0.5)
    theta = float(baseline.theta_s[0])
    assert float(half.cost_sni[0, 1, 2]) == pytest.approx(np.sqrt(1.3) * 2 ** (1 / theta))


def test_continuation_solves_what_the_direct_solve_cannot():
    """The attack's 1,000% tariffs by everyone on everyone, on a synthetic world: the
    direct solve stalls, continuation converges, and the result meets every
    condition (the residual is computed apart from the loop)."""
    baseline = synthetic_baseline(6, 4, seed=3)
    shock = Shock(
        tau_sni=jnp.where(jnp.eye(6, dtype=bool)[None], baseline.tau_sni, 10.0),
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=baseline.deficit_n,
    )
    direct = solve(baseline, shock, max_steps=30, throw=False, continuation=False)
    assert not bool(direct.converged)
    eq = solve(baseline, shock, max_steps=30)
    assert bool(eq.converged) and float(eq.residual) <= SOLVED
    assert int(eq.iterations) > int(direct.iterations)  # every solve is counted


def test_thousand_percent_everywhere_on_default_converges_with_its_warning():
    scenario = Path(__file__).parent / "reference" / "thousand-percent.yaml"
    result = truce.run("default", scenario)
    assert result.solver.residual <= SOLVED
    welfare = result.regions.set_index("region")["welfare_pct"]
    assert np.isfinite(welfare).all()
    notes = result.extra["notes"]
    # Taiwan pays its base surplus out of an income that no longer covers it.
    assert welfare.min() <= -100.0
    assert any("describes no economy" in note for note in notes)


def test_a_ban_of_every_export_under_fixed_deficits_is_refused_at_its_line(tmp_path):
    path = _write(
        tmp_path, "ban-china", "measures:\n  - kind: export_cap\n    by: CHN\n    share: 0\n"
    )
    with pytest.raises(ScenarioError, match="every export of CHN is banned") as info:
        truce.run("default", path)
    assert (info.value.path, info.value.line, info.value.key) == (str(path), 6, "share")
    assert "deficits: zero" in str(info.value)


def test_a_ban_of_every_export_with_deficits_closed_leaves_china_in_autarky(tmp_path):
    path = _write(
        tmp_path,
        "ban-china-zero",
        "options: {deficits: zero}\nmeasures:\n  - kind: export_cap\n    by: CHN\n    share: 0\n",
    )
    result = truce.run("default", path)
    assert result.solver.residual <= SOLVED
    trade = result.trade
    china = trade[(trade["exporter"] == "CHN") & (trade["importer"] != "CHN")]
    assert len(china) > 0
    assert (china["counterfactual"].abs() <= 1e-9 * china["baseline"].max()).all()


def test_blocked_inverse_transpose_is_its_adjoint():
    baseline = synthetic_baseline(9, 5, seed=4)
    shock = _all_capped(baseline, 0.6)
    n = 9
    linear = blocked_linearization(shock.cap_cells, n, 5, n)
    m = n + shock.n_caps

    def residual(z, aux):
        point = solve_module._evaluate(baseline, shock, z, *aux)
        conditions = solve_module._conditions(baseline, shock, baseline.va_n, z, point)
        return solve_module._scaled(baseline, conditions), (point.log_P, point.X)

    aux = (jnp.zeros_like(baseline.X_sn), baseline.X_sn)
    H, _, _ = jax.jit(linear.make, static_argnums=0)(residual, jnp.zeros(m), aux)
    rng = np.random.default_rng(0)
    x, y = jnp.asarray(rng.normal(size=m)), jnp.asarray(rng.normal(size=m))
    assert float(y @ _apply(H, x)) == pytest.approx(float(_apply_t(H, y) @ x), rel=1e-10)


def test_many_caps_solved_with_blocks_match_the_dense_solve(monkeypatch):
    """Caps on every foreign cell with a base flow (over 300): the blocked Jacobian's solve and the
    dense one's find the same equilibrium."""
    baseline = synthetic_baseline(9, 5, seed=4)
    shock = _all_capped(baseline, 0.6)
    assert shock.n_caps >= solve_module.BLOCKED_CAPS
    traced = []

    def spy(*args):
        traced.append(args)
        return blocked_linearization(*args)

    monkeypatch.setattr(solve_module, "blocked_linearization", spy)
    solve_module._solve.clear_cache()  # the choice is made while tracing
    blocked = solve(baseline, shock)
    assert len(traced) == 1
    monkeypatch.setattr(solve_module, "BLOCKED_CAPS", 10**9)
    solve_module._solve.clear_cache()
    dense = solve(baseline, shock)
    assert len(traced) == 1  # the dense solve took its Jacobians whole
    solve_module._solve.clear_cache()
    np.testing.assert_allclose(blocked.w_hat_n, dense.w_hat_n, rtol=1e-9)
    np.testing.assert_allclose(blocked.cap_rate_k, dense.cap_rate_k, atol=1e-8)
    assert float(jnp.max(blocked.cap_quantity_k)) <= 0.6 + 1e-9


def test_every_cell_of_default_capped_at_half_converges():
    """5,074 caps: the attack's 198-second solve."""
    path = Path(__file__).parent / "reference" / "half-of-everything.yaml"
    result = truce.run("default", path)
    assert result.solver.residual <= SOLVED
    capped = result.measures
    assert len(capped) == 1 and bool(capped["binding"].iloc[0])


def test_a_failed_continuation_says_how_far_it_got_and_what_may_help(tmp_path):
    path = Path(__file__).parent / "reference" / "thousand-percent.yaml"
    with pytest.raises(NonConvergenceError) as info:
        truce.run("default", path, max_steps=3)
    message = str(info.value)
    assert info.value.reached is not None and 0.0 <= info.value.reached < 1.0
    assert "solved by continuation up to" in message
    assert "what may help" in message and "deficits: zero" in message


def test_the_check_refuses_the_impossible_ban_as_the_run_does(tmp_path):
    path = _write(
        tmp_path, "ban-china", "measures:\n  - kind: export_cap\n    by: CHN\n    share: 0\n"
    )
    with pytest.raises(ScenarioError, match="every export of CHN is banned") as info:
        truce.api.check("default", path)
    assert info.value.line == 6
