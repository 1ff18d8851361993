r"""Score Forgetting Distillation (SFD) of a linear one-step generator, with exact scores.

Chen, Zhang, Zhou, *Score Forgetting Distillation: A Swift, Data-Free Method for Machine Unlearning
in Diffusion Models* (arXiv:2409.11219) distil a pretrained diffusion model into a one-step generator
while "aligning the conditional scores of 'unsafe' classes or concepts with those of 'safe' ones": in
their code (``DDPM/functions/losses.py::sid_g_loss_conditional``) the teacher is evaluated at a
pseudo-label in which the class to forget is replaced by a safe class, and the generator's own
("fake") score is learned alongside (SiD).

Analyzable core (lab's population analogue [derived]): class-conditional Gaussian teacher
:math:`p(\cdot \mid c) = N(\mu_c, \sigma_0^2 I)`, generator :math:`G_c(z) = m_c + L_c z`,
:math:`z \sim N(0, I)`, so the fake score is exact and the SiD objective becomes the weighted Fisher
divergence between the diffused generator and the diffused teacher at the redirected class

.. math::

    \mathcal L(m_c, L_c) = \frac1T \sum_t s_t^2\, F\bigl(q_t^{G_c}\,\|\,p_t(\cdot \mid c')\bigr),
    \qquad c' = c_s \text{ if } c = c_u \text{ else } c,

with :math:`F(q\|p) = E_q\|\nabla\log q - \nabla\log p\|^2`. Its unique minimiser (up to the
rotation of :math:`L_c`) is :math:`m_c = \mu_{c'}`, :math:`L_c L_c^\top = \sigma_0^2 I`.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from unlearnlab.diffusion import _checks as ck
from unlearnlab.diffusion.gaussian import _as
from unlearnlab.lab.checks import check_array, check_int, check_shape, check_tree_finite

__all__ = [
    "SFDState",
    "SFDInfo",
    "concept_means",
    "gaussian_fisher",
    "sfd_targets",
    "sfd_loss",
    "sfd_init",
    "sfd_step",
    "sfd_distill",
    "sfd_fixed_point",
]


class SFDState(NamedTuple):
    """State of the distillation (all classes at once)."""

    m: jax.Array  # (K, d) generator means m_c
    L: jax.Array  # (K, d, d) generator scales L_c
    opt_state: Any  # optax Adam state
    step: jax.Array  # () int


class SFDInfo(NamedTuple):
    """Per-step diagnostics (before the update)."""

    loss: jax.Array  # () summed distillation loss over classes
    kl_target: jax.Array  # (K,) KL(G_c || p(. | c')) to each class's redirected teacher
    kl_forgotten: jax.Array  # () KL(G_{c_u} || p(. | c_u)) to the forgotten class


def concept_means(E, W, mu0):
    r"""Concept means :math:`\mu_c = \mu_0 + W e_c` of the text-conditioned Gaussian model.

    Args:
      E: prompt embeddings :math:`e_c` as rows, ``(K, p)``.
      W: conditioning map, ``(d, p)``.
      mu0: offset, ``(d,)``.

    Returns:
      ``(K, d)`` means.

    Raises:
      ValueError: shapes disagree; NaN/inf.

    References:
      Spec ``diffusion.md`` (model).
    """
    ck.matrix("W", W)
    d, p = np.shape(W)
    ck.matrix("E", E, (None, p))
    ck.vector("mu0", mu0, d)
    E, W, mu0 = map(jnp.asarray, (E, W, mu0))
    return mu0 + E @ W.T


def gaussian_fisher(m1, S1, m2, S2):
    r"""Fisher divergence :math:`E_q\|\nabla\log q - \nabla\log p\|^2` between two Gaussians.

    With :math:`q = N(m_1, S_1)`, :math:`p = N(m_2, S_2)` and :math:`D = S_2^{-1} - S_1^{-1}`,
    :math:`\nabla\log q(x) - \nabla\log p(x) = D(x - m_1) + S_2^{-1}(m_1 - m_2)`, hence

    .. math:: F(q\|p) = \mathrm{tr}(D S_1 D) + \|S_2^{-1}(m_1 - m_2)\|^2.

    Args:
      m1, m2: means, ``(d,)``.
      S1, S2: covariances, ``(d, d)`` PD.

    Returns:
      The scalar divergence (>= 0, = 0 iff the Gaussians agree).

    Raises:
      ValueError: a covariance not PD; shapes disagree; NaN/inf.

    References:
      Spec ``diffusion.md`` (SFD panel) [derived]; Hyvärinen 2005 (score matching).
    """
    ck.vector("m1", m1)
    d = np.shape(m1)[0]
    ck.vector("m2", m2, d)
    ck.covariance("S1", S1, d)
    ck.covariance("S2", S2, d)
    return _fisher(*map(jnp.asarray, (m1, S1, m2, S2)))


@jax.jit
def _fisher(m1, S1, m2, S2):
    S2i = jnp.linalg.inv(S2)
    D = S2i - jnp.linalg.inv(S1)
    return jnp.trace(D @ S1 @ D) + jnp.sum((S2i @ (m1 - m2)) ** 2)


def _check_classes(mu, forget, safe):
    ck.matrix("mu", mu)
    K = np.shape(mu)[0]
    if K < 2:
        raise ValueError(f"`mu` needs at least 2 classes; got shape {np.shape(mu)}.")
    forget = check_int("forget", forget, min_value=0, max_value=K - 1)
    safe = check_int("safe", safe, min_value=0, max_value=K - 1)
    if forget == safe:
        raise ValueError(f"`safe` must differ from `forget`; both are {forget}.")
    return K, forget, safe


def sfd_targets(mu, forget: int, safe: int):
    r"""Teacher mean per generator class with the forget class redirected to the safe class.

    .. math:: \mu'_c = \mu_{c_s} \text{ if } c = c_u, \text{ else } \mu_c.

    Args:
      mu: teacher class means, ``(K, d)``, ``K >= 2``.
      forget: class to forget :math:`c_u`.
      safe: safe class :math:`c_s \ne c_u`.

    Returns:
      ``(K, d)`` redirected means.

    Raises:
      ValueError: indices outside ``[0, K)`` or equal; NaN/inf.

    References:
      Code ``sid_g_loss_conditional`` (teacher at the pseudo-label with ``label_to_forget`` masked)
      [code].
    """
    _check_classes(mu, forget, safe)
    mu = jnp.asarray(mu)
    return mu.at[forget].set(mu[safe])


def sfd_loss(m, L, alpha_bar, mu_teacher, sigma0):
    r"""Population SiD/SFD loss of one class's linear generator against an exact Gaussian teacher.

    .. math::

        \mathcal L(m, L) = \frac1T\sum_t s_t^2\, F\bigl(N(\alpha_t m, \alpha_t^2 L L^\top + s_t^2 I)
        \,\|\, N(\alpha_t \mu', (\alpha_t^2\sigma_0^2 + s_t^2) I)\bigr),

    the :math:`\varepsilon`-space Fisher divergence (:math:`\hat\varepsilon = -s_t\nabla\log p_t`).

    Args:
      m: generator mean, ``(d,)``.
      L: generator scale, ``(d, d)``.
      alpha_bar: timestep grid, ``(T,)`` in (0, 1).
      mu_teacher: teacher mean :math:`\mu'` (already redirected), ``(d,)``.
      sigma0: teacher standard deviation :math:`\sigma_0 > 0`.

    Returns:
      The scalar loss (>= 0).

    Raises:
      ValueError: shapes disagree; ``alpha_bar`` outside (0, 1); ``sigma0 <= 0``; NaN/inf.

    References:
      arXiv:2409.11219 (SFD, built on SiD); spec ``diffusion.md`` SFD panel [derived].
    """
    ck.vector("m", m)
    d = np.shape(m)[0]
    ck.matrix("L", L, (d, d))
    ck.vector("mu_teacher", mu_teacher, d)
    ck.alpha_bar_grid("alpha_bar", alpha_bar)
    ck.positive("sigma0", sigma0)
    return _sfd_loss(*map(jnp.asarray, (m, L, alpha_bar, mu_teacher, sigma0)))


@jax.jit
def _sfd_loss(m, L, alpha_bar, mu_t, sigma0):
    # isotropic teacher S2 = v I and S1 = a^2 L L^T + s^2 I share eigenvectors with L L^T, so
    # F = tr(S1)/v^2 - 2d/v + tr(S1^{-1}) + a^2 ||m - mu'||^2 / v^2 (note Prop. 6): one eigvalsh.
    d = m.shape[0]
    lam = jnp.linalg.eigvalsh(L @ L.T)
    a, s = _as(alpha_bar)
    v = a**2 * sigma0**2 + s**2
    sig = a[:, None] ** 2 * lam[None, :] + s[:, None] ** 2  # (T, d) eigenvalues of S1
    F = (
        jnp.sum(sig, axis=1) / v**2
        - 2.0 * d / v
        + jnp.sum(1.0 / sig, axis=1)
        + a**2 * jnp.sum((m - mu_t) ** 2) / v**2
    )
    return jnp.mean(s**2 * F)


def _optimizer(lr, steps):
    return optax.adam(optax.cosine_decay_schedule(lr, steps, alpha=1e-3))


def _check_generator(m, L, K=None, names=("m", "L")):
    nm, nL = names
    ck.matrix(nm, m)
    Km, d = np.shape(m)
    if K is not None:
        with ck.agree("mu"):
            check_shape(nm, m, (K, d))
    check_array(nL, L, ndim=3)
    with ck.agree(nm):
        check_shape(nL, L, (Km, d, d))
    return Km, d


def sfd_init(m0, L0, lr: float = 0.02, steps: int = 2000) -> SFDState:
    """Initial distillation state (Adam with a cosine-decayed step).

    Args:
      m0: initial generator means, ``(K, d)``.
      L0: initial generator scales, ``(K, d, d)``.
      lr: peak Adam step size (> 0).
      steps: length of the schedule (>= 1).

    Returns:
      :class:`SFDState`.

    Raises:
      ValueError: shapes disagree; ``lr <= 0``; ``steps < 1``; NaN/inf.

    References:
      arXiv:2409.11219, Alg. 1 (generator update) in the lab's population form.
    """
    _check_generator(m0, L0, names=("m0", "L0"))
    ck.positive("lr", lr)
    steps = check_int("steps", steps, min_value=1)
    params = (jnp.asarray(m0), jnp.asarray(L0))
    return SFDState(
        m=params[0],
        L=params[1],
        opt_state=_optimizer(lr, steps).init(params),
        step=jnp.zeros((), int),
    )


def _check_run(alpha_bar, mu, sigma0, forget, safe):
    K, forget, safe = _check_classes(mu, forget, safe)
    ck.alpha_bar_grid("alpha_bar", alpha_bar)
    ck.positive("sigma0", sigma0)
    return K, forget, safe


def sfd_step(
    state: SFDState,
    alpha_bar,
    mu,
    sigma0,
    forget: int,
    safe: int,
    lr: float = 0.02,
    steps: int = 2000,
):
    r"""One Adam step on :math:`\sum_c \mathcal L(m_c, L_c)` with the teacher redirected at ``forget``.

    Args:
      state: :class:`SFDState` (same ``lr``/``steps`` as :func:`sfd_init`).
      alpha_bar: timestep grid, ``(T,)`` in (0, 1).
      mu: teacher class means, ``(K, d)``.
      sigma0: teacher standard deviation (> 0).
      forget: class to forget :math:`c_u`.
      safe: safe class :math:`c_s`.
      lr, steps: the schedule of :func:`sfd_init`.

    Returns:
      ``(state, info)`` with :class:`SFDInfo` (measured before the update).

    Raises:
      ValueError: as :func:`sfd_targets`, :func:`sfd_loss`; the state's shapes disagree with ``mu``.

    References:
      arXiv:2409.11219; code ``sid_g_loss_conditional`` [code] (population analogue [derived]).
    """
    K, forget, safe = _check_run(alpha_bar, mu, sigma0, forget, safe)
    check_tree_finite("state", state)
    _check_generator(state.m, state.L, K, names=("state.m", "state.L"))
    ck.positive("lr", lr)
    steps = check_int("steps", steps, min_value=1)
    arr = map(jnp.asarray, (alpha_bar, mu, sigma0))
    return _sfd_step(state, *arr, forget, safe, lr, steps)


def _total_loss(params, alpha_bar, targets, sigma0):
    m, L = params
    return jnp.sum(
        jax.vmap(lambda mc, Lc, t: _sfd_loss(mc, Lc, alpha_bar, t, sigma0))(m, L, targets)
    )


def _kl_iso(m, L, t, sigma0):
    """KL(N(m, L L^T) || N(t, sigma0^2 I)) from the eigenvalues of L L^T."""
    lam = jnp.linalg.eigvalsh(L @ L.T)
    d = m.shape[0]
    s2 = sigma0**2
    return 0.5 * (
        jnp.sum(lam) / s2 + jnp.sum((m - t) ** 2) / s2 - d + d * jnp.log(s2) - jnp.sum(jnp.log(lam))
    )


def _kls(m, L, mu, targets, sigma0, forget):
    kl = jax.vmap(lambda mc, Lc, t: _kl_iso(mc, Lc, t, sigma0))(m, L, targets)
    return kl, _kl_iso(m[forget], L[forget], mu[forget], sigma0)


@functools.partial(jax.jit, static_argnames=("forget", "safe", "lr", "steps"))
def _sfd_step(state, alpha_bar, mu, sigma0, forget, safe, lr, steps):
    targets = mu.at[forget].set(mu[safe])
    params = (state.m, state.L)
    loss, g = jax.value_and_grad(_total_loss)(params, alpha_bar, targets, sigma0)
    kl, kl_f = _kls(state.m, state.L, mu, targets, sigma0, forget)
    upd, opt_state = _optimizer(lr, steps).update(g, state.opt_state, params)
    m, L = optax.apply_updates(params, upd)
    info = SFDInfo(loss=loss, kl_target=kl, kl_forgotten=kl_f)
    return SFDState(m=m, L=L, opt_state=opt_state, step=state.step + 1), info


def sfd_distill(
    m0, L0, alpha_bar, mu, sigma0, forget: int, safe: int, steps: int = 2000, lr: float = 0.02
):
    r"""Run SFD for ``steps`` Adam steps in ``lax.scan``.

    Args:
      m0: initial generator means, ``(K, d)``.
      L0: initial generator scales, ``(K, d, d)``.
      alpha_bar, mu, sigma0, forget, safe: as :func:`sfd_step`.
      steps: number of steps (>= 1).
      lr: peak Adam step size (cosine-decayed to 1e-3 of it).

    Returns:
      ``(m, L, info)``: final ``(K, d)`` means, ``(K, d, d)`` scales, :class:`SFDInfo` stacked over
      steps (each measured before its update).

    Raises:
      ValueError: as :func:`sfd_step`.

    References:
      arXiv:2409.11219 (SFD); spec ``diffusion.md`` SFD panel [derived].
    """
    K, forget, safe = _check_run(alpha_bar, mu, sigma0, forget, safe)
    _check_generator(m0, L0, K, names=("m0", "L0"))
    ck.positive("lr", lr)
    steps = check_int("steps", steps, min_value=1)
    arr = map(jnp.asarray, (m0, L0, alpha_bar, mu, sigma0))
    return _sfd_distill(*arr, forget, safe, steps, lr)


@functools.partial(jax.jit, static_argnames=("forget", "safe", "steps", "lr"))
def _sfd_distill(m0, L0, alpha_bar, mu, sigma0, forget, safe, steps, lr):
    params = (m0, L0)
    state = SFDState(
        m=m0, L=L0, opt_state=_optimizer(lr, steps).init(params), step=jnp.zeros((), int)
    )

    def body(st, _):
        return _sfd_step(st, alpha_bar, mu, sigma0, forget, safe, lr, steps)

    state, info = jax.lax.scan(body, state, None, length=steps)
    return state.m, state.L, info


def sfd_fixed_point(mu, sigma0, forget: int, safe: int):
    r"""The SFD fixed point: each generator equals its redirected teacher.

    .. math:: m_c^\star = \mu'_c,\qquad L_c^\star L_c^{\star\top} = \sigma_0^2 I,

    the unique zero of :math:`\mathcal L` (Fisher divergence vanishes iff the diffused laws agree,
    and :math:`q \mapsto q_t` is injective for :math:`\alpha_t > 0`).

    Args:
      mu: teacher class means, ``(K, d)``.
      sigma0: teacher standard deviation (> 0).
      forget: class to forget.
      safe: safe class.

    Returns:
      ``(m_star, S_star)``: ``(K, d)`` means and ``(K, d, d)`` covariances.

    Raises:
      ValueError: as :func:`sfd_targets`; ``sigma0 <= 0``.

    References:
      Spec ``diffusion.md`` SFD claim [derived]; note Prop. 6.
    """
    K, forget, safe = _check_classes(mu, forget, safe)
    ck.positive("sigma0", sigma0)
    mu = jnp.asarray(mu)
    d = mu.shape[1]
    S = jnp.broadcast_to(sigma0**2 * jnp.eye(d, dtype=mu.dtype), (K, d, d))
    return mu.at[forget].set(mu[safe]), S
