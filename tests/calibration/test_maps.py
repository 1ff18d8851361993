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


@pytest.mark.claim("hcal.accuracy_preserved")
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
    of sigma * integrand (in the normalised variable); phi is strictly increasing."""
    p = cal.init_mono_mlp(jax.random.key(1), hidden=(10, 10), n_grid=64, mu=-5.0, sigma=4.0)
    rng = np.random.default_rng(2)  # move off the identity start: random MLP weights
    p = {**p, "mlp": jax.tree.map(lambda w: jnp.asarray(rng.normal(0, 1.0, w.shape)), p["mlp"])}
    f = lambda t: cal.mono_integrand(p["mlp"], t) * p["sigma"]
    g = p["grid"]
    fine = jnp.linspace(g[0], g[-1], 20001)
    fv = jax.jit(f)(fine)
    cum = jnp.concatenate([jnp.zeros(1), jnp.cumsum(0.5 * (fv[1:] + fv[:-1]) * jnp.diff(fine))])
    x_nodes = g * p["sigma"] + p["mu"]
    phi = cal.mono_mlp_phi(p, x_nodes)
    np.testing.assert_allclose(phi - phi[0], jnp.interp(g, fine, cum), atol=1e-6)
    xs = jnp.linspace(-80.0, 3.0, 5001)
    assert np.all(np.diff(np.asarray(cal.mono_mlp_phi(p, xs))) > 0)


def _pwl_clipped_sum_oracle(p, x):
    """The docstring definition of the PWL map: lo + sum_k sp(s_k) clip(x - t_k, 0, delta) + ends."""
    s, lo = np.asarray(p["s"]), float(p["lo"])
    S = s.size
    delta = -lo / S
    sp = np.log1p(np.exp(s))
    knots = lo + delta * np.arange(S)
    x = np.asarray(x, np.float64)
    inside = (sp * np.clip(x[..., None] - knots, 0.0, delta)).sum(-1)
    return lo + inside + sp[0] * np.minimum(x - lo, 0.0) + sp[-1] * np.maximum(x, 0.0)


@pytest.mark.parametrize("segments", [1, 7, 100])
def test_pwl_gather_form_equals_clipped_sum_definition(segments):
    """Exact identity (float64, 1e-10): the O(1)-per-entry gather evaluation of the PWL map equals
    its O(S) clipped-sum definition, at random slopes, on a grid that hits every knot exactly and
    extends beyond [lo, 0] on both sides; the gradients in the slopes agree too."""
    rng = np.random.default_rng(segments)
    p = cal.init_pwl(segments, -30.0)
    p = {**p, "s": jnp.asarray(rng.normal(0, 2, segments))}
    knots = -30.0 + (30.0 / segments) * np.arange(segments + 1)
    x = jnp.asarray(np.concatenate([knots, rng.uniform(-45.0, 3.0, 500)]))
    np.testing.assert_allclose(cal.pwl_phi(p, x), _pwl_clipped_sum_oracle(p, x), atol=1e-10)

    def oracle_jax(s):  # the clipped sum written in jax for the gradient
        sp = jax.nn.softplus(s)
        lo, S = -30.0, s.shape[0]
        d = -lo / S
        t = lo + d * jnp.arange(S)
        inside = jnp.sum(sp * jnp.clip(x[:, None] - t, 0.0, d), -1)
        return jnp.sum(
            lo + inside + sp[0] * jnp.minimum(x - lo, 0.0) + sp[-1] * jnp.maximum(x, 0.0)
        )

    g = jax.grad(lambda s: jnp.sum(cal.pwl_phi({**p, "s": s}, x)))(p["s"])
    np.testing.assert_allclose(g, jax.grad(oracle_jax)(p["s"]), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("k", [1, 16])
def test_ets_probs_and_its_vjp_equal_autodiff_of_apply_ets(k):
    """Exact identity (float64): ets_probs == exp(apply_ets) to 1e-12, and its hand-written VJP in
    (a, b) equals autodiff of exp(apply_ets) against a random cotangent to 1e-10 relative."""
    rng = np.random.default_rng(k)
    z = _logits(k, 40, 9)
    p = {"a": jnp.asarray(rng.normal(0, 1.0, k)), "b": jnp.asarray(rng.normal(0, 1.5, k))}
    np.testing.assert_allclose(cal.ets_probs(p, z), jnp.exp(cal.apply_ets(p, z)), atol=1e-12)
    W = jnp.asarray(rng.normal(size=z.shape))
    g_fast = jax.grad(lambda q: jnp.sum(W * cal.ets_probs(q, z)))(p)
    g_ref = jax.grad(lambda q: jnp.sum(W * jnp.exp(cal.apply_ets(q, z))))(p)
    for name in ("a", "b"):
        np.testing.assert_allclose(g_fast[name], g_ref[name], rtol=1e-10, atol=1e-12)


def test_ets_log_prob_of_and_its_vjp_equal_apply_ets():
    """Exact identity (float64): ets_log_prob_of == apply_ets at the label column (1e-12), and its
    VJP in (a, b) equals autodiff of the mean NLL through apply_ets (1e-10 relative)."""
    rng = np.random.default_rng(5)
    z = _logits(5, 40, 9)
    y = jnp.asarray(rng.integers(0, 9, 40))
    p = {"a": jnp.asarray(rng.normal(0, 1.0, 16)), "b": jnp.asarray(rng.normal(0, 1.5, 16))}
    ref = jnp.take_along_axis(cal.apply_ets(p, z), y[:, None], axis=1)[:, 0]
    np.testing.assert_allclose(cal.ets_log_prob_of(p, z, y), ref, atol=1e-12)
    g_fast = jax.grad(lambda q: -jnp.mean(cal.ets_log_prob_of(q, z, y)))(p)
    g_ref = jax.grad(
        lambda q: -jnp.mean(jnp.take_along_axis(cal.apply_ets(q, z), y[:, None], axis=1))
    )(p)
    for name in ("a", "b"):
        np.testing.assert_allclose(g_fast[name], g_ref[name], rtol=1e-10, atol=1e-12)


def test_maps_start_at_the_identity():
    """Exact identity: PWL and the monotone network start at the identity map (log-probabilities
    unchanged, 1e-10), whatever the normalisation (mu, sigma) of the network."""
    z = _logits(11, 30, 7)
    ell = jax.nn.log_softmax(z, axis=1)
    np.testing.assert_allclose(cal.apply_pwl(cal.init_pwl(50), z), ell, atol=1e-10)
    for mu, sigma in ((0.0, 1.0), (-6.0, 5.0)):
        p = cal.init_mono_mlp(jax.random.key(0), hidden=(4, 3), mu=mu, sigma=sigma)
        np.testing.assert_allclose(cal.apply_mono_mlp(p, z), ell, atol=1e-10)


def test_ets_log_prob_of_rejects_bad_labels():
    """ValueError (not a silently clamped gather) for labels outside [0, C) or of the wrong length."""
    z = _logits(1, 10, 4)
    p = {"a": jnp.zeros(3), "b": jnp.zeros(3)}
    with pytest.raises(ValueError, match="labels"):
        cal.ets_log_prob_of(p, z, jnp.full(10, 4))
    with pytest.raises(ValueError):
        cal.ets_log_prob_of(p, z, jnp.zeros(9, jnp.int32))
