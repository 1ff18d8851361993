"""Exact identity: the PyTorch UNEM layer loop (a benchmark reference written here, following the
official code's structure) computes what the lab's :func:`unlearnlab.fewshot.unem_forward` computes.

Float64, fixed keys. With ``eps=0`` (the lab's ``log(max(pi, tiny))`` guard instead of the official
``log(pi + 1e-6)``) the two are the same formulas evaluated in a different order, so the soft
assignments agree to rounding (observed ~1e-13; asserted 1e-10) and the predictions are identical.
"""

from typing import NamedTuple

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from benchmarks.torch_ref.unem_torch import params_to_torch, unem_forward_torch  # noqa: E402
from unlearnlab.fewshot import UNEMParams, unem_forward  # noqa: E402


class _Tasks(NamedTuple):
    z_s: np.ndarray
    y_s: np.ndarray
    z_q: np.ndarray


def _setup(K, k_eff, shot, n_query, dim, n_layers, n_tasks=4, seed=0):
    """Gaussian tasks (numpy, fixed seed): support ``shot`` points per class, query from ``k_eff``
    classes with anisotropic noise; raw UNEM parameters drawn around the official init."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(0.0, 0.8, (n_tasks, K, dim))
    scale = rng.uniform(0.5, 1.5, dim)
    y_s = np.tile(np.repeat(np.arange(K), shot), (n_tasks, 1))
    y_q = rng.integers(0, k_eff, (n_tasks, n_query))
    z_s = np.take_along_axis(mu, y_s[..., None], 1) + scale * rng.normal(
        size=(n_tasks, K * shot, dim)
    )
    z_q = np.take_along_axis(mu, y_q[..., None], 1) + scale * rng.normal(
        size=(n_tasks, n_query, dim)
    )
    params = UNEMParams(
        jnp.asarray(rng.normal()),
        jnp.asarray(rng.normal(size=n_layers) + 1.0),
        jnp.asarray(rng.normal(size=n_layers) - 0.5),
    )
    return _Tasks(z_s, y_s, z_q), params


def _torch_inputs(tasks):
    return (
        torch.as_tensor(np.array(tasks.z_s), dtype=torch.float64),
        torch.as_tensor(np.array(tasks.y_s), dtype=torch.int64),
        torch.as_tensor(np.array(tasks.z_q), dtype=torch.float64),
    )


@pytest.mark.parametrize(
    "K, k_eff, shot, n_query, dim, n_layers",
    [(5, 3, 1, 20, 8, 3), (10, 5, 5, 75, 16, 10), (4, 4, 2, 30, 64, 1)],
)
def test_torch_loop_equals_unem_forward_float64(K, k_eff, shot, n_query, dim, n_layers):
    tasks, params = _setup(K, k_eff, shot, n_query, dim, n_layers)
    u_lab = np.asarray(
        jax.jit(jax.vmap(lambda a, b, c: unem_forward(params, a, b, c, K)))(
            tasks.z_s, tasks.y_s, tasks.z_q
        )
    )
    assert u_lab.dtype == np.float64
    with torch.no_grad():
        u_ref = unem_forward_torch(*params_to_torch(params), *_torch_inputs(tasks), K, eps=0.0)
    u_ref = u_ref.numpy()
    assert u_ref.shape == u_lab.shape == (4, n_query, K)
    np.testing.assert_allclose(u_ref, u_lab, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(u_ref.argmax(-1), u_lab.argmax(-1))


def test_torch_loop_batched_equals_one_task_at_a_time():
    tasks, params = _setup(6, 3, 2, 25, 12, 4, n_tasks=3, seed=1)
    zs, ys, zq = _torch_inputs(tasks)
    tp = params_to_torch(params)
    with torch.no_grad():
        batched = unem_forward_torch(*tp, zs, ys, zq, 6).numpy()
        single = np.concatenate(
            [
                unem_forward_torch(*tp, zs[i : i + 1], ys[i : i + 1], zq[i : i + 1], 6).numpy()
                for i in range(3)
            ]
        )
    np.testing.assert_allclose(batched, single, rtol=0, atol=1e-12)


def test_official_eps_only_moves_log_pi():
    """``eps=1e-6`` (official) vs ``eps=0`` with one layer: the first E-step uses ``v = 1`` in both, so
    the layer-1 assignments are identical; the eps first acts through ``log pi`` in layer 2."""
    tasks, params = _setup(5, 3, 2, 20, 8, 1)
    inputs = _torch_inputs(tasks)
    tp = params_to_torch(params)
    with torch.no_grad():
        a = unem_forward_torch(*tp, *inputs, 5, eps=1e-6).numpy()
        b = unem_forward_torch(*tp, *inputs, 5, eps=0.0).numpy()
    np.testing.assert_array_equal(a, b)
