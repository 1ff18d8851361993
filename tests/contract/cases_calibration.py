import jax
import numpy as np

from tests.contract.harness import Case, exempt_non_functions

P = "unlearnlab.calibration."
K = jax.random.PRNGKey(0)
RNG = np.random.default_rng(0)
N, C = 24, 3
LOGITS = RNG.normal(size=(N, C))
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
LABELS = np.arange(N) % C
CONF = np.linspace(0.05, 0.95, N)
CORRECT = (np.arange(N) % 2).astype(float)
BINS = {"n_bins": [0, -1], "scheme": ["nope"]}
RANK1 = {"conf": ("rank",), "correct": ("rank",)}


def pl():
    return dict(probs=PROBS, labels=LABELS)


def cc(**kw):
    return dict(conf=CONF, correct=CORRECT, **kw)


def ll():
    return dict(logits=LOGITS, labels=LABELS)


def _hb():
    from unlearnlab.calibration import fit_histogram_binning

    return fit_histogram_binning(CONF, CORRECT, n_bins=5)


def _hbc():
    from unlearnlab.calibration import fit_histogram_binning_classwise

    return fit_histogram_binning_classwise(PROBS, LABELS, n_bins=5)


def _iso():
    from unlearnlab.calibration import fit_isotonic

    return fit_isotonic(CONF, CORRECT)


def _isoc():
    from unlearnlab.calibration import fit_isotonic_classwise

    return fit_isotonic_classwise(PROBS, LABELS)


def _ets():
    from unlearnlab.calibration import init_ets

    return init_ets(K, num_temps=4)


def _pwl():
    from unlearnlab.calibration import init_pwl

    return init_pwl(num_segments=8)


def _mono():
    from unlearnlab.calibration import init_mono_mlp

    return init_mono_mlp(K, hidden=(4,), n_quad=8, n_grid=16)


def _hcal():
    from unlearnlab.calibration import fit_hcal

    return fit_hcal(
        K, LOGITS, LABELS, family="ets", family_kwargs={"num_temps": 2}, window=8, steps=3, batch=N
    )


