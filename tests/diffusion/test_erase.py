"""Erasure edits of the conditioning map (spec ``diffusion.md``: ESD-, UCE-style, range removal).

Exact identities in float64 against brute-force least squares (vectorised normal equations), the
closed-form KLs of the theory note (Props. 2-4), jit == no-jit.
"""

import jax
import numpy as np
import pytest

from unlearnlab.diffusion import (
    attack_kl,
    collateral_kl,
    concept_kl,
    erase_esd,
    erase_range,
    erase_uce,
    gaussian_kl,
    range_removal_cost,
    rho_min,
)


def _ridge_brute(rows, targets, W, lam):
    """argmin_V sum_i ||V x_i - y_i||^2 + lam ||V - W||_F^2 by lstsq on the stacked system."""
    d, p = W.shape
    A = [np.kron(np.eye(d), x[None, :]) for x in rows]  # V x = kron(I, x^T) vec_row(V)
    b = list(targets)
    if lam > 0:
        A.append(np.sqrt(lam) * np.eye(d * p))
        b.append(np.sqrt(lam) * W.reshape(-1))
    A = np.concatenate(A, axis=0)
    b = np.concatenate([np.atleast_1d(v) for v in b])
    return np.linalg.lstsq(A, b, rcond=None)[0].reshape(d, p)


def test_esd_is_the_ridge_fit(small):
    """erase_esd = argmin ||V e* - mu_tgt||^2 + lam ||V - W||^2 (brute force, 1e-10), e_null = E[3]."""
    m = small
    for eta, lam in ((1.0, 0.5), (2.0, 3.0)):
        e0 = m.E[3]
        tgt = m.W @ e0 - eta * (m.W @ m.e_star - m.W @ e0)
        brute = _ridge_brute([m.e_star], [tgt], m.W, lam)
        np.testing.assert_allclose(
            erase_esd(m.W, m.e_star, eta=eta, lam=lam, e_null=e0), brute, atol=1e-10
        )


@pytest.mark.claim("diffusion_unlearn.negative_prompt_attack")
def test_esd_negative_prompt_regenerates_the_concept(small):
    """G2: with e_null = 0, lam = 0: W' e* = -eta W e*, and the prompt -e*/eta has concept KL 0
    (1e-20 relative to the erased KL); the exact attack's KL is 0 and rho_min = (1 + 1/eta)||e*||."""
    m = small
    for eta in (0.5, 1.0, 3.0):
        We = np.asarray(erase_esd(m.W, m.e_star, eta=eta))
        np.testing.assert_allclose(We @ m.e_star, -eta * m.W @ m.e_star, atol=1e-12)
        erased = float(concept_kl(m.e_star, We, m.mu_star, m.mu0, m.sigma0))
        assert erased > 1.0
        assert float(concept_kl(-m.e_star / eta, We, m.mu_star, m.mu0, m.sigma0)) < 1e-20 * erased
        assert float(attack_kl(We, m.mu_star, m.mu0, m.sigma0, m.e_star)) < 1e-20 * erased
        r = float(rho_min(We, m.mu_star, m.mu0, m.e_star))
        assert abs(r - (1 + 1 / eta) * np.linalg.norm(m.e_star)) < 1e-10


def test_uce_is_the_least_squares_edit(small):
    """erase_uce = brute-force least squares over erased->anchor and preserved prompts (1e-10)."""
    m = small
    Ee, Ea, Ep = m.E[:1], np.zeros((1, m.p)), m.E[1:3]
    for lam in (0.1, 1.0):
        rows = list(Ee) + list(Ep)
        tg = [m.W @ a for a in Ea] + [m.W @ e for e in Ep]
        np.testing.assert_allclose(
            erase_uce(m.W, Ee, Ea, Ep, lam=lam), _ridge_brute(rows, tg, m.W, lam), atol=1e-10
        )
    # lam = 0 with enough preserved prompts to span R^p: the normal equations are exact
    Ep = m.E[1:]
    rows = list(Ee) + list(Ep)
    tg = [m.W @ a for a in Ea] + [m.W @ e for e in Ep]
    np.testing.assert_allclose(
        erase_uce(m.W, Ee, Ea, Ep, lam=0.0), _ridge_brute(rows, tg, m.W, 0.0), atol=1e-10
    )


