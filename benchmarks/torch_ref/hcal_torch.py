"""Our PyTorch re-implementation of the official h-calibration loss loop (benchmark reference).

This is **not** the official code and not part of the library: it is the lab's own plain PyTorch
rewrite of the loop structure of ``loss/hCalib.py`` (``hcalibration`` / ``hcalib_subfunc``) in
github.com/WenjianHuang93/h-Calibration @539c7dc, written so that ``benchmarks/calibration.py`` can
time the lab's JAX :func:`unlearnlab.calibration.hcal_loss` against what a user of the official
code runs. It keeps the official structure:

- leave-one-class-out (``IsIter=True``): a Python loop over the classes :math:`k`, each sub-loss on
  the rows with label :math:`\\ne k` (boolean row selection, a fresh sort per sub-loss); pooled
  (``IsIter=False``): one sub-loss on all rows; the total is ``loss_weight`` times the mean;
- sub-loss: flatten to :math:`M` events, ``torch.sort`` (unstable by default, as in the code) by
  :math:`\\log(p+10^{-20})`, the two zero-padded box convolutions (``F.conv1d``, kernel of length
  :math:`w+1` with weights :math:`1/(w+1)`, padding :math:`w/2`) of :math:`p(1-o)` and
  :math:`(1-p)o`, their difference, :math:`|\\cdot|` as ``relu(T) + relu(-T)``, the hinge
  ``relu(T - eps)``, then the weighting;
- gradients by autograd, flowing through :math:`p` inside the window sums only (sort indices,
  groups and bin memberships are detached, as in the official code).

Deliberate differences from the official code, so that the lab's loss is reproduced with **the same
grouping** (the benchmark compares equal losses):

- ``weighting="kmeans"`` (the code's ``cluaceweighted``): faiss ``Kmeans(1, 15)`` (initial centres
  sampled from the data, training on a 256-points-per-centroid subsample) is replaced by the lab's
  deterministic 1-D Lloyd of ``unlearnlab.calibration.hcal._group_edges``: centres started at the
  sorted values of ranks :math:`\\lfloor(g+\\tfrac12)M/G\\rfloor`, 25 iterations, an event joins
  the cluster :math:`g` with :math:`\\mathrm{mid}_{g-1}<p\\le\\mathrm{mid}_g` (midpoints of sorted
  centres), an empty cluster keeps its centre, centres re-sorted after each step. Because the
  events are sorted, each Lloyd step is computed from the cluster edges (``torch.searchsorted`` of
  the midpoints into the sorted probabilities) and a float64 cumulative sum -- the same clusters at
  O(G log M) per step, so the k-means costs the reference about as little as faiss's subsampled
  training does;
- ``weighting="equal_width"`` (the code's ``aceweighted``): bin :math:`\\lfloor Gp\\rfloor` clipped
  to :math:`G-1` (the code's closed intervals put a probability that lies exactly on an edge in two
  bins);
- cluster/bin means divide by ``max(count, 1)`` (empty groups count 0), as the lab does; pass
  ``bin_eps=1e-5`` for the code's ``count + 1e-5``;
- the dtype is the input's (float32 or float64); the official code casts the convolutions to
  float32.

References: Huang et al., "h-calibration", TPAMI 2025, arXiv 2506.17968; official code
``loss/hCalib.py`` @539c7dc (read for understanding; no code copied); lab spec ``calibration.md``
§3.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

WEIGHTINGS = ("unweighted", "equal_width", "kmeans")


def _kmeans_1d_sorted(p, n_groups: int, iters: int = 25):
    """Cluster id (int64, (M,)) of each entry of the ascending, detached ``p``: the lab's Lloyd."""
    m = p.shape[0]
    p64 = p.detach().to(torch.float64)
    cs = torch.cat([p64.new_zeros(1), torch.cumsum(p64, 0)])
    q = torch.tensor([int((g + 0.5) * m / n_groups) for g in range(n_groups)], dtype=torch.int64)
    c = p64[q]
    ends = torch.tensor([m], dtype=torch.int64)
    start = torch.zeros(1, dtype=torch.int64)
    for _ in range(iters):
        mid = 0.5 * (c[:-1] + c[1:])
        edges = torch.cat([start, torch.searchsorted(p64, mid, right=True), ends])
        k = (edges[1:] - edges[:-1]).to(torch.float64)
        s = cs[edges[1:]] - cs[edges[:-1]]
        c = torch.sort(torch.where(k > 0, s / torch.clamp(k, min=1.0), c)).values
    mid = 0.5 * (c[:-1] + c[1:])
    return torch.searchsorted(mid, p64, right=False)