CASES = [
    Case(P + "ece", lambda: dict(**pl(), n_bins=5, scheme="equal_width"), bad=BINS),
    Case(
        P + "classwise_ece",
        lambda: dict(**pl(), n_bins=5, reduce="mean", scheme="equal_width"),
        bad={**BINS, "reduce": ["x"]},
    ),
    Case(P + "binned_ece", lambda: cc(n_bins=5, scheme="equal_width", p=1), bad={**BINS, "p": [0]}),
    Case(
        P + "bin_index",
        lambda: dict(conf=CONF, n_bins=5, scheme="equal_width"),
        bad=BINS,
        ok={"conf": ("rank",)},
    ),
    Case(P + "debiased_ece_l2sq", lambda: cc(n_bins=5, scheme="equal_mass"), bad=BINS),
    Case(
        P + "debiased_ece_l1",
        lambda: dict(key=K, **cc(n_bins=5, scheme="equal_mass", resamples=10)),
        bad={**BINS, "resamples": [0, -1]},
    ),
    Case(
        P + "smooth_ece",
        lambda: cc(sigma=None, mesh=20, iters=5),
        bad={"mesh": [0, -1], "iters": [0, -1], "sigma": [0.0, -1.0, float("nan")]},
    ),
    Case(
        P + "smooth_ece_sigma",
        lambda: cc(sigma=0.1, mesh=20),
        bad={"mesh": [0, -1], "sigma": [0.0, -1.0]},
    ),
    Case(
        P + "smooth_reliability",
        lambda: cc(sigma=0.1, mesh=20),
        bad={"mesh": [0, -1], "sigma": [0.0, -1.0]},
    ),
    Case(P + "ks_error", lambda: cc()),
    Case(P + "nll", lambda: dict(log_probs=np.log(PROBS), labels=LABELS)),
    Case(P + "brier", pl),
    Case(P + "reliability_stats", lambda: cc(n_bins=5, scheme="equal_width"), bad=BINS),
    Case(P + "top_label", pl),
    Case(
        P + "fit_temperature",
        lambda: dict(**ll(), iters=10, beta_min=1e-3, beta_max=1e3),
        bad={"iters": [0, -1], "beta_min": [0.0, -1.0], "beta_max": [1e-4]},
    ),
    Case(P + "temperature_nll", lambda: dict(beta=1.0, **ll()), bad={"beta": [0.0, -1.0]}),
    Case(P + "fit_histogram_binning", lambda: cc(n_bins=5, scheme="equal_width"), bad=BINS),
    Case(
        P + "apply_histogram_binning",
        lambda: dict(edges=_hb()[0], values=_hb()[1], conf=CONF),
        ok={"conf": ("rank",)},
    ),
    Case(P + "apply_top_label_binning", lambda: dict(edges=_hb()[0], values=_hb()[1], probs=PROBS)),
    Case(
        P + "fit_histogram_binning_classwise",
        lambda: dict(**pl(), n_bins=5, scheme="equal_width"),
        bad=BINS,
    ),
    Case(
        P + "apply_histogram_binning_classwise",
        lambda: dict(edges=_hbc()[0], values=_hbc()[1], probs=PROBS),
    ),
    Case(P + "fit_isotonic", lambda: dict(scores=CONF, targets=CORRECT, weights=None)),
    Case(
        P + "apply_isotonic",
        lambda: dict(x_knots=_iso()[0], y_knots=_iso()[1], scores=CONF),
        ok={"scores": ("rank",)},
    ),
    Case(P + "fit_isotonic_classwise", pl),
    Case(
        P + "apply_isotonic_classwise",
        lambda: dict(x_knots=_isoc()[0], y_knots=_isoc()[1], probs=PROBS),
    ),
    Case(P + "fit_vector_scaling", lambda: dict(**ll(), iters=5), bad={"iters": [0, -1]}),
    Case(P + "apply_vector_scaling", lambda: dict(ab=(np.ones(C), np.zeros(C)), logits=LOGITS)),
    Case(P + "fit_matrix_scaling", lambda: dict(**ll(), iters=5), bad={"iters": [0, -1]}),
    Case(P + "apply_matrix_scaling", lambda: dict(Ab=(np.eye(C), np.zeros(C)), logits=LOGITS)),
    Case(P + "apply_temperature", lambda: dict(T=1.5, logits=LOGITS), bad={"T": [0.0, -1.0]}),
    Case(P + "init_ets", lambda: dict(key=K, num_temps=4), bad={"num_temps": [0, -1]}),
    Case(P + "apply_ets", lambda: dict(params=_ets(), logits=LOGITS)),
    Case(P + "ets_probs", lambda: dict(params=_ets(), logits=LOGITS)),
    Case(P + "ets_log_prob_of", lambda: dict(params=_ets(), **ll())),
    Case(
        P + "init_pwl",
        lambda: dict(num_segments=8, lo=-30.0),
        bad={"num_segments": [0, -1], "lo": [0.0, 1.0]},
    ),
    Case(P + "apply_pwl", lambda: dict(params=_pwl(), logits=LOGITS)),
    Case(P + "pwl_phi", lambda: dict(params=_pwl(), x=LOGITS[:, 0]), ok={"x": ("rank", "empty")}),
    Case(
        P + "init_mono_mlp",
        lambda: dict(key=K, hidden=(4,), n_quad=8, n_grid=16, lo=-30.0, mu=0.0, sigma=1.0),
        bad={"n_quad": [0, -1], "n_grid": [0, -1], "sigma": [0.0, -1.0], "hidden": [(0,), ()]},
    ),
    Case(P + "apply_mono_mlp", lambda: dict(params=_mono(), logits=LOGITS)),
    Case(
        P + "mono_mlp_phi",
        lambda: dict(params=_mono(), x=LOGITS[:, 0]),
        ok={"x": ("rank", "empty")},
    ),
    Case(
        P + "fit_hcal",
        lambda: dict(
            key=K, **ll(), family="ets", family_kwargs={"num_temps": 2}, window=8, steps=3, batch=N
        ),
        bad={
            "window": [0, -1, 10**6],
            "steps": [0, -1],
            "batch": [0, -1],
            "family": ["nope"],
        },
    ),
    Case(
        P + "apply_hcal",
        lambda: dict(model=_hcal(), logits=LOGITS),
        ok={"model": ("nan.history", "nan.ece_history")},
    ),
    Case(
        P + "hcal_log_probs",
        lambda: dict(model=_hcal(), logits=LOGITS),
        ok={"model": ("nan.history", "nan.ece_history")},
    ),
    Case(
        P + "hcal_window_stats",
        lambda: dict(**pl(), window=8, sort="xla"),
        bad={"window": [0, -1, 10**6], "sort": ["nope"]},
    ),
    Case(
        P + "hcal_loss",
        lambda: dict(
            **pl(),
            window=8,
            eps=0.0,
            n_groups=3,
            weighting="equal_mass",
            leave_one_class_out=False,
            sort="xla",
        ),
        bad={
            "window": [0, -1],
            "n_groups": [0, -1],
            "eps": [-1.0],
            "weighting": ["x"],
            "sort": ["x"],
        },
    ),
    Case(
        P + "hcal_bound",
        lambda: dict(n_events=100, window=10, delta=0.1, union=True),
        bad={"n_events": [0, -1], "window": [0, -1], "delta": [0.0, 1.5, -0.1]},
    ),
    Case(P + "hcal_noise_floor", lambda: dict(probs=PROBS, window=8), bad={"window": [0, -1]}),
    Case(
        P + "known_map",
        lambda: dict(key=K, n=20, C=3, beta_true=1.0, tau=2.5),
        bad={"n": [0, -1], "C": [0, 1, -1], "beta_true": [0.0, -1.0], "tau": [-1.0]},
    ),
    Case(
        P + "binary_offset",
        lambda: dict(key=K, n=20, delta=0.1),
        bad={"n": [0, -1], "delta": [-1.5, 1.5]},
    ),
    Case(
        P + "top_label_truth",
        lambda: dict(key=K, n=20, C=3, beta_true=1.0, tau=2.5),
        bad={"n": [0, -1], "C": [0, 1, -1], "beta_true": [0.0, -1.0], "tau": [-1.0]},
    ),
]
EXEMPT = {
    **exempt_non_functions("unlearnlab.calibration"),
    P
    + "select_and_fit_hcal": "fits several candidate maps (slow); its arguments are those of fit_hcal, checked by fit_hcal's case",
    P
    + "mono_integrand": "flax nnx module internals (mlp_state), traced inside the quadrature; not a user entry point",
    P + "classwise_ece": P + "classwise_ece",
}
del EXEMPT[P + "classwise_ece"]
