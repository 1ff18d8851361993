"""UNEM: GEM unrolled into layers with learned per-layer hyper-parameters (Gaussian model).

Zhou et al. (2025), "UNEM: UNrolled generalized EM for transductive few-shot learning",
arXiv 2412.16739 (CVPR 2025). Layer ``l`` is one GEM sweep (:func:`unlearnlab.fewshot.gem.gem_layer`)
with its own ``lam_l = softplus(gamma_l)`` and ``T_l = 1 + softplus(t2_l)``; before the layers every
feature is scaled by ``s = softplus(t1)`` ("EMBT", equivalent to a shared isotropic variance
``1/s^2``). The official variant ``U_PADDLE_EMBT_L`` has ``L = 10`` layers: ``2L + 1 = 21`` scalars.

Training (official ``src/unroll_trainer.py``): ``n_tasks`` validation tasks sampled once,
full-batch Adam (lr 0.1, halved after 50 steps) for 100 steps. Two losses:

* ``"nll"`` (default): ``-(1/|Q|) sum_n log u_{n, y_n}``, the cross-entropy of the output
  assignments;
* ``"paper_code"``: what the official code optimises, ``CrossEntropyLoss(U, y)`` applied to the
  probabilities ``U`` *as logits*: ``(1/|Q|) sum_n [-u_{n,y_n} + log sum_k exp(u_nk)]``.

Symbols -> arguments: ``gamma_l, t1, t2_l`` -> :class:`UNEMParams`; ``L`` -> ``n_layers``; the rest
as in :mod:`unlearnlab.fewshot.gem`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from unlearnlab.fewshot.gem import (
    _check_hyper,
    _sq_dist,  # the one distance of the family
    gem_init,
    gem_m_step,
    gem_pi_step,
    gem_run,
    validate_task_arrays,
)
from unlearnlab.fewshot.tasks import Task
from unlearnlab.lab.checks import (
    check_array,
    check_in_range,
    check_index,
    check_int,
    check_positive,
    check_tree_finite,
    is_traced,
)


def check_task(task, n_classes: int, name: str = "task", *, batched: bool = False) -> int:
    """Boundary checks of a :class:`Task` (or a batch with a leading axis when ``batched``):
    finite leaves, support/query arrays as in :func:`validate_task_arrays`, ``y_q`` in
    ``[0, n_classes)``. Skipped for traced leaves. Returns ``n_classes``."""
    if not isinstance(task, Task):
        raise ValueError(f"`{name}` must be a Task; got {type(task).__name__}.")
    n_classes = check_int("n_classes", n_classes, min_value=1)
    check_tree_finite(name, task)
    if batched:
        if np.ndim(task.z_s) != 3 or np.shape(task.z_s)[0] < 1:
            raise ValueError(
                f"`{name}` must be a non-empty batch of tasks; got z_s {np.shape(task.z_s)}."
            )
        check_index(f"{name}.y_s", task.y_s, n_classes)
    else:
        validate_task_arrays(
            task.z_s,
            task.y_s,
            task.z_q,
            n_classes,
            names=(f"{name}.z_s", f"{name}.y_s", f"{name}.z_q"),
        )
    check_index(f"{name}.y_q", task.y_q, n_classes)
    return n_classes


__all__ = [
    "UNEMParams",
    "UNEMTrainConfig",
    "TrainInfo",
    "LOSSES",
    "unem_init_params",
    "unem_hyper",
    "unem_trace",
    "unem_forward",
    "unem_loss",
    "query_accuracy",
    "train_unem",
    "train_unem_on_tasks",
    "gem_accuracy",
    "grid_search_gem",
    "softplus_inv",
]

LOSSES = ("nll", "paper_code")


class UNEMParams(NamedTuple):
    """The learned hyper-parameters of UNEM (raw, before the softplus maps)."""

    t1: jax.Array  # () feature scale s = softplus(t1)
    gamma: jax.Array  # (L,) lam_l = softplus(gamma_l)
    t2: jax.Array  # (L,) T_l = 1 + softplus(t2_l)


@dataclasses.dataclass(frozen=True)
class UNEMTrainConfig:
    """Training set-up; defaults are the official code's (``unroll_trainer.py``)."""

    n_layers: int = 10
    n_tasks: int = 1000
    steps: int = 100
    lr: float = 0.1
    lr_drop_step: int = 50
    lr_drop_factor: float = 0.5
    loss: str = "nll"

    def __post_init__(self):
        check_int("n_layers", self.n_layers, min_value=1)
        check_int("n_tasks", self.n_tasks, min_value=1)
        check_int("steps", self.steps, min_value=1)
        check_positive("lr", self.lr)
        check_int("lr_drop_step", self.lr_drop_step, min_value=0)
        check_positive("lr_drop_factor", self.lr_drop_factor)
        if self.loss not in LOSSES:
            raise ValueError(f"`loss` must be one of {LOSSES}; got {self.loss!r}.")


