"""Contrastive debiasing by bias-transformed views, in a linear-Gaussian world (the core of CDvG).

*Fighting Fire with Fire: Contrastive Debiasing without Bias-free Data via Generative
Bias-transformation* (CDvG), arXiv 2112.01021: an image translation model turns one bias mode into
another while keeping the task information, and the bias-transformed views are "set against each
other through contrastive learning to learn bias-invariant representations" [paper, abstract].
Analyzable core [derived] (lab spec ``panels.md`` §4.5, ``theory/pretraining.md``):

* ``x = (s, b)``: ``s = y mu_s + sigma eps_s``, ``b = y_b mu_b + sigma eps_b``; training is 100%
  bias-aligned (``y_b = y``), the test is bias-conflicting (``y_b = -y``);
* the translator (assumed, not learned) keeps ``s`` and sets
  ``b~ = m y_b mu_b + sigma (tau eps_b + sqrt(1 - tau^2) eps')`` with the mode flipped
  (``m = -1``) w.p. ``q``; the baseline augmentation perturbs the task and keeps the bias,
  ``T_std(x) = (s + sigma_a eps, b)``;
* the representation is the eigenvalue-1 eigenspace of the shared-encoder linear contrastive
  problem ``C a = lambda Sigma_bar a``, ``C = sym E[x T(x)^T]``,
  ``Sigma_bar = (E[x x^T] + E[T(x) T(x)^T]) / 2``;
* the probe is LDA (the lab's one LDA, :func:`unlearnlab.unlearning.lda_population_fit`) on the
  representation, fitted on aligned data; its bias-conflicting error is exact
  (:func:`unlearnlab.unlearning.linear_clean_error`).
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
    check_positive,
    check_probability,
    check_shape,
    check_sym_matrix,
    is_traced,
)
from unlearnlab.unlearning.bayes_error import lda_population_fit, linear_clean_error

__all__ = [
    "sample_aligned",
    "translate_bias",
    "std_augment",
    "bias_gap_matrix",
    "cdvg_population_moments",
    "std_population_moments",
    "contrastive_moments",
    "contrastive_eigenspace",
    "probe_conflicting_error",
    "task_bayes_error",
]


def _check_means(mu_s, mu_b, sigma):
    for name, v in (("mu_s", mu_s), ("mu_b", mu_b)):
        check_array(name, v, ndim=1)
        check_nonempty(name, v)
    check_positive("sigma", sigma)
    return np.shape(mu_s)[0], np.shape(mu_b)[0]


def _f(*vs):
    return tuple(jnp.asarray(v, float) for v in vs)


def sample_aligned(key, n: int, mu_s, mu_b, sigma):
    """Bias-aligned training sample: ``y`` uniform on ``{-1, +1}``, ``y_b = y``.

    Args:
      key: PRNG key.
      n: sample size (``>= 1``).
      mu_s: ``(d_s,)`` task mean.
      mu_b: ``(d_b,)`` bias mean.
      sigma: noise level ``> 0``.

    Returns:
      ``(X (n, d_s + d_b), y (n,))`` with ``y`` in ``{-1., +1.}``.

    Raises:
      ValueError: on malformed ``n``, means or ``sigma``.

    References:
      CDvG (arXiv 2112.01021): training data without bias-free (conflicting) samples; spec §4.5.
    """
    n = check_int("n", n, min_value=1)
    _check_means(mu_s, mu_b, sigma)
    mu_s, mu_b = _f(mu_s, mu_b)
    mu = jnp.concatenate([mu_s, mu_b])
    ky, ke = jax.random.split(key)
    y = jnp.where(jax.random.bernoulli(ky, 0.5, (n,)), 1.0, -1.0)
    return y[:, None] * mu[None, :] + sigma * jax.random.normal(ke, (n, mu.shape[0])), y


def translate_bias(key, X, y_b, mu_b, sigma, q, tau):
    """The assumed bias translator: keep ``s``, redraw ``b`` in a possibly flipped bias mode.

    .. math:: \\tilde b = m\\, y_b\\mu_b + \\sigma\\big(\\tau\\varepsilon_b + \\sqrt{1-\\tau^2}\\,\\varepsilon'\\big),
       \\quad \\varepsilon_b = (b - y_b\\mu_b)/\\sigma,\\quad P(m = -1) = q.

    Args:
      key: PRNG key.
      X: ``(n, d_s + d_b)`` inputs (bias block last).
      y_b: ``(n,)`` bias modes, each -1 or +1.
      mu_b: ``(d_b,)`` bias mean.
      sigma: noise level ``> 0``.
      q: flip probability in ``[0, 1]``.
      tau: noise correlation in ``[0, 1]``.

    Returns:
      ``(n, d_s + d_b)`` translated views ``T(x)``.

    Raises:
      ValueError: on malformed inputs, ``q`` or ``tau`` outside ``[0, 1]``.

    References:
      CDvG (arXiv 2112.01021): "transform one bias mode into another while preserving the
      task-relevant information" [paper]; the Gaussian translator is the lab's [derived] stand-in.
    """
    check_array("X", X, ndim=2)
    check_nonempty("X", X)
    check_array("y_b", y_b, ndim=1)
    check_shape("y_b", y_b, (np.shape(X)[0],))
    check_array("mu_b", mu_b, ndim=1)
    check_nonempty("mu_b", mu_b)
    db = np.shape(mu_b)[0]
    if np.shape(X)[1] <= db:
        raise ValueError(
            f"`X` must have more than d_b = {db} columns (`mu_b` length); got {np.shape(X)}."
        )
    check_positive("sigma", sigma)
    check_probability("q", q)
    check_probability("tau", tau)
    X, y_b, mu_b = _f(X, y_b, mu_b)
    kf, ke = jax.random.split(key)
    n, D = X.shape
    b = X[:, D - db :]
    eps_b = (b - y_b[:, None] * mu_b[None, :]) / sigma
    m = jnp.where(jax.random.bernoulli(kf, jnp.asarray(q, float), (n,)), -1.0, 1.0)
    bt = (m * y_b)[:, None] * mu_b[None, :] + sigma * (
        tau * eps_b + jnp.sqrt(1.0 - tau**2) * jax.random.normal(ke, (n, db))
    )
    return X.at[:, D - db :].set(bt)


def std_augment(key, X, d_s: int, sigma_a):
    """Baseline augmentation ``T_std(x) = (s + sigma_a eps, b)``: perturbs the task, keeps the bias.

    Args:
      key: PRNG key; X: ``(n, d_s + d_b)``; d_s: task dimension (``1 <= d_s < D``);
      sigma_a: augmentation noise ``> 0``.

    Returns:
      ``(n, D)`` augmented views.

    Raises:
      ValueError: on malformed ``X``, ``d_s`` or ``sigma_a``.
    """
    check_array("X", X, ndim=2)
    check_nonempty("X", X)
    d_s = check_int("d_s", d_s, min_value=1, max_value=np.shape(X)[1] - 1)
    check_positive("sigma_a", sigma_a)
    (X,) = _f(X)
    return X.at[:, :d_s].add(sigma_a * jax.random.normal(key, (X.shape[0], d_s)))


def bias_gap_matrix(mu_b, sigma, q, tau):
    """``Delta = 2 q mu_b mu_b^T + (1 - tau) sigma^2 I`` (PSD): the bias block of ``Sigma_bar - C``.

    Args:
      mu_b: ``(d_b,)``; sigma: ``> 0``; q, tau: in ``[0, 1]``.

    Returns:
      ``(d_b, d_b)``.

    Raises:
      ValueError: on malformed inputs.

    References:
      Lab's derived theorem, ``theory/pretraining.md`` (CDvG section); spec §4.5.
    """
    check_array("mu_b", mu_b, ndim=1)
    check_nonempty("mu_b", mu_b)
    check_positive("sigma", sigma)
    check_probability("q", q)
    check_probability("tau", tau)
    (mu_b,) = _f(mu_b)
    return 2 * q * jnp.outer(mu_b, mu_b) + (1 - tau) * sigma**2 * jnp.eye(mu_b.shape[0])


def _aligned_second_moment(mu_s, mu_b, sigma):
    mu = jnp.concatenate([mu_s, mu_b])
    return jnp.outer(mu, mu) + sigma**2 * jnp.eye(mu.shape[0])


def cdvg_population_moments(mu_s, mu_b, sigma, q, tau):
    """Population ``(C, Sigma_bar)`` of the linear contrastive problem with the bias translator.

    Computed blockwise from the model: with ``E = E[x x^T] = mu mu^T + sigma^2 I``
    (``mu = (mu_s, mu_b)``, aligned data), ``E[T T^T] = E`` except the cross block
    ``(1 - 2q) mu_s mu_b^T``, and ``E[x T^T]`` has bias block ``(1 - 2q) mu_b mu_b^T + tau sigma^2 I``
    and task-bias block ``(1 - 2q) mu_s mu_b^T``. Then (lab's theorem)

    .. math:: C = \\bar\\Sigma - E_b\\,\\Delta\\,E_b^\\top,\\qquad
       \\Delta = 2q\\,\\mu_b\\mu_b^\\top + (1-\\tau)\\sigma^2 I.

    Args:
      mu_s: ``(d_s,)``; mu_b: ``(d_b,)``; sigma: ``> 0``; q, tau: in ``[0, 1]``.

    Returns:
      ``(C (D, D), Sigma_bar (D, D))``, ``D = d_s + d_b``.

    Raises:
      ValueError: on malformed inputs.

    References:
      Spec ``panels.md`` §4.5 [derived].
    """
    ds, db = _check_means(mu_s, mu_b, sigma)
    check_probability("q", q)
    check_probability("tau", tau)
    mu_s, mu_b = _f(mu_s, mu_b)
    return _cdvg_population_moments(mu_s, mu_b, sigma, q, tau)


@jax.jit
def _cdvg_population_moments(mu_s, mu_b, sigma, q, tau):
    # jitted: callers sweep q and tau, and the block updates below are many small programs eagerly
    ds, db = mu_s.shape[0], mu_b.shape[0]
    E = _aligned_second_moment(mu_s, mu_b, sigma)
    a = 1.0 - 2.0 * q
    ETT = E.at[:ds, ds:].set(a * jnp.outer(mu_s, mu_b)).at[ds:, :ds].set(a * jnp.outer(mu_b, mu_s))
    ExT = E.at[:ds, ds:].set(a * jnp.outer(mu_s, mu_b))
    ExT = ExT.at[ds:, ds:].set(a * jnp.outer(mu_b, mu_b) + tau * sigma**2 * jnp.eye(db))
    return 0.5 * (ExT + ExT.T), 0.5 * (E + ETT)


def std_population_moments(mu_s, mu_b, sigma, sigma_a):
    """Population ``(C, Sigma_bar)`` for the baseline augmentation ``T_std`` (task noise added).

    ``E[x T^T] = E[x x^T]`` and ``E[T T^T] = E[x x^T] + sigma_a^2 E_s E_s^T``, so
    ``C = Sigma_bar - (sigma_a^2 / 2) E_s E_s^T``: the eigenvalue-1 space is the bias block.

    Args:
      mu_s: ``(d_s,)``; mu_b: ``(d_b,)``; sigma: ``> 0``; sigma_a: ``> 0``.

    Returns:
      ``(C, Sigma_bar)``.

    Raises:
      ValueError: on malformed inputs.
    """
    ds, _ = _check_means(mu_s, mu_b, sigma)
    check_positive("sigma_a", sigma_a)
    mu_s, mu_b = _f(mu_s, mu_b)
    return _std_population_moments(mu_s, mu_b, sigma, sigma_a)


@jax.jit
def _std_population_moments(mu_s, mu_b, sigma, sigma_a):
    ds = mu_s.shape[0]
    E = _aligned_second_moment(mu_s, mu_b, sigma)
    ETT = E.at[:ds, :ds].add(sigma_a**2 * jnp.eye(ds))
    return E, 0.5 * (E + ETT)


def contrastive_moments(X, TX):
    """Sample ``(C, Sigma_bar)``: ``C = sym(X^T TX)/n``, ``Sigma_bar = (X^T X + TX^T TX)/(2n)``.

    Args:
      X: ``(n, D)`` inputs; TX: ``(n, D)`` their views.

    Returns:
      ``(C (D, D), Sigma_bar (D, D))``.

    Raises:
      ValueError: on malformed or mismatched ``X``, ``TX``.
    """
    check_array("X", X, ndim=2)
    check_nonempty("X", X)
    check_array("TX", TX, ndim=2)
    check_shape("TX", TX, np.shape(X))
    X, TX = _f(X, TX)
    n = X.shape[0]
    M = X.T @ TX / n
    return 0.5 * (M + M.T), 0.5 * (X.T @ X + TX.T @ TX) / n


def contrastive_eigenspace(C, Sigma_bar, threshold=1.0 - 1e-9):
    """Basis of the generalized eigenspace of ``C a = lambda Sigma_bar a`` with ``lambda >= threshold``.

    Solved as ``L^{-1} C L^{-T} u = lambda u`` with ``Sigma_bar = L L^T``, ``a = L^{-T} u``.
    Population: use the whole eigenvalue-1 space (``threshold = 1 - 1e-9``): choosing only some
    vectors inside a degenerate eigenspace is arbitrary. Sample: a threshold inside the spectral
    gap. Host-side (the dimension of the result depends on the values).

    Args:
      C: ``(D, D)`` symmetric; Sigma_bar: ``(D, D)`` symmetric positive definite;
      threshold: keep eigenvalues ``>= threshold``.

    Returns:
      ``(W (D, k), eigenvalues (D,))`` (eigenvalues in decreasing order, ``k >= 1``).

    Raises:
      ValueError: on malformed matrices, or if no eigenvalue reaches ``threshold``.

    References:
      Linear contrastive learning as a (generalized) eigenproblem [derived; spec §4.5].
    """
    check_sym_matrix("C", C, definite="none")
    check_sym_matrix("Sigma_bar", Sigma_bar, definite="pd")
    check_shape("Sigma_bar", Sigma_bar, np.shape(C))
    if is_traced(C) or is_traced(Sigma_bar) or is_traced(threshold):
        raise ValueError(
            "`C`, `Sigma_bar`, `threshold` must be concrete (the basis size is data-dependent)."
        )
    thr = float(threshold)
    if not np.isfinite(thr):
        raise ValueError(f"`threshold` must be finite; got {thr}.")
    C, S = _f(C, Sigma_bar)
    L, lam, U = _whitened_eigh(C, S)
    k = int(np.sum(np.asarray(lam) >= thr))
    if k == 0:
        raise ValueError(f"no eigenvalue >= `threshold` = {thr}; largest {float(lam[0]):.6g}.")
    return _eigenbasis(L, U, k), lam


# The two device halves of contrastive_eigenspace, jitted so that a host loop over many moment
# matrices compiles two programs (one per basis size k) instead of every small op eagerly.
@jax.jit
def _whitened_eigh(C, S):
    L = jnp.linalg.cholesky(S)
    M = jax.scipy.linalg.solve_triangular(
        L, jax.scipy.linalg.solve_triangular(L, C, lower=True).T, lower=True
    )
    lam, U = jnp.linalg.eigh(0.5 * (M + M.T))
    return L, lam[::-1], U[:, ::-1]


@partial(jax.jit, static_argnums=2)
def _eigenbasis(L, U, k):
    return jax.scipy.linalg.solve_triangular(L.T, U[:, :k], lower=False)


def probe_conflicting_error(W, m_neg, m_pos, S_within, mu_s, mu_b, sigma):
    """Bias-conflicting error of LDA on the representation ``z = W^T x`` fitted on aligned statistics.

    ``(w_z, c) = lda_population_fit(W^T m_neg, W^T m_pos, W^T S_within W, 1/2)``; the rule
    ``1{w_z^T W^T x + c > 0}`` is scored on the conflicting law ``x | y ~ N(y (mu_s, -mu_b), sigma^2 I)``:

    .. math:: e = \\tfrac12\\Phi\\big(-(w^\\top\\nu + c)/s\\big) + \\tfrac12\\Phi\\big((-w^\\top\\nu + c)/s\\big),
       \\quad w = W w_z,\\ \\nu = (\\mu_s, -\\mu_b),\\ s = \\sigma\\|w\\|.

    Args:
      W: ``(D, k)`` representation basis.
      m_neg: ``(D,)`` mean of class -1 in the aligned training data (population or estimated).
      m_pos: ``(D,)`` mean of class +1 (population or estimated).
      S_within: ``(D, D)`` within-class covariance (population or estimated).
      mu_s: ``(d_s,)`` true task mean.
      mu_b: ``(d_b,)`` true bias mean.
      sigma: true noise level.

    Returns:
      Scalar conflicting-test error (exact for the given fit).

    Raises:
      ValueError: on malformed or mismatched inputs.

    References:
      :func:`unlearnlab.unlearning.lda_population_fit`, :func:`unlearnlab.unlearning.linear_clean_error`.
    """
    ds, db = _check_means(mu_s, mu_b, sigma)
    D = ds + db
    check_array("W", W, ndim=2)
    check_shape("W", W, (D, None))
    check_nonempty("W", W, axis=1)
    for name, v in (("m_neg", m_neg), ("m_pos", m_pos)):
        check_array(name, v, ndim=1)
        check_shape(name, v, (D,))
    check_sym_matrix("S_within", S_within, definite="psd")
    check_shape("S_within", S_within, (D, D))
    W, m_neg, m_pos, S_within, mu_s, mu_b = _f(W, m_neg, m_pos, S_within, mu_s, mu_b)
    return _probe_conflicting_error(W, m_neg, m_pos, S_within, mu_s, mu_b, sigma)


@jax.jit
def _probe_conflicting_error(W, m_neg, m_pos, S_within, mu_s, mu_b, sigma):
    # jitted: one program per basis size instead of the LDA fit's and the error's ops one by one
    D = W.shape[0]
    Sz = W.T @ S_within @ W
    wz, c = lda_population_fit(W.T @ m_neg, W.T @ m_pos, 0.5 * (Sz + Sz.T), 0.5)
    w = W @ wz
    nu = jnp.concatenate([mu_s, -mu_b])
    return linear_clean_error(w, c, -nu, nu, sigma**2 * jnp.eye(D), 0.5)


def task_bayes_error(mu_s, sigma):
    """The task-only Bayes error ``Phi(-||mu_s|| / sigma)`` (what a bias-invariant probe can reach).

    Args:
      mu_s: ``(d_s,)``; sigma: ``> 0``.

    Returns:
      Scalar.

    Raises:
      ValueError: on malformed inputs.
    """
    check_array("mu_s", mu_s, ndim=1)
    check_nonempty("mu_s", mu_s)
    check_positive("sigma", sigma)
    return ndtr(-jnp.linalg.norm(jnp.asarray(mu_s, float)) / sigma)
