"""unlearnlab.datasets: shapes, provenance (the shipped records match their README), exact
identities of the helpers, determinism, packaging of the data files and named errors."""

import fnmatch
import pathlib

import jax
import numpy as np
import pytest

import unlearnlab.datasets as D

ROOT = pathlib.Path(__file__).resolve().parents[2]

# README of the records (unlearnlab/datasets/data/calibration/README.md): classes, test accuracy,
# mean confidence, each to the 3 decimals printed there
RECORDS = {
    "wrn16-4-cifar10": (10, 0.911, 0.965),
    "lenet5-cifar10": (10, 0.531, 0.639),
    "wrn16-4-cifar100": (100, 0.754, 0.802),
}


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_predictions_match_their_provenance(name):
    C, acc, conf = RECORDS[name]
    p, y = D.load_predictions(name)
    assert p.shape == (10_000, C) and p.dtype == np.float64
    assert y.shape == (10_000,) and y.dtype == np.int64
    assert y.min() >= 0 and y.max() < C
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-12)
    assert p.min() >= 0
    assert abs(np.mean(p.argmax(1) == y) - acc) <= 5e-4
    assert abs(np.mean(p.max(1)) - conf) <= 5e-4


def test_every_shipped_file_is_a_set_and_packaged():
    """Each .npz under data/ is a named set, and pyproject's package-data globs cover every data
    file (README and licence included), so the wheel carries them."""
    data = ROOT / "unlearnlab" / "datasets" / "data"
    files = sorted(p.relative_to(ROOT / "unlearnlab") for p in data.rglob("*") if p.is_file())
    assert {f.name for f in files if f.suffix == ".npz"} == set(D.CALIBRATION_SETS.values())
    assert any(f.name.startswith("LICENSE") for f in files)
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = cfg["tool"]["setuptools"]["package-data"]["unlearnlab"]
    for f in files:
        assert any(fnmatch.fnmatch(str(f), g) for g in globs), (f, globs)


def test_probs_to_logits_inverts_softmax():
    """Exact identity: softmax(log p) = p for rows with every entry >= 1e-12."""
    p, _ = D.load_predictions("lenet5-cifar10")
    p = p[:500]
    keep = p.min(1) >= 1e-12
    z = D.probs_to_logits(p)
    np.testing.assert_allclose(np.asarray(jax.nn.softmax(z[keep], 1)), p[keep], rtol=1e-12)
    assert np.all(np.isfinite(z)) and z.max() <= 0


def test_random_split_is_a_seeded_partition():
    x = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    xc, yc, xt, yt = D.random_split(x, y, seed=4, frac=0.3)
    assert len(yc) == 3 and len(yt) == 7
    assert sorted(np.concatenate([yc, yt]).tolist()) == list(range(10))
    np.testing.assert_array_equal(xc[:, 0], 2 * yc)  # rows stay with their labels
    again = D.random_split(x, y, seed=4, frac=0.3)
    assert all(np.array_equal(a, b) for a, b in zip((xc, yc, xt, yt), again))
    other = D.random_split(x, y, seed=5, frac=0.3)
    assert not np.array_equal(other[1], yc)


def test_digits_standardised_uses_training_statistics():
    h_tr, y_tr, h_te, y_te = D.load_digits_standardised(test_fraction=0.25, seed=0)
    assert h_tr.shape == (1348, 64) and h_te.shape == (449, 64)
    assert set(np.unique(y_tr)) == set(range(10)) and y_te.max() < 10
    np.testing.assert_allclose(h_tr.mean(0), 0.0, atol=1e-12)
    sd = h_tr.std(0)
    # constant pixels map to 0, the others to unit training variance
    assert np.all((np.abs(sd - 1) < 1e-6) | (sd < 1e-6))
    again = D.load_digits_standardised(test_fraction=0.25, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip((h_tr, y_tr, h_te, y_te), again))


def test_digits_feature_pools_shapes_and_norms():
    pv, pt, info = D.digits_feature_pools(seed=0, steps=20, hidden=16, feat_dim=8)
    assert pv.shape[0] == pt.shape[0] == len(D.NOVEL_CLASSES) and pv.shape[2] == pt.shape[2] == 8
    assert pv.dtype == np.float64
    norms = np.linalg.norm(pv, axis=-1)
    assert np.all((np.abs(norms - 1) < 1e-9) | (norms == 0))
    assert info["steps"] == 20 and 0 <= info["base_train_accuracy"] <= 1


def test_digits_mlp_logits_shapes():
    out = D.digits_mlp_logits(seed=0, steps_past=0, max_steps=50)
    (zc, yc), (zt, yt) = out["cal"], out["test"]
    assert zc.shape == (400, 10) and zt.shape == (397, 10) and len(yc) == 400 and len(yt) == 397
    assert zc.dtype == np.float64 and np.all(np.isfinite(zc)) and out["steps"] == 50
    # stratified split: every class in each part
    assert set(np.unique(yc)) == set(range(10)) == set(np.unique(yt))


@pytest.mark.slow
def test_digits_mlp_is_overconfident():
    """The recipe's purpose (Guo et al. 2017): after 100% training accuracy and 300 more steps the
    test-set mean confidence exceeds the test accuracy. Deterministic (fixed seed)."""
    out = D.digits_mlp_logits(seed=0)
    zt, yt = out["test"]
    p = np.asarray(jax.nn.softmax(zt, 1))
    assert out["train_acc"] == 1.0
    assert p.max(1).mean() > np.mean(p.argmax(1) == yt)


@pytest.mark.parametrize(
    "call, arg",
    [
        (lambda: D.load_predictions("cifar10"), "name"),
        (lambda: D.probs_to_logits(np.array([[0.5, 1.5]])), "probs"),
        (lambda: D.random_split(np.ones((4, 2)), np.zeros(3), 0), "labels"),
        (lambda: D.random_split(np.ones((4, 2)), np.zeros(4), 0, frac=0.05), "frac"),
        (lambda: D.load_digits_standardised(test_fraction=1.0), "test_fraction"),
        (lambda: D.digits_feature_pools(steps=0), "steps"),
        (lambda: D.digits_mlp_logits(label_noise=2.0), "label_noise"),
    ],
)
def test_bad_input_is_named(call, arg):
    with pytest.raises(ValueError, match=f"`{arg}`"):
        call()
