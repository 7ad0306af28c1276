"""Implicit differentiation of a root (truce.model.implicit).

Expected values come from closed forms: the root z(a) of z³ + z − a has
dz/da = 1/(3z² + 1) and d²z/da² = −6z/(3z² + 1)³.  The compiled derivatives of the
equilibrium solve are checked to carry no host callback, which JAX's persistent
compilation cache refuses to keep.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from truce.data.synthetic import synthetic_baseline
from truce.model.baseline import no_shock
from truce.model.implicit import implicit_root
from truce.model.solve import solve_differentiable


def _newton(inputs):
    """z³ + z = a by Newton's method, elementwise (never differentiated itself)."""
    (a,) = inputs
    a = jax.lax.stop_gradient(a)

    def step(_, z):
        return z - (z**3 + z - a) / (3 * z**2 + 1)

    z = jax.lax.fori_loop(0, 60, step, jnp.zeros_like(a))
    return z, (z, jnp.asarray(60))


def _cubic(z, aux, inputs):
    (a,) = inputs
    return z**3 + z - a


def _root(a, matrix_free=False):
    return implicit_root(_newton, _cubic, (a,), matrix_free=matrix_free)[0]


@pytest.mark.parametrize("matrix_free", [False, True], ids=["lu", "gmres"])
def test_first_and_second_derivatives_match_the_closed_form(matrix_free):
    a = jnp.asarray([0.5, 2.0, -3.0])

    def _root_here(a):
        return _root(a, matrix_free)

    z = _root_here(a)
    np.testing.assert_allclose(z**3 + z, a, rtol=1e-14)
    first = 1.0 / (3 * z**2 + 1)
    second = -6 * z / (3 * z**2 + 1) ** 3
    jacobians = (jax.jacfwd(_root_here)(a), jax.jacrev(_root_here)(a))
    for jacobian in jacobians:
        np.testing.assert_allclose(jacobian, jnp.diag(first), rtol=1e-10, atol=1e-15)

    def one(x):
        return _root_here(jnp.full(1, x))[0]

    for x, expected in zip(a, second, strict=True):
        assert float(jax.jacfwd(jax.jacfwd(one))(x)) == pytest.approx(float(expected), rel=1e-10)
        assert float(jax.jacrev(jax.jacfwd(one))(x)) == pytest.approx(float(expected), rel=1e-10)


def test_aux_carries_no_derivative():
    def aux_of(a):
        return implicit_root(_newton, _cubic, (a,))[1][0]

    tangent = jax.jvp(aux_of, (jnp.ones(2),), (jnp.ones(2),))[1]
    np.testing.assert_array_equal(tangent, 0.0)


def test_compiled_derivatives_of_a_solve_carry_no_host_callback():
    baseline = synthetic_baseline(4, 3, seed=5)
    shock = no_shock(baseline)

    def welfare(scale):
        this = type(shock)(
            tau_sni=shock.tau_sni * scale, cost_sni=shock.cost_sni, deficit_n=shock.deficit_n
        )
        return solve_differentiable(baseline, this).income_n.sum()

    for program in (jax.grad(welfare), jax.grad(jax.grad(welfare))):
        text = jax.jit(program).lower(1.1).as_text()
        assert "callback" not in text


def _cube_root(inputs):
    (a,) = inputs
    return jnp.cbrt(jax.lax.stop_gradient(a)), jnp.asarray(0)


def _cube(z, aux, inputs):
    (a,) = inputs
    return z**3 - a


@pytest.mark.parametrize("matrix_free", [False, True], ids=["lu", "gmres"])
def test_a_singular_jacobian_gives_a_derivative_that_is_not_finite(matrix_free):
    # z³ = a at a = 0: ∂F/∂z = 3z² = 0, so dz/da does not exist; the rule must say so
    # (a non-finite tangent) rather than return a number.
    def root(a):
        return implicit_root(_cube_root, _cube, (a,), matrix_free=matrix_free)[0]

    assert float(root(jnp.zeros(1))[0]) == 0.0
    assert not np.all(np.isfinite(jax.jacfwd(root)(jnp.zeros(1))))
    assert np.all(np.isfinite(jax.jacfwd(root)(jnp.full(1, 8.0))))  # dz/da = 1/12 there
    np.testing.assert_allclose(jax.jacfwd(root)(jnp.full(1, 8.0)), [[1.0 / 12.0]], rtol=1e-10)
