"""Unlearning audit: every unlearning method in the lab (ACU included) against the exact ridge oracle.

Panels: (a) U-LiRA ROC per method with the exact Gaussian likelihood-ratio ROC (dashed) and the
GDP bound T_{k mu} for the output-perturbed (DP) model; (b) Guo et al. residual vs n with the
data-dependent and worst-case bounds; (c) KLoM per method with the permutation null bias;
(d) worst-case vs random forget sets; (e) Model Sparsity. See theory/unlearn_audit.md.
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
from unlearnlab.lab.stats import binomial_lower_bound, binomial_upper_bound, loglog_slope
from unlearnlab.lab.sweep import run_seeds

NAME = "unlearn_audit"
METHODS = (
    "no unlearning",
    "GA",
    "GA (ACU baseline)",
    "gd_retain",
    "gdiff",
    "OM",
    "DMM",
    "newton",
    "ACU",
    "exact",
    "DP (no unlearning)",
)
ROC_METHODS = (
    "no unlearning",
    "GA",
    "gd_retain",
    "DMM",
    "newton",
    "ACU",
    "exact",
    "DP (no unlearning)",
)


@dataclass(frozen=True)
class Config:
    n: int = 60
    d: int = 20
    k: int = 10
    lam: float = 1.0
    sigma: float = 0.5
    T: int = 200
    K: int = 64
    M: int = 512
    dp_lam: float = 0.1
    dp_B: float = 2.0
    dp_kmu: float = 1.5
    guo_ns: tuple = (100, 200, 400, 800, 1600)
    guo_seeds: int = 3
    guo_lam: float = 0.01
    wc_n: int = 60
    wc_k: int = 5
    wc_steps: int = 150
    wc_random: int = 200
    sp_n: int = 400
    sp_d: int = 20
    sp_sizes: tuple = (2, 4, 8, 12, 16, 20)
    # Model Sparsity bound (issue 19): masked GD on ridge, unrolled unlearner vs exact unlearner
    sb_n: int = 1000
    sb_d: int = 200
    sb_f: int = 50
    sb_t: int = 100
    sb_lam: float = 1.0
    sb_sparsities: tuple = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
    cka_steps: int = 1500
    seed: int = 0


def make_config(args) -> Config:
    if args.quick:
        return Config(
            n=40,
            d=10,
            k=5,
            T=50,
            K=16,
            M=64,
            guo_ns=(100, 200, 400),
            guo_seeds=1,
            wc_n=30,
            wc_k=3,
            wc_steps=30,
            wc_random=50,
            sp_n=100,
            sp_d=8,
            sp_sizes=(2, 8),
            sb_n=100,
            sb_d=20,
            sb_f=10,
            sb_t=20,
            sb_sparsities=(0.0, 0.5, 0.9),
            cka_steps=100,
        )
    return Config()


def _unit_rows(X):
    return X / jnp.maximum(1.0, jnp.linalg.norm(X, axis=1, keepdims=True))


# The ROC stage's set-up and per-method analysis are jitted as whole programs: run eagerly, each of
# their jnp/jax.random calls compiled a program of its own (quick run: ~280 compiles).
@partial(jax.jit, static_argnames=("n", "d", "k", "sigma"))
def _roc_world(key, n, d, k, sigma):
    kx, kb, kf = jax.random.split(key, 3)
    X = _unit_rows(jax.random.normal(kx, (n, d)) / math.sqrt(d) * 1.5)
    beta = jax.random.normal(kb, (d,))
    XF = X[:k]
    yF = XF @ beta + sigma * jax.random.normal(kf, (k,))
    return X, XF, beta, yF, jax.random.fold_in(key, 1), jax.random.fold_in(key, 9)


def _roc_slices(K, M):
    """Rows of the sweep: K shadow "in", K shadow "out", M target "in", M target "out" models."""
    return slice(0, K), slice(K, 2 * K), slice(2 * K, 2 * K + M), slice(2 * K + M, 2 * K + 2 * M)


@jax.jit
def _null_bias(key, orc_pos, orc_neg):
    from unlearnlab.unlearning.audit import klom_null_bias

    return klom_null_bias(key, orc_pos, orc_neg)


@partial(jax.jit, static_argnames=("K", "M"))
def _attack(m_in, m_out, K, M):
    """U-LiRA AUC (+ SE), TPR at 1% FPR, empirical ROC and KLoM of one method's margins."""
    from unlearnlab.unlearning.audit import auc_with_se, klom, lira_scores, roc_curve, tpr_at_fpr

    sh_in, sh_out, pos_s, neg_s = _roc_slices(K, M)
    pos = lira_scores(m_in[pos_s], m_in[sh_in], m_out[sh_out]).ravel()
    neg = lira_scores(m_out[neg_s], m_in[sh_in], m_out[sh_out]).ravel()
    auc, se = auc_with_se(pos, neg)
    tpr, _ = tpr_at_fpr(pos, neg, 0.01)
    fpr_e, tpr_e = roc_curve(pos, neg, n_thresh=401)
    return auc, se, tpr, fpr_e, tpr_e, klom(m_in[pos_s], m_out[neg_s])


