"""Closed-form models and miscalibration: exact identities against brute-force oracles that
materialise every factoid (small |H|), and derived deterministic inequalities."""

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unlearnlab.hallucination import (
    FactLM,
    good_turing_lm,
    hallucination_floor_level_sets,
    hallucination_rate,
    miscalibration,
    missing_mass,
    mixture_lm,
    mle_lm,
    monofact_rate,
    sample_fact_distribution,
    sample_training_counts,
    simulate,
    simulate_upweighting,
    upweight_counts,
)

RULES = [
    ("level_sets", {}),
    ("equal_mass", {"b": 4}),
    ("equal_mass", {"b": 15}),
    ("geometric", {"eps": 0.3}),
    ("geometric", {"eps": 0.05}),
]


# jitted once per shape: eager dispatch of every op is slow on a loaded 2-core machine
# (jit == no-jit is checked separately in test_api.py)
miscalibration = jax.jit(miscalibration, static_argnames=("partition", "b"))
good_turing_lm = jax.jit(good_turing_lm, static_argnames=("c_smooth",))


@partial(jax.jit, static_argnums=(1, 2))
def _sample(key, m, n, alpha):
    k1, k2 = jax.random.split(key)
    p = sample_fact_distribution(k1, m, "zipf", alpha)
    return p, sample_training_counts(k2, p, n)


def _world(seed, m=40, n=60, alpha=1.0):
    p, counts = _sample(jax.random.key(seed), m, n, alpha)
    return np.asarray(p), np.asarray(counts)


def _elements(lm, p, counts, n_h):
    """Materialise every factoid: (g, p) for the m facts followed by the n_h hallucinations."""
    counts, g_obs = np.asarray(counts), np.asarray(lm.g_obs).tolist()
    n_unobs = int(np.sum(counts == 0))
    g_u = float(lm.g_unseen_total) / (n_unobs + n_h)
    g = [g_obs[i] if counts[i] > 0 else g_u for i in range(len(p))] + [g_u] * n_h
    pp = [float(x) for x in p] + [0.0] * n_h
    return g, pp


def _oracle_bins(g, rule, kw):
    """Bin label of every factoid, by a plain-Python reading of each partition rule."""
    if rule == "level_sets":
        return list(g)
    if rule == "geometric":
        lq = math.log1p(-kw["eps"])
        return [math.floor(math.log(v) / lq) if v > 0 else "zero" for v in g]
    b = kw["b"]
    levels = sorted(set(g))
    before, acc = {}, 0.0
    for v in levels:
        before[v] = acc
        acc += v * g.count(v)
    return [min(math.floor(b * before[v]), b - 1) for v in g]


def _oracle_miscal(g, pp, bins):
    groups = {}
    for gi, pi, bi in zip(g, pp, bins):
        groups.setdefault(bi, []).append((gi, pi))
    tv = 0.0
    for members in groups.values():
        pb = sum(pi for _, pi in members) / len(members)
        tv += sum(abs(pb - gi) for gi, _ in members)
    return 0.5 * tv


def _models(counts, rng):
    gt, mle = good_turing_lm(counts, 5), mle_lm(counts)
    w = rng.dirichlet(np.ones(len(counts))) * (np.asarray(counts) > 0)
    w = 0.8 * w / w.sum()
    return {"gt": gt, "mle": mle, "mix": mixture_lm(gt, mle, 0.3), "random": FactLM(w, 0.2)}


# ---- exact identities --------------------------------------------------------------------------


@pytest.mark.parametrize("rule,kw", RULES)
def test_miscalibration_matches_materialised_oracle(rule, kw):
    """The analytic U-block equals TV(p^Pi(g), g) computed over all factoids (|H| = 23)."""
    rng = np.random.default_rng(0)
    n_h = 23
    for seed in range(3):
        p, counts = _world(seed)
        for name, lm in _models(counts, rng).items():
            g, pp = _elements(lm, p, counts, n_h)
            ref = _oracle_miscal(g, pp, _oracle_bins(g, rule, kw))
            got = float(miscalibration(lm.g_obs, lm.g_unseen_total, p, counts, n_h, rule, **kw))
            assert got == pytest.approx(ref, abs=1e-12), (seed, name)


