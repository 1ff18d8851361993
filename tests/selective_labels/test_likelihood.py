"""Likelihoods: Gauss-Hermite marginalisation against dense integration (exact identities), the
Heckman likelihood against a numerical bivariate-normal integral, and the generator's prevalence
(statistical)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

from unlearnlab.lab.stats import clt_tolerance
from unlearnlab.selective_labels import (
    heckman_loglik,
    implied_prevalence_gh,
    loglik_given_Z,
    loglik_marginal_gh,
    simulate_heckman,
    simulate_selective_labels,
    untested_risk_gh,
)

M = 4
PARAMS = {
    "beta_Y": jnp.array([-1.0, 0.8, -0.5, 0.3]),
    "beta_D": jnp.array([1.5, -0.7, 0.0, 0.0]),
    "alpha": jnp.asarray(1.2),
    "sigma": jnp.asarray(1.5),
}  # sigma * max(1, alpha) = 1.8


def _data(key, N=40):
    d = simulate_selective_labels(
        key, N, M, PARAMS["beta_Y"], PARAMS["beta_D"], PARAMS["alpha"], PARAMS["sigma"]
    )
    return d["X"], d["T"], d["Y"]


def _dense(f_of_z, sigma, n=4001):
    """Trapezoid over z in [-8 sigma, 8 sigma] of f(z) phi_sigma(z); f returns (N, n)."""
    z = jnp.linspace(-8 * sigma, 8 * sigma, n)
    dens = jax.scipy.stats.norm.pdf(z, scale=sigma)
    return jnp.trapezoid(f_of_z(z) * dens[None, :], z, axis=1)


@pytest.mark.claim("domain_constraints.gh_quadrature")
def test_gauss_hermite_likelihood(key):
    """Exact: K = 40 Gauss-Hermite marginal likelihood = dense trapezoid integral, rtol 1e-6; the
    experiment's K = 24 is within 1e-3 relative of K = 80 (sigma max(1, alpha) = 1.8)."""
    X, T, Y = _data(key)
    gh = loglik_marginal_gh(PARAMS, X, T, Y, n_nodes=40)

    def f(z):
        Z = jnp.broadcast_to(z[None, :], (X.shape[0], z.size))
        return jnp.exp(jax.vmap(lambda zc: loglik_given_Z(PARAMS, X, T, Y, zc), 1, 1)(Z))

    dense = _dense(f, float(PARAMS["sigma"]))
    np.testing.assert_allclose(np.exp(gh), dense, rtol=1e-6)
    # the experiment's K = 24 nodes: per-person likelihood within 1e-3 relative of K = 80
    gh24 = loglik_marginal_gh(PARAMS, X, T, Y, n_nodes=24)
    gh80 = loglik_marginal_gh(PARAMS, X, T, Y, n_nodes=80)
    assert np.max(np.abs(np.expm1(np.asarray(gh24) - np.asarray(gh80)))) <= 1e-3
    assert set(np.unique(T)) == {0, 1}  # both branches exercised


def test_loglik_given_Z_cases(key):
    """Exact: the three likelihood cases written out with explicit sigmoids."""
    X, T, Y = _data(key)
    Z = jax.random.normal(jax.random.fold_in(key, 1), (X.shape[0],))
    r = X @ PARAMS["beta_Y"] + Z
    pt = 1 / (1 + np.exp(-(1.2 * r + X @ PARAMS["beta_D"])))
    py = 1 / (1 + np.exp(-r))
    want = np.where(T == 1, np.where(Y == 1, py, 1 - py) * pt, 1 - pt)
    np.testing.assert_allclose(np.exp(loglik_given_Z(PARAMS, X, T, Y, Z)), want, rtol=1e-10)


def test_implied_prevalence_and_untested_risk_dense(key):
    """Exact: prevalence and untested risk by quadrature = dense trapezoid integrals, rtol 1e-6."""
    X, T, _ = _data(key)
    s = float(PARAMS["sigma"])
    xb = X @ PARAMS["beta_Y"]
    q = lambda z: jax.nn.sigmoid(xb[:, None] + z[None, :])  # noqa: E731
    u = lambda z: jax.nn.sigmoid(
        -(
            1.2 * (xb[:, None] + z[None, :])  # noqa: E731
            + (X @ PARAMS["beta_D"])[:, None]
        )
    )
    np.testing.assert_allclose(
        implied_prevalence_gh(PARAMS["beta_Y"], PARAMS["sigma"], X),
        jnp.mean(_dense(q, s)),
        rtol=1e-6,
    )
    risk = _dense(lambda z: q(z) * u(z), s) / _dense(u, s)
    want = jnp.sum(jnp.where(T == 0, risk, 0.0)) / jnp.sum(T == 0)
    np.testing.assert_allclose(untested_risk_gh(PARAMS, X, T), want, rtol=1e-6)


