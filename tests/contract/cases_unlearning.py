"""Contract cases for unlearnlab.unlearning: ACU, the audit tools (exact oracles, datamodel matching,
MIA/KLoM/CKA, certified removal, worst-case forget sets, Bayes error). The float32 ACU path is in
``cases_acu_stats.py``, the unlearning-under-attack cores in ``cases_unlearning_attacks.py``."""

import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.unlearning."
K = jax.random.key(0)
_r = np.random.default_rng(0)

# ACU: features (N, d), one-hot targets (N, C)
N, D, C = 12, 4, 3
XA = _r.normal(size=(N, D))
YA = np.eye(C)[np.arange(N) % C]
LABELS = np.arange(N) % C
BAD_SIZE = [0, -1, 2.5]

# ridge / least squares: X (n, d), y (n,), forget 2 of n rows
n, d = 10, 3
X = _r.normal(size=(n, d)) / 2
Y = X @ np.array([1.0, -0.5, 0.25]) + 0.1 * _r.normal(size=n)
YPM = np.where(_r.normal(size=n) > 0, 1.0, -1.0)  # labels in {-1, +1}
FM = np.zeros(n, bool)
FM[:2] = True
BAD_FM = {"forget_mask": [np.zeros(n, bool), np.ones(n, bool), FM[:-1], FM.astype(float)]}
TH = np.array([0.2, -0.1, 0.3])
XE = _r.normal(size=(4, d))
LAM = 0.5

# scores / margins
SP = _r.normal(size=8) + 1.0
SN = _r.normal(size=9)
M_IN = _r.normal(size=(5, 6)) + 1.0
M_OUT = _r.normal(size=(4, 6))

# Gaussian classes
MU0 = np.array([0.0, 0.0])
MU1 = np.array([1.0, 0.5])
SIG = np.array([[1.0, 0.2], [0.2, 0.8]])
XK = _r.normal(size=(12, 2)) + np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]]), 6, axis=0)
YK = np.repeat(np.array([0, 1]), 6)
BAD_P = {"p": [1, 3, "l2"]}


def _xy(**kw):
    return dict(X=X.copy(), y=Y.copy(), **kw)


def _ridge_full():
    return np.linalg.solve(X.T @ X + LAM * np.eye(d), X.T @ Y)


def _tau():
    from unlearnlab.unlearning import single_removal_attribution

    return np.asarray(single_removal_attribution(X, Y, _ridge_full(), LAM, XE))


def _acu_state():
    from unlearnlab.unlearning import acu_fit

    return acu_fit(XA, YA, 1.0)


def _sampler(mu):
    return lambda key, m: jax.random.normal(key, (m, 2)) + jax.numpy.asarray(mu)


def _logpdf(mu):
    return lambda x: jax.scipy.stats.norm.logpdf(x - jax.numpy.asarray(mu)).sum(-1)


def _unl():
    from unlearnlab.unlearning import gd_retain_unlearner

    return gd_retain_unlearner(0.05, 3)


