"""The sweep runner: equals vmap exactly; chunked/cached/resumed; identical on 1 and 4 devices."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unlearnlab.lab.sweep import run_grid, run_seeds, seed_keys

ROOT = Path(__file__).resolve().parents[2]


def noisy_mean(key):
    x = jax.random.normal(key, (64, 8))
    return {"mean": x.mean(0), "norm": jnp.linalg.norm(x), "first": x[0, 0]}


def test_equals_plain_vmap(key):
    """Seed i gets split(key, n)[i]: values equal plain vmap (bitwise when block = n_seeds)."""
    ref = jax.vmap(noisy_mean)(jax.random.split(key, 10))
    exact = run_seeds(noisy_mean, key, 10, block_size=10)
    blocked = run_seeds(noisy_mean, key, 10)
    for k in ref:
        np.testing.assert_array_equal(exact[k], np.asarray(ref[k]))
        np.testing.assert_allclose(blocked[k], np.asarray(ref[k]), rtol=1e-13, atol=1e-15)
        assert blocked[k].shape[0] == 10


@pytest.mark.parametrize("chunk", [1, 3, 4, 10, 25])
def test_chunking_is_bitwise_identical(key, chunk):
    full = run_seeds(noisy_mean, key, 10)
    part = run_seeds(noisy_mean, key, 10, chunk_size=chunk)
    for k in full:
        np.testing.assert_array_equal(full[k], part[k])


def test_cache_resumes_and_skips(key, tmp_path):
    t_first = {}
    a = run_seeds(
        noisy_mean, key, 9, chunk_size=3, cache_dir=tmp_path, cache_key="t", timings=t_first
    )
    files = sorted(tmp_path.glob("*.npz"))
    assert len(files) == 3 and t_first["run_s"] > 0
    # simulate an interruption after the first chunk: delete the other two, rerun
    for f in files[1:]:
        f.unlink()
    t_resume = {}
    b = run_seeds(
        noisy_mean, key, 9, chunk_size=3, cache_dir=tmp_path, cache_key="t", timings=t_resume
    )
    assert t_resume["run_s"] > 0 and len(list(tmp_path.glob("*.npz"))) == 3
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    # a finished run is not recomputed: nothing is compiled or run
    t_done = {}
    c = run_seeds(
        noisy_mean, key, 9, chunk_size=3, cache_dir=tmp_path, cache_key="t", timings=t_done
    )
    assert t_done == {"compile_s": 0.0, "run_s": 0.0}
    np.testing.assert_array_equal(a["norm"], c["norm"])
    # another key does not reuse the cache
    d = run_seeds(noisy_mean, jax.random.key(5), 9, chunk_size=3, cache_dir=tmp_path, cache_key="t")
    assert not np.array_equal(d["norm"], a["norm"])


def test_compiled_program_is_reused(key):
    """Calling run_seeds again with the same function and shapes does not retrace or recompile."""
    n = {"trace": 0}

    def fn(k):
        n["trace"] += 1
        return jax.random.normal(k, (3,))

    from unlearnlab.lab import sweep

    run_seeds(fn, key, 6)
    traces, n_compiled = n["trace"], len(sweep._COMPILED)
    run_seeds(fn, jax.random.key(9), 6)
    assert n["trace"] == traces and len(sweep._COMPILED) == n_compiled


def test_grid_common_random_numbers(key):
    def fn(k, p):
        return p["scale"] * jax.random.normal(k, (3,))

    grid = {"scale": jnp.array([1.0, 2.0, 3.0])}
    out = run_grid(fn, key, grid, 4)
    assert out.shape == (4, 3, 3)
    np.testing.assert_allclose(out[:, 1], 2.0 * out[:, 0])
    np.testing.assert_allclose(out[:, 2], 3.0 * out[:, 0])


def test_seed_keys_match_split(key):
    np.testing.assert_array_equal(
        jax.random.key_data(seed_keys(key, 5)), jax.random.key_data(jax.random.split(key, 5))
    )


def test_bad_arguments(key):
    with pytest.raises(ValueError, match="n_seeds"):
        run_seeds(noisy_mean, key, 0)
    with pytest.raises(ValueError, match="chunk_size"):
        run_seeds(noisy_mean, key, 4, chunk_size=0)
    with pytest.raises(ValueError, match="cache_key"):
        run_seeds(noisy_mean, key, 4, cache_dir="x")
    with pytest.raises(ValueError, match="leading axis"):
        run_grid(lambda k, p: p["a"], key, {"a": jnp.ones(3), "b": jnp.ones(2)}, 2)


_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax, numpy as np
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from unlearnlab.lab.sweep import run_seeds
    from unlearnlab.unlearning import acu_fit, acu_unlearn_checked, buffer_features, buffer_init

    def stream(key):
        k1, k2, k3 = jax.random.split(key, 3)
        y = jax.random.randint(k1, (300,), 0, 5)
        h = jax.random.normal(k2, (300, 16)) + y[:, None]
        X = buffer_features(buffer_init(k3, 16, 48), h)
        Y = jax.nn.one_hot(y, 5)
        s = acu_fit(X, Y, 1.0)
        for i in range(3):
            s, _ = acu_unlearn_checked(s, X[i * 10:(i + 1) * 10], Y[i * 10:(i + 1) * 10])
        return {"W": s.W, "count": s.count}

    def noisy(key):
        x = jax.random.normal(key, (64, 8))
        return {"W": (x.T @ x) / 64.0 + x.mean(0)[:, None], "count": jnp.sum(x > 0)}

    runs = {}
    for name, devices, chunk in [("one", jax.devices()[:1], None), ("four", None, None),
                                 ("four_chunked", None, 3), ("one_chunked", jax.devices()[:1], 4)]:
        # ACU streams use block_size=1 (see the sweep module's note on batched LAPACK calls)
        out = run_seeds(stream, jax.random.key(3), 6, chunk_size=chunk, devices=devices,
                        block_size=1)
        runs[name] = {"W": out["W"].tobytes().hex(), "count": out["count"].tolist()}
        out = run_seeds(noisy, jax.random.key(4), 20, chunk_size=chunk, devices=devices)
        runs[name + "_vmap"] = {"W": out["W"].tobytes().hex(), "count": out["count"].tolist()}
    print(json.dumps({"devices": jax.device_count(), "runs": runs}))
    """
)


def test_identical_on_one_and_four_devices():
    """An ACU stream per seed gives bit-identical results on 1 and 4 (forced host) devices,
    whole or chunked. One subprocess forces 4 host devices; the 1-device runs use devices[:1]."""
    env = dict(os.environ)
    env["XLA_FLAGS"] = (
        env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
    ).strip()
    env["JAX_PLATFORMS"] = "cpu"
    res = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["devices"] == 4
    runs = out["runs"]
    for suffix in ("", "_vmap"):
        W = {runs[n + suffix]["W"] for n in ("one", "four", "four_chunked", "one_chunked")}
        counts = [runs[n + suffix]["count"] for n in ("one", "four", "four_chunked", "one_chunked")]
        assert len(W) == 1 and all(c == counts[0] for c in counts)
    assert runs["one"]["count"] == [270] * 6
