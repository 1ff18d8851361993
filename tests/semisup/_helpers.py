"""Shared, cached RSS sweeps for the statistical tests (computed once per test session)."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr

from unlearnlab.semisup import (
    fit_erm_mean,
    fit_rss,
    random_unit,
    risk_linear_iso,
    sample_gmm2,
    sample_unlabeled,
)

BAYES = float(ndtr(-1.0))


@functools.cache
def rss_excess(d, n_lab, n_unlabs, n_seeds, seed=0):
    """Excess risks (ERM, RSS per n_unlab) for n_seeds seeds; nested unlabeled samples (CRN)."""
    n_max = max(n_unlabs)

    def one(key):
        k_mu, k_l, k_u, k_f = jax.random.split(key, 4)
        mu = random_unit(k_mu, d)
        Xl, yl = sample_gmm2(k_l, n_lab, mu, 1.0)
        Xu = sample_unlabeled(k_u, n_max, mu, 1.0)
        erm = risk_linear_iso(fit_erm_mean(Xl, yl), mu, 1.0)
        rss = [
            risk_linear_iso(fit_rss(k_f, Xl, yl, Xu[:n], 4.0, 4.0, 1.0), mu, 1.0) for n in n_unlabs
        ]
        return erm - BAYES, jnp.stack(rss) - BAYES

    keys = jax.random.split(jax.random.key(seed), n_seeds)
    erm, rss = jax.jit(jax.vmap(one))(keys)
    return np.asarray(erm), np.asarray(rss)
