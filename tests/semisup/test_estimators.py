"""Statistical claims about the estimators (ERM proxy, RSS, PCA-sign) on the isotropic GMM.

Every test uses fixed keys (deterministic), common random numbers across the arms it compares,
exact (closed-form) risks, and states its false-failure rate: tolerances sit at >= 4 standard
errors of the seed spread measured here (normal one-sided tail <= 3.2e-5 per assertion).
Setting: ||mu_0|| = sigma = 1; RSS with gamma = gamma_u = 4, lambda = 1, 300 steps, lr 0.2.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import ndtr

from tests.semisup._helpers import BAYES
from tests.semisup._helpers import rss_excess as _rss_excess
from unlearnlab.lab.stats import loglog_slope
from unlearnlab.semisup import (
    bayes_risk_iso,
    fit_erm_mean,
    fit_pca_sign,
    orthogonal_unit,
    random_unit,
    risk_linear_iso,
    sample_gmm2,
    sample_unlabeled,
    shifted_params,
)


@pytest.mark.claim("semisup_dro.erm_reproduction")
def test_erm_reproduction():
    """ERM proxy at d = 200 reproduces Phi(1/sqrt(1 + d/n_lab)) and the paper's ERM column.

    256 seeds. Measured mean accuracy 0.5866 / 0.6190 / 0.6591 (seed sd 0.026 / 0.024 / 0.019, so
    SE <= 0.0017) against theory 0.5864 / 0.6185 / 0.6585 and paper 0.59 / 0.62 / 0.65. The
    tolerances (0.015 and 0.02) sit >= 6 SE beyond the measured gaps: false-failure rate < 1e-8.
    """
    d, n_seeds = 200, 256
    paper = {10: 0.59, 20: 0.62, 40: 0.65}
    for n_lab, acc_paper in paper.items():

        def one(key, n_lab=n_lab):
            k_mu, k_l = jax.random.split(key)
            mu = random_unit(k_mu, d)
            Xl, yl = sample_gmm2(k_l, n_lab, mu, 1.0)
            return 1.0 - risk_linear_iso(fit_erm_mean(Xl, yl), mu, 1.0)

        acc = np.asarray(jax.jit(jax.vmap(one))(jax.random.split(jax.random.key(3), n_seeds)))
        assert acc.std() <= 0.05
        theory = float(ndtr(1 / np.sqrt(1 + d / n_lab)))
        assert abs(acc.mean() - theory) <= 0.015, (n_lab, acc.mean(), theory)
        assert abs(acc.mean() - acc_paper) <= 0.02, (n_lab, acc.mean(), acc_paper)


@pytest.mark.claim("semisup_dro.unlabeled_helps")
def test_unlabeled_helps_cluster_regime():
    """d = 50, n_lab = 20, n_unlab = 1e4, alpha = 0, 32 seeds: mean excess(RSS) <= 0.5 mean
    excess(ERM), and RSS beats ERM in >= 28 of 32 seeds.

    Measured: RSS 0.0425 vs ERM 0.1396 (margin to 0.5 x ERM: 0.0273 = 5.6 combined SE);
    RSS better in 32/32 seeds. The fraction check fails only if >= 5 seeds flip; with the per-seed
    win rate near 1 (32/32) that has probability < 1e-4. False-failure rate < 1e-4.
    """
    erm, rss = _rss_excess(50, 20, (0, 1000, 10_000), 32)
    assert rss[:, -1].mean() <= 0.5 * erm.mean(), (rss[:, -1].mean(), erm.mean())
    assert np.sum(rss[:, -1] < erm) >= 28


@pytest.mark.claim("semisup_dro.more_unlabeled_better")
def test_more_unlabeled_better():
    """Common random numbers, d = 50, n_lab = 20, 32 seeds: mean excess at n_unlab = 1e4 < 1e3 < 0.

    Measured means 0.1446 / 0.1166 / 0.0425 at n_unlab = 0 / 1e3 / 1e4; paired gaps 0.074
    (14 SE) and 0.028 (6.7 SE). The test asserts gap >= 4 paired SE: false-failure rate < 1e-4
    per comparison.
    """
    _, rss = _rss_excess(50, 20, (0, 1000, 10_000), 32)
    m = rss.mean(axis=0)
    for a, b in ((2, 1), (1, 0)):
        diff = rss[:, b] - rss[:, a]
        se = diff.std(ddof=1) / np.sqrt(diff.size)
        assert m[a] < m[b], (m, se)
        assert diff.mean() >= 4 * se, (diff.mean(), se)


@pytest.mark.claim("semisup_dro.not_worse_above_20d")
def test_not_worse_above_20d():
    """d = 50, n_unlab = 1000 (= 20 d), 64 seeds: mean excess(RSS) <= mean excess(ERM) + 0.01.

    Measured paired differences -0.029 (n_lab = 10) and -0.028 (n_lab = 20), paired SE 0.004,
    so the 0.01 limit is ~9 SE away (the test asserts >= 4 SE): false-failure rate < 1e-4. Not
    asserted below 20 d with fixed lambda (at n_unlab = 100 RSS is worse, experiment JSON).
    """
    for n_lab in (10, 20):
        erm, rss = _rss_excess(50, n_lab, (1000,), 64, seed=1)
        diff = rss[:, 0] - erm
        se = diff.std(ddof=1) / np.sqrt(diff.size)
        assert diff.mean() <= 0.01, (n_lab, diff.mean(), se)
        assert 0.01 - diff.mean() >= 4 * se, (n_lab, diff.mean(), se)


@pytest.mark.claim("semisup_dro.shift_floor")
def test_shift_floor():
    """PCA-sign with alpha = 0.5, v orthogonal to mu_0, n_unlab = 1e4, n_lab = 20, d = 50, 16 seeds:
    mean excess within 0.015 of the population floor Phi(-cos phi) - Phi(-1),
    cos phi = 1/sqrt(1 + alpha^2) (floor 0.0269); and below the alpha = 0.5 excess at alpha = 0.

    Measured 0.02781 (seed SE 0.00040) against the floor 0.02689; alpha = 0 gives 0.0013. The
    0.015 tolerance is > 35 SE away: false-failure rate < 1e-10. (64 seeds until issue 26: SE
    0.00017, a margin of 80 SE that bought no strength, at 4x the run time.) [reconstruction]
    property.
    """
    d, n_lab, n_unlab, alpha = 50, 20, 10_000, 0.5

    def one(key, alpha):
        k_mu, k_v, k_l, k_u = jax.random.split(key, 4)
        mu0 = random_unit(k_mu, d)
        mu1, s1 = shifted_params(mu0, 1.0, alpha, orthogonal_unit(k_v, mu0))
        Xl, yl = sample_gmm2(k_l, n_lab, mu0, 1.0)
        Xu = sample_unlabeled(k_u, n_unlab, mu1, s1)
        return risk_linear_iso(fit_pca_sign(Xl, yl, Xu), mu0, 1.0) - BAYES

    keys = jax.random.split(jax.random.key(7), 16)
    f = jax.jit(jax.vmap(one, in_axes=(0, None)))
    ex_shift = np.asarray(f(keys, alpha))
    ex_0 = np.asarray(f(keys, 0.0))
    floor = float(ndtr(-1 / np.sqrt(1 + alpha**2)) - BAYES)
    assert abs(floor - 0.0269) < 5e-4
    assert abs(ex_shift.mean() - floor) <= 0.015, (ex_shift.mean(), floor)
    assert ex_0.mean() < ex_shift.mean()


@pytest.mark.claim("semisup_dro.erm_slope")
def test_reference_slope():
    """Rate: the ERM proxy's excess against n_lab in {400, ..., 3200} at d = 20 (256 seeds) has
    log-log slope -1 +- 0.15 (excess ~ phi(1) d / (2 n_lab)); not the VC rate -1/2.

    Measured slope -0.983 (regression SE 0.011): the band edge is > 10 SE away; the test also
    asserts SE < 0.0375 (4 SE inside the band). False-failure rate < 1e-6.
    """
    d, n_labs = 20, (400, 800, 1600, 3200)

    def one(key):
        k_mu, k_l = jax.random.split(key)
        mu = random_unit(k_mu, d)
        out = []
        for n in n_labs:
            Xl, yl = sample_gmm2(jax.random.fold_in(k_l, n), n, mu, 1.0)
            out.append(risk_linear_iso(fit_erm_mean(Xl, yl), mu, 1.0) - bayes_risk_iso(mu, 1.0))
        return jnp.stack(out)

    ex = np.asarray(jax.jit(jax.vmap(one))(jax.random.split(jax.random.key(11), 256)))
    fit = loglog_slope(np.asarray(n_labs, float), ex.mean(axis=0))
    assert abs(fit.slope + 1.0) <= 0.15, fit
    assert fit.se < 0.15 / 4, fit
