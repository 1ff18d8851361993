"""scikit-learn's bundled 8x8 digits: standardised pixels and few-shot feature pools.

The digits (1797 images of 8x8 pixels with values 0-16, 10 classes; the UCI optical recognition of
handwritten digits test set) ship inside the scikit-learn wheel: nothing is downloaded. scikit-learn
is an optional dependency (``pip install 'unlearnlab[test]'``).

* :func:`load_digits_standardised` -- a seeded train/test split, pixels standardised with training
  statistics (the ACU experiment's backbone input).
* :func:`digits_feature_pools` -- penultimate features of a small flax network trained on the base
  classes 0-4, pooled by novel class 5-9 (the UNEM experiment's real few-shot tasks).

References:
  Alpaydin, Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine Learning Repository
  (1998), as bundled by ``sklearn.datasets.load_digits``.
"""

from __future__ import annotations

import functools

import numpy as np

from unlearnlab.lab.checks import check_in_range, check_int, check_positive
from unlearnlab.lab.optim import scan_minimize

__all__ = ["load_digits_standardised", "digits_feature_pools", "BASE_CLASSES", "NOVEL_CLASSES"]

#: Classes the feature network of :func:`digits_feature_pools` is trained on.
BASE_CLASSES = (0, 1, 2, 3, 4)
#: Held-out classes whose features form the few-shot pools.
NOVEL_CLASSES = (5, 6, 7, 8, 9)


def _sklearn_digits():
    """``(X (1797, 64) float64 in [0, 16], y (1797,) int64)`` from scikit-learn's bundled copy."""
    try:
        from sklearn.datasets import load_digits
    except ModuleNotFoundError as e:  # pragma: no cover - depends on the install
        raise ModuleNotFoundError(
            "the digits data ship with scikit-learn: pip install 'unlearnlab[test]'"
        ) from e
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float64), y.astype(np.int64)


def load_digits_standardised(test_fraction: float = 0.25, seed: int = 0):
    """Digits split into train and test at random, pixels standardised with training statistics.

    With the permutation ``numpy.random.default_rng(seed).permutation(1797)``, the first
    :math:`n_{te} = \\mathrm{round}(\\text{test\\_fraction}\\cdot 1797)` indices form the test set;
    each pixel is mapped to :math:`(x - \\mu_{tr}) / (\\sigma_{tr} + 10^{-8})` with the training
    mean and standard deviation (constant pixels stay 0).

    Args:
      test_fraction: fraction of the 1797 images in the test set, in ``(0, 1)``.
      seed: non-negative integer seed of the permutation.

    Returns:
      ``(h_train, y_train, h_test, y_test)``: float64 features ``(n_tr, 64)`` and ``(n_te, 64)``,
      int64 labels in ``[0, 10)`` (``n_tr = 1348``, ``n_te = 449`` at the default fraction).

    Raises:
      ValueError: if ``test_fraction`` leaves a part empty or ``seed`` is not a non-negative
        integer.
      ModuleNotFoundError: without scikit-learn.
    """
    check_in_range("test_fraction", test_fraction, 0.0, 1.0, lo_open=True, hi_open=True)
    seed = check_int("seed", seed, min_value=0)
    X, y = _sklearn_digits()
    n_test = int(round(test_fraction * len(y)))
    if not 0 < n_test < len(y):
        raise ValueError(f"`test_fraction` = {test_fraction} leaves an empty part of {len(y)}.")
    perm = np.random.default_rng(seed).permutation(len(y))
    te, tr = perm[:n_test], perm[n_test:]
    mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-8
    return (X[tr] - mu) / sd, y[tr], (X[te] - mu) / sd, y[te]


