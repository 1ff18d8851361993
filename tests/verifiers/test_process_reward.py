"""OPRL's step rewards on an exactly solvable tree MDP (arXiv:2509.19199; ``theory/oprl_tree.md``).

Kinds: exact identities (P1-P5 against brute-force enumeration, float64), invariants (hypothesis
over A, H, beta and random policies), statistical claims (Monte Carlo with Bonferroni 4.5-SE
tolerances; the sampled-pairs rate as a fitted log-log slope, ``slow``), API (jit == no-jit,
traced once, validation).
"""

import dataclasses
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unlearnlab.lab.stats import loglog_slope
from unlearnlab.verifiers import (
    OPRLConfig,
    count_outcome,
    dpo_population_loss,
    dpo_sampled_loss,
    expected_return,
    fit_prm,
    implicit_reward,
    node_values,
    oprl_gradient,
    oprl_init,
    oprl_step,
    oprl_train,
    optimal_prm_logits,
    pg_mc_moments,
    pg_moments,
    returns_to_go,
    sample_preference_pairs,
    sample_trajectories,
    soft_values,
    step_rewards,
    traj_logprob,
    tree_index,
)

BETA, KAPPA = 1.0, 0.25


def _tree(A, H, seed, scale=1.0):
    """Index, a random full-support reference policy and a random leaf value vector."""
    rng = np.random.default_rng(seed)
    idx = tree_index(A, H)
    n_int = idx.children.shape[0]
    old = scale * rng.normal(size=(n_int, A))
    R = rng.normal(size=A**H) * 2.0
    return idx, jnp.asarray(old), jnp.asarray(R)


def _paths(A, H):
    return list(itertools.product(range(A), repeat=H))


def _brute_prob(old, idx, A, H):
    """pi(tau) by walking the tree with explicit prefixes (independent of leaf_nodes)."""
    lp = np.asarray(jax.nn.log_softmax(old, axis=-1))
    out = []
    for path in _paths(A, H):
        node, s = 0, 0.0
        for a in path:
            s += lp[node, a]
            node = A * node + 1 + a
        out.append(s)
    return np.exp(np.array(out))


def _shaping_potential(V, idx):
    """Phi on internal nodes = V, Phi(leaf) = 0, gathered along every trajectory: [N, H + 1]."""
    N = idx.leaf_nodes.shape[0]
    return jnp.concatenate([V[idx.leaf_nodes], jnp.zeros((N, 1))], axis=1)


# ----------------------------------------------------------------------------- layout


@pytest.mark.parametrize("A,H", [(2, 1), (2, 3), (3, 2), (3, 4)])
def test_tree_index_layout(A, H):
    """Leaves are base-A numbers of the action sequence; children[s_t, a_t] = s_{t+1}; the last
    child is leaf id n_int + tau; traj_logprob equals an explicit walk down the tree."""
    idx = tree_index(A, H)
    n_int = (A**H - 1) // (A - 1)
    assert idx.children.shape == (n_int, A)
    ln, la, ch = (np.asarray(x) for x in idx)
    for tau, path in enumerate(_paths(A, H)):
        assert tuple(la[tau]) == path
        for t in range(H):
            nxt = ch[ln[tau, t], la[tau, t]]
            assert nxt == (ln[tau, t + 1] if t + 1 < H else n_int + tau)
    _, old, _ = _tree(A, H, 0)
    np.testing.assert_allclose(
        np.exp(traj_logprob(old, idx)), _brute_prob(old, idx, A, H), atol=1e-14
    )


# ----------------------------------------------------------------------------- P1-P4 exact


@pytest.mark.parametrize("A,H,beta", [(2, 3, 0.3), (3, 3, 7.0)])
def test_soft_value_recursion(A, H, beta):
    """V(s) = beta log E_old[exp(R/beta) | s] summed over the leaves below s (1e-12); node_values
    is the plain conditional mean; pi* is normalised (1e-12)."""
    idx, old, R = _tree(A, H, 1)
    V = np.asarray(soft_values(old, R, beta, idx))
    M = np.asarray(node_values(old, R, idx))
    lp = np.asarray(jax.nn.log_softmax(old, axis=-1))
    ln, la = np.asarray(idx.leaf_nodes), np.asarray(idx.leaf_actions)
    Rn = np.asarray(R)
    for t in range(H):
        for s in np.unique(ln[:, t]):
            below = np.where(ln[:, t] == s)[0]
            lq = np.array([lp[ln[j, t:], la[j, t:]].sum() for j in below])  # log pi(suffix)
            assert abs(V[s] - beta * np.log(np.sum(np.exp(lq + Rn[below] / beta)))) < 1e-12
            assert abs(M[s] - np.sum(np.exp(lq) * Rn[below])) < 1e-12
    pstar = np.exp(np.asarray(optimal_prm_logits(old, R, beta, idx)))
    assert np.abs(pstar.sum(1) - 1).max() < 1e-12


