"""Claims of the imperfect-verifier cores checked by the lab (``theory/noisy_verifier_pg.md``,
``theory/resampling_flaws.md``)."""

from unlearnlab.lab.claims import Claim

_B = "Cai et al. 2025, RL with verifiable yet noisy rewards, arXiv:2510.00915"
_C = "Stroebl, Kapoor, Narayanan 2024, Inference scaling fLaws, arXiv:2411.17501"
_TC = "tests/verifiers/test_channel.py::"
_TP = "tests/verifiers/test_policy_gradient.py::"
_TR = "tests/verifiers/test_resampling.py::"
_NB = "theory/noisy_verifier_pg.md"
_NR = "theory/resampling_flaws.md"

CLAIMS = (
    Claim(
        id="noisy_verifier_pg.backward_unbiased",
        paper=_B,
        where="abstract (backward correction); theory note Prop. 1",
        statement="REINFORCE with the backward-corrected reward (R~ - rho0)/(1 - rho0 - rho1) is an "
        "unbiased estimator of the clean policy gradient (per coordinate within 5 SE of grad J).",
        kind="derived proposition",
        provenance="secondary",
        tests=(
            _TP + "test_backward_unbiased",
            _TC + "test_backward_and_forward_conditional_means_exact",
            _TP + "test_expected_updates_closed_forms",
        ),
        experiment="noisy_verifier_pg",
        panel="(c)",
        theory_note=_NB,
    ),
    Claim(
        id="noisy_verifier_pg.naive_scaled",
        paper=_B,
        where="theory note Prop. 3 (caveat 1)",
        statement="Uncorrected REINFORCE on R~ has expectation (1 - rho0 - rho1) grad J under "
        "homogeneous rates: biased in magnitude, not in direction.",
        kind="derived proposition",
        provenance="derived",
        tests=(_TP + "test_naive_biased_in_magnitude", _TP + "test_expected_updates_closed_forms"),
        experiment="noisy_verifier_pg",
        panel="(c)",
        theory_note=_NB,
    ),
    Claim(
        id="noisy_verifier_pg.forward_aligned",
        paper=_B,
        where="abstract (forward correction); theory note Prop. 2",
        statement="Score terms weighted by w = R~ - (1 - rho1) have expectation (1 - rho0 - rho1) grad J "
        "(aligned with the clean gradient, cosine > 0.999), using only rho1.",
        kind="derived proposition",
        provenance="secondary",
        tests=(
            _TP + "test_forward_aligned",
            _TC + "test_backward_and_forward_conditional_means_exact",
        ),
        experiment="noisy_verifier_pg",
        panel="(c)",
        theory_note=_NB,
    ),
    Claim(
        id="noisy_verifier_pg.variance",
        paper=_B,
        where="abstract (PGFC more stable under heavy noise); theory note Prop. 3",
        statement="The single-rollout estimator variance matches the closed form; PGBC's grows like "
        "(1 - rho0 - rho1)^-2 while PGFC's stays bounded (|w| <= 1), so PGBC > PGFC once "
        "rho0 + rho1 >= 0.3 (at low noise PGFC's constant shift makes it the noisier one).",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _TP + "test_mc_variance_ordering_matches_closed_form",
            _TC + "test_variance_ordering",
            _TP + "test_expected_update_and_variance_match_enumeration",
        ),
        experiment="noisy_verifier_pg",
        panel="(c)",
        theory_note=_NB,
    ),
    Claim(
        id="noisy_verifier_pg.grpo_invariance",
        paper=_B,
        where="abstract (hooks in a GRPO pipeline); theory note Prop. 5 (caveat 3)",
        statement="Both corrections are positive-slope affine maps of R~, so GRPO group normalisation "
        "of the corrected reward equals that of R~ (to eps): a correction must act after it.",
        kind="invariant",
        provenance="derived",
        tests=(_TC + "test_grpo_invariance_canary",),
        experiment="noisy_verifier_pg",
        panel="(a)",
        theory_note=_NB,
    ),
    Claim(
        id="noisy_verifier_pg.homogeneous_rate",
        paper=_B,
        where="abstract (both corrections improve on uncorrected training); theory note Sec. 4",
        statement="With the same rates for every prompt all methods reach the clean optimum; the "
        "corrections change the rate (naive and PGFC ascend (1 - rho0 - rho1) J).",
        kind="derived proposition",
        provenance="derived",
        tests=(_TP + "test_rate_homogeneous_noise",),
        experiment="noisy_verifier_pg",
        panel="(a)",
        theory_note=_NB,
    ),
    Claim(
        id="noisy_verifier_pg.fate",
        paper=_B,
        where="theory note Prop. 4 (caveat 2)",
        statement="With FN rates that differ across prompt types sharing parameters, PGBC reaches the "
        "clean optimum a* while naive REINFORCE (and PGFC as reconstructed) converge to b*.",
        kind="derived proposition",
        provenance="derived",
        tests=(_TP + "test_fate_heterogeneous_noise", _TP + "test_fate_heterogeneous_noise_exact"),
        experiment="noisy_verifier_pg",
        panel="(e)",
        theory_note=_NB,
    ),
    Claim(
        id="noisy_verifier_pg.appeal",
        paper=_B,
        where="abstract (appeals estimate the FN rate online); theory note Sec. 5",
        statement="With perfect appeals and rho0 = 0, rho1_hat = N_{0->1}/(N_1 + N_{0->1}) is a "
        "consistent estimate of rho1 (online EMA converges to the true rate).",
        kind="derived proposition",
        provenance="reconstruction",
        tests=(_TC + "test_appeal_estimator", _TC + "test_appeal_overturn_inversion_exact"),
        experiment="noisy_verifier_pg",
        panel="(d)",
        theory_note=_NB,
    ),
    Claim(
        id="resampling_flaws.k_star",
        paper=_C,
        where="Fig. 1b; authors' model notebook; theory note Prop. 3",
        statement="With the notebook parameters r = (0.87, 0.13), prior (0.58, 0.42), c = 1, s = 0.75 "
        "the optimal number of attempts is K* = 3, 2, 1 for C = 0.7, 1, 2 (grid = closed form).",
        kind="derived proposition",
        provenance="code",
        tests=(
            _TR + "test_optimal_k_notebook_regression",
            _TR + "test_optimal_k_grid_equals_closed_form",
        ),
        experiment="resampling_flaws",
        panel="(b)",
        theory_note=_NR,
    ),
    Claim(
        id="resampling_flaws.mc_utility",
        paper=_C,
        where="theory note Prop. 2",
        statement="Monte Carlo first-accept resampling matches the exact U(K) and Acc(K) within 4 SE.",
        kind="exact identity",
        provenance="derived",
        tests=(_TR + "test_mc_matches_closed_form",),
        experiment="resampling_flaws",
        panel="(b)",
        theory_note=_NR,
    ),
    Claim(
        id="resampling_flaws.ceiling",
        paper=_C,
        where="abstract, Fig. 1a; theory note Prop. 1",
        statement="Acc(K) is non-decreasing and converges to r c / (r c + (1 - r)(1 - s)) < 1 for any "
        "s < 1: no budget of resamples passes the ceiling.",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _TR + "test_plateau",
            _TR + "test_ceiling_properties",
            _TR + "test_accuracy_closed_form_and_ceiling_values",
        ),
        experiment="resampling_flaws",
        panel="(c)",
        theory_note=_NR,
    ),
    Claim(
        id="resampling_flaws.weak_cannot_match",
        paper=_C,
        where="abstract, Fig. 1a (synthetic reproduction)",
        statement="With a verifier of soundness 0.75, models whose infinite-resampling ceiling lies "
        "below the strongest model's single-sample accuracy cannot match it at any budget.",
        kind="reproduction",
        provenance="paper",
        tests=(_TR + "test_ceiling_properties",),
        experiment="resampling_flaws",
        panel="(a)",
        theory_note=_NR,
    ),
)

