"""Score Forgetting Distillation of a linear one-step generator with exact scores (spec ``diffusion.md``
SFD panel): the loss is the weighted Fisher divergence, its unique zero is the redirected teacher, and
Adam converges there (KL <= 1e-6 to the target, retained classes unchanged)."""

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unlearnlab.diffusion import (
    concept_means,
    gaussian_fisher,
    gaussian_kl,
    sfd_distill,
    sfd_fixed_point,
    sfd_init,
    sfd_loss,
    sfd_step,
    sfd_targets,
)

mvn_logpdf = jax.scipy.stats.multivariate_normal.logpdf


def _spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T / d + 0.2 * np.eye(d)


def test_fisher_is_expected_squared_score_difference():
    """gaussian_fisher = E_q ||grad log q - grad log p||^2 by sigma points (integrand quadratic), 1e-10."""
    rng = np.random.default_rng(31)
    d = 4
    m1, m2, S1, S2 = rng.normal(size=d), rng.normal(size=d), _spd(rng, d), _spd(rng, d)
    L = np.linalg.cholesky(S1)
    pts = np.concatenate([m1 + np.sqrt(d) * L.T, m1 - np.sqrt(d) * L.T])
    gq = jax.vmap(jax.grad(lambda x: mvn_logpdf(x, m1, S1)))(pts)
    gp = jax.vmap(jax.grad(lambda x: mvn_logpdf(x, m2, S2)))(pts)
    brute = float(np.mean(np.sum((np.asarray(gq) - np.asarray(gp)) ** 2, axis=1)))
    assert abs(float(gaussian_fisher(m1, S1, m2, S2)) - brute) < 1e-10 * brute


def test_sfd_loss_is_the_weighted_fisher_of_the_diffused_laws(small):
    """sfd_loss (eigenvalue form) = mean_t s_t^2 F(N(a m, a^2 LL^T + s^2 I) || N(a mu', v I)) with the
    general gaussian_fisher (1e-10)."""
    m = small
    rng = np.random.default_rng(32)
    mg, L = rng.normal(size=m.d), np.eye(m.d) + 0.3 * rng.normal(size=(m.d, m.d))
    ab = m.alpha_bar[::10]
    ref = np.mean(
        [
            (1 - x)
            * float(
                gaussian_fisher(
                    np.sqrt(x) * mg,
                    x * L @ L.T + (1 - x) * np.eye(m.d),
                    np.sqrt(x) * m.mu[1],
                    (x * m.sigma0**2 + 1 - x) * np.eye(m.d),
                )
            )
            for x in ab
        ]
    )
    assert abs(float(sfd_loss(mg, L, ab, m.mu[1], m.sigma0)) - ref) < 1e-10 * ref


@settings(max_examples=8)
@given(seed=st.integers(0, 2**16), scale=st.floats(0.2, 2.0))
def test_sfd_loss_vanishes_only_at_the_teacher(seed, scale):
    """Invariant: the loss is 0 (1e-14) at (mu', sigma0 Q) for any rotation Q, > 0 elsewhere."""
    rng = np.random.default_rng(seed)
    d, s0 = 3, 0.5
    ab = np.array([0.99, 0.5, 0.05])
    mu = rng.normal(size=d)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    assert abs(float(sfd_loss(mu, s0 * Q, ab, mu, s0))) < 1e-14
    L = s0 * Q * scale
    mg = mu + 0.1 * rng.normal(size=d)
    assert float(sfd_loss(mg, L, ab, mu, s0)) > 0


