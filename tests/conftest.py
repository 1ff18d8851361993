"""Shared test set-up: float64, hypothesis profiles, fixed keys.

Three kinds of test, never mixed in one function:
* exact identities (closed form vs a brute-force oracle, float64, ~1e-8);
* invariants (hypothesis, ``ci`` profile: deadline off, derandomised, few examples);
* statistical claims (fixed keys, a declared false-failure rate, CLT/Hoeffding/binomial tolerance).
"""

import os

import jax
import pytest
from hypothesis import HealthCheck, settings

import unlearnlab  # noqa: F401 - sets its XLA:CPU flags (unlearnlab/_xla.py) before JAX starts

jax.config.update("jax_enable_x64", True)

# Compile-time sharing: a persistent XLA compilation cache for the test session, shared by the xdist
# workers, so a program both workers build (or a closure rebuilt by a second call) is compiled once.
# Every compile is stored, however short: the module-level cache clearing below makes later modules
# recompile the same small programs (eager ops, key splits), which then load from disk (on
# tests/unlearning + tests/hallucination in one process, cold: 276 -> 253 CPU s against storing only
# compiles over 0.5 s; ~10 MB per 200 tests). Results are unaffected (the key covers the program, the
# flags and the jax/jaxlib versions). A read that races the other worker's write of the same entry
# fails to decompress and compiles instead (pyproject's filterwarnings says why that warning is
# ignored). A clean clone starts empty. UNLEARNLAB_TEST_JAX_CACHE=0 turns
# it off; a path puts it elsewhere.
_JAX_CACHE = os.environ.get(
    "UNLEARNLAB_TEST_JAX_CACHE",
    os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache", "jax-tests"
    ),
)
if _JAX_CACHE != "0":
    jax.config.update("jax_compilation_cache_dir", _JAX_CACHE)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)

# Compile less: the tests are compile-bound (thousands of small programs, most run once), so XLA's
# LLVM back end runs at optimisation level 0 without its expensive passes (JAX's
# ``jax_disable_most_optimizations``; HLO passes still run, no fast-math either way). Rounding can
# differ in the last bits from the optimised build (e.g. fused multiply-adds), so subprocesses that
# a test compares bitwise with itself inherit the setting through the environment; the XLA:CPU hang
# regression (tests/lab/test_xla_cpu_hang.py) turns it off, to run what users run. Measured on
# tests/calibration/test_api.py plus the dmm_convex smoke run, one process, cold: 74.8 s -> 51.2 s;
# the whole quick level on 2 workers: 1045 s -> 819 s. Experiments, benchmarks and users run fully
# optimised code. UNLEARNLAB_TEST_XLA_OPT=1 keeps the full optimisation in the tests.
if os.environ.get("UNLEARNLAB_TEST_XLA_OPT", "0") != "1":
    os.environ["JAX_DISABLE_MOST_OPTIMIZATIONS"] = "1"
    jax.config.update("jax_disable_most_optimizations", True)

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=20,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def key():
    """A fixed PRNG key; split it, never reuse it."""
    return jax.random.key(20261128)


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """Drop every compiled XLA program after each test module.

    A test worker compiles thousands of programs over the suite; in full runs after this wave's
    contract cases, XLA:CPU (jaxlib 0.10.2) segfaulted while compiling late in a long-lived worker
    (at different tests in different runs), consistent with exhausting the process's memory
    mappings (``vm.max_map_count``). Clearing JAX's caches between modules frees the executables;
    modules seldom share programs, so little is recompiled.
    """
    yield
    jax.clear_caches()
