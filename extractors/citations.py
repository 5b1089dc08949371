"""Citation extractor (issue: Citations and instruments) — placeholder until implemented.

Contract: ``extract_citations(doc) -> list[Citation]``; each Citation has start/end/raw
with ``doc.text[start:end] == raw`` and ``to_row()`` returning the ``citations`` columns
(minus doc_id / citation_id, which the pipeline assigns).
"""

from __future__ import annotations


def extract_citations(doc) -> list:
    return []
