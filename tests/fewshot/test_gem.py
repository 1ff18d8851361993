"""GEM with fixed hyper-parameters: monotone objective, EM identity, equivariance, proportions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unlearnlab.fewshot import (
    TaskSpec,
    gem_e_step,
    gem_init,
    gem_layer,
    gem_m_step,
    gem_objective,
    gem_pi_step,
    gem_run,
    multinomial_l1_error_dirichlet,
    sample_task,
)
from unlearnlab.lab.stats import loglog_slope

SPEC = TaskSpec(n_classes=8, k_eff=3, shot=3, n_query=40, dim=6, sep=0.7, noise="aniso")
gem_run_jit = jax.jit(gem_run, static_argnames=("n_classes", "n_iter"))


# ---------------------------------------------------------------- invariant: monotone objective
@pytest.mark.claim("unem.monotone")
def test_objective_monotone_per_block(key):
    """Invariant (exact block minimisers): F never increases after the E, pi or M block.

    50 tasks, lam in [0.1, 10] (log-uniform), T in [1, 4], 30 iterations, relative slack 1e-9.
    """
    K = SPEC.n_classes
    k1, k2 = jax.random.split(key)
    keys = jax.random.split(k1, 50)
    h = jax.random.uniform(k2, (50, 2))
    lams, Ts = 0.1 * 100.0 ** h[:, 0], 1.0 + 3.0 * h[:, 1]

    def one(k, lam, T):
        t = sample_task(k, SPEC)
        y1 = jax.nn.one_hot(t.y_s, K)
        s0 = gem_init(t.z_s, t.y_s, K)._replace(u=jnp.full((SPEC.n_query, K), 1.0 / K))

        def body(s, _):
            f0 = gem_objective(s, t.z_s, y1, t.z_q, lam, T)
            s = gem_e_step(s, t.z_q, lam, T)
            f1 = gem_objective(s, t.z_s, y1, t.z_q, lam, T)
            s = gem_pi_step(s)
            f2 = gem_objective(s, t.z_s, y1, t.z_q, lam, T)
            s = gem_m_step(s, t.z_s, y1, t.z_q)
            f3 = gem_objective(s, t.z_s, y1, t.z_q, lam, T)
            f = jnp.stack([f0, f1, f2, f3])
            return s, (f[1:] - f[:-1]) / jnp.abs(f[:-1])

        return jax.lax.scan(body, s0, None, length=30)[1]

    rel = np.asarray(jax.jit(jax.vmap(one))(keys, lams, Ts))
    assert rel.shape == (50, 30, 3)
    assert np.all(np.isfinite(rel))
    assert rel.max() <= 1e-9, f"max relative increase {rel.max():.3g}"


# ---------------------------------------------------------------- exact identity: EM reduction
def _numpy_em_step(z_s, y_s, z_q, w, pi):
    """Textbook EM for an identity-covariance GMM with mixing weights pi and clamped support."""
    K = w.shape[0]
    n_q, d = z_q.shape
    logp = np.zeros((n_q, K))
    for n in range(n_q):
        for k in range(K):
            diff = z_q[n] - w[k]
            logp[n, k] = np.log(pi[k]) - 0.5 * diff @ diff - 0.5 * d * np.log(2 * np.pi)
    logp -= logp.max(axis=1, keepdims=True)
    r = np.exp(logp)
    r /= r.sum(axis=1, keepdims=True)
    pi_new = r.mean(axis=0)
    w_new = np.zeros_like(w)
    for k in range(K):
        num = (r[:, k : k + 1] * z_q).sum(0) + z_s[y_s == k].sum(0)
        w_new[k] = num / (r[:, k].sum() + np.sum(y_s == k))
    return r, pi_new, w_new


@pytest.mark.claim("unem.em_reduction")
def test_em_reduction_lambda_T_one(key):
    """Exact identity: gem_layer at lam = T = 1 equals a textbook EM step (float64, 1e-12)."""
    K = SPEC.n_classes
    for k in jax.random.split(key, 3):
        t = sample_task(k, SPEC)
        y1 = jax.nn.one_hot(t.y_s, K)
        s = gem_init(t.z_s, t.y_s, K)
        pi0 = np.asarray(jax.random.dirichlet(k, jnp.ones(K)))
        s = s._replace(log_pi=jnp.log(pi0), u=jnp.zeros((SPEC.n_query, K)))
        for _ in range(3):  # several consecutive steps
            out = gem_layer(s, t.z_s, y1, t.z_q, 1.0, 1.0)
            r, pi_new, w_new = _numpy_em_step(
                np.asarray(t.z_s),
                np.asarray(t.y_s),
                np.asarray(t.z_q),
                np.asarray(s.w),
                np.exp(np.asarray(s.log_pi)),
            )
            np.testing.assert_allclose(np.asarray(out.u), r, rtol=0, atol=1e-12)
            np.testing.assert_allclose(np.exp(np.asarray(out.log_pi)), pi_new, rtol=0, atol=1e-12)
            np.testing.assert_allclose(np.asarray(out.w), w_new, rtol=1e-12, atol=1e-12)
            s = out


def test_lambda_zero_ignores_pi(key):
    """Exact identity: at lam = 0 the E-step does not depend on pi."""
    K = SPEC.n_classes
    t = sample_task(key, SPEC)
    s = gem_init(t.z_s, t.y_s, K)
    pi = jax.random.dirichlet(jax.random.fold_in(key, 1), jnp.ones(K))
    a = gem_e_step(s, t.z_q, 0.0, 1.7).u
    b = gem_e_step(s._replace(log_pi=jnp.log(pi)), t.z_q, 0.0, 1.7).u
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=1e-14)


def test_run_rows_on_simplex(key):
    """Invariant: gem_run returns (n_q, K) assignments on the simplex and normalised proportions."""
    t = sample_task(key, SPEC)
    s = gem_run(t.z_s, t.y_s, t.z_q, SPEC.n_classes, 2.0, 1.5, 7)
    assert s.u.shape == (SPEC.n_query, SPEC.n_classes)
    assert s.w.shape == (SPEC.n_classes, SPEC.dim)
    np.testing.assert_allclose(np.asarray(s.u.sum(1)), 1.0, atol=1e-12)
    assert np.all(np.asarray(s.u) >= 0)
    np.testing.assert_allclose(float(jnp.exp(s.log_pi).sum()), 1.0, atol=1e-12)


# ---------------------------------------------------------------- invariant: equivariance
@given(seed=st.integers(0, 2**30), lam=st.floats(0.0, 8.0), T=st.floats(0.5, 4.0))
def test_equivariance(seed, lam, T):
    """Invariant: query permutation permutes rows of u; relabelling classes permutes columns."""
    key = jax.random.key(seed)
    k1, k2, k3 = jax.random.split(key, 3)
    K = SPEC.n_classes
    t = sample_task(k1, SPEC)
    base = gem_run_jit(t.z_s, t.y_s, t.z_q, n_classes=K, lam=lam, T=T, n_iter=6)
    perm_q = np.asarray(jax.random.permutation(k2, SPEC.n_query))
    s = gem_run_jit(t.z_s, t.y_s, t.z_q[perm_q], n_classes=K, lam=lam, T=T, n_iter=6)
    np.testing.assert_allclose(np.asarray(s.u), np.asarray(base.u)[perm_q], atol=1e-12)
    sigma = np.asarray(jax.random.permutation(k3, K))  # new label of class k is sigma[k]
    s = gem_run_jit(t.z_s, jnp.asarray(sigma)[t.y_s], t.z_q, n_classes=K, lam=lam, T=T, n_iter=6)
    inv = np.argsort(sigma)
    np.testing.assert_allclose(np.asarray(s.u)[:, sigma], np.asarray(base.u), atol=1e-12)
    np.testing.assert_allclose(np.asarray(s.w)[sigma], np.asarray(base.w), atol=1e-12)
    assert inv.shape == (K,)


# ---------------------------------------------------------------- statistical: proportions
@pytest.mark.claim("unem.proportions")
@pytest.mark.slow
def test_proportion_recovery(key):
    """Statistical: |pi_hat - p|_1 decays like the multinomial sampling noise, slope ~ -1/2.

    lam = T = 1, 50 iterations, K = 5, d = 16, mu ~ N(0, I), 5 shots, p ~ Dir(1), labels i.i.d.
    Cat(p), 30 tasks per |Q| in {30, 100, 300, 1000, 3000}. The band [-0.75, -0.3] is about 7 standard
    errors of the fitted slope wide on each side (per-size relative SE of the mean ~0.11, giving a
    slope SE ~0.03): false-failure rate < 1e-6 under the CLT. Second check: the estimation error
    |pi_hat - p_emp|_1 <= 0.06 for |Q| >= 100 (prototype 0.038 at |Q| = 100, std/sqrt(30) ~ 0.004,
    margin > 5 SE).
    """
    K = 5
    sizes = (30, 100, 300, 1000, 3000)
    err, err_emp = [], []
    for i, nq in enumerate(sizes):
        spec = TaskSpec(
            n_classes=K,
            k_eff=K,
            shot=5,
            n_query=nq,
            dim=16,
            sep=1.0,
            noise="iso",
            query_sampling="multinomial",
        )

        def one(k, spec=spec, nq=nq):
            t = sample_task(k, spec)
            s = gem_run(t.z_s, t.y_s, t.z_q, K, 1.0, 1.0, 50)
            pi_hat = jnp.exp(s.log_pi)
            p_emp = jnp.bincount(t.y_q, length=K) / nq
            return jnp.sum(jnp.abs(pi_hat - t.pi)), jnp.sum(jnp.abs(pi_hat - p_emp))

        e, ee = jax.jit(jax.vmap(one))(jax.random.split(jax.random.fold_in(key, i), 30))
        err.append(float(jnp.mean(e)))
        err_emp.append(float(jnp.mean(ee)))
    err = np.asarray(err)
    assert np.all(np.diff(err) < 0), err
    fit = loglog_slope(np.asarray(sizes, float), err)
    assert -0.75 <= fit.slope <= -0.3, (fit, err)
    assert max(err_emp[1:]) <= 0.06, err_emp
    # the reference curve is the right order of magnitude at large |Q| (sampling noise dominates)
    ratio = err[-1] / multinomial_l1_error_dirichlet(K, sizes[-1])
    assert 0.5 < ratio < 2.0, ratio


def test_feature_scale_equivalence(key):
    """Exact identity: GEM on s*z with (lam, T) equals GEM on z with (lam/s^2, T/s^2); w scales by s.

    So UNEM's feature scale s = softplus(t1) lets the effective temperature T/s^2 go below 1 even
    though T = 1 + softplus(t2) >= 1 (theory/unem.md Sec. 5).
    """
    t = sample_task(key, SPEC)
    K, s, lam, T = SPEC.n_classes, 2.7, 1.9, 1.3
    a = gem_run(s * t.z_s, t.y_s, s * t.z_q, K, lam, T, 8)
    b = gem_run(t.z_s, t.y_s, t.z_q, K, lam / s**2, T / s**2, 8)
    np.testing.assert_allclose(np.asarray(a.u), np.asarray(b.u), atol=1e-12)
    np.testing.assert_allclose(np.asarray(a.w), s * np.asarray(b.w), atol=1e-12)
    np.testing.assert_allclose(np.asarray(a.log_pi), np.asarray(b.log_pi), atol=1e-12)
