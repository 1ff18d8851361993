"""The offline-to-online complexity, the H = 1 lower bound and FTPedel's own upper envelope.

* :func:`o2o_complexity` -- ``N*_on = min{T : max_h C_h(T) <= level}`` with certified brackets, where
  (``theory/ftpedel.md`` §3.1; the name "offline-to-online concentrability coefficient" is
  [secondary], the formula [recalled]/[derived])

      C_h(T) = inf_{pi_exp} max_pi ||x_{pi,h}||^2_{(T Lambda_{pi_exp,h} + Lambda_off,h)^{-1}} / den_pi^2,

  ``form="abs"``: ``x = phi_{pi,h}``, ``den = max{Delta(pi), Delta_min, eps}``, all of ``Pi``;
  ``form="diff"``: ``x = phi_{pi,h} - phi_{pi*,h}``, ``den = max{Delta(pi), eps}``, ``Delta(pi) > 0``.
  ``reduce="max"`` gives ``max_h T*_h``, ``"sum"`` Pedel's ``sum_h T*_h``.
* :func:`o2o_coefficient` -- the normalised ``C_o2o(T) = max_h T C_h(T)`` ([recalled] shape).
* :func:`bandit_lower_bound` -- the H = 1 transportation lower bound with offline data (§3.3,
  [derived]): ``E[T_on] >= T_LB`` for every delta-correct (eps-PAC if ``eps > 0``) algorithm.
* :func:`ftpedel_upper_bound` -- the sum over epochs of the budgets of FTPedel's own design
  condition (§5 of the note; the lab's constants, test S4).

The exploration set is the policy class itself (its deterministic policies; mixtures span the
achievable ``Lambda``'s). Large counts and exact brackets need ``jax_enable_x64``.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab import checks
from unlearnlab.rl.design import (
    _budget,
    _budget_jit,
    _g_and_u,
    _solve,
    check_budget_range,
    validate_design_inputs,
)
from unlearnlab.rl.linear_mdp import LinearMDP, validate_mdp, validate_pis
from unlearnlab.rl.visitation import visitation

__all__ = [
    "ComplexityResult",
    "gaps",
    "policy_visitations",
    "o2o_complexity",
    "o2o_coefficient",
    "bandit_lower_bound",
    "ftpedel_upper_bound",
]

_FORMS = ("abs", "diff")
_REDUCE = ("max", "sum")


class ComplexityResult(NamedTuple):
    """Result of :func:`o2o_complexity`.

    Fields: ``T_lo, T_hi ()`` reduced over steps; ``T_lo_h, T_hi_h [H]``; ``binding [H]`` index of
    the target with the largest dual weight at ``T_hi`` per step; ``Delta [n_pi]``; ``Delta_min ()``;
    ``offline_suffices ()`` (``T_hi == 0``).
    """

    T_lo: jax.Array
    T_hi: jax.Array
    T_lo_h: jax.Array
    T_hi_h: jax.Array
    binding: jax.Array
    Delta: jax.Array
    Delta_min: jax.Array
    offline_suffices: jax.Array


def policy_visitations(mdp: LinearMDP, pis) -> tuple[jax.Array, jax.Array]:
    """``phi_{pi,h}`` and ``Lambda_{pi,h}`` of every policy: ``([n_pi, H, d], [n_pi, H, d, d])``.

    Raises:
      ValueError: if ``mdp`` is malformed or ``pis`` is not ``[n_pi, H, S]`` actions in ``[0, A)``.
    """
    validate_mdp(mdp)
    validate_pis(pis, mdp)
    return _policy_visitations(mdp, jnp.asarray(pis))


@jax.jit
def _policy_visitations(mdp, pis):
    # jitted: called on the host per instance, where the vmapped recursion is ~8 small programs
    return jax.vmap(lambda p: visitation(mdp, p))(pis)


def gaps(V, gap_tol: float = 1e-12):
    """``Delta(pi) = max V - V^pi`` (ties within ``gap_tol`` set to 0), ``Delta_min`` (``inf`` if all optimal).

    Raises:
      ValueError: if ``V`` is not a finite non-empty 1-D array or ``gap_tol`` is negative.
    """
    checks.check_array("V", V, ndim=1)
    checks.check_nonempty("V", V)
    checks.check_nonnegative("gap_tol", gap_tol)
    return _gaps(V, gap_tol)


def _gaps(V, gap_tol):
    D = jnp.max(V) - V
    D = jnp.where(D <= gap_tol, 0.0, D)
    pos = D > 0
    Dmin = jnp.where(jnp.any(pos), jnp.min(jnp.where(pos, D, jnp.inf)), jnp.inf)
    return D, Dmin


def _targets(phis, V, eps, form, gap_tol):
    """Targets ``[n_pi, H, d]``, denominators ``[n_pi]``, mask ``[n_pi]`` for a form."""
    D, Dmin = _gaps(V, gap_tol)
    if form == "abs":
        den = jnp.maximum(jnp.maximum(D, Dmin), eps)
        return phis, den, jnp.ones(D.shape, bool), D, Dmin
    star = jnp.argmax(V)
    return phis - phis[star][None], jnp.maximum(D, eps), D > 0, D, Dmin


def _targets_either(phis, V, eps, is_diff, gap_tol):
    """:func:`_targets` with the form as a traced bool (both forms built, one selected exactly)."""
    a = _targets(phis, V, eps, "abs", gap_tol)
    b = _targets(phis, V, eps, "diff", gap_tol)
    return tuple(jnp.where(is_diff, y, x) for x, y in zip(a, b))


def _check_common(mdp, pis, cov_off, eps, form, reduce, reg=0.0, gap_tol=0.0):
    checks.check_nonnegative("reg", reg)
    checks.check_nonnegative("gap_tol", gap_tol)
    validate_mdp(mdp)
    validate_pis(pis, mdp)
    H, _, _, d = np.shape(mdp.phi)
    checks.check_array("cov_off", cov_off, ndim=3)
    checks.check_shape("cov_off", cov_off, (H, d, d))
    checks.check_probability("eps", eps, open_interval=True)
    if form not in _FORMS:
        raise ValueError(f"`form` must be one of {_FORMS}; got {form!r}.")
    if reduce not in _REDUCE:
        raise ValueError(f"`reduce` must be one of {_REDUCE}; got {reduce!r}.")
    # a traced cov_off (inside a caller's jit) goes to the validator as is: it checks the shapes and
    # skips the value checks that need concrete values
    C = cov_off if checks.is_traced(cov_off) else np.asarray(cov_off)
    for h in range(H):
        validate_design_inputs(np.zeros((1, d, d)), C[h], np.zeros((1, d)), np.ones(1))


def o2o_complexity(
    mdp: LinearMDP,
    pis,
    cov_off,
    eps,
    *,
    form: Literal["abs", "diff"] = "abs",
    reduce: Literal["max", "sum"] = "max",
    level=1.0,
    reg=1e-9,
    gap_tol=1e-12,
    T_max=1e12,
    n_bisect: int = 60,
    n_iter: int = 2000,
) -> ComplexityResult:
    """Minimal online budget ``N*_on`` with offline data, as a certified bracket.

    ``N*_on = min{T >= 0 : max_h C_h(T) <= level}`` equals ``max_h T*_h`` because each ``C_h`` is
    non-increasing in ``T`` (``theory/ftpedel.md`` §3.1, [derived]); ``level = 1/(c H^4 beta)`` in the
    paper's recalled Theorem 1. The ``T = 0`` case is handled exactly (offline data alone).

    Args:
      mdp: :class:`LinearMDP`; pis: ``[n_pi, H, S]`` policy class ``Pi`` (also the exploration set).
      cov_off: ``[H, d, d]`` offline covariances ``Lambda_off,h`` (:func:`offline_cov`).
      eps: ``epsilon in (0, 1)``.
      form: ``"abs"`` (upper-bound form) or ``"diff"`` (lower-bound form).
      reduce: ``"max"`` over steps or ``"sum"`` (Pedel's total).
      level: the threshold on ``C_h``.
      reg: ridge inside the inverse; gap_tol: ties in ``Delta``; T_max: largest budget searched.
      n_bisect, n_iter: bisection steps on ``log T`` and Frank-Wolfe iterations per solve.
    Returns:
      :class:`ComplexityResult`.
    Raises:
      ValueError: if ``mdp``, ``pis`` or ``cov_off`` is malformed, ``eps`` not in (0, 1), ``form``
        or ``reduce`` unknown, ``level <= 0``, ``reg`` or ``gap_tol < 0``, ``T_max <= 0`` or
        ``n_bisect``/``n_iter < 1``.
    References: spec §3.1; the paper's ``C_o2o`` ([recalled]; which numerator form it uses is unknown).
    """
    _check_common(mdp, pis, cov_off, eps, form, reduce, reg, gap_tol)
    checks.check_positive("level", level)
    check_budget_range(1e-6, T_max)
    checks.check_int("n_bisect", n_bisect, min_value=1)
    checks.check_int("n_iter", n_iter, min_value=1)
    return _o2o_jit(
        mdp,
        jnp.asarray(pis),
        jnp.asarray(cov_off, mdp.phi.dtype),
        eps,
        form == "diff",
        reduce == "sum",
        level,
        reg,
        gap_tol,
        T_max,
        n_bisect,
        n_iter,
    )


def _o2o(mdp, pis, cov_off, eps, is_diff, use_sum, level, reg, gap_tol, T_max, n_bisect, n_iter):
    # the form and the reduction are traced flags (both variants computed, one selected), so one
    # compiled program serves every (form, reduce) pair of a given shape and solver length
    phis, Lams = policy_visitations(mdp, pis)
    V = jnp.einsum("nhd,hd->n", phis, mdp.theta)
    X, den, mask, D, Dmin = _targets_either(phis, V, eps, is_diff, gap_tol)

    def per_h(X_h, C_h, off_h):
        br, w = _budget(
            C_h, off_h, X_h, den, mask, level, 1e-6, T_max, n_bisect, n_iter, reg, 1000.0
        )
        T = jnp.where(jnp.isfinite(br[1]), br[1], T_max)
        g, _ = _g_and_u(w, T, C_h, off_h, X_h, den, reg)
        return br, jnp.argmax(jnp.where(mask, g, -jnp.inf))

    br, binding = jax.vmap(per_h, in_axes=(1, 1, 0))(X, Lams, cov_off)
    T_lo = jnp.where(use_sum, jnp.sum(br[:, 0]), jnp.max(br[:, 0]))
    T_hi = jnp.where(use_sum, jnp.sum(br[:, 1]), jnp.max(br[:, 1]))
    return ComplexityResult(T_lo, T_hi, br[:, 0], br[:, 1], binding, D, Dmin, T_hi == 0)


_o2o_jit = jax.jit(
    _o2o, static_argnums=(10,)
)  # n_iter traced: the Frank-Wolfe loop is a while loop


def o2o_coefficient(
    mdp: LinearMDP,
    pis,
    cov_off,
    eps,
    T,
    *,
    form: Literal["abs", "diff"] = "abs",
    reg=1e-9,
    gap_tol=1e-12,
    n_iter: int = 2000,
) -> jax.Array:
    """Normalised ``C_o2o(T) = max_h T C_h(T)`` ([recalled] shape, spec §3.1); ``[2]`` bracket, ``T > 0``.

    Raises:
      ValueError: as :func:`o2o_complexity`, and if ``T <= 0`` or ``n_iter < 1``.
    """
    _check_common(mdp, pis, cov_off, eps, form, "max", reg, gap_tol)
    checks.check_positive("T", T)
    checks.check_int("n_iter", n_iter, min_value=1)
    # one compiled program per (shape, form, n_iter) (op by op, ~60 programs around the solver)
    return _o2o_coef_jit(
        mdp, jnp.asarray(pis), jnp.asarray(cov_off), eps, T, form, reg, gap_tol, int(n_iter)
    )


def _o2o_coef(mdp, pis, cov_off, eps, T, form, reg, gap_tol, n_iter):
    phis, Lams = _policy_visitations(mdp, pis)
    V = jnp.einsum("nhd,hd->n", phis, mdp.theta)
    X, den, mask, _, _ = _targets(phis, V, eps, form, gap_tol)
    n_exp = Lams.shape[0]
    w0 = jnp.full((n_exp,), 1.0 / n_exp, mdp.phi.dtype)
    res = jax.vmap(
        lambda X_h, C_h, off_h: _solve(
            jnp.asarray(T, mdp.phi.dtype), C_h, off_h, X_h, den, mask, n_iter, reg, 1000.0, w0
        ),
        in_axes=(1, 1, 0),
    )(X, Lams, cov_off)
    return T * jnp.stack([jnp.max(res.lower), jnp.max(res.upper)])


_o2o_coef_jit = jax.jit(_o2o_coef, static_argnames=("form", "n_iter"))


def bandit_lower_bound(
    X,
    Z,
    theta,
    cov_off,
    delta,
    eps=0.0,
    *,
    cov_exp=None,
    reg=1e-12,
    n_bisect: int = 60,
    n_iter: int = 2000,
    T_max=1e14,
) -> jax.Array:
    """H = 1 lower bound on ``E[T_on]`` with offline data (transportation lemma), certified bracket.

        T_LB = min{T >= 0 : min_lambda max_{z != z*} ||z* - z||^2_{(T Lambda(lambda) + Lambda_off)^{-1}}
                                               / ((z* - z)^T theta + eps)^2 <= 1 / (2 log(1/(2.4 delta)))}

    for unit-variance Gaussian rewards, online and offline (``theory/ftpedel.md`` §3.3, [derived];
    the eps-PAC version adds ``eps`` to the gap and needs ``eps < Delta_min``).

    Args:
      X: ``[n_arms, d]`` arms (rank-one ``x x^T`` exploration covariances) unless ``cov_exp`` is given.
      Z: ``[n_z, d]`` targets; theta: ``[d]``; cov_off: ``[d, d]`` offline covariance.
      delta: confidence in ``(0, 1)``; eps: ``>= 0``, ``< Delta_min``.
      cov_exp: ``[n_exp, d, d]`` exploration covariances (random-context H = 1 instances:
        ``Lambda_{pi,1}`` of each policy).
    Returns:
      ``[2]`` array ``(T_lo, T_hi)``.
    Raises:
      ValueError: if ``X``, ``Z``, ``theta``, ``cov_off`` or ``cov_exp`` is malformed, ``delta`` not
        in (0, 1), ``eps`` not in ``[0, Delta_min)``, ``reg < 0``, ``T_max <= 0`` or
        ``n_bisect``/``n_iter < 1``.
    """
    checks.check_array("X", X, ndim=2)
    checks.check_nonempty("X", X)
    checks.check_nonempty("Z", Z)
    checks.check_nonnegative("reg", reg)
    checks.check_int("n_bisect", n_bisect, min_value=1)
    checks.check_int("n_iter", n_iter, min_value=1)
    check_budget_range(1e-6, T_max)
    d = np.shape(X)[1]
    checks.check_array("Z", Z, ndim=2)
    checks.check_shape("Z", Z, (None, d))
    checks.check_array("theta", theta, ndim=1)
    checks.check_shape("theta", theta, (d,))
    checks.check_probability("delta", delta, open_interval=True)
    checks.check_nonnegative("eps", eps)
    dt = jnp.result_type(jnp.asarray(theta))
    if cov_exp is None:
        cov_exp = jnp.einsum("id,ie->ide", X, X)
    else:
        checks.check_array("cov_exp", cov_exp, ndim=3)
        checks.check_shape("cov_exp", cov_exp, (None, d, d))
    validate_design_inputs(cov_exp, cov_off, Z, np.ones(np.shape(Z)[0]))
    vals = np.asarray(Z, float) @ np.asarray(theta, float)
    star = int(np.argmax(vals))
    D = vals[star] - vals
    sub = D > 1e-12
    if not np.any(sub):
        return jnp.zeros(2, dt)
    if not eps < D[sub].min():
        raise ValueError(f"`eps` must be < Delta_min = {D[sub].min():.6g}; got {eps}.")
    Zd = jnp.asarray(np.asarray(Z, float)[star][None] - np.asarray(Z, float), dt)
    den = jnp.asarray(np.where(sub, D + eps, 1.0), dt)
    level = 1.0 / (2.0 * math.log(1.0 / (2.4 * delta)))
    br, _ = _budget_jit(
        jnp.asarray(cov_exp, dt),
        jnp.asarray(cov_off, dt),
        Zd,
        den,
        jnp.asarray(sub),
        level,
        1e-6,
        T_max,
        n_bisect,
        n_iter,
        reg,
        1000.0,
    )
    return br


def ftpedel_upper_bound(
    mdp: LinearMDP, pis, cov_off, eps, delta, consts=None, *, eta=0.25, n_active=None
) -> jax.Array:
    """FTPedel's own upper envelope (test S4): ``sum_l sum_h T*_h(eps_l; S_l) (1 + eta)^2 + H L``.

    ``S_1 = Pi`` and ``S_l = {pi : Delta(pi) <= 4 eps_l}`` for ``l >= 2``; ``T*_h(eps_l; S)`` is the
    smallest budget of the algorithm's design condition (targets ``phi_{pi,h}``, ``pi in S``, level
    ``eps_l^2 / (c0 H_fac beta_l)``, ridge ``lam`` added to ``Lambda_off``), computed with the true
    ``phi_{pi,h}`` (the ``(1+eta)^2`` allows for estimates and the solver bracket). Uses the upper
    end ``T_hi`` of each bracket. ``theory/ftpedel.md`` §5.

    Returns: a scalar (``inf`` if some budget exceeds ``consts.T_max``).

    Raises:
      ValueError: if ``mdp``, ``pis`` or ``cov_off`` is malformed, ``eps`` or ``delta`` not in
        (0, 1), ``consts`` invalid or ``eta < 0``.
    """
    from unlearnlab.rl.ftpedel import FTPedelConsts, validate_consts

    consts = FTPedelConsts() if consts is None else consts
    validate_consts(consts)
    _check_common(mdp, pis, cov_off, eps, "abs", "max")
    checks.check_probability("delta", delta, open_interval=True)
    checks.check_nonnegative("eta", eta)
    L = math.ceil(math.log2(1.0 / eps))
    return _upper_jit(mdp, jnp.asarray(pis), jnp.asarray(cov_off), delta, eta, L, consts)


def _upper(mdp, pis, cov_off, delta, eta, L, consts):
    """Core of :func:`ftpedel_upper_bound` (no validation): the ``L * H`` budgets as one scan."""
    from unlearnlab.rl.ftpedel import _beta, _level_consts

    H, _, _, d = mdp.phi.shape
    n_pi = pis.shape[0]
    lam, H_fac = _level_consts(consts, H, d)
    phis, Lams = policy_visitations(mdp, pis)
    V = jnp.einsum("nhd,hd->n", phis, mdp.theta)
    D, _ = _gaps(V, 1e-12)
    offr = cov_off + lam * jnp.eye(d)
    ells = np.repeat(np.arange(1, L + 1), H)  # epoch-major, step-minor: the order of the sum
    hs = np.tile(np.arange(H), L)
    e_ls = 2.0 ** -ells.astype(float)  # exact powers of two, as in the epoch schedule

    def body(total, xs):
        ell, h, e_l = xs
        level = e_l**2 / (consts.c0 * H_fac * _beta(ell, H, n_pi, delta, consts))
        mask = (ell == 1) | (D <= 4 * e_l)
        br, _ = _budget(
            Lams[:, h],
            offr[h],
            phis[:, h],
            jnp.ones(n_pi),
            mask,
            level,
            1e-6,
            consts.T_max,
            consts.n_bisect,
            consts.n_iter,
            consts.reg,
            1000.0,
        )
        return total + br[1], None

    xs = (jnp.asarray(ells), jnp.asarray(hs), jnp.asarray(e_ls, D.dtype))
    total, _ = jax.lax.scan(body, jnp.zeros((), D.dtype), xs)
    return total * (1 + eta) ** 2 + H * L


#: jitted :func:`_upper`: one program for every epoch and step (static: ``L`` and the constants)
_upper_jit = jax.jit(_upper, static_argnums=(5, 6))
