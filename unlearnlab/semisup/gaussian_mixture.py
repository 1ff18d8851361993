"""Two-component Gaussian mixtures, the out-of-domain shift, and exact risks of linear rules.

Setting of Saberi et al., *Out-Of-Domain Unlabeled Data Improves Generalization* (ICLR 2024,
arXiv 2310.00027), isotropic GMM instance: ``P_0(X | y) = N(y mu_0, sigma_0^2 I_d)`` with
``y`` uniform on ``{-1, +1}``; the unlabeled out-of-domain marginal is
``P_{1,X} = 1/2 sum_{u = +-1} N(u mu_1, sigma_1^2 I_d)`` with ``||mu_0 - mu_1|| <= O(alpha)``.

Every error here is computed in closed form (no test sets):
``R(theta) = Phi(-theta_hat . mu / sigma)`` for the rule ``sign(theta^T x)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonempty,
    check_nonnegative,
    check_positive,
    check_shape,
    is_traced,
)

__all__ = [
    "sample_gmm2",
    "sample_unlabeled",
    "shifted_params",
    "random_unit",
    "orthogonal_unit",
    "risk_linear_iso",
    "risk_linear_aniso",
    "bayes_risk_iso",
    "excess_risk_iso",
]


def _float(x):
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def _check_nonzero(name, theta):
    if is_traced(theta):
        return
    if not np.any(np.asarray(theta) != 0):
        raise ValueError(f"`{name}` must not be the zero vector (the rule uses {name}/||{name}||).")


def _check_pm1(name, y):
    if is_traced(y):
        return
    arr = np.asarray(y)
    if not np.all((arr == 1) | (arr == -1)):
        bad = arr[(arr != 1) & (arr != -1)].ravel()[:3]
        raise ValueError(f"`{name}` must hold labels in {{-1, +1}}; got value(s) {bad.tolist()}.")


def sample_gmm2(key, n_samples: int, mu, sigma) -> tuple[jax.Array, jax.Array]:
    """Draw ``n_samples`` labeled points from the symmetric two-component isotropic GMM.

    ``y ~ Uniform{-1, +1}`` i.i.d., ``X | y ~ N(y mu, sigma^2 I_d)``.

    Symbols: ``mu`` -> ``mu`` (mu_0 or mu_1), ``sigma`` -> ``sigma``; ``n_samples`` is ``n_lab``
    (or ``n_unlab``, for :func:`sample_unlabeled`).

    Args:
      key: PRNG key.
      n_samples: number of points (Python int >= 0; static).
      mu: ``(d,)`` class mean.
      sigma: noise standard deviation, ``> 0``.

    Returns:
      ``X`` of shape ``(n_samples, d)`` and ``y`` of shape ``(n_samples,)`` with values in
      ``{-1., +1.}`` (same float dtype as ``X``).

    References:
      Saberi et al. 2024, problem setup (isotropic GMM); spec ``semisup-dro.md`` §1.4.
    """
    n_samples = check_int("n_samples", n_samples, min_value=0)
    mu = _float(mu)
    check_array("mu", mu, ndim=1)
    if np.shape(mu)[0] < 1:
        raise ValueError(f"`mu` must be non-empty (d >= 1); got shape {np.shape(mu)}.")
    check_positive("sigma", sigma)
    ky, kx = jax.random.split(key)
    y = jnp.where(jax.random.bernoulli(ky, 0.5, (n_samples,)), 1.0, -1.0).astype(mu.dtype)
    noise = jax.random.normal(kx, (n_samples, mu.shape[0]), dtype=mu.dtype)
    X = y[:, None] * mu[None, :] + sigma * noise
    return X, y


def sample_unlabeled(key, n_unlab: int, mu1, sigma1) -> jax.Array:
    """Unlabeled out-of-domain sample: :func:`sample_gmm2` with the labels discarded.

    Args:
      key: PRNG key.
      n_unlab: number of unlabeled points (Python int >= 0).
      mu1: ``(d,)`` mean of the out-of-domain mixture.
      sigma1: its noise standard deviation, ``> 0``.

    Returns:
      ``X'`` of shape ``(n_unlab, d)``.
    """
    n_unlab = check_int("n_unlab", n_unlab, min_value=0)
    check_array("mu1", mu1, ndim=1)
    if np.shape(mu1)[0] < 1:
        raise ValueError(f"`mu1` must be non-empty (d >= 1); got shape {np.shape(mu1)}.")
    check_positive("sigma1", sigma1)
    return sample_gmm2(key, n_unlab, mu1, sigma1)[0]


def random_unit(key, d: int, dtype=None) -> jax.Array:
    """A uniformly random unit vector in ``R^d`` (the paper's random shift direction ``v``)."""
    d = check_int("d", d, min_value=1)
    v = jax.random.normal(key, (d,), dtype=dtype or jnp.result_type(float))
    return v / jnp.linalg.norm(v)


def orthogonal_unit(key, mu0) -> jax.Array:
    """A random unit vector orthogonal to ``mu0`` (``d >= 2``): the worst-case shift direction."""
    mu0 = _float(mu0)
    check_array("mu0", mu0, ndim=1)
    if mu0.shape[0] < 2:
        raise ValueError(
            f"`mu0` needs dimension >= 2 for an orthogonal direction; got {mu0.shape}."
        )
    _check_nonzero("mu0", mu0)
    g = jax.random.normal(key, mu0.shape, dtype=mu0.dtype)
    u = mu0 / jnp.linalg.norm(mu0)
    g = g - (g @ u) * u
    return g / jnp.linalg.norm(g)


def shifted_params(mu0, sigma0, alpha, v, scale_shift: bool = False) -> tuple[jax.Array, jax.Array]:
    """Parameters of the shifted out-of-domain mixture: ``mu_1 = mu_0 + alpha v``.

    ``sigma_1 = sigma_0`` (or ``sigma_0 + alpha`` with ``scale_shift``), so that
    ``||mu_1 - mu_0|| = alpha`` and ``|sigma_1 - sigma_0| <= alpha``: the parameter bounds that the
    paper's GMM theorems use (``O(alpha)``). The shift is implemented parametrically, so whether the
    discrepancy is measured in total variation or Wasserstein does not arise.

    Args:
      mu0: ``(d,)`` in-domain mean.
      sigma0: in-domain noise level, ``> 0``.
      alpha: shift size, ``>= 0``.
      v: ``(d,)`` direction (normalised here; must be non-zero).
      scale_shift: also shift the noise level by ``alpha``.

    Returns:
      ``(mu1, sigma1)``: ``(d,)`` array and a scalar array.

    Raises:
      ValueError: ``mu0`` not a non-empty finite ``(d,)`` array; ``v`` zero or not ``(d,)``;
        ``sigma0`` not > 0; ``alpha`` negative.

    References:
      Saberi et al. 2024, Section 4 / poster "problem setup" (``||mu_0 - mu_1|| <= O(alpha)``,
      ``|sigma_1 - sigma_0| <= O(alpha)``); simulation: ``mu_1 = mu_0 + alpha v``, ``v`` random unit.
    """
    mu0 = _float(mu0)
    v = _float(v)
    check_array("mu0", mu0, ndim=1)
    check_nonempty("mu0", mu0)
    check_array("v", v, ndim=1)
    check_shape("v", v, mu0.shape)
    _check_nonzero("v", v)
    check_positive("sigma0", sigma0)
    check_nonnegative("alpha", alpha)
    v = v / jnp.linalg.norm(v)
    mu1 = mu0 + alpha * v
    sigma1 = jnp.asarray(sigma0, mu0.dtype) + (alpha if scale_shift else 0.0)
    return mu1, sigma1


def _check_theta_mu(theta, mu):
    check_array("theta", theta, ndim=1)
    check_array("mu", mu, ndim=1)
    check_shape("theta", theta, mu.shape)
    _check_nonzero("theta", theta)


def risk_linear_iso(theta, mu, sigma) -> jax.Array:
    """Exact 0-1 risk of ``sign(theta^T x)`` under the isotropic GMM.

    .. math:: R(\\theta) = \\Phi\\!\\left(-\\frac{\\hat\\theta^\\top \\mu}{\\sigma}\\right),
       \\qquad \\hat\\theta = \\theta / \\|\\theta\\|.

    Symbols: ``theta`` -> ``theta``, ``mu`` -> ``mu_0``, ``sigma`` -> ``sigma_0``.

    Args:
      theta: ``(d,)`` non-zero weight vector (the rule has no bias).
      mu: ``(d,)`` class mean.
      sigma: noise level, ``> 0``.

    Returns:
      Scalar risk in ``[0, 1]``.

    References:
      Standard; spec ``semisup-dro.md`` §1.6 [derived].
    """
    theta, mu = _float(theta), _float(mu)
    _check_theta_mu(theta, mu)
    check_positive("sigma", sigma)
    return ndtr(-(theta @ mu) / (jnp.linalg.norm(theta) * sigma))


def risk_linear_aniso(theta, mu, Sigma) -> jax.Array:
    """Exact 0-1 risk of ``sign(theta^T x)`` when ``X | y ~ N(y mu, Sigma)``.

    .. math:: R(\\theta) = \\Phi\\!\\left(-\\frac{\\theta^\\top\\mu}{\\sqrt{\\theta^\\top\\Sigma\\theta}}\\right).

    The Bayes rule is ``theta* ∝ Sigma^{-1} mu``.

    Args:
      theta: ``(d,)`` non-zero weights.
      mu: ``(d,)`` class mean.
      Sigma: ``(d, d)`` symmetric positive-definite covariance (symmetry is checked, definiteness
        through ``theta^T Sigma theta > 0``).

    Returns:
      Scalar risk.

    References:
      Spec ``semisup-dro.md`` §1.6, non-isotropic case [derived].
    """
    theta, mu, Sigma = _float(theta), _float(mu), _float(Sigma)
    _check_theta_mu(theta, mu)
    check_array("Sigma", Sigma, ndim=2)
    check_shape("Sigma", Sigma, (mu.shape[0], mu.shape[0]))
    if not is_traced(Sigma):
        S = np.asarray(Sigma)
        if not np.allclose(S, S.T, rtol=1e-6, atol=1e-10):
            raise ValueError("`Sigma` must be symmetric.")
        if not is_traced(theta) and float(np.asarray(theta) @ S @ np.asarray(theta)) <= 0:
            raise ValueError("`Sigma` must be positive definite (theta^T Sigma theta <= 0).")
    return ndtr(-(theta @ mu) / jnp.sqrt(theta @ Sigma @ theta))


def bayes_risk_iso(mu, sigma) -> jax.Array:
    """Bayes risk of the isotropic GMM, ``R* = Phi(-||mu|| / sigma)`` (attained by ``theta ∝ mu``).

    Raises:
      ValueError: ``mu`` not a non-empty finite ``(d,)`` array; ``sigma`` not > 0.
    """
    mu = _float(mu)
    check_array("mu", mu, ndim=1)
    check_nonempty("mu", mu)
    check_positive("sigma", sigma)
    return ndtr(-jnp.linalg.norm(mu) / sigma)


def excess_risk_iso(theta, mu, sigma) -> jax.Array:
    """Excess risk ``R(theta) - R*`` under the isotropic GMM (exact, ``>= 0``)."""
    return risk_linear_iso(theta, mu, sigma) - bayes_risk_iso(mu, sigma)
