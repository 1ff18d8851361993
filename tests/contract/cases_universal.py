import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.universal."
D = 3


def _lp():
    from unlearnlab.universal import group_log_prior

    return np.asarray(group_log_prior(D))


def _p():
    from unlearnlab.universal import group_probs

    return np.asarray(group_probs(D, 1.5))


LP_P = {"log_prior": [np.zeros(2 * D + 1)], "p": [np.full(2 * D + 1, 1.0), np.full(2 * D, 0.5)]}
KN = {"K": [np.array([4, 1]), np.array([0.5, 1.0])], "n": [-1, np.array([-1, 3])]}
S0 = {"s0_idx": [-1, 2 * D + 1, 10**6, 1.5]}

CASES = [
    Case(P + "group_log_prior", lambda: dict(D=D), bad={"D": [0, -1, 2.5]}),
    Case(P + "group_probs", lambda: dict(D=D, c=1.5), bad={"D": [0, -1], "c": [0.0, -1.0, 1e4]}),
    Case(
        P + "bernoulli_kl",
        lambda: dict(p=0.3, q=np.array([0.2, 0.5])),
        bad={"p": [0.0, 1.0, -0.2], "q": [np.array([0.2, 1.0])]},
        ok={"q": ("rank", "empty")},
    ),
    Case(
        P + "log_mixture",
        lambda: dict(K=np.array([0, 2]), n=3, log_prior=_lp(), p=_p()),
        bad={**KN, **LP_P},
    ),
    Case(
        P + "posterior_predictive",
        lambda: dict(K=np.array([0, 2]), n=3, log_prior=_lp(), p=_p()),
        bad={**KN, **LP_P},
    ),
    Case(
        P + "expected_regret",
        lambda: dict(s0_idx=D, n=5, log_prior=_lp(), p=_p(), n_max=None),
        bad={**S0, "n": [-1, 2.0, np.array([1, 2])], **LP_P, "n_max": [2, -1]},
    ),
    Case(
        P + "regret_curve",
        lambda: dict(s0_idx=D, ns=np.array([0, 3, 7]), log_prior=_lp(), p=_p()),
        bad={**S0, "ns": [np.array([0.0, 2.0]), np.zeros((2, 2), int)], **LP_P},
        ok={"ns": ("oob",)},  # a length of 10**6 is valid
    ),
    Case(
        P + "resolvability_bound",
        lambda: dict(s0_idx=D, n=np.array([0, 10]), log_prior=_lp(), p=_p()),
        bad={**S0, "n": [np.array([0.5, 2.0])], **LP_P},
        ok={"n": ("oob",)},  # a length of 10**6 is valid
    ),
]
CASES.append(
    Case(
        P + "log_ball_weight",
        lambda: dict(s0_idx=D, eps=np.array([0.0, 0.1, 5.0]), log_prior=_lp(), p=_p()),
        bad={**S0, "eps": [np.array([-0.1, 0.2]), -1.0], **LP_P},
        ok={"eps": ("rank", "empty")},
    )
)
CASES += [
    Case(
        P + "irwin_hall_log_density",
        lambda: dict(D=4, grid=np.array([-1.0, 0.0, 2.5])),
        bad={"D": [0, 41], "grid": [np.array([0.0, 4.0]), np.array([-5.0])]},
        ok={"grid": ("empty",)},
    ),
    Case(
        P + "relaxed_predictive",
        lambda: dict(K=3, n=5, D=4, c=1.5, n_quad=200),
        bad={"K": [6, -1], "n": [-1], "D": [0, 41], "c": [0.0], "n_quad": [10]},
    ),
    Case(
        P + "sgld_predictive",
        lambda: dict(
            key=jax.random.PRNGKey(0), K=3, n=5, D=4, c=1.5, n_chains=4, n_steps=3, step=0.01
        ),
        bad={
            "K": [6, -1],
            "n": [-1],
            "D": [0],
            "c": [-1.0],
            "n_chains": [1],
            "n_steps": [0],
            "step": [0.0, -0.1],
        },
    ),
]
EXEMPT = exempt_non_functions("unlearnlab.universal")
