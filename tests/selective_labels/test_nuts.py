"""numpyro NUTS: the conjugate testbed against its closed form (statistical), constraint bookkeeping."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unlearnlab.selective_labels import (
    conjugate_numpyro_model,
    conjugate_testbed_posterior,
    numpyro_model,
    run_nuts,
    simulate_selective_labels,
    standardised_features,
)


@pytest.mark.claim("domain_constraints.conjugate_nuts")
def test_conjugate_testbed_nuts(key):
    """Statistical: 4000 NUTS draws (2 chains x 2000) of the constrained conjugate testbed match
    the closed-form Gaussian: |mean diff| <= 4 sd / sqrt(ESS) per coordinate (two-sided normal
    tail 6.3e-5 each, ~2e-4 over 3 coordinates) and relative (Frobenius) covariance error <= 0.15
    (for 4000 draws with ESS >~ 1000 the Monte Carlo error of a 3x3 covariance is ~0.05)."""
    k1, k2, k3, k4 = jax.random.split(key, 4)
    N, M = 200, 3
    X = standardised_features(k1, N, M)
    beta = jnp.array([0.5, 1.0, -0.7])
    T = (jax.random.uniform(k2, (N,)) < jax.nn.sigmoid(1.5 * X[:, 1])).astype(jnp.int32)
    Y = jnp.where(T == 1, X @ beta + jax.random.normal(k3, (N,)), 0.0)
    prev = float(jnp.mean(X @ beta))
    mean, cov = conjugate_testbed_posterior(X, T, Y, 1.0, 3.0, prev, 50.0)
    model = functools.partial(
        conjugate_numpyro_model, noise_sd=1.0, prior_sd=3.0, prevalence=prev, w=50.0
    )
    out = run_nuts(k4, model, {"X": X, "T": T, "Y": Y}, 500, 2000, 2, chain_method="vectorized")
    draws = out["samples"]["beta"].reshape(-1, M)
    ess = out["diagnostics"]["beta"]["ess"]
    sd = np.sqrt(np.diag(np.asarray(cov)))
    assert np.all(ess > 200)
    assert np.all(np.abs(draws.mean(0) - np.asarray(mean)) <= 4 * sd / np.sqrt(ess))
    rel = np.linalg.norm(np.cov(draws.T) - np.asarray(cov)) / np.linalg.norm(np.asarray(cov))
    assert rel <= 0.15
    assert np.all(out["diagnostics"]["beta"]["r_hat"] < 1.05)


def test_constraint_bookkeeping(key):
    """Bookkeeping: with the expertise mask the sampled beta_D is exactly 0 off A (only |A| free
    entries are sampled); with w_prev = 1e4 the posterior s.d. of the implied prevalence is <= 0.01
    (the factor alone gives s.d. 1/sqrt(2e4) = 0.007)."""
    k1, k2 = jax.random.split(key)
    bY, bD = jnp.array([-1.5, 0.8, -0.6, 0.4]), jnp.array([1.5, -0.7, 0.0, 0.0])
    d = simulate_selective_labels(k1, 300, 4, bY, bD, 1.0, 1.5)
    mask = np.array([True, True, False, False])
    model = functools.partial(
        numpyro_model,
        prevalence=float(d["prevalence"]),
        w_prev=1e4,
        expertise_mask=mask,
        known_alpha=1.0,
        n_nodes=20,
    )
    out = run_nuts(
        k2,
        model,
        {"X": d["X"], "T": d["T"], "Y": d["Y"]},
        150,
        150,
        1,
        dense_mass=True,
        max_tree_depth=6,
    )
    s = out["samples"]
    assert s["beta_D_free"].shape[-1] == 2
    assert np.all(s["beta_D"][..., 2:] == 0.0)
    assert np.all(s["beta_D"][..., :2] == s["beta_D_free"])
    assert np.std(s["p_bar"]) <= 0.01
    assert "sigma" in s and "alpha" not in s
