"""Calibration benchmarks: the lab's jitted metrics and fits against NumPy / SciPy / scikit-learn
references, the h-loss event sort (NumPy radix sort via ``pure_callback`` vs XLA's sort), and the
h-loss with its gradient against our PyTorch re-implementation of the official loss loop
(``benchmarks/torch_ref/hcal_torch.py``; rows skipped when torch is not installed).

``run(quick)`` returns rows ``{"benchmark", "case", "ours_s", "ref_s", "ref", "ratio" (ref_s /
ours_s), "goal", "compile_s", "cpu_ratio", "notes"}``; timings are medians with
``block_until_ready`` and the compile time apart (``unlearnlab.lab.results.time_call``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import unlearnlab.calibration as cal
from benchmarks._common import ratio_row, ref_time
from unlearnlab.lab.results import time_call


def _row(benchmark, case, ours, ref_s, ref_cpu, ref, goal, notes):
    return ratio_row(benchmark, case, ours, ref_s, ref_cpu, ref, goal, notes)


def _np_ece(p, y, n_bins=15):
    conf = p.max(1)
    corr = (p.argmax(1) == y).astype(float)
    b = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    sc = np.bincount(b, conf, minlength=n_bins)
    sa = np.bincount(b, corr, minlength=n_bins)
    return float(np.sum(np.abs(sa - sc)) / len(y))


def _np_nll_T(z, y):
    from scipy.optimize import minimize_scalar

    zy = z[np.arange(len(y)), y]

    def f(logt):
        a = z / np.exp(logt)
        m = a.max(1)
        return np.mean(np.log(np.exp(a - m[:, None]).sum(1)) + m - zy / np.exp(logt))

    return float(np.exp(minimize_scalar(f, bounds=(-3, 3), method="bounded").x))


def run(quick: bool = False) -> list[dict]:
    jax.config.update("jax_enable_x64", True)
    rows = []
    n, c = (2000, 10) if quick else (10000, 100)
    z, y = cal.known_map(jax.random.key(0), n, c, 0.5)
    p = jax.nn.softmax(z, 1)
    zn, yn, pn = np.asarray(z), np.asarray(y), np.asarray(p)
    rep = 3 if quick else 5

    ours = time_call(jax.jit(cal.ece), p, y, repeats=rep)
    r, rc, _ = ref_time(_np_ece, pn, yn, repeats=rep)
    rows.append(
        _row(
            "ece",
            f"{n}x{c}",
            ours,
            r,
            rc,
            "numpy bincount",
            1.0,
            f"agree: {abs(float(ours['out']) - _np_ece(pn, yn)) < 1e-10}",
        )
    )

    ours = time_call(jax.jit(cal.fit_temperature), z, y, repeats=rep)
    r, rc, _ = ref_time(_np_nll_T, zn, yn, repeats=rep)
    rows.append(
        _row(
            "fit_temperature",
            f"{n}x{c}",
            ours,
            r,
            rc,
            "scipy minimize_scalar(bounded)",
            3.0,  # issue 12: >= 3x, same T to 1e-4
            f"T ours {float(ours['out']):.5f} vs scipy {_np_nll_T(zn, yn):.5f}",
        )
    )

    m = 1000 if quick else 5000
    rng = np.random.default_rng(0)
    s = np.sort(rng.uniform(size=m))
    t = (rng.uniform(size=m) < s).astype(float)
    sj, tj = jnp.asarray(s), jnp.asarray(t)
    ours = time_call(jax.jit(cal.fit_isotonic), sj, tj, repeats=rep)
    on_device = time_call(
        jax.jit(lambda a, b: cal.fit_isotonic(a, b, method="lax")), sj, tj, repeats=rep
    )
    gap = float(jnp.max(jnp.abs(ours["out"][1] - on_device["out"][1])))
    try:
        from sklearn.isotonic import IsotonicRegression

        r, rc, _ = ref_time(lambda a, b: IsotonicRegression().fit(a, b), s, t, repeats=rep)
        for case, o, goal, note in (
            (
                f"n={m}, method='auto' (host on CPU)",
                ours,
                1.0,
                "NumPy sort + SciPy's compiled PAV in one pure_callback, jitted; "
                f"max |fit - on-device PAV| {gap:.1e}",
            ),
            (
                f"n={m}, method='lax' (on device)",
                on_device,
                None,
                "XLA sort + PAV in lax.while_loop (sequential); XLA's CPU sort is most of it",
            ),
        ):
            rows.append(
                _row("fit_isotonic", case, o, r, rc, "sklearn IsotonicRegression", goal, note)
            )
    except ModuleNotFoundError:  # pragma: no cover
        pass

    nh, ch = (1000, 10) if quick else (5000, 100)
    zh, yh = cal.known_map(jax.random.key(1), nh, ch, 0.5)
    ph = jax.nn.softmax(zh, 1)
    loss_host = jax.jit(
        jax.value_and_grad(lambda lz: cal.hcal_loss(jax.nn.softmax(lz, 1), yh, sort="host"))
    )
    loss_xla = jax.jit(
        jax.value_and_grad(lambda lz: cal.hcal_loss(jax.nn.softmax(lz, 1), yh, sort="xla"))
    )
    ours = time_call(loss_host, zh, repeats=rep)
    ref = time_call(loss_xla, zh, repeats=rep)
    rows.append(
        _row(
            "hcal_loss value+grad",
            f"{nh}x{ch} events={nh * ch}",
            ours,
            ref["median_s"],
            ref["cpu_median_s"],
            "same loss, XLA sort",
            None,
            f"host (NumPy) sort via pure_callback vs jnp.argsort; p sum {float(ph.sum()):.0f}",
        )
    )
    rows.extend(_smooth_ece_vs_relplot(quick))
    rows.extend(_ece_vs_netcal(quick))
    rows.extend(_hloss_vs_torch(quick))
    if not quick:
        rows.extend(_fit_hcal_wall())
    return rows


def _smece_sigma_direct(f, y, sigma, n_t=4001):
    """smECE_sigma without binning the data: the reflected-kernel residual summed over every
    prediction on a fine t grid (trapezoid rule), the oracle both grid methods approximate."""
    t = np.linspace(0.0, 1.0, n_t)
    r = np.zeros_like(t)
    for k in range(-3, 4):
        for sgn in (1.0, -1.0):
            s = sgn * f + 2 * k
            for a in range(0, n_t, 500):
                d = t[a : a + 500, None] - s[None, :]
                r[a : a + 500] += (np.exp(-0.5 * (d / sigma) ** 2) * (y - f)[None, :]).sum(1)
    a = np.abs(r / (len(f) * sigma * np.sqrt(2 * np.pi)))
    return float((a.sum() - 0.5 * (a[0] + a[-1])) / (n_t - 1))


def _smooth_ece_vs_relplot(quick: bool) -> list[dict]:
    """smECE as a user calls it (eager, automatic bandwidth; the first call's compile reported
    apart) against relplot's ``smECE`` (Blasiok & Nakkiran's reference package) on real CIFAR-100
    predictions, and at a fixed bandwidth against ``smECE_sigma``. Agreement of the values in the
    notes; the fixed-bandwidth values are compared with the dense reflected-kernel formula."""
    try:
        import relplot
    except ModuleNotFoundError:
        return []
    from unlearnlab.datasets import load_predictions

    probs, labels = load_predictions("wrn16-4-cifar100")
    n = 2000 if quick else 10_000
    conf = probs[:n].max(1)
    corr = (probs[:n].argmax(1) == labels[:n]).astype(float)
    rep = 3 if quick else 7
    ours = time_call(lambda c, k: cal.smooth_ece(c, k), conf, corr, repeats=rep)
    r, rc, ref_val = ref_time(lambda c, k: relplot.smECE(c, k), conf, corr, repeats=rep)
    rows = [
        _row(
            "smooth_ece vs relplot",
            f"automatic bandwidth, {n} CIFAR-100 predictions, eager call",
            ours,
            r,
            rc,
            "relplot.smECE",
            1.0,
            f"value lab {float(ours['out']):.5f} vs relplot {float(ref_val):.5f} (each solves its "
            "own fixed point: the lab by 30 bisection steps on a 200-point grid)",
        )
    ]
    sigma = 0.05
    ours = time_call(lambda c, k: cal.smooth_ece_sigma(c, k, sigma), conf, corr, repeats=rep)
    r, rc, ref_val = ref_time(
        lambda c, k: relplot.smECE_sigma(c, k, sigma), conf, corr, repeats=rep
    )
    rows.append(
        _row(
            "smooth_ece vs relplot",
            f"sigma = {sigma}, {n} CIFAR-100 predictions, eager call",
            ours,
            r,
            rc,
            "relplot.smECE_sigma",
            1.0,
            f"value lab {float(ours['out']):.6f} vs relplot {float(ref_val):.6f}; direct "
            f"kernel sum (no binning, 4001-point grid) {_smece_sigma_direct(conf, corr, sigma):.6f}",
        )
    )
    return rows


def _ece_vs_netcal(quick: bool) -> list[dict]:
    """Binned top-label ECE (15 equal-width bins) as a user calls it, eagerly, against netcal's
    ``ECE(bins=15).measure`` on real CIFAR-100 predictions; both values against the NumPy
    ``bincount`` oracle in the notes. netcal is installed without its dependencies (``make bench``:
    its metrics need only NumPy, SciPy and torch, which the ``bench`` extra has)."""
    try:
        from netcal.metrics import ECE
    except ModuleNotFoundError:
        return []
    from unlearnlab.datasets import load_predictions

    probs, labels = load_predictions("wrn16-4-cifar100")
    n = 2000 if quick else 10_000
    p, y = np.asarray(probs[:n], np.float64), np.asarray(labels[:n])
    rep = 3 if quick else 7
    ours = time_call(lambda a, b: cal.ece(a, b), p, y, repeats=rep)
    metric = ECE(bins=15)
    r, rc, ref_val = ref_time(lambda a, b: metric.measure(a, b), p, y, repeats=rep)
    return [
        _row(
            "ece vs netcal",
            f"15 equal-width bins, {n} CIFAR-100 predictions, eager call",
            ours,
            r,
            rc,
            "netcal ECE(bins=15).measure",
            1.0,
            f"value lab {float(ours['out']):.6f} vs netcal {float(ref_val):.6f}; NumPy bincount "
            f"oracle {_np_ece(p, y):.6f}",
        )
    ]


def _fit_hcal_wall() -> list[dict]:
    """``fit_hcal`` on 5,000 x 100 real predictions (WRN-16-4 CIFAR-100, first 5000 rows) at the
    spec's settings: Adam lr 5e-3, full batch 5000, window 200, at most 2000 steps with early
    stopping (patience 160) and ReduceLROnPlateau on the calibration ECE. The issue's criterion is
    "well under a minute on 2 cores"; read here as at most 30 s, i.e. ratio = 60 s / fit time >= 2."""
    from unlearnlab import datasets as D

    p, y = D.load_predictions("wrn16-4-cifar100")
    z = jnp.asarray(D.probs_to_logits(p)[:5000])
    yy = jnp.asarray(y[:5000])
    rows = []
    for fam, fk in (
        ("ets", {"num_temps": 16}),
        ("pwl", {"num_segments": 100}),
        ("mono_mlp", {"hidden": (10, 10)}),
    ):
        f = jax.jit(
            lambda k, z, y, fam=fam, fk=fk: cal.fit_hcal(k, z, y, family=fam, family_kwargs=fk)
        )
        t = time_call(f, jax.random.key(0), z, yy, repeats=1)
        steps = int(t["out"].steps_run)
        rows.append(
            {
                "benchmark": "fit_hcal wall time (issue 3: well under a minute)",
                "case": f"{fam}, 5000x100 real (CIFAR-100), float64",
                "ours_s": t["median_s"],
                "ref_s": 60.0,
                "ref": "one minute",
                "ratio": 60.0 / t["median_s"],
                "goal": 2.0 if fam == "ets" else None,
                "compile_s": max(t["first_s"] - t["median_s"], 0.0),
                "cpu_ratio": None,
                "notes": f"{steps} Adam steps until the early stop ({1e3 * t['median_s'] / steps:.0f}"
                f" ms/step); CPU {t['cpu_median_s']:.1f} s; goal = at most 30 s for the default family",
            }
        )
    return rows


def _hloss_vs_torch(quick: bool) -> list[dict]:
    """h-loss value+grad on CIFAR-100 predictions: the lab's jitted ``hcal_loss`` against our
    PyTorch re-implementation of the official loop (``benchmarks/torch_ref/hcal_torch.py``): same
    loss, same grouping (k-means: the lab's deterministic Lloyd in both), float32 as in the code."""
    try:
        import torch

        from benchmarks.torch_ref import hcal_loss_torch
    except ModuleNotFoundError:
        return [
            {
                "benchmark": "hcal_loss vs official loop (PyTorch)",
                "case": "skipped",
                "ours_s": None,
                "ref_s": None,
                "ref": "PyTorch re-implementation",
                "ratio": None,
                "goal": None,
                "compile_s": None,
                "cpu_ratio": None,
                "notes": "torch not installed (pip install -e .[bench])",
            }
        ]
    from unlearnlab.datasets import load_predictions

    n = 1000 if quick else 5000
    probs, labels = load_predictions("wrn16-4-cifar100")
    p32 = np.ascontiguousarray(probs[:n], dtype=np.float32)
    y = labels[:n]
    c = p32.shape[1]
    cases = [(False, "kmeans"), (False, "unweighted")]
    if not quick:
        cases += [(True, "kmeans"), (True, "unweighted")]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rows = []
    try:
        for loco, weighting in cases:
            kw = dict(window=200, eps=1e-20, n_groups=15, weighting=weighting)
            yj = jnp.asarray(y)
            lab = jax.jit(
                jax.value_and_grad(
                    lambda q, kw=kw, loco=loco: cal.hcal_loss(
                        q, yj, leave_one_class_out=loco, sort="auto", **kw
                    )
                )
            )
            yt = torch.as_tensor(y)

            def ref(q, kw=kw, loco=loco, stable=False):
                pt = torch.tensor(q, requires_grad=True)
                v = hcal_loss_torch(pt, yt, leave_one_class_out=loco, stable_sort=stable, **kw)
                v.backward()
                return v.item(), pt.grad.numpy()

            rep = 2 if loco else 3
            ours = time_call(lab, jnp.asarray(p32), repeats=rep)
            # the LOCO reference (100 sub-losses) needs no warm-up call of its own
            # timed: the code's unstable torch.sort; agreement: a stable sort, whose order among
            # equal float32 sort keys log(p + 1e-20) is the lab's (ties move the value by ~1e-5)
            r, rc, (v_uns, _) = ref_time(ref, p32, repeats=rep, warmup=not loco)
            v_ref, g_ref = ref(p32, stable=True)
            v_lab, g_lab = float(ours["out"][0]), np.asarray(ours["out"][1])
            gmax = float(np.abs(g_lab).max())
            dg = float(np.abs(g_lab - g_ref).max())
            rel = abs(v_lab - v_ref) / abs(v_ref)
            rel_uns = abs(v_lab - v_uns) / abs(v_uns)
            rows.append(
                _row(
                    "hcal_loss vs official loop (PyTorch)",
                    f"{'LOCO (IsIter=True)' if loco else 'pooled (IsIter=False)'}, {weighting}, "
                    f"{n}x{c} float32",
                    ours,
                    r,
                    rc,
                    "our PyTorch re-implementation of the official loop",
                    20.0 if (loco and weighting == "kmeans") else None,
                    f"CIFAR-100 wrn16-4 predictions[:{n}], w=200, eps=1e-20, G=15; value lab "
                    f"{v_lab:.6g} vs torch {v_ref:.6g} (rel diff {rel:.1e}; {rel_uns:.1e} with the "
                    f"code's unstable sort, the timed one); max |grad diff| {dg:.1e} (max |grad| "
                    f"{gmax:.1e}); torch {torch.__version__}, "
                    "torch.set_num_threads(1); lab: XLA CPU, all cores, sort='auto'; k-means = the "
                    f"lab's Lloyd in both (faiss replaced); median of {rep}",
                )
            )
    finally:
        torch.set_num_threads(threads)
    return rows
