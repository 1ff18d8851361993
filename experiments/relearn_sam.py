"""Relearning attacks on unlearned least squares; SAM and exact-robust unlearning against them.

Panels (``theory/relearn_sam.md``; Fan et al., arXiv 2502.05374, in the lab's quadratic model):
(a) the forget loss L_f(theta_k)/c along a gradient-descent relearning attack, for the vanilla
constrained, GA-penalty, SAM and exact-robust (two radii) solutions, the exact spectral curve (S1)
dashed over simulated points, the certified delays (S2) dotted; (b) the eigen-weight of the forget
error against the curvature lambda_i, vanilla vs robust; (c) retain loss against the certified delay
over a radius sweep; (d) subset relearning: the loss on the forget rows the attacker does not hold.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.lab.stats import mean_ci
from unlearnlab.lab.sweep import run_seeds
from unlearnlab.unlearning import (
    certified_delay,
    first_crossing,
    forget_error_weights,
    forget_loss,
    full_fit,
    ga_penalty_unlearn,
    relearn_curve,
    relearn_gd,
    relearn_subset,
    retain_loss,
    robust_radius,
    sam_unlearn,
    trust_region_min,
    unlearn_constrained,
    unlearn_robust,
)

NAME = "relearn_sam"


@dataclasses.dataclass(frozen=True)
class Config:
    d: int = 20
    n_r: int = 400
    n_f: int = 8
    lam: float = 0.01
    cond: float = 1e3  # condition number of the feature covariance
    noise: float = 0.5
    c_mult: float = 4.0  # c = c_mult L_f(theta_full) + c_add
    c_add: float = 1.0
    relearned_mult: float = 2.0  # "relearned" level: relearned_mult * L_f(theta_full)
    rho_fracs: tuple = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)  # x ||theta_full - theta_v||
    panel_rhos: tuple = (0.3, 1.0)
    sam_rho: float = 0.3
    gamma: float = 1.0
    penalty_steps: int = 2000
    penalty_lr: float = 0.05
    eta_frac: float = 0.5  # eta = eta_frac / lambda_max(H_f)
    K: int = 10_000
    n_ks: int = 40
    subset_sizes: tuple = (1, 2, 4)
    outer: int = 60
    inner: int = 400
    seeds: int = 16
    seed: int = 0


def make_config(args) -> Config:
    base = Config()
    if args.quick:
        base = Config(
            seeds=4,
            K=1000,
            n_ks=25,
            outer=10,
            inner=100,
            penalty_steps=300,
            rho_fracs=(0.0, 0.3, 1.0),
        )
    if args.seeds is not None:
        base = dataclasses.replace(base, seeds=args.seeds)
    return base


def _ks(cfg):
    return np.unique(
        np.concatenate([[0], np.round(np.logspace(0, np.log10(cfg.K), cfg.n_ks))])
    ).astype(int)


def _data(cfg, key):
    kb, kr, kf, ker, kef = jax.random.split(key, 5)
    s = jnp.logspace(0.0, -0.5 * jnp.log10(cfg.cond), cfg.d)
    beta = jax.random.normal(kb, (cfg.d,)) / s / jnp.sqrt(cfg.d)
    X_r = jax.random.normal(kr, (cfg.n_r, cfg.d)) * s
    X_f = jax.random.normal(kf, (cfg.n_f, cfg.d)) * s
    y_r = X_r @ beta + cfg.noise * jax.random.normal(ker, (cfg.n_r,))
    y_f = X_f @ beta + cfg.noise * jax.random.normal(kef, (cfg.n_f,))
    return X_r, y_r, X_f, y_f


def _one_seed(cfg):
    ks = jnp.asarray(_ks(cfg))
    fr = np.asarray(cfg.rho_fracs)
    panel_idx = [int(np.argmin(np.abs(fr - r))) for r in cfg.panel_rhos]

    def fn(key):
        X_r, y_r, X_f, y_f = _data(cfg, key)
        th_full = full_fit(X_r, y_r, X_f, y_f, cfg.lam)
        L_full = forget_loss(th_full, X_f, y_f)
        c = cfg.c_mult * L_full + cfg.c_add
        c_rel = cfg.relearned_mult * L_full
        th_v, _ = unlearn_constrained(X_r, y_r, X_f, y_f, cfg.lam, c)
        rho0 = jnp.linalg.norm(th_full - th_v)
        H_f = X_f.T @ X_f / cfg.n_f
        eta = cfg.eta_frac / jnp.linalg.eigvalsh(H_f)[-1]

        def robust(f):
            return unlearn_robust(
                X_r, y_r, X_f, y_f, cfg.lam, c, f * rho0, outer=cfg.outer, inner=cfg.inner
            )[0]

        th_rob = jnp.stack([th_v if f == 0 else robust(f) for f in cfg.rho_fracs])
        kw = dict(lam=cfg.lam, c=c, gamma=cfg.gamma, lr=cfg.penalty_lr, T=cfg.penalty_steps)
        th_ga = ga_penalty_unlearn(th_full, X_r, y_r, X_f, y_f, **kw)
        th_sam = sam_unlearn(th_full, X_r, y_r, X_f, y_f, rho=cfg.sam_rho * rho0, **kw)
        methods = jnp.concatenate(
            [th_v[None], th_ga[None], th_sam[None], th_rob[jnp.asarray(panel_idx)]]
        )

        def per_theta(th):
            curve = relearn_curve(th, X_f, y_f, eta, ks)
            losses, _ = relearn_gd(th, X_f, y_f, eta, cfg.K)
            return {
                "curve": curve / c,
                "sim": losses[ks] / c,
                "cert_c": certified_delay(th, X_f, y_f, c, eta),
                "meas_c": first_crossing(losses, c),
                "cert_rel": certified_delay(th, X_f, y_f, c_rel, eta),
                "meas_rel": first_crossing(losses, c_rel),
                "Lf": forget_loss(th, X_f, y_f) / c,
                "Lr": retain_loss(th, X_r, y_r, cfg.lam),
                "radius": robust_radius(th, X_f, y_f, c),
            }

        meth = jax.vmap(per_theta)(methods)
        sweep = jax.vmap(per_theta)(th_rob)
        sweep["tr_min"] = (
            jax.vmap(lambda th, f: trust_region_min(th, X_f, y_f, f * rho0)[0])(
                th_rob, jnp.asarray(fr)
            )
            / c
        )
        lam_v, w_v, mc_v = forget_error_weights(th_v, X_f, y_f)
        lam_s, w_s, mc_s = forget_error_weights(th_rob[panel_idx[-1]], X_f, y_f)
        sub = {}
        for m in cfg.subset_sizes:
            mask = np.arange(cfg.n_f) < m
            Xs = X_f[:m]
            eta_s = cfg.eta_frac / jnp.linalg.eigvalsh(Xs.T @ Xs / m)[-1]
            rest, _ = relearn_subset(th_v, X_f, y_f, mask, eta_s, ks)
            sub[str(m)] = rest / c
        return {
            "methods": meth,
            "sweep": sweep,
            "rho0": rho0,
            "c": c,
            "weights": {
                "lam_v": lam_v,
                "w_v": w_v / jnp.sum(w_v),
                "mc_v": mc_v,
                "lam_s": lam_s,
                "w_s": w_s / jnp.sum(w_s),
                "mc_s": mc_s,
            },
            "subset": sub,
        }

    return fn


def _ci(x):
    m = mean_ci(np.asarray(x, float), axis=0)
    return {"mean": np.asarray(m.mean), "lo": np.asarray(m.lo), "hi": np.asarray(m.hi)}


def compute(cfg: Config, ctx) -> dict:
    out = run_seeds(_one_seed(cfg), jax.random.key(cfg.seed), cfg.seeds, **ctx.sweep_kwargs(cfg))
    ks = _ks(cfg)
    labels = ["vanilla (constrained)", "GA penalty", f"SAM (rho={cfg.sam_rho}x)"] + [
        f"exact robust (rho={r}x)" for r in cfg.panel_rhos
    ]
    M, S = out["methods"], out["sweep"]
    # S1: exact curve vs simulated points (relative); S2: certified <= measured - 1
    rel = np.max(np.abs(M["curve"] - M["sim"]) / np.abs(M["sim"][:, :, :1]))
    c_rel = cfg.relearned_mult / (cfg.c_mult + cfg.c_add / np.asarray(out["c"])[:, None])

    def holds(G, rel_level):  # the certificate applies where L_f(theta_0) >= level (else it is 0)
        cert, meas = (G["cert_rel"], G["meas_rel"]) if rel_level else (G["cert_c"], G["meas_c"])
        applies = G["Lf"] >= (c_rel if rel_level else 1.0)
        return np.where(applies, meas > cert, cert == 0)

    n_viol = int(sum(np.sum(~holds(G, lv)) for G in (M, S) for lv in (False, True)))
    cert_ok = n_viol == 0
    feas = float(np.min(S["tr_min"] - 1.0))
    delays = {
        f"{f}": {
            "certified_c": float(np.mean(S["cert_c"][:, i])),
            "measured_c": float(np.mean(S["meas_c"][:, i])),
            "certified_rel": float(np.mean(S["cert_rel"][:, i])),
            "measured_rel": float(np.mean(S["meas_rel"][:, i])),
            "retain_loss": float(np.mean(S["Lr"][:, i])),
        }
        for i, f in enumerate(cfg.rho_fracs)
    }
    W = out["weights"]
    claims = {
        "relearn_sam.spectral_identity": claim_result(
            float(rel),
            1e-10,
            bool(rel < 1e-10),
            f"max gap between the S1 closed form and {cfg.K}-step simulated GD relative to "
            f"L_f(theta_0), "
            f"{cfg.seeds} seeds x {len(labels)} unlearned models",
        ),
        "relearn_sam.certified_delay": claim_result(
            {k: [v["certified_c"], v["measured_c"]] for k, v in delays.items()},
            "certified < measured first crossing, every seed and radius",
            cert_ok,
            "mean over seeds of [certified, measured] delay at level c, per rho / ||theta_full - "
            f"theta_v||; {n_viol} violations over seeds, radii, methods and both levels",
        ),
        "relearn_sam.sam_sandwich": claim_result(
            float(feas),
            ">= 0 (feasibility of the exact-robust constraint)",
            bool(feas > -1e-9),
            "the sandwich itself is an exact inequality checked by tests/unlearning/test_relearn.py; "
            "here: min over seeds and radii of TRmin_rho L_f(theta_s)/c - 1",
        ),
    }
    return {
        "ks": ks,
        "labels": labels,
        "curve": {lab: _ci(M["curve"][:, i]) for i, lab in enumerate(labels)},
        "sim": {lab: _ci(M["sim"][:, i]) for i, lab in enumerate(labels)},
        "cert_c": {lab: float(np.mean(M["cert_c"][:, i])) for i, lab in enumerate(labels)},
        "meas_c": {lab: float(np.mean(M["meas_c"][:, i])) for i, lab in enumerate(labels)},
        "cert_rel": {lab: float(np.mean(M["cert_rel"][:, i])) for i, lab in enumerate(labels)},
        "meas_rel": {lab: float(np.mean(M["meas_rel"][:, i])) for i, lab in enumerate(labels)},
        "Lf_over_c": {lab: _ci(M["Lf"][:, i]) for i, lab in enumerate(labels)},
        "Lr": {lab: _ci(M["Lr"][:, i]) for i, lab in enumerate(labels)},
        "rho_fracs": np.asarray(cfg.rho_fracs),
        "delays": delays,
        "frontier": {
            "retain": _ci(S["Lr"]),
            "cert_c": _ci(S["cert_c"]),
            "meas_c": _ci(S["meas_c"]),
            "cert_rel": _ci(S["cert_rel"]),
            "meas_rel": _ci(S["meas_rel"]),
        },
        "weights": {
            "lam_v": W["lam_v"][0],
            "w_v": W["w_v"][0],
            "lam_s": W["lam_s"][0],
            "w_s": W["w_s"][0],
            "mean_curv_v": _ci(W["mc_v"]),
            "mean_curv_s": _ci(W["mc_s"]),
        },
        "subset": {m: _ci(v) for m, v in out["subset"].items()},
        "spectral_rel_gap": float(rel),
        "robust_feasibility": feas,
        "claims": claims,
    }


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    D, cfg = payload["data"], payload["config"]
    ks = np.asarray(D["ks"])
    x = np.maximum(ks, 0.5)
    fig, ax = subplots(2, 2, width=4.6, height=3.5)
    a = ax[0, 0]
    cols = ["C0", "C1", "C2", "C3", "C4"]
    for i, lab in enumerate(D["labels"]):
        cur, sim = D["curve"][lab], D["sim"][lab]
        a.plot(x[::3], np.asarray(sim["mean"])[::3], "o", color=cols[i], ms=3, label=lab)
        theory_line(a, x, cur["mean"], None, color=cols[i], linewidth=1.1)
        cd = D["cert_c"][lab]
        if cd >= 1:
            a.axvline(cd, color=cols[i], linestyle=":", linewidth=1)
    a.plot([], [], linestyle="--", color="0.2", label="S1 closed form (lab's derived)")
    a.plot([], [], linestyle=":", color="0.2", label="S2 certified delay (mean)")
    a.axhline(1.0, color="0.5", linewidth=0.8)
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_ylim(1e-4, None)
    a.set_xlabel("relearning steps k (x=0.5 is k=0)")
    a.set_ylabel(r"$L_f(\theta_k)/c$ (mean over seeds)")
    a.legend(fontsize=6)
    panel_label(a, "(a) relearning attack")

    b = ax[0, 1]
    W = D["weights"]
    b.stem(W["lam_v"], W["w_v"], linefmt="C0-", markerfmt="C0o", basefmt=" ", label="vanilla")
    b.stem(
        np.asarray(W["lam_s"]) * 1.04,
        W["w_s"],
        linefmt="C4-",
        markerfmt="C4s",
        basefmt=" ",
        label=f"exact robust (rho={cfg['panel_rhos'][-1]}x)",
    )
    b.set_xscale("log")
    b.set_xlabel(r"curvature $\lambda_i$ of $H_f$ (seed 0)")
    b.set_ylabel(r"share of forget error $\lambda_i\tilde e_i^2$")
    mv, ms = W["mean_curv_v"]["mean"], W["mean_curv_s"]["mean"]
    b.set_title(f"mean curvature: vanilla {float(mv):.3g}, robust {float(ms):.3g}", fontsize=8)
    b.legend()
    panel_label(b, "(b)")

    c = ax[1, 0]
    F = D["frontier"]
    r = np.asarray(F["retain"]["mean"])
    for key, lab, st in (
        ("cert_c", "certified delay, level c", "s--"),
        ("meas_c", "measured delay, level c", "o-"),
        ("cert_rel", r"certified, level $2L_f(\theta_{full})$", "^--"),
        ("meas_rel", r"measured, level $2L_f(\theta_{full})$", "v-"),
    ):
        c.errorbar(
            np.asarray(F[key]["mean"]) + 0.5,
            r,
            xerr=[
                np.asarray(F[key]["mean"]) - np.asarray(F[key]["lo"]),
                np.asarray(F[key]["hi"]) - np.asarray(F[key]["mean"]),
            ],
            fmt=st,
            ms=4,
            label=lab,
        )
    for f, rr, cd in zip(D["rho_fracs"], r, np.asarray(F["cert_rel"]["mean"]) + 0.5):
        c.annotate(f"{f:g}", (cd, rr), fontsize=6, xytext=(-8, 3), textcoords="offset points")
    c.set_xscale("log")
    c.set_xlabel("delay (steps + 0.5); labels: rho / ||theta_full - theta_v||")
    c.set_ylabel(r"retain loss $L_r$")
    c.legend(fontsize=6)
    panel_label(c, "(c) robustness frontier")

    e = ax[1, 1]
    for i, (m, v) in enumerate(D["subset"].items()):
        e.plot(x, v["mean"], color=f"C{i}", label=f"|F'| = {m} of {cfg['n_f']}")
        e.fill_between(x, v["lo"], v["hi"], color=f"C{i}", alpha=0.2)
    e.axhline(1.0, color="0.5", linewidth=0.8)
    e.set_xscale("log")
    e.set_xlabel("relearning steps on F' (x=0.5 is k=0)")
    e.set_ylabel(r"$L_{F\setminus F'}(\theta_k)/c$ (exact)")
    e.legend()
    panel_label(e, "(d) subset relearning")
    fig.suptitle(
        f"Relearning vs unlearning (quadratic core; mean and 95% CI over {cfg['seeds']} seeds)",
        fontsize=9,
    )
    return fig


def measured(saved: dict) -> dict[str, str]:
    """Markdown blocks of theory/relearn_sam.md, rendered from the saved JSON."""
    from unlearnlab.lab.results import from_jsonable

    saved = from_jsonable(saved)
    D, cfg = saved["data"], saved["config"]
    lines = [
        "| rho / ‖θ_full − θ_v‖ | retain loss L_r | certified delay (level c) | measured delay (level c) "
        "| certified delay (level 2 L_f(θ_full)) | measured delay (level 2 L_f(θ_full)) |",
        "|---|---|---|---|---|---|",
    ]
    for f, v in D["delays"].items():
        lines.append(
            f"| {float(f):g} | {v['retain_loss']:.3f} | {v['certified_c']:.2f} | {v['measured_c']:.2f} "
            f"| {v['certified_rel']:.2f} | {v['measured_rel']:.2f} |"
        )
    lines += [
        "",
        "| method | L_f/c after unlearning | L_r | certified / measured delay (level c) |",
        "|---|---|---|---|",
    ]
    for lab in D["labels"]:
        lines.append(
            f"| {lab} | {float(np.asarray(D['Lf_over_c'][lab]['mean'])):.3f} | "
            f"{float(np.asarray(D['Lr'][lab]['mean'])):.3f} | {D['cert_c'][lab]:.2f} / {D['meas_c'][lab]:.2f} |"
        )
    W = D["weights"]
    lines += [
        "",
        f"Means over {cfg['seeds']} seeds. S1 closed form vs simulation: max gap relative to L_f(θ_0) "
        f"{D['spectral_rel_gap']:.1e}. Exact-robust feasibility min(TRmin/c − 1) = "
        f"{D['robust_feasibility']:.1e}. Mean curvature of the forget error (S4): vanilla "
        f"{float(np.asarray(W['mean_curv_v']['mean'])):.3f}, exact robust (rho = "
        f"{cfg['panel_rhos'][-1]}x) {float(np.asarray(W['mean_curv_s']['mean'])):.3f}. "
        f"Run: {saved['manifest']['timings'].get('total_s', float('nan')):.0f} s wall.",
    ]
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
