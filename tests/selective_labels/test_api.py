"""Public surface: imports, claims registry, ValueError on bad input, jit == no-jit, traced once."""

import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import unlearnlab.selective_labels as sl
from unlearnlab.selective_labels import (
    constrained_gaussian_var,
    implied_prevalence_gh,
    loglik_marginal_gh,
    numpyro_model,
    simulate_selective_labels,
)

M = 3
P = {
    "beta_Y": jnp.array([-1.0, 0.5, 0.2]),
    "beta_D": jnp.array([1.0, -0.5, 0.0]),
    "alpha": jnp.asarray(1.0),
    "sigma": jnp.asarray(1.2),
}


@pytest.fixture
def data(key):
    d = simulate_selective_labels(key, 30, M, P["beta_Y"], P["beta_D"], P["alpha"], P["sigma"])
    return np.asarray(d["X"]), np.asarray(d["T"]), np.asarray(d["Y"])


def test_public_surface_imports():
    from unlearnlab.selective_labels import (  # noqa: F401
        constrained_gaussian_var,
        numpyro_model,
        simulate_selective_labels,
    )

    for name in sl.__all__:
        assert hasattr(sl, name), name
    assert len(sl.CLAIMS) >= 1


def test_claims_name_existing_tests():
    root = Path(__file__).resolve().parents[2]
    for claim in sl.CLAIMS:
        assert claim.id.startswith(("domain_constraints.", "selective_labels_sbc."))
        for node in claim.tests:
            path, func = node.split("::")
            assert f"def {func}(" in (root / path).read_text(), node


def _model(X, T, Y, **kw):
    opts = {
        "prevalence": 0.2,
        "w_prev": 10.0,
        "expertise_mask": None,
        "known_alpha": 1.0,
        "known_sigma": None,
    }
    opts.update(kw)
    return numpyro_model(X, T, Y, **opts)


def test_validation(data):
    X, T, Y = data
    T2 = T.copy()
    T2[0] = 2
    Y_label = Y.copy()
    Y_label[np.flatnonzero(T == 0)[0]] = 1
    Y_bad = Y.copy()
    Y_bad[np.flatnonzero(T == 1)[0]] = -1
    X_noint = X.copy()
    X_noint[0, 0] = 0.5
    L = np.eye(2)
    bad = [
        (lambda: _model(X, T2, Y), "T"),
        (lambda: _model(X, T, Y_label), "Y"),
        (lambda: _model(X, T, Y_bad), "Y"),
        (lambda: _model(X, T, Y[:-1]), "Y"),
        (lambda: _model(X_noint, T, Y), "X"),
        (lambda: _model(X, T, Y, expertise_mask=np.array([True, False])), "expertise_mask"),
        (lambda: _model(X, T, Y, expertise_mask=np.array([False, True, True])), "expertise_mask"),
        (lambda: _model(X, T, Y, expertise_mask=np.array([1, 1, 0])), "expertise_mask"),
        (lambda: _model(X, T, Y, w_prev=-1.0), "w_prev"),
        (lambda: _model(X, T, Y, prevalence=1.0), "prevalence"),
        (lambda: _model(X, T, Y, known_alpha=None), "known_alpha"),
        (lambda: _model(X, T, Y, prevalence_mode="sample"), "marginalize_Z"),
        (lambda: _model(X, T, Y, prevalence_mode="bogus"), "prevalence_mode"),
        (lambda: loglik_marginal_gh(P, X, T2, Y), "T"),
        (lambda: loglik_marginal_gh({**P, "sigma": -1.0}, X, T, Y), "sigma"),
        (lambda: loglik_marginal_gh({**P, "beta_Y": jnp.ones(2)}, X, T, Y), "beta_Y"),
        (lambda: implied_prevalence_gh(P["beta_Y"], 0.0, X), "sigma"),
        (lambda: implied_prevalence_gh(P["beta_Y"], 1.0, X[:, 1:]), "X"),
        (lambda: sl.heckman_loglik(np.ones(M), np.ones(M), 2.0, 1.0, X, T, np.zeros(30)), "rho"),
        (
            lambda: constrained_gaussian_var(
                np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2), np.ones(2), 1.0
            ),
            "Lambda",
        ),
        (
            lambda: constrained_gaussian_var(
                np.array([[1.0, 0.5], [0.0, 1.0]]), np.ones(2), np.ones(2), 1.0
            ),
            "Lambda",
        ),
        (lambda: constrained_gaussian_var(L, np.ones(2), np.ones(2), -1.0), "w"),
        (lambda: constrained_gaussian_var(L, np.ones(3), np.ones(2), 1.0), "a"),
        (lambda: sl.conditioned_gaussian(np.zeros(2), L, [2]), "zero_idx"),
        (
            lambda: sl.simulate_heckman(jax.random.key(0), 10, 2, np.ones(2), np.ones(2), 2.0, 1.0),
            "rho",
        ),
        (
            lambda: simulate_selective_labels(
                jax.random.key(0), 10, 3, np.ones(2), np.ones(3), 1.0, 1.0
            ),
            "beta_Y",
        ),
        (lambda: sl.run_nuts(jax.random.key(0), _model, {}, 10, 1, 1), "num_samples"),
        (
            lambda: sl.laplace_constrained_sd(
                np.zeros(4), X, T, Y, w_prev=1.0, expertise_mask=None, alpha=1.0
            ),
            "theta_mode",
        ),
    ]
    for fn, name in bad:
        with pytest.raises(ValueError, match=name):
            fn()