class TrainInfo(NamedTuple):
    """Diagnostics of :func:`train_unem_on_tasks` (its second return value).

    Attributes:
      loss: ``(steps,)`` mean training loss before each Adam step
    """

    loss: jax.Array  # (steps,) mean training loss before each Adam step


def softplus_inv(y):
    """Inverse of ``softplus``: ``log(expm1(y))`` for ``y > 0``.

    Raises:
      ValueError: ``y`` not finite and > 0 (concrete inputs only).
    """
    check_in_range("y", y, lo=0.0, lo_open=True)
    y = jnp.asarray(y, dtype=jnp.result_type(float))
    return y + jnp.log(-jnp.expm1(-y))


def unem_init_params(n_layers: int = 10, *, gamma=1.0, t1=1.0, t2=1.0) -> UNEMParams:
    """Official initial values ``gamma = t1 = t2 = 1`` (``lam ~ 1.313``, ``T ~ 2.313``, ``s ~ 1.313``).

    Raises:
      ValueError: ``n_layers`` < 1; ``gamma``, ``t1`` or ``t2`` not a finite scalar.
    """
    n_layers = check_int("n_layers", n_layers, min_value=1)
    for name, v in (("gamma", gamma), ("t1", t1), ("t2", t2)):
        check_array(name, v, ndim=0)
    f = jnp.result_type(float)
    return UNEMParams(
        jnp.asarray(t1, f), jnp.full((n_layers,), gamma, f), jnp.full((n_layers,), t2, f)
    )


def unem_hyper(params: UNEMParams):
    """``(s, lam (L,), T (L,))`` from the raw parameters.

    Raises:
      ValueError: ``params`` not a :class:`UNEMParams` of finite leaves (concrete leaves only).
    """
    _validate_params(params)
    return (
        jax.nn.softplus(params.t1),
        jax.nn.softplus(params.gamma),
        1.0 + jax.nn.softplus(params.t2),
    )


def _validate_params(params, name="params", n_layers=None):
    if not isinstance(params, UNEMParams):
        raise ValueError(f"`{name}` must be a UNEMParams; got {type(params).__name__}.")
    check_array(f"{name}.t1", params.t1, ndim=0)
    check_array(f"{name}.gamma", params.gamma, ndim=1)
    check_array(f"{name}.t2", params.t2, ndim=1)
    if np.shape(params.gamma) != np.shape(params.t2):
        raise ValueError(
            f"`{name}.gamma` and `{name}.t2` must have the same shape (L,); got "
            f"{np.shape(params.gamma)} and {np.shape(params.t2)}."
        )
    if n_layers is not None and np.shape(params.gamma) != (n_layers,):
        raise ValueError(
            f"`{name}` must have L = {n_layers} layers (config.n_layers); got {np.shape(params.gamma)}."
        )


def _unem_scan(params, z_s, y_s, z_q, n_classes):
    s, lam, T = unem_hyper(params)
    dtype = jnp.result_type(z_s.dtype, z_q.dtype, s.dtype)
    z_s, z_q = s * z_s.astype(dtype), s * z_q.astype(dtype)
    y1 = jax.nn.one_hot(y_s, n_classes, dtype=dtype)
    state = gem_init(z_s, y_s, n_classes)
    state = state._replace(u=jnp.full((z_q.shape[0], n_classes), 1.0 / n_classes, dtype))

    def layer(st, hyp):
        lam_l, T_l = hyp
        log_u = jax.nn.log_softmax((-_sq_dist(z_q, st.w) + lam_l * st.log_pi) / T_l, axis=-1)
        st = st._replace(u=jnp.exp(log_u))
        st = gem_m_step(gem_pi_step(st), z_s, y1, z_q)
        return st, (st, log_u)

    # layer 1 outside the scan: the carry then depends on the data (stable carry types under a
    # sharded/varying map such as run_seeds)
    state, first = layer(state, (lam[0], T[0]))
    final, rest = lax.scan(layer, state, (lam[1:], T[1:]))
    states, log_u = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, rest)
    return final, states, log_u


def unem_trace(params: UNEMParams, z_s, y_s, z_q, n_classes: int):
    """UNEM forward pass with every layer's state.

    Returns:
      ``(u, states)``: ``u (n_q, K)`` the output assignments ``u^(L)``, and a :class:`GEMState`
      whose leaves carry a leading layer axis ``L`` (centroids in the scaled feature space).
    """
    n_classes = validate_task_arrays(z_s, y_s, z_q, n_classes)
    _validate_params(params)
    final, states, _ = _unem_scan(params, jnp.asarray(z_s), y_s, jnp.asarray(z_q), n_classes)
    return final.u, states


