"""FTPedel (Pedel with offline data): phased experiment design, collection, regression, elimination.

One epoch ``l = 1..L`` (``L = ceil(log2(1/eps))``), ``theory/ftpedel.md`` §4-5 (structure [recalled]
from Wagenmaker and Pacchiano 2023 / Wagenmaker and Jamieson 2022; constants the lab's own,
[derived])::

    eps_l = 2^-l,  beta_l = log(4 H^2 |Pi| l^2 / delta) + |Pi| log 2,
    level_l = eps_l^2 / (c0 sigma^2 H_fac beta_l),  H_fac = H^2 (H + 1)^2;
    for h = 1..H (sequential):
      (a) the smallest T_{l,h} and mixture w with
          max_{pi in Pi_l} ||phi_hat_{pi,h}||^2_{(T Lambda_{w,h} + Lambda_off,h + lam I)^{-1}} <= level_l
          (Frank-Wolfe + bisection, :mod:`unlearnlab.rl.design`);
      (b) ceil(T_{l,h}) fresh episodes of the mixture, step-h transitions kept;
      (c) ridge regression on online + offline step-h data: theta_hat_h, phi_hat_{pi,h+1};
    V_hat^pi = sum_h <phi_hat_{pi,h}, theta_hat_h>;
    Pi_{l+1} = {pi in Pi_l : V_hat^pi >= max_{Pi_l} V_hat - eps_l};  stop when |Pi_{l+1}| = 1.
    Output: argmax_{Pi_l} V_hat of the last epoch.

``design="oracle"`` computes the exploration covariances ``Lambda_{pi,h}`` from the true dynamics
("known-dynamics design"; it replaces Pedel's OptCov regret oracle and must be reported as such). The
algorithm reads ``mdp.mu``/``mdp.theta`` otherwise only through the simulator
(:func:`unlearnlab.rl.linear_mdp.sample_step_data`).

Symbol -> argument: ``eps, delta`` -> ``eps, delta``; ``c0, lam, sigma`` -> ``consts``;
``Pi`` -> ``pis [n_pi, H, S]``; ``Pi_l`` -> ``state.active [n_pi]``; ``T_{l,h}`` ->
``info.T_budget``; ``D_off`` -> ``offline``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from unlearnlab.lab import checks
from unlearnlab.rl._vary import vary_like, zero_from
from unlearnlab.rl.design import _budget
from unlearnlab.rl.linear_mdp import (
    LinearMDP,
    OfflineData,
    _check_noise,
    empty_offline,
    sample_step_data,
    validate_mdp,
    validate_offline,
    validate_pis,
)
from unlearnlab.rl.visitation import occupancy, regression_step, start_visitation

__all__ = [
    "FTPedelConsts",
    "FTPedelState",
    "FTPedelInfo",
    "FTPedelResult",
    "ftpedel_init",
    "ftpedel_step",
    "ftpedel_run",
    "pedel_run",
    "lcb_policy",
    "n_epochs",
]


@dataclass(frozen=True)
class FTPedelConsts:
    """Constants of FTPedel (Python scalars). Defaults fixed by ``theory/ftpedel.md`` §5.

    Attributes:
      c0: design-level constant (10 = 8 from the sub-Gaussian tail, times 1.25 slack for the
        realised covariance falling short of the designed one).
      lam: ridge regulariser (``None`` -> ``1/d``).
      sigma: sub-Gaussian scale of rewards (1 covers Bernoulli and unit-variance Gaussian).
      union_active: add ``|Pi| log 2`` to ``beta_l`` (union bound over the possible active sets,
        which makes the offline noise reused across epochs harmless; §5).
      n_iter: Frank-Wolfe iterations per solve.
      n_bisect: bisection steps per budget.
      reg: ridge inside the design inverse.
      T_max: largest budget per (epoch, step).
    """

    c0: float = 10.0
    lam: float | None = None
    sigma: float = 1.0
    union_active: bool = True
    n_iter: int = 500
    n_bisect: int = 30
    reg: float = 1e-9
    T_max: float = 1e12


class FTPedelState(NamedTuple):
    """State of FTPedel between epochs (:func:`ftpedel_init`, :func:`ftpedel_step`).

    Attributes:
      active: ``[n_pi]`` bool, Pi_l
      done: ``()`` bool
      policy_idx: ``()`` int, argmax of V_hat in the last completed epoch
      n_online: ``()`` float, episodes used so far
      epoch: ``()`` int, completed epochs
    """

    active: jax.Array  # [n_pi] bool, Pi_l
    done: jax.Array  # () bool
    policy_idx: jax.Array  # () int, argmax of V_hat in the last completed epoch
    n_online: jax.Array  # () float, episodes used so far
    epoch: jax.Array  # () int, completed epochs


class FTPedelInfo(NamedTuple):
    """What one FTPedel epoch did (:func:`ftpedel_step`).

    Attributes:
      n_online: ``[H]`` episodes of this epoch per step
      T_budget: ``[H, 2]`` certified bracket of T_{l,h}
      active: ``[n_pi]`` Pi_{l+1}
      Vhat: ``[n_pi]``
      design_ratio: ``[H]`` ``realised max_pi ||phi_hat||^2_{Lambda^{-1}} / level_l``
      ran: ``()`` bool, the epoch ran (not masked after the stop)
    """

    n_online: jax.Array  # [H] episodes of this epoch per step
    T_budget: jax.Array  # [H, 2] certified bracket of T_{l,h}
    active: jax.Array  # [n_pi] Pi_{l+1}
    Vhat: jax.Array  # [n_pi]
    design_ratio: jax.Array  # [H] realised max_pi ||phi_hat||^2_{Lambda^{-1}} / level_l
    ran: jax.Array  # () bool, the epoch ran (not masked after the stop)


class FTPedelResult(NamedTuple):
    """A whole FTPedel run (:func:`ftpedel_run`, :func:`pedel_run`): output policy, per-epoch record.

    Attributes:
      policy_idx: ``()``
      n_online: ``()`` total online episodes
      n_online_per: ``[L, H]``
      active: ``[L + 1, n_pi]``
      Vhat: ``[L, n_pi]``
      n_epochs: ``()``
      T_budget: ``[L, H, 2]``
      design_ratio: ``[L, H]``
    """

    policy_idx: jax.Array  # ()
    n_online: jax.Array  # () total online episodes
    n_online_per: jax.Array  # [L, H]
    active: jax.Array  # [L + 1, n_pi]
    Vhat: jax.Array  # [L, n_pi]
    n_epochs: jax.Array  # ()
    T_budget: jax.Array  # [L, H, 2]
    design_ratio: jax.Array  # [L, H]


def validate_consts(consts, name: str = "consts") -> FTPedelConsts:
    """:class:`FTPedelConsts` with ``c0, sigma, T_max > 0``, ``lam`` None or > 0, ``reg >= 0`` and
    ``n_iter, n_bisect >= 1`` (``ValueError`` naming ``consts`` and the field)."""
    if not isinstance(consts, FTPedelConsts):
        raise ValueError(f"`{name}` must be an FTPedelConsts; got {type(consts).__name__}.")
    for f in ("c0", "sigma", "T_max"):
        checks.check_positive(f"{name}.{f}", getattr(consts, f))
    if consts.lam is not None:
        checks.check_positive(f"{name}.lam", consts.lam)
    checks.check_nonnegative(f"{name}.reg", consts.reg)
    checks.check_int(f"{name}.n_iter", consts.n_iter, min_value=1)
    checks.check_int(f"{name}.n_bisect", consts.n_bisect, min_value=1)
    return consts


def n_epochs(eps: float) -> int:
    """``L = ceil(log2(1/eps))``.

    Raises:
      ValueError: if ``eps`` is not in (0, 1).
    """
    checks.check_probability("eps", eps, open_interval=True)
    return max(1, math.ceil(math.log2(1.0 / eps) - 1e-12))


def _level_consts(consts: FTPedelConsts, H: int, d: int):
    lam = 1.0 / d if consts.lam is None else consts.lam
    return lam, float(H**2 * (H + 1) ** 2)


def _beta(ell, H, n_pi, delta, consts):
    b = jnp.log(4.0 * H**2 * n_pi * jnp.asarray(ell, float) ** 2 / delta)
    return b + (n_pi * math.log(2.0) if consts.union_active else 0.0)


def ftpedel_init(mdp: LinearMDP, pis) -> FTPedelState:
    """``Pi_1 = Pi``, nothing spent.

    Raises:
      ValueError: if ``mdp`` is malformed or ``pis`` is not ``[n_pi, H, S]`` actions in ``[0, A)``.
    """
    validate_mdp(mdp)
    validate_pis(pis, mdp)
    n_pi = np.shape(pis)[0]
    dt = mdp.phi.dtype
    return FTPedelState(
        jnp.ones(n_pi, bool), jnp.asarray(False), jnp.asarray(0), jnp.zeros((), dt), jnp.asarray(0)
    )


def _validate_step_inputs(state, mdp, offline, pis, occ_all, eps, delta, consts, reward_noise):
    validate_mdp(mdp)
    validate_offline(offline, mdp)
    validate_pis(pis, mdp)
    checks.check_probability("eps", eps, open_interval=True)
    checks.check_probability("delta", delta, open_interval=True)
    validate_consts(consts)
    _check_noise(reward_noise)
    H, S, A, _ = np.shape(mdp.phi)
    n_pi = np.shape(pis)[0]
    if not isinstance(state, FTPedelState):
        raise ValueError(f"`state` must be an FTPedelState; got {type(state).__name__}.")
    checks.check_tree_finite("state", state)
    checks.check_shape("state.active", state.active, (n_pi,))
    checks.check_array("occ_all", occ_all, ndim=4)
    checks.check_shape("occ_all", occ_all, (n_pi, H, S, A))
    if not checks.is_traced(occ_all):
        occ = np.asarray(occ_all).reshape(n_pi, H, -1)
        checks.check_probability_vector("occ_all", occ, atol=1e-6)


def ftpedel_step(
    key,
    state: FTPedelState,
    mdp: LinearMDP,
    offline: OfflineData,
    pis,
    occ_all,
    eps,
    delta,
    consts: FTPedelConsts,
    reward_noise: str,
    level_scale=1.0,
):
    """One epoch of FTPedel (masked to a no-op once ``state.done``).

    Args:
      key: PRNG key; state: :class:`FTPedelState`; mdp, offline, pis as in :func:`ftpedel_run`;
      occ_all: ``[n_pi, H, S, A]`` occupancies of the exploration policies (oracle design).
      eps, delta: may be traced; the epoch count is ``L = ceil(log2(1/eps))``.
      level_scale: multiplies the design level (1 = FTPedel; see :func:`ftpedel_run`).
    Returns:
      ``(state, FTPedelInfo)``.
    Raises:
      ValueError: if ``state``, ``mdp``, ``offline``, ``pis``, ``occ_all`` or ``consts`` is
        malformed, ``eps``/``delta`` not in (0, 1), ``reward_noise`` unknown or ``level_scale <= 0``
        (checks skip traced values).
    """
    _validate_step_inputs(state, mdp, offline, pis, occ_all, eps, delta, consts, reward_noise)
    checks.check_positive("level_scale", level_scale)
    return _ftpedel_step_jit(
        key,
        state,
        mdp,
        offline,
        jnp.asarray(pis),
        jnp.asarray(occ_all),
        eps,
        delta,
        consts,
        reward_noise,
        level_scale,
    )


def _ftpedel_step(
    key, state, mdp, offline, pis, occ_all, eps, delta, consts, reward_noise, level_scale
):
    H, S, A, d = mdp.phi.shape
    n_pi = pis.shape[0]
    dt = mdp.phi.dtype
    lam, H_fac = _level_consts(consts, H, d)
    ell = state.epoch + 1
    e_l = 2.0 ** (-ell.astype(dt))
    level = (
        level_scale
        * e_l**2
        / (consts.c0 * consts.sigma**2 * H_fac * _beta(ell, H, n_pi, delta, consts))
    )
    L = jnp.ceil(jnp.log2(1.0 / jnp.asarray(eps, dt)) - 1e-12)
    cov_exp_all = jnp.einsum("nhsa,hsad,hsae->hnde", occ_all, mdp.phi, mdp.phi)
    off_cov = jnp.einsum("hsa,hsad,hsae->hde", offline.counts.sum(-1), mdp.phi, mdp.phi)
    eye = jnp.eye(d, dtype=dt)
    pis_next = jnp.concatenate([pis[:, 1:], pis[:, -1:]], axis=1)  # [n, H, S]
    phi_next = jnp.concatenate([mdp.phi[1:], mdp.phi[-1:]], axis=0)
    keys = jax.random.split(key, H)

    def per_h(phi_hat, xs):
        h, k = xs
        br, w = _budget(
            cov_exp_all[h],
            off_cov[h] + lam * eye,
            phi_hat,
            jnp.ones(n_pi, dt),
            state.active,
            level,
            1e-6,
            consts.T_max,
            consts.n_bisect,
            consts.n_iter,
            consts.reg,
            1000.0,
        )
        T = jnp.where(jnp.isfinite(br[1]), jnp.ceil(br[1]), consts.T_max)
        T = jnp.where(state.done, 0.0, T)
        occ_mix = jnp.einsum("n,nsa->sa", w, occ_all[:, h])
        c_on, r_on = sample_step_data(k, mdp, h, occ_mix, T, reward_noise)
        counts = offline.counts[h] + c_on
        rsum = offline.rsum[h] + r_on
        th, nxt, Lam = regression_step(
            mdp.phi[h], phi_next[h], counts, rsum, pis_next[:, h], phi_hat, lam
        )
        U = jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(Lam), phi_hat.T).T
        ratio = jnp.max(jnp.where(state.active, jnp.sum(U * phi_hat, -1), 0.0)) / level
        ratio = jnp.where(state.done, 0.0, ratio)  # 0 for masked epochs
        return nxt, (th, phi_hat, T, br, ratio)

    phi1 = start_visitation(mdp.phi, mdp.rho0, pis)
    phi1 = vary_like(phi1, zero_from(key=key, dtype=dt) + zero_from(state.n_online))
    _, (thetas, phis, T, br, ratio) = lax.scan(per_h, phi1, (jnp.arange(H), keys))
    Vhat = jnp.einsum("hnd,hd->n", phis, thetas)
    Vm = jnp.where(state.active, Vhat, -jnp.inf)
    best = jnp.max(Vm)
    new_active = state.active & (Vhat >= best - e_l)
    choice = jnp.argmax(Vm)
    run = ~state.done
    new_state = FTPedelState(
        active=jnp.where(run, new_active, state.active),
        done=state.done | (jnp.sum(new_active) <= 1) | (ell >= L),
        policy_idx=jnp.where(run, choice, state.policy_idx),
        n_online=state.n_online + jnp.sum(T),
        epoch=jnp.where(run, ell, state.epoch),
    )
    info = FTPedelInfo(T, br, new_state.active, Vhat, ratio, run)
    return new_state, info


# one compiled program per (shape, consts, reward_noise) for the public step (op by op, ~50 programs
# around the budget solver); ftpedel_run traces the plain ``_ftpedel_step`` inside its scan
_ftpedel_step_jit = jax.jit(_ftpedel_step, static_argnames=("consts", "reward_noise"))


def _validate_run(
    mdp, offline, pis, eps, delta, design, reward_noise, max_epochs, consts, level_scale
):
    validate_mdp(mdp)
    validate_offline(offline, mdp)
    validate_pis(pis, mdp)
    checks.check_probability("eps", eps, open_interval=True)
    checks.check_probability("delta", delta, open_interval=True)
    validate_consts(consts)
    checks.check_positive("level_scale", level_scale)
    if design != "oracle":
        raise ValueError(
            f"`design` must be 'oracle' (the only design implemented); got {design!r}."
        )
    _check_noise(reward_noise)
    if checks.is_traced(eps):
        if max_epochs is None:
            raise ValueError("`max_epochs` is required when `eps` is traced.")
        return checks.check_int("max_epochs", max_epochs, min_value=1)
    L = n_epochs(float(eps))
    if max_epochs is not None:
        checks.check_int("max_epochs", max_epochs, min_value=L)
        L = max_epochs
    return L


def ftpedel_run(
    key,
    mdp: LinearMDP,
    offline: OfflineData,
    pis,
    eps: float,
    delta: float,
    *,
    design: str = "oracle",
    consts: FTPedelConsts = FTPedelConsts(),
    reward_noise: str = "bernoulli",
    max_epochs: int | None = None,
    level_scale=1.0,
) -> FTPedelResult:
    """Run FTPedel: a ``lax.scan`` of :func:`ftpedel_step` over ``L`` epochs (jit- and vmap-able in key).

    Args:
      key: PRNG key.
      mdp: :class:`LinearMDP` (the simulator; the algorithm knows ``phi`` and ``rho0``).
      offline: :class:`OfflineData` (``empty_offline(mdp)`` gives Pedel).
      pis: ``[n_pi, H, S]`` int policy class ``Pi``.
      eps, delta: accuracy and confidence in ``(0, 1)``; either may be traced (then ``max_epochs``
        is required); the run stops after ``L = ceil(log2(1/eps))`` epochs at the latest.
      design: ``"oracle"`` (known-dynamics design; see module docstring).
      consts: :class:`FTPedelConsts`.
      reward_noise: ``"bernoulli"`` or ``"gaussian"`` (unit variance).
      max_epochs: number of scanned epochs (``>= L``; default ``L``); later epochs are masked.
      level_scale: multiplies the design level (default 1, the algorithm). A value ``> 1`` is a
        deliberately under-sampling mutant (``c0`` divided by ``level_scale``), used only by the
        power check of the PAC test; may be traced.

    Returns:
      :class:`FTPedelResult` (``policy_idx``, ``n_online`` and per-epoch records).

    References:
      spec §4 (algorithm, [recalled] structure), ``theory/ftpedel.md`` §5 (the lab's
      constants and good-event argument).

    Raises:
      ValueError: if ``mdp``, ``offline``, ``pis`` or ``consts`` is malformed, ``eps``/``delta`` not
        in (0, 1), ``design``/``reward_noise`` unknown, ``max_epochs < L`` or ``level_scale <= 0``.
    """
    L = _validate_run(
        mdp, offline, pis, eps, delta, design, reward_noise, max_epochs, consts, level_scale
    )
    pis = jnp.asarray(pis)
    occ_all = jax.vmap(lambda p: occupancy(mdp, p))(pis)
    state = ftpedel_init(mdp, pis)
    active0 = state.active
    state = vary_like(
        state,
        zero_from(
            mdp.phi, mdp.mu, mdp.theta, offline.counts, offline.rsum, key=key, dtype=mdp.phi.dtype
        ),
    )

    def body(st, k):
        return _ftpedel_step(
            k, st, mdp, offline, pis, occ_all, eps, delta, consts, reward_noise, level_scale
        )

    state, info = lax.scan(body, state, jax.random.split(key, L))
    return FTPedelResult(
        policy_idx=state.policy_idx,
        n_online=state.n_online,
        n_online_per=info.n_online,
        active=jnp.concatenate([active0[None], info.active], 0),
        Vhat=info.Vhat,
        n_epochs=state.epoch,
        T_budget=info.T_budget,
        design_ratio=info.design_ratio,
    )


def pedel_run(key, mdp: LinearMDP, pis, eps: float, delta: float, **kw) -> FTPedelResult:
    """Pedel (no offline data): ``ftpedel_run(key, mdp, empty_offline(mdp), pis, eps, delta, **kw)``.

    Raises:
      ValueError: as :func:`ftpedel_run`.
    """
    return ftpedel_run(key, mdp, empty_offline(mdp), pis, eps, delta, **kw)


def lcb_policy(
    mdp: LinearMDP, offline: OfflineData, pis, delta: float, *, lam: float | None = None
):
    """Unverifiable offline baseline (pessimism): ``argmax_pi V_hat^pi - sqrt(beta) sum_h width_{pi,h}``.

    ``width_{pi,h} = ||phi_hat_{pi,h}||_{Lambda_h^{-1}}`` from offline data only,
    ``beta = 2 log(2 H |Pi| / delta)`` (``theory/ftpedel.md`` §3.5). Uses no online episode.

    Raises:
      ValueError: if ``mdp``, ``offline`` or ``pis`` is malformed, ``delta`` not in (0, 1) or
        ``lam`` not None or > 0.
    """
    from unlearnlab.rl.visitation import estimate_visitations

    validate_mdp(mdp)
    validate_offline(offline, mdp)
    validate_pis(pis, mdp)
    checks.check_probability("delta", delta, open_interval=True)
    if lam is not None:
        checks.check_positive("lam", lam)
    H, _, _, d = mdp.phi.shape
    lam = 1.0 / d if lam is None else lam
    pis = jnp.asarray(pis)
    phis, thetas = estimate_visitations(offline.counts, offline.rsum, mdp.phi, mdp.rho0, pis, lam)
    n_sa = offline.counts.sum(-1)
    Lam = jnp.einsum("hsa,hsad,hsae->hde", n_sa, mdp.phi, mdp.phi) + lam * jnp.eye(d)
    U = jax.vmap(lambda L_h, X_h: jnp.linalg.solve(L_h, X_h.T).T, in_axes=(0, 1), out_axes=1)(
        Lam, phis
    )
    width = jnp.sqrt(jnp.sum(U * phis, -1)).sum(-1)
    beta = 2.0 * math.log(2.0 * H * pis.shape[0] / delta)
    return jnp.argmax(jnp.einsum("nhd,hd->n", phis, thetas) - math.sqrt(beta) * width)
