"""One Rep4Ex trial end to end: simulate, identify the latent, extrapolate with four estimators.

Saengkyongam et al., *Identifying Representations for Intervention Extrapolation*, ICLR 2024
(arXiv:2310.04295). Written for one seed (batch it with ``jax.vmap`` or
:func:`unlearnlab.lab.sweep.run_seeds`).
"""

from __future__ import annotations

import jax.numpy as jnp

from unlearnlab.causal.extrapolation import (
    control_function_fit,
    control_function_predict,
    plugin_fit,
    regress_on_a_fit,
    regress_on_a_predict,
)
from unlearnlab.causal.identification import affine_r2, linear_invariance_encoder, poly_basis
from unlearnlab.causal.model import do_truth, simulate_rep4ex
from unlearnlab.lab.checks import check_array, check_int, check_size

__all__ = ["METHODS", "rep4ex_trial"]

#: the estimators of one trial, in the order of the ``"pred"`` rows
METHODS = ("cf_oracle", "cf_rep4ex", "regress_on_a", "no_cf")


def rep4ex_trial(
    key,
    n: int,
    a_star,
    *,
    M0=3.0,
    sigma_V=0.5,
    rho=0.8,
    sigma_eps=0.1,
    degree: int = 3,
    m: int = 6,
    f_degree: int = 9,
) -> dict:
    r"""Simulate ``n`` samples and extrapolate :math:`E[Y|do(A=a^*)]` with the four estimators.

    Steps: :func:`~unlearnlab.causal.simulate_rep4ex`; :math:`\hat\phi` from
    :func:`~unlearnlab.causal.linear_invariance_encoder` on ``poly_basis(X, degree)`` with Legendre
    degree ``m``; then, with polynomial degree ``f_degree``, the estimators :data:`METHODS`:
    control function on the true latent (``cf_oracle``), control function on :math:`\hat\phi`
    (``cf_rep4ex``), polynomial regression of ``Y`` on ``A`` (``regress_on_a``) and the plug-in
    without control function on :math:`\hat\phi` (``no_cf``).

    Args:
      key: PRNG key. n: sample size. a_star: ``(k,)`` intervention values.
      M0, sigma_V, rho, sigma_eps: model parameters (:func:`~unlearnlab.causal.simulate_rep4ex`).
      degree: sieve degree (``>= 1``). m: Legendre degree (``>= 2``). f_degree: degree of ``f``.

    Returns:
      dict: ``"pred"`` ``(4, k)`` predictions in the order of :data:`METHODS`, ``"truth"`` ``(k,)``,
      ``"one_minus_r2"`` ``()``, ``"eigvals"`` ``(degree,)``, ``"ell"`` ``(2,)`` (control-function
      coefficients of ``cf_oracle`` and ``cf_rep4ex``).

    Raises:
      ValueError: for the bad inputs of the steps (``n`` below the sieve's minimum, ``degree < 1``,
        ``m < 2``, ``f_degree < 1``, ``a_star`` empty or not 1-D, non-finite scalars).

    References:
      arXiv:2310.04295, Sec. 2-5; ``theory/rep4ex.md``.
    """
    n = check_size("n", n)
    degree = check_int("degree", degree, min_value=1)
    f_degree = check_int("f_degree", f_degree, min_value=1)
    check_array("a_star", a_star, ndim=1)
    if a_star is not None and jnp.size(a_star) == 0:
        raise ValueError("`a_star` must be non-empty.")
    d = simulate_rep4ex(key, n, M0, sigma_V, rho, sigma_eps)
    fit = linear_invariance_encoder(poly_basis(d["X"], degree), d["A"], m)
    r2 = affine_r2(fit.phi, d["Z"])
    a = jnp.asarray(a_star)
    cf_o = control_function_fit(d["Z"], d["A"], d["Y"], f_degree)
    cf_r = control_function_fit(fit.phi, d["A"], d["Y"], f_degree)
    pl = plugin_fit(fit.phi, d["A"], d["Y"], f_degree)
    ra = regress_on_a_fit(d["A"], d["Y"], f_degree)
    pred = jnp.stack(
        [
            control_function_predict(cf_o, a),
            control_function_predict(cf_r, a),
            regress_on_a_predict(ra, a),
            control_function_predict(pl, a),
        ]
    )
    return {
        "pred": pred,
        "truth": do_truth(a, M0, sigma_V),
        "one_minus_r2": r2.one_minus_r2,
        "eigvals": fit.eigvals,
        "ell": jnp.stack([cf_o.ell, cf_r.ell]),
    }
