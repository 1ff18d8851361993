"""Metrics: ECE rate for a calibrated predictor (P9), debiased estimators (P10, slow), smooth ECE
(P11), invariants (P14)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unlearnlab.calibration as cal
from unlearnlab.lab.stats import loglog_slope


def _top(key, n, beta, c=10, tau=2.5):
    z, y = cal.known_map(key, n, c, beta, tau)
    return cal.top_label(jax.nn.softmax(z, axis=1), y)


def test_p9_ece_of_calibrated_predictor_vanishes_at_rate():
    """P9 (rate/slope): for a calibrated predictor the plug-in 15-bin ECE is pure estimation bias,
    O(sqrt(n_B / N)); the mean over 20 seeds at N in {500, 2k, 8k} has log-log slope in
    [-0.75, -0.3] (theory -1/2). The debiased l2^2 has |mean| < (plug-in)^2 / 4 at every N (it
    removes the Var(ybar_b) bias). Band: spec; seed-to-seed sd of the slope ~0.03 at 20 seeds, so
    the band is > 6 sd wide on each side (false-failure rate < 1e-6 under normality)."""
    means, deb = [], []
    for n in (500, 2000, 8000):

        def one(k, n=n):
            conf, corr = _top(k, n, 1.0)
            return cal.binned_ece(conf, corr), cal.debiased_ece_l2sq(conf, corr)

        e, d = jax.jit(jax.vmap(one))(jax.random.split(jax.random.key(9 + n), 20))
        means.append(float(np.mean(e)))
        deb.append(float(np.mean(d)))
    fit = loglog_slope([500, 2000, 8000], means)
    assert -0.75 <= fit.slope <= -0.3, (means, fit)
    assert np.all(np.abs(deb) < np.square(means) / 4), (deb, means)


@pytest.mark.slow
def test_p10_debiased_l1_less_biased_than_plugin():
    """P10 (documented behaviour): beta = 0.7, N = 500, 15 equal-mass bins, 50 seeds:
    |E[debiased l1] - true CE| < |E[plug-in] - true CE|, true CE = the noise-free binned CE at
    N = 1e6 (top_label_truth). The plug-in bias at N = 500 (~+0.02) is > 10 standard errors of the
    mean over 50 seeds, so the ordering is not a noise artefact."""
    conf, q = cal.top_label_truth(jax.random.key(10), 1_000_000, 10, 0.7)
    true = float(cal.binned_ece(conf, q, scheme="equal_mass"))

    def one(k):
        kd, kr = jax.random.split(k)
        c, y = _top(kd, 500, 0.7)
        return (
            cal.binned_ece(c, y, scheme="equal_mass"),
            cal.debiased_ece_l1(kr, c, y, scheme="equal_mass"),
        )

    plug, db = jax.jit(jax.vmap(one))(jax.random.split(jax.random.key(11), 50))
    assert abs(np.mean(db) - true) < abs(np.mean(plug) - true), (np.mean(db), np.mean(plug), true)


def test_p11_smooth_ece():
    """P11 (documented behaviour): offset predictor p = clip(q + 0.1) with y ~ Bern(q), q ~ U(0, 1),
    N = 20k: smECE in [0.05, 0.12] on 5 seeds; a calibrated predictor (offset 0): smECE < 0.02.
    (the definition itself is checked against a direct kernel sum in test_p11.)"""
    f = jax.jit(
        jax.vmap(
            lambda k, d: cal.smooth_ece(*cal.binary_offset(k, 20000, d)[:2]), in_axes=(0, None)
        )
    )
    keys = jax.random.split(jax.random.key(12), 5)
    off, ok = np.asarray(f(keys, 0.1)), np.asarray(f(keys, 0.0))
    assert np.all((off >= 0.05) & (off <= 0.12)), off
    assert np.all(ok < 0.02), ok


def _smece_sigma_direct(f, y, sigma, n_t=4001):
    """Oracle: smECE_sigma by the definition, the reflected kernel summed over every prediction
    (no binning of the data) on a fine t grid, trapezoid rule."""
    t = np.linspace(0.0, 1.0, n_t)
    r = np.zeros_like(t)
    for k in range(-3, 4):
        for sgn in (1.0, -1.0):
            d = t[:, None] - (sgn * f + 2 * k)[None, :]
            r += (np.exp(-0.5 * (d / sigma) ** 2) * (y - f)[None, :]).sum(1)
    a = np.abs(r / (len(f) * sigma * np.sqrt(2 * np.pi)))
    return float((a.sum() - 0.5 * (a[0] + a[-1])) / (n_t - 1))


@pytest.mark.parametrize("sigma", [0.03, 0.1])
def test_p11_smooth_ece_sigma_matches_the_definition(sigma):
    """smECE_sigma (200-point grid, linear binning) against the definition computed directly
    (4001-point grid, no binning): within 1e-4, the grid discretisation. relplot's smECE is not
    the oracle: on the benchmark's CIFAR-100 predictions it is 6% above this definition, while the
    lab agrees with it to 1e-6 (benchmarks/RESULTS.md, smooth_ece vs relplot)."""
    p, y, _ = cal.binary_offset(jax.random.key(13), 1500, 0.1)
    f, yy = np.asarray(p), np.asarray(y, float)
    assert abs(float(cal.smooth_ece_sigma(p, y, sigma)) - _smece_sigma_direct(f, yy, sigma)) < 1e-4


def test_smooth_ece_is_the_fixed_point():
    """Exact identity: the returned smECE equals smECE_sigma at sigma = smECE (to bisection tol)."""
    p, y, _ = cal.binary_offset(jax.random.key(14), 4000, 0.1)
    s = float(cal.smooth_ece(p, y))
    assert abs(s - float(cal.smooth_ece_sigma(p, y, s))) < 1e-5


SHAPES = [(16, 3), (50, 10)]


def _draw(seed, shape):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, shape)
    y = rng.integers(0, shape[1], shape[0])
    return z, jnp.asarray(y)


_metrics = jax.jit(
    lambda p, y, lp: (
        cal.ece(p, y),
        cal.ece(p, y, scheme="equal_mass"),
        cal.ks_error(*cal.top_label(p, y)),
        cal.brier(p, y),
        cal.nll(lp, y),
        cal.classwise_ece(p, y),
    )
)


@given(seed=st.integers(0, 2**31 - 1), shape=st.sampled_from(SHAPES), shift=st.floats(-50, 50))
def test_p14_metric_invariants(seed, shape, shift):
    """P14 (invariant): ECE, KS in [0, 1]; Brier in [0, 2]; NLL >= 0; classwise ECE invariant under
    a class permutation; top-label ECE invariant under the logit shift z + c 1 (1e-6)."""
    z, y = _draw(seed, shape)
    p = jax.nn.softmax(jnp.asarray(z), axis=1)
    lp = jax.nn.log_softmax(jnp.asarray(z), axis=1)
    e, em, ks, b, n, cw = (float(v) for v in _metrics(p, y, lp))
    assert 0 <= e <= 1 and 0 <= em <= 1 and 0 <= ks <= 1 and 0 <= b <= 2 and n >= 0
    perm = np.random.default_rng(seed + 1).permutation(shape[1])
    inv = np.argsort(perm)
    e2, _, _, _, _, cw2 = (float(v) for v in _metrics(p[:, perm], jnp.asarray(inv)[y], lp[:, perm]))
    assert abs(cw - cw2) < 1e-6
    p_shift = jax.nn.softmax(jnp.asarray(z) + shift, axis=1)
    assert abs(float(cal.ece(p_shift, y)) - e) < 1e-6


def test_ece_bins_and_reliability_stats_agree():
    """Exact identity: ece == sum_b (n_b / N) |acc_b - conf_b| from reliability_stats."""
    z, y = _draw(3, (50, 10))
    p = jax.nn.softmax(jnp.asarray(z), axis=1)
    conf, corr = cal.top_label(p, y)
    for scheme in ("equal_width", "equal_mass"):
        rs = cal.reliability_stats(conf, corr, scheme=scheme)
        ref = float(jnp.sum(rs["count"] / 50 * jnp.abs(rs["acc"] - rs["conf"])))
        assert abs(float(cal.ece(p, y, scheme=scheme)) - ref) < 1e-12
        assert float(jnp.sum(rs["count"])) == 50


def test_top_label_is_first_argmax_including_ties():
    """top_label avoids an argmax reduction; it must equal 1[argmax == y] exactly, ties included
    (the first maximiser wins), for every label."""
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(6), size=200)
    p[:50] = np.round(p[:50], 1)  # many exact ties among the rounded rows
    p[50:60] = 1.0 / 6.0  # all-tied rows
    for y in range(6):
        labels = np.full(200, y)
        conf, correct = cal.top_label(jnp.asarray(p), jnp.asarray(labels))
        np.testing.assert_array_equal(np.asarray(conf), p.max(1))
        np.testing.assert_array_equal(np.asarray(correct), (p.argmax(1) == labels).astype(float))


@pytest.mark.parametrize("sigma", [0.003, 0.05, 0.4])
def test_smooth_ece_grid_convolution_equals_dense_reflected_kernel(sigma):
    """The Toeplitz + Hankel convolution form of smECE_sigma equals the dense reflected-kernel
    matrix on the grid (float64, 1e-12)."""
    from unlearnlab.calibration.metrics import _reflected_kernel, _round_to_grid

    rng = np.random.default_rng(4)
    conf = jnp.asarray(rng.random(500))
    corr = jnp.asarray((rng.random(500) < conf).astype(float))
    mesh = 120
    t = jnp.linspace(0.0, 1.0, mesh)
    rhat = _reflected_kernel(t, t, sigma) @ _round_to_grid(conf, corr - conf, mesh) / 500
    a = np.abs(np.asarray(rhat))
    dense = (a.sum() - 0.5 * (a[0] + a[-1])) / (mesh - 1)
    got = float(cal.smooth_ece_sigma(conf, corr, sigma, mesh=mesh))
    assert abs(got - dense) <= 1e-12 * max(1.0, dense)
