"""The Universality Lens mixture learner (arXiv:2506.07661; spec 3.3, issue 21).

Kinds: exact identities (closed forms vs brute-force enumeration over the 3^D parameters and the 2^n
sequences, float64), the lab's derived bound and limits (exact sums, float64 tolerances),
invariants (hypothesis), API (jit == no-jit, bad input). No Monte Carlo: nothing here is random,
so no test has a false-failure rate.
"""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unlearnlab.universal import (
    bernoulli_kl,
    expected_regret,
    group_log_prior,
    group_probs,
    log_ball_weight,
    log_mixture,
    posterior_predictive,
    regret_curve,
    resolvability_bound,
)

D20, C2 = 20, 2.0
NS = np.array([0, 1, 2, 5, 10, 30, 100, 300, 1000, 3000, 10_000])
N_LIMIT = 100_000


@pytest.fixture(scope="module")
def cls20():
    return group_log_prior(D20), group_probs(D20, C2)


@pytest.fixture(scope="module")
def curves20(cls20):
    """R_n(s0) for every s0 in -D..D and every n in NS (one compiled loop per s0)."""
    lp, p = cls20
    return np.stack([np.asarray(regret_curve(i, NS, lp, p)) for i in range(2 * D20 + 1)])


# ----------------------------------------------------------------------------- exact identities


def _trinomial(D, s):
    """T_D(s) as an exact Python integer: choose j minus-ones, j + |s| plus-ones."""
    s = abs(s)
    return sum(math.comb(D, j) * math.comb(D - j, j + s) for j in range(0, (D - s) // 2 + 1))


@pytest.mark.parametrize("D", [1, 2, 5, 7])
def test_group_prior_matches_enumeration(D):
    """w_D(s) = #{theta in {-1,0,1}^D: sum theta = s} / 3^D by enumerating all 3^D parameters."""
    counts = np.zeros(2 * D + 1)
    for th in itertools.product((-1, 0, 1), repeat=D):
        counts[sum(th) + D] += 1
    np.testing.assert_allclose(np.exp(group_log_prior(D)), counts / 3**D, rtol=1e-12, atol=0)


@pytest.mark.parametrize("D", [20, 60, 400])
def test_group_prior_matches_exact_trinomials_and_is_stable(D):
    """log w_D(s) = log T_D(s) - D log 3 with T_D from exact integers (3^400 overflows floats)."""
    lp = np.asarray(group_log_prior(D))
    exact = np.array([math.log(_trinomial(D, s)) - D * math.log(3) for s in range(-D, D + 1)])
    np.testing.assert_allclose(lp, exact, rtol=1e-12, atol=1e-10)
    assert abs(float(jax.scipy.special.logsumexp(lp))) < 1e-10
    np.testing.assert_allclose(lp, lp[::-1], atol=1e-10)


def test_group_probs_and_kl():
    p = np.asarray(group_probs(D20, C2))
    s = np.arange(-D20, D20 + 1)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-C2 * s / np.sqrt(D20))), rtol=1e-14)
    assert np.all(np.diff(p) > 0)
    q = np.linspace(0.05, 0.95, 7)
    kl = np.asarray(bernoulli_kl(0.3, q))
    np.testing.assert_allclose(kl, 0.3 * np.log(0.3 / q) + 0.7 * np.log(0.7 / (1 - q)), rtol=1e-12)
    assert abs(float(bernoulli_kl(0.3, 0.3))) < 1e-16


def _theta_mixture(D, c, x):
    """Q(x^n) by brute force over all 3^D parameters theta (no sufficient statistic used)."""
    K, n = sum(x), len(x)
    tot = 0.0
    for th in itertools.product((-1, 0, 1), repeat=D):
        ps = 1 / (1 + math.exp(-c * sum(th) / math.sqrt(D)))
        tot += ps**K * (1 - ps) ** (n - K)
    return tot / 3**D


