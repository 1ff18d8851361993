"""Audit metrics for unlearning: ROC/AUC with standard errors, U-LiRA scores, KLoM, linear CKA.

Shared metric code for every unlearning method in the lab (ACU's loss-threshold attack reuses
:func:`roc_curve` and :func:`auc_with_se`). All functions are pure and jittable; the boundary
checks run on concrete inputs and are skipped under tracing.

References:
  Hanley & McNeil (1982), *The meaning and use of the area under a ROC curve*, eq. (1)-(2).
  Carlini et al. (2022), *Membership inference attacks from first principles* (LiRA), Sec. IV.
  Hayes et al. (2024), *Inexact unlearning needs more careful evaluations* (U-LiRA).
  Dong, Roth, Su (2022), *Gaussian differential privacy*, trade-off function ``G_mu``.
  Georgiev et al. (2025), arXiv 2410.23232, KLoM (authors' code, data-unlearning-bench/src/eval.py).
  Kornblith et al. (2019), *Similarity of neural network representations revisited* (linear CKA).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr, ndtri

from unlearnlab.lab.checks import (
    check_array,
    check_in_range,
    check_int,
    check_positive,
    check_probability,
    is_traced,
)

__all__ = [
    "roc_curve",
    "auc_with_se",
    "tpr_at_fpr",
    "gaussian_optimal_roc",
    "binormal_lr_roc",
    "gdp_tradeoff",
    "lira_scores",
    "klom",
    "klom_null_bias",
    "klom_delta_bias",
    "gaussian_kl",
    "linear_cka",
]


def _check_scores(scores_pos, scores_neg):
    check_array("scores_pos", scores_pos, ndim=1)
    check_array("scores_neg", scores_neg, ndim=1)
    if jnp.shape(scores_pos)[0] < 1 or jnp.shape(scores_neg)[0] < 1:
        raise ValueError("`scores_pos` and `scores_neg` must each hold at least one score.")


def roc_curve(scores_pos, scores_neg, n_thresh: int = 1001):
    """Empirical ROC of the test "member if score > t" over a grid of thresholds.

    The thresholds are ``-inf`` followed by the ``j/(n_thresh-1)`` quantiles (``j = 1..n_thresh-1``)
    of the pooled scores, so the curve runs from ``(0, 0)`` to ``(1, 1)`` and is dense where the
    scores are::

        TPR(t) = #{s in scores_pos : s > t} / n_pos,   FPR(t) = #{s in scores_neg : s > t} / n_neg.

    Args:
      scores_pos: ``(n_pos,)`` attack scores of members (higher = "member").
      scores_neg: ``(n_neg,)`` attack scores of non-members.
      n_thresh: number of thresholds (a static Python int >= 2).

    Returns:
      ``(fpr, tpr)``, each ``(n_thresh,)``, ordered by increasing FPR (decreasing threshold).
    """
    _check_scores(scores_pos, scores_neg)
    n_thresh = check_int("n_thresh", n_thresh, min_value=2)
    pooled = jnp.concatenate([scores_pos, scores_neg])
    qs = jnp.quantile(pooled, jnp.linspace(0.0, 1.0, n_thresh)[1:])
    thr = jnp.concatenate([jnp.full((1,), -jnp.inf, pooled.dtype), qs])
    sp = jnp.sort(scores_pos)
    sn = jnp.sort(scores_neg)
    # number strictly above t = n - #(s <= t)
    tpr = 1.0 - jnp.searchsorted(sp, thr, side="right") / sp.shape[0]
    fpr = 1.0 - jnp.searchsorted(sn, thr, side="right") / sn.shape[0]
    return fpr[::-1], tpr[::-1]


def auc_with_se(scores_pos, scores_neg):
    """Area under the ROC (Mann-Whitney) and its Hanley-McNeil standard error.

    ``A = P(S_pos > S_neg) + P(S_pos = S_neg) / 2`` estimated over all pairs (ties count half), and
    (Hanley & McNeil 1982, eq. 2), with ``Q1 = A / (2 - A)``, ``Q2 = 2 A^2 / (1 + A)``::

        SE^2 = [A(1 - A) + (n_pos - 1)(Q1 - A^2) + (n_neg - 1)(Q2 - A^2)] / (n_pos n_neg).

    The AUC is invariant under any strictly increasing transformation of the scores.

    Args:
      scores_pos: ``(n_pos,)`` member scores.
      scores_neg: ``(n_neg,)`` non-member scores.

    Returns:
      ``(auc, se)``, two scalars.
    """
    _check_scores(scores_pos, scores_neg)
    sn = jnp.sort(scores_neg)
    n_pos, n_neg = scores_pos.shape[0], sn.shape[0]
    below = jnp.searchsorted(sn, scores_pos, side="left")
    not_above = jnp.searchsorted(sn, scores_pos, side="right")
    wins = jnp.sum(below) + 0.5 * jnp.sum(not_above - below)
    a = wins / (n_pos * n_neg)
    q1 = a / (2.0 - a)
    q2 = 2.0 * a**2 / (1.0 + a)
    var = (a * (1 - a) + (n_pos - 1) * (q1 - a**2) + (n_neg - 1) * (q2 - a**2)) / (n_pos * n_neg)
    return a, jnp.sqrt(jnp.maximum(var, 0.0))


def tpr_at_fpr(scores_pos, scores_neg, alpha: float = 0.01):
    """TPR of the threshold test whose empirical FPR is at most ``alpha``.

    The threshold is the smallest score ``t`` among ``scores_neg`` (or ``+inf``) with
    ``#{s_neg > t} <= floor(alpha n_neg)``; TPR = fraction of ``scores_pos`` above ``t``.

    Returns:
      ``(tpr, fpr)`` scalars (the FPR actually attained, ``<= alpha``).
    """
    _check_scores(scores_pos, scores_neg)
    check_probability("alpha", alpha)
    sn = jnp.sort(scores_neg)
    n_neg = sn.shape[0]
    k = jnp.floor(alpha * n_neg).astype(jnp.int32)  # allowed false positives
    idx = n_neg - 1 - k
    t = jnp.where(idx >= 0, sn[jnp.clip(idx, 0, n_neg - 1)], -jnp.inf)
    dt = jnp.result_type(scores_pos, float)
    tpr = jnp.mean((scores_pos > t).astype(dt))
    fpr = jnp.mean((scores_neg > t).astype(dt))
    return tpr, fpr


def gaussian_optimal_roc(alpha, d_prime):
    """Neyman-Pearson ROC between two equal-variance Gaussians: ``Phi(Phi^{-1}(alpha) + d')``.

    ``d' = |mu_in - mu_out| / s``; the area under it is ``Phi(d' / sqrt 2)``.

    Args:
      alpha: false-positive rate(s) in [0, 1], any shape.
      d_prime: separation ``d' >= 0`` (broadcasts with ``alpha``).

    Returns:
      TPR, the broadcast shape of the inputs.

    Raises:
      ValueError: if ``alpha`` leaves [0, 1] or ``d_prime`` is negative or non-finite.
    """
    check_probability("alpha", alpha)
    check_array("d_prime", d_prime)
    check_in_range("d_prime", d_prime, 0.0)
    # one compiled program (ndtri alone is a few dozen primitives when run op by op)
    return _gaussian_optimal_roc(alpha, d_prime)


@jax.jit
def _gaussian_optimal_roc(alpha, d_prime):
    return ndtr(ndtri(jnp.asarray(alpha)) + d_prime)


def gdp_tradeoff(alpha, mu):
    """Gaussian-DP trade-off function ``T_mu(alpha) = Phi(Phi^{-1}(1 - alpha) - mu)``.

    ``T_mu(alpha)`` is the smallest type-II error (1 - TPR) of any test of level ``alpha`` between the
    outputs on neighbouring datasets of a ``mu``-GDP mechanism (Dong, Roth, Su 2022, Def. 2.6), so
    every membership attack has ``TPR <= 1 - T_mu(FPR)``. Group privacy: ``k`` changed records
    give ``k mu``-GDP (ibid., Thm 2.14).

    Args:
      alpha: type-I error(s) in [0, 1].
      mu: GDP parameter ``mu >= 0``.

    Returns:
      ``T_mu(alpha)``, the broadcast shape.
    """
    check_probability("alpha", alpha)
    check_array("mu", mu)
    check_in_range("mu", mu, 0.0)
    return ndtr(ndtri(1.0 - jnp.asarray(alpha)) - mu)


def binormal_lr_roc(mu_in, s_in, mu_out, s_out, n_thresh: int = 2001):
    """Exact ROC of the likelihood-ratio test between ``N(mu_in, s_in^2)`` and ``N(mu_out, s_out^2)``.

    Per point ``i`` the LR statistic is quadratic in the observation ``m``::

        Lambda_i(m) = log N(m; mu_in, s_in^2) - log N(m; mu_out, s_out^2) = a m^2 + b m + c,

    and ``P(Lambda_i > t)`` is a sum of normal tail probabilities between the roots. With several
    points (arrays of parameters) the pooled curve is the average over points at a common
    threshold ``t``, which is what pooling LiRA scores over targets computes.

    Args:
      mu_in, s_in, mu_out, s_out: ``(n_points,)`` Gaussian parameters (``s > 0``).
      n_thresh: number of thresholds (quantiles of ``Lambda`` over normal-quantile probes of both
        laws, plus ``-inf`` and ``+inf``).

    Returns:
      ``(fpr, tpr)``, each ``(n_thresh,)``, in increasing FPR.

    Raises:
      ValueError: on non-finite, empty or mis-shaped parameter vectors (all the shape of ``mu_in``),
        non-positive ``s_in`` / ``s_out``, or ``n_thresh < 2``.
    """
    for name, v in (("mu_in", mu_in), ("s_in", s_in), ("mu_out", mu_out), ("s_out", s_out)):
        check_array(name, v, ndim=1)
    if jnp.shape(mu_in)[0] < 1:
        raise ValueError("`mu_in` must hold at least one point.")
    for name, v in (("s_in", s_in), ("mu_out", mu_out), ("s_out", s_out)):
        if jnp.shape(v) != jnp.shape(mu_in):
            raise ValueError(
                f"`{name}` must have the shape of `mu_in` {jnp.shape(mu_in)}; got {jnp.shape(v)}."
            )
    n_thresh = check_int("n_thresh", n_thresh, min_value=2)
    for name, v in (("s_in", s_in), ("s_out", s_out)):
        check_in_range(name, v, 0.0, lo_open=True)
    # one compiled program per n_thresh (op by op the tail probabilities and quantiles are ~90)
    return _binormal_lr_roc(mu_in, s_in, mu_out, s_out, n_thresh)


@partial(jax.jit, static_argnums=4)
def _binormal_lr_roc(mu_in, s_in, mu_out, s_out, n_thresh):
    a = 0.5 / s_out**2 - 0.5 / s_in**2
    b = mu_in / s_in**2 - mu_out / s_out**2
    c = 0.5 * mu_out**2 / s_out**2 - 0.5 * mu_in**2 / s_in**2 + jnp.log(s_out / s_in)

    def tail(t, mu, s):
        # P(a m^2 + b m + c > t) for m ~ N(mu, s^2), per point
        small = jnp.abs(a) < 1e-12 * (jnp.abs(b) + 1e-300) / (jnp.abs(mu) + s + 1.0)
        # linear case: b m > t - c
        lin_root = (t - c) / jnp.where(b == 0, 1.0, b)
        lin = jnp.where(
            b > 0,
            1.0 - ndtr((lin_root - mu) / s),
            jnp.where(b < 0, ndtr((lin_root - mu) / s), (c > t).astype(mu.dtype)),
        )
        a_ = jnp.where(small, 1.0, a)
        disc = b**2 - 4 * a_ * (c - t)
        sq = jnp.sqrt(jnp.maximum(disc, 0.0))
        r1 = (-b - sq) / (2 * a_)
        r2 = (-b + sq) / (2 * a_)
        lo, hi = jnp.minimum(r1, r2), jnp.maximum(r1, r2)
        between = ndtr((hi - mu) / s) - ndtr((lo - mu) / s)
        quad = jnp.where(
            a_ > 0, jnp.where(disc > 0, 1.0 - between, 1.0), jnp.where(disc > 0, between, 0.0)
        )
        return jnp.where(small, lin, quad)

    # thresholds: quantiles of Lambda over probe points placed at normal quantiles of both laws
    # of every point (adapts to any scale difference between the in and out distributions)
    zq = ndtri(jnp.linspace(1e-7, 1 - 1e-7, 129))[:, None]
    probe = jnp.concatenate([mu_in + s_in * zq, mu_out + s_out * zq])
    lam = (a * probe**2 + b * probe + c).ravel()
    qs = jnp.quantile(lam, jnp.linspace(0.0, 1.0, n_thresh - 2))
    ts = jnp.concatenate([jnp.array([-jnp.inf]), qs, jnp.array([jnp.inf])])
    tpr = jax.vmap(lambda t: jnp.mean(tail(t, mu_in, s_in)))(ts)
    fpr = jax.vmap(lambda t: jnp.mean(tail(t, mu_out, s_out)))(ts)
    order = jnp.argsort(fpr + 1e-15 * tpr)
    return fpr[order], tpr[order]


def lira_scores(m_target, m_in, m_out, min_std: float = 1e-12):
    """(U-)LiRA likelihood-ratio statistic per target example, from shadow-model margins.

    For each example a Gaussian is fitted to the "in" shadow margins (trained with it, or trained
    and then unlearned with it in the forget set -- U-LiRA) and to the "out" margins (oracles
    trained without it)::

        Lambda(m) = log N(m; mu_in, s_in^2) - log N(m; mu_out, s_out^2).

    Large ``Lambda`` = "member / not forgotten".

    Args:
      m_target: ``(n_eval,)`` margins of the audited model(s) on the target examples
        (or ``(n_models, n_eval)``).
      m_in: ``(K_in, n_eval)`` shadow "in" margins.
      m_out: ``(K_out, n_eval)`` shadow "out" margins.
      min_std: floor on the fitted standard deviations.

    Returns:
      ``Lambda``, the shape of ``m_target``.

    Raises:
      ValueError: on non-finite or mis-shaped margins (one column of ``m_in``, ``m_out`` per target
        of ``m_target``; at least 2 shadow models each) or a non-positive ``min_std``.
    """
    check_array("m_target", m_target, ndim=(1, 2))
    check_array("m_in", m_in, ndim=2)
    check_array("m_out", m_out, ndim=2)
    check_positive("min_std", min_std)
    n_eval = jnp.shape(m_target)[-1]
    if jnp.shape(m_in)[1] != n_eval or jnp.shape(m_out)[1] != n_eval:
        raise ValueError(
            f"`m_in` and `m_out` must have {n_eval} columns (one per target of `m_target`); "
            f"got {jnp.shape(m_in)} and {jnp.shape(m_out)}."
        )
    if jnp.shape(m_in)[0] < 2 or jnp.shape(m_out)[0] < 2:
        raise ValueError("`m_in` and `m_out` need at least 2 shadow models each.")
    mu_in, s_in = m_in.mean(0), jnp.maximum(m_in.std(0, ddof=1), min_std)
    mu_out, s_out = m_out.mean(0), jnp.maximum(m_out.std(0, ddof=1), min_std)

    def logn(m, mu, s):
        return -0.5 * ((m - mu) / s) ** 2 - jnp.log(s)

    return logn(m_target, mu_in, s_in) - logn(m_target, mu_out, s_out)


# ----------------------------------------------------------------------------------------- KLoM


def _check_margin_sets(unl_margins, orc_margins):
    check_array("unl_margins", unl_margins, ndim=2)
    check_array("orc_margins", orc_margins, ndim=2)
    if jnp.shape(unl_margins)[1] != jnp.shape(orc_margins)[1]:
        raise ValueError(
            "`unl_margins` and `orc_margins` must have the same number of eval points (columns); "
            f"got {jnp.shape(unl_margins)} and {jnp.shape(orc_margins)}."
        )
    if jnp.shape(unl_margins)[0] < 1 or jnp.shape(orc_margins)[0] < 1:
        raise ValueError("`unl_margins` and `orc_margins` need at least one model each.")


def _klom_one(p_samples, q_samples, bins, eps, clip):
    p = jnp.clip(p_samples, -clip, clip)
    q = jnp.clip(q_samples, -clip, clip)
    lo = jnp.minimum(p.min(), q.min())
    hi = jnp.maximum(p.max(), q.max())
    degenerate = hi <= lo
    # numpy.histogram widens an empty range to [lo - 0.5, hi + 0.5]
    lo = jnp.where(degenerate, lo - 0.5, lo)
    width = jnp.where(degenerate, 1.0, hi - lo)

    def hist(v):
        idx = jnp.floor((v - lo) / width * bins).astype(jnp.int32)
        idx = jnp.clip(idx, 0, bins - 1)  # the right edge belongs to the last bin
        counts = jnp.zeros(bins, v.dtype).at[idx].add(1.0)
        return counts / v.shape[0]

    ph, qh = hist(p), hist(q)
    qh = jnp.where(ph > 0, jnp.maximum(qh, eps), qh)
    terms = jnp.where(ph > 0, ph * jnp.log(ph / jnp.where(qh > 0, qh, 1.0)), 0.0)
    return jnp.sum(terms)


def klom(unl_margins, orc_margins, bins: int = 20, eps: float = 1e-5, clip: float = 100.0):
    """KL divergence of margins (KLoM) between unlearned and oracle models, per eval point.

    Procedure of the authors' code (Georgiev et al. 2025; data-unlearning-bench ``src/eval.py``):
    clip both margin sets to ``[-clip, clip]``, histogram them on ``bins`` equal-width bins over
    their joint range, floor the oracle histogram at ``eps`` where the unlearned one is positive,
    and return::

        KLoM(x) = sum_b p_b log(p_b / q_b),   p = hist(unlearned), q = hist(oracle).

    The estimate is biased upwards even when the two distributions are equal; report
    :func:`klom_null_bias` beside it.

    Args:
      unl_margins: ``(K, n_eval)`` margins of ``K`` unlearned models.
      orc_margins: ``(K', n_eval)`` margins of ``K'`` oracle (retrained) models.
      bins: number of bins ``B``.
      eps: floor on the oracle histogram.
      clip: clipping level.

    Returns:
      ``(n_eval,)`` KLoM values (>= 0).
    """
    _check_margin_sets(unl_margins, orc_margins)
    bins = check_int("bins", bins, min_value=1)
    check_positive("eps", eps)
    check_positive("clip", clip)
    # one compiled program per bin count (the histograms are ~50 programs op by op)
    return _klom(unl_margins, orc_margins, bins, eps, clip)


@partial(jax.jit, static_argnums=2)
def _klom(unl_margins, orc_margins, bins, eps, clip):
    return jax.vmap(lambda p, q: _klom_one(p, q, bins, eps, clip), in_axes=(1, 1))(
        unl_margins, orc_margins
    )


def klom_null_bias(
    key,
    unl_margins,
    orc_margins,
    bins: int = 20,
    n_perm: int = 32,
    eps: float = 1e-5,
    clip: float = 100.0,
):
    """Permutation estimate of KLoM's value when unlearned and oracle margins are equal in law.

    Pools the ``K + K'`` margins of each eval point, splits them at random into sets of sizes ``K``
    and ``K'``, applies :func:`klom`, and averages over ``n_perm`` splits. Under the null this is
    an unbiased estimate of ``E[KLoM]`` for the pooled distribution; it includes the tail term from
    the ``eps`` floor that the delta-method value :func:`klom_delta_bias` misses.

    Args:
      key: PRNG key.
      unl_margins: ``(K, n_eval)``.
      orc_margins: ``(K', n_eval)``.
      bins, eps, clip: as in :func:`klom`.
      n_perm: number of random splits.

    Returns:
      ``(n_eval,)`` null means.

    Raises:
      ValueError: on non-finite or mis-shaped margins, ``bins`` or ``n_perm`` below 1, or a
        non-positive ``eps`` or ``clip``.
    """
    _check_margin_sets(unl_margins, orc_margins)
    n_perm = check_int("n_perm", n_perm, min_value=1)
    bins = check_int("bins", bins, min_value=1)
    check_positive("eps", eps)
    check_positive("clip", clip)
    # one compiled program per (bins, n_perm)
    return _klom_null_bias(key, unl_margins, orc_margins, bins, n_perm, eps, clip)


@partial(jax.jit, static_argnums=(3, 4))
def _klom_null_bias(key, unl_margins, orc_margins, bins, n_perm, eps, clip):
    k = unl_margins.shape[0]
    pooled = jnp.concatenate([unl_margins, orc_margins], axis=0)

    def one(kk):
        perm = jax.random.permutation(kk, pooled.shape[0])
        sh = pooled[perm]
        return jax.vmap(lambda p, q: _klom_one(p, q, bins, eps, clip), in_axes=(1, 1))(
            sh[:k], sh[k:]
        )

    return jnp.mean(jax.vmap(one)(jax.random.split(key, n_perm)), axis=0)


def klom_delta_bias(unl_margins, orc_margins, bins: int = 20, clip: float = 100.0):
    """Delta-method term of KLoM's null bias: ``(B_occ - 1) / K`` per eval point.

    ``B_occ`` is the number of bins occupied by the pooled margins (the bins of :func:`klom`),
    ``K`` the number of unlearned models. This is the first-order bias of the plug-in KL between
    two samples of one law (derived); it misses the ``eps``-floor tail term (see the theory note).

    Returns:
      ``(n_eval,)``.

    Raises:
      ValueError: on non-finite or mis-shaped margins, ``bins < 1`` or a non-positive ``clip``.
    """
    _check_margin_sets(unl_margins, orc_margins)
    bins = check_int("bins", bins, min_value=1)
    check_positive("clip", clip)
    # one compiled program per bin count
    return _klom_delta_bias(unl_margins, orc_margins, bins, clip)


@partial(jax.jit, static_argnums=2)
def _klom_delta_bias(unl_margins, orc_margins, bins, clip):
    k = unl_margins.shape[0]

    def occ(p, q):
        v = jnp.clip(jnp.concatenate([p, q]), -clip, clip)
        lo, hi = v.min(), v.max()
        width = jnp.where(hi > lo, hi - lo, 1.0)
        idx = jnp.clip(jnp.floor((v - lo) / width * bins).astype(jnp.int32), 0, bins - 1)
        return jnp.sum(jnp.zeros(bins).at[idx].add(1.0) > 0)

    b_occ = jax.vmap(occ, in_axes=(1, 1))(unl_margins, orc_margins)
    return (b_occ - 1) / k


def gaussian_kl(mu1, s1, mu0, s0):
    """``KL(N(mu1, s1^2) || N(mu0, s0^2)) = log(s0/s1) + (s1^2 + (mu1 - mu0)^2) / (2 s0^2) - 1/2``.

    Raises:
      ValueError: on non-finite ``mu1``, ``mu0``, ``s1``, ``s0`` or non-positive ``s1``, ``s0``.
    """
    check_array("mu1", mu1)
    check_array("mu0", mu0)
    for name, v in (("s1", s1), ("s0", s0)):
        check_array(name, v)
        check_in_range(name, v, 0.0, lo_open=True)
    return jnp.log(s0 / s1) + (s1**2 + (mu1 - mu0) ** 2) / (2 * s0**2) - 0.5


# ------------------------------------------------------------------------------------------ CKA


def linear_cka(X, Y):
    """Linear centred kernel alignment between two representations of the same ``n`` inputs.

    With column-centred ``X_c``, ``Y_c`` (Kornblith et al. 2019, eq. for linear CKA)::

        CKA(X, Y) = ||Y_c^T X_c||_F^2 / (||X_c^T X_c||_F ||Y_c^T Y_c||_F)   in [0, 1].

    Invariant to orthogonal transformations and isotropic scaling of either representation.

    Args:
      X: ``(n, p)`` features.
      Y: ``(n, q)`` features of the same inputs.

    Returns:
      Scalar CKA.
    """
    check_array("X", X, ndim=2)
    check_array("Y", Y, ndim=2)
    if jnp.shape(X)[0] != jnp.shape(Y)[0]:
        raise ValueError(
            f"`X` and `Y` must have the same rows; got {jnp.shape(X)} and {jnp.shape(Y)}."
        )
    if jnp.shape(X)[0] < 2:
        raise ValueError("`X` needs at least 2 rows.")
    for name, v in (("X", X), ("Y", Y)):
        if not is_traced(v) and not bool(np.any(np.asarray(v) != np.asarray(v)[:1])):
            raise ValueError(f"`{name}` must not be constant over rows (CKA is 0/0 there).")
    Xc = X - X.mean(0)
    Yc = Y - Y.mean(0)
    num = jnp.sum((Yc.T @ Xc) ** 2)
    den = jnp.linalg.norm(Xc.T @ Xc) * jnp.linalg.norm(Yc.T @ Yc)
    return num / den
