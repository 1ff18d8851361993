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

from unlearnlab.calibration import maps as M
from unlearnlab.calibration import metrics as MT
from unlearnlab.lab import checks as V
from unlearnlab.lab.checks import check_int, check_positive, check_probability, is_traced
from unlearnlab.lab.sorting import SORTS, stable_argsort

__all__ = [
    "hcal_window_stats",
    "hcal_loss",
    "hcal_bound",
    "hcal_noise_floor",
    "HCalModel",
    "fit_hcal",
    "apply_hcal",
    "hcal_log_probs",
    "select_and_fit_hcal",
    "DEFAULT_CANDIDATES",
    "FAMILIES",
]

FAMILIES = ("ets", "pwl", "mono_mlp", "temperature")
WEIGHTINGS = ("equal_mass", "unweighted", "kmeans", "equal_width")


# ------------------------------------------------------------------------------ sorting
# one stable argsort for the lab: unlearnlab.lab.sorting (NumPy on CPU, XLA elsewhere)
def _argsort(x, sort: str):
    """Stable argsort of a detached vector (:func:`unlearnlab.lab.sorting.stable_argsort`)."""
    return stable_argsort(x, sort)


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
        n, c = V.check_probs_labels(probs, labels)
        window = _check_window(window, n * c)
        _check_sort(sort)
    _, r, _ = _sorted_residuals(probs, labels, sort)
    return jnp.abs(_window_means(r, window))


def _check_sort(sort):
    if sort not in SORTS:
        raise ValueError(f"`sort` must be one of {SORTS}; got {sort!r}.")


