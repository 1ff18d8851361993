"""Identification of the latent up to an affine map: the linear-invariance sieve (Rep4Ex).

Saengkyongam et al., *Identifying Representations for Intervention Extrapolation*, ICLR 2024
(arXiv:2310.04295), Sec. 4-5: if the action acts linearly on the latent, :math:`E[Z \\mid A]` is affine
in :math:`A`, and an encoder :math:`\\phi(X)` whose conditional mean :math:`E[\\phi(X) \\mid A]` is affine
recovers :math:`Z` up to an affine map (the paper's linear invariance constraint, enforced there with an
autoencoder and a penalty). The lab's analyzable version [derived sieve analogue,
``theory/rep4ex.md`` Sec. 3] searches :math:`\\phi = \\gamma^\\top b(X)` over a polynomial sieve and
solves the constraint as a generalised eigenproblem.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import solve_triangular

from unlearnlab.lab.checks import check_array, check_in_range, check_int, is_traced

__all__ = [
    "InvarianceFit",
    "AffineFit",
    "poly_basis",
    "legendre_basis",
    "linear_invariance_encoder",
    "encode",
    "affine_r2",
    "min_samples",
]


class InvarianceFit(NamedTuple):
    """The fitted linear-invariance encoder :math:`\\hat\\phi(X) = \\hat\\gamma^\\top (b(X) - c)/s`."""

    gamma: jax.Array  # (d,) weights on the standardised basis; Var phi = 1
    center: jax.Array  # (d,) column means c of B
    scale: jax.Array  # (d,) column standard deviations s of B
    eigvals: jax.Array  # (d,) generalised eigenvalues, ascending; eigvals[0] is the criterion
    phi: jax.Array  # (n,) the representation on the fitting sample (mean 0, variance 1)


class AffineFit(NamedTuple):
    """Best affine map :math:`Z \\approx \\text{intercept} + \\text{slope}\\,\\phi` and its :math:`R^2`."""

    r2: jax.Array  # () R^2 of the affine fit
    one_minus_r2: jax.Array  # () 1 - R^2 = SSR / SST, computed from the residuals (no cancellation)
    slope: jax.Array  # ()
    intercept: jax.Array  # ()


def min_samples(d: int, m: int) -> int:
    """Smallest sample size :func:`linear_invariance_encoder` accepts: ``2 (d + m) + 2``.

    The sieve has ``d`` basis functions of ``X`` and ``m + 1`` polynomials of ``A`` (degrees 0..m);
    twice their number (plus two) keeps every moment matrix of full rank with a margin.

    Args:
      d: number of basis functions (``>= 1``). m: largest Legendre degree (``>= 2``).

    Returns:
      The minimum ``n``.

    Raises:
      ValueError: if ``d < 1`` or ``m < 2``.
    """
    d = check_int("d", d, min_value=1)
    m = check_int("m", m, min_value=2)
    return 2 * (d + m) + 2


def poly_basis(x, degree: int):
    r"""Monomial sieve :math:`b(x) = (x, x^2, \dots, x^{\text{degree}})` (no constant column).

    Args:
      x: ``(n,)`` feature values.
      degree: sieve degree (``>= 1``); ``degree >= 3`` contains :math:`h(x) = x + x^3/3`.

    Returns:
      ``(n, degree)``.

    Raises:
      ValueError: if ``degree < 1``, ``x`` is not 1-D or holds NaN/inf.

    References:
      ``theory/rep4ex.md`` Sec. 3 (the sieve); arXiv:2310.04295 Sec. 5 uses neural encoders instead.
    """
    degree = check_int("degree", degree, min_value=1)
    check_array("x", x, ndim=1)
    return _monomials(jnp.asarray(x), degree)


@partial(jax.jit, static_argnums=(1,))
def _monomials(x, degree):
    return x[:, None] ** jnp.arange(1, degree + 1)


@partial(jax.jit, static_argnums=(1,))
def _legendre(a, degrees):
    top = max(degrees)
    polys = [jnp.ones_like(a), a]
    for k in range(1, top):
        polys.append(((2 * k + 1) * a * polys[k] - k * polys[k - 1]) / (k + 1))
    return jnp.stack([polys[k] for k in degrees], axis=-1)


def legendre_basis(a, degrees):
    r"""Legendre polynomials :math:`P_k(a)` for ``k`` in ``degrees`` (Bonnet's recurrence).

    .. math:: (k+1) P_{k+1}(a) = (2k+1)\, a\, P_k(a) - k\, P_{k-1}(a),\quad P_0 = 1,\ P_1 = a .

    Args:
      a: ``(n,)`` values in ``[-1, 1]``.
      degrees: non-empty sequence of integers ``>= 0``.

    Returns:
      ``(n, len(degrees))``.

    Raises:
      ValueError: if ``a`` is not 1-D, holds NaN/inf or leaves ``[-1, 1]``; if ``degrees`` is empty
        or holds a negative or non-integer entry.

    References:
      ``theory/rep4ex.md`` Sec. 3 (test functions of the action).
    """
    degrees = _check_degrees(degrees)
    check_array("a", a, ndim=1)
    check_in_range("a", a, -1.0, 1.0)
    return _legendre(jnp.asarray(a), degrees)


def _check_degrees(degrees):
    if isinstance(degrees, (int, np.integer)) or not hasattr(degrees, "__len__"):
        raise ValueError(f"`degrees` must be a sequence of integers; got {degrees!r}.")
    if len(degrees) == 0:
        raise ValueError("`degrees` must be non-empty.")
    return tuple(check_int("degrees", k, min_value=0) for k in degrees)


def _wmean(w, x):
    return jnp.tensordot(w, x, axes=(0, 0))


def _residualise(w, D, M):
    """Weighted least-squares residual of the columns of ``M`` on those of ``D``."""
    DW = D * w[:, None]
    coef = jnp.linalg.solve(DW.T @ D, DW.T @ M)
    return M - D @ coef


@partial(jax.jit, static_argnums=(2,))
def _encoder_core(B, A, m, w):
    center = _wmean(w, B)
    Bc = B - center
    scale = jnp.sqrt(_wmean(w, Bc**2))
    Bs = Bc / scale
    lo, hi = jnp.min(A), jnp.max(A)
    a = 2.0 * (A - lo) / (hi - lo) - 1.0  # affine rescale: the polynomial spaces do not change
    D = jnp.stack([jnp.ones_like(a), a], axis=1)
    Psi = _residualise(w, D, _legendre(a, tuple(range(2, m + 1))))
    Bt = _residualise(w, D, Bs)
    PsiW = Psi * w[:, None]
    G = Bt.T @ PsiW  # (d, m-1) = E[b~ psi~^T]
    S_psi = Psi.T @ PsiW  # (m-1, m-1) = E[psi~ psi~^T]
    S_b = Bs.T @ (Bs * w[:, None])  # (d, d) = Var b (the correlation matrix)
    R = jnp.linalg.cholesky(S_psi)
    H = solve_triangular(R, G.T, lower=True)  # K = G S_psi^{-1} G^T = H^T H
    L = jnp.linalg.cholesky(S_b)
    C = solve_triangular(L, H.T, lower=True)  # L^{-1} G R^{-T}
    lam, U = jnp.linalg.eigh(C @ C.T)
    gamma = solve_triangular(L.T, U[:, 0], lower=False)  # gamma^T S_b gamma = 1
    sgn = jnp.where((S_b @ gamma)[0] < 0, -1.0, 1.0)  # Cov(phi, b_1) >= 0
    gamma = sgn * gamma
    return InvarianceFit(gamma, center, scale, lam, Bs @ gamma)


def _check_weights(weights, n):
    if weights is None:
        return None
    check_array("weights", weights, ndim=1)
    if np.shape(weights)[0] != n:
        raise ValueError(
            f"`weights` must have length n = {n} (rows of `B`); got {np.shape(weights)}."
        )
    if not is_traced(weights):
        w = np.asarray(weights, float)
        if np.any(w < 0) or not w.sum() > 0:
            raise ValueError("`weights` must be non-negative with a positive sum.")
    return weights


def _normalised_weights(weights, n, dtype):
    if weights is None:
        return jnp.full((n,), 1.0 / n, dtype)
    w = jnp.asarray(weights, dtype)
    return w / jnp.sum(w)


def linear_invariance_encoder(B, A, m: int, weights=None) -> InvarianceFit:
    r"""Rep4Ex identification on a sieve: the encoder whose conditional mean given ``A`` is affine.

    With :math:`b` the standardised columns of ``B``, :math:`\psi = (P_2, \dots, P_m)(A)` (Legendre,
    after rescaling ``A`` to ``[-1, 1]``) and tildes for residuals of a weighted least-squares
    regression on :math:`(1, A)`,

    .. math::

        G = \hat E[\tilde b\, \tilde\psi^\top],\quad \hat W = \hat E[\tilde\psi\tilde\psi^\top]^{-1},\quad
        \hat\gamma = \arg\min_{\gamma^\top \hat\Sigma_b \gamma = 1} \gamma^\top G \hat W G^\top \gamma,

    the eigenvector of the smallest generalised eigenvalue of :math:`(G\hat WG^\top, \hat\Sigma_b)`.
    The criterion :math:`\lambda_1` is the share of :math:`\operatorname{Var}\phi` explained by the
    non-affine part of :math:`E[\phi | A]` (0 for :math:`\phi = Z`); :math:`\lambda_2` measures how
    well the constraint separates :math:`Z` from the other sieve directions. :math:`\hat\phi` is
    defined up to sign; the sign makes :math:`\operatorname{Cov}(\hat\phi, b_1) \ge 0`.

    Symbols: ``B`` :math:`b(X)` (e.g. :func:`poly_basis`), ``A`` the action, ``m`` the largest
    Legendre degree of the test functions, ``weights`` optional sample weights (quadrature weights
    give population moments).

    Args:
      B: ``(n, d)`` sieve basis evaluated at the features.
      A: ``(n,)`` actions.
      m: largest Legendre degree (``>= 2``).
      weights: optional ``(n,)`` non-negative sample weights (default uniform).

    Returns:
      :class:`InvarianceFit` (``gamma`` ``(d,)``, ``center``, ``scale``, ``eigvals`` ``(d,)``,
      ``phi`` ``(n,)``).

    Raises:
      ValueError: if shapes disagree (``B`` not 2-D, ``A`` or ``weights`` not of length ``n``),
        an input holds NaN/inf, ``m < 2``, ``n`` is below :func:`min_samples` (``B``), ``B`` has a
        constant or collinear column, ``A`` takes fewer than ``m + 1`` distinct values (a singular
        action covariance), or the weights are negative or sum to zero.

    References:
      arXiv:2310.04295, Sec. 4 (identification up to an affine map under the linear invariance
      constraint) and Sec. 5 (the paper's autoencoder estimator); the eigenproblem is the lab's
      [derived] sieve version (``theory/rep4ex.md`` Sec. 3).
    """
    m = check_int("m", m, min_value=2)
    check_array("B", B, ndim=2)
    check_array("A", A, ndim=1)
    n, d = np.shape(B)
    if np.shape(A)[0] != n:
        raise ValueError(f"`A` must have length n = {n} (rows of `B`); got shape {np.shape(A)}.")
    need = min_samples(max(d, 1), m)
    if d < 1 or n < need:
        raise ValueError(
            f"`B` has shape {(n, d)}: the sieve with d = {d} basis columns and Legendre degree "
            f"`m` = {m} needs d >= 1 and n >= 2 (d + m) + 2 = {need} samples."
        )
    _check_weights(weights, n)
    if not is_traced(A):
        Anp = np.asarray(A, float)
        w = None if weights is None or is_traced(weights) else np.asarray(weights, float)
        support = np.unique(Anp if w is None else Anp[w > 0]).size
        if support < m + 1:
            raise ValueError(
                f"`A` takes {support} distinct value(s): the action covariance of (A, P_2(A), ..., "
                f"P_m(A)) with `m` = {m} is singular (needs >= {m + 1} distinct values)."
            )
    if not is_traced(B):
        Bnp = np.asarray(B, float)
        w = np.full(n, 1.0 / n) if weights is None or is_traced(weights) else np.asarray(weights)
        w = w / w.sum()
        Bc = Bnp - w @ Bnp
        sd = np.sqrt(w @ Bc**2)
        if np.any(sd <= 1e-12 * (1.0 + np.abs(w @ Bnp))):
            raise ValueError(
                f"`B` has a constant column (column standard deviations {sd.tolist()})."
            )
        corr = (Bc / sd).T @ ((Bc / sd) * w[:, None])
        lam = np.linalg.eigvalsh(corr)
        if lam[0] < 1e-12 * lam[-1]:
            raise ValueError(
                f"`B` has (nearly) collinear columns: the smallest eigenvalue of its correlation "
                f"matrix is {lam[0]:.2e}; the sieve covariance is singular."
            )
    B = jnp.asarray(B)
    w = _normalised_weights(weights, n, B.dtype)
    return _encoder_core(B, jnp.asarray(A, B.dtype), m, w)


def encode(fit: InvarianceFit, B):
    r"""Apply a fitted encoder to new basis rows: :math:`\hat\phi = ((B - c)/s)\,\hat\gamma`.

    Args:
      fit: an :class:`InvarianceFit`.
      B: ``(n, d)`` basis rows with the ``d`` of the fit.

    Returns:
      ``(n,)`` representation values.

    Raises:
      ValueError: if ``fit`` holds NaN/inf or ``B`` is not ``(n, d)`` or holds NaN/inf.
    """
    from unlearnlab.lab.checks import check_tree_finite

    check_tree_finite("fit", fit)
    check_array("B", B, ndim=2)
    d = np.shape(fit.gamma)[0]
    if np.shape(B)[1] != d:
        raise ValueError(
            f"`B` must have d = {d} columns (as `fit.gamma`); got shape {np.shape(B)}."
        )
    return _encode(fit, jnp.asarray(B))


@jax.jit
def _encode(fit, B):
    return ((B - fit.center) / fit.scale) @ fit.gamma


def affine_r2(phi, Z, weights=None) -> AffineFit:
    r"""How well a representation recovers the latent up to an affine map: :math:`R^2` of Z on phi.

    .. math::

        (\hat a, \hat c) = \arg\min \hat E (Z - a - c\,\phi)^2,\qquad
        1 - R^2 = \frac{\hat E (Z - \hat a - \hat c\,\phi)^2}{\widehat{\operatorname{Var}}\, Z},

    the residual ratio computed directly from the residuals (accurate when :math:`1 - R^2` is tiny).
    :math:`R^2` is invariant to affine maps of ``phi`` and of ``Z`` (identification "up to affine").

    Args:
      phi: ``(n,)`` representation. Z: ``(n,)`` true latent. weights: optional ``(n,)`` weights.

    Returns:
      :class:`AffineFit` ``(r2, one_minus_r2, slope, intercept)``.

    Raises:
      ValueError: if shapes disagree, an input holds NaN/inf, ``n < 3``, ``phi`` or ``Z`` is
        constant, or the weights are negative / sum to zero.

    References:
      The identification target of arXiv:2310.04295, Sec. 4 (``theory/rep4ex.md`` R1, R2).
    """
    check_array("phi", phi, ndim=1)
    check_array("Z", Z, ndim=1)
    n = np.shape(phi)[0]
    if np.shape(Z) != (n,):
        raise ValueError(f"`Z` must have the shape of `phi` {(n,)}; got {np.shape(Z)}.")
    if n < 3:
        raise ValueError(f"`phi` must hold at least 3 samples; got {n}.")
    if weights is not None:
        check_array("weights", weights, ndim=1)
        if np.shape(weights) != (n,):
            raise ValueError(f"`weights` must have shape {(n,)}; got {np.shape(weights)}.")
        if not is_traced(weights):
            wn = np.asarray(weights, float)
            if np.any(wn < 0) or not wn.sum() > 0:
                raise ValueError("`weights` must be non-negative with a positive sum.")
    for name, v in (("phi", phi), ("Z", Z)):
        if not is_traced(v) and np.ptp(np.asarray(v)) == 0:
            raise ValueError(f"`{name}` is constant: R^2 is undefined.")
    phi = jnp.asarray(phi)
    w = _normalised_weights(weights, n, phi.dtype)
    return _affine_core(phi, jnp.asarray(Z, phi.dtype), w)


@jax.jit
def _affine_core(phi, Z, w):
    pc = phi - _wmean(w, phi)
    zc = Z - _wmean(w, Z)
    slope = _wmean(w, pc * zc) / _wmean(w, pc**2)
    resid = zc - slope * pc
    frac = _wmean(w, resid**2) / _wmean(w, zc**2)
    return AffineFit(1.0 - frac, frac, slope, _wmean(w, Z) - slope * _wmean(w, phi))
