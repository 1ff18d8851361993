"""scan_minimize: the shared full-batch optax loop (exact identities in float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from unlearnlab.lab import scan_minimize


def _quadratic():
    A = jnp.array([[3.0, 1.0], [1.0, 2.0]])
    b = jnp.array([1.0, -1.0])
    return A, b, lambda w: 0.5 * w @ A @ w - b @ w


def test_equals_a_python_loop_of_optax_steps():
    A, b, loss = _quadratic()
    tx = optax.adam(0.05)
    w0 = jnp.array([0.3, -0.2])
    w, state = w0, tx.init(w0)
    for _ in range(25):
        upd, state = tx.update(jax.grad(loss)(w), state, w)
        w = optax.apply_updates(w, upd)
    np.testing.assert_allclose(scan_minimize(loss, w0, tx, 25), w, rtol=1e-13, atol=1e-15)


def test_gradient_descent_reaches_the_minimiser_of_a_strongly_convex_quadratic():
    """SGD with step 1/L on a quadratic with eigenvalues in [1.38, 3.62]: contraction factor
    1 - mu/L = 0.62 per step, so 200 steps leave an error below 1e-12 (exact linear algebra)."""
    A, b, loss = _quadratic()
    L = float(jnp.max(jnp.linalg.eigvalsh(A)))
    w = scan_minimize(loss, jnp.zeros(2), optax.sgd(1.0 / L), 200)
    np.testing.assert_allclose(w, jnp.linalg.solve(A, b), atol=1e-12)


def test_pytrees_zero_steps_jit_and_vmap():
    def loss(p):
        return jnp.sum((p["w"] - 2.0) ** 2) + (p["c"] + 1.0) ** 2

    p0 = {"w": jnp.zeros(3), "c": jnp.asarray(0.0)}
    assert jax.tree.all(
        jax.tree.map(
            lambda a, b: bool(jnp.all(a == b)), scan_minimize(loss, p0, optax.sgd(0.1), 0), p0
        )
    )
    eager = scan_minimize(loss, p0, optax.sgd(0.1), 30)
    jitted = jax.jit(lambda p: scan_minimize(loss, p, optax.sgd(0.1), 30))(p0)
    for a, b in zip(jax.tree.leaves(eager), jax.tree.leaves(jitted)):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    starts = {"w": jnp.stack([jnp.zeros(3), jnp.ones(3)]), "c": jnp.array([0.0, 5.0])}
    batched = jax.vmap(lambda p: scan_minimize(loss, p, optax.sgd(0.1), 30))(starts)
    one = scan_minimize(loss, {"w": jnp.ones(3), "c": jnp.asarray(5.0)}, optax.sgd(0.1), 30)
    np.testing.assert_allclose(batched["w"][1], one["w"], rtol=1e-13)
    np.testing.assert_allclose(batched["c"][1], one["c"], rtol=1e-13)


def test_bad_input_names_the_argument():
    _, _, loss = _quadratic()
    tx = optax.sgd(0.1)
    with pytest.raises(ValueError, match="`steps`"):
        scan_minimize(loss, jnp.zeros(2), tx, -1)
    with pytest.raises(ValueError, match="`tx`"):
        scan_minimize(loss, jnp.zeros(2), "sgd", 3)
    with pytest.raises(ValueError, match="`loss`"):
        scan_minimize(None, jnp.zeros(2), tx, 3)
    with pytest.raises(ValueError, match="`params`"):
        scan_minimize(loss, jnp.array([0.0, jnp.nan]), tx, 3)
