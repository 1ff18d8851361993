"""The recorded debt of the bad-input contract (issue 24), as a ratchet.

``MISSING_CASES``: public functions that have no contract case yet. ``KNOWN_FAILING``: functions
whose case exists and still has malformed calls without a named ``ValueError`` (or a failing valid
call). Both lists may only shrink: a new public name without a case fails the coverage test, an entry
here that gets a case (or starts passing: the contract test of a ``KNOWN_FAILING`` entry is
``xfail(strict=True)``) fails until it is removed from the list. Generated from a contract run;
``python -m tests.contract.test_contract`` prints the details of each failing call.
"""

MISSING_CASES = frozenset({})

KNOWN_FAILING = frozenset({})
