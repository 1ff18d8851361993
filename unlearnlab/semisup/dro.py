"""Wasserstein-DRO robust losses and the RSS (robust self-supervised) estimator.

Saberi et al., *Out-Of-Domain Unlabeled Data Improves Generalization*, ICLR 2024 (arXiv
2310.00027). With transport cost ``c(z, x) = ||z - x||_2^2`` the robust (Lagrangian / dual) loss is

.. math:: \\phi_\\gamma(x, y; \\theta) = \\sup_z\\; \\ell(z, y; \\theta) - \\gamma\\, c(z, x),

and the RSS estimator minimises

.. math:: \\frac1{n_{lab}} \\sum_i \\phi_\\gamma(X_i, y_i; \\theta)
          + \\frac{\\lambda}{n_{unlab}} \\sum_j \\phi_{\\gamma'}(X'_j, h_\\theta(X'_j); \\theta),

with pseudo-labels ``h_theta(x') = sign(theta^T x')`` (self-training).

Symbols -> arguments: ``gamma`` -> ``gamma``, ``gamma'`` -> ``gamma_u``, ``lambda`` -> ``lam``,
``m`` (paper) -> ``n_lab`` = ``Xl.shape[0]``, ``n`` (paper) -> ``n_unlab`` = ``Xu.shape[0]``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from unlearnlab.lab.checks import (
    check_array,
    check_int,
    check_nonempty,
    check_nonnegative,
    check_positive,
    check_shape,
    check_tree_finite,
    is_traced,
)
from unlearnlab.semisup.baselines import _check_labeled, _check_unlabeled, fit_erm_mean
from unlearnlab.semisup.gaussian_mixture import _check_nonzero, _check_pm1, _float

__all__ = [
    "LOSSES",
    "robust_loss_01_linear",
    "robust_loss_generic",
    "rss_objective",
    "RSSConfig",
    "RSSState",
    "RSSInfo",
    "rss_init",
    "rss_step",
    "rss_run",
    "fit_rss",
]

#: the per-sample losses ``rss_objective`` knows
LOSSES = ("01_closed", "ramp")


# --------------------------------------------------------------------------------------------
# per-sample losses as functions of the normalised margin u = y theta_hat^T x
# --------------------------------------------------------------------------------------------
def _phi01(u, gamma):
    # exact robust 0-1 loss: 1 if u <= 0, (1 - gamma u^2)_+ otherwise (continuous at u = 0)
    return jnp.where(u <= 0, jnp.ones_like(u), jnp.maximum(1.0 - gamma * u * u, 0.0))


def _ramp(u, gamma):
    # the authors' simulation surrogate: clamp(1 - gamma * margin, 0, 1)
    return jnp.clip(1.0 - gamma * u, 0.0, 1.0)


_PHI = {"01_closed": _phi01, "ramp": _ramp}


def _check_gamma(name, gamma):
    check_positive(name, gamma)


def robust_loss_01_linear(theta, x, y, gamma) -> jax.Array:
    """Exact Wasserstein-robust 0-1 loss of the linear rule ``sign(theta^T x)``.

    With ``c = ||.||_2^2`` the adversary moves ``x`` against the margin, ``z = x - t y theta_hat``,
    so ``phi_gamma = sup_{t >= 0} 1(u - t <= 0) - gamma t^2`` with ``u = y theta_hat^T x``:

    .. math:: \\phi^{01}_\\gamma(x, y; \\theta) =
       \\begin{cases} 1, & u \\le 0 \\\\ (1 - \\gamma u^2)_+, & u > 0. \\end{cases}

    Symbols: ``theta`` -> ``theta``, ``x`` -> ``X``, ``y`` -> ``y``, ``gamma`` -> ``gamma``.

    Args:
      theta: ``(d,)`` non-zero weights.
      x: ``(d,)`` one point, or ``(n, d)`` points.
      y: scalar label in ``{-1, +1}``, or ``(n,)`` labels.
      gamma: transport-cost multiplier, ``> 0``.

    Returns:
      ``phi`` with the batch shape of ``x`` (scalar or ``(n,)``), values in ``[0, 1]``.

    Raises:
      ValueError: ``theta`` empty, zero or not finite; ``x`` empty, not finite or not matching
        ``theta``; ``y`` not in ``{-1, +1}`` with ``x``'s batch shape; ``gamma`` not > 0.

    References:
      Closed form derived in the lab (spec ``semisup-dro.md`` §1.6, ``theory/semisup_dro.md``);
      robust loss as defined in Saberi et al. 2024, Section 3 (Sinha, Namkoong & Duchi 2018).
    """
    theta, x, y = _float(theta), _float(x), _float(y)
    check_array("theta", theta, ndim=1)
    check_nonempty("theta", theta)
    check_array("x", x, ndim=(1, 2))
    check_nonempty("x", x)
    check_array("y", y, ndim=x.ndim - 1)
    check_shape("x", x, x.shape[:-1] + theta.shape)
    check_shape("y", y, x.shape[:-1])
    _check_nonzero("theta", theta)
    _check_pm1("y", y)
    _check_gamma("gamma", gamma)
    u = y * (x @ theta) / jnp.linalg.norm(theta)
    return _phi01(u, gamma)


def robust_loss_generic(
    loss_fn: Callable[[Any, Any, Any], Any], theta, x, y, gamma, steps: int = 10, lr: float = 0.1
) -> jax.Array:
    """Robust loss ``phi_gamma`` by inner gradient ascent, with a Danskin gradient.

    Runs ``z_{t+1} = z_t + lr/(t+1) * grad_z [loss(theta, z, y) - gamma ||z - x||^2]`` from
    ``z_0 = x`` for ``steps`` steps (the authors' scheme, ``lax.scan``), then returns
    ``loss(theta, z*, y) - gamma ||z* - x||^2`` with ``z*`` under ``stop_gradient``, so that
    ``grad_theta phi = grad_theta loss(theta, z*, y)`` (Danskin). The inner problem is strongly
    concave when ``gamma > L/2`` (``L``: smoothness of the loss in ``z``); then the ascent
    converges, at a polynomial rate with the decaying step (``lr = 1/(2 gamma)`` is a good choice).

    Args:
      loss_fn: ``loss_fn(theta, z, y) -> scalar``, differentiable in ``z`` and ``theta``.
      theta: parameters (any pytree accepted by ``loss_fn``).
      x: ``(d,)`` one point.
      y: its label (passed to ``loss_fn`` unchanged).
      gamma: cost multiplier, ``> 0``.
      steps: ascent steps (Python int >= 1).
      lr: base step size, ``> 0``.

    Returns:
      Scalar robust loss (a lower bound on the supremum, exact in the limit).

    Raises:
      ValueError: ``theta`` or ``y`` with a NaN/inf leaf; ``x`` not a non-empty finite ``(d,)``
        array; ``gamma`` or ``lr`` not > 0; ``steps`` < 1 (concrete inputs only).

    References:
      Sinha, Namkoong & Duchi 2018 (certifiable robustness, Lagrangian relaxation); Saberi et al.
      2024 code (``optimize_x_adv``: 10 steps of size ``alpha/(t+1)`` from ``z = x``).
    """
    x = _float(x)
    check_array("x", x, ndim=1)
    check_nonempty("x", x)
    check_tree_finite("theta", theta)
    check_tree_finite("y", y)
    _check_gamma("gamma", gamma)
    steps = check_int("steps", steps, min_value=1)
    check_positive("lr", lr)
    theta_sg = jax.lax.stop_gradient(theta)
    x_sg = jax.lax.stop_gradient(x)

    def inner(z):
        return loss_fn(theta_sg, z, y) - gamma * jnp.sum((z - x_sg) ** 2)

    def body(z, t):
        return z + (lr / (t + 1.0)) * jax.grad(inner)(z), None

    z, _ = jax.lax.scan(body, x_sg, jnp.arange(steps, dtype=x.dtype))
    z = jax.lax.stop_gradient(z)
    return loss_fn(theta, z, y) - gamma * jnp.sum((z - x) ** 2)


def _objective(theta, Xl, yl, Xu, gamma, gamma_u, lam, loss):
    phi = _PHI[loss]
    inv = 1.0 / jnp.linalg.norm(theta)
    lab = jnp.mean(phi(yl * (Xl @ theta) * inv, gamma))
    if Xu.shape[0] == 0:  # static: the unlabeled term of an empty sample is 0, not NaN
        return lab
    s = Xu @ theta
    h = jax.lax.stop_gradient(jnp.sign(s))  # pseudo-labels h_theta(x') = sign(theta^T x')
    unl = jnp.mean(phi(h * s * inv, gamma_u))
    return lab + lam * unl


def _check_hyper(gamma, gamma_u, lam, loss):
    _check_gamma("gamma", gamma)
    _check_gamma("gamma_u", gamma_u)
    check_nonnegative("lam", lam)
    if loss not in LOSSES:
        raise ValueError(f"`loss` must be one of {LOSSES}; got {loss!r}.")


def rss_objective(theta, Xl, yl, Xu, gamma, gamma_u, lam, loss: str = "01_closed") -> jax.Array:
    """The RSS objective (empirical robust risk on labeled data + pseudo-labeled robust risk).

    .. math:: F(\\theta) = \\frac1{n_{lab}}\\sum_i \\phi_\\gamma(X_i, y_i; \\theta)
       + \\frac{\\lambda}{n_{unlab}}\\sum_j \\phi_{\\gamma'}(X'_j, h_\\theta(X'_j); \\theta),
       \\quad h_\\theta(x') = \\mathrm{sign}(\\theta^\\top x') \\text{ (under stop\\_gradient)}.

    With ``loss="01_closed"`` the per-sample loss is the exact robust 0-1 loss
    (:func:`robust_loss_01_linear`); the unlabeled term is then ``(1 - gamma_u (theta_hat^T x')^2)_+``,
    a penalty on unlabeled points inside a slab of half-width ``1/sqrt(gamma_u)`` around the decision
    boundary (the cluster assumption). With ``loss="ramp"`` it is the authors' simulation surrogate
    ``clamp(1 - gamma * margin, 0, 1)``, evaluated at the normalised margin ``theta_hat^T x`` (scale
    invariant, since the lab optimises on the sphere). With ``n_unlab = 0`` the unlabeled term is 0.

    Args:
      theta: ``(d,)`` non-zero weights.
      Xl: ``(n_lab, d)`` labeled points; ``yl``: ``(n_lab,)`` labels in ``{-1, +1}``.
      Xu: ``(n_unlab, d)`` unlabeled (out-of-domain) points, ``n_unlab >= 0``.
      gamma, gamma_u: cost multipliers of the labeled / unlabeled robust losses, ``> 0``.
      lam: weight ``lambda >= 0`` of the unlabeled term.
      loss: one of :data:`LOSSES`.

    Returns:
      Scalar objective.

    References:
      Saberi et al. 2024, Section 3, the RSS estimator (poster box "framework");
      authors' notebook ``SVM_Robustness.ipynb`` for the ramp surrogate.
    """
    theta = _float(theta)
    Xl, yl = _check_labeled(Xl, yl)
    Xu = _check_unlabeled(Xu, Xl.shape[1])
    check_array("theta", theta, ndim=1)
    check_shape("theta", theta, (Xl.shape[1],))
    _check_nonzero("theta", theta)
    _check_hyper(gamma, gamma_u, lam, loss)
    return _objective(theta, Xl, yl, Xu, gamma, gamma_u, lam, loss)


@dataclasses.dataclass(frozen=True)
class RSSConfig:
    """Hyperparameters of one RSS run (Python scalars: static under ``jit``).

    Attributes:
      gamma: labeled cost multiplier ``gamma > 0``.
      gamma_u: unlabeled cost multiplier ``gamma' > 0``.
      lam: unlabeled weight ``lambda >= 0``.
      lr: step size of the optax optimiser, ``> 0``.
      loss: ``"01_closed"`` or ``"ramp"``.
      batch_size: unlabeled minibatch size (``None``: full batch).
      optimizer: ``"sgd"`` (projected gradient descent) or ``"adam"`` (the authors' choice).
    """

    gamma: float = 4.0
    gamma_u: float = 4.0
    lam: float = 1.0
    lr: float = 0.2
    loss: str = "01_closed"
    batch_size: int | None = None
    optimizer: str = "sgd"

    def __post_init__(self):
        _check_hyper(self.gamma, self.gamma_u, self.lam, self.loss)
        check_positive("lr", self.lr)
        if self.batch_size is not None:
            check_int("batch_size", self.batch_size, min_value=1)
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"`optimizer` must be 'sgd' or 'adam'; got {self.optimizer!r}.")

    def tx(self) -> optax.GradientTransformation:
        return optax.sgd(self.lr) if self.optimizer == "sgd" else optax.adam(self.lr)


class RSSState(NamedTuple):
    """State of projected descent on the sphere."""

    theta: jax.Array  # (d,) unit-norm weights
    opt_state: Any  # optax state of cfg.tx()
    step: jax.Array  # () int32 step counter


class RSSInfo(NamedTuple):
    """Per-step diagnostics."""

    objective: jax.Array  # () RSS objective at the state's theta, on the step's (mini)batch


def rss_init(theta0, cfg: RSSConfig | None = None) -> RSSState:
    """Initial state: ``theta0 / ||theta0||`` and a fresh optax state of ``cfg.tx()``.

    Raises:
      ValueError: ``theta0`` not a finite non-zero ``(d,)`` array (concrete inputs only).
    """
    cfg = RSSConfig() if cfg is None else cfg
    theta0 = _float(theta0)
    check_array("theta0", theta0, ndim=1)
    _check_nonzero("theta0", theta0)
    theta = theta0 / jnp.linalg.norm(theta0)
    return RSSState(theta, cfg.tx().init(theta), jnp.zeros((), jnp.int32))


def rss_step(key, state: RSSState, Xl, yl, Xu, cfg: RSSConfig) -> tuple[RSSState, RSSInfo]:
    """One projected step: an optax update on the RSS objective, then ``theta <- theta/||theta||``.

    The objective depends on ``theta`` only through ``theta_hat``, so its gradient at a unit vector
    is tangent to the sphere (a Riemannian gradient step followed by the retraction). Pseudo-labels
    are recomputed from the current ``theta`` at every step. ``key`` draws the unlabeled minibatch
    when ``cfg.batch_size`` is set (indices with replacement); otherwise it is unused.
    Inputs are validated when ``state.theta`` is concrete (a direct call); inside
    :func:`rss_run`'s scan they are trusted (validated by :func:`rss_run` / :func:`fit_rss`).

    Raises:
      ValueError: ``state`` with a NaN/inf leaf or ``state.theta`` not ``(d,)``; ``Xl``, ``yl``,
        ``Xu`` malformed as in :func:`rss_objective` (direct calls only).
    """
    if not is_traced(state.theta):
        Xl, yl = _check_labeled(Xl, yl)
        Xu = _check_unlabeled(Xu, Xl.shape[1])
        check_tree_finite("state", state)
        check_shape("state.theta", state.theta, (Xl.shape[1],))
    # one compiled program per configuration (a direct call otherwise runs ~40 programs)
    return _rss_step(key, state, Xl, yl, Xu, cfg)


@partial(jax.jit, static_argnums=5)
def _rss_step(key, state, Xl, yl, Xu, cfg):
    n_unlab = Xu.shape[0]
    if cfg.batch_size is not None and 0 < cfg.batch_size < n_unlab:
        idx = jax.random.randint(key, (cfg.batch_size,), 0, n_unlab)
        Xu = Xu[idx]
    obj, g = jax.value_and_grad(_objective)(
        state.theta, Xl, yl, Xu, cfg.gamma, cfg.gamma_u, cfg.lam, cfg.loss
    )
    updates, opt_state = cfg.tx().update(g, state.opt_state, state.theta)
    theta = optax.apply_updates(state.theta, updates)
    theta = theta / jnp.linalg.norm(theta)
    return RSSState(theta, opt_state, state.step + 1), RSSInfo(obj)


def rss_run(key, theta0, Xl, yl, Xu, cfg: RSSConfig, steps: int) -> tuple[RSSState, RSSInfo]:
    """``steps`` RSS steps from ``theta0`` in one ``lax.scan``; returns the final state and the
    stacked per-step :class:`RSSInfo` (``objective`` of shape ``(steps,)``).

    Raises:
      ValueError: ``steps`` < 1; ``theta0`` not a finite non-zero ``(d,)`` array; ``Xl``, ``yl``,
        ``Xu`` malformed as in :func:`rss_objective` (concrete inputs only).
    """
    steps = check_int("steps", steps, min_value=1)
    if not is_traced(Xl):
        Xl, yl = _check_labeled(Xl, yl)
        Xu = _check_unlabeled(Xu, Xl.shape[1])
    state = rss_init(theta0, cfg)
    check_shape("theta0", theta0, (Xl.shape[1],))
    keys = jax.random.split(key, steps)

    def body(s, k):
        return rss_step(k, s, Xl, yl, Xu, cfg)

    return jax.lax.scan(body, state, keys)


def fit_rss(
    key,
    Xl,
    yl,
    Xu,
    gamma,
    gamma_u,
    lam,
    steps: int = 300,
    lr: float = 0.2,
    batch_size: int | None = None,
    restarts: int = 1,
    loss: str = "01_closed",
    optimizer: str = "sgd",
) -> jax.Array:
    """Fit the RSS estimator by projected descent on the unit sphere, started at the ERM proxy.

    Restart 0 starts at ``fit_erm_mean(Xl, yl)`` (normalised); restarts ``r >= 1`` start at that
    direction plus an isotropic Gaussian perturbation of norm about 1 (the authors keep the best of
    ``num_iters`` runs). The restart with the lowest full-batch objective is returned. With the
    full-batch default and ``restarts = 1`` the fit is deterministic and ``key`` is unused.

    Symbols: ``gamma`` -> gamma, ``gamma_u`` -> gamma', ``lam`` -> lambda; ``n_lab = Xl.shape[0]``
    (paper's ``m``), ``n_unlab = Xu.shape[0]`` (paper's ``n``).

    Args:
      key: PRNG key (minibatches and restarts).
      Xl: ``(n_lab, d)``; yl: ``(n_lab,)`` in ``{-1, +1}``; Xu: ``(n_unlab, d)``.
      gamma, gamma_u, lam: hyperparameters (Python floats; ``gamma, gamma_u > 0``, ``lam >= 0``).
      steps: number of descent steps (``>= 1``).
      lr: optax step size (``> 0``).
      batch_size: unlabeled minibatch size, or ``None`` for full batch.
      restarts: number of starts (``>= 1``).
      loss: ``"01_closed"`` (exact robust 0-1 loss) or ``"ramp"``.
      optimizer: ``"sgd"`` or ``"adam"``.

    Returns:
      ``(d,)`` unit-norm weights ``theta_hat^RSS``.

    References:
      Saberi et al. 2024, Section 3 (RSS) and the authors' code (pseudo-labels from the current
      model, best of restarts); spec ``semisup-dro.md`` §1.5, §5.
    """
    Xl, yl = _check_labeled(Xl, yl)
    Xu = _check_unlabeled(Xu, Xl.shape[1])
    cfg = RSSConfig(
        gamma=float(gamma),
        gamma_u=float(gamma_u),
        lam=float(lam),
        lr=float(lr),
        loss=loss,
        batch_size=batch_size,
        optimizer=optimizer,
    )
    steps = check_int("steps", steps, min_value=1)
    restarts = check_int("restarts", restarts, min_value=1)
    theta_erm = fit_erm_mean(Xl, yl)
    theta_erm = theta_erm / jnp.linalg.norm(theta_erm)
    d = Xl.shape[1]
    if restarts == 1:
        state, _ = rss_run(key, theta_erm, Xl, yl, Xu, cfg, steps)
        return state.theta
    k_init, k_run = jax.random.split(key)
    noise = jax.random.normal(k_init, (restarts, d), dtype=Xl.dtype) / jnp.sqrt(d)
    noise = noise.at[0].set(0.0)
    inits = theta_erm[None, :] + noise
    run_keys = jax.random.split(k_run, restarts)
    thetas = jax.vmap(lambda k, t0: rss_run(k, t0, Xl, yl, Xu, cfg, steps)[0].theta)(
        run_keys, inits
    )
    objs = jax.vmap(lambda t: _objective(t, Xl, yl, Xu, cfg.gamma, cfg.gamma_u, cfg.lam, cfg.loss))(
        thetas
    )
    return thetas[jnp.argmin(objs)]
