"""Contract cases for functions moved from experiment modules into their family (issue 24)."""

import numpy as np

from tests.contract.harness import Case


def _mdp():
    from unlearnlab.rl import rare_context

    return rare_context(0.1)


CASES = [
    Case(
        "unlearnlab.rl.covariate_cov",
        lambda: dict(mdp=_mdp(), n_sa=np.full((1, 2, 2), 3.0)),
        bad={"n_sa": [-np.ones((1, 2, 2)), np.ones((2, 2, 2)), np.ones((1, 2))]},
    ),
]
EXEMPT: dict = {}

_P = np.array([[0.7, 0.3, 0.0], [0.1, 0.1, 0.8], [0.0, 0.5, 0.5]])
CASES.append(
    Case(
        "unlearnlab.calibration.nll_probs",
        lambda: dict(probs=_P.copy(), labels=np.array([0, 2, 0]), floor=1e-12),
        bad={"floor": [0.0, 1.0, -1e-3], "probs": [-_P, 2 * _P], "labels": [np.array([0, 1])]},
    )
)
