"""Oracle check of the benchmark reference: the PyTorch re-implementation of the official h-loss
loop (``benchmarks/torch_ref/hcal_torch.py``) is the same loss as the lab's ``hcal_loss`` (exact
identity, float64: value to 1e-10 relative, gradient w.r.t. the probabilities to 1e-8), pooled and
leave-one-class-out, for each weighting the two share."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmarks.torch_ref import hcal_loss_torch  # noqa: E402
from unlearnlab.calibration import hcal_loss  # noqa: E402


def _inputs(seed, n=300, c=7, scale=2.0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, c)) * scale
    p = np.exp(z - z.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True), rng.integers(0, c, n)


def _both(p, y, **kw):
    v, g = jax.value_and_grad(lambda q: hcal_loss(q, jnp.asarray(y), **kw))(jnp.asarray(p))
    pt = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    vt = hcal_loss_torch(pt, torch.tensor(y), **kw)
    vt.backward()
    return float(v), np.asarray(g), vt.item(), pt.grad.numpy()


@pytest.mark.parametrize("loco", [False, True])
@pytest.mark.parametrize("weighting", ["unweighted", "equal_width", "kmeans"])
@pytest.mark.parametrize("eps", [1e-20, 0.05])
def test_torch_reference_equals_lab_loss(loco, weighting, eps):
    p, y = _inputs(0)
    v, g, vt, gt = _both(
        p, y, window=40, eps=eps, weighting=weighting, leave_one_class_out=loco, n_groups=15
    )
    assert v > 0
    assert abs(v - vt) <= 1e-10 * abs(v)
    assert np.max(np.abs(g - gt)) <= 1e-8
    assert np.max(np.abs(g)) > 0  # the gradient comparison is not vacuous


@pytest.mark.parametrize("weighting", ["equal_width", "kmeans"])
def test_torch_reference_other_groups_and_sizes(weighting):
    p, y = _inputs(1, n=200, c=12, scale=3.0)
    v, g, vt, gt = _both(
        p, y, window=20, eps=1e-20, weighting=weighting, leave_one_class_out=True, n_groups=6
    )
    assert abs(v - vt) <= 1e-10 * abs(v)
    assert np.max(np.abs(g - gt)) <= 1e-8


def test_torch_reference_bad_weighting():
    p, y = _inputs(0, n=20, c=3)
    with pytest.raises(ValueError, match="weighting"):
        hcal_loss_torch(torch.tensor(p), torch.tensor(y), window=4, weighting="faiss")
