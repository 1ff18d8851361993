"""Internal link check of the built site: every local href/src resolves, every #anchor exists.

Usage: ``python docs/tools/check_links.py docs/_build/html``. External links (http, https, mailto)
are not followed (the build machine has no network to check them); everything else must resolve
to a file of the build, and an anchor to an ``id`` (or ``name``) in the target page. Exits 1 and
lists the broken links otherwise.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

SKIP_DIRS = {"_sources", "_static", "_modules_src"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (attribute, value)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            elif (name == "href" and tag in ("a", "link")) or (
                name == "src" and tag in ("img", "script")
            ):
                self.links.append((name, value))


def check(root: Path) -> list[str]:
    """Broken internal links of every HTML page under ``root`` as ``"page: link (why)"`` lines."""
    pages: dict[Path, _Page] = {}
    for html in sorted(root.rglob("*.html")):
        if set(html.relative_to(root).parts[:-1]) & SKIP_DIRS:
            continue
        p = _Page()
        p.feed(html.read_text(errors="replace"))
        pages[html.resolve()] = p
    broken = []
    for page, parsed in pages.items():
        for _attr, link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            rel = page.relative_to(root.resolve())
            if not target.exists():
                broken.append(f"{rel}: {link} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                tp = pages.get(target)
                if tp is None:
                    tp = _Page()
                    tp.feed(target.read_text(errors="replace"))
                    pages[target] = tp
                if unquote(parts.fragment) not in tp.ids:
                    broken.append(f"{rel}: {link} (no anchor #{parts.fragment})")
    return broken


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "docs/_build/html")
    if not (root / "index.html").exists():
        print(f"check_links: no site at {root} (run make docs)", file=sys.stderr)
        return 1
    broken = check(root)
    n = sum(1 for _ in root.rglob("*.html"))
    if broken:
        print(f"check_links: {len(broken)} broken internal link(s) in {n} pages:")
        print("\n".join(f"  {b}" for b in broken))
        return 1
    print(f"check_links: {n} pages, every internal link, image and anchor resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
