"""Ratio benchmarks: the lab against the implementations users would otherwise pick.

Each ``benchmarks/<topic>.py`` exposes ``run(quick: bool) -> list[dict]``; ``python -m benchmarks``
runs them all in one process and writes ``benchmarks/RESULTS.md`` and ``benchmarks/results.json``.
A row: ``{"benchmark", "case", "ours_s", "ref_s", "ref", "ratio" (ref/ours), "goal" (or None),
"compile_s" (or None), "cpu_ratio" (or None), "notes"}``.
"""
