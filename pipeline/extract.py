"""Extract stage: run every extractor over a normalized, segmented document.

Order matters: metadata first (plan year and province feed later extractors), then
citations (their dates must never become deadlines), then deadlines and units.
"""

from __future__ import annotations

from extractors.citations import extract_citations
from extractors.deadlines import extract_deadlines
from extractors.metadata import extract_metadata
from extractors.units import extract_assignments

from .document import Document
from .resolve import resolve_citations


def _numbered(rows: list[dict], doc_id: str, id_col: str) -> list[dict]:
    for i, r in enumerate(rows):
        r["doc_id"] = doc_id
        r[id_col] = i
    return rows


def extract_all(doc: Document) -> dict[str, list[dict]]:
    """All per-document table rows except ``documents`` and ``texts``.

    Sets ``doc.metadata`` as a side effect so callers can build the documents row.
    """
    doc.metadata = extract_metadata(doc)
    citations = resolve_citations(doc, extract_citations(doc))
    deadlines = extract_deadlines(doc, citations)
    assignments = extract_assignments(doc)
    sections = [
        {"section_id": s.section_id, "parent_id": s.parent_id, "level": s.level, "ordinal": s.ordinal,
         "heading": s.heading, "label": s.label, "start": s.start, "end": s.end}
        for s in doc.sections
    ]
    return {
        "sections": [dict(r, doc_id=doc.doc_id) for r in sections],
        "citations": _numbered([c.to_row() for c in citations], doc.doc_id, "citation_id"),
        "deadlines": _numbered([d.to_row() for d in deadlines], doc.doc_id, "deadline_id"),
        "assignments": _numbered([a.to_row() for a in assignments], doc.doc_id, "assignment_id"),
    }
