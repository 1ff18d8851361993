"""The registry of claims: what each core checks, how, where, and with what result.

Each family declares a ``CLAIMS`` tuple of :class:`Claim` next to its code (``unlearnlab/<family>/
claims.py``, re-exported by the family ``__init__``). :func:`all_claims` collects them by walking the
subpackages of :mod:`unlearnlab`, so adding a family needs no central edit.

The measured value of a claim lives in its experiment's JSON under ``"claims"``::

    {"claims": {"<claim id>": {"measured": ..., "theory": ..., "verdict": "pass"|"fail"|"reported",
                               "detail": "..."}}}

written with :func:`claim_result` by the experiment. ``python -m experiments report`` joins the two
into ``paper_figures/REPORT.md``.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

__all__ = [
    "Claim",
    "KINDS",
    "PROVENANCE",
    "VERDICTS",
    "claim_result",
    "all_claims",
    "claims_by_family",
]

#: the kinds of claim the lab distinguishes
KINDS = (
    "exact identity",
    "bound w.p. >= 1-delta",
    "rate/slope",
    "reproduction",
    "derived proposition",
    "invariant",
    "documented behaviour",
)
#: provenance labels used by the specs
PROVENANCE = ("paper", "code", "secondary", "recalled", "derived", "reconstruction")
VERDICTS = ("pass", "fail", "reported")


@dataclasses.dataclass(frozen=True)
class Claim:
    """One checked claim.

    Attributes:
      id: unique id, ``"<experiment>.<short-name>"``.
      paper: short citation (authors, year, arXiv id).
      where: theorem / equation / section of the source, or the spec section for derived claims.
      statement: the claim in one sentence, as the lab checks it.
      kind: one of :data:`KINDS`.
      provenance: one of :data:`PROVENANCE` (of the formula being checked).
      tests: test node ids (``"tests/x/test_y.py::test_z"``) that assert it; each carries the
        marker ``@pytest.mark.claim("<id>")`` (``tests/lab/test_claim_markers.py`` keeps the two
        equal). Empty only for a number that is reported, not asserted (verdict ``"reported"``):
        the report marks such a claim "JSON only".
      experiment: the experiment (``experiments/<name>.py``) whose JSON holds the measured value.
      panel: the figure panel that shows it (e.g. ``"(a)"``).
      theory_note: the theory note (``theory/<name>.md``).
    """

    id: str
    paper: str
    where: str
    statement: str
    kind: str
    provenance: str
    tests: tuple[str, ...]
    experiment: str
    panel: str
    theory_note: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Claim {self.id}: `kind` must be one of {KINDS}; got {self.kind!r}.")
        if self.provenance not in PROVENANCE:
            raise ValueError(
                f"Claim {self.id}: `provenance` must be one of {PROVENANCE}; got {self.provenance!r}."
            )
        if isinstance(self.tests, str):
            raise ValueError(f"Claim {self.id}: `tests` must be a tuple of test node ids.")


def claim_result(measured, theory, verdict: str | bool, detail: str = "") -> dict:
    """The JSON record of one claim's measurement (``verdict``: bool or one of :data:`VERDICTS`)."""
    if isinstance(verdict, bool):
        verdict = "pass" if verdict else "fail"
    if verdict not in VERDICTS:
        raise ValueError(f"`verdict` must be a bool or one of {VERDICTS}; got {verdict!r}.")
    return {"measured": measured, "theory": theory, "verdict": verdict, "detail": detail}


def claims_by_family() -> dict[str, tuple[Claim, ...]]:
    """``{family: CLAIMS}`` for every subpackage of :mod:`unlearnlab` that declares claims."""
    import unlearnlab

    out: dict[str, tuple[Claim, ...]] = {}
    for info in pkgutil.iter_modules(unlearnlab.__path__):
        if not info.ispkg or info.name == "lab":
            continue
        mod = importlib.import_module(f"unlearnlab.{info.name}")
        if getattr(mod, "CLAIMS", ()):
            out[info.name] = tuple(mod.CLAIMS)
    return out


def all_claims() -> tuple[Claim, ...]:
    """Every :class:`Claim` declared by a family (a ``CLAIMS`` attribute of a subpackage)."""
    found: list[Claim] = [c for cs in claims_by_family().values() for c in cs]
    ids = [c.id for c in found]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"duplicate claim ids: {sorted(dup)}")
    return tuple(found)
