"""Statistical checks of the loop-free binomial/multinomial samplers (``unlearnlab.rl.sampling``).

Each pmf value is compared with its empirical frequency over ``m = 2e5`` draws with a Bernstein
tolerance ``sqrt(2 v log(2/a) / m) + 2 log(2/a) / (3 m)``, ``v = pmf (1 - pmf)``, ``a = 1e-8`` per
value (at most 61 values per case, 3 cases: false failure <= 2e-6). Means of large-``n`` draws are
checked with a CLT tolerance at ``1e-6``.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from unlearnlab.lab.stats import clt_tolerance
from unlearnlab.lab.sweep import run_seeds
from unlearnlab.rl.sampling import binomial, multinomial

M = 200_000
_draw = jax.jit(jax.vmap(lambda k, n, p: binomial(k, n, p), in_axes=(0, None, None)))


@pytest.mark.parametrize("n,p,seed", [(30, 0.2, 0), (60, 0.8, 1), (1000, 0.3, 2)])
def test_binomial_pmf(n, p, seed):
    """Inversion (n p < 10), flipped p > 1/2, and BTRS (n p = 300) paths match the exact pmf."""
    x = np.asarray(_draw(jax.random.split(jax.random.PRNGKey(seed), M), float(n), p)).astype(int)
    ks = np.arange(n + 1)
    pmf = stats.binom.pmf(ks, n, p)
    keep = pmf > 1e-4
    freq = np.bincount(x, minlength=n + 1)[ks] / M
    a = 1e-8
    tol = np.sqrt(2 * pmf * (1 - pmf) * math.log(2 / a) / M) + 2 * math.log(2 / a) / (3 * M)
    assert np.all(np.abs(freq - pmf)[keep] <= tol[keep])
    assert x.min() >= 0 and x.max() <= n


@pytest.mark.parametrize("n,p", [(1e12, 0.7), (1e9, 5e-9), (1e6, 0.3)])
def test_binomial_large_n_mean(n, p):
    x = np.asarray(_draw(jax.random.split(jax.random.PRNGKey(3), M), n, p))
    sd = math.sqrt(n * p * (1 - p))
    assert abs(x.mean() - n * p) <= clt_tolerance(sd, M, 1e-6)
    assert np.all(x == np.round(x)) and x.min() >= 0 and x.max() <= n


def test_binomial_edge_cases():
    k = jax.random.PRNGKey(0)
    assert float(binomial(k, 0.0, 0.5)) == 0.0
    assert float(binomial(k, 100.0, 0.0)) == 0.0
    assert float(binomial(k, 100.0, 1.0)) == 100.0


def test_multinomial_sums_and_runs_in_the_sweep_runner():
    """Counts sum to n exactly; the samplers run inside the lab's sweep runner (shard_map)."""
    p = jnp.array([0.1, 0.2, 0.3, 0.4])
    out = run_seeds(lambda k: multinomial(k, 1e5, p), jax.random.PRNGKey(0), 16)
    assert np.all(out.sum(1) == 1e5)
    sd = np.sqrt(1e5 * np.asarray(p) * (1 - np.asarray(p)))
    assert np.all(
        np.abs(out.mean(0) - 1e5 * np.asarray(p)) <= 6 * sd / 4
    )  # 6 sigma of a mean of 16
