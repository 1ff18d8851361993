import jax
import jax.numpy as jnp
import numpy as np
import optax

from tests.contract.harness import Case, exempt_non_functions

CASES = [
    Case("unlearnlab.lab.all_claims", lambda: dict()),
    Case(
        "unlearnlab.lab.claim_result",
        lambda: dict(measured=0.5, theory=0.4, verdict="pass", detail=""),
        bad={"verdict": ["maybe"]},
        ok={"measured": ("nan", "inf"), "theory": ("nan", "inf")},  # a record, not math
    ),
    Case(
        "unlearnlab.lab.seed_keys",
        lambda: dict(key=jax.random.PRNGKey(0), n_seeds=3),
        bad={"n_seeds": [0, -1]},
    ),
    Case(
        "unlearnlab.lab.run_seeds",
        lambda: dict(fn=lambda k: jax.random.normal(k), key=jax.random.PRNGKey(0), n_seeds=2),
        bad={"n_seeds": [0, -1]},
    ),
    Case(
        "unlearnlab.lab.run_grid",
        lambda: dict(
            fn=lambda k, g: g * jax.random.normal(k),
            key=jax.random.PRNGKey(0),
            grid=jnp.array([1.0, 2.0]),
            n_seeds=2,
        ),
        bad={"n_seeds": [0, -1]},
        ok={"grid": ("nan", "inf", "rank")},
    ),
]
CASES.append(
    Case(
        "unlearnlab.lab.scan_minimize",
        lambda: dict(
            loss=lambda w: jnp.sum((w - 1.0) ** 2), params=np.zeros(3), tx=optax.sgd(0.1), steps=3
        ),
        bad={"steps": [-1, 2.5], "tx": ["adam"], "loss": [None]},
        ok={"params": ("rank", "empty")},  # any pytree of arrays (a scalar, an empty leaf) works
    )
)
EXEMPT = exempt_non_functions("unlearnlab.lab")
