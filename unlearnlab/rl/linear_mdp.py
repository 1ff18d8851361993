"""Linear MDPs as pytrees of arrays, instance constructors, policies, offline and online data.

A finite linear MDP (Jin, Yang, Wang, Jordan 2020) on ``S`` states, ``A`` actions, horizon ``H``:

    P_h(s' | s, a) = <phi_h(s, a), mu_h(s')>,     E[r_h(s, a)] = <phi_h(s, a), theta_h>,

with ``||phi|| <= 1``. A tabular MDP is the case ``phi_h(s, a) = e_{(s, a)}``. The start state is
drawn from the *known* distribution ``rho0`` (``theory/ftpedel.md`` §2).

Symbol -> argument: ``phi`` -> ``mdp.phi [H, S, A, d]``, ``mu_h`` -> ``mdp.mu [H, d, S]``,
``theta_h`` -> ``mdp.theta [H, d]``, start distribution -> ``mdp.rho0 [S]``,
``Lambda_off,h`` -> :func:`offline_cov`.

Exact identities and large counts need ``jax_enable_x64``; the library never enables it.
"""

from __future__ import annotations

import itertools
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab import checks
from unlearnlab.rl import sampling

__all__ = [
    "LinearMDP",
    "OfflineData",
    "transition",
    "mean_reward",
    "validate_mdp",
    "validate_pis",
    "validate_offline",
    "enumerate_policies",
    "policy_probs",
    "empty_offline",
    "make_offline_data",
    "behavior_counts",
    "offline_cov",
    "covariate_cov",
    "sample_step_data",
    "rare_context",
    "rare_context_offline_counts",
    "separation_bandit",
    "random_small_tabular",
    "soft_aggregation_mdp",
]

_REWARD_NOISE = ("bernoulli", "gaussian")


class LinearMDP(NamedTuple):
    """An episodic linear MDP with finitely many states (a pytree of arrays).

    Attributes:
      phi: ``[H, S, A, d]`` features, ``||phi[h, s, a]|| <= 1``.
      mu: ``[H, d, S]`` with ``P_h(s'|s, a) = phi[h, s, a] @ mu[h, :, s']`` (``mu[H-1]`` is only used
        by the simulator and must still give distributions).
      theta: ``[H, d]``, mean reward ``phi[h, s, a] @ theta[h]`` in ``[0, 1]``.
      rho0: ``[S]`` known start distribution.
    """

    phi: jax.Array
    mu: jax.Array
    theta: jax.Array
    rho0: jax.Array


class OfflineData(NamedTuple):
    """Sufficient statistics of an offline dataset of step-indexed transitions (fixed shapes).

    Fields:
      counts: ``[H, S, A, S]`` number of offline transitions ``(s_h, a_h) -> s_{h+1}`` (float).
      rsum: ``[H, S, A]`` sum of their rewards.
    """

    counts: jax.Array
    rsum: jax.Array


def transition(mdp: LinearMDP) -> jax.Array:
    """``P[h, s, a, s'] = <phi_h(s, a), mu_h(s')>``, shape ``[H, S, A, S]``.

    Raises:
      ValueError: if ``mdp`` is malformed (``validate_mdp``; skipped when traced).
    """
    validate_mdp(mdp)
    return jnp.einsum("hsad,hdt->hsat", mdp.phi, mdp.mu)


def mean_reward(mdp: LinearMDP) -> jax.Array:
    """``r[h, s, a] = <phi_h(s, a), theta_h>``, shape ``[H, S, A]``.

    Raises:
      ValueError: if ``mdp`` is malformed (``validate_mdp``; skipped when traced).
    """
    validate_mdp(mdp)
    return jnp.einsum("hsad,hd->hsa", mdp.phi, mdp.theta)


