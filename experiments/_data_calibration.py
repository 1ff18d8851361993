"""Data for the calibration experiments and tests (I/O lives here, never in ``unlearnlab/``).

* ``load_predictions(name) -> (probs, labels)``: real CIFAR classifier outputs shipped in
  ``experiments/data/calibration/`` (netcal's records, Apache-2.0; see the README there).
* ``split(probs, labels, seed)``: a fixed 50/50 calibration/test split.
* ``digits_mlp(seed)``: scikit-learn's bundled digits, a 64-256-256-10 MLP trained without weight
  decay far past 100% train accuracy (over-confident by NLL over-fitting, Guo et al. 2017), returning
  calibration and test logits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data" / "calibration"

REAL_SETS = {
    "wrn16-4-cifar10": "wideresnet-16-4-cifar-10.npz",
    "lenet5-cifar10": "lenet-5-cifar-10.npz",
    "wrn16-4-cifar100": "wideresnet-16-4-cifar-100.npz",
}

LOGIT_FLOOR = 1e-12


def load_predictions(name: str):
    """``(probs (N, C) float64, labels (N,) int64)`` of a real set (rows renormalised in float64)."""
    if name not in REAL_SETS:
        raise ValueError(f"`name` must be one of {sorted(REAL_SETS)}; got {name!r}.")
    with np.load(DATA_DIR / REAL_SETS[name]) as z:
        p = z["predictions"].astype(np.float64)
        y = z["ground_truth"].astype(np.int64)
    return p / p.sum(axis=1, keepdims=True), y


def to_logits(probs):
    """``log(clip(p, 1e-12))``: logits up to a per-row constant (softmax is invariant to it)."""
    return np.log(np.clip(probs, LOGIT_FLOOR, None))


def split(x, labels, seed: int, frac: float = 0.5):
    """Random calibration/test split: ``(x_cal, y_cal, x_test, y_test)``."""
    n = len(labels)
    perm = np.random.default_rng(seed).permutation(n)
    k = int(round(frac * n))
    a, b = perm[:k], perm[k:]
    return x[a], labels[a], x[b], labels[b]


def digits_mlp(
    seed: int = 0,
    *,
    steps_past: int = 300,
    max_steps: int = 3000,
    lr: float = 1e-3,
    label_noise: float = 0.0,
):
    """Train the digits-MLP-overfit classifier; returns ``dict(cal=(z, y), test=(z, y), train_acc,
    steps)`` with logits as float64 NumPy arrays.

    Recipe (spec §9.2): standardise, stratified 1000 / 400 / 397 split with ``seed``, 64-256-256-10
    ReLU MLP, full-batch Adam without weight decay until 100% train accuracy, then ``steps_past``
    more steps.
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ModuleNotFoundError as e:  # pragma: no cover
        raise ModuleNotFoundError(
            "the digits benchmark needs scikit-learn: pip install 'unlearnlab[test]'"
        ) from e
    import jax
    import jax.numpy as jnp
    import optax

    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(0)) / (X.std(0) + 1e-8)
    Xtr, Xrest, ytr, yrest = train_test_split(X, y, train_size=1000, stratify=y, random_state=seed)
    Xcal, Xte, ycal, yte = train_test_split(
        Xrest, yrest, train_size=400, stratify=yrest, random_state=seed
    )
    rng = np.random.default_rng(seed)
    if label_noise > 0:
        flip = rng.random(len(ytr)) < label_noise
        ytr = np.where(flip, rng.integers(0, 10, len(ytr)), ytr)
    key = jax.random.key(seed)
    sizes = [64, 256, 256, 10]
    params = []
    for din, dout in zip(sizes[:-1], sizes[1:]):
        key, k = jax.random.split(key)
        params.append((jax.random.normal(k, (din, dout)) * np.sqrt(2.0 / din), jnp.zeros(dout)))

    def forward(ps, x):
        for W, b in ps[:-1]:
            x = jax.nn.relu(x @ W + b)
        W, b = ps[-1]
        return x @ W + b

    Xtr_j, ytr_j = jnp.asarray(Xtr), jnp.asarray(ytr)

    def loss(ps):
        lp = jax.nn.log_softmax(forward(ps, Xtr_j))
        return -jnp.mean(jnp.take_along_axis(lp, ytr_j[:, None], 1))

    opt = optax.adam(lr)

    @jax.jit
    def run(ps, st):
        def body(c, _):
            ps, st = c
            g = jax.grad(loss)(ps)
            u, st = opt.update(g, st, ps)
            return (optax.apply_updates(ps, u), st), None

        (ps, st), _ = jax.lax.scan(body, (ps, st), None, length=50)
        acc = jnp.mean(jnp.argmax(forward(ps, Xtr_j), 1) == ytr_j)
        return ps, st, acc

    st = opt.init(params)
    steps, reached = 0, None
    while steps < max_steps:
        params, st, acc = run(params, st)
        steps += 50
        if reached is None and float(acc) >= 1.0:
            reached = steps
        if reached is not None and steps >= reached + steps_past:
            break
    zc = np.asarray(forward(params, jnp.asarray(Xcal)), np.float64)
    zt = np.asarray(forward(params, jnp.asarray(Xte)), np.float64)
    return {
        "cal": (zc, np.asarray(ycal)),
        "test": (zt, np.asarray(yte)),
        "train_acc": float(acc),
        "steps": steps,
    }
