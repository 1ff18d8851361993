"""Contract cases for the second-wave panels (issue 23): RCAL (semisup.noisy_longtail), UnlearnRec
encoders (unlearning.dmm), CDvG (pretraining.debias), Unlearnable Clusters (unlearning.bayes_error)."""

import jax
import numpy as np

from tests.contract.harness import Case

K0 = jax.random.PRNGKey(0)
S = "unlearnlab.semisup."
_RNG = np.random.default_rng(0)
MEANS2 = np.array([[-2.5, 0.0], [2.5, 0.0]])
PI2 = np.array([0.8, 0.2])
X_NL = np.concatenate(
    [_RNG.normal(size=(20, 2)) + MEANS2[0], _RNG.normal(size=(10, 2)) + MEANS2[1]]
)
Y_NL = np.array([0] * 18 + [1] * 2 + [1] * 8 + [0] * 2)

CASES = [
    Case(S + "longtail_priors", lambda: dict(K=3, r=10.0), bad={"K": [1, 0], "r": [0.5, -1.0]}),
    Case(
        S + "sample_noisy_longtail",
        lambda: dict(key=K0, n=10, means=MEANS2, Sigma=np.eye(2), pi=PI2, eta=0.1),
        bad={"n": [0, -1], "eta": [0.5, -0.1], "pi": [np.array([0.5, 0.6])], "Sigma": [-np.eye(2)]},
    ),
    Case(
        S + "noisy_class_stats",
        lambda: dict(means=MEANS2, Sigma=np.eye(2), pi=PI2, eta=0.1),
        bad={"eta": [0.5, 1.1], "pi": [np.array([0.5, 0.6])], "Sigma": [-np.eye(2)]},
    ),
    Case(
        S + "naive_class_stats",
        lambda: dict(X=X_NL, y_obs=Y_NL, K=2),
        bad={"K": [1], "y_obs": [np.zeros(30, int)]},
    ),
    Case(S + "chi2_quantile", lambda: dict(d=2, level=0.99), bad={"d": [0], "level": [0.0, 1.0]}),
    Case(
        S + "trimmed_class_stats",
        lambda: dict(X=X_NL, y_obs=Y_NL, K=2, level=0.99, iters=5),
        bad={"K": [1], "level": [1.0], "iters": [0]},
    ),
    Case(
        S + "em_class_stats",
        lambda: dict(key=K0, X=X_NL, y_obs=Y_NL, K=2, iters=5),
        bad={"K": [1], "iters": [0]},
    ),
    Case(
        S + "binary_lda_errors",
        lambda: dict(
            mu0_hat=MEANS2[0] + 0.1,
            mu1_hat=MEANS2[1],
            Sigma_hat=2 * np.eye(2),
            pi1_fit=0.3,
            mu0=MEANS2[0],
            mu1=MEANS2[1],
            Sigma=np.eye(2),
        ),
        bad={"pi1_fit": [0.0, 1.0], "Sigma_hat": [-np.eye(2)], "Sigma": [np.zeros((2, 2))]},
    ),
]

U = "unlearnlab.unlearning."
_XU = _RNG.normal(size=(12, 3))
_YU = _XU @ np.array([1.0, -0.5, 0.2]) + 0.1 * _RNG.normal(size=12)
_THU = np.linalg.solve(_XU.T @ _XU + np.eye(3), _XU.T @ _YU)
_FU = np.zeros(12, bool)
_FU[[1, 4]] = True
_BADF = {"forget_mask": [np.zeros(12, bool), np.ones(12, bool)]}


def _req():
    return dict(X=_XU, y=_YU, theta_full=_THU, forget_mask=_FU)


CASES += [
    Case(U + "encoder_additive", lambda: dict(**_req(), lam=1.0), bad={**_BADF, "lam": [0.0]}),
    Case(U + "encoder_dependency", lambda: dict(**_req(), lam=1.0), bad={**_BADF, "lam": [0.0]}),
    Case(U + "influence_features", _req, bad=_BADF),
    Case(
        U + "pretrain_linear_encoder",
        lambda: dict(key=K0, X=_XU, y=_YU, theta_full=_THU, lam=1.0, q=2, n_pre=5, ridge=1e-8),
        bad={"lam": [0.0], "q": [0, 12], "n_pre": [0], "ridge": [-1.0]},
    ),
    Case(
        U + "encoder_linear", lambda: dict(A=np.eye(3), **_req()), bad={**_BADF, "A": [np.eye(2)]}
    ),
    Case(
        U + "a1_steps_bound",
        lambda: dict(err0=1.0, eps=1e-3, eta=0.1, lam_min=1.0),
        bad={"err0": [-1.0], "eps": [0.0], "eta": [0.0, 2.0], "lam_min": [0.0]},
    ),
]

