"""REINFORCE on a contextual softmax bandit with a noisy verifier: clean, naive, PGBC, PGFC.

Environment: ``P`` prompt types drawn with probabilities ``q_j`` share one logit vector
``theta in R^K``; answer ``a ~ pi = softmax(theta)`` is correct for type ``j`` iff
``correct_mask[j, a]``; the verifier reports ``R~`` through the channel with per-type rates
``(rho0_j, rho1_j)``. The clean objective is

    J(theta) = sum_j q_j sum_a pi_a R_{j,a} = pi . Rbar,   grad J = pi * (Rbar - J),

with ``Rbar_a = sum_j q_j R_{j,a}``. An estimator puts a per-sample weight ``A_i`` on the score
``grad log pi(a_i) = e_{a_i} - pi`` and averages over the ``n_prompts * G`` rollouts of a step:

* weights (``mode``): clean ``R*``, naive ``R~``, backward ``(R~ - rho0_j)/J_j``,
  forward ``R~ - (1 - rho1_j)``;
* baselines (``baseline``): ``"none"`` (``A = w``), ``"loo"`` (leave-one-out mean of the group's
  other weights: unbiased), ``"grpo"`` (group normalisation ``(w - mean)/(std + eps)``).

Exact expectation of the no-baseline (and leave-one-out) estimator:

    E[g] = pi * (mbar - pi . mbar),     mbar_a = sum_j q_j E[w | R_{j,a}]        (expected_update)

so naive and forward ascend ``sum_j q_j J_j J_j(theta)`` (per-type Youden scale): unbiased in
direction only when every type has the same rates (``theory/noisy_verifier_pg.md``, Prop. 4).

Symbols -> arguments: ``theta`` -> ``theta``; ``q`` -> ``env.prompt_probs``; ``R`` ->
``env.correct_mask``; ``rho0_j, rho1_j`` -> ``env.rho0, env.rho1``; ``G`` -> ``G`` (group size per
prompt); batch of prompts -> ``n_prompts``.

References:
  arXiv:2510.00915 (PGBC / PGFC; GRPO-based pipeline). Williams (1992), REINFORCE.
  The "rate or fate" threshold: arXiv:2601.04411.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from unlearnlab.lab.checks import (
    check_array,
    check_index,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability_vector,
    check_tree_finite,
    is_traced,
)
from unlearnlab.verifiers.bounds import MODES, _expected_weight, _expected_weight_sq
from unlearnlab.verifiers.channel import _backward, _channel_p1, _forward, check_rates

__all__ = [
    "BASELINES",
    "BanditEnv",
    "PGConfig",
    "PGState",
    "PGInfo",
    "make_env",
    "check_env",
    "softmax_bandit_logp",
    "score",
    "clean_value",
    "exact_clean_grad",
    "expected_update",
    "estimator_variance",
    "grpo_advantages",
    "pg_estimate",
    "pg_init",
    "pg_step",
    "train",
    "train_modes",
]

BASELINES = ("none", "loo", "grpo")


class BanditEnv(NamedTuple):
    """A contextual softmax bandit with a noisy verifier (a pytree: vmap over a noise grid)."""

    correct_mask: jax.Array  # bool [P, K]: answer a correct for prompt type j
    prompt_probs: jax.Array  # [P]: q_j
    rho0: jax.Array  # [P]: false-positive rate per type
    rho1: jax.Array  # [P]: false-negative rate per type


def check_env(env: BanditEnv) -> BanditEnv:
    """Validate a :class:`BanditEnv` (concrete leaves; a vmapped grid is checked leafwise).

    Rules: ``correct_mask`` rank >= 2 and 0/1; ``prompt_probs`` a probability vector along the
    last axis matching ``P``; rates in [0, 1] with ``rho0 + rho1 < 1``, shape ``[..., P]``.
    """
    m = env.correct_mask
    check_array("env.correct_mask", m, finite=False)
    if np.ndim(m) < 2:
        raise ValueError(f"`env.correct_mask` must have shape [P, K]; got {np.shape(m)}.")
    if not is_traced(m):
        arr = np.asarray(m)
        if not np.all((arr == 0) | (arr == 1)):
            raise ValueError("`env.correct_mask` must hold only 0/1 (bool) values.")
    P = np.shape(m)[-2]
    for name, v in (
        ("env.prompt_probs", env.prompt_probs),
        ("env.rho0", env.rho0),
        ("env.rho1", env.rho1),
    ):
        if np.shape(v)[-1:] != (P,):
            raise ValueError(f"`{name}` must have last axis P = {P}; got shape {np.shape(v)}.")
    check_probability_vector("env.prompt_probs", env.prompt_probs)
    check_rates(env.rho0, env.rho1, names=("env.rho0", "env.rho1"))
    return env


def make_env(correct_mask, prompt_probs=None, rho0=0.0, rho1=0.0) -> BanditEnv:
    """Build and validate a :class:`BanditEnv`; scalar rates are broadcast to every prompt type.

    Args:
      correct_mask: bool ``[P, K]`` (a ``[K]`` mask is one prompt type).
      prompt_probs: ``[P]`` probabilities (default uniform).
      rho0, rho1: scalars or ``[P]``.
    """
    m = np.asarray(correct_mask)
    if not np.all((m == 0) | (m == 1)):
        raise ValueError("`correct_mask` must hold only 0/1 (bool) values.")
    if m.ndim == 1:
        m = m[None, :]
    if m.ndim != 2:
        raise ValueError(f"`correct_mask` must have shape [P, K] or [K]; got {m.shape}.")
    P = m.shape[0]
    q = np.full(P, 1.0 / P) if prompt_probs is None else np.asarray(prompt_probs, float)
    env = BanditEnv(
        correct_mask=jnp.asarray(m.astype(bool)),
        prompt_probs=jnp.asarray(q),
        rho0=jnp.broadcast_to(jnp.asarray(rho0, float), (P,)),
        rho1=jnp.broadcast_to(jnp.asarray(rho1, float), (P,)),
    )
    if np.shape(q) != (P,):
        raise ValueError(f"`prompt_probs` must have shape ({P},); got {np.shape(q)}.")
    return check_env(env)


@dataclasses.dataclass(frozen=True)
class PGConfig:
    """Training configuration (Python scalars; static under jit).

    Attributes:
      mode: "clean" | "naive" | "backward" | "forward".
      baseline: "none" | "loo" | "grpo".
      steps: number of updates.
      lr: learning rate of the optax optimiser.
      G: rollouts per prompt (group size).
      n_prompts: prompts per step.
      optimizer: "sgd" | "adam" (optax).
      appeal_decay: EMA decay of the appeal counts behind ``rho1_hat``.
    """

    mode: str = "backward"
    baseline: str = "none"
    steps: int = 500
    lr: float = 1.0
    G: int = 8
    n_prompts: int = 64
    optimizer: str = "sgd"
    appeal_decay: float = 0.9

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}; got {self.mode!r}.")
        if self.baseline not in BASELINES:
            raise ValueError(f"`baseline` must be one of {BASELINES}; got {self.baseline!r}.")
        check_int("steps", self.steps, min_value=1)
        check_int("G", self.G, min_value=2 if self.baseline != "none" else 1)
        check_int("n_prompts", self.n_prompts, min_value=1)
        check_positive("lr", self.lr)
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"`optimizer` must be 'sgd' or 'adam'; got {self.optimizer!r}.")
        if not 0.0 <= self.appeal_decay < 1.0:
            raise ValueError(f"`appeal_decay` must lie in [0, 1); got {self.appeal_decay}.")


class PGState(NamedTuple):
    """State of noisy-reward REINFORCE on the softmax bandit (:func:`pg_init`, :func:`pg_step`).

    Attributes:
      theta: ``[K]`` shared logits
      opt_state: optax state of the optimiser
      n1_ema: ``[]`` EMA of the number of observed positives per step
      n01_ema: ``[]`` EMA of the number of overturned negatives per step
      step: ``[]`` int
    """

    theta: jax.Array  # [K] shared logits
    opt_state: optax.OptState  # optax state of the optimiser
    n1_ema: jax.Array  # [] EMA of the number of observed positives per step
    n01_ema: jax.Array  # [] EMA of the number of overturned negatives per step
    step: jax.Array  # [] int


class PGInfo(NamedTuple):
    """Diagnostics of one policy-gradient step (:func:`pg_step`).

    Attributes:
      J: ``[]`` clean objective J(theta) after the update
      pi: ``[K]`` policy after the update
      grad_norm: ``[]`` norm of the gradient estimate
      rho1_hat: ``[]`` appeal-based FN-rate estimate (pooled, EMA)
      mean_r_tilde: ``[]`` mean observed reward of the step
    """

    J: jax.Array  # [] clean objective J(theta) after the update
    pi: jax.Array  # [K] policy after the update
    grad_norm: jax.Array  # [] norm of the gradient estimate
    rho1_hat: jax.Array  # [] appeal-based FN-rate estimate (pooled, EMA)
    mean_r_tilde: jax.Array  # [] mean observed reward of the step


def _check_theta(theta, n_actions=None, name="theta"):
    """``theta``: finite ``[K]`` logits, ``K >= 1`` (``K`` = ``n_actions`` when given)."""
    check_array(name, theta, ndim=1)
    K = np.shape(theta)[0]
    if K < 1:
        raise ValueError(f"`{name}` must hold at least one logit; got shape {np.shape(theta)}.")
    if n_actions is not None and K != n_actions:
        raise ValueError(
            f"`{name}` must have one logit per answer K = {n_actions} (last axis of "
            f"`correct_mask`); got shape {np.shape(theta)}."
        )
    return theta


# --------------------------------------------------------------------------- bandit calculus


def softmax_bandit_logp(theta, a):
    """``log pi(a) = theta_a - logsumexp(theta)``. ``theta``: [K]; ``a``: int (any shape).

    Raises:
      ValueError: ``theta`` not finite ``[K]``; ``a`` not integers in [0, K) (concrete inputs only).
    """
    _check_theta(theta)
    check_index("a", a, np.shape(theta)[0])
    return jnp.take(theta, a) - jax.nn.logsumexp(theta)


def score(theta, a):
    """Score ``grad_theta log pi(a) = e_a - softmax(theta)``; ``[..., K]`` for ``a`` of shape ``[...]``.

    Raises:
      ValueError: ``theta`` not finite ``[K]``; ``a`` not integers in [0, K) (concrete inputs only).
    """
    _check_theta(theta)
    check_index("a", a, np.shape(theta)[0])
    theta = jnp.asarray(theta)
    K = theta.shape[-1]
    return jax.nn.one_hot(a, K, dtype=theta.dtype) - jax.nn.softmax(theta)


def _rbar(correct_mask, prompt_probs):
    m = jnp.asarray(correct_mask, float)
    return m if m.ndim == 1 else jnp.asarray(prompt_probs) @ m


def clean_value(theta, env: BanditEnv):
    """Clean objective ``J(theta) = sum_j q_j sum_a pi_a R_{j,a}``.

    Raises:
      ValueError: malformed ``env`` (:func:`check_env`); ``theta`` not finite ``[K]`` with ``K`` the
        answers of ``env`` (concrete inputs only; skipped inside the traced training step).
    """
    if not is_traced(theta):
        check_env(env)
        _check_theta(theta, np.shape(env.correct_mask)[-1])
    return jax.nn.softmax(theta) @ _rbar(env.correct_mask, env.prompt_probs)


def exact_clean_grad(theta, correct_mask, prompt_probs=None):
    """Exact clean gradient ``grad J = pi * (Rbar - pi . Rbar)``.

    Args:
      theta: ``[K]`` logits.
      correct_mask: ``[K]`` (one prompt type) or ``[P, K]`` with ``prompt_probs`` ``[P]``.

    Returns:
      ``[K]`` gradient.

    Raises:
      ValueError: ``theta`` not finite ``[K]`` matching ``correct_mask``; ``prompt_probs`` missing
        for a ``[P, K]`` mask.
    """
    _check_theta(theta, np.shape(correct_mask)[-1] if np.ndim(correct_mask) else None)
    if np.ndim(correct_mask) == 2 and prompt_probs is None:
        raise ValueError("`prompt_probs` is required when `correct_mask` has shape [P, K].")
    pi = jax.nn.softmax(theta)
    rbar = _rbar(correct_mask, prompt_probs)
    return pi * (rbar - pi @ rbar)


def _mbar(env, mode, moment):
    R = jnp.asarray(env.correct_mask, float)
    r0, r1 = env.rho0[:, None], env.rho1[:, None]
    f = _expected_weight if moment == 1 else _expected_weight_sq
    return env.prompt_probs @ f(mode, r0, r1, R)


def expected_update(theta, env: BanditEnv, mode: str):
    """Exact expectation of the single-rollout estimator (baseline ``"none"`` or ``"loo"``).

        E[g] = pi * (mbar - pi . mbar),   mbar_a = sum_j q_j E[w | R_{j,a}].

    Clean and backward give ``grad J``; naive and forward give ``sum_j q_j J_j grad J_j``.
    (GRPO normalisation is nonlinear and has no such closed form.)

    Returns:
      ``[K]``.

    Raises:
      ValueError: unknown ``mode``; malformed ``env``; ``theta`` not finite ``[K]`` matching it.
    """
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {MODES}; got {mode!r}.")
    check_env(env)
    _check_theta(theta, np.shape(env.correct_mask)[-1])
    pi = jax.nn.softmax(theta)
    mbar = _mbar(env, mode, 1)
    return pi * (mbar - pi @ mbar)


def estimator_variance(theta, env: BanditEnv, mode: str):
    """Exact total variance ``E||g||^2 - ||E g||^2`` of the single-rollout no-baseline estimator.

    E||g||^2 = sum_a pi_a ||e_a - pi||^2 sum_j q_j E[w^2 | R_{j,a}].

    Raises:
      ValueError: unknown ``mode``; malformed ``env``; ``theta`` not finite ``[K]`` matching it.
    """
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {MODES}; got {mode!r}.")
    check_env(env)
    _check_theta(theta, np.shape(env.correct_mask)[-1])
    pi = jax.nn.softmax(theta)
    m2 = _mbar(env, mode, 2)
    sq = 1.0 - 2.0 * pi + pi @ pi  # ||e_a - pi||^2
    g = expected_update(theta, env, mode)
    return pi @ (m2 * sq) - g @ g


# --------------------------------------------------------------------------- estimators


def grpo_advantages(r, eps=1e-6, std_norm=True):
    """GRPO group-relative advantages along the last axis: ``(r - mean) / (std + eps)``.

    ``std`` is the population standard deviation (ddof = 0); ``std_norm=False`` gives the
    mean-only (Dr. GRPO) baseline ``r - mean``. Any positive-slope affine map of ``r`` leaves the
    normalised advantages unchanged up to ``eps`` (``theory/noisy_verifier_pg.md``, Prop. 5).

    Args:
      r: rewards ``[..., G]``.

    Returns:
      ``[..., G]``.

    Raises:
      ValueError: ``r`` empty or not finite; ``eps`` negative or not finite (concrete inputs only).
    """
    check_array("r", r)
    if np.size(r) == 0:
        raise ValueError(f"`r` must be non-empty; got shape {np.shape(r)}.")
    check_nonnegative("eps", eps)
    r = jnp.asarray(r)
    c = r - jnp.mean(r, axis=-1, keepdims=True)
    if not std_norm:
        return c
    return c / (jnp.std(r, axis=-1, keepdims=True) + eps)


def _weights(mode, R, rt, rho0, rho1):
    if not isinstance(mode, str):  # traced mode index into MODES (one program for every mode)
        allw = jnp.stack([R, rt, _backward(rt, rho0, rho1), _forward(rt, rho1)])
        return allw[mode]
    if mode == "clean":
        return R
    if mode == "naive":
        return rt
    if mode == "backward":
        return _backward(rt, rho0, rho1)
    return _forward(rt, rho1)


def _advantages(w, baseline):
    if baseline == "none":
        return w
    if baseline == "loo":
        G = w.shape[-1]
        return w - (jnp.sum(w, axis=-1, keepdims=True) - w) / (G - 1)
    return grpo_advantages(w)


def _inverse_cdf(probs, u):
    """Index ``i`` with ``cdf[i-1] <= u < cdf[i]`` (one uniform per draw; cheap to compile)."""
    cdf = jnp.cumsum(probs)
    idx = jnp.sum(u[..., None] >= cdf[:-1], axis=-1)
    return jnp.minimum(idx, probs.shape[-1] - 1)


def _rollouts(key, theta, env, G, n_prompts):
    # one uniform draw per step: prompt type, G answers, G channel flips per prompt
    u = jax.random.uniform(key, (n_prompts, 2 * G + 1), dtype=theta.dtype)
    j = _inverse_cdf(env.prompt_probs.astype(theta.dtype), u[:, 0])
    a = _inverse_cdf(jax.nn.softmax(theta), u[:, 1 : G + 1])
    R = env.correct_mask[j[:, None], a].astype(theta.dtype)
    rho0, rho1 = env.rho0[j][:, None], env.rho1[j][:, None]
    rt = (u[:, G + 1 :] < _channel_p1(R, rho0, rho1)).astype(theta.dtype)
    return a, R, rt, rho0, rho1


def _grad(theta, a, A):
    K = theta.shape[-1]
    oh = jax.nn.one_hot(a, K, dtype=theta.dtype)
    n = A.size
    return jnp.einsum("ng,ngk->k", A, oh) / n - jnp.mean(A) * jax.nn.softmax(theta)


def _check_est_args(mode, baseline, G, n_prompts):
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {MODES}; got {mode!r}.")
    if baseline not in BASELINES:
        raise ValueError(f"`baseline` must be one of {BASELINES}; got {baseline!r}.")
    check_int("G", G, min_value=2 if baseline != "none" else 1)
    check_int("n_prompts", n_prompts, min_value=1)


def pg_estimate(
    key,
    theta,
    env: BanditEnv,
    G: int = 1,
    mode: str = "backward",
    baseline: str = "none",
    n_prompts: int = 1,
):
    """One policy-gradient estimate from ``n_prompts`` prompts x ``G`` rollouts.

        g = (1 / (n_prompts G)) sum_{i} A_i (e_{a_i} - pi)

    Args:
      key: PRNG key.
      theta: ``[K]`` logits.
      env: :class:`BanditEnv` (validated when concrete).
      G: rollouts per prompt (``>= 2`` for ``"loo"``/``"grpo"``).
      mode: "clean" | "naive" | "backward" | "forward".
      baseline: "none" | "loo" | "grpo".
      n_prompts: prompts per estimate.

    Returns:
      ``[K]`` gradient estimate (ascent direction).

    Raises:
      ValueError: unknown ``mode``/``baseline``; ``G`` or ``n_prompts`` too small; malformed
        ``env``; ``theta`` not finite ``[K]`` matching ``env``.
    """
    _check_est_args(mode, baseline, G, n_prompts)
    check_env(env)
    _check_theta(theta, np.shape(env.correct_mask)[-1])
    # one compiled program per configuration (run op by op, a call is ~50 programs)
    return _pg_estimate(key, jnp.asarray(theta), env, int(G), mode, baseline, int(n_prompts))


@partial(jax.jit, static_argnums=(3, 4, 5, 6))
def _pg_estimate(key, theta, env, G, mode, baseline, n_prompts):
    a, R, rt, rho0, rho1 = _rollouts(key, theta, env, G, n_prompts)
    A = _advantages(_weights(mode, R, rt, rho0, rho1), baseline)
    return _grad(theta, a, A)


# --------------------------------------------------------------------------- training


def _optimizer(cfg: PGConfig):
    return optax.sgd(cfg.lr) if cfg.optimizer == "sgd" else optax.adam(cfg.lr)


def pg_init(theta0, cfg: PGConfig) -> PGState:
    """Initial state: logits ``theta0`` [K], the optax state, zero appeal counts.

    Raises:
      ValueError: ``theta0`` not a finite ``[K]`` array with ``K >= 1`` (concrete inputs only).
    """
    _check_theta(theta0, name="theta0")
    theta0 = jnp.asarray(theta0)
    z = jnp.zeros((), theta0.dtype)
    return PGState(theta0, _optimizer(cfg).init(theta0), z, z, jnp.zeros((), jnp.int32))


def _step(key, state: PGState, env: BanditEnv, cfg: PGConfig, mode=None):
    theta = state.theta
    a, R, rt, rho0, rho1 = _rollouts(key, theta, env, cfg.G, cfg.n_prompts)
    mode = cfg.mode if mode is None else mode
    A = _advantages(_weights(mode, R, rt, rho0, rho1), cfg.baseline)
    g = _grad(theta, a, A)
    opt = _optimizer(cfg)
    updates, opt_state = opt.update(-g, state.opt_state, theta)  # optax minimises: ascend J
    theta = optax.apply_updates(theta, updates)
    # perfect appeals of every negative: overturned iff clean-correct
    d = cfg.appeal_decay
    n1 = d * state.n1_ema + (1 - d) * jnp.sum(rt)
    n01 = d * state.n01_ema + (1 - d) * jnp.sum((1.0 - rt) * R)
    den = n1 + n01
    rho1_hat = jnp.where(den > 0, n01 / jnp.where(den > 0, den, 1.0), 0.0)
    new = PGState(theta, opt_state, n1, n01, state.step + 1)
    info = PGInfo(
        clean_value(theta, env), jax.nn.softmax(theta), jnp.linalg.norm(g), rho1_hat, jnp.mean(rt)
    )
    return new, info


# one compiled program per step configuration (``cfg`` is static; run op by op, a step is ~50
# programs); ``train`` traces the plain ``_step`` inside its scan
_step_jit = jax.jit(_step, static_argnums=(3, 4))


def pg_step(key, state: PGState, env: BanditEnv, cfg: PGConfig) -> tuple[PGState, PGInfo]:
    """One optax update from ``cfg.n_prompts x cfg.G`` noisy rollouts.

    The appeal counts are updated from perfect appeals of every negative (an overturn iff the
    rollout is clean-correct): ``rho1_hat = EMA(N_{0->1}) / (EMA(N_{R~=1}) + EMA(N_{0->1}))``,
    consistent for ``rho1`` when ``rho0 = 0`` (with ``rho0 > 0`` it estimates
    ``rho1 p / (p + rho0 (1 - p))``, ``p`` the clean success rate).

    Returns:
      ``(state, info)``; ``info.J`` is the clean objective after the update.

    Raises:
      ValueError: malformed ``env``; ``state`` with a NaN/inf leaf or ``state.theta`` not ``[K]``
        matching ``env`` (concrete inputs only).
    """
    check_env(env)
    check_tree_finite("state", state)
    _check_theta(state.theta, np.shape(env.correct_mask)[-1], name="state.theta")
    return _step_jit(key, state, env, cfg)


def train(key, theta0, env: BanditEnv, cfg: PGConfig) -> tuple[PGState, PGInfo]:
    """``cfg.steps`` updates with ``lax.scan``; vmap over keys (seeds) and/or ``env`` (noise grid).

    Validate a vmapped noise grid with :func:`check_env` before ``vmap`` (inside it the rates are
    traced and cannot be inspected).

    Returns:
      ``(final_state, infos)`` with every ``PGInfo`` leaf stacked over steps (leading axis ``steps``).

    Raises:
      ValueError: malformed ``env``; ``theta0`` not a finite ``[K]`` array matching ``env``
        (concrete inputs only).
    """
    check_env(env)
    _check_theta(theta0, np.shape(env.correct_mask)[-1], name="theta0")
    state = pg_init(theta0, cfg)
    keys = jax.random.split(key, cfg.steps)
    return _scan_steps(lambda s, k: _step(k, s, env, cfg), state, keys)


def _scan_steps(body, state, keys):
    """``lax.scan(body, state, keys)`` with the first step peeled off.

    The first update runs outside the scan so that the carry's types come from a real step. Under
    ``shard_map`` (the lab's sweep runner) a zero-initialised carry is device-invariant while the
    key-dependent update is device-varying, and ``lax.scan`` rejects that mismatch.
    """
    state, first = body(state, keys[0])
    state, rest = jax.lax.scan(body, state, keys[1:])
    return state, jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, rest)


def train_modes(key, theta0, env: BanditEnv, cfg: PGConfig, modes=MODES):
    """:func:`train` for several estimator ``modes`` at once (``cfg.mode`` is ignored).

    The modes share one compiled program (the mode is a traced index, vmapped) and the same key,
    so they see common random numbers for prompts and actions at step 0. Equal to stacking
    ``train(key, theta0, env, replace(cfg, mode=m))`` over ``m`` (tested).

    Returns:
      ``(final_states, infos)`` with a leading axis ``len(modes)`` on every leaf.

    Raises:
      ValueError: ``modes`` empty or with an unknown mode; malformed ``env``; ``theta0`` not a
        finite ``[K]`` array matching ``env`` (concrete inputs only).
    """
    if len(modes) == 0:
        raise ValueError("`modes` must name at least one mode.")
    for m in modes:
        if m not in MODES:
            raise ValueError(f"`modes` entries must be in {MODES}; got {m!r}.")
    check_env(env)
    _check_theta(theta0, np.shape(env.correct_mask)[-1], name="theta0")
    # one compiled program for the whole run (op by op, the set-up around the scans is ~70 programs)
    return _train_modes(key, jnp.asarray(theta0), env, cfg, tuple(modes))


@partial(jax.jit, static_argnums=(3, 4))
def _train_modes(key, theta0, env, cfg, modes):
    idx = jnp.asarray([MODES.index(m) for m in modes])
    keys = jax.random.split(key, cfg.steps)

    def one(i):
        state = pg_init(theta0, cfg)
        return _scan_steps(lambda s, k: _step(k, s, env, cfg, i), state, keys)

    return jax.vmap(one)(idx)
