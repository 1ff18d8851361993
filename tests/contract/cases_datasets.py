"""Contract cases for :mod:`unlearnlab.datasets` (one valid call per loader)."""

import numpy as np

from tests.contract.harness import Case, exempt_non_functions

_P = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0.5, 0.25, 0.25]])

CASES = [
    Case(
        "unlearnlab.datasets.load_predictions",
        lambda: dict(name="lenet5-cifar10"),
        bad={"name": ["cifar10", "", None]},
    ),
    Case(
        "unlearnlab.datasets.probs_to_logits",
        lambda: dict(probs=_P.copy()),
        bad={"probs": [np.float64(0.5), -_P, 2 * _P]},
        ok={"probs": ("rank",)},  # any leading batch axes are valid
    ),
    Case(
        "unlearnlab.datasets.random_split",
        lambda: dict(x=_P.copy(), labels=np.array([0, 2, 1, 0]), seed=0, frac=0.5),
        bad={
            "labels": [np.array([0, 1, 2]), np.zeros((4, 1), int)],
            "seed": [-1, 1.5],
            "frac": [0.0, 1.0, 0.05, 0.95, float("nan")],
        },
        ok={"x": ("rank",), "labels": ("oob", "neg")},  # labels are carried along, any values
    ),
    Case(
        "unlearnlab.datasets.digits_mlp_logits",
        lambda: dict(seed=0, steps_past=0, max_steps=50, lr=1e-3, label_noise=0.1),
        bad={
            "seed": [-1],
            "steps_past": [-1],
            "max_steps": [0, 49],
            "lr": [0.0, -1e-3],
            "label_noise": [-0.1, 1.5],
        },
    ),
    Case(
        "unlearnlab.datasets.load_digits_standardised",
        lambda: dict(test_fraction=0.25, seed=0),
        bad={"test_fraction": [0.0, 1.0, -0.5, 1e-6], "seed": [-1, 0.5]},
    ),
    Case(
        "unlearnlab.datasets.digits_feature_pools",
        lambda: dict(seed=0, steps=2, lr=1e-2, hidden=8, feat_dim=4, normalize=True),
        bad={
            "seed": [-1],
            "steps": [0, -3],
            "lr": [0.0],
            "hidden": [0],
            "feat_dim": [0, 2.5],
            "normalize": ["yes", 1],
        },
    ),
]
EXEMPT = exempt_non_functions("unlearnlab.datasets")
