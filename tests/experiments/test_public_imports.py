"""The library is the only home of math: experiments and benchmarks use public names only.

Parses ``experiments/*.py`` and ``benchmarks/**/*.py`` (AST, nothing imported) and fails on any
import of a private unlearnlab name -- ``from unlearnlab.x import _f``, a private module
(``unlearnlab.rl._vary``), or an attribute ``_f`` read from a name bound to an unlearnlab module
(``import unlearnlab.calibration as cal; cal._f``) -- and on any import of the removed private
experiment helpers.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FILES = sorted(
    [*ROOT.glob("experiments/*.py"), *ROOT.glob("benchmarks/**/*.py")],
    key=lambda p: str(p),
)


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and part != "__init__" for part in dotted.split("."))


def private_uses(source: str) -> list[str]:
    """``"line: text"`` for each private unlearnlab name used by ``source``."""
    tree = ast.parse(source)
    bound = set()  # local names bound to unlearnlab modules/packages
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "unlearnlab" or a.name.startswith("unlearnlab."):
                    if _private(a.name):
                        found.append(f"{node.lineno}: import {a.name}")
                    bound.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "unlearnlab" or node.module.startswith("unlearnlab."):
                if _private(node.module):
                    found.append(f"{node.lineno}: from {node.module} import ...")
                for a in node.names:
                    if a.name.startswith("_"):
                        found.append(f"{node.lineno}: from {node.module} import {a.name}")
                    bound.add(a.asname or a.name)  # may be a submodule: checked below
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            if node.attr.startswith("__"):
                continue
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in bound:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_checker_catches_private_uses():
    src = (
        "from unlearnlab.rl.design import _solve, solve\n"
        "import unlearnlab.calibration as cal\n"
        "from unlearnlab.rl import _vary\n"
        "from unlearnlab.rl._vary import f\n"
        "x = cal._private(1)\n"
        "y = cal.public(1).__class__\n"
        "from unlearnlab.lab import sweep\n"
        "z = sweep.run_seeds\n"
        "other._private\n"
    )
    assert [s.split(":")[0] for s in private_uses(src)] == ["1", "3", "4", "5"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_unlearnlab_names(path):
    uses = private_uses(path.read_text())
    assert not uses, f"{path.relative_to(ROOT)} uses private unlearnlab names:\n" + "\n".join(uses)
