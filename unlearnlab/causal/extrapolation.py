"""Intervention extrapolation with a control function, and the two baselines it is compared with.

Saengkyongam et al., *Identifying Representations for Intervention Extrapolation*, ICLR 2024
(arXiv:2310.04295), Sec. 2-3: with :math:`Z = \\alpha + M A + V`, :math:`A \\perp (V, U)` and
:math:`Y = \\ell(Z) + U`, the control function :math:`E[U \\mid V]` absorbs the confounding, and
:math:`E[Y \\mid do(A=a^*)] = E_V[\\ell(\\alpha + M a^* + V) + E[U|V]]` is identified for actions
:math:`a^*` outside the training support as long as :math:`\\alpha + M a^* + V` stays in the support of
:math:`Z` (the residual :math:`V` has full support). Sec. 3 shows that an affine image of :math:`Z`
(the output of ``unlearnlab.causal.identification``) suffices.

The lab's estimator (``theory/rep4ex.md`` Sec. 4) uses a polynomial :math:`f` of the standardised
representation and a linear control function :math:`\\ell V` (exact in the lab's Gaussian model).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import solve_triangular

from unlearnlab.lab.checks import check_array, check_int, check_tree_finite, is_traced

__all__ = [
    "CFModel",
    "PolyFit",
    "control_function_fit",
    "plugin_fit",
    "control_function_predict",
    "regress_on_a_fit",
    "regress_on_a_predict",
]


class CFModel(NamedTuple):
    """A fitted (control-function or plug-in) outcome model on a representation ``Zhat``."""

    alpha: jax.Array  # () first-stage intercept: Zhat = alpha + M A + V_hat
    M: jax.Array  # () first-stage slope
    V_hat: jax.Array  # (n,) first-stage residuals (the control variable)
    mu: jax.Array  # () mean of Zhat (standardisation of f's argument)
    sd: jax.Array  # () standard deviation of Zhat
    theta: jax.Array  # (q+1,) coefficients of f in the monomials of (z - mu) / sd
    ell: jax.Array  # () control-function coefficient (0 for the plug-in)


class PolyFit(NamedTuple):
    """A polynomial regression of ``Y`` on the standardised action (the regress-on-A baseline)."""

    mu: jax.Array  # () mean of A
    sd: jax.Array  # () standard deviation of A
    theta: jax.Array  # (q+1,) coefficients in the monomials of (a - mu) / sd


def _check_xy(names, arrays, f_degree, degree_name="f_degree"):
    f_degree = check_int(degree_name, f_degree, min_value=1)
    first = names[0]
    check_array(first, arrays[0], ndim=1)
    n = np.shape(arrays[0])[0]
    for name, x in zip(names[1:], arrays[1:]):
        check_array(name, x, ndim=1)
        if np.shape(x) != (n,):
            raise ValueError(
                f"`{name}` must have the shape of `{first}` {(n,)}; got {np.shape(x)}."
            )
    need = 2 * (f_degree + 2) + 2
    if n < need:
        raise ValueError(
            f"`{first}` holds n = {n} samples: a fit of degree `{degree_name}` = {f_degree} needs "
            f"n >= 2 ({degree_name} + 2) + 2 = {need}."
        )
    return f_degree, n


def _check_support(name, x, k, what):
    if is_traced(x):
        return
    u = np.unique(np.asarray(x)).size
    if u < k:
        raise ValueError(f"`{name}` takes {u} distinct value(s); {what} needs at least {k}.")


def _lstsq(F, y):
    # Householder QR: stable for the standardised polynomial designs, cheaper than an SVD
    Q, R = jnp.linalg.qr(F)
    return solve_triangular(R, Q.T @ y, lower=False)


def _vander(t, q):
    return t[..., None] ** jnp.arange(q + 1)


@partial(jax.jit, static_argnums=(3, 4))
def _cf_core(Zhat, A, Y, q, control):
    D = jnp.stack([jnp.ones_like(A), A], axis=1)
    alpha, M = _lstsq(D, Zhat)
    V_hat = Zhat - alpha - M * A
    mu = jnp.mean(Zhat)
    sd = jnp.std(Zhat)
    F = _vander((Zhat - mu) / sd, q)
    if control:
        F = jnp.concatenate([F, V_hat[:, None]], axis=1)
    coef = _lstsq(F, Y)
    theta, ell = (coef[:-1], coef[-1]) if control else (coef, jnp.zeros((), coef.dtype))
    return CFModel(alpha, M, V_hat, mu, sd, theta, ell)


def _prep(Zhat, A, Y, f_degree):
    f_degree, _ = _check_xy(("Zhat", "A", "Y"), (Zhat, A, Y), f_degree)
    _check_support(
        "A",
        A,
        2,
        "the first-stage regression of `Zhat` on (1, A) (a non-singular action covariance)",
    )
    _check_support("Zhat", Zhat, f_degree + 2, f"a degree-{f_degree} f plus the control variable")
    Zhat = jnp.asarray(Zhat)
    return f_degree, Zhat, jnp.asarray(A, Zhat.dtype), jnp.asarray(Y, Zhat.dtype)


def control_function_fit(Zhat, A, Y, f_degree: int) -> CFModel:
    r"""Fit the control-function outcome model on a representation (Rep4Ex, Sec. 2-3).

    .. math::

        \hat Z = \hat\alpha + \hat M A + \hat V \ \text{(OLS)},\qquad
        Y \approx f(\hat Z) + \ell \hat V,\quad f(z) = \sum_{k=0}^{q} \theta_k \Bigl(\frac{z-\mu}{s}\Bigr)^k
        \ \text{(OLS)},

    with :math:`\mu, s` the mean and standard deviation of :math:`\hat Z`. Every step is equivariant
    under :math:`\hat Z \mapsto c\hat Z + d` (:math:`c \ne 0`), so predictions from any affine image
    of :math:`Z` coincide.

    Args:
      Zhat: ``(n,)`` representation (the latent, or an encoder output).
      A: ``(n,)`` actions. Y: ``(n,)`` outcomes.
      f_degree: degree ``q >= 1`` of the polynomial ``f``.

    Returns:
      :class:`CFModel`.

    Raises:
      ValueError: if shapes disagree, an input holds NaN/inf, ``f_degree < 1``,
        ``n < 2 (f_degree + 2) + 2`` (``Zhat``), ``A`` is constant (singular action covariance) or
        ``Zhat`` takes fewer than ``f_degree + 2`` distinct values.

    References:
      arXiv:2310.04295, Sec. 2 (control functions for intervention extrapolation with observed Z)
      and Sec. 3 (an affinely identified representation suffices); ``theory/rep4ex.md`` Sec. 4.
    """
    q, Zhat, A, Y = _prep(Zhat, A, Y, f_degree)
    return _cf_core(Zhat, A, Y, q, True)


def plugin_fit(Zhat, A, Y, f_degree: int) -> CFModel:
    r"""The no-control-function baseline: :math:`Y \approx f(\hat Z)` only (``ell = 0``).

    Same first stage and polynomial :math:`f` as :func:`control_function_fit`, but without the
    control variable, so :math:`f` estimates :math:`E[Y|Z] = \sin Z + \rho E[V|Z]`, which is
    confounded (population error :func:`unlearnlab.causal.plugin_bias`). Predict with
    :func:`control_function_predict`.

    Args:
      Zhat: ``(n,)`` representation. A: ``(n,)`` actions. Y: ``(n,)`` outcomes.
      f_degree: degree ``q >= 1`` of ``f``.

    Returns:
      :class:`CFModel` with ``ell = 0``.

    Raises:
      ValueError: as :func:`control_function_fit`.

    References:
      ``theory/rep4ex.md`` Sec. 4 (baseline (ii)); arXiv:2310.04295, Sec. 2 (why confounding
      biases the naive regression).
    """
    q, Zhat, A, Y = _prep(Zhat, A, Y, f_degree)
    return _cf_core(Zhat, A, Y, q, False)


def _check_points(a_star):
    check_array("a_star", a_star, ndim=(0, 1))
    if np.size(a_star) == 0:
        raise ValueError("`a_star` must be non-empty.")


def control_function_predict(model: CFModel, a_star):
    r"""Extrapolated interventional mean from a fitted :class:`CFModel`.

    .. math::

        \hat E[Y \mid do(A=a^*)] = \frac1n\sum_{i=1}^n
        \bigl[f(\hat\alpha + \hat M a^* + \hat V_i) + \ell\,\hat V_i\bigr].

    Args:
      model: a :class:`CFModel` (:func:`control_function_fit` or :func:`plugin_fit`).
      a_star: scalar or ``(k,)`` intervention values (inside or outside the training support).

    Returns:
      Array of the shape of ``a_star``.

    Raises:
      ValueError: if ``model`` holds NaN/inf or inconsistent shapes, or ``a_star`` is empty, of
        rank > 1 or holds NaN/inf.

    References:
      arXiv:2310.04295, Sec. 2 (the control-function formula for :math:`E[Y|do(a^*)]`).
    """
    check_tree_finite("model", model)
    if np.ndim(model.V_hat) != 1 or np.ndim(model.theta) != 1 or np.size(model.theta) < 1:
        raise ValueError(
            f"`model` must hold V_hat (n,) and theta (q+1,); got shapes {np.shape(model.V_hat)} "
            f"and {np.shape(model.theta)}."
        )
    _check_points(a_star)
    return _cf_predict(model, jnp.asarray(a_star))


@jax.jit
def _cf_predict(model, a):
    zz = model.alpha + model.M * a[..., None] + model.V_hat  # (..., n)
    t = (zz - model.mu) / model.sd
    f = jnp.polyval(model.theta[::-1], t)
    return jnp.mean(f + model.ell * model.V_hat, axis=-1)


def regress_on_a_fit(A, Y, degree: int) -> PolyFit:
    r"""The regress-on-A baseline: a degree-``degree`` polynomial of the standardised action.

    .. math:: Y \approx \sum_{k=0}^{q} \theta_k \bigl((A-\mu_A)/s_A\bigr)^k \quad \text{(OLS)} .

    Inside the support, :math:`E[Y|A=a] = E[Y|do(A=a)]` (the action is exogenous); outside, the
    polynomial extrapolates with no information from the data.

    Args:
      A: ``(n,)`` actions. Y: ``(n,)`` outcomes. degree: ``q >= 1``.

    Returns:
      :class:`PolyFit`.

    Raises:
      ValueError: if shapes disagree, an input holds NaN/inf, ``degree < 1``,
        ``n < 2 (degree + 2) + 2`` (``A``), or ``A`` takes fewer than ``degree + 1`` distinct values
        (singular action covariance).

    References:
      ``theory/rep4ex.md`` Sec. 4 (baseline (i)); arXiv:2310.04295, Fig. 1 (why E[Y|A] does not
      extrapolate).
    """
    f_degree, _ = _check_xy(("A", "Y"), (A, Y), degree, "degree")
    _check_support("A", A, f_degree + 1, f"a degree-{f_degree} polynomial (non-singular moments)")
    A = jnp.asarray(A)
    return _ra_fit(A, jnp.asarray(Y, A.dtype), f_degree)


@partial(jax.jit, static_argnums=(2,))
def _ra_fit(A, Y, q):
    mu, sd = jnp.mean(A), jnp.std(A)
    return PolyFit(mu, sd, _lstsq(_vander((A - mu) / sd, q), Y))


def regress_on_a_predict(fit: PolyFit, a_star):
    r"""Evaluate the regress-on-A baseline at ``a_star``: :math:`\sum_k \theta_k ((a^*-\mu_A)/s_A)^k`.

    Args:
      fit: a :class:`PolyFit`. a_star: scalar or ``(k,)`` action values.

    Returns:
      Array of the shape of ``a_star``.

    Raises:
      ValueError: if ``fit`` holds NaN/inf or ``a_star`` is empty, of rank > 1 or holds NaN/inf.
    """
    check_tree_finite("fit", fit)
    if np.ndim(fit.theta) != 1 or np.size(fit.theta) < 1:
        raise ValueError(f"`fit.theta` must have shape (q+1,); got {np.shape(fit.theta)}.")
    _check_points(a_star)
    return _ra_predict(fit, jnp.asarray(a_star))


@jax.jit
def _ra_predict(fit, a):
    return jnp.polyval(fit.theta[::-1], (a - fit.mu) / fit.sd)
