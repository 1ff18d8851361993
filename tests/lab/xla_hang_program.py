"""The XLA:CPU hang reproducer (run as a subprocess by ``tests/lab/test_xla_cpu_hang.py``).

A vmapped ACU stream -- the ``--quick`` configuration of ``experiments/acu.py``: a ``lax.scan`` of
batched Cholesky factorisations, triangular and dense solves and an ``eigvalsh``, over 2 seeds --
compiled and run once. With jaxlib 0.10.2 on CPU and XLA's concurrency-optimised scheduler on, the
execution never returns (all threads idle). Prints ``ran <seconds> <max float64 gap>`` on success.
"""

import argparse
import time

import jax

import experiments.acu as acu  # imports unlearnlab, which sets its XLA:CPU flags

jax.config.update("jax_enable_x64", True)

cfg = acu.make_config(argparse.Namespace(quick=True, seeds=None, data="synthetic"))
fn = acu.make_stream(cfg, "synthetic")
keys = jax.random.split(jax.random.key(2505_12239), 2)
compiled = jax.jit(jax.vmap(fn)).lower(keys).compile()
print("compiled", flush=True)
t0 = time.perf_counter()
out = jax.block_until_ready(compiled(keys))
print("ran", round(time.perf_counter() - t0, 3), float(out["err64"].max()), flush=True)
