"""NUTS through numpyro: a wrapper that returns draws with ESS and split-R-hat.

The sampler is ``numpyro.infer.MCMC(numpyro.infer.NUTS(model))``; nothing here is a hand-written
MCMC. :func:`nuts_draws` is the traceable core (usable inside ``jit``/``vmap``, e.g. in the sweep
runner); :func:`run_nuts` adds the numpy-based diagnostics of ``numpyro.diagnostics``.
"""

from __future__ import annotations

from functools import partial

import jax
import numpy as np
from numpyro.diagnostics import effective_sample_size, split_gelman_rubin
from numpyro.infer import MCMC, NUTS

from unlearnlab.lab.checks import check_choice, check_int, check_probability, check_tree_finite

CHAIN_METHODS = ("sequential", "parallel", "vectorized")

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

    Raises:
      ValueError: ``data`` with a NaN/inf leaf (concrete leaves only); a size below 1; unknown
        ``chain_method``; ``target_accept_prob`` outside (0, 1).
    """
    check_tree_finite("data", data)
    check_int("num_warmup", num_warmup, min_value=1)
    check_int("num_samples", num_samples, min_value=1)
    check_int("num_chains", num_chains, min_value=1)
    check_int("max_tree_depth", max_tree_depth, min_value=1)
    check_choice("chain_method", chain_method, CHAIN_METHODS)
    check_probability("target_accept_prob", target_accept_prob, open_interval=True)
    # one compiled program: numpyro's set-up (initial point, adaptation state) otherwise runs op
    # by op; the model and the settings are static (a list-valued dense_mass travels as a tuple)
    if isinstance(dense_mass, list):
        dense_mass = ("list", tuple(tuple(g) for g in dense_mass))
    config = (
        model,
        num_warmup,
        num_samples,
        num_chains,
        chain_method,
        max_tree_depth,
        dense_mass,
        tuple(extra_fields),
    )
    return _nuts_draws(key, data, target_accept_prob, config)


@partial(jax.jit, static_argnums=3)
def _nuts_draws(key, data, target_accept_prob, config):
    model, num_warmup, num_samples, num_chains, chain_method = config[:5]
    max_tree_depth, dense_mass, extra_fields = config[5:]
    if isinstance(dense_mass, tuple):
        dense_mass = list(dense_mass[1])
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
    mcmc.run(key, **data, extra_fields=extra_fields)
    return mcmc.get_samples(group_by_chain=True), mcmc.get_extra_fields(group_by_chain=True)


def diagnostics(samples: dict) -> dict:
    """ESS and split-R-hat (``numpyro.diagnostics``) of every site; draws shaped (chains, draws, ...).

    R-hat is NaN by definition with one chain, and ESS/R-hat are NaN for a constant (masked) site.

    Raises:
      ValueError: ``samples`` empty, not a dict, with a NaN/inf draw, or a site not shaped
        (chains, draws >= 2, ...), draws >= 4 with several chains (split R-hat).
    """
    if not isinstance(samples, dict) or not samples:
        raise ValueError("`samples` must be a non-empty dict site -> (chains, draws, ...) array.")
    check_tree_finite("samples", samples)
    for name, x in samples.items():
        # split R-hat halves each chain: 4 draws at least when there are several chains
        need = 4 if np.ndim(x) >= 2 and np.shape(x)[0] > 1 else 2
        if np.ndim(x) < 2 or np.shape(x)[1] < need:
            raise ValueError(
                f"`samples['{name}']` must be shaped (chains, draws >= {need}, ...); "
                f"got {np.shape(x)}."
            )
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
      ``diagnostics`` (site -> {"ess", "r_hat"}; R-hat is NaN with one chain).

    Raises:
      ValueError: as :func:`nuts_draws`; ``num_samples`` < 2 (< 4 with several chains: split R-hat).
    """
    check_tree_finite("data", data)
    if chain_method is not None:
        check_choice("chain_method", chain_method, CHAIN_METHODS)
    check_int("num_warmup", num_warmup, min_value=1)
    check_int("num_samples", num_samples, min_value=2)
    check_int("num_chains", num_chains, min_value=1)
    if num_chains > 1:
        check_int("num_samples", num_samples, min_value=4)
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
