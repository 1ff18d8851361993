"""UNEM: gradients, learned vs default vs grid, distribution shift, best lambda per family."""

import os
import subprocess
import sys
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from unlearnlab.fewshot import (
    TaskSpec,
    UNEMTrainConfig,
    gem_accuracy,
    grid_search_gem,
    query_accuracy,
    sample_task,
    train_unem,
    train_unem_on_tasks,
    unem_forward,
    unem_init_params,
    unem_loss,
)
from unlearnlab.lab.stats import mean_ci, normal_quantile

SMALL = TaskSpec(n_classes=6, k_eff=3, shot=3, n_query=20, dim=5, sep=0.8, noise="aniso")


# ---------------------------------------------------------------- gradients
@pytest.mark.claim("unem.first_layer_lambda_inert")
@pytest.mark.parametrize("kind", ["nll", "paper_code"])
def test_gradients_finite_nonzero_and_match_finite_differences(key, kind, request):
    """Exact (float64): grad of unem_loss is finite, nonzero for every parameter except gamma_1,
    and agrees with central finite differences to rel 1e-5.

    gamma_1 is inert: pi^(0) is uniform, so lam_1 log pi^(0) is constant over classes and cancels
    in the first softmax; its gradient is zero up to rounding (checked <= 1e-12).

    Runs in a fresh interpreter: in two full-suite runs (2 xdist workers) XLA:CPU of jaxlib 0.10.2
    segfaulted while compiling the ``lax.scan`` of ``train_unem_on_tasks`` for the ``nll`` case, in
    a worker that had compiled many programs before; run alone the same test passes.
    """
    if os.environ.get("UNLEARNLAB_ISOLATED") != "1":
        r = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
            + [request.node.nodeid],
            cwd=request.config.rootpath,
            env={**os.environ, "UNLEARNLAB_ISOLATED": "1"},
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
        assert "1 passed" in r.stdout, r.stdout[-2000:]
        return
    K = SMALL.n_classes
    t = sample_task(key, SMALL)
    p0 = unem_init_params(4)
    cfg = UNEMTrainConfig(n_layers=4, n_tasks=8, steps=5, lr_drop_step=3, loss=kind)
    tasks = jax.vmap(partial(sample_task, spec=SMALL))(jax.random.split(key, 8))
    p1, _ = train_unem_on_tasks(tasks, K, cfg)
    f = jax.jit(lambda p: unem_loss(p, t, K, kind=kind))
    for p in (p0, p1):
        g = jax.grad(f)(p)
        flat, unravel = ravel_pytree(g)
        flat = np.asarray(flat)
        assert np.all(np.isfinite(flat))
        # layout of ravel_pytree: t1, gamma (4), t2 (4)
        assert abs(flat[1]) <= 1e-12, flat[1]
        others = np.delete(flat, 1)
        assert np.all(np.abs(others) > 1e-10), flat
        x0, unr = ravel_pytree(p)
        h = 1e-5
        for i in range(x0.shape[0]):
            if i == 1:
                continue
            e = jnp.zeros_like(x0).at[i].set(h)
            fd = (f(unr(x0 + e)) - f(unr(x0 - e))) / (2 * h)
            np.testing.assert_allclose(float(fd), flat[i], rtol=1e-5, atol=1e-10)


# ---------------------------------------------------------------- best lambda per family
@pytest.mark.claim("unem.best_lambda_depends_on_family")
@pytest.mark.slow
def test_best_lambda_depends_on_family(key):
    """Statistical: GEM's best lambda (T = 1) differs between two task families.

    Family A: K/k_eff = 20/5, features at scale 1; family B: 10/8 at scale 0.5 (the best lambda
    scales like scale^2). 100 tasks each, lambda in {0.3, 1, 3, 10}. Checked: on each family its own
    best lambda beats the other's by more than z_{1 - 1e-4} paired standard errors (false-failure
    rate <= 2e-4 by the CLT).
    """
    syn = dict(shot=5, n_query=75, dim=32, sep=0.6, noise="aniso")
    A = TaskSpec(n_classes=20, k_eff=5, scale=1.0, **syn)
    B = TaskSpec(n_classes=10, k_eff=8, scale=0.5, **syn)
    lams = jnp.asarray([0.3, 1.0, 3.0, 10.0])
    accs = {}
    for name, spec in (("A", A), ("B", B)):
        tasks = jax.vmap(partial(sample_task, spec=spec))(
            jax.random.split(jax.random.fold_in(key, len(name) + spec.n_classes), 100)
        )
        f = jax.jit(
            jax.vmap(
                lambda t, K=spec.n_classes: jax.vmap(lambda lam: gem_accuracy(t, K, lam, 1.0, 10))(
                    lams
                )
            )
        )
        accs[name] = np.asarray(f(tasks))  # (100, 4)
    ia, ib = int(np.argmax(accs["A"].mean(0))), int(np.argmax(accs["B"].mean(0)))
    assert ia != ib, (accs["A"].mean(0), accs["B"].mean(0))
    z = normal_quantile(1 - 1e-4)
    for name, own, other in (("A", ia, ib), ("B", ib, ia)):
        d = accs[name][:, own] - accs[name][:, other]
        ci = mean_ci(d)
        assert ci.mean > z * ci.sem, (name, ci)


