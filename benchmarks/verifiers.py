"""Resampling simulator throughput: simulated worlds (tasks) per second, JAX vs NumPy references.

Cases (each ratio = reference time / ours, measured side by side in one process):

* ``jit, vectorised over tasks`` vs a plain NumPy loop over tasks that resamples until the first
  accept (the algorithm as one would write it);
* the same vs vectorised NumPy as a user would write it (an accept mask over K attempts + argmax),
  with goal >= 1x (issue 26), and vs NumPy running the library's own algorithm (inverse-CDF
  geometric first accept, three uniforms per task), reported;
* ``vmap over seeds`` (what :func:`unlearnlab.lab.sweep.run_seeds` does) vs a Python loop over
  seeds of the same jitted single-seed function.

Times from :func:`unlearnlab.lab.results.time_call` (``block_until_ready``; compile apart; medians).
"""

from __future__ import annotations

import time

import jax
import numpy as np

from unlearnlab.lab.results import time_call
from unlearnlab.verifiers import simulate_resampling

R = np.array([0.87, 0.13])
PRIOR = np.array([0.58, 0.42])
C, S = 1.0, 0.75


def _numpy_loop(seed, n_tasks, K):
    rng = np.random.default_rng(seed)
    first = np.full(n_tasks, K)
    ok = np.zeros(n_tasks, bool)
    for i in range(n_tasks):
        t = 0 if rng.random() < PRIOR[0] else 1
        for k in range(K):
            correct = rng.random() < R[t]
            if rng.random() < (C if correct else 1.0 - S):
                first[i], ok[i] = k, correct
                break
    return first, ok


def _numpy_vectorised(seed, n_tasks, K):
    rng = np.random.default_rng(seed)
    t = (rng.random(n_tasks) >= PRIOR[0]).astype(int)
    correct = rng.random((n_tasks, K)) < R[t][:, None]
    accept = rng.random((n_tasks, K)) < np.where(correct, C, 1.0 - S)
    any_acc = accept.any(1)
    idx = accept.argmax(1)
    return np.where(any_acc, idx, K), any_acc & correct[np.arange(n_tasks), idx]


def _numpy_geometric(seed, n_tasks, K):
    """The library's algorithm in NumPy: geometric first accept, one Bernoulli for correctness."""
    rng = np.random.default_rng(seed)
    u = rng.random((3, n_tasks))
    t = (u[0] >= PRIOR[0]).astype(int)
    r_t = R[t]
    q = r_t * C + (1 - r_t) * (1 - S)
    first = np.minimum(np.floor(np.log1p(-u[1]) / np.log1p(-q)), K).astype(int)
    return first, (first < K) & (u[2] * q < r_t * C)


def _cpu_time(fn, *args, repeats=3):
    cs = []
    for _ in range(repeats):
        c0 = time.process_time()
        jax.block_until_ready(fn(*args))
        cs.append(time.process_time() - c0)
    return float(np.median(cs))


def run(quick: bool) -> list[dict]:
    n_tasks = 20_000 if quick else 200_000
    n_loop = 2_000 if quick else 20_000  # the per-task Python loop is timed on fewer tasks
    K = 20
    n_seeds = 8 if quick else 32
    rows = []

    ours = jax.jit(lambda k: simulate_resampling(k, R, C, S, PRIOR, K, n_tasks))
    t_ours = time_call(ours, jax.random.key(0), repeats=3)
    ours_small = jax.jit(lambda k: simulate_resampling(k, R, C, S, PRIOR, K, n_loop))
    t_small = time_call(ours_small, jax.random.key(0), repeats=3)

    t_loop = time_call(_numpy_loop, 0, n_loop, K, repeats=1)
    rows.append(
        {
            "benchmark": "verifiers.resampling_sim",
            "case": f"numpy per-task loop, {n_loop} tasks, K={K}",
            "ours_s": t_small["median_s"],
            "ref_s": t_loop["median_s"],
            "ref": "numpy loop (first accept)",
            "ratio": t_loop["median_s"] / t_small["median_s"],
            "goal": None,
            "compile_s": t_small["first_s"] - t_small["median_s"],
            "cpu_ratio": t_loop["cpu_median_s"] / max(t_small["cpu_median_s"], 1e-9),
            "notes": f"ours {n_loop / t_small['median_s']:.3g} worlds/s, "
            f"ref {n_loop / t_loop['median_s']:.3g} worlds/s",
        }
    )
    t_vec = time_call(_numpy_vectorised, 0, n_tasks, K, repeats=3)
    rows.append(
        {
            "benchmark": "verifiers.resampling_sim",
            "case": f"numpy vectorised, {n_tasks} tasks, K={K}",
            "ours_s": t_ours["median_s"],
            "ref_s": t_vec["median_s"],
            "ref": "numpy vectorised (accept mask + argmax)",
            "ratio": t_vec["median_s"] / t_ours["median_s"],
            "goal": 1.0,
            "compile_s": t_ours["first_s"] - t_ours["median_s"],
            "cpu_ratio": t_vec["cpu_median_s"] / max(t_ours["cpu_median_s"], 1e-9),
            "notes": f"ours {n_tasks / t_ours['median_s']:.3g} worlds/s, "
            f"ref {n_tasks / t_vec['median_s']:.3g} worlds/s",
        }
    )

    t_geo = time_call(_numpy_geometric, 0, n_tasks, K, repeats=3)
    rows.append(
        {
            "benchmark": "verifiers.resampling_sim",
            "case": f"numpy, the library's algorithm, {n_tasks} tasks, K={K}",
            "ours_s": t_ours["median_s"],
            "ref_s": t_geo["median_s"],
            "ref": "numpy geometric first accept",
            "ratio": t_geo["median_s"] / t_ours["median_s"],
            "goal": None,
            "compile_s": t_ours["first_s"] - t_ours["median_s"],
            "cpu_ratio": t_geo["cpu_median_s"] / max(t_ours["cpu_median_s"], 1e-9),
            "notes": "same law as the accept mask (tests/verifiers/test_resampling.py); "
            f"ref {n_tasks / t_geo['median_s']:.3g} worlds/s",
        }
    )

    per_seed = n_tasks // n_seeds
    one = jax.jit(lambda k: simulate_resampling(k, R, C, S, PRIOR, K, per_seed))
    keys = jax.random.split(jax.random.key(1), n_seeds)
    vm = jax.jit(jax.vmap(lambda k: simulate_resampling(k, R, C, S, PRIOR, K, per_seed)))

    def loop(ks):
        return [one(k) for k in ks]

    t_vm = time_call(vm, keys, repeats=3)
    jax.block_until_ready(loop(keys))  # compile the single-seed program
    t_lp = time_call(loop, keys, repeats=3)
    rows.append(
        {
            "benchmark": "verifiers.resampling_sim",
            "case": f"vmap over {n_seeds} seeds x {per_seed} tasks, K={K}",
            "ours_s": t_vm["median_s"],
            "ref_s": t_lp["median_s"],
            "ref": "python loop of jitted seed",
            "ratio": t_lp["median_s"] / t_vm["median_s"],
            "goal": None,
            "compile_s": t_vm["first_s"] - t_vm["median_s"],
            "cpu_ratio": t_lp["cpu_median_s"] / max(t_vm["cpu_median_s"], 1e-9),
            "notes": f"ours {n_seeds * per_seed / t_vm['median_s']:.3g} worlds/s",
        }
    )
    return rows


if __name__ == "__main__":
    import sys

    for row in run("--quick" in sys.argv):
        print(row)
