"""Machine unlearning: closed-form analytic continual unlearning (ACU) and the audit tools.

ACU (arXiv 2505.12239) keeps a ridge classifier on frozen (buffer) features and its regularised
autocorrelation inverse ``R``; learning and unlearning are Woodbury updates, and the weights equal
ridge regression retrained from scratch on the retained rows (``theory/acu.md``).
"""

from unlearnlab.unlearning.acu import (
    ACUState,
    acu_fit,
    acu_init,
    acu_learn,
    acu_predict,
    acu_request_flops,
    acu_unlearn,
    acu_unlearn_checked,
    retrain_flops,
    ridge_retrain,
)
from unlearnlab.unlearning.baselines import gradient_ascent_unlearn
from unlearnlab.unlearning.buffer import buffer_features, buffer_init
from unlearnlab.unlearning.claims import CLAIMS
from unlearnlab.unlearning.metrics import accuracy, loss_threshold_mia

__all__ = [
    "ACUState",
    "acu_fit",
    "acu_init",
    "acu_learn",
    "acu_predict",
    "acu_request_flops",
    "acu_unlearn",
    "acu_unlearn_checked",
    "retrain_flops",
    "ridge_retrain",
    "gradient_ascent_unlearn",
    "buffer_features",
    "buffer_init",
    "accuracy",
    "loss_threshold_mia",
    "CLAIMS",
]
