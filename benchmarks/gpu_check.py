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
    import numpy as np

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
    # the runner maps fixed-width vmap blocks (default 8) sequentially, for bitwise reproducibility
    # whatever the devices; on an accelerator wider blocks fill the device
    for block in (64, n // len(jax.devices())):
        run_seeds(f, jax.random.key(0), n, block_size=block)
        out[f"all devices, block_size={block}"] = _median_time(
            lambda block=block: run_seeds(f, jax.random.key(0), n, block_size=block)
        )
    bare = jax.jit(jax.vmap(f))
    keys = jax.random.split(jax.random.key(0), n)
    out["bare jit(vmap)"] = _median_time(bare, keys)
    # run_seeds returns host (NumPy) arrays: the same copy, for a like-for-like reference
    out["bare jit(vmap) + host copy"] = _median_time(lambda k: np.asarray(bare(k)), keys)
    bare_s = out["bare jit(vmap)"]["median_s"]
    out["runner / bare"] = out["all devices"]["median_s"] / bare_s
    out["runner / bare, widest block"] = (
        out[f"all devices, block_size={n // len(jax.devices())}"]["median_s"] / bare_s
    )
    out["speed-up over 1 device"] = out["1 device"]["median_s"] / out["all devices"]["median_s"]
    return out


def _cpu_device():
    import jax

    try:
        return jax.devices("cpu")[0]
    except RuntimeError:
        return None


def _gem(quick):
    import jax
    import jax.numpy as jnp
    import numpy as np

    from unlearnlab.fewshot import TaskSpec, gem_init, gem_run, sample_task

    n_tasks = 64 if quick else 1000
    K = 10
    spec = TaskSpec(n_classes=K, k_eff=5, shot=5, n_query=75, dim=64)
    out = {"tasks": n_tasks}
    cpu = _cpu_device()
    for dtype in ("float32", "float64"):
        with jax.enable_x64(dtype == "float64"):
            keys = jax.random.split(jax.random.key(0), n_tasks)
            tasks = jax.vmap(lambda k: sample_task(k, spec))(keys)
            run = jax.jit(
                jax.vmap(lambda t: jnp.argmax(gem_run(t.z_s, t.y_s, t.z_q, K, 1.0, 1.0, 10).u, -1))
            )
            t = _median_time(run, tasks)
            out[dtype] = {**t, "tasks_per_s": n_tasks / t["median_s"]}
            if cpu is not None and jax.default_backend() != "cpu":
                # the same program on this machine's CPU backend (all its cores), same run
                tasks_cpu = jax.device_put(tasks, cpu)
                tc = _median_time(run, tasks_cpu)
                out[dtype]["jax_cpu_backend"] = {**tc, "tasks_per_s": n_tasks / tc["median_s"]}
            if dtype == "float64":
                pred = np.asarray(run(tasks))
                zq = np.asarray(tasks.z_q)
                means0 = np.asarray(
                    jax.vmap(lambda a, b: gem_init(a, b, K).w)(tasks.z_s, tasks.y_s)
                )
    # the reference of benchmarks/unem.py: scikit-learn's GaussianMixture task by task, 1 thread
    from benchmarks.unem import sklearn_gmm_loop

    n_ref = min(n_tasks, 200)
    t0 = time.perf_counter()
    sk = sklearn_gmm_loop(zq[:n_ref], means0[:n_ref], K, n_iter=10)
    sk_tps = n_ref / (time.perf_counter() - t0)
    out["sklearn_loop"] = {"tasks": n_ref, "tasks_per_s": sk_tps}
    out["agreement_with_sklearn"] = float(np.mean(pred[:n_ref] == sk))
    for dtype in ("float32", "float64"):
        out[f"ratio_vs_sklearn_{dtype}"] = out[dtype]["tasks_per_s"] / sk_tps
    return out


def _matmul_rate(n, dtype):
    import jax
    import jax.numpy as jnp

    a = jax.random.normal(jax.random.key(7), (n, n), dtype)
    t = _median_time(jax.jit(jnp.matmul), a, a, repeats=5)["median_s"]
    return 2.0 * n**3 / t


def _acu(quick):
    import jax
    import jax.numpy as jnp
    import numpy as np

    from unlearnlab.unlearning import acu_fit, acu_request_flops, acu_unlearn_checked, ridge_retrain

    N, d, m, C = (2000, 64, 8, 4) if quick else (100_000, 256, 16, 10)
    out = {"N": N, "d": d, "m": m, "C": C}
    flops = acu_request_flops(d, m, C)
    for dtype in (jnp.float32, jnp.float64):
        name = jnp.dtype(dtype).name
        kx, ky = jax.random.split(jax.random.key(0))
        X = jax.random.normal(kx, (N, d), dtype)
        Y = jax.nn.one_hot(jax.random.randint(ky, (N,), 0, C), C, dtype=dtype)
        state = acu_fit(X, Y, gamma=1.0)
        req = jax.jit(acu_unlearn_checked)
        retrain = jax.jit(lambda X, Y: ridge_retrain(X, Y, 1.0))
        t_req = _median_time(req, state, X[:m], Y[:m], repeats=7)
        t_ret = _median_time(retrain, X[m:], Y[m:])
        rate = _matmul_rate(512 if quick else 4096, dtype)
        bound = flops / rate
        out[name] = {
            "request": t_req,
            "retrain": t_ret,
            "ratio": t_ret["median_s"] / t_req["median_s"],
            "matmul_rate_gflops": rate / 1e9,
            "flop_bound_s": bound,
            "bound_fraction": bound / t_req["median_s"],
        }
        if name == "float64":
            from sklearn.linear_model import Ridge

            Xn, Yn = np.asarray(X[m:]), np.asarray(Y[m:])
            ridge = Ridge(alpha=1.0, fit_intercept=False, solver="cholesky")
            t0 = time.perf_counter()
            ridge.fit(Xn, Yn)
            sk_s = time.perf_counter() - t0
            out[name]["sklearn_ridge_s"] = sk_s
            out[name]["ratio_vs_sklearn"] = sk_s / t_req["median_s"]
    out["ratio"] = out["float64"]["ratio"]
    return out


def _heavy_figures(quick):
    import jax
    import jax.numpy as jnp

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
    obs = {"X": data["X"], "T": data["T"], "Y": data["Y"]}

    def one(k):
        draws = sl.nuts_draws(k, model, obs, w, s)[0]
        return sum(jnp.mean(v) for v in jax.tree.leaves(draws))

    nuts = jax.jit(one)
    out["NUTS selective labels"] = {**_median_time(nuts, jax.random.key(3), repeats=1), "N": N}
    # selective_labels_sbc runs one chain per vmap block on CPU; is a block of 4 cheaper per
    # chain here?  (a vmapped NUTS runs every chain in a block for the longest tree's steps)
    block = jax.jit(jax.vmap(one))
    for width in (4, 16):
        keys = jax.random.split(jax.random.key(4), width)
        tw = _median_time(block, keys, repeats=1)
        out[f"NUTS {width} chains vmapped"] = {
            **tw,
            "per_chain_s": tw["median_s"] / width,
            "one_chain_s": out["NUTS selective labels"]["median_s"],
        }
        if quick:
            break
    return out


def _versions():
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("jax", "jaxlib", "numpyro", "flax", "optax", "scikit-learn"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def main(argv=None):
    import jax

    import unlearnlab  # noqa: F401  (before any backend starts: it sets XLA:CPU flags)

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes (the CPU test)")
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("gpu_check.json"))
    p.add_argument("--strict", action="store_true", help="raise on a failing section")
    args = p.parse_args(argv)
    jax.config.update("jax_enable_x64", True)
    t0 = time.perf_counter()
    result = {
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "versions": _versions(),
        "quick": args.quick,
    }
    for name, part in (
        ("sweep", _sweep),
        ("gem", _gem),
        ("acu", _acu),
        ("heavy_figures", _heavy_figures),
    ):
        t = time.perf_counter()
        try:
            result[name] = part(args.quick)
        except Exception as e:  # record the failure and go on: a device lease is one try
            if args.strict:
                raise
            result[name] = {"error": f"{type(e).__name__}: {e}"[:2000]}
        result[name]["section_s"] = time.perf_counter() - t
        print(f"[gpu_check] {name}: {time.perf_counter() - t:.1f} s", flush=True)
        args.out.write_text(json.dumps(result, indent=1, default=float))
    result["total_s"] = time.perf_counter() - t0
    args.out.write_text(json.dumps(result, indent=1, default=float))
    print(f"[gpu_check] wrote {args.out} in {result['total_s']:.1f} s")
    return result


if __name__ == "__main__":
    main()
