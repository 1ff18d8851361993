"""Reference curves for the UNEM experiment (derived by the lab, not from the paper).

* :func:`bayes_oracle_accuracy`: accuracy of the Bayes classifier that knows the true class means,
  the noise law and the query proportions ``p`` of a synthetic task; no transductive method that
  only sees the task can beat it in expectation (it is the optimal rule for the query labels given
  the generating parameters). Derived; ``theory/unem.md`` Sec. 6.
* :func:`multinomial_l1_error`: the CLT approximation of the multinomial sampling noise
  ``E ||p_emp - p||_1 ~ sum_k sqrt(2 p_k (1 - p_k) / (pi |Q|))`` (``E|N(0, s^2)| = s sqrt(2/pi)``).
* :func:`multinomial_l1_error_dirichlet`: its average over ``p ~ Dir(1_K)``,
  ``K sqrt(2/(pi |Q|)) (K - 1) B(3/2, K - 1/2)`` (marginals ``p_k ~ Beta(1, K - 1)``), ``~1.371/sqrt|Q|``
  for ``K = 5``.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from unlearnlab.fewshot.tasks import STUDENT_DF, Task, TaskSpec, noise_scales
from unlearnlab.fewshot.unem import check_task
from unlearnlab.lab.checks import check_array, check_in_range, check_int, check_probability_vector

__all__ = [
    "bayes_oracle_accuracy",
    "multinomial_l1_error",
    "multinomial_l1_error_dirichlet",
]


def bayes_oracle_accuracy(task: Task, spec: TaskSpec):
    """Query accuracy of the Bayes rule with the true ``mu``, noise law and ``p`` of a synthetic task.

    Rule: ``argmax_k [log p_k + log f(z_n - mu_k)]`` with ``f`` the noise density of ``spec.noise``
    (Gaussian with ``diag(noise_scales)^2`` covariance, or a product of scaled Student-t(3)).
    Averaged over tasks it estimates the Bayes accuracy of the task distribution.

    Args:
      task: one :class:`Task` from :func:`unlearnlab.fewshot.sample_task` with ``spec``.
      spec: its :class:`TaskSpec`.

    Returns:
      A scalar accuracy in ``[0, 1]``.

    Raises:
      ValueError: ``spec`` not a :class:`TaskSpec`; ``task`` with NaN/inf leaves or labels outside
        [0, ``spec.n_classes``) (concrete inputs only).
    """
    if not isinstance(spec, TaskSpec):
        raise ValueError(f"`spec` must be a TaskSpec; got {type(spec).__name__}.")
    check_task(task, spec.n_classes)
    r = (task.z_q[:, None, :] - task.mu[None, :, :]) / spec.scale  # (n_q, K, d)
    if spec.noise == "student":
        c = math.sqrt((STUDENT_DF - 2.0) / STUDENT_DF)
        x = r / c
        loglik = -0.5 * (STUDENT_DF + 1.0) * jnp.sum(jnp.log1p(x**2 / STUDENT_DF), axis=-1)
    else:
        s = jnp.asarray(noise_scales(spec.dim, spec.noise), r.dtype)
        loglik = -0.5 * jnp.sum((r / s) ** 2, axis=-1)
    logp = jnp.where(task.pi > 0, jnp.log(jnp.where(task.pi > 0, task.pi, 1.0)), -jnp.inf)
    pred = jnp.argmax(loglik + logp[None, :], axis=-1)
    return jnp.mean(pred == task.y_q)


def multinomial_l1_error(p, n_query):
    """CLT approximation of ``E ||p_emp - p||_1`` for ``n_query`` i.i.d. ``Cat(p)`` labels.

    ``sum_k sqrt(2 p_k (1 - p_k) / (pi n_query))`` (derived; each ``p_emp,k - p_k`` is approximately
    ``N(0, p_k (1 - p_k) / n)`` and ``E|N(0, s^2)| = s sqrt(2/pi)``).

    Args:
      p: ``(K,)`` probability vector.
      n_query: ``|Q| >= 1`` (scalar or array, broadcast).

    Raises:
      ValueError: ``p`` not a (K,) probability vector; ``n_query`` not finite and >= 1.
    """
    check_array("p", p, ndim=1)
    check_probability_vector("p", p)
    check_in_range("n_query", n_query, lo=1.0)
    p = jnp.asarray(p)
    n = jnp.asarray(n_query, dtype=jnp.result_type(float))
    return jnp.sum(jnp.sqrt(2.0 * p * (1.0 - p) / math.pi)) / jnp.sqrt(n)


def multinomial_l1_error_dirichlet(n_classes: int, n_query) -> np.ndarray:
    """:func:`multinomial_l1_error` averaged over ``p ~ Dir(1_K)`` (exact average of the CLT curve).

    ``E_p sum_k sqrt(p_k (1 - p_k)) = K (K - 1) B(3/2, K - 1/2)`` because ``p_k ~ Beta(1, K - 1)``.

    Raises:
      ValueError: ``n_classes`` < 2; ``n_query`` not finite and >= 1.
    """
    K = check_int("n_classes", n_classes, min_value=2)
    check_in_range("n_query", n_query, lo=1.0)
    log_b = math.lgamma(1.5) + math.lgamma(K - 0.5) - math.lgamma(K + 1.0)
    const = K * (K - 1) * math.exp(log_b) * math.sqrt(2.0 / math.pi)
    return const / np.sqrt(np.asarray(n_query, dtype=float))
