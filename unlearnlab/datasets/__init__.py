"""Datasets: the real data the lab's experiments, benchmarks and tests run on.

The library's only I/O. Each loader returns NumPy arrays with documented shapes and says where the
data come from and under which licence:

* real classifier outputs for calibration (:mod:`unlearnlab.datasets.calibration`): softmax
  predictions of WRN-16-4 and LeNet-5 on CIFAR-10 / CIFAR-100 test sets, netcal's records, shipped in
  ``unlearnlab/datasets/data/calibration/`` under the Apache License 2.0 (licence file beside them),
  and an over-confident MLP trained on scikit-learn's digits;
* scikit-learn's bundled 8x8 digits (:mod:`unlearnlab.datasets.digits`): standardised pixels and
  penultimate features of a small flax network pooled by class (few-shot tasks). scikit-learn is an
  optional dependency (``pip install 'unlearnlab[test]'``); nothing is downloaded.

Bad arguments raise ``ValueError`` naming the argument (:mod:`unlearnlab.lab.checks`).
"""

from unlearnlab.datasets.calibration import (
    CALIBRATION_SETS,
    digits_mlp_logits,
    load_predictions,
    probs_to_logits,
    random_split,
)
from unlearnlab.datasets.digits import (
    BASE_CLASSES,
    NOVEL_CLASSES,
    digits_feature_pools,
    load_digits_standardised,
)

__all__ = [
    "CALIBRATION_SETS",
    "load_predictions",
    "probs_to_logits",
    "random_split",
    "digits_mlp_logits",
    "load_digits_standardised",
    "digits_feature_pools",
    "BASE_CLASSES",
    "NOVEL_CLASSES",
]
