"""covariate_cov (the expected offline covariance moved from experiments/ftpedel.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unlearnlab.rl import (
    OfflineData,
    covariate_cov,
    offline_cov,
    rare_context,
    rare_context_offline_counts,
)


def test_equals_offline_cov_of_a_dataset_with_those_counts():
    mdp = rare_context(0.1)
    n_sa = jnp.asarray(rare_context_offline_counts(7))
    H, S, A, _ = mdp.phi.shape
    counts = jnp.zeros((H, S, A, S)).at[..., 0].set(n_sa)
    off = OfflineData(counts=counts, rsum=jnp.zeros((H, S, A)))
    np.testing.assert_allclose(covariate_cov(mdp, n_sa), offline_cov(mdp, off), rtol=1e-12)
    # brute force: sum of outer products, one per covariate occurrence
    phi = np.asarray(mdp.phi)
    brute = np.zeros((H, phi.shape[-1], phi.shape[-1]))
    for h, s, a in np.ndindex(H, S, A):
        brute[h] += float(n_sa[h, s, a]) * np.outer(phi[h, s, a], phi[h, s, a])
    np.testing.assert_allclose(covariate_cov(mdp, n_sa), brute, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        jax.jit(covariate_cov)(mdp, n_sa), covariate_cov(mdp, n_sa), rtol=1e-12
    )


@pytest.mark.parametrize(
    "bad", [np.zeros((1, 2)), -np.ones((1, 2, 2)), np.full((1, 2, 2), np.nan), np.ones((2, 2, 2))]
)
def test_bad_counts_are_named(bad):
    with pytest.raises(ValueError, match="`n_sa`"):
        covariate_cov(rare_context(0.1), bad)
