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

import jax
import jax.numpy as jnp
import numpy as np
import optax

from unlearnlab.fewshot.gem import GEMState, gem_layer
from unlearnlab.lab.checks import check_array, check_int, check_positive, check_shape, is_traced

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


def _check_labels_of_z(labels_of_z, K):
    check_array("labels_of_z", labels_of_z, ndim=1, finite=False)
    check_shape("labels_of_z", labels_of_z, (K,))
    if not is_traced(labels_of_z):
        arr = np.asarray(labels_of_z)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"`labels_of_z` must hold integers; got dtype {arr.dtype}.")
        if arr.size and arr.min() < 0:
            raise ValueError("`labels_of_z` must be >= 0.")


def sample_gmm_k(key, n_samples: int, means, labels_of_z):
    """Draw ``n_samples`` points of the K-component isotropic mixture with uniform weights.

    Args:
      key: PRNG key.
      n_samples: number of samples (>= 1).
      means: (K, d) component means u_k.
      labels_of_z: (K,) int label of each component.

    Returns:
      ``(X, z, y)``: (n_samples, d) inputs, (n_samples,) components, (n_samples,) labels.
    """
    n_samples = check_int("n_samples", n_samples, min_value=1)
    check_array("means", means, ndim=2)
    K, d = np.shape(means)
    _check_labels_of_z(labels_of_z, K)
    means = jnp.asarray(means)
    kz, kx = jax.random.split(key)
    z = jax.random.randint(kz, (n_samples,), 0, K)
    X = means[z] + jax.random.normal(kx, (n_samples, d), means.dtype)
    return X, z, jnp.asarray(labels_of_z)[z]


def _sq_dists(X, M):
    return jnp.sum((X[:, None, :] - M[None, :, :]) ** 2, axis=-1)