def digits_feature_pools(
    seed: int = 0,
    steps: int = 100,
    lr: float = 1e-2,
    hidden: int = 128,
    feat_dim: int = 32,
    normalize: bool = True,
):
    """Penultimate features of a base-class network, pooled by novel class (few-shot tasks).

    Pixels are scaled to ``[0, 1]``; an MLP ``64 -> hidden -> feat_dim -> 5`` (flax nnx, ReLU) is
    trained by ``steps`` full-batch Adam steps on the cross-entropy of the base classes 0-4. Its
    ``feat_dim``-dimensional penultimate features :math:`\\phi(x)` of the novel classes 5-9 are
    L2-normalised (:math:`\\phi/\\max(\\|\\phi\\|, 10^{-12})`, if ``normalize``) and each class's
    images are split at random into a validation half and a test half. Both halves hold the same
    classes (the UNEM paper uses disjoint validation and test classes; ``theory/unem.md``).

    Args:
      seed: non-negative integer; the network initialisation and the validation/test split.
      steps: number of Adam steps (``>= 1``).
      lr: Adam learning rate ``> 0``.
      hidden: width of the first hidden layer (``>= 1``).
      feat_dim: width of the feature layer (``>= 1``).
      normalize: L2-normalise the features.

    Returns:
      ``(pool_val, pool_test, info)``: two float64 arrays of shape ``(5, M, feat_dim)`` (``M``
      points per novel class, see :func:`unlearnlab.fewshot.pool_by_class`) and a dict with the
      base-class training accuracy and the number of steps.

    Raises:
      ValueError: on a negative ``seed``, non-positive ``steps``, ``hidden``, ``feat_dim`` or
        ``lr``, or a non-bool ``normalize``.
      ModuleNotFoundError: without scikit-learn.

    References:
      Zhou et al., "UNEM: UNrolled generalized EM for transductive few-shot learning",
      arXiv 2412.16739 (CVPR 2025), Sec. 5 (L2-normalised backbone features); the lab's digits
      stand-in for its benchmarks is described in ``theory/unem.md``.
    """
    seed = check_int("seed", seed, min_value=0)
    steps = check_int("steps", steps, min_value=1)
    check_positive("lr", lr)
    hidden = check_int("hidden", hidden, min_value=1)
    feat_dim = check_int("feat_dim", feat_dim, min_value=1)
    if not isinstance(normalize, (bool, np.bool_)):
        raise ValueError(f"`normalize` must be a bool; got {normalize!r}.")
    import jax
    import jax.numpy as jnp

    from unlearnlab.fewshot import pool_by_class

    x, y = _sklearn_digits()
    x = x / 16.0
    base = np.isin(y, BASE_CLASSES)
    novel = np.isin(y, NOVEL_CLASSES)
    train = _feature_program(steps, float(lr), hidden, feat_dim)
    acc, feats = train(
        jax.random.key(seed),
        jnp.asarray(x[base], jnp.float32),
        jnp.asarray(y[base]),
        jnp.asarray(x[novel], jnp.float32),
    )
    train_acc = float(acc)
    feats = np.asarray(feats, np.float64)
    if normalize:
        feats = feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
    yn = y[novel]
    rng = np.random.default_rng(seed)
    val_idx, test_idx = [], []
    for c in NOVEL_CLASSES:
        idx = rng.permutation(np.flatnonzero(yn == c))
        half = len(idx) // 2
        val_idx.append(idx[:half])
        test_idx.append(idx[half:])
    val_idx, test_idx = np.concatenate(val_idx), np.concatenate(test_idx)
    pool_val = pool_by_class(feats[val_idx], yn[val_idx])
    pool_test = pool_by_class(feats[test_idx], yn[test_idx])
    return pool_val, pool_test, {"base_train_accuracy": train_acc, "steps": steps}


# Initialisation, training, the base-class accuracy and the novel-class features as one compiled
# program per configuration, reused across calls and seeds (the network was initialised op by op and
# its training program recompiled at every call, ~30 programs per call).
@functools.cache
def _feature_program(steps: int, lr: float, hidden: int, feat_dim: int):
    import jax
    import jax.numpy as jnp
    import optax
    from flax import nnx

    class MLP(nnx.Module):
        def __init__(self, rngs):
            self.l1 = nnx.Linear(64, hidden, rngs=rngs)
            self.l2 = nnx.Linear(hidden, feat_dim, rngs=rngs)
            self.head = nnx.Linear(feat_dim, len(BASE_CLASSES), rngs=rngs)

        def features(self, v):
            return jax.nn.relu(self.l2(jax.nn.relu(self.l1(v))))

        def __call__(self, v):
            return self.head(self.features(v))

    tx = optax.adam(lr)

    @jax.jit
    def train(key, xb, yb, xn):
        graphdef, params = nnx.split(MLP(nnx.Rngs(key)), nnx.Param)

        def loss_fn(p):
            logits = nnx.merge(graphdef, p)(xb)
            return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

        params = scan_minimize(loss_fn, params, tx, steps)
        model = nnx.merge(graphdef, params)
        acc = jnp.mean(jnp.argmax(model(xb), -1) == yb)
        return acc, model.features(xn)

    return train