def unem_forward(params: UNEMParams, z_s, y_s, z_q, n_classes: int):
    """UNEM forward pass: ``u^(L)``, shape ``(n_q, K)`` (rows on the simplex).

    Args:
      params: :class:`UNEMParams` with ``L`` layers.
      z_s: ``(n_s, d)`` support features; ``y_s``: ``(n_s,)`` labels, every class present.
      z_q: ``(n_q, d)`` query features.
      n_classes: ``K`` (static under jit).

    References:
      Zhou et al. (2025), arXiv 2412.16739; official ``U_PADDLE_EMBT_L`` (lab spec Sec. 2.1-2.2).
    """
    return unem_trace(params, z_s, y_s, z_q, n_classes)[0]


def _loss_from_log_u(log_u, y_q, kind):
    if kind == "nll":
        return -jnp.mean(jnp.take_along_axis(log_u, y_q[:, None], axis=1))
    u = jnp.exp(log_u)
    u_y = jnp.take_along_axis(u, y_q[:, None], axis=1)[:, 0]
    return jnp.mean(jax.nn.logsumexp(u, axis=1) - u_y)


def unem_loss(params: UNEMParams, task: Task, n_classes: int, *, kind: str = "nll"):
    """Training loss of one task: ``"nll"`` or ``"paper_code"`` (see the module docstring).

    Raises:
      ValueError: unknown ``kind``; malformed ``params`` or ``task``; ``n_classes`` < 1 (concrete
        inputs only; trusted inside the training scan).
    """
    if kind not in LOSSES:
        raise ValueError(f"`kind` must be one of {LOSSES}; got {kind!r}.")
    _validate_params(params)
    check_task(task, n_classes)
    _, _, log_u = _unem_scan(params, task.z_s, task.y_s, task.z_q, n_classes)
    return _loss_from_log_u(log_u[-1], task.y_q, kind)


def query_accuracy(u, y_q):
    """Fraction of query points with ``argmax_k u_nk = y_n``.

    Raises:
      ValueError: ``u`` not a finite non-empty (n_q, K) array; ``y_q`` not (n_q,) integers in
        [0, K) (concrete inputs only).
    """
    if not is_traced(u):
        check_array("u", u, ndim=2)
        if np.shape(u)[0] < 1:
            raise ValueError(f"`u` must hold at least one query point; got {np.shape(u)}.")
        check_array("y_q", y_q, ndim=1, finite=False)
        if np.shape(y_q) != np.shape(u)[:1]:
            raise ValueError(f"`y_q` must have shape ({np.shape(u)[0]},); got {np.shape(y_q)}.")
        check_index("y_q", y_q, np.shape(u)[1])
    return jnp.mean(jnp.argmax(u, axis=-1) == y_q)


def train_unem_on_tasks(tasks: Task, n_classes: int, config: UNEMTrainConfig, params0=None):
    """Full-batch Adam on a fixed batch of tasks (leading axis ``n``) inside ``lax.scan``.

    Returns:
      ``(params, TrainInfo)``.

    Raises:
      ValueError: ``config`` not a :class:`UNEMTrainConfig`; ``tasks`` not a finite batch of tasks
        with labels in [0, ``n_classes``); ``params0`` not finite ``UNEMParams`` with
        ``config.n_layers`` layers.
    """
    if not isinstance(config, UNEMTrainConfig):
        raise ValueError(f"`config` must be a UNEMTrainConfig; got {type(config).__name__}.")
    check_task(tasks, n_classes, "tasks", batched=True)
    if params0 is not None:
        _validate_params(params0, "params0", config.n_layers)
        check_tree_finite("params0", params0)
    params = unem_init_params(config.n_layers) if params0 is None else params0
    sched = optax.piecewise_constant_schedule(
        config.lr, {config.lr_drop_step: config.lr_drop_factor}
    )
    opt = optax.adam(sched)

    def batch_loss(p):
        return jnp.mean(jax.vmap(lambda t: unem_loss(p, t, n_classes, kind=config.loss))(tasks))

    def step(carry, _):
        p, o = carry
        loss, g = jax.value_and_grad(batch_loss)(p)
        upd, o = opt.update(g, o, p)
        return (optax.apply_updates(p, upd), o), loss

    (params, _), losses = lax.scan(step, (params, opt.init(params)), None, length=config.steps)
    return params, TrainInfo(losses)