def validate_mdp(mdp: LinearMDP, name: str = "mdp") -> LinearMDP:
    """Check shapes, finiteness, ``||phi|| <= 1``, distributions and rewards in ``[0, 1]``.

    Raises ``ValueError`` naming the field and the rule. Skipped for traced values.
    """
    if not isinstance(mdp, LinearMDP):
        raise ValueError(f"`{name}` must be a LinearMDP; got {type(mdp).__name__}.")
    if any(checks.is_traced(x) for x in mdp):
        return mdp
    checks.check_array(f"{name}.phi", mdp.phi, ndim=4)
    H, S, A, d = np.shape(mdp.phi)
    checks.check_array(f"{name}.mu", mdp.mu, ndim=3)
    checks.check_shape(f"{name}.mu", mdp.mu, (H, d, S))
    checks.check_array(f"{name}.theta", mdp.theta, ndim=2)
    checks.check_shape(f"{name}.theta", mdp.theta, (H, d))
    checks.check_array(f"{name}.rho0", mdp.rho0, ndim=1)
    checks.check_shape(f"{name}.rho0", mdp.rho0, (S,))
    norms = np.linalg.norm(np.asarray(mdp.phi, float), axis=-1)
    if np.any(norms > 1 + 1e-9):
        raise ValueError(f"`{name}.phi` must have norm <= 1; max norm is {norms.max():.6g}.")
    P = np.einsum("hsad,hdt->hsat", np.asarray(mdp.phi, float), np.asarray(mdp.mu, float))
    if np.any(P < -1e-9) or not np.allclose(P.sum(-1), 1.0, atol=1e-9):
        raise ValueError(
            f"`{name}`: rows of phi @ mu must be distributions over next states "
            "(non-negative, summing to 1 within 1e-9)."
        )
    r = np.einsum("hsad,hd->hsa", np.asarray(mdp.phi, float), np.asarray(mdp.theta, float))
    if np.any(r < -1e-9) or np.any(r > 1 + 1e-9):
        raise ValueError(f"`{name}`: mean rewards phi @ theta must lie in [0, 1].")
    checks.check_probability_vector(f"{name}.rho0", mdp.rho0, atol=1e-9)
    return mdp


def validate_pis(pis, mdp: LinearMDP, name: str = "pis"):
    """``pis`` must be integers in ``[0, A)`` of shape ``[n_pi, H, S]``."""
    if checks.is_traced(pis):
        return pis
    H, S, A, _ = np.shape(mdp.phi)
    arr = np.asarray(pis)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"`{name}` must hold integer actions; got dtype {arr.dtype}.")
    checks.check_shape(name, arr, (None, H, S))
    if arr.shape[0] < 1:
        raise ValueError(f"`{name}` must hold at least one policy.")
    if np.any(arr < 0) or np.any(arr >= A):
        raise ValueError(f"`{name}` must hold actions in [0, {A}).")
    return pis


def validate_offline(offline: OfflineData, mdp: LinearMDP, name: str = "offline"):
    """Offline counts ``[H, S, A, S]`` and reward sums ``[H, S, A]``, counts non-negative."""
    if not isinstance(offline, OfflineData):
        raise ValueError(f"`{name}` must be an OfflineData; got {type(offline).__name__}.")
    if any(checks.is_traced(x) for x in offline):
        return offline
    H, S, A, _ = np.shape(mdp.phi)
    checks.check_array(f"{name}.counts", offline.counts)
    checks.check_shape(f"{name}.counts", offline.counts, (H, S, A, S))
    checks.check_array(f"{name}.rsum", offline.rsum)
    checks.check_shape(f"{name}.rsum", offline.rsum, (H, S, A))
    if np.any(np.asarray(offline.counts) < 0):
        raise ValueError(f"`{name}.counts` must be non-negative.")
    return offline


def validate_policy(pi, mdp: LinearMDP, name: str = "pi"):
    """One policy: ``[H, S]`` integer actions in ``[0, A)`` or ``[H, S, A]`` probabilities."""
    if checks.is_traced(pi):
        return pi
    H, S, A, _ = np.shape(mdp.phi)
    arr = np.asarray(pi)
    if arr.dtype.kind in "iu":
        checks.check_shape(name, arr, (H, S))
        checks.check_index(name, arr, A)
    elif arr.dtype.kind == "f":
        checks.check_shape(name, arr, (H, S, A))
        checks.check_probability_vector(name, arr, atol=1e-6)
    else:
        raise ValueError(f"`{name}` must hold integer actions or probabilities; got {arr.dtype}.")
    return pi


def validate_step(h, H: int, name: str = "h", *, hi: int | None = None) -> int:
    """A step index ``0 <= h < hi`` (default ``hi = H``), a Python/NumPy integer."""
    return checks.check_int(name, h, min_value=0, max_value=(H if hi is None else hi) - 1)


