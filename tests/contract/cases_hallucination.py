import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.hallucination."
K = jax.random.PRNGKey(0)
COUNTS = np.array([3, 1, 1, 0, 2, 0, 1, 0])
PDIST = np.full(8, 1 / 8)


def _lm(kind):
    from unlearnlab.hallucination import good_turing_lm, mle_lm

    return good_turing_lm(COUNTS, c_smooth=2) if kind == "gt" else mle_lm(COUNTS)


def _misc():
    lm = _lm("gt")
    return dict(
        g_obs=lm.g_obs,
        g_unseen_total=lm.g_unseen_total,
        p=PDIST,
        counts=COUNTS,
        n_hallucinations=16,
        partition="level_sets",
        b=None,
        eps=None,
    )


OKC = {"counts": ("oob",)}  # a count of 10**6 is a valid count, not an index

CASES = [
    Case(
        P + "monofact_rate",
        lambda: dict(counts=COUNTS),
        bad={"counts": [np.array([-1, 2]), np.zeros(3, int)]},
        ok=OKC,
    ),
    Case(
        P + "missing_mass",
        lambda: dict(counts=COUNTS, p=PDIST),
        bad={"p": [np.full(8, 0.5)]},
        ok=OKC,
    ),
    Case(P + "count_of_counts", lambda: dict(counts=COUNTS, c_max=3), bad={"c_max": [-1]}, ok=OKC),
    Case(
        P + "good_turing_mass_by_count",
        lambda: dict(counts=COUNTS, c_max=3),
        bad={"c_max": [-1]},
        ok=OKC,
    ),
    Case(P + "good_turing_bias", lambda: dict(p=PDIST, n=10), bad={"n": [0, -1]}),
    Case(
        P + "sample_fact_distribution",
        lambda: dict(key=K, m=8, kind="zipf", alpha=1.0, d=0.0, permute=True),
        bad={"m": [0, -1], "kind": ["x"], "alpha": [-1.0]},
    ),
    Case(P + "sample_training_counts", lambda: dict(key=K, p=PDIST, n=10), bad={"n": [0, -1]}),
    Case(
        P + "upweight_counts",
        lambda: dict(counts=COUNTS, frac=0.5, copies=1),
        bad={"frac": [-0.1, 1.5], "copies": [-1]},
        ok=OKC,
    ),
    Case(
        P + "good_turing_lm",
        lambda: dict(counts=COUNTS, c_smooth=2),
        bad={"c_smooth": [-1]},
        ok=OKC,
    ),
    Case(P + "mle_lm", lambda: dict(counts=COUNTS), ok=OKC),
    Case(
        P + "mixture_lm",
        lambda: dict(g_gt=_lm("gt"), g_mle=_lm("mle"), lam=0.5),
        bad={"lam": [-0.1, 1.5]},
    ),
    Case(
        P + "hallucination_rate",
        lambda: dict(g_unseen_total=0.3, n_unobs_facts=3, n_hallucinations=16),
        bad={"g_unseen_total": [-0.1, 1.5], "n_unobs_facts": [-1], "n_hallucinations": [0, -1]},
    ),
    Case(
        P + "miscalibration", _misc, bad={"partition": ["x"], "n_hallucinations": [0, -1]}, ok=OKC
    ),
    Case(
        P + "hallucination_lower_bound",
        lambda: dict(mf=0.3, miscal=0.1, s=2.0, n=100, delta=0.1),
        bad={"n": [0, -1], "delta": [0.0, 1.5], "s": [-1.0]},
    ),
    Case(
        P + "missing_mass_deviation",
        lambda: dict(n=100, delta=0.1),
        bad={"n": [0, -1], "delta": [0.0, 1.5, -0.1]},
    ),
    Case(
        P + "sparsity",
        lambda: dict(n_hallucinations=16, m=8),
        bad={"n_hallucinations": [0, -1], "m": [0, -1]},
    ),
    Case(
        P + "hallucination_floor_level_sets",
        lambda: dict(mm=0.3, miscal=0.1, rho=0.5),
        bad={"mm": [-0.1, 1.5], "miscal": [-0.1], "rho": [-0.1]},
    ),
    Case(
        P + "simulate_world",
        lambda: dict(key=K, m=16, n=20, alpha=1.0, h_over_f=1.0, lam=0.5, delta=0.1),
        bad={
            "m": [0, -1],
            "n": [0, -1],
            "h_over_f": [0.0, -1.0],
            "lam": [-0.1, 1.5],
            "delta": [0.0, 1.5],
        },
    ),
    Case(
        P + "simulate",
        lambda: dict(
            key=K,
            m=16,
            n=20,
            alphas=np.array([1.0]),
            h_over_f=1.0,
            lams=np.array([0.5]),
            delta=0.1,
            n_seeds=2,
        ),
        bad={"n_seeds": [0, -1], "m": [0, -1], "delta": [0.0, 1.5]},
        ok={"alphas": ("rank",), "lams": ("rank",)},
    ),
    Case(
        P + "simulate_upweighting",
        lambda: dict(
            key=K, m=16, n=20, alpha=1.0, h_over_f=1.0, fracs=np.array([0.5]), delta=0.1, n_seeds=2
        ),
        bad={"n_seeds": [0, -1], "m": [0, -1]},
        ok={"fracs": ("rank",)},
    ),
]
EXEMPT = exempt_non_functions("unlearnlab.hallucination")
