"""Bayes-error unlearnable examples in a Gaussian world (the analyzable core of BEO).

Zhang, Sun, Lim, Zhang, *Provably Unlearnable Examples via Bayes Error Optimisation*, arXiv
2511.08191: protect data by maximising an estimated Bayes error under an ``L_p`` budget with
projected gradient ascent (PGA). Here the classes are Gaussian, ``x | y ~ N(mu_y, Sigma)``, and
the protection is a class-wise shift ``x -> x + delta_y``, ``||delta_y||_p <= eps``; the Bayes error
is then exact and maximising it is a convex problem (derived, ``theory/beo_gaussian.md``)::

    beta* = pi1 Phi(-Delta/2 - c/Delta) + pi0 Phi(-Delta/2 + c/Delta),
    Delta = ||Sigma^{-1/2}(mu1 - mu0)||,  c = log(pi1/pi0).

The plug-in KDE estimator (:func:`kde_bayes_error`) stands in for the paper's estimator (which
could not be read); KDE plug-in Bayes-error estimates are biased in high dimension -- use them
only for ``d <= 10``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonempty,
    check_nonnegative,
    check_positive,
    check_probability,
    check_probability_vector,
    is_traced,
)

__all__ = [
    "mahalanobis",
    "bayes_error_gaussian",
    "project_lp_ball",
    "optimal_classwise_shift",
    "pga_classwise_shift",
    "bayes_error_mixture_1d",
    "bayes_error_mc",
    "lda_population_fit",
    "linear_clean_error",
    "kde_bayes_error",
    "pga_samplewise",
    "uc_world",
    "uc_perturbations",
    "uc_hacker_error",
    "balanced_labelings",
]


def _check_p(p):
    if p not in (2, "inf"):
        raise ValueError(f"`p` must be 2 or 'inf'; got {p!r}.")


def _check_sigma(Sigma, d, name="Sigma"):
    check_array(name, Sigma, ndim=2)
    if tuple(np.shape(Sigma)) != (d, d):
        raise ValueError(f"`{name}` must have shape ({d}, {d}); got {np.shape(Sigma)}.")
    if not is_traced(Sigma):
        S = np.asarray(Sigma, float)
        if not np.allclose(S, S.T, atol=1e-10 * max(1.0, np.abs(S).max())):
            raise ValueError(f"`{name}` must be symmetric.")
        if np.linalg.eigvalsh(S).min() <= 0:
            raise ValueError(f"`{name}` must be positive definite.")


def _check_means(mu0, mu1):
    check_array("mu0", mu0, ndim=1)
    check_array("mu1", mu1, ndim=1)
    if np.shape(mu0) != np.shape(mu1):
        raise ValueError(
            f"`mu0` and `mu1` must have the same shape; got {np.shape(mu0)}, {np.shape(mu1)}."
        )


def mahalanobis(d, Sigma):
    """``Delta = sqrt(d^T Sigma^{-1} d)``.

    Raises:
      ValueError: on a non-finite or empty ``d``, or a ``Sigma`` that is not ``(d, d)`` SPD.
    """
    check_array("d", d, ndim=1)
    check_nonempty("d", d)
    _check_sigma(Sigma, np.shape(d)[0])
    return jnp.sqrt(d @ jnp.linalg.solve(Sigma, d))


def _beta_from_delta(Delta, pi1):
    pi0 = 1.0 - pi1
    c = jnp.log(pi1 / pi0)
    Dsafe = jnp.maximum(Delta, 1e-300)
    val = pi1 * ndtr(-Dsafe / 2 - c / Dsafe) + pi0 * ndtr(-Dsafe / 2 + c / Dsafe)
    return jnp.where(Delta > 0, val, jnp.minimum(pi0, pi1))


def bayes_error_gaussian(mu0, mu1, Sigma, pi1=0.5):
    """Exact Bayes error of two Gaussian classes with a shared covariance.

    ``beta* = pi1 Phi(-Delta/2 - c/Delta) + pi0 Phi(-Delta/2 + c/Delta)`` (equal priors:
    ``Phi(-Delta/2)``); ``min(pi0, pi1)`` when ``Delta = 0``.

    Args:
      mu0, mu1: ``(d,)`` class means; Sigma: ``(d, d)`` SPD; pi1: ``P(y = 1)`` in ``(0, 1)``.

    Returns:
      Scalar ``beta*``.
    """
    _check_means(mu0, mu1)
    _check_sigma(Sigma, np.shape(mu0)[0])
    check_probability("pi1", pi1, open_interval=True)
    d = mu1 - mu0
    return _beta_from_delta(jnp.sqrt(d @ jnp.linalg.solve(Sigma, d)), pi1)


def _proj(delta, eps, p):
    if p == 2:
        nrm = jnp.linalg.norm(delta)
        return delta * jnp.minimum(1.0, eps / jnp.maximum(nrm, 1e-300))
    return jnp.clip(delta, -eps, eps)


def project_lp_ball(delta, eps, p):
    """Euclidean projection onto ``{||delta||_p <= eps}`` for ``p = 2`` (rescale) or ``"inf"`` (clip).

    Args:
      delta: ``(d,)`` (or ``(n, d)``, projected row by row); eps: ``> 0``; p: ``2`` or ``"inf"``.

    Raises:
      ValueError: on a non-finite ``delta`` with no coordinates, a non-positive ``eps`` or a ``p``
        other than 2 and ``"inf"``.
    """
    check_array("delta", delta, ndim=(1, 2))
    check_nonempty("delta", delta, axis=-1)
    check_positive("eps", eps)
    _check_p(p)
    if delta.ndim == 2:
        return jax.vmap(lambda v: _proj(v, eps, p))(delta)
    return _proj(delta, eps, p)


def optimal_classwise_shift(mu0, mu1, Sigma, eps, p=2, iters: int = 200, box_steps: int = 20000):
    """Reference solver of ``min ||Sigma^{-1/2}(d + delta1 - delta0)||`` s.t. ``||delta_y||_p <= eps``.

    With ``v = delta1 - delta0`` the feasible set is ``{||v||_p <= 2 eps}`` (attained by the equal
    split ``delta1 = v/2 = -delta0``). ``p = 2``: the trust-region solution
    ``v = -(Sigma^{-1} + nu I)^{-1} Sigma^{-1} d`` with ``nu >= 0`` solving ``||v|| = 2 eps`` by
    bisection on ``log nu`` (``||v(nu)||`` decreases in ``nu``), or ``v = -d`` if ``||d|| <= 2 eps``.
    ``p = "inf"``: a box-constrained convex QP solved by ``box_steps`` projected-gradient steps
    with step ``1 / lambda_max(Sigma^{-1})``.

    Returns:
      ``(delta0, delta1)``, each ``(d,)``.

    Raises:
      ValueError: on non-finite or mis-shaped means, a ``Sigma`` that is not SPD, a non-positive
        ``eps``, a ``p`` other than 2 and ``"inf"``, or ``iters`` / ``box_steps`` below 1.
    """
    _check_means(mu0, mu1)
    dim = np.shape(mu0)[0]
    _check_sigma(Sigma, dim)
    check_positive("eps", eps)
    _check_p(p)
    iters = check_int("iters", iters, min_value=1)
    box_steps = check_int("box_steps", box_steps, min_value=1)
    d = mu1 - mu0
    Si = jnp.linalg.inv(Sigma)
    Si = 0.5 * (Si + Si.T)
    if p == 2:
        I = jnp.eye(dim, dtype=d.dtype)

        def v_of(nu):
            return -jnp.linalg.solve(Si + nu * I, Si @ d)

        ev = jnp.linalg.eigvalsh(Si)
        lo, hi = (
            jnp.log(1e-12 * ev[0]),
            jnp.log(ev[-1] * (jnp.linalg.norm(d) / (2 * eps) + 1.0) + 1.0),
        )

        def body(_, c):
            lo, hi = c
            mid = 0.5 * (lo + hi)
            too_long = jnp.linalg.norm(v_of(jnp.exp(mid))) > 2 * eps
            return jnp.where(too_long, mid, lo), jnp.where(too_long, hi, mid)

        lo, hi = jax.lax.fori_loop(0, iters, body, (lo, hi))
        v = v_of(jnp.exp(hi))
        v = jnp.where(jnp.linalg.norm(d) <= 2 * eps, -d, v)
    else:
        L = jnp.linalg.eigvalsh(Si)[-1]

        def body(_, v):
            return jnp.clip(v - (Si @ (d + v)) / L, -2 * eps, 2 * eps)

        v = jax.lax.fori_loop(0, box_steps, body, jnp.zeros_like(d))
    return -0.5 * v, 0.5 * v


def pga_classwise_shift(mu0, mu1, Sigma, eps, p, step, T):
    """Projected gradient ascent on ``-Delta'^2 = -||Sigma^{-1/2}(d + delta1 - delta0)||^2``.

    Each ``delta_y`` starts at 0 and is projected onto its own ``L_p`` ball after every step. The
    problem is convex (norm of an affine map over a convex set), so PGA reaches the global optimum
    of the Bayes error ``beta(Delta')``, which is decreasing in ``Delta'``.

    Args:
      mu0, mu1: ``(d,)``; Sigma: ``(d, d)``; eps: budget; p: ``2 | "inf"``; step: step size;
      T: steps (static).

    Returns:
      ``(delta0 (d,), delta1 (d,), beta (T+1,))`` with the equal-prior Bayes error along the run.
    """
    _check_means(mu0, mu1)
    _check_sigma(Sigma, np.shape(mu0)[0])
    check_positive("eps", eps)
    _check_p(p)
    check_positive("step", step)
    T = check_int("T", T, min_value=0)
    d = mu1 - mu0
    Si = jnp.linalg.inv(Sigma)

    def beta(d0, d1):
        v = d + d1 - d0
        return _beta_from_delta(jnp.sqrt(jnp.maximum(v @ Si @ v, 0.0)), 0.5)

    def body(c, _):
        d0, d1 = c
        g = 2.0 * Si @ (d + d1 - d0)  # gradient of Delta'^2 w.r.t. delta1; -g for delta0
        d1 = _proj(d1 - step * g, eps, p)
        d0 = _proj(d0 + step * g, eps, p)
        return (d0, d1), beta(d0, d1)

    z = jnp.zeros_like(d)
    (d0, d1), betas = jax.lax.scan(body, (z, z), None, length=T)
    return d0, d1, jnp.concatenate([beta(z, z)[None], betas])


def bayes_error_mixture_1d(means0, means1, weights, sigma, pi1=0.5, grid: int = 20001):
    """Bayes error of two 1-D Gaussian mixtures by quadrature: ``beta = int min(pi0 p0, pi1 p1) dx``.

    ``p_y(x) = sum_j weights_j N(x; means_y[j], sigma^2)``. Used when every mean lies on one line
    (isotropic covariance, shifts along ``u = d/||d||``): project the means on ``u``.

    Args:
      means0, means1: ``(J,)``; weights: ``(J,)`` non-negative, summing to 1; sigma: ``> 0``;
      pi1: prior; grid: number of trapezoid nodes over ``[min mean - 12 sigma, max mean + 12 sigma]``.

    Returns:
      Scalar ``beta``.

    Raises:
      ValueError: on non-finite, empty or mis-shaped ``means0``, ``means1``, ``weights`` (all the
        shape of ``means0``), ``weights`` off the simplex, a non-positive ``sigma``, ``pi1``
        outside (0, 1) or ``grid < 2``.
    """
    for name, v in (("means0", means0), ("means1", means1), ("weights", weights)):
        check_array(name, v, ndim=1)
    check_nonempty("means0", means0)
    for name, v in (("means1", means1), ("weights", weights)):
        if np.shape(v) != np.shape(means0):
            raise ValueError(
                f"`{name}` must have the shape of `means0` {np.shape(means0)}; got {np.shape(v)}."
            )
    check_positive("sigma", sigma)
    check_probability("pi1", pi1, open_interval=True)
    check_probability_vector("weights", weights)
    grid = check_int("grid", grid, min_value=2)
    allm = jnp.concatenate([means0, means1])
    xs = jnp.linspace(allm.min() - 12 * sigma, allm.max() + 12 * sigma, grid)

    def dens(means):
        z = (xs[:, None] - means[None, :]) / sigma
        return (jnp.exp(-0.5 * z**2) / (sigma * jnp.sqrt(2 * jnp.pi))) @ weights

    return jnp.trapezoid(jnp.minimum((1 - pi1) * dens(means0), pi1 * dens(means1)), xs)


def bayes_error_mc(key, sampler0, sampler1, logpdf0, logpdf1, n: int, pi1=0.5):
    """Monte Carlo error of the Bayes classifier with exact class densities.

    Draws ``y ~ Bernoulli(pi1)`` and ``x ~ p_y``; counts ``1{argmax_y pi_y p_y(x) != y}``. Its
    standard error is ``sqrt(beta (1 - beta) / n)``.

    Args:
      key: PRNG key; sampler0/1: ``(key, n) -> (n, d)``; logpdf0/1: ``(n, d) -> (n,)``;
      n: samples; pi1: prior.

    Returns:
      Scalar estimate.

    Raises:
      ValueError: on a non-callable sampler or log-density, ``n < 1`` or ``pi1`` outside (0, 1).
    """
    for name, f in (
        ("sampler0", sampler0),
        ("sampler1", sampler1),
        ("logpdf0", logpdf0),
        ("logpdf1", logpdf1),
    ):
        if not callable(f):
            raise ValueError(f"`{name}` must be callable; got {type(f).__name__}.")
    n = check_int("n", n, min_value=1)
    check_probability("pi1", pi1, open_interval=True)
    # the user's samplers and log-densities run eagerly as before (they get concrete values and
    # need not be traceable); the array work around them is three small compiled programs
    y, k0, k1 = _mc_labels(key, pi1, n)
    x = _mc_pick(y, sampler1(k1, n), sampler0(k0, n))
    return _mc_error(y, x, logpdf1(x), logpdf0(x), pi1)


@partial(jax.jit, static_argnums=2)
def _mc_labels(key, pi1, n):
    ky, k0, k1 = jax.random.split(key, 3)
    return jax.random.bernoulli(ky, pi1, (n,)), k0, k1


@jax.jit
def _mc_pick(y, x1, x0):
    return jnp.where(y[:, None], x1, x0)


@jax.jit
def _mc_error(y, x, lp1, lp0, pi1):
    s1 = jnp.log(pi1) + lp1
    s0 = jnp.log(1 - pi1) + lp0
    pred = s1 > s0
    return jnp.mean((pred != y).astype(x.dtype))


def lda_population_fit(mu0, mu1, Sigma_pooled, pi1):
    """Population LDA: ``w = Sigma_p^{-1}(mu1 - mu0)``, ``b = -(mu1 + mu0)^T w / 2 + log(pi1/pi0)``.

    Returns:
      ``(w (d,), b scalar)``; predicts class 1 when ``w^T x + b > 0``.

    Raises:
      ValueError: on non-finite or mis-shaped means, a ``Sigma_pooled`` that is not ``(d, d)`` SPD,
        or ``pi1`` outside (0, 1).
    """
    _check_means(mu0, mu1)
    _check_sigma(Sigma_pooled, np.shape(mu0)[0], "Sigma_pooled")
    check_probability("pi1", pi1, open_interval=True)
    w = jnp.linalg.solve(Sigma_pooled, mu1 - mu0)
    b = -0.5 * (mu1 + mu0) @ w + jnp.log(pi1 / (1 - pi1))
    return w, b


def linear_clean_error(w, b, mu0, mu1, Sigma, pi1):
    """Error of the linear rule ``1{w^T x + b > 0}`` on clean Gaussian classes.

    ``err = pi1 Phi(-(w^T mu1 + b)/s) + pi0 Phi((w^T mu0 + b)/s)``, ``s = sqrt(w^T Sigma w)``.

    Raises:
      ValueError: on non-finite or mis-shaped ``w`` (``(d,)``, not zero), ``b``, means, a ``Sigma``
        that is not SPD, or ``pi1`` outside (0, 1).
    """
    _check_means(mu0, mu1)
    _check_sigma(Sigma, np.shape(mu0)[0])
    check_probability("pi1", pi1, open_interval=True)
    check_array("w", w, ndim=1)
    if np.shape(w) != np.shape(mu0):
        raise ValueError(f"`w` must have the shape of `mu0` {np.shape(mu0)}; got {np.shape(w)}.")
    if not is_traced(w) and not np.any(np.asarray(w) != 0):
        raise ValueError("`w` must not be zero (the rule 1{b > 0} has no margin scale).")
    check_array("b", b, ndim=0)
    s = jnp.sqrt(w @ Sigma @ w)
    return pi1 * ndtr(-(w @ mu1 + b) / s) + (1 - pi1) * ndtr((w @ mu0 + b) / s)


def _kde_beta(X, y, h):
    n = X.shape[0]
    yf = y.astype(X.dtype)

    def row(i):
        d2 = jnp.sum((X - X[i]) ** 2, axis=1)
        k = jnp.exp(-0.5 * d2 / h**2) * (jnp.arange(n) != i)
        tot = jnp.sum(k) + 1e-300
        eta1 = jnp.sum(k * yf) / tot
        return 1.0 - jnp.maximum(eta1, 1.0 - eta1)

    return jnp.mean(jax.lax.map(row, jnp.arange(n), batch_size=256))


def kde_bayes_error(X, y, h):
    """Plug-in Bayes-error estimate ``(1/n) sum_i (1 - max_y eta_hat_y(x_i))`` (differentiable in ``X``).

    ``eta_hat`` is the leave-one-out Gaussian-kernel (bandwidth ``h``) class posterior
    (Nadaraya-Watson, which implicitly uses the empirical priors). Biased in high dimension; use
    for ``d <= 10``.

    Args:
      X: ``(n, d)``; y: ``(n,)`` labels in {0, 1}; h: ``> 0``.

    Raises:
      ValueError: on a non-finite ``X`` with fewer than 2 rows, ``y`` not one label in {0, 1} per
        row of ``X``, or a non-positive ``h``.
    """
    _check_kde(X, y, h)
    # one compiled program (op by op the leave-one-out map is ~30 programs)
    return _kde_beta_jit(X, y, h)


@jax.jit
def _kde_beta_jit(X, y, h):
    return _kde_beta(jnp.asarray(X), jnp.asarray(y), h)


def _check_kde(X, y, h):
    check_array("X", X, ndim=2)
    check_array("y", y, ndim=1)
    if np.shape(X)[0] < 2:
        raise ValueError(f"`X` needs at least 2 rows (leave-one-out); got shape {np.shape(X)}.")
    if np.shape(y)[0] != np.shape(X)[0]:
        raise ValueError(
            f"`y` must have {np.shape(X)[0]} entries (rows of `X`); got {np.shape(y)[0]}."
        )
    if not is_traced(y) and not np.all((np.asarray(y) == 0) | (np.asarray(y) == 1)):
        raise ValueError("`y` must hold labels in {0, 1}.")
    check_positive("h", h)


def pga_samplewise(key, X, y, eps, p, step, T, h):
    """Sample-wise PGA: ``delta_i <- Pi_{||.||_p <= eps}(delta_i + step grad_{delta_i} beta_hat(X + delta))``.

    Starts from a uniform random point of the ``L_inf`` ball scaled to ``eps/2`` (then projected).

    Returns:
      ``(n, d)`` perturbations.

    Raises:
      ValueError: on a non-finite ``X`` with fewer than 2 rows, ``y`` not one label in {0, 1} per
        row of ``X``, a non-positive ``eps``, ``step`` or ``h``, a ``p`` other than 2 and ``"inf"``,
        or a negative ``T``.
    """
    _check_kde(X, y, h)
    check_positive("eps", eps)
    _check_p(p)
    check_positive("step", step)
    T = check_int("T", T, min_value=0)
    X, y = jnp.asarray(X), jnp.asarray(y)
    delta0 = jax.vmap(lambda v: _proj(v, eps, p))(
        jax.random.uniform(key, X.shape, X.dtype, -eps / 2, eps / 2)
    )
    grad = jax.grad(lambda dl: _kde_beta(X + dl, y, h))

    def body(dl, _):
        return jax.vmap(lambda v: _proj(v, eps, p))(dl + step * grad(dl)), None

    return jax.lax.scan(body, delta0, None, length=T)[0]


# ------------------------------------------------------------------------------------------------
# Unlearnable Clusters (Zhang et al., CVPR 2023, arXiv 2301.01217): label-agnostic protection
# ------------------------------------------------------------------------------------------------


def uc_world(a, sigma, sigma_s, K: int = 4):
    """The four-cluster world of the Unlearnable-Clusters panel: means and clean covariance.

    Cluster ``k`` sits at ``sqrt(2) a (cos(pi/4 + k pi/2), sin(pi/4 + k pi/2))`` -- the corners
    ``(+-a, +-a)`` in cyclic order -- in the first two coordinates, followed by ``K`` shortcut
    coordinates (zero mean on clean data):

    .. math:: x \\mid k \\sim \\mathcal N\\big((c_k, 0_K),\\ \\sigma^2 I_2 \\oplus \\sigma_s^2 I_K\\big).

    Args:
      a: half-side of the square, ``> 0``.
      sigma: cluster noise ``> 0``.
      sigma_s: noise of the shortcut coordinates ``> 0``.
      K: number of clusters (must be 4).

    Returns:
      ``(means (K, 2 + K), Sigma (2 + K, 2 + K))``.

    Raises:
      ValueError: on non-positive scales or ``K != 4``.

    References:
      Spec ``panels.md`` §4.3 [derived]; ``theory/beo_gaussian.md`` (Unlearnable Clusters section).
    """
    check_positive("a", a)
    check_positive("sigma", sigma)
    check_positive("sigma_s", sigma_s)
    K = check_int("K", K, min_value=4, max_value=4)
    ang = jnp.pi / 4 + jnp.arange(K) * jnp.pi / 2
    c = jnp.sqrt(2.0) * a * jnp.stack([jnp.cos(ang), jnp.sin(ang)], axis=1)
    c = jnp.round(c / a) * a  # exact corners (+-a, +-a)
    means = jnp.concatenate([c, jnp.zeros((K, K))], axis=1)
    Sigma = jnp.diag(jnp.concatenate([jnp.full(2, sigma**2), jnp.full(K, sigma_s**2)]))
    return means, Sigma


def _check_uc(means, labels, name="labels"):
    check_array("means", means, ndim=2)
    K, D = np.shape(means)
    if K < 2 or D < 2 + K:
        raise ValueError(f"`means` must have shape (K >= 2, >= 2 + K); got {np.shape(means)}.")
    check_array(name, labels, ndim=1, finite=False)
    if np.shape(labels)[0] != K:
        raise ValueError(f"`{name}` must have {K} entries; got {np.shape(labels)}.")
    if not is_traced(labels):
        arr = np.asarray(labels)
        if arr.dtype.kind not in "iu" or not np.all((arr == 0) | (arr == 1)):
            raise ValueError(f"`{name}` must hold integers in {{0, 1}}.")
        if arr.sum() != K // 2 or K % 2:
            raise ValueError(f"`{name}` must be a balanced 2-colouring; got {arr.tolist()}.")
    return K, D


def uc_perturbations(kind: str, eps, means, protector_labels, offset: int = 1):
    """Per-cluster perturbations with the same ``l2`` budget ``eps``.

    * ``"class"``: class-keyed shortcut ``eps v_{g_P(k)}`` (``v_0, v_1`` = first two shortcut axes);
    * ``"cluster"``: cluster-keyed shortcut ``eps v_k`` (``v_k`` = shortcut axis ``k``);
    * ``"uc"``: the code-faithful UC shift ``eps unit(c_{(k + offset) mod K} - c_bar)`` in the
      cluster coordinates (identity surrogate features; the generator's target is the centroid
      of the cluster ``offset`` steps ahead).

    Args:
      kind: ``"class" | "cluster" | "uc"``.
      eps: budget ``>= 0``.
      means: ``(K, 2 + K)`` from :func:`uc_world`.
      protector_labels: ``(K,)`` protector's balanced labels in {0, 1}.
      offset: cluster offset of the UC target (``1 <= offset < K``).

    Returns:
      ``(K, 2 + K)`` perturbation of each cluster (``||delta_k|| = eps``).

    Raises:
      ValueError: on an unknown ``kind``, a negative ``eps``, malformed ``means`` or labels,
        or an ``offset`` out of range.

    References:
      Zhang et al., *Unlearnable Clusters*, CVPR 2023, arXiv 2301.01217, and the authors'
      ``main.py`` (k-means clusters, one perturbation per cluster, target centroid
      ``(k + offset) mod K``) [code]; spec ``panels.md`` §4.3.
    """
    if kind not in ("class", "cluster", "uc"):
        raise ValueError(f"`kind` must be 'class', 'cluster' or 'uc'; got {kind!r}.")
    check_nonnegative("eps", eps)
    K, D = _check_uc(means, protector_labels, "protector_labels")
    offset = check_int("offset", offset, min_value=1, max_value=K - 1)
    means = jnp.asarray(means, float)
    if kind == "class":
        return eps * jnp.eye(D)[2 + jnp.asarray(protector_labels)]
    if kind == "cluster":
        return eps * jnp.eye(D)[2 + jnp.arange(K)]
    c = means[:, :2]
    tgt = jnp.roll(c, -offset, axis=0) - c.mean(axis=0)
    u = tgt / jnp.linalg.norm(tgt, axis=1, keepdims=True)
    return eps * jnp.concatenate([u, jnp.zeros((K, D - 2))], axis=1)


def uc_hacker_error(means, Sigma, deltas, p, labels):
    """Exact clean error of the hacker's population LDA trained on (partly) protected data.

    Cluster ``k`` (weight ``1/K``) is protected with probability ``p`` (shifted by ``delta_k``).
    The hacker labels clusters by ``labels`` (balanced) and fits LDA (:func:`lda_population_fit`,
    equal priors) on the class means ``m_c`` and the pooled within-class covariance
    ``Sigma + (S_0 + S_1)/2`` of the perturbed mixture (``S_c`` the scatter of the class's
    component means). The clean error of the rule ``1{w^T x + b > 0}`` is

    .. math:: e = \\frac1K\\sum_k \\Phi\\Big(-s_k\\,\\frac{w^\\top\\mu_k + b}{\\sqrt{w^\\top\\Sigma w}}\\Big),
       \\qquad s_k = 2\\,\\text{labels}_k - 1,

    computed pairwise with :func:`linear_clean_error`.

    Args:
      means: ``(K, D)`` clean cluster means; Sigma: ``(D, D)`` clean covariance (SPD);
      deltas: ``(K, D)`` perturbations; p: protected fraction in ``[0, 1]``;
      labels: ``(K,)`` hacker's balanced labels in {0, 1}.

    Returns:
      Scalar clean error (``1/2`` when the hacker's class means coincide, e.g. the XOR
      labelling of clean data: LDA has no direction).

    Raises:
      ValueError: on malformed inputs.

    References:
      Spec ``panels.md`` §4.3 (hacker = population LDA, exact clean error) [derived].
    """
    K, D = _check_uc(means, labels)
    _check_sigma(Sigma, D)
    check_array("deltas", deltas, ndim=2)
    if tuple(np.shape(deltas)) != (K, D):
        raise ValueError(f"`deltas` must have shape ({K}, {D}); got {np.shape(deltas)}.")
    check_probability("p", p)
    lab = np.asarray(labels)
    idx = tuple(tuple(int(i) for i in np.flatnonzero(lab == c)) for c in (0, 1))
    # one compiled program per labelling (op by op the mixture moments and LDA are ~50 programs);
    # the labels are concrete (validated above), so the class index sets are static
    return _uc_hacker_error(means, Sigma, deltas, p, idx)


@partial(jax.jit, static_argnums=4)
def _uc_hacker_error(means, Sigma, deltas, p, idx):
    means, Sigma, deltas = (jnp.asarray(v, float) for v in (means, Sigma, deltas))
    idx = [np.asarray(ix, dtype=int) for ix in idx]
    m, S = [], []
    for c in (0, 1):
        comp = jnp.concatenate([means[idx[c]], means[idx[c]] + deltas[idx[c]]])
        wts = jnp.concatenate([jnp.full(len(idx[c]), 1 - p), jnp.full(len(idx[c]), p)]) / len(
            idx[c]
        )
        mc = wts @ comp
        R = comp - mc
        m.append(mc)
        S.append((R * wts[:, None]).T @ R)
    Sp = Sigma + 0.5 * (S[0] + S[1])
    w, b = lda_population_fit(m[0], m[1], 0.5 * (Sp + Sp.T), 0.5)
    # equal class means: no linear rule, chance error 1/2. Decided with jnp.where (this runs
    # traced), not the 0/0 margin; the placeholder direction only keeps the branch that is not
    # taken finite.
    tie = jnp.linalg.norm(w) <= 1e-12 * (1.0 + jnp.abs(b))
    w_safe = jnp.where(tie, jnp.ones_like(w), w)
    errs = [
        linear_clean_error(w_safe, b, means[i0], means[i1], Sigma, 0.5)
        for i0, i1 in zip(idx[0], idx[1])
    ]
    return jnp.where(tie, 0.5, jnp.mean(jnp.stack(errs)))


def balanced_labelings(K: int = 4):
    """All balanced 2-colourings of ``K`` clusters up to swapping the colours (cluster 0 -> 0).

    Args:
      K: even number of clusters ``>= 2``.

    Returns:
      ``(L, K)`` int array (``L = C(K, K/2) / 2``).

    Raises:
      ValueError: if ``K`` is odd or ``< 2``.
    """
    K = check_int("K", K, min_value=2)
    if K % 2:
        raise ValueError(f"`K` must be even; got {K}.")
    import itertools

    out = []
    for ones in itertools.combinations(range(1, K), K // 2):
        v = np.zeros(K, int)
        v[list(ones)] = 1
        out.append(v)
    return jnp.asarray(np.stack(out))
