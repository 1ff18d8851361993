"""Good-Turing estimators: the monofact rate, the missing mass and Good-Turing mass by count.

The training sample is summarised by ``counts`` (int[m]): ``counts[i]`` is how many of the ``n``
training documents state fact ``i``. Everything here is a function of these multiplicities.

References:
  A. T. Kalai, S. S. Vempala, *Calibrated Language Models Must Hallucinate*, STOC 2024,
  arXiv 2311.14648 v3 (the monofact rate, Sec. 1 and Corollary 1).
  I. J. Good, *The population frequencies of species and the estimation of population
  parameters*, Biometrika 40 (1953) (the estimator ``(c+1) N_{c+1} / n``).
"""

from __future__ import annotations

import jax.numpy as jnp

from unlearnlab.lab import checks
from unlearnlab.lab.checks import check_counts, check_distribution, check_positive_int_value

__all__ = [
    "monofact_rate",
    "missing_mass",
    "count_of_counts",
    "good_turing_mass_by_count",
    "good_turing_bias",
]


def _n(counts):
    return jnp.sum(counts)


def monofact_rate(counts):
    r"""The monofact rate :math:`\widehat{MF} = N_1 / n`, the Good-Turing missing-mass estimate.

    .. math:: \widehat{MF} = \frac{|\{i : c_i = 1\}|}{n}, \qquad n = \sum_i c_i

    ============  ==============================
    symbol        argument
    ============  ==============================
    :math:`c_i`   ``counts[i]``
    :math:`N_1`   number of facts seen once
    ============  ==============================

    Args:
      counts: int[m], non-negative multiplicities with a positive total.

    Returns:
      scalar in [0, 1].

    References:
      Kalai & Vempala, arXiv 2311.14648 v3, Sec. 1 (the "monofact" rate) and Corollary 1.
    """
    check_counts("counts", counts)
    counts = jnp.asarray(counts)
    n1 = jnp.sum(counts == 1)
    return n1 / _n(counts)


def missing_mass(counts, p):
    r"""The missing mass :math:`MM = p(U) = \sum_{i: c_i = 0} p_i` of the unobserved facts.

    ============  ==============================
    symbol        argument
    ============  ==============================
    :math:`c_i`   ``counts[i]``
    :math:`p_i`   ``p[i]``, true fact probability
    ============  ==============================

    Args:
      counts: int[m], non-negative multiplicities with a positive total.
      p: float[m], the true fact distribution (non-negative, sums to 1).

    Returns:
      scalar in [0, 1].
    """
    check_counts("counts", counts)
    check_distribution("p", p, like=counts)
    counts, p = jnp.asarray(counts), jnp.asarray(p)
    return jnp.sum(jnp.where(counts == 0, p, 0.0))


def count_of_counts(counts, c_max: int):
    r"""The count-of-counts vector :math:`N_c = |\{i : c_i = c\}|` for ``c = 0..c_max``.

    Args:
      counts: int[m].
      c_max: largest count tracked (static Python int); larger counts are dropped.

    Returns:
      int[c_max + 1].
    """
    check_counts("counts", counts)
    c_max = checks.check_int("c_max", c_max, min_value=0)
    counts = jnp.asarray(counts).astype(jnp.int32)
    return jnp.bincount(jnp.where(counts <= c_max, counts, c_max + 1), length=c_max + 2)[:-1]


def good_turing_mass_by_count(counts, c_max: int):
    r"""Good-Turing estimates of the total mass of facts seen ``c`` times: :math:`(c+1)N_{c+1}/n`.

    .. math:: \hat M_c = \frac{(c+1)\, N_{c+1}}{n}, \qquad c = 0, \dots, c_{\max}

    Entry ``0`` is the monofact rate :math:`N_1/n` (the missing-mass estimate).

    Args:
      counts: int[m].
      c_max: last count estimated (static Python int).

    Returns:
      float[c_max + 1].

    References:
      Good (1953), Eq. (2); Kalai & Vempala, arXiv 2311.14648 v3, Sec. 1.
    """
    check_counts("counts", counts)
    c_max = checks.check_int("c_max", c_max, min_value=0)
    counts = jnp.asarray(counts).astype(jnp.int32)
    nc = jnp.bincount(jnp.where(counts <= c_max + 1, counts, c_max + 2), length=c_max + 3)
    c = jnp.arange(c_max + 1)
    return (c + 1) * nc[1 : c_max + 2] / _n(counts)


def good_turing_bias(p, n):
    r"""The exact bias of the monofact rate: :math:`E[N_1/n] - E[MM] = \sum_i p_i^2 (1-p_i)^{n-1}`.

    Derivation [derived]: :math:`E[N_1] = \sum_i n p_i (1-p_i)^{n-1}` and
    :math:`E[MM] = \sum_i p_i (1-p_i)^n`, so the difference is
    :math:`\sum_i p_i(1-p_i)^{n-1}(1 - (1-p_i)) = \sum_i p_i^2 (1-p_i)^{n-1}`.

    Args:
      p: float[m], the fact distribution.
      n: number of i.i.d. training documents.

    Returns:
      scalar >= 0.
    """
    check_distribution("p", p)
    check_positive_int_value("n", n)
    p = jnp.asarray(p)
    return jnp.sum(p**2 * jnp.power(1.0 - p, n - 1))
