"""The claims registry is consistent with the tests, experiments, notes and committed outputs."""

import ast
import json
from pathlib import Path

import pytest

from experiments.__main__ import experiment_names
from unlearnlab.lab.claims import all_claims, claims_by_family

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = all_claims()


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef) and sub.name.startswith("test"):
                    names.add(f"{node.name}::{sub.name}")
    return names


def test_registry_is_not_empty_and_ids_unique():
    assert len(CLAIMS) >= 10
    assert len({c.id for c in CLAIMS}) == len(CLAIMS)
    assert "unlearning" in claims_by_family()


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_claim_names_existing_tests_experiment_and_note(claim):
    for node in claim.tests:
        path, _, name = node.partition("::")
        f = ROOT / path
        assert f.exists(), f"{claim.id}: test file {path} does not exist"
        base = name.split("[")[0]
        assert base in _test_names(f), f"{claim.id}: {base} not found in {path}"
    assert claim.experiment in experiment_names(), (
        f"{claim.id}: no experiments/{claim.experiment}.py"
    )
    assert (ROOT / claim.theory_note).exists(), f"{claim.id}: no {claim.theory_note}"
    assert claim.id.startswith(claim.experiment + "."), claim.id


@pytest.mark.parametrize("exp", sorted({c.experiment for c in CLAIMS}))
def test_committed_json_has_the_fields_the_report_reads(exp):
    p = ROOT / "paper_figures" / f"{exp}.json"
    assert p.exists(), f"paper_figures/{exp}.json is not committed"
    payload = json.loads(p.read_text())
    for field in ("name", "config", "data", "claims", "manifest"):
        assert field in payload, f"{exp}.json lacks {field}"
    for field in ("git_sha", "versions", "backend", "device_count", "x64", "timings", "utc"):
        assert field in payload["manifest"], f"{exp}.json manifest lacks {field}"
    for c in (c for c in CLAIMS if c.experiment == exp):
        rec = payload["claims"].get(c.id)
        assert rec is not None, f"{exp}.json has no measured value for {c.id}"
        assert {"measured", "theory", "verdict", "detail"} <= set(rec)
        assert rec["verdict"] in ("pass", "fail", "reported")
    assert (ROOT / "paper_figures" / f"{exp}.png").exists()


def test_every_experiment_has_a_theory_note():
    for name in experiment_names():
        assert (ROOT / "theory" / f"{name}.md").exists(), f"theory/{name}.md missing"


def test_readme_table_is_generated_from_the_registry(tmp_path):
    from experiments import _report as report

    rows, _ = report.collect(ROOT / "paper_figures")
    table = report.readme_table(rows)
    text = (ROOT / "README.md").read_text()
    assert report.START in text and report.END in text
    inside = text.split(report.START)[1].split(report.END)[0].strip()
    assert inside == table.strip(), "README table is stale: run `python -m experiments report`"


def test_report_renders(tmp_path):
    from experiments import _report as report

    rows, results = report.collect(ROOT / "paper_figures")
    md = report.render(rows, results)
    assert "## Summary" in md and all(c.id in md for c in CLAIMS)
