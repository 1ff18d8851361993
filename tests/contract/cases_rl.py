"""Contract cases for unlearnlab.rl (linear MDPs, visitations, design, bounds, FTPedel)."""

import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.rl."
K0 = jax.random.PRNGKey(0)
EPS, DELTA = 0.25, 0.1
PROB = [0.0, 1.0, -0.1]
# denom = inf is documented: it makes a target free (no constraint)
DENOM_INF_OK = {"denom": ("inf",)}
NONNEG = [-1.0]
POS = [0.0, -1.0]
NOISE = ["nope"]
# small solver settings: the contract checks inputs, not the solver's accuracy
SOLVE = dict(n_iter=20)


def _mdp():
    from unlearnlab.rl import rare_context

    return rare_context(0.1)  # H = 1, S = 2, A = 2, d = 4


def _mdp2():
    from unlearnlab.rl import rare_context

    return rare_context(0.1, dummy_step=True)  # H = 2, S = 3, A = 2, d = 4


def _pis():
    from unlearnlab.rl import enumerate_policies

    return np.asarray(enumerate_policies(_mdp()))  # [4, 1, 2]


def _n_sa():
    from unlearnlab.rl import rare_context_offline_counts

    return rare_context_offline_counts(20.0)


def _offline():
    from unlearnlab.rl import make_offline_data

    return make_offline_data(K0, _mdp(), _n_sa())


def _cov_off():
    from unlearnlab.rl import covariate_cov

    return np.asarray(covariate_cov(_mdp(), _n_sa()))  # [1, 4, 4]


def _consts(**kw):
    from unlearnlab.rl import FTPedelConsts

    return FTPedelConsts(**{"n_iter": 20, "n_bisect": 8, **kw})


def _bad_consts():
    return [_consts(c0=-1.0), _consts(n_iter=0), _consts(lam=0.0)]


def _design():
    X = np.eye(3)
    return dict(
        cov_exp=np.einsum("id,ie->ide", X, X),
        cov_off=0.5 * np.eye(3),
        targets=np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]),
        denom=np.array([0.5, 1.0]),
    )


def _design_bad():
    return {
        "cov_off": [-np.eye(3), np.triu(np.ones((3, 3)))],
        "denom": [np.array([0.0, 1.0]), np.ones(3)],
        "targets": [np.ones((2, 2))],
    }


def _step_state():
    from unlearnlab.rl import ftpedel_init

    return ftpedel_init(_mdp(), _pis())


def _occ_all():
    from unlearnlab.rl import occupancy

    return np.stack([np.asarray(occupancy(_mdp(), p)) for p in _pis()])


UNIFORM_PI = np.full((1, 2, 2), 0.5)

