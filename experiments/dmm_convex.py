"""DMM in the convex case: iterative unlearners vs oracle/datamodel matching against the exact retrain.

Panels: (a) ||theta_t - theta_R|| in under-parameterised ridge (A1 rate dashed); (b) the same in the
min-norm regime (A2 floor, A4 level dashed); (c) KLoM per method on forget/retain/held-out points
with the permutation null bias; (d) additive-datamodel error vs n (A5 slope -2 dashed);
(e, f) UnlearnRec (Chen, Xia, Huang, SIGIR 2025, arXiv 2505.22649): amortised influence encoders
(additive E0, learned linear E2, dependency-aware E1 = exact) as initialisations of gd_retain, with
the A1 rate from each start dashed, and each encoder's error to the exact retrain against the
request size q.
See theory/dmm_convex.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.lab.stats import loglog_slope
from unlearnlab.lab.sweep import run_seeds

NAME = "dmm_convex"
METHODS = ("gd_retain", "ga_forget", "gdiff", "OM", "DMM", "newton")


@dataclass(frozen=True)
class Config:
    n_a: int = 400
    d_a: int = 50
    k_a: int = 20
    lam: float = 1.0
    n_b: int = 100
    d_b: int = 400
    k_b: int = 10
    lam_attr_b: float = 1e-3
    T: int = 1000
    K: int = 100
    T_klom: int = 300
    n_grid: tuple = (200, 400, 800, 1600)
    d_a5: int = 10
    k_a5: int = 5
    seeds: int = 40
    enc_n: int = 2000
    enc_d: int = 32
    enc_qs: tuple = (1, 8, 32)
    enc_n_pre: int = 2000
    enc_T: int = 60
    enc_eps_rel: float = 1e-6
    seed: int = 0


def make_config(args) -> Config:
    if args.quick:
        return Config(
            n_a=200,
            d_a=20,
            k_a=10,
            n_b=40,
            d_b=120,
            k_b=5,
            T=200,
            K=10,
            T_klom=100,
            n_grid=(100, 200, 400),
            seeds=args.seeds or 2,
            enc_n=400,
            enc_d=16,
            enc_qs=(1, 4, 16),
            enc_n_pre=200,
        )
    return Config(seeds=args.seeds or 40)


def _problem(key, n, d, noise=0.5):
    kx, kb, ke = jax.random.split(key, 3)
    X = jax.random.normal(kx, (n, d)) / math.sqrt(d)
    beta = jax.random.normal(kb, (d,))
    return X, X @ beta + noise * jax.random.normal(ke, (n,))


def _trajectories(X, y, f, lam, theta_full, theta_R, T, key, attr_lam=None):
    """Every unlearner's error trajectory; traced inside the panels' programs (``f``: host mask)."""
    from unlearnlab.unlearning.certified import newton_removal
    from unlearnlab.unlearning.dmm import (
        additive_datamodel_predict,
        ga_forget,
        gd_retain,
        gdiff,
        output_matching,
        single_removal_attribution,
    )

    n, d = X.shape
    H = X.T @ X + lam * jnp.eye(d)
    eta = 1.0 / jnp.linalg.eigvalsh(H)[-1]
    # matching set: F plus a retain subset of 2d rows (all of R when d > n)
    retain_idx = np.flatnonzero(~f)
    if d < n:
        sub = jax.random.choice(key, retain_idx, (min(2 * d, retain_idx.size),), replace=False)
    else:
        sub = retain_idx
    M = jnp.concatenate([np.flatnonzero(f), sub])
    XM = X[M]
    eta_m = XM.shape[0] / jnp.linalg.norm(XM, 2) ** 2
    al = lam if attr_lam is None else attr_lam
    tau = single_removal_attribution(X, y, theta_full, al, XM)
    dm_targets = additive_datamodel_predict(tau, XM @ theta_full, f)
    trajs = {
        "gd_retain": gd_retain(theta_full, X, y, ~f, lam, eta, T),
        "ga_forget": ga_forget(theta_full, X, y, f, eta, T),
        "gdiff": gdiff(theta_full, X, y, f, lam, eta, 1.0, T),
        "OM": output_matching(theta_full, XM, XM @ theta_R, eta_m, T),
        "DMM": output_matching(theta_full, XM, dm_targets, eta_m, T),
    }
    errs = {m: jnp.linalg.norm(t - theta_R, axis=1) for m, t in trajs.items()}
    if lam > 0:
        nr = newton_removal(theta_full, X, y, f, lam)
        errs["newton"] = jnp.full(T + 1, jnp.linalg.norm(nr - theta_R))
    return errs, eta, eta_m, XM, dm_targets - XM @ theta_R


# Each panel's computation runs as one jitted program (sizes static): run eagerly, every jnp and
# jax.random call compiled a program of its own (~500 compilations in the quick run).
@partial(jax.jit, static_argnames=("n", "d", "k", "lam", "T"))
def _panel_a_run(key, n, d, k, lam, T):
    from unlearnlab.unlearning.exact import ridge_fit, woodbury_retrain

    X, y = _problem(key, n, d)
    f = np.arange(n) < k
    th = ridge_fit(X, y, lam)
    thR = woodbury_retrain(X, y, th, f, lam)
    refit = ridge_fit(X[~f], y[~f], lam)
    errs, eta, _, _, _ = _trajectories(X, y, f, lam, th, thR, T, jax.random.fold_in(key, 1))
    HR = X[~f].T @ X[~f] + lam * jnp.eye(d)
    lmin = jnp.linalg.eigvalsh(HR)[0]
    return errs, eta, lmin, jnp.max(jnp.abs(thR - refit))


def _panel_a(cfg):
    errs, eta, lmin, wvr = jax.device_get(
        _panel_a_run(jax.random.key(cfg.seed), cfg.n_a, cfg.d_a, cfg.k_a, cfg.lam, cfg.T)
    )
    eta, lmin = float(eta), float(lmin)
    rate = (1 - eta * lmin) ** np.arange(cfg.T + 1) * errs["gd_retain"][0]
    return {
        "errs": {m: errs[m] for m in METHODS},
        "a1_bound": rate,
        "woodbury_vs_refit": float(wvr),
    }


@partial(jax.jit, static_argnames=("n", "d", "k", "lam_attr", "T"))
def _panel_b_run(key, n, d, k, lam_attr, T):
    from unlearnlab.unlearning.dmm import dmm_error_bound, ga_error_floor
    from unlearnlab.unlearning.exact import minnorm_fit

    X, y = _problem(key, n, d)
    X = X * math.sqrt(d / n)  # O(1) singular values
    f = np.arange(n) < k
    th = minnorm_fit(X, y)
    thR = minnorm_fit(X[~f], y[~f])
    errs, _, _, XM, delta = _trajectories(
        X, y, f, 0.0, th, thR, T, jax.random.fold_in(key, 1), attr_lam=lam_attr
    )
    return {
        "errs": errs,
        "a2_floor": ga_error_floor(th, thR, X[f]),
        "a4_bound": dmm_error_bound(delta, XM),
        "a4_limit": jnp.linalg.norm(jnp.linalg.pinv(XM) @ delta),
        "grad_R_at_full": jnp.linalg.norm(X[~f].T @ (X[~f] @ th - y[~f])),
    }


def _panel_b(cfg):
    r = jax.device_get(
        _panel_b_run(jax.random.key(cfg.seed + 1), cfg.n_b, cfg.d_b, cfg.k_b, cfg.lam_attr_b, cfg.T)
    )
    return {
        "errs": {m: r["errs"][m] for m in METHODS if m in r["errs"]},
        **{k: float(r[k]) for k in ("a2_floor", "a4_bound", "a4_limit", "grad_R_at_full")},
    }


@partial(jax.jit, static_argnames=("n", "d", "k"))
def _panel_c_world(key, n, d, k):
    X, y = _problem(key, n + 20, d)
    Xho = X[n:]  # held out
    X, y = X[:n], y[:n]
    eval_idx = np.concatenate([np.arange(k), k + np.arange(20)])
    Xe = jnp.concatenate([X[eval_idx], Xho])
    norm2 = jnp.linalg.norm(X, 2) ** 2
    return X, y, Xe, norm2, jax.random.fold_in(key, 1), jax.random.fold_in(key, 3)


@jax.jit
def _panel_c_klom(key, unl, orc_first, orc):
    from unlearnlab.unlearning.audit import klom, klom_null_bias

    return {m: klom(u, orc) for m, u in unl.items()}, klom_null_bias(key, orc_first, orc)


def _panel_c(cfg, ctx):
    """KLoM: model k trained on S_k u F (full) or S_k (oracle), S_k a random half of the retain pool."""
    from unlearnlab.unlearning.certified import newton_removal
    from unlearnlab.unlearning.dmm import (
        additive_datamodel_predict,
        ga_forget,
        gd_retain,
        gdiff,
        output_matching,
        single_removal_attribution,
    )
    from unlearnlab.unlearning.exact import ridge_fit, woodbury_retrain

    key = jax.random.key(cfg.seed + 2)
    n, d, k, lam = cfg.n_a, cfg.d_a, cfg.k_a, cfg.lam
    n_pool = n - k
    X, y, Xe, norm2, k_sweep, k_null = _panel_c_world(key, n, d, k)
    f = np.arange(n) < k
    T = cfg.T_klom
    eta = 1.0 / (float(norm2) + lam)

    def one(kk):
        half = jax.random.permutation(kk, n_pool)[: n_pool // 2]
        keep = jnp.zeros(n, bool).at[k + half].set(True) | f  # S_k u F
        w = keep.astype(X.dtype)
        Xk = X * w[:, None]
        yk = y * w
        th = ridge_fit(Xk, yk, lam)
        thR = woodbury_retrain(Xk, yk, th, f, lam)
        M = keep  # matching set: the model's own training rows
        tau = single_removal_attribution(Xk, yk, th, lam, X)
        dm = additive_datamodel_predict(tau, X @ th, f)
        etam = jnp.sum(w) / (jnp.linalg.norm(Xk, 2) ** 2)
        outs = {
            "no unlearning": th,
            "gd_retain": gd_retain(th, Xk, yk, ~f, lam, eta, T)[-1],
            "ga_forget": ga_forget(th, Xk, yk, f, eta, T)[-1],
            "gdiff": gdiff(th, Xk, yk, f, lam, eta, 1.0, T)[-1],
            "OM": output_matching(th, X, X @ thR, etam, T, match_mask=M)[-1],
            "DMM": output_matching(th, X, dm, etam, T, match_mask=M)[-1],
            "newton": newton_removal(th, Xk, yk, f, lam),
            "oracle": thR,
        }
        return {m: Xe @ v for m, v in outs.items()}

    # 2K independent training runs: the first K are unlearned, the last K are the oracle reference
    margins = run_seeds(one, k_sweep, 2 * cfg.K, **ctx.sweep_kwargs(cfg, "klom"))
    orc = margins["oracle"][cfg.K :]
    unl = {
        m: margins["oracle" if m == "exact" else m][: cfg.K]
        for m in ("no unlearning",) + METHODS + ("exact",)
    }
    res, null = jax.device_get(_panel_c_klom(k_null, unl, margins["oracle"][: cfg.K], orc))
    groups = {"forget": slice(0, k), "retain": slice(k, k + 20), "held-out": slice(k + 20, k + 40)}
    table = {m: {g: float(np.mean(res[m][s])) for g, s in groups.items()} for m in unl}
    return {
        "klom": table,
        "null_bias": float(np.mean(null)),
        "null_bias_per_group": {g: float(np.mean(null[s])) for g, s in groups.items()},
    }


def _panel_d(cfg, ctx):
    from unlearnlab.unlearning.dmm import additive_datamodel_predict, single_removal_attribution
    from unlearnlab.unlearning.exact import ridge_fit, woodbury_retrain

    out = []
    for n in cfg.n_grid:

        def one(kk, n=n):
            X, y = _problem(kk, n, cfg.d_a5, noise=0.3)
            Xe = jax.random.normal(jax.random.fold_in(kk, 3), (100, cfg.d_a5)) / math.sqrt(cfg.d_a5)
            f = jnp.arange(n) < cfg.k_a5
            th = ridge_fit(X, y, 1.0)
            thR = woodbury_retrain(X, y, th, f, 1.0)
            tau = single_removal_attribution(X, y, th, 1.0, Xe)
            pred = additive_datamodel_predict(tau, Xe @ th, f)
            return jnp.mean(jnp.abs(pred - Xe @ thR))

        errs = run_seeds(
            one, jax.random.key(cfg.seed + 10), cfg.seeds, **ctx.sweep_kwargs(cfg, f"a5-{n}")
        )
        out.append(float(np.mean(errs)))
    return {"n": list(cfg.n_grid), "err": out}


@partial(jax.jit, static_argnames=("n", "d", "lam"))
def _panel_e_world(key, n, d, lam):
    from unlearnlab.unlearning import ridge_fit

    X, y = _problem(key, n, d)
    th = ridge_fit(X, y, lam)
    H = X.T @ X + lam * jnp.eye(d)
    return X, y, th, jnp.linalg.eigvalsh(H)[-1]


@partial(jax.jit, static_argnames=("q", "lam", "n_pre"))
def _panel_e_request(key, X, y, th, q, lam, n_pre):
    """A random request of ``q`` rows, E2 pre-trained for that size, and ``lambda_min(H_R)``."""
    from unlearnlab.unlearning import pretrain_linear_encoder

    n, d = X.shape
    kq = jax.random.fold_in(key, q)
    f = jnp.zeros(n, bool).at[jax.random.choice(kq, n, (q,), replace=False)].set(True)
    A = pretrain_linear_encoder(jax.random.fold_in(kq, 1), X, y, th, lam, q, n_pre)
    XR = X[jnp.nonzero(~f, size=n - q)[0]]  # the retained rows in order, as X[~f]
    HR = XR.T @ XR + lam * jnp.eye(d)
    return f, A, jnp.linalg.eigvalsh(HR)[0]


@partial(jax.jit, static_argnames=("lam", "T"))
def _panel_e_fit(X, y, th, f, A, lam, eta, T):
    """gd_retain error trajectories from each encoder's start (one program for every request)."""
    from unlearnlab.unlearning import (
        encoder_additive,
        encoder_dependency,
        encoder_linear,
        gd_retain,
        woodbury_retrain,
    )

    thR = woodbury_retrain(X, y, th, f, lam)
    inits = (
        th,
        encoder_additive(X, y, th, f, lam),
        encoder_linear(A, X, y, th, f),
        encoder_dependency(X, y, th, f, lam),
    )
    errs = [jnp.linalg.norm(gd_retain(t0, X, y, ~f, lam, eta, T) - thR, axis=1) for t0 in inits]
    return errs, jnp.linalg.norm(th - thR), jnp.max(jnp.abs(inits[3] - thR))


