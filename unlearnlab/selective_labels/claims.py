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
        tests=(
            _T + "test_likelihood.py::test_gauss_hermite_likelihood",
            _T + "test_likelihood.py::test_implied_prevalence_and_untested_risk_dense",
        ),
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
        "posterior s.d. of beta_Y (median NUTS s.d. ratio to no constraint <= 1 per set).",
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
            _T + "test_likelihood.py::test_implied_prevalence_and_untested_risk_dense",
            _T + "test_recovery.py::test_recovery",
        ),
        experiment=_EXP,
        panel="(c)",
        theory_note=_NOTE,
    ),
)
