"""Few-shot feature pools for the UNEM experiment: penultimate features of a small flax network.

scikit-learn's bundled digits (8x8 images, 1797 samples; no download) are split by class: a small
MLP 64 -> 128 -> 32 -> 5 (flax nnx, optax Adam) is trained on the base classes 0-4 and its 32-d
penultimate (ReLU) features are extracted for the held-out classes 5-9. The held-out images of each
class are split into a validation half (UNEM training and grid search) and a test half (held-out
tasks). Both halves use the same classes; the paper uses disjoint validation and test classes
(documented in ``theory/unem.md``). This is the only file of the UNEM experiment that reads data.
"""

from __future__ import annotations

import numpy as np

BASE_CLASSES = (0, 1, 2, 3, 4)
NOVEL_CLASSES = (5, 6, 7, 8, 9)


def _load_digits():
    try:
        from sklearn.datasets import load_digits
    except ModuleNotFoundError as e:  # pragma: no cover - depends on the install
        raise ModuleNotFoundError(
            "the digits features need scikit-learn: pip install -e '.[test]'"
        ) from e
    d = load_digits()
    return d.data.astype(np.float64) / 16.0, d.target.astype(np.int64)


def digits_feature_pools(
    seed: int = 0,
    steps: int = 100,
    lr: float = 1e-2,
    hidden: int = 128,
    feat_dim: int = 32,
    normalize: bool = True,
):
    """Train the base-class network and return the novel-class feature pools.

    Args:
      seed: seed of the network initialisation and of the validation/test split.
      steps, lr: full-batch Adam steps and learning rate on the base classes.
      hidden, feat_dim: widths of the two hidden layers (the second is the feature layer).
      normalize: L2-normalise the extracted features.

    Returns:
      ``(pool_val, pool_test, info)``: two ``(5, M, feat_dim)`` float64 arrays (``M`` points per
      novel class) and a dict with the base-class training accuracy.
    """
    import jax
    import jax.numpy as jnp
    import optax
    from flax import nnx

    from unlearnlab.fewshot import pool_by_class

    x, y = _load_digits()
    base = np.isin(y, BASE_CLASSES)
    xb = jnp.asarray(x[base], jnp.float32)
    yb = jnp.asarray(y[base])

    class MLP(nnx.Module):
        def __init__(self, rngs):
            self.l1 = nnx.Linear(64, hidden, rngs=rngs)
            self.l2 = nnx.Linear(hidden, feat_dim, rngs=rngs)
            self.head = nnx.Linear(feat_dim, len(BASE_CLASSES), rngs=rngs)

        def features(self, v):
            return jax.nn.relu(self.l2(jax.nn.relu(self.l1(v))))

        def __call__(self, v):
            return self.head(self.features(v))

    model = MLP(nnx.Rngs(seed))
    graphdef, params = nnx.split(model, nnx.Param)
    tx = optax.adam(lr)

    def loss_fn(p):
        logits = nnx.merge(graphdef, p)(xb)
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    def step(carry, _):
        p, o = carry
        g = jax.grad(loss_fn)(p)
        upd, o = tx.update(g, o, p)
        return (optax.apply_updates(p, upd), o), None

    (params, _), _ = jax.jit(lambda p: jax.lax.scan(step, (p, tx.init(p)), None, length=steps))(
        params
    )
    model = nnx.merge(graphdef, params)
    train_acc = float(jnp.mean(jnp.argmax(model(xb), -1) == yb))

    novel = np.isin(y, NOVEL_CLASSES)
    feats = np.asarray(model.features(jnp.asarray(x[novel], jnp.float32)), np.float64)
    if normalize:  # L2-normalised features, the usual pre-processing of transductive few-shot
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
