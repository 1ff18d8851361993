"""Semi-supervised DRO: out-of-domain unlabeled data improves generalisation (GMM theory core).

Saberi et al., *Out-Of-Domain Unlabeled Data Improves Generalization*, ICLR 2024 (arXiv
2310.00027). The RSS estimator combines a Wasserstein-robust loss on labeled data with a robust
loss on pseudo-labeled, possibly shifted, unlabeled data; on the isotropic two-component Gaussian
mixture its excess risk is bounded by Theorem 4.2 (``theory/semisup_dro.md``).

Notation: ``n_lab`` = labeled in-domain samples (the paper's ``m``), ``n_unlab`` = unlabeled
out-of-domain samples (the paper's ``n``).
"""

from unlearnlab.semisup.baselines import fit_erm_mean, fit_pca_sign
from unlearnlab.semisup.bounds import (
    bound_erm_vc,
    bound_thm41,
    bound_thm42,
    corollary_regime,
    thm42_prefactor,
)
from unlearnlab.semisup.claims import CLAIMS
from unlearnlab.semisup.dro import (
    LOSSES,
    RSSConfig,
    RSSInfo,
    RSSState,
    fit_rss,
    robust_loss_01_linear,
    robust_loss_generic,
    rss_init,
    rss_objective,
    rss_run,
    rss_step,
)
from unlearnlab.semisup.gaussian_mixture import (
    bayes_risk_iso,
    excess_risk_iso,
    orthogonal_unit,
    random_unit,
    risk_linear_aniso,
    risk_linear_iso,
    sample_gmm2,
    sample_unlabeled,
    shifted_params,
)
from unlearnlab.semisup.noisy_longtail import (
    binary_lda_errors,
    chi2_quantile,
    em_class_stats,
    longtail_priors,
    naive_class_stats,
    noisy_class_stats,
    sample_noisy_longtail,
    trimmed_class_stats,
)

__all__ = [
    "sample_gmm2",
    "sample_unlabeled",
    "shifted_params",
    "random_unit",
    "orthogonal_unit",
    "risk_linear_iso",
    "risk_linear_aniso",
    "bayes_risk_iso",
    "excess_risk_iso",
    "LOSSES",
    "robust_loss_01_linear",
    "robust_loss_generic",
    "rss_objective",
    "RSSConfig",
    "RSSState",
    "RSSInfo",
    "rss_init",
    "rss_step",
    "rss_run",
    "fit_rss",
    "fit_erm_mean",
    "fit_pca_sign",
    "bound_thm41",
    "bound_thm42",
    "bound_erm_vc",
    "corollary_regime",
    "thm42_prefactor",
    "longtail_priors",
    "sample_noisy_longtail",
    "noisy_class_stats",
    "naive_class_stats",
    "chi2_quantile",
    "trimmed_class_stats",
    "em_class_stats",
    "binary_lda_errors",
    "CLAIMS",
]
