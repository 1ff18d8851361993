"""The prepared device check runs end to end on CPU with --quick and records every section."""

import json

import pytest


@pytest.mark.slow
def test_gpu_check_quick_on_cpu(tmp_path):
    from benchmarks.gpu_check import main

    out = tmp_path / "gpu_check.json"
    res = main(["--quick", "--out", str(out)])
    saved = json.loads(out.read_text())
    for section in ("sweep", "gem", "acu", "heavy_figures"):
        assert section in saved and saved[section]["section_s"] > 0
    assert saved["acu"]["ratio"] > 0 and res["backend"] == saved["backend"]
