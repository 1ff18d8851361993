"""Synthetic selective-labels data: the authors' generators, written for one dataset (key first).

[code: Balachandar, Garg, Pierson, ``generate_synthetic_data.py`` and
``generate_synthetic_data_heckman.py``, github.com/sidhikabalachandar/domain_constraints]. The
authors' dataset draw (transcribed, for :func:`draw_synthetic_params`):

* ``X``: N x (M-1) standard normals, each column standardised to empirical mean 0 and s.d. 1, with an
  intercept column of ones prepended;
* ``beta_Y ~ N(0, I_M)``, then ``beta_Y[0]`` replaced by an intercept ``~ N(mu_Y0, s_0^2)``;
* ``beta_Delta`` zero except on the indices {0, 1}, where it is ``N(0, 1)``; then ``beta_Delta[0]``
  replaced by an intercept ``~ N(mu_D0, s_0^2)``;
* ``alpha ~ N(alpha_mean, alpha_std^2)``, ``sigma ~ N(sigma_mean, sigma_std^2)``;
* the "implied prevalence" target is the empirical ``mean(Y)`` over all N people.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import (
    check_array,
    check_index,
    check_int,
    check_nonnegative,
    check_positive,
    check_shape,
    is_traced,
)

__all__ = [
    "simulate_selective_labels",
    "simulate_heckman",
    "draw_synthetic_params",
    "standardised_features",
]


def standardised_features(key, N: int, M: int, dtype=None):
    """(N, M) features: an intercept column of ones, then M-1 empirically standardised normals."""
    N = check_int("N", N, min_value=2)
    M = check_int("M", M, min_value=1)
    dtype = dtype or jnp.result_type(float)
    x = jax.random.normal(key, (N, M - 1), dtype)
    x = (x - x.mean(0)) / x.std(0)
    return jnp.concatenate([jnp.ones((N, 1), dtype), x], axis=1)


def simulate_selective_labels(key, N: int, M: int, beta_Y, beta_D, alpha, sigma) -> dict:
    """One selective-labels dataset [code: ``generate_synthetic_data.py``, normal unobservables].

    ``Z ~ N(0, sigma^2)``, ``r = X beta_Y + Z``, ``Y ~ Bern(sig(r))``,
    ``T ~ Bern(sig(alpha r + X beta_D))``; Y is recorded only where T = 1.

    Args:
      key: PRNG key. N: people. M: features including the intercept.
      beta_Y: (M,) outcome coefficients. beta_D: (M,) extra testing coefficients (beta_Delta).
      alpha: () weight of the risk in the testing decision. sigma: () > 0, s.d. of Z.

    Returns:
      dict with ``X`` (N, M), ``T`` (N,) int32, ``Y`` (N,) int32 (-1 where T = 0), ``Y_full``
      (N,) the unobserved-included outcomes, ``Z`` (N,), ``p_Y`` (N,), ``p_T`` (N,), and
      ``prevalence`` () = mean(Y_full) (the generator's target pi*).
    """
    N = check_int("N", N, min_value=2)
    M = check_int("M", M, min_value=1)
    check_shape("beta_Y", beta_Y, (M,))
    check_shape("beta_D", beta_D, (M,))
    check_array("beta_Y", beta_Y)
    check_array("beta_D", beta_D)
    check_array("alpha", alpha)
    check_positive("sigma", sigma) if not is_traced(sigma) else None
    kx, kz, ky, kt = jax.random.split(key, 4)
    X = standardised_features(kx, N, M)
    Z = sigma * jax.random.normal(kz, (N,), X.dtype)
    r = X @ beta_Y + Z
    p_Y = jax.nn.sigmoid(r)
    Y_full = (jax.random.uniform(ky, (N,), X.dtype) < p_Y).astype(jnp.int32)
    p_T = jax.nn.sigmoid(alpha * r + X @ beta_D)
    T = (jax.random.uniform(kt, (N,), X.dtype) < p_T).astype(jnp.int32)
    Y = jnp.where(T == 1, Y_full, -1).astype(jnp.int32)
    return {
        "X": X,
        "T": T,
        "Y": Y,
        "Y_full": Y_full,
        "Z": Z,
        "p_Y": p_Y,
        "p_T": p_T,
        "prevalence": jnp.mean(Y_full.astype(X.dtype)),
    }


def draw_synthetic_params(
    key,
    M: int,
    *,
    betaY_intercept_mean: float = -2.0,
    betaD_intercept_mean: float = 2.0,
    intercept_std: float = 0.5,
    sigma_mean: float = 2.0,
    sigma_std: float = 0.5,
    alpha: float = 1.0,
    expertise_idx=(0, 1),
) -> dict:
    """One draw of the generator's parameters [code: ``generate_synthetic_data.py::main``].

    ``beta_Y ~ N(0, I)`` with intercept ``N(betaY_intercept_mean, intercept_std^2)``; ``beta_D``
    zero off ``expertise_idx`` and ``N(0, 1)`` on it, intercept ``N(betaD_intercept_mean,
    intercept_std^2)``; ``sigma ~ N(sigma_mean, sigma_std^2)`` (floored at 0.1 so it stays a
    standard deviation); ``alpha`` fixed (the experiment treats it as known).

    Returns:
      dict with ``beta_Y`` (M,), ``beta_D`` (M,), ``alpha`` (), ``sigma`` ().

    Raises:
      ValueError: ``M`` < 2; a non-finite mean, ``alpha`` or standard deviation; a negative
        standard deviation; ``expertise_idx`` not integers in [0, M).
    """
    M = check_int("M", M, min_value=2)
    for name, v in (
        ("betaY_intercept_mean", betaY_intercept_mean),
        ("betaD_intercept_mean", betaD_intercept_mean),
        ("sigma_mean", sigma_mean),
        ("alpha", alpha),
    ):
        check_array(name, v, ndim=0)
    check_nonnegative("intercept_std", intercept_std)
    check_nonnegative("sigma_std", sigma_std)
    check_index("expertise_idx", np.asarray(expertise_idx, dtype=int), M, ndim=1)
    k1, k2, k3, k4, k5 = jax.random.split(key, 5)
    dtype = jnp.result_type(float)
    beta_Y = jax.random.normal(k1, (M,), dtype)
    beta_Y = beta_Y.at[0].set(
        betaY_intercept_mean + intercept_std * jax.random.normal(k2, (), dtype)
    )
    on = np.zeros(M, bool)
    on[list(expertise_idx)] = True
    beta_D = jnp.where(jnp.asarray(on), jax.random.normal(k3, (M,), dtype), 0.0)
    beta_D = beta_D.at[0].set(
        betaD_intercept_mean + intercept_std * jax.random.normal(k4, (), dtype)
    )
    sigma = jnp.maximum(sigma_mean + sigma_std * jax.random.normal(k5, (), dtype), 0.1)
    return {"beta_Y": beta_Y, "beta_D": beta_D, "alpha": jnp.asarray(alpha, dtype), "sigma": sigma}


def simulate_heckman(key, N: int, M: int, beta_Y, beta_T, rho, sigma) -> dict:
    """One dataset of the Heckman selection model [code: ``generate_synthetic_data_heckman.py``].

    ``Y = X beta_Y + Z``, ``T = 1[X beta_T + u > 0]``, ``(Z, u) ~ N(0, [[sigma^2, rho], [rho, 1]])``.

    Args:
      key: PRNG key. N, M: sizes. beta_Y, beta_T: (M,). rho: () with ``|rho| < sigma``.
      sigma: () > 0.

    Returns:
      dict with ``X`` (N, M), ``T`` (N,) int32, ``Y`` (N,) (0.0 where T = 0), ``Y_full`` (N,),
      ``Z``, ``u`` (N,), ``prevalence`` () = mean(Y_full).
    """
    N = check_int("N", N, min_value=2)
    M = check_int("M", M, min_value=1)
    check_shape("beta_Y", beta_Y, (M,))
    check_shape("beta_T", beta_T, (M,))
    check_array("beta_Y", beta_Y)
    check_array("beta_T", beta_T)
    check_array("rho", rho)
    if not is_traced(sigma):
        check_positive("sigma", sigma)
        if not is_traced(rho) and not abs(float(rho)) < float(sigma):
            raise ValueError(
                f"`rho` must satisfy |rho| < sigma; got rho={float(rho)}, sigma={float(sigma)}."
            )
    kx, kz, ku = jax.random.split(key, 3)
    X = standardised_features(kx, N, M)
    Z = sigma * jax.random.normal(kz, (N,), X.dtype)
    # u | Z ~ N(rho Z / sigma^2, 1 - rho^2 / sigma^2)
    u = rho / sigma**2 * Z + jnp.sqrt(1 - rho**2 / sigma**2) * jax.random.normal(ku, (N,), X.dtype)
    Y_full = X @ beta_Y + Z
    T = (X @ beta_T + u > 0).astype(jnp.int32)
    return {
        "X": X,
        "T": T,
        "Y": jnp.where(T == 1, Y_full, 0.0),
        "Y_full": Y_full,
        "Z": Z,
        "u": u,
        "prevalence": jnp.mean(Y_full),
    }
