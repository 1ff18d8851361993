"""Gradient-ascent unlearning: the forget-set-only baseline that ACU is compared against.

With access to the forget set only (the continual-learning constraint: no retained data), gradient
ascent raises the squared loss on the forgotten rows,

    W <- W + lr * grad_W (1/m) ||Y_u - X_u W||_F^2,

for ``n_steps`` steps (optax SGD on the negated loss). It has no notion of the retrain target, so its
gap to retraining grows with every request (``paper_figures/acu.png`` panel (a)).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonempty,
    check_positive,
    check_shape,
)
from unlearnlab.lab.optim import scan_minimize

__all__ = ["gradient_ascent_unlearn"]


def _ga(W, X_u, Y_u, lr, n_steps):
    m = jnp.maximum(jnp.sum(jnp.any(X_u != 0, axis=1)), 1)

    def neg_loss(W):
        return -jnp.sum((Y_u - X_u @ W) ** 2) / m

    return scan_minimize(neg_loss, W, optax.sgd(lr), n_steps)


def gradient_ascent_unlearn(W, X_u, Y_u, *, lr: float, n_steps: int) -> jax.Array:
    """Gradient ascent on the forget set's squared loss (jit-compatible; zero rows are ignored).

    Args:
      W: ``(d, C)`` current weights.
      X_u: ``(m, d)`` forget features (zero rows = padding).
      Y_u: ``(m, C)`` forget targets.
      lr: step size ``> 0``.
      n_steps: number of ascent steps (static).

    Raises:
      ValueError: on non-finite or mis-shaped ``W``, ``X_u``, ``Y_u`` (``W`` with no rows included),
        a non-positive ``lr`` or a negative ``n_steps``.
    """
    if not isinstance(W, jax.core.Tracer):
        check_array("W", W, ndim=2)
        check_nonempty("W", W)
        check_array("X_u", X_u, ndim=2)
        check_shape("X_u", X_u, (None, W.shape[0]))
        check_array("Y_u", Y_u, ndim=2)
        if np.shape(Y_u)[0] != np.shape(X_u)[0]:
            raise ValueError(
                f"`Y_u` must have one row per row of `X_u` ({np.shape(X_u)[0]}); "
                f"got shape {np.shape(Y_u)}."
            )
        check_shape("Y_u", Y_u, (X_u.shape[0], W.shape[1]))
        check_positive("lr", lr)
    n_steps = check_int("n_steps", n_steps, min_value=0)
    return _ga(W, jnp.asarray(X_u, W.dtype), jnp.asarray(Y_u, W.dtype), lr, n_steps)
