"""Claims of the unlearning audit (experiments dmm_convex, unlearn_audit, beo_gaussian).

Merged by the family's ``claims.py`` into ``CLAIMS``. Provenance follows the spec: the propositions
A1-A5, the group Newton step, the KLoM null analysis and the Gaussian BEO results are the lab's own
(derived) statements in the analyzable setting, not the papers' theorems.
"""

from __future__ import annotations

from unlearnlab.lab.claims import Claim

__all__ = ["AUDIT_CLAIMS"]

_DMM = "Georgiev et al. 2025, arXiv 2410.23232 (DMM)"
_GUO = "Guo, Goldstein, Hannun, van der Maaten 2020, arXiv 1911.03030"
_BEO = "Zhang, Sun, Lim, Zhang 2025, arXiv 2511.08191 (BEO)"
_T = "tests/unlearning/"


def _c(id, paper, where, statement, kind, provenance, tests, panel):
    exp = id.split(".")[0]
    return Claim(
        id=id,
        paper=paper,
        where=where,
        statement=statement,
        kind=kind,
        provenance=provenance,
        tests=tuple(_T + t for t in tests),
        experiment=exp,
        panel=panel,
        theory_note=f"theory/{exp}.md",
    )


AUDIT_CLAIMS: tuple[Claim, ...] = (
    # ---------------------------------------------------------------- dmm_convex
    _c(
        "dmm_convex.woodbury_exact",
        _DMM,
        "spec A.2 (Woodbury identity)",
        "woodbury_retrain equals ridge refitted on the retained rows to float64 precision.",
        "exact identity",
        "derived",
        (
            "test_audit_exact.py::test_woodbury_equals_refit",
            "test_audit_exact.py::test_single_removal_attribution",
        ),
        "(a)",
    ),
    _c(
        "dmm_convex.a1_rate",
        _DMM,
        "spec Prop. A1 (lam > 0)",
        "gd_retain contracts to theta_R at rate 1 - eta lambda_min(H_R).",
        "derived proposition",
        "derived",
        ("test_audit_exact.py::test_a1_gd_retain_rate",),
        "(a)",
    ),
    _c(
        "dmm_convex.a1_noop",
        _DMM,
        "spec Prop. A1 (lam = 0, d > n)",
        "In the interpolating min-norm regime gd_retain is a no-op and does not unlearn.",
        "derived proposition",
        "derived",
        ("test_audit_exact.py::test_a1_gd_retain_noop",),
        "(b)",
    ),
    _c(
        "dmm_convex.a2_floor",
        _DMM,
        "spec Prop. A2",
        "Gradient ascent never gets closer to theta_R than ||P_ker(X_F)(theta_full - theta_R)||.",
        "derived proposition",
        "derived",
        ("test_audit_exact.py::test_a2_ga_floor",),
        "(b)",
    ),
    _c(
        "dmm_convex.a3_om_exact",
        _DMM,
        "spec Prop. A3",
        "Oracle matching on a row-space-spanning set converges to theta_R; matching on F alone does not.",
        "derived proposition",
        "derived",
        ("test_audit_exact.py::test_a3_om_exact",),
        "(b)",
    ),
    _c(
        "dmm_convex.a4_dmm_bound",
        _DMM,
        "spec Prop. A4",
        "DMM converges to theta_full - X_M^+(X_M theta_full - y_hat), within ||delta||/sigma_min of theta_R.",
        "derived proposition",
        "derived",
        ("test_audit_exact.py::test_a4_dmm_bound",),
        "(b)",
    ),
    _c(
        "dmm_convex.a5_slope",
        _DMM,
        "spec Prop. A5",
        "The additive datamodel's output error decays like n^-2 (log-log slope in [-2.5, -1.5]).",
        "rate/slope",
        "derived",
        ("test_audit_exact.py::test_a5_datamodel_slope",),
        "(d)",
    ),
    _c(
        "dmm_convex.klom_null",
        _DMM + "; KLoM from data-unlearning-bench src/eval.py",
        "spec A.6",
        "KLoM of an exact retrain equals the permutation null bias (not 0); the null bias must be "
        "reported beside KLoM.",
        "documented behaviour",
        "code",
        ("test_audit_metrics.py::test_klom_null_bias_matches_null_mean",),
        "(c)",
    ),
    # ---------------------------------------------------------------- unlearn_audit
    _c(
        "unlearn_audit.exact_auc_null",
        "Hayes et al. 2024 (U-LiRA)",
        "spec D3",
        "U-LiRA against exact retrain has AUC 0.5 within 4 SE.",
        "bound w.p. >= 1-delta",
        "reconstruction",
        ("test_audit_metrics.py::test_exact_retrain_auc_null",),
        "(a)",
    ),
    _c(
        "unlearn_audit.auc_gaussian",
        "Carlini et al. 2022 (LiRA)",
        "spec D3 (analytic target)",
        "With Gaussian statistics the exact-parameter LR attack attains the binormal LR-ROC area "
        "(Phi(d'/sqrt 2) for equal variances).",
        "bound w.p. >= 1-delta",
        "derived",
        (
            "test_audit_metrics.py::test_auc_matches_gaussian",
            "test_audit_metrics.py::test_exact_lr_auc_matches_binormal_roc",
        ),
        "(a)",
    ),
    _c(
        "unlearn_audit.np_optimal",
        "Neyman-Pearson lemma",
        "spec D3",
        "Shadow-fitted U-LiRA does not beat the exact likelihood-ratio attack (AUC <= its analytic "
        "binormal LR-ROC area + 4 SE), asserted by the test on one binormal setting with known "
        "parameters; the experiment measures it for each method of panel (a).",
        "bound w.p. >= 1-delta",
        "derived",
        ("test_audit_metrics.py::test_exact_lr_auc_matches_binormal_roc",),
        "(a)",
    ),
    _c(
        "unlearn_audit.newton_ridge_exact",
        _GUO,
        "Sec. 3 (squared loss, gamma = 0)",
        "The Newton removal step is exact for ridge (residual <= 1e-9).",
        "exact identity",
        "derived",
        ("test_audit_certified.py::test_newton_removal_ridge_exact",),
        "table",
    ),
    _c(
        "unlearn_audit.guo_chain",
        _GUO,
        "Thm. 1 and its data-dependent corollary (group version derived)",
        "measured gradient residual <= data-dependent bound <= gamma (n-k)||v||^2 <= 4 gamma k^2 C^2/(lam^2 (n-k)).",
        "derived proposition",
        "reconstruction",
        ("test_audit_certified.py::test_guo_bound_chain",),
        "(b)",
    ),
    _c(
        "unlearn_audit.gdp_bound",
        "Dong, Roth, Su 2022; Al Mahmud et al. 2025, arXiv 2504.13774",
        "GDP trade-off T_mu, group privacy",
        "Membership attacks on output-perturbed ridge stay below 1 - T_{k mu} (DKW widths).",
        "bound w.p. >= 1-delta",
        "reconstruction",
        ("test_audit_certified.py::test_gdp_roc_bound",),
        "(a)",
    ),
    _c(
        "unlearn_audit.worst_case",
        "Fan et al., ECCV 2024 (Challenging Forgets)",
        "spec D7",
        "PGA on the relaxed ridge gap finds forget sets at least as hard as 200 random ones; "
        "Newton's gap is identically 0.",
        "documented behaviour",
        "derived",
        (
            "test_audit_worst_case.py::test_worst_case_beats_random",
            "test_audit_worst_case.py::test_newton_gap_zero",
        ),
        "(d)",
    ),
    _c(
        "unlearn_audit.cka_head_only",
        "Kim, Cha, Kim 2025, arXiv 2503.06991",
        "spec D6",
        "Head-only unlearning leaves the features unchanged (CKA = 1); retraining changes them (CKA < 1).",
        "documented behaviour",
        "paper",
        ("test_audit_metrics.py::test_head_only_unlearning_keeps_features_retraining_does_not",),
        "table",
    ),
    _c(
        "unlearn_audit.sparsity",
        "Jia et al., NeurIPS 2023 (Model Sparsity)",
        "spec D2 (convex analogue)",
        "On magnitude-pruned logistic regression the Newton residual stays below the masked Guo bound; "
        "its trend with the support size is reported.",
        "documented behaviour",
        "reconstruction",
        ("test_audit_certified.py::test_sparsity_sweep_residual_below_bound",),
        "(e)",
    ),
    # ------------------------------------------ dmm_convex: UnlearnRec encoders (issue 23)
    _c(
        "dmm_convex.encoder_dependency_exact",
        "Chen, Xia, Huang 2025 (UnlearnRec), SIGIR, arXiv 2505.22649",
        "spec panels.md §4.4 E1; derived in theory/dmm_convex.md (UnlearnRec section)",
        "The dependency-aware encoder theta_full + H^{-1} X_F^T (I - P_FF)^{-1} r_F equals the "
        "Woodbury retrain (1e-10); the additive encoder is exact for one row and is the sum of "
        "single-row changes.",
        "exact identity",
        "derived",
        (
            "test_influence_encoder.py::test_dependency_encoder_is_the_retrain",
            "test_influence_encoder.py::test_additive_encoder_exact_for_one_row_and_additive",
        ),
        "(e), (f)",
    ),
    _c(
        "dmm_convex.encoder_a1_steps",
        "Chen, Xia, Huang 2025 (UnlearnRec), SIGIR, arXiv 2505.22649",
        "spec Prop. A1 applied to each encoder's output",
        "From every encoder's output gd_retain reaches ||theta_t - theta_R|| <= eps within "
        "ceil(log(eps/e_0)/log(1 - eta lambda_min(H_R))) steps.",
        "derived proposition",
        "derived",
        ("test_influence_encoder.py::test_a1_steps_bound_holds_for_every_init",),
        "(e)",
    ),
    _c(
        "dmm_convex.encoder_leverage_slope",
        "Chen, Xia, Huang 2025 (UnlearnRec), SIGIR, arXiv 2505.22649",
        "spec panels.md §4.4 (slow test)",
        "The relative error of the pre-trained linear encoder to the exact retrain falls like the "
        "leverage, 1/n (log-log slope in [-1.3, -0.7]).",
        "rate/slope",
        "derived",
        ("test_influence_encoder.py::test_learned_encoder_error_shrinks_with_leverage",),
        "(f)",
    ),
    # ---------------------------------------------------------------- beo_gaussian
    _c(
        "beo_gaussian.uc_class_keyed_invariant",
        "Zhang et al. 2023 (Unlearnable Clusters), CVPR, arXiv 2301.01217",
        "spec panels.md §4.3 UC1; derived in theory/beo_gaussian.md (Unlearnable Clusters section)",
        "Class-keyed perturbations (shortcut keyed to the protector's labels) leave the clean error "
        "of a hacker whose balanced labelling cross-cuts the protector's (sign x2 vs sign x1) exactly "
        "unchanged, for every budget and protected fraction.",
        "exact identity",
        "derived",
        ("test_unlearnable_clusters.py::test_class_keyed_has_no_effect_on_a_cross_cutting_hacker",),
        "(d)",
    ),
    _c(
        "beo_gaussian.uc_cluster_keyed_changes",
        "Zhang et al. 2023 (Unlearnable Clusters), CVPR, arXiv 2301.01217",
        "spec panels.md §4.3 UC2 (paper: 'label-agnostic unlearnable examples with cluster-wise "
        "perturbations')",
        "Cluster-keyed perturbations (shortcut per cluster, or the UC shift toward another cluster's "
        "centroid) raise the clean error of every non-degenerate balanced hacker labelling, "
        "increasingly in the budget.",
        "derived proposition",
        "derived",
        ("test_unlearnable_clusters.py::test_cluster_keyed_hurts_every_labelling",),
        "(d)",
    ),
    _c(
        "beo_gaussian.pga_optimum",
        _BEO,
        "spec B.2 (convexity, derived)",
        "PGA on the class-wise shift reaches the closed-form / trust-region optimal Bayes error.",
        "derived proposition",
        "derived",
        ("test_audit_bayes_error.py::test_pga_reaches_optimum",),
        "(a)",
    ),
    _c(
        "beo_gaussian.concavity",
        _BEO,
        "spec B.3 (concavity lemma, derived)",
        "The Bayes error of a clean/protected mixture lies above the chord (1-p) beta_clean + p beta_prot.",
        "derived proposition",
        "derived",
        ("test_audit_bayes_error.py::test_mixture_concavity",),
        "(b)",
    ),
    _c(
        "beo_gaussian.lda_above_bayes",
        _BEO,
        "spec B.3 (LDA clean error, derived)",
        "Population LDA fitted to any mixture has clean error >= the clean Bayes error.",
        "derived proposition",
        "derived",
        ("test_audit_bayes_error.py::test_lda_above_bayes",),
        "(c)",
    ),
    _c(
        "beo_gaussian.beo_vs_shortcut",
        _BEO,
        "spec B.6 (c)",
        "Isotropic world: the symmetric BEO shift along d leaves the LDA rule (and its clean error) "
        "unchanged for every p, while the orthogonal shortcut shift raises clean error.",
        "derived proposition",
        "derived",
        ("test_audit_bayes_error.py::test_beo_shift_keeps_lda_rule",),
        "(c)",
    ),
)
