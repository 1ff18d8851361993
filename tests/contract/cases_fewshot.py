"""Contract cases for unlearnlab.fewshot (GEM, UNEM, UNEM-Dirichlet, task samplers, bounds)."""

import functools

import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.fewshot."
K = jax.random.PRNGKey(0)
NC = 3  # classes
RNG = np.random.default_rng(0)
ZS = RNG.normal(size=(6, 4))
YS = np.array([0, 0, 1, 1, 2, 2])
ZQ = RNG.normal(size=(5, 4))
YQ = np.array([0, 1, 2, 1, 0])
Y1 = np.eye(NC)[YS]
XS = RNG.normal(size=(6, NC))  # logits (UNEM-Dirichlet: feature dimension = K)
XQ = RNG.normal(size=(5, NC))
HYP = {"lam": [-1.0], "T": [0.0, -1.0]}
SIZES = {"n_classes": [0, -1], "n_iter": [0, -1]}
WRONG_Y = {"y_s": [np.array([0, 0, 1, 1, 1, 1]), np.array([0, 0, 1, 1, 2, 3])]}


def _spec(**kw):
    from unlearnlab.fewshot import TaskSpec

    return TaskSpec(n_classes=NC, k_eff=2, shot=2, n_query=5, dim=4, **kw)


def _task():
    from unlearnlab.fewshot import sample_task

    return sample_task(K, _spec())


def _tasks():
    from unlearnlab.fewshot import sample_task

    return jax.vmap(lambda k: sample_task(k, _spec()))(jax.random.split(K, 2))


def _state():
    from unlearnlab.fewshot import gem_run

    return gem_run(ZS, YS, ZQ, NC, 1.0, 1.0, 2)


def _params(L=2):
    from unlearnlab.fewshot import unem_init_params

    return unem_init_params(L)


def _cfg():
    from unlearnlab.fewshot import UNEMTrainConfig

    return UNEMTrainConfig(n_layers=2, n_tasks=2, steps=2, lr_drop_step=1)


def _pool():
    return RNG.normal(size=(4, 8, 3))


def _sampler():
    from unlearnlab.fewshot import sample_task

    return functools.partial(sample_task, spec=_spec())


def _gem_args(**kw):
    return dict(z_s=ZS, y_s=YS, z_q=ZQ, n_classes=NC, lam=1.0, T=1.0, **kw)


