"""h-calibration: the sorted-event window statistic, its Hoeffding bound, the h-loss, fit and apply.

**Event view** (official code, ``loss/hCalib.py``). The :math:`N\\times C` probability matrix is
flattened into :math:`M=NC` events :math:`e=(i,c)` with predicted probability :math:`p_e=\\tilde
p_{ic}` and occurrence :math:`o_e=\\mathbb 1[y_i=c]`. Events are sorted by :math:`p_e`; with
residuals :math:`r_{(k)}=p_{(k)}-o_{(k)}` in that order and window :math:`w` (even; :math:`m=w+1`
events per window), the statistic is

.. math:: T_j=\\Big|\\frac1{w+1}\\sum_{k=j-w/2}^{j+w/2}r_{(k)}\\Big|,\\qquad r_{(k)}=0\\ \\text{outside}\\ 1..M

(the code's zero-padded box convolution; computed here from a cumulative sum in O(M)).

**h-calibration** [reconstruction, the paper body was not read]: a predictor is h-calibrated at
window :math:`m` if :math:`T_j\\le h` for all :math:`j`. For a canonically calibrated predictor the
:math:`r_e` are zero-mean given the probabilities, lie in an interval of length 1, and are
independent across samples and negatively associated within a sample, so Hoeffding gives
:math:`\\Pr(T_j>h)\\le2e^{-2mh^2}`, hence :func:`hcal_bound` [derived].

**h-loss** [code]: :math:`u_j=\\max(T_j-\\epsilon,0)` averaged within ``n_groups`` groups of the sorted
order and then over groups (the code's ``cluaceweighted``, with equal-mass groups instead of faiss
k-means -- a lab deviation), optionally leave-one-class-out (the code's ``IsIter=True``). Gradients
flow through the :math:`p_e` inside the window sums; the sort order and groups are detached.

Symbols -> arguments: :math:`\\tilde p` -> ``probs``; :math:`y` -> ``labels``; :math:`w` ->
``window``; :math:`\\epsilon` -> ``eps``; :math:`\\delta` -> ``delta``; :math:`M` -> ``n_events``.

References:
  Huang, Cao, Xia, Chen, Wang, Zhang, "h-calibration: Rethinking Classifier Recalibration with
  Probabilistic Error-Bounded Objective", IEEE TPAMI 2025, arXiv 2506.17968 (theorem numbers not
  available to the lab: cited as "h-calibration, Thm (equivalence/convergence), reconstructed");
  official code github.com/WenjianHuang93/h-Calibration @539c7dc (``loss/hCalib.py``,
  ``calibrate.py``); Hoeffding (1963), Thm 2; Dubhashi & Ranjan (1998) (negative
  association of multinomial indicators).
"""

from __future__ import annotations

import dataclasses
import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from unlearnlab.calibration import _validate as V
from unlearnlab.calibration import maps as M
from unlearnlab.calibration.metrics import ece as _ece
from unlearnlab.lab.checks import check_int, check_positive, check_probability, is_traced

__all__ = [
    "hcal_window_stats",
    "hcal_loss",
    "hcal_bound",
    "hcal_noise_floor",
    "HCalModel",
    "fit_hcal",
    "apply_hcal",
    "hcal_log_probs",
    "FAMILIES",
]

FAMILIES = ("ets", "pwl", "mono_mlp", "temperature")
WEIGHTINGS = ("equal_mass", "unweighted", "kmeans", "equal_width")
SORTS = ("auto", "xla", "host")


# ------------------------------------------------------------------------------ sorting
def _host_argsort(x):
    return jax.pure_callback(
        lambda a: np.argsort(np.asarray(a), kind="stable").astype(np.int32),
        jax.ShapeDtypeStruct(x.shape, jnp.int32),
        x,
        vmap_method="sequential",
    )


def _argsort(x, sort: str):
    """Stable argsort of a detached vector; ``"host"`` calls NumPy (radix sort: ~10x faster than
    XLA's CPU comparator sort at 5e5 events), ``"auto"`` = host on the CPU backend, XLA elsewhere."""
    x = jax.lax.stop_gradient(x)
    if sort == "auto":
        sort = "host" if jax.default_backend() == "cpu" else "xla"
    if sort == "host":
        return _host_argsort(x)
    return jnp.argsort(x, stable=True)


