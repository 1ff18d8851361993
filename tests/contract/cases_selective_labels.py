import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.selective_labels."
K = jax.random.PRNGKey(0)
N, M = 6, 2
X = np.column_stack([np.ones(N), np.linspace(-1, 1, N)])
T = np.array([1, 1, 0, 1, 0, 1])
Y = np.array([0, 1, -1, 1, -1, 0])
BY = np.array([-1.0, 0.5])
BD = np.array([1.0, 0.3])
PARAMS = {"beta_Y": BY, "beta_D": BD, "alpha": 1.0, "sigma": 1.0}

YR = np.array([0.3, -1.2, 0.0, 0.8, 0.0, 1.5])  # real outcomes (Heckman, conjugate testbed)
LAM = np.array([[2.0, 0.3], [0.3, 1.0]])
THETA = np.array([-1.0, 0.5, 1.0, 0.3, 1.0])  # [beta_Y (M), beta_D (M), sigma]
MASK = np.array([True, False])


def _conj_model():
    import functools

    from unlearnlab.selective_labels import conjugate_numpyro_model

    return functools.partial(
        conjugate_numpyro_model, noise_sd=1.0, prior_sd=3.0, prevalence=None, w=0.0
    )


def _data():
    return {"X": X, "T": T, "Y": YR}


def _samples():
    rng = np.random.default_rng(1)
    return {"beta": rng.normal(size=(2, 8, M)), "sigma": rng.normal(size=(2, 8)) ** 2 + 0.5}


NUTS = {"num_warmup": [0, -1], "num_samples": [0, -1], "num_chains": [0, -1]}