CASES = [
    # ------------------------------------------------------------------ ACU
    Case(
        P + "acu_init",
        lambda: dict(d=D, n_classes=C, gamma=1.0, dtype=None),
        bad={"d": BAD_SIZE, "n_classes": [0, -2], "gamma": [0.0, -1.0]},
    ),
    Case(
        P + "acu_fit",
        lambda: dict(X=XA.copy(), Y=YA.copy(), gamma=1.0),
        bad={"Y": [YA[:-1]], "gamma": [0.0, -1.0]},
    ),
    Case(
        P + "ridge_retrain",
        lambda: dict(X=XA.copy(), Y=YA.copy(), gamma=1.0),
        bad={"Y": [YA[:-1]], "gamma": [0.0, -1.0]},
    ),
    Case(
        P + "acu_learn",
        lambda: dict(state=_acu_state(), X=XA[:3] + 0.1, Y=YA[:3].copy()),
        bad={"state": [None], "X": [XA[:3, :2]], "Y": [YA[:3, :2], YA[:2]]},
    ),
    Case(
        P + "acu_unlearn",
        lambda: dict(state=_acu_state(), X=XA[:3].copy(), Y=YA[:3].copy()),
        bad={"state": [None], "X": [XA[:3, :2], 10.0 * np.ones((1, D))], "Y": [YA[:3, :2]]},
    ),
    Case(
        P + "acu_predict",
        lambda: dict(state=_acu_state(), X=XA[:5].copy()),
        bad={"state": [None], "X": [XA[:5, :2]]},
        ok={"X": ("empty",)},  # no rows in, no logits out: a (0, C) array
    ),
    Case(
        P + "acu_request_flops",
        lambda: dict(d=512, m=10, C=10),
        bad={"d": BAD_SIZE, "m": BAD_SIZE, "C": BAD_SIZE},
    ),
    Case(
        P + "retrain_flops",
        lambda: dict(N=1000, d=512, C=10),
        bad={"N": BAD_SIZE, "d": BAD_SIZE, "C": BAD_SIZE},
    ),
    Case(
        P + "gradient_ascent_unlearn",
        lambda: dict(
            W=np.asarray(_acu_state().W), X_u=XA[:3].copy(), Y_u=YA[:3].copy(), lr=0.01, n_steps=3
        ),
        bad={"lr": [0.0, -1.0], "n_steps": [-1, 2.5], "Y_u": [YA[:3, :2]]},
    ),
    Case(
        P + "buffer_init",
        lambda: dict(key=K, d_in=4, d_buffer=16, dtype=None),
        bad={"d_in": BAD_SIZE, "d_buffer": BAD_SIZE},
    ),
    Case(
        P + "buffer_features",
        lambda: dict(W_B=_r.normal(size=(4, 16)), h=XA.copy(), activation=jax.nn.relu),
        bad={"h": [XA[:, :2]], "activation": [None]},
        ok={"h": ("empty",)},  # no rows in, no feature rows out: a (0, d_buffer) array
    ),
    Case(
        P + "accuracy",
        lambda: dict(logits=XA[:, :C].copy(), labels=LABELS.copy(), mask=np.arange(N) < 6),
        bad={"labels": [LABELS[:-1]], "mask": [np.ones(N - 1, bool)]},
    ),
    Case(
        P + "squared_loss",
        lambda: dict(logits=XA[:, :C].copy(), Y=YA.copy()),
        bad={"Y": [YA[:-1], YA[:, :2]]},
    ),
    Case(
        P + "loss_threshold_mia",
        lambda: dict(loss_members=np.abs(SN), loss_nonmembers=np.abs(SP)),
    ),
    # ------------------------------------------------------------------ exact oracles
    Case(
        P + "check_forget_mask",
        lambda: dict(forget_mask=FM.copy(), n=n, name="forget_mask"),
        bad={**BAD_FM, "n": [n - 1, 0, -1]},
    ),
    Case(P + "ridge_fit", lambda: _xy(lam=LAM), bad={"y": [Y[:-1]], "lam": [0.0, -1.0]}),
    Case(P + "minnorm_fit", _xy, bad={"y": [Y[:-1]]}),
    Case(
        P + "woodbury_retrain",
        lambda: _xy(theta_full=_ridge_full(), forget_mask=FM.copy(), lam=LAM),
        bad={**BAD_FM, "theta_full": [TH[:2]], "lam": [0.0]},
    ),
    Case(
        P + "loo_group_residuals",
        lambda: _xy(theta_full=_ridge_full(), forget_mask=FM.copy(), lam=LAM),
        bad={**BAD_FM, "theta_full": [TH[:2]], "lam": [0.0]},
    ),
    Case(
        P + "logistic_fit_newton",
        lambda: dict(
            X=X.copy(),
            y=YPM.copy(),
            lam=LAM,
            tol=1e-10,
            max_iter=20,
            keep_mask=~FM,
            theta0=TH.copy(),
        ),
        bad={
            "y": [np.abs(YPM)[:-1], Y],
            "lam": [0.0],
            "tol": [0.0],
            "max_iter": BAD_SIZE,
            "keep_mask": [np.zeros(n, bool), FM[:-1], FM.astype(float)],
            "theta0": [TH[:2]],
        },
    ),
    Case(
        P + "logistic_loss_grad",
        lambda: dict(
            theta=TH.copy(), X=X.copy(), y=YPM.copy(), lam=LAM, weights=(~FM).astype(float)
        ),
        bad={"theta": [TH[:2]], "y": [YPM[:-1]], "lam": [-1.0], "weights": [np.ones(n - 1)]},
    ),
    # ------------------------------------------------------------------ datamodel matching
    Case(
        P + "single_removal_attribution",
        lambda: _xy(theta_full=_ridge_full(), lam=LAM, X_eval=XE.copy()),
        bad={"theta_full": [TH[:2]], "lam": [0.0], "X_eval": [XE[:, :2]]},
        ok={"X_eval": ("empty",)},  # no eval points: a (0, n) table
    ),
    Case(
        P + "additive_datamodel_predict",
        lambda: dict(tau=_tau(), f_full=XE @ _ridge_full(), forget_mask=FM.copy()),
        bad={**BAD_FM, "f_full": [np.ones(3)]},
    ),
    Case(
        P + "logistic_influence_attribution",
        lambda: dict(X=X.copy(), y=YPM.copy(), theta=TH.copy(), lam=LAM, X_eval=XE.copy()),
        bad={"theta": [TH[:2]], "lam": [0.0], "X_eval": [XE[:, :2]]},
        ok={"X_eval": ("empty",)},  # no eval points: a (0, n) table
    ),
    Case(
        P + "gd_retain",
        lambda: _xy(theta0=_ridge_full(), retain_mask=~FM, lam=LAM, eta=0.05, T=3),
        bad={
            "retain_mask": [np.ones(n, bool), np.zeros(n, bool), FM[:-1]],
            "lam": [-1.0],
            "eta": [0.0],
            "T": [-1, 2.5],
        },
    ),
    Case(
        P + "ga_forget",
        lambda: _xy(theta0=_ridge_full(), forget_mask=FM.copy(), eta=0.05, T=3),
        bad={**BAD_FM, "eta": [0.0], "T": [-1, 2.5]},
    ),
    Case(
        P + "gdiff",
        lambda: _xy(theta0=_ridge_full(), forget_mask=FM.copy(), lam=LAM, eta=0.05, beta=0.5, T=3),
        bad={**BAD_FM, "lam": [-1.0], "eta": [0.0], "beta": [-1.0], "T": [-1, 2.5]},
    ),
    Case(
        P + "output_matching",
        lambda: dict(
            theta0=_ridge_full(),
            X_match=XE.copy(),
            targets=XE @ TH,
            eta=0.1,
            T=3,
            loss="sq",
            match_mask=np.array([True, True, False, True]),
        ),
        bad={
            "targets": [np.ones(3)],
            "eta": [0.0],
            "T": [-1, 2.5],
            "loss": ["abs"],
            "match_mask": [np.zeros(4, bool), np.ones(3, bool), np.ones(4)],
        },
    ),
    Case(
        P + "margins_binary",
        lambda: dict(theta=TH.copy(), X=X.copy(), y_pm1=YPM.copy()),
        bad={"theta": [TH[:2]], "y_pm1": [YPM[:-1], np.abs(YPM) * 0.5]},
    ),
    Case(
        P + "ga_error_floor",
        lambda: dict(theta_full=_ridge_full(), theta_R=TH.copy(), X_F=X[:2].copy()),
        bad={"theta_R": [TH[:2]], "X_F": [X[:2, :2]]},
        ok={"X_F": ("empty",)},  # no forget rows: the floor is ||theta_full - theta_R||
    ),
    Case(
        P + "om_contraction_rate",
        lambda: dict(X_M=XE.copy(), eta=0.1),
        bad={"eta": [0.0, -1.0]},
    ),
    Case(
        P + "dmm_error_bound",
        lambda: dict(delta=np.array([0.1, -0.2, 0.0, 0.3]), X_M=XE.copy()),
        bad={"delta": [np.ones(3)]},
    ),
    # ------------------------------------------------------------------ MIA, distances, CKA
    Case(
        P + "roc_curve",
        lambda: dict(scores_pos=SP, scores_neg=SN, n_thresh=11),
        bad={"n_thresh": [1, 0, 2.5]},
    ),
    Case(P + "auc_with_se", lambda: dict(scores_pos=SP, scores_neg=SN)),
    Case(
        P + "tpr_at_fpr",
        lambda: dict(scores_pos=SP, scores_neg=SN, alpha=0.1),
        bad={"alpha": [-0.1, 1.5]},
    ),
    Case(
        P + "gaussian_optimal_roc",
        lambda: dict(alpha=np.linspace(0.0, 1.0, 5), d_prime=1.0),
        bad={"alpha": [np.array([-0.1, 0.5]), np.array([1.5])], "d_prime": [-1.0]},
        ok={"alpha": ("rank", "empty")},  # any shape (broadcasts with d_prime), an empty grid too
    ),
    Case(
        P + "gdp_tradeoff",
        lambda: dict(alpha=np.linspace(0.0, 1.0, 5), mu=1.0),
        bad={"alpha": [np.array([-0.1, 0.5])], "mu": [-1.0]},
        ok={"alpha": ("rank", "empty")},  # any shape (broadcasts with mu), an empty grid too
    ),
    Case(
        P + "binormal_lr_roc",
        lambda: dict(
            mu_in=np.array([1.0, 0.5]),
            s_in=np.array([1.0, 1.5]),
            mu_out=np.array([0.0, 0.0]),
            s_out=np.array([1.0, 1.0]),
            n_thresh=21,
        ),
        bad={
            "s_in": [np.array([1.0, 0.0])],
            "s_out": [np.array([-1.0, 1.0])],
            "mu_out": [np.zeros(3)],
            "n_thresh": [1, 0, 2.5],
        },
    ),
    Case(
        P + "lira_scores",
        lambda: dict(m_target=M_IN[0] + 0.1, m_in=M_IN, m_out=M_OUT, min_std=1e-12),
        bad={"m_in": [M_IN[:1], M_IN[:, :5]], "m_out": [M_OUT[:1]], "min_std": [0.0, -1.0]},
        ok={"m_target": ("rank",)},  # (n_models, n_eval): several audited models at once
    ),
    Case(
        P + "klom",
        lambda: dict(unl_margins=M_IN, orc_margins=M_OUT, bins=5, eps=1e-5, clip=100.0),
        bad={"orc_margins": [M_OUT[:, :5]], "bins": BAD_SIZE, "eps": [0.0], "clip": [0.0]},
    ),
    Case(
        P + "klom_null_bias",
        lambda: dict(
            key=K, unl_margins=M_IN, orc_margins=M_OUT, bins=5, n_perm=4, eps=1e-5, clip=100.0
        ),
        bad={
            "orc_margins": [M_OUT[:, :5]],
            "bins": BAD_SIZE,
            "n_perm": BAD_SIZE,
            "eps": [0.0],
            "clip": [0.0],
        },
    ),
    Case(
        P + "klom_delta_bias",
        lambda: dict(unl_margins=M_IN, orc_margins=M_OUT, bins=5, clip=100.0),
        bad={"orc_margins": [M_OUT[:, :5]], "bins": BAD_SIZE, "clip": [0.0, -1.0]},
    ),
    Case(
        P + "gaussian_kl",
        lambda: dict(mu1=0.5, s1=1.2, mu0=0.0, s0=1.0),
        bad={"s1": [0.0, -1.0], "s0": [0.0]},
    ),
    Case(
        P + "linear_cka",
        lambda: dict(X=XA.copy(), Y=XA[:, :2] @ np.array([[1.0, 0.5], [0.0, 2.0]]) + 0.1),
        bad={"X": [np.ones((N, D))], "Y": [XA[:-1, :2]]},
    ),
    # ------------------------------------------------------------------ certified removal
    Case(
        P + "newton_removal",
        lambda: dict(
            w_star=_ridge_full(),
            X=X.copy(),
            y=Y.copy(),
            forget_mask=FM.copy(),
            lam=LAM,
            loss="sq",
            reg=None,
        ),
        bad={**BAD_FM, "w_star": [TH[:2]], "lam": [0.0], "loss": ["abs"], "reg": ["none"]},
    ),
    Case(
        P + "grad_residual",
        lambda: dict(
            w=TH.copy(),
            X=X.copy(),
            y=YPM.copy(),
            keep_mask=~FM,
            lam=LAM,
            loss="logistic",
            reg="per_example",
        ),
        bad={
            "w": [TH[:2]],
            "y": [Y],
            "keep_mask": [np.zeros(n, bool), FM[:-1]],
            "lam": [0.0],
            "loss": ["abs"],
            "reg": ["none"],
        },
    ),
    Case(
        P + "guo_bounds",
        lambda: dict(
            w_star=TH.copy(),
            X=X.copy(),
            y=YPM.copy(),
            forget_mask=FM.copy(),
            lam=LAM,
            gamma=0.25,
            C=1.0,
        ),
        bad={**BAD_FM, "y": [Y], "gamma": [0.0], "C": [0.0, -1.0], "lam": [0.0]},
    ),
    Case(
        P + "certified_noise_scale",
        lambda: dict(eps=1.0, delta=1e-5, residual_bound=0.01),
        bad={"eps": [0.0], "delta": [0.0, 1.0], "residual_bound": [-1.0, np.ones(2)]},
    ),
    Case(
        P + "ridge_sensitivity",
        lambda: dict(n=100, lam=0.1, B=1.0),
        bad={"n": BAD_SIZE, "lam": [0.0], "B": [0.0, -1.0]},
    ),
    Case(
        P + "ridge_output_perturbation",
        lambda: dict(key=K, X=X.copy(), y=Y.copy(), lam=LAM, s=0.1),
        bad={"y": [Y[:-1]], "lam": [0.0], "s": [0.0, -1.0]},
    ),
    Case(
        P + "sparsity_sweep",
        lambda: dict(
            X=X / np.linalg.norm(X, axis=1).max(),
            y=YPM.copy(),
            forget_mask=FM.copy(),
            lam=LAM,
            support_sizes=np.array([1, d]),
            gamma=0.25,
        ),
        bad={
            **BAD_FM,
            "y": [Y],
            "support_sizes": [np.array([0]), np.array([d + 1]), []],
            "lam": [0.0],
        },
    ),
    # ------------------------------------------------------------------ worst-case forget sets
    Case(
        P + "weighted_ridge",
        lambda: dict(X=X.copy(), y=Y.copy(), w=np.linspace(0.0, 1.0, n), lam=LAM),
        bad={"y": [Y[:-1]], "w": [np.ones(n - 1)], "lam": [0.0]},
    ),
    Case(
        P + "project_capped_simplex",
        lambda: dict(w=np.linspace(0.0, 1.0, n), k=2, iters=50),
        bad={"k": [-1, n + 1], "iters": BAD_SIZE},
    ),
    Case(
        P + "unlearning_gap",
        lambda: dict(
            w=1.0 - FM.astype(float),
            X=X.copy(),
            y=Y.copy(),
            lam=LAM,
            unlearner=_unl(),
            theta_full=_ridge_full(),
        ),
        bad={"w": [np.ones(n - 1)], "lam": [0.0], "unlearner": [None], "theta_full": [TH[:2]]},
    ),
    Case(
        P + "gd_retain_unlearner",
        lambda: dict(eta=0.05, T=3),
        bad={"eta": [0.0, -1.0], "T": [-1, 2.5]},
    ),
    Case(
        P + "ga_unlearner",
        lambda: dict(eta=0.05, T=3),
        bad={"eta": [0.0, -1.0], "T": [-1, 2.5]},
    ),
    Case(P + "newton_unlearner", lambda: dict()),
    Case(
        P + "worst_case_forget",
        lambda: dict(
            key=K, X=X.copy(), y=Y.copy(), lam=LAM, k=2, unlearner=_unl(), steps=3, lr=0.1
        ),
        bad={"y": [Y[:-1]], "k": [0, n, 2.5], "unlearner": [None], "steps": [-1, 2.5], "lr": [0.0]},
    ),
    # ------------------------------------------------------------------ Bayes error
    Case(
        P + "mahalanobis",
        lambda: dict(d=MU1.copy(), Sigma=SIG.copy()),
        bad={"Sigma": [np.eye(3), np.array([[1.0, 0.5], [0.0, 1.0]]), -np.eye(2)]},
    ),
    Case(
        P + "bayes_error_gaussian",
        lambda: dict(mu0=MU0, mu1=MU1, Sigma=SIG, pi1=0.3),
        bad={"mu1": [np.ones(3)], "Sigma": [-np.eye(2)], "pi1": [0.0, 1.0]},
    ),
    Case(
        P + "project_lp_ball",
        lambda: dict(delta=MU1 * 3.0, eps=0.5, p=2),
        bad={"eps": [0.0, -1.0], **BAD_P},
        ok={"delta": ("rank",)},  # (n, d): a batch of vectors, projected row by row
    ),
    Case(
        P + "optimal_classwise_shift",
        lambda: dict(mu0=MU0, mu1=MU1, Sigma=SIG, eps=0.2, p=2, iters=30, box_steps=10),
        bad={"mu1": [np.ones(3)], "eps": [0.0], **BAD_P, "iters": BAD_SIZE, "box_steps": BAD_SIZE},
    ),
    Case(
        P + "pga_classwise_shift",
        lambda: dict(mu0=MU0, mu1=MU1, Sigma=SIG, eps=0.2, p="inf", step=0.1, T=3),
        bad={"mu1": [np.ones(3)], "eps": [0.0], **BAD_P, "step": [0.0], "T": [-1, 2.5]},
    ),
    Case(
        P + "bayes_error_mixture_1d",
        lambda: dict(
            means0=np.array([0.0, -1.0]),
            means1=np.array([1.0, 2.0]),
            weights=np.array([0.7, 0.3]),
            sigma=1.0,
            pi1=0.5,
            grid=201,
        ),
        bad={
            "means1": [np.ones(3)],
            "weights": [np.array([0.7, 0.7]), np.array([1.5, -0.5]), np.ones(3) / 3],
            "sigma": [0.0],
            "pi1": [0.0, 1.0],
            "grid": [1, 0, 2.5],
        },
    ),
    Case(
        P + "bayes_error_mc",
        lambda: dict(
            key=K,
            sampler0=_sampler(MU0),
            sampler1=_sampler(MU1),
            logpdf0=_logpdf(MU0),
            logpdf1=_logpdf(MU1),
            n=64,
            pi1=0.5,
        ),
        bad={
            "sampler0": [None],
            "sampler1": [None],
            "logpdf0": [None],
            "logpdf1": [None],
            "n": BAD_SIZE,
            "pi1": [0.0, 1.0],
        },
    ),
    Case(
        P + "lda_population_fit",
        lambda: dict(mu0=MU0, mu1=MU1, Sigma_pooled=SIG, pi1=0.5),
        bad={"mu1": [np.ones(3)], "Sigma_pooled": [-np.eye(2), np.eye(3)], "pi1": [0.0, 1.0]},
    ),
    Case(
        P + "linear_clean_error",
        lambda: dict(w=MU1.copy(), b=-0.3, mu0=MU0, mu1=MU1, Sigma=SIG, pi1=0.5),
        bad={
            "w": [np.ones(3), np.zeros(2)],
            "mu1": [np.ones(3)],
            "Sigma": [-np.eye(2)],
            "pi1": [0.0],
        },
    ),
    Case(
        P + "kde_bayes_error",
        lambda: dict(X=XK.copy(), y=YK.copy(), h=0.5),
        bad={"y": [YK[:-1], YK + 1], "h": [0.0, -1.0]},
    ),
    Case(
        P + "pga_samplewise",
        lambda: dict(key=K, X=XK.copy(), y=YK.copy(), eps=0.1, p=2, step=0.1, T=2, h=0.5),
        bad={
            "y": [YK[:-1], YK + 1],
            "eps": [0.0],
            **BAD_P,
            "step": [0.0],
            "T": [-1, 2.5],
            "h": [0.0],
        },
    ),
]
EXEMPT = exempt_non_functions("unlearnlab.unlearning")
