"""The Bayesian mixture learner on an over-parametrised class with one sufficient statistic.

Feder, Urbanke, Fogel, *The Universality Lens: Why Even Highly Over-Parametrized Models Learn Well*,
arXiv:2506.07661. The paper's key result: the regret of a Bayesian mixture learner with log-loss
and a (nearly) uniform prior over a huge class is set by the prior *weight* of the models close to
the truth in Kullback-Leibler divergence, not by the size of the class.

The analyzable class (``theory/universality_lens.md``): :math:`\\Theta_D = \\{-1, 0, 1\\}^D` with
the uniform prior :math:`3^{-D}`; model :math:`\\theta` emits i.i.d. Bernoulli(:math:`p_s`) bits
with :math:`s = \\sum_j \\theta_j` and :math:`p_s = \\sigma(c\\, s / \\sqrt{D})`. The :math:`3^D`
parameters collapse to :math:`2D + 1` distributions indexed by :math:`s \\in \\{-D, \\dots, D\\}`
(array index ``s + D``), with the induced prior :math:`w_D(s) = T_D(s) / 3^D` (trinomial
coefficients). Everything below is an exact finite sum: no Monte Carlo.

Symbols -> arguments: :math:`D` -> ``D``; :math:`c` -> ``c``; :math:`\\log w_D` -> ``log_prior``
(shape ``(G,)``, ``G = 2D + 1`` or any number of groups); :math:`p_s` -> ``p`` (``(G,)``);
:math:`s_0` -> ``s0_idx`` (array index of the true group); :math:`n` -> ``n``; :math:`K` (number of
ones in :math:`x^n`) -> ``K``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln, logsumexp

from unlearnlab.lab.checks import (
    check_array,
    check_in_range,
    check_index,
    check_int,
    check_nonempty,
    check_positive,
    check_probability,
    is_traced,
)

__all__ = [
    "group_log_prior",
    "group_probs",
    "log_mixture",
    "posterior_predictive",
    "expected_regret",
    "regret_curve",
    "resolvability_bound",
    "log_ball_weight",
    "bernoulli_kl",
]


# ----------------------------------------------------------------------------- validation


def _check_groups(log_prior, p):
    """``log_prior`` (G,) finite, <= 0, normalised; ``p`` (G,) in (0, 1). Returns G."""
    check_array("log_prior", log_prior, ndim=1)
    check_nonempty("log_prior", log_prior)
    check_array("p", p, ndim=1)
    check_nonempty("p", p)
    if np.shape(p) != np.shape(log_prior):
        raise ValueError(
            f"`p` must have the shape of `log_prior` {np.shape(log_prior)}; got {np.shape(p)}."
        )
    check_probability("p", p, open_interval=True)
    if not is_traced(log_prior):
        lp = np.asarray(log_prior, dtype=float)
        tot = float(np.logaddexp.reduce(lp))
        tol = 1e-4 if np.asarray(log_prior).dtype == np.float32 else 1e-8
        if abs(tot) > tol:
            raise ValueError(
                f"`log_prior` must be a normalised log-probability vector "
                f"(logsumexp = 0 within {tol}); got logsumexp = {tot:.6g}."
            )
    return np.shape(log_prior)[0]


def _check_n(n, name="n"):
    if is_traced(n):
        return n
    if isinstance(n, (bool, np.bool_)):
        raise ValueError(f"`{name}` must be an integer; got bool.")
    a = np.asarray(n)
    if a.dtype.kind not in "iu":
        raise ValueError(f"`{name}` must hold integers; got dtype {a.dtype}.")
    if a.size and a.min() < 0:
        raise ValueError(f"`{name}` must be >= 0; got minimum {a.min()}.")
    return n


def _check_K(K, n):
    """``K`` integer(s) with 0 <= K <= n (elementwise, broadcasting)."""
    _check_n(n)
    if is_traced(K):
        return K
    if isinstance(K, (bool, np.bool_)):
        raise ValueError("`K` must hold integers; got bool.")
    a = np.asarray(K)
    if a.dtype.kind not in "iu":
        raise ValueError(f"`K` must hold integers; got dtype {a.dtype}.")
    if is_traced(n):
        if a.size and a.min() < 0:
            raise ValueError(f"`K` must be >= 0; got minimum {a.min()}.")
        return K
    nn = np.asarray(n)
    try:
        ok = (a >= 0) & (a <= nn)
    except ValueError as e:
        raise ValueError(f"`K` must broadcast against `n`; got {a.shape} and {nn.shape}.") from e
    if not np.all(ok):
        raise ValueError(
            f"`K` must lie in [0, n] (number of ones among n bits); got {a.ravel()[:3]}."
        )
    return K


# ----------------------------------------------------------------------------- the class


@partial(jax.jit, static_argnums=0)
def _log_trinomial(D):
    G = 2 * D + 1
    init = jnp.full((G,), -jnp.inf).at[0].set(0.0)

    def step(a, _):
        a1 = jnp.concatenate([jnp.full((1,), -jnp.inf), a[:-1]])
        a2 = jnp.concatenate([jnp.full((2,), -jnp.inf), a[:-2]])
        return jnp.logaddexp(jnp.logaddexp(a, a1), a2), None

    out, _ = jax.lax.scan(step, init, None, length=D)
    return out


def group_log_prior(D: int) -> jax.Array:
    """Log of the prior induced on the sufficient statistic :math:`s = \\sum_j \\theta_j`.

    .. math::

        \\log w_D(s) = \\log T_D(s) - D \\log 3, \\qquad
        T_D(s) = \\#\\{\\theta \\in \\{-1,0,1\\}^D : \\textstyle\\sum_j \\theta_j = s\\},

    computed as the :math:`D`-fold convolution of :math:`[1, 1, 1]` in log space (``logaddexp``), so
    it is stable for large :math:`D` (no overflow of :math:`3^D`).

    Args:
      D: number of ternary parameters, a Python int ``>= 1`` (static: it sets the output shape).

    Returns:
      ``(2D + 1,)`` array, entry ``s + D`` is :math:`\\log w_D(s)`; it is symmetric and
      ``logsumexp`` of it is 0.

    Raises:
      ValueError: ``D`` not an integer or ``D < 1``.

    References:
      Feder, Urbanke, Fogel, arXiv:2506.07661 (uniform prior over a large class); the collapse to
      the induced prior is the lab's analyzable instance (``theory/universality_lens.md`` Sec. 1).
    """
    D = check_int("D", D, min_value=1)
    return _log_trinomial(D) - D * jnp.log(3.0)


def group_probs(D: int, c) -> jax.Array:
    """Success probabilities :math:`p_s = \\sigma(c\\, s / \\sqrt{D})`, :math:`s = -D, \\dots, D`.

    Args:
      D: number of ternary parameters (Python int ``>= 1``).
      c: positive finite scale (signal strength) of the logit.

    Returns:
      ``(2D + 1,)`` array of probabilities in (0, 1), strictly increasing in :math:`s`.

    Raises:
      ValueError: ``D < 1`` or not an integer; ``c`` not finite or ``c <= 0``; a probability that
        rounds to 0 or 1 in the working precision (``c`` too large).

    References:
      ``theory/universality_lens.md`` Sec. 1 (the lab's model; the paper has no such instance).
    """
    D = check_int("D", D, min_value=1)
    check_positive("c", c)
    s = jnp.arange(-D, D + 1)
    p = jax.nn.sigmoid(c * s / jnp.sqrt(D))
    if not is_traced(c):
        pa = np.asarray(p)
        if not np.all((pa > 0) & (pa < 1)):
            raise ValueError(f"`c` = {float(c)} is too large: some p_s round to 0 or 1.")
    return p


def bernoulli_kl(p, q) -> jax.Array:
    """Kullback-Leibler divergence between Bernoulli laws, elementwise.

    .. math:: \\mathrm{KL}(p \\,\\|\\, q) = p \\log\\frac{p}{q} + (1-p)\\log\\frac{1-p}{1-q}.

    Args:
      p: probabilities in (0, 1), any shape (broadcast against ``q``).
      q: probabilities in (0, 1), any shape.

    Returns:
      The broadcast array of divergences (nats), ``>= 0``, zero iff ``p == q``.

    Raises:
      ValueError: an entry of ``p`` or ``q`` outside (0, 1) or not finite.

    References:
      Cover and Thomas, *Elements of Information Theory*, Sec. 2.3.
    """
    check_probability("p", p, open_interval=True)
    check_probability("q", q, open_interval=True)
    return _kl(jnp.asarray(p), jnp.asarray(q))


def _kl(p, q):
    return p * (jnp.log(p) - jnp.log(q)) + (1 - p) * (jnp.log1p(-p) - jnp.log1p(-q))


# ----------------------------------------------------------------------------- the mixture


@jax.jit
def _log_joint(K, n, log_prior, p):
    """log w(s) + log P_s(x^n) for a sequence with K ones: shape K.shape + (G,)."""
    K = jnp.asarray(K)[..., None]
    n = jnp.asarray(n)[..., None]
    return log_prior + K * jnp.log(p) + (n - K) * jnp.log1p(-p)


def log_mixture(K, n, log_prior, p) -> jax.Array:
    """Log-probability the mixture assigns to one binary sequence with ``K`` ones among ``n`` bits.

    .. math::

        \\log Q(x^n) = \\log \\sum_s w(s)\\, p_s^{K} (1 - p_s)^{n - K}

    (the probability of the *sequence*, not of the count: no binomial coefficient), by
    ``logsumexp``.

    Args:
      K: integer(s), ``0 <= K <= n``, any shape broadcasting with ``n``.
      n: integer(s) ``>= 0``.
      log_prior: ``(G,)`` normalised log prior over the groups (e.g. :func:`group_log_prior`).
      p: ``(G,)`` success probabilities in (0, 1) (e.g. :func:`group_probs`).

    Returns:
      ``log Q`` with the broadcast shape of ``K`` and ``n``.

    Raises:
      ValueError: ``K`` outside ``[0, n]`` or not integer; ``n < 0``; ``log_prior`` not finite or
        not normalised; ``p`` outside (0, 1) or of another shape than ``log_prior``.

    References:
      arXiv:2506.07661, the mixture learner :math:`Q(x^n) = \\int w(\\theta) P_\\theta(x^n)\\,d\\theta`
      [secondary summary of the paper's definition].
    """
    _check_groups(log_prior, p)
    _check_K(K, n)
    return _log_mixture(K, n, log_prior, p)


# the joint and its logsumexp as one compiled program (the eager logsumexp was ~10 programs)
@jax.jit
def _log_mixture(K, n, log_prior, p):
    return logsumexp(_log_joint(K, n, log_prior, p), axis=-1)


def posterior_predictive(K, n, log_prior, p) -> jax.Array:
    """The mixture's probability that the next bit is one, after ``K`` ones among ``n`` bits.

    .. math::

        Q(x_{n+1} = 1 \\mid x^n) = \\sum_s \\pi(s \\mid x^n)\\, p_s, \\qquad
        \\pi(s \\mid x^n) \\propto w(s)\\, p_s^{K} (1 - p_s)^{n-K},

    equal to :math:`Q(x^n 1) / Q(x^n)`.

    Args:
      K: integer(s), ``0 <= K <= n``.
      n: integer(s) ``>= 0``.
      log_prior: ``(G,)`` normalised log prior.
      p: ``(G,)`` probabilities in (0, 1).

    Returns:
      Probabilities in (0, 1) with the broadcast shape of ``K`` and ``n``.

    Raises:
      ValueError: as :func:`log_mixture`.

    References:
      arXiv:2506.07661 (the Bayesian mixture as a sequential predictor).
    """
    _check_groups(log_prior, p)
    _check_K(K, n)
    return _predictive(K, n, log_prior, p)


@jax.jit
def _predictive(K, n, log_prior, p):
    post = jax.nn.softmax(_log_joint(K, n, log_prior, p), axis=-1)
    return jnp.sum(post * p, axis=-1)


# ----------------------------------------------------------------------------- regret and bound


_LOG_2PI = float(np.log(2 * np.pi))


def _stirlerr(m):
    """log(m!) - [(m + 1/2) log m - m + log(2 pi)/2] for m >= 1 (Loader 2000): the Stirling series
    for m > 15, the direct difference (small, accurate) below."""
    m = jnp.asarray(m, float)
    small = m <= 15.0
    ms = jnp.where(small, m, 1.0)
    direct = gammaln(ms + 1.0) - (ms + 0.5) * jnp.log(ms) + ms - 0.5 * _LOG_2PI
    ml = jnp.where(small, 16.0, m)
    r = 1.0 / (ml * ml)
    series = (1.0 / 12 - r * (1.0 / 360 - r * (1.0 / 1260 - r * (1.0 / 1680 - r / 1188)))) / ml
    return jnp.where(small, direct, series)


def _bd0(x, M):
    """x log(x / M) + M - x for x, M > 0, as M (t log t - t + 1), t = x / M, via log1p."""
    u = (x - M) / M
    return M * ((1.0 + u) * jnp.log1p(u) - u)


def _log_binom_pmf(K, n, p):
    """log Bin(K; n, p) for integers 0 <= K <= n, accurate to ~1e-13 absolute at n ~ 1e5 (Loader's
    saddle-point form; the naive lgamma difference loses ~1e-10)."""
    K = jnp.asarray(K, float)
    n = jnp.asarray(n, float)
    inner = (K > 0) & (K < n)
    Ks = jnp.where(inner, K, 1.0)
    ns = jnp.where(inner, n, 2.0)
    mid = (
        _stirlerr(ns)
        - _stirlerr(Ks)
        - _stirlerr(ns - Ks)
        - _bd0(Ks, ns * p)
        - _bd0(ns - Ks, ns * (1.0 - p))
        + 0.5 * (jnp.log(ns) - _LOG_2PI - jnp.log(Ks) - jnp.log(ns - Ks))
    )
    edge = jnp.where(K == 0, n * jnp.log1p(-p), n * jnp.log(p))
    return jnp.where(inner, mid, edge)


@partial(jax.jit, static_argnums=4)
def _regret(s0_idx, n, log_prior, p, n_max):
    """Exact R_n on the padded grid K = 0..n_max (weights zero for K > n)."""
    K = jnp.arange(n_max + 1)
    n = jnp.asarray(n, K.dtype)
    p0 = p[s0_idx]
    valid = K <= n
    Kc = jnp.where(valid, K, 0)
    wts = jnp.where(valid, jnp.exp(_log_binom_pmf(Kc, n, p0)), 0.0)
    wts = wts / jnp.sum(wts)  # removes the last ~1e-13 of rounding in the pmf
    # log P_{s0}(x^n) - log Q(x^n) = -log sum_s w(s) (p_s/p0)^K ((1-p_s)/(1-p0))^(n-K)
    lr = (
        log_prior
        + Kc[:, None] * (jnp.log(p) - jnp.log(p0))
        + (n - Kc)[:, None] * (jnp.log1p(-p) - jnp.log1p(-p0))
    )
    return -jnp.sum(wts * logsumexp(lr, axis=-1))


def expected_regret(s0_idx, n, log_prior, p, *, n_max=None) -> jax.Array:
    """Exact expected cumulative log-loss regret of the mixture against the true group :math:`s_0`.

    .. math::

        R_n(s_0) = D\\big(P^n_{s_0} \\,\\|\\, Q\\big)
                 = \\sum_{K=0}^{n} \\binom{n}{K} p_0^K (1-p_0)^{n-K}
                   \\Big[\\log P_{s_0}(x^n) - \\log Q(x^n)\\Big]_{\\#1(x^n) = K},

    a finite sum of :math:`n + 1` terms (the bracket depends on :math:`x^n` only through
    :math:`K`); :math:`p_0 = p_{s_0}`. The bracket is computed as one ``logsumexp`` of likelihood
    ratios, so no large log-likelihoods cancel.

    Args:
      s0_idx: integer index of the true group in ``[0, G)`` (``s0 + D`` for :func:`group_probs`).
      n: sequence length, integer ``>= 0`` (may be traced if ``n_max`` is given).
      log_prior: ``(G,)`` normalised log prior.
      p: ``(G,)`` probabilities in (0, 1).
      n_max: static size of the summation grid (``K = 0..n_max``), ``>= n``; defaults to the next
        power of two above ``n`` (at least 16), so that nearby lengths share one compilation. Give it
        to ``vmap``/``jit`` over ``n``.

    Returns:
      Scalar :math:`R_n(s_0)` in nats, ``>= 0``.

    Raises:
      ValueError: ``s0_idx`` outside ``[0, G)``; ``n < 0`` or not integer; ``n > n_max``; ``n``
        traced without ``n_max``; ``log_prior``/``p`` as in :func:`log_mixture`.

    References:
      arXiv:2506.07661, regret :math:`R = \\frac1n D(P_{\\theta_0}(X^n)\\|Q(X^n))` (the paper
      normalises by :math:`n`; the lab reports the cumulative :math:`n R`) [secondary].
    """
    G = _check_groups(log_prior, p)
    check_index("s0_idx", s0_idx, G, ndim=0)
    _check_n(n)
    if np.ndim(n) != 0:
        raise ValueError(f"`n` must be a scalar; got shape {np.shape(n)} (use `regret_curve`).")
    if n_max is None:
        if is_traced(n):
            raise ValueError("`n_max` must be given when `n` is traced (it sets the grid size).")
        n_max = 1 << max(4, int(n).bit_length())  # a power of two >= n: few compiles
    n_max = check_int("n_max", n_max, min_value=0)
    if not is_traced(n) and int(n) > n_max:
        raise ValueError(f"`n` must be <= `n_max` = {n_max}; got {int(n)}.")
    return _regret(s0_idx, n, jnp.asarray(log_prior), jnp.asarray(p), n_max)


@partial(jax.jit, static_argnums=4)
def _regret_curve(s0_idx, ns, log_prior, p, n_max):
    return jax.lax.map(lambda n: _regret(s0_idx, n, log_prior, p, n_max), ns)


def regret_curve(s0_idx, ns, log_prior, p) -> jax.Array:
    """:func:`expected_regret` at every length in ``ns`` (one compiled loop, grid ``max(ns)``).

    Args:
      s0_idx: integer index of the true group in ``[0, G)``.
      ns: ``(m,)`` integer lengths ``>= 0`` (concrete: ``max(ns)`` sets the grid size).
      log_prior: ``(G,)`` normalised log prior.
      p: ``(G,)`` probabilities in (0, 1).

    Returns:
      ``(m,)`` array of :math:`R_n(s_0)`.

    Raises:
      ValueError: ``ns`` empty, not 1-D, negative or traced; the rest as :func:`expected_regret`.

    References:
      As :func:`expected_regret`.
    """
    G = _check_groups(log_prior, p)
    check_index("s0_idx", s0_idx, G, ndim=0)
    if is_traced(ns):
        raise ValueError("`ns` must be concrete (its maximum sets the summation grid).")
    check_array("ns", ns, ndim=1, finite=False)
    check_nonempty("ns", ns)
    _check_n(ns, "ns")
    ns = np.asarray(ns)
    return _regret_curve(
        s0_idx, jnp.asarray(ns), jnp.asarray(log_prior), jnp.asarray(p), int(ns.max())
    )


@jax.jit
def _bound(s0_idx, n, log_prior, p):
    kl = _kl(p[s0_idx], p)  # (G,) the KL radius of each group
    inside = kl[None, :] <= kl[:, None]  # row j: the ball of radius kl_j
    log_W = logsumexp(jnp.where(inside, log_prior[None, :], -jnp.inf), axis=-1)
    return jnp.min(-log_W + n * kl)


def resolvability_bound(s0_idx, n, log_prior, p) -> jax.Array:
    """The index-of-resolvability bound on the regret: the lab's reading of the paper's key result.

    .. math::

        B_n(s_0) = \\min_{\\varepsilon \\ge 0}\\Big[-\\log W(\\varepsilon; s_0) + n\\varepsilon\\Big],
        \\qquad W(\\varepsilon; s_0) = \\sum_{s:\\,\\mathrm{KL}(p_{s_0}\\|p_s) \\le \\varepsilon} w(s),

    and :math:`R_n(s_0) \\le B_n(s_0)` for every :math:`n` (``theory/universality_lens.md``
    Prop. 1, proved there). :math:`W` is a step function whose jumps sit at the divergences
    :math:`\\varepsilon_j = \\mathrm{KL}(p_{s_0}\\|p_j)`, so the minimum is attained on
    :math:`\\{\\varepsilon_j\\}` and computed exactly. :math:`B_n \\le -\\log w(s_0)`
    (:math:`\\varepsilon = 0`).

    Args:
      s0_idx: integer index of the true group in ``[0, G)``.
      n: integer(s) ``>= 0`` (any shape; the result broadcasts).
      log_prior: ``(G,)`` normalised log prior.
      p: ``(G,)`` probabilities in (0, 1).

    Returns:
      :math:`B_n(s_0)` with the shape of ``n``.

    Raises:
      ValueError: as :func:`expected_regret`.

    References:
      arXiv:2506.07661, abstract (regret set by the weight of the KL-close models) [paper]; the
      exact form is Barron's index of resolvability (Barron and Cover 1991), derived in
      ``theory/universality_lens.md`` [derived].
    """
    G = _check_groups(log_prior, p)
    check_index("s0_idx", s0_idx, G, ndim=0)
    _check_n(n)
    n = jnp.asarray(n)
    f = jnp.vectorize(lambda m: _bound(s0_idx, m, jnp.asarray(log_prior), jnp.asarray(p)))
    return f(n)


@jax.jit
def _log_ball(s0_idx, eps, log_prior, p):
    kl = _kl(p[s0_idx], p)
    return logsumexp(jnp.where(kl <= eps, log_prior, -jnp.inf))


def log_ball_weight(s0_idx, eps, log_prior, p) -> jax.Array:
    """Log prior weight of the models within KL radius ``eps`` of the truth (the paper's *weight*).

    .. math::

        \\log W(\\varepsilon; s_0) = \\log \\sum_{s:\\,\\mathrm{KL}(p_{s_0}\\|p_s) \\le \\varepsilon} w(s),

    a non-decreasing step function of :math:`\\varepsilon`, equal to :math:`\\log w(s_0)` at
    :math:`\\varepsilon = 0` and to 0 once the ball holds every group.

    Args:
      s0_idx: integer index of the true group in ``[0, G)``.
      eps: radius (nats) ``>= 0``, any shape.
      log_prior: ``(G,)`` normalised log prior.
      p: ``(G,)`` probabilities in (0, 1).

    Returns:
      :math:`\\log W` with the shape of ``eps``.

    Raises:
      ValueError: ``eps`` negative or not finite; the rest as :func:`resolvability_bound`.

    References:
      arXiv:2506.07661, abstract ("the weight of the hypothesis": the cumulative probability of the
      models close to the truth in KL) [paper]; the exact form on this class is the lab's.
    """
    G = _check_groups(log_prior, p)
    check_index("s0_idx", s0_idx, G, ndim=0)
    check_in_range("eps", eps, 0.0, None)
    f = jnp.vectorize(lambda e: _log_ball(s0_idx, e, jnp.asarray(log_prior), jnp.asarray(p)))
    return f(jnp.asarray(eps, float))
