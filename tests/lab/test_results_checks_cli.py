"""results (manifest, atomic JSON, stage cache), checks (ValueErrors), cli (flags, caching)."""

import dataclasses
import json

import jax
import numpy as np
import pytest

from unlearnlab.lab import checks, results
from unlearnlab.lab.claims import Claim, claim_result
from unlearnlab.lab.cli import experiment_main


@dataclasses.dataclass(frozen=True)
class Cfg:
    n: int = 3
    rate: float = 0.5


def test_config_hash_stable_and_sensitive():
    assert results.config_hash(Cfg()) == results.config_hash(Cfg())
    assert results.config_hash(Cfg()) != results.config_hash(Cfg(n=4))


def test_manifest_fields():
    m = results.manifest(Cfg(), timings={"run_s": 1.0}, name="x")
    for k in (
        "config",
        "config_hash",
        "git_sha",
        "versions",
        "backend",
        "device_count",
        "x64",
        "timings",
        "utc",
    ):
        assert k in m
    assert m["x64"] is True and m["device_count"] == jax.device_count()
    assert m["versions"]["jax"] == jax.__version__


def test_json_round_trip_arrays_exactly(tmp_path):
    a = np.array([[1.0, np.nan], [np.inf, 1 / 3]])
    obj = {"a": a, "i": np.arange(3), "s": np.float64(2.5), "t": (1, 2), "cfg": Cfg()}
    p = results.atomic_write_json(tmp_path / "x.json", obj)
    back = results.load_json(p, restore_arrays=True)
    np.testing.assert_array_equal(back["a"], a)
    assert back["i"].dtype == np.int64 and back["s"] == 2.5 and back["t"] == [1, 2]
    assert back["cfg"] == {"n": 3, "rate": 0.5}
    json.loads(p.read_text())  # strict JSON (no NaN literals)
    assert not list(tmp_path.glob(".*tmp*"))


def test_stage_cache_resumes(tmp_path):
    calls = []
    c = results.StageCache(tmp_path, Cfg(), name="e")
    v = c.stage("a", lambda: calls.append(1) or {"x": np.ones(2)})
    v2 = results.StageCache(tmp_path, Cfg(), name="e").stage("a", lambda: calls.append(2))
    assert calls == [1]
    np.testing.assert_array_equal(v["x"], v2["x"])
    results.StageCache(tmp_path, Cfg(), name="e", force=True).stage("a", lambda: calls.append(3))
    assert calls == [1, 3]


def test_checks_messages():
    with pytest.raises(ValueError, match="`p` must lie in"):
        checks.check_probability("p", [0.2, 1.2])
    with pytest.raises(ValueError, match="`x` must be finite"):
        checks.check_finite("x", np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match=r"`X` must have shape \(\*, 3\)"):
        checks.check_shape("X", np.ones((2, 4)), (None, 3))
    with pytest.raises(ValueError, match="`g` must be > 0"):
        checks.check_positive("g", 0.0)
    with pytest.raises(ValueError, match="integer"):
        checks.check_int("n", 2.0)
    with pytest.raises(ValueError, match="sum to 1"):
        checks.check_probability_vector("q", np.array([[0.5, 0.6]]))
    checks.check_probability_vector("q", np.array([[0.4, 0.6]]))
    # traced values are not inspected (the jitted caller documents its precondition)
    jax.jit(lambda x: checks.check_finite("x", x))(np.array([np.nan]))


def test_claims_validation():
    with pytest.raises(ValueError, match="kind"):
        Claim("a.b", "p", "w", "s", "nonsense", "paper", ("t",), "a", "(a)", "n")
    with pytest.raises(ValueError, match="provenance"):
        Claim("a.b", "p", "w", "s", "exact identity", "blog", ("t",), "a", "(a)", "n")
    assert claim_result(1.0, 0.0, True)["verdict"] == "pass"
    with pytest.raises(ValueError):
        claim_result(1.0, 0.0, "maybe")


def _toy(tmp_path, argv, counter):
    def make_config(args):
        return Cfg(n=2 if args.quick else 5)

    def compute(cfg, ctx):
        counter.append(cfg.n)
        return {"y": np.arange(cfg.n) ** 2, "claims": {"toy.c": claim_result(1, 1, True)}}

    def plot(payload):
        from unlearnlab.lab.plotting import subplots, theory_line

        fig, ax = subplots()
        theory_line(ax[0, 0], np.arange(3), np.arange(3), "Thm 0")
        ax[0, 0].plot(payload["data"]["y"])
        return fig

    return experiment_main(
        name="toy",
        description="toy",
        make_config=make_config,
        compute=compute,
        plot=plot,
        argv=argv + ["--out", str(tmp_path)],
    )


def test_experiment_main_caches_and_forces(tmp_path):
    calls = []
    p = _toy(tmp_path, ["--quick"], calls)
    assert calls == [2] and p["claims"]["toy.c"]["verdict"] == "pass"
    assert (tmp_path / "toy.png").exists() and (tmp_path / "toy.pdf").exists()
    np.testing.assert_array_equal(p["data"]["y"], [0, 1])
    _toy(tmp_path, ["--quick"], calls)
    assert calls == [2]  # served from the saved JSON
    _toy(tmp_path, ["--quick", "--force", "--no-plot"], calls)
    assert calls == [2, 2]
    _toy(tmp_path, [], calls)  # another config recomputes
    assert calls == [2, 2, 5]


def test_recompute_trusts_only_this_machines_stamp(tmp_path):
    """``--recompute`` (``make figures``): a saved JSON without this machine's stamp for the same
    config and code version is recomputed (a fresh clone), a stamped one is reused; plain runs
    (``make plots``) reuse the saved JSON."""
    import shutil

    calls = []
    _toy(tmp_path, ["--quick", "--no-plot"], calls)
    assert calls == [2]
    _toy(tmp_path, ["--quick", "--no-plot"], calls)  # plain: the JSON is trusted
    assert calls == [2]
    _toy(tmp_path, ["--quick", "--no-plot", "--recompute"], calls)  # no stamp yet: recompute
    assert calls == [2, 2]
    _toy(tmp_path, ["--quick", "--no-plot", "--recompute"], calls)  # stamped: reuse
    assert calls == [2, 2]
    shutil.rmtree(tmp_path / ".cache")  # a fresh clone has the JSON but no cache
    _toy(tmp_path, ["--quick", "--no-plot", "--recompute"], calls)
    assert calls == [2, 2, 2]


def test_code_version_changes_with_an_extra_file(tmp_path):
    f = tmp_path / "exp.py"
    f.write_text("a = 1\n")
    v1 = results.code_version(f)
    assert v1 == results.code_version(f)
    f.write_text("a = 2\n")
    assert results.code_version(f) != v1
