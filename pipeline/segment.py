"""Segment stage (being written)."""
from __future__ import annotations

from .document import Document


def segment(doc: Document) -> Document:
    return doc
