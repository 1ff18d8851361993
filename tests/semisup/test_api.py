"""Public surface of unlearnlab.semisup: imports, validation, jit == no-jit, traced once, vmap."""

import importlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import unlearnlab.semisup as semisup
from unlearnlab.semisup import (
    CLAIMS,
    bound_erm_vc,
    bound_thm41,
    bound_thm42,
    fit_erm_mean,
    fit_pca_sign,
    fit_rss,
    risk_linear_aniso,
    risk_linear_iso,
    robust_loss_01_linear,
    robust_loss_generic,
    rss_objective,
    sample_gmm2,
    shifted_params,
)

FIXED = (
    "sample_gmm2",
    "risk_linear_iso",
    "robust_loss_01_linear",
    "fit_erm_mean",
    "fit_rss",
    "bound_thm41",
    "bound_thm42",
    "bound_erm_vc",
)


def _data(key, n_lab=8, n_unlab=30, d=4):
    k1, k2 = jax.random.split(key)
    mu = jnp.ones(d) / jnp.sqrt(d)
    Xl, yl = sample_gmm2(k1, n_lab, mu, 1.0)
    Xu = sample_gmm2(k2, n_unlab, mu, 1.0)[0]
    return mu, Xl, yl, Xu


def test_public_surface():
    for name in FIXED:
        assert name in semisup.__all__ and callable(getattr(semisup, name))
    for name in semisup.__all__:
        assert hasattr(semisup, name), name
    importlib.import_module("experiments.semisup_dro")


def test_validation(key):
    mu, Xl, yl, Xu = _data(key)
    th = jnp.ones(4)
    cases = [
        ("theta", lambda: risk_linear_iso(jnp.zeros(4), mu, 1.0)),
        ("theta", lambda: robust_loss_01_linear(jnp.zeros(4), Xl[0], 1.0, 1.0)),
        ("sigma", lambda: risk_linear_iso(th, mu, 0.0)),
        ("sigma", lambda: sample_gmm2(key, 3, mu, -1.0)),
        ("theta", lambda: risk_linear_iso(jnp.ones(3), mu, 1.0)),
        ("Sigma", lambda: risk_linear_aniso(th, mu, jnp.triu(jnp.ones((4, 4))))),
        ("y", lambda: robust_loss_01_linear(th, Xl[0], 0.5, 1.0)),
        ("gamma", lambda: robust_loss_01_linear(th, Xl[0], 1.0, 0.0)),
        ("gamma", lambda: robust_loss_generic(lambda t, z, y: t @ z, th, Xl[0], 1.0, -1.0)),
        ("steps", lambda: robust_loss_generic(lambda t, z, y: t @ z, th, Xl[0], 1.0, 1.0, steps=0)),
        ("yl", lambda: fit_erm_mean(Xl, yl.at[0].set(0.0))),
        ("yl", lambda: fit_erm_mean(Xl, yl[:-1])),
        ("Xl", lambda: fit_erm_mean(Xl.at[0, 0].set(jnp.nan), yl)),
        ("Xu", lambda: fit_pca_sign(Xl, yl, Xu[:, :3])),
        ("Xu", lambda: fit_rss(key, Xl, yl, Xu.at[2, 1].set(jnp.inf), 1.0, 1.0, 1.0)),
        ("gamma", lambda: fit_rss(key, Xl, yl, Xu, 0.0, 1.0, 1.0)),
        ("gamma_u", lambda: fit_rss(key, Xl, yl, Xu, 1.0, -2.0, 1.0)),
        ("lam", lambda: fit_rss(key, Xl, yl, Xu, 1.0, 1.0, -0.1)),
        ("steps", lambda: fit_rss(key, Xl, yl, Xu, 1.0, 1.0, 1.0, steps=0)),
        ("lr", lambda: fit_rss(key, Xl, yl, Xu, 1.0, 1.0, 1.0, lr=0.0)),
        ("loss", lambda: rss_objective(th, Xl, yl, Xu, 1.0, 1.0, 1.0, loss="hinge")),
        ("Xl", lambda: fit_rss(key, Xl[:0], yl[:0], Xu, 1.0, 1.0, 1.0)),
        ("delta", lambda: bound_thm42(50, 20, 100, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0)),
        ("delta", lambda: bound_erm_vc(50, 20, 0.0)),
        ("alpha", lambda: bound_thm41(50, 20, 100, -0.1, 0.1, 1.0, 1.0, 1.0)),
        ("n_lab", lambda: bound_erm_vc(50, 0, 0.1)),
        ("n_unlab", lambda: bound_thm42(50, 20, -1, 0.0, 0.1, 1.0, 1.0, 1.0, 1.0)),
        ("alpha", lambda: shifted_params(mu, 1.0, -0.5, mu)),
        ("v", lambda: shifted_params(mu, 1.0, 0.5, jnp.zeros(4))),
        ("n_samples", lambda: sample_gmm2(key, -1, mu, 1.0)),
    ]
    for name, fn in cases:
        with pytest.raises(ValueError, match=f"`{name}`"):
            fn()


