"""Helpers for the ``measured(saved)`` functions of the experiments: the generated blocks of the
theory notes (``<!-- measured:begin NAME -->`` ... ``<!-- measured:end -->``), rendered from the
saved JSON by ``python -m experiments report``.

Every number in a block comes from ``saved`` (the dict stored in ``paper_figures/<name>.json``),
formatted deterministically, so that re-rendering the committed JSON changes nothing.
"""

from __future__ import annotations

import math

import numpy as np


def restore(saved: dict) -> dict:
    """``saved`` with its tagged arrays turned back into NumPy arrays (a no-op if already restored)."""
    from unlearnlab.lab.results import from_jsonable

    return from_jsonable(saved)


def g(x, n: int = 2) -> str:
    """``x`` with ``n`` significant digits: ``0.085``, ``492``, ``2.6e-9`` (compact exponent)."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    if 1e-3 <= abs(x) < 1e5:
        s = f"{x:.{n}g}"
        if "e" not in s:
            return s
        x = float(s)
        return f"{x:.0f}" if abs(x) >= 1 else s
    m, e = f"{x:.{n - 1}e}".split("e")
    return f"{m}e{int(e)}"


def f(x, d: int = 2) -> str:
    """``x`` with ``d`` decimals."""
    return f"{float(x):.{d}f}"


def pct(x, d: int = 0) -> str:
    """A fraction as a percentage: ``0.953 -> 95%``."""
    return f"{100 * float(x):.{d}f}%"


def secs(saved: dict, key: str = "total_s") -> str:
    """A run time of the manifest, in seconds (``57.5 s``)."""
    t = saved["manifest"]["timings"].get(key)
    return "?" if t is None else f"{float(t):.1f} s"


def run_line(saved: dict) -> str:
    """One sentence: where and when the committed JSON was computed, and how long it took."""
    m = saved["manifest"]
    t = m.get("timings", {})
    parts = [f"{float(t['total_s']):.1f} s wall"] if "total_s" in t else []
    if "compile_s" in t:
        parts.append(f"{float(t['compile_s']):.1f} s of it compile")
    return (
        f"Default run of `{saved['name']}` ({m.get('backend', '?')}, "
        f"{m.get('machine', {}).get('cpu_count', '?')} CPU cores, x64={m.get('x64')}; computed "
        f"{m.get('utc', '?')} at git {str(m.get('git_sha'))[:8]}): " + ", ".join(parts) + "."
    )


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def arr(x) -> np.ndarray:
    return np.asarray(x, dtype=float)
