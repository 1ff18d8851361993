"""Shared helpers of the benchmark modules."""

from __future__ import annotations

import time

import numpy as np


def ref_time(fn, *args, repeats: int = 5, warmup: bool = True):
    """Median wall and CPU (``time.process_time``) seconds of ``fn(*args)`` for a reference
    implementation (no JAX dispatch to block on), after one warm-up call unless ``warmup=False``;
    returns ``(wall, cpu, last output)``."""
    out = fn(*args) if warmup else None
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn(*args)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return float(np.median(walls)), float(np.median(cpus)), out


def ratio_row(benchmark, case, ours, ref_s, ref_cpu, ref, goal, notes, goal_on="ratio") -> dict:
    """One RESULTS row from a :func:`unlearnlab.lab.results.time_call` result ``ours`` and the
    reference's median wall / CPU seconds: ``ratio = ref_s / ours``, compile time apart, the goal
    judged on ``goal_on`` (``"ratio"``: wall, ``"cpu_ratio"``: process CPU time)."""
    return {
        "benchmark": benchmark,
        "case": case,
        "ours_s": ours["median_s"],
        "ref_s": ref_s,
        "ref": ref,
        "ratio": ref_s / ours["median_s"],
        "goal": goal,
        "goal_on": goal_on,
        "compile_s": max(ours["first_s"] - ours["median_s"], 0.0),
        "cpu_ratio": ref_cpu / max(ours["cpu_median_s"], 1e-12),
        "notes": notes,
    }
