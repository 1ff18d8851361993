"""Boundary validation shared by the diffusion cores (composed from :mod:`unlearnlab.lab.checks`)."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from unlearnlab.lab.checks import (
    check_array,
    check_in_range,
    check_nonnegative,
    check_positive,
    check_shape,
    check_sym_matrix,
    is_traced,
)


def alpha_bar_scalar(name, a):
    """One timestep's signal level: a finite scalar in the open interval (0, 1)."""
    check_array(name, a, ndim=0)
    check_in_range(name, a, 0.0, 1.0, lo_open=True, hi_open=True)
    return a


def alpha_bar_grid(name, a):
    """A grid of signal levels: 1-D, non-empty, every entry in (0, 1)."""
    check_array(name, a, ndim=1)
    if np.shape(a)[0] < 1:
        raise ValueError(f"`{name}` must hold at least one timestep; got shape {np.shape(a)}.")
    check_in_range(name, a, 0.0, 1.0, lo_open=True, hi_open=True)
    return a


def vector(name, x, d=None):
    """A finite 1-D array (of length ``d`` if given), non-empty."""
    check_array(name, x, ndim=1)
    if np.shape(x)[0] < 1:
        raise ValueError(f"`{name}` must be non-empty; got shape {np.shape(x)}.")
    if d is not None:
        check_shape(name, x, (d,))
    return x


def matrix(name, M, shape=(None, None)):
    """A finite 2-D array with the given shape (``None`` = any), non-empty on both axes."""
    check_array(name, M, ndim=2)
    if min(np.shape(M)) < 1:
        raise ValueError(f"`{name}` must be non-empty; got shape {np.shape(M)}.")
    check_shape(name, M, shape)
    return M


def covariance(name, S, d=None):
    """A symmetric positive-definite ``(d, d)`` matrix."""
    check_sym_matrix(name, S, definite="pd")
    if d is not None:
        check_shape(name, S, (d, d))
    return S


def positive(name, v):
    check_array(name, v, ndim=0)
    return check_positive(name, v)


def nonnegative(name, v):
    check_array(name, v, ndim=0)
    return check_nonnegative(name, v)


def nonzero_vector(name, x):
    """A vector that is not identically zero (concrete values only)."""
    if not is_traced(x) and not np.any(np.asarray(x) != 0):
        raise ValueError(f"`{name}` must not be the zero vector.")
    return x


@contextmanager
def agree(*names):
    """Re-raise a shape error inside the block with the arguments its shapes must agree with."""
    try:
        yield
    except ValueError as e:
        msg = str(e)
        if "shape" in msg or "rank" in msg:
            refs = ", ".join(f"`{n}`" for n in names)
            raise ValueError(f"{msg} (shapes must agree with {refs})") from None
        raise
