"""Rep4Ex: identify the latent up to an affine map, then extrapolate interventions beyond the support.

Panels (``theory/rep4ex.md``), Saengkyongam et al., arXiv:2310.04295, lab's 1-D instance
(A ~ U[-1, 1], Z = M0 A + V, X = g0(Z), Y = sin Z + rho V + eps):
(a) the identified representation phi(X) against the true latent Z, with the fitted affine line;
(b) 1 - R^2 of phi against n (log-log) with the derived rate n^-1;
(c) E[Y | do(a)] on a in [-1.3, 1.3] (training support shaded): exact truth, control function on Z and
on phi, regress-on-A and no-control-function baselines, and the no-CF population limit;
(d) the extrapolation error at a* = 1.3 against n, per method.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.causal import (
    METHODS,
    affine_r2,
    control_function_fit,
    control_function_predict,
    linear_invariance_encoder,
    plugin_bias,
    poly_basis,
    population_nodes,
    rep4ex_trial,
    simulate_rep4ex,
)
from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.lab.stats import holds_in_fraction, loglog_slope, mean_ci
from unlearnlab.lab.sweep import run_seeds

NAME = "rep4ex"
LABELS = {
    "cf_oracle": "control function on Z (oracle)",
    "cf_rep4ex": "control function on phi(X) (Rep4Ex)",
    "regress_on_a": "regress Y on A (baseline)",
    "no_cf": "no control function on phi(X) (baseline)",
}
COLORS = {
    "cf_oracle": "#2ca02c",
    "cf_rep4ex": "#1f77b4",
    "regress_on_a": "#ff7f0e",
    "no_cf": "#d62728",
}


@dataclasses.dataclass(frozen=True)
class Config:
    M0: float = 3.0
    sigma_V: float = 0.5
    rho: float = 0.8
    sigma_eps: float = 0.1
    degree: int = 3
    m: int = 6
    f_degree: int = 9
    n_curve: int = 16000
    curve_seeds: int = 40
    rate_ns: tuple = (250, 1000, 4000, 16000, 64000)
    rate_seeds: int = 40
    err_ns: tuple = (1000, 2000, 4000, 8000, 16000)
    err_seeds: int = 40
    a_lo: float = -1.3
    a_hi: float = 1.3
    n_grid: int = 53
    a_eval: float = 1.3
    scatter_points: int = 600
    seed: int = 0
    quick: bool = False


def make_config(args) -> Config:
    s = (
        {}
        if args.seeds is None
        else {k: args.seeds for k in ("curve_seeds", "rate_seeds", "err_seeds")}
    )
    if args.quick:
        return Config(
            n_curve=2000,
            curve_seeds=5,
            rate_ns=(250, 1000, 4000),
            rate_seeds=5,
            err_ns=(2000,),
            err_seeds=5,
            quick=True,
            **s,
        )
    return Config(**s)


def _grid(c):
    return np.linspace(c.a_lo, c.a_hi, c.n_grid)


def _params(c):
    return dict(M0=c.M0, sigma_V=c.sigma_V, rho=c.rho, sigma_eps=c.sigma_eps)


def _rate(c, ctx):
    """Nested samples: the first n rows of one draw of size max(rate_ns), selected by 0/1 sample
    weights, so that one compiled program serves every n."""
    ns = np.asarray(c.rate_ns)
    n_max = int(ns.max())
    masks = jnp.asarray((np.arange(n_max)[None, :] < ns[:, None]).astype(float))

    def fn(key):
        d = simulate_rep4ex(key, n_max, **_params(c))
        B = poly_basis(d["X"], c.degree)

        def at(w):
            fit = linear_invariance_encoder(B, d["A"], c.m, weights=w)
            return affine_r2(fit.phi, d["Z"], weights=w).one_minus_r2, fit.eigvals

        return jax.vmap(at)(masks)

    r, eig = run_seeds(
        fn, jax.random.key(c.seed + 100), c.rate_seeds, **ctx.sweep_kwargs(c, "rate")
    )
    return {
        "n": [int(n) for n in ns],
        "one_minus_r2": r.T,  # (n, seeds)
        "eig1": eig[:, :, 0].T,
        "eig2": eig[:, :, 1].T,
    }


def _trials(c, ctx, n, a, seeds, tag, offset):
    def fn(key):
        return rep4ex_trial(key, n, a, degree=c.degree, m=c.m, f_degree=c.f_degree, **_params(c))

    return run_seeds(fn, jax.random.key(c.seed + offset), seeds, **ctx.sweep_kwargs(c, tag))


def _scatter(c):
    a = jnp.array([1.0, 1.15, c.a_eval])

    @jax.jit
    def one(key):
        d = simulate_rep4ex(key, c.n_curve, **_params(c))
        fit = linear_invariance_encoder(poly_basis(d["X"], c.degree), d["A"], c.m)
        aff = affine_r2(fit.phi, d["Z"])
        # R3 on a sample: the control function on phi and on its affine image intercept + slope phi
        p_phi = control_function_predict(
            control_function_fit(fit.phi, d["A"], d["Y"], c.f_degree), a
        )
        zaff = aff.intercept + aff.slope * fit.phi
        p_aff = control_function_predict(control_function_fit(zaff, d["A"], d["Y"], c.f_degree), a)
        return d["Z"], fit, aff, jnp.max(jnp.abs(p_phi - p_aff))

    Z, fit, aff, gap = one(jax.random.key(c.seed + 7))
    k = c.scatter_points
    return {
        "Z": np.asarray(Z[:k]),
        "phi": np.asarray(fit.phi[:k]),
        "slope": float(aff.slope),
        "intercept": float(aff.intercept),
        "one_minus_r2": float(aff.one_minus_r2),
        "eigvals": np.asarray(fit.eigvals),
        "equivariance_gap": float(gap),
    }


def _population(c):
    p = population_nodes(c.M0, c.sigma_V)

    @jax.jit
    def one(X, A, Z, w):
        fit = linear_invariance_encoder(poly_basis(X, c.degree), A, c.m, weights=w)
        return affine_r2(fit.phi, Z, weights=w).one_minus_r2, fit.eigvals

    r, eig = one(p["X"], p["A"], p["Z"], p["w"])
    return {"one_minus_r2": float(r), "eigvals": np.asarray(eig)}


def compute(config: Config, ctx) -> dict:
    c = config
    st = ctx.stage_cache(c)
    grid = _grid(c)
    rate = st.stage("rate", lambda: _rate(c, ctx))
    pop = st.stage("population", lambda: _population(c))
    scatter = st.stage("scatter", lambda: _scatter(c))
    curves = st.stage(
        "curves", lambda: _trials(c, ctx, c.n_curve, grid, c.curve_seeds, "curves", 200)
    )
    ie = int(np.argmin(np.abs(grid - c.a_eval)))
    err = {}
    for i, n in enumerate(c.err_ns):
        if n == c.n_curve and c.err_seeds == c.curve_seeds:
            r = curves  # the same trials: reuse them
        else:
            r = st.stage(
                f"err{n}",
                lambda n=n, i=i: _trials(c, ctx, n, grid, c.err_seeds, f"err{n}", 300 + i),
            )
        err[str(n)] = np.abs(r["pred"][:, :, ie] - r["truth"][:, ie : ie + 1])  # (seeds, methods)
    bias_grid = np.asarray(plugin_bias(grid, c.M0, c.sigma_V, c.rho))
    truth = curves["truth"][0]
    pred = curves["pred"]  # (seeds, methods, grid)

    # --- claims
    means = rate["one_minus_r2"].mean(1)
    slope = loglog_slope(rate["n"], means)
    big = int(np.argmax(rate["n"]))
    ident_ok = (
        pop["one_minus_r2"] < 1e-10
        and pop["eigvals"][1] >= 0.1
        and means[big] <= 1e-4
        and float(rate["eig2"][big].mean()) >= 0.1
    )
    j = {m: i for i, m in enumerate(METHODS)}
    e_eval = np.abs(pred[:, :, ie] - truth[ie])  # (seeds, methods)
    wins = e_eval[:, j["cf_rep4ex"]] < np.minimum(
        e_eval[:, j["regress_on_a"]], e_eval[:, j["no_cf"]]
    )
    win_ok, allowed = holds_in_fraction(wins, 0.9, 1e-3)
    check_a = [0.5, 1.0, c.a_eval]
    idx = [int(np.argmin(np.abs(grid - a))) for a in check_a]
    nocf_err = (pred[:, j["no_cf"], :] - truth).mean(0)
    claims = {
        "rep4ex.identification": claim_result(
            {
                "population_one_minus_r2": pop["one_minus_r2"],
                "population_eig2": float(pop["eigvals"][1]),
                "n": int(rate["n"][big]),
                "mean_one_minus_r2": float(means[big]),
                "mean_eig2": float(rate["eig2"][big].mean()),
            },
            {"population_one_minus_r2": 1e-10, "eig2": 0.1, "one_minus_r2_at_n": 1e-4},
            bool(ident_ok),
            "population moments by product quadrature; finite n: mean over seeds",
        ),
        "rep4ex.identification_rate": claim_result(
            {"slope": slope.slope, "ci": [slope.lo, slope.hi]},
            {"rate": -1.0, "band": [-1.3, -0.7]},
            bool(-1.3 <= slope.slope <= -0.7),
            f"log-log slope of the seed-mean 1 - R^2 over n = {[int(n) for n in rate['n']]}, "
            f"{c.rate_seeds} seeds each (95% t-interval)",
        ),
        "rep4ex.affine_equivariance": claim_result(
            scatter["equivariance_gap"],
            1e-8,
            bool(scatter["equivariance_gap"] <= 1e-8),
            "max |CF(phi) - CF(intercept + slope phi)| at a* = 1, 1.15, 1.3 on one sample",
        ),
        "rep4ex.plugin_bias": claim_result(
            {str(a): float(nocf_err[i]) for a, i in zip(check_a, idx)},
            {str(a): float(bias_grid[i]) for a, i in zip(check_a, idx)},
            "reported",
            f"mean no-CF error over {c.curve_seeds} seeds at n = {c.n_curve} (degree-{c.f_degree} "
            "f) against the population bias rho E m(M0 a* + V')",
        ),
        "rep4ex.extrapolation": claim_result(
            {
                "wins": int(wins.sum()),
                "of": int(wins.size),
                "mean_abs_err": {m: float(e_eval[:, j[m]].mean()) for m in METHODS},
            },
            {"target": 0.9, "false_failure": 1e-3, "max_failures": allowed},
            bool(win_ok),
            f"seeds where |CF(phi) error| < both baselines' at a* = {c.a_eval}, n = {c.n_curve}",
        ),
    }
    return {
        "grid": grid,
        "truth": truth,
        "plugin_population": truth + bias_grid,
        "pred": pred,
        "methods": list(METHODS),
        "rate": rate,
        "rate_fit": {
            "slope": slope.slope,
            "lo": slope.lo,
            "hi": slope.hi,
            "intercept": slope.intercept,
        },
        "population": pop,
        "scatter": scatter,
        "err_ns": list(c.err_ns),
        "err": err,
        "ell": curves["ell"],
        "claims": claims,
    }


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    d, c = payload["data"], payload["config"]
    fig, axes = subplots(2, 2, width=4.4, height=3.4)

    ax = axes[0, 0]
    s = d["scatter"]
    ax.plot(s["Z"], s["phi"], ".", ms=2.5, alpha=0.5, color="#1f77b4", label="samples (phi(X), Z)")
    zz = np.linspace(np.min(s["Z"]), np.max(s["Z"]), 50)
    ax.plot(
        zz,
        (zz - s["intercept"]) / s["slope"],
        "-",
        color="k",
        lw=1.0,
        label=f"fitted affine map, 1 - R^2 = {s['one_minus_r2']:.1e}",
    )
    ax.set(xlabel="true latent Z", ylabel="identified phi(X) (variance 1)")
    ax.set_title(
        f"n = {c['n_curve']}, sieve degree {c['degree']}, Legendre m = {c['m']}",
        loc="right",
        fontsize=8,
    )
    ax.legend(fontsize=7, loc="upper left")
    panel_label(ax, "(a)")

    ax = axes[0, 1]
    r = d["rate"]
    ns = np.asarray(r["n"], float)
    vals = np.asarray(r["one_minus_r2"])  # (n, seeds)
    for i, n in enumerate(ns):
        ax.plot(
            np.full(vals.shape[1], n),
            vals[i],
            ".",
            color="#1f77b4",
            alpha=0.25,
            ms=3,
            label="one seed" if i == 0 else None,
        )
    mean = vals.mean(1)
    ax.plot(
        ns,
        mean,
        "o-",
        color="#1f77b4",
        label=f"mean over {vals.shape[1]} seeds, fitted slope {d['rate_fit']['slope']:.2f}",
    )
    theory_line(ax, ns, mean[0] * ns[0] / ns, "rate n^-1 (lab's derived P2)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ns, [str(int(n)) for n in ns])
    ax.minorticks_off()
    ax.set(xlabel="n", ylabel="1 - R^2 of phi(X) against Z")
    ax.set_title("identification up to an affine map", loc="right", fontsize=8)
    ax.legend(fontsize=7, loc="lower left")
    panel_label(ax, "(b)")

    ax = axes[1, 0]
    grid = np.asarray(d["grid"])
    ax.axvspan(-1, 1, color="0.92", zorder=0, label="training support of A")
    pred = np.asarray(d["pred"])
    for i, m in enumerate(d["methods"]):
        ci = mean_ci(pred[:, i, :], axis=0)
        ax.plot(grid, ci.mean, color=COLORS[m], lw=1.3, label=LABELS[m])
        ax.fill_between(grid, ci.lo, ci.hi, color=COLORS[m], alpha=0.2, lw=0)
    theory_line(ax, grid, d["truth"], "exact E[Y|do(a)] (lab's derived P0)")
    theory_line(
        ax,
        grid,
        d["plugin_population"],
        "no-CF population limit (lab's derived P4)",
        color="#d62728",
        linewidth=1.0,
        linestyle=":",
    )
    ax.set(xlabel="intervention a", ylabel="E[Y | do(A = a)]", ylim=(-2.9, 2.0))
    ax.set_title(
        f"n = {c['n_curve']}, {c['curve_seeds']} seeds (mean, 95% CI)", loc="right", fontsize=8
    )
    ax.legend(fontsize=5.5, loc="lower center", ncol=2)
    panel_label(ax, "(c)")

    ax = axes[1, 1]
    ns = np.asarray(d["err_ns"], float)
    for i, m in enumerate(d["methods"]):
        e = np.stack([np.asarray(d["err"][str(int(n))])[:, i] for n in ns], axis=1)
        ci = mean_ci(e, axis=0)
        ax.errorbar(
            ns,
            ci.mean,
            yerr=[ci.mean - np.maximum(ci.lo, ci.mean * 1e-2), ci.hi - ci.mean],
            fmt="o-",
            color=COLORS[m],
            capsize=2,
            ms=3,
            label=LABELS[m],
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ns, [str(int(n)) for n in ns])
    ax.minorticks_off()
    ax.set(xlabel="n", ylabel=f"|error| at a* = {c['a_eval']} (outside the support)")
    ax.set_title(
        f"extrapolation error, {c['err_seeds']} seeds (mean, 95% CI)", loc="right", fontsize=8
    )
    ax.legend(fontsize=6)
    panel_label(ax, "(d)")
    return fig


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/rep4ex.md, rendered from the saved JSON."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, c, cl = s["data"], s["config"], s["claims"]
    M = lambda k: cl[f"rep4ex.{k}"]["measured"]  # noqa: E731
    V = lambda k: cl[f"rep4ex.{k}"]["verdict"]  # noqa: E731
    idn, rt, ex, pb = (
        M("identification"),
        M("identification_rate"),
        M("extrapolation"),
        M("plugin_bias"),
    )
    pbt = cl["rep4ex.plugin_bias"]["theory"]
    claims = table(
        ["claim id", "panel", "measured", "verdict"],
        [
            [
                "`rep4ex.identification`",
                "(a), (b)",
                f"population 1 - R^2 = {g(idn['population_one_minus_r2'])}, lambda_2 = "
                f"{g(idn['population_eig2'])}; n = {idn['n']}: mean 1 - R^2 = "
                f"{g(idn['mean_one_minus_r2'])}, mean lambda_2 = {g(idn['mean_eig2'])}",
                V("identification"),
            ],
            [
                "`rep4ex.identification_rate`",
                "(b)",
                f"slope {rt['slope']:.2f} (95% CI [{rt['ci'][0]:.2f}, {rt['ci'][1]:.2f}])",
                V("identification_rate"),
            ],
            [
                "`rep4ex.affine_equivariance`",
                "(c)",
                f"max gap {g(M('affine_equivariance'))}",
                V("affine_equivariance"),
            ],
            [
                "`rep4ex.plugin_bias`",
                "(c)",
                "; ".join(f"a* = {a}: {pb[a]:.3f} (population {pbt[a]:.3f})" for a in pb),
                V("plugin_bias"),
            ],
            [
                "`rep4ex.extrapolation`",
                "(c), (d)",
                f"CF(phi) beats both baselines in {ex['wins']}/{ex['of']} seeds at a* = "
                f"{c['a_eval']}",
                V("extrapolation"),
            ],
        ],
    )
    extra = c["n_curve"] not in d["err_ns"]  # panel (c)'s trials are one of the columns otherwise
    rows = []
    for m in d["methods"]:
        rows.append(
            [LABELS[m]]
            + [
                f"{np.mean(np.asarray(d['err'][str(n)])[:, d['methods'].index(m)]):.3g}"
                for n in d["err_ns"]
            ]
            + ([f"{ex['mean_abs_err'][m]:.3g}"] if extra else [])
        )
    errs = table(
        ["method"]
        + [f"n = {n}" for n in d["err_ns"]]
        + ([f"n = {c['n_curve']} (panel c)"] if extra else []),
        rows,
    )
    r = d["rate"]
    rate = table(
        ["n", "mean 1 - R^2", "mean lambda_1", "mean lambda_2"],
        [
            [
                str(int(n)),
                g(np.mean(r["one_minus_r2"][i])),
                g(np.mean(r["eig1"][i])),
                f"{np.mean(r['eig2'][i]):.3f}",
            ]
            for i, n in enumerate(r["n"])
        ],
    )
    ell = np.asarray(d["ell"])
    return {
        "claims": claims,
        "errors": f"Mean absolute error of E[Y|do(a* = {c['a_eval']})] over seeds:\n\n" + errs,
        "rate": rate + f"\n\nFitted slope {rt['slope']:.2f} (95% CI [{rt['ci'][0]:.2f}, "
        f"{rt['ci'][1]:.2f}]); fitted control coefficient ell (rho = {c['rho']}): "
        f"{ell[:, 0].mean():.3f} on Z, {ell[:, 1].mean():.3f} on phi (phi has variance 1, so "
        "ell on phi is rescaled by the affine map).",
        "run": run_line(s),
    }


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
