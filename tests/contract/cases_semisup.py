import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.semisup."
K = jax.random.PRNGKey(0)
D = 3
MU = np.array([1.0, 0.5, 0.0])
TH = np.array([0.8, 0.2, 0.1])
RNG = np.random.default_rng(0)
XL = RNG.normal(size=(6, D))
YL = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
XU = RNG.normal(size=(8, D))
OKU = {"Xu": ("empty",)}  # n_unlab = 0: the unlabeled term is 0 (supervised DRO), documented
SIZES = {"d": [0, -1], "n_lab": [0, -1], "n_unlab": [-1]}
B41 = dict(d=10, n_lab=20, n_unlab=200, alpha=0.1, delta=0.1, mu0_norm=2.0, sigma0=1.0)


def _sq_loss(theta, z, y):
    return (1.0 - y * (z @ theta)) ** 2


def _rss_cfg():
    from unlearnlab.semisup import RSSConfig

    return RSSConfig(gamma=0.1, gamma_u=0.1, lam=1.0, lr=0.2)


def _rss_state():
    from unlearnlab.semisup import rss_init

    return rss_init(TH, _rss_cfg())


CASES = [
    Case(
        P + "sample_gmm2",
        lambda: dict(key=K, n_samples=5, mu=MU, sigma=1.0),
        bad={"n_samples": [-1], "sigma": [0.0, -1.0]},
    ),
    Case(
        P + "sample_unlabeled",
        lambda: dict(key=K, n_unlab=5, mu1=MU, sigma1=1.0),
        bad={"n_unlab": [-1], "sigma1": [0.0, -1.0]},
    ),
    Case(
        P + "shifted_params",
        lambda: dict(mu0=MU, sigma0=1.0, alpha=0.1, v=np.array([0.0, 0.0, 1.0]), scale_shift=False),
        bad={"sigma0": [0.0, -1.0], "alpha": [-0.1]},
    ),
    Case(P + "random_unit", lambda: dict(key=K, d=3, dtype=None), bad={"d": [0, -1]}),
    Case(P + "orthogonal_unit", lambda: dict(key=K, mu0=MU)),
    Case(
        P + "risk_linear_iso", lambda: dict(theta=TH, mu=MU, sigma=1.0), bad={"sigma": [0.0, -1.0]}
    ),
    Case(
        P + "risk_linear_aniso",
        lambda: dict(theta=TH, mu=MU, Sigma=np.eye(D)),
        bad={"Sigma": [-np.eye(D)]},
    ),
    Case(P + "bayes_risk_iso", lambda: dict(mu=MU, sigma=1.0), bad={"sigma": [0.0, -1.0]}),
    Case(
        P + "excess_risk_iso", lambda: dict(theta=TH, mu=MU, sigma=1.0), bad={"sigma": [0.0, -1.0]}
    ),
    Case(
        P + "robust_loss_01_linear",
        lambda: dict(theta=TH, x=XL, y=YL, gamma=0.1),
        bad={"gamma": [-0.1], "y": [np.zeros(6)]},
    ),
    Case(
        P + "rss_objective",
        lambda: dict(
            theta=TH, Xl=XL, yl=YL, Xu=XU, gamma=0.1, gamma_u=0.1, lam=1.0, loss="01_closed"
        ),
        bad={"gamma": [-0.1], "gamma_u": [-0.1], "lam": [-1.0], "loss": ["x"]},
        ok=OKU,
    ),
    Case(
        P + "fit_rss",
        lambda: dict(key=K, Xl=XL, yl=YL, Xu=XU, gamma=0.1, gamma_u=0.1, lam=1.0, steps=3),
        bad={"gamma": [-0.1], "gamma_u": [-0.1], "lam": [-1.0], "steps": [0, -1]},
        ok=OKU,
    ),
    Case(P + "fit_erm_mean", lambda: dict(Xl=XL, yl=YL)),
    Case(P + "fit_pca_sign", lambda: dict(Xl=XL, yl=YL, Xu=XU), ok=OKU),  # n_unlab = 0: ERM proxy
    Case(
        P + "robust_loss_generic",
        lambda: dict(loss_fn=_sq_loss, theta=TH, x=XL[0], y=1.0, gamma=2.0, steps=3, lr=0.1),
        bad={"gamma": [0.0, -1.0], "steps": [0, -1], "lr": [0.0, -0.1]},
        # theta is any pytree the user's loss_fn accepts: its shapes are loss_fn's contract
        ok={"theta": ("rank", "empty")},
    ),
    Case(P + "rss_init", lambda: dict(theta0=TH, cfg=_rss_cfg())),
    Case(
        P + "rss_step",
        lambda: dict(key=K, state=_rss_state(), Xl=XL, yl=YL, Xu=XU, cfg=_rss_cfg()),
        bad={"yl": [np.zeros(6)], "Xu": [XU[:, :2]]},
        ok=OKU,
    ),
    Case(
        P + "rss_run",
        lambda: dict(key=K, theta0=TH, Xl=XL, yl=YL, Xu=XU, cfg=_rss_cfg(), steps=3),
        bad={"yl": [np.zeros(6)], "Xu": [XU[:, :2]], "steps": [0, -1]},
        ok=OKU,
    ),
    Case(
        P + "bound_thm41",
        lambda: dict(**B41, gamma=0.1, C=1.0),
        bad={
            **SIZES,
            "delta": [0.0, 1.5],
            "alpha": [-0.1],
            "sigma0": [0.0, -1.0],
            "mu0_norm": [-1.0],
            "gamma": [-0.1],
            "C": [0.0, -1.0],
        },
    ),
    Case(
        P + "bound_thm42",
        lambda: dict(**B41, mu1_norm=2.0, sigma1=1.0, C=1.0),
        bad={
            **SIZES,
            "delta": [0.0, 1.5],
            "sigma0": [0.0, -1.0],
            "sigma1": [0.0, -1.0],
            "mu1_norm": [-1.0],
        },
    ),
    Case(
        P + "bound_erm_vc",
        lambda: dict(d=10, n_lab=20, delta=0.1, C=1.0),
        bad={"d": [0, -1], "n_lab": [0, -1], "delta": [0.0, 1.5], "C": [0.0, -1.0]},
    ),
    Case(
        P + "corollary_regime",
        lambda: dict(d=10, n_lab=20, n_unlab=200, alpha=0.1),
        bad={**SIZES, "alpha": [-0.1]},
    ),
    Case(
        P + "thm42_prefactor",
        lambda: dict(mu0_norm=2.0, sigma0=1.0),
        bad={"mu0_norm": [-1.0], "sigma0": [0.0, -1.0]},
    ),
]
EXEMPT = exempt_non_functions("unlearnlab.semisup")
