"""DEUP in Bayesian linear regression: posterior variance vs excess risk under misspecification.

Lahlou, Jain, Nekoei, Butoi, Bertin, Rector-Brooks, Korablyov, Bengio, *DEUP: Direct Epistemic
Uncertainty Prediction*, TMLR 2023, arXiv:2102.08501. The paper argues that the posterior variance
misses the part of the lack of knowledge due to model misspecification, and proposes to estimate the
excess risk directly: learn a secondary predictor of the generalisation error and subtract an
estimate of the aleatoric uncertainty.

The analyzable instance (``theory/deup_linear.md``): conjugate Bayesian linear regression with
features :math:`\\phi(x)`, prior :math:`\\theta \\sim N(0, \\tau^2 I)`, assumed noise variance
:math:`\\sigma^2`, fitted to data from a cubic :math:`f^*` that the features cannot represent.

Symbols -> arguments: :math:`\\Phi` -> ``Phi`` (``(n, d)`` training features); :math:`y` -> ``y``;
:math:`\\tau^2` -> ``tau2``; :math:`\\sigma^2` -> ``sigma2`` (the model's noise variance);
:math:`\\sigma^2(x)` -> ``noise_var`` / ``sigma2_x`` (the true, heteroscedastic one);
:math:`(m, S)` -> posterior mean and covariance; :math:`\\phi(x)` -> ``phi_x`` (``(k, d)``);
:math:`f^*(x)` -> ``f_star_x``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonempty,
    check_positive,
    is_traced,
)

__all__ = [
    "misspecified_target",
    "polynomial_features",
    "sample_regression",
    "blr_posterior",
    "predictive_variance",
    "excess_risk",
    "expected_excess_fixed_design",
    "l2_projection",
    "bayes_excess_mc",
    "deup_fit",
    "deup_predict",
    "spearman",
]


# ----------------------------------------------------------------------------- validation


def _mat(name, A, d=None):
    check_array(name, A, ndim=2)
    check_nonempty(name, A)
    if d is not None and np.shape(A)[1] != d:
        raise ValueError(f"`{name}` must have {d} columns (features); got shape {np.shape(A)}.")
    return np.shape(A)


def _vec(name, v, n, like):
    check_array(name, v, ndim=1)
    if np.shape(v)[0] != n:
        raise ValueError(
            f"`{name}` must have length {n} (the rows of `{like}`); got shape {np.shape(v)}."
        )


def _nonneg_vec(name, v):
    if not is_traced(v) and np.any(np.asarray(v) < 0):
        raise ValueError(f"`{name}` must be >= 0 entrywise; got minimum {np.min(v)}.")


def _pos_vec(name, v):
    if not is_traced(v) and np.any(np.asarray(v) <= 0):
        raise ValueError(f"`{name}` must be > 0 entrywise; got minimum {np.min(v)}.")


def _x(name, x):
    check_array(name, x, ndim=(0, 1))
    return jnp.asarray(x, float)


# ----------------------------------------------------------------------------- the truth


def misspecified_target(x) -> tuple[jax.Array, jax.Array]:
    """The spec's regression truth: a cubic mean and a heteroscedastic noise variance.

    .. math:: f^*(x) = 0.3 + x - 0.6 x^3, \\qquad \\sigma^2(x) = 0.05 + 0.05 x^2.

    Args:
      x: inputs, scalar or ``(k,)``.

    Returns:
      ``(f_star, noise_var)``, each with the shape of ``x``.

    Raises:
      ValueError: ``x`` not finite or of rank > 1.

    References:
      ``theory/deup_linear.md`` Sec. 1 (the lab's instance, spec 3.7); not from the paper.
    """
    return _target(_x("x", x))


@jax.jit
def _target(x):
    return 0.3 + x - 0.6 * x**3, 0.05 + 0.05 * x**2


def polynomial_features(x, degree: int) -> jax.Array:
    """Monomial features :math:`\\phi(x) = (1, x, \\dots, x^{\\text{degree}})`.

    Args:
      x: ``(k,)`` inputs.
      degree: Python int ``>= 0``.

    Returns:
      ``(k, degree + 1)`` features.

    Raises:
      ValueError: ``x`` not finite or not 1-D; ``degree`` negative or not an integer.

    References:
      ``theory/deup_linear.md`` (degree 1: the misspecified model; degree 6: the error predictor).
    """
    check_array("x", x, ndim=1)
    degree = check_int("degree", degree, min_value=0)
    return _poly(jnp.asarray(x, float), degree)


@partial(jax.jit, static_argnums=1)
def _poly(x, degree):
    return x[:, None] ** jnp.arange(degree + 1)


def sample_regression(key, n: int, x_lo: float, x_hi: float) -> tuple[jax.Array, jax.Array]:
    """Draw ``n`` pairs ``x ~ U[x_lo, x_hi]``, ``y = f*(x) + sigma(x) * N(0, 1)`` from the truth.

    Args:
      key: PRNG key.
      n: number of pairs (Python int ``>= 1``).
      x_lo: lower end of the input range.
      x_hi: upper end, ``> x_lo``.

    Returns:
      ``(x, y)``, each ``(n,)``.

    Raises:
      ValueError: ``n < 1``; ``x_lo``/``x_hi`` not finite or ``x_hi <= x_lo``.

    References:
      :func:`misspecified_target`.
    """
    n = check_int("n", n, min_value=1)
    check_array("x_lo", x_lo, ndim=0)
    check_array("x_hi", x_hi, ndim=0)
    if not (is_traced(x_lo) or is_traced(x_hi)) and not float(x_hi) > float(x_lo):
        raise ValueError(f"`x_hi` must be > `x_lo`; got x_lo = {x_lo}, x_hi = {x_hi}.")
    kx, ke = jax.random.split(key)
    x = jax.random.uniform(kx, (n,), minval=x_lo, maxval=x_hi)
    f, v = misspecified_target(x)
    return x, f + jnp.sqrt(v) * jax.random.normal(ke, (n,))


# ----------------------------------------------------------------------------- BLR


@jax.jit
def _posterior(Phi, y, tau2, sigma2):
    d = Phi.shape[1]
    prec = Phi.T @ Phi / sigma2 + jnp.eye(d) / tau2
    S = jnp.linalg.inv(prec)
    S = 0.5 * (S + S.T)
    m = jnp.linalg.solve(prec, Phi.T @ y / sigma2)
    return m, S


def blr_posterior(Phi, y, tau2, sigma2) -> tuple[jax.Array, jax.Array]:
    """Conjugate Bayesian linear regression posterior :math:`N(m, S)`.

    .. math::

        S = \\Big(\\frac{\\Phi^\\top \\Phi}{\\sigma^2} + \\frac{I}{\\tau^2}\\Big)^{-1}, \\qquad
        m = S\\, \\frac{\\Phi^\\top y}{\\sigma^2}.

    Args:
      Phi: ``(n, d)`` training features.
      y: ``(n,)`` targets.
      tau2: prior variance :math:`\\tau^2 > 0`.
      sigma2: the model's noise variance :math:`\\sigma^2 > 0`.

    Returns:
      ``(m, S)``: ``(d,)`` posterior mean and ``(d, d)`` covariance.

    Raises:
      ValueError: non-finite or empty inputs, ``y`` of another length than ``Phi``, ``tau2 <= 0``,
        ``sigma2 <= 0``.

    References:
      Bishop, *PRML*, Eq. 3.53-3.54; DEUP (arXiv:2102.08501) uses the posterior variance as the
      variance-based EU baseline.
    """
    n, _ = _mat("Phi", Phi)
    _vec("y", y, n, "Phi")
    check_positive("tau2", tau2)
    check_positive("sigma2", sigma2)
    return _posterior(jnp.asarray(Phi, float), jnp.asarray(y, float), tau2, sigma2)


def predictive_variance(phi_x, S) -> jax.Array:
    """Variance-based epistemic uncertainty :math:`v(x) = \\phi(x)^\\top S\\, \\phi(x)`.

    Args:
      phi_x: ``(k, d)`` features of the query points.
      S: ``(d, d)`` posterior covariance.

    Returns:
      ``(k,)`` variances ``>= 0``.

    Raises:
      ValueError: non-finite inputs or shapes that disagree.

    References:
      DEUP (arXiv:2102.08501), the variance-based EU it argues against.
    """
    _, d = _mat("phi_x", phi_x)
    _mat("S", S, d)
    if np.shape(S)[0] != d:
        raise ValueError(f"`S` must be ({d}, {d}); got {np.shape(S)}.")
    return _pv(jnp.asarray(phi_x, float), jnp.asarray(S, float))


@jax.jit
def _pv(phi_x, S):
    return jnp.einsum("kd,de,ke->k", phi_x, S, phi_x)


def excess_risk(phi_x, m, f_star_x) -> jax.Array:
    """Pointwise excess risk (squared loss) of the posterior-mean predictor.

    .. math:: e^*(x) = (\\hat f(x) - f^*(x))^2, \\qquad \\hat f(x) = \\phi(x)^\\top m,

    the gap between the expected squared error of :math:`\\hat f` at :math:`x` and that of the Bayes
    predictor :math:`f^*` (the noise term cancels).

    Args:
      phi_x: ``(k, d)`` features.
      m: ``(d,)`` posterior mean.
      f_star_x: ``(k,)`` true regression function at the query points.

    Returns:
      ``(k,)`` excess risks.

    Raises:
      ValueError: non-finite inputs or shapes that disagree.

    References:
      DEUP (arXiv:2102.08501), abstract: excess risk as the measure of epistemic uncertainty.
    """
    k, d = _mat("phi_x", phi_x)
    _vec("m", m, d, "phi_x columns")
    _vec("f_star_x", f_star_x, k, "phi_x")
    return _er(*(jnp.asarray(a, float) for a in (phi_x, m, f_star_x)))


@jax.jit
def _er(phi_x, m, f_star_x):
    return (phi_x @ m - f_star_x) ** 2


@jax.jit
def _excess_fd(Phi, f_star_train, noise_var, tau2, sigma2, phi_x, f_star_x):
    d = Phi.shape[1]
    prec = Phi.T @ Phi / sigma2 + jnp.eye(d) / tau2
    A = jnp.linalg.solve(prec, Phi.T) / sigma2  # (d, n): m = A y
    bias = phi_x @ (A @ f_star_train) - f_star_x
    B = phi_x @ A  # (k, n)
    return bias**2 + jnp.sum(B**2 * noise_var, axis=1), bias**2


def expected_excess_fixed_design(
    Phi, f_star_train, noise_var, tau2, sigma2, phi_x, f_star_x
) -> tuple[jax.Array, jax.Array]:
    """Expected excess risk over the training noise, for a fixed design (exact).

    With :math:`m = A y`, :math:`A = S \\Phi^\\top / \\sigma^2` and
    :math:`y = f^*_{\\text{train}} + \\varepsilon`, :math:`\\operatorname{Cov}\\varepsilon =
    \\operatorname{diag}(\\sigma^2(x_i))`:

    .. math::

        \\mathbb{E}_\\varepsilon\\, e^*(x) = \\big(\\phi(x)^\\top A f^*_{\\text{train}} - f^*(x)\\big)^2
            + \\phi(x)^\\top A\\, \\operatorname{diag}(\\sigma^2(x_i))\\, A^\\top \\phi(x).

    Args:
      Phi: ``(n, d)`` training features.
      f_star_train: ``(n,)`` true function at the training inputs.
      noise_var: ``(n,)`` true noise variances at the training inputs (``>= 0``).
      tau2: prior variance ``> 0``.
      sigma2: the model's noise variance ``> 0``.
      phi_x: ``(k, d)`` query features.
      f_star_x: ``(k,)`` true function at the queries.

    Returns:
      ``(expected, bias_sq)``: ``(k,)`` expected excess risk and its squared-bias part.

    Raises:
      ValueError: non-finite inputs, negative ``noise_var``, non-positive variances, shapes that
        disagree.

    References:
      ``theory/deup_linear.md`` Prop. D2 (derived).
    """
    n, d = _mat("Phi", Phi)
    _vec("f_star_train", f_star_train, n, "Phi")
    _vec("noise_var", noise_var, n, "Phi")
    _nonneg_vec("noise_var", noise_var)
    check_positive("tau2", tau2)
    check_positive("sigma2", sigma2)
    k, _ = _mat("phi_x", phi_x, d)
    _vec("f_star_x", f_star_x, k, "phi_x")
    a = [jnp.asarray(v, float) for v in (Phi, f_star_train, noise_var)]
    return _excess_fd(*a, tau2, sigma2, jnp.asarray(phi_x, float), jnp.asarray(f_star_x, float))


def l2_projection(Phi_grid, f_star_grid, weights) -> jax.Array:
    """Best linear-in-features approximation of :math:`f^*` in a weighted :math:`L^2`.

    .. math:: \\theta_\\infty = \\arg\\min_\\theta \\sum_i w_i (\\phi(x_i)^\\top\\theta - f^*(x_i))^2,

    with quadrature weights :math:`w_i` of the input law (e.g. a uniform grid on [-1, 1]).

    Args:
      Phi_grid: ``(N, d)`` features on the quadrature grid.
      f_star_grid: ``(N,)`` truth on the grid.
      weights: ``(N,)`` non-negative weights (not all zero).

    Returns:
      ``(d,)`` projection coefficients.

    Raises:
      ValueError: non-finite inputs, negative weights, all-zero weights, shapes that disagree.

    References:
      ``theory/deup_linear.md`` Prop. D2 (the limit of the posterior mean under misspecification).
    """
    N, _ = _mat("Phi_grid", Phi_grid)
    _vec("f_star_grid", f_star_grid, N, "Phi_grid")
    _vec("weights", weights, N, "Phi_grid")
    _nonneg_vec("weights", weights)
    if not is_traced(weights) and not np.sum(weights) > 0:
        raise ValueError("`weights` must have a positive sum.")
    return _proj(*(jnp.asarray(v, float) for v in (Phi_grid, f_star_grid, weights)))


@jax.jit
def _proj(P, f, w):
    return jnp.linalg.solve(P.T @ (w[:, None] * P), P.T @ (w * f))


@jax.jit
def _bayes_mc(key, Phi, tau2, sigma2, phi_x):
    n, d = Phi.shape
    kt, ke = jax.random.split(key)
    theta = jnp.sqrt(tau2) * jax.random.normal(kt, (d,))
    y = Phi @ theta + jnp.sqrt(sigma2) * jax.random.normal(ke, (n,))
    m, _ = _posterior(Phi, y, tau2, sigma2)
    return (phi_x @ (m - theta)) ** 2


def bayes_excess_mc(key, Phi, tau2, sigma2, phi_x) -> jax.Array:
    """One draw of the well-specified excess risk: :math:`\\theta^* \\sim N(0, \\tau^2 I)`, data from it.

    Draws :math:`\\theta^*` from the prior and :math:`y = \\Phi\\theta^* + N(0, \\sigma^2 I)`, fits
    :func:`blr_posterior` with the same :math:`\\tau^2, \\sigma^2`, and returns
    :math:`(\\phi(x)^\\top(m - \\theta^*))^2`. Its expectation is the posterior variance
    (``theory/deup_linear.md`` Prop. D1):

    .. math:: \\mathbb{E}_{\\theta^*, \\varepsilon}\\big[(\\hat f(x) - f^*(x))^2\\big] = \\phi(x)^\\top S \\phi(x).

    Average over keys (``vmap``) to estimate it.

    Args:
      key: PRNG key.
      Phi: ``(n, d)`` training features (fixed design).
      tau2: prior variance ``> 0``.
      sigma2: noise variance ``> 0`` (the truth's and the model's).
      phi_x: ``(k, d)`` query features.

    Returns:
      ``(k,)`` squared errors of one draw.

    Raises:
      ValueError: non-finite inputs, non-positive variances, shapes that disagree.

    References:
      ``theory/deup_linear.md`` Prop. D1 (derived); the identity behind variance-based EU.
    """
    _, d = _mat("Phi", Phi)
    check_positive("tau2", tau2)
    check_positive("sigma2", sigma2)
    _mat("phi_x", phi_x, d)
    return _bayes_mc(key, jnp.asarray(Phi, float), tau2, sigma2, jnp.asarray(phi_x, float))


# ----------------------------------------------------------------------------- DEUP


@jax.jit
def _ridge(P, t, ridge):
    d = P.shape[1]
    return jnp.linalg.solve(P.T @ P + ridge * jnp.eye(d), P.T @ t)


def deup_fit(Phi_err, sq_resid, ridge) -> jax.Array:
    """Fit DEUP's secondary predictor of the total out-of-sample error by (ridge) least squares.

    .. math::

        \\hat\\beta = \\arg\\min_\\beta \\sum_i \\big(\\psi(x_i)^\\top \\beta - (y_i - \\hat f(x_i))^2\\big)^2
                    + \\lambda \\|\\beta\\|^2,

    on held-out pairs :math:`(x_i, y_i)` not used to fit :math:`\\hat f`. Since
    :math:`\\mathbb{E}[(y - \\hat f(x))^2 \\mid x, \\hat f] = \\sigma^2(x) + e^*(x)`, the fitted
    :math:`\\hat e(x) = \\psi(x)^\\top\\hat\\beta` estimates aleatoric plus epistemic error.

    Args:
      Phi_err: ``(n_err, q)`` error-predictor features :math:`\\psi(x_i)`.
      sq_resid: ``(n_err,)`` squared residuals ``>= 0`` of the main predictor on the held-out set.
      ridge: ``lambda >= 0`` (0: ordinary least squares).

    Returns:
      ``(q,)`` coefficients :math:`\\hat\\beta`.

    Raises:
      ValueError: non-finite inputs, negative residuals or ridge, shapes that disagree.

    References:
      DEUP (arXiv:2102.08501), abstract: "learning a secondary predictor for the generalization
      error" [paper]; the least-squares form is the lab's instance.
    """
    n, _ = _mat("Phi_err", Phi_err)
    _vec("sq_resid", sq_resid, n, "Phi_err")
    _nonneg_vec("sq_resid", sq_resid)
    check_array("ridge", ridge, ndim=0)
    _nonneg_vec("ridge", ridge)
    return _ridge(jnp.asarray(Phi_err, float), jnp.asarray(sq_resid, float), ridge)


def deup_predict(coef, Phi_x, sigma2_x) -> jax.Array:
    """DEUP's epistemic uncertainty: predicted total error minus the aleatoric part, clipped at 0.

    .. math:: \\hat u(x) = \\max\\big(\\psi(x)^\\top \\hat\\beta - \\sigma^2(x),\\ 0\\big).

    Args:
      coef: ``(q,)`` coefficients from :func:`deup_fit`.
      Phi_x: ``(k, q)`` error-predictor features of the queries.
      sigma2_x: ``(k,)`` aleatoric variance estimate at the queries (``> 0``).

    Returns:
      ``(k,)`` estimated excess risk ``>= 0``.

    Raises:
      ValueError: non-finite inputs, non-positive ``sigma2_x``, shapes that disagree.

    References:
      DEUP (arXiv:2102.08501), abstract: "subtracting an estimate of aleatoric uncertainty" [paper].
    """
    k, q = _mat("Phi_x", Phi_x)
    _vec("coef", coef, q, "Phi_x columns")
    _vec("sigma2_x", sigma2_x, k, "Phi_x")
    _pos_vec("sigma2_x", sigma2_x)
    return _dp(*(jnp.asarray(a, float) for a in (coef, Phi_x, sigma2_x)))


@jax.jit
def _dp(coef, Phi_x, sigma2_x):
    return jnp.maximum(Phi_x @ coef - sigma2_x, 0.0)


def _midrank(a):
    """Mid-ranks: #{a_j < a_i} + (#{a_j == a_i} + 1) / 2 (O(k^2); k is a grid size)."""
    less = jnp.sum(a[None, :] < a[:, None], axis=1)
    eq = jnp.sum(a[None, :] == a[:, None], axis=1)
    return less + (eq + 1) / 2.0


def spearman(a, b) -> jax.Array:
    """Spearman rank correlation of two samples (tied values share their mean rank).

    .. math:: \\rho_S = \\operatorname{corr}(\\operatorname{rank}(a), \\operatorname{rank}(b)).

    Args:
      a: ``(k,)`` values, ``k >= 2``.
      b: ``(k,)`` values.

    Returns:
      Scalar in [-1, 1] (0 if one sample is constant).

    Raises:
      ValueError: non-finite inputs, fewer than 2 values, lengths that differ.

    References:
      Spearman (1904); used for DEUP's ranking of uncertainty estimates (spec D4).
    """
    check_array("a", a, ndim=1)
    if np.shape(a)[0] < 2:
        raise ValueError(f"`a` must hold at least 2 values; got shape {np.shape(a)}.")
    _vec("b", b, np.shape(a)[0], "a")
    return _spearman(jnp.asarray(a, float), jnp.asarray(b, float))


@jax.jit
def _spearman(a, b):
    ra, rb = _midrank(a), _midrank(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = jnp.sqrt(jnp.sum(ra**2) * jnp.sum(rb**2))
    return jnp.where(den > 0, jnp.sum(ra * rb) / jnp.where(den > 0, den, 1.0), 0.0)
