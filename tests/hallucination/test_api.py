"""Public surface: imports, ValueError on bad input, jit == no-jit, traced once, claims registry."""

import importlib
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import unlearnlab.hallucination as hal
from unlearnlab.hallucination import (
    hallucination_lower_bound,
    miscalibration,
    missing_mass,
    monofact_rate,
    simulate,
    simulate_world,
)

COUNTS = np.array([3, 1, 0, 1, 2, 0])
P = np.array([0.3, 0.1, 0.2, 0.1, 0.2, 0.1])


def test_public_surface_imports():
    from unlearnlab.hallucination import hallucination_lower_bound, missing_mass, monofact_rate  # noqa: F401

    for name in hal.__all__:
        assert hasattr(hal, name), name
    assert len(hal.CLAIMS) >= 1


def test_claims_name_existing_tests():
    root = Path(__file__).resolve().parents[2]
    for claim in hal.CLAIMS:
        assert claim.id.startswith("hallucination_monofact.")
        for node in claim.tests:
            path, func = node.split("::")
            assert f"def {func}(" in (root / path).read_text(), node


BAD = [
    (lambda: monofact_rate(np.array([1, -1, 2])), "counts"),
    (lambda: monofact_rate(np.array([0, 0, 0])), "counts"),
    (lambda: monofact_rate(np.array([[1, 2]])), "counts"),
    (lambda: monofact_rate(np.array([1.5, 2.0])), "counts"),
    (lambda: monofact_rate(np.array([1.0, np.nan])), "counts"),
    (lambda: missing_mass(COUNTS, P * 0.9), "p"),
    (lambda: missing_mass(COUNTS, P[:5] / P[:5].sum()), "p"),
    (lambda: missing_mass(COUNTS, np.array([0.6, -0.1, 0.2, 0.1, 0.1, 0.1])), "p"),
    (lambda: hallucination_lower_bound(0.2, 0.1, 5.0, 100, 0.0), "delta"),
    (lambda: hallucination_lower_bound(0.2, 0.1, 5.0, 100, 1.5), "delta"),
    (lambda: hallucination_lower_bound(1.2, 0.1, 5.0, 100, 0.1), "mf"),
    (lambda: hallucination_lower_bound(0.2, -0.1, 5.0, 100, 0.1), "miscal"),
    (lambda: hallucination_lower_bound(0.2, 0.1, -1.0, 100, 0.1), "s"),
    (lambda: hallucination_lower_bound(0.2, 0.1, 5.0, 0, 0.1), "n"),
    (lambda: hallucination_lower_bound(0.2, 0.1, 5.0, 10.5, 0.1), "n"),
    (lambda: hal.mixture_lm(hal.good_turing_lm(COUNTS), hal.mle_lm(COUNTS), 1.5), "lam"),
    (lambda: miscalibration(P, 0.1, P, COUNTS, 10.0, "bins"), "partition"),
    (lambda: miscalibration(P, 0.1, P, COUNTS, 10.0, "equal_mass"), "b"),
    (lambda: miscalibration(P, 0.1, P, COUNTS, 10.0, "equal_mass", b=0), "b"),
    (lambda: miscalibration(P, 0.1, P, COUNTS, 10.0, "geometric"), "eps"),
    (lambda: miscalibration(P, 0.1, P, COUNTS, 10.0, "geometric", eps=1.0), "eps"),
    (lambda: miscalibration(P, 0.1, P, COUNTS, 0.0), "n_hallucinations"),
    (lambda: hal.hallucination_rate(0.1, 3, -1.0), "n_hallucinations"),
    (lambda: hal.sample_fact_distribution(jax.random.key(0), 10, "zeta"), "kind"),
    (lambda: hal.sample_fact_distribution(jax.random.key(0), 10, "pareto", alpha=0.0), "alpha"),
    (lambda: hal.sample_fact_distribution(jax.random.key(0), 10, "pitman_yor", 1.0, d=1.0), "d"),
    (lambda: hal.sample_fact_distribution(jax.random.key(0), 0), "m"),
    (lambda: hal.sample_training_counts(jax.random.key(0), P, 0), "n"),
    (lambda: hal.upweight_counts(COUNTS, 1.5), "frac"),
    (lambda: simulate_world(jax.random.key(0), 10, 10, 1.0, 0.5, 1.0, 0.1), "h_over_f"),
    (lambda: simulate(jax.random.key(0), 10, 10, [1.0], 10.0, [1.0, 2.0], 0.1, 2), "lams"),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_validation(i):
    fn, name = BAD[i]
    with pytest.raises(ValueError, match=f"`{name}`"):
        fn()


def test_samplers_valid():
    """Every kind returns a distribution of the right shape; counts sum to n."""
    for kind, kw in [
        ("zipf", {"alpha": 1.1}),
        ("pareto", {"alpha": 1.5}),
        ("pitman_yor", {"alpha": 1.0, "d": 0.5}),
    ]:
        sample = jax.jit(lambda k: hal.sample_fact_distribution(k, 300, kind, **kw))  # noqa: B023
        p = np.asarray(sample(jax.random.key(1)))
        assert p.shape == (300,) and np.all(p >= 0) and abs(p.sum() - 1) < 1e-12, kind
        c = np.asarray(
            jax.jit(hal.sample_training_counts, static_argnums=2)(jax.random.key(2), p, 500)
        )
        assert c.sum() == 500 and c.dtype == np.int32
    # Zipf: the sorted weights are k^-alpha / H; the permutation only relabels
    p = np.sort(np.asarray(hal.sample_fact_distribution(jax.random.key(3), 50, "zipf", 1.0)))[::-1]
    ref = 1.0 / np.arange(1, 51)
    np.testing.assert_allclose(p, ref / ref.sum(), rtol=1e-12)


def _entry_points():
    return {
        "monofact_rate": (monofact_rate, (jnp.asarray(COUNTS),)),
        "missing_mass": (missing_mass, (jnp.asarray(COUNTS), jnp.asarray(P))),
        "hallucination_lower_bound": (
            lambda mf, mis: hallucination_lower_bound(mf, mis, 9.0, 1000, 0.1),
            (jnp.asarray(0.3), jnp.asarray(0.05)),
        ),
        "miscalibration": (
            lambda g, gu: miscalibration(g, gu, P, COUNTS, 100.0),
            (jnp.asarray(P * (COUNTS > 0) * 0.9 / (P * (COUNTS > 0)).sum()), jnp.asarray(0.1)),
        ),
        "simulate_world": (
            lambda key, alpha, lam: simulate_world(key, 200, 200, alpha, 100.0, lam, 0.1),
            (jax.random.key(4), jnp.asarray(1.0), jnp.asarray(0.5)),
        ),
    }


@pytest.mark.parametrize("name", list(_entry_points()))
def test_jit_equals_nojit(name):
    fn, args = _entry_points()[name]
    eager, jitted = fn(*args), jax.jit(fn)(*args)
    for a, b in zip(jax.tree.leaves(eager), jax.tree.leaves(jitted)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", list(_entry_points()))
def test_traced_once(name):
    fn, args = _entry_points()[name]
    traces = []

    def counted(*a):
        traces.append(1)
        return fn(*a)

    jf = jax.jit(counted)
    jax.block_until_ready(jf(*args))
    jax.block_until_ready(
        jf(
            *[
                a
                if isinstance(a, jax.Array) and jnp.issubdtype(a.dtype, jax.dtypes.prng_key)
                else a * 0.9
                if jnp.issubdtype(a.dtype, jnp.floating)
                else a
                for a in args
            ]
        )
    )
    assert len(traces) == 1


def test_simulate_equals_per_seed_worlds():
    """simulate (vmapped over seeds, exponents and weights through run_seeds) equals a loop of
    simulate_world over the per-seed keys split(key, n_seeds)."""
    key = jax.random.key(9)
    alphas, lams = [0.7, 1.3], [0.0, 1.0]
    out = simulate(key, 300, 300, alphas, 50.0, lams, 0.1, 3)
    one = jax.jit(lambda k, a, l: simulate_world(k, 300, 300, a, 50.0, l, 0.1))
    for s, k in enumerate(jax.random.split(key, 3)):
        for a, alpha in enumerate(alphas):
            for j, lam in enumerate(lams):
                w = one(k, alpha, lam)
                for name in ("HR", "Miscal", "bound"):
                    assert float(w[name]) == pytest.approx(float(out[name][s, a, j]), abs=1e-12)
                for name in ("MF", "MM", "rho"):
                    assert float(w[name]) == pytest.approx(float(out[name][s, a]), abs=1e-12)


def test_headline_form():
    """At delta = 0.01 the correction terms are 300 |F|/|H| and sqrt(6 ln 600 / n) <= 7 / sqrt(n)."""
    n, s = 10_000, np.log(1e5)
    b = float(hallucination_lower_bound(0.5, 0.0, s, n, 0.01))
    assert 0.5 - b == pytest.approx(300 / 1e5 + np.sqrt(6 * np.log(600) / n), rel=1e-12)
    assert np.sqrt(6 * np.log(600)) <= 7
    importlib.import_module("unlearnlab.hallucination.bounds")
