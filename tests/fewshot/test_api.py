"""Conventions: jit == no-jit, traced once, vmap == loop, samplers, validation, public surface,
the Dirichlet branch, the reference curves and the claims registry."""

import math
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import unlearnlab.fewshot as fs
from unlearnlab.fewshot import (
    CLAIMS,
    TaskSpec,
    dirichlet_mle_mm,
    dirichlet_nll,
    gem_run,
    multinomial_l1_error,
    multinomial_l1_error_dirichlet,
    pool_by_class,
    sample_task,
    sample_task_from_pool,
    unem_dirichlet_forward,
    unem_forward,
    unem_init_params,
)

SPEC = TaskSpec(n_classes=6, k_eff=3, shot=2, n_query=15, dim=4, sep=0.8, noise="student")
ROOT = Path(__file__).resolve().parents[2]


def test_public_surface_imports():
    for name in fs.__all__:
        assert hasattr(fs, name), name
    from unlearnlab.fewshot import gem_run, sample_task, train_unem, unem_forward  # noqa: F401


# ---------------------------------------------------------------- jit == no-jit, traced once
def test_gem_run_jit_equals_nojit_and_traces_once(key):
    t = sample_task(key, SPEC)
    ref = gem_run(t.z_s, t.y_s, t.z_q, 6, 1.5, 2.0, 5)
    count = []

    def f(z_s, y_s, z_q, lam, T):
        count.append(1)
        return gem_run(z_s, y_s, z_q, 6, lam, T, 5)

    jf = jax.jit(f)
    out = jf(t.z_s, t.y_s, t.z_q, 1.5, 2.0)
    for a, b in zip(out, ref):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-12)
    t2 = sample_task(jax.random.fold_in(key, 1), SPEC)
    jf(t2.z_s, t2.y_s, t2.z_q, 0.5, 1.0)
    assert len(count) == 1


def test_unem_forward_jit_vmap_and_traces_once(key):
    p = unem_init_params(3)
    tasks = jax.vmap(partial(sample_task, spec=SPEC))(jax.random.split(key, 2))
    loop = [
        unem_forward(p, *(x[i] for x in (tasks.z_s, tasks.y_s, tasks.z_q)), 6) for i in range(2)
    ]
    count = []

    def f(p, z_s, y_s, z_q):
        count.append(1)
        return unem_forward(p, z_s, y_s, z_q, 6)

    jf = jax.jit(f)
    for i in range(2):
        np.testing.assert_allclose(
            np.asarray(jf(p, tasks.z_s[i], tasks.y_s[i], tasks.z_q[i])),
            np.asarray(loop[i]),
            atol=1e-12,
        )
    assert len(count) == 1
    vm = jax.vmap(lambda a, b, c: unem_forward(p, a, b, c, 6))(tasks.z_s, tasks.y_s, tasks.z_q)
    np.testing.assert_allclose(np.asarray(vm), np.stack([np.asarray(u) for u in loop]), atol=1e-12)
    np.testing.assert_allclose(np.asarray(vm.sum(-1)), 1.0, atol=1e-12)


def test_sample_task_jit_equals_nojit_and_traces_once(key):
    count = []

    def f(k):
        count.append(1)
        return sample_task(k, SPEC)

    jf = jax.jit(f)
    for k in jax.random.split(key, 3):
        a, b = jf(k), sample_task(k, SPEC)
        for x, y in zip(a, b):
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=1e-12)
    assert len(count) == 1


