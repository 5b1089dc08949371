"""Where a position sits in a normalized plan: its line, sentence, clause, list lead-in and
section — the layout that links a deadline or a unit to its task.

Normalized text has one paragraph per line and list items ("-", "+", "1.", "a)") on lines of
their own; a list introduced by a line ending in ":" belongs to that line ("... báo cáo về
UBND tỉnh theo các mốc thời gian sau:" then "- Báo cáo quý: Trước ngày 10 ...").

>>> t = "Các đơn vị báo cáo như sau:\\n- Báo cáo quý: Trước ngày 10.\\n- Báo cáo năm: Trước ngày 30/11."
>>> s, e = sentence_bounds(t, t.index("30/11")); t[s:e]
'- Báo cáo năm: Trước ngày 30/11.'
>>> s, e = lead_in_bounds(t, t.index("30/11")); t[s:e]
'Các đơn vị báo cáo như sau:'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import bisect
import re

import regex


if TYPE_CHECKING:  # pipeline imports the extractors; import its types lazily
    from pipeline.document import Document, Section

__all__ = ["line_bounds", "sentence_bounds", "line_sentences", "clause_start", "content_start", "lead_in_bounds",
           "section_at", "section_chain", "top_section", "top_label", "heading_bounds", "is_table_line", "Layout"]

_MARKER = regex.compile(r"[ \t]*(?:[-+•*–][ \t]+|\d+(?:\.\d+)*[.)][ \t]+|[a-zđ][.)][ \t]+|[IVX]+\.[ \t]+)")
# A sentence ends at . ! ? (or "./." closing a paragraph) before a capital, a digit, a quote or
# a list dash; "TP. Hồ Chí Minh" style abbreviations are rare enough in plans to accept.
_SENT_END = regex.compile(r"(?<=[.!?…])[ \t]+(?=[-+•]?[ \t]*[\p{Lu}\d\"“(])")
# What every ``_SENT_END`` match needs (a stop, then a blank): most lines hold none, and the
# plain ``re`` scan rules them out for a fraction of the cost of ``_SENT_END`` itself.
_STOP_BLANK = re.compile(r"[.!?…][ \t]")
_LIST_LINE = regex.compile(r"[ \t]*(?:[-+•*][ \t]|[a-zđ][.)][ \t])")


def is_table_line(text: str, ls: int) -> bool:
    """True for a ``| ... |`` table row line."""
    return text.startswith("|", ls)


def line_bounds(text: str, pos: int) -> tuple[int, int]:
    """Start and end (without the newline) of the line holding ``pos``."""
    ls = text.rfind("\n", 0, pos) + 1
    le = text.find("\n", pos)
    return ls, (len(text) if le < 0 else le)


def sentence_bounds(text: str, pos: int, lo: int | None = None, hi: int | None = None) -> tuple[int, int]:
    """The sentence (within its line, or within ``lo:hi``) holding ``pos``."""
    ls, le = line_bounds(text, pos)
    lo = ls if lo is None else max(lo, ls)
    hi = le if hi is None else min(hi, le)
    s, e = lo, hi
    for m in _SENT_END.finditer(text, lo, hi):
        if m.end() <= pos:
            s = m.end()
        elif m.start() >= pos:
            e = m.start()
            break
    return s, e


def line_sentences(text: str, ls: int, le: int):
    """The sentences of ``text[ls:le]`` (within one line), as ``sentence_bounds`` cuts them
    (blanks after a sentence end skipped), from one scan of the line instead of one per sentence.

    >>> t = "Sở Nội vụ chủ trì. Các sở phối hợp."
    >>> [t[s:e] for s, e in line_sentences(t, 0, len(t))]
    ['Sở Nội vụ chủ trì.', 'Các sở phối hợp.']
    """
    if not _STOP_BLANK.search(text, max(ls - 1, 0), le):  # the stop may lie just before ``ls``
        if ls < le:
            yield ls, le
        return
    s = ls
    # a sentence end is never at ``ls`` (a line start or after ": ") and always takes every
    # blank after the stop, so the next sentence starts where the match ends
    for m in _SENT_END.finditer(text, ls, le):
        yield s, m.start()
        s = m.end()
    if s < le:
        yield s, le


# Characters no ``_MARKER`` starts with (not a blank, dash, digit, "a-zđ" or "IVX"): most
# sentences after the first of a line open with a capital, and need no regex call.
_NO_MARKER_START = frozenset("ABCDEFGHJKLMNOPQRSTUWYZĐ")


def content_start(text: str, s: int, e: int) -> int:
    """Skip a list marker ("- ", "1. ", "a) ") at ``s``."""
    if text[s:s + 1] in _NO_MARKER_START:
        return s
    m = _MARKER.match(text, s, e)
    return m.end() if m else s


def clause_start(text: str, s: int, pos: int) -> int:
    """Start of the ";"-clause holding ``pos`` within a sentence starting at ``s``."""
    i = text.rfind(";", s, pos)
    return s if i < 0 else i + 1


def lead_in_bounds(text: str, pos: int, max_lines: int = 15) -> tuple[int, int] | None:
    """The line ending with ":" that introduces the list item holding ``pos`` (None if the
    line is not a list item or no lead-in precedes it)."""
    ls, le = line_bounds(text, pos)
    if not _LIST_LINE.match(text, ls, le):
        return None
    i = ls
    for _ in range(max_lines):
        if i <= 0:
            return None
        ps, pe = line_bounds(text, i - 1)
        line = text[ps:pe].rstrip()
        if line.endswith(":"):
            return ps, ps + len(line)
        if not _LIST_LINE.match(text, ps, pe):
            return None
        i = ps
    return None


class Layout:
    """The section tree of one document indexed for O(log n) lookups.

    ``Document.section_at`` scans every section; extractors ask once per line, which is
    quadratic on long decrees with thousands of numbered items.
    """

    def __init__(self, doc: Document):
        self.doc = doc
        self.n_sections = len(doc.sections)
        self.by_id = {s.section_id: s for s in doc.sections}
        kids: dict[int | None, list[Section]] = {}
        for s in sorted(doc.sections, key=lambda x: (x.start, x.level)):
            parent = s.parent_id if s.parent_id in self.by_id else None
            kids.setdefault(parent, []).append(s)
        self.kids = kids
        self.starts = {k: [s.start for s in v] for k, v in kids.items()}
        self._chains: dict[int, list[Section]] = {}  # section_id -> chain, deepest first
        # ``top`` is the top-level section ``section_at`` descends from (the chain of parent ids
        # leads back to it when ids are unique), so it changes only where one starts or ends
        # (or the footnote area starts); otherwise only at some section's start or end
        outer = kids.get(None, []) if len(self.by_id) == len(doc.sections) else doc.sections
        self.top_bounds = sorted({b for s in outer for b in (s.start, s.end)} | {doc.body_end})

    def section_at(self, pos: int) -> Section | None:
        """The deepest section holding ``pos`` (as ``Document.section_at``)."""
        if pos >= self.doc.body_end:
            return self.doc.section_at(pos)
        kids, starts = self.kids, self.starts
        best, parent = None, None
        while parent in kids:
            level = kids[parent]
            i = bisect.bisect_right(starts[parent], pos) - 1
            # siblings do not overlap; look back a little in case a segmenter made them touch
            for k in range(i, max(-1, i - 3), -1):
                if level[k].start <= pos < level[k].end:
                    best = level[k]
                    break
            else:
                break
            parent = best.section_id
        return best

    def _ancestry(self, s: Section) -> list[Section]:
        """``s`` and its ancestors, deepest first; asked for every line and deadline, so
        each section's list is built once."""
        cached = self._chains.get(s.section_id)
        if cached is None or cached[0] is not s:
            cached = []
            t = s
            while t is not None:
                cached.append(t)
                t = self.by_id.get(t.parent_id) if t.parent_id is not None else None
            self._chains[s.section_id] = cached
        return cached

    def chain(self, pos: int) -> list[Section]:
        s = self.section_at(pos)
        return [] if s is None else list(self._ancestry(s))  # a copy: callers own the list

    def top(self, pos: int) -> Section | None:
        """The top-level section holding ``pos``: ``chain(pos)[-1]`` without the copy."""
        s = self.section_at(pos)
        return None if s is None else self._ancestry(s)[-1]

    def top_run(self, pos: int) -> tuple[Section | None, int]:
        """``top(pos)`` and the end of the stretch of positions from ``pos`` that share it, so
        a caller walking the text line by line looks sections up once per stretch."""
        if pos >= self.doc.body_end:
            return self.top(pos), pos + 1  # footnotes resolve through their markers: no stretch
        i = bisect.bisect_right(self.top_bounds, pos)
        return self.top(pos), self.top_bounds[i] if i < len(self.top_bounds) else pos + 1