def _sorted_residuals(probs, labels, sort):
    """Events sorted by p: returns (p_sorted, r_sorted, label-of-row for each sorted event)."""
    n, c = probs.shape
    p = probs.reshape(-1)
    o = jax.nn.one_hot(labels, c, dtype=probs.dtype).reshape(-1)
    order = _argsort(p, sort)
    return p[order], (p - o)[order], jnp.repeat(labels, c)[order]


def _window_means(r, window):
    """Zero-padded centred window means of ``r`` (length M): (1/(w+1)) sum_{|k-j|<=w/2} r_k."""
    h = window // 2
    m = r.shape[0]
    cs = jnp.concatenate([jnp.zeros(h + 1, r.dtype), jnp.cumsum(r)])
    cs = jnp.concatenate([cs, jnp.broadcast_to(cs[-1], (h,))])
    return (cs[window + 1 : window + 1 + m] - cs[:m]) / (window + 1)


def _check_window(window, n_events):
    window = check_int("window", window, min_value=2)
    if window % 2:
        raise ValueError(f"`window` must be even (m = window + 1 events per window); got {window}.")
    if window >= n_events:
        raise ValueError(
            f"`window` must be smaller than the number of events N*C = {n_events}; got {window}."
        )
    return window


def hcal_window_stats(probs, labels, *, window: int = 200, sort: str = "xla"):
    """The sorted-event window statistic :math:`T_j`, :math:`j=1..M` (in sorted order).

    .. math:: T_j=\\Big|\\frac1{w+1}\\sum_{k=j-w/2}^{j+w/2}(p_{(k)}-o_{(k)})\\Big|

    Args:
      probs: (N, C) probabilities. labels: (N,) ints. window: :math:`w` (even, < N*C).
      sort: ``"xla"``, ``"host"`` or ``"auto"`` (see :func:`fit_hcal`).

    Returns:
      (N*C,) array :math:`T_j` in [0, 1], ordered by increasing predicted probability.

    References: official code ``loss/hCalib.py`` (``hcalib_subfunc``, box convolution).
    """
    if not is_traced(probs):
        n, c = V.probs_labels(probs, labels)
        window = _check_window(window, n * c)
        _check_sort(sort)
    _, r, _ = _sorted_residuals(probs, labels, sort)
    return jnp.abs(_window_means(r, window))


def _check_sort(sort):
    if sort not in SORTS:
        raise ValueError(f"`sort` must be one of {SORTS}; got {sort!r}.")


def _kmeans_1d(p, valid, count, n_groups, iters=25):
    """Lloyd's 1-D k-means on the sorted values ``p`` (entries with ``valid``), centres started at
    the equal-mass quantiles; returns the cluster of every entry (``n_groups`` for invalid ones).
    1-D clusters are intervals, so assignment is a ``searchsorted`` on the centre midpoints."""
    p = jax.lax.stop_gradient(p)
    q = ((jnp.arange(n_groups) + 0.5) * count / n_groups).astype(jnp.int32)
    # the q-th valid entry (valid entries are not contiguous under LOCO masks)
    cm = jnp.cumsum(valid.astype(jnp.int32))
    pos = jnp.clip(jnp.searchsorted(cm, q + 1, side="left"), 0, p.shape[0] - 1)
    c0 = p[pos]

    def assign(c):
        return jnp.searchsorted(0.5 * (c[:-1] + c[1:]), p, side="left")

    def lloyd(_, c):
        g = jnp.where(valid, assign(c), n_groups)
        s = jax.ops.segment_sum(p, g, num_segments=n_groups + 1)[:n_groups]
        k = jax.ops.segment_sum(jnp.ones_like(p), g, num_segments=n_groups + 1)[:n_groups]
        return jnp.sort(jnp.where(k > 0, s / jnp.maximum(k, 1.0), c))

    c = jax.lax.fori_loop(0, iters, lloyd, c0)
    return jnp.where(valid, assign(c), n_groups)


