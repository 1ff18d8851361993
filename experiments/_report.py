"""Write paper_figures/REPORT.md, the README table and the measured blocks of the theory notes.

``python -m experiments report`` (also run at the end of ``make figures``) joins the claims registry
(``CLAIMS`` in each family, :func:`unlearnlab.lab.claims.claims_by_family`) with the measured values
that each experiment saved in ``paper_figures/<experiment>.json`` under ``"claims"``. It also

* rewrites the table of the README between its ``claims-table`` markers, so the README cannot drift
  from the registry;
* rewrites, in every ``theory/<name>.md``, each generated block::

      <!-- measured:begin NAME -->
      ...
      <!-- measured:end -->

  with ``measured(saved)[NAME]``, where ``measured(saved: dict) -> dict[str, str]`` is defined by
  ``experiments/<name>.py`` and ``saved`` is the dict stored in ``paper_figures/<name>.json`` (as
  ``json.loads`` reads it). A block without a key, or a key without a block, is an error; so is a
  note with blocks whose experiment defines no ``measured`` or has no saved JSON.

The tests of a claim are read from the ``@pytest.mark.claim("<id>")`` markers in ``tests/`` (by
parsing the files, no pytest collection); a claim that no test asserts is marked "JSON only" in the
report (its verdict comes from the saved JSON alone).

``python -m experiments report --check`` writes nothing: it lists every file that is out of sync with
the saved JSON (and every block error) and exits non-zero if there is any. Everything written is a
function of the committed JSON, the registry and the tests, so the report is idempotent.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import re
import sys
from collections import OrderedDict
from pathlib import Path

from unlearnlab.lab.claims import claims_by_family

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- claims-table:start -->", "<!-- claims-table:end -->"
BLOCK = re.compile(
    r"(?P<begin><!-- measured:begin (?P<name>[A-Za-z0-9_.-]+) -->)\n?(?P<body>.*?)\n?"
    r"(?P<end><!-- measured:end -->)",
    re.S,
)
BEGIN_ANY = re.compile(r"<!-- measured:begin(?: (\S*))? -->")
JSON_ONLY = "JSON only (no test asserts it)"

#: every core the lab plans (experiment -> issue); a core without registered claims shows as
#: "not built yet" in the README table
PLANNED = {
    "acu": 2,
    "hcal": 3,
    "hcal_window": 3,
    "hallucination_monofact": 4,
    "noisy_verifier_pg": 5,
    "resampling_flaws": 5,
    "unem": 6,
    "semisup_dro": 7,
    "pretraining": 8,
    "ftpedel": 9,
    "dmm_convex": 10,
    "unlearn_audit": 10,
    "beo_gaussian": 10,
    "domain_constraints": 11,
}


def _short(v, n=70) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, dict) and "__ndarray__" in v:
        v = v["__ndarray__"]
    if isinstance(v, (list, tuple)):
        flat = json.dumps(v)
        text = flat if len(flat) <= n else flat[: n - 3] + "..."
    elif isinstance(v, dict):
        text = ", ".join(f"{k}: {_short(x, 30)}" for k, x in v.items())
    else:
        text = str(v)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= n else text[: n - 3] + "..."


# --------------------------------------------------------------------------- claim markers


def _claim_ids(decorators) -> list[str]:
    """The ids of ``@pytest.mark.claim("<id>")`` (or ``@mark.claim``) decorators."""
    ids = []
    for d in decorators:
        if not isinstance(d, ast.Call) or not d.args:
            continue
        f = d.func
        if isinstance(f, ast.Attribute) and f.attr == "claim":
            base = f.value
            if (isinstance(base, ast.Attribute) and base.attr == "mark") or (
                isinstance(base, ast.Name) and base.id == "mark"
            ):
                a = d.args[0]
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    ids.append(a.value)
    return ids


def claim_markers(tests_dir: Path | None = None, root: Path | None = None) -> dict[str, list[str]]:
    """``{claim id: sorted test node ids}`` from the ``claim`` markers of every test in ``tests/``.

    The files are parsed (:mod:`ast`), not imported: a test function (module level or a method of a
    ``Test*`` class) carrying ``@pytest.mark.claim("<id>")`` asserts the claim ``<id>``.
    """
    root = ROOT if root is None else Path(root)
    tests_dir = root / "tests" if tests_dir is None else Path(tests_dir)
    out: dict[str, set[str]] = {}
    for path in sorted(tests_dir.rglob("test_*.py")):
        try:
            tree = ast.parse(path.read_text())
        except SyntaxError:  # a file being edited: the test suite reports it
            continue
        rel = path.relative_to(root).as_posix()
        for node in tree.body:
            funcs = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                funcs.append((node.name, node))
            elif isinstance(node, ast.ClassDef):
                funcs += [
                    (f"{node.name}::{s.name}", s)
                    for s in node.body
                    if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                ]
            for name, f in funcs:
                if not f.name.startswith("test"):
                    continue
                for cid in _claim_ids(f.decorator_list):
                    out.setdefault(cid, set()).add(f"{rel}::{name}")
    return {k: sorted(v) for k, v in sorted(out.items())}


# --------------------------------------------------------------------------- claims report


def load_results(fig_dir: Path, experiments) -> dict:
    out = {}
    for e in experiments:
        p = fig_dir / f"{e}.json"
        if p.exists():
            out[e] = json.loads(p.read_text())
    return out


def collect(fig_dir: Path, markers: dict | None = None):
    """Rows of the report: one per claim, with the measured record (or a missing marker) and the
    tests that carry its marker (empty: the verdict comes from the JSON alone)."""
    fams = claims_by_family()
    markers = claim_markers() if markers is None else markers
    exps = sorted({c.experiment for cs in fams.values() for c in cs})
    results = load_results(fig_dir, exps)
    rows = []
    for fam, cs in fams.items():
        for c in cs:
            rec = results.get(c.experiment, {}).get("claims", {}).get(c.id)
            verdict = rec["verdict"] if rec else "missing"
            rows.append(
                {
                    "family": fam,
                    "claim": c,
                    "record": rec,
                    "verdict": verdict,
                    "tests": tuple(markers.get(c.id, ())),
                }
            )
    return rows, results


def readme_table(rows) -> str:
    """paper -> module -> theory note -> figure -> tests, one row per experiment."""
    from collections import Counter

    by_exp: OrderedDict = OrderedDict()
    for r in rows:
        c = r["claim"]
        e = by_exp.setdefault(
            c.experiment,
            {
                "papers": Counter(),
                "family": r["family"],
                "note": c.theory_note,
                "tests": set(),
                "n": 0,
                "pass": 0,
            },
        )
        e["papers"][c.paper] += 1
        e["tests"].update(t.split("::")[0] for t in r.get("tests", c.tests))
        e["n"] += 1
        e["pass"] += r["verdict"] == "pass"
    lines = [
        "| paper | module | theory note | figure | tests | claims passed |",
        "|---|---|---|---|---|---|",
    ]
    for exp, e in by_exp.items():
        tests = ", ".join(f"`{t}`" for t in sorted(e["tests"])) or "–"
        paper = sorted(e["papers"].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        lines.append(
            f"| {paper} | `unlearnlab/{e['family']}/` | [{e['note']}]({e['note']}) | "
            f"[{exp}.png](paper_figures/{exp}.png) (`python -m experiments.{exp}`) | {tests} | "
            f"{e['pass']}/{e['n']} |"
        )
    for exp, issue in PLANNED.items():
        if exp not in by_exp:
            lines.append(f"| (issue {issue}) | not built yet | – | `{exp}` | – | – |")
    return "\n".join(lines)


def render(rows, results) -> str:
    n = len(rows)
    count = {
        v: sum(r["verdict"] == v for r in rows) for v in ("pass", "fail", "reported", "missing")
    }
    recon = [r for r in rows if r["claim"].provenance == "reconstruction"]
    json_only = [r for r in rows if not r.get("tests", r["claim"].tests)]
    papers: OrderedDict = OrderedDict()  # one section per experiment (papers listed in it)
    for r in rows:
        papers.setdefault(r["claim"].experiment, []).append(r)
    lines = [
        "# unlearnlab: report of every claim",
        "",
        "Generated by `python -m experiments report` from the claims registry (`CLAIMS` in each "
        "`unlearnlab/<family>/`), the `@pytest.mark.claim` markers of the tests and the saved "
        "experiment outputs (`paper_figures/<experiment>.json`, key `claims`). Do not edit by hand.",
        "",
        "## Summary",
        "",
        f"- claims registered: **{n}** across {len({r['claim'].paper for r in rows})} cited "
        f"sources and {len(papers)} experiments",
        f"- passed: **{count['pass']}**, failed: **{count['fail']}**, reported without a verdict: "
        f"**{count['reported']}**, no measured value yet: **{count['missing']}**",
        f"- formulas marked [reconstruction] (not yet checked against the paper's own text): "
        f"**{len(recon)}** ({', '.join(r['claim'].id for r in recon) or 'none'})",
        f"- claims whose verdict comes from the saved JSON alone (no test carries their marker): "
        f"**{len(json_only)}** ({', '.join(r['claim'].id for r in json_only) or 'none'})",
        "",
        "Kinds: exact identity (float64 vs an oracle), bound w.p. >= 1-delta (binomial/Hoeffding "
        "tolerance), rate/slope (fitted log-log slope in a band), reproduction (a paper's number), "
        "derived proposition (proved in the theory note), invariant, documented behaviour. "
        "Provenance is that of the formula checked: [paper], [code], [secondary], [recalled], "
        '[derived], [reconstruction]. Tests: the tests marked `@pytest.mark.claim("<id>")`, '
        "which assert the claim as stated.",
        "",
    ]
    lines += [
        "| experiment | claims | pass | fail | reported | missing |",
        "|---|---|---|---|---|---|",
    ]
    for exp, rs in papers.items():
        k = {v: sum(r["verdict"] == v for r in rs) for v in count}
        lines.append(
            f"| [{exp}](#{exp}) | {len(rs)} | {k['pass']} | {k['fail']} | "
            f"{k['reported']} | {k['missing']} |"
        )
    lines.append("")
    for exp_name, rs in papers.items():
        cited = sorted({r["claim"].paper for r in rs})
        lines += [f"## {exp_name}", "", "Sources: " + "; ".join(cited) + ".", ""]
        exps = sorted({r["claim"].experiment for r in rs})
        for e in exps:
            note = next(r["claim"].theory_note for r in rs if r["claim"].experiment == e)
            m = results.get(e, {}).get("manifest", {})
            lines.append(
                f"**Experiment `{e}`** — theory note [{note}](../{note}); run "
                f"`python -m experiments.{e}`; computed {m.get('utc', '?')} at git "
                f"{str(m.get('git_sha'))[:8]} ({m.get('backend', '?')}, "
                f"{m.get('device_count', '?')} device(s), x64={m.get('x64', '?')})."
            )
            lines += ["", f"![{e}]({e}.png)", ""]
        lines += [
            "| claim | statement | where | kind | provenance | measured | theory | verdict "
            "| tests | panel |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rs:
            c, rec = r["claim"], r["record"] or {}
            marked = r.get("tests", c.tests)
            tests = "<br>".join(f"`{t.split('::')[-1]}`" for t in marked) or f"*{JSON_ONLY}*"
            mark = {
                "pass": "pass",
                "fail": "**FAIL**",
                "reported": "reported",
                "missing": "missing",
            }[r["verdict"]]
            detail = f" ({_short(rec.get('detail', ''), 90)})" if rec.get("detail") else ""
            lines.append(
                f"| `{c.id}` | {_short(c.statement, 200)}{detail} | {c.where} | {c.kind} | "
                f"[{c.provenance}] | {_short(rec.get('measured', '–'))} | "
                f"{_short(rec.get('theory', '–'))} | {mark} | {tests} | {c.experiment} {c.panel} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def readme_text(table: str, text: str) -> str | None:
    """The README text with its claims table replaced (None if it has no markers)."""
    if START not in text or END not in text:
        return None
    return re.sub(
        re.escape(START) + ".*?" + re.escape(END),
        lambda _: START + "\n" + table + "\n" + END,
        text,
        flags=re.S,
    )


def update_readme(table: str, readme: Path) -> bool:
    if not readme.exists():
        return False
    text = readme.read_text()
    new = readme_text(table, text)
    if new is None:
        return False
    if new != text:
        readme.write_text(new)
    return True


# --------------------------------------------------------------------------- measured blocks


def block_names(text: str) -> list[str]:
    """Names of the ``measured`` blocks of a note, in order."""
    return [m.group("name") for m in BLOCK.finditer(text)]


def fill_blocks(text: str, blocks: dict[str, str], where: str = "note") -> str:
    """``text`` with every measured block replaced by ``blocks[name]``.

    Raises:
      ValueError: a block without a key, a key without a block, a block opened twice or not closed.
    """
    names = block_names(text)
    errors = []
    n_begin = len(BEGIN_ANY.findall(text))
    if n_begin != len(names) or text.count("<!-- measured:end -->") != len(names):
        errors.append(f"{where}: a `measured:begin NAME` / `measured:end` pair is malformed")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        errors.append(f"{where}: block(s) {dup} appear more than once")
    missing = [n for n in names if n not in blocks]
    if missing:
        errors.append(f"{where}: block(s) {missing} have no key in measured()")
    extra = sorted(set(blocks) - set(names))
    if extra:
        errors.append(f"{where}: measured() key(s) {extra} have no block in the note")
    bad = sorted(k for k, v in blocks.items() if not isinstance(v, str))
    if bad:
        errors.append(f"{where}: measured() value(s) of {bad} are not strings")
    if errors:
        raise ValueError("; ".join(errors))

    def sub(m):
        body = blocks[m.group("name")].strip("\n")
        return f"{m.group('begin')}\n{body}\n{m.group('end')}"

    return BLOCK.sub(sub, text)


def _experiment_names() -> list[str]:
    from experiments.__main__ import experiment_names

    return experiment_names()


def notes_outputs(root: Path, fig_dir: Path) -> tuple[dict[Path, str], list[str]]:
    """``({note path: new text}, errors)`` for every theory note with blocks or a ``measured()``."""
    out: dict[Path, str] = {}
    errors: list[str] = []
    for name in _experiment_names():
        note = root / "theory" / f"{name}.md"
        text = note.read_text() if note.exists() else ""
        has_blocks = bool(BEGIN_ANY.search(text))
        try:
            mod = importlib.import_module(f"experiments.{name}")
        except Exception as e:  # an experiment that does not import is an error, not a crash
            errors.append(f"experiments/{name}.py does not import: {type(e).__name__}: {e}")
            continue
        fn = getattr(mod, "measured", None)
        if fn is None:
            if has_blocks:
                errors.append(
                    f"theory/{name}.md has measured blocks but experiments/{name}.py "
                    "defines no measured()"
                )
            continue
        if not note.exists():
            errors.append(
                f"experiments/{name}.py defines measured() but theory/{name}.md is missing"
            )
            continue
        js = fig_dir / f"{name}.json"
        if not js.exists():
            errors.append(f"theory/{name}.md: no saved results {js} to render its blocks from")
            continue
        try:
            blocks = fn(json.loads(js.read_text()))
            out[note] = fill_blocks(text, dict(blocks), where=f"theory/{name}.md")
        except Exception as e:
            errors.append(f"theory/{name}.md: {type(e).__name__}: {e}")
    return out, errors


# --------------------------------------------------------------------------- main


def outputs(fig_dir: Path, readme: Path, root: Path = ROOT):
    """Every generated file's expected text: ``({path: text}, errors, rows)``."""
    rows, results = collect(fig_dir)
    files: dict[Path, str] = {fig_dir / "REPORT.md": render(rows, results)}
    if readme.exists():
        new = readme_text(readme_table(rows), readme.read_text())
        if new is not None:
            files[readme] = new
    notes, errors = notes_outputs(root, fig_dir)
    files.update(notes)
    return files, errors, rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments report")
    p.add_argument("--figures", type=Path, default=ROOT / "paper_figures")
    p.add_argument("--readme", type=Path, default=ROOT / "README.md")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list the generated files that are out of sync and exit non-zero",
    )
    args = p.parse_args(argv)
    files, errors, rows = outputs(args.figures, args.readme)
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]

    def rel(path):
        try:
            return path.resolve().relative_to(ROOT).as_posix()
        except ValueError:
            return str(path)

    for e in errors:
        print(f"[report] error: {e}", file=sys.stderr)
    if args.check:
        for path in stale:
            print(f"[report] out of sync: {rel(path)}", file=sys.stderr)
        if stale or errors:
            print(
                f"[report] {len(stale)} file(s) out of sync, {len(errors)} error(s): run "
                "`python -m experiments report`",
                file=sys.stderr,
            )
            return 1
        print(f"[report] in sync: {len(files)} generated files")
        return 0
    from unlearnlab.lab.results import atomic_write_bytes

    for path in stale:
        atomic_write_bytes(path, files[path].encode())
        print(f"[report] wrote {rel(path)}")
    c = {v: sum(r["verdict"] == v for r in rows) for v in ("pass", "fail", "reported", "missing")}
    print(f"[report] {len(rows)} claims, {c}; {len(stale)} file(s) rewritten")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
