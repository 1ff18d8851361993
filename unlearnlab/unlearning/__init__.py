"""Machine unlearning: closed-form analytic continual unlearning (ACU) and the audit tools.

Audit tools (``theory/dmm_convex.md``, ``theory/unlearn_audit.md``, ``theory/beo_gaussian.md``):
exact retrain oracles (``exact``), datamodel matching (``dmm``), membership inference and
distribution distances (``audit``), certified removal (``certified``), worst-case forget sets
(``worst_case``) and the Bayes error of protected classes (``bayes_error``).

ACU (arXiv 2505.12239) keeps a ridge classifier on frozen (buffer) features and its regularised
autocorrelation inverse ``R``; learning and unlearning are Woodbury updates, and the weights equal
ridge regression retrained from scratch on the retained rows (``theory/acu.md``).
"""

from unlearnlab.unlearning.acu import (
    ACUState,
    acu_fit,
    acu_init,
    acu_learn,
    acu_predict,
    acu_request_flops,
    acu_unlearn,
    acu_unlearn_checked,
    retrain_flops,
    ridge_retrain,
)
from unlearnlab.unlearning.audit import (
    auc_with_se,
    binormal_lr_roc,
    gaussian_kl,
    gaussian_optimal_roc,
    gdp_tradeoff,
    klom,
    klom_delta_bias,
    klom_null_bias,
    linear_cka,
    lira_scores,
    roc_curve,
    tpr_at_fpr,
)
from unlearnlab.unlearning.audit_claims import AUDIT_CLAIMS
from unlearnlab.unlearning.baselines import gradient_ascent_unlearn
from unlearnlab.unlearning.bayes_error import (
    bayes_error_gaussian,
    bayes_error_mc,
    bayes_error_mixture_1d,
    kde_bayes_error,
    lda_population_fit,
    linear_clean_error,
    mahalanobis,
    optimal_classwise_shift,
    pga_classwise_shift,
    pga_samplewise,
    project_lp_ball,
)
from unlearnlab.unlearning.buffer import buffer_features, buffer_init
from unlearnlab.unlearning.certified import (
    LOGISTIC_GAMMA_GUO,
    LOGISTIC_GAMMA_TIGHT,
    certified_noise_scale,
    grad_residual,
    guo_bounds,
    newton_removal,
    ridge_output_perturbation,
    ridge_sensitivity,
    sparsity_sweep,
)
from unlearnlab.unlearning.claims import CLAIMS as ACU_CLAIMS
from unlearnlab.unlearning.dmm import (
    additive_datamodel_predict,
    dmm_error_bound,
    ga_error_floor,
    ga_forget,
    gd_retain,
    gdiff,
    logistic_influence_attribution,
    margins_binary,
    om_contraction_rate,
    output_matching,
    single_removal_attribution,
)
from unlearnlab.unlearning.exact import (
    check_forget_mask,
    logistic_fit_newton,
    logistic_loss_grad,
    loo_group_residuals,
    minnorm_fit,
    ridge_fit,
    woodbury_retrain,
)
from unlearnlab.unlearning.metrics import accuracy, loss_threshold_mia, squared_loss
from unlearnlab.unlearning.worst_case import (
    ga_unlearner,
    gd_retain_unlearner,
    newton_unlearner,
    project_capped_simplex,
    unlearning_gap,
    weighted_ridge,
    worst_case_forget,
)

CLAIMS = ACU_CLAIMS + AUDIT_CLAIMS

__all__ = [
    "ACUState",
    "acu_fit",
    "acu_init",
    "acu_learn",
    "acu_predict",
    "acu_request_flops",
    "acu_unlearn",
    "acu_unlearn_checked",
    "retrain_flops",
    "ridge_retrain",
    "gradient_ascent_unlearn",
    "buffer_features",
    "buffer_init",
    "accuracy",
    "loss_threshold_mia",
    "squared_loss",
    "CLAIMS",
    # audit: exact oracles
    "check_forget_mask",
    "ridge_fit",
    "minnorm_fit",
    "woodbury_retrain",
    "loo_group_residuals",
    "logistic_fit_newton",
    "logistic_loss_grad",
    # audit: datamodel matching
    "single_removal_attribution",
    "additive_datamodel_predict",
    "logistic_influence_attribution",
    "gd_retain",
    "ga_forget",
    "gdiff",
    "output_matching",
    "margins_binary",
    "ga_error_floor",
    "om_contraction_rate",
    "dmm_error_bound",
    # audit: membership inference and distances
    "roc_curve",
    "auc_with_se",
    "tpr_at_fpr",
    "gaussian_optimal_roc",
    "binormal_lr_roc",
    "gdp_tradeoff",
    "lira_scores",
    "klom",
    "klom_null_bias",
    "klom_delta_bias",
    "gaussian_kl",
    "linear_cka",
    # audit: certified removal
    "newton_removal",
    "grad_residual",
    "guo_bounds",
    "certified_noise_scale",
    "ridge_output_perturbation",
    "ridge_sensitivity",
    "sparsity_sweep",
    "LOGISTIC_GAMMA_TIGHT",
    "LOGISTIC_GAMMA_GUO",
    # audit: worst-case forget sets
    "weighted_ridge",
    "project_capped_simplex",
    "unlearning_gap",
    "gd_retain_unlearner",
    "ga_unlearner",
    "newton_unlearner",
    "worst_case_forget",
    # audit: Bayes error of protected classes
    "mahalanobis",
    "bayes_error_gaussian",
    "project_lp_ball",
    "optimal_classwise_shift",
    "pga_classwise_shift",
    "bayes_error_mixture_1d",
    "bayes_error_mc",
    "lda_population_fit",
    "linear_clean_error",
    "kde_bayes_error",
    "pga_samplewise",
]
