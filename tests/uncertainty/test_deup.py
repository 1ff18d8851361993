"""DEUP in Bayesian linear regression (arXiv:2102.08501; spec 3.7, issue 21).

Kinds: exact identities (closed forms vs dense numpy / Gauss-Legendre oracles, float64), statistical
claims (Monte Carlo vs closed form with a stated false-failure rate: each per-point check is a
two-sided 4.5-SE CLT band, false-failure rate 6.8e-6 per point, union bound over the points), rate
claims (fitted log-log slope in a band; `slow`), API (jit == no-jit, bad input).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unlearnlab.lab.stats import loglog_slope
from unlearnlab.uncertainty import (
    bayes_excess_mc,
    blr_posterior,
    deup_fit,
    deup_predict,
    excess_risk,
    expected_excess_fixed_design,
    l2_projection,
    misspecified_target,
    polynomial_features,
    predictive_variance,
    sample_regression,
    spearman,
)

TAU2, SIG2 = 10.0, 0.1
Z = 4.5  # two-sided normal tail 6.8e-6 per check
XQ = np.linspace(-2.0, 2.0, 9)  # query points, OOD outside [-1, 1]


def _design(n):
    """Fixed design: the midpoints of n equal cells of [-1, 1] (quadrature of U[-1, 1])."""
    return -1.0 + (2.0 * np.arange(n) + 1.0) / n


# ----------------------------------------------------------------------------- exact identities


def test_blr_posterior_matches_gaussian_conditioning():
    """(m, S) equal the conditional law of theta given y in the joint Gaussian (theta, y)."""
    x, y = sample_regression(jax.random.key(3), 12, -1.0, 1.0)
    Phi = np.asarray(polynomial_features(x, 2))
    y = np.asarray(y)
    m, S = blr_posterior(Phi, y, TAU2, SIG2)
    Cty = TAU2 * Phi.T  # Cov(theta, y)
    Cyy = TAU2 * Phi @ Phi.T + SIG2 * np.eye(12)
    m_ref = Cty @ np.linalg.solve(Cyy, y)
    S_ref = TAU2 * np.eye(3) - Cty @ np.linalg.solve(Cyy, Cty.T)
    np.testing.assert_allclose(m, m_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(S, S_ref, rtol=1e-9, atol=1e-12)
    q = np.asarray(polynomial_features(XQ, 2))
    np.testing.assert_allclose(predictive_variance(q, S), np.diag(q @ S_ref @ q.T), rtol=1e-9)
    fs, _ = misspecified_target(XQ)
    np.testing.assert_allclose(excess_risk(q, m, fs), (q @ m_ref - np.asarray(fs)) ** 2, rtol=1e-9)


def test_expected_excess_fixed_design_closed_form():
    """bias^2 + phi' A diag(noise) A' phi with A = S Phi' / sigma2 written out densely; with zero
    noise it is the squared bias."""
    xt = _design(20)
    Phi = np.asarray(polynomial_features(xt, 1))
    ft, nv = (np.asarray(a) for a in misspecified_target(xt))
    q = np.asarray(polynomial_features(XQ, 1))
    fq, _ = misspecified_target(XQ)
    _, S = blr_posterior(Phi, ft, TAU2, SIG2)
    A = np.asarray(S) @ Phi.T / SIG2
    bias = q @ A @ ft - np.asarray(fq)
    want = bias**2 + np.einsum("kn,n,kn->k", q @ A, nv, q @ A)
    got, b2 = expected_excess_fixed_design(Phi, ft, nv, TAU2, SIG2, q, fq)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    np.testing.assert_allclose(b2, bias**2, rtol=1e-10)
    got0, _ = expected_excess_fixed_design(Phi, ft, 0 * nv, TAU2, SIG2, q, fq)
    np.testing.assert_allclose(got0, bias**2, rtol=1e-10)


def test_l2_projection_of_the_cubic_is_exact():
    """Under U[-1, 1], x^3 projects on span(1, x) to (3/5) x, so f* projects to (0.3, 1 - 0.6*3/5)."""
    nodes, w = np.polynomial.legendre.leggauss(8)
    P = np.asarray(polynomial_features(nodes, 1))
    fs, _ = misspecified_target(nodes)
    np.testing.assert_allclose(l2_projection(P, fs, w / 2), [0.3, 0.64], atol=1e-13)


def test_deup_fit_recovers_a_noiseless_degree_six_target():
    """Least squares on exact targets psi' beta recovers beta; deup_predict subtracts and clips."""
    x = np.linspace(-2, 2, 40)
    Psi = np.asarray(polynomial_features(x, 6))
    beta = np.array([0.2, -0.1, 0.3, 0.0, 0.05, 0.01, 0.002])
    coef = deup_fit(Psi, Psi @ beta - (Psi @ beta).min(), 0.0)
    beta0 = beta.copy()
    beta0[0] -= (Psi @ beta).min()
    np.testing.assert_allclose(coef, beta0, atol=1e-9)
    s2 = np.full(40, 0.1)
    np.testing.assert_allclose(
        deup_predict(coef, Psi, s2), np.maximum(Psi @ beta0 - 0.1, 0), atol=1e-9
    )