def test_level_set_miscalibration_is_half_l1_of_bin_masses():
    """With level sets, Miscal = 1/2 sum_B |p(B) - g(B)| and the U bin contributes |g(U) - p(U)|."""
    p, counts = _world(7, m=200, n=300)
    lm = good_turing_lm(counts)
    g, pp = _elements(lm, p, counts, 1000)
    mass = {}
    for gi, pi in zip(g, pp):
        a, b = mass.get(gi, (0.0, 0.0))
        mass[gi] = (a + gi, b + pi)
    ref = 0.5 * sum(abs(a - b) for a, b in mass.values())
    got = float(miscalibration(lm.g_obs, lm.g_unseen_total, p, counts, 1000))
    assert got == pytest.approx(ref, abs=1e-12)


@pytest.mark.claim("hallucination_monofact.mle_calibration")
@pytest.mark.parametrize("rule,kw", RULES)
def test_calibration_sanity(rule, kw):
    """(i) The coarsening g' = p^Pi(g) is perfectly calibrated on its level sets (Miscal = 0);
    (ii) the MLE model has HR = 0 exactly and Miscal >= MM (level sets and geometric bins);
    (iii) hallucination_rate of the mixtures is linear in lambda."""
    n_h = 11
    for seed in range(3):
        p, counts = _world(seed)
        lm = good_turing_lm(counts)
        g, pp = _elements(lm, p, counts, n_h)
        bins = _oracle_bins(g, rule, kw)
        avg = {}
        for pi, bi in zip(pp, bins):
            s, c = avg.get(bi, (0.0, 0))
            avg[bi] = (s + pi, c + 1)
        gc = [avg[bi][0] / avg[bi][1] for bi in bins]
        m = len(p)
        obs = counts > 0
        g_u_total = sum(gc[i] for i in range(m) if not obs[i]) + sum(gc[m:])
        g_u = g_u_total / (int(np.sum(~obs)) + n_h)
        # observed facts sharing U's bin must carry bitwise the per-element value the library derives
        # for U (g(U)/|U|), or the level set would split on a rounding error
        g_obs = [g_u if (obs[i] and bins[i] == bins[m]) else gc[i] for i in range(m)]
        coarse = FactLM(np.where(obs, g_obs, 0.0), g_u_total)
        mis0 = float(miscalibration(coarse.g_obs, coarse.g_unseen_total, p, counts, n_h))
        assert mis0 < 1e-12

        mle = mle_lm(counts)
        n_unobs = int(np.sum(~obs))
        assert float(hallucination_rate(mle.g_unseen_total, n_unobs, n_h)) == 0.0
        mm = float(missing_mass(counts, p))
        if rule != "equal_mass":  # an equal-mass bin may merge U with the lightest observed facts
            mis = float(miscalibration(mle.g_obs, mle.g_unseen_total, p, counts, n_h, rule, **kw))
            assert mis >= mm - 1e-12

        hr_gt = float(hallucination_rate(lm.g_unseen_total, n_unobs, n_h))
        for lam in (0.0, 0.25, 0.6, 1.0):
            mix = mixture_lm(lm, mle, lam)
            hr = float(hallucination_rate(mix.g_unseen_total, n_unobs, n_h))
            assert hr == pytest.approx(lam * hr_gt, abs=1e-15)


@pytest.mark.claim("hallucination_monofact.gt_tightness")
def test_good_turing_tightness():
    """Good-Turing model: HR = MF |H| / (|H| + |F ∩ U|) exactly; HR - MF -> 0 as |H|/|F| grows."""
    m = 2000
    gaps = []
    for h_over_f in (1.0, 10.0, 1e2, 1e4, 1e8):
        for seed in range(3):
            p, counts = _world(seed, m=m, n=2000)
            lm = good_turing_lm(counts)
            mf = float(monofact_rate(counts))
            assert float(lm.g_unseen_total) == mf
            n_h = h_over_f * m
            n_unobs = int(np.sum(counts == 0))
            hr = float(hallucination_rate(lm.g_unseen_total, n_unobs, n_h))
            assert abs(hr - mf * n_h / (n_h + n_unobs)) < 1e-12
            assert 0.0 <= mf - hr <= mf * m / n_h + 1e-15
        gaps.append(mf - hr)
    assert all(a > b for a, b in zip(gaps, gaps[1:]))
    assert gaps[-1] < 1e-8


