"""The noisy-verifier reward channel, its backward/forward corrections, and FN-rate appeals.

A binary verifier observes the clean reward ``R* in {0, 1}`` through a class-conditional channel

    rho0 = P(R~ = 1 | R* = 0)   (false-positive rate),
    rho1 = P(R~ = 0 | R* = 1)   (false-negative rate),

so that ``E[R~ | R*] = rho0 + (1 - rho0 - rho1) R*``. Youden's ``J = 1 - rho0 - rho1`` must be
positive for the observed reward to carry any information in the right direction; every public
function here rejects ``rho0 + rho1 >= 1``.

* Backward correction (PGBC): ``R^ = (R~ - rho0) / (1 - rho0 - rho1)``, with ``E[R^ | R*] = R*``.
* Forward correction (PGFC): score terms weighted by ``w = R~ - (1 - rho1)`` (``w_1 = rho1``,
  ``w_0 = rho1 - 1``), with ``E[w | R*] = -(1 - rho0 - rho1)(1 - R*)``; only ``rho1`` is needed.
* Appeals: rule-based negatives are re-checked by a second verifier; with a perfect appeal verifier
  and ``rho0 = 0``, ``rho1_hat = N_{0->1} / (N_{R~=1} + N_{0->1})``.

Symbols -> arguments: ``R*`` -> ``clean_r``; ``R~`` -> ``r_tilde``; ``rho0`` -> ``rho0``;
``rho1`` -> ``rho1``; appeal verifier TPR/FPR ``t_a``/``f_a`` -> ``t_a``/``f_a``;
``P(R* = 1)`` -> ``p_correct``.

References:
  Cai, Wang, Liu, Liu, Niu, Sugiyama, "Reinforcement Learning with Verifiable yet Noisy Rewards
  under Imperfect Verifiers", arXiv:2510.00915 (channel model: abstract / Sec. 3; the PGBC formula
  and the PGFC weights are taken from a secondary summary and were not checked against the paper's
  equations, see ``theory/noisy_verifier_pg.md``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import check_array, check_in_range, check_probability, is_traced

__all__ = [
    "check_rates",
    "noisy_verifier",
    "backward_corrected_reward",
    "forward_weights",
    "appeal_fn_estimate",
    "appeal_overturn_prob",
    "rho1_from_overturn",
]


def check_rates(rho0, rho1, *, names=("rho0", "rho1")):
    """Validate noise rates: each in [0, 1], and ``rho0 + rho1 < 1`` elementwise (broadcast).

    Skipped for traced values (validate a vmapped grid once, before ``vmap``).

    Raises:
      ValueError: naming the argument and the broken rule.
    """
    n0, n1 = names
    check_probability(n0, rho0)
    check_probability(n1, rho1)
    if is_traced(rho0) or is_traced(rho1):
        return
    s = np.asarray(rho0, float) + np.asarray(rho1, float)
    if np.any(s >= 1.0):
        bad = s[s >= 1.0].ravel()[:3].tolist()
        raise ValueError(
            f"`{n0}` + `{n1}` must be < 1 elementwise (Youden's J = 1 - rho0 - rho1 > 0); "
            f"got sum(s) {bad}."
        )


def _check_binary(name, x):
    check_array(name, x)
    if is_traced(x):
        return
    arr = np.asarray(x)
    if not np.all((arr == 0) | (arr == 1)):
        bad = np.unique(arr[(arr != 0) & (arr != 1)])[:3].tolist()
        raise ValueError(f"`{name}` must hold only 0/1 values; got {bad}.")


def _channel_p1(clean_r, rho0, rho1):
    return jnp.where(clean_r > 0.5, 1.0 - rho1, rho0)


def noisy_verifier(key, clean_r, rho0, rho1):
    """Pass clean binary rewards through the class-conditional noise channel.

    ``P(R~ = 1 | R* = 1) = 1 - rho1``, ``P(R~ = 1 | R* = 0) = rho0``, independently per entry.

    Args:
      key: PRNG key.
      clean_r: clean rewards ``R*`` in {0, 1}, any shape.
      rho0: false-positive rate(s), broadcastable to ``clean_r``.
      rho1: false-negative rate(s), broadcastable to ``clean_r``.

    Returns:
      Observed rewards ``R~`` (float, 0/1), the shape of ``clean_r`` broadcast with the rates.

    Raises:
      ValueError: rates outside [0, 1], ``rho0 + rho1 >= 1``, or non-binary ``clean_r``.
    """
    _check_binary("clean_r", clean_r)
    check_rates(rho0, rho1)
    clean_r = jnp.asarray(clean_r)
    p1 = _channel_p1(clean_r, jnp.asarray(rho0), jnp.asarray(rho1))
    return jax.random.bernoulli(key, p1).astype(p1.dtype)


def _backward(r_tilde, rho0, rho1):
    return (r_tilde - rho0) / (1.0 - rho0 - rho1)


def _forward(r_tilde, rho1):
    return r_tilde - (1.0 - rho1)


def backward_corrected_reward(r_tilde, rho0, rho1):
    """Backward (PGBC) correction: the unbiased surrogate reward.

        R^ = (R~ - rho0) / (1 - rho0 - rho1),      E[R^ | R*] = R*.

    Args:
      r_tilde: observed rewards ``R~`` in {0, 1}, any shape.
      rho0, rho1: FP and FN rates, broadcastable to ``r_tilde``.

    Returns:
      ``R^`` with the broadcast shape. Values ``(1 - rho0)/J`` for ``R~ = 1`` and ``-rho0/J`` for
      ``R~ = 0`` (unbounded as ``J = 1 - rho0 - rho1 -> 0``).

    References:
      arXiv:2510.00915, backward correction (formula from a secondary summary; unbiasedness derived
      in ``theory/noisy_verifier_pg.md``, Prop. 1).
    """
    _check_binary("r_tilde", r_tilde)
    check_rates(rho0, rho1)
    return _backward(jnp.asarray(r_tilde), jnp.asarray(rho0), jnp.asarray(rho1))


def forward_weights(r_tilde, rho1):
    """Forward (PGFC) per-sample weights on score-function terms: ``w = R~ - (1 - rho1)``.

    ``w_1 = rho1``, ``w_0 = rho1 - 1``; ``|w| <= 1``; ``E[w | R*=1] = 0``,
    ``E[w | R*=0] = -(1 - rho0 - rho1)``, so ``E[w grad log pi] = (1 - rho0 - rho1) grad J``.

    Args:
      r_tilde: observed rewards in {0, 1}, any shape.
      rho1: FN rate(s) in [0, 1), broadcastable to ``r_tilde``.

    Returns:
      Weights with the broadcast shape.

    Raises:
      ValueError: non-binary ``r_tilde``; ``rho1`` outside [0, 1) (``rho1 >= 1`` already breaks
        ``rho0 + rho1 < 1`` for any ``rho0 >= 0``).

    References:
      arXiv:2510.00915, forward correction (weights from a secondary summary; alignment derived in
      ``theory/noisy_verifier_pg.md``, Prop. 2).
    """
    _check_binary("r_tilde", r_tilde)
    check_rates(0.0, rho1)
    return _forward(jnp.asarray(r_tilde), jnp.asarray(rho1))


def appeal_fn_estimate(r_tilde, appeal_overturn):
    """False-negative rate from appeals of negatives (perfect appeal verifier, ``rho0 = 0``).

        rho1_hat = N_{0->1} / (N_{R~=1} + N_{0->1}),

    where ``N_{0->1}`` counts negatives (``R~ = 0``) that the appeal overturned. With ``rho0 = 0``
    and a perfect appeal, the denominator counts exactly the clean-correct samples, so ``rho1_hat``
    is a binomial proportion with standard error ``sqrt(rho1 (1 - rho1) / N_correct)``.

    Args:
      r_tilde: observed rewards in {0, 1}, shape ``[N]`` (any shape; all entries are pooled).
      appeal_overturn: 0/1 (or bool), same shape; 1 where a negative was overturned. Must be 0
        wherever ``r_tilde == 1`` (only negatives are appealed).

    Returns:
      Scalar ``rho1_hat`` (0 if no sample is positive or overturned).

    References:
      arXiv:2510.00915, appeals mechanism (abstract); the estimator is a reconstruction.
    """
    _check_binary("r_tilde", r_tilde)
    _check_binary("appeal_overturn", appeal_overturn)
    if np.shape(r_tilde) != np.shape(appeal_overturn):
        raise ValueError(
            f"`appeal_overturn` must have the shape of `r_tilde` {np.shape(r_tilde)}; "
            f"got {np.shape(appeal_overturn)}."
        )
    if not (is_traced(r_tilde) or is_traced(appeal_overturn)):
        if np.any((np.asarray(r_tilde) == 1) & (np.asarray(appeal_overturn) == 1)):
            raise ValueError(
                "`appeal_overturn` must be 0 where `r_tilde` == 1 (only negatives are appealed)."
            )
    r = jnp.asarray(r_tilde, float)
    o = jnp.asarray(appeal_overturn, float) * (1.0 - r)
    n1, n01 = jnp.sum(r), jnp.sum(o)
    den = n1 + n01
    return jnp.where(den > 0, n01 / jnp.where(den > 0, den, 1.0), 0.0)


def appeal_overturn_prob(rho0, rho1, p_correct, t_a, f_a):
    """Probability that an appeal overturns a negative, for an imperfect appeal verifier.

        P(overturn | R~=0) = [rho1 p t_a + (1 - rho0)(1 - p) f_a] / [rho1 p + (1 - rho0)(1 - p)]

    with ``p = P(R* = 1)``, appeal TPR ``t_a`` and FPR ``f_a`` (derived, spec B.4).

    Args:
      rho0, rho1: channel rates (scalars or broadcastable arrays, as are the others).
      p_correct: ``P(R* = 1)``.
      t_a, f_a: appeal TPR, FPR.

    Returns:
      The overturn probability (0 where ``P(R~ = 0) = 0``).
    """
    check_rates(rho0, rho1)
    for n, v in (("p_correct", p_correct), ("t_a", t_a), ("f_a", f_a)):
        check_probability(n, v)
    num = rho1 * p_correct * t_a + (1.0 - rho0) * (1.0 - p_correct) * f_a
    den = rho1 * p_correct + (1.0 - rho0) * (1.0 - p_correct)
    den = jnp.asarray(den)
    return jnp.where(den > 0, num / jnp.where(den > 0, den, 1.0), 0.0)


def rho1_from_overturn(overturn, rho0, p_correct, t_a, f_a):
    """Invert :func:`appeal_overturn_prob` for ``rho1`` (derived):

        rho1 = (1 - rho0)(1 - p)(o - f_a) / (p (t_a - o)).

    Requires ``f_a <= o < t_a`` and ``p > 0``; returns NaN-free values (0 where ``p (t_a - o) = 0``).

    Raises:
      ValueError: ``overturn``, ``t_a``, ``f_a`` or ``rho0`` outside [0, 1]; ``p_correct`` outside
        (0, 1] (concrete inputs only).
    """
    for n, v in (
        ("overturn", overturn),
        ("p_correct", p_correct),
        ("t_a", t_a),
        ("f_a", f_a),
        ("rho0", rho0),
    ):
        check_probability(n, v)
    check_in_range("p_correct", p_correct, 0.0, 1.0, lo_open=True)
    den = jnp.asarray(p_correct * (t_a - overturn))
    num = (1.0 - rho0) * (1.0 - p_correct) * (overturn - f_a)
    return jnp.where(den != 0, num / jnp.where(den != 0, den, 1.0), 0.0)
