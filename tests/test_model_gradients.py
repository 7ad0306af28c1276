"""Implicit derivatives of the Caliendo–Parro solution (``solve.solve_differentiable``).

Where the expected numbers come from:

- Finite differences: every derivative is compared with the central difference
  (f(x + h) − f(x − h)) / 2h of the forward solve itself, solved to a tight tolerance
  (1e-13), with h = 1e-6.  The truncation error is O(h²) ≈ 1e-12 and the solver noise
  about 1e-16 / h ≈ 1e-10 (measured: up to 2e-10 absolute), against derivatives of order
  1e-4 to 1; the tests allow 1e-6 of the largest derivative compared plus 1e-9 absolute
  (measured: at most 6e-7 of the largest, all of it within the noise).
- Forward against reverse mode: both are the same implicit derivative evaluated in two
  orders (solves with ∂F/∂z and the inner maps' Jacobians, against solves with their
  transposes, factored or iterated to rounding), so they agree to rounding (measured:
  5e-14 relative); the tests allow 1e-8.
- Second derivatives: the Hessian is compared with central differences of the
  reverse-mode gradient (h = 1e-6; measured: 2e-10 relative) and is symmetric to
  rounding.
- Warm starts: the solution does not depend on where the solver starts (beyond the
  tolerance, 1e-13) and the derivative is the implicit one at the solution, so a warm-
  started gradient equals the cold one (measured: 1e-13 relative); the tests allow 1e-8
  and check that the warm start was used (fewer iterations).  A start at the solution
  itself stops the loop at once, so a derivative taken through the iterations would be
  zero.
- Binding constraints: a binding cap fixes its cell's quantity at the cap, so the
  quantity moves one for one with the cap's share and not at all with the floor's value
  (and likewise for the floor); the tests allow 1e-9.

The worlds are synthetic (``truce.data.synthetic``, seed 7), 5 regions × 4 sectors with
every cell trading, with and without input-output linkages.  Derivatives are taken at a
point away from the baseline: all tariffs 1.5 times their baseline level, the importer's
tariffs on the exporter 10 points higher still, and that route's trade costs up 10%.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from truce.data.synthetic import synthetic_baseline
from truce.model.baseline import Baseline, Shock
from truce.model.solve import solve, solve_differentiable
from truce.model.welfare import region_outcomes

TIGHT = 1e-13
H = 1e-6
FD_RTOL = 1e-6
#: Absolute allowance for the noise of a finite difference (ten times the measured noise).
FD_ATOL = 1e-9
MODES_RTOL = 1e-8
#: The importer whose tariffs change, and the exporter they fall on.
IMPORTER, EXPORTER = 0, 1


@pytest.fixture(scope="module", params=[True, False], ids=["io", "no-io"])
def world(request) -> Baseline:
    return synthetic_baseline(5, 4, seed=7, io=request.param, zero_share=0.0)


def _point(world: Baseline) -> dict[str, jax.Array]:
    """The differentiable inputs at the evaluation point (see the module docstring)."""
    route = (slice(None), IMPORTER, EXPORTER)
    return dict(
        tau=(1.5 * world.tau_sni).at[route].add(0.1),
        cost=jnp.ones_like(world.tau_sni).at[route].set(1.1),
        deficit=world.deficit_n,
        theta=world.theta_s,
    )


def _shock(p: dict[str, jax.Array], **extra) -> Shock:
    return Shock(tau_sni=p["tau"], cost_sni=p["cost"], deficit_n=p["deficit"], **extra)


@jax.jit
def _outcomes(world: Baseline, p: dict[str, jax.Array]) -> dict[str, jax.Array]:
    """Welfare, tariff revenue and price indices as functions of the inputs ``p``."""
    baseline = eqx.tree_at(lambda b: b.theta_s, world, p["theta"])
    shock = _shock(p)
    eq = solve_differentiable(baseline, shock, tol=TIGHT)
    return dict(
        welfare=region_outcomes(baseline, shock, eq).welfare_n,
        revenue=eq.tariff_revenue_n,
        prices=eq.P_hat_sn,
    )


_reverse = jax.jit(jax.jacrev(_outcomes, argnums=1))


@jax.jit
def _forward(world: Baseline, p: dict, dp: dict) -> dict[str, jax.Array]:
    return jax.jvp(lambda q: _outcomes(world, q), (p,), (dp,))[1]


@pytest.fixture(scope="module")
def jacobian(world) -> dict:
    """Reverse-mode Jacobian of every outcome in every input, at the point."""
    return _reverse(world, _point(world))


def _central(f, p: dict, direction: dict) -> dict[str, np.ndarray]:
    """Central difference of ``f`` at ``p`` along ``direction`` (same keys, or fewer)."""

    def at(sign):
        q = {k: v + sign * H * direction[k] if k in direction else v for k, v in p.items()}
        return f(q)

    up, down = at(1.0), at(-1.0)
    return {k: (np.asarray(up[k]) - np.asarray(down[k])) / (2.0 * H) for k in up}


def _along(jacobian: dict, direction: dict) -> dict[str, np.ndarray]:
    """The Jacobian applied to a direction in the inputs."""
    out = {}
    for key, by_input in jacobian.items():
        terms = []
        for name, d in direction.items():
            block = by_input[name]
            axes = tuple(range(block.ndim - d.ndim, block.ndim))
            terms.append(jnp.tensordot(block, d, axes=(axes, tuple(range(d.ndim)))))
        out[key] = np.asarray(sum(terms))
    return out


def _assert_matches(derivative, expected, rtol: float, atol: float = 0.0) -> None:
    """Agreement within ``rtol`` of the largest expected entry, plus ``atol``."""
    expected = np.asarray(expected)
    scale = float(np.max(np.abs(expected)))
    assert scale > 1e-4  # the comparison is not between zeros
    np.testing.assert_allclose(
        np.asarray(derivative), expected, rtol=rtol, atol=rtol * scale + atol
    )


def _assert_all_match(derivatives: dict, expected: dict, rtol: float, atol: float = 0.0) -> None:
    for key in expected:
        _assert_matches(derivatives[key], expected[key], rtol, atol)


def test_uniform_tariff_scale_gradient_matches_finite_differences(world, jacobian):
    """Outcomes against a common scale of every tariff, tau → (1 + λ) tau, at λ = 0."""
    p = _point(world)
    direction = dict(tau=p["tau"])
    expected = _central(lambda q: _outcomes(world, q), p, direction)
    _assert_all_match(_along(jacobian, direction), expected, FD_RTOL, FD_ATOL)


def _importer_shock(world: Baseline, rates: jax.Array) -> Shock:
    p = _point(world)
    return _shock(dict(p, tau=p["tau"].at[:, IMPORTER, EXPORTER].set(rates)))


def _importer_welfare(world: Baseline, rates: jax.Array, initial=None) -> jax.Array:
    shock = _importer_shock(world, rates)
    eq = solve_differentiable(world, shock, tol=TIGHT, initial=initial)
    return region_outcomes(world, shock, eq).welfare_n[IMPORTER]


_importer_gradient = jax.jit(jax.grad(_importer_welfare, argnums=1))


def test_sector_tariff_gradient_matches_finite_differences(world):
    """The importer's welfare against its per-sector tariffs on the exporter (jax.grad)."""
    p = _point(world)
    rates = p["tau"][:, IMPORTER, EXPORTER]
    gradient = _importer_gradient(world, rates)
    expected = []
    for sector in range(rates.shape[0]):
        direction = dict(tau=jnp.zeros_like(p["tau"]).at[sector, IMPORTER, EXPORTER].set(1.0))
        expected.append(_central(lambda q: _outcomes(world, q), p, direction)["welfare"][IMPORTER])
    _assert_matches(gradient, np.asarray(expected), FD_RTOL, FD_ATOL)


