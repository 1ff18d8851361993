"""The sweep runner: ``run_seeds`` (vmap blocks, sharded) vs a Python loop of the jitted seed.

For three cores, one seed's computation is jitted once; the reference calls it seed by seed from
Python (what a user would write first), the lab runs all seeds through
``unlearnlab.lab.sweep.run_seeds``. Also: scaling over forced host devices (a subprocess with
``--xla_force_host_platform_device_count``), on this 2-core machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.sweep import run_seeds


def _cores(n_small: bool):
    from unlearnlab.hallucination import simulate_world
    from unlearnlab.semisup.baselines import fit_erm_mean
    from unlearnlab.semisup.gaussian_mixture import sample_gmm2
    from unlearnlab.verifiers import simulate_resampling

    R = np.array([0.87, 0.13])
    prior = np.array([0.58, 0.42])

    def resampling(k):
        return simulate_resampling(k, R, 1.0, 0.75, prior, 10, 256)

    def world(k):
        out = simulate_world(k, 500, 500, 1.0, 100.0, 1.0, 0.1)
        return {kk: v for kk, v in out.items() if jnp.ndim(v) == 0}

    mu = jnp.ones(20) / jnp.sqrt(20.0)

    def semisup(k):
        X, y = sample_gmm2(k, 20, mu, 1.0)
        w = fit_erm_mean(X, y)
        return jnp.dot(w, mu) / jnp.linalg.norm(w)

    m_big = 2_000 if n_small else 20_000

    def world_big(k):  # one seed over 1 ms: the runner is judged against a bare vmap
        out = simulate_world(k, m_big, m_big, 1.0, 100.0, 1.0, 0.1)
        return {kk: v for kk, v in out.items() if jnp.ndim(v) == 0}

    n = 100 if n_small else 1000
    # name -> (seed function, number of seeds); the slow seed gets fewer seeds, which keeps its
    # Python-loop reference short
    return {
        "verifiers.simulate_resampling": (resampling, n),
        "hallucination.simulate_world": (world, n),
        "semisup.fit_erm_mean": (semisup, n),
        f"hallucination.simulate_world, m = n = {m_big:,}": (world_big, n // 4),
    }


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    jax.block_until_ready(out)
    return out, time.perf_counter() - w0, time.process_time() - c0


_DEV_SCRIPT = """
import json, sys, time, jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
from unlearnlab.lab.sweep import run_seeds
def f(k):
    x = jax.random.normal(k, (256, 64))
    return jnp.linalg.norm(x.T @ x)
n = int(sys.argv[1])
run_seeds(f, jax.random.key(0), n)
t = time.perf_counter(); run_seeds(f, jax.random.key(1), n); dt = time.perf_counter() - t
print(json.dumps({"devices": jax.device_count(), "s": dt}))
"""


def run(quick: bool) -> list[dict]:
    rows = []
    for name, (fn, n) in _cores(quick).items():
        single = jax.jit(fn)
        keys = jax.random.split(jax.random.key(0), n)
        _, t_c1, _ = _timed(lambda: single(keys[0]))  # compile
        t_one = float(np.median([_timed(lambda k=k: single(k))[1] for k in keys[:50]]))
        _, t_loop, c_loop = _timed(lambda: [single(k) for k in keys])
        bare = jax.jit(jax.vmap(fn))
        _timed(lambda: bare(keys))  # compile
        t_bare = min(_timed(lambda: bare(keys))[1] for _ in range(3))
        timings = {}
        run_seeds(fn, jax.random.key(0), n, timings=timings)  # compile + run
        t_lab, c_lab = np.inf, np.inf
        for _ in range(3):
            _, t, c = _timed(lambda: run_seeds(fn, jax.random.key(0), n))
            t_lab, c_lab = min(t_lab, t), min(c_lab, c)
        fast = t_one < 1e-3  # issue 26: sub-millisecond seeds are judged against the Python loop
        rows.append(
            {
                "benchmark": "sweep",
                "case": f"{name}: {n} seeds (one seed {1e3 * t_one:.2f} ms)",
                "ours_s": t_lab,
                "ref_s": t_loop,
                "ref": "Python loop of the jitted seed",
                "ratio": t_loop / t_lab,
                "goal": 20.0 if fast else None,
                "compile_s": timings.get("compile_s"),
                "cpu_ratio": c_loop / max(c_lab, 1e-9),
                "notes": f"loop compile {t_c1:.2f} s",
            }
        )
        rows.append(
            {
                "benchmark": "sweep",
                "case": f"{name}: {n} seeds, runner overhead",
                "ours_s": t_lab,
                "ref_s": t_bare,
                "ref": "bare jit(vmap(f)) over the same keys",
                "ratio": t_bare / t_lab,
                "goal": None if fast else 0.9,
                "compile_s": timings.get("compile_s"),
                "cpu_ratio": None,
                "notes": "goal for seeds over 1 ms: the runner within 10% of a bare vmap "
                "(best of 3 each); the runner adds fixed-width vmap blocks, sharding and host copies",
            }
        )
    # device scaling (forced host devices on this machine)
    base = None
    for n_dev in (1, 2, 4):
        env = dict(
            os.environ,
            XLA_FLAGS=f"--xla_force_host_platform_device_count={n_dev}",
            JAX_PLATFORMS="cpu",
        )
        res = subprocess.run(
            [sys.executable, "-c", _DEV_SCRIPT, str(64 if quick else 512)],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
        if res.returncode != 0:
            raise RuntimeError(res.stderr[-1000:])
        out = json.loads(res.stdout.strip().splitlines()[-1])
        base = base or out["s"]
        rows.append(
            {
                "benchmark": "sweep",
                "case": f"device scaling: {n_dev} forced host device(s)",
                "ours_s": out["s"],
                "ref_s": base,
                "ref": "1 device",
                "ratio": base / out["s"],
                "goal": None,
                "compile_s": None,
                "cpu_ratio": None,
                "notes": f"{os.cpu_count()} CPU cores: forced host devices share them",
            }
        )
    return rows
