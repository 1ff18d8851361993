"""Epistemic uncertainty: DEUP (direct epistemic uncertainty prediction) in Bayesian linear regression.

Lahlou et al., *DEUP: Direct Epistemic Uncertainty Prediction*, TMLR 2023, arXiv:2102.08501
(``theory/deup_linear.md``): the posterior variance of a misspecified conjugate linear model vanishes
with data while its excess risk does not; DEUP's secondary error predictor, fitted on held-out
squared residuals minus the aleatoric variance, estimates the excess risk consistently.
"""

from unlearnlab.uncertainty.claims import CLAIMS
from unlearnlab.uncertainty.deup import (
    bayes_excess_mc,
    blr_posterior,
    deup_fit,
    deup_predict,
    excess_risk,
    expected_excess_fixed_design,
    l2_projection,
    misspecified_target,
    polynomial_features,
    predictive_variance,
    sample_regression,
    spearman,
)

__all__ = [
    "CLAIMS",
    "misspecified_target",
    "polynomial_features",
    "sample_regression",
    "blr_posterior",
    "predictive_variance",
    "excess_risk",
    "expected_excess_fixed_design",
    "l2_projection",
    "bayes_excess_mc",
    "deup_fit",
    "deup_predict",
    "spearman",
]
