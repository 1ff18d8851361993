"""Good-Turing estimators: exact identities against brute-force oracles, and invariants."""

import itertools
import math
from collections import Counter

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unlearnlab.hallucination import (
    count_of_counts,
    good_turing_bias,
    good_turing_mass_by_count,
    missing_mass,
    monofact_rate,
)

SIZES = (1, 5, 17)


@st.composite
def count_vectors(draw):
    m = draw(st.sampled_from(SIZES))
    c = draw(hnp.arrays(np.int64, m, elements=st.integers(0, 6)))
    if c.sum() == 0:
        c[0] = 1
    return c


def _counter_monofact(counts):
    """Pure-Python reference: expand counts to a sample of fact ids, count singletons with Counter."""
    sample = [i for i, c in enumerate(counts) for _ in range(int(c))]
    tally = Counter(sample)
    return sum(1 for v in tally.values() if v == 1) / len(sample)


# ---- invariants (hypothesis) ------------------------------------------------------------------


@given(count_vectors(), st.randoms(use_true_random=False))
def test_estimator_basics(counts, rnd):
    """monofact_rate in [0,1], equals the Counter reference, is permutation invariant, and
    eager == jit == vmap."""
    mf = float(monofact_rate(counts))
    assert 0.0 <= mf <= 1.0
    assert mf == pytest.approx(_counter_monofact(counts), abs=1e-12)
    perm = list(range(len(counts)))
    rnd.shuffle(perm)
    assert float(monofact_rate(counts[perm])) == pytest.approx(mf, abs=1e-15)
    assert float(jax.jit(monofact_rate)(counts)) == mf
    batched = jax.vmap(monofact_rate)(jnp.stack([counts, counts[perm]]))
    np.testing.assert_array_equal(np.asarray(batched), [mf, mf])


_mm = jax.jit(missing_mass)
_nc = jax.jit(count_of_counts, static_argnums=1)
_gtm = jax.jit(good_turing_mass_by_count, static_argnums=1)


@given(count_vectors())
def test_missing_mass_and_count_of_counts(counts):
    """missing_mass = p(unobserved) against a loop; N_c and (c+1)N_{c+1}/n against Counter
    (jitted: eager == jit is checked in test_api.py)."""
    m = len(counts)
    p = np.arange(1, m + 1, dtype=float)
    p /= p.sum()
    ref = sum(p[i] for i in range(m) if counts[i] == 0)
    assert float(_mm(counts, p)) == pytest.approx(ref, abs=1e-12)
    n = int(counts.sum())
    tally = Counter(int(c) for c in counts)
    nc = np.asarray(_nc(counts, 4))
    np.testing.assert_array_equal(nc, [tally.get(c, 0) for c in range(5)])
    gt = np.asarray(_gtm(counts, 4))
    np.testing.assert_allclose(
        gt, [(c + 1) * tally.get(c + 1, 0) / n for c in range(5)], atol=1e-12
    )
    assert gt[0] == pytest.approx(_counter_monofact(counts), abs=1e-12)


# ---- exact identity (enumeration oracle) ------------------------------------------------------


@pytest.mark.claim("hallucination_monofact.gt_bias_identity")
@pytest.mark.parametrize("p,n", [([0.5, 0.3, 0.2], 4), ([0.7, 0.1, 0.1, 0.1], 3), ([0.25] * 4, 5)])
def test_good_turing_bias_enumeration(p, n):
    """E[N1/n] - E[MM] = sum p^2 (1-p)^(n-1), with expectations by enumerating all n-samples."""
    p = np.asarray(p)
    seqs = list(itertools.product(range(len(p)), repeat=n))
    probs = np.array([math.prod(p[i] for i in seq) for seq in seqs])
    counts = np.stack([np.bincount(seq, minlength=len(p)) for seq in seqs])
    mf = np.asarray(jax.vmap(monofact_rate)(counts))
    mm = np.asarray(jax.vmap(lambda c: missing_mass(c, p))(counts))
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert probs @ (mf - mm) == pytest.approx(float(good_turing_bias(p, n)), abs=1e-12)
