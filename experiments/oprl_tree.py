"""OPRL on an exactly solvable tree MDP: learned step rewards, sample rate, gradient variance, policy iteration.

Panels (``theory/oprl_tree.md``; Liu et al., arXiv:2509.19199): (a) step rewards of the PRM fitted on
N sampled preference pairs against the shaping terms V(s') - V(s) of the exact optimum (last step:
R - V); (b) the sup-norm error of the fitted implicit reward against N, with slope -1/2 dashed;
(c) the total variance of the shaped REINFORCE estimator against beta (exact and Monte Carlo), with
the no-baseline and V^{pi_old}-baseline levels dashed; (d) exact J of the policy along 200
iterations of outcome-only (GRPO), step-only and OPRL (alpha = 1) updates.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.lab.stats import loglog_slope, mean_ci
from unlearnlab.lab.sweep import run_seeds
from unlearnlab.verifiers import (
    OPRLConfig,
    count_outcome,
    dpo_population_loss,
    dpo_sampled_loss,
    expected_return,
    fit_prm,
    implicit_reward,
    node_values,
    oprl_train,
    optimal_prm_logits,
    pg_mc_moments,
    pg_moments,
    returns_to_go,
    sample_preference_pairs,
    soft_values,
    step_rewards,
    tree_index,
)

NAME = "oprl_tree"
MODES = ("outcome-only (GRPO)", "step-only", "OPRL (alpha = 1)")


@dataclasses.dataclass(frozen=True)
class Config:
    A: int = 3
    H: int = 6
    min_count: int = 4
    beta: float = 1.0
    kappa: float = 0.25
    pop_steps: int = 2000
    pop_lr: float = 0.1
    pair_steps: int = 500
    pair_lr: float = 0.1
    n_pairs: tuple = (1000, 3162, 10_000, 31_623, 100_000)
    betas: tuple = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
    mc_samples: int = 2000
    iters: int = 200
    G: int = 64
    lr: float = 0.01
    prm_steps: int = 10
    prm_lr: float = 0.05
    seeds: int = 8
    seed: int = 0
    quick: bool = False


def make_config(args) -> Config:
    if args.quick:
        cfg = Config(
            H=4,
            min_count=3,
            pop_steps=500,
            pair_steps=200,
            n_pairs=(300, 1000, 3000),
            betas=(0.1, 1.0, 10.0),
            mc_samples=500,
            iters=60,
            G=32,
            lr=0.03,
            prm_steps=3,
            seeds=2,
            quick=True,
        )
    else:
        cfg = Config()
    return dataclasses.replace(cfg, seeds=args.seeds) if args.seeds else cfg


# static config: one compiled program for every array of the exact stage (run eagerly, its ~100
# small ops each compiled their own XLA program)
@functools.partial(jax.jit, static_argnums=0)
def _exact_arrays(config):
    idx = tree_index(config.A, config.H)
    n_int = idx.children.shape[0]
    old = jnp.zeros((n_int, config.A))
    r = count_outcome(idx, 0, config.min_count)
    R = r / config.kappa
    b, k = config.beta, config.kappa
    V = soft_values(old, R, b, idx)
    star = optimal_prm_logits(old, R, b, idx)
    r_star = step_rewards(star, old, b, idx)
    N = idx.leaf_nodes.shape[0]
    Phi = jnp.concatenate([V[idx.leaf_nodes], jnp.zeros((N, 1))], axis=1)
    shaped = (Phi[:, 1:] - Phi[:, :-1]).at[:, -1].add(R)
    shaping_err = jnp.max(jnp.abs(r_star - shaped))
    # any phi: a random PRM shapes its own sparse reward h_phi with Phi_phi = soft value of h_phi
    phi = jax.random.normal(jax.random.key(config.seed + 7), old.shape)
    h_phi = implicit_reward(phi, old, b, idx)
    P2 = soft_values(old, h_phi, b, idx)
    Pp = jnp.concatenate([P2[idx.leaf_nodes], jnp.zeros((N, 1))], axis=1)
    any_err = jnp.max(
        jnp.abs(step_rewards(phi, old, b, idx) - (Pp[:, 1:] - Pp[:, :-1]).at[:, -1].add(h_phi))
    )
    # P1: Adam on the population loss from pi_old; gradient at the closed form
    loss = lambda x: dpo_population_loss(x, old, r, b, k, idx)  # noqa: E731
    x, losses = fit_prm(old, loss, config.pop_steps, config.pop_lr)
    h_star = R - V[0]
    opt_err = jnp.max(jnp.abs(implicit_reward(x, old, b, idx) - h_star))
    grad_star = jnp.max(jnp.abs(jax.grad(loss)(star)))
    d = h_star[:, None] - h_star[None, :]
    P12 = jax.nn.sigmoid((r[:, None] - r[None, :]) / k)
    consist = jnp.max(jnp.abs(jax.nn.sigmoid(d) - P12))
    # P4 bounds
    gap = soft_values(old, R, b, idx) - node_values(old, R, idx)
    # P5: exact mean vs autodiff at a policy theta != pi_old
    theta = old + 0.5 * jax.random.normal(jax.random.key(config.seed + 8), old.shape)
    G_star = returns_to_go(r_star)
    mean, _ = pg_moments(theta, G_star, idx)
    grad_J = jax.grad(lambda t: expected_return(t, R, idx))(theta)
    unbiased_err = jnp.max(jnp.abs(mean - grad_J))
    # panel (c): tr Cov of the shaped estimator at pi_theta = pi_old, against beta
    tr = []
    for beta in config.betas:
        Gb = R[:, None] - soft_values(old, R, beta, idx)[idx.leaf_nodes]
        tr.append(jnp.trace(pg_moments(old, Gb, idx)[1]))
    tr_none = jnp.trace(pg_moments(old, jnp.broadcast_to(R[:, None], Phi[:, 1:].shape), idx)[1])
    base = R[:, None] - node_values(old, R, idx)[idx.leaf_nodes]
    tr_vold = jnp.trace(pg_moments(old, base, idx)[1])
    return {
        "shaping_err": shaping_err,
        "any_phi_err": any_err,
        "opt_err": opt_err,
        "grad_at_closed_form": grad_star,
        "consistency_err": consist,
        "losses": losses,
        "R": R,
        "r": r,
        "r_star": r_star,
        "gap": gap,
        "unbiased_err": unbiased_err,
        "trcov_exact": jnp.stack(tr),
        "trcov_none": tr_none,
        "trcov_vold": tr_vold,
        "J0": expected_return(old, r, idx),
    }


def _exact(config):
    """Shaping identity, population optimum (Adam), bounds, exact gradient moments (panel c)."""
    a = jax.tree.map(np.asarray, _exact_arrays(config))
    R, r, r_star, gap, losses = a["R"], a["r"], a["r_star"], a["gap"], a["losses"]
    rng = float(R.max() - R.min())
    # panel (a) theory per edge: V(s') - V(s) (last step R - V)
    idx = tree_index(config.A, config.H)
    ln, la = np.asarray(idx.leaf_nodes), np.asarray(idx.leaf_actions)
    edge = (ln * config.A + la).ravel()
    _, first = np.unique(edge, return_index=True)
    depth = np.broadcast_to(np.arange(config.H), ln.shape).ravel()[first]
    return {
        "shaping_err": float(a["shaping_err"]),
        "any_phi_err": float(a["any_phi_err"]),
        "opt_err": float(a["opt_err"]),
        "grad_at_closed_form": float(a["grad_at_closed_form"]),
        "consistency_err": float(a["consistency_err"]),
        "loss_first_last": [float(losses[0]), float(losses[-1])],
        "r_range": rng,
        "max_abs_r_star": float(np.max(np.abs(r_star))),
        "gap_min": float(gap.min()),
        "gap_max": float(gap.max()),
        "gap_bound": rng**2 / (8 * config.beta),
        "unbiased_err": float(a["unbiased_err"]),
        "betas": np.asarray(config.betas),
        "trcov_exact": a["trcov_exact"].astype(float),
        "trcov_none": float(a["trcov_none"]),
        "trcov_vold": float(a["trcov_vold"]),
        "edge_first": first,
        "edge_depth": depth,
        "edge_theory": r_star.ravel()[first],
        "J0": float(a["J0"]),
        "J_star": float(r.max()),
        "success_frac": float(r.mean()),
    }


@functools.partial(jax.jit, static_argnums=0)
def _outcome_and_h_star(config):
    """r_o and h* = R - V(root) (jitted: run eagerly, the tree backup compiled ~80 tiny ops)."""
    idx = tree_index(config.A, config.H)
    old = jnp.zeros((idx.children.shape[0], config.A))
    r = count_outcome(idx, 0, config.min_count)
    R = r / config.kappa
    return r, R - soft_values(old, R, config.beta, idx)[0]


def _pairs(config, ctx):
    idx = tree_index(config.A, config.H)
    old = jnp.zeros((idx.children.shape[0], config.A))
    r, h_star = _outcome_and_h_star(config)
    errs, edge = [], None
    for n in config.n_pairs:

        def fn(key, n=n):
            pairs, labels = sample_preference_pairs(key, old, r, config.kappa, n, idx)
            x, _ = fit_prm(
                old,
                lambda p: dpo_sampled_loss(p, old, pairs, labels, config.beta, idx),
                config.pair_steps,
                config.pair_lr,
            )
            err = jnp.max(jnp.abs(implicit_reward(x, old, config.beta, idx) - h_star))
            return {"err": err, "r": step_rewards(x, old, config.beta, idx)}

        out = run_seeds(
            fn,
            jax.random.key(config.seed + 1),
            config.seeds,
            **ctx.sweep_kwargs(config, f"pairs{n}"),
        )
        errs.append(out["err"])
        edge = out["r"][0]
    return {"n_pairs": np.asarray(config.n_pairs), "err": np.stack(errs, 1), "r_learned": edge}


def _mc_cov(config, ctx):
    idx = tree_index(config.A, config.H)
    old = jnp.zeros((idx.children.shape[0], config.A))
    R = count_outcome(idx, 0, config.min_count) / config.kappa
    betas = jnp.asarray(config.betas, dtype=R.dtype)

    def fn(key):
        # every beta shares the seed's key, as separate sweeps per beta would; vmapping over beta
        # compiles one program instead of one per beta
        def one(beta):
            G = R[:, None] - soft_values(old, R, beta, idx)[idx.leaf_nodes]
            return pg_mc_moments(key, old, G, config.mc_samples, idx)[2]

        return jax.vmap(one)(betas)

    out = run_seeds(
        fn, jax.random.key(config.seed + 2), config.seeds, **ctx.sweep_kwargs(config, "mc")
    )
    return {"trcov_mc": np.asarray(out)}  # [seeds, betas]


def _policy(config, ctx):
    idx = tree_index(config.A, config.H)
    old = jnp.zeros((idx.children.shape[0], config.A))
    r = count_outcome(idx, 0, config.min_count)
    base = OPRLConfig(
        beta=config.beta,
        kappa=config.kappa,
        baseline="grpo",
        G=config.G,
        prm_steps=config.prm_steps,
        prm_lr=config.prm_lr,
        lr=config.lr,
        steps=config.iters,
    )
    # (outcome_coef, alpha) of each mode in MODES. They only scale the advantages (no Python branch
    # depends on them), so the three modes run as one vmapped program (traced weights in the config)
    # instead of compiling one per mode; each mode sees the seed's key, as separate sweeps did.
    weights = jnp.asarray([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])

    def fn(key):
        def one(w):
            cfg = dataclasses.replace(base, outcome_coef=w[0], alpha=w[1])
            info = oprl_train(key, old, r, idx, cfg)[1]
            return {"J": info.J, "h_err": info.h_err}

        return jax.vmap(one)(weights)

    out = run_seeds(
        fn, jax.random.key(config.seed + 3), config.seeds, **ctx.sweep_kwargs(config, "policy")
    )
    # [seeds, modes, iters] -> [modes, seeds, iters]
    J, herr = (np.moveaxis(np.asarray(out[k]), 1, 0) for k in ("J", "h_err"))
    return {"modes": list(MODES), "J": J, "h_err": herr}


def compute(config: Config, ctx) -> dict:
    st = ctx.stage_cache(config)
    ex = st.stage("exact", lambda: _exact(config))
    pr = st.stage("pairs", lambda: _pairs(config, ctx))
    mc = st.stage("mc_cov", lambda: _mc_cov(config, ctx))
    po = st.stage("policy", lambda: _policy(config, ctx))

    Ns = pr["n_pairs"]
    fit = loglog_slope(np.repeat(Ns[None, :], config.seeds, 0).ravel(), pr["err"].ravel())
    # slope between consecutive N of the geometric-mean error (where the asymptotic regime starts)
    gm = np.exp(np.log(np.asarray(pr["err"])).mean(0))
    local = np.diff(np.log(gm)) / np.diff(np.log(Ns.astype(float)))
    first = ex["edge_first"]
    learned = np.asarray(pr["r_learned"]).ravel()[first]
    J_end = po["J"][:, :, -1]  # [modes, seeds]
    tr_mc = mc["trcov_mc"]
    rel = np.abs(tr_mc.mean(0) / ex["trcov_exact"] - 1)
    claims = {
        "oprl_tree.shaping_identity": claim_result(
            {"optimum": ex["shaping_err"], "random_phi": ex["any_phi_err"]},
            1e-10,
            bool(max(ex["shaping_err"], ex["any_phi_err"]) < 1e-10),
            f"max over {config.A}**{config.H} trajectories x {config.H} steps of the deviation from "
            "potential-based shaping, at pi* and at a random phi",
        ),
        "oprl_tree.population_optimum": claim_result(
            {
                "adam_err": ex["opt_err"],
                "grad_at_closed_form": ex["grad_at_closed_form"],
                "consistency_err": ex["consistency_err"],
            },
            1e-6,
            bool(ex["opt_err"] <= 1e-6 and ex["consistency_err"] < 1e-10),
            f"max |h - (R - V(root))| after {config.pop_steps} cosine-decayed Adam steps from pi_old; "
            "max |sigma(h*1 - h*2) - P12|",
        ),
        "oprl_tree.bounded": claim_result(
            {"max_abs_r": ex["max_abs_r_star"], "gap_min": ex["gap_min"], "gap_max": ex["gap_max"]},
            {"r_range": ex["r_range"], "gap_bound": ex["gap_bound"]},
            bool(
                ex["max_abs_r_star"] <= ex["r_range"] + 1e-12
                and ex["gap_min"] >= -1e-12
                and ex["gap_max"] <= ex["gap_bound"] + 1e-12
            ),
            "|r*| <= max R - min R; 0 <= V - E_old[R|s] <= range^2/(8 beta)",
        ),
        "oprl_tree.pg_unbiased": claim_result(
            {"exact_mean_err": ex["unbiased_err"], "mc_trace_rel_err_max": float(rel.max())},
            1e-10,
            bool(ex["unbiased_err"] < 1e-10),
            "max |E g - grad E R| by enumeration at a random theta != pi_old (P5); the Monte Carlo "
            "and P6 checks are in the tests",
        ),
        "oprl_tree.pairs_rate": claim_result(
            {
                "slope": fit.slope,
                "lo": fit.lo,
                "hi": fit.hi,
                "se": fit.se,
                "last_interval_slope": float(local[-1]),
            },
            -0.5,
            bool(-0.75 <= fit.slope <= -0.25),
            f"log-log fit of max_tau |h_N - h*| over N = {', '.join(str(int(n)) for n in Ns)}, "
            f"{config.seeds} seeds, {config.pair_steps} Adam steps; band [-0.75, -0.25]; "
            "slope between the two largest N also reported",
        ),
        "oprl_tree.combination": claim_result(
            {m: float(J_end[i].mean()) for i, m in enumerate(MODES)},
            ex["J_star"],
            "reported",
            f"exact J after {config.iters} policy iterations ({config.G} rollouts each, Adam lr "
            f"{config.lr}), mean over {config.seeds} seeds; J(pi_old) = {ex['J0']:.3f}",
        ),
    }
    return {
        "exact": ex,
        "pairs": {
            **pr,
            "slope": fit.slope,
            "slope_lo": fit.lo,
            "slope_hi": fit.hi,
            "intercept": fit.intercept,
            "geo_mean_err": gm,
            "local_slopes": local,
        },
        "panel_a": {"theory": ex["edge_theory"], "learned": learned, "depth": ex["edge_depth"]},
        "mc": mc,
        "policy": po,
        "claims": claims,
    }


def _band(ax, x, y, color, label, **kw):
    if y.shape[0] >= 2:
        ci = mean_ci(y, axis=0)
        ax.fill_between(x, ci.lo, ci.hi, color=color, alpha=0.25, lw=0)
        m = ci.mean
    else:
        m = y.mean(0)
    ax.plot(x, m, color=color, label=label, **kw)


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    d, c = payload["data"], payload["config"]
    ex = d["exact"]
    fig, axes = subplots(2, 2, width=4.2, height=3.4)

    ax = axes[0, 0]
    pa = d["panel_a"]
    th, le, dep = (np.asarray(pa[k]) for k in ("theory", "learned", "depth"))
    sc = ax.scatter(th, le, c=dep, cmap="viridis", s=6, alpha=0.8)
    lim = np.array([min(th.min(), le.min()), max(th.max(), le.max())])
    theory_line(ax, lim, lim, "y = x: P2, lab's derived shaping identity")
    fig.colorbar(sc, ax=ax, label="depth t")
    ax.set(
        xlabel="V(s') - V(s)  (last step: R - V(s))",
        ylabel=r"learned $r_\phi(s, a)$",
    )
    ax.set_title(f"N = {int(c['n_pairs'][-1])} pairs, seed 0", loc="right", fontsize=8)
    ax.legend(fontsize=7, loc="upper left")
    panel_label(ax, "(a)")

    ax = axes[0, 1]
    pr = d["pairs"]
    Ns = np.asarray(pr["n_pairs"], float)
    err = np.asarray(pr["err"])
    if err.shape[0] >= 2:
        ci = mean_ci(err, axis=0)
        ax.errorbar(
            Ns,
            ci.mean,
            yerr=[ci.mean - ci.lo, ci.hi - ci.mean],
            fmt="o-",
            ms=4,
            capsize=2,
            label=f"mean +- 95% CI, {err.shape[0]} seeds",
        )
    else:
        ax.plot(Ns, err[0], "o-", label="1 seed")
    gm = np.exp(np.log(err).mean(0))
    ref = gm[-1] * (Ns / Ns[-1]) ** -0.5  # anchored at the largest N (the asymptotic end)
    theory_line(ax, Ns, ref, "slope -1/2 (lab's derived asymptotic rate)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel="N preference pairs", ylabel=r"$\max_\tau |h_N - h^*|$")
    ax.set_title(
        f"fitted slope {pr['slope']:.2f} [{pr['slope_lo']:.2f}, {pr['slope_hi']:.2f}]",
        loc="right",
        fontsize=8,
    )
    ax.legend(fontsize=7)
    panel_label(ax, "(b)")

    ax = axes[1, 0]
    betas = np.asarray(ex["betas"], float)
    ax.plot(
        betas,
        ex["trcov_exact"],
        "-",
        color="#1f77b4",
        label="exact (enumeration), G_t = R - V_beta",
    )
    tr = np.asarray(d["mc"]["trcov_mc"])
    if tr.shape[0] >= 2:
        ci = mean_ci(tr, axis=0)
        ax.errorbar(
            betas,
            ci.mean,
            yerr=[ci.mean - ci.lo, ci.hi - ci.mean],
            fmt="o",
            ms=4,
            color="#ff7f0e",
            capsize=2,
            label=f"Monte Carlo ({c['mc_samples']} traj., {tr.shape[0]} seeds, 95% CI)",
        )
    else:
        ax.plot(betas, tr[0], "o", color="#ff7f0e", label="Monte Carlo")
    theory_line(ax, betas, np.full(len(betas), ex["trcov_none"]), "no baseline (G_t = R)")
    theory_line(
        ax,
        betas,
        np.full(len(betas), ex["trcov_vold"]),
        r"$V^{\pi_{old}}$ baseline ($\beta \to \infty$, P4/P5 derived)",
        color="#d62728",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel=r"PRM temperature $\beta$", ylabel=r"tr Cov($\hat g$), one trajectory")
    ax.set_title(r"shaped REINFORCE at $\pi_\theta = \pi_{old}$", loc="right", fontsize=8)
    ax.legend(fontsize=6.5)
    panel_label(ax, "(c)")

    ax = axes[1, 1]
    po = d["policy"]
    J = np.asarray(po["J"])
    it = np.arange(1, J.shape[2] + 1)
    for i, (m, col) in enumerate(zip(po["modes"], ["#1f77b4", "#2ca02c", "#d62728"])):
        _band(ax, it, J[i], col, m)
    theory_line(ax, it, np.full(len(it), ex["J_star"]), "J* = max r_o")
    ax.set(xlabel="policy iteration", ylabel="exact J = E r_o", ylim=(0, 1.05))
    ax.set_title(
        f"{c['G']} rollouts/iter, mean +- 95% CI over {J.shape[1]} seeds", loc="right", fontsize=8
    )
    ax.legend(fontsize=7, loc="lower right")
    panel_label(ax, "(d)")
    return fig


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/oprl_tree.md, rendered from the saved JSON (``python -m
    experiments report`` rewrites them)."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, c, cl = s["data"], s["config"], s["claims"]
    ex = d["exact"]
    M = lambda k: cl[f"oprl_tree.{k}"]["measured"]  # noqa: E731
    V = lambda k: cl[f"oprl_tree.{k}"]["verdict"]  # noqa: E731
    pr = M("pairs_rate")
    comb = M("combination")
    J = np.asarray(d["policy"]["J"])[:, :, -1]
    rows = [
        [
            "`oprl_tree.shaping_identity`",
            "(a)",
            f"max deviation {g(M('shaping_identity')['optimum'])} at pi*, "
            f"{g(M('shaping_identity')['random_phi'])} at a random phi",
            V("shaping_identity"),
        ],
        [
            "`oprl_tree.population_optimum`",
            "(a)",
            f"Adam: max abs(h - h*) = {g(M('population_optimum')['adam_err'])}; gradient at the closed "
            f"form {g(M('population_optimum')['grad_at_closed_form'])}; consistency "
            f"{g(M('population_optimum')['consistency_err'])}",
            V("population_optimum"),
        ],
        [
            "`oprl_tree.bounded`",
            "(c)",
            f"max abs(r*) = {g(M('bounded')['max_abs_r'])} <= {g(ex['r_range'])}; V - E[R|s] in "
            f"[{g(M('bounded')['gap_min'])}, {g(M('bounded')['gap_max'])}] <= {g(ex['gap_bound'])}",
            V("bounded"),
        ],
        [
            "`oprl_tree.pg_unbiased`",
            "(c)",
            f"max abs(E g - grad E R) = {g(M('pg_unbiased')['exact_mean_err'])}; MC trace of Cov within "
            f"{100 * M('pg_unbiased')['mc_trace_rel_err_max']:.1f}% of exact",
            V("pg_unbiased"),
        ],
        [
            "`oprl_tree.pairs_rate`",
            "(b)",
            f"slope {pr['slope']:.3f} (95% CI [{pr['lo']:.3f}, {pr['hi']:.3f}]); between the two "
            f"largest N {pr['last_interval_slope']:.3f}",
            V("pairs_rate"),
        ],
        [
            "`oprl_tree.combination`",
            "(d)",
            "; ".join(f"{m}: J = {comb[m]:.3f}" for m in comb),
            V("combination"),
        ],
    ]
    claims = table(["claim id", "panel", "measured", "verdict"], rows)
    from unlearnlab.lab.stats import mean_ci

    jrows = []
    for i, m in enumerate(d["policy"]["modes"]):
        if J.shape[1] >= 2:
            ci = mean_ci(J[i])
            jrows.append([m, f"{ci.mean:.3f}", f"[{ci.lo:.3f}, {ci.hi:.3f}]"])
        else:
            jrows.append([m, f"{J[i].mean():.3f}", "-"])
    setting = (
        f"A = {c['A']}, H = {c['H']} ({c['A'] ** c['H']} leaves), r_o = 1 iff at least "
        f"{c['min_count']} copies of action 0 ({100 * ex['success_frac']:.1f}% of leaves), beta = "
        f"{g(c['beta'])}, kappa = {g(c['kappa'])}; J(pi_old) = {ex['J0']:.3f}.\n\n" + run_line(s)
    )
    pd_ = d["pairs"]
    Ns = np.asarray(pd_["n_pairs"])
    srows = [
        [f"{int(Ns[i])}", f"{np.asarray(pd_['geo_mean_err'])[i]:.3g}"]
        + ([f"{np.asarray(pd_['local_slopes'])[i - 1]:.3f}"] if i else ["-"])
        for i in range(len(Ns))
    ]
    return {
        "claims": claims,
        "pairs": table(["N pairs", "geometric-mean max error", "slope from the previous N"], srows),
        "policy": table(["update", f"J after {c['iters']} iterations (mean)", "95% CI"], jrows),
        "setting": setting,
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