@partial(jax.jit, static_argnames=("K", "M"))
def _exact_attack(m_in, m_out, mu_in, sd_in, mu_out, sd_out, K, M):
    """Analytic binormal LR-ROC and the AUC (+ SE) of the LR attack with the exact parameters."""
    from unlearnlab.unlearning.audit import auc_with_se, binormal_lr_roc

    _, _, pos_s, neg_s = _roc_slices(K, M)
    fa, ta = binormal_lr_roc(mu_in, sd_in, mu_out, sd_out, n_thresh=801)

    def exact_lr(mm):
        lp = lambda m, mu, s: -0.5 * ((m - mu) / s) ** 2 - jnp.log(s)
        return lp(mm, mu_in, sd_in) - lp(mm, mu_out, sd_out)

    a2, se2 = auc_with_se(exact_lr(m_in[pos_s]).ravel(), exact_lr(m_out[neg_s]).ravel())
    return fa, ta, a2, se2


def _methods(cfg, X, f, beta, yF):
    """Every method on one training run: ``run(key) -> ({method: theta}, theta_R, theta_DP_out)``."""
    from unlearnlab.unlearning.certified import ridge_output_perturbation, ridge_sensitivity

    fm = f.astype(X.dtype)
    delta2 = ridge_sensitivity(cfg.n, cfg.dp_lam, cfg.dp_B)
    s_dp = delta2 * cfg.k / cfg.dp_kmu  # mu = Delta_2 / s per record, k mu = dp_kmu for |F| = k

    def run(key):
        ke, kd1, kd2 = jax.random.split(key, 3)
        eps = jax.random.normal(ke, (cfg.n,))
        out, thR, y = _run_with_eps(cfg, X, f, beta, yF, eps)
        yc = jnp.clip(y, -cfg.dp_B, cfg.dp_B)
        out["DP (no unlearning)"] = ridge_output_perturbation(kd1, X, yc, cfg.dp_lam, s_dp)
        # neighbour: the k forget rows replaced by zero rows (replace-one k times)
        dp_out = ridge_output_perturbation(
            kd2, X * (1 - fm)[:, None], yc * (1 - fm), cfg.dp_lam, s_dp
        )
        return out, thR, dp_out

    return run, s_dp, delta2


def _stage_roc(cfg, ctx):
    key = jax.random.key(cfg.seed)
    X, XF, beta, yF, k_sweep, k_null = _roc_world(key, cfg.n, cfg.d, cfg.k, cfg.sigma)
    f = np.arange(cfg.n) < cfg.k  # host mask: a constant in every traced use below
    run, s_dp, delta2 = _methods(cfg, X, f, beta, yF)

    def one(kk):
        out, thR, dp_out = run(kk)
        return {
            "in": {m: XF @ v for m, v in out.items()},
            "err": {m: jnp.linalg.norm(v - thR) for m, v in out.items()},
            "out": XF @ thR,
            "dp_out": XF @ dp_out,
        }

    K, M = cfg.K, cfg.M
    R = run_seeds(one, k_sweep, 2 * K + 2 * M, **ctx.sweep_kwargs(cfg, "roc"))
    _, _, pos_s, neg_s = _roc_slices(K, M)

    # exact Gaussian parameters of each statistic: every method is affine in the retain noise,
    # so mean = value at zero noise and sd = ||d stat / d eps|| (eps ~ N(0, I))
    def stat_all(eps):
        out, thR, _ = _run_with_eps(cfg, X, f, beta, yF, eps)
        return {**{m: XF @ v for m, v in out.items()}, "oracle": XF @ thR}

    # affine maps: stat(e_j) - stat(0) is column j of the Jacobian; the means and the sds of every
    # statistic come out of one compiled program
    def stat_params():
        basis = jnp.concatenate([jnp.zeros((1, cfg.n)), jnp.eye(cfg.n)])
        vals = jax.vmap(stat_all)(basis)
        means = {m: v[0] for m, v in vals.items()}
        sds = {m: jnp.linalg.norm(v[1:] - v[:1], axis=0) for m, v in vals.items()}  # carries sigma
        return means, sds

    means, sds = jax.device_get(jax.jit(stat_params)())
    mu_out, sd_out = means["oracle"], sds["oracle"]

    table, rocs, klom_vals = {}, {}, {}
    null = np.asarray(_null_bias(k_null, R["out"][pos_s], R["out"][neg_s]))
    for m in METHODS:
        m_out = R["dp_out"] if m == "DP (no unlearning)" else R["out"]
        auc, se, tpr, fpr_e, tpr_e, kl = jax.device_get(_attack(R["in"][m], m_out, K=K, M=M))
        npos = M * cfg.k  # one LiRA score per (target model, forget point)
        hits = int(round(float(tpr) * npos))
        klom_vals[m] = kl
        err = np.asarray(R["err"][m][pos_s])
        row = {
            "auc": float(auc),
            "auc_se": float(se),
            "tpr_at_1pct": float(tpr),
            "tpr_ci": [
                binomial_lower_bound(hits, npos, 0.025),
                binomial_upper_bound(hits, npos, 0.025),
            ],
            "klom": float(np.mean(kl)),
            "klom_null_bias": float(np.mean(null)),
            "param_err": float(np.mean(err)) if m != "DP (no unlearning)" else float("nan"),
        }
        if m != "DP (no unlearning)":
            mu_in, sd_in = means[m], sds[m]
            exact_like = (
                float(np.max(np.abs(mu_in - mu_out)) + np.max(np.abs(sd_in - sd_out))) < 1e-9
            )
            if exact_like:
                fa, ta = np.linspace(0, 1, 201), np.linspace(0, 1, 201)
            else:
                # the analytic LR-ROC, and the same attack with the exact parameters (no
                # shadow-fitting error)
                fa, ta, a2, se2 = jax.device_get(
                    _exact_attack(R["in"][m], m_out, mu_in, sd_in, mu_out, sd_out, K=K, M=M)
                )
            row["auc_analytic"] = float(np.trapezoid(np.asarray(ta), np.asarray(fa)))
            if not exact_like:
                row["auc_exact_params"], row["auc_exact_params_se"] = float(a2), float(se2)
        else:
            fa, ta = None, None
        table[m] = row
        rocs[m] = {
            "fpr": np.asarray(fpr_e),
            "tpr": np.asarray(tpr_e),
            "fpr_th": None if fa is None else np.asarray(fa),
            "tpr_th": None if ta is None else np.asarray(ta),
        }
    return {
        "table": table,
        "rocs": {m: rocs[m] for m in ROC_METHODS},
        "klom": {m: klom_vals[m] for m in METHODS},
        "null_bias": null,
        "dp": {"delta2": delta2, "s": s_dp, "kmu": cfg.dp_kmu, "k": cfg.k},
    }