_LAST: list[Layout] = []


def layout(doc: Document) -> Layout:
    """The (cached) section index of ``doc``; rebuilt when its sections change."""
    if _LAST and _LAST[0].doc is doc and _LAST[0].n_sections == len(doc.sections):
        return _LAST[0]
    lay = Layout(doc)
    _LAST[:] = [lay]
    return lay


def section_at(doc: Document, pos: int) -> Section | None:
    """The deepest section holding ``pos``; footnotes resolve to their marker's section."""
    return layout(doc).section_at(pos)


def section_chain(doc: Document, pos: int) -> list[Section]:
    """Sections holding ``pos``, deepest first (footnotes resolve to their marker's section)."""
    return layout(doc).chain(pos)


def top_section(doc: Document, pos: int) -> Section | None:
    """The top-level section holding ``pos`` (None when unsegmented or outside)."""
    return layout(doc).top(pos)


def top_label(doc: Document, pos: int) -> str | None:
    """Label of the top-level section holding ``pos`` (None when unsegmented or outside)."""
    top = top_section(doc, pos)
    return top.label if top else None


def heading_bounds(doc: Document, sec: Section) -> tuple[int, int]:
    """Span of a section's heading text, ordinal marker skipped."""
    end = sec.heading_end if sec.heading_end > sec.start else line_bounds(doc.text, sec.start)[1]
    return content_start(doc.text, sec.start, end), end
