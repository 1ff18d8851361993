"""Simulation-based calibration (SBC) of the selective-labels model, and its identified scale.

SBC (Talts, Betancourt, Simpson, Vehtari & Gelman 2018, arXiv 1804.06788) checks a Bayesian model
and its sampler together. Draw :math:`\\tilde\\theta\\sim p(\\theta)` from the model's own prior,
simulate :math:`\\tilde y\\sim p(y\\mid\\tilde\\theta)`, draw :math:`\\theta_1..\\theta_L` from the
posterior :math:`p(\\theta\\mid\\tilde y)` and record the rank
:math:`r=\\#\\{l:\\theta_l<\\tilde\\theta\\}`. If the sampler draws from the exact posterior, then by
the self-consistency of the joint :math:`p(\\theta)p(y\\mid\\theta)=p(y)p(\\theta\\mid y)`

.. math::

    r \\sim \\mathrm{Uniform}\\{0, 1, \\dots, L\\}

for every scalar component, and every central :math:`1-a` posterior interval covers
:math:`\\tilde\\theta` with probability :math:`1-a` *averaged over the prior*. A U-shaped or humped
rank histogram, or a coverage off its binomial band, means the sampler (or the model code used to
simulate) is wrong. SBC says nothing about coverage at one fixed parameter outside the prior's typical
set; :func:`attenuated_coefficients` gives the scale the binary outcomes identify there.

The prior draw uses :class:`numpyro.infer.Predictive` on the *same* model that is fitted
(:func:`unlearnlab.selective_labels.numpyro_model`), so the simulated parameters and the fitted prior
cannot disagree; the data are then simulated by
:func:`unlearnlab.selective_labels.simulate_selective_labels`. The prevalence constraint is a soft
factor on a data-derived target, not part of a generative prior, so it has no SBC; the unconstrained
model and the expertise constraint (a restriction of the prior's support) do.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaincc
from numpyro.infer import Predictive

from unlearnlab.lab.checks import check_array, check_int, check_positive, check_probability
from unlearnlab.selective_labels.inference import nuts_draws
from unlearnlab.selective_labels.model import numpyro_model
from unlearnlab.selective_labels.simulate import simulate_selective_labels

__all__ = [
    "sbc_parameter_names",
    "sbc_replicate",
    "sbc_ranks",
    "sbc_summary",
    "attenuated_coefficients",
]

#: probit approximation of the logistic-normal integral: E sig(a + Z) ~ sig(a / sqrt(1 + c s^2))
PROBIT_C = np.pi / 8.0


def _mask_or_none(expertise_mask, M):
    if expertise_mask is None:
        return None
    mask = np.asarray(expertise_mask)
    if mask.shape != (M,) or mask.dtype != bool:
        raise ValueError(
            f"`expertise_mask` must be a bool array of shape ({M},); got {mask.shape}."
        )
    if not mask[0]:
        raise ValueError("`expertise_mask` must leave the intercept (entry 0) free.")
    return mask


def sbc_parameter_names(M: int, expertise_mask=None) -> tuple[str, ...]:
    """Names of the scalar components whose SBC ranks :func:`sbc_replicate` returns, in order.

    Args:
      M: number of features, intercept included (>= 1).
      expertise_mask: ``(M,)`` bool, True where :math:`\\beta_\\Delta` is free, or None (all free).

    Returns:
      ``("beta_Y[0]", ..., "beta_Y[M-1]", "beta_D[j]" for each free j, "sigma")``.

    Raises:
      ValueError: if ``M`` is not a positive integer or the mask has the wrong shape/dtype or fixes
        the intercept.
    """
    M = check_int("M", M, min_value=1)
    mask = _mask_or_none(expertise_mask, M)
    free = range(M) if mask is None else np.flatnonzero(mask)
    return (
        tuple(f"beta_Y[{j}]" for j in range(M)) + tuple(f"beta_D[{j}]" for j in free) + ("sigma",)
    )


def sbc_replicate(
    key,
    N: int,
    M: int,
    *,
    params: dict | None = None,
    expertise_mask=None,
    known_alpha: float = 1.0,
    n_nodes: int = 24,
    num_warmup: int = 300,
    num_samples: int = 396,
    thin: int = 4,
    max_tree_depth: int = 8,
):
    """One SBC replicate: prior draw, simulated dataset, NUTS posterior, ranks of the truth.

    The parameter :math:`\\tilde\\theta=(\\beta_Y,\\beta_{\\Delta,\\mathcal A},\\sigma)` is drawn
    from the prior of :func:`~unlearnlab.selective_labels.numpyro_model` (
    :math:`\\beta\\sim\\mathcal N(0,3^2)`, :math:`\\sigma\\sim\\mathcal N^+(0,3^2)`, :math:`\\alpha`
    known), one dataset of ``N`` people is simulated from it, numpyro NUTS (one chain, dense mass)
    draws ``num_samples`` posterior draws after ``num_warmup``, every ``thin``-th draw is kept
    (:math:`L=\\lceil\\texttt{num\\_samples}/\\texttt{thin}\\rceil`), and the rank of each true
    component among the kept draws is returned. Traceable: ``vmap``/``run_seeds`` over keys.

    With ``params`` given (e.g. from :func:`~unlearnlab.selective_labels.draw_synthetic_params`),
    the data are simulated from those parameters instead of a prior draw: the same posterior
    summaries then measure frequentist coverage at a fixed parameter (no SBC guarantee).

    Args:
      key: PRNG key.
      N: people per dataset (>= 2). M: features incl. intercept (>= 2).
      params: None (draw from the prior: SBC) or a dict with ``beta_Y`` (M,), ``beta_D`` (M,) and
        ``sigma`` () to simulate from.
      expertise_mask: ``(M,)`` bool (True = free) or None (unconstrained model).
      known_alpha: the fixed :math:`\\alpha` (> 0).
      n_nodes: Gauss-Hermite nodes of the marginalised likelihood.
      num_warmup, num_samples, thin, max_tree_depth: NUTS sizes (>= 1).

    Returns:
      dict with ``truth`` (P,), ``ranks`` (P,) int in [0, L], ``post_mean`` (P,), ``post_sd`` (P,),
      ``draws`` (L, P) the kept draws, ``diverging`` () count, ``mean_steps`` () leapfrog steps per
      draw, and ``tested`` () fraction tested; P = ``len(sbc_parameter_names(M, mask))``.

    Raises:
      ValueError: for sizes below their minimum, a non-positive ``known_alpha`` or a bad mask.

    References:
      Talts et al. 2018 (arXiv 1804.06788), Algorithm 1.
    """
    N = check_int("N", N, min_value=2)
    M = check_int("M", M, min_value=2)
    check_positive("known_alpha", known_alpha)
    n_nodes = check_int("n_nodes", n_nodes, min_value=2)
    num_warmup = check_int("num_warmup", num_warmup, min_value=1)
    num_samples = check_int("num_samples", num_samples, min_value=1)
    thin = check_int("thin", thin, min_value=1)
    max_tree_depth = check_int("max_tree_depth", max_tree_depth, min_value=1)
    mask = _mask_or_none(expertise_mask, M)
    if params is not None:
        if not isinstance(params, dict) or not {"beta_Y", "beta_D", "sigma"} <= set(params):
            raise ValueError("`params` must be a dict with 'beta_Y', 'beta_D' and 'sigma'.")
        for k, shape in (("beta_Y", (M,)), ("beta_D", (M,)), ("sigma", ())):
            check_array(f"params['{k}']", params[k])
            if np.shape(params[k]) != shape:
                raise ValueError(
                    f"`params['{k}']` must have shape {shape}; got {np.shape(params[k])}."
                )
        params = {k: jnp.asarray(params[k]) for k in ("beta_Y", "beta_D", "sigma")}
    config = (
        N,
        M,
        None if mask is None else tuple(bool(v) for v in np.asarray(mask)),
        float(known_alpha),
        n_nodes,
        num_warmup,
        num_samples,
        thin,
        max_tree_depth,
    )
    # one compiled program per configuration (run op by op, the set-up alone is ~100 programs)
    return _sbc_replicate(key, params, config)


@functools.partial(jax.jit, static_argnums=2)
def _sbc_replicate(key, params, config):
    N, M, mask, known_alpha, n_nodes, num_warmup, num_samples, thin, max_tree_depth = config
    mask = None if mask is None else np.asarray(mask, bool)
    model = functools.partial(
        numpyro_model, expertise_mask=mask, known_alpha=known_alpha, n_nodes=n_nodes
    )
    k_prior, k_data, k_nuts = jax.random.split(key, 3)
    # the prior sites do not depend on the data: a valid placeholder dataset (nobody tested)
    dummy_X = np.ones((N, M), np.dtype(jnp.result_type(float)))
    if params is None:
        prior = Predictive(model, num_samples=1)(
            k_prior, X=dummy_X, T=np.zeros(N, np.int32), Y=np.full(N, -1, np.int32)
        )
        beta_Y, beta_D, sigma = prior["beta_Y"][0], prior["beta_D"][0], prior["sigma"][0]
    else:
        beta_Y, beta_D, sigma = params["beta_Y"], params["beta_D"], params["sigma"]
    data = simulate_selective_labels(k_data, N, M, beta_Y, beta_D, known_alpha, sigma)
    samples, extra = nuts_draws(
        k_nuts,
        model,
        {"X": data["X"], "T": data["T"], "Y": data["Y"]},
        num_warmup,
        num_samples,
        1,
        dense_mass=True,
        max_tree_depth=max_tree_depth,
        extra_fields=("diverging", "num_steps"),
    )
    free = np.arange(M) if mask is None else np.flatnonzero(mask)
    truth = jnp.concatenate([beta_Y, beta_D[free], sigma[None]])
    draws = jnp.concatenate(
        [samples["beta_Y"][0], samples["beta_D"][0][:, free], samples["sigma"][0][:, None]],
        axis=1,
    )[::thin]
    return {
        "truth": truth,
        "ranks": sbc_ranks(truth, draws),
        "post_mean": draws.mean(0),
        "post_sd": draws.std(0),
        "draws": draws,
        "diverging": extra["diverging"][0].sum(),
        "mean_steps": extra["num_steps"][0].mean(),
        "tested": data["T"].mean(),
    }


def sbc_ranks(truth, draws):
    """SBC rank of each true component among posterior draws: :math:`r_p=\\#\\{l:\\theta_{lp}<\\tilde\\theta_p\\}`.

    Args:
      truth: ``(P,)`` the parameter the data were simulated from.
      draws: ``(L, P)`` posterior draws.

    Returns:
      ``(P,)`` int32 ranks in :math:`\\{0,\\dots,L\\}`.

    Raises:
      ValueError: on NaN/inf, wrong ranks, or shapes that disagree.
    """
    check_array("truth", truth, ndim=1)
    check_array("draws", draws, ndim=2)
    if np.shape(draws)[1] != np.shape(truth)[0]:
        raise ValueError(
            f"`draws` must have shape (L, {np.shape(truth)[0]}) to match `truth`; "
            f"got {np.shape(draws)}."
        )
    if np.shape(draws)[0] < 1:
        raise ValueError("`draws` must hold at least one draw.")
    return jnp.sum(draws < truth[None, :], axis=0).astype(jnp.int32)


def sbc_summary(ranks, L: int, *, n_bins: int = 10, level: float = 0.9) -> dict:
    """Rank histograms, chi-square uniformity tests and central-interval coverage over replicates.

    For :math:`R` replicates and ranks in :math:`\\{0..L\\}` grouped into ``n_bins`` equal bins
    (``(L + 1) % n_bins == 0`` is required so the bins are exactly equiprobable under uniformity),
    the Pearson statistic :math:`X^2=\\sum_b (c_b-R/B)^2/(R/B)` is referred to
    :math:`\\chi^2_{B-1}` (p-value by the regularised upper incomplete gamma function). The central
    ``level`` interval of the draws covers the truth iff
    :math:`\\lceil aL/2\\rceil\\le r\\le L-\\lceil aL/2\\rceil` with :math:`a=1-\\texttt{level}`
    (rank-based, so no interpolation); the coverage is the mean of that indicator over replicates.

    Args:
      ranks: ``(R, P)`` integer ranks in [0, L].
      L: number of posterior draws each rank is taken among (>= 1).
      n_bins: histogram bins B (>= 2, dividing L + 1).
      level: interval level in (0, 1).

    Returns:
      dict with ``hist`` (B, P) counts, ``chi2`` (P,), ``p_value`` (P,), ``coverage`` (P,) and
      ``level_exact`` () the interval's exact nominal level :math:`(L+1-2\\lceil aL/2\\rceil)/(L+1)`.

    Raises:
      ValueError: on ranks outside [0, L], a wrong rank of the array, ``n_bins`` not dividing
        ``L + 1``, or ``level`` outside (0, 1).
    """
    L = check_int("L", L, min_value=1)
    n_bins = check_int("n_bins", n_bins, min_value=2)
    check_probability("level", level, open_interval=True)
    check_array("ranks", ranks, ndim=2)
    r = np.asarray(ranks)
    if r.dtype.kind not in "iu":
        raise ValueError(f"`ranks` must be integers; got dtype {r.dtype}.")
    if r.size == 0:
        raise ValueError("`ranks` must hold at least one replicate.")
    if r.min() < 0 or r.max() > L:
        raise ValueError(f"`ranks` must lie in [0, {L}]; got [{r.min()}, {r.max()}].")
    if (L + 1) % n_bins:
        raise ValueError(f"`n_bins` must divide L + 1 = {L + 1}; got {n_bins}.")
    R = r.shape[0]
    width = (L + 1) // n_bins
    hist = np.stack([np.bincount(col // width, minlength=n_bins) for col in r.T], axis=1)
    expected = R / n_bins
    chi2 = ((hist - expected) ** 2 / expected).sum(0)
    p_value = np.asarray(gammaincc((n_bins - 1) / 2.0, chi2 / 2.0))
    cut = int(np.ceil((1.0 - level) * L / 2.0))
    covered = (r >= cut) & (r <= L - cut)
    return {
        "hist": hist,
        "chi2": chi2,
        "p_value": p_value,
        "coverage": covered.mean(0),
        "level_exact": (L + 1 - 2 * cut) / (L + 1),
    }


def attenuated_coefficients(beta_Y, sigma):
    """The scale binary outcomes identify: :math:`\\beta_Y/\\sqrt{1+c\\,\\sigma^2}`, :math:`c=\\pi/8`.

    With :math:`Z\\sim\\mathcal N(0,\\sigma^2)` the outcome probability is
    :math:`\\mathbb E\\,\\mathrm{sig}(x^\\top\\beta_Y+Z)\\approx\\mathrm{sig}\\big(x^\\top\\beta_Y/
    \\sqrt{1+\\pi\\sigma^2/8}\\big)` (probit matching of the logistic, the lab's derived
    approximation), so the data pin the attenuated coefficients, and :math:`(\\beta_Y,\\sigma)` only
    along a curved ridge of constant attenuated value.

    Args:
      beta_Y: ``(..., M)`` coefficients. sigma: ``(...)`` s.d. of Z (> 0), broadcast against
        ``beta_Y[..., 0]``.

    Returns:
      ``(..., M)`` attenuated coefficients.

    Raises:
      ValueError: on NaN/inf, ``beta_Y`` with M = 0, or a non-positive ``sigma``.
    """
    check_array("beta_Y", beta_Y, ndim=(1, 2, 3))
    if np.shape(beta_Y)[-1] < 1:
        raise ValueError(f"`beta_Y` must hold M >= 1 coefficients; got shape {np.shape(beta_Y)}.")
    check_array("sigma", sigma, ndim=(0, 1, 2))
    if not np.all(np.asarray(sigma) > 0):
        raise ValueError("`sigma` must be > 0.")
    beta_Y = jnp.asarray(beta_Y)
    return beta_Y / jnp.sqrt(1.0 + PROBIT_C * jnp.asarray(sigma)[..., None] ** 2)
