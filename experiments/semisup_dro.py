"""Out-of-domain unlabeled data and DRO self-training (RSS) on Gaussian mixtures: accuracy, excess risk, bounds.

Saberi et al., ICLR 2024 (arXiv 2310.00027). Panels:
(a1, a2) exact accuracy against n_unlab at d = 200 for n_lab in {10, 20, 40}, alpha = 0 and 0.5:
         RSS with fixed hyperparameters, the PCA-sign reference, the ERM proxy, the paper's
         (test-set-tuned) accuracies as markers, Bayes accuracy and the shift floor;
(b)      excess risk against n_unlab (log-log), d in {50, 200}, n_lab = 20, with Theorem 4.2 and the
         VC bound at C = 1 dashed and the corollary threshold n_unlab = n_lab^2 / d;
(c)      the ERM proxy's excess against n_lab (d = 20): slope -1, not the VC rate -1/2;
(d)      RCAL (Zhang et al., ICCV 2023, arXiv 2211.10955): noisy labels on long-tailed Gaussian
         classes; balanced and tail-class error of LDA on naive, trimmed [reconstruction] and
         label-free EM class statistics against the imbalance ratio r, with the exact naive
         population errors and the balanced Bayes error dashed.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr

from unlearnlab.lab.claims import claim_result
from unlearnlab.lab.cli import experiment_main
from unlearnlab.lab.stats import loglog_slope, mean_ci
from unlearnlab.lab.sweep import run_grid, run_seeds
from unlearnlab.semisup import (
    bayes_risk_iso,
    binary_lda_errors,
    bound_erm_vc,
    bound_thm42,
    corollary_regime,
    em_class_stats,
    fit_erm_mean,
    fit_pca_sign,
    fit_rss,
    longtail_priors,
    naive_class_stats,
    noisy_class_stats,
    random_unit,
    risk_linear_iso,
    robust_loss_01_linear,
    sample_gmm2,
    sample_noisy_longtail,
    sample_unlabeled,
    shifted_params,
    trimmed_class_stats,
)

NAME = "semisup_dro"

#: the authors' poster table (Section 3.1 of the spec): n_lab -> (n_unlab grid, alpha=0, alpha=0.5)
PAPER_ERM = {10: 0.59, 20: 0.62, 40: 0.65}
PAPER_RSS = {
    10: ([10, 100, 1000, 10000], [0.63, 0.66, 0.79, 0.82], [0.61, 0.65, 0.78, 0.81]),
    20: ([20, 200, 2000, 10000], [0.64, 0.69, 0.80, 0.82], [0.65, 0.65, 0.79, 0.80]),
    40: ([40, 400, 4000, 10000], [0.65, 0.71, 0.81, 0.82], [0.65, 0.73, 0.78, 0.80]),
}


@dataclasses.dataclass(frozen=True)
class Config:
    d: int = 200
    d_small: int = 50
    n_labs: tuple = (10, 20, 40)
    n_unlabs: tuple = (0, 10, 100, 1000, 10000)
    alphas: tuple = (0.0, 0.5)
    n_lab_b: int = 20
    seeds: int = 32
    gamma: float = 4.0
    gamma_u: float = 4.0
    lam: float = 1.0
    steps: int = 300
    lr: float = 0.2
    dtype: str = "float32"
    delta: float = 0.1
    chunk_size: int = 16
    slope_d: int = 20
    slope_n_labs: tuple = (400, 800, 1600, 3200)
    slope_seeds: int = 256
    rcal_sep: float = 5.0
    rcal_eta: float = 0.2
    rcal_rs: tuple = (1.0, 10.0, 100.0)
    rcal_n: int = 20000
    rcal_seeds: int = 16
    rcal_em_iters: int = 50
    seed: int = 0


def make_config(args) -> Config:
    if args.quick:
        return Config(
            d=50,
            d_small=50,
            n_labs=(20,),
            n_unlabs=(0, 100, 1000),
            seeds=args.seeds or 16,
            steps=100,
            chunk_size=16,
            slope_seeds=64,
            rcal_n=4000,
            rcal_seeds=4,
        )
    return Config(seeds=args.seeds or 32)


def _cell_fn(cfg: Config, d: int, n_lab: int, n_unlabs: tuple):
    """Per seed and alpha: ERM, and RSS / PCA-sign for every n_unlab (nested unlabeled samples)."""
    dt = jnp.dtype(cfg.dtype)
    n_max = max(n_unlabs)

    def fn(key, alpha):
        k_mu, k_v, k_l, k_u, k_fit = jax.random.split(key, 5)
        mu0 = random_unit(k_mu, d, dt)  # ||mu_0|| = 1, sigma_0 = 1 (the paper's simulation)
        v = random_unit(k_v, d, dt)
        mu1, s1 = shifted_params(mu0, 1.0, alpha, v)
        Xl, yl = sample_gmm2(k_l, n_lab, mu0, 1.0)
        Xu_all = sample_unlabeled(k_u, n_max, mu1, s1)
        risk = lambda t: risk_linear_iso(t, mu0, 1.0)
        rss, pca = [], []
        for n in n_unlabs:  # common random numbers: Xu for n is the first n rows of Xu_all
            Xu = Xu_all[:n]
            rss.append(
                risk(
                    fit_rss(
                        k_fit,
                        Xl,
                        yl,
                        Xu,
                        cfg.gamma,
                        cfg.gamma_u,
                        cfg.lam,
                        steps=cfg.steps,
                        lr=cfg.lr,
                    )
                )
            )
            pca.append(risk(fit_pca_sign(Xl, yl, Xu)))
        floor = risk(mu1)  # population limit of the unlabeled direction (derived)
        return {
            "erm": risk(fit_erm_mean(Xl, yl)),
            "rss": jnp.stack(rss),
            "pca": jnp.stack(pca),
            "floor": floor,
        }

    return fn


def _sweep_cells(cfg: Config, ctx, d: int, n_labs, n_unlabs, alphas, tag: str, key):
    out = {}
    for n_lab in n_labs:
        res = run_grid(
            _cell_fn(cfg, d, n_lab, tuple(n_unlabs)),
            key,
            jnp.asarray(alphas, dtype=jnp.dtype(cfg.dtype)),
            cfg.seeds,
            chunk_size=cfg.chunk_size,
            **ctx.sweep_kwargs(cfg, f"{tag}-d{d}-m{n_lab}"),
        )
        out[n_lab] = {k: np.asarray(v, dtype=float) for k, v in res.items()}
    return out


# Jitted so that each is one compiled program: run eagerly, their arithmetic compiled one small XLA
# program per operation and shape (about 40 in the quick run).
_ndtr = jax.jit(ndtr)
_erm_vc = jax.jit(bound_erm_vc)


@jax.jit
def _bounds(d, n_lab, n_unlab, delta):
    """Theorem 4.2 at C = 1 (alpha = 0, unit norms and variances) and the VC bound of panel (b)."""
    thm42 = bound_thm42(d, n_lab, n_unlab, 0.0, delta, 1.0, 1.0, 1.0, 1.0)
    return thm42, bound_erm_vc(d, n_lab, delta)


def _ci(x):
    c = mean_ci(x, axis=0)
    return {"mean": c.mean, "lo": c.lo, "hi": c.hi}


@jax.jit
def _robust_loss_gap(key):
    # jitted: run eagerly, the brute-force grid's dozen ops each compiled their own program
    kt, kx, ky, kg = jax.random.split(key, 4)
    d, n = 5, 64
    theta = jax.random.normal(kt, (d,))
    X = jax.random.normal(kx, (n, d))
    y = jnp.where(jax.random.bernoulli(ky, 0.5, (n,)), 1.0, -1.0)
    gam = jax.random.uniform(kg, (n,), minval=0.05, maxval=4.0)
    closed = jax.vmap(lambda x, yy, g: robust_loss_01_linear(theta, x, yy, g))(X, y, gam)
    u = y * (X @ theta) / jnp.linalg.norm(theta)
    t = jnp.linspace(0.0, 5.0, 200_001)
    brute = jnp.max((u[:, None] - t[None, :] <= 0) - gam[:, None] * t[None, :] ** 2, axis=1)
    h = 5.0 / 200_000
    tol = jnp.max(2 * jnp.sqrt(gam) * h + gam * h * h)
    return jnp.max(jnp.abs(closed - brute)), tol


def _robust_loss_check(key) -> float:
    """Max error of the closed-form robust 0-1 loss against a brute-force grid (x64 host)."""
    err, tol = _robust_loss_gap(key)
    return float(err), float(tol)


def compute(config: Config, ctx) -> dict:
    cfg = config
    key = jax.random.key(cfg.seed)
    k_a, k_b, k_c, k_e = jax.random.split(key, 4)
    stages = ctx.stage_cache(cfg)

    # (a) d = cfg.d, every n_lab, every n_unlab, alpha in cfg.alphas
    a = stages.stage(
        "panel_a",
        lambda: {
            str(m): v
            for m, v in _sweep_cells(
                cfg, ctx, cfg.d, cfg.n_labs, cfg.n_unlabs, cfg.alphas, "a", k_a
            ).items()
        },
    )
    # (b) d_small, n_lab_b, alpha = 0 (the d = cfg.d curve reuses panel (a) at n_lab_b, alpha = 0)
    n_unlab_b = tuple(n for n in cfg.n_unlabs if n > 0)
    if cfg.d_small != cfg.d:
        b_small = stages.stage(
            "panel_b",
            lambda: {
                str(m): v
                for m, v in _sweep_cells(
                    cfg, ctx, cfg.d_small, (cfg.n_lab_b,), (0, *n_unlab_b), (0.0,), "b", k_b
                ).items()
            },
        )
    else:  # quick mode: panel (b) is panel (a) at n_lab_b, alpha = 0
        b_small = {str(cfg.n_lab_b): a[str(cfg.n_lab_b)]}
    # asserted verdicts only in the claims' own setting; otherwise "reported"
    standard = cfg.steps == 300 and cfg.seeds >= 32 and cfg.d_small == 50 and 10000 in cfg.n_unlabs

    # (c) ERM proxy slope, d = slope_d, exact excess
    def slope_fn(key):
        k_mu, k_l = jax.random.split(key)
        mu = random_unit(k_mu, cfg.slope_d)
        ex = []
        for n_lab in cfg.slope_n_labs:
            Xl, yl = sample_gmm2(jax.random.fold_in(k_l, n_lab), n_lab, mu, 1.0)
            ex.append(risk_linear_iso(fit_erm_mean(Xl, yl), mu, 1.0) - bayes_risk_iso(mu, 1.0))
        return jnp.stack(ex)

    slope_ex = stages.stage(
        "panel_c",
        lambda: np.asarray(run_seeds(slope_fn, k_c, cfg.slope_seeds, **ctx.sweep_kwargs(cfg, "c"))),
    )
    slope_ex = np.asarray(slope_ex, dtype=float)

    data_d, claims_d = _panel_rcal(cfg, ctx, stages, jax.random.fold_in(key, 4))

    bayes = float(_ndtr(-1.0))
    data: dict = {
        "bayes_risk": bayes,
        "bayes_acc": 1 - bayes,
        "n_unlabs": list(cfg.n_unlabs),
        "paper_erm": {str(k): v for k, v in PAPER_ERM.items()},
        "paper_rss": {
            str(k): {"n_unlab": v[0], "alpha0": v[1], "alpha05": v[2]} for k, v in PAPER_RSS.items()
        },
        "provenance_note": (
            "Paper markers: the authors' poster table, hyperparameters selected on the test "
            "set (random search, 4000 RSS configurations), ramp surrogate trained with Adam. "
            "Lab RSS: fixed gamma = gamma_u = 4, lambda = 1, projected GD (optax sgd, lr 0.2, "
            "300 steps) on the exact robust 0-1 loss, started at the mean estimator. "
            "Accuracies are exact (closed form), not test-set estimates."
        ),
    }
    pa = {}
    for m in cfg.n_labs:
        r = a[str(m)]
        pa[str(m)] = {
            "erm_acc": _ci(1 - r["erm"][:, 0]),
            "rss_acc": [_ci(1 - r["rss"][:, j, :]) for j in range(len(cfg.alphas))],
            "pca_acc": [_ci(1 - r["pca"][:, j, :]) for j in range(len(cfg.alphas))],
            "floor_acc": [float(np.mean(1 - r["floor"][:, j])) for j in range(len(cfg.alphas))],
            "erm_theory_acc": float(_ndtr(1 / np.sqrt(1 + cfg.d / m))),
            "frac_rss_beats_erm": [
                np.mean(r["rss"][:, j, :] < r["erm"][:, j, None], axis=0)
                for j in range(len(cfg.alphas))
            ],
        }
    data["panel_a"] = pa

    # panel (b): excess against n_unlab for d_small and d
    m = cfg.n_lab_b
    nb = np.asarray(n_unlab_b, dtype=float)
    idx_a = [cfg.n_unlabs.index(n) for n in n_unlab_b]
    rb_small = b_small[str(m)]
    curves = {}
    pairs = (
        (
            cfg.d_small,
            rb_small["erm"][:, 0] - bayes,
            rb_small["rss"][:, 0, 1:] - bayes,
            rb_small["pca"][:, 0, 1:] - bayes,
        ),
    )
    if cfg.d != cfg.d_small:
        pairs += (
            (
                cfg.d,
                a[str(m)]["erm"][:, 0] - bayes,
                a[str(m)]["rss"][:, 0, idx_a] - bayes,
                a[str(m)]["pca"][:, 0, idx_a] - bayes,
            ),
        )
    for d, erm_ex, rss_ex, pca_ex in pairs:
        thm42, vc = _bounds(d, m, nb, cfg.delta)
        thm42 = np.asarray(thm42)
        curves[str(d)] = {
            "erm": _ci(erm_ex),
            "rss": _ci(rss_ex),
            "pca": _ci(pca_ex),
            "rss_n0": _ci((rb_small if d == cfg.d_small else a[str(m)])["rss"][:, 0, 0] - bayes),
            "thm42": thm42,
            "vc": float(vc),
            "threshold": m * m / d,
            "frac_below_thm42": np.mean(
                rss_ex <= thm42[None, :],
                axis=0,
            ),
            "per_seed_rss_10k": rss_ex[:, -1],
            "per_seed_erm": erm_ex,
        }
    data["panel_b"] = {"n_unlab": nb, "n_lab": m, "curves": curves, "delta": cfg.delta}

    # panel (c)
    fit = loglog_slope(np.asarray(cfg.slope_n_labs, float), slope_ex.mean(axis=0))
    phi1 = float(np.exp(-0.5) / np.sqrt(2 * np.pi))
    data["panel_c"] = {
        "n_lab": np.asarray(cfg.slope_n_labs, float),
        "excess": _ci(slope_ex),
        "d": cfg.slope_d,
        "slope": fit.slope,
        "slope_lo": fit.lo,
        "slope_hi": fit.hi,
        "theory": phi1 * cfg.slope_d / (2 * np.asarray(cfg.slope_n_labs, float)),
        "vc": np.asarray(_erm_vc(cfg.slope_d, np.asarray(cfg.slope_n_labs), cfg.delta)),
    }

    # ---------------- claims ----------------
    claims = {}
    err, tol = _robust_loss_check(k_e)
    claims[f"{NAME}.robust_loss_closed_form"] = claim_result(
        err, tol, err <= tol, "max |closed form - grid max| over 64 random (theta, x, y, gamma)"
    )

    erm_acc = {m_: float(pa[str(m_)]["erm_acc"]["mean"]) for m_ in cfg.n_labs}
    ok = all(abs(erm_acc[m_] - PAPER_ERM[m_]) <= 0.02 for m_ in cfg.n_labs if m_ in PAPER_ERM)
    claims[f"{NAME}.erm_reproduction"] = claim_result(
        erm_acc,
        {str(m_): PAPER_ERM.get(m_) for m_ in cfg.n_labs},
        ok if cfg.d == 200 else "reported",
        f"ERM proxy exact accuracy at d = {cfg.d} vs the paper's ERM column (|diff| <= 0.02 at d = 200)",
    )

    cs = curves[str(cfg.d_small)]
    rss10k, erm_m = float(cs["rss"]["mean"][-1]), float(cs["erm"]["mean"])
    claims[f"{NAME}.unlabeled_helps"] = claim_result(
        {
            "rss_excess": rss10k,
            "erm_excess": erm_m,
            "frac_rss_better": float(np.mean(cs["per_seed_rss_10k"] < cs["per_seed_erm"])),
        },
        "excess(RSS) <= 0.5 excess(ERM)",
        (rss10k <= 0.5 * erm_m) if standard else "reported",
        f"d = {cfg.d_small}, n_lab = {m}, n_unlab = {n_unlab_b[-1]}, alpha = 0",
    )
    means = [float(cs["rss_n0"]["mean"]), *map(float, cs["rss"]["mean"])]
    mono = bool(means[-1] < means[-2] < means[0]) if len(means) >= 3 else False
    claims[f"{NAME}.more_unlabeled_better"] = claim_result(
        dict(zip(["0", *map(str, n_unlab_b)], means)),
        "decreasing from n_unlab = 0 to 10^3 to 10^4",
        mono if standard else "reported",
        f"mean RSS excess, d = {cfg.d_small}, n_lab = {m}, common random numbers",
    )
    if 1000 in n_unlab_b:
        j = n_unlab_b.index(1000)
        diff = float(cs["rss"]["mean"][j] - cs["erm"]["mean"])
        small = {
            str(n): float(cs["rss"]["mean"][i] - cs["erm"]["mean"])
            for i, n in enumerate(n_unlab_b)
            if n < 20 * cfg.d_small
        }
        claims[f"{NAME}.not_worse_above_20d"] = claim_result(
            {"diff_at_1000": diff, "diff_below_20d": small},
            "<= 0.01",
            (diff <= 0.01) if standard else "reported",
            f"excess(RSS) - excess(ERM) at d = {cfg.d_small}, n_lab = {m}; below 20 d it can be "
            "positive (untuned lambda), not asserted",
        )
    else:
        claims[f"{NAME}.not_worse_above_20d"] = claim_result(
            None, None, "reported", "not in this grid"
        )

    if 0.5 in cfg.alphas and 10000 in cfg.n_unlabs:
        ja, jn = cfg.alphas.index(0.5), cfg.n_unlabs.index(10000)
        pca_ex = np.mean([a[str(m_)]["pca"][:, ja, jn].mean() for m_ in cfg.n_labs]) - bayes
        floor_ex = np.mean([a[str(m_)]["floor"][:, ja].mean() for m_ in cfg.n_labs]) - bayes
        claims[f"{NAME}.shift_floor"] = claim_result(
            float(pca_ex),
            float(floor_ex),
            bool(abs(pca_ex - floor_ex) <= 0.015) if standard else "reported",
            f"PCA-sign excess at d = {cfg.d}, n_unlab = 10^4, alpha = 0.5 (random v) vs the "
            "population floor Phi(-mu_hat_1 . mu_0) - Phi(-1), averaged over seeds",
        )
    else:
        claims[f"{NAME}.shift_floor"] = claim_result(None, None, "reported", "not in this grid")

    fr = {dk: np.asarray(cv["frac_below_thm42"]).tolist() for dk, cv in curves.items()}
    allfr = min(min(v) for v in fr.values())
    claims[f"{NAME}.thm42_bound"] = claim_result(
        fr,
        f">= {1 - cfg.delta} of seeds",
        bool(allfr >= 1 - cfg.delta),
        "fraction of seeds with excess(RSS) <= Thm 4.2 at C = 1, delta = 0.1 (nearly vacuous)",
    )

    grid = [
        (d_, m_, n_, al)
        for d_ in (20, 50, 200)
        for m_ in (10, 40, 160)
        for n_ in (0, 5, 50, 500, 5000)
        for al in (0.0, 0.1, 1.0, 10.0)
    ]
    agree = all(
        corollary_regime(d_, m_, n_, al)
        == (
            (d_ * al / m_) ** 0.25 <= (d_ / m_) ** 0.5 * (1 + 1e-12)
            and (
                n_ > 0 and (d_ / m_) ** 0.25 * (d_ / n_) ** 0.125 <= (d_ / m_) ** 0.5 * (1 + 1e-12)
            )
        )
        for d_, m_, n_, al in grid
    )
    claims[f"{NAME}.corollary_regime"] = claim_result(
        agree,
        "n_unlab >= n_lab^2/d and alpha <= d/n_lab",
        agree,
        f"regime test vs leading terms of Thm 4.2 on {len(grid)} grid points",
    )

    claims[f"{NAME}.erm_slope"] = claim_result(
        fit.slope,
        -1.0,
        bool(abs(fit.slope + 1) <= 0.15),
        f"log-log slope of ERM-proxy excess vs n_lab at d = {cfg.slope_d} (CI {fit.lo:.3f}, {fit.hi:.3f});"
        " the VC rate would be -1/2",
    )
    claims.update(claims_d)
    data["panel_d"] = data_d
    data["claims"] = claims
    return data


def _rcal_model(cfg: Config):
    means = jnp.array([[-cfg.rcal_sep / 2, 0.0], [cfg.rcal_sep / 2, 0.0]])
    return means, jnp.eye(2)


@functools.partial(jax.jit, static_argnums=0)
def _rcal_theory(cfg: Config, rs):
    """Exact population errors of the naive statistics at each ratio in ``rs``, and the balanced
    Bayes error (jitted as one program: eagerly, each of their small ops compiled on its own)."""
    means, Sig = _rcal_model(cfg)
    bayes = binary_lda_errors(means[0], means[1], Sig, 0.5, means[0], means[1], Sig)[2]

    def pop(r):
        p, nu, mt, St = noisy_class_stats(means, Sig, longtail_priors(2, r), cfg.rcal_eta)
        Sp = jnp.einsum("k,kab->ab", p, St)
        plain = binary_lda_errors(mt[0], mt[1], Sp, p[1], means[0], means[1], Sig)
        bal = binary_lda_errors(mt[0], mt[1], Sp, 0.5, means[0], means[1], Sig)
        return jnp.stack([*nu, plain[1], plain[2], bal[1], bal[2], *p])

    return jax.vmap(pop)(rs), bayes


def _panel_rcal(cfg: Config, ctx, stages, key):
    """RCAL panel: per seed and imbalance ratio, the exact clean errors of LDA on three estimates."""
    means, Sig = _rcal_model(cfg)

    def one(k, r):
        ks, ke = jax.random.split(k)
        X, y, yo = sample_noisy_longtail(
            ks, cfg.rcal_n, means, Sig, longtail_priors(2, r), cfg.rcal_eta
        )
        mn, Sn, f = naive_class_stats(X, yo, 2)
        mt, St = trimmed_class_stats(X, yo, 2)
        me, Se, ok = em_class_stats(ke, X, yo, 2, cfg.rcal_em_iters)
        errs = [
            binary_lda_errors(mn[0], mn[1], Sn, f[1], means[0], means[1], Sig),
            binary_lda_errors(mn[0], mn[1], Sn, 0.5, means[0], means[1], Sig),
            binary_lda_errors(mt[0], mt[1], St, 0.5, means[0], means[1], Sig),
            binary_lda_errors(me[0], me[1], Se, 0.5, means[0], means[1], Sig),
        ]
        nu_mc = jnp.stack([jnp.sum((yo == c) & (y != c)) / jnp.sum(yo == c) for c in (0, 1)])
        return {
            "e_tail": jnp.stack([e[1] for e in errs]),
            "e_bal": jnp.stack([e[2] for e in errs]),
            "em_ok": ok.astype(X.dtype),
            "nu_mc": nu_mc,
        }

    def fn(k):  # one compiled program for every r (vmapped over the grid)
        rs = jnp.asarray(cfg.rcal_rs, float)
        return jax.vmap(one)(jax.random.split(k, rs.shape[0]), rs)

    res = stages.stage(
        "panel_d",
        lambda: {
            k: np.asarray(v, float)
            for k, v in run_seeds(fn, key, cfg.rcal_seeds, **ctx.sweep_kwargs(cfg, "d")).items()
        },
    )
    res = {k: np.asarray(v, float) for k, v in res.items()}
    methods = [
        "naive (observed prior)",
        "naive, balanced",
        "trimmed [reconstruction]",
        "EM (label-free)",
    ]
    r_fine = np.geomspace(1.0, max(cfg.rcal_rs), 31)
    # the fine curve and the grid points in one call: one compiled program (with the Bayes error)
    th_all, bayes = _rcal_theory(cfg, jnp.asarray(np.concatenate([r_fine, cfg.rcal_rs])))
    th_all, bayes = np.asarray(th_all, float), float(bayes)
    th, th_grid = th_all[: r_fine.size], th_all[r_fine.size :]
    d = {
        "r": list(cfg.rcal_rs),
        "methods": methods,
        "e_bal": [_ci(res["e_bal"][:, :, i]) for i in range(len(methods))],
        "e_tail": [_ci(res["e_tail"][:, :, i]) for i in range(len(methods))],
        "em_ok_frac": res["em_ok"].mean(axis=0),
        "nu_exact": th_grid[:, :2],
        "nu_mc": res["nu_mc"].mean(axis=0),
        "bayes_bal": bayes,
        "theory_r": r_fine,
        "theory_naive_tail": th[:, 2],
        "theory_naive_bal": th[:, 3],
        "theory_naive_bal_bal": th[:, 5],
        "sep": cfg.rcal_sep,
        "eta": cfg.rcal_eta,
        "n": cfg.rcal_n,
        "seeds": cfg.rcal_seeds,
    }
    cl = {}
    nu_err = float(np.max(np.abs(d["nu_mc"] - d["nu_exact"])))
    # SE of the seed-mean fraction (about n p_obs_k seeds points per class)
    se = np.sqrt(
        d["nu_exact"] * (1 - d["nu_exact"]) / (cfg.rcal_n * th_grid[:, 6:8] * cfg.rcal_seeds)
    )
    z = np.abs(d["nu_mc"] - d["nu_exact"]) / np.maximum(se, 1e-300)
    cl[f"{NAME}.rcal_contamination"] = claim_result(
        nu_err,
        f"every |MC - exact| <= 4 SE (largest z = {float(z.max()):.2f})",
        bool(np.all(z <= 4)),
        "max |seed-mean MC mislabel fraction - exact nu_k| over classes and r; exact nu_tail = "
        + ", ".join(f"{v:.3f}" for v in d["nu_exact"][:, 1]),
    )
    i1 = list(cfg.rcal_rs).index(1.0) if 1.0 in cfg.rcal_rs else None
    gap = None if i1 is None else abs(float(th_grid[i1, 5]) - bayes)
    cl[f"{NAME}.rcal_naive_balanced"] = claim_result(
        gap,
        0.0,
        "reported" if gap is None else bool(gap <= 1e-12),
        "|naive population balanced-LDA error - balanced Bayes error| at r = 1 (derived: equal)",
    )
    rec = {
        str(r): {
            "trimmed_bal": float(d["e_bal"][2]["mean"][j]),
            "trimmed_tail": float(d["e_tail"][2]["mean"][j]),
            "naive_tail": float(d["e_tail"][0]["mean"][j]),
            "naive_bal": float(d["e_bal"][0]["mean"][j]),
        }
        for j, r in enumerate(cfg.rcal_rs)
    }
    big = [str(r) for r in cfg.rcal_rs if r >= 10]
    ok = all(rec[r]["trimmed_bal"] - bayes <= 0.002 and rec[r]["trimmed_tail"] <= 0.02 for r in big)
    cl[f"{NAME}.rcal_recovery"] = claim_result(
        rec,
        {
            "bayes_bal": bayes,
            "rule": "trimmed balanced error <= Bayes + 0.002, tail <= 0.02 at r >= 10",
        },
        ok if cfg.rcal_n >= 20000 else "reported",
        f"mean over {cfg.rcal_seeds} seeds, n = {cfg.rcal_n}, eta = {cfg.rcal_eta}, separation "
        f"{cfg.rcal_sep}",
    )
    return d, cl


# ------------------------------------------------------------------------------------------------
def plot(payload):
    import matplotlib.lines as mlines

    from unlearnlab.lab.plotting import panel_label, subplots, theory_line

    cfg, data = payload["config"], payload["data"]
    fig, axes = subplots(5, 1, width=4.0, height=4.0)
    colors = {10: "#1f77b4", 20: "#d62728", 40: "#2ca02c"}
    other = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    n_unlabs = np.asarray(data["n_unlabs"], float)
    n_labs = [int(k) for k in data["panel_a"]]
    alphas = cfg["alphas"]
    for j, alpha in enumerate(alphas[:2]):
        ax = axes[0, j]
        for i, m in enumerate(n_labs):
            c = colors.get(m, other[i % 4])
            pa = data["panel_a"][str(m)]
            r = pa["rss_acc"][j]
            ax.plot(n_unlabs, r["mean"], "-o", color=c, ms=3)
            ax.fill_between(n_unlabs, r["lo"], r["hi"], color=c, alpha=0.18, lw=0)
            ax.plot(n_unlabs, pa["pca_acc"][j]["mean"], ":", color=c, lw=1.3)
            ax.axhline(float(pa["erm_acc"]["mean"]), color=c, lw=0.9, ls="-.", alpha=0.8)
            if str(m) in data["paper_rss"] and cfg["d"] == 200:
                pr = data["paper_rss"][str(m)]
                ys = pr["alpha0"] if j == 0 else pr["alpha05"]
                ax.plot(pr["n_unlab"], ys, linestyle="none", marker="*", ms=8, mfc="none", mec=c)
                ax.plot(
                    [0],
                    [data["paper_erm"][str(m)]],
                    linestyle="none",
                    marker="*",
                    ms=8,
                    mfc="none",
                    mec=c,
                )
        theory_line(
            ax,
            [0, n_unlabs.max()],
            [data["bayes_acc"]] * 2,
            f"Bayes accuracy {data['bayes_acc']:.3f}",
        )
        if alpha > 0:
            fl = np.mean([data["panel_a"][str(m)]["floor_acc"][j] for m in n_labs])
            theory_line(
                ax, [0, n_unlabs.max()], [fl] * 2, f"shift floor {fl:.3f} (derived)", color="0.5"
            )
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlim(0, n_unlabs.max() * 1.3)
        ax.set_ylim(0.48, 1.0)
        ax.set_xlabel("n_unlab (unlabeled out-of-domain samples)")
        ax.set_ylabel("accuracy (exact, closed form)")
        panel_label(ax, f"(a{j + 1}) d = {cfg['d']}, alpha = {alpha:g}")
        handles = [
            mlines.Line2D([], [], color=colors.get(m, other[i % 4]), label=f"n_lab = {m}")
            for i, m in enumerate(n_labs)
        ]
        handles += [
            mlines.Line2D([], [], color="k", marker="o", ms=3, label="RSS (fixed hyperp.), 95% CI"),
            mlines.Line2D([], [], color="k", ls=":", label="PCA-sign reference"),
            mlines.Line2D([], [], color="k", ls="-.", lw=0.9, label="ERM proxy (labeled only)"),
            mlines.Line2D(
                [],
                [],
                color="k",
                ls="none",
                marker="*",
                mfc="none",
                ms=8,
                label="paper, test-set-tuned",
            ),
        ]
        leg1 = ax.legend(handles=handles, loc="upper left", fontsize=6.3, ncol=2)
        ax.add_artist(leg1)
        ax.legend(loc="lower right", fontsize=6.5)

    ax = axes[0, 2]
    pb = data["panel_b"]
    nb = np.asarray(pb["n_unlab"], float)
    for i, (d, cv) in enumerate(pb["curves"].items()):
        c = other[i]
        ax.plot(nb, cv["rss"]["mean"], "-o", color=c, ms=3, label=f"RSS, d = {d}")
        ax.fill_between(nb, cv["rss"]["lo"], cv["rss"]["hi"], color=c, alpha=0.18, lw=0)
        ax.plot(nb, cv["pca"]["mean"], ":", color=c, label=f"PCA-sign, d = {d}")
        ax.axhline(float(cv["erm"]["mean"]), color=c, ls="-.", lw=0.9, label=f"ERM proxy, d = {d}")
        theory_line(
            ax, nb, cv["thm42"], f"paper's Thm 4.2 (poster), C = 1 (d = {d})", color=c, alpha=0.9
        )
        theory_line(
            ax,
            [nb.min(), nb.max()],
            [cv["vc"]] * 2,
            f"ERM (VC), C = 1 (d = {d})",
            color="#ff7f0e" if i == 0 else "#8c564b",
        )
        ax.axvline(cv["threshold"], color=c, lw=0.8, alpha=0.6)
        ax.text(
            cv["threshold"],
            12.0,
            f"n_lab²/d={cv['threshold']:g}",
            color=c,
            fontsize=6,
            rotation=90,
            va="top",
            ha="right",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(3e-4, 15)
    ax.set_xlim(1, 2e4)
    ax.set_xlabel("n_unlab")
    ax.set_ylabel("excess risk R(θ) − R*")
    panel_label(ax, f"(b) excess vs n_unlab, n_lab = {pb['n_lab']}, α = 0")
    ax.legend(fontsize=5.6, loc="lower left", ncol=2)

    ax = axes[0, 3]
    pc = data["panel_c"]
    x = np.asarray(pc["n_lab"], float)
    ax.plot(
        x,
        pc["excess"]["mean"],
        "-o",
        ms=3,
        color=other[0],
        label=f"ERM proxy (mean estimator), slope {pc['slope']:.2f}",
    )
    ax.fill_between(x, pc["excess"]["lo"], pc["excess"]["hi"], color=other[0], alpha=0.2, lw=0)
    theory_line(ax, x, pc["theory"], "φ(1)·d/(2 n_lab) (derived, slope −1)")
    theory_line(ax, x, pc["vc"], "ERM (VC), C = 1 (slope −1/2)", color="#ff7f0e")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n_lab")
    ax.set_ylabel("excess risk")
    panel_label(ax, f"(c) reference rate, d = {pc['d']}")
    ax.legend(fontsize=6.5, loc="center left")
    _plot_rcal(axes[0, 4], data["panel_d"])
    fig.suptitle(
        "Out-of-domain unlabeled data + DRO self-training (RSS) on a 2-GMM "
        "(Saberi et al., ICLR 2024); exact risks",
        fontsize=10,
    )
    return fig


def _plot_rcal(ax, pd):
    from unlearnlab.lab.plotting import panel_label, theory_line

    r = np.asarray(pd["r"], float)
    cols = ["#d62728", "#ff7f0e", "#2ca02c", "#9467bd"]
    floor = 2e-3
    for i, name in enumerate(pd["methods"]):
        b, t = pd["e_bal"][i], pd["e_tail"][i]
        ax.errorbar(
            r,
            b["mean"],
            yerr=[np.subtract(b["mean"], b["lo"]), np.subtract(b["hi"], b["mean"])],
            fmt="-o",
            ms=3,
            color=cols[i],
            label=f"{name}: balanced error, 95% CI",
        )
        if i != 1:
            ax.plot(
                r,
                np.maximum(t["mean"], floor),
                ":s",
                ms=3,
                color=cols[i],
                label=f"{name}: tail class",
            )
    tr = np.asarray(pd["theory_r"], float)
    theory_line(
        ax,
        tr,
        pd["theory_naive_bal"],
        "naive (observed prior), population (lab's derived R1): balanced",
        color=cols[0],
    )
    theory_line(
        ax,
        tr,
        np.maximum(pd["theory_naive_tail"], floor),
        "naive (observed prior), population (lab's derived R1): tail",
        color=cols[0],
        alpha=0.45,
    )
    theory_line(
        ax,
        [tr.min(), tr.max()],
        [pd["bayes_bal"]] * 2,
        f"balanced Bayes error {pd['bayes_bal']:.4f} (exact)",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(floor * 0.8, 1.5)
    ax.set_xlabel("imbalance ratio r = pi_head / pi_tail")
    ax.set_ylabel(f"exact clean error of the fitted LDA (tail values clipped at {floor:g})")
    panel_label(ax, f"(d) RCAL: label noise eta = {pd['eta']:g}, long tail")
    ax.legend(fontsize=5.0, loc="upper left", ncol=1)


def measured(saved: dict) -> dict[str, str]:
    """The generated blocks of theory/semisup_dro.md, rendered from the saved JSON (``python -m
    experiments report`` rewrites them)."""
    from experiments._measured import g, restore, run_line, table

    s = restore(saved)
    d, c, cl = s["data"], s["config"], s["claims"]
    a, b = d["panel_a"], d["panel_b"]
    ns = list(d["n_unlabs"])
    sup = lambda n: {10: "10", 100: "100", 1000: "10³", 10000: "10⁴", 0: "0"}.get(int(n), str(n))  # noqa: E731
    m = lambda x: f"{float(x):.3f}"  # noqa: E731
    M = lambda k: cl[k]["measured"]  # noqa: E731
    V = lambda k: cl[k]["verdict"]  # noqa: E731
    ds = str(c["d_small"])
    cb = b["curves"][ds]
    nw = M("semisup_dro.not_worse_above_20d")
    claims = [
        run_line(s)
        + f" d = {c['d']}, {c['seeds']} seeds, RSS with gamma = gamma' = {g(c['gamma'])}, "
        f"lambda = {g(c['lam'])}, {c['steps']} steps, lr {g(c['lr'])}, {c['dtype']} data.",
        "",
        table(
            ["claim id", "panel", "measured (default run)", "verdict"],
            [
                [
                    "`semisup_dro.robust_loss_closed_form`",
                    "JSON",
                    f"max error {g(M('semisup_dro.robust_loss_closed_form'))} (grid bound "
                    f"{g(cl['semisup_dro.robust_loss_closed_form']['theory']) if isinstance(cl['semisup_dro.robust_loss_closed_form']['theory'], float) else cl['semisup_dro.robust_loss_closed_form']['theory']})",
                    V("semisup_dro.robust_loss_closed_form"),
                ],
                [
                    "`semisup_dro.erm_reproduction`",
                    "(a1)",
                    "ERM acc "
                    + " / ".join(m(v) for v in M("semisup_dro.erm_reproduction").values())
                    + " vs paper "
                    + " / ".join(f"{v:.2f}" for v in d["paper_erm"].values())
                    + " (theory "
                    + " / ".join(m(a[k]["erm_theory_acc"]) for k in a)
                    + ")",
                    V("semisup_dro.erm_reproduction"),
                ],
                [
                    "`semisup_dro.unlabeled_helps`",
                    "(b)",
                    f"d = {ds}, n_lab = {b['n_lab']}, n_unlab = 10⁴: RSS "
                    f"{m(M('semisup_dro.unlabeled_helps')['rss_excess'])} vs ERM "
                    f"{m(M('semisup_dro.unlabeled_helps')['erm_excess'])}, RSS better in "
                    f"{round(M('semisup_dro.unlabeled_helps')['frac_rss_better'] * c['seeds'])}/{c['seeds']} seeds",
                    V("semisup_dro.unlabeled_helps"),
                ],
                [
                    "`semisup_dro.more_unlabeled_better`",
                    "(b)",
                    "RSS excess "
                    + " / ".join(m(v) for v in M("semisup_dro.more_unlabeled_better").values())
                    + " at n_unlab = "
                    + " / ".join(sup(int(k)) for k in M("semisup_dro.more_unlabeled_better"))
                    + f" (d = {ds})",
                    V("semisup_dro.more_unlabeled_better"),
                ],
                [
                    "`semisup_dro.not_worse_above_20d`",
                    "(b), (a1)",
                    f"RSS - ERM excess: {nw['diff_at_1000']:+.3f} at 10³ = 20d; "
                    + ", ".join(
                        f"{v:+.3f} at {sup(int(k))}" for k, v in nw["diff_below_20d"].items()
                    ),
                    V("semisup_dro.not_worse_above_20d"),
                ],
                [
                    "`semisup_dro.shift_floor`",
                    "(a2)",
                    f"PCA-sign excess {M('semisup_dro.shift_floor'):.4f} vs floor "
                    f"{cl['semisup_dro.shift_floor']['theory'] if not isinstance(cl['semisup_dro.shift_floor']['theory'], float) else format(cl['semisup_dro.shift_floor']['theory'], '.4f')}",
                    V("semisup_dro.shift_floor"),
                ],
                [
                    "`semisup_dro.thm42_bound`",
                    "(b)",
                    "fraction of seeds below Thm 4.2 (C = 1, delta = "
                    f"{g(b['delta'])}): "
                    + "; ".join(
                        f"d = {k}: " + " / ".join(f"{v:.2f}" for v in vals)
                        for k, vals in M("semisup_dro.thm42_bound").items()
                    )
                    + "; bound "
                    + f"{min(float(np.min(cv['thm42'])) for cv in b['curves'].values()):.2f}-"
                    + f"{max(float(np.max(cv['thm42'])) for cv in b['curves'].values()):.2f}",
                    V("semisup_dro.thm42_bound"),
                ],
                [
                    "`semisup_dro.corollary_regime`",
                    "(b) lines",
                    str(M("semisup_dro.corollary_regime")),
                    V("semisup_dro.corollary_regime"),
                ],
                [
                    "`semisup_dro.erm_slope`",
                    "(c)",
                    f"slope {d['panel_c']['slope']:.3f} (95% CI {d['panel_c']['slope_lo']:.3f}, "
                    f"{d['panel_c']['slope_hi']:.3f})",
                    V("semisup_dro.erm_slope"),
                ],
            ],
        ),
    ]
    rows = []
    for k in a:
        pr = d["paper_rss"][k]
        common = [i for i, n in enumerate(ns) if n in pr["n_unlab"]]
        for j, al in enumerate(c["alphas"]):
            tag = "alpha0" if al == 0 else "alpha05"
            pp = [pr[tag][pr["n_unlab"].index(ns[i])] for i in common]
            rows.append(
                [
                    k,
                    g(al),
                    " / ".join(sup(ns[i]) for i in common),
                    " / ".join(f"{v:.2f}" for v in pp),
                    " / ".join(m(a[k]["rss_acc"][j]["mean"][i]) for i in common),
                    " / ".join(m(a[k]["pca_acc"][j]["mean"][i]) for i in common),
                    m(a[k]["erm_acc"]["mean"]) + (f" ({d['paper_erm'][k]:.2f})" if j == 0 else ""),
                ]
            )
    tab = table(
        [
            "n_lab",
            "alpha",
            "n_unlab",
            "paper RSS",
            "lab RSS",
            "lab PCA-sign",
            "lab ERM (paper ERM)",
        ],
        rows,
    )
    i4, i10, i0 = ns.index(10000), ns.index(10), ns.index(0)
    k0 = next(iter(a))
    half = [(hi - lo) / 2 for k in a for r in a[k]["rss_acc"] for lo, hi in zip(r["lo"], r["hi"])]
    drop10 = [float(a[k0]["erm_acc"]["mean"] - r["mean"][i10]) for r in a[k0]["rss_acc"]]
    findings = [
        f"- ERM column: lab ERM within {max(abs(a[k]['erm_acc']['mean'] - d['paper_erm'][k]) for k in a):.3f} "
        f"of the paper's and within {max(abs(a[k]['erm_acc']['mean'] - a[k]['erm_theory_acc']) for k in a):.3f} "
        "of the closed form.",
        f"- PCA-sign reference at n_unlab = 10⁴: {m(a[k0]['pca_acc'][0]['mean'][i4])} (alpha = 0) and "
        f"{m(a[k0]['pca_acc'][1]['mean'][i4])} (alpha = 0.5); population floor accuracies "
        + " / ".join(m(x) for x in a[k0]["floor_acc"])
        + ".",
        "- Untuned RSS at n_unlab = 10⁴ (alpha = 0): "
        + " / ".join(m(a[k]["rss_acc"][0]["mean"][i4]) for k in a)
        + f" for n_lab = {' / '.join(a)}.",
        f"- At n_unlab = 10 (d = {c['d']}, n_lab = {k0}) RSS accuracy is below ERM by "
        + " / ".join(f"{x:.3f}" for x in drop10)
        + f" (alpha = {' / '.join(g(x) for x in c['alphas'])}); at d = {ds} the excess rises by "
        + ", ".join(f"{v:+.3f} at n_unlab = {sup(int(k))}" for k, v in nw["diff_below_20d"].items())
        + ".",
        "- At n_unlab = 0 RSS equals ERM for n_lab = "
        + " / ".join(
            k for k in a if abs(a[k]["rss_acc"][0]["mean"][i0] - a[k]["erm_acc"]["mean"]) < 5e-4
        )
        + "; at n_lab = "
        + " / ".join(
            f"{k}: {m(a[k]['rss_acc'][0]['mean'][i0])} vs {m(a[k]['erm_acc']['mean'])}"
            for k in a
            if abs(a[k]["rss_acc"][0]["mean"][i0] - a[k]["erm_acc"]["mean"]) >= 5e-4
        )
        + ".",
        f"- Half-widths of the 95% intervals of the RSS accuracies in (a): {min(half):.3f}-{max(half):.3f}.",
    ]
    pca = cb["pca"]["mean"]
    nb = list(b["n_unlab"])
    rates = (
        f"Measured: ERM-proxy slope {d['panel_c']['slope']:.2f} at d = {d['panel_c']['d']} (panel (c)); "
        f"PCA-sign excess at d = {ds}: {pca[nb.index(1000)]:.4f} at n_unlab = 10³, "
        f"{pca[nb.index(10000)]:.4f} at 10⁴ (panel (b))."
    )
    pd_ = d["panel_d"]
    rows_d = []
    for j, r in enumerate(pd_["r"]):
        rows_d.append(
            [g(r), f"{pd_['nu_exact'][j][1]:.3f}"]
            + [
                f"{pd_['e_bal'][i]['mean'][j]:.4f} / {pd_['e_tail'][i]['mean'][j]:.4f}"
                for i in range(len(pd_["methods"]))
            ]
            + [f"{pd_['em_ok_frac'][j]:.2f}"]
        )
    rcal = [
        f"n = {pd_['n']}, {pd_['seeds']} seeds, eta = {g(pd_['eta'])}, separation {g(pd_['sep'])} "
        f"(d = 2, Sigma = I); balanced Bayes error {pd_['bayes_bal']:.4f}. Entries: balanced error / "
        "tail-class error (seed means, exact clean errors of the fitted LDA).",
        "",
        table(
            ["r", "exact nu_tail", *pd_["methods"], "EM labelled both clusters"],
            rows_d,
        ),
        "",
        "| claim id | measured | verdict |",
        "|---|---|---|",
        f"| `semisup_dro.rcal_contamination` | max MC - exact nu: {g(M('semisup_dro.rcal_contamination'))} | "
        f"{V('semisup_dro.rcal_contamination')} |",
        f"| `semisup_dro.rcal_naive_balanced` | gap at r = 1: {g(M('semisup_dro.rcal_naive_balanced'))} | "
        f"{V('semisup_dro.rcal_naive_balanced')} |",
        f"| `semisup_dro.rcal_recovery` | see table | {V('semisup_dro.rcal_recovery')} |",
    ]
    return {
        "rcal": "\n".join(rcal),
        "claims": "\n".join(claims),
        "table": tab,
        "findings": "\n".join(findings),
        "rates": rates,
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
