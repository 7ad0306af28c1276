"""Constraint counts padded to buckets (truce.model.buckets).

The padded solve is checked against the solve of the same shock in its own layout (the
solver's code path without padding, run directly), field by field and in its
derivative; the shared compiled program by the jitted solve's cache, which must not
grow for a second scenario in the same bucket; the index maps by round trips.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from truce.data.synthetic import synthetic_baseline
from truce.model import solve as solve_module
from truce.model.baseline import Shock
from truce.model.buckets import LARGEST_PADDED, Padding, bucket, padded, sector_bucket
from truce.model.solve import DEFAULT_MAX_STEPS, DEFAULT_TOL, inverse_jacobian_at
from truce.model.solve import solve_differentiable as solve


@pytest.fixture(scope="module")
def world():
    return synthetic_baseline(6, 4, seed=21)


def _foreign_cells(baseline, count):
    """The ``count`` largest foreign cells: (sector, importer, exporter) rows."""
    flow = np.asarray(baseline.flow_sni).copy()
    for k in range(flow.shape[1]):
        flow[:, k, k] = 0.0
    order = np.argsort(flow, axis=None)[::-1][:count]
    return np.stack(np.unravel_index(order, flow.shape), axis=1)


def _constrained(baseline, caps=3, floors=1, capacities=2, share=0.7):
    """Tariffs up 10%, ``caps`` binding export caps, ``floors`` (0 or 1) binding purchase
    floor on the largest cell not capped, and ``capacities`` (up to 2) capacity limits."""
    cells = _foreign_cells(baseline, max(caps, 2) + 1)
    floor = np.zeros(baseline.tau_sni.shape)
    floor[tuple(cells[caps])] = 1.0
    base_floor = float(np.asarray(baseline.flow_sni)[tuple(cells[caps])])
    limits = np.array([[cells[0][0], cells[0][2]], [cells[1][0], cells[1][2]]])[:capacities]
    extra = {}
    if caps:
        extra |= {"cap_cells": jnp.asarray(cells[:caps]), "cap_share": jnp.full(caps, share)}
    if floors:
        extra |= {
            "floor_cells": jnp.asarray(floor[None]),
            "floor_value": jnp.asarray([1.3 * base_floor]),
        }
    if capacities:
        extra |= {
            "capacity_cells": jnp.asarray(limits),
            "capacity_share": jnp.full(capacities, 0.95),
        }
    return Shock(
        tau_sni=baseline.tau_sni + 0.1,
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=baseline.deficit_n,
        **extra,
    )


def _unpadded(baseline, shock):
    """The solve of ``shock`` in its own layout: the solver's code path without the
    padding step."""
    start = solve_module._start(baseline, shock, None)
    return solve_module._solve(
        baseline, shock, baseline.va_n, start, DEFAULT_TOL, DEFAULT_MAX_STEPS
    )


#: Every field of a solution the padding touches, and the wages and incomes.
FIELDS = (
    "w_hat_n", "P_hat_sn", "c_hat_sn", "gamma_va_sn", "gamma_io_nsk", "pi_sni", "X_sn",
    "flow_sni", "producer_flow_sni", "income_n", "cap_rate_k", "cap_quantity_k",
    "floor_rate_f", "floor_value_f", "capacity_rate_g", "capacity_quantity_g", "log_unknowns",
)  # fmt: skip


def _assert_same(mine, own):
    """Two solutions equal field by field, shapes included, to the solver's tolerance."""
    for name in FIELDS:
        a, b = np.asarray(getattr(mine, name)), np.asarray(getattr(own, name))
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11, err_msg=name)


def test_buckets_are_powers_of_two_from_the_smallest():
    # Closed form: the next power of two, at least the smallest; beyond the largest
    # padded count, the count itself.
    assert [bucket(c) for c in (0, 1, 4, 5, 8, 9, 100)] == [4, 4, 4, 8, 8, 16, 128]
    assert bucket(1, smallest=2) == 2
    assert bucket(LARGEST_PADDED + 1) == LARGEST_PADDED + 1


def test_a_shock_without_constraints_on_a_full_bucket_of_sectors_is_left_as_it_is(world):
    assert world.tau_sni.shape[0] == sector_bucket(world.tau_sni.shape[0])
    shock = Shock(
        tau_sni=world.tau_sni, cost_sni=jnp.ones_like(world.tau_sni), deficit_n=world.deficit_n
    )
    base, same, padding = padded(world, shock)
    assert same is shock and padding.trivial
    assert base.sectors == () and base.flow_sni is world.flow_sni  # only the codes go


def test_sector_buckets_are_multiples_of_four():
    # Closed form: the next multiple of four.
    assert [sector_bucket(c) for c in (1, 3, 4, 5, 28, 29, 31, 32, 35)] == [
        4,
        4,
        4,
        8,
        28,
        32,
        32,
        32,
        36,
    ]


@pytest.mark.parametrize("constraints", [(0, 0, 0), (3, 1, 2)])
def test_empty_sectors_change_no_solution(constraints):
    """A world of 3 sectors solves with a fourth, empty one: every field equals the
    solve in the world's own layout."""
    world = synthetic_baseline(5, 3, seed=8)
    shock = _constrained(world, *constraints)
    mine, own = solve(world, shock), _unpadded(world, shock)
    assert bool(mine.converged) and bool(own.converged)
    _assert_same(mine, own)
    inverse = inverse_jacobian_at(world, shock, mine)
    again = solve(world, shock, initial=mine, inverse_jacobian=inverse)
    assert bool(again.converged) and int(again.iterations) <= 1


