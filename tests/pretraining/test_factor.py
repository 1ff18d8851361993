"""Factor model: exact identities, statistical checks against the exact fast-rate theory, rates.

Statistical tests use fixed keys (deterministic) and the shared sweeps of ``_setup`` (common random
numbers: OLS, pretraining and the oracle see the same labeled draw). Each docstring states the
false-failure rate of its assertions, computed from the seed spread.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.pretraining import _setup as S
from unlearnlab.lab.stats import holds_in_fraction, loglog_slope, normal_quantile
from unlearnlab.pretraining import (
    bound_factor,
    bound_supervised,
    erm_on_features,
    excess_risk_linear,
    fit_pretrain_erm,
    fit_pretrain_erm_moments,
    fit_supervised_ols,
    fit_supervised_ols_moments,
    mle_ppca,
    posterior_features,
    sample_cov_wishart,
    sample_factor,
    second_moment,
    sigma_eff2,
    sin_theta,
    theory_ols,
    theory_pretrain_oracle,
    w_star,
)

# ----------------------------------------------------------------------------- exact identities


def test_closed_forms_match_brute_force():
    """Exact: w*, sigma_eff^2 and the excess risk against dense linear algebra (1e-10)."""
    B, beta, sig = S.factor_params()
    B, beta = np.asarray(B), np.asarray(beta)
    Sx = B @ B.T + np.eye(S.D)
    ws = np.linalg.solve(Sx, B @ beta)
    np.testing.assert_allclose(np.asarray(w_star(B, beta)), ws, atol=1e-12)
    # Bayes risk: Var(y) - cov(x,y)^T Sigma_x^{-1} cov(x,y)
    bayes = beta @ beta + sig**2 - (B @ beta) @ ws
    np.testing.assert_allclose(float(sigma_eff2(B, beta, sig)), bayes, rtol=1e-12)
    w = np.random.default_rng(0).normal(size=S.D)
    risk = beta @ beta + sig**2 - 2 * w @ (B @ beta) + w @ Sx @ w
    np.testing.assert_allclose(float(excess_risk_linear(w, B, beta, sig)), risk - bayes, rtol=1e-10)


def test_ppca_population_recovers_B():
    """Exact: on the population covariance B B^T + I, B_hat B_hat^T = B B^T (1e-8)."""
    B, _, _ = S.factor_params()
    B_hat = mle_ppca(B @ B.T + jnp.eye(S.D), S.R)
    np.testing.assert_allclose(np.asarray(B_hat @ B_hat.T), np.asarray(B @ B.T), atol=1e-8)
    assert float(sin_theta(B_hat, B)) < 1e-7


def test_ppca_is_likelihood_maximiser():
    """Exact: the PPCA log-likelihood at B_hat beats random perturbations (and equals at B_hat R)."""
    B, _, _ = S.factor_params()
    C = np.asarray(sample_cov_wishart(jax.random.key(3), 200, B @ B.T + jnp.eye(S.D)))

    def loglik(Bm):
        Sig = Bm @ Bm.T + np.eye(S.D)
        return -0.5 * (np.linalg.slogdet(Sig)[1] + np.trace(np.linalg.solve(Sig, C)))

    B_hat = np.asarray(mle_ppca(C, S.R))
    ll = loglik(B_hat)
    rng = np.random.default_rng(1)
    for _ in range(20):
        assert loglik(B_hat + 1e-2 * rng.normal(size=B_hat.shape)) < ll
    Rm = np.linalg.qr(rng.normal(size=(S.R, S.R)))[0]
    np.testing.assert_allclose(loglik(B_hat @ Rm), ll, rtol=1e-12)


def test_raw_and_moment_paths_agree():
    """Exact: fit_* on raw data equals fit_*_moments on (X^T X/n, X^T y/n), and posterior features."""
    B, beta, sig = S.factor_params()
    X, y = sample_factor(jax.random.key(4), 120, B, beta, sig)
    Xu, _ = sample_factor(jax.random.key(5), 400, B, beta, sig)
    C = second_moment(Xu)
    Sxx, sxy = X.T @ X / 120, X.T @ y / 120
    np.testing.assert_allclose(
        fit_pretrain_erm(C, X, y, S.R), fit_pretrain_erm_moments(C, Sxx, sxy, S.R), atol=1e-12
    )
    np.testing.assert_allclose(
        fit_supervised_ols(X, y), fit_supervised_ols_moments(Sxx, sxy), atol=1e-10
    )
    np.testing.assert_allclose(
        fit_supervised_ols(X, y),
        np.linalg.lstsq(np.asarray(X), np.asarray(y), rcond=None)[0],
        atol=1e-10,
    )
    # the pretrain predictor is least squares of y on the posterior features (brute force)
    B_hat = mle_ppca(C, S.R)
    F = np.asarray(posterior_features(B_hat, X))
    theta = np.linalg.lstsq(F, np.asarray(y), rcond=None)[0]
    np.testing.assert_allclose(
        np.asarray(X) @ np.asarray(fit_pretrain_erm(C, X, y, S.R)), F @ theta, atol=1e-10
    )


@pytest.mark.claim("pretraining.invariance")
def test_transformation_invariance():
    """Exact (test 5): predictions unchanged under B_hat -> B_hat R, R in O(r) (1e-6 relative)."""
    B, beta, sig = S.factor_params()
    X, y = sample_factor(jax.random.key(6), 80, B, beta, sig)
    C = sample_cov_wishart(jax.random.key(7), 500, B @ B.T + jnp.eye(S.D))
    B_hat = mle_ppca(C, S.R)
    rng = np.random.default_rng(2)
    w0 = erm_on_features(B_hat, X, y)
    for ridge in (0.0, 0.3):
        w0 = erm_on_features(B_hat, X, y, ridge=ridge)
        for _ in range(3):
            Rm = np.linalg.qr(rng.normal(size=(S.R, S.R)))[0]
            w1 = erm_on_features(B_hat @ Rm, X, y, ridge=ridge)
            np.testing.assert_allclose(np.asarray(X @ w1), np.asarray(X @ w0), rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------------- statistical


@pytest.mark.claim("pretraining.ols_theory")
def test_ols_matches_theory():
    """Statistical (test 1): OLS mean excess within 8% of sigma_eff^2 d/(n-d-1), n_lab in {200,400,800}.

    2000 seeds (shared sweep); the seed CV of the OLS excess is about 0.25, so 8% is > 10 standard
    errors: false-failure rate < 1e-20 per assertion. The measured relative errors are also required
    to be within 4.5 of their own standard errors (two-sided normal tail 7e-6 each, 2e-5 in all).
    """
    out = S.big_sweep()
    B, beta, sig = S.factor_params()
    s2 = float(sigma_eff2(B, beta, sig))
    z = normal_quantile(1 - 2e-5 / 6)
    for n in (200, 400, 800):
        col = S.column(S.BIG_PAIRS, n, 1e4)
        ex = out["ols"][:, col]
        th = float(theory_ols(n, S.D, s2))
        rel = ex.mean() / th - 1
        se = ex.std(ddof=1) / np.sqrt(ex.size) / th
        assert abs(rel) < 0.08, (n, rel)
        assert abs(rel) < z * se, (n, rel, se)


@pytest.mark.claim("pretraining.pretrain_theory")
def test_pretrain_matches_theory():
    """Statistical (test 2): pretraining within 8% of sigma^2 r/(n-r-1) with the true B (oracle) and
    within 15% with n_unlab = 1e4 (n_lab <= 400).

    2000 seeds, seed CV about 0.83: standard error 1.9%, so 8% is 4.2 SE (one-sided tail 1.3e-5,
    two-sided 2.7e-5 per assertion); the n_unlab = 1e4 arm has a d/m bias of up to +6% (spec §4),
    leaving 9% = 4.7 SE. Seven assertions: false-failure rate < 2e-4.
    """
    out = S.big_sweep()
    B, beta, sig = S.factor_params()
    s2 = float(sigma_eff2(B, beta, sig))
    for n in S.BIG_N_LAB:
        col = S.column(S.BIG_PAIRS, n, 1e4)
        th = float(theory_pretrain_oracle(n, S.R, s2))
        assert abs(out["oracle"][:, col].mean() / th - 1) < 0.08, n
        if n <= 400:
            assert abs(out["pretrain"][:, col].mean() / th - 1) < 0.15, n


@pytest.mark.claim("pretraining.pretrain_rate")
@pytest.mark.claim("pretraining.ols_rate")
@pytest.mark.claim("pretraining.floor_slope")
def test_rates():
    """Slope (test 3): OLS -1 +- 0.1 against n-d-1; oracle pretraining in [-1.15, -0.85] against n;
    the paired floor excess(B_hat) - excess(B) in [-1.3, -0.7] against n_unlab at n_lab = 2000.

    Slopes of log mean excess; their seed-to-seed standard errors (about 0.01, 0.04 and < 0.01
    in the spec's prototype) put every band edge > 3.7 SE away: false-failure rate < 3e-4 in all.
    """
    big, small = S.big_sweep(), S.small_sweep()
    ols = [big["ols"][:, S.column(S.BIG_PAIRS, n, 1e4)].mean() for n in S.BIG_N_LAB]
    fit = loglog_slope(np.asarray(S.BIG_N_LAB) - S.D - 1, ols)
    assert -1.1 < fit.slope < -0.9, fit
    orc = [big["oracle"][:, S.column(S.BIG_PAIRS, n, 1e4)].mean() for n in S.BIG_N_LAB]
    fit = loglog_slope(S.BIG_N_LAB, orc)
    assert -1.15 < fit.slope < -0.85, fit
    cols = [S.column(S.SMALL_PAIRS, 2000, m) for m in S.FLOOR_N_UNLAB]
    floor = [(small["pretrain"][:, c] - small["oracle"][:, c]).mean() for c in cols]
    assert all(f > 0 for f in floor), floor
    fit = loglog_slope(S.FLOOR_N_UNLAB, floor)
    assert -1.3 < fit.slope < -0.7, fit


@pytest.mark.claim("pretraining.advantage")
def test_pretraining_advantage():
    """Statistical (test 4): for n_lab in [d+10, 1600] and n_unlab >= 10 d, mean pretrain excess
    <= 0.5 mean OLS excess, and pretrain <= OLS per seed in >= 95% of 200 seeds.

    The per-seed check is a binomial test (``holds_in_fraction``, target 0.95, false-failure rate
    1e-4 per grid point; 18 points: < 2e-3). The mean ratio is 0.03-0.35 on this grid (> 10 SE
    below 0.5).
    """
    small = S.small_sweep()
    for n in S.ADV_N_LAB:
        for m in S.ADV_N_UNLAB:
            c = S.column(S.SMALL_PAIRS, n, m)
            pre, ols = small["pretrain"][:, c], small["ols"][:, c]
            assert pre.mean() <= 0.5 * ols.mean(), (n, m, pre.mean() / ols.mean())
            ok, _ = holds_in_fraction(pre <= ols, 0.95, 1e-4)
            assert ok, (n, m, np.mean(pre <= ols))


@pytest.mark.claim("pretraining.bound_sanity")
def test_bound_sanity():
    """Statistical (test 6): excess <= the paper-shaped bounds (constants 1, delta = 0.1) in >= 90% of
    seeds for n_lab >= 100 (binomial check, false-failure 1e-4 per point); bounds monotone."""
    small = S.small_sweep()
    delta = 0.1
    for n in S.ADV_N_LAB[1:]:
        for m in S.ADV_N_UNLAB:
            c = S.column(S.SMALL_PAIRS, n, m)
            bf = float(bound_factor(S.D, S.R, m, n, delta))
            bs = float(bound_supervised(S.D, n, delta))
            assert holds_in_fraction(small["pretrain"][:, c] <= bf, 0.9, 1e-4)[0], (n, m)
            assert holds_in_fraction(small["ols"][:, c] <= bs, 0.9, 1e-4)[0], (n, m)
    ns = np.array([60.0, 100, 1000])
    assert np.all(np.diff(np.asarray(bound_factor(50, 3, 1e3, ns, delta))) < 0)
    assert np.all(np.diff(np.asarray(bound_factor(50, 3, ns * 10, 100, delta))) < 0)
    assert np.all(np.diff(np.asarray(bound_factor(ns, 3, 1e3, 100, delta))) > 0)
    assert np.all(np.diff(np.asarray(bound_supervised(ns, 100, delta))) > 0)
    assert float(bound_factor(50, 3, np.inf, 100, delta)) < float(
        bound_factor(50, 3, 1e4, 100, delta)
    )


def test_mle_consistency():
    """Slope (test 7): sin Theta(B_hat, B) decays like n_unlab^{-1/2}: slope -0.5 +- 0.1 (128 seeds).

    With 128 seeds the standard error of each log mean is < 3%, the slope's < 0.02: the band is
    > 5 SE wide on each side (false-failure rate < 1e-6).
    """
    B, _, _ = S.factor_params()
    Sigma = B @ B.T + jnp.eye(S.D)
    ms = (500.0, 2000.0, 8000.0, 32000.0)
    keys = jax.random.split(jax.random.key(8), 128)

    @jax.jit
    def run(keys, m):
        return jax.vmap(lambda k: sin_theta(mle_ppca(sample_cov_wishart(k, m, Sigma), S.R), B))(
            keys
        )

    means = [float(run(keys, m).mean()) for m in ms]
    fit = loglog_slope(ms, means)
    assert -0.6 < fit.slope < -0.4, (fit, means)


def test_wishart_twin():
    """Statistical (test 9): sample_cov_wishart has the law of second_moment of raw samples.

    d = 4, m = 12, 20000 draws of each: entrywise means equal Sigma and variances equal
    (Sigma_ij^2 + Sigma_ii Sigma_jj)/m [derived]. Each of the 10 distinct entries x 2 statistics x
    2 samplers is checked at a Bonferroni-adjusted normal tolerance, total false-failure rate 1e-4.
    """
    d, m, n = 4, 12, 20000
    A = np.random.default_rng(3).normal(size=(d, d))
    Sigma = jnp.asarray(A @ A.T + np.eye(d))
    L = jnp.linalg.cholesky(Sigma)
    keys = jax.random.split(jax.random.key(9), n)
    W = jax.vmap(lambda k: sample_cov_wishart(k, m, Sigma))(keys)
    R = jax.vmap(lambda k: second_moment(jax.random.normal(k, (m, d)) @ L.T))(keys)
    iu = np.triu_indices(d)
    Sg = np.asarray(Sigma)
    mean_th = Sg[iu]
    var_th = ((Sg**2 + np.outer(np.diag(Sg), np.diag(Sg))) / m)[iu]
    z = normal_quantile(1 - 1e-4 / (2 * 40))
    for draws in (np.asarray(W), np.asarray(R)):
        e = draws[:, iu[0], iu[1]]
        se_mean = e.std(axis=0, ddof=1) / np.sqrt(n)
        assert np.all(np.abs(e.mean(0) - mean_th) < z * se_mean)
        c = e - e.mean(0)
        v = c.var(axis=0, ddof=1)
        se_var = np.sqrt(((c**2 - v) ** 2).mean(0) / n)
        assert np.all(np.abs(v - var_th) < z * se_var)
