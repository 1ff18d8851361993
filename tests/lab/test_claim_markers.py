"""Every registered claim is asserted by a test that carries its marker, and every marker names a
registered claim; ``Claim.tests`` lists exactly the marked tests.

Markers are read by parsing the test files (``experiments._report.claim_markers``), as the report
does. A claim without a marked test is allowed only for a number that is reported, not asserted
(``Claim.tests`` empty and verdict ``"reported"`` in the committed JSON): the report marks it
"JSON only".
"""

import json
from pathlib import Path

import pytest

from experiments._report import JSON_ONLY, claim_markers, collect, render
from unlearnlab.lab.claims import all_claims

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = all_claims()
MARKERS = claim_markers()


def _base(node: str) -> str:
    return node.split("[")[0]


def test_every_marker_names_a_registered_claim():
    ids = {c.id for c in CLAIMS}
    unknown = {cid: tests for cid, tests in MARKERS.items() if cid not in ids}
    assert not unknown, f"markers name unregistered claims: {unknown}"


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_claim_tests_equal_the_marked_tests(claim):
    marked = set(MARKERS.get(claim.id, ()))
    listed = {_base(t) for t in claim.tests}
    assert marked == listed, (
        f"{claim.id}: Claim.tests {sorted(listed)} != tests marked "
        f'@pytest.mark.claim("{claim.id}") {sorted(marked)}'
    )


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_every_claim_has_a_marked_test_or_is_a_reported_number(claim):
    if MARKERS.get(claim.id):
        return
    p = ROOT / "paper_figures" / f"{claim.experiment}.json"
    rec = json.loads(p.read_text())["claims"].get(claim.id) if p.exists() else None
    assert rec is not None and rec["verdict"] == "reported", (
        f"{claim.id}: no test carries @pytest.mark.claim({claim.id!r}), and its verdict is not "
        "'reported': a test must assert it"
    )


def test_marker_scan_reads_decorators_of_functions_and_methods(tmp_path):
    t = tmp_path / "tests" / "x"
    t.mkdir(parents=True)
    (t / "test_a.py").write_text(
        "import pytest\nfrom pytest import mark\n\n"
        '@pytest.mark.claim("a.one")\n@pytest.mark.parametrize("v", [1])\ndef test_f(v):\n'
        "    pass\n\n"
        'class TestC:\n    @mark.claim("a.two")\n    def test_m(self):\n        pass\n\n'
        '@pytest.mark.claim("a.one")\ndef helper():\n    pass\n'
    )
    got = claim_markers(root=tmp_path)
    assert got == {
        "a.one": ["tests/x/test_a.py::test_f"],
        "a.two": ["tests/x/test_a.py::TestC::test_m"],
    }


def test_report_lists_marked_tests_and_json_only_claims():
    rows, results = collect(ROOT / "paper_figures")
    md = render(rows, results)
    for r in rows:
        assert tuple(r["tests"]) == tuple(MARKERS.get(r["claim"].id, ()))
    if any(not r["tests"] for r in rows):
        assert JSON_ONLY in md
