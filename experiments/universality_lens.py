"""The Universality Lens: exact regret of a mixture learner on an over-parametrised class vs its weight.

Panels (``theory/universality_lens.md``; Feder, Urbanke, Fogel, arXiv:2506.07661): the class
{-1,0,1}^D with the uniform prior, Bernoulli(sigmoid(c s / sqrt(D))) models with s = sum(theta).
(a) the exact cumulative regret R_n(s0) against n for four true s0, with the lab's resolvability
bound B_n dashed, the limit -log w(s0) dotted and log|Theta| = D log 3 in grey; (b) -log w(s0)
against s0 (the "simplicity" of a model is its weight) with R_100 and R_10^4 as dots; (c) the
weight of the KL ball, -log W(eps; s0), against the radius eps: the step function the bound trades
against n eps. Panels (a)-(c) are exact finite sums (no Monte Carlo, no seeds); panel
(d) compares an ensemble of Langevin chains on the continuous relaxation [-1, 1]^D with the exact
predictive of that relaxation (quadrature over the Irwin-Hall density of s).
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.universal import (
    bernoulli_kl,
    group_log_prior,
    group_probs,
    log_ball_weight,
    posterior_predictive,
    regret_curve,
    relaxed_predictive,
    resolvability_bound,
    sgld_predictive,
)

NAME = "universality_lens"
TABLE_NS = (10, 100, 10_000)


@dataclasses.dataclass(frozen=True)
class Config:
    D: int = 20
    c: float = 2.0
    n_max: int = 100_000
    n_points: int = 26
    sgld_ns: tuple = (10, 100, 1000)
    sgld_chains: int = 256
    sgld_steps: int = 2000
    quick: bool = False


def make_config(args) -> Config:
    if args.quick:
        return Config(D=10, n_max=10_000, n_points=13, sgld_chains=64, sgld_steps=300, quick=True)
    return Config()


def _ns(config):
    grid = np.unique(np.round(np.logspace(0, np.log10(config.n_max), config.n_points)).astype(int))
    return np.unique(np.concatenate([[0], grid, TABLE_NS])).astype(np.int64)


def compute(config: Config, ctx) -> dict:
    D = config.D
    lp = group_log_prior(D)
    p = group_probs(D, config.c)
    s_all = np.arange(-D, D + 1)
    nlw = -np.asarray(lp)
    ns = _ns(config)
    shown = sorted({0, D // 4, D // 2, D})
    st = ctx.stage_cache(config)

    def curves():
        out = {}
        for s0 in shown:
            i = s0 + D
            out[str(s0)] = {
                "R": np.asarray(regret_curve(i, ns, lp, p)),
                "B": np.asarray(resolvability_bound(i, ns, lp, p)),
            }
        return out

    cur = st.stage("curves", curves)

    def all_s0():
        mid = np.array([100, 10_000], dtype=np.int64)
        R = np.stack([np.asarray(regret_curve(i, mid, lp, p)) for i in range(2 * D + 1)])
        B = np.stack([np.asarray(resolvability_bound(i, mid, lp, p)) for i in range(2 * D + 1)])
        return {"ns": mid, "R": R, "B": B}

    alls = st.stage("all_s0", all_s0)

    # panel (c): the weight of the KL ball against its radius
    kl_max = float(np.max(np.asarray(bernoulli_kl(np.asarray(p)[D], np.asarray(p)))))
    eps = np.concatenate([[0.0], np.logspace(-4, np.log10(kl_max * 1.05), 300)])
    ball = {str(s0): np.asarray(log_ball_weight(s0 + D, eps, lp, p)) for s0 in shown}

    # panel (d): SGLD ensemble on the relaxed class vs its exact predictive (quadrature)
    def sgld():
        out = {}
        pa = np.asarray(p)
        for j, s0 in enumerate(sorted({0, D // 4})):
            Ks = [int(round(n * pa[s0 + D])) for n in config.sgld_ns]
            res = [
                sgld_predictive(
                    jax.random.fold_in(jax.random.key(7), 10 * j + i),
                    K,
                    int(n),
                    D,
                    config.c,
                    config.sgld_chains,
                    config.sgld_steps,
                    0.2 / (1 + int(n)),
                )
                for i, (K, n) in enumerate(zip(Ks, config.sgld_ns))
            ]
            out[str(s0)] = {
                "K": np.array(Ks),
                "sgld": np.array([float(m) for m, _ in res]),
                "se": np.array([float(e) for _, e in res]),
                "exact": np.array(
                    [
                        float(relaxed_predictive(K, int(n), D, config.c))
                        for K, n in zip(Ks, config.sgld_ns)
                    ]
                ),
                "discrete": np.asarray(
                    posterior_predictive(np.array(Ks), np.array(config.sgld_ns), lp, p)
                ),
            }
        return out

    sg = st.stage("sgld", sgld)

    # --- claims
    gap_rb = max(float(np.max(cur[k]["R"] - cur[k]["B"])) for k in cur)
    gap_rb = max(gap_rb, float(np.max(alls["R"] - alls["B"])))
    min_diff = min(float(np.min(np.diff(cur[k]["R"]))) for k in cur)
    limit_err = {k: float(nlw[int(k) + D] - cur[k]["R"][-1]) for k in cur if abs(int(k)) <= D // 2}
    below_limit = max(float(np.max(cur[k]["R"] - nlw[int(k) + D])) for k in cur)
    half = nlw[D:]
    table = {
        str(s0): {
            str(n): {
                "R": float(cur[str(s0)]["R"][list(ns).index(n)]),
                "B": float(cur[str(s0)]["B"][list(ns).index(n)]),
            }
            for n in TABLE_NS
        }
        for s0 in shown
    }
    log_card = D * float(np.log(3.0))
    claims = {
        "universality_lens.resolvability_bound": claim_result(
            gap_rb,
            1e-10,
            bool(gap_rb <= 1e-10),
            f"max over (s0, n) of R_n - B_n: s0 in {shown} for {len(ns)} n in [0, {config.n_max}], "
            f"and every s0 in [-D, D] at n = 100, 10^4 (D = {D}, c = {config.c})",
        ),
        "universality_lens.monotone_to_limit": claim_result(
            {
                "min_increment": min_diff,
                "max_R_minus_limit": below_limit,
                "limit_gap_at_n_max": limit_err,
            },
            {"min_increment": -1e-12, "limit_gap": 1e-2},
            bool(min_diff >= -1e-12 and below_limit <= 1e-10 and max(limit_err.values()) < 1e-2),
            f"R_n non-decreasing in n, R_n <= -log w(s0), and -log w(s0) - R_{config.n_max} < 0.01 "
            "for |s0| <= D/2",
        ),
        "universality_lens.simplicity_weight": claim_result(
            {
                "minus_log_w": {str(s0): float(nlw[s0 + D]) for s0 in shown},
                "log_card": log_card,
                "gap_to_log_card": {str(s0): log_card - float(nlw[s0 + D]) for s0 in shown},
                "clt_s0_0": 0.5 * float(np.log(4 * np.pi * D / 3)),
            },
            "strictly increasing in |s0|; = D log 3 only at |s0| = D",
            bool(np.all(np.diff(half) > 0) and abs(half[-1] - log_card) < 1e-10),
            "-log w_D(s0) against |s0| and log|Theta| = D log 3",
        ),
    }
    excess = max(float(np.max(np.abs(v["sgld"] - v["exact"]) - 4 * v["se"])) for v in sg.values())
    claims["universality_lens.sgld_matches"] = claim_result(
        excess,
        0.01,
        bool(excess <= 0.01),
        f"max over (s0, n) of |Q_sgld - Q| - 4 SE; {config.sgld_chains} chains x "
        f"{config.sgld_steps} steps, h = 0.2/(1+n), n in {list(config.sgld_ns)}",
    )
    return {
        "sgld": sg,
        "D": D,
        "c": config.c,
        "ns": ns,
        "shown": shown,
        "curves": cur,
        "s_all": s_all,
        "minus_log_w": nlw,
        "log_card": log_card,
        "all_s0": alls,
        "eps": eps,
        "minus_log_W": {k: -v for k, v in ball.items()},
        "table": table,
        "claims": claims,
    }


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    d = payload["data"]
    D = d["D"]
    fig, axes = subplots(4, 1, width=4.0, height=3.3)
    colors = ["#1f77b4", "#2ca02c", "#ff7f0e", "#d62728"]
    ns = np.asarray(d["ns"])
    x = np.maximum(ns, 0.5)

    ax = axes[0, 0]
    for col, s0 in zip(colors, d["shown"]):
        cv = d["curves"][str(s0)]
        ax.plot(x[1:], cv["R"][1:], "-o", color=col, ms=2.5, label=f"exact regret R_n, s0 = {s0}")
        theory_line(ax, x[1:], cv["B"][1:], None, color=col, linewidth=1.1)
        ax.axhline(d["minus_log_w"][s0 + D], color=col, ls=":", lw=1.0)
    ax.plot([], [], "--", color="0.15", label="B_n: lab's resolvability bound (Prop. 1)")
    ax.plot([], [], ":", color="0.15", label="-log w(s0): limit (lab's Prop. 2)")
    ax.axhline(d["log_card"], color="0.6", lw=2.0, alpha=0.6, label="log|Theta| = D log 3")
    ax.set_xscale("log")
    ax.set(xlabel="n (sequence length)", ylabel="cumulative regret D(P^n_s0 || Q) (nats)")
    ax.set_title(f"D = {D}, c = {d['c']}, |Theta| = 3^{D}", loc="right", fontsize=8)
    ax.legend(fontsize=6, loc="upper left")
    panel_label(ax, "(a)")

    ax = axes[0, 1]
    s = np.asarray(d["s_all"])
    theory_line(ax, s, d["minus_log_w"], "-log w_D(s0) (exact; lab's Prop. 3)")
    a = d["all_s0"]
    ax.plot(s, a["R"][:, 0], "o", ms=3, color="#1f77b4", label="exact R_100(s0)")
    ax.plot(s, a["R"][:, 1], "s", ms=3, mfc="none", color="#d62728", label="exact R_10^4(s0)")
    ax.axhline(d["log_card"], color="0.6", lw=2.0, alpha=0.6, label="log|Theta| (uniform bound)")
    ax.set(xlabel="true statistic s0 = sum(theta0)", ylabel="nats")
    ax.set_title("simple = heavy: the weight sets the regret", loc="right", fontsize=8)
    ax.legend(fontsize=6, loc="upper center")
    panel_label(ax, "(b)")

    ax = axes[0, 2]
    eps = np.asarray(d["eps"])
    for col, s0 in zip(colors, d["shown"]):
        ax.step(eps[1:], d["minus_log_W"][str(s0)][1:], where="post", color=col, label=f"s0 = {s0}")
    ax.set_xscale("log")
    ax.set(xlabel="KL radius eps (nats)", ylabel="-log W(eps; s0) (weight of the KL ball)")
    ax.set_title("the paper's 'weight of the hypothesis'", loc="right", fontsize=8)
    ax.legend(fontsize=6)
    panel_label(ax, "(c)")

    ax = axes[0, 3]
    ns_s = np.asarray(payload["config"]["sgld_ns"])
    for col, (s0, v) in zip(colors, d["sgld"].items()):
        theory_line(ax, ns_s, v["exact"], None, color=col, linewidth=1.1)
        ax.errorbar(
            ns_s,
            v["sgld"],
            yerr=2 * v["se"],
            fmt="o",
            ms=4,
            capsize=2,
            color=col,
            label=f"SGLD ensemble, s0 = {s0} (+-2 SE)",
        )
        ax.plot(ns_s, v["discrete"], "x", color=col, ms=6)
    ax.plot([], [], "--", color="0.15", label="exact relaxed predictive (quadrature)")
    ax.plot([], [], "x", color="0.3", label="discrete-class predictive")
    ax.set_xscale("log")
    ax.set(xlabel="n (K = round(n p_s0) ones)", ylabel="Q(x_{n+1} = 1 | x^n)")
    c = payload["config"]
    ax.set_title(f"{c['sgld_chains']} chains x {c['sgld_steps']} steps", loc="right", fontsize=8)
    ax.legend(fontsize=6)
    panel_label(ax, "(d)")
    return fig


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/universality_lens.md, rendered from the saved JSON."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, cl = s["data"], s["claims"]
    rows = []
    for s0 in d["shown"]:
        t = d["table"][str(s0)]
        rows.append(
            [str(s0)]
            + [f"{t[str(n)]['R']:.4f} / {t[str(n)]['B']:.4f}" for n in TABLE_NS]
            + [f"{d['minus_log_w'][s0 + d['D']]:.4f}"]
        )
    res = table(["s0", "n = 10: R / B", "n = 100: R / B", "n = 10^4: R / B", "-log w(s0)"], rows)
    sw = cl["universality_lens.simplicity_weight"]["measured"]
    gap_rows = [
        [
            s0,
            f"{sw['minus_log_w'][s0]:.3f}",
            f"{sw['log_card']:.3f}",
            f"{sw['gap_to_log_card'][s0]:.3f}",
        ]
        for s0 in sw["minus_log_w"]
    ]
    gaps = table(["s0", "-log w(s0)", "log abs(Theta)", "gap"], gap_rows) + (
        f"\n\nLocal-CLT value at s0 = 0: (1/2) log(4 pi D / 3) = {sw['clt_s0_0']:.3f}."
    )
    M = lambda k: cl[f"universality_lens.{k}"]  # noqa: E731
    mono = M("monotone_to_limit")["measured"]
    claims = table(
        ["claim id", "panel", "measured", "verdict"],
        [
            [
                "`universality_lens.resolvability_bound`",
                "(a)",
                f"max (R_n - B_n) = {g(M('resolvability_bound')['measured'])}",
                M("resolvability_bound")["verdict"],
            ],
            [
                "`universality_lens.monotone_to_limit`",
                "(a)",
                f"min increment {g(mono['min_increment'])}; max (R_n + log w) = "
                f"{g(mono['max_R_minus_limit'])}; -log w - R at n_max: "
                + ", ".join(f"s0={k}: {g(v)}" for k, v in mono["limit_gap_at_n_max"].items()),
                M("monotone_to_limit")["verdict"],
            ],
            [
                "`universality_lens.sgld_matches`",
                "(d)",
                f"max (abs(Q_sgld - Q) - 4 SE) = {g(M('sgld_matches')['measured'])} (allowance 0.01)",
                M("sgld_matches")["verdict"],
            ],
            [
                "`universality_lens.simplicity_weight`",
                "(b)",
                "-log w increasing in abs(s0); equals D log 3 at abs(s0) = D",
                M("simplicity_weight")["verdict"],
            ],
        ],
    )
    return {"results": res + "\n\n" + run_line(s), "gaps": gaps, "claims": claims}


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
