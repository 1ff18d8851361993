"""Rep4Ex structural model: exact identities against brute-force quadrature oracles (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unlearnlab.causal import (
    confounder_mean,
    cubic_g0,
    cubic_h,
    do_truth,
    plugin_bias,
    simulate_rep4ex,
)

GL_X, GL_W = np.polynomial.legendre.leggauss(600)  # A ~ U[-1, 1]: E f(A) = sum(w f(x)) / 2
GH_X, GH_W = np.polynomial.hermite_e.hermegauss(150)
GH_W = GH_W / np.sqrt(2 * np.pi)


def _m_oracle(z, M0, s):
    """E[V | Z = z] by Bayes over A (Gauss-Legendre): V = z - M0 A, weight phi_s(z - M0 A)."""
    v = z[..., None] - M0 * GL_X
    k = np.exp(-0.5 * (v / s) ** 2) * GL_W
    return (v * k).sum(-1) / k.sum(-1)


def test_cardano_inverse_exact():
    z = np.linspace(-30, 30, 2001)
    x = np.asarray(cubic_g0(z))
    np.testing.assert_allclose(np.asarray(cubic_h(x)), z, rtol=1e-13, atol=1e-13)
    xs = np.linspace(-4, 4, 801)
    np.testing.assert_allclose(np.asarray(cubic_g0(cubic_h(xs))), xs, rtol=1e-13, atol=1e-13)
    assert np.all(np.diff(x) > 0)  # g0 is increasing (an invertible mixing)


@given(a=st.floats(-2.0, 2.0), M0=st.floats(0.5, 4.0), s=st.floats(0.0, 1.5))
def test_do_truth_equals_quadrature(a, M0, s):
    """E sin(M0 a + V) + rho E V by Gauss-Hermite equals exp(-s^2/2) sin(M0 a)."""
    oracle = float(np.sum(GH_W * np.sin(M0 * a + s * GH_X)))
    assert abs(float(do_truth(a, M0, s)) - oracle) < 1e-12


@pytest.mark.claim("rep4ex.plugin_bias")
def test_confounder_mean_equals_bayes_quadrature():
    """m(z) = E[V | Z = z] (truncated-normal mean) equals Bayes' rule integrated over A."""
    for M0, s in [(3.0, 0.5), (1.5, 1.0), (-2.0, 0.3)]:
        z = np.linspace(-abs(M0) - 2.5 * s, abs(M0) + 2.5 * s, 81)
        got = np.asarray(confounder_mean(z, M0, s))
        np.testing.assert_allclose(got, _m_oracle(z, M0, s), atol=1e-9)


def test_confounder_mean_tails_stable():
    z = np.array([-40.0, -12.0, 12.0, 40.0])
    m = np.asarray(confounder_mean(z, 3.0, 0.5))
    assert np.all(np.isfinite(m))
    # far beyond the range of M0 A, V | Z = z sits at the nearest end z -+ |M0|, plus a
    # one-sided tail correction of order s^2 / (z - |M0|)
    np.testing.assert_allclose(m, np.sign(z) * (np.abs(z) - 3.0), rtol=0.01)


@pytest.mark.claim("rep4ex.plugin_bias")
def test_plugin_bias_equals_double_quadrature():
    """rho E_{V'} m(M0 a + V') with m from Bayes' rule (nested quadrature) equals plugin_bias."""
    M0, s, rho = 3.0, 0.5, 0.8
    a = np.array([-1.3, -0.4, 0.0, 0.5, 1.0, 1.15, 1.3])
    z = M0 * a[:, None] + s * GH_X
    oracle = rho * (_m_oracle(z, M0, s) * GH_W).sum(-1)
    np.testing.assert_allclose(np.asarray(plugin_bias(a, M0, s, rho)), oracle, atol=1e-9)
    # interior: almost no bias; beyond the support: large
    assert abs(oracle[3]) < 0.02 and oracle[-1] > 0.5


def test_spec_linear_formula_is_not_the_uniform_action_bias():
    """The spec's rho sigma_V^2 M0 a / (M0^2 sigma_A^2 + sigma_V^2) holds for a Gaussian action
    (linear E[V|Z]); with A ~ U[-1, 1] the bias is nonlinear in a (theory note, P4)."""
    M0, s, rho = 3.0, 0.5, 0.8
    a = np.array([0.5, 1.3])
    lin = rho * s**2 * M0 * a / (M0**2 / 3 + s**2)
    exact = np.asarray(plugin_bias(a, M0, s, rho))
    assert exact[0] < 0.5 * lin[0] and exact[1] > 2 * lin[1]


def test_simulate_structure(key):
    d = simulate_rep4ex(key, 5000, 3.0, 0.5, 0.8, 0.1)
    assert set(d) == {"A", "V", "Z", "X", "Y"} and all(v.shape == (5000,) for v in d.values())
    np.testing.assert_allclose(d["Z"], 3.0 * d["A"] + d["V"], atol=1e-14)
    np.testing.assert_allclose(cubic_h(d["X"]), d["Z"], atol=1e-12)
    assert float(jnp.min(d["A"])) >= -1 and float(jnp.max(d["A"])) <= 1
    eps = d["Y"] - jnp.sin(d["Z"]) - 0.8 * d["V"]
    # sample sd of 5000 normals is within 10% of 0.1 except with probability < 1e-12
    assert abs(float(jnp.std(eps)) / 0.1 - 1) < 0.1
    d0 = simulate_rep4ex(key, 10, 2.0, 0.0, 0.8, 0.0)
    np.testing.assert_allclose(d0["Z"], 2.0 * d0["A"], atol=0)


def test_jit_equals_eager():
    z = jnp.linspace(-5, 5, 11)
    for f in (
        lambda z: cubic_g0(z),
        lambda z: cubic_h(z),
        lambda z: do_truth(z, 3.0, 0.5),
        lambda z: confounder_mean(z, 3.0, 0.5),
        lambda z: plugin_bias(z, 3.0, 0.5, 0.8),
    ):
        np.testing.assert_allclose(jax.jit(f)(z), f(z), atol=1e-13)
    k = jax.random.key(1)
    a = jax.jit(lambda k: simulate_rep4ex(k, 50, 3.0, 0.5, 0.8, 0.1))(k)
    b = simulate_rep4ex(k, 50, 3.0, 0.5, 0.8, 0.1)
    for name in a:
        np.testing.assert_allclose(a[name], b[name], atol=1e-13)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: simulate_rep4ex(jax.random.key(0), 0, 3.0, 0.5, 0.8, 0.1), "`n`"),
        (lambda: simulate_rep4ex(jax.random.key(0), 10, 3.0, -0.5, 0.8, 0.1), "`sigma_V`"),
        (lambda: simulate_rep4ex(jax.random.key(0), 10, np.nan, 0.5, 0.8, 0.1), "`M0`"),
        (lambda: confounder_mean(np.zeros(3), 0.0, 0.5), "`M0`"),
        (lambda: plugin_bias(np.zeros(3), 3.0, 0.0, 0.8), "`sigma_V`"),
        (lambda: do_truth(np.array([np.inf]), 3.0, 0.5), "`a`"),
    ],
)
def test_validation(call, name):
    with pytest.raises(ValueError, match=name):
        call()