def _run_with_eps(cfg, X, f, beta, yF, eps):
    from unlearnlab.unlearning.acu import acu_fit, acu_unlearn_checked
    from unlearnlab.unlearning.baselines import gradient_ascent_unlearn
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

    n, lam = cfg.n, cfg.lam
    fm = f.astype(X.dtype)
    fi = np.flatnonzero(np.asarray(f))
    eta = 1.0 / (float(np.linalg.norm(np.asarray(X), 2) ** 2) + lam)
    eta_m = n / float(np.linalg.norm(np.asarray(X), 2) ** 2)
    y = jnp.where(f, jnp.zeros(n).at[fi].set(yF), X @ beta + cfg.sigma * eps)
    th = ridge_fit(X, y, lam)
    thR = ridge_fit(X * (1 - fm)[:, None], y * (1 - fm), lam)
    tau = single_removal_attribution(X, y, th, lam, X)
    dm = additive_datamodel_predict(tau, X @ th, f)
    st = acu_fit(X, y[:, None], lam)
    st2, _ = acu_unlearn_checked(st, X[fi], y[fi][:, None])
    out = {
        "no unlearning": th,
        "GA": ga_forget(th, X, y, f, eta, cfg.T)[-1],
        "GA (ACU baseline)": gradient_ascent_unlearn(
            st.W, X[fi], y[fi][:, None], lr=eta, n_steps=cfg.T
        )[:, 0],
        "gd_retain": gd_retain(th, X, y, ~f, lam, eta, cfg.T)[-1],
        "gdiff": gdiff(th, X, y, f, lam, eta, 1.0, cfg.T)[-1],
        "OM": output_matching(th, X, X @ thR, eta_m, cfg.T)[-1],
        "DMM": output_matching(th, X, dm, eta_m, cfg.T)[-1],
        "newton": newton_removal(th, X, y, f, lam),
        "ACU": st2.W[:, 0],
        "exact": woodbury_retrain(X, y, th, f, lam),
    }
    return out, thR, y


# Stages below run each configuration as one jitted program (static sizes): eagerly, every jnp and
# jax.random call compiled a program of its own.
@partial(jax.jit, static_argnames=("n", "lam"))
def _guo_run(key, n, lam):
    from unlearnlab.unlearning.certified import (
        LOGISTIC_GAMMA_GUO,
        grad_residual,
        guo_bounds,
        newton_removal,
    )
    from unlearnlab.unlearning.exact import logistic_fit_newton

    X = _unit_rows(jax.random.normal(key, (n, 5)) / math.sqrt(5) * 1.5)
    w0 = jnp.array([2.0, -1.0, 0.5, 0.0, 1.0])
    y = jnp.where(
        jax.random.uniform(jax.random.fold_in(key, 1), (n,)) < jax.nn.sigmoid(X @ w0),
        1.0,
        -1.0,
    )
    f = np.arange(n) == 0
    w = logistic_fit_newton(X, y, lam)
    wm = newton_removal(w, X, y, f, lam, loss="logistic")
    res = grad_residual(wm, X, y, ~f, lam, loss="logistic")
    b = guo_bounds(w, X, y, f, lam, LOGISTIC_GAMMA_GUO, 1.0)
    return jnp.stack([res, b["data_dep"], b["norm"], b["worst_case"]])


