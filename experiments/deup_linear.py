"""DEUP in Bayesian linear regression: the posterior variance misses misspecification, DEUP does not.

Panels (``theory/deup_linear.md``; Lahlou et al., arXiv:2102.08501): a linear Bayesian model fitted on
x in [-1, 1] to the cubic f*(x) = 0.3 + x - 0.6 x^3 with noise 0.05 + 0.05 x^2, queried on [-2, 2].
(a) f*, the posterior mean with its +-2 sqrt(v) band and DEUP's +-sqrt(u_hat) band (one seed);
(b) the excess risk e*(x) (dashed) against the posterior variance v(x) and DEUP's u_hat(x), mean and
95% CI over seeds (log scale); (c) exact fixed-design OOD means of E e* and v against n, with the
limit a^2 and c/n dashed; (d) the well-specified identity: Monte Carlo prior-averaged excess risk
against v (y = x dashed).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.lab.stats import loglog_slope, mean_ci
from unlearnlab.lab.sweep import run_seeds
from unlearnlab.uncertainty import (
    bayes_excess_mc,
    blr_posterior,
    deup_fit,
    deup_predict,
    excess_risk,
    expected_excess_fixed_design,
    l2_projection,
    misspecified_target,
    polynomial_features,
    predictive_variance,
    sample_regression,
    spearman,
)

NAME = "deup_linear"
Z = 4.5  # per-point two-sided CLT band of the Monte Carlo claims (6.8e-6 each)


@dataclasses.dataclass(frozen=True)
class Config:
    n_main: int = 50
    n_err: int = 2000
    n_err_grid: tuple = (100, 300, 1000, 3000, 10_000)
    n_grid: int = 161
    tau2: float = 10.0
    sigma2: float = 0.1
    err_degree: int = 6
    seeds: int = 40
    ns: tuple = (10, 30, 100, 300, 1000, 3000, 10_000, 100_000)
    ws_n: int = 15
    ws_reps: int = 8000
    seed: int = 0
    quick: bool = False


def make_config(args) -> Config:
    if args.quick:
        return Config(
            n_err=500,
            n_err_grid=(100, 300, 1000),
            seeds=4,
            ws_reps=400,
            n_grid=41,
            ns=(10, 100, 1000, 100_000),
            quick=True,
        )
    return Config(seeds=args.seeds or 40)


def _grid(config):
    return np.linspace(-2.0, 2.0, config.n_grid)


def _one_seed(config, grid):
    """One seed: main BLR fit on U[-1, 1]; DEUP fitted on the first n_err of one held-out sample of
    U[-2, 2], for every n_err of the grid (rows past n_err get zero features, which leaves the
    least-squares fit on the first n_err rows unchanged: one compiled program for all n_err)."""
    g = jnp.asarray(grid)
    q1, q6 = polynomial_features(g, 1), polynomial_features(g, config.err_degree)
    fg, vg = misspecified_target(g)
    sizes = jnp.asarray(sorted({*config.n_err_grid, config.n_err}))
    n_max = int(max(max(config.n_err_grid), config.n_err))

    def fn(key):
        k1, k2 = jax.random.split(key)
        x, y = sample_regression(k1, config.n_main, -1.0, 1.0)
        m, S = blr_posterior(polynomial_features(x, 1), y, config.tau2, config.sigma2)
        xe, ye = sample_regression(k2, n_max, -2.0, 2.0)
        r2 = (ye - polynomial_features(xe, 1) @ m) ** 2
        Pe = polynomial_features(xe, config.err_degree)
        e = excess_risk(q1, m, fg)

        def fit(n_err):
            keep = (jnp.arange(n_max) < n_err)[:, None]
            u = deup_predict(deup_fit(Pe * keep, r2 * keep[:, 0], 0.0), q6, vg)
            return u, jnp.mean((u - e) ** 2)

        us, ise = jax.lax.map(fit, sizes)
        return {"m": m, "v": predictive_variance(q1, S), "e": e, "u_all": us, "ise": ise}

    return fn, [int(v) for v in sizes]


def compute(config: Config, ctx) -> dict:
    grid = _grid(config)
    ood = np.abs(grid) > 1.0
    fg, vg = (np.asarray(a) for a in misspecified_target(grid))
    key = jax.random.key(config.seed)
    k_main, k_ws = jax.random.split(key)

    # --- (a), (b): seeds of the main fit + DEUP
    fn, sizes = _one_seed(config, grid)
    main = run_seeds(fn, k_main, config.seeds, **ctx.sweep_kwargs(config, "main"))
    main["u"] = np.asarray(main["u_all"])[:, sizes.index(config.n_err)]
    stats = {}
    for k in ("v", "e", "u"):
        ci = mean_ci(np.asarray(main[k]))
        stats[k] = {"mean": ci.mean, "lo": ci.lo, "hi": ci.hi}
    ood_e = np.asarray(main["e"])[:, ood].mean(1)
    ood_v = np.asarray(main["v"])[:, ood].mean(1)
    ood_u = np.asarray(main["u"])[:, ood].mean(1)
    sp_u = np.array([float(spearman(u[ood], e[ood])) for u, e in zip(main["u"], main["e"])])
    sp_v = np.array([float(spearman(v[ood], e[ood])) for v, e in zip(main["v"], main["e"])])

    # --- DEUP rate over n_err (same seeds, nested held-out samples)
    ise = np.asarray(main["ise"]).T[[sizes.index(int(n)) for n in config.n_err_grid]]
    ise_fit = loglog_slope(np.asarray(config.n_err_grid, float), ise.mean(1))

    # --- (c): exact fixed design (midpoint grid of [-1, 1]) against n
    q1 = polynomial_features(jnp.asarray(grid), 1)
    nodes, w = np.polynomial.legendre.leggauss(8)
    fnod, _ = misspecified_target(nodes)
    theta_inf = l2_projection(polynomial_features(nodes, 1), fnod, w / 2)
    a2 = np.asarray(excess_risk(q1, theta_inf, fg))
    fd_e, fd_v, fd_b = [], [], []
    for n in config.ns:
        xt = np.linspace(-1.0, 1.0, int(n) + 1)[:-1] + 1.0 / int(n)
        Phi = polynomial_features(xt, 1)
        ft, nv = misspecified_target(xt)
        _, S = blr_posterior(Phi, ft, config.tau2, config.sigma2)
        e, b2 = expected_excess_fixed_design(Phi, ft, nv, config.tau2, config.sigma2, q1, fg)
        fd_e.append(np.asarray(e))
        fd_b.append(np.asarray(b2))
        fd_v.append(np.asarray(predictive_variance(q1, S)))
    fd_e, fd_v, fd_b = np.stack(fd_e), np.stack(fd_v), np.stack(fd_b)
    ns = np.asarray(config.ns, float)
    v_fit = loglog_slope(ns, fd_v[:, ood].mean(1))
    limit_gap = float(np.max(np.abs(fd_e[-1] - a2)))

    # --- (d): well-specified identity (Monte Carlo over theta* ~ prior and noise)
    xw = np.linspace(-1.0, 1.0, config.ws_n)
    Pw = polynomial_features(xw, 1)
    _, Sw = blr_posterior(Pw, np.zeros(config.ws_n), config.tau2, config.sigma2)
    qd = polynomial_features(jnp.asarray(np.linspace(-2.0, 2.0, 17)), 1)
    vw = np.asarray(predictive_variance(qd, Sw))
    ws = run_seeds(
        lambda k: bayes_excess_mc(k, Pw, config.tau2, config.sigma2, qd),
        k_ws,
        config.ws_reps,
        **ctx.sweep_kwargs(config, "ws"),
    )
    ws = np.asarray(ws)
    ws_mean, ws_se = ws.mean(0), ws.std(0, ddof=1) / np.sqrt(ws.shape[0])
    zmax = float(np.max(np.abs(ws_mean - vw) / ws_se))

    ratio_e_v = float(ood_e.mean() / ood_v.mean())
    ratio_u_e = float(ood_u.mean() / ood_e.mean())
    claims = {
        "deup_linear.bayes_identity": claim_result(
            zmax,
            Z,
            bool(zmax <= Z),
            f"max abs z of the MC prior-averaged excess vs v over 17 points, {config.ws_reps} "
            f"draws, fixed design n = {config.ws_n} (false-failure rate <= {17 * 6.8e-6:.1e})",
        ),
        "deup_linear.variance_vanishes_bias_stays": claim_result(
            {
                "v_slope": v_fit.slope,
                "v_slope_ci": [v_fit.lo, v_fit.hi],
                "limit_gap": limit_gap,
                "n_max": int(config.ns[-1]),
            },
            {"v_slope": [-1.05, -0.95], "limit_gap": 1e-3},
            bool(-1.05 <= v_fit.slope <= -0.95 and limit_gap <= 1e-3),
            "exact fixed-design formulas: slope of the mean OOD posterior variance in n, and "
            "max_x |E e*(x) - a(x)^2| at the largest n",
        ),
        "deup_linear.deup_consistent": claim_result(
            {
                "slope": ise_fit.slope,
                "slope_ci": [ise_fit.lo, ise_fit.hi],
                "mean_ise": ise.mean(1).tolist(),
            },
            [-1.3, -0.7],
            bool(-1.3 <= ise_fit.slope <= -0.7),
            f"log-log slope of the mean (over {config.seeds} seeds) grid ISE of u_hat vs e* in "
            f"n_err = {list(config.n_err_grid)}",
        ),
        "deup_linear.ood_ratio": claim_result(
            {
                "ood_e_over_v": ratio_e_v,
                "ood_u_over_e": ratio_u_e,
                "spearman_u": float(sp_u.mean()),
                "spearman_v": float(sp_v.mean()),
            },
            None,
            "reported",
            f"OOD (|x| > 1) means over {config.seeds} seeds, n = {config.n_main}, "
            f"n_err = {config.n_err}: mean e* / mean v, mean u_hat / mean e*, and the Spearman "
            "correlation with e* on the OOD grid",
        ),
    }
    return {
        "grid": grid,
        "ood": ood,
        "f_star": fg,
        "noise_var": vg,
        "example": {
            "m": np.asarray(main["m"][0]),
            "v": np.asarray(main["v"][0]),
            "u": np.asarray(main["u"][0]),
        },
        "stats": stats,
        "ood_means": {"e": ood_e, "v": ood_v, "u": ood_u},
        "spearman": {"u": sp_u, "v": sp_v},
        "rate": {"n_err": np.asarray(config.n_err_grid), "ise": ise, "slope": ise_fit.slope},
        "fixed_design": {
            "ns": ns,
            "e_ood": fd_e[:, ood].mean(1),
            "v_ood": fd_v[:, ood].mean(1),
            "b2_ood": fd_b[:, ood].mean(1),
            "a2_ood": float(a2[ood].mean()),
            "v_slope": v_fit.slope,
            "theta_inf": np.asarray(theta_inf),
        },
        "well_specified": {"v": vw, "mc_mean": ws_mean, "mc_se": ws_se},
        "claims": claims,
    }


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    d, c = payload["data"], payload["config"]
    fig, axes = subplots(2, 2, width=4.2, height=3.2)
    x = np.asarray(d["grid"])
    ex = d["example"]
    fhat = ex["m"][0] + ex["m"][1] * x

    ax = axes[0, 0]
    ax.axvspan(-1, 1, color="0.92", label="training inputs")
    theory_line(ax, x, d["f_star"], "f*(x) (truth)")
    ax.plot(x, fhat, color="#1f77b4", label="posterior mean f_hat")
    ax.fill_between(
        x,
        fhat - 2 * np.sqrt(ex["v"]),
        fhat + 2 * np.sqrt(ex["v"]),
        color="#1f77b4",
        alpha=0.3,
        label="+-2 sqrt(v): posterior variance",
    )
    ax.fill_between(
        x,
        fhat - np.sqrt(ex["u"]),
        fhat + np.sqrt(ex["u"]),
        color="#d62728",
        alpha=0.15,
        label="+-sqrt(u_hat): DEUP",
    )
    ax.set(xlabel="x", ylabel="y", ylim=(-4, 4))
    ax.set_title(f"n = {c['n_main']} on [-1, 1], linear features (seed 0)", loc="right", fontsize=8)
    ax.legend(fontsize=6, loc="lower left")
    panel_label(ax, "(a)")

    ax = axes[0, 1]
    st = d["stats"]
    for k, col, lab in (
        ("v", "#1f77b4", "posterior variance v(x)"),
        ("u", "#d62728", "DEUP u_hat(x)"),
    ):
        ax.plot(x, st[k]["mean"], color=col, label=lab)
        ax.fill_between(x, np.maximum(st[k]["lo"], 1e-8), st[k]["hi"], color=col, alpha=0.2)
    theory_line(ax, x, np.maximum(st["e"]["mean"], 1e-8), "excess risk e*(x) (target)")
    ax.axvspan(-1, 1, color="0.92")
    ax.set_yscale("log")
    ax.set_ylim(1e-5, 1e2)
    ax.set(xlabel="x", ylabel="uncertainty (squared error units)")
    ax.set_title(
        f"mean and 95% CI over {c['seeds']} seeds; n_err = {c['n_err']}", loc="right", fontsize=8
    )
    ax.legend(fontsize=6, loc="lower center")
    panel_label(ax, "(b)")

    ax = axes[1, 0]
    fd = d["fixed_design"]
    ns = np.asarray(fd["ns"])
    ax.plot(ns, fd["e_ood"], "o-", color="#d62728", label="E e* (OOD mean, exact)")
    ax.plot(ns, fd["v_ood"], "s-", color="#1f77b4", label="v (OOD mean, exact)")
    theory_line(ax, ns, np.full(len(ns), fd["a2_ood"]), "limit a^2 (lab's Prop. D2)")
    cst = fd["v_ood"][-1] * ns[-1]
    theory_line(ax, ns, cst / ns, "c/n (lab's Prop. D2)", color="#1f77b4")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel="n (fixed design on [-1, 1])", ylabel="mean over |x| > 1")
    ax.set_title(
        f"variance slope {fd['v_slope']:.3f}; misspecification bias stays", loc="right", fontsize=8
    )
    ax.legend(fontsize=6)
    panel_label(ax, "(c)")

    ax = axes[1, 1]
    ws = d["well_specified"]
    ax.errorbar(
        ws["v"],
        ws["mc_mean"],
        yerr=2 * ws["mc_se"],
        fmt="o",
        ms=3,
        capsize=1.5,
        color="#2ca02c",
        label=f"MC prior-averaged excess ({c['ws_reps']} draws, +-2 SE)",
    )
    lim = np.array([0, float(np.max(ws["v"])) * 1.05])
    theory_line(ax, lim, lim, "y = v (lab's Prop. D1)")
    ax.set(xlabel="posterior variance v(x)", ylabel="E[(f_hat(x) - f*(x))^2]")
    ax.set_title(f"well specified, n = {c['ws_n']}, 17 query points", loc="right", fontsize=8)
    ax.legend(fontsize=6)
    panel_label(ax, "(d)")
    return fig


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/deup_linear.md, rendered from the saved JSON."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, c, cl = s["data"], s["config"], s["claims"]
    M = lambda k: cl[f"deup_linear.{k}"]  # noqa: E731
    r = M("ood_ratio")["measured"]
    fd = d["fixed_design"]
    rows = [
        [str(int(n)), g(e, 3), g(v, 3), g(e / v, 3)]
        for n, e, v in zip(fd["ns"], fd["e_ood"], fd["v_ood"])
    ]
    fixed = table(["n", "E e* (OOD mean)", "v (OOD mean)", "ratio"], rows) + (
        f"\n\nLimit a^2 (OOD mean): {g(fd['a2_ood'], 4)}; theta_inf = "
        f"({fd['theta_inf'][0]:.4f}, {fd['theta_inf'][1]:.4f})."
    )
    ood = table(
        ["quantity", "value"],
        [
            ["mean OOD e* / mean OOD v", g(r["ood_e_over_v"], 3)],
            ["mean OOD u_hat / mean OOD e*", f"{r['ood_u_over_e']:.4f}"],
            ["Spearman(u_hat, e*) on the OOD grid (mean over seeds)", g(r["spearman_u"], 3)],
            ["Spearman(v, e*) on the OOD grid (mean over seeds)", g(r["spearman_v"], 3)],
        ],
    ) + (f"\n\n{c['seeds']} seeds, n = {c['n_main']}, n_err = {c['n_err']}.\n\n" + run_line(s))
    vv = M("variance_vanishes_bias_stays")["measured"]
    dc = M("deup_consistent")["measured"]
    claims = table(
        ["claim id", "panel", "measured", "verdict"],
        [
            [
                "`deup_linear.bayes_identity`",
                "(d)",
                f"max abs(z) = {M('bayes_identity')['measured']:.2f} (band {Z})",
                M("bayes_identity")["verdict"],
            ],
            [
                "`deup_linear.variance_vanishes_bias_stays`",
                "(c)",
                f"v slope {vv['v_slope']:.4f}; max abs(E e* - a^2) at n = {vv['n_max']}: "
                f"{g(vv['limit_gap'])}",
                M("variance_vanishes_bias_stays")["verdict"],
            ],
            [
                "`deup_linear.deup_consistent`",
                "(b)",
                f"ISE slope {dc['slope']:.3f} (95% CI {dc['slope_ci'][0]:.3f} to "
                f"{dc['slope_ci'][1]:.3f})",
                M("deup_consistent")["verdict"],
            ],
            [
                "`deup_linear.ood_ratio`",
                "(b)",
                f"e*/v = {g(r['ood_e_over_v'], 3)}, u_hat/e* = {r['ood_u_over_e']:.4f}",
                M("ood_ratio")["verdict"],
            ],
        ],
    )
    return {"fixed_design": fixed, "ood": ood, "claims": claims}


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
