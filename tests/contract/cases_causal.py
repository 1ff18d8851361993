"""Contract cases of the causal family (Rep4Ex, ``unlearnlab.causal``)."""

import jax
import numpy as np

from tests.contract.harness import Case

P = "unlearnlab.causal."
K = jax.random.key(0)
EW = ("rank", "empty")  # elementwise in this argument: any shape is valid
_rng = np.random.default_rng(0)
N = 60
A = _rng.uniform(-1, 1, N)
Z = 3.0 * A + 0.5 * _rng.normal(size=N)
X = np.cbrt(Z)  # any increasing map will do for a valid call
B = np.stack([X, X**2, X**3], 1)
Y = np.sin(Z) + 0.1 * _rng.normal(size=N)
W = np.full(N, 1.0 / N)
A_STAR = np.array([0.5, 1.3])


def _fit():
    from unlearnlab.causal import linear_invariance_encoder

    return linear_invariance_encoder(B, A, 4)


def _cf():
    from unlearnlab.causal import control_function_fit

    return control_function_fit(Z, A, Y, 3)


def _ra():
    from unlearnlab.causal import regress_on_a_fit

    return regress_on_a_fit(A, Y, 3)


CASES = [
    Case(P + "cubic_h", lambda: dict(x=np.array([0.0, 1.0, -2.0])), ok={"x": EW}),
    Case(P + "cubic_g0", lambda: dict(z=np.array([0.0, 1.0, -2.0])), ok={"z": EW}),
    Case(
        P + "simulate_rep4ex",
        lambda: dict(key=K, n=20, M0=3.0, sigma_V=0.5, rho=0.8, sigma_eps=0.1),
        bad={"n": [0, -1, 2.5], "sigma_V": [-0.1], "sigma_eps": [-1.0]},
    ),
    Case(
        P + "do_truth",
        lambda: dict(a=np.array([0.0, 1.3]), M0=3.0, sigma_V=0.5),
        bad={"sigma_V": [-0.5]},
        ok={"a": EW},
    ),
    Case(
        P + "confounder_mean",
        lambda: dict(z=np.array([0.0, 4.0]), M0=3.0, sigma_V=0.5),
        bad={"M0": [0.0], "sigma_V": [0.0, -0.5]},
        ok={"z": EW},
    ),
    Case(
        P + "plugin_bias",
        lambda: dict(a_star=np.array([1.0, 1.3]), M0=3.0, sigma_V=0.5, rho=0.8),
        bad={"M0": [0.0], "sigma_V": [0.0, -0.5]},
        ok={"a_star": EW},
    ),
    Case(
        P + "population_nodes",
        lambda: dict(M0=3.0, sigma_V=0.5, n_a=8, n_v=6),
        bad={"sigma_V": [-0.5], "n_a": [1, 2.5], "n_v": [0]},
    ),
    Case(
        P + "poly_basis",
        lambda: dict(x=np.array([0.5, -1.0, 2.0]), degree=3),
        bad={"degree": [0, -1, 1.5]},
        ok={"x": ("empty",)},
    ),
    Case(
        P + "legendre_basis",
        lambda: dict(a=np.array([0.5, -1.0, 1.0]), degrees=(2, 3)),
        bad={"a": [np.array([1.5])], "degrees": [(), (-1,), 3, (1.5,)]},
        ok={"a": ("empty",)},
    ),
    Case(P + "min_samples", lambda: dict(d=3, m=6), bad={"d": [0], "m": [1, 2.0]}),
    Case(
        P + "linear_invariance_encoder",
        lambda: dict(B=B, A=A, m=4, weights=W),
        bad={
            "m": [1, 30],
            "B": [B[:10], np.c_[B, 2 * B[:, :1]], np.c_[B, np.ones(N)]],
            "A": [np.round(A), np.zeros(N)],
            "weights": [-W, 0 * W],
        },
    ),
    Case(P + "encode", lambda: dict(fit=_fit(), B=B), bad={"B": [B[:, :2]]}, ok={"B": ("empty",)}),
    Case(
        P + "affine_r2",
        lambda: dict(phi=X, Z=Z, weights=W),
        bad={"phi": [np.ones(N)], "Z": [Z[:5]], "weights": [-W]},
    ),
    Case(
        P + "control_function_fit",
        lambda: dict(Zhat=Z, A=A, Y=Y, f_degree=3),
        bad={"f_degree": [0, 40], "A": [np.ones(N)], "Zhat": [np.round(Z / 10)]},
    ),
    Case(
        P + "plugin_fit",
        lambda: dict(Zhat=Z, A=A, Y=Y, f_degree=3),
        bad={"f_degree": [0], "A": [np.ones(N)]},
    ),
    Case(
        P + "control_function_predict",
        lambda: dict(model=_cf(), a_star=A_STAR),
        bad={"a_star": [np.zeros((2, 2))]},
    ),
    Case(
        P + "regress_on_a_fit",
        lambda: dict(A=A, Y=Y, degree=3),
        bad={"degree": [0, 1.5], "A": [np.round(A)]},
    ),
    Case(P + "regress_on_a_predict", lambda: dict(fit=_ra(), a_star=A_STAR)),
    Case(
        P + "rep4ex_trial",
        lambda: dict(
            key=K,
            n=60,
            a_star=A_STAR,
            M0=3.0,
            sigma_V=0.5,
            rho=0.8,
            sigma_eps=0.1,
            degree=3,
            m=4,
            f_degree=3,
        ),
        bad={"n": [0, 10], "degree": [0], "m": [1], "f_degree": [0], "sigma_V": [-0.5]},
    ),
]

EXEMPT = {
    P + "CLAIMS": "claims registry tuple",
    P + "SIGMA_A2": "constant (variance of A ~ U[-1, 1])",
    P + "METHODS": "constant (names of the estimators of rep4ex_trial)",
    P + "InvarianceFit": "NamedTuple type, not a function",
    P + "AffineFit": "NamedTuple type, not a function",
    P + "CFModel": "NamedTuple type, not a function",
    P + "PolyFit": "NamedTuple type, not a function",
}
