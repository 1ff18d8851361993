"""Closed forms for Gaussian posteriors under domain constraints [derived, spec §2].

Unconstrained posterior ``N(m, Lambda^{-1})``. A soft linear constraint ``-w (a^T theta - c)^2``
adds ``2 w a a^T`` to the precision (Sherman-Morrison):

    Var_con(v^T theta) = v^T Lambda^{-1} v - 2 w (v^T Lambda^{-1} a)^2 / (1 + 2 w a^T Lambda^{-1} a)

and the constrained mean is ``(Lambda + 2 w a a^T)^{-1} (Lambda m + 2 w c a)``. The expertise
constraint is Gaussian conditioning on ``theta_j = 0`` (a Schur complement). These are the project's
own statements (the paper's precision theorem could not be read; see theory/domain_constraints.md).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonnegative,
    check_positive,
    check_shape,
    is_traced,
)
from unlearnlab.selective_labels.likelihood import (
    _ll_marginal,
    _prevalence,
    check_mask,
    check_TY,
    check_X,
)
from unlearnlab.selective_labels.model import PRIOR_SD

__all__ = [
    "constrained_gaussian_var",
    "constrained_gaussian_posterior",
    "conditioned_gaussian",
    "conjugate_testbed_posterior",
    "laplace_constrained_sd",
    "log_posterior_flat",
]


def _check_spd(name, A):
    check_array(name, A, ndim=2)
    n = np.shape(A)[0]
    check_shape(name, A, (n, n))
    if is_traced(A):
        return
    a = np.asarray(A, dtype=float)
    if not np.allclose(a, a.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(a).max())):
        raise ValueError(f"`{name}` must be symmetric.")
    if np.linalg.eigvalsh(a).min() <= 0:
        raise ValueError(f"`{name}` must be positive definite.")


def _check_posterior_args(theta, name, X, T, Y, alpha, n_nodes, *, sigma_positive=True):
    """Boundary checks of the flat-parameter functions: ``theta = [beta_Y, beta_D, sigma]``."""
    check_X(X)
    N, M = np.shape(X)
    check_TY(T, Y, N)
    check_array(name, theta, ndim=1)
    check_shape(name, theta, (2 * M + 1,))
    if sigma_positive and not is_traced(theta) and not float(np.asarray(theta)[2 * M]) > 0:
        raise ValueError(
            f"`{name}` must have sigma = {name}[2M] > 0; got {np.asarray(theta)[2 * M]}."
        )
    check_array("alpha", alpha, ndim=0)
    check_int("n_nodes", n_nodes, min_value=1)


def constrained_gaussian_var(Lambda, a, v, w):
    """Variance of ``v^T theta`` under ``N(m, Lambda^{-1})`` times ``exp(-w (a^T theta - c)^2)``.

    ``Var_con = v^T L^{-1} v - 2 w (v^T L^{-1} a)^2 / (1 + 2 w a^T L^{-1} a)`` [derived, spec §2];
    never above the unconstrained ``v^T L^{-1} v``, strictly below iff ``v^T L^{-1} a != 0`` (w > 0).

    Args:
      Lambda: (d, d) symmetric positive-definite precision. a: (d,) constraint direction.
      v: (d,) functional. w: () >= 0 constraint weight.

    Returns:
      () constrained variance.
    """
    _check_spd("Lambda", Lambda)
    d = np.shape(Lambda)[0]
    check_shape("a", a, (d,))
    check_shape("v", v, (d,))
    check_array("a", a)
    check_array("v", v)
    check_nonnegative("w", w)
    cho = jax.scipy.linalg.cho_factor(Lambda)
    Sa = jax.scipy.linalg.cho_solve(cho, a)
    Sv = jax.scipy.linalg.cho_solve(cho, v)
    return v @ Sv - 2 * w * (v @ Sa) ** 2 / (1 + 2 * w * (a @ Sa))


def constrained_gaussian_posterior(m, Lambda, a, c, w):
    """Mean and covariance of ``N(m, Lambda^{-1})`` times ``exp(-w (a^T theta - c)^2)``.

    Precision ``Lambda + 2 w a a^T``; mean ``(Lambda + 2 w a a^T)^{-1} (Lambda m + 2 w c a)``.

    Args:
      m: (d,) mean. Lambda: (d, d) SPD precision. a: (d,). c: () target. w: () >= 0.

    Returns:
      ``(mean (d,), cov (d, d))``.
    """
    _check_spd("Lambda", Lambda)
    d = np.shape(Lambda)[0]
    check_shape("m", m, (d,))
    check_shape("a", a, (d,))
    check_array("m", m)
    check_array("a", a)
    check_array("c", c)
    check_nonnegative("w", w)
    P = Lambda + 2 * w * jnp.outer(a, a)
    cov = jnp.linalg.inv(P)
    cov = 0.5 * (cov + cov.T)
    return cov @ (Lambda @ m + 2 * w * c * a), cov


def conditioned_gaussian(mean, cov, zero_idx):
    """Condition ``N(mean, cov)`` on ``theta_j = 0`` for ``j`` in ``zero_idx`` (Schur complement).

    Kept block ``1``, conditioned block ``2``: ``mean_1 - S_12 S_22^{-1} mean_2`` and
    ``S_11 - S_12 S_22^{-1} S_21``; the full-size outputs hold exact zeros on ``zero_idx``.

    Args:
      mean: (d,). cov: (d, d) SPD. zero_idx: sequence of distinct ints in [0, d) (static).

    Returns:
      ``(mean (d,), cov (d, d))``.

    Raises:
      ValueError: ``cov`` not SPD; ``mean`` not a finite (d,) array; ``zero_idx`` not distinct
        indices in [0, d).
    """
    _check_spd("cov", cov)
    d = np.shape(cov)[0]
    check_array("mean", mean, ndim=1)
    check_shape("mean", mean, (d,))
    idx2 = np.asarray(sorted(int(j) for j in zero_idx), dtype=int)
    if idx2.size and (idx2.min() < 0 or idx2.max() >= d or np.unique(idx2).size != idx2.size):
        raise ValueError(f"`zero_idx` must be distinct indices in [0, {d}); got {list(zero_idx)}.")
    if idx2.size == 0:
        return jnp.asarray(mean), jnp.asarray(cov)
    idx1 = np.setdiff1d(np.arange(d), idx2)
    S12 = cov[np.ix_(idx1, idx2)]
    S22 = cov[np.ix_(idx2, idx2)]
    K = jnp.linalg.solve(S22, S12.T).T
    m1 = mean[idx1] - K @ mean[idx2]
    C11 = cov[np.ix_(idx1, idx1)] - K @ S12.T
    C11 = 0.5 * (C11 + C11.T)
    out_m = jnp.zeros(d, C11.dtype).at[idx1].set(m1)
    out_c = jnp.zeros((d, d), C11.dtype).at[np.ix_(idx1, idx1)].set(C11)
    return out_m, out_c


def conjugate_testbed_posterior(X, T, Y, noise_sd, prior_sd, prevalence, w):
    """Exact Gaussian posterior of the conjugate testbed (spec §2) [derived].

    ``beta ~ N(0, prior_sd^2 I)``; tested rows ``Y_i ~ N(X_i beta, noise_sd^2)`` (testing depends on
    X only, so the tested-only likelihood is the right one); soft prevalence constraint
    ``-w (xbar^T beta - pi*)^2`` with ``xbar = mean_i X_i`` over all N people. Precision
    ``Lambda = X_T^T X_T / noise_sd^2 + I / prior_sd^2 + 2 w xbar xbar^T``.

    Args:
      X: (N, M). T: (N,) in {0, 1}. Y: (N,) real (ignored where T = 0). noise_sd, prior_sd: () > 0.
      prevalence: pi* (a mean outcome), or None. w: () >= 0.

    Returns:
      ``(mean (M,), cov (M, M))``.

    Raises:
      ValueError: ``X`` not a finite non-empty (N, M) array; ``T``/``Y`` malformed; ``noise_sd`` or
        ``prior_sd`` not > 0; ``w`` < 0; ``prevalence`` not finite.
    """
    check_array("X", X, ndim=2)
    if np.shape(X)[0] < 1:
        raise ValueError(f"`X` must hold at least one person; got shape {np.shape(X)}.")
    if prevalence is not None:
        check_array("prevalence", prevalence, ndim=0)
    N, M = np.shape(X)
    check_TY(T, Y, N, binary_Y=False)
    check_positive("noise_sd", noise_sd)
    check_positive("prior_sd", prior_sd)
    check_nonnegative("w", w)
    t = jnp.asarray(T, X.dtype)
    Lam = (X.T * t) @ X / noise_sd**2 + jnp.eye(M, dtype=X.dtype) / prior_sd**2
    b = X.T @ (t * jnp.where(T == 1, Y, 0.0)) / noise_sd**2
    m = jnp.linalg.solve(Lam, b)
    if prevalence is None:
        w = 0.0
        prevalence = 0.0
    return constrained_gaussian_posterior(m, Lam, jnp.mean(X, 0), prevalence, w)


def log_posterior_flat(theta, X, T, Y, alpha, n_nodes: int = 40):
    """Unconstrained log posterior (up to a constant) at ``theta = [beta_Y (M), beta_D (M), sigma]``.

    Gauss-Hermite-marginalised log-likelihood plus the Stan priors ``N(0, 3^2)`` and
    ``N+(0, 3^2)`` (for sigma > 0), with alpha known. Used for the Laplace approximation.

    Raises:
      ValueError: ``theta`` not a finite (2M + 1,) array with ``sigma > 0``; malformed ``X``,
        ``T``, ``Y``; ``alpha`` not finite; ``n_nodes`` < 1 (concrete ``theta`` only: inside
        ``jax.grad``/``hessian`` the inputs are trusted).
    """
    if not is_traced(theta):
        _check_posterior_args(theta, "theta", X, T, Y, alpha, n_nodes)
    M = X.shape[1]
    bY, bD, sigma = theta[:M], theta[M : 2 * M], theta[2 * M]
    lp = -0.5 * (jnp.sum(bY**2) + jnp.sum(bD**2) + sigma**2) / PRIOR_SD**2
    return lp + jnp.sum(_ll_marginal(bY, bD, alpha, sigma, X, T, Y, n_nodes))


def laplace_constrained_sd(
    theta_mode, X, T, Y, *, w_prev, expertise_mask, alpha, n_nodes: int = 40
) -> dict:
    """Laplace prediction of the posterior s.d. under each constraint set (spec §4) [derived].

    ``Lambda = -Hess log p(theta | data)`` at the unconstrained mode ``theta = [beta_Y, beta_D,
    sigma]`` (``jax.hessian`` of the Gauss-Hermite-marginalised log posterior). Prevalence:
    precision ``Lambda + 2 w a a^T`` with ``a = grad p_bar(theta)`` (the linearised constraint;
    an approximation, p_bar being non-linear). Expertise: condition on ``beta_D_j = 0`` off A (Schur
    complement). Both: first the prevalence update, then the conditioning.

    Args:
      theta_mode: (2M + 1,) the unconstrained posterior mode. X, T, Y: the data.
      w_prev: w >= 0. expertise_mask: (M,) bool (True = free). alpha: () known alpha.

    Returns:
      dict ``{"none", "prevalence", "expertise", "both"}`` -> (2M + 1,) predicted posterior s.d.s
      (0 on conditioned coordinates), plus ``"grad_norm"`` () the gradient norm at ``theta_mode``.

    Raises:
      ValueError: ``theta_mode`` not a finite (2M + 1,) array; malformed ``X``, ``T``, ``Y`` or
        ``expertise_mask``; ``w_prev`` < 0; ``alpha`` not finite; ``n_nodes`` < 1.
    """
    _check_posterior_args(theta_mode, "theta_mode", X, T, Y, alpha, n_nodes, sigma_positive=False)
    M = np.shape(X)[1]
    check_nonnegative("w_prev", w_prev)
    mask = check_mask(expertise_mask, M)
    zero = M + np.flatnonzero(~np.asarray(mask))
    keep = np.setdiff1d(np.arange(2 * M + 1), zero)
    # one compiled program (the Hessian alone is hundreds of primitives when run op by op)
    return _laplace(
        theta_mode, X, T, Y, w_prev, alpha, n_nodes, tuple(map(int, zero)), tuple(map(int, keep))
    )


@partial(jax.jit, static_argnums=(6, 7, 8))
def _laplace(theta_mode, X, T, Y, w_prev, alpha, n_nodes, zero, keep):
    M = X.shape[1]
    zero, keep = np.asarray(zero, dtype=int), np.asarray(keep, dtype=int)
    f = lambda th: log_posterior_flat(th, X, T, Y, alpha, n_nodes)  # noqa: E731
    H = jax.hessian(f)(theta_mode)
    g = jax.grad(f)(theta_mode)
    Lam = -0.5 * (H + H.T)
    a = jax.grad(lambda th: _prevalence(th[:M], th[2 * M], X, n_nodes))(theta_mode)
    cov0 = jnp.linalg.inv(Lam)
    covp = jnp.linalg.inv(Lam + 2 * w_prev * jnp.outer(a, a))

    def cond(cov):  # Schur complement; equals inv of the precision's kept block
        S12 = cov[np.ix_(keep, zero)]
        C = cov[np.ix_(keep, keep)] - S12 @ jnp.linalg.solve(cov[np.ix_(zero, zero)], S12.T)
        return jnp.zeros_like(cov).at[np.ix_(keep, keep)].set(C)

    sd = lambda c: jnp.sqrt(jnp.clip(jnp.diag(c), 0.0))  # noqa: E731
    return {
        "none": sd(cov0),
        "prevalence": sd(covp),
        "expertise": sd(cond(cov0)),
        "both": sd(cond(covp)),
        "grad_norm": jnp.linalg.norm(g),
    }


def posterior_mode(theta0, X, T, Y, alpha, *, n_steps: int = 30, n_nodes: int = 40):
    """Unconstrained posterior mode by damped Newton from ``theta0`` (traceable; ``lax.scan``).

    Each step solves ``(Lambda + lam I) delta = grad`` with ``Lambda = -Hess`` made positive
    definite by ``lam = max(1e-6, -min eig(Lambda) + 1e-3)``, caps ``|delta| <= 1``, and keeps sigma
    above 0.05. Returns ``(theta (2M+1,), grad_norm ())``.

    Raises:
      ValueError: ``theta0`` not a finite (2M + 1,) array with ``sigma > 0``; malformed ``X``,
        ``T``, ``Y``; ``alpha`` not finite; ``n_steps`` or ``n_nodes`` < 1 (concrete inputs only).
    """
    _check_posterior_args(theta0, "theta0", X, T, Y, alpha, n_nodes)
    check_int("n_steps", n_steps, min_value=1)
    # one compiled program (run op by op, the Newton set-up and final gradient are ~60 programs)
    return _posterior_mode(theta0, X, T, Y, alpha, n_steps, n_nodes)


@partial(jax.jit, static_argnums=(5, 6))
def _posterior_mode(theta0, X, T, Y, alpha, n_steps, n_nodes):
    M = X.shape[1]
    f = lambda th: log_posterior_flat(th, X, T, Y, alpha, n_nodes)  # noqa: E731

    def step(th, _):
        g = jax.grad(f)(th)
        L = -jax.hessian(f)(th)
        L = 0.5 * (L + L.T)
        lam = jnp.maximum(1e-6, -jnp.linalg.eigvalsh(L)[0] + 1e-3)
        d = jnp.linalg.solve(L + lam * jnp.eye(2 * M + 1, dtype=th.dtype), g)
        d = d / jnp.maximum(1.0, jnp.linalg.norm(d))
        new = th + d
        new = new.at[2 * M].set(jnp.maximum(new[2 * M], 0.05))
        return new, None

    th, _ = jax.lax.scan(step, theta0, None, length=n_steps)
    return th, jnp.linalg.norm(jax.grad(f)(th))
