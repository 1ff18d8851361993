"""Contrastive instance of "MLE then ERM": a logistic pair model, its MLE with flax (nnx) + optax.

Model (Ge et al. 2024, contrastive-learning instance; pairs and the logistic similarity label
[reviews], the exact law [reconstruction]):

    x, x' ~ N(0, I_d) i.i.d.,  s | x, x' ~ Bernoulli(sigmoid(f*(x)^T f*(x'))),  f*(x) = W*^T x,
    downstream: x ~ N(0, I_d),  y = beta^T f*(x) + nu,  nu ~ N(0, sig_nu^2).

Pretraining maximises the pair log-likelihood over the representation class
``F = {f(x) = W^T x : W in R^{d x r}}`` (an :class:`LinearRep` ``nnx.Module``); the likelihood
depends on W only through ``W W^T`` so the transformation group is O(r) (``W -> W R``), which the
linear downstream head absorbs. Downstream ERM is least squares on ``f_hat(x)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    check_shape,
)
from unlearnlab.lab.optim import scan_minimize
from unlearnlab.pretraining.factor import check_matrix

__all__ = [
    "LinearRep",
    "sample_contrastive_pairs",
    "sample_contrastive_downstream",
    "pair_nll",
    "mle_contrastive",
    "rep_matrix",
    "fit_contrastive_erm",
    "excess_risk_contrastive",
]


class LinearRep(nnx.Module):
    """Linear representation ``f(x) = W^T x`` (an ``nnx.Linear`` without bias; kernel W is (d, r))."""

    def __init__(self, d: int, r: int, *, rngs: nnx.Rngs):
        self.linear = nnx.Linear(d, r, use_bias=False, rngs=rngs)

    def __call__(self, x):
        return self.linear(x)


def _check_W(W_star):
    check_array("W_star", W_star, ndim=2)
    d, r = np.shape(W_star)
    if not 1 <= r < d:
        raise ValueError(f"`W_star` must be (d, r) with 1 <= r < d; got shape {np.shape(W_star)}.")
    return d, r


def sample_contrastive_pairs(key, n_unlab: int, W_star):
    """Draw ``n_unlab`` pairs ``(x, x', s)`` of the logistic pair model.

    Args:
      key: PRNG key; n_unlab: number of pairs (>= 1); W_star: (d, r) true representation.

    Returns:
      ``(x, xp, s)`` with shapes (n_unlab, d), (n_unlab, d), (n_unlab,) (s in {0., 1.}).
    """
    n_unlab = check_int("n_unlab", n_unlab, min_value=1)
    d, _ = _check_W(W_star)
    W = jnp.asarray(W_star)
    k1, k2, k3 = jax.random.split(key, 3)
    x = jax.random.normal(k1, (n_unlab, d), W.dtype)
    xp = jax.random.normal(k2, (n_unlab, d), W.dtype)
    logit = jnp.sum((x @ W) * (xp @ W), axis=-1)
    s = jax.random.bernoulli(k3, jax.nn.sigmoid(logit)).astype(W.dtype)
    return x, xp, s


def sample_contrastive_downstream(key, n_lab: int, W_star, beta, sig_nu):
    """Draw ``n_lab`` labeled pairs: ``x ~ N(0, I_d)``, ``y = beta^T W*^T x + nu``.

    Returns:
      ``(X, y)`` with shapes (n_lab, d), (n_lab,).
    """
    n_lab = check_int("n_lab", n_lab, min_value=1)
    _, r = _check_W(W_star)
    check_array("beta", beta, ndim=1)
    check_shape("beta", beta, (r,))
    check_nonnegative("sig_nu", sig_nu)
    W = jnp.asarray(W_star)
    kx, kn = jax.random.split(key)
    X = jax.random.normal(kx, (n_lab, W.shape[0]), W.dtype)
    return X, X @ (W @ jnp.asarray(beta, W.dtype)) + sig_nu * jax.random.normal(
        kn, (n_lab,), W.dtype
    )


def pair_nll(W, x, xp, s):
    """Mean negative log-likelihood of the pairs: ``BCE(sigmoid(f(x)^T f(x')), s)``, f = W^T x.

    Invariant under ``W -> W R`` for R in O(r) (it depends on W only through W W^T).

    Raises:
      ValueError: if ``W`` (d, r), ``x``/``xp`` (n, d) are not finite non-empty matrices of matching
        shapes or ``s`` is not (n,) in [0, 1].
    """
    _, r = check_matrix("W", W)
    n, d = check_matrix("x", x)
    check_array("xp", xp, ndim=2)
    check_shape("xp", xp, (n, d))
    if np.shape(W)[0] != d:
        raise ValueError(f"`W` must have {d} rows (the columns of `x`); got shape {np.shape(W)}.")
    check_array("s", s, ndim=1)
    check_shape("s", s, (n,))
    check_probability("s", s)
    logit = jnp.sum((x @ W) * (xp @ W), axis=-1)
    return optax.sigmoid_binary_cross_entropy(logit, s).mean()


def rep_matrix(rep) -> jax.Array:
    """The (d, r) matrix W of a :class:`LinearRep` state (``nnx.State`` from :func:`mle_contrastive`).

    Raises:
      ValueError: if the kernel of ``rep`` is not a finite (d, r) matrix.
    """
    kernel = rep["linear"]["kernel"]
    # flax >= 0.12 reads a Variable with get_value() (.value is deprecated); older flax has .value
    W = kernel.get_value() if hasattr(kernel, "get_value") else getattr(kernel, "value", kernel)
    check_array("rep", W, ndim=2)
    return W


def mle_contrastive(key, x, xp, s, r: int, steps: int, lr: float = 1e-2, mask=None):
    """Pretraining: maximum likelihood of the pair model over ``f(x) = W^T x`` (Adam, lax.scan).

    The module is split into a pure ``(graphdef, state)`` pair (``nnx.split``); the loss merges it
    back (``nnx.merge``) so that the training loop is a key-first ``lax.scan`` that jits and vmaps
    over seeds. Initialisation: ``nnx.Linear``'s default (LeCun normal) from ``key``.

    ========================  ====================
    symbol                    argument
    ========================  ====================
    (x_i, x'_i, s_i), i <= m  ``x``, ``xp``, ``s``
    r                         ``r``
    ========================  ====================

    Args:
      key: PRNG key (initialisation).
      x, xp: (n_unlab, d) pair members; s: (n_unlab,) labels in {0, 1}.
      r: representation dimension (static, ``1 <= r < d``).
      steps: full-batch Adam steps (static, >= 1).
      lr: Adam learning rate (> 0).
      mask: optional (n_unlab,) 0/1 weights: only pairs with weight 1 enter the likelihood (lets one
        compiled program serve several n_unlab, e.g. the first m rows of a larger draw).

    Returns:
      ``nnx.State`` of the fitted :class:`LinearRep` (``rep_matrix`` extracts W).

    Raises:
      ValueError: if ``x``/``xp`` are not finite non-empty (n_unlab, d) matrices, ``s`` or ``mask``
        not (n_unlab,) in [0, 1], ``r`` not in [1, d), ``steps < 1`` or ``lr <= 0``.

    References:
      Ge et al. (2024), contrastive instance of Algorithm 1 step 1 [reviews / reconstruction].
    """
    n, d = check_matrix("x", x)
    check_array("xp", xp, ndim=2)
    check_shape("xp", xp, (n, d))
    check_array("s", s, ndim=1)
    check_shape("s", s, (n,))
    check_probability("s", s)
    r = check_int("r", r, min_value=1, max_value=d - 1)
    steps = check_int("steps", steps, min_value=1)
    check_positive("lr", lr)
    x, xp, s = jnp.asarray(x), jnp.asarray(xp), jnp.asarray(s)
    if mask is None:
        mask = jnp.ones((n,), x.dtype)
    else:
        check_shape("mask", mask, (n,))
        check_probability("mask", mask)
        mask = jnp.asarray(mask, x.dtype)
    graphdef, params = nnx.split(LinearRep(d, r, rngs=nnx.Rngs(params=key)))
    params = jax.tree.map(lambda a: a.astype(x.dtype), params)

    def loss(p):
        model = nnx.merge(graphdef, p)
        logit = jnp.sum(model(x) * model(xp), axis=-1)
        bce = optax.sigmoid_binary_cross_entropy(logit, s)
        return jnp.sum(mask * bce) / jnp.maximum(jnp.sum(mask), 1.0)

    return scan_minimize(loss, params, optax.adam(lr), steps)


def fit_contrastive_erm(rep, X_lab, y_lab):
    """Downstream ERM: least squares of y on ``f_hat(x) = W_hat^T x``; returns ``w = W_hat theta``.

    Args:
      rep: ``nnx.State`` of a :class:`LinearRep`, or a (d, r) matrix W_hat.
      X_lab: (n_lab, d); y_lab: (n_lab,); needs n_lab > r.

    Returns:
      (d,) linear predictor in x.

    Raises:
      ValueError: if ``rep`` is not a finite non-empty (d, r) matrix (or state holding one),
        ``X_lab`` not (n_lab, d) with n_lab > r, or ``y_lab`` not finite (n_lab,).
    """
    W = rep if isinstance(rep, (jax.Array, np.ndarray)) else rep_matrix(rep)
    check_matrix("rep", W)
    W = jnp.asarray(W)
    check_matrix("X_lab", X_lab)
    check_array("y_lab", y_lab, ndim=1)
    n_lab, d = np.shape(X_lab)
    check_shape("y_lab", y_lab, (n_lab,))
    if W.shape[0] != d:
        raise ValueError(f"`X_lab` must have {W.shape[0]} columns; got shape {np.shape(X_lab)}.")
    if n_lab <= W.shape[1]:
        raise ValueError(f"`X_lab` needs n_lab > r = {W.shape[1]} rows; got {n_lab}.")
    F = jnp.asarray(X_lab) @ W
    theta = jnp.linalg.lstsq(F.T @ F, F.T @ jnp.asarray(y_lab))[0]
    return W @ theta


def excess_risk_contrastive(w, W_star, beta):
    """Exact excess squared risk of ``g(x) = w^T x`` downstream: ``||w - W* beta||^2`` (x ~ N(0, I)).

    Raises:
      ValueError: if ``W_star`` is not a finite (d, r) matrix with 1 <= r < d, or ``w`` (d,) or
        ``beta`` (r,) are malformed.
    """
    d, r = _check_W(W_star)
    check_array("w", w, ndim=1)
    check_shape("w", w, (d,))
    check_array("beta", beta, ndim=1)
    check_shape("beta", beta, (r,))
    W = jnp.asarray(W_star)
    return jnp.sum((jnp.asarray(w) - W @ jnp.asarray(beta, W.dtype)) ** 2)
