"""The lab's stable argsort: NumPy (host) and XLA give the same permutation, under jit and vmap."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unlearnlab.lab.sorting import stable_argsort


@pytest.mark.parametrize("sort", ["host", "xla", "auto"])
def test_stable_argsort_is_the_stable_permutation_under_jit_and_vmap(sort):
    rng = np.random.default_rng(0)
    a = np.round(rng.random((3, 200)), 1)  # heavy ties
    a[:, ::7] = np.inf
    want = np.stack([np.argsort(r, kind="stable") for r in a])
    got = jax.jit(jax.vmap(lambda r: stable_argsort(r, sort)))(jnp.asarray(a))
    np.testing.assert_array_equal(np.asarray(got), want)


def test_stable_argsort_rejects_bad_input():
    with pytest.raises(ValueError, match="sort"):
        stable_argsort(np.zeros(3), "quick")
    with pytest.raises(ValueError, match="`x`"):
        stable_argsort(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="`x`"):
        stable_argsort(np.array([0.0, np.nan]))
