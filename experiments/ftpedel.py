"""FTPedel on the rare-context linear MDP: online episodes vs offline data, complexity vs rarity, PAC rate.

The lab's own illustration of Wagenmaker and Pacchiano (arXiv 2211.04974), not a paper figure (the
paper has no experiments). Panels:

(a) online episodes used by FTPedel (known-dynamics "oracle" design, Gaussian rewards) against the
    number ``N`` of offline samples per covered direction on ``rare_context(p)``, with Pedel
    (``N = 0``), FTPedel's own upper envelope and the H = 1 transportation lower bound dashed;
(b) the offline-to-online complexity ``N*_on`` (normalised units, ``level = 1``) against the rarity
    ``p``, online only and with ``N`` offline samples, both numerator forms (theory only);
(c) the empirical PAC failure rate against ``delta`` (with a deliberately under-sampling mutant,
    ``c0 / 100``, to show that the measurement can see failures), and the line ``y = delta``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NAME = "ftpedel"
DESCRIPTION = __doc__.strip().splitlines()[0]


@dataclass(frozen=True)
class Config:
    p: float = 0.01
    eps: float = 1e-3
    delta: float = 0.1
    N_grid: tuple = (0.0, 1e2, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9)
    seeds: int = 48
    n_iter: int = 200
    n_bisect: int = 20
    p_grid: tuple = (1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1)
    eps_b: float = 1e-4
    N_b: float = 1e7
    theory_n_iter: int = 500
    theory_n_bisect: int = 40
    p_c: float = 0.3
    eps_c: float = 0.05
    N_c: float = 1e3
    deltas_c: tuple = (0.02, 0.1, 0.3)
    mutant_scale: float = 1e4
    seed: int = 0


def make_config(args) -> Config:
    if args.quick:
        cfg = Config(
            p=0.05,
            eps=1e-2,
            N_grid=(0.0, 1e3, 1e6),
            seeds=4,
            n_iter=100,
            n_bisect=15,
            p_grid=(0.03, 0.1),
            eps_b=1e-2,
            N_b=1e6,
            theory_n_iter=200,
            theory_n_bisect=25,
            deltas_c=(0.1,),
            eps_c=0.05,
        )
    else:
        cfg = Config()
    if args.seeds is not None:
        cfg = Config(**{**cfg.__dict__, "seeds": args.seeds})
    return cfg


def _offline_cov_expected(mdp, N):
    from unlearnlab.rl import covariate_cov, rare_context_offline_counts

    return covariate_cov(mdp, rare_context_offline_counts(N))


def compute(config: Config, ctx) -> dict:
    import jax
    import jax.numpy as jnp

    from unlearnlab.lab.claims import claim_result
    from unlearnlab.lab.stats import binomial_upper_bound, holds_in_fraction
    from unlearnlab.lab.sweep import run_grid
    from unlearnlab.rl import (
        FTPedelConsts,
        bandit_lower_bound,
        enumerate_policies,
        ftpedel_run,
        ftpedel_upper_bound,
        make_offline_data,
        n_epochs,
        o2o_complexity,
        policy_visitations,
        rare_context,
        rare_context_offline_counts,
        solve_design,
        values,
    )

    cache = ctx.stage_cache(config)
    consts = FTPedelConsts(n_iter=config.n_iter, n_bisect=config.n_bisect)
    pis = jnp.asarray(enumerate_policies(rare_context(config.p)))
    L_max = max(n_epochs(config.eps), n_epochs(config.eps_c))

    # ---- one grid for panels (a) and (c): every point is a rare_context instance (same shapes)
    rows = []
    for N in config.N_grid:
        rows.append(("a", config.p, N, config.eps, config.delta, 1.0))
    for scale in (1.0, config.mutant_scale):  # the mutant runs without offline data
        for d in config.deltas_c:
            rows.append(
                ("c", config.p_c, config.N_c if scale == 1.0 else 0.0, config.eps_c, d, scale)
            )
    mdps = [rare_context(r[1]) for r in rows]
    grid = {
        "mdp": jax.tree.map(lambda *x: jnp.stack(x), *mdps),
        "n_sa": jnp.asarray(np.stack([rare_context_offline_counts(r[2]) for r in rows])),
        "eps": jnp.asarray([r[3] for r in rows]),
        "delta": jnp.asarray([r[4] for r in rows]),
        "scale": jnp.asarray([r[5] for r in rows]),
    }

    def one(key, g):
        k1, k2 = jax.random.split(key)
        off = make_offline_data(k1, g["mdp"], g["n_sa"], "gaussian")
        res = ftpedel_run(
            k2,
            g["mdp"],
            off,
            pis,
            g["eps"],
            g["delta"],
            consts=consts,
            reward_noise="gaussian",
            max_epochs=L_max,
            level_scale=g["scale"],
        )
        V = values(g["mdp"], pis)
        fail = V[res.policy_idx] < jnp.max(V) - g["eps"]
        # good event: |V_hat - V| <= eps_l / 2 on the active set of every epoch that ran
        ran = jnp.arange(L_max) < res.n_epochs
        e_l = 2.0 ** -(jnp.arange(L_max) + 1.0)
        err = jnp.max(jnp.where(res.active[:-1], jnp.abs(res.Vhat - V[None]), 0.0), axis=1)
        good = jnp.all(jnp.where(ran, err <= e_l / 2, True))
        return {
            "n_online": res.n_online,
            "fail": fail,
            "good": good,
            "n_epochs": res.n_epochs,
            "ratio": jnp.max(res.design_ratio),
            "idx": res.policy_idx,
        }

    out = run_grid(
        one, jax.random.PRNGKey(config.seed), grid, config.seeds, **ctx.sweep_kwargs(config, "runs")
    )
    ia = [i for i, r in enumerate(rows) if r[0] == "a"]
    ic = [i for i, r in enumerate(rows) if r[0] == "c"]
    n_on = out["n_online"][:, ia]  # [seeds, n_N]

    # ---- theory for panel (a): upper envelope and lower bound at each N
    mdp_a = rare_context(config.p)
    phis, Lams = policy_visitations(mdp_a, pis)

    L_a = n_epochs(config.eps)
    H_fac = 4.0  # H^2 (H+1)^2 at H = 1
    n_pi = int(pis.shape[0])
    beta_ref = math.log(4 * n_pi * L_a**2 / config.delta) + n_pi * math.log(2.0)
    level_lab = 1.0 / (consts.c0 * H_fac * beta_ref)

    def theory_a():
        up, lb, nstar = [], [], []
        for N in config.N_grid:
            cov = _offline_cov_expected(mdp_a, N)
            r = o2o_complexity(
                mdp_a,
                pis,
                cov,
                config.eps,
                form="abs",
                reduce="sum",
                level=level_lab,
                n_iter=config.theory_n_iter,
                n_bisect=config.theory_n_bisect,
            )
            nstar.append([float(r.T_lo), float(r.T_hi)])
            up.append(float(ftpedel_upper_bound(mdp_a, pis, cov, config.eps, config.delta, consts)))
            lb.append(
                np.asarray(
                    bandit_lower_bound(
                        phis[:, 0],
                        phis[:, 0],
                        mdp_a.theta[0],
                        cov[0],
                        config.delta,
                        config.eps,
                        cov_exp=Lams[:, 0],
                        n_bisect=config.theory_n_bisect,
                        n_iter=config.theory_n_iter,
                    )
                )
            )
        return {"upper": np.asarray(up), "lower": np.asarray(lb), "nstar": np.asarray(nstar)}

    th_a = cache.stage("theory_a", theory_a)

    # ---- panel (b): o2o complexity vs p (normalised units, level = 1)
    def theory_b():
        curves = {}
        for form in ("diff", "abs"):
            for lab, N in (("online", 0.0), ("combined", config.N_b)):
                lo, hi = [], []
                for p in config.p_grid:
                    m = rare_context(p)
                    r = o2o_complexity(
                        m,
                        pis,
                        _offline_cov_expected(m, N),
                        config.eps_b,
                        form=form,
                        n_iter=config.theory_n_iter,
                        n_bisect=config.theory_n_bisect,
                        reg=1e-12,
                    )
                    lo.append(float(r.T_lo))
                    hi.append(float(r.T_hi))
                curves[f"{form}_{lab}"] = np.asarray([lo, hi])
        # closed forms of §3.4 at p = 0.01, eps = 1e-3 (E4)
        m = rare_context(0.01)
        cf = {}
        for form in ("diff", "abs"):
            for lab, N in (("online", 0.0), ("combined", 1e6)):
                r = o2o_complexity(
                    m,
                    pis,
                    _offline_cov_expected(m, N),
                    1e-3,
                    form=form,
                    n_iter=2000,
                    n_bisect=config.theory_n_bisect,
                    reg=1e-12,
                )
                cf[f"{form}_{lab}"] = [float(r.T_lo), float(r.T_hi)]
        # monotonicity of N*_on in N (abs form, the lab's level at eps)
        mono = []
        for N in config.N_grid:
            r = o2o_complexity(
                m,
                pis,
                _offline_cov_expected(m, N),
                1e-3,
                form="abs",
                n_iter=config.theory_n_iter,
                n_bisect=config.theory_n_bisect,
            )
            mono.append([float(r.T_lo), float(r.T_hi)])
        # Kiefer-Wolfowitz certificate (E3): 12 random unit arms in d = 4, optimum d
        X = np.random.default_rng(0).normal(size=(12, 4))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        kw = solve_design(
            1.0, np.einsum("id,ie->ide", X, X), np.zeros((4, 4)), X, np.ones(12), n_iter=2000
        )
        return {
            "curves": curves,
            "closed": cf,
            "mono": np.asarray(mono),
            "kw": [float(kw.lower), float(kw.upper)],
        }

    th_b = cache.stage("theory_b", theory_b)

    # ---- claims
    claims = {}
    p = 0.01
    want = {
        "diff_online": 16 / p,
        "abs_online": 4 * (1 + p) / p**2,
        "diff_combined": 4 / (1 - p),
        "abs_combined": 4 / (1 - p),
    }
    rel = {
        k: max(abs(v[0] / want[k] - 1), abs(v[1] / want[k] - 1)) for k, v in th_b["closed"].items()
    }
    claims["ftpedel.closed_forms"] = claim_result(
        {k: list(v) for k, v in th_b["closed"].items()},
        want,
        max(rel.values()) <= 0.01,
        f"rare_context(0.01), eps=1e-3: both bracket ends within 1% of 16/p, 4(1+p)/p^2, 4/(1-p); "
        f"max rel. error {max(rel.values()):.2e}",
    )
    kw_lo, kw_hi = th_b["kw"]
    claims["ftpedel.design_certificate"] = claim_result(
        {"lower": kw_lo, "upper": kw_hi},
        4.0,
        kw_lo <= 4.0 * (1 + 1e-12)
        and kw_hi >= 4.0 * (1 - 1e-12)
        and kw_hi <= 4.04
        and kw_hi - kw_lo <= 0.1 * kw_hi,
        "Kiefer-Wolfowitz: 12 unit arms in d=4, certified bracket contains d=4, 2000 FW iterations",
    )
    mono = th_b["mono"]
    mono_ok = bool(np.all(mono[1:, 0] <= mono[:-1, 1] * (1 + 1e-9)))
    claims["ftpedel.monotone_offline"] = claim_result(
        mono.tolist(),
        "T_lo(N_{k+1}) <= T_hi(N_k)",
        mono_ok,
        "N*_on (abs form, level 1) over the N grid, certified brackets",
    )
    # PAC (panel c, algorithm, not the mutant)
    fails = out["fail"][:, ic]
    pac = []
    ok_all = True
    for j, i in enumerate(ic):
        d, scale = rows[i][4], rows[i][5]
        f = int(fails[:, j].sum())
        if scale == 1.0:
            ok, kmax = holds_in_fraction(~fails[:, j], 1 - d, 1e-6)
            ok_all &= ok
        pac.append({"delta": d, "scale": scale, "failures": f, "n": int(config.seeds)})
    claims["ftpedel.pac"] = claim_result(
        pac,
        "failure rate <= delta",
        ok_all,
        f"rare_context({config.p_c}), N={config.N_c:g}, eps={config.eps_c}; binomial check at "
        f"false-failure 1e-6 (mutant c0/{config.mutant_scale:g} without offline data reported, "
        "not asserted)",
    )
    n_lb = th_a["lower"][:, 0]
    mean = n_on.mean(0)
    sd = n_on.std(0, ddof=1) if config.seeds > 1 else np.zeros_like(mean)
    lb_ok = bool(np.all(mean - 3 * sd / math.sqrt(config.seeds) >= n_lb))
    claims["ftpedel.lower_bound"] = claim_result(
        {"mean_n_online": mean.tolist(), "T_LB_lo": n_lb.tolist()},
        "mean - 3 sd/sqrt(n) >= T_LB",
        lb_ok,
        "H=1 transportation lower bound (diff form, eps-PAC, random context) vs achieved",
    )
    up_hold = n_on <= th_a["upper"][None]
    up_ok, kmax = holds_in_fraction(up_hold.ravel(), 1 - config.delta, 1e-6)
    claims["ftpedel.upper_envelope"] = claim_result(
        {"violations": int((~up_hold).sum()), "runs": int(up_hold.size)},
        "n_online <= sum_l sum_h T*_h (1+eta)^2 + HL",
        up_ok,
        f"FTPedel's own envelope, eta=0.25; at most {kmax} violations allowed (false-failure 1e-6)",
    )
    med = np.median(n_on, 0)
    claims["ftpedel.offline_gain"] = claim_result(
        {"median_N0": float(med[0]), "median_Nmax": float(med[-1]), "N_max": config.N_grid[-1]},
        "gain Theta(1/p^2) (abs form) as N grows",
        "reported",
        f"Pedel (N=0) median {med[0]:.3g} online episodes; with N={config.N_grid[-1]:g}: "
        f"{med[-1]:.3g}",
    )

    return {
        "rows": [list(r) for r in rows],
        "N_grid": np.asarray(config.N_grid),
        "n_online_a": n_on,
        "fail_a": out["fail"][:, ia],
        "good_a": out["good"][:, ia],
        "ratio_a": out["ratio"][:, ia],
        "upper_a": th_a["upper"],
        "nstar_a": th_a["nstar"],
        "ratio_to_nstar_a": np.median(n_on, 0) / th_a["nstar"][:, 1],
        "level_lab": level_lab,
        "lower_a": th_a["lower"],
        "fail_c": fails,
        "good_c": out["good"][:, ic],
        "n_online_c": out["n_online"][:, ic],
        "deltas_c": np.asarray([rows[i][4] for i in ic]),
        "scales_c": np.asarray([rows[i][5] for i in ic]),
        "fail_upper95_c": np.asarray(
            [
                binomial_upper_bound(int(fails[:, j].sum()), config.seeds, 0.05)
                for j in range(len(ic))
            ]
        ),
        "p_grid": np.asarray(config.p_grid),
        "curves_b": th_b["curves"],
        "closed_forms": th_b["closed"],
        "mono_N": th_b["mono"],
        "design": "oracle (known-dynamics design)",
        "claims": claims,
    }


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    d, c = payload["data"], payload["config"]
    fig, axes = subplots(3, 1, width=3.9, height=3.2)
    ax = axes[0, 0]
    N = np.asarray(d["N_grid"], float)
    x = np.where(N > 0, N, max(N[N > 0].min() / 10, 1.0))
    n_on = np.asarray(d["n_online_a"], float)
    med = np.median(n_on, 0)
    lo, hi = np.percentile(n_on, 10, 0), np.percentile(n_on, 90, 0)
    ax.fill_between(x, lo, hi, alpha=0.25, color="C0", lw=0)
    ax.plot(x, med, "o-", color="C0", label="FTPedel (oracle design), median, 10-90%")
    ax.axhline(med[0], color="C1", ls=":", label="Pedel (online only), median")
    theory_line(ax, x, np.asarray(d["upper_a"]), "FTPedel envelope (lab consts, §5)")
    theory_line(
        ax, x, np.asarray(d["nstar_a"])[:, 1], "N*_on, abs form, lab level (§3.1)", color="C2"
    )
    theory_line(
        ax,
        x,
        np.maximum(np.asarray(d["lower_a"])[:, 1], 1e-1),
        "lower bound (§3.3, H=1, transportation)",
        color="C3",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("offline samples per covered direction N (N=0 at left)")
    ax.set_ylabel("online episodes used")
    ax.annotate(
        "offline only: impossible (∞)\n(e2 never covered offline)",
        xy=(0.97, 0.03),
        xycoords="axes fraction",
        ha="right",
        va="bottom",
        fontsize=7,
    )
    ax.legend(loc="center left", fontsize=6.5)
    panel_label(ax, f"(a) rare context p={c['p']}, ε={c['eps']:g}, δ={c['delta']}")

    ax = axes[0, 1]
    pg = np.asarray(d["p_grid"], float)
    styles = {
        "diff_online": ("C3", "diff, online only"),
        "abs_online": ("C0", "abs, online only"),
        "diff_combined": ("C2", f"diff, + N={c['N_b']:g} offline"),
        "abs_combined": ("C4", f"abs, + N={c['N_b']:g} offline"),
    }
    for k, (col, lab) in styles.items():
        br = np.asarray(d["curves_b"][k], float)
        mk, ms = ("x", 6) if k == "diff_combined" else (".", 5)
        theory_line(ax, pg, br[1], f"N*_on {lab} (§3.1)", color=col, marker=mk, markersize=ms)
    ax.annotate(
        "combined: diff and abs coincide (≈ 4/(1−p))",
        xy=(0.03, 0.1),
        xycoords="axes fraction",
        fontsize=7,
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rarity p of the rare context")
    ax.set_ylabel("N*_on (units of c H^4 β)")
    ax.legend(fontsize=6.5)
    panel_label(ax, f"(b) complexity vs rarity, ε={c['eps_b']:g}")

    ax = axes[0, 2]
    dl = np.asarray(d["deltas_c"], float)
    sc = np.asarray(d["scales_c"], float)
    fails = np.asarray(d["fail_c"], float)
    ub = np.asarray(d["fail_upper95_c"], float)
    for s, col, lab, dx in (
        (1.0, "C0", f"FTPedel, N={c['N_c']:g}", -0.004),
        (c["mutant_scale"], "C1", f"mutant c0/{c['mutant_scale']:g}, N=0", 0.004),
    ):
        m = sc == s
        rate = fails[:, m].mean(0)
        ax.errorbar(
            dl[m] + dx,
            rate,
            yerr=[np.zeros(m.sum()), ub[m] - rate],
            fmt="o-",
            color=col,
            capsize=3,
            label=f"{lab}: failure rate (95% upper)",
        )
    grid = np.linspace(0, max(dl.max(), 0.3) * 1.1, 50)
    theory_line(ax, grid, grid, "y = δ (PAC guarantee)")
    ax.set_xlabel("δ")
    ax.set_ylabel(f"P(V(π̂) < V* − ε) over {n_on.shape[0]} seeds")
    ax.legend(fontsize=6.5)
    panel_label(ax, f"(c) PAC failure rate, p={c['p_c']}, ε={c['eps_c']}")
    fig.suptitle(
        "FTPedel on linear MDPs: the lab's illustration (not a paper figure); "
        "design = known dynamics",
        fontsize=9,
    )
    return fig


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/ftpedel.md, rendered from the saved JSON (``python -m
    experiments report`` rewrites them)."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, c, cl = s["data"], s["config"], s["claims"]
    M = lambda k: cl[f"ftpedel.{k}"]["measured"]  # noqa: E731
    V = lambda k: cl[f"ftpedel.{k}"]["verdict"]  # noqa: E731
    br = lambda x, n=6: f"[{x[0]:.{n}g}, {x[1]:.{n}g}]"  # noqa: E731
    cf = d["closed_forms"]
    p = c["p"]
    rel = max(
        abs(v / w - 1)
        for key, w in (
            ("diff_online", 16 / p),
            ("abs_online", 4 * (1 + p) / p**2),
            ("diff_combined", 4 / (1 - p)),
            ("abs_combined", 4 / (1 - p)),
        )
        for v in cf[key]
    )
    cb, pg = d["curves_b"], list(d["p_grid"])
    e4 = (
        f"E4 (`o2o_complexity`, p = {g(p)}, eps = {g(c['eps'])}, {c['theory_n_iter']} Frank-Wolfe "
        f"iterations, {c['theory_n_bisect']} bisection steps): diff online {br(cf['diff_online'])}; "
        f"abs online {br(cf['abs_online'])} (closed form {4 * (1 + p) / p**2:.6g}); combined "
        f"{br(cf['diff_combined'])} (diff) and {br(cf['abs_combined'], 7)} (abs) vs 4/(1-p) = "
        f"{4 / (1 - p):.7g}. Max relative error {g(rel)}. Panel (b) (eps = {g(c['eps_b'])}, N = "
        f"{g(c['N_b'])}) at p = {g(pg[0])}: diff online {cb['diff_online'][0, 0]:.6g}, abs online "
        f"{g(cb['abs_online'][0, 0], 4)}, combined {cb['abs_combined'][0, 0]:.4g}."
    )
    ra, goodc = d["ratio_a"], d["good_c"][:, d["scales_c"] == 1]
    good = (
        f"Largest realised ratio max_pi norm(phi_hat)^2 / level over all epochs and runs of panel (a): "
        f"**{ra.max():.3f}** (median {np.median(ra):.3f}), below 1.25 in "
        f"{int((ra.max(axis=tuple(range(1, ra.ndim))) < 1.25).sum()) if ra.ndim > 1 else int(ra < 1.25)}"
        f"/{ra.shape[0]} seeds x {ra.shape[1]} offline sizes"
        f"; the good event held in {int(d['good_a'].sum())}/{d['good_a'].size} runs of panel (a) and "
        f"{int(goodc.sum())}/{goodc.size} algorithm runs of panel (c) (lab constants)."
    )
    kw = M("design_certificate")
    kw_s = f"[{kw['lower']:.4f}, {kw['upper']:.4f}] (gap {100 * (kw['upper'] - kw['lower']) / kw['upper']:.2f}%)"
    N = list(d["N_grid"])
    mono = M("monotone_offline")
    pac = M("pac")
    lab_pac = [r for r in pac if r["scale"] == 1]
    mut = [r for r in pac if r["scale"] != 1]
    lb = M("lower_bound")
    up = M("upper_envelope")
    og = M("offline_gain")
    Nt = lambda x: "0" if x == 0 else g(x, 2)  # noqa: E731
    rows = [
        ["`ftpedel.closed_forms`", "(b)", f"max rel. error {g(rel)}", V("closed_forms")],
        [
            "`ftpedel.design_certificate`",
            "(b)",
            f"Kiefer-Wolfowitz {kw_s}, contains 4",
            V("design_certificate"),
        ],
        [
            "`ftpedel.monotone_offline`",
            "(a)",
            "N*_on (abs, level 1, lower ends): "
            + " -> ".join(f"{m[0]:.6g}" for m in mono[:4])
            + f" for N = {', '.join(Nt(x) for x in N[:4])}",
            V("monotone_offline"),
        ],
        [
            "`ftpedel.pac`",
            "(c)",
            f"{'/'.join(str(r['failures']) for r in lab_pac)} failures of {lab_pac[0]['n']} at delta in "
            f"{{{', '.join(g(r['delta']) for r in lab_pac)}}}; mutant c0/{g(mut[0]['scale']) if mut else '-'}: "
            + "/".join(str(r["failures"]) for r in mut),
            V("pac"),
        ],
        [
            "`ftpedel.lower_bound`",
            "(a)",
            f"T_LB = {lb['T_LB_lo'][0]:.0f} (N = 0), {lb['T_LB_lo'][2]:.1f} (N = {Nt(N[2])}) vs FTPedel "
            f"means {g(lb['mean_n_online'][0], 3)} ... {g(lb['mean_n_online'][-1], 3)}",
            V("lower_bound"),
        ],
        [
            "`ftpedel.upper_envelope`",
            "(a)",
            f"{up['violations']}/{up['runs']} violations",
            V("upper_envelope"),
        ],
        [
            "`ftpedel.offline_gain`",
            "(a)",
            f"median online episodes: Pedel {g(og['median_N0'], 3)}; FTPedel N = {Nt(og['N_max'])}: "
            f"{g(og['median_Nmax'], 3)}",
            V("offline_gain"),
        ],
    ]
    med = np.median(d["n_online_a"], 0)
    rn = d["ratio_to_nstar_a"]
    fa = int(d["fail_a"].sum())
    closing = (
        f"Panel (a) (p = {g(p)}, eps = {g(c['eps'])}, delta = {g(c['delta'])}, {c['seeds']} seeds): "
        "median online episodes "
        + ", ".join(f"{g(m, 3)} (N = {Nt(n)})" for n, m in zip(N, med))
        + f"; Pedel / FTPedel at N = {Nt(N[-1])}: a factor {g(med[0] / med[-1], 2)}. FTPedel over "
        f"N*_on (abs form, reduce = sum, level {g(d['level_lab'])}): {rn.min():.1f}-{rn.max():.1f}. "
        f"PAC failures: {fa}/{d['fail_a'].size} in panel (a); panel (c) (p = {g(c['p_c'])}, eps = "
        f"{g(c['eps_c'])}, N = {g(c['N_c'])}): lab constants "
        + "/".join(str(r["failures"]) for r in lab_pac)
        + f" of {lab_pac[0]['n']}, mutant "
        + "/".join(str(r["failures"]) for r in mut)
        + f" of {mut[0]['n'] if mut else 0}.\n\n"
        + run_line(s)
    )
    return {
        "e4": e4,
        "good_event": good,
        "certificate": f"Kiefer-Wolfowitz (12 unit arms, d = 4, optimum 4), certified bracket: {kw_s}.",
        "claims": table(["claim", "panel", "measured", "verdict"], rows),
        "closing": closing,
    }


def main(argv=None):
    from unlearnlab.lab.cli import experiment_main

    return experiment_main(
        name=NAME,
        description=DESCRIPTION,
        make_config=make_config,
        compute=compute,
        plot=plot,
        argv=argv,
    )


if __name__ == "__main__":
    main()
