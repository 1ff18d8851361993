"""Claims checked by the selective-labels core (experiment ``domain_constraints``)."""

from unlearnlab.lab.claims import Claim

_PAPER = "Balachandar, Garg & Pierson, ICLR 2024, arXiv 2312.03878"
_EXP = "domain_constraints"
_NOTE = "theory/domain_constraints.md"
_T = "tests/selective_labels/"

CLAIMS = (
    Claim(
        id="domain_constraints.gh_quadrature",
        paper=_PAPER,
        where="spec §1 (engineering: Z marginalised by Gauss-Hermite) [derived]",
        statement="The Gauss-Hermite marginal likelihood equals the dense integral over Z (rtol 1e-6 "
        "at K = 40 for sigma max(1, alpha) <= 2); the experiment's K-node likelihood is within "
        "1e-3 relative of K = 80 at the true parameters.",
        kind="exact identity",
        provenance="derived",
        tests=(_T + "test_likelihood.py::test_gauss_hermite_likelihood",),
        experiment=_EXP,
        panel="(a)-(c)",
        theory_note=_NOTE,
    ),
    Claim(
        id="domain_constraints.variance_reduction",
        paper=_PAPER,
        where="spec §2 (Sherman-Morrison and Schur complement) [derived]",
        statement="Under a Gaussian posterior a soft linear constraint gives Var_con(v'theta) = "
        "v'L^-1 v - 2w (v'L^-1 a)^2 / (1 + 2w a'L^-1 a) <= Var(v'theta), strictly iff v'L^-1 a != 0; "
        "conditioning on beta_Delta_j = 0 lowers the covariance by a Schur complement.",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _T + "test_gaussian.py::test_constrained_gaussian_var",
            _T + "test_gaussian.py::test_constrained_gaussian_posterior_direct",
        ),
        experiment=_EXP,
        panel="(b)",
        theory_note=_NOTE,
    ),
    Claim(
        id="domain_constraints.conjugate_nuts",
        paper=_PAPER,
        where="spec §2 (exact conjugate testbed) [derived]",
        statement="numpyro NUTS on the linear-Gaussian testbed with the prevalence constraint matches "
        "the closed-form posterior: |mean diff| <= 4 sd/sqrt(ESS), relative covariance error <= 0.15.",
        kind="exact identity",
        provenance="derived",
        tests=(
            _T + "test_nuts.py::test_conjugate_testbed_nuts",
            _T + "test_gaussian.py::test_conjugate_testbed_posterior_direct",
        ),
        experiment=_EXP,
        panel="(none: JSON only)",
        theory_note=_NOTE,
    ),
    Claim(
        id="domain_constraints.precision",
        paper=_PAPER,
        where="precision statement (secondary summary; theorem not read) [secondary]",
        statement="The prevalence and expertise constraints do not widen, and typically shrink, the "
        "posterior s.d. of beta_Y (median NUTS s.d. ratio to no constraint <= 1: the test asserts "
        "it for both constraints together, the experiment measures each set).",
        kind="reproduction",
        provenance="secondary",
        tests=(_T + "test_recovery.py::test_recovery",),
        experiment=_EXP,
        panel="(b)",
        theory_note=_NOTE,
    ),
    Claim(
        id="domain_constraints.untested_risk",
        paper=_PAPER,
        where="abstract/introduction (constraints improve risk prediction for the untested) [paper]",
        statement="With both constraints the posterior-mean risk of the untested is closer to its "
        "value at the true parameters than without constraints (mean over datasets).",
        kind="reproduction",
        provenance="paper",
        tests=(
            _T + "test_recovery.py::test_constraints_bring_the_untested_risk_closer_to_the_truth",
        ),
        experiment=_EXP,
        panel="(c)",
        theory_note=_NOTE,
    ),
)

_SBC = (
    "Talts, Betancourt, Simpson, Vehtari & Gelman 2018, SBC, arXiv 1804.06788; model of " + _PAPER
)
SBC_CLAIMS = (
    Claim(
        id="selective_labels_sbc.sbc_uniform",
        paper=_SBC,
        where="SBC: Talts et al. 2018, Theorem 1 (rank uniformity) [paper]; applied to the lab's model",
        statement="Simulation-based calibration of the unconstrained model with numpyro NUTS: with "
        "parameters drawn from the model's prior, every parameter's SBC ranks pass a chi-square "
        "uniformity test and its 90% posterior intervals cover at the nominal rate (binomial band), "
        "at a family-wise false-failure rate of 1e-3.",
        kind="bound w.p. >= 1-delta",
        provenance="paper",
        tests=("tests/selective_labels/test_sbc.py::test_sbc_of_the_selective_labels_model",),
        experiment="selective_labels_sbc",
        panel="(a)-(c)",
        theory_note="theory/selective_labels_sbc.md",
    ),
    Claim(
        id="selective_labels_sbc.identified_scale",
        paper=_PAPER,
        where="theory/selective_labels_sbc.md, Proposition (probit matching) [derived]",
        statement="Binary outcomes identify the attenuated coefficients beta_Y / sqrt(1 + pi sigma^2 / 8) "
        "(outcome probabilities within 0.02 of the logistic-normal integral), not beta_Y and sigma "
        "separately; the coverage of raw and attenuated coefficients on the authors' generator is "
        "reported.",
        kind="derived proposition",
        provenance="derived",
        tests=(
            "tests/selective_labels/test_sbc.py::test_attenuated_scale_is_what_binary_outcomes_identify",
        ),
        experiment="selective_labels_sbc",
        panel="(c), (d)",
        theory_note="theory/selective_labels_sbc.md",
    ),
)
CLAIMS = CLAIMS + SBC_CLAIMS
