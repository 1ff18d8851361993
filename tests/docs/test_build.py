"""The documentation site builds with warnings as errors and every internal link resolves.

``make docs`` runs the same two commands into ``docs/_build/html``; this test builds into a
temporary folder. About 2-3 minutes on one loaded core, hence ``slow``.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.docs._api import ROOT, docs_module


@pytest.mark.slow
def test_build_is_clean_and_links_resolve(site):
    res = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "tools" / "check_links.py"), str(site)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout[-6000:]


@pytest.mark.slow
def test_pages_show_figures_math_and_every_public_name(site):
    docs = docs_module()
    index = (site / "index.html").read_text()
    assert re.search(r'<img[^>]+src="_images/[^"]+\.png"', index), "front page has no figure"
    assert 'class="math' in index, "front page has no math"
    assert "tex-svg-full.js" in index, "MathJax is not served from _static"
    assert (site / "_static" / "tex-svg-full.js").exists()
    for note in (ROOT / "theory").glob("*.md"):
        assert (site / "generated" / "theory" / f"{note.stem}.html").exists(), note.stem
    theory = (site / "generated" / "theory" / "resampling_flaws.html").read_text()
    assert re.search(r'<img[^>]+src="\.\./\.\./_images/resampling_flaws\.png"', theory)
    report = (site / "generated" / "paper_figures" / "REPORT.html").read_text()
    assert "claims registered" in report
    # every public name has an anchor on its API page
    missing = []
    for e in docs.public_api():
        page = (site / "generated" / "api" / f"{e.page}.html").read_text()
        if f'id="{e.qualname}"' not in page:
            missing.append(e.qualname)
    assert not missing, missing[:20]
    for fam in docs.subpackages():
        if fam != "lab":
            assert (site / "generated" / "families" / f"{fam}.html").exists(), fam