@pytest.mark.claim("diffusion_unlearn.negative_prompt_attack")
def test_uce_keeps_the_range_so_the_concept_stays_reachable(small):
    """Prop. 3: W' = W B with B invertible, so (I - W'W'^+)(mu* - mu0) = 0 and the exact attack's KL
    is 0 (1e-12 relative to the erased KL), although W' e* is pulled to the anchor."""
    m = small
    Wu = np.asarray(erase_uce(m.W, m.E[:1], np.zeros((1, m.p)), m.E[1:], lam=1.0))
    B = np.linalg.lstsq(m.W, Wu, rcond=None)[0]
    np.testing.assert_allclose(m.W @ B, Wu, atol=1e-12)
    assert abs(np.linalg.det(B)) > 1e-6
    erased = float(concept_kl(m.e_star, Wu, m.mu_star, m.mu0, m.sigma0))
    assert float(attack_kl(Wu, m.mu_star, m.mu0, m.sigma0, m.e_star)) < 1e-12 * erased


@pytest.mark.claim("diffusion_unlearn.range_removal_blocks")
def test_range_removal_blocks_with_closed_form_cost(small):
    """Prop. 4: W'^T u = 0; at every budget the attack's KL is >= (u^T(mu* - mu0))^2/(2 sigma0^2),
    with equality for rho >= rho_min; collateral KL_j = (u^T W e_j)^2/(2 sigma0^2), which equals
    gaussian_kl of the generations (1e-10)."""
    m = small
    Wr = np.asarray(erase_range(m.W, m.e_star))
    u = m.W @ m.e_star / np.linalg.norm(m.W @ m.e_star)
    np.testing.assert_allclose(Wr.T @ u, 0.0, atol=1e-12)
    floor = (u @ (m.mu_star - m.mu0)) ** 2 / (2 * m.sigma0**2)
    assert floor > 1.0
    for rho in (0.0, 0.5, 2.0, 100.0, None):
        kl = float(attack_kl(Wr, m.mu_star, m.mu0, m.sigma0, m.e_star, rho))
        assert kl >= floor * (1 - 1e-12)
    assert abs(float(attack_kl(Wr, m.mu_star, m.mu0, m.sigma0, m.e_star)) - floor) < 1e-10 * floor
    coll = np.asarray(collateral_kl(Wr, m.W, m.E, m.sigma0))
    np.testing.assert_allclose(coll, (m.E @ m.W.T @ u) ** 2 / (2 * m.sigma0**2), atol=1e-12)
    fl, cc = range_removal_cost(m.W, m.e_star, m.mu_star, m.mu0, m.E, m.sigma0)
    assert abs(float(fl) - floor) < 1e-12 * floor
    np.testing.assert_allclose(cc, coll, atol=1e-12)
    S = m.sigma0**2 * np.eye(m.d)
    for j in range(m.K):
        g = float(gaussian_kl(m.mu0 + Wr @ m.E[j], S, m.mu0 + m.W @ m.E[j], S))
        assert abs(g - coll[j]) < 1e-10


def test_jit_equals_nojit_and_traced_once(small):
    m = small
    count = {"n": 0}

    def f(W, e):
        count["n"] += 1
        return (
            erase_esd(W, e, eta=1.0, lam=0.1),
            erase_uce(W, e[None], 0 * e[None], m.E[1:], lam=0.5),
            erase_range(W, e),
            collateral_kl(erase_range(W, e), W, m.E, m.sigma0),
        )

    jf = jax.jit(f)
    for s in (1.0, 2.0):
        out, ref = jf(s * m.W, m.e_star), f(s * m.W, m.e_star)
        for a, b in zip(out, ref):
            np.testing.assert_allclose(a, b, atol=1e-12)
    assert count["n"] == 1 + 2


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m: erase_esd(m.W, np.zeros(m.p)), "e_star"),
        (lambda m: erase_esd(m.W, m.e_star, eta=-1.0), "eta"),
        (lambda m: erase_esd(m.W, m.e_star, lam=-0.1), "lam"),
        (lambda m: erase_esd(m.W, m.e_star[:-1]), "e_star"),
        (lambda m: erase_uce(m.W, m.E[:1], np.zeros((2, m.p)), m.E[1:], 1.0), "E_anchor"),
        (lambda m: erase_uce(m.W, m.E[:1], np.zeros((1, m.p)), m.E[1:2], 0.0), "lam"),
        (lambda m: erase_range(m.W, np.zeros(m.p)), "e_star"),
        (lambda m: collateral_kl(m.W, m.W, m.E, -1.0), "sigma0"),
        (lambda m: collateral_kl(m.W, m.W[:, :-1], m.E, 1.0), "W"),
    ],
)
def test_validation(small, call, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call(small)
