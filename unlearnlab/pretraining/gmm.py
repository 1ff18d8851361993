"""Gaussian-mixture instance of "MLE then ERM": EM pretraining, cluster-label ERM, baselines.

Model (Ge et al. 2024, Section 5 [reviews: rate of Theorem 5.3; model details reconstruction]):

    z ~ Unif[K],  x | z ~ N(u_z, I_d),  y = labels_of_z[z]  (the label depends only on z).

Phi = the K means (identity covariance, uniform weights); Psi = all maps [K] -> Y; the
transformation group is the permutations of [K], which Psi absorbs (a permuted table).

The EM step is *not* written here: it is the GEM layer of :mod:`unlearnlab.fewshot.gem` with an empty
support set, ``lam = 0`` (uniform mixing weights, the model here) and ``T = 1``, which is exactly
EM for an isotropic unit-variance Gaussian mixture (lab spec ``unem.md`` Sec. 2.1). This module adds
only the k-means++ initialisation and the downstream steps.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from unlearnlab.fewshot.gem import GEMState, gem_layer
from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_labels,
    check_nonnegative,
    check_positive,
    check_shape,
    is_traced,
)
from unlearnlab.lab.optim import scan_minimize
from unlearnlab.pretraining.factor import check_matrix

__all__ = [
    "sample_gmm_k",
    "kmeanspp_init",
    "em_gmm",
    "em_gmm_from",
    "assign_clusters",
    "fit_cluster_labels",
    "predict_gmm",
    "fit_supervised_logreg",
    "predict_logreg",
    "bayes_predict_gmm",
    "bayes_error_gmm",
]


def _check_labels_of_z(labels_of_z, K, n_classes=None):
    # a label per component, in [0, n_classes) (default n_classes = K: at most K distinct labels)
    check_array("labels_of_z", labels_of_z, ndim=1, finite=False)
    check_shape("labels_of_z", labels_of_z, (K,))
    check_labels("labels_of_z", labels_of_z, K if n_classes is None else n_classes)


def _check_points(name, X, d):
    # (n, d) finite points, n >= 1, columns matching the means
    _, dx = check_matrix(name, X)
    if dx != d:
        raise ValueError(f"`{name}` must have {d} columns; got shape {np.shape(X)}.")


def sample_gmm_k(key, n_samples: int, means, labels_of_z):
    """Draw ``n_samples`` points of the K-component isotropic mixture with uniform weights.

    Args:
      key: PRNG key.
      n_samples: number of samples (>= 1).
      means: (K, d) component means u_k.
      labels_of_z: (K,) int label of each component, in [0, K).

    Returns:
      ``(X, z, y)``: (n_samples, d) inputs, (n_samples,) components, (n_samples,) labels.

    Raises:
      ValueError: if ``n_samples < 1``, ``means`` is not a finite non-empty (K, d) matrix or
        ``labels_of_z`` is not (K,) integers in [0, K).
    """
    n_samples = check_int("n_samples", n_samples, min_value=1)
    K, d = check_matrix("means", means)
    _check_labels_of_z(labels_of_z, K)
    return _sample_gmm_k(key, n_samples, jnp.asarray(means), jnp.asarray(labels_of_z))


def _sample_gmm_k(key, n_samples, means, labels_of_z):
    K, d = means.shape
    kz, kx = jax.random.split(key)
    z = jax.random.randint(kz, (n_samples,), 0, K)
    X = means[z] + jax.random.normal(kx, (n_samples, d), means.dtype)
    return X, z, labels_of_z[z]


def _sq_dists(X, M):
    return jnp.sum((X[:, None, :] - M[None, :, :]) ** 2, axis=-1)


def kmeanspp_init(key, X, K: int):
    """k-means++ seeding: first centre uniform, then each next centre drawn with prob. ~ D(x)^2.

    Args:
      key: PRNG key; X: (n, d) data; K: number of centres (static, ``2 <= K <= n``).

    Returns:
      (K, d) initial centres (rows of X).

    Raises:
      ValueError: if ``X`` is not a finite non-empty (n, d) matrix or ``K`` not an integer in [2, n].

    References:
      Arthur & Vassilvitskii (2007), "k-means++", Sec. 2.2.
    """
    _check_em(X, K, 1)
    return _kmeanspp(key, jnp.asarray(X), K)


def _kmeanspp(key, X, K):
    n = X.shape[0]
    keys = jax.random.split(key, K)
    idx0 = jax.random.randint(keys[0], (), 0, n)
    centres = jnp.zeros((K, X.shape[1]), X.dtype).at[0].set(X[idx0])
    d2 = jnp.sum((X - X[idx0]) ** 2, axis=-1)
    for k in range(1, K):
        logits = jnp.log(jnp.maximum(d2, jnp.finfo(X.dtype).tiny))
        idx = jax.random.categorical(keys[k], logits)
        centres = centres.at[k].set(X[idx])
        d2 = jnp.minimum(d2, jnp.sum((X - X[idx]) ** 2, axis=-1))
    return centres


def _em_from(means0, X, iters: int):
    K, d = means0.shape
    dt = X.dtype
    z_s = jnp.zeros((0, d), dt)
    y_s = jnp.zeros((0, K), dt)
    state = GEMState(jnp.zeros((X.shape[0], K), dt), jnp.full((K,), -jnp.log(K), dt), means0)

    def body(st, _):
        new = gem_layer(st, z_s, y_s, X, 0.0, 1.0)  # lam = 0: uniform weights; T = 1: plain EM
        # a component whose responsibilities all underflow keeps its previous mean (no 0/0)
        w = jnp.where(jnp.isfinite(new.w), new.w, st.w)
        return new._replace(w=w), None

    state, _ = jax.lax.scan(body, state, None, length=iters)
    return state.w


def _check_em(X, K, iters):
    n, _ = check_matrix("X", X)
    K = check_int("K", K, min_value=2)
    if K > n:
        raise ValueError(f"`K` must be <= n_samples = {n}; got {K}.")
    iters = check_int("iters", iters, min_value=1)
    return K, iters


def em_gmm(key, X, K: int, iters: int):
    """Pretraining for the GMM: k-means++ initialisation, then ``iters`` EM steps (lax.scan).

    EM for ``x ~ (1/K) sum_k N(u_k, I_d)`` with uniform, fixed weights; each step is
    ``unlearnlab.fewshot.gem.gem_layer`` with no support set, ``lam = 0``, ``T = 1``:
    ``u_nk = softmax_k(-||x_n - u_k||^2 / 2)``, ``u_k = sum_n u_nk x_n / sum_n u_nk``.

    ========  ========================
    symbol    argument
    ========  ========================
    x_1..x_m  ``X`` (m = n_unlab rows)
    K         ``K``
    ========  ========================

    Args:
      key: PRNG key (initialisation).
      X: (n_unlab, d) unlabeled data.
      K: number of components (``2 <= K <= n_unlab``, static).
      iters: EM steps (>= 1, static).

    Returns:
      (K, d) estimated means (in k-means++ order; identifiable up to a permutation).

    Raises:
      ValueError: if ``X`` is not a finite non-empty (n, d) matrix, ``K`` not in [2, n] or
        ``iters < 1``.

    References:
      Dempster, Laird & Rubin (1977); Ge et al. (2024) Sec. 5 (MLE step, approximated by EM)
      [reconstruction].
    """
    K, iters = _check_em(X, K, iters)
    # one compiled program (op by op, the k-means++ loop alone is ~20 programs)
    return _em_gmm(key, jnp.asarray(X), K, iters)


@partial(jax.jit, static_argnums=(2, 3))
def _em_gmm(key, X, K, iters):
    return _em_from(_kmeanspp(key, X, K), X, iters)


def em_gmm_from(means0, X, iters: int):
    """The same EM as :func:`em_gmm` started from given means (stability check at the truth).

    Args:
      means0: (K, d) initial means; X: (n_unlab, d); iters >= 1 (static).

    Returns:
      (K, d) means.

    Raises:
      ValueError: if ``means0`` or ``X`` is not a finite non-empty matrix, their columns differ,
        K is not in [2, n] or ``iters < 1``.
    """
    check_matrix("means0", means0)
    K, _ = _check_em(X, np.shape(means0)[0], iters)
    if np.shape(means0)[1] != np.shape(X)[1]:
        raise ValueError(f"`means0` must have {np.shape(X)[1]} columns; got {np.shape(means0)}.")
    X = jnp.asarray(X)
    return _em_from(jnp.asarray(means0, X.dtype), X, iters)


def assign_clusters(means_hat, X):
    """Hard assignment ``argmin_k ||x - u_k||`` (the MAP cluster under equal weights), (n,) int.

    Raises:
      ValueError: if ``means_hat`` (K, d) or ``X`` (n, d) is not a finite non-empty matrix or
        their columns differ.
    """
    _, d = check_matrix("means_hat", means_hat)
    _check_points("X", X, d)
    return _assign(jnp.asarray(means_hat), jnp.asarray(X))


def _assign(means_hat, X):
    return jnp.argmin(_sq_dists(X, means_hat), axis=-1)


def fit_cluster_labels(means_hat, X_lab, y_lab, n_classes: int):
    """Downstream ERM over Psi = all maps [K] -> {0..n_classes-1}: majority vote per cluster.

    The 0-1 empirical risk separates over clusters, so its minimiser is the per-cluster majority
    label (ties and empty clusters: the smallest label).

    Args:
      means_hat: (K, d) pretrained means; X_lab: (n_lab, d); y_lab: (n_lab,) int labels;
      n_classes: number of labels (static).

    Returns:
      (K,) int table ``cluster -> label``.

    Raises:
      ValueError: if the matrices are malformed, ``n_classes < 2`` or ``y_lab`` is not (n_lab,)
        integers in [0, n_classes).
    """
    _, d = check_matrix("means_hat", means_hat)
    _check_points("X_lab", X_lab, d)
    n_classes = check_int("n_classes", n_classes, min_value=2)
    check_labels("y_lab", y_lab, n_classes, n=np.shape(X_lab)[0])
    return _cluster_table(jnp.asarray(means_hat), jnp.asarray(X_lab), jnp.asarray(y_lab), n_classes)


def _cluster_table(means_hat, X_lab, y_lab, n_classes):
    c = _assign(means_hat, X_lab)
    counts = jnp.zeros((means_hat.shape[0], n_classes)).at[c, y_lab].add(1.0)
    return jnp.argmax(counts, axis=-1)


def predict_gmm(means_hat, table, X):
    """Prediction of the pretrained model: ``table[argmin_k ||x - u_k||]``, (n,) int.

    Raises:
      ValueError: if ``means_hat`` (K, d) or ``X`` (n, d) is malformed or ``table`` is not (K,)
        non-negative integers.
    """
    K, d = check_matrix("means_hat", means_hat)
    check_array("table", table, ndim=1, finite=False)
    check_shape("table", table, (K,))
    if not is_traced(table):
        arr = np.asarray(table)
        if arr.dtype.kind not in "iu" or arr.min() < 0:
            raise ValueError("`table` must hold non-negative integer labels.")
    _check_points("X", X, d)
    return jnp.asarray(table)[assign_clusters(means_hat, X)]


def fit_supervised_logreg(
    X_lab, y_lab, n_classes: int, steps: int = 500, lr: float = 0.1, l2: float = 1e-3
):
    """Supervised baseline: multinomial logistic regression on x (with intercept), optax Adam.

    Minimises ``mean_j CE(W x_j + b, y_j) + (l2/2) ||W||^2`` with ``steps`` full-batch Adam steps in
    ``lax.scan`` from zero.

    Args:
      X_lab: (n_lab, d); y_lab: (n_lab,) int; n_classes >= 2; steps >= 1; lr > 0; l2 >= 0.

    Returns:
      (d + 1, n_classes) parameters (last row: intercept).

    Raises:
      ValueError: if ``X_lab`` is malformed, ``y_lab`` not (n_lab,) integers in [0, n_classes),
        ``n_classes < 2``, ``steps < 1``, ``lr <= 0`` or ``l2 < 0``.
    """
    check_matrix("X_lab", X_lab)
    n_classes = check_int("n_classes", n_classes, min_value=2)
    check_labels("y_lab", y_lab, n_classes, n=np.shape(X_lab)[0])
    steps = check_int("steps", steps, min_value=1)
    check_positive("lr", lr)
    check_nonnegative("l2", l2)
    X = jnp.asarray(X_lab)
    Xa = jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1)
    y = jnp.asarray(y_lab)

    def loss(W):
        ce = optax.softmax_cross_entropy_with_integer_labels(Xa @ W, y).mean()
        return ce + 0.5 * l2 * jnp.sum(W[:-1] ** 2)

    W0 = jnp.zeros((Xa.shape[1], n_classes), X.dtype)
    return scan_minimize(loss, W0, optax.adam(lr), steps)


def predict_logreg(W, X):
    """Labels of the logistic-regression baseline, (n,) int.

    Raises:
      ValueError: if ``W`` is not a finite (d + 1, C) matrix with C >= 2 or ``X`` not a finite
        non-empty (n, d) matrix.
    """
    _, d = check_matrix("X", X)
    d1, c = check_matrix("W", W)
    if d1 != d + 1 or c < 2:
        raise ValueError(
            f"`W` must have shape (d + 1, C) = ({d + 1}, C) with C >= 2 (`X` has d = {d} columns); "
            f"got {np.shape(W)}."
        )
    X = jnp.asarray(X)
    Xa = jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1)
    return jnp.argmax(Xa @ jnp.asarray(W), axis=-1)


def bayes_predict_gmm(means, labels_of_z, X, n_classes: int):
    """Bayes rule with the true means: ``argmax_y sum_{k: label(k) = y} exp(-||x - u_k||^2 / 2)``.

    Raises:
      ValueError: if ``means`` (K, d) or ``X`` (n, d) is malformed, ``n_classes < 2`` or
        ``labels_of_z`` is not (K,) integers in [0, n_classes).
    """
    K, d = check_matrix("means", means)
    n_classes = check_int("n_classes", n_classes, min_value=2)
    _check_labels_of_z(labels_of_z, K, n_classes)
    _check_points("X", X, d)
    return _bayes_predict(jnp.asarray(means), jnp.asarray(labels_of_z), jnp.asarray(X), n_classes)


def _bayes_predict(means, labels_of_z, X, n_classes):
    logp = -0.5 * _sq_dists(X, means)  # (n, K)
    onehot = jax.nn.one_hot(labels_of_z, n_classes, dtype=logp.dtype)  # (K, C)
    score = jax.nn.logsumexp(logp[:, :, None] + jnp.log(jnp.maximum(onehot, 0.0))[None], axis=1)
    return jnp.argmax(score, axis=-1)


def bayes_error_gmm(key, means, labels_of_z, n_test: int):
    """Monte Carlo estimate of the Bayes 0-1 error of the mixture labeling (true means known).

    Args:
      key: PRNG key; means: (K, d); labels_of_z: (K,) int; n_test >= 1 Monte Carlo samples.

    Returns:
      scalar in [0, 1].

    Raises:
      ValueError: if ``n_test < 1``, ``means`` is malformed or ``labels_of_z`` is not (K,)
        integers in [0, K).
    """
    n_test = check_int("n_test", n_test, min_value=1)
    K, _ = check_matrix("means", means)
    _check_labels_of_z(labels_of_z, K)
    n_classes = int(np.max(np.asarray(labels_of_z))) + 1 if not is_traced(labels_of_z) else K
    # one compiled program per (n_test, number of labels): op by op the sample and the rule are ~40
    return _bayes_error_gmm(
        key, jnp.asarray(means), jnp.asarray(labels_of_z), n_test, max(n_classes, 2)
    )


@partial(jax.jit, static_argnums=(3, 4))
def _bayes_error_gmm(key, means, labels_of_z, n_test, n_classes):
    X, _, y = _sample_gmm_k(key, n_test, means, labels_of_z)
    return jnp.mean(_bayes_predict(means, labels_of_z, X, n_classes) != y)
