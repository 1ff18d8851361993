"""Simulation-based calibration: the rank machinery (exact), its power and size on an exact
posterior (statistical), the probit identification of the attenuated scale, and NUTS on the
selective-labels model (slow)."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import unlearnlab.selective_labels as sl
from unlearnlab.lab.stats import binomial_acceptance_band


def test_sbc_ranks_match_a_loop():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=7)
    draws = rng.normal(size=(50, 7))
    want = [sum(draws[l, p] < truth[p] for l in range(50)) for p in range(7)]
    np.testing.assert_array_equal(np.asarray(sl.sbc_ranks(truth, draws)), want)


def test_sbc_summary_matches_scipy_chisquare_and_rank_coverage():
    rng = np.random.default_rng(1)
    L, R = 99, 300
    ranks = rng.integers(0, L + 1, size=(R, 3))
    s = sl.sbc_summary(ranks, L, n_bins=10, level=0.9)
    for p in range(3):
        counts = np.bincount(ranks[:, p] // 10, minlength=10)
        np.testing.assert_array_equal(s["hist"][:, p], counts)
        ref = stats.chisquare(counts)
        np.testing.assert_allclose(s["chi2"][p], ref.statistic, rtol=1e-12)
        np.testing.assert_allclose(s["p_value"][p], ref.pvalue, rtol=1e-9)
    # rank-based 90% interval: ranks 5..94 of 0..99 (cut = ceil(0.1 * 99 / 2) = 5)
    np.testing.assert_allclose(s["coverage"], ((ranks >= 5) & (ranks <= 94)).mean(0))
    assert s["level_exact"] == pytest.approx(90 / 100)


def test_binomial_acceptance_band_matches_scipy():
    for n, p, a in [(60, 0.9, 1e-3 / 44), (20, 0.9, 0.01), (100, 0.1, 0.05)]:
        lo, hi = binomial_acceptance_band(n, p, a)
        assert stats.binom.cdf(lo - 1, n, p) <= a / 2 < stats.binom.cdf(lo, n, p)
        assert stats.binom.sf(hi, n, p) <= a / 2 < stats.binom.sf(hi - 1, n, p)


def _conjugate_sbc(key, R, L, sd_scale):
    """SBC of theta ~ N(0,1), y_i ~ N(theta, 1), n = 5, with (scaled) exact posterior draws."""
    k1, k2, k3 = jax.random.split(key, 3)
    theta = jax.random.normal(k1, (R,))
    y = theta[:, None] + jax.random.normal(k2, (R, 5))
    post_mean, post_sd = y.sum(1) / 6.0, jnp.sqrt(1.0 / 6.0)
    draws = post_mean[:, None] + sd_scale * post_sd * jax.random.normal(k3, (R, L))
    ranks = jax.vmap(sl.sbc_ranks)(theta[:, None], draws[..., None])
    return np.asarray(ranks)


def test_sbc_accepts_exact_posterior_and_rejects_an_overdispersed_one(key):
    """Size and power of the SBC check. Exact draws: the chi-square p-value is uniform, so the
    check p >= 1e-3 fails wrongly with probability 1e-3. Draws with twice the posterior s.d.:
    ranks pile up in the middle; with R = 400 the chi-square p is far below 1e-3 (the check has
    power; with this fixed key it is deterministic)."""
    L = 99
    exact = sl.sbc_summary(_conjugate_sbc(key, 400, L, 1.0), L)
    assert exact["p_value"][0] >= 1e-3
    lo, hi = binomial_acceptance_band(400, float(exact["level_exact"]), 1e-3)
    assert lo / 400 <= exact["coverage"][0] <= hi / 400
    wide = sl.sbc_summary(_conjugate_sbc(key, 400, L, 2.0), L)
    assert wide["p_value"][0] < 1e-3
    assert wide["coverage"][0] > hi / 400  # over-covers


@pytest.mark.claim("selective_labels_sbc.identified_scale")
def test_attenuated_scale_is_what_binary_outcomes_identify():
    """E sig(a + Z), Z ~ N(0, s^2), equals sig(a / sqrt(1 + pi s^2 / 8)) to within 0.02 on
    a in [-6, 6], s in [0, 6] (Gauss-Hermite with 120 nodes as the oracle): two parameters with the
    same attenuated value give outcome probabilities within 0.04 of each other, whatever beta_Y
    and sigma are separately."""
    u, logw = sl.gauss_hermite(120)
    a = np.linspace(-6, 6, 121)
    s = np.linspace(0.01, 6, 61)
    exact = np.sum(np.exp(logw) * jax.nn.sigmoid(a[:, None, None] + s[None, :, None] * u), -1)
    # attenuated_coefficients over (sigma grid, one coefficient a): (61, 121)
    att = sl.attenuated_coefficients(np.broadcast_to(a, (61, 121)), s)
    approx = jax.nn.sigmoid(att).T
    assert float(jnp.max(jnp.abs(exact - approx))) < 0.02


def test_sbc_replicate_shapes_and_validation(key):
    names = sl.sbc_parameter_names(3)
    assert names == (
        "beta_Y[0]", "beta_Y[1]", "beta_Y[2]", "beta_D[0]", "beta_D[1]", "beta_D[2]", "sigma"
    )  # fmt: skip
    mask = np.array([True, False, False])
    assert sl.sbc_parameter_names(3, mask)[-2:] == ("beta_D[0]", "sigma")
    with pytest.raises(ValueError, match="thin"):
        sl.sbc_replicate(key, 50, 3, thin=0)
    with pytest.raises(ValueError, match="params"):
        sl.sbc_replicate(key, 50, 3, params={"beta_Y": np.zeros(3)})
    with pytest.raises(ValueError, match="ranks"):
        sl.sbc_summary(np.array([[0], [100]]), 99)
    with pytest.raises(ValueError, match="n_bins"):
        sl.sbc_summary(np.array([[0], [1]]), 98, n_bins=10)


@pytest.mark.slow
@pytest.mark.claim("selective_labels_sbc.sbc_uniform")
def test_sbc_of_the_selective_labels_model(key):
    """SBC of the unconstrained model (numpyro NUTS, dense mass) at N = 200 over R = 40 prior
    draws: every parameter's chi-square p-value and 90% coverage pass at a family-wise
    false-failure rate of 1e-3 (Bonferroni over 2 x 11 checks)."""
    R, L, M = 40, 99, 5
    rep = functools.partial(
        sl.sbc_replicate, N=200, M=M, num_warmup=250, num_samples=396, thin=4, n_nodes=16
    )
    out = jax.jit(jax.vmap(lambda k: rep(k)))(jax.random.split(key, R))
    s = sl.sbc_summary(np.asarray(out["ranks"]), L)
    a = 1e-3 / (2 * len(sl.sbc_parameter_names(M)))
    lo, hi = binomial_acceptance_band(R, float(s["level_exact"]), a)
    assert np.all(s["p_value"] >= a), s["p_value"]
    assert np.all((s["coverage"] >= lo / R) & (s["coverage"] <= hi / R)), s["coverage"]
