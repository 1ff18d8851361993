"""The prepared device check runs end to end on CPU with --quick and records every section."""

import json

import pytest


@pytest.mark.slow
def test_gpu_check_quick_on_cpu(tmp_path):
    from benchmarks.gpu_check import main

    out = tmp_path / "gpu_check.json"
    res = main(["--quick", "--strict", "--out", str(out)])
    saved = json.loads(out.read_text())
    for section in ("sweep", "gem", "acu", "heavy_figures"):
        assert section in saved and saved[section]["section_s"] > 0
    assert saved["acu"]["ratio"] > 0 and res["backend"] == saved["backend"]


def test_results_render_matches_committed_files(tmp_path):
    """RESULTS.md is what `python -m benchmarks --render` makes of the committed JSON and notes.

    So every number in it, the GPU check table included, comes from a saved measurement.
    """
    import shutil
    from pathlib import Path

    from benchmarks.__main__ import main

    here = Path(__file__).resolve().parents[2] / "benchmarks"
    shutil.copy(here / "results.json", tmp_path / "results.json")
    assert main(["--render", "--out", str(tmp_path)]) == 0
    rendered = (tmp_path / "RESULTS.md").read_text()
    assert rendered == (here / "RESULTS.md").read_text()
    if (here / "gpu_check.json").exists():
        saved = json.loads((here / "gpu_check.json").read_text())
        if not saved["quick"]:
            assert "## GPU check" in rendered and saved["devices"][0] in rendered
