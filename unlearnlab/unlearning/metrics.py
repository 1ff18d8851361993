"""Forget/retain accuracy and the loss-threshold membership-inference attack (MIA).

The MIA scores each sample by its loss: members (trained on) tend to have lower loss. Its AUC
distinguishes forgotten rows from held-out rows; after exact unlearning it matches Retrain's AUC.
The AUC and its standard error come from :mod:`unlearnlab.unlearning.audit` (Mann-Whitney statistic
with the Hanley-McNeil standard error), not redefined here.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import check_array, check_index, check_nonempty, check_shape

__all__ = ["accuracy", "squared_loss", "loss_threshold_mia"]


def accuracy(logits, labels, mask=None) -> jax.Array:
    """Fraction of rows whose arg-max logit equals the label (over ``mask`` if given).

    Args:
      logits: ``(n, C)``; labels: ``(n,)`` integers in ``[0, C)``; mask: optional ``(n,)`` booleans.
    Returns ``nan``-free: an empty mask gives 0 (report the count alongside).

    Raises:
      ValueError: on non-finite or empty ``logits``, ``labels`` of another length or outside
        ``[0, C)``, or a ``mask`` of another length.
    """
    if not isinstance(logits, jax.core.Tracer):
        check_array("logits", logits, ndim=2)
        check_nonempty("logits", logits)
        check_shape("labels", labels, (logits.shape[0],))
        check_index("labels", labels, logits.shape[1])
        if mask is not None:
            check_shape("mask", mask, (logits.shape[0],))
    hit = (jnp.argmax(logits, axis=-1) == labels).astype(jnp.result_type(float))
    if mask is None:
        return jnp.mean(hit)
    mask = mask.astype(hit.dtype)
    return jnp.sum(hit * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def squared_loss(logits, Y) -> jax.Array:
    """Per-row squared loss ``||y - logits||^2`` (the ridge objective's per-sample term).

    Args:
      logits: ``(n, C)`` predictions.
      Y: ``(n, C)`` targets.

    Returns:
      ``(n,)`` losses.

    Raises:
      ValueError: on non-finite or empty ``logits``, or a non-finite ``Y`` of another shape.
    """
    check_array("logits", logits, ndim=2)
    check_nonempty("logits", logits)
    check_array("Y", Y, ndim=2)
    check_shape("Y", Y, np.shape(logits))
    return jnp.sum((Y - logits) ** 2, axis=-1)


def loss_threshold_mia(loss_members, loss_nonmembers):
    """AUC (and its standard error) of the attack "member iff loss is small".

    Args:
      loss_members: ``(n1,)`` losses of the rows under audit (e.g. the forgotten rows).
      loss_nonmembers: ``(n0,)`` losses of held-out rows never trained on.

    Returns:
      ``(auc, se)``: 0.5 means the attack cannot tell the two apart.

    Raises:
      ValueError: if either loss vector is empty, non-finite or not 1-D.
    """
    from unlearnlab.unlearning.audit import auc_with_se

    check_array("loss_members", loss_members, ndim=1)
    check_array("loss_nonmembers", loss_nonmembers, ndim=1)
    check_nonempty("loss_members", loss_members)
    check_nonempty("loss_nonmembers", loss_nonmembers)
    # low loss = member: score with the negated loss
    return auc_with_se(-jnp.asarray(loss_members), -jnp.asarray(loss_nonmembers))
