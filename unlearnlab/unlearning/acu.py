"""Analytic continual unlearning (ACU): exact closed-form forgetting for a ridge head.

A frozen backbone and a fixed random buffer give features ``x`` (rows of ``X``); the classifier is
ridge regression on every row currently represented,

    W = (X^T X + gamma I)^{-1} X^T Y = R Q,     R = (X^T X + gamma I)^{-1},  Q = X^T Y.

The state keeps ``R`` and ``W`` only (no samples). Learning a batch ``(X, Y)`` of ``m`` rows is the
Woodbury update of ACIL (Zhuang et al. 2022, eqs. (9)-(10)):

    K = I_m + X R X^T,   R' = R - R X^T K^{-1} X R,   W' = W + R' X^T (Y - X W).

Unlearning a batch of learned rows is the same recursion with the signs flipped (a reconstruction of
ACU's update, derived in ``theory/acu.md``):

    S = I_m - X R X^T,   R' = R + R X^T S^{-1} X R,   W' = W - R' X^T (Y - X W).

``S`` is positive definite iff the retained Gram matrix plus ``gamma I`` is (a Schur-complement
identity); a request for rows that were never learned can make it indefinite, and is rejected.

Exactness (``theory/acu.md``, Theorem 1): after any sequence of learn and unlearn requests, ``W``
equals ridge regression retrained from scratch on the retained rows, in exact arithmetic. In floating
point the gap is ~1e-12 (float64) and ~1e-5 (float32); exactness claims need ``jax_enable_x64``.

Symbols -> arguments: ``X`` (features, rows ``f_j``) -> ``X``; ``Y`` (one-hot labels zero-padded to
``C`` columns) -> ``Y``; ``gamma`` -> ``gamma``; ``R``, ``W`` -> ``state.R``, ``state.W``.

Shapes are fixed under ``jit``: a request padded with zero feature rows and zero labels gives the same
result (zero rows add identity blocks to ``K``/``S`` and nothing to ``X^T(.)``).

Privacy: the state stores no samples, but it is *not* differentially private: anyone holding ``R``
before and after a request learns ``R'^{-1} - R^{-1} = -X_u^T X_u``, the Gram matrix of the forgotten
batch (for one row, the row up to sign).

References:
  Tang, Zhuang, et al., "ACU: Analytic Continual Unlearning for Efficient and Exact Forgetting with
  Privacy Preservation", arXiv:2505.12239v1 (2025); the paper's equation numbers could not be
  checked (body not available), see ``theory/acu.md``.
  Zhuang et al., "ACIL: Analytic Class-Incremental Learning with Absolute Memorization and Privacy
  Protection", NeurIPS 2022, eqs. (9)-(10) (the recursive learning step).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_factor, cho_solve, solve_triangular

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_positive,
    check_shape,
    check_tree_finite,
)

__all__ = [
    "ACUState",
    "acu_init",
    "acu_fit",
    "acu_learn",
    "acu_unlearn",
    "acu_unlearn_checked",
    "acu_predict",
    "ridge_retrain",
    "acu_request_flops",
    "retrain_flops",
    "ACUStats",
    "acu_stats_init",
    "acu_stats_fit",
    "acu_stats_update",
    "acu_refactor",
    "acu_refactor_checked",
]

Array = jax.Array


class ACUState(NamedTuple):
    """State of the analytic classifier.

    Attributes:
      R: ``(d, d)`` regularised autocorrelation inverse ``(X^T X + gamma I)^{-1}``, symmetric PD.
      W: ``(d, C)`` ridge weights (preallocate ``C_max`` columns for class-incremental streams).
      count: ``()`` number of non-zero rows currently represented (bookkeeping only).
    """

    R: Array
    W: Array
    count: Array


def _sym(R):
    return 0.5 * (R + R.T)


def _nonzero_rows(X):
    return jnp.sum(jnp.any(X != 0, axis=1)).astype(jnp.int32)


# ----------------------------------------------------------------------------- validation


def _check_state(state):
    if not isinstance(state, ACUState):
        raise ValueError(f"`state` must be an ACUState; got {type(state).__name__}.")
    d = state.R.shape[0]
    check_shape("state.R", state.R, (d, d))
    check_shape("state.W", state.W, (d, None))
    check_tree_finite("state", state)
    return d, state.W.shape[1]


def _check_rows(X, Y):
    if np.shape(Y)[0] != np.shape(X)[0]:
        raise ValueError(
            f"`Y` must have one row per row of `X` ({np.shape(X)[0]}); got shape {np.shape(Y)}."
        )


def _check_request(state, X, Y):
    d, C = _check_state(state)
    check_array("X", X, ndim=2)
    check_array("Y", Y, ndim=2)
    check_shape("X", X, (None, d))
    _check_rows(X, Y)
    check_shape("Y", Y, (X.shape[0], C))


# ----------------------------------------------------------------------------- core


def acu_init(d: int, n_classes: int, gamma, dtype=None) -> ACUState:
    """The empty classifier: ``R = I / gamma``, ``W = 0``, ``count = 0``.

    Args:
      d: feature dimension ``d_F``.
      n_classes: number of output columns ``C`` (the maximum number of classes of the stream).
      gamma: ridge strength ``gamma > 0``.
      dtype: floating dtype (default: JAX's default float).
    """
    d = check_int("d", d, min_value=1)
    n_classes = check_int("n_classes", n_classes, min_value=1)
    check_positive("gamma", gamma)
    dtype = jnp.zeros((), dtype=dtype).dtype if dtype is not None else jnp.asarray(1.0).dtype
    R = jnp.eye(d, dtype=dtype) / jnp.asarray(gamma, dtype)
    return ACUState(R=R, W=jnp.zeros((d, n_classes), dtype), count=jnp.zeros((), jnp.int32))


@jax.jit
def _fit(X, Y, gamma):
    d = X.shape[1]
    A = X.T @ X + gamma * jnp.eye(d, dtype=X.dtype)
    c = cho_factor(A, lower=True)
    R = _sym(cho_solve(c, jnp.eye(d, dtype=X.dtype)))
    W = cho_solve(c, X.T @ Y)
    return ACUState(R=R, W=W, count=_nonzero_rows(X))


def acu_fit(X, Y, gamma) -> ACUState:
    """Closed-form ridge fit: ``R = (X^T X + gamma I)^{-1}``, ``W = R X^T Y`` (Cholesky solves).

    Args:
      X: ``(N, d)`` features.
      Y: ``(N, C)`` one-hot (or any real) targets.
      gamma: ridge strength ``> 0``.

    Returns:
      :class:`ACUState` with ``count`` the number of non-zero rows of ``X``.

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``Y`` (one row of ``Y`` per row of ``X``) or a
        non-positive ``gamma``.
    """
    check_array("X", X, ndim=2)
    check_array("Y", Y, ndim=2)
    _check_rows(X, Y)
    check_positive("gamma", gamma)
    X = jnp.asarray(X)
    return _fit(X, jnp.asarray(Y, X.dtype), jnp.asarray(gamma, X.dtype))


@jax.jit
def _learn(state, X, Y):
    R, W = state.R, state.W
    m = X.shape[0]
    RXt = R @ X.T  # (d, m)
    K = jnp.eye(m, dtype=R.dtype) + X @ RXt
    c = cho_factor(_sym(K), lower=True)
    R_new = _sym(R - RXt @ cho_solve(c, RXt.T))
    W_new = W + R_new @ (X.T @ (Y - X @ W))
    return ACUState(R=R_new, W=W_new, count=state.count + _nonzero_rows(X))


def acu_learn(state: ACUState, X, Y) -> ACUState:
    """Learn a batch: the Woodbury update of ACIL eqs. (9)-(10).

    ``K = I + X R X^T`` (always PD), ``R' = R - R X^T K^{-1} X R``, ``W' = W + R' X^T (Y - X W)``.
    Zero rows (padding) are exact no-ops.

    Args:
      state: current :class:`ACUState` with ``R`` of shape ``(d, d)`` and ``W`` of shape ``(d, C)``.
      X: ``(m, d)`` features of the new rows.
      Y: ``(m, C)`` targets, zero-padded for classes they lack.

    Raises:
      ValueError: on a malformed or non-finite ``state``, or non-finite or mis-shaped ``X``, ``Y``.
    """
    _check_request(state, X, Y)
    return _learn(state, jnp.asarray(X, state.R.dtype), jnp.asarray(Y, state.R.dtype))


@jax.jit
def acu_unlearn_checked(state: ACUState, X, Y) -> tuple[ACUState, Array]:
    """Unlearn a batch inside ``jit``/``vmap``/``scan``: returns ``(new_state, ok)``.

    ``S = I - X R X^T``; ``ok`` is True iff its Cholesky factorisation succeeds (``S`` PD), i.e. iff
    the retained rows still give a PD regularised Gram matrix. When ``ok`` is False the input state
    is returned unchanged (never NaN). Callers outside ``jit`` should use :func:`acu_unlearn`, which
    raises instead.

    ``R' = R + R X^T S^{-1} X R``, ``W' = W - R' X^T (Y - X W)`` (``theory/acu.md``, Lemma 2),
    computed as ``R' = R + U^T U`` with ``U = L^{-1} X R`` (``S = L L^T``) and
    ``R' X^T = R X^T S^{-1}`` (because ``X R X^T = I - S``), which avoids a d x d x C product.
    No shape or finiteness validation happens here (the precondition of a jitted entry point).

    The only d x d work is the two products ``X R`` and ``U^T U`` and one addition: a failed
    request zeroes ``U`` and ``S^{-1} X R`` (so it adds exact zeros) instead of selecting between
    two d x d states, and ``R + U^T U`` is not re-symmetrised (``U^T U`` is symmetric up to the
    product's rounding; ``R`` is symmetric, so ``X R = (R X^T)^T``).
    """
    R, W = state.R, state.W
    X = X.astype(R.dtype)
    Y = Y.astype(R.dtype)
    m = X.shape[0]
    XR = X @ R  # (m, d) = (R X^T)^T for symmetric R
    S = _sym(jnp.eye(m, dtype=R.dtype) - XR @ X.T)
    L = jnp.linalg.cholesky(S)
    diag = jnp.diagonal(L)
    ok = jnp.all(jnp.isfinite(L)) & jnp.all(diag > 0)
    L_safe = jnp.where(ok, L, jnp.eye(m, dtype=R.dtype))
    # R' = R + (L^{-1} X R)^T (L^{-1} X R) with S = L L^T, and R' X^T = R X^T S^{-1} (since
    # X R X^T = I - S), so W' = W - R X^T S^{-1} (Y - X W): O(d^2 m + d m C), no d x d x C product.
    # A failed request (ok False) adds zeros: the input state comes back unchanged, never NaN.
    U = jnp.where(ok, solve_triangular(L_safe, XR, lower=True), 0.0)  # (m, d)
    G = jnp.where(ok, cho_solve((L_safe, True), XR), 0.0)  # (m, d) = S^{-1} X R
    R_new = R + U.T @ U
    W_new = W - G.T @ (Y - X @ W)
    count = state.count - jnp.where(ok, _nonzero_rows(X), 0).astype(state.count.dtype)
    return ACUState(R=R_new, W=W_new, count=count), ok


def acu_unlearn(state: ACUState, X, Y) -> ACUState:
    """Forget a batch of previously learned rows exactly (downdate; validated).

    Raises:
      ValueError: on shape or non-finite input (``state`` included), or when ``I - X R X^T`` is
        not positive definite: then ``X`` cannot be rows that were learned (forgetting them would leave a retained Gram
        matrix that is not PD). Only never-learned rows with ``x R x^T >= 1`` are detected: a small
        unseen row (``||x||^2 < 1/lambda_max(R)``) passes and silently gives a wrong model.
    """
    _check_request(state, X, Y)
    new, ok = acu_unlearn_checked(
        state, jnp.asarray(X, state.R.dtype), jnp.asarray(Y, state.R.dtype)
    )
    if not bool(ok):
        raise ValueError(
            "acu_unlearn: the request cannot be data that was learned: I - X R X^T is not positive "
            "definite (forgetting these rows would leave a retained Gram matrix that is not PD)."
        )
    return new


@jax.jit
def _predict(state, X):
    return X @ state.W


def acu_predict(state: ACUState, X) -> Array:
    """Logits ``X W`` of shape ``(n, C)``.

    Raises:
      ValueError: on a malformed or non-finite ``state``, or a non-finite ``X`` without ``d`` columns.
    """
    d, _ = _check_state(state)
    check_array("X", X, ndim=2)
    check_shape("X", X, (None, d))
    return _predict(state, jnp.asarray(X, state.W.dtype))


@jax.jit
def _ridge(X, Y, gamma):
    d = X.shape[1]
    return jnp.linalg.solve(X.T @ X + gamma * jnp.eye(d, dtype=X.dtype), X.T @ Y)


def ridge_retrain(X, Y, gamma) -> Array:
    """The oracle: ridge weights retrained from scratch by a dense solve of the normal equations.

    ``W = (X^T X + gamma I)^{-1} X^T Y`` via LU (``jnp.linalg.solve``), independent of the
    Cholesky code path of ACU.

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``Y`` or a non-positive ``gamma``.
    """
    check_array("X", X, ndim=2)
    check_array("Y", Y, ndim=2)
    _check_rows(X, Y)
    check_positive("gamma", gamma)
    X = jnp.asarray(X)
    return _ridge(X, jnp.asarray(Y, X.dtype), jnp.asarray(gamma, X.dtype))


def acu_request_flops(d: int, m: int, C: int) -> int:
    """Floating-point operations of one unlearning request (``theory/acu.md``, complexity).

    ``R X^T`` (2 d^2 m), ``X R X^T`` (2 m^2 d), Cholesky ``S = L L^T`` (m^3/3), ``U = L^{-1} X R``
    (m^2 d), the rank-m update ``R + U^T U`` (2 d^2 m), ``S^{-1} X R`` (2 m^2 d), the residual
    ``Y - X W`` (2 m d C) and ``R X^T S^{-1}`` times it (2 d m C):
    ``4 d^2 m + 5 m^2 d + m^3/3 + 4 m d C``, independent of ``N``.

    Raises:
      ValueError: if ``d``, ``m`` or ``C`` is not an integer ``>= 1``.
    """
    d = check_int("d", d, min_value=1)
    m = check_int("m", m, min_value=1)
    C = check_int("C", C, min_value=1)
    return int(4 * d * d * m + 5 * m * m * d + m**3 // 3 + 4 * m * d * C)


def retrain_flops(N: int, d: int, C: int) -> int:
    """Flops of retraining from scratch: ``2 N d^2 + 2 N d C + d^3/3 + 2 d^2 C + 2 d^2``.

    Raises:
      ValueError: if ``N``, ``d`` or ``C`` is not an integer ``>= 1``.
    """
    N = check_int("N", N, min_value=1)
    d = check_int("d", d, min_value=1)
    C = check_int("C", C, min_value=1)
    return int(2 * N * d * d + 2 * N * d * C + d**3 // 3 + 2 * d * d * C + 2 * d * d)


# ----------------------------------------------------------------------------- float32 path
#
# The recursion above amplifies rounding by the conditioning of K and S: in float32 a request that
# removes a whole class makes S = I - X R X^T numerically indefinite at the figure's sizes (d = 512,
# 200 rows per class), the request is rejected, and the state drifts far from retraining. The path
# below keeps the sufficient statistics A = X^T X + gamma I and Q = X^T Y of the represented rows
# (updated by exact-in-structure additions, no inverse) and refactorises R, W from them with one
# Cholesky factorisation whenever the caller asks (every request, or every k requests in between
# Woodbury updates): its error is that of a float32 ridge solve, ~ kappa(A) * eps (theory/acu.md).


class ACUStats(NamedTuple):
    r"""Maintained statistics of the represented rows (the float32 path).

    Attributes:
      A: ``(d, d)`` regularised Gram matrix :math:`X^\top X + \gamma I`, symmetric PD.
      Q: ``(d, C)`` cross-moment :math:`X^\top Y`.
      count: ``()`` number of non-zero rows currently represented (bookkeeping only).
    """

    A: Array
    Q: Array
    count: Array


def _check_stats(stats):
    if not isinstance(stats, ACUStats):
        raise ValueError(f"`stats` must be an ACUStats; got {type(stats).__name__}.")
    d = np.shape(stats.A)[0] if np.ndim(stats.A) == 2 else -1
    check_shape("stats.A", stats.A, (d, d))
    check_shape("stats.Q", stats.Q, (d, None))
    check_array("stats.A", stats.A)
    check_array("stats.Q", stats.Q)
    return d, np.shape(stats.Q)[1]


def acu_stats_init(d: int, n_classes: int, gamma, dtype=None) -> ACUStats:
    r"""The statistics of the empty classifier: :math:`A = \gamma I`, :math:`Q = 0`.

    Args:
      d: feature dimension (``>= 1``).
      n_classes: number of output columns ``C`` (``>= 1``).
      gamma: ridge strength ``> 0``.
      dtype: floating dtype (default: JAX's default float).

    Returns:
      :class:`ACUStats`.

    Raises:
      ValueError: on a non-positive ``d``, ``n_classes`` or ``gamma``.
    """
    d = check_int("d", d, min_value=1)
    n_classes = check_int("n_classes", n_classes, min_value=1)
    check_positive("gamma", gamma)
    dtype = jnp.zeros((), dtype=dtype).dtype if dtype is not None else jnp.asarray(1.0).dtype
    return ACUStats(
        A=jnp.asarray(gamma, dtype) * jnp.eye(d, dtype=dtype),
        Q=jnp.zeros((d, n_classes), dtype),
        count=jnp.zeros((), jnp.int32),
    )


def acu_stats_fit(X, Y, gamma) -> ACUStats:
    r"""Statistics of a batch: :math:`A = X^\top X + \gamma I`, :math:`Q = X^\top Y`.

    Args:
      X: ``(N, d)`` features.
      Y: ``(N, C)`` targets.
      gamma: ridge strength ``> 0``.

    Returns:
      :class:`ACUStats` with ``count`` the number of non-zero rows of ``X``.

    Raises:
      ValueError: on non-finite or mis-shaped ``X``, ``Y`` or a non-positive ``gamma``.
    """
    check_array("X", X, ndim=2)
    check_array("Y", Y, ndim=2)
    _check_rows(X, Y)
    check_positive("gamma", gamma)
    X = jnp.asarray(X)
    init = ACUStats(
        A=jnp.asarray(gamma, X.dtype) * jnp.eye(X.shape[1], dtype=X.dtype),
        Q=jnp.zeros((X.shape[1], np.shape(Y)[1]), X.dtype),
        count=jnp.zeros((), jnp.int32),
    )
    return _stats_update(init, X, jnp.asarray(Y, X.dtype), 1.0)


@jax.jit
def _stats_update(stats, X, Y, sign):
    sign = jnp.asarray(sign, stats.A.dtype)
    G = X.T @ X
    return ACUStats(
        A=stats.A + sign * _sym(G),
        Q=stats.Q + sign * (X.T @ Y),
        count=stats.count + jnp.where(sign > 0, 1, -1) * _nonzero_rows(X),
    )


def acu_stats_update(stats: ACUStats, X, Y, *, forget: bool = False) -> ACUStats:
    r"""Add a learned batch to the statistics, or remove a forgotten one.

    .. math:: A' = A \pm X^\top X, \qquad Q' = Q \pm X^\top Y

    (``+`` to learn, ``-`` to forget). No inverse is formed, so rounding is not amplified by the
    conditioning of the request; zero rows (padding) are exact no-ops. Whether a forgotten batch
    was learned is checked when the statistics are refactorised (:func:`acu_refactor`).

    Args:
      stats: current :class:`ACUStats` (``A`` of shape ``(d, d)``, ``Q`` of shape ``(d, C)``).
      X: ``(m, d)`` features of the batch.
      Y: ``(m, C)`` targets.
      forget: remove the batch (True) or add it (False).

    Returns:
      The updated :class:`ACUStats`.

    Raises:
      ValueError: on non-finite or mis-shaped input, or a non-bool ``forget``.
    """
    d, C = _check_stats(stats)
    check_array("X", X, ndim=2)
    check_array("Y", Y, ndim=2)
    check_shape("X", X, (None, d))
    _check_rows(X, Y)
    check_shape("Y", Y, (np.shape(X)[0], C))
    if not isinstance(forget, (bool, np.bool_)):
        raise ValueError(f"`forget` must be a bool; got {forget!r}.")
    dt = stats.A.dtype
    return _stats_update(stats, jnp.asarray(X, dt), jnp.asarray(Y, dt), -1.0 if forget else 1.0)


@jax.jit
def acu_refactor_checked(stats: ACUStats) -> tuple[ACUState, Array]:
    r"""Refactorise the classifier from its statistics inside ``jit``/``vmap``/``scan``.

    With :math:`A = L L^\top` (Cholesky), :math:`R = A^{-1}` and :math:`W = A^{-1} Q` by
    triangular solves: the ridge solution of the represented rows, with the accuracy of a float32
    (or float64) Cholesky solve, :math:`\|\Delta W\| / \|W\| \lesssim \kappa(A)\,\varepsilon`,
    whatever the history of requests. Cost :math:`d^3/3` for the factor, :math:`2 d^3` for
    :math:`R` and :math:`2 d^2 C` for :math:`W`. Between refactorisations the Woodbury updates
    (:func:`acu_learn`, :func:`acu_unlearn_checked`) can continue from the returned state.

    Returns ``(state, ok)``: ``ok`` is False when ``A`` is not numerically positive definite (a
    forgotten batch that was never learned); then ``R`` and ``W`` are zero (never NaN). No
    validation here; :func:`acu_refactor` validates and raises.
    """
    A = _sym(stats.A)
    d = A.shape[0]
    L = jnp.linalg.cholesky(A)
    ok = jnp.all(jnp.isfinite(L)) & jnp.all(jnp.diagonal(L) > 0)
    L = jnp.where(ok, L, jnp.eye(d, dtype=A.dtype))
    R = _sym(cho_solve((L, True), jnp.eye(d, dtype=A.dtype)))
    W = cho_solve((L, True), stats.Q)
    state = ACUState(
        R=jnp.where(ok, R, jnp.zeros_like(R)),
        W=jnp.where(ok, W, jnp.zeros_like(W)),
        count=stats.count,
    )
    return state, ok


def acu_refactor(stats: ACUStats) -> ACUState:
    r"""The classifier refactorised from its statistics (validated; the float32 path).

    Usage for float32 streams: keep an :class:`ACUStats` next to the :class:`ACUState`, update both
    on every request (:func:`acu_stats_update` and :func:`acu_learn` / :func:`acu_unlearn`), and
    replace the state by ``acu_refactor(stats)`` every ``k`` requests, and after every request
    that removes a whole class (``k = 1``: refactorise always). See
    :func:`acu_refactor_checked` for the formulas and the cost.

    Args:
      stats: :class:`ACUStats` with ``A`` of shape ``(d, d)`` and ``Q`` of shape ``(d, C)``.

    Returns:
      :class:`ACUState` with :math:`R = A^{-1}`, :math:`W = A^{-1} Q`.

    Raises:
      ValueError: if ``stats`` is malformed or non-finite, or ``A`` is not positive definite (the
        forgotten rows were not all learned).
    """
    _check_stats(stats)
    state, ok = acu_refactor_checked(stats)
    if not bool(ok):
        raise ValueError(
            "`stats.A` is not positive definite: the forgotten rows cannot all have been learned."
        )
    return state
