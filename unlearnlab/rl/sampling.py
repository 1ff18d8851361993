"""Loop-free binomial and multinomial samplers (exact up to a stated truncation), vmap/shard_map safe.

Why not ``jax.random.binomial``: its rejection loops are ``lax.while_loop``s whose initial carries are
constants, which ``shard_map`` (the lab's sweep runner, with its default varying-axis checks) rejects
when the key varies over the seed axis; it is also slow to compile (~4 s). These samplers have no
``while_loop``:

* ``n * min(p, 1-p) < 10``: inversion over the first ``K_INV = 64`` values of the pmf (computed with
  ``lgamma`` in log space). The neglected tail ``P(X >= 64)`` is below ``1e-20`` for a mean below 10.
* otherwise: the BTRS transformed-rejection sampler (Hormann 1993, "The generation of binomial random
  variates", J. Stat. Comput. Simul. 46), with ``K_REJ = 32`` proposals drawn at once and the first
  accepted one returned. BTRS accepts with probability above 0.85 in this regime, so all 32 are
  rejected with probability below ``0.15^32 < 1e-26`` (then the mode is returned).

Both are exact samplers of ``Binomial(n, p)`` up to these ``< 1e-20`` events. The multinomial is the
conditional-binomial chain (a ``lax.scan`` over categories whose initial carry is made to vary with
the key, so it also passes ``shard_map``'s checks). Large ``n`` and exact counts need
``jax_enable_x64``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.special import gammaln

__all__ = ["binomial", "multinomial", "K_INV", "K_REJ"]

K_INV = 64
K_REJ = 32
_SWITCH = 10.0


def _vzero(key, dtype):
    """A zero that depends on ``key`` (so that it varies wherever the key varies)."""
    return 0.0 * jax.random.uniform(key, (), dtype)


def _binomial_one(key, n, p):
    dtype = p.dtype
    z = _vzero(key, dtype)
    n = n + z
    flip = p > 0.5
    q = jnp.clip(jnp.where(flip, 1.0 - p, p), 0.0, 0.5)  # success probability <= 1/2
    k_inv, k_rej, k_u = jax.random.split(key, 3)
    qs = jnp.clip(q, 1e-300, 0.5)
    lq, l1q = jnp.log(qs), jnp.log1p(-qs)
    lgn = gammaln(n + 1.0)

    # inversion over 0..K_INV-1
    ks = jnp.arange(K_INV, dtype=dtype)
    logpmf = (
        lgn - gammaln(ks + 1.0) - gammaln(jnp.maximum(n - ks, 0.0) + 1.0) + ks * lq + (n - ks) * l1q
    )
    pmf = jnp.where(ks <= n, jnp.exp(logpmf), 0.0)
    cdf = jnp.cumsum(pmf)
    u = jax.random.uniform(k_inv, (), dtype)
    x_inv = jnp.sum(cdf < u * cdf[-1]).astype(dtype)  # renormalised over the truncated support
    x_inv = jnp.minimum(x_inv, n)

    # BTRS with K_REJ parallel proposals
    nq = n * qs
    spq = jnp.sqrt(nq * (1.0 - qs))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * qs
    c = nq + 0.5
    v_r = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = lq - l1q
    m = jnp.floor((n + 1.0) * qs)
    h = gammaln(m + 1.0) + gammaln(n - m + 1.0)
    ku, kv = jax.random.split(k_rej)
    uu = jax.random.uniform(ku, (K_REJ,), dtype) - 0.5
    vv = jax.random.uniform(kv, (K_REJ,), dtype)
    us = 0.5 - jnp.abs(uu)
    k = jnp.floor((2.0 * a / us + b) * uu + c)
    inside = (k >= 0) & (k <= n)
    quick = (us >= 0.07) & (vv <= v_r)
    kc = jnp.clip(k, 0.0, n)
    lv = jnp.log(jnp.maximum(vv * alpha / (a / us**2 + b), 1e-300))
    full = lv <= h - gammaln(kc + 1.0) - gammaln(n - kc + 1.0) + (kc - m) * lpq
    acc = inside & (quick | full)
    first = jnp.argmax(acc)
    x_rej = jnp.where(jnp.any(acc), kc[first], m)

    x = jnp.where(nq < _SWITCH, x_inv, x_rej)
    x = jnp.where(q <= 0.0, 0.0, x)
    x = jnp.where(flip, n - x, x)
    return jnp.where(n <= 0, z, x)


def binomial(key, n, p) -> jax.Array:
    """A ``Binomial(n, p)`` draw (float, shape of ``broadcast(n, p)``); see the module docstring."""
    n, p = jnp.broadcast_arrays(jnp.asarray(n, float), jnp.asarray(p, float))
    dt = jnp.result_type(n, p)
    n, p = n.astype(dt), p.astype(dt)
    if n.ndim == 0:
        return _binomial_one(key, n, p)
    keys = jax.random.split(key, n.size)
    return jax.vmap(_binomial_one)(keys, n.reshape(-1), p.reshape(-1)).reshape(n.shape)


def multinomial(key, n, p) -> jax.Array:
    """A ``Multinomial(n, p)`` draw over the last axis of ``p`` (``[k]``), by conditional binomials."""
    p = jnp.asarray(p, float)
    n = jnp.asarray(n, p.dtype)
    keys = jax.random.split(key, p.shape[-1])
    z = _vzero(key, p.dtype)

    last = p.shape[-1] - 1

    def body(carry, xs):
        rem_n, rem_p = carry
        k, pi, i = xs
        frac = jnp.where(rem_p > 0, jnp.clip(pi / jnp.maximum(rem_p, 1e-300), 0.0, 1.0), 0.0)
        frac = jnp.where((i == last) & (pi > 0), 1.0, frac)  # the last category takes the rest
        x = _binomial_one(k, rem_n, frac)
        return (rem_n - x, rem_p - pi), x

    _, counts = lax.scan(body, (n + z, jnp.sum(p) + z), (keys, p, jnp.arange(p.shape[-1])))
    return counts
