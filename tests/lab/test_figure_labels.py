"""Figure text against the claims registry: whose theorem a figure cites, and [reconstruction].

``save_figure`` writes every text artist of a figure (titles, axis labels, legend entries, texts) to
``<stem>.labels.json`` beside the PNG. For each committed figure of an experiment with registered
claims:

* every text that cites a numbered statement (Thm/Theorem, Cor./Corollary, Prop./Proposition, Lemma)
  says whose it is: the paper's (``paper``, or the source's authors), the lab's (``lab``, ``derived``,
  ``ours``), or ``[reconstruction]`` / ``[recalled]`` / ``[secondary]``;
* a text that cites a statement which a claim of that experiment with provenance ``reconstruction``
  names in its ``where`` carries ``[reconstruction]``.
"""

import json
import re
from pathlib import Path

import pytest

from unlearnlab.lab.claims import all_claims

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = all_claims()
#: experiments whose committed figure must have its text recorded (the cores built before the
#: labels sidecar; later experiments are checked as soon as their sidecar is committed)
REQUIRED = (
    "acu",
    "beo_gaussian",
    "dmm_convex",
    "domain_constraints",
    "ftpedel",
    "hallucination_monofact",
    "hcal",
    "hcal_window",
    "noisy_verifier_pg",
    "pretraining",
    "resampling_flaws",
    "semisup_dro",
    "unem",
    "unlearn_audit",
)
CITE = re.compile(
    r"\b(Thm|Theorem|Cor|Corollary|Prop|Proposition|Lemma)\.?\s*([A-Z]?\d+(?:\.\d+)?)", re.I
)
WHOSE = re.compile(
    r"(\bpaper\b|\blab\b|\blab's\b|\bderived\b|\bours\b|\[reconstruction\]|\[recalled\]|"
    r"\[secondary\]|\bGuo\b|\bZhuang\b|\bKearns\b|\bKalai\b|\bWagenmaker\b)",
    re.I,
)
_KIND = {"thm": "thm", "theorem": "thm", "cor": "cor", "corollary": "cor", "prop": "prop"}
_KIND |= {"proposition": "prop", "lemma": "lemma"}


def citations(text: str) -> set[tuple[str, str]]:
    """``{(kind, number)}`` of the numbered statements cited in ``text``."""
    return {(_KIND[k.lower()], n.upper()) for k, n in CITE.findall(text)}


def strings(payload: dict) -> list[str]:
    out = [payload.get("suptitle", "")] + payload.get("texts", [])
    out += [s for leg in payload.get("legends", []) for s in leg]
    for ax in payload.get("axes", []):
        out += ax["title"] + [ax["xlabel"], ax["ylabel"]] + ax["legend"] + ax["texts"] + ax["table"]
    return [s for s in out if s]


def _experiments():
    exps = sorted({c.experiment for c in CLAIMS})
    return [e for e in exps if e in REQUIRED or (ROOT / f"paper_figures/{e}.labels.json").exists()]


def test_citation_parser():
    assert citations("data-dependent bound (Guo Cor. 1)") == {("cor", "1")}
    assert citations("Thm 4.2, C = 1 and Prop. A1") == {("thm", "4.2"), ("prop", "A1")}
    assert citations("Retrain, no citation") == set()
    assert WHOSE.search("lab's Thm 1 [reconstruction]") and not WHOSE.search("label Thm 1")


@pytest.mark.parametrize("exp", _experiments())
def test_figure_text_names_whose_statement_and_reconstruction(exp):
    p = ROOT / "paper_figures" / f"{exp}.labels.json"
    assert p.exists(), f"{p.name} missing: re-plot the figure (save_figure writes it)"
    texts = strings(json.loads(p.read_text()))
    assert texts, f"{p.name} records no text"
    recon = set()
    for c in CLAIMS:
        if c.experiment == exp and c.provenance == "reconstruction":
            recon |= citations(c.where)
    problems = []
    for s in texts:
        cited = citations(s)
        if not cited:
            continue
        if not WHOSE.search(s):
            problems.append(f"cites {sorted(cited)} without saying whose: {s!r}")
        if cited & recon and "[reconstruction]" not in s:
            problems.append(f"cites a [reconstruction] statement without the mark: {s!r}")
    assert not problems, f"{exp}: " + "; ".join(problems)