def _stage_guo(cfg):
    rows = []
    for n in cfg.guo_ns:
        acc = [
            jax.device_get(_guo_run(jax.random.key(1000 * s + n), n, cfg.guo_lam))
            for s in range(cfg.guo_seeds)
        ]
        rows.append(np.mean(np.asarray(acc), 0))
    rows = np.asarray(rows)
    return {
        "n": list(cfg.guo_ns),
        "residual": rows[:, 0],
        "data_dep": rows[:, 1],
        "norm": rows[:, 2],
        "worst_case": rows[:, 3],
    }


@partial(jax.jit, static_argnames=("n", "d", "n_random"))
def _worst_world(key, n, d, n_random):
    X = jax.random.normal(key, (n, d)) / math.sqrt(d)
    y = X @ jax.random.normal(jax.random.fold_in(key, 1), (d,)) + 0.5 * jax.random.normal(
        jax.random.fold_in(key, 2), (n,)
    )
    return X, y, jax.random.fold_in(key, 3), jax.random.split(jax.random.fold_in(key, 4), n_random)


@partial(jax.jit, static_argnames=("unlearner", "k"))
def _worst_gaps(forget, keys, X, y, unlearner, k):
    """G at the worst-case forget set and at random ``k``-subsets (one key each)."""
    from unlearnlab.unlearning.worst_case import unlearning_gap

    n = X.shape[0]
    g_w = unlearning_gap(1.0 - forget.astype(X.dtype), X, y, 1.0, unlearner)

    def rnd(kk):
        idx = jax.random.choice(kk, n, (k,), replace=False)
        w = jnp.ones(n).at[idx].set(0.0)
        return unlearning_gap(w, X, y, 1.0, unlearner)

    return g_w, jax.vmap(rnd)(keys)


def _stage_worst(cfg):
    from unlearnlab.unlearning.worst_case import (
        ga_unlearner,
        gd_retain_unlearner,
        newton_unlearner,
        worst_case_forget,
    )

    n, d = cfg.wc_n, 10
    X, y, k_pga, keys = _worst_world(jax.random.key(cfg.seed + 5), n, d, cfg.wc_random)
    eta = 1.0 / (float(np.linalg.norm(np.asarray(X), 2) ** 2) + 1.0)
    out = {}
    for name, U in (
        ("gd_retain", gd_retain_unlearner(eta, 10)),
        ("GA", ga_unlearner(0.2 * eta, 10)),
        ("newton", newton_unlearner()),
    ):
        m = worst_case_forget(k_pga, X, y, 1.0, cfg.wc_k, U, cfg.wc_steps, 0.1)
        g_w, g_r = jax.device_get(_worst_gaps(m, keys, X, y, U, cfg.wc_k))
        out[name] = {"worst": float(g_w), "random": np.asarray(g_r)}
    return out


@partial(jax.jit, static_argnames=("n", "d"))
def _sparsity_world(key, n, d):
    X = _unit_rows(jax.random.normal(key, (n, d)) / math.sqrt(d) * 1.5)
    w0 = jax.random.normal(jax.random.fold_in(key, 1), (d,)) * 2
    y = jnp.where(
        jax.random.uniform(jax.random.fold_in(key, 2), (n,)) < jax.nn.sigmoid(X @ w0),
        1.0,
        -1.0,
    )
    return X, y


def _stage_sparsity(cfg):
    from unlearnlab.unlearning.certified import sparsity_sweep

    X, y = _sparsity_world(jax.random.key(cfg.seed + 7), cfg.sp_n, cfg.sp_d)
    f = np.arange(cfg.sp_n) < 5
    r = sparsity_sweep(X, y, f, 0.01, cfg.sp_sizes)
    return {k: np.asarray(v) for k, v in r.items()}


@partial(jax.jit, static_argnames=("n", "d", "n_f"))
def _sparsity_bound_world(key, n, d, n_f):
    kx, kb, ke, ki = jax.random.split(key, 4)
    X = jax.random.normal(kx, (n, d)) / math.sqrt(d)
    y = X @ jax.random.normal(kb, (d,)) + 0.5 * jax.random.normal(ke, (n,))
    return X, y, 0.1 * jax.random.normal(ki, (d,))


def _stage_sparsity_bound(cfg):
    """Model Sparsity on ridge: exact unrolled-unlearning error and the derived bound per sparsity."""
    from unlearnlab.unlearning.sparsity import sparsity_error_curve

    X, y, init = _sparsity_bound_world(jax.random.key(cfg.seed + 8), cfg.sb_n, cfg.sb_d, cfg.sb_f)
    f = np.arange(cfg.sb_n) < cfg.sb_f
    r = sparsity_error_curve(X, y, f, cfg.sb_lam, cfg.sb_sparsities, init, cfg.sb_t)
    return {k: np.asarray(v) for k, v in r.items()}


