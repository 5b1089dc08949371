"""Plain-text files (.txt, .md): bytes -> Unicode, whatever the encoding.

UTF-8 (with or without BOM), UTF-16 (with a BOM, or without one when the zero bytes
show it), and the legacy 8-bit Vietnamese encodings (TCVN3, VNI, Windows-1258; see
``legacy``). UTF-8 text that still carries TCVN3/VNI glyphs (copied out of an old Word
file) is converted too. Decomposed (NFD) input is composed.
"""

from __future__ import annotations

import unicodedata

from ..document import Page, RawDocument
from . import legacy
from .errors import IngestError


def decode_text(data: bytes) -> str:
    """Decode the bytes of a text file to NFC Unicode (legacy encodings converted).

    >>> decode_text("Kế hoạch".encode("utf-8"))
    'Kế hoạch'
    >>> decode_text("Kế hoạch".encode("utf-16"))
    'Kế hoạch'
    >>> decode_text("KÕ ho¹ch sè 12/KH-UBND ngµy 05/01/2026".encode("cp1252"))
    'Kế hoạch số 12/KH-UBND ngày 05/01/2026'
    """
    return decode_text_with_encoding(data)[0]


def decode_text_with_encoding(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` where encoding names what the bytes were (utf-8, utf-16, tcvn3, ...)."""
    if data.startswith(b"\xef\xbb\xbf"):
        text, enc = data[3:].decode("utf-8", errors="replace"), "utf-8"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, enc = data.decode("utf-16", errors="replace"), "utf-16"
    elif b"\x00" in data[:4096]:
        enc = _utf16_without_bom(data)
        if enc is None:
            raise IngestError("binary content in a text file")
        text = data.decode(enc, errors="replace")
    else:
        try:
            text, enc = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, enc = legacy.decode_8bit(data)
            return _compose(text), enc
    found = legacy.detect(text)
    if found:
        text, enc = legacy.to_unicode(text, found), found
    return _compose(text), enc


def encoding_warning(enc: str) -> str | None:
    """The warning a document carries when its text was not Unicode.

    >>> encoding_warning("tcvn3")
    'legacy encoding TCVN3 (ABC) converted to Unicode'
    >>> encoding_warning("utf-8") is None
    True
    """
    if enc == "cp1252":
        return "not UTF-8 and no Vietnamese encoding recognised; decoded as Windows-1252"
    return legacy.warning([enc]) if enc in legacy.NAMES else None


def read_text(data: bytes, path: str, sha256: str, fmt: str = "txt") -> RawDocument:
    """A text file as a ``RawDocument``: one page, or one per form feed (pdftotext output).

    >>> [p.text for p in read_text(b"trang 1\fTrang 2\f", "a.txt", "0" * 64).pages]
    ['trang 1', 'Trang 2']
    """
    if not data.strip():
        raise IngestError("empty file")
    text, enc = decode_text_with_encoding(data)
    if not text.strip():
        raise IngestError("empty file (whitespace only)")
    warnings = [w for w in [encoding_warning(enc)] if w]
    chunks = text.split("\f")
    if len(chunks) > 1 and not chunks[-1].strip():
        chunks.pop()
    pages = [Page(i, t) for i, t in enumerate(chunks, 1)]
    return RawDocument(source_path=path, source_format=fmt, pages=pages, source_sha256=sha256, warnings=warnings)


def _utf16_without_bom(data: bytes) -> str | None:
    head = data[:4096]
    n = max(1, len(head) // 2)
    if head[1::2].count(0) > 0.3 * n and head[0::2].count(0) == 0:
        return "utf-16-le"
    if head[0::2].count(0) > 0.3 * n and head[1::2].count(0) == 0:
        return "utf-16-be"
    return None


def _compose(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
