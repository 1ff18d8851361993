"""``python -m experiments [list | all | report | <name> ...]``.

* no argument or ``list``: list every experiment with its one-line description;
* ``all [flags]``: run every experiment (flags such as ``--quick`` or ``--force`` are passed on),
  with a progress bar over experiments, then write the report;
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

        t_all = time.perf_counter()
        times = {}
        bar = tqdm(names, desc="experiments", unit="exp", disable=not sys.stderr.isatty())
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
