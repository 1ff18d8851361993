"""Sphinx configuration of the unlearnlab documentation (``make docs``)."""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

import unlearnlab_docs  # noqa: E402

import unlearnlab  # noqa: E402

GENERATED = unlearnlab_docs.generate()  # API, family, theory and report pages under generated/

project = "unlearnlab"
author = "the unlearnlab authors"
copyright = "the unlearnlab authors, Apache-2.0"
release = unlearnlab.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "unlearnlab_docs",  # docs/_ext: generated pages and the cross-reference fallback
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "screenshots",
    "generated/gallery.md",  # included by index.md, not pages of their own
    "generated/families_table.md",
]
templates_path = []

# ---- MyST: the theory notes are CommonMark with $-math
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# ---- autodoc / napoleon: Google-style docstrings, math in :math: and .. math::
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # Attributes: sections as fields, not duplicate attribute targets
napoleon_use_rtype = False

# warnings are errors (-W); nitpicky reports unresolved cross-references inside the site.
# Types of other libraries cannot resolve without intersphinx, which needs the network.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(jax|jaxlib|numpy|np|jnp|optax|flax|nnx|chex|numpyro|matplotlib|scipy|collections|typing|types|argparse|pathlib|dataclasses|enum|abc|functools|os)(\..*)?",
    ),
    (
        r"py:.*",
        r"(Array|ArrayLike|PRNGKey|PyTree|Callable|Sequence|Mapping|Iterable|Iterator|Any|Optional|Union|Literal|NamedTuple|Path|DTypeLike|Shape|Key|Figure|Axes|Namespace|ndarray|module|function|type|object|None|NoneType|Ellipsis|T|P)",
    ),
    (
        r"py:.*",
        r"(int|float|bool|str|bytes|tuple|list|dict|set|frozenset|complex|slice|callable|optional|iterable|sequence|array|array-like|array_like|scalar)",
    ),
]

# ---- HTML: the theme of the JAX libraries (jax, optax, flax, blackjax)
html_theme = "sphinx_book_theme"
html_title = f"unlearnlab {release}"
html_static_path = ["_static"]
html_css_files = ["unlearnlab.css"]
html_theme_options = {
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
}
html_last_updated_fmt = None
html_copy_source = False

# MathJax from the `docs` extra (package django-static-mathjax), served from _static: the site
# renders its math offline, without a CDN.
try:
    import mathjax as _mathjax

    _MJ = Path(_mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg-full.js"
except ImportError:  # pragma: no cover - make docs installs it
    _MJ = None
if _MJ is not None and _MJ.exists():
    html_static_path.append(str(_MJ))
    mathjax_path = "tex-svg-full.js"
mathjax3_config = {"tex": {"tags": "ams"}, "options": {"enableMenu": False}}

suppress_warnings = []
