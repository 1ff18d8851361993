"""Claims of the ACU core (arXiv:2505.12239v1) checked by the lab; see ``theory/acu.md``."""

from unlearnlab.lab.claims import Claim

_PAPER = "Tang, Zhuang et al. 2025, ACU, arXiv:2505.12239v1"
_T = "tests/unlearning/test_acu.py::"
_NOTE = "theory/acu.md"

CLAIMS = (
    Claim(
        id="acu.exactness",
        paper=_PAPER,
        where="abstract (exact forgetting); theory/acu.md Thm 1",
        statement="After any interleaving of learn/unlearn requests, the ACU weights equal ridge "
        "regression retrained from scratch on the retained rows (float64 relative gap <= 1e-8).",
        kind="exact identity",
        provenance="reconstruction",
        tests=(_T + "test_exactness_random_streams", _T + "test_exactness_weights_and_R_digits"),
        experiment="acu",
        panel="(a)",
        theory_note=_NOTE,
    ),
    Claim(
        id="acu.learn_recursion",
        paper="Zhuang et al. 2022, ACIL, NeurIPS",
        where="ACIL eqs. (9)-(10)",
        statement="Recursive Woodbury learning of batches equals the closed-form ridge fit on all rows.",
        kind="exact identity",
        provenance="code",
        tests=(_T + "test_sequential_learning_equals_fit", _T + "test_fit_matches_ridge_oracle"),
        experiment="acu",
        panel="(a)",
        theory_note=_NOTE,
    ),
    Claim(
        id="acu.class_erasure",
        paper=_PAPER,
        where="theory/acu.md Cor. 3",
        statement="Forgetting every sample of a class makes its column of W zero (to roundoff), "
        "so forget-set accuracy on erased classes drops to that of Retrain.",
        kind="derived proposition",
        provenance="derived",
        tests=(_T + "test_class_erasure",),
        experiment="acu",
        panel="(b)",
        theory_note=_NOTE,
    ),
    Claim(
        id="acu.order_independence",
        paper=_PAPER,
        where="theory/acu.md Cor. 1-2",
        statement="The final state depends only on the retained multiset: permuting requests, "
        "splitting them, or unlearning right after learning the same batch changes nothing.",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _T + "test_order_independence",
            _T + "test_inverse_pair",
            _T + "test_padding_is_noop",
        ),
        experiment="acu",
        panel="(a)",
        theory_note=_NOTE,
    ),
    Claim(
        id="acu.cost_flat_in_N",
        paper=_PAPER,
        where="abstract (efficiency); theory/acu.md complexity",
        statement="One request costs O(d^2 m + m^2 d + m^3 + m d C), independent of the number N of "
        "learned rows; retraining costs O(N d^2 + d^3).",
        kind="derived proposition",
        provenance="derived",
        tests=(_T + "test_cost_independent_of_N",),
        experiment="acu",
        panel="(c)",
        theory_note=_NOTE,
    ),
    Claim(
        id="acu.invalid_request",
        paper=_PAPER,
        where="theory/acu.md Lemma 2 (validity)",
        statement="A request is consistent with learned data iff I - X R X^T is PD; a never-learned "
        "row with ||x||^2 > 1/lambda_min(R) is rejected with ValueError (small unseen rows are not).",
        kind="documented behaviour",
        provenance="derived",
        tests=(_T + "test_invalid_request_raises", _T + "test_small_unseen_row_not_detected"),
        experiment="acu",
        panel="-",
        theory_note=_NOTE,
    ),
    Claim(
        id="acu.float32",
        paper=_PAPER,
        where="theory/acu.md numerics",
        statement="float32 is a smoke test, not an exactness claim: with small requests (200 requests "
        "of <= 4 rows, d = 256, N = 2000, gamma = 1) the gap stays below 1e-3; it grows like "
        "u32 * lambda_max / gamma, and large requests can be rejected as numerically indefinite.",
        kind="documented behaviour",
        provenance="derived",
        tests=(_T + "test_float32_smoke",),
        experiment="acu",
        panel="(a)",
        theory_note=_NOTE,
    ),
    Claim(
        id="acu.gradient_ascent_drifts",
        paper=_PAPER,
        where="abstract (gradient methods degrade under frequent requests)",
        statement="A forget-set-only gradient-ascent baseline drifts away from Retrain as requests "
        "accumulate (reported, not a theorem).",
        kind="reproduction",
        provenance="paper",
        tests=(_T + "test_gradient_ascent_moves_away_from_retrain",),
        experiment="acu",
        panel="(a)",
        theory_note=_NOTE,
    ),
)