def kmeanspp_init(key, X, K: int):
    """k-means++ seeding: first centre uniform, then each next centre drawn with prob. ~ D(x)^2.

    Args:
      key: PRNG key; X: (n, d) data; K: number of centres (static, ``2 <= K <= n``).

    Returns:
      (K, d) initial centres (rows of X).

    References:
      Arthur & Vassilvitskii (2007), "k-means++", Sec. 2.2.
    """
    X = jnp.asarray(X)
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
    check_array("X", X, ndim=2)
    n = np.shape(X)[0]
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

    References:
      Dempster, Laird & Rubin (1977); Ge et al. (2024) Sec. 5 (MLE step, approximated by EM)
      [reconstruction].
    """
    K, iters = _check_em(X, K, iters)
    X = jnp.asarray(X)
    return _em_from(kmeanspp_init(key, X, K), X, iters)


def em_gmm_from(means0, X, iters: int):
    """The same EM as :func:`em_gmm` started from given means (stability check at the truth).

    Args:
      means0: (K, d) initial means; X: (n_unlab, d); iters >= 1 (static).

    Returns:
      (K, d) means.
    """
    check_array("means0", means0, ndim=2)
    K, _ = _check_em(X, np.shape(means0)[0], iters)
    if np.shape(means0)[1] != np.shape(X)[1]:
        raise ValueError(f"`means0` must have {np.shape(X)[1]} columns; got {np.shape(means0)}.")
    X = jnp.asarray(X)
    return _em_from(jnp.asarray(means0, X.dtype), X, iters)


def assign_clusters(means_hat, X):
    """Hard assignment ``argmin_k ||x - u_k||`` (the MAP cluster under equal weights), (n,) int."""
    return jnp.argmin(_sq_dists(jnp.asarray(X), jnp.asarray(means_hat)), axis=-1)


def fit_cluster_labels(means_hat, X_lab, y_lab, n_classes: int):
    """Downstream ERM over Psi = all maps [K] -> {0..n_classes-1}: majority vote per cluster.

    The 0-1 empirical risk separates over clusters, so its minimiser is the per-cluster majority
    label (ties and empty clusters: the smallest label).

    Args:
      means_hat: (K, d) pretrained means; X_lab: (n_lab, d); y_lab: (n_lab,) int labels;
      n_classes: number of labels (static).

    Returns:
      (K,) int table ``cluster -> label``.
    """
    check_array("means_hat", means_hat, ndim=2)
    check_array("X_lab", X_lab, ndim=2)
    check_array("y_lab", y_lab, ndim=1, finite=False)
    check_shape("y_lab", y_lab, (np.shape(X_lab)[0],))
    n_classes = check_int("n_classes", n_classes, min_value=2)
    K = np.shape(means_hat)[0]
    c = assign_clusters(means_hat, X_lab)
    counts = jnp.zeros((K, n_classes)).at[c, jnp.asarray(y_lab)].add(1.0)
    return jnp.argmax(counts, axis=-1)


def predict_gmm(means_hat, table, X):
    """Prediction of the pretrained model: ``table[argmin_k ||x - u_k||]``, (n,) int."""
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
    """
    check_array("X_lab", X_lab, ndim=2)
    check_array("y_lab", y_lab, ndim=1, finite=False)
    check_shape("y_lab", y_lab, (np.shape(X_lab)[0],))
    n_classes = check_int("n_classes", n_classes, min_value=2)
    steps = check_int("steps", steps, min_value=1)
    check_positive("lr", lr)
    X = jnp.asarray(X_lab)
    Xa = jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1)
    y = jnp.asarray(y_lab)

    def loss(W):
        ce = optax.softmax_cross_entropy_with_integer_labels(Xa @ W, y).mean()
        return ce + 0.5 * l2 * jnp.sum(W[:-1] ** 2)

    opt = optax.adam(lr)
    W0 = jnp.zeros((Xa.shape[1], n_classes), X.dtype)

    def body(carry, _):
        W, s = carry
        g = jax.grad(loss)(W)
        upd, s = opt.update(g, s, W)
        return (optax.apply_updates(W, upd), s), None

    (W, _), _ = jax.lax.scan(body, (W0, opt.init(W0)), None, length=steps)
    return W


def predict_logreg(W, X):
    """Labels of the logistic-regression baseline, (n,) int."""
    X = jnp.asarray(X)
    Xa = jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1)
    return jnp.argmax(Xa @ jnp.asarray(W), axis=-1)


def bayes_predict_gmm(means, labels_of_z, X, n_classes: int):
    """Bayes rule with the true means: ``argmax_y sum_{k: label(k) = y} exp(-||x - u_k||^2 / 2)``."""
    logp = -0.5 * _sq_dists(jnp.asarray(X), jnp.asarray(means))  # (n, K)
    onehot = jax.nn.one_hot(jnp.asarray(labels_of_z), n_classes, dtype=logp.dtype)  # (K, C)
    score = jax.nn.logsumexp(logp[:, :, None] + jnp.log(jnp.maximum(onehot, 0.0))[None], axis=1)
    return jnp.argmax(score, axis=-1)


def bayes_error_gmm(key, means, labels_of_z, n_test: int):
    """Monte Carlo estimate of the Bayes 0-1 error of the mixture labeling (true means known).

    Args:
      key: PRNG key; means: (K, d); labels_of_z: (K,) int; n_test >= 1 Monte Carlo samples.

    Returns:
      scalar in [0, 1].
    """
    n_test = check_int("n_test", n_test, min_value=1)
    check_array("means", means, ndim=2)
    K = np.shape(means)[0]
    _check_labels_of_z(labels_of_z, K)
    n_classes = int(np.max(np.asarray(labels_of_z))) + 1 if not is_traced(labels_of_z) else K
    X, _, y = sample_gmm_k(key, n_test, means, labels_of_z)
    return jnp.mean(bayes_predict_gmm(means, labels_of_z, X, max(n_classes, 2)) != y)
