"""Task samplers for the realistic transductive few-shot protocol (PADDLE / UNEM).

One task (Martin et al., 2022, PADDLE; Zhou et al., 2025, UNEM, arXiv 2412.16739, Sec. 5 of the
lab spec): the support holds ``shot`` labelled points of *every* one of ``K`` classes; the query
holds ``n_query`` unlabelled points drawn from only ``k_eff <= K`` of those classes, with imbalanced
proportions ``p ~ Dir(alpha 1_{k_eff})``.

Two samplers, both for one task (``vmap`` over keys for a batch) with static shapes:

* :func:`sample_task`: synthetic Gaussian-mean classes, ``mu_k ~ N(0, sep^2 I_d)``, with isotropic,
  anisotropic (fixed diagonal covariance) or heavy-tailed (Student-t, 3 dof) noise of unit mean
  variance per coordinate;
* :func:`sample_task_from_pool`: tasks drawn from a per-class pool of real features (e.g. the
  penultimate features of a trained network), the support and query never sharing a point.

Query proportions (``TaskSpec.query_sampling``):

* ``"dirichlet"``: ``p ~ Dir(alpha)``, turned into integer counts summing to ``n_query`` by
  largest-remainder rounding (the official code's ``convert_prob_to_samples`` rounds differently;
  the lab's choice keeps the counts within one of ``p * n_query``);
* ``"multinomial"``: ``p ~ Dir(alpha)``, labels i.i.d. ``Cat(p)`` (so the empirical proportions
  differ from ``p`` by sampling noise);
* ``"uniform"``: labels i.i.d. uniform over the ``k_eff`` classes (the official default draws
  uniformly from the pooled images, i.e. roughly multinomial with class-frequency weights);
* ``"balanced"``: equal counts (largest-remainder rounding of ``n_query / k_eff``).
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import check_array, check_int, check_positive

__all__ = [
    "TaskSpec",
    "Task",
    "QUERY_SAMPLING",
    "NOISES",
    "sample_task",
    "sample_task_from_pool",
    "pool_by_class",
    "noise_scales",
    "STUDENT_DF",
]

QUERY_SAMPLING = ("dirichlet", "multinomial", "uniform", "balanced")
NOISES = ("iso", "aniso", "student")
#: degrees of freedom of the heavy-tailed noise (unit variance after scaling by sqrt((df-2)/df))
STUDENT_DF = 3.0


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """The distribution of tasks (Python scalars only; static under jit).

    Attributes:
      n_classes: ``K``, classes in the support (all of them).
      k_eff: classes present in the query (the first ``k_eff`` of a random class order).
      shot: labelled support points per class.
      n_query: ``|Q|``, query points.
      dim: feature dimension ``d`` (synthetic tasks only; pool tasks take it from the pool).
      sep: ``sigma_mu``, standard deviation of the class means' coordinates (synthetic only).
      dirichlet_alpha: concentration of ``p ~ Dir(alpha 1_{k_eff})``.
      query_sampling: one of ``QUERY_SAMPLING`` (``unlearnlab.fewshot.tasks``).
      noise: one of ``NOISES`` (``unlearnlab.fewshot.tasks``; synthetic only).
      scale: a global factor on every synthetic feature (the "feature norm of the backbone"):
        ``z = scale * (mu + noise)``. The best ``lam`` of GEM scales like ``scale^2``.
    """

    n_classes: int = 20
    k_eff: int = 5
    shot: int = 5
    n_query: int = 75
    dim: int = 32
    sep: float = 0.5
    dirichlet_alpha: float = 1.0
    query_sampling: str = "dirichlet"
    noise: str = "iso"
    scale: float = 1.0

    def __post_init__(self):
        check_int("n_classes", self.n_classes, min_value=1)
        check_int("k_eff", self.k_eff, min_value=1, max_value=self.n_classes)
        check_int("shot", self.shot, min_value=1)
        check_int("n_query", self.n_query, min_value=1)
        check_int("dim", self.dim, min_value=1)
        check_positive("sep", self.sep)
        check_positive("dirichlet_alpha", self.dirichlet_alpha)
        check_positive("scale", self.scale)
        if self.query_sampling not in QUERY_SAMPLING:
            raise ValueError(
                f"`query_sampling` must be one of {QUERY_SAMPLING}; got {self.query_sampling!r}."
            )
        if self.noise not in NOISES:
            raise ValueError(f"`noise` must be one of {NOISES}; got {self.noise!r}.")


class Task(NamedTuple):
    """One transductive few-shot task (add a leading axis for a batch)."""

    z_s: jax.Array  # (K*shot, d) support features
    y_s: jax.Array  # (K*shot,) int support labels in [0, K)
    z_q: jax.Array  # (n_q, d) query features
    y_q: jax.Array  # (n_q,) int query labels (losses and metrics only)
    pi: jax.Array  # (K,) generating query proportions p (0 for absent classes)
    mu: jax.Array  # (K, d) true class means (synthetic); pool tasks: the class means of the pool


def noise_scales(dim: int, noise: str) -> np.ndarray:
    """Per-coordinate noise standard deviations of the synthetic generator, shape ``(dim,)``.

    ``"iso"`` and ``"student"``: all ones. ``"aniso"``: a fixed log-spaced profile from 1/3 to 3,
    normalised to mean variance one (so every noise model has ``E||eps||^2 = d``).

    Raises:
      ValueError: ``dim`` < 1; ``noise`` not one of ``NOISES``.
    """
    dim = check_int("dim", dim, min_value=1)
    if noise not in NOISES:
        raise ValueError(f"`noise` must be one of {NOISES}; got {noise!r}.")
    if noise == "aniso":
        s = np.exp(np.linspace(np.log(1.0 / 3.0), np.log(3.0), dim)) if dim > 1 else np.ones(1)
        return s / np.sqrt(np.mean(s**2))
    return np.ones(dim)


def _query_counts(key, p, n_query: int, mode: str):
    """Class counts of the query (static length ``k_eff``), summing to ``n_query``."""
    k_eff = p.shape[0]
    if mode in ("dirichlet", "balanced"):
        target = p * n_query
        base = jnp.floor(target)
        rem = target - base
        left = n_query - jnp.sum(base)
        order = jnp.argsort(-rem)  # largest remainders first
        rank = jnp.zeros(k_eff, jnp.int32).at[order].set(jnp.arange(k_eff, dtype=jnp.int32))
        return (base + (rank < left)).astype(jnp.int32), None
    # i.i.d. labels
    labels = jax.random.categorical(key, jnp.log(p), shape=(n_query,))
    return jnp.bincount(labels, length=k_eff).astype(jnp.int32), labels


def _query_plan(key, spec: TaskSpec):
    """Class order, query proportions and query labels (indices into the class order)."""
    k_order, k_p, k_lab, k_perm = jax.random.split(key, 4)
    order = jax.random.permutation(k_order, spec.n_classes)  # query classes: order[:k_eff]
    if spec.query_sampling in ("dirichlet", "multinomial"):
        p = jax.random.dirichlet(k_p, jnp.full((spec.k_eff,), spec.dirichlet_alpha))
    else:
        p = jnp.full((spec.k_eff,), 1.0 / spec.k_eff)
    counts, labels = _query_counts(k_lab, p, spec.n_query, spec.query_sampling)
    if labels is None:
        labels = jnp.repeat(jnp.arange(spec.k_eff), counts, total_repeat_length=spec.n_query)
    labels = jax.random.permutation(k_perm, labels)
    return order, p, counts, labels


def _rank_within_class(labels, n_cls: int):
    """For each query point, its index among the query points of the same class."""
    onehot = jax.nn.one_hot(labels, n_cls, dtype=jnp.int32)
    return (jnp.cumsum(onehot, axis=0) * onehot).sum(axis=1) - 1


def sample_task(key, spec: TaskSpec) -> Task:
    """Sample one synthetic realistic-protocol task.

    Model: ``mu_k ~ N(0, sep^2 I_d)`` for ``k < K``; a point of class ``k`` is
    ``scale * (mu_k + D eps)``,
    with ``D = diag(noise_scales(d, noise))`` and ``eps`` standard normal (``iso``/``aniso``) or
    i.i.d. Student-t with 3 dof scaled to unit variance (``student``). The support has ``shot``
    points of every class; the query has ``n_query`` points of the classes ``order[:k_eff]`` with
    proportions ``p`` as described in the module docstring.

    Args:
      key: PRNG key.
      spec: the :class:`TaskSpec`.

    Returns:
      A :class:`Task` with ``z_s (K*shot, d)``, ``y_s (K*shot,)``, ``z_q (n_query, d)``,
      ``y_q (n_query,)``, ``pi (K,)`` (the generating ``p``, scattered on the query classes) and
      ``mu (K, d)`` (the scaled means ``scale * mu_k``).

    References:
      Martin et al. (2022), PADDLE, realistic sampler; UNEM code ``src/datasets/sampler.py``.
    """
    if not isinstance(spec, TaskSpec):
        raise ValueError(f"`spec` must be a TaskSpec; got {type(spec).__name__}.")
    K, d = spec.n_classes, spec.dim
    k_mu, k_plan, k_es, k_eq = jax.random.split(key, 4)
    dtype = jnp.result_type(float)
    mu = spec.scale * spec.sep * jax.random.normal(k_mu, (K, d), dtype)
    order, p, _, qlab = _query_plan(k_plan, spec)
    scales = jnp.asarray(noise_scales(d, spec.noise), dtype)

    def noise(k, n):
        if spec.noise == "student":
            e = jax.random.t(k, STUDENT_DF, (n, d), dtype)
            return spec.scale * e * jnp.sqrt((STUDENT_DF - 2.0) / STUDENT_DF)
        return spec.scale * jax.random.normal(k, (n, d), dtype) * scales

    y_s = jnp.repeat(jnp.arange(K), spec.shot)
    z_s = mu[y_s] + noise(k_es, K * spec.shot)
    y_q = order[qlab]
    z_q = mu[y_q] + noise(k_eq, spec.n_query)
    pi = jnp.zeros(K, dtype).at[order[: spec.k_eff]].set(p)
    return Task(z_s, y_s, z_q, y_q, pi, mu)


def pool_by_class(z, y) -> np.ndarray:
    """Arrange a labelled feature set as a per-class pool ``(C, M, d)`` (host NumPy, not traced).

    Classes are the sorted distinct labels; each keeps its first ``M = min_c n_c`` points.

    Raises:
      ValueError: ``z`` not a finite non-empty (N, d) array; ``y`` not of shape (N,).
    """
    z = np.asarray(check_array("z", z, ndim=2))
    if z.shape[0] < 1:
        raise ValueError(f"`z` must hold at least one point; got shape {z.shape}.")
    y = np.asarray(y)
    if y.shape != (z.shape[0],):
        raise ValueError(f"`y` must have shape ({z.shape[0]},); got {y.shape}.")
    classes = np.unique(y)
    m = min(int(np.sum(y == c)) for c in classes)
    return np.stack([z[y == c][:m] for c in classes])


def sample_task_from_pool(key, z_pool, spec: TaskSpec) -> Task:
    """Sample one realistic-protocol task from a per-class feature pool.

    The ``K = spec.n_classes`` task classes are a random subset of the ``C`` pool classes (task label
    ``k`` is the ``k``-th drawn class); the query uses the first ``k_eff`` of them. Within each class
    the points are randomly permuted; the support takes the first ``shot`` and the query the following
    ones, so support and query never share a point.

    Args:
      key: PRNG key.
      z_pool: ``(C, M, d)`` features, ``M`` points per class (see :func:`pool_by_class`); needs
        ``C >= n_classes`` and ``M >= shot + n_query``.
      spec: the :class:`TaskSpec` (``dim``, ``sep`` and ``noise`` are ignored).

    Returns:
      A :class:`Task`; ``mu`` holds the pool means of the task classes.
    """
    if not isinstance(spec, TaskSpec):
        raise ValueError(f"`spec` must be a TaskSpec; got {type(spec).__name__}.")
    check_array("z_pool", z_pool, ndim=3)
    C, M, _ = np.shape(z_pool)
    if C < spec.n_classes:
        raise ValueError(
            f"`z_pool` has {C} classes; `spec.n_classes` = {spec.n_classes} needs more."
        )
    if M < spec.shot + spec.n_query:
        raise ValueError(
            f"`z_pool` has {M} points per class; shot + n_query = {spec.shot + spec.n_query} needed."
        )
    # one compiled program per spec and pool shape (op by op, the draws and gathers are ~35)
    return _sample_task_from_pool(key, jnp.asarray(z_pool), spec)


@partial(jax.jit, static_argnums=2)
def _sample_task_from_pool(key, z_pool, spec):
    C, M, _ = z_pool.shape
    K = spec.n_classes
    k_cls, k_plan, k_items = jax.random.split(key, 3)
    cls = jax.random.permutation(k_cls, C)[:K]
    _, p, _, qlab = _query_plan(k_plan, spec)  # the task order is already random: use 0..K-1
    perms = jax.vmap(lambda k: jax.random.permutation(k, M))(jax.random.split(k_items, K))
    y_s = jnp.repeat(jnp.arange(K), spec.shot)
    s_items = perms[:, : spec.shot].reshape(-1)
    z_s = z_pool[cls[y_s], s_items]
    rank = _rank_within_class(qlab, spec.k_eff)
    q_items = perms[qlab, spec.shot + rank]
    z_q = z_pool[cls[qlab], q_items]
    pi = jnp.zeros(K, z_pool.dtype).at[: spec.k_eff].set(p.astype(z_pool.dtype))
    mu = jnp.mean(z_pool, axis=1)[cls]
    return Task(z_s, y_s, z_q, qlab, pi, mu)