CASES = [
    Case(
        P + "simulate_selective_labels",
        lambda: dict(key=K, N=N, M=M, beta_Y=BY, beta_D=BD, alpha=1.0, sigma=1.0),
        bad={"N": [0, -1], "M": [0, -1], "sigma": [0.0, -1.0]},
    ),
    Case(
        P + "simulate_heckman",
        lambda: dict(key=K, N=N, M=M, beta_Y=BY, beta_T=BD, rho=0.3, sigma=1.0),
        bad={"N": [0, -1], "M": [0, -1], "rho": [1.5, -1.5], "sigma": [0.0, -1.0]},
    ),
    Case(
        P + "standardised_features",
        lambda: dict(key=K, N=N, M=M, dtype=None),
        bad={"N": [0, -1], "M": [0, -1]},
    ),
    Case(P + "gauss_hermite", lambda: dict(n_nodes=8), bad={"n_nodes": [0, -1]}),
    Case(P + "loglik_given_Z", lambda: dict(params=PARAMS, X=X, T=T, Y=Y, Z=np.zeros(N))),
    Case(
        P + "loglik_marginal_gh",
        lambda: dict(params=PARAMS, X=X, T=T, Y=Y, n_nodes=8),
        bad={"n_nodes": [0, -1]},
    ),
    Case(
        P + "implied_prevalence_gh",
        lambda: dict(beta_Y=BY, sigma=1.0, X=X, n_nodes=8),
        bad={"n_nodes": [0, -1], "sigma": [-1.0]},
    ),
    Case(
        P + "untested_risk_gh",
        lambda: dict(params=PARAMS, X=X, T=T, n_nodes=8),
        bad={"n_nodes": [0, -1]},
    ),
    Case(
        P + "heckman_loglik",
        lambda: dict(beta_Y=BY, beta_T=BD, rho=0.3, sigma=1.0, X=X, T=T, Y=YR),  # Y real
        bad={"rho": [1.5], "sigma": [0.0, -1.0]},
    ),
    Case(
        P + "attenuated_coefficients",
        lambda: dict(beta_Y=BY, sigma=1.0),
        bad={"sigma": [-1.0]},
        ok={"beta_Y": ("rank",)},  # (..., M): a leading batch axis is valid
    ),
    Case(P + "sbc_parameter_names", lambda: dict(M=M, expertise_mask=None), bad={"M": [0, -1]}),
    Case(
        P + "conditioned_gaussian",
        lambda: dict(mean=np.zeros(3), cov=np.eye(3), zero_idx=np.array([1])),
        bad={"cov": [-np.eye(3)], "zero_idx": [np.array([3]), np.array([1, 1])]},
    ),
    Case(
        P + "constrained_gaussian_var",
        lambda: dict(Lambda=LAM, a=np.array([1.0, 0.5]), v=np.array([0.0, 1.0]), w=1.0),
        bad={"Lambda": [-LAM, np.array([[1.0, 2.0], [0.0, 1.0]])], "w": [-1.0]},
    ),
    Case(
        P + "constrained_gaussian_posterior",
        lambda: dict(m=np.array([0.1, -0.2]), Lambda=LAM, a=np.array([1.0, 0.5]), c=0.3, w=1.0),
        bad={"Lambda": [-LAM], "w": [-1.0]},
    ),
    Case(
        P + "conjugate_testbed_posterior",
        lambda: dict(X=X, T=T, Y=YR, noise_sd=1.0, prior_sd=3.0, prevalence=0.2, w=1.0),
        bad={
            "noise_sd": [0.0, -1.0],
            "prior_sd": [0.0, -1.0],
            "w": [-1.0],
            "prevalence": [float("nan")],
            "T": [np.array([1, 1, 0, 1, 0, 2])],
        },
    ),
    Case(
        P + "log_posterior_flat",
        lambda: dict(theta=THETA, X=X, T=T, Y=Y, alpha=1.0, n_nodes=8),
        bad={"n_nodes": [0, -1], "theta": [np.array([-1.0, 0.5, 1.0, 0.3, -1.0])]},
    ),
    Case(
        P + "posterior_mode",
        lambda: dict(theta0=THETA, X=X, T=T, Y=Y, alpha=1.0, n_steps=2, n_nodes=8),
        bad={"n_nodes": [0, -1], "n_steps": [0, -1]},
    ),
    Case(
        P + "laplace_constrained_sd",
        lambda: dict(
            theta_mode=THETA, X=X, T=T, Y=Y, w_prev=1.0, expertise_mask=MASK, alpha=1.0, n_nodes=8
        ),
        bad={"n_nodes": [0, -1], "w_prev": [-1.0], "expertise_mask": [np.array([False, True])]},
    ),
    Case(
        P + "draw_synthetic_params",
        lambda: dict(
            key=K,
            M=3,
            betaY_intercept_mean=-2.0,
            betaD_intercept_mean=2.0,
            intercept_std=0.5,
            sigma_mean=2.0,
            sigma_std=0.5,
            alpha=1.0,
            expertise_idx=(0, 1),
        ),
        bad={
            "M": [1, 0, -1],
            "intercept_std": [-0.5],
            "sigma_std": [-0.5],
            "expertise_idx": [(0, 3), (-1,)],
        },
    ),
    Case(
        P + "nuts_draws",
        lambda: dict(
            key=K,
            model=_conj_model(),
            data=_data(),
            num_warmup=3,
            num_samples=3,
            num_chains=1,
            chain_method="vectorized",
            target_accept_prob=0.8,
            max_tree_depth=3,
            dense_mass=False,
            extra_fields=("diverging",),
        ),
        bad={
            **NUTS,
            "chain_method": ["x"],
            "target_accept_prob": [0.0, 1.5],
            "max_tree_depth": [0, -1],
        },
    ),
    Case(
        P + "run_nuts",
        lambda: dict(
            key=K,
            model=_conj_model(),
            data=_data(),
            num_warmup=3,
            num_samples=4,
            num_chains=2,  # R-hat is NaN (by definition) with one chain
            chain_method="sequential",
        ),
        bad={**NUTS, "num_samples": [3, 1, 0, -1], "chain_method": ["x"]},
    ),
    Case(
        P + "diagnostics",
        lambda: dict(samples=_samples()),
        bad={"samples": [{"beta": np.zeros(3)}, {}]},
    ),
    Case(
        P + "sbc_ranks",
        lambda: dict(
            truth=np.array([0.1, 0.5]), draws=np.random.default_rng(2).normal(size=(7, 2))
        ),
    ),
    Case(
        P + "sbc_summary",
        lambda: dict(ranks=np.array([[0, 3], [5, 9], [2, 7]]), L=9, n_bins=5, level=0.9),
        bad={"L": [0, -1], "n_bins": [1, 3], "level": [0.0, 1.0]},
    ),
    Case(
        P + "sbc_replicate",
        lambda: dict(
            key=K,
            N=6,
            M=2,
            params=None,
            expertise_mask=None,
            known_alpha=1.0,
            n_nodes=4,
            num_warmup=2,
            num_samples=4,
            thin=2,
            max_tree_depth=2,
        ),
        bad={
            "N": [1, 0],
            "M": [1, 0],
            "known_alpha": [0.0, -1.0],
            "n_nodes": [1, 0],
            "num_warmup": [0],
            "num_samples": [0],
            "thin": [0],
            "max_tree_depth": [0],
            "expertise_mask": [np.array([False, True])],
            "params": [{"beta_Y": np.array([np.nan, 0.0]), "beta_D": BD, "sigma": 1.0}],
        },
    ),
]
_MODEL = (
    "numpyro model (a generative program): it runs only under numpyro handlers (seed, trace, MCMC),"
    " so it has no direct call returning values; its data are checked at trace (check_X/check_TY)"
    " and through the `data` argument of the run_nuts / nuts_draws cases"
)
EXEMPT = {
    **exempt_non_functions("unlearnlab.selective_labels"),
    P + "numpyro_model": _MODEL,
    P + "heckman_numpyro_model": _MODEL,
    P + "conjugate_numpyro_model": _MODEL,
}
