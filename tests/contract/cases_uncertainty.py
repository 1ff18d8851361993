import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.uncertainty."
K = jax.random.PRNGKey(0)
X = np.linspace(-1.0, 1.0, 6)
PHI = np.stack([np.ones(6), X], axis=1)
Y = 0.3 + X
S = np.array([[0.1, 0.01], [0.01, 0.2]])
Q = np.stack([np.ones(3), np.array([-2.0, 0.0, 2.0])], axis=1)
FQ = np.array([1.0, 0.3, -2.0])
PSI = np.stack([X**k for k in range(3)], axis=1)
VAR = {"tau2": [0.0, -1.0], "sigma2": [0.0, -1.0]}

CASES = [
    Case(
        P + "misspecified_target",
        lambda: dict(x=X),
        bad={"x": [np.zeros((2, 2))]},
        ok={"x": ("empty",)},
    ),
    Case(
        P + "polynomial_features",
        lambda: dict(x=X, degree=3),
        bad={"degree": [-1, 1.5]},
        ok={"x": ("empty",)},
    ),
    Case(
        P + "sample_regression",
        lambda: dict(key=K, n=5, x_lo=-1.0, x_hi=1.0),
        bad={"n": [0, -1], "x_hi": [-1.0, -2.0]},
    ),
    Case(
        P + "blr_posterior",
        lambda: dict(Phi=PHI, y=Y, tau2=10.0, sigma2=0.1),
        bad={**VAR, "y": [Y[:-1]]},
    ),
    Case(
        P + "predictive_variance",
        lambda: dict(phi_x=Q, S=S),
        bad={"S": [np.eye(3)]},
    ),
    Case(
        P + "excess_risk",
        lambda: dict(phi_x=Q, m=np.array([0.3, 0.6]), f_star_x=FQ),
        bad={"m": [np.zeros(3)], "f_star_x": [FQ[:-1]]},
    ),
    Case(
        P + "expected_excess_fixed_design",
        lambda: dict(
            Phi=PHI,
            f_star_train=Y,
            noise_var=np.full(6, 0.05),
            tau2=10.0,
            sigma2=0.1,
            phi_x=Q,
            f_star_x=FQ,
        ),
        bad={**VAR, "noise_var": [-np.ones(6)], "phi_x": [np.ones((3, 3))]},
    ),
    Case(
        P + "l2_projection",
        lambda: dict(Phi_grid=PHI, f_star_grid=Y, weights=np.full(6, 1 / 6)),
        bad={"weights": [-np.ones(6), np.zeros(6)], "f_star_grid": [Y[:-1]]},
    ),
    Case(
        P + "bayes_excess_mc",
        lambda: dict(key=K, Phi=PHI, tau2=10.0, sigma2=0.1, phi_x=Q),
        bad={**VAR, "phi_x": [np.ones((3, 3))]},
    ),
    Case(
        P + "deup_fit",
        lambda: dict(Phi_err=PSI, sq_resid=np.full(6, 0.1), ridge=0.0),
        bad={"sq_resid": [-np.ones(6)], "ridge": [-1.0]},
    ),
    Case(
        P + "deup_predict",
        lambda: dict(coef=np.array([0.1, 0.0, 0.2]), Phi_x=PSI, sigma2_x=np.full(6, 0.05)),
        bad={"sigma2_x": [np.zeros(6)], "coef": [np.zeros(2)]},
    ),
    Case(
        P + "spearman",
        lambda: dict(a=FQ, b=np.array([0.1, 0.5, 0.2])),
        bad={"a": [np.ones(1)], "b": [np.ones(2)]},
    ),
]
EXEMPT = exempt_non_functions("unlearnlab.uncertainty")
