"""Claims of the causal family checked by the lab (``theory/rep4ex.md``)."""

from unlearnlab.lab.claims import Claim

_P = "Saengkyongam et al. 2024, Identifying representations for intervention extrapolation, arXiv:2310.04295"
_TI = "tests/causal/test_identification.py::"
_TE = "tests/causal/test_extrapolation.py::"
_TM = "tests/causal/test_model.py::"
_N = "theory/rep4ex.md"

CLAIMS = (
    Claim(
        id="rep4ex.identification",
        paper=_P,
        where="abstract and Sec. 4 (identifiable up to an affine map); theory note P1 (sieve version)",
        statement="The smallest generalised eigenvector of the linear-invariance sieve recovers Z up "
        "to an affine map: 1 - R^2 < 1e-10 and lambda_1 = 0 with population moments and on the "
        "noiseless instance, with a separation lambda_2 >= 0.1 (M0 = 3, sigma_V = 0.5).",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _TI + "test_noiseless_identification_exact",
            _TI + "test_population_identification_exact",
        ),
        experiment="rep4ex",
        panel="(a)",
        theory_note=_N,
    ),
    Claim(
        id="rep4ex.identification_rate",
        paper=_P,
        where="theory note P2 (Davis-Kahan rate of the sample eigenvector)",
        statement="1 - R^2 of the sample encoder falls like 1/n: the fitted log-log slope of the "
        "seed-mean over n = 250..64000 (40 seeds) lies in [-1.3, -0.7].",
        kind="rate/slope",
        provenance="derived",
        tests=(_TI + "test_one_minus_r2_rate",),
        experiment="rep4ex",
        panel="(b)",
        theory_note=_N,
    ),
    Claim(
        id="rep4ex.affine_equivariance",
        paper=_P,
        where="abstract ('up to an affine transformation ... sufficient for intervention "
        "extrapolation'); theory note P3",
        statement="Control-function (and plug-in) predictions from c Z + d equal those from Z to "
        "1e-8 in float64 for any c != 0.",
        kind="invariant",
        provenance="derived",
        tests=(_TE + "test_affine_equivariance_exact",),
        experiment="rep4ex",
        panel="(c)",
        theory_note=_N,
    ),
    Claim(
        id="rep4ex.plugin_bias",
        paper=_P,
        where="Sec. 2 (hidden confounding biases regression on Z); theory note P4",
        statement="Without the control function the population prediction is off by "
        "rho E m(M0 a* + V'), m(z) = E[V | Z = z] the truncated-normal mean of the uniform-action "
        "model (checked against Bayes' rule by quadrature to 1e-9); near 0 inside the support, "
        "large beyond it.",
        kind="exact identity",
        provenance="derived",
        tests=(
            _TM + "test_confounder_mean_equals_bayes_quadrature",
            _TM + "test_plugin_bias_equals_double_quadrature",
        ),
        experiment="rep4ex",
        panel="(c)",
        theory_note=_N,
    ),
    Claim(
        id="rep4ex.extrapolation",
        paper=_P,
        where="abstract ('our approach can indeed succeed in predicting the effects of unseen "
        "interventions'), Fig. 1; lab instance",
        statement="Outside the support (a* = 1.3) the control function on the identified "
        "representation has a smaller error than both regress-on-A and the no-control-function "
        "plug-in in a seed with probability >= 0.9 (binomial check, false-failure rate <= 1e-3).",
        kind="reproduction",
        provenance="paper",
        tests=(_TE + "test_control_function_beats_baselines_outside_support",),
        experiment="rep4ex",
        panel="(d)",
        theory_note=_N,
    ),
)
