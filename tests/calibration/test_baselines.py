"""Baselines: TS recovers T* (P8), histogram binning in-sample (P12), isotonic == PAV oracle (P13),
TS regression guard on synthetic data (P15a), vector/matrix scaling."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import isotonic_regression

import unlearnlab.calibration as cal


def test_p8_temperature_recovers_true_temperature():
    """P8 (reproduction): known_map(beta_true = 0.5, T* = 2), N = 20k, 5 seeds:
    |log T_hat - log T*| < 0.03. The MLE's sd in log T at N = 20k is ~0.005 (Fisher information of
    the 1-D NLL), so 0.03 is ~6 sd (false-failure < 1e-8 per seed)."""
    for k in jax.random.split(jax.random.key(8), 5):
        z, y = cal.known_map(k, 20000, 10, 0.5)
        T = float(cal.fit_temperature(z, y))
        assert abs(np.log(T) - np.log(2.0)) < 0.03, T


def test_p12_histogram_binning_zero_in_sample_error():
    """P12 (exact identity): after histogram binning, the in-sample ECE computed with the same bins
    (of the original confidences) is 0 (atol 1e-6)."""
    z, y = cal.known_map(jax.random.key(12), 3000, 10, 0.5)
    conf, corr = cal.top_label(jax.nn.softmax(z, 1), y)
    for scheme in ("equal_width", "equal_mass"):
        edges, values = cal.fit_histogram_binning(conf, corr, scheme=scheme)
        g = cal.apply_histogram_binning(edges, values, conf)
        b = np.clip(np.searchsorted(np.asarray(edges), np.asarray(conf), side="right") - 1, 0, 14)
        err = sum(
            abs(np.asarray(corr)[b == j].mean() - np.asarray(g)[b == j].mean()) * (b == j).mean()
            for j in range(15)
            if (b == j).any()
        )
        assert err < 1e-6


@settings(max_examples=100)
@given(seed=st.integers(0, 2**31 - 1), n=st.sampled_from([5, 17, 40]), weighted=st.booleans())
def test_p13_isotonic_equals_pav_oracle(seed, n, weighted):
    """P13 (exact identity): fit_isotonic's on-device PAV (``method="lax"``) ==
    scipy.optimize.isotonic_regression on ordered data (atol 1e-6), and the fit is non-decreasing.
    (``method="host"`` calls that SciPy routine; its agreement is checked below.)"""
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n).round(1)  # rounding creates ties and plateaus
    w = rng.uniform(0.1, 3.0, n) if weighted else np.ones(n)
    x = np.arange(n, dtype=float)
    _, fit = _iso_lax(jnp.asarray(x), jnp.asarray(y), jnp.asarray(w))
    ref = isotonic_regression(y, weights=w).x
    np.testing.assert_allclose(fit, ref, atol=1e-6)
    assert np.all(np.diff(np.asarray(fit)) >= -1e-12)


_iso_lax = jax.jit(lambda x, y, w: cal.fit_isotonic(x, y, w, method="lax"))


def test_isotonic_host_and_lax_paths_agree_under_jit_vmap_and_classwise():
    """Exact identity (float64, atol 1e-12): the host (SciPy) and on-device PAV give the same fit on
    unsorted scores with ties, jitted, vmapped over 3 problems, and class-wise (lax.map); "auto" is
    one of the two."""
    rng = np.random.default_rng(13)
    s = jnp.asarray(rng.uniform(size=(3, 200)).round(2))  # ties in the scores
    t = jnp.asarray((rng.uniform(size=(3, 200)) < np.asarray(s)).astype(float))
    fits = {
        m: jax.jit(jax.vmap(lambda a, b, m=m: cal.fit_isotonic(a, b, method=m)))(s, t)
        for m in ("lax", "host", "auto")
    }
    for m in ("host", "auto"):
        np.testing.assert_array_equal(fits[m][0], fits["lax"][0])
        np.testing.assert_allclose(fits[m][1], fits["lax"][1], atol=1e-12)
    assert np.all(np.diff(np.asarray(fits["host"][1]), axis=1) >= -1e-12)
    p = jax.nn.softmax(jnp.asarray(rng.normal(size=(300, 4))), 1)
    y = jnp.asarray(rng.integers(0, 4, 300))
    cw = {m: cal.fit_isotonic_classwise(p, y, method=m) for m in ("lax", "host")}
    np.testing.assert_allclose(cw["host"][1], cw["lax"][1], atol=1e-12)
    with pytest.raises(ValueError, match="method"):
        cal.fit_isotonic(s[0], t[0], method="cython")


@pytest.mark.claim("hcal.ts_moves_temperature")
def test_p15a_temperature_moves_on_overconfident_synthetic_data():
    """P15a (regression guard, netcal #48/#61): on over-confident data (beta_true = 0.5) the fitted
    T > 1.2 and the test ECE drops by >= 40%, on 3 seeds (measured T ~ 2, drop ~90%)."""
    for k in jax.random.split(jax.random.key(15), 3):
        kc, kt = jax.random.split(k)
        zc, yc = cal.known_map(kc, 5000, 10, 0.5)
        zt, yt = cal.known_map(kt, 5000, 10, 0.5)
        T = float(cal.fit_temperature(zc, yc))
        before = float(cal.ece(jax.nn.softmax(zt, 1), yt))
        after = float(cal.ece(jax.nn.softmax(zt / T, 1), yt))
        assert T > 1.2 and after <= 0.6 * before, (T, before, after)


@pytest.mark.slow
def test_vector_and_matrix_scaling_reduce_nll_and_vs_generalises_ts():
    """Documented behaviour: vector scaling's NLL <= TS's NLL on the calibration set (TS is a special
    case); matrix scaling's NLL <= vector scaling's (nested families)."""
    z, y = cal.known_map(jax.random.key(16), 2000, 5, 0.5)
    T = cal.fit_temperature(z, y)
    nll_ts = cal.nll(jax.nn.log_softmax(z / T, 1), y)
    ab = cal.fit_vector_scaling(z, y)
    nll_vs = cal.nll(jax.nn.log_softmax(cal.apply_vector_scaling(ab, z), 1), y)
    Ab = cal.fit_matrix_scaling(z, y)
    nll_ms = cal.nll(jax.nn.log_softmax(cal.apply_matrix_scaling(Ab, z), 1), y)
    assert nll_vs <= nll_ts + 1e-6 and nll_ms <= nll_vs + 1e-6, (nll_ts, nll_vs, nll_ms)


@pytest.mark.slow
def test_classwise_isotonic_and_binning_rows_sum_to_one():
    """Invariant: the one-vs-rest methods renormalise rows to sum to 1."""
    z, y = cal.known_map(jax.random.key(17), 500, 5, 0.5)
    p = jax.nn.softmax(z, 1)
    xk, yk = cal.fit_isotonic_classwise(p, y)
    np.testing.assert_allclose(cal.apply_isotonic_classwise(xk, yk, p).sum(1), 1.0, atol=1e-12)
    e, v = cal.fit_histogram_binning_classwise(p, y)
    np.testing.assert_allclose(
        cal.apply_histogram_binning_classwise(e, v, p).sum(1), 1.0, atol=1e-12
    )
    e1, v1 = cal.fit_histogram_binning(*cal.top_label(p, y))
    np.testing.assert_allclose(cal.apply_top_label_binning(e1, v1, p).sum(1), 1.0, atol=1e-12)
