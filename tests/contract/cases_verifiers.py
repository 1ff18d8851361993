import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.verifiers."
K = jax.random.PRNGKey(0)
R = np.array([0.6, 0.2])  # per-type probability of a correct draw
C = np.array([0.9, 0.8])  # verifier accepts a correct answer
S = np.array([0.1, 0.3])  # verifier accepts a wrong answer
PRIOR = np.array([0.5, 0.5])
EW = ("rank", "empty")  # elementwise in this argument: any shape is valid
RATES = {"rho0": [-0.1, 1.5], "rho1": [-0.1, 1.5]}
RCS = dict(r=R, c=C, s=S)
PRC = {"r": [R + 1.0], "c": [C + 1.0], "s": [-S], "prior": [np.array([0.7, 0.7])], "cost": [-1.0]}
MASK = np.array([[1, 0, 0], [0, 1, 1]], bool)
THETA = np.zeros(3)


def _env():
    from unlearnlab.verifiers import make_env

    return make_env(MASK, prompt_probs=None, rho0=0.1, rho1=0.2)


R_NB = np.array([0.87, 0.13])  # two types, m_e > 0 > m_h at c = 1, s = 0.75, cost = 1
PRIOR_NB = np.array([0.58, 0.42])


def _cfg():
    from unlearnlab.verifiers import PGConfig

    return PGConfig(steps=3, G=2, n_prompts=2)


def _pg_state():
    from unlearnlab.verifiers import pg_init

    return pg_init(THETA, _cfg())


def _sim():
    from unlearnlab.verifiers import simulate_resampling

    return simulate_resampling(K, R, 0.9, 0.3, PRIOR, K=3, n_tasks=20)


