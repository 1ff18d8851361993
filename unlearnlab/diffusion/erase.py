r"""Concept-erasure edits of the linear conditioning map :math:`W \mapsto W'`, and their collateral cost.

Three edits of the text-conditioning map of the Gaussian model (``gaussian.py``), each a pure function
of :math:`W`:

* ESD-style (negative guidance as a fine-tuning target; Gandikota et al. 2023, *Erasing Concepts from
  Diffusion Models*, [reconstruction]): ridge-fit the edited output of the erased prompt to
  :math:`\mu_{tgt} = W e_\varnothing - \eta (W e^* - W e_\varnothing)`;
* UCE-style (Gandikota et al. 2024, *Unified Concept Editing*, closed form [reconstruction]): map each
  erased prompt to its anchor's output while preserving a set of prompts;
* range removal: project the erased concept's output direction out of every prompt's output.

These are the models that the UnlearnDiffAtk attack (arXiv:2310.11868) targets (``attack.py``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.diffusion import _checks as ck
from unlearnlab.lab.checks import check_array, check_shape, is_traced

__all__ = ["erase_esd", "erase_uce", "erase_range", "collateral_kl", "range_removal_cost"]


def erase_esd(W, e_star, eta: float = 1.0, lam: float = 0.0, e_null=None):
    r"""ESD-style edit: ridge fit of the erased prompt's output to the negatively guided target.

    .. math::

        \mu_{tgt} = W e_\varnothing - \eta (W e^* - W e_\varnothing),\qquad
        W' = \arg\min_{V} \|V e^* - \mu_{tgt}\|^2 + \lambda \|V - W\|_F^2
           = W + \frac{(\mu_{tgt} - W e^*) e^{*\top}}{\|e^*\|^2 + \lambda}.

    With :math:`e_\varnothing = 0` and :math:`\lambda = 0`, :math:`W' e^* = -\eta W e^*`, and
    :math:`W' = W A` with :math:`A = I - (1 + \eta) e^* e^{*\top}/\|e^*\|^2` (invertible iff
    :math:`\eta \ne 0`): the prompt :math:`-e^*/\eta` regenerates the concept exactly.

    Args:
      W: conditioning map, ``(d, p)``.
      e_star: erased prompt :math:`e^*`, ``(p,)``, not zero.
      eta: negative-guidance scale :math:`\eta \ge 0`.
      lam: ridge :math:`\lambda \ge 0`.
      e_null: null prompt :math:`e_\varnothing`, ``(p,)`` (default 0).

    Returns:
      The edited map :math:`W'`, ``(d, p)``.

    Raises:
      ValueError: shapes disagree; ``e_star`` zero; ``eta`` or ``lam`` negative; NaN/inf.

    References:
      Gandikota et al. 2023 (ESD), Eq. (2) (negative guidance target) [reconstruction as a ridge fit
      of the linear map]; spec ``diffusion.md`` "Erasure edits"; ``theory/diffusion_unlearn.md``.
    """
    ck.matrix("W", W)
    d, p = np.shape(W)
    ck.vector("e_star", e_star, p)
    ck.nonzero_vector("e_star", e_star)
    ck.nonnegative("eta", eta)
    ck.nonnegative("lam", lam)
    if e_null is not None:
        ck.vector("e_null", e_null, p)
    e0 = jnp.zeros(p, jnp.asarray(W).dtype) if e_null is None else jnp.asarray(e_null)
    return _erase_esd(jnp.asarray(W), jnp.asarray(e_star), eta, lam, e0)


@jax.jit
def _erase_esd(W, e_star, eta, lam, e_null):
    base = W @ e_null
    target = base - eta * (W @ e_star - base)
    return W + jnp.outer(target - W @ e_star, e_star) / (e_star @ e_star + lam)


def erase_uce(W, E_erase, E_anchor, E_preserve, lam: float = 0.0):
    r"""UCE-style closed-form edit: erased prompts map to their anchors' outputs, others preserved.

    .. math::

        W' = \arg\min_V \sum_{i} \|V e_i - W a_i\|^2 + \sum_j \|V e_j - W e_j\|^2 + \lambda\|V - W\|_F^2
           = \bigl(W A^\top E + W P^\top P + \lambda W\bigr)
             \bigl(E^\top E + P^\top P + \lambda I\bigr)^{-1},

    with rows :math:`e_i` of :math:`E` (= ``E_erase``), :math:`a_i` of :math:`A` (= ``E_anchor``) and
    :math:`e_j` of :math:`P` (= ``E_preserve``). Since the targets lie in :math:`\mathrm{range}(W)`,
    :math:`W' = W B` for a :math:`p \times p` matrix :math:`B` (lab's observation, note Prop. 3).

    Args:
      W: conditioning map, ``(d, p)``.
      E_erase: erased prompts, ``(n_e, p)``.
      E_anchor: their anchors, ``(n_e, p)`` (rows of zeros = the null prompt).
      E_preserve: preserved prompts, ``(n_p, p)`` (may have zero rows when ``lam > 0``).
      lam: ridge :math:`\lambda \ge 0`.

    Returns:
      :math:`W'`, ``(d, p)``.

    Raises:
      ValueError: shapes disagree; ``lam < 0``; the normal matrix singular (``lam`` = 0 with fewer
        than ``p`` independent prompts); NaN/inf.

    References:
      Gandikota et al. 2024 (UCE), Eq. (6)-(7) closed form [reconstruction]; spec ``diffusion.md``.
    """
    ck.matrix("W", W)
    d, p = np.shape(W)
    ck.matrix("E_erase", E_erase, (None, p))
    ck.matrix("E_anchor", E_anchor, (np.shape(E_erase)[0], p))
    check_array("E_preserve", E_preserve, ndim=2)
    check_shape("E_preserve", E_preserve, (None, p))
    ck.nonnegative("lam", lam)
    concrete = not any(is_traced(v) for v in (E_erase, E_preserve, lam))
    ev = (
        np.linalg.eigvalsh(
            np.asarray(E_erase, float).T @ np.asarray(E_erase, float)
            + np.asarray(E_preserve, float).T @ np.asarray(E_preserve, float)
            + float(lam) * np.eye(p)
        )
        if concrete
        else np.ones(2)
    )
    if not ev[0] > 1e-12 * max(1.0, ev[-1]):
        raise ValueError(
            "`lam` must be > 0 when the erased and preserved prompts do not span R^p "
            f"(smallest eigenvalue of the normal matrix {ev[0]:.3e})."
        )
    return _erase_uce(*map(jnp.asarray, (W, E_erase, E_anchor, E_preserve)), lam)


@jax.jit
def _erase_uce(W, E, A, P, lam):
    p = W.shape[1]
    G = E.T @ E + P.T @ P + lam * jnp.eye(p, dtype=W.dtype)
    R = W @ (A.T @ E + P.T @ P + lam * jnp.eye(p, dtype=W.dtype))
    return jnp.linalg.solve(G.T, R.T).T


def erase_range(W, e_star):
    r"""Range removal: project the erased concept's output direction out of every prompt's output.

    .. math:: W' = (I - u u^\top) W,\qquad u = W e^* / \|W e^*\|.

    No prompt can then produce a mean with a component along :math:`u`; the attack's best KL is
    :math:`(u^\top(\mu^* - \mu_0))^2 / (2\sigma_0^2)` and concept :math:`j` pays the collateral
    :math:`(u^\top W e_j)^2 / (2\sigma_0^2)` (note Prop. 4).

    Args:
      W: conditioning map, ``(d, p)``.
      e_star: erased prompt, ``(p,)`` with :math:`W e^* \ne 0`.

    Returns:
      :math:`W'`, ``(d, p)``.

    Raises:
      ValueError: shapes disagree; :math:`W e^* = 0`; NaN/inf.

    References:
      Spec ``diffusion.md`` (robust reference edit) [derived]; ``theory/diffusion_unlearn.md``.
    """
    ck.matrix("W", W)
    ck.vector("e_star", e_star, np.shape(W)[1])
    if not (is_traced(W) or is_traced(e_star)):
        ck.nonzero_vector("e_star", np.asarray(W) @ np.asarray(e_star))
    return _erase_range(jnp.asarray(W), jnp.asarray(e_star))


@jax.jit
def _erase_range(W, e_star):
    w = W @ e_star
    u = w / jnp.linalg.norm(w)
    return W - jnp.outer(u, u @ W)


def collateral_kl(W_edit, W, E, sigma0):
    r"""Per-concept KL between the edited and the original model's generations.

    .. math:: KL_j = \frac{\|(W' - W) e_j\|^2}{2\sigma_0^2}
       = KL\bigl(N(\mu_0 + W'e_j, \sigma_0^2 I)\,\|\,N(\mu_0 + W e_j, \sigma_0^2 I)\bigr).

    Args:
      W_edit: edited map :math:`W'`, ``(d, p)``.
      W: original map, ``(d, p)``.
      E: prompts :math:`e_j` (rows), ``(K, p)``.
      sigma0: :math:`\sigma_0 > 0`.

    Returns:
      ``(K,)`` collateral KLs.

    Raises:
      ValueError: shapes disagree; ``sigma0 <= 0``; NaN/inf.

    References:
      Spec ``diffusion.md`` G4 [derived].
    """
    ck.matrix("W_edit", W_edit)
    ck.matrix("W", W, np.shape(W_edit))
    ck.matrix("E", E, (None, np.shape(W)[1]))
    ck.positive("sigma0", sigma0)
    return _collateral_kl(*map(jnp.asarray, (W_edit, W, E, sigma0)))


@jax.jit
def _collateral_kl(W_edit, W, E, sigma0):
    diff = E @ (W_edit - W).T
    return jnp.sum(diff**2, axis=1) / (2.0 * sigma0**2)


def range_removal_cost(W, e_star, mu_star, mu0, E, sigma0):
    r"""Closed-form price of range removal: the attack's KL floor and the collateral per concept.

    .. math::

        KL_{att} = \frac{(u^\top(\mu^* - \mu_0))^2}{2\sigma_0^2},\qquad
        KL_j = \frac{(u^\top W e_j)^2}{2\sigma_0^2},\qquad u = \frac{W e^*}{\|W e^*\|}.

    Args:
      W: original conditioning map, ``(d, p)``.
      e_star: erased prompt, ``(p,)`` with :math:`W e^* \ne 0`.
      mu_star: erased concept's mean :math:`\mu^*`, ``(d,)``.
      mu0: offset, ``(d,)``.
      E: prompts :math:`e_j` (rows), ``(K, p)``.
      sigma0: :math:`\sigma_0 > 0`.

    Returns:
      ``(floor, collateral)``: the scalar attack floor and ``(K,)`` collateral KLs.

    Raises:
      ValueError: shapes disagree; :math:`W e^* = 0`; ``sigma0 <= 0``; NaN/inf.

    References:
      Spec ``diffusion.md`` G2, G4 [derived]; note Prop. 4.
    """
    ck.matrix("W", W)
    d, p = np.shape(W)
    ck.vector("e_star", e_star, p)
    if not (is_traced(W) or is_traced(e_star)):
        ck.nonzero_vector("e_star", np.asarray(W) @ np.asarray(e_star))
    ck.vector("mu_star", mu_star, d)
    ck.vector("mu0", mu0, d)
    ck.matrix("E", E, (None, p))
    ck.positive("sigma0", sigma0)
    return _range_removal_cost(*map(jnp.asarray, (W, e_star, mu_star, mu0, E, sigma0)))


@jax.jit
def _range_removal_cost(W, e_star, mu_star, mu0, E, sigma0):
    w = W @ e_star
    u = w / jnp.linalg.norm(w)
    floor = (u @ (mu_star - mu0)) ** 2 / (2.0 * sigma0**2)
    return floor, (E @ (W.T @ u)) ** 2 / (2.0 * sigma0**2)
