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
    "check_size",
    "check_labels",
    "check_index",
    "check_nonempty",
    "check_choice",
    "check_counts",
    "check_distribution",
    "check_positive_int_value",
    "check_sym_matrix",
    "check_probs_labels",
    "check_logits_labels",
    "check_conf_correct",
    "check_tree_finite",
    "check_tree",
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
    # fast path: a finite sum means every entry is finite (NaN and inf propagate); a sum that
    # overflows falls through to the exact element-wise check
    if arr.dtype.kind in "fc" and not np.isfinite(np.sum(arr)) and not np.all(np.isfinite(arr)):
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
    arr = _as_np(v)
    if arr.size and arr.dtype.kind in "biuf":
        # fast path (two passes, no temporaries): NaN propagates into min/max, and bounds that hold
        # for the extremes hold for every entry; any failure is diagnosed by the exact code below
        mn, mx = float(np.min(arr)), float(np.max(arr))
        if (
            np.isfinite(mn)
            and np.isfinite(mx)
            and (lo is None or (mn > lo if lo_open else mn >= lo))
            and (hi is None or (mx < hi if hi_open else mx <= hi))
        ):
            return v
    arr = arr.astype(float)
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


def check_size(name: str, v, *, min_value: int = 1) -> int:
    """A size: an integer (Python, NumPy or integer-valued 0-d array) ``>= min_value``; returns ``int``."""
    if is_traced(v):
        return v
    if isinstance(v, bool):
        raise ValueError(f"`{name}` must be an integer; got bool {v!r}.")
    arr = _as_np(v)
    if arr.shape != () or arr.dtype.kind not in "iuf":
        raise ValueError(f"`{name}` must be an integer; got {type(v).__name__} {v!r}.")
    val = float(arr)
    if not np.isfinite(val) or val != np.round(val):
        raise ValueError(f"`{name}` must be an integer; got {val}.")
    if val < min_value:
        raise ValueError(f"`{name}` must be >= {min_value}; got {int(val)}.")
    return int(val)


def check_index(name: str, idx, n: int, *, ndim: int | Sequence[int] | None = None):
    """Integer index/indices in ``[0, n)`` (JAX indexing clamps out-of-range values silently)."""
    if is_traced(idx):
        return idx
    if isinstance(idx, bool):
        raise ValueError(f"`{name}` must hold integers; got bool.")
    arr = _as_np(idx)
    if ndim is not None:
        check_array(name, arr, ndim=ndim, finite=False)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"`{name}` must hold integers; got dtype {arr.dtype}.")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"`{name}` must lie in [0, {n}); got range [{arr.min()}, {arr.max()}].")
    return idx


def check_labels(name: str, labels, n_classes: int, *, n: int | None = None):
    """Integer labels: 1-D, length ``n`` (if given), entries in ``[0, n_classes)``."""
    check_array(name, labels, ndim=1, finite=False)
    if n is not None and np.shape(labels)[0] != n:
        raise ValueError(f"`{name}` must have length {n}; got {np.shape(labels)[0]}.")
    return check_index(name, labels, n_classes)


def check_nonempty(name: str, x, *, axis: int = 0):
    """Require ``x.shape[axis] >= 1``."""
    shape = np.shape(x)
    if len(shape) == 0 and axis == 0:
        return x
    if shape[axis] < 1:
        raise ValueError(f"`{name}` must be non-empty along axis {axis}; got shape {shape}.")
    return x


def check_choice(name: str, value, choices):
    """Require ``value`` to be one of ``choices``."""
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {tuple(choices)}; got {value!r}.")
    return value


def check_counts(name: str, counts):
    """``counts``: 1-D, integer-valued, non-negative, with a positive total."""
    check_array(name, counts, ndim=1)
    if is_traced(counts):
        return counts
    arr = _as_np(counts)
    if arr.size == 0:
        raise ValueError(f"`{name}` must be non-empty.")
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"`{name}` must hold integer counts; got dtype {arr.dtype}.")
    if arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
        raise ValueError(f"`{name}` must be integer-valued; got non-integer entries.")
    if np.any(arr < 0):
        raise ValueError(f"`{name}` must be non-negative; got minimum {arr.min()}.")
    if arr.sum() <= 0:
        raise ValueError(f"`{name}` must have a positive total n = sum(counts); got {arr.sum()}.")
    return counts


def check_distribution(name: str, p, like=None, like_name: str = "counts"):
    """``p``: 1-D, non-negative, summing to one (tolerance by dtype), same shape as ``like``."""
    check_array(name, p, ndim=1)
    if like is not None and np.shape(p) != np.shape(like):
        raise ValueError(
            f"`{name}` must have the shape of `{like_name}` {np.shape(like)}; got {np.shape(p)}."
        )
    if is_traced(p):
        return p
    arr = _as_np(p)
    if arr.size == 0:
        raise ValueError(f"`{name}` must be non-empty.")
    atol = 1e-4 if arr.dtype == np.float32 else 1e-8
    check_probability_vector(name, arr, atol=atol)
    return p


def check_positive_int_value(name: str, v):
    """A positive integer, given as a Python/NumPy int or an integer-valued array."""
    if is_traced(v):
        return v
    arr = _as_np(v)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"`{name}` must be a positive integer; got {v!r}.")
    check_finite(name, arr)
    if np.any(arr != np.round(arr)) or np.any(arr < 1):
        raise ValueError(f"`{name}` must be a positive integer; got {arr.ravel()[:3].tolist()}.")
    return v


