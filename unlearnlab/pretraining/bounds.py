"""Theorem 3.3 of Ge et al. (2024) in generic form, its factor-model and GMM instances, the baseline.

The paper's constants could not be read (only its abstract and the public reviews were available,
see ``theory/pretraining.md``), so every multiplier is an explicit argument with default 1
[reconstruction]. The shapes are those of the abstract [paper] and of Theorem 5.3 as quoted in the
reviews [reviews]::

    pretraining + ERM:   c1 kappa L sqrt((C_Phi + log(1/delta)) / n_unlab)
                       + c2 L sqrt((C_Psi + log(1/delta)) / n_lab),
    supervised baseline: L sqrt((C_{Phi o Psi} + log(1/delta)) / n_lab).

``n_unlab = inf`` is accepted and stands for pretraining with the true phi (the first term is 0).
These are slow-rate (square-root) upper bounds for bounded losses; the lab never tests their
exponents as slopes (the squared-loss excess of these estimators decays at the fast rate 1/n).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import check_in_range, check_positive, is_traced

__all__ = ["bound_generic", "bound_factor", "bound_gmm", "bound_supervised"]


def _check_sizes(**sizes):
    for name, v in sizes.items():
        if is_traced(v):
            continue
        arr = np.asarray(v, float)
        if np.any(np.isnan(arr)) or not np.all(arr > 0):
            raise ValueError(f"`{name}` must be > 0 (inf allowed); got {v!r}.")


def _check_common(delta, kappa=1.0, L=1.0):
    check_in_range("delta", delta, 0.0, 1.0, lo_open=True, hi_open=True)
    check_positive("kappa", kappa)
    check_positive("L", L)


def _sqrt_term(C, n, delta):
    dt = jnp.result_type(float)
    n = jnp.asarray(n, dt)
    return jnp.sqrt((jnp.asarray(C, dt) + jnp.log(1.0 / jnp.asarray(delta, dt))) / n)


def bound_generic(C_phi, C_psi, n_unlab, n_lab, delta, kappa=1.0, L=1.0, c1=1.0, c2=1.0):
    """Excess-risk upper bound of MLE + ERM, Theorem 3.3 shape with explicit constants.

    ``c1 kappa L sqrt((C_Phi + log(1/delta))/n_unlab) + c2 L sqrt((C_Psi + log(1/delta))/n_lab)``.

    ===================================  ===========================
    symbol                               argument
    ===================================  ===========================
    ``C_Phi = log N_[](P_x(Phi), 1/m)``  ``C_phi``
    C_Psi ~ n R_n^2                      ``C_psi``
    m, n                                 ``n_unlab``, ``n_lab``
    delta, kappa, L                      ``delta``, ``kappa``, ``L``
    ===================================  ===========================

    Args:
      C_phi, C_psi: complexities (>= 0).
      n_unlab: unlabeled sample size (> 0, ``inf`` allowed).
      n_lab: labeled sample size (> 0).
      delta: failure probability in (0, 1).
      kappa: informativeness constant (> 0); L: loss bound (> 0); c1, c2: constants (> 0).

    Returns:
      bound (broadcast over array arguments).

    References:
      Ge et al. (2024), Theorem 3.3 (form [paper, abstract]; constants [reconstruction]).
    """
    _check_common(delta, kappa, L)
    check_positive("c1", c1)
    check_positive("c2", c2)
    for name, v in (("C_phi", C_phi), ("C_psi", C_psi)):
        check_in_range(name, v, 0.0, None)
    _check_sizes(n_unlab=n_unlab, n_lab=n_lab)
    return c1 * kappa * L * _sqrt_term(C_phi, n_unlab, delta) + c2 * L * _sqrt_term(
        C_psi, n_lab, delta
    )


def bound_factor(d, r, n_unlab, n_lab, delta, kappa=1.0, L=1.0):
    """Factor-model instance: ``C_Phi = d r`` (loadings), ``C_Psi = r`` (linear head on r features).

    Order ``sqrt(d r / n_unlab) + sqrt(r / n_lab)`` [reconstruction].
    """
    _check_sizes(d=d, r=r)
    return bound_generic(jnp.asarray(d) * jnp.asarray(r), r, n_unlab, n_lab, delta, kappa, L)


def bound_gmm(d, K, n_unlab, n_lab, delta, kappa=1.0, L=1.0):
    """Gaussian-mixture instance: ``C_Phi = K d`` (means), ``C_Psi = K`` (a label per cluster).

    Order ``sqrt(K d / n_unlab) + sqrt(K / n_lab)``, the rate of Theorem 5.3 [reviews].
    """
    _check_sizes(d=d, K=K)
    return bound_generic(jnp.asarray(K) * jnp.asarray(d), K, n_unlab, n_lab, delta, kappa, L)


def bound_supervised(C_comp, n_lab, delta, L=1.0):
    """Supervised baseline ``L sqrt((C_{Phi o Psi} + log(1/delta)) / n_lab)``; ``C_comp = d`` for OLS.

    References:
      Ge et al. (2024), abstract: the baseline ``O~(sqrt(C_{Phi o Psi}/n))`` [paper].
    """
    _check_common(delta, 1.0, L)
    check_in_range("C_comp", C_comp, 0.0, None)
    _check_sizes(n_lab=n_lab)
    return L * _sqrt_term(C_comp, n_lab, delta)
