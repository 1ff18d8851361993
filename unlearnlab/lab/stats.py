"""Statistics for checking empirical behaviour against theory, with declared error rates.

Every statistical test in the lab declares a false-failure rate ``delta`` and derives its tolerance
from one of the helpers below:

* :func:`mean_ci` -- mean over seeds with a normal (CLT) or Student-t confidence interval;
* :func:`clt_tolerance` / :func:`hoeffding_tolerance` -- two-sided deviation bounds for a mean;
* :func:`binomial_lower_bound`, :func:`holds_in_fraction` -- "the bound holds in >= 1 - delta of
  seeds" checks via exact binomial (Clopper-Pearson) tails;
* :func:`loglog_slope` -- a least-squares log-log slope with its standard error and CI, for rate
  tests ("the slope sits in a band around the theoretical order").

These run on host NumPy arrays (results of a sweep) in Python float64, whatever JAX's x64 setting;
the distribution functions are written here (stdlib ``NormalDist`` and a continued fraction for the
regularised incomplete beta) so that no SciPy is needed at runtime. Tests compare them to SciPy.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from unlearnlab.lab.checks import check_array, check_int, check_probability

__all__ = [
    "normal_quantile",
    "betainc",
    "t_quantile",
    "MeanCI",
    "mean_ci",
    "clt_tolerance",
    "hoeffding_tolerance",
    "hoeffding_n",
    "binomial_cdf",
    "binomial_lower_bound",
    "binomial_upper_bound",
    "holds_in_fraction",
    "binomial_acceptance_band",
    "SlopeFit",
    "loglog_slope",
]


def normal_quantile(q: float) -> float:
    """Quantile of the standard normal, ``Phi^{-1}(q)``."""
    check_probability("q", q, open_interval=True)
    return NormalDist().inv_cdf(float(q))


def _betacf(a: float, b: float, x: float) -> float:
    # modified Lentz evaluation of the continued fraction of I_x(a, b)
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function ``I_x(a, b)`` in float64."""
    if a <= 0 or b <= 0:
        raise ValueError(f"`a` and `b` must be > 0; got {a}, {b}.")
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"`x` must lie in [0, 1]; got {x}.")
    if x == 0.0 or x == 1.0:
        return float(x)
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _t_cdf(t: float, df: float) -> float:
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def t_quantile(q: float, df: float) -> float:
    """Quantile of Student's t with ``df`` degrees of freedom (bisection on the regularised beta)."""
    check_probability("q", q, open_interval=True)
    if df <= 0:
        raise ValueError(f"`df` must be > 0; got {df}.")
    lo, hi = -1e3, 1e3
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _t_cdf(mid, df) < q:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


class MeanCI(NamedTuple):
    """Mean over seeds with a confidence interval (:func:`mean_ci`).

    Attributes:
      mean: the mean over the seed axis (the input's shape without that axis).
      lo: the lower end ``mean - z * sem`` (Student-t or normal quantile ``z``).
      hi: the upper end ``mean + z * sem``.
      sem: the standard error of the mean.
    """

    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    sem: np.ndarray


def mean_ci(x, axis: int = 0, level: float = 0.95, *, student: bool = True) -> MeanCI:
    """Mean over ``axis`` with a two-sided ``level`` confidence interval (t or normal)."""
    x = np.asarray(x, dtype=float)
    check_array("x", x, finite=True)
    check_probability("level", level, open_interval=True)
    n = x.shape[axis]
    if n < 2:
        raise ValueError(f"`x` needs at least 2 samples along axis {axis}; got {n}.")
    m = x.mean(axis=axis)
    sem = x.std(axis=axis, ddof=1) / math.sqrt(n)
    q = 0.5 + level / 2
    z = t_quantile(q, n - 1) if student else normal_quantile(q)
    return MeanCI(m, m - z * sem, m + z * sem, sem)


def clt_tolerance(std: float, n: int, delta: float) -> float:
    """Two-sided CLT tolerance: ``|mean - mu| <= z_{1-delta/2} std / sqrt(n)`` w.p. ~ ``1 - delta``."""
    check_probability("delta", delta, open_interval=True)
    return normal_quantile(1 - delta / 2) * float(std) / math.sqrt(n)


def hoeffding_tolerance(n: int, delta: float, value_range: float = 1.0) -> float:
    """Two-sided Hoeffding: ``|mean - mu| <= range sqrt(log(2/delta) / (2n))`` w.p. >= ``1 - delta``."""
    check_probability("delta", delta, open_interval=True)
    if n < 1:
        raise ValueError(f"`n` must be >= 1; got {n}.")
    return float(value_range) * math.sqrt(math.log(2.0 / delta) / (2.0 * n))


def hoeffding_n(eps: float, delta: float, value_range: float = 1.0) -> int:
    """Samples needed for a two-sided Hoeffding tolerance ``eps`` at level ``delta``."""
    if eps <= 0:
        raise ValueError(f"`eps` must be > 0; got {eps}.")
    check_probability("delta", delta, open_interval=True)
    return math.ceil(value_range**2 * math.log(2.0 / delta) / (2.0 * eps**2))


