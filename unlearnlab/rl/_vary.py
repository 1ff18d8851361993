"""Loop carries that vary like the loop's inputs (so ``shard_map``'s varying-axis checks pass).

Inside ``jax.shard_map`` (the lab's sweep runner), a ``lax.scan``/``fori_loop`` whose initial carry
is a constant but whose body depends on a value that varies over a mesh axis (a per-seed key, or
data drawn with it) is rejected: input and output carry types differ. Adding a zero computed from
the varying inputs to the initial carry gives it the same type; outside ``shard_map`` it is a no-op.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def zero_from(*xs, key=None, dtype=None):
    """A float zero that depends on every array in ``xs`` (finite values) and on ``key``."""
    parts = [jnp.sum(jnp.asarray(x)) for x in xs]
    if key is not None:
        parts.append(jax.random.uniform(key, (), dtype or float))
    z = sum(parts[1:], parts[0]) if parts else jnp.zeros(())
    if dtype is not None:
        z = z.astype(dtype)
    return 0.0 * z


def vary_like(tree, z):
    """Add the zero ``z`` to every leaf of ``tree`` (floats: ``+ z``; ints: ``+ int(z)``; bools)."""

    def one(a):
        a = jnp.asarray(a)
        if a.dtype == jnp.bool_:
            return a | (z > 1.0)
        if jnp.issubdtype(a.dtype, jnp.integer):
            return a + z.astype(a.dtype)
        return a + z.astype(a.dtype)

    return jax.tree.map(one, tree)
