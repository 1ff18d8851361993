"""Contract cases for the unlearning-under-attack cores (issue 19): ``ununlearning``, ``relearn``,
``sparsity`` of :mod:`unlearnlab.unlearning`."""

import jax
import numpy as np

from tests.contract.harness import Case

P = "unlearnlab.unlearning."
K = jax.random.key(0)
D = 3
SIG = np.diag([1.0, 2.0, 0.5])
SW = np.eye(D)
WF = np.array([1.0, -0.5, 0.25])
M0 = np.zeros(D)
OM = np.eye(D)
B = np.array([0.1, 0.0, -0.1])
G = 0.3 * np.eye(D)
U = np.array([1.0, 0.0, 0.0])
PROJ = np.diag([0.0, 1.0, 1.0])
KS = np.array([1, 4, 16])
MOM = dict(Sigma=SIG, m_w=M0, Omega=OM)
BAD_K = {"k": [0, -1]}

_r = np.random.default_rng(0)
DR = 5
XR = _r.normal(size=(30, DR))
YR = XR @ np.ones(DR) + 0.1 * _r.normal(size=30)
XF = _r.normal(size=(3, DR))
YF = XF @ np.ones(DR) + 0.5 * _r.normal(size=3)
TH = np.full(DR, 0.3)
ETA = float(0.5 / np.linalg.eigvalsh(XF.T @ XF / 3)[-1])
C_LEV = 2.0
SUB = np.array([True, False, False])
FOR = dict(X_f=XF, y_f=YF)
RET = dict(X_r=XR, y_r=YR)
BAD_ETA = {"eta": [0.0, -1.0, 10.0 / np.linalg.eigvalsh(XF.T @ XF / 3)[-1]]}

XS = _r.normal(size=(20, 6)) / 2
YS = XS @ np.ones(6)
FM = np.zeros(20, bool)
FM[:4] = True
MS = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 1.0])
TS = MS * 0.1
ETA_S = float(0.5 / np.linalg.eigvalsh(XS.T @ XS + np.eye(6))[-1])
BAD_FM = {"forget_mask": [np.zeros(20, bool), np.ones(20, bool), np.zeros(19, bool)]}
BAD_MS = {"mask": [np.zeros(6), np.ones(5), np.full(6, 0.5)]}


def _task(key):
    return jax.numpy.asarray(WF)


def _prompts():
    from unlearnlab.unlearning import sample_prompts

    s = sample_prompts(K, 20, 2, SIG, _task, 0.1)
    return {k: np.asarray(v) for k, v in s.items()}


def _ls():
    s = _prompts()
    return dict(X_ctx=s["X"], y_ctx=s["y"], x_q=s["x_q"], y_q=s["y_q"])


