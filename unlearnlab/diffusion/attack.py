r"""UnlearnDiffAtk on the Gaussian model: prompt optimisation against the denoising loss, solved exactly.

Zhang et al., *To Generate or Not? Safety-Driven Unlearned Diffusion Models Are Still Easy To Generate
Unsafe Images ... For Now* (arXiv:2310.11868) attack a concept-erased diffusion model by optimising
the prompt so that the *unlearned* model denoises images of the erased concept well ("the intrinsic
classification abilities of DMs"): the loss is the noise-prediction MSE of ``get_loss`` in their code,
on an evenly spaced grid of 50 timesteps. The paper optimises discrete tokens; here the prompt is a
continuous embedding :math:`e' \in R^p` (lab's relaxation) optimised with Adam (optax).

With the Gaussian model of ``gaussian.py`` the attack loss is a weighted least squares in
:math:`e'` (note Prop. 1), so the diffusion-classifier attack is a nearest-mean attack: its population
minimiser is :math:`e' = W'^+(\mu^* - \mu_0)`, the concept KL it achieves within a prompt budget
:math:`\|e' - e^*\| \le \rho` is a trust-region least squares, solved exactly here.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from unlearnlab.diffusion import _checks as ck
from unlearnlab.diffusion.gaussian import _as, _concept_eps, _loss_weights
from unlearnlab.lab.checks import check_array, check_int, check_shape, check_tree_finite

__all__ = [
    "AttackState",
    "AttackInfo",
    "attack_loss",
    "attack_loss_exact",
    "attack_lstsq",
    "attack_init",
    "attack_step",
    "unlearn_diff_atk",
    "best_prompt",
    "concept_kl",
    "attack_kl",
    "rho_min",
]


class AttackState(NamedTuple):
    """State of the prompt optimisation."""

    e: jax.Array  # (p,) current prompt embedding e'
    opt_state: Any  # optax Adam state
    step: jax.Array  # () int, number of updates done


class AttackInfo(NamedTuple):
    """Per-step diagnostics."""

    loss: jax.Array  # () sampled denoising loss at e' before the update
    dist: jax.Array  # () ||e' - e*|| after the update (budget used)


# ----------------------------------------------------------------------------- validation


def _model(W, mu0, sigma0):
    ck.matrix("W", W)
    d, p = np.shape(W)
    ck.vector("mu0", mu0, d)
    ck.positive("sigma0", sigma0)
    return d, p


def _draws(x0, eps, alpha_bar, d):
    ck.alpha_bar_grid("alpha_bar", alpha_bar)
    T = np.shape(alpha_bar)[0]
    check_array("x0", x0, ndim=2)
    if np.shape(x0)[0] < 1:
        raise ValueError(f"`x0` must hold at least one sample; got shape {np.shape(x0)}.")
    check_shape("x0", x0, (None, d))
    check_array("eps", eps, ndim=3)
    check_shape("eps", eps, (T, np.shape(x0)[0], d))


def _rho(rho):
    if rho is None:
        return jnp.inf
    ck.nonnegative("rho", rho)
    return rho


# ----------------------------------------------------------------------------- losses


def attack_loss(e, x0, eps, alpha_bar, W, mu0, sigma0):
    r"""The attack's sampled denoising loss at prompt :math:`e'` (common random numbers).

    .. math::

        \hat L(e') = \frac{1}{T n}\sum_{t=1}^{T}\sum_{i=1}^{n}
        \bigl\|\varepsilon_{ti} - \hat\varepsilon_{W'}(\alpha_t x_{0,i} + s_t\varepsilon_{ti}, t, e')\bigr\|^2.

    Args:
      e: prompt :math:`e'`, ``(p,)``.
      x0: images of the erased concept :math:`x_{0,i}`, ``(n, d)``.
      eps: noise draws :math:`\varepsilon_{ti}`, ``(T, n, d)``.
      alpha_bar: timestep grid :math:`\bar\alpha_t`, ``(T,)`` in (0, 1).
      W: the (edited) conditioning map :math:`W'`, ``(d, p)``.
      mu0: offset, ``(d,)``.
      sigma0: :math:`\sigma_0 > 0`.

    Returns:
      The scalar loss.

    Raises:
      ValueError: shapes disagree; ``alpha_bar`` outside (0, 1); ``sigma0 <= 0``; NaN/inf.

    References:
      arXiv:2310.11868 (attack objective); code ``get_loss`` with 50 evenly spaced timesteps.
    """
    d, p = _model(W, mu0, sigma0)
    ck.vector("e", e, p)
    _draws(x0, eps, alpha_bar, d)
    return _attack_loss(*map(jnp.asarray, (e, x0, eps, alpha_bar, W, mu0, sigma0)))


@jax.jit
def _attack_loss(e, x0, eps, alpha_bar, W, mu0, sigma0):
    def per_t(ab, eps_t):
        a, s = _as(ab)
        xt = a * x0 + s * eps_t
        pred = jax.vmap(lambda x: _concept_eps(x, ab, e, W, mu0, sigma0))(xt)
        return jnp.mean(jnp.sum((eps_t - pred) ** 2, axis=-1))

    return jnp.mean(jax.vmap(per_t)(alpha_bar, eps))


def attack_loss_exact(e, mu_star, alpha_bar, W, mu0, sigma0):
    r"""Population attack loss: :math:`x_0 \sim N(\mu^*, \sigma_0^2 I)`, exact over the noise.

    .. math::

        L(e') = \frac1T\sum_t \Bigl[d\Bigl(1 - \frac{s_t^2}{v_t}\Bigr)^2 + w_t\bigl(d\sigma_0^2
        + \|\mu^* - \mu_0 - W' e'\|^2\bigr)\Bigr],\qquad w_t = \Bigl(\frac{s_t\alpha_t}{v_t}\Bigr)^2.

    Args:
      e: prompt, ``(p,)``.
      mu_star: mean :math:`\mu^*` of the erased concept's images, ``(d,)``.
      alpha_bar, W, mu0, sigma0: as :func:`attack_loss`.

    Returns:
      The scalar loss.

    Raises:
      ValueError: as :func:`attack_loss`.

    References:
      Spec ``diffusion.md`` G1 [derived]; note Prop. 1.
    """
    d, p = _model(W, mu0, sigma0)
    ck.vector("e", e, p)
    ck.vector("mu_star", mu_star, d)
    ck.alpha_bar_grid("alpha_bar", alpha_bar)
    return _attack_loss_exact(*map(jnp.asarray, (e, mu_star, alpha_bar, W, mu0, sigma0)))


@jax.jit
def _attack_loss_exact(e, mu_star, alpha_bar, W, mu0, sigma0):
    floor, w2 = _loss_weights(alpha_bar, sigma0)
    d = mu_star.shape[0]
    r2 = jnp.sum((mu_star - mu0 - W @ e) ** 2)
    return jnp.mean(d * floor + w2 * (d * sigma0**2 + r2))


def _pinv_solve(W, b):
    """Minimum-norm least-squares solution of W x = b (relative cut-off eps * max(d, p))."""
    U, S, Vt = jnp.linalg.svd(W, full_matrices=False)
    tol = jnp.finfo(W.dtype).eps * max(W.shape) * S[0]
    inv = jnp.where(S > tol, 1.0 / jnp.where(S > tol, S, 1.0), 0.0)
    return Vt.T @ (inv * (U.T @ b))


def attack_lstsq(x0, eps, alpha_bar, W, mu0, sigma0):
    r"""Exact minimiser of the sampled attack loss (minimum-norm if :math:`W'` is rank-deficient).

    The residual is affine in the prompt, :math:`\varepsilon_{ti} - \hat\varepsilon =
    r_{ti} + c_t W' e'` with :math:`c_t = s_t\alpha_t/v_t`, hence

    .. math::

        e'_{LS} = -W'^{+}\,\frac{\sum_t c_t \bar r_t}{\sum_t c_t^2},\qquad
        \bar r_t = \frac1n \sum_i r_{ti},\quad r_{ti} = \varepsilon_{ti} - \hat\varepsilon_{W'}(x_{ti}, t, 0).

    Args and Raises: as :func:`attack_loss` (without ``e``).

    Returns:
      :math:`e'_{LS}`, ``(p,)``.

    References:
      Note Prop. 1 (the attack is a weighted least squares) [derived].
    """
    d, p = _model(W, mu0, sigma0)
    _draws(x0, eps, alpha_bar, d)
    return _attack_lstsq(*map(jnp.asarray, (x0, eps, alpha_bar, W, mu0, sigma0)))


@jax.jit
def _attack_lstsq(x0, eps, alpha_bar, W, mu0, sigma0):
    zero = jnp.zeros(W.shape[1], W.dtype)

    def per_t(ab, eps_t):
        a, s = _as(ab)
        v = a**2 * sigma0**2 + s**2
        pred0 = jax.vmap(lambda x: _concept_eps(x, ab, zero, W, mu0, sigma0))(a * x0 + s * eps_t)
        return s * a / v, jnp.mean(eps_t - pred0, axis=0)

    c, rbar = jax.vmap(per_t)(alpha_bar, eps)
    target = -(c @ rbar) / jnp.sum(c**2)
    return _pinv_solve(W, target)


# ----------------------------------------------------------------------------- Adam attack


def _optimizer(lr, steps):
    return optax.adam(optax.cosine_decay_schedule(lr, steps, alpha=1e-4))


def _project(e, e_star, rho):
    delta = e - e_star
    nrm = jnp.linalg.norm(delta)
    scale = jnp.where(nrm > rho, rho / jnp.where(nrm > 0, nrm, 1.0), 1.0)
    return e_star + scale * delta


def attack_init(e_init, lr: float = 0.05, steps: int = 300) -> AttackState:
    """Initial state of the prompt optimisation (Adam with a cosine-decayed step).

    Args:
      e_init: starting prompt, ``(p,)`` (UnlearnDiffAtk starts from the erased prompt :math:`e^*`).
      lr: peak Adam step size (> 0).
      steps: length of the cosine schedule (>= 1).

    Returns:
      :class:`AttackState`.

    Raises:
      ValueError: ``e_init`` not a finite vector; ``lr <= 0``; ``steps < 1``.

    References:
      arXiv:2310.11868 (prompt optimisation); Kingma and Ba 2015 (Adam).
    """
    ck.vector("e_init", e_init)
    ck.positive("lr", lr)
    steps = check_int("steps", steps, min_value=1)
    e = jnp.asarray(e_init)
    return AttackState(e=e, opt_state=_optimizer(lr, steps).init(e), step=jnp.zeros((), int))


def attack_step(
    state: AttackState,
    x0,
    eps,
    alpha_bar,
    W,
    mu0,
    sigma0,
    e_star,
    rho=None,
    lr: float = 0.05,
    steps: int = 300,
):
    r"""One Adam step on :func:`attack_loss`, then projection onto :math:`\|e' - e^*\| \le \rho`.

    Args:
      state: :class:`AttackState` from :func:`attack_init` (same ``lr`` and ``steps``).
      x0, eps, alpha_bar, W, mu0, sigma0: as :func:`attack_loss`.
      e_star: centre of the budget ball (the erased prompt), ``(p,)``.
      rho: budget :math:`\rho \ge 0` (``None``: unconstrained).
      lr, steps: the schedule of :func:`attack_init`.

    Returns:
      ``(state, info)`` with :class:`AttackInfo`.

    Raises:
      ValueError: as :func:`attack_loss`; ``rho < 0``; the state's prompt of the wrong shape.

    References:
      arXiv:2310.11868; projected Adam is the lab's choice for the budget (its fixed point need not
      be the constrained minimiser; :func:`best_prompt` is the exact one).
    """
    d, p = _model(W, mu0, sigma0)
    _draws(x0, eps, alpha_bar, d)
    ck.vector("e_star", e_star, p)
    check_tree_finite("state", state)
    ck.vector("state.e", state.e, p)
    rho = _rho(rho)
    ck.positive("lr", lr)
    steps = check_int("steps", steps, min_value=1)
    arr = map(jnp.asarray, (x0, eps, alpha_bar, W, mu0, sigma0, e_star))
    return _attack_step(state, *arr, rho, lr, steps)


@functools.partial(jax.jit, static_argnames=("lr", "steps"))
def _attack_step(state, x0, eps, alpha_bar, W, mu0, sigma0, e_star, rho, lr, steps):
    loss, g = jax.value_and_grad(_attack_loss)(state.e, x0, eps, alpha_bar, W, mu0, sigma0)
    upd, opt_state = _optimizer(lr, steps).update(g, state.opt_state, state.e)
    e = _project(optax.apply_updates(state.e, upd), e_star, rho)
    info = AttackInfo(loss=loss, dist=jnp.linalg.norm(e - e_star))
    return AttackState(e=e, opt_state=opt_state, step=state.step + 1), info


def unlearn_diff_atk(
    e_star, x0, eps, alpha_bar, W, mu0, sigma0, steps: int = 300, lr: float = 0.05, rho=None
):
    r"""UnlearnDiffAtk (continuous relaxation): Adam on the denoising loss from :math:`e^*`, in ``lax.scan``.

    .. math:: \min_{\|e' - e^*\| \le \rho}\; \hat L(e'),

    with :math:`\hat L` the sampled loss of :func:`attack_loss`.

    Args:
      e_star: erased prompt :math:`e^*` (start and budget centre), ``(p,)``.
      x0: images of the erased concept, ``(n, d)``.
      eps: noise draws, ``(T, n, d)``.
      alpha_bar: timestep grid, ``(T,)`` in (0, 1).
      W: the edited conditioning map :math:`W'`, ``(d, p)``.
      mu0: offset, ``(d,)``.
      sigma0: :math:`\sigma_0 > 0`.
      steps: Adam steps (>= 1).
      lr: peak step size (cosine-decayed to 1e-4 of it).
      rho: budget (``None``: unconstrained).

    Returns:
      ``(e, info)``: the final prompt ``(p,)`` and :class:`AttackInfo` stacked over steps.

    Raises:
      ValueError: as :func:`attack_step`.

    References:
      arXiv:2310.11868, Sec. 4 (attack); code ``src/tasks/classifier_.py``.
    """
    d, p = _model(W, mu0, sigma0)
    _draws(x0, eps, alpha_bar, d)
    ck.vector("e_star", e_star, p)
    rho = _rho(rho)
    ck.positive("lr", lr)
    steps = check_int("steps", steps, min_value=1)
    arr = map(jnp.asarray, (e_star, x0, eps, alpha_bar, W, mu0, sigma0))
    return _unlearn_diff_atk(*arr, steps, lr, rho)


@functools.partial(jax.jit, static_argnames=("steps", "lr"))
def _unlearn_diff_atk(e_star, x0, eps, alpha_bar, W, mu0, sigma0, steps, lr, rho):
    state = AttackState(
        e=e_star, opt_state=_optimizer(lr, steps).init(e_star), step=jnp.zeros((), int)
    )

    def body(st, _):
        return _attack_step(st, x0, eps, alpha_bar, W, mu0, sigma0, e_star, rho, lr, steps)

    state, info = jax.lax.scan(body, state, None, length=steps)
    return state.e, info


# ----------------------------------------------------------------------------- exact attack


def _budget_args(W, mu_star, mu0, e_star):
    ck.matrix("W", W)
    d, p = np.shape(W)
    ck.vector("mu_star", mu_star, d)
    ck.vector("mu0", mu0, d)
    ck.vector("e_star", e_star, p)


def best_prompt(W, mu_star, mu0, e_star, rho=None):
    r"""Exact population attack within the budget: a trust-region least squares.

    .. math::

        e'(\rho) = \arg\min_{\|e' - e^*\| \le \rho} \|\mu^* - \mu_0 - W' e'\|^2
        = e^* + \delta(\lambda),\quad \delta(\lambda) = (W'^\top W' + \lambda I)^{+} W'^\top b,

    with :math:`b = \mu^* - \mu_0 - W' e^*`, :math:`\lambda = 0` (minimum-norm solution) if
    :math:`\|W'^+ b\| \le \rho`, else the :math:`\lambda > 0` with :math:`\|\delta(\lambda)\| = \rho`
    (bisection, 200 halvings). This is the minimiser of :func:`attack_loss_exact` in the ball.

    Args:
      W: edited map :math:`W'`, ``(d, p)``.
      mu_star: target concept mean :math:`\mu^*`, ``(d,)``.
      mu0: offset, ``(d,)``.
      e_star: erased prompt (ball centre), ``(p,)``.
      rho: budget :math:`\rho \ge 0` (``None``: unconstrained).

    Returns:
      The prompt, ``(p,)``.

    Raises:
      ValueError: shapes disagree; ``rho < 0``; NaN/inf.

    References:
      Note Props. 1-2 [derived]; Moré and Sorensen 1983 (trust-region subproblem).
    """
    _budget_args(W, mu_star, mu0, e_star)
    rho = _rho(rho)
    return _best_prompt(*map(jnp.asarray, (W, mu_star, mu0, e_star)), rho)


@jax.jit
def _best_prompt(W, mu_star, mu0, e_star, rho):
    U, S, Vt = jnp.linalg.svd(W, full_matrices=False)
    b = mu_star - mu0 - W @ e_star
    beta = U.T @ b
    tol = jnp.finfo(W.dtype).eps * max(W.shape) * S[0]
    keep = S > tol
    Ssafe = jnp.where(keep, S, 1.0)

    def coef(lam):
        return jnp.where(keep, Ssafe * beta / (Ssafe**2 + lam), 0.0)

    c0 = jnp.where(keep, beta / Ssafe, 0.0)
    n0 = jnp.linalg.norm(c0)
    rho_pos = jnp.maximum(rho, jnp.finfo(W.dtype).tiny)
    hi0 = S[0] * jnp.linalg.norm(beta) / jnp.where(jnp.isfinite(rho_pos), rho_pos, 1.0)

    def bisect(_, lohi):
        lo, hi = lohi
        mid = 0.5 * (lo + hi)
        big = jnp.linalg.norm(coef(mid)) > rho
        return jnp.where(big, mid, lo), jnp.where(big, hi, mid)

    lo, hi = jax.lax.fori_loop(0, 200, bisect, (jnp.zeros_like(hi0), hi0))
    c = jnp.where(n0 <= rho, c0, coef(hi))
    c = jnp.where(rho > 0, c, 0.0)
    return e_star + Vt.T @ c


def concept_kl(e, W, mu_star, mu0, sigma0):
    r"""KL between the generations at prompt :math:`e'` and the erased concept.

    .. math::

        KL\bigl(N(\mu_0 + W'e', \sigma_0^2 I)\,\|\,N(\mu^*, \sigma_0^2 I)\bigr)
        = \frac{\|\mu_0 + W' e' - \mu^*\|^2}{2\sigma_0^2}.

    Args:
      e: prompt, ``(p,)``.
      W: edited map, ``(d, p)``.
      mu_star: concept mean, ``(d,)``.
      mu0: offset, ``(d,)``.
      sigma0: :math:`\sigma_0 > 0`.

    Returns:
      The scalar KL.

    Raises:
      ValueError: shapes disagree; ``sigma0 <= 0``; NaN/inf.

    References:
      Spec ``diffusion.md`` G2 [derived].
    """
    d, p = _model(W, mu0, sigma0)
    ck.vector("e", e, p)
    ck.vector("mu_star", mu_star, d)
    return _concept_kl(*map(jnp.asarray, (e, W, mu_star, mu0, sigma0)))


@jax.jit
def _concept_kl(e, W, mu_star, mu0, sigma0):
    return jnp.sum((mu0 + W @ e - mu_star) ** 2) / (2.0 * sigma0**2)


def attack_kl(W, mu_star, mu0, sigma0, e_star, rho=None):
    r"""Concept KL reached by the exact attack within budget :math:`\rho`.

    .. math::

        KL(\rho) = \frac{\|\mu^* - \mu_0 - W' e'(\rho)\|^2}{2\sigma_0^2},\qquad
        KL(\infty) = \frac{\|(I - W'W'^+)(\mu^* - \mu_0)\|^2}{2\sigma_0^2}.

    Args:
      W, mu_star, mu0, e_star, rho: as :func:`best_prompt`.
      sigma0: :math:`\sigma_0 > 0`.

    Returns:
      The scalar KL (non-increasing in ``rho``).

    Raises:
      ValueError: as :func:`best_prompt`; ``sigma0 <= 0``.

    References:
      Spec ``diffusion.md`` G2 (reachability) [derived]; note Prop. 2.
    """
    _budget_args(W, mu_star, mu0, e_star)
    ck.positive("sigma0", sigma0)
    rho = _rho(rho)
    W, mu_star, mu0, e_star = map(jnp.asarray, (W, mu_star, mu0, e_star))
    e = _best_prompt(W, mu_star, mu0, e_star, rho)
    return _concept_kl(e, W, mu_star, mu0, jnp.asarray(sigma0))


def rho_min(W, mu_star, mu0, e_star):
    r"""Smallest budget at which the attack reaches its unconstrained optimum.

    .. math:: \rho_{\min} = \|W'^{+}(\mu^* - \mu_0 - W' e^*)\|.

    Args:
      W, mu_star, mu0, e_star: as :func:`best_prompt`.

    Returns:
      The scalar :math:`\rho_{\min}`.

    Raises:
      ValueError: as :func:`best_prompt`.

    References:
      Spec ``diffusion.md`` G3 [derived]; note Prop. 2.
    """
    _budget_args(W, mu_star, mu0, e_star)
    W, mu_star, mu0, e_star = map(jnp.asarray, (W, mu_star, mu0, e_star))
    return jnp.linalg.norm(_pinv_solve(W, mu_star - mu0 - W @ e_star))
