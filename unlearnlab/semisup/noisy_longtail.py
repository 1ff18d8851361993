"""Noisy labels on long-tailed Gaussian classes: exact contamination and recovered class statistics.

Zhang, Zhao, Yao, Yuan, Huang, *When Noisy Labels Meet Long Tail Dilemmas: A Representation
Calibration Method* (RCAL), ICCV 2023, arXiv 2211.10955. The paper assumes that, without label noise
and imbalance, each class's representations are Gaussian, recovers those Gaussians from the polluted
per-class statistics, and samples balanced data from them to train the classifier [paper, abstract
and introduction]. The analyzable core here (lab spec ``panels.md`` §4.6, ``theory/semisup_dro.md``):

* ``z | y ~ N(mu_y, Sigma)``, long-tailed priors ``pi_y ∝ r^{-y/(K-1)}``, symmetric label noise
  ``eta`` (the observed label is kept w.p. ``1 - eta``, else uniform over the other ``K - 1``);
* the exact contamination of every observed class (:func:`noisy_class_stats`) [derived];
* three estimates of the class statistics from a sample: naive per-class moments
  (:func:`naive_class_stats`), head-first trimming (:func:`trimmed_class_stats`,
  [reconstruction] of RCAL's recovery step), and label-free EM (:func:`em_class_stats`, the lab's
  one EM, :func:`unlearnlab.pretraining.em_gmm`);
* sampling ``m -> infinity`` balanced points from recovered Gaussians and fitting LDA is population
  LDA on the recovered statistics with equal priors: :func:`binary_lda_errors` (the lab's one LDA,
  :func:`unlearnlab.unlearning.lda_population_fit`) gives its exact per-class and balanced errors.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammainc, ndtr

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_labels,
    check_nonempty,
    check_positive,
    check_probability,
    check_probability_vector,
    check_shape,
    check_sym_matrix,
    is_traced,
)
from unlearnlab.pretraining.gmm import _check_em, _cluster_table, _em_gmm
from unlearnlab.unlearning.bayes_error import lda_population_fit, linear_clean_error

__all__ = [
    "longtail_priors",
    "sample_noisy_longtail",
    "noisy_class_stats",
    "naive_class_stats",
    "chi2_quantile",
    "trimmed_class_stats",
    "em_class_stats",
    "binary_lda_errors",
]


def longtail_priors(K: int, r):
    """Long-tailed class priors ``pi_y ∝ r^{-y/(K-1)}``, ``y = 0..K-1`` (head first).

    .. math:: \\pi_y = \\frac{r^{-y/(K-1)}}{\\sum_{j=0}^{K-1} r^{-j/(K-1)}},
       \\qquad \\pi_0 / \\pi_{K-1} = r.

    Args:
      K: number of classes (``>= 2``).
      r: imbalance ratio ``pi_0 / pi_{K-1}``, ``>= 1``.

    Returns:
      ``(K,)`` priors.

    Raises:
      ValueError: if ``K < 2`` or ``r < 1``.

    References:
      RCAL (arXiv 2211.10955), long-tailed benchmarks with imbalance ratio ``r``; spec §4.6.
    """
    K = check_int("K", K, min_value=2)
    check_positive("r", r)
    if not is_traced(r) and float(r) < 1.0:
        raise ValueError(f"`r` must be >= 1 (pi_0 / pi_(K-1)); got {float(r)}.")
    w = jnp.asarray(r, float) ** (-jnp.arange(K) / (K - 1))
    return w / jnp.sum(w)


def _check_model(means, Sigma, pi, eta):
    check_array("means", means, ndim=2)
    K, d = np.shape(means)
    if K < 2 or d < 1:
        raise ValueError(f"`means` must have shape (K >= 2, d >= 1); got {np.shape(means)}.")
    check_sym_matrix("Sigma", Sigma, definite="pd")
    check_shape("Sigma", Sigma, (d, d))
    check_array("pi", pi, ndim=1)
    check_shape("pi", pi, (K,))
    check_probability_vector("pi", pi)
    check_probability("eta", eta)
    if not is_traced(eta) and float(eta) >= (K - 1) / K:
        raise ValueError(
            f"`eta` must be < (K-1)/K = {(K - 1) / K:g} (else the observed label carries no "
            f"information about the class); got {float(eta)}."
        )
    return K, d


def _transition(K, eta, dtype):
    off = eta / (K - 1)
    return (1.0 - eta - off) * jnp.eye(K, dtype=dtype) + off


def sample_noisy_longtail(key, n: int, means, Sigma, pi, eta):
    """Draw ``n`` points with true and symmetric-noisy labels.

    ``y ~ Cat(pi)``, ``x | y ~ N(mu_y, Sigma)``, ``y_obs = y`` w.p. ``1 - eta``, else uniform over
    the other ``K - 1`` classes.

    Args:
      key: PRNG key.
      n: sample size (``>= 1``).
      means: ``(K, d)`` class means ``mu_y``.
      Sigma: ``(d, d)`` shared covariance (symmetric positive definite).
      pi: ``(K,)`` class priors.
      eta: noise rate in ``[0, (K-1)/K)``.

    Returns:
      ``(X (n, d), y (n,) int, y_obs (n,) int)``.

    Raises:
      ValueError: on malformed ``n``, ``means``, ``Sigma``, ``pi`` or ``eta``.

    References:
      RCAL (arXiv 2211.10955), problem setting (noisy labels on long-tailed data); spec §4.6.
    """
    n = check_int("n", n, min_value=1)
    K, d = _check_model(means, Sigma, pi, eta)
    # one compiled program per (n, K, d) (op by op: ~20)
    return _sample_noisy_longtail(key, jnp.asarray(means, float), Sigma, pi, eta, n)


@functools.partial(jax.jit, static_argnums=5)
def _sample_noisy_longtail(key, means, Sigma, pi, eta, n):
    K, d = means.shape
    ky, kx, kf, ko = jax.random.split(key, 4)
    y = jax.random.categorical(ky, jnp.log(jnp.asarray(pi, means.dtype)), shape=(n,))
    L = jnp.linalg.cholesky(jnp.asarray(Sigma, means.dtype))
    X = means[y] + jax.random.normal(kx, (n, d), means.dtype) @ L.T
    flip = jax.random.bernoulli(kf, eta, (n,))
    other = (y + jax.random.randint(ko, (n,), 1, K)) % K
    return X, y, jnp.where(flip, other, y)


def noisy_class_stats(means, Sigma, pi, eta):
    """Exact law of each *observed* class: frequency, mislabel fraction, mean and covariance.

    With ``T_{jk} = P(y_obs = k | y = j)`` (``1 - eta`` on the diagonal, ``eta/(K-1)`` off it):

    .. math::
       \\tilde p_k = \\sum_j \\pi_j T_{jk},\\quad
       w_{jk} = \\pi_j T_{jk} / \\tilde p_k,\\quad
       \\nu_k = 1 - w_{kk}
       = \\frac{\\tfrac{\\eta}{K-1}\\sum_{j\\ne k}\\pi_j}
              {(1-\\eta)\\pi_k + \\tfrac{\\eta}{K-1}\\sum_{j\\ne k}\\pi_j},

    .. math::
       \\tilde\\mu_k = \\sum_j w_{jk}\\mu_j,\\qquad
       \\tilde\\Sigma_k = \\Sigma + \\sum_j w_{jk}(\\mu_j-\\tilde\\mu_k)(\\mu_j-\\tilde\\mu_k)^\\top.

    ``nu_k -> 1`` as ``pi_k -> 0`` for any ``eta > 0``: the tail class's observed sample is mostly
    mislabelled head data (the "dilemma" of the paper's title).

    Args:
      means: ``(K, d)``; Sigma: ``(d, d)`` SPD; pi: ``(K,)`` priors; eta: noise rate.

    Returns:
      ``(p_obs (K,), nu (K,), mu_tilde (K, d), Sigma_tilde (K, d, d))``.

    Raises:
      ValueError: on malformed inputs (see :func:`sample_noisy_longtail`).

    References:
      Lab's derived statement (mixture moments), ``theory/semisup_dro.md`` §RCAL; spec §4.6.
    """
    _check_model(means, Sigma, pi, eta)
    means = jnp.asarray(means, float)
    K = means.shape[0]
    T = _transition(K, eta, means.dtype)
    joint = jnp.asarray(pi, means.dtype)[:, None] * T  # (j, k)
    p_obs = joint.sum(axis=0)
    w = joint / p_obs[None, :]
    nu = 1.0 - jnp.diagonal(w)
    mu_t = w.T @ means
    dev = means[None, :, :] - mu_t[:, None, :]  # (k, j, d)
    S_t = jnp.asarray(Sigma, means.dtype)[None] + jnp.einsum("jk,kja,kjb->kab", w, dev, dev)
    return p_obs, nu, mu_t, S_t


def _check_data(X, y_obs, K):
    check_array("X", X, ndim=2)
    check_nonempty("X", X)
    K = check_int("K", K, min_value=2)
    check_labels("y_obs", y_obs, K, n=np.shape(X)[0])
    if not is_traced(y_obs):
        counts = np.bincount(np.asarray(y_obs), minlength=K)
        if counts.min() < 2:
            raise ValueError(
                f"`y_obs` must hold every class at least twice; counts {counts.tolist()}."
            )
    return K


@functools.partial(jax.jit, static_argnums=2)
def _naive(X, y_obs, K):
    oh = jax.nn.one_hot(y_obs, K, dtype=X.dtype)  # (n, K)
    cnt = oh.sum(axis=0)
    means = (oh.T @ X) / cnt[:, None]
    R = X - means[y_obs]
    S = (R.T @ R) / X.shape[0]
    return means, 0.5 * (S + S.T), cnt / X.shape[0]


def naive_class_stats(X, y_obs, K: int):
    """Naive per-observed-class Gaussian fit: class means and the pooled within-class covariance.

    .. math:: \\hat\\mu_k = \\frac{1}{n_k}\\sum_{i: \\tilde y_i = k} x_i,\\qquad
       \\hat\\Sigma = \\frac1n \\sum_i (x_i - \\hat\\mu_{\\tilde y_i})(x_i - \\hat\\mu_{\\tilde y_i})^\\top.

    Its population limit is ``(mu_tilde, sum_k p_obs_k Sigma_tilde_k)`` of :func:`noisy_class_stats`.

    Args:
      X: ``(n, d)`` inputs; y_obs: ``(n,)`` observed labels in ``[0, K)`` (each class at least
        twice); K: number of classes.

    Returns:
      ``(means (K, d), Sigma_pooled (d, d), freq (K,))``.

    Raises:
      ValueError: on malformed ``X``, ``y_obs`` (out of range, a class with < 2 points) or ``K``.

    References:
      RCAL (arXiv 2211.10955): the polluted statistics that the recovery starts from; spec §4.6 (i).
    """
    K = _check_data(X, y_obs, K)
    return _naive(jnp.asarray(X, float), jnp.asarray(y_obs), K)


def chi2_quantile(d: int, level):
    """Quantile of the chi-square law with ``d`` degrees of freedom (bisection on ``gammainc``).

    .. math:: P\\big(\\chi^2_d \\le q\\big) = \\gamma(d/2, q/2)/\\Gamma(d/2) = \\text{level}.

    Args:
      d: degrees of freedom (``>= 1``).
      level: probability in ``(0, 1)``.

    Returns:
      Scalar ``q``.

    Raises:
      ValueError: if ``d < 1`` or ``level`` is outside ``(0, 1)``.
    """
    d = check_int("d", d, min_value=1)
    check_probability("level", level, open_interval=True)
    return _chi2_q(d, level)


@functools.partial(jax.jit, static_argnums=0)
def _chi2_q(d, level):
    def body(_, c):
        lo, hi = c
        mid = 0.5 * (lo + hi)
        below = gammainc(d / 2.0, mid / 2.0) < level
        return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

    lo, hi = jax.lax.fori_loop(0, 200, body, (jnp.asarray(0.0), jnp.asarray(10.0 * d + 200.0)))
    return 0.5 * (lo + hi)


def _maha2(X, m, S):
    R = X - m
    return jnp.sum(R * jnp.linalg.solve(S, R.T).T, axis=1)


@functools.partial(jax.jit, static_argnums=(2, 4))
def _trimmed(X, y_obs, K, level, iters):
    d = X.shape[1]
    q = _chi2_q(d, level)
    # consistency factor of the covariance of a Gaussian truncated to its q-ball
    c = gammainc(d / 2.0 + 1.0, q / 2.0) / gammainc(d / 2.0, q / 2.0)
    counts = jnp.zeros(K).at[y_obs].add(1.0)
    order = jnp.argsort(-counts)  # head first
    means = jnp.zeros((K, d), X.dtype)
    done = jnp.zeros(K, bool)
    Sigma = jnp.eye(d, dtype=X.dtype)
    for t in range(K):  # static loop over classes
        k = order[t]
        own = y_obs == k
        # exclude points inside the q-ball of any class recovered before (larger classes)
        inside = jax.vmap(lambda m: _maha2(X, m, Sigma) <= q)(means)  # (K, n)
        excl = jnp.any(inside & done[:, None], axis=0)
        w = own & ~excl
        # robust start: coordinate-wise median and MAD of the kept points
        Xw = jnp.where(w[:, None], X, jnp.nan)
        m = jnp.nanmedian(Xw, axis=0)
        mad = 1.4826 * jnp.nanmedian(jnp.abs(Xw - m), axis=0)
        S0 = jnp.diag(jnp.maximum(mad, 1e-12) ** 2)
        S_start = jnp.where(t == 0, S0, Sigma)

        def body(m, _, w=w, S=S_start):
            keep = (w & (_maha2(X, m, S) <= q)).astype(X.dtype)
            return (keep @ X) / jnp.maximum(keep.sum(), 1.0), None

        m, _ = jax.lax.scan(body, m, None, length=iters)
        if t == 0:  # the head class estimates the shared covariance once, from its final ball
            keep = (w & (_maha2(X, m, S_start) <= q)).astype(X.dtype)
            R = (X - m) * keep[:, None]
            S = (R.T @ R) / jnp.maximum(keep.sum(), 1.0) / c
            S = 0.5 * (S + S.T)
        if t == 0:
            Sigma = S
        means = means.at[k].set(m)
        done = done.at[k].set(True)
    return means, Sigma


def trimmed_class_stats(X, y_obs, K: int, level=0.99, iters: int = 20):
    """Head-first trimming recovery of the clean class Gaussians [reconstruction of RCAL].

    Classes are processed from the most to the least frequent observed class. For class ``k``:

    1. drop its points that fall inside the ``chi^2_{d, level}`` Mahalanobis ball of any class
       recovered before it (mislabelled head points; at most ``1 - level`` of them survive);
    2. start at the coordinate-wise median and iterate ``iters`` times: keep the points with
       ``(x - m)^T S^{-1} (x - m) <= q``, set ``m`` to their mean. For the head class ``S`` is the
       diagonal MAD scatter (``(1.4826 MAD)^2``) during the iterations, and at the end the
       covariance of the kept points divided by the truncation factor
       ``c = P(chi^2_{d+2} <= q) / P(chi^2_d <= q)`` (so that ``S -> Sigma`` for clean data);
       updating ``S`` inside the loop has a second fixed point at the contaminated mixture;
    3. every class uses the head class's covariance (RCAL borrows tail statistics from head
       classes [paper, intro; details reconstruction]).

    Step 1 is what lets the recovery survive a mislabel fraction ``nu_k > 1/2`` (the tail), where a
    class's own trimmed mean breaks down; its cost is a truncation bias of order the tail mass
    inside the head's ball.

    Args:
      X: ``(n, d)``; y_obs: ``(n,)`` labels in ``[0, K)`` (each class at least twice); K: classes;
      level: ball probability in ``(0, 1)``; iters: trimming iterations (``>= 1``, static).

    Returns:
      ``(means (K, d), Sigma (d, d))``.

    Raises:
      ValueError: on malformed ``X``, ``y_obs``, ``K``, ``level`` or ``iters``.

    References:
      RCAL (arXiv 2211.10955), "recover underlying representation distributions from polluted ones"
      [paper, abstract]; the trimming rule is the lab's [reconstruction]; spec §4.6 (ii).
    """
    K = _check_data(X, y_obs, K)
    check_probability("level", level, open_interval=True)
    iters = check_int("iters", iters, min_value=1)
    return _trimmed(jnp.asarray(X, float), jnp.asarray(y_obs), K, level, iters)


def em_class_stats(key, X, y_obs, K: int, iters: int = 50):
    """Label-free recovery: the lab's EM on ``X``, clusters named by majority noisy label.

    ``em_gmm`` (k-means++ start, isotropic unit-variance components, uniform weights) fits ``K``
    means without labels; ``fit_cluster_labels`` maps each cluster to its majority observed label
    (correct whenever ``eta < (K-1)/K`` and the cluster is pure). Covariance: ``I_d`` (the EM model).

    Args:
      key: PRNG key (EM initialisation); X: ``(n, d)``; y_obs: ``(n,)`` labels in ``[0, K)``;
      K: classes (``<= n``); iters: EM steps (``>= 1``, static).

    Returns:
      ``(means (K, d), Sigma (d, d), ok)``: ``ok`` is ``False`` when two clusters got the same
      label (then the class without a cluster keeps the mean of its best cluster, and the result
      should be reported as a failure, not used).

    Raises:
      ValueError: on malformed ``X``, ``y_obs``, ``K`` or ``iters``.

    References:
      :func:`unlearnlab.pretraining.em_gmm`, :func:`unlearnlab.pretraining.fit_cluster_labels`;
      spec §4.6 (iii).
    """
    K = _check_data(X, y_obs, K)
    iters = check_int("iters", iters, min_value=1)
    X = jnp.asarray(X, float)
    _check_em(X, K, iters)  # em_gmm's checks, before the compiled program
    # one compiled program per (K, iters) (op by op: EM set-up, labelling and matching, ~45)
    return _em_class_stats(key, X, jnp.asarray(y_obs), K, iters)


@functools.partial(jax.jit, static_argnums=(3, 4))
def _em_class_stats(key, X, y_obs, K, iters):
    mh = _em_gmm(key, X, K, iters)
    table = _cluster_table(mh, X, y_obs, K)
    # class k <- the first cluster labelled k (or cluster k if none)
    hit = table[None, :] == jnp.arange(K)[:, None]  # (class, cluster)
    idx = jnp.where(hit.any(axis=1), jnp.argmax(hit, axis=1), jnp.arange(K))
    ok = jnp.all(hit.any(axis=1))
    return mh[idx], jnp.eye(X.shape[1], dtype=X.dtype), ok


def binary_lda_errors(mu0_hat, mu1_hat, Sigma_hat, pi1_fit, mu0, mu1, Sigma):
    """Exact clean per-class and balanced errors of LDA fitted on (estimated) binary statistics.

    ``(w, b) = lda_population_fit(mu0_hat, mu1_hat, Sigma_hat, pi1_fit)``; on clean classes
    ``x | y ~ N(mu_y, Sigma)`` with ``s = sqrt(w^T Sigma w)``:

    .. math:: e_1 = \\Phi\\big(-(w^\\top\\mu_1 + b)/s\\big),\\quad
       e_0 = \\Phi\\big((w^\\top\\mu_0 + b)/s\\big),\\quad
       e_{\\rm bal} = (e_0 + e_1)/2.

    ``pi1_fit = 1/2`` is the balanced classifier (equal-size samples drawn from the recovered
    Gaussians, ``m -> infinity``); ``pi1_fit = p_obs_1`` is plain LDA on the noisy data.

    Args:
      mu0_hat, mu1_hat: ``(d,)`` estimated means; Sigma_hat: ``(d, d)`` estimated covariance;
      pi1_fit: prior used in the fit, in ``(0, 1)``; mu0, mu1: ``(d,)`` true means;
      Sigma: ``(d, d)`` true covariance.

    Returns:
      ``(e0, e1, e_bal)`` scalars (class-0 error, class-1 error, balanced error).

    Raises:
      ValueError: on malformed means, covariances or ``pi1_fit``.

    References:
      :func:`unlearnlab.unlearning.lda_population_fit`, :func:`unlearnlab.unlearning.linear_clean_error`.
    """
    for name, v in (("mu0_hat", mu0_hat), ("mu1_hat", mu1_hat), ("mu0", mu0), ("mu1", mu1)):
        check_array(name, v, ndim=1)
        check_nonempty(name, v)
        check_shape(name, v, np.shape(mu0))
    d = np.shape(mu0)[0]
    for name, v in (("Sigma_hat", Sigma_hat), ("Sigma", Sigma)):
        check_sym_matrix(name, v, definite="pd")
        check_shape(name, v, (d, d))
    check_probability("pi1_fit", pi1_fit, open_interval=True)
    w, b = lda_population_fit(mu0_hat, mu1_hat, Sigma_hat, pi1_fit)
    e_bal = linear_clean_error(w, b, mu0, mu1, Sigma, 0.5)
    s = jnp.sqrt(w @ Sigma @ w)
    e1 = ndtr(-(w @ mu1 + b) / s)
    e0 = ndtr((w @ mu0 + b) / s)
    return e0, e1, e_bal
