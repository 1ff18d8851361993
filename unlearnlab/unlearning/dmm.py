"""Datamodel matching (DMM) and the iterative unlearners it is compared with, in the convex case.

Georgiev, Rinberg, Park, Garg, Ilyas, Madry, Neel, *Attribute-to-Delete: Machine Unlearning via
Datamodel Matching*, ICLR 2025, arXiv 2410.23232: predict the outputs of the model retrained
without the forget set ``F`` (data attribution), then fine-tune to match them. Here on ridge /
min-norm least squares, where the attribution and the retrain are exact, so the spec's
propositions A1-A5 (derived, ``theory/dmm_convex.md``) can be checked to machine precision.

Conventions: ridge ``L_S(theta) = 1/2 sum_{i in S}(x_i^T theta - y_i)^2 + lam/2 ||theta||^2``;
trajectories are ``(T+1, d)`` arrays (``theta_0 = theta0`` first), run with ``lax.scan``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonempty,
    check_nonnegative,
    check_positive,
    check_shape,
    is_traced,
)
from unlearnlab.unlearning.exact import check_forget_mask, check_keep_mask

__all__ = [
    "single_removal_attribution",
    "additive_datamodel_predict",
    "logistic_influence_attribution",
    "gd_retain",
    "ga_forget",
    "gdiff",
    "output_matching",
    "margins_binary",
    "ga_error_floor",
    "om_contraction_rate",
    "dmm_error_bound",
]


def _check_xy(X, y):
    check_array("X", X, ndim=2)
    check_array("y", y, ndim=1)
    if jnp.shape(y)[0] != jnp.shape(X)[0]:
        raise ValueError(
            f"`y` must have {jnp.shape(X)[0]} entries (rows of `X`); got {jnp.shape(y)[0]}."
        )


def _check_theta(name, theta, d):
    check_array(name, theta, ndim=1)
    if jnp.shape(theta)[0] != d:
        raise ValueError(f"`{name}` must have shape ({d},); got {jnp.shape(theta)}.")


def single_removal_attribution(X, y, theta_full, lam, X_eval):
    """Exact effect of removing each training point on each eval output (Sherman-Morrison).

    For ridge, with ``H = X^T X + lam I``, ``r_i = x_i^T theta_full - y_i`` and the leverage
    ``h_ii = x_i^T H^{-1} x_i``::

        tau_i(x) = f_x(theta_{-i}) - f_x(theta_full) = x^T H^{-1} x_i r_i / (1 - h_ii).

    Symbols: ``X`` -> X, ``y`` -> y, ``theta_full`` -> theta_full, ``lam`` -> lam, ``x`` -> rows of
    ``X_eval``.

    Returns:
      ``tau``: ``(n_eval, n)``.

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``y``, ``theta_full``, ``X_eval`` (``d``
        columns) or a non-positive ``lam``.
    """
    _check_xy(X, y)
    _check_theta("theta_full", theta_full, X.shape[1])
    check_positive("lam", lam)
    check_array("X_eval", X_eval, ndim=2)
    check_shape("X_eval", X_eval, (None, np.shape(X)[1]))
    d = X.shape[1]
    H = X.T @ X + lam * jnp.eye(d, dtype=X.dtype)
    HiXt = jnp.linalg.solve(H, X.T)  # (d, n)
    h = jnp.sum(X * HiXt.T, axis=1)
    r = X @ theta_full - y
    return (X_eval @ HiXt) * (r / (1.0 - h))[None, :]


def additive_datamodel_predict(tau, f_full, forget_mask):
    """Additive (linear) datamodel: ``f_hat_x(R) = f_x(theta_full) + sum_{i in F} tau_i(x)``.

    Args:
      tau: ``(n_eval, n)`` single-removal effects; f_full: ``(n_eval,)`` outputs of the full model;
      forget_mask: ``bool[n]``.

    Returns:
      ``(n_eval,)`` predicted outputs of the model retrained without ``F``.

    Raises:
      ValueError: on non-finite or mis-shaped ``tau``, ``f_full`` (one entry per row of ``tau``) or
        an invalid ``forget_mask``.
    """
    check_array("tau", tau, ndim=2)
    check_array("f_full", f_full, ndim=1)
    if jnp.shape(f_full)[0] != jnp.shape(tau)[0]:
        raise ValueError(
            f"`f_full` must have {jnp.shape(tau)[0]} entries (rows of `tau`); "
            f"got {jnp.shape(f_full)}."
        )
    check_forget_mask(forget_mask, jnp.shape(tau)[1])
    return f_full + tau @ forget_mask.astype(tau.dtype)


def logistic_influence_attribution(X, y, theta, lam, X_eval):
    """First-order (influence) removal effects for regularised logistic regression.

    Guo's convention ``L = sum_i l_i + lam n/2 ||theta||^2``. Removing point ``i`` leaves the
    gradient ``-(grad l_i + lam theta)`` at ``theta`` (the regulariser drops to ``lam (n-1)/2``),
    so one Newton step with the full Hessian ``H = grad^2 L(theta)`` moves ``theta`` by
    ``H^{-1}(grad l_i + lam theta)``, with ``grad l_i = -y_i sigmoid(-y_i x_i^T theta) x_i``::

        tau_i(x) = x^T H^{-1} (grad l_i + lam theta).

    First order only (not exact). The spec writes ``x^T H^{-1} grad l_i``; the ``lam theta`` term
    is added so that the additive group prediction is the group Newton step with the full-data
    Hessian (see ``theory/dmm_convex.md``).

    Returns:
      ``(n_eval, n)``.

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``y``, ``theta``, ``X_eval`` (``d`` columns)
        or a non-positive ``lam``.
    """
    from unlearnlab.unlearning.exact import logistic_loss_grad

    _check_xy(X, y)
    _check_theta("theta", theta, X.shape[1])
    check_positive("lam", lam)
    check_array("X_eval", X_eval, ndim=2)
    check_shape("X_eval", X_eval, (None, np.shape(X)[1]))
    _, H = logistic_loss_grad(theta, X, y, lam)
    s = jax.nn.sigmoid(-y * (X @ theta))
    G = -(y * s)[:, None] * X + lam * theta[None, :]  # (n, d)
    return X_eval @ jnp.linalg.solve(H, G.T)


def _scan(step, theta0, T):
    def body(th, _):
        th2 = step(th)
        return th2, th2

    _, traj = jax.lax.scan(body, theta0, None, length=T)
    return jnp.concatenate([theta0[None], traj], axis=0)


def _check_common(theta0, X, y, mask, eta, T):
    _check_xy(X, y)
    _check_theta("theta0", theta0, X.shape[1])
    check_positive("eta", eta)
    return check_int("T", T, min_value=0)


def gd_retain(theta0, X, y, retain_mask, lam, eta, T):
    """Gradient descent on the retained ridge loss: ``theta_{t+1} = theta_t - eta grad L_R(theta_t)``.

    ``grad L_R(theta) = X_R^T (X_R theta - y_R) + lam theta``. Spec Prop. A1: a no-op when
    ``lam = 0`` and ``theta0`` interpolates ``R``; with ``lam > 0`` it contracts to ``theta_R`` at
    rate ``1 - eta lambda_min(H_R)``.

    Args:
      theta0: ``(d,)`` start (``theta_full``); X: ``(n, d)``; y: ``(n,)``; retain_mask: ``bool[n]``;
      lam: ``>= 0``; eta: step; T: steps (static).

    Returns:
      ``(T+1, d)`` trajectory.

    Raises:
      ValueError: on non-finite or mis-shaped ``theta0``, ``X``, ``y`` (one per row of ``X``), a
        ``retain_mask`` keeping every row or none, a negative ``lam`` or ``T``, a non-positive ``eta``.
    """
    T = _check_common(theta0, X, y, retain_mask, eta, T)
    check_forget_mask(~jnp.asarray(retain_mask), X.shape[0], name="~retain_mask")
    check_nonnegative("lam", lam)
    w = retain_mask.astype(X.dtype)

    def step(th):
        return th - eta * (X.T @ (w * (X @ th - y)) + lam * th)

    return _scan(step, theta0, T)


def ga_forget(theta0, X, y, forget_mask, eta, T):
    """Gradient ascent on the forget loss: ``theta_{t+1} = theta_t + eta X_F^T (X_F theta_t - y_F)``.

    Moves only within ``row(X_F)`` (Prop. A2: error floor ``||P_{ker X_F}(theta_full - theta_R)||``)
    and diverges along the top singular direction of ``X_F`` like ``(1 + eta s_max^2)^t``.

    Returns:
      ``(T+1, d)`` trajectory.

    Raises:
      ValueError: on non-finite or mis-shaped ``theta0``, ``X``, ``y`` (one per row of ``X``), an
        invalid ``forget_mask``, a non-positive ``eta`` or a negative ``T``.
    """
    T = _check_common(theta0, X, y, forget_mask, eta, T)
    check_forget_mask(forget_mask, X.shape[0])
    f = forget_mask.astype(X.dtype)

    def step(th):
        return th + eta * (X.T @ (f * (X @ th - y)))

    return _scan(step, theta0, T)


def gdiff(theta0, X, y, forget_mask, lam, eta, beta, T):
    """Gradient difference: descent on ``L_R`` plus ``beta`` times ascent on the forget loss.

    ``theta_{t+1} = theta_t - eta grad L_R(theta_t) + beta eta X_F^T (X_F theta_t - y_F)``.

    Returns:
      ``(T+1, d)`` trajectory.

    Raises:
      ValueError: on non-finite or mis-shaped ``theta0``, ``X``, ``y`` (one per row of ``X``), an
        invalid ``forget_mask``, a negative ``lam``, ``beta`` or ``T``, or a non-positive ``eta``.
    """
    T = _check_common(theta0, X, y, forget_mask, eta, T)
    check_forget_mask(forget_mask, X.shape[0])
    check_nonnegative("lam", lam)
    check_nonnegative("beta", beta)
    f = forget_mask.astype(X.dtype)

    def step(th):
        res = X @ th - y
        return th - eta * (X.T @ ((1 - f) * res) + lam * th) + beta * eta * (X.T @ (f * res))

    return _scan(step, theta0, T)


def output_matching(theta0, X_match, targets, eta, T, loss: str = "sq", match_mask=None):
    """Oracle matching (OM) and datamodel matching (DMM): GD on the output-matching loss.

    ``theta_{t+1} = theta_t - eta grad J(theta_t)``, ``J(theta) = ||X_M theta - t||^2 / (2|M|)``
    over the matching set ``M`` (the rows of ``X_match``, or those selected by ``match_mask``).
    OM uses the oracle outputs ``t = X_M theta_R``; DMM the additive-datamodel predictions. For a
    binary logistic model, matching margins ``y x^T theta`` with the squared loss is the same
    objective (``y^2 = 1``), so ``loss="sq"`` covers both.

    Args:
      theta0: ``(d,)`` start; X_match: ``(m, d)``; targets: ``(m,)``; eta: step (converges for
        ``eta <= |M| / ||X_M||_2^2``); T: steps; loss: ``"sq"``; match_mask: optional ``bool[m]``.

    Returns:
      ``(T+1, d)`` trajectory.

    Raises:
      ValueError: on non-finite or mis-shaped ``theta0``, ``X_match``, ``targets`` (one per row of
        ``X_match``), a non-positive ``eta``, a negative ``T``, a ``loss`` other than ``"sq"``, or a
        ``match_mask`` that is not a boolean ``(m,)`` mask selecting a row.
    """
    check_array("X_match", X_match, ndim=2)
    _check_theta("theta0", theta0, X_match.shape[1])
    check_array("targets", targets, ndim=1)
    if jnp.shape(targets)[0] != jnp.shape(X_match)[0]:
        raise ValueError(
            f"`targets` must have {jnp.shape(X_match)[0]} entries (rows of `X_match`); "
            f"got {jnp.shape(targets)}."
        )
    check_positive("eta", eta)
    T = check_int("T", T, min_value=0)
    if loss != "sq":
        raise ValueError(f"`loss` must be 'sq'; got {loss!r}.")
    if match_mask is not None:
        check_keep_mask(
            match_mask, X_match.shape[0], "match_mask", "selects no row (the matching loss is 0/0)"
        )
    w = (
        jnp.ones(X_match.shape[0], X_match.dtype)
        if match_mask is None
        else match_mask.astype(X_match.dtype)
    )
    m = jnp.sum(w)

    def step(th):
        return th - eta * (X_match.T @ (w * (X_match @ th - targets))) / m

    return _scan(step, theta0, T)


def margins_binary(theta, X, y_pm1):
    """Binary margins ``m(x, y) = y x^T theta`` (= ``z_y - log sum_{k != y} e^{z_k}`` for logits ``(0, x^T theta)``).

    Args:
      theta: ``(d,)`` parameters.
      X: ``(n, d)`` inputs.
      y_pm1: ``(n,)`` labels in {-1, +1}.

    Returns:
      ``(n,)`` margins.

    Raises:
      ValueError: on non-finite or mis-shaped ``theta``, ``X``, ``y_pm1`` (one per row of ``X``),
        or labels not in {-1, +1}.
    """
    check_array("X", X, ndim=2)
    check_array("y_pm1", y_pm1, ndim=1)
    _check_theta("theta", theta, np.shape(X)[1])
    if np.shape(y_pm1)[0] != np.shape(X)[0]:
        raise ValueError(
            f"`y_pm1` must have {np.shape(X)[0]} entries (rows of `X`); got {np.shape(y_pm1)[0]}."
        )
    if not is_traced(y_pm1) and not np.all(np.abs(np.asarray(y_pm1)) == 1):
        raise ValueError("`y_pm1` must hold labels in {-1, +1}.")
    return y_pm1 * (X @ theta)


def _row_projector(A):
    return jnp.linalg.pinv(A) @ A


def ga_error_floor(theta_full, theta_R, X_F):
    """Prop. A2 floor: ``min_t ||theta_t - theta_R|| >= ||P_{ker X_F}(theta_full - theta_R)||``.

    Args:
      theta_full, theta_R: ``(d,)``; X_F: ``(k, d)`` forget rows (zero rows allowed).

    Returns:
      Scalar floor.

    Raises:
      ValueError: on non-finite or mis-shaped ``theta_full``, ``theta_R`` (``(d,)``) or ``X_F``.
    """
    check_array("theta_full", theta_full, ndim=1)
    check_nonempty("theta_full", theta_full)
    _check_theta("theta_R", theta_R, np.shape(theta_full)[0])
    check_array("X_F", X_F, ndim=2)
    if np.shape(X_F)[1] != np.shape(theta_full)[0]:
        raise ValueError(
            f"`X_F` must have {np.shape(theta_full)[0]} columns (the length of `theta_full`); "
            f"got shape {np.shape(X_F)}."
        )
    v = theta_full - theta_R
    return jnp.linalg.norm(v - _row_projector(X_F) @ v)


def _pos_eigs(A):
    ev = jnp.linalg.eigvalsh(A)
    tol = 1e-10 * jnp.max(jnp.abs(ev))
    return ev, tol


def om_contraction_rate(X_M, eta):
    """Prop. A3 rate ``1 - eta lambda^+_min(X_M^T X_M / |M|)`` (error contracts by it per step).

    ``lambda^+_min`` is the smallest eigenvalue above ``1e-10`` times the largest.

    Raises:
      ValueError: on a non-finite or empty ``X_M`` or a non-positive ``eta``.
    """
    check_array("X_M", X_M, ndim=2)
    check_nonempty("X_M", X_M)
    check_positive("eta", eta)
    m = X_M.shape[0]
    ev, tol = _pos_eigs(X_M.T @ X_M / m)
    lmin = jnp.min(jnp.where(ev > tol, ev, jnp.inf))
    return 1.0 - eta * lmin


def dmm_error_bound(delta, X_M):
    """Prop. A4 bound ``||X_M^+ delta|| <= ||delta|| / sigma^+_min(X_M)`` on DMM's limit error.

    Args:
      delta: ``(m,)`` target errors ``y_hat_M - X_M theta_R``; X_M: ``(m, d)``.

    Returns:
      Scalar bound.

    Raises:
      ValueError: on a non-finite or empty ``X_M``, or a non-finite ``delta`` without one entry per
        row of ``X_M``.
    """
    check_array("delta", delta, ndim=1)
    check_array("X_M", X_M, ndim=2)
    check_nonempty("X_M", X_M)
    if np.shape(delta)[0] != np.shape(X_M)[0]:
        raise ValueError(
            f"`delta` must have {np.shape(X_M)[0]} entries (rows of `X_M`); got {np.shape(delta)}."
        )
    s = jnp.linalg.svd(X_M, compute_uv=False)
    smin = jnp.min(jnp.where(s > 1e-10 * s[0], s, jnp.inf))
    return jnp.linalg.norm(delta) / smin
