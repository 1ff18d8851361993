"""Amortised influence encoders for unlearning requests on ridge (the analyzable core of UnlearnRec).

Chen, Xia, Huang, *Pre-training for Recommendation Unlearning* (UnlearnRec), SIGIR 2025, arXiv
2505.22649: an Influence Encoder "takes unlearning requests together with existing model
parameters and directly produces updated parameters of unlearned model with little fine-tuning"
[paper, abstract]; a third-party summary mentions an "Influence Dependency Matrix" [secondary].
Here the model is ridge, ``H = X^T X + lam I``, ``r = X theta_full - y``, a request is a forget set
``F`` (``q`` rows), and the exact oracle is the Woodbury retrain
(:func:`unlearnlab.unlearning.woodbury_retrain`). Three encoders map ``(theta_full, F)`` to an
initialisation, each followed by ``T`` steps of :func:`unlearnlab.unlearning.gd_retain`
(lab spec ``panels.md`` §4.4, ``theory/dmm_convex.md``):

* E0, additive single-removal (ignores dependencies between the removed rows):
  ``theta_full + sum_{i in F} H^{-1} x_i r_i / (1 - h_ii)`` (:func:`encoder_additive`);
* E1, dependency-aware: ``theta_full + H^{-1} X_F^T (I - P_FF)^{-1} r_F``, exactly the retrain
  (:func:`encoder_dependency`);
* E2, learned linear: ``theta_full + A X_F^T r_F`` with ``A`` fitted by least squares on simulated
  requests ("pre-training", :func:`pretrain_linear_encoder`, :func:`encoder_linear`).
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
    check_nonempty,
    check_nonnegative,
    check_positive,
    check_shape,
    is_traced,
)
from unlearnlab.unlearning.dmm import single_removal_attribution
from unlearnlab.unlearning.exact import check_forget_mask, loo_group_residuals, woodbury_retrain

__all__ = [
    "encoder_additive",
    "encoder_dependency",
    "influence_features",
    "pretrain_linear_encoder",
    "encoder_linear",
    "a1_steps_bound",
]


def _check(X, y, theta_full, forget_mask, lam=None):
    check_array("X", X, ndim=2)
    check_nonempty("X", X)
    check_array("y", y, ndim=1)
    check_shape("y", y, (np.shape(X)[0],))
    check_array("theta_full", theta_full, ndim=1)
    check_shape("theta_full", theta_full, (np.shape(X)[1],))
    check_forget_mask(forget_mask, np.shape(X)[0])
    if lam is not None:
        check_positive("lam", lam)


def _arr(X, y, theta_full, forget_mask):
    X, y, theta_full = (jnp.asarray(v, float) for v in (X, y, theta_full))
    return X, y, theta_full, jnp.asarray(forget_mask)


def encoder_additive(X, y, theta_full, forget_mask, lam):
    """E0: sum of exact single-removal parameter changes (no dependency between removed rows).

    .. math:: \\theta_0^{E0} = \\theta_{\\rm full} + \\sum_{i\\in F}
       \\frac{H^{-1}x_i\\, r_i}{1 - h_{ii}},\\qquad h_{ii} = x_i^\\top H^{-1}x_i.

    Each summand is the exact ridge retrain without row ``i`` alone (Sherman-Morrison); the sum
    ignores the couplings ``P_ij`` (``i != j`` in ``F``) and is exact for ``q = 1``.

    Args:
      X: ``(n, d)``; y: ``(n,)``; theta_full: ``(d,)`` ridge fit on all rows;
      forget_mask: ``bool[n]`` (the request ``F``); lam: ``> 0``.

    Returns:
      ``(d,)`` initialisation.

    Raises:
      ValueError: on non-finite or mis-shaped inputs, an invalid ``forget_mask``, ``lam <= 0``.

    References:
      UnlearnRec (arXiv 2505.22649) Influence Encoder [paper, abstract]; the additive form is the
      lab's baseline (spec ``panels.md`` §4.4 E0) built on
      :func:`unlearnlab.unlearning.single_removal_attribution`.
    """
    _check(X, y, theta_full, forget_mask, lam)
    X, y, theta_full, forget_mask = _arr(X, y, theta_full, forget_mask)
    d = X.shape[1]
    tau = single_removal_attribution(X, y, theta_full, lam, jnp.eye(d, dtype=X.dtype))  # (d, n)
    return theta_full + tau @ forget_mask.astype(X.dtype)


def encoder_dependency(X, y, theta_full, forget_mask, lam):
    """E1: dependency-aware encoder ``theta_full + H^{-1} X_F^T (I - P_FF)^{-1} r_F`` (exact).

    .. math:: \\theta_0^{E1} = \\theta_{\\rm full} + H^{-1}X_F^\\top(I - P_{FF})^{-1}r_F
       = \\theta_R,

    with ``P = X H^{-1} X^T``; ``(I - P_FF)^{-1}`` is the "dependency matrix" between the removed
    rows (the lab's analogue of the paper's Influence Dependency Matrix [secondary]). It equals
    :func:`unlearnlab.unlearning.woodbury_retrain` (Woodbury identity; ``theory/dmm_convex.md``).

    Args:
      X: ``(n, d)``; y: ``(n,)``; theta_full: ``(d,)``; forget_mask: ``bool[n]``; lam: ``> 0``.

    Returns:
      ``(d,)`` the retrained parameters.

    Raises:
      ValueError: as :func:`encoder_additive`.

    References:
      Spec ``panels.md`` §4.4 E1 [derived]; :func:`unlearnlab.unlearning.loo_group_residuals`.
    """
    _check(X, y, theta_full, forget_mask, lam)
    X, y, theta_full, forget_mask = _arr(X, y, theta_full, forget_mask)
    d = X.shape[1]
    z = loo_group_residuals(X, y, theta_full, forget_mask, lam)  # (I - P_FF)^{-1} r_F on F, else 0
    H = X.T @ X + lam * jnp.eye(d, dtype=X.dtype)
    return theta_full + jnp.linalg.solve(H, X.T @ z)


def influence_features(X, y, theta_full, forget_mask):
    """Request features ``g = X_F^T r_F = sum_{i in F} x_i r_i`` (the gradient the request removes).

    Args:
      X: ``(n, d)``; y: ``(n,)``; theta_full: ``(d,)``; forget_mask: ``bool[n]``.

    Returns:
      ``(d,)``.

    Raises:
      ValueError: on non-finite or mis-shaped inputs or an invalid ``forget_mask``.
    """
    _check(X, y, theta_full, forget_mask)
    X, y, theta_full, forget_mask = _arr(X, y, theta_full, forget_mask)
    return X.T @ (forget_mask.astype(X.dtype) * (X @ theta_full - y))


def _feat(X, y, theta_full, f):
    return X.T @ (f.astype(X.dtype) * (X @ theta_full - y))


def pretrain_linear_encoder(key, X, y, theta_full, lam, q: int, n_pre: int, ridge=1e-8):
    """E2 pre-training: least-squares fit of ``A`` with ``Delta theta ~ A g`` on simulated requests.

    Draws ``n_pre`` forget sets of ``q`` distinct rows uniformly, computes the exact changes
    ``Delta theta_j = woodbury_retrain(...) - theta_full`` and features ``g_j = X_{F_j}^T r_{F_j}``,
    and solves

    .. math:: A = \\Big(\\sum_j \\Delta\\theta_j g_j^\\top\\Big)
       \\Big(\\sum_j g_j g_j^\\top + \\rho\\, \\mathrm{tr}\\big(\\textstyle\\sum_j g_jg_j^\\top\\big)/d\\; I\\Big)^{-1}.

    With no leverage (``h_ii -> 0``) every change is ``H^{-1} g`` and ``A = H^{-1}``; the fit
    absorbs the average leverage and dependency correction.

    Args:
      key: PRNG key (the simulated requests).
      X: ``(n, d)``.
      y: ``(n,)``.
      theta_full: ``(d,)``.
      lam: ``> 0``.
      q: request size, ``1 <= q < n``.
      n_pre: number of simulated requests (``>= 1``).
      ridge: relative ridge ``rho >= 0``.

    Returns:
      ``(d, d)`` encoder matrix ``A``.

    Raises:
      ValueError: on malformed inputs, ``q`` outside ``[1, n)``, ``n_pre < 1``, ``ridge < 0``.

    References:
      UnlearnRec (arXiv 2505.22649): the encoder is pre-trained on simulated unlearning requests
      [paper, abstract]; linear form [derived], spec ``panels.md`` §4.4 E2.
    """
    check_array("X", X, ndim=2)
    check_nonempty("X", X)
    n, d = np.shape(X)
    check_array("y", y, ndim=1)
    check_shape("y", y, (n,))
    check_array("theta_full", theta_full, ndim=1)
    check_shape("theta_full", theta_full, (d,))
    check_positive("lam", lam)
    q = check_int("q", q, min_value=1, max_value=n - 1)
    n_pre = check_int("n_pre", n_pre, min_value=1)
    check_nonnegative("ridge", ridge)
    # one compiled program per (q, n_pre) (op by op the simulated requests are ~45 programs)
    return _pretrain(key, X, y, theta_full, lam, q, n_pre, ridge)


@partial(jax.jit, static_argnums=(5, 6))
def _pretrain(key, X, y, theta_full, lam, q, n_pre, ridge):
    X, y, theta_full = (jnp.asarray(v, float) for v in (X, y, theta_full))
    n, d = X.shape
    H = X.T @ X + lam * jnp.eye(d, dtype=X.dtype)
    Hi = jnp.linalg.inv(H)
    Hi = 0.5 * (Hi + Hi.T)
    r = X @ theta_full - y

    def one(k):
        idx = jax.random.choice(k, n, (q,), replace=False)
        XF, rF = X[idx], r[idx]
        B = XF @ Hi  # (q, d)
        P = B @ XF.T
        dth = B.T @ jnp.linalg.solve(jnp.eye(q, dtype=X.dtype) - P, rF)
        return dth, XF.T @ rF

    dth, g = jax.lax.map(one, jax.random.split(key, n_pre), batch_size=256)
    G = g.T @ g
    reg = ridge * jnp.trace(G) / d
    return jnp.linalg.solve(G + reg * jnp.eye(d, dtype=X.dtype), g.T @ dth).T


def encoder_linear(A, X, y, theta_full, forget_mask):
    """E2: the learned linear encoder ``theta_full + A X_F^T r_F``.

    Args:
      A: ``(d, d)`` from :func:`pretrain_linear_encoder`; X: ``(n, d)``; y: ``(n,)``;
      theta_full: ``(d,)``; forget_mask: ``bool[n]``.

    Returns:
      ``(d,)`` initialisation.

    Raises:
      ValueError: on non-finite or mis-shaped ``A`` or other inputs, an invalid ``forget_mask``.
    """
    _check(X, y, theta_full, forget_mask)
    check_array("A", A, ndim=2)
    d = np.shape(X)[1]
    check_shape("A", A, (d, d))
    X, y, theta_full, forget_mask = _arr(X, y, theta_full, forget_mask)
    return theta_full + A @ _feat(X, y, theta_full, forget_mask)


def a1_steps_bound(err0, eps, eta, lam_min):
    """Steps of ``gd_retain`` that guarantee ``||theta_T - theta_R|| <= eps`` (spec Prop. A1).

    GD on the retained ridge loss contracts the error by ``rho = 1 - eta lambda_min(H_R)`` per step
    (``eta <= 1/lambda_max``), so

    .. math:: T(\\epsilon) = \\Big\\lceil \\frac{\\log(\\epsilon / e_0)}{\\log \\rho} \\Big\\rceil^+ .

    Args:
      err0: initial error ``e_0 = ||theta_0 - theta_R|| >= 0``; eps: target ``> 0``;
      eta: step ``> 0``; lam_min: ``lambda_min(H_R) > 0`` with ``eta lam_min < 1``.

    Returns:
      Python int, ``0`` when ``e_0 <= eps``.

    Raises:
      ValueError: on a negative ``err0``, non-positive ``eps``, ``eta`` or ``lam_min``, or
        ``eta * lam_min >= 1``.

    References:
      Spec ``dmm-convex`` Prop. A1 (``theory/dmm_convex.md``).
    """
    check_nonnegative("err0", err0)
    check_positive("eps", eps)
    check_positive("eta", eta)
    check_positive("lam_min", lam_min)
    if is_traced(eta) or is_traced(lam_min) or is_traced(err0) or is_traced(eps):
        raise ValueError("`err0`, `eps`, `eta`, `lam_min` must be concrete (host-side count).")
    rho = 1.0 - float(eta) * float(lam_min)
    if not 0.0 < rho < 1.0:
        raise ValueError(f"`eta` * `lam_min` must lie in (0, 1); got {1.0 - rho}.")
    if float(err0) <= float(eps):
        return 0
    return int(math.ceil(math.log(float(eps) / float(err0)) / math.log(rho)))


# exported for tests: the exact oracle the encoders are compared with
_oracle = woodbury_retrain