# ---------------------------------------------------------------- learned vs default vs grid
@pytest.mark.claim("unem.learned_not_worse")
@pytest.mark.slow
def test_learned_not_worse_than_default_and_shift(key):
    """Statistical (slow): learned UNEM is not worse than GEM(lam = T = 1) on held-out tasks, and
    parameters learned on family A lose accuracy on family B against parameters learned on B.

    2 seeds (the spec asks 5; cut for the 2-core budget), 200 validation tasks, 1000 held-out tasks,
    60 Adam steps, K = 20, k_eff = 5, anisotropic noise. Each assertion is a one-sided paired
    z-test at level 1e-3 on the per-task accuracy differences: false-failure rate <= 1e-3 per
    assertion (<= 6e-3 for the test). The gap to a 20x5 grid search is printed (reported, not
    asserted).
    """
    syn = dict(shot=5, n_query=75, dim=32, sep=0.6, noise="aniso")
    A = TaskSpec(n_classes=20, k_eff=5, scale=1.0, **syn)
    B = TaskSpec(n_classes=10, k_eff=8, scale=0.5, **syn)
    cfg = UNEMTrainConfig(n_tasks=200, steps=60, lr_drop_step=30)
    z = normal_quantile(1 - 1e-3)
    lam_grid = jnp.concatenate([jnp.zeros(1), jnp.logspace(-1.5, 2.0, 19)])
    T_grid = jnp.asarray([1.0, 1.5, 2.0, 3.0, 4.0])
    for seed, k in enumerate(jax.random.split(key, 2)):
        ka, kb, kta, ktb = jax.random.split(k, 4)
        pa, _ = train_unem(ka, partial(sample_task, spec=A), 20, cfg)
        pb, _ = train_unem(kb, partial(sample_task, spec=B), 10, cfg)
        val = jax.vmap(partial(sample_task, spec=A))(jax.random.split(ka, cfg.n_tasks))
        bl, bT, _ = grid_search_gem(val, lam_grid, T_grid, 10, 20)
        ta = jax.vmap(partial(sample_task, spec=A))(jax.random.split(kta, 1000))
        tb = jax.vmap(partial(sample_task, spec=B))(jax.random.split(ktb, 1000))

        def acc_unem(p, t, K):
            return query_accuracy(unem_forward(p, t.z_s, t.y_s, t.z_q, K), t.y_q)

        ua = np.asarray(jax.vmap(lambda t, pa=pa: acc_unem(pa, t, 20))(ta))
        fa = np.asarray(jax.vmap(lambda t: gem_accuracy(t, 20, 1.0, 1.0, 10))(ta))
        ga = np.asarray(jax.vmap(lambda t, bl=bl, bT=bT: gem_accuracy(t, 20, bl, bT, 10))(ta))
        d = mean_ci(ua - fa)
        assert d.mean >= -z * d.sem, d
        g = mean_ci(ua - ga)
        print(
            f"seed {seed}: UNEM {ua.mean():.4f}, GEM(1,1) {fa.mean():.4f}, grid "
            f"(lam={float(bl):.3g}, T={float(bT):.3g}) {ga.mean():.4f}; "
            f"UNEM - grid = {g.mean:+.4f} [{g.lo:+.4f}, {g.hi:+.4f}]"
        )
        ub = np.asarray(jax.vmap(lambda t, pb=pb: acc_unem(pb, t, 10))(tb))
        uab = np.asarray(jax.vmap(lambda t, pa=pa: acc_unem(pa, t, 10))(tb))
        s = mean_ci(ub - uab)
        print(f"seed {seed}: on B, learned-on-B {ub.mean():.4f} vs learned-on-A {uab.mean():.4f}")
        assert s.mean > z * s.sem, s


def test_gem_accuracy_raises_when_gem_overflows():
    """Finite but huge features overflow GEM's squared distances: the responsibilities come out
    NaN, and gem_accuracy says so by name instead of returning an accuracy (concrete inputs)."""
    spec = TaskSpec(n_classes=5, k_eff=3, shot=2, n_query=10, dim=4)
    t = sample_task(jax.random.key(0), spec)
    assert 0.0 <= float(gem_accuracy(t, 5, 1.0, 1.0, 5)) <= 1.0
    huge = t._replace(z_s=t.z_s * 1e200, z_q=t.z_q * 1e200)
    with pytest.raises(ValueError, match="`u`"):
        gem_accuracy(huge, 5, 1.0, 1.0, 5)