def validate_count(name: str, n):
    """A finite count ``n >= 0`` (an integer-valued scalar; skipped when traced)."""
    if checks.is_traced(n):
        return n
    checks.check_nonnegative(name, n)
    if float(np.asarray(n)) != np.round(float(np.asarray(n))):
        raise ValueError(f"`{name}` must be integer-valued; got {n!r}.")
    return n


def policy_probs(pi, A: int) -> jax.Array:
    """Deterministic ``[H, S]`` int policy -> ``[H, S, A]`` probabilities (identity on probabilities)."""
    pi = jnp.asarray(pi)
    if jnp.issubdtype(pi.dtype, jnp.integer):
        return jax.nn.one_hot(pi, A)
    return pi


def enumerate_policies(mdp: LinearMDP) -> np.ndarray:
    """All deterministic policies on the reachable ``(h, s)`` pairs, ``[n_pi, H, S]`` int.

    Unreachable pairs get action 0, so no two returned policies have the same visitations for
    reasons of unreachable states. Computed on the host (concrete ``mdp``); ``n_pi <= A^{#reachable}``.

    Raises:
      ValueError: if ``mdp`` is malformed or has more than 100,000 deterministic policies.
    """
    validate_mdp(mdp)
    P = np.asarray(transition(mdp), float)
    H, S, A, _ = P.shape
    reach = np.zeros((H, S), bool)
    reach[0] = np.asarray(mdp.rho0) > 0
    for h in range(H - 1):
        nxt = P[h][reach[h]].reshape(-1, S).max(axis=0) if reach[h].any() else np.zeros(S)
        reach[h + 1] = nxt > 0
    pairs = [(h, s) for h in range(H) for s in range(S) if reach[h, s]]
    if A ** len(pairs) > 100_000:
        raise ValueError(
            f"`mdp` has {A}^{len(pairs)} deterministic policies; too many to enumerate."
        )
    out = []
    for acts in itertools.product(range(A), repeat=len(pairs)):
        pi = np.zeros((H, S), np.int32)
        for (h, s), a in zip(pairs, acts):
            pi[h, s] = a
        out.append(pi)
    return np.stack(out)


def empty_offline(mdp: LinearMDP) -> OfflineData:
    """An offline dataset with no transitions (FTPedel then equals Pedel).

    Raises:
      ValueError: if ``mdp`` is malformed.
    """
    validate_mdp(mdp)
    H, S, A, _ = mdp.phi.shape
    dt = mdp.phi.dtype
    return OfflineData(jnp.zeros((H, S, A, S), dt), jnp.zeros((H, S, A), dt))


def _reward_sums(key, n, r, reward_noise):
    if reward_noise == "bernoulli":
        return sampling.binomial(key, n, jnp.clip(r, 0.0, 1.0)).astype(r.dtype)
    return n * r + jnp.sqrt(n) * jax.random.normal(key, r.shape, r.dtype)


def _check_noise(reward_noise):
    if reward_noise not in _REWARD_NOISE:
        raise ValueError(f"`reward_noise` must be one of {_REWARD_NOISE}; got {reward_noise!r}.")


def make_offline_data(key, mdp: LinearMDP, n_sa, reward_noise: str = "bernoulli") -> OfflineData:
    """Offline data on arbitrary covariates: ``n_sa[h, s, a]`` transitions from each ``(h, s, a)``.

    Given the covariates, ``s' ~ P_h(.|s, a)`` (multinomial counts) and rewards are Bernoulli with
    mean ``r_h(s, a)`` or unit-variance Gaussian, independently (``theory/ftpedel.md`` §2.4).

    Args:
      key: PRNG key.
      mdp: the instance.
      n_sa: ``[H, S, A]`` non-negative covariate counts.
      reward_noise: ``"bernoulli"`` or ``"gaussian"``.
    Returns:
      :class:`OfflineData`.
    Raises:
      ValueError: if ``mdp`` is malformed, ``n_sa`` is not finite non-negative ``[H, S, A]`` or
        ``reward_noise`` is unknown.
    """
    _check_noise(reward_noise)
    validate_mdp(mdp)
    H, S, A, _ = mdp.phi.shape
    if not checks.is_traced(n_sa):
        checks.check_array("n_sa", n_sa, ndim=3)
        checks.check_shape("n_sa", n_sa, (H, S, A))
        if np.any(np.asarray(n_sa) < 0):
            raise ValueError("`n_sa` must be non-negative.")
    n_sa = jnp.asarray(n_sa, mdp.phi.dtype)
    P = transition(mdp)
    k1, k2 = jax.random.split(key)
    flat_n = n_sa.reshape(-1)
    flat_p = jnp.clip(P.reshape(-1, S), 0.0, None)
    keys = jax.random.split(k1, flat_n.shape[0])
    counts = jax.vmap(lambda k, n, p: sampling.multinomial(k, n, p / p.sum()))(keys, flat_n, flat_p)
    rsum = _reward_sums(k2, n_sa, mean_reward(mdp), reward_noise)
    return OfflineData(counts.reshape(H, S, A, S).astype(mdp.phi.dtype), rsum)


