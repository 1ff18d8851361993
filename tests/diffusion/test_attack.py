"""UnlearnDiffAtk on the Gaussian model: the attack loss is a least squares, Adam reaches its
closed-form minimiser, the budgeted attack is an exact trust-region solve (spec ``diffusion.md`` G1-G3).
"""

import jax
import numpy as np
import pytest

from unlearnlab.diffusion import (
    attack_init,
    attack_kl,
    attack_loss,
    attack_loss_exact,
    attack_lstsq,
    attack_step,
    best_prompt,
    concept_kl,
    erase_esd,
    erase_range,
    erase_uce,
    rho_min,
    unlearn_diff_atk,
)

N = 64  # images of the erased concept per batch (common random numbers)


@pytest.fixture(scope="module")
def draws(small):
    m = small
    k1, k2 = jax.random.split(jax.random.key(21))
    x0 = m.mu_star + m.sigma0 * np.asarray(jax.random.normal(k1, (N, m.d)))
    eps = np.asarray(jax.random.normal(k2, (m.alpha_bar.shape[0], N, m.d)))
    return x0, eps


@pytest.fixture(scope="module")
def edits(small):
    m = small
    return {
        "esd": np.asarray(erase_esd(m.W, m.e_star, eta=1.0)),
        "uce": np.asarray(erase_uce(m.W, m.E[:1], np.zeros((1, m.p)), m.E[1:], lam=1.0)),
        "range": np.asarray(erase_range(m.W, m.e_star)),
    }


def _weights(ab, s0):
    a, s = np.sqrt(ab), np.sqrt(1 - ab)
    v = a**2 * s0**2 + s**2
    return (s * a / v) ** 2


@pytest.mark.claim("diffusion_unlearn.denoising_identity")
def test_sampled_attack_loss_is_a_least_squares(small, draws, edits):
    """G1 (sampled, exact): L(e) = L(e_LS) + mean_t w_t ||W'(e - e_LS)||^2 for every e (1e-10), so
    the gradient vanishes at attack_lstsq and the loss is a weighted least squares in the prompt."""
    m = small
    x0, eps = draws
    wbar = _weights(m.alpha_bar, m.sigma0).mean()
    rng = np.random.default_rng(22)
    for W in edits.values():
        els = np.asarray(attack_lstsq(x0, eps, m.alpha_bar, W, m.mu0, m.sigma0))
        l0 = float(attack_loss(els, x0, eps, m.alpha_bar, W, m.mu0, m.sigma0))
        g = jax.grad(attack_loss)(els, x0, eps, m.alpha_bar, W, m.mu0, m.sigma0)
        assert np.max(np.abs(g)) < 1e-10
        for _ in range(3):
            e = 2 * rng.normal(size=m.p)
            le = float(attack_loss(e, x0, eps, m.alpha_bar, W, m.mu0, m.sigma0))
            pred = l0 + wbar * np.sum((W @ (e - els)) ** 2)
            assert abs(le - pred) < 1e-10 * max(1.0, le)


def test_population_loss_is_the_least_squares_in_the_mean(small, edits):
    """attack_loss_exact(e) - attack_loss_exact(e') = mean_t w_t (r(e)^2 - r(e')^2) with
    r(e) = ||mu* - mu0 - W'e|| (1e-10); best_prompt minimises it (loss at the best prompt is lower
    than at 20 random prompts)."""
    m = small
    wbar = _weights(m.alpha_bar, m.sigma0).mean()
    rng = np.random.default_rng(23)
    for W in edits.values():
        eb = np.asarray(best_prompt(W, m.mu_star, m.mu0, m.e_star))
        lb = float(attack_loss_exact(eb, m.mu_star, m.alpha_bar, W, m.mu0, m.sigma0))
        for _ in range(20):
            e = eb + rng.normal(size=m.p)
            le = float(attack_loss_exact(e, m.mu_star, m.alpha_bar, W, m.mu0, m.sigma0))
            r = lambda x: np.sum((m.mu_star - m.mu0 - W @ x) ** 2)  # noqa: E731
            assert abs((le - lb) - wbar * (r(e) - r(eb))) < 1e-10 * max(1.0, le)
            assert le >= lb - 1e-12


