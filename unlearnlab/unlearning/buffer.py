"""The random buffer layer ``G``: a fixed random projection followed by a non-linearity.

ACIL/ACU expand frozen backbone features ``h`` (``d_in``) into ``d_F >> d_in`` buffer features
``G(h) = ReLU(h W_B)``; ``W_B`` is drawn once and never trained.

References:
  Zhuang et al., ACIL (NeurIPS 2022), the random buffer layer; arXiv:2505.12239 (ACU) uses
  ``f_j = G(Backbone(x_j))``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from unlearnlab.lab.checks import check_array, check_int, check_nonempty

__all__ = ["buffer_init", "buffer_features"]


def buffer_init(key, d_in: int, d_buffer: int, dtype=None) -> jax.Array:
    """Draw the fixed buffer matrix ``W_B ~ N(0, 1/d_in)`` of shape ``(d_in, d_buffer)``."""
    d_in = check_int("d_in", d_in, min_value=1)
    d_buffer = check_int("d_buffer", d_buffer, min_value=1)
    dtype = dtype or jnp.asarray(1.0).dtype
    return jax.random.normal(key, (d_in, d_buffer), dtype) / jnp.sqrt(jnp.asarray(d_in, dtype))


def buffer_features(W_B, h, activation: Callable = jax.nn.relu) -> jax.Array:
    """``G(h) = activation(h W_B)``: ``h`` of shape ``(n, d_in)`` -> ``(n, d_buffer)``.

    Raises:
      ValueError: on a non-finite or empty ``W_B``, a non-finite ``h`` without ``d_in`` columns, or
        an ``activation`` that is not callable.
    """
    check_array("W_B", W_B, ndim=2)
    check_nonempty("W_B", W_B)
    if not callable(activation):
        raise ValueError(f"`activation` must be callable; got {type(activation).__name__}.")
    check_array("h", h, ndim=(1, 2))
    if jnp.shape(h)[-1] != jnp.shape(W_B)[0]:
        raise ValueError(
            f"`h` must have last dimension d_in = {jnp.shape(W_B)[0]}; got shape {jnp.shape(h)}."
        )
    return activation(jnp.asarray(h, W_B.dtype) @ W_B)
