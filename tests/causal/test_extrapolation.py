"""Rep4Ex extrapolation: the control-function estimator and its baselines.

Exact identities (float64): OLS against numpy's lstsq, affine equivariance (hypothesis);
statistical: the control function on the identified representation beats both baselines outside
the support (binomial check with a stated false-failure rate).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unlearnlab.causal import (
    METHODS,
    CFModel,
    control_function_fit,
    control_function_predict,
    plugin_fit,
    regress_on_a_fit,
    regress_on_a_predict,
    rep4ex_trial,
    simulate_rep4ex,
)
from unlearnlab.lab.stats import holds_in_fraction

A_STAR = np.array([0.5, 1.0, 1.15, 1.3])
Q = 9


def _cf_pred(Zhat, A, Y, a):
    return control_function_predict(control_function_fit(Zhat, A, Y, Q), a)


def _pl_pred(Zhat, A, Y, a):
    return control_function_predict(plugin_fit(Zhat, A, Y, Q), a)


# eager calls of the public functions reuse the library's compiled cores (one compile per shape)
CF = _cf_pred
PL = _pl_pred


@pytest.fixture(scope="module")
def data():
    d = simulate_rep4ex(jax.random.key(11), 2000, 3.0, 0.5, 0.8, 0.1)
    return {k: np.asarray(v) for k, v in d.items()}


def _np_cf(Zhat, A, Y, q, a, control=True):
    """Brute-force oracle: the same estimator with numpy's lstsq and explicit loops."""
    D = np.c_[np.ones_like(A), A]
    (alpha, M), *_ = np.linalg.lstsq(D, Zhat, rcond=None)
    V = Zhat - alpha - M * A
    mu, sd = Zhat.mean(), Zhat.std()
    F = np.stack([((Zhat - mu) / sd) ** k for k in range(q + 1)], 1)
    if control:
        F = np.c_[F, V]
    coef, *_ = np.linalg.lstsq(F, Y, rcond=None)
    ell = coef[-1] if control else 0.0
    out = []
    for ai in a:
        t = (alpha + M * ai + V - mu) / sd
        out.append(np.mean(sum(coef[k] * t**k for k in range(q + 1)) + ell * V))
    return np.array(out)


def test_cf_and_plugin_equal_numpy_oracle(data):
    Z, A, Y = data["Z"], data["A"], data["Y"]
    np.testing.assert_allclose(CF(Z, A, Y, A_STAR), _np_cf(Z, A, Y, Q, A_STAR), atol=1e-8)
    np.testing.assert_allclose(PL(Z, A, Y, A_STAR), _np_cf(Z, A, Y, Q, A_STAR, False), atol=1e-8)
    fit = regress_on_a_fit(A, Y, 5)
    ref = np.polynomial.polynomial.polyfit(A, Y, 5)
    np.testing.assert_allclose(
        regress_on_a_predict(fit, A_STAR), np.polynomial.polynomial.polyval(A_STAR, ref), atol=1e-8
    )


def test_control_coefficient_recovers_rho(data):
    """In the lab model E[U | V] = rho V, so the fitted ell is near rho = 0.8 (on the true Z)."""
    m = control_function_fit(data["Z"], data["A"], data["Y"], Q)
    assert abs(float(m.ell) - 0.8) < 0.1


@pytest.mark.claim("rep4ex.affine_equivariance")
@given(c=st.floats(0.05, 20.0) | st.floats(-20.0, -0.05), d=st.floats(-50.0, 50.0))
def test_affine_equivariance_exact(data, c, d):
    """Predictions from c Z + d equal those from Z (polynomial bases and OLS are affine-
    equivariant): 'up to an affine map is sufficient' for extrapolation, to 1e-8 in float64."""
    Z, A, Y = data["Z"], data["A"], data["Y"]
    np.testing.assert_allclose(CF(c * Z + d, A, Y, A_STAR), CF(Z, A, Y, A_STAR), atol=1e-8)
    np.testing.assert_allclose(PL(c * Z + d, A, Y, A_STAR), PL(Z, A, Y, A_STAR), atol=1e-8)