def binomial_cdf(k: int, n: int, p: float) -> float:
    """``P(Bin(n, p) <= k)`` via the regularised incomplete beta function."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    return betainc(float(n - k), float(k + 1), 1.0 - p)


def _bisect(f, lo=0.0, hi=1.0, iters=200):
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if f(mid):
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def binomial_lower_bound(k: int, n: int, delta: float) -> float:
    """One-sided Clopper-Pearson lower bound on ``p`` from ``k`` successes out of ``n`` (level 1-delta)."""
    check_probability("delta", delta, open_interval=True)
    if k <= 0:
        return 0.0
    # smallest p with P(Bin(n,p) >= k) >= delta
    return _bisect(lambda p: 1.0 - binomial_cdf(k - 1, n, p) >= delta)


def binomial_upper_bound(k: int, n: int, delta: float) -> float:
    """One-sided Clopper-Pearson upper bound on ``p`` from ``k`` successes out of ``n``."""
    check_probability("delta", delta, open_interval=True)
    if k >= n:
        return 1.0
    # smallest p with P(Bin(n,p) <= k) <= delta
    return _bisect(lambda p: binomial_cdf(k, n, p) <= delta)


def holds_in_fraction(holds, target: float, false_failure: float) -> tuple[bool, int]:
    """Check "an event of probability >= ``target`` holds" from per-seed booleans.

    If the true probability is at least ``target``, the number of failures is stochastically
    dominated by ``Bin(n, 1 - target)``. The check allows up to the largest ``k`` with
    ``P(Bin(n, 1-target) > k) <= false_failure`` failures, so it fails wrongly with probability at
    most ``false_failure``.

    Returns:
      ``(passed, max_allowed_failures)``.
    """
    holds = np.asarray(holds, dtype=bool).ravel()
    n = holds.size
    check_probability("target", target)
    check_probability("false_failure", false_failure, open_interval=True)
    p_fail = 1.0 - target
    k = 0
    while k < n and 1.0 - binomial_cdf(k, n, p_fail) > false_failure:
        k += 1
    return bool(np.sum(~holds) <= k), k


def binomial_acceptance_band(n: int, p: float, alpha: float) -> tuple[int, int]:
    r"""Two-sided acceptance region ``[lo, hi]`` of a ``Bin(n, p)`` count at level ``1 - alpha``.

    ``lo`` is the largest ``k`` with :math:`P(K<k)\le\alpha/2` and ``hi`` the smallest ``k`` with
    :math:`P(K>k)\le\alpha/2`, so a count outside ``[lo, hi]`` has probability at most ``alpha``
    when the success probability is ``p`` (the false-failure rate of a coverage check).

    Args:
      n: trials (>= 1). p: success probability in [0, 1]. alpha: level in (0, 1).

    Returns:
      ``(lo, hi)`` integer counts.

    Raises:
      ValueError: if ``n < 1``, ``p`` is outside [0, 1] or ``alpha`` outside (0, 1).
    """
    n = check_int("n", n, min_value=1)
    check_probability("p", p)
    check_probability("alpha", alpha, open_interval=True)
    lo = 0
    while lo < n and binomial_cdf(lo, n, p) <= alpha / 2:  # P(K < lo + 1) <= alpha / 2
        lo += 1
    hi = n
    while hi > 0 and 1.0 - binomial_cdf(hi - 1, n, p) <= alpha / 2:  # P(K > hi - 1) <= alpha / 2
        hi -= 1
    return lo, hi


class SlopeFit(NamedTuple):
    """A least-squares log-log slope with its standard error and interval (:func:`loglog_slope`).

    Attributes:
      slope: the fitted slope of ``log y`` on ``log x``.
      intercept: the fitted intercept.
      se: the slope's standard error.
      lo: the lower end of the slope's confidence interval (Student-t quantile).
      hi: its upper end.
    """

    slope: float
    intercept: float
    se: float
    lo: float
    hi: float


def loglog_slope(x, y, level: float = 0.95) -> SlopeFit:
    """Least-squares fit of ``log y = a + b log x`` with the slope's standard error and t-interval."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape or x.size < 3:
        raise ValueError(f"`x` and `y` need the same length >= 3; got {x.size} and {y.size}.")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("`x` and `y` must be > 0 for a log-log fit.")
    lx, ly = np.log(x), np.log(y)
    A = np.stack([np.ones_like(lx), lx], axis=1)
    coef, *_ = np.linalg.lstsq(A, ly, rcond=None)
    resid = ly - A @ coef
    dof = x.size - 2
    s2 = float(resid @ resid) / dof
    cov = s2 * np.linalg.inv(A.T @ A)
    se = math.sqrt(max(cov[1, 1], 0.0))
    t = t_quantile(0.5 + level / 2, dof)
    b = float(coef[1])
    return SlopeFit(b, float(coef[0]), se, b - t * se, b + t * se)
