"""Run manifests, config hashes, atomic writes and a resumable stage cache.

Experiments write one JSON per figure holding every plotted number and a manifest (config, git sha,
package versions, backend, device count, x64 flag, compile and run time). Intermediate results are
kept in a :class:`StageCache` keyed by the config hash, so an interrupted experiment resumes from
what it finished and a finished one is not recomputed unless forced.

This module does I/O on purpose: it is lab machinery, used by experiment entry points, never by the
math in the family subpackages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jax
import numpy as np

__all__ = [
    "config_dict",
    "config_hash",
    "manifest",
    "to_jsonable",
    "from_jsonable",
    "atomic_write_json",
    "atomic_write_bytes",
    "atomic_write_npz",
    "load_json",
    "StageCache",
    "Timer",
    "time_call",
]

_PACKAGES = (
    "jax",
    "jaxlib",
    "numpy",
    "flax",
    "optax",
    "chex",
    "numpyro",
    "matplotlib",
    "scipy",
    "scikit-learn",
)


def config_dict(config) -> dict:
    """A frozen dataclass config (or a dict) as a plain dict."""
    if dataclasses.is_dataclass(config):
        return dataclasses.asdict(config)
    if isinstance(config, dict):
        return dict(config)
    raise ValueError(f"`config` must be a dataclass or a dict; got {type(config).__name__}.")


def config_hash(config) -> str:
    """A short, stable hash of a config (sorted JSON of its fields)."""
    blob = json.dumps(to_jsonable(config_dict(config)), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def code_version(*extra_files) -> str:
    """A short hash of the library's source (every ``unlearnlab/**/*.py``) and of ``extra_files``
    (e.g. the experiment module): the "code version" part of a result-cache key."""
    import unlearnlab

    root = Path(unlearnlab.__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")) + [Path(f) for f in extra_files]:
        h.update(str(path.relative_to(root) if path.is_relative_to(root) else path.name).encode())
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]


def _git(*args) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _versions() -> dict:
    v = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            v[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return v


def manifest(config=None, *, timings: dict | None = None, name: str | None = None) -> dict:
    """Everything needed to say how a result was produced.

    Fields: name, config and its hash, git sha and dirty flag, package versions, backend, device
    count and kinds, whether x64 is on, the machine, a UTC timestamp and the timings (seconds).
    """
    devices = jax.devices()
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "name": name,
        "config": to_jsonable(config_dict(config)) if config is not None else None,
        "config_hash": config_hash(config) if config is not None else None,
        "git_sha": _git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        "versions": _versions(),
        "backend": jax.default_backend(),
        "device_count": len(devices),
        "device_kinds": sorted({d.device_kind for d in devices}),
        "x64": bool(jax.config.jax_enable_x64),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cpu_count": os.cpu_count(),
        },
        "argv": sys.argv[1:],
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "timings": to_jsonable(timings or {}),
    }


def to_jsonable(obj: Any) -> Any:
    """Convert arrays, NumPy scalars, dataclasses and tuples to JSON types.

    Arrays become ``{"__ndarray__": nested lists, "dtype": str}`` so :func:`from_jsonable` can
    restore them exactly (float64 values round-trip through ``repr``); non-finite floats become
    ``None`` in plain lists, and ``"nan"``/``"inf"`` strings inside tagged arrays.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (jax.Array, np.ndarray)):
        arr = np.asarray(obj)
        if arr.dtype.kind == "f":
            data = _replace_nonfinite(arr.astype(float).tolist())
        else:
            data = arr.tolist()
        return {"__ndarray__": data, "dtype": str(arr.dtype), "shape": list(arr.shape)}
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _replace_nonfinite(data):
    if isinstance(data, list):
        return [_replace_nonfinite(v) for v in data]
    if isinstance(data, float) and not math.isfinite(data):
        return "nan" if math.isnan(data) else ("inf" if data > 0 else "-inf")
    return data


def _restore_nonfinite(data):
    if isinstance(data, list):
        return [_restore_nonfinite(v) for v in data]
    if isinstance(data, str):
        return float(data)
    return data


def from_jsonable(obj: Any) -> Any:
    """Inverse of :func:`to_jsonable` for tagged arrays (other values are returned as they are)."""
    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            data = _restore_nonfinite(obj["__ndarray__"])
            return np.asarray(data, dtype=obj["dtype"]).reshape(obj["shape"])
        return {k: from_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_jsonable(v) for v in obj]
    return obj


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def atomic_write_json(path: str | os.PathLike, obj: Any, *, indent: int | None = 1) -> Path:
    """Write ``obj`` (converted with :func:`to_jsonable`) as JSON, atomically."""
    text = json.dumps(to_jsonable(obj), indent=indent, sort_keys=False, allow_nan=False)
    return atomic_write_bytes(path, (text + "\n").encode())


def atomic_write_npz(path: str | os.PathLike, **arrays) -> Path:
    """Write arrays to an ``.npz`` file atomically."""
    import io

    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return atomic_write_bytes(path, buf.getvalue())


def load_json(path: str | os.PathLike, *, restore_arrays: bool = False) -> Any:
    """Read a JSON file; with ``restore_arrays`` tagged arrays come back as NumPy arrays."""
    with open(path) as f:
        obj = json.load(f)
    return from_jsonable(obj) if restore_arrays else obj


class StageCache:
    """A folder of finished stages of one experiment run, keyed by the config hash.

    ``cache.stage("train", fn)`` returns the stored result of stage ``"train"`` if it exists, and
    otherwise calls ``fn()``, stores its (JSON-able, arrays allowed) result atomically and returns
    it. An interrupted experiment therefore resumes after its last finished stage. ``force=True``
    recomputes every stage.
    """

    def __init__(self, root: str | os.PathLike, config, *, force: bool = False, name: str = "run"):
        self.dir = Path(root) / f"{name}-{config_hash(config)}"
        self.force = force

    def path(self, stage: str) -> Path:
        return self.dir / f"{stage}.json"

    def has(self, stage: str) -> bool:
        return not self.force and self.path(stage).exists()

    def stage(self, stage: str, fn: Callable[[], Any]) -> Any:
        p = self.path(stage)
        if self.has(stage):
            return load_json(p, restore_arrays=True)
        value = fn()
        atomic_write_json(p, value, indent=None)
        return from_jsonable(to_jsonable(value))


class Timer:
    """Accumulates named wall-clock and CPU times: ``with timer("run"): ...``."""

    def __init__(self):
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - w0
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - c0

    def as_dict(self) -> dict:
        return {
            **{f"{k}_s": v for k, v in self.wall.items()},
            **{f"{k}_cpu_s": v for k, v in self.cpu.items()},
        }


def time_call(fn: Callable, *args, repeats: int = 5, **kwargs) -> dict:
    """Time ``fn(*args)``: the first call (compile + run) apart from the median of later runs.

    Uses ``jax.block_until_ready`` so asynchronous dispatch does not hide the work. Returns
    ``{"first_s", "median_s", "min_s", "cpu_median_s", "out"}``.
    """
    t0 = time.perf_counter()
    out = jax.block_until_ready(fn(*args, **kwargs))
    first = time.perf_counter() - t0
    walls, cpus = [], []
    for _ in range(max(repeats, 1)):
        w0, c0 = time.perf_counter(), time.process_time()
        out = jax.block_until_ready(fn(*args, **kwargs))
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return {
        "first_s": first,
        "median_s": float(np.median(walls)),
        "min_s": float(np.min(walls)),
        "cpu_median_s": float(np.median(cpus)),
        "out": out,
    }
