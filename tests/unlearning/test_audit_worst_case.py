"""Worst-case forget sets for ridge (convex version of Challenging Forgets)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unlearnlab.unlearning.worst_case import (
    ga_unlearner,
    gd_retain_unlearner,
    newton_unlearner,
    project_capped_simplex,
    unlearning_gap,
    weighted_ridge,
    worst_case_forget,
)


def _data(key, n=40, d=8):
    X = jax.random.normal(key, (n, d)) / math.sqrt(d)
    y = X @ jax.random.normal(jax.random.fold_in(key, 1), (d,)) + 0.5 * jax.random.normal(
        jax.random.fold_in(key, 2), (n,)
    )
    return X, y


@pytest.mark.claim("unlearn_audit.worst_case")
def test_worst_case_beats_random(key):
    """Statistical (G is not concave): G(worst) >= max over 200 random k-subsets - 1e-8.

    Not a guaranteed property; with this fixed key it holds for both unlearners (a failure would
    mean PGA found a poor local maximum, reported rather than tuned away).
    """
    X, y = _data(key)
    n, k = 40, 4
    eta = 1.0 / (float(jnp.linalg.norm(X, 2) ** 2) + 1.0)
    for U in (gd_retain_unlearner(eta, 10), ga_unlearner(0.2 * eta, 10)):
        m = worst_case_forget(jax.random.fold_in(key, 3), X, y, 1.0, k, U, 150, 0.1)
        assert int(m.sum()) == k
        g_w = float(unlearning_gap(1.0 - m.astype(X.dtype), X, y, 1.0, U))
        keys = jax.random.split(jax.random.fold_in(key, 4), 200)

        def rnd(kk, U=U):
            idx = jax.random.choice(kk, n, (k,), replace=False)
            return unlearning_gap(jnp.ones(n).at[idx].set(0.0), X, y, 1.0, U)

        assert g_w >= float(jnp.max(jax.vmap(rnd)(keys))) - 1e-8


@pytest.mark.claim("unlearn_audit.worst_case")
@given(st.integers(0, 10_000))
def test_newton_gap_zero(seed):
    k = jax.random.key(seed)
    X, y = _data(k)
    w = jax.random.uniform(jax.random.fold_in(k, 5), (40,))
    assert float(unlearning_gap(w, X, y, 1.0, newton_unlearner())) <= 1e-20 * (
        1 + float(jnp.sum(y**2))
    )


@given(st.integers(0, 10_000), st.sampled_from([1, 5, 12]))
def test_capped_simplex_projection(seed, k):
    v = 2 * jax.random.normal(jax.random.key(seed), (30,))
    p = project_capped_simplex(v, k)
    assert np.all(np.asarray(p) >= 0) and np.all(np.asarray(p) <= 1)
    assert abs(float(jnp.sum(1 - p)) - k) <= 1e-9
    np.testing.assert_allclose(project_capped_simplex(p, k), p, atol=1e-9)


def test_weighted_ridge_is_refit(key):
    X, y = _data(key)
    w = jnp.ones(40).at[:5].set(0.0)
    np.testing.assert_allclose(
        weighted_ridge(X, y, w, 1.0),
        jnp.linalg.solve(X[5:].T @ X[5:] + jnp.eye(8), X[5:].T @ y[5:]),
        rtol=1e-9,
    )
