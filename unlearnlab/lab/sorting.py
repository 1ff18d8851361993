"""Stable argsort that is fast on every backend (shared machinery; no paper code).

XLA's CPU sort is a comparator sort, several times slower than NumPy's SIMD quicksort at 1e4-1e6
keys. On the CPU backend :func:`stable_argsort` therefore hands the sort to NumPy through
``jax.pure_callback`` (traceable, ``vmap``-able, not differentiable through the permutation: the
input is ``stop_gradient``-ed); on an accelerator it keeps ``jnp.argsort``, which is fast there, and a
callback would add a device-to-host copy. Both give the same permutation: ties in index order.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import check_array, is_traced

__all__ = ["SORTS", "stable_argsort", "numpy_stable_argsort"]

#: sort implementations: NumPy on the CPU backend else XLA ("auto"), always XLA, always NumPy
SORTS = ("auto", "xla", "host")


def numpy_stable_argsort(a):
    """NumPy argsort equal to a stable sort (ties in index order), faster than ``kind="stable"``.

    NumPy's SIMD quicksort first; only if the sorted values have ties, the positions inside runs of
    equal values (usually few) are put back in index order by one small ``lexsort`` of those
    positions alone (the whole array is never sorted twice).

    Args:
      a: ``(n,)`` array.

    Returns:
      ``(n,)`` int32 permutation with ``a[idx]`` sorted and ties in index order.

    Raises:
      ValueError: if ``a`` is not one-dimensional.
    """
    a = np.asarray(a)
    if a.ndim != 1:
        raise ValueError(f"`a` must be one-dimensional; got shape {a.shape}.")
    idx = np.argsort(a)
    s = a[idx]
    tie = s[1:] == s[:-1]
    if tie.any():
        in_run = np.zeros(a.size, bool)
        in_run[1:] |= tie
        in_run[:-1] |= tie
        pos = np.flatnonzero(in_run)  # positions inside runs of equal values, runs contiguous
        run = np.concatenate([np.zeros(1, np.int64), np.cumsum(~tie, dtype=np.int64)])
        sub = idx[pos]
        idx[pos] = sub[np.lexsort((sub, run[pos]))]  # each run's indices in increasing order
    return idx.astype(np.int32)


def _np_batched_stable_argsort(a):
    a = np.asarray(a)
    if a.ndim == 1:
        return numpy_stable_argsort(a)
    # under vmap: one callback for the whole batch (not one per row)
    return np.argsort(a, axis=-1, kind="stable").astype(np.int32)


def _host_argsort(x):
    return jax.pure_callback(
        _np_batched_stable_argsort,
        jax.ShapeDtypeStruct(x.shape, jnp.int32),
        x,
        vmap_method="expand_dims",
    )


def stable_argsort(x, sort: str = "auto"):
    """Stable argsort of a vector (ties in index order), NumPy on CPU and XLA elsewhere.

    Args:
      x: ``(n,)`` keys (treated as constants: no gradient flows through the permutation).
      sort: ``"auto"`` (NumPy via ``pure_callback`` on the CPU backend, XLA otherwise), ``"xla"``
        or ``"host"``.

    Returns:
      ``(n,)`` int32 permutation.

    Raises:
      ValueError: if ``sort`` is not one of :data:`SORTS` or ``x`` is not one-dimensional (or
        holds NaN, whose order is undefined).
    """
    if sort not in SORTS:
        raise ValueError(f"`sort` must be one of {SORTS}; got {sort!r}.")
    if not is_traced(x):
        check_array("x", x, ndim=1)
    x = jax.lax.stop_gradient(x)
    if sort == "auto":
        sort = "host" if jax.default_backend() == "cpu" else "xla"
    if sort == "host":
        return _host_argsort(x)
    return jnp.argsort(x, stable=True).astype(jnp.int32)
