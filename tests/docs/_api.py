"""Shared helpers of the docs tests: the public API as the site documents it (``docs/_ext``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def docs_module():
    """``docs/_ext/unlearnlab_docs.py`` (the page generator), imported by path."""
    name = "unlearnlab_docs"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "_ext" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
