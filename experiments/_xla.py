"""XLA:CPU flags the entry points set before JAX starts (never the library).

On jaxlib 0.10.2's CPU backend we saw executions hang with every thread idle: a vmapped ACU stream
(a ``lax.scan`` of batched Cholesky/eigvalsh/solves) hung every time, and larger vmapped programs of
the pretraining core hung intermittently. Turning off XLA:CPU's concurrency-optimised scheduler
removed the reproducible hang; splitting codegen into one unit removed the intermittent one in every
run we made. Both only change scheduling/codegen, not results. The tests (``tests/conftest.py``),
the experiments (``experiments/__init__.py``), the benchmarks and the Makefile apply them; a user who
imports the library directly may set them too::

    XLA_FLAGS="--xla_cpu_enable_concurrency_optimized_scheduler=false \
               --xla_cpu_parallel_codegen_split_count=1"
"""

import os

FLAGS = (
    "--xla_cpu_enable_concurrency_optimized_scheduler=false",
    "--xla_cpu_parallel_codegen_split_count=1",
)


def apply(env=None) -> str:
    """Append :data:`FLAGS` to ``XLA_FLAGS`` in ``env`` (default ``os.environ``); returns the value."""
    env = os.environ if env is None else env
    current = env.get("XLA_FLAGS", "")
    extra = [f for f in FLAGS if f.split("=")[0] not in current]
    env["XLA_FLAGS"] = " ".join([current, *extra]).strip()
    return env["XLA_FLAGS"]