def test_log_mixture_and_regret_match_full_enumeration():
    """D = 4, c = 1.5: log Q over the 81 parameters, and R_n = sum over all 2^n sequences of
    P_0(x^n) log(P_0(x^n)/Q(x^n)) for n <= 8; Q sums to one over {0,1}^n."""
    D, c = 4, 1.5
    lp, p = group_log_prior(D), group_probs(D, c)
    for n in (0, 1, 3, 8):
        seqs = list(itertools.product((0, 1), repeat=n))
        Qs = np.array([_theta_mixture(D, c, x) for x in seqs])
        Ks = np.array([sum(x) for x in seqs], dtype=np.int64)
        np.testing.assert_allclose(
            np.asarray(log_mixture(Ks, n, lp, p)), np.log(Qs), rtol=0, atol=1e-12
        )
        assert abs(Qs.sum() - 1) < 1e-12
        for s0 in (0, 2, 4):
            p0 = float(p[s0 + D])
            P0 = p0**Ks * (1 - p0) ** (n - Ks)
            brute = float(np.sum(P0 * (np.log(P0) - np.log(Qs))))
            assert abs(float(expected_regret(s0 + D, n, lp, p)) - brute) < 1e-12


def test_posterior_predictive_is_the_mixture_ratio(cls20):
    """Q(1 | x^n) = Q(x^n 1) / Q(x^n), and it lies between min p and max p."""
    lp, p = cls20
    n = np.array([0, 5, 50, 500])
    K = np.array([0, 3, 10, 480])
    pred = np.asarray(posterior_predictive(K, n, lp, p))
    ratio = np.exp(np.asarray(log_mixture(K + 1, n + 1, lp, p) - log_mixture(K, n, lp, p)))
    np.testing.assert_allclose(pred, ratio, rtol=1e-11)
    assert abs(pred[0] - float(jnp.exp(lp) @ p)) < 1e-14  # prior mean = 1/2 by symmetry
    assert abs(pred[0] - 0.5) < 1e-12


@pytest.mark.claim("universality_lens.monotone_to_limit")
def test_regret_equals_minus_log_prior_plus_expected_log_posterior(cls20):
    """Bayes' rule: log P_0/Q = -log w(s0) + log pi(s0 | x^n), so R_n = -log w(s0) + E log pi_n(s0)."""
    lp, p = cls20
    for s0, n in ((0, 7), (5, 40), (12, 300)):
        i = s0 + D20
        K = np.arange(n + 1)
        p0 = float(p[i])
        logb = np.array(
            [math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for k in K]
        )
        wts = np.exp(logb + K * np.log(p0) + (n - K) * np.log1p(-p0))
        lj = (
            np.asarray(lp)[None, :]
            + K[:, None] * np.log(p)[None, :]
            + (n - K)[:, None] * np.log1p(-np.asarray(p))[None, :]
        )
        log_post = lj[:, i] - np.logaddexp.reduce(lj, axis=1)
        want = -float(lp[i]) + float(wts @ log_post)
        assert abs(float(expected_regret(i, n, lp, p)) - want) < 1e-10


def test_bound_is_the_exact_minimum_over_eps(cls20):
    """B_n equals the minimum over the jump points eps_j (explicit loop) and is <= the objective on a
    fine eps grid (the minimum over all eps >= 0 is attained at a jump)."""
    lp, p = (np.asarray(a) for a in cls20)
    for s0 in (0, 7, 20):
        i = s0 + D20
        kl = p[i] * np.log(p[i] / p) + (1 - p[i]) * np.log((1 - p[i]) / (1 - p))
        W = lambda e: np.exp(lp[kl <= e]).sum()  # noqa: E731
        ks = np.sort(kl)  # radii between the jumps (at a jump, rounding decides the tie)
        ks = ks[np.concatenate([[True], np.diff(ks) > 1e-9])]
        eps = np.concatenate([[0.0], 0.5 * (ks[1:] + ks[:-1]), [2 * ks[-1]]])
        np.testing.assert_allclose(
            np.asarray(log_ball_weight(i, eps, lp, p)), [np.log(W(e)) for e in eps], atol=1e-12
        )
        for n in (0, 10, 1000):
            loop = min(-np.log(W(e)) + n * e for e in kl)
            b = float(resolvability_bound(i, n, lp, p))
            assert abs(b - loop) < 1e-12
            grid = np.linspace(0, kl.max() * 1.1, 2001)
            assert b <= min(-np.log(W(e)) + n * e for e in grid) + 1e-12
        assert float(resolvability_bound(i, 0, lp, p)) == pytest.approx(0.0, abs=1e-12)


