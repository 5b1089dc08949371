"""Deadline extractor (issue: Deadlines, responsible units) — placeholder until implemented.

Contract: ``extract_deadlines(doc, citations) -> list[Deadline]``; records carry
start/end/raw and ``to_row()`` giving the ``deadlines`` columns (minus doc_id / deadline_id).
"""

from __future__ import annotations


def extract_deadlines(doc, citations=()) -> list:
    return []