def check_sym_matrix(name: str, M, *, definite: str = "psd"):
    """``M`` square, finite, symmetric to dtype tolerance, and PSD (``"psd"``) or PD (``"pd"``)."""
    check_array(name, M, ndim=2)
    shape = np.shape(M)
    if shape[0] != shape[1]:
        raise ValueError(f"`{name}` must be square; got shape {shape}.")
    if shape[0] < 1:
        raise ValueError(f"`{name}` must be non-empty; got shape {shape}.")
    if is_traced(M):
        return M
    arr = _as_np(M)
    eps = np.finfo(arr.dtype).eps if arr.dtype.kind == "f" else np.finfo(float).eps
    tol = float(1e3 * eps)
    scale = max(1.0, float(np.max(np.abs(arr))))
    if not np.allclose(arr, arr.T, rtol=0.0, atol=tol * scale):
        raise ValueError(f"`{name}` must be symmetric (tolerance {tol * scale:.2e}).")
    lam_min = float(np.linalg.eigvalsh(0.5 * (arr + arr.T))[0])
    if definite == "psd" and lam_min < -tol * scale:
        raise ValueError(
            f"`{name}` must be positive semidefinite; smallest eigenvalue {lam_min:.3e}."
        )
    if definite == "pd" and not lam_min > tol * scale:
        raise ValueError(f"`{name}` must be positive definite; smallest eigenvalue {lam_min:.3e}.")
    return M


def _labels_for(labels, n, c, name="labels"):
    check_array(name, labels, ndim=1, finite=False)
    if np.shape(labels)[0] != n:
        raise ValueError(
            f"`{name}` must have length N = {n} (rows of the predictions); "
            f"got {np.shape(labels)[0]}."
        )
    if n < 1:
        raise ValueError(f"`{name}` must hold at least one sample.")
    check_index(name, labels, c)
    return n, c


def check_probs_labels(probs, labels, *, probs_name="probs", labels_name="labels", atol=1e-4):
    """``probs`` (N, C) rows on the simplex; ``labels`` (N,) ints in [0, C); returns ``(N, C)``."""
    check_array(probs_name, probs, ndim=2)
    check_nonempty(probs_name, probs)
    if not is_traced(probs):
        check_probability_vector(probs_name, probs, axis=1, atol=atol)
    n, c = np.shape(probs)
    return _labels_for(labels, n, c, labels_name)


def check_logits_labels(logits, labels, *, name="logits", labels_name="labels"):
    """``logits`` (N, C) finite with C >= 2; ``labels`` (N,) ints in [0, C); returns ``(N, C)``."""
    check_array(name, logits, ndim=2)
    check_nonempty(name, logits)
    n, c = np.shape(logits)
    if c < 2:
        raise ValueError(f"`{name}` needs at least 2 classes; got shape {np.shape(logits)}.")
    return _labels_for(labels, n, c, labels_name)


def check_conf_correct(conf, correct, *, conf_name="conf", correct_name="correct"):
    """``conf`` (N,) in [0, 1]; ``correct`` (N,) in [0, 1]; returns ``N``."""
    check_array(conf_name, conf, ndim=1)
    check_array(correct_name, correct, ndim=1)
    if np.shape(conf) != np.shape(correct):
        raise ValueError(
            f"`{conf_name}` and `{correct_name}` must have the same shape; "
            f"got {np.shape(conf)} and {np.shape(correct)}."
        )
    if np.shape(conf)[0] < 1:
        raise ValueError(f"`{conf_name}` must hold at least one sample.")
    if not is_traced(conf):
        check_probability(conf_name, conf)
    if not is_traced(correct):
        check_probability(correct_name, correct)
    return np.shape(conf)[0]


def _path_str(path) -> str:
    out = []
    for k in path:
        if hasattr(k, "key"):
            out.append(f"[{k.key!r}]")
        elif hasattr(k, "name"):
            out.append(f".{k.name}")
        elif hasattr(k, "idx"):
            out.append(f"[{k.idx}]")
        else:
            out.append(str(k))
    return "".join(out)


def check_tree(name: str, tree, check=None):
    """Apply ``check(leaf_name, leaf)`` to every array leaf of a pytree (dict, NamedTuple, ...).

    ``leaf_name`` is ``name`` followed by the leaf path (e.g. ``params['a']``, ``state.R``).
    The default check is :func:`check_finite`. Traced leaves are skipped.
    """
    check = check_finite if check is None else check
    leaves, _ = jax.tree_util.tree_flatten_with_path(tree)
    for path, leaf in leaves:
        if leaf is None or is_traced(leaf) or isinstance(leaf, (str, bool)) or callable(leaf):
            continue
        check(f"{name}{_path_str(path)}", leaf)
    return tree


def check_tree_finite(name: str, tree):
    """Raise a ``ValueError`` naming ``name`` and the leaf path if any float leaf holds NaN/inf."""

    def _leaf(leaf_name, leaf):
        try:
            arr = _as_np(leaf)
        except Exception:  # not array-like (e.g. an opaque object): nothing to check
            return
        if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
            raise ValueError(f"`{name}` must be finite: `{leaf_name}` holds NaN/inf.")

    return check_tree(name, tree, _leaf)