@pytest.mark.claim("oprl_tree.shaping_identity")
@settings(max_examples=10)
@given(
    A=st.sampled_from([2, 3]),
    H=st.integers(1, 5),
    beta=st.floats(0.05, 20.0),
    seed=st.integers(0, 2**16),
)
def test_p2_shaping_identity(A, H, beta, seed):
    """P2: at pi*, r(s_t, a_t) = R(tau) 1[t = H-1] + Phi(s_{t+1}) - Phi(s_t), Phi = V on internal
    nodes and 0 on leaves (1e-10); summing gives P3's h* = R - V(root)."""
    idx, old, R = _tree(A, H, seed)
    err_r, err_h = _p2_errors(old, R, beta, idx)
    assert float(err_r) < 1e-10
    assert float(err_h) < 1e-10


@jax.jit
def _p2_errors(old, R, beta, idx):
    V = soft_values(old, R, beta, idx)
    r = step_rewards(optimal_prm_logits(old, R, beta, idx), old, beta, idx)
    Phi = _shaping_potential(V, idx)
    shaped = (Phi[:, 1:] - Phi[:, :-1]).at[:, -1].add(R)
    return jnp.max(jnp.abs(r - shaped)), jnp.max(jnp.abs(r.sum(1) - (R - V[0])))


@jax.jit
def _any_phi_errors(phi, old, beta, idx):
    r = step_rewards(phi, old, beta, idx)
    h = implicit_reward(phi, old, beta, idx)
    Phi_int = soft_values(old, h, beta, idx)
    Phi = _shaping_potential(Phi_int, idx)
    shaped = (Phi[:, 1:] - Phi[:, :-1]).at[:, -1].add(h)
    return jnp.abs(Phi_int[0]), jnp.max(jnp.abs(r - shaped))


@pytest.mark.claim("oprl_tree.shaping_identity")
@settings(max_examples=10)
@given(
    A=st.sampled_from([2, 3]),
    H=st.integers(1, 4),
    beta=st.floats(0.05, 20.0),
    seed=st.integers(0, 2**16),
)
def test_any_phi_is_shaping(A, H, beta, seed):
    """P2 for any phi: r_phi is potential-based shaping of the sparse reward h_phi with
    Phi_phi = soft value of h_phi under pi_old (Phi_phi(root) = 0, Phi(leaf) = 0) (1e-10)."""
    idx, old, _ = _tree(A, H, seed)
    phi = jnp.asarray(np.random.default_rng(seed + 1).normal(size=old.shape) * 2)
    root, err = _any_phi_errors(phi, old, beta, idx)
    assert float(root) < 1e-10
    assert float(err) < 1e-10


@pytest.fixture(scope="module")
def tree34():
    idx = tree_index(3, 4)
    rng = np.random.default_rng(7)
    old = jnp.asarray(0.5 * rng.normal(size=(idx.children.shape[0], 3)))
    r = count_outcome(idx, 0, 3)
    return idx, old, r


