"""unlearnlab: a JAX lab of analyzable cores.

Pure functions implementing the analyzable cores of papers on machine unlearning, calibration and
learning from imperfect data, each next to the theory it is checked against.

Subpackages
-----------
lab          shared machinery: sweep runner, statistics, results/manifests, plotting, checks, CLI
unlearning   closed-form analytic continual unlearning (ACU) and the unlearning audit tools

The library never enables float64 itself; exactness claims need ``jax_enable_x64`` (tests and
experiment entry points set it).
"""

__version__ = "0.1.0"
