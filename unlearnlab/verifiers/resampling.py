"""Resampling against an imperfect verifier: accuracy ceiling, utility and the optimal budget K.

Task type ``t`` (prior ``pi_t``) yields a correct sample with probability ``r_t``. The verifier
accepts a correct sample with probability ``c`` (completeness) and rejects an incorrect one with
probability ``s`` (soundness). Resample until the first accept, at most ``K`` attempts; abstain if
nothing is accepted. Per attempt: reject ``beta_t = (1 - c) r_t + s (1 - r_t)``, correct accept
``r_t c``, false positive ``(1 - r_t)(1 - s)``.

    Acc_t(K) = r_t c (1 - beta_t^K) / (1 - beta_t)  ->  r_t c / (r_t c + (1 - r_t)(1 - s))  (K -> inf)
    U(K)     = sum_t pi_t m_t (1 - beta_t^K) / (1 - beta_t),   m_t = r_t c - C (1 - r_t)(1 - s)
    dU(k)    = U(k) - U(k-1) = sum_t pi_t beta_t^(k-1) m_t

Two types with ``m_e > 0 > m_h`` and ``beta_h > beta_e`` (iff ``c + s > 1``):
``K* = ceil(x)``, ``x = ln(pi_e m_e / (pi_h |m_h|)) / ln(beta_h / beta_e)`` (``K* = 0`` if
``x <= 0``).

Symbols -> arguments: ``r_t`` -> ``r`` [T]; ``c`` -> ``c``; ``s`` -> ``s``; ``pi_t`` -> ``prior``
[T]; ``C`` (false-positive cost / benefit ratio) -> ``cost``; ``K`` -> ``K``.

References:
  Stroebl, Kapoor, Narayanan, "Inference Scaling fLaws: The Limits of LLM Resampling with Imperfect
  Verifiers", arXiv:2411.17501 (Fig. 1a ceiling, Fig. 1b optimal K); authors' notebook
  ``notebooks/limits_to_inference_scaling_model.ipynb`` (github.com/benediktstroebl/
  inference-scaling-limits). The closed forms are derived in ``theory/resampling_flaws.md``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import (
    check_array,
    check_index,
    check_int,
    check_nonnegative,
    check_probability,
    check_probability_vector,
    is_traced,
)
from unlearnlab.verifiers.channel import _check_binary

__all__ = [
    "reject_prob",
    "accuracy_at_k",
    "accuracy_ceiling",
    "expected_utility",
    "utility_increment",
    "optimal_k",
    "optimal_k_two_type",
    "simulate_resampling",
    "mc_outcomes",
    "empirical_ceiling",
]


def _check_rcs(r, c, s):
    check_array("r", r, ndim=(0, 1))
    if np.ndim(r) == 1 and np.shape(r)[0] < 1:
        raise ValueError("`r` must hold at least one type; got shape (0,).")
    check_probability("r", r)
    for name, v in (("c", c), ("s", s)):
        if np.ndim(v) and np.shape(v) != np.shape(r):
            raise ValueError(
                f"`{name}` must be a scalar or have the shape of `r` {np.shape(r)}; "
                f"got {np.shape(v)}."
            )
    check_probability("c", c)
    check_probability("s", s)


def _check_prior(prior, r):
    check_array("prior", prior, ndim=1)
    check_probability_vector("prior", prior)
    want = np.shape(r) if np.ndim(r) else (1,)
    if np.shape(prior) != want:
        raise ValueError(f"`prior` must have the shape of `r` {want}; got {np.shape(prior)}.")


def _check_K(K, name="K", min_value=0):
    if is_traced(K):
        return K
    arr = np.asarray(K)
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == np.round(arr))):
        raise ValueError(f"`{name}` must be a non-negative integer; got {K!r}.")
    if np.any(arr < min_value):
        raise ValueError(f"`{name}` must be >= {min_value}; got {K!r}.")
    return K


def _beta(r, c, s):
    return (1.0 - c) * r + s * (1.0 - r)


def _geom(beta, K):
    """``(1 - beta^K)/(1 - beta)``, equal to ``K`` at ``beta = 1`` (no NaN)."""
    K = jnp.asarray(K, beta.dtype)
    one = beta >= 1.0
    safe = jnp.where(one, 0.5, beta)
    return jnp.where(one, K, (1.0 - safe**K) / (1.0 - safe))


def reject_prob(r, c, s):
    """Per-attempt rejection probability ``beta = (1 - c) r + s (1 - r)`` (per type)."""
    _check_rcs(r, c, s)
    return _beta(jnp.asarray(r), c, s)


def accuracy_at_k(r, c, s, K):
    """Accuracy with at most ``K`` attempts: ``Acc(K) = r c (1 - beta^K) / (1 - beta)``.

    Args:
      r: ``[T]`` (or scalar) single-sample accuracies; c, s: scalars.
      K: non-negative integer (scalar; vmap over ``K`` for a curve).

    Returns:
      ``[T]`` per-type accuracy (the prior-weighted mixture is ``prior @ acc``).
    """
    _check_rcs(r, c, s)
    _check_K(K)
    r = jnp.asarray(r, float)
    return r * c * _geom(_beta(r, c, s), K)


def accuracy_ceiling(r, c, s):
    """Accuracy as ``K -> inf``: ``r c / (r c + (1 - r)(1 - s))`` (0 if no attempt is accepted)."""
    _check_rcs(r, c, s)
    r = jnp.asarray(r, float)
    num = r * c
    den = num + (1.0 - r) * (1.0 - s)
    return jnp.where(den > 0, num / jnp.where(den > 0, den, 1.0), 0.0)


def _margin(r, c, s, cost):
    return r * c - cost * (1.0 - r) * (1.0 - s)


def _utility(K, r, c, s, prior, cost):
    r = jnp.asarray(r, float)
    return jnp.asarray(prior) @ (_margin(r, c, s, cost) * _geom(_beta(r, c, s), K))


def expected_utility(K, r, c, s, prior, cost):
    """Exact expected utility ``U(K) = sum_t pi_t m_t (1 - beta_t^K)/(1 - beta_t)``.

    Rewards: correct +1, false positive ``-cost``, abstain 0.

    Args:
      K: non-negative integer; r: ``[T]``; c, s: scalars; prior: ``[T]``; cost: ``C >= 0``.

    Returns:
      Scalar ``U(K)``.
    """
    _check_K(K)
    _check_rcs(r, c, s)
    _check_prior(prior, r)
    check_nonnegative("cost", cost)
    return _utility(K, jnp.atleast_1d(jnp.asarray(r, float)), c, s, prior, cost)


def utility_increment(k, r, c, s, prior, cost):
    """``dU(k) = U(k) - U(k-1) = sum_t pi_t beta_t^(k-1) m_t`` for ``k >= 1``.

    Raises:
      ValueError: ``k`` not an integer >= 1; ``r``, ``c``, ``s``, ``prior`` or ``cost`` malformed.
    """
    _check_K(k, "k", min_value=1)
    _check_rcs(r, c, s)
    _check_prior(prior, r)
    check_nonnegative("cost", cost)
    r = jnp.atleast_1d(jnp.asarray(r, float))
    return jnp.asarray(prior) @ (_beta(r, c, s) ** (jnp.asarray(k) - 1) * _margin(r, c, s, cost))


def optimal_k(r, c, s, prior, cost, k_max: int):
    """``argmax_{K in 0..k_max} U(K)`` (the smallest maximiser; 0 = abstain).

    Args:
      k_max: Python int ``>= 0`` (static).

    Returns:
      Scalar int.
    """
    k_max = check_int("k_max", k_max, min_value=0)
    _check_rcs(r, c, s)
    _check_prior(prior, r)
    check_nonnegative("cost", cost)
    r = jnp.atleast_1d(jnp.asarray(r, float))
    Ks = jnp.arange(k_max + 1)
    U = jax.vmap(lambda K: _utility(K, r, c, s, prior, cost))(Ks)
    return jnp.argmax(U)


def optimal_k_two_type(r, c, s, prior, cost):
    """Closed-form ``K*`` for two task types, one with ``m > 0`` (easy) and one with ``m < 0``::

        K* = ceil(x),  x = ln(pi_e m_e / (pi_h |m_h|)) / ln(beta_h / beta_e),   K* = 0 if x <= 0.

    Valid when ``m_e > 0 > m_h`` and ``c + s > 1`` (so ``beta_h > beta_e``); raises otherwise.

    Returns:
      ``(K*, x)`` as scalars (``K*`` int).
    """
    _check_rcs(r, c, s)
    _check_prior(prior, r)
    check_nonnegative("cost", cost)
    if np.shape(r) != (2,):
        raise ValueError(f"`r` must have shape (2,); got {np.shape(r)}.")
    r = jnp.asarray(r, float)
    m = _margin(r, c, s, cost)
    beta = _beta(r, c, s)
    if not (is_traced(m) or is_traced(c) or is_traced(s)):
        mn = np.asarray(m)
        if not (np.max(mn) > 0 > np.min(mn)):
            raise ValueError(
                f"the two-type closed form needs m_e > 0 > m_h; got m = {mn.tolist()}."
            )
        if not float(c) + float(s) > 1:
            raise ValueError(
                f"the two-type closed form needs c + s > 1; got {float(c) + float(s)}."
            )
    e = jnp.argmax(m)
    h = 1 - e
    prior = jnp.asarray(prior, float)
    x = jnp.log(prior[e] * m[e] / (prior[h] * -m[h])) / jnp.log(beta[h] / beta[e])
    return jnp.where(x > 0, jnp.ceil(x), 0.0).astype(jnp.int32), x


def simulate_resampling(key, r, c, s, prior, K: int, n_tasks: int):
    r"""Monte Carlo of first-accept resampling with at most ``K`` attempts, for ``n_tasks`` tasks.

    Each task draws a type ``t ~ prior``; attempt ``k`` is correct w.p. ``r_t`` and accepted w.p.
    ``c`` (correct) or ``1 - s`` (incorrect). Attempts are i.i.d., so the index of the first
    accepted attempt is geometric and the correctness of that attempt is independent of its index:

    .. math::

        q_t = r_t c + (1 - r_t)(1 - s),\qquad
        P(\text{first} \ge k) = (1 - q_t)^k,\qquad
        P(\text{correct} \mid \text{accepted}) = r_t c / q_t .

    The simulator draws exactly this law with three uniforms per task (inverse-CDF geometric, one
    Bernoulli, the type) instead of ``2K + 1`` per task for an explicit attempt-by-attempt mask: the
    same distribution of ``(type, first_accept, accepted_correct)``, about ``(2K + 1)/3`` times fewer
    random numbers (``tests/verifiers/test_resampling.py`` checks the law against the exact
    accuracy curve).

    Args:
      key: PRNG key; r: ``[T]``; c, s: scalars; prior: ``[T]``.
      K: Python int ``>= 1`` attempts (static); n_tasks: Python int ``>= 1`` (static).

    Returns:
      dict of ``[n_tasks]`` arrays: ``"type"`` (int), ``"first_accept"`` (int, 0-based index of the
      first accepted attempt, ``K`` if none), ``"accepted_correct"`` (bool: the first accepted attempt
      is correct; False if none). The outcome with any budget ``k <= K`` follows from these
      (:func:`mc_outcomes`).

    Raises:
      ValueError: if ``K`` or ``n_tasks`` is not a positive integer, or ``r``, ``c``, ``s``,
        ``prior`` are not valid probabilities, or ``c``/``s`` is not a scalar.
    """
    K = check_int("K", K, min_value=1)
    n_tasks = check_int("n_tasks", n_tasks, min_value=1)
    _check_rcs(r, c, s)
    for name, v in (("c", c), ("s", s)):
        if np.ndim(v):
            raise ValueError(f"`{name}` must be a scalar here; got shape {np.shape(v)}.")
    _check_prior(prior, r)
    r = jnp.atleast_1d(jnp.asarray(r, float))
    u = jax.random.uniform(key, (3, n_tasks), dtype=r.dtype)
    cdf = jnp.cumsum(jnp.asarray(prior, r.dtype))
    t = jnp.minimum(jnp.sum(u[0][:, None] >= cdf[:-1], axis=-1), r.shape[0] - 1)
    r_t = r[t]
    q = r_t * c + (1.0 - r_t) * (1.0 - s)  # acceptance probability of one attempt
    # inverse-CDF geometric on {0, 1, ...}: floor(log V / log(1 - q)), V = 1 - u in (0, 1]
    log_v = jnp.log1p(-u[1])
    log_miss = jnp.log1p(-jnp.minimum(q, 1.0))
    geo = jnp.where(q > 0, jnp.floor(log_v / jnp.where(q < 1, log_miss, -jnp.inf)), K)
    first = jnp.minimum(geo, K).astype(jnp.int32)
    acc_correct = (first < K) & (u[2] * q < r_t * c)
    return {"type": t, "first_accept": first, "accepted_correct": acc_correct}


def mc_outcomes(sim: dict, Ks, cost, K_sim: int | None = None) -> dict:
    """Monte Carlo accuracy and utility (with standard errors) at budgets ``Ks`` from one simulation.

    Args:
      sim: output of :func:`simulate_resampling` (``K_sim`` attempts).
      Ks: ``[M]`` budgets, each ``<= K_sim``.
      cost: false-positive cost ``C``.
      K_sim: the ``K`` the simulation was run with (optional). When given, budgets above it are
        rejected; without it a budget above ``K_sim`` cannot be detected (the simulation does not
        record its ``K``) and returns the outcome at ``K_sim``.

    Returns:
      dict of ``[M]`` arrays: ``acc``, ``acc_se``, ``utility``, ``utility_se``, ``fp_rate``.

    Raises:
      ValueError: ``sim`` without equal-length ``first_accept``/``accepted_correct`` arrays;
        ``Ks`` not integers >= 0 (or above ``K_sim``); ``cost`` negative or not finite;
        ``K_sim`` < 1 (concrete inputs only).
    """
    check_nonnegative("cost", cost)
    if not isinstance(sim, dict) or not {"first_accept", "accepted_correct"} <= set(sim):
        raise ValueError("`sim` must be the dict returned by simulate_resampling.")
    if np.ndim(sim["first_accept"]) != 1 or np.shape(sim["first_accept"]) != np.shape(
        sim["accepted_correct"]
    ):
        raise ValueError(
            "`sim` must hold 1-D `first_accept` and `accepted_correct` of one length; got "
            f"{np.shape(sim['first_accept'])} and {np.shape(sim['accepted_correct'])}."
        )
    check_array("Ks", Ks, ndim=1, finite=False)
    if K_sim is not None:
        K_sim = check_int("K_sim", K_sim, min_value=1)
        check_index("Ks", Ks, K_sim + 1)
    else:
        _check_K(Ks, "Ks")
    Ks = jnp.asarray(Ks)
    first = sim["first_accept"]
    ok = sim["accepted_correct"]

    def one(K):
        accepted = first < K
        corr = (accepted & ok).astype(float)
        fp = (accepted & ~ok).astype(float)
        u = corr - cost * fp
        n = corr.shape[0]
        return (
            jnp.mean(corr),
            jnp.std(corr) / jnp.sqrt(n),
            jnp.mean(u),
            jnp.std(u) / jnp.sqrt(n),
            jnp.mean(fp),
        )

    a, ase, u, use, fp = jax.vmap(one)(Ks)
    return {"acc": a, "acc_se": ase, "utility": u, "utility_se": use, "fp_rate": fp}


def empirical_ceiling(pass_weak, pass_strong):
    """Per-task ceiling from samples: ``#(strong & weak) / #weak`` (0 where no sample passes weak).

    Args:
      pass_weak: bool ``[T, S]``: sample passes the imperfect verifier (e.g. HumanEval tests).
      pass_strong: bool ``[T, S]``: sample passes the ground truth (e.g. HumanEval+ tests).

    Returns:
      ``[T]``.

    Raises:
      ValueError: ``pass_weak`` not a ``[T, S]`` array of 0/1 values; ``pass_strong`` not 0/1 of the
        same shape.
    """
    check_array("pass_weak", pass_weak, ndim=2, finite=False)
    _check_binary("pass_weak", pass_weak)
    _check_binary("pass_strong", pass_strong)
    if np.shape(pass_strong) != np.shape(pass_weak):
        raise ValueError(
            f"`pass_strong` must have the shape of `pass_weak` {np.shape(pass_weak)}; "
            f"got {np.shape(pass_strong)}."
        )
    w = jnp.asarray(pass_weak, bool)
    b = jnp.asarray(pass_strong, bool)
    nw = jnp.sum(w, axis=1)
    nb = jnp.sum(w & b, axis=1)
    return jnp.where(nw > 0, nb / jnp.maximum(nw, 1), 0.0)
