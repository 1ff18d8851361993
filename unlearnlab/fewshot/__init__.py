"""Transductive few-shot inference: generalized EM and its unrolled version UNEM.

Zhou et al. (2025), "UNEM: UNrolled generalized EM for transductive few-shot learning",
arXiv 2412.16739 (CVPR 2025). See ``theory/unem.md``.

* :mod:`~unlearnlab.fewshot.tasks`: the realistic-protocol task samplers;
* :mod:`~unlearnlab.fewshot.gem`: the GEM objective, its three exact block updates, and the run;
* :mod:`~unlearnlab.fewshot.unem`: unrolled forward pass, losses, training, grid search;
* :mod:`~unlearnlab.fewshot.dirichlet`: the Dirichlet (vision-language) branch;
* :mod:`~unlearnlab.fewshot.bounds`: reference curves (Bayes oracle, multinomial noise).
"""

from unlearnlab.fewshot.bounds import (
    bayes_oracle_accuracy,
    multinomial_l1_error,
    multinomial_l1_error_dirichlet,
)
from unlearnlab.fewshot.claims import CLAIMS
from unlearnlab.fewshot.dirichlet import (
    dirichlet_init_params,
    dirichlet_mle_mm,
    dirichlet_nll,
    unem_dirichlet_forward,
)
from unlearnlab.fewshot.gem import (
    GEMState,
    gem_e_step,
    gem_init,
    gem_layer,
    gem_m_step,
    gem_objective,
    gem_pi_step,
    gem_run,
    gem_trace,
)
from unlearnlab.fewshot.tasks import (
    Task,
    TaskSpec,
    noise_scales,
    pool_by_class,
    sample_task,
    sample_task_from_pool,
)
from unlearnlab.fewshot.unem import (
    LOSSES,
    TrainInfo,
    UNEMParams,
    UNEMTrainConfig,
    gem_accuracy,
    grid_search_gem,
    query_accuracy,
    softplus_inv,
    train_unem,
    train_unem_on_tasks,
    unem_forward,
    unem_hyper,
    unem_init_params,
    unem_loss,
    unem_trace,
)

__all__ = [
    "CLAIMS",
    "GEMState",
    "LOSSES",
    "Task",
    "TaskSpec",
    "TrainInfo",
    "UNEMParams",
    "UNEMTrainConfig",
    "bayes_oracle_accuracy",
    "dirichlet_init_params",
    "dirichlet_mle_mm",
    "dirichlet_nll",
    "gem_accuracy",
    "gem_e_step",
    "gem_init",
    "gem_layer",
    "gem_m_step",
    "gem_objective",
    "gem_pi_step",
    "gem_run",
    "gem_trace",
    "grid_search_gem",
    "multinomial_l1_error",
    "multinomial_l1_error_dirichlet",
    "noise_scales",
    "pool_by_class",
    "query_accuracy",
    "sample_task",
    "sample_task_from_pool",
    "softplus_inv",
    "train_unem",
    "train_unem_on_tasks",
    "unem_dirichlet_forward",
    "unem_forward",
    "unem_hyper",
    "unem_init_params",
    "unem_loss",
    "unem_trace",
]