def test_empty_unlabeled_is_not_nan(key):
    mu, Xl, yl, Xu = _data(key)
    obj = rss_objective(mu, Xl, yl, Xu[:0], 4.0, 4.0, 1.0)
    assert np.isfinite(float(obj))
    np.testing.assert_allclose(obj, rss_objective(mu, Xl, yl, Xu, 4.0, 4.0, 0.0), atol=1e-15)
    th = fit_rss(key, Xl, yl, Xu[:0], 4.0, 4.0, 1.0, steps=5)
    assert np.all(np.isfinite(np.asarray(th)))


def _entry_points(key):
    """(name, function of arrays only, args) for each fixed public name."""
    mu, Xl, yl, Xu = _data(key)
    th = jnp.array([1.0, 0.2, -0.3, 0.5])
    return [
        ("sample_gmm2", lambda k, m: sample_gmm2(k, 16, m, 1.0), (key, mu)),
        ("risk_linear_iso", lambda t, m: risk_linear_iso(t, m, 1.3), (th, mu)),
        (
            "robust_loss_01_linear",
            lambda t, x, y: robust_loss_01_linear(t, x, y, 2.0),
            (th, Xl, yl),
        ),
        ("fit_erm_mean", fit_erm_mean, (Xl, yl)),
        (
            "fit_rss",
            lambda k, a, b, c: fit_rss(
                k, a, b, c, 4.0, 4.0, 1.0, steps=20, batch_size=10, restarts=2
            ),
            (key, Xl, yl, Xu),
        ),
        (
            "bound_thm41",
            lambda n: bound_thm41(50, 20, n, 0.1, 0.1, 1.0, 1.0, 2.0),
            (jnp.array(100.0),),
        ),
        (
            "bound_thm42",
            lambda n: bound_thm42(50, 20, n, 0.1, 0.1, 1.0, 1.0, 1.1, 1.0),
            (jnp.array(100.0),),
        ),
        ("bound_erm_vc", lambda m: bound_erm_vc(50, m, 0.1), (jnp.array(20.0),)),
    ]


@pytest.mark.parametrize("name", FIXED)
def test_jit_equals_nojit_and_traces_once(name, key):
    (entry,) = [e for e in _entry_points(key) if e[0] == name]
    _, fn, args = entry
    count = {"n": 0}

    def counted(*a):
        count["n"] += 1
        return fn(*a)

    jitted = jax.jit(counted)
    out_j = jitted(*args)
    out_n = fn(*args)
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12), out_j, out_n
    )
    # new values, same shapes: no retrace
    args2 = jax.tree.map(
        lambda a: a if jnp.issubdtype(a.dtype, jax.dtypes.prng_key) else a * 1.01, args
    )
    if name == "sample_gmm2" or name == "fit_rss":
        args2 = (jax.random.fold_in(args[0], 1), *args2[1:])
    if name in ("robust_loss_01_linear", "fit_erm_mean", "fit_rss"):  # keep labels in {-1, +1}
        args2 = tuple(
            a if i != (2 if name != "fit_erm_mean" else 1) else args[i] for i, a in enumerate(args2)
        )
    jax.block_until_ready(jitted(*args2))
    assert count["n"] == 1


def test_vmap_over_keys_equals_loop(key):
    mu, Xl, yl, Xu = _data(key)
    keys = jax.random.split(key, 4)
    f = jax.jit(lambda k: fit_rss(k, Xl, yl, Xu, 4.0, 4.0, 1.0, steps=15, batch_size=8, restarts=2))
    batched = jax.vmap(f)(keys)
    looped = jnp.stack([f(k) for k in keys])
    np.testing.assert_allclose(batched, looped, rtol=1e-10, atol=1e-12)
    g = jax.jit(lambda k: sample_gmm2(k, 12, mu, 1.0))
    bx, by = jax.vmap(g)(keys)
    for i, k in enumerate(keys):
        x, y = g(k)
        np.testing.assert_allclose(bx[i], x, atol=1e-14)
        np.testing.assert_array_equal(by[i], y)


def test_fit_rss_is_on_sphere_and_deterministic(key):
    """Full batch, one restart: the fit is a unit vector and does not depend on the key."""
    mu, Xl, yl, Xu = _data(key)
    a = fit_rss(jax.random.key(1), Xl, yl, Xu, 4.0, 4.0, 1.0, steps=30)
    b = fit_rss(jax.random.key(2), Xl, yl, Xu, 4.0, 4.0, 1.0, steps=30)
    np.testing.assert_allclose(a, b, atol=0)
    np.testing.assert_allclose(jnp.linalg.norm(a), 1.0, atol=1e-12)
    r = fit_rss(key, Xl, yl, Xu, 4.0, 4.0, 1.0, steps=30, loss="ramp", optimizer="adam", lr=0.05)
    np.testing.assert_allclose(jnp.linalg.norm(r), 1.0, atol=1e-12)


def test_claims_registry():
    """Every claim names existing tests, and the experiment's quick JSON emits every claim id."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    for c in CLAIMS:
        assert c.id.startswith("semisup_dro.")
        assert c.experiment == "semisup_dro"
        for node in c.tests:
            path, _, test = node.partition("::")
            src = (root / path).read_text()
            assert f"def {test.split('[')[0]}(" in src, node
