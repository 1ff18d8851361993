"""Model Sparsity on ridge: the exact unrolled-unlearning error against simulation of the exact
unlearner, the derived bound, and the interlacing monotonicity of its constants (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unlearnlab.unlearning import (
    magnitude_mask,
    masked_gd,
    masked_lambda_max,
    ridge_fit,
    sparsity_error_curve,
    unrolled_unlearn,
    unrolling_error,
)

N, D, NF, T, LAM = 80, 16, 10, 30, 1.0


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(N, D)) / np.sqrt(D)
    y = X @ rng.normal(size=D) + 0.3 * rng.normal(size=N)
    f = np.zeros(N, bool)
    f[:NF] = True
    H = X.T @ X + LAM * np.eye(D)
    eta = 0.5 / np.linalg.eigvalsh(H)[-1]
    return dict(X=X, y=y, f=f, H=H, eta=eta, init=0.1 * rng.normal(size=D))


def _mask(seed, keep):
    rng = np.random.default_rng(seed)
    m = np.zeros(D)
    m[rng.choice(D, keep, replace=False)] = 1.0
    return m


@pytest.mark.claim("unlearn_audit.sparsity_bound")
@pytest.mark.parametrize("keep", [D, 9, 2])
def test_exact_error_matches_simulation(data, keep):
    """e from the two-sum formula == (unrolled unlearner) - (GD on the retained rows), 1e-10."""
    p = data
    m = _mask(keep, keep)
    th0 = m * p["init"]
    traj = masked_gd(p["X"], p["y"], m, th0, p["eta"], T, LAM)
    exact = masked_gd(p["X"], p["y"], m, th0, p["eta"], T, LAM, keep_mask=~p["f"])
    u = unrolled_unlearn(p["X"], p["y"], p["f"], m, th0, traj[-1], p["eta"], T)
    r = unrolling_error(p["X"], p["y"], p["f"], m, th0, p["eta"], T, LAM)
    sim = np.asarray(u - exact[-1])
    assert np.linalg.norm(np.asarray(r["error"]) - sim) <= 1e-10 * np.linalg.norm(sim)
    assert float(jnp.max(jnp.abs(r["theta_t"] - traj[-1]))) < 1e-12
    # masked coordinates never move
    assert float(jnp.max(jnp.abs((traj - th0[None]) * (1 - m)[None]))) == 0.0


@pytest.mark.claim("unlearn_audit.sparsity_bound")
@settings(max_examples=12)
@given(
    seed=st.integers(0, 10_000),
    keep=st.integers(1, D),
    eta_frac=st.sampled_from([0.3, 1.0, 1.9]),
)
def test_error_below_bound(data, seed, keep, eta_frac):
    p = data
    m = _mask(seed, keep)
    lm = float(masked_lambda_max(p["H"], m))
    r = unrolling_error(p["X"], p["y"], p["f"], m, m * p["init"], eta_frac / lm, T, LAM)
    assert float(r["error_norm"]) <= float(r["bound"]) * (1 + 1e-12)


@pytest.mark.claim("unlearn_audit.sparsity_bound")
def test_constants_monotone_in_sparsity(data):
    p = data
    sp = np.linspace(0.0, 0.9, 7)
    r = sparsity_error_curve(p["X"], p["y"], p["f"], LAM, sp, p["init"], T)
    for k in ("lambda_R", "lambda_F"):
        v = np.asarray(r[k])
        assert np.all(np.diff(v) <= 1e-12 * v[0]), (k, v)
    assert np.all(np.diff(np.asarray(r["support"])) <= 0)
    assert np.all(np.asarray(r["error_norm"]) <= np.asarray(r["bound"]))
    # interlacing against a direct principal-submatrix eigenvalue
    dense = ridge_fit(p["X"], p["y"], LAM)
    HR = p["X"][~p["f"]].T @ p["X"][~p["f"]] + LAM * np.eye(D)
    for i, s in enumerate(sp):
        m = np.asarray(magnitude_mask(dense, s)).astype(bool)
        direct = np.linalg.eigvalsh(HR[np.ix_(m, m)])[-1]
        assert abs(direct - float(r["lambda_R"][i])) < 1e-12 * direct


def test_magnitude_masks_nested():
    th = np.array([0.5, -2.0, 0.1, 0.1, 3.0, -0.2])
    prev = None
    for s in (0.0, 0.3, 0.5, 0.8, 0.99):
        m = np.asarray(magnitude_mask(th, s))
        assert m.sum() == max(1, round((1 - s) * 6))
        if prev is not None:
            assert np.all(m <= prev)
        prev = m
    assert np.asarray(magnitude_mask(th, 0.99))[4] == 1.0


def test_jit_matches_eager(data):
    p = data
    m = _mask(0, 8)

    def f(th0):
        return unrolling_error(p["X"], p["y"], p["f"], m, th0, p["eta"], T, LAM)["error_norm"]

    th0 = jnp.asarray(m * p["init"])
    assert abs(float(jax.jit(f)(th0)) - float(f(th0))) < 1e-12


def test_bad_inputs(data):
    p = data
    m = _mask(0, 8)
    with pytest.raises(ValueError, match="`mask`"):
        unrolling_error(p["X"], p["y"], p["f"], m[:-1], m * p["init"], p["eta"], T, LAM)
    with pytest.raises(ValueError, match="`forget_mask`"):
        unrolling_error(p["X"], p["y"], np.ones(N, bool), m, m * p["init"], p["eta"], T, LAM)
    with pytest.raises(ValueError, match="`eta`"):
        masked_gd(
            p["X"], p["y"], np.ones(D), p["init"], 3.0 / np.linalg.eigvalsh(p["H"])[-1], T, LAM
        )
    with pytest.raises(ValueError, match="`sparsity`"):
        magnitude_mask(p["init"], 1.0)
