"""Shared set-up of the pretraining tests: the factor model of the spec (d=50, r=3) and one sweep.

The sweeps run every arm on the same labeled draw (common random numbers) through
``simulate_factor_excess``, which draws the labeled and unlabeled sufficient statistics from their
exact Wishart laws, so a seed costs O(d^3) whatever n_lab and n_unlab. They are computed once per
test session (lru_cache) and shared by the statistical tests.
"""

from functools import cache

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.sweep import run_grid
from unlearnlab.pretraining import simulate_factor_excess

D, R, SIG_NU = 50, 3, 0.5


def factor_params():
    Q = np.linalg.qr(np.random.default_rng(20261128).normal(size=(D, R)))[0]
    B = np.sqrt(5.0) * Q
    beta = np.ones(R) / np.sqrt(R)
    return jnp.asarray(B), jnp.asarray(beta), SIG_NU


def _sweep(seed: int, pairs, n_seeds: int):
    B, beta, sig = factor_params()
    grid = {
        "n_lab": jnp.asarray([p[0] for p in pairs], float),
        "n_unlab": jnp.asarray([p[1] for p in pairs], float),
    }
    fn = lambda k, g: simulate_factor_excess(k, g["n_lab"], g["n_unlab"], B, beta, sig, R)  # noqa: E731
    out = run_grid(fn, jax.random.key(seed), grid, n_seeds, progress=False, chunk_size=200)
    return {k: np.asarray(v) for k, v in out.items()}  # each (n_seeds, G)


BIG_N_LAB = (100, 200, 400, 800)
BIG_PAIRS = tuple((n, 1e4) for n in BIG_N_LAB)
ADV_N_LAB = (60, 100, 200, 400, 800, 1600)
ADV_N_UNLAB = (500, 2000, 10000)
FLOOR_N_UNLAB = (500, 2000, 8000, 32000)
SMALL_PAIRS = tuple((n, m) for n in ADV_N_LAB for m in ADV_N_UNLAB) + tuple(
    (2000, m) for m in FLOOR_N_UNLAB
)


@cache
def big_sweep():
    """2000 seeds at n_lab in {100, 200, 400, 800}, n_unlab = 1e4 (oracle arm = n_unlab inf)."""
    return _sweep(1, BIG_PAIRS, 2000)


@cache
def small_sweep():
    """200 seeds on the figure grid and the floor grid (n_lab = 2000)."""
    return _sweep(2, SMALL_PAIRS, 200)


def column(pairs, n_lab, n_unlab):
    return pairs.index((n_lab, n_unlab))