def _group_edges(p, count, n_groups, weighting, iters=25):
    """Groups of the first ``count`` entries of the ascending vector ``p`` (length m) as rank
    intervals ``[e_g, e_{g+1})``: returns the edges (G+1,) with ``e_0 = 0``, ``e_G = count``.

    ``"unweighted"``: one group. ``"equal_mass"``: rank q is in group ``floor(q G / count)``.
    ``"equal_width"``: probability bins ``floor(p G)`` (clipped to G-1). ``"kmeans"``: Lloyd's 1-D
    k-means from the equal-mass quantiles (``iters`` steps; empty clusters keep their centre; centres
    re-sorted); 1-D clusters of sorted values are rank intervals, so each step is a
    ``searchsorted`` of the G-1 centre midpoints plus prefix-sum differences, O(G log m).
    """
    m = p.shape[0]
    valid = jnp.arange(m) < count
    if weighting == "unweighted":
        return jnp.stack([jnp.zeros((), jnp.int32), count.astype(jnp.int32)])
    if weighting == "equal_mass":
        g = jnp.arange(n_groups + 1)
        return ((g * count + n_groups - 1) // n_groups).astype(jnp.int32)
    if weighting == "equal_width":
        b = jnp.where(valid, jnp.clip(jnp.floor(p * n_groups), 0, n_groups - 1), n_groups)
        e = jnp.searchsorted(b, jnp.arange(n_groups + 1, dtype=b.dtype), side="left")
        return e.astype(jnp.int32).at[-1].set(count)
    pv = jnp.where(valid, p, jnp.inf)
    acc = jnp.promote_types(p.dtype, jnp.float64) if jax.config.jax_enable_x64 else p.dtype
    cs = jnp.concatenate([jnp.zeros(1, acc), jnp.cumsum(jnp.where(valid, p, 0).astype(acc))])
    q = ((jnp.arange(n_groups) + 0.5) * count / n_groups).astype(jnp.int32)
    z, cnt = jnp.zeros(1, jnp.int32), count[None].astype(jnp.int32)

    def edges_of(c):
        mid = (0.5 * (c[:-1] + c[1:])).astype(p.dtype)
        return jnp.concatenate([z, jnp.searchsorted(pv, mid, side="right").astype(jnp.int32), cnt])

    def lloyd(_, c):
        e = edges_of(c)
        k = (e[1:] - e[:-1]).astype(acc)
        return jnp.sort(jnp.where(k > 0, (cs[e[1:]] - cs[e[:-1]]) / jnp.maximum(k, 1.0), c))

    return edges_of(jax.lax.fori_loop(0, iters, lloyd, p[q].astype(acc)))


def _subloss(r, p_sorted, keep, window, eps, n_groups, weighting):
    """Value and gradient in ``r`` of the h-loss on the kept events (all if ``keep`` is None).

    ``r``, ``p_sorted``: residuals and probabilities in sorted order (detached). The kept events are
    compacted (their ranks among the kept ones) with one integer scatter; windows and groups live in
    that compact order. With the groups detached the loss :math:`\\sum_jw_j\\max(|T_j|-\\epsilon,0)` is
    piecewise affine in ``r``, so its gradient is exact in closed form:
    :math:`\\partial/\\partial r_k=\\frac1{w+1}\\sum_{j:|j-k|\\le w/2}w_j\\,\\mathrm{sign}(T_j)\\,
    \\mathbb 1[|T_j|>\\epsilon]` -- one more cumulative sum, no scatter-add.
    """
    m = r.shape[0]
    h = window // 2
    q = jnp.arange(m)
    if keep is None:
        count, rc, pc = jnp.asarray(m), r, p_sorted
    else:
        cm = jnp.cumsum(keep.astype(jnp.int32))
        count = cm[-1]
        pos = (
            jnp.full(m, m - 1, jnp.int32)
            .at[jnp.where(keep, cm - 1, m)]
            .set(q.astype(jnp.int32), mode="drop")
        )
        rc, pc = r[pos], p_sorted[pos]
    valid = q < count
    rc = jnp.where(valid, rc, 0.0)
    C = jnp.concatenate([jnp.zeros(1, r.dtype), jnp.cumsum(rc)])
    hi, lo = jnp.clip(q + h + 1, 0, count), jnp.clip(q - h, 0, count)
    T = (C[hi] - C[lo]) / (window + 1)
    u = jnp.maximum(jnp.abs(T) - eps, 0.0)
    e = _group_edges(pc, count, n_groups, weighting)
    kg = (e[1:] - e[:-1]).astype(r.dtype)
    ng = kg.shape[0]
    if weighting == "equal_mass":  # mean over the non-empty groups of the group means
        a = jnp.where(kg > 0, 1.0 / (jnp.maximum(kg, 1.0) * jnp.maximum(jnp.sum(kg > 0), 1)), 0.0)
    else:  # mean over all G groups of the group means (an empty group counts 0, as in the code)
        a = 1.0 / (ng * jnp.maximum(kg, 1.0))
    g = jnp.clip(jnp.searchsorted(e[1:-1], q, side="right"), 0, ng - 1)
    wgt = jnp.where(valid, a[g], 0.0)
    val = jnp.sum(wgt * u)
    b = jnp.where(jnp.abs(T) > eps, wgt * jnp.sign(T), 0.0)
    B = jnp.concatenate([jnp.zeros(1, r.dtype), jnp.cumsum(b)])
    gc = (B[hi] - B[lo]) / (window + 1)  # event at compact rank k is in the windows |j - k| <= h
    if keep is None:
        return val, gc
    return val, jnp.where(keep, gc[jnp.maximum(cm - 1, 0)], 0.0)


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
    (the code's ``IsIter=True``; masked, shapes static, ``lax.scan`` over k).

    Computation: one sort; windows from cumulative sums, O(M) per (sub-)loss; groups as rank
    intervals (k-means by Lloyd steps on the sorted values, O(G log M) each); the gradient in closed
    form (see ``_subloss``), so value and gradient cost O(M) per class with no scatter-add.

    Args:
      probs: (N, C).
      labels: (N,).
      window: :math:`w`.
      eps: hinge :math:`\\epsilon\\ge0`.
      n_groups: :math:`G`.
      weighting: ``"equal_mass"``, ``"unweighted"``, ``"kmeans"`` or ``"equal_width"``.
      leave_one_class_out: LOCO average.
      sort: ``"xla"``, ``"host"``, ``"auto"``.

    Returns:
      scalar in [0, 1], differentiable in ``probs`` almost everywhere.

    Raises:
      ValueError: malformed ``probs``/``labels``; ``window`` not even in [2, N*C); ``n_groups`` < 1;
        ``eps`` negative or not finite; unknown ``weighting`` or ``sort`` (concrete inputs only).

    References: official code ``loss/hCalib.py`` (``hcalibration``, ``hcalib_subfunc``).
    """
    if not is_traced(probs):
        n, c = V.check_probs_labels(probs, labels)
        window = _check_window(window, n * c)
        check_int("n_groups", n_groups, min_value=1)
        if not is_traced(eps):
            V.check_nonnegative("eps", eps)
        if weighting not in WEIGHTINGS:
            raise ValueError(f"`weighting` must be one of {WEIGHTINGS}; got {weighting!r}.")
        _check_sort(sort)
    return _hcal_loss(probs, labels, eps, window, n_groups, weighting, leave_one_class_out, sort)


# one compiled program per (shape, configuration): op by op the loss ran ~60 small programs
@partial(jax.jit, static_argnums=(3, 4, 5, 6, 7))
def _hcal_loss(probs, labels, eps, window, n_groups, weighting, leave_one_class_out, sort):
    p_sorted, r, row_label = _sorted_residuals(probs, labels, sort)
    rd, ps = jax.lax.stop_gradient(r), jax.lax.stop_gradient(p_sorted)
    if not leave_one_class_out:
        v, gr = _subloss(rd, ps, None, window, eps, n_groups, weighting)
    else:
        c = probs.shape[1]

        def one_class(carry, k):
            vk, gk = _subloss(rd, ps, row_label != k, window, eps, n_groups, weighting)
            return (carry[0] + vk, carry[1] + gk), None

        init = (jnp.zeros((), r.dtype), jnp.zeros_like(rd))
        (v, gr), _ = jax.lax.scan(one_class, init, jnp.arange(c))
        v, gr = v / c, gr / c
    # the value is v exactly; the gradient in r is gr (the loss is piecewise affine in r once the
    # order and the groups are fixed), and it flows to probs through the gather of r
    return v + jnp.sum(jax.lax.stop_gradient(gr) * (r - rd))


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

    Raises:
      ValueError: ``n_events`` < 1; ``window`` not an even integer in [2, ``n_events``) (the
        window convention of :func:`hcal_loss`); ``delta`` outside (0, 1).

    References: Hoeffding (1963), Thm 2, with negative association within a sample (Dubhashi &
    Ranjan 1998); "h-calibration" bound reconstructed (spec §2).
    """
    n_events = check_int("n_events", n_events, min_value=1)
    window = _check_window(window, n_events)
    check_probability("delta", delta, open_interval=True)
    k = n_events if union else 1
    return math.sqrt(math.log(2.0 * k / delta) / (2.0 * (window + 1)))


def hcal_noise_floor(probs, window: int = 200):
    """Mean :math:`T_j` of a calibrated predictor, to first order [derived]:
    :math:`\\sqrt{2/\\pi}\\,\\bar\\sigma/\\sqrt{w+1}` with :math:`\\bar\\sigma^2=\\overline{p(1-p)}` over
    all events (the mean absolute value of a centred normal with the window's variance).

    Args: probs: (N, C). window: :math:`w`. Returns: scalar.

    Raises: ValueError: ``probs`` not a non-empty (N, C) array of probability rows; ``window`` not
    an integer >= 1.
    """
    if not is_traced(probs):
        V.check_array("probs", probs, ndim=2)
        V.check_nonempty("probs", probs)
        V.check_probability_vector("probs", probs, axis=1, atol=1e-4)
    check_int("window", window, min_value=1)
    sig = jnp.sqrt(jnp.mean(probs * (1 - probs)))
    return jnp.sqrt(2 / jnp.pi) * sig / jnp.sqrt(window + 1.0)


# ------------------------------------------------------------------------------ model, fit, apply
@partial(
    jax.tree_util.register_dataclass,
    data_fields=["params", "history", "ece_history", "steps_run"],
    meta_fields=["family", "family_kwargs"],
)
@dataclasses.dataclass(frozen=True)
class HCalModel:
    """A fitted recalibration map.

    Attributes:
      params: the map's parameter pytree (see :mod:`unlearnlab.calibration.maps`).
      history: (steps,) training loss per step (NaN after an early stop).
      ece_history: (steps,) calibration-set top-label ECE (15 equal-width bins) per step (NaN after
        an early stop).
      family: static, one of :data:`FAMILIES`.
      family_kwargs: static, the family's size options as a sorted tuple of (name, value).
      steps_run: () number of optimisation steps taken (early stopping may end a fit before
        ``steps``); None for a hand-built model.
    """

    params: dict
    history: jax.Array
    ece_history: jax.Array
    family: str = "ets"
    family_kwargs: tuple = ()
    steps_run: jax.Array | None = None


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


def _probs(family, params, logits):
    """Probabilities of a map (ETS in probability space with its fast VJP; others exp(log))."""
    if family == "ets":
        return M.ets_probs(params, logits)
    return jnp.exp(_log_probs(family, params, logits))


def hcal_log_probs(model: HCalModel, logits):
    """Log-probabilities of a fitted :class:`HCalModel` on ``logits`` (N, C)."""
    if not is_traced(logits):
        V.check_logits_labels(logits, np.zeros(np.shape(logits)[0], np.int32))
    V.check_tree_finite("model", model.params)
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
    select: str | tuple = "ece",
    sort: str = "auto",
    schedule: str = "plateau",
    patience: int | None = 160,
    plateau_patience: int = 20,
) -> HCalModel | tuple:
    """Fit an order-preserving map by minimising the h-loss (or NLL, the ablation) with Adam.

    Adam (``optax.adam(lr)``) runs inside a ``lax.while_loop`` for at most ``steps`` steps on
    mini-batches of ``batch`` rows (full batch when ``batch >= N``; the loss is batch-level). After
    every step the calibration-set top-label ECE (15 equal-width bins, the code's ``ECE_ew``) is
    monitored, as in the official ``calibrate.py``:

    * **checkpoint** (``select``): ``"ece"`` returns the parameters with the lowest monitored ECE over
      the run (the official top-label protocol), ``"nll"`` those with the lowest calibration-set NLL
      (the official proper-scoring protocol: "the epoch checkpoint is chosen the same way" as the
      map, by the evaluation's selector), ``"last"`` the last ones;
    * **early stopping** (``patience``): the loop stops after ``patience`` consecutive steps without
      a new best ECE (the code's patience 160 epochs; one full-batch step is one epoch here);
      ``patience=None`` runs all ``steps``;
    * **learning-rate schedule** (``schedule``): ``"plateau"`` halves the step size after
      ``plateau_patience`` steps without a relative ECE improvement of 1e-4
      (``optax.contrib.reduce_on_plateau``; the code's ReduceLROnPlateau, factor 0.5, patience 20 --
      40 for its UMNN), ``"cosine"`` decays to 0 over ``steps`` (used by the consistency test, with
      ``patience=None``), ``"constant"``.

    Lab deviations from ``calibrate.py``: ``loss_weight=1`` (Adam is scale-invariant up to its
    epsilon); pooled loss by default (LOCO with ``leave_one_class_out=True``); equal-mass groups by
    default (``weighting="kmeans"`` is the code's ``cluaceweighted``); patience counted in steps.

    Args:
      key: PRNG key (initialisation, mini-batches).
      logits: (N, C) calibration logits (``log(clip(p, 1e-12))`` for probabilities).
      labels: (N,) ints in [0, C).
      family: ``"ets"``, ``"pwl"``, ``"mono_mlp"`` or ``"temperature"``.
      family_kwargs: size options (``num_temps``; ``num_segments``, ``lo``; ``hidden``, ``n_quad``,
        ``n_grid``).
      window, eps, n_groups, weighting, leave_one_class_out: see :func:`hcal_loss`.
      steps, lr, batch, loss_weight: optimisation (``steps`` is the maximum).
      loss: ``"hcal"`` or ``"nll"``.
      select: ``"ece"``, ``"nll"`` or ``"last"`` (the early stop and the schedule follow the ECE in
        every case, so the three share one trajectory); a tuple of them returns one model per
        criterion from that one run.
      schedule: ``"plateau"``, ``"cosine"`` or ``"constant"``.
      patience: early-stopping patience in steps, or ``None``.
      plateau_patience: steps without improvement before the step size is halved (``"plateau"``).
      sort: event sort, ``"auto"`` (NumPy on the CPU backend via ``pure_callback``, XLA elsewhere),
        ``"xla"`` or ``"host"``.

    Returns:
      :class:`HCalModel` (a tuple of them when ``select`` is a tuple); ``history`` and
      ``ece_history`` have length ``steps`` and hold NaN after the step at which early stopping
      ended the run (``steps_run`` steps were taken).

    References: official code ``calibrate.py`` and ``expdir_*/config.json`` (Adam, lr 5e-3, batch
    5000, at most 2000 epochs, early stopping patience 160 and ReduceLROnPlateau on ``ECE_ew``,
    ``veclen`` 200, 15 clusters).
    """
    fk = dict(family_kwargs or {})
    selects = (select,) if isinstance(select, str) else tuple(select)
    if not is_traced(logits):
        n, c = V.check_logits_labels(logits, labels)
        if family not in FAMILIES:
            raise ValueError(f"`family` must be one of {FAMILIES}; got {family!r}.")
        if loss not in ("hcal", "nll"):
            raise ValueError(f"`loss` must be 'hcal' or 'nll'; got {loss!r}.")
        if schedule not in ("plateau", "constant", "cosine"):
            raise ValueError(
                f"`schedule` must be 'plateau', 'constant' or 'cosine'; got {schedule!r}."
            )
        if not isinstance(select, str | tuple) or not select:
            raise ValueError(f"`select` must be a string or a non-empty tuple; got {select!r}.")
        for s_ in (select,) if isinstance(select, str) else select:
            if s_ not in ("ece", "nll", "last"):
                raise ValueError(
                    f"`select` must be 'ece', 'nll' or 'last' (or a tuple); got {s_!r}."
                )
        if weighting not in WEIGHTINGS:
            raise ValueError(f"`weighting` must be one of {WEIGHTINGS}; got {weighting!r}.")
        _check_sort(sort)
        check_int("steps", steps, min_value=1)
        check_int("batch", batch, min_value=2)
        check_int("n_groups", n_groups, min_value=1)
        check_int("plateau_patience", plateau_patience, min_value=1)
        if patience is not None:
            check_int("patience", patience, min_value=1)
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
        full = {**tp, **frozen}
        if loss == "nll":
            if family == "ets":  # fast path: only the label column, in log space
                val = -jnp.mean(M.ets_log_prob_of(full, z, y))
                return loss_weight * val, jax.lax.stop_gradient(_probs(family, full, z))
            lp = _log_probs(family, full, z)
            return -loss_weight * jnp.mean(jnp.take_along_axis(lp, y[:, None], axis=1)), jnp.exp(lp)
        q = _probs(family, full, z)
        val = hcal_loss(
            q,
            y,
            window=window,
            eps=eps,
            n_groups=n_groups,
            weighting=weighting,
            leave_one_class_out=leave_one_class_out,
            sort=sort,
        )
        return loss_weight * val, q

    if schedule == "plateau":
        opt = optax.chain(
            optax.adam(lr),
            optax.contrib.reduce_on_plateau(factor=0.5, patience=plateau_patience, rtol=1e-4),
        )
    else:
        opt = optax.adam(optax.cosine_decay_schedule(lr, steps) if schedule == "cosine" else lr)
    grad_fn = jax.value_and_grad(objective, has_aux=True)
    max_wait = steps if patience is None else patience
    dtype = ell.dtype

    def cal_ece(q):
        return MT.ece(q, labels)

    tiny = jnp.finfo(dtype).tiny
    sels = tuple(s_ for s_ in selects if s_ != "last")

    def cal_scores(q, e):  # the checkpoint criteria on the calibration set
        out = []
        for s_ in sels:
            if s_ == "nll":
                qy = jnp.take_along_axis(q, labels[:, None], axis=1)[:, 0]
                out.append(-jnp.mean(jnp.log(jnp.maximum(qy, tiny))))
            else:
                out.append(e)
        return out

    def body(carry):
        i, wait, tp, st, bests, best_ss, best_ece, hist, ehist = carry
        if bsz < n:
            idx = jax.random.choice(jax.random.fold_in(k_batch, i), n, (bsz,), replace=False)
            (val, _), g = grad_fn(tp, ell[idx], labels[idx])
            q = _probs(family, {**tp, **frozen}, ell)
        else:
            (val, q), g = grad_fn(tp, ell, labels)
        e = cal_ece(q)
        new_b, new_s = [], []
        for b_, bs_, sc in zip(bests, best_ss, cal_scores(q, e)):
            better_s = sc < bs_
            new_b.append(jax.tree.map(lambda a, b: jnp.where(better_s, a, b), tp, b_))
            new_s.append(jnp.where(better_s, sc, bs_))
        better = e < best_ece  # early stopping and the plateau schedule follow the ECE
        best_ece = jnp.where(better, e, best_ece)
        wait = jnp.where(better, 0, wait + 1)
        upd, st = opt.update(g, st, tp, value=e) if schedule == "plateau" else opt.update(g, st, tp)
        hist = hist.at[i].set((val / loss_weight).astype(dtype))
        ehist = ehist.at[i].set(e.astype(dtype))
        tp = optax.apply_updates(tp, upd)
        return i + 1, wait, tp, st, tuple(new_b), tuple(new_s), best_ece, hist, ehist

    def cond(carry):
        i, wait = carry[0], carry[1]
        return (i < steps) & (wait < max_wait)

    nan = jnp.full((steps,), jnp.nan, dtype)
    inf = jnp.asarray(jnp.inf, dtype)
    init = (
        jnp.asarray(0),
        jnp.asarray(0),
        train,
        opt.init(train),
        tuple(train for _ in sels),
        tuple(inf for _ in sels),
        inf,
        nan,
        nan,
    )
    n_run, _, last, _, bests, best_ss, _, hist, ehist = jax.lax.while_loop(cond, body, init)
    q_last = _probs(family, {**last, **frozen}, ell)
    s_last = cal_scores(q_last, cal_ece(q_last))
    chosen = dict(zip(sels, zip(bests, best_ss, s_last)))
    models = []
    for s_ in selects:
        if s_ == "last":
            final = last
        else:
            b_, bs_, sl = chosen[s_]
            final = jax.tree.map(lambda a, b, sl=sl, bs_=bs_: jnp.where(sl < bs_, a, b), last, b_)
        models.append(
            HCalModel(
                params={**final, **frozen},
                history=hist,
                ece_history=ehist,
                family=family,
                family_kwargs=tuple(sorted(fk.items())),
                steps_run=n_run,
            )
        )
    return models[0] if isinstance(select, str) else tuple(models)


DEFAULT_CANDIDATES = (
    ("ets", (("num_temps", 16),)),
    ("pwl", (("num_segments", 100),)),
    ("mono_mlp", (("hidden", (10, 10)),)),
)
SELECTORS = ("dece", "cwece", "nll", "ece")


def _selection_score(selector, key, logits, labels, model):
    lp = hcal_log_probs(model, logits)
    q = jnp.exp(lp)
    if selector == "nll":
        return MT.nll(lp, labels)
    if selector == "cwece":
        return MT.classwise_ece(q, labels)
    if selector == "ece":
        return MT.ece(q, labels)
    conf, correct = MT.top_label(q, labels)
    return MT.debiased_ece_l1(key, conf, correct)


def select_and_fit_hcal(
    key,
    logits,
    labels,
    *,
    candidates=DEFAULT_CANDIDATES,
    selector: str = "dece",
    return_scores: bool = False,
    **fit_options,
):
    """Fit every candidate map family with :func:`fit_hcal` and keep the one with the best
    calibration-set score, as the official ``expdir_full`` protocol selects its map ("the validation
    set is the training set").

    Selectors (lower is better), by the evaluation the model is meant for (official code):
    ``"dece"`` -- top-label evaluation, debiased adaptive-bin :math:`\\ell_1` ECE (Kumar et al.);
    ``"cwece"`` -- class-wise (non-top-label) evaluation, class-wise ECE averaged over classes;
    ``"nll"`` -- proper-scoring evaluation; ``"ece"`` -- plug-in top-label ECE (15 equal-width bins).

    The candidates are fitted one after another (each fit is jitted; the family is static, so the
    loop over candidates is a Python loop). The official grid is 3 families x 4 sizes (ETS
    K in {16, 32, 64, 128}, PWL S in {1, 10, 100, 500}, UMNN hidden [h, h], h in {2, 10, 20, 50});
    the default here is one size per family.

    Args:
      key: PRNG key (one fold per candidate fit; the ``"dece"`` resampling uses another).
      logits: (N, C) calibration logits. labels: (N,) ints in [0, C).
      candidates: sequence of ``(family, family_kwargs)`` pairs; ``family_kwargs`` a dict or a tuple
        of ``(name, value)`` pairs.
      selector: ``"dece"``, ``"cwece"``, ``"nll"`` or ``"ece"``.
      return_scores: also return ``{candidate label: score}``.
      **fit_options: passed to every :func:`fit_hcal` call (``steps``, ``lr``, ``window``, ...).

    Returns:
      the selected :class:`HCalModel` (and the scores if ``return_scores``).
    """
    if selector not in SELECTORS:
        raise ValueError(f"`selector` must be one of {SELECTORS}; got {selector!r}.")
    candidates = tuple(candidates)
    if not candidates:
        raise ValueError("`candidates` must name at least one (family, family_kwargs) pair.")
    for bad in ("family", "family_kwargs"):
        if bad in fit_options:
            raise ValueError(f"pass `{bad}` through `candidates`, not as a fit option.")
    V.check_logits_labels(logits, labels)
    k_sel, k_fit = jax.random.split(key)
    best, best_score, scores = None, np.inf, {}
    for i, cand in enumerate(candidates):
        try:
            family, fk = cand
        except (TypeError, ValueError):
            raise ValueError(
                f"each candidate must be a (family, family_kwargs) pair; got {cand!r}."
            ) from None
        fk = dict(fk or {})
        model = fit_hcal(
            jax.random.fold_in(k_fit, i),
            logits,
            labels,
            family=family,
            family_kwargs=fk,
            **fit_options,
        )
        score = float(_selection_score(selector, k_sel, logits, labels, model))
        label = family + "(" + ", ".join(f"{k}={v}" for k, v in sorted(fk.items())) + ")"
        scores[label] = score
        if not np.isfinite(score):
            raise ValueError(f"candidate {label} gave a non-finite {selector} score ({score}).")
        if score < best_score:
            best, best_score = model, score
    return (best, scores) if return_scores else best
