"""UnlearnRec core (unlearnlab.unlearning.influence_encoder): amortised encoders vs the exact retrain.

Exact identities in float64 (E1 = Woodbury retrain, E0 exact for one row), the A1 step bound for
every initialisation, the leverage slope of the learned encoder (slow), jit == no-jit, validation.
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unlearnlab.lab.stats import loglog_slope
from unlearnlab.unlearning import (
    a1_steps_bound,
    encoder_additive,
    encoder_dependency,
    encoder_linear,
    gd_retain,
    influence_features,
    pretrain_linear_encoder,
    ridge_fit,
    woodbury_retrain,
)

LAM = 1.0


@functools.cache
def _problem(n, d, seed=0):
    kx, kb, ke = jax.random.split(jax.random.key(seed), 3)
    X = jax.random.normal(kx, (n, d)) / math.sqrt(d)
    y = X @ jax.random.normal(kb, (d,)) + 0.5 * jax.random.normal(ke, (n,))
    return X, y, ridge_fit(X, y, LAM)


def _mask(n, q, seed=1):
    idx = np.random.default_rng(seed).choice(n, q, replace=False)
    return jnp.zeros(n, bool).at[idx].set(True)


@pytest.mark.claim("dmm_convex.encoder_dependency_exact")
@pytest.mark.parametrize("q", [1, 8, 32])
def test_dependency_encoder_is_the_retrain(q):
    """Exact: E1 = woodbury_retrain = ridge refit on the retained rows (1e-10)."""
    X, y, th = _problem(300, 16)
    f = _mask(300, q)
    e1 = encoder_dependency(X, y, th, f, LAM)
    np.testing.assert_allclose(e1, woodbury_retrain(X, y, th, f, LAM), rtol=0, atol=1e-10)
    np.testing.assert_allclose(e1, ridge_fit(X[~f], y[~f], LAM), rtol=0, atol=1e-10)


@pytest.mark.claim("dmm_convex.encoder_dependency_exact")
def test_additive_encoder_exact_for_one_row_and_additive():
    """Exact: E0 = retrain for q = 1; for q > 1 it is the sum of the single-row changes."""
    X, y, th = _problem(300, 16)
    f1 = _mask(300, 1)
    np.testing.assert_allclose(
        encoder_additive(X, y, th, f1, LAM), woodbury_retrain(X, y, th, f1, LAM), atol=1e-10
    )
    f = _mask(300, 5, seed=2)
    idx = np.flatnonzero(np.asarray(f))
    singles = sum(
        woodbury_retrain(X, y, th, jnp.zeros(300, bool).at[i].set(True), LAM) - th for i in idx
    )
    np.testing.assert_allclose(encoder_additive(X, y, th, f, LAM), th + singles, atol=1e-10)
    g = influence_features(X, y, th, f)
    np.testing.assert_allclose(g, X[idx].T @ (X[idx] @ th - y[idx]), atol=1e-12)


@pytest.mark.claim("dmm_convex.encoder_a1_steps")
def test_a1_steps_bound_holds_for_every_init():
    """Exact (deterministic): GD on the retained loss from theta_full, E0 and E2 reaches
    ||theta_t - theta_R|| <= eps no later than the A1 bound ceil(log(eps/e0)/log(1 - eta lmin))."""
    n, d, q = 400, 16, 16
    X, y, th = _problem(n, d)
    f = _mask(n, q)
    thR = woodbury_retrain(X, y, th, f, LAM)
    HR = X[~f].T @ X[~f] + LAM * jnp.eye(d)
    ev = jnp.linalg.eigvalsh(HR)
    H = X.T @ X + LAM * jnp.eye(d)
    eta = 1.0 / float(jnp.linalg.eigvalsh(H)[-1])
    A = pretrain_linear_encoder(jax.random.key(0), X, y, th, LAM, q, 100)
    eps = 1e-6 * float(jnp.linalg.norm(th - thR))
    for init in (th, encoder_additive(X, y, th, f, LAM), encoder_linear(A, X, y, th, f)):
        traj = gd_retain(init, X, y, ~f, LAM, eta, 400)
        err = np.asarray(jnp.linalg.norm(traj - thR, axis=1))
        hit = int(np.argmax(err <= eps)) if np.any(err <= eps) else 10**9
        assert hit <= a1_steps_bound(err[0], eps, eta, float(ev[0]))
    assert a1_steps_bound(1e-9, 1e-6, eta, float(ev[0])) == 0


@pytest.mark.slow
@pytest.mark.claim("dmm_convex.encoder_leverage_slope")
def test_learned_encoder_error_shrinks_with_leverage():
    """Rate: the relative error ||E2 - theta_R|| / ||theta_full - theta_R|| (mean of 20 requests,
    q = 8, d = 8) falls like 1/n (leverage h ~ d/n): fitted log-log slope in [-1.3, -0.7]."""
    d, q = 8, 8
    ns = (500, 1000, 2000, 4000)
    rel = []
    for n in ns:
        X, y, th = _problem(n, d, seed=3)
        A = pretrain_linear_encoder(jax.random.key(1), X, y, th, LAM, q, 2000)
        vals = []
        for s in range(20):
            f = _mask(n, q, seed=100 + s)
            thR = woodbury_retrain(X, y, th, f, LAM)
            e2 = encoder_linear(A, X, y, th, f)
            vals.append(float(jnp.linalg.norm(e2 - thR) / jnp.linalg.norm(th - thR)))
        rel.append(np.mean(vals))
    fit = loglog_slope(np.asarray(ns, float), np.asarray(rel))
    assert -1.3 <= fit.slope <= -0.7, (fit, rel)


def test_jit_equals_eager():
    """jit == no-jit for every encoder."""
    X, y, th = _problem(300, 16)
    f = _mask(300, 8)
    for fn in (encoder_additive, encoder_dependency):
        a = fn(X, y, th, f, LAM)
        b = jax.jit(fn)(X, y, th, f, LAM)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    A = pretrain_linear_encoder(jax.random.key(0), X, y, th, LAM, 8, 50)
    np.testing.assert_allclose(
        encoder_linear(A, X, y, th, f), jax.jit(encoder_linear)(A, X, y, th, f), atol=1e-12
    )


def test_validation():
    """ValueError names the argument."""
    X, y, th = _problem(300, 16)
    f = _mask(300, 8)
    with pytest.raises(ValueError, match="`lam`"):
        encoder_additive(X, y, th, f, 0.0)
    with pytest.raises(ValueError, match="forget_mask"):
        encoder_dependency(X, y, th, jnp.zeros(300, bool), LAM)
    with pytest.raises(ValueError, match="`q`"):
        pretrain_linear_encoder(jax.random.key(0), X, y, th, LAM, 300, 10)
    with pytest.raises(ValueError, match="`A`"):
        encoder_linear(jnp.eye(3), X, y, th, f)
    with pytest.raises(ValueError, match="`eta`"):
        a1_steps_bound(1.0, 1e-3, 2.0, 1.0)
