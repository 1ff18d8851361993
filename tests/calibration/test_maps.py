"""Maps: argmax preserved for any parameters (P1), valid log-probabilities (P2), monotone PWL and
monotone network (exact identities and invariants)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unlearnlab.calibration as cal

SHAPES = [(8, 2), (33, 7), (64, 20)]


def _logits(seed, n, c, dtype=np.float64):
    rng = np.random.default_rng(seed)
    z = 3.0 * rng.standard_normal((n, c)) + 1e-3 * np.arange(c)
    return jnp.asarray(z, dtype)


def _random_params(family, seed, c_dtype=jnp.float64):
    rng = np.random.default_rng(seed + 1)
    if family == "temperature":
        return {"a": jnp.asarray(rng.normal(0, 1.5))}
    if family == "ets":
        k = int(rng.choice([1, 16]))
        return {"a": jnp.asarray(rng.normal(0, 1.2, k)), "b": jnp.asarray(rng.normal(0, 2, k))}
    if family == "pwl":
        p = cal.init_pwl(int(rng.choice([1, 10, 100])))
        return {**p, "s": jnp.asarray(rng.normal(0, 2, p["s"].shape))}
    p = _MLP_TEMPLATE
    mlp = jax.tree.map(lambda w: jnp.asarray(rng.normal(0, 1.5, w.shape)), p["mlp"])
    return {**p, "mlp": mlp}


_MLP_TEMPLATE = cal.init_mono_mlp(jax.random.key(0), hidden=(10, 10), mu=-5.0, sigma=4.0)


_apply = {
    f: jax.jit(
        lambda p, z, f=f: cal.hcal_log_probs(cal.HCalModel(p, jnp.zeros(1), jnp.zeros(1), f), z)
    )
    for f in cal.FAMILIES
}


@settings(max_examples=200)
@given(
    seed=st.integers(0, 2**31 - 1),
    shape=st.sampled_from(SHAPES),
    family=st.sampled_from(cal.FAMILIES),
)
def test_p1_argmax_preserved_for_any_params(seed, shape, family):
    """P1 (invariant): every h-cal family is order-preserving, so the argmax never changes."""
    z = _logits(seed, *shape)
    out = _apply[family](_random_params(family, seed), z)
    np.testing.assert_array_equal(np.argmax(out, 1), np.argmax(z, 1))


@pytest.mark.parametrize("family", cal.FAMILIES)
def test_p2_maps_return_log_probs_float32(family):
    """P2 (invariant): logsumexp of each output row is 0 (float32, atol 1e-5); apply_hcal rows sum to 1."""
    z = _logits(3, 64, 20, np.float32)
    params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), _random_params(family, 3))
    model = cal.HCalModel(params, jnp.zeros(1), jnp.zeros(1), family)
    lp = cal.hcal_log_probs(model, z)
    assert lp.dtype == jnp.float32
    np.testing.assert_allclose(jax.nn.logsumexp(lp, axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(jnp.sum(cal.apply_hcal(model, z), axis=1), 1.0, atol=1e-5)


def test_pwl_identity_at_init_and_strictly_increasing():
    """Exact identity: the PWL map is the identity on [lo, 0] at init; strictly increasing on R."""
    p = cal.init_pwl(100, -30.0)
    x = jnp.linspace(-30.0, 0.0, 1001)
    np.testing.assert_allclose(cal.pwl_phi(p, x), x, atol=1e-10)
    rng = np.random.default_rng(0)
    q = {**p, "s": jnp.asarray(rng.normal(0, 3, 100))}
    xs = jnp.linspace(-60.0, 5.0, 20001)
    assert np.all(np.diff(np.asarray(cal.pwl_phi(q, xs))) > 0)
    # continuity at the knots: no jump bigger than max slope * grid step
    d = np.diff(np.asarray(cal.pwl_phi(q, xs)))
    assert d.max() <= float(jax.nn.softplus(q["s"]).max()) * float(xs[1] - xs[0]) * (1 + 1e-9)


def test_mono_mlp_phi_matches_direct_quadrature():
    """Exact identity (to quadrature accuracy): phi at grid nodes equals a fine direct quadrature
    of the integrand; phi is strictly increasing."""
    p = cal.init_mono_mlp(jax.random.key(1), hidden=(10, 10), n_grid=64, mu=-5.0, sigma=4.0)
    from unlearnlab.calibration.maps import _Integrand

    f = lambda t: _Integrand((10, 10)).apply(p["mlp"], t)
    g = p["grid"]
    fine = jnp.linspace(g[0], g[-1], 20001)
    fv = jax.jit(f)(fine)
    cum = jnp.concatenate([jnp.zeros(1), jnp.cumsum(0.5 * (fv[1:] + fv[:-1]) * jnp.diff(fine))])
    x_nodes = g * p["sigma"] + p["mu"]
    phi = cal.mono_mlp_phi(p, x_nodes)
    np.testing.assert_allclose(phi - phi[0], jnp.interp(g, fine, cum), atol=1e-6)
    xs = jnp.linspace(-80.0, 3.0, 5001)
    assert np.all(np.diff(np.asarray(cal.mono_mlp_phi(p, xs))) > 0)
