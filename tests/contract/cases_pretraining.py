"""Contract cases for unlearnlab.pretraining (factor model, Gaussian mixture, contrastive, bounds)."""

import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.pretraining."
K0 = jax.random.PRNGKey(0)
RNG = np.random.default_rng(0)
D, R, N = 4, 2, 12
B = RNG.normal(size=(D, R))
BETA = np.array([1.0, -0.5])
SIG = 0.5
X_LAB = RNG.normal(size=(N, D))
Y_LAB = RNG.normal(size=N)
SIGMA = B @ B.T + np.eye(D)
SXX = X_LAB.T @ X_LAB / N
SXY = X_LAB.T @ Y_LAB / N
W = RNG.normal(size=D)
# Gaussian mixture: K = 3 components in d = 2, labels {0, 1}
MEANS = np.array([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
LZ = np.array([0, 1, 0])
XG = MEANS[np.arange(N) % 3] + 0.3 * RNG.normal(size=(N, 2))
YG = LZ[np.arange(N) % 3]
TABLE = np.array([0, 1, 0])
WLOG = RNG.normal(size=(3, 2))  # (d + 1, n_classes)
# contrastive
XP = RNG.normal(size=(N, D))
S = (np.arange(N) % 2).astype(float)

SIZE = [0, -1, 2.5]
POS = [0.0, -1.0]
NONNEG = [-1.0]
FACT = dict(B=B, beta=BETA, sig_nu=SIG)
FACT_BAD = {"sig_nu": NONNEG, "beta": [np.ones(3)]}
# sizes of the bounds accept inf (the limit n -> inf: the term vanishes)
INF_OK = ("inf",)


def _rep():
    from unlearnlab.pretraining import mle_contrastive

    return mle_contrastive(K0, X_LAB, XP, S, r=R, steps=2)


CASES = [
    # ---- factor model
    Case(
        P + "sample_factor",
        lambda: dict(key=K0, n_samples=5, **FACT),
        bad={"n_samples": SIZE, **FACT_BAD},
    ),
    Case(
        P + "sample_cov_wishart",
        lambda: dict(key=K0, n_unlab=6, Sigma=SIGMA),
        bad={"n_unlab": [D - 1, 0, 6.5], "Sigma": [-SIGMA, B]},
    ),
    Case(P + "second_moment", lambda: dict(X_unlab=X_LAB)),
    Case(
        P + "mle_ppca",
        lambda: dict(C=SIGMA, r=R, noise_var=1.0),
        bad={"r": [0, D, 1.5], "noise_var": POS, "C": [-SIGMA]},
    ),
    Case(
        P + "posterior_features",
        lambda: dict(B_hat=B, X=X_LAB, noise_var=1.0),
        bad={"noise_var": POS, "X": [X_LAB[:, :3]]},
    ),
    Case(
        P + "erm_on_features",
        lambda: dict(B_hat=B, X_lab=X_LAB, y_lab=Y_LAB, noise_var=1.0, ridge=0.0),
        bad={"noise_var": POS, "ridge": NONNEG, "y_lab": [Y_LAB[:-1]], "X_lab": [X_LAB[:, :3]]},
    ),
    Case(
        P + "erm_on_features_moments",
        lambda: dict(B_hat=B, Sxx=SXX, sxy=SXY, noise_var=1.0, ridge=0.0),
        bad={"noise_var": POS, "ridge": NONNEG, "sxy": [SXY[:-1]], "Sxx": [-SXX]},
    ),
    Case(
        P + "fit_pretrain_erm",
        lambda: dict(C_unlab=SIGMA, X_lab=X_LAB, y_lab=Y_LAB, r=R, noise_var=1.0, ridge=0.0),
        bad={
            "r": [0, D],
            "noise_var": POS,
            "ridge": NONNEG,
            "y_lab": [Y_LAB[:-1]],
            "X_lab": [X_LAB[:, :3]],
        },
    ),
    Case(
        P + "fit_pretrain_erm_moments",
        lambda: dict(C_unlab=SIGMA, Sxx=SXX, sxy=SXY, r=R, noise_var=1.0, ridge=0.0),
        bad={"r": [0, D], "noise_var": POS, "ridge": NONNEG, "sxy": [SXY[:-1]]},
    ),
    Case(
        P + "fit_supervised_ols",
        lambda: dict(X_lab=X_LAB, y_lab=Y_LAB, ridge=0.0),
        bad={"ridge": NONNEG, "y_lab": [Y_LAB[:-1]]},
    ),
    Case(
        P + "fit_supervised_ols_moments",
        lambda: dict(Sxx=SXX, sxy=SXY, ridge=0.0),
        bad={"ridge": NONNEG, "sxy": [SXY[:-1]], "Sxx": [-SXX, np.zeros((D, D))]},
    ),
    Case(P + "joint_cov", lambda: dict(**FACT), bad=FACT_BAD),
    Case(
        P + "sample_lab_moments",
        lambda: dict(key=K0, n_lab=8, **FACT),
        bad={"n_lab": [D, 0, -1], "sig_nu": POS, "beta": [np.ones(3)]},
    ),
    Case(P + "w_star", lambda: dict(B=B, beta=BETA), bad={"beta": [np.ones(3)]}),
    Case(P + "sigma_eff2", lambda: dict(**FACT), bad=FACT_BAD),
    Case(
        P + "excess_risk_linear",
        lambda: dict(w=W, **FACT),
        bad={"w": [W[:-1]], **FACT_BAD},
    ),
    Case(
        P + "risk_linear_factor",
        lambda: dict(w=W, **FACT),
        bad={"w": [W[:-1]], **FACT_BAD},
    ),
    Case(
        P + "theory_ols",
        lambda: dict(n_lab=np.array([10, 20, 40]), d=D, sig_eff2=1.5),
        bad={
            "n_lab": [np.array([5, 20]), 3],  # n_lab <= d + 1
            "d": [0, -1, 2.5],
            "sig_eff2": NONNEG,
        },
        ok={"n_lab": ("oob",)},  # a large sample size (10**6) is valid
    ),
    Case(
        P + "theory_pretrain_oracle",
        lambda: dict(n_lab=np.array([10, 20, 40]), r=R, sig_eff2=1.5),
        bad={"n_lab": [np.array([3, 20]), 2], "r": [0, -1, 2.5], "sig_eff2": NONNEG},
        ok={"n_lab": ("oob",)},  # a large sample size (10**6) is valid
    ),
    Case(P + "sin_theta", lambda: dict(B_hat=B + 0.1, B=B), bad={"B_hat": [B[:, :1]]}),
    Case(
        P + "simulate_factor_excess",
        lambda: dict(key=K0, n_lab=10, n_unlab=50.0, **FACT, r=R, noise_var=1.0),
        bad={
            "n_lab": [D, 0],
            "n_unlab": [2.0, 0.0, -1.0],
            "r": [0, D],
            "noise_var": POS,
            "sig_nu": POS,
        },
        # n_unlab = inf is the documented oracle arm (pretraining with the true loadings)
        ok={"n_unlab": INF_OK},
    ),
    # ---- Gaussian mixture
    Case(
        P + "sample_gmm_k",
        lambda: dict(key=K0, n_samples=5, means=MEANS, labels_of_z=LZ),
        bad={"n_samples": SIZE, "labels_of_z": [LZ[:2], LZ.astype(float)]},
    ),
    Case(
        P + "kmeanspp_init",
        lambda: dict(key=K0, X=XG, K=3),
        bad={"K": [1, 0, N + 1, 2.5]},
    ),
    Case(
        P + "em_gmm",
        lambda: dict(key=K0, X=XG, K=3, iters=3),
        bad={"K": [1, N + 1], "iters": [0, -1]},
    ),
    Case(
        P + "em_gmm_from",
        lambda: dict(means0=MEANS, X=XG, iters=3),
        bad={"iters": [0], "means0": [MEANS[:, :1]]},
    ),
    Case(
        P + "assign_clusters",
        lambda: dict(means_hat=MEANS, X=XG),
        bad={"X": [XG[:, :1]]},
    ),
    Case(
        P + "fit_cluster_labels",
        lambda: dict(means_hat=MEANS, X_lab=XG, y_lab=YG, n_classes=2),
        bad={"n_classes": [1, 0], "y_lab": [YG[:-1], YG.astype(float)], "X_lab": [XG[:, :1]]},
    ),
    Case(
        P + "predict_gmm",
        lambda: dict(means_hat=MEANS, table=TABLE, X=XG),
        bad={"table": [TABLE[:2]], "X": [XG[:, :1]]},
        # a table entry is a class label: any non-negative integer is a valid label
        ok={"table": ("oob",)},
    ),
    Case(
        P + "fit_supervised_logreg",
        lambda: dict(X_lab=XG, y_lab=YG, n_classes=2, steps=3, lr=0.1, l2=1e-3),
        bad={
            "n_classes": [1],
            "steps": [0],
            "lr": POS,
            "l2": NONNEG,
            "y_lab": [YG[:-1]],
        },
    ),
    Case(
        P + "predict_logreg",
        lambda: dict(W=WLOG, X=XG),
        bad={"X": [XG[:, :1]], "W": [WLOG[:2]]},
    ),
    Case(
        P + "bayes_predict_gmm",
        lambda: dict(means=MEANS, labels_of_z=LZ, X=XG, n_classes=2),
        bad={"n_classes": [1, 0], "labels_of_z": [LZ[:2]], "X": [XG[:, :1]]},
    ),
    Case(
        P + "bayes_error_gmm",
        lambda: dict(key=K0, means=MEANS, labels_of_z=LZ, n_test=50),
        bad={"n_test": SIZE, "labels_of_z": [LZ[:2]]},
    ),
    # ---- contrastive
    Case(
        P + "sample_contrastive_pairs",
        lambda: dict(key=K0, n_unlab=5, W_star=B),
        bad={"n_unlab": SIZE, "W_star": [np.ones((2, 2))]},
    ),
    Case(
        P + "sample_contrastive_downstream",
        lambda: dict(key=K0, n_lab=5, W_star=B, beta=BETA, sig_nu=SIG),
        bad={"n_lab": SIZE, "beta": [np.ones(3)], "sig_nu": NONNEG},
    ),
    Case(
        P + "pair_nll",
        lambda: dict(W=B, x=X_LAB, xp=XP, s=S),
        bad={"s": [S[:-1], S + 2.0], "xp": [XP[:-1]], "W": [B[:3]]},
    ),
    Case(
        P + "mle_contrastive",
        lambda: dict(key=K0, x=X_LAB, xp=XP, s=S, r=R, steps=2, lr=1e-2, mask=np.ones(N)),
        bad={
            "r": [0, D],
            "steps": [0],
            "lr": POS,
            "s": [S + 2.0],
            "mask": [np.ones(N - 1), 2 * np.ones(N)],
        },
    ),
    Case(P + "rep_matrix", lambda: dict(rep=_rep())),
    Case(
        P + "fit_contrastive_erm",
        lambda: dict(rep=B, X_lab=X_LAB, y_lab=Y_LAB),
        bad={"X_lab": [X_LAB[:, :3]], "y_lab": [Y_LAB[:-1]], "rep": [B[:, :0]]},
    ),
    Case(
        P + "excess_risk_contrastive",
        lambda: dict(w=W, W_star=B, beta=BETA),
        bad={"w": [W[:-1]], "beta": [np.ones(3)]},
    ),
    # ---- bounds (sizes may be inf: the limit where the term vanishes)
    Case(
        P + "bound_generic",
        lambda: dict(
            C_phi=8.0,
            C_psi=2.0,
            n_unlab=100.0,
            n_lab=20.0,
            delta=0.1,
            kappa=1.0,
            L=1.0,
            c1=1.0,
            c2=1.0,
        ),
        bad={
            "C_phi": NONNEG,
            "C_psi": NONNEG,
            "n_unlab": POS,
            "n_lab": POS,
            "delta": [0.0, 1.0, -0.1],
            "kappa": POS,
            "L": POS,
            "c1": POS,
            "c2": POS,
        },
        ok={"n_unlab": INF_OK, "n_lab": INF_OK},
    ),
    Case(
        P + "bound_factor",
        lambda: dict(d=D, r=R, n_unlab=100.0, n_lab=20.0, delta=0.1, kappa=1.0, L=1.0),
        bad={"d": [0, -1], "r": [0, -1], "n_unlab": POS, "n_lab": POS, "delta": [0.0, 1.5]},
        ok={"n_unlab": INF_OK, "n_lab": INF_OK},
    ),
    Case(
        P + "bound_gmm",
        lambda: dict(d=D, K=3, n_unlab=100.0, n_lab=20.0, delta=0.1, kappa=1.0, L=1.0),
        bad={"d": [0, -1], "K": [0, -1], "n_unlab": POS, "n_lab": POS, "delta": [0.0, 1.5]},
        ok={"n_unlab": INF_OK, "n_lab": INF_OK},
    ),
    Case(
        P + "bound_supervised",
        lambda: dict(C_comp=4.0, n_lab=20.0, delta=0.1, L=1.0),
        bad={"C_comp": NONNEG, "n_lab": POS, "delta": [0.0, 1.0], "L": POS},
        ok={"n_lab": INF_OK},
    ),
]
EXEMPT = exempt_non_functions("unlearnlab.pretraining")