@pytest.mark.claim("oprl_tree.population_optimum")
def test_p1_population_optimum(tree34):
    """P1: the closed form h* = R - V(root) is a stationary point (gradient <= 1e-10), its loss is
    the label entropy (the global minimum of a cross-entropy), and Adam from logits_old reaches it
    (max_tau |h - h*| <= 1e-6)."""
    idx, old, r = tree34
    R = r / KAPPA
    V = soft_values(old, R, BETA, idx)
    star = optimal_prm_logits(old, R, BETA, idx)
    loss = lambda x: dpo_population_loss(x, old, r, BETA, KAPPA, idx)  # noqa: E731
    g = jax.grad(loss)(star)
    assert float(jnp.max(jnp.abs(g))) < 1e-10
    p = jnp.exp(traj_logprob(old, idx))
    P12 = jax.nn.sigmoid((r[:, None] - r[None, :]) / KAPPA)
    ent = -(p @ (P12 * jnp.log(P12) + (1 - P12) * jnp.log1p(-P12)) @ p)
    assert abs(float(loss(star) - ent)) < 1e-12
    x, losses = fit_prm(old, loss, 1000, 0.3)
    err = jnp.max(jnp.abs(implicit_reward(x, old, BETA, idx) - (R - V[0])))
    assert float(err) < 1e-6
    assert float(losses[-1]) <= float(losses[0])


@pytest.mark.claim("oprl_tree.population_optimum")
def test_p3_consistency(tree34):
    """P3: sigma(h*(t1) - h*(t2)) = P12 (1e-10); the order of h* is the order of r_o."""
    idx, old, r = tree34
    R = r / KAPPA
    h = implicit_reward(optimal_prm_logits(old, R, BETA, idx), old, BETA, idx)
    d = h[:, None] - h[None, :]
    P12 = jax.nn.sigmoid((r[:, None] - r[None, :]) / KAPPA)
    assert float(jnp.max(jnp.abs(jax.nn.sigmoid(d) - P12))) < 1e-10
    dr = r[:, None] - r[None, :]
    assert bool(jnp.all(jnp.sign(jnp.where(jnp.abs(d) < 1e-9, 0.0, d)) == jnp.sign(dr)))


@pytest.mark.claim("oprl_tree.bounded")
@settings(max_examples=10)
@given(
    A=st.sampled_from([2, 3]),
    H=st.integers(1, 4),
    beta=st.floats(0.05, 20.0),
    seed=st.integers(0, 2**16),
)
def test_p4_bounds(A, H, beta, seed):
    """P4: |r*(s, a)| <= max R - min R and 0 <= V(s) - E_old[R | s] <= (max R - min R)^2/(8 beta)
    (Hoeffding's lemma), with 1e-12 slack."""
    idx, old, R = _tree(A, H, seed, scale=2.0)
    rng = float(R.max() - R.min())
    rmax, gmin, gmax = _p4_terms(old, R, beta, idx)
    assert float(rmax) <= rng + 1e-12
    assert float(gmin) >= -1e-12
    assert float(gmax) <= rng**2 / (8 * beta) + 1e-12


@jax.jit
def _p4_terms(old, R, beta, idx):
    r = step_rewards(optimal_prm_logits(old, R, beta, idx), old, beta, idx)
    gap = soft_values(old, R, beta, idx) - node_values(old, R, idx)
    return jnp.max(jnp.abs(r)), gap.min(), gap.max()


# ----------------------------------------------------------------------------- P5-P6 gradients


def _policy(old, seed):
    return old + jnp.asarray(np.random.default_rng(seed).normal(size=old.shape))


@pytest.mark.claim("oprl_tree.pg_unbiased")
@pytest.mark.parametrize("A,H", [(2, 4), (3, 3)])
def test_p5_unbiased_exact(A, H):
    """P5: G_t = sum_{t'>=t} r* = R - V(s_t), and the exact mean of sum_t score_t G_t under pi_theta
    (theta != old) equals autodiff of J(theta) = E_theta R (1e-10). As beta grows its covariance
    tends to that of the V^{pi_old} baseline, within the P4 bound's order."""
    idx, old, R = _tree(A, H, 3)
    theta = _policy(old, 4)
    G = returns_to_go(step_rewards(optimal_prm_logits(old, R, BETA, idx), old, BETA, idx))
    V = soft_values(old, R, BETA, idx)
    assert float(jnp.max(jnp.abs(G - (R[:, None] - V[idx.leaf_nodes])))) < 1e-10
    mean, cov = pg_moments(theta, G, idx)
    grad = jax.grad(lambda x: expected_return(x, R, idx))(theta)
    assert float(jnp.max(jnp.abs(mean - grad))) < 1e-10
    assert cov.shape == (theta.size, theta.size)
    assert float(jnp.min(jnp.linalg.eigvalsh(cov))) > -1e-10
    # beta -> infinity: the baseline tends to E_old[R | s]
    base = R[:, None] - node_values(old, R, idx)[idx.leaf_nodes]
    tr_inf = float(jnp.trace(pg_moments(theta, base, idx)[1]))
    gaps = []
    for beta in (10.0, 100.0, 1000.0):
        Gb = R[:, None] - soft_values(old, R, beta, idx)[idx.leaf_nodes]
        gaps.append(abs(float(jnp.trace(pg_moments(theta, Gb, idx)[1])) - tr_inf))
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 1e-2 * tr_inf


