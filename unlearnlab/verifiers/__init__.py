"""Imperfect verifiers: noisy-reward policy-gradient corrections, and the limits of resampling.

Three cores (``theory/noisy_verifier_pg.md``, ``theory/resampling_flaws.md``, ``theory/oprl_tree.md``):

* RL with verifiable yet noisy rewards (Cai et al., arXiv:2510.00915): the class-conditional reward
  channel ``(rho0, rho1)``, the backward (PGBC) and forward (PGFC) corrections, appeals-based
  estimation of the false-negative rate, and REINFORCE on a contextual softmax bandit.
* Resampling with imperfect verifiers (Stroebl, Kapoor, Narayanan, arXiv:2411.17501): the accuracy
  ceiling of first-accept resampling, the expected utility with costly false positives, and the
  optimal number of attempts.
* Online process reward learning (Liu et al., arXiv:2509.19199) on an exactly solvable tree MDP:
  implicit step rewards from trajectory DPO, potential-based shaping, and OPRL's combined advantages
  (``theory/oprl_tree.md``).
"""

from unlearnlab.verifiers.bounds import (
    MODES,
    backward_reward_variance,
    expected_weight,
    expected_weight_sq,
    weight_second_moments,
    youden_j,
)
from unlearnlab.verifiers.channel import (
    appeal_fn_estimate,
    appeal_overturn_prob,
    backward_corrected_reward,
    check_rates,
    forward_weights,
    noisy_verifier,
    rho1_from_overturn,
)
from unlearnlab.verifiers.claims import CLAIMS
from unlearnlab.verifiers.policy_gradient import (
    BASELINES,
    BanditEnv,
    PGConfig,
    PGInfo,
    PGState,
    check_env,
    clean_value,
    estimator_variance,
    exact_clean_grad,
    expected_update,
    grpo_advantages,
    make_env,
    pg_estimate,
    pg_init,
    pg_step,
    score,
    softmax_bandit_logp,
    train,
    train_modes,
)
from unlearnlab.verifiers.process_reward import (
    MAX_LEAVES,
    OPRLConfig,
    OPRLInfo,
    OPRLState,
    TreeIndex,
    count_outcome,
    dpo_population_loss,
    dpo_sampled_loss,
    expected_return,
    fit_prm,
    implicit_reward,
    node_values,
    oprl_gradient,
    oprl_init,
    oprl_step,
    oprl_train,
    optimal_prm_logits,
    pg_mc_moments,
    pg_moments,
    returns_to_go,
    sample_preference_pairs,
    sample_trajectories,
    soft_values,
    step_rewards,
    traj_logprob,
    tree_index,
)
from unlearnlab.verifiers.resampling import (
    accuracy_at_k,
    accuracy_ceiling,
    empirical_ceiling,
    expected_utility,
    mc_outcomes,
    optimal_k,
    optimal_k_two_type,
    reject_prob,
    simulate_resampling,
    utility_increment,
)

__all__ = [
    "CLAIMS",
    "MODES",
    "BASELINES",
    # channel
    "noisy_verifier",
    "backward_corrected_reward",
    "forward_weights",
    "check_rates",
    "appeal_fn_estimate",
    "appeal_overturn_prob",
    "rho1_from_overturn",
    # bounds
    "youden_j",
    "backward_reward_variance",
    "expected_weight",
    "expected_weight_sq",
    "weight_second_moments",
    # policy gradient
    "BanditEnv",
    "PGConfig",
    "PGState",
    "PGInfo",
    "make_env",
    "check_env",
    "softmax_bandit_logp",
    "score",
    "clean_value",
    "exact_clean_grad",
    "expected_update",
    "estimator_variance",
    "grpo_advantages",
    "pg_estimate",
    "pg_init",
    "pg_step",
    "train",
    "train_modes",
    # process rewards (OPRL on a tree MDP)
    "MAX_LEAVES",
    "TreeIndex",
    "OPRLConfig",
    "OPRLState",
    "OPRLInfo",
    "tree_index",
    "count_outcome",
    "traj_logprob",
    "sample_trajectories",
    "expected_return",
    "node_values",
    "soft_values",
    "optimal_prm_logits",
    "step_rewards",
    "implicit_reward",
    "returns_to_go",
    "dpo_population_loss",
    "sample_preference_pairs",
    "dpo_sampled_loss",
    "fit_prm",
    "pg_moments",
    "pg_mc_moments",
    "oprl_gradient",
    "oprl_init",
    "oprl_step",
    "oprl_train",
    # resampling
    "reject_prob",
    "accuracy_at_k",
    "accuracy_ceiling",
    "expected_utility",
    "utility_increment",
    "optimal_k",
    "optimal_k_two_type",
    "simulate_resampling",
    "mc_outcomes",
    "empirical_ceiling",
]
