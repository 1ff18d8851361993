"""Closed-form language models over factoids and their exact hallucination rate.

A model is represented, like the world, without materialising the hallucinations: ``g_obs`` (float[m])
is the probability the model gives each *observed* fact (0 for unobserved facts), and
``g_unseen_total`` is the total mass it spreads uniformly over the unseen factoids
``U = (unobserved facts) ∪ H``. Because every element of ``U`` gets the same probability, the mass on
hallucinations is exactly ``g_unseen_total * |H| / |U|``.

References:
  Kalai & Vempala, arXiv 2311.14648 v3, Sec. 7 (a calibrated model hallucinating at about the
  monofact rate; the algorithm itself is not available to us, the Good-Turing model below is our
  reconstruction of the idea) [reconstruction].
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from unlearnlab.lab import checks
from unlearnlab.lab.checks import check_counts

__all__ = ["FactLM", "good_turing_lm", "mle_lm", "mixture_lm", "hallucination_rate"]


class FactLM(NamedTuple):
    """A language model over factoids, restricted to what matters for hallucination."""

    g_obs: object  # float[m]: model probability of each observed fact (0 where counts == 0)
    g_unseen_total: object  # scalar: total model mass on U = (unobserved facts) ∪ H, uniform there


def good_turing_lm(counts, c_smooth: int = 5) -> FactLM:
    r"""The Good-Turing language model: calibrated on count classes, ``N_1/n`` on unseen factoids.

    .. math::
        \tilde g_i = \begin{cases} \frac{(c+1) N_{c+1}}{n N_c} & 1 \le c_i = c < c_{\rm smooth},\
            N_{c+1} > 0 \\ c_i / n & \text{otherwise} \end{cases},\qquad
        g_i = \tilde g_i \frac{1 - N_1/n}{\sum_{j \in O} \tilde g_j},\qquad
        g(U) = N_1 / n.

    The fallback ``c/n`` when ``N_{c+1} = 0`` avoids giving zero mass to an observed fact
    (a standard simple-Good-Turing smoothing choice, ours). Facts with equal counts get bitwise
    equal probabilities, so the count classes are the level sets of ``g`` (generically).

    ======================  ============================
    symbol                  argument
    ======================  ============================
    :math:`c_i`             ``counts[i]``
    :math:`N_c`             number of facts seen c times
    :math:`c_{\rm smooth}`  ``c_smooth``
    ======================  ============================

    Args:
      counts: int[m].
      c_smooth: counts below this use the Good-Turing estimate (static Python int >= 1).

    Returns:
      :class:`FactLM` with ``g_obs`` float[m] and ``g_unseen_total = N_1/n``.
    """
    check_counts("counts", counts)
    c_smooth = checks.check_int("c_smooth", c_smooth, min_value=1)
    return _good_turing_lm(jnp.asarray(counts), c_smooth)


# one compiled program per (shape, c_smooth) instead of ~35 op-by-op dispatches
@partial(jax.jit, static_argnums=1)
def _good_turing_lm(counts, c_smooth):
    counts = counts.astype(jnp.int32)
    n = jnp.sum(counts)
    nc = jnp.bincount(jnp.minimum(counts, c_smooth + 1), length=c_smooth + 2)
    c_idx = jnp.minimum(counts, c_smooth)
    n_c = nc[c_idx]
    n_c1 = nc[jnp.minimum(counts + 1, c_smooth + 1)]
    use_gt = (counts >= 1) & (counts < c_smooth) & (n_c1 > 0)
    gt = (counts + 1) * n_c1 / (n * jnp.maximum(n_c, 1))
    raw = jnp.where(counts >= 1, jnp.where(use_gt, gt, counts / n), 0.0)
    mf = nc[1] / n
    total = jnp.sum(raw)
    g_obs = jnp.where(total > 0, raw * ((1.0 - mf) / jnp.where(total > 0, total, 1.0)), 0.0)
    return FactLM(g_obs, mf)


def mle_lm(counts) -> FactLM:
    r"""The maximum-likelihood (empirical) model :math:`g_i = c_i / n`, with no mass on ``U``.

    It never hallucinates, and its miscalibration is at least the missing mass [derived].

    Args:
      counts: int[m].

    Returns:
      :class:`FactLM` with ``g_obs = counts / n`` and ``g_unseen_total = 0``.
    """
    check_counts("counts", counts)
    counts = jnp.asarray(counts)
    g = counts / jnp.sum(counts)
    return FactLM(g, jnp.zeros((), g.dtype))


def mixture_lm(g_gt: FactLM, g_mle: FactLM, lam) -> FactLM:
    r"""The mixture :math:`\lambda\, g^{GT} + (1-\lambda)\, g^{MLE}` (same training counts).

    ``lam = 0`` is the MLE model (never hallucinates); ``lam = 1`` the Good-Turing model. Both put
    uniform mass on the same ``U``, so the mixture is again a :class:`FactLM` and its hallucination
    rate is linear in ``lam``.

    Args:
      g_gt: :class:`FactLM` (the Good-Turing model).
      g_mle: :class:`FactLM` (the MLE model), fitted to the same counts.
      lam: mixture weight in [0, 1] (may be traced).

    Returns:
      :class:`FactLM`.
    """
    checks.check_probability("lam", lam)
    checks.check_tree_finite("g_gt", g_gt)
    checks.check_tree_finite("g_mle", g_mle)
    checks.check_shape("g_mle.g_obs", g_mle.g_obs, jnp.shape(g_gt.g_obs))
    return FactLM(
        lam * jnp.asarray(g_gt.g_obs) + (1 - lam) * jnp.asarray(g_mle.g_obs),
        lam * jnp.asarray(g_gt.g_unseen_total) + (1 - lam) * jnp.asarray(g_mle.g_unseen_total),
    )


def hallucination_rate(g_unseen_total, n_unobs_facts, n_hallucinations):
    r"""The exact hallucination rate :math:`g(H) = g(U)\, |H| / (|H| + |F \cap U|)`.

    The model spreads :math:`g(U)` uniformly over ``U = (F ∩ U) ∪ H``; ``H`` is never
    materialised, so ``|H|`` can be ``1e9`` or more.

    ======================  ===========================
    symbol                  argument
    ======================  ===========================
    :math:`g(U)`            ``g_unseen_total``
    :math:`|F \cap U|`      ``n_unobs_facts``
    :math:`|H|`             ``n_hallucinations``
    ======================  ===========================

    Args:
      g_unseen_total: scalar in [0, 1].
      n_unobs_facts: number of facts never seen in training (>= 0).
      n_hallucinations: number of possible hallucinations ``|H|`` (> 0).

    Returns:
      scalar in [0, 1].

    References:
      Kalai & Vempala, arXiv 2311.14648 v3, Sec. 3 (HR = g(H)) [secondary].
    """
    checks.check_probability("g_unseen_total", g_unseen_total)
    checks.check_nonnegative("n_unobs_facts", n_unobs_facts)
    checks.check_positive("n_hallucinations", n_hallucinations)
    h = jnp.asarray(n_hallucinations, jnp.result_type(float))
    return jnp.asarray(g_unseen_total) * (h / (h + n_unobs_facts))
