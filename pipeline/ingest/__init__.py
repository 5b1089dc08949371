"""Ingest: a file on disk -> ``RawDocument`` (pages of raw text + tables).

Readers are chosen by content first (magic bytes) and by extension second, so a
mislabelled file still reaches the right reader. Every reader raises ``IngestError``
with a message a user can act on; the runner turns it into a ``failed`` row.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..document import Page, RawDocument


class IngestError(Exception):
    """A file that cannot be read; the message says why, for the ``error`` column."""


TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}


def decode_text(data: bytes) -> str:
    """Decode bytes of a text file: UTF-8 (with or without BOM), UTF-16 with BOM.

    >>> decode_text("Kế hoạch".encode("utf-8"))
    'Kế hoạch'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise IngestError(f"not UTF-8 text (byte {e.start}: {data[e.start:e.start + 4]!r})") from None


def read(path: str | Path) -> RawDocument:
    """Read one file into a ``RawDocument``.

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
    sha = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES or suffix == "":
        if not data.strip():
            raise IngestError("empty file")
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise IngestError("binary content in a text file")
        text = decode_text(data)
        fmt = "md" if suffix in (".md", ".markdown") else "txt"
        return RawDocument(source_path=str(path), source_format=fmt, pages=[Page(1, text)], source_sha256=sha)
    raise IngestError(f"unsupported file type {suffix!r}")