def behavior_counts(key, behavior_occ, n) -> jax.Array:
    """Covariate counts ``n_sa ~ Multinomial(n, behavior_occ)`` for each step, ``[H, S, A]``.

    ``behavior_occ[h]`` is a distribution over ``(s, a)`` (e.g. a logging policy's occupancy).

    Raises:
      ValueError: if ``behavior_occ`` is not ``[H, S, A]`` with each step a distribution, or ``n``
        is not a finite integer-valued count ``>= 0``.
    """
    checks.check_array("behavior_occ", behavior_occ, ndim=3)
    checks.check_nonempty("behavior_occ", behavior_occ)
    if not checks.is_traced(behavior_occ):
        occ = np.asarray(behavior_occ)
        if occ.size == 0:
            raise ValueError(f"`behavior_occ` must be non-empty; got shape {occ.shape}.")
        checks.check_probability_vector("behavior_occ", occ.reshape(occ.shape[0], -1), atol=1e-6)
    validate_count("n", n)
    # one compiled program per shape (op by op, a dozen programs)
    return _behavior_counts(key, jnp.asarray(behavior_occ), n)


@jax.jit
def _behavior_counts(key, behavior_occ, n):
    H, S, A = behavior_occ.shape
    keys = jax.random.split(key, H)
    p = behavior_occ.reshape(H, -1)
    c = jax.vmap(lambda k, q: sampling.multinomial(k, n, q / q.sum()))(keys, p)
    return c.reshape(H, S, A)


def offline_cov(mdp: LinearMDP, data: OfflineData) -> jax.Array:
    """Unnormalised offline covariance ``Lambda_off,h = sum_tau phi(s_h, a_h) phi(s_h, a_h)^T``.

    Args:
      mdp: the instance (only ``phi`` is read).
      data: :class:`OfflineData`.
    Returns:
      ``[H, d, d]``.
    References: ``theory/ftpedel.md`` §2.4 (spec §2.4; [recalled] from the paper's setting).
    """
    validate_mdp(mdp)
    validate_offline(data, mdp, "data")
    n_sa = data.counts.sum(-1)
    return jnp.einsum("hsa,hsad,hsae->hde", n_sa, mdp.phi, mdp.phi)


def covariate_cov(mdp: LinearMDP, n_sa) -> jax.Array:
    r"""Covariance of given covariate counts: :math:`\Lambda_h = \sum_{s,a} n_h(s,a)\,\phi_h(s,a)\phi_h(s,a)^\top`.

    :func:`offline_cov` of a dataset whose step-``h`` covariates ``(s, a)`` occur ``n_sa[h, s, a]``
    times (counts need not be integers: expected counts give the expected covariance, e.g.
    :func:`rare_context_offline_counts`).

    Args:
      mdp: the instance (only ``phi`` is read), ``phi`` of shape ``[H, S, A, d]``.
      n_sa: ``[H, S, A]`` non-negative finite counts.
    Returns:
      ``[H, d, d]``.
    Raises:
      ValueError: if ``mdp`` is malformed or ``n_sa`` has another shape, a negative or a non-finite
        entry.
    References: ``theory/ftpedel.md`` §2.4 (the offline covariance).
    """
    validate_mdp(mdp)
    H, S, A, _ = np.shape(mdp.phi)
    checks.check_array("n_sa", n_sa, ndim=3)
    checks.check_shape("n_sa", n_sa, (H, S, A))
    if not checks.is_traced(n_sa) and np.any(np.asarray(n_sa) < 0):
        raise ValueError("`n_sa` must be non-negative.")
    phi = jnp.asarray(mdp.phi)
    return jnp.einsum("hsa,hsad,hsae->hde", jnp.asarray(n_sa, phi.dtype), phi, phi)


