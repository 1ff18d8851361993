"""The Kalai-Vempala lower bound on the hallucination rate of a calibrated model, and a derived
deterministic floor.

References:
  A. T. Kalai, S. S. Vempala, *Calibrated Language Models Must Hallucinate*, STOC 2024,
  arXiv 2311.14648 v3, Corollary 1 [secondary: the statement is taken from secondary sources that
  quote it and checked against the paper's 99% headline form; see theory/hallucination_monofact.md].
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from unlearnlab.lab import checks
from unlearnlab.lab.checks import check_positive_int_value

__all__ = [
    "hallucination_lower_bound",
    "missing_mass_deviation",
    "sparsity",
    "hallucination_floor_level_sets",
]


def missing_mass_deviation(n, delta):
    r"""The Good-Turing deviation term of Corollary 1: :math:`\sqrt{6 \ln(6/\delta) / n}`.

    Args:
      n: number of training documents (positive integer).
      delta: failure probability in (0, 1].

    Returns:
      scalar > 0.
    """
    check_positive_int_value("n", n)
    checks.check_in_range("delta", delta, 0.0, 1.0, lo_open=True)
    return _deviation(n, delta)


@jax.jit
def _deviation(n, delta):
    # one compiled program: called eagerly, each of the four jnp operations compiled its own
    return jnp.sqrt(6.0 * jnp.log(6.0 / jnp.asarray(delta, float)) / n)


def hallucination_lower_bound(mf, miscal, s, n, delta):
    r"""Corollary 1 of Kalai & Vempala: w.p. :math:`\ge 1-\delta`, any model's hallucination rate obeys

    .. math::
        g(H) \;\ge\; \widehat{MF} - \mathrm{Miscal}_b(g, p) - \frac{3 e^{-s}}{\delta}
              - \sqrt{\frac{6 \ln(6/\delta)}{n}}

    for an ``s``-sparse regular world. Not clipped: a value ``<= 0`` is a vacuous bound.
    At ``delta = 0.01`` it reads ``MF - Miscal - 300 |F|/|H| - 7/sqrt(n)`` (up to
    :math:`\sqrt{6 \ln 600} = 6.20 \le 7`), the paper's headline form.

    ==========================  ==========================
    symbol                      argument
    ==========================  ==========================
    :math:`\widehat{MF}`        ``mf`` (monofact rate)
    :math:`\mathrm{Miscal}_b`   ``miscal``
    :math:`s`                   ``s`` (sparsity, ``ln |H|/|F|``)
    :math:`n`                   ``n``
    :math:`\delta`              ``delta``
    ==========================  ==========================

    Args:
      mf: monofact rate in [0, 1] (any shape; broadcasts).
      miscal: miscalibration in [0, 1].
      s: sparsity ``>= 0``.
      n: number of training documents (positive integer).
      delta: failure probability in (0, 1].

    Returns:
      the bound, broadcast shape of the inputs (may be negative).

    References:
      Kalai & Vempala, arXiv 2311.14648 v3, Corollary 1 [secondary].
    """
    checks.check_probability("mf", mf)
    checks.check_probability("miscal", miscal)
    checks.check_in_range("s", s, 0.0)
    check_positive_int_value("n", n)
    checks.check_in_range("delta", delta, 0.0, 1.0, lo_open=True)
    delta = jnp.asarray(delta, jnp.result_type(float))
    return (
        jnp.asarray(mf)
        - jnp.asarray(miscal)
        - 3.0 * jnp.exp(-jnp.asarray(s)) / delta
        - jnp.sqrt(6.0 * jnp.log(6.0 / delta) / n)
    )


def sparsity(n_hallucinations, m):
    r"""The sparsity used by the simulator, :math:`s = \ln(|H| / |F|)` [derived].

    With this ``s`` the fraction of facts among unseen factoids,
    :math:`|F \cap U| / (|H| + |F \cap U|)`, is at most :math:`|F|/|H| = e^{-s}`.

    Args:
      n_hallucinations: ``|H| > 0``.
      m: ``|F| > 0``.

    Returns:
      scalar (``>= 0`` when ``|H| >= |F|``).
    """
    checks.check_positive("n_hallucinations", n_hallucinations)
    checks.check_positive("m", m)
    return jnp.log(jnp.asarray(n_hallucinations, float) / m)


def hallucination_floor_level_sets(mm, miscal, rho):
    r"""Derived deterministic floor for level-set miscalibration: :math:`g(H) \ge (1-\rho)(p(U) - \mathrm{Miscal})`.

    [derived] If ``U`` (the unseen factoids, all with equal model probability) is a level set of
    ``g``, then :math:`\mathrm{Miscal} = \tfrac12\sum_B |p(B) - g(B)| = \sum_B (p(B) - g(B))_+ \ge
    p(U) - g(U)`, and :math:`g(H) = (1-\rho)\, g(U)` with :math:`\rho = |F\cap U|/|U|`. No
    probability is involved: it holds for every sample. Corollary 1 then follows from
    :math:`\rho \le e^{-s}` and :math:`p(U) \approx \widehat{MF}`.

    Args:
      mm: missing mass ``p(U)``.
      miscal: level-set miscalibration.
      rho: fraction of facts among the unseen factoids, in [0, 1].

    Returns:
      the floor (may be negative).
    """
    checks.check_probability("mm", mm)
    checks.check_probability("miscal", miscal)
    checks.check_probability("rho", rho)
    return (1.0 - jnp.asarray(rho)) * (jnp.asarray(mm) - jnp.asarray(miscal))
