"""Claims checked by the UNEM core (experiment ``unem``, theory note ``theory/unem.md``)."""

from unlearnlab.lab.claims import Claim

_PAPER = "Zhou et al. 2025, UNEM, arXiv 2412.16739 (CVPR 2025)"
_NOTE = "theory/unem.md"
_G = "tests/fewshot/test_gem.py"
_U = "tests/fewshot/test_unem.py"

CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="unem.monotone",
        paper=_PAPER,
        where="lab spec Sec. 2.1; theory/unem.md Sec. 2 (official U_Paddle_embt.py updates)",
        statement="With fixed (lam, T) each GEM block (E, pi, M) is the exact minimiser of F in its "
        "block, so F never increases.",
        kind="invariant",
        provenance="derived",
        tests=(f"{_G}::test_objective_monotone_per_block",),
        experiment="unem",
        panel="(none; JSON claims)",
        theory_note=_NOTE,
    ),
    Claim(
        id="unem.em_reduction",
        paper=_PAPER,
        where="lab spec Sec. 2; theory/unem.md Sec. 3",
        statement="At lam = T = 1 one GEM layer is one EM step of an identity-covariance Gaussian "
        "mixture with mixing weights and the support clamped.",
        kind="exact identity",
        provenance="derived",
        tests=(f"{_G}::test_em_reduction_lambda_T_one",),
        experiment="unem",
        panel="(none; JSON claims)",
        theory_note=_NOTE,
    ),
    Claim(
        id="unem.proportions",
        paper=_PAPER,
        where="lab spec Sec. 9 panel (c); theory/unem.md Sec. 6",
        statement="The GEM proportion estimate's L1 error decays like the multinomial sampling noise, "
        "log-log slope in [-0.75, -0.3] (theory -1/2).",
        kind="rate/slope",
        provenance="derived",
        tests=(f"{_G}::test_proportion_recovery",),
        experiment="unem",
        panel="(e)",
        theory_note=_NOTE,
    ),
    Claim(
        id="unem.best_lambda_depends_on_family",
        paper=_PAPER,
        where="paper Fig. 1 / abstract (best hyper-parameters vary across datasets)",
        statement="The accuracy-maximising lambda of GEM differs between two task families.",
        kind="reproduction",
        provenance="paper",
        tests=(f"{_U}::test_best_lambda_depends_on_family",),
        experiment="unem",
        panel="(a), (b)",
        theory_note=_NOTE,
    ),
    Claim(
        id="unem.learned_not_worse",
        paper=_PAPER,
        where="paper abstract (gains over the iterative variants); lab spec Sec. 10 test 5",
        statement="UNEM with learned per-layer (lam, T) is not worse than GEM(lam = T = 1) on held-out "
        "imbalanced tasks.",
        kind="reproduction",
        provenance="paper",
        tests=(f"{_U}::test_learned_not_worse_than_default_and_shift",),
        experiment="unem",
        panel="(f)",
        theory_note=_NOTE,
    ),
    Claim(
        id="unem.vs_grid",
        paper=_PAPER,
        where="lab spec Sec. 10 test 5 (ii), a reported number",
        statement="Held-out accuracy of learned UNEM minus that of the best fixed (lam, T) of a grid "
        "search on the same validation tasks (reported, not asserted).",
        kind="documented behaviour",
        provenance="reconstruction",
        tests=(),  # JSON only: a reported number, no test asserts it
        experiment="unem",
        panel="(f)",
        theory_note=_NOTE,
    ),
    Claim(
        id="unem.first_layer_lambda_inert",
        paper=_PAPER,
        where="official code (v^(0) = 1, uniform pi); theory/unem.md Sec. 5",
        statement="lam_1 has no effect on UNEM's output (pi^(0) is uniform), so its gradient is zero "
        "and training leaves it at its initial value.",
        kind="derived proposition",
        provenance="derived",
        tests=(f"{_U}::test_gradients_finite_nonzero_and_match_finite_differences",),
        experiment="unem",
        panel="(c)",
        theory_note=_NOTE,
    ),
)