@partial(jax.jit, static_argnames=("steps",))
def _cka_run(key, steps):
    from unlearnlab.unlearning.audit import linear_cka
    from unlearnlab.unlearning.exact import ridge_fit

    n, d, h = 300, 10, 32
    X = jax.random.normal(key, (n, d))
    y = jnp.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    f = np.arange(n) < 60

    def train(k, w):
        W1 = jax.random.normal(k, (d, h)) / math.sqrt(d)
        v = jnp.zeros(h)

        def loss(p):
            W1, v = p
            return jnp.sum(w * (jax.nn.relu(X @ W1) @ v - y) ** 2) / jnp.sum(w)

        g = jax.grad(loss)

        def step(p, _):
            gg = g(p)
            return (p[0] - 0.05 * gg[0], p[1] - 0.05 * gg[1]), None

        return jax.lax.scan(step, (W1, v), None, length=steps)[0]

    W1, v = train(jax.random.fold_in(key, 1), jnp.ones(n))
    phi = jax.nn.relu(X @ W1)
    keep = (~f).astype(X.dtype)
    v_head = ridge_fit(phi * keep[:, None], y * keep, 1e-3)  # head-only unlearning
    phi_head = jax.nn.relu(X @ W1)
    W1r, _ = train(jax.random.fold_in(key, 2), keep)
    phi_re = jax.nn.relu(X @ W1r)
    return linear_cka(phi, phi_head), linear_cka(phi, phi_re), jnp.linalg.norm(v_head - v)


def _stage_cka(cfg):
    """Two-layer ReLU MLP: head-only unlearning keeps the features (CKA 1); retraining does not."""
    head, re, change = jax.device_get(_cka_run(jax.random.key(cfg.seed + 11), cfg.cka_steps))
    return {
        "cka_orig_vs_headonly": float(head),
        "cka_orig_vs_retrain": float(re),
        "head_change": float(change),
    }


def _hm_se(a, n):
    """Hanley-McNeil SE at AUC ``a`` with ``n`` scores per class (floor for empirical AUC = 1)."""
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    return math.sqrt(max(a * (1 - a) + (n - 1) * (q1 - a * a) + (n - 1) * (q2 - a * a), 0.0)) / n


