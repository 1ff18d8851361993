"""UNEM's Dirichlet branch (vision-language features on the simplex), as in the official code.

Source: ``UNEM_Dirichlet/src/methods/few_shot/u_em_dirichlet_embt.py`` (the paper body was not
available; lab spec Sec. 3). A feature is a probability vector ``x = softmax(tau * logits)`` over the
``K`` class prompts. Each class ``k`` has a Dirichlet ``Dir(alpha_k)``, ``alpha_k in R^K_{>0}``.
Layer ``l``:

1. ``lbar_k = (sum_S y_nk log x_n + sum_Q u_nk log x_n) / (sum_S y_nk + sum_Q u_nk)``; ``alpha_k`` by
   the MM iteration of :func:`dirichlet_mle_mm` (warm-started from the previous layer);
2. ``pi = mean_n u_n``;
3. ``u_nk = softmax_k((log Gamma(sum_j alpha_kj) - sum_j log Gamma(alpha_kj)
   + sum_j (alpha_kj - 1) log x_nj + lam_l log pi_k) / T_l)``.

The official code runs up to 1000 MM steps with the early stop ``||d alpha||^2/||alpha||^2 < 1e-11``;
the lab runs a fixed ``n_mm`` (jit/grad friendly). Initial ``u = x_q`` (zero-shot probabilities).
Parameters reuse :class:`~unlearnlab.fewshot.unem.UNEMParams`, with ``t1`` the CLIP temperature
``tau`` itself (official ``emb_t``, initial 30), ``lam_l = softplus(gamma_l)`` (initial ``K/k_eff``),
``T_l = 1 + softplus(t2_l)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import digamma, gammaln

from unlearnlab.fewshot.gem import validate_task_arrays
from unlearnlab.fewshot.unem import UNEMParams, _validate_params, softplus_inv
from unlearnlab.lab.checks import (
    check_array,
    check_in_range,
    check_int,
    check_positive,
    check_shape,
)


def _check_alpha_lbar(a_name, alpha, mean_log_x):
    """``alpha`` a finite positive non-empty (D,) array; ``mean_log_x`` finite of the same shape."""
    check_array(a_name, alpha, ndim=1)
    if np.shape(alpha)[0] < 1:
        raise ValueError(f"`{a_name}` must be non-empty; got shape {np.shape(alpha)}.")
    check_in_range(a_name, alpha, lo=0.0, lo_open=True)
    check_array("mean_log_x", mean_log_x, ndim=1)
    check_shape("mean_log_x", mean_log_x, np.shape(alpha))


__all__ = [
    "dirichlet_nll",
    "dirichlet_mle_mm",
    "dirichlet_init_params",
    "unem_dirichlet_forward",
]


def dirichlet_nll(alpha, mean_log_x):
    """Per-point negative Dirichlet log-likelihood given the mean log-feature ``lbar`` (scalar).

    ``f(alpha) = -log Gamma(sum alpha) + sum_j log Gamma(alpha_j) - sum_j (alpha_j - 1) lbar_j``.

    Raises:
      ValueError: ``alpha`` not a finite positive non-empty (D,) array; ``mean_log_x`` not finite
        (D,) (concrete inputs only).
    """
    _check_alpha_lbar("alpha", alpha, mean_log_x)
    return -gammaln(jnp.sum(alpha)) + jnp.sum(gammaln(alpha)) - jnp.sum((alpha - 1.0) * mean_log_x)


def _mm_step(alpha, mean_log_x):
    a = jnp.abs(2.0 * (-gammaln(alpha + 1.0) + digamma(alpha + 1.0) * alpha) / alpha**2)
    b = digamma(alpha + 1.0) - digamma(jnp.sum(alpha)) - a * alpha - mean_log_x
    return (-b + jnp.sqrt(b**2 + 4.0 * a)) / (2.0 * a)


def dirichlet_mle_mm(alpha0, mean_log_x, n_iter: int):
    """``n_iter`` majorise-minimise steps towards the Dirichlet MLE of one class.

    Each step solves ``a alpha^2 + b alpha - 1 = 0`` per coordinate,
    ``alpha <- (-b + sqrt(b^2 + 4a)) / (2a)``, with ``a = c(alpha)``,
    ``b = psi(alpha + 1) - psi(sum alpha) - c(alpha) alpha - lbar`` and the curvature
    ``c(alpha) = |2 (log Gamma(1) - log Gamma(alpha + 1) + psi(alpha + 1) alpha) / alpha^2|``:
    ``-log Gamma(sum alpha)`` (concave) is linearised, ``log Gamma(alpha + 1)`` is bounded by a
    quadratic of curvature ``c`` and ``-log alpha`` is kept exact (``theory/unem.md`` Sec. 7).

    Args:
      alpha0: ``(D,)`` positive starting point.
      mean_log_x: ``(D,)`` weighted mean of ``log x`` (``lbar``).
      n_iter: number of MM steps (``>= 1``).

    Returns:
      ``alpha (D,)``.

    Raises:
      ValueError: ``n_iter`` < 1; ``alpha0`` not finite positive (D,); ``mean_log_x`` not finite (D,).

    References:
      Official ``u_em_dirichlet_embt.py``; EM-Dirichlet (Martin et al., CVPR 2024).
    """
    n_iter = check_int("n_iter", n_iter, min_value=1)
    _check_alpha_lbar("alpha0", alpha0, mean_log_x)
    return lax.fori_loop(0, n_iter, lambda _, a: _mm_step(a, mean_log_x), jnp.asarray(alpha0))


def dirichlet_init_params(n_layers: int, n_classes: int, k_eff: int, *, tau: float = 30.0):
    """Official initial values: ``tau = 30``, ``lam = K / k_eff``, ``t2 = 1`` (``T = 2``).

    Raises:
      ValueError: ``n_layers`` or ``n_classes`` < 1; ``k_eff`` outside [1, ``n_classes``];
        ``tau`` not finite and > 0.
    """
    n_layers = check_int("n_layers", n_layers, min_value=1)
    n_classes = check_int("n_classes", n_classes, min_value=1)
    k_eff = check_int("k_eff", k_eff, min_value=1, max_value=n_classes)
    check_positive("tau", tau)
    f = jnp.result_type(float)
    lam0 = softplus_inv(n_classes / k_eff)
    return UNEMParams(
        jnp.asarray(tau, f), jnp.full((n_layers,), lam0, f), jnp.full((n_layers,), 1.0, f)
    )


def unem_dirichlet_forward(params: UNEMParams, x_s, y_s, x_q, n_classes: int, *, n_mm: int = 50):
    """UNEM-Dirichlet forward pass on logits; returns ``u^(L)`` of shape ``(n_q, K)``.

    Args:
      params: :class:`UNEMParams`; ``t1`` is the temperature ``tau`` applied to the logits.
      x_s: ``(n_s, K)`` support logits (pre-softmax CLIP scores); ``y_s``: ``(n_s,)`` labels.
      x_q: ``(n_q, K)`` query logits.
      n_classes: ``K`` (the feature dimension equals ``K``).
      n_mm: MM steps per layer.

    Raises:
      ValueError: malformed ``x_s``, ``y_s``, ``x_q`` (as ``validate_task_arrays``) or logits
        whose last axis is not ``n_classes``; malformed ``params``; ``n_mm`` < 1.
    """
    n_classes = validate_task_arrays(x_s, y_s, x_q, n_classes, names=("x_s", "y_s", "x_q"))
    if np.shape(x_s)[1] != n_classes:
        raise ValueError(
            f"`x_s` must hold K = {n_classes} logits per point; got shape {np.shape(x_s)}."
        )
    _validate_params(params)
    n_mm = check_int("n_mm", n_mm, min_value=1)
    x_s, x_q = jnp.asarray(x_s), jnp.asarray(x_q)
    lam = jax.nn.softplus(params.gamma)
    T = 1.0 + jax.nn.softplus(params.t2)
    log_xs = jax.nn.log_softmax(params.t1 * x_s, axis=-1)
    log_xq = jax.nn.log_softmax(params.t1 * x_q, axis=-1)
    y1 = jax.nn.one_hot(y_s, n_classes, dtype=log_xs.dtype)
    u0 = jnp.exp(log_xq)
    alpha0 = jnp.ones((n_classes, log_xs.shape[1]), log_xs.dtype)

    def layer(carry, hyp):
        u, alpha = carry
        lam_l, T_l = hyp
        lbar = (y1.T @ log_xs + u.T @ log_xq) / (y1.sum(0) + u.sum(0))[:, None]
        alpha = jax.vmap(lambda a, m: lax.fori_loop(0, n_mm, lambda _, x: _mm_step(x, m), a))(
            alpha, lbar
        )
        pi = jnp.mean(u, axis=0)
        log_pi = jnp.log(jnp.maximum(pi, jnp.finfo(pi.dtype).tiny))
        norm = gammaln(jnp.sum(alpha, -1)) - jnp.sum(gammaln(alpha), -1)  # (K,)
        loglik = norm[None, :] + log_xq @ (alpha - 1.0).T  # (n_q, K)
        u = jax.nn.softmax((loglik + lam_l * log_pi[None, :]) / T_l, axis=-1)
        return (u, alpha), None

    (u, _), _ = lax.scan(layer, (u0, alpha0), (lam, T))
    return u
