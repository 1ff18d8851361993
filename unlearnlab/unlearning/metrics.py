"""Forget/retain accuracy and the loss-threshold membership-inference attack (MIA).

The MIA scores each sample by its loss: members (trained on) tend to have lower loss. Its AUC
distinguishes forgotten rows from held-out rows; after exact unlearning it matches Retrain's AUC.
The AUC and its standard error come from :mod:`unlearnlab.unlearning.audit` (Mann-Whitney statistic
with the Hanley-McNeil standard error), not redefined here.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from unlearnlab.lab.checks import check_array, check_shape

__all__ = ["accuracy", "squared_loss", "loss_threshold_mia"]


def accuracy(logits, labels, mask=None) -> jax.Array:
    """Fraction of rows whose arg-max logit equals the label (over ``mask`` if given).

    Args:
      logits: ``(n, C)``; labels: ``(n,)`` integers; mask: optional ``(n,)`` booleans.
    Returns ``nan``-free: an empty mask gives 0 (report the count alongside).
    """
    if not isinstance(logits, jax.core.Tracer):
        check_array("logits", logits, ndim=2)
        check_shape("labels", labels, (logits.shape[0],))
    hit = (jnp.argmax(logits, axis=-1) == labels).astype(jnp.result_type(float))
    if mask is None:
        return jnp.mean(hit)
    mask = mask.astype(hit.dtype)
    return jnp.sum(hit * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def squared_loss(logits, Y) -> jax.Array:
    """Per-row squared loss ``||y - logits||^2`` (the ridge objective's per-sample term)."""
    return jnp.sum((Y - logits) ** 2, axis=-1)


def loss_threshold_mia(loss_members, loss_nonmembers):
    """AUC (and its standard error) of the attack "member iff loss is small".

    Args:
      loss_members: ``(n1,)`` losses of the rows under audit (e.g. the forgotten rows).
      loss_nonmembers: ``(n0,)`` losses of held-out rows never trained on.

    Returns:
      ``(auc, se)``: 0.5 means the attack cannot tell the two apart.
    """
    from unlearnlab.unlearning.audit import auc_with_se

    check_array("loss_members", loss_members, ndim=1)
    check_array("loss_nonmembers", loss_nonmembers, ndim=1)
    # low loss = member: score with the negated loss
    return auc_with_se(-jnp.asarray(loss_members), -jnp.asarray(loss_nonmembers))
