"""Bad-input contract harness: one valid call per public function, malformed calls derived from it.

A case file ``tests/contract/cases_<family>.py`` defines ``CASES`` (a list of :class:`Case`) and
``EXEMPT`` (public name -> reason). For each keyword argument of the valid call the harness derives:

- float arrays (ndim >= 1): ``"nan"``, ``"inf"`` (one entry), ``"rank"`` (one extra leading axis),
  ``"empty"`` (size 0 on axis 0);
- float scalars: ``"nan"``, ``"inf"``;
- integer arrays: ``"oob"`` (one entry set to 10**6), ``"neg"`` (one entry set to -1);
- pytrees (dict / NamedTuple / dataclass holding arrays): ``"nan"`` in each float leaf;
- keys, callables, strings, bools and Python ints: nothing automatic (use ``bad=``).

``ok={"arg": ("rank", ...)}`` removes automatic mutations that are valid for that argument;
``bad={"arg": [v1, v2]}`` adds malformed values. Every malformed call must raise ``ValueError`` whose
message contains the argument's name; the valid call must succeed with finite outputs.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

OUTCOMES = ("named", "silent_nan", "no_error", "other_exception", "unnamed")


@dataclasses.dataclass
class Case:
    name: str  # dotted public name, e.g. "unlearnlab.calibration.ece"
    make: Callable[[], dict]  # returns ALL arguments by keyword
    bad: dict[str, list] | None = None
    ok: dict[str, tuple] | None = None


def resolve(name: str):
    mod, attr = name.rsplit(".", 1)
    return getattr(importlib.import_module(mod), attr)


def _is_key(name: str, v) -> bool:
    if name in ("key", "rng", "keys", "rng_key"):
        return True
    dt = getattr(v, "dtype", None)
    return dt is not None and jax.dtypes.issubdtype(dt, jax.dtypes.prng_key)


def _is_tree(v) -> bool:
    return (
        isinstance(v, dict)
        or (isinstance(v, tuple) and hasattr(v, "_fields"))
        or (dataclasses.is_dataclass(v) and not isinstance(v, type))
        or (isinstance(v, (list, tuple)) and any(isinstance(x, (np.ndarray, jax.Array)) for x in v))
    )


def _set_one(arr, value):
    a = np.array(arr, copy=True)
    a.reshape(-1)[0] = value
    return a


def _float_leaf_paths(tree):
    leaves, treedef = jax.tree_util.tree_flatten_with_path(tree)
    out = []
    for i, (path, leaf) in enumerate(leaves):
        if isinstance(leaf, (bool, str)) or leaf is None:
            continue
        if isinstance(leaf, float) or (
            hasattr(leaf, "dtype") and np.asarray(leaf).dtype.kind == "f" and np.size(leaf) > 0
        ):
            out.append((i, jax.tree_util.keystr(path)))
    return [leaf for _, leaf in leaves], treedef, out


def automatic(arg: str, v) -> list[tuple[str, Any]]:
    """The automatic malformed values of one argument: list of (label, value)."""
    if _is_key(arg, v) or callable(v) or isinstance(v, (str, bool, int)) or v is None:
        return []
    if isinstance(v, float):
        return [("nan", float("nan")), ("inf", float("inf"))]
    if isinstance(v, (np.ndarray, jax.Array, np.generic)):
        a = np.asarray(v)
        if a.dtype.kind == "f":
            if a.ndim == 0:
                return [("nan", np.asarray(np.nan, a.dtype)), ("inf", np.asarray(np.inf, a.dtype))]
            out = [("nan", _set_one(a, np.nan)), ("inf", _set_one(a, np.inf)), ("rank", a[None])]
            out.append(("empty", np.zeros((0,) + a.shape[1:], a.dtype)))
            return out
        if a.dtype.kind in "iu" and a.ndim >= 1 and a.size > 0:
            return [("oob", _set_one(a, 10**6)), ("neg", _set_one(a, -1))]
        return []
    if _is_tree(v):
        leaves, treedef, paths = _float_leaf_paths(v)
        out = []
        for i, p in paths:
            new = list(leaves)
            x = leaves[i]
            new[i] = (
                float("nan")
                if isinstance(x, float)
                else _set_one(x, np.nan).astype(np.asarray(x).dtype)
            )
            out.append((f"nan{p}", jax.tree_util.tree_unflatten(treedef, [l for l in new])))
        return out
    return []


def malformed(case: Case, kwargs: dict) -> list[tuple[str, str, dict]]:
    """All malformed calls of a case: list of (argument, label, kwargs)."""
    ok = case.ok or {}
    calls = []
    for arg, v in kwargs.items():
        for label, bad_v in automatic(arg, v):
            if label.split("[")[0].split(".")[0] in ok.get(arg, ()) or label in ok.get(arg, ()):
                continue
            calls.append((arg, label, {**kwargs, arg: bad_v}))
    for arg, values in (case.bad or {}).items():
        if arg not in kwargs:
            raise KeyError(f"{case.name}: bad= names `{arg}`, not an argument of the valid call")
        for j, bad_v in enumerate(values):
            calls.append((arg, f"bad[{j}]={bad_v!r}"[:60], {**kwargs, arg: bad_v}))
    return calls


def all_finite(out) -> bool:
    for leaf in jax.tree_util.tree_leaves(out):
        try:
            a = np.asarray(leaf)
        except Exception:  # opaque objects (modules, callables)
            continue
        if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
            return False
    return True


def _block(out):
    return jax.tree_util.tree_map(
        lambda x: x.block_until_ready() if hasattr(x, "block_until_ready") else x, out
    )


def classify(fn, arg: str, kwargs: dict) -> tuple[str, str]:
    """Run one malformed call; return (outcome, detail)."""
    try:
        out = _block(fn(**kwargs))
    except ValueError as e:
        msg = str(e)
        return ("named", msg) if arg in msg else ("unnamed", msg[:200])
    except Exception as e:  # noqa: BLE001 - the contract counts every other type
        return "other_exception", f"{type(e).__name__}: {str(e)[:160]}"
    if not all_finite(out):
        return "silent_nan", "returned NaN/inf"
    return "no_error", "returned a finite value"


def run_case(case: Case) -> dict:
    """Valid call, then every malformed call. Returns a dict with the valid outcome and the list."""
    fn = resolve(case.name)
    try:
        out = _block(fn(**case.make()))
        valid = "ok" if all_finite(out) else "valid call returned NaN/inf"
    except Exception as e:  # noqa: BLE001
        valid = f"valid call raised {type(e).__name__}: {str(e)[:200]}"
    results = []
    if valid != "ok":
        return {"valid": valid, "results": results}
    for arg, label, kw in malformed(case, case.make()):
        outcome, detail = classify(fn, arg, kw)
        results.append((arg, label, outcome, detail))
    return {"valid": valid, "results": results}


def exempt_non_functions(package: str) -> dict[str, str]:
    """EXEMPT entries for every public name of ``package`` that is not a function (types, constants,
    submodules, the CLAIMS tuple), each with its kind as the reason."""
    import inspect

    mod = importlib.import_module(package)
    out = {}
    for n in getattr(mod, "__all__", ()):
        obj = getattr(mod, n)
        if inspect.isfunction(obj):
            continue
        kind = (
            "module" if inspect.ismodule(obj) else "type" if isinstance(obj, type) else "constant"
        )
        out[f"{package}.{n}"] = f"{kind} ({type(obj).__name__}), not a function"
    return out
