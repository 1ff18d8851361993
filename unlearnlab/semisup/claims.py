"""Claims checked by the semi-supervised DRO core (experiment ``semisup_dro``)."""

from unlearnlab.lab.claims import Claim

_PAPER = "Saberi et al. 2024, ICLR, arXiv 2310.00027"
_NOTE = "theory/semisup_dro.md"
_EXP = "semisup_dro"
_T = "tests/semisup/"

CLAIMS = (
    Claim(
        id="semisup_dro.robust_loss_closed_form",
        paper=_PAPER,
        where="Section 3 robust loss phi_gamma; closed form: spec semisup-dro.md §1.6",
        statement="For a linear rule and c = ||.||^2 the Wasserstein-robust 0-1 loss is 1 if "
        "u <= 0 and (1 - gamma u^2)_+ otherwise (u = y theta_hat^T x), equal to a brute-force "
        "supremum within the grid error 2 sqrt(gamma) h + gamma h^2.",
        kind="exact identity",
        provenance="derived",
        tests=(_T + "test_closed_forms.py::test_robust_loss_closed_form",),
        experiment=_EXP,
        panel="none (JSON only)",
        theory_note=_NOTE,
    ),
    Claim(
        id="semisup_dro.erm_reproduction",
        paper=_PAPER,
        where="poster experiments table, ERM column (d = 200)",
        statement="The labeled mean estimator reproduces the paper's ERM accuracies 0.59 / 0.62 / "
        "0.65 at n_lab = 10 / 20 / 40 within 0.02, and Phi(1/sqrt(1 + d/n_lab)) within 0.015.",
        kind="reproduction",
        provenance="code",
        tests=(_T + "test_estimators.py::test_erm_reproduction",),
        experiment=_EXP,
        panel="(a1)",
        theory_note=_NOTE,
    ),
    Claim(
        id="semisup_dro.unlabeled_helps",
        paper=_PAPER,
        where="abstract; Theorem 4.2 and its corollary (cluster regime)",
        statement="With many unlabeled samples (d = 50, n_lab = 20, n_unlab = 1e4, alpha = 0) RSS "
        "at fixed hyperparameters at least halves the ERM proxy's excess risk.",
        kind="reproduction",
        provenance="paper",
        tests=(_T + "test_estimators.py::test_unlabeled_helps_cluster_regime",),
        experiment=_EXP,
        panel="(b)",
        theory_note=_NOTE,
    ),
    Claim(
        id="semisup_dro.more_unlabeled_better",
        paper=_PAPER,
        where="Theorem 4.2 (bound decreasing in n); poster table",
        statement="With common random numbers the mean RSS excess decreases from n_unlab = 0 to "
        "1e3 to 1e4 (d = 50, n_lab = 20).",
        kind="reproduction",
        provenance="paper",
        tests=(_T + "test_estimators.py::test_more_unlabeled_better",),
        experiment=_EXP,
        panel="(b)",
        theory_note=_NOTE,
    ),
    Claim(
        id="semisup_dro.not_worse_above_20d",
        paper=_PAPER,
        where="spec semisup-dro.md §4 (prototype finding), §7.5",
        statement="Untuned RSS (gamma = gamma' = 4, lambda = 1) is not worse than the ERM proxy "
        "(+0.01) at n_unlab = 20 d; below that it can be worse (reported, not asserted).",
        kind="documented behaviour",
        provenance="derived",
        tests=(_T + "test_estimators.py::test_not_worse_above_20d",),
        experiment=_EXP,
        panel="(b), (a1)",
        theory_note=_NOTE,
    ),
    Claim(
        id="semisup_dro.shift_floor",
        paper=_PAPER,
        where="spec semisup-dro.md §1.6 (population check) and §7.7",
        statement="Under a shift alpha orthogonal to mu_0 the unlabeled direction converges to "
        "mu_1, so the excess of the PCA-sign reference sits at the floor "
        "Phi(-cos phi) - Phi(-||mu_0||), cos phi = ||mu_0|| / ||mu_1|| (0.027 at alpha = 0.5).",
        kind="derived proposition",
        provenance="reconstruction",
        tests=(_T + "test_estimators.py::test_shift_floor",),
        experiment=_EXP,
        panel="(a2)",
        theory_note=_NOTE,
    ),
    Claim(
        id="semisup_dro.thm42_bound",
        paper=_PAPER,
        where="Theorem 4.2 (as printed on the poster; O(.) constant set to C = 1)",
        statement="The excess risk of RSS is below the Theorem 4.2 expression at C = 1, "
        "delta = 0.1, in >= 90% of seeds; the bound is monotone in n_unlab, n_lab, alpha, d.",
        kind="bound w.p. >= 1-delta",
        provenance="code",
        tests=(
            _T + "test_bounds.py::test_bound_sanity",
            _T + "test_bounds.py::test_bound_values",
            _T + "test_bounds.py::test_bound_monotone",
        ),
        experiment=_EXP,
        panel="(b)",
        theory_note=_NOTE,
    ),
    Claim(
        id="semisup_dro.corollary_regime",
        paper=_PAPER,
        where="corollary of Theorem 4.2 (poster, authors' README)",
        statement="RSS beats ERM in order when n_unlab >= n_lab^2/d and alpha <= d/n_lab, exactly "
        "the region where both leading terms of Theorem 4.2 are <= (d/n_lab)^{1/2}.",
        kind="invariant",
        provenance="code",
        tests=(_T + "test_bounds.py::test_corollary_regime",),
        experiment=_EXP,
        panel="(b) vertical lines",
        theory_note=_NOTE,
    ),
    Claim(
        id="semisup_dro.erm_slope",
        paper=_PAPER,
        where="spec semisup-dro.md §2.6; derived in theory/semisup_dro.md",
        statement="The mean estimator's excess risk decays like d/n_lab (log-log slope -1 +- 0.15 "
        "at d = 20), faster than the VC rate -1/2 that the paper compares against.",
        kind="rate/slope",
        provenance="derived",
        tests=(_T + "test_estimators.py::test_reference_slope",),
        experiment=_EXP,
        panel="(c)",
        theory_note=_NOTE,
    ),
    Claim(
        id="semisup_dro.rcal_contamination",
        paper="Zhang et al. 2023 (RCAL), ICCV, arXiv 2211.10955",
        where="spec panels.md §4.6; derived in theory/semisup_dro.md (RCAL section)",
        statement="Under symmetric label noise eta the observed class k holds a mislabelled fraction "
        "nu_k = (eta/(K-1)) sum_{j!=k} pi_j / [(1-eta) pi_k + (eta/(K-1)) sum_{j!=k} pi_j] (-> 1 as "
        "pi_k -> 0) and has mean sum_j w_jk mu_j; Monte Carlo agrees within 4 SE.",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _T + "test_noisy_longtail.py::test_contamination_vs_monte_carlo",
            _T + "test_noisy_longtail.py::test_nu_closed_form_and_tail_limit",
        ),
        experiment=_EXP,
        panel="(d)",
        theory_note=_NOTE,
    ),
    Claim(
        id="semisup_dro.rcal_naive_balanced",
        paper="Zhang et al. 2023 (RCAL), ICCV, arXiv 2211.10955",
        where="derived in theory/semisup_dro.md (RCAL section)",
        statement="With two balanced classes (r = 1) the naive contaminated statistics give exactly "
        "the Bayes rule (noise alone does not hurt LDA); the harm needs the long tail.",
        kind="exact identity",
        provenance="derived",
        tests=(_T + "test_noisy_longtail.py::test_naive_is_bayes_when_balanced",),
        experiment=_EXP,
        panel="(d)",
        theory_note=_NOTE,
    ),
    Claim(
        id="semisup_dro.rcal_recovery",
        paper="Zhang et al. 2023 (RCAL), ICCV, arXiv 2211.10955",
        where="abstract ('recover underlying representation distributions from polluted ones'); "
        "the trimming rule is the lab's reconstruction",
        statement="At r in {10, 100} (eta = 0.2, n = 2e4, separation 5) head-first trimmed class "
        "statistics give a balanced LDA error within 0.002 of the balanced Bayes error and a "
        "tail-class error <= 0.02, where plain LDA on the naive statistics misses most of the tail "
        "class at r = 100.",
        kind="documented behaviour",
        provenance="reconstruction",
        tests=(_T + "test_noisy_longtail.py::test_recovery_beats_naive_on_the_tail",),
        experiment=_EXP,
        panel="(d)",
        theory_note=_NOTE,
    ),
)
