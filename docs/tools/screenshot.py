"""Render pages of the built site in headless Chromium: screenshots, and a check of figures and math.

Usage: ``python docs/tools/screenshot.py docs/_build/html docs/screenshots`` (Debian: ``apt-get
install chromium``). For each page it (1) dumps the DOM after the page's scripts ran and checks that
MathJax typeset its math (``mjx-container`` elements, no ``merror``, no ``$$`` left in the text) and
that every ``<img>`` points at a file of the build, and (2) saves a screenshot. Exits 1 on a failed
check. ``find_chromium()`` and ``check_page()`` are used by ``tests/docs/test_browser.py``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

PAGES = {
    "front_page.png": ("index.html", (1280, 1900)),
    "theory_beo_gaussian.png": ("generated/theory/beo_gaussian.html", (1280, 2200)),
}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--disable-dev-shm-usage",
    "--virtual-time-budget=20000",
    "--run-all-compositor-stages-before-draw",
]


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def dump_dom(chromium: str, page: Path) -> str:
    """The page's DOM after its scripts ran (MathJax typesets on load)."""
    res = subprocess.run(
        [chromium, *FLAGS, "--dump-dom", page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-2000:])
    return res.stdout


def check_page(chromium: str, page: Path) -> dict:
    """Counts of typeset formulas, images (all resolving to files) and math errors of one page."""
    dom = dump_dom(chromium, page)
    imgs = re.findall(r'<img[^>]+src="([^"]+)"', dom)
    missing = [
        s for s in imgs if not s.startswith(("http", "data:")) and not (page.parent / s).exists()
    ]
    body = re.sub(r"<script.*?</script>", "", dom, flags=re.S)
    text = re.sub(r"<[^>]+>", "", body)
    return {
        "math": len(re.findall(r"<mjx-container", dom)),
        "math_errors": len(re.findall(r'data-mjx-error|<mjx-merror|class="merror', dom)),
        "untypeset_dollars": text.count("$$"),
        "images": len(imgs),
        "missing_images": missing,
    }


def screenshot(chromium: str, page: Path, out: Path, size: tuple[int, int]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            chromium,
            *FLAGS,
            f"--window-size={size[0]},{size[1]}",
            f"--screenshot={out}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )


def main(argv: list[str]) -> int:
    site = Path(argv[1] if len(argv) > 1 else "docs/_build/html")
    out = Path(argv[2] if len(argv) > 2 else "docs/screenshots")
    chromium = find_chromium()
    if chromium is None:
        print("screenshot: no chromium on PATH (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    ok = True
    for name, (rel, size) in PAGES.items():
        page = site / rel
        info = check_page(chromium, page)
        good = (
            info["math"] > 0
            and not info["math_errors"]
            and info["images"] > 0
            and not info["missing_images"]
            and not info["untypeset_dollars"]
        )
        ok &= good
        print(f"{rel}: {info} -> {'ok' if good else 'FAILED'}")
        screenshot(chromium, page, out / name, size)
        print(f"  screenshot {out / name}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