_importer_hessian = jax.jit(jax.hessian(_importer_welfare, argnums=1))


def test_second_derivatives_match_differences_of_gradients(world):
    """The Hessian (forward over reverse) in the sector tariffs against central differences
    of the reverse-mode gradient, and its symmetry."""
    rates = _point(world)["tau"][:, IMPORTER, EXPORTER]
    hessian = np.asarray(_importer_hessian(world, rates))
    expected = [
        (
            _importer_gradient(world, rates.at[s].add(H))
            - _importer_gradient(world, rates.at[s].add(-H))
        )
        / (2.0 * H)
        for s in range(rates.shape[0])
    ]
    _assert_matches(hessian, np.stack(expected), FD_RTOL, FD_ATOL)
    np.testing.assert_allclose(hessian, hessian.T, rtol=0, atol=1e-12 * np.max(np.abs(hessian)))


def test_forward_and_reverse_modes_agree(world, jacobian):
    """jvp along a random direction in all inputs against the reverse-mode Jacobian."""
    rng = np.random.default_rng(1)
    p = _point(world)
    direction = {k: jnp.asarray(rng.standard_normal(v.shape)) for k, v in p.items()}
    _assert_all_match(_along(jacobian, direction), _forward(world, p, direction), MODES_RTOL)


def test_trade_cost_gradient_matches_finite_differences(world, jacobian):
    """Outcomes against the route's trade cost in each sector."""
    p = _point(world)
    for s in range(world.tau_sni.shape[0]):
        direction = dict(cost=jnp.zeros_like(p["cost"]).at[s, IMPORTER, EXPORTER].set(1.0))
        expected = _central(lambda q: _outcomes(world, q), p, direction)
        _assert_all_match(_along(jacobian, direction), expected, FD_RTOL, FD_ATOL)


