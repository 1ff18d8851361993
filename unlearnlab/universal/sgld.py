"""An SGLD ensemble approximates the mixture learner on a continuous relaxation of the class.

Feder, Urbanke, Fogel, arXiv:2506.07661, recall that Langevin dynamics samples the posterior, so an
ensemble of Langevin chains approximates the Bayesian mixture's predictive. The lab's relaxation of
the class of :mod:`unlearnlab.universal.mixture`: :math:`\\theta \\in [-1, 1]^D` with the uniform
prior, :math:`s = \\sum_j \\theta_j`, :math:`p_s = \\sigma(c\\, s/\\sqrt{D})`. The prior of
:math:`s` is the (scaled) Irwin-Hall density, so the exact predictive is a 1-D quadrature.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from unlearnlab.lab.checks import check_array, check_int, check_positive

__all__ = ["irwin_hall_log_density", "relaxed_predictive", "sgld_predictive"]

_D_MAX = 40  # the alternating Irwin-Hall sum loses ~ 1e-16 * 2^D / D! relative precision


def _check_Kn(K, n):
    n = check_int("n", n, min_value=0)
    K = check_int("K", K, min_value=0)
    if K > n:
        raise ValueError(f"`K` must be <= `n` = {n}; got {K}.")
    return K, n


def irwin_hall_log_density(D: int, grid) -> jax.Array:
    """Log density of :math:`s = \\sum_{j=1}^D \\theta_j`, :math:`\\theta_j` i.i.d. uniform on [-1, 1].

    With :math:`t = (s + D)/2` (a sum of :math:`D` uniforms on [0, 1], Irwin-Hall),

    .. math::

        f_s(s) = \\frac{1}{2 (D-1)!} \\sum_{k=0}^{\\lfloor t \\rfloor} (-1)^k \\binom{D}{k} (t - k)^{D-1},

    evaluated in float64 by the alternating sum at :math:`-|s|` (the density is symmetric; the
    shorter sum cancels less), accurate for the ``D <= 40`` accepted here.

    Args:
      D: number of coordinates, Python int in ``[1, 40]``.
      grid: ``(k,)`` points in ``(-D, D)``.

    Returns:
      ``(k,)`` log densities.

    Raises:
      ValueError: ``D`` outside ``[1, 40]``; ``grid`` not finite, not 1-D or outside ``(-D, D)``.

    References:
      Irwin (1927), Hall (1927); the prior of the statistic in the lab's relaxation
      (``theory/universality_lens.md``, SGLD section).
    """
    D = check_int("D", D, min_value=1, max_value=_D_MAX)
    check_array("grid", grid, ndim=1)
    g = np.asarray(grid, dtype=float)
    if g.size and (g.min() <= -D or g.max() >= D):
        raise ValueError(f"`grid` must lie in the open interval (-{D}, {D}).")
    t = (D - np.abs(g)) / 2.0  # f_s is symmetric: sum on the short side (less cancellation)
    k = np.arange(D + 1)
    coef = np.array([(-1.0) ** j * math.comb(D, j) for j in k]) / math.factorial(D - 1) / 2.0
    terms = np.where(
        k[None, :] <= np.floor(t)[:, None], coef * np.maximum(t[:, None] - k, 0) ** (D - 1), 0.0
    )
    dens = terms.sum(1)
    return jnp.log(jnp.maximum(jnp.asarray(dens), 1e-300))


def relaxed_predictive(K: int, n: int, D: int, c, n_quad: int = 20_001) -> jax.Array:
    """Exact posterior predictive of the relaxed class by quadrature over :math:`s`.

    .. math::

        Q(1 \\mid x^n) = \\frac{\\int f_s(s)\\, p_s^{K+1} (1 - p_s)^{n-K}\\, ds}
                              {\\int f_s(s)\\, p_s^{K} (1 - p_s)^{n-K}\\, ds},

    midpoint rule on ``n_quad`` cells of :math:`(-D, D)`, in log space.

    Args:
      K: number of ones, ``0 <= K <= n``.
      n: sequence length ``>= 0``.
      D: number of coordinates (``1..40``).
      c: logit scale ``> 0``.
      n_quad: number of quadrature cells (``>= 100``).

    Returns:
      Scalar probability in (0, 1).

    Raises:
      ValueError: ``K`` outside ``[0, n]``, ``D`` outside ``[1, 40]``, ``c <= 0``, ``n_quad < 100``.

    References:
      ``theory/universality_lens.md`` (SGLD section; the lab's relaxation).
    """
    K, n = _check_Kn(K, n)
    D = check_int("D", D, min_value=1, max_value=_D_MAX)
    check_positive("c", c)
    n_quad = check_int("n_quad", n_quad, min_value=100)
    s = -D + (2.0 * np.arange(n_quad) + 1.0) * D / n_quad
    lf = irwin_hall_log_density(D, s)
    return _quad(jnp.asarray(s), lf, K, n, D, c)


@jax.jit
def _quad(s, lf, K, n, D, c):
    z = c * s / jnp.sqrt(D)
    lw = lf + K * jax.nn.log_sigmoid(z) + (n - K) * jax.nn.log_sigmoid(-z)
    return jnp.exp(logsumexp(lw + jax.nn.log_sigmoid(z)) - logsumexp(lw))


def _reflect(theta):
    """Fold R onto [-1, 1] (reflection at the walls; a triangle wave of period 4)."""
    u = jnp.mod(theta + 1.0, 4.0)
    return jnp.where(u <= 2.0, u, 4.0 - u) - 1.0


@partial(jax.jit, static_argnums=(3, 5, 6))
def _sgld(key, K, n, D, c, n_chains, n_steps, step):
    k0, k1 = jax.random.split(key)
    theta0 = jax.random.uniform(k0, (n_chains, D), minval=-1.0, maxval=1.0)

    def body(theta, k):
        z = c * theta.sum(1) / jnp.sqrt(D)
        grad = (K - n * jax.nn.sigmoid(z)) * c / jnp.sqrt(D)  # d log L / d theta_j, all j
        noise = jax.random.normal(k, theta.shape)
        return _reflect(theta + step * grad[:, None] + jnp.sqrt(2.0 * step) * noise), None

    theta, _ = jax.lax.scan(body, theta0, jax.random.split(k1, n_steps))
    p = jax.nn.sigmoid(c * theta.sum(1) / jnp.sqrt(D))
    return p.mean(), p.std(ddof=1) / jnp.sqrt(n_chains)


def sgld_predictive(key, K: int, n: int, D: int, c, n_chains: int, n_steps: int, step):
    """Ensemble predictive from ``n_chains`` independent Langevin chains on the relaxed class.

    Each chain starts from the prior (uniform on :math:`[-1,1]^D`) and runs

    .. math::

        \\theta \\leftarrow \\mathrm{reflect}_{[-1,1]^D}\\Big(\\theta + h\\, \\nabla_\\theta
        \\log L(\\theta) + \\sqrt{2h}\\, \\xi\\Big), \\qquad
        \\log L = K \\log p_s + (n-K) \\log(1 - p_s),

    (full-batch gradient: the sufficient statistic makes the minibatch noise of SGLD unnecessary;
    the uniform prior contributes only the reflection). The ensemble predictive is the mean of
    :math:`p_{s(\\theta)}` over the chains' final states.

    Args:
      key: PRNG key.
      K: number of ones, ``0 <= K <= n``.
      n: sequence length ``>= 0``.
      D: number of coordinates (``>= 1``).
      c: logit scale ``> 0``.
      n_chains: number of chains ``>= 2``.
      n_steps: Langevin steps per chain ``>= 1``.
      step: step size :math:`h > 0`.

    Returns:
      ``(mean, se)``: the ensemble predictive and its standard error over chains.

    Raises:
      ValueError: ``K`` outside ``[0, n]``, ``D < 1``, ``c <= 0``, ``n_chains < 2``,
        ``n_steps < 1``, ``step <= 0``.

    References:
      arXiv:2506.07661, abstract (SGLD samples the posterior; ensembles approximate the learner)
      [paper]; Welling and Teh (2011), SGLD.
    """
    K, n = _check_Kn(K, n)
    D = check_int("D", D, min_value=1)
    check_positive("c", c)
    n_chains = check_int("n_chains", n_chains, min_value=2)
    n_steps = check_int("n_steps", n_steps, min_value=1)
    check_positive("step", step)
    return _sgld(key, K, n, D, c, n_chains, n_steps, step)
