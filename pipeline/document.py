"""The documents that flow through the pipeline, stage by stage.

``RawDocument`` is what *ingest* produces from a file (pages of raw text, tables);
``Document`` is what *normalize* produces and every later stage reads: the normalized
``text`` that all record offsets point into, the offset map back to the raw text, the
footnotes, the tables and (after *segment*) the section tree.

Layout of a normalized text (a small, readable markdown-like convention)::

    <body paragraphs, one per line, headings and list items on their own lines>
    | 1 | Nội dung | Sở Nội vụ | Thường xuyên |        <- one line per logical table row
    ...
    [^1]: Quyết định số 23-QĐ/TW ngày 30/7/2021 ...     <- footnote area, after ``body_end``

Footnote markers glued to words in the source ("hành động1.", "23-QĐ/TW1;") become
``[^1]`` in the body, so no extractor can mistake them for part of a symbol.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Page:
    """One page of ingested raw text (a .txt file is one page).

    ``tables`` holds tables the reader saw as grids (PDF ruled tables, docx tables),
    each a list of rows of cell strings; markdown tables inside ``text`` are parsed
    later, by normalize.
    """

    number: int
    text: str
    tables: list[list[list[str]]] = field(default_factory=list)
    ocr_confidence: float | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class RawDocument:
    """What ingest read from one source file, before any normalization."""

    source_path: str
    source_format: str  # txt, md, pdf, pdf_ocr, image_ocr, docx, doc
    pages: list[Page]
    source_sha256: str
    warnings: list[str] = field(default_factory=list)

    @property
    def n_pages(self) -> int:
        return len(self.pages)

    @property
    def text(self) -> str:
        """Pages joined by form feeds, which normalize treats as page breaks."""
        return "\f".join(p.text for p in self.pages)

    @property
    def ocr_confidence(self) -> float | None:
        vals = [p.ocr_confidence for p in self.pages if p.ocr_confidence is not None]
        return sum(vals) / len(vals) if vals else None

    @classmethod
    def from_text(cls, text: str, source_path: str = "<text>", source_format: str = "txt") -> "RawDocument":
        """Wrap a string as a one-page raw document.

        >>> RawDocument.from_text("KẾ HOẠCH").n_pages
        1
        """
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return cls(source_path=source_path, source_format=source_format,
                   pages=[Page(1, text)], source_sha256=sha)


class OffsetMap:
    """Maps positions in the normalized text back to the raw text.

    Stored as sorted breakpoints ``(norm_pos, raw_pos)``: inside one piece copied from
    the raw text positions advance together; text that normalize inserted (``[^1]``,
    joining spaces) maps to the raw position where it was inserted.

    >>> m = OffsetMap([(0, 0), (5, 9)])
    >>> m.to_raw(2), m.to_raw(6)
    (2, 10)
    """

    __slots__ = ("norm", "raw")

    def __init__(self, points: list[tuple[int, int]] | None = None):
        points = points or [(0, 0)]
        self.norm = [p[0] for p in points]
        self.raw = [p[1] for p in points]

    @classmethod
    def from_columns(cls, norm: list[int], raw: list[int]) -> "OffsetMap":
        """A map from its two columns (non-empty, same length), without building tuples.

        >>> OffsetMap.from_columns([0, 5], [0, 9]).to_raw(6)
        10
        """
        m = cls.__new__(cls)
        m.norm, m.raw = norm, raw
        return m

    def to_raw(self, pos: int) -> int:
        i = bisect.bisect_right(self.norm, pos) - 1
        if i < 0:
            return 0
        guess = self.raw[i] + (pos - self.norm[i])
        # Inserted text (a joining space, "[^1]") does not advance in the raw text.
        return min(guess, self.raw[i + 1]) if i + 1 < len(self.raw) else guess

    def to_raw_many(self, positions: list[int]) -> list[int]:
        """``[self.to_raw(p) for p in positions]``, without a method call per position.

        >>> OffsetMap([(0, 0), (5, 9)]).to_raw_many([2, 6])
        [2, 10]
        """
        norm, raw = self.norm, self.raw
        if len(norm) == 1:  # one piece, the common case: a constant shift
            n0, r0 = norm[0], raw[0]
            if n0 == r0 == 0 and (not positions or min(positions) >= 0):
                return list(positions)  # the identity
            return [r0 + (p - n0) if p >= n0 else 0 for p in positions]
        last = len(norm) - 1
        bisect_right = bisect.bisect_right
        out = []
        # Positions mostly come in order: keep the piece [lo, hi) of the last one and look
        # the piece up again only when a position falls outside it.
        lo = hi = 0
        shift = cap = 0
        for p in positions:
            if not lo <= p < hi:
                i = bisect_right(norm, p) - 1
                if i < 0:
                    out.append(0)
                    lo = hi = 0
                    continue
                lo, shift = norm[i], raw[i] - norm[i]
                # Inserted text does not advance in the raw text: cap at the next piece's start.
                hi, cap = (norm[i + 1], raw[i + 1]) if i < last else (float("inf"), float("inf"))
            out.append(min(p + shift, cap))
        return out


@dataclass
class Footnote:
    """A footnote body moved out of the page flow into the footnote area.

    ``start``/``end`` span the body text (without the ``[^n]: `` label).
    """

    number: str
    start: int
    end: int
    # Where the page broke in the body text (used when the marker was lost, e.g. by OCR).
    anchor: int | None = None


@dataclass
class FootnoteRef:
    """A footnote marker in the body, written ``[^n]`` in the normalized text."""

    number: str
    start: int
    end: int


@dataclass
class TableCell:
    text: str
    start: int
    end: int


@dataclass
class TableRow:
    """One logical row (continuation rows from the next page already merged)."""

    cells: list[TableCell]
    start: int
    end: int
    number: str | None = None  # the STT / row-number cell when the table has one


@dataclass
class Table:
    table_id: int
    header: list[str]
    rows: list[TableRow]
    start: int
    end: int


@dataclass
class Section:
    """A node of the section tree; ``end`` is where the next sibling-or-higher starts."""

    section_id: int
    parent_id: int | None
    level: int  # 1 = top (Roman numerals, PHỤ LỤC, preamble, closing)
    ordinal: str | None  # "I", "1", "1.1", "a", "-"
    heading: str
    label: str | None  # canonical label for top-level sections
    start: int
    end: int
    heading_end: int = 0  # end of the heading line(s)


@dataclass
class Document:
    """A normalized document: the single text all extracted records point into."""

    doc_id: str
    source_path: str
    source_sha256: str
    source_format: str
    text: str
    offset_map: OffsetMap
    body_end: int  # footnote area starts here (== len(text) when there are no footnotes)
    n_pages: int = 1
    page_starts: list[int] = field(default_factory=lambda: [0])
    footnotes: list[Footnote] = field(default_factory=list)
    footnote_refs: list[FootnoteRef] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    ocr_confidence: float | None = None
    warnings: list[str] = field(default_factory=list)
    # Filled by extract (metadata) so later extractors can use the plan year, province.
    metadata: Any = None

    def in_footnote(self, pos: int) -> bool:
        """True when ``pos`` lies in the footnote area."""
        return pos >= self.body_end

    def page_at(self, pos: int) -> int:
        """1-based page number of a normalized position."""
        return max(1, bisect.bisect_right(self.page_starts, pos))

    def section_at(self, pos: int) -> Section | None:
        """The deepest section containing ``pos`` (None before the first section).

        Footnote positions resolve to the section of the first marker that refers
        to their footnote, so a citation in footnote 3 belongs where ``[^3]`` stands.
        """
        if pos >= self.body_end:
            fn = next((f for f in self.footnotes if f.start - 8 <= pos <= f.end), None)
            ref = fn and next((r for r in self.footnote_refs if r.number == fn.number), None)
            if ref is not None:
                pos = ref.start
            elif fn is not None and fn.anchor is not None:
                pos = fn.anchor
            else:
                return None
        best = None
        for s in self.sections:
            if s.start <= pos < s.end and (best is None or s.level >= best.level):
                best = s
        return best

    def top_section_at(self, pos: int) -> Section | None:
        """The level-1 section containing ``pos``."""
        s = self.section_at(pos)
        by_id = {x.section_id: x for x in self.sections}
        while s is not None and s.parent_id is not None:
            s = by_id.get(s.parent_id)
        return s


def doc_id_for(sha256: str) -> str:
    """Stable document id from the source content hash.

    >>> doc_id_for("ab" * 32)
    'abababababababab'
    """
    return sha256[:16]
