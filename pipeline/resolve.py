"""Resolve: canonical instrument ids, unit names, province scope, year inference.

Placeholder for the citations issue: ``resolve_citations(doc, citations)`` fills
``instrument_id`` (equal for the same instrument across documents).
"""

from __future__ import annotations


def resolve_citations(doc, citations: list) -> list:
    return citations
