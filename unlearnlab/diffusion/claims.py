"""Claims of the Gaussian-diffusion unlearning cores checked by the lab (``theory/diffusion_unlearn.md``)."""

from unlearnlab.lab.claims import Claim

_A = (
    "Zhang et al. 2023, To Generate or Not? Safety-driven unlearned diffusion models are still easy "
    "to generate unsafe images, arXiv:2310.11868"
)
_S = "Chen, Zhang, Zhou 2024, Score Forgetting Distillation, arXiv:2409.11219"
_TG = "tests/diffusion/test_gaussian.py::"
_TE = "tests/diffusion/test_erase.py::"
_TA = "tests/diffusion/test_attack.py::"
_TS = "tests/diffusion/test_sfd.py::"
_N = "theory/diffusion_unlearn.md"
_X = "diffusion_unlearn"

CLAIMS = (
    Claim(
        id="diffusion_unlearn.denoising_identity",
        paper=_A,
        where="code get_loss (attack objective); theory note Prop. 1",
        statement="With Gaussian concepts the attack's per-timestep denoising loss averages over the "
        "noise to d(1 - s^2/v)^2 + (s a/v)^2 ||x0 - mu0 - W'e'||^2: a weighted least squares in the "
        "prompt (exact to 1e-10; Monte Carlo within 4.5 SE).",
        kind="exact identity",
        provenance="derived",
        tests=(
            _TG + "test_denoising_loss_exact_is_noise_average",
            _TG + "test_denoising_loss_monte_carlo",
            _TA + "test_sampled_attack_loss_is_a_least_squares",
        ),
        experiment=_X,
        panel="(a)",
        theory_note=_N,
    ),
    Claim(
        id="diffusion_unlearn.negative_prompt_attack",
        paper=_A,
        where="abstract ('lack of robustness of current safety-driven unlearning'); theory note "
        "Props. 2-3",
        statement="Edits of the form W' = W B with B invertible (the ESD-style and UCE-style edits "
        "of the lab) leave the erased concept reachable: the exact attack's KL is 0 (the ESD prompt "
        "-e*/eta regenerates it), reached by Adam on the sampled loss, from a budget rho_min on.",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _TE + "test_esd_negative_prompt_regenerates_the_concept",
            _TE + "test_uce_keeps_the_range_so_the_concept_stays_reachable",
            _TA + "test_adam_reaches_the_closed_form_minimiser",
            _TA + "test_best_prompt_is_the_trust_region_solution_and_rho_min",
        ),
        experiment=_X,
        panel="(b)",
        theory_note=_N,
    ),
    Claim(
        id="diffusion_unlearn.range_removal_blocks",
        paper=_A,
        where="theory note Prop. 4",
        statement="Range removal W' = (I - uu^T)W blocks the attack at every budget: its KL is "
        "(u^T(mu* - mu0))^2/(2 sigma0^2), at the price of the collateral (u^T W e_j)^2/(2 sigma0^2) "
        "on every preserved concept.",
        kind="derived proposition",
        provenance="derived",
        tests=(_TE + "test_range_removal_blocks_with_closed_form_cost",),
        experiment=_X,
        panel="(c)",
        theory_note=_N,
    ),
    Claim(
        id="diffusion_unlearn.sfd_fixed_point",
        paper=_S,
        where="abstract ('aligning the conditional scores of unsafe classes with those of safe "
        "ones'); code sid_g_loss_conditional; theory note Prop. 6",
        statement="The population SiD/SFD loss of a linear one-step generator with the forget "
        "class's teacher redirected to the safe class has the unique zero (mu_s, sigma0^2 I) for the "
        "forget class and the teacher for the others; Adam reaches KL <= 1e-6 to it.",
        kind="derived proposition",
        provenance="derived",
        tests=(_TS + "test_sfd_converges_to_its_fixed_point",),
        experiment=_X,
        panel="(d)",
        theory_note=_N,
    ),
    Claim(
        id="diffusion_unlearn.sampler_marginal",
        paper=_A,
        where="theory note Prop. 5 (the sampler used to draw generations)",
        statement="The lax.scan DDIM sampler with the exact score matches its exact Gaussian law "
        "(Monte Carlo, false-failure rate 1.6e-4), which is within KL 0.1 of the data law at 50 steps "
        "and converges at second order in the step.",
        kind="derived proposition",
        provenance="derived",
        tests=(
            _TG + "test_sampler_matches_its_exact_law_monte_carlo",
            _TG + "test_sampler_discretisation_budget_is_second_order",
        ),
        experiment=_X,
        panel="(b)",
        theory_note=_N,
    ),
)
