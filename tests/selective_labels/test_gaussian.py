"""Gaussian closed forms (invariants over random SPD matrices, hypothesis) and the testbed posterior."""

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unlearnlab.selective_labels import (
    conditioned_gaussian,
    conjugate_testbed_posterior,
    constrained_gaussian_posterior,
    constrained_gaussian_var,
)


def _spd(rng, d):
    B = rng.normal(size=(d, d))
    return B @ B.T + 0.5 * np.eye(d)


@pytest.mark.claim("domain_constraints.variance_reduction")
@given(
    d=st.sampled_from([2, 3, 5]),
    seed=st.integers(0, 2**31 - 1),
    logw=st.floats(-3.0, 4.0),
    orth=st.booleans(),
)
def test_constrained_gaussian_var(d, seed, logw, orth):
    """Invariant: Sherman-Morrison closed form = direct inverse (rtol 1e-10); Var_con <= Var;
    strict iff v^T Lambda^{-1} a != 0; conditioned_gaussian = inverse of the precision's kept block."""
    rng = np.random.default_rng(seed)
    L = _spd(rng, d)
    a, v = rng.normal(size=d), rng.normal(size=d)
    if orth:  # make v^T L^{-1} a = 0: v = L b with b orthogonal to a
        b = rng.normal(size=d)
        b -= a * (a @ b) / (a @ a)
        v = L @ b
    w = 10.0**logw
    got = float(constrained_gaussian_var(jnp.asarray(L), jnp.asarray(a), jnp.asarray(v), w))
    direct = v @ np.linalg.solve(L + 2 * w * np.outer(a, a), v)
    np.testing.assert_allclose(got, direct, rtol=1e-10)
    base = v @ np.linalg.solve(L, v)
    reduction = base - got
    assert reduction >= -1e-12 * base
    if orth:
        assert abs(reduction) <= 1e-9 * base
    else:
        c = v @ np.linalg.solve(L, a)
        assert abs(c) > 1e-8 and reduction > 0
    # hard-constraint limit: reduction < (v L^-1 a)^2 / (a L^-1 a)
    lim = (v @ np.linalg.solve(L, a)) ** 2 / (a @ np.linalg.solve(L, a))
    assert reduction <= lim * (1 + 1e-10) + 1e-14
    # expertise constraint: Schur complement
    cov = np.linalg.inv(L)
    mean = rng.normal(size=d)
    zero = [d - 1] if d < 5 else [1, 3]
    keep = [j for j in range(d) if j not in zero]
    m_c, c_c = conditioned_gaussian(jnp.asarray(mean), jnp.asarray(cov), zero)
    np.testing.assert_allclose(
        np.asarray(c_c)[np.ix_(keep, keep)],
        np.linalg.inv(L[np.ix_(keep, keep)]),
        rtol=1e-9,
        atol=1e-12,
    )
    np.testing.assert_array_equal(np.asarray(c_c)[zero], 0.0)
    np.testing.assert_array_equal(np.asarray(m_c)[zero], 0.0)
    # conditional mean = kept mean - L_kk^{-1} L_kz (0 - mean_z) ... via the precision form
    want_m = mean[keep] - np.linalg.solve(
        L[np.ix_(keep, keep)], L[np.ix_(keep, zero)] @ (0 - mean[zero])
    )
    np.testing.assert_allclose(np.asarray(m_c)[keep], want_m, rtol=1e-8, atol=1e-10)
    assert np.all(np.diag(np.asarray(c_c))[keep] <= np.diag(cov)[keep] * (1 + 1e-12))


@pytest.mark.claim("domain_constraints.variance_reduction")
def test_constrained_gaussian_posterior_direct():
    """Exact: the constrained mean/covariance equal the product of the two Gaussian factors."""
    rng = np.random.default_rng(0)
    L, m, a, c, w = _spd(rng, 4), rng.normal(size=4), rng.normal(size=4), 0.7, 3.0
    mean, cov = constrained_gaussian_posterior(jnp.asarray(m), jnp.asarray(L), jnp.asarray(a), c, w)
    P = L + 2 * w * np.outer(a, a)
    np.testing.assert_allclose(cov, np.linalg.inv(P), rtol=1e-10)
    # the mean maximises -0.5 (t-m)^T L (t-m) - w (a^T t - c)^2: gradient zero
    t = np.asarray(mean)
    np.testing.assert_allclose(-L @ (t - m) - 2 * w * (a @ t - c) * a, 0.0, atol=1e-10)


@pytest.mark.claim("domain_constraints.conjugate_nuts")
def test_conjugate_testbed_posterior_direct():
    """Exact: the testbed posterior = the dense Gaussian product (tested rows, prior, constraint)."""
    rng = np.random.default_rng(1)
    N, M = 50, 3
    X = np.concatenate([np.ones((N, 1)), rng.normal(size=(N, M - 1))], 1)
    T = (rng.random(N) < 0.6).astype(np.int32)
    Y = np.where(T == 1, X @ np.array([0.3, 1.0, -0.5]) + rng.normal(size=N), 0.0)
    mean, cov = conjugate_testbed_posterior(
        jnp.asarray(X), jnp.asarray(T), jnp.asarray(Y), 0.8, 2.0, 0.4, 5.0
    )
    Xt = X[T == 1]
    a = X.mean(0)
    P = Xt.T @ Xt / 0.64 + np.eye(M) / 4.0 + 10.0 * np.outer(a, a)
    np.testing.assert_allclose(cov, np.linalg.inv(P), rtol=1e-10)
    np.testing.assert_allclose(
        mean, np.linalg.solve(P, Xt.T @ Y[T == 1] / 0.64 + 10.0 * 0.4 * a), rtol=1e-10
    )
