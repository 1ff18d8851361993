"""The reward channel, its corrections and the appeal estimator (arXiv:2510.00915; spec B.1-B.4).

Kinds: exact identities (enumeration of the channel, float64), invariants (hypothesis), statistical
claims (fixed keys; false-failure rates in each docstring), API (validation, jit, tracing).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unlearnlab.verifiers as V
from unlearnlab.verifiers import (
    appeal_fn_estimate,
    appeal_overturn_prob,
    backward_corrected_reward,
    forward_weights,
    grpo_advantages,
    noisy_verifier,
    rho1_from_overturn,
    weight_second_moments,
)

RATES = [(0.1, 0.2), (0.3, 0.3), (0.05, 0.45), (0.0, 0.0), (0.2, 0.7)]


# ----------------------------------------------------------------------------- exact identities


@pytest.mark.claim("noisy_verifier_pg.forward_aligned")
@pytest.mark.claim("noisy_verifier_pg.backward_unbiased")
@pytest.mark.parametrize("rho0,rho1", RATES)
def test_backward_and_forward_conditional_means_exact(rho0, rho1):
    """Enumerate R~ given R*: E[R^|R*] = R*; E[w|R*] = -(1-rho0-rho1)(1-R*); E[R~|R*] = rho0 + J R*."""
    J = 1 - rho0 - rho1
    for r_star in (0, 1):
        p1 = rho0 + J * r_star  # P(R~ = 1 | R*)
        vals = {rt: p for rt, p in ((1, p1), (0, 1 - p1))}
        e_bwd = sum(p * float(backward_corrected_reward(rt, rho0, rho1)) for rt, p in vals.items())
        e_fwd = sum(p * float(forward_weights(rt, rho1)) for rt, p in vals.items())
        assert abs(e_bwd - r_star) < 1e-12
        assert abs(e_fwd - (-J * (1 - r_star))) < 1e-12
        v = sum(
            p * (float(backward_corrected_reward(rt, rho0, rho1)) - r_star) ** 2
            for rt, p in vals.items()
        )
        assert abs(v - float(V.backward_reward_variance(rho0, rho1, r_star))) < 1e-12
        # the bounds-table entries agree with enumeration, for every mode
        for mode, wfun in (
            ("naive", lambda rt: rt),
            ("backward", lambda rt: float(backward_corrected_reward(rt, rho0, rho1))),
            ("forward", lambda rt: float(forward_weights(rt, rho1))),
        ):
            m1 = sum(p * wfun(rt) for rt, p in vals.items())
            m2 = sum(p * wfun(rt) ** 2 for rt, p in vals.items())
            assert abs(m1 - float(V.expected_weight(mode, rho0, rho1, r_star))) < 1e-12
            assert abs(m2 - float(V.expected_weight_sq(mode, rho0, rho1, r_star))) < 1e-12


def test_weight_values_at_rho_03():
    """Spec B.8.4: PGBC weights 1.75 / -0.75, PGFC weights 0.3 / -0.7 at rho0 = rho1 = 0.3."""
    np.testing.assert_allclose(
        backward_corrected_reward(jnp.array([1.0, 0.0]), 0.3, 0.3), [1.75, -0.75], atol=1e-12
    )
    np.testing.assert_allclose(forward_weights(jnp.array([1.0, 0.0]), 0.3), [0.3, -0.7], atol=1e-12)
    m = weight_second_moments(0.3, 0.3, jnp.array([1.0, 0.0]))
    np.testing.assert_allclose(m["backward"], [2.3125, 1.3125], atol=1e-12)
    np.testing.assert_allclose(m["forward"], [0.21, 0.37], atol=1e-12)


@pytest.mark.claim("noisy_verifier_pg.appeal")
@pytest.mark.parametrize(
    "rho0,rho1,p,ta,fa",
    [(0.0, 0.3, 0.4, 1.0, 0.0), (0.1, 0.2, 0.6, 0.9, 0.05), (0.2, 0.45, 0.3, 0.8, 0.1)],
)
def test_appeal_overturn_inversion_exact(rho0, rho1, p, ta, fa):
    """The imperfect-appeal overturn probability (derived, B.4) inverts back to rho1; a perfect
    appeal with rho0 = 0 overturns exactly the fraction rho1 p / (rho1 p + 1 - p) of negatives."""
    o = appeal_overturn_prob(rho0, rho1, p, ta, fa)
    # brute force: joint over R* and R~ and the appeal decision
    num = p * rho1 * ta + (1 - p) * (1 - rho0) * fa
    den = p * rho1 + (1 - p) * (1 - rho0)
    assert abs(float(o) - num / den) < 1e-12
    assert abs(float(rho1_from_overturn(o, rho0, p, ta, fa)) - rho1) < 1e-10


# ----------------------------------------------------------------------------- invariants


@pytest.mark.claim("noisy_verifier_pg.grpo_invariance")
@given(
    G=st.sampled_from([4, 8]),
    bits=st.lists(st.integers(0, 1), min_size=8, max_size=8),
    rho0=st.sampled_from([0.0, 0.05, 0.2, 0.3]),
    rho1=st.sampled_from([0.0, 0.1, 0.3, 0.45]),
)
def test_grpo_invariance_canary(G, bits, rho0, rho1):
    """Caveat 3 (derived): both corrections are positive-slope affine maps of R~, so GRPO's group
    normalisation erases them (to eps); with a mean-only baseline PGFC is exactly a no-op and PGBC a
    1/J rescale. Update this canary if the paper's hook turns out to act after normalisation."""
    r = jnp.asarray(bits[:G], float)
    if float(jnp.std(r)) == 0.0:
        r = r.at[0].set(1.0 - r[0])  # groups with non-zero std
    a_raw = grpo_advantages(r)
    np.testing.assert_allclose(
        grpo_advantages(backward_corrected_reward(r, rho0, rho1)), a_raw, atol=1e-5
    )
    np.testing.assert_allclose(grpo_advantages(forward_weights(r, rho1)), a_raw, atol=1e-5)
    c_raw = grpo_advantages(r, std_norm=False)
    np.testing.assert_allclose(
        grpo_advantages(forward_weights(r, rho1), std_norm=False), c_raw, atol=1e-12
    )
    np.testing.assert_allclose(
        grpo_advantages(backward_corrected_reward(r, rho0, rho1), std_norm=False),
        c_raw / (1 - rho0 - rho1),
        atol=1e-12,
    )


