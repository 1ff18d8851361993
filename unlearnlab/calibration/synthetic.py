"""Synthetic classifiers with a known calibration map (for rate and bound tests).

``known_map``: scores :math:`s\\sim\\mathcal N(0,\\tau^2I_C)`, labels :math:`y\\sim\\mathrm{Cat}(
\\mathrm{softmax}(s))`, reported logits :math:`z=s/\\beta_{\\rm true}`. The true calibration map is
temperature scaling with :math:`T^*=1/\\beta_{\\rm true}`: :math:`\\mathrm{softmax}(z/T^*)=
\\mathrm{softmax}(s)`. :math:`\\beta_{\\rm true}<1` is over-confident, :math:`=1` calibrated.

``binary_offset``: :math:`q\\sim U(0,1)`, :math:`y\\sim\\mathrm{Bern}(q)`, reported
:math:`p=\\mathrm{clip}(q+\\delta,0,1)` (a constant mis-calibration of size about :math:`\\delta`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from unlearnlab.lab.checks import check_in_range, check_int, check_positive

__all__ = ["known_map", "binary_offset", "top_label_truth"]


def known_map(key, n: int, C: int, beta_true: float = 1.0, tau: float = 2.5):
    """Logits with a known temperature-scaling calibration map.

    Args:
      key: PRNG key. n: samples. C: classes. beta_true: :math:`\\beta_{\\rm true}>0`.
      tau: score scale :math:`\\tau>0`.

    Returns:
      ``(logits (n, C), labels (n,) int32)``.
    """
    n = check_int("n", n, min_value=1)
    C = check_int("C", C, min_value=2)
    check_positive("beta_true", beta_true)
    check_positive("tau", tau)
    ks, ky = jax.random.split(key)
    s = tau * jax.random.normal(ks, (n, C))
    y = jax.random.categorical(ky, s, axis=1).astype(jnp.int32)
    return s / beta_true, y


def binary_offset(key, n: int, delta: float = 0.1):
    """Binary predictor off by ``delta``: returns ``(p (n,), y (n,) float, q (n,) true prob.)``."""
    n = check_int("n", n, min_value=1)
    check_in_range("delta", delta, -1.0, 1.0)
    kq, ky = jax.random.split(key)
    q = jax.random.uniform(kq, (n,))
    y = (jax.random.uniform(ky, (n,)) < q).astype(q.dtype)
    return jnp.clip(q + delta, 0.0, 1.0), y, q


def top_label_truth(key, n: int, C: int, beta_true: float, tau: float = 2.5):
    """Noise-free top-label pairs of ``known_map``'s predictor: ``(conf, q_top)`` (n,) each, with
    :math:`\\mathrm{conf}=\\max_c\\mathrm{softmax}(z)_c` and :math:`q_{\\rm top}=\\Pr(Y=\\arg\\max z\\mid s)=
    \\mathrm{softmax}(s)_{\\arg\\max z}`. ``binned_ece(conf, q_top)`` at large ``n`` is the population
    binned calibration error (no label noise)."""
    n = check_int("n", n, min_value=1)
    C = check_int("C", C, min_value=2)
    check_positive("beta_true", beta_true)
    check_positive("tau", tau)
    s = tau * jax.random.normal(key, (n, C))
    p = jax.nn.softmax(s / beta_true, axis=1)
    q = jax.nn.softmax(s, axis=1)
    top = jnp.argmax(p, axis=1)
    return jnp.max(p, axis=1), jnp.take_along_axis(q, top[:, None], 1)[:, 0]
