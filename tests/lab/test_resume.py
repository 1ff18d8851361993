"""An interrupted sweep resumes with nothing lost (issue 24).

``tests/lab/resume_program.py`` runs a chunked ``run_seeds`` sweep (4 seeds, one per chunk, chunk
cache on) in a subprocess; the test kills it (SIGKILL, no clean-up) as soon as the first chunk lands
in the cache, checks that the sweep was indeed cut mid-way, then resumes it in this process with the
same cache and compares with an uninterrupted run without a cache: every leaf bitwise equal.
"""

import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np

from tests.lab import resume_program as P

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _kill_after_first_chunk(cache: pathlib.Path, timeout: float = 240.0) -> list[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.lab.resume_program", str(cache), str(cache / "unused.npz")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    t0 = time.monotonic()
    try:
        while not list(cache.glob("*.npz")):
            if proc.poll() is not None:
                raise AssertionError(
                    f"the sweep exited before a chunk landed: {proc.stderr.read()}"
                )
            if time.monotonic() - t0 > timeout:
                raise AssertionError("no chunk landed in the cache")
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    return sorted(p.name for p in cache.glob("*.npz"))


def test_killed_sweep_resumes_bitwise(tmp_path):
    done = _kill_after_first_chunk(tmp_path)
    assert 1 <= len(done) < P.N_SEEDS, done  # killed mid-sweep
    resumed = P.sweep(tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == P.N_SEEDS
    whole = P.sweep(None)
    assert set(resumed) == set(whole)
    for k in whole:
        a, b = np.asarray(resumed[k]), np.asarray(whole[k])
        assert a.dtype == b.dtype and a.shape == b.shape, k
        assert a.tobytes() == b.tobytes(), k
    # a second resume only loads the cached chunks
    again = P.sweep(tmp_path)
    assert all(np.asarray(again[k]).tobytes() == np.asarray(whole[k]).tobytes() for k in whole)