def test_spearman_matches_scipy():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=30), rng.normal(size=30)
    b2 = a + 0.5 * b
    for u, v in ((a, b), (a, b2), (a, a**3)):
        assert abs(float(spearman(u, v)) - spearmanr(u, v).statistic) < 1e-12
    assert float(spearman(np.ones(5), np.arange(5.0))) == 0.0


# ----------------------------------------------------------------------------- statistical claims


@pytest.mark.claim("deup_linear.bayes_identity")
def test_well_specified_posterior_variance_is_prior_averaged_excess_risk():
    """Prop. D1: E_{theta* ~ prior, noise}[(f_hat(x) - f*(x))^2] = phi(x)' S phi(x) exactly, checked by
    Monte Carlo: 6000 draws, each of the 9 query points within 4.5 SE (false-failure rate
    <= 9 * 6.8e-6 = 6.1e-5)."""
    xt = _design(15)
    Phi = np.asarray(polynomial_features(xt, 1))
    q = np.asarray(polynomial_features(XQ, 1))
    _, S = blr_posterior(Phi, np.zeros(15), TAU2, SIG2)
    v = np.asarray(predictive_variance(q, S))
    keys = jax.random.split(jax.random.key(11), 6000)
    d = np.asarray(jax.vmap(lambda k: bayes_excess_mc(k, Phi, TAU2, SIG2, q))(keys))
    mean, se = d.mean(0), d.std(0, ddof=1) / np.sqrt(d.shape[0])
    assert np.all(np.abs(mean - v) <= Z * se), (mean, v, se)


@pytest.mark.claim("deup_linear.deup_consistent")
def test_expected_squared_residual_is_aleatoric_plus_excess():
    """Prop. D3 (identity): E[(y - f_hat(x))^2 | x, f_hat] = sigma^2(x) + e*(x). Monte Carlo over
    20000 fresh y at each of 9 points, 4.5 SE (false-failure rate <= 6.1e-5)."""
    x, y = sample_regression(jax.random.key(5), 40, -1.0, 1.0)
    m, _ = blr_posterior(polynomial_features(x, 1), y, TAU2, SIG2)
    q = np.asarray(polynomial_features(XQ, 1))
    fs, nv = (np.asarray(a) for a in misspecified_target(XQ))
    e = np.asarray(excess_risk(q, m, fs))
    eps = np.asarray(jax.random.normal(jax.random.key(6), (20000, 9)))
    r2 = (fs + np.sqrt(nv) * eps - q @ np.asarray(m)) ** 2
    mean, se = r2.mean(0), r2.std(0, ddof=1) / np.sqrt(20000)
    assert np.all(np.abs(mean - (nv + e)) <= Z * se)


def _deup_setup(n_err, key):
    """A fixed main predictor (n = 40 in [-1, 1]) and a fixed held-out design of n_err points in
    [-2, 2]; returns what the error-fit test needs."""
    x, y = sample_regression(jax.random.key(5), 40, -1.0, 1.0)
    m, _ = blr_posterior(polynomial_features(x, 1), y, TAU2, SIG2)
    xe = np.asarray(jax.random.uniform(key, (n_err,), minval=-2.0, maxval=2.0))
    fe, ve = (np.asarray(a) for a in misspecified_target(xe))
    delta = fe - np.asarray(polynomial_features(xe, 1)) @ np.asarray(m)
    return m, xe, fe, ve, delta