CASES = [
    # ------------------------------------------------------------------ ununlearning
    Case(P + "task_moments", lambda: dict(p=0.1, w_f=WF, Sigma_w=SW), bad={"p": [-0.1, 1.5]}),
    Case(P + "unlearn_fact", lambda: dict(w_f=WF, Sigma_w=SW)),
    Case(
        P + "unlearn_skill",
        lambda: dict(p=0.1, w_f=WF, Sigma_w=SW, u=U),
        bad={"p": [1.5], "u": [np.zeros(D)]},
    ),
    Case(P + "skill_projector", lambda: dict(u=U), bad={"u": [np.zeros(D)]}),
    Case(
        P + "lsa_optimum",
        lambda: dict(**MOM, k=4, sigma2=0.1),
        bad={"k": [0, -1], "sigma2": [-0.1], "Omega": [-np.eye(D)]},
    ),
    Case(
        P + "lsa_population_loss",
        lambda: dict(b=B, Gamma=G, **MOM, k=4, sigma2=0.1),
        bad={**BAD_K, "sigma2": [-0.1], "Gamma": [np.eye(2)]},
    ),
    Case(
        P + "lsa_risk",
        lambda: dict(b=B, Gamma=G, w=WF, Sigma=SIG, k=4, sigma2=0.1),
        bad={"k": [-1], "sigma2": [-0.1]},
    ),
    Case(
        P + "lsa_optimal_risk",
        lambda: dict(**MOM, w=WF, ks=KS, sigma2=0.1),
        bad={"ks": [np.array([0, 1]), np.array([1.5])]},
        ok={"ks": ("oob",)},
    ),
    Case(
        P + "lsa_predict",
        lambda: dict(b=B, Gamma=G, X_ctx=np.ones((2, D)), y_ctx=np.ones(2), x_q=np.ones(D)),
    ),
    Case(
        P + "mixture_task_sampler",
        lambda: dict(p=0.1, w_f=WF, Sigma_w=SW),
        bad={"p": [-0.1, 1.5]},
    ),
    Case(
        P + "sample_prompts",
        lambda: dict(key=K, n=4, k=2, Sigma=SIG, task_sampler=_task, sigma2=0.1),
        bad={"n": [0], "k": [0, -1], "task_sampler": [None], "sigma2": [-1.0]},
    ),
    Case(
        P + "lsa_mc_risk",
        lambda: dict(key=K, b=B, Gamma=G, w=WF, Sigma=SIG, k=2, sigma2=0.1, n=16),
        bad={"k": [0], "n": [1]},
    ),
    Case(P + "lsa_least_squares", _ls, bad={"y_q": [np.ones(3)]}),
    Case(
        P + "train_lsa",
        lambda: dict(
            key=K, Sigma=SIG, p=0.1, w_f=WF, Sigma_w=SW, k=2, sigma2=0.1, steps=3, batch=4, lr=0.01
        ),
        bad={"k": [0], "steps": [0], "batch": [0], "lr": [0.0, -1.0], "p": [2.0]},
    ),
    Case(
        P + "skill_lower_bound",
        lambda: dict(Sigma=SIG, P=PROJ, u=U, sigma2=0.1),
        bad={"P": [2.0 * PROJ], "sigma2": [-1.0]},
    ),
    Case(
        P + "shots_to_reacquire",
        lambda: dict(**MOM, w_f=WF, sigma2=0.1, eps=0.1, k_max=50),
        bad={"eps": [0.0, -1.0], "k_max": [0, -1], "w_f": [np.zeros(D)]},
    ),
    # ------------------------------------------------------------------ relearn
    Case(P + "forget_loss", lambda: dict(theta=TH, **FOR)),
    Case(P + "retain_loss", lambda: dict(theta=TH, **RET, lam=0.1), bad={"lam": [0.0, -1.0]}),
    Case(P + "full_fit", lambda: dict(**RET, **FOR, lam=0.1), bad={"lam": [0.0]}),
    Case(P + "retain_fit", lambda: dict(**RET, lam=0.1), bad={"lam": [0.0]}),
    Case(
        P + "relearn_curve",
        lambda: dict(theta0=TH, **FOR, eta=ETA, ks=np.array([0, 1, 5])),
        bad={**BAD_ETA, "ks": [np.array([-1, 2])]},
        ok={"ks": ("oob",)},
    ),
    Case(P + "relearn_gd", lambda: dict(theta0=TH, **FOR, eta=ETA, K=5), bad={**BAD_ETA, "K": [0]}),
    Case(
        P + "relearn_subset",
        lambda: dict(theta0=TH, **FOR, subset_mask=SUB, eta=ETA, ks=np.array([0, 3])),
        bad={
            "subset_mask": [np.ones(3, bool), np.zeros(3, bool), np.ones(2, bool)],
            "eta": [0.0, 1e3],
        },
        ok={"ks": ("oob",)},
    ),
    Case(P + "trust_region_min", lambda: dict(theta=TH, **FOR, rho=0.5), bad={"rho": [-0.1]}),
    Case(P + "robust_radius", lambda: dict(theta=TH, **FOR, c=C_LEV), bad={"c": [0.0, -1.0]}),
    Case(
        P + "certified_delay",
        lambda: dict(theta=TH, **FOR, c=C_LEV, eta=ETA),
        bad={"eta": [0.0, 3.0 * ETA], "c": [-1.0]},
    ),
    Case(P + "first_crossing", lambda: dict(losses=np.array([3.0, 2.0, 1.0]), c=1.5)),
    Case(
        P + "unlearn_constrained",
        lambda: dict(**RET, **FOR, lam=0.1, c=C_LEV),
        bad={"lam": [0.0], "c": [0.0, -1.0]},
    ),
    Case(
        P + "unlearn_robust",
        lambda: dict(**RET, **FOR, lam=0.1, c=C_LEV, rho=0.1, beta=10.0, outer=2, inner=3),
        bad={"rho": [-0.1], "beta": [0.0], "outer": [0], "inner": [0], "c": [-1.0]},
    ),
    Case(
        P + "ga_penalty_unlearn",
        lambda: dict(theta0=TH, **RET, **FOR, lam=0.1, c=C_LEV, gamma=1.0, lr=0.01, T=3),
        bad={"gamma": [0.0], "lr": [0.0], "T": [0], "c": [-1.0]},
    ),
    Case(
        P + "sam_unlearn",
        lambda: dict(theta0=TH, **RET, **FOR, lam=0.1, c=C_LEV, rho=0.1, gamma=1.0, lr=0.01, T=3),
        bad={"rho": [-0.1], "gamma": [0.0], "T": [0]},
    ),
    Case(P + "forget_error_weights", lambda: dict(theta=TH, **FOR)),
    # ------------------------------------------------------------------ sparsity
    Case(
        P + "masked_gd",
        lambda: dict(X=XS, y=YS, mask=MS, theta0=TS, eta=ETA_S, t=3, lam=1.0, keep_mask=None),
        bad={**BAD_MS, "eta": [0.0, 100.0], "t": [0], "lam": [0.0]},
    ),
    Case(
        P + "unrolled_unlearn",
        lambda: dict(X=XS, y=YS, forget_mask=FM, mask=MS, theta0=TS, theta_t=TS, eta=ETA_S, t=3),
        bad={**BAD_FM, **BAD_MS, "t": [0], "eta": [0.0]},
    ),
    Case(
        P + "unrolling_error",
        lambda: dict(X=XS, y=YS, forget_mask=FM, mask=MS, theta0=TS, eta=ETA_S, t=3, lam=1.0),
        bad={**BAD_FM, **BAD_MS, "eta": [100.0], "t": [0], "lam": [0.0]},
    ),
    Case(
        P + "magnitude_mask",
        lambda: dict(theta=np.array([0.3, -1.0, 0.1]), sparsity=0.5),
        bad={"sparsity": [1.0, -0.1]},
    ),
    Case(
        P + "masked_lambda_max",
        lambda: dict(H=np.eye(4) + 0.1, mask=np.array([1.0, 0.0, 1.0, 1.0])),
        bad={"mask": [np.zeros(4), np.ones(3)], "H": [np.triu(np.ones((4, 4)))]},
    ),
    Case(
        P + "sparsity_error_curve",
        lambda: dict(
            X=XS,
            y=YS,
            forget_mask=FM,
            lam=1.0,
            sparsities=np.array([0.0, 0.5]),
            theta_init=np.full(6, 0.1),
            t=3,
            eta_frac=0.5,
        ),
        bad={
            **BAD_FM,
            "sparsities": [np.array([1.0]), np.array([-0.1])],
            "t": [0],
            "eta_frac": [0.0, 2.0],
        },
    ),
]

EXEMPT: dict = {}
