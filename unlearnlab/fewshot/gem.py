"""Generalized EM (GEM) for transductive few-shot inference, Gaussian model (UNEM's layer).

The objective (lab spec Sec. 2, reconstructed from the official code ``U_Paddle_embt.py``; the
paper's own notation was not available)::

    F(u, w, pi; lam, T) = sum_{n in Q} sum_k u_nk ||z_n - w_k||^2 / 2 + sum_{n in S} ||z_n - w_{y_n}||^2 / 2
                          - lam sum_{n in Q} sum_k u_nk log pi_k + T sum_{n in Q} sum_k u_nk log u_nk

Each of the three blocks below is the exact minimiser of ``F`` in its block (``theory/unem.md``),
so one layer (E, then pi, then M) never increases ``F`` for fixed ``(lam, T)``. At
``lam = T = 1`` ``F`` is the negative free energy of an identity-covariance Gaussian mixture with
mixing weights ``pi`` and the support clamped to its labels, and a layer is one textbook EM step.
This module is the lab's single implementation of that Gaussian-mixture EM step.

Symbols -> arguments: ``z_n`` (S / Q) -> ``z_s`` / ``z_q``; ``y_n`` -> ``y_s`` (one-hot
``y_s_onehot``); ``K`` -> ``n_classes``; ``u`` -> ``GEMState.u``; ``log pi`` -> ``GEMState.log_pi``;
``w`` -> ``GEMState.w``; ``lam``, ``T`` -> ``lam``, ``T``; iterations ``L`` -> ``n_iter``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import xlogy

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    check_tree_finite,
    is_traced,
)

__all__ = [
    "GEMState",
    "gem_init",
    "gem_e_step",
    "gem_pi_step",
    "gem_m_step",
    "gem_layer",
    "gem_objective",
    "gem_run",
    "gem_trace",
    "validate_task_arrays",
]


class GEMState(NamedTuple):
    """State of GEM on one task."""

    u: jax.Array  # (n_q, K) query soft assignments, rows on the simplex
    log_pi: jax.Array  # (K,) log class proportions
    w: jax.Array  # (K, d) class centroids


def _tiny(x):
    return jnp.finfo(jnp.result_type(x)).tiny


def validate_task_arrays(z_s, y_s, z_q, n_classes, *, names=("z_s", "y_s", "z_q")):
    """Boundary checks shared by the public entry points (skipped for traced values).

    Raises ``ValueError`` for: wrong ranks or mismatched dimensions, NaN/inf features, an empty
    support or query, labels outside ``[0, n_classes)``, a class with no support point.
    ``names`` are the argument names used in the messages.
    """
    ns, ny, nq = names
    n_classes = check_int("n_classes", n_classes, min_value=1)
    check_array(ns, z_s, ndim=2)
    check_array(nq, z_q, ndim=2)
    check_array(ny, y_s, ndim=1, finite=False)
    if np.shape(z_s)[0] < 1:
        raise ValueError(f"`{ns}` must hold at least one support point; got shape {np.shape(z_s)}.")
    if np.shape(z_q)[0] < 1:
        raise ValueError(f"`{nq}` must hold at least one query point.")
    if np.shape(z_s)[1] != np.shape(z_q)[1]:
        raise ValueError(
            f"`{ns}` and `{nq}` must share the feature dimension; got {np.shape(z_s)} and "
            f"{np.shape(z_q)}."
        )
    if np.shape(y_s)[0] != np.shape(z_s)[0]:
        raise ValueError(f"`{ny}` must have shape ({np.shape(z_s)[0]},); got {np.shape(y_s)}.")
    _check_support_labels(y_s, n_classes, ny)
    return n_classes


def _check_support_labels(y_s, n_classes, ny="y_s"):
    if not is_traced(y_s):
        y = np.asarray(y_s)
        if y.dtype.kind not in "iu":
            raise ValueError(f"`{ny}` must hold integer labels; got dtype {y.dtype}.")
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(
                f"`{ny}` labels must lie in [0, {n_classes}); got range [{y.min()}, {y.max()}]."
            )
        missing = np.setdiff1d(np.arange(n_classes), y)
        if missing.size:
            raise ValueError(
                f"every class needs a support point (`{ny}`); classes {missing.tolist()[:5]} are empty."
            )


def _is_concrete_tree(tree) -> bool:
    return not any(is_traced(x) for x in jax.tree_util.tree_leaves(tree))


def _check_blocks(state, *, z_s=None, y_s_onehot=None, z_q=None, u_rows=True):
    """Boundary checks of the GEM block functions (skipped when any input is traced, e.g. inside
    :func:`gem_trace`'s scan): ``state`` finite with ``log_pi (K,)``, ``w (K, d)``, ``u (n_q, K)``
    (``u_rows``: ``u`` must match ``z_q``); features finite, non-empty, of dimension ``d``;
    ``y_s_onehot (n_s, K)`` in [0, 1]."""
    args = [state, z_s, y_s_onehot, z_q]
    if not all(_is_concrete_tree(a) for a in args if a is not None):
        return
    if not isinstance(state, GEMState):
        raise ValueError(f"`state` must be a GEMState; got {type(state).__name__}.")
    check_tree_finite("state", state)
    check_array("state.w", state.w, ndim=2)
    check_array("state.log_pi", state.log_pi, ndim=1)
    check_array("state.u", state.u, ndim=2)
    K, d = np.shape(state.w)
    if np.shape(state.log_pi) != (K,) or np.shape(state.u)[1] != K:
        raise ValueError(
            f"`state` fields disagree on K: w {np.shape(state.w)}, log_pi "
            f"{np.shape(state.log_pi)}, u {np.shape(state.u)}."
        )
    for name, z in (("z_s", z_s), ("z_q", z_q)):
        if z is None:
            continue
        check_array(name, z, ndim=2)
        if np.shape(z)[0] < 1 or np.shape(z)[1] != d:
            raise ValueError(f"`{name}` must be a non-empty (n, {d}) array; got {np.shape(z)}.")
    if y_s_onehot is not None:
        check_array("y_s_onehot", y_s_onehot, ndim=2)
        check_probability("y_s_onehot", y_s_onehot)
        n_s = np.shape(y_s_onehot)[0] if z_s is None else np.shape(z_s)[0]
        if np.shape(y_s_onehot) != (n_s, K) or n_s < 1:
            raise ValueError(
                f"`y_s_onehot` must have shape ({n_s}, {K}); got {np.shape(y_s_onehot)}."
            )
    if u_rows:
        n_q = np.shape(state.u)[0] if z_q is None else np.shape(z_q)[0]
        if np.shape(state.u)[0] != n_q or n_q < 1:
            raise ValueError(f"`state.u` must have shape ({n_q}, {K}); got {np.shape(state.u)}.")


def gem_init(z_s, y_s, n_classes: int) -> GEMState:
    """Initial state: ``w_k`` = support mean of class ``k``, uniform ``pi`` and uniform ``u``.

    The query size is not known here, so ``u`` is returned with zero rows and is set by the first
    E-step; use :func:`gem_run` / :func:`gem_trace` for a complete run.

    Args:
      z_s: ``(n_s, d)`` support features.
      y_s: ``(n_s,)`` int labels in ``[0, n_classes)``, every class present.
      n_classes: ``K``.

    Returns:
      :class:`GEMState` with ``u (0, K)``, ``log_pi (K,)``, ``w (K, d)``.

    Raises:
      ValueError: ``z_s`` not a finite non-empty (n_s, d) array; ``y_s`` not (n_s,) integers in
        [0, K) with every class present; ``n_classes`` < 1 (concrete inputs only).
    """
    if not is_traced(z_s):
        n_classes = check_int("n_classes", n_classes, min_value=1)
        check_array("z_s", z_s, ndim=2)
        if np.shape(z_s)[0] < 1:
            raise ValueError(f"`z_s` must hold at least one support point; got {np.shape(z_s)}.")
        check_array("y_s", y_s, ndim=1, finite=False)
        if np.shape(y_s) != np.shape(z_s)[:1]:
            raise ValueError(f"`y_s` must have shape ({np.shape(z_s)[0]},); got {np.shape(y_s)}.")
        _check_support_labels(y_s, n_classes)
        z_s = jnp.asarray(z_s)
    y1 = jax.nn.one_hot(y_s, n_classes, dtype=z_s.dtype)
    w = (y1.T @ z_s) / jnp.sum(y1, axis=0)[:, None]
    log_pi = jnp.full((n_classes,), -jnp.log(n_classes), z_s.dtype)
    return GEMState(jnp.zeros((0, n_classes), z_s.dtype), log_pi, w)


def _sq_dist(z, w):
    # ||z - w||^2 / 2 written as the code does: ||z||^2/2 - z.w + ||w||^2/2
    return 0.5 * jnp.sum(z**2, -1)[:, None] - z @ w.T + 0.5 * jnp.sum(w**2, -1)[None, :]


def gem_e_step(state: GEMState, z_q, lam, T) -> GEMState:
    """E block: ``u_nk = softmax_k((-||z_n - w_k||^2/2 + lam log pi_k) / T)`` (exact minimiser in u).

    The official code adds ``lam * (log pi + 1)``; the ``+1`` cancels in the softmax.

    Raises:
      ValueError: a malformed ``state`` or ``z_q``; ``lam`` < 0 or ``T`` <= 0 (concrete inputs only;
        ``state.u`` may have any number of rows: it is overwritten).
    """
    _check_blocks(state, z_q=z_q, u_rows=False)
    _check_hyper(lam, T)
    log_u = jax.nn.log_softmax((-_sq_dist(z_q, state.w) + lam * state.log_pi) / T, axis=-1)
    return state._replace(u=jnp.exp(log_u))


def gem_pi_step(state: GEMState) -> GEMState:
    """Proportion block: ``pi_k = (1/|Q|) sum_n u_nk`` (exact minimiser in pi for ``lam > 0``).

    ``log pi`` uses a ``max(pi, tiny)`` guard instead of the official code's ``+1e-6``.

    Raises:
      ValueError: a malformed ``state`` (NaN/inf, fields disagreeing on K, ``u`` with no row).
    """
    _check_blocks(state)
    pi = jnp.mean(state.u, axis=0)
    return state._replace(log_pi=jnp.log(jnp.maximum(pi, _tiny(pi))))


def gem_m_step(state: GEMState, z_s, y_s_onehot, z_q) -> GEMState:
    """M block: ``w_k = (sum_Q u_nk z_n + sum_S y_nk z_n) / (sum_Q u_nk + sum_S y_nk)``.

    Raises:
      ValueError: a malformed ``state``, ``z_s``, ``y_s_onehot`` or ``z_q`` (concrete inputs only).
    """
    _check_blocks(state, z_s=z_s, y_s_onehot=y_s_onehot, z_q=z_q)
    num = state.u.T @ z_q + y_s_onehot.T @ z_s
    den = jnp.sum(state.u, axis=0) + jnp.sum(y_s_onehot, axis=0)
    return state._replace(w=num / den[:, None])


def gem_layer(state: GEMState, z_s, y_s_onehot, z_q, lam, T) -> GEMState:
    """One GEM layer = the E, pi and M blocks in the official code's order.

    Args:
      state: current :class:`GEMState` (``w``, ``log_pi`` are used; ``u`` is overwritten).
      z_s: ``(n_s, d)`` support features.
      y_s_onehot: ``(n_s, K)`` one-hot support labels.
      z_q: ``(n_q, d)`` query features.
      lam: ``lambda >= 0``, class-balance weight.
      T: ``T > 0``, temperature (assignment-entropy weight).

    Returns:
      The next :class:`GEMState`, ``u (n_q, K)``.

    Raises:
      ValueError: a malformed ``state``, ``z_s``, ``y_s_onehot`` or ``z_q``; ``lam`` < 0 or
        ``T`` <= 0 (concrete inputs only).

    References:
      UNEM code ``U_Paddle_embt.py`` (``U_Paddle_EMBT.forward``); lab spec Sec. 2.1.
    """
    _check_blocks(state, z_s=z_s, y_s_onehot=y_s_onehot, z_q=z_q, u_rows=False)
    state = gem_e_step(state, z_q, lam, T)
    state = gem_pi_step(state)
    return gem_m_step(state, z_s, y_s_onehot, z_q)


def gem_objective(state: GEMState, z_s, y_s_onehot, z_q, lam, T):
    """The GEM objective ``F(u, w, pi; lam, T)`` of the module docstring (a scalar).

    ``u log u`` is evaluated with ``xlogy`` so ``0 log 0 = 0``.

    Raises:
      ValueError: a malformed ``state``, ``z_s``, ``y_s_onehot`` or ``z_q``; ``lam`` < 0 or
        ``T`` <= 0 (concrete inputs only).
    """
    _check_blocks(state, z_s=z_s, y_s_onehot=y_s_onehot, z_q=z_q)
    _check_hyper(lam, T)
    fit_q = jnp.sum(state.u * _sq_dist(z_q, state.w))
    fit_s = jnp.sum(y_s_onehot * _sq_dist(z_s, state.w))
    prior = -lam * jnp.sum(state.u * state.log_pi[None, :])
    ent = T * jnp.sum(xlogy(state.u, state.u))
    return fit_q + fit_s + prior + ent


def _check_hyper(lam, T):
    if np.ndim(lam) != 0 and not is_traced(lam):
        raise ValueError(f"`lam` must be a scalar; got shape {np.shape(lam)}.")
    if np.ndim(T) != 0 and not is_traced(T):
        raise ValueError(f"`T` must be a scalar; got shape {np.shape(T)}.")
    check_nonnegative("lam", lam)
    check_positive("T", T)


def gem_trace(z_s, y_s, z_q, n_classes: int, lam, T, n_iter: int):
    """Run GEM for ``n_iter`` layers and record ``F`` after each layer.

    Returns:
      ``(state, objective)`` with the final :class:`GEMState` and ``objective (n_iter,)``.
    """
    n_classes = validate_task_arrays(z_s, y_s, z_q, n_classes)
    n_iter = check_int("n_iter", n_iter, min_value=1)
    _check_hyper(lam, T)
    z_s, z_q = jnp.asarray(z_s), jnp.asarray(z_q)
    dtype = jnp.result_type(z_s.dtype, z_q.dtype, float)
    z_s, z_q = z_s.astype(dtype), z_q.astype(dtype)
    y1 = jax.nn.one_hot(y_s, n_classes, dtype=dtype)
    state = gem_init(z_s, y_s, n_classes)
    state = state._replace(u=jnp.full((z_q.shape[0], n_classes), 1.0 / n_classes, dtype))

    def body(st, _):
        st = gem_layer(st, z_s, y1, z_q, lam, T)
        return st, gem_objective(st, z_s, y1, z_q, lam, T)

    # the first layer runs outside the scan, so the carry already depends on the data (keeps the
    # carry type stable when the caller maps over a sharded/varying axis, e.g. run_seeds)
    state, f1 = body(state, None)
    state, f = lax.scan(body, state, None, length=n_iter - 1)
    return state, jnp.concatenate([f1[None], f])


def gem_run(z_s, y_s, z_q, n_classes: int, lam, T, n_iter: int) -> GEMState:
    """GEM with fixed hyper-parameters ``(lam, T)`` for ``n_iter`` layers (``lax.scan``).

    With ``lam = T = 1`` this is EM for an identity-covariance Gaussian mixture with mixing weights
    and the support clamped to its labels. Jit with ``static_argnames=("n_classes", "n_iter")``.

    Args:
      z_s: ``(n_s, d)`` support features.
      y_s: ``(n_s,)`` int labels in ``[0, n_classes)``; every class needs a support point.
      z_q: ``(n_q, d)`` query features.
      n_classes: ``K``.
      lam: ``lambda >= 0``.
      T: ``T > 0``.
      n_iter: number of layers ``>= 1``.

    Returns:
      :class:`GEMState` with ``u (n_q, K)`` (predictions ``argmax_k u_nk``), ``log_pi (K,)``,
      ``w (K, d)``.

    References:
      Zhou et al. (2025), UNEM, arXiv 2412.16739; official code ``U_Paddle_embt.py``.
    """
    return gem_trace(z_s, y_s, z_q, n_classes, lam, T, n_iter)[0]
