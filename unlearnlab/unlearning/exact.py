"""Exact retrain oracles for convex unlearning: ridge / Woodbury, min-norm, logistic Newton.

These are the gold standard every audited unlearning method is compared with. Forget sets are
boolean masks ``forget_mask: bool[n]`` so that shapes are fixed and a batch of forget sets is a
``vmap``.

Regulariser conventions (as in the spec):
  * ridge: ``L_S(theta) = 1/2 sum_{i in S} (x_i^T theta - y_i)^2 + lam/2 ||theta||^2`` (summed loss,
    fixed ``lam`` whatever ``|S|``);
  * logistic: ``L_S(theta) = sum_{i in S} log(1 + exp(-y_i x_i^T theta)) + lam |S| / 2 ||theta||^2``
    (Guo et al. 2020's ``lam n / 2`` scaling, ``n = |S|``).

References:
  Woodbury / Sherman-Morrison identities (e.g. Golub & Van Loan, Matrix Computations, Sec. 2.1.4).
  Guo, Goldstein, Hannun, van der Maaten (2020), *Certified data removal*, Sec. 3 (objective).
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

__all__ = [
    "check_forget_mask",
    "ridge_fit",
    "minnorm_fit",
    "woodbury_retrain",
    "loo_group_residuals",
    "logistic_fit_newton",
    "logistic_loss_grad",
]


def check_forget_mask(forget_mask, n: int, name: str = "forget_mask"):
    """Validate a forget mask: boolean, shape ``(n,)``, at least one point, not every point.

    A mask of another length is a forget request for points outside the training set and is
    rejected. Content checks are skipped for traced masks.
    """
    shape = tuple(np.shape(forget_mask))
    if shape != (n,):
        raise ValueError(
            f"`{name}` must be a boolean mask of shape ({n},) over the training rows; got shape "
            f"{shape} (a request for points outside the training set)."
        )
    if jnp.asarray(forget_mask).dtype != jnp.bool_:
        raise ValueError(f"`{name}` must have dtype bool; got {jnp.asarray(forget_mask).dtype}.")
    if is_traced(forget_mask):
        return forget_mask
    k = int(np.sum(np.asarray(forget_mask)))
    if k == 0:
        raise ValueError(f"`{name}` is empty: nothing to forget.")
    if k == n:
        raise ValueError(f"`{name}` removes every row; the retain set must not be empty.")
    return forget_mask


def check_keep_mask(mask, n: int, name: str = "keep_mask", empty: str = "keeps no row"):
    """Validate a row-selection mask: boolean, shape ``(n,)``, selecting at least one row.

    ``empty`` completes the message when no row is selected. Content checks are skipped for traced
    masks (checked in NumPy otherwise, so a concrete mask inside a caller's ``jit`` stays concrete).
    """
    km = jnp.asarray(mask)
    if tuple(km.shape) != (n,) or km.dtype != jnp.bool_:
        raise ValueError(
            f"`{name}` must be a boolean mask of shape ({n},); got {km.dtype} {tuple(km.shape)}."
        )
    if not is_traced(km) and not bool(np.any(np.asarray(km))):
        raise ValueError(f"`{name}` {empty}.")
    return mask


def _check_xy(X, y):
    check_array("X", X, ndim=2)
    check_array("y", y, ndim=1)
    if np.shape(y)[0] != np.shape(X)[0]:
        raise ValueError(
            f"`y` must have {np.shape(X)[0]} entries (rows of `X`); got {np.shape(y)[0]}."
        )


def _check_vec(name, v, d):
    check_array(name, v, ndim=1)
    check_shape(name, v, (d,))


def ridge_fit(X, y, lam):
    """Ridge regression ``theta = (X^T X + lam I)^{-1} X^T y`` (summed loss, ``lam/2 ||theta||^2``).

    Args:
      X: ``(n, d)`` design.
      y: ``(n,)`` targets.
      lam: ``lam > 0``.

    Returns:
      ``(d,)`` minimiser.
    """
    _check_xy(X, y)
    check_positive("lam", lam)
    d = X.shape[1]
    H = X.T @ X + lam * jnp.eye(d, dtype=X.dtype)
    return jnp.linalg.solve(H, X.T @ y)


def minnorm_fit(X, y):
    """Minimum-norm least squares ``theta = X^+ y`` (the ``lam -> 0`` limit of ridge).

    Args:
      X: ``(n, d)``; y: ``(n,)``.

    Returns:
      ``(d,)``; interpolates ``y`` when ``rank X = n <= d``.
    """
    _check_xy(X, y)
    return jnp.linalg.pinv(X) @ y


def woodbury_retrain(X, y, theta_full, forget_mask, lam):
    """Exact ridge retrain on the retained rows from the full solution.

    With ``r_F = X_F theta_full - y_F`` and ``H_R = H - X_F^T X_F`` (``H = X^T X + lam I``)::

        theta_R = theta_full + H_R^{-1} X_F^T r_F,

    since ``H_R theta_full - X_R^T y_R = X_F^T r_F`` (``H theta_full = X^T y``). Equals
    ``ridge_fit(X[~forget_mask], y[~forget_mask], lam)``. Written with masks (fixed shapes).

    Args:
      X: ``(n, d)``; y: ``(n,)``; theta_full: ``(d,)`` the ridge fit on all rows;
      forget_mask: ``bool[n]``; lam: ``lam > 0``.

    Returns:
      ``(d,)`` retrained parameters ``theta_R``.

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``y``, ``theta_full``, an invalid
        ``forget_mask`` (see :func:`check_forget_mask`) or a non-positive ``lam``.
    """
    _check_xy(X, y)
    _check_vec("theta_full", theta_full, np.shape(X)[1])
    check_forget_mask(forget_mask, X.shape[0])
    check_positive("lam", lam)
    f = forget_mask.astype(X.dtype)
    d = X.shape[1]
    H_R = (X * (1.0 - f)[:, None]).T @ X + lam * jnp.eye(d, dtype=X.dtype)
    r = X @ theta_full - y
    return theta_full + jnp.linalg.solve(H_R, X.T @ (f * r))


def loo_group_residuals(X, y, theta_full, forget_mask, lam):
    """Leave-group-out residuals ``X_F theta_R - y_F = (I - P_FF)^{-1} r_F`` without refitting.

    ``P = X H^{-1} X^T`` is the ridge hat matrix and ``r = X theta_full - y``. Written with the mask
    ``D = diag(forget_mask)``: ``z = (I - D P D)^{-1} D r`` equals the formula on ``F`` and is 0 on
    the retained rows.

    Returns:
      ``(n,)`` residuals of the retrained model on the forget rows (0 elsewhere).

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``y``, ``theta_full``, an invalid
        ``forget_mask`` (see :func:`check_forget_mask`) or a non-positive ``lam``.
    """
    _check_xy(X, y)
    _check_vec("theta_full", theta_full, np.shape(X)[1])
    check_forget_mask(forget_mask, X.shape[0])
    check_positive("lam", lam)
    n, d = X.shape
    f = forget_mask.astype(X.dtype)
    H = X.T @ X + lam * jnp.eye(d, dtype=X.dtype)
    P = X @ jnp.linalg.solve(H, X.T)
    M = jnp.eye(n, dtype=X.dtype) - f[:, None] * P * f[None, :]
    r = X @ theta_full - y
    return jnp.linalg.solve(M, f * r)


def logistic_loss_grad(theta, X, y, lam, weights=None):
    """Gradient and Hessian of ``sum_i w_i log(1 + exp(-y_i x_i^T theta)) + lam (sum w)/2 ||theta||^2``.

    Args:
      theta: ``(d,)``; X: ``(n, d)``; y: ``(n,)`` labels in {-1, +1}; lam: regularisation;
      weights: ``(n,)`` 0/1 row weights (default all ones).

    Returns:
      ``(grad (d,), hess (d, d))``.

    Raises:
      ValueError: on non-finite or mis-shaped ``theta``, ``X``, ``y``, ``weights`` or a negative
        ``lam``.
    """
    _check_xy(X, y)
    _check_vec("theta", theta, np.shape(X)[1])
    check_nonnegative("lam", lam)
    if weights is not None:
        _check_vec("weights", weights, np.shape(X)[0])
    return _loss_grad(theta, X, y, lam, weights)


def _loss_grad(theta, X, y, lam, weights=None):
    w = jnp.ones(X.shape[0], X.dtype) if weights is None else weights.astype(X.dtype)
    n_eff = jnp.sum(w)
    z = y * (X @ theta)
    s = jax.nn.sigmoid(-z)  # = -dl/dz
    g = -(X.T @ (w * s * y)) + lam * n_eff * theta
    curv = w * s * (1.0 - s)
    Hm = (X * curv[:, None]).T @ X + lam * n_eff * jnp.eye(X.shape[1], dtype=X.dtype)
    return g, Hm


def logistic_fit_newton(
    X, y, lam, tol: float = 1e-10, max_iter: int = 100, keep_mask=None, theta0=None
):
    """Regularised logistic regression by Newton's method (``lax.while_loop``).

    Minimises ``L_S(theta) = sum_{i in S} log(1 + exp(-y_i x_i^T theta)) + lam |S|/2 ||theta||^2``
    over the rows ``S`` selected by ``keep_mask`` (all rows by default), until
    ``||grad L_S|| <= tol`` or ``max_iter`` steps. The objective is ``lam |S|``-strongly convex, so
    Newton from ``theta0`` (default 0) converges quadratically.

    Args:
      X: ``(n, d)``.
      y: ``(n,)`` in {-1, +1}.
      lam: ``lam > 0``.
      tol: gradient-norm tolerance.
      max_iter: iteration cap.
      keep_mask: ``bool[n]`` rows to fit (e.g. ``~forget_mask`` for the oracle).
      theta0: ``(d,)`` start (e.g. ``theta_full``).

    Returns:
      ``(d,)`` minimiser.

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``y`` (labels not in {-1, +1} included),
        ``theta0``, a ``keep_mask`` that is not a boolean ``(n,)`` mask keeping a row, a
        non-positive ``lam`` or ``tol``, or ``max_iter < 1``.
    """
    _check_xy(X, y)
    check_positive("lam", lam)
    check_positive("tol", tol)
    max_iter = check_int("max_iter", max_iter, min_value=1)
    if not is_traced(y):
        yy = np.asarray(y)
        if not np.all((yy == 1) | (yy == -1)):
            raise ValueError("`y` must hold labels in {-1, +1}.")
    if keep_mask is not None:
        check_keep_mask(keep_mask, X.shape[0])
    if theta0 is not None:
        _check_vec("theta0", theta0, np.shape(X)[1])
    w = jnp.ones(X.shape[0], bool) if keep_mask is None else jnp.asarray(keep_mask)
    th0 = jnp.zeros(X.shape[1], X.dtype) if theta0 is None else jnp.asarray(theta0, X.dtype)
    return _newton(X, y, lam, tol, max_iter, w, th0)


@partial(jax.jit, static_argnums=(4,))
def _newton(X, y, lam, tol, max_iter, w, th0):
    def cond(c):
        i, _, gn = c
        return (i < max_iter) & (gn > tol)

    def body(c):
        i, th, _ = c
        g, Hm = _loss_grad(th, X, y, lam, w)
        th = th - jnp.linalg.solve(Hm, g)
        g2, _ = _loss_grad(th, X, y, lam, w)
        return i + 1, th, jnp.linalg.norm(g2)

    g0, _ = _loss_grad(th0, X, y, lam, w)
    _, th, _ = jax.lax.while_loop(cond, body, (0, th0, jnp.linalg.norm(g0)))
    return th
