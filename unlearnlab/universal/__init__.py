"""Universal prediction: the Bayesian mixture learner of the Universality Lens.

Feder, Urbanke, Fogel, *The Universality Lens: Why Even Highly Over-Parametrized Models Learn Well*,
arXiv:2506.07661 (``theory/universality_lens.md``): on an over-parametrised class whose models
depend on one sufficient statistic, the induced prior, the mixture's log-probability, the exact
expected regret, the index-of-resolvability bound (the lab's reading of the paper's key result) and
the posterior predictive, all as exact finite sums; and an SGLD ensemble on the continuous relaxation
of the class against its exact predictive by quadrature.
"""

from unlearnlab.universal.claims import CLAIMS
from unlearnlab.universal.mixture import (
    bernoulli_kl,
    expected_regret,
    group_log_prior,
    group_probs,
    log_ball_weight,
    log_mixture,
    posterior_predictive,
    regret_curve,
    resolvability_bound,
)
from unlearnlab.universal.sgld import irwin_hall_log_density, relaxed_predictive, sgld_predictive

__all__ = [
    "CLAIMS",
    "group_log_prior",
    "group_probs",
    "bernoulli_kl",
    "log_mixture",
    "posterior_predictive",
    "expected_regret",
    "regret_curve",
    "resolvability_bound",
    "log_ball_weight",
    "irwin_hall_log_density",
    "relaxed_predictive",
    "sgld_predictive",
]