CASES = [
    Case(
        P + "noisy_verifier",
        lambda: dict(key=K, clean_r=np.array([1.0, 0.0, 1.0]), rho0=0.1, rho1=0.2),
        bad=RATES,
        ok={"clean_r": EW},
    ),
    Case(
        P + "backward_corrected_reward",
        lambda: dict(r_tilde=np.array([1.0, 0.0]), rho0=0.1, rho1=0.2),
        bad=RATES,
        ok={"r_tilde": EW},
    ),
    Case(
        P + "forward_weights",
        lambda: dict(r_tilde=np.array([1.0, 0.0]), rho1=0.2),
        bad={"rho1": [-0.1, 1.5]},
        ok={"r_tilde": EW},
    ),
    Case(
        P + "check_rates",
        lambda: dict(rho0=0.1, rho1=0.2, names=("rho0", "rho1")),
        bad={"rho0": [-0.1, 1.5, 0.9], "rho1": [-0.1, 1.5]},
    ),
    Case(
        P + "appeal_fn_estimate",
        lambda: dict(r_tilde=np.array([1.0, 0.0, 1.0]), appeal_overturn=np.array([0.0, 1.0, 0.0])),
        bad={"appeal_overturn": [np.array([0.0, 2.0, 0.0])]},
        ok={"r_tilde": EW, "appeal_overturn": EW},
    ),
    Case(
        P + "appeal_overturn_prob",
        lambda: dict(rho0=0.1, rho1=0.2, p_correct=0.5, t_a=0.9, f_a=0.1),
        bad={**RATES, "p_correct": [1.5], "t_a": [1.5], "f_a": [-0.1]},
    ),
    Case(
        P + "rho1_from_overturn",
        lambda: dict(overturn=0.05, rho0=0.1, p_correct=0.5, t_a=0.9, f_a=0.1),
        bad={"overturn": [-0.1, 1.5], "rho0": [-0.1, 1.5], "p_correct": [1.5, 0.0]},
    ),
    Case(P + "youden_j", lambda: dict(rho0=0.1, rho1=0.2), bad=RATES),
    Case(
        P + "backward_reward_variance",
        lambda: dict(rho0=0.1, rho1=0.2, r_star=1.0),
        bad={**RATES, "r_star": [0.5, 2.0]},
    ),
    Case(
        P + "expected_weight",
        lambda: dict(mode="backward", rho0=0.1, rho1=0.2, r_star=1.0),
        bad={**RATES, "mode": ["x"]},
    ),
    Case(
        P + "expected_weight_sq",
        lambda: dict(mode="backward", rho0=0.1, rho1=0.2, r_star=1.0),
        bad={**RATES, "mode": ["x"]},
    ),
    Case(P + "weight_second_moments", lambda: dict(rho0=0.1, rho1=0.2, r_star=1.0), bad=RATES),
    Case(
        P + "make_env",
        lambda: dict(correct_mask=MASK, prompt_probs=None, rho0=0.1, rho1=0.2),
        bad=RATES,
    ),
    Case(P + "check_env", lambda: dict(env=_env())),
    Case(P + "softmax_bandit_logp", lambda: dict(theta=np.zeros(3), a=1), bad={"a": [3, -1]}),
    Case(P + "score", lambda: dict(theta=np.zeros(3), a=1), bad={"a": [3, -1]}),
    Case(P + "clean_value", lambda: dict(theta=THETA, env=_env())),
    Case(
        P + "exact_clean_grad", lambda: dict(theta=THETA, correct_mask=MASK[0], prompt_probs=None)
    ),
    Case(
        P + "expected_update",
        lambda: dict(theta=THETA, env=_env(), mode="backward"),
        bad={"mode": ["x"]},
    ),
    Case(
        P + "estimator_variance",
        lambda: dict(theta=THETA, env=_env(), mode="backward"),
        bad={"mode": ["x"]},
    ),
    Case(
        P + "grpo_advantages",
        lambda: dict(r=np.array([1.0, 0.0, 1.0]), eps=1e-6, std_norm=True),
        bad={"eps": [-1.0]},
        ok={"r": ("rank",)},
    ),
    Case(
        P + "pg_estimate",
        lambda: dict(
            key=K, theta=THETA, env=_env(), G=2, mode="backward", baseline="none", n_prompts=1
        ),
        bad={"G": [0, -1], "n_prompts": [0, -1], "mode": ["x"], "baseline": ["x"]},
    ),
    Case(P + "reject_prob", lambda: dict(**RCS), bad={"r": [R + 1.0], "c": [C + 1.0], "s": [-S]}),
    Case(P + "accuracy_at_k", lambda: dict(**RCS, K=3), bad={"r": [R + 1.0], "K": [-1]}),
    Case(
        P + "accuracy_ceiling", lambda: dict(**RCS), bad={"r": [R + 1.0], "c": [C + 1.0], "s": [-S]}
    ),
    Case(
        P + "expected_utility",
        lambda: dict(K=3, **RCS, prior=PRIOR, cost=0.1),
        bad={**PRC, "K": [-1]},
    ),
    Case(
        P + "utility_increment",
        lambda: dict(k=2, **RCS, prior=PRIOR, cost=0.1),
        bad={**PRC, "k": [0, -1]},
    ),
    Case(
        P + "optimal_k",
        lambda: dict(**RCS, prior=PRIOR, cost=0.1, k_max=5),
        bad={**PRC, "k_max": [-1]},
    ),
    Case(
        P + "empirical_ceiling",
        lambda: dict(
            pass_weak=np.array([[1.0, 0.0], [0.0, 1.0]]),
            pass_strong=np.array([[1.0, 1.0], [0.0, 1.0]]),
        ),
        bad={"pass_weak": [np.array([[1.5, 0.0], [0.0, 1.0]])]},
    ),
    Case(
        P + "optimal_k_two_type",
        lambda: dict(r=R_NB, c=1.0, s=0.75, prior=PRIOR_NB, cost=1.0),
        bad={**PRC, "r": [R + 1.0, np.array([0.5, 0.3, 0.2])], "s": [-0.75]},
    ),
    Case(
        P + "simulate_resampling",
        lambda: dict(key=K, r=R, c=0.9, s=0.3, prior=PRIOR, K=3, n_tasks=20),
        bad={
            "r": [R + 1.0],
            "c": [1.5, C],  # c, s: scalars here
            "s": [-0.3, S],
            "prior": [np.array([0.7, 0.7])],
            "K": [0, -1],
            "n_tasks": [0, -1],
        },
    ),
    Case(
        P + "mc_outcomes",
        lambda: dict(sim=_sim(), Ks=np.array([0, 1, 3]), cost=0.5, K_sim=3),
        bad={"Ks": [np.array([0, 4])], "cost": [-1.0], "K_sim": [0, -1]},
    ),
    Case(P + "pg_init", lambda: dict(theta0=THETA, cfg=_cfg())),
    Case(P + "pg_step", lambda: dict(key=K, state=_pg_state(), env=_env(), cfg=_cfg())),
    Case(
        P + "train",
        lambda: dict(key=K, theta0=THETA, env=_env(), cfg=_cfg()),
    ),
    Case(
        P + "train_modes",
        lambda: dict(key=K, theta0=THETA, env=_env(), cfg=_cfg(), modes=("clean", "backward")),
        bad={"modes": [("x",), ()]},
    ),
]
EXEMPT = exempt_non_functions("unlearnlab.verifiers")
