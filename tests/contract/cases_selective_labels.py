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
        lambda: dict(beta_Y=BY, beta_T=BD, rho=0.3, sigma=1.0, X=X, T=T, Y=Y),
        bad={"rho": [1.5], "sigma": [0.0, -1.0]},
    ),
    Case(P + "attenuated_coefficients", lambda: dict(beta_Y=BY, sigma=1.0), bad={"sigma": [-1.0]}),
    Case(P + "sbc_parameter_names", lambda: dict(M=M, expertise_mask=None), bad={"M": [0, -1]}),
    Case(
        P + "conditioned_gaussian",
        lambda: dict(mean=np.zeros(3), cov=np.eye(3), zero_idx=np.array([1])),
        bad={"cov": [-np.eye(3)]},
    ),
]
EXEMPT = exempt_non_functions("unlearnlab.selective_labels")
