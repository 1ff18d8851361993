"""unlearnlab: a JAX lab of analyzable cores.

Pure functions implementing the analyzable cores of papers on machine unlearning, calibration and
learning from imperfect data, each next to the theory it is checked against.

Subpackages
-----------
lab          shared machinery: sweep runner, statistics, results/manifests, plotting, checks, CLI
unlearning   closed-form analytic continual unlearning (ACU) and the unlearning audit tools

The library never enables float64 itself; exactness claims need ``jax_enable_x64`` (tests and
experiment entry points set it).

Importing the package adds two XLA:CPU flags to ``XLA_FLAGS`` (the concurrency-optimised scheduler
off, one codegen unit) unless the user set them: they avoid a hang of jaxlib 0.10.2's CPU backend on
vmapped linear-algebra scans and change no result (``unlearnlab/_xla.py``; opt out with
``UNLEARNLAB_XLA_FLAGS=0``).
"""

from unlearnlab._xla import XLA_CPU_FLAGS, apply_xla_cpu_flags  # noqa: F401 - re-exported

apply_xla_cpu_flags()  # before JAX starts its backend (XLA reads XLA_FLAGS once)

__version__ = "0.1.0"
