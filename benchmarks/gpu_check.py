"""Prepared device check: ``python -m benchmarks.gpu_check [--quick] [--out FILE]``.

One short script to run once on a lent accelerator (GPU/TPU; it also runs on CPU, where ``--quick``
is its test). It records, in one JSON file (default ``benchmarks/gpu_check.json``):

* the backend, devices and versions;
* the sweep runner's scaling: ``run_seeds`` over 1 device and over every device, for a
  matmul-heavy seed function, and its ratio to a bare ``jit(vmap(f))``;
* the EM ratio: the lab's Gaussian-mixture GEM over 1,000 few-shot tasks (vmapped), float32 and
  float64, tasks per second;
* the ACU ratio: one unlearning request against ridge retraining at N = 1e5, d = 256, m = 16;
* the two heaviest figures' cores at reduced size (the h-calibration fit and NUTS on the
  selective-labels model), compile time apart from run time.

Every timing is a median after a compile call, with ``block_until_ready``; it is meant to finish in
well under 5 minutes on one GPU. Nothing here asserts a speed: the numbers go to
``benchmarks/RESULTS.md`` by hand, with the machine.
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import time
from pathlib import Path


def _median_time(fn, *args, repeats=3):
    import jax

    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    first = time.perf_counter() - t0
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        ts.append(time.perf_counter() - t0)
    ts.sort()
    med = ts[len(ts) // 2]
    return {"median_s": med, "compile_s": max(first - med, 0.0)}


def _sweep(quick):
    import jax
    import jax.numpy as jnp

    from unlearnlab.lab.sweep import run_seeds

    d = 64 if quick else 256

    def f(k):
        x = jax.random.normal(k, (d, d))
        return jnp.linalg.norm(x @ x.T)

    n = 64 if quick else 4096
    out = {"seeds": n, "d": d}
    for label, devs in (("1 device", jax.devices()[:1]), ("all devices", jax.devices())):
        run_seeds(f, jax.random.key(0), n, devices=devs)
        out[label] = _median_time(lambda: run_seeds(f, jax.random.key(0), n, devices=devs))
    bare = jax.jit(jax.vmap(f))
    keys = jax.random.split(jax.random.key(0), n)
    out["bare jit(vmap)"] = _median_time(bare, keys)
    out["runner / bare"] = out["all devices"]["median_s"] / out["bare jit(vmap)"]["median_s"]
    out["speed-up over 1 device"] = out["1 device"]["median_s"] / out["all devices"]["median_s"]
    return out


def _gem(quick):
    import jax

    from unlearnlab.fewshot import TaskSpec, gem_run, sample_task

    n_tasks = 64 if quick else 1000
    spec = TaskSpec(n_classes=10, k_eff=5, shot=5, n_query=75, dim=64)
    out = {"tasks": n_tasks}
    for dtype in ("float32", "float64"):
        with jax.enable_x64(dtype == "float64"):
            keys = jax.random.split(jax.random.key(0), n_tasks)
            tasks = jax.vmap(lambda k: sample_task(k, spec))(keys)
            run = jax.jit(
                jax.vmap(lambda t: gem_run(t.z_s, t.y_s, t.z_q, spec.n_classes, 1.0, 1.0, 10))
            )
            t = _median_time(run, tasks)
            out[dtype] = {**t, "tasks_per_s": n_tasks / t["median_s"]}
    return out


def _acu(quick):
    import jax
    import jax.numpy as jnp

    from unlearnlab.unlearning import acu_fit, acu_unlearn_checked, ridge_retrain

    N, d, m, C = (2000, 64, 8, 4) if quick else (100_000, 256, 16, 10)
    kx, ky = jax.random.split(jax.random.key(0))
    X = jax.random.normal(kx, (N, d), jnp.float32)
    Y = jax.nn.one_hot(jax.random.randint(ky, (N,), 0, C), C, dtype=jnp.float32)
    state = acu_fit(X, Y, gamma=1.0)
    req = jax.jit(acu_unlearn_checked)
    retrain = jax.jit(lambda X, Y: ridge_retrain(X, Y, 1.0))
    t_req = _median_time(req, state, X[:m], Y[:m])
    t_ret = _median_time(retrain, X[m:], Y[m:])
    return {
        "N": N,
        "d": d,
        "m": m,
        "request": t_req,
        "retrain": t_ret,
        "ratio": t_ret["median_s"] / t_req["median_s"],
    }


def _heavy_figures(quick):
    import jax

    import unlearnlab.calibration as cal
    import unlearnlab.selective_labels as sl

    n, c = (500, 10) if quick else (5000, 100)
    z, y = cal.known_map(jax.random.key(0), n, c, 0.5)
    fit = jax.jit(lambda k, z, y: cal.fit_hcal(k, z, y, family="ets"))
    out = {"hcal fit (ets)": {**_median_time(fit, jax.random.key(1), z, y, repeats=1), "n": n}}
    N = 150 if quick else 400
    key = jax.random.key(2)
    p = sl.draw_synthetic_params(key, 5)
    data = sl.simulate_selective_labels(key, N, 5, p["beta_Y"], p["beta_D"], 1.0, p["sigma"])
    model = functools.partial(sl.numpyro_model, known_alpha=1.0, n_nodes=24)
    w, s = (40, 40) if quick else (300, 400)

    @jax.jit
    def nuts(k):
        return sl.nuts_draws(k, model, {"X": data["X"], "T": data["T"], "Y": data["Y"]}, w, s)[0]

    out["NUTS selective labels"] = {**_median_time(nuts, jax.random.key(3), repeats=1), "N": N}
    return out


def main(argv=None):
    import jax

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes (the CPU test)")
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("gpu_check.json"))
    args = p.parse_args(argv)
    jax.config.update("jax_enable_x64", True)
    t0 = time.perf_counter()
    result = {
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "versions": {"jax": jax.__version__, "python": platform.python_version()},
        "quick": args.quick,
    }
    for name, part in (
        ("sweep", _sweep),
        ("gem", _gem),
        ("acu", _acu),
        ("heavy_figures", _heavy_figures),
    ):
        t = time.perf_counter()
        result[name] = part(args.quick)
        result[name]["section_s"] = time.perf_counter() - t
        print(f"[gpu_check] {name}: {time.perf_counter() - t:.1f} s", flush=True)
    result["total_s"] = time.perf_counter() - t0
    args.out.write_text(json.dumps(result, indent=1, default=float))
    print(f"[gpu_check] wrote {args.out} in {result['total_s']:.1f} s")
    return result


if __name__ == "__main__":
    main()
