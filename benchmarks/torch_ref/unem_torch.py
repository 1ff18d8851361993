"""A plain PyTorch re-implementation of the official UNEM layer loop, used only as a benchmark reference.

This is our own code, not the official code. It follows the structure of the official forward
pass of ``U_PADDLE_EMBT_L`` (``U_Paddle_EMBT.forward`` in ``UNEM_Gaussian/src/methods/U_Paddle_embt.py``,
https://github.com/ZhouLong0/UNEM-Transductive, HEAD ``090fe65``), read for understanding:

* every tensor carries a leading task axis ``B`` (the official code evaluates a batch of tasks in one
  forward call);
* the features are scaled by ``s = softplus(t1)``; centroids start at the support means and
  ``v = log pi + 1`` starts at ``1``;
* a Python ``for`` loop over the ``L`` layers; layer ``l`` uses ``lam_l = softplus(gamma_l)`` and
  ``T_l = 1 + softplus(t2_l)`` and does, batched over tasks:

  - logits ``z.w - ||w||^2/2 - ||z||^2/2`` (batched matmul),
  - ``u = softmax_k((1/T_l) (logits + lam_l v))`` with ``v`` repeated over the query rows,
  - ``v = log(mean_q u + eps) + 1`` (``eps = 1e-6`` in the official code),
  - ``w_k = (sum_Q u_nk z_n + sum_S y_nk z_n) / (sum_Q u_nk + sum_S y_nk)`` (two einsums);

* the output is the last layer's ``u``.

Two incidental differences, both in the reference's favour and neither changing a number: the
support one-hot is built by one batched index instead of the official Python loop over tasks, and
there is no progress bar or device transfer. ``eps=0`` replaces ``log(pi + eps)`` by the lab's
guard ``log(max(pi, tiny))`` so that the loop computes exactly what
:func:`unlearnlab.fewshot.unem_forward` computes (the oracle test in
``tests/benchmarks/test_torch_unem.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["unem_forward_torch", "params_to_torch"]


def params_to_torch(params, dtype=torch.float64):
    """``(t1, gamma, t2)`` torch tensors from a lab ``UNEMParams`` (raw values, before softplus)."""
    import numpy as np

    return tuple(torch.as_tensor(np.array(p), dtype=dtype) for p in params)


def unem_forward_torch(t1, gamma, t2, z_s, y_s, z_q, n_classes: int, *, eps: float = 1e-6):
    """Batched UNEM forward pass in PyTorch (no autograd needed; call under ``torch.no_grad``).

    Args:
      t1: ``()`` raw feature-scale parameter; gamma, t2: ``(L,)`` raw per-layer parameters.
      z_s: ``(B, n_s, d)`` support features; y_s: ``(B, n_s)`` int64 labels in ``[0, K)``.
      z_q: ``(B, n_q, d)`` query features.
      n_classes: ``K``.
      eps: added to ``pi`` before the log (official: ``1e-6``); ``0`` uses ``log(max(pi, tiny))``.

    Returns:
      ``u`` of shape ``(B, n_q, K)``: the last layer's soft assignments.
    """
    scale = F.softplus(t1)
    zs = z_s * scale
    zq = z_q * scale
    n_tasks, n_query = zq.shape[0], zq.shape[1]
    onehot_s = torch.eye(n_classes, dtype=zs.dtype)[y_s]  # (B, n_s, K)
    count_s = onehot_s.sum(1)  # (B, K)
    w = onehot_s.transpose(1, 2).matmul(zs) / count_s.unsqueeze(2)  # (B, K, d) support means
    v = torch.ones(n_tasks, n_classes, dtype=zs.dtype)
    u = None
    for layer in range(gamma.shape[0]):
        lam = F.softplus(gamma[layer])
        inv_temp = 1.0 / (F.softplus(t2[layer]) + 1.0)
        # ||z||^2/2 is recomputed in every layer, as in the official loop
        logits = (
            zq.matmul(w.transpose(1, 2))
            - 0.5 * (w**2).sum(2).view(n_tasks, 1, -1)
            - 0.5 * (zq**2).sum(2).view(n_tasks, -1, 1)
        )
        prior = v.unsqueeze(1).repeat(1, n_query, 1)
        u = (inv_temp * (logits + lam * prior)).softmax(2)
        pi = u.sum(1) / n_query
        if eps > 0:
            v = torch.log(pi + eps) + 1.0
        else:
            v = torch.log(torch.clamp(pi, min=torch.finfo(pi.dtype).tiny)) + 1.0
        num = torch.einsum("bqk,bqd->bkd", u, zq) + torch.einsum("bsk,bsd->bkd", onehot_s, zs)
        den = u.sum(1) + count_s
        w = num / den.unsqueeze(2)
    return u
