"""Statistics helpers against SciPy (exact identities) and their coverage (statistical)."""

import math

import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

from unlearnlab.lab import stats


@given(q=st.floats(0.001, 0.999), df=st.sampled_from([1, 2, 5, 30, 200]))
def test_quantiles_match_scipy(q, df):
    assert math.isclose(stats.normal_quantile(q), ss.norm.ppf(q), rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(stats.t_quantile(q, df), ss.t.ppf(q, df), rel_tol=1e-7, abs_tol=1e-7)


@given(n=st.integers(1, 400), p=st.floats(0.0, 1.0), frac=st.floats(0, 1))
def test_binomial_cdf_matches_scipy(n, p, frac):
    k = int(frac * n)
    assert math.isclose(stats.binomial_cdf(k, n, p), ss.binom.cdf(k, n, p), abs_tol=1e-10)


@given(a=st.floats(0.1, 50), b=st.floats(0.1, 50), x=st.floats(0, 1))
def test_betainc_matches_scipy(a, b, x):
    from scipy.special import betainc

    assert math.isclose(stats.betainc(a, b, x), betainc(a, b, x), abs_tol=1e-10)


def test_clopper_pearson_matches_scipy():
    for k, n in [(0, 10), (3, 10), (50, 100), (99, 100), (100, 100)]:
        lo = stats.binomial_lower_bound(k, n, 0.05)
        hi = stats.binomial_upper_bound(k, n, 0.05)
        ref_lo = 0.0 if k == 0 else ss.beta.ppf(0.05, k, n - k + 1)
        ref_hi = 1.0 if k == n else ss.beta.ppf(0.95, k + 1, n - k)
        assert math.isclose(lo, ref_lo, abs_tol=1e-9) and math.isclose(hi, ref_hi, abs_tol=1e-9)


def test_loglog_slope_exact_power_law():
    x = np.array([10, 30, 100, 300, 1000.0])
    fit = stats.loglog_slope(x, 3.0 * x**-0.5)
    assert math.isclose(fit.slope, -0.5, abs_tol=1e-12)
    assert math.isclose(math.exp(fit.intercept), 3.0, rel_tol=1e-10)
    assert fit.se < 1e-10


def test_holds_in_fraction_threshold():
    # with target 0.95 over 100 seeds and false-failure 1e-3, the allowed failures k is the
    # smallest k with P(Bin(100, 0.05) > k) <= 1e-3
    ok, k = stats.holds_in_fraction(np.ones(100, bool), 0.95, 1e-3)
    assert ok and ss.binom.sf(k, 100, 0.05) <= 1e-3 < ss.binom.sf(k - 1, 100, 0.05)
    holds = np.ones(100, bool)
    holds[: k + 1] = False
    assert not stats.holds_in_fraction(holds, 0.95, 1e-3)[0]


def test_hoeffding_round_trip():
    n = stats.hoeffding_n(0.05, 1e-3)
    assert stats.hoeffding_tolerance(n, 1e-3) <= 0.05 < stats.hoeffding_tolerance(n - 1, 1e-3)


def test_mean_ci_coverage():
    """Statistical: for Gaussian data the 95% t-interval has exact coverage, so over 2000
    independent replicates the number of misses is Bin(2000, 0.05). We accept it inside the
    binomial's two-sided quantiles at total level 1e-4 (false-failure rate 1e-4)."""
    rng = np.random.default_rng(0)
    x = 1.0 + 2.0 * rng.normal(size=(2000, 12))
    ci = stats.mean_ci(x, axis=1, level=0.95)
    miss = int(np.sum((ci.lo > 1.0) | (ci.hi < 1.0)))
    lo, hi = ss.binom.ppf(5e-5, 2000, 0.05), ss.binom.isf(5e-5, 2000, 0.05)
    assert lo <= miss <= hi


def test_bad_input():
    with pytest.raises(ValueError):
        stats.mean_ci(np.ones(1))
    with pytest.raises(ValueError):
        stats.loglog_slope([1, 2, 3], [1, -1, 2])
    with pytest.raises(ValueError):
        stats.hoeffding_tolerance(10, 1.5)
    with pytest.raises(ValueError, match="finite"):
        stats.mean_ci(np.array([1.0, np.nan, 2.0]))
