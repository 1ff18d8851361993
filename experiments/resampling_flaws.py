"""Resampling with an imperfect verifier: the accuracy ceiling, utility against K, and the optimal K.

Panels (``theory/resampling_flaws.md``): (a) a synthetic version of Fig. 1a of Stroebl et al.
(arXiv:2411.17501): the infinite-resampling accuracy ceiling against single-sample accuracy for 12
models with Beta-distributed task difficulty and a verifier of soundness 0.75; (b) expected utility
U(K) for false-positive costs C in {0, 0.7, 1, 2, 4, 8} with the notebook's two task types, the
exact curve dashed, K* marked and Monte Carlo points overlaid; (c) accuracy against K converging to
the ceiling.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.lab.sweep import run_seeds
from unlearnlab.verifiers import (
    accuracy_at_k,
    accuracy_ceiling,
    expected_utility,
    mc_outcomes,
    optimal_k,
    optimal_k_two_type,
    simulate_resampling,
)

NAME = "resampling_flaws"

# the authors' model-notebook parameters: easy / hard task types
R_NB = (0.87, 0.13)
PRIOR_NB = (0.58, 0.42)
C_NB, S_NB = 1.0, 0.75
COSTS = (0.0, 0.7, 1.0, 2.0, 4.0, 8.0)


@dataclasses.dataclass(frozen=True)
class Config:
    n_models: int = 12
    tasks_per_model: int = 2000
    beta_concentration: float = 2.0
    s_models: float = 0.75
    mc_tasks: int = 100_000
    mc_chunks: int = 10
    k_max: int = 50
    seed: int = 0
    quick: bool = False


def make_config(args) -> Config:
    if args.quick:
        return Config(tasks_per_model=500, mc_tasks=10_000, mc_chunks=2, k_max=20, quick=True)
    return Config()


def _fig1a(config):
    """Models with mean single-sample accuracy m_i; task difficulty r ~ Beta(m k, (1 - m) k)."""
    rng = np.random.default_rng(config.seed)
    means = np.linspace(0.2, 0.9, config.n_models)
    k = config.beta_concentration
    single, ceil, acc10 = [], [], []
    for m in means:
        r = rng.beta(m * k, (1 - m) * k, size=config.tasks_per_model)
        single.append(r.mean())
        ceil.append(float(np.mean(accuracy_ceiling(r, 1.0, config.s_models))))
        acc10.append(float(np.mean(accuracy_at_k(r, 1.0, config.s_models, 3))))
    return {
        "mean_r": means,
        "single": np.array(single),
        "ceiling": np.array(ceil),
        "acc_k3": np.array(acc10),
    }


def _mc(config, ctx):
    r, prior = jnp.asarray(R_NB), jnp.asarray(PRIOR_NB)
    n = config.mc_tasks // config.mc_chunks

    def fn(key):
        sim = simulate_resampling(key, r, C_NB, S_NB, prior, config.k_max, n)
        return {
            "type": sim["type"],
            "first_accept": sim["first_accept"],
            "accepted_correct": sim["accepted_correct"],
        }

    out = run_seeds(
        fn, jax.random.key(config.seed + 1), config.mc_chunks, **ctx.sweep_kwargs(config, "mc")
    )
    sim = {k: jnp.asarray(v.reshape(-1)) for k, v in out.items()}
    Ks = np.arange(1, config.k_max + 1)
    outcomes = jax.jit(lambda cost: mc_outcomes(sim, Ks, cost))  # one compile for every cost
    res = {}
    for C in COSTS:
        res[str(C)] = {k: np.asarray(v) for k, v in outcomes(C).items()}
    # per-type accuracy for panel (c), from the same simulated tasks
    per_type = []
    first, ok, typ = (np.asarray(sim[k]) for k in ("first_accept", "accepted_correct", "type"))
    for t in range(2):
        hit = (first[typ == t][None, :] < Ks[:, None]) & ok[typ == t][None, :]
        per_type.append({"acc": hit.mean(1), "acc_se": hit.std(1) / np.sqrt(hit.shape[1])})
    return {"Ks": Ks, "by_cost": res, "per_type": per_type, "n": int(sim["type"].shape[0])}


def compute(config: Config, ctx) -> dict:
    st = ctx.stage_cache(config)
    fig1a = st.stage("fig1a", lambda: _fig1a(config))
    mc = st.stage("mc", lambda: _mc(config, ctx))
    r, prior = np.asarray(R_NB), np.asarray(PRIOR_NB)
    Ks = np.arange(0, config.k_max + 1)
    Kj = jnp.asarray(Ks)
    U = {
        str(C): np.asarray(
            jax.vmap(lambda K, C=C: expected_utility(K, r, C_NB, S_NB, prior, C))(Kj)
        )
        for C in COSTS
    }
    acc_type = np.asarray(jax.vmap(lambda K: accuracy_at_k(r, C_NB, S_NB, K))(Kj))  # [K+1, 2]
    ceil = np.asarray(accuracy_ceiling(r, C_NB, S_NB))
    kstar = {}
    for C in COSTS:
        k_grid = int(optimal_k(r, C_NB, S_NB, prior, C, config.k_max))
        m = r * C_NB - C * (1 - r) * (1 - S_NB)
        if m.max() > 0 > m.min():
            k2, x = optimal_k_two_type(r, C_NB, S_NB, prior, C)
            kstar[str(C)] = {"k_grid": k_grid, "k_closed": int(k2), "x": float(x)}
        else:
            kstar[str(C)] = {"k_grid": k_grid, "k_closed": None, "x": None}

    # --- claims
    zmax = 0.0
    for C in COSTS:
        o = mc["by_cost"][str(C)]
        zu = np.abs(o["utility"] - U[str(C)][1:]) / np.maximum(o["utility_se"], 1e-300)
        zmax = max(zmax, float(zu.max()))
    o = mc["by_cost"]["1.0"]
    za = np.abs(o["acc"] - acc_type[1:] @ prior) / o["acc_se"]
    zmax = max(zmax, float(za.max()))
    n_checks = len(COSTS) * config.k_max + config.k_max
    expect = {"0.7": 3, "1.0": 2, "2.0": 1}
    ks_ok = all(
        kstar[c]["k_grid"] == v and kstar[c]["k_closed"] == v
        for c, v in expect.items()
        if int(config.k_max) >= v
    )
    acc_far = np.asarray(accuracy_at_k(r, C_NB, S_NB, 500))
    mono = bool(np.all(np.diff(acc_type, axis=0) >= -1e-15))
    top = float(fig1a["single"].max())
    below = int(np.sum(fig1a["ceiling"] < top))
    claims = {
        "resampling_flaws.k_star": claim_result(
            {c: kstar[c] for c in expect},
            expect,
            bool(ks_ok),
            "grid argmax over K in 0..k_max and the two-type closed form ceil(x)",
        ),
        "resampling_flaws.mc_utility": claim_result(
            zmax,
            4.5,
            bool(zmax <= 4.5),
            f"max |z| of MC vs exact U(K) (6 costs) and Acc(K), K = 1..{config.k_max}, "
            f"{mc['n']} simulated tasks; {n_checks} correlated checks at 4.5 sigma "
            f"(false-failure rate <= {n_checks * 6.8e-6:.1e})",
        ),
        "resampling_flaws.ceiling": claim_result(
            {
                "max_gap_K500": float(np.abs(acc_far - ceil).max()),
                "ceiling": ceil.tolist(),
                "mixture_ceiling": float(prior @ ceil),
            },
            1e-6,
            bool(mono and np.abs(acc_far - ceil).max() < 1e-6),
            "Acc(K) non-decreasing and |Acc(500) - ceiling| < 1e-6 per type",
        ),
        "resampling_flaws.weak_cannot_match": claim_result(
            {"models_below_cutoff": below, "of": config.n_models, "cutoff": top},
            None,
            "reported",
            "models whose infinite-resampling ceiling is below the strongest model's single-sample "
            "accuracy (synthetic, s = 0.75, c = 1)",
        ),
    }
    return {
        "fig1a": fig1a,
        "mc": mc,
        "U_exact": U,
        "acc_exact": acc_type,
        "ceiling": ceil,
        "k_star": kstar,
        "costs": list(COSTS),
        "claims": claims,
    }


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    d, c = payload["data"], payload["config"]
    fig, axes = subplots(3, 1, width=4.0, height=3.3)

    ax = axes[0, 0]
    f = d["fig1a"]
    ax.plot(f["single"], f["ceiling"], "o", color="#1f77b4", label="ceiling, K = infinity")
    ax.plot(f["single"], f["acc_k3"], "s", color="#2ca02c", ms=3, label="accuracy at K = 3")
    lim = np.array([0.0, 1.0])
    theory_line(ax, lim, lim, "no resampling (K = 1)", linewidth=0.8)
    top = float(np.max(f["single"]))
    ax.axhline(top, color="#d62728", lw=1.0, label=f"strongest model's K = 1 accuracy ({top:.2f})")
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.02),
        xlabel="single-sample accuracy E[r]",
        ylabel="accuracy with resampling",
    )
    ax.set_title(
        f"synthetic Fig. 1a: {c['n_models']} models, s={c['s_models']}, c=1",
        loc="right",
        fontsize=8,
    )
    ax.legend(fontsize=6.5, loc="lower right")
    panel_label(ax, "(a)")

    ax = axes[0, 1]
    Ks = np.arange(0, c["k_max"] + 1)
    mc = d["mc"]
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    pick = np.array([k for k in (1, 2, 3, 5, 10, 20, 35, 50) if k <= c["k_max"]])
    for col, C in zip(colors, d["costs"]):
        U = d["U_exact"][str(C)]
        theory_line(ax, Ks[1:], U[1:], None, color=col, linewidth=1.1)
        o = mc["by_cost"][str(C)]
        ax.errorbar(
            pick,
            o["utility"][pick - 1],
            yerr=2 * o["utility_se"][pick - 1],
            fmt="o",
            color=col,
            ms=3,
            capsize=1.5,
            label=f"C = {C} (K* = {d['k_star'][str(C)]['k_grid']})",
        )
        ks = d["k_star"][str(C)]["k_grid"]
        if ks >= 1:
            ax.plot([ks], [U[ks]], "*", color=col, ms=11, mec="k", mew=0.5, zorder=6)
    ax.plot([], [], "--", color="0.15", label="exact U(K) (lab's derived Prop. 2)")
    ax.plot([], [], "*", color="0.5", mec="k", ms=9, label="K* (argmax)")
    ax.set_xscale("log")
    ax.set(xlabel="K (max attempts, first accept)", ylabel="expected utility U(K)")
    ax.set_title("U(K): +1 correct, -C false positive, 0 abstain", loc="right", fontsize=8)
    ax.legend(fontsize=6, ncol=2)
    panel_label(ax, "(b)")

    ax = axes[0, 2]
    acc = d["acc_exact"]
    prior = np.asarray(PRIOR_NB)
    names = ["easy type (r = 0.87)", "hard type (r = 0.13)"]
    cols = ["#1f77b4", "#d62728"]
    for t in range(2):
        ax.plot(Ks, acc[:, t], color=cols[t], label=names[t])
        o = mc["per_type"][t]
        ax.errorbar(
            pick,
            o["acc"][pick - 1],
            yerr=2 * o["acc_se"][pick - 1],
            fmt="o",
            color=cols[t],
            ms=3,
            capsize=1.5,
        )
        theory_line(
            ax,
            Ks,
            np.full(len(Ks), d["ceiling"][t]),
            "ceiling r c / (r c + (1-r)(1-s))" if t == 0 else None,
            linewidth=1.0,
        )
    ax.plot(Ks, acc @ prior, color="0.3", label="mixture")
    o = mc["by_cost"]["1.0"]
    ax.errorbar(
        pick,
        o["acc"][pick - 1],
        yerr=2 * o["acc_se"][pick - 1],
        fmt="o",
        color="0.3",
        ms=3,
        capsize=1.5,
        label=f"Monte Carlo ({mc['n']} tasks, +-2 SE)",
    )
    theory_line(ax, Ks, np.full(len(Ks), float(prior @ d["ceiling"])), None, linewidth=1.0)
    ax.set(xlabel="K (max attempts)", ylabel="accuracy", ylim=(0, 1.02))
    ax.set_title("Acc(K) saturates at the ceiling (c=1, s=0.75)", loc="right", fontsize=8)
    ax.legend(fontsize=6, loc="lower right")
    panel_label(ax, "(c)")
    return fig


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/resampling_flaws.md, rendered from the saved JSON (``python -m
    experiments report`` rewrites them)."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, c, cl = s["data"], s["config"], s["claims"]
    rows = []
    for cost in d["costs"]:
        k = d["k_star"][str(cost)]
        U = d["U_exact"][str(cost)]
        kg = k["k_grid"]
        grid = (
            f"{kg} (= k_max; U increasing)"
            if kg == c["k_max"]
            else (f"{kg} (abstain)" if kg == 0 else str(kg))
        )
        rows.append(
            [
                g(cost),
                grid,
                "n/a" if k["k_closed"] is None else str(k["k_closed"]),
                "-" if k["x"] is None else f"{k['x']:.3f}",
                ", ".join(f"{u:.4f}" for u in U[1:4]),
            ]
        )
    M = lambda k: cl[f"resampling_flaws.{k}"]["measured"]  # noqa: E731
    V = lambda k: cl[f"resampling_flaws.{k}"]["verdict"]  # noqa: E731
    ce = M("ceiling")
    ceil = f"{ce['ceiling'][0]:.3f} (easy), {ce['ceiling'][1]:.3f} (hard), {ce['mixture_ceiling']:.3f} (mixture)"
    ks = M("k_star")
    n_checks = len(d["costs"]) * len(d["mc"]["Ks"]) + len(d["mc"]["Ks"])
    claims = table(
        ["claim id", "panel", "measured", "verdict"],
        [
            [
                "`resampling_flaws.k_star`",
                "(b)",
                "K* = "
                + ", ".join(str(v["k_grid"]) for v in ks.values())
                + " for C = "
                + ", ".join(g(float(k)) for k in ks)
                + " (x = "
                + ", ".join(f"{v['x']:.3f}" for v in ks.values())
                + ")",
                V("k_star"),
            ],
            [
                "`resampling_flaws.mc_utility`",
                "(b), (c)",
                f"max abs(z) = {M('mc_utility'):.2f} over {n_checks} (cost, K) checks, "
                f"{g(d['mc']['n'])} tasks",
                V("mc_utility"),
            ],
            [
                "`resampling_flaws.ceiling`",
                "(c)",
                f"abs(Acc(500) - ceiling) = {g(ce['max_gap_K500'])}; ceilings {ceil}",
                V("ceiling"),
            ],
            [
                "`resampling_flaws.weak_cannot_match`",
                "(a)",
                f"{M('weak_cannot_match')['models_below_cutoff']} of the "
                f"{M('weak_cannot_match')['of'] - 1} weaker models have a ceiling below the strongest "
                f"model's single-sample accuracy {M('weak_cannot_match')['cutoff']:.3f}",
                V("weak_cannot_match"),
            ],
        ],
    )
    f1 = d["fig1a"]
    cut = float(f1["single"][-1])
    above = [i for i in range(len(f1["single"]) - 1) if f1["ceiling"][i] >= cut]
    panel = (
        f"Panel (a): {c['n_models']} models, {c['tasks_per_model']} tasks each; weakest model: single "
        f"{f1['single'][0]:.3f} -> ceiling {f1['ceiling'][0]:.3f}; weaker models whose ceiling reaches "
        "the strongest model's single-sample accuracy: "
        + (
            ", ".join(
                f"single {f1['single'][i]:.3f} -> ceiling {f1['ceiling'][i]:.3f}" for i in above
            )
            or "none"
        )
        + ".\n\n"
        + run_line(s)
    )
    return {
        "k_table": table(["C", "K* (grid)", "K* (closed form)", "x", "U(1), U(2), U(3)"], rows)
        + f"\n\nAccuracy ceilings: {ceil}.",
        "claims": claims,
        "panel_a": panel,
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
