"""Full-batch optimisation with optax inside one ``lax.scan`` (shared machinery; no paper code).

Several cores fit a small model by a fixed number of full-batch optimiser steps (the digits MLP, the
contrastive pair model, the supervised logistic baseline, gradient-ascent unlearning). They share
this loop, so that it is written, jitted and tested once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import optax

from unlearnlab.lab.checks import check_int, check_tree_finite, is_traced

__all__ = ["scan_minimize"]


def scan_minimize(
    loss: Callable[[Any], Any],
    params,
    tx: optax.GradientTransformation,
    steps: int,
):
    r"""``steps`` full-batch steps of the optax transformation ``tx`` on ``loss``, in one ``lax.scan``.

    Each step is :math:`g_t = \nabla L(\theta_t)`, :math:`(u_t, s_{t+1}) =
    \mathrm{tx.update}(g_t, s_t, \theta_t)`, :math:`\theta_{t+1} = \theta_t + u_t`, starting from
    ``tx.init(params)``. Traceable: call it inside ``jit``/``vmap``; ``steps`` is static.

    Args:
      loss: ``loss(params) -> scalar``, differentiable in ``params``.
      params: the initial parameters (any pytree of float arrays).
      tx: an optax gradient transformation (``optax.adam(1e-2)``, ``optax.sgd(lr)``, ...).
      steps: number of steps, an integer ``>= 0`` (0 returns ``params``).

    Returns:
      The parameters after ``steps`` steps (same pytree structure as ``params``).

    Raises:
      ValueError: if ``loss`` is not callable, ``tx`` is not an optax gradient transformation,
        ``steps`` is not an integer ``>= 0``, or concrete ``params`` hold NaN/inf.
    """
    if not callable(loss):
        raise ValueError(f"`loss` must be callable; got {type(loss).__name__}.")
    if not isinstance(tx, optax.GradientTransformation):
        raise ValueError(f"`tx` must be an optax GradientTransformation; got {type(tx).__name__}.")
    steps = check_int("steps", steps, min_value=0)
    if not any(is_traced(leaf) for leaf in jax.tree.leaves(params)):
        check_tree_finite("params", params)

    def step(carry, _):
        p, state = carry
        g = jax.grad(loss)(p)
        updates, state = tx.update(g, state, p)
        return (optax.apply_updates(p, updates), state), None

    (params, _), _ = jax.lax.scan(step, (params, tx.init(params)), None, length=steps)
    return params