# ----------------------------------------------------------------------------- the claims


@pytest.mark.claim("universality_lens.resolvability_bound")
def test_regret_below_resolvability_bound_every_n_and_s0(cls20, curves20):
    """Lab Prop. 1: R_n(s0) <= B_n(s0) <= -log w(s0) for all 41 s0 and 11 n up to 1e4, and at
    n = 1e5 for |s0| <= D/2 and s0 = D (1e-10)."""
    lp, p = cls20
    for i in range(2 * D20 + 1):
        B = np.asarray(resolvability_bound(i, NS, lp, p))
        assert np.all(curves20[i] <= B + 1e-10), (i, curves20[i] - B)
        assert np.all(B <= -float(lp[i]) + 1e-12)
    for s0 in (*range(-D20 // 2, D20 // 2 + 1), D20):
        i = s0 + D20
        r = float(expected_regret(i, N_LIMIT, lp, p))
        assert r <= float(resolvability_bound(i, N_LIMIT, lp, p)) + 1e-10, (s0, r)
    # the spec's prototype numbers at s0 = 0 (D = 20, c = 2): (n, R, B)
    i0 = D20
    R = dict(zip(NS.tolist(), curves20[i0]))
    B = dict(zip(NS.tolist(), np.asarray(resolvability_bound(i0, NS, lp, p))))
    for n, r, b in ((10, 0.52, 1.40), (100, 1.61, 2.22), (10_000, 2.223, 2.223)):
        assert abs(R[n] - r) < 6e-3 and abs(B[n] - b) < 6e-3


@pytest.mark.claim("universality_lens.monotone_to_limit")
def test_regret_nondecreasing_and_tends_to_minus_log_weight(cls20, curves20):
    """Lab Prop. 2: R_0 = 0, R_n non-decreasing (1e-12) over n in NS and on to 1e5, R_n <= -log w(s0)
    with the gap below the Bhattacharyya rate of the note, and R_{1e5} within 1e-2 of -log w(s0) for
    |s0| <= D/2."""
    lp = np.asarray(cls20[0])
    assert np.all(np.abs(curves20[:, 0]) < 1e-12)
    assert np.all(np.diff(curves20, axis=1) >= -1e-12)
    assert np.all(curves20 <= -lp[:, None] + 1e-10)
    lpj, p = cls20
    # the note's explicit rate: 0 <= -log w(s0) - R_n <= sum_{s != s0} sqrt(w_s / w_0) rho_s^n,
    # rho_s the Bhattacharyya coefficient of Bern(p0) and Bern(p_s)
    pa = np.asarray(p)
    for i in range(2 * D20 + 1):
        rho = np.sqrt(pa[i] * pa) + np.sqrt((1 - pa[i]) * (1 - pa))
        other = np.arange(2 * D20 + 1) != i
        rate = np.sqrt(np.exp(lp[other] - lp[i]))[:, None] * rho[other][:, None] ** NS[None, :]
        gap = -lp[i] - curves20[i]
        assert np.all(gap >= -1e-10) and np.all(gap <= rate.sum(0) + 1e-10), i
    for s0 in range(-D20 // 2, D20 // 2 + 1):
        r = float(expected_regret(s0 + D20, N_LIMIT, lpj, p))
        assert curves20[s0 + D20, -1] - 1e-12 <= r <= -lp[s0 + D20] + 1e-10
        assert abs(r + lp[s0 + D20]) < 1e-2, s0


@pytest.mark.claim("universality_lens.simplicity_weight")
def test_minus_log_weight_increases_with_abs_s0(cls20):
    """Lab Prop. 3: -log w_D(s0) strictly increases in |s0|, equals log|Theta| = D log 3 only at
    |s0| = D, and at s0 = 0 is within 0.02 nat of (1/2) log(4 pi D / 3) (local CLT, D = 20)."""
    for D in (5, 20, 101):
        nlw = -np.asarray(group_log_prior(D))
        half = nlw[D:]
        assert np.all(np.diff(half) > 0)
        assert abs(half[-1] - D * math.log(3)) < 1e-10
        assert np.all(half[:-1] < D * math.log(3) - 1e-3)
    nlw20 = -float(cls20[0][D20])
    assert abs(nlw20 - 0.5 * math.log(4 * math.pi * D20 / 3)) < 0.02


# ----------------------------------------------------------------------------- invariants


@st.composite
def _classes(draw):
    G = 5
    raw = np.array(draw(st.lists(st.floats(-3, 3), min_size=G, max_size=G)))
    lp = raw - np.logaddexp.reduce(raw)
    p = np.array(draw(st.lists(st.floats(0.02, 0.98), min_size=G, max_size=G)))
    return lp, p, draw(st.integers(0, G - 1))


@pytest.mark.claim("universality_lens.resolvability_bound")
@given(_classes(), st.sampled_from([0, 1, 7, 64]))
def test_bound_holds_for_any_prior_and_probabilities(cls, n):
    """R_n <= B_n for arbitrary normalised priors and probabilities on 5 groups (1e-10), and R_n >= 0."""
    lp, p, i = cls
    r = float(expected_regret(i, n, lp, p, n_max=64))
    assert -1e-12 <= r <= float(resolvability_bound(i, n, lp, p)) + 1e-10


# ----------------------------------------------------------------------------- API


@pytest.mark.parametrize("wrap", [lambda f: f, jax.jit], ids=["eager", "jit"])
def test_jit_matches_eager(wrap, cls20):
    lp, p = cls20
    K, n = np.array([1, 4]), np.array([3, 9])
    eager = (
        log_mixture(K, n, lp, p),
        posterior_predictive(K, n, lp, p),
        expected_regret(D20, 9, lp, p, n_max=12),
        resolvability_bound(D20, n, lp, p),
        bernoulli_kl(p[3], p),
        log_ball_weight(D20, np.array([0.0, 0.1]), lp, p),
    )
    got = (
        wrap(log_mixture)(K, n, lp, p),
        wrap(posterior_predictive)(K, n, lp, p),
        wrap(lambda i, m, a, b: expected_regret(i, m, a, b, n_max=12))(D20, 9, lp, p),
        wrap(resolvability_bound)(D20, n, lp, p),
        wrap(bernoulli_kl)(p[3], p),
        wrap(log_ball_weight)(D20, np.array([0.0, 0.1]), lp, p),
    )
    for a, b in zip(eager, got):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-13, atol=1e-15)


def test_regret_curve_equals_pointwise_and_vmaps(cls20):
    lp, p = cls20
    ns = np.array([0, 3, 17, 50])
    curve = np.asarray(regret_curve(D20 + 3, ns, lp, p))
    point = [float(expected_regret(D20 + 3, int(n), lp, p)) for n in ns]
    np.testing.assert_allclose(curve, point, rtol=1e-12, atol=1e-15)
    vm = jax.vmap(lambda m: expected_regret(D20 + 3, m, lp, p, n_max=50))(jnp.asarray(ns))
    np.testing.assert_allclose(np.asarray(vm), point, rtol=1e-12, atol=1e-15)


def test_bad_input_named(cls20):
    lp, p = cls20
    with pytest.raises(ValueError, match="`D`"):
        group_log_prior(0)
    with pytest.raises(ValueError, match="`c`"):
        group_probs(5, -1.0)
    with pytest.raises(ValueError, match="`n`"):
        expected_regret(0, -1, lp, p)
    with pytest.raises(ValueError, match="`K`"):
        log_mixture(np.array([4]), 3, lp, p)
    with pytest.raises(ValueError, match="`p`"):
        log_mixture(1, 3, lp, p.at[0].set(1.0))
    with pytest.raises(ValueError, match="`p`"):
        log_mixture(1, 3, lp, p[:-1])
    with pytest.raises(ValueError, match="`log_prior`"):
        log_mixture(1, 3, lp + 0.1, p)
    with pytest.raises(ValueError, match="`s0_idx`"):
        resolvability_bound(2 * D20 + 1, 3, lp, p)
    with pytest.raises(ValueError, match="`n_max`"):
        jax.jit(lambda m: expected_regret(0, m, lp, p))(3)