def _group_mean(u, rank, count, n_groups, weighting, p=None):
    """Mean of u over valid entries (rank < count): plain; equal-mass groups of ranks; or groups by
    the value of p (``"kmeans"``: 1-D k-means clusters, the code's ``cluaceweighted``;
    ``"equal_width"``: bins of width 1/n_groups, the code's ``aceweighted``) -- the mean within each
    group, then the mean over the ``n_groups`` groups (empty groups count as 0, as in the code)."""
    valid = rank < count
    if weighting == "unweighted":
        return jnp.sum(jnp.where(valid, u, 0.0)) / jnp.maximum(count, 1)
    if weighting == "equal_mass":
        g = jnp.where(valid, (rank * n_groups) // jnp.maximum(count, 1), n_groups)
    elif weighting == "equal_width":
        pd = jax.lax.stop_gradient(p)
        g = jnp.where(
            valid, jnp.clip(jnp.floor(pd * n_groups), 0, n_groups - 1).astype(jnp.int32), n_groups
        )
    else:
        g = _kmeans_1d(p, valid, count, n_groups)
    s = jax.ops.segment_sum(u, g, num_segments=n_groups + 1)[:n_groups]
    k = jax.ops.segment_sum(jnp.ones_like(u), g, num_segments=n_groups + 1)[:n_groups]
    per = s / jnp.maximum(k, 1.0)
    if weighting == "equal_mass":
        nonempty = k > 0
        return jnp.sum(jnp.where(nonempty, per, 0.0)) / jnp.maximum(jnp.sum(nonempty), 1)
    return jnp.mean(per)


def _loco_subloss(r, p_sorted, row_label, k, window, eps, n_groups, weighting):
    """h-loss on the events of rows with label != k, windows over their compact sorted order."""
    m = r.shape[0]
    h = window // 2
    keep = row_label != k
    cm = jnp.cumsum(keep.astype(jnp.int32))  # number kept up to and including e
    count = cm[-1]
    P = jnp.cumsum(jnp.where(keep, r, 0.0))
    # compact cumulative sums C[q] = sum of the first q kept residuals, q = 0..m
    pos = jnp.searchsorted(cm, jnp.arange(1, m + 1), side="left")  # position of the q-th kept event
    C = jnp.concatenate([jnp.zeros(1, r.dtype), P[jnp.clip(pos, 0, m - 1)]])
    q = jnp.arange(m)
    hi = jnp.clip(q + h + 1, 0, count)
    lo = jnp.clip(q - h, 0, count)
    T = jnp.abs(C[hi] - C[lo]) / (window + 1)
    u = jnp.maximum(T - eps, 0.0)
    p_compact = p_sorted[jnp.clip(pos, 0, m - 1)]
    return _group_mean(u, q, count, n_groups, weighting, p_compact)


def hcal_loss(
    probs,
    labels,
    *,
    window: int = 200,
    eps: float = 0.0,
    n_groups: int = 15,
    weighting: str = "equal_mass",
    leave_one_class_out: bool = False,
    sort: str = "xla",
):
    """The h-calibration objective on a probability matrix.

    .. math:: \\ell=\\frac1{G}\\sum_{g=1}^{G}\\frac1{|B_g|}\\sum_{j\\in B_g}\\max(T_j-\\epsilon,0)

    with :math:`B_g` the ``n_groups`` groups of the sorted events: ``"kmeans"`` (1-D k-means
    clusters of the probabilities, Lloyd from quantile starts -- the code's ``cluaceweighted`` with a
    deterministic k-means in place of faiss), ``"equal_width"`` (probability bins of width 1/G, the
    code's ``aceweighted``), ``"equal_mass"`` (G rank groups of equal size -- with equal sizes the
    mean of group means is the plain mean, so this is the code's ``unweighted`` up to rounding) or
    ``"unweighted"``. With ``leave_one_class_out`` the loss is
    :math:`\\frac1C\\sum_k\\ell_k`, :math:`\\ell_k` computed on the rows with :math:`y_i\\ne k` only
    (the code's ``IsIter=True``; masked, shapes static, ``lax.map`` over k).

    Args:
      probs: (N, C). labels: (N,). window: :math:`w`. eps: hinge :math:`\\epsilon\\ge0`.
      n_groups: :math:`G`. weighting: ``"equal_mass"``, ``"unweighted"``, ``"kmeans"`` or
      ``"equal_width"``.
      leave_one_class_out: LOCO average. sort: ``"xla"``, ``"host"``, ``"auto"``.

    Returns:
      scalar in [0, 1], differentiable in ``probs`` almost everywhere.

    References: official code ``loss/hCalib.py`` (``hcalibration``, ``hcalib_subfunc``).
    """
    if not is_traced(probs):
        n, c = V.probs_labels(probs, labels)
        window = _check_window(window, n * c)
        check_int("n_groups", n_groups, min_value=1)
        if not is_traced(eps):
            if not float(eps) >= 0:
                raise ValueError(f"`eps` must be >= 0; got {eps}.")
        if weighting not in WEIGHTINGS:
            raise ValueError(f"`weighting` must be one of {WEIGHTINGS}; got {weighting!r}.")
        _check_sort(sort)
    p_sorted, r, row_label = _sorted_residuals(probs, labels, sort)
    m = r.shape[0]
    if not leave_one_class_out:
        u = jnp.maximum(jnp.abs(_window_means(r, window)) - eps, 0.0)
        return _group_mean(u, jnp.arange(m), m, n_groups, weighting, p_sorted)
    c = probs.shape[1]
    sub = jax.lax.map(
        lambda k: _loco_subloss(r, p_sorted, row_label, k, window, eps, n_groups, weighting),
        jnp.arange(c),
    )
    return jnp.mean(sub)


def hcal_bound(n_events: int, window: int, delta: float, union: bool = True) -> float:
    """Hoeffding h-bound for a calibrated predictor [derived]:

    .. math:: h(\\delta)=\\sqrt{\\frac{\\log(2/\\delta)}{2(w+1)}},\\qquad
              h_\\cup(\\delta)=\\sqrt{\\frac{\\log(2M/\\delta)}{2(w+1)}}

    :math:`\\Pr(T_j>h(\\delta))\\le\\delta` for each window; :math:`\\Pr(\\max_jT_j>h_\\cup(\\delta))\\le
    \\delta` (union bound over the :math:`M` windows). Valid for the zero-padded end windows a
    fortiori.

    Args:
      n_events: :math:`M=NC`. window: :math:`w`. delta: :math:`\\delta\\in(0,1)`. union: all windows.

    Returns:
      float h.

    References: Hoeffding (1963), Thm 2, with negative association within a sample (Dubhashi &
    Ranjan 1998); "h-calibration" bound reconstructed (spec §2).
    """
    n_events = check_int("n_events", n_events, min_value=1)
    window = check_int("window", window, min_value=0)
    check_probability("delta", delta, open_interval=True)
    k = n_events if union else 1
    return math.sqrt(math.log(2.0 * k / delta) / (2.0 * (window + 1)))


def hcal_noise_floor(probs, window: int = 200):
    """Mean :math:`T_j` of a calibrated predictor, to first order [derived]:
    :math:`\\sqrt{2/\\pi}\\,\\bar\\sigma/\\sqrt{w+1}` with :math:`\\bar\\sigma^2=\\overline{p(1-p)}` over
    all events (the mean absolute value of a centred normal with the window's variance).

    Args: probs: (N, C). window: :math:`w`. Returns: scalar.
    """
    sig = jnp.sqrt(jnp.mean(probs * (1 - probs)))
    return jnp.sqrt(2 / jnp.pi) * sig / jnp.sqrt(window + 1.0)


# ------------------------------------------------------------------------------ model, fit, apply
@partial(
    jax.tree_util.register_dataclass,
    data_fields=["params", "history", "ece_history"],
    meta_fields=["family", "family_kwargs"],
)
@dataclasses.dataclass(frozen=True)
class HCalModel:
    """A fitted recalibration map.

    Attributes:
      params: the map's parameter pytree (see :mod:`unlearnlab.calibration.maps`).
      history: (steps,) training loss per step.
      ece_history: (steps,) calibration-set top-label ECE (15 equal-width bins) per step.
      family: static, one of :data:`FAMILIES`.
      family_kwargs: static, the family's size options as a sorted tuple of (name, value).
    """

    params: dict
    history: jax.Array
    ece_history: jax.Array
    family: str = "ets"
    family_kwargs: tuple = ()


def _init_params(key, family, fk, ell):
    if family == "temperature":
        return {"a": jnp.zeros(())}
    if family == "ets":
        return M.init_ets(key, fk.get("num_temps", 16))
    if family == "pwl":
        return M.init_pwl(fk.get("num_segments", 100), fk.get("lo", -30.0))
    # mono_mlp: mu/sigma of the calibration-set log-probabilities (concrete or traced)
    lo = fk.get("lo", -30.0)
    e = jnp.maximum(ell, lo)
    mu, sd = jnp.mean(e), jnp.std(e) + 1e-6
    p = M.init_mono_mlp(
        key, fk.get("hidden", (10, 10)), fk.get("n_quad", 32), fk.get("n_grid", 256), lo
    )
    grid = (jnp.linspace(lo, 0.0, p["grid"].shape[0]) - mu) / sd
    return {**p, "grid": grid, "mu": mu, "sigma": sd}


def _log_probs(family, params, logits):
    if family == "temperature":
        return jax.nn.log_softmax(jnp.exp(params["a"]) * logits, axis=-1)
    if family == "ets":
        return M.apply_ets(params, logits)
    if family == "pwl":
        return M.apply_pwl(params, logits)
    return M.apply_mono_mlp(params, logits)


def hcal_log_probs(model: HCalModel, logits):
    """Log-probabilities of a fitted :class:`HCalModel` on ``logits`` (N, C)."""
    if not is_traced(logits):
        V.logits_labels(logits, np.zeros(np.shape(logits)[0], np.int32))
    return _log_probs(model.family, model.params, logits)


def apply_hcal(model: HCalModel, logits):
    """Calibrated probabilities (N, C) of a fitted :class:`HCalModel`; rows sum to 1 and the argmax of
    ``logits`` is preserved (every family is order-preserving)."""
    return jnp.exp(hcal_log_probs(model, logits))


def fit_hcal(
    key,
    logits,
    labels,
    *,
    family: str = "ets",
    family_kwargs: dict | None = None,
    window: int = 200,
    steps: int = 2000,
    lr: float = 5e-3,
    batch: int = 5000,
    loss_weight: float = 1.0,
    leave_one_class_out: bool = False,
    eps: float = 0.0,
    n_groups: int = 15,
    weighting: str = "equal_mass",
    loss: str = "hcal",
    select: str = "ece",
    sort: str = "auto",
    schedule: str = "constant",
) -> HCalModel:
    """Fit an order-preserving map by minimising the h-loss (or NLL, the ablation) with Adam.

    ``optax.adam(lr)`` runs inside ``lax.scan`` for ``steps`` steps on mini-batches of ``batch``
    rows (full batch when ``batch >= N``; the loss is batch-level). With ``select="ece"`` the
    returned parameters are those with the lowest calibration-set top-label ECE (15 equal-width
    bins) over the run, as the code selects its checkpoint; ``select="last"`` returns the last.

    Lab deviations from ``calibrate.py``: a fixed number of steps with best-checkpoint selection
    instead of early stopping + ReduceLROnPlateau; ``loss_weight=1`` (Adam is scale-invariant up to
    its epsilon); pooled loss by default (LOCO with ``leave_one_class_out=True``).

    Args:
      key: PRNG key (initialisation, mini-batches).
      logits: (N, C) calibration logits (``log(clip(p, 1e-12))`` for probabilities).
      labels: (N,) ints in [0, C).
      family: ``"ets"``, ``"pwl"``, ``"mono_mlp"`` or ``"temperature"``.
      family_kwargs: size options (``num_temps``; ``num_segments``, ``lo``; ``hidden``, ``n_quad``,
        ``n_grid``).
      window, eps, n_groups, weighting, leave_one_class_out: see :func:`hcal_loss`.
      steps, lr, batch, loss_weight: optimisation.
      loss: ``"hcal"`` or ``"nll"``.
      select: ``"ece"`` or ``"last"``.
      schedule: ``"constant"`` learning rate, or ``"cosine"`` decay to 0 over ``steps``
        (``optax.cosine_decay_schedule``; removes Adam's end-of-run oscillation, used by the
        consistency test).
      sort: event sort, ``"auto"`` (NumPy on the CPU backend via ``pure_callback``, XLA elsewhere),
        ``"xla"`` or ``"host"``.

    Returns:
      :class:`HCalModel`.

    References: official code ``calibrate.py`` and ``expdir_*/config.json`` (Adam, lr 5e-3, batch
    5000, ``veclen`` 200, 15 clusters).
    """
    fk = dict(family_kwargs or {})
    if not is_traced(logits):
        n, c = V.logits_labels(logits, labels)
        if family not in FAMILIES:
            raise ValueError(f"`family` must be one of {FAMILIES}; got {family!r}.")
        if loss not in ("hcal", "nll"):
            raise ValueError(f"`loss` must be 'hcal' or 'nll'; got {loss!r}.")
        if schedule not in ("constant", "cosine"):
            raise ValueError(f"`schedule` must be 'constant' or 'cosine'; got {schedule!r}.")
        if select not in ("ece", "last"):
            raise ValueError(f"`select` must be 'ece' or 'last'; got {select!r}.")
        if weighting not in WEIGHTINGS:
            raise ValueError(f"`weighting` must be one of {WEIGHTINGS}; got {weighting!r}.")
        _check_sort(sort)
        check_int("steps", steps, min_value=1)
        check_int("batch", batch, min_value=2)
        check_int("n_groups", n_groups, min_value=1)
        check_positive("lr", lr)
        check_positive("loss_weight", loss_weight)
        _check_window(window, min(batch, n) * c)
    n = logits.shape[0]
    bsz = min(batch, n)
    k_init, k_batch = jax.random.split(key)
    ell = jax.nn.log_softmax(logits, axis=-1)
    params = _init_params(k_init, family, fk, ell)
    trainable = {"mlp"} if family == "mono_mlp" else set(params)
    frozen = {k: v for k, v in params.items() if k not in trainable}
    train = {k: v for k, v in params.items() if k in trainable}

    def objective(tp, z, y):
        lp = _log_probs(family, {**tp, **frozen}, z)
        if loss == "nll":
            val = -jnp.mean(jnp.take_along_axis(lp, y[:, None], axis=1))
        else:
            val = hcal_loss(
                jnp.exp(lp),
                y,
                window=window,
                eps=eps,
                n_groups=n_groups,
                weighting=weighting,
                leave_one_class_out=leave_one_class_out,
                sort=sort,
            )
        return loss_weight * val, lp

    opt = optax.adam(optax.cosine_decay_schedule(lr, steps) if schedule == "cosine" else lr)
    grad_fn = jax.value_and_grad(objective, has_aux=True)

    def cal_ece(lp):
        return _ece(jnp.exp(lp), labels)

    def step(carry, k):
        tp, st, best, best_ece = carry
        if bsz < n:
            idx = jax.random.choice(k, n, (bsz,), replace=False)
            (val, _), g = grad_fn(tp, ell[idx], labels[idx])
            e = cal_ece(_log_probs(family, {**tp, **frozen}, ell))
        else:
            (val, lp), g = grad_fn(tp, ell, labels)
            e = cal_ece(lp)
        better = e < best_ece
        best = jax.tree.map(lambda a, b: jnp.where(better, a, b), tp, best)
        best_ece = jnp.where(better, e, best_ece)
        upd, st = opt.update(g, st, tp)
        return (optax.apply_updates(tp, upd), st, best, best_ece), (val / loss_weight, e)

    init = (train, opt.init(train), train, jnp.asarray(jnp.inf, ell.dtype))
    (last, _, best, best_ece), (hist, ehist) = jax.lax.scan(
        step, init, jax.random.split(k_batch, steps)
    )
    if select == "ece":
        e_last = cal_ece(_log_probs(family, {**last, **frozen}, ell))
        final = jax.tree.map(lambda a, b: jnp.where(e_last < best_ece, a, b), last, best)
    else:
        final = last
    return HCalModel(
        params={**final, **frozen},
        history=hist,
        ece_history=ehist,
        family=family,
        family_kwargs=tuple(sorted(fk.items())),
    )
