"""Contract cases for unlearnlab.rl: types and constants exempted; the function cases are still to
be written (each missing function fails test_every_public_name_has_a_case_or_exemption)."""

from tests.contract.harness import Case, exempt_non_functions  # noqa: F401 - Case for new entries

CASES: list = []
EXEMPT = exempt_non_functions("unlearnlab.rl")
