"""Calibration: metrics, baselines and h-calibration (arXiv 2506.17968), in pure JAX.

Metrics (top-label / class-wise / debiased / smooth ECE, KS, NLL, Brier), baselines (temperature
scaling, histogram binning, isotonic regression, vector/matrix scaling) and h-calibration (the
sorted-event window statistic, its Hoeffding bound, the h-loss and order-preserving map families
fitted with optax). See ``theory/hcal.md`` and ``theory/hcal_window.md``.
"""

from unlearnlab.calibration.baselines import (
    apply_histogram_binning,
    apply_histogram_binning_classwise,
    apply_isotonic,
    apply_isotonic_classwise,
    apply_matrix_scaling,
    apply_top_label_binning,
    apply_vector_scaling,
    fit_histogram_binning,
    fit_histogram_binning_classwise,
    fit_isotonic,
    fit_isotonic_classwise,
    fit_matrix_scaling,
    fit_temperature,
    fit_vector_scaling,
    temperature_nll,
)
from unlearnlab.calibration.claims import CLAIMS
from unlearnlab.calibration.hcal import (
    FAMILIES,
    HCalModel,
    apply_hcal,
    fit_hcal,
    hcal_bound,
    hcal_log_probs,
    hcal_loss,
    hcal_noise_floor,
    hcal_window_stats,
    select_and_fit_hcal,
)
from unlearnlab.calibration.maps import (
    MonoIntegrand,
    apply_ets,
    apply_mono_mlp,
    apply_pwl,
    apply_temperature,
    ets_log_prob_of,
    ets_probs,
    init_ets,
    init_mono_mlp,
    init_pwl,
    mono_integrand,
    mono_mlp_phi,
    pwl_phi,
)
from unlearnlab.calibration.metrics import (
    bin_index,
    binned_ece,
    brier,
    classwise_ece,
    debiased_ece_l1,
    debiased_ece_l2sq,
    ece,
    ks_error,
    nll,
    reliability_stats,
    smooth_ece,
    smooth_ece_sigma,
    smooth_reliability,
    top_label,
)
from unlearnlab.calibration.synthetic import binary_offset, known_map, top_label_truth

__all__ = [
    "CLAIMS",
    "FAMILIES",
    "HCalModel",
    # metrics
    "ece",
    "classwise_ece",
    "binned_ece",
    "bin_index",
    "debiased_ece_l2sq",
    "debiased_ece_l1",
    "smooth_ece",
    "smooth_ece_sigma",
    "smooth_reliability",
    "ks_error",
    "nll",
    "brier",
    "reliability_stats",
    "top_label",
    # baselines
    "fit_temperature",
    "temperature_nll",
    "fit_histogram_binning",
    "apply_histogram_binning",
    "apply_top_label_binning",
    "fit_histogram_binning_classwise",
    "apply_histogram_binning_classwise",
    "fit_isotonic",
    "apply_isotonic",
    "fit_isotonic_classwise",
    "apply_isotonic_classwise",
    "fit_vector_scaling",
    "apply_vector_scaling",
    "fit_matrix_scaling",
    "apply_matrix_scaling",
    # maps
    "apply_temperature",
    "init_ets",
    "apply_ets",
    "ets_probs",
    "ets_log_prob_of",
    "init_pwl",
    "apply_pwl",
    "pwl_phi",
    "init_mono_mlp",
    "apply_mono_mlp",
    "mono_mlp_phi",
    "mono_integrand",
    "MonoIntegrand",
    # h-calibration
    "fit_hcal",
    "select_and_fit_hcal",
    "apply_hcal",
    "hcal_log_probs",
    "hcal_window_stats",
    "hcal_loss",
    "hcal_bound",
    "hcal_noise_floor",
    # synthetic
    "known_map",
    "binary_offset",
    "top_label_truth",
]
