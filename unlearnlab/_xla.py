"""XLA:CPU flags the library sets when it is imported (before JAX starts its backend).

With jaxlib 0.10.2's CPU backend, a vmapped ACU stream (a ``lax.scan`` of batched Cholesky,
``eigvalsh`` and solves over a few seeds) hangs at execution with every thread idle, every time
(``tests/lab/test_xla_cpu_hang.py`` runs it in a subprocess with a timeout); turning off XLA:CPU's
concurrency-optimised scheduler removes the hang. Larger vmapped programs of the pretraining core hung
intermittently until codegen was split into one unit. Both flags change only scheduling and code
generation, not results; the tests, experiments and committed figures ran with them.

Importing :mod:`unlearnlab` appends the flags to ``XLA_FLAGS`` unless the user already set that flag
(an explicit ``--xla_cpu_enable_concurrency_optimized_scheduler=true`` is kept), or sets
``UNLEARNLAB_XLA_FLAGS=0``. XLA reads ``XLA_FLAGS`` once, when the backend starts (the first JAX
computation): a program that ran JAX computations before importing :mod:`unlearnlab` gets a
:class:`RuntimeWarning` and should set the flags itself::

    XLA_FLAGS="--xla_cpu_enable_concurrency_optimized_scheduler=false \
               --xla_cpu_parallel_codegen_split_count=1"
"""

from __future__ import annotations

import os
import sys
import warnings

#: The flags :mod:`unlearnlab` adds to ``XLA_FLAGS`` at import (each unless already present).
XLA_CPU_FLAGS = (
    "--xla_cpu_enable_concurrency_optimized_scheduler=false",
    "--xla_cpu_parallel_codegen_split_count=1",
)


def merged_xla_flags(current: str) -> str:
    """``current`` with each of :data:`XLA_CPU_FLAGS` appended whose flag name it does not set."""
    present = {tok.split("=")[0] for tok in current.split()}
    extra = [f for f in XLA_CPU_FLAGS if f.split("=")[0] not in present]
    return " ".join([current.strip(), *extra]).strip()


def apply_xla_cpu_flags(env=None) -> str:
    """Add :data:`XLA_CPU_FLAGS` to ``env["XLA_FLAGS"]`` (default ``os.environ``); returns the value.

    Does nothing when ``env["UNLEARNLAB_XLA_FLAGS"] == "0"``. Warns when JAX's backend has already
    started in this process (the flags then take no effect).
    """
    env = os.environ if env is None else env
    if env.get("UNLEARNLAB_XLA_FLAGS", "1") == "0":
        return env.get("XLA_FLAGS", "")
    new = merged_xla_flags(env.get("XLA_FLAGS", ""))
    if env is os.environ and new != env.get("XLA_FLAGS", "") and _backend_started():
        warnings.warn(
            "unlearnlab was imported after JAX started its backend, so its XLA:CPU flags "
            f"{XLA_CPU_FLAGS} cannot take effect (a known XLA:CPU hang of vmapped linear-algebra "
            "scans may occur); import unlearnlab first or set XLA_FLAGS yourself.",
            RuntimeWarning,
            stacklevel=3,
        )
    env["XLA_FLAGS"] = new
    return new


def _backend_started() -> bool:
    if "jax" not in sys.modules:
        return False
    try:
        from jax._src import xla_bridge

        return bool(xla_bridge.backends_are_initialized())
    except Exception:  # pragma: no cover - private API moved: do not guess
        return False
