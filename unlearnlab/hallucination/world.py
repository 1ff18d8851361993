"""Sampling worlds: a fact distribution over ``m`` facts, and the training counts of ``n`` documents.

The fact set is exchangeable by construction: probability weights are attached to fact ids through a
uniformly random bijection, so conditioned on the training counts every unobserved fact id is
equally likely to carry any of the unobserved weights (the "regular facts" condition of Kalai &
Vempala [secondary], here exact). Hallucinations (factoids outside the fact set) have probability 0
under the true distribution and are never materialised: only their number ``|H|`` enters anything.

References:
  Kalai & Vempala, arXiv 2311.14648 v3, Sec. 4 (world distributions, regular facts) [secondary].
  Miao & Kearns, *Hallucination, Monofacts, and Miscalibration*, arXiv 2502.08666 (Pareto
  repetition of facts; selective upweighting).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from unlearnlab.lab import checks
from unlearnlab.lab.checks import check_choice, check_counts, check_distribution

KINDS = ("zipf", "pitman_yor", "pareto")

__all__ = ["sample_fact_distribution", "sample_training_counts", "upweight_counts"]


def _zipf(m, alpha):
    ranks = jnp.arange(1, m + 1, dtype=jnp.result_type(float))
    logw = -alpha * jnp.log(ranks)
    return jnp.exp(logw - jax.scipy.special.logsumexp(logw))


def _pitman_yor(key, m, alpha, d):
    k = jnp.arange(1, m + 1, dtype=jnp.result_type(float))
    v = jax.random.beta(key, 1.0 - d, alpha + k * d)
    v = jnp.clip(v, 0.0, 1.0)
    log_rest = jnp.cumsum(jnp.log1p(-jnp.minimum(v, 1.0 - 1e-12)))
    log_before = jnp.concatenate([jnp.zeros(1, v.dtype), log_rest[:-1]])
    w = v * jnp.exp(log_before)
    w = w.at[-1].add(jnp.exp(log_rest[-1]))  # truncation: the last stick takes the remainder
    return w / jnp.sum(w)


def _pareto(key, m, alpha):
    u = jax.random.uniform(key, (m,), minval=jnp.finfo(jnp.result_type(float)).tiny, maxval=1.0)
    logw = -jnp.log(u) / alpha  # Pareto(shape alpha, scale 1) repetition weights
    return jnp.exp(logw - jax.scipy.special.logsumexp(logw))


def _check_distribution_args(m, kind, alpha, d) -> int:
    """Validate the arguments of :func:`sample_fact_distribution` (concrete values only)."""
    m = checks.check_int("m", m, min_value=1)
    check_choice("kind", kind, KINDS)
    checks.check_finite("alpha", alpha)
    checks.check_finite("d", d)
    if kind == "zipf":
        checks.check_nonnegative("alpha", alpha)
    elif kind == "pareto":
        checks.check_positive("alpha", alpha)
    else:
        checks.check_in_range("d", d, 0.0, 1.0, hi_open=True)
        if not (checks.is_traced(alpha) or checks.is_traced(d)) and not float(alpha) > -float(d):
            raise ValueError(f"`alpha` must be > -d for Pitman-Yor; got alpha={alpha}, d={d}.")
    return m


def sample_fact_distribution(
    key, m: int, kind: str = "zipf", alpha=1.0, d=0.0, *, permute: bool = True
):
    r"""Sample a fact distribution ``p`` over ``m`` facts, attached to fact ids by a random bijection.

    * ``"zipf"``: :math:`p_{\pi(k)} \propto k^{-\alpha}` for ranks ``k = 1..m``;
    * ``"pitman_yor"``: stick-breaking :math:`V_k \sim \mathrm{Beta}(1-d, \alpha + k d)`,
      :math:`w_k = V_k \prod_{j<k} (1 - V_j)`, truncated at ``m`` (the last stick takes the rest);
      ranks follow a power law with exponent about ``1/d``;
    * ``"pareto"``: Pareto repetition (Miao & Kearns): :math:`w_i = U_i^{-1/\alpha}`, i.i.d.
      :math:`\mathrm{Pareto}(\alpha)`, normalised.

    ==================  ===========================================
    symbol              argument
    ==================  ===========================================
    :math:`m`           ``m`` (number of facts, :math:`|F|`)
    :math:`\alpha`      ``alpha`` (Zipf/Pareto exponent; PY concentration)
    :math:`d`           ``d`` (Pitman-Yor discount, in [0, 1))
    :math:`\pi`         the random bijection (a permutation of ids)
    ==================  ===========================================

    Args:
      key: PRNG key.
      m: number of facts (static Python int >= 1).
      kind: ``"zipf"`` | ``"pitman_yor"`` | ``"pareto"`` (static).
      alpha: scalar (may be traced, e.g. under ``vmap``). Zipf: ``>= 0``; Pareto: ``> 0``;
        Pitman-Yor: ``> -d``.
      d: Pitman-Yor discount in [0, 1); ignored otherwise.
      permute: attach the weights to ids by a uniformly random bijection (default). ``False`` keeps
        rank order (Zipf weights sorted); every quantity of this package (monofact rate, missing
        mass, hallucination rate, miscalibration) is invariant under relabelling fact ids, so the
        simulator skips the permutation (a sort of ``m`` keys) without changing any distribution.

    Returns:
      float[m], non-negative, sums to 1.
    """
    m = _check_distribution_args(m, kind, alpha, d)
    k_perm, k_w = jax.random.split(key)
    if kind == "zipf":
        w = _zipf(m, alpha)
    elif kind == "pitman_yor":
        w = _pitman_yor(k_w, m, alpha, d)
    else:
        w = _pareto(k_w, m, alpha)
    return jax.random.permutation(k_perm, w) if permute else w


def sample_training_counts(key, p, n: int):
    r"""Draw ``n`` i.i.d. documents from ``p`` and return the multiplicity of each fact id.

    Sampling is inverse-CDF categorical sampling (``n`` uniforms located in the cumulative
    distribution by vectorised binary search, :math:`O(n \log m)`, never an ``n x m`` Gumbel
    table), then ``bincount``.

    Args:
      key: PRNG key.
      p: float[m], the fact distribution.
      n: number of training documents (static Python int >= 1).

    Returns:
      int32[m] with ``sum = n``.
    """
    n = checks.check_int("n", n, min_value=1)
    check_distribution("p", p)
    p = jnp.asarray(p)
    cdf = jnp.cumsum(p)
    cdf = cdf / cdf[-1]
    u = jax.random.uniform(key, (n,), dtype=cdf.dtype)
    idx = jnp.searchsorted(cdf, u, side="right", method="scan")
    idx = jnp.minimum(idx, p.shape[0] - 1)
    return jnp.bincount(idx, length=p.shape[0]).astype(jnp.int32)


def upweight_counts(counts, frac, copies=1):
    r"""Selective upweighting (Miao & Kearns): repeat a ``frac`` share of the training documents,
    taken from the most frequent facts.

    Documents are ordered by the count of their fact (descending; ties by fact id) and the first
    ``k = floor(frac * n)`` of them get ``copies`` extra copies each, so the top facts are
    upweighted (the last one selected possibly in part). A model fitted to the upweighted counts puts
    less mass on unseen factoids (``N_1'/n'`` with ``n' = n + copies * k``), at the price of
    miscalibration against the true ``p``.

    =====================  =====================
    symbol                 argument
    =====================  =====================
    :math:`c_i`            ``counts[i]``
    :math:`f`              ``frac``
    :math:`r`              ``copies``
    =====================  =====================

    Args:
      counts: int[m].
      frac: share of the ``n`` training documents to repeat, in [0, 1] (may be traced).
      copies: extra copies of each selected document (``>= 0``; may be traced).

    Returns:
      int[m], the upweighted counts (total ``n + copies * floor(frac * n)``).

    References:
      Miao & Kearns, arXiv 2502.08666 ("selective upweighting": repeating as little as 5% of
      training examples). Which examples they repeat is not reproduced here; the
      most-frequent-facts rule is ours.
    """
    check_counts("counts", counts)
    checks.check_probability("frac", frac)
    checks.check_nonnegative("copies", copies)
    counts = jnp.asarray(counts)
    k = jnp.floor(frac * jnp.sum(counts) + 1e-9).astype(counts.dtype)
    order = jnp.argsort(-counts, stable=True)
    sorted_c = counts[order]
    before = jnp.cumsum(sorted_c) - sorted_c
    extra_sorted = jnp.clip(k - before, 0, sorted_c)
    extra = jnp.zeros_like(counts).at[order].set(extra_sorted)
    return counts + jnp.asarray(copies, counts.dtype) * extra
