"""Ingest: a file on disk -> ``RawDocument`` (pages of raw text + tables).

Readers are chosen by content first (``sniff``: magic bytes) and by extension second, so a
mislabelled file still reaches the right reader (with a warning saying so). Every reader
raises ``IngestError`` with a message a user can act on; the runner turns it into a
``failed`` row. A document readable in part comes back with ``warnings``.

======================  =====================================  ==================
content                 reader                                 ``source_format``
======================  =====================================  ==================
text (.txt, .md)        ``text``: UTF-8/16, TCVN3, VNI, 1258    txt, md
PDF with a text layer   ``pdf``: PDFium, ruled tables           pdf
PDF pages without text  ``ocr``: Tesseract ``vie``              pdf_ocr
PNG, JPEG, TIFF, ...    ``ocr``                                 image_ocr
.docx                   ``docx``: body, text boxes, tables ...  docx
.doc, .rtf, .odt        LibreOffice -> ``docx``                 doc (rtf, odt)
HTML (also as .doc)     ``html``                                html
======================  =====================================  ==================

``read(path, timeout=...)`` bounds the time spent on one document: OCR stops starting
pages when it runs out and the pages read so far come back with a warning.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..document import Page, RawDocument
from .errors import Deadline, IngestError
from .sniff import READABLE, describe, sniff
from .text import decode_text, read_text

__all__ = ["IngestError", "RawDocument", "Page", "read", "read_bytes", "decode_text", "DEFAULT_TIMEOUT",
           "SUPPORTED_SUFFIXES"]

# What a directory walk should pick up (pipeline.inputs reads this list).
SUPPORTED_SUFFIXES = frozenset({
    ".txt", ".text", ".md", ".markdown", ".pdf", ".docx", ".doc", ".odt", ".rtf", ".html", ".htm",
    ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp",
})


def _env_seconds(name: str) -> float | None:
    try:
        value = float(os.environ.get(name, "") or 0)
    except ValueError:
        return None
    return value if value > 0 else None


# Seconds per document when the caller gives none (VNPLAN_INGEST_TIMEOUT; unset or 0: no limit).
DEFAULT_TIMEOUT: float | None = _env_seconds("VNPLAN_INGEST_TIMEOUT")

# What each extension claims to be, to warn about mislabelled files.
_CLAIMS = {
    ".pdf": "pdf", ".docx": "docx", ".doc": "doc", ".rtf": "rtf", ".odt": "odt", ".html": "html", ".htm": "html",
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image", ".gif": "image",
    ".bmp": "image", ".webp": "image", ".txt": "text", ".md": "text", ".markdown": "text", ".text": "text",
}


def read(path: str | Path, timeout: float | None = None, ocr: bool = True) -> RawDocument:
    """Read one file into a ``RawDocument``.

    ``timeout`` (seconds, default ``DEFAULT_TIMEOUT``) bounds the work on this document;
    ``ocr=False`` leaves pages without a text layer empty (with a warning).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt"); _ = open(p, "w").write("KẾ HOẠCH")
    >>> read(p).pages[0].text
    'KẾ HOẠCH'
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IngestError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise IngestError(f"is a directory: {path}") from None
    except PermissionError:
        raise IngestError(f"permission denied: {path}") from None
    except OSError as e:
        raise IngestError(f"cannot read {path}: {e.strerror or e}") from None
    return read_bytes(data, str(path), timeout=timeout, ocr=ocr)


def read_bytes(data: bytes, path: str, timeout: float | None = None, ocr: bool = True,
               sha256: str | None = None) -> RawDocument:
    """Read a file's content; ``path`` names it (its extension breaks ties for plain text).
    ``sha256``: the content's hash when the caller has computed it already.

    >>> read_bytes("KẾ HOẠCH".encode(), "x.md").source_format
    'md'
    >>> read_bytes(b"", "x.pdf")
    Traceback (most recent call last):
    ...
    pipeline.ingest.errors.IngestError: empty file
    """
    deadline = Deadline(DEFAULT_TIMEOUT if timeout is None else timeout)
    suffix = Path(path).suffix.lower()
    kind = sniff(data)
    if kind == "zip" and suffix == ".docx":
        kind = "docx"  # the docx reader says what is missing
    if kind == "empty":
        raise IngestError("empty file" if not data else "empty file (whitespace only)")
    if kind not in READABLE:
        raise IngestError(f"unsupported file type: the content is {describe(kind)}"
                          + (f" (named {suffix})" if suffix else ""))
    sha = sha256 or hashlib.sha256(data).hexdigest()
    raw = _dispatch(kind, data, path, sha, suffix, deadline, ocr)
    claimed = _CLAIMS.get(suffix)
    if claimed and claimed != kind and not (claimed == "doc" and kind in ("docx", "rtf", "html")):
        raw.warnings.insert(0, f"file named {suffix} is {describe(kind)}; read as such")
    return raw


def _dispatch(kind: str, data: bytes, path: str, sha: str, suffix: str, deadline: Deadline, ocr: bool
              ) -> RawDocument:
    if kind == "text":
        return read_text(data, path, sha, "md" if suffix in (".md", ".markdown") else "txt")
    if kind == "pdf":
        from .pdf import read_pdf
        return read_pdf(data, path, sha, deadline, use_ocr=ocr)
    if kind == "image":
        from .images import read_image
        return read_image(data, path, sha, deadline, use_ocr=ocr)
    if kind == "docx":
        from .docx import read_docx
        return read_docx(data, path, sha)
    if kind in ("doc", "rtf", "odt"):
        from .docx import read_via_libreoffice
        return read_via_libreoffice(data, path, sha, kind, deadline)
    if kind == "html":
        from .html import read_html
        return read_html(data, path, sha)
    raise IngestError(f"unsupported file type: {describe(kind)}")  # pragma: no cover (READABLE guards)