def test_heckman_loglik_bivariate_normal(key):
    """Exact: Heckman per-person likelihood = numerical integral of the bivariate normal density."""
    beta_Y, beta_T, rho, sigma = jnp.array([0.5, 1.0]), jnp.array([0.2, -0.8]), 0.6, 1.3
    d = simulate_heckman(key, 12, 2, beta_Y, beta_T, rho, sigma)
    X, T, Y = np.asarray(d["X"]), np.asarray(d["T"]), np.asarray(d["Y"])
    ll = np.asarray(heckman_loglik(beta_Y, beta_T, rho, sigma, X, T, Y))
    cov = np.array([[sigma**2, rho], [rho, 1.0]])
    mvn = stats.multivariate_normal(np.zeros(2), cov)
    for i in range(X.shape[0]):
        xt = float(X[i] @ np.asarray(beta_T))
        if T[i] == 1:
            z = Y[i] - float(X[i] @ np.asarray(beta_Y))
            val, _ = integrate.quad(
                lambda u: mvn.pdf([z, u]), -xt, np.inf, epsabs=1e-13, epsrel=1e-11
            )
        else:
            val = stats.norm.cdf(-xt)
        np.testing.assert_allclose(np.exp(ll[i]), val, rtol=1e-7)


@pytest.mark.parametrize("sigma", [1.0, 2.0])
def test_generator_prevalence(key, sigma):
    """Statistical: over N = 1e5 people the empirical mean of Y matches the quadrature prevalence
    E[sig(X beta + Z)] (conditional on X) within 4 standard errors (false-failure rate ~ 6e-5 per
    case; the SE bound sqrt(p(1-p)/N) is conservative)."""
    N = 100_000
    k = jax.random.fold_in(key, int(10 * sigma))
    d = simulate_selective_labels(
        k, N, M, PARAMS["beta_Y"], PARAMS["beta_D"], PARAMS["alpha"], jnp.asarray(sigma)
    )
    p = float(implied_prevalence_gh(PARAMS["beta_Y"], jnp.asarray(sigma), d["X"]))
    tol = clt_tolerance(np.sqrt(p * (1 - p)), N, 6.3e-5)
    assert abs(float(d["prevalence"]) - p) <= tol
    np.testing.assert_array_equal(np.asarray(d["Y"])[np.asarray(d["T"]) == 0], -1)


def test_heckman_model_log_density(key):
    """Exact: the Heckman numpyro model's log density = priors + Heckman likelihood + prevalence
    factor, with beta_T_j = beta_Y_j rho / sigma^2 off the expertise set."""
    from numpyro.infer.util import log_density

    from unlearnlab.selective_labels import heckman_numpyro_model

    beta_Y, beta_T = jnp.array([0.5, 1.0, -0.3]), jnp.array([0.2, -0.8, 0.0])
    d = simulate_heckman(key, 25, 3, beta_Y, beta_T, 0.6, 1.3)
    X, T, Y = d["X"], d["T"], d["Y"]
    sig, eta, bfree = 1.4, 0.3, jnp.array([0.1, -0.5])
    lp, tr = log_density(
        heckman_numpyro_model,
        (X, T, Y),
        {"expertise_idx": (0, 1), "w_prev": 7.0, "prevalence": 0.2},
        {"beta_Y": beta_Y, "sigma": sig, "eta": eta, "beta_T_free": bfree},
    )
    rho = sig * np.tanh(eta)
    bT = jnp.array([0.1, -0.5, -0.3 * rho / sig**2])
    np.testing.assert_allclose(tr["beta_T"]["value"], bT, rtol=1e-12)
    want = (
        stats.norm.logpdf(np.asarray(beta_Y), 0, 3).sum()
        + stats.norm.logpdf(np.asarray(bfree), 0, 3).sum()
        + stats.halfnorm.logpdf(sig, scale=3)
        + stats.norm.logpdf(eta)
        + float(jnp.sum(heckman_loglik(beta_Y, bT, rho, sig, X, T, Y)))
        - 7.0 * (float(jnp.mean(X @ beta_Y)) - 0.2) ** 2
    )
    np.testing.assert_allclose(lp, want, rtol=1e-10)
