"""h-calibration vs temperature scaling and binning baselines on real CIFAR classifier outputs.

For every data set (WRN-16-4 / LeNet-5 on CIFAR-10, WRN-16-4 on CIFAR-100; netcal's records) and
every random 50/50 calibration/test split, fits eight post-hoc methods on the calibration half and
reports eleven test-half metrics (mean +- sd over splits). The figure shows top-label reliability
diagrams of the test half of WRN-16-4 CIFAR-10 (split 0) per method, and the test ECE of every
method on every set. The default run adds the digits-MLP benchmark (``--data`` picks sets);
``--quick`` uses synthetic over-confident data. Every h-cal fit follows the official protocol: Adam
(lr 5e-3) for at most 2000 full-batch steps with early stopping (patience 160) and the checkpoint
of lowest calibration-set ECE, on the pooled h-loss with the code's k-means group weighting. The
table's "h-loss" column is the plain (unweighted) pooled loss on the test half.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

import unlearnlab.calibration as cal
from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main

NAME = "hcal"
METHODS = (
    "uncalibrated",
    "TS",
    "ETS(16) + h-cal",
    "PWL(100) + h-cal",
    "mono-MLP + h-cal",
    "ETS + NLL",
    "top-label HB",
    "class-wise isotonic",
)
ORDER_PRESERVING = (True, True, True, True, True, True, False, False)
METRICS = (
    "acc",
    "ECE_ew",
    "ECE_em",
    "dECE",
    "dECE_l2sq",
    "CWECE_a",
    "smECE",
    "KS",
    "NLL",
    "Brier",
    "h-loss",
)
ALL_REAL = ("wrn16-4-cifar10", "lenet5-cifar10", "wrn16-4-cifar100")
LABELS = {
    "wrn16-4-cifar10": "WRN-16-4 C10",
    "lenet5-cifar10": "LeNet-5 C10",
    "wrn16-4-cifar100": "WRN-16-4 C100",
    "digits": "digits-MLP",
    "synthetic": "synthetic",
}


@dataclass(frozen=True)
class Config:
    datasets: tuple = ALL_REAL
    n_splits: int = 5
    steps: int = 2000
    patience: int = 160
    window: int = 200
    # the h-loss groups of the fits: "kmeans" = the official cluaceweighted (15 1-D k-means clusters)
    weighting: str = "kmeans"
    lr: float = 5e-3
    num_temps: int = 16
    num_segments: int = 100
    n_bins: int = 15
    seed: int = 0
    synthetic_n: int = 4000
    # digits-MLP: 10% symmetric label noise on the training split (spec §9.2: without it the
    # over-fitted MLP's test ECE is 0.017, below the 2-8% the benchmark is meant to have; with it 0.029)
    digits_label_noise: float = 0.1


def add_flags(p):
    p.add_argument(
        "--data",
        default=None,
        help="comma list of "
        + ", ".join(ALL_REAL + ("digits", "synthetic"))
        + ", or 'all' (default: the three real sets and digits)",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help="maximum Adam steps per h-cal fit (default 2000, early stopping with patience 160)",
    )


def make_config(args) -> Config:
    if args.data in (None, ""):
        ds = ("synthetic",) if args.quick else ALL_REAL + ("digits",)
    elif args.data == "all":
        ds = ALL_REAL + ("digits", "synthetic")
    else:
        ds = tuple(args.data.split(","))
    steps = args.steps or (60 if args.quick else 2000)
    n_splits = args.seeds or (1 if args.quick else 5)
    return Config(
        datasets=ds, n_splits=n_splits, steps=steps, synthetic_n=1000 if args.quick else 4000
    )


def _load(name, config):
    """``(logits, labels, fixed_split)``: real sets are split per seed; digits has a fixed split."""
    from unlearnlab import datasets as D

    if name in D.CALIBRATION_SETS:
        p, y = D.load_predictions(name)
        return D.probs_to_logits(p), y, None
    if name == "digits":
        d = D.digits_mlp_logits(0, label_noise=config.digits_label_noise)
        return None, None, d
    z, y = _known_map(jax.random.key(config.seed + 99), 2 * config.synthetic_n, 10, 0.5)
    return np.asarray(z), np.asarray(y), None


# the synthetic set's sampling as one program (eagerly: key split, normal, Gumbel, argmax one by one)
_known_map = jax.jit(cal.known_map, static_argnums=(1, 2, 3))


def _metrics(key, q, yt, config):
    """The eleven test metrics of probabilities ``q`` (N, C)."""
    conf, corr = cal.top_label(q, yt)
    return jnp.stack(
        [
            jnp.mean(corr),
            cal.binned_ece(conf, corr, n_bins=config.n_bins),
            cal.binned_ece(conf, corr, n_bins=config.n_bins, scheme="equal_mass"),
            cal.debiased_ece_l1(key, conf, corr, n_bins=config.n_bins),
            cal.debiased_ece_l2sq(conf, corr, n_bins=config.n_bins),
            cal.classwise_ece(q, yt, config.n_bins),
            cal.smooth_ece(conf, corr),
            cal.ks_error(conf, corr),
            cal.nll_probs(q, yt),
            cal.brier(q, yt),
            cal.hcal_loss(q, yt, window=config.window, sort="auto"),
        ]
    )


def _methods(key, zc, yc, zt, config):
    """Test probabilities of the eight methods (8, N_test, C), and the fitted temperature."""
    ks = jax.random.split(key, 4)
    hc = dict(
        window=config.window,
        steps=config.steps,
        lr=config.lr,
        patience=config.patience,
        weighting=config.weighting,
    )
    T = cal.fit_temperature(zc, yc)
    out = [jax.nn.softmax(zt, 1), jax.nn.softmax(zt / T, 1)]
    steps, psr, psr_cal = [], [], []
    for k, fam, fk in (
        (ks[0], "ets", {"num_temps": config.num_temps}),
        (ks[1], "pwl", {"num_segments": config.num_segments}),
        (ks[2], "mono_mlp", {}),
    ):
        # one run, two checkpoints: by calibration ECE (the official top-label protocol; the table
        # rows) and by calibration NLL (the official proper-scoring protocol; the NLL claim)
        m, m_nll = cal.fit_hcal(
            k, zc, yc, family=fam, family_kwargs=fk, select=("ece", "nll"), **hc
        )
        out.append(cal.apply_hcal(m, zt))
        psr.append(cal.apply_hcal(m_nll, zt))
        psr_cal.append(cal.nll(cal.hcal_log_probs(m_nll, zc), yc))
        steps.append(m.steps_run)
    m = cal.fit_hcal(
        ks[3], zc, yc, family="ets", family_kwargs={"num_temps": config.num_temps}, loss="nll", **hc
    )
    out.append(cal.apply_hcal(m, zt))
    steps.append(m.steps_run)
    pc, pt = jax.nn.softmax(zc, 1), jax.nn.softmax(zt, 1)
    e, v = cal.fit_histogram_binning(*cal.top_label(pc, yc), n_bins=config.n_bins)
    out.append(cal.apply_top_label_binning(e, v, pt))
    xk, yk = cal.fit_isotonic_classwise(pc, yc)
    out.append(cal.apply_isotonic_classwise(xk, yk, pt))
    return jnp.stack(out), T, jnp.stack(steps), jnp.stack(psr), jnp.stack(psr_cal)


def _per_split(z, y, config, fixed=None):
    z, y = jnp.asarray(z), jnp.asarray(y)

    def fn(key):
        k_split, k_fit, k_met = jax.random.split(key, 3)
        if fixed is None:
            n = y.shape[0]
            perm = jax.random.permutation(k_split, n)
            a, b = perm[: n // 2], perm[n // 2 :]
            zc, yc, zt, yt = z[a], y[a], z[b], y[b]
        else:
            (zc, yc), (zt, yt) = fixed
        qs, T, steps, psr, psr_cal = _methods(k_fit, zc, yc, zt, config)

        def per_method(q):  # one compiled body for all eight methods (lax.map)
            conf, corr = cal.top_label(q, yt)
            rel = cal.reliability_stats(conf, corr, n_bins=config.n_bins)
            sig = jnp.maximum(cal.smooth_ece(conf, corr), 0.01)
            _, yh, dens = cal.smooth_reliability(conf, corr, sig)
            return {
                "metrics": _metrics(k_met, q, yt, config),
                # number of test rows whose argmax the method changed (an exact integer count)
                "argmax_changed": jnp.sum(jnp.argmax(q, 1) != jnp.argmax(zt, 1)),
                "rel_count": rel["count"],
                "rel_conf": rel["conf"],
                "rel_acc": rel["acc"],
                "smooth": jnp.stack([yh, dens]),
            }

        return {
            **jax.lax.map(per_method, qs),
            "T": T,
            "steps_run": steps,
            # test NLL / ECE of ETS, PWL, mono-MLP h-cal with the NLL-selected checkpoint
            "psr_nll": jax.vmap(lambda q: cal.nll_probs(q, yt))(psr),
            "psr_ece": jax.vmap(lambda q: cal.ece(q, yt))(psr),
            "psr_cal_nll": psr_cal,  # calibration-half NLL of those three (for the selection)
        }

    return fn


def _fit_timing(config):
    """Wall and CPU time of one jitted ETS(16) h-cal fit on 5000 x 100 (CIFAR-100 calibration half)
    at the experiment's settings (full batch, early stopping), first call (with compilation) and
    a second call with another key."""
    from unlearnlab import datasets as D

    p, y = D.load_predictions("wrn16-4-cifar100")
    z = jnp.asarray(D.probs_to_logits(p)[:5000])
    yy = jnp.asarray(y[:5000])
    f = jax.jit(
        lambda k, z, y: cal.fit_hcal(
            k,
            z,
            y,
            family="ets",
            family_kwargs={"num_temps": config.num_temps},
            steps=config.steps,
            patience=config.patience,
            window=config.window,
            lr=config.lr,
            weighting=config.weighting,
        )
    )
    t0, c0 = time.perf_counter(), time.process_time()
    jax.block_until_ready(f(jax.random.key(0), z, yy))
    first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    m = jax.block_until_ready(f(jax.random.key(1), z, yy))
    return {
        "first_s": first,
        "first_cpu_s": first_cpu,
        "run_s": time.perf_counter() - t0,
        "run_cpu_s": time.process_time() - c0,
        "steps_run": int(m.steps_run),
        "max_steps": config.steps,
        "batch": 5000,
    }


def _run_splits(name, i, key, config, ctx, stages):
    """All splits of one data set: one jitted program per set, each split cached as a stage.

    Not ``run_seeds``: its shard_map body checks varying-manual-axes types, which rejects every
    ``lax`` loop whose carry starts from a constant (PAV, Newton, bisection, optax scans) -- reported
    to the lead. The keys are ``run_seeds``'s: ``jax.random.split(fold_in(key, i), n_splits)``.
    """
    from tqdm.auto import tqdm

    keys = jax.random.split(jax.random.fold_in(key, i), config.n_splits)
    loaded = {}

    def one(s):
        def go():
            if "fn" not in loaded:
                z, y, fixed = _load(name, config)
                if fixed is not None:  # digits: one fixed split, seeds vary the fits only
                    fixed = (
                        tuple(map(jnp.asarray, fixed["cal"])),
                        tuple(map(jnp.asarray, fixed["test"])),
                    )
                    z, y = fixed[0]
                loaded["fn"] = jax.jit(_per_split(z, y, config, fixed))
            t0 = time.perf_counter()
            out = jax.block_until_ready(loaded["fn"](keys[s]))
            ctx.timings[f"{name}_split{s}_s"] = time.perf_counter() - t0
            return {k: np.asarray(v) for k, v in out.items()}

        return stages.stage(f"data-{name}-split{s}", go)

    outs = [
        one(s)
        for s in tqdm(
            range(config.n_splits), desc=f"{NAME}:{name}", disable=not ctx.progress, leave=False
        )
    ]
    return {k: np.stack([o[k] for o in outs]) for k in outs[0]}


def compute(config: Config, ctx) -> dict:
    stages = ctx.stage_cache(config)
    key = jax.random.key(config.seed)
    results = {}
    for i, name in enumerate(config.datasets):
        results[name] = _run_splits(name, i, key, config, ctx, stages)

    timing = None
    if "wrn16-4-cifar100" in config.datasets:
        timing = stages.stage("fit-timing", lambda: _fit_timing(config))

    table = {}
    for name, r in results.items():
        m = np.asarray(r["metrics"])  # (splits, methods, metrics)
        table[name] = {"mean": m.mean(0), "sd": m.std(0, ddof=1) if m.shape[0] > 1 else 0 * m[0]}
    data = {
        "datasets": list(config.datasets),
        "methods": list(METHODS),
        "metrics": list(METRICS),
        "table": table,
        "T": {n: np.asarray(r["T"]) for n, r in results.items()},
        # Adam steps taken (early stopping) by ETS, PWL, mono-MLP h-cal and ETS + NLL, per split
        "steps_run": {n: np.asarray(r["steps_run"]) for n, r in results.items()},
        # proper-scoring protocol (checkpoint by calibration NLL): test NLL and ECE per split
        "psr_nll": {n: np.asarray(r["psr_nll"]) for n, r in results.items()},
        "psr_ece": {n: np.asarray(r["psr_ece"]) for n, r in results.items()},
        "psr_cal_nll": {n: np.asarray(r["psr_cal_nll"]) for n, r in results.items()},
        "argmax_changed": {n: np.asarray(r["argmax_changed"]).max(0) for n, r in results.items()},
        "fig_set": config.datasets[0],
        "rel": {
            k: np.asarray(results[config.datasets[0]][k])[0]
            for k in ("rel_count", "rel_conf", "rel_acc", "smooth")
        },
        "fit_timing": timing,
        "ece_split": {n: np.asarray(r["metrics"])[:, :, 1] for n, r in results.items()},
    }
    data["claims"] = _claims(config, results, table)
    return data


def _claims(config, results, table):
    """The issue's criteria, judged on the three netcal prediction sets (the issue's "real sets");
    the digits-MLP and synthetic sets are reported in ``measured`` but not judged (a run without
    any real set, e.g. ``--quick``, judges what it has)."""
    iE, iN, iA = METRICS.index("ECE_ew"), METRICS.index("NLL"), METRICS.index("acc")
    claims = {}
    real = [n for n in config.datasets if n in ALL_REAL] or list(config.datasets)
    note = "verdict on " + ", ".join(real)
    main = "wrn16-4-cifar10" if "wrn16-4-cifar10" in real else real[0]
    ece = np.asarray(results[main]["metrics"])[:, :, iE]
    T = np.asarray(results[main]["T"])
    ok = bool(np.all(T > 1.2) and np.all(ece[:, 1] <= 0.6 * ece[:, 0]))
    claims["hcal.ts_moves_temperature"] = claim_result(
        {"T": T.tolist(), "ece_before": ece[:, 0].tolist(), "ece_after": ece[:, 1].tolist()},
        "T > 1.2 and test ECE drop >= 40% on every split",
        ok,
        f"on {main}",
    )
    rows, good = {}, True
    for n in config.datasets:
        mu, sd = table[n]["mean"], table[n]["sd"]
        h, ts = mu[2, iE], mu[1, iE]
        spread = max(sd[2, iE], sd[1, iE])
        rows[n] = {"ece_uncal": mu[0, iE], "ece_ts": ts, "ece_hcal_ets": h, "spread": spread}
        if n in real:
            good &= bool(h <= ts + spread)
    halved = bool(table[main]["mean"][2, iE] <= 0.5 * table[main]["mean"][0, iE])
    claims["hcal.hcal_vs_ts"] = claim_result(
        rows,
        "ETS+h-cal test ECE <= TS + split sd on every real set; <= half of uncalibrated on " + main,
        good and halved,
        "mean over splits; spread = larger split sd of the two; " + note,
    )
    changed = {
        n: np.asarray(results[n]["argmax_changed"]).max(0)[:6].tolist() for n in config.datasets
    }
    acc_eq = all(
        abs(table[n]["mean"][j, iA] - table[n]["mean"][0, iA]) < 1e-12
        for n in config.datasets
        for j in range(6)
    )
    claims["hcal.accuracy_preserved"] = claim_result(
        changed,
        "0 test rows with a changed argmax for the six order-preserving methods (every set)",
        bool(all(max(v) == 0 for v in changed.values()) and acc_eq),
        "max over splits of the number of changed rows",
    )
    fam = {"hcal_ets": 2, "hcal_pwl": 3, "hcal_mono": 4}
    nl = {}
    for n in config.datasets:
        psr = np.asarray(results[n]["psr_nll"])  # (splits, 3) test NLL, NLL checkpoints
        pick = np.argmin(np.asarray(results[n]["psr_cal_nll"]), axis=1)  # selection on the cal half
        met = np.asarray(results[n]["metrics"])
        nl[n] = {
            "uncal": table[n]["mean"][0, iN],
            "selected_by_cal_nll": float(psr[np.arange(psr.shape[0]), pick].mean()),
            "selected_family_per_split": [list(fam)[i] for i in pick],
            "nll_checkpoint": {k: float(psr[:, i].mean()) for i, k in enumerate(fam)},
            "ece_checkpoint": {k: table[n]["mean"][j, iN] for k, j in fam.items()},
            "ets_ece_checkpoint_minus_uncal_per_split": (met[:, 2, iN] - met[:, 0, iN]).tolist(),
        }
    claims["hcal.nll_not_worse"] = claim_result(
        nl,
        "test NLL of h-calibration <= uncalibrated NLL on every real set, under the official "
        "proper-scoring protocol: family (ETS, PWL, mono-MLP) and checkpoint chosen by "
        "calibration-half NLL",
        bool(all(nl[n]["selected_by_cal_nll"] <= nl[n]["uncal"] for n in real)),
        "mean over splits; " + note + "; per-family numbers: nll_checkpoint (NLL-selected "
        "checkpoint) and ece_checkpoint (the table rows, top-label protocol)",
    )
    return claims


def plot(payload):
    from matplotlib.patches import Patch

    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    d, cfg = payload["data"], payload["config"]
    methods = d["methods"]
    rel = d["rel"]
    fig, axes = subplots(4, 3, width=3.0, height=2.9)
    nb = cfg["n_bins"]
    edges = np.linspace(0, 1, nb + 1)
    centers = 0.5 * (edges[1:] + edges[:-1])
    tab_fig = d["table"][d["fig_set"]]
    iE = d["metrics"].index("ECE_ew")
    for j, m in enumerate(methods):
        ax = axes[j // 4, j % 4]
        cnt, acc = np.asarray(rel["rel_count"][j]), np.asarray(rel["rel_acc"][j])
        conf = np.asarray(rel["rel_conf"][j])
        keep = cnt > 0
        ax.bar(
            centers[keep],
            acc[keep],
            width=1 / nb,
            color="#1f77b4",
            alpha=0.55,
            edgecolor="#1f77b4",
            label="accuracy per bin",
        )
        ax.bar(
            centers[keep],
            conf[keep] - acc[keep],
            bottom=acc[keep],
            width=1 / nb,
            color="#d62728",
            alpha=0.35,
            label="gap to confidence",
        )
        frac = cnt / max(cnt.sum(), 1)
        ax.bar(
            centers,
            0.25 * frac / max(frac.max(), 1e-12),
            width=1 / nb,
            color="0.5",
            alpha=0.5,
            label="count (scaled)",
        )
        yh, dens = np.asarray(rel["smooth"][j][0]), np.asarray(rel["smooth"][j][1])
        t = np.linspace(0, 1, len(yh))
        m_ok = dens > 0.002 * dens.max()
        ax.plot(t[m_ok], yh[m_ok], color="#2ca02c", lw=1.4, label="smooth (smECE kernel)")
        theory_line(ax, [0, 1], [0, 1], "perfect calibration")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        op = "" if ORDER_PRESERVING[j] else " *"
        ax.set_title(
            f"({chr(97 + j)}) {m}{op}\nECE {tab_fig['mean'][j, iE]:.4f} (mean of splits)",
            fontsize=8.5,
        )
        if j % 4 == 0:
            ax.set_ylabel("test accuracy")
        if j // 4 == 1:
            ax.set_xlabel("confidence (top label)")
        if j == 0:
            ax.legend(loc="upper left", fontsize=6.5)
    # row 3: ECE per method per set, NLL per method per set
    for ax in axes[2, :]:
        ax.remove()
    gs = axes[0, 0].get_gridspec()
    axE = fig.add_subplot(gs[2, :2])
    axN = fig.add_subplot(gs[2, 2:])
    sets = d["datasets"]
    iN = d["metrics"].index("NLL")
    w = 0.8 / len(sets)
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    for s_i, s in enumerate(sets):
        mu, sd = np.asarray(d["table"][s]["mean"]), np.asarray(d["table"][s]["sd"])
        x = np.arange(len(methods)) + (s_i - (len(sets) - 1) / 2) * w
        axE.bar(x, mu[:, iE], w, yerr=sd[:, iE], color=colors[s_i % 5], capsize=2)
        axN.bar(
            x,
            mu[:, iN] / mu[0, iN],
            w,
            yerr=sd[:, iN] / mu[0, iN],
            color=colors[s_i % 5],
            capsize=2,
        )
    for ax in (axE, axN):
        ax.set_xticks(np.arange(len(methods)))
        ax.set_xticklabels(
            [
                m.replace(" + ", "+\n").replace("-label ", "-label\n").replace("-wise ", "-wise\n")
                for m in methods
            ],
            fontsize=6.5,
        )
    axE.set_ylabel("test ECE (15 bins), mean ± sd")
    panel_label(axE, "(i) test ECE by method and data set")
    if "psr_nll" in d:  # proper-scoring protocol: the same h-cal fits, checkpoint by cal. NLL
        for s_i, s in enumerate(sets):
            psr = np.asarray(d["psr_nll"][s]).mean(0) / np.asarray(d["table"][s]["mean"])[0, iN]
            x = np.arange(2, 5) + (s_i - (len(sets) - 1) / 2) * w
            axN.plot(x, psr, "k_", ms=7, mew=1.6, ls="none")
    axN.axhline(1.0, color="0.15", ls="--", lw=1.2)
    axN.set_ylabel("test NLL / uncalibrated NLL")
    panel_label(axN, "(j) test NLL relative to uncalibrated (bars: ECE checkpoint)")
    handles = [Patch(color=colors[i % 5], label=LABELS.get(s, s)) for i, s in enumerate(sets)]
    handles.append(theory_line(axN, [], [], "uncalibrated (ratio 1)")[0])
    if "psr_nll" in d:
        handles.append(
            axN.plot([], [], "k_", ms=7, mew=1.6, ls="none", label="h-cal, NLL checkpoint")[0]
        )
    axN.set_ylim(0, 1.35 * max(1.0, axN.get_ylim()[1] / 1.05))
    axN.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=6.5)
    fig.suptitle(
        f"Recalibration on {LABELS.get(d['fig_set'], d['fig_set'])} (test half, split 0; "
        f"* = not order-preserving); bars: {cfg['n_splits']} splits; h-cal: Adam, at most "
        f"{cfg['steps']} steps, early stopping on calibration ECE (patience {cfg['patience']})",
        fontsize=9.5,
    )
    return fig


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/hcal.md, rendered from the saved JSON (``python -m experiments
    report`` rewrites them)."""
    from experiments._measured import restore, run_line, table

    s = restore(saved)
    d, c, cl = s["data"], s["config"], s["claims"]
    methods, metrics = list(d["methods"]), list(d["metrics"])
    title = {
        "wrn16-4-cifar10": "WRN-16-4 CIFAR-10",
        "lenet5-cifar10": "LeNet-5 CIFAR-10",
        "wrn16-4-cifar100": "WRN-16-4 CIFAR-100",
        "digits": "digits-MLP (scikit-learn digits, over-fitted flax MLP, label noise; one fixed split, "
        "the seeds vary only the fits)",
    }

    def cell(metric, m, sd):
        if metric == "dECE_l2sq":
            return f"{m:.1e} ± {sd:.1e}"
        return f"{m:.4f} ± {sd:.4f}"

    tabs = []
    for ds in d["datasets"]:
        tb = d["table"][ds]
        T = np.asarray(d["T"][ds])
        steps = np.median(np.asarray(d["steps_run"][ds]), 0)
        tabs += [
            f"**{title.get(ds, ds)}** (test half, mean ± sd over {c['n_splits']} splits; fitted TS T = "
            f"{T.mean():.3f} ({T.min():.3f}-{T.max():.3f}); Adam steps until the early stop, median over "
            f"splits, ETS / PWL / mono-MLP / ETS+NLL: {' / '.join(str(int(x)) for x in steps)})",
            "",
            table(
                ["method"] + metrics,
                [
                    [meth]
                    + [cell(mt, tb["mean"][i, j], tb["sd"][i, j]) for j, mt in enumerate(metrics)]
                    for i, meth in enumerate(methods)
                ],
            ),
            "",
        ]
    im = {m: i for i, m in enumerate(methods)}
    jm = {m: j for j, m in enumerate(metrics)}
    val = lambda ds, meth, mt: d["table"][ds]["mean"][im[meth], jm[mt]]  # noqa: E731
    spec = []
    for ds in d["datasets"]:
        if ds == "digits":
            continue
        spec.append(
            f"{title[ds]}: T {np.mean(d['T'][ds]):.3f}, ECE {val(ds, 'uncalibrated', 'ECE_ew'):.4f} -> "
            f"{val(ds, 'TS', 'ECE_ew'):.4f}, NLL {val(ds, 'uncalibrated', 'NLL'):.3f} -> "
            f"{val(ds, 'TS', 'NLL'):.3f}"
        )
    M = lambda k: cl[f"hcal.{k}"]["measured"]  # noqa: E731
    V = lambda k: cl[f"hcal.{k}"]["verdict"]  # noqa: E731
    ts = M("ts_moves_temperature")
    hv = M("hcal_vs_ts")
    ap = M("accuracy_preserved")
    nw = M("nll_not_worse")
    ac = {
        ds: [
            val(ds, m, "acc") - val(ds, "uncalibrated", "acc")
            for m in ("top-label HB", "class-wise isotonic")
        ]
        for ds in d["datasets"]
    }
    c100 = nw.get("wrn16-4-cifar100", {})
    claims = [
        f"- `hcal.ts_moves_temperature` {V('ts_moves_temperature')}: T = {min(ts['T']):.2f}-"
        f"{max(ts['T']):.2f} on the {len(ts['T'])} WRN-16-4 CIFAR-10 splits, ECE "
        f"{min(ts['ece_before']):.3f}-{max(ts['ece_before']):.3f} -> {min(ts['ece_after']):.3f}-"
        f"{max(ts['ece_after']):.3f} (smallest drop "
        f"{100 * min(1 - a / b for a, b in zip(ts['ece_after'], ts['ece_before'])):.0f}%).",
        f"- `hcal.hcal_vs_ts` {V('hcal_vs_ts')}: ETS(16) + h-cal vs TS test ECE (uncalibrated; larger "
        "split sd): "
        + "; ".join(
            f"{title.get(ds, ds).split(' (')[0]} {v['ece_hcal_ets']:.4f} vs {v['ece_ts']:.4f} "
            f"({v['ece_uncal']:.4f}; {v['spread']:.4f})"
            for ds, v in hv.items()
        )
        + ".",
        f"- `hcal.accuracy_preserved` {V('accuracy_preserved')}: largest number of test rows with a "
        f"changed argmax for the six order-preserving methods: "
        f"{max(max(v) for v in ap.values())}; accuracy change of the binning methods (HB, isotonic), "
        "points: "
        + "; ".join(
            f"{title.get(ds, ds).split(' (')[0]} {100 * a[0]:+.1f}, {100 * a[1]:+.1f}"
            for ds, a in ac.items()
        )
        + ".",
        f"- `hcal.nll_not_worse` {V('nll_not_worse')} (official protocol: family and checkpoint chosen "
        "by calibration-half NLL): test NLL vs uncalibrated, mean over splits: "
        + "; ".join(
            f"{title.get(ds, ds).split(' (')[0]} {v['selected_by_cal_nll']:.4f} vs {v['uncal']:.4f}"
            for ds, v in nw.items()
        )
        + ".",
    ]
    if c100:
        claims.append(
            "  Per family on WRN-16-4 CIFAR-100 (NLL checkpoint / ECE checkpoint, uncalibrated "
            f"{c100['uncal']:.4f}): "
            + "; ".join(
                f"{k} {c100['nll_checkpoint'][k]:.4f} / {c100['ece_checkpoint'][k]:.4f}"
                for k in c100["nll_checkpoint"]
            )
            + "; ETS (ECE checkpoint) minus uncalibrated per split: "
            + ", ".join(
                f"{x:+.3f}" for x in c100.get("ets_ece_checkpoint_minus_uncal_per_split", [])
            )
            + "; families chosen per split: "
            + ", ".join(c100["selected_family_per_split"])
            + "."
        )
    abl = [
        "ETS + NLL vs ETS + h-cal, test ECE: "
        + ", ".join(
            f"{title.get(ds, ds).split(' (')[0]} {val(ds, 'ETS + NLL', 'ECE_ew'):.4f} vs "
            f"{val(ds, 'ETS(16) + h-cal', 'ECE_ew'):.4f}"
            for ds in d["datasets"]
        )
        + "; test NLL: "
        + ", ".join(
            f"{title.get(ds, ds).split(' (')[0]} {val(ds, 'ETS + NLL', 'NLL'):.4f} vs "
            f"{val(ds, 'ETS(16) + h-cal', 'NLL'):.4f}"
            for ds in d["datasets"]
        )
        + "."
    ]
    ft = d["fit_timing"]
    t = s["manifest"]["timings"]
    per_set = {
        ds: sum(v for k, v in t.items() if k.startswith(f"{ds}_split")) for ds in d["datasets"]
    }
    cost = (
        f"One jitted ETS(16) fit at the experiment's settings on the first {ft['batch']} rows of "
        f"WRN-16-4 CIFAR-100 (full batch, k-means weighting): **{ft['run_s']:.1f} s wall / "
        f"{ft['run_cpu_s']:.1f} s CPU**, {ft['steps_run']} Adam steps until the early stop "
        f"({1e3 * ft['run_s'] / ft['steps_run']:.0f} ms per step); first call incl. compilation "
        f"{ft['first_s']:.1f} s. Whole default run: "
        + run_line(s)
        + f" Total CPU {t['total_cpu_s']:.0f} s; per set: "
        + ", ".join(f"{title.get(ds, ds).split(' (')[0]} {v:.0f} s" for ds, v in per_set.items())
        + "."
    )
    return {
        "tables": "\n".join(tabs).rstrip(),
        "spec_ts": "Lab: " + "; ".join(spec) + ".",
        "claims": "\n".join(claims),
        "ablation": "\n".join(abl),
        "cost": cost,
    }


def main(argv=None):
    return experiment_main(
        name=NAME,
        description=__doc__.strip().splitlines()[0],
        make_config=make_config,
        compute=compute,
        plot=plot,
        argv=argv,
        add_flags=add_flags,
    )


if __name__ == "__main__":
    main()
