"""Contract cases for ACU's float32 path (unlearnlab.unlearning.acu_stats_* / acu_refactor*)."""

import numpy as np

from tests.contract.harness import Case

_rng = np.random.default_rng(0)
_X = _rng.normal(size=(12, 4))
_Y = np.eye(3)[np.arange(12) % 3]


def _stats():
    from unlearnlab.unlearning import acu_stats_fit

    return acu_stats_fit(_X, _Y, 1.0)


CASES = [
    Case(
        "unlearnlab.unlearning.acu_stats_init",
        lambda: dict(d=4, n_classes=3, gamma=1.0),
        bad={"d": [0, -1, 2.5], "n_classes": [0, -2], "gamma": [0.0, -1.0]},
    ),
    Case(
        "unlearnlab.unlearning.acu_stats_fit",
        lambda: dict(X=_X.copy(), Y=_Y.copy(), gamma=1.0),
        bad={"Y": [_Y[:-1]], "gamma": [0.0, -1.0]},
    ),
    Case(
        "unlearnlab.unlearning.acu_stats_update",
        lambda: dict(stats=_stats(), X=_X[:3].copy(), Y=_Y[:3].copy(), forget=True),
        bad={"X": [_X[:3, :2]], "Y": [_Y[:3, :2], _Y[:2]], "forget": ["yes", 1, None]},
    ),
    Case(
        "unlearnlab.unlearning.acu_refactor",
        lambda: dict(stats=_stats()),
        bad={"stats": [(np.eye(3), np.zeros((3, 2))), None]},
    ),
]
EXEMPT = {
    "unlearnlab.unlearning.acu_refactor_checked": (
        "jitted core for use inside jit/vmap/scan: no validation by design (acu_refactor validates)"
    ),
}
