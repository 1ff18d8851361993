"""In a real headless browser (Chromium), the front page and a theory page show figures and math.

Chromium loads each page of the built site from disk, runs its scripts (MathJax is served from
``_static``, no network), and the DOM it ends with must hold typeset formulas (``mjx-container``),
no MathJax error and no ``$$`` left as text, and images that all resolve to files of the build.
Skipped where no Chromium is installed (Debian: ``apt-get install chromium``). ``slow``: it needs
the site built (see ``conftest.py``).
"""

from __future__ import annotations

import importlib.util

import pytest

from tests.docs._api import ROOT


def _tool():
    spec = importlib.util.spec_from_file_location("screenshot", ROOT / "docs/tools/screenshot.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


TOOL = _tool()
CHROMIUM = TOOL.find_chromium()


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")
@pytest.mark.parametrize("rel", [rel for rel, _ in TOOL.PAGES.values()])
def test_page_renders_figures_and_math(site, rel, tmp_path):
    info = TOOL.check_page(CHROMIUM, site / rel)
    assert info["math"] > 0, info
    assert info["math_errors"] == 0 and info["untypeset_dollars"] == 0, info
    assert info["images"] > 0 and not info["missing_images"], info
    TOOL.screenshot(CHROMIUM, site / rel, tmp_path / "page.png", (1280, 1600))
    assert (tmp_path / "page.png").stat().st_size > 10_000
