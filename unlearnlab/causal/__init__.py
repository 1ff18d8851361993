"""Causal representations for intervention extrapolation (Rep4Ex).

Saengkyongam, Rosenfeld, Ravikumar, Pfister, Peters, *Identifying Representations for Intervention
Extrapolation*, ICLR 2024, arXiv:2310.04295 (``theory/rep4ex.md``, experiment ``rep4ex``):

* the structural model with an exogenous action acting linearly on a latent, a nonlinear mixing to
  the features, a confounded outcome, and the exact :math:`E[Y \\mid do(A=a)]` (``model.py``);
* identification of the latent up to an affine map by the linear-invariance constraint, solved as a
  generalised eigenproblem over a polynomial sieve, with :math:`R^2` diagnostics
  (``identification.py``);
* the control-function extrapolation estimator and the regress-on-A and no-control-function
  baselines (``extrapolation.py``).
"""

from unlearnlab.causal.claims import CLAIMS
from unlearnlab.causal.extrapolation import (
    CFModel,
    PolyFit,
    control_function_fit,
    control_function_predict,
    plugin_fit,
    regress_on_a_fit,
    regress_on_a_predict,
)
from unlearnlab.causal.identification import (
    AffineFit,
    InvarianceFit,
    affine_r2,
    encode,
    legendre_basis,
    linear_invariance_encoder,
    min_samples,
    poly_basis,
)
from unlearnlab.causal.model import (
    SIGMA_A2,
    confounder_mean,
    cubic_g0,
    cubic_h,
    do_truth,
    plugin_bias,
    population_nodes,
    simulate_rep4ex,
)
from unlearnlab.causal.pipeline import METHODS, rep4ex_trial

__all__ = [
    "CLAIMS",
    # model
    "SIGMA_A2",
    "cubic_h",
    "cubic_g0",
    "simulate_rep4ex",
    "do_truth",
    "confounder_mean",
    "plugin_bias",
    "population_nodes",
    # identification
    "InvarianceFit",
    "AffineFit",
    "poly_basis",
    "legendre_basis",
    "min_samples",
    "linear_invariance_encoder",
    "encode",
    "affine_r2",
    # extrapolation
    "CFModel",
    "PolyFit",
    "control_function_fit",
    "plugin_fit",
    "control_function_predict",
    "regress_on_a_fit",
    "regress_on_a_predict",
    # one trial end to end
    "METHODS",
    "rep4ex_trial",
]
