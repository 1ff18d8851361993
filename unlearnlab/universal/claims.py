"""Claims of the Universality Lens core checked by the lab (``theory/universality_lens.md``)."""

from unlearnlab.lab.claims import Claim

_P = "Feder, Urbanke, Fogel 2025, The Universality Lens, arXiv:2506.07661"
_T = "tests/universal/test_mixture.py::"
_N = "theory/universality_lens.md"

CLAIMS = (
    Claim(
        id="universality_lens.resolvability_bound",
        paper=_P,
        where="abstract (key result); the lab's resolvability form, theory note Prop. 1",
        statement="The exact cumulative regret of the Bayesian mixture is at most "
        "min_eps [-log W(eps; s0) + n eps], W the prior weight of the KL ball around the truth, for "
        "every n and s0 (float64, 1e-10).",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _T + "test_regret_below_resolvability_bound_every_n_and_s0",
            _T + "test_bound_holds_for_any_prior_and_probabilities",
        ),
        experiment="universality_lens",
        panel="(a)",
        theory_note=_N,
    ),
    Claim(
        id="universality_lens.monotone_to_limit",
        paper=_P,
        where="theory note Prop. 2 (chain rule and Bayes' rule)",
        statement="R_n(s0) is non-decreasing in n, never exceeds -log w(s0), and tends to it: "
        "within 1e-2 at n = 1e5 for |s0| <= D/2 (D = 20, c = 2).",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _T + "test_regret_nondecreasing_and_tends_to_minus_log_weight",
            _T + "test_regret_equals_minus_log_prior_plus_expected_log_posterior",
        ),
        experiment="universality_lens",
        panel="(a)",
        theory_note=_N,
    ),
    Claim(
        id="universality_lens.simplicity_weight",
        paper=_P,
        where="abstract (simple models are those with large weight); theory note Prop. 3",
        statement="-log w_D(s0) strictly increases with |s0| and equals log|Theta| = D log 3 only at "
        "|s0| = D; at s0 = 0 it is about (1/2) log(4 pi D / 3), far below log|Theta|.",
        kind="derived proposition",
        provenance="derived",
        tests=(_T + "test_minus_log_weight_increases_with_abs_s0",),
        experiment="universality_lens",
        panel="(b)",
        theory_note=_N,
    ),
    Claim(
        id="universality_lens.sgld_matches",
        paper=_P,
        where="abstract (SGLD samples the posterior; ensembles approximate the learner); spec L4",
        statement="An ensemble of 256 reflected Langevin chains (2000 steps) on the relaxation "
        "[-1, 1]^D reproduces the exact posterior predictive of the relaxed class (quadrature over "
        "the Irwin-Hall density) within 0.01 + 4 SE for n in {10, 100, 1000}.",
        kind="reproduction",
        provenance="paper",
        tests=("tests/universal/test_sgld.py::test_sgld_ensemble_matches_exact_predictive",),
        experiment="universality_lens",
        panel="(d)",
        theory_note=_N,
    ),
)
