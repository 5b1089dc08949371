"""The pre-checks citations.py runs before the patterns right of a symbol skip only what
the patterns could never match: every character that can follow their optional
"[ ]?,?[ ]?" lead is in the pre-check's set (tried exhaustively over the BMP)."""

from itertools import product

import pytest

from extractors.citation_patterns import (
    DATE_FIRST,
    DATE_RE,
    LOCALITY_STARTS,
    LOCALITY_TAIL_RE,
    SUBJECT_LEAD_FIRST,
    SUBJECT_LEAD_RE,
)
from extractors.citations import _lead_first

# every run of up to three spaces and commas (more than the lead can hold)
LEADS = ["".join(p) for n in range(4) for p in product(" ,", repeat=n)]
CHARS = [chr(i) for i in range(0x10000) if not 0xD800 <= i < 0xE000] + [chr(0x1F600), chr(0x20000)]


@pytest.mark.parametrize("pattern, firsts", [(DATE_RE, DATE_FIRST), (SUBJECT_LEAD_RE, SUBJECT_LEAD_FIRST)])
def test_lead_first_sets_are_complete(pattern, firsts):
    for lead in LEADS:
        possible = {c for c in CHARS if pattern.match(lead + c, partial=True) is not None}
        assert possible <= set(" ,") | firsts, (lead, sorted(possible - firsts - set(" ,"))[:10])
    # four spaces/commas: more than any lead, the pattern can match nothing there
    for lead in product(" ,", repeat=4):
        assert pattern.match("".join(lead), partial=True) is None


def test_locality_starts_are_complete():
    possible = {c1 + c2 for c1 in CHARS[:0x3000] if LOCALITY_TAIL_RE.match(c1, partial=True)
                for c2 in CHARS if LOCALITY_TAIL_RE.match(c1 + c2, partial=True)}
    assert possible <= set(LOCALITY_STARTS)
    assert all(LOCALITY_TAIL_RE.match(c, partial=True) is None for c in CHARS if c != " ")


def test_lead_first():
    assert _lead_first(" , ngày 1/2/2020", 0) == "n"
    assert _lead_first("ngày", 0) == "n"
    assert _lead_first("  , x", 0) == ""
    assert _lead_first("", 0) == ""
