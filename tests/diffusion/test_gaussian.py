"""Gaussian VP diffusion: exact scores, exact denoising loss, DDIM sampler (spec ``diffusion.md``).

Kinds: exact identities (float64 against brute-force oracles: autodiff of the log density, sigma
points, which integrate quadratics exactly), invariants (hypothesis), statistical checks (fixed keys,
false-failure rates in the docstrings), jit == no-jit.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from unlearnlab.diffusion import (
    concept_eps,
    ddim_law,
    ddim_sample,
    denoising_loss,
    denoising_loss_exact,
    exact_eps,
    exact_score,
    gaussian_fit_kl,
    gaussian_kl,
    marginal,
    vp_schedule,
)
from unlearnlab.lab.stats import loglog_slope

mvn_logpdf = jax.scipy.stats.multivariate_normal.logpdf


def _sigma_points(m, S):
    """2d points whose average integrates any quadratic exactly under N(m, S)."""
    d = m.shape[0]
    L = np.linalg.cholesky(S)
    return np.concatenate([m + np.sqrt(d) * L.T, m - np.sqrt(d) * L.T])


def _spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T / d + 0.2 * np.eye(d)


def test_schedule_values():
    """DDPM linear schedule: abar_0 = 1 - 1e-4, strictly decreasing, abar_999 = prod(1 - beta)."""
    ab = np.asarray(vp_schedule(50))
    betas = np.linspace(1e-4, 0.02, 1000)
    assert ab.shape == (50,) and abs(ab[0] - (1 - 1e-4)) < 1e-15
    assert np.all(np.diff(ab) < 0) and np.all((ab > 0) & (ab < 1))
    assert abs(ab[-1] - np.prod(1 - betas)) < 1e-15


def test_score_and_eps_are_autodiff_of_the_marginal():
    """exact_score = grad log N(x; alpha mu, alpha^2 Sigma + s^2 I), exact_eps = -s * score (1e-10)."""
    rng = np.random.default_rng(0)
    d = 5
    mu, S = rng.normal(size=d), _spd(rng, d)
    for ab in (0.999, 0.5, 0.01):
        m, C = marginal(ab, mu, S)
        np.testing.assert_allclose(m, np.sqrt(ab) * mu, atol=1e-14)
        x = rng.normal(size=d)
        g = jax.grad(lambda y: mvn_logpdf(y, m, C))(jnp.asarray(x))
        np.testing.assert_allclose(exact_score(x, ab, mu, S), g, atol=1e-10)
        np.testing.assert_allclose(exact_eps(x, ab, mu, S), -np.sqrt(1 - ab) * g, atol=1e-10)


def test_eps_is_posterior_mean_of_noise():
    """E[eps | x_t] by Gaussian conditioning of the joint (x_t, eps) equals exact_eps (1e-10)."""
    rng = np.random.default_rng(1)
    d = 4
    mu, S = rng.normal(size=d), _spd(rng, d)
    ab = 0.3
    a, s = np.sqrt(ab), np.sqrt(1 - ab)
    C = a**2 * S + s**2 * np.eye(d)
    x = rng.normal(size=d)
    cond = s * np.eye(d) @ np.linalg.solve(C, x - a * mu)  # Cov(eps, x_t) C^-1 (x - E x_t)
    np.testing.assert_allclose(exact_eps(x, ab, mu, S), cond, atol=1e-12)


@settings(max_examples=8)
@given(
    d=st.sampled_from([3, 6]),
    p=st.sampled_from([2, 4]),
    ab=st.floats(0.01, 0.99),
    seed=st.integers(0, 2**16),
)
def test_concept_eps_is_exact_eps_of_its_concept(d, p, ab, seed):
    """Invariant: concept_eps(x, t, e) = exact_eps(x, t, mu0 + W e, sigma0^2 I)."""
    rng = np.random.default_rng(seed)
    W, e, mu0, x = (
        rng.normal(size=(d, p)),
        rng.normal(size=p),
        rng.normal(size=d),
        rng.normal(size=d),
    )
    s0 = 0.7
    np.testing.assert_allclose(
        concept_eps(x, ab, e, W, mu0, s0),
        exact_eps(x, ab, mu0 + W @ e, s0**2 * np.eye(d)),
        atol=1e-10,
    )


@pytest.mark.claim("diffusion_unlearn.denoising_identity")
def test_denoising_loss_exact_is_noise_average(small):
    """G1: E_eps ||eps - eps_hat||^2 = d(1 - s^2/v)^2 + (s a / v)^2 ||x0 - mu0 - W e||^2, checked
    against the sigma-point average of the per-draw loss (a quadratic in eps: exact), 1e-10."""
    m = small
    rng = np.random.default_rng(2)
    x0 = m.mu_star + m.sigma0 * rng.normal(size=m.d)
    pts = _sigma_points(np.zeros(m.d), np.eye(m.d))
    for ab in m.alpha_bar[::7]:
        e = rng.normal(size=m.p)
        brute = np.mean([float(denoising_loss(x0, z, ab, e, m.W, m.mu0, m.sigma0)) for z in pts])
        exact = float(denoising_loss_exact(x0, ab, e, m.W, m.mu0, m.sigma0))
        a, s = np.sqrt(ab), np.sqrt(1 - ab)
        v = a**2 * m.sigma0**2 + s**2
        formula = m.d * (1 - s**2 / v) ** 2 + (s * a / v) ** 2 * np.sum((x0 - m.mu0 - m.W @ e) ** 2)
        assert abs(exact - brute) < 1e-10 * max(1.0, brute)
        assert abs(exact - formula) < 1e-10 * max(1.0, formula)


@pytest.mark.claim("diffusion_unlearn.denoising_identity")
def test_denoising_loss_monte_carlo(small):
    """Statistical: the mean of 20,000 per-draw losses is within 4 SE of the closed form at each of
    3 timesteps (two-sided normal tail 6.3e-5 each, false-failure rate <= 2e-4 by the union bound)."""
    m = small
    x0 = m.mu_star + 0.4
    e = m.E[1]
    f = jax.jit(jax.vmap(denoising_loss, in_axes=(None, 0, None, None, None, None, None)))
    for i, ab in enumerate(m.alpha_bar[[2, 20, 40]]):
        z = jax.random.normal(jax.random.fold_in(jax.random.key(3), i), (20_000, m.d))
        ls = np.asarray(f(x0, z, ab, e, m.W, m.mu0, m.sigma0))
        exact = float(denoising_loss_exact(x0, ab, e, m.W, m.mu0, m.sigma0))
        se = ls.std(ddof=1) / np.sqrt(ls.size)
        assert abs(ls.mean() - exact) <= 4 * se, (ls.mean(), exact, se)


def test_gaussian_kl_is_expected_log_ratio():
    """KL = E_{N1}[log N1 - log N2] (a quadratic: sigma points are exact), 1e-10."""
    rng = np.random.default_rng(4)
    d = 4
    m1, m2, S1, S2 = rng.normal(size=d), rng.normal(size=d), _spd(rng, d), _spd(rng, d)
    pts = _sigma_points(m1, S1)
    brute = np.mean([float(mvn_logpdf(x, m1, S1) - mvn_logpdf(x, m2, S2)) for x in pts])
    assert abs(float(gaussian_kl(m1, S1, m2, S2)) - brute) < 1e-10
    assert abs(float(gaussian_kl(m1, S1, m1, S1))) < 1e-12


def test_gaussian_fit_kl_is_kl_of_moments():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(50, 3))
    ref = gaussian_kl(x.mean(0), np.cov(x, rowvar=False), np.zeros(3), np.eye(3))
    assert abs(float(gaussian_fit_kl(x, np.zeros(3), np.eye(3))) - float(ref)) < 1e-12


def _ddim_brute(ab, mu, S, x):
    """DDIM written plainly in numpy for one starting point."""
    abs_ = list(ab[::-1]) + [1.0]
    for t, t2 in zip(abs_[:-1], abs_[1:]):
        a, s, a2, s2 = np.sqrt(t), np.sqrt(1 - t), np.sqrt(t2), np.sqrt(1 - t2)
        eps = np.asarray(exact_eps(x, t, mu, S))
        x = a2 * (x - s * eps) / a + s2 * eps
    return x


def test_ddim_sample_is_plain_ddim_and_law_is_its_pushforward():
    """ddim_sample equals a plain numpy DDIM loop from the same start (1e-10), and ddim_law is the
    exact push-forward of N(0, I) through that affine map (checked on basis points, 1e-10)."""
    rng = np.random.default_rng(6)
    d = 3
    mu, S = rng.normal(size=d), _spd(rng, d)
    ab = np.asarray(vp_schedule(10))
    key = jax.random.key(8)
    x = np.asarray(ddim_sample(key, ab, mu, S, 4))
    z = np.asarray(jax.random.normal(key, (4, d)))
    for i in range(4):
        np.testing.assert_allclose(x[i], _ddim_brute(ab, mu, S, z[i]), atol=1e-10)
    c = _ddim_brute(ab, mu, S, np.zeros(d))
    A = np.stack([_ddim_brute(ab, mu, S, np.eye(d)[j]) - c for j in range(d)], axis=1)
    m, P = ddim_law(ab, mu, S)
    np.testing.assert_allclose(m, c, atol=1e-10)
    np.testing.assert_allclose(P, A @ A.T, atol=1e-10)


@pytest.mark.claim("diffusion_unlearn.sampler_marginal")
def test_sampler_matches_its_exact_law_monte_carlo():
    """Statistical: 20,000 DDIM samples (50 steps, general Sigma) against the sampler's exact law
    N(m, P): n ||P^{-1/2}(xbar - m)||^2 ~ chi2_d (reject above its 1 - 1e-4 quantile), and the mean
    squared whitened norm (E = d, Var = 2d/n) within 4 SE. False-failure rate <= 1.6e-4."""
    rng = np.random.default_rng(9)
    d, n = 4, 20_000
    mu, S = rng.normal(size=d), _spd(rng, d)
    ab = np.asarray(vp_schedule(50))
    x = np.asarray(ddim_sample(jax.random.key(10), ab, mu, S, n))
    m, P = (np.asarray(v) for v in ddim_law(ab, mu, S))
    Li = np.linalg.inv(np.linalg.cholesky(P))
    zbar = Li @ (x.mean(0) - m)
    assert n * zbar @ zbar <= stats.chi2.ppf(1 - 1e-4, d)
    w = np.sum(((x - m) @ Li.T) ** 2, axis=1)
    assert abs(w.mean() - d) <= 4 * np.sqrt(2 * d / n)


@pytest.mark.slow
@pytest.mark.claim("diffusion_unlearn.sampler_marginal")
def test_sampler_discretisation_budget_is_second_order():
    """The exact law of 50-step DDIM is within KL 0.1 of the data law N(mu, sigma0^2 I) (d = 16,
    sigma0 = 0.5, the experiment's setting), and KL(ddim_law || data) decays with a fitted log-log
    slope in [-2.3, -1.7] over 25..100 steps (second order in the step: the KL is quadratic in the
    first-order moment error). The fit stops at 100 steps: the N(0, I) start leaves a floor
    (abar_999 = 4e-5) that does not depend on the step count and shows above ~400 steps."""
    rng = np.random.default_rng(11)
    d = 16
    mu, S = rng.normal(size=d), 0.25 * np.eye(d)
    ns = np.array([25, 50, 100])
    kl = np.array([float(gaussian_kl(*ddim_law(vp_schedule(int(k)), mu, S), mu, S)) for k in ns])
    assert kl[1] < 0.1 and np.all(np.diff(kl) < 0)
    fit = loglog_slope(ns, kl)
    assert -2.3 <= fit.slope <= -1.7, fit


def test_jit_equals_nojit_and_traced_once(small):
    """Every public entry point of gaussian.py: jit == eager (1e-12); one trace for two inputs."""
    m = small
    S = 0.3 * np.eye(m.d) + 0.1
    count = {"n": 0}

    def f(x, ab, e):
        count["n"] += 1
        return (
            marginal(ab, m.mu_star, S),
            exact_score(x, ab, m.mu_star, S),
            exact_eps(x, ab, m.mu_star, S),
            concept_eps(x, ab, e, m.W, m.mu0, m.sigma0),
            denoising_loss(x, x, ab, e, m.W, m.mu0, m.sigma0),
            denoising_loss_exact(x, ab, e, m.W, m.mu0, m.sigma0),
            ddim_law(m.alpha_bar, x, S),
            ddim_sample(jax.random.key(0), m.alpha_bar, x, S, 3),
            gaussian_kl(x, S, m.mu_star, S + np.eye(m.d)),
            gaussian_fit_kl(jnp.tile(x, (8, 1)) + jnp.eye(8, m.d), m.mu_star, S),
        )

    jf = jax.jit(f)
    for ab in (0.3, 0.8):
        x = m.mu_star + ab
        out, ref = jf(x, ab, m.E[2]), f(x, ab, m.E[2])
        for a, b in zip(jax.tree.leaves(out), jax.tree.leaves(ref)):
            np.testing.assert_allclose(a, b, atol=1e-12)
    assert count["n"] == 1 + 2


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: vp_schedule(50, beta_min=0.0), "beta_min"),
        (lambda: vp_schedule(50, beta_max=1.0), "beta_max"),
        (lambda: vp_schedule(50, beta_min=0.02, beta_max=0.01), "beta_max"),
        (lambda: marginal(1.0, np.zeros(2), np.eye(2)), "alpha_bar"),
        (lambda: marginal(0.0, np.zeros(2), np.eye(2)), "alpha_bar"),
        (lambda: exact_eps(np.zeros(2), 0.5, np.zeros(2), -np.eye(2)), "Sigma"),
        (lambda: exact_eps(np.zeros(2), 0.5, np.zeros(2), np.diag([1.0, 0.0])), "Sigma"),
        (lambda: exact_eps(np.zeros(3), 0.5, np.zeros(2), np.eye(2)), "x"),
        (
            lambda: concept_eps(np.zeros(2), 0.5, np.zeros(3), np.ones((2, 2)), np.zeros(2), 1.0),
            "e",
        ),
        (
            lambda: concept_eps(np.zeros(2), 0.5, np.zeros(2), np.ones((2, 2)), np.zeros(2), 0.0),
            "sigma0",
        ),
        (lambda: ddim_law(np.array([0.5, 0.9]), np.zeros(2), np.eye(2)), "alpha_bar"),
        (
            lambda: ddim_sample(jax.random.key(0), np.array([0.9, 0.5]), np.zeros(2), np.eye(2), 0),
            "n",
        ),
        (lambda: gaussian_fit_kl(np.ones((2, 2)), np.zeros(2), np.eye(2)), "x"),
    ],
)
def test_validation(call, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call()
