r"""Relearning attacks on unlearned least squares, and robust (SAM) unlearning against them.

Fan, Jia, Zhang, Ramakrishna, Hong, Liu, *Towards LLM Unlearning Resilient to Relearning Attacks:
A Sharpness-Aware Minimization Perspective and Beyond*, ICML 2025 (PMLR 267:15762-15778),
arXiv 2502.05374. The paper casts robust unlearning as a min-max problem (the adversary relearns
from a few forget points) and links it to sharpness-aware minimisation (SAM); its experiments are on
LLMs. The analyzable core here is the lab's [derived] quadratic model (``theory/relearn_sam.md``):

.. math::

    L_r(\theta) = \tfrac{1}{2n_r}\|X_r\theta - y_r\|^2 + \tfrac\lambda2\|\theta\|^2, \qquad
    L_f(\theta) = \tfrac{1}{2n_f}\|X_f\theta - y_f\|^2, \qquad H_f = X_f^\top X_f / n_f,

with ``n_f < d`` so that ``H_f`` has flat directions. Unlearning asks for ``L_f >= c`` at low
``L_r``; the relearning attack is gradient descent with step ``eta`` on ``L_f`` (or on a subset of
the forget rows). Everything that can be closed form is: the relearning curve (spectral identity
S1), the exact worst case in a ball ``TRmin_rho`` (trust-region subproblem), the constrained
unlearning solution (a secular equation) and the certified relearning delay (S2).

Symbols -> arguments: ``X_r, y_r`` retain rows, ``X_f, y_f`` forget rows, ``lam`` the ridge
``lambda`` of ``L_r``, ``c`` the forget-loss target, ``rho`` the relearning radius, ``eta`` the
attacker's step, ``K`` its number of steps.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonnegative,
    check_positive,
    is_traced,
)
from unlearnlab.unlearning.exact import check_forget_mask, ridge_fit

__all__ = [
    "forget_loss",
    "retain_loss",
    "full_fit",
    "retain_fit",
    "relearn_curve",
    "relearn_gd",
    "relearn_subset",
    "trust_region_min",
    "robust_radius",
    "certified_delay",
    "first_crossing",
    "unlearn_constrained",
    "unlearn_robust",
    "ga_penalty_unlearn",
    "sam_unlearn",
    "forget_error_weights",
]

_BISECT = 200


# --------------------------------------------------------------------------- validation


def _xy(Xn, yn, X, y, d=None):
    check_array(Xn, X, ndim=2)
    check_array(yn, y, ndim=1)
    n, dd = np.shape(X)
    if n < 1:
        raise ValueError(f"`{Xn}` must have at least one row; got shape {np.shape(X)}.")
    if d is not None and dd != d:
        raise ValueError(f"`{Xn}` must have {d} columns; got shape {np.shape(X)}.")
    if np.shape(y)[0] != n:
        raise ValueError(f"`{yn}` must have {n} entries (rows of `{Xn}`); got {np.shape(y)[0]}.")
    return dd


def _theta(name, theta, d):
    check_array(name, theta, ndim=1)
    if np.shape(theta)[0] != d:
        raise ValueError(f"`{name}` must have shape ({d},); got {np.shape(theta)}.")


def _forget(X_f, y_f, d=None):
    return _xy("X_f", "y_f", X_f, y_f, d)


def _Hb(X, y):
    n = X.shape[0]
    return X.T @ X / n, X.T @ y / n, 0.5 * (y @ y) / n


def _eta(eta, X_f, limit=2.0, strict=True):
    check_positive("eta", eta)
    if is_traced(eta) or is_traced(X_f):
        return
    Xn = np.asarray(X_f)
    lmax = float(np.linalg.eigvalsh(Xn.T @ Xn / Xn.shape[0])[-1])
    bad = float(eta) * lmax >= limit if strict else float(eta) * lmax > limit * (1 + 1e-12)
    if bad:
        raise ValueError(
            f"`eta` must be {'<' if strict else '<='} {limit:g}/lambda_max(H_f) = "
            f"{limit / lmax:.4g} (the stability limit); got {float(eta):.4g}."
        )


# --------------------------------------------------------------------------- losses and fits


def forget_loss(theta, X_f, y_f):
    r"""Forget loss :math:`L_f(\theta) = \frac{1}{2n_f}\|X_f\theta - y_f\|^2`.

    Args:
      theta: ``(d,)``; X_f: ``(n_f, d)``; y_f: ``(n_f,)``.

    Returns:
      Scalar loss.

    Raises:
      ValueError: shapes, empty or non-finite inputs.
    """
    d = _forget(X_f, y_f)
    _theta("theta", theta, d)
    return _lf(jnp.asarray(theta), jnp.asarray(X_f), jnp.asarray(y_f))


@jax.jit
def _lf(theta, X, y):
    r = X @ theta - y
    return 0.5 * (r @ r) / X.shape[0]


def retain_loss(theta, X_r, y_r, lam):
    r"""Retain loss :math:`L_r(\theta) = \frac{1}{2n_r}\|X_r\theta - y_r\|^2 + \frac\lambda2\|\theta\|^2`.

    Args:
      theta: ``(d,)``; X_r: ``(n_r, d)``; y_r: ``(n_r,)``; lam: ``lambda > 0``.

    Returns:
      Scalar loss.

    Raises:
      ValueError: shapes, empty or non-finite inputs, ``lam <= 0``.
    """
    d = _xy("X_r", "y_r", X_r, y_r)
    _theta("theta", theta, d)
    check_positive("lam", lam)
    return _lr(jnp.asarray(theta), jnp.asarray(X_r), jnp.asarray(y_r), lam)


@jax.jit
def _lr(theta, X, y, lam):
    return _lf(theta, X, y) + 0.5 * lam * (theta @ theta)


def full_fit(X_r, y_r, X_f, y_f, lam):
    r"""The model trained on all rows, :math:`\arg\min \frac{1}{2}\sum_{all}(x^\top\theta - y)^2 + \frac{(n_r+n_f)\lambda}{2}\|\theta\|^2`.

    The per-row ridge of :math:`L_r`, on the union; computed by the family's ridge oracle
    :func:`unlearnlab.unlearning.ridge_fit` (summed loss, ``lam_sum = (n_r + n_f) lam``).

    Args:
      X_r: ``(n_r, d)``; y_r: ``(n_r,)``; X_f: ``(n_f, d)``; y_f: ``(n_f,)``; lam: ``> 0``.

    Returns:
      ``(d,)`` parameters ``theta_full``.

    Raises:
      ValueError: shapes, empty or non-finite inputs, ``lam <= 0``.
    """
    d = _xy("X_r", "y_r", X_r, y_r)
    _forget(X_f, y_f, d)
    check_positive("lam", lam)
    X = jnp.concatenate([jnp.asarray(X_r), jnp.asarray(X_f)])
    y = jnp.concatenate([jnp.asarray(y_r), jnp.asarray(y_f)])
    return ridge_fit(X, y, X.shape[0] * lam)


def retain_fit(X_r, y_r, lam):
    r"""Exact retrain: :math:`\arg\min L_r` (the ridge oracle with ``lam_sum = n_r lam``).

    Args:
      X_r: ``(n_r, d)``; y_r: ``(n_r,)``; lam: ``> 0``.

    Returns:
      ``(d,)`` minimiser of :math:`L_r`.

    Raises:
      ValueError: shapes, empty or non-finite inputs, ``lam <= 0``.
    """
    _xy("X_r", "y_r", X_r, y_r)
    check_positive("lam", lam)
    return ridge_fit(jnp.asarray(X_r), jnp.asarray(y_r), np.shape(X_r)[0] * lam)


# --------------------------------------------------------------------------- relearning


@jax.jit
def _spectral(theta0, X, y, eta, ks):
    H, b, c0 = _Hb(X, y)
    lam, U = jnp.linalg.eigh(H)
    tol = 1e-12 * jnp.maximum(lam[-1], 1e-300)
    pos = lam > tol
    inv = jnp.where(pos, 1.0 / jnp.where(pos, lam, 1.0), 0.0)
    theta_bar = U @ (inv * (U.T @ b))
    Lstar = c0 - 0.5 * b @ theta_bar
    e = U.T @ (theta0 - theta_bar)
    lam_p = jnp.where(pos, lam, 0.0)
    fac = (1.0 - eta * lam_p)[None, :] ** (2 * ks[:, None])
    return Lstar + 0.5 * jnp.sum(lam_p[None, :] * fac * e[None, :] ** 2, axis=1)


def _ks(ks):
    check_array("ks", ks, ndim=1, finite=False)
    a = np.asarray(ks)
    if a.size < 1 or a.dtype.kind not in "iu":
        raise ValueError(f"`ks` must be a non-empty integer array; got {a.dtype} {a.shape}.")
    if a.min() < 0:
        raise ValueError(f"`ks` must be >= 0; got {a.min()}.")
    return jnp.asarray(a)


def relearn_curve(theta0, X_f, y_f, eta, ks):
    r"""Exact relearning curve of gradient descent on the forget loss (claim S1).

    Gradient descent :math:`\theta_{k+1} = \theta_k - \eta\nabla L_f(\theta_k)` from
    :math:`\theta_0` satisfies, with :math:`H_f = U\operatorname{diag}(\lambda)U^\top` and
    :math:`\tilde e = U^\top(\theta_0 - \bar\theta_f)` (:math:`\bar\theta_f = H_f^+ b_f`),

    .. math::

        L_f(\theta_k) - L_f^* = \tfrac12\sum_i \lambda_i (1-\eta\lambda_i)^{2k}\tilde e_i^2 .

    Args:
      theta0: ``(d,)`` the unlearned model the attacker starts from.
      X_f: ``(n_f, d)``; y_f: ``(n_f,)`` the rows the attacker relearns from.
      eta: step ``0 < eta < 2 / lambda_max(H_f)``.
      ks: ``(K,)`` integer step counts ``>= 0``.

    Returns:
      ``(K,)`` values :math:`L_f(\theta_k)`.

    Raises:
      ValueError: ``eta`` outside the stability range, negative ``ks``, shapes, non-finite input.

    References:
      spec ``unlearning-attacks.md`` sec. 3.5, claim S1 [derived].
    """
    d = _forget(X_f, y_f)
    _theta("theta0", theta0, d)
    _eta(eta, X_f)
    return _spectral(jnp.asarray(theta0), jnp.asarray(X_f), jnp.asarray(y_f), eta, _ks(ks))


@partial(jax.jit, static_argnames=("K",))
def _gd(theta0, X, y, eta, K):
    H, b, _ = _Hb(X, y)

    def step(th, _):
        th = th - eta * (H @ th - b)
        return th, _lf(th, X, y)

    thK, losses = jax.lax.scan(step, theta0, None, length=K)
    return jnp.concatenate([_lf(theta0, X, y)[None], losses]), thK


def relearn_gd(theta0, X_f, y_f, eta, K):
    r"""Simulated relearning attack: ``K`` full-batch gradient steps on :math:`L_f` (``lax.scan``).

    Args:
      theta0: ``(d,)`` start.
      X_f: ``(n_f, d)``.
      y_f: ``(n_f,)``.
      eta: step, ``0 < eta < 2 / lambda_max(H_f)``.
      K: number of steps ``>= 1``.

    Returns:
      ``(losses (K + 1,), theta_K (d,))`` with ``losses[k] = L_f(theta_k)``.

    Raises:
      ValueError: ``eta`` above the stability limit, ``K < 1``, shapes, non-finite input.

    References:
      spec ``unlearning-attacks.md`` sec. 3.5 (relearning attack).
    """
    d = _forget(X_f, y_f)
    _theta("theta0", theta0, d)
    _eta(eta, X_f)
    K = check_int("K", K, min_value=1)
    return _gd(jnp.asarray(theta0), jnp.asarray(X_f), jnp.asarray(y_f), eta, K)


@jax.jit
def _subset(theta0, X, y, sub, eta, ks):
    w = sub.astype(X.dtype)
    n_s = jnp.sum(w)
    H = (X * w[:, None]).T @ X / n_s
    b = X.T @ (w * y) / n_s
    g0 = H @ theta0 - b
    lam, U = jnp.linalg.eigh(H)
    lam = jnp.clip(lam, 0.0)
    g = U.T @ g0
    kf = ks[:, None].astype(X.dtype)
    small = lam * eta < 1e-14
    coef = jnp.where(
        small[None, :],
        eta * kf,
        (1.0 - (1.0 - eta * lam[None, :]) ** kf) / jnp.where(small, 1.0, lam)[None, :],
    )
    thetas = theta0[None, :] - (coef * g[None, :]) @ U.T
    wc = 1.0 - w
    n_c = jnp.sum(wc)
    r = thetas @ X.T - y[None, :]
    return 0.5 * (r**2 @ wc) / n_c, 0.5 * (r**2 @ w) / n_s


def relearn_subset(theta0, X_f, y_f, subset_mask, eta, ks):
    r"""Subset relearning: gradient descent on the forget rows ``F'`` only, loss on ``F \ F'``.

    With :math:`H' = X_{F'}^\top X_{F'}/|F'|` and :math:`g_0 = \nabla L_{F'}(\theta_0)` the
    iterates are exactly :math:`\theta_k = \theta_0 - U\operatorname{diag}((1-(1-\eta\lambda_i)^k)/\lambda_i)U^\top g_0`
    (``eta k`` on ``lambda_i = 0``), so both losses are evaluated in closed form for every ``k``.

    Args:
      theta0: ``(d,)``; X_f: ``(n_f, d)``; y_f: ``(n_f,)``;
      subset_mask: ``bool[n_f]`` the rows ``F'`` the attacker holds (non-empty, not all of them);
      eta: step ``0 < eta < 2 / lambda_max(H')``; ks: ``(K,)`` integer step counts ``>= 0``.

    Returns:
      ``(loss_rest (K,), loss_subset (K,))``: the mean-squared forget loss on ``F \ F'`` and on
      ``F'`` after ``k`` steps.

    Raises:
      ValueError: a mask of the wrong shape/dtype, empty or covering every forget row, ``eta``
        above the stability limit, negative ``ks``.

    References:
      spec ``unlearning-attacks.md`` sec. 3.5, S4 (reported) [derived]; the paper's attack uses "a
      small number of forget data points".
    """
    d = _forget(X_f, y_f)
    _theta("theta0", theta0, d)
    check_forget_mask(subset_mask, np.shape(X_f)[0], name="subset_mask")
    if not (is_traced(subset_mask) or is_traced(X_f)):
        _eta(eta, np.asarray(X_f)[np.asarray(subset_mask)])
    else:
        check_positive("eta", eta)
    return _subset(
        jnp.asarray(theta0),
        jnp.asarray(X_f),
        jnp.asarray(y_f),
        jnp.asarray(subset_mask),
        eta,
        _ks(ks),
    )


# --------------------------------------------------------------------------- worst case in a ball


def _tr_core(theta, H, b, c0, rho):
    """min_{||delta|| <= rho} 0.5 (theta+delta)^T H (theta+delta) - b^T (theta+delta) + c0."""
    lam, U = jnp.linalg.eigh(H)
    lam = jnp.clip(lam, 0.0)
    g = H @ theta - b
    gt = U.T @ g
    val0 = 0.5 * theta @ H @ theta - b @ theta + c0
    scale = jnp.maximum(lam[-1], 1e-300)
    null = lam <= 1e-12 * scale
    gnull = jnp.sum(jnp.where(null, gt**2, 0.0))
    inv = jnp.where(null, 0.0, 1.0 / jnp.where(null, 1.0, lam))
    d_int = -(inv * gt)
    interior = (gnull <= (1e-12 * jnp.linalg.norm(g)) ** 2 + 1e-300) & (
        jnp.linalg.norm(d_int) <= rho
    )

    def norm_at(nu):
        return jnp.sqrt(jnp.sum(gt**2 / (lam + nu) ** 2))

    gn = jnp.linalg.norm(g)
    hi0 = gn / jnp.maximum(rho, 1e-300)

    def body(_, lohi):
        lo, hi = lohi
        mid = 0.5 * (lo + hi)
        big = norm_at(mid) > rho
        return jnp.where(big, mid, lo), jnp.where(big, hi, mid)

    lo, hi = jax.lax.fori_loop(0, _BISECT, body, (jnp.zeros_like(hi0), hi0))
    nu = hi
    d_bd = -(gt / (lam + nu))
    d_bd = d_bd * jnp.where(
        jnp.linalg.norm(d_bd) > 0, rho / jnp.maximum(jnp.linalg.norm(d_bd), 1e-300), 0.0
    )
    dt = jnp.where(interior, d_int, d_bd)
    dt = jnp.where(rho > 0, dt, 0.0)
    delta = U @ dt
    val = val0 + gt @ dt + 0.5 * jnp.sum(lam * dt**2)
    return val, delta


@jax.jit
def _trmin(theta, X, y, rho):
    H, b, c0 = _Hb(X, y)
    return _tr_core(theta, H, b, c0, rho)


def trust_region_min(theta, X_f, y_f, rho):
    r"""Exact worst case of the forget loss in a ball: :math:`\min_{\|\delta\|\le\rho} L_f(\theta+\delta)`.

    A convex trust-region subproblem (``H_f`` PSD). With :math:`g = \nabla L_f(\theta)` and
    :math:`H_f = U\operatorname{diag}(\lambda)U^\top`: if ``g`` has no component on the null space
    of ``H_f`` and :math:`\|H_f^+ g\| \le \rho`, the minimiser is interior,
    :math:`\delta = -H_f^+ g`; otherwise :math:`\delta(\nu) = -(H_f+\nu I)^{-1}g` with
    :math:`\|\delta(\nu)\| = \rho`, ``nu > 0`` found by bisection (the secular equation) on
    ``[0, ||g|| / rho]``. Its gradient in ``theta`` (Danskin) is
    :math:`\nabla L_f(\theta+\delta^*)`. The SAM sandwich (claim S3) holds:

    .. math::

        L_f - \rho\|\nabla L_f\| \le \mathrm{TRmin}_\rho L_f \le
        L_f - \rho\|\nabla L_f\| + \tfrac12\rho^2\lambda_{\max}(H_f).

    Args:
      theta: ``(d,)``; X_f: ``(n_f, d)``; y_f: ``(n_f,)``; rho: radius ``>= 0``.

    Returns:
      ``(value, delta)``: the minimum (scalar) and a minimiser ``delta`` (``(d,)``).

    Raises:
      ValueError: ``rho < 0``, shapes, non-finite input.

    References:
      Moré and Sorensen 1983 (trust-region subproblem); spec ``unlearning-attacks.md`` sec. 3.5,
      claim S3 [derived].
    """
    d = _forget(X_f, y_f)
    _theta("theta", theta, d)
    check_nonnegative("rho", rho)
    return _trmin(jnp.asarray(theta), jnp.asarray(X_f), jnp.asarray(y_f), rho)


@jax.jit
def _radius(theta, X, y, c):
    H, b, c0 = _Hb(X, y)
    lam, U = jnp.linalg.eigh(H)
    pos = lam > 1e-12 * jnp.maximum(lam[-1], 1e-300)
    inv = jnp.where(pos, 1.0 / jnp.where(pos, lam, 1.0), 0.0)
    theta_bar = U @ (inv * (U.T @ b))
    hi0 = jnp.linalg.norm(theta - theta_bar)

    def body(_, lohi):
        lo, hi = lohi
        mid = 0.5 * (lo + hi)
        ok = _tr_core(theta, H, b, c0, mid)[0] >= c
        return jnp.where(ok, mid, lo), jnp.where(ok, hi, mid)

    lo, _ = jax.lax.fori_loop(0, 100, body, (jnp.zeros_like(hi0), hi0))
    return jnp.where(_lf(theta, X, y) >= c, lo, 0.0)


def robust_radius(theta, X_f, y_f, c):
    r"""Largest ``rho`` with :math:`\mathrm{TRmin}_\rho L_f(\theta) \ge c`: the distance from ``theta`` to ``{L_f < c}``.

    ``TRmin_rho`` decreases continuously in ``rho`` and reaches ``L_f^*`` at
    ``rho = ||theta - theta_bar_f||``; bisection (100 halvings) returns the lower end, so the
    returned radius is certified: ``TRmin_rho L_f(theta) >= c`` holds at it. Zero when
    ``L_f(theta) < c``.

    Args:
      theta: ``(d,)``; X_f: ``(n_f, d)``; y_f: ``(n_f,)``; c: forget-loss level ``> L_f^*``.

    Returns:
      Scalar radius ``>= 0``.

    Raises:
      ValueError: shapes, non-finite input, ``c`` not above the minimum of ``L_f``.

    References:
      spec ``unlearning-attacks.md`` sec. 3.5, claim S2 [derived].
    """
    d = _forget(X_f, y_f)
    _theta("theta", theta, d)
    _level(c, X_f, y_f)
    return _radius(jnp.asarray(theta), jnp.asarray(X_f), jnp.asarray(y_f), c)


def _level(c, X_f, y_f):
    check_array("c", c, ndim=0)
    if is_traced(c) or is_traced(X_f):
        return
    Xn, yn = np.asarray(X_f, float), np.asarray(y_f, float)
    Lstar = 0.5 * float(np.sum((Xn @ np.linalg.lstsq(Xn, yn, rcond=None)[0] - yn) ** 2)) / len(yn)
    if not float(c) > Lstar:
        raise ValueError(f"`c` must exceed min L_f = {Lstar:.4g}; got {float(c):.4g}.")


def certified_delay(theta, X_f, y_f, c, eta):
    r"""Certified relearning delay (claim S2): steps of GD on :math:`L_f` that provably keep ``L_f >= c``.

    For :math:`\eta \le 1/\lambda_{\max}(H_f)`, :math:`\|H_f(I-\eta H_f)^j e\| \le \|H_f e\|`, so
    :math:`\|\theta_k - \theta_0\| \le k\eta\|\nabla L_f(\theta_0)\|`. With
    :math:`\rho^* =` :func:`robust_radius` (``TRmin_{rho*} L_f(theta_0) >= c``), every
    :math:`k \le \lfloor \rho^*/(\eta\|\nabla L_f(\theta_0)\|)\rfloor` has :math:`L_f(\theta_k)\ge c`.

    Args:
      theta: ``(d,)`` the unlearned model; X_f: ``(n_f, d)``; y_f: ``(n_f,)``;
      c: forget-loss level ``> min L_f``; eta: step ``0 < eta <= 1 / lambda_max(H_f)``.

    Returns:
      Scalar (float64 integer value) certified number of steps; 0 when ``L_f(theta) < c``.

    Raises:
      ValueError: ``eta`` above ``1 / lambda_max(H_f)``, ``c`` at or below ``min L_f``, shapes.

    References:
      spec ``unlearning-attacks.md`` sec. 3.5, claim S2 [derived]; proof in
      ``theory/relearn_sam.md``.
    """
    d = _forget(X_f, y_f)
    _theta("theta", theta, d)
    _eta(eta, X_f, limit=1.0, strict=False)
    _level(c, X_f, y_f)
    return _delay(jnp.asarray(theta), jnp.asarray(X_f), jnp.asarray(y_f), c, eta)


@jax.jit
def _delay(theta, X, y, c, eta):
    H, b, _ = _Hb(X, y)
    r = _radius(theta, X, y, c)
    gn = jnp.linalg.norm(H @ theta - b)
    return jnp.where(gn > 0, jnp.floor(r / (eta * jnp.maximum(gn, 1e-300))), jnp.inf)


def first_crossing(losses, c):
    r"""First index ``k`` with ``losses[k] < c`` (the measured relearning delay); ``len(losses)`` if none.

    Args:
      losses: ``(K + 1,)`` forget losses along a relearning trajectory (:func:`relearn_gd`).
      c: level.

    Returns:
      Integer scalar.

    Raises:
      ValueError: empty or non-finite ``losses``, non-finite ``c``.
    """
    check_array("losses", losses, ndim=1)
    if np.shape(losses)[0] < 1:
        raise ValueError("`losses` must be non-empty.")
    check_array("c", c, ndim=0)
    below = jnp.asarray(losses) < c
    return jnp.where(jnp.any(below), jnp.argmax(below), below.shape[0])


# --------------------------------------------------------------------------- unlearning solutions


@jax.jit
def _constrained(X_r, y_r, X_f, y_f, lam, c):
    d = X_r.shape[1]
    Hr, br, _ = _Hb(X_r, y_r)
    Hr = Hr + lam * jnp.eye(d, dtype=X_r.dtype)
    Hf, bf, cf = _Hb(X_f, y_f)
    Lc = jnp.linalg.cholesky(Hr)
    Li = jax.scipy.linalg.solve_triangular(Lc, jnp.eye(d, dtype=X_r.dtype), lower=True)
    C = Li @ Hf @ Li.T
    lam_c, V = jnp.linalg.eigh(0.5 * (C + C.T))
    mu_max = 1.0 / jnp.maximum(lam_c[-1], 1e-300)
    rb = V.T @ (Li @ br)
    fb = V.T @ (Li @ bf)
    T = Li.T @ V  # theta = T z

    def theta_of(mu):
        z = (rb - mu * fb) / (1.0 - mu * lam_c)
        return T @ z

    def lf_of(mu):
        th = theta_of(mu)
        return 0.5 * th @ Hf @ th - bf @ th + cf

    def body(_, lohi):
        lo, hi = lohi
        mid = 0.5 * (lo + hi)
        big = lf_of(mid) >= c
        return jnp.where(big, lo, mid), jnp.where(big, mid, hi)

    lo, hi = jax.lax.fori_loop(0, _BISECT, body, (jnp.zeros(()), mu_max))
    th0 = theta_of(0.0)
    active = lf_of(0.0) < c
    return jnp.where(active, theta_of(hi), th0), jnp.where(active, hi, 0.0)


def unlearn_constrained(X_r, y_r, X_f, y_f, lam, c):
    r"""Vanilla constrained unlearning: :math:`\theta_v = \arg\min L_r(\theta)` s.t. :math:`L_f(\theta)\ge c`.

    A quadratic minimised over the complement of an (elliptic-cylinder) sublevel set. By the
    S-lemma the problem has no duality gap; its solution solves the secular equation

    .. math::

        (H_r - \mu H_f)\,\theta = b_r - \mu b_f, \qquad
        0 \le \mu < 1/\lambda_{\max}(H_r^{-1/2}H_fH_r^{-1/2}), \qquad L_f(\theta(\mu)) = c,

    and :math:`\mu\mapsto L_f(\theta(\mu))` is increasing (its derivative is
    :math:`g_f^\top(H_r-\mu H_f)^{-1}g_f`), so ``mu`` is found by bisection in the generalised
    eigenbasis. If the retrain optimum already has ``L_f >= c`` it is returned (``mu = 0``).
    Here ``H_r = X_r^T X_r / n_r + lam I``, ``b_r = X_r^T y_r / n_r`` (same for ``f``, without lam).

    Args:
      X_r: ``(n_r, d)``; y_r: ``(n_r,)``; X_f: ``(n_f, d)``; y_f: ``(n_f,)``; lam: ``> 0``;
      c: forget-loss target ``> min L_f``.

    Returns:
      ``(theta_v (d,), mu)`` the solution and its multiplier.

    Raises:
      ValueError: shapes, empty retain or forget rows, ``lam <= 0``, ``c`` not above ``min L_f``.

    References:
      Pólik and Terlaky 2007 (S-lemma survey); spec ``unlearning-attacks.md`` sec. 3.5 [derived].
    """
    d = _xy("X_r", "y_r", X_r, y_r)
    _forget(X_f, y_f, d)
    check_positive("lam", lam)
    _level(c, X_f, y_f)
    return _constrained(
        jnp.asarray(X_r), jnp.asarray(y_r), jnp.asarray(X_f), jnp.asarray(y_f), lam, c
    )


def _penalty_run(theta0, X_r, y_r, X_f, y_f, lam, c, gamma, rho, lr, T):
    """First-order SAM on l_u = L_r + gamma softplus(c - L_f), perturbation delta = -rho g_f/||g_f||."""
    opt = optax.adam(optax.cosine_decay_schedule(lr, T, alpha=1e-3))

    def lf(th):
        return _lf(th, X_f, y_f)

    def grad(th):
        g_f = jax.grad(lf)(th)
        nrm = jnp.linalg.norm(g_f)
        delta = -rho * g_f / jnp.maximum(nrm, 1e-300)
        th_adv = th + delta
        g_r = jax.grad(lambda t: _lr(t, X_r, y_r, lam))(th)
        g_pen = jax.grad(lambda t: gamma * jax.nn.softplus(c - lf(t)))(th_adv)
        return g_r + g_pen

    def step(carry, _):
        th, st = carry
        upd, st = opt.update(grad(th), st, th)
        return (optax.apply_updates(th, upd), st), None

    (th, _), _ = jax.lax.scan(step, (theta0, opt.init(theta0)), None, length=T)
    return th


_penalty_jit = jax.jit(_penalty_run, static_argnames=("T",))


def _check_unlearn(theta0, X_r, y_r, X_f, y_f, lam, c, gamma, lr, T):
    d = _xy("X_r", "y_r", X_r, y_r)
    _forget(X_f, y_f, d)
    _theta("theta0", theta0, d)
    check_positive("lam", lam)
    _level(c, X_f, y_f)
    check_positive("gamma", gamma)
    check_positive("lr", lr)
    return check_int("T", T, min_value=1)


def ga_penalty_unlearn(theta0, X_r, y_r, X_f, y_f, lam, c, gamma=10.0, lr=0.05, T=2000):
    r"""Penalised gradient-ascent unlearning: Adam on :math:`\ell_u = L_r + \gamma\,\mathrm{softplus}(c - L_f)`.

    The [derived] smooth stand-in of the paper's GradDiff/NPO objectives: the softplus pushes
    ``L_f`` above ``c`` while ``L_r`` keeps utility. :func:`sam_unlearn` with ``rho = 0``.

    Args:
      theta0: ``(d,)`` start (the trained model).
      X_r, y_r, X_f, y_f, lam: the two losses.
      c: forget-loss target ``> min L_f``.
      gamma: penalty weight ``> 0``.
      lr: peak Adam step ``> 0`` (cosine decay).
      T: steps ``>= 1``.

    Returns:
      ``(d,)`` unlearned parameters.

    Raises:
      ValueError: shapes, non-finite input, non-positive ``lam``/``gamma``/``lr``, ``T < 1``.

    References:
      spec ``unlearning-attacks.md`` sec. 3.5 (``ga_penalty_unlearn``) [derived objective].
    """
    T = _check_unlearn(theta0, X_r, y_r, X_f, y_f, lam, c, gamma, lr, T)
    return _penalty_jit(
        jnp.asarray(theta0),
        jnp.asarray(X_r),
        jnp.asarray(y_r),
        jnp.asarray(X_f),
        jnp.asarray(y_f),
        lam,
        c,
        gamma,
        0.0,
        lr,
        T,
    )


def sam_unlearn(theta0, X_r, y_r, X_f, y_f, lam, c, rho, gamma=10.0, lr=0.05, T=2000):
    r"""First-order SAM unlearning: the forget penalty is evaluated at the relearning perturbation.

    Each Adam step uses the gradient
    :math:`\nabla L_r(\theta) + \nabla_\theta[\gamma\,\mathrm{softplus}(c - L_f)](\theta+\delta)`,
    :math:`\delta = -\rho\nabla L_f(\theta)/\|\nabla L_f(\theta)\|` (one normalised step of the
    attacker: SAM's first-order inner maximiser of the robust objective
    :math:`\max_{\|\delta\|\le\rho}\ell_u(\theta+\delta)`, restricted to the forget term).

    Args:
      theta0: ``(d,)`` start; X_r, y_r, X_f, y_f, lam, c: as :func:`ga_penalty_unlearn`;
      rho: SAM radius ``>= 0``; gamma, lr, T: as :func:`ga_penalty_unlearn`.

    Returns:
      ``(d,)`` unlearned parameters.

    Raises:
      ValueError: ``rho < 0`` and the checks of :func:`ga_penalty_unlearn`.

    References:
      Foret et al. 2021 (SAM); Fan et al. 2025, arXiv 2502.05374 (SAM for robust unlearning)
      [paper, in spirit]; objective [derived].
    """
    T = _check_unlearn(theta0, X_r, y_r, X_f, y_f, lam, c, gamma, lr, T)
    check_nonnegative("rho", rho)
    return _penalty_jit(
        jnp.asarray(theta0),
        jnp.asarray(X_r),
        jnp.asarray(y_r),
        jnp.asarray(X_f),
        jnp.asarray(y_f),
        lam,
        c,
        gamma,
        rho,
        lr,
        T,
    )


@partial(jax.jit, static_argnames=("outer", "inner"))
def _robust(X_r, y_r, X_f, y_f, lam, c, rho, beta, outer, inner):
    d = X_r.shape[1]
    Hr, br, _ = _Hb(X_r, y_r)
    Hr = Hr + lam * jnp.eye(d, dtype=X_r.dtype)
    Hf, bf, cf = _Hb(X_f, y_f)
    th_v, mu_v = _constrained(X_r, y_r, X_f, y_f, lam, c)
    # start: push the vanilla solution outward by rho along the forget gradient (feasible-ish)
    g = Hf @ th_v - bf
    th0 = th_v + rho * g / jnp.maximum(jnp.linalg.norm(g), 1e-300)

    def tr(th):
        return _tr_core(th, Hf, bf, cf, rho)

    def inner_loop(th, mu):
        def cond_grad(t):
            val, delta = tr(t)
            viol = mu + beta * (c - val)
            g_t = Hf @ (t + delta) - bf  # Danskin
            return Hr @ t - br - jnp.maximum(viol, 0.0) * g_t

        def step(t, _):
            lip = (
                jnp.linalg.eigvalsh(Hr)[-1]
                + (mu + beta * jnp.maximum(c, 1.0)) * jnp.linalg.eigvalsh(Hf)[-1]
            )
            return t - cond_grad(t) / (2.0 * lip), None

        t, _ = jax.lax.scan(step, th, None, length=inner)
        return t

    def outer_step(carry, _):
        th, mu = carry
        th = inner_loop(th, mu)
        mu = jnp.maximum(0.0, mu + beta * (c - tr(th)[0]))
        return (th, mu), None

    (th, mu), _ = jax.lax.scan(outer_step, (th0, mu_v), None, length=outer)

    def restore(t, _):  # Newton steps along grad TRmin onto the constraint when it is violated
        val, delta = tr(t)
        g_t = Hf @ (t + delta) - bf
        step = jnp.maximum(c - val, 0.0) / jnp.maximum(g_t @ g_t, 1e-300)
        return t + step * g_t, None

    th, _ = jax.lax.scan(restore, th, None, length=20)
    return th, mu


def unlearn_robust(X_r, y_r, X_f, y_f, lam, c, rho, beta=10.0, outer=60, inner=400):
    r"""Exact-robust unlearning: :math:`\theta_s = \arg\min L_r` s.t. :math:`\mathrm{TRmin}_\rho L_f(\theta) \ge c`.

    The constraint asks that no relearning perturbation of norm ``<= rho`` brings ``L_f`` below
    ``c`` (the paper's min-max, with the inner problem solved exactly by
    :func:`trust_region_min`). Solved by an augmented Lagrangian: inner gradient steps on
    :math:`L_r(\theta) + \frac{1}{2\beta}\bigl[\max(0,\mu+\beta(c-\mathrm{TRmin}_\rho L_f(\theta)))^2-\mu^2\bigr]`
    with the Danskin gradient :math:`\nabla\mathrm{TRmin}_\rho L_f(\theta) = \nabla L_f(\theta+\delta^*)`
    (SAM with the exact inner solution), then :math:`\mu \leftarrow \max(0, \mu+\beta(c-\mathrm{TRmin}))`,
    started from the vanilla solution (:func:`unlearn_constrained`) shifted by ``rho`` along
    :math:`\nabla L_f`; a final restoration (Newton steps along the Danskin gradient, only while
    the constraint is violated) makes the returned point feasible to roundoff. ``rho = 0`` gives
    the vanilla problem.

    Args:
      X_r, y_r, X_f, y_f, lam, c: as :func:`unlearn_constrained`; rho: radius ``>= 0``;
      beta: augmented-Lagrangian penalty ``> 0``; outer: multiplier updates ``>= 1``;
      inner: gradient steps per update ``>= 1``.

    Returns:
      ``(theta_s (d,), mu)``.

    Raises:
      ValueError: ``rho < 0``, ``beta <= 0``, sizes ``< 1``, and the checks of
        :func:`unlearn_constrained`.

    References:
      Fan et al. 2025, arXiv 2502.05374 (robust unlearning as min-max) [paper]; the exact inner
      problem and this solver [derived].
    """
    d = _xy("X_r", "y_r", X_r, y_r)
    _forget(X_f, y_f, d)
    check_positive("lam", lam)
    _level(c, X_f, y_f)
    check_nonnegative("rho", rho)
    check_positive("beta", beta)
    outer = check_int("outer", outer, min_value=1)
    inner = check_int("inner", inner, min_value=1)
    return _robust(
        jnp.asarray(X_r),
        jnp.asarray(y_r),
        jnp.asarray(X_f),
        jnp.asarray(y_f),
        lam,
        c,
        rho,
        beta,
        outer,
        inner,
    )


def forget_error_weights(theta, X_f, y_f):
    r"""Eigen-decomposition of the forget error: ``(lambda_i, lambda_i e_i^2)`` and the mean curvature.

    With :math:`H_f = U\operatorname{diag}(\lambda)U^\top` and
    :math:`\tilde e = U^\top(\theta - \bar\theta_f)`, the forget excess loss is
    :math:`\frac12\sum_i\lambda_i\tilde e_i^2`; the weights :math:`\lambda_i\tilde e_i^2` say which
    curvature directions carry it and the mean curvature is
    :math:`\sum_i\lambda_i\cdot\lambda_i\tilde e_i^2 / \sum_i\lambda_i\tilde e_i^2` (S4: robust
    unlearning moves mass to small-``lambda`` directions, which relearn slowly).

    Args:
      theta: ``(d,)``; X_f: ``(n_f, d)``; y_f: ``(n_f,)``.

    Returns:
      ``(lam (d,), weight (d,), mean_curvature)``, eigenvalues ascending.

    Raises:
      ValueError: shapes or non-finite input.

    References:
      spec ``unlearning-attacks.md`` sec. 3.5, S4 (reported) [derived].
    """
    d = _forget(X_f, y_f)
    _theta("theta", theta, d)
    return _weights(jnp.asarray(theta), jnp.asarray(X_f), jnp.asarray(y_f))


@jax.jit
def _weights(theta, X, y):
    H, b, _ = _Hb(X, y)
    lam, U = jnp.linalg.eigh(H)
    pos = lam > 1e-12 * jnp.maximum(lam[-1], 1e-300)
    lam = jnp.where(pos, lam, 0.0)
    inv = jnp.where(pos, 1.0 / jnp.where(pos, lam, 1.0), 0.0)
    e = U.T @ (theta - U @ (inv * (U.T @ b)))
    w = lam * e**2
    return lam, w, jnp.sum(lam * w) / jnp.maximum(jnp.sum(w), 1e-300)