# ---------------------------------------------------------------- samplers
@pytest.mark.parametrize("mode", ["dirichlet", "multinomial", "uniform", "balanced"])
def test_sampler_shapes_and_counts(key, mode):
    spec = TaskSpec(n_classes=7, k_eff=3, shot=2, n_query=31, dim=3, query_sampling=mode)
    t = jax.jit(partial(sample_task, spec=spec))(key)
    assert t.z_s.shape == (14, 3) and t.y_s.shape == (14,)
    assert t.z_q.shape == (31, 3) and t.y_q.shape == (31,) and t.pi.shape == (7,)
    assert np.all(np.bincount(np.asarray(t.y_s), minlength=7) == 2)
    present = np.unique(np.asarray(t.y_q))
    assert len(present) <= 3
    assert np.isclose(float(t.pi.sum()), 1.0) and np.sum(np.asarray(t.pi) > 0) == 3
    assert set(present) <= set(np.flatnonzero(np.asarray(t.pi) > 0))
    counts = np.bincount(np.asarray(t.y_q), minlength=7)
    assert counts.sum() == 31
    if mode in ("dirichlet", "balanced"):  # largest-remainder rounding: within one of p * n
        assert np.all(np.abs(counts - 31 * np.asarray(t.pi)) < 1.0)


