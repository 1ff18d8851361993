"""Contract cases for :mod:`unlearnlab.diffusion` (issue 20): Gaussian diffusion, erasure edits,
UnlearnDiffAtk, SFD."""

import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.diffusion."
K = jax.random.key(0)
D, PD, KC = 3, 2, 3
_r = np.random.default_rng(0)
W = _r.normal(size=(D, PD))
E = _r.normal(size=(KC, PD))
MU0 = np.zeros(D)
MU = MU0 + E @ W.T
S0 = 0.5
SIG = np.array([[1.0, 0.2, 0.0], [0.2, 1.0, 0.1], [0.0, 0.1, 0.5]])
AB = np.array([0.99, 0.6, 0.2, 0.01])
X = np.array([0.3, -0.1, 0.2])
X0 = MU[0] + S0 * _r.normal(size=(4, D))
EPS = _r.normal(size=(4, 4, D))
NOT_PD = [-np.eye(D), np.diag([1.0, 0.0, 1.0]), np.eye(2)]
AB1 = {"alpha_bar": [0.0, 1.0, -0.1, 1.5]}
ABG = {"alpha_bar": [np.array([0.9, 1.0]), np.array([0.0, 0.5])]}
ABG_DDIM = {
    "alpha_bar": ABG["alpha_bar"] + [np.array([0.5, 0.9])]
}  # the sampler needs a decreasing grid
SIG0 = {"sigma0": [0.0, -1.0]}
CONCEPT = dict(e=E[1], W=W, mu0=MU0, sigma0=S0)
ATTACK = dict(x0=X0, eps=EPS, alpha_bar=AB, W=W, mu0=MU0, sigma0=S0)
ABG_ATT = {"alpha_bar": [np.array([0.9, 1.0, 0.5, 0.2]), np.array([0.0, 0.5, 0.4, 0.3])]}
RHO = {"rho": [-1.0, np.nan]}
L0 = np.tile(np.eye(D), (KC, 1, 1))
M0 = np.zeros((KC, D))
CLS = {"forget": [-1, KC, 1.5], "safe": [-1, KC, 0]}


def _attack_state():
    from unlearnlab.diffusion import attack_init

    return attack_init(E[0], lr=0.1, steps=3)


def _sfd_state():
    from unlearnlab.diffusion import sfd_init

    return sfd_init(M0, L0, lr=0.05, steps=3)


