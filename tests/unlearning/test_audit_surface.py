"""Public surface of the audit modules and the consistency of AUDIT_CLAIMS."""

import importlib
from pathlib import Path

import pytest

MODULES = ["audit", "exact", "dmm", "certified", "worst_case", "bayes_error"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", MODULES)
def test_public_surface_imports(name):
    mod = importlib.import_module(f"unlearnlab.unlearning.{name}")
    assert mod.__all__
    for sym in mod.__all__:
        assert hasattr(mod, sym), f"{name}.{sym}"


def test_audit_claims_name_existing_tests():
    from unlearnlab.unlearning.audit_claims import AUDIT_CLAIMS

    ids = [c.id for c in AUDIT_CLAIMS]
    assert len(ids) == len(set(ids))
    for c in AUDIT_CLAIMS:
        assert c.experiment in ("dmm_convex", "unlearn_audit", "beo_gaussian")
        assert (ROOT / "experiments" / f"{c.experiment}.py").exists()
        assert (ROOT / c.theory_note).exists()
        for node in c.tests:
            path, func = node.split("::")
            src = (ROOT / path).read_text()
            assert f"def {func}(" in src, node
