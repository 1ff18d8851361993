"""Per-person likelihoods of the selective-labels model, the unobservable Z marginalised by quadrature.

Model [code: Balachandar et al., ``stan_models/model_with_normal_unobservables.stan``]:
``r = X beta_Y + Z``, ``Z ~ N(0, sigma^2)``, ``Y ~ Bern(sig(r))`` observed only when
``T ~ Bern(sig(alpha r + X beta_D))`` equals 1. Marginalising Z by Gauss-Hermite quadrature
[derived, spec §1]:

    p(T_i, Y_i | theta) ~= pi^{-1/2} sum_k w_k p(T_i, Y_i | Z = sqrt(2) sigma z_k)

with the physicists' Hermite nodes ``z_k`` and weights ``w_k`` (K = ``n_nodes``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import check_array, check_positive, check_shape, is_traced

__all__ = [
    "gauss_hermite",
    "loglik_given_Z",
    "loglik_marginal_gh",
    "implied_prevalence_gh",
    "untested_risk_gh",
    "heckman_loglik",
]

# Family-specific boundary rules (built on unlearnlab.lab.checks).


def check_X(X):
    """``X`` is a finite (N, M) matrix, N >= 1, whose first column is the intercept (all ones)."""
    check_array("X", X, ndim=2)
    if np.shape(X)[0] < 1 or np.shape(X)[1] < 1:
        raise ValueError(f"`X` must hold at least one person and one column; got {np.shape(X)}.")
    if not is_traced(X):
        x0 = np.asarray(X)[:, 0]
        if not np.all(x0 == 1):
            raise ValueError("`X` must have an intercept column: X[:, 0] == 1 for every person.")
    return X


def check_TY(T, Y, N: int, *, binary_Y: bool = True):
    """``T`` in {0, 1}; ``Y`` in {0, 1} where ``T = 1`` and ``-1`` (not observed) where ``T = 0``."""
    check_array("T", T, ndim=1)
    check_shape("T", T, (N,))
    check_array("Y", Y, ndim=1)
    check_shape("Y", Y, (N,))
    if is_traced(T) or is_traced(Y):
        return
    t = np.asarray(T)
    y = np.asarray(Y)
    if not np.all((t == 0) | (t == 1)):
        raise ValueError("`T` must be binary (0 = not tested, 1 = tested).")
    if binary_Y:
        if not np.all((y[t == 1] == 0) | (y[t == 1] == 1)):
            raise ValueError("`Y` must be 0 or 1 where T = 1.")
        if not np.all(y[t == 0] == -1):
            raise ValueError(
                "`Y` must be -1 (not observed) where T = 0: a label is present for an untested person."
            )


def check_mask(expertise_mask, M: int):
    """A boolean mask of length M with the intercept free; returns it as a NumPy bool array."""
    if expertise_mask is None:
        return None
    m = np.asarray(expertise_mask)
    if m.dtype != bool:
        raise ValueError(f"`expertise_mask` must be boolean; got dtype {m.dtype}.")
    if m.shape != (M,):
        raise ValueError(f"`expertise_mask` must have shape ({M},); got {m.shape}.")
    if not m[0]:
        raise ValueError("`expertise_mask[0]` (the intercept) must be True (free).")
    return m


def check_params(params, M: int):
    """``params`` holds beta_Y, beta_D of shape (M,) and scalar alpha, sigma (sigma > 0)."""
    for k in ("beta_Y", "beta_D", "alpha", "sigma"):
        if k not in params:
            raise ValueError(f"`params` must contain '{k}'.")
    check_shape("params['beta_Y']", params["beta_Y"], (M,))
    check_shape("params['beta_D']", params["beta_D"], (M,))
    for k in ("beta_Y", "beta_D", "alpha", "sigma"):
        check_array(f"params['{k}']", params[k])
    s = params["sigma"]
    if not is_traced(s) and not float(np.asarray(s)) > 0:
        raise ValueError(f"`params['sigma']` must be > 0; got {float(np.asarray(s))}.")


def gauss_hermite(n_nodes: int = 40):
    """Physicists' Gauss-Hermite nodes and log-weights, normalised so ``E f(Z) ~= sum_k w_k f(...)``.

    Returns:
      ``(u, logw)``, each shape (K,): standard-normal nodes ``u_k = sqrt(2) z_k`` and
      ``log(w_k / sqrt(pi))``, so that ``E_{U~N(0,1)} f(U) ~= sum_k exp(logw_k) f(u_k)``.
    """
    if int(n_nodes) < 1:
        raise ValueError(f"`n_nodes` must be >= 1; got {n_nodes}.")
    z, w = np.polynomial.hermite.hermgauss(int(n_nodes))
    return np.sqrt(2.0) * z, np.log(w) - 0.5 * np.log(np.pi)


def _ll_given_Z(beta_Y, beta_D, alpha, X, T, Y, Z):
    # Z broadcasts against X @ beta_Y (shape (N,) or (N, K))
    xb = X @ beta_Y
    xd = X @ beta_D
    if jnp.ndim(Z) == 2:
        xb, xd, T, Y = xb[:, None], xd[:, None], T[:, None], Y[:, None]
    r = xb + Z
    s = alpha * r + xd
    y = jnp.where(T == 1, Y, 0)
    ll_tested = jax.nn.log_sigmoid(s) + jnp.where(
        y == 1, jax.nn.log_sigmoid(r), jax.nn.log_sigmoid(-r)
    )
    return jnp.where(T == 1, ll_tested, jax.nn.log_sigmoid(-s))


def loglik_given_Z(params, X, T, Y, Z):
    """Per-person log-likelihood ``log p(T_i, Y_i | X_i, Z_i, theta)`` (the faithful latent model).

    ``T=1, Y=1: log sig(r) + log sig(s)``; ``T=1, Y=0: log sig(-r) + log sig(s)``;
    ``T=0: log sig(-s)``, where ``r = X beta_Y + Z`` and ``s = alpha r + X beta_D``.

    Args:
      params: dict with ``beta_Y`` (M,), ``beta_D`` (M,), ``alpha`` (), ``sigma`` () (sigma unused).
      X: (N, M) features, ``X[:, 0] = 1``.
      T: (N,) int in {0, 1}.
      Y: (N,) int, in {0, 1} where T = 1 and -1 where T = 0.
      Z: (N,) unobservables.

    Returns:
      (N,) log-likelihoods.

    Raises:
      ValueError: malformed ``X`` (see ``check_X``), ``T``/``Y`` (binary, -1 where untested),
        ``params``, or ``Z`` not a finite (N,) array (concrete inputs only).
    """
    check_X(X)
    N, M = np.shape(X)
    check_TY(T, Y, N)
    check_params(params, M)
    check_array("Z", Z, ndim=1)
    check_shape("Z", Z, (N,))
    return _ll_given_Z(params["beta_Y"], params["beta_D"], params["alpha"], X, T, Y, Z)


def _ll_marginal(beta_Y, beta_D, alpha, sigma, X, T, Y, n_nodes):
    u, logw = gauss_hermite(n_nodes)
    Z = sigma * jnp.asarray(u, dtype=X.dtype)[None, :]
    ll = _ll_given_Z(beta_Y, beta_D, alpha, X, T, Y, Z)
    return jax.nn.logsumexp(ll + jnp.asarray(logw, dtype=X.dtype)[None, :], axis=1)


def loglik_marginal_gh(params, X, T, Y, n_nodes: int = 40):
    """Per-person marginal log-likelihood ``log E_Z p(T_i, Y_i | X_i, Z, theta)`` by Gauss-Hermite.

    ``log p_i ~= logsumexp_k [log(w_k / sqrt(pi)) + log p(T_i, Y_i | Z = sqrt(2) sigma z_k)]``
    (spec §1, [derived]). Accurate to ~1e-7 relative for ``sigma max(1, alpha) <= 2`` at K = 40.

    Args:
      params: dict with ``beta_Y`` (M,), ``beta_D`` (M,), ``alpha`` (), ``sigma`` () > 0.
      X, T, Y: as in :func:`loglik_given_Z`.
      n_nodes: K, the number of quadrature nodes (static).

    Returns:
      (N,) marginal log-likelihoods.
    """
    check_X(X)
    N, M = np.shape(X)
    check_TY(T, Y, N)
    check_params(params, M)
    return _ll_marginal(
        params["beta_Y"], params["beta_D"], params["alpha"], params["sigma"], X, T, Y, n_nodes
    )


def _prevalence(beta_Y, sigma, X, n_nodes):
    u, logw = gauss_hermite(n_nodes)
    r = (X @ beta_Y)[:, None] + sigma * jnp.asarray(u, dtype=X.dtype)[None, :]
    return jnp.mean(jax.nn.sigmoid(r) @ jnp.exp(jnp.asarray(logw, dtype=X.dtype)))


def implied_prevalence_gh(beta_Y, sigma, X, n_nodes: int = 40):
    """Expected prevalence ``(1/N) sum_i E_Z[sig(X_i beta_Y + Z)]``, ``Z ~ N(0, sigma^2)``, by quadrature.

    Args:
      beta_Y: (M,) outcome coefficients. sigma: () > 0, s.d. of Z. X: (N, M) with intercept column.
      n_nodes: K (static).

    Returns:
      () the implied prevalence in (0, 1).
    """
    check_X(X)
    M = np.shape(X)[1]
    check_shape("beta_Y", beta_Y, (M,))
    check_array("beta_Y", beta_Y)
    if not is_traced(sigma):
        check_positive("sigma", sigma)
    return _prevalence(beta_Y, sigma, X, n_nodes)


def _untested_risk(beta_Y, beta_D, alpha, sigma, X, T, n_nodes):
    u, logw = gauss_hermite(n_nodes)
    w = jnp.exp(jnp.asarray(logw, dtype=X.dtype))
    r = (X @ beta_Y)[:, None] + sigma * jnp.asarray(u, dtype=X.dtype)[None, :]
    s = alpha * r + (X @ beta_D)[:, None]
    q0 = jax.nn.sigmoid(-s)  # p(T = 0 | Z)
    risk = (jax.nn.sigmoid(r) * q0) @ w / (q0 @ w)  # E[sig(r) | T = 0, X]
    untested = (T == 0).astype(X.dtype)
    return jnp.sum(risk * untested) / jnp.maximum(jnp.sum(untested), 1.0)


def untested_risk_gh(params, X, T, n_nodes: int = 40):
    """Mean risk of the untested, ``(1/|T=0|) sum_{i: T_i=0} E[sig(r_i) | T_i = 0, X_i, theta]``.

    ``E[sig(r) | T=0, X] = E_Z[sig(r) sig(-s)] / E_Z[sig(-s)]`` with ``s = alpha r + X beta_D``,
    both expectations by Gauss-Hermite (K = ``n_nodes``).

    Args:
      params: dict with ``beta_Y``, ``beta_D`` (M,), ``alpha``, ``sigma`` ().
      X: (N, M). T: (N,) in {0, 1}.

    Returns:
      () mean untested risk (0 if nobody is untested).
    """
    check_X(X)
    N, M = np.shape(X)
    check_TY(T, jnp.where(jnp.asarray(T) == 1, 0, -1), N)
    check_params(params, M)
    return _untested_risk(
        params["beta_Y"], params["beta_D"], params["alpha"], params["sigma"], X, T, n_nodes
    )


def heckman_loglik(beta_Y, beta_T, rho, sigma, X, T, Y):
    """Per-person log-likelihood of the Heckman selection model [code: ``heckman_model.stan``].

    ``Y = X beta_Y + Z``, ``T = 1[X beta_T + u > 0]``, ``(Z, u) ~ N(0, [[sigma^2, rho], [rho, 1]])``.
    Tested: ``log phi_sigma(Y - X beta_Y) + log Phi((X beta_T + rho/sigma^2 (Y - X beta_Y))
    / sqrt(1 - rho^2/sigma^2))``; untested: ``log Phi(-X beta_T)``.

    Args:
      beta_Y, beta_T: (M,). rho: () with ``|rho| < sigma``. sigma: () > 0.
      X: (N, M). T: (N,) in {0, 1}. Y: (N,) real (ignored where T = 0).

    Returns:
      (N,) log-likelihoods.
    """
    check_X(X)
    N, M = np.shape(X)
    check_TY(T, Y, N, binary_Y=False)
    check_shape("beta_Y", beta_Y, (M,))
    check_shape("beta_T", beta_T, (M,))
    check_array("beta_Y", beta_Y)
    check_array("beta_T", beta_T)
    if not is_traced(sigma):
        check_positive("sigma", sigma)
        if not is_traced(rho) and not abs(float(rho)) < float(sigma):
            raise ValueError(
                f"`rho` must satisfy |rho| < sigma; got rho={float(rho)}, sigma={float(sigma)}."
            )
    # one compiled program (op by op, the two normal log-CDFs alone are ~20 programs)
    return _heckman_loglik(beta_Y, beta_T, rho, sigma, X, T, Y)


@jax.jit
def _heckman_loglik(beta_Y, beta_T, rho, sigma, X, T, Y):
    resid = jnp.where(T == 1, Y - X @ beta_Y, 0.0)
    log_phi = jax.scipy.stats.norm.logpdf(resid, scale=sigma)
    c = jnp.sqrt(1.0 - rho**2 / sigma**2)
    tested = log_phi + jax.scipy.stats.norm.logcdf((X @ beta_T + rho / sigma**2 * resid) / c)
    return jnp.where(T == 1, tested, jax.scipy.stats.norm.logcdf(-(X @ beta_T)))