def test_good_turing_lm_closed_form():
    """g sums to 1, g(U) = N1/n, and count classes below c_smooth get (c+1) N_{c+1} / (n N_c)
    up to the common renormalisation (ratios between classes checked against Counter-style sums)."""
    p, counts = _world(3, m=500, n=800)
    lm = good_turing_lm(counts, c_smooth=3)
    n = counts.sum()
    nc = np.bincount(counts)
    assert float(jnp.sum(lm.g_obs) + lm.g_unseen_total) == pytest.approx(1.0, abs=1e-12)
    assert float(lm.g_unseen_total) == pytest.approx(nc[1] / n, abs=1e-15)
    g = np.asarray(lm.g_obs)
    raw = {c: (c + 1) * nc[c + 1] / (n * nc[c]) for c in (1, 2) if nc[c + 1] > 0}
    i1, i2 = np.flatnonzero(counts == 1)[0], np.flatnonzero(counts == 2)[0]
    assert g[i1] / g[i2] == pytest.approx(raw[1] / raw[2], rel=1e-12)
    big = np.flatnonzero(counts >= 3)
    assert np.allclose(g[big] / g[big[0]], counts[big] / counts[big[0]], rtol=1e-12)
    assert np.all(g[counts == 0] == 0)


# ---- derived deterministic inequality ----------------------------------------------------------


@pytest.mark.claim("hallucination_monofact.tradeoff_floor")
def test_tradeoff_floor():
    """[derived] With level sets, HR >= (1 - rho)(MM - Miscal) holds for every sample and model:
    Good-Turing, MLE and mixtures over a grid of worlds, and random models with mass on U."""
    alphas, lams = [0.6, 1.0, 1.6], [0.0, 0.1, 0.5, 0.9, 1.0]
    out = simulate(jax.random.key(5), 300, 300, alphas, 10.0, lams, 0.1, 4)
    floor = (1 - out["rho"][..., None]) * (out["MM"][..., None] - out["Miscal"])
    assert np.all(out["HR"] >= floor - 1e-12)
    assert np.any(floor > 0.05)  # not vacuous

    @jax.jit
    def random_model(key, p, counts):
        k1, k2 = jax.random.split(key)
        w = jax.random.dirichlet(k1, jnp.ones(counts.shape[0])) * (counts > 0)
        g_u = jax.random.uniform(k2)
        lm = FactLM((1 - g_u) * w / jnp.sum(w), g_u)
        n_unobs = jnp.sum(counts == 0)
        hr = hallucination_rate(lm.g_unseen_total, n_unobs, 3000.0)
        mis = miscalibration(lm.g_obs, lm.g_unseen_total, p, counts, 3000.0)
        rho = n_unobs / (n_unobs + 3000.0)
        return hr, hallucination_floor_level_sets(missing_mass(counts, p), mis, rho)

    p, counts = _world(0, m=300, n=300)
    hr, fl = jax.vmap(random_model, (0, None, None))(
        jax.random.split(jax.random.key(6), 64), p, counts
    )
    assert np.all(np.asarray(hr) >= np.asarray(fl) - 1e-12)


@pytest.mark.claim("hallucination_monofact.upweighting")
def test_upweighting_lowers_hr_raises_miscal():
    """Selective upweighting (Miao & Kearns).

    Exact part: the Good-Turing model's HR is non-increasing in the repeated share (N1 can only
    fall and n' only grow), and equals N1'/n' with n' = n (1 + copies frac) when no monofact is
    repeated. Statistical part: repeating 5% of the documents 4 times, Zipf alpha = 1,
    m = n = 2000, the mean paired increase of Miscal over 16 seeds exceeds 4 standard errors
    (one-sided false-failure rate 3e-5 under the CLT if the true increase were 0)."""
    fracs = np.array([0.0, 0.01, 0.05, 0.2])
    out = simulate_upweighting(jax.random.key(11), 2000, 2000, 1.0, 1e4, fracs, 0.1, 16, copies=4)
    hr = out["HR"]
    assert np.all(np.diff(hr, axis=1) <= 1e-15)
    assert np.all(hr[:, 2] < hr[:, 0])
    np.testing.assert_allclose(hr[:, :3], hr[:, :1] / (1 + 4 * fracs[:3]), rtol=1e-12)
    diff = out["Miscal"][:, 2] - out["Miscal"][:, 0]
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert diff.mean() > 4 * se
    # the counts transformation itself
    c = jnp.array([5, 0, 1, 3, 9, 1, 2])
    np.testing.assert_array_equal(np.asarray(upweight_counts(c, 0.5, 1)), [6, 0, 1, 3, 18, 1, 2])
    np.testing.assert_array_equal(np.asarray(upweight_counts(c, 1.0, 2)), 3 * np.asarray(c))
