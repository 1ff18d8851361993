"""Real classifier outputs (WRN-16-4 CIFAR-10, netcal records): TS regression guard (P15b) and h-cal
sanity (P18, slow)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import unlearnlab.calibration as cal
from unlearnlab.datasets import load_predictions, probs_to_logits, random_split


@pytest.fixture(scope="module")
def wrn():
    p, y = load_predictions("wrn16-4-cifar10")
    return probs_to_logits(p), y


@pytest.mark.claim("hcal.ts_moves_temperature")
def test_p15b_temperature_moves_on_real_overconfident_model(wrn):
    """P15b (reproduction, regression guard for netcal #48/#61): WRN-16-4 CIFAR-10, split seeds 0-4:
    fitted T > 1.2 and the test-half ECE drops by >= 40% on every split (indicative: T ~ 2.04,
    ECE 0.055 -> 0.010). Deterministic data: no false-failure rate beyond the 5 fixed splits."""
    z, y = wrn
    for seed in range(5):
        zc, yc, zt, yt = (jnp.asarray(a) for a in random_split(z, y, seed))
        T = float(cal.fit_temperature(zc, yc))
        before = float(cal.ece(jax.nn.softmax(zt, 1), yt))
        after = float(cal.ece(jax.nn.softmax(zt / T, 1), yt))
        assert 1.9 < T < 2.2 and after <= 0.6 * before, (seed, T, before, after)


@pytest.mark.claim("hcal.nll_not_worse")
@pytest.mark.claim("hcal.hcal_vs_ts")
@pytest.mark.claim("hcal.accuracy_preserved")
@pytest.mark.slow
def test_p18_hcal_on_real_data(wrn):
    """P18 (reproduction): WRN-16-4 CIFAR-10, split 0, ETS + pooled h-cal, steps = 500: accuracy
    unchanged (argmax preserved on all 5000 test rows), test ECE below half the uncalibrated ECE
    and not above TS's + 0.005 (the split-to-split sd is ~0.002), test NLL not above the
    uncalibrated NLL."""
    z, y = wrn
    zc, yc, zt, yt = (jnp.asarray(a) for a in random_split(z, y, 0))
    model = jax.jit(lambda k, z, y: cal.fit_hcal(k, z, y, family="ets", steps=500))(
        jax.random.key(0), zc, yc
    )
    q = cal.apply_hcal(model, zt)
    np.testing.assert_array_equal(np.argmax(q, 1), np.argmax(zt, 1))
    e_h, e_0 = float(cal.ece(q, yt)), float(cal.ece(jax.nn.softmax(zt, 1), yt))
    T = cal.fit_temperature(zc, yc)
    e_ts = float(cal.ece(jax.nn.softmax(zt / T, 1), yt))
    assert e_h < 0.5 * e_0 and e_h <= e_ts + 0.005, (e_h, e_0, e_ts)
    assert float(cal.nll(jnp.log(q), yt)) <= float(cal.nll(jax.nn.log_softmax(zt, 1), yt))


@pytest.mark.claim("hcal_window.separates")
def test_uncalibrated_wrn_exceeds_h_union(wrn):
    """P6, real half (deterministic data, split 0, the experiment's setting w = 200, delta = 0.05):
    the uncalibrated WRN-16-4 CIFAR-10 softmax has max_j T_j above h_union(0.05) computed for its
    number of (row, class) events on the test half."""
    z, y = wrn
    _, _, zt, yt = (jnp.asarray(a) for a in random_split(z, y, 0))
    Tj = cal.hcal_window_stats(jax.nn.softmax(zt, 1), yt, window=200)
    hu = cal.hcal_bound(int(zt.shape[0] * zt.shape[1]), 200, 0.05, union=True)
    assert float(jnp.max(Tj)) > float(hu), (float(jnp.max(Tj)), float(hu))