CASES = [
    # ---- linear MDPs and data
    Case(P + "transition", lambda: dict(mdp=_mdp())),
    Case(P + "mean_reward", lambda: dict(mdp=_mdp())),
    Case(P + "enumerate_policies", lambda: dict(mdp=_mdp())),
    Case(P + "empty_offline", lambda: dict(mdp=_mdp())),
    Case(
        P + "make_offline_data",
        lambda: dict(key=K0, mdp=_mdp(), n_sa=_n_sa(), reward_noise="bernoulli"),
        bad={"n_sa": [-_n_sa(), np.ones((1, 2, 3))], "reward_noise": NOISE},
    ),
    Case(
        P + "behavior_counts",
        lambda: dict(key=K0, behavior_occ=np.full((1, 2, 2), 0.25), n=10),
        bad={
            "behavior_occ": [np.full((1, 2, 2), 0.5), -np.full((1, 2, 2), 0.25)],
            "n": [-1, 2.5, float("nan")],
        },
    ),
    Case(
        P + "offline_cov",
        lambda: dict(mdp=_mdp(), data=_offline()),
    ),
    Case(
        P + "sample_step_data",
        lambda: dict(
            key=K0, mdp=_mdp(), h=0, occ_h=np.full((2, 2), 0.25), T=10.0, reward_noise="gaussian"
        ),
        bad={
            "h": [1, -1],
            "occ_h": [np.full((2, 2), 0.5), np.full((2, 3), 1 / 6)],
            "T": [-1.0, 2.5],
            "reward_noise": NOISE,
        },
    ),
    Case(P + "rare_context", lambda: dict(p=0.1, dummy_step=False), bad={"p": PROB}),
    Case(
        P + "rare_context_offline_counts",
        lambda: dict(N=20.0, dummy_step=True),
        bad={"N": NONNEG},
    ),
    Case(
        P + "separation_bandit",
        lambda: dict(d=3, Delta=0.1),
        bad={"d": [1, 0, 2.5], "Delta": [0.0, 0.6]},
    ),
    Case(
        P + "random_small_tabular",
        lambda: dict(key=K0, S=2, A=2, H=2),
        bad={"S": [0, -1], "A": [0, 1.5], "H": [0]},
    ),
    Case(
        P + "soft_aggregation_mdp",
        lambda: dict(key=K0, S=2, A=2, H=2, d=3),
        bad={"S": [0], "A": [0], "H": [0], "d": [0, 2.5]},
    ),
    # ---- visitations and values
    Case(
        P + "occupancy",
        lambda: dict(mdp=_mdp(), pi=UNIFORM_PI),
        bad={"pi": [np.array([[0, 2]]), np.zeros((2, 2), int), np.full((1, 2, 2), 0.6)]},
    ),
    Case(
        P + "visitation",
        lambda: dict(mdp=_mdp(), pi=UNIFORM_PI),
        bad={"pi": [np.array([[0, 2]]), np.full((1, 2, 2), 0.6)]},
    ),
    Case(P + "values", lambda: dict(mdp=_mdp(), pis=_pis())),
    Case(P + "values_dp", lambda: dict(mdp=_mdp(), pis=_pis())),
    Case(
        P + "transfer_operator",
        lambda: dict(mdp=_mdp2(), pi=np.zeros((2, 3), int), h=0),
        bad={"h": [1, -1, 2], "pi": [np.zeros((1, 3), int)]},
    ),
    Case(
        P + "estimate_visitations",
        lambda: dict(
            counts=np.asarray(_offline().counts),
            rsum=np.asarray(_offline().rsum),
            phi=np.asarray(_mdp().phi),
            rho0=np.asarray(_mdp().rho0),
            pis=_pis(),
            lam=0.25,
        ),
        bad={
            "lam": NONNEG,
            "counts": [-np.asarray(_offline().counts)],
            "rho0": [np.array([0.5, 0.6])],
            "rsum": [np.zeros((1, 2, 3))],
        },
    ),
    # ---- experiment design
    Case(
        P + "design_value",
        lambda: dict(w=np.full(3, 1 / 3), T=10.0, **_design(), reg=1e-9, mask=np.ones(2, bool)),
        bad={
            "w": [np.full(3, 0.5), np.full(2, 0.5)],
            "T": NONNEG,
            "reg": NONNEG,
            "mask": [np.ones(3, bool)],
            **_design_bad(),
        },
        ok=DENOM_INF_OK,
    ),
    Case(
        P + "solve_design",
        lambda: dict(
            T=10.0,
            **_design(),
            mask=np.ones(2, bool),
            n_iter=20,
            reg=1e-9,
            smooth_eta=1000.0,
            w0=np.full(3, 1 / 3),
        ),
        bad={
            "T": NONNEG,
            "n_iter": [0],
            "reg": NONNEG,
            "smooth_eta": POS,
            "w0": [np.full(3, 0.5), np.full(2, 0.5)],
            **_design_bad(),
        },
        ok=DENOM_INF_OK,
    ),
    Case(
        P + "min_online_budget",
        lambda: dict(
            **_design(),
            mask=np.ones(2, bool),
            level=1.0,
            T_min=1e-6,
            T_max=1e6,
            n_bisect=8,
            n_iter=20,
            reg=1e-9,
            smooth_eta=1000.0,
        ),
        bad={
            "level": POS,
            "T_min": POS,
            "T_max": [0.0, 1e-7],
            "n_bisect": [0],
            "n_iter": [0],
            "reg": NONNEG,
            "smooth_eta": POS,
            **_design_bad(),
        },
        ok=DENOM_INF_OK,
    ),
    # ---- bounds
    Case(
        P + "gaps",
        lambda: dict(V=np.array([0.5, 0.3, 0.1]), gap_tol=1e-12),
        bad={"gap_tol": NONNEG},
    ),
    Case(P + "policy_visitations", lambda: dict(mdp=_mdp(), pis=_pis())),
    Case(
        P + "o2o_complexity",
        lambda: dict(
            mdp=_mdp(),
            pis=_pis(),
            cov_off=_cov_off(),
            eps=EPS,
            form="abs",
            reduce="max",
            level=1.0,
            reg=1e-9,
            gap_tol=1e-12,
            T_max=1e8,
            n_bisect=8,
            n_iter=20,
        ),
        bad={
            "cov_off": [-_cov_off(), np.zeros((1, 3, 3))],
            "eps": PROB,
            "form": ["nope"],
            "reduce": ["nope"],
            "level": POS,
            "reg": NONNEG,
            "gap_tol": NONNEG,
            "T_max": POS,
            "n_bisect": [0],
            "n_iter": [0],
        },
    ),
    Case(
        P + "o2o_coefficient",
        lambda: dict(
            mdp=_mdp(),
            pis=_pis(),
            cov_off=_cov_off(),
            eps=EPS,
            T=100.0,
            form="diff",
            reg=1e-9,
            gap_tol=1e-12,
            n_iter=20,
        ),
        bad={
            "cov_off": [-_cov_off()],
            "eps": PROB,
            "T": POS,
            "form": ["nope"],
            "reg": NONNEG,
            "gap_tol": NONNEG,
            "n_iter": [0],
        },
    ),
    Case(
        P + "bandit_lower_bound",
        lambda: dict(
            X=np.eye(3),
            Z=np.eye(3),
            theta=np.array([0.6, 0.5, 0.4]),
            cov_off=np.eye(3),
            delta=DELTA,
            eps=0.01,
            cov_exp=None,
            reg=1e-12,
            n_bisect=8,
            n_iter=20,
            T_max=1e8,
        ),
        bad={
            "Z": [np.eye(2)],
            "theta": [np.ones(2)],
            "cov_off": [-np.eye(3)],
            "delta": PROB,
            "eps": [-0.1, 0.2],
            "cov_exp": [np.ones((2, 2, 2))],
            "reg": NONNEG,
            "n_bisect": [0],
            "n_iter": [0],
            "T_max": POS,
        },
    ),
    Case(
        P + "ftpedel_upper_bound",
        lambda: dict(
            mdp=_mdp(),
            pis=_pis(),
            cov_off=_cov_off(),
            eps=EPS,
            delta=DELTA,
            consts=_consts(),
            eta=0.25,
            n_active=None,
        ),
        bad={
            "cov_off": [-_cov_off(), np.zeros((1, 3, 3))],
            "eps": PROB,
            "delta": PROB,
            "consts": _bad_consts(),
            "eta": NONNEG,
        },
    ),
    # ---- FTPedel
    Case(P + "n_epochs", lambda: dict(eps=EPS), bad={"eps": PROB}),
    Case(P + "ftpedel_init", lambda: dict(mdp=_mdp(), pis=_pis())),
    Case(
        P + "ftpedel_step",
        lambda: dict(
            key=K0,
            state=_step_state(),
            mdp=_mdp(),
            offline=_offline(),
            pis=_pis(),
            occ_all=_occ_all(),
            eps=EPS,
            delta=DELTA,
            consts=_consts(),
            reward_noise="bernoulli",
            level_scale=1.0,
        ),
        bad={
            "occ_all": [2 * _occ_all(), _occ_all()[:2]],
            "eps": PROB,
            "delta": PROB,
            "consts": _bad_consts(),
            "reward_noise": NOISE,
            "level_scale": POS,
        },
    ),
    Case(
        P + "ftpedel_run",
        lambda: dict(
            key=K0,
            mdp=_mdp(),
            offline=_offline(),
            pis=_pis(),
            eps=EPS,
            delta=DELTA,
            design="oracle",
            consts=_consts(),
            reward_noise="bernoulli",
            max_epochs=2,
            level_scale=1.0,
        ),
        bad={
            "eps": PROB,
            "delta": PROB,
            "design": ["adaptive"],
            "consts": _bad_consts(),
            "reward_noise": NOISE,
            "max_epochs": [0, 1],
            "level_scale": POS,
        },
    ),
    Case(
        P + "pedel_run",
        lambda: dict(
            key=K0, mdp=_mdp(), pis=_pis(), eps=EPS, delta=DELTA, consts=_consts(), max_epochs=2
        ),
        bad={"eps": PROB, "delta": PROB, "consts": _bad_consts(), "max_epochs": [0]},
    ),
    Case(
        P + "lcb_policy",
        lambda: dict(mdp=_mdp(), offline=_offline(), pis=_pis(), delta=DELTA, lam=0.25),
        bad={"delta": PROB, "lam": POS},
    ),
]
EXEMPT = exempt_non_functions("unlearnlab.rl")