@pytest.mark.claim("oprl_tree.pg_unbiased")
def test_p5_unbiased_mc(key):
    """P5 by Monte Carlo: the mean of 10^5 single-trajectory estimates lies within 4.5 SE of the
    exact gradient in each of the 30 coordinates (A=2, H=4). Bonferroni: false-failure rate
    <= 30 * 6.8e-6 = 2e-4 (CLT)."""
    idx, old, R = _tree(2, 4, 5)
    theta = _policy(old, 6)
    G = R[:, None] - soft_values(old, R, BETA, idx)[idx.leaf_nodes]
    mean, se, tr = pg_mc_moments(key, theta, G, 100_000, idx)
    exact, cov = pg_moments(theta, G, idx)
    z = jnp.abs(mean - exact) / se
    assert float(z.max()) < 4.5
    # the sample trace of the covariance is consistent with the exact one (10% is > 20 SE here)
    assert abs(float(tr) / float(jnp.trace(cov)) - 1) < 0.1


_grad_batch = jax.jit(
    jax.vmap(oprl_gradient, in_axes=(0, None, None, None, None, None)), static_argnums=(5,)
)


@pytest.mark.claim("oprl_tree.pg_unbiased")
def test_p6_scaling(key):
    """P6: with the optimal PRM relative to the rollout policy, the leave-one-out episode advantage
    plus alpha times the shaped return-to-go has mean (1 + alpha/kappa) grad E r_o. 4.5 SE per
    coordinate over 30 coordinates (A=2, H=4), 40000 groups of G=8: false-failure <= 2e-4."""
    idx, old, _ = _tree(2, 4, 8)
    r = count_outcome(idx, 0, 2)
    theta = _policy(old, 9)
    cfg = OPRLConfig(beta=BETA, kappa=KAPPA, alpha=1.0, outcome_coef=1.0, baseline="loo", G=8)
    prm = optimal_prm_logits(theta, r / cfg.kappa, cfg.beta, idx)
    g = _grad_batch(jax.random.split(key, 40_000), theta, prm, r, idx, cfg)
    m = g.mean(0)
    se = g.std(0, ddof=1) / math.sqrt(g.shape[0])
    target = (1 + cfg.alpha / cfg.kappa) * jax.grad(lambda x: expected_return(x, r, idx))(theta)
    assert float(jnp.max(jnp.abs(m - target) / se)) < 4.5
    # and it is not the unscaled gradient (the scale factor is detectable)
    base = jax.grad(lambda x: expected_return(x, r, idx))(theta)
    assert float(jnp.max(jnp.abs(m - base) / se)) > 10


# ----------------------------------------------------------------------------- sampled pairs rate


@pytest.mark.slow
@pytest.mark.claim("oprl_tree.pairs_rate")
def test_sampled_pairs_rate(key):
    """||h_N - h*||_inf over N in {10^3, ..., 10^5} labelled pairs (A=3, H=4, 8 seeds, Adam 500
    steps from logits_old): fitted log-log slope in [-0.75, -0.25] (parametric rate -1/2; the band
    is the spec's, about 8 standard errors of the fit wide)."""
    idx = tree_index(3, 4)
    old = jnp.zeros((idx.children.shape[0], 3))
    r = count_outcome(idx, 0, 3)
    R = r / KAPPA
    h_star = R - soft_values(old, R, BETA, idx)[0]
    Ns = [1000, 3162, 10_000, 31_623, 100_000]

    def err(k, n):
        pairs, labels = sample_preference_pairs(k, old, r, KAPPA, n, idx)
        x, _ = fit_prm(old, lambda p: dpo_sampled_loss(p, old, pairs, labels, BETA, idx), 500, 0.1)
        return jnp.max(jnp.abs(implicit_reward(x, old, BETA, idx) - h_star))

    keys = jax.random.split(key, 8)
    errs = [np.asarray(jax.jit(jax.vmap(lambda k, n=n: err(k, n)))(keys)) for n in Ns]
    fit = loglog_slope(np.repeat(Ns, 8), np.concatenate(errs))
    assert -0.75 <= fit.slope <= -0.25, fit


