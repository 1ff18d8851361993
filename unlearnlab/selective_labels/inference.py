"""NUTS through numpyro: a wrapper that returns draws with ESS and split-R-hat.

The sampler is ``numpyro.infer.MCMC(numpyro.infer.NUTS(model))``; nothing here is a hand-written
MCMC. :func:`nuts_draws` is the traceable core (usable inside ``jit``/``vmap``, e.g. in the sweep
runner); :func:`run_nuts` adds the numpy-based diagnostics of ``numpyro.diagnostics``.
"""

from __future__ import annotations

import jax
import numpy as np
from numpyro.diagnostics import effective_sample_size, split_gelman_rubin
from numpyro.infer import MCMC, NUTS

from unlearnlab.lab.checks import check_int

__all__ = ["nuts_draws", "run_nuts", "diagnostics"]


def nuts_draws(
    key,
    model,
    data: dict,
    num_warmup: int,
    num_samples: int,
    num_chains: int = 1,
    *,
    chain_method: str = "vectorized",
    target_accept_prob: float = 0.8,
    max_tree_depth: int = 8,
    dense_mass: bool = False,
    extra_fields=("diverging",),
):
    """Run numpyro NUTS and return its draws grouped by chain (traceable: no host-side work).

    Args:
      key: PRNG key. model: a numpyro model whose static options are already bound
        (``functools.partial``). data: keyword data arrays passed to ``MCMC.run``.
      num_warmup, num_samples, num_chains: NUTS sizes.
      chain_method: "vectorized" (default; works under an outer ``vmap``), "sequential" or "parallel".
      target_accept_prob, max_tree_depth, dense_mass: NUTS settings.
      extra_fields: extra per-draw fields to collect (e.g. "diverging", "num_steps").

    Returns:
      ``(samples, extra)``: dicts of arrays with leading axes (num_chains, num_samples).
    """
    kernel = NUTS(
        model,
        target_accept_prob=target_accept_prob,
        max_tree_depth=max_tree_depth,
        dense_mass=dense_mass,
    )
    mcmc = MCMC(
        kernel,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method=chain_method,
        progress_bar=False,
        jit_model_args=True,
    )
    mcmc.run(key, **data, extra_fields=tuple(extra_fields))
    return mcmc.get_samples(group_by_chain=True), mcmc.get_extra_fields(group_by_chain=True)


def diagnostics(samples: dict) -> dict:
    """ESS and split-R-hat (``numpyro.diagnostics``) of every site; draws shaped (chains, draws, ...)."""
    out = {}
    for name, x in samples.items():
        x = np.asarray(x)
        with np.errstate(invalid="ignore", divide="ignore"):  # constant sites (masked) give NaN
            ess = effective_sample_size(x)
            rhat = split_gelman_rubin(x) if x.shape[0] > 1 else np.full(x.shape[2:], np.nan)
        out[name] = {"ess": np.asarray(ess), "r_hat": np.asarray(rhat)}
    return out


def run_nuts(
    key,
    model,
    data: dict,
    num_warmup: int,
    num_samples: int,
    num_chains: int = 2,
    *,
    chain_method: str | None = None,
    **kwargs,
) -> dict:
    """numpyro NUTS with diagnostics.

    Args:
      key: PRNG key. model: numpyro model with static options bound. data: dict of data arrays.
      num_warmup, num_samples, num_chains: sizes (>= 1; R-hat needs >= 2 chains).
      chain_method: default "sequential" on CPU and "vectorized" on an accelerator.
      **kwargs: passed to :func:`nuts_draws` (``target_accept_prob``, ``max_tree_depth``).

    Returns:
      dict with ``samples`` (site -> (chains, draws, ...)), ``diverging`` (chains, draws) bool,
      ``diagnostics`` (site -> {"ess", "r_hat"}).
    """
    check_int("num_warmup", num_warmup, min_value=1)
    check_int("num_samples", num_samples, min_value=2)
    check_int("num_chains", num_chains, min_value=1)
    if chain_method is None:
        chain_method = "sequential" if jax.default_backend() == "cpu" else "vectorized"
    samples, extra = nuts_draws(
        key, model, data, num_warmup, num_samples, num_chains, chain_method=chain_method, **kwargs
    )
    samples = {k: np.asarray(v) for k, v in samples.items()}
    return {
        "samples": samples,
        "diverging": np.asarray(extra["diverging"]),
        "diagnostics": diagnostics(samples),
    }
