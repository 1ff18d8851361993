"""The bad-input contract over the whole public API (issue 24).

Enumerates ``__all__`` of every subpackage of :mod:`unlearnlab` (found with :mod:`pkgutil`, so a new
family is picked up) and every ``tests/contract/cases_*.py``. Each public name needs a :class:`Case`
or an ``EXEMPT`` entry; each case's valid call must return finite outputs and each malformed call
derived from it must raise ``ValueError`` naming the argument.

``python -m tests.contract.test_contract`` prints the outcome counts over all cases.
"""

from __future__ import annotations

import collections
import importlib
import pathlib
import pkgutil

import pytest

import unlearnlab

HERE = pathlib.Path(__file__).parent


def public_names() -> set[str]:
    names = set()
    for info in pkgutil.iter_modules(unlearnlab.__path__):
        if not info.ispkg or info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"unlearnlab.{info.name}")
        for n in getattr(mod, "__all__", ()):
            names.add(f"unlearnlab.{info.name}.{n}")
    return names


def load_cases():
    cases, exempt, errors = {}, {}, []
    for path in sorted(HERE.glob("cases_*.py")):
        try:
            mod = importlib.import_module(f"tests.contract.{path.stem}")
        except Exception as e:  # noqa: BLE001 - a broken cases file is reported, not fatal
            errors.append(f"{path.name}: {type(e).__name__}: {e}")
            continue
        for c in getattr(mod, "CASES", ()):
            if c.name in cases:
                errors.append(f"{path.name}: duplicate case {c.name}")
            cases[c.name] = c
        exempt.update(getattr(mod, "EXEMPT", {}))
    return cases, exempt, errors


CASES, EXEMPT, LOAD_ERRORS = load_cases()


def test_cases_files_load():
    assert not LOAD_ERRORS, "\n".join(LOAD_ERRORS)


def test_every_public_name_has_a_case_or_exemption():
    """Every public name has a case or an exemption, except the recorded debt
    (``known_gaps.MISSING_CASES``), which may only shrink."""
    from tests.contract.known_gaps import MISSING_CASES

    public = public_names()
    missing = sorted(public - set(CASES) - set(EXEMPT) - MISSING_CASES)
    assert not missing, (
        f"{len(missing)} public names without a Case or EXEMPT entry:\n" + "\n".join(missing)
    )
    settled = sorted(n for n in MISSING_CASES if n in CASES or n in EXEMPT or n not in public)
    assert not settled, "remove from known_gaps.MISSING_CASES (now covered or gone):\n" + "\n".join(
        settled
    )


def test_no_case_for_a_name_that_is_not_public():
    public = public_names()
    stale = sorted(n for n in set(CASES) | set(EXEMPT) if n not in public)
    assert not stale, "cases for names not in any __all__:\n" + "\n".join(stale)


def _contract_params():
    from tests.contract.known_gaps import KNOWN_FAILING

    return [
        pytest.param(
            n,
            marks=pytest.mark.xfail(
                strict=True, reason="recorded contract gap (tests/contract/known_gaps.py)"
            ),
        )
        if n in KNOWN_FAILING
        else n
        for n in sorted(CASES)
    ]


@pytest.mark.parametrize("name", _contract_params())
def test_contract(name):
    from tests.contract.harness import run_case

    r = run_case(CASES[name])
    assert r["valid"] == "ok", r["valid"]
    bad = [f"{a} [{lab}]: {o}: {d}" for a, lab, o, d in r["results"] if o != "named"]
    assert not bad, f"{len(bad)} malformed calls without a named ValueError:\n" + "\n".join(bad)


def report():  # pragma: no cover - a command-line summary
    from tests.contract.harness import run_case

    public = public_names()
    counts = collections.Counter()
    per_fn = {}
    for name in sorted(CASES):
        r = run_case(CASES[name])
        per_fn[name] = r
        counts["valid_" + ("ok" if r["valid"] == "ok" else "failed")] += 1
        for _, _, o, _ in r["results"]:
            counts[o] += 1
    print(f"public names: {len(public)}; cases: {len(CASES)}; exempt: {len(EXEMPT)}")
    print(f"missing: {len(public - set(CASES) - set(EXEMPT))}")
    print(
        f"malformed calls: {sum(counts[o] for o in ('named', 'silent_nan', 'no_error', 'other_exception', 'unnamed'))}"
    )
    for k, v in sorted(counts.items()):
        print(f"  {k}: {v}")
    for name, r in per_fn.items():
        if r["valid"] != "ok":
            print(f"VALID FAIL {name}: {r['valid']}")
        for a, lab, o, d in r["results"]:
            if o != "named":
                print(f"{o:16s} {name} {a} [{lab}]: {d[:120]}")


if __name__ == "__main__":
    report()