@pytest.mark.claim("diffusion_unlearn.negative_prompt_attack")
def test_adam_reaches_the_closed_form_minimiser(small, draws, edits):
    """Adam (optax, cosine-decayed, 1000 steps, lr 1) on the sampled loss from e*: the generated
    mean W'e reaches W'e_LS to 1e-4 relative and the loss is within 1e-8 of the minimum, for the
    ESD, UCE and range-removal edits (common random numbers: both see the same draws)."""
    m = small
    x0, eps = draws
    for name, W in edits.items():
        e, info = unlearn_diff_atk(
            m.e_star, x0, eps, m.alpha_bar, W, m.mu0, m.sigma0, steps=1000, lr=1.0
        )
        els = np.asarray(attack_lstsq(x0, eps, m.alpha_bar, W, m.mu0, m.sigma0))
        l_min = float(attack_loss(els, x0, eps, m.alpha_bar, W, m.mu0, m.sigma0))
        l_adam = float(attack_loss(e, x0, eps, m.alpha_bar, W, m.mu0, m.sigma0))
        rel = np.linalg.norm(W @ (np.asarray(e) - els)) / np.linalg.norm(W @ els)
        assert rel < 1e-4, (name, rel)
        assert 0 <= l_adam - l_min < 1e-8, (name, l_adam - l_min)
        assert float(info.loss[0]) > l_adam


def test_step_api_equals_scan_run(small, draws, edits):
    """attack_init + attack_step repeated = unlearn_diff_atk (same schedule), with a budget."""
    m = small
    x0, eps = draws
    W = edits["esd"]
    st = attack_init(m.e_star, lr=0.3, steps=5)
    for _ in range(5):
        st, info = attack_step(
            st, x0, eps, m.alpha_bar, W, m.mu0, m.sigma0, m.e_star, rho=0.5, lr=0.3, steps=5
        )
    e, infos = unlearn_diff_atk(
        m.e_star, x0, eps, m.alpha_bar, W, m.mu0, m.sigma0, steps=5, lr=0.3, rho=0.5
    )
    np.testing.assert_allclose(st.e, e, atol=1e-12)
    assert int(st.step) == 5 and np.all(np.asarray(infos.dist) <= 0.5 * (1 + 1e-12))


def _kkt_check(W, b, rho, delta):
    """Trust-region optimality: ||delta|| <= rho and W^T(W delta - b) = -lam delta, lam >= 0,
    lam (||delta|| - rho) = 0."""
    g = W.T @ (W @ delta - b)
    nd = np.linalg.norm(delta)
    if rho == 0:
        assert nd == 0
        return
    assert nd <= rho * (1 + 1e-9) + 1e-12
    if np.max(np.abs(g)) < 1e-9:  # stationary: the global minimiser of a convex problem
        return
    assert nd >= rho * (1 - 1e-9)  # not stationary: the constraint must be active
    if True:
        lam = -(g @ delta) / (delta @ delta)
        assert lam >= -1e-9
        np.testing.assert_allclose(g, -lam * delta, atol=1e-8 * max(1.0, np.abs(g).max()))


