"""Occupancies, feature visitations, values, transfer operators and their least-squares estimates.

For a policy ``pi`` (``theory/ftpedel.md`` §2.2; definitions [recalled], identities [derived]):

    phi_{pi,h}    = E_pi[phi(s_h, a_h)]                      (d,)
    Lambda_{pi,h} = E_pi[phi(s_h, a_h) phi(s_h, a_h)^T]      (d, d)
    V^pi          = sum_h <phi_{pi,h}, theta_h>
    phi_{pi,h+1}  = T_{pi,h} phi_{pi,h},   T_{pi,h} = sum_{s'} phi(s', pi_{h+1}(s')) mu_h(s')^T.

The estimate of ``T_{pi,h}`` from any transitions ``(s_h, a_h, s_{h+1})`` is

    T_hat_{pi,h} = [sum_tau phi(s'_tau, pi_{h+1}(s'_tau)) phi(s_tau, a_tau)^T] Lambda_h^{-1},
    Lambda_h     = sum_tau phi(s_tau, a_tau) phi(s_tau, a_tau)^T + lam I,

which never needs the behaviour policy; that is why offline transitions can be used directly.

Symbol -> argument: ``pi`` -> ``pi [H, S]`` int or ``[H, S, A]`` probabilities, ``Pi`` -> ``pis``,
``lam`` -> ``lam``, counts/reward sums -> ``counts [H, S, A, S]``, ``rsum [H, S, A]``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from unlearnlab.lab import checks
from unlearnlab.rl.linear_mdp import (
    LinearMDP,
    mean_reward,
    policy_probs,
    transition,
    validate_mdp,
    validate_pis,
    validate_policy,
    validate_step,
)

__all__ = [
    "occupancy",
    "visitation",
    "values",
    "values_dp",
    "transfer_operator",
    "start_visitation",
    "regression_step",
    "estimate_visitations",
]


def occupancy(mdp: LinearMDP, pi) -> jax.Array:
    """State-action occupancy ``w_h(s, a) = P_pi(s_h = s, a_h = a)``, ``[H, S, A]`` (forward recursion).

    Raises:
      ValueError: if ``mdp`` is malformed or ``pi`` is neither ``[H, S]`` actions in ``[0, A)`` nor
        ``[H, S, A]`` probabilities.
    """
    validate_mdp(mdp)
    validate_policy(pi, mdp)
    H, S, A, _ = mdp.phi.shape
    probs = policy_probs(pi, A).astype(mdp.phi.dtype)
    P = transition(mdp)

    def body(dist, xs):
        pr, P_h = xs
        occ = dist[:, None] * pr
        return jnp.einsum("sa,sat->t", occ, P_h), occ

    _, occ = lax.scan(body, mdp.rho0.astype(mdp.phi.dtype), (probs, P))
    return occ


def visitation(mdp: LinearMDP, pi) -> tuple[jax.Array, jax.Array]:
    """Feature visitations ``phi_{pi,h}`` and second moments ``Lambda_{pi,h}`` of one policy.

    Args:
      mdp: :class:`LinearMDP` (``phi [H, S, A, d]``).
      pi: ``[H, S]`` int (deterministic) or ``[H, S, A]`` probabilities.
    Returns:
      ``(phi_pi [H, d], Lambda_pi [H, d, d])``.
    Raises:
      ValueError: if ``mdp`` or ``pi`` is malformed (see :func:`occupancy`).
    References: ``theory/ftpedel.md`` §2.2.
    """
    validate_mdp(mdp)
    validate_policy(pi, mdp)
    occ = occupancy(mdp, pi)
    phi_pi = jnp.einsum("hsa,hsad->hd", occ, mdp.phi)
    Lam = jnp.einsum("hsa,hsad,hsae->hde", occ, mdp.phi, mdp.phi)
    return phi_pi, Lam


def values(mdp: LinearMDP, pis) -> jax.Array:
    """Values ``V^pi = sum_h <phi_{pi,h}, theta_h>`` of every policy in ``pis [n_pi, H, S]``, ``[n_pi]``."""
    validate_mdp(mdp)
    validate_pis(pis, mdp)
    phis = jax.vmap(lambda p: visitation(mdp, p)[0])(jnp.asarray(pis))
    return jnp.einsum("nhd,hd->n", phis, mdp.theta)


def values_dp(mdp: LinearMDP, pis) -> jax.Array:
    """Backward dynamic-programming oracle for :func:`values` (``[n_pi]``).

    Raises:
      ValueError: if ``mdp`` is malformed or ``pis`` is not ``[n_pi, H, S]`` actions in ``[0, A)``.
    """
    validate_mdp(mdp)
    validate_pis(pis, mdp)
    H, S, A, _ = mdp.phi.shape
    P, r = transition(mdp), mean_reward(mdp)

    def one(pi):
        pr = policy_probs(pi, A).astype(mdp.phi.dtype)

        def body(V, xs):
            pr_h, P_h, r_h = xs
            Q = r_h + jnp.einsum("sat,t->sa", P_h, V)
            return jnp.sum(pr_h * Q, -1), None

        V0, _ = lax.scan(body, jnp.zeros(S, mdp.phi.dtype), (pr, P, r), reverse=True)
        return mdp.rho0 @ V0

    return jax.vmap(one)(jnp.asarray(pis))


def _next_features(phi_next, pi_next_probs):
    """``phi(s', pi_{h+1}(s'))`` averaged over the policy: ``[S, d]``."""
    return jnp.einsum("sa,sad->sd", pi_next_probs, phi_next)


def transfer_operator(mdp: LinearMDP, pi, h: int) -> jax.Array:
    """``T_{pi,h} = sum_{s'} phi(s', pi_{h+1}(s')) mu_h(s')^T``, ``[d, d]`` (``0 <= h < H - 1``).

    Raises:
      ValueError: if ``mdp`` or ``pi`` is malformed or ``h`` is not an integer in ``[0, H - 1)``.
    """
    validate_mdp(mdp)
    validate_policy(pi, mdp)
    H, S, A, _ = mdp.phi.shape
    if not checks.is_traced(h):
        validate_step(h, H, hi=H - 1)
    pr = policy_probs(pi, A).astype(mdp.phi.dtype)
    nf = _next_features(mdp.phi[h + 1], pr[h + 1])
    return jnp.einsum("sd,es->de", nf, mdp.mu[h])


def start_visitation(phi, rho0, pis) -> jax.Array:
    """``phi_{pi,1} = E_{s_1 ~ rho0}[phi(s_1, pi_1(s_1))]`` for each policy (known exactly), ``[n_pi, d]``."""
    A = phi.shape[2]
    pr = jax.nn.one_hot(pis[:, 0], A, dtype=phi.dtype)  # [n, S, A]
    return jnp.einsum("s,nsa,sad->nd", rho0, pr, phi[0])


def regression_step(phi_h, phi_next, counts_h, rsum_h, pis_next, phi_hat_h, lam):
    """One step of the least-squares estimates from transitions at step ``h``.

    Args:
      phi_h: ``[S, A, d]`` step-``h`` features; ``phi_next``: ``[S, A, d]`` step-``h+1`` features.
      counts_h: ``[S, A, S]`` transition counts; ``rsum_h``: ``[S, A]`` reward sums.
      pis_next: ``[n_pi, S]`` actions of each policy at step ``h+1``.
      phi_hat_h: ``[n_pi, d]`` current estimates ``phi_hat_{pi,h}``.
      lam: ridge ``lam >= 0``.
    Returns:
      ``(theta_hat_h [d], phi_hat_{h+1} [n_pi, d], Lambda_h [d, d])``.
    """
    d = phi_h.shape[-1]
    n_sa = counts_h.sum(-1)
    Lam = jnp.einsum("sa,sad,sae->de", n_sa, phi_h, phi_h) + lam * jnp.eye(d, dtype=phi_h.dtype)
    Lam = 0.5 * (Lam + Lam.T)
    cho = jax.scipy.linalg.cho_factor(Lam)
    theta_hat = jax.scipy.linalg.cho_solve(cho, jnp.einsum("sa,sad->d", rsum_h, phi_h))
    u = jax.scipy.linalg.cho_solve(cho, phi_hat_h.T)  # [d, n_pi] = Lambda^{-1} phi_hat
    A = phi_h.shape[1]
    nf = jnp.einsum("nta,tad->ntd", jax.nn.one_hot(pis_next, A, dtype=phi_h.dtype), phi_next)
    # M_pi = sum_{s,a,s'} N[s,a,s'] phi(s', pi(s')) phi(s,a)^T ; phi_hat_next = M_pi u_pi
    proj = jnp.einsum("sad,dn->nsa", phi_h, u)  # phi(s,a)^T Lambda^{-1} phi_hat_pi
    phi_next_hat = jnp.einsum("sat,nsa,ntd->nd", counts_h, proj, nf)
    return theta_hat, phi_next_hat, Lam


def _check_estimate_inputs(counts, rsum, phi, rho0, pis, lam):
    checks.check_array("phi", phi, ndim=4)
    checks.check_nonempty("phi", phi)
    H, S, A, d = np.shape(phi)
    checks.check_array("counts", counts, ndim=4)
    checks.check_shape("counts", counts, (H, S, A, S))
    checks.check_array("rsum", rsum, ndim=3)
    checks.check_shape("rsum", rsum, (H, S, A))
    checks.check_array("rho0", rho0, ndim=1)
    checks.check_shape("rho0", rho0, (S,))
    checks.check_nonnegative("lam", lam)
    if checks.is_traced(counts) or checks.is_traced(phi):
        return
    if np.any(np.asarray(counts) < 0):
        raise ValueError("`counts` must be non-negative.")
    checks.check_probability_vector("rho0", rho0, atol=1e-9)
    arr = np.asarray(pis)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"`pis` must hold integer actions; got dtype {arr.dtype}.")
    checks.check_shape("pis", arr, (None, H, S))
    if arr.shape[0] < 1:
        raise ValueError("`pis` must hold at least one policy.")
    checks.check_index("pis", arr, A)
    if not checks.is_traced(lam) and float(lam) == 0.0:
        n_sa = np.asarray(counts, float).sum(-1)
        P = np.asarray(phi, float)
        Lam = np.einsum("hsa,hsad,hsae->hde", n_sa, P, P)
        lo = np.linalg.eigvalsh(Lam)[:, 0]
        if np.any(lo <= 1e-12 * np.maximum(1.0, np.abs(Lam).max(axis=(1, 2)))):
            raise ValueError(
                "`lam` = 0 needs a positive definite step covariance sum n(s, a) phi phi^T at every "
                f"step; smallest eigenvalues {lo.tolist()}."
            )


def estimate_visitations(counts, rsum, phi, rho0, pis, lam):
    """Least-squares ``phi_hat_{pi,h}`` and ``theta_hat_h`` from transition statistics (all steps).

    ``phi_hat_{pi,1}`` is known exactly (known features and start distribution); later steps follow
    ``phi_hat_{pi,h+1} = T_hat_{pi,h} phi_hat_{pi,h}`` (module docstring).

    Args:
      counts: ``[H, S, A, S]``; rsum: ``[H, S, A]``; phi: ``[H, S, A, d]``; rho0: ``[S]``;
      pis: ``[n_pi, H, S]`` int; lam: ridge.
    Returns:
      ``(phi_hat [n_pi, H, d], theta_hat [H, d])``.
    Raises:
      ValueError: if an array is not finite or has the wrong shape, ``counts`` is negative, ``rho0``
        is not a distribution, ``pis`` holds actions outside ``[0, A)``, ``lam < 0``, or ``lam = 0``
        with a singular step covariance ``sum n(s, a) phi phi^T``.
    """
    _check_estimate_inputs(counts, rsum, phi, rho0, pis, lam)
    H = phi.shape[0]
    pis = jnp.asarray(pis)
    cur = start_visitation(phi, rho0, pis)
    phis, thetas = [], []
    for h in range(H):
        nxt_phi = phi[h + 1] if h + 1 < H else phi[h]
        nxt_pi = pis[:, h + 1] if h + 1 < H else pis[:, h]
        th, nxt, _ = regression_step(phi[h], nxt_phi, counts[h], rsum[h], nxt_pi, cur, lam)
        phis.append(cur)
        thetas.append(th)
        cur = nxt
    return jnp.stack(phis, 1), jnp.stack(thetas)
