"""Boundary validation shared by the hallucination core (concrete inputs only; tracers pass)."""

from __future__ import annotations

import numpy as np

from unlearnlab.lab import checks

PARTITIONS = ("level_sets", "equal_mass", "geometric")
KINDS = ("zipf", "pitman_yor", "pareto")


def check_counts(name: str, counts):
    """``counts``: 1-D, integer-valued, non-negative, with a positive total."""
    checks.check_array(name, counts, ndim=1)
    if checks.is_traced(counts):
        return counts
    arr = np.asarray(counts)
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
    checks.check_array(name, p, ndim=1)
    if like is not None:
        checks.check_shape(name, p, np.shape(like))
        if np.shape(p) != np.shape(like):  # pragma: no cover - check_shape raises first
            raise ValueError(f"`{name}` must have the shape of `{like_name}`.")
    if checks.is_traced(p):
        return p
    arr = np.asarray(p)
    atol = 1e-4 if arr.dtype == np.float32 else 1e-8
    if np.any(arr < 0):
        raise ValueError(f"`{name}` must be non-negative; got minimum {arr.min()}.")
    checks.check_probability_vector(name, arr, atol=atol)
    return p


def check_positive_int_value(name: str, v):
    """A positive integer, given as a Python/NumPy int or an integer-valued scalar array."""
    if checks.is_traced(v):
        return v
    arr = np.asarray(v)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"`{name}` must be a positive integer; got {v!r}.")
    checks.check_finite(name, arr)
    if np.any(arr != np.round(arr)) or np.any(arr < 1):
        raise ValueError(f"`{name}` must be a positive integer; got {arr.ravel()[:3].tolist()}.")
    return v


def check_choice(name: str, value, choices):
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {choices}; got {value!r}.")
    return value
