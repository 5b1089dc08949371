"""Normalize stage (being written): raw text -> Document."""
from __future__ import annotations

import unicodedata

from .document import Document, OffsetMap, RawDocument, doc_id_for


def normalize(raw: RawDocument) -> Document:
    text = unicodedata.normalize("NFC", raw.text.replace("\f", "\n"))
    return Document(doc_id=doc_id_for(raw.source_sha256), source_path=raw.source_path,
                    source_sha256=raw.source_sha256, source_format=raw.source_format, text=text,
                    offset_map=OffsetMap(), body_end=len(text), n_pages=raw.n_pages)