def test_worlds_in_one_sector_bucket_share_the_compiled_solve():
    # Two worlds of 3 and 4 sectors (other data, other codes): one compiled solve.
    first, second = synthetic_baseline(5, 3, seed=8), synthetic_baseline(5, 4, seed=9)
    solve(first, _constrained(first, 0, 0, 0))
    compiled = solve_module._solve._cache_size()
    eq = solve(second, _constrained(second, 0, 0, 0))
    assert bool(eq.converged) and eq.P_hat_sn.shape == (4, 5)
    assert solve_module._solve._cache_size() == compiled


def test_padded_solve_equals_the_solve_in_the_shocks_own_layout(world):
    shock = _constrained(world)
    mine = solve(world, shock)
    own = _unpadded(world, shock)
    assert bool(mine.converged) and bool(own.converged)
    assert float(mine.cap_rate_k.min()) > 1e-3  # the caps bind
    assert float(mine.floor_rate_f[0]) > 1e-3  # and so does the floor
    _assert_same(mine, own)


def test_derivative_through_the_padded_solve_equals_the_unpadded_one(world):
    shock = _constrained(world)

    def welfare_of(share, solver):
        this = eqx.tree_at(lambda s: s.cap_share, shock, share)
        return solver(world, this).income_n.sum()

    share = shock.cap_share
    mine = jax.grad(lambda s: welfare_of(s, solve))(share)
    own = jax.grad(lambda s: welfare_of(s, _unpadded))(share)
    assert float(jnp.abs(own).max()) > 1e-6  # binding caps move income
    np.testing.assert_allclose(mine, own, rtol=1e-7, atol=1e-12)


def test_scenarios_in_one_bucket_share_the_compiled_solve(world):
    solve(world, _constrained(world, caps=3, floors=1, capacities=2))
    compiled = solve_module._solve._cache_size()
    for caps, floors, capacities in ((1, 0, 0), (2, 1, 0), (4, 0, 1), (0, 1, 2)):
        eq = solve(world, _constrained(world, caps, floors, capacities))
        assert bool(eq.converged)
        assert eq.cap_rate_k.shape == (caps,) and eq.floor_rate_f.shape == (floors,)
        assert eq.capacity_rate_g.shape == (capacities,)
    assert solve_module._solve._cache_size() == compiled


def test_an_export_tax_alone_solves_in_the_constrained_layout(world):
    tax = np.zeros(world.tau_sni.shape)
    tax[tuple(_foreign_cells(world, 1)[0])] = 0.4
    shock = Shock(
        tau_sni=world.tau_sni,
        cost_sni=jnp.ones_like(world.tau_sni),
        deficit_n=world.deficit_n,
        export_tax_sni=jnp.asarray(tax),
    )
    mine, own = solve(world, shock), _unpadded(world, shock)
    assert mine.log_unknowns.shape == own.log_unknowns.shape == (world.va_n.shape[0],)
    np.testing.assert_allclose(mine.flow_sni, own.flow_sni, rtol=1e-9, atol=1e-12)


def test_warm_start_and_inverse_jacobian_cross_the_padding(world):
    shock = _constrained(world)
    eq = solve(world, shock)
    inverse = inverse_jacobian_at(world, shock, eq)
    m = eq.log_unknowns.shape[0]
    assert inverse.shape == (m, m)
    # The inverse in the shock's own layout, computed without padding.
    own = np.linalg.inv(
        jax.jacfwd(
            lambda z: solve_module._scaled(
                world,
                solve_module._conditions(
                    world,
                    shock,
                    world.va_n,
                    z,
                    solve_module._evaluate(world, shock, z, jnp.log(eq.P_hat_sn), eq.X_sn),
                ),
            )
        )(eq.log_unknowns)
    )
    np.testing.assert_allclose(inverse, own, rtol=1e-8, atol=1e-10)
    again = solve(world, shock, initial=eq, inverse_jacobian=inverse)
    assert bool(again.converged) and int(again.iterations) <= 1
    np.testing.assert_allclose(again.w_hat_n, eq.w_hat_n, rtol=1e-11)


@pytest.mark.parametrize("traced", [False, True])
def test_padding_maps_round_trip(traced):
    padding = Padding(n=3, sizes=(2, 1, 3), padded=(4, 2, 4), sectors=(3, 4))
    z = jnp.arange(1.0, 10.0)
    matrix = jnp.arange(81.0).reshape(9, 9)

    def trip(z, matrix):
        wide = padding.unknowns(z)
        return wide, padding.own_unknowns(wide), padding.own_inverse(padding.inverse(matrix))

    wide, back, inverse = jax.jit(trip)(z, matrix) if traced else trip(z, matrix)
    # Wages, then caps, floors and capacity limits, each followed by its dummies' zeros.
    np.testing.assert_array_equal(wide, [1, 2, 3, 4, 5, 0, 0, 6, 0, 7, 8, 9, 0])
    np.testing.assert_array_equal(back, z)
    np.testing.assert_array_equal(inverse, matrix)
    eye = padding.inverse(matrix)
    assert float(eye[5, 5]) == 1.0 and float(eye[5].sum()) == 1.0
