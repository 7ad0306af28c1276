"""Implicit derivatives of the ``ilms2025`` solution (``ilms.solve_z``, ``ilms.outcomes``,
``ilms.welfare_pct_of``).

Where the expected numbers come from:

- Finite differences: every derivative is compared with the central difference
  (f(x + h) − f(x − h)) / 2h of the forward solve itself, re-solved to a tight tolerance
  (1e-13 on the small world, the default 1e-12 on the 194-country data).  With h = 1e-5 the
  truncation error is O(h²) ≈ 1e-10 relative and the solver noise about 1e-13 / h, so the
  two agree to about 1e-8 relative; the tests allow 1e-6.
- Forward against reverse mode: both are the same implicit derivative evaluated in two
  orders (a solve with ∂F/∂z against one with its transpose), so they agree to rounding;
  the tests allow 1e-10.
- Symmetry: in a world of two identical countries with symmetric tariffs, swapping the
  countries maps the world onto itself, so ∂W_0/∂t_ji = ∂W_1/∂t_σ(j)σ(i) with σ the swap
  (although the numeraire replaces the last country's wage equation only).
- Homogeneity: the equilibrium in changes is unchanged when every base flow is scaled by
  the same factor (all conditions are relative to incomes or to world spending), so by
  Euler's theorem Σ_ji X_ji ∂W/∂X_ji = 0 exactly.
- 194-country data: the US uniform tariff at the closed-form optimum of
  ``ilms.optimal_uniform_tariff``; only the finite-difference agreement is asserted (the
  closed form is evaluated at base shares, so it is not the exact optimum and the
  derivative there is not zero).
"""

import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from truce.data.sources.liberation_day import read_liberation_day
from truce.model import ilms

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "liberation_day_baci2023"

N = 5
TIGHT = 1e-13
H = 1e-5
FD_RTOL = 1e-6
MODES_RTOL = 1e-10


