"""The built site, shared by the docs tests (built once per session, into a temporary folder)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.docs._api import ROOT


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """``sphinx -W -n -E -b html docs <tmp>``: the site as ``make docs`` builds it."""
    pytest.importorskip("sphinx", reason="the docs extra: pip install -e '.[docs]'")
    pytest.importorskip("myst_parser", reason="the docs extra: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("html")
    doctrees = tmp_path_factory.mktemp("doctrees")
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-n",
        "-q",
        "-E",
        "-d",
        str(doctrees),
        "-b",
        "html",
        str(ROOT / "docs"),
        str(out),
    ]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, (res.stdout + res.stderr)[-6000:]
    return out