@pytest.mark.claim("diffusion_unlearn.negative_prompt_attack")
def test_best_prompt_is_the_trust_region_solution_and_rho_min(small, edits):
    """G3: best_prompt satisfies the trust-region KKT conditions at every budget; attack_kl is
    non-increasing in rho, > 0 just below rho_min and equal to its unconstrained value at rho_min."""
    m = small
    for name, W in edits.items():
        b = m.mu_star - m.mu0 - W @ m.e_star
        r0 = float(rho_min(W, m.mu_star, m.mu0, m.e_star))
        rhos = np.concatenate([[0.0], np.linspace(0.05, 1.5, 8) * r0, [10 * r0 + 1]])
        kls = []
        for rho in rhos:
            e = np.asarray(best_prompt(W, m.mu_star, m.mu0, m.e_star, rho))
            _kkt_check(W, b, rho, e - m.e_star)
            kls.append(float(attack_kl(W, m.mu_star, m.mu0, m.sigma0, m.e_star, rho)))
        kls = np.array(kls)
        assert np.all(np.diff(kls) <= 1e-12 * kls[0]), name
        k_inf = float(attack_kl(W, m.mu_star, m.mu0, m.sigma0, m.e_star))
        k_min = float(attack_kl(W, m.mu_star, m.mu0, m.sigma0, m.e_star, r0))
        k_below = float(attack_kl(W, m.mu_star, m.mu0, m.sigma0, m.e_star, 0.99 * r0))
        assert abs(k_min - k_inf) <= 1e-9 * max(1.0, kls[0])
        if r0 > 1e-8:  # range removal: b is orthogonal to range(W'), rho_min = 0 (e* is optimal)
            assert k_below > k_inf + 1e-9 * max(1.0, kls[0])
        e_unc = np.asarray(best_prompt(W, m.mu_star, m.mu0, m.e_star))
        assert abs(float(concept_kl(e_unc, W, m.mu_star, m.mu0, m.sigma0)) - k_inf) < 1e-12


def test_jit_equals_nojit_and_traced_once(small, draws, edits):
    m = small
    x0, eps = draws
    W = edits["uce"]
    count = {"n": 0}

    def f(e, rho):
        count["n"] += 1
        st = attack_init(e, lr=0.1, steps=3)
        return (
            attack_loss(e, x0, eps, m.alpha_bar, W, m.mu0, m.sigma0),
            attack_loss_exact(e, m.mu_star, m.alpha_bar, W, m.mu0, m.sigma0),
            attack_lstsq(x0, eps, m.alpha_bar, W, m.mu0, m.sigma0),
            attack_step(st, x0, eps, m.alpha_bar, W, m.mu0, m.sigma0, e, rho, lr=0.1, steps=3)[0].e,
            unlearn_diff_atk(e, x0, eps, m.alpha_bar, W, m.mu0, m.sigma0, steps=3, lr=0.1, rho=rho)[
                0
            ],
            best_prompt(W, m.mu_star, m.mu0, e, rho),
            concept_kl(e, W, m.mu_star, m.mu0, m.sigma0),
            attack_kl(W, m.mu_star, m.mu0, m.sigma0, e, rho),
            rho_min(W, m.mu_star, m.mu0, e),
        )

    jf = jax.jit(f)
    for rho in (0.5, 2.0):
        out, ref = jf(m.e_star, rho), f(m.e_star, rho)
        for a, b in zip(out, ref):
            np.testing.assert_allclose(a, b, atol=1e-10)
    assert count["n"] == 1 + 2


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m, x0, eps: best_prompt(m.W, m.mu_star, m.mu0, m.e_star, -1.0), "rho"),
        (lambda m, x0, eps: attack_kl(m.W, m.mu_star, m.mu0, 0.0, m.e_star), "sigma0"),
        (
            lambda m, x0, eps: attack_loss(m.e_star, x0, eps[:, :-1], m.alpha_bar, m.W, m.mu0, 0.5),
            "eps",
        ),
        (
            lambda m, x0, eps: attack_loss(m.e_star, x0, eps, m.alpha_bar * 2, m.W, m.mu0, 0.5),
            "alpha_bar",
        ),
        (
            lambda m, x0, eps: unlearn_diff_atk(
                m.e_star, x0, eps, m.alpha_bar, m.W, m.mu0, 0.5, steps=0
            ),
            "steps",
        ),
        (
            lambda m, x0, eps: unlearn_diff_atk(
                m.e_star, x0, eps, m.alpha_bar, m.W, m.mu0, 0.5, rho=-0.1
            ),
            "rho",
        ),
        (lambda m, x0, eps: rho_min(m.W, m.mu_star[:-1], m.mu0, m.e_star), "mu_star"),
    ],
)
def test_validation(small, draws, call, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call(small, *draws)
