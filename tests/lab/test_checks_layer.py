"""The validation layer's new helpers: labels/indices, sizes, pytrees (named leaf paths), tracers."""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unlearnlab.lab import checks


class _State(NamedTuple):
    R: np.ndarray
    n: int


def test_check_labels_rejects_out_of_range_negative_and_float():
    checks.check_labels("labels", np.array([0, 2, 1]), 3)
    for bad in (np.array([0, 3]), np.array([-1, 0]), np.array([0.0, 1.0])):
        with pytest.raises(ValueError, match="`labels`"):
            checks.check_labels("labels", bad, 3)
    with pytest.raises(ValueError, match="length 4"):
        checks.check_labels("labels", np.array([0, 1]), 3, n=4)


def test_check_index_scalar_and_array():
    assert checks.check_index("a", 1, 2) == 1
    with pytest.raises(ValueError, match=r"`a` must lie in \[0, 2\)"):
        checks.check_index("a", 8, 2)


@pytest.mark.parametrize("bad", [0, -1, 1.5, float("nan"), True, "3"])
def test_check_size(bad):
    with pytest.raises(ValueError, match="`n`"):
        checks.check_size("n", bad)


def test_check_size_accepts_integer_valued():
    assert checks.check_size("n", np.int64(3)) == 3
    assert checks.check_size("n", 0, min_value=0) == 0


def test_check_tree_finite_names_the_leaf_path():
    ok = {"a": np.ones(2), "b": {"c": np.zeros(1)}, "k": 3}
    checks.check_tree_finite("params", ok)
    with pytest.raises(ValueError, match=r"`params\['b'\]\['c'\]`"):
        checks.check_tree_finite("params", {"a": np.ones(2), "b": {"c": np.array([np.nan])}})
    with pytest.raises(ValueError, match=r"`state\.R`"):
        checks.check_tree_finite("state", _State(R=np.array([np.inf]), n=2))


def test_checks_skip_tracers():
    @jax.jit
    def f(x, y):
        checks.check_tree_finite("p", {"x": x})
        checks.check_index("y", y, 2)
        checks.check_finite("x", x)
        return x.sum() + y

    assert np.isfinite(f(jnp.ones(2), jnp.asarray(1)))


def test_probs_labels_names_probs_when_empty():
    with pytest.raises(ValueError, match="`probs`"):
        checks.check_probs_labels(np.zeros((0, 3)), np.zeros(2, int))
