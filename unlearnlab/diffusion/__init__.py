"""Generative unlearning on Gaussian diffusion: erasure edits, the UnlearnDiffAtk attack, and SFD.

Cores (``theory/diffusion_unlearn.md``):

* ``gaussian.py``: variance-preserving diffusion of Gaussian data with exact scores, the exact
  per-timestep denoising loss, and a DDIM sampler (``lax.scan``) with its exact output law;
* ``erase.py``: ESD-style, UCE-style and range-removal edits of the linear text-conditioning map;
* ``attack.py``: UnlearnDiffAtk (Zhang et al., arXiv:2310.11868) as prompt optimisation with optax
  against the denoising loss, its closed-form minimiser and the exact concept KL within a budget;
* ``sfd.py``: Score Forgetting Distillation (Chen, Zhang, Zhou, arXiv:2409.11219) of a linear
  one-step generator from exact teacher scores with the forget class redirected, and its fixed point.
"""

from unlearnlab.diffusion.attack import (
    AttackInfo,
    AttackState,
    attack_init,
    attack_kl,
    attack_loss,
    attack_loss_exact,
    attack_lstsq,
    attack_step,
    best_prompt,
    concept_kl,
    rho_min,
    unlearn_diff_atk,
)
from unlearnlab.diffusion.claims import CLAIMS
from unlearnlab.diffusion.erase import (
    collateral_kl,
    erase_esd,
    erase_range,
    erase_uce,
    range_removal_cost,
)
from unlearnlab.diffusion.gaussian import (
    concept_eps,
    ddim_law,
    ddim_sample,
    denoising_loss,
    denoising_loss_exact,
    exact_eps,
    exact_score,
    gaussian_fit_kl,
    gaussian_kl,
    marginal,
    vp_schedule,
)
from unlearnlab.diffusion.sfd import (
    SFDInfo,
    SFDState,
    concept_means,
    gaussian_fisher,
    sfd_distill,
    sfd_fixed_point,
    sfd_init,
    sfd_loss,
    sfd_step,
    sfd_targets,
)

__all__ = [
    "CLAIMS",
    # gaussian
    "vp_schedule",
    "marginal",
    "exact_score",
    "exact_eps",
    "concept_eps",
    "denoising_loss",
    "denoising_loss_exact",
    "ddim_sample",
    "ddim_law",
    "gaussian_kl",
    "gaussian_fit_kl",
    # erase
    "erase_esd",
    "erase_uce",
    "erase_range",
    "collateral_kl",
    "range_removal_cost",
    # attack
    "AttackState",
    "AttackInfo",
    "attack_loss",
    "attack_loss_exact",
    "attack_lstsq",
    "attack_init",
    "attack_step",
    "unlearn_diff_atk",
    "best_prompt",
    "concept_kl",
    "attack_kl",
    "rho_min",
    # sfd
    "SFDState",
    "SFDInfo",
    "concept_means",
    "gaussian_fisher",
    "sfd_targets",
    "sfd_loss",
    "sfd_init",
    "sfd_step",
    "sfd_distill",
    "sfd_fixed_point",
]