def _panel_e(cfg):
    """UnlearnRec encoders on one ridge problem: init errors, gd_retain trajectories, steps to eps."""
    from unlearnlab.unlearning import a1_steps_bound

    key = jax.random.key(cfg.seed + 20)
    n, d = cfg.enc_n, cfg.enc_d
    X, y, th, lmax = _panel_e_world(key, n, d, cfg.lam)
    eta = 1.0 / float(lmax)
    names = ("theta_full", "E0 additive", "E2 learned linear", "E1 dependency-aware")
    per_q = {}
    for q in cfg.enc_qs:
        f, A, lmin = _panel_e_request(key, X, y, th, q, cfg.lam, cfg.enc_n_pre)
        lmin = float(lmin)
        es, e_full, e1 = jax.device_get(_panel_e_fit(X, y, th, f, A, cfg.lam, eta, cfg.enc_T))
        e_full = float(e_full)
        eps = cfg.enc_eps_rel * e_full
        errs, steps, bounds = {}, {}, {}
        for nm, e in zip(names, es):
            errs[nm] = e
            hit = np.flatnonzero(e <= eps)
            steps[nm] = int(hit[0]) if hit.size else -1
            bounds[nm] = a1_steps_bound(float(e[0]), eps, eta, lmin)
        rho = 1.0 - eta * lmin
        per_q[str(q)] = {
            "errs": errs,
            "init_err": {nm: float(errs[nm][0]) for nm in names},
            "init_rel": {nm: float(errs[nm][0]) / e_full for nm in names},
            "steps": steps,
            "a1_steps": bounds,
            "a1_rate": {nm: float(errs[nm][0]) * rho ** np.arange(cfg.enc_T + 1) for nm in names},
            "eps": eps,
            "e_full": e_full,
            "speedup_E2": steps["theta_full"] / max(steps["E2 learned linear"], 1),
            "speedup_E0": steps["theta_full"] / max(steps["E0 additive"], 1),
            "E1_vs_woodbury": float(e1),
        }
    return {"names": list(names), "qs": list(cfg.enc_qs), "eta": eta, "per_q": per_q}


