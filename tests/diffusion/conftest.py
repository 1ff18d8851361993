"""A small text-conditioned Gaussian model shared by the diffusion tests (d = 6 > p = 4, K = 5)."""

import numpy as np
import pytest

from unlearnlab.diffusion import concept_means, vp_schedule


class Small:
    d, p, K = 6, 4, 5
    sigma0 = 0.5

    def __init__(self):
        rng = np.random.default_rng(7)
        self.W = rng.normal(size=(self.d, self.p)) / np.sqrt(self.p)
        self.E = rng.normal(size=(self.K, self.p))
        self.mu0 = 0.3 * rng.normal(size=self.d)
        self.mu = np.asarray(concept_means(self.E, self.W, self.mu0))
        self.alpha_bar = np.asarray(vp_schedule(50))
        self.e_star = self.E[0]
        self.mu_star = self.mu[0]


@pytest.fixture(scope="session")
def small():
    return Small()