CASES = [
    Case(
        P + "noise_scales", lambda: dict(dim=4, noise="aniso"), bad={"dim": [0, -1], "noise": ["x"]}
    ),
    Case(P + "sample_task", lambda: dict(key=K, spec=_spec()), bad={"spec": ["x", None]}),
    Case(
        P + "sample_task_from_pool",
        lambda: dict(key=K, z_pool=_pool(), spec=_spec()),
        bad={"z_pool": [RNG.normal(size=(2, 8, 3)), RNG.normal(size=(4, 5, 3))], "spec": ["x"]},
    ),
    Case(
        P + "pool_by_class",
        lambda: dict(z=RNG.normal(size=(6, 3)), y=YS),
        bad={"y": [YS[:4]]},
        ok={"y": ("oob", "neg")},  # labels are arbitrary class ids (the sorted distinct values)
    ),
    Case(
        P + "bayes_oracle_accuracy", lambda: dict(task=_task(), spec=_spec()), bad={"spec": ["x"]}
    ),
    Case(
        P + "multinomial_l1_error",
        lambda: dict(p=np.array([0.2, 0.3, 0.5]), n_query=10),
        bad={"p": [np.array([0.2, 0.3, 0.6])], "n_query": [0, -1, np.array([10, 0])]},
    ),
    Case(
        P + "multinomial_l1_error_dirichlet",
        lambda: dict(n_classes=3, n_query=np.array([5.0, 10.0])),
        bad={"n_classes": [1, 0], "n_query": [0, -1]},
        ok={"n_query": ("rank", "empty")},  # elementwise in n_query: any shape
    ),
    Case(
        P + "gem_init",
        lambda: dict(z_s=ZS, y_s=YS, n_classes=NC),
        bad={"n_classes": [0, -1], **WRONG_Y},
    ),
    Case(P + "gem_e_step", lambda: dict(state=_state(), z_q=ZQ, lam=1.0, T=1.0), bad=HYP),
    Case(P + "gem_pi_step", lambda: dict(state=_state())),
    Case(P + "gem_m_step", lambda: dict(state=_state(), z_s=ZS, y_s_onehot=Y1, z_q=ZQ)),
    Case(
        P + "gem_layer",
        lambda: dict(state=_state(), z_s=ZS, y_s_onehot=Y1, z_q=ZQ, lam=1.0, T=1.0),
        bad=HYP,
    ),
    Case(
        P + "gem_objective",
        lambda: dict(state=_state(), z_s=ZS, y_s_onehot=Y1, z_q=ZQ, lam=1.0, T=1.0),
        bad=HYP,
    ),
    Case(P + "gem_trace", lambda: _gem_args(n_iter=2), bad={**HYP, **SIZES, **WRONG_Y}),
    Case(P + "gem_run", lambda: _gem_args(n_iter=2), bad={**HYP, **SIZES, **WRONG_Y}),
    Case(
        P + "gem_accuracy",
        lambda: dict(task=_task(), n_classes=NC, lam=1.0, T=1.0, n_iter=2),
        bad={**HYP, **SIZES},
    ),
    Case(
        P + "grid_search_gem",
        lambda: dict(
            tasks=_tasks(),
            lam_grid=np.array([0.5, 1.0]),
            T_grid=np.array([1.0]),
            n_iter=2,
            n_classes=NC,
        ),
        bad={"lam_grid": [np.array([-1.0])], "T_grid": [np.array([0.0])], **SIZES},
    ),
    Case(
        P + "query_accuracy",
        lambda: dict(u=np.full((5, NC), 1.0 / NC), y_q=YQ),
        bad={"u": [np.full((4, NC), 1.0 / NC)]},
    ),
    Case(
        P + "softplus_inv",
        lambda: dict(y=np.array([0.5, 1.0])),
        bad={"y": [np.array([0.0, 1.0]), np.array([-1.0])]},
        ok={"y": ("rank", "empty")},  # elementwise: any shape
    ),
    Case(
        P + "unem_init_params",
        lambda: dict(n_layers=2, gamma=1.0, t1=1.0, t2=1.0),
        bad={"n_layers": [0, -1]},
    ),
    Case(P + "unem_hyper", lambda: dict(params=_params())),
    Case(
        P + "unem_forward",
        lambda: dict(params=_params(), z_s=ZS, y_s=YS, z_q=ZQ, n_classes=NC),
        bad={"n_classes": [0, -1], **WRONG_Y},
    ),
    Case(
        P + "unem_trace",
        lambda: dict(params=_params(), z_s=ZS, y_s=YS, z_q=ZQ, n_classes=NC),
        bad={"n_classes": [0, -1], **WRONG_Y},
    ),
    Case(
        P + "unem_loss",
        lambda: dict(params=_params(), task=_task(), n_classes=NC, kind="nll"),
        bad={"n_classes": [0, -1], "kind": ["x"]},
    ),
    Case(
        P + "train_unem_on_tasks",
        lambda: dict(tasks=_tasks(), n_classes=NC, config=_cfg(), params0=None),
        bad={"n_classes": [0, -1], "config": ["x"], "params0": [_params(3)]},
    ),
    Case(
        P + "train_unem",
        lambda: dict(key=K, task_sampler=_sampler(), n_classes=NC, config=_cfg()),
        bad={"n_classes": [0, -1], "config": ["x"]},
    ),
    Case(
        P + "dirichlet_nll",
        lambda: dict(alpha=np.array([1.5, 2.0, 0.7]), mean_log_x=np.array([-1.0, -1.2, -0.9])),
        bad={"alpha": [np.array([0.0, 2.0, 0.7])], "mean_log_x": [np.array([-1.0, -1.2])]},
    ),
    Case(
        P + "dirichlet_mle_mm",
        lambda: dict(alpha0=np.ones(3), mean_log_x=np.array([-1.0, -1.2, -0.9]), n_iter=3),
        bad={
            "alpha0": [np.array([0.0, 1.0, 1.0])],
            "mean_log_x": [np.array([-1.0, -1.2])],
            "n_iter": [0, -1],
        },
    ),
    Case(
        P + "dirichlet_init_params",
        lambda: dict(n_layers=2, n_classes=NC, k_eff=2, tau=30.0),
        bad={
            "n_layers": [0, -1],
            "n_classes": [0, -1],
            "k_eff": [0, -1, NC + 1],
            "tau": [0.0, -1.0],
        },
    ),
    Case(
        P + "unem_dirichlet_forward",
        lambda: dict(params=_params(), x_s=XS, y_s=YS, x_q=XQ, n_classes=NC, n_mm=3),
        bad={"n_classes": [0, -1], "n_mm": [0, -1], "x_s": [RNG.normal(size=(6, NC + 1))]},
    ),
]
EXEMPT = exempt_non_functions("unlearnlab.fewshot")
