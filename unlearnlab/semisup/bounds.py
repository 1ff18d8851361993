"""Generalisation bounds of Saberi et al. (ICLR 2024) for the isotropic GMM, and the VC baseline.

Theorems 4.1 and 4.2 are quoted **as printed on the authors' poster, with constants hidden in
O(.)** (the numbering is the paper's, as cited by the public reviews). The lab makes the hidden
constant an explicit multiplier ``C`` (default 1): each function returns ``C x`` (the expression
inside ``O(.)``). With ``C = 1`` they are *not* certified bounds; they are the printed rates.

Symbols -> arguments: ``m`` -> ``n_lab``, ``n`` -> ``n_unlab``, ``||mu_0||`` -> ``mu0_norm``,
``sigma_0`` -> ``sigma0``, ``||mu_1||`` -> ``mu1_norm``, ``sigma_1`` -> ``sigma1``, ``delta`` ->
``delta``, ``alpha`` -> ``alpha``, ``gamma`` -> ``gamma``. All arguments broadcast (arrays allowed).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import check_in_range

__all__ = ["bound_thm41", "bound_thm42", "bound_erm_vc", "corollary_regime", "thm42_prefactor"]


def _common(d, n_lab, delta, C):
    check_in_range("d", d, 1, None)
    check_in_range("n_lab", n_lab, 1, None)
    check_in_range("delta", delta, 0.0, 1.0, lo_open=True, hi_open=True)
    check_in_range("C", C, 0.0, None, lo_open=True)


def _f(x):
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.result_type(float))


def bound_thm41(d, n_lab, n_unlab, alpha, delta, mu0_norm, sigma0, gamma, C=1.0):
    """Theorem 4.1 (robust loss, isotropic GMM), ``C x`` the expression inside ``O(.)``.

    With probability ``>= 1 - delta``,
    ``E_{P_0} phi_gamma(theta^RSS) - min_theta E_{P_0} phi_gamma(theta) <=``

    .. math:: C\\Big[\\gamma\\sqrt{\\tfrac{2d}{m}\\Big(\\alpha(\\|\\mu_0\\|^2+\\sigma_0^2)
       + \\sqrt{\\tfrac{2d}{2n+m}} + \\sqrt{\\tfrac{2\\log(1/\\delta)}{2n+m}}\\Big)}
       + \\sqrt{\\tfrac{2\\log(1/\\delta)}{m}}\\Big].

    Returns:
      The bound (array broadcast over the arguments).

    References:
      Saberi et al. 2024, Theorem 4.1, as printed on the authors' poster; constants hidden in O(.).
    """
    _common(d, n_lab, delta, C)
    check_in_range("n_unlab", n_unlab, 0, None)
    check_in_range("alpha", alpha, 0, None)
    check_in_range("mu0_norm", mu0_norm, 0, None)
    check_in_range("sigma0", sigma0, 0, None, lo_open=True)
    check_in_range("gamma", gamma, 0, None, lo_open=True)
    d, m, n = _f(d), _f(n_lab), _f(n_unlab)
    log1d = jnp.log(1.0 / _f(delta))
    inner = (
        alpha * (_f(mu0_norm) ** 2 + _f(sigma0) ** 2)
        + jnp.sqrt(2 * d / (2 * n + m))
        + jnp.sqrt(2 * log1d / (2 * n + m))
    )
    return C * (gamma * jnp.sqrt(2 * d / m * inner) + jnp.sqrt(2 * log1d / m))


def thm42_prefactor(mu0_norm, sigma0):
    """The prefactor ``exp(-||mu_0||^2 / (4 sigma_0^2)) / sqrt(2 sigma_0 sqrt(2 pi))`` of Thm 4.2."""
    check_in_range("mu0_norm", mu0_norm, 0, None)
    check_in_range("sigma0", sigma0, 0, None, lo_open=True)
    mu0_norm, sigma0 = _f(mu0_norm), _f(sigma0)
    return jnp.exp(-(mu0_norm**2) / (4 * sigma0**2)) / jnp.sqrt(2 * sigma0 * math.sqrt(2 * math.pi))


def bound_thm42(d, n_lab, n_unlab, alpha, delta, mu0_norm, sigma0, mu1_norm, sigma1, C=1.0):
    """Theorem 4.2 (0-1 excess risk, isotropic GMM), ``C x`` the expression inside ``O(.)``.

    With probability ``>= 1 - delta``, ``R(theta^RSS) - min_theta R(theta) <=``

    .. math:: C\\Big[\\frac{e^{-\\|\\mu_0\\|^2/(4\\sigma_0^2)}}{\\sqrt{2\\sigma_0\\sqrt{2\\pi}}}
       \\Big((\\|\\mu_1\\|^2+\\sigma_1^2)\\frac{2d\\alpha}{m}
       + \\frac{4d}{m}\\sqrt{\\frac{2d+2\\log(1/\\delta)}{2n+m}}\\Big)^{1/4}
       + \\sqrt{\\frac{2\\log(1/\\delta)}{m}}\\Big].

    The exponents 1/4 (and the implied 1/8 in ``n``) are artefacts of the analysis, not the
    empirical rates of the estimator (``theory/semisup_dro.md``).

    Returns:
      The bound (array broadcast over the arguments).

    References:
      Saberi et al. 2024, Theorem 4.2, as printed on the authors' poster; constants hidden in O(.).
    """
    _common(d, n_lab, delta, C)
    check_in_range("n_unlab", n_unlab, 0, None)
    check_in_range("alpha", alpha, 0, None)
    check_in_range("mu0_norm", mu0_norm, 0, None)
    check_in_range("mu1_norm", mu1_norm, 0, None)
    check_in_range("sigma0", sigma0, 0, None, lo_open=True)
    check_in_range("sigma1", sigma1, 0, None, lo_open=True)
    d, m, n = _f(d), _f(n_lab), _f(n_unlab)
    log1d = jnp.log(1.0 / _f(delta))
    inner = (_f(mu1_norm) ** 2 + _f(sigma1) ** 2) * 2 * d * alpha / m + 4 * d / m * jnp.sqrt(
        (2 * d + 2 * log1d) / (2 * n + m)
    )
    return C * (thm42_prefactor(mu0_norm, sigma0) * inner**0.25 + jnp.sqrt(2 * log1d / m))


def bound_erm_vc(d, n_lab, delta, C=1.0):
    """VC-type baseline for labeled-only ERM: ``C sqrt((d + log(1/delta)) / n_lab)``.

    References:
      Saberi et al. 2024 (poster) comparison baseline; sample complexity ``O(d / eps^2)``.
    """
    _common(d, n_lab, delta, C)
    return C * jnp.sqrt((_f(d) + jnp.log(1.0 / _f(delta))) / _f(n_lab))


def corollary_regime(d, n_lab, n_unlab, alpha):
    """The corollary's regime where RSS provably beats ERM: ``n_unlab >= n_lab^2/d`` and
    ``alpha <= d/n_lab`` (orders only; constants and ``log(1/delta)`` terms dropped).

    Equivalent to both leading terms of Theorem 4.2, ``(d alpha/m)^{1/4}`` and
    ``(d/m)^{1/4} (d/n)^{1/8}``, being ``<= (d/m)^{1/2}``.

    Returns:
      ``bool`` for scalar inputs, a NumPy bool array otherwise.

    References:
      Saberi et al. 2024, corollary of Theorem 4.2 (poster and ``README.md`` of the authors' code).
    """
    check_in_range("d", d, 1, None)
    check_in_range("n_lab", n_lab, 1, None)
    check_in_range("n_unlab", n_unlab, 0, None)
    check_in_range("alpha", alpha, 0, None)
    d, m, n, a = (np.asarray(v, dtype=float) for v in (d, n_lab, n_unlab, alpha))
    out = (n * d >= m * m) & (a * m <= d)
    return bool(out) if out.ndim == 0 else out
