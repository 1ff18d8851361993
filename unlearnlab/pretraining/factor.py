"""Factor model instance of "MLE then ERM": PPCA pretraining, least squares downstream, exact risks.

Model (Ge, Tang, Fan, Jin, ICLR 2024, arXiv 2303.01566, factor-model instance; details
[reconstruction], closed forms [derived], see ``theory/pretraining.md`` §3):

    z ~ N(0, I_r),  x = B z + eps,  eps ~ N(0, I_d),  y = beta^T z + nu,  nu ~ N(0, sig_nu^2).

Pretraining (the MLE step over Phi = {B in R^{d x r}}) is probabilistic PCA with known noise variance;
the downstream class Psi is linear in the posterior mean E[z | x]. Because x and y are jointly
Gaussian, every predictor here is linear in x and its excess squared risk has the closed form
``(w - w*)^T Sigma_x (w - w*)``.

Naming: ``n_unlab`` = unlabeled (pretraining) sample size = the paper's m; ``n_lab`` = labeled sample
size = the paper's n.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonempty,
    check_nonnegative,
    check_positive,
    check_shape,
    check_sym_matrix,
    is_traced,
)

__all__ = [
    "sample_factor",
    "sample_cov_wishart",
    "second_moment",
    "mle_ppca",
    "posterior_features",
    "erm_on_features",
    "fit_pretrain_erm",
    "fit_supervised_ols",
    "erm_on_features_moments",
    "fit_pretrain_erm_moments",
    "fit_supervised_ols_moments",
    "joint_cov",
    "sample_lab_moments",
    "w_star",
    "sigma_eff2",
    "excess_risk_linear",
    "risk_linear_factor",
    "theory_ols",
    "theory_pretrain_oracle",
    "sin_theta",
    "simulate_factor_excess",
]


# Family-specific boundary rules (built on unlearnlab.lab.checks).
def check_rank(r, d: int) -> int:
    """``1 <= r < d`` (an integer)."""
    r = check_int("r", r, min_value=1)
    if r >= d:
        raise ValueError(f"`r` must be < d = {d}; got r = {r}.")
    return r


def check_matrix(name, M):
    """``M`` finite, rank 2, with at least one row and one column; returns its shape."""
    check_array(name, M, ndim=2)
    check_nonempty(name, M, axis=0)
    check_nonempty(name, M, axis=1)
    return np.shape(M)


def check_xy(X_lab, y_lab, d: int | None = None) -> tuple[int, int]:
    """``X_lab`` (n_lab, d) and ``y_lab`` (n_lab,), finite; returns ``(n_lab, d)``."""
    n_lab, dx = check_matrix("X_lab", X_lab)
    if d is not None and dx != d:
        raise ValueError(f"`X_lab` must have shape (n_lab, {d}); got {np.shape(X_lab)}.")
    check_array("y_lab", y_lab, ndim=1)
    check_shape("y_lab", y_lab, (n_lab,))
    return n_lab, dx


def check_factor_params(B, beta, sig_nu=None):
    """``B`` (d, r) finite non-empty, ``beta`` (r,) finite, ``sig_nu >= 0``; returns ``(d, r)``."""
    d, r = check_matrix("B", B)
    check_array("beta", beta, ndim=1)
    check_shape("beta", beta, (r,))
    if sig_nu is not None:
        check_nonnegative("sig_nu", sig_nu)
    return d, r


def check_n_wishart(name, n, k: int):
    """A Wishart sample size ``n >= k`` (integer-valued; skipped when traced)."""
    if not is_traced(n):
        arr = np.asarray(n)
        val = float(arr) if arr.shape == () and arr.dtype.kind in "iuf" else np.nan
        if not (np.isfinite(val) and val == np.floor(val) and val >= k):
            raise ValueError(f"`{name}` must be an integer >= {k}; got {n!r}.")
    return n


def sample_factor(key, n_samples: int, B, beta, sig_nu):
    """Draw ``n_samples`` labeled pairs from the linear factor model.

    ``x = B z + eps``, ``y = beta^T z + nu`` with ``z ~ N(0, I_r)``, ``eps ~ N(0, I_d)``,
    ``nu ~ N(0, sig_nu^2)``.

    =========  ==========
    symbol     argument
    =========  ==========
    B (d x r)  ``B``
    beta (r)   ``beta``
    sigma_nu   ``sig_nu``
    =========  ==========

    Args:
      key: PRNG key.
      n_samples: number of samples (Python int >= 1).
      B: (d, r) factor loadings.
      beta: (r,) downstream coefficients.
      sig_nu: label noise standard deviation (>= 0).

    Returns:
      ``(X, y)`` with shapes (n_samples, d) and (n_samples,).

    Raises:
      ValueError: if ``n_samples < 1``, ``B`` is not a finite non-empty (d, r) matrix, ``beta`` not
        finite (r,) or ``sig_nu < 0``.
    """
    n_samples = check_int("n_samples", n_samples, min_value=1)
    d, r = check_factor_params(B, beta, sig_nu)
    B = jnp.asarray(B)
    kz, ke, kn = jax.random.split(key, 3)
    z = jax.random.normal(kz, (n_samples, r), B.dtype)
    eps = jax.random.normal(ke, (n_samples, d), B.dtype)
    nu = jax.random.normal(kn, (n_samples,), B.dtype)
    return z @ B.T + eps, z @ jnp.asarray(beta, B.dtype) + sig_nu * nu


_N_PROPOSALS = 16


def _chi2_fixed_proposals(key, dof):
    # chi^2_dof = 2 Gamma(dof/2) by Marsaglia-Tsang rejection with a *fixed* number of vectorised
    # proposals (the first accepted one is returned; no while_loop, so the sampler is loop-free under
    # jit/vmap). The acceptance rate is >= 0.95 for shape >= 1, so all 16 proposals are rejected with
    # probability <= 0.05^16 < 1e-20 (then the last proposal is returned). Shapes < 1 use
    # Gamma(a) = Gamma(a + 1) U^{1/a}.
    a = dof / 2.0
    a1 = jnp.where(a < 1.0, a + 1.0, a)
    dd = a1 - 1.0 / 3.0
    c = 1.0 / jnp.sqrt(9.0 * dd)
    kx, ku, kb = jax.random.split(key, 3)
    shape = (_N_PROPOSALS,) + jnp.shape(a)
    x = jax.random.normal(kx, shape, dof.dtype)
    u = jax.random.uniform(ku, shape, dof.dtype, minval=jnp.finfo(dof.dtype).tiny)
    v = (1.0 + c * x) ** 3
    vpos = jnp.maximum(v, jnp.finfo(dof.dtype).tiny)
    ok = (v > 0) & (jnp.log(u) < 0.5 * x**2 + dd - dd * vpos + dd * jnp.log(vpos))
    first = jnp.argmax(jnp.concatenate([ok[:-1], jnp.ones_like(ok[-1:])], axis=0), axis=0)
    g = dd * jnp.take_along_axis(vpos, first[None], axis=0)[0]
    ub = jax.random.uniform(kb, jnp.shape(a), dof.dtype, minval=jnp.finfo(dof.dtype).tiny)
    g = jnp.where(a < 1.0, g * ub ** (1.0 / a), g)
    return 2.0 * g


def sample_cov_wishart(key, n_unlab: int, Sigma):
    """Exact draw of the sample second moment ``(1/n_unlab) sum_i x_i x_i^T``, ``x_i ~ N(0, Sigma)``.

    Bartlett decomposition: ``n_unlab S = L A A^T L^T`` with ``Sigma = L L^T`` (Cholesky),
    ``A`` lower triangular, ``A_ii^2 ~ chi^2_{n_unlab - i}`` (i = 0..d-1) and ``A_ij ~ N(0, 1)``
    for ``i > j``; so ``n_unlab S ~ Wishart_d(n_unlab, Sigma)``. Costs O(d^3) whatever ``n_unlab``.
    The chi-square draws use Marsaglia-Tsang rejection with 16 fixed proposals instead of
    ``jax.random.gamma`` (whose ``while_loop`` was seen to deadlock XLA:CPU intermittently under
    vmap on a loaded machine); the law is exact up to an event of probability < 1e-20.

    Args:
      key: PRNG key.
      n_unlab: number of unlabeled samples m (>= d); an integer, or a traced scalar under vmap.
      Sigma: (d, d) positive definite covariance.

    Returns:
      (d, d) symmetric matrix with the law of ``second_moment`` of ``n_unlab`` raw samples.

    References:
      Bartlett (1933); e.g. Anderson, *An Introduction to Multivariate Statistical Analysis*, Thm 7.2.1.
    """
    check_sym_matrix("Sigma", Sigma, definite="pd")
    d = np.shape(Sigma)[0]
    if not is_traced(n_unlab):
        m_val = float(np.asarray(n_unlab))
        if not (np.isfinite(m_val) and m_val == np.floor(m_val) and m_val >= d):
            raise ValueError(f"`n_unlab` must be an integer >= d = {d}; got {n_unlab!r}.")
    # one compiled program per shape (op by op, the 16-proposal chi-square draw is ~40 programs);
    # n_unlab stays an array argument, so a new sample size does not recompile
    return _sample_cov_wishart(key, n_unlab, jnp.asarray(Sigma))


@jax.jit
def _sample_cov_wishart(key, n_unlab, Sigma):
    d = Sigma.shape[0]
    dt = Sigma.dtype
    m = jnp.asarray(n_unlab, dt)
    kc, kn = jax.random.split(key)
    dof = m - jnp.arange(d, dtype=dt)  # chi^2 degrees of freedom on the diagonal
    chi2 = _chi2_fixed_proposals(kc, dof)
    A = jnp.tril(jax.random.normal(kn, (d, d), dt), k=-1) + jnp.diag(jnp.sqrt(chi2))
    LA = jnp.linalg.cholesky(Sigma) @ A
    S = LA @ LA.T / m
    return 0.5 * (S + S.T)


def second_moment(X_unlab):
    """The unlabeled statistic ``C = (1/n_unlab) X^T X`` (the data are centred by the model).

    Args:
      X_unlab: (n_unlab, d) unlabeled samples.

    Returns:
      (d, d) second-moment matrix.

    Raises:
      ValueError: if ``X_unlab`` is not a finite (n_unlab, d) matrix with n_unlab, d >= 1.
    """
    check_matrix("X_unlab", X_unlab)
    X = jnp.asarray(X_unlab)
    return X.T @ X / X.shape[0]


def _mle_ppca(C, r: int, noise_var):
    lam, U = jnp.linalg.eigh(C)  # ascending
    lam_r, U_r = lam[::-1][:r], U[:, ::-1][:, :r]
    # fix the sign of each eigenvector (largest |entry| positive) so that the output is deterministic;
    # any other choice differs by an element of O(r), which the downstream class absorbs.
    idx = jnp.argmax(jnp.abs(U_r), axis=0)
    sgn = jnp.sign(U_r[idx, jnp.arange(r)])
    U_r = U_r * jnp.where(sgn == 0, 1.0, sgn)
    return U_r * jnp.sqrt(jnp.maximum(lam_r - noise_var, 0.0))


def mle_ppca(C, r: int, noise_var=1.0):
    """Maximum likelihood loadings of probabilistic PCA with known noise variance (pretraining step).

    For ``x ~ N(0, B B^T + sigma^2 I_d)`` the log-likelihood of ``n_unlab`` samples depends on them
    only through ``C = (1/n_unlab) sum x x^T``, and is maximised by

        B_hat = U_r (Lambda_r - sigma^2 I)_+^{1/2} R,   R in O(r) arbitrary,

    where ``(U_r, Lambda_r)`` are the top-r eigenpairs of ``C``. We return ``R = I`` with a fixed
    sign convention (largest-magnitude entry of each eigenvector positive).

    ===================  =============
    symbol               argument
    ===================  =============
    C = (1/m) sum x x^T  ``C``
    r                    ``r``
    sigma^2              ``noise_var``
    ===================  =============

    Args:
      C: (d, d) symmetric positive semidefinite second-moment matrix (from ``second_moment`` or
        ``sample_cov_wishart``).
      r: latent dimension, ``1 <= r < d`` (static).
      noise_var: known noise variance sigma^2 > 0.

    Returns:
      (d, r) loadings ``B_hat``.

    References:
      Tipping & Bishop (1999), J. R. Stat. Soc. B 61(3), eq. (7)-(8) (here with sigma^2 known);
      Ge et al. (2024), factor-model instance of Algorithm 1 step 1 [reconstruction].
    """
    check_sym_matrix("C", C, definite="psd")
    r = check_rank(r, np.shape(C)[0])
    check_positive("noise_var", noise_var)
    return _mle_ppca(jnp.asarray(C), r, noise_var)


def _posterior_map(B_hat, noise_var):
    # P = (sigma^2 I_r + B^T B)^{-1} B^T, shape (r, d): E[z | x] = P x under the PPCA model
    r = B_hat.shape[1]
    M = noise_var * jnp.eye(r, dtype=B_hat.dtype) + B_hat.T @ B_hat
    return jnp.linalg.solve(M, B_hat.T)


def posterior_features(B_hat, X, noise_var=1.0):
    """Posterior-mean features ``E_{B_hat}[z | x] = (sigma^2 I_r + B_hat^T B_hat)^{-1} B_hat^T x``.

    Args:
      B_hat: (d, r) loadings.
      X: (n, d) inputs.
      noise_var: noise variance sigma^2 > 0.

    Returns:
      (n, r) features.

    Raises:
      ValueError: if ``B_hat`` or ``X`` is not a finite non-empty matrix, their sizes disagree or
        ``noise_var <= 0``.

    References:
      Tipping & Bishop (1999), eq. (Appendix A, posterior mean of the latent variables).
    """
    check_matrix("B_hat", B_hat)
    check_matrix("X", X)
    if np.shape(X)[1] != np.shape(B_hat)[0]:
        raise ValueError(f"`X` must have {np.shape(B_hat)[0]} columns; got shape {np.shape(X)}.")
    check_positive("noise_var", noise_var)
    B_hat = jnp.asarray(B_hat)
    return jnp.asarray(X) @ _posterior_map(B_hat, noise_var).T


def _solve_normal(S, s, ridge):
    # argmin_theta theta^T S theta - 2 s^T theta + ridge ||theta||^2 = pinv(S + ridge I) s: with
    # S = F^T F / n, s = F^T y / n this is the (ridge) least-squares fit, minimum-norm when S is
    # singular (a PPCA loading with eigenvalue below noise_var gives a zero feature).
    k = S.shape[0]
    return jnp.linalg.lstsq(S + ridge * jnp.eye(k, dtype=S.dtype), s)[0]


def _solve_pd(S, s, ridge):
    # (S + ridge I)^{-1} s for a positive definite system (OLS with n_lab >= d): an LU solve, much
    # cheaper than the SVD behind lstsq when batched on CPU.
    k = S.shape[0]
    return jnp.linalg.solve(S + ridge * jnp.eye(k, dtype=S.dtype), s)


def _moments(X_lab, y_lab):
    n = X_lab.shape[0]
    return X_lab.T @ X_lab / n, X_lab.T @ y_lab / n


def _erm_moments(B_hat, Sxx, sxy, noise_var, ridge):
    P = _posterior_map(B_hat, noise_var)
    theta = _solve_normal(P @ Sxx @ P.T, P @ sxy, ridge)
    return P.T @ theta


def _check_ridge_rows(ridge, n_lab, k, what):
    if not is_traced(ridge) and float(ridge) == 0.0 and n_lab <= k - (what == "d"):
        need = f"n_lab >= d = {k}" if what == "d" else f"n_lab > r = {k}"
        raise ValueError(f"`X_lab` needs {need} rows when ridge = 0; got n_lab = {n_lab}.")


def erm_on_features(B_hat, X_lab, y_lab, noise_var=1.0, ridge=0.0):
    """Downstream ERM (Algorithm 1 step 2): least squares of ``y`` on the features ``E_{B_hat}[z|x]``.

    ``theta_hat = argmin_theta (1/n_lab) sum_j (y_j - theta^T z_hat(x_j))^2 + ridge ||theta||^2`` with
    ``z_hat(x) = P x``, ``P = (sigma^2 I + B_hat^T B_hat)^{-1} B_hat^T``; the predictor is linear in x,
    ``g(x) = w^T x`` with ``w = P^T theta_hat``. Replacing ``B_hat`` by ``B_hat R`` (R in O(r)) leaves
    ``w`` unchanged: Psi is invariant under the transformation group O(r). The fit depends on the
    data only through ``((1/n) X^T X, (1/n) X^T y)`` (see :func:`erm_on_features_moments`).

    Args:
      B_hat: (d, r) pretrained loadings.
      X_lab: (n_lab, d) labeled inputs.
      y_lab: (n_lab,) labels.
      noise_var: sigma^2 > 0 of the PPCA posterior.
      ridge: ridge penalty >= 0 on theta (0: plain least squares); ``n_lab > r`` needed unless > 0.

    Returns:
      (d,) linear predictor ``w``.

    Raises:
      ValueError: if ``B_hat``/``X_lab`` are not finite non-empty matrices of matching width,
        ``y_lab`` not finite (n_lab,), ``noise_var <= 0``, ``ridge < 0`` or ``n_lab <= r`` at
        ``ridge = 0``.

    References:
      Ge et al. (2024), Algorithm 1 step 2 with Psi = linear maps of E[z|x] [reconstruction].
    """
    d, r = check_matrix("B_hat", B_hat)
    n_lab, _ = check_xy(X_lab, y_lab, d)
    check_positive("noise_var", noise_var)
    check_nonnegative("ridge", ridge)
    _check_ridge_rows(ridge, n_lab, r, "r")
    Sxx, sxy = _moments(jnp.asarray(X_lab), jnp.asarray(y_lab))
    return _erm_moments(jnp.asarray(B_hat), Sxx, sxy, noise_var, ridge)


def _check_moments(Sxx, sxy, d=None):
    check_sym_matrix("Sxx", Sxx, definite="psd")
    dd = np.shape(Sxx)[0]
    if d is not None and dd != d:
        raise ValueError(f"`Sxx` must have shape ({d}, {d}); got {np.shape(Sxx)}.")
    check_array("sxy", sxy, ndim=1)
    if np.shape(sxy)[0] != dd:
        raise ValueError(f"`sxy` must have shape ({dd},); got {np.shape(sxy)}.")


def erm_on_features_moments(B_hat, Sxx, sxy, noise_var=1.0, ridge=0.0):
    """:func:`erm_on_features` from the labeled moments ``Sxx = X^T X / n``, ``sxy = X^T y / n``.

    Args:
      B_hat: (d, r); Sxx: (d, d) PSD; sxy: (d,); noise_var > 0; ridge >= 0.

    Returns:
      (d,) linear predictor.

    Raises:
      ValueError: if ``B_hat`` is malformed, ``Sxx`` not PSD (d, d), ``sxy`` not (d,),
        ``noise_var <= 0`` or ``ridge < 0``.
    """
    check_matrix("B_hat", B_hat)
    _check_moments(Sxx, sxy, np.shape(B_hat)[0])
    check_positive("noise_var", noise_var)
    check_nonnegative("ridge", ridge)
    return _erm_moments(jnp.asarray(B_hat), jnp.asarray(Sxx), jnp.asarray(sxy), noise_var, ridge)


def fit_pretrain_erm(C_unlab, X_lab, y_lab, r: int, noise_var=1.0, ridge=0.0):
    """MLE then ERM for the factor model: ``mle_ppca(C_unlab, r)`` then ``erm_on_features``.

    Deterministic given its inputs. ``C_unlab`` is the unlabeled second moment, either from raw
    samples (``second_moment``) or drawn from its exact law (``sample_cov_wishart``), so both paths
    share this function.

    =====================  ====================
    symbol                 argument
    =====================  ====================
    (1/m) sum_i x_i x_i^T  ``C_unlab``
    (x_j, y_j), j <= n     ``X_lab``, ``y_lab``
    r                      ``r``
    =====================  ====================

    Args:
      C_unlab: (d, d) PSD unlabeled second-moment matrix.
      X_lab: (n_lab, d) labeled inputs; ``n_lab > r`` unless ``ridge > 0``.
      y_lab: (n_lab,) labels.
      r: latent dimension, ``1 <= r < d`` (static).
      noise_var: known noise variance sigma^2 > 0.
      ridge: ridge penalty >= 0 of the downstream fit (on the mean squared loss).

    Returns:
      (d,) linear predictor ``w`` of ``g_{phi_hat, psi_hat}(x) = w^T x``.

    Raises:
      ValueError: if ``C_unlab`` is not PSD, ``r`` not in [1, d), ``X_lab``/``y_lab`` malformed,
        ``noise_var <= 0``, ``ridge < 0`` or ``n_lab <= r`` at ``ridge = 0``.

    References:
      Ge et al. (2024), Algorithm 1 (MLE then ERM); factor-model instance [reconstruction].
    """
    check_sym_matrix("C_unlab", C_unlab, definite="psd")
    d = np.shape(C_unlab)[0]
    r = check_rank(r, d)
    n_lab, _ = check_xy(X_lab, y_lab, d)
    check_positive("noise_var", noise_var)
    check_nonnegative("ridge", ridge)
    _check_ridge_rows(ridge, n_lab, r, "r")
    Sxx, sxy = _moments(jnp.asarray(X_lab), jnp.asarray(y_lab))
    B_hat = _mle_ppca(jnp.asarray(C_unlab), r, noise_var)
    return _erm_moments(B_hat, Sxx, sxy, noise_var, ridge)


def fit_pretrain_erm_moments(C_unlab, Sxx, sxy, r: int, noise_var=1.0, ridge=0.0):
    """:func:`fit_pretrain_erm` from the labeled moments (``Sxx = X^T X/n``, ``sxy = X^T y/n``).

    With :func:`sample_lab_moments` the labeled moments are drawn from their exact (Wishart) law, so
    a seed costs O(d^3) whatever ``n_lab`` and ``n_unlab``; the result equals ``fit_pretrain_erm``
    on raw data with those moments (tested).

    Args:
      C_unlab: (d, d) PSD; Sxx: (d, d) PSD; sxy: (d,); r: ``1 <= r < d``; noise_var > 0; ridge >= 0.

    Returns:
      (d,) linear predictor.

    Raises:
      ValueError: if ``C_unlab``/``Sxx`` are not PSD, ``sxy`` not (d,), ``r`` not in [1, d),
        ``noise_var <= 0`` or ``ridge < 0``.
    """
    check_sym_matrix("C_unlab", C_unlab, definite="psd")
    d = np.shape(C_unlab)[0]
    r = check_rank(r, d)
    _check_moments(Sxx, sxy, d)
    check_positive("noise_var", noise_var)
    check_nonnegative("ridge", ridge)
    B_hat = _mle_ppca(jnp.asarray(C_unlab), r, noise_var)
    return _erm_moments(B_hat, jnp.asarray(Sxx), jnp.asarray(sxy), noise_var, ridge)


def fit_supervised_ols(X_lab, y_lab, ridge=0.0):
    """Supervised baseline: least squares of ``y`` on ``x`` in R^d (no pretraining, no intercept).

    ``w = argmin (1/n_lab) ||X w - y||^2 + ridge ||w||^2``, computed from the moments.

    Args:
      X_lab: (n_lab, d) inputs; ``n_lab >= d`` unless ``ridge > 0``.
      y_lab: (n_lab,) labels.
      ridge: ridge penalty >= 0.

    Returns:
      (d,) weights.

    Raises:
      ValueError: if ``X_lab`` is not a finite non-empty matrix, ``y_lab`` not finite (n_lab,),
        ``ridge < 0`` or ``n_lab < d`` at ``ridge = 0``.
    """
    n_lab, d = check_xy(X_lab, y_lab)
    check_nonnegative("ridge", ridge)
    _check_ridge_rows(ridge, n_lab, d, "d")
    Sxx, sxy = _moments(jnp.asarray(X_lab), jnp.asarray(y_lab))
    return _solve_pd(Sxx, sxy, ridge)


def fit_supervised_ols_moments(Sxx, sxy, ridge=0.0):
    """:func:`fit_supervised_ols` from the labeled moments ``Sxx = X^T X/n``, ``sxy = X^T y/n``.

    Raises:
      ValueError: if ``Sxx`` is not PSD (positive definite when ``ridge = 0``), ``sxy`` is not (d,),
        or ``ridge < 0``.
    """
    _check_moments(Sxx, sxy)
    check_nonnegative("ridge", ridge)
    if not is_traced(ridge) and float(ridge) == 0.0:
        check_sym_matrix("Sxx", Sxx, definite="pd")
    return _solve_pd(jnp.asarray(Sxx), jnp.asarray(sxy), ridge)


def joint_cov(B, beta, sig_nu):
    """Covariance of ``(x, y)`` in the factor model, ((d+1), (d+1)) [derived].

    ``[[B B^T + I, B beta], [beta^T B^T, beta^T beta + sig_nu^2]]``.

    Raises:
      ValueError: if ``B`` is not a finite non-empty (d, r) matrix, ``beta`` not (r,) or
        ``sig_nu < 0``.
    """
    check_factor_params(B, beta, sig_nu)
    return _joint_cov(B, beta, sig_nu)


def _joint_cov(B, beta, sig_nu):
    B = jnp.asarray(B)
    beta = jnp.asarray(beta, B.dtype)
    d = B.shape[0]
    top = jnp.concatenate([B @ B.T + jnp.eye(d, dtype=B.dtype), (B @ beta)[:, None]], axis=1)
    bot = jnp.concatenate([B @ beta, jnp.reshape(beta @ beta + sig_nu**2, (1,))])[None, :]
    return jnp.concatenate([top, bot], axis=0)


def sample_lab_moments(key, n_lab: int, B, beta, sig_nu):
    """Exact draw of ``(X^T X / n_lab, X^T y / n_lab)`` for ``n_lab`` labeled factor-model samples.

    ``(x, y)`` is jointly Gaussian with covariance :func:`joint_cov`, so ``[X y]^T [X y]`` is
    ``Wishart_{d+1}(n_lab, Sigma_xy)`` (drawn with :func:`sample_cov_wishart`). Every estimator of
    this module depends on the labeled data only through these moments [derived].

    Args:
      key: PRNG key; n_lab: labeled sample size (>= d + 1); B: (d, r); beta: (r,); sig_nu > 0.

    Returns:
      ``(Sxx, sxy)`` with shapes (d, d) and (d,).

    Raises:
      ValueError: if ``n_lab`` is not an integer >= d + 1, ``sig_nu <= 0`` or ``B``/``beta`` are
        malformed.
    """
    check_positive("sig_nu", sig_nu)
    d, _ = check_factor_params(B, beta, sig_nu)
    check_n_wishart("n_lab", n_lab, d + 1)
    # one compiled program: the joint covariance (positive definite by construction when
    # sig_nu > 0) and its Wishart draw (op by op, ~60 programs)
    return _sample_lab_moments(key, n_lab, jnp.asarray(B), jnp.asarray(beta), sig_nu)


@jax.jit
def _sample_lab_moments(key, n_lab, B, beta, sig_nu):
    S = _sample_cov_wishart(key, n_lab, _joint_cov(B, beta, sig_nu))
    return S[:-1, :-1], S[:-1, -1]


def w_star(B, beta):
    """Bayes predictor ``w* = Sigma_x^{-1} B beta = B (I_r + B^T B)^{-1} beta`` (Woodbury), (d,).

    Raises:
      ValueError: if ``B`` is not a finite non-empty (d, r) matrix or ``beta`` not finite (r,).
    """
    check_factor_params(B, beta)
    B = jnp.asarray(B)
    r = B.shape[1]
    return B @ jnp.linalg.solve(jnp.eye(r, dtype=B.dtype) + B.T @ B, jnp.asarray(beta, B.dtype))


def sigma_eff2(B, beta, sig_nu):
    """Bayes risk ``sigma_eff^2 = sig_nu^2 + beta^T (I_r + B^T B)^{-1} beta`` [derived].

    Noise variance plus the posterior variance of ``beta^T z`` given x.

    Args:
      B: (d, r) loadings; beta: (r,); sig_nu: >= 0.

    Returns:
      scalar.

    Raises:
      ValueError: if ``B``, ``beta`` or ``sig_nu`` is malformed (as :func:`joint_cov`).
    """
    check_factor_params(B, beta, sig_nu)
    B = jnp.asarray(B)
    beta = jnp.asarray(beta, B.dtype)
    r = B.shape[1]
    return sig_nu**2 + beta @ jnp.linalg.solve(jnp.eye(r, dtype=B.dtype) + B.T @ B, beta)


def excess_risk_linear(w, B, beta, sig_nu):
    """Exact excess squared risk of ``g(x) = w^T x`` in the factor model [derived].

    ``E[(y - w^T x)^2] - sigma_eff^2 = (w - w*)^T Sigma_x (w - w*)`` with ``Sigma_x = B B^T + I``,
    computed as ``||B^T delta||^2 + ||delta||^2``. ``sig_nu`` does not enter; it is validated and kept
    so that the signature matches :func:`risk_linear_factor`.

    Args:
      w: (d,) predictor; B: (d, r); beta: (r,); sig_nu: >= 0.

    Returns:
      scalar >= 0.

    Raises:
      ValueError: if ``w`` is not finite (d,) or ``B``, ``beta``, ``sig_nu`` are malformed.
    """
    d, _ = check_factor_params(B, beta, sig_nu)
    check_array("w", w, ndim=1)
    if np.shape(w)[0] != d:
        raise ValueError(f"`w` must have shape ({d},); got {np.shape(w)}.")
    B = jnp.asarray(B)
    delta = jnp.asarray(w, B.dtype) - w_star(B, beta)
    return jnp.sum((B.T @ delta) ** 2) + jnp.sum(delta**2)


def risk_linear_factor(w, B, beta, sig_nu):
    """Squared risk ``E[(y - w^T x)^2] = excess + sigma_eff^2`` of a linear predictor [derived]."""
    return excess_risk_linear(w, B, beta, sig_nu) + sigma_eff2(B, beta, sig_nu)


def _check_n(name, n_lab, k, sig_eff2):
    k = check_int(name, k, min_value=1)
    check_nonnegative("sig_eff2", sig_eff2)
    if not is_traced(n_lab) and not np.all(np.asarray(n_lab, float) > k + 1):
        raise ValueError(f"`n_lab` must be > {name} + 1 = {k + 1}; got {n_lab!r}.")


def theory_ols(n_lab, d, sig_eff2):
    """Expected excess risk of OLS with Gaussian design: ``sigma^2 d / (n_lab - d - 1)`` [derived].

    Args:
      n_lab: labeled sample size(s) (> d + 1); d: dimension; sig_eff2: noise variance sigma^2.

    Returns:
      array shaped like ``n_lab``.

    Raises:
      ValueError: if ``d`` is not an integer >= 1, ``n_lab <= d + 1`` or ``sig_eff2`` is negative
        or not finite.

    References:
      Classical: E[(X^T X)^{-1}] = Sigma^{-1} / (n - d - 1) for Gaussian X (inverse Wishart mean).
    """
    _check_n("d", n_lab, d, sig_eff2)
    n = jnp.asarray(n_lab, jnp.result_type(float))
    return sig_eff2 * d / (n - d - 1)


def theory_pretrain_oracle(n_lab, r, sig_eff2):
    """Expected excess of ERM on the true posterior features (n_unlab = inf): ``sigma^2 r/(n_lab-r-1)``.

    Well-specified regression on r Gaussian features ``E[z|x]`` with residual variance
    ``sigma_eff^2`` independent of x [derived].

    Raises:
      ValueError: if ``r`` is not an integer >= 1, ``n_lab <= r + 1`` or ``sig_eff2`` is negative
        or not finite.
    """
    _check_n("r", n_lab, r, sig_eff2)
    n = jnp.asarray(n_lab, jnp.result_type(float))
    return sig_eff2 * r / (n - r - 1)


def sin_theta(B_hat, B):
    """Sine of the largest principal angle between ``span(B_hat)`` and ``span(B)``.

    ``|| (I - Q Q^T) U_hat ||_2`` with orthonormal bases ``Q`` of ``span(B)`` and ``U_hat`` of
    ``span(B_hat)`` (both of dimension r).

    Args:
      B_hat, B: (d, r) matrices of full column rank.

    Returns:
      scalar in [0, 1].
    """
    check_array("B_hat", B_hat, ndim=2)
    check_array("B", B, ndim=2)
    if np.shape(B_hat) != np.shape(B):
        raise ValueError(
            f"`B_hat` must have the shape of `B` {np.shape(B)}; got {np.shape(B_hat)}."
        )
    U_hat = jnp.linalg.qr(jnp.asarray(B_hat))[0]
    Q = jnp.linalg.qr(jnp.asarray(B))[0]
    resid = U_hat - Q @ (Q.T @ U_hat)
    return jnp.linalg.norm(resid, ord=2)


def simulate_factor_excess(key, n_lab, n_unlab, B, beta, sig_nu, r: int, noise_var=1.0):
    """One seed of the factor-model comparison, all from exact (Wishart) sufficient statistics.

    Draws the labeled moments (:func:`sample_lab_moments`) and the unlabeled second moment
    (:func:`sample_cov_wishart`), then returns the exact excess risks of three predictors fitted on
    the *same* labeled draw (common random numbers): supervised OLS, PPCA-MLE + ERM with ``n_unlab``
    unlabeled samples, and ERM on the true posterior features (``n_unlab = inf``). ``n_lab`` and
    ``n_unlab`` may be traced (vmap over a grid); ``n_unlab = inf`` makes the second arm equal the
    third.

    Args:
      key: PRNG key.
      n_lab: labeled sample size (>= d + 1; the Wishart draw needs it).
      n_unlab: unlabeled sample size (>= d, or ``inf``).
      B: (d, r) true loadings; beta: (r,); sig_nu > 0.
      r: latent dimension used by the pretraining (static).
      noise_var: noise variance assumed by the PPCA MLE.

    Returns:
      dict ``{"ols", "pretrain", "oracle"}`` of scalar excess risks.

    Raises:
      ValueError: if ``n_lab`` is not an integer >= d + 1, ``n_unlab`` not an integer >= d (or
        ``inf``), ``r`` not in [1, d), ``noise_var <= 0``, ``sig_nu <= 0`` or ``B``/``beta`` malformed.
    """
    d, _ = check_factor_params(B, beta, sig_nu)
    check_positive("sig_nu", sig_nu)
    check_n_wishart("n_lab", n_lab, d + 1)
    if not is_traced(n_unlab) and not np.isposinf(np.asarray(n_unlab, float)).all():
        check_n_wishart("n_unlab", n_unlab, d)
    r = check_rank(r, d)
    check_positive("noise_var", noise_var)
    B = jnp.asarray(B)
    d = B.shape[0]
    dt = B.dtype
    k_lab, k_unlab = jax.random.split(key)
    Sxx, sxy = sample_lab_moments(k_lab, n_lab, B, beta, sig_nu)
    Sigma = B @ B.T + jnp.eye(d, dtype=dt)
    m = jnp.asarray(n_unlab, dt)
    finite = jnp.isfinite(m)
    C_hat = sample_cov_wishart(k_unlab, jnp.where(finite, m, float(d)), Sigma)
    C = jnp.where(finite, C_hat, Sigma)
    w_ols = _solve_pd(Sxx, sxy, 0.0)
    w_pre = _erm_moments(_mle_ppca(C, r, noise_var), Sxx, sxy, noise_var, 0.0)
    w_orc = _erm_moments(_mle_ppca(Sigma, r, noise_var), Sxx, sxy, noise_var, 0.0)
    ex = lambda w: excess_risk_linear(w, B, beta, sig_nu)  # noqa: E731
    return {"ols": ex(w_ols), "pretrain": ex(w_pre), "oracle": ex(w_orc)}
