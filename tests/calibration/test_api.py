"""Public surface: imports, oracles (P17), jit == no-jit and traced once (P16), vmap over seeds,
ValueError on bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import unlearnlab.calibration as cal


def test_public_surface_imports():
    from unlearnlab.calibration import apply_hcal, classwise_ece, ece, fit_hcal, fit_temperature  # noqa: F401

    for name in cal.__all__:
        assert hasattr(cal, name), name


def _data(n=200, c=6, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, (n, c))
    y = rng.integers(0, c, n)
    return jnp.asarray(z), jnp.asarray(y)


def _np_binned(conf, corr, n_bins, scheme):
    n = len(conf)
    if scheme == "equal_width":
        b = np.minimum(np.floor(conf * n_bins), n_bins - 1).astype(int)
    else:
        b = np.empty(n, int)
        b[np.argsort(conf, kind="stable")] = (np.arange(n) * n_bins) // n
    tot = 0.0
    for j in range(n_bins):
        m = b == j
        if m.any():
            tot += m.sum() / n * abs(corr[m].mean() - conf[m].mean())
    return tot


def test_p17_ece_and_classwise_vs_numpy_loop():
    """P17 (exact identity, float64, 1e-8): ece and classwise_ece vs an independent numpy loop."""
    z, y = _data()
    p = np.asarray(jax.nn.softmax(z, 1))
    yn = np.asarray(y)
    for scheme in ("equal_width", "equal_mass"):
        for nb in (1, 7, 15):
            ref = _np_binned(p.max(1), (p.argmax(1) == yn).astype(float), nb, scheme)
            assert abs(float(cal.ece(jnp.asarray(p), y, nb, scheme)) - ref) < 1e-8
    cw = np.mean(
        [_np_binned(p[:, c], (yn == c).astype(float), 15, "equal_width") for c in range(p.shape[1])]
    )
    assert abs(float(cal.classwise_ece(jnp.asarray(p), y)) - cw) < 1e-8
    assert abs(float(cal.classwise_ece(jnp.asarray(p), y, reduce="sum")) - 6 * cw) < 1e-8


def test_p17_fit_temperature_vs_scipy():
    """P17 (exact identity): fit_temperature vs scipy's bounded 1-D minimisation of the NLL over
    log T (1e-6 in log T)."""
    z, y = cal.known_map(jax.random.key(3), 3000, 10, 0.6)
    T = float(cal.fit_temperature(z, y))
    zn, yn = np.asarray(z), np.asarray(y)

    def nll(logt):
        a = zn / np.exp(logt)
        m = a.max(1, keepdims=True)
        return np.mean(np.log(np.exp(a - m).sum(1)) + m[:, 0] - a[np.arange(len(yn)), yn])

    ref = minimize_scalar(nll, bounds=(-3, 3), method="bounded", options={"xatol": 1e-10}).x
    assert abs(np.log(T) - ref) < 1e-6


def _traced_once(fn, *args):
    count = {"n": 0}

    def wrapped(*a):
        count["n"] += 1
        return fn(*a)

    jf = jax.jit(wrapped)
    out1 = jf(*args)
    jf(*args)
    assert count["n"] == 1
    return out1


_PROBS_FNS = {
    "ece": lambda p, y: cal.ece(p, y),
    "ece_em": lambda p, y: cal.ece(p, y, scheme="equal_mass"),
    "classwise_ece": lambda p, y: cal.classwise_ece(p, y),
    "brier": cal.brier,
    "nll": lambda p, y: cal.nll(jnp.log(p), y),
    "hcal_window_stats": lambda p, y: cal.hcal_window_stats(p, y, window=20),
    "hcal_loss": lambda p, y: cal.hcal_loss(p, y, window=20),
    "hcal_loss_loco": lambda p, y: cal.hcal_loss(p, y, window=20, leave_one_class_out=True),
    "isotonic_cw": lambda p, y: cal.apply_isotonic_classwise(*cal.fit_isotonic_classwise(p, y), p),
    "hb_cw": lambda p, y: cal.apply_histogram_binning_classwise(
        *cal.fit_histogram_binning_classwise(p, y), p
    ),
}
_CONF_FNS = {
    "binned_ece": cal.binned_ece,
    "debiased_ece_l2sq": cal.debiased_ece_l2sq,
    "debiased_ece_l1": lambda c, y: cal.debiased_ece_l1(jax.random.key(0), c, y),
    "smooth_ece": cal.smooth_ece,
    "ks_error": cal.ks_error,
    "reliability_stats": cal.reliability_stats,
    "histogram_binning": lambda c, y: cal.apply_histogram_binning(
        *cal.fit_histogram_binning(c, y), c
    ),
}
_LOGIT_FNS = {
    "fit_temperature": cal.fit_temperature,
    "fit_vector_scaling": lambda z, y: cal.fit_vector_scaling(z, y, iters=10),
    "fit_hcal_ets": lambda z, y: cal.apply_hcal(
        cal.fit_hcal(jax.random.key(0), z, y, steps=5, window=20, sort="xla"), z
    ),
    "fit_hcal_mono": lambda z, y: cal.apply_hcal(
        cal.fit_hcal(
            jax.random.key(0),
            z,
            y,
            steps=5,
            window=20,
            family="mono_mlp",
            family_kwargs={"n_grid": 16, "n_quad": 4},
        ),
        z,
    ),
}


_SLOW = {"fit_hcal_mono", "fit_vector_scaling", "hcal_loss_loco", "isotonic_cw"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.slow) if n in _SLOW else n
        for n in sorted(_PROBS_FNS) + sorted(_CONF_FNS) + sorted(_LOGIT_FNS)
    ],
)
def test_p16_jit_equals_nojit_and_traces_once(name):
    """P16 (invariant): each public entry point gives the same result under jax.jit and traces once."""
    z, y = _data(60, 5)
    p = jax.nn.softmax(z, 1)
    if name in _PROBS_FNS:
        fn, args = _PROBS_FNS[name], (p, y)
    elif name in _CONF_FNS:
        fn, args = _CONF_FNS[name], cal.top_label(p, y)
    else:
        fn, args = _LOGIT_FNS[name], (z, y)
    eager = fn(*args)
    jitted = _traced_once(fn, *args)
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12), eager, jitted
    )


def test_p16_metrics_vmap_over_seeds():
    """P16 (invariant): metrics vmap over a batch of seeds and equal the per-seed values."""
    zs = jnp.stack([_data(60, 5, s)[0] for s in range(3)])
    ys = jnp.stack([_data(60, 5, s)[1] for s in range(3)])
    ps = jax.nn.softmax(zs, -1)
    for f in (
        cal.ece,
        cal.classwise_ece,
        cal.brier,
        lambda p, y: cal.ks_error(*cal.top_label(p, y)),
        lambda p, y: cal.hcal_loss(p, y, window=20),
    ):
        batched = jax.vmap(f)(ps, ys)
        single = jax.jit(f)
        np.testing.assert_allclose(batched, [single(ps[i], ys[i]) for i in range(3)], atol=1e-12)


def test_apply_hcal_jits_with_static_family():
    """The fitted model is a pytree whose family is static metadata: jit(apply_hcal) works."""
    z, y = _data(60, 5)
    m = cal.fit_hcal(
        jax.random.key(0),
        z,
        y,
        steps=3,
        window=20,
        family="pwl",
        family_kwargs={"num_segments": 10},
    )
    np.testing.assert_allclose(jax.jit(cal.apply_hcal)(m, z), cal.apply_hcal(m, z), atol=1e-12)


BAD = [
    ("probs not summing to 1", lambda p, y: cal.ece(p * 0.9, y), "sum to 1"),
    ("label out of range", lambda p, y: cal.ece(p, y.at[0].set(9)), "labels"),
    ("negative label", lambda p, y: cal.classwise_ece(p, y.at[0].set(-1)), "labels"),
    ("NaN", lambda p, y: cal.brier(p.at[0, 0].set(jnp.nan), y), "finite"),
    ("length mismatch", lambda p, y: cal.ece(p, y[:-1]), "length"),
    ("float labels", lambda p, y: cal.ece(p, y.astype(float)), "integers"),
    ("n_bins 0", lambda p, y: cal.ece(p, y, 0), "n_bins"),
    ("bad scheme", lambda p, y: cal.ece(p, y, 15, "quantile"), "scheme"),
    ("odd window", lambda p, y: cal.hcal_loss(p, y, window=21), "even"),
    ("window too big", lambda p, y: cal.hcal_window_stats(p, y, window=1000), "smaller"),
    ("T <= 0", lambda p, y: cal.apply_temperature(0.0, jnp.log(p)), "T"),
    (
        "bad family",
        lambda p, y: cal.fit_hcal(jax.random.key(0), jnp.log(p), y, family="x"),
        "family",
    ),
    (
        "fit_temperature NaN",
        lambda p, y: cal.fit_temperature(jnp.log(p).at[1, 1].set(jnp.inf), y),
        "finite",
    ),
    ("conf out of [0,1]", lambda p, y: cal.ks_error(jnp.max(p, 1) + 1, jnp.ones(60)), "conf"),
    ("conf/correct mismatch", lambda p, y: cal.smooth_ece(jnp.max(p, 1), jnp.ones(59)), "shape"),
    ("delta", lambda p, y: cal.hcal_bound(100, 20, 1.5), "delta"),
]


@pytest.mark.parametrize("case", BAD, ids=[b[0] for b in BAD])
def test_value_error_on_bad_input(case):
    _, fn, match = case
    z, y = _data(60, 5)
    with pytest.raises(ValueError, match=match):
        fn(jax.nn.softmax(z, 1), y)
