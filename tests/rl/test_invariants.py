"""Invariants (hypothesis, certified brackets): I1 monotonicity, I2 sandwich, I3 rotation, I4 convexity.

Shapes are drawn from small fixed sets (each new shape recompiles); values are checked with the
solver's certified brackets, so no solver tolerance is needed.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unlearnlab.rl import (
    design_value,
    enumerate_policies,
    policy_visitations,
    random_small_tabular,
    solve_design,
    values,
    visitation,
)
from unlearnlab.rl.bounds import _targets

D, N_EXP, N_T = 3, 5, 4


def _problem(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_EXP, D))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    C = np.einsum("id,ie->ide", X, X)
    Z = rng.normal(size=(N_T, D))
    den = rng.uniform(0.5, 2.0, size=N_T)
    B = rng.normal(size=(D, D))
    off = 0.3 * B @ B.T
    G = rng.normal(size=(D, D))
    inc = G @ G.T  # PSD increment
    return C, Z, den, off, inc


@pytest.mark.claim("ftpedel.monotone_offline")
@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), logT=st.floats(-2, 3))
def test_monotone_in_offline_data(seed, logT):
    """I1: Lambda_off <= Lambda_off' (Loewner) -> lower(Lambda_off') <= upper(Lambda_off)."""
    C, Z, den, off, inc = _problem(seed)
    T = 10.0**logT
    a = solve_design(T, C, off, Z, den, n_iter=200)
    b = solve_design(T, C, off + inc, Z, den, n_iter=200)
    assert float(b.lower) <= float(a.upper) * (1 + 1e-12)
    assert float(a.lower) <= float(a.upper) and float(b.lower) <= float(b.upper)


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), logT=st.floats(-1, 4), eps=st.sampled_from([1e-3, 0.05, 0.3]))
def test_sandwich_diff_below_four_abs(seed, logT, eps):
    """I2: lower^diff_h(T) <= 4 upper^abs_h(T) (1 + 1e-12) on a random tabular instance (H = 1)."""
    mdp = random_small_tabular(jax.random.PRNGKey(seed), 2, 2, 1)
    pis = enumerate_policies(mdp)
    phis, Lams = policy_visitations(mdp, pis)
    V = values(mdp, pis)
    T = 10.0**logT
    off = jnp.diag(jnp.asarray(np.random.default_rng(seed).uniform(0, 5, 4)))
    Xa, da, ma, _, _ = _targets(phis, V, eps, "abs", 1e-12)
    Xd, dd, md, _, _ = _targets(phis, V, eps, "diff", 1e-12)
    ra = solve_design(T, Lams[:, 0], off, Xa[:, 0], da, mask=ma, n_iter=200)
    rd = solve_design(T, Lams[:, 0], off, Xd[:, 0], dd, mask=md, n_iter=200)
    assert float(rd.lower) <= 4 * float(ra.upper) * (1 + 1e-12)


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000))
def test_orthogonal_invariance(seed):
    """I3 (design level): x -> Q x, C -> Q C Q^T, Lambda_off -> Q Lambda_off Q^T leaves f(w) unchanged."""
    C, Z, den, off, _ = _problem(seed)
    Q, _ = np.linalg.qr(np.random.default_rng(seed + 1).normal(size=(D, D)))
    w = np.random.default_rng(seed + 2).dirichlet(np.ones(N_EXP))
    a = design_value(w, 2.0, C, off, Z, den)
    b = design_value(w, 2.0, np.einsum("ab,jbc,dc->jad", Q, C, Q), Q @ off @ Q.T, Z @ Q.T, den)
    np.testing.assert_allclose(a, b, rtol=1e-9)


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), t=st.floats(0.0, 1.0))
def test_design_value_convex_along_segments(seed, t):
    """I4: f((1-t) w0 + t w1) <= (1-t) f(w0) + t f(w1) (to 1e-12 relative)."""
    C, Z, den, off, _ = _problem(seed)
    rng = np.random.default_rng(seed)
    w0, w1 = rng.dirichlet(np.ones(N_EXP)), rng.dirichlet(np.ones(N_EXP))
    f = lambda w: float(design_value(w, 3.0, C, off + 1e-3 * np.eye(D), Z, den))  # noqa: E731
    assert f((1 - t) * w0 + t * w1) <= ((1 - t) * f(w0) + t * f(w1)) * (1 + 1e-12)


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), S=st.sampled_from([2, 3]), H=st.sampled_from([1, 2]))
def test_visitation_ranges(seed, S, H):
    """I4: Lambda_{pi,h} PSD with trace <= 1; values in [0, H]."""
    mdp = random_small_tabular(jax.random.PRNGKey(seed), S, 2, H)
    pis = enumerate_policies(mdp)
    _, Lam = visitation(mdp, jnp.asarray(pis[-1]))
    assert np.all(np.linalg.eigvalsh(np.asarray(Lam)) >= -1e-12)
    assert np.all(np.trace(np.asarray(Lam), axis1=1, axis2=2) <= 1 + 1e-12)
    V = np.asarray(values(mdp, pis))
    assert np.all((V >= -1e-12) & (V <= H + 1e-12))
