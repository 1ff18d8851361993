"""Pretraining tests: run with single-threaded BLAS.

jaxlib's CPU LAPACK kernels (eigh, lstsq, solve) call the OpenBLAS bundled with SciPy; when they run
vmapped inside XLA's own thread pool, OpenBLAS's worker threads were seen to deadlock
intermittently (every thread waiting on a futex) on the shared 2-core machine. Limiting BLAS to one
thread for these tests (restored afterwards) avoids it; the matrices are 50 x 50, so nothing is lost.
"""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _single_thread_blas():
    with threadpool_limits(limits=1, user_api="blas"):
        yield
