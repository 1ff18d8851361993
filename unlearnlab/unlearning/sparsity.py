r"""Model sparsity and approximate unlearning: the exact unrolled-unlearning error of masked GD on ridge.

Jia, Liu, Ram, Yao, Liu, Liu, Sharma, Liu, *Model Sparsity Can Simplify Machine Unlearning*,
NeurIPS 2023, arXiv 2304.04934 (code: OPTML-Group/Unlearn-Sparse). The paper extends the
"unrolling SGD" analysis of Thudi et al. (2022) to a pruning mask ``m`` and states that the
unlearning error ``e(m)`` (weight distance between an approximate and the exact unlearner) shrinks
with sparsity; the formula was only available to the lab as a reconstruction,
``e(m) = O(eta^2 t ||m o (theta_t - theta_0)|| sigma(m))`` with ``sigma(m)`` the largest Hessian
singular value on the unmasked coordinates.

The analyzable core here is the lab's [derived] version on ridge (``theory/unlearn_audit.md``,
Model Sparsity section): full-batch masked gradient descent

.. math::

    \theta_{s+1} = \theta_s - \eta M (H\theta_s - b), \qquad M = \operatorname{diag}(m),

with the summed ridge convention of :mod:`unlearnlab.unlearning.exact`
(``H_S = X_S^T X_S + lam I`` over the rows ``S`` kept, ``b_S = X_S^T y_S``, and
``H = H_R + H_F``), the exact unlearner (the same GD on ``(H_R, b_R)`` from the same ``theta_0``),
the first-order unrolled unlearner ``theta_u = theta_t + eta t M (H_F theta_0 - b_F)`` [reconstruction
of Thudi et al.'s unrolling], its exact error and a bound whose constants shrink with the support.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import check_array, check_in_range, check_int, check_positive, is_traced
from unlearnlab.unlearning.exact import check_forget_mask, check_keep_mask, ridge_fit

__all__ = [
    "masked_gd",
    "unrolled_unlearn",
    "unrolling_error",
    "magnitude_mask",
    "masked_lambda_max",
    "sparsity_error_curve",
]


def _xy(X, y):
    check_array("X", X, ndim=2)
    check_array("y", y, ndim=1)
    n, d = np.shape(X)
    if n < 1 or d < 1:
        raise ValueError(f"`X` must be non-empty; got shape {np.shape(X)}.")
    if np.shape(y)[0] != n:
        raise ValueError(f"`y` must have {n} entries (rows of `X`); got {np.shape(y)[0]}.")
    return n, d


def _mask(name, m, d):
    shape = tuple(np.shape(m))
    if shape != (d,):
        raise ValueError(f"`{name}` must have shape ({d},) (one entry per parameter); got {shape}.")
    check_array(name, m, ndim=1)
    if is_traced(m):
        return
    a = np.asarray(m)
    if not np.all((a == 0) | (a == 1)):
        raise ValueError(f"`{name}` must hold 0/1 entries (or booleans).")
    if a.sum() < 1:
        raise ValueError(f"`{name}` must keep at least one parameter.")


def _vec(name, v, d):
    check_array(name, v, ndim=1)
    if np.shape(v)[0] != d:
        raise ValueError(f"`{name}` must have shape ({d},); got {np.shape(v)}.")


def _stable(eta, X, mask, lam):
    check_positive("eta", eta)
    if is_traced(eta) or is_traced(X) or is_traced(mask):
        return
    Xn = np.asarray(X)
    s = np.asarray(mask).astype(bool)
    Xs = Xn[:, s]
    lmax = float(np.linalg.eigvalsh(Xs.T @ Xs)[-1]) + float(lam)
    if float(eta) * lmax >= 2.0:
        raise ValueError(
            f"`eta` must be < 2/lambda_max(M H M) = {2.0 / lmax:.4g} (the stability limit); "
            f"got {float(eta):.4g}."
        )


def _Hb(X, y, w, lam):
    d = X.shape[1]
    return (X * w[:, None]).T @ X + lam * jnp.eye(d, dtype=X.dtype), X.T @ (w * y)


@partial(jax.jit, static_argnames=("t",))
def _gd(X, y, keep, mask, theta0, eta, t, lam):
    H, b = _Hb(X, y, keep.astype(X.dtype), lam)
    m = mask.astype(X.dtype)

    def step(th, _):
        th = th - eta * m * (H @ th - b)
        return th, th

    _, ths = jax.lax.scan(step, theta0, None, length=t)
    return jnp.concatenate([theta0[None], ths])


def masked_gd(X, y, mask, theta0, eta, t, lam, keep_mask=None):
    r"""Masked full-batch gradient descent on summed ridge: :math:`\theta_{s+1} = \theta_s - \eta M(H\theta_s - b)`.

    ``H = X_S^T X_S + lam I`` and ``b = X_S^T y_S`` over the rows ``S`` selected by ``keep_mask``
    (all rows by default; ``~forget_mask`` gives the exact unlearner). Coordinates outside the
    mask keep their initial value (pass a masked ``theta0 = m * theta_init``).

    Args:
      X: ``(n, d)``; y: ``(n,)``; mask: ``(d,)`` 0/1 pruning mask ``m`` (at least one 1);
      theta0: ``(d,)`` start; eta: step ``0 < eta < 2 / lambda_max(M H M)``; t: steps ``>= 1``;
      lam: ridge ``> 0``; keep_mask: ``bool[n]`` rows used (default all).

    Returns:
      ``(t + 1, d)`` trajectory ``theta_0 .. theta_t``.

    Raises:
      ValueError: shapes, a mask of the wrong shape or not 0/1, ``eta`` above the stability limit,
        ``t < 1``, ``lam <= 0``, an empty ``keep_mask``.

    References:
      Jia et al. 2023, arXiv 2304.04934, Sec. 3 (pruned SGD training) [reconstruction, full batch].
    """
    n, d = _xy(X, y)
    _mask("mask", mask, d)
    _vec("theta0", theta0, d)
    check_positive("lam", lam)
    t = check_int("t", t, min_value=1)
    if keep_mask is None:
        keep = jnp.ones(n, bool)
    else:
        check_keep_mask(keep_mask, n)
        keep = jnp.asarray(keep_mask)
    _stable(eta, np.asarray(X)[np.asarray(keep)] if not is_traced(keep) else X, mask, lam)
    return _gd(
        jnp.asarray(X), jnp.asarray(y), keep, jnp.asarray(mask), jnp.asarray(theta0), eta, t, lam
    )


def unrolled_unlearn(X, y, forget_mask, mask, theta0, theta_t, eta, t):
    r"""First-order unrolled unlearner: add back ``t`` forget gradients taken at the initial point.

    .. math::

        \theta_u = \theta_t + \eta t\, M (H_F\theta_0 - b_F), \qquad H_F = X_F^\top X_F,\ b_F = X_F^\top y_F.

    Args:
      X: ``(n, d)``; y: ``(n,)``; forget_mask: ``bool[n]`` (non-empty, not every row);
      mask: ``(d,)`` 0/1; theta0: ``(d,)`` training start; theta_t: ``(d,)`` trained model;
      eta: training step ``> 0``; t: training steps ``>= 1``.

    Returns:
      ``(d,)`` approximate unlearned parameters.

    Raises:
      ValueError: shapes, bad masks, ``eta <= 0``, ``t < 1``.

    References:
      Thudi, Deza, Chandrasekaran, Papernot 2022 (unrolling SGD); Jia et al. 2023 [reconstruction].
    """
    n, d = _xy(X, y)
    check_forget_mask(forget_mask, n)
    _mask("mask", mask, d)
    _vec("theta0", theta0, d)
    _vec("theta_t", theta_t, d)
    check_positive("eta", eta)
    t = check_int("t", t, min_value=1)
    return _unroll(
        jnp.asarray(X),
        jnp.asarray(y),
        jnp.asarray(forget_mask),
        jnp.asarray(mask),
        jnp.asarray(theta0),
        jnp.asarray(theta_t),
        eta,
        t,
    )


@jax.jit
def _unroll(X, y, forget_mask, mask, theta0, theta_t, eta, t):
    f = forget_mask.astype(X.dtype)
    gF = (X * f[:, None]).T @ (X @ theta0) - X.T @ (f * y)
    return theta_t + eta * t * mask.astype(X.dtype) * gF


def masked_lambda_max(H, mask):
    r"""Largest eigenvalue of the principal submatrix :math:`M H M` on the support of ``mask``.

    By Cauchy interlacing it is non-increasing when the support shrinks (nested masks).

    Args:
      H: ``(d, d)`` symmetric matrix; mask: ``(d,)`` 0/1 with at least one 1.

    Returns:
      Scalar ``lambda_max(M H M)``.

    Raises:
      ValueError: shapes, non-symmetric or non-finite ``H``, bad mask.
    """
    check_array("H", H, ndim=2)
    d = np.shape(H)[0]
    if np.shape(H) != (d, d) or d < 1:
        raise ValueError(f"`H` must be square and non-empty; got {np.shape(H)}.")
    if not is_traced(H) and not np.allclose(np.asarray(H), np.asarray(H).T, atol=1e-10):
        raise ValueError("`H` must be symmetric.")
    _mask("mask", mask, d)
    return _lmax(jnp.asarray(H), jnp.asarray(mask))


@jax.jit
def _lmax(H, mask):
    m = mask.astype(H.dtype)
    return jnp.linalg.eigvalsh(m[:, None] * H * m[None, :])[-1]


@partial(jax.jit, static_argnames=("t",))
def _error(X, y, forget_mask, mask, theta0, eta, t, lam):
    f = forget_mask.astype(X.dtype)
    m = mask.astype(X.dtype)
    n, d = X.shape
    ths = _gd(X, y, jnp.ones(n, bool), mask, theta0, eta, t, lam)  # training trajectory
    HR, _ = _Hb(X, y, 1.0 - f, lam)
    HF, bF = _Hb(X, y, f, 0.0)
    gF = HF @ theta0 - bF
    MgF = m * gF

    def P(v):
        return v - eta * m * (HR @ v)

    def rec(carry, th):
        r1, r2 = carry
        v2 = m * (HF @ (th - theta0))
        return (P(r1) + MgF, P(r2) + v2), None

    (r1, r2), _ = jax.lax.scan(rec, (jnp.zeros(d, X.dtype), jnp.zeros(d, X.dtype)), ths[:-1])
    e = -eta * (r1 - t * MgF) - eta * r2
    lam_R = _lmax(HR, mask)
    lam_F = _lmax(HF, mask)
    drift = jnp.max(jnp.linalg.norm((ths - theta0[None]) * m[None], axis=1))
    term1 = eta**2 * (t * (t - 1) / 2.0) * lam_R * jnp.linalg.norm(MgF)
    term2 = eta * t * lam_F * drift
    return {
        "error": e,
        "error_norm": jnp.linalg.norm(e),
        "bound": term1 + term2,
        "term_retain": term1,
        "term_forget": term2,
        "lambda_R": lam_R,
        "lambda_F": lam_F,
        "drift": drift,
        "weight_change": jnp.linalg.norm(m * (ths[-1] - theta0)),
        "theta_t": ths[-1],
    }


def unrolling_error(X, y, forget_mask, mask, theta0, eta, t, lam):
    r"""Exact error of the unrolled unlearner and the lab's derived bound (masked GD on ridge).

    With :math:`P = I - \eta M H_R` and :math:`g_F = H_F\theta_0 - b_F`, the unrolled unlearner
    minus the exact unlearner (same GD on the retained rows from ``theta_0``) is exactly

    .. math::

        e = -\eta\sum_{s<t}\bigl[P^{t-1-s} - I\bigr] M g_F
            - \eta\sum_{s<t} P^{t-1-s} M H_F(\theta_s - \theta_0),

    (evaluated by two Horner recursions, not by simulating the exact unlearner), and for
    ``eta < 2 / lambda_max(M H_R M)``

    .. math::

        \|e\| \le \eta^2\binom t2\lambda_{\max}(MH_RM)\|Mg_F\|
            + \eta t\,\lambda_{\max}(MH_FM)\max_{s\le t}\|M(\theta_s-\theta_0)\| .

    Both constants are largest eigenvalues of principal submatrices on the support of ``m``, so
    they are non-increasing as the support shrinks (Cauchy interlacing).

    Args:
      X: ``(n, d)``; y: ``(n,)``; forget_mask: ``bool[n]``; mask: ``(d,)`` 0/1;
      theta0: ``(d,)`` start (masked); eta: step ``0 < eta < 2 / lambda_max(M H M)``;
      t: steps ``>= 1``; lam: ridge ``> 0``.

    Returns:
      dict with ``error`` ``(d,)``, ``error_norm``, ``bound``, ``term_retain``, ``term_forget``,
      ``lambda_R`` (``lambda_max(M H_R M)``), ``lambda_F``, ``drift``
      (``max_s ||M(theta_s - theta_0)||``), ``weight_change`` (``||m o (theta_t - theta_0)||``),
      ``theta_t`` ``(d,)``.

    Raises:
      ValueError: shapes, bad masks (wrong shape, not 0/1, empty forget set or every row),
        ``eta`` above the stability limit, ``t < 1``, ``lam <= 0``.

    References:
      Jia et al. 2023, arXiv 2304.04934 (sparsity theorem, [reconstruction]); the formula and the
      bound [derived], proof in ``theory/unlearn_audit.md``.
    """
    n, d = _xy(X, y)
    check_forget_mask(forget_mask, n)
    _mask("mask", mask, d)
    _vec("theta0", theta0, d)
    check_positive("lam", lam)
    t = check_int("t", t, min_value=1)
    _stable(eta, X, mask, lam)
    return _error(
        jnp.asarray(X),
        jnp.asarray(y),
        jnp.asarray(forget_mask),
        jnp.asarray(mask),
        jnp.asarray(theta0),
        eta,
        t,
        lam,
    )


def magnitude_mask(theta, sparsity):
    r"""Magnitude pruning: keep the ``max(1, round((1 - sparsity) d))`` largest ``|theta_j|``.

    Masks of increasing sparsity from the same ``theta`` are nested (ties broken by index).

    Args:
      theta: ``(d,)`` dense weights; sparsity: fraction pruned, in ``[0, 1)``.

    Returns:
      ``(d,)`` 0/1 float mask.

    Raises:
      ValueError: ``sparsity`` outside ``[0, 1)``, non-finite or empty ``theta``.
    """
    check_array("theta", theta, ndim=1)
    d = np.shape(theta)[0]
    if d < 1:
        raise ValueError("`theta` must be non-empty.")
    check_in_range("sparsity", sparsity, 0.0, 1.0, hi_open=True)
    keep = max(1, int(round((1.0 - float(sparsity)) * d)))
    return _magnitude(jnp.asarray(theta), keep)


@jax.jit
def _magnitude(theta, keep):
    rank = jnp.argsort(jnp.argsort(-jnp.abs(theta), stable=True), stable=True)
    return (rank < keep).astype(theta.dtype)


@partial(jax.jit, static_argnames=("t",))
def _curve(X, y, forget_mask, masks, theta_init, eta, t, lam):
    keys = (
        "error_norm",
        "bound",
        "term_retain",
        "term_forget",
        "lambda_R",
        "lambda_F",
        "weight_change",
        "drift",
    )

    def one(m):
        r = _error(X, y, forget_mask, m, m * theta_init, eta, t, lam)
        return {k: r[k] for k in keys}

    return jax.lax.map(one, masks)


def sparsity_error_curve(X, y, forget_mask, lam, sparsities, theta_init, t, eta_frac=0.5):
    r"""The unrolled-unlearning error and its bound along magnitude masks of increasing sparsity.

    Prune after dense training: the dense weights are the ridge oracle
    :func:`unlearnlab.unlearning.ridge_fit`; for each sparsity a magnitude mask ``m``
    (:func:`magnitude_mask`, nested) and a masked start ``theta_0 = m o theta_init``; then
    :func:`unrolling_error` with one step ``eta = eta_frac / lambda_max(H)`` for every mask (dense
    ``H``; stable for every mask by interlacing).

    Args:
      X: ``(n, d)``; y: ``(n,)``; forget_mask: ``bool[n]``; lam: ridge ``> 0``;
      sparsities: sequence of fractions in ``[0, 1)``; theta_init: ``(d,)`` random init;
      t: training steps ``>= 1``; eta_frac: ``eta lambda_max(H)``, in ``(0, 2)``.

    Returns:
      dict of arrays over ``sparsities``: ``sparsity``, ``support``, ``error_norm``, ``bound``,
      ``term_retain``, ``term_forget``, ``lambda_R``, ``lambda_F``, ``weight_change``, ``drift``,
      and the scalar ``eta``.

    Raises:
      ValueError: the checks of :func:`unrolling_error` and :func:`magnitude_mask`, an empty
        ``sparsities``, ``eta_frac`` outside ``(0, 2)``.

    References:
      Jia et al. 2023, arXiv 2304.04934, "prune first, then unlearn" [paper]; bound [derived].
    """
    n, d = _xy(X, y)
    check_forget_mask(forget_mask, n)
    check_positive("lam", lam)
    _vec("theta_init", theta_init, d)
    t = check_int("t", t, min_value=1)
    check_in_range("eta_frac", eta_frac, 0.0, 2.0, lo_open=True, hi_open=True)
    check_array("sparsities", np.asarray(sparsities, float), ndim=1)
    if np.shape(sparsities)[0] < 1:
        raise ValueError("`sparsities` must be non-empty.")
    check_in_range("sparsities", sparsities, 0.0, 1.0, hi_open=True)
    sp = [float(s) for s in np.asarray(sparsities, float)]
    keeps = tuple(max(1, int(round((1.0 - s) * d))) for s in sp)  # as in magnitude_mask
    res, support, eta = _error_curve(
        jnp.asarray(X),
        jnp.asarray(y),
        jnp.asarray(forget_mask),
        jnp.asarray(theta_init),
        lam,
        eta_frac,
        keeps,
        t,
    )
    return {**res, "support": support, "sparsity": jnp.asarray(sp), "eta": eta}


@partial(jax.jit, static_argnames=("keeps", "t"))
def _error_curve(X, y, forget_mask, theta_init, lam, eta_frac, keeps, t):
    # the set-up (eta, dense fit, masks) and the curve in one program instead of a dozen eager ones
    d = X.shape[1]
    H = X.T @ X + lam * jnp.eye(d, dtype=X.dtype)
    eta = eta_frac / jnp.linalg.eigvalsh(H)[-1]
    dense = ridge_fit(X, y, lam)
    masks = jnp.stack([_magnitude(dense, k) for k in keeps])
    res = _curve(X, y, forget_mask, masks, theta_init, eta, t, lam)
    return res, jnp.sum(masks, axis=1).astype(int), eta
