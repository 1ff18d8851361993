"""Certified removal (Guo et al. 2020), the DP output-perturbation baseline and GDP, Model Sparsity."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unlearnlab.unlearning.audit import gdp_tradeoff, roc_curve
from unlearnlab.unlearning.certified import (
    LOGISTIC_GAMMA_GUO,
    LOGISTIC_GAMMA_TIGHT,
    certified_noise_scale,
    grad_residual,
    guo_bounds,
    newton_removal,
    ridge_output_perturbation,
    ridge_sensitivity,
    sparsity_sweep,
)
from unlearnlab.unlearning.exact import logistic_fit_newton, ridge_fit, woodbury_retrain


def _unit_rows(X):
    return X / jnp.maximum(1.0, jnp.linalg.norm(X, axis=1, keepdims=True))


def _logistic_data(key, n, d):
    X = _unit_rows(1.5 * jax.random.normal(key, (n, d)) / math.sqrt(d))
    w0 = jax.random.normal(jax.random.fold_in(key, 1), (d,)) * 2
    p = jax.nn.sigmoid(X @ w0)
    y = jnp.where(jax.random.uniform(jax.random.fold_in(key, 2), (n,)) < p, 1.0, -1.0)
    return X, y


@pytest.mark.claim("unlearn_audit.newton_ridge_exact")
def test_newton_removal_ridge_exact(key):
    X = jax.random.normal(key, (80, 6))
    y = jax.random.normal(jax.random.fold_in(key, 1), (80,))
    f = jnp.zeros(80, bool).at[jnp.array([3, 9, 27])].set(True)
    th = ridge_fit(X, y, 0.5)
    wm = newton_removal(th, X, y, f, 0.5)
    assert float(grad_residual(wm, X, y, ~f, 0.5)) <= 1e-9
    np.testing.assert_allclose(wm, woodbury_retrain(X, y, th, f, 0.5), rtol=1e-9, atol=1e-12)


@pytest.mark.claim("unlearn_audit.guo_chain")
@given(
    st.integers(0, 10_000),
    st.sampled_from([(40, 3), (80, 5)]),
    st.sampled_from([1, 3]),
    st.sampled_from([1e-3, 1e-2, 1e-1]),
)
def test_guo_bound_chain(seed, shape, k, lam):
    """measured residual <= data-dependent <= gamma (n-k) ||v||^2 <= 4 gamma k^2 C^2/(lam^2 (n-k))."""
    n, d = shape
    X, y = _logistic_data(jax.random.key(seed), n, d)
    f = jnp.arange(n) < k
    w = logistic_fit_newton(X, y, lam)
    wm = newton_removal(w, X, y, f, lam, loss="logistic")
    res = float(grad_residual(wm, X, y, ~f, lam, loss="logistic"))
    for gamma in (LOGISTIC_GAMMA_TIGHT, LOGISTIC_GAMMA_GUO):
        b = guo_bounds(w, X, y, f, lam, gamma, 1.0)
        slack = 1e-12
        assert res <= float(b["data_dep"]) * (1 + 1e-9) + slack
        assert float(b["data_dep"]) <= float(b["norm"]) * (1 + 1e-9) + slack
        assert float(b["norm"]) <= float(b["worst_case"]) * (1 + 1e-9)


def test_certified_noise_scale():
    got = certified_noise_scale(0.5, 1e-5, 0.01)
    assert got == pytest.approx(math.sqrt(2 * math.log(1.5e5)) * 0.01 / 0.5, rel=1e-12)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="eps"):
            certified_noise_scale(bad, 1e-5, 0.01)
    with pytest.raises(ValueError, match="delta"):
        certified_noise_scale(1.0, 1.0, 0.01)


@given(st.integers(0, 10_000), st.sampled_from([0.1, 1.0]))
def test_ridge_sensitivity_holds(seed, lam):
    """Replace-one neighbours (||x|| <= 1, |y| <= B): ||theta(D) - theta(D')|| <= Delta_2."""
    k = jax.random.key(seed)
    n, d, B = 30, 4, 2.0
    X = _unit_rows(jax.random.normal(k, (n, d)))
    y = jnp.clip(2 * jax.random.normal(jax.random.fold_in(k, 1), (n,)), -B, B)
    X2 = X.at[0].set(_unit_rows(jax.random.normal(jax.random.fold_in(k, 2), (1, d)))[0])
    y2 = y.at[0].set(-jnp.sign(y[0]) * B)
    t1 = ridge_fit(X, y, n * lam)
    t2 = ridge_fit(X2, y2, n * lam)
    assert float(jnp.linalg.norm(t1 - t2)) <= ridge_sensitivity(n, lam, B)


@pytest.mark.claim("unlearn_audit.gdp_bound")
def test_gdp_roc_bound(key):
    """Best (oracle-knowledge) attack on output-perturbed ridge vs the GDP trade-off with DKW widths.

    TPR <= 1 - T_{k mu}(min(FPR + e_-, 1)) + e_+ at every threshold, e = sqrt(log(2/a)/(2 n)),
    a = 1e-4 per side (false-failure rate <= 2e-4 by the DKW inequality).
    """
    n, d, B, lam = 50, 4, 2.0, 0.5
    X = _unit_rows(jax.random.normal(key, (n, d)))
    y = jnp.clip(2 * jax.random.normal(jax.random.fold_in(key, 1), (n,)), -B, B)
    d2 = ridge_sensitivity(n, lam, B)
    for k, mu in ((1, 1.0), (3, 0.5)):
        s = d2 / mu
        # neighbour: k rows replaced by the opposite-label copies (replace-k)
        y2 = y.at[:k].set(-jnp.sign(y[:k]) * B)
        t1 = ridge_fit(X, y, n * lam)
        t2 = ridge_fit(X, y2, n * lam)
        u = (t1 - t2) / jnp.linalg.norm(t1 - t2)
        N = 2000
        ks = jax.random.split(jax.random.fold_in(key, 10 + k), 2 * N)
        pos = jax.vmap(lambda kk, u=u, s=s: u @ ridge_output_perturbation(kk, X, y, lam, s))(ks[:N])
        neg = jax.vmap(
            lambda kk, u=u, s=s, y2=y2: u @ ridge_output_perturbation(kk, X, y2, lam, s)
        )(ks[N:])
        fpr, tpr = roc_curve(pos, neg, n_thresh=1001)
        e = math.sqrt(math.log(2 / 1e-4) / (2 * N))
        bound = 1 - gdp_tradeoff(jnp.minimum(fpr + e, 1.0), k * mu) + e
        assert np.all(np.asarray(tpr) <= np.asarray(bound) + 1e-12)


@pytest.mark.claim("unlearn_audit.sparsity")
def test_sparsity_sweep_residual_below_bound(key):
    X, y = _logistic_data(key, 150, 8)
    f = jnp.arange(150) < 4
    r = sparsity_sweep(X, y, f, 0.01, (2, 4, 8))
    assert r["residual"].shape == (3,)
    assert np.all(np.asarray(r["residual"]) <= np.asarray(r["guo_bound"]) * (1 + 1e-9))
    assert np.all(np.isfinite(np.asarray(r["param_err"])))


def test_bad_input_raises(key):
    X, y = _logistic_data(key, 20, 3)
    w = logistic_fit_newton(X, y, 0.1)
    with pytest.raises(ValueError, match="forget_mask"):
        newton_removal(w, X, y, jnp.zeros(19, bool).at[0].set(True), 0.1, loss="logistic")
    with pytest.raises(ValueError, match="every row"):
        newton_removal(w, X, y, jnp.ones(20, bool), 0.1, loss="logistic")
    with pytest.raises(ValueError, match="loss"):
        newton_removal(w, X, y, jnp.zeros(20, bool).at[0].set(True), 0.1, loss="hinge")
    with pytest.raises(ValueError, match="lam"):
        newton_removal(w, X, y, jnp.zeros(20, bool).at[0].set(True), 0.0)
    with pytest.raises(ValueError, match="support_sizes"):
        sparsity_sweep(X, y, jnp.zeros(20, bool).at[0].set(True), 0.1, (0,))
