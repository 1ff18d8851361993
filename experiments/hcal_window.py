"""The sorted-event window statistic T_j of h-calibration against its Hoeffding h-bound.

(a) WRN-16-4 CIFAR-10 test half: T_j before calibration, after temperature scaling and after ETS +
h-calibration, against h(0.05), h_union(0.05) and the noise floor; (b) a synthetic calibrated
predictor (beta = 1) and an over-confident one (beta = 0.5); (c) the fraction of windows above
h(delta) for the calibrated predictor across delta, against the Hoeffding guarantee delta.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

import unlearnlab.calibration as cal
from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.lab.sweep import run_seeds

NAME = "hcal_window"
DELTAS = tuple(np.round(np.logspace(-3, np.log10(0.5), 10), 5).tolist())


@dataclass(frozen=True)
class Config:
    window: int = 200
    delta: float = 0.05
    n_seeds: int = 20
    n: int = 2000
    C: int = 10
    tau: float = 2.5
    beta_bad: float = 0.5
    steps: int = 2000  # maximum; fit_hcal stops early (patience 160) as the official code
    weighting: str = "kmeans"  # h-loss groups of the fit (the code's cluaceweighted)
    real_set: str = "wrn16-4-cifar10"
    seed: int = 0
    plot_stride: int = 10


def make_config(args) -> Config:
    if args.quick:
        return Config(n_seeds=args.seeds or 4, n=1000, steps=60, plot_stride=20)
    return Config(n_seeds=args.seeds or 20)


def _stats(T, p, window, deltas):
    m = T.shape[0]
    h = jnp.asarray([cal.hcal_bound(m, window, d, union=False) for d in deltas])
    hu = jnp.asarray([cal.hcal_bound(m, window, d, union=True) for d in deltas])
    return {
        "frac_above_h": jnp.mean(T[None, :] > h[:, None], axis=1),
        "max_above_hu": jnp.max(T) > hu,
        "max_T": jnp.max(T),
        "mean_T": jnp.mean(T),
        "floor": cal.hcal_noise_floor(p, window),
    }


def _synthetic(config, ctx):
    def one(key):
        z, y = cal.known_map(key, config.n, config.C, 1.0, config.tau)
        p_ok = jax.nn.softmax(z, 1)
        p_bad = jax.nn.softmax(z / config.beta_bad, 1)
        T_ok = cal.hcal_window_stats(p_ok, y, window=config.window)
        T_bad = cal.hcal_window_stats(p_bad, y, window=config.window)
        return {
            "ok": _stats(T_ok, p_ok, config.window, DELTAS),
            "bad": _stats(T_bad, p_bad, config.window, DELTAS),
            "loss_ok": cal.hcal_loss(p_ok, y, window=config.window),
            "loss_bad": cal.hcal_loss(p_bad, y, window=config.window),
            "T_ok": T_ok[:: config.plot_stride],
            "T_bad": T_bad[:: config.plot_stride],
            "p_ok": jnp.sort(p_ok.ravel())[:: config.plot_stride],
            "p_bad": jnp.sort(p_bad.ravel())[:: config.plot_stride],
        }

    out = run_seeds(
        one, jax.random.key(config.seed), config.n_seeds, **ctx.sweep_kwargs(config, "synthetic")
    )
    return jax.tree.map(np.asarray, out)


@jax.jit(static_argnums=(5,))
def _real_core(key, zc, yc, zt, yt, config):
    # temperature, ETS + h-cal fit and the three predictors' statistics as one compiled program
    # (eagerly, each metric's small ops compiled one by one)
    T = cal.fit_temperature(zc, yc)
    model = cal.fit_hcal(
        key,
        zc,
        yc,
        family="ets",
        steps=config.steps,
        window=config.window,
        weighting=config.weighting,
    )
    out = {"T": T}
    for name, q in (
        ("uncalibrated", jax.nn.softmax(zt, 1)),
        ("TS", jax.nn.softmax(zt / T, 1)),
        ("ETS + h-cal", cal.apply_hcal(model, zt)),
    ):
        Tj = cal.hcal_window_stats(q, yt, window=config.window)
        st = _stats(Tj, q, config.window, (config.delta,))
        out[name] = {
            "T_j": Tj[:: config.plot_stride],
            "p": jnp.sort(q.ravel())[:: config.plot_stride],
            "frac_above_h": st["frac_above_h"][0],
            "max_T": st["max_T"],
            "mean_T": st["mean_T"],
            "floor": st["floor"],
            "ece": cal.ece(q, yt),
            "h_loss": cal.hcal_loss(q, yt, window=config.window),
        }
    return out


def _real(config):
    from unlearnlab import datasets as D

    p, y = D.load_predictions(config.real_set)
    z = D.probs_to_logits(p)
    zc, yc, zt, yt = (jnp.asarray(a) for a in D.random_split(z, y, config.seed))
    res = jax.device_get(_real_core(jax.random.key(1), zc, yc, zt, yt, config))
    out = {"T": float(res["T"])}
    for name in ("uncalibrated", "TS", "ETS + h-cal"):
        r = res[name]
        out[name] = {k: np.asarray(v) if k in ("T_j", "p") else float(v) for k, v in r.items()}
    out["n_events"] = int(zt.shape[0] * zt.shape[1])
    return out


def compute(config: Config, ctx) -> dict:
    stages = ctx.stage_cache(config)
    syn = stages.stage("synthetic", lambda: _synthetic(config, ctx))
    real = stages.stage("real", lambda: _real(config))
    m_syn = config.n * config.C
    h = cal.hcal_bound(m_syn, config.window, config.delta, union=False)
    hu = cal.hcal_bound(m_syn, config.window, config.delta, union=True)
    i_d = int(np.argmin(np.abs(np.asarray(DELTAS) - config.delta)))
    frac = np.asarray(syn["ok"]["frac_above_h"])[:, i_d]
    viol = np.asarray(syn["ok"]["max_above_hu"])[:, i_d]
    ratio = np.asarray(syn["ok"]["mean_T"]) / np.asarray(syn["ok"]["floor"])
    sep = np.asarray(syn["loss_bad"]) / np.asarray(syn["loss_ok"])
    n_real = real["n_events"]
    hu_real = cal.hcal_bound(n_real, config.window, config.delta)
    claims = {
        "hcal_window.bound_calibrated": claim_result(
            {"mean_frac_above_h": float(frac.mean()), "seeds_max_above_h_union": int(viol.sum())},
            {"delta": config.delta, "h": h, "h_union": hu},
            bool(frac.mean() <= config.delta + 0.02 and viol.sum() <= max(2, config.n_seeds // 10)),
            f"calibrated synthetic predictor, N={config.n}, C={config.C}, w={config.window}, "
            f"{config.n_seeds} seeds",
        ),
        "hcal_window.noise_floor": claim_result(
            {
                "ratio_mean": float(ratio.mean()),
                "ratio_min": float(ratio.min()),
                "ratio_max": float(ratio.max()),
            },
            "mean T_j / floor in [0.5, 1.5]",
            bool(np.all((ratio > 0.5) & (ratio < 1.5))),
            "floor sqrt(2/pi) sigma_bar / sqrt(w+1)",
        ),
        "hcal_window.separates": claim_result(
            {
                "loss_ratio_min": float(sep.min()),
                "real_uncal_max_T": real["uncalibrated"]["max_T"],
                "real_hcal_max_T": real["ETS + h-cal"]["max_T"],
            },
            {"loss_ratio": "> 2", "h_union_real": hu_real},
            bool(sep.min() > 2 and real["uncalibrated"]["max_T"] > hu_real),
            f"beta={config.beta_bad} vs calibrated h-loss; WRN-16-4 CIFAR-10 uncalibrated max T_j "
            "exceeds h_union(0.05)",
        ),
    }
    return {
        "deltas": list(DELTAS),
        "synthetic": syn,
        "real": real,
        "m_syn": m_syn,
        "h": h,
        "h_union": hu,
        "h_union_real": hu_real,
        "h_real": cal.hcal_bound(n_real, config.window, config.delta, union=False),
        "claims": claims,
    }


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    d, cfg = payload["data"], payload["config"]
    fig, axes = subplots(3, 1, width=4.0, height=3.3)
    ax = axes[0, 0]
    real = d["real"]
    colors = {"uncalibrated": "#d62728", "TS": "#1f77b4", "ETS + h-cal": "#2ca02c"}
    for name, c in colors.items():
        r = real[name]
        ax.plot(
            np.maximum(r["p"], 1e-8),
            r["T_j"],
            color=c,
            lw=0.9,
            label=f"{name}: max {r['max_T']:.3f}, ECE {r['ece']:.3f}",
        )
    theory_line(
        ax,
        [1e-8, 1],
        [d["h_union_real"]] * 2,
        f"$h_\\cup(0.05)$={d['h_union_real']:.3f} (Hoeffding+union) [reconstruction]",
    )
    theory_line(
        ax,
        [1e-8, 1],
        [d["h_real"]] * 2,
        f"$h(0.05)$={d['h_real']:.3f} (per window) [reconstruction]",
        color="0.45",
    )
    fl = real["ETS + h-cal"]["floor"]
    theory_line(
        ax, [1e-8, 1], [fl] * 2, f"noise floor {fl:.4f} (derived)", color="#9467bd", linestyle=":"
    )
    ax.set_xscale("log")
    ax.set_xlabel("predicted probability of the event (sorted)")
    ax.set_ylabel("$T_j$ (window mean |p - o|)")
    ax.legend(fontsize=6.5, loc="upper left")
    panel_label(ax, "(a) WRN-16-4 CIFAR-10, test half")

    ax = axes[0, 1]
    syn = d["synthetic"]
    ax.plot(
        np.maximum(syn["p_ok"][0], 1e-8),
        syn["T_ok"][0],
        color="#2ca02c",
        lw=0.9,
        label=r"calibrated ($\beta$=1)",
    )
    ax.plot(
        np.maximum(syn["p_bad"][0], 1e-8),
        syn["T_bad"][0],
        color="#d62728",
        lw=0.9,
        label=rf"over-confident ($\beta$={cfg['beta_bad']})",
    )
    theory_line(
        ax, [1e-8, 1], [d["h_union"]] * 2, rf"$h_\cup(0.05)$={d['h_union']:.3f} [reconstruction]"
    )
    theory_line(
        ax, [1e-8, 1], [d["h"]] * 2, rf"$h(0.05)$={d['h']:.3f} [reconstruction]", color="0.45"
    )
    fl = float(np.mean(syn["ok"]["floor"]))
    theory_line(ax, [1e-8, 1], [fl] * 2, f"noise floor {fl:.4f}", color="#9467bd", linestyle=":")
    ax.set_xscale("log")
    ax.set_xlabel("predicted probability of the event (sorted)")
    ax.set_ylabel("$T_j$")
    ax.legend(fontsize=6.5, loc="upper left")
    panel_label(ax, f"(b) synthetic, N={cfg['n']}, C={cfg['C']}, seed 0")

    ax = axes[0, 2]
    deltas = np.asarray(d["deltas"])
    fr = np.asarray(syn["ok"]["frac_above_h"])
    ax.plot(
        deltas,
        fr.mean(0),
        "o-",
        color="#2ca02c",
        label=f"fraction of windows with $T_j>h(\\delta)$ (mean of {fr.shape[0]} seeds)",
    )
    mx = np.asarray(syn["ok"]["max_above_hu"]).mean(0)
    ax.plot(
        deltas,
        np.maximum(mx, 1e-4),
        "s-",
        color="#1f77b4",
        label=r"fraction of seeds with $\max_j T_j>h_\cup(\delta)$",
    )
    theory_line(ax, deltas, deltas, r"Hoeffding guarantee $\delta$ [reconstruction]")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 1)
    ax.set_xlabel(r"$\delta$")
    ax.set_ylabel("exceedance rate (1e-4 = none)")
    ax.legend(fontsize=6.5, loc="upper left")
    panel_label(ax, "(c) bound check, calibrated predictor")
    fig.suptitle(
        f"h-calibration window statistic, w={cfg['window']} (m={cfg['window'] + 1} events "
        "per window)",
        fontsize=10,
    )
    return fig


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/hcal_window.md, rendered from the saved JSON (``python -m
    experiments report`` rewrites them)."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, c, cl = s["data"], s["config"], s["claims"]
    M = lambda k: cl[f"hcal_window.{k}"]["measured"]  # noqa: E731
    bc, nf, sp = M("bound_calibrated"), M("noise_floor"), M("separates")
    n = c["n_seeds"]
    syn = [
        f"Synthetic calibrated predictor (beta = 1; N = {c['n']}, C = {c['C']}, tau = {g(c['tau'])}, "
        f"w = {c['window']}, {n} seeds; M = {d['m_syn']}; h({g(c['delta'])}) = {d['h']:.4f}, "
        f"h_union({g(c['delta'])}) = {d['h_union']:.4f}):",
        "",
        table(
            ["quantity", "measured", "theory"],
            [
                [
                    f"mean fraction of windows with T_j > h({g(c['delta'])})",
                    g(bc["mean_frac_above_h"], 3),
                    "<= delta (Hoeffding)",
                ],
                [
                    f"seeds with max_j T_j > h_union({g(c['delta'])})",
                    f"{bc['seeds_max_above_h_union']} / {n}",
                    "<= 5% of seeds",
                ],
                [
                    "mean T_j / noise floor",
                    f"{nf['ratio_mean']:.2f} ({nf['ratio_min']:.2f}-{nf['ratio_max']:.2f} over seeds)",
                    "about 1 to first order; band [0.5, 1.5]",
                ],
                [
                    f"h-loss ratio, beta = {g(c['beta_bad'])} vs calibrated (min over seeds)",
                    f"{sp['loss_ratio_min']:.2f}",
                    "> 2",
                ],
            ],
        ),
    ]
    ok = d["synthetic"]["ok"]
    fr = np.asarray(ok["frac_above_h"]).mean(0)
    dl = list(d["deltas"])
    anyhu = bool(np.asarray(ok["max_above_hu"]).any())
    panel_c = (
        f"Panel (c): mean per-window exceedance rate / delta between {g((fr / dl).min())} and "
        f"{g((fr / dl).max())} over delta in [{g(dl[0])}, {g(dl[-1])}] (at delta = {g(dl[-1])}: "
        f"{g(fr[-1])}); seeds above h_union(delta) at some delta: {'some' if anyhu else 'none'}."
    )
    r = d["real"]
    rows = []
    for name in ("uncalibrated", "TS", "ETS + h-cal"):
        q = r[name]
        mx = f"{q['max_T']:.3f}" + (" (> h_union)" if q["max_T"] > d["h_union_real"] else "")
        rows.append(
            [
                name,
                mx,
                f"{q['mean_T']:.4f}",
                f"{q['frac_above_h']:.4f}" if q["frac_above_h"] else "0",
                f"{q['ece']:.4f}",
            ]
        )
    real = [
        f"WRN-16-4 CIFAR-10, test half of split {c['seed']} (M = {r['n_events']}; h({g(c['delta'])}) = "
        f"{d['h_real']:.4f}, h_union({g(c['delta'])}) = {d['h_union_real']:.4f}); TS fitted T = "
        f"{r['T']:.3f}; ETS + pooled h-cal ({c['weighting']} group weighting, at most {c['steps']} steps):",
        "",
        table(
            [
                "predictor",
                "max T_j",
                "mean T_j (= h-loss)",
                f"fraction T_j > h({g(c['delta'])})",
                "top-label ECE",
            ],
            rows,
        ),
        "",
        f"Difference of mean T_j, ETS + h-cal minus TS: {r['ETS + h-cal']['mean_T'] - r['TS']['mean_T']:+.4f}.",
        "",
        run_line(s),
    ]
    return {"synthetic": "\n".join(syn), "panel_c": panel_c, "real": "\n".join(real)}


def main(argv=None):
    return experiment_main(
        name=NAME,
        description=__doc__.strip().splitlines()[0],
        make_config=make_config,
        compute=compute,
        plot=plot,
        argv=argv,
    )


if __name__ == "__main__":
    main()