def sample_step_data(key, mdp: LinearMDP, h, occ_h, T, reward_noise: str = "bernoulli"):
    """Step-``h`` data of ``T`` fresh episodes whose step-``h`` occupancy is ``occ_h [S, A]``.

    Exact and loop-free: counts ``N[s, a, s'] ~ Multinomial(T, occ_h(s, a) P_h(s'|s, a))`` and reward
    sums from :func:`make_offline_data`'s noise model. ``T`` may be traced (a float count).

    Returns:
      ``(counts [S, A, S], rsum [S, A])``.

    Raises:
      ValueError: if ``mdp`` is malformed, ``h`` not in ``[0, H)``, ``occ_h`` not an ``[S, A]``
        distribution, ``T`` not a finite count ``>= 0`` or ``reward_noise`` unknown.
    """
    _check_noise(reward_noise)
    validate_mdp(mdp)
    H, S_, A_, _ = np.shape(mdp.phi)
    if not checks.is_traced(h):
        validate_step(h, H)
    checks.check_array("occ_h", occ_h, ndim=2)
    checks.check_shape("occ_h", occ_h, (S_, A_))
    if not checks.is_traced(occ_h):
        checks.check_probability_vector("occ_h", np.asarray(occ_h).reshape(-1), atol=1e-6)
    validate_count("T", T)
    # one compiled program per (shape, reward_noise); ``h`` is traced, so every step shares it
    return _sample_step_data(key, mdp, h, jnp.asarray(occ_h), T, reward_noise)


@partial(jax.jit, static_argnums=5)
def _sample_step_data(key, mdp, h, occ_h, T, reward_noise):
    S, A = occ_h.shape
    P_h = jnp.einsum("sad,dt->sat", mdp.phi[h], mdp.mu[h])
    joint = jnp.clip(occ_h[:, :, None] * P_h, 0.0, None).reshape(-1)
    joint = joint / joint.sum()
    k1, k2 = jax.random.split(key)
    counts = sampling.multinomial(k1, T, joint).reshape(S, A, S).astype(occ_h.dtype)
    r = jnp.einsum("sad,d->sa", mdp.phi[h], mdp.theta[h])
    rsum = _reward_sums(k2, counts.sum(-1), r, reward_noise)
    return counts, rsum


# ----------------------------------------------------------------------------- instances


def _one_hot_mdp(H, S, A, P, r, rho0) -> LinearMDP:
    d = S * A
    phi = np.zeros((H, S, A, d))
    for s in range(S):
        for a in range(A):
            phi[:, s, a, s * A + a] = 1.0
    mu = np.asarray(P, float).reshape(H, d, S)
    theta = np.asarray(r, float).reshape(H, d)
    return LinearMDP(*(jnp.asarray(x) for x in (phi, mu, theta, rho0)))


def rare_context(p: float, *, dummy_step: bool = False) -> LinearMDP:
    """The rare-context instance of ``theory/ftpedel.md`` §3.4 (the lab's own construction).

    ``H = 1``, ``d = 4`` one-hot features; context E (probability ``1 - p``) has actions
    ``a_1 -> e_1``, ``a_2 -> e_2``; the rare context R (probability ``p``) has ``a_1 -> e_3``,
    ``a_2 -> e_4``; mean rewards ``theta = (0.9, 0.4, 0.9, 0.4)``. With ``dummy_step=True`` a first
    step from a fixed start state with feature ``e_1`` for both actions and zero reward leads to the
    contexts (``H = 2``, states ``(start, E, R)``, ``d = 4``, known step-1 feature ``e_1``).
    """
    checks.check_probability("p", p, open_interval=True)
    th = np.array([0.9, 0.4, 0.9, 0.4])
    if not dummy_step:
        phi = np.zeros((1, 2, 2, 4))
        phi[0, 0, 0, 0] = phi[0, 0, 1, 1] = phi[0, 1, 0, 2] = phi[0, 1, 1, 3] = 1.0
        mu = np.zeros((1, 4, 2))
        mu[0, :, 0] = 1.0  # unused by the algorithm; any valid next-state law
        return LinearMDP(*(jnp.asarray(x) for x in (phi, mu, th[None], np.array([1 - p, p]))))
    # states: 0 = start, 1 = E, 2 = R; d = 4; step 1 uses feature e_1 for both actions
    phi = np.zeros((2, 3, 2, 4))
    phi[0, :, :, 0] = 1.0
    phi[1, 1, 0, 0] = phi[1, 1, 1, 1] = phi[1, 2, 0, 2] = phi[1, 2, 1, 3] = 1.0
    phi[1, 0, :, 0] = 1.0  # the start state is unreachable at step 2; any valid feature
    mu = np.zeros((2, 4, 3))
    mu[0, 0, 1], mu[0, 0, 2] = 1 - p, p
    mu[0, 1:, 1] = 1.0
    mu[1, :, 0] = 1.0
    theta = np.zeros((2, 4))
    theta[1] = th
    return LinearMDP(*(jnp.asarray(x) for x in (phi, mu, theta, np.array([1.0, 0, 0]))))