# ----------------------------------------------------------------------------- OPRL loop


@pytest.mark.claim("oprl_tree.combination")
def test_oprl_step_consistent(key):
    """One OPRL step: the PRM update lowers the sampled DPO loss of its pairs (checked through
    info.prm_loss against the loss at the initial PRM), info.J is the exact objective of the new
    policy, and the state advances."""
    idx = tree_index(2, 3)
    old = jnp.zeros((idx.children.shape[0], 2))
    r = count_outcome(idx, 0, 2)
    cfg = OPRLConfig(G=16, prm_steps=20, prm_lr=0.1, lr=0.1)
    s0 = oprl_init(old, cfg)
    s1, info = jax.jit(oprl_step, static_argnums=(4,))(key, s0, r, idx, cfg)
    assert int(s1.step) == 1
    assert abs(float(info.J) - float(expected_return(s1.logits, r, idx))) < 1e-12
    assert float(info.prm_loss) < math.log(2) - 1e-3  # the loss at phi = old is log 2
    assert float(jnp.max(jnp.abs(s1.prm_logits - old))) > 0


@pytest.mark.slow
@pytest.mark.claim("oprl_tree.combination")
def test_oprl_train_improves(key):
    """Outcome-only, step-only and OPRL all raise J on a small tree (A=2, H=3, 2 seeds, 40
    iterations): final J exceeds the uniform policy's J by 0.2 in every seed."""
    idx = tree_index(2, 3)
    old = jnp.zeros((idx.children.shape[0], 2))
    r = count_outcome(idx, 0, 3)
    J0 = float(expected_return(old, r, idx))
    base = OPRLConfig(G=16, prm_steps=5, lr=0.08, steps=40)
    for cfg in (
        dataclasses.replace(base, alpha=0.0),
        dataclasses.replace(base, outcome_coef=0.0),
        base,
    ):
        _, info = jax.vmap(lambda k, c=cfg: oprl_train(k, old, r, idx, c))(jax.random.split(key, 2))
        assert np.all(np.asarray(info.J[:, -1]) > J0 + 0.2), cfg


# ----------------------------------------------------------------------------- API


def _entry_points(idx, old, R, r, key):
    phi = old + 0.3
    G = jnp.ones(idx.leaf_nodes.shape)
    pairs, labels = sample_preference_pairs(key, old, r, KAPPA, 5, idx)
    cfg = OPRLConfig(G=4, prm_steps=2, steps=2)
    st0 = oprl_init(old, cfg)
    return {
        "traj_logprob": (lambda o: traj_logprob(o, idx), (old,)),
        "expected_return": (lambda o, v: expected_return(o, v, idx), (old, r)),
        "node_values": (lambda o, v: node_values(o, v, idx), (old, R)),
        "soft_values": (lambda o, v: soft_values(o, v, BETA, idx), (old, R)),
        "optimal_prm_logits": (lambda o, v: optimal_prm_logits(o, v, BETA, idx), (old, R)),
        "step_rewards": (lambda p, o: step_rewards(p, o, BETA, idx), (phi, old)),
        "implicit_reward": (lambda p, o: implicit_reward(p, o, BETA, idx), (phi, old)),
        "returns_to_go": (returns_to_go, (G,)),
        "dpo_population_loss": (
            lambda p, o: dpo_population_loss(p, o, r, BETA, KAPPA, idx),
            (phi, old),
        ),
        "sample_preference_pairs": (
            lambda k, o: sample_preference_pairs(k, o, r, KAPPA, 5, idx),
            (key, old),
        ),
        "dpo_sampled_loss": (
            lambda p, o: dpo_sampled_loss(p, o, pairs, labels, BETA, idx),
            (phi, old),
        ),
        "sample_trajectories": (lambda k, o: sample_trajectories(k, o, 7, idx), (key, old)),
        "fit_prm": (lambda o: fit_prm(o, lambda x: jnp.sum((x - 1.0) ** 2), 5, 0.1), (old,)),
        "pg_moments": (lambda o, g: pg_moments(o, g, idx), (old, G)),
        "pg_mc_moments": (lambda k, o: pg_mc_moments(k, o, G, 50, idx), (key, old)),
        "oprl_gradient": (lambda k, o: oprl_gradient(k, o, phi, r, idx, cfg), (key, old)),
        "oprl_step": (lambda k, s: oprl_step(k, s, r, idx, cfg), (key, st0)),
        "oprl_train": (lambda k, o: oprl_train(k, o, r, idx, cfg), (key, old)),
    }


