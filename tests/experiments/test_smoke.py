"""Every experiment runs end to end with ``--quick`` (tiny sizes) and writes JSON + figure."""

import importlib
import json

import pytest

from experiments.__main__ import experiment_names

NAMES = experiment_names()


def test_experiments_are_listed():
    assert "acu" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_quick_run_writes_json_and_figure(name, tmp_path):
    mod = importlib.import_module(f"experiments.{name}")
    payload = mod.main(["--quick", "--out", str(tmp_path), "--no-progress"])
    js = tmp_path / f"{name}.json"
    assert (
        js.exists() and (tmp_path / f"{name}.png").exists() and (tmp_path / f"{name}.pdf").exists()
    )
    saved = json.loads(js.read_text())
    for field in ("name", "config", "data", "claims", "manifest"):
        assert field in saved, field
    assert saved["manifest"]["x64"] is True
    assert payload["name"] == name
    # a second run with the same config is served from the saved JSON, not recomputed
    again = mod.main(["--quick", "--out", str(tmp_path), "--no-plot", "--no-progress"])
    assert again["manifest"]["utc"] == saved["manifest"]["utc"]


def test_all_jobs_flag_is_parsed_and_validated():
    """``python -m experiments all --jobs J``: J is taken out of the flags passed to experiments;
    a value that is not an integer >= 1 raises a ValueError naming the flag."""
    from experiments.__main__ import _pop_jobs

    assert _pop_jobs(["--jobs", "2", "--recompute"]) == (2, ["--recompute"])
    assert _pop_jobs(["--quick", "--jobs=3"]) == (3, ["--quick"])
    assert _pop_jobs(["--force"]) == (1, ["--force"])
    for bad in (["--jobs", "0"], ["--jobs=x"], ["--jobs"]):
        with pytest.raises(ValueError, match="--jobs"):
            _pop_jobs(bad)