def test_deficit_and_elasticity_gradients_match_finite_differences(world, jacobian):
    """Outcomes against a deficit transfer between the two regions and a common scale of
    the trade elasticities (a baseline parameter)."""
    p = _point(world)
    transfer = jnp.zeros_like(p["deficit"]).at[IMPORTER].set(1.0).at[EXPORTER].set(-1.0)
    for direction in (dict(deficit=transfer), dict(theta=p["theta"])):
        expected = _central(lambda q: _outcomes(world, q), p, direction)
        _assert_all_match(_along(jacobian, direction), expected, FD_RTOL, FD_ATOL)


def test_warm_start_gives_the_cold_gradient(world):
    """Warm starts at the solution and near it leave the gradient as it is."""
    rates = _point(world)["tau"][:, IMPORTER, EXPORTER]
    cold = _importer_gradient(world, rates)
    shock = _importer_shock(world, rates)
    here = solve(world, shock, tol=TIGHT)
    near = solve(world, _importer_shock(world, rates - 0.02), tol=TIGHT)
    for initial in (here, near):
        assert int(solve(world, shock, tol=TIGHT, initial=initial).iterations) < int(
            here.iterations
        )
        _assert_matches(_importer_gradient(world, rates, initial), cold, MODES_RTOL)


def _largest_foreign_cells(baseline: Baseline) -> list[tuple[int, int, int]]:
    """Foreign cells by falling flow: (sector, importer, exporter)."""
    flow = np.asarray(baseline.flow_sni).copy()
    for k in range(flow.shape[1]):
        flow[:, k, k] = 0.0
    order = np.argsort(flow, axis=None)[::-1]
    return [tuple(int(x) for x in np.unravel_index(k, flow.shape)) for k in order]


@jax.jit
def _constrained(world: Baseline, cells: tuple, q: dict) -> dict[str, jax.Array]:
    """Outcomes at the point with one cap (share ``q["share"]``) and one purchase floor
    (value ``q["value"]``) on the given cells."""
    cap_cells, floor_cells = cells
    shock = _shock(
        _point(world),
        cap_cells=cap_cells,
        cap_share=q["share"],
        floor_cells=floor_cells,
        floor_value=q["value"],
    )
    eq = solve_differentiable(world, shock, tol=TIGHT)
    return dict(
        welfare=region_outcomes(world, shock, eq).welfare_n,
        cap_rate=eq.cap_rate_k,
        floor_rate=eq.floor_rate_f,
        cap_quantity=eq.cap_quantity_k,
        floor_value=eq.floor_value_f,
    )


_constrained_reverse = jax.jit(jax.jacrev(_constrained, argnums=2))


def test_binding_cap_and_floor_gradients_match_finite_differences(world):
    """Welfare and the constraint equivalents against a binding cap's share and a binding
    floor's value, away from the kink (where the derivative is two-sided); a binding
    bound moves its own quantity one for one and leaves the other's unchanged."""
    capped, floored = _largest_foreign_cells(world)[:2]
    cells = (jnp.asarray([capped]), jnp.zeros((1, *world.tau_sni.shape)).at[(0, *floored)].set(1.0))
    # Quantities with slack constraints, then bounds 20% tighter than those.
    slack = _constrained(world, cells, dict(share=jnp.asarray([10.0]), value=jnp.asarray([1e-6])))
    q = dict(share=0.8 * slack["cap_quantity"], value=1.2 * slack["floor_value"])
    at_q = _constrained(world, cells, q)
    assert float(at_q["cap_rate"][0]) > 1e-3 and float(at_q["floor_rate"][0]) > 1e-3
    jacobian = _constrained_reverse(world, cells, q)
    for name, own in (("share", "cap_quantity"), ("value", "floor_value")):
        direction = {name: jnp.ones(1)}
        along = _along(jacobian, direction)
        expected = _central(lambda r: _constrained(world, cells, r), q, direction)
        for key in ("welfare", "cap_rate", "floor_rate"):
            _assert_matches(along[key], expected[key], FD_RTOL, FD_ATOL)
        for key in ("cap_quantity", "floor_value"):
            exact = 1.0 if key == own else 0.0
            np.testing.assert_allclose(along[key], [exact], atol=1e-9)
