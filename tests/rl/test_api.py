"""Conventions of the rl family: public surface, jit == no-jit, traced once, ValueError on bad input."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import unlearnlab.rl as rl
from unlearnlab.rl import (
    FTPedelConsts,
    LinearMDP,
    OfflineData,
    bandit_lower_bound,
    covariate_cov,
    empty_offline,
    enumerate_policies,
    ftpedel_run,
    o2o_coefficient,
    o2o_complexity,
    offline_cov,
    pedel_run,
    random_small_tabular,
    rare_context,
    solve_design,
    values,
    visitation,
)


def test_public_surface_imports():
    for name in [
        "LinearMDP",
        "visitation",
        "values",
        "offline_cov",
        "solve_design",
        "o2o_complexity",
        "bandit_lower_bound",
        "ftpedel_run",
        "pedel_run",
        "CLAIMS",
    ]:
        assert name in rl.__all__ and hasattr(rl, name)
    for name in rl.__all__:
        assert hasattr(rl, name), name


def _mdp():
    return random_small_tabular(jax.random.PRNGKey(0), 2, 2, 2)


def test_jit_equals_nojit_cheap_entry_points():
    mdp = _mdp()
    pis = jnp.asarray(enumerate_policies(mdp))
    off = OfflineData(jnp.ones((2, 2, 2, 2)), jnp.ones((2, 2, 2)) * 0.5)
    for f, args in [(visitation, (mdp, pis[1])), (values, (mdp, pis)), (offline_cov, (mdp, off))]:
        a, b = f(*args), jax.jit(f)(*args)
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)
    X = np.eye(3)
    C = np.einsum("id,ie->ide", X, X)
    a = solve_design(2.0, C, np.eye(3), X, np.ones(3), n_iter=50)
    b = jax.jit(lambda T: solve_design(T, C, np.eye(3), X, np.ones(3), n_iter=50))(2.0)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-12)


def test_o2o_bounds_inside_a_callers_jit():
    """o2o_coefficient and o2o_complexity take a traced ``cov_off`` (and ``T``) inside a caller's
    jit and give the eager values; their value checks of ``cov_off`` need concrete inputs and are
    skipped there (they used to raise TracerArrayConversionError)."""
    mdp = rare_context(0.1)
    pis = jnp.asarray(enumerate_policies(mdp))
    cov = covariate_cov(mdp, rl.rare_context_offline_counts(20.0))
    a = o2o_coefficient(mdp, pis, cov, 0.05, 100.0, n_iter=20)
    b = jax.jit(lambda c, T: o2o_coefficient(mdp, pis, c, 0.05, T, n_iter=20))(cov, 100.0)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    a = o2o_complexity(mdp, pis, cov, 0.05, n_iter=20, n_bisect=8)
    b = jax.jit(lambda c: o2o_complexity(mdp, pis, c, 0.05, n_iter=20, n_bisect=8))(cov)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_allclose(x, y, rtol=1e-12)


def test_traced_once():
    mdp = _mdp()
    pis = jnp.asarray(enumerate_policies(mdp))
    count = {"n": 0}

    def f(m, p):
        count["n"] += 1
        return visitation(m, p)

    g = jax.jit(f)
    for i in range(3):
        jax.block_until_ready(g(mdp, pis[i]))
    assert count["n"] == 1
    count2 = {"n": 0}
    X = np.eye(3)
    C = np.einsum("id,ie->ide", X, X)

    def s(T):
        count2["n"] += 1
        return solve_design(T, C, np.eye(3), X, np.ones(3), n_iter=20)

    h = jax.jit(s)
    for T in (1.0, 2.0, 3.0):
        jax.block_until_ready(h(T))
    assert count2["n"] == 1


@pytest.mark.slow
def test_ftpedel_jit_nojit_traced_once_and_pedel_reduction():
    """jit == no-jit and traced once for ftpedel_run; E6: pedel_run == ftpedel_run(empty_offline)."""
    mdp = rare_context(0.1)
    pis = jnp.asarray(enumerate_policies(mdp))
    c = FTPedelConsts(n_iter=30, n_bisect=8)
    count = {"n": 0}

    def f(k):
        count["n"] += 1
        return ftpedel_run(k, mdp, empty_offline(mdp), pis, 0.25, 0.1, consts=c)

    g = jax.jit(f)
    k0 = jax.random.PRNGKey(0)
    a, b = f(k0), g(k0)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-12)
    for i in range(2):
        jax.block_until_ready(g(jax.random.PRNGKey(i + 1)))
    assert count["n"] == 2  # once eagerly, once under jit
    p = pedel_run(k0, mdp, pis, 0.25, 0.1, consts=c)
    for x, y in zip(a, p):
        np.testing.assert_array_equal(x, y)


def test_bad_inputs_raise():
    mdp = _mdp()
    pis = enumerate_policies(mdp)
    big = mdp._replace(phi=mdp.phi * 2.0)
    with pytest.raises(ValueError, match="norm"):
        visitation(big, pis[0])
    with pytest.raises(ValueError, match="distributions"):
        values(mdp._replace(mu=mdp.mu * 0.5), pis)
    with pytest.raises(ValueError, match="rho0"):
        values(mdp._replace(rho0=jnp.array([0.7, 0.7])), pis)
    with pytest.raises(ValueError, match="finite"):
        values(mdp._replace(theta=mdp.theta.at[0, 0].set(jnp.nan)), pis)
    with pytest.raises(ValueError, match="pis"):
        values(mdp, pis + 5)
    with pytest.raises(ValueError, match="pis"):
        values(mdp, pis.astype(float))
    off = empty_offline(mdp)
    for eps, delta in [(0.0, 0.1), (1.0, 0.1), (0.1, 0.0), (0.1, 1.5)]:
        with pytest.raises(ValueError, match="eps|delta"):
            ftpedel_run(jax.random.PRNGKey(0), mdp, off, pis, eps, delta)
    with pytest.raises(ValueError, match="offline.counts"):
        ftpedel_run(
            jax.random.PRNGKey(0), mdp, OfflineData(jnp.zeros((2, 2, 2)), off.rsum), pis, 0.1, 0.1
        )
    with pytest.raises(ValueError, match="non-negative"):
        offline_cov(mdp, off._replace(counts=off.counts - 1))
    with pytest.raises(ValueError, match="design"):
        ftpedel_run(jax.random.PRNGKey(0), mdp, off, pis, 0.1, 0.1, design="plugin")
    with pytest.raises(ValueError, match="reward_noise"):
        ftpedel_run(jax.random.PRNGKey(0), mdp, off, pis, 0.1, 0.1, reward_noise="laplace")
    with pytest.raises(ValueError, match="max_epochs"):
        ftpedel_run(jax.random.PRNGKey(0), mdp, off, pis, 0.1, 0.1, max_epochs=2)
    cov = np.zeros((2, 4, 4))
    with pytest.raises(ValueError, match="form"):
        o2o_complexity(mdp, pis, cov, 0.1, form="rel")
    with pytest.raises(ValueError, match="reduce"):
        o2o_complexity(mdp, pis, cov, 0.1, reduce="mean")
    with pytest.raises(ValueError, match="positive semi-definite"):
        o2o_complexity(mdp, pis, cov - np.eye(4)[None], 0.1)
    with pytest.raises(ValueError, match="symmetric"):
        o2o_complexity(mdp, pis, cov + np.triu(np.ones((4, 4)), 1)[None], 0.1)
    with pytest.raises(ValueError, match="cov_off"):
        o2o_complexity(mdp, pis, np.zeros((2, 3, 3)), 0.1)
    X = np.eye(3)
    with pytest.raises(ValueError, match="Delta_min"):
        bandit_lower_bound(X, X, np.array([0.6, 0.5, 0.5]), np.zeros((3, 3)), 0.1, eps=0.2)
    with pytest.raises(ValueError, match="delta"):
        bandit_lower_bound(X, X, np.array([0.6, 0.5, 0.5]), np.zeros((3, 3)), 1.0)
    with pytest.raises(ValueError, match="denom"):
        solve_design(1.0, np.einsum("id,ie->ide", X, X), np.zeros((3, 3)), X, -np.ones(3))
    with pytest.raises(ValueError, match="LinearMDP"):
        visitation(tuple(mdp), pis[0])


def test_consts_are_frozen_scalars():
    c = FTPedelConsts()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.c0 = 1.0
    assert all(
        isinstance(getattr(c, f.name), (int, float, bool, type(None)))
        for f in dataclasses.fields(c)
    )
    assert isinstance(rare_context(0.1), LinearMDP)
