"""Shared machinery of the lab (no paper code): sweep, stats, results, plotting, checks, cli, claims,
optim."""

from unlearnlab.lab import checks, claims, optim, results, stats, sweep
from unlearnlab.lab.claims import Claim, all_claims, claim_result
from unlearnlab.lab.optim import scan_minimize
from unlearnlab.lab.sweep import run_grid, run_seeds, seed_keys

__all__ = [
    "checks",
    "claims",
    "optim",
    "results",
    "stats",
    "sweep",
    "Claim",
    "all_claims",
    "claim_result",
    "run_grid",
    "run_seeds",
    "scan_minimize",
    "seed_keys",
]
