r"""Online process reward learning (OPRL) on an exactly solvable token-level tree MDP.

Paper: Liu, Wang, Wu, Huang, Li, Zhang, Jiao, *Online Process Reward Learning for Agentic
Reinforcement Learning*, arXiv:2509.19199. An implicit process reward model (PRM) :math:`\pi_\phi`
is trained with a trajectory-level DPO loss on preference pairs drawn from the current policy; its
log-ratio to the policy snapshot :math:`\pi_{old}` is the step reward

.. math::

    r_\phi(s_t, a_t) = \beta \,[\log \pi_\phi(a_t \mid s_t) - \log \pi_{old}(a_t \mid s_t)],

and step-level advantages built from it are added to episode-level (group) advantages of the
outcome reward. On a deterministic tree with ``A`` actions and horizon ``H`` every state is an
action prefix, every trajectory a leaf, and every statement (the DPO optimum, the shaping identity,
the bounds, the policy-gradient moments) is a finite sum (``theory/oprl_tree.md``).

Tree layout: internal nodes are the prefixes of length ``0..H-1`` in BFS order
(``n_int = (A**H - 1)/(A - 1)``); the children of node ``n`` are ``A n + 1 + a``; node ids
``>= n_int`` are leaves, leaf ``tau = id - n_int`` being the trajectory whose base-``A`` digits
(most significant first) are its actions.

Symbols -> arguments: :math:`\pi_{old}` -> ``logits_old``; :math:`\pi_\phi` -> ``logits_phi``;
:math:`\pi_\theta` -> ``logits``; :math:`r_o` -> ``r_outcome``; :math:`R = r_o/\kappa` -> ``R``;
:math:`\beta` -> ``beta``; :math:`\kappa` -> ``kappa`` (Bradley-Terry temperature of the
preference labels); :math:`\alpha` -> ``cfg.alpha`` (weight of the step advantages).

The propositions P1-P6 proved in ``theory/oprl_tree.md`` are the lab's reading [derived] of the
abstract's claim that the learned step rewards are consistent with trajectory preferences, act as
potential-based shaping rewards and keep gradients bounded; the combination rule of P6 is a
[reconstruction].

References:
  arXiv:2509.19199 (OPRL). Rafailov et al. 2023 (DPO), arXiv:2305.18290. Ng, Harada, Russell 1999
  (potential-based shaping). Williams 1992 (REINFORCE).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from unlearnlab.lab.checks import (
    check_array,
    check_choice,
    check_index,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    check_shape,
    check_tree_finite,
)
from unlearnlab.verifiers.policy_gradient import BASELINES, _advantages

__all__ = [
    "MAX_LEAVES",
    "TreeIndex",
    "OPRLConfig",
    "OPRLState",
    "OPRLInfo",
    "tree_index",
    "count_outcome",
    "traj_logprob",
    "sample_trajectories",
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
    "fit_prm",
    "pg_moments",
    "pg_mc_moments",
    "oprl_gradient",
    "oprl_init",
    "oprl_step",
    "oprl_train",
]

#: the largest number of leaves ``A**H`` accepted by :func:`tree_index`
MAX_LEAVES = 2**16


class TreeIndex(NamedTuple):
    """Index arrays of the complete ``A``-ary tree of depth ``H`` (a pytree of int32 arrays)."""

    leaf_nodes: jax.Array  # [A**H, H] internal node visited at step t by trajectory tau
    leaf_actions: jax.Array  # [A**H, H] action a_t of trajectory tau
    children: jax.Array  # [n_int, A] node id of s.a (ids >= n_int are leaves)


# --------------------------------------------------------------------------- validation


def _dims(idx: TreeIndex) -> tuple[int, int, int, int]:
    """``(A, H, n_leaves, n_int)`` from the static shapes of ``idx``."""
    N, H = np.shape(idx.leaf_nodes)
    n_int, A = np.shape(idx.children)
    return A, H, N, n_int


def _check_idx(idx) -> TreeIndex:
    if not isinstance(idx, TreeIndex):
        raise ValueError(f"`idx` must be a TreeIndex (from tree_index); got {type(idx).__name__}.")
    if np.ndim(idx.leaf_nodes) != 2 or np.ndim(idx.children) != 2:
        raise ValueError("`idx` is malformed: leaf_nodes and children must be 2-D.")
    A, H, N, n_int = _dims(idx)
    if A < 2 or H < 1 or N != A**H or n_int != (N - 1) // (A - 1):
        raise ValueError(f"`idx` is malformed: shapes {np.shape(idx.leaf_nodes)}, {(n_int, A)}.")
    if np.shape(idx.leaf_actions) != (N, H):
        raise ValueError("`idx` is malformed: leaf_actions must match leaf_nodes.")
    return idx


def _check_logits(name, logits, idx):
    A, _, _, n_int = _dims(idx)
    check_array(name, logits, ndim=2)
    check_shape(name, logits, (n_int, A))
    return jnp.asarray(logits)


def _check_leaf_vector(name, r, idx):
    _, _, N, _ = _dims(idx)
    check_array(name, r, ndim=1)
    check_shape(name, r, (N,))
    return jnp.asarray(r)


# --------------------------------------------------------------------------- tree calculus


def tree_index(A: int, H: int) -> TreeIndex:
    r"""Index arrays of the token-level tree MDP with ``A`` actions and horizon ``H``.

    Trajectory :math:`\tau \in [A]^H` is leaf number
    :math:`\sum_t a_t A^{H-1-t}`; the node visited at step :math:`t` is the prefix
    :math:`(a_0, \dots, a_{t-1})`, with BFS id
    :math:`(A^t - 1)/(A - 1) + \lfloor \tau / A^{H-t} \rfloor`.

    Args:
      A: number of actions, ``>= 2``.
      H: horizon, ``>= 1``, with ``A**H <= MAX_LEAVES``.

    Returns:
      :class:`TreeIndex` with ``leaf_nodes``, ``leaf_actions`` ``[A**H, H]`` and ``children``
      ``[n_int, A]``.

    Raises:
      ValueError: if ``A < 2``, ``H < 1`` or ``A**H > MAX_LEAVES``.

    References:
      The tree MDP is the lab's analyzable setting (``theory/oprl_tree.md``, Sec. 1).
    """
    A = check_int("A", A, min_value=2)
    H = check_int("H", H, min_value=1)
    if A**H > MAX_LEAVES:
        raise ValueError(f"`A`**`H` must be <= {MAX_LEAVES}; got A={A}, H={H} ({A**H} leaves).")
    N = A**H
    n_int = (N - 1) // (A - 1)
    tau = np.arange(N)
    t = np.arange(H)
    offset = (A**t - 1) // (A - 1)
    leaf_nodes = offset[None, :] + tau[:, None] // (A ** (H - t))[None, :]
    leaf_actions = (tau[:, None] // (A ** (H - 1 - t))[None, :]) % A
    children = A * np.arange(n_int)[:, None] + 1 + np.arange(A)[None, :]
    return TreeIndex(
        jnp.asarray(leaf_nodes, jnp.int32),
        jnp.asarray(leaf_actions, jnp.int32),
        jnp.asarray(children, jnp.int32),
    )


def count_outcome(idx: TreeIndex, action: int = 0, min_count: int = 4):
    r"""Sparse outcome reward :math:`r_o(\tau) = 1[\#\{t : a_t = \text{action}\} \ge \text{min\_count}]`.

    Args:
      idx: :class:`TreeIndex`.
      action: the counted action, in ``[0, A)``.
      min_count: threshold, in ``[0, H]``.

    Returns:
      ``[A**H]`` float 0/1 vector.

    Raises:
      ValueError: if ``action`` or ``min_count`` is out of range.

    References:
      Spec default (``theory/oprl_tree.md``, Sec. 1): about 10% of leaves for A=3, H=6, count 4.
    """
    _check_idx(idx)
    A, H, _, _ = _dims(idx)
    check_int("action", action, min_value=0, max_value=A - 1)
    check_int("min_count", min_count, min_value=0, max_value=H)
    n = jnp.sum(idx.leaf_actions == action, axis=1)
    return (n >= min_count).astype(jnp.result_type(float))


def _logp(logits):
    return jax.nn.log_softmax(logits, axis=-1)


def _traj_logprob(logits, idx):
    return jnp.sum(_logp(logits)[idx.leaf_nodes, idx.leaf_actions], axis=1)


def traj_logprob(logits, idx: TreeIndex):
    r"""Trajectory log-probabilities :math:`\log \pi(\tau) = \sum_t \log \pi(a_t \mid s_t)`.

    Args:
      logits: ``[n_int, A]`` tabular softmax logits (one row per internal node).
      idx: :class:`TreeIndex`.

    Returns:
      ``[A**H]``.

    Raises:
      ValueError: if ``logits`` has the wrong shape or is not finite.

    References:
      ``theory/oprl_tree.md``, Sec. 1.
    """
    _check_idx(idx)
    return _traj_logprob(_check_logits("logits", logits, idx), idx)


def _sample(key, logits, n, idx):
    # ancestral sampling down the tree: H categorical draws over A actions, O(n H A) memory (a
    # categorical over the A**H leaves would hold an [n, A**H] Gumbel array)
    n_int, A = logits.shape
    H = idx.leaf_nodes.shape[1]

    def step(node, k):
        a = jax.random.categorical(k, logits[node], axis=-1)
        return (A * node + 1 + a).astype(node.dtype), None

    node, _ = jax.lax.scan(step, jnp.zeros((n,), idx.children.dtype), jax.random.split(key, H))
    return node - n_int


def sample_trajectories(key, logits, n: int, idx: TreeIndex):
    r"""Draw ``n`` i.i.d. trajectories (leaf numbers) :math:`\tau_i \sim \pi`.

    Args:
      key: PRNG key.
      logits: ``[n_int, A]``.
      n: number of draws (static).
      idx: :class:`TreeIndex`.

    Returns:
      ``[n]`` int leaf numbers in ``[0, A**H)``.

    Raises:
      ValueError: if ``n < 1`` or ``logits`` is malformed.

    References:
      ``theory/oprl_tree.md``, Sec. 1.
    """
    _check_idx(idx)
    n = check_int("n", n, min_value=1)
    return _sample(key, _check_logits("logits", logits, idx), n, idx)


def _expected_return(logits, r, idx):
    return jnp.exp(_traj_logprob(logits, idx)) @ r


def expected_return(logits, r_outcome, idx: TreeIndex):
    r"""Exact objective :math:`J(\pi) = \sum_\tau \pi(\tau)\, r(\tau)` by enumeration.

    Args:
      logits: ``[n_int, A]``.
      r_outcome: ``[A**H]`` outcome reward.
      idx: :class:`TreeIndex`.

    Returns:
      scalar.

    Raises:
      ValueError: on malformed ``logits`` or ``r_outcome``.

    References:
      ``theory/oprl_tree.md``, Sec. 1.
    """
    _check_idx(idx)
    logits = _check_logits("logits", logits, idx)
    return _expected_return(logits, _check_leaf_vector("r_outcome", r_outcome, idx), idx)


def _levels(idx):
    """Python list of ``(start, stop)`` BFS ranges of depths ``0..H-1``."""
    A, H, _, _ = _dims(idx)
    off = [(A**t - 1) // (A - 1) for t in range(H + 1)]
    return [(off[t], off[t + 1]) for t in range(H)]


def _backup(logits, r, combine, idx):
    """Backward recursion over depths; ``combine(logp [m, A], child values [m, A]) -> [m]``."""
    A, H, _, _ = _dims(idx)
    lp = _logp(logits)
    v = r
    out = []
    for t0, t1 in reversed(_levels(idx)):
        v = combine(lp[t0:t1], v.reshape(t1 - t0, A))
        out.append(v)
    return jnp.concatenate(out[::-1])


def _node_values(logits, r, idx):
    return _backup(logits, r, lambda lp, v: jnp.sum(jnp.exp(lp) * v, axis=1), idx)


def _soft_values(logits_old, R, beta, idx):
    def comb(lp, v):
        return beta * jax.nn.logsumexp(lp + v / beta, axis=1)

    return _backup(logits_old, R, comb, idx)


def node_values(logits, r_outcome, idx: TreeIndex):
    r"""Conditional expectations :math:`E_\pi[r(\tau) \mid s]` at every internal node.

    The :math:`\beta \to \infty` limit of :func:`soft_values`; the classical state baseline
    :math:`V^{\pi}(s)`.

    Args:
      logits: ``[n_int, A]``.
      r_outcome: ``[A**H]``.
      idx: :class:`TreeIndex`.

    Returns:
      ``[n_int]``.

    Raises:
      ValueError: on malformed ``logits`` or ``r_outcome``.

    References:
      ``theory/oprl_tree.md``, P4-P5.
    """
    _check_idx(idx)
    logits = _check_logits("logits", logits, idx)
    return _node_values(logits, _check_leaf_vector("r_outcome", r_outcome, idx), idx)


def soft_values(logits_old, R, beta, idx: TreeIndex):
    r"""Soft values :math:`V(s) = \beta \log E_{\pi_{old}}[e^{R(\tau)/\beta} \mid s]`.

    Computed by the recursion

    .. math::

        V(s) = \beta \log \sum_a \pi_{old}(a \mid s)\, e^{V(s \cdot a)/\beta}, \qquad
        V(\text{leaf}) = R(\text{leaf}).

    Args:
      logits_old: ``[n_int, A]`` reference policy :math:`\pi_{old}`.
      R: ``[A**H]`` leaf values (the scaled outcome :math:`r_o/\kappa`, or any :math:`h_\phi`).
      beta: :math:`\beta > 0`.
      idx: :class:`TreeIndex`.

    Returns:
      ``[n_int]`` internal-node values (BFS order).

    Raises:
      ValueError: on malformed ``logits_old`` or ``R``, or ``beta <= 0``.

    References:
      ``theory/oprl_tree.md``, Sec. 2 [derived].
    """
    _check_idx(idx)
    logits_old = _check_logits("logits_old", logits_old, idx)
    R = _check_leaf_vector("R", R, idx)
    check_positive("beta", beta)
    return _soft_values(logits_old, R, beta, idx)


def _optimal_prm_logits(logits_old, R, beta, idx):
    V = _soft_values(logits_old, R, beta, idx)
    V_all = jnp.concatenate([V, R])
    return _logp(logits_old) + (V_all[idx.children] - V[:, None]) / beta


def optimal_prm_logits(logits_old, R, beta, idx: TreeIndex):
    r"""Log-probabilities of the soft-optimal PRM :math:`\pi^*` (the population DPO optimum, P1).

    .. math::

        \log \pi^*(a \mid s) = \log \pi_{old}(a \mid s) + (V(s \cdot a) - V(s))/\beta,

    with :math:`V` from :func:`soft_values`. Each row is normalised.

    Args:
      logits_old: ``[n_int, A]``.
      R: ``[A**H]`` scaled outcome :math:`r_o/\kappa`.
      beta: :math:`\beta > 0`.
      idx: :class:`TreeIndex`.

    Returns:
      ``[n_int, A]`` normalised log-probabilities (valid logits).

    Raises:
      ValueError: on malformed ``logits_old`` or ``R``, or ``beta <= 0``.

    References:
      ``theory/oprl_tree.md``, P1 [derived].
    """
    _check_idx(idx)
    logits_old = _check_logits("logits_old", logits_old, idx)
    R = _check_leaf_vector("R", R, idx)
    check_positive("beta", beta)
    return _optimal_prm_logits(logits_old, R, beta, idx)


def _step_rewards(logits_phi, logits_old, beta, idx):
    d = beta * (_logp(logits_phi) - _logp(logits_old))
    return d[idx.leaf_nodes, idx.leaf_actions]


def step_rewards(logits_phi, logits_old, beta, idx: TreeIndex):
    r"""Implicit step rewards :math:`r_\phi(s_t, a_t) = \beta \log \pi_\phi(a_t|s_t)/\pi_{old}(a_t|s_t)`.

    Args:
      logits_phi: ``[n_int, A]`` PRM.
      logits_old: ``[n_int, A]`` reference policy.
      beta: :math:`\beta > 0`.
      idx: :class:`TreeIndex`.

    Returns:
      ``[A**H, H]``: entry ``[tau, t]`` is the reward of step ``t`` of trajectory ``tau``.

    Raises:
      ValueError: on malformed logits or ``beta <= 0``.

    References:
      arXiv:2509.19199 (implicit step reward, as quoted by secondary summaries); P2 [derived].
    """
    _check_idx(idx)
    lp = _check_logits("logits_phi", logits_phi, idx)
    lo = _check_logits("logits_old", logits_old, idx)
    check_positive("beta", beta)
    return _step_rewards(lp, lo, beta, idx)


def _implicit_reward(logits_phi, logits_old, beta, idx):
    return beta * (_traj_logprob(logits_phi, idx) - _traj_logprob(logits_old, idx))


def implicit_reward(logits_phi, logits_old, beta, idx: TreeIndex):
    r"""Trajectory implicit reward :math:`h_\phi(\tau) = \sum_t r_\phi(s_t, a_t)`.

    Args:
      logits_phi, logits_old: ``[n_int, A]``.
      beta: :math:`\beta > 0`.
      idx: :class:`TreeIndex`.

    Returns:
      ``[A**H]``.

    Raises:
      ValueError: on malformed logits or ``beta <= 0``.

    References:
      DPO's implicit reward (arXiv:2305.18290); ``theory/oprl_tree.md``, P1.
    """
    _check_idx(idx)
    lp = _check_logits("logits_phi", logits_phi, idx)
    lo = _check_logits("logits_old", logits_old, idx)
    check_positive("beta", beta)
    return _implicit_reward(lp, lo, beta, idx)


def _returns_to_go(rewards):
    return jnp.flip(jnp.cumsum(jnp.flip(rewards, -1), -1), -1)


def returns_to_go(rewards):
    r"""Undiscounted returns-to-go :math:`G_t = \sum_{t' \ge t} r_{t'}` along the last axis.

    Args:
      rewards: ``[..., H]`` step rewards.

    Returns:
      ``[..., H]``.

    Raises:
      ValueError: if ``rewards`` is a scalar, empty or not finite.

    References:
      ``theory/oprl_tree.md``, P5.
    """
    check_array("rewards", rewards)
    if np.ndim(rewards) < 1 or np.shape(rewards)[-1] == 0 or np.size(rewards) == 0:
        raise ValueError(f"`rewards` must have a non-empty last axis; got {np.shape(rewards)}.")
    return _returns_to_go(jnp.asarray(rewards))


# --------------------------------------------------------------------------- DPO


def _log_sig_pair(d, p):
    return p * jax.nn.log_sigmoid(d) + (1 - p) * jax.nn.log_sigmoid(-d)


def _dpo_population_loss(logits_phi, logits_old, r_outcome, beta, kappa, idx):
    lp_old = _traj_logprob(logits_old, idx)
    h = beta * (_traj_logprob(logits_phi, idx) - lp_old)
    p = jnp.exp(lp_old)
    P12 = jax.nn.sigmoid((r_outcome[:, None] - r_outcome[None, :]) / kappa)
    d = h[:, None] - h[None, :]
    return -(p @ _log_sig_pair(d, P12) @ p)


# one compiled program per shape for the public call (op by op it is ~20 programs); losses that are
# differentiated or fitted trace the plain function
_dpo_population_loss_jit = jax.jit(_dpo_population_loss)


def dpo_population_loss(logits_phi, logits_old, r_outcome, beta, kappa, idx: TreeIndex):
    r"""Population trajectory-DPO loss under Bradley-Terry labels.

    .. math::

        \ell(\phi) = -\sum_{\tau_1, \tau_2} \pi_{old}(\tau_1)\pi_{old}(\tau_2)
        \big[P_{12} \log\sigma(h_\phi(\tau_1) - h_\phi(\tau_2))
        + (1 - P_{12}) \log\sigma(h_\phi(\tau_2) - h_\phi(\tau_1))\big],

    with :math:`P_{12} = \sigma((r_o(\tau_1) - r_o(\tau_2))/\kappa)` and
    :math:`h_\phi = \beta \log \pi_\phi/\pi_{old}`. Cost: an ``[A**H, A**H]`` array.

    Args:
      logits_phi: ``[n_int, A]`` PRM.
      logits_old: ``[n_int, A]`` reference policy (also the sampling policy of the pairs).
      r_outcome: ``[A**H]`` outcome reward :math:`r_o`.
      beta: :math:`\beta > 0`.
      kappa: :math:`\kappa > 0`.
      idx: :class:`TreeIndex`.

    Returns:
      scalar loss.

    Raises:
      ValueError: on malformed logits or ``r_outcome``, ``beta <= 0`` or ``kappa <= 0``.

    References:
      arXiv:2509.19199 (J_PRM, as quoted by secondary summaries); P1 [derived].
    """
    _check_idx(idx)
    lp = _check_logits("logits_phi", logits_phi, idx)
    lo = _check_logits("logits_old", logits_old, idx)
    r = _check_leaf_vector("r_outcome", r_outcome, idx)
    check_positive("beta", beta)
    check_positive("kappa", kappa)
    return _dpo_population_loss_jit(lp, lo, r, beta, kappa, idx)


def _sample_pairs(key, logits_old, r_outcome, kappa, n_pairs, idx):
    k1, k2 = jax.random.split(key)
    pairs = _sample(k1, logits_old, 2 * n_pairs, idx).reshape(n_pairs, 2)
    p12 = jax.nn.sigmoid((r_outcome[pairs[:, 0]] - r_outcome[pairs[:, 1]]) / kappa)
    labels = jax.random.bernoulli(k2, p12).astype(r_outcome.dtype)
    return pairs, labels


def sample_preference_pairs(key, logits_old, r_outcome, kappa, n_pairs: int, idx: TreeIndex):
    r"""Draw ``n_pairs`` labelled pairs :math:`(\tau_1, \tau_2) \sim \pi_{old}^{\otimes 2}`.

    The label is 1 (":math:`\tau_1 \succ \tau_2`") with probability
    :math:`\sigma((r_o(\tau_1) - r_o(\tau_2))/\kappa)`.

    Args:
      key: PRNG key.
      logits_old: ``[n_int, A]``.
      r_outcome: ``[A**H]``.
      kappa: :math:`\kappa > 0`.
      n_pairs: number of pairs (static), ``>= 1``.
      idx: :class:`TreeIndex`.

    Returns:
      ``(pairs, labels)``: ``[n_pairs, 2]`` int leaf numbers and ``[n_pairs]`` 0/1 floats.

    Raises:
      ValueError: on malformed inputs, ``kappa <= 0`` or ``n_pairs < 1``.

    References:
      ``theory/oprl_tree.md``, Sec. 1 (the kappa -> 0 limit is OPRL's deterministic ranking).
    """
    _check_idx(idx)
    lo = _check_logits("logits_old", logits_old, idx)
    r = _check_leaf_vector("r_outcome", r_outcome, idx)
    check_positive("kappa", kappa)
    n_pairs = check_int("n_pairs", n_pairs, min_value=1)
    return _sample_pairs(key, lo, r, kappa, n_pairs, idx)


def _dpo_sampled_loss(logits_phi, logits_old, pairs, labels, beta, idx):
    h = _implicit_reward(logits_phi, logits_old, beta, idx)
    d = h[pairs[..., 0]] - h[pairs[..., 1]]
    return -jnp.mean(_log_sig_pair(d, labels))


def dpo_sampled_loss(logits_phi, logits_old, pairs, labels, beta, idx: TreeIndex):
    r"""Empirical trajectory-DPO loss on labelled pairs.

    .. math::

        \hat\ell(\phi) = -\frac{1}{N} \sum_i \big[y_i \log\sigma(h_\phi(\tau_{i1}) - h_\phi(\tau_{i2}))
        + (1 - y_i) \log\sigma(h_\phi(\tau_{i2}) - h_\phi(\tau_{i1}))\big].

    Args:
      logits_phi, logits_old: ``[n_int, A]``.
      pairs: ``[N, 2]`` int leaf numbers in ``[0, A**H)``.
      labels: ``[N]`` in ``[0, 1]`` (1: first trajectory preferred; soft labels allowed).
      beta: :math:`\beta > 0`.
      idx: :class:`TreeIndex`.

    Returns:
      scalar loss.

    Raises:
      ValueError: on malformed logits, out-of-range ``pairs``, ``labels`` outside ``[0, 1]`` or of
        the wrong length, or ``beta <= 0``.

    References:
      arXiv:2509.19199 (J_PRM, secondary); Rafailov et al. 2023, Eq. 7.
    """
    _check_idx(idx)
    _, _, N, _ = _dims(idx)
    lp = _check_logits("logits_phi", logits_phi, idx)
    lo = _check_logits("logits_old", logits_old, idx)
    check_index("pairs", pairs, N, ndim=2)
    check_shape("pairs", pairs, (None, 2))
    if np.shape(pairs)[0] == 0:
        raise ValueError("`pairs` must hold at least one pair.")
    check_array("labels", labels, ndim=1)
    check_shape("labels", labels, (np.shape(pairs)[0],))
    check_probability("labels", labels)
    check_positive("beta", beta)
    return _dpo_sampled_loss(lp, lo, jnp.asarray(pairs), jnp.asarray(labels), beta, idx)


def _fit(logits0, loss_fn, steps, lr):
    opt = optax.adam(optax.cosine_decay_schedule(lr, steps, alpha=1e-3))

    def body(carry, _):
        x, s = carry
        loss, g = jax.value_and_grad(loss_fn)(x)
        u, s = opt.update(g, s, x)
        return (optax.apply_updates(x, u), s), loss

    (x, _), losses = jax.lax.scan(body, (logits0, opt.init(logits0)), None, length=steps)
    return x, losses


def fit_prm(logits0, loss_fn: Callable, steps: int, lr: float):
    r"""Minimise ``loss_fn`` over PRM logits with optax Adam inside ``lax.scan``.

    .. math::

        \phi_{k+1} = \phi_k - \mathrm{Adam}_{\eta_k}(\nabla \ell(\phi_k)), \qquad
        \eta_k = \text{lr}\,\big(10^{-3} + (1 - 10^{-3})\tfrac{1 + \cos(\pi k/\text{steps})}{2}\big).

    The cosine decay of the step size lets Adam settle at the optimum (with a constant step size
    it hovers at a distance of the order of the step size; ``theory/oprl_tree.md``, P1).

    Args:
      logits0: ``[n_int, A]`` starting logits (e.g. ``logits_old``).
      loss_fn: ``loss_fn(logits) -> scalar`` (e.g. a closure over :func:`dpo_population_loss`).
      steps: number of Adam steps (static), ``>= 1``.
      lr: Adam learning rate, ``> 0``.

    Returns:
      ``(logits, losses)``: the final logits and the ``[steps]`` loss before each step.

    Raises:
      ValueError: if ``logits0`` is not a finite non-empty 2-D array, ``loss_fn`` is not callable,
        ``steps < 1`` or ``lr <= 0``.

    References:
      ``theory/oprl_tree.md``, P1 (the population optimum is reached by Adam).
    """
    check_array("logits0", logits0, ndim=2)
    if np.size(logits0) == 0:
        raise ValueError("`logits0` must be non-empty.")
    if not callable(loss_fn):
        raise ValueError("`loss_fn` must be callable.")
    steps = check_int("steps", steps, min_value=1)
    check_positive("lr", lr)
    return _fit(jnp.asarray(logits0), loss_fn, steps, lr)


# --------------------------------------------------------------------------- policy gradients


def _score_terms(logits, G, idx):
    """Per-trajectory estimator :math:`\\hat g(\\tau) = \\sum_t G_t (e_{a_t} - \\pi(\\cdot|s_t))`
    scattered into row :math:`s_t`: ``[A**H, n_int, A]``."""
    A, _, N, n_int = _dims(idx)
    pi = jax.nn.softmax(logits, axis=-1)
    sc = jax.nn.one_hot(idx.leaf_actions, A, dtype=pi.dtype) - pi[idx.leaf_nodes]  # [N, H, A]
    z = jnp.zeros((N, n_int, A), pi.dtype)
    return z.at[jnp.arange(N)[:, None], idx.leaf_nodes].add(G[..., None] * sc)


def _pg_moments(logits, G, idx):
    _, _, N, n_int = _dims(idx)
    p = jnp.exp(_traj_logprob(logits, idx))
    g = _score_terms(logits, G, idx).reshape(N, -1)
    mean = p @ g
    c = g - mean
    cov = (c * p[:, None]).T @ c
    return mean.reshape(n_int, -1), cov


def _check_rtg(returns_to_go, idx):
    _, H, N, _ = _dims(idx)
    check_array("returns_to_go", returns_to_go, ndim=2)
    check_shape("returns_to_go", returns_to_go, (N, H))
    return jnp.asarray(returns_to_go)


def pg_moments(logits, returns_to_go, idx: TreeIndex):
    r"""Exact mean and covariance of :math:`\hat g = \sum_t \nabla_\theta \log\pi_\theta(a_t|s_t)\, G_t`.

    One trajectory :math:`\tau \sim \pi_\theta`; :math:`G_t = G(\tau, t)` given for every
    trajectory. For tabular softmax the score of step :math:`t` is
    :math:`e_{a_t} - \pi_\theta(\cdot \mid s_t)` in row :math:`s_t`. Enumerates all ``A**H``
    trajectories (cost ``A**H * n_int * A``).

    Args:
      logits: ``[n_int, A]`` policy :math:`\pi_\theta`.
      returns_to_go: ``[A**H, H]`` weights :math:`G_t(\tau)` (e.g. :func:`returns_to_go` of
        :func:`step_rewards`).
      idx: :class:`TreeIndex`.

    Returns:
      ``(mean, cov)``: ``[n_int, A]`` and ``[n_int * A, n_int * A]`` (row-major flattening).

    Raises:
      ValueError: on malformed ``logits`` or ``returns_to_go``.

    References:
      ``theory/oprl_tree.md``, P5 [derived]; Williams 1992.
    """
    _check_idx(idx)
    logits = _check_logits("logits", logits, idx)
    return _pg_moments(logits, _check_rtg(returns_to_go, idx), idx)


@partial(jax.jit, static_argnums=3)
def _pg_mc_moments(key, logits, G, n_samples, idx):
    _, _, N, n_int = _dims(idx)
    leaves = _sample(key, logits, n_samples, idx)
    w = jnp.zeros(N, logits.dtype).at[leaves].add(1.0) / n_samples
    g = _score_terms(logits, G, idx).reshape(N, -1)
    m1 = w @ g
    m2 = w @ (g * g)
    var = (m2 - m1**2) * n_samples / (n_samples - 1)
    se = jnp.sqrt(jnp.maximum(var, 0.0) / n_samples)
    return m1.reshape(n_int, -1), se.reshape(n_int, -1), jnp.sum(var)


def pg_mc_moments(key, logits, returns_to_go, n_samples: int, idx: TreeIndex):
    r"""Monte Carlo mean, standard errors and :math:`\mathrm{tr}\,\mathrm{Cov}` of :math:`\hat g`.

    Draws ``n_samples`` i.i.d. trajectories from :math:`\pi_\theta` and averages the
    single-trajectory estimator of :func:`pg_moments` (unbiased sample variance).

    Args:
      key: PRNG key.
      logits: ``[n_int, A]``.
      returns_to_go: ``[A**H, H]``.
      n_samples: number of trajectories (static), ``>= 2``.
      idx: :class:`TreeIndex`.

    Returns:
      ``(mean, se, trace_cov)``: ``[n_int, A]``, ``[n_int, A]`` (standard error of each mean
      coordinate) and a scalar.

    Raises:
      ValueError: on malformed inputs or ``n_samples < 2``.

    References:
      ``theory/oprl_tree.md``, P5.
    """
    _check_idx(idx)
    logits = _check_logits("logits", logits, idx)
    G = _check_rtg(returns_to_go, idx)
    n_samples = check_int("n_samples", n_samples, min_value=2)
    # one compiled program per (shape, n_samples) (op by op, ~30 programs)
    return _pg_mc_moments(key, logits, G, int(n_samples), idx)


@dataclasses.dataclass(frozen=True)
class OPRLConfig:
    """OPRL configuration (Python scalars; static under jit).

    The advantage of step ``t`` of rollout ``i`` is
    ``A_t = outcome_coef * A^E_i + alpha * G_t`` with ``A^E`` the episode-level advantage of the
    outcome reward (``baseline`` of :mod:`unlearnlab.verifiers.policy_gradient`: ``"none"``,
    ``"loo"`` leave-one-out, ``"grpo"`` group-normalised) and ``G_t`` the return-to-go of the
    learned step rewards.

    Attributes:
      beta: PRM temperature :math:`\\beta > 0`.
      kappa: Bradley-Terry temperature of the preference labels, ``> 0``.
      alpha: weight of the step advantages (0: outcome only).
      outcome_coef: weight of the episode-level advantages (0: step only).
      baseline: ``"none" | "loo" | "grpo"``.
      G: rollouts per iteration (group size; every unordered pair of the group is labelled).
      prm_steps: Adam steps of the PRM per iteration.
      prm_lr: PRM learning rate.
      lr: policy learning rate.
      optimizer: policy optimiser, ``"adam" | "sgd"``.
      steps: policy iterations of :func:`oprl_train`.
    """

    beta: float = 1.0
    kappa: float = 0.25
    alpha: float = 1.0
    outcome_coef: float = 1.0
    baseline: str = "grpo"
    G: int = 64
    prm_steps: int = 10
    prm_lr: float = 0.05
    lr: float = 0.01
    optimizer: str = "adam"
    steps: int = 200

    def __post_init__(self):
        check_positive("beta", self.beta)
        check_positive("kappa", self.kappa)
        check_nonnegative("alpha", self.alpha)
        check_nonnegative("outcome_coef", self.outcome_coef)
        check_choice("baseline", self.baseline, BASELINES)
        check_int("G", self.G, min_value=2)
        check_int("prm_steps", self.prm_steps, min_value=0)
        check_positive("prm_lr", self.prm_lr)
        check_positive("lr", self.lr)
        check_choice("optimizer", self.optimizer, ("adam", "sgd"))
        check_int("steps", self.steps, min_value=1)


class OPRLState(NamedTuple):
    """State of online process reward learning on the tree MDP (:func:`oprl_init`, :func:`oprl_step`).

    Attributes:
      logits: ``[n_int, A]`` policy theta
      prm_logits: ``[n_int, A]`` PRM phi
      opt_state: policy optimiser state
      prm_opt_state: PRM Adam state
      step: ``[]`` int
    """

    logits: jax.Array  # [n_int, A] policy theta
    prm_logits: jax.Array  # [n_int, A] PRM phi
    opt_state: optax.OptState  # policy optimiser state
    prm_opt_state: optax.OptState  # PRM Adam state
    step: jax.Array  # [] int


class OPRLInfo(NamedTuple):
    """Diagnostics of one OPRL iteration (:func:`oprl_step`).

    Attributes:
      J: ``[]`` exact E_pi[r_o] after the policy update
      prm_loss: ``[]`` sampled DPO loss after the PRM update
      h_err: ``[]`` ``max_tau |h_phi - (R - V(root))| against this iteration's reference``
      grad_norm: ``[]`` norm of the policy-gradient estimate
      success: ``[]`` mean outcome of the iteration's rollouts
    """

    J: jax.Array  # [] exact E_pi[r_o] after the policy update
    prm_loss: jax.Array  # [] sampled DPO loss after the PRM update
    h_err: jax.Array  # [] max_tau |h_phi - (R - V(root))| against this iteration's reference
    grad_norm: jax.Array  # [] norm of the policy-gradient estimate
    success: jax.Array  # [] mean outcome of the iteration's rollouts


def _policy_opt(cfg):
    return optax.adam(cfg.lr) if cfg.optimizer == "adam" else optax.sgd(cfg.lr)


def _group_grad(logits, leaves, prm_logits, r_outcome, cfg, idx):
    """Group average of :math:`\\sum_t A_t (e_{a_t} - \\pi(\\cdot|s_t))` (rows :math:`s_t`)."""
    A = logits.shape[1]
    AE = _advantages(
        r_outcome[leaves], cfg.baseline
    )  # [G]: the verifiers' episode-level estimators
    step_r = _step_rewards(prm_logits, logits, cfg.beta, idx)[leaves]  # [G, H]
    adv = cfg.outcome_coef * AE[:, None] + cfg.alpha * _returns_to_go(step_r)  # [G, H]
    nodes = idx.leaf_nodes[leaves]
    pi = jax.nn.softmax(logits, axis=-1)
    sc = jax.nn.one_hot(idx.leaf_actions[leaves], A, dtype=pi.dtype) - pi[nodes]
    g = jnp.zeros_like(logits).at[nodes].add(adv[..., None] * sc)
    return g / leaves.shape[0]


def oprl_gradient(key, logits, prm_logits, r_outcome, idx: TreeIndex, cfg: OPRLConfig):
    r"""One OPRL policy-gradient estimate from ``cfg.G`` rollouts of :math:`\pi_\theta`.

    .. math::

        \hat g = \frac{1}{G} \sum_{i=1}^{G} \sum_t
        \big(c_E A^E_i + \alpha\, G^\phi_{i,t}\big)\, \nabla_\theta \log \pi_\theta(a_{i,t} \mid s_{i,t}),

    with :math:`G^\phi_t = \sum_{t' \ge t} r_\phi(s_{t'}, a_{t'})`, step rewards relative to the
    rollout policy (:math:`\pi_{old} = \pi_\theta`), and :math:`A^E` the episode-level advantage of
    :math:`r_o` (``cfg.baseline``, via :mod:`unlearnlab.verifiers.policy_gradient`). With the
    leave-one-out baseline and :math:`\phi = \pi^*`, :math:`E\hat g = (c_E + \alpha/\kappa)\nabla J`
    (P6).

    Args:
      key: PRNG key.
      logits: ``[n_int, A]`` policy.
      prm_logits: ``[n_int, A]`` PRM.
      r_outcome: ``[A**H]``.
      idx: :class:`TreeIndex`.
      cfg: :class:`OPRLConfig` (``beta``, ``alpha``, ``outcome_coef``, ``baseline``, ``G``).

    Returns:
      ``[n_int, A]`` ascent direction.

    Raises:
      ValueError: on malformed logits or ``r_outcome``.

    References:
      arXiv:2509.19199 (step- and episode-level advantages combined); P6 [reconstruction].
    """
    _check_idx(idx)
    logits = _check_logits("logits", logits, idx)
    prm_logits = _check_logits("prm_logits", prm_logits, idx)
    r = _check_leaf_vector("r_outcome", r_outcome, idx)
    # one compiled program per (shape, cfg) (op by op, ~40 programs)
    return _oprl_gradient(key, logits, prm_logits, r, idx, cfg)


@partial(jax.jit, static_argnums=5)
def _oprl_gradient(key, logits, prm_logits, r, idx, cfg):
    leaves = _sample(key, logits, cfg.G, idx)
    return _group_grad(logits, leaves, prm_logits, r, cfg, idx)


def oprl_init(logits0, cfg: OPRLConfig) -> OPRLState:
    """Initial state: policy and PRM both start at ``logits0`` ``[n_int, A]`` (PRM initialised
    from the policy [reconstruction]); fresh optimiser states.

    Raises:
      ValueError: if ``logits0`` is not a finite 2-D array.
    """
    check_array("logits0", logits0, ndim=2)
    if np.size(logits0) == 0:
        raise ValueError("`logits0` must be non-empty.")
    x = jnp.asarray(logits0)
    return OPRLState(
        x, x, _policy_opt(cfg).init(x), optax.adam(cfg.prm_lr).init(x), jnp.zeros((), jnp.int32)
    )


def _pair_index(G):
    i, j = np.triu_indices(G, 1)
    return jnp.asarray(i), jnp.asarray(j)


def _oprl_step(key, state: OPRLState, r_outcome, idx, cfg: OPRLConfig):
    k_roll, k_lab = jax.random.split(key)
    theta = state.logits
    leaves = _sample(k_roll, theta, cfg.G, idx)
    # 1. PRM: trajectory DPO on every labelled pair of the group, reference = this policy
    i, j = _pair_index(cfg.G)
    pairs = jnp.stack([leaves[i], leaves[j]], axis=1)
    p12 = jax.nn.sigmoid((r_outcome[pairs[:, 0]] - r_outcome[pairs[:, 1]]) / cfg.kappa)
    labels = jax.random.bernoulli(k_lab, p12).astype(theta.dtype)
    popt = optax.adam(cfg.prm_lr)

    def loss(phi):
        return _dpo_sampled_loss(phi, theta, pairs, labels, cfg.beta, idx)

    def prm_body(carry, _):
        phi, s = carry
        g = jax.grad(loss)(phi)
        u, s = popt.update(g, s, phi)
        return (optax.apply_updates(phi, u), s), None

    (phi, prm_s), _ = jax.lax.scan(
        prm_body, (state.prm_logits, state.prm_opt_state), None, length=cfg.prm_steps
    )
    # 2. policy: episode-level + step-level advantages on the same rollouts
    g = _group_grad(theta, leaves, phi, r_outcome, cfg, idx)
    updates, opt_state = _policy_opt(cfg).update(-g, state.opt_state, theta)
    new_theta = optax.apply_updates(theta, updates)
    R = r_outcome / cfg.kappa
    V0 = _soft_values(theta, R, cfg.beta, idx)[0]
    h_err = jnp.max(jnp.abs(_implicit_reward(phi, theta, cfg.beta, idx) - (R - V0)))
    info = OPRLInfo(
        _expected_return(new_theta, r_outcome, idx),
        loss(phi),
        h_err,
        jnp.linalg.norm(g),
        jnp.mean(r_outcome[leaves]),
    )
    return OPRLState(new_theta, phi, opt_state, prm_s, state.step + 1), info


# one compiled program per (shape, cfg) for the public step (op by op, ~80 programs); oprl_train
# traces the plain ``_oprl_step`` inside its scan
_oprl_step_jit = jax.jit(_oprl_step, static_argnums=4)


def _check_step_args(state, r_outcome, idx):
    _check_idx(idx)
    if not isinstance(state, OPRLState):
        raise ValueError(f"`state` must be an OPRLState; got {type(state).__name__}.")
    check_tree_finite("state", state)
    _check_logits("state.logits", state.logits, idx)
    _check_logits("state.prm_logits", state.prm_logits, idx)
    return _check_leaf_vector("r_outcome", r_outcome, idx)


def oprl_step(key, state: OPRLState, r_outcome, idx: TreeIndex, cfg: OPRLConfig):
    r"""One OPRL iteration: roll out, update the PRM by DPO, then update the policy.

    1. Draw ``cfg.G`` trajectories from :math:`\pi_\theta`; label every unordered pair with
       probability :math:`\sigma((r_o(\tau_1) - r_o(\tau_2))/\kappa)`.
    2. ``cfg.prm_steps`` Adam steps on :func:`dpo_sampled_loss` with reference
       :math:`\pi_{old} = \pi_\theta` (the snapshot of this iteration).
    3. Policy step along :func:`oprl_gradient`'s estimator on the same rollouts.

    Args:
      key: PRNG key.
      state: :class:`OPRLState`.
      r_outcome: ``[A**H]``.
      idx: :class:`TreeIndex`.
      cfg: :class:`OPRLConfig`.

    Returns:
      ``(state, info)``; ``info.J`` is the exact objective after the update.

    Raises:
      ValueError: on a malformed ``state`` (shapes, NaN/inf) or ``r_outcome``.

    References:
      arXiv:2509.19199 (alternating PRM / policy optimisation); ``theory/oprl_tree.md``, Sec. 5.
    """
    r = _check_step_args(state, r_outcome, idx)
    return _oprl_step_jit(key, state, r, idx, cfg)


def oprl_train(key, logits0, r_outcome, idx: TreeIndex, cfg: OPRLConfig):
    """``cfg.steps`` iterations of :func:`oprl_step` in ``lax.scan`` (vmap over keys for seeds).

    Args:
      key: PRNG key.
      logits0: ``[n_int, A]`` initial policy (and PRM).
      r_outcome: ``[A**H]``.
      idx: :class:`TreeIndex`.
      cfg: :class:`OPRLConfig`.

    Returns:
      ``(final_state, infos)`` with every :class:`OPRLInfo` leaf stacked over ``cfg.steps``.

    Raises:
      ValueError: on malformed ``logits0`` or ``r_outcome``.

    References:
      ``theory/oprl_tree.md``, Sec. 5 (panel (d)).
    """
    _check_idx(idx)
    logits0 = _check_logits("logits0", logits0, idx)
    r = _check_leaf_vector("r_outcome", r_outcome, idx)
    state = oprl_init(logits0, cfg)
    keys = jax.random.split(key, cfg.steps)
    # first step peeled off so the carry's types come from a real step (see policy_gradient)
    state, first = _oprl_step(keys[0], state, r, idx, cfg)
    state, rest = jax.lax.scan(lambda s, k: _oprl_step(k, s, r, idx, cfg), state, keys[1:])
    return state, jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, rest)
