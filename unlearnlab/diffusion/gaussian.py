r"""Variance-preserving Gaussian diffusion with exact scores, exact denoising losses and a DDIM sampler.

The analyzable core behind the UnlearnDiffAtk attack (Zhang et al., *To Generate or Not?
Safety-Driven Unlearned Diffusion Models Are Still Easy To Generate Unsafe Images ... For Now*,
arXiv:2310.11868) and Score Forgetting Distillation (Chen, Zhang, Zhou, arXiv:2409.11219): when the
data are Gaussian, every quantity a diffusion model learns is available in closed form.

Forward process (DDPM, variance preserving): :math:`x_t = \alpha_t x_0 + s_t \varepsilon`,
:math:`\alpha_t = \sqrt{\bar\alpha_t}`, :math:`s_t = \sqrt{1 - \bar\alpha_t}`,
:math:`\varepsilon \sim N(0, I_d)`. For data :math:`x_0 \sim N(\mu, \Sigma)` the marginal is
:math:`x_t \sim N(\alpha_t \mu, C_t)` with :math:`C_t = \alpha_t^2 \Sigma + s_t^2 I`, so the exact
score is :math:`-C_t^{-1}(x - \alpha_t \mu)` and the exact :math:`\varepsilon`-prediction is
:math:`\hat\varepsilon(x, t) = s_t C_t^{-1}(x - \alpha_t \mu)`.

Text-conditioned concepts (spec ``diffusion.md``): concept :math:`c` has prompt embedding
:math:`e_c \in R^p`; :math:`x_0 \mid c \sim N(\mu_0 + W e_c, \sigma_0^2 I_d)` with the linear
conditioning map :math:`W \in R^{d \times p}`. Its exact predictor is
:math:`\hat\varepsilon_W(x, t, e) = s_t (x - \alpha_t(\mu_0 + W e)) / v_t` with
:math:`v_t = \alpha_t^2 \sigma_0^2 + s_t^2`.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from unlearnlab.diffusion import _checks as ck
from unlearnlab.lab.checks import check_array, check_in_range, check_int, check_size, is_traced

__all__ = [
    "vp_schedule",
    "marginal",
    "exact_score",
    "exact_eps",
    "concept_eps",
    "denoising_loss",
    "denoising_loss_exact",
    "ddim_sample",
    "ddim_law",
    "gaussian_kl",
    "gaussian_fit_kl",
]


# ----------------------------------------------------------------------------- schedule


def vp_schedule(n_steps: int = 50, T: int = 1000, beta_min: float = 1e-4, beta_max: float = 0.02):
    r"""Signal levels :math:`\bar\alpha_t` of the DDPM linear schedule on an evenly spaced grid.

    .. math::

        \beta_i = \beta_{\min} + (\beta_{\max} - \beta_{\min}) \tfrac{i}{T - 1},\qquad
        \bar\alpha_t = \prod_{i \le t} (1 - \beta_i),

    evaluated at :math:`t_k = \mathrm{round}(k (T - 1)/(n - 1))`, :math:`k = 0, \dots, n - 1`
    (the attack code evaluates its loss on an evenly spaced grid of 50 timesteps).

    Args:
      n_steps: grid size :math:`n` (``1 <= n_steps <= T``).
      T: number of DDPM steps.
      beta_min: :math:`\beta_{\min} \in (0, 1)`.
      beta_max: :math:`\beta_{\max} \in [\beta_{\min}, 1)`.

    Returns:
      ``alpha_bar``, shape ``(n_steps,)``, decreasing, every entry in (0, 1).

    Raises:
      ValueError: ``n_steps``/``T`` not positive integers or ``n_steps > T``; ``beta_min`` or
        ``beta_max`` outside (0, 1) or ``beta_max < beta_min``.

    References:
      Ho, Jain, Abbeel 2020 (DDPM), Sec. 4 (linear schedule 1e-4 to 0.02, T = 1000).
    """
    T = check_size("T", T)
    n_steps = check_int("n_steps", n_steps, min_value=1, max_value=T)
    ck.positive("beta_min", beta_min)
    ck.positive("beta_max", beta_max)
    check_in_range("beta_min", beta_min, 0.0, 1.0, lo_open=True, hi_open=True)
    check_in_range("beta_max", beta_max, 0.0, 1.0, lo_open=True, hi_open=True)
    if float(beta_max) < float(beta_min):
        raise ValueError(f"`beta_max` must be >= `beta_min`; got {beta_max} < {beta_min}.")
    betas = np.linspace(float(beta_min), float(beta_max), T)
    abar = np.cumprod(1.0 - betas)
    idx = np.round(np.linspace(0, T - 1, n_steps)).astype(int) if n_steps > 1 else np.array([0])
    return jnp.asarray(abar[idx])


# ----------------------------------------------------------------------------- exact scores


def _as(alpha_bar):
    return jnp.sqrt(alpha_bar), jnp.sqrt(1.0 - alpha_bar)


def _gauss_args(x, alpha_bar, mu, Sigma):
    ck.vector("mu", mu)
    d = np.shape(mu)[0]
    with ck.agree("mu"):
        ck.covariance("Sigma", Sigma, d)
        if x is not None:
            ck.vector("x", x, d)
    ck.alpha_bar_scalar("alpha_bar", alpha_bar)


def marginal(alpha_bar, mu, Sigma):
    r"""Mean and covariance of :math:`x_t` for data :math:`N(\mu, \Sigma)`.

    .. math:: x_t \sim N(\alpha_t \mu,\; \alpha_t^2 \Sigma + s_t^2 I).

    Args:
      alpha_bar: :math:`\bar\alpha_t`, scalar in (0, 1).
      mu: data mean :math:`\mu`, shape ``(d,)``.
      Sigma: data covariance :math:`\Sigma`, ``(d, d)``, symmetric positive definite.

    Returns:
      ``(mean, cov)`` of shapes ``(d,)`` and ``(d, d)``.

    Raises:
      ValueError: ``alpha_bar`` outside (0, 1); ``Sigma`` not PD or of the wrong shape; NaN/inf.

    References:
      Ho et al. 2020, Eq. (4).
    """
    _gauss_args(None, alpha_bar, mu, Sigma)
    return _marginal(jnp.asarray(alpha_bar), jnp.asarray(mu), jnp.asarray(Sigma))


@jax.jit
def _marginal(ab, mu, Sigma):
    a, s = _as(ab)
    return a * mu, a**2 * Sigma + s**2 * jnp.eye(mu.shape[0], dtype=Sigma.dtype)


def exact_score(x, alpha_bar, mu, Sigma):
    r"""Exact score :math:`\nabla_x \log p_t(x)` of the diffused Gaussian.

    .. math:: \nabla \log p_t(x) = -(\alpha_t^2 \Sigma + s_t^2 I)^{-1}(x - \alpha_t \mu).

    Args:
      x: a point, shape ``(d,)``.
      alpha_bar: :math:`\bar\alpha_t`, scalar in (0, 1).
      mu: data mean, ``(d,)``.
      Sigma: data covariance, ``(d, d)`` PD.

    Returns:
      The score, shape ``(d,)``.

    Raises:
      ValueError: shapes disagree, ``Sigma`` not PD, ``alpha_bar`` outside (0, 1), NaN/inf.

    References:
      Song et al. 2021 (score SDE), Sec. 2; closed form for Gaussian data.
    """
    _gauss_args(x, alpha_bar, mu, Sigma)
    return _score(jnp.asarray(x), jnp.asarray(alpha_bar), jnp.asarray(mu), jnp.asarray(Sigma))


@jax.jit
def _score(x, ab, mu, Sigma):
    m, C = _marginal(ab, mu, Sigma)
    return -jnp.linalg.solve(C, x - m)


def exact_eps(x, alpha_bar, mu, Sigma):
    r"""Exact :math:`\varepsilon`-prediction :math:`E[\varepsilon \mid x_t = x]` of the diffused Gaussian.

    .. math:: \hat\varepsilon(x, t) = -s_t \nabla \log p_t(x) = s_t C_t^{-1}(x - \alpha_t \mu).

    Args and Raises: as :func:`exact_score`.

    Returns:
      :math:`\hat\varepsilon`, shape ``(d,)``.

    References:
      Ho et al. 2020, Eq. (11) (the network's target); Vincent 2011 (denoising score matching).
    """
    _gauss_args(x, alpha_bar, mu, Sigma)
    return _eps(jnp.asarray(x), jnp.asarray(alpha_bar), jnp.asarray(mu), jnp.asarray(Sigma))


@jax.jit
def _eps(x, ab, mu, Sigma):
    return -jnp.sqrt(1.0 - ab) * _score(x, ab, mu, Sigma)


def _concept_args(alpha_bar, e, W, mu0, sigma0, **vecs):
    ck.matrix("W", W)
    d, p = np.shape(W)
    with ck.agree("W"):
        ck.vector("e", e, p)
        ck.vector("mu0", mu0, d)
        for k, v in vecs.items():
            ck.vector(k, v, d)
    ck.positive("sigma0", sigma0)
    ck.alpha_bar_scalar("alpha_bar", alpha_bar)
    return d, p


def concept_eps(x, alpha_bar, e, W, mu0, sigma0):
    r"""Exact :math:`\varepsilon`-prediction of the text-conditioned Gaussian model at prompt :math:`e`.

    .. math::

        \hat\varepsilon_W(x, t, e) = \frac{s_t}{v_t}\bigl(x - \alpha_t(\mu_0 + W e)\bigr),
        \qquad v_t = \alpha_t^2 \sigma_0^2 + s_t^2.

    Symbols: :math:`W` = ``W`` (``(d, p)``, the conditioning map), :math:`e` = ``e`` (``(p,)``),
    :math:`\mu_0` = ``mu0`` (``(d,)``), :math:`\sigma_0` = ``sigma0``.

    Args:
      x: noisy point :math:`x_t`, ``(d,)``.
      alpha_bar: :math:`\bar\alpha_t`, scalar in (0, 1).
      e: prompt embedding, ``(p,)``.
      W: conditioning map, ``(d, p)``.
      mu0: offset :math:`\mu_0`, ``(d,)``.
      sigma0: within-concept standard deviation :math:`\sigma_0 > 0`.

    Returns:
      :math:`\hat\varepsilon`, ``(d,)``.

    Raises:
      ValueError: shapes disagree, ``sigma0 <= 0``, ``alpha_bar`` outside (0, 1), NaN/inf.

    References:
      Spec ``diffusion.md`` (model); exact for :math:`x_0 \mid e \sim N(\mu_0 + We, \sigma_0^2 I)`.
    """
    _concept_args(alpha_bar, e, W, mu0, sigma0, x=x)
    return _concept_eps(*map(jnp.asarray, (x, alpha_bar, e, W, mu0, sigma0)))


@jax.jit
def _concept_eps(x, ab, e, W, mu0, sigma0):
    a, s = _as(ab)
    v = a**2 * sigma0**2 + s**2
    return s * (x - a * (mu0 + W @ e)) / v


def denoising_loss(x0, eps, alpha_bar, e, W, mu0, sigma0):
    r"""One draw of the attack's denoising loss (``get_loss`` of the UnlearnDiffAtk code).

    .. math:: \ell = \bigl\|\varepsilon - \hat\varepsilon_W(\alpha_t x_0 + s_t \varepsilon, t, e)\bigr\|^2.

    Args:
      x0: clean sample :math:`x_0`, ``(d,)``.
      eps: noise draw :math:`\varepsilon`, ``(d,)``.
      alpha_bar: :math:`\bar\alpha_t`, scalar in (0, 1).
      e, W, mu0, sigma0: as :func:`concept_eps`.

    Returns:
      The scalar loss.

    Raises:
      ValueError: as :func:`concept_eps`.

    References:
      arXiv:2310.11868, attack objective; code ``src/tasks/classifier_.py::get_loss`` (MSE between
      the noise and the prediction of the unlearned model at the optimised prompt).
    """
    _concept_args(alpha_bar, e, W, mu0, sigma0, x0=x0, eps=eps)
    return _denoising_loss(*map(jnp.asarray, (x0, eps, alpha_bar, e, W, mu0, sigma0)))


@jax.jit
def _denoising_loss(x0, eps, ab, e, W, mu0, sigma0):
    a, s = _as(ab)
    r = eps - _concept_eps(a * x0 + s * eps, ab, e, W, mu0, sigma0)
    return jnp.sum(r**2)


def denoising_loss_exact(x0, alpha_bar, e, W, mu0, sigma0):
    r"""The denoising loss averaged exactly over the noise: a least squares in the prompt.

    .. math::

        E_\varepsilon \ell = d\Bigl(1 - \frac{s_t^2}{v_t}\Bigr)^2
            + \Bigl(\frac{s_t \alpha_t}{v_t}\Bigr)^2 \|x_0 - \mu_0 - W e\|^2.

    Proof: :math:`\varepsilon - \hat\varepsilon = (1 - s_t^2/v_t)\varepsilon - (s_t\alpha_t/v_t)
    (x_0 - \mu_0 - We)` and :math:`E\varepsilon = 0`, :math:`E\|\varepsilon\|^2 = d`.

    Args:
      x0: clean sample, ``(d,)``.
      alpha_bar, e, W, mu0, sigma0: as :func:`concept_eps`.

    Returns:
      The scalar expected loss.

    Raises:
      ValueError: as :func:`concept_eps`.

    References:
      Spec ``diffusion.md`` G1 [derived]; ``theory/diffusion_unlearn.md`` Prop. 1.
    """
    _concept_args(alpha_bar, e, W, mu0, sigma0, x0=x0)
    return _denoising_loss_exact(*map(jnp.asarray, (x0, alpha_bar, e, W, mu0, sigma0)))


def _loss_weights(ab, sigma0):
    """``(noise floor per coordinate, squared weight)`` of the exact loss at one timestep."""
    a, s = _as(ab)
    v = a**2 * sigma0**2 + s**2
    return (1.0 - s**2 / v) ** 2, (s * a / v) ** 2


@jax.jit
def _denoising_loss_exact(x0, ab, e, W, mu0, sigma0):
    floor, w2 = _loss_weights(ab, sigma0)
    return x0.shape[0] * floor + w2 * jnp.sum((x0 - mu0 - W @ e) ** 2)


# ----------------------------------------------------------------------------- DDIM sampler


def _ddim_coeffs(alpha_bar):
    """Per step (from the noisiest level down): current (a, s) and next (a', s'), next = data."""
    ab = alpha_bar[::-1]
    ab_next = jnp.concatenate([ab[1:], jnp.ones((1,), ab.dtype)])
    return ab, ab_next


def _ddim_step_map(ab, ab_next, mu, Sigma):
    """DDIM (eta = 0) with the exact eps is affine: x' = M x + c."""
    a, s = _as(ab)
    a2, s2 = jnp.sqrt(ab_next), jnp.sqrt(1.0 - ab_next)
    m, C = _marginal(ab, mu, Sigma)
    Cinv = jnp.linalg.inv(C)
    g = (s2 - a2 * s / a) * s
    d = mu.shape[0]
    M = (a2 / a) * jnp.eye(d, dtype=Sigma.dtype) + g * Cinv
    c = -g * (Cinv @ m)
    return M, c


def _check_sampler(alpha_bar, mu, Sigma):
    ck.alpha_bar_grid("alpha_bar", alpha_bar)
    if not is_traced(alpha_bar) and np.any(np.diff(np.asarray(alpha_bar)) >= 0):
        raise ValueError("`alpha_bar` must be strictly decreasing (increasing noise level).")
    ck.vector("mu", mu)
    ck.covariance("Sigma", Sigma, np.shape(mu)[0])


def ddim_sample(key, alpha_bar, mu, Sigma, n: int):
    r"""Deterministic DDIM sampling (``lax.scan``) with the exact :math:`\varepsilon` of :math:`N(\mu, \Sigma)`.

    Starting from :math:`x \sim N(0, I)` at the noisiest level of the grid, each step maps
    :math:`\bar\alpha_t \to \bar\alpha_{t'}` (the next lower level, :math:`\bar\alpha = 1` after
    the last):

    .. math::

        \hat x_0 = \frac{x - s_t \hat\varepsilon(x, t)}{\alpha_t},\qquad
        x \leftarrow \alpha_{t'} \hat x_0 + s_{t'} \hat\varepsilon(x, t).

    Its output law is exactly :func:`ddim_law`; it differs from :math:`N(\mu, \Sigma)` by the time
    discretisation and the :math:`N(0, I)` start (both vanish as the grid refines).

    Args:
      key: PRNG key.
      alpha_bar: grid of :math:`\bar\alpha_t`, ``(n_steps,)``, strictly decreasing in (0, 1).
      mu: data mean, ``(d,)``.
      Sigma: data covariance, ``(d, d)`` PD.
      n: number of samples (>= 1).

    Returns:
      Samples, shape ``(n, d)``.

    Raises:
      ValueError: grid outside (0, 1) or not decreasing; ``Sigma`` not PD; shapes; ``n < 1``.

    References:
      Song, Meng, Ermon 2021 (DDIM), Eq. (12) with :math:`\sigma_t = 0`.
    """
    _check_sampler(alpha_bar, mu, Sigma)
    n = check_size("n", n)
    return _ddim_sample(key, jnp.asarray(alpha_bar), jnp.asarray(mu), jnp.asarray(Sigma), n)


@functools.partial(jax.jit, static_argnames=("n",))
def _ddim_sample(key, alpha_bar, mu, Sigma, n):
    x = jax.random.normal(key, (n, mu.shape[0]), dtype=Sigma.dtype)
    ab, ab_next = _ddim_coeffs(alpha_bar)

    def step(x, t):
        a, s = _as(t[0])
        a2, s2 = jnp.sqrt(t[1]), jnp.sqrt(1.0 - t[1])
        eps = jax.vmap(lambda xi: _eps(xi, t[0], mu, Sigma))(x)
        x0 = (x - s * eps) / a
        return a2 * x0 + s2 * eps, None

    x, _ = jax.lax.scan(step, x, jnp.stack([ab, ab_next], axis=1))
    return x


def ddim_law(alpha_bar, mu, Sigma):
    r"""Exact output law of :func:`ddim_sample` (Gaussian: each step is affine in :math:`x`).

    .. math::

        x' = M_t x + c_t,\quad M_t = \tfrac{\alpha_{t'}}{\alpha_t} I + g_t C_t^{-1},\quad
        c_t = -g_t C_t^{-1} \alpha_t \mu,\quad g_t = \bigl(s_{t'} - \alpha_{t'} s_t/\alpha_t\bigr) s_t,

    pushed forward from :math:`N(0, I)`: :math:`m \leftarrow M_t m + c_t`,
    :math:`P \leftarrow M_t P M_t^\top`.

    Args:
      alpha_bar, mu, Sigma: as :func:`ddim_sample`.

    Returns:
      ``(mean, cov)`` of the sampler's output, ``(d,)`` and ``(d, d)``.

    Raises:
      ValueError: as :func:`ddim_sample`.

    References:
      Lab's derivation (``theory/diffusion_unlearn.md`` Prop. 5).
    """
    _check_sampler(alpha_bar, mu, Sigma)
    return _ddim_law(jnp.asarray(alpha_bar), jnp.asarray(mu), jnp.asarray(Sigma))


@jax.jit
def _ddim_law(alpha_bar, mu, Sigma):
    d = mu.shape[0]
    ab, ab_next = _ddim_coeffs(alpha_bar)

    def step(carry, t):
        m, P = carry
        M, c = _ddim_step_map(t[0], t[1], mu, Sigma)
        return (M @ m + c, M @ P @ M.T), None

    init = (jnp.zeros(d, Sigma.dtype), jnp.eye(d, dtype=Sigma.dtype))
    (m, P), _ = jax.lax.scan(step, init, jnp.stack([ab, ab_next], axis=1))
    return m, 0.5 * (P + P.T)


# ----------------------------------------------------------------------------- KL divergences


def gaussian_kl(m1, S1, m2, S2):
    r"""KL divergence between two Gaussians.

    .. math::

        KL(N(m_1, S_1)\,\|\,N(m_2, S_2)) = \tfrac12\Bigl[\mathrm{tr}(S_2^{-1} S_1)
        + (m_2 - m_1)^\top S_2^{-1}(m_2 - m_1) - d + \log\frac{\det S_2}{\det S_1}\Bigr].

    Args:
      m1, m2: means, ``(d,)``.
      S1, S2: covariances, ``(d, d)`` PD.

    Returns:
      The scalar KL (>= 0).

    Raises:
      ValueError: a covariance not PD; shapes disagree; NaN/inf.

    References:
      Standard (e.g. Pardo 2006, Sec. 1.2).
    """
    ck.vector("m1", m1)
    d = np.shape(m1)[0]
    ck.vector("m2", m2, d)
    ck.covariance("S1", S1, d)
    ck.covariance("S2", S2, d)
    return _gaussian_kl(*map(jnp.asarray, (m1, S1, m2, S2)))


@jax.jit
def _gaussian_kl(m1, S1, m2, S2):
    L2 = jnp.linalg.cholesky(S2)
    L1 = jnp.linalg.cholesky(S1)
    A = jax.scipy.linalg.solve_triangular(L2, L1, lower=True)
    z = jax.scipy.linalg.solve_triangular(L2, m2 - m1, lower=True)
    logdet = 2.0 * (jnp.sum(jnp.log(jnp.diag(L2))) - jnp.sum(jnp.log(jnp.diag(L1))))
    return 0.5 * (jnp.sum(A**2) + jnp.sum(z**2) - m1.shape[0] + logdet)


def gaussian_fit_kl(x, m2, S2):
    r"""KL of the Gaussian fitted to samples against a reference Gaussian.

    .. math::

        \widehat{KL} = KL(N(\bar x, \hat S)\,\|\,N(m_2, S_2)),\quad
        \bar x = \tfrac1n \textstyle\sum_i x_i,\quad
        \hat S = \tfrac{1}{n-1}\textstyle\sum_i (x_i - \bar x)(x_i - \bar x)^\top.

    For :math:`n` samples of :math:`N(m_2, S_2)` its mean is
    :math:`\approx d(d+3)/(4n)` (plug-in bias), not 0.

    Args:
      x: samples, ``(n, d)`` with ``n > d``.
      m2: reference mean, ``(d,)``.
      S2: reference covariance, ``(d, d)`` PD.

    Returns:
      The scalar fitted KL.

    Raises:
      ValueError: ``n <= d``; shapes; ``S2`` not PD; NaN/inf.

    References:
      The "Gaussian-fit KL" of sampled generations (spec ``diffusion.md`` G4).
    """
    check_array("x", x, ndim=2)
    n, d = np.shape(x)
    if n <= d:
        raise ValueError(f"`x` needs more samples than dimensions (n > d); got shape {(n, d)}.")
    ck.vector("m2", m2, d)
    ck.covariance("S2", S2, d)
    return _gaussian_fit_kl(*map(jnp.asarray, (x, m2, S2)))


@jax.jit
def _gaussian_fit_kl(x, m2, S2):
    xbar = jnp.mean(x, axis=0)
    S = jnp.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])
    return _gaussian_kl(xbar, S, m2, S2)
