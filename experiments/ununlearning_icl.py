"""UnUnlearning: an exactly unlearned fact comes back in context; a removed skill does not.

Panels (``theory/ununlearning_icl.md``; Shumailov et al., arXiv 2407.00106, in the lab's linear
self-attention model): (a) the k-shot excess risk at the fact, R_k(w_f) - sigma^2, for the original
and the exactly unlearned model (closed form solid, Monte Carlo dots), with the 1/k reference and
the zero-shot (null) level dashed; (b) the risk at a removed skill u against k, isotropic vs coupled
input covariance, the lab's lower bound dashed and the null risk dotted; (c) Adam-trained LSA
entries against the closed-form optimum; (d) the shots needed to re-acquire the fact against the
tolerance eps, for three fact norms.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.lab.stats import loglog_slope, mean_ci, normal_quantile
from unlearnlab.lab.sweep import run_seeds
from unlearnlab.unlearning import (
    lsa_mc_risk,
    lsa_optimal_risk,
    lsa_optimum,
    shots_to_reacquire,
    skill_lower_bound,
    skill_projector,
    task_moments,
    train_lsa,
    unlearn_fact,
    unlearn_skill,
)

NAME = "ununlearning_icl"


@dataclasses.dataclass(frozen=True)
class Config:
    d: int = 8
    sigma: float = 0.1
    p: float = 0.05
    fact_norm: float = 3.0  # ||w_f||_Sigma
    log2_kmax: int = 12
    mc_prompts: int = 20_000
    log2_kmax_mc: int = 10
    mc_every: int = 1  # Monte Carlo at every mc_every-th power of two
    train_k: int = 16
    train_steps: int = 3000
    train_batch: int = 512
    train_lr: float = 0.02
    train_seeds: int = 4
    eps_min: float = 0.01
    eps_max: float = 0.5
    n_eps: int = 12
    fact_norms: tuple = (1.0, 3.0, 10.0)
    k_max_reacquire: int = 10_000
    slope_lo: int = 6
    slope_hi: int = 12
    seed: int = 0


def make_config(args) -> Config:
    if args.quick:
        c = Config(
            d=4,
            log2_kmax=10,
            mc_prompts=4000,
            log2_kmax_mc=4,
            mc_every=2,
            train_steps=300,
            train_batch=128,
            train_seeds=2,
            n_eps=6,
            k_max_reacquire=1000,
            slope_lo=6,
            slope_hi=10,
        )
    else:
        c = Config()
    if args.seeds is not None:
        c = dataclasses.replace(c, train_seeds=args.seeds)
    return c


def _setup(cfg):
    rng = np.random.default_rng(cfg.seed)
    Q, _ = np.linalg.qr(rng.normal(size=(cfg.d, cfg.d)))
    Sigma = Q @ np.diag(np.logspace(0, 1, cfg.d)) @ Q.T
    Sigma_w = np.eye(cfg.d) / cfg.d
    v = rng.normal(size=cfg.d)
    w_dir = v / np.sqrt(v @ Sigma @ v)  # ||w_dir||_Sigma = 1
    u = rng.normal(size=cfg.d)
    u /= np.linalg.norm(u)
    return Sigma, Sigma_w, w_dir, u


# Every closed form and the Monte Carlo dots are traced as one program (config static): run
# eagerly, each k, model, fact norm and tolerance compiled its own small programs. Calls that share
# shapes are vmapped, so that each closed form appears once in the compiled program.
@partial(jax.jit, static_argnames=("cfg",))
def _analysis(Sigma, Sigma_w, w_dir, u, eps, cfg):
    s2 = cfg.sigma**2
    w_f = cfg.fact_norm * w_dir
    k_last = 2 ** (cfg.log2_kmax + 1)
    ks = 2 ** np.arange(0, cfg.log2_kmax + 1)
    ks_mc = ks[ks <= 2**cfg.log2_kmax_mc][:: cfg.mc_every]
    m, Om = task_moments(cfg.p, w_f, Sigma_w)
    m0, O0 = unlearn_fact(w_f, Sigma_w)
    ms, Os = unlearn_skill(cfg.p, w_f, Sigma_w, u)
    P = skill_projector(u)
    stack = lambda *xs: jnp.stack(xs)

    # risk curves over ks and k_last: rows fact (original, unlearned), skill (isotropic, coupled)
    eye = jnp.eye(cfg.d, dtype=Sigma.dtype)
    R = jax.vmap(lambda S, mm, OO, w: lsa_optimal_risk(S, mm, OO, w, np.append(ks, k_last), s2))(
        stack(Sigma, Sigma, eye, Sigma),
        stack(m, m0, ms, ms),
        stack(Om, O0, Os, Os),
        stack(w_f, w_f, u, u),
    )
    out = {"R": R, "bound": jax.vmap(lambda S: skill_lower_bound(S, P, u, s2))(stack(eye, Sigma))}

    # optima of the original model at k = 1 and train_k
    opt = jax.vmap(lambda k: lsa_optimum(Sigma, m, Om, k, s2))(jnp.array([1, cfg.train_k]))
    out["b_o"], out["b_star"], out["G_star"] = opt[0][0], opt[0][1], opt[1][1]

    # Monte Carlo dots (fixed key per k and model; the two models vmapped)
    key = jax.random.key(cfg.seed + 1)
    mc = []
    for j, k in enumerate(ks_mc):
        b, G = jax.vmap(lambda mm, OO: lsa_optimum(Sigma, mm, OO, int(k), s2))(
            stack(m, m0), stack(Om, O0)
        )
        kk = jax.vmap(lambda i: jax.random.fold_in(key, 2 * j + i))(jnp.arange(2))
        mc.append(
            jax.vmap(
                lambda k_, b_, G_: lsa_mc_risk(k_, b_, G_, w_f, Sigma, int(k), s2, cfg.mc_prompts)
            )(kk, b, G)
        )
    # (len(ks_mc), 2 models, 2): (mean, se)
    out["mc"] = jnp.stack([jnp.stack(v, axis=-1) for v in mc])

    # U5 shots to re-acquire, vmapped over fact norms and tolerances
    def shots(nrm, e):
        wf = nrm * w_dir
        mm, OO = unlearn_fact(wf, Sigma_w)
        return shots_to_reacquire(Sigma, mm, OO, wf, s2, e, cfg.k_max_reacquire)

    norms = jnp.asarray(cfg.fact_norms, Sigma.dtype)
    out["kstar"] = jax.vmap(lambda nrm: jax.vmap(lambda e: shots(nrm, e))(eps))(norms)
    return out


def compute(cfg: Config, ctx) -> dict:
    s2 = cfg.sigma**2
    Sigma, Sigma_w, w_dir, u = _setup(cfg)
    w_f = cfg.fact_norm * w_dir
    ks = 2 ** np.arange(0, cfg.log2_kmax + 1)
    eps = np.logspace(np.log10(cfg.eps_min), np.log10(cfg.eps_max), cfg.n_eps)
    A = jax.device_get(_analysis(Sigma, Sigma_w, w_dir, u, eps, cfg))
    R_orig, R_unl = A["R"][0, :-1], A["R"][1, :-1]
    null = s2 + w_f @ Sigma @ w_f
    b_o = A["b_o"]
    zero_orig = float(s2 + (b_o - w_f) @ Sigma @ (b_o - w_f))

    ks_mc = ks[ks <= 2**cfg.log2_kmax_mc][:: cfg.mc_every]
    mc = {"orig": [], "unl": []}
    z_max = 0.0
    for j, k in enumerate(ks_mc):
        for i, name in enumerate(("orig", "unl")):
            mu, se = A["mc"][j, i]
            exact = (R_orig if name == "orig" else R_unl)[int(np.searchsorted(ks, k))]
            z_max = max(z_max, abs(float(mu) - exact) / float(se))
            mc[name].append([float(mu) - s2, float(se)])

    # U3 slope of the unlearned excess risk over [2^lo, 2^hi]
    sel = (ks >= 2**cfg.slope_lo) & (ks <= 2**cfg.slope_hi)
    fit = loglog_slope(ks[sel], R_unl[sel] - s2)
    k_last = 2 ** (cfg.log2_kmax + 1)
    R_next = float(A["R"][1, -1])
    drift = abs(k_last * (R_next - s2) / (ks[-1] * (R_unl[-1] - s2)) - 1.0)

    skill = {}
    for i, (name, S) in enumerate((("isotropic", np.eye(cfg.d)), ("coupled", Sigma))):
        R = A["R"][2 + i, :-1]
        bound = float(A["bound"][i])
        skill[name] = {
            "risk": R,
            "bound": bound,
            "null": float(s2 + u @ S @ u),
            "margin_min": float(np.min(R - bound)),
            "margin_last": float(R[-1] - bound),
        }

    # trained LSA vs closed form at k = train_k, over seeds (run_seeds, vmapped)
    b_star, G_star = A["b_star"], A["G_star"]

    def train(k):
        b, G, losses = train_lsa(
            k,
            Sigma,
            cfg.p,
            w_f,
            Sigma_w,
            cfg.train_k,
            s2,
            steps=cfg.train_steps,
            batch=cfg.train_batch,
            lr=cfg.train_lr,
        )
        return {"b": b, "G": G, "final_loss": jnp.mean(losses[-50:])}

    tr = run_seeds(
        train, jax.random.key(cfg.seed + 2), cfg.train_seeds, **ctx.sweep_kwargs(cfg, "train")
    )
    err = np.max(np.abs(np.asarray(tr["G"]) - np.asarray(G_star)[None]), axis=(1, 2))
    err_b = np.max(np.abs(np.asarray(tr["b"]) - np.asarray(b_star)[None]), axis=1)
    G_ci = mean_ci(np.asarray(tr["G"]).reshape(cfg.train_seeds, -1), axis=0)

    kstar = {f"{nrm:g}": [int(x) for x in A["kstar"][i]] for i, nrm in enumerate(cfg.fact_norms)}

    z_tol = normal_quantile(1 - 1e-4 / (2 * 2 * len(ks_mc)))
    claims = {
        "ununlearning_icl.closed_form": claim_result(
            {
                "trained_max_abs_Gamma": float(np.max(err)),
                "trained_max_abs_b": float(np.max(err_b)),
                "mc_max_z": z_max,
            },
            {"trained": 0.05, "mc_z": z_tol},
            bool(np.max(err) < 0.05 and np.max(err_b) < 0.05 and z_max < z_tol),
            f"Adam-trained LSA ({cfg.train_steps} steps x {cfg.train_batch} prompts, "
            f"{cfg.train_seeds} seeds) vs Gamma*, and Monte Carlo risk ({cfg.mc_prompts} prompts) vs "
            f"R_k(w) at {2 * len(ks_mc)} (k, model) pairs (Bonferroni z at 1e-4)",
        ),
        "ununlearning_icl.fact_reacquired_1_over_k": claim_result(
            float(fit.slope),
            [-1.05, -0.95],
            bool(-1.05 <= fit.slope <= -0.95 and drift < 0.01),
            f"log-log slope of R_k(w_f) - sigma^2 (exactly unlearned) over k in "
            f"[2^{cfg.slope_lo}, 2^{cfg.slope_hi}], 95% CI [{fit.lo:.4f}, {fit.hi:.4f}]; "
            f"k (R_k - sigma^2) drifts {drift:.2e} from 2^{cfg.log2_kmax} to 2^{cfg.log2_kmax + 1}",
        ),
        "ununlearning_icl.skill_lower_bound": claim_result(
            {n: v["margin_min"] for n, v in skill.items()},
            ">= 0",
            bool(all(v["margin_min"] >= -1e-10 for v in skill.values())),
            f"min over k in [1, 2^{cfg.log2_kmax}] of R_k(u) - bound (skill-unlearned optimum)",
        ),
    }
    return {
        "ks": ks,
        "excess_orig": R_orig - s2,
        "excess_unl": R_unl - s2,
        "null_excess": null - s2,
        "zero_shot_orig_excess": zero_orig - s2,
        "ks_mc": ks_mc,
        "mc": {k: np.asarray(v) for k, v in mc.items()},
        "slope": {"slope": float(fit.slope), "lo": float(fit.lo), "hi": float(fit.hi)},
        "drift": drift,
        "skill": skill,
        "train": {
            "G_star": np.asarray(G_star).ravel(),
            "G_mean": np.asarray(G_ci.mean),
            "G_lo": np.asarray(G_ci.lo),
            "G_hi": np.asarray(G_ci.hi),
            "max_err_G": err,
            "max_err_b": err_b,
        },
        "eps": eps,
        "kstar": kstar,
        "claims": claims,
    }


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    D, cfg = payload["data"], payload["config"]
    ks = np.asarray(D["ks"])
    fig, ax = subplots(2, 2, width=4.4, height=3.4)
    a = ax[0, 0]
    a.loglog(ks, D["excess_orig"], "-", color="C1", label="original (p > 0), closed form")
    a.loglog(ks, D["excess_unl"], "-", color="C0", label="exactly unlearned (p = 0), closed form")
    for name, col in (("orig", "C1"), ("unl", "C0")):
        v = np.asarray(D["mc"][name])
        a.errorbar(
            D["ks_mc"],
            v[:, 0],
            yerr=2 * v[:, 1],
            fmt="o",
            color=col,
            ms=3,
            label="Monte Carlo (±2 SE)" if name == "unl" else None,
        )
    ref = D["excess_unl"][-1] * ks[-1] / ks
    theory_line(a, ks, ref, "1/k reference (lab's derived U3)")
    theory_line(
        a, ks, np.full(len(ks), D["null_excess"]), "unlearned zero-shot = null", color="0.5"
    )
    a.set_xlabel("shots k in the prompt")
    a.set_ylabel(r"$R_k(w_f) - \sigma^2$")
    a.set_title(
        f"slope {D['slope']['slope']:.3f} on k in [2^{cfg['slope_lo']}, 2^{cfg['slope_hi']}]",
        fontsize=8,
    )
    a.legend(fontsize=6)
    panel_label(a, "(a) fact")

    b = ax[0, 1]
    for i, (name, v) in enumerate(D["skill"].items()):
        b.semilogx(ks, v["risk"], "-", color=f"C{i + 2}", label=f"skill-unlearned, {name} Sigma")
        theory_line(
            b,
            ks,
            np.full(len(ks), v["bound"]),
            f"U4 bound, {name} (lab's derived)",
            color=f"C{i + 2}",
        )
        b.axhline(
            v["null"], color=f"C{i + 2}", linestyle=":", linewidth=1, label=f"null risk, {name}"
        )
    b.set_xlabel("shots k")
    b.set_ylabel(r"$R_k(u)$ at the removed skill")
    b.legend(fontsize=6)
    panel_label(b, "(b) skill")

    c = ax[1, 0]
    T = D["train"]
    gs, gm = np.asarray(T["G_star"]), np.asarray(T["G_mean"])
    c.errorbar(
        gs,
        gm,
        yerr=[gm - np.asarray(T["G_lo"]), np.asarray(T["G_hi"]) - gm],
        fmt="o",
        ms=3,
        label=f"Adam-trained LSA, k = {cfg['train_k']} ({cfg['train_seeds']} seeds, 95% CI)",
    )
    lim = [min(gs.min(), gm.min()), max(gs.max(), gm.max())]
    theory_line(c, lim, lim, "y = x (closed form, lab's derived U1)")
    c.set_xlabel(r"closed-form $\Gamma^*_{ij}$")
    c.set_ylabel(r"trained $\Gamma_{ij}$")
    c.set_title(f"max |error| {float(np.max(T['max_err_G'])):.3g}", fontsize=8)
    c.legend(fontsize=6)
    panel_label(c, "(c) trained LSA")

    e = ax[1, 1]
    for i, (nrm, kk) in enumerate(D["kstar"].items()):
        e.loglog(
            D["eps"],
            kk,
            ["o-", "s--", "^:"][i % 3],
            color=f"C{i}",
            ms=6 - 1.5 * i,
            label=rf"$\|w_f\|_\Sigma$ = {nrm}",
        )
    e.set_xlabel(r"tolerance $\varepsilon$ (excess risk $\leq \varepsilon\,\|w_f\|_\Sigma^2$)")
    e.set_ylabel(r"shots to re-acquire $k^*(\varepsilon)$")
    e.legend(fontsize=7, title="curves overlap: excess risk ~ quadratic in w_f", title_fontsize=6)
    panel_label(e, "(d) shots needed")
    fig.suptitle(
        "In-context re-acquisition after exact unlearning (linear self-attention, closed forms)",
        fontsize=9,
    )
    return fig


def measured(saved: dict) -> dict[str, str]:
    """Markdown blocks of theory/ununlearning_icl.md, rendered from the saved JSON."""
    from unlearnlab.lab.results import from_jsonable

    saved = from_jsonable(saved)
    D, cfg = saved["data"], saved["config"]
    ks = np.asarray(D["ks"])
    show = [i for i, k in enumerate(ks) if k in (1, 4, 16, 64, 256, 1024, 4096)]
    lines = [
        "| k | " + " | ".join(str(int(ks[i])) for i in show) + " |",
        "|---|" + "---|" * len(show),
        "| original R_k(w_f) − σ² | "
        + " | ".join(f"{D['excess_orig'][i]:.4g}" for i in show)
        + " |",
        "| unlearned R_k(w_f) − σ² | "
        + " | ".join(f"{D['excess_unl'][i]:.4g}" for i in show)
        + " |",
    ]
    for name, v in D["skill"].items():
        lines.append(
            f"| skill-unlearned R_k(u), {name} Σ | "
            + " | ".join(f"{v['risk'][i]:.5g}" for i in show)
            + " |"
        )
    sl = D["slope"]
    lines += [
        "",
        f"Null (unlearned zero-shot) excess risk w_fᵀΣw_f = {D['null_excess']:.4g}; original zero-shot "
        f"excess {D['zero_shot_orig_excess']:.4g}. Slope of the unlearned excess risk over k in "
        f"[2^{cfg['slope_lo']}, 2^{cfg['slope_hi']}]: {sl['slope']:.4f} (95% CI [{sl['lo']:.4f}, "
        f"{sl['hi']:.4f}]); k(R_k − σ²) drifts {D['drift']:.2e} over the last doubling.",
        "",
        "| Σ | U4 bound | null risk | min margin R_k(u) − bound | margin at largest k |",
        "|---|---|---|---|---|",
    ]
    for name, v in D["skill"].items():
        lines.append(
            f"| {name} | {v['bound']:.5g} | {v['null']:.5g} | {v['margin_min']:.3e} | "
            f"{v['margin_last']:.3e} |"
        )
    T = D["train"]
    lines += [
        "",
        f"Trained LSA (k = {cfg['train_k']}, {cfg['train_steps']} Adam steps x {cfg['train_batch']} "
        f"prompts): max |Γ − Γ*| per seed {', '.join(f'{x:.3f}' for x in np.asarray(T['max_err_G']))}; "
        f"max |b − b*| {', '.join(f'{x:.3f}' for x in np.asarray(T['max_err_b']))}.",
        "",
        "| ε | " + " | ".join(f"{e:.3g}" for e in D["eps"]) + " |",
        "|---|" + "---|" * len(D["eps"]),
    ]
    for nrm, kk in D["kstar"].items():
        lines.append(f"| k*(ε), ‖w_f‖_Σ = {nrm} | " + " | ".join(str(int(x)) for x in kk) + " |")
    lines.append(f"\nRun: {saved['manifest']['timings'].get('total_s', float('nan')):.0f} s wall.")
    return {"results": "\n".join(lines)}


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
