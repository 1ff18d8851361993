"""Boundary validation shared by the calibration family (concrete inputs only; tracers pass)."""

from __future__ import annotations

import numpy as np

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_probability,
    check_probability_vector,
    is_traced,
)

SCHEMES = ("equal_width", "equal_mass")


def probs_labels(probs, labels, *, probs_name="probs", atol=1e-4):
    """``probs`` (N, C) rows on the simplex; ``labels`` (N,) ints in [0, C)."""
    check_array(probs_name, probs, ndim=2)
    if not is_traced(probs):
        check_probability_vector(probs_name, probs, axis=1, atol=atol)
    n, c = np.shape(probs)
    return _labels(labels, n, c)


def logits_labels(logits, labels, *, name="logits"):
    """``logits`` (N, C) finite; ``labels`` (N,) ints in [0, C)."""
    check_array(name, logits, ndim=2)
    n, c = np.shape(logits)
    if c < 2:
        raise ValueError(f"`{name}` needs at least 2 classes; got shape {np.shape(logits)}.")
    return _labels(labels, n, c)


def _labels(labels, n, c, name="labels"):
    check_array(name, labels, ndim=1)
    if np.shape(labels)[0] != n:
        raise ValueError(
            f"`{name}` must have length N = {n} (rows of the predictions); "
            f"got {np.shape(labels)[0]}."
        )
    if n < 1:
        raise ValueError(f"`{name}` must hold at least one sample.")
    if not is_traced(labels):
        arr = np.asarray(labels)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"`{name}` must be integers; got dtype {arr.dtype}.")
        if arr.min() < 0 or arr.max() >= c:
            raise ValueError(
                f"`{name}` must lie in [0, {c}); got range [{arr.min()}, {arr.max()}]."
            )
    return n, c


def conf_correct(conf, correct, *, conf_name="conf", correct_name="correct"):
    """``conf`` (N,) in [0, 1]; ``correct`` (N,) in [0, 1] (0/1 outcomes or frequencies)."""
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


def n_bins(n):
    return check_int("n_bins", n, min_value=1)


def scheme(s):
    if s not in SCHEMES:
        raise ValueError(f"`scheme` must be one of {SCHEMES}; got {s!r}.")
    return s
