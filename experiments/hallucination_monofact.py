"""Calibrated models must hallucinate: hallucination rate vs monofact rate, the Kalai-Vempala bound.

Simulated worlds with exchangeable facts (Zipf weights over m facts, |H| = 1e4 m possible
hallucinations, n training documents); the closed-form Good-Turing model, its mixtures with the MLE
model and the MLE model; every term of Corollary 1 of Kalai & Vempala (arXiv 2311.14648 v3)
computed exactly (theory/hallucination_monofact.md).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

NAME = "hallucination_monofact"


@dataclasses.dataclass(frozen=True)
class Config:
    m: int = 20_000
    n: int = 20_000
    alphas: tuple = tuple(round(0.5 + 0.1 * i, 1) for i in range(16))
    lams: tuple = (0.0, 0.25, 0.5, 0.75, 1.0)
    h_over_f: float = 1e4
    delta: float = 0.1
    seeds: int = 32
    c_smooth: int = 5
    tradeoff_alpha: float = 1.0
    tradeoff_lams: tuple = tuple(round(0.1 * i, 1) for i in range(11))
    upweight_alpha: float = 1.0
    upweight_fracs: tuple = (0.0, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2)
    upweight_copies: int = 4
    equal_mass_b: int = 10
    geometric_eps: float = 0.1
    bias_m: int = 20
    bias_alphas: tuple = (0.0, 0.5, 1.0, 1.5, 2.0)
    bias_seeds: int = 16384
    key: int = 20261128


def make_config(args) -> Config:
    if args.quick:
        cfg = Config(
            m=2000,
            n=2000,
            alphas=(0.6, 1.0, 1.4, 1.8),
            lams=(0.0, 1.0),
            seeds=4,
            tradeoff_lams=(0.0, 0.5, 1.0),
            upweight_fracs=(0.0, 0.05, 0.2),
            bias_alphas=(0.5, 1.0),
            bias_seeds=256,
        )
    else:
        cfg = Config()
    if args.seeds is not None:
        cfg = dataclasses.replace(cfg, seeds=args.seeds)
    return cfg


def _ms(x, axis=0):
    x = np.asarray(x, float)
    return x.mean(axis), x.std(axis, ddof=1) if x.shape[axis] > 1 else np.zeros_like(x.mean(axis))


def _stage_keys(seed):
    """The five stage keys, split from ``jax.random.key(seed)`` in one compiled program (eagerly,
    seeding, splitting and unstacking compiled one each)."""
    import jax

    return jax.jit(lambda: tuple(jax.random.split(jax.random.key(seed), 5)))()


def compute(cfg: Config, ctx) -> dict:

    from unlearnlab.hallucination import missing_mass_deviation, simulate, simulate_upweighting
    from unlearnlab.lab.claims import claim_result
    from unlearnlab.lab.stats import holds_in_fraction, normal_quantile

    k_main, k_trade, k_up, k_part, k_bias = _stage_keys(cfg.key)
    stages = ctx.stage_cache(cfg)
    common = dict(c_smooth=cfg.c_smooth)

    main = stages.stage(
        "main",
        lambda: simulate(
            k_main,
            cfg.m,
            cfg.n,
            cfg.alphas,
            cfg.h_over_f,
            cfg.lams,
            cfg.delta,
            cfg.seeds,
            **common,
            **ctx.sweep_kwargs(cfg, "main"),
        ),
    )
    trade = stages.stage(
        "tradeoff",
        lambda: simulate(
            k_trade,
            cfg.m,
            cfg.n,
            [cfg.tradeoff_alpha],
            cfg.h_over_f,
            cfg.tradeoff_lams,
            cfg.delta,
            cfg.seeds,
            **common,
            **ctx.sweep_kwargs(cfg, "tradeoff"),
        ),
    )
    up = stages.stage(
        "upweighting",
        lambda: simulate_upweighting(
            k_up,
            cfg.m,
            cfg.n,
            cfg.upweight_alpha,
            cfg.h_over_f,
            cfg.upweight_fracs,
            cfg.delta,
            cfg.seeds,
            copies=cfg.upweight_copies,
            **common,
            **ctx.sweep_kwargs(cfg, "upweighting"),
        ),
    )
    parts = {
        "equal_mass": stages.stage(
            "equal_mass",
            lambda: simulate(
                k_part,
                cfg.m,
                cfg.n,
                cfg.alphas,
                cfg.h_over_f,
                [1.0],
                cfg.delta,
                cfg.seeds,
                **common,
                partition="equal_mass",
                b=cfg.equal_mass_b,
                **ctx.sweep_kwargs(cfg, "equal_mass"),
            ),
        ),
        "geometric": stages.stage(
            "geometric",
            lambda: simulate(
                k_part,
                cfg.m,
                cfg.n,
                cfg.alphas,
                cfg.h_over_f,
                [1.0],
                cfg.delta,
                cfg.seeds,
                **common,
                partition="geometric",
                eps=cfg.geometric_eps,
                **ctx.sweep_kwargs(cfg, "geometric"),
            ),
        ),
    }
    bias = stages.stage(
        "bias",
        lambda: simulate(
            k_bias,
            cfg.bias_m,
            cfg.bias_m,
            cfg.bias_alphas,
            1.0,
            [1.0],
            cfg.delta,
            cfg.bias_seeds,
            **common,
            **ctx.sweep_kwargs(cfg, "bias"),
        ),
    )

    lams = np.asarray(cfg.lams)
    gt_j = int(np.argmin(np.abs(lams - 1.0)))
    mle_j = int(np.argmin(np.abs(lams - 0.0)))
    eps_dev = float(missing_mass_deviation(cfg.n, cfg.delta))
    s = math.log(cfg.h_over_f)

    data = {
        "alphas": np.asarray(cfg.alphas),
        "lams": lams,
        "s": s,
        "dev_term": eps_dev,
        "sparsity_term": 3 * math.exp(-s) / cfg.delta,
    }
    for k in ("MF", "MM"):
        data[f"{k}_mean"], data[f"{k}_sd"] = _ms(main[k])
    for k in ("HR", "Miscal", "bound"):
        data[f"{k}_mean"], data[f"{k}_sd"] = _ms(main[k])
    data["absdiff_MF_MM"] = np.abs(main["MF"] - main["MM"])  # [seeds, A]
    for name, r in parts.items():
        data[f"Miscal_{name}_mean"], data[f"Miscal_{name}_sd"] = _ms(r["Miscal"][:, :, 0])
        data[f"bound_{name}_mean"] = r["bound"][:, :, 0].mean(0)
    # (b) trade-off
    data["trade_lams"] = np.asarray(cfg.tradeoff_lams)
    for k in ("HR", "Miscal"):
        data[f"trade_{k}_mean"], data[f"trade_{k}_sd"] = _ms(trade[k][:, 0, :])
    data["trade_MF_mean"] = trade["MF"][:, 0].mean()
    data["trade_MM_mean"] = trade["MM"][:, 0].mean()
    data["trade_rho_mean"] = trade["rho"][:, 0].mean()
    # (c) upweighting
    data["up_fracs"] = np.asarray(cfg.upweight_fracs)
    for k in ("HR", "Miscal", "bound", "dup_share"):
        data[f"up_{k}_mean"], data[f"up_{k}_sd"] = _ms(up[k])
    data["up_MF_mean"] = up["MF"].mean()
    # (f) Good-Turing bias identity on small worlds
    bdiff = bias["MF"] - bias["MM"]
    data["bias_alphas"] = np.asarray(cfg.bias_alphas)
    data["bias_mean"] = bdiff.mean(0)
    data["bias_se"] = bdiff.std(0, ddof=1) / math.sqrt(cfg.bias_seeds)
    data["bias_closed"] = bias["gt_bias"][0]

    # ---- claims ----------------------------------------------------------------------------------
    claims = {}
    holds = main["HR"] >= main["bound"]
    allowed = [
        holds_in_fraction(holds[:, a, j], 1 - cfg.delta, 1.4e-3)
        for a in range(holds.shape[1])
        for j in range(holds.shape[2])
    ]
    claims[f"{NAME}.bound_holds"] = claim_result(
        {"violations": int(np.sum(~holds)), "worlds_x_models": int(holds.size)},
        f"<= {allowed[0][1]} violations of {cfg.seeds} per (alpha, lambda) at delta={cfg.delta}",
        bool(all(ok for ok, _ in allowed)),
        "Corollary 1 bound vs exact HR for every seed, Zipf exponent and mixture weight.",
    )
    gt_bound = data["bound_mean"][:, gt_j]
    pos = np.asarray(cfg.alphas)[gt_bound > 0]
    below = np.asarray(cfg.alphas) <= 1.2 + 1e-9
    claims[f"{NAME}.nonvacuous"] = claim_result(
        {
            "largest_alpha_with_positive_mean_bound": float(pos.max()) if pos.size else None,
            "mean_bound_by_alpha": dict(zip(map(str, cfg.alphas), np.round(gt_bound, 4).tolist())),
        },
        "positive for alpha <~ 1.2 (m = n = 2e4, |H|/|F| = 1e4, delta = 0.1)",
        bool(np.all(gt_bound[below] > 0)) if not ctx.quick else "reported",
        "Good-Turing model (lambda = 1); mean over seeds.",
    )
    hr_gt = main["HR"][:, :, gt_j]
    exact_err = float(np.max(np.abs(hr_gt - main["MF"] * (1 - main["rho"]))))
    claims[f"{NAME}.gt_tightness"] = claim_result(
        {
            "max_abs_HR_minus_MF(1-rho)": exact_err,
            "max_abs_HR_minus_MF": float(np.max(np.abs(hr_gt - main["MF"]))),
        },
        "HR = MF |H|/(|H| + |F ∩ U|) exactly; HR - MF <= MF e^{-s}",
        bool(exact_err < 1e-12),
        "Good-Turing model over every seed and exponent.",
    )
    z = normal_quantile(1 - 6.3e-5 / 2)
    within = np.abs(data["bias_mean"] - data["bias_closed"]) <= z * data["bias_se"]
    claims[f"{NAME}.gt_bias_identity"] = claim_result(
        {"mean_MF_minus_MM": data["bias_mean"].tolist(), "se": data["bias_se"].tolist()},
        {"sum_p2_(1-p)^(n-1)": data["bias_closed"].tolist()},
        bool(np.all(within)),
        f"m = n = {cfg.bias_m}, {cfg.bias_seeds} seeds per exponent; tolerance {z:.2f} SE.",
    )
    conc = data["absdiff_MF_MM"] <= eps_dev
    conc_ok = [
        holds_in_fraction(conc[:, a], 1 - cfg.delta, 1.8e-3)[0] for a in range(conc.shape[1])
    ]
    claims[f"{NAME}.concentration"] = claim_result(
        {
            "fraction_within": float(conc.mean()),
            "max_abs_MF_minus_MM": float(data["absdiff_MF_MM"].max()),
        },
        {"sqrt(6 ln(6/delta)/n)": eps_dev, "target_fraction": 1 - cfg.delta},
        bool(all(conc_ok)),
        "all seeds and exponents of panel (a).",
    )
    mle_hr = float(np.max(np.abs(main["HR"][:, :, mle_j])))
    mle_gap = float(np.min(main["Miscal"][:, :, mle_j] - main["MM"]))
    claims[f"{NAME}.mle_calibration"] = claim_result(
        {"max_HR_mle": mle_hr, "min_Miscal_minus_MM": mle_gap},
        "HR = 0 and Miscal >= MM",
        bool(mle_hr == 0.0 and mle_gap >= -1e-12),
        "MLE model (lambda = 0).",
    )
    floor_main = main["HR"] - (1 - main["rho"][..., None]) * (
        main["MM"][..., None] - main["Miscal"]
    )
    floor_trade = trade["HR"] - (1 - trade["rho"][..., None]) * (
        trade["MM"][..., None] - trade["Miscal"]
    )
    min_slack = float(min(floor_main.min(), floor_trade.min()))
    claims[f"{NAME}.tradeoff_floor"] = claim_result(
        {"min_HR_minus_floor": min_slack},
        "HR >= (1 - rho)(MM - Miscal) for every sample and model (level sets)",
        bool(min_slack >= -1e-12),
        "panels (a) and (b), every seed.",
    )
    hr_up = up["HR"]
    mono = bool(np.all(np.diff(hr_up, axis=1) <= 1e-15))
    i5 = int(np.argmin(np.abs(np.asarray(cfg.upweight_fracs) - 0.05)))
    dmis = up["Miscal"][:, i5] - up["Miscal"][:, 0]
    se = dmis.std(ddof=1) / math.sqrt(dmis.size) if dmis.size > 1 else 0.0
    hr_drop = 1 - data["up_HR_mean"] / data["up_HR_mean"][0]
    claims[f"{NAME}.upweighting"] = claim_result(
        {
            "frac": list(cfg.upweight_fracs),
            "HR_relative_drop": np.round(hr_drop, 4).tolist(),
            "Miscal_mean": np.round(data["up_Miscal_mean"], 4).tolist(),
            "Miscal_increase_at_5pct": float(dmis.mean()),
        },
        "HR falls (up to 40% in Miao & Kearns) while Miscal rises; GT LM: drop = r f / (1 + r f)",
        bool(mono and dmis.mean() > 4 * se),
        f"a share of documents (those of the most frequent facts) repeated {cfg.upweight_copies}x; HR "
        f"non-increasing in every seed; Miscal rise at {cfg.upweight_fracs[i5]:.0%} > 4 SE (paired).",
    )
    data["claims"] = claims
    return data


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    d, cfg = payload["data"], payload["config"]
    fig, axes = subplots(3, 2, width=4.2, height=3.4)  # 3 columns x 2 rows
    lams = np.asarray(d["lams"])
    mf = np.asarray(d["MF_mean"])

    # (a) HR vs MF
    ax = axes[0, 0]
    for j, lam in enumerate(lams):
        lab = {1.0: "Good-Turing LM (λ=1)", 0.0: "MLE LM (λ=0)"}.get(
            float(lam), f"mixture λ={lam:g}"
        )
        ax.errorbar(mf, d["HR_mean"][:, j], yerr=d["HR_sd"][:, j], marker="o", ms=3, label=lab)
    gt_j = int(np.argmin(np.abs(lams - 1.0)))
    theory_line(
        ax,
        mf,
        d["bound_mean"][:, gt_j],
        f"paper's Cor. 1 [secondary] bound (δ={cfg['delta']}), GT LM",
    )
    lim = [0, float(mf.max()) * 1.05]
    ax.plot(lim, lim, ":", color="0.5", label="y = x")
    ax.axhline(0, color="0.3", lw=0.6)
    for a, x in zip(d["alphas"], mf):
        if round(float(a), 1) not in (0.5, 0.8, 1.0, 1.2, 1.5):
            continue
        ax.annotate(
            f"α={a:g}",
            (x, 0),
            textcoords="offset points",
            xytext=(0, -11),
            fontsize=6,
            ha="center",
            color="0.35",
        )
    ax.set_xlabel("monofact rate  MF = N₁/n")
    ax.set_ylabel("hallucination rate  g(H)")
    ax.set_title(f"HR vs MF over Zipf α ∈ [{d['alphas'][0]:g}, {d['alphas'][-1]:g}]", fontsize=8)
    panel_label(ax, "(a)")
    ax.legend(loc="upper left")

    # (b) trade-off
    ax = axes[0, 1]
    ax.errorbar(
        d["trade_Miscal_mean"],
        d["trade_HR_mean"],
        xerr=d["trade_Miscal_sd"],
        yerr=d["trade_HR_sd"],
        marker="o",
        ms=3,
        label="mixtures λ = 0 … 1",
    )
    for lam, x, y in zip(d["trade_lams"], d["trade_Miscal_mean"], d["trade_HR_mean"]):
        if lam in (0.0, 0.5, 1.0):
            ax.annotate(f"λ={lam:g}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    xs = np.linspace(0, max(d["trade_Miscal_mean"]) * 1.05, 50)
    theory_line(
        ax,
        xs,
        d["trade_MF_mean"] - xs,
        "HR = MF − Miscal (paper's Cor. 1 [secondary], leading terms)",
    )
    ax.plot(
        xs,
        (1 - d["trade_rho_mean"]) * (d["trade_MM_mean"] - xs),
        ":",
        color="C1",
        label="derived floor (1−ρ)(MM − Miscal)",
    )
    ax.set_xlabel("miscalibration (level sets, TV)")
    ax.set_ylabel("hallucination rate")
    ax.set_title(f"trade-off at α={cfg['tradeoff_alpha']:g}", fontsize=8)
    panel_label(ax, "(b)")
    ax.legend(loc="lower left")

    # (c) upweighting
    ax = axes[0, 2]
    x = 100 * np.asarray(d["up_fracs"])
    ax.errorbar(
        x,
        d["up_HR_mean"],
        yerr=d["up_HR_sd"],
        marker="o",
        ms=3,
        label="HR (GT LM on upweighted data)",
    )
    ax.errorbar(x, d["up_Miscal_mean"], yerr=d["up_Miscal_sd"], marker="s", ms=3, label="Miscal")
    theory_line(ax, x, d["up_bound_mean"], "paper's Cor. 1 [secondary] bound")
    ax.axhline(d["up_MF_mean"], color="0.5", ls=":", label="MF of the original data")
    ax.set_xlabel("share of training documents repeated (%)")
    ax.set_ylabel("rate")
    ax.set_title(
        f"upweighting: top facts' docs ×{1 + cfg['upweight_copies']}, α={cfg['upweight_alpha']:g}",
        fontsize=8,
    )
    panel_label(ax, "(c)")
    ax.legend(loc="lower left")

    # (d) three partitions
    ax = axes[1, 0]
    al = np.asarray(d["alphas"])
    ax.errorbar(
        al,
        d["Miscal_mean"][:, gt_j],
        yerr=d["Miscal_sd"][:, gt_j],
        marker="o",
        ms=3,
        label="level sets (default)",
    )
    ax.errorbar(
        al,
        d["Miscal_equal_mass_mean"],
        yerr=d["Miscal_equal_mass_sd"],
        marker="s",
        ms=3,
        label=f"equal mass, b={cfg['equal_mass_b']}",
    )
    ax.errorbar(
        al,
        d["Miscal_geometric_mean"],
        yerr=d["Miscal_geometric_sd"],
        marker="^",
        ms=3,
        label=f"geometric, ε={cfg['geometric_eps']}",
    )
    ax.set_xlabel("Zipf exponent α")
    ax.set_ylabel("miscalibration of the GT LM")
    ax.set_title("GT LM miscalibration under the three bin rules", fontsize=8)
    panel_label(ax, "(d)")
    ax.legend()

    # (e) concentration
    ax = axes[1, 1]
    diffs = np.asarray(d["absdiff_MF_MM"])
    for i in range(diffs.shape[0]):
        ax.plot(
            al,
            diffs[i],
            ".",
            color="C0",
            ms=2,
            alpha=0.4,
            label="|MF − MM|, one seed" if i == 0 else None,
        )
    theory_line(
        ax,
        al,
        np.full_like(al, d["dev_term"]),
        f"√(6 ln(6/δ)/n) (paper's Cor. 1 [secondary], δ={cfg['delta']})",
    )
    ax.set_yscale("log")
    ax.set_xlabel("Zipf exponent α")
    ax.set_ylabel("|MF − MM|")
    ax.set_title(f"Good-Turing concentration, n={cfg['n']}", fontsize=8)
    panel_label(ax, "(e)")
    ax.legend(loc="lower left")

    # (f) bias identity
    ax = axes[1, 2]
    ba = np.asarray(d["bias_alphas"])
    ax.errorbar(
        ba,
        d["bias_mean"],
        yerr=2 * np.asarray(d["bias_se"]),
        marker="o",
        ms=3,
        ls="none",
        label=f"mean MF − MM ± 2 SE ({cfg['bias_seeds']} seeds)",
    )
    theory_line(ax, ba, d["bias_closed"], "Σ p²(1−p)ⁿ⁻¹ (derived, exact)")
    ax.set_xlabel("Zipf exponent α")
    ax.set_ylabel("E[MF] − E[MM]")
    ax.set_title(f"Good-Turing bias, m = n = {cfg['bias_m']}", fontsize=8)
    panel_label(ax, "(f)")
    ax.legend()
    fig.suptitle(
        "Calibrated LMs must hallucinate: Kalai & Vempala (2024), simulated exactly "
        f"(m = n = {cfg['m']}, |H|/|F| = {cfg['h_over_f']:g})",
        fontsize=9,
    )
    return fig


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/hallucination_monofact.md, rendered from the saved JSON
    (``python -m experiments report`` rewrites them)."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, c, cl = s["data"], s["config"], s["claims"]
    al, lams = list(d["alphas"]), list(d["lams"])
    j1, jh, j0 = lams.index(1.0), lams.index(0.5), lams.index(0.0)
    a1 = int(np.argmin(np.abs(np.asarray(al) - 1.0)))
    M = lambda k: cl[f"hallucination_monofact.{k}"]["measured"]  # noqa: E731
    V = lambda k: cl[f"hallucination_monofact.{k}"]["verdict"]  # noqa: E731
    x4 = lambda v: f"{float(v):.4f}"  # noqa: E731
    sg = lambda v: f"{float(v):+.4f}"  # noqa: E731
    up = M("upweighting")
    i5 = up["frac"].index(0.05) if 0.05 in up["frac"] else len(up["frac"]) // 2
    claims = [
        f"- `bound_holds` {V('bound_holds')}: {M('bound_holds')['violations']} violations in "
        f"{M('bound_holds')['worlds_x_models']} world x model pairs.",
        f"- `nonvacuous` {V('nonvacuous')}: mean bound > 0 up to alpha = "
        f"{g(M('nonvacuous')['largest_alpha_with_positive_mean_bound'])}.",
        f"- `gt_tightness` {V('gt_tightness')}: max abs(HR - MF(1-rho)) = "
        f"{g(M('gt_tightness')['max_abs_HR_minus_MF(1-rho)'])}; max abs(HR - MF) = "
        f"{g(M('gt_tightness')['max_abs_HR_minus_MF'])}.",
        f"- `gt_bias_identity` {V('gt_bias_identity')}: largest deviation "
        f"{max(abs(m - k) / e for m, k, e in zip(d['bias_mean'], d['bias_closed'], d['bias_se'])):.2f} SE "
        f"over the {len(d['bias_alphas'])} exponents (tolerance 4 SE).",
        f"- `concentration` {V('concentration')}: fraction within "
        f"{d['dev_term']:.3f}: {g(M('concentration')['fraction_within'])} "
        f"(max |MF - MM| {x4(M('concentration')['max_abs_MF_minus_MM'])}).",
        f"- `mle_calibration` {V('mle_calibration')}: max HR of the MLE model "
        f"{g(M('mle_calibration')['max_HR_mle'])}; min(Miscal - MM) = "
        f"{g(M('mle_calibration')['min_Miscal_minus_MM'], 1)}.",
        f"- `tradeoff_floor` {V('tradeoff_floor')}: min slack "
        f"{g(M('tradeoff_floor')['min_HR_minus_floor'], 1)}.",
        f"- `upweighting` {V('upweighting')}: at {100 * up['frac'][i5]:g}% repeated x"
        f"{c['upweight_copies']}, HR {-100 * up['HR_relative_drop'][i5]:+.1f}% and Miscal "
        f"{up['Miscal_mean'][i5] - up['Miscal_mean'][0]:+.3f}.",
    ]
    obs = (
        f"At alpha = {g(al[a1])} the Good-Turing model has level-set Miscal "
        f"{d['Miscal_mean'][a1, j1]:.3f}, equal-mass (b = {c['equal_mass_b']}) Miscal "
        f"{d['Miscal_equal_mass_mean'][a1]:.3f} and geometric (eps = {g(c['geometric_eps'])}) Miscal "
        f"{d['Miscal_geometric_mean'][a1]:.3f}."
    )
    rows = []
    for i, a in enumerate(al):
        rows.append(
            [
                f"{a:.1f}",
                x4(d["MF_mean"][i]),
                x4(d["MM_mean"][i]),
                x4(d["HR_mean"][i, j1]),
                x4(d["Miscal_mean"][i, j1]),
                sg(d["bound_mean"][i, j1]),
                x4(d["Miscal_equal_mass_mean"][i]),
                x4(d["Miscal_geometric_mean"][i]),
                x4(d["HR_mean"][i, jh]),
                x4(d["Miscal_mean"][i, jh]),
                sg(d["bound_mean"][i, jh]),
                x4(d["Miscal_mean"][i, j0]),
            ]
        )
    tab = [
        f"Default run: m = n = {c['n']}, |H|/|F| = {g(c['h_over_f'])}, delta = {g(c['delta'])}, "
        f"{c['seeds']} seeds, means. GT = Good-Turing model (lambda = 1).",
        "",
        table(
            [
                "alpha",
                "MF",
                "MM",
                "HR (GT)",
                "Miscal (GT)",
                "bound (GT)",
                f"Miscal GT, equal-mass b={c['equal_mass_b']}",
                f"Miscal GT, geometric eps={g(c['geometric_eps'])}",
                "HR lambda=0.5",
                "Miscal lambda=0.5",
                "bound lambda=0.5",
                "Miscal MLE",
            ],
            rows,
        ),
        "",
        f"The bound (GT) is non-vacuous for alpha <= "
        f"{g(M('nonvacuous')['largest_alpha_with_positive_mean_bound'])}. Largest |MF - MM| over "
        f"all seeds and exponents {x4(M('concentration')['max_abs_MF_minus_MM'])}; mean rho "
        f"{g(d['trade_rho_mean'])} at alpha = {g(c['tradeoff_alpha'])}.",
    ]
    th = d["trade_HR_mean"]
    tm = d["trade_Miscal_mean"]
    fr = [100 * x for x in d["up_fracs"]]
    hr, mi, bd = d["up_HR_mean"], d["up_Miscal_mean"], d["up_bound_mean"]
    neg = [f for f, b in zip(fr, bd) if b <= 0]
    panels = [
        f"Panel (b), alpha = {g(c['tradeoff_alpha'])}, lambda = "
        f"{', '.join(g(x) for x in d['trade_lams'])}: HR {th[0]:.3f} -> {th[-1]:.3f} while level-set "
        f"Miscal {tm[0]:.3f} -> {tm[-1]:.3f}.",
        "",
        f"Panel (c), alpha = {g(c['upweight_alpha'])}, repeated share f = "
        f"{', '.join(f'{x:g}' for x in fr)} % (x{c['upweight_copies']} extra copies): HR "
        + ", ".join(f"{x:.3f}" for x in hr)
        + " (relative drops "
        + ", ".join(f"{100 * (1 - x / hr[0]):.1f}" for x in hr[1:])
        + " %), Miscal "
        + ", ".join(f"{x:.3f}" for x in mi)
        + (f"; the bound is vacuous from f = {neg[0]:g} %." if neg else "."),
        "",
        f"Panel (f), m = n = {c['bias_m']}, {c['bias_seeds']} seeds: mean MF - MM (+- SE) vs the "
        "closed form:",
        "",
        table(
            ["alpha"] + [g(x) for x in d["bias_alphas"]],
            [
                ["mean MF - MM"]
                + [f"{m:.4f} ± {e:.4f}" for m, e in zip(d["bias_mean"], d["bias_se"])],
                ["sum p^2 (1-p)^(n-1)"] + [x4(x) for x in d["bias_closed"]],
            ],
        ),
        "",
        run_line(s) + f" Total CPU {s['manifest']['timings']['total_cpu_s']:.1f} s.",
    ]
    return {
        "claims": "\n".join(claims),
        "observation": obs,
        "table": "\n".join(tab),
        "panels": "\n".join(panels),
    }


def main(argv=None):
    from unlearnlab.lab.cli import experiment_main

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