def test_pool_sampler_disjoint_support_and_query(key):
    C, M, d = 6, 30, 4
    # each point's first coordinate is a unique id, so shared points are detectable
    ids = np.arange(C * M, dtype=float).reshape(C, M, 1)
    pool = np.concatenate([ids, np.random.default_rng(0).normal(size=(C, M, d - 1))], axis=-1)
    spec = TaskSpec(n_classes=4, k_eff=2, shot=3, n_query=20)
    sampler = jax.jit(partial(sample_task_from_pool, spec=spec))
    for k in jax.random.split(key, 5):
        t = sampler(k, pool)
        s_ids, q_ids = np.asarray(t.z_s[:, 0]), np.asarray(t.z_q[:, 0])
        assert len(set(s_ids) | set(q_ids)) == len(s_ids) + len(q_ids)
        # the pool class of every point matches its task label consistently
        cls_s = (s_ids // M).astype(int)
        for lab in range(4):
            assert len(set(cls_s[np.asarray(t.y_s) == lab])) == 1
        assert np.bincount(np.asarray(t.y_q), minlength=4)[2:].sum() == 0
    with pytest.raises(ValueError, match="points per class"):
        sample_task_from_pool(key, pool, TaskSpec(n_classes=4, k_eff=2, shot=3, n_query=40))
    z, y = pool.reshape(-1, d), np.repeat(np.arange(C), M)
    np.testing.assert_array_equal(pool_by_class(z, y), pool)


# ---------------------------------------------------------------- validation
def test_bad_input_raises(key):
    t = sample_task(key, SPEC)
    with pytest.raises(ValueError, match="y_s"):
        gem_run(t.z_s, t.y_s.at[0].set(6), t.z_q, 6, 1.0, 1.0, 3)
    with pytest.raises(ValueError, match="every class"):
        gem_run(t.z_s, jnp.where(t.y_s == 5, 0, t.y_s), t.z_q, 6, 1.0, 1.0, 3)
    with pytest.raises(ValueError, match="z_q"):
        gem_run(t.z_s, t.y_s, t.z_q.at[0, 0].set(jnp.nan), 6, 1.0, 1.0, 3)
    with pytest.raises(ValueError, match="lam"):
        gem_run(t.z_s, t.y_s, t.z_q, 6, -1.0, 1.0, 3)
    with pytest.raises(ValueError, match="`T`"):
        gem_run(t.z_s, t.y_s, t.z_q, 6, 1.0, 0.0, 3)
    with pytest.raises(ValueError, match="n_iter"):
        gem_run(t.z_s, t.y_s, t.z_q, 6, 1.0, 1.0, 0)
    with pytest.raises(ValueError, match="feature dimension"):
        gem_run(t.z_s, t.y_s, t.z_q[:, :2], 6, 1.0, 1.0, 3)
    with pytest.raises(ValueError, match="k_eff"):
        TaskSpec(n_classes=3, k_eff=4)
    with pytest.raises(ValueError, match="query_sampling"):
        TaskSpec(query_sampling="nope")
    with pytest.raises(ValueError, match="z_s"):
        unem_forward(unem_init_params(2), t.z_s.at[1, 1].set(jnp.inf), t.y_s, t.z_q, 6)
    with pytest.raises(ValueError, match="params"):
        unem_forward((1.0, 2.0), t.z_s, t.y_s, t.z_q, 6)
    with pytest.raises(ValueError, match="p"):
        multinomial_l1_error(jnp.asarray([0.5, 0.6]), 10)


# ---------------------------------------------------------------- reference curves
def test_multinomial_curve_dirichlet_average_exact():
    """Exact identity: the closed-form Dirichlet average equals a numerical integral (1e-8)."""
    from scipy import integrate, stats

    for K in (2, 5, 20):
        m, _ = integrate.quad(
            lambda x, K=K: math.sqrt(x * (1 - x)) * stats.beta(1, K - 1).pdf(x), 0, 1
        )
        want = K * m * math.sqrt(2 / math.pi) / math.sqrt(75.0)
        assert abs(float(multinomial_l1_error_dirichlet(K, 75)) - want) < 1e-8
    np.testing.assert_allclose(float(multinomial_l1_error_dirichlet(5, 1.0)), 1.371, atol=1e-3)
    p = jnp.asarray([0.2, 0.3, 0.5])
    want = sum(math.sqrt(2 * q * (1 - q) / (math.pi * 40)) for q in (0.2, 0.3, 0.5))
    assert abs(float(multinomial_l1_error(p, 40)) - want) < 1e-12


# ---------------------------------------------------------------- Dirichlet branch
def test_dirichlet_mm_monotone_and_stationary(key):
    """Invariant: every MM step lowers the Dirichlet NLL; 2000 steps reach a stationary point."""
    alpha_true = jnp.asarray([2.0, 5.0, 1.0, 0.7])
    x = jax.random.dirichlet(key, alpha_true, (4000,))
    lbar = jnp.mean(jnp.log(x), axis=0)
    a = jnp.ones(4)
    mm = jax.jit(dirichlet_mle_mm, static_argnums=2)
    nll = jax.jit(dirichlet_nll)
    f_prev = float(nll(a, lbar))
    for _ in range(40):
        a = mm(a, lbar, 1)
        f = float(nll(a, lbar))
        assert f <= f_prev + 1e-12
        f_prev = f
    a = mm(a, lbar, 2000)
    grad = jax.grad(dirichlet_nll)(a, lbar)
    assert float(jnp.max(jnp.abs(grad))) < 1e-6
    np.testing.assert_allclose(np.asarray(a), np.asarray(alpha_true), rtol=0.15)


def test_unem_dirichlet_forward_simplex_and_grad(key):
    t = sample_task(key, SPEC)
    # logits over the 6 classes from distances to the true means
    logits_s = -jnp.sum((t.z_s[:, None] - t.mu[None]) ** 2, -1) / 10
    logits_q = -jnp.sum((t.z_q[:, None] - t.mu[None]) ** 2, -1) / 10
    p = fs.dirichlet_init_params(3, 6, 3, tau=3.0)
    u = unem_dirichlet_forward(p, logits_s, t.y_s, logits_q, 6, n_mm=20)
    assert u.shape == (15, 6)
    np.testing.assert_allclose(np.asarray(u.sum(-1)), 1.0, atol=1e-12)
    g = jax.grad(
        lambda p: (
            -jnp.mean(
                jnp.log(
                    unem_dirichlet_forward(p, logits_s, t.y_s, logits_q, 6, n_mm=20)[
                        jnp.arange(15), t.y_q
                    ]
                )
            )
        )
    )(p)
    assert all(np.all(np.isfinite(np.asarray(x))) for x in g)


# ---------------------------------------------------------------- claims registry
def test_claims_name_existing_tests():
    for c in CLAIMS:
        assert c.experiment == "unem" and c.id.startswith("unem.")
        for node in c.tests:
            path, _, name = node.partition("::")
            src = (ROOT / path).read_text()
            assert f"def {name.split('[')[0]}(" in src, node
