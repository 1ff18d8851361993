"""``python -m experiments [list | all | report | <name> ...]``.

* no argument or ``list``: list every experiment with its one-line description;
* ``all [--jobs J] [flags]``: run every experiment (flags such as ``--quick`` or ``--force`` are
  passed on), with a progress bar over experiments, then write the report. ``--jobs J > 1`` runs
  ``J`` experiments at a time, each in its own process (longest first, by the wall time its saved
  JSON records), so compilation, Python and plotting of one overlap the computation of another on a
  multi-core machine; each experiment's output is printed when it finishes;
* ``report [--check]``: write ``paper_figures/REPORT.md``, the README table and the theory notes'
  measured blocks from the experiments' saved JSON (``--check``: write nothing, exit 1 if stale);
* ``<name> [flags]``: run one experiment (same as ``python -m experiments.<name>``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import experiments


def experiment_names() -> list[str]:
    """Every runnable experiment module (not starting with ``_``)."""
    return sorted(
        m.name
        for m in pkgutil.iter_modules(experiments.__path__)
        if not m.name.startswith("_") and not m.ispkg
    )


def _describe(name: str) -> str:
    mod = importlib.import_module(f"experiments.{name}")
    return (mod.__doc__ or "").strip().splitlines()[0] if mod.__doc__ else ""


def _write_report(argv):
    try:
        report = importlib.import_module("experiments._report")
    except ModuleNotFoundError:
        print("no report module yet")
        return 0
    return report.main(argv) or 0


def _pop_jobs(rest: list[str]) -> tuple[int, list[str]]:
    """Remove ``--jobs J`` / ``--jobs=J`` from the flags; ``J`` must be an integer >= 1."""
    out, jobs, i = [], 1, 0
    while i < len(rest):
        a = rest[i]
        if a == "--jobs" or a.startswith("--jobs="):
            val = a.split("=", 1)[1] if "=" in a else (rest[i + 1] if i + 1 < len(rest) else "")
            i += 1 if "=" in a else 2
            if not val.isdigit() or int(val) < 1:
                raise ValueError(f"`--jobs` must be an integer >= 1; got {val!r}.")
            jobs = int(val)
            continue
        out.append(a)
        i += 1
    return jobs, out


def _recorded_wall_s(name: str) -> float:
    """The wall time (``total_s``) the committed JSON of ``name`` records (0 when there is none)."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "paper_figures" / f"{name}.json"
    try:
        return float(json.loads(path.read_text())["manifest"]["timings"]["total_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def _run_parallel(names, rest, jobs, times, bar) -> list[str]:
    """Run each experiment as ``python -m experiments.<name> <rest>``, ``jobs`` at a time, longest
    first; print each one's output when it ends. Returns the names that failed."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor, as_completed

    def one(n):
        t0 = time.perf_counter()
        p = subprocess.run(
            [sys.executable, "-m", f"experiments.{n}", *rest],
            capture_output=True,
            text=True,
        )
        return n, p, time.perf_counter() - t0

    order = sorted(names, key=_recorded_wall_s, reverse=True)
    failed = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for fut in as_completed([pool.submit(one, n) for n in order]):
            n, p, dt = fut.result()
            times[n] = dt
            bar.update(1)
            bar.set_postfix_str(n)
            sys.stdout.write(p.stdout)
            sys.stderr.write(p.stderr)
            if p.returncode != 0:
                failed.append(n)
    return failed


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    names = experiment_names()
    if not argv or argv[0] in ("list", "-h", "--help"):
        print(
            "experiments (python -m experiments.<name> [--quick] [--seeds N] [--out DIR] "
            "[--force] [--no-plot]):"
        )
        for n in names:
            print(f"  {n:<22} {_describe(n)}")
        print("\n  all                    run every experiment, then write the report")
        print("  report                 write paper_figures/REPORT.md")
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "report":
        return _write_report(rest)
    if cmd == "all":
        from tqdm.auto import tqdm

        jobs, rest = _pop_jobs(rest)
        t_all = time.perf_counter()
        times = {}
        bar = tqdm(names, desc="experiments", unit="exp", disable=not sys.stderr.isatty())
        if jobs > 1:
            failed = _run_parallel(names, rest, jobs, times, bar)
            if failed:
                print(f"failed: {', '.join(failed)}", file=sys.stderr)
                return 1
        else:
            for n in bar:
                bar.set_postfix_str(n)
                t0 = time.perf_counter()
                importlib.import_module(f"experiments.{n}").main(rest)
                times[n] = time.perf_counter() - t0
        total = time.perf_counter() - t_all
        for n, t in times.items():
            print(f"  {n:<22} {t:7.1f} s")
        print(f"all experiments: {total:.1f} s")
        out = [a for a in rest if a.startswith("--out")]
        if "--quick" not in rest and not out:
            _write_report([])
        return 0
    if cmd in names:
        importlib.import_module(f"experiments.{cmd}").main(rest)
        return 0
    print(f"unknown experiment {cmd!r}; known: {', '.join(names)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
