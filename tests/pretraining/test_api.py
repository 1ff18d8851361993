"""Public surface, validation (ValueError naming the argument), jit == no-jit, traced once."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import unlearnlab.pretraining as P
from tests.pretraining import _setup as S

FIXED = (
    "mle_ppca",
    "fit_pretrain_erm",
    "fit_supervised_ols",
    "excess_risk_linear",
    "em_gmm",
    "bound_factor",
    "bound_gmm",
)


def test_public_surface():
    for name in P.__all__:
        assert hasattr(P, name), name
    for name in FIXED:
        assert name in P.__all__


def _data():
    B, beta, sig = S.factor_params()
    X, y = P.sample_factor(jax.random.key(0), 80, B, beta, sig)
    C = P.sample_cov_wishart(jax.random.key(1), 200, B @ B.T + jnp.eye(S.D))
    Xg = P.sample_gmm_k(jax.random.key(2), 100, 4.0 * jnp.eye(3, 5), jnp.array([0, 1, 0]))[0]
    return B, beta, sig, X, y, C, Xg


def _calls():
    B, beta, sig, X, y, C, Xg = _data()
    w = jnp.ones(S.D) * 0.01
    return {
        "mle_ppca": (lambda C: P.mle_ppca(C, S.R), (C,)),
        "fit_pretrain_erm": (lambda C, X, y: P.fit_pretrain_erm(C, X, y, S.R), (C, X, y)),
        "fit_supervised_ols": (P.fit_supervised_ols, (X, y)),
        "excess_risk_linear": (lambda w, B, b: P.excess_risk_linear(w, B, b, sig), (w, B, beta)),
        "em_gmm": (lambda k, X: P.em_gmm(k, X, 3, 5), (jax.random.key(3), Xg)),
        "bound_factor": (
            lambda m, n: P.bound_factor(50, 3, m, n, 0.1),
            (jnp.asarray(1e4), jnp.asarray(100.0)),
        ),
        "bound_gmm": (
            lambda m, n: P.bound_gmm(20, 4, m, n, 0.1),
            (jnp.asarray(1e4), jnp.asarray(100.0)),
        ),
    }


@pytest.mark.parametrize("name", FIXED)
def test_jit_equals_nojit_and_traces_once(name):
    f, args = _calls()[name]
    count = {"n": 0}

    def counted(*a):
        count["n"] += 1
        return f(*a)

    jf = jax.jit(counted)
    out_j = jf(*args)
    out_j2 = jf(*args)
    np.testing.assert_allclose(np.asarray(out_j), np.asarray(f(*args)), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(np.asarray(out_j), np.asarray(out_j2))
    assert count["n"] == 1


def test_validation():
    B, beta, sig, X, y, C, Xg = _data()
    cases = [
        (lambda: P.mle_ppca(C, S.D), "`r`"),
        (lambda: P.mle_ppca(C, 0), "`r`"),
        (lambda: P.mle_ppca(C[:, :10], 3), "`C`"),
        (lambda: P.mle_ppca(C + jnp.triu(jnp.ones_like(C), 1), 3), "`C`"),
        (lambda: P.mle_ppca(C - 100 * jnp.eye(S.D), 3), "`C`"),
        (lambda: P.mle_ppca(C.at[0, 0].set(jnp.nan), 3), "`C`"),
        (lambda: P.mle_ppca(C, 3, noise_var=0.0), "`noise_var`"),
        (lambda: P.fit_pretrain_erm(C, X[:3], y[:3], 3), "`X_lab`"),
        (lambda: P.fit_pretrain_erm(C, X, y[:5], 3), "`y_lab`"),
        (lambda: P.fit_pretrain_erm(C, X[:, :5], y, 3), "`X_lab`"),
        (lambda: P.fit_supervised_ols(X[:20], y[:20]), "`X_lab`"),
        (lambda: P.fit_supervised_ols(X, y.at[0].set(jnp.inf)), "`y_lab`"),
        (lambda: P.excess_risk_linear(jnp.ones(3), B, beta, sig), "`w`"),
        (lambda: P.excess_risk_linear(jnp.ones(S.D), B, beta[:2], sig), "`beta`"),
        (lambda: P.excess_risk_linear(jnp.ones(S.D), B, beta, -1.0), "`sig_nu`"),
        (lambda: P.sample_cov_wishart(jax.random.key(0), 10, B @ B.T + jnp.eye(S.D)), "`n_unlab`"),
        (lambda: P.sample_cov_wishart(jax.random.key(0), 100, B @ B.T), "`Sigma`"),
        (lambda: P.theory_ols(50, 50, 1.0), "`n_lab`"),
        (lambda: P.theory_pretrain_oracle(4, 3, 1.0), "`n_lab`"),
        (lambda: P.em_gmm(jax.random.key(0), Xg, 1, 5), "`K`"),
        (lambda: P.em_gmm(jax.random.key(0), Xg[:2], 3, 5), "`K`"),
        (lambda: P.em_gmm(jax.random.key(0), Xg, 3, 0), "`iters`"),
        (
            lambda: P.sample_gmm_k(jax.random.key(0), 5, jnp.eye(3, 5), jnp.array([0.5, 1, 0])),
            "`labels_of_z`",
        ),
        (
            lambda: P.sample_gmm_k(jax.random.key(0), 5, jnp.eye(3, 5), jnp.array([0, 1])),
            "`labels_of_z`",
        ),
        (lambda: P.bound_factor(50, 3, 1e3, 100, 1.5), "`delta`"),
        (lambda: P.bound_gmm(20, 4, 1e3, 100, 0.1, kappa=0.0), "`kappa`"),
        (lambda: P.bound_generic(1, 1, 1e3, 100, 0.1, L=-1.0), "`L`"),
        (lambda: P.bound_supervised(50, 0, 0.1), "`n_lab`"),
        (lambda: P.mle_contrastive(jax.random.key(0), Xg, Xg, jnp.full((100,), 2.0), 2, 5), "`s`"),
    ]
    for fn, arg in cases:
        with pytest.raises(ValueError, match=arg):
            fn()
