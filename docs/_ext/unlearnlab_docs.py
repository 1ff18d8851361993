"""Generate the documentation pages that follow from the code (run by ``docs/conf.py``).

Everything under ``docs/generated/`` is written here at every build and is not committed:

* ``api/<package>.rst``: one API page per subpackage of :mod:`unlearnlab`, listing every name of the
  package's ``__all__`` (for ``unlearnlab.lab``, of each of its modules' ``__all__``) with autodoc;
* ``families/<family>.md``: one page per paper family, from the claims registry
  (:func:`unlearnlab.lab.claims.claims_by_family`) and the saved figures' JSON;
* ``theory/<name>.md``: each ``theory/<name>.md`` with its figure and links placed under its title;
* ``paper_figures/REPORT.md``: the claims report, links rewritten for the site;
* ``gallery.md`` and ``families_table.md``: included by the front page.

A new family (a subpackage with ``__all__``, optionally ``CLAIMS``) or a new theory note appears
without any edit here. :func:`public_api` is also used by ``tests/docs/test_docstrings.py``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import os
import pkgutil
import re
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GEN = DOCS / "generated"


@dataclasses.dataclass(frozen=True)
class Entry:
    """One public name: the API page it sits on, its dotted name, its kind and the object."""

    page: str  # subpackage name ("lab", "verifiers", ...)
    section: str  # module whose docstring heads its section on the page
    qualname: str  # "unlearnlab.verifiers.noisy_verifier"
    kind: str  # function | class | namedtuple | dataclass | data
    obj: object


def subpackages() -> list[str]:
    """The public subpackages of :mod:`unlearnlab`, sorted (``lab`` first)."""
    import unlearnlab

    names = sorted(
        i.name
        for i in pkgutil.iter_modules(unlearnlab.__path__)
        if i.ispkg and not i.name.startswith("_")
    )
    return sorted(names, key=lambda n: (n != "lab", n))


def kind_of(obj) -> str:
    """``module``, ``namedtuple``, ``dataclass``, ``class``, ``function`` or ``data``."""
    if isinstance(obj, types.ModuleType):
        return "module"
    if inspect.isclass(obj):
        if issubclass(obj, tuple) and hasattr(obj, "_fields"):
            return "namedtuple"
        if dataclasses.is_dataclass(obj):
            return "dataclass"
        return "class"
    if callable(obj):
        return "function"
    return "data"


def _module_entries(page: str, mod: types.ModuleType, seen: set[str]) -> list[Entry]:
    out = []
    for name in getattr(mod, "__all__", ()):
        obj = getattr(mod, name)
        kind = kind_of(obj)
        if kind == "module":
            out += _module_entries(page, obj, seen)
            continue
        qual = f"{mod.__name__}.{name}"
        if qual in seen:
            continue
        seen.add(qual)
        defined = getattr(obj, "__module__", None) if kind != "data" else None
        section = (
            defined
            if isinstance(defined, str) and defined.startswith(mod.__name__)
            else mod.__name__
        )
        out.append(Entry(page, section, qual, kind, obj))
    return out


def public_api() -> list[Entry]:
    """Every public name of every subpackage, as the API reference documents it.

    A family's public names are its ``__all__`` (a module listed there contributes its own
    ``__all__``); ``unlearnlab.lab`` contributes the ``__all__`` of each of its modules, and its own
    re-exports are documented under the defining module.
    """
    entries: list[Entry] = []
    for pkg in subpackages():
        mod = importlib.import_module(f"unlearnlab.{pkg}")
        seen: set[str] = set()
        if pkg == "lab":
            for info in sorted(pkgutil.iter_modules(mod.__path__), key=lambda i: i.name):
                if info.name.startswith("_"):
                    continue
                sub = importlib.import_module(f"unlearnlab.lab.{info.name}")
                entries += _module_entries(pkg, sub, seen)
        else:
            entries += _module_entries(pkg, mod, seen)
    return entries


def own_docstring(obj, kind: str) -> str | None:
    """The object's own docstring, or None (a NamedTuple's generated ``Name(a, b)`` counts as none)."""
    doc = inspect.getdoc(obj) if kind != "data" else None
    if kind == "namedtuple" and doc and re.fullmatch(rf"{obj.__name__}\(.*\)", doc.strip(), re.S):
        return None
    if kind == "dataclass" and doc and doc.startswith(f"{obj.__name__}("):
        return None
    if kind == "class" and obj.__doc__ is None:
        return None
    return doc or None


# --------------------------------------------------------------------------------------------
# writing


def _write(path: Path, text: str) -> None:
    """Write only when the text changed (keeps Sphinx's incremental build incremental)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _first_line(doc: str | None) -> str:
    line = (doc or "").strip().split("\n\n")[0].replace("\n", " ").strip()
    return line[:-1] if line.endswith("::") else line  # "text::" reads "text:" in reST


def _md_text(s: str) -> str:
    """A string safe inside a Markdown table cell (no pipes, no stray math dollars)."""
    return s.replace("|", "\\|").replace("$", "\\$").replace("\n", " ")


def _rst_title(text: str, ch: str) -> str:
    return f"{text}\n{ch * len(text)}\n"


def write_api_pages(entries: list[Entry]) -> list[str]:
    pages = []
    for pkg in subpackages():
        mod = importlib.import_module(f"unlearnlab.{pkg}")
        mine = [e for e in entries if e.page == pkg]
        lines = [f".. _api-{pkg}:", "", _rst_title(f"unlearnlab.{pkg}", "=")]
        if pkg != "lab":
            lines += [f".. automodule:: unlearnlab.{pkg}", ""]
        fam = f"../families/{pkg}"
        if (GEN / "families" / f"{pkg}.md").exists() or pkg in _families_with_pages:
            lines += [f"Family page: :doc:`{fam}`.", ""]
        lines += [f"{len(mine)} public names.", ""]
        sections: dict[str, list[Entry]] = {}
        for e in mine:
            sections.setdefault(e.section, []).append(e)
        for section, es in sections.items():
            smod = importlib.import_module(section)
            lines.append(_rst_title(f"``{section}``", "-"))
            if section != f"unlearnlab.{pkg}":
                short = section.rsplit(".", 1)[1]
                other = getattr(mod, short, None)  # a function named like its module
                clash = other is not None and not isinstance(other, types.ModuleType)
                lines += (
                    [f".. automodule:: {section}"] + (["   :no-index:"] if clash else []) + [""]
                )
            lines += [".. list-table::", "   :widths: 30 70", "   :class: ul-summary", ""]
            for e in es:
                summary = (
                    _first_line(own_docstring(e.obj, e.kind))
                    if e.kind != "data"
                    else (_data_comment(smod, e.qualname.rsplit(".", 1)[1]) or "constant")
                )
                lines += [
                    f"   * - :py:obj:`~{e.qualname}`",
                    f"     - {summary or '(no docstring)'}",
                ]
            lines.append("")
            for e in es:
                if e.kind == "function":
                    lines += [f".. autofunction:: {e.qualname}", ""]
                elif e.kind == "class":
                    lines += [f".. autoclass:: {e.qualname}", "   :members:", ""]
                elif e.kind in ("namedtuple", "dataclass"):
                    lines += [f".. autoclass:: {e.qualname}", ""]
                else:
                    val = repr(e.obj)
                    val = val if len(val) <= 160 else val[:157] + "..."
                    modname, short = e.qualname.rsplit(".", 1)
                    lines += [
                        f".. py:data:: {short}",
                        f"   :module: {modname}",
                        f"   :value: {val}",
                        "",
                    ]
                    doc = _data_comment(smod, e.qualname.rsplit(".", 1)[1])
                    if doc:
                        lines += ["   " + doc, ""]
        _write(GEN / "api" / f"{pkg}.rst", "\n".join(lines) + "\n")
        pages.append(pkg)
    index = [
        ".. _api:",
        "",
        _rst_title("API reference", "="),
        ".. py:module:: unlearnlab",
        "",
        f"``unlearnlab`` {unlearnlab_version()}: the importable library. The package itself exports",
        "``__version__``; everything else lives in the subpackages below.",
        "",
        "One page per subpackage, generated from the ``__all__`` of each; every name links to its",
        "source. The library never enables float64 itself: exactness claims need",
        '``jax.config.update("jax_enable_x64", True)`` in the caller.',
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    index += [f"   {p}" for p in pages]
    _write(GEN / "api" / "index.rst", "\n".join(index) + "\n")
    return pages


def _data_comment(mod: types.ModuleType, name: str) -> str | None:
    """The ``#:`` doc comment of a module-level constant, looked up in its defining module."""
    for m in (mod, *(importlib.import_module(n) for n in _submodules(mod))):
        try:
            src = inspect.getsource(m)
        except (OSError, TypeError):
            continue
        match = re.search(rf"^#: (.+)\n{re.escape(name)}\b\s*[:=]", src, re.M)
        if match:
            return match.group(1).strip()
    return None


def _submodules(mod: types.ModuleType) -> list[str]:
    if not hasattr(mod, "__path__"):
        return []
    return [f"{mod.__name__}.{i.name}" for i in pkgutil.iter_modules(mod.__path__)]


def unlearnlab_version() -> str:
    import unlearnlab

    return unlearnlab.__version__


def resolve_missing_reference(app, env, node, contnode):
    """Resolve a Python cross-reference by its trailing dotted name among the documented objects.

    A docstring in ``unlearnlab.rl.ftpedel`` may write :func:`sample_step_data` for a name the site
    documents as ``unlearnlab.rl.sample_step_data``; the candidate in the same family wins. Names
    that match nothing stay unresolved (and fail the nitpicky build).
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    dom = env.get_domain("py")
    cands = [n for n in dom.objects if n == target or n.endswith("." + target)]
    fam = ".".join((node.get("py:module") or "").split(".")[:2])
    if not cands and target.startswith("unlearnlab."):  # a submodule path to a re-exported name
        fam = ".".join(target.split(".")[:2])
        last = target.rsplit(".", 1)[1]
        cands = [n for n in dom.objects if n.startswith(fam + ".") and n.endswith("." + last)]
    if not cands:
        return None
    cands.sort(key=lambda n: (not n.startswith(fam + "."), n.count("."), n))
    return dom.resolve_xref(env, node["refdoc"], app.builder, "obj", cands[0], node, contnode)


def setup(app):
    """Sphinx extension entry point: the cross-reference fallback above."""
    app.connect("missing-reference", resolve_missing_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# ---- families, theory notes, report -------------------------------------------------------

_families_with_pages: set[str] = set()


def _theory_notes() -> list[str]:
    return sorted(p.stem for p in (ROOT / "theory").glob("*.md"))


def _saved_claims(experiment: str) -> dict:
    path = ROOT / "paper_figures" / f"{experiment}.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text()).get("claims", {}) or {}
    except (json.JSONDecodeError, AttributeError):
        return {}


def _copy_figure(repo_path: str) -> str | None:
    """Copy a committed image into ``generated/figures/``; its site path (srcdir-absolute)."""
    src = ROOT / repo_path
    if not src.is_file():
        return None
    dst = GEN / "figures" / src.name
    dst.parent.mkdir(parents=True, exist_ok=True)
    data = src.read_bytes()
    if not dst.exists() or dst.read_bytes() != data:
        dst.write_bytes(data)
    return f"/generated/figures/{src.name}"


def _figure(experiment: str, from_dir: Path | None = None) -> str | None:
    return _copy_figure(f"paper_figures/{experiment}.png")


def _family_of_notes() -> dict[str, str]:
    from unlearnlab.lab.claims import claims_by_family

    out = {}
    for fam, claims in claims_by_family().items():
        for c in claims:
            out.setdefault(Path(c.theory_note).stem, fam)
    return out


def write_family_pages() -> list[str]:
    from unlearnlab.lab.claims import claims_by_family

    by_family = claims_by_family()
    fams = [p for p in subpackages() if p != "lab"]
    notes = set(_theory_notes())
    table = [
        "| family | papers | theory notes | claims passed |",
        "|---|---|---|---|",
    ]
    gallery = []
    for fam in fams:
        mod = importlib.import_module(f"unlearnlab.{fam}")
        claims = by_family.get(fam, ())
        exps: dict[str, list] = {}
        for c in claims:
            exps.setdefault(c.experiment, []).append(c)
        here = GEN / "families"
        title = _first_line(mod.__doc__).rstrip(".") or fam
        lines = [f"(family-{fam})=", f"# {fam}: {_md_text(title)}", ""]
        lines += [
            f"Module: `unlearnlab/{fam}/`, API reference {{ref}}`api-{fam}`. "
            f"Tests: `tests/{fam}/`.",
            "",
        ]
        if not claims:
            lines += [
                "No claims are registered for this family yet (`CLAIMS` in its `__init__`).",
                "",
            ]
        n_pass = n_all = 0
        papers: list[str] = []
        fam_notes, fam_figs = [], []
        for exp, cs in exps.items():
            saved = _saved_claims(exp)
            note = Path(cs[0].theory_note).stem
            lines += [f"## Experiment `{exp}`", ""]
            srcs = sorted({c.paper for c in cs})
            papers += [s for s in srcs if s not in papers]
            lines += ["- Sources: " + "; ".join(_md_text(s) for s in srcs)]
            if note in notes:
                lines.append(f"- Theory note: {{doc}}`../theory/{note}`")
                fam_notes.append(note)
            else:
                lines.append(f"- Theory note: `{cs[0].theory_note}` (not yet written)")
            lines.append(
                f"- Run: `python -m experiments.{exp}` (writes `paper_figures/{exp}.{{png,pdf,json}}`)"
            )
            tests = sorted({t.split("::")[0] for c in cs for t in c.tests})
            lines.append(
                "- Tests: " + (", ".join(f"`{t}`" for t in tests) if tests else "none (JSON only)")
            )
            lines.append(f"- Report: {{ref}}`the claims of {exp} <report-{exp}>`")
            lines.append("")
            fig = _figure(exp, here)
            if fig:
                lines += [
                    f"```{{figure}} {fig}",
                    f":alt: figure of {exp}",
                    ":width: 100%",
                    "",
                    f"`paper_figures/{exp}.png`, drawn from `paper_figures/{exp}.json`.",
                    "```",
                    "",
                ]
                fam_figs.append(exp)
                gallery.append((fam, exp, note if note in notes else None))
            lines += [
                "| claim | statement | where | kind | provenance | verdict | tests |",
                "|---|---|---|---|---|---|---|",
            ]
            for c in cs:
                verdict = saved.get(c.id, {}).get("verdict", "no measured value yet")
                n_all += 1
                n_pass += verdict == "pass"
                tnames = "<br>".join(f"`{t.split('::')[-1]}`" for t in c.tests) or "JSON only"
                lines.append(
                    f"| `{c.id}` | {_md_text(c.statement)} | {_md_text(c.where)} | {c.kind} | "
                    f"{c.provenance} | {verdict} | {tnames} |"
                )
            lines.append("")
        _write(here / f"{fam}.md", "\n".join(lines) + "\n")
        _families_with_pages.add(fam)
        table.append(
            f"| {{doc}}`{fam} </generated/families/{fam}>` | {_md_text('; '.join(papers)) or '–'} | "
            + (", ".join(f"{{doc}}`{n} </generated/theory/{n}>`" for n in fam_notes) or "–")
            + f" | {n_pass}/{n_all} |"
        )
    index = (
        [
            "# Paper families",
            "",
            "One page per family, generated from the claims registry.",
            "",
            "```{toctree}",
            ":maxdepth: 1",
            "",
        ]
        + fams
        + ["```", ""]
    )
    _write(GEN / "families" / "index.md", "\n".join(index))
    _write(GEN / "families_table.md", "\n".join(table) + "\n")
    g = ["````{container} ul-gallery", ""]
    for fam, exp, note in gallery:
        target = f"generated/theory/{note}.html" if note else f"generated/families/{fam}.html"
        g += [
            f"```{{image}} {_figure(exp)}",
            f":alt: {exp} ({fam})",
            f":target: {target}",
            "```",
            "",
        ]
    g += ["````", ""]
    _write(GEN / "gallery.md", "\n".join(g) + "\n")
    return fams


_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def _rewrite_links(text: str, repo_dir: str, gen_dir: Path) -> str:
    """Keep links that resolve in the site; point images at the repository; inline the rest as code."""

    def fix(m: re.Match) -> str:
        bang, label, target = m.groups()
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            return m.group(0)
        path, _, anchor = target.partition("#")
        repo_path = os.path.normpath(os.path.join(repo_dir, path))
        if (
            repo_path.startswith("theory/")
            and repo_path.endswith(".md")
            and (ROOT / repo_path).exists()
        ):
            return m.group(0)  # mirrored under generated/theory/
        if repo_path == "paper_figures/REPORT.md":
            return m.group(0)
        if (ROOT / repo_path).is_file() and repo_path.endswith((".png", ".svg", ".jpg")):
            return f"{bang}[{label}]({_copy_figure(repo_path)})"
        return f"{label} (`{repo_path}`)" if label and label != repo_path else f"`{repo_path}`"

    return _LINK.sub(fix, text)


def write_theory_pages() -> list[str]:
    fam_of = _family_of_notes()
    here = GEN / "theory"
    names = _theory_notes()
    for name in names:
        text = (ROOT / "theory" / f"{name}.md").read_text()
        text = _rewrite_links(text, "theory", here)
        head = []
        fam = fam_of.get(name)
        links = []
        if fam:
            links.append(f"family {{doc}}`{fam} <../families/{fam}>`")
            links.append(f"API {{ref}}`api-{fam}`")
        if (ROOT / "experiments" / f"{name}.py").exists():
            links.append(f"run `python -m experiments.{name}`")
        if fam and any(Path(c.theory_note).stem == name for c in _claims()):
            links.append(f"{{ref}}`claims and verdicts <report-{name}>`")
        if links:
            head += [
                "```{note}",
                "Source: `theory/" + name + ".md`; " + "; ".join(links) + ".",
                "```",
                "",
            ]
        fig = _figure(name, here)
        if fig:
            head += [
                f"```{{figure}} {fig}",
                f":alt: figure of {name}",
                ":width: 100%",
                "",
                f"`paper_figures/{name}.png` (`python -m experiments.{name}`).",
                "```",
                "",
            ]
        lines = text.split("\n")
        at = next((i + 1 for i, l in enumerate(lines) if l.startswith("# ")), 0)
        lines = lines[:at] + [""] + head + lines[at:]
        _write(here / f"{name}.md", f"(theory-{name})=\n" + "\n".join(lines))
    index = (
        [
            "# Theory notes",
            "",
            "One note per experiment: the setting, each statement with its constants, what is the "
            "paper's, what the lab derived and what is a [reconstruction], the symbol -> function "
            "table, and which test and figure panel check which claim.",
            "",
            "```{toctree}",
            ":maxdepth: 1",
            "",
        ]
        + names
        + ["```", ""]
    )
    _write(here / "index.md", "\n".join(index))
    return names


def _claims():
    from unlearnlab.lab.claims import all_claims

    return all_claims()


def write_report_page() -> None:
    src = ROOT / "paper_figures" / "REPORT.md"
    here = GEN / "paper_figures"
    if not src.exists():
        _write(here / "REPORT.md", "# Claims report\n\nNot generated yet (`make report`).\n")
        return
    text = _rewrite_links(src.read_text(), "paper_figures", here)
    # a label before each experiment's section, so family and theory pages can link to it
    exps = {c.experiment for c in _claims()}

    def label(m: re.Match) -> str:
        name = m.group(1)
        return f"(report-{name})=\n## {name}" if name in exps else m.group(0)

    text = re.sub(r"^## (\S+)$", label, text, flags=re.M)
    # experiments with claims but no section yet still get a target
    missing = sorted(e for e in exps if f"(report-{e})=" not in text)
    if missing:
        text += "\n## Not yet in the report\n\n" + "\n".join(
            f"(report-{e})=\n### {e}\n" for e in missing
        )
    _write(here / "REPORT.md", "(report)=\n" + text)


def generate() -> dict:
    """Write every generated page; returns counts for the build log."""
    fams = write_family_pages()
    entries = public_api()
    write_api_pages(entries)
    notes = write_theory_pages()
    write_report_page()
    return {"families": len(fams), "public names": len(entries), "theory notes": len(notes)}
