"""Run the whole per-document pipeline: ingest -> normalize -> segment -> extract -> resolve.

``process_file`` never raises on a bad input: it returns a result whose ``documents`` row
has ``status = "failed"`` and an ``error`` saying why, so a batch always goes on.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import PIPELINE_VERSION, __version__  # noqa: F401 (PIPELINE_VERSION: re-export)
from .document import Document, RawDocument, doc_id_for
from .extract import extract_all
from .ingest import IngestError, read, read_bytes
from .normalize import normalize
from .layout import SCHEMA_VERSION
from .segment import segment



@dataclass
class DocumentResult:
    """Rows for every per-document table, plus the normalized document when it worked."""

    doc_id: str
    status: str
    tables: dict[str, list[dict]] = field(default_factory=dict)
    document: Document | None = None
    error: str | None = None


def _documents_row(doc_id: str, source_path: str, sha: str, fmt: str | None, **extra) -> dict:
    row = {
        "doc_id": doc_id, "source_path": source_path, "source_sha256": sha, "source_format": fmt,
        "status": "ok", "error": None, "warnings": [], "recipients": [],
        "schema_version": SCHEMA_VERSION, "vnplan_version": __version__, "pipeline_version": PIPELINE_VERSION,
    }
    row.update(extra)
    return row


def process_raw(raw: RawDocument) -> DocumentResult:
    """Normalize, segment and extract a ``RawDocument``; raises on internal errors."""
    t0 = time.perf_counter()
    doc = normalize(raw)
    segment(doc)
    tables = extract_all(doc)
    meta = doc.metadata
    row = _documents_row(
        doc.doc_id, raw.source_path, raw.source_sha256, raw.source_format,
        # normalize already carries raw.warnings over into doc.warnings
        warnings=list(doc.warnings), n_pages=raw.n_pages, n_chars=len(doc.text),
        ocr_confidence=raw.ocr_confidence, **(meta.to_row() if meta is not None else {}),
    )
    row["seconds"] = round(time.perf_counter() - t0, 4)
    tables["documents"] = [row]
    tables["texts"] = [{"doc_id": doc.doc_id, "text": doc.text, "body_end": doc.body_end}]
    return DocumentResult(doc.doc_id, "ok", tables, doc)


def failed_result(source_path: str, error: str, sha: str | None = None, fmt: str | None = None) -> DocumentResult:
    """A ``failed`` documents row for an input that could not be processed."""
    sha = sha or hashlib.sha256(str(source_path).encode("utf-8")).hexdigest()
    doc_id = doc_id_for(sha)
    row = _documents_row(doc_id, str(source_path), sha, fmt, status="failed", error=error)
    return DocumentResult(doc_id, "failed", {"documents": [row]}, None, error)


def process_file(path: str | Path, timeout: float | None = None) -> DocumentResult:
    """Process one file; bad input gives a ``failed`` result, never an exception.

    ``timeout`` (seconds, default: ingest's) bounds the reading: OCR stops starting pages.

    >>> r = process_file("/nonexistent.txt"); (r.status, r.error)
    ('failed', 'file not found: /nonexistent.txt')
    """
    try:
        raw = read(path, timeout=timeout)
    except IngestError as e:
        return failed_result(str(path), str(e))
    except Exception as e:  # a reader bug must not stop a batch either
        return failed_result(str(path), f"ingest error: {type(e).__name__}: {e}")
    try:
        return process_raw(raw)
    except Exception as e:
        tb = traceback.format_exc(limit=3)
        return failed_result(str(path), f"internal error: {type(e).__name__}: {e}\n{tb}",
                             raw.source_sha256, raw.source_format)


def process_bytes(data: bytes, source_path: str, timeout: float | None = None,
                  sha256: str | None = None) -> DocumentResult:
    """Process a file's content that is not on disk (an archive member) under a virtual path.

    ``source_path`` (``plans.zip!/2026/kh.txt``) is what the rows record, and its
    extension breaks ties for plain text; the hash is the content's, as for a file.
    ``timeout`` (seconds) bounds the reading, as for ``process_file``; ``sha256``: the
    content's hash when the caller has computed it (the planner hashes archive members).

    >>> r = process_bytes("KẾ HOẠCH\\nNăm 2026\\n".encode(), "plans.zip!/kh.txt")
    >>> r.status, r.tables["documents"][0]["source_path"]
    ('ok', 'plans.zip!/kh.txt')
    """
    sha = sha256 or hashlib.sha256(data).hexdigest()
    try:
        raw = read_bytes(data, source_path, timeout=timeout, sha256=sha)
    except IngestError as e:
        return failed_result(source_path, str(e), sha)
    except Exception as e:  # a reader bug must not stop a batch either
        return failed_result(source_path, f"ingest error: {type(e).__name__}: {e}", sha)
    try:
        return process_raw(raw)
    except Exception as e:
        tb = traceback.format_exc(limit=3)
        return failed_result(source_path, f"internal error: {type(e).__name__}: {e}\n{tb}",
                             raw.source_sha256, raw.source_format)


def process_text(text: str, source_path: str = "<text>") -> DocumentResult:
    """Process a string as if it were a .txt file.

    >>> r = process_text("KẾ HOẠCH\\nThực hiện công tác dân vận năm 2026\\n")
    >>> r.status, r.tables["documents"][0]["doc_type"]
    ('ok', 'Kế hoạch')
    """
    return process_raw(RawDocument.from_text(text, source_path))
