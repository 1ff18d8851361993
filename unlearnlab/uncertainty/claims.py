"""Claims of the DEUP core checked by the lab (``theory/deup_linear.md``)."""

from unlearnlab.lab.claims import Claim

_P = "Lahlou, Jain, ..., Bengio 2023, DEUP, TMLR, arXiv:2102.08501"
_T = "tests/uncertainty/test_deup.py::"
_N = "theory/deup_linear.md"

CLAIMS = (
    Claim(
        id="deup_linear.bayes_identity",
        paper=_P,
        where="theory note Prop. D1 (well-specified conjugate model)",
        statement="With f* = phi' theta*, theta* from the prior and the model's noise variance, the "
        "prior-averaged excess risk E[(f_hat(x) - f*(x))^2] equals the posterior variance "
        "phi(x)' S phi(x) (Monte Carlo, 4.5 SE per point).",
        kind="derived proposition",
        provenance="derived",
        tests=(_T + "test_well_specified_posterior_variance_is_prior_averaged_excess_risk",),
        experiment="deup_linear",
        panel="(d)",
        theory_note=_N,
    ),
    Claim(
        id="deup_linear.variance_vanishes_bias_stays",
        paper=_P,
        where="abstract (variance misses misspecification) [paper]; theory note Prop. D2 [derived]",
        statement="Under misspecification the posterior variance decays like 1/n (log-log slope in "
        "[-1.05, -0.95]) while the expected excess risk tends to a(x)^2 = (phi(x)' theta_inf - "
        "f*(x))^2 > 0 (within 1e-3 at n = 1e5), exact fixed-design formulas.",
        kind="rate/slope",
        provenance="derived",
        tests=(_T + "test_variance_vanishes_excess_risk_stays",),
        experiment="deup_linear",
        panel="(c)",
        theory_note=_N,
    ),
    Claim(
        id="deup_linear.deup_consistent",
        paper=_P,
        where="abstract (predict the error, subtract the aleatoric part) [paper]; theory note "
        "Prop. D3 [derived]",
        statement="E[(y - f_hat(x))^2 | x, f_hat] = sigma^2(x) + e*(x); the least-squares error "
        "predictor is unbiased and its grid ISE against e* matches its sandwich expectation and "
        "decays with log-log slope in [-1.3, -0.7] in n_err.",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _T + "test_expected_squared_residual_is_aleatoric_plus_excess",
            _T + "test_error_predictor_ise_matches_its_sandwich_expectation",
            _T + "test_error_predictor_ise_decays_like_one_over_n_err",
        ),
        experiment="deup_linear",
        panel="(b)",
        theory_note=_N,
    ),
    Claim(
        id="deup_linear.ood_ratio",
        paper=_P,
        where="spec D4 (reported)",
        statement="Out of distribution (|x| > 1), the mean excess risk is many times the mean posterior "
        "variance, while DEUP's estimate tracks it; Spearman correlations with e* are reported.",
        kind="documented behaviour",
        provenance="derived",
        tests=(),
        experiment="deup_linear",
        panel="(b)",
        theory_note=_N,
    ),
)
