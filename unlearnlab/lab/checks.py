"""Boundary validation: clear ``ValueError`` messages at the public surface.

Every public entry point of the lab validates concrete inputs *before* tracing with these helpers.
Each check names the argument and the rule it broke. Inside ``jit`` the checks are skipped for
traced values (they cannot be inspected); callers that jit document their preconditions instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import numpy as np

__all__ = [
    "is_traced",
    "check_array",
    "check_finite",
    "check_shape",
    "check_positive",
    "check_nonnegative",
    "check_probability",
    "check_in_range",
    "check_int",
    "check_probability_vector",
]


def is_traced(x) -> bool:
    """True if ``x`` is a JAX tracer (its values cannot be inspected)."""
    return isinstance(x, jax.core.Tracer)


def _as_np(x):
    return np.asarray(x)


def check_array(name: str, x, *, ndim: int | Sequence[int] | None = None, finite: bool = True):
    """Check that ``x`` is array-like with the given rank(s) and (optionally) finite entries.

    Returns ``x`` unchanged so it can be used inline.
    """
    shape = np.shape(x)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if len(shape) not in allowed:
            raise ValueError(
                f"`{name}` must have rank {' or '.join(map(str, allowed))}; got shape {shape}."
            )
    if finite:
        check_finite(name, x)
    return x


def check_finite(name: str, x):
    """Raise if ``x`` holds NaN or inf (skipped for traced values)."""
    if is_traced(x):
        return x
    arr = _as_np(x)
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"`{name}` must be finite; it holds {n_bad} NaN/inf value(s).")
    return x


def check_shape(name: str, x, shape: Sequence[int | None]):
    """Check ``x.shape`` against ``shape``, where ``None`` matches any size."""
    got = tuple(np.shape(x))
    if len(got) != len(shape) or any(s is not None and g != s for g, s in zip(got, shape)):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"`{name}` must have shape {want}; got {got}.")
    return x


def _scalar(name, v):
    if is_traced(v):
        return None
    arr = _as_np(v)
    if arr.size != 1:
        raise ValueError(f"`{name}` must be a scalar; got shape {arr.shape}.")
    val = float(arr.reshape(()))
    if not np.isfinite(val):
        raise ValueError(f"`{name}` must be finite; got {val}.")
    return val


def check_positive(name: str, v):
    """Require a finite scalar ``v > 0``."""
    val = _scalar(name, v)
    if val is not None and not val > 0:
        raise ValueError(f"`{name}` must be > 0; got {val}.")
    return v


def check_nonnegative(name: str, v):
    """Require a finite scalar ``v >= 0``."""
    val = _scalar(name, v)
    if val is not None and not val >= 0:
        raise ValueError(f"`{name}` must be >= 0; got {val}.")
    return v


def check_in_range(name: str, v, lo=None, hi=None, *, lo_open=False, hi_open=False):
    """Require every entry of ``v`` to lie in the interval given by ``lo``/``hi`` (closed by default)."""
    if is_traced(v):
        return v
    arr = _as_np(v).astype(float)
    check_finite(name, arr)
    ok = np.ones(arr.shape, bool)
    if lo is not None:
        ok &= (arr > lo) if lo_open else (arr >= lo)
    if hi is not None:
        ok &= (arr < hi) if hi_open else (arr <= hi)
    if not np.all(ok):
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        bad = arr[~ok].ravel()[:3]
        raise ValueError(
            f"`{name}` must lie in {left}{'-inf' if lo is None else lo}, "
            f"{'inf' if hi is None else hi}{right}; got value(s) {bad.tolist()}."
        )
    return v


def check_probability(name: str, p, *, open_interval: bool = False):
    """Require every entry of ``p`` to be a probability in [0, 1] (or (0, 1) if ``open_interval``)."""
    return check_in_range(name, p, 0.0, 1.0, lo_open=open_interval, hi_open=open_interval)


def check_probability_vector(name: str, p, *, axis: int = -1, atol: float = 1e-6):
    """Require non-negative entries that sum to one along ``axis``."""
    if is_traced(p):
        return p
    check_probability(name, p)
    s = np.sum(_as_np(p), axis=axis)
    if not np.allclose(s, 1.0, atol=atol):
        raise ValueError(
            f"`{name}` must sum to 1 along axis {axis} (tolerance {atol}); "
            f"sums range over [{float(np.min(s)):.6g}, {float(np.max(s)):.6g}]."
        )
    return p


def check_int(name: str, v, *, min_value: int | None = None, max_value: int | None = None) -> int:
    """Require a Python/NumPy integer within the optional bounds; returns it as ``int``."""
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise ValueError(f"`{name}` must be an integer; got {type(v).__name__} {v!r}.")
    v = int(v)
    if min_value is not None and v < min_value:
        raise ValueError(f"`{name}` must be >= {min_value}; got {v}.")
    if max_value is not None and v > max_value:
        raise ValueError(f"`{name}` must be <= {max_value}; got {v}.")
    return v
