"""Order-preserving recalibration maps: ``apply_*(params, logits) -> log-probabilities`` (N, C).

Every map here acts on the normalised log-probabilities :math:`\\ell=z-\\mathrm{logsumexp}(z)`
through one strictly increasing scalar function (or a convex mixture of such softmaxes), shared by all
classes, followed by a softmax. A strictly increasing elementwise map keeps the order of the classes
within a row, so the **argmax (and the accuracy) is preserved** (intra order-preserving maps, Rahimi
et al. 2020). Parameters are pytrees of arrays; the parametrisations make every parameter value
valid (no constraint to enforce while fitting).

Families (h-calibration's official code, ``models/``; lab deviations noted per function):
* temperature scaling, :math:`\\mathrm{softmax}(z/T)`;
* ensemble temperature scaling (ETS), :math:`\\sum_k w_k\\,\\mathrm{softmax}(\\beta_k\\ell)`;
* a monotone piecewise-linear map (PWL) of :math:`\\ell`, strictly increasing on all of R;
* a monotone network (UMNN-style): :math:`\\phi(\\bar\\ell)=\\int f_\\psi`, :math:`f_\\psi>0` a flax MLP.

References:
  Huang et al., "h-calibration", TPAMI 2025, arXiv 2506.17968; official code
  github.com/WenjianHuang93/h-Calibration (``models/{temperature_scaling,tsensemble_linear,
  monotonic_pwlinear,monotonic_nonlinear}.py``); Guo et al. (2017) (TS); Zhang, Kailkhura, Han (2020)
  (ensemble TS); Wehenkel & Louppe (2019) (UMNN).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.lab.checks import check_array, check_int, check_positive, is_traced

__all__ = [
    "apply_temperature",
    "init_ets",
    "apply_ets",
    "init_pwl",
    "apply_pwl",
    "pwl_phi",
    "init_mono_mlp",
    "apply_mono_mlp",
    "mono_mlp_phi",
]


def _check_logits(logits):
    if not is_traced(logits):
        check_array("logits", logits, ndim=2)


def apply_temperature(T, logits):
    """Temperature scaling: :math:`\\log\\mathrm{softmax}(z/T)`.

    Args:
      T: scalar temperature > 0. logits: (N, C) :math:`z`.

    Returns:
      (N, C) log-probabilities.

    References: Guo et al. (2017), Sec. 4.2.
    """
    _check_logits(logits)
    if not is_traced(T):
        check_positive("T", T)
    return jax.nn.log_softmax(logits / T, axis=-1)


# ---------------------------------------------------------------- ensemble temperature scaling
def init_ets(key, num_temps: int = 16) -> dict:
    """ETS parameters: log-inverse-temperatures spread over [1/4, 4] (plus a small jitter from ``key``)
    and equal mixture logits.

    Returns:
      ``{"a": (K,), "b": (K,)}`` with :math:`\\beta_k=e^{a_k}`, :math:`w=\\mathrm{softmax}(b)`.
    """
    num_temps = check_int("num_temps", num_temps, min_value=1)
    a = jnp.linspace(jnp.log(0.25), jnp.log(4.0), num_temps) if num_temps > 1 else jnp.zeros(1)
    a = a + 0.01 * jax.random.normal(key, (num_temps,))
    return {"a": a, "b": jnp.zeros(num_temps)}


def apply_ets(params, logits):
    """Ensemble temperature scaling (the code's ``LinearMap_tempnum_K``).

    .. math:: \\tilde p=\\sum_{k=1}^K w_k\\,\\mathrm{softmax}(\\beta_k\\ell),\\quad
              \\beta_k=e^{a_k},\\ w=\\mathrm{softmax}(b),\\ \\ell=\\log\\mathrm{softmax}(z)

    Order-preserving: each :math:`\\mathrm{softmax}(\\beta_k\\ell)` with :math:`\\beta_k>0` has the order
    of :math:`z`, and a convex mixture with :math:`w_k>0` keeps a strict order.

    Lab deviation: the code uses :math:`\\beta_k=|a_k|` and :math:`w=|b|/\\lVert b\\rVert_1`; the lab's
    :math:`e^{a}` and softmax keep every parameter value valid (no :math:`\\beta=0` tie, no 0/0).

    Args:
      params: ``{"a": (K,), "b": (K,)}``. logits: (N, C).

    Returns:
      (N, C) log-probabilities.
    """
    _check_logits(logits)
    ell = jax.nn.log_softmax(logits, axis=-1)
    beta = jnp.exp(params["a"])
    logw = jax.nn.log_softmax(params["b"])
    comp = jax.nn.log_softmax(beta[:, None, None] * ell[None], axis=-1)  # (K, N, C)
    return jax.nn.logsumexp(comp + logw[:, None, None], axis=0)


# ---------------------------------------------------------------- monotone piecewise-linear
_SOFTPLUS_INV_1 = float(np.log(np.expm1(1.0)))


def init_pwl(num_segments: int = 100, lo: float = -30.0) -> dict:
    """PWL parameters at the identity map: raw slopes with ``softplus(s) = 1``.

    Knots :math:`t_k=\\mathrm{lo}+k\\Delta`, :math:`\\Delta=-\\mathrm{lo}/S`, :math:`k=0..S-1` are fixed
    and stored with the parameters (a zero-gradient leaf, ``"lo"``).

    Returns:
      ``{"s": (S,), "lo": ()}``.
    """
    num_segments = check_int("num_segments", num_segments, min_value=1)
    if not lo < 0:
        raise ValueError(f"`lo` must be < 0; got {lo}.")
    return {"s": jnp.full((num_segments,), _SOFTPLUS_INV_1), "lo": jnp.asarray(float(lo))}


def pwl_phi(params, x):
    """The monotone PWL map of :func:`apply_pwl` applied elementwise to ``x`` (any shape)."""
    s = params["s"]
    lo = jax.lax.stop_gradient(params["lo"])
    S = s.shape[0]
    delta = -lo / S
    knots = lo + delta * jnp.arange(S, dtype=x.dtype)
    slopes = jax.nn.softplus(s)
    xe = x[..., None]
    inside = jnp.sum(slopes * jnp.clip(xe - knots, 0.0, delta), axis=-1)
    below = slopes[0] * jnp.minimum(x - lo, 0.0)
    above = slopes[-1] * jnp.maximum(x, 0.0)
    return lo + inside + below + above


def apply_pwl(params, logits):
    """Monotone piecewise-linear map of the log-probabilities, then softmax.

    .. math:: \\phi(x)=\\mathrm{lo}+\\sum_{k=0}^{S-1}\\mathrm{sp}(s_k)\\,\\mathrm{clip}(x-t_k,0,\\Delta)
              +\\mathrm{sp}(s_0)\\min(x-\\mathrm{lo},0)+\\mathrm{sp}(s_{S-1})\\max(x,0)

    with :math:`\\mathrm{sp}=\\mathrm{softplus}>0`: continuous and strictly increasing on R (linear
    extension outside [lo, 0]), the identity at :func:`init_pwl`. Output
    :math:`\\log\\mathrm{softmax}(\\phi(\\ell))`.

    Lab deviation: the released ``monotonic_pwlinear`` interpolation is not monotone for general
    slopes (spec §4 note); this is the standard monotone PWL the code intends.

    Args:
      params: from :func:`init_pwl`. logits: (N, C).

    Returns:
      (N, C) log-probabilities.
    """
    _check_logits(logits)
    ell = jax.nn.log_softmax(logits, axis=-1)
    return jax.nn.log_softmax(pwl_phi(params, ell), axis=-1)


# ---------------------------------------------------------------- monotone network (UMNN-style)
class _Integrand(nn.Module):
    """:math:`f_\\psi(t)=\\mathrm{softplus}(\\mathrm{MLP}_\\psi(t))+10^{-3}>0` (scalar in, scalar out)."""

    hidden: tuple[int, ...] = (10, 10)

    @nn.compact
    def __call__(self, t):
        h = t[..., None]
        for width in self.hidden:
            h = nn.elu(nn.Dense(width)(h))
        return jax.nn.softplus(nn.Dense(1)(h)[..., 0]) + 1e-3


def init_mono_mlp(
    key,
    hidden=(10, 10),
    n_quad: int = 32,
    n_grid: int = 256,
    lo: float = -30.0,
    mu: float = 0.0,
    sigma: float = 1.0,
) -> dict:
    """Monotone-network parameters: a flax MLP integrand plus the fixed grid and normalisation.

    Args:
      key: PRNG key for the MLP initialisation. hidden: hidden widths. n_quad: Gauss--Legendre
      nodes per grid cell. n_grid: grid cells on [lo, 0]. lo: lower end of the grid in
      :math:`\\ell`. mu, sigma: input normalisation :math:`\\bar\\ell=(\\ell-\\mu)/\\sigma` (calibration-set
      mean/std of all :math:`\\ell`, set by :func:`~unlearnlab.calibration.fit_hcal`).

    Returns:
      ``{"mlp": flax params, "grid": (n_grid+1,), "nodes": (n_quad,), "weights": (n_quad,),
      "mu": (), "sigma": ()}`` -- only ``"mlp"`` is trained.
    """
    hidden = tuple(int(h) for h in hidden)
    n_quad = check_int("n_quad", n_quad, min_value=1)
    n_grid = check_int("n_grid", n_grid, min_value=1)
    check_positive("sigma", sigma)
    mlp = _Integrand(hidden).init(key, jnp.zeros((1,)))
    nodes, weights = np.polynomial.legendre.leggauss(n_quad)
    grid = (np.linspace(lo, 0.0, n_grid + 1) - mu) / sigma
    return {
        "mlp": mlp,
        "grid": jnp.asarray(grid),
        "nodes": jnp.asarray(nodes),
        "weights": jnp.asarray(weights),
        "mu": jnp.asarray(float(mu)),
        "sigma": jnp.asarray(float(sigma)),
    }


def _hidden_of(mlp_params) -> tuple[int, ...]:
    layers = mlp_params["params"]
    n = len(layers)
    return tuple(int(layers[f"Dense_{i}"]["kernel"].shape[1]) for i in range(n - 1))


def mono_mlp_phi(params, x):
    """:math:`\\phi(\\bar x)=\\int_{g_0}^{\\bar x}f_\\psi(t)\\,dt` (up to a constant) at ``x`` (any shape).

    The integral is computed exactly-by-quadrature at the grid nodes :math:`g_j` (Gauss--Legendre
    with ``n_quad`` nodes per cell, cumulative sum) and linearly interpolated in between; outside the
    grid it is extended linearly with slope :math:`f_\\psi` at the end node. The result is continuous
    and strictly increasing (:math:`f_\\psi\\ge10^{-3}`).
    """
    fixed = jax.lax.stop_gradient({k: v for k, v in params.items() if k != "mlp"})
    grid, nodes, weights = fixed["grid"], fixed["nodes"], fixed["weights"]
    mod = _Integrand(_hidden_of(params["mlp"]))
    a, b = grid[:-1], grid[1:]
    half = 0.5 * (b - a)
    tq = (0.5 * (a + b))[:, None] + half[:, None] * nodes[None, :]
    fq = mod.apply(params["mlp"], tq.reshape(-1)).reshape(tq.shape)
    cell = half * (fq @ weights)
    Phi = jnp.concatenate([jnp.zeros(1, cell.dtype), jnp.cumsum(cell)])
    xb = (x - fixed["mu"]) / fixed["sigma"]
    ends = mod.apply(params["mlp"], jnp.stack([grid[0], grid[-1]]))
    y = jnp.interp(xb, grid, Phi)
    y = y + ends[0] * jnp.minimum(xb - grid[0], 0.0) + ends[1] * jnp.maximum(xb - grid[-1], 0.0)
    return y


def apply_mono_mlp(params, logits):
    """Monotone network map (UMNN-style), then softmax: :math:`\\log\\mathrm{softmax}(\\phi(\\bar\\ell))`.

    .. math:: \\phi(\\bar\\ell)=\\int_{g_0}^{\\bar\\ell}f_\\psi(t)\\,dt,\\quad
              f_\\psi=\\mathrm{softplus}(\\mathrm{MLP}_\\psi)+10^{-3},\\quad
              \\bar\\ell=(\\ell-\\mu)/\\sigma

    Lab deviations (spec §10.2): softplus instead of ELU+1, Gauss--Legendre instead of
    Clenshaw--Curtis, and the integral tabulated on a fixed grid of ``n_grid`` cells over
    :math:`\\ell\\in[\\mathrm{lo},0]` and interpolated, so the MLP runs on ``n_grid * n_quad`` points per
    step whatever N*C is (the per-entry quadrature costs ``N*C*n_quad`` MLP calls: ~1 s per step on
    CIFAR-100 on 2 CPU cores).

    Args:
      params: from :func:`init_mono_mlp`. logits: (N, C).

    Returns:
      (N, C) log-probabilities.
    """
    _check_logits(logits)
    ell = jax.nn.log_softmax(logits, axis=-1)
    return jax.nn.log_softmax(mono_mlp_phi(params, ell), axis=-1)