def test_jit_equals_eager_and_traced_once(data):
    n = {"n": 0}

    def f(Z, A, Y):
        n["n"] += 1
        ra = regress_on_a_fit(A, Y, Q)
        return (
            _cf_pred(Z, A, Y, A_STAR),
            _pl_pred(Z, A, Y, A_STAR),
            regress_on_a_predict(ra, A_STAR),
        )

    jf = jax.jit(f)
    for s in (0.0, 0.01, 0.02):
        args = (jnp.asarray(data["Z"] + s), jnp.asarray(data["A"]), jnp.asarray(data["Y"]))
        for a, b in zip(jf(*args), f(*args)):
            np.testing.assert_allclose(a, b, atol=1e-8)
    assert n["n"] == 1 + 3
    t = jax.jit(lambda k: rep4ex_trial(k, 2000, A_STAR))(jax.random.key(0))
    e = rep4ex_trial(jax.random.key(0), 2000, A_STAR)
    for k in t:
        np.testing.assert_allclose(t[k], e[k], atol=1e-7)


@pytest.mark.claim("rep4ex.extrapolation")
def test_control_function_beats_baselines_outside_support():
    """At a* = 1.3 (outside the support [-1, 1] of A), n = 2000, f degree 9, the control function
    on the identified representation has a smaller absolute error than both the regress-on-A and
    the no-control-function baselines in each seed, with probability >= 0.9 (a numpy prototype of the
    same estimators measured 0.95 over 200 seeds at this size). Checked over 40 seeds with a fixed key by a binomial test:
    if the per-seed probability is >= 0.9 the check fails with probability <= 1e-3
    (``holds_in_fraction``)."""
    keys = jax.random.split(jax.random.key(1300), 40)
    # eager loop: every call reuses the same compiled cores (cheaper than compiling a vmap)
    out = [rep4ex_trial(k, 2000, np.array([1.3])) for k in keys]
    pred = np.stack([np.asarray(o["pred"])[:, 0] for o in out])
    truth = np.asarray(out[0]["truth"])[0]
    err = np.abs(pred - truth)  # (seeds, methods)
    i = {m: j for j, m in enumerate(METHODS)}
    wins = err[:, i["cf_rep4ex"]] < np.minimum(err[:, i["regress_on_a"]], err[:, i["no_cf"]])
    ok, allowed = holds_in_fraction(wins, 0.9, 1e-3)
    assert ok, (int((~wins).sum()), allowed, err.mean(0))


def _bad_calls():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=40)
    A = rng.uniform(-1, 1, 40)
    Y = np.sin(Z)
    m = control_function_fit(Z, A, Y, 3)
    return [
        (lambda: control_function_fit(Z, A, Y, 0), "`f_degree`"),
        (lambda: control_function_fit(Z[:10], A[:10], Y[:10], 3), "`Zhat`"),  # n too small
        (lambda: control_function_fit(Z, A[:30], Y, 3), "`A`"),  # shape mismatch
        (lambda: control_function_fit(Z, A, Y[:, None], 3), "`Y`"),
        (lambda: control_function_fit(Z, np.ones(40), Y, 3), "`A`"),  # singular action cov.
        (lambda: plugin_fit(np.round(Z), A, Y, 9), "`Zhat`"),  # too few distinct values
        (lambda: control_function_predict(m, np.zeros((2, 2))), "`a_star`"),
        (lambda: control_function_predict(m, np.array([])), "`a_star`"),
        (lambda: control_function_predict(m._replace(ell=np.nan), 1.0), "`model`"),
        (lambda: regress_on_a_fit(A, Y, 0), "`degree`"),
        (lambda: regress_on_a_fit(np.round(A), Y, 5), "`A`"),
        (lambda: rep4ex_trial(jax.random.key(0), 10, A_STAR), "`B`"),
    ]


@pytest.mark.parametrize("i", range(12))
def test_validation(i):
    call, name = _bad_calls()[i]
    with pytest.raises(ValueError, match=name):
        call()


def test_model_type():
    m = control_function_fit(*(np.random.default_rng(1).normal(size=(3, 40))), 2)
    assert isinstance(m, CFModel) and m.theta.shape == (3,)
