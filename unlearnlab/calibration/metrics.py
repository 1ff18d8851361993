"""Calibration metrics: binned (plug-in) ECE, class-wise ECE, debiased ECE, smooth ECE, KS, NLL, Brier.

All metrics are pure ``jnp`` functions (jit- and vmap-able; pass ``n_bins``/``scheme`` as static
arguments under ``jax.jit``). Concrete inputs are validated at the boundary (``ValueError``).

Notation: ``conf`` :math:`f_i\\in[0,1]` (a predicted probability of an event), ``correct``
:math:`y_i\\in\\{0,1\\}` (its occurrence). For top-label metrics :math:`f_i=\\max_c\\hat p_{ic}` and
:math:`y_i=\\mathbb 1[\\arg\\max_c\\hat p_{ic}=Y_i]`.

Binning (``scheme``):

* ``"equal_width"``: bin :math:`b=\\min(\\lfloor f n_B\\rfloor, n_B-1)`, i.e. bins
  :math:`[b/n_B,(b+1)/n_B)` with the last one closed;
* ``"equal_mass"``: bins by **rank** -- the sample of rank :math:`k` (stable sort of ``conf``) goes to
  bin :math:`\\lfloor k n_B/N\\rfloor`, so every bin holds :math:`N/n_B` samples (:math:`\\pm1`) even
  when confidences tie (the quantile-edge version collapses bins on ties, p-lambda/verified_calibration
  #19). Empty bins contribute 0.

References:
  Guo, Pleiss, Sun, Weinberger (2017), Sec. 2 (ECE); Nixon et al. (2019) (adaptive/equal-mass bins);
  Kull et al. (2019), Sec. 5 (class-wise ECE); Kumar, Liang, Ma (2019), Sec. 5 and their
  ``calibration`` package (debiased estimators); Blasiok & Nakkiran (2024), Def. of smECE
  (smooth ECE); Gupta et al. (2021), Eq. for the KS calibration error.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab import checks as V
from unlearnlab.lab.checks import check_array, check_int, check_positive, is_traced

__all__ = [
    "bin_index",
    "binned_ece",
    "ece",
    "classwise_ece",
    "debiased_ece_l2sq",
    "debiased_ece_l1",
    "smooth_ece",
    "smooth_ece_sigma",
    "smooth_reliability",
    "ks_error",
    "nll",
    "nll_probs",
    "brier",
    "reliability_stats",
    "top_label",
]


def top_label(probs, labels):
    r"""Top-label confidence and correctness: ``(max_c p_ic, 1[argmax_c p_ic == y_i])``, (N,) each.

    ``argmax`` is the first maximising class (NumPy's and JAX's convention). It is computed without
    an argmax reduction (slow on XLA:CPU): the label is the first maximiser iff
    :math:`p_{iy_i}=\max_c p_{ic}` and no class :math:`c<y_i` attains the maximum.

    Raises:
      ValueError: ``probs`` not a non-empty finite (N, C) array in [0, 1]; ``labels`` not N
        integers in [0, C) (concrete inputs only; rows need not sum to one).
    """
    if not is_traced(probs):
        check_array("probs", probs, ndim=2)
        V.check_nonempty("probs", probs)
        V.check_probability("probs", probs)
        V.check_labels("labels", labels, np.shape(probs)[1], n=np.shape(probs)[0])
    conf = jnp.max(probs, axis=1)
    labels = jnp.asarray(labels)
    n_classes = probs.shape[1]
    in_range = (labels >= 0) & (labels < n_classes)
    safe = jnp.clip(labels, 0, n_classes - 1)
    at_label = jnp.take_along_axis(probs, safe[:, None], axis=1)[:, 0]
    c = jnp.arange(n_classes)
    tie_before = jnp.any((probs == conf[:, None]) & (c[None, :] < safe[:, None]), axis=1)
    correct = (in_range & (at_label == conf) & ~tie_before).astype(conf.dtype)
    return conf, correct


def bin_index(conf, *, n_bins: int = 15, scheme: str = "equal_width"):
    """The bin of each confidence under ``scheme`` (see the module docstring). Returns (N,) int32.

    Raises: ValueError: ``conf`` not a non-empty 1-D array in [0, 1]; ``n_bins`` < 1; unknown
    ``scheme`` (concrete inputs only).
    """
    if not is_traced(conf):
        check_array("conf", conf, ndim=1)
        V.check_nonempty("conf", conf)
        V.check_probability("conf", conf)
        n_bins = V.check_int("n_bins", n_bins, min_value=1)
        V.check_choice("scheme", scheme, ("equal_width", "equal_mass"))
        conf = jnp.asarray(conf)
    n = conf.shape[0]
    if scheme == "equal_width":
        return jnp.clip(jnp.floor(conf * n_bins), 0, n_bins - 1).astype(jnp.int32)
    order = jnp.argsort(conf, stable=True)
    rank_bin = (jnp.arange(n) * n_bins) // n
    return jnp.zeros(n, jnp.int32).at[order].set(rank_bin.astype(jnp.int32))


def _bin_sums(conf, correct, idx, n_bins):
    cnt = jax.ops.segment_sum(jnp.ones_like(conf), idx, num_segments=n_bins)
    s_conf = jax.ops.segment_sum(conf, idx, num_segments=n_bins)
    s_acc = jax.ops.segment_sum(correct, idx, num_segments=n_bins)
    return cnt, s_conf, s_acc


def reliability_stats(conf, correct, *, n_bins: int = 15, scheme: str = "equal_width") -> dict:
    """Per-bin counts, mean confidence and accuracy (the numbers of a reliability diagram).

    Args:
      conf: (N,) confidences in [0, 1].
      correct: (N,) outcomes in [0, 1].
      n_bins: number of bins :math:`n_B`.
      scheme: ``"equal_width"`` or ``"equal_mass"``.

    Returns:
      ``{"count": (n_B,), "conf": (n_B,), "acc": (n_B,)}``; empty bins have ``conf = acc = 0``.
    """
    if not is_traced(conf):
        V.check_conf_correct(conf, correct)
        n_bins = V.check_int("n_bins", n_bins, min_value=1)
        V.check_choice("scheme", scheme, ("equal_width", "equal_mass"))
    idx = bin_index(conf, n_bins=n_bins, scheme=scheme)
    cnt, s_conf, s_acc = _bin_sums(conf, correct, idx, n_bins)
    safe = jnp.maximum(cnt, 1.0)
    return {"count": cnt, "conf": s_conf / safe, "acc": s_acc / safe}


def binned_ece(conf, correct, *, n_bins: int = 15, scheme: str = "equal_width", p: int = 1):
    """Plug-in binned :math:`\\ell_p` calibration error.

    .. math:: \\mathrm{ECE}_p=\\Big(\\sum_b \\tfrac{n_b}{N}\\,|\\bar y_b-\\bar f_b|^p\\Big)^{1/p}

    Symbols: :math:`n_b` -> bin counts; :math:`\\bar y_b` -> mean ``correct``; :math:`\\bar f_b` ->
    mean ``conf``; :math:`n_B` -> ``n_bins``.

    Args:
      conf: (N,) in [0, 1]. correct: (N,) in [0, 1].
      n_bins, scheme: binning (module docstring). p: 1 or 2 (``p=2`` returns the root).

    Returns:
      scalar in [0, 1].

    References: Guo et al. (2017), Eq. 3 (``p=1``); Kumar et al. (2019), Sec. 2 (``p=2``).
    """
    if not is_traced(conf):
        V.check_conf_correct(conf, correct)
        n_bins = V.check_int("n_bins", n_bins, min_value=1)
        V.check_choice("scheme", scheme, ("equal_width", "equal_mass"))
        check_int("p", p, min_value=1)
    return _binned_ece(conf, correct, n_bins, scheme, p)


# the metric cores are jitted once per (shape, bins, scheme): an eager call (the usual way a metric is
# called) then runs one compiled program instead of a dozen op-by-op dispatches
@partial(jax.jit, static_argnames=("n_bins", "scheme", "p"))
def _binned_ece(conf, correct, n_bins, scheme, p):
    idx = bin_index(conf, n_bins=n_bins, scheme=scheme)
    cnt, s_conf, s_acc = _bin_sums(conf, correct, idx, n_bins)
    gap = jnp.abs(s_acc - s_conf) / jnp.maximum(cnt, 1.0)
    val = jnp.sum(cnt / conf.shape[0] * gap**p)
    return val if p == 1 else val ** (1.0 / p)


@partial(jax.jit, static_argnames=("n_bins", "scheme"))
def _top_label_ece(probs, labels, n_bins, scheme):
    conf, correct = top_label(probs, labels)
    return _binned_ece(conf, correct, n_bins, scheme, 1)


def ece(probs, labels, n_bins: int = 15, scheme: str = "equal_width"):
    """Top-label plug-in :math:`\\ell_1` ECE, :math:`\\sum_b (n_b/N)|\\mathrm{acc}_b-\\mathrm{conf}_b|`.

    Args:
      probs: (N, C) probabilities, rows sum to 1. labels: (N,) ints in [0, C).
      n_bins: number of bins (15 as in Guo et al.). scheme: ``"equal_width"`` or ``"equal_mass"``.

    Returns:
      scalar in [0, 1].

    References: Guo et al. (2017), Eq. 3; Naeini et al. (2015).
    """
    if not is_traced(probs):
        V.check_probs_labels(probs, labels)
        n_bins = V.check_int("n_bins", n_bins, min_value=1)
        V.check_choice("scheme", scheme, ("equal_width", "equal_mass"))
    return _top_label_ece(probs, labels, n_bins, scheme)


def classwise_ece(
    probs, labels, n_bins: int = 15, *, reduce: str = "mean", scheme: str = "equal_width"
):
    """Class-wise ECE: the binned ECE of each column :math:`(\\hat p_{\\cdot c},\\mathbb 1[Y=c])`.

    .. math:: \\mathrm{CWECE}=\\frac1C\\sum_{c}\\sum_b\\frac{n_{b,c}}{N}|\\bar y_{b,c}-\\bar p_{b,c}|

    ``reduce="mean"`` is ``CWECE_a``; ``reduce="sum"`` is Kull et al.'s ``CWECE_s``.

    Args:
      probs: (N, C). labels: (N,). n_bins: bins per class. reduce: ``"mean"`` or ``"sum"``.

    Returns:
      scalar (in [0, 1] for ``"mean"``).

    References: Kull et al. (2019), Sec. 5, "classwise-ECE".
    """
    if reduce not in ("mean", "sum"):
        raise ValueError(f"`reduce` must be 'mean' or 'sum'; got {reduce!r}.")
    if not is_traced(probs):
        V.check_probs_labels(probs, labels)
        n_bins = V.check_int("n_bins", n_bins, min_value=1)
        V.check_choice("scheme", scheme, ("equal_width", "equal_mass"))
    c = probs.shape[1]
    onehot = jax.nn.one_hot(labels, c, dtype=probs.dtype)
    per = jax.vmap(lambda f, y: binned_ece(f, y, n_bins=n_bins, scheme=scheme), in_axes=(1, 1))(
        probs, onehot
    )
    return jnp.mean(per) if reduce == "mean" else jnp.sum(per)


def debiased_ece_l2sq(conf, correct, *, n_bins: int = 15, scheme: str = "equal_mass"):
    """Debiased squared :math:`\\ell_2` calibration error (Kumar et al. 2019).

    .. math:: \\widehat{CE^2}=\\sum_b\\frac{n_b}{N}\\Big[(\\bar y_b-\\bar f_b)^2-
              \\frac{\\bar y_b(1-\\bar y_b)}{n_b-1}\\Big]

    The correction removes the bias :math:`\\mathrm{Var}(\\bar y_b)` of the plug-in square. Bins with
    :math:`n_b<2` skip the correction (instead of raising). The value may be negative.

    Args:
      conf, correct: (N,). n_bins, scheme: binning.

    Returns:
      scalar (can be < 0).

    References: Kumar, Liang, Ma (2019), Sec. 5, Def. of the debiased estimator; their
    ``calibration.utils`` ``unbiased_l2_ce``.
    """
    if not is_traced(conf):
        V.check_conf_correct(conf, correct)
        n_bins = V.check_int("n_bins", n_bins, min_value=1)
        V.check_choice("scheme", scheme, ("equal_width", "equal_mass"))
    idx = bin_index(conf, n_bins=n_bins, scheme=scheme)
    cnt, s_conf, s_acc = _bin_sums(conf, correct, idx, n_bins)
    safe = jnp.maximum(cnt, 1.0)
    ybar, fbar = s_acc / safe, s_conf / safe
    corr = jnp.where(cnt >= 2, ybar * (1 - ybar) / jnp.maximum(cnt - 1, 1.0), 0.0)
    return jnp.sum(cnt / conf.shape[0] * ((ybar - fbar) ** 2 - corr))


def debiased_ece_l1(
    key, conf, correct, *, n_bins: int = 15, scheme: str = "equal_mass", resamples: int = 1000
):
    """Debiased :math:`\\ell_1` ECE by a normal resampling bias estimate (Kumar et al.'s
    ``normal_debiased_ce``).

    .. math:: \\widehat{CE}_{\\rm db}=2\\,\\widehat{CE}-\\frac1R\\sum_{r=1}^R\\sum_b\\frac{n_b}{N}
              |\\tilde y_b^{(r)}-\\bar f_b|,\\quad \\tilde y_b^{(r)}\\sim
              \\mathcal N\\big(\\bar y_b,\\bar y_b(1-\\bar y_b)/n_b\\big)

    Args:
      key: PRNG key. conf, correct: (N,). n_bins, scheme: binning. resamples: :math:`R`.

    Returns:
      scalar (can be slightly < 0).

    References: Kumar, Liang, Ma (2019), Sec. 5 and ``calibration.utils.normal_debiased_ce``.
    """
    if not is_traced(conf):
        V.check_conf_correct(conf, correct)
        n_bins = V.check_int("n_bins", n_bins, min_value=1)
        V.check_choice("scheme", scheme, ("equal_width", "equal_mass"))
        check_int("resamples", resamples, min_value=1)
    return _debiased_ece_l1(key, conf, correct, n_bins, scheme, resamples)


# one compiled program per (shape, bins, scheme, resamples) instead of ~35 op-by-op dispatches
@partial(jax.jit, static_argnames=("n_bins", "scheme", "resamples"))
def _debiased_ece_l1(key, conf, correct, n_bins, scheme, resamples):
    idx = bin_index(conf, n_bins=n_bins, scheme=scheme)
    cnt, s_conf, s_acc = _bin_sums(conf, correct, idx, n_bins)
    safe = jnp.maximum(cnt, 1.0)
    ybar, fbar = s_acc / safe, s_conf / safe
    w = cnt / conf.shape[0]
    plug = jnp.sum(w * jnp.abs(ybar - fbar))
    sd = jnp.sqrt(ybar * (1 - ybar) / safe)
    noise = jax.random.normal(key, (resamples, n_bins), dtype=conf.dtype)
    resampled = jnp.sum(w * jnp.abs(ybar + sd * noise - fbar), axis=1)
    return 2 * plug - jnp.mean(resampled)


def _reflected_kernel(t, s, sigma, n_images: int = 2):
    """Gaussian kernel on [0, 1] reflected at both ends (images s + 2k and -s + 2k), (len t, len s)."""
    out = 0.0
    for k in range(-n_images, n_images + 1):
        for d in (t[:, None] - s[None, :] - 2 * k, t[:, None] + s[None, :] - 2 * k):
            out = out + jnp.exp(-0.5 * (d / sigma) ** 2)
    return out / (sigma * jnp.sqrt(2 * jnp.pi))


def _grid_table(mesh: int, sigma, dtype, n_images: int = 2):
    """The image-summed Gaussian :math:`f(u)=\\sum_{|k|\\le n}e^{-((u-2k(\text{mesh}-1))h)^2/(2\\sigma^2)}`,
    :math:`h=1/(\text{mesh}-1)`, for integer ``u`` in ``[-2(mesh-1), 2(mesh-1)]``.

    On the grid ``t_j = j/(mesh-1)`` every difference and sum of two points is such a ``u h``, so
    :func:`_reflected_kernel` on the grid is the matrix ``f(i - j) + f(i + j)``: a Toeplitz plus a
    Hankel matrix, applied below by two 1-D convolutions (``(2n+1) 4 mesh`` exponentials instead of
    ``(4n+2) mesh^2``).
    """
    m1 = mesh - 1
    u = jnp.arange(-2 * m1, 2 * m1 + 1)
    h = jnp.asarray(1.0 / m1, dtype)
    f = 0.0
    for k in range(-n_images, n_images + 1):
        f = f + jnp.exp(-0.5 * (((u - 2 * k * m1) * h) / sigma) ** 2)
    return f / (sigma * jnp.sqrt(2 * jnp.pi))


def _grid_kernel(mesh: int, sigma, dtype, n_images: int = 2):
    """:func:`_reflected_kernel` on the grid as a dense matrix (for tests)."""
    f = _grid_table(mesh, sigma, dtype, n_images)
    i = jnp.arange(mesh)
    m1 = mesh - 1
    return f[i[:, None] - i[None, :] + 2 * m1] + f[i[:, None] + i[None, :] + 2 * m1]


def _smece_from_grid(R, sigma, mesh, n):
    m1 = mesh - 1
    f = _grid_table(mesh, sigma, R.dtype)
    toeplitz = jnp.convolve(f, R)[2 * m1 : 2 * m1 + mesh]  # sum_j f(i - j) R_j
    hankel = jnp.convolve(f, R[::-1])[3 * m1 : 3 * m1 + mesh]  # sum_j f(i + j) R_j
    a = jnp.abs((toeplitz + hankel) / n)
    return (jnp.sum(a) - 0.5 * (a[0] + a[-1])) / (mesh - 1)


@partial(jax.jit, static_argnames=("mesh", "iters"))
def _smooth_ece_fixed_point(conf, correct, mesh: int, iters: int):
    R = _round_to_grid(conf, correct - conf, mesh)  # the data enter once; only sigma changes
    n = conf.shape[0]

    def body(_, lohi):
        lo, hi = lohi
        mid = 0.5 * (lo + hi)
        up = mid - _smece_from_grid(R, mid, mesh, n) > 0
        return jnp.where(up, lo, mid), jnp.where(up, mid, hi)

    lo, hi = jax.lax.fori_loop(
        0, iters, body, (jnp.asarray(1e-4, conf.dtype), jnp.asarray(1.0, conf.dtype))
    )
    return _smece_from_grid(R, 0.5 * (lo + hi), mesh, n)


@partial(jax.jit, static_argnames=("mesh",))
def _smooth_ece_sigma(conf, correct, sigma, mesh: int):
    return _smece_from_grid(_round_to_grid(conf, correct - conf, mesh), sigma, mesh, conf.shape[0])


def _round_to_grid(conf, values, mesh):
    """Linear binning of ``values`` at positions ``conf`` onto the grid j/(mesh-1)."""
    x = conf * (mesh - 1)
    lo = jnp.clip(jnp.floor(x), 0, mesh - 2).astype(jnp.int32)
    frac = x - lo
    # one scatter-add of both linear-binning weights (a scatter pass is the cost on CPU)
    idx = jnp.concatenate([lo, lo + 1])
    return jax.ops.segment_sum(
        jnp.concatenate([values * (1 - frac), values * frac]), idx, num_segments=mesh
    )


def smooth_ece_sigma(conf, correct, sigma, *, mesh: int = 200):
    """Smooth ECE at a fixed bandwidth: :math:`\\int_0^1|\\hat r_\\sigma(t)|\\,dt` with
    :math:`\\hat r_\\sigma(t)=\\frac1N\\sum_i\\tilde K_\\sigma(t,f_i)(y_i-f_i)` (reflected Gaussian
    kernel :math:`\\tilde K_\\sigma` on [0, 1]).

    As in relplot, the residuals are first linearly binned onto the grid :math:`t_j=j/(\\text{mesh}-1)`,
    then smoothed on the grid (``mesh``:sup:`2` work) and integrated by the trapezoid rule.

    Args:
      conf, correct: (N,). sigma: bandwidth > 0. mesh: grid points (>= 2).

    Returns:
      scalar in [0, 1].

    References: Blasiok & Nakkiran (2024), "Smooth ECE", Sec. 3 (smECE_sigma, reflected Gaussian
    kernel); apple/ml-calibration (relplot) for the grid discretisation.
    """
    if not is_traced(conf):
        V.check_conf_correct(conf, correct)
        check_positive("sigma", sigma)
        check_int("mesh", mesh, min_value=2)
    return _smooth_ece_sigma(conf, correct, sigma, mesh=int(mesh))


def smooth_reliability(conf, correct, sigma, *, mesh: int = 200):
    """The smoothed reliability curve behind smECE: on the grid :math:`t_j`, the kernel density
    :math:`\\hat\\delta(t)=\\frac1N\\sum_i\\tilde K_\\sigma(t,f_i)` and the kernel regression of the outcome
    :math:`\\hat y(t)=t+\\hat r_\\sigma(t)/\\hat\\delta(t)` (Blasiok & Nakkiran 2024, Sec. 3).

    Returns:
      ``(t (mesh,), y_hat (mesh,), density (mesh,))``.
    """
    if not is_traced(conf):
        V.check_conf_correct(conf, correct)
        check_positive("sigma", sigma)
        check_int("mesh", mesh, min_value=2)
    return _smooth_reliability(conf, correct, sigma, int(mesh))


# the kernel matrix and both smoothings as one compiled program per (shape, mesh)
@partial(jax.jit, static_argnames=("mesh",))
def _smooth_reliability(conf, correct, sigma, mesh):
    t = jnp.linspace(0.0, 1.0, mesh, dtype=conf.dtype)
    K = _reflected_kernel(t, t, sigma)
    n = conf.shape[0]
    dens = K @ _round_to_grid(conf, jnp.ones_like(conf), mesh) / n
    rhat = K @ _round_to_grid(conf, correct - conf, mesh) / n
    return t, t + rhat / jnp.maximum(dens, 1e-12), dens


def smooth_ece(conf, correct, *, sigma=None, mesh: int = 200, iters: int = 30):
    """Smooth ECE (smECE) with the bandwidth at its fixed point :math:`\\sigma^*=\\mathrm{smECE}_{\\sigma^*}`.

    :math:`\\sigma\\mapsto\\mathrm{smECE}_\\sigma` is non-increasing, so :math:`\\sigma-\\mathrm{smECE}_\\sigma`
    is increasing and the fixed point is found by ``iters`` bisection steps on [1e-4, 1]. With
    ``sigma`` given, returns :func:`smooth_ece_sigma`.

    Args:
      conf, correct: (N,). sigma: None (fixed point) or a bandwidth. mesh: integration grid.
      iters: bisection steps.

    Returns:
      scalar in [0, 1].

    References: Blasiok & Nakkiran (2024), Sec. 4 (the self-consistent bandwidth).
    """
    if not is_traced(conf):
        V.check_conf_correct(conf, correct)
    if sigma is not None:
        return smooth_ece_sigma(conf, correct, sigma, mesh=mesh)
    if not is_traced(conf):
        check_int("mesh", mesh, min_value=2)
        check_int("iters", iters, min_value=1)
    conf, correct = jnp.asarray(conf), jnp.asarray(correct)
    return _smooth_ece_fixed_point(conf, correct, mesh=int(mesh), iters=int(iters))


def ks_error(conf, correct):
    """Kolmogorov--Smirnov calibration error.

    .. math:: \\mathrm{KS}=\\max_k\\Big|\\frac1N\\sum_{i\\le k}(f_{(i)}-y_{(i)})\\Big|

    with samples sorted by confidence (stable).

    Args: conf, correct: (N,). Returns: scalar in [0, 1].

    References: Gupta, Rahimi, Ajanthan, Mensink, Sminchisescu, Hartley (2021), Sec. 3 (KS error).
    """
    if not is_traced(conf):
        V.check_conf_correct(conf, correct)
    order = jnp.argsort(conf, stable=True)
    s = jnp.cumsum(conf[order] - correct[order]) / conf.shape[0]
    return jnp.max(jnp.abs(s))


def nll(log_probs, labels):
    """Negative log-likelihood :math:`-\\frac1N\\sum_i\\log\\tilde p_{i,y_i}` from log-probabilities.

    Args: log_probs: (N, C) rows with ``logsumexp = 0``. labels: (N,). Returns: scalar >= 0.
    """
    if not is_traced(log_probs):
        check_array("log_probs", log_probs, ndim=2)
        V.check_probs_labels(jnp.exp(jnp.asarray(log_probs)), labels, probs_name="exp(log_probs)")
    return -jnp.mean(jnp.take_along_axis(log_probs, labels[:, None], axis=1))


def nll_probs(probs, labels, floor: float = 1e-12):
    r"""NLL of probabilities that may hold zeros: clipped at ``floor``, renormalised, then :func:`nll`.

    .. math:: \ell_i = \log \max(\tilde p_{i,c}, f) - \log \sum_{c'} \max(\tilde p_{i,c'}, f),
       \qquad \mathrm{NLL} = -\frac1N \sum_i \ell_{i, y_i}

    Binning recalibrators (histogram binning, isotonic regression) can give the true class
    probability 0, whose NLL is infinite; the floor keeps the test NLL finite and comparable across
    methods.

    Args:
      probs: ``(N, C)`` probabilities (rows summing to 1). labels: ``(N,)`` ints in ``[0, C)``.
      floor: clipping floor ``f`` in ``(0, 1)``.
    Returns:
      scalar >= 0.
    Raises:
      ValueError: on malformed ``probs`` or ``labels`` or a ``floor`` outside ``(0, 1)``.
    References: Guo et al. (2017), Sec. 5 (NLL as a calibration-sensitive test metric).
    """
    if not is_traced(probs):
        V.check_probs_labels(probs, labels)
    V.check_in_range("floor", floor, 0.0, 1.0, lo_open=True, hi_open=True)
    lq = jnp.log(jnp.clip(jnp.asarray(probs), floor, 1.0))
    return nll(lq - jax.nn.logsumexp(lq, axis=1, keepdims=True), jnp.asarray(labels))


def brier(probs, labels):
    """Multi-class Brier score :math:`\\frac1N\\sum_i\\sum_c(\\tilde p_{ic}-\\mathbb 1[y_i=c])^2\\in[0,2]`.

    References: Brier (1950).
    """
    if not is_traced(probs):
        V.check_probs_labels(probs, labels)
    onehot = jax.nn.one_hot(labels, probs.shape[1], dtype=probs.dtype)
    return jnp.mean(jnp.sum((probs - onehot) ** 2, axis=1))