def compute(cfg: Config, ctx) -> dict:
    cache = ctx.stage_cache(cfg)
    a = cache.stage("a", lambda: _panel_a(cfg))
    b = cache.stage("b", lambda: _panel_b(cfg))
    c = cache.stage("c", lambda: _panel_c(cfg, ctx))
    d = cache.stage("d", lambda: _panel_d(cfg, ctx))
    e = cache.stage("e", lambda: _panel_e(cfg))
    fit = loglog_slope(d["n"], d["err"])
    ea, eb = a["errs"], b["errs"]
    bnd = np.asarray(a["a1_bound"])
    live = bnd > 1e-10 * bnd[0]  # below that the float64 error floor (~1e-16) dominates
    ratio_a1 = float(np.max(np.asarray(ea["gd_retain"])[live] / bnd[live]))
    ga_min = float(np.min(eb["ga_forget"]))
    claims = {
        "dmm_convex.woodbury_exact": claim_result(
            a["woodbury_vs_refit"],
            0.0,
            a["woodbury_vs_refit"] <= 1e-8,
            "max |woodbury_retrain - refit| (float64)",
        ),
        "dmm_convex.a1_rate": claim_result(
            ratio_a1,
            1.0,
            ratio_a1 <= 1 + 1e-8,
            "max_t ||theta_t-theta_R|| / A1 bound over t with bound > 1e-10 x initial (ridge, panel a)",
        ),
        "dmm_convex.a1_noop": claim_result(
            float(np.max(np.abs(np.asarray(eb["gd_retain"]) - eb["gd_retain"][0]))),
            0.0,
            bool(np.max(np.abs(np.asarray(eb["gd_retain"]) - eb["gd_retain"][0])) <= 1e-8),
            f"change of gd_retain error in the min-norm regime; ||grad L_R(theta_full)|| = "
            f"{b['grad_R_at_full']:.2e}",
        ),
        "dmm_convex.a2_floor": claim_result(
            ga_min,
            b["a2_floor"],
            ga_min >= b["a2_floor"] * (1 - 1e-8),
            "min_t GA error vs ||P_ker X_F (theta_full - theta_R)||",
        ),
        "dmm_convex.a3_om_exact": claim_result(
            float(eb["OM"][-1]),
            0.0,
            float(eb["OM"][-1]) <= 1e-6 * float(eb["OM"][0]),
            "final OM error (min-norm, M = all rows) vs 1e-6 x initial",
        ),
        "dmm_convex.a4_dmm_bound": claim_result(
            float(eb["DMM"][-1]),
            b["a4_bound"],
            float(eb["DMM"][-1]) <= b["a4_bound"] * (1 + 1e-6),
            f"DMM plateau vs ||delta||/sigma_min; exact limit "
            f"||X_M^+ delta|| = {b['a4_limit']:.3e}",
        ),
        "dmm_convex.a5_slope": claim_result(
            fit.slope,
            -2.0,
            -2.5 <= fit.slope <= -1.5,
            f"log-log slope of the additive datamodel error vs n, "
            f"95% CI [{fit.lo:.2f}, {fit.hi:.2f}]",
        ),
        "dmm_convex.klom_null": claim_result(
            c["klom"]["exact"]["forget"],
            c["null_bias"],
            "reported",
            "KLoM of an independent exact retrain on forget points vs the permutation null bias",
        ),
    }
    pq = e["per_q"]
    e1 = max(v["E1_vs_woodbury"] for v in pq.values())
    claims["dmm_convex.encoder_dependency_exact"] = claim_result(
        e1, 0.0, e1 <= 1e-10, "max |E1 - woodbury_retrain| over the request sizes q (float64)"
    )
    a1ok = all(0 <= v["steps"][nm] <= v["a1_steps"][nm] for v in pq.values() for nm in e["names"])
    claims["dmm_convex.encoder_a1_steps"] = claim_result(
        {q: v["steps"] for q, v in pq.items()},
        {q: v["a1_steps"] for q, v in pq.items()},
        a1ok,
        f"gd_retain steps to ||theta_t - theta_R|| <= {cfg.enc_eps_rel:g} ||theta_full - theta_R|| "
        "from each encoder vs the A1 bound",
    )
    claims["dmm_convex.encoder_leverage_slope"] = claim_result(
        {q: v["init_rel"]["E2 learned linear"] for q, v in pq.items()},
        "decreases like 1/n (slope in [-1.3, -0.7], slow test)",
        "reported",
        f"relative error of E2 at n = {cfg.enc_n}, d = {cfg.enc_d} per request size q",
    )
    return {
        "e": e,
        "a": a,
        "b": b,
        "c": c,
        "d": {
            **d,
            "slope": fit.slope,
            "slope_lo": fit.lo,
            "slope_hi": fit.hi,
            "intercept": fit.intercept,
        },
        "claims": claims,
    }


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    D = payload["data"]
    fig, axes = subplots(3, 2, width=4.4, height=3.3)
    colors = dict(zip(METHODS, ["C0", "C1", "C2", "C3", "C4", "C5"]))
    for ax, key, title in (
        (axes[0, 0], "a", "(a) ridge n>d: error to exact retrain"),
        (axes[0, 1], "b", "(b) min-norm d>n: error to exact retrain"),
    ):
        errs = D[key]["errs"]
        for m in METHODS:
            if m in errs:
                e = np.maximum(np.asarray(errs[m], float), 1e-16)
                style = {"ls": ":", "lw": 2.6, "zorder": 6} if m == "gd_retain" else {}
                ax.plot(np.arange(e.size), e, label=m, color=colors[m], **style)
        ax.set_yscale("log")
        ax.set_xlabel("step t")
        ax.set_ylabel(r"$\|\theta_t-\theta_R\|$")
        panel_label(ax, title)
    t = np.arange(len(D["a"]["a1_bound"]))
    theory_line(
        axes[0, 0], t, np.maximum(D["a"]["a1_bound"], 1e-16), "A1 rate (lab's derived Prop. A1)"
    )
    axes[0, 0].set_ylim(1e-17, 1e5)
    for ax in (axes[0, 0], axes[0, 1]):
        ax.text(
            0.98,
            0.97,
            "ga_forget/gdiff diverge above the axis"
            if ax is axes[0, 1]
            else "ga_forget diverges above the axis",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7,
            color="C1",
        )
    tb = np.arange(len(D["b"]["errs"]["OM"]))
    theory_line(axes[0, 1], tb, np.full(tb.size, D["b"]["a2_floor"]), "A2 GA floor")
    theory_line(axes[0, 1], tb, np.full(tb.size, D["b"]["a4_bound"]), "A4 DMM bound", color="C4")
    axes[0, 1].set_ylim(1e-12, 1e3)
    axes[0, 0].legend(loc="lower left", ncol=2)
    axes[0, 1].legend(loc="lower left", ncol=2)

    ax = axes[1, 0]
    tab = D["c"]["klom"]
    names = list(tab.keys())
    groups = ["forget", "retain", "held-out"]
    x = np.arange(len(names))
    for j, g in enumerate(groups):
        ax.bar(x + (j - 1) * 0.27, [tab[m][g] for m in names], width=0.27, label=g)
    theory_line(ax, [-0.5, len(names) - 0.5], [D["c"]["null_bias"]] * 2, "KLoM null bias (perm.)")
    ax.set_xticks(x, names, rotation=40, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("mean KLoM")
    ax.legend()
    panel_label(ax, f"(c) KLoM after T={payload['config']['T_klom']} steps")

    ax = axes[1, 1]
    n = np.asarray(D["d"]["n"], float)
    ax.loglog(n, D["d"]["err"], "o-", label=f"measured, slope {D['d']['slope']:.2f}")
    theory_line(
        ax,
        n,
        np.exp(D["d"]["intercept"]) * n ** D["d"]["slope"] * (n / n[0]) ** (-2 - D["d"]["slope"]),
        "A5 slope -2",
    )
    ax.set_xlabel("n")
    ax.set_ylabel(r"mean $|\hat f(R)-f(\theta_R)|$")
    ax.legend()
    panel_label(ax, "(d) additive datamodel error (A5)")
    _plot_encoders(axes[0, 2], axes[1, 2], D["e"])
    return fig


def _plot_encoders(ax, ax2, E):
    from unlearnlab.lab.plotting import panel_label, theory_line

    q = str(E["qs"][-1])
    P = E["per_q"][q]
    cols = ["#7f7f7f", "#ff7f0e", "#2ca02c", "#1f77b4"]
    for nm, c in zip(E["names"], cols):
        err = np.maximum(np.asarray(P["errs"][nm], float), 1e-17)
        t = np.arange(err.size)
        ax.plot(t, err, "-", color=c, label=f"{nm} (steps to eps: {P['steps'][nm]})")
        theory_line(
            ax,
            t,
            np.maximum(P["a1_rate"][nm], 1e-17),
            f"A1 rate from {nm.split()[0]} (lab's derived)",
            color=c,
            linewidth=1.0,
        )
    theory_line(ax, [0, len(err) - 1], [P["eps"]] * 2, "eps", color="0.5", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_ylim(1e-17, 10 * P["e_full"])
    ax.set_xlabel("gd_retain fine-tuning step t")
    ax.set_ylabel(r"$\|\theta_t-\theta_R\|$")
    ax.text(
        0.98,
        0.97,
        f"speed-up (steps, theta_full / E2): {P['speedup_E2']:.1f}x",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=7,
    )
    ax.legend(loc="lower left", fontsize=5.5)
    panel_label(ax, f"(e) UnlearnRec encoders, q = {q}")
    qs = np.asarray(E["qs"], float)
    for nm, c in zip(E["names"], cols):
        v = [max(E["per_q"][str(k)]["init_rel"][nm], 1e-17) for k in E["qs"]]
        ax2.plot(qs, v, "-o", ms=3, color=c, label=nm)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("request size q (rows forgotten)")
    ax2.set_ylabel(r"$\|\theta_0-\theta_R\| / \|\theta_{full}-\theta_R\|$ at the encoder output")
    ax2.legend(fontsize=6)
    panel_label(ax2, "(f) encoder error to the exact retrain")


def measured(saved: dict) -> dict[str, str]:
    """The generated block of theory/dmm_convex.md, rendered from the saved JSON (``python -m
    experiments report`` rewrites it)."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, cl = s["data"], s["claims"]
    a, b, kc, a5 = d["a"], d["b"], d["c"], d["d"]
    ea = {k: np.asarray(v) for k, v in a["errs"].items()}
    eb = {k: np.asarray(v) for k, v in b["errs"].items()}

    def floor_step(e):
        hit = np.flatnonzero(e <= 10 * e.min())
        return int(hit[0]) if hit.size else -1

    ga = eb["ga_forget"]
    kl = kc["klom"]
    order = ["no unlearning", "gd_retain", "OM", "newton", "exact", "DMM", "gdiff", "ga_forget"]
    order = [m for m in order if m in kl] + [m for m in kl if m not in order]
    npg = kc["null_bias_per_group"]
    rows = [
        ["max abs(theta_R Woodbury - theta_R refit)", g(a["woodbury_vs_refit"]), "0"],
        [
            "(a) max of error / A1 bound (where bound > 1e-10 e0)",
            f"{cl['dmm_convex.a1_rate']['measured']:.3f}",
            "<= 1",
        ],
        [
            "(a) gd_retain reaches its float64 floor",
            f"{g(ea['gd_retain'].min())} after {floor_step(ea['gd_retain'])} steps",
            "rate 1 - eta lambda_min(H_R)",
        ],
        [
            f"(a) OM error after {len(ea['OM']) - 1} steps",
            f"{g(ea['OM'][-1])} (floor reached at t = {floor_step(ea['OM'])})",
            "-> 0",
        ],
        [
            "(a) DMM / gdiff error at the last step",
            f"{g(ea['DMM'][-1])} / {g(ea['gdiff'][-1])}",
            "A4 level / none",
        ],
        [
            "(b) norm of grad L_R(theta_full); gd_retain error change",
            f"{g(b['grad_R_at_full'])}; {g(cl['dmm_convex.a1_noop']['measured'])}",
            "0; 0 (A1)",
        ],
        [
            "(b) min_t GA error vs A2 floor",
            f"{ga.min():.3f} (at t = {int(np.argmin(ga))}) vs {b['a2_floor']:.3f}",
            ">= floor",
        ],
        ["(b) OM final error", f"{g(eb['OM'][-1])} (from {eb['OM'][0]:.2f})", "-> 0 (A3)"],
        [
            "(b) DMM plateau vs A4",
            f"{eb['DMM'][-1]:.3f} (exact limit {b['a4_limit']:.3f}) <= {b['a4_bound']:.3f}",
            "<= norm(delta) / sigma_min",
        ],
        [
            "(d) A5 slope",
            f"{a5['slope']:.3f}, 95% CI [{a5['slope_lo']:.3f}, {a5['slope_hi']:.3f}]",
            "-2 (band [-2.5, -1.5])",
        ],
        [
            "(c) KLoM on forget points: " + " / ".join(order),
            " / ".join(f"{kl[m]['forget']:.3g}" for m in order),
            f"null bias {kc['null_bias']:.3f} (permutation; per group "
            + " / ".join(f"{v:.3f}" for v in npg.values())
            + ")",
        ],
    ]
    E = d["e"]
    enc_rows = []
    for q in E["qs"]:
        P = E["per_q"][str(q)]
        enc_rows.append(
            [str(q)]
            + [
                f"{g(P['init_rel'][nm])} ({P['steps'][nm]} / {P['a1_steps'][nm]})"
                for nm in E["names"]
            ]
            + [f"{P['speedup_E2']:.1f}x / {P['speedup_E0']:.1f}x"]
        )
    enc = (
        "Entries: relative error to the exact retrain at the encoder output, "
        "||theta_0 - theta_R|| / ||theta_full - theta_R||, (gd_retain steps to reach eps = "
        f"{g(s['config']['enc_eps_rel'])} x ||theta_full - theta_R|| / A1 bound); n = "
        f"{s['config']['enc_n']}, d = {s['config']['enc_d']}, N_pre = {s['config']['enc_n_pre']}.\n\n"
        + table(["q", *E["names"], "speed-up E2 / E0 (steps)"], enc_rows)
    )
    return {
        "encoders": enc,
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