@given(
    shape=st.sampled_from([(5,), (3, 4)]),
    rho0=st.sampled_from([0.0, 0.2]),
    rho1=st.sampled_from([0.0, 0.3, 0.6]),
    seed=st.integers(0, 2**16),
)
def test_noisy_verifier_is_binary_and_noiseless_is_identity(shape, rho0, rho1, seed):
    """Outputs are 0/1 with the input's shape; zero rates leave rewards unchanged."""
    key = jax.random.key(seed)
    clean = (jax.random.uniform(key, shape) < 0.5).astype(float)
    out = noisy_verifier(jax.random.fold_in(key, 1), clean, rho0, rho1)
    assert out.shape == shape
    assert bool(jnp.all((out == 0) | (out == 1)))
    np.testing.assert_array_equal(noisy_verifier(key, clean, 0.0, 0.0), clean)


# ----------------------------------------------------------------------------- statistical


def test_channel_flip_rates(key):
    """Empirical FP/FN rates of `noisy_verifier` within 5 SE of (rho0, rho1) over 2^18 draws each.
    False-failure rate: 2 two-sided 5-sigma checks, ~1.2e-6."""
    n = 2**18
    clean = jnp.concatenate([jnp.zeros(n), jnp.ones(n)])
    out = noisy_verifier(key, clean, 0.15, 0.35)
    fp, fn = float(out[:n].mean()), float(1 - out[n:].mean())
    assert abs(fp - 0.15) <= 5 * np.sqrt(0.15 * 0.85 / n)
    assert abs(fn - 0.35) <= 5 * np.sqrt(0.35 * 0.65 / n)


@pytest.mark.claim("noisy_verifier_pg.variance")
def test_variance_ordering(key):
    """Spec B.8.4. At rho0 = rho1 = 0.3 the PGBC weight's second moment exceeds PGFC's for both
    classes; empirical second moments (2^20 channel draws per class) are within 3% of the closed
    form. The 3% band is >= 10 SE here (asserted), so the false-failure rate is < 1e-20."""
    n = 2**20
    for r_star in (0.0, 1.0):
        rt = noisy_verifier(jax.random.fold_in(key, int(r_star)), jnp.full((n,), r_star), 0.3, 0.3)
        closed = weight_second_moments(0.3, 0.3, r_star)
        assert float(closed["backward"]) > float(closed["forward"])
        for name, w in (
            ("backward", backward_corrected_reward(rt, 0.3, 0.3)),
            ("forward", forward_weights(rt, 0.3)),
        ):
            m2 = float(jnp.mean(w**2))
            se = float(jnp.std(w**2)) / np.sqrt(n)
            c = float(closed[name])
            assert 0.03 * c >= 10 * se
            assert abs(m2 - c) <= 0.03 * c, (name, r_star, m2, c)


