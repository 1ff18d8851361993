"""Boundary validation shared by the selective-labels functions (concrete inputs only)."""

from __future__ import annotations

import numpy as np

from unlearnlab.lab.checks import check_array, check_shape, is_traced


def check_X(X):
    """``X`` is a finite (N, M) matrix whose first column is the intercept (all ones)."""
    check_array("X", X, ndim=2)
    if not is_traced(X):
        x0 = np.asarray(X)[:, 0]
        if not np.all(x0 == 1):
            raise ValueError("`X` must have an intercept column: X[:, 0] == 1 for every person.")
    return X


def check_TY(T, Y, N: int, *, binary_Y: bool = True):
    """``T`` in {0, 1}; ``Y`` in {0, 1} where ``T = 1`` and ``-1`` (not observed) where ``T = 0``."""
    check_array("T", T, ndim=1)
    check_shape("T", T, (N,))
    check_array("Y", Y, ndim=1)
    check_shape("Y", Y, (N,))
    if is_traced(T) or is_traced(Y):
        return
    t = np.asarray(T)
    y = np.asarray(Y)
    if not np.all((t == 0) | (t == 1)):
        raise ValueError("`T` must be binary (0 = not tested, 1 = tested).")
    if binary_Y:
        if not np.all((y[t == 1] == 0) | (y[t == 1] == 1)):
            raise ValueError("`Y` must be 0 or 1 where T = 1.")
        if not np.all(y[t == 0] == -1):
            raise ValueError(
                "`Y` must be -1 (not observed) where T = 0: a label is present for an untested person."
            )


def check_mask(expertise_mask, M: int):
    """A boolean mask of length M with the intercept free; returns it as a NumPy bool array."""
    if expertise_mask is None:
        return None
    m = np.asarray(expertise_mask)
    if m.dtype != bool:
        raise ValueError(f"`expertise_mask` must be boolean; got dtype {m.dtype}.")
    if m.shape != (M,):
        raise ValueError(f"`expertise_mask` must have shape ({M},); got {m.shape}.")
    if not m[0]:
        raise ValueError("`expertise_mask[0]` (the intercept) must be True (free).")
    return m


def check_params(params, M: int):
    """``params`` holds beta_Y, beta_D of shape (M,) and scalar alpha, sigma (sigma > 0)."""
    for k in ("beta_Y", "beta_D", "alpha", "sigma"):
        if k not in params:
            raise ValueError(f"`params` must contain '{k}'.")
    check_shape("params['beta_Y']", params["beta_Y"], (M,))
    check_shape("params['beta_D']", params["beta_D"], (M,))
    for k in ("beta_Y", "beta_D", "alpha", "sigma"):
        check_array(f"params['{k}']", params[k])
    s = params["sigma"]
    if not is_traced(s) and not float(np.asarray(s)) > 0:
        raise ValueError(f"`params['sigma']` must be > 0; got {float(np.asarray(s))}.")
