"""FTPedel's design solver: time against problem size (d, H, policy-class size), vs plain NumPy.

The design step of one epoch solves, for each step ``h``, a Frank-Wolfe problem over the simplex of
``n_pi`` exploration policies with ``n_pi`` targets in ``R^d`` (``unlearnlab.rl.design``). Cost per
iteration is ``O(n_pi d^2 + d^3)``; the ``H`` steps of an epoch are sequential in the algorithm (the
step-``h`` targets need step ``h-1``), here they are timed as one batched call (``vmap`` over ``h``)
and, for the reference, as a Python loop. The reference is the same smoothed Frank-Wolfe written
plainly in NumPy (RAGE-style; no certificate, so it does less work per iteration than ours).
"""

from __future__ import annotations

import time

import numpy as np


def _problem(d, n, H, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(H, n, d))
    X /= np.linalg.norm(X, axis=-1, keepdims=True)
    C = np.einsum("hid,hie->hide", X, X) + 1e-3 * np.eye(d)
    off = np.stack([np.eye(d)] * H)
    return C, off, X, np.ones(n)


def _numpy_fw(T, C, off, X, den, n_iter, eta=1000.0):
    n_exp, d, _ = C.shape
    w = np.full(n_exp, 1.0 / n_exp)
    logn = np.log(max(X.shape[0], 2))
    best = np.inf
    for k in range(n_iter):
        A = T * np.einsum("j,jde->de", w, C) + off + 1e-9 * np.eye(d)
        U = np.linalg.solve(A, X.T).T
        g = np.sum(U * X, -1) / den**2
        f = g.max()
        best = min(best, f)
        z = eta * logn * (g - f) / f
        q = np.exp(z - z.max())
        q /= q.sum()
        M = np.einsum("i,id,ie->de", q / den**2, U, U)
        grad = -T * np.einsum("jde,de->j", C, M)
        j = int(np.argmin(grad))
        gam = 2.0 / (k + 2.0)
        w *= 1 - gam
        w[j] += gam
    return best


def run(quick: bool) -> list[dict]:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from unlearnlab.lab.results import time_call
    from unlearnlab.rl import solve_design

    n_iter = 200 if quick else 500
    cases = (
        [(4, 16, 1), (8, 64, 2)]
        if quick
        else [(4, 16, 1), (8, 16, 1), (16, 16, 1), (8, 64, 1), (8, 256, 1), (8, 64, 2), (8, 64, 4)]
    )
    rows = []
    for d, n, H in cases:
        C, off, X, den = _problem(d, n, H)
        mask = jnp.ones(n, bool)
        w0 = jnp.full((n,), 1.0 / n)

        def one(C_h, off_h, X_h, den=den, mask=mask, w0=w0):
            return solve_design(
                10.0,
                C_h,
                off_h,
                X_h,
                jnp.asarray(den),
                mask=mask,
                n_iter=n_iter,
                reg=1e-9,
                smooth_eta=1000.0,
                w0=w0,
            ).upper

        f = jax.jit(jax.vmap(one))
        t = time_call(f, jnp.asarray(C), jnp.asarray(off), jnp.asarray(X), repeats=3)
        reps = 1 if (quick or n * d * d > 4000) else 2
        walls, cpus = [], []
        for _ in range(reps):
            w0_, c0_ = time.perf_counter(), time.process_time()
            ref = [_numpy_fw(10.0, C[h], off[h], X[h], den, n_iter) for h in range(H)]
            walls.append(time.perf_counter() - w0_)
            cpus.append(time.process_time() - c0_)
        ref_s, ref_cpu = float(np.median(walls)), float(np.median(cpus))
        ours = np.asarray(t["out"])
        rows.append(
            {
                "benchmark": "ftpedel design solver",
                "case": f"d={d}, |Pi|={n}, H={H}, {n_iter} FW iterations",
                "ours_s": t["median_s"],
                "ref_s": ref_s,
                "ref": "NumPy Frank-Wolfe (same smoothing, no certificate), loop over h",
                "ratio": ref_s / t["median_s"],
                "goal": None,
                "compile_s": max(t["first_s"] - t["median_s"], 0.0),
                "cpu_ratio": ref_cpu / max(t["cpu_median_s"], 1e-12),
                "notes": f"max |f_ours - f_ref| / f_ref = "
                f"{float(np.max(np.abs(ours - np.asarray(ref)) / np.asarray(ref))):.1e}; "
                f"per-iteration cost O(|Pi| d^2 + d^3)",
            }
        )
    return rows


if __name__ == "__main__":
    import sys

    for r in run("--quick" in sys.argv):
        print(r)