@pytest.mark.claim("deup_linear.deup_consistent")
def test_error_predictor_ise_matches_its_sandwich_expectation():
    """Prop. D3 (consistency): on a fixed held-out design the OLS error predictor is unbiased (its
    class holds sigma^2 + e*), so E ISE(e_hat - sigma^2, e*) = mean_grid psi' (P'P)^-1 P' diag(Var r^2)
    P (P'P)^-1 psi with Var r^2 = 4 delta^2 sigma^2 + 2 sigma^4. 300 noise replicates: the mean ISE is
    within 4.5 SE of it (false-failure rate 6.8e-6); the clipped u_hat is never worse than e_hat -
    sigma^2 (contraction onto [0, inf), exact)."""
    n_err = 600
    m, xe, fe, ve, delta = _deup_setup(n_err, jax.random.key(21))
    Pe = np.asarray(polynomial_features(xe, 6))
    grid = np.linspace(-2, 2, 81)
    Pg = np.asarray(polynomial_features(grid, 6))
    fg, vg = (np.asarray(a) for a in misspecified_target(grid))
    eg = np.asarray(excess_risk(polynomial_features(grid, 1), m, fg))
    G = np.linalg.inv(Pe.T @ Pe)
    C = G @ Pe.T @ ((4 * delta**2 * ve + 2 * ve**2)[:, None] * Pe) @ G
    want = float(np.mean(np.einsum("kq,qr,kr->k", Pg, C, Pg)))

    fit = jax.jit(lambda r2: deup_fit(Pe, r2, 0.0))
    eps = np.asarray(jax.random.normal(jax.random.key(22), (300, n_err)))
    ise, ise_clip = [], []
    for row in eps:
        coef = fit((delta + np.sqrt(ve) * row) ** 2)
        raw = Pg @ np.asarray(coef) - vg
        ise.append(np.mean((raw - eg) ** 2))
        ise_clip.append(np.mean((np.asarray(deup_predict(coef, Pg, vg)) - eg) ** 2))
    ise, ise_clip = np.array(ise), np.array(ise_clip)
    assert abs(ise.mean() - want) <= Z * ise.std(ddof=1) / np.sqrt(len(ise)), (ise.mean(), want)
    assert np.all(ise_clip <= ise + 1e-15)


@pytest.mark.slow
@pytest.mark.claim("deup_linear.deup_consistent")
def test_error_predictor_ise_decays_like_one_over_n_err():
    """Prop. D3 (rate): the mean ISE of u_hat against e* over 40 replicates (fresh design and noise)
    at n_err in {100, ..., 10^4} has log-log slope in [-1.3, -0.7] (the spec's band; the fitted
    slope's 95% CI is about +-0.1 here, so a failure means a rate other than 1/n)."""
    ns = [100, 300, 1000, 3000, 10_000]
    x, y = sample_regression(jax.random.key(5), 40, -1.0, 1.0)
    m, _ = blr_posterior(polynomial_features(x, 1), y, TAU2, SIG2)
    grid = np.linspace(-2, 2, 81)
    Pg = polynomial_features(grid, 6)
    fg, vg = misspecified_target(grid)
    eg = excess_risk(polynomial_features(grid, 1), m, fg)
    out = []
    for i, n in enumerate(ns):
        vals = []
        for k in jax.random.split(jax.random.key(100 + i), 40):
            xe, ye = sample_regression(k, n, -2.0, 2.0)
            r2 = (ye - polynomial_features(xe, 1) @ m) ** 2
            u = deup_predict(deup_fit(polynomial_features(xe, 6), r2, 0.0), Pg, vg)
            vals.append(float(jnp.mean((u - eg) ** 2)))
        out.append(np.mean(vals))
    fit = loglog_slope(np.array(ns, float), np.array(out))
    assert -1.3 <= fit.slope <= -0.7, fit


