"""Worst-case forget sets for ridge (convex version of *Challenging Forgets*, Fan et al., ECCV 2024).

Fan et al. search for the forget sets on which approximate unlearning fails worst by bi-level
optimisation [reconstruction]. For ridge the inner problem is closed form (derived)::

    theta(w) = (X^T W X + lam I)^{-1} X^T W y,   W = diag(w),  w in [0, 1]^n,  sum_i (1 - w_i) = k,

so the problem is single-level and smooth in the relaxed retain weights ``w``: maximise the
unlearning gap ``G(w) = ||U(theta_full, w) - theta(w)||^2`` of an approximate unlearner ``U`` by
projected gradient ascent on the capped simplex, then round to the ``k`` smallest weights.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import check_array, check_int, check_nonempty, check_positive

__all__ = [
    "weighted_ridge",
    "project_capped_simplex",
    "unlearning_gap",
    "gd_retain_unlearner",
    "ga_unlearner",
    "newton_unlearner",
    "worst_case_forget",
]


def _check_rows(name, v, X):
    check_array(name, v, ndim=1)
    if np.shape(v)[0] != np.shape(X)[0]:
        raise ValueError(
            f"`{name}` must have {np.shape(X)[0]} entries (rows of `X`); got {np.shape(v)[0]}."
        )


def _check_unlearner(unlearner):
    if not callable(unlearner):
        raise ValueError(
            "`unlearner` must be callable as U(theta, X, y, w, lam); "
            f"got {type(unlearner).__name__}."
        )


def weighted_ridge(X, y, w, lam):
    """``theta(w) = (X^T W X + lam I)^{-1} X^T W y`` (summed ridge loss with row weights ``w``).

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``y``, ``w`` (one entry per row of ``X``) or a
        non-positive ``lam``.
    """
    check_array("X", X, ndim=2)
    _check_rows("y", y, X)
    _check_rows("w", w, X)
    check_positive("lam", lam)
    return _weighted_ridge(X, y, w, lam)


def _weighted_ridge(X, y, w, lam):
    d = X.shape[1]
    return jnp.linalg.solve((X * w[:, None]).T @ X + lam * jnp.eye(d, dtype=X.dtype), X.T @ (w * y))


def project_capped_simplex(w, k, iters: int = 100):
    """Euclidean projection onto ``{w in [0, 1]^n : sum_i (1 - w_i) = k}``.

    The projection is ``clip(w - tau, 0, 1)`` with the scalar ``tau`` chosen (by bisection, the sum
    being monotone in ``tau``) so that ``sum = n - k``.

    Args:
      w: ``(n,)``; k: number of points to forget, ``0 <= k <= n``; iters: bisection steps.

    Returns:
      ``(n,)`` projected weights.

    Raises:
      ValueError: on a non-finite or empty ``w``, ``k`` outside ``[0, n]`` or ``iters < 1``.
    """
    check_array("w", w, ndim=1)
    check_nonempty("w", w)
    n = w.shape[0]
    if not 0 <= float(k) <= n:
        raise ValueError(f"`k` must lie in [0, {n}]; got {k}.")
    iters = check_int("iters", iters, min_value=1)
    return _project(w, k, iters)


def _project(w, k, iters: int = 100):
    n = w.shape[0]
    target = n - k
    lo = jnp.min(w) - 1.0
    hi = jnp.max(w)

    def body(_, c):
        lo, hi = c
        mid = 0.5 * (lo + hi)
        s = jnp.sum(jnp.clip(w - mid, 0.0, 1.0))
        return jnp.where(s > target, mid, lo), jnp.where(s > target, hi, mid)

    lo, hi = jax.lax.fori_loop(0, iters, body, (lo, hi))
    return jnp.clip(w - 0.5 * (lo + hi), 0.0, 1.0)


def gd_retain_unlearner(eta: float, T: int) -> Callable:
    """``U(theta, X, y, w, lam)``: ``T`` steps of GD on the weighted retain loss (relaxed gd_retain).

    Raises:
      ValueError: on a non-positive ``eta`` or a ``T`` that is not an integer ``>= 0``.
    """
    check_positive("eta", eta)
    T = check_int("T", T, min_value=0)

    def U(theta, X, y, w, lam):
        def step(th, _):
            return th - eta * (X.T @ (w * (X @ th - y)) + lam * th), None

        return jax.lax.scan(step, theta, None, length=T)[0]

    return U


def ga_unlearner(eta: float, T: int) -> Callable:
    """``U``: ``T`` steps of gradient ascent on the forget loss with weights ``1 - w`` (relaxed GA).

    Raises:
      ValueError: on a non-positive ``eta`` or a ``T`` that is not an integer ``>= 0``.
    """
    check_positive("eta", eta)
    T = check_int("T", T, min_value=0)

    def U(theta, X, y, w, lam):
        def step(th, _):
            return th + eta * (X.T @ ((1.0 - w) * (X @ th - y))), None

        return jax.lax.scan(step, theta, None, length=T)[0]

    return U


def newton_unlearner() -> Callable:
    """``U``: the Newton (Woodbury) step ``theta + H_w^{-1} X^T (1 - w) r``; exact, so ``G = 0``."""

    def U(theta, X, y, w, lam):
        d = X.shape[1]
        Hw = (X * w[:, None]).T @ X + lam * jnp.eye(d, dtype=X.dtype)
        return theta + jnp.linalg.solve(Hw, X.T @ ((1.0 - w) * (X @ theta - y)))

    return U


def unlearning_gap(w, X, y, lam, unlearner, theta_full=None):
    """``G(w) = ||U(theta_full, w) - theta(w)||^2`` for relaxed retain weights ``w``.

    Raises:
      ValueError: on non-finite or mis-shaped ``w``, ``X``, ``y``, ``theta_full`` (``(d,)``), a
        non-positive ``lam`` or a non-callable ``unlearner``.
    """
    check_array("X", X, ndim=2)
    _check_rows("y", y, X)
    _check_rows("w", w, X)
    check_positive("lam", lam)
    _check_unlearner(unlearner)
    if theta_full is not None:
        check_array("theta_full", theta_full, ndim=1)
        if np.shape(theta_full)[0] != np.shape(X)[1]:
            raise ValueError(
                f"`theta_full` must have shape ({np.shape(X)[1]},); got {np.shape(theta_full)}."
            )
    return _gap(w, X, y, lam, unlearner, theta_full)


def _gap(w, X, y, lam, unlearner, theta_full=None):
    if theta_full is None:
        theta_full = _weighted_ridge(X, y, jnp.ones_like(w), lam)
    return jnp.sum((unlearner(theta_full, X, y, w, lam) - _weighted_ridge(X, y, w, lam)) ** 2)


def worst_case_forget(key, X, y, lam, k, unlearner, steps: int = 200, lr: float = 0.1):
    """Projected gradient ascent for a worst-case ``k``-point forget set of an approximate unlearner.

    Starts from ``w = 1 - k/n`` plus a small random perturbation, ascends ``G`` with normalised
    steps (``w <- Pi(w + lr grad / ||grad||_inf)``), then forgets the ``k`` rows with the smallest
    weights. ``G`` is not concave, so this finds a good local maximum, not a certified one.

    Args:
      key: PRNG key; X: ``(n, d)``; y: ``(n,)``; lam: ``> 0``; k: forget-set size in ``[1, n-1]``;
      unlearner: pure ``U(theta, X, y, w, lam) -> theta`` (e.g. :func:`gd_retain_unlearner`);
      steps: ascent steps; lr: step size in weight units.

    Returns:
      ``forget_mask``: ``bool[n]`` with ``k`` entries set.

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``y`` (one per row of ``X``), a non-positive
        ``lam`` or ``lr``, ``k`` outside ``[1, n-1]``, a negative ``steps`` or a non-callable
        ``unlearner``.
    """
    check_array("X", X, ndim=2)
    _check_rows("y", y, X)
    check_positive("lam", lam)
    _check_unlearner(unlearner)
    n = X.shape[0]
    k = check_int("k", k, min_value=1, max_value=n - 1)
    steps = check_int("steps", steps, min_value=0)
    check_positive("lr", lr)
    return _pga(key, X, y, lam, k, unlearner, steps, lr)


@partial(jax.jit, static_argnames=("k", "unlearner", "steps"))
def _pga(key, X, y, lam, k, unlearner, steps, lr):
    n = X.shape[0]
    theta_full = _weighted_ridge(X, y, jnp.ones(n, X.dtype), lam)
    gap = jax.grad(lambda w: _gap(w, X, y, lam, unlearner, theta_full))
    w0 = _project(1.0 - k / n + 0.01 * jax.random.normal(key, (n,), X.dtype), k)

    def step(w, _):
        g = gap(w)
        g = g / (jnp.max(jnp.abs(g)) + 1e-30)
        return _project(w + lr * g, k), None

    w = jax.lax.scan(step, w0, None, length=steps)[0]
    idx = jnp.argsort(w)[:k]
    return jnp.zeros(n, bool).at[idx].set(True)