def small_world(n: int = N, seed: int = 0) -> tuple[ilms.IlmsData, np.ndarray]:
    """Random positive flows with large domestic sales, ν in [0.1, 0.3], and tariffs in
    [0, 0.3] off the diagonal."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(1.0, 10.0, (n, n)) + np.diag(rng.uniform(50.0, 100.0, n))
    nu = rng.uniform(0.1, 0.3, n)
    t = rng.uniform(0.0, 0.3, (n, n)) * (1.0 - np.eye(n))
    return ilms.data_from_flows(X, nu), t


def central_difference(f, x: float, h: float = H) -> float:
    return (float(f(x + h)) - float(f(x - h))) / (2.0 * h)


def welfare(data, t, rebate=ilms.INCOME_TAX, start_inverse=None, params=None):
    return ilms.welfare_pct_of(
        data, t, params, rebate=rebate, tol=TIGHT, start_inverse=start_inverse
    )


@pytest.fixture(scope="module")
def world():
    return small_world()


@pytest.mark.parametrize("rebate", [ilms.INCOME_TAX, ilms.LUMP_SUM])
@pytest.mark.parametrize("country", [0, N - 1])
def test_uniform_tariff_derivative_matches_finite_differences(world, rebate, country):
    # ∂W_c/∂s for t = t0 + s · (c's tariffs on all its imports); N − 1 is the country whose
    # wage equation the numeraire replaces.
    data, t0 = world
    mask = jnp.zeros((N, N)).at[:, country].set(1.0).at[country, country].set(0.0)
    t0 = jnp.asarray(t0)

    def f(s):
        return welfare(data, t0 + s * mask, rebate)[country]

    grad = float(jax.grad(f)(0.0))
    fd = central_difference(f, 0.0)
    assert grad == pytest.approx(fd, rel=FD_RTOL)
    assert abs(grad) > 1e-2  # a real dependence, not two zeros


@pytest.mark.parametrize("rebate", [ilms.INCOME_TAX, ilms.LUMP_SUM])
def test_full_tariff_gradient_matches_finite_differences(world, rebate):
    data, t0 = world
    country = 1
    t0 = jnp.asarray(t0)
    grad = np.asarray(jax.grad(lambda t: welfare(data, t, rebate)[country])(t0))
    fd = np.empty((N, N))
    for j in range(N):
        for i in range(N):
            e = jnp.zeros((N, N)).at[j, i].set(1.0)
            fd[j, i] = central_difference(
                lambda s, e=e: welfare(data, t0 + s * e, rebate)[country], 0.0
            )
    scale = np.max(np.abs(fd))
    np.testing.assert_allclose(grad, fd, rtol=FD_RTOL, atol=FD_RTOL * scale)
    assert scale > 1.0


def test_gradient_from_the_worlds_base_jacobian_is_the_same(world):
    # The start of the forward solve changes its iterates, not the root or its derivative.
    data, t0 = world
    start = ilms.base_inverse_jacobian(data)
    t0 = jnp.asarray(t0)
    plain = jax.jacrev(lambda t: welfare(data, t))(t0)
    started = jax.jacrev(lambda t: welfare(data, t, start_inverse=start))(t0)
    np.testing.assert_allclose(started, plain, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("rebate", [ilms.INCOME_TAX, ilms.LUMP_SUM])
def test_forward_and_reverse_mode_agree(world, rebate):
    data, t0 = world
    t0 = jnp.asarray(t0)

    def f(t):
        return welfare(data, t, rebate)

    rev = np.asarray(jax.jacrev(f)(t0))
    fwd = np.asarray(jax.jacfwd(f)(t0))
    assert rev.shape == (N, N, N)
    np.testing.assert_allclose(fwd, rev, rtol=MODES_RTOL, atol=MODES_RTOL * np.max(np.abs(rev)))
    # One directional derivative against the contraction of the reverse-mode Jacobian.
    direction = jnp.asarray(np.random.default_rng(1).normal(size=(N, N)))
    _, jvp = jax.jvp(f, (t0,), (direction,))
    np.testing.assert_allclose(
        jvp, np.einsum("cji,ji->c", rev, direction), rtol=MODES_RTOL, atol=1e-12
    )


def test_outcomes_are_jittable_and_differentiable(world):
    # The same equilibrium as solve(); any outcome field differentiates (here employment).
    data, t0 = world
    t0 = jnp.asarray(t0)
    eq = jax.jit(lambda t: ilms.outcomes(data, t, tol=TIGHT))(t0)
    ref = ilms.solve(data, t0, tol=TIGHT)
    assert bool(eq.converged) and int(eq.iterations) == int(ref.iterations)
    np.testing.assert_allclose(eq.welfare_pct, ref.welfare_pct, rtol=1e-12, atol=1e-12)

    def employment(s):
        return ilms.outcomes(data, t0 * s, tol=TIGHT).employment_pct[2]

    assert float(jax.grad(employment)(1.0)) == pytest.approx(
        central_difference(employment, 1.0), rel=FD_RTOL
    )


def test_parameter_derivative_matches_finite_differences(world):
    # ∂W/∂κ (labour-supply elasticity) through the implicit derivative in the parameters.
    data, t0 = world
    base = ilms.default_params(data)

    def f(kappa):
        prm = ilms.Params(eps=base.eps, kappa=kappa, psi=base.psi, phi_i=base.phi_i)
        return welfare(data, t0, params=prm)[3]

    k = float(base.kappa)
    grad = float(jax.grad(f)(jnp.asarray(k)))
    assert grad == pytest.approx(central_difference(f, k), rel=FD_RTOL)
    assert abs(grad) > 1e-3


def test_data_derivative_matches_finite_differences_and_is_homogeneous():
    data, t0 = small_world(seed=2)
    X0, nu = np.asarray(data.X_ji), np.asarray(data.nu_i)
    country = 0

    def f(X):
        return welfare(ilms.data_from_flows(X, nu), t0)[country]

    grad = np.asarray(jax.grad(f)(jnp.asarray(X0)))
    for j, i in [(0, 0), (1, 0), (0, 3), (2, 4)]:
        e = np.zeros((N, N))
        e[j, i] = X0[j, i]  # a relative change in one flow

        def along(s, e=e):
            return f(jnp.asarray(X0 + s * e))

        assert grad[j, i] * X0[j, i] == pytest.approx(central_difference(along, 0.0), rel=FD_RTOL)
    # Euler: W is homogeneous of degree zero in the base flows.
    elasticities = grad * X0
    assert abs(elasticities.sum()) <= 1e-10 * np.abs(elasticities).sum()
    assert np.abs(elasticities).sum() > 1e-2


def test_two_identical_countries_have_mirrored_gradients():
    X = np.array([[80.0, 12.0], [12.0, 80.0]])
    data = ilms.data_from_flows(X, np.array([0.2, 0.2]))
    t = jnp.array([[0.0, 0.15], [0.15, 0.0]])
    jac = np.asarray(jax.jacrev(lambda t: welfare(data, t))(t))  # [country, j, i]
    swap = np.array([[0, 1], [1, 0]])
    np.testing.assert_allclose(jac[0], swap @ jac[1] @ swap.T, rtol=1e-10, atol=1e-12)
    # Own tariff: ∂W_0/∂t_10 is what country 0 gains from taxing its imports; it differs
    # from the effect on 0 of the tariff it faces, so the check above is not vacuous.
    assert abs(jac[0, 1, 0] - jac[0, 0, 1]) > 1e-2


def test_us_uniform_tariff_derivative_on_the_data():
    if not (DATA / "countries.csv").is_file():
        pytest.skip(f"source data not found at {DATA} (../shared/data beside the repository)")
    source = read_liberation_day(DATA)
    data = ilms.build_data(source.flows_ji, source.gdp_i, source.us)
    us, n = source.us, len(source.iso3)
    start = ilms.base_inverse_jacobian(data)
    mask = jnp.zeros((n, n)).at[:, us].set(1.0).at[us, us].set(0.0)
    t_opt = float(ilms.optimal_uniform_tariff(data, us))

    def f(s):
        return ilms.welfare_pct_of(data, s * mask, start_inverse=start)[us]

    grad_f = jax.jit(jax.grad(f))
    grad = float(grad_f(t_opt))
    began = time.perf_counter()
    grad = float(grad_f(t_opt))
    elapsed = time.perf_counter() - began
    fd = central_difference(f, t_opt)
    print(
        f"US uniform tariff {t_opt:.6f} (closed form): dW_US/dt = {grad:.10g} pp per unit "
        f"(finite difference {fd:.10g}); one gradient {elapsed:.3f} s warm"
    )
    assert grad == pytest.approx(fd, rel=1e-6, abs=1e-8)
