"""Export taxes, export caps and purchase floors inside the equilibrium.

Expected values are invariants of complementarity (a slack constraint changes nothing
and has a zero equivalent), the tax–quota equivalence (a cap at the quantity an export
tax produces gives the same equilibrium, with that tax as its equivalent), and the
ban's defining property (no flow).
"""

import jax.numpy as jnp
import numpy as np
import pytest

from truce.data.synthetic import synthetic_baseline
from truce.model.baseline import Shock, no_shock
from truce.model.solve import solve
from truce.model.welfare import region_outcomes

#: Constraint equivalents and quantities are solved to the solver's tolerance.
TOL = 1e-9


@pytest.fixture(scope="module")
def world():
    return synthetic_baseline(6, 4, seed=21)


def _shock(baseline, **extra):
    return Shock(
        tau_sni=baseline.tau_sni,
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=baseline.deficit_n,
        **extra,
    )


def _cell(baseline):
    """A foreign cell with a sizeable flow: (sector, importer, exporter)."""
    flow = np.asarray(baseline.flow_sni).copy()
    for k in range(flow.shape[1]):
        flow[:, k, k] = 0.0
    return tuple(int(x) for x in np.unravel_index(np.argmax(flow), flow.shape))


def test_cap_at_the_baseline_volume_does_not_bind(world):
    cell = _cell(world)
    shock = _shock(world, cap_cells=jnp.asarray([cell]), cap_share=jnp.asarray([1.0]))
    eq = solve(world, shock)
    assert float(eq.cap_rate_k[0]) <= TOL
    np.testing.assert_allclose(eq.w_hat_n, 1.0, atol=1e-10)
    np.testing.assert_allclose(eq.flow_sni, world.flow_sni, rtol=1e-10)


def test_ban_ends_the_flow(world):
    cell = _cell(world)
    blocked = np.zeros(world.tau_sni.shape, dtype=bool)
    blocked[cell] = True
    eq = solve(world, _shock(world, blocked_sni=jnp.asarray(blocked)))
    assert float(eq.flow_sni[cell]) == 0.0
    assert np.all(np.isfinite(np.asarray(eq.flow_sni)))
    assert float(eq.residual) < 1e-10


def test_export_tax_and_the_cap_it_implies_are_equivalent(world):
    s, n, i = _cell(world)
    rate = 0.3
    tax = np.zeros(world.tau_sni.shape)
    tax[s, n, i] = rate
    taxed = solve(world, _shock(world, export_tax_sni=jnp.asarray(tax)))
    quantity = float(taxed.producer_flow_sni[s, n, i] / taxed.c_hat_sn[s, i])
    share = quantity / float(world.flow_sni[s, n, i])
    assert share < 1.0  # the tax cuts the flow, so the cap binds
    capped = solve(
        world, _shock(world, cap_cells=jnp.asarray([(s, n, i)]), cap_share=jnp.asarray([share]))
    )
    assert float(capped.cap_rate_k[0]) == pytest.approx(rate, abs=TOL)
    np.testing.assert_allclose(capped.w_hat_n, taxed.w_hat_n, rtol=TOL)
    np.testing.assert_allclose(capped.flow_sni, taxed.flow_sni, rtol=1e-8, atol=1e-12)
    a = region_outcomes(world, _shock(world), taxed).welfare_n
    b = region_outcomes(world, _shock(world), capped).welfare_n
    np.testing.assert_allclose(a, b, rtol=TOL)


def test_tight_cap_binds_at_its_volume(world):
    s, n, i = _cell(world)
    shock = _shock(world, cap_cells=jnp.asarray([(s, n, i)]), cap_share=jnp.asarray([0.5]))
    eq = solve(world, shock)
    assert float(eq.cap_rate_k[0]) > 1e-3
    assert float(eq.cap_quantity_k[0]) == pytest.approx(0.5, abs=TOL)


def test_floor_below_baseline_trade_does_not_bind(world):
    s, n, i = _cell(world)
    cells = np.zeros((1, *world.tau_sni.shape))
    cells[0, s, n, i] = 1.0
    value = 0.5 * float(world.flow_sni[s, n, i])
    shock = _shock(world, floor_cells=jnp.asarray(cells), floor_value=jnp.asarray([value]))
    eq = solve(world, shock)
    assert float(eq.floor_rate_f[0]) <= TOL
    np.testing.assert_allclose(eq.flow_sni, world.flow_sni, rtol=1e-10)


def test_floor_above_baseline_trade_binds_and_is_met(world):
    s, n, i = _cell(world)
    cells = np.zeros((1, *world.tau_sni.shape))
    cells[0, s, n, i] = 1.0
    value = 1.5 * float(world.flow_sni[s, n, i])
    shock = _shock(world, floor_cells=jnp.asarray(cells), floor_value=jnp.asarray([value]))
    eq = solve(world, shock)
    assert 0.0 < float(eq.floor_rate_f[0]) < 1.0
    assert float(eq.floor_value_f[0]) == pytest.approx(value, rel=TOL)
    # The subsidy is paid by the importer's government: its income counts the cost.
    assert float(eq.subsidy_cost_n[n]) > 0.0


def test_no_constraints_match_the_plain_solve(world):
    plain = solve(world, no_shock(world))
    np.testing.assert_allclose(plain.w_hat_n, 1.0, atol=1e-12)
