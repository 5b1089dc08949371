"""Content-based file type detection: what a file *is*, whatever its name says.

Archives are full of mislabelled files: an HTML error page saved as ``.pdf``, a ``.doc``
that is really a ``.docx`` (or RTF, or Word-HTML), a scan saved as ``.pdf.jpg``. The
reader is chosen from the first bytes; the extension only breaks ties (plain text).
"""

from __future__ import annotations

import io
import zipfile

import regex

# Kinds a reader exists for; everything else is reported as unsupported with its name.
READABLE = {"pdf", "docx", "doc", "rtf", "odt", "html", "image", "text"}

_NAMES = {
    "pdf": "a PDF", "docx": "a Word .docx file", "doc": "a Word 97-2003 .doc file", "rtf": "an RTF file",
    "odt": "an OpenDocument text file", "html": "an HTML page", "image": "an image", "text": "plain text",
    "xlsx": "an Excel workbook", "pptx": "a PowerPoint file", "zip": "a ZIP archive", "ole": "an OLE file",
    "gzip": "a gzip archive", "rar": "a RAR archive", "7z": "a 7-Zip archive", "binary": "binary data",
    "empty": "empty",
}

_HTML_RE = regex.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|table|div|p)\b",
                         regex.I | regex.S)
_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a", b"BM",
)


def describe(kind: str) -> str:
    """A kind in words, for error messages.

    >>> describe("html")
    'an HTML page'
    """
    return _NAMES.get(kind, kind)


def sniff(data: bytes) -> str:
    """The kind of a file's content.

    One of ``pdf docx doc rtf odt html image text`` (readable) or ``xlsx pptx zip ole gzip
    rar 7z binary empty``.

    >>> sniff(b"%PDF-1.7\\n..."), sniff(b"\\x89PNG\\r\\n\\x1a\\n...."), sniff("Kế hoạch".encode())
    ('pdf', 'image', 'text')
    >>> sniff(b"<!DOCTYPE html><html>..."), sniff(b"{\\\\rtf1\\\\ansi ..."), sniff(b"  \\n")
    ('html', 'rtf', 'empty')
    """
    if not data.strip():
        return "empty"
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_kind(data)
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"Rar!"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    text_head = head.lstrip(b"\xef\xbb\xbf")
    if _HTML_RE.match(text_head):
        return "html"
    if _looks_textual(head):
        return "text"
    return "binary"


def _zip_kind(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        # A truncated .docx still starts with PK: let the docx reader give the precise error.
        return "docx" if b"word/" in data[:4096] else "zip"
    if "word/document.xml" in names or any(n.startswith("word/document") for n in names):
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "content.xml" in names and b"opendocument.text" in data[:200]:
        return "odt"
    return "zip"


def _ole_kind(data: bytes) -> str:
    # The Word binary stream is named "WordDocument" (UTF-16 in the directory sector).
    if "WordDocument".encode("utf-16-le") in data[:1 << 20] or len(data) < 4096:
        return "doc"
    return "ole"


def _looks_textual(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return True
    if b"\x00" in head:
        # UTF-16 without a BOM: every other byte is zero for Latin text.
        zeros_odd = head[1::2].count(0)
        zeros_even = head[0::2].count(0)
        n = max(1, len(head) // 2)
        return zeros_odd > 0.3 * n and zeros_even == 0 or zeros_even > 0.3 * n and zeros_odd == 0
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls <= len(head) * 0.02
