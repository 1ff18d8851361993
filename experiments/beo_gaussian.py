"""Bayes-error unlearnable examples in a Gaussian world: PGA vs the exact optimum, mixing, LDA clean error.

Panels: (a) Bayes error vs budget eps, closed form / trust-region reference dashed, PGA dots
(p = 2 and p = inf); (b) Bayes error of clean/protected mixtures vs protected fraction with the
concavity chord dashed; (c) clean-test error of population LDA fitted to the mixture for the BEO
shift, an orthogonal "shortcut" shift and a random shift; (d) Unlearnable Clusters (Zhang et al.,
CVPR 2023, arXiv 2301.01217): change of a hacker's clean error (population LDA with the hacker's own
balanced cluster labelling, averaged over labellings) under class-keyed, cluster-keyed and UC-shift
perturbations against the budget. See theory/beo_gaussian.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main

NAME = "beo_gaussian"


@dataclass(frozen=True)
class Config:
    d: int = 4
    sep: float = 2.0
    n_eps: int = 13
    eps_max: float = 1.2
    n_p: int = 21
    eps_mix: float = 0.6
    pi1_mix: float = 0.3
    T: int = 2000
    uc_a: float = 1.0
    uc_sigma: float = 1.0
    uc_sigma_s: float = 0.5
    uc_eps_max: float = 3.0
    uc_n_eps: int = 13
    uc_ps: tuple = (0.5, 1.0)
    seed: int = 0


def make_config(args) -> Config:
    if args.quick:
        return Config(n_eps=5, n_p=6, T=200)
    return Config()


def _world(cfg):
    d = cfg.d
    mu0 = jnp.zeros(d)
    mu1 = jnp.zeros(d).at[0].set(cfg.sep)
    A = jax.random.normal(jax.random.key(cfg.seed), (d, d)) / np.sqrt(d)
    Sig_an = A @ A.T + 0.5 * jnp.eye(d)
    return mu0, mu1, jnp.eye(d), Sig_an


# Panels (a) and (b, c) each run as one jitted program (config static), every budget or
# protected fraction vmapped: eagerly, each jnp operation of the solvers compiled a program of its
# own, and each budget re-traced the PGA scan.
@partial(jax.jit, static_argnames=("cfg",))
def _panel_a_arrays(eps, cfg):
    from jax.scipy.special import ndtr

    from unlearnlab.unlearning.bayes_error import (
        bayes_error_gaussian,
        optimal_classwise_shift,
        pga_classwise_shift,
    )

    mu0, mu1, I, S = _world(cfg)
    base = {"iso": bayes_error_gaussian(mu0, mu1, I), "aniso": bayes_error_gaussian(mu0, mu1, S)}
    step_i = 0.25
    step_a = 0.25 / jnp.linalg.eigvalsh(jnp.linalg.inv(S))[-1]

    def one(e):
        d0, d1 = optimal_classwise_shift(mu0, mu1, S, e, 2)
        b0, b1 = optimal_classwise_shift(mu0, mu1, S, e, "inf")
        return {
            "cf_iso": ndtr(-jnp.maximum(cfg.sep - 2 * e, 0.0) / 2),
            "tr_aniso": bayes_error_gaussian(mu0 + d0, mu1 + d1, S),
            "box_aniso": bayes_error_gaussian(mu0 + b0, mu1 + b1, S),
            "pga_iso": pga_classwise_shift(mu0, mu1, I, e, 2, step_i, cfg.T)[2][-1],
            "pga_aniso_2": pga_classwise_shift(mu0, mu1, S, e, 2, step_a, cfg.T)[2][-1],
            "pga_aniso_inf": pga_classwise_shift(mu0, mu1, S, e, "inf", step_a, cfg.T)[2][-1],
        }

    return base, jax.vmap(one)(eps)


def _panel_a(cfg):
    eps = np.linspace(cfg.eps_max / (cfg.n_eps - 1), cfg.eps_max, cfg.n_eps - 1)
    base, out = jax.device_get(_panel_a_arrays(eps, cfg))
    return {
        "eps": np.concatenate([[0.0], eps]),
        **{
            k: np.concatenate([[float(base["aniso" if "aniso" in k else "iso"])], v])
            for k, v in out.items()
        },
    }


def _shifts(cfg):
    d = cfg.d
    e = cfg.eps_mix
    u = jnp.zeros(d).at[0].set(1.0)
    perp = jnp.zeros(d).at[1].set(1.0)
    r = jax.random.normal(jax.random.key(cfg.seed + 3), (d,))
    r = r / jnp.linalg.norm(r)
    return {"BEO": (e * u, -e * u), "shortcut": (-e * perp, e * perp), "random": (-e * r, e * r)}


@partial(jax.jit, static_argnames=("cfg",))
def _panel_bc_arrays(ps, cfg):
    from unlearnlab.unlearning.bayes_error import (
        bayes_error_gaussian,
        bayes_error_mixture_1d,
        lda_population_fit,
        linear_clean_error,
    )

    mu0, mu1, I, _ = _world(cfg)
    shifts = _shifts(cfg)
    d0, d1 = shifts["BEO"]

    def beta(p):
        m0 = jnp.stack([0.0, d0[0]])
        m1 = jnp.stack([cfg.sep, cfg.sep + d1[0]])
        return bayes_error_mixture_1d(m0, m1, jnp.stack([1 - p, p]), 1.0, cfg.pi1_mix)

    def clean_err(p, s0, s1):
        Sp = I + p * (1 - p) * 0.5 * (jnp.outer(s0, s0) + jnp.outer(s1, s1))
        w, b = lda_population_fit(mu0 + p * s0, mu1 + p * s1, Sp, 0.5)
        return linear_clean_error(w, b, mu0, mu1, I, 0.5)

    clean = {
        name: jax.vmap(lambda p, s0=s0, s1=s1: clean_err(p, s0, s1))(ps)
        for name, (s0, s1) in shifts.items()
    }
    return jax.vmap(beta)(ps), clean, bayes_error_gaussian(mu0, mu1, I)


def _panel_bc(cfg):
    ps = np.linspace(0, 1, cfg.n_p)
    beta, clean, bayes_clean = jax.device_get(_panel_bc_arrays(ps, cfg))
    return {
        "p": ps,
        "beta_mix": [float(x) for x in beta],
        "clean_err": {name: [float(x) for x in v] for name, v in clean.items()},
        "bayes_clean": float(bayes_clean),
    }


@partial(jax.jit, static_argnames=("labs", "cfg"))
def _panel_d_arrays(eps, labs, cfg):
    """Hacker clean errors of panel (d), vmapped over budgets: ``{key: (n_eps, labellings)}``.

    A hacker whose class means coincide (the XOR labelling against class-keyed shifts, and of
    clean data) has no LDA direction: :func:`uc_hacker_error` returns the chance error 1/2, traced
    or not.
    """
    from unlearnlab.unlearning import (
        uc_hacker_error,
        uc_perturbations,
        uc_world,
    )

    means, Sig = uc_world(cfg.uc_a, cfg.uc_sigma, cfg.uc_sigma_s)
    g_p = (means[:, 0] > 0).astype(int)
    labs = np.asarray(labs)  # static: the labellings index the clusters

    def err(deltas, p, lab):
        return uc_hacker_error(means, Sig, deltas, p, lab)

    out = {}
    for kind in ("class", "cluster", "uc"):
        for p in cfg.uc_ps:
            per_eps = lambda e, kind=kind, p=p: jnp.stack(
                [err(uc_perturbations(kind, e, means, g_p), p, lab) for lab in labs]
            )
            out[f"{kind}|{p:g}"] = jax.vmap(per_eps)(eps)
    out["clean"] = jnp.stack([err(jnp.zeros_like(means), 0.0, lab) for lab in labs])
    return out


def _panel_d(cfg):
    """Unlearnable Clusters: exact hacker clean error per kind, budget, protected fraction, labelling."""
    from unlearnlab.unlearning import balanced_labelings

    labs = np.asarray(balanced_labelings(4))
    names = ["sign x1 (= protector's)", "XOR", "sign x2 (cross-cuts)"]
    eps = np.linspace(0.0, cfg.uc_eps_max, cfg.uc_n_eps)
    out = jax.device_get(_panel_d_arrays(eps, tuple(map(tuple, labs.tolist())), cfg))
    clean = [float(x) for x in out.pop("clean")]
    err = {k: [[float(x) for x in row] for row in v] for k, v in out.items()}
    return {
        "eps": eps,
        "labelings": names,
        "labels": labs,
        "err": err,
        "clean": clean,
        "ps": list(cfg.uc_ps),
    }


def compute(cfg: Config, ctx) -> dict:
    cache = ctx.stage_cache(cfg)
    a = cache.stage("a", lambda: _panel_a(cfg))
    bc = cache.stage("bc", lambda: _panel_bc(cfg))
    ucd = cache.stage("d", lambda: _panel_d(cfg))
    gap2 = float(np.max(np.abs(np.asarray(a["pga_iso"]) - a["cf_iso"])))
    gap_an = float(np.max(np.abs(np.asarray(a["pga_aniso_2"]) - a["tr_aniso"])))
    gap_inf = float(np.max(np.abs(np.asarray(a["pga_aniso_inf"]) - a["box_aniso"])))
    bm = np.asarray(bc["beta_mix"])
    p = np.asarray(bc["p"])
    chord = (1 - p) * bm[0] + p * bm[-1]
    conc = float(np.min(bm - chord))
    lda_min = min(float(np.min(v) - bc["bayes_clean"]) for v in bc["clean_err"].values())
    ce = {k: np.asarray(v) for k, v in bc["clean_err"].items()}
    claims = {
        "beo_gaussian.pga_optimum": claim_result(
            [gap2, gap_an, gap_inf],
            [0.0, 0.0, 0.0],
            gap2 <= 1e-6 and gap_an <= 1e-5 if cfg.T >= 2000 else "reported",
            f"max |beta_PGA - beta_ref| over eps after T={cfg.T}: isotropic p=2 (closed form), "
            "anisotropic p=2 (trust region), anisotropic p=inf (box QP)",
        ),
        "beo_gaussian.concavity": claim_result(
            conc, 0.0, conc >= -1e-6, "min_p [beta_mix(p) - chord(p)] (concavity lemma)"
        ),
        "beo_gaussian.lda_above_bayes": claim_result(
            lda_min, 0.0, lda_min >= -1e-12, "min over p, shifts of LDA clean error - beta*"
        ),
        "beo_gaussian.beo_vs_shortcut": claim_result(
            {k: float(v[-1]) for k, v in ce.items()},
            bc["bayes_clean"],
            "reported",
            "clean error of LDA at p=1 per shift; BEO monotone in p: "
            f"{bool(np.all(np.diff(ce['BEO']) >= -1e-12))}",
        ),
    }
    clean = np.asarray(ucd["clean"])
    E = {k: np.asarray(v) for k, v in ucd["err"].items()}
    inv = max(float(np.max(np.abs(E[f"class|{p:g}"][:, 2] - clean[2]))) for p in ucd["ps"])
    claims["beo_gaussian.uc_class_keyed_invariant"] = claim_result(
        inv,
        0.0,
        inv <= 1e-12,
        "max over budgets and p of |hacker clean error - clean| for class-keyed perturbations and "
        "the cross-cutting labelling sign x2",
    )
    pmax = f"{max(ucd['ps']):g}"
    inc = {kind: (E[f"{kind}|{pmax}"][-1] - clean).tolist() for kind in ("class", "cluster", "uc")}
    ok = all(
        np.all(np.diff(E[f"{kind}|{pmax}"][:, j]) > 0) for kind in ("cluster", "uc") for j in (0, 2)
    )
    claims["beo_gaussian.uc_cluster_keyed_changes"] = claim_result(
        inc,
        "> 0 for both non-degenerate labellings, increasing in eps",
        bool(ok),
        f"clean-error change at eps = {ucd['eps'][-1]:g}, p = {pmax}, per labelling "
        f"({', '.join(ucd['labelings'])})",
    )
    return {"a": a, "bc": bc, "uc": ucd, "claims": claims}


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    D = payload["data"]
    fig, axes = subplots(4, 1, width=3.8, height=3.2)
    a = D["a"]
    ax = axes[0, 0]
    eps = np.asarray(a["eps"])
    theory_line(ax, eps, a["cf_iso"], r"closed form $\Phi(-(\|d\|-2\epsilon)_+/2)$, $\Sigma=I$")
    theory_line(ax, eps, a["tr_aniso"], r"trust-region optimum, $\Sigma$ aniso, p=2", color="C1")
    theory_line(ax, eps, a["box_aniso"], r"box-QP optimum, $\Sigma$ aniso, p=$\infty$", color="C2")
    ax.plot(eps, a["pga_iso"], "o", color="C0", label="PGA, iso, p=2")
    ax.plot(eps, a["pga_aniso_2"], "s", color="C1", mfc="none", label="PGA, aniso, p=2")
    ax.plot(eps, a["pga_aniso_inf"], "^", color="C2", mfc="none", label=r"PGA, aniso, p=$\infty$")
    ax.set_xlabel(r"budget $\epsilon$")
    ax.set_ylabel(r"Bayes error $\beta$")
    ax.legend(fontsize=6)
    panel_label(ax, "(a) optimal class-wise shift")

    bc = D["bc"]
    p = np.asarray(bc["p"])
    bm = np.asarray(bc["beta_mix"])
    ax = axes[0, 1]
    ax.plot(p, bm, "o-", label=r"$\beta$ of the mixture (quadrature)")
    theory_line(ax, p, (1 - p) * bm[0] + p * bm[-1], "concavity chord (lower bound)")
    ax.set_xlabel("protected fraction p")
    ax.set_ylabel(r"Bayes error $\beta$")
    ax.legend()
    panel_label(
        ax,
        rf"(b) mixing, BEO shift $\epsilon$={payload['config']['eps_mix']}, $\pi_1$={payload['config']['pi1_mix']}",
    )

    ax = axes[0, 2]
    for name, v in bc["clean_err"].items():
        ax.plot(p, v, "o-", label=name)
    theory_line(ax, p, np.full(p.size, bc["bayes_clean"]), r"clean Bayes error $\beta^*$")
    ax.set_xlabel("protected fraction p")
    ax.set_ylabel("clean test error of LDA fitted to the mixture")
    ax.legend()
    panel_label(ax, "(c) downstream effect")
    _plot_uc(axes[0, 3], D["uc"])
    return fig


def _plot_uc(ax, uc):
    from unlearnlab.lab.plotting import panel_label, theory_line

    eps = np.asarray(uc["eps"], float)
    clean = np.asarray(uc["clean"], float)
    cols = {"class": "#d62728", "cluster": "#1f77b4", "uc": "#2ca02c"}
    lab = {
        "class": "class-keyed shortcut",
        "cluster": "cluster-keyed shortcut",
        "uc": "UC shift (code-faithful)",
    }
    for kind in ("class", "cluster", "uc"):
        for p in uc["ps"]:
            e = np.asarray(uc["err"][f"{kind}|{p:g}"], float)
            ax.plot(
                eps,
                (e - clean).mean(axis=1),
                "-" if p == max(uc["ps"]) else ":",
                marker="o",
                ms=2.5,
                color=cols[kind],
                label=f"{lab[kind]}, p = {p:g}: mean over labellings",
            )
        e = np.asarray(uc["err"][f"{kind}|{max(uc['ps']):g}"], float)
        ax.plot(
            eps,
            e[:, 2] - clean[2],
            "-.",
            lw=0.9,
            color=cols[kind],
            alpha=0.7,
            label=f"{lab[kind]}, p = {max(uc['ps']):g}: hacker = sign x2",
        )
    theory_line(
        ax,
        [0, eps.max()],
        [0, 0],
        "class-keyed vs cross-cutting hacker: exactly 0 (lab's derived UC1)",
    )
    ax.set_xlabel(r"budget $\epsilon$ (l2, per point)")
    ax.set_ylabel("change of the hacker's clean error (exact LDA)")
    ax.legend(fontsize=5.2, loc="upper left")
    panel_label(ax, "(d) Unlearnable Clusters: label-agnostic?")


def measured(saved: dict) -> dict[str, str]:
    """The generated block of theory/beo_gaussian.md, rendered from the saved JSON (``python -m
    experiments report`` rewrites it)."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, c, cl = s["data"], s["config"], s["claims"]
    a, bc = d["a"], d["bc"]
    eps = np.asarray(a["eps"])
    sat = eps[np.asarray(a["cf_iso"]) >= 0.5 - 1e-12]
    p = np.asarray(bc["p"])
    bm = np.asarray(bc["beta_mix"])
    gap = bm - ((1 - p) * bm[0] + p * bm[-1])
    ih = int(np.argmin(np.abs(p - 0.5)))
    ce = {k: np.asarray(v) for k, v in bc["clean_err"].items()}
    po = cl["beo_gaussian.pga_optimum"]["measured"]
    rows = [
        ["(a) max abs(beta_PGA - beta_cf), isotropic, p=2", g(po[0]), "0 (test budget 1e-6)"],
        ["(a) max abs(beta_PGA - beta_TR), anisotropic, p=2", g(po[1]), "0 (test budget 1e-5)"],
        ["(a) max abs(beta_PGA - beta_box), anisotropic, p=inf", g(po[2]), "0"],
        [
            "(a) beta saturates at 0.5",
            f"from eps = {g(sat[0])} (p=2)" if sat.size else "not in the eps range",
            "min(pi_0, pi_1)",
        ],
        [
            f"(b) min_p [beta_mix - chord], pi_1={g(c['pi1_mix'])}, eps={g(c['eps_mix'])}",
            f"{g(cl['beo_gaussian.concavity']['measured'])} (endpoints); max gap "
            f"{gap.max():.4f} at p={g(p[int(np.argmax(gap))])}",
            ">= 0",
        ],
        ["(b) beta_mix(0), beta_mix(1)", f"{bm[0]:.4f}, {bm[-1]:.4f}", ""],
        [
            f"(c) LDA clean error at p={g(p[ih])} / p=1: " + ", ".join(ce),
            "; ".join(f"{v[ih]:.4f} / {v[-1]:.4f}" for v in ce.values()),
            f">= beta* = {bc['bayes_clean']:.4f}",
        ],
    ]
    uc = d["uc"]
    clean = np.asarray(uc["clean"])
    rows_uc = []
    for kind in ("class", "cluster", "uc"):
        for p in uc["ps"]:
            e = np.asarray(uc["err"][f"{kind}|{p:g}"])[-1]
            rows_uc.append(
                [kind, g(p)]
                + [f"{v:+.4f}" for v in (e - clean)]
                + [f"{float(np.mean(e - clean)):+.4f}"]
            )
    uc_block = (
        "Hacker's clean error without protection: "
        + ", ".join(f"{n} {v:.4f}" for n, v in zip(uc["labelings"], clean))
        + f". Change of the clean error at the largest budget eps = {g(uc['eps'][-1])} (a = "
        f"{g(c['uc_a'])}, sigma = {g(c['uc_sigma'])}, shortcut noise {g(c['uc_sigma_s'])}):\n\n"
        + table(["perturbation", "p", *uc["labelings"], "mean over labellings"], rows_uc)
        + f"\n\nClaims: `beo_gaussian.uc_class_keyed_invariant` "
        f"{cl['beo_gaussian.uc_class_keyed_invariant']['verdict']} (max deviation "
        f"{g(cl['beo_gaussian.uc_class_keyed_invariant']['measured'])}); "
        f"`beo_gaussian.uc_cluster_keyed_changes` {cl['beo_gaussian.uc_cluster_keyed_changes']['verdict']}."
    )
    return {
        "uc": uc_block,
        "results": table(["quantity", "measured", "theory"], rows)
        + "\n\n"
        + run_line(s)
        + f" Total CPU {s['manifest']['timings']['total_cpu_s']:.1f} s.",
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
