r"""UnUnlearning: in-context re-acquisition of unlearned knowledge by a linear self-attention model.

Shumailov, Hayes, Triantafillou, Ortiz-Jimenez, Papernot, Jagielski, Yona, Howard, Bagdasaryan,
*UnUnlearning: Unlearning is not sufficient for content regulation in advanced generative AI*,
arXiv 2407.00106 (a position paper: its claim is that knowledge removed at training time can be
re-introduced in context, so even exact unlearning does not regulate what a model does at inference).

The analyzable core is the lab's [derived] model (``theory/ununlearning_icl.md``): in-context linear
regression with a reduced one-layer linear self-attention (LSA) predictor plus a bias ``b`` that
stores memorised knowledge,

.. math::

    f_{b,\Gamma}(C, x_q) = x_q^\top (b + \Gamma h), \qquad h = \frac1k \sum_{i=1}^k x_i y_i,

(the reduction of Ahn et al. 2023 and Zhang, Frei, Bartlett 2023 [secondary]), with tasks
``x ~ N(0, Sigma)``, ``y = w^T x + xi``, ``xi ~ N(0, sigma2)`` and a pretraining task law
``w ~ (1 - p) N(0, Sigma_w) + p delta_{w_f}``. Everything here is closed form: the population
optimum, the k-shot risk on a fixed task, the fact- and skill-level unlearning operators (edits of
the pretraining task law), and the exact lower bound on the risk of a skill-unlearned model.

Symbols -> arguments: ``Sigma`` input covariance, ``m_w``/``Omega`` first/second task moments,
``k`` number of shots, ``sigma2`` label noise variance, ``b``/``Gamma`` the LSA parameters,
``w_f`` the impermissible fact, ``u`` the removed skill direction, ``P`` the projector onto
``u^perp``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    check_sym_matrix,
    is_traced,
)

__all__ = [
    "task_moments",
    "unlearn_fact",
    "unlearn_skill",
    "skill_projector",
    "lsa_optimum",
    "lsa_population_loss",
    "lsa_risk",
    "lsa_optimal_risk",
    "lsa_predict",
    "mixture_task_sampler",
    "sample_prompts",
    "lsa_mc_risk",
    "lsa_least_squares",
    "train_lsa",
    "skill_lower_bound",
    "shots_to_reacquire",
]


# --------------------------------------------------------------------------- validation helpers


def _dim(name, v, d):
    check_array(name, v, ndim=1)
    if np.shape(v)[0] != d:
        raise ValueError(f"`{name}` must have shape ({d},); got {np.shape(v)}.")


def _square(name, M, d=None, definite="psd"):
    check_sym_matrix(name, M, definite=definite)
    if d is not None and np.shape(M) != (d, d):
        raise ValueError(f"`{name}` must have shape ({d}, {d}); got {np.shape(M)}.")
    return np.shape(M)[0]


def _mat(name, M, shape):
    check_array(name, M, ndim=2)
    if tuple(np.shape(M)) != tuple(shape):
        raise ValueError(f"`{name}` must have shape {tuple(shape)}; got {np.shape(M)}.")


def _shots(name, k, min_value=1):
    if is_traced(k):
        return k
    return check_int(name, k, min_value=min_value)


def _moments(Sigma, m_w, Omega):
    d = _square("Sigma", Sigma, definite="pd")
    _dim("m_w", m_w, d)
    _square("Omega", Omega, d)
    if not (is_traced(Omega) or is_traced(m_w)):
        C = np.asarray(Omega) - np.outer(m_w, m_w)
        lo = float(np.linalg.eigvalsh(0.5 * (C + C.T))[0])
        if lo < -1e-9 * max(1.0, float(np.max(np.abs(C)))):
            raise ValueError(
                "`Omega` must dominate `m_w m_w^T` (Omega - m_w m_w^T is the task covariance and "
                f"must be PSD); smallest eigenvalue {lo:.3e}."
            )
    return d


def _noise(sigma2, Sigma=None, Omega=None):
    check_nonnegative("sigma2", sigma2)
    if not is_traced(sigma2) and float(sigma2) == 0.0 and Omega is not None:
        if not is_traced(Omega) and float(np.trace(np.asarray(Omega) @ np.asarray(Sigma))) <= 0:
            raise ValueError("`sigma2` must be > 0 when the tasks are all zero (Omega = 0).")


# --------------------------------------------------------------------------- task law


def task_moments(p, w_f, Sigma_w):
    r"""First and second moments of the pretraining task law ``(1-p) N(0, Sigma_w) + p delta_{w_f}``.

    .. math::

        m_w = p\, w_f, \qquad \Omega = \mathbb E[w w^\top] = (1-p)\Sigma_w + p\, w_f w_f^\top.

    Args:
      p: probability ``p in [0, 1]`` of the fact task.
      w_f: ``(d,)`` the impermissible fact ``w_f``.
      Sigma_w: ``(d, d)`` PSD covariance of the ordinary tasks.

    Returns:
      ``(m_w (d,), Omega (d, d))``.

    Raises:
      ValueError: ``p`` outside ``[0, 1]``, ``w_f``/``Sigma_w`` of the wrong shape, not finite, or
        ``Sigma_w`` not symmetric PSD.

    References:
      spec ``unlearning-attacks.md`` sec. 3.2 (the task law) [derived].
    """
    check_probability("p", p)
    d = _square("Sigma_w", Sigma_w)
    _dim("w_f", w_f, d)
    return _task_moments(p, jnp.asarray(w_f), jnp.asarray(Sigma_w))


@jax.jit
def _task_moments(p, w_f, Sigma_w):
    return p * w_f, (1.0 - p) * Sigma_w + p * jnp.outer(w_f, w_f)


def unlearn_fact(w_f, Sigma_w):
    r"""Fact-level (exact) unlearning: the task law retrained without the fact, ``p = 0``.

    The exactly unlearned model is the population optimum for the moments returned here,
    ``m_w = 0``, ``Omega = Sigma_w`` (retraining on the same pretraining law with the fact removed).

    Args:
      w_f: ``(d,)`` the fact that is removed (only its shape is used: exact unlearning leaves
        no trace of it).
      Sigma_w: ``(d, d)`` PSD covariance of the ordinary tasks.

    Returns:
      ``(m_w (d,), Omega (d, d))`` of the unlearned task law.

    Raises:
      ValueError: shapes or values as in :func:`task_moments`.

    References:
      spec ``unlearning-attacks.md`` sec. 3.2, "Exactly unlearned" [derived].
    """
    return task_moments(0.0, w_f, Sigma_w)


def skill_projector(u):
    r"""Orthogonal projector onto ``u^perp``: :math:`P = I - u u^\top / \|u\|^2`.

    Args:
      u: ``(d,)`` non-zero skill direction.

    Returns:
      ``(d, d)`` symmetric idempotent ``P`` with ``P u = 0``.

    Raises:
      ValueError: ``u`` not a finite non-zero vector.
    """
    check_array("u", u, ndim=1)
    if np.shape(u)[0] < 1:
        raise ValueError(f"`u` must be non-empty; got shape {np.shape(u)}.")
    if not is_traced(u) and not float(np.linalg.norm(np.asarray(u))) > 0:
        raise ValueError("`u` must be non-zero.")
    return _projector(jnp.asarray(u))


@jax.jit
def _projector(u):
    return jnp.eye(u.shape[0], dtype=u.dtype) - jnp.outer(u, u) / jnp.dot(u, u)


def unlearn_skill(p, w_f, Sigma_w, u):
    r"""Skill-level unlearning: no pretraining task ever uses the direction ``u``.

    The task law is edited by the projector :math:`P` onto ``u^perp`` (:func:`skill_projector`):
    ``Sigma_w -> P Sigma_w P`` and ``w_f -> P w_f``, so every training task lies in ``u^perp`` and

    .. math::

        m_w = p P w_f, \qquad \Omega = (1-p) P\Sigma_w P + p\, P w_f w_f^\top P .

    Args:
      p: fact probability ``p in [0, 1]``.
      w_f: ``(d,)`` the fact.
      Sigma_w: ``(d, d)`` PSD task covariance.
      u: ``(d,)`` non-zero direction of the removed skill.

    Returns:
      ``(m_w (d,), Omega (d, d))`` of the skill-unlearned task law.

    Raises:
      ValueError: as :func:`task_moments`, or ``u`` zero / of the wrong shape.

    References:
      spec ``unlearning-attacks.md`` sec. 3.2, "Skill-unlearned" [derived].
    """
    check_probability("p", p)
    d = _square("Sigma_w", Sigma_w)
    _dim("w_f", w_f, d)
    _dim("u", u, d)
    P = skill_projector(u)
    return _task_moments(p, P @ jnp.asarray(w_f), P @ jnp.asarray(Sigma_w) @ P)


# --------------------------------------------------------------------------- closed forms


def _M(Sigma, Omega, k, sigma2):
    kk = jnp.asarray(k, Sigma.dtype)
    return (1.0 + 1.0 / kk) * Sigma @ Omega @ Sigma + (
        jnp.trace(Omega @ Sigma) + sigma2
    ) / kk * Sigma


@jax.jit
def _lsa_optimum(Sigma, m_w, Omega, k, sigma2):
    C_w = Omega - jnp.outer(m_w, m_w)
    Sm = Sigma @ m_w
    A = _M(Sigma, Omega, k, sigma2) - jnp.outer(Sm, Sm)
    A = 0.5 * (A + A.T)
    Gamma = jnp.linalg.solve(A, Sigma @ C_w).T  # C_w Sigma A^{-1} (A symmetric)
    b = m_w - Gamma @ Sm
    return b, Gamma


def lsa_optimum(Sigma, m_w, Omega, k, sigma2):
    r"""Population-optimal LSA parameters ``(b*, Gamma*)`` for ``k``-shot prompts.

    With :math:`C_w = \Omega - m_w m_w^\top` and
    :math:`M(\Omega) = (1+\tfrac1k)\Sigma\Omega\Sigma + \tfrac1k(\operatorname{tr}(\Omega\Sigma)+\sigma^2)\Sigma`
    (the second moment of ``h``),

    .. math::

        \Gamma^* = C_w \Sigma\,(M(\Omega) - \Sigma m_w m_w^\top \Sigma)^{-1}, \qquad
        b^* = (I - \Gamma^*\Sigma)\, m_w .

    For ``p = 0`` this is ``b* = 0``, ``Gamma* = Sigma_w Sigma M(Sigma_w)^{-1}``. The inverted
    matrix is ``Sigma C_w Sigma + (1/k)[Sigma Omega Sigma + (tr(Omega Sigma) + sigma2) Sigma]``,
    positive definite when ``sigma2 > 0`` or ``Omega != 0``.

    Args:
      Sigma: ``(d, d)`` positive definite input covariance.
      m_w: ``(d,)`` task mean.
      Omega: ``(d, d)`` task second moment, ``Omega - m_w m_w^T`` PSD.
      k: number of shots, an integer ``>= 1``.
      sigma2: label noise variance ``>= 0``.

    Returns:
      ``(b (d,), Gamma (d, d))``.

    Raises:
      ValueError: ``k < 1``, ``sigma2 < 0``, shapes, non-finite or non-PSD moments.

    References:
      spec ``unlearning-attacks.md`` sec. 3.2, claim U1 [derived]; proof in
      ``theory/ununlearning_icl.md``.
    """
    d = _moments(Sigma, m_w, Omega)
    k = _shots("k", k)
    _noise(sigma2, Sigma, Omega)
    del d
    return _lsa_optimum(jnp.asarray(Sigma), jnp.asarray(m_w), jnp.asarray(Omega), k, sigma2)


@jax.jit
def _population_loss(b, Gamma, Sigma, m_w, Omega, k, sigma2):
    M = _M(Sigma, Omega, k, sigma2)
    GS = Gamma @ Sigma
    return (
        sigma2
        + b @ Sigma @ b
        + 2.0 * b @ Sigma @ (GS @ m_w - m_w)
        + jnp.trace(Sigma @ Gamma @ M @ Gamma.T)
        - 2.0 * jnp.trace(Sigma @ GS @ Omega)
        + jnp.trace(Sigma @ Omega)
    )


def _params(b, Gamma, d=None):
    check_array("b", b, ndim=1)
    if np.shape(b)[0] < 1:
        raise ValueError(f"`b` must be non-empty; got shape {np.shape(b)}.")
    dd = np.shape(b)[0] if d is None else d
    _dim("b", b, dd)
    _mat("Gamma", Gamma, (dd, dd))
    return dd


def lsa_population_loss(b, Gamma, Sigma, m_w, Omega, k, sigma2):
    r"""Population ``k``-shot squared loss of the LSA predictor, in closed form.

    .. math::

        L(b,\Gamma) = \sigma^2 + b^\top\Sigma b + 2 b^\top\Sigma(\Gamma\Sigma m_w - m_w)
        + \operatorname{tr}(\Sigma\Gamma M(\Omega)\Gamma^\top)
        - 2\operatorname{tr}(\Sigma\Gamma\Sigma\Omega) + \operatorname{tr}(\Sigma\Omega).

    Args:
      b: ``(d,)``; Gamma: ``(d, d)``; Sigma, m_w, Omega, k, sigma2: as in :func:`lsa_optimum`.

    Returns:
      Scalar population loss (the average of :func:`lsa_risk` over the task law).

    Raises:
      ValueError: as :func:`lsa_optimum`, or ``b``/``Gamma`` of the wrong shape.

    References:
      spec ``unlearning-attacks.md`` sec. 3.2 [derived].
    """
    d = _moments(Sigma, m_w, Omega)
    _params(b, Gamma, d)
    k = _shots("k", k)
    check_nonnegative("sigma2", sigma2)
    return _population_loss(
        jnp.asarray(b),
        jnp.asarray(Gamma),
        jnp.asarray(Sigma),
        jnp.asarray(m_w),
        jnp.asarray(Omega),
        k,
        sigma2,
    )


@jax.jit
def _risk(b, Gamma, w, Sigma, k, sigma2):
    kk = jnp.asarray(k, Sigma.dtype)
    Sw = Sigma @ w
    m = b + Gamma @ Sw - w
    cov = jnp.outer(Sw, Sw) + (w @ Sw + sigma2) * Sigma  # Cov(x y | w)
    var = jnp.trace(Sigma @ Gamma @ cov @ Gamma.T) / jnp.maximum(kk, 1.0)
    zero_shot = sigma2 + (b - w) @ Sigma @ (b - w)
    return jnp.where(kk > 0, sigma2 + m @ Sigma @ m + var, zero_shot)


def lsa_risk(b, Gamma, w, Sigma, k, sigma2):
    r"""Exact ``k``-shot risk of the LSA predictor on a fixed task ``w``.

    With :math:`m = b + \Gamma\Sigma w - w`,

    .. math::

        R_k(w) = \sigma^2 + m^\top\Sigma m + \frac1k \operatorname{tr}\bigl(\Sigma\Gamma
        [\Sigma w w^\top\Sigma + (w^\top\Sigma w + \sigma^2)\Sigma]\Gamma^\top\bigr),

    and for ``k = 0`` (empty context, ``h = 0``) :math:`R_0(w) = \sigma^2 + (b-w)^\top\Sigma(b-w)`.

    Args:
      b: ``(d,)``; Gamma: ``(d, d)``; w: ``(d,)`` the task; Sigma: ``(d, d)`` positive definite;
      k: shots, integer ``>= 0``; sigma2: noise variance ``>= 0``.

    Returns:
      Scalar risk ``E[(f(C, x_q) - y_q)^2 | w]``.

    Raises:
      ValueError: ``k < 0``, ``sigma2 < 0``, wrong shapes or non-finite inputs.

    References:
      spec ``unlearning-attacks.md`` sec. 3.2, claim U2 [derived].
    """
    d = _square("Sigma", Sigma, definite="pd")
    _params(b, Gamma, d)
    _dim("w", w, d)
    k = _shots("k", k, min_value=0)
    check_nonnegative("sigma2", sigma2)
    return _risk(jnp.asarray(b), jnp.asarray(Gamma), jnp.asarray(w), jnp.asarray(Sigma), k, sigma2)


@jax.jit
def _optimal_risk(Sigma, m_w, Omega, w, ks, sigma2):
    def one(k):
        b, G = _lsa_optimum(Sigma, m_w, Omega, k, sigma2)
        return _risk(b, G, w, Sigma, k, sigma2)

    return jax.vmap(one)(ks)


def _ks(ks, min_value=1):
    check_array("ks", ks, ndim=1, finite=False)
    a = np.asarray(ks)
    if a.size < 1:
        raise ValueError("`ks` must be non-empty.")
    if a.dtype.kind not in "iu":
        raise ValueError(f"`ks` must hold integers; got dtype {a.dtype}.")
    if a.min() < min_value:
        raise ValueError(f"`ks` must be >= {min_value}; got {a.min()}.")
    return jnp.asarray(a)


def lsa_optimal_risk(Sigma, m_w, Omega, w, ks, sigma2):
    r"""``R_k(w)`` of the population-optimal LSA trained for each prompt length ``k`` in ``ks``.

    The model evaluated with ``k`` shots is the optimum :func:`lsa_optimum` for ``k``-shot prompts
    (the usual ICL-theory convention: train and test at the same prompt length). For the exactly
    unlearned law (``m_w = 0``, ``Omega = Sigma_w`` positive definite) the lab's derived claim U3 is
    :math:`R_k(w_f) - \sigma^2 = \Theta(1/k)`: the fact comes back from the context.

    Args:
      Sigma, m_w, Omega, sigma2: as :func:`lsa_optimum`; w: ``(d,)`` the evaluation task;
      ks: ``(K,)`` integer shot counts ``>= 1``.

    Returns:
      ``(K,)`` risks.

    Raises:
      ValueError: any ``k < 1``, shapes, or the checks of :func:`lsa_optimum`.

    References:
      spec ``unlearning-attacks.md`` sec. 3.2, claim U3 [derived].
    """
    d = _moments(Sigma, m_w, Omega)
    _dim("w", w, d)
    ks = _ks(ks)
    _noise(sigma2, Sigma, Omega)
    return _optimal_risk(
        jnp.asarray(Sigma), jnp.asarray(m_w), jnp.asarray(Omega), jnp.asarray(w), ks, sigma2
    )


def shots_to_reacquire(Sigma, m_w, Omega, w_f, sigma2, eps, k_max):
    r"""Shots needed to re-acquire the fact in context (claim U5, reported).

    .. math::

        k^*(\varepsilon) = \min\{k \ge 1 : R_k(w_f) - \sigma^2 \le \varepsilon\, w_f^\top\Sigma w_f\},

    with ``R_k`` the risk of the ``k``-shot optimum (:func:`lsa_optimal_risk`), searched over
    ``k = 1..k_max``; ``k_max + 1`` means "not within ``k_max`` shots".

    Args:
      Sigma, m_w, Omega, sigma2: the (unlearned) model's task law, as in :func:`lsa_optimum`.
      w_f: ``(d,)`` non-zero fact.
      eps: relative excess-risk target, ``eps > 0``.
      k_max: largest shot count searched, integer ``>= 1``.

    Returns:
      Integer scalar ``k*``.

    Raises:
      ValueError: ``eps <= 0``, ``k_max < 1``, ``w_f = 0``, or the checks of :func:`lsa_optimum`.

    References:
      spec ``unlearning-attacks.md`` sec. 3.2, claim U5 [derived].
    """
    d = _moments(Sigma, m_w, Omega)
    _dim("w_f", w_f, d)
    if not is_traced(w_f) and not float(np.linalg.norm(np.asarray(w_f))) > 0:
        raise ValueError("`w_f` must be non-zero.")
    check_positive("eps", eps)
    k_max = check_int("k_max", k_max, min_value=1)
    _noise(sigma2, Sigma, Omega)
    ks = jnp.arange(1, k_max + 1)
    w_f = jnp.asarray(w_f)
    Sigma = jnp.asarray(Sigma)
    R = _optimal_risk(Sigma, jnp.asarray(m_w), jnp.asarray(Omega), w_f, ks, sigma2)
    ok = R - sigma2 <= eps * (w_f @ Sigma @ w_f)
    return jnp.where(jnp.any(ok), ks[jnp.argmax(ok)], k_max + 1)


def skill_lower_bound(Sigma, P, u, sigma2):
    r"""Exact lower bound on the ``k``-shot risk at the removed skill ``u`` (claim U4).

    If every pretraining task lies in ``u^perp = range(P)``, the optimal ``Gamma*`` and ``b*`` map
    into ``range(P)``, so for every ``k`` and every context the prediction vector
    ``v = b + Gamma h`` lies in ``range(P)`` and

    .. math::

        R(u) \ge \sigma^2 + \min_{v \in \operatorname{range}P}(v-u)^\top\Sigma(v-u)
        = \sigma^2 + u^\top\Sigma u - u^\top\Sigma P (P\Sigma P)^{+} P\Sigma u .

    It equals the null risk ``sigma2 + u^T Sigma u`` when ``Sigma`` does not couple ``u`` with
    ``u^perp`` (``P Sigma u = 0``).

    Args:
      Sigma: ``(d, d)`` positive definite input covariance.
      P: ``(d, d)`` orthogonal projector (symmetric, idempotent) onto the directions the model
        may use.
      u: ``(d,)`` the removed skill (a task).
      sigma2: noise variance ``>= 0``.

    Returns:
      Scalar bound.

    Raises:
      ValueError: ``P`` not a symmetric idempotent of the right shape, or the usual shape/finite
        checks.

    References:
      spec ``unlearning-attacks.md`` sec. 3.2, claim U4 [derived]; proof in
      ``theory/ununlearning_icl.md``.
    """
    d = _square("Sigma", Sigma, definite="pd")
    _square("P", P, d)
    if not is_traced(P):
        Pn = np.asarray(P)
        if not np.allclose(Pn @ Pn, Pn, atol=1e-8):
            raise ValueError("`P` must be a projector (P @ P == P).")
    _dim("u", u, d)
    check_nonnegative("sigma2", sigma2)
    return _skill_bound(jnp.asarray(Sigma), jnp.asarray(P), jnp.asarray(u), sigma2)


@jax.jit
def _skill_bound(Sigma, P, u, sigma2):
    PSP = P @ Sigma @ P
    v = P @ Sigma @ u
    return sigma2 + u @ Sigma @ u - v @ jnp.linalg.pinv(PSP, hermitian=True) @ v


# --------------------------------------------------------------------------- Monte Carlo


def lsa_predict(b, Gamma, X_ctx, y_ctx, x_q):
    r"""LSA prediction on one prompt: :math:`x_q^\top(b + \Gamma h)`, :math:`h = \frac1k\sum_i x_i y_i`.

    Batch with ``jax.vmap(lsa_predict, in_axes=(None, None, 0, 0, 0))``.

    Args:
      b: ``(d,)``; Gamma: ``(d, d)``; X_ctx: ``(k, d)`` context inputs (``k >= 1``);
      y_ctx: ``(k,)`` context labels; x_q: ``(d,)`` query.

    Returns:
      Scalar prediction.

    Raises:
      ValueError: wrong shapes, an empty context, non-finite inputs.

    References:
      Ahn et al. 2023; Zhang, Frei, Bartlett 2023 (reduced LSA) [secondary].
    """
    d = _params(b, Gamma)
    check_array("X_ctx", X_ctx, ndim=2)
    k = np.shape(X_ctx)[0]
    if k < 1 or np.shape(X_ctx)[1] != d:
        raise ValueError(f"`X_ctx` must have shape (k >= 1, {d}); got {np.shape(X_ctx)}.")
    _dim("y_ctx", y_ctx, k)
    _dim("x_q", x_q, d)
    return _predict(b, Gamma, X_ctx, y_ctx, x_q)


@jax.jit
def _predict(b, Gamma, X_ctx, y_ctx, x_q):
    h = X_ctx.T @ y_ctx / X_ctx.shape[0]
    return x_q @ (b + Gamma @ h)


def mixture_task_sampler(p, w_f, Sigma_w) -> Callable:
    r"""Sampler ``key -> w`` of the pretraining law ``(1-p) N(0, Sigma_w) + p delta_{w_f}``.

    Args:
      p: fact probability in ``[0, 1]``; w_f: ``(d,)``; Sigma_w: ``(d, d)`` PSD.

    Returns:
      A pure function ``task(key) -> (d,)``, usable under ``jit``/``vmap``.

    Raises:
      ValueError: as :func:`task_moments`.
    """
    check_probability("p", p)
    d = _square("Sigma_w", Sigma_w)
    _dim("w_f", w_f, d)
    w_f = jnp.asarray(w_f)
    ev, V = jnp.linalg.eigh(jnp.asarray(Sigma_w))
    L = V * jnp.sqrt(jnp.clip(ev, 0.0))[None, :]

    def task(key):
        kb, kz = jax.random.split(key)
        z = L @ jax.random.normal(kz, (d,), L.dtype)
        return jnp.where(jax.random.bernoulli(kb, p), w_f, z)

    return task


def _chol(Sigma):
    return jnp.linalg.cholesky(jnp.asarray(Sigma))


def _sample(key, n, k, L, task, sigma2):
    d = L.shape[0]
    kw, kx, ke, kq, kn = jax.random.split(key, 5)
    w = jax.vmap(task)(jax.random.split(kw, n))
    X = jax.random.normal(kx, (n, k, d), L.dtype) @ L.T
    y = jnp.einsum("nkd,nd->nk", X, w) + jnp.sqrt(sigma2) * jax.random.normal(ke, (n, k), L.dtype)
    xq = jax.random.normal(kq, (n, d), L.dtype) @ L.T
    yq = jnp.sum(xq * w, axis=1) + jnp.sqrt(sigma2) * jax.random.normal(kn, (n,), L.dtype)
    return {"X": X, "y": y, "x_q": xq, "y_q": yq, "w": w}


def sample_prompts(key, n, k, Sigma, task_sampler, sigma2):
    r"""``n`` independent ``k``-shot prompts (vmapped): ``x ~ N(0, Sigma)``, ``y = w^T x + xi``.

    Args:
      key: PRNG key.
      n: number of prompts, integer ``>= 1``.
      k: shots per prompt, integer ``>= 1``.
      Sigma: ``(d, d)`` positive definite.
      task_sampler: ``key -> (d,)`` task sampler (e.g. :func:`mixture_task_sampler`, or
        ``lambda key: w`` for a fixed task).
      sigma2: noise variance ``>= 0``.

    Returns:
      ``{"X": (n, k, d), "y": (n, k), "x_q": (n, d), "y_q": (n,), "w": (n, d)}``.

    Raises:
      ValueError: ``n < 1``, ``k < 1``, ``sigma2 < 0``, ``Sigma`` not positive definite,
        ``task_sampler`` not callable.
    """
    n = check_int("n", n, min_value=1)
    k = check_int("k", k, min_value=1)
    _square("Sigma", Sigma, definite="pd")
    check_nonnegative("sigma2", sigma2)
    if not callable(task_sampler):
        raise ValueError("`task_sampler` must be callable (key -> task vector).")
    try:
        hash(task_sampler)
    except TypeError:  # cannot be a static argument: run op by op as before
        return _sample(key, n, k, _chol(Sigma), task_sampler, sigma2)
    # one compiled program per (n, k, task_sampler); the sampler is traced by vmap anyway, so
    # tracing it under jit asks nothing more of it (op by op a draw is ~20 programs)
    return _sample_prompts(key, n, k, Sigma, task_sampler, sigma2)


@partial(jax.jit, static_argnums=(1, 2, 4))
def _sample_prompts(key, n, k, Sigma, task_sampler, sigma2):
    return _sample(key, n, k, _chol(Sigma), task_sampler, sigma2)


@partial(jax.jit, static_argnames=("n_batches", "batch", "k"))
def _mc_risk(key, b, Gamma, w, L, k, sigma2, n_batches, batch):
    def one(kk):
        s = _sample(kk, batch, k, L, lambda _: w, sigma2)
        pred = jax.vmap(_predict, in_axes=(None, None, 0, 0, 0))(b, Gamma, s["X"], s["y"], s["x_q"])
        e = (pred - s["y_q"]) ** 2
        return jnp.sum(e), jnp.sum(e**2)

    s1, s2 = jax.lax.map(one, jax.random.split(key, n_batches))
    N = n_batches * batch
    mean = jnp.sum(s1) / N
    var = (jnp.sum(s2) / N - mean**2) * N / (N - 1)
    return mean, jnp.sqrt(var / N)


def lsa_mc_risk(key, b, Gamma, w, Sigma, k, sigma2, n):
    r"""Monte Carlo estimate of the ``k``-shot risk on the fixed task ``w`` (for claim U2).

    Draws prompts in chunks (``lax.map`` over vmapped batches of at most ``2**21 / (k d)`` prompts
    each, so long contexts fit in memory) and returns the mean squared error and its standard error.
    The number of prompts used is ``n`` rounded down to a multiple of the chunk size (at least one
    chunk).

    Args:
      key: PRNG key.
      b: ``(d,)``.
      Gamma: ``(d, d)``.
      w: ``(d,)`` task.
      Sigma: ``(d, d)`` positive definite.
      k: shots ``>= 1``.
      sigma2: ``>= 0``.
      n: prompts ``>= 2``.

    Returns:
      ``(mean, se)`` scalars.

    Raises:
      ValueError: ``k < 1``, ``n < 2``, shapes, non-finite inputs.
    """
    d = _square("Sigma", Sigma, definite="pd")
    _params(b, Gamma, d)
    _dim("w", w, d)
    k = check_int("k", k, min_value=1)
    n = check_int("n", n, min_value=2)
    check_nonnegative("sigma2", sigma2)
    n_batches = max(1, -(-n * k * d // 2**21))
    batch = max(2, n // n_batches)
    return _mc_risk(
        key,
        jnp.asarray(b),
        jnp.asarray(Gamma),
        jnp.asarray(w),
        _chol(Sigma),
        k,
        sigma2,
        n_batches,
        batch,
    )


@jax.jit
def _least_squares(X, y, xq, yq):
    n, k, d = X.shape
    h = jnp.einsum("nkd,nk->nd", X, y) / k
    feats = jnp.concatenate([xq, (xq[:, :, None] * h[:, None, :]).reshape(n, d * d)], axis=1)
    G = feats.T @ feats
    theta = jnp.linalg.solve(G, feats.T @ yq)
    return theta[:d], theta[d:].reshape(d, d)


def lsa_least_squares(X_ctx, y_ctx, x_q, y_q):
    r"""Empirical least-squares LSA fit on sampled prompts (the Monte Carlo check of claim U1).

    The predictor is linear in ``(b, Gamma)``: :math:`x_q^\top b + \langle x_q h^\top, \Gamma\rangle`,
    so minimising the empirical squared loss is ordinary least squares on the ``d + d^2`` features
    ``[x_q, vec(x_q h^T)]``.

    Args:
      X_ctx: ``(n, k, d)``; y_ctx: ``(n, k)``; x_q: ``(n, d)``; y_q: ``(n,)`` (as returned by
        :func:`sample_prompts`), with ``n >= d + d^2``.

    Returns:
      ``(b (d,), Gamma (d, d))``.

    Raises:
      ValueError: inconsistent shapes, too few prompts, non-finite inputs.
    """
    check_array("X_ctx", X_ctx, ndim=3)
    n, k, d = np.shape(X_ctx)
    if k < 1 or d < 1:
        raise ValueError(f"`X_ctx` must have shape (n, k >= 1, d >= 1); got {np.shape(X_ctx)}.")
    if n < d + d * d:
        raise ValueError(f"`X_ctx` must hold at least d + d^2 = {d + d * d} prompts; got {n}.")
    _mat("y_ctx", y_ctx, (n, k))
    _mat("x_q", x_q, (n, d))
    _dim("y_q", y_q, n)
    return _least_squares(
        jnp.asarray(X_ctx), jnp.asarray(y_ctx), jnp.asarray(x_q), jnp.asarray(y_q)
    )


@partial(jax.jit, static_argnames=("k", "steps", "batch", "d"))
def _train(key, L, p, w_f, Lw, k, sigma2, steps, batch, lr, d):
    def task(kk):
        kb, kz = jax.random.split(kk)
        return jnp.where(
            jax.random.bernoulli(kb, p), w_f, Lw @ jax.random.normal(kz, (d,), L.dtype)
        )

    sched = optax.cosine_decay_schedule(lr, steps, alpha=1e-3)
    opt = optax.adam(sched)
    params = (jnp.zeros(d, L.dtype), jnp.zeros((d, d), L.dtype))

    def loss(prm, s):
        b, G = prm
        pred = jax.vmap(_predict, in_axes=(None, None, 0, 0, 0))(b, G, s["X"], s["y"], s["x_q"])
        return jnp.mean((pred - s["y_q"]) ** 2)

    def step(carry, kk):
        prm, st = carry
        s = _sample(kk, batch, k, L, task, sigma2)
        val, g = jax.value_and_grad(loss)(prm, s)
        upd, st = opt.update(g, st, prm)
        return (optax.apply_updates(prm, upd), st), val

    (params, _), losses = jax.lax.scan(
        step, (params, opt.init(params)), jax.random.split(key, steps)
    )
    return params[0], params[1], losses


def train_lsa(key, Sigma, p, w_f, Sigma_w, k, sigma2, steps=3000, batch=512, lr=0.02):
    r"""Train the LSA ``(b, Gamma)`` by Adam on freshly sampled ``k``-shot prompts (``lax.scan``).

    Each step draws ``batch`` prompts from the mixture task law (:func:`mixture_task_sampler`) and
    takes one Adam step (cosine-decayed learning rate from ``lr``) on the mean squared error, from
    ``b = 0``, ``Gamma = 0``. Its limit is the population optimum :func:`lsa_optimum` (claim U1).

    Args:
      key: PRNG key.
      Sigma: ``(d, d)`` positive definite.
      p, w_f, Sigma_w: the task law.
      k: shots ``>= 1``.
      sigma2: ``>= 0``.
      steps: Adam steps ``>= 1``.
      batch: prompts per step ``>= 1``.
      lr: peak learning rate ``> 0``.

    Returns:
      ``(b (d,), Gamma (d, d), losses (steps,))``.

    Raises:
      ValueError: bad sizes (``k``, ``steps``, ``batch`` < 1), ``lr <= 0``, or the checks of
        :func:`task_moments`.

    References:
      optax Adam (Kingma and Ba 2015); spec ``unlearning-attacks.md`` sec. 3.2, claim U1.
    """
    d = _square("Sigma", Sigma, definite="pd")
    check_probability("p", p)
    _square("Sigma_w", Sigma_w, d)
    _dim("w_f", w_f, d)
    k = check_int("k", k, min_value=1)
    steps = check_int("steps", steps, min_value=1)
    batch = check_int("batch", batch, min_value=1)
    check_positive("lr", lr)
    check_nonnegative("sigma2", sigma2)
    ev, V = jnp.linalg.eigh(jnp.asarray(Sigma_w))
    Lw = V * jnp.sqrt(jnp.clip(ev, 0.0))[None, :]
    return _train(key, _chol(Sigma), p, jnp.asarray(w_f), Lw, k, sigma2, steps, batch, lr, d)
