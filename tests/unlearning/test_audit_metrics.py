"""Audit metrics: ROC/AUC with Hanley-McNeil SE, U-LiRA, analytic ROCs, KLoM and its null bias, CKA."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jax.scipy.special import ndtr

from unlearnlab.unlearning.audit import (
    auc_with_se,
    binormal_lr_roc,
    gaussian_kl,
    gaussian_optimal_roc,
    gdp_tradeoff,
    klom,
    klom_delta_bias,
    klom_null_bias,
    linear_cka,
    lira_scores,
    roc_curve,
    tpr_at_fpr,
)
from unlearnlab.unlearning.exact import ridge_fit, woodbury_retrain

Z4 = 4.0  # 4 SE: two-sided false-failure rate 6.3e-5 per check


# ---------------------------------------------------------------------------- ROC / AUC


@pytest.mark.claim("unlearn_audit.auc_gaussian")
def test_auc_matches_gaussian(key):
    """Empirical AUC of N(d',1) vs N(0,1) within 4 Hanley-McNeil SE of Phi(d'/sqrt 2) (FFR 6e-5)."""
    k1, k2 = jax.random.split(key)
    for dp in (0.5, 1.0, 2.0):
        pos = jax.random.normal(k1, (2000,)) + dp
        neg = jax.random.normal(k2, (2000,))
        a, se = auc_with_se(pos, neg)
        assert abs(float(a) - float(ndtr(dp / math.sqrt(2)))) <= Z4 * float(se)


def test_auc_brute_force_with_ties(key):
    pos = jnp.round(jax.random.normal(key, (50,)), 1)
    neg = jnp.round(jax.random.normal(jax.random.fold_in(key, 1), (70,)), 1)
    diff = pos[:, None] - neg[None, :]
    want = jnp.mean((diff > 0) + 0.5 * (diff == 0))
    np.testing.assert_allclose(auc_with_se(pos, neg)[0], want, rtol=1e-12)


@given(st.integers(0, 10_000), st.sampled_from([(20, 30), (64, 64)]))
def test_auc_monotone_invariance(seed, sizes):
    k = jax.random.key(seed)
    pos = jax.random.normal(k, (sizes[0],)) + 0.3
    neg = jax.random.normal(jax.random.fold_in(k, 1), (sizes[1],))
    a1, s1 = auc_with_se(pos, neg)
    a2, s2 = auc_with_se(jnp.exp(pos) * 3 + 1, jnp.exp(neg) * 3 + 1)
    assert float(a1) == float(a2) and float(s1) == float(s2)
    fpr, tpr = roc_curve(pos, neg, n_thresh=101)
    assert float(fpr[0]) == 0 and float(tpr[0]) == 0 and float(fpr[-1]) == 1 and float(tpr[-1]) == 1
    assert np.all(np.diff(np.asarray(fpr)) >= 0) and np.all(np.diff(np.asarray(tpr)) >= 0)
    assert 0.0 <= float(a1) <= 1.0


def test_tpr_at_fpr_attains_level(key):
    pos = jax.random.normal(key, (1000,)) + 2.0
    neg = jax.random.normal(jax.random.fold_in(key, 1), (1000,))
    tpr, fpr = tpr_at_fpr(pos, neg, 0.01)
    assert float(fpr) <= 0.01
    # binomial 4-SE band around the analytic value at the attained level
    want = float(gaussian_optimal_roc(float(fpr), 2.0))
    assert abs(float(tpr) - want) <= Z4 * math.sqrt(want * (1 - want) / 1000) + 0.05


def test_binormal_lr_roc_equal_variance_is_gaussian_roc():
    fpr, tpr = binormal_lr_roc(
        jnp.array([1.3]), jnp.array([0.7]), jnp.array([0.2]), jnp.array([0.7])
    )
    inner = (fpr > 1e-9) & (fpr < 1 - 1e-9)
    want = gaussian_optimal_roc(jnp.clip(fpr, 1e-300, 1.0), 1.1 / 0.7)
    np.testing.assert_allclose(tpr[inner], want[inner], rtol=1e-8, atol=1e-12)


def test_binormal_lr_roc_auc_unequal_variance():
    """The LR test dominates the linear test: its AUC >= Phi((mu1-mu0)/sqrt(s1^2+s0^2))."""
    fpr, tpr = binormal_lr_roc(
        jnp.array([1.0]), jnp.array([2.0]), jnp.array([0.0]), jnp.array([1.0]), n_thresh=20001
    )
    auc = float(jnp.trapezoid(tpr, fpr))
    assert auc >= float(ndtr(1.0 / math.sqrt(5.0))) - 1e-4


def test_numpy_parameters_inside_a_callers_jit():
    """gdp_tradeoff, gaussian_kl and linear_cka with NumPy arguments inside a caller's jit: the
    value checks run on the concrete values (no TracerBoolConversionError) and still raise by name."""
    mu, s = np.array([0.5, 1.0]), np.array([1.0, 2.0])
    a, m = jnp.array([0.1, 0.2]), jnp.array([0.1, 0.2])
    np.testing.assert_allclose(
        jax.jit(lambda a: gdp_tradeoff(a, mu))(a), gdp_tradeoff(a, mu), rtol=1e-12
    )
    np.testing.assert_allclose(
        jax.jit(lambda m: gaussian_kl(m, s, m + 1.0, s))(m),
        gaussian_kl(m, s, m + 1.0, s),
        rtol=1e-12,
    )
    Y = np.arange(10.0)[:, None] * np.array([[1.0, 2.0]]) + np.cos(np.arange(20.0)).reshape(10, 2)
    X = jnp.asarray(np.sin(np.arange(30.0)).reshape(10, 3))
    np.testing.assert_allclose(jax.jit(lambda X: linear_cka(X, Y))(X), linear_cka(X, Y), rtol=1e-12)
    with pytest.raises(ValueError, match="`Y` must not be constant"):
        jax.jit(lambda X: linear_cka(X, np.ones((10, 2))))(X)
    with pytest.raises(ValueError, match="`mu`"):
        jax.jit(lambda a: gdp_tradeoff(a, -mu))(a)
    with pytest.raises(ValueError, match="`s1`"):
        jax.jit(lambda m: gaussian_kl(m, -s, m, s))(m)


@pytest.mark.claim("unlearn_audit.exact_auc_null")
def test_exact_retrain_auc_null(key):
    """U-LiRA against exact retrain: AUC within 0.5 +- 4 SE (FFR 6e-5)."""
    n, d, lam, K, M = 60, 5, 1.0, 64, 1000
    kx, kb = jax.random.split(key)
    X = jax.random.normal(kx, (n, d)) / math.sqrt(d)
    beta = jax.random.normal(kb, (d,))
    f = jnp.zeros(n, bool).at[0].set(True)

    def unl(k):
        y = X @ beta + 0.5 * jax.random.normal(k, (n,))
        return X[0] @ woodbury_retrain(X, y, ridge_fit(X, y, lam), f, lam)

    def orc(k):
        y = X @ beta + 0.5 * jax.random.normal(k, (n,))
        return X[0] @ ridge_fit(X[1:], y[1:], lam)

    ks = jax.random.split(jax.random.fold_in(key, 5), 2 * K + 2 * M)
    m_in = jax.vmap(unl)(ks[:K])[:, None]
    m_out = jax.vmap(orc)(ks[K : 2 * K])[:, None]
    pos = lira_scores(jax.vmap(unl)(ks[2 * K : 2 * K + M])[:, None], m_in, m_out)[:, 0]
    neg = lira_scores(jax.vmap(orc)(ks[2 * K + M :])[:, None], m_in, m_out)[:, 0]
    a, se = auc_with_se(pos, neg)
    assert abs(float(a) - 0.5) <= Z4 * float(se)


# ------------------------------------------------------------------------------------- KLoM


def _np_klom(p, q, bins=20, eps=1e-5, clip=100.0):
    p = np.clip(p, -clip, clip)
    q = np.clip(q, -clip, clip)
    lo, hi = min(p.min(), q.min()), max(p.max(), q.max())
    ph, _ = np.histogram(p, bins=bins, range=(lo, hi))
    qh, _ = np.histogram(q, bins=bins, range=(lo, hi))
    ph = ph / ph.sum()
    qh = qh / qh.sum()
    out = 0.0
    for a, b in zip(ph, qh):
        if a > 0:
            out += a * math.log(a / max(b, eps))
    return out


def test_klom_equals_numpy(key):
    p = 3 * jax.random.normal(key, (150, 12)) + 1
    q = 2 * jax.random.normal(jax.random.fold_in(key, 1), (90, 12))
    got = np.asarray(klom(p, q))
    want = [_np_klom(np.asarray(p[:, j]), np.asarray(q[:, j])) for j in range(12)]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert np.all(got >= 0)


def test_klom_identical_is_zero(key):
    p = jax.random.normal(key, (100, 7))
    assert np.all(np.asarray(klom(p, p)) == 0)
    assert np.all(np.asarray(klom(jnp.ones((5, 2)), jnp.ones((5, 2)))) == 0)


def test_klom_null_small_at_large_k(key):
    """Null, K=2000: mean over 50 seeds <= 2(B-1)/K (null mean ~0.011 vs 0.019; SE ~3e-4)."""
    K = 2000
    p = jax.random.normal(key, (K, 50))
    q = jax.random.normal(jax.random.fold_in(key, 1), (K, 50))
    assert float(jnp.mean(klom(p, q))) <= 2 * 19 / K


@pytest.mark.claim("dmm_convex.klom_null")
def test_klom_null_bias_matches_null_mean(key):
    """Permutation null mean vs the mean of KLoM over independent null draws: within 4 SE."""
    K, E = 100, 400
    p = jax.random.normal(key, (K, E))
    q = jax.random.normal(jax.random.fold_in(key, 1), (K, E))
    direct = np.asarray(klom(p, q))
    p2 = jax.random.normal(jax.random.fold_in(key, 2), (K, E))
    q2 = jax.random.normal(jax.random.fold_in(key, 3), (K, E))
    perm = np.asarray(klom_null_bias(jax.random.fold_in(key, 4), p2, q2, n_perm=16))
    se = math.sqrt(direct.var() / E + perm.var() / E)
    assert abs(direct.mean() - perm.mean()) <= Z4 * se
    # the delta-method term underestimates the null mean at K = 100 (spec A.6)
    assert float(jnp.mean(klom_delta_bias(p, q))) < direct.mean()


def test_klom_gaussian_reference(key):
    """K=2000, 10 draws: mean KLoM within 0.05 + 0.2 KL_true of the closed form (binning bias)."""
    K = 2000
    for mu, s in ((1.0, 1.0), (0.5, 1.5)):
        p = mu + s * jax.random.normal(jax.random.fold_in(key, 10), (K, 10))
        q = jax.random.normal(jax.random.fold_in(key, 11), (K, 10))
        kl = float(gaussian_kl(mu, s, 0.0, 1.0))
        assert abs(float(jnp.mean(klom(p, q))) - kl) <= 0.05 + 0.2 * kl


@pytest.mark.parametrize("wrap", [lambda f: f, jax.jit])
def test_klom_jit_equals_nojit(key, wrap):
    p = jax.random.normal(key, (30, 4))
    q = jax.random.normal(jax.random.fold_in(key, 1), (30, 4)) + 0.5
    np.testing.assert_allclose(wrap(klom)(p, q), klom(p, q), rtol=1e-12)


def test_klom_traced_once(key):
    count = [0]

    def f(p, q):
        count[0] += 1
        return klom(p, q)

    jf = jax.jit(f)
    for s in range(3):
        jf(jax.random.normal(jax.random.fold_in(key, s), (20, 3)), jnp.ones((20, 3)) * s)
    assert count[0] == 1


# -------------------------------------------------------------------------------------- CKA


@pytest.mark.claim("unlearn_audit.cka_head_only")
def test_head_only_unlearning_keeps_features_retraining_does_not(key):
    """Two-layer ReLU MLP (the experiment's setting, smaller): unlearning by refitting the head
    (ridge on the kept rows' features) leaves the features unchanged, CKA(orig, head-only) = 1 to
    1e-12; retraining the whole network without the forget rows (another init) changes them,
    CKA(orig, retrained) < 0.99. Deterministic (fixed keys)."""
    n, d, h = 120, 6, 16
    X = jax.random.normal(key, (n, d))
    y = jnp.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    keep = (jnp.arange(n) >= 30).astype(X.dtype)

    def train(k, w):
        W1, v = jax.random.normal(k, (d, h)) / math.sqrt(d), jnp.zeros(h)
        loss = lambda p: jnp.sum(w * (jax.nn.relu(X @ p[0]) @ p[1] - y) ** 2) / jnp.sum(w)
        step = lambda p, _: (jax.tree.map(lambda a, g: a - 0.05 * g, p, jax.grad(loss)(p)), None)
        return jax.lax.scan(step, (W1, v), None, length=300)[0]

    W1, v = train(jax.random.fold_in(key, 1), jnp.ones(n))
    phi = jax.nn.relu(X @ W1)
    v_head = ridge_fit(phi * keep[:, None], y * keep, 1e-3)  # head-only unlearning: W1 untouched
    assert float(jnp.linalg.norm(v_head - v)) > 0  # the head did change
    phi_head = jax.nn.relu(X @ W1)
    W1r, _ = train(jax.random.fold_in(key, 2), keep)
    assert abs(float(linear_cka(phi, phi_head)) - 1.0) <= 1e-12
    assert float(linear_cka(phi, jax.nn.relu(X @ W1r))) < 0.99


@given(st.integers(0, 10_000), st.sampled_from([(30, 4), (50, 8)]), st.floats(0.1, 10.0))
def test_linear_cka_invariances(seed, shape, scale):
    k = jax.random.key(seed)
    X = jax.random.normal(k, shape)
    Y = jax.random.normal(jax.random.fold_in(k, 1), shape) + 0.5 * X
    Q = jnp.linalg.qr(jax.random.normal(jax.random.fold_in(k, 2), (shape[1], shape[1])))[0]
    assert abs(float(linear_cka(X, X)) - 1.0) <= 1e-10
    c = float(linear_cka(X, Y))
    assert abs(float(linear_cka(X @ Q * scale, Y)) - c) <= 1e-10
    assert abs(float(linear_cka(X, Y * scale)) - c) <= 1e-10
    assert 0.0 <= c <= 1.0 + 1e-12


# ------------------------------------------------------------------------------ bad input


def test_bad_input_raises():
    with pytest.raises(ValueError, match="columns|eval points"):
        klom(jnp.ones((5, 3)), jnp.ones((5, 2)))
    with pytest.raises(ValueError, match="rank"):
        roc_curve(jnp.ones((3, 2)), jnp.ones(3))
    with pytest.raises(ValueError, match="columns"):
        lira_scores(jnp.ones(3), jnp.ones((4, 3)), jnp.ones((4, 2)))
    with pytest.raises(ValueError, match="alpha"):
        gaussian_optimal_roc(1.5, 1.0)
    with pytest.raises(ValueError, match="finite"):
        auc_with_se(jnp.array([jnp.nan, 1.0]), jnp.ones(2))
    with pytest.raises(ValueError, match="rows"):
        linear_cka(jnp.ones((4, 2)), jnp.ones((5, 2)))


@pytest.mark.claim("unlearn_audit.np_optimal")
@pytest.mark.claim("unlearn_audit.auc_gaussian")
def test_exact_lr_auc_matches_binormal_roc(key):
    """Pooled LR attack with exact parameters: AUC within 4 SE of the binormal LR-ROC area, and the
    shadow-fitted U-LiRA AUC at most that area + 4 SE (Neyman-Pearson; FFR ~1.3e-4 for both)."""
    P, N, K = 5, 400, 16
    kk = jax.random.split(key, 6)
    mu_in = jax.random.normal(kk[0], (P,))
    s_in = 0.5 + jax.random.uniform(kk[1], (P,))
    mu_out = jnp.zeros(P)
    s_out = 0.5 + jax.random.uniform(kk[2], (P,))
    draw = lambda k, mu, s, m: mu + s * jax.random.normal(k, (m, P))
    pos_m, neg_m = draw(kk[3], mu_in, s_in, N), draw(kk[4], mu_out, s_out, N)

    def lr(m):
        lp = lambda m, mu, s: -0.5 * ((m - mu) / s) ** 2 - jnp.log(s)
        return lp(m, mu_in, s_in) - lp(m, mu_out, s_out)

    fpr, tpr = binormal_lr_roc(mu_in, s_in, mu_out, s_out, n_thresh=4001)
    area = float(jnp.trapezoid(tpr, fpr))
    a, se = auc_with_se(lr(pos_m).ravel(), lr(neg_m).ravel())
    assert abs(float(a) - area) <= Z4 * float(se) + 1e-3  # + quadrature of the ROC area
    ks = jax.random.split(kk[5], 2)
    sh_in, sh_out = draw(ks[0], mu_in, s_in, K), draw(ks[1], mu_out, s_out, K)
    a2, se2 = auc_with_se(
        lira_scores(pos_m, sh_in, sh_out).ravel(), lira_scores(neg_m, sh_in, sh_out).ravel()
    )
    assert float(a2) <= area + Z4 * float(se2)
