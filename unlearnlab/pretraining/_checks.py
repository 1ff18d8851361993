"""Private boundary checks shared by the pretraining family (matrices, data pairs, ranks).

They build on :mod:`unlearnlab.lab.checks` and, like it, skip values that are traced under ``jit``
or ``vmap`` (callers that trace document their preconditions instead).
"""

from __future__ import annotations

import numpy as np

from unlearnlab.lab.checks import check_array, check_int, check_shape, is_traced


def _tol(arr) -> float:
    eps = np.finfo(arr.dtype).eps if arr.dtype.kind == "f" else np.finfo(float).eps
    return float(1e3 * eps)


def check_sym_matrix(name: str, M, *, definite: str = "psd"):
    """``M`` square, finite, symmetric to dtype tolerance, and PSD (``"psd"``) or PD (``"pd"``)."""
    check_array(name, M, ndim=2)
    shape = np.shape(M)
    if shape[0] != shape[1]:
        raise ValueError(f"`{name}` must be square; got shape {shape}.")
    if is_traced(M):
        return M
    arr = np.asarray(M)
    tol = _tol(arr)
    scale = max(1.0, float(np.max(np.abs(arr))) if arr.size else 1.0)
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


def check_rank(r, d: int) -> int:
    """``1 <= r < d`` (an integer)."""
    r = check_int("r", r, min_value=1)
    if r >= d:
        raise ValueError(f"`r` must be < d = {d}; got r = {r}.")
    return r


def check_xy(X_lab, y_lab, d: int | None = None) -> tuple[int, int]:
    """``X_lab`` (n_lab, d) and ``y_lab`` (n_lab,), finite; returns ``(n_lab, d)``."""
    check_array("X_lab", X_lab, ndim=2)
    n_lab, dx = np.shape(X_lab)
    if d is not None and dx != d:
        raise ValueError(f"`X_lab` must have shape (n_lab, {d}); got {np.shape(X_lab)}.")
    check_array("y_lab", y_lab, ndim=1)
    check_shape("y_lab", y_lab, (n_lab,))
    return n_lab, dx


def check_factor_params(B, beta, sig_nu):
    """``B`` (d, r) finite, ``beta`` (r,) finite, ``sig_nu >= 0``; returns ``(d, r)``."""
    from unlearnlab.lab.checks import check_nonnegative

    check_array("B", B, ndim=2)
    d, r = np.shape(B)
    check_array("beta", beta, ndim=1)
    check_shape("beta", beta, (r,))
    check_nonnegative("sig_nu", sig_nu)
    return d, r
