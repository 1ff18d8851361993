"""Closed-form targets for the noisy-verifier policy-gradient core.

Per-sample weight moments given the clean reward ``R*`` for each estimator mode:

=========  =====================================  ==============================================
mode       weight on the score term               ``E[weight | R*]``
=========  =====================================  ==============================================
clean      ``R*``                                 ``R*``
naive      ``R~``                                 ``rho0 + J R*``
backward   ``(R~ - rho0) / J``                    ``R*``
forward    ``R~ - (1 - rho1)``                    ``-J (1 - R*)`` (= ``J R* - J`` )
=========  =====================================  ==============================================

with Youden's ``J = 1 - rho0 - rho1``. Second moments follow from ``P(R~=1 | R*)``.

Symbols -> arguments: ``rho0``, ``rho1`` -> ``rho0``, ``rho1``; ``R*`` -> ``r_star``.

References:
  arXiv:2510.00915 (channel model); the moments are derived in ``theory/noisy_verifier_pg.md``
  (Props. 1-3).
"""

from __future__ import annotations

import jax.numpy as jnp

from unlearnlab.verifiers.channel import _check_binary, check_rates

__all__ = [
    "MODES",
    "youden_j",
    "backward_reward_variance",
    "expected_weight",
    "expected_weight_sq",
    "weight_second_moments",
]

#: estimator modes of :mod:`unlearnlab.verifiers.policy_gradient`
MODES = ("clean", "naive", "backward", "forward")


def youden_j(rho0, rho1):
    """Youden's ``J = 1 - rho0 - rho1``: the scale of the naive and PGFC expected gradients."""
    check_rates(rho0, rho1)
    return 1.0 - jnp.asarray(rho0) - jnp.asarray(rho1)


def backward_reward_variance(rho0, rho1, r_star):
    """``Var(R^ | R*) = Var(R~ | R*) / J^2``: ``rho1(1-rho1)/J^2`` if ``R*=1``, ``rho0(1-rho0)/J^2`` else.

    Args:
      rho0, rho1: rates; r_star: clean reward(s) in {0, 1}; broadcastable.

    Returns:
      The conditional variance of the backward-corrected reward (spec B.2, derived).
    """
    check_rates(rho0, rho1)
    _check_binary("r_star", r_star)
    r = jnp.asarray(r_star, float)
    v = r * rho1 * (1.0 - rho1) + (1.0 - r) * rho0 * (1.0 - rho0)
    return v / (1.0 - jnp.asarray(rho0) - jnp.asarray(rho1)) ** 2


def _p1(rho0, rho1, r):
    return rho0 + (1.0 - rho0 - rho1) * r


def _w_values(mode, rho0, rho1):
    """(weight if R~=1, weight if R~=0) for a channel-observed mode."""
    J = 1.0 - rho0 - rho1
    if mode == "naive":
        return 1.0, 0.0
    if mode == "backward":
        return (1.0 - rho0) / J, -rho0 / J
    if mode == "forward":
        return rho1, rho1 - 1.0
    raise ValueError(f"`mode` must be one of {MODES}; got {mode!r}.")


def _expected_weight(mode, rho0, rho1, r):
    if mode == "clean":
        return r
    w1, w0 = _w_values(mode, rho0, rho1)
    p = _p1(rho0, rho1, r)
    return p * w1 + (1.0 - p) * w0


def _expected_weight_sq(mode, rho0, rho1, r):
    if mode == "clean":
        return r * r
    w1, w0 = _w_values(mode, rho0, rho1)
    p = _p1(rho0, rho1, r)
    return p * w1**2 + (1.0 - p) * w0**2


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {MODES}; got {mode!r}.")


def expected_weight(mode, rho0, rho1, r_star):
    """``E[weight | R*]`` for an estimator ``mode`` (table in the module docstring)."""
    _check_mode(mode)
    check_rates(rho0, rho1)
    _check_binary("r_star", r_star)
    return _expected_weight(mode, jnp.asarray(rho0), jnp.asarray(rho1), jnp.asarray(r_star, float))


def expected_weight_sq(mode, rho0, rho1, r_star):
    """``E[weight^2 | R*]`` for an estimator ``mode``."""
    _check_mode(mode)
    check_rates(rho0, rho1)
    _check_binary("r_star", r_star)
    return _expected_weight_sq(
        mode, jnp.asarray(rho0), jnp.asarray(rho1), jnp.asarray(r_star, float)
    )


def weight_second_moments(rho0, rho1, r_star):
    """Per-sample second moments ``E[w^2 | R*]`` of PGBC, PGFC and naive weights.

    At ``rho0 = rho1 = 0.3``: PGBC weights are 1.75 / -0.75 (second moments 2.3125 for ``R*=1``,
    1.3125 for ``R*=0``); PGFC weights 0.3 / -0.7 (0.21 and 0.37).

    Returns:
      ``{"backward": ..., "forward": ..., "naive": ...}``, each broadcast over the inputs.
    """
    check_rates(rho0, rho1)
    _check_binary("r_star", r_star)
    r = jnp.asarray(r_star, float)
    a0, a1 = jnp.asarray(rho0), jnp.asarray(rho1)
    return {m: _expected_weight_sq(m, a0, a1, r) for m in ("backward", "forward", "naive")}