P = "unlearnlab.pretraining."
_MS, _MB = np.array([1.0, 0.0]), np.array([2.0, 0.0])
_MU = np.concatenate([_MS, _MB])
_XD = np.concatenate([_RNG.normal(size=(6, 4)) + _MU, _RNG.normal(size=(6, 4)) - _MU])
_YD = np.array([1.0] * 6 + [-1.0] * 6)
_QT = {"q": [-0.1, 1.5], "tau": [-0.1, 1.5]}

CASES += [
    Case(
        P + "sample_aligned",
        lambda: dict(key=K0, n=5, mu_s=_MS, mu_b=_MB, sigma=1.0),
        bad={"n": [0], "sigma": [0.0]},
    ),
    Case(
        P + "translate_bias",
        lambda: dict(key=K0, X=_XD, y_b=_YD, mu_b=_MB, sigma=1.0, q=0.3, tau=0.5),
        bad={**_QT, "sigma": [0.0], "mu_b": [np.ones(4)]},
    ),
    Case(
        P + "std_augment",
        lambda: dict(key=K0, X=_XD, d_s=2, sigma_a=1.0),
        bad={"d_s": [0, 4], "sigma_a": [0.0]},
    ),
    Case(
        P + "bias_gap_matrix",
        lambda: dict(mu_b=_MB, sigma=1.0, q=0.3, tau=0.5),
        bad={**_QT, "sigma": [0.0]},
    ),
    Case(
        P + "cdvg_population_moments",
        lambda: dict(mu_s=_MS, mu_b=_MB, sigma=1.0, q=0.3, tau=0.5),
        bad={**_QT, "sigma": [0.0]},
    ),
    Case(
        P + "std_population_moments",
        lambda: dict(mu_s=_MS, mu_b=_MB, sigma=1.0, sigma_a=1.0),
        bad={"sigma": [0.0], "sigma_a": [0.0]},
    ),
    Case(
        P + "contrastive_moments", lambda: dict(X=_XD, TX=_XD + 0.1), bad={"TX": [np.ones((3, 4))]}
    ),
    Case(
        P + "contrastive_eigenspace",
        lambda: dict(C=np.diag([1.0, 1.0, 0.5, 0.2]), Sigma_bar=np.eye(4), threshold=0.9),
        bad={"Sigma_bar": [-np.eye(4)], "threshold": [2.0], "C": [np.triu(np.ones((4, 4)))]},
        ok={"C": ("empty",), "Sigma_bar": ("empty",)},
    ),
    Case(
        P + "probe_conflicting_error",
        lambda: dict(
            W=np.eye(4)[:, :3],
            m_neg=-_MU,
            m_pos=_MU,
            S_within=np.eye(4),
            mu_s=_MS,
            mu_b=_MB,
            sigma=1.0,
        ),
        bad={"sigma": [0.0], "W": [np.ones((3, 2))]},
    ),
    Case(P + "task_bayes_error", lambda: dict(mu_s=_MS, sigma=1.0), bad={"sigma": [0.0]}),
]

_UCM = np.array(
    [[1.0, 1, 0, 0, 0, 0], [-1, 1, 0, 0, 0, 0], [-1, -1, 0, 0, 0, 0], [1, -1, 0, 0, 0, 0]]
)
_UCS = np.diag([1.0, 1, 0.25, 0.25, 0.25, 0.25])
_GP = np.array([1, 0, 0, 1])

CASES += [
    Case(
        U + "uc_world",
        lambda: dict(a=1.0, sigma=1.0, sigma_s=0.5, K=4),
        bad={"a": [0.0], "sigma": [-1.0], "sigma_s": [0.0], "K": [3, 5]},
    ),
    Case(
        U + "uc_perturbations",
        lambda: dict(kind="uc", eps=1.0, means=_UCM, protector_labels=_GP, offset=1),
        bad={
            "kind": ["x"],
            "eps": [-1.0],
            "offset": [0, 4],
            "protector_labels": [np.array([1, 1, 1, 0])],
        },
    ),
    Case(
        U + "uc_hacker_error",
        lambda: dict(
            means=_UCM,
            Sigma=_UCS,
            deltas=0.5 * np.eye(6)[2:6],
            p=0.5,
            labels=np.array([0, 0, 1, 1]),
        ),
        bad={
            "p": [-0.1, 1.5],
            "Sigma": [-_UCS],
            "deltas": [np.zeros((3, 6))],
            "labels": [np.array([0, 1, 1, 1])],
        },
    ),
    Case(U + "balanced_labelings", lambda: dict(K=4), bad={"K": [3, 0]}),
]

EXEMPT: dict[str, str] = {}