@pytest.mark.parametrize("transform", [lambda f: f, jax.jit])
def test_jit_equals_nojit(data, transform):
    X, T, Y = data
    ll = transform(lambda p: loglik_marginal_gh(p, X, T, Y))(P)
    pr = transform(lambda b, s: implied_prevalence_gh(b, s, X))(P["beta_Y"], P["sigma"])
    v = transform(constrained_gaussian_var)(
        jnp.array([[2.0, 0.3], [0.3, 1.0]]), jnp.array([1.0, 0.5]), jnp.array([0.2, 1.0]), 3.0
    )
    np.testing.assert_allclose(ll, loglik_marginal_gh(P, X, T, Y), rtol=1e-12)
    np.testing.assert_allclose(pr, implied_prevalence_gh(P["beta_Y"], P["sigma"], X), rtol=1e-12)
    np.testing.assert_allclose(
        v,
        constrained_gaussian_var(
            jnp.array([[2.0, 0.3], [0.3, 1.0]]), jnp.array([1.0, 0.5]), jnp.array([0.2, 1.0]), 3.0
        ),
        rtol=1e-12,
    )


def test_traced_once(data):
    X, T, Y = data
    for fn, args1, args2 in [
        (loglik_marginal_gh, (P, X, T, Y), ({**P, "sigma": jnp.asarray(1.5)}, X, T, Y)),
        (implied_prevalence_gh, (P["beta_Y"], P["sigma"], X), (P["beta_Y"] + 1, 2.0, X)),
        (
            constrained_gaussian_var,
            (jnp.eye(2), jnp.ones(2), jnp.ones(2), 1.0),
            (2 * jnp.eye(2), jnp.ones(2), jnp.zeros(2), 2.0),
        ),
    ]:
        count = [0]

        def wrapped(*a, fn=fn, count=count):
            count[0] += 1
            return fn(*a)

        jf = jax.jit(wrapped)
        jax.block_until_ready(jf(*args1))
        jax.block_until_ready(jf(*args2))
        assert count[0] == 1, fn.__name__


def test_traced_mask_matches_static_mask(data):
    """Bookkeeping: the mask given as data (all entries sampled, masked ones zeroed) yields the same
    log density on the shared sites as the static mask, up to the masked entries' own prior."""
    from numpyro.infer.util import log_density

    X, T, Y = data
    mask = np.array([True, True, False])
    kw = {"prevalence": 0.2, "w_prev": 10.0, "known_alpha": 1.0, "known_sigma": None}
    bY, bfree, sig = jnp.array([-0.5, 0.3, 0.1]), jnp.array([0.8, -0.2]), jnp.asarray(1.1)
    static = functools.partial(numpyro_model, expertise_mask=mask, **kw)
    lp_s, _ = log_density(static, (X, T, Y), {}, {"beta_Y": bY, "beta_D_free": bfree, "sigma": sig})

    def traced(X, T, Y, m):
        return log_density(
            functools.partial(numpyro_model, expertise_mask=m, **kw),
            (X, T, Y),
            {},
            {"beta_Y": bY, "beta_D_free": jnp.array([0.8, -0.2, 5.0]), "sigma": sig},
        )[0]

    lp_t = jax.jit(traced)(X, T, Y, jnp.asarray(mask))
    prior_extra = jax.scipy.stats.norm.logpdf(5.0, 0.0, 3.0)
    np.testing.assert_allclose(lp_t, lp_s + prior_extra, rtol=1e-12)
