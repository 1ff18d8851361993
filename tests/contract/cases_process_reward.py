"""Contract cases of ``unlearnlab.verifiers.process_reward`` (OPRL on a tree MDP)."""

import jax
import numpy as np

from tests.contract.harness import Case

P = "unlearnlab.verifiers."
K = jax.random.PRNGKey(0)
A, H = 2, 2
N_INT, N = 3, 4
L = np.zeros((N_INT, A))  # uniform policy
L1 = np.array([[0.3, -0.2], [0.1, 0.0], [-0.5, 0.4]])
R = np.array([1.0, 0.0, 0.0, 1.0])
POS = {"beta": [0.0, -1.0]}
KAP = {"kappa": [0.0, -1.0]}
WRONG = {  # wrong shapes beyond the automatic rank/empty mutations
    "logits": [np.zeros((N_INT, A + 1))],
    "logits_old": [np.zeros((N_INT + 1, A))],
    "logits_phi": [np.zeros((N_INT, A + 1))],
    "prm_logits": [np.zeros((N_INT, A + 1))],
    "r_outcome": [np.zeros(N + 1)],
    "R": [np.zeros(N - 1)],
}


def _idx():
    from unlearnlab.verifiers import tree_index

    return tree_index(A, H)


def _cfg(**kw):
    from unlearnlab.verifiers import OPRLConfig

    return OPRLConfig(G=4, prm_steps=2, steps=3, **kw)


def _state():
    from unlearnlab.verifiers import oprl_init

    return oprl_init(L1, _cfg())


def _bad(*names, **extra):
    out = {n: WRONG[n] for n in names}
    out.update(extra)
    return out


CASES = [
    Case(P + "tree_index", lambda: dict(A=A, H=H), bad={"A": [1, 0, 2**17], "H": [0, -1, 17]}),
    Case(
        P + "count_outcome",
        lambda: dict(idx=_idx(), action=0, min_count=1),
        bad={"action": [-1, A], "min_count": [-1, H + 1]},
    ),
    Case(P + "traj_logprob", lambda: dict(logits=L1, idx=_idx()), bad=_bad("logits")),
    Case(
        P + "sample_trajectories",
        lambda: dict(key=K, logits=L1, n=5, idx=_idx()),
        bad=_bad("logits", n=[0, -1]),
    ),
    Case(
        P + "expected_return",
        lambda: dict(logits=L1, r_outcome=R, idx=_idx()),
        bad=_bad("logits", "r_outcome"),
    ),
    Case(
        P + "node_values",
        lambda: dict(logits=L1, r_outcome=R, idx=_idx()),
        bad=_bad("logits", "r_outcome"),
    ),
    Case(
        P + "soft_values",
        lambda: dict(logits_old=L, R=R, beta=1.0, idx=_idx()),
        bad=_bad("logits_old", "R", **POS),
    ),
    Case(
        P + "optimal_prm_logits",
        lambda: dict(logits_old=L, R=R, beta=1.0, idx=_idx()),
        bad=_bad("logits_old", "R", **POS),
    ),
    Case(
        P + "step_rewards",
        lambda: dict(logits_phi=L1, logits_old=L, beta=1.0, idx=_idx()),
        bad=_bad("logits_phi", "logits_old", **POS),
    ),
    Case(
        P + "implicit_reward",
        lambda: dict(logits_phi=L1, logits_old=L, beta=1.0, idx=_idx()),
        bad=_bad("logits_phi", "logits_old", **POS),
    ),
    Case(
        P + "returns_to_go",
        lambda: dict(rewards=np.array([[1.0, 2.0], [0.0, 1.0]])),
        ok={"rewards": ("rank",)},
        bad={"rewards": [np.zeros((2, 0)), 1.0]},
    ),
    Case(
        P + "dpo_population_loss",
        lambda: dict(logits_phi=L1, logits_old=L, r_outcome=R, beta=1.0, kappa=0.5, idx=_idx()),
        bad=_bad("logits_phi", "logits_old", "r_outcome", **POS, **KAP),
    ),
    Case(
        P + "sample_preference_pairs",
        lambda: dict(key=K, logits_old=L, r_outcome=R, kappa=0.5, n_pairs=6, idx=_idx()),
        bad=_bad("logits_old", "r_outcome", **KAP, n_pairs=[0, -2]),
    ),
    Case(
        P + "dpo_sampled_loss",
        lambda: dict(
            logits_phi=L1,
            logits_old=L,
            pairs=np.array([[0, 1], [2, 3], [3, 0]]),
            labels=np.array([1.0, 0.0, 1.0]),
            beta=1.0,
            idx=_idx(),
        ),
        bad=_bad(
            "logits_phi",
            "logits_old",
            **POS,
            pairs=[np.array([[0, 1, 2]]), np.array([[0, N]])],
            labels=[np.array([1.0, 0.0]), np.array([1.0, 2.0, 0.0])],
        ),
    ),
    Case(
        P + "fit_prm",
        lambda: dict(logits0=L1, loss_fn=lambda x: (x**2).sum(), steps=3, lr=0.1),
        bad={"steps": [0, -1], "lr": [0.0, -0.1], "loss_fn": [None]},
    ),
    Case(
        P + "pg_moments",
        lambda: dict(logits=L1, returns_to_go=np.ones((N, H)), idx=_idx()),
        bad=_bad("logits", returns_to_go=[np.ones((N, H + 1))]),
    ),
    Case(
        P + "pg_mc_moments",
        lambda: dict(key=K, logits=L1, returns_to_go=np.ones((N, H)), n_samples=50, idx=_idx()),
        bad=_bad("logits", returns_to_go=[np.ones((N, H + 1))], n_samples=[1, 0]),
    ),
    Case(
        P + "oprl_gradient",
        lambda: dict(key=K, logits=L1, prm_logits=L, r_outcome=R, idx=_idx(), cfg=_cfg()),
        bad=_bad("logits", "prm_logits", "r_outcome"),
    ),
    Case(P + "oprl_init", lambda: dict(logits0=L1, cfg=_cfg())),
    Case(
        P + "oprl_step",
        lambda: dict(key=K, state=_state(), r_outcome=R, idx=_idx(), cfg=_cfg()),
        bad=_bad("r_outcome"),
    ),
    Case(
        P + "oprl_train",
        lambda: dict(key=K, logits0=L1, r_outcome=R, idx=_idx(), cfg=_cfg()),
        bad=_bad("r_outcome", logits0=[np.zeros((N_INT, A + 1))]),
    ),
]

EXEMPT = {
    P + "MAX_LEAVES": "constant (int), not a function",
    P + "TreeIndex": "NamedTuple type, not a function",
    P + "OPRLConfig": "frozen dataclass type (validated in __post_init__), not a function",
    P + "OPRLState": "NamedTuple type, not a function",
    P + "OPRLInfo": "NamedTuple type, not a function",
}
