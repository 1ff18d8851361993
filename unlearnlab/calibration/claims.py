"""The calibration family's checked claims (see ``unlearnlab.lab.claims``)."""

from unlearnlab.lab.claims import Claim

_PAPER = "Huang et al., h-calibration, TPAMI 2025, arXiv 2506.17968"
_T = "tests/calibration/"

CLAIMS = (
    Claim(
        id="hcal.ts_moves_temperature",
        paper="Guo et al. 2017, arXiv 1706.04599 (TS); netcal issues #48/#61 (regression)",
        where="Sec. 4.2 (TS); spec §9.1 indicative T ~ 2.04 on WRN-16-4 CIFAR-10",
        statement="On over-confident data the NLL-fitted temperature moves away from 1 (T > 1.2) "
        "and the test ECE drops by >= 40% on every split.",
        kind="reproduction",
        provenance="secondary",
        tests=(
            _T + "test_real_data.py::test_p15b_temperature_moves_on_real_overconfident_model",
            _T + "test_baselines.py::test_p15a_temperature_moves_on_overconfident_synthetic_data",
        ),
        experiment="hcal",
        panel="(b), (i)",
        theory_note="theory/hcal.md",
    ),
    Claim(
        id="hcal.hcal_vs_ts",
        paper=_PAPER,
        where="abstract ('state-of-the-art', 'markedly better than traditional methods'); issue 3",
        statement="ETS + pooled h-cal has test ECE <= TS's + the split-to-split sd and at most half "
        "the uncalibrated ECE on WRN-16-4 CIFAR-10 (asserted by the test on split 0); the experiment "
        "measures the comparison with TS on each of the three real prediction sets.",
        kind="reproduction",
        provenance="paper",
        tests=(_T + "test_real_data.py::test_p18_hcal_on_real_data",),
        experiment="hcal",
        panel="(c), (i)",
        theory_note="theory/hcal.md",
    ),
    Claim(
        id="hcal.accuracy_preserved",
        paper=_PAPER,
        where="official code models/ (intra order-preserving maps); limitation #9 of the overview",
        statement="TS, ETS, PWL and the monotone network keep the argmax of every test row, so the "
        "accuracy is unchanged.",
        kind="invariant",
        provenance="code",
        tests=(
            _T + "test_maps.py::test_p1_argmax_preserved_for_any_params",
            _T + "test_real_data.py::test_p18_hcal_on_real_data",
        ),
        experiment="hcal",
        panel="(a)-(f)",
        theory_note="theory/hcal.md",
    ),
    Claim(
        id="hcal.nll_not_worse",
        paper=_PAPER,
        where="abstract (relation to proper scoring rules); spec §4 (selection by NLL), §6",
        statement="h-calibration's test NLL is no worse than the uncalibrated NLL: asserted by the "
        "test on WRN-16-4 CIFAR-10 (ETS + pooled h-cal, split 0); the experiment measures it on each "
        "of the three real prediction sets under the official proper-scoring protocol (map family "
        "and checkpoint chosen by calibration-half NLL), per-family NLLs reported beside it.",
        kind="documented behaviour",
        provenance="derived",
        tests=(_T + "test_real_data.py::test_p18_hcal_on_real_data",),
        experiment="hcal",
        panel="(j)",
        theory_note="theory/hcal.md",
    ),
    Claim(
        id="hcal_window.bound_calibrated",
        paper=_PAPER,
        where="h-bound, reconstructed (spec §2): Hoeffding (1963) Thm 2 + negative association",
        statement="For a calibrated predictor the fraction of windows with T_j > h(delta) is <= "
        "delta (+0.02) and max_j T_j <= h_union(delta) in all but a few seeds.",
        kind="bound w.p. >= 1-delta",
        provenance="reconstruction",
        tests=(_T + "test_hcal.py::test_p4_h_bound_holds_for_calibrated_predictor",),
        experiment="hcal_window",
        panel="(b), (c)",
        theory_note="theory/hcal_window.md",
    ),
    Claim(
        id="hcal_window.noise_floor",
        paper=_PAPER,
        where="spec §3 noise floor [derived]",
        statement="A calibrated predictor's mean T_j is within [0.5, 1.5] x sqrt(2/pi) sigma_bar / "
        "sqrt(w+1).",
        kind="derived proposition",
        provenance="derived",
        tests=(_T + "test_hcal.py::test_p5_noise_floor",),
        experiment="hcal_window",
        panel="(b)",
        theory_note="theory/hcal_window.md",
    ),
    Claim(
        id="hcal_window.separates",
        paper=_PAPER,
        where="spec §12 P6 [derived]",
        statement="The h-loss of an over-confident predictor (beta = 0.5) is > 2x the calibrated "
        "one, and the uncalibrated WRN-16-4 CIFAR-10 model exceeds h_union(0.05).",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _T + "test_hcal.py::test_p6_h_loss_separates_miscalibration",
            _T + "test_real_data.py::test_uncalibrated_wrn_exceeds_h_union",
        ),
        experiment="hcal_window",
        panel="(a), (b)",
        theory_note="theory/hcal_window.md",
    ),
)