def rare_context_offline_counts(N, *, dummy_step: bool = False) -> np.ndarray:
    """Offline covariate counts for :func:`rare_context`: ``N`` each on ``e_1, e_3, e_4``, none on ``e_2``.

    With ``dummy_step=True`` step 1 gets ``3N`` samples (one per step-2 sample).

    Raises:
      ValueError: if ``N`` is negative or not finite.
    """
    checks.check_nonnegative("N", N)
    if not dummy_step:
        n = np.zeros((1, 2, 2))
        n[0, 0, 0] = n[0, 1, 0] = n[0, 1, 1] = N
        return n
    n = np.zeros((2, 3, 2))
    n[0, 0, 0] = 3 * N
    n[1, 1, 0] = n[1, 2, 0] = n[1, 2, 1] = N
    return n


def separation_bandit(d: int, Delta: float) -> LinearMDP:
    """``H = 1``, one state, ``d`` arms ``e_i``; ``theta_1 = 1/2 + Delta``, ``theta_i = 1/2`` (§3.5)."""
    checks.check_int("d", d, min_value=2)
    checks.check_in_range("Delta", Delta, 0.0, 0.5, lo_open=True)
    phi = np.eye(d)[None, None]  # [1, 1, d, d]
    mu = np.ones((1, d, 1))
    theta = np.full((1, d), 0.5)
    theta[0, 0] += Delta
    return LinearMDP(*(jnp.asarray(x) for x in (phi, mu, theta, np.ones(1))))


def random_small_tabular(key, S: int, A: int, H: int) -> LinearMDP:
    """A tabular MDP with full-support transitions (Dirichlet(1)), Bernoulli means ``U(0, 1)``.

    Raises:
      ValueError: if ``S``, ``A`` or ``H`` is not an integer ``>= 1``.
    """
    for nm, v in (("S", S), ("A", A), ("H", H)):
        checks.check_int(nm, v, min_value=1)
    k1, k2 = jax.random.split(key)
    P = jax.random.dirichlet(k1, jnp.ones(S), (H, S, A))
    r = jax.random.uniform(k2, (H, S, A))
    rho0 = np.zeros(S)
    rho0[0] = 1.0
    return _one_hot_mdp(H, S, A, np.asarray(P), np.asarray(r), rho0)


def soft_aggregation_mdp(key, S: int, A: int, H: int, d: int) -> LinearMDP:
    """A non-tabular linear MDP: ``phi(s, a)`` a distribution over ``d`` latent states (norm <= 1),
    ``mu_h[i]`` a distribution over next states, ``theta_h`` in ``[0, 1]^d``.

    Raises:
      ValueError: if ``S``, ``A``, ``H`` or ``d`` is not an integer ``>= 1``.
    """
    for nm, v in (("S", S), ("A", A), ("H", H), ("d", d)):
        checks.check_int(nm, v, min_value=1)
    k1, k2, k3 = jax.random.split(key, 3)
    phi = jax.random.dirichlet(k1, jnp.ones(d), (H, S, A))
    mu = jax.random.dirichlet(k2, jnp.ones(S), (H, d))
    theta = jax.random.uniform(k3, (H, d))
    rho0 = jnp.zeros(S).at[0].set(1.0)
    return LinearMDP(phi, mu, theta, rho0)
