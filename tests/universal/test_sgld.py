"""The SGLD ensemble on the relaxed Universality Lens class (arXiv:2506.07661; spec 3.3 L4).

Kinds: exact identities (Irwin-Hall density vs exact piecewise polynomial integration, predictive vs
symmetry), statistical claim (the ensemble predictive vs the quadrature predictive, `slow`).
"""

import jax
import numpy as np
import pytest
from scipy import integrate

from unlearnlab.universal import irwin_hall_log_density, relaxed_predictive, sgld_predictive


@pytest.mark.parametrize("D", [1, 2, 5, 20])
def test_irwin_hall_density_integrates_to_one_and_matches_convolution(D):
    """The density integrates to 1 on (-D, D) (Gauss-Legendre per unit cell: exact for the piecewise
    polynomial), and for D = 2 it is the triangle (2 - |s|)/4."""
    nodes, w = np.polynomial.legendre.leggauss(12)
    tot = 0.0
    for a in range(-D, D, 2):  # cells of the breakpoints s = -D, -D + 2, ..., D
        s = a + 1.0 + nodes
        tot += float(np.exp(np.asarray(irwin_hall_log_density(D, s))) @ w)
    assert abs(tot - 1.0) < 1e-9
    if D == 2:
        s = np.linspace(-1.9, 1.9, 9)
        np.testing.assert_allclose(
            np.exp(irwin_hall_log_density(2, s)), (2 - np.abs(s)) / 4, rtol=1e-12
        )


def test_relaxed_predictive_symmetry_and_quadrature():
    """K = n/2 gives 1/2 by symmetry; the midpoint rule agrees with adaptive quadrature (1e-8)."""
    D, c = 6, 1.5
    assert abs(float(relaxed_predictive(5, 10, D, c)) - 0.5) < 1e-12
    f = lambda s, k: (
        np.exp(  # noqa: E731
            float(irwin_hall_log_density(D, np.array([s]))[0])
        )
        * (1 / (1 + np.exp(-c * s / np.sqrt(D)))) ** (3 + k)
        * (1 / (1 + np.exp(c * s / np.sqrt(D)))) ** (5)
    )
    num = integrate.quad(f, -D + 1e-9, D - 1e-9, args=(1,), points=list(range(-D + 2, D, 2)))[0]
    den = integrate.quad(f, -D + 1e-9, D - 1e-9, args=(0,), points=list(range(-D + 2, D, 2)))[0]
    assert abs(float(relaxed_predictive(3, 8, D, c)) - num / den) < 1e-8


@pytest.mark.slow
@pytest.mark.claim("universality_lens.sgld_matches")
@pytest.mark.parametrize("n,K", [(10, 6), (100, 61), (1000, 621)])
def test_sgld_ensemble_matches_exact_predictive(n, K):
    """Spec L4: 256 chains x 2000 steps (h = 0.2 / (1 + n)), D = 20, c = 2:
    |Q_sgld - Q| <= 0.01 + 4 SE (the 4-SE CLT band alone has false-failure rate 6.3e-5 per n; the
    0.01 allows for the O(h) discretisation bias of unadjusted Langevin)."""
    q = float(relaxed_predictive(K, n, 20, 2.0))
    m, se = sgld_predictive(jax.random.key(n), K, n, 20, 2.0, 256, 2000, 0.2 / (1 + n))
    assert abs(float(m) - q) <= 0.01 + 4 * float(se), (float(m), q, float(se))


@pytest.mark.parametrize("wrap", [lambda f: f, jax.jit], ids=["eager", "jit"])
def test_sgld_jit_matches_eager(wrap):
    f = lambda k: sgld_predictive(k, 3, 5, 4, 1.5, 8, 10, 0.01)  # noqa: E731
    a, b = f(jax.random.key(0)), wrap(f)(jax.random.key(0))
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12)
