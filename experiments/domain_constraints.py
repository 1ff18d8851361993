"""Domain constraints (prevalence, expertise) shrink the posterior of a selective-labels model (numpyro NUTS).

A scaled-down version of the synthetic experiment of Balachandar, Garg & Pierson (ICLR 2024,
arXiv 2312.03878): R datasets from the authors' generator (outcome Y seen only for tested people),
each fitted by numpyro NUTS under four constraint sets (none, prevalence, expertise, both), with the
unobservable Z marginalised by Gauss-Hermite quadrature. (a) posterior means of beta_Y against the
truth; (b) posterior s.d. of each beta_Y component by constraint set, with the Laplace prediction of
the variance reduction (theory/domain_constraints.md §3) dashed; (c) error of the implied prevalence
and of the mean risk of the untested.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

import unlearnlab.selective_labels as sl
from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.lab.sweep import run_seeds

NAME = "domain_constraints"
SETS = ("none", "prevalence", "expertise", "both")


@dataclass(frozen=True)
class Config:
    n_datasets: int = 5
    N: int = 400
    M: int = 5
    alpha: float = 1.0
    w_prev: float = 1e4
    n_nodes: int = 24
    num_warmup: int = 120
    num_samples: int = 120
    num_chains: int = 2
    max_tree_depth: int = 6
    testbed_N: int = 200
    testbed_draws: int = 1000
    seed: int = 0


def make_config(args) -> Config:
    if args.quick:
        return Config(
            n_datasets=args.seeds or 1,
            N=150,
            num_warmup=40,
            num_samples=40,
            num_chains=1,
            testbed_N=50,
            testbed_draws=200,
        )
    return Config(n_datasets=args.seeds or 5)


def _fit_one(config: Config):
    M = config.M
    free = np.zeros(M, bool)
    free[[0, 1]] = True  # the generator's expertise set A = {0, 1}
    masks = jnp.asarray(np.stack([np.ones(M, bool), np.ones(M, bool), free, free]))
    ws = jnp.asarray([0.0, config.w_prev, 0.0, config.w_prev])
    model = functools.partial(sl.numpyro_model, known_alpha=config.alpha, n_nodes=config.n_nodes)

    def fit_one(key):
        k_par, k_data, k_nuts = jax.random.split(key, 3)
        p = sl.draw_synthetic_params(k_par, M, alpha=config.alpha)
        d = sl.simulate_selective_labels(
            k_data, config.N, M, p["beta_Y"], p["beta_D"], p["alpha"], p["sigma"]
        )
        X, T, Y = d["X"], d["T"], d["Y"]

        def fit(mask, w):
            data = {
                "X": X,
                "T": T,
                "Y": Y,
                "prevalence": d["prevalence"],
                "w_prev": w,
                "expertise_mask": mask,
            }
            s, e = sl.nuts_draws(
                k_nuts,
                model,
                data,
                config.num_warmup,
                config.num_samples,
                config.num_chains,
                chain_method="vectorized",
                dense_mass=True,
                max_tree_depth=config.max_tree_depth,
                extra_fields=("diverging", "num_steps"),
            )
            risk = jax.vmap(
                jax.vmap(
                    lambda bY, bD, sg: sl.untested_risk_gh(
                        {"beta_Y": bY, "beta_D": bD, "alpha": config.alpha, "sigma": sg},
                        X,
                        T,
                        config.n_nodes,
                    )
                )
            )(s["beta_Y"], s["beta_D"], s["sigma"])
            return {
                "beta_Y": s["beta_Y"],
                "beta_D": s["beta_D"],
                "sigma": s["sigma"],
                "p_bar": s["p_bar"],
                "risk": risk,
                "diverging": e["diverging"],
                "num_steps": e["num_steps"],
            }

        # lax.map, not vmap, over the constraint sets: one compiled NUTS program serves all four,
        # and no set waits in lockstep for the longest trajectory of another
        fits = jax.lax.map(lambda mw: fit(*mw), (masks, ws))
        # Laplace at the unconstrained mode, Newton started from the "none" posterior mean
        theta0 = jnp.concatenate(
            [
                fits["beta_Y"][0].mean((0, 1)),
                fits["beta_D"][0].mean((0, 1)),
                fits["sigma"][0].mean()[None],
            ]
        )
        mode, gnorm = sl.posterior_mode(theta0, X, T, Y, config.alpha, n_nodes=config.n_nodes)
        lap = sl.laplace_constrained_sd(
            mode,
            X,
            T,
            Y,
            w_prev=config.w_prev,
            expertise_mask=free,
            alpha=config.alpha,
            n_nodes=config.n_nodes,
        )
        # quadrature accuracy at the true parameters: K nodes against 80
        llK = sl.loglik_marginal_gh(p, X, T, Y, config.n_nodes)
        ll80 = sl.loglik_marginal_gh(p, X, T, Y, 80)
        true_risk = sl.untested_risk_gh(p, X, T, 80)
        untested = (T == 0).astype(X.dtype)
        return {
            "fits": fits,
            "true": p,
            "prevalence": d["prevalence"],
            "true_risk": true_risk,
            "emp_untested_risk": jnp.sum(d["p_Y"] * untested) / jnp.maximum(untested.sum(), 1),
            "frac_tested": jnp.mean(T.astype(X.dtype)),
            "laplace": {k: lap[k] for k in SETS},
            "mode_grad_norm": gnorm,
            "gh_rel_err": jnp.max(jnp.abs(jnp.expm1(llK - ll80))),
        }

    return fit_one


@functools.partial(jax.jit, static_argnums=0)
def _testbed_draws(config: Config, key, X, T, Y, prev):
    """Closed-form posterior and NUTS draws of the testbed in one compiled program: numpyro's
    ``MCMC.run`` called outside ``jit`` runs its initialisation op by op, each op compiling its own
    small program."""
    mean, cov = sl.conjugate_testbed_posterior(X, T, Y, 1.0, 3.0, prev, 50.0)
    model = functools.partial(
        sl.conjugate_numpyro_model, noise_sd=1.0, prior_sd=3.0, prevalence=prev, w=50.0
    )
    samples, _ = sl.nuts_draws(
        key,
        model,
        {"X": X, "T": T, "Y": Y},
        config.testbed_draws // 2,
        config.testbed_draws // 2,
        2,
        chain_method="vectorized",
    )
    return samples["beta"], mean, cov


def _testbed(config: Config):
    """NUTS on the conjugate testbed against its closed-form posterior."""
    key = jax.random.key(config.seed + 1)
    k1, k2, k3, k4 = jax.random.split(key, 4)
    N, M = config.testbed_N, 3
    # the data stay outside jit: NUTS amplifies last-bit differences in X, Y (~1e-9 relative in the
    # draws after 1000 iterations), and eagerly they are bitwise the arrays the testbed always used
    X = sl.standardised_features(k1, N, M)
    beta = jnp.array([0.5, 1.0, -0.7])
    T = (jax.random.uniform(k2, (N,)) < jax.nn.sigmoid(1.5 * X[:, 1])).astype(jnp.int32)
    Y = jnp.where(T == 1, X @ beta + jax.random.normal(k3, (N,)), 0.0)
    prev = float(jnp.mean(X @ beta))
    beta_draws, mean, cov = (np.asarray(a) for a in _testbed_draws(config, k4, X, T, Y, prev))
    draws = beta_draws.reshape(-1, M)
    ess = sl.diagnostics({"beta": beta_draws})["beta"]["ess"]
    sd = np.sqrt(np.diag(cov))
    z = (draws.mean(0) - mean) / (sd / np.sqrt(ess))
    rel_cov = np.linalg.norm(np.cov(draws.T) - cov) / np.linalg.norm(cov)
    return {"z": z, "rel_cov_err": float(rel_cov), "ess": ess}


def compute(config: Config, ctx) -> dict:
    stages = ctx.stage_cache(config)
    out = run_seeds(
        _fit_one(config),
        jax.random.key(config.seed),
        config.n_datasets,
        chunk_size=1,
        block_size=1,
        **ctx.sweep_kwargs(config, "fits"),
    )
    out = jax.tree.map(np.asarray, out)
    tb = stages.stage("testbed", lambda: _testbed(config))
    f = out["fits"]
    R, M = config.n_datasets, config.M
    bY = f["beta_Y"]  # (R, 4, C, S, M)
    post_mean = bY.mean((2, 3))  # (R, 4, M)
    post_sd = bY.reshape(R, 4, -1, M).std(2)  # (R, 4, M)
    true_bY = out["true"]["beta_Y"]  # (R, M)
    lo, hi = np.quantile(bY.reshape(R, 4, -1, M), [0.05, 0.95], axis=2)
    cover = (lo <= true_bY[:, None]) & (true_bY[:, None] <= hi)  # (R, 4, M)
    prev_err = np.abs(f["p_bar"].mean((2, 3)) - out["prevalence"][:, None])  # (R, 4)
    risk_err = np.abs(f["risk"].mean((2, 3)) - out["true_risk"][:, None])  # (R, 4)
    lap_sd = np.stack([out["laplace"][k][:, :M] for k in SETS], 1)  # (R, 4, M)
    # diagnostics (numpy-based numpyro.diagnostics, after the runner)
    ess = np.zeros((R, 4, M))
    rhat = np.full((R, 4, M), np.nan)
    for r in range(R):
        for c in range(4):
            dg = sl.diagnostics({"beta_Y": bY[r, c]})["beta_Y"]
            ess[r, c], rhat[r, c] = dg["ess"], dg["r_hat"]
    sd_ratio = np.median(post_sd / post_sd[:, :1], axis=(0, 2))  # per set
    lap_ratio = np.median(lap_sd / lap_sd[:, :1], axis=(0, 2))
    lap_le = bool(np.all(lap_sd[:, 1:] <= lap_sd[:, :1] * (1 + 1e-9)))
    claims = {
        f"{NAME}.gh_quadrature": claim_result(
            float(out["gh_rel_err"].max()),
            1e-3,
            bool(out["gh_rel_err"].max() < 1e-3),
            f"max per-person relative error of the K={config.n_nodes} Gauss-Hermite likelihood "
            "against K=80 at the true parameters, over all datasets",
        ),
        f"{NAME}.variance_reduction": claim_result(
            {s: float(v) for s, v in zip(SETS, lap_ratio)},
            "<= 1",
            lap_le,
            "Laplace-predicted posterior s.d. of beta_Y under each constraint set never exceeds the "
            "unconstrained one (median ratio per set shown)",
        ),
        f"{NAME}.conjugate_nuts": claim_result(
            {"max_abs_z": float(np.max(np.abs(tb["z"]))), "rel_cov_err": tb["rel_cov_err"]},
            {"max_abs_z": 4.0, "rel_cov_err": 0.15},
            bool(np.max(np.abs(tb["z"])) <= 4.0 and tb["rel_cov_err"] <= 0.15),
            "NUTS on the conjugate testbed (prevalence constraint) against the closed-form "
            "Gaussian posterior: mean z-scores with ESS, relative covariance error",
        ),
        f"{NAME}.precision": claim_result(
            {s: float(v) for s, v in zip(SETS, sd_ratio)},
            "<= 1",
            bool(np.all(sd_ratio[1:] <= 1.0)),
            "median over datasets and components of the NUTS posterior s.d. of beta_Y relative to "
            "no constraint",
        ),
        f"{NAME}.untested_risk": claim_result(
            {s: float(v) for s, v in zip(SETS, risk_err.mean(0))},
            "constraints lower the error (paper's qualitative claim)",
            bool(risk_err[:, 3].mean() < risk_err[:, 0].mean()),
            "mean over datasets of |posterior-mean untested risk - its value at the true "
            "parameters|; verdict: 'both' below 'none'",
        ),
    }
    return {
        "sets": list(SETS),
        "true_beta_Y": true_bY,
        "post_mean": post_mean,
        "post_sd": post_sd,
        "laplace_sd": lap_sd,
        "coverage90": cover.mean((0, 2)),
        "prev_err": prev_err,
        "risk_err": risk_err,
        "true_risk": out["true_risk"],
        "emp_untested_risk": out["emp_untested_risk"],
        "frac_tested": out["frac_tested"],
        "ess_min": ess.min(2),
        "rhat_max": np.nanmax(rhat, 2) if config.num_chains > 1 else rhat[..., 0],
        "divergences": f["diverging"].sum((2, 3)),
        "mean_steps": f["num_steps"].mean((2, 3)),
        "mode_grad_norm": out["mode_grad_norm"],
        "gh_rel_err": out["gh_rel_err"],
        "sigma_true": out["true"]["sigma"],
        "sigma_post_mean": f["sigma"].mean((2, 3)),
        "sd_ratio": sd_ratio,
        "laplace_ratio": lap_ratio,
        "testbed": tb,
        "claims": claims,
    }


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    d, cfg = payload["data"], payload["config"]
    sets = d["sets"]
    colors = ["0.45", "#1f77b4", "#2ca02c", "#d62728"]
    fig, axes = subplots(3, width=4.3, height=3.5)
    ax = axes[0, 0]
    tb = np.asarray(d["true_beta_Y"])
    pm = np.asarray(d["post_mean"])
    for c, (s, col) in enumerate(zip(sets, colors)):
        ax.scatter(tb.ravel(), pm[:, c].ravel(), s=12, color=col, alpha=0.75, label=s)
    lim = [min(tb.min(), pm.min()) - 0.3, max(tb.max(), pm.max()) + 0.3]
    theory_line(ax, lim, lim, "identity (unbiased)")
    ax.set_xlabel(r"true $\beta_{Y,j}$")
    ax.set_ylabel(r"posterior mean of $\beta_{Y,j}$")
    ax.legend(title="constraints", loc="upper left")
    ratio = np.median(np.asarray(d["sigma_post_mean"]) / np.asarray(d["sigma_true"])[:, None], 0)
    ax.text(
        0.98,
        0.03,
        "median posterior-mean $\\sigma$ / true $\\sigma$:\n"
        + ", ".join(f"{s} {r:.2f}" for s, r in zip(sets, ratio)),
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=6.5,
    )
    panel_label(ax, "(a) posterior means vs truth")

    ax = axes[0, 1]
    sd = np.asarray(d["post_sd"])
    lap = np.asarray(d["laplace_sd"])
    M = sd.shape[2]
    width = 0.2
    for c, col in enumerate(colors):
        pos = np.arange(M) + (c - 1.5) * width
        bp = ax.boxplot(
            sd[:, c].T.tolist(),
            positions=pos,
            widths=width * 0.85,
            patch_artist=True,
            showfliers=False,
            manage_ticks=False,
        )
        for b in bp["boxes"]:
            b.set_facecolor(col)
            b.set_alpha(0.6)
        med = np.median(lap[:, c], axis=0)
        for j in range(M):
            theory_line(
                ax,
                [pos[j] - width / 2, pos[j] + width / 2],
                [med[j], med[j]],
                "Laplace prediction (§3, median)" if (c == 0 and j == 0) else None,
            )
    ax.set_xticks(np.arange(M), [rf"$\beta_{{Y,{j}}}$" for j in range(M)])
    ax.set_ylabel("posterior s.d. (NUTS), across datasets")
    ax.set_yscale("log")
    handles = [matplotlib_patch(col, s) for s, col in zip(sets, colors)]
    handles += ax.get_legend_handles_labels()[0][:1]
    ax.legend(handles=handles, loc="upper right", ncol=2)
    panel_label(ax, "(b) posterior spread")

    ax = axes[0, 2]
    pe, re = np.asarray(d["prev_err"]), np.asarray(d["risk_err"])
    x = np.arange(len(sets))
    ax.bar(x - 0.2, pe.mean(0), 0.4, color="#9467bd", alpha=0.7, label="implied prevalence")
    ax.bar(x + 0.2, re.mean(0), 0.4, color="#ff7f0e", alpha=0.7, label="untested risk")
    for r in range(pe.shape[0]):
        ax.plot(x - 0.2, pe[r], ".", color="0.3", ms=3)
        ax.plot(x + 0.2, re[r], ".", color="0.3", ms=3)
    ax.set_xticks(x, sets)
    ax.set_ylabel("|posterior mean - truth|")
    ax.legend(loc="upper right", title="bars: mean; dots: datasets")
    panel_label(ax, "(c) error on the unobserved")
    fig.suptitle(
        f"Selective labels: {cfg['n_datasets']} synthetic datasets, N={cfg['N']}, "
        f"NUTS {cfg['num_chains']}x{cfg['num_samples']} draws, w_prev={cfg['w_prev']:g}",
        fontsize=9,
    )
    return fig


def matplotlib_patch(color, label):
    from matplotlib.patches import Patch

    return Patch(facecolor=color, alpha=0.6, label=label)


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/domain_constraints.md, rendered from the saved JSON (``python
    -m experiments report`` rewrites them)."""
    from experiments._measured import g, pct, restore, run_line

    s = restore(saved)
    d, c, cl = s["data"], s["config"], s["claims"]
    sets = list(d["sets"])
    M = lambda k: cl[f"domain_constraints.{k}"]["measured"]  # noqa: E731
    V = lambda k: cl[f"domain_constraints.{k}"]["verdict"]  # noqa: E731
    per = lambda m, fmt=lambda v: f"{v:.2f}": ", ".join(  # noqa: E731
        f"{k} {fmt(m[k])}" for k in sets if k in m and k != "none"
    )
    tb = d["testbed"]
    claims = [
        f"Default run: R = {c['n_datasets']} datasets, N = {c['N']}, M = {c['M']}, alpha = "
        f"{g(c['alpha'])} known, w = {g(c['w_prev'])}, K = {c['n_nodes']} nodes, NUTS "
        f"{c['num_chains']} chains x {c['num_warmup']} warmup / {c['num_samples']} draws, dense mass "
        f"matrix, max_tree_depth = {c['max_tree_depth']}. Fraction tested "
        f"{d['frac_tested'].min():.2f}-{d['frac_tested'].max():.2f}.",
        "",
        f"- `gh_quadrature` {V('gh_quadrature')}: max per-person relative error of K = "
        f"{c['n_nodes']} vs K = 80 at the true parameters {g(M('gh_quadrature'))} (< 1e-3).",
        f"- `variance_reduction` {V('variance_reduction')}: Laplace-predicted s.d. median ratio to "
        f"none: {per(M('variance_reduction'))}.",
        f"- `conjugate_nuts` {V('conjugate_nuts')}: max abs(z) = {M('conjugate_nuts')['max_abs_z']:.2f} "
        f"(ESS {tb['ess'].min():.0f}-{tb['ess'].max():.0f} of {c['testbed_draws']} draws), relative "
        f"covariance error {M('conjugate_nuts')['rel_cov_err']:.3f} (<= 4, <= 0.15).",
        f"- `precision` {V('precision')}: median NUTS s.d. ratio to none: {per(M('precision'))}.",
        f"- `untested_risk` {V('untested_risk')}: mean untested-risk error: "
        + ", ".join(f"{k} {M('untested_risk')[k]:.3f}" for k in sets)
        + ".",
    ]
    med_sd = np.median(d["post_sd"], 0)
    lap0, nuts0 = np.median(d["laplace_sd"][:, :, 0], 0), np.median(d["post_sd"][:, :, 0], 0)
    smaller = (d["laplace_sd"] < d["post_sd"]).mean(axis=(0, 2))
    other = [
        "- Median posterior s.d. of beta_Y,0..4: "
        + "; ".join(f"{k} ({', '.join(f'{v:.2f}' for v in med_sd[i])})" for i, k in enumerate(sets))
        + ".",
        "- Implied-prevalence error (mean over datasets): "
        + ", ".join(f"{k} {g(v)}" for k, v in zip(sets, d["prev_err"].mean(0)))
        + ".",
        "- 90% posterior intervals of beta_Y cover the truth in "
        + ", ".join(f"{pct(v)} ({k})" for k, v in zip(sets, d["coverage90"]))
        + f" of the {d['true_beta_Y'].size} components.",
        f"- NUTS diagnostics: min ESS over components per (dataset, set) "
        f"{d['ess_min'].min():.0f}-{d['ess_min'].max():.0f} (of {c['num_chains'] * c['num_samples']} "
        f"draws); max split-R-hat {d['rhat_max'].min():.3f}-{d['rhat_max'].max():.3f}; divergences "
        f"{int(d['divergences'].min())}-{int(d['divergences'].max())} per fit; mean leapfrog steps "
        f"{d['mean_steps'].min():.0f}-{d['mean_steps'].max():.0f} per draw.",
        "- Laplace vs NUTS: share of (dataset, component) where the Laplace s.d. is below the NUTS s.d.: "
        + ", ".join(f"{k} {pct(v)}" for k, v in zip(sets, smaller))
        + "; intercept, median over datasets: "
        + ", ".join(f"{k} {lap0[i]:.2f} vs {nuts0[i]:.2f}" for i, k in enumerate(sets))
        + ".",
    ]
    tb_ = d["true_beta_Y"].ravel()
    slopes = [
        float(np.polyfit(tb_, d["post_mean"][:, i, :].ravel(), 1)[0]) for i in range(len(sets))
    ]
    ratio = [
        float(np.median(d["sigma_post_mean"][:, i] / d["sigma_true"])) for i in range(len(sets))
    ]
    disc = (
        "Slope of the posterior means of beta_Y on the truth (all datasets and components): "
        + ", ".join(f"{k} {v:.2f}" for k, v in zip(sets, slopes))
        + "; median ratio of the posterior mean of sigma to the true sigma: "
        + ", ".join(f"{k} {v:.2f}" for k, v in zip(sets, ratio))
        + "."
    )
    t = s["manifest"]["timings"]
    run = run_line(s) + f" Total CPU {t['total_cpu_s']:.0f} s."
    return {
        "claims": "\n".join(claims),
        "other": "\n".join(other),
        "discrepancy": disc,
        "runtime": run,
    }


def main(argv=None):
    return experiment_main(
        name=NAME,
        description=__doc__.splitlines()[0],
        make_config=make_config,
        compute=compute,
        plot=plot,
        argv=argv,
    )


if __name__ == "__main__":
    main()
