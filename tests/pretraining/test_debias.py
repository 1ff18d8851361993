"""CDvG core (unlearnlab.pretraining.debias): the linear contrastive eigenproblem with bias-transformed views.

Exact identities in float64 (C = Sigma_bar - E_b Delta E_b^T; conflicting-test errors of the probe),
one sample check with a stated false-failure rate, jit == no-jit, validation.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import ndtr

from unlearnlab.pretraining import (
    bias_gap_matrix,
    cdvg_population_moments,
    contrastive_eigenspace,
    contrastive_moments,
    probe_conflicting_error,
    sample_aligned,
    std_augment,
    std_population_moments,
    task_bayes_error,
    translate_bias,
)

MU_S = jnp.array([1.0, 0.0])
MU_B = jnp.array([2.0, 0.0])
MU = jnp.concatenate([MU_S, MU_B])
I4 = jnp.eye(4)


def _pop_error(C, Sb):
    W, _ = contrastive_eigenspace(C, Sb)
    return float(probe_conflicting_error(W, -MU, MU, I4, MU_S, MU_B, 1.0))


@pytest.mark.claim("pretraining.cdvg_gap_identity")
@pytest.mark.parametrize("q,tau", [(0.0, 0.3), (0.25, 1.0), (0.7, 0.6), (1.0, 0.0)])
def test_gap_identity_and_spectrum(q, tau):
    """Exact: C = Sigma_bar - E_b Delta E_b^T (1e-12); every generalized eigenvalue is <= 1."""
    C, Sb = cdvg_population_moments(MU_S, MU_B, 1.0, q, tau)
    gap = jnp.zeros((4, 4)).at[2:, 2:].set(bias_gap_matrix(MU_B, 1.0, q, tau))
    np.testing.assert_allclose(Sb - C, gap, rtol=0, atol=1e-12)
    _, lam = contrastive_eigenspace(C, Sb)
    assert float(lam[0]) <= 1 + 1e-12


@pytest.mark.claim("pretraining.cdvg_gap_identity")
def test_population_moments_match_monte_carlo():
    """MC (n = 2e5): sample (C, Sigma_bar) of translated views vs the closed form, every entry
    within 5 CLT standard errors (entries' fourth moments bounded by the largest diagonal;
    32 comparisons at 5.7e-7 each: false-failure rate < 2e-5)."""
    n, q, tau = 200_000, 0.3, 0.6
    X, y = sample_aligned(jax.random.key(0), n, MU_S, MU_B, 1.0)
    TX = translate_bias(jax.random.key(1), X, y, MU_B, 1.0, q, tau)
    Ch, Sh = contrastive_moments(X, TX)
    C, Sb = cdvg_population_moments(MU_S, MU_B, 1.0, q, tau)
    se = np.sqrt(np.outer(np.diag(Sb), np.diag(Sb)) * 3 / n)
    assert np.all(np.abs(np.asarray(Ch - C)) <= 5 * se)
    assert np.all(np.abs(np.asarray(Sh - Sb)) <= 5 * se)


@pytest.mark.claim("pretraining.cdvg_task_bayes")
@pytest.mark.parametrize("q,tau", [(0.25, 1.0), (0.5, 1.0), (1.0, 1.0), (0.0, 0.5), (0.5, 0.5)])
def test_translator_probe_reaches_task_bayes(q, tau):
    """Exact (lab's derived): with q > 0 or tau < 1 the probe on the whole eigenvalue-1 space has
    conflicting-test error Phi(-||mu_s||/sigma) (1e-10)."""
    C, Sb = cdvg_population_moments(MU_S, MU_B, 1.0, q, tau)
    assert abs(_pop_error(C, Sb) - float(task_bayes_error(MU_S, 1.0))) <= 1e-10


@pytest.mark.claim("pretraining.cdvg_task_bayes")
def test_baselines_use_the_bias():
    """Exact: T_std gives Phi(||mu_b||/sigma); raw ERM (W = I) gives Phi((||mu_b||^2 -
    ||mu_s||^2)/(sigma ||mu||)); q = 0, tau = 1 (identity translator) is raw ERM."""
    C, Sb = std_population_moments(MU_S, MU_B, 1.0, 1.0)
    assert abs(_pop_error(C, Sb) - float(ndtr(2.0))) <= 1e-10
    erm = float(probe_conflicting_error(I4, -MU, MU, I4, MU_S, MU_B, 1.0))
    assert abs(erm - float(ndtr(3.0 / np.sqrt(5.0)))) <= 1e-10
    C, Sb = cdvg_population_moments(MU_S, MU_B, 1.0, 0.0, 1.0)
    assert abs(_pop_error(C, Sb) - erm) <= 1e-10


@pytest.mark.claim("pretraining.cdvg_sample")
def test_sample_probe_close_to_theory():
    """Sample (n = 1e4, fixed keys): the probe fitted on estimated moments, with the eigenspace
    threshold 0.92 inside the spectral gap, has conflicting-test error within 0.02 of the task
    Bayes error for the translator, and of Phi(2) for T_std. The error is a smooth function of
    the estimated moments whose sampling error is O(n^{-1/2}) = 0.01 here; 0.02 is the spec's band."""
    X, y = sample_aligned(jax.random.key(2), 10_000, MU_S, MU_B, 1.0)
    mp, mn = X[y > 0].mean(0), X[y < 0].mean(0)
    R = jnp.where((y > 0)[:, None], X - mp, X - mn)
    Sw = R.T @ R / X.shape[0]
    Sw = 0.5 * (Sw + Sw.T)
    bayes = float(task_bayes_error(MU_S, 1.0))
    for q, tau in ((0.25, 1.0), (0.0, 0.5)):
        TX = translate_bias(jax.random.key(3), X, y, MU_B, 1.0, q, tau)
        W, _ = contrastive_eigenspace(*contrastive_moments(X, TX), threshold=0.92)
        assert abs(float(probe_conflicting_error(W, mn, mp, Sw, MU_S, MU_B, 1.0)) - bayes) <= 0.02
    TX = std_augment(jax.random.key(4), X, 2, 1.0)
    W, _ = contrastive_eigenspace(*contrastive_moments(X, TX), threshold=0.92)
    err = float(probe_conflicting_error(W, mn, mp, Sw, MU_S, MU_B, 1.0))
    assert abs(err - float(ndtr(2.0))) <= 0.02


def test_jit_equals_eager():
    """jit == no-jit for the jittable cores."""
    a = cdvg_population_moments(MU_S, MU_B, 1.0, 0.3, 0.5)
    b = jax.jit(cdvg_population_moments)(MU_S, MU_B, 1.0, 0.3, 0.5)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, atol=1e-14)
    X, y = sample_aligned(jax.random.key(0), 50, MU_S, MU_B, 1.0)
    t1 = translate_bias(jax.random.key(1), X, y, MU_B, 1.0, 0.3, 0.5)
    t2 = jax.jit(translate_bias)(jax.random.key(1), X, y, MU_B, 1.0, 0.3, 0.5)
    np.testing.assert_allclose(t1, t2, atol=1e-12)
    W = jnp.eye(4)[:, :3]
    e1 = probe_conflicting_error(W, -MU, MU, I4, MU_S, MU_B, 1.0)
    e2 = jax.jit(probe_conflicting_error)(W, -MU, MU, I4, MU_S, MU_B, 1.0)
    assert abs(float(e1) - float(e2)) <= 1e-14


def test_validation():
    """ValueError names the argument."""
    with pytest.raises(ValueError, match="`q`"):
        cdvg_population_moments(MU_S, MU_B, 1.0, 1.5, 0.5)
    with pytest.raises(ValueError, match="`tau`"):
        bias_gap_matrix(MU_B, 1.0, 0.2, -0.1)
    with pytest.raises(ValueError, match="`threshold`"):
        contrastive_eigenspace(I4, I4, threshold=2.0)
    with pytest.raises(ValueError, match="`Sigma_bar`"):
        contrastive_eigenspace(I4, -I4)
    with pytest.raises(ValueError, match="`d_s`"):
        std_augment(jax.random.key(0), jnp.ones((3, 4)), 4, 1.0)
