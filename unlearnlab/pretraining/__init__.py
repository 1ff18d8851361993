"""The provable advantage of unsupervised pretraining: MLE then ERM (Ge, Tang, Fan, Jin, ICLR 2024).

arXiv 2303.01566. Algorithm 1: fit a latent-variable model phi by maximum likelihood on n_unlab
unlabeled samples, then fit the downstream head psi by ERM on n_lab labeled samples. Three
instances, each with its transformation group (``theory/pretraining.md``):

* :mod:`~unlearnlab.pretraining.factor`: factor model, PPCA-MLE + least squares, exact risks (O(r));
* :mod:`~unlearnlab.pretraining.gmm`: Gaussian mixture, EM (the GEM layer of ``unlearnlab.fewshot``)
  + cluster-label ERM (permutations of [K]);
* :mod:`~unlearnlab.pretraining.contrastive`: logistic pair model, flax/optax MLE + least squares (O(r));
* :mod:`~unlearnlab.pretraining.bounds`: Theorem 3.3 in generic form, its instances, the baseline.

Naming: ``n_lab`` = labeled samples (paper's n), ``n_unlab`` = unlabeled samples (paper's m).
"""

from unlearnlab.pretraining.bounds import bound_factor, bound_generic, bound_gmm, bound_supervised
from unlearnlab.pretraining.claims import CLAIMS
from unlearnlab.pretraining.contrastive import (
    LinearRep,
    excess_risk_contrastive,
    fit_contrastive_erm,
    mle_contrastive,
    pair_nll,
    rep_matrix,
    sample_contrastive_downstream,
    sample_contrastive_pairs,
)
from unlearnlab.pretraining.debias import (
    bias_gap_matrix,
    cdvg_population_moments,
    contrastive_eigenspace,
    contrastive_moments,
    probe_conflicting_error,
    sample_aligned,
    std_augment,
    std_population_moments,
    task_bayes_error,
    translate_bias,
)
from unlearnlab.pretraining.factor import (
    erm_on_features,
    erm_on_features_moments,
    excess_risk_linear,
    fit_pretrain_erm,
    fit_pretrain_erm_moments,
    fit_supervised_ols,
    fit_supervised_ols_moments,
    joint_cov,
    mle_ppca,
    posterior_features,
    risk_linear_factor,
    sample_cov_wishart,
    sample_factor,
    sample_lab_moments,
    second_moment,
    sigma_eff2,
    simulate_factor_excess,
    sin_theta,
    theory_ols,
    theory_pretrain_oracle,
    w_star,
)
from unlearnlab.pretraining.gmm import (
    assign_clusters,
    bayes_error_gmm,
    bayes_predict_gmm,
    em_gmm,
    em_gmm_from,
    fit_cluster_labels,
    fit_supervised_logreg,
    kmeanspp_init,
    predict_gmm,
    predict_logreg,
    sample_gmm_k,
)

__all__ = [
    # fixed public names (spec)
    "mle_ppca",
    "fit_pretrain_erm",
    "fit_supervised_ols",
    "excess_risk_linear",
    "em_gmm",
    "bound_factor",
    "bound_gmm",
    # factor model
    "sample_factor",
    "sample_cov_wishart",
    "second_moment",
    "posterior_features",
    "erm_on_features",
    "erm_on_features_moments",
    "fit_pretrain_erm_moments",
    "fit_supervised_ols_moments",
    "joint_cov",
    "sample_lab_moments",
    "simulate_factor_excess",
    "w_star",
    "sigma_eff2",
    "risk_linear_factor",
    "theory_ols",
    "theory_pretrain_oracle",
    "sin_theta",
    # Gaussian mixture
    "sample_gmm_k",
    "kmeanspp_init",
    "em_gmm_from",
    "assign_clusters",
    "fit_cluster_labels",
    "predict_gmm",
    "fit_supervised_logreg",
    "predict_logreg",
    "bayes_predict_gmm",
    "bayes_error_gmm",
    # contrastive
    "LinearRep",
    "sample_contrastive_pairs",
    "sample_contrastive_downstream",
    "pair_nll",
    "mle_contrastive",
    "rep_matrix",
    "fit_contrastive_erm",
    "excess_risk_contrastive",
    # bounds
    "bound_generic",
    "bound_supervised",
    "CLAIMS",
    "sample_aligned",
    "translate_bias",
    "std_augment",
    "bias_gap_matrix",
    "cdvg_population_moments",
    "std_population_moments",
    "contrastive_moments",
    "contrastive_eigenspace",
    "probe_conflicting_error",
    "task_bayes_error",
]
