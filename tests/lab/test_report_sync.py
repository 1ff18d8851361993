"""The generated record is in sync with the committed results: running ``python -m experiments
report`` on a fresh clone changes no tracked file.

Checks, without writing: ``paper_figures/REPORT.md``, the README's claims table and every
``<!-- measured:begin NAME -->`` block of the theory notes equal what the report renders from the
committed JSON (each block from ``measured(saved)`` of its experiment), and rendering is
deterministic. Also the block rules: a block without a ``measured()`` key, or a key without a block,
is an error.
"""

from pathlib import Path

import pytest

from experiments import _report as report

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rendered():
    return report.outputs(ROOT / "paper_figures", ROOT / "README.md")


def test_no_block_errors(rendered):
    _, errors, _ = rendered
    assert not errors, "\n".join(errors)


def test_generated_files_match_the_committed_results(rendered):
    files, _, _ = rendered
    stale = [p.relative_to(ROOT).as_posix() for p, text in files.items() if p.read_text() != text]
    assert not stale, f"out of sync (run `python -m experiments report`): {stale}"


def test_every_note_with_blocks_is_rendered(rendered):
    files, _, _ = rendered
    for note in sorted((ROOT / "theory").glob("*.md")):
        if report.BEGIN_ANY.search(note.read_text()):
            assert note in files, f"{note.name} has measured blocks that the report does not render"


def test_rendering_is_deterministic(rendered):
    files, _, _ = rendered
    again, _, _ = report.outputs(ROOT / "paper_figures", ROOT / "README.md")
    assert again == files


def test_fill_blocks_rules():
    text = "a\n<!-- measured:begin x -->\nold\n<!-- measured:end -->\nb\n"
    assert report.fill_blocks(text, {"x": "new"}) == (
        "a\n<!-- measured:begin x -->\nnew\n<!-- measured:end -->\nb\n"
    )
    out = report.fill_blocks(text, {"x": "new"})
    assert report.fill_blocks(out, {"x": "new"}) == out  # idempotent
    with pytest.raises(ValueError, match="no key in measured"):
        report.fill_blocks(text, {})
    with pytest.raises(ValueError, match="no block in the note"):
        report.fill_blocks(text, {"x": "new", "y": "other"})
    with pytest.raises(ValueError, match="malformed"):
        report.fill_blocks("<!-- measured:begin x -->\nno end\n", {"x": ""})


def test_check_mode_writes_nothing(tmp_path):
    """``--check`` on a copy with a stale block reports it and leaves the file as it was."""
    figs = tmp_path / "paper_figures"
    figs.mkdir()
    for p in (ROOT / "paper_figures").glob("*.json"):
        (figs / p.name).write_text(p.read_text())
    readme = tmp_path / "README.md"
    readme.write_text("no table markers\n")
    before = (figs / "acu.json").read_text()
    rc = report.main(["--check", "--figures", str(figs), "--readme", str(readme)])
    assert rc == 1  # REPORT.md is missing in the copy
    assert not (figs / "REPORT.md").exists()
    assert (figs / "acu.json").read_text() == before
