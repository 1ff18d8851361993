"""The common command line of every experiment, and the ``main()`` wrapper that runs one.

Every ``experiments/<name>.py`` is thin: flags -> frozen ``Config`` -> library -> results JSON ->
figure. It calls :func:`experiment_main` with four pieces:

* ``make_config(args) -> Config`` (a frozen dataclass of Python scalars);
* ``compute(config, ctx) -> dict`` returning the plotted numbers, and optionally a ``"claims"``
  dict of :func:`unlearnlab.lab.claims.claim_result` records;
* ``plot(payload) -> matplotlib Figure``, drawn from the saved JSON payload only;
* optionally ``add_flags(parser)`` for experiment-specific flags.

Common flags: ``--quick`` (tiny sizes, seconds; used by the smoke tests), ``--seeds N``,
``--out DIR`` (default ``paper_figures/``; ``paper_figures/_quick/`` with ``--quick`` so quick runs
never overwrite committed figures), ``--force`` (recompute even if the JSON for this config is
there), ``--no-plot``.

The entry point turns on float64 (``jax_enable_x64``): the library never does, experiments and tests
do. A finished run whose JSON matches the config hash is not recomputed; stages and sweep chunks of
an interrupted run are resumed from ``<out>/.cache/``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RunContext", "common_parser", "experiment_main"]


@dataclass
class RunContext:
    """What ``compute`` gets besides the config: where to cache, and how to report."""

    name: str
    out_dir: Path
    cache_dir: Path
    force: bool
    quick: bool
    progress: bool
    timings: dict = field(default_factory=dict)

    def stage_cache(self, config):
        from unlearnlab.lab.results import StageCache

        return StageCache(self.cache_dir, config, force=self.force, name=self.name)

    def sweep_kwargs(self, config, tag: str = "sweep") -> dict:
        """Keyword arguments for :func:`unlearnlab.lab.sweep.run_seeds`: cache, progress, timings."""
        from unlearnlab.lab.results import config_hash

        if self.force:
            import shutil

            shutil.rmtree(self.cache_dir / "chunks" / tag, ignore_errors=True)
        return {
            "cache_dir": self.cache_dir / "chunks" / tag,
            "cache_key": f"{self.name}-{config_hash(config)}",
            "progress": self.progress,
            "desc": f"{self.name}:{tag}",
            "timings": self.timings,
        }


def common_parser(name: str, description: str) -> argparse.ArgumentParser:
    """The flags every experiment accepts: ``--quick``, ``--seeds``, ``--out``, ``--force``,
    ``--recompute``, ``--no-plot``, ``--progress``.

    Args:
      name: the experiment's module name (``python -m experiments.<name>``).
      description: the parser's description (the experiment's one-line summary).

    Returns:
      An :class:`argparse.ArgumentParser` to which the experiment may add its own flags.
    """
    p = argparse.ArgumentParser(prog=f"python -m experiments.{name}", description=description)
    p.add_argument("--quick", action="store_true", help="tiny sizes (seconds); used by smoke tests")
    p.add_argument(
        "--seeds", type=int, default=None, help="number of seeds (default: per experiment)"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default paper_figures/, or paper_figures/_quick/ with --quick)",
    )
    p.add_argument("--force", action="store_true", help="recompute even if cached results exist")
    p.add_argument(
        "--recompute",
        action="store_true",
        help="do not trust the saved JSON: reuse a result only if this machine computed it for the "
        "same config and code version (a stamp in <out>/.cache/); `make figures` uses this",
    )
    p.add_argument("--no-plot", action="store_true", help="compute and save JSON, draw no figure")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars (default: when stderr is a terminal)",
    )
    return p


def experiment_main(
    *,
    name: str,
    description: str,
    make_config: Callable[[argparse.Namespace], Any],
    compute: Callable[[Any, RunContext], dict],
    plot: Callable[[dict], Any] | None,
    argv: list[str] | None = None,
    add_flags: Callable[[argparse.ArgumentParser], None] | None = None,
) -> dict:
    """Parse flags, compute (or load) results, write ``<out>/<name>.json`` and the figure.

    Returns the payload written to JSON: ``{"name", "config", "data", "claims", "manifest"}``.
    """
    import sys

    import jax

    jax.config.update("jax_enable_x64", True)

    from unlearnlab.lab import results as res
    from unlearnlab.lab.plotting import save_figure

    parser = common_parser(name, description)
    if add_flags is not None:
        add_flags(parser)
    args = parser.parse_args(argv)
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds must be >= 1")
    out = (
        args.out
        if args.out is not None
        else Path("paper_figures") / ("_quick" if args.quick else "")
    )
    out = Path(out)
    config = make_config(args)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    module = sys.modules.get(make_config.__module__)
    extra = [module.__file__] if module is not None and getattr(module, "__file__", None) else []
    code = res.code_version(*extra)  # stage and chunk caches are keyed by code version too
    ctx = RunContext(
        name=name,
        out_dir=out,
        cache_dir=out / ".cache" / name / code,
        force=args.force,
        quick=args.quick,
        progress=progress,
    )

    json_path = out / f"{name}.json"
    h = res.config_hash(config)
    stamp = ctx.cache_dir / f"done-{h}" if args.recompute else None
    payload = None
    trusted = stamp is None or stamp.exists()
    if json_path.exists() and not args.force and trusted:
        old = res.load_json(json_path, restore_arrays=True)
        if old.get("manifest", {}).get("config_hash") == h:
            payload = old
            print(f"[{name}] results for config {h} are up to date: {json_path} (use --force)")
    if payload is None:
        t0 = time.perf_counter()
        c0 = time.process_time()
        data = compute(config, ctx)
        wall = time.perf_counter() - t0
        claims = data.pop("claims", {}) if isinstance(data, dict) else {}
        timings = {**ctx.timings, "total_s": wall, "total_cpu_s": time.process_time() - c0}
        payload = {
            "name": name,
            "config": res.config_dict(config),
            "data": data,
            "claims": claims,
            "manifest": res.manifest(config, timings=timings, name=name),
        }
        res.atomic_write_json(json_path, payload)
        payload = res.load_json(json_path, restore_arrays=True)
        print(f"[{name}] wrote {json_path} in {wall:.1f} s")
        if stamp is not None:
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text(json_path.name)
    if plot is not None and not args.no_plot:
        fig = plot(payload)
        png, pdf = save_figure(fig, out / name)
        print(f"[{name}] wrote {png} and {pdf}")
    return payload