@pytest.mark.claim("diffusion_unlearn.sfd_fixed_point")
def test_sfd_converges_to_its_fixed_point(small):
    """Adam (1500 steps) from a generic start: every class ends within KL 1e-6 of its redirected
    teacher; the forget class's KL to its own original law reaches ||mu_s - mu_u||^2/(2 sigma0^2)
    (relative 1e-4); retained classes end at their own teacher, and the final generators equal
    sfd_fixed_point (means 1e-4, covariances 1e-4)."""
    m = small
    rng = np.random.default_rng(33)
    m0 = np.tile(m.mu0, (m.K, 1)) + 0.1 * rng.normal(size=(m.K, m.d))
    L0 = np.tile(np.eye(m.d), (m.K, 1, 1)) + 0.1 * rng.normal(size=(m.K, m.d, m.d))
    forget, safe = 0, 2
    mg, L, info = sfd_distill(
        m0, L0, m.alpha_bar, m.mu, m.sigma0, forget, safe, steps=1500, lr=0.02
    )
    kl = np.asarray(info.kl_target[-1])
    assert kl.max() <= 1e-6, kl
    assert np.asarray(info.kl_target[0]).max() > 1.0
    gap = np.sum((m.mu[safe] - m.mu[forget]) ** 2) / (2 * m.sigma0**2)
    assert abs(float(info.kl_forgotten[-1]) - gap) <= 1e-4 * gap
    ms, Ss = sfd_fixed_point(m.mu, m.sigma0, forget, safe)
    np.testing.assert_allclose(mg, ms, atol=1e-4)
    np.testing.assert_allclose(np.einsum("kij,klj->kil", L, L), Ss, atol=1e-4)
    for c in range(m.K):
        S = np.asarray(L[c] @ L[c].T)
        assert abs(float(gaussian_kl(mg[c], S, ms[c], Ss[c])) - kl[c]) < 1e-6


def test_targets_fixed_point_and_step_api(small):
    m = small
    t = np.asarray(sfd_targets(m.mu, 1, 3))
    np.testing.assert_array_equal(t[1], m.mu[3])
    np.testing.assert_array_equal(np.delete(t, 1, 0), np.delete(m.mu, 1, 0))
    np.testing.assert_allclose(concept_means(m.E, m.W, m.mu0), m.mu0 + m.E @ m.W.T, atol=1e-14)
    m0, L0 = np.tile(m.mu0, (m.K, 1)), np.tile(np.eye(m.d), (m.K, 1, 1))
    s = sfd_init(m0, L0, lr=0.05, steps=4)
    for _ in range(4):
        s, info = sfd_step(s, m.alpha_bar, m.mu, m.sigma0, 1, 3, lr=0.05, steps=4)
    mg, L, infos = sfd_distill(m0, L0, m.alpha_bar, m.mu, m.sigma0, 1, 3, steps=4, lr=0.05)
    np.testing.assert_allclose(s.m, mg, atol=1e-12)
    np.testing.assert_allclose(s.L, L, atol=1e-12)
    np.testing.assert_allclose(info.loss, infos.loss[-1], atol=1e-12)


def test_jit_equals_nojit_and_traced_once(small):
    m = small
    count = {"n": 0}
    m0, L0 = np.tile(m.mu0, (m.K, 1)), np.tile(np.eye(m.d), (m.K, 1, 1))

    def f(mu, s0):
        count["n"] += 1
        st = sfd_init(m0, L0, lr=0.05, steps=2)
        return (
            concept_means(m.E, m.W, mu[0]),
            gaussian_fisher(mu[0], np.eye(m.d), mu[1], 2 * np.eye(m.d)),
            sfd_targets(mu, 0, 1),
            sfd_loss(mu[0], L0[0], m.alpha_bar, mu[1], s0),
            sfd_step(st, m.alpha_bar, mu, s0, 0, 1, lr=0.05, steps=2)[0].m,
            sfd_distill(m0, L0, m.alpha_bar, mu, s0, 0, 1, steps=2, lr=0.05)[0],
            sfd_fixed_point(mu, s0, 0, 1),
        )

    jf = jax.jit(f)
    for s0 in (0.5, 0.7):
        out, ref = jf(m.mu, s0), f(m.mu, s0)
        for a, b in zip(jax.tree.leaves(out), jax.tree.leaves(ref)):
            np.testing.assert_allclose(a, b, atol=1e-12)
    assert count["n"] == 1 + 2


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m: sfd_targets(m.mu, 0, 0), "safe"),
        (lambda m: sfd_targets(m.mu, m.K, 0), "forget"),
        (lambda m: sfd_targets(m.mu, 0, -1), "safe"),
        (lambda m: sfd_fixed_point(m.mu, 0.0, 0, 1), "sigma0"),
        (lambda m: gaussian_fisher(np.zeros(2), -np.eye(2), np.zeros(2), np.eye(2)), "S1"),
        (lambda m: sfd_loss(np.zeros(2), np.eye(3), m.alpha_bar, np.zeros(2), 0.5), "L"),
        (
            lambda m: sfd_distill(
                m.mu, np.ones((m.K, m.d, m.d)), m.alpha_bar, m.mu, 0.5, 0, 1, steps=0
            ),
            "steps",
        ),
    ],
)
def test_validation(small, call, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call(small)
