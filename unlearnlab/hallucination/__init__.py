"""Calibrated language models must hallucinate: the Good-Turing (monofact) bound, simulated exactly.

Kalai & Vempala (arXiv 2311.14648, STOC 2024) show that a calibrated model of "arbitrary" facts
hallucinates at a rate of about the monofact rate ``N_1/n`` (the share of training documents whose
fact appears exactly once), minus its miscalibration. This package builds worlds with exchangeable
facts, the closed-form Good-Turing and MLE models and their mixtures, and computes the hallucination
rate, the missing mass and the miscalibration exactly, without materialising the (possibly 1e9)
possible hallucinations (``theory/hallucination_monofact.md``).
"""

from unlearnlab.hallucination.bounds import (
    hallucination_floor_level_sets,
    hallucination_lower_bound,
    missing_mass_deviation,
    sparsity,
)
from unlearnlab.hallucination.claims import CLAIMS
from unlearnlab.hallucination.good_turing import (
    count_of_counts,
    good_turing_bias,
    good_turing_mass_by_count,
    missing_mass,
    monofact_rate,
)
from unlearnlab.hallucination.lm import (
    FactLM,
    good_turing_lm,
    hallucination_rate,
    mixture_lm,
    mle_lm,
)
from unlearnlab.hallucination.miscalibration import miscalibration
from unlearnlab.hallucination.simulate import simulate, simulate_upweighting, simulate_world
from unlearnlab.hallucination.world import (
    sample_fact_distribution,
    sample_training_counts,
    upweight_counts,
)

__all__ = [
    "monofact_rate",
    "missing_mass",
    "count_of_counts",
    "good_turing_mass_by_count",
    "good_turing_bias",
    "sample_fact_distribution",
    "sample_training_counts",
    "upweight_counts",
    "FactLM",
    "good_turing_lm",
    "mle_lm",
    "mixture_lm",
    "hallucination_rate",
    "miscalibration",
    "hallucination_lower_bound",
    "missing_mass_deviation",
    "sparsity",
    "hallucination_floor_level_sets",
    "simulate_world",
    "simulate",
    "simulate_upweighting",
    "CLAIMS",
]