# --------------------------------------------------------------------------- OPRL on a tree MDP
_O = "Liu et al. 2025, Online process reward learning for agentic RL, arXiv:2509.19199"
_TO = "tests/verifiers/test_process_reward.py::"
_NO = "theory/oprl_tree.md"

CLAIMS = CLAIMS + (
    Claim(
        id="oprl_tree.shaping_identity",
        paper=_O,
        where="abstract ('act as potential-based shaping rewards'); theory note P2",
        statement="At the DPO optimum the step rewards are r(s_t, a_t) = R 1[t = H-1] + Phi(s_{t+1}) "
        "- Phi(s_t) with Phi = the soft value V (0 at leaves); for any PRM phi they shape the sparse "
        "reward h_phi with Phi_phi = soft value of h_phi (1e-10).",
        kind="exact identity",
        provenance="derived",
        tests=(_TO + "test_p2_shaping_identity", _TO + "test_any_phi_is_shaping"),
        experiment="oprl_tree",
        panel="(a)",
        theory_note=_NO,
    ),
    Claim(
        id="oprl_tree.population_optimum",
        paper=_O,
        where="abstract ('consistent with trajectory preferences'); theory note P1, P3",
        statement="The population trajectory-DPO loss is minimised exactly by pi* (h* = R - V(root), "
        "sigma(h*1 - h*2) = P12), and Adam from pi_old reaches it (max |h - h*| <= 1e-6).",
        kind="derived proposition",
        provenance="derived",
        tests=(_TO + "test_p1_population_optimum", _TO + "test_p3_consistency"),
        experiment="oprl_tree",
        panel="(a)",
        theory_note=_NO,
    ),
    Claim(
        id="oprl_tree.bounded",
        paper=_O,
        where="abstract ('bounded gradients'); theory note P4",
        statement="|r*(s, a)| <= max R - min R and 0 <= V(s) - E_old[R | s] <= (max R - min R)^2/(8 beta).",
        kind="derived proposition",
        provenance="derived",
        tests=(_TO + "test_p4_bounds",),
        experiment="oprl_tree",
        panel="(c)",
        theory_note=_NO,
    ),
    Claim(
        id="oprl_tree.pg_unbiased",
        paper=_O,
        where="theory note P5, P6 (P6's combination rule is a reconstruction)",
        statement="REINFORCE with the shaped returns-to-go R - V(s_t) is exactly unbiased for grad E R; "
        "with the leave-one-out outcome advantage OPRL's combination has mean (1 + alpha/kappa) grad E r_o "
        "(exact and Monte Carlo, 4.5 SE).",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _TO + "test_p5_unbiased_exact",
            _TO + "test_p5_unbiased_mc",
            _TO + "test_p6_scaling",
        ),
        experiment="oprl_tree",
        panel="(c)",
        theory_note=_NO,
    ),
    Claim(
        id="oprl_tree.pairs_rate",
        paper=_O,
        where="theory note Sec. 4 (parametric rate of the sampled DPO fit)",
        statement="The PRM fitted on N sampled preference pairs has ||h_N - h*||_inf decaying with a "
        "fitted log-log slope in [-0.75, -0.25] over N = 1e3..1e5 (parametric rate -1/2).",
        kind="rate/slope",
        provenance="derived",
        tests=(_TO + "test_sampled_pairs_rate",),
        experiment="oprl_tree",
        panel="(b)",
        theory_note=_NO,
    ),
    Claim(
        id="oprl_tree.combination",
        paper=_O,
        where="abstract (OPRL's step + episode advantages improve on outcome-only RL)",
        statement="On the tree MDP, outcome-only (GRPO), step-only and OPRL (alpha = 1) policy "
        "iteration all raise J; their exact J after 200 iterations is reported, not ranked.",
        kind="reproduction",
        provenance="reconstruction",
        tests=(_TO + "test_oprl_train_improves", _TO + "test_oprl_step_consistent"),
        experiment="oprl_tree",
        panel="(d)",
        theory_note=_NO,
    ),
)
