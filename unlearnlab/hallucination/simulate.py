"""Simulated worlds: sample a fact distribution, train the closed-form models, measure every term of
the Kalai-Vempala bound exactly.

One world (:func:`simulate_world`) is a pure, jittable function of a key; :func:`simulate` vmaps it
over Zipf exponents and mixture weights and runs seeds through the lab's sweep runner
(:func:`unlearnlab.lab.sweep.run_seeds`), so seeds are vmapped, sharded over devices and chunked.

References:
  Kalai & Vempala, arXiv 2311.14648 v3, Corollary 1 [secondary]; Miao & Kearns, arXiv 2502.08666
  (selective upweighting).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.hallucination.bounds import hallucination_lower_bound
from unlearnlab.hallucination.good_turing import good_turing_bias, missing_mass, monofact_rate
from unlearnlab.hallucination.lm import (
    FactLM,
    good_turing_lm,
    hallucination_rate,
    mixture_lm,
    mle_lm,
)
from unlearnlab.hallucination.miscalibration import PARTITIONS, miscalibration
from unlearnlab.hallucination.world import (
    KINDS,
    _check_distribution_args,
    sample_fact_distribution,
    sample_training_counts,
    upweight_counts,
)
from unlearnlab.lab import checks
from unlearnlab.lab.checks import check_choice
from unlearnlab.lab.sweep import run_seeds

__all__ = ["simulate_world", "simulate", "simulate_upweighting"]


def _model_terms(lm: FactLM, p, counts, n_h, s, n, delta, mf, mm, partition, b, eps):
    n_unobs = jnp.sum(counts == 0)
    hr = hallucination_rate(lm.g_unseen_total, n_unobs, n_h)
    mis = miscalibration(lm.g_obs, lm.g_unseen_total, p, counts, n_h, partition, b, eps)
    bound = hallucination_lower_bound(mf, mis, s, n, delta)
    return {"HR": hr, "Miscal": mis, "bound": bound, "g_U": lm.g_unseen_total}


def _world(key, m, n, alpha, h_over_f, delta, kind, d):
    k_p, k_c = jax.random.split(key)
    p = sample_fact_distribution(k_p, m, kind, alpha, d, permute=False)
    counts = sample_training_counts(k_c, p, n)
    n_unobs = jnp.sum(counts == 0)
    n_h = h_over_f * m
    base = {
        "MF": monofact_rate(counts),
        "MM": missing_mass(counts, p),
        "gt_bias": good_turing_bias(p, n),
        "rho": n_unobs / (n_unobs + n_h),
    }
    return p, counts, n_h, math.log(h_over_f), base


def _float_vector(x):
    # host values stay NumPy arrays: eager jnp conversions compile a program each
    if checks.is_traced(x):
        return jnp.atleast_1d(jnp.asarray(x, jnp.result_type(float)))
    return np.atleast_1d(np.asarray(x, jnp.result_type(float)))


def _validate(m, n, h_over_f, delta, kind, partition, b, eps, c_smooth):
    m = checks.check_int("m", m, min_value=1)
    n = checks.check_int("n", n, min_value=1)
    checks.check_finite("h_over_f", h_over_f)
    h_over_f = float(h_over_f)
    if not h_over_f >= 1.0:
        raise ValueError(
            f"`h_over_f` (|H|/|F|) must be >= 1 so that s = ln(|H|/|F|) >= 0; got {h_over_f}."
        )
    checks.check_in_range("delta", delta, 0.0, 1.0, lo_open=True)
    check_choice("kind", kind, KINDS)
    check_choice("partition", partition, PARTITIONS)
    if partition == "equal_mass":
        b = checks.check_int("b", b, min_value=1)
    if partition == "geometric":
        if eps is None:
            raise ValueError("`eps` (in (0, 1)) is required for partition='geometric'.")
        checks.check_probability("eps", eps, open_interval=True)
    checks.check_int("c_smooth", c_smooth, min_value=1)
    return m, n, h_over_f, b


def simulate_world(
    key,
    m: int,
    n: int,
    alpha,
    h_over_f: float,
    lam,
    delta: float,
    *,
    kind: str = "zipf",
    d: float = 0.0,
    c_smooth: int = 5,
    partition: str = "level_sets",
    b: int | None = None,
    eps=None,
) -> dict:
    r"""One simulated world and one model: every term of Corollary 1, computed exactly.

    The world: ``m`` facts with a ``kind`` distribution (exponent ``alpha``) attached by a random
    bijection, ``|H| = h_over_f * m`` possible hallucinations, ``n`` i.i.d. training documents. The
    model: :math:`\lambda\, g^{GT} + (1-\lambda)\, g^{MLE}` fitted to the counts. The sparsity is
    :math:`s = \ln(|H|/m)` [derived].

    ============================  =====================
    symbol                        argument / output key
    ============================  =====================
    :math:`m = |F|`               ``m``
    :math:`n`                     ``n``
    :math:`\alpha`                ``alpha``
    :math:`|H|/|F|`               ``h_over_f``
    :math:`\lambda`               ``lam``
    :math:`\delta`                ``delta``
    :math:`\widehat{MF}`          ``"MF"``
    :math:`p(U)`                  ``"MM"``
    :math:`g(H)`                  ``"HR"``
    :math:`\mathrm{Miscal}`       ``"Miscal"``
    Corollary 1 bound             ``"bound"``
    :math:`\rho = |F\cap U|/|U|`  ``"rho"``
    :math:`\sum p^2(1-p)^{n-1}`   ``"gt_bias"``
    ============================  =====================

    Args:
      key: PRNG key.
      m, n: static Python ints.
      alpha, lam: scalars (may be traced; vmap over them).
      h_over_f: ``|H|/|F| >= 1`` (Python float).
      delta: in (0, 1].
      kind, d, c_smooth, partition, b, eps: see :func:`sample_fact_distribution`,
        :func:`good_turing_lm`, :func:`miscalibration`.

    Returns:
      dict of scalars with the keys above (and ``"g_U"``, the model's mass on unseen factoids).
    """
    m, n, h_over_f, b = _validate(m, n, h_over_f, delta, kind, partition, b, eps, c_smooth)
    checks.check_probability("lam", lam)
    _check_distribution_args(m, kind, alpha, d)  # before the jit, where concrete values are checked
    config = (m, n, h_over_f, delta, kind, d, c_smooth, partition, b, eps)
    if all(v is None or isinstance(v, (int, float)) for v in (delta, d, eps)):
        # one compiled program per configuration (run op by op, a world is ~100 small programs)
        return _simulate_world_jit(key, alpha, lam, config)
    return _simulate_world(key, alpha, lam, config)


def _simulate_world(key, alpha, lam, config):
    m, n, h_over_f, delta, kind, d, c_smooth, partition, b, eps = config
    p, counts, n_h, s, base = _world(key, m, n, alpha, h_over_f, delta, kind, d)
    lm = mixture_lm(good_turing_lm(counts, c_smooth), mle_lm(counts), lam)
    terms = _model_terms(lm, p, counts, n_h, s, n, delta, base["MF"], base["MM"], partition, b, eps)
    return {**base, **terms}


_simulate_world_jit = jax.jit(_simulate_world, static_argnums=3)


def simulate(
    key,
    m: int,
    n: int,
    alphas,
    h_over_f: float,
    lams,
    delta: float,
    n_seeds: int,
    *,
    kind: str = "zipf",
    d: float = 0.0,
    c_smooth: int = 5,
    partition: str = "level_sets",
    b: int | None = None,
    eps=None,
    **sweep_kwargs,
) -> dict:
    r"""Simulate ``n_seeds`` worlds per exponent in ``alphas``, each scored for every ``lam`` in ``lams``.

    Seed ``i`` uses ``jax.random.split(key, n_seeds)[i]`` for every exponent (common random numbers
    across ``alphas``); all mixture weights are evaluated on the same training counts. Seeds run
    through :func:`unlearnlab.lab.sweep.run_seeds` (``sweep_kwargs``: ``chunk_size``, ``cache_dir``,
    ``cache_key``, ``progress``, ``desc``, ``timings``, ``devices``).

    Args:
      key: PRNG key.
      m, n: static Python ints.
      alphas: float[A], distribution exponents.
      h_over_f: ``|H|/|F| >= 1``.
      lams: float[L], mixture weights in [0, 1] (1 = Good-Turing, 0 = MLE).
      delta: in (0, 1].
      n_seeds: number of seeds.

    Returns:
      dict of NumPy arrays: ``"MF"``, ``"MM"``, ``"gt_bias"``, ``"rho"`` of shape ``[n_seeds, A]``;
      ``"HR"``, ``"Miscal"``, ``"bound"``, ``"g_U"`` of shape ``[n_seeds, A, L]``.
    """
    m, n, h_over_f, b = _validate(m, n, h_over_f, delta, kind, partition, b, eps, c_smooth)
    alphas = _float_vector(alphas)
    lams = _float_vector(lams)
    checks.check_array("alphas", alphas, ndim=1)
    checks.check_nonempty("alphas", alphas)
    checks.check_nonempty("lams", lams)
    checks.check_probability("lams", lams)

    def per_seed(k):
        def per_alpha(alpha):
            p, counts, n_h, s, base = _world(k, m, n, alpha, h_over_f, delta, kind, d)
            gt, mle = good_turing_lm(counts, c_smooth), mle_lm(counts)

            def per_lam(lam):
                lm = mixture_lm(gt, mle, lam)
                return _model_terms(
                    lm, p, counts, n_h, s, n, delta, base["MF"], base["MM"], partition, b, eps
                )

            return base, jax.vmap(per_lam)(lams)

        base, terms = jax.vmap(per_alpha)(alphas)
        return {**base, **terms}

    out = run_seeds(per_seed, key, n_seeds, **sweep_kwargs)
    return {k: np.asarray(v) for k, v in out.items()}


def simulate_upweighting(
    key,
    m: int,
    n: int,
    alpha,
    h_over_f: float,
    fracs,
    delta: float,
    n_seeds: int,
    *,
    copies: int = 1,
    kind: str = "zipf",
    d: float = 0.0,
    c_smooth: int = 5,
    partition: str = "level_sets",
    b: int | None = None,
    eps=None,
    **sweep_kwargs,
) -> dict:
    r"""Selective upweighting (Miao & Kearns): the Good-Turing model fitted to upweighted counts.

    For each ``frac`` in ``fracs`` a ``frac`` share of the training documents, taken from the most
    frequent facts, get ``copies`` extra copies (:func:`upweight_counts`); the Good-Turing model is fitted to the upweighted counts and scored
    against the *true* ``p`` and the *original* sample (``MF``, ``MM``, ``U`` and ``n`` of the bound
    are those of the original data).

    Returns:
      dict of NumPy arrays: ``"MF"``, ``"MM"``, ``"gt_bias"``, ``"rho"`` ``[n_seeds]``; ``"HR"``,
      ``"Miscal"``, ``"bound"``, ``"g_U"``, ``"dup_share"`` (share of the upweighted training set that
      is duplicates) ``[n_seeds, F]``.
    """
    m, n, h_over_f, b = _validate(m, n, h_over_f, delta, kind, partition, b, eps, c_smooth)
    fracs = _float_vector(fracs)
    checks.check_probability("fracs", fracs)
    checks.check_nonempty("fracs", fracs)
    checks.check_int("copies", copies, min_value=0)

    def per_seed(k):
        p, counts, n_h, s, base = _world(k, m, n, alpha, h_over_f, delta, kind, d)

        def per_frac(frac):
            up = upweight_counts(counts, frac, copies)
            lm = good_turing_lm(up, c_smooth)
            terms = _model_terms(
                lm, p, counts, n_h, s, n, delta, base["MF"], base["MM"], partition, b, eps
            )
            return {**terms, "dup_share": 1.0 - n / jnp.sum(up)}

        return {**base, **jax.vmap(per_frac)(fracs)}

    out = run_seeds(per_seed, key, n_seeds, **sweep_kwargs)
    return {k: np.asarray(v) for k, v in out.items()}
