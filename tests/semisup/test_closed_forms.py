"""Closed forms of unlearnlab.semisup: the robust 0-1 loss, the generic robust loss, exact risks.

Exact identities (float64 vs brute force), invariants (hypothesis) and one statistical check
(exact risk vs Monte Carlo) live in separate test functions.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unlearnlab.semisup import (
    bayes_risk_iso,
    risk_linear_aniso,
    risk_linear_iso,
    robust_loss_01_linear,
    robust_loss_generic,
    sample_gmm2,
)

T_GRID = jnp.linspace(0.0, 5.0, 200_001)  # h = 2.5e-5
H = 5.0 / 200_000


def _random_instances(key, n=64, d=5, gmin=0.05, gmax=4.0):
    kt, kx, ky, kg = jax.random.split(key, 4)
    theta = jax.random.normal(kt, (d,))
    X = jax.random.normal(kx, (n, d))
    y = jnp.where(jax.random.bernoulli(ky, 0.5, (n,)), 1.0, -1.0)
    gam = jax.random.uniform(kg, (n,), minval=gmin, maxval=gmax)
    return theta, X, y, gam


@pytest.mark.claim("semisup_dro.robust_loss_closed_form")
def test_robust_loss_closed_form(key):
    """Exact: phi^01_gamma equals sup_{t in [0,5]} 1(u - t <= 0) - gamma t^2 on a 200 001-point grid.

    The grid maximum is below the supremum (attained at t = u <= 1/sqrt(gamma) < 5) by at most
    2 sqrt(gamma) h + gamma h^2 (h the grid step); it never exceeds it.
    """
    theta, X, y, gam = _random_instances(key, n=32)
    closed = jax.vmap(lambda x, yy, g: robust_loss_01_linear(theta, x, yy, g))(X, y, gam)
    u = y * (X @ theta) / jnp.linalg.norm(theta)
    brute = jax.jit(
        lambda u, g: jax.vmap(lambda uu, gg: jnp.max((uu - T_GRID <= 0) - gg * T_GRID**2))(u, g)
    )(u, gam)
    tol = 2 * jnp.sqrt(gam) * H + gam * H**2
    assert np.all(np.asarray(brute) <= np.asarray(closed) + 1e-12)
    assert np.all(np.asarray(closed - brute) <= np.asarray(tol))
    # the batched form equals the per-point form
    batched = robust_loss_01_linear(theta, X, y, 1.7)
    per = jax.vmap(lambda x, yy: robust_loss_01_linear(theta, x, yy, 1.7))(X, y)
    np.testing.assert_allclose(batched, per, rtol=0, atol=1e-15)


@given(
    d=st.sampled_from([2, 5]),
    seed=st.integers(0, 2**31 - 1),
    g1=st.floats(0.01, 50.0),
    g2=st.floats(0.01, 50.0),
)
def test_robust_loss_invariants(d, seed, g1, g2):
    """Invariants: phi >= the 0-1 loss; phi non-increasing in gamma; phi -> the 0-1 loss as gamma -> inf."""
    k1, k2, k3 = jax.random.split(jax.random.key(seed), 3)
    theta = jax.random.normal(k1, (d,))
    X = jax.random.normal(k2, (16, d))
    y = jnp.where(jax.random.bernoulli(k3, 0.5, (16,)), 1.0, -1.0)
    u = y * (X @ theta) / jnp.linalg.norm(theta)
    loss01 = (u <= 0).astype(float)
    lo, hi = min(g1, g2), max(g1, g2)
    p_lo = robust_loss_01_linear(theta, X, y, lo)
    p_hi = robust_loss_01_linear(theta, X, y, hi)
    assert np.all(np.asarray(p_lo) >= np.asarray(loss01))
    assert np.all(np.asarray(p_hi) <= np.asarray(p_lo) + 1e-15)
    assert np.all((np.asarray(p_lo) >= 0) & (np.asarray(p_lo) <= 1))
    far = np.abs(np.asarray(u)) >= 1e-4  # (1 - gamma u^2)_+ = 0 once gamma >= 1/u^2
    p_inf = robust_loss_01_linear(theta, X, y, 1e9)
    np.testing.assert_array_equal(np.asarray(p_inf)[far], np.asarray(loss01)[far])


def _logistic(theta, z, y):
    return jax.nn.softplus(-y * (theta @ z))


def test_robust_loss_generic_logistic(key):
    """Exact (to the ascent's accuracy): the inner-ascent robust logistic loss vs a 1-D grid.

    For a linear loss the adversary moves along theta_hat: phi = sup_t softplus(r (t - u)) - gamma t^2
    with r = ||theta||. With gamma > L/2 = r^2/8, lr = 1/(2 gamma) and 200 steps the ascent is
    within 1e-3 (the grid error is second order, below 1e-8). Also the Danskin gradient equals
    the gradient of the loss at the maximiser.
    """
    theta, X, y, _ = _random_instances(key, n=12, d=4)
    theta = theta / jnp.linalg.norm(theta)  # r = 1, L/2 = 1/8
    t = jnp.linspace(0.0, 5.0, 200_001)

    @jax.jit
    def both(gamma):
        got = jax.vmap(
            lambda x, yy: robust_loss_generic(
                _logistic, theta, x, yy, gamma, steps=200, lr=1 / (2 * gamma)
            )
        )(X, y)
        u = y * (X @ theta)
        brute = jax.vmap(lambda uu: jnp.max(jax.nn.softplus(t - uu) - gamma * t**2))(u)
        return got, brute

    for gamma in (0.5, 1.0, 4.0):
        got, brute = both(jnp.asarray(gamma))
        np.testing.assert_allclose(got, brute, atol=1e-3, rtol=0)
        assert np.all(np.asarray(got) <= np.asarray(brute) + 1e-8)
    # Danskin: d phi / d theta = grad_theta loss(theta, z*, y) with z* fixed
    x0, y0 = X[0], y[0]
    g = jax.grad(lambda th: robust_loss_generic(_logistic, th, x0, y0, 2.0, steps=200, lr=0.25))(
        theta
    )
    # z* by the same ascent, then the plain gradient of the loss there
    inner = jax.grad(lambda zz: _logistic(theta, zz, y0) - 2.0 * jnp.sum((zz - x0) ** 2))
    z = jax.lax.fori_loop(0, 200, lambda s, zz: zz + 0.25 / (s + 1.0) * inner(zz), x0)
    np.testing.assert_allclose(g, jax.grad(_logistic)(theta, z, y0), atol=1e-10)


def test_risk_closed_form(key):
    """Statistical: exact risks vs the Monte-Carlo 0-1 error on N = 2e5 draws.

    Tolerance 4 sqrt(p(1-p)/N) (about 0.004): a two-sided normal tail of 6e-5 per comparison, 3
    comparisons, so the false-failure rate is below 2e-4 (fixed keys make the test deterministic).
    """
    N = 200_000
    k1, k2, k3, k4, k5 = jax.random.split(key, 5)
    d = 6
    mu = jax.random.normal(k1, (d,)) * 0.5
    theta = mu + 0.7 * jax.random.normal(k2, (d,))
    mc_err = jax.jit(
        lambda k, s: (lambda Xy: jnp.mean(Xy[1] * (Xy[0] @ theta) <= 0))(sample_gmm2(k, N, mu, s))
    )
    for sigma in (0.8, 1.5):
        mc = float(mc_err(jax.random.fold_in(k3, int(10 * sigma)), sigma))
        p = float(risk_linear_iso(theta, mu, sigma))
        assert abs(mc - p) <= 4 * np.sqrt(p * (1 - p) / N), (mc, p)
    # anisotropic: X | y ~ N(y mu, Sigma)
    A = jax.random.normal(k4, (d, d))
    Sigma = A @ A.T / d + 0.3 * jnp.eye(d)
    L = jnp.linalg.cholesky(Sigma)

    @jax.jit
    def mc_aniso(k):
        ky, kz = jax.random.split(k)
        y = jnp.where(jax.random.bernoulli(ky, 0.5, (N,)), 1.0, -1.0)
        X = y[:, None] * mu + jax.random.normal(kz, (N, d)) @ L.T
        return jnp.mean(y * (X @ theta) <= 0)

    mc = float(mc_aniso(k5))
    p = float(risk_linear_aniso(theta, mu, Sigma))
    assert abs(mc - p) <= 4 * np.sqrt(p * (1 - p) / N), (mc, p)


def test_risk_identities():
    """Exact: the isotropic risk is the anisotropic one at Sigma = sigma^2 I, is scale invariant in
    theta, and equals the Bayes risk at theta = mu."""
    mu = jnp.array([0.3, -1.2, 0.5])
    theta = jnp.array([1.0, -0.5, 2.0])
    np.testing.assert_allclose(
        risk_linear_iso(theta, mu, 1.3), risk_linear_aniso(theta, mu, 1.69 * jnp.eye(3)), atol=1e-14
    )
    np.testing.assert_allclose(
        risk_linear_iso(7.0 * theta, mu, 1.3), risk_linear_iso(theta, mu, 1.3), atol=1e-15
    )
    np.testing.assert_allclose(risk_linear_iso(mu, mu, 0.9), bayes_risk_iso(mu, 0.9), atol=1e-15)
    np.testing.assert_allclose(
        bayes_risk_iso(jnp.array([1.0, 0.0]), 1.0), 0.15865525393145707, atol=1e-14
    )