def compute(cfg: Config, ctx) -> dict:
    cache = ctx.stage_cache(cfg)
    roc = cache.stage("roc", lambda: _stage_roc(cfg, ctx))
    guo = cache.stage("guo", lambda: _stage_guo(cfg))
    wc = cache.stage("worst", lambda: _stage_worst(cfg))
    sp = cache.stage("sparsity", lambda: _stage_sparsity(cfg))
    sb = cache.stage("sparsity_bound", lambda: _stage_sparsity_bound(cfg))
    cka = cache.stage("cka", lambda: _stage_cka(cfg))
    t = roc["table"]
    ex = t["exact"]
    nu = t["no unlearning"]
    chain = bool(
        np.all(guo["residual"] <= guo["data_dep"])
        and np.all(guo["data_dep"] <= guo["norm"])
        and np.all(guo["norm"] <= guo["worst_case"])
    )
    wslope = loglog_slope(guo["n"], guo["worst_case"]).slope if len(guo["n"]) >= 3 else float("nan")
    rand_max = {m: float(np.max(v["random"])) for m, v in wc.items()}
    claims = {
        "unlearn_audit.exact_auc_null": claim_result(
            ex["auc"],
            0.5,
            abs(ex["auc"] - 0.5) <= 4 * ex["auc_se"],
            f"U-LiRA AUC of exact retrain, 4 SE = {4 * ex['auc_se']:.3f}",
        ),
        "unlearn_audit.auc_gaussian": claim_result(
            nu["auc_exact_params"],
            nu["auc_analytic"],
            abs(nu["auc_exact_params"] - nu["auc_analytic"]) <= 4 * nu["auc_exact_params_se"],
            "no unlearning: AUC of the exact-parameter LR attack vs the analytic binormal LR-ROC area "
            f"(4 SE); with shadow-fitted parameters (U-LiRA) AUC = {nu['auc']:.3f} +- {nu['auc_se']:.3f}",
        ),
        "unlearn_audit.np_optimal": claim_result(
            {m: r["auc"] for m, r in t.items() if "auc_analytic" in r},
            {m: r["auc_analytic"] for m, r in t.items() if "auc_analytic" in r},
            all(
                r["auc"]
                <= r["auc_analytic"]
                + 4 * max(r["auc_se"], _hm_se(r["auc_analytic"], cfg.M * cfg.k))
                for r in t.values()
                if "auc_analytic" in r
            ),
            "U-LiRA AUC <= exact LR (Neyman-Pearson) AUC + 4 SE for every method",
        ),
        "unlearn_audit.newton_ridge_exact": claim_result(
            t["newton"]["param_err"],
            0.0,
            t["newton"]["param_err"] <= 1e-9,
            "mean ||newton_removal - theta_R|| for ridge",
        ),
        "unlearn_audit.guo_chain": claim_result(
            [float(v) for v in guo["residual"]],
            [float(v) for v in guo["worst_case"]],
            chain,
            f"residual <= data-dep <= norm <= worst case at every n; worst-case slope {wslope:.2f}",
        ),
        "unlearn_audit.gdp_bound": claim_result(
            t["DP (no unlearning)"]["auc"],
            None,
            "reported",
            f"DP model AUC; ROC under the T_{{k mu}} bound with k mu = {cfg.dp_kmu} (panel a); "
            "checked with DKW widths in the test",
        ),
        "unlearn_audit.worst_case": claim_result(
            {m: v["worst"] for m, v in wc.items()},
            rand_max,
            all(wc[m]["worst"] >= rand_max[m] - 1e-8 for m in ("gd_retain", "GA")),
            "G(worst-case forget set) vs max over random k-subsets (gd_retain, GA); newton G = 0",
        ),
        "unlearn_audit.cka_head_only": claim_result(
            [cka["cka_orig_vs_headonly"], cka["cka_orig_vs_retrain"]],
            [1.0, "< 1"],
            abs(cka["cka_orig_vs_headonly"] - 1) <= 1e-12 and cka["cka_orig_vs_retrain"] < 1,
            "CKA(orig, head-only unlearned), CKA(orig, retrained)",
        ),
        "unlearn_audit.sparsity": claim_result(
            [float(v) for v in sp["residual"]],
            [float(v) for v in sp["guo_bound"]],
            bool(np.all(sp["residual"] <= sp["guo_bound"])),
            "masked Newton residual <= masked data-dependent Guo bound per support size "
            f"{list(cfg.sp_sizes)}; trend reported",
        ),
    }
    ratio = sb["bound"] / sb["error_norm"]
    mono = bool(
        np.all(np.diff(sb["lambda_R"]) <= 1e-12 * sb["lambda_R"][0])
        and np.all(np.diff(sb["lambda_F"]) <= 1e-12 * sb["lambda_F"][0])
    )
    claims["unlearn_audit.sparsity_bound"] = claim_result(
        [float(v) for v in ratio],
        ">= 1 (bound / exact error), constants non-increasing in sparsity",
        bool(np.all(ratio >= 1.0) and mono),
        "tightness ratio bound / ||e(m)|| per sparsity "
        f"{list(cfg.sb_sparsities)} (ridge n = {cfg.sb_n}, d = {cfg.sb_d}, |F| = {cfg.sb_f}, "
        f"t = {cfg.sb_t}, eta = 0.5 / lambda_max)",
    )
    return {
        "roc": roc,
        "guo": guo,
        "worst": wc,
        "sparsity": sp,
        "sparsity_bound": sb,
        "cka": cka,
        "claims": claims,
    }


