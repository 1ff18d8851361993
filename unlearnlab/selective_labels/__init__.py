"""Domain constraints in a Bayesian selective-labels model (numpyro NUTS).

Balachandar, Garg & Pierson, *Domain constraints improve risk prediction when outcome data is
missing* (ICLR 2024, arXiv 2312.03878): outcomes Y are seen only for tested people (T = 1), testing
depends on the unobserved risk, and two domain constraints -- the known prevalence of Y and the
expertise constraint (testing depends on risk plus only a few features) -- sharpen the posterior.
This package has the authors' generator, the per-person likelihoods with the unobservable Z
marginalised by Gauss-Hermite quadrature, the numpyro models, a NUTS wrapper, and the Gaussian
closed forms of the variance reduction (theory/domain_constraints.md).
"""

from unlearnlab.selective_labels.claims import CLAIMS
from unlearnlab.selective_labels.gaussian import (
    conditioned_gaussian,
    conjugate_testbed_posterior,
    constrained_gaussian_posterior,
    constrained_gaussian_var,
    laplace_constrained_sd,
    log_posterior_flat,
    posterior_mode,
)
from unlearnlab.selective_labels.inference import diagnostics, nuts_draws, run_nuts
from unlearnlab.selective_labels.likelihood import (
    gauss_hermite,
    heckman_loglik,
    implied_prevalence_gh,
    loglik_given_Z,
    loglik_marginal_gh,
    untested_risk_gh,
)
from unlearnlab.selective_labels.model import (
    conjugate_numpyro_model,
    heckman_numpyro_model,
    numpyro_model,
)
from unlearnlab.selective_labels.sbc import (
    attenuated_coefficients,
    sbc_parameter_names,
    sbc_ranks,
    sbc_replicate,
    sbc_summary,
)
from unlearnlab.selective_labels.simulate import (
    draw_synthetic_params,
    simulate_heckman,
    simulate_selective_labels,
    standardised_features,
)

__all__ = [
    "simulate_selective_labels",
    "simulate_heckman",
    "draw_synthetic_params",
    "standardised_features",
    "gauss_hermite",
    "loglik_given_Z",
    "loglik_marginal_gh",
    "implied_prevalence_gh",
    "untested_risk_gh",
    "heckman_loglik",
    "numpyro_model",
    "heckman_numpyro_model",
    "conjugate_numpyro_model",
    "constrained_gaussian_var",
    "constrained_gaussian_posterior",
    "conditioned_gaussian",
    "conjugate_testbed_posterior",
    "laplace_constrained_sd",
    "log_posterior_flat",
    "posterior_mode",
    "nuts_draws",
    "run_nuts",
    "diagnostics",
    "sbc_parameter_names",
    "sbc_replicate",
    "sbc_ranks",
    "sbc_summary",
    "attenuated_coefficients",
    "CLAIMS",
]