def train_unem(
    key, task_sampler: Callable[[jax.Array], Task], n_classes: int, config: UNEMTrainConfig
):
    """Learn UNEM's per-layer hyper-parameters on ``config.n_tasks`` tasks sampled once.

    Args:
      key: PRNG key for the tasks.
      task_sampler: a pure ``key -> Task`` function (e.g. ``partial(sample_task, spec=spec)``);
        static under jit.
      n_classes: ``K``.
      config: :class:`UNEMTrainConfig`.

    Returns:
      ``(params, TrainInfo)``; ``TrainInfo.loss (steps,)``.

    References:
      Official ``UNEM_Gaussian/src/unroll_trainer.py`` (1000 tasks, 100 full-batch Adam steps).
    """
    n_classes = check_int("n_classes", n_classes, min_value=1)
    if not isinstance(config, UNEMTrainConfig):
        raise ValueError(f"`config` must be a UNEMTrainConfig; got {type(config).__name__}.")
    tasks = jax.vmap(task_sampler)(jax.random.split(key, config.n_tasks))
    return train_unem_on_tasks(tasks, n_classes, config)


def gem_accuracy(task: Task, n_classes: int, lam, T, n_iter: int):
    """Query accuracy of fixed-hyper-parameter GEM on one task.

    Raises:
      ValueError: malformed ``task`` (NaN/inf, labels out of range); as :func:`gem_run` otherwise;
        and, for concrete inputs, when GEM's query responsibilities ``u`` come out NaN/inf (the
        accuracy would be meaningless).
    """
    if not is_traced(task.z_s):
        check_task(task, n_classes)
    # the checks of gem_run, eagerly, then one compiled program (op by op: ~60 programs)
    n_classes = validate_task_arrays(task.z_s, task.y_s, task.z_q, n_classes)
    n_iter = check_int("n_iter", n_iter, min_value=1)
    _check_hyper(lam, T)
    acc, finite = _gem_accuracy(task.z_s, task.y_s, task.z_q, task.y_q, lam, T, n_classes, n_iter)
    if not is_traced(finite) and not bool(finite):
        raise ValueError(
            "`u` (GEM's query responsibilities) holds NaN/inf for this task and (lam, T); "
            "the accuracy is undefined."
        )
    return acc


@partial(jax.jit, static_argnums=(6, 7))
def _gem_accuracy(z_s, y_s, z_q, y_q, lam, T, n_classes, n_iter):
    st = gem_run(z_s, y_s, z_q, n_classes, lam, T, n_iter)
    return query_accuracy(st.u, y_q), jnp.all(jnp.isfinite(st.u))


def grid_search_gem(tasks: Task, lam_grid, T_grid, n_iter: int, n_classes: int):
    """Best fixed ``(lam, T)`` of GEM by mean query accuracy over a batch of tasks.

    The grid is evaluated with ``lax.map`` over grid points (memory: one grid point at a time) and
    ``vmap`` over tasks. Ties go to the first grid point in row-major ``(lam, T)`` order.

    Args:
      tasks: a :class:`Task` batch (leading axis ``n``).
      lam_grid: ``(G_lam,)`` values ``>= 0``; T_grid: ``(G_T,)`` values ``> 0``.
      n_iter: GEM layers; n_classes: ``K``.

    Returns:
      ``(best_lam, best_T, acc)`` with ``acc (G_lam, G_T)`` the mean accuracy of each grid point.

    Raises:
      ValueError: ``tasks`` not a finite batch of tasks with labels in [0, ``n_classes``); an empty
        or negative ``lam_grid``; an empty or non-positive ``T_grid``; ``n_iter`` < 1.
    """
    check_task(tasks, n_classes, "tasks", batched=True)
    check_int("n_iter", n_iter, min_value=1)
    for name, g in (("lam_grid", lam_grid), ("T_grid", T_grid)):
        if np.size(g) == 0:
            raise ValueError(f"`{name}` must hold at least one value.")
    lam_grid = jnp.asarray(check_array("lam_grid", lam_grid, ndim=1))
    T_grid = jnp.asarray(check_array("T_grid", T_grid, ndim=1))
    if not is_traced(lam_grid) and np.any(np.asarray(lam_grid) < 0):
        raise ValueError("`lam_grid` values must be >= 0.")
    if not is_traced(T_grid) and np.any(np.asarray(T_grid) <= 0):
        raise ValueError("`T_grid` values must be > 0.")
    L, G = jnp.meshgrid(lam_grid, T_grid, indexing="ij")

    def one(hyp):
        lam, T = hyp
        return jnp.mean(jax.vmap(lambda t: gem_accuracy(t, n_classes, lam, T, n_iter))(tasks))

    acc = lax.map(one, (L.ravel(), G.ravel())).reshape(L.shape)
    i = jnp.argmax(acc.ravel())
    return L.ravel()[i], G.ravel()[i], acc