@pytest.mark.slow
@pytest.mark.claim("deup_linear.variance_vanishes_bias_stays")
def test_variance_vanishes_excess_risk_stays():
    """Prop. D2 (exact fixed-design formulas): the mean OOD posterior variance has log-log slope in
    [-1.05, -0.95] over n in {10, ..., 10^4}; the expected excess risk does not vanish: at n = 10^5
    it is within 1e-3 of a(x)^2 = (phi(x)' theta_inf - f*(x))^2 at every query point, and the ratio
    of its OOD mean to the variance's exceeds 10 at n = 10 and grows with n."""
    q = np.asarray(polynomial_features(XQ, 1))
    fq, _ = misspecified_target(XQ)
    nodes, w = np.polynomial.legendre.leggauss(8)
    fnod, _ = misspecified_target(nodes)
    a2 = (q @ np.asarray(l2_projection(polynomial_features(nodes, 1), fnod, w / 2)) - fq) ** 2
    ood = np.abs(XQ) > 1
    ns = np.array([10, 30, 100, 300, 1000, 3000, 10_000])
    vs, es = [], []
    for n in [*ns, 100_000]:
        xt = _design(int(n))
        Phi = polynomial_features(xt, 1)
        ft, nv = misspecified_target(xt)
        _, S = blr_posterior(Phi, ft, TAU2, SIG2)
        v = np.asarray(predictive_variance(q, S))
        e, _ = expected_excess_fixed_design(Phi, ft, nv, TAU2, SIG2, q, fq)
        vs.append(v[ood].mean())
        es.append(np.asarray(e))
    fit = loglog_slope(ns.astype(float), np.array(vs[:-1]))
    assert -1.05 <= fit.slope <= -0.95, fit
    assert np.max(np.abs(es[-1] - np.asarray(a2))) <= 1e-3
    ratio = np.array([e[ood].mean() / v for e, v in zip(es, vs)])
    assert ratio[0] > 10 and np.all(np.diff(ratio) > 0), ratio


# ----------------------------------------------------------------------------- API


@pytest.mark.parametrize("wrap", [lambda f: f, jax.jit], ids=["eager", "jit"])
def test_jit_matches_eager(wrap):
    x, y = sample_regression(jax.random.key(1), 10, -1.0, 1.0)
    Phi = polynomial_features(x, 1)
    q = polynomial_features(jnp.asarray(XQ), 1)
    fq, vq = misspecified_target(jnp.asarray(XQ))
    m, S = blr_posterior(Phi, y, TAU2, SIG2)
    Pq = polynomial_features(jnp.asarray(XQ), 6)
    calls = [
        (blr_posterior, (Phi, y, TAU2, SIG2)),
        (predictive_variance, (q, S)),
        (excess_risk, (q, m, fq)),
        (
            expected_excess_fixed_design,
            (Phi, fq[:1].repeat(10), vq[:1].repeat(10), TAU2, SIG2, q, fq),
        ),
        (l2_projection, (q, fq, vq)),
        (bayes_excess_mc, (jax.random.key(2), Phi, TAU2, SIG2, q)),
        (deup_fit, (Pq, vq, 0.1)),
        (deup_predict, (jnp.ones(7) * 0.01, Pq, vq)),
        (spearman, (fq, vq)),
        (misspecified_target, (jnp.asarray(XQ),)),
        (lambda k: sample_regression(k, 5, -1.0, 1.0), (jax.random.key(4),)),
    ]
    for f, args in calls:
        a = jax.tree_util.tree_leaves(f(*args))
        b = jax.tree_util.tree_leaves(wrap(f)(*args))
        for u, v in zip(a, b):
            np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-10, atol=1e-13)


def test_bad_input_named():
    Phi = np.ones((4, 2))
    with pytest.raises(ValueError, match="`tau2`"):
        blr_posterior(Phi, np.zeros(4), 0.0, 1.0)
    with pytest.raises(ValueError, match="`sigma2`"):
        blr_posterior(Phi, np.zeros(4), 1.0, -1.0)
    with pytest.raises(ValueError, match="`y`"):
        blr_posterior(Phi, np.zeros(3), 1.0, 1.0)
    with pytest.raises(ValueError, match="`S`"):
        predictive_variance(Phi, np.eye(3))
    with pytest.raises(ValueError, match="`noise_var`"):
        expected_excess_fixed_design(Phi, np.zeros(4), -np.ones(4), 1.0, 1.0, Phi, np.zeros(4))
    with pytest.raises(ValueError, match="`sigma2_x`"):
        deup_predict(np.zeros(2), Phi, np.zeros(4))
    with pytest.raises(ValueError, match="`x_hi`"):
        sample_regression(jax.random.key(0), 3, 1.0, -1.0)
