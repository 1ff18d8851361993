"""Bayes-error protection in a Gaussian world (spec Part B, B.7)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jax.scipy.special import ndtr

from unlearnlab.unlearning.bayes_error import (
    bayes_error_gaussian,
    bayes_error_mc,
    bayes_error_mixture_1d,
    kde_bayes_error,
    lda_population_fit,
    linear_clean_error,
    mahalanobis,
    optimal_classwise_shift,
    pga_classwise_shift,
    pga_samplewise,
    project_lp_ball,
)


def _spd(key, d):
    A = jax.random.normal(key, (d, d)) / math.sqrt(d)
    return A @ A.T + 0.5 * jnp.eye(d)


def test_bayes_error_mc(key):
    """Closed form vs Monte Carlo, n = 2e5: |diff| <= 4 sqrt(b(1-b)/n) + 1e-4 (FFR 6e-5)."""
    d = 3
    S = _spd(key, d)
    mu0 = jnp.zeros(d)
    mu1 = jnp.array([1.0, -0.5, 0.3])
    L = jnp.linalg.cholesky(S)
    Si = jnp.linalg.inv(S)
    for pi1 in (0.5, 0.3):
        b = float(bayes_error_gaussian(mu0, mu1, S, pi1))
        n = 200_000

        def samp(mu):
            return lambda k, m: mu + jax.random.normal(k, (m, d)) @ L.T

        def logp(mu):
            return lambda x: -0.5 * jnp.sum((x - mu) @ Si * (x - mu), axis=1)

        mc = float(
            bayes_error_mc(
                jax.random.fold_in(key, int(pi1 * 10)),
                samp(mu0),
                samp(mu1),
                logp(mu0),
                logp(mu1),
                n,
                pi1,
            )
        )
        assert abs(mc - b) <= 4 * math.sqrt(b * (1 - b) / n) + 1e-4


def test_equal_prior_case(key):
    S = _spd(key, 4)
    mu0, mu1 = jnp.zeros(4), jnp.ones(4)
    D = float(mahalanobis(mu1 - mu0, S))
    assert abs(float(bayes_error_gaussian(mu0, mu1, S)) - float(ndtr(-D / 2))) <= 1e-12


@given(st.integers(0, 10_000), st.sampled_from([0.2, 0.5, 0.7]))
def test_affine_invariance(seed, pi1):
    k = jax.random.key(seed)
    S = _spd(k, 3)
    mu0 = jax.random.normal(jax.random.fold_in(k, 1), (3,))
    mu1 = jax.random.normal(jax.random.fold_in(k, 2), (3,))
    A = jax.random.normal(jax.random.fold_in(k, 3), (3, 3)) + 2 * jnp.eye(3)
    b = jax.random.normal(jax.random.fold_in(k, 4), (3,))
    want = bayes_error_gaussian(mu0, mu1, S, pi1)
    got = bayes_error_gaussian(A @ mu0 + b, A @ mu1 + b, A @ S @ A.T, pi1)
    assert abs(float(got) - float(want)) <= 1e-10


@pytest.mark.claim("beo_gaussian.pga_optimum")
def test_pga_reaches_optimum(key):
    d = 4
    mu0, mu1 = jnp.zeros(d), jnp.zeros(d).at[0].set(2.0)
    for eps in (0.3, 0.7, 1.2):
        beta_cf = float(ndtr(-max(2.0 - 2 * eps, 0.0) / 2))
        b = pga_classwise_shift(mu0, mu1, jnp.eye(d), eps, 2, 0.25, 2000)[2][-1]
        assert abs(float(b) - beta_cf) <= 1e-6
    S = _spd(key, d)
    step = 0.25 / float(jnp.linalg.eigvalsh(jnp.linalg.inv(S))[-1])
    for eps in (0.3, 0.7):
        d0, d1 = optimal_classwise_shift(mu0, mu1, S, eps, 2)
        ref = float(bayes_error_gaussian(mu0 + d0, mu1 + d1, S))
        b = pga_classwise_shift(mu0, mu1, S, eps, 2, step, 2000)[2][-1]
        assert abs(float(b) - ref) <= 1e-5


def test_optimal_beta_monotone(key):
    S = _spd(key, 3)
    mu0, mu1 = jnp.zeros(3), jnp.array([1.5, 0.5, 0.0])
    for p in (2, "inf"):
        betas = []
        for eps in np.linspace(0.05, 2.0, 12):
            d0, d1 = optimal_classwise_shift(mu0, mu1, S, float(eps), p)
            betas.append(float(bayes_error_gaussian(mu0 + d0, mu1 + d1, S)))
        assert np.all(np.diff(betas) >= -1e-9)
        assert max(betas) <= 0.5 + 1e-12


@pytest.mark.claim("beo_gaussian.concavity")
@given(st.integers(0, 10_000))
def test_mixture_concavity(seed):
    k = jax.random.key(seed)
    m0 = jax.random.normal(k, (1,))
    m1 = m0 + 1.5 + jax.random.uniform(jax.random.fold_in(k, 1), (1,))
    d0, d1 = jax.random.normal(jax.random.fold_in(k, 2), (2,))
    pi1 = 0.4
    f = lambda p: float(
        bayes_error_mixture_1d(
            jnp.array([m0[0], m0[0] + d0]),
            jnp.array([m1[0], m1[0] + d1]),
            jnp.array([1 - p, p]),
            1.0,
            pi1,
        )
    )
    b0, b1 = f(0.0), f(1.0)
    for p in np.linspace(0, 1, 11):
        assert f(p) >= (1 - p) * b0 + p * b1 - 1e-6


def test_mixture_1d_matches_closed_form():
    b = bayes_error_mixture_1d(jnp.array([0.0]), jnp.array([2.0]), jnp.array([1.0]), 1.0)
    # trapezoid over a kink of min(p0, p1): error O(h^2), h = 1.3e-3 -> budget 1e-6 (as the spec)
    assert abs(float(b) - float(ndtr(-1.0))) <= 1e-6


@pytest.mark.claim("beo_gaussian.lda_above_bayes")
def test_lda_above_bayes(key):
    d = 3
    S = _spd(key, d)
    mu0, mu1 = jnp.zeros(d), jnp.array([1.5, 0.0, 0.5])
    bstar = float(bayes_error_gaussian(mu0, mu1, S, 0.5))
    s0 = jnp.array([0.3, 0.4, 0.0])
    s1 = -jnp.array([0.1, 0.4, 0.2])
    for p in np.linspace(0, 1, 11):
        Sp = S + p * (1 - p) * 0.5 * (jnp.outer(s0, s0) + jnp.outer(s1, s1))
        w, b = lda_population_fit(mu0 + p * s0, mu1 + p * s1, Sp, 0.5)
        assert float(linear_clean_error(w, b, mu0, mu1, S, 0.5)) >= bstar - 1e-12


@pytest.mark.slow
def test_kde_estimator(key):
    """Loose, documented: within 0.02 of beta* for d=2, n=5000, Silverman bandwidth."""
    n, d = 5000, 2
    y = (jax.random.uniform(key, (n,)) < 0.5).astype(jnp.float64)
    mu1 = jnp.array([1.5, 0.0])
    X = jax.random.normal(jax.random.fold_in(key, 1), (n, d)) + y[:, None] * mu1
    h = (4 / (d + 2)) ** (1 / (d + 4)) * n ** (-1 / (d + 4))
    assert abs(float(kde_bayes_error(X, y, h)) - float(ndtr(-0.75))) <= 0.02


def test_pga_samplewise_raises_estimate(key):
    n, d = 200, 2
    y = (jnp.arange(n) % 2).astype(jnp.float64)
    X = jax.random.normal(key, (n, d)) + y[:, None] * jnp.array([2.0, 0.0])
    delta = pga_samplewise(jax.random.fold_in(key, 1), X, y, 0.5, 2, 0.5, 20, 0.5)
    assert np.all(np.linalg.norm(np.asarray(delta), axis=1) <= 0.5 * (1 + 1e-9))
    assert float(kde_bayes_error(X + delta, y, 0.5)) > float(kde_bayes_error(X, y, 0.5))


@given(st.integers(0, 10_000), st.sampled_from([2, "inf"]), st.floats(0.01, 3.0))
def test_projection_feasible(seed, p, eps):
    v = 3 * jax.random.normal(jax.random.key(seed), (5,))
    q = project_lp_ball(v, eps, p)
    nrm = float(jnp.linalg.norm(q)) if p == 2 else float(jnp.max(jnp.abs(q)))
    assert nrm <= eps * (1 + 1e-9)


def test_bad_input_raises():
    mu0, mu1 = jnp.zeros(2), jnp.ones(2)
    with pytest.raises(ValueError, match="positive definite"):
        bayes_error_gaussian(mu0, mu1, -jnp.eye(2))
    with pytest.raises(ValueError, match="symmetric"):
        bayes_error_gaussian(mu0, mu1, jnp.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="pi1"):
        bayes_error_gaussian(mu0, mu1, jnp.eye(2), 1.0)
    with pytest.raises(ValueError, match="eps"):
        optimal_classwise_shift(mu0, mu1, jnp.eye(2), 0.0)
    with pytest.raises(ValueError, match="p"):
        project_lp_ball(mu1, 1.0, 1)
    with pytest.raises(ValueError, match="h"):
        kde_bayes_error(jnp.ones((4, 2)), jnp.ones(4), 0.0)


@pytest.mark.claim("beo_gaussian.beo_vs_shortcut")
def test_beo_shift_keeps_lda_rule():
    """Sigma = I, delta_1 = -delta_0 = -eps u: LDA stays along d with the midpoint threshold, so its
    clean error equals beta* for every p (derived; the opposite of the spec's expectation)."""
    d = 3
    mu0, mu1 = jnp.zeros(d), jnp.array([2.0, 0.0, 0.0])
    u = jnp.array([1.0, 0.0, 0.0])
    perp = jnp.array([0.0, 1.0, 0.0])
    bstar = float(bayes_error_gaussian(mu0, mu1, jnp.eye(d)))
    prev = None
    for p in np.linspace(0, 1, 11):
        for name, (s0, s1) in {
            "beo": (0.6 * u, -0.6 * u),
            "shortcut": (-0.6 * perp, 0.6 * perp),
        }.items():
            Sp = jnp.eye(d) + p * (1 - p) * 0.5 * (jnp.outer(s0, s0) + jnp.outer(s1, s1))
            w, b = lda_population_fit(mu0 + p * s0, mu1 + p * s1, Sp, 0.5)
            err = float(linear_clean_error(w, b, mu0, mu1, jnp.eye(d), 0.5))
            if name == "beo":
                assert abs(err - bstar) <= 1e-12
            else:
                assert err >= bstar - 1e-12
                if prev is not None:
                    assert err >= prev - 1e-12
                prev = err
    assert prev > bstar + 1e-3
