"""Figures recorded into the docs: each benchmark owns a block between two HTML comments."""

from __future__ import annotations

from pathlib import Path


def record_block(doc: Path, begin: str, end: str, body: str) -> None:
    """Replace what lies between ``begin`` and ``end`` in ``doc`` with ``body``.

    >>> import tempfile; p = Path(tempfile.mkdtemp()) / "d.md"
    >>> _ = p.write_text("a\\n<!-- b -->\\nold\\n<!-- e -->\\nz\\n")
    >>> record_block(p, "<!-- b -->", "<!-- e -->", "new"); p.read_text()
    'a\\n<!-- b -->\\nnew\\n<!-- e -->\\nz\\n'
    """
    text = doc.read_text(encoding="utf-8")
    if begin not in text or end not in text:
        raise SystemExit(f"{doc} has no {begin} ... {end} block to replace")
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    doc.write_text(f"{head}{begin}\n{body}\n{end}{tail}", encoding="utf-8")
