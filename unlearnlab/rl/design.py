"""Experiment design with offline data: Frank-Wolfe with a certified bracket, and the minimal budget.

The design problem of one step ``h`` (``theory/ftpedel.md`` §3.1, §6; the objective is the
offline-to-online coefficient's inner problem, [recalled] shape, convexity [derived]):

    f(w) = max_i  x_i^T (T Lambda(w) + Lambda_off + reg I)^{-1} x_i / den_i^2,
    Lambda(w) = sum_j w_j C_j,   w in the simplex over the exploration set {C_j},

is convex in ``w`` (a maximum of matrix-fractional functions). :func:`solve_design` runs
Frank-Wolfe (step ``2/(k+2)``) on a softmax-smoothed max and returns a certified bracket
``lower <= f* <= upper``: ``upper = min_k f(w_k)``, and for the step-weighted average ``q_bar`` of
the softmax weights, weak duality and convexity give (§6 of the note)

    f* >= min_w G_q(w) >= G_q(w_k) + min_j dG_q/dw_j (w_k) - <grad G_q(w_k), w_k>,
    G_q(w) = sum_i q_i g_i(w).

:func:`min_online_budget` bisects on ``log T`` for the smallest budget with ``f <= level`` and
returns a certified bracket ``[T_lo, T_hi]``.

Symbol -> argument: ``T`` -> ``T``, ``C_j = Lambda_{pi_j,h}`` -> ``cov_exp [n_exp, d, d]``,
``Lambda_off,h`` -> ``cov_off [d, d]``, ``x_i`` -> ``targets [n, d]``, ``den_i`` -> ``denom [n]``,
``w`` (exploration mixture ``pi_exp``) -> ``w [n_exp]``, ``q`` -> ``q [n]``.

Frank-Wolfe on the simplex is projection-free and has no counterpart in optax, so it is written
here as a ``lax.scan``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from unlearnlab.lab import checks
from unlearnlab.rl._vary import vary_like, zero_from

__all__ = [
    "DesignResult",
    "design_value",
    "solve_design",
    "min_online_budget",
    "validate_design_inputs",
]


class DesignResult(NamedTuple):
    """Result of :func:`solve_design`.

    Fields: ``w [n_exp]`` best weights found; ``upper ()`` = f(w) >= f*; ``lower ()`` <= f*;
    ``q [n]`` averaged dual weights over targets.
    """

    w: jax.Array
    upper: jax.Array
    lower: jax.Array
    q: jax.Array


def _g_and_u(w, T, cov_exp, cov_off, targets, denom, reg):
    d = cov_off.shape[-1]
    A = T * jnp.einsum("j,jde->de", w, cov_exp) + cov_off + reg * jnp.eye(d, dtype=cov_off.dtype)
    A = 0.5 * (A + A.T)
    cho = jax.scipy.linalg.cho_factor(A)
    # Cholesky solve against the d columns of I (d << n targets): XLA's CPU triangular solve with
    # many right-hand sides is ~15x slower than this for n = 256 (benchmarks/ftpedel.py)
    A_inv = jax.scipy.linalg.cho_solve(cho, jnp.eye(d, dtype=A.dtype))
    A_inv = 0.5 * (A_inv + A_inv.T)
    U = targets @ A_inv  # [n, d]
    g = jnp.sum(U * targets, -1) / denom**2
    return g, U


def design_value(w, T, cov_exp, cov_off, targets, denom, reg=1e-9, mask=None) -> jax.Array:
    """``f(w) = max_i ||x_i||^2_{(T Lambda(w) + Lambda_off + reg I)^{-1}} / den_i^2`` (0 if no target).

    Args: see the module docstring; ``mask [n]`` bool selects the targets (default all).
    Returns: a scalar, convex in ``w``.
    Raises:
      ValueError: if the design inputs are malformed (``validate_design_inputs``), ``w`` is not
        a distribution over the ``n_exp`` exploration covariances, ``T < 0`` or ``reg < 0``.
    """
    validate_design_inputs(cov_exp, cov_off, targets, denom, mask)
    _check_weights("w", w, np.shape(cov_exp)[0])
    checks.check_nonnegative("T", T)
    checks.check_nonnegative("reg", reg)
    return _design_value(w, T, cov_exp, cov_off, targets, denom, reg, mask)


def _design_value(w, T, cov_exp, cov_off, targets, denom, reg, mask):
    g, _ = _g_and_u(w, T, cov_exp, cov_off, targets, denom, reg)
    if mask is None:
        return jnp.max(g)
    return jnp.where(jnp.any(mask), jnp.max(jnp.where(mask, g, -jnp.inf)), 0.0)


def _check_weights(name, w, n_exp):
    checks.check_array(name, w, ndim=1)
    checks.check_shape(name, w, (n_exp,))
    if not checks.is_traced(w):
        checks.check_probability_vector(name, w, atol=1e-6)


def validate_design_inputs(cov_exp, cov_off, targets, denom, mask=None):
    """Shapes, finiteness and symmetric PSD ``cov_off`` (``ValueError`` naming the argument)."""
    checks.check_array("cov_exp", cov_exp, ndim=3)
    n_exp, d, d2 = np.shape(cov_exp)
    if n_exp < 1 or d < 1 or d != d2:
        raise ValueError(f"`cov_exp` must have shape (n_exp, d, d); got {np.shape(cov_exp)}.")
    checks.check_array("cov_off", cov_off, ndim=2)
    checks.check_shape("cov_off", cov_off, (d, d))
    checks.check_array("targets", targets, ndim=2)
    checks.check_shape("targets", targets, (None, d))
    checks.check_nonempty("targets", targets)
    n = np.shape(targets)[0]
    checks.check_array("denom", denom, ndim=1, finite=False)
    checks.check_shape("denom", denom, (n,))
    if not checks.is_traced(denom) and np.any(~(np.asarray(denom) > 0)):
        raise ValueError("`denom` must be > 0 (inf allowed).")
    if mask is not None:
        checks.check_shape("mask", mask, (n,))
    if not checks.is_traced(cov_off):
        C = np.asarray(cov_off, float)
        if not np.allclose(C, C.T, atol=1e-8 * max(1.0, np.abs(C).max())):
            raise ValueError("`cov_off` must be symmetric.")
        if np.linalg.eigvalsh(0.5 * (C + C.T)).min() < -1e-8 * max(1.0, np.abs(C).max()):
            raise ValueError("`cov_off` must be positive semi-definite.")


def _solve(T, cov_exp, cov_off, targets, denom, mask, n_iter, reg, smooth_eta, w0):
    n_exp = cov_exp.shape[0]
    dt = cov_off.dtype
    valid = jnp.any(mask)
    mask_e = jnp.where(valid, mask, jnp.ones_like(mask))
    logn = jnp.log(jnp.maximum(jnp.sum(mask_e), 2).astype(dt))

    def grads(U, q):
        M = jnp.einsum("i,id,ie->de", q / denom**2, U, U)
        return -T * jnp.einsum("jde,de->j", cov_exp, M)

    def evaluate(w):
        g, U = _g_and_u(w, T, cov_exp, cov_off, targets, denom, reg)
        g = jnp.where(mask_e, g, -jnp.inf)
        return g, U

    def body(carry, k):
        w, qsum, wsum, best_up, best_w, best_lo = carry
        g, U = evaluate(w)
        f = jnp.max(g)
        eta = smooth_eta * logn / jnp.maximum(f, jnp.finfo(dt).tiny)
        q = jax.nn.softmax(jnp.where(mask_e, eta * (g - f), -jnp.inf))
        gr = grads(U, q)
        alpha = (k + 1.0).astype(dt)
        qsum = qsum + alpha * q
        wsum = wsum + alpha
        qbar = qsum / wsum
        grb = grads(U, qbar)
        Gq = jnp.sum(jnp.where(mask_e, qbar * g, 0.0))
        lo = Gq + jnp.min(grb) - jnp.dot(grb, w)
        better = f < best_up
        best_w = jnp.where(better, w, best_w)
        best_up = jnp.minimum(best_up, f)
        best_lo = jnp.maximum(best_lo, lo)
        j = jnp.argmin(gr)
        gamma = 2.0 / (k + 2.0)
        w = (1 - gamma) * w + gamma * jax.nn.one_hot(j, n_exp, dtype=dt)
        return (w, qsum, wsum, best_up, best_w, best_lo), None

    init = (
        w0,
        jnp.zeros(targets.shape[0], dt),
        jnp.zeros((), dt),
        jnp.asarray(jnp.inf, dt),
        w0,
        jnp.asarray(-jnp.inf, dt),
    )
    init = vary_like(init, zero_from(T, cov_exp, cov_off, targets, w0, dtype=dt))
    # a fori_loop is a scan for a static ``n_iter`` and a while loop for a traced one (callers that
    # solve with several lengths then share one compiled program)
    w, qsum, wsum, up, bw, lo = lax.fori_loop(
        0, n_iter, lambda k, c: body(c, jnp.asarray(k).astype(dt))[0], init
    )
    g, _ = evaluate(w)  # the last iterate too
    f = jnp.max(g)
    bw = jnp.where(f < up, w, bw)
    up = jnp.minimum(up, f)
    lo = jnp.minimum(jnp.maximum(lo, 0.0), up)  # f* >= 0 always; lower never above upper
    zero = jnp.zeros((), dt)
    return DesignResult(
        bw,
        jnp.where(valid, up, zero),
        jnp.where(valid, lo, zero),
        jnp.where(valid, qsum / wsum, jnp.zeros_like(qsum)),
    )


#: jitted :func:`_solve` (static: ``n_iter``), compiled once per shape
_solve_jit = jax.jit(_solve, static_argnums=(6,))


def solve_design(
    T,
    cov_exp,
    cov_off,
    targets,
    denom,
    *,
    mask=None,
    n_iter: int = 2000,
    reg: float = 1e-9,
    smooth_eta: float = 1000.0,
    w0=None,
) -> DesignResult:
    """Frank-Wolfe for the design problem with a certified bracket ``lower <= f* <= upper``.

    Args:
      T: online budget ``T >= 0`` (scalar, may be traced).
      cov_exp: ``[n_exp, d, d]`` exploration covariances ``Lambda_{pi_j,h}``.
      cov_off: ``[d, d]`` offline covariance (symmetric PSD; add a ridge here if wanted).
      targets: ``[n, d]`` target directions ``x_i``.
      denom: ``[n]`` denominators ``den_i > 0`` (``inf`` makes a target free).
      mask: ``[n]`` bool, targets in play (default all). No target in play gives ``f* = 0``.
      n_iter: Frank-Wolfe iterations (static).
      reg: explicit ridge ``reg I`` inside the inverse.
      smooth_eta: softmax temperature relative to ``f / log n`` (``q = softmax(eta log n g / f)``).
      w0: initial weights (default uniform).
    Returns:
      :class:`DesignResult`.
    Raises:
      ValueError: if the design inputs are malformed, ``T < 0``, ``n_iter < 1``, ``reg < 0``,
        ``smooth_eta <= 0`` or ``w0`` is not a distribution over the exploration set.
    References: ``theory/ftpedel.md`` §6 (certificate, [derived]); Frank-Wolfe as in RAGE (Fiez et al.
      2019) and Pedel's OptCov (Wagenmaker and Jamieson 2022), which runs it on a smoothed max.
    """
    validate_design_inputs(cov_exp, cov_off, targets, denom, mask)
    checks.check_int("n_iter", n_iter, min_value=1)
    checks.check_nonnegative("T", T)
    checks.check_nonnegative("reg", reg)
    checks.check_positive("smooth_eta", smooth_eta)
    dt = jnp.result_type(cov_off)
    n_exp = np.shape(cov_exp)[0]
    if w0 is None:
        w0 = jnp.full((n_exp,), 1.0 / n_exp, dt)
    else:
        _check_weights("w0", w0, n_exp)
    if mask is None:
        mask = jnp.ones(np.shape(targets)[0], bool)
    return _solve_jit(
        jnp.asarray(T, dt),
        jnp.asarray(cov_exp, dt),
        jnp.asarray(cov_off, dt),
        jnp.asarray(targets, dt),
        jnp.asarray(denom, dt),
        jnp.asarray(mask, bool),
        n_iter,
        reg,
        smooth_eta,
        jnp.asarray(w0, dt),
    )


def _budget(
    cov_exp, cov_off, targets, denom, mask, level, T_min, T_max, n_bisect, n_iter, reg, smooth_eta
):
    """Core of :func:`min_online_budget` (no validation; traceable). Returns ``([2], w)``."""
    dt = cov_off.dtype
    n_exp = cov_exp.shape[0]
    w_init = jnp.full((n_exp,), 1.0 / n_exp, dt)
    f0 = _design_value(w_init, 0.0, cov_exp, cov_off, targets, denom, reg, mask)  # exact at T = 0
    log_max = jnp.log(jnp.asarray(T_max, dt))

    # iteration 0 solves at T_max; iterations 1..n_bisect bisect on log T (one traced solver)
    def body(i, c):
        lo, hi, T_lo, T_hi, w_best, top_lo = c
        first = i == 0
        mid = jnp.where(first, log_max, 0.5 * (lo + hi))
        T = jnp.exp(mid)
        r = _solve(T, cov_exp, cov_off, targets, denom, mask, n_iter, reg, smooth_eta, w_init)
        feas = r.upper <= level
        infeas = r.lower > level
        hi = jnp.where(feas & ~first, mid, hi)
        lo = jnp.where(feas | first, lo, mid)  # infeasible or undecided: search above
        w_best = jnp.where(feas & (T <= T_hi), r.w, w_best)
        T_hi = jnp.minimum(T_hi, jnp.where(feas, T, jnp.inf))
        T_lo = jnp.maximum(T_lo, jnp.where(infeas & ~first, T, 0.0))
        top_lo = jnp.where(first, r.lower, top_lo)
        return lo, hi, T_lo, T_hi, w_best, top_lo

    c0 = (
        jnp.log(jnp.asarray(T_min, dt)),
        log_max,
        jnp.zeros((), dt),
        jnp.asarray(jnp.inf, dt),
        w_init,
        jnp.zeros((), dt),
    )
    c0 = vary_like(c0, zero_from(cov_exp, cov_off, targets, level, T_max, dtype=dt))
    _, _, T_lo, T_hi, w, top_lo = lax.fori_loop(0, n_bisect + 1, body, c0)
    # T_min itself is never tested: if nothing below T_max was certified infeasible, T_lo = 0
    # (valid, since f(0) > level exactly).
    off_ok = f0 <= level
    too_big = top_lo > level
    T_lo = jnp.where(off_ok, 0.0, jnp.where(too_big, jnp.inf, T_lo))
    T_hi = jnp.where(off_ok, 0.0, jnp.where(too_big, jnp.inf, T_hi))
    return jnp.stack([T_lo, T_hi]), w


#: jitted :func:`_budget` (static: ``n_bisect``, ``n_iter``), compiled once per shape
_budget_jit = jax.jit(_budget, static_argnums=(8, 9))


def check_budget_range(T_min, T_max):
    """``0 < T_min < T_max < inf`` (the bisection range of the budget)."""
    checks.check_positive("T_min", T_min)
    checks.check_positive("T_max", T_max)
    if not (checks.is_traced(T_max) or checks.is_traced(T_min)) and not float(T_max) > float(T_min):
        raise ValueError(f"`T_max` must be > T_min = {T_min}; got {T_max}.")


def min_online_budget(
    cov_exp,
    cov_off,
    targets,
    denom,
    *,
    mask=None,
    level=1.0,
    T_min=1e-6,
    T_max=1e12,
    n_bisect: int = 60,
    n_iter: int = 2000,
    reg: float = 1e-9,
    smooth_eta: float = 1000.0,
) -> jax.Array:
    """Certified bracket of ``T* = min{T >= 0 : f*(T) <= level}`` for one step.

    ``T = 0`` is tested exactly first (offline data alone suffices -> ``[0, 0]``); if the certified
    lower value at ``T_max`` exceeds ``level`` the budget is reported as ``[inf, inf]``. Otherwise
    ``n_bisect`` bisection steps on ``log T`` in ``[T_min, T_max]``: ``T_hi`` is the smallest tested
    ``T`` whose upper value is ``<= level`` (``inf`` if none), ``T_lo`` the largest whose certified
    lower value is ``> level`` (0 if none). ``f*(T)`` is non-increasing in ``T`` (§3.1 of the note),
    so ``T_lo <= T* <= T_hi``.

    Returns: ``[2]`` array ``(T_lo, T_hi)``.

    Raises:
      ValueError: if the design inputs are malformed, ``level <= 0``, ``0 < T_min < T_max`` fails,
        ``n_bisect`` or ``n_iter < 1``, ``reg < 0`` or ``smooth_eta <= 0``.
    """
    validate_design_inputs(cov_exp, cov_off, targets, denom, mask)
    checks.check_positive("level", level)
    check_budget_range(T_min, T_max)
    checks.check_int("n_bisect", n_bisect, min_value=1)
    checks.check_int("n_iter", n_iter, min_value=1)
    checks.check_nonnegative("reg", reg)
    checks.check_positive("smooth_eta", smooth_eta)
    dt = jnp.result_type(cov_off)
    if mask is None:
        mask = jnp.ones(np.shape(targets)[0], bool)
    out, _ = _budget_jit(
        jnp.asarray(cov_exp, dt),
        jnp.asarray(cov_off, dt),
        jnp.asarray(targets, dt),
        jnp.asarray(denom, dt),
        jnp.asarray(mask, bool),
        level,
        T_min,
        T_max,
        n_bisect,
        n_iter,
        reg,
        smooth_eta,
    )
    return out
