"""Unlearnable Clusters core (unlearnlab.unlearning.bayes_error, uc_*): class- vs cluster-keyed protection.

Exact identities in float64 against a NumPy/SciPy oracle (mixture moments enumerated, LDA solved,
clean error summed per cluster), the class-keyed invariance when the hacker's labels cross-cut the
protector's, monotone damage of cluster-keyed perturbations, jit == no-jit, validation.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm

from unlearnlab.unlearning import (
    balanced_labelings,
    uc_hacker_error,
    uc_perturbations,
    uc_world,
)

MEANS, SIGMA = uc_world(1.0, 1.0, 0.5)
G_P = np.asarray((np.asarray(MEANS)[:, 0] > 0).astype(int))
LABELS = np.asarray(balanced_labelings(4))  # sign x1 (= g_P up to swap), XOR, sign x2
SIGN_X1, XOR, SIGN_X2 = LABELS


def _oracle(means, Sigma, deltas, p, labels):
    means, Sigma, deltas = (np.asarray(v, float) for v in (means, Sigma, deltas))
    m, S = [], []
    for c in (0, 1):
        idx = np.flatnonzero(labels == c)
        comps = [(means[k], (1 - p) / len(idx)) for k in idx] + [
            (means[k] + deltas[k], p / len(idx)) for k in idx
        ]
        mc = sum(w * mu for mu, w in comps)
        m.append(mc)
        S.append(sum(w * np.outer(mu - mc, mu - mc) for mu, w in comps))
    Sp = Sigma + 0.5 * (S[0] + S[1])
    w = np.linalg.solve(Sp, m[1] - m[0])
    b = -0.5 * (m[0] + m[1]) @ w
    s = np.sqrt(w @ Sigma @ w)
    sgn = 2 * labels - 1
    return np.mean([norm.cdf(-sgn[k] * (w @ means[k] + b) / s) for k in range(4)])


@pytest.mark.parametrize("kind", ["class", "cluster", "uc"])
@pytest.mark.parametrize("p", [0.5, 1.0])
def test_hacker_error_matches_oracle(kind, p):
    """Exact: the population hacker error equals a NumPy/SciPy enumeration (1e-12)."""
    for eps in (0.5, 2.0):
        d = uc_perturbations(kind, eps, MEANS, G_P)
        np.testing.assert_allclose(np.linalg.norm(np.asarray(d), axis=1), eps, rtol=1e-12)
        for lab in (SIGN_X1, SIGN_X2):
            got = float(uc_hacker_error(MEANS, SIGMA, d, p, lab))
            assert abs(got - _oracle(MEANS, SIGMA, d, p, lab)) <= 1e-12


@pytest.mark.claim("beo_gaussian.uc_class_keyed_invariant")
@pytest.mark.parametrize("p", [0.25, 0.5, 1.0])
def test_class_keyed_has_no_effect_on_a_cross_cutting_hacker(p):
    """Exact (lab's derived UC1): g_H = sign x2 is orthogonal to g_P = sign x1; class-keyed
    perturbations leave the hacker's clean error at the clean value Phi(-a/sigma) (1e-12) for every
    budget, while the same perturbations hurt a hacker who labels like the protector."""
    clean = float(norm.cdf(-1.0))
    for eps in (0.5, 1.0, 3.0):
        d = uc_perturbations("class", eps, MEANS, G_P)
        assert abs(float(uc_hacker_error(MEANS, SIGMA, d, p, SIGN_X2)) - clean) <= 1e-12
        assert float(uc_hacker_error(MEANS, SIGMA, d, p, SIGN_X1)) > clean + 1e-3


@pytest.mark.claim("beo_gaussian.uc_cluster_keyed_changes")
@pytest.mark.parametrize("kind", ["cluster", "uc"])
def test_cluster_keyed_hurts_every_labelling(kind):
    """Exact (lab's derived UC2): cluster-keyed perturbations raise the clean error of both
    non-degenerate balanced labellings (sign x1 and sign x2), increasingly in the budget; the XOR
    labelling has no linear rule (error 1/2) with or without protection."""
    clean = float(norm.cdf(-1.0))
    for lab in (SIGN_X1, SIGN_X2):
        errs = [
            float(uc_hacker_error(MEANS, SIGMA, uc_perturbations(kind, e, MEANS, G_P), 1.0, lab))
            for e in (0.0, 0.5, 1.0, 2.0)
        ]
        assert abs(errs[0] - clean) <= 1e-12
        assert np.all(np.diff(errs) > 0)
    d = uc_perturbations(kind, 2.0, MEANS, G_P)
    assert abs(float(uc_hacker_error(MEANS, SIGMA, d, 1.0, XOR)) - 0.5) <= 1e-12


def test_labelings_and_world():
    """Exact: three balanced labellings of 4 clusters up to swap; the corners are (+-a, +-a)."""
    assert LABELS.shape == (3, 4) and np.all(LABELS.sum(1) == 2) and np.all(LABELS[:, 0] == 0)
    np.testing.assert_allclose(np.abs(np.asarray(MEANS)[:, :2]), 1.0, atol=1e-15)


def test_jit_equals_eager():
    """jit == no-jit for the hacker error (labels static)."""
    d = uc_perturbations("uc", 1.0, MEANS, G_P)
    a = uc_hacker_error(MEANS, SIGMA, d, 0.5, SIGN_X2)
    b = jax.jit(lambda m, S, dd, p: uc_hacker_error(m, S, dd, p, SIGN_X2))(MEANS, SIGMA, d, 0.5)
    assert abs(float(a) - float(b)) <= 1e-14


def test_no_lda_direction_gives_chance_error_under_jit_and_vmap():
    """Exact: when the hacker's class means coincide (XOR labelling of clean data, p = 0) there is
    no LDA direction and the error is 1/2, eagerly and traced (before, jit gave NaN from 0/0)."""
    d = uc_perturbations("class", 1.0, MEANS, G_P)
    f = jax.jit(lambda dd, p: uc_hacker_error(MEANS, SIGMA, dd, p, XOR))
    assert float(uc_hacker_error(MEANS, SIGMA, d, 0.0, XOR)) == 0.5
    assert float(f(d, 0.0)) == 0.5
    ps = jnp.asarray([0.0, 0.5, 1.0])
    got = jax.vmap(lambda p: f(d, p))(ps)
    want = [float(uc_hacker_error(MEANS, SIGMA, d, float(p), XOR)) for p in ps]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert np.all(np.isfinite(np.asarray(got)))


def test_validation():
    """ValueError names the argument."""
    with pytest.raises(ValueError, match="`kind`"):
        uc_perturbations("x", 1.0, MEANS, G_P)
    with pytest.raises(ValueError, match="`eps`"):
        uc_perturbations("uc", -1.0, MEANS, G_P)
    with pytest.raises(ValueError, match="`labels`"):
        uc_hacker_error(MEANS, SIGMA, jnp.zeros((4, 6)), 0.5, np.array([0, 0, 0, 1]))
    with pytest.raises(ValueError, match="`p`"):
        uc_hacker_error(MEANS, SIGMA, jnp.zeros((4, 6)), 1.5, SIGN_X2)
    with pytest.raises(ValueError, match="`K`"):
        balanced_labelings(3)
