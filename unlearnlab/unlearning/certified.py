"""Certified removal by one Newton step (Guo et al. 2020), its residual bounds, DP output perturbation.

Guo, Goldstein, Hannun, van der Maaten, *Certified Data Removal from Machine Learning Models*,
ICML 2020 (arXiv 1911.03030). Objective ``L(w; D) = sum_i l(w^T x_i, y_i) + lam n/2 ||w||^2``.
Removing the rows ``F`` (``k = |F|``, ``D'`` = the rest, regulariser scaled by ``n - k``)::

    Delta = k lam w* + sum_{i in F} grad l_i(w*),   H = grad^2 L(w*; D'),   w^- = w* + H^{-1} Delta.

For the squared loss (``l'' = 1``, ``gamma = 0``) the step is exact. The single-point statement of
Guo et al. (Thm. 1) is the case ``k = 1``; the group version is derived (``theory/unlearn_audit.md``).

Also the Gaussian-DP baseline of DP2Unlearning (output-perturbed ridge) and the Model Sparsity
sweep (masked logistic regression, Jia et al. NeurIPS 2023; convex analogue, derived).
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
)
from unlearnlab.unlearning.exact import check_forget_mask, check_keep_mask, logistic_fit_newton

__all__ = [
    "newton_removal",
    "grad_residual",
    "guo_bounds",
    "certified_noise_scale",
    "ridge_output_perturbation",
    "ridge_sensitivity",
    "sparsity_sweep",
    "LOGISTIC_GAMMA_TIGHT",
    "LOGISTIC_GAMMA_GUO",
]

#: Lipschitz constant of ``sigma(z)(1 - sigma(z))``: ``max |sigma''| = 1/(6 sqrt 3)``
LOGISTIC_GAMMA_TIGHT = 1.0 / (6.0 * math.sqrt(3.0))
#: the looser constant used by Guo et al. (2020)
LOGISTIC_GAMMA_GUO = 0.25


def _resolve(loss, reg):
    if loss not in ("sq", "logistic"):
        raise ValueError(f"`loss` must be 'sq' or 'logistic'; got {loss!r}.")
    if reg is None:
        reg = "fixed" if loss == "sq" else "per_example"
    if reg not in ("fixed", "per_example"):
        raise ValueError(f"`reg` must be 'fixed' or 'per_example'; got {reg!r}.")
    return loss, reg


@partial(jax.jit, static_argnames=("loss", "reg"))
def _grad_hess(w, X, y, keep, lam, loss, reg):
    kf = keep.astype(X.dtype)
    z = X @ w
    if loss == "sq":
        dl = z - y
        d2 = jnp.ones_like(z)
    else:
        s = jax.nn.sigmoid(-y * z)
        dl = -y * s
        d2 = s * (1.0 - s)
    c = lam if reg == "fixed" else lam * jnp.sum(kf)
    g = X.T @ (kf * dl) + c * w
    H = (X * (kf * d2)[:, None]).T @ X + c * jnp.eye(X.shape[1], dtype=X.dtype)
    return g, H


def _check_xy(X, y):
    check_array("X", X, ndim=2)
    check_array("y", y, ndim=1)
    n = np.shape(X)[0]
    if np.shape(y)[0] != n:
        raise ValueError(f"`y` must have {n} entries (rows of `X`); got {np.shape(y)[0]}.")


def _check_problem(w, X, y, mask, lam, loss, keep=False, w_name="w_star"):
    _check_xy(X, y)
    check_array(w_name, w, ndim=1)
    n, d = np.shape(X)
    if np.shape(w)[0] != d:
        raise ValueError(f"`{w_name}` must have shape ({d},); got {np.shape(w)}.")
    if keep:
        check_keep_mask(mask, n)
    else:
        check_forget_mask(mask, n)
    check_positive("lam", lam)
    if loss == "logistic" and not isinstance(y, jax.core.Tracer):
        yy = np.asarray(y)
        if not np.all((yy == 1) | (yy == -1)):
            raise ValueError("`y` must hold labels in {-1, +1} for loss='logistic'.")


def newton_removal(w_star, X, y, forget_mask, lam, loss: str = "sq", reg: str | None = None):
    """One Newton step on the retained objective from ``w*``: certified removal of ``forget_mask``.

    ``w^- = w* - H^{-1} grad L(w*; D')`` with ``H = grad^2 L(w*; D')``; at the full optimum
    ``-grad L(w*; D') = Delta = k c w* + sum_F grad l_i(w*)`` (Guo et al. 2020, Sec. 3), so this is
    ``w* + H^{-1} Delta``. Exact for the squared loss.

    Symbols: ``w*`` -> w_star, ``x_i, y_i`` -> rows of X, y, ``F`` -> forget_mask, ``lam`` -> lam.

    Args:
      w_star: ``(d,)`` minimiser on all rows; X: ``(n, d)``; y: ``(n,)`` (``{-1, +1}`` for logistic);
      forget_mask: ``bool[n]``; lam: ``lam > 0``;
      loss: ``"sq"`` (``l = (w^T x - y)^2 / 2``) or ``"logistic"`` (``l = log(1 + e^{-y w^T x})``);
      reg: ``"fixed"`` (``lam/2 ||w||^2``, the ridge convention; default for ``"sq"``) or
        ``"per_example"`` (``lam |S|/2 ||w||^2``, Guo's; default for ``"logistic"``).

    Returns:
      ``(d,)`` parameters after removal.

    Raises:
      ValueError: on non-finite or mis-shaped ``w_star``, ``X``, ``y`` (``{-1, +1}`` for logistic),
        an invalid ``forget_mask``, a non-positive ``lam`` or an unknown ``loss`` / ``reg``.
    """
    loss, reg = _resolve(loss, reg)
    _check_problem(w_star, X, y, forget_mask, lam, loss)
    g, H = _grad_hess(w_star, X, y, ~forget_mask, lam, loss, reg)
    return w_star - jnp.linalg.solve(H, g)


def grad_residual(w, X, y, keep_mask, lam, loss: str = "sq", reg: str | None = None):
    """Gradient residual ``||grad L(w; D_keep)||_2`` (0 at the exact retrained optimum).

    Args:
      w: ``(d,)``; X, y: data; keep_mask: ``bool[n]`` rows of ``D_keep``; lam, loss, reg: as in
        :func:`newton_removal`.

    Returns:
      Scalar residual norm.

    Raises:
      ValueError: on non-finite or mis-shaped ``w``, ``X``, ``y`` (``{-1, +1}`` for logistic), a
        ``keep_mask`` that is not a boolean ``(n,)`` mask keeping a row, a non-positive ``lam`` or
        an unknown ``loss`` / ``reg``.
    """
    loss, reg = _resolve(loss, reg)
    _check_problem(w, X, y, keep_mask, lam, loss, keep=True, w_name="w")
    g, _ = _grad_hess(w, X, y, keep_mask, lam, loss, reg)
    return jnp.linalg.norm(g)


def guo_bounds(w_star, X, y, forget_mask, lam, gamma, C):
    """Guo et al. (2020) Thm. 1 gradient-residual bounds for the logistic Newton removal.

    With ``v = H^{-1} Delta`` (``H`` the Hessian of ``L(.; D')`` at ``w*``), ``||x_i|| <= 1``,
    ``||grad l|| <= C`` and ``l''`` ``gamma``-Lipschitz, ``k = |F|``::

        ||grad L(w^-; D')|| <= gamma ||X_R||_2 ||v|| ||X_R v||          (data-dependent)
                            <= gamma (n - k) ||v||^2                      (norm)
                            <= 4 gamma k^2 C^2 / (lam^2 (n - k))          (worst case)

    The last step uses ``||w*|| <= C / lam`` (stationarity), ``||Delta|| <= 2 k C`` and
    ``H >= lam (n - k) I``; ``k = 1`` gives Guo's ``4 gamma C^2 / (lam^2 (n - 1))``.
    Logistic loss: ``C = 1``, ``gamma = 1/4`` (Guo) or ``1/(6 sqrt 3)`` (tight).

    Returns:
      ``{"data_dep", "norm", "worst_case"}`` scalars.

    Raises:
      ValueError: on non-finite or mis-shaped ``w_star``, ``X``, ``y`` (labels in {-1, +1}), an
        invalid ``forget_mask``, or a non-positive ``lam``, ``gamma`` or ``C``.
    """
    _check_problem(w_star, X, y, forget_mask, lam, "logistic")
    check_positive("gamma", gamma)
    check_positive("C", C)
    data_dep, norm_b, worst = _guo_core(w_star, X, y, forget_mask, lam, gamma, C)
    return {"data_dep": data_dep, "norm": norm_b, "worst_case": worst}


@jax.jit
def _guo_core(w_star, X, y, forget_mask, lam, gamma, C):
    keep = ~forget_mask
    g, H = _grad_hess(w_star, X, y, keep, lam, "logistic", "per_example")
    v = -jnp.linalg.solve(H, g)
    XR = X * keep.astype(X.dtype)[:, None]
    n_r = jnp.sum(keep.astype(X.dtype))
    k = X.shape[0] - n_r
    data_dep = gamma * jnp.linalg.norm(XR, 2) * jnp.linalg.norm(v) * jnp.linalg.norm(XR @ v)
    norm_b = gamma * n_r * jnp.sum(v**2)
    worst = 4.0 * gamma * k**2 * C**2 / (lam**2 * n_r)
    return data_dep, norm_b, worst


def certified_noise_scale(eps, delta, residual_bound):
    """Noise scale of the loss perturbation ``b^T w`` for ``(eps, delta)``-certified removal.

    Guo et al. (2020), Thm. 3: ``b ~ N(0, sigma^2 I)`` with ``sigma = c eps' / eps``,
    ``c = sqrt(2 log(1.5 / delta))``, ``eps'`` the gradient-residual bound.

    Args:
      eps: ``eps > 0``; delta: in ``(0, 1)``; residual_bound: ``eps' >= 0``.

    Returns:
      ``sigma`` (Python float).

    Raises:
      ValueError: on a non-positive ``eps``, ``delta`` outside (0, 1), or a ``residual_bound`` that
        is not a finite scalar ``>= 0``.
    """
    check_positive("eps", eps)
    check_probability("delta", delta, open_interval=True)
    check_nonnegative("residual_bound", residual_bound)
    return math.sqrt(2.0 * math.log(1.5 / float(delta))) * float(residual_bound) / float(eps)


def ridge_sensitivity(n: int, lam: float, B: float) -> float:
    """Replace-one L2 sensitivity of ridge in the DP convention (derived, after Chaudhuri et al. 2011).

    Objective ``F(theta) = 1/n sum_i (x_i^T theta - y_i)^2 / 2 + lam/2 ||theta||^2``, ``||x_i|| <= 1``,
    ``|y_i| <= B``. ``F(theta_hat) <= F(0) <= B^2/2`` gives ``||theta_hat|| <= B / sqrt(lam)``, so on
    the feasible ball the per-example gradient ``x (x^T theta - y)`` has norm ``<= L = B + B/sqrt(lam)``.
    Replacing one row changes ``grad F`` by at most ``2L/n``; ``F`` is ``lam``-strongly convex, so::

        Delta_2 = ||theta_hat(D) - theta_hat(D')|| <= 2 L / (lam n).

    Returns:
      ``Delta_2`` (float).

    Raises:
      ValueError: if ``n`` is not an integer ``>= 1`` or ``lam``, ``B`` is not positive.
    """
    n = check_int("n", n, min_value=1)
    check_positive("lam", lam)
    check_positive("B", B)
    L = B + B / math.sqrt(lam)
    return 2.0 * L / (lam * n)


def ridge_output_perturbation(key, X, y, lam, s):
    """Output-perturbed ridge ``theta_tilde = theta_hat + N(0, s^2 I)`` (DP convention objective).

    ``theta_hat = (X^T X + n lam I)^{-1} X^T y`` minimises ``1/n sum (x^T theta - y)^2/2 + lam/2 ||theta||^2``.
    With ``mu = Delta_2 / s`` (:func:`ridge_sensitivity`) the release is ``mu``-GDP.

    Returns:
      ``(d,)``.

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``y`` (one per row of ``X``) or a
        non-positive ``lam`` or ``s``.
    """
    _check_xy(X, y)
    check_positive("lam", lam)
    check_positive("s", s)
    n, d = X.shape
    th = jnp.linalg.solve(X.T @ X + n * lam * jnp.eye(d, dtype=X.dtype), X.T @ y)
    return th + s * jax.random.normal(key, (d,), X.dtype)


def sparsity_sweep(X, y, forget_mask, lam, support_sizes, gamma=LOGISTIC_GAMMA_GUO):
    """Model Sparsity (convex analogue): Newton removal on magnitude-pruned logistic regression.

    For each support size ``s``: keep the ``s`` largest ``|w*_j|`` of the dense fit (a magnitude
    mask ``m``), refit the logistic model on the masked features ``X diag(m)``, remove
    ``forget_mask`` with :func:`newton_removal`, and compare with the masked oracle retrained by
    :func:`logistic_fit_newton`. The residual is governed by ``gamma ||H_m^{-1} Delta_m||^2``
    (derived), so a smaller support typically lowers it (Jia et al. 2023 claim it for deep nets).

    Args:
      X: ``(n, d)`` with ``||x_i|| <= 1``; y: ``(n,)`` in {-1, +1}; forget_mask: ``bool[n]``;
      lam: ``> 0``; support_sizes: Python ints in ``[1, d]``; gamma: curvature Lipschitz constant.

    Returns:
      ``{"support", "residual", "guo_bound", "param_err"}``, arrays of length ``len(support_sizes)``.

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``y`` (labels in {-1, +1}), an invalid
        ``forget_mask``, ``support_sizes`` outside ``[1, d]`` or empty, or a non-positive ``lam`` or
        ``gamma``.
    """
    _check_xy(X, y)
    n, d = X.shape
    check_forget_mask(forget_mask, n)
    check_positive("lam", lam)
    check_positive("gamma", gamma)
    sizes = [int(s) for s in support_sizes]
    if not sizes or any(s < 1 or s > d for s in sizes):
        raise ValueError(f"`support_sizes` must be non-empty integers in [1, {d}]; got {sizes}.")
    if not isinstance(y, jax.core.Tracer):  # logistic_fit_newton's check, skipped inside the jit
        yy = np.asarray(y)
        if not np.all((yy == 1) | (yy == -1)):
            raise ValueError("`y` must hold labels in {-1, +1}.")
    out = _sparsity_sweep(X, y, jnp.asarray(forget_mask), lam, jnp.asarray(sizes), gamma)
    return {
        "support": jnp.asarray(sizes),
        **{k: out[k] for k in ("residual", "guo_bound", "param_err")},
    }


@jax.jit
def _sparsity_sweep(X, y, forget_mask, lam, sizes, gamma):
    # one program for the whole sweep (a support size is a traced rank threshold, so every size
    # shares it); run op by op, each size compiled dozens of small programs
    w_dense = logistic_fit_newton(X, y, lam)
    order = jnp.argsort(-jnp.abs(w_dense))
    rank = jnp.zeros(order.shape[0], order.dtype).at[order].set(jnp.arange(order.shape[0]))

    def one(s):
        m = (rank < s).astype(X.dtype)  # 1 on order[:s]
        Xm = X * m[None, :]
        w_full = logistic_fit_newton(Xm, y, lam)
        w_minus = newton_removal(w_full, Xm, y, forget_mask, lam, loss="logistic")
        w_R = logistic_fit_newton(Xm, y, lam, keep_mask=~forget_mask, theta0=w_full)
        return {
            "residual": grad_residual(w_minus, Xm, y, ~forget_mask, lam, loss="logistic"),
            "guo_bound": guo_bounds(w_full, Xm, y, forget_mask, lam, gamma, 1.0)["data_dep"],
            "param_err": jnp.linalg.norm(w_minus - w_R),
        }

    return jax.lax.map(one, sizes)
