"""Real classifier outputs for calibration: CIFAR predictions (netcal records) and a digits MLP.

* :func:`load_predictions` -- softmax outputs of three trained CIFAR classifiers on their 10,000-image
  test sets, shipped with the package (``unlearnlab/datasets/data/calibration/``), as published with
  the netcal calibration framework (EFS-OpenSource/calibration-framework,
  ``examples/classification/records/``) under the Apache License 2.0 (the licence file and a README
  lie beside the data).
* :func:`probs_to_logits` -- logits up to a per-row constant from probabilities.
* :func:`random_split` -- a seeded calibration/test split.
* :func:`digits_mlp_logits` -- an over-confident MLP trained on scikit-learn's bundled digits
  (Guo et al. 2017's recipe of NLL over-fitting without weight decay).

References:
  Kueppers et al., "Multivariate Confidence Calibration for Object Detection", CVPR Workshops 2020
  (netcal, the source of the prediction records).
  Guo, Pleiss, Sun, Weinberger, "On Calibration of Modern Neural Networks", ICML 2017, Sec. 3
  (over-confidence from NLL over-fitting).
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np

from unlearnlab.lab.checks import (
    check_array,
    check_choice,
    check_in_range,
    check_int,
    check_nonempty,
    check_positive,
)

__all__ = [
    "CALIBRATION_SETS",
    "load_predictions",
    "probs_to_logits",
    "random_split",
    "digits_mlp_logits",
]

#: Names of the shipped prediction sets -> file under ``data/calibration/``.
CALIBRATION_SETS = {
    "wrn16-4-cifar10": "wideresnet-16-4-cifar-10.npz",
    "lenet5-cifar10": "lenet-5-cifar-10.npz",
    "wrn16-4-cifar100": "wideresnet-16-4-cifar-100.npz",
}

_LOGIT_FLOOR = 1e-12


def load_predictions(name: str):
    """Softmax outputs and labels of a trained CIFAR classifier on its 10,000-image test set.

    ======================= ======= ========== ============= ====================================
    ``name``                classes model      test accuracy mean confidence
    ======================= ======= ========== ============= ====================================
    ``"wrn16-4-cifar10"``   10      WRN-16-4   0.911         0.965 (over-confident)
    ``"lenet5-cifar10"``    10      LeNet-5    0.531         0.639
    ``"wrn16-4-cifar100"``  100     WRN-16-4   0.754         0.802
    ======================= ======= ========== ============= ====================================

    The records store float32 probabilities; rows are renormalised in float64 so that
    :math:`\\sum_c p_{ic} = 1` to rounding.

    Args:
      name: one of :data:`CALIBRATION_SETS`.

    Returns:
      ``(probs, labels)``: ``probs`` of shape ``(10000, C)`` (float64, rows summing to 1) and
      ``labels`` of shape ``(10000,)`` (int64, in ``[0, C)``).

    Raises:
      ValueError: if ``name`` is not a shipped set.

    References:
      netcal (EFS-OpenSource/calibration-framework), ``examples/classification/records/``,
      Apache License 2.0.
    """
    check_choice("name", name, tuple(CALIBRATION_SETS))
    ref = resources.files(__package__).joinpath("data", "calibration", CALIBRATION_SETS[name])
    with ref.open("rb") as f, np.load(f) as z:
        p = z["predictions"].astype(np.float64)
        y = z["ground_truth"].astype(np.int64)
    return p / p.sum(axis=1, keepdims=True), y


def probs_to_logits(probs):
    """Logits from probabilities: :math:`z_{ic} = \\log \\max(p_{ic}, 10^{-12})`.

    The logits equal the classifier's up to a per-row constant, to which softmax is invariant.

    Args:
      probs: ``(..., C)`` probabilities (finite, in ``[0, 1]``).

    Returns:
      NumPy float array of the shape of ``probs``.

    Raises:
      ValueError: if ``probs`` is a scalar, empty, non-finite or outside ``[0, 1]``.
    """
    check_array("probs", probs, ndim=tuple(range(1, 8)))
    check_nonempty("probs", probs)
    p = np.asarray(probs, dtype=np.float64 if np.asarray(probs).dtype.kind != "f" else None)
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(
            f"`probs` must lie in [0, 1]; got range [{float(p.min()):.6g}, {float(p.max()):.6g}]."
        )
    return np.log(np.clip(p, _LOGIT_FLOOR, None))


def random_split(x, labels, seed: int, frac: float = 0.5):
    """A seeded random split of ``(x, labels)`` into a calibration part and a test part.

    The permutation is ``numpy.random.default_rng(seed).permutation(n)``; its first
    :math:`k = \\mathrm{round}(\\text{frac}\\cdot n)` indices form the calibration part.

    Args:
      x: ``(n, ...)`` inputs (probabilities, logits or features).
      labels: ``(n,)`` labels.
      seed: non-negative integer seed of the permutation.
      frac: fraction of rows in the calibration part, in ``(0, 1)``; both parts must be non-empty.

    Returns:
      ``(x_cal, labels_cal, x_test, labels_test)`` as NumPy arrays.

    Raises:
      ValueError: if ``x`` is a scalar, empty or non-finite, ``labels`` is not 1-D of length ``n``,
        ``seed`` is not a non-negative integer, or ``frac`` leaves a part empty.
    """
    check_array("x", x, ndim=tuple(range(1, 8)))
    check_nonempty("x", x)
    check_array("labels", labels, ndim=1)
    x, labels = np.asarray(x), np.asarray(labels)
    n = x.shape[0]
    if labels.shape[0] != n:
        raise ValueError(f"`labels` must have length {n} (the rows of `x`); got {labels.shape[0]}.")
    seed = check_int("seed", seed, min_value=0)
    check_in_range("frac", frac, 0.0, 1.0, lo_open=True, hi_open=True)
    k = int(round(frac * n))
    if not 0 < k < n:
        raise ValueError(f"`frac` = {frac} leaves an empty part of {n} rows.")
    perm = np.random.default_rng(seed).permutation(n)
    a, b = perm[:k], perm[k:]
    return x[a], labels[a], x[b], labels[b]


def digits_mlp_logits(
    seed: int = 0,
    *,
    steps_past: int = 300,
    max_steps: int = 3000,
    lr: float = 1e-3,
    label_noise: float = 0.0,
):
    """An over-confident classifier on scikit-learn's digits: calibration and test logits.

    Recipe: scikit-learn's bundled 8x8 digits (1797 x 64, 10 classes; inside the scikit-learn wheel,
    no download), pixels standardised, a stratified 1000 / 400 / 397 train / calibration / test
    split with ``seed``; optionally a fraction ``label_noise`` of the training labels replaced by
    uniform draws; a 64-256-256-10 ReLU MLP (He initialisation) trained by full-batch Adam on
    the cross-entropy

    .. math:: \\mathcal{L}(\\theta) = -\\frac{1}{n}\\sum_i \\log \\mathrm{softmax}(f_\\theta(x_i))_{y_i}

    without weight decay, in blocks of 50 steps, until 100% training accuracy and then
    ``steps_past`` more steps (or ``max_steps`` in all): NLL over-fitting makes it over-confident.

    Args:
      seed: non-negative integer; the split, the label noise and the initialisation.
      steps_past: non-negative number of steps after reaching 100% training accuracy.
      max_steps: cap on the number of Adam steps (``>= 50``).
      lr: Adam learning rate ``> 0``.
      label_noise: fraction of training labels resampled uniformly, in ``[0, 1]``.

    Returns:
      ``dict(cal=(z, y), test=(z, y), train_acc, steps)``: logits ``z`` float64 of shape
      ``(400, 10)`` (calibration) and ``(397, 10)`` (test) with int labels, the final training
      accuracy and the number of steps run.

    Raises:
      ValueError: on a negative ``seed`` or ``steps_past``, ``max_steps < 50``, ``lr <= 0`` or
        ``label_noise`` outside ``[0, 1]``.
      ModuleNotFoundError: without scikit-learn (``pip install 'unlearnlab[test]'``).

    References:
      Guo, Pleiss, Sun, Weinberger, ICML 2017, Sec. 3 (NLL over-fitting and over-confidence).
    """
    seed = check_int("seed", seed, min_value=0)
    steps_past = check_int("steps_past", steps_past, min_value=0)
    max_steps = check_int("max_steps", max_steps, min_value=50)
    check_positive("lr", lr)
    check_in_range("label_noise", label_noise, 0.0, 1.0)
    import jax
    import jax.numpy as jnp
    from sklearn.model_selection import train_test_split

    from unlearnlab.datasets.digits import _sklearn_digits

    X, y = _sklearn_digits()
    X = (X - X.mean(0)) / (X.std(0) + 1e-8)
    Xtr, Xrest, ytr, yrest = train_test_split(X, y, train_size=1000, stratify=y, random_state=seed)
    Xcal, Xte, ycal, yte = train_test_split(
        Xrest, yrest, train_size=400, stratify=yrest, random_state=seed
    )
    rng = np.random.default_rng(seed)
    if label_noise > 0:
        flip = rng.random(len(ytr)) < label_noise
        ytr = np.where(flip, rng.integers(0, 10, len(ytr)), ytr)
    init, run, logits = _mlp_programs(float(lr))
    params, st = init(jax.random.key(seed))
    Xtr_j, ytr_j = jnp.asarray(Xtr), jnp.asarray(ytr)
    steps, reached = 0, None
    while steps < max_steps:  # the stopping rule reads the accuracy on the host
        params, st, acc = run(params, st, Xtr_j, ytr_j)
        steps += 50
        if reached is None and float(acc) >= 1.0:
            reached = steps
        if reached is not None and steps >= reached + steps_past:
            break
    zc, zt = (
        np.asarray(z, np.float64) for z in logits(params, jnp.asarray(Xcal), jnp.asarray(Xte))
    )
    return {
        "cal": (zc, np.asarray(ycal)),
        "test": (zt, np.asarray(yte)),
        "train_acc": float(acc),
        "steps": steps,
    }


# The initialisation, a block of 50 Adam steps and the final logits are three compiled programs,
# built once per learning rate and reused across calls (op by op, the He initialisation and the
# two forward passes were ~25 small programs, and the block was recompiled at every call).
@functools.cache
def _mlp_programs(lr: float):
    import jax
    import jax.numpy as jnp
    import optax

    sizes = [64, 256, 256, 10]
    opt = optax.adam(lr)

    def forward(ps, x):
        for W, b in ps[:-1]:
            x = jax.nn.relu(x @ W + b)
        W, b = ps[-1]
        return x @ W + b

    @jax.jit
    def init(key):
        params = []
        for din, dout in zip(sizes[:-1], sizes[1:]):
            key, k = jax.random.split(key)
            # the barrier keeps XLA from folding the He scale into the sampler's own constant
            # factor (a 1-ulp change of the start that the over-fitting run amplifies)
            z = jax.lax.optimization_barrier(jax.random.normal(k, (din, dout)))
            params.append((z * np.sqrt(2.0 / din), jnp.zeros(dout)))
        return params, opt.init(params)

    @jax.jit
    def run(ps, st, Xtr, ytr):
        def loss(ps):
            lp = jax.nn.log_softmax(forward(ps, Xtr))
            return -jnp.mean(jnp.take_along_axis(lp, ytr[:, None], 1))

        def body(c, _):
            ps, st = c
            g = jax.grad(loss)(ps)
            u, st = opt.update(g, st, ps)
            return (optax.apply_updates(ps, u), st), None

        (ps, st), _ = jax.lax.scan(body, (ps, st), None, length=50)
        acc = jnp.mean(jnp.argmax(forward(ps, Xtr), 1) == ytr)
        return ps, st, acc

    @jax.jit
    def logits(ps, Xcal, Xte):
        return forward(ps, Xcal), forward(ps, Xte)

    return init, run, logits
