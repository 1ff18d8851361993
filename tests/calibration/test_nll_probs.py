"""nll_probs (moved from experiments/hcal.py): clipped, renormalised NLL of probabilities."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import unlearnlab.calibration as cal


def test_equals_nll_without_zeros_and_is_finite_with_them():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), 50)
    y = rng.integers(0, 4, 50)
    brute = -np.mean(np.log(p[np.arange(50), y]))
    assert abs(float(cal.nll_probs(p, y)) - brute) <= 1e-12
    assert abs(float(cal.nll(jnp.log(p), y)) - brute) <= 1e-12
    q = np.array([[1.0, 0.0], [0.5, 0.5]])
    v = float(cal.nll_probs(q, np.array([1, 0]), floor=1e-12))
    expect = -0.5 * (np.log(1e-12 / (1 + 1e-12)) + np.log(0.5))
    assert abs(v - expect) <= 1e-9 * abs(expect)
    f = jax.jit(lambda p, y: cal.nll_probs(p, y))
    assert abs(float(f(p, y)) - brute) <= 1e-12


@pytest.mark.parametrize("floor", [0.0, 1.0, float("nan")])
def test_bad_floor_is_named(floor):
    with pytest.raises(ValueError, match="`floor`"):
        cal.nll_probs(np.array([[0.5, 0.5]]), np.array([0]), floor=floor)