@pytest.mark.claim("noisy_verifier_pg.appeal")
def test_appeal_estimator(key):
    """Spec B.8.8. Perfect appeals, rho0 = 0: rho1_hat is within 4 SE of rho1 over 1e5 rollouts,
    SE = sqrt(rho1 (1 - rho1) / N_correct). False-failure rate ~6.3e-5 (two-sided 4 sigma)."""
    n, rho1 = 100_000, 0.3
    k1, k2 = jax.random.split(key)
    clean = (jax.random.uniform(k1, (n,)) < 0.4).astype(float)
    rt = noisy_verifier(k2, clean, 0.0, rho1)
    overturn = (1 - rt) * clean  # a perfect appeal overturns exactly the false negatives
    est = float(appeal_fn_estimate(rt, overturn))
    n_correct = float(clean.sum())
    assert abs(est - rho1) <= 4 * np.sqrt(rho1 * (1 - rho1) / n_correct)


# ----------------------------------------------------------------------------- API


def test_public_surface_imports():
    for name in V.__all__:
        assert hasattr(V, name), name
    from unlearnlab.verifiers import (  # noqa: F401  (spec definition of done)
        accuracy_at_k,
        accuracy_ceiling,
        backward_corrected_reward,
        expected_utility,
        forward_weights,
        optimal_k,
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda: backward_corrected_reward(jnp.ones(3), 0.5, 0.5),  # rho0 + rho1 = 1
        lambda: backward_corrected_reward(jnp.ones(3), 0.6, 0.7),  # sum > 1
        lambda: backward_corrected_reward(jnp.ones(3), -0.1, 0.2),  # negative
        lambda: backward_corrected_reward(jnp.ones(3), 0.1, 1.2),  # > 1
        lambda: backward_corrected_reward(jnp.array([0.0, 0.5]), 0.1, 0.2),  # non-binary
        lambda: backward_corrected_reward(jnp.array([0.0, np.nan]), 0.1, 0.2),  # NaN
        lambda: backward_corrected_reward(
            jnp.ones(2), jnp.array([0.1, 0.6]), jnp.array([0.1, 0.4])
        ),
        lambda: forward_weights(jnp.ones(3), 1.0),
        lambda: forward_weights(jnp.ones(3), -0.2),
        lambda: forward_weights(jnp.array([2.0]), 0.2),
        lambda: noisy_verifier(jax.random.key(0), jnp.ones(3), 0.5, 0.5),
        lambda: noisy_verifier(jax.random.key(0), jnp.array([0.0, 3.0]), 0.1, 0.1),
        lambda: noisy_verifier(jax.random.key(0), jnp.ones(3), 0.1, np.nan),
        lambda: appeal_fn_estimate(jnp.ones(3), jnp.ones(3)),  # appeal of a positive
        lambda: appeal_fn_estimate(jnp.ones(3), jnp.zeros(4)),
        lambda: V.youden_j(0.4, 0.6),
        lambda: V.backward_reward_variance(0.4, 0.6, 1.0),
        lambda: V.weight_second_moments(0.0, 1.0, 1.0),
        lambda: V.expected_weight("bogus", 0.1, 0.1, 1.0),
    ],
)
def test_rate_validation(call):
    """Spec B.8.9: rho0 + rho1 >= 1, negative rates, rates > 1, non-binary rewards raise ValueError."""
    with pytest.raises(ValueError):
        call()


def test_rate_validation_message_names_argument():
    with pytest.raises(ValueError, match="rho0.*rho1.*< 1"):
        backward_corrected_reward(jnp.ones(3), 0.5, 0.5)


@pytest.mark.parametrize("wrap", [lambda f: f, jax.jit])
def test_channel_jit_equals_nojit(wrap, key):
    clean = (jax.random.uniform(key, (64,)) < 0.5).astype(float)
    f = wrap(lambda k, c: noisy_verifier(k, c, 0.2, 0.3))
    rt = f(key, clean)
    np.testing.assert_array_equal(rt, noisy_verifier(key, clean, 0.2, 0.3))
    g = wrap(
        lambda r: (
            backward_corrected_reward(r, 0.2, 0.3),
            forward_weights(r, 0.3),
            appeal_fn_estimate(r, (1 - r) * clean),
        )
    )
    out, ref = (
        g(rt),
        (
            backward_corrected_reward(rt, 0.2, 0.3),
            forward_weights(rt, 0.3),
            appeal_fn_estimate(rt, (1 - rt) * clean),
        ),
    )
    for a, b in zip(out, ref):
        np.testing.assert_allclose(a, b, atol=1e-14)


def test_channel_traced_once(key):
    n_traces = {"n": 0}

    def f(k, c):
        n_traces["n"] += 1
        rt = noisy_verifier(k, c, 0.2, 0.3)
        return backward_corrected_reward(rt, 0.2, 0.3) + forward_weights(rt, 0.3)

    jf = jax.jit(f)
    for i in range(3):
        jf(jax.random.fold_in(key, i), jnp.ones(16)).block_until_ready()
    assert n_traces["n"] == 1
