"""RL with offline data: FTPedel on linear MDPs (Wagenmaker and Pacchiano, arXiv 2211.04974).

FineTuneRL: a learner with an offline dataset may also run online episodes and must return an
eps-optimal policy of a finite class with probability >= 1 - delta, certifying it from data. The lab
implements linear MDPs with finitely many states (tabular ones embed with one-hot features), exact
feature visitations, the offline-to-online complexity with certified experiment-design brackets, an
H = 1 lower bound with offline data, and FTPedel (Pedel with offline data) with the known-dynamics
("oracle") design (``theory/ftpedel.md``).
"""

from unlearnlab.rl.bounds import (
    ComplexityResult,
    bandit_lower_bound,
    ftpedel_upper_bound,
    gaps,
    o2o_coefficient,
    o2o_complexity,
    policy_visitations,
)
from unlearnlab.rl.claims import CLAIMS
from unlearnlab.rl.design import DesignResult, design_value, min_online_budget, solve_design
from unlearnlab.rl.ftpedel import (
    FTPedelConsts,
    FTPedelInfo,
    FTPedelResult,
    FTPedelState,
    ftpedel_init,
    ftpedel_run,
    ftpedel_step,
    lcb_policy,
    n_epochs,
    pedel_run,
)
from unlearnlab.rl.linear_mdp import (
    LinearMDP,
    OfflineData,
    behavior_counts,
    covariate_cov,
    empty_offline,
    enumerate_policies,
    make_offline_data,
    mean_reward,
    offline_cov,
    random_small_tabular,
    rare_context,
    rare_context_offline_counts,
    sample_step_data,
    separation_bandit,
    soft_aggregation_mdp,
    transition,
)
from unlearnlab.rl.visitation import (
    estimate_visitations,
    occupancy,
    transfer_operator,
    values,
    values_dp,
    visitation,
)

__all__ = [
    "LinearMDP",
    "OfflineData",
    "transition",
    "mean_reward",
    "enumerate_policies",
    "empty_offline",
    "make_offline_data",
    "behavior_counts",
    "offline_cov",
    "covariate_cov",
    "sample_step_data",
    "rare_context",
    "rare_context_offline_counts",
    "separation_bandit",
    "random_small_tabular",
    "soft_aggregation_mdp",
    "occupancy",
    "visitation",
    "values",
    "values_dp",
    "transfer_operator",
    "estimate_visitations",
    "DesignResult",
    "design_value",
    "solve_design",
    "min_online_budget",
    "ComplexityResult",
    "gaps",
    "policy_visitations",
    "o2o_complexity",
    "o2o_coefficient",
    "bandit_lower_bound",
    "ftpedel_upper_bound",
    "FTPedelConsts",
    "FTPedelState",
    "FTPedelInfo",
    "FTPedelResult",
    "ftpedel_init",
    "ftpedel_step",
    "ftpedel_run",
    "pedel_run",
    "lcb_policy",
    "n_epochs",
    "CLAIMS",
]
