"""The Rep4Ex structural model: action, latent, observed features, confounded outcome, exact do-truth.

Saengkyongam, Rosenfeld, Ravikumar, Pfister, Peters, *Identifying Representations for Intervention
Extrapolation*, ICLR 2024 (arXiv:2310.04295). The paper's setting is an exogenous action ``A``, a latent
``Z`` on which ``A`` acts linearly with a full-support residual ``V``, features ``X = g0(Z)`` and an
outcome ``Y = l(Z) + U`` whose noise ``U`` is correlated with ``V`` (hidden confounding). This file is
the lab's one-dimensional instance (lab parameters, ``theory/rep4ex.md`` Sec. 1):

.. math::

    A \\sim U[-1, 1],\\quad V \\sim N(0, \\sigma_V^2),\\quad Z = M_0 A + V,\\quad
    X = g_0(Z),\\quad Y = \\sin Z + \\rho V + \\varepsilon,\\ \\varepsilon \\sim N(0, \\sigma_\\varepsilon^2),

with :math:`g_0 = h^{-1}`, :math:`h(x) = x + x^3/3`, so that :math:`Z = h(X)` lies in the span of
:math:`(X, X^2, X^3)`.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import log_ndtr

from unlearnlab.lab.checks import (
    check_array,
    check_finite,
    check_nonnegative,
    check_positive,
    check_size,
)

__all__ = [
    "SIGMA_A2",
    "cubic_h",
    "cubic_g0",
    "simulate_rep4ex",
    "do_truth",
    "confounder_mean",
    "plugin_bias",
    "population_nodes",
]

#: variance of the action A ~ U[-1, 1]
SIGMA_A2 = 1.0 / 3.0

# probabilists' Gauss-Hermite rule (weight exp(-x^2 / 2)), normalised to a N(0, 1) expectation
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(120)
_GH_W = _GH_W / np.sqrt(2.0 * np.pi)


@jax.jit
def _h(x):
    return x + x**3 / 3.0


@jax.jit
def _g0(z):
    az = jnp.abs(z)
    u = jnp.cbrt(1.5 * az + jnp.sqrt(2.25 * az**2 + 1.0))
    return jnp.sign(z) * (u - 1.0 / u)


def _scalar(name, v):
    check_array(name, v, ndim=0)
    return v


def cubic_h(x):
    r"""The unmixing map :math:`h(x) = x + x^3/3`, so that :math:`Z = h(X)`.

    Args:
      x: array of any shape (observed features).

    Returns:
      :math:`h(x)`, same shape.

    Raises:
      ValueError: if ``x`` holds NaN/inf.

    References:
      Lab instance of the mixing :math:`X = g_0(Z)` of arXiv:2310.04295, Sec. 3 (``theory/rep4ex.md``).
    """
    check_finite("x", x)
    return _h(jnp.asarray(x))


def cubic_g0(z):
    r"""The mixing :math:`g_0 = h^{-1}`: the real root of :math:`x^3 + 3x - 3z = 0` (Cardano).

    .. math::

        g_0(z) = \operatorname{sign}(z)\,(u - 1/u),\qquad u = \bigl(3|z|/2 + \sqrt{9z^2/4 + 1}\bigr)^{1/3},

    written without the cancellation of the textbook form (the two cube roots multiply to ``-1``).

    Args:
      z: array of any shape (latent values).

    Returns:
      :math:`g_0(z)`, same shape; :math:`h(g_0(z)) = z`.

    Raises:
      ValueError: if ``z`` holds NaN/inf.

    References:
      arXiv:2310.04295, Sec. 3 (mixing function; the cubic is the lab's choice).
    """
    check_finite("z", z)
    return _g0(jnp.asarray(z))


def simulate_rep4ex(key, n, M0, sigma_V, rho, sigma_eps) -> dict:
    r"""Draw ``n`` samples of the Rep4Ex structural model (lab instance).

    .. math::

        A \sim U[-1,1],\ V \sim N(0,\sigma_V^2),\ Z = M_0 A + V,\ X = g_0(Z),\
        Y = \sin Z + \rho V + \varepsilon .

    Symbols: ``M0`` :math:`M_0` (effect of the action on the latent), ``sigma_V`` :math:`\sigma_V`
    (latent residual, the confounder), ``rho`` :math:`\rho` (confounding strength),
    ``sigma_eps`` :math:`\sigma_\varepsilon` (outcome noise).

    Args:
      key: PRNG key.
      n: number of samples (``>= 1``).
      M0: scalar.
      sigma_V: scalar ``>= 0`` (``0`` gives the noiseless latent ``Z = M0 A``).
      rho: scalar.
      sigma_eps: scalar ``>= 0``.

    Returns:
      dict with ``"A"``, ``"V"``, ``"Z"``, ``"X"``, ``"Y"``, each of shape ``(n,)``.

    Raises:
      ValueError: if ``n < 1``, a scalar is NaN/inf, or ``sigma_V`` / ``sigma_eps`` is negative.

    References:
      arXiv:2310.04295, Sec. 2-3 (model structure); parameters are the lab's (``theory/rep4ex.md``).
    """
    n = check_size("n", n)
    _scalar("M0", M0)
    _scalar("rho", rho)
    check_nonnegative("sigma_V", sigma_V)
    check_nonnegative("sigma_eps", sigma_eps)
    return _simulate(key, n, M0, sigma_V, rho, sigma_eps)


@partial(jax.jit, static_argnums=(1,))
def _simulate(key, n, M0, sigma_V, rho, sigma_eps):
    ka, kv, ke = jax.random.split(key, 3)
    A = jax.random.uniform(ka, (n,), minval=-1.0, maxval=1.0)
    V = sigma_V * jax.random.normal(kv, (n,))
    Z = M0 * A + V
    X = _g0(Z)
    Y = jnp.sin(Z) + rho * V + sigma_eps * jax.random.normal(ke, (n,))
    return {"A": A, "V": V, "Z": Z, "X": X, "Y": Y}


def do_truth(a, M0, sigma_V):
    r"""The interventional mean :math:`E[Y \mid do(A=a)] = e^{-\sigma_V^2/2}\sin(M_0 a)` [derived].

    Under :math:`do(A=a)`, :math:`Z = M_0 a + V` with :math:`V` untouched, so
    :math:`E[Y|do(a)] = E\sin(M_0 a + V) + \rho E V = \operatorname{Im} e^{i M_0 a} E e^{iV}
    = e^{-\sigma_V^2/2}\sin(M_0 a)`.

    Args:
      a: action values, any shape (inside or outside the training support ``[-1, 1]``).
      M0: scalar. sigma_V: scalar ``>= 0``.

    Returns:
      Array of the shape of ``a``.

    Raises:
      ValueError: if ``a`` or ``M0`` holds NaN/inf or ``sigma_V < 0``.

    References:
      arXiv:2310.04295, Sec. 2 (the target :math:`E[Y|do(A=a^*)]`); closed form: ``theory/rep4ex.md`` (P0).
    """
    check_finite("a", a)
    _scalar("M0", M0)
    check_nonnegative("sigma_V", sigma_V)
    return _do(jnp.asarray(a), M0, sigma_V)


@jax.jit
def _do(a, M0, sigma_V):
    return jnp.exp(-0.5 * sigma_V**2) * jnp.sin(M0 * a)


@jax.jit
def _confounder_mean(z, M0, sigma_V):
    # V | Z = z is N(0, sigma^2) truncated to [z - |M0|, z + |M0|]; odd in z; stable in both tails
    c = jnp.abs(M0)
    s = jnp.sign(z)
    az = jnp.abs(z)
    al = (az - c) / sigma_V
    be = (az + c) / sigma_V
    la = log_ndtr(-al)  # log P(N > al)
    lb = log_ndtr(-be)
    log_phi_al = -0.5 * al**2 - 0.5 * jnp.log(2.0 * jnp.pi)
    num = -jnp.expm1(-2.0 * az * c / sigma_V**2)  # 1 - phi(be) / phi(al)
    den = -jnp.expm1(lb - la)  # 1 - P(N > be) / P(N > al)
    return s * sigma_V * jnp.exp(log_phi_al - la) * num / den


def confounder_mean(z, M0, sigma_V):
    r"""The confounder's regression on the latent, :math:`m(z) = E[V \mid Z = z]` [derived].

    With :math:`A \sim U[-1,1]`, :math:`V \mid Z=z` is :math:`N(0,\sigma_V^2)` truncated to
    :math:`[z-|M_0|,\, z+|M_0|]`, so with :math:`\alpha = (z-|M_0|)/\sigma_V`,
    :math:`\beta = (z+|M_0|)/\sigma_V`,

    .. math::

        m(z) = \sigma_V\,\frac{\varphi(\alpha) - \varphi(\beta)}{\Phi(\beta) - \Phi(\alpha)} .

    It is close to 0 inside the range of :math:`M_0 A` and grows like :math:`z - |M_0|` beyond it.

    Args:
      z: latent values, any shape. M0: nonzero scalar. sigma_V: scalar ``> 0``.

    Returns:
      Array of the shape of ``z``.

    Raises:
      ValueError: if ``z`` or ``M0`` holds NaN/inf, ``M0 == 0`` or ``sigma_V <= 0``.

    References:
      ``theory/rep4ex.md`` (P4); the model of arXiv:2310.04295, Sec. 2.
    """
    check_finite("z", z)
    _check_m0_nonzero(M0)
    check_positive("sigma_V", sigma_V)
    return _confounder_mean(jnp.asarray(z), M0, sigma_V)


def _check_m0_nonzero(M0):
    _scalar("M0", M0)
    if not isinstance(M0, jax.core.Tracer) and float(np.asarray(M0)) == 0.0:
        raise ValueError("`M0` must be nonzero (the action must move the latent); got 0.0.")


def plugin_bias(a_star, M0, sigma_V, rho):
    r"""Population error of the no-control-function plug-in at :math:`do(A=a^*)` [derived].

    The plug-in regresses :math:`Y` on :math:`Z` alone, :math:`f(z) = E[Y|Z=z] = \sin z + \rho\, m(z)`
    (:func:`confounder_mean`), and averages it over the first-stage residual,
    :math:`\hat E[Y|do(a^*)] = E_{V'} f(M_0 a^* + V')`. Its error against :func:`do_truth` is

    .. math::

        b(a^*) = \rho\, E_{V' \sim N(0,\sigma_V^2)}\, m(M_0 a^* + V'),

    evaluated with a 120-node Gauss-Hermite rule. (With a Gaussian action the regression is linear,
    :math:`m(z) = \kappa z`, :math:`\kappa = \sigma_V^2/(M_0^2\sigma_A^2 + \sigma_V^2)`, and
    :math:`b = \rho\kappa M_0 a^*`; with the uniform action used here :math:`m` is not linear.)

    Args:
      a_star: intervention values, any shape. M0: nonzero scalar. sigma_V: scalar ``> 0``.
      rho: scalar.

    Returns:
      Array of the shape of ``a_star``.

    Raises:
      ValueError: if an input holds NaN/inf, ``M0 == 0`` or ``sigma_V <= 0``.

    References:
      ``theory/rep4ex.md`` (P4); the confounded model of arXiv:2310.04295, Sec. 2.
    """
    check_finite("a_star", a_star)
    _check_m0_nonzero(M0)
    check_positive("sigma_V", sigma_V)
    _scalar("rho", rho)
    return _plugin_bias(jnp.asarray(a_star), M0, sigma_V, rho)


@jax.jit
def _plugin_bias(a, M0, sigma_V, rho):
    z = M0 * a[..., None] + sigma_V * jnp.asarray(_GH_X)
    return rho * jnp.sum(_confounder_mean(z, M0, sigma_V) * jnp.asarray(_GH_W), axis=-1)


def population_nodes(M0, sigma_V, n_a: int = 48, n_v: int = 40) -> dict:
    r"""Quadrature nodes and weights whose weighted moments are the model's population moments.

    Product rule: Gauss-Legendre in :math:`A \sim U[-1,1]` (``n_a`` nodes) times probabilists'
    Gauss-Hermite in :math:`V \sim N(0, \sigma_V^2)` (``n_v`` nodes). Expectations of polynomials in
    :math:`(A, V)` of degree below ``2 n_a`` in ``A`` and ``2 n_v`` in ``V`` are exact, in particular
    every moment of :math:`Z = M_0 A + V`; functions of :math:`X = g_0(Z)` are integrated to quadrature
    accuracy. Passing ``w`` as the ``weights`` of
    :func:`~unlearnlab.causal.linear_invariance_encoder` solves the population eigenproblem.

    Args:
      M0: scalar. sigma_V: scalar ``>= 0``. n_a: Legendre nodes (``>= 2``). n_v: Hermite nodes
        (``>= 1``).

    Returns:
      dict with ``"A"``, ``"V"``, ``"Z"``, ``"X"``, ``"w"`` (weights summing to one), each of shape
      ``(n_a * n_v,)``.

    Raises:
      ValueError: if ``M0`` is NaN/inf, ``sigma_V < 0``, ``n_a < 2`` or ``n_v < 1``.

    References:
      ``theory/rep4ex.md`` Sec. 3 (population identification, R1).
    """
    from unlearnlab.lab.checks import check_int

    _scalar("M0", M0)
    check_nonnegative("sigma_V", sigma_V)
    n_a = check_int("n_a", n_a, min_value=2)
    n_v = check_int("n_v", n_v, min_value=1)
    xa, wa = np.polynomial.legendre.leggauss(n_a)
    xv, wv = np.polynomial.hermite_e.hermegauss(n_v)
    A = np.repeat(xa, n_v)
    V = float(sigma_V) * np.tile(xv, n_a)
    w = np.outer(wa / 2.0, wv / np.sqrt(2.0 * np.pi)).ravel()
    Z = float(M0) * A + V
    return {
        "A": jnp.asarray(A),
        "V": jnp.asarray(V),
        "Z": jnp.asarray(Z),
        "X": _g0(jnp.asarray(Z)),
        "w": jnp.asarray(w / w.sum()),
    }
