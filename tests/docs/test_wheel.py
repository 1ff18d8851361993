"""The wheel ships the library only, installs in a fresh virtual environment and works there.

Builds the wheel with pip (an isolated build: the build backend comes from the package index),
checks its contents and metadata, installs it with ``--no-deps`` into a new virtual environment
whose dependencies (jax, flax, ...) are borrowed read-only from the running environment through a
path entry (so the test needs no download of jax), and then, in a subprocess started in an empty
folder with ``python -I`` (no current directory, no PYTHONPATH, no user site on ``sys.path``):
imports ``unlearnlab`` from the new environment, imports every subpackage, checks that
``experiments`` and ``benchmarks`` are not importable, and runs one valid call per family taken
from the contract cases (``tests/contract/cases_*.py``), so a new family is exercised without an
edit here. About a minute, most of it the isolated build and JAX compiles: ``slow``.
"""

from __future__ import annotations

import importlib
import json
import pickle
import re
import subprocess
import sys
import sysconfig
import zipfile

import jax
import numpy as np
import pytest

import unlearnlab
from tests.docs._api import ROOT, docs_module

CHILD = r"""
import importlib, importlib.util, json, math, pickle, pkgutil, sys
import jax
jax.config.update("jax_enable_x64", True)
import numpy as np
import unlearnlab
venv = sys.argv[1]
out = {"file": unlearnlab.__file__, "version": unlearnlab.__version__, "in_venv":
       unlearnlab.__file__.startswith(venv), "sys_path": sys.path}
out["families"] = sorted(i.name for i in pkgutil.iter_modules(unlearnlab.__path__)
                         if i.ispkg and not i.name.startswith("_"))
for fam in out["families"]:
    importlib.import_module(f"unlearnlab.{fam}")
out["experiments_importable"] = importlib.util.find_spec("experiments") is not None
out["benchmarks_importable"] = importlib.util.find_spec("benchmarks") is not None
calls = pickle.load(open(sys.argv[2], "rb"))
results = {}
for name, kwargs in calls:
    kwargs = {k: jax.random.wrap_key_data(v[1]) if isinstance(v, tuple) and len(v) == 2
              and isinstance(v[0], str) and v[0] == "__typed_key__" else v for k, v in kwargs.items()}
    mod, attr = name.rsplit(".", 1)
    try:
        res = getattr(importlib.import_module(mod), attr)(**kwargs)
        leaves = [np.asarray(x) for x in jax.tree.leaves(res)
                  if isinstance(x, (np.ndarray, jax.Array, float, int)) and not isinstance(x, bool)]
        finite = all(np.all(np.isfinite(x)) for x in leaves if np.issubdtype(x.dtype, np.number))
        results[name] = "ok" if finite else "non-finite output"
    except Exception as e:  # reported to the parent
        results[name] = f"{type(e).__name__}: {e}"[:300]
out["calls"] = results
print("RESULT " + json.dumps(out))
"""


def _plain(v):
    """A contract-case argument as plain NumPy/Python data (a typed key travels as its key data)."""
    if isinstance(v, jax.Array):
        if jax.dtypes.issubdtype(v.dtype, jax.dtypes.prng_key):
            return ("__typed_key__", np.asarray(jax.random.key_data(v)))
        return np.asarray(v)
    return v


_RNG = np.random.default_rng(0)
#: a valid call for a family whose contract cases are still to be written (known_gaps.py)
FALLBACK = {
    "fewshot": (
        "unlearnlab.fewshot.gem_run",
        lambda: dict(
            z_s=_RNG.normal(size=(4, 3)),
            y_s=np.array([0, 0, 1, 1]),
            z_q=_RNG.normal(size=(6, 3)),
            n_classes=2,
            lam=1.0,
            T=1.0,
            n_iter=3,
        ),
    ),
}


def _calls() -> tuple[list, set[str]]:
    """One picklable valid call per family from the contract cases (families without one: set)."""
    from tests.contract.test_contract import CASES

    families = {f for f in docs_module().subpackages()}
    chosen, calls = set(), []
    for name, case in CASES.items():
        fam = name.split(".")[1]
        if fam in chosen or fam not in families:
            continue
        try:
            kwargs = {k: _plain(v) for k, v in case.make().items()}
            blob = pickle.dumps((name, kwargs))
            size = sum(np.size(v) for v in jax.tree.leaves(kwargs) if isinstance(v, np.ndarray))
        except Exception:  # noqa: BLE001 - a case that cannot travel is skipped
            continue
        if size > 200_000 or callable_in(kwargs):
            continue
        pickle.loads(blob)
        calls.append((name, kwargs))
        chosen.add(fam)
    for fam, (name, make) in FALLBACK.items():
        if fam in families - chosen:
            calls.append((name, make()))
            chosen.add(fam)
    return calls, families - chosen


def callable_in(kwargs) -> bool:
    return any(callable(v) and not isinstance(v, (np.ndarray, type)) for v in kwargs.values())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    (whl,) = out.glob("unlearnlab-*.whl")
    return whl, res.stdout + res.stderr


@pytest.mark.slow
def test_wheel_contents_and_metadata(wheel):
    whl, log = wheel
    assert not re.search(r"(SetuptoolsDeprecationWarning|DeprecationWarning: .*licen)", log), [
        line for line in log.splitlines() if "eprecat" in line
    ][:10]
    names = zipfile.ZipFile(whl).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"unlearnlab", f"unlearnlab-{unlearnlab.__version__}.dist-info"}, top
    # the data and its licence ship inside the package; the project's licence in the metadata
    for data in (ROOT / "unlearnlab" / "datasets" / "data").rglob("*"):
        if data.is_file():
            assert data.relative_to(ROOT).as_posix() in names, data
    assert f"unlearnlab-{unlearnlab.__version__}.dist-info/licenses/LICENSE" in names
    meta = zipfile.ZipFile(whl).read(f"unlearnlab-{unlearnlab.__version__}.dist-info/METADATA")
    meta = meta.decode()
    assert "License-Expression: Apache-2.0" in meta
    assert f"Version: {unlearnlab.__version__}" in meta
    assert "Provides-Extra: docs" in meta


@pytest.mark.slow
def test_wheel_installs_and_runs_without_the_repository(wheel, tmp_path):
    whl, _ = wheel
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(whl),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # dependencies from this environment; its .pth files (the editable install) are not processed
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (tmp_path / "venv" / purelib.split(str(venv) + "/", 1)[1] / "_deps.pth").write_text(
        "\n".join(sorted(deps)) + "\n"
    )
    calls, without = _calls()
    assert not without, f"families without a contract case to run: {sorted(without)}"
    (tmp_path / "calls.pkl").write_bytes(pickle.dumps(calls))
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    res = subprocess.run(
        [str(py), "-I", "-c", CHILD, str(venv), str(tmp_path / "calls.pkl")],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-4000:]
    out = json.loads(res.stdout.split("RESULT ", 1)[1])
    assert out["in_venv"], out["file"]
    assert not any(p.rstrip("/") == str(ROOT) for p in out["sys_path"]), out["sys_path"]
    assert out["version"] == unlearnlab.__version__
    assert set(out["families"]) == set(docs_module().subpackages())
    assert not out["experiments_importable"] and not out["benchmarks_importable"]
    bad = {k: v for k, v in out["calls"].items() if v != "ok"}
    assert not bad, bad
    assert {k.split(".")[1] for k in out["calls"]} == set(out["families"])
    importlib.invalidate_caches()
