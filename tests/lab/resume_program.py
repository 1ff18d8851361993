"""A chunked, cached ``run_seeds`` sweep (run as a subprocess by ``tests/lab/test_resume.py``).

``python -m tests.lab.resume_program CACHE_DIR OUT.npz`` runs :data:`N_SEEDS` seeds of :func:`fn`
in chunks of one seed with the chunk cache in ``CACHE_DIR`` and saves the result to ``OUT.npz``.
Each seed is a long ``lax.scan`` (a few tenths of a second), so a kill lands between chunks.
"""

import sys

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.sweep import run_seeds

jax.config.update("jax_enable_x64", True)

N_SEEDS = 4
STEPS = 300_000
KEY = 20261204


def fn(key):
    """A seed's computation: a noisy contraction iterated ``STEPS`` times, plus a random draw."""
    k1, k2, k3 = jax.random.split(key, 3)
    M = jax.random.normal(k1, (16, 16)) / 8.0
    x0 = jax.random.normal(k2, (16,))

    def step(x, i):
        return jnp.tanh(M @ x + 1e-3 * jnp.sin(i.astype(x.dtype))), None

    x, _ = jax.lax.scan(step, x0, jnp.arange(STEPS))
    return {"x": x, "u": jax.random.uniform(k3, (3,)), "n": jnp.sum(x > 0)}


def sweep(cache_dir=None):
    kw = {} if cache_dir is None else {"cache_dir": cache_dir, "cache_key": "resume-test"}
    return run_seeds(
        fn, jax.random.key(KEY), N_SEEDS, chunk_size=1, block_size=1, progress=False, **kw
    )


if __name__ == "__main__":
    out = sweep(sys.argv[1])
    np.savez(sys.argv[2], **out)