def _group_mean(u, g, n_groups: int, bin_eps: float):
    ind = F.one_hot(g, n_groups).t().to(u.dtype)  # (G, M), detached, as the code's Ind
    s = (u[None, :] * ind).sum(1)
    k = ind.sum(1)
    den = k + bin_eps if bin_eps > 0 else torch.clamp(k, min=1.0)
    return (s / den).mean()


def _subloss(probs, onehot, window, eps, weighting, n_groups, bin_eps, stable):
    """One sub-loss (the code's ``hcalib_subfunc``) on an (n, C) block of rows."""
    p, o = probs.flatten(), onehot.flatten()
    ind = torch.sort(torch.log(p.detach() + 1e-20), stable=stable).indices
    p, o = p[ind], o[ind]
    h = window // 2
    kern = torch.full((1, 1, window + 1), 1.0 / (window + 1), dtype=p.dtype)
    not_occ = F.conv1d(F.pad(p * (1.0 - o), (h, h))[None, None], kern).flatten()
    occ = F.conv1d(F.pad((1.0 - p) * o, (h, h))[None, None], kern).flatten()
    t = not_occ - occ
    t = F.relu(t) + F.relu(-t)
    u = F.relu(t - eps)
    if weighting == "unweighted":
        return u.mean()
    if weighting == "equal_width":
        g = torch.clamp(torch.floor(p.detach() * n_groups), 0, n_groups - 1).to(torch.int64)
    else:
        g = _kmeans_1d_sorted(p, n_groups)
    return _group_mean(u, g, n_groups, bin_eps)


def hcal_loss_torch(
    probs: torch.Tensor,
    labels: torch.Tensor,
    *,
    window: int = 200,
    eps: float = 1e-20,
    n_groups: int = 15,
    weighting: str = "kmeans",
    leave_one_class_out: bool = True,
    loss_weight: float = 1.0,
    bin_eps: float = 0.0,
    stable_sort: bool = False,
) -> torch.Tensor:
    """The h-loss, official loop structure (see the module docstring).

    Args:
      probs: (N, C) float32 or float64 tensor (``requires_grad`` for the gradient).
      labels: (N,) int64 tensor.
      window: :math:`w` (the code's ``veclen``), even. eps: hinge (the code's ``epsilon``).
      n_groups: :math:`G` (15 in the code). weighting: ``"kmeans"``, ``"equal_width"`` or
      ``"unweighted"``. leave_one_class_out: the code's ``IsIter``. loss_weight: the code's
      ``lossweight`` (1e5 there; 1 here to compare with the lab). bin_eps: 0 (lab) or 1e-5 (code).
      stable_sort: ``torch.sort(..., stable=)``; the code's default sort is not stable (events with
      equal probabilities may then be ordered differently from the lab's stable argsort).

    Returns:
      scalar tensor.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"`weighting` must be one of {WEIGHTINGS}; got {weighting!r}.")
    c = probs.shape[1]
    onehot = F.one_hot(labels, c).to(probs.dtype)
    args = (window, eps, weighting, n_groups, bin_eps, stable_sort)
    if leave_one_class_out:
        subs = []
        for k in range(c):
            keep = torch.argmax(onehot, 1) != k
            subs.append(_subloss(probs[keep], onehot[keep], *args))
    else:
        subs = [_subloss(probs, onehot, *args)]
    return torch.stack(subs).mean() * loss_weight
