"""Claims of the unlearning-under-attack cores (issue 19): in-context re-acquisition (UnUnlearning),
relearning and SAM, and the Model Sparsity unrolling bound.

Notes: ``theory/ununlearning_icl.md``, ``theory/relearn_sam.md``, ``theory/unlearn_audit.md``
(Model Sparsity section).
"""

from unlearnlab.lab.claims import Claim

_UU = "Shumailov et al. 2024, UnUnlearning, arXiv 2407.00106"
_RS = "Fan et al. 2025, relearning-resilient unlearning (SAM), ICML 2025, arXiv 2502.05374"
_SP = "Jia et al. 2023, Model Sparsity Can Simplify Machine Unlearning, arXiv 2304.04934"
_TU = "tests/unlearning/test_ununlearning.py::"
_TR = "tests/unlearning/test_relearn.py::"
_TS = "tests/unlearning/test_sparsity.py::"

ATTACK_CLAIMS = (
    Claim(
        id="ununlearning_icl.closed_form",
        paper=_UU,
        where="spec unlearning-attacks sec. 3.2, U1-U2 (lab's LSA model)",
        statement="The closed-form (b*, Gamma*) zeroes the gradient of the closed-form population "
        "loss (1e-10), agrees with Monte Carlo least squares and with an Adam-trained LSA, and the "
        "k-shot risk formula R_k(w) matches Monte Carlo within its standard error.",
        kind="exact identity",
        provenance="derived",
        tests=(
            _TU + "test_optimum_zeroes_population_gradient",
            _TU + "test_population_loss_is_average_risk",
            _TU + "test_optimum_matches_mc_least_squares",
            _TU + "test_risk_formula_matches_monte_carlo",
            _TU + "test_trained_lsa_matches_optimum",
        ),
        experiment="ununlearning_icl",
        panel="(a), (c)",
        theory_note="theory/ununlearning_icl.md",
    ),
    Claim(
        id="ununlearning_icl.fact_reacquired_1_over_k",
        paper=_UU,
        where="abstract ('unlearned knowledge gets reintroduced in-context'); spec U3 [derived]",
        statement="For the exactly unlearned model (fact removed from the task law) the zero-shot "
        "risk at the fact is the null risk, yet the k-shot excess risk R_k(w_f) - sigma^2 decays "
        "as Theta(1/k): log-log slope in [-1.05, -0.95] over k in [2^6, 2^12], and the gap to the "
        "original model vanishes.",
        kind="rate/slope",
        provenance="derived",
        tests=(
            _TU + "test_zero_shot_unlearned_is_null",
            _TU + "test_fact_reacquired_at_rate_one_over_k",
        ),
        experiment="ununlearning_icl",
        panel="(a), (d)",
        theory_note="theory/ununlearning_icl.md",
    ),
    Claim(
        id="ununlearning_icl.skill_lower_bound",
        paper=_UU,
        where="spec U4 [derived] (skill-level removal is not undone in context)",
        statement="If no pretraining task uses direction u, range(Gamma*) lies in u-perp, and for "
        "every k and every context R(u) >= sigma^2 + u^T Sigma u - u^T Sigma P (P Sigma P)^+ P Sigma u "
        "(= the null risk when Sigma does not couple u and u-perp).",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _TU + "test_skill_range_inclusion",
            _TU + "test_skill_lower_bound_all_k",
            _TU + "test_skill_bound_holds_for_every_context",
        ),
        experiment="ununlearning_icl",
        panel="(b)",
        theory_note="theory/ununlearning_icl.md",
    ),
    Claim(
        id="relearn_sam.spectral_identity",
        paper=_RS,
        where="spec sec. 3.5, S1 [derived]",
        statement="The forget loss along gradient-descent relearning equals "
        "L_f* + 1/2 sum_i lambda_i (1 - eta lambda_i)^{2k} e_i^2 (float64, 1e-10 relative).",
        kind="exact identity",
        provenance="derived",
        tests=(_TR + "test_spectral_identity", _TR + "test_subset_relearning_closed_form"),
        experiment="relearn_sam",
        panel="(a), (d)",
        theory_note="theory/relearn_sam.md",
    ),
    Claim(
        id="relearn_sam.certified_delay",
        paper=_RS,
        where="spec sec. 3.5, S2 [derived] (the paper's min-max robustness, made quantitative)",
        statement="For eta <= 1/lambda_max(H_f), if TRmin_rho L_f(theta_0) >= c then L_f(theta_k) >= c "
        "for every k <= floor(rho / (eta ||grad L_f(theta_0)||)); the measured first crossing is "
        "never earlier.",
        kind="derived proposition",
        provenance="derived",
        tests=(_TR + "test_certified_delay_never_exceeds_measured", _TR + "test_step_length_bound"),
        experiment="relearn_sam",
        panel="(a), (c)",
        theory_note="theory/relearn_sam.md",
    ),
    Claim(
        id="relearn_sam.sam_sandwich",
        paper=_RS,
        where="spec sec. 3.5, S3 [derived] (SAM as the first-order robust objective)",
        statement="L_f - rho ||grad L_f|| <= TRmin_rho L_f <= L_f - rho ||grad L_f|| + rho^2 "
        "lambda_max(H_f) / 2 for every theta and rho (exact trust-region minimum).",
        kind="derived proposition",
        provenance="derived",
        tests=(_TR + "test_sam_sandwich", _TR + "test_trust_region_is_optimal"),
        experiment="relearn_sam",
        panel="(c)",
        theory_note="theory/relearn_sam.md",
    ),
    Claim(
        id="unlearn_audit.sparsity_bound",
        paper=_SP,
        where="sparsity theorem (blog/abstract; formula reconstructed), spec sec. 4.2 [derived]",
        statement="For masked GD on ridge the exact unrolled-unlearning error equals the two-sum "
        "formula (1e-10), stays below eta^2 C(t,2) lambda_max(M H_R M) ||M g_F|| + eta t "
        "lambda_max(M H_F M) max_s ||M(theta_s - theta_0)||, and both constants are non-increasing "
        "in sparsity (interlacing).",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _TS + "test_exact_error_matches_simulation",
            _TS + "test_error_below_bound",
            _TS + "test_constants_monotone_in_sparsity",
        ),
        experiment="unlearn_audit",
        panel="(e)",
        theory_note="theory/unlearn_audit.md",
    ),
)
