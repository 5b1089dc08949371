"""Responsible-unit extractor (issue: Deadlines, responsible units) — placeholder.

Contract: ``extract_assignments(doc) -> list[Assignment]``; records carry start/end and
``to_row()`` giving the ``assignments`` columns (minus doc_id / assignment_id).
"""

from __future__ import annotations


def extract_assignments(doc) -> list:
    return []
