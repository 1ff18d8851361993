r"""Generative miscalibration of a factoid model: total variation between ``g`` and ``p`` coarsened
onto the bins of ``g``.

[reconstruction] For a partition :math:`\Pi` of the factoids ``Y`` let
:math:`p^{\Pi}(y) = p(B)/|B|` for :math:`y \in B \in \Pi`. Then

.. math::
    \mathrm{Miscal}_\Pi(g, p) = \|p^{\Pi(g)} - g\|_{TV}
        = \tfrac12 \sum_{B \in \Pi(g)} \sum_{y \in B} \Big|\frac{p(B)}{|B|} - g(y)\Big|,

where :math:`\Pi(g)` partitions ``Y`` by the value of ``g(y)``. Three rules:

* ``"level_sets"`` (default): the level sets of ``g``; then
  :math:`\mathrm{Miscal} = \tfrac12 \sum_B |p(B) - g(B)|`;
* ``"equal_mass"``: level sets sorted by ``g`` ascending; a level set whose preceding ``g``-mass is
  ``C`` goes to bin ``min(floor(b C), b - 1)`` (bins of about ``1/b`` of the ``g``-mass; a level set
  is never split, since the partition is by value);
* ``"geometric"``: bins :math:`((1-\varepsilon)^{i+1}, (1-\varepsilon)^i]`, plus one bin for ``g = 0``.

The unseen factoids ``U = (unobserved facts) ∪ H`` all get the same value ``g(U)/|U|``, so they always
share a bin; they are handled as one block of ``|U|`` elements with ``p``-mass ``p(U)`` (the missing
mass), and ``H`` is never materialised.

References:
  Kalai & Vempala, arXiv 2311.14648 v3, Sec. 4 (generative calibration; the exact bin rule is an open
  item, see ``theory/hallucination_monofact.md``) [reconstruction].
  Miao & Kearns, arXiv 2502.08666 (geometric bins).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from unlearnlab.lab import checks
from unlearnlab.lab.checks import check_choice, check_counts, check_distribution
from unlearnlab.lab.sorting import stable_argsort

PARTITIONS = ("level_sets", "equal_mass", "geometric")

__all__ = ["miscalibration"]


def _dense_ids(keys):
    """Dense group ids ``0..G-1`` of equal keys (ordered by key); the sort is the lab's stable
    argsort (NumPy on the CPU backend, where XLA's comparator sort dominated the simulator)."""
    order = stable_argsort(keys)
    sk = keys[order]
    new = jnp.concatenate([jnp.ones(1, bool), sk[1:] != sk[:-1]])
    gid_sorted = jnp.cumsum(new) - 1
    return jnp.zeros_like(gid_sorted).at[order].set(gid_sorted), order, gid_sorted


def _atoms(g_obs, g_unseen_total, p, counts, n_hallucinations):
    dt = jnp.result_type(g_obs, p, float)
    g_obs, p = jnp.asarray(g_obs, dt), jnp.asarray(p, dt)
    obs = jnp.asarray(counts) > 0
    n_unobs = jnp.sum(~obs).astype(dt)
    size_u = n_unobs + jnp.asarray(n_hallucinations, dt)
    g_u = jnp.asarray(g_unseen_total, dt) / size_u
    mm = jnp.sum(jnp.where(obs, 0.0, p))
    sizes = jnp.concatenate([obs.astype(dt), size_u[None]])
    vals = jnp.concatenate([jnp.where(obs, g_obs, g_u), g_u[None]])
    pmass = jnp.concatenate([jnp.where(obs, p, 0.0), mm[None]])
    return sizes, vals, pmass


def _bin_keys(sizes, vals, partition, b, eps):
    if partition == "level_sets":
        return vals
    if partition == "geometric":
        idx = jnp.floor(jnp.log(jnp.where(vals > 0, vals, 1.0)) / jnp.log1p(-eps))
        return jnp.where(vals > 0, idx, jnp.inf)
    # equal mass: level sets in ascending order, each placed by the g-mass before it
    _, order, gid_sorted = _dense_ids(vals)
    mass_sorted = (sizes * vals)[order]
    before = jnp.cumsum(mass_sorted) - mass_sorted
    start = jax.ops.segment_min(before, gid_sorted, num_segments=vals.shape[0])[gid_sorted]
    bin_sorted = jnp.minimum(jnp.floor(b * start), b - 1)
    return jnp.zeros_like(bin_sorted).at[order].set(bin_sorted)


def miscalibration(
    g_obs,
    g_unseen_total,
    p,
    counts,
    n_hallucinations,
    partition: str = "level_sets",
    b: int | None = None,
    eps=None,
):
    r"""Miscalibration :math:`\|p^{\Pi(g)} - g\|_{TV}` of a factoid model (see the module docstring).

    ==========================  ==========================================
    symbol                      argument
    ==========================  ==========================================
    :math:`g(y),\ y \in O`      ``g_obs`` (observed facts)
    :math:`g(U)`                ``g_unseen_total`` (uniform over ``U``)
    :math:`p`                   ``p`` (true fact distribution, 0 on ``H``)
    :math:`c_i`                 ``counts`` (defines ``O`` and ``U``)
    :math:`|H|`                 ``n_hallucinations``
    :math:`\Pi`                 ``partition`` (with ``b`` or ``eps``)
    ==========================  ==========================================

    Args:
      g_obs: float[m], model probabilities of the observed facts (ignored where ``counts == 0``).
      g_unseen_total: scalar, the model's total mass on ``U``.
      p: float[m], the true fact distribution.
      counts: int[m], training counts.
      n_hallucinations: ``|H| > 0``.
      partition: ``"level_sets"`` | ``"equal_mass"`` | ``"geometric"`` (static).
      b: number of bins for ``"equal_mass"`` (static Python int >= 1).
      eps: bin ratio for ``"geometric"``, in (0, 1).

    Returns:
      scalar in [0, 1].

    References:
      Kalai & Vempala, arXiv 2311.14648 v3, Sec. 4 [reconstruction]; see the module docstring.
    """
    check_choice("partition", partition, PARTITIONS)
    check_counts("counts", counts)
    check_distribution("p", p, like=counts)
    checks.check_array("g_obs", g_obs, ndim=1)
    checks.check_shape("g_obs", g_obs, jax.numpy.shape(counts))
    checks.check_in_range("g_obs", g_obs, 0.0, 1.0)
    checks.check_probability("g_unseen_total", g_unseen_total)
    checks.check_positive("n_hallucinations", n_hallucinations)
    if partition == "equal_mass":
        if b is None:
            raise ValueError("`b` (a positive integer) is required for partition='equal_mass'.")
        b = checks.check_int("b", b, min_value=1)
    if partition == "geometric":
        if eps is None:
            raise ValueError("`eps` (in (0, 1)) is required for partition='geometric'.")
        checks.check_probability("eps", eps, open_interval=True)
    args = (g_obs, g_unseen_total, p, counts, n_hallucinations, eps)
    args = tuple(jnp.asarray(a) if isinstance(a, (list, tuple)) else a for a in args)
    return _miscalibration(*args, partition, b)


# one compiled program per (shapes, partition, b): op by op the atoms, bin keys and the two
# segment sums ran ~40 small programs
@partial(jax.jit, static_argnums=(6, 7))
def _miscalibration(g_obs, g_unseen_total, p, counts, n_hallucinations, eps, partition, b):
    sizes, vals, pmass = _atoms(g_obs, g_unseen_total, p, counts, n_hallucinations)
    keys = _bin_keys(sizes, vals, partition, b, eps)
    ids, _, _ = _dense_ids(keys)
    k = vals.shape[0]
    p_bin = jax.ops.segment_sum(pmass, ids, num_segments=k)
    s_bin = jax.ops.segment_sum(sizes, ids, num_segments=k)
    coarse = jnp.where(s_bin > 0, p_bin / jnp.where(s_bin > 0, s_bin, 1.0), 0.0)[ids]
    return 0.5 * jnp.sum(sizes * jnp.abs(coarse - vals))
