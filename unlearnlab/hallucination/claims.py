"""Claims checked by the hallucination core (experiment ``hallucination_monofact``)."""

from unlearnlab.lab.claims import Claim

_PAPER = "Kalai & Vempala 2024, arXiv 2311.14648 v3"
_EXP = "hallucination_monofact"
_NOTE = "theory/hallucination_monofact.md"
_T = "tests/hallucination/"

CLAIMS = (
    Claim(
        id="hallucination_monofact.bound_holds",
        paper=_PAPER,
        where="Corollary 1 (v3) [secondary statement]",
        statement="With probability >= 1-delta, HR >= MF - Miscal - 3e^{-s}/delta - sqrt(6 ln(6/delta)/n), "
        "for the Good-Turing model, its mixtures with the MLE model and the MLE model (delta = 0.1).",
        kind="bound w.p. >= 1-delta",
        provenance="secondary",
        tests=(_T + "test_statistical.py::test_bound_holds",),
        experiment=_EXP,
        panel="(a)",
        theory_note=_NOTE,
    ),
    Claim(
        id="hallucination_monofact.nonvacuous",
        paper=_PAPER,
        where="spec §4 (prototype) [derived]",
        statement="For the Good-Turing model with m = n = 2e4, |H|/|F| = 1e4, delta = 0.1, the mean "
        "Corollary 1 bound is positive for Zipf exponents up to about 1.2.",
        kind="derived proposition",
        provenance="derived",
        tests=(_T + "test_statistical.py::test_bound_nonvacuous_below_1p2",),
        experiment=_EXP,
        panel="(a)",
        theory_note=_NOTE,
    ),
    Claim(
        id="hallucination_monofact.gt_tightness",
        paper=_PAPER,
        where="Sec. 7 (upper bound: a calibrated model hallucinating at about the monofact rate)",
        statement="The Good-Turing model has HR = MF |H|/(|H| + |F ∩ U|) exactly, so HR - MF -> 0 as "
        "|H|/|F| -> infinity: the bound's leading term is attained.",
        kind="exact identity",
        provenance="derived",
        tests=(_T + "test_models.py::test_good_turing_tightness",),
        experiment=_EXP,
        panel="(a)",
        theory_note=_NOTE,
    ),
    Claim(
        id="hallucination_monofact.gt_bias_identity",
        paper="Good 1953; derived here",
        where="spec §5 test 2 [derived]",
        statement="E[N1/n] - E[MM] = sum_i p_i^2 (1 - p_i)^(n-1) exactly.",
        kind="exact identity",
        provenance="derived",
        tests=(
            _T + "test_estimators.py::test_good_turing_bias_enumeration",
            _T + "test_statistical.py::test_good_turing_bias_identity",
        ),
        experiment=_EXP,
        panel="(d)",
        theory_note=_NOTE,
    ),
    Claim(
        id="hallucination_monofact.concentration",
        paper=_PAPER,
        where="Corollary 1, missing-mass term [secondary]",
        statement="|MF - MM| <= sqrt(6 ln(6/delta)/n) in at least 1-delta of the samples (delta = 0.1).",
        kind="bound w.p. >= 1-delta",
        provenance="secondary",
        tests=(_T + "test_statistical.py::test_missing_mass_concentration",),
        experiment=_EXP,
        panel="(d)",
        theory_note=_NOTE,
    ),
    Claim(
        id="hallucination_monofact.mle_calibration",
        paper=_PAPER,
        where="Sec. 1 (a model that never hallucinates must be miscalibrated) [derived form]",
        statement="The MLE model has HR = 0 exactly and level-set Miscal >= MM.",
        kind="derived proposition",
        provenance="derived",
        tests=(_T + "test_models.py::test_calibration_sanity",),
        experiment=_EXP,
        panel="(b)",
        theory_note=_NOTE,
    ),
    Claim(
        id="hallucination_monofact.tradeoff_floor",
        paper=_PAPER,
        where="proof idea of Corollary 1 [derived]",
        statement="For level-set bins, every model and every sample satisfy HR >= (1 - rho)(MM - Miscal), "
        "rho = |F ∩ U|/|U| <= e^{-s}: lowering HR costs miscalibration one for one.",
        kind="derived proposition",
        provenance="derived",
        tests=(_T + "test_models.py::test_tradeoff_floor",),
        experiment=_EXP,
        panel="(b)",
        theory_note=_NOTE,
    ),
    Claim(
        id="hallucination_monofact.upweighting",
        paper="Miao & Kearns 2025, arXiv 2502.08666",
        where="selective upweighting experiments",
        statement="Duplicating the training documents of the top facts lowers the Good-Turing model's HR "
        "and raises its miscalibration.",
        kind="reproduction",
        provenance="paper",
        tests=(_T + "test_models.py::test_upweighting_lowers_hr_raises_miscal",),
        experiment=_EXP,
        panel="(c)",
        theory_note=_NOTE,
    ),
)
