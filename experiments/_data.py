"""Data loading for experiments (the library does no I/O).

``load_digits_standardised``: scikit-learn's bundled 8x8 digits (1797 x 64, 10 classes; ships inside
the scikit-learn wheel, no download), pixels standardised, split into train/test with a fixed seed.
"""

from __future__ import annotations

import numpy as np


def _need_sklearn():
    try:
        import sklearn  # noqa: F401
    except ModuleNotFoundError as e:  # pragma: no cover - exercised only without the extra
        raise ModuleNotFoundError(
            "this experiment needs scikit-learn (its bundled digits data): pip install -e '.[test]'"
        ) from e


def load_digits_standardised(test_fraction: float = 0.25, seed: int = 0):
    """Return ``(h_train, y_train, h_test, y_test)``; pixels standardised with training statistics."""
    _need_sklearn()
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    te, tr = perm[:n_test], perm[n_test:]
    mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-8
    return (X[tr] - mu) / sd, y[tr], (X[te] - mu) / sd, y[te]