def plot(payload):
    from unlearnlab.lab.plotting import panel_label, subplots, theory_line
    from unlearnlab.unlearning.audit import gdp_tradeoff

    D = payload["data"]
    fig, axes = subplots(2, 3, width=4.3, height=3.3)
    ax = axes[0, 0]
    rocs = D["roc"]["rocs"]
    palette = [
        "#1f77b4",
        "#d62728",
        "#2ca02c",
        "#9467bd",
        "#ff7f0e",
        "#8c564b",
        "#17becf",
        "#e377c2",
    ]
    for i, (m, r) in enumerate(rocs.items()):
        c = palette[i % len(palette)]
        auc = D["roc"]["table"][m]["auc"]
        ax.plot(r["fpr"], r["tpr"], color=c, label=f"{m} (AUC {auc:.2f})", lw=1.2)
        if r["fpr_th"] is not None:
            ax.plot(r["fpr_th"], r["tpr_th"], "--", color=c, lw=0.9)
    a = np.logspace(-4, 0, 200)
    dp = D["roc"]["dp"]
    theory_line(
        ax,
        a,
        1 - np.asarray(gdp_tradeoff(a, dp["kmu"])),
        f"GDP bound 1-T_{{k mu}} [reconstruction], k mu={dp['kmu']}",
    )
    ax.plot([], [], "k--", lw=0.9, label="exact Gaussian LR ROC (per method, thin dashed)")
    ax.plot([], [], " ", label="gd_retain/newton/ACU/exact overlap (identical models)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(1e-3, 1)
    ax.set_ylim(1e-3, 1)
    ax.set_xlabel("FPR")
    ax.set_ylabel("TPR")
    ax.legend(fontsize=5.5, loc="lower right")
    panel_label(ax, "(a) U-LiRA ROC on the forget set")

    ax = axes[0, 1]
    g = D["guo"]
    n = np.asarray(g["n"], float)
    ax.loglog(n, g["residual"], "o-", label=r"measured $\|\nabla L(w^-;D')\|$")
    theory_line(
        ax,
        n,
        g["data_dep"],
        "data-dependent bound (Guo et al. Cor. 1 [reconstruction])",
        color="C1",
    )
    theory_line(
        ax,
        n,
        g["worst_case"],
        r"worst case $4\gamma C^2/(\lambda^2(n-1))$ (Guo et al. Thm 1 [reconstruction])",
    )
    ax.set_xlabel("n")
    ax.set_ylabel("gradient residual")
    ax.legend(fontsize=6, loc="center right")
    panel_label(ax, "(b) certified removal, logistic, k=1")

    ax = axes[1, 0]
    kl = D["roc"]["klom"]
    names = list(kl.keys())
    data = [np.maximum(np.asarray(kl[m], float), 1e-6) for m in names]
    ax.violinplot([np.log10(v) for v in data], showmedians=True)
    nb = float(np.mean(D["roc"]["null_bias"]))
    theory_line(
        ax, [0.5, len(names) + 0.5], [np.log10(nb)] * 2, f"null bias {nb:.3f} (permutation)"
    )
    ax.set_xticks(np.arange(1, len(names) + 1), names, rotation=45, ha="right", fontsize=6)
    ax.set_ylabel(r"$\log_{10}$ KLoM (forget points)")
    ax.legend()
    panel_label(ax, "(c) KLoM per method")

    ax = axes[1, 1]
    wc = D["worst"]
    names = list(wc.keys())
    for i, m in enumerate(names):
        r = np.maximum(np.asarray(wc[m]["random"], float), 1e-30)
        ax.scatter(
            np.full(r.size, i) + np.random.default_rng(0).uniform(-0.15, 0.15, r.size),
            r,
            s=4,
            color="0.6",
            label="random k-subsets" if i == 0 else None,
        )
        ax.scatter(
            [i],
            [max(wc[m]["worst"], 1e-30)],
            marker="*",
            s=90,
            color="C3",
            label="worst case (PGA)" if i == 0 else None,
            zorder=6,
        )
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel(r"gap $G=\|U(\theta)-\theta(w)\|^2$")
    ax.legend()
    panel_label(ax, "(d) worst-case vs random forget sets")

    ax = axes[2, 0]
    sb = D["sparsity_bound"]
    ax.semilogy(
        sb["sparsity"], sb["error_norm"], "o-", label=r"exact $\|e(m)\|$ (unrolled vs exact)"
    )
    theory_line(ax, sb["sparsity"], sb["bound"], "lab's derived bound (interlacing)")
    ax.set_xlabel("sparsity of the magnitude mask (ridge, masked GD)")
    ax.set_ylabel("unlearning error")
    tw = ax.twinx()
    tw.plot(
        sb["sparsity"], sb["lambda_R"], "s:", color="C2", ms=3, label=r"$\lambda_{\max}(MH_RM)$"
    )
    tw.plot(
        sb["sparsity"],
        sb["weight_change"],
        "^:",
        color="C4",
        ms=3,
        label=r"$\|m\circ(\theta_t-\theta_0)\|$",
    )
    tw.set_ylabel("constants (twin axis)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = tw.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=6)
    panel_label(ax, "(e) Model Sparsity: error and checked bound")

    ax = axes[2, 1]
    ax.axis("off")
    t = D["roc"]["table"]
    lines = ["method           AUC±SE   TPR@1%  KLoM   ||θ-θR||"]
    for m, r in t.items():
        pe = (
            "n/a"
            if r["param_err"] is None or not np.isfinite(r["param_err"])
            else f"{r['param_err']:.1e}"
        )
        lines.append(
            f"{m[:16]:<16} {r['auc']:.2f}±{r['auc_se']:.2f} {r['tpr_at_1pct']:.3f} "
            f"{r['klom']:.2f} {pe}"
        )
    lines.append(
        f"KLoM null bias {nb:.3f};  CKA head-only {D['cka']['cka_orig_vs_headonly']:.3f}, "
        f"retrain {D['cka']['cka_orig_vs_retrain']:.3f}"
    )
    ax.text(0, 1, "\n".join(lines), family="monospace", fontsize=6, va="top")
    panel_label(ax, "(f) audit table")
    return fig


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/unlearn_audit.md, rendered from the saved JSON (``python -m
    experiments report`` rewrites them)."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, c = s["data"], s["config"]
    tb = d["roc"]["table"]
    rows = []
    for name, r in tb.items():
        ci = r["tpr_ci"]
        pe = r.get("param_err")
        rows.append(
            [
                name,
                f"{r['auc']:.3f} ± {r['auc_se']:.3f}",
                "-" if r.get("auc_analytic") is None else f"{r['auc_analytic']:.3f}",
                f"{r['tpr_at_1pct']:.3f} [{ci[0]:.4f}, {ci[1]:.4f}]",
                f"{r['klom']:.3g}",
                "-" if pe is None else g(pe),
            ]
        )
    nb = next(iter(tb.values()))["klom_null_bias"]
    audit = [
        f"Audit world n = {c['n']}, d = {c['d']}, k = {c['k']}, lambda = {g(c['lam'])}, sigma = "
        f"{g(c['sigma'])}, T = {c['T']}, K = {c['K']} shadows and M = {c['M']} targets per side. KLoM "
        f"permutation null bias {nb:.3f}.",
        "",
        table(
            [
                "method",
                "AUC ± SE",
                "analytic AUC",
                "TPR@1%FPR [95% CI]",
                "KLoM",
                "mean norm(theta - theta_R)",
            ],
            rows,
        ),
        "",
        "Exact-parameter LR attack: "
        + ", ".join(
            f"{name} {r['auc_exact_params']:.3f} ± {r['auc_exact_params_se']:.3f} (analytic {r['auc_analytic']:.3f})"
            for name, r in tb.items()
            if r.get("auc_exact_params") is not None and name in ("no unlearning", "gdiff")
        )
        + f". DP model: noise scale s = {d['roc']['dp']['s']:.2f} (Delta_2 = {d['roc']['dp']['delta2']:.2f}, "
        f"k mu = {g(d['roc']['dp']['kmu'])}).",
    ]
    gu = d["guo"]
    ns = list(gu["n"])
    slope = float(np.polyfit(np.log(ns), np.log(gu["worst_case"]), 1)[0])
    guo = [
        f"Logistic, d = 5, lambda = {g(c['guo_lam'])}, k = 1, {c['guo_seeds']} seeds per n:",
        "",
        table(
            ["n"] + [str(n) for n in ns],
            [
                ["measured residual"] + [g(x) for x in gu["residual"]],
                ["data-dependent bound"] + [g(x) for x in gu["data_dep"]],
                ["gamma (n-1) norm(v)^2"] + [g(x) for x in gu["norm"]],
                ["worst case"] + [g(x, 3) for x in gu["worst_case"]],
            ],
        ),
        "",
        f"Worst-case slope {slope:.2f}; worst case / measured {g(np.min(gu['worst_case'] / gu['residual']), 1)}-"
        f"{g(np.max(gu['worst_case'] / gu['residual']), 1)}; data-dependent / measured "
        f"{np.min(gu['data_dep'] / gu['residual']):.0f}-{np.max(gu['data_dep'] / gu['residual']):.0f}x.",
    ]
    w = d["worst"]
    worst = (
        f"Ridge n = {c['wc_n']}, k = {c['wc_k']}: G(PGA) vs max over {c['wc_random']} random "
        f"{c['wc_k']}-subsets: "
        + "; ".join(f"{k} {g(v['worst'])} vs {g(np.max(v['random']))}" for k, v in w.items())
        + "."
    )
    sp = d["sparsity"]
    sparsity = (
        f"Logistic n = {c['sp_n']}, d = {c['sp_d']}: support "
        + " / ".join(str(int(x)) for x in sp["support"])
        + " gives residual "
        + " / ".join(g(x) for x in sp["residual"])
        + " (masked Guo bound "
        + " / ".join(g(x) for x in sp["guo_bound"])
        + ") and norm(w^- - w_R) "
        + " / ".join(g(x) for x in sp["param_err"])
        + "."
    )
    ck = d["cka"]
    cka = (
        f"CKA(original, head-only unlearned) = {ck['cka_orig_vs_headonly']!r}; CKA(original, retrained "
        f"first layer) = {ck['cka_orig_vs_retrain']:.3f} (head weights moved by {ck['head_change']:.3f}).\n\n"
        + run_line(s)
    )
    sb = d.get("sparsity_bound")
    sparsity_bound = "(not in this JSON)"
    if sb is not None:
        sparsity_bound = table(
            [
                "sparsity",
                "support",
                "exact norm(e(m))",
                "derived bound",
                "bound / error",
                "lambda_max(M H_R M)",
                "lambda_max(M H_F M)",
                "norm(m o (theta_t - theta_0))",
            ],
            [
                [
                    f"{float(a):.2f}",
                    int(b),
                    g(e),
                    g(u),
                    f"{float(u) / float(e):.1f}",
                    g(lr),
                    g(lf),
                    g(w),
                ]
                for a, b, e, u, lr, lf, w in zip(
                    sb["sparsity"],
                    sb["support"],
                    sb["error_norm"],
                    sb["bound"],
                    sb["lambda_R"],
                    sb["lambda_F"],
                    sb["weight_change"],
                )
            ],
        ) + (
            f"\n\nRidge n = {c['sb_n']}, d = {c['sb_d']}, |F| = {c['sb_f']}, t = {c['sb_t']}, "
            f"lam = {c['sb_lam']}, eta = 0.5 / lambda_max(H) = {g(sb['eta'])}."
        )
    return {
        "audit": "\n".join(audit),
        "guo": "\n".join(guo),
        "worst": worst,
        "sparsity": sparsity,
        "sparsity_bound": sparsity_bound,
        "cka": cka,
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