ENTRY = [
    "traj_logprob",
    "expected_return",
    "node_values",
    "soft_values",
    "optimal_prm_logits",
    "step_rewards",
    "implicit_reward",
    "returns_to_go",
    "dpo_population_loss",
    "sample_preference_pairs",
    "dpo_sampled_loss",
    "sample_trajectories",
    "fit_prm",
    "pg_moments",
    "pg_mc_moments",
    "oprl_gradient",
    "oprl_step",
    "oprl_train",
]


@pytest.fixture(scope="module")
def small():
    idx, old, R = _tree(2, 3, 11)
    return idx, old, R, count_outcome(idx, 0, 2)


@pytest.mark.parametrize("name", ENTRY)
def test_jit_matches_eager(small, key, name):
    """Every public entry point gives the same result under jit (1e-12)."""
    fn, args = _entry_points(*small, key)[name]
    a, b = fn(*args), jax.jit(fn)(*args)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=1e-12, rtol=1e-12)


def test_traced_once(small):
    """Jitted soft values / PRM / DPO loss trace once for new values of the same shapes."""
    idx, old, R, r = small
    n = []

    def f(o, v, b):
        n.append(1)
        return dpo_population_loss(optimal_prm_logits(o, v, b, idx), o, v, b, KAPPA, idx)

    jf = jax.jit(f)
    jf(old, R, 1.0)
    jf(old + 1.0, R * 2, 3.0)
    assert len(n) == 1


def test_validation():
    """Bad sizes and parameters raise ValueError naming the argument."""
    idx = tree_index(2, 2)
    old = jnp.zeros((3, 2))
    r = jnp.ones(4)
    with pytest.raises(ValueError, match="`A`"):
        tree_index(1, 3)
    with pytest.raises(ValueError, match="`H`"):
        tree_index(2, 0)
    with pytest.raises(ValueError, match="`A`\\*\\*`H`"):
        tree_index(2, 17)
    with pytest.raises(ValueError, match="`beta`"):
        soft_values(old, r, 0.0, idx)
    with pytest.raises(ValueError, match="`kappa`"):
        dpo_population_loss(old, old, r, 1.0, -1.0, idx)
    with pytest.raises(ValueError, match="`r_outcome`"):
        expected_return(old, jnp.ones(5), idx)
    with pytest.raises(ValueError, match="`r_outcome`"):
        expected_return(old, jnp.array([1.0, np.nan, 0.0, 0.0]), idx)
    with pytest.raises(ValueError, match="`logits`"):
        traj_logprob(jnp.zeros((3, 3)), idx)
    with pytest.raises(ValueError, match="`idx`"):
        traj_logprob(old, (1, 2, 3))
    for kw in ({"beta": 0.0}, {"kappa": -1.0}, {"G": 1}, {"baseline": "x"}, {"lr": 0.0}):
        with pytest.raises(ValueError, match=f"`{next(iter(kw))}`"):
            OPRLConfig(**kw)


def test_sampler_matches_traj_logprob(key):
    """Ancestral sampling draws leaves with probability pi(tau): Pearson chi-square over the 27
    leaves of a random policy (A=3, H=3), 2e5 draws, rejected at p < 1e-4 (false-failure 1e-4)."""
    from scipy.stats import chisquare

    idx = tree_index(3, 3)
    logits = jax.random.normal(jax.random.fold_in(key, 1), (idx.children.shape[0], 3))
    x = np.asarray(sample_trajectories(key, logits, 200_000, idx))
    p = np.exp(np.asarray(traj_logprob(logits, idx)))
    counts = np.bincount(x, minlength=p.size)
    assert counts.size == p.size
    assert chisquare(counts, p * x.size).pvalue > 1e-4
