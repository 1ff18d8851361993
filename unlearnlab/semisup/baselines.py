"""Baselines: the labeled-only ERM proxy (mean estimator) and a PCA-sign SSL reference.

``fit_erm_mean`` is the lab's proxy for the paper's ERM column (its accuracy in closed form,
``Phi(||mu|| cos angle / sigma)``, matches the paper's 0.59 / 0.62 / 0.65 at ``d = 200``).
``fit_pca_sign`` is a reference semi-supervised estimator, **not from the paper**.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from unlearnlab.lab.checks import check_array, check_shape
from unlearnlab.semisup.gaussian_mixture import _check_pm1, _float

__all__ = ["fit_erm_mean", "fit_pca_sign"]


def _check_labeled(Xl, yl):
    Xl, yl = _float(Xl), _float(yl)
    check_array("Xl", Xl, ndim=2)
    check_array("yl", yl, ndim=1)
    if Xl.shape[0] < 1:
        raise ValueError(f"`Xl` needs n_lab >= 1 rows; got shape {Xl.shape}.")
    check_shape("yl", yl, (Xl.shape[0],))
    _check_pm1("yl", yl)
    return Xl, yl


def _check_unlabeled(Xu, d):
    Xu = _float(Xu)
    check_array("Xu", Xu, ndim=2)
    if Xu.shape[1] != d:
        raise ValueError(f"`Xu` must have d = {d} columns like `Xl`; got shape {Xu.shape}.")
    return Xu


def fit_erm_mean(Xl, yl) -> jax.Array:
    """ERM proxy: the labeled mean estimator ``theta_hat = (1/n_lab) sum_i y_i X_i``.

    For the isotropic GMM ``theta_hat = mu + (sigma/sqrt(n_lab)) g`` with ``g ~ N(0, I_d)``, so
    ``cos angle(theta_hat, mu) ≈ ||mu|| / sqrt(||mu||^2 + sigma^2 d / n_lab)`` and the excess risk
    decays like ``d / n_lab`` (not the VC rate ``sqrt(d / n_lab)``).

    Args:
      Xl: ``(n_lab, d)`` labeled points.
      yl: ``(n_lab,)`` labels in ``{-1, +1}``.

    Returns:
      ``(d,)`` weights (not normalised).
    """
    Xl, yl = _check_labeled(Xl, yl)
    return jnp.mean(yl[:, None] * Xl, axis=0)


def fit_pca_sign(Xl, yl, Xu) -> jax.Array:
    """Reference SSL estimator: top eigenvector of ``Xu^T Xu / n_unlab``, sign from ``sum_i y_i X_i``.

    Not from the paper (a reference for what the unlabeled data can give): the second moment of the
    symmetric mixture is ``mu_1 mu_1^T + sigma_1^2 I``, whose top eigenvector is ``±mu_1/||mu_1||``;
    the labeled data fix the sign. With ``n_unlab = 0`` it returns the normalised ERM proxy.

    Args:
      Xl: ``(n_lab, d)``; yl: ``(n_lab,)`` in ``{-1, +1}``; Xu: ``(n_unlab, d)``.

    Returns:
      ``(d,)`` unit-norm weights.

    References:
      Spec ``semisup-dro.md`` §1.6 [reconstruction]; expected
      ``cos^2 ≈ (1 - (d/n)/||mu||^4) / (1 + (d/n)/||mu||^2)`` (``sigma = 1``).
    """
    Xl, yl = _check_labeled(Xl, yl)
    Xu = _check_unlabeled(Xu, Xl.shape[1])
    m = jnp.mean(yl[:, None] * Xl, axis=0)
    if Xu.shape[0] == 0:
        return m / jnp.linalg.norm(m)
    C = Xu.T @ Xu / Xu.shape[0]
    _, V = jnp.linalg.eigh(C)
    v = V[:, -1]
    s = jnp.where(v @ m >= 0, 1.0, -1.0).astype(v.dtype)
    return s * v
