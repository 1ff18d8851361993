"""numpyro models: the selective-labels model with domain constraints, the Heckman model, the testbed.

[code: ``stan_models/model_with_normal_unobservables.stan``, ``stan_models/heckman_model.stan``]
Priors as in the Stan files: ``beta_Y, beta_Delta ~ N(0, 3^2 I)``, ``sigma, alpha ~ N+(0, 3^2)``.
Constraints:

* prevalence (soft): ``log p += -w_prev (p_bar - pi*)^2``, ``p_bar`` the implied prevalence;
* expertise: ``beta_Delta_j = 0`` for ``j`` outside ``A`` (a fixed mask; only the free entries are
  sampled and scattered into zeros, so the others are exactly 0).

Static options are bound with ``functools.partial`` before building ``NUTS``; only the data arrays go
through ``MCMC.run``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

from unlearnlab.lab.checks import check_nonnegative, check_probability, is_traced
from unlearnlab.selective_labels.likelihood import (
    _ll_given_Z,
    _ll_marginal,
    _prevalence,
    check_mask,
    check_TY,
    check_X,
    heckman_loglik,
)

__all__ = [
    "numpyro_model",
    "heckman_numpyro_model",
    "conjugate_numpyro_model",
    "check_model_options",
    "PRIOR_SD",
]

#: prior s.d. of every coefficient and of the half-normal sigma / alpha (Stan files)
PRIOR_SD = 3.0


def check_model_options(
    M,
    *,
    prevalence,
    w_prev,
    expertise_mask,
    known_alpha,
    known_sigma,
    marginalize_Z,
    prevalence_mode,
):
    """Validate the static options of :func:`numpyro_model`; returns the mask as NumPy bool or None."""
    check_nonnegative("w_prev", w_prev)
    if prevalence is not None:
        check_probability("prevalence", prevalence, open_interval=True)
    mask = check_mask(expertise_mask, M)
    if known_alpha is None and known_sigma is None:
        raise ValueError(
            "give `known_alpha` or `known_sigma` (identifiability: one of them is fixed)."
        )
    if known_sigma is not None and not float(known_sigma) > 0:
        raise ValueError(f"`known_sigma` must be > 0; got {known_sigma}.")
    if prevalence_mode not in ("expected", "sample"):
        raise ValueError(
            f"`prevalence_mode` must be 'expected' or 'sample'; got {prevalence_mode!r}."
        )
    if prevalence_mode == "sample" and marginalize_Z:
        raise ValueError(
            "`prevalence_mode='sample'` needs the latent Z: set `marginalize_Z=False`."
        )
    return mask


def numpyro_model(
    X,
    T,
    Y,
    *,
    prevalence: float | None = None,
    w_prev: float = 0.0,
    expertise_mask=None,
    known_alpha: float | None = None,
    known_sigma: float | None = None,
    marginalize_Z: bool = True,
    prevalence_mode: str = "expected",
    n_nodes: int = 40,
) -> None:
    """numpyro model of the selective-labels problem with optional domain constraints.

    ``log p(theta | data) = log prior + sum_i log p(T_i, Y_i | theta) - w_prev (p_bar - pi*)^2``.

    Symbols: beta_Y -> ``beta_Y``; beta_Delta -> ``beta_D``; alpha -> ``alpha``; sigma -> ``sigma``;
    w -> ``w_prev``; pi* -> ``prevalence``; A -> ``expertise_mask`` (True = free).

    Args:
      X: (N, M) features with intercept column. T: (N,) in {0, 1}. Y: (N,) in {0, 1} where T = 1,
        -1 where T = 0 (replaced by 0 inside, those rows contribute only the T = 0 term).
      prevalence: pi* in (0, 1), or None for no prevalence constraint.
      w_prev: w >= 0, weight of the soft prevalence factor.
      expertise_mask: (M,) bool, True where beta_Delta is free (intercept must be free), or None.
        Given as a concrete array, only the free entries are sampled (site ``beta_D_free``, size
        ``|A|``). Given as data through ``MCMC.run`` (a traced array), all M entries are sampled and
        the masked ones zeroed before use: they then only carry their prior, so the posterior of
        every other site is the same; this lets one compiled NUTS program serve every constraint
        set (``vmap`` over masks and weights).
      known_alpha, known_sigma: fix alpha / sigma (at least one is required).
      marginalize_Z: integrate Z out by Gauss-Hermite (default) or sample it (non-centred).
      prevalence_mode: "expected" (``p_bar = mean_i E_Z sig(X_i beta_Y + Z)``, by quadrature) or
        "sample" (``p_bar = mean_i sig(X_i beta_Y + Z_i)`` with the sampled Z, as in the Stan file;
        needs ``marginalize_Z=False``).
      n_nodes: Gauss-Hermite nodes K.

    Sample sites: ``beta_Y`` (M,), ``beta_D_free`` (``|A|``,) or ``beta_D`` (M,), ``sigma``/``alpha``
    when not known, ``z`` (N,) when not marginalised; deterministic ``beta_D`` and ``p_bar``.
    """
    N, M = np.shape(X)
    mask_traced = is_traced(expertise_mask)
    mask = check_model_options(
        M,
        prevalence=prevalence,
        w_prev=w_prev,
        expertise_mask=None if mask_traced else expertise_mask,
        known_alpha=known_alpha,
        known_sigma=known_sigma,
        marginalize_Z=marginalize_Z,
        prevalence_mode=prevalence_mode,
    )
    check_X(X)
    check_TY(T, Y, N)
    beta_Y = numpyro.sample("beta_Y", dist.Normal(0.0, PRIOR_SD).expand([M]).to_event(1))
    if mask_traced:
        # mask passed as data (one compiled program for several constraint sets): every entry is
        # sampled, the masked ones are zeroed before use, so they only see their N(0, 3^2) prior and
        # the posterior of the other sites is exactly that of the static mask
        b_all = numpyro.sample("beta_D_free", dist.Normal(0.0, PRIOR_SD).expand([M]).to_event(1))
        beta_D = numpyro.deterministic("beta_D", jnp.where(expertise_mask, b_all, 0.0))
    elif mask is None:
        beta_D = numpyro.sample("beta_D", dist.Normal(0.0, PRIOR_SD).expand([M]).to_event(1))
    else:
        free = np.flatnonzero(mask)
        b_free = numpyro.sample(
            "beta_D_free", dist.Normal(0.0, PRIOR_SD).expand([free.size]).to_event(1)
        )
        beta_D = numpyro.deterministic("beta_D", jnp.zeros(M, b_free.dtype).at[free].set(b_free))
    sigma = (
        numpyro.sample("sigma", dist.HalfNormal(PRIOR_SD)) if known_sigma is None else known_sigma
    )
    alpha = (
        numpyro.sample("alpha", dist.HalfNormal(PRIOR_SD)) if known_alpha is None else known_alpha
    )
    if marginalize_Z:
        ll = _ll_marginal(beta_Y, beta_D, alpha, sigma, X, T, Y, n_nodes)
        with numpyro.plate("people", N):
            numpyro.factor("loglik", ll)
        p_bar = _prevalence(beta_Y, sigma, X, n_nodes)
    else:
        with numpyro.plate("people", N):
            z = numpyro.sample("z", dist.Normal(0.0, 1.0))
            Z = sigma * z
            numpyro.factor("loglik", _ll_given_Z(beta_Y, beta_D, alpha, X, T, Y, Z))
        p_bar = (
            jnp.mean(jax.nn.sigmoid(X @ beta_Y + Z))
            if prevalence_mode == "sample"
            else _prevalence(beta_Y, sigma, X, n_nodes)
        )
    numpyro.deterministic("p_bar", p_bar)
    if prevalence is not None and (is_traced(w_prev) or w_prev > 0):
        numpyro.factor("prev", -w_prev * (p_bar - prevalence) ** 2)


def heckman_numpyro_model(
    X, T, Y, *, expertise_idx=None, w_prev: float = 0.0, prevalence: float | None = None
) -> None:
    """numpyro Heckman selection model [code: ``heckman_model.stan``] with the two constraints.

    ``Y = X beta_Y + Z``, ``T = 1[X beta_T + u > 0]``, ``(Z, u) ~ N(0, [[sigma^2, rho], [rho, 1]])``,
    ``rho = sigma * tanh(eta)`` so ``|rho| < sigma``. Expertise: ``beta_T_j = beta_Y_j rho / sigma^2``
    for ``j`` outside ``expertise_idx`` (the generator's constraint). Prevalence (linear in beta_Y):
    ``-w_prev (mean_i X_i beta_Y - pi*)^2``.

    Args:
      X: (N, M). T: (N,) in {0, 1}. Y: (N,) real outcomes (ignored where T = 0).
      expertise_idx: indices where beta_T is free (None: all free).
      w_prev: w >= 0. prevalence: pi* (a real mean outcome here) or None.
    """
    N, M = np.shape(X)
    check_nonnegative("w_prev", w_prev)
    check_X(X)
    check_TY(T, Y, N, binary_Y=False)
    beta_Y = numpyro.sample("beta_Y", dist.Normal(0.0, PRIOR_SD).expand([M]).to_event(1))
    sigma = numpyro.sample("sigma", dist.HalfNormal(PRIOR_SD))
    eta = numpyro.sample("eta", dist.Normal(0.0, 1.0))
    rho = numpyro.deterministic("rho", sigma * jnp.tanh(eta))
    if expertise_idx is None:
        beta_T = numpyro.sample("beta_T", dist.Normal(0.0, PRIOR_SD).expand([M]).to_event(1))
    else:
        free = np.zeros(M, bool)
        free[list(expertise_idx)] = True
        idx = np.flatnonzero(free)
        b_free = numpyro.sample(
            "beta_T_free", dist.Normal(0.0, PRIOR_SD).expand([idx.size]).to_event(1)
        )
        beta_T = numpyro.deterministic(
            "beta_T", jnp.where(jnp.asarray(free), 0.0, beta_Y * rho / sigma**2).at[idx].set(b_free)
        )
    with numpyro.plate("people", N):
        numpyro.factor("loglik", heckman_loglik(beta_Y, beta_T, rho, sigma, X, T, Y))
    if prevalence is not None and w_prev > 0:
        numpyro.factor("prev", -w_prev * (jnp.mean(X @ beta_Y) - prevalence) ** 2)


def conjugate_numpyro_model(
    X, T, Y, *, noise_sd: float, prior_sd: float, prevalence: float | None, w: float
) -> None:
    """The exact conjugate testbed as a numpyro model (spec §2): its posterior is Gaussian.

    ``beta ~ N(0, prior_sd^2 I)``, ``Y_i ~ N(X_i beta, noise_sd^2)`` for tested rows (T = 1),
    soft constraint ``-w (xbar^T beta - pi*)^2`` with ``xbar`` the mean of X over all N people.
    """
    N, M = np.shape(X)
    beta = numpyro.sample("beta", dist.Normal(0.0, prior_sd).expand([M]).to_event(1))
    ll = jax.scipy.stats.norm.logpdf(Y, X @ beta, noise_sd)
    with numpyro.plate("people", N):
        numpyro.factor("loglik", jnp.where(T == 1, ll, 0.0))
    if prevalence is not None and w > 0:
        numpyro.factor("prev", -w * (jnp.mean(X, 0) @ beta - prevalence) ** 2)