CASES = [
    Case(
        P + "vp_schedule",
        lambda: dict(n_steps=10, T=100, beta_min=1e-4, beta_max=0.02),
        bad={"n_steps": [0, 101], "T": [0], "beta_min": [0.0, 1.0, 0.05], "beta_max": [1.0, -0.1]},
    ),
    Case(
        P + "marginal", lambda: dict(alpha_bar=0.5, mu=X, Sigma=SIG), bad={**AB1, "Sigma": NOT_PD}
    ),
    Case(
        P + "exact_score",
        lambda: dict(x=X, alpha_bar=0.5, mu=MU0, Sigma=SIG),
        bad={**AB1, "Sigma": NOT_PD, "x": [np.zeros(2)]},
    ),
    Case(
        P + "exact_eps",
        lambda: dict(x=X, alpha_bar=0.5, mu=MU0, Sigma=SIG),
        bad={**AB1, "Sigma": NOT_PD, "mu": [np.zeros(2)]},
    ),
    Case(
        P + "concept_eps",
        lambda: dict(x=X, alpha_bar=0.5, **CONCEPT),
        bad={**AB1, **SIG0, "e": [np.zeros(3)], "W": [np.ones((2, 2))]},
    ),
    Case(
        P + "denoising_loss",
        lambda: dict(x0=X, eps=X, alpha_bar=0.5, **CONCEPT),
        bad={**AB1, **SIG0, "eps": [np.zeros(2)]},
    ),
    Case(
        P + "denoising_loss_exact",
        lambda: dict(x0=X, alpha_bar=0.5, **CONCEPT),
        bad={**AB1, **SIG0, "x0": [np.zeros(2)]},
    ),
    Case(
        P + "ddim_sample",
        lambda: dict(key=K, alpha_bar=AB, mu=MU0, Sigma=SIG, n=5),
        bad={**ABG_DDIM, "Sigma": NOT_PD, "n": [0, -1, 2.5]},
    ),
    Case(
        P + "ddim_law",
        lambda: dict(alpha_bar=AB, mu=MU0, Sigma=SIG),
        bad={**ABG_DDIM, "Sigma": NOT_PD},
    ),
    Case(
        P + "gaussian_kl",
        lambda: dict(m1=X, S1=SIG, m2=MU0, S2=np.eye(D)),
        bad={"S1": NOT_PD, "S2": NOT_PD, "m2": [np.zeros(2)]},
    ),
    Case(
        P + "gaussian_fit_kl",
        lambda: dict(x=X0, m2=MU0, S2=np.eye(D)),
        bad={"x": [X0[:3]], "S2": NOT_PD},
    ),
    Case(
        P + "erase_esd",
        lambda: dict(W=W, e_star=E[0], eta=1.0, lam=0.1, e_null=None),
        bad={
            "e_star": [np.zeros(PD), np.ones(3)],
            "eta": [-1.0],
            "lam": [-0.5],
            "e_null": [np.ones(3)],
        },
    ),
    Case(
        P + "erase_uce",
        lambda: dict(W=W, E_erase=E[:1], E_anchor=np.zeros((1, PD)), E_preserve=E[1:], lam=0.1),
        bad={"E_anchor": [np.zeros((2, PD))], "E_preserve": [np.ones((2, 3))], "lam": [-1.0]},
        ok={"E_preserve": ("empty",)},
    ),
    Case(P + "erase_range", lambda: dict(W=W, e_star=E[0]), bad={"e_star": [np.zeros(PD)]}),
    Case(
        P + "range_removal_cost",
        lambda: dict(W=W, e_star=E[0], mu_star=MU[0], mu0=MU0, E=E, sigma0=S0),
        bad={**SIG0, "e_star": [np.zeros(PD)], "E": [np.ones((2, 3))]},
    ),
    Case(
        P + "collateral_kl",
        lambda: dict(W_edit=2 * W, W=W, E=E, sigma0=S0),
        bad={**SIG0, "W": [np.ones((2, 2))], "E": [np.ones((2, 3))]},
    ),
    Case(
        P + "attack_loss",
        lambda: dict(e=E[1], **ATTACK),
        bad={**ABG_ATT, **SIG0, "eps": [EPS[:, :2]], "e": [np.zeros(3)]},
    ),
    Case(
        P + "attack_loss_exact",
        lambda: dict(e=E[1], mu_star=MU[0], alpha_bar=AB, W=W, mu0=MU0, sigma0=S0),
        bad={**ABG, **SIG0, "mu_star": [np.zeros(2)]},
    ),
    Case(P + "attack_lstsq", lambda: dict(**ATTACK), bad={**ABG_ATT, **SIG0, "x0": [X0[:, :2]]}),
    Case(
        P + "attack_init",
        lambda: dict(e_init=E[0], lr=0.1, steps=3),
        bad={"lr": [0.0, -1.0], "steps": [0, 1.5]},
    ),
    Case(
        P + "attack_step",
        lambda: dict(state=_attack_state(), **ATTACK, e_star=E[0], rho=1.0, lr=0.1, steps=3),
        bad={**ABG_ATT, **SIG0, **RHO, "lr": [0.0], "steps": [0], "e_star": [np.zeros(3)]},
    ),
    Case(
        P + "unlearn_diff_atk",
        lambda: dict(e_star=E[0], **ATTACK, steps=3, lr=0.1, rho=None),
        bad={**ABG_ATT, **SIG0, **RHO, "lr": [0.0], "steps": [0, -2]},
    ),
    Case(
        P + "best_prompt",
        lambda: dict(W=W, mu_star=MU[0] + 0.3, mu0=MU0, e_star=E[0], rho=0.5),
        bad={**RHO, "e_star": [np.zeros(3)]},
    ),
    Case(
        P + "concept_kl",
        lambda: dict(e=E[1], W=W, mu_star=MU[0], mu0=MU0, sigma0=S0),
        bad={**SIG0, "e": [np.zeros(3)]},
    ),
    Case(
        P + "attack_kl",
        lambda: dict(W=W, mu_star=MU[0] + 0.3, mu0=MU0, sigma0=S0, e_star=E[0], rho=0.5),
        bad={**SIG0, **RHO},
    ),
    Case(
        P + "rho_min",
        lambda: dict(W=W, mu_star=MU[0] + 0.3, mu0=MU0, e_star=E[0]),
        bad={"mu0": [np.zeros(2)]},
    ),
    Case(P + "concept_means", lambda: dict(E=E, W=W, mu0=MU0), bad={"E": [np.ones((2, 3))]}),
    Case(
        P + "gaussian_fisher",
        lambda: dict(m1=X, S1=SIG, m2=MU0, S2=np.eye(D)),
        bad={"S1": NOT_PD, "S2": NOT_PD},
    ),
    Case(P + "sfd_targets", lambda: dict(mu=MU, forget=0, safe=1), bad={**CLS, "mu": [MU[:1]]}),
    Case(
        P + "sfd_loss",
        lambda: dict(m=X, L=np.eye(D), alpha_bar=AB, mu_teacher=MU[1], sigma0=S0),
        bad={**ABG, **SIG0, "L": [np.eye(2)], "mu_teacher": [np.zeros(2)]},
    ),
    Case(
        P + "sfd_init",
        lambda: dict(m0=M0, L0=L0, lr=0.05, steps=3),
        bad={"L0": [L0[:2], np.eye(D)], "lr": [0.0], "steps": [0]},
    ),
    Case(
        P + "sfd_step",
        lambda: dict(
            state=_sfd_state(), alpha_bar=AB, mu=MU, sigma0=S0, forget=0, safe=1, lr=0.05, steps=3
        ),
        bad={**ABG, **SIG0, **CLS, "lr": [0.0], "steps": [0]},
    ),
    Case(
        P + "sfd_distill",
        lambda: dict(
            m0=M0, L0=L0, alpha_bar=AB, mu=MU, sigma0=S0, forget=0, safe=1, steps=3, lr=0.05
        ),
        bad={**ABG, **SIG0, **CLS, "lr": [0.0], "steps": [0], "m0": [M0[:2]]},
    ),
    Case(
        P + "sfd_fixed_point",
        lambda: dict(mu=MU, sigma0=S0, forget=0, safe=1),
        bad={**SIG0, **CLS},
    ),
]

EXEMPT = exempt_non_functions("unlearnlab.diffusion")
