"""ACU's float32 path: statistics maintained by additions, refactorised by Cholesky.

Exactness of the path in float64 against ``ridge_retrain``; its float32 accuracy after 1,000
requests against the condition-number tolerance; boundary errors; jit == no-jit.

Tolerance (``theory/acu.md``, float32 path): ``A = X^T X + gamma I`` and ``Q = X^T Y`` are only
ever added to, so after ``K`` updates their rounding errors are sums of ``K`` terms of relative size
``eps = 2^-23`` (``||dA|| <~ sqrt(K) eps ||A||`` when the roundings do not conspire), and the Cholesky
solve is backward stable; to first order (``A dW = dQ - dA W``)
``||W - W_retrain|| / ||W_retrain|| <~ sqrt(K) kappa(A) eps`` with ``kappa(A)`` the 2-norm condition
number of the retained rows' regularised Gram matrix. The tests assert that bound with constant 1
(deterministic data and schedule: no false-failure rate; measured ratios gap / (kappa eps) are
<= 1, i.e. >= 30x inside the bound at K ~ 1,000).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unlearnlab.unlearning import (
    ACUStats,
    acu_fit,
    acu_init,
    acu_learn,
    acu_refactor,
    acu_refactor_checked,
    acu_stats_fit,
    acu_stats_init,
    acu_stats_update,
    acu_unlearn_checked,
    buffer_features,
    buffer_init,
    ridge_retrain,
)

EPS32 = float(jnp.finfo(jnp.float32).eps)


def rel(a, b):
    return float(jnp.linalg.norm(jnp.asarray(a, jnp.float64) - b) / jnp.linalg.norm(b))


def class_data(seed, n_per_class, d, C=10, d_in=32):
    """Standardised class-conditional Gaussians through a random ReLU buffer, sorted by class
    (the ACU experiment's synthetic pipeline)."""
    k1, k2, k3 = jax.random.split(jax.random.key(seed), 3)
    y = jnp.repeat(jnp.arange(C), n_per_class)
    h = jax.random.normal(k1, (C, d_in))[y] + jax.random.normal(k2, (y.shape[0], d_in))
    h = (h - h.mean(0)) / h.std(0)
    X = buffer_features(buffer_init(k3, d_in, d), h)
    return X, jax.nn.one_hot(y, C, dtype=X.dtype), np.asarray(y)


def schedule(y, n_cycles, m, seed=0, max_gone=5):
    """Cycles of 9 sample requests (forget m learned rows, or re-learn m forgotten ones) and one
    class request (forget every learned row of a class while <= max_gone are gone, else re-learn
    the longest-gone class). Returns per-cycle (signs, sample idx (9, m), class idx (P,)) arrays
    and the retained mask after each cycle."""
    N, C = len(y), int(y.max()) + 1
    P = int(np.bincount(y).max())
    rng = np.random.default_rng(seed)
    learned, gone = np.ones(N, bool), []
    s_sg, s_idx, c_sg, c_idx, masks = [], [], [], [], []
    for _ in range(n_cycles):
        for _ in range(9):
            alive = learned & ~np.isin(y, gone)
            back = ~learned & ~np.isin(y, gone)
            if back.sum() < m or (alive.sum() - m >= N // 4 and rng.random() < 0.5):
                idx = rng.choice(np.flatnonzero(alive), m, replace=False)
                learned[idx], sg = False, -1
            else:
                idx = rng.choice(np.flatnonzero(back), m, replace=False)
                learned[idx], sg = True, 1
            s_sg.append(sg)
            s_idx.append(idx)
        if len(gone) < max_gone and (rng.random() < 0.6 or not gone):
            c = int(rng.choice([k for k in range(C) if k not in gone]))
            gone.append(c)
            rows = np.flatnonzero(learned & (y == c))
            learned[rows], sg = False, -1
        else:
            rows = np.flatnonzero(y == gone.pop(0))
            learned[rows], sg = True, 1
        c_sg.append(sg)
        c_idx.append(np.pad(rows, (0, P - len(rows)), constant_values=-1))
        masks.append(learned.copy())
    return (
        jnp.asarray(s_sg).reshape(n_cycles, 9),
        jnp.asarray(np.stack(s_idx)).reshape(n_cycles, 9, m),
        jnp.asarray(c_sg),
        jnp.asarray(np.stack(c_idx)),
        np.stack(masks),
    )


def run_stream(X, Y, sched, gamma, dtype, refactor: bool):
    """Class-incremental learning then the scheduled requests, in ``dtype``; Woodbury updates,
    with (``refactor``) the statistics path replacing the state after every class request.
    Returns the weights after each cycle, ``(n_cycles, d, C)``, and the number of rejections."""
    s_sg, s_idx, c_sg, c_idx, _ = sched
    X, Y = X.astype(dtype), Y.astype(dtype)
    d, C = X.shape[1], Y.shape[1]
    y = jnp.argmax(Y, 1)

    def rows(idx):
        v = (idx >= 0)[:, None]
        return jnp.where(v, X[idx], 0.0), jnp.where(v, Y[idx], 0.0)

    def request(carry, inp):
        s, st = carry
        sg, idx = inp
        Xu, Yu = rows(idx)
        s_un, ok = acu_unlearn_checked(s, Xu, Yu)
        s = jax.tree.map(lambda a, b: jnp.where(sg > 0, a, b), acu_learn(s, Xu, Yu), s_un)
        st = jax.tree.map(
            lambda a, b: jnp.where(sg > 0, a, b),
            acu_stats_update(st, Xu, Yu),
            acu_stats_update(st, Xu, Yu, forget=True),
        )
        return (s, st), ok | (sg > 0)

    def cycle(carry, inp):
        ssg, sidx, csg, cidx = inp
        carry, ok1 = jax.lax.scan(request, carry, (ssg, sidx))
        (s, st), ok2 = request(carry, (csg, cidx))
        if refactor:
            s = acu_refactor_checked(st)[0]
        return (s, st), (s.W, jnp.sum(~ok1) + (~ok2))

    def learn_class(carry, c):
        s, st = carry
        idx = jnp.nonzero(y == c, size=c_idx.shape[1], fill_value=-1)[0]
        Xc, Yc = rows(idx)
        return (acu_learn(s, Xc, Yc), acu_stats_update(st, Xc, Yc)), None

    @jax.jit
    def go():
        init = (acu_init(d, C, 1.0 * gamma, dtype=dtype), acu_stats_init(d, C, gamma, dtype=dtype))
        carry, _ = jax.lax.scan(learn_class, init, jnp.arange(C))
        if refactor:
            carry = (acu_refactor_checked(carry[1])[0], carry[1])
        _, (Ws, rejected) = jax.lax.scan(cycle, carry, (s_sg, s_idx, c_sg, c_idx))
        return Ws, jnp.sum(rejected)

    return go()


def oracle(X, Y, masks, gamma):
    """float64 ridge retrained on each retained set, and kappa(A) of its Gram matrix."""

    def one(mask):
        Xk = X * mask[:, None]
        A = Xk.T @ Xk + gamma * jnp.eye(X.shape[1], dtype=X.dtype)
        ev = jnp.linalg.eigvalsh(A)
        return jnp.linalg.solve(A, Xk.T @ Y), ev[-1] / ev[0]

    return jax.jit(jax.vmap(one))(jnp.asarray(masks))


def small_data(seed, N, d, C=10):
    """Plain NumPy rows (no compilation) for the exactness and boundary tests."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, C, N)
    return rng.normal(size=(N, d)), np.eye(C)[y], y


def gaps(Ws, W_true):
    diff = (Ws.astype(jnp.float64) - W_true).reshape(len(W_true), -1)
    return np.asarray(
        jnp.linalg.norm(diff, axis=1) / jnp.linalg.norm(W_true.reshape(len(W_true), -1), axis=1)
    )


# ----------------------------------------------------------------------------- exactness (float64)


def test_statistics_path_equals_retrain_float64():
    X, Y, y = small_data(3, 300, 24)
    rng = np.random.default_rng(0)
    st = acu_stats_fit(X, Y, 0.5)
    keep = np.ones(len(y), bool)
    for r in range(12):
        if r % 3 == 2:
            idx = rng.choice(np.flatnonzero(~keep), 7, replace=False)
            st, keep[idx] = acu_stats_update(st, X[idx], Y[idx]), True
        else:
            idx = rng.choice(np.flatnonzero(keep), 7, replace=False)
            st, keep[idx] = acu_stats_update(st, X[idx], Y[idx], forget=True), False
    s = acu_refactor(st)
    W = ridge_retrain(X[keep], Y[keep], 0.5)
    assert rel(s.W, W) <= 1e-8
    A = X[keep].T @ X[keep] + 0.5 * jnp.eye(24)
    assert float(jnp.max(jnp.abs(s.R @ A - jnp.eye(24)))) <= 1e-8
    assert int(st.count) == keep.sum()
    # init + learning everything equals fitting; zero rows are no-ops
    st2 = acu_stats_update(acu_stats_init(24, 10, 0.5), X, Y)
    st3 = acu_stats_update(st2, jnp.zeros((4, 24)), jnp.zeros((4, 10)), forget=True)
    np.testing.assert_allclose(st3.A, acu_stats_fit(X, Y, 0.5).A, rtol=1e-12)
    assert int(st3.count) == len(y)
    # the refactorised state continues with Woodbury requests exactly
    s4, ok = acu_unlearn_checked(acu_refactor(st2), X[:6], Y[:6])
    assert bool(ok) and rel(s4.W, ridge_retrain(X[6:], Y[6:], 0.5)) <= 1e-8


def test_refactor_jit_matches_eager_and_rejects_unlearned_rows():
    X, Y, _ = small_data(4, 100, 16)
    st = acu_stats_fit(X, Y, 1.0)
    with jax.disable_jit():
        s_eager, ok_eager = acu_refactor_checked(st)
    s_jit, ok_jit = acu_refactor_checked(st)
    assert bool(ok_eager) and bool(ok_jit)
    np.testing.assert_allclose(s_jit.W, s_eager.W, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(s_jit.W, acu_fit(X, Y, 1.0).W, rtol=1e-8, atol=1e-12)
    bad = acu_stats_update(st, 10.0 * X[:3], Y[:3], forget=True)
    s_bad, ok_bad = acu_refactor_checked(bad)
    assert not bool(ok_bad) and bool(jnp.all(jnp.isfinite(s_bad.W)))
    with pytest.raises(ValueError, match="stats.A"):
        acu_refactor(bad)


@pytest.mark.parametrize(
    "call, arg",
    [
        (lambda st, X, Y: acu_stats_update(st, X[:, :3], Y), "X"),
        (lambda st, X, Y: acu_stats_update(st, X, Y[:, :2]), "Y"),
        (lambda st, X, Y: acu_stats_update(st, X, Y, forget="yes"), "forget"),
        (lambda st, X, Y: acu_stats_update(st._replace(Q=st.Q * np.nan), X, Y), "stats.Q"),
        (lambda st, X, Y: acu_refactor((st.A, st.Q)), "stats"),
        (lambda st, X, Y: acu_stats_init(4, 3, -1.0), "gamma"),
        (lambda st, X, Y: acu_stats_fit(X, Y[:-1], 1.0), "Y"),
    ],
)
def test_bad_input_is_named(call, arg):
    X, Y, _ = small_data(5, 20, 8)
    st = acu_stats_fit(X, Y, 1.0)
    assert isinstance(st, ACUStats)
    with pytest.raises(ValueError, match=f"`{arg}`"):
        call(st, X, Y)


# ----------------------------------------------------------------------------- float32 accuracy


def _float32_after_requests(n_per_class, d, n_cycles, m):
    X, Y, y = class_data(2505, n_per_class, d)
    sched = schedule(y, n_cycles, m)
    W_true, kappa = oracle(X, Y, sched[-1], 1.0)
    W32, rej32 = run_stream(X, Y, sched, 1.0, jnp.float32, refactor=False)
    Wst, rejst = run_stream(X, Y, sched, 1.0, jnp.float32, refactor=True)
    return gaps(W32, W_true), int(rej32), gaps(Wst, W_true), int(rejst), np.asarray(kappa)


def test_float32_statistics_path_after_1000_requests():
    """1,000 requests (100 cycles of 9 sample requests of 8 rows and one whole-class request) on
    N = 400, d = 64: the refactorised float32 path stays within sqrt(K) kappa(A) eps of the float64
    retrain after every cycle (K = 10 learned classes + the requests so far)."""
    X, Y, y = class_data(2505, 40, 64)
    sched = schedule(y, 100, 8)
    W_true, kappa = oracle(X, Y, sched[-1], 1.0)
    Wst, rej = run_stream(X, Y, sched, 1.0, jnp.float32, refactor=True)
    K = 10 + 10 * np.arange(1, 101)
    tol = np.sqrt(K) * np.asarray(kappa) * EPS32
    g = gaps(Wst, W_true)
    assert int(rej) == 0 and Wst.dtype == jnp.float32
    assert np.all(g <= tol), (g / tol).max()


@pytest.mark.slow
def test_float32_statistics_path_figure_regime():
    """The figure's regime (d = 512, 200 rows per class, gamma = 1), 1,000 requests of 16 rows and
    whole classes: the refactorised float32 path within sqrt(K) kappa(A) eps after every cycle,
    and closer to the retrain than float32 Woodbury updates alone."""
    g32, _, gst, rej, kappa = _float32_after_requests(200, 512, 100, 16)
    tol = np.sqrt(10 + 10 * np.arange(1, 101)) * kappa * EPS32
    assert rej == 0 and np.all(gst <= tol), (gst / tol).max()
    assert g32.max() > 10 * gst.max()
