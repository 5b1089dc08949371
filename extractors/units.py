"""Responsible units: who a plan makes lead (chủ trì) or support (phối hợp) for its tasks.

Where roles come from, in prose (``tasks`` / ``implementation`` / appendix sections and the
footnotes they reference):

* a sentence that opens with units and a predicate — "Phòng Hành chính - Quản trị tham mưu
  ...", "Sở Tài chính, Sở Nội vụ: Chủ động ...", and a numbered heading that is nothing but
  units ("2. Phòng Văn hóa - Xã hội") — makes them **lead**; a predicate that is only
  "phối hợp ..." makes them **support**;
* a cue before units — "Giao X", "Đề nghị X", "yêu cầu X ... <verb>", "do X chủ trì",
  "Trách nhiệm của X" — makes X **lead**;
* "phối hợp với Y", "chủ trì, phối hợp Y", "với sự phối hợp của Y" make Y **support** when
  the sentence has a lead (its subject, a cue, the enclosing unit heading or list lead-in);
* label lines "Đơn vị chủ trì: X" / "Đơn vị phối hợp: Y";

and from appendix task tables (``extractors.task_tables``): the lead and support columns.
Recipients ("báo cáo về UBND xã"), units named in "Nơi nhận" and the preamble are never
assignments. Names are normalised by ``extractors.unit_names``.

>>> from pipeline.document import Document, OffsetMap
>>> t = "IV. TỔ CHỨC THỰC HIỆN\\n2. Giao Sở Nội vụ chủ trì, phối hợp với các cơ quan, đơn vị liên quan theo dõi."
>>> doc = Document("d", "p", "s", "txt", t, OffsetMap(), len(t))
>>> [(a.unit, a.role) for a in extract_assignments(doc)]
[('Sở Nội vụ', 'lead'), ('Các cơ quan, đơn vị liên quan', 'support')]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import bisect
from dataclasses import dataclass
from functools import lru_cache

import regex

from gazetteer import load

from .deadline_context import (
    content_start, heading_bounds, is_table_line, layout, lead_in_bounds, line_bounds, line_sentences, section_at,
    section_chain, sentence_bounds,
)
from .deadline_patterns import _LongScan, _pattern_literals, _prefiltered, _unfoldable_chars
from .task_tables import task_rows
from .unit_names import UnitName, canonical_name, match_unit_list, split_units, unit_key, unit_start_words

if TYPE_CHECKING:  # pipeline imports the extractors; import its types lazily
    from pipeline.document import Document, Section

__all__ = ["Assignment", "extract_assignments", "subject_units", "context_units", "ALLOWED_LABELS"]

# Top-level sections whose prose assigns work. Preamble (legal bases, "UBND xã ban hành Kế
# hoạch"), purpose/requirements, targets, situation reports and the closing ("Nơi nhận") do not.
ALLOWED_LABELS = frozenset({"tasks", "implementation", "appendix", "schedule", "budget", None})
_TASK_MAX = 300


@dataclass
class Assignment:
    """A unit given a role, with the span of its name in the text."""

    start: int
    end: int
    raw: str
    unit: str
    unit_kind: str  # specific / collective
    role: str  # lead / support
    task: str | None
    source: str  # text / table
    section_id: int | None
    row: int | None = None
    unit_key: str | None = None
    province: str | None = None

    @property
    def unit_raw(self) -> str:
        return self.raw

    def to_row(self) -> dict:
        return {"unit": self.unit, "unit_raw": self.raw, "unit_kind": self.unit_kind, "role": self.role,
                "task": self.task, "source": self.source, "section_id": self.section_id, "row": self.row,
                "start": self.start, "end": self.end, "province": self.province, "unit_key": self.unit_key}


# --------------------------------------------------------------------------------------------
# Cue patterns
# --------------------------------------------------------------------------------------------

def _alt(words) -> str:
    return "(?:" + "|".join(regex.escape(w).replace(r"\ ", r"\s+").replace(r"\,", ",")
                            for w in sorted(set(words), key=lambda s: (-len(s), s))) + ")"


@dataclass(frozen=True)
class _Cues:
    lead_anywhere: regex.Pattern
    lead_initial: regex.Pattern
    lead_do: regex.Pattern
    support: regex.Pattern
    lead_label: regex.Pattern
    support_label: regex.Pattern
    predicate_start: regex.Pattern
    support_predicate: regex.Pattern


@lru_cache(maxsize=1)
def _cues() -> _Cues:
    r = load("units")["roles"]
    anywhere = [w for w in r["lead_before"] if w not in ("trách nhiệm của", "nhiệm vụ của", "do")]
    initial = [w for w in r["lead_before"] if w in ("trách nhiệm của", "nhiệm vụ của")]
    b = r"(?<![\p{L}\p{N}])"
    return _Cues(
        lead_anywhere=regex.compile(rf"{b}{_alt(anywhere)}\s+", regex.IGNORECASE),
        lead_initial=regex.compile(rf"{_alt(initial)}\s+", regex.IGNORECASE),
        lead_do=regex.compile(rf"{b}do\s+", regex.IGNORECASE),
        support=regex.compile(rf"{b}{_alt(r['support_before'])}\s+", regex.IGNORECASE),
        lead_label=regex.compile(rf"[ \t]*(?:[-+•][ \t]*)?{_alt(r['lead_labels'])}[ \t]*:[ \t]*", regex.IGNORECASE),
        support_label=regex.compile(rf"[ \t]*(?:[-+•][ \t]*)?{_alt(r['support_labels'])}[ \t]*:[ \t]*",
                                    regex.IGNORECASE),
        predicate_start=regex.compile(r"[ \t]*(?::|\p{Ll}|\()"),
        support_predicate=regex.compile(rf"[ \t]*:?[ \t]*{_alt(r['support_predicates'])}(?!\s+với)(?![\p{{L}}])",
                                        regex.IGNORECASE),
    )


# --------------------------------------------------------------------------------------------
# Who is responsible at a position
# --------------------------------------------------------------------------------------------

# Compiled once: these run per sentence, and the module-level ``regex`` functions pay a
# pattern-cache lookup on every call.
_CLAUSE_PUNCT = regex.compile(r"[,;:.]")
_OF_NEXT = regex.compile(r"[ \t]*của\b")  # "... của": the units are a possessor, not a subject
_PASSIVE_NEXT = regex.compile(r"[ \t]*được\b")
_LEADS_NEXT = regex.compile(r"[ \t]*chủ\s+trì")


def subject_units(text: str, s: int, e: int, *, heading: bool = False) -> tuple[list[UnitName], str | None]:
    """Units a sentence ``text[s:e]`` opens with, and the role its predicate gives them.

    The units must be followed by a predicate (a lower-case word, ":" or "(") — or, for a
    heading, by nothing. Returns ``([], None)`` when the sentence does not open with units.

    >>> t = "Phòng Hành chính - Quản trị tham mưu theo dõi"
    >>> [u.name for u in subject_units(t, 0, len(t))[0]], subject_units(t, 0, len(t))[1]
    (['Phòng Hành chính - Quản trị'], 'lead')
    >>> t = "Các sở, ngành phối hợp thực hiện"
    >>> subject_units(t, 0, len(t))[1]
    'support'
    """
    return _subject_units_from(text, s, content_start(text, s, e), e, heading)


def _subject_units_from(text: str, s: int, c: int, e: int, heading: bool) -> tuple[list[UnitName], str | None]:
    """``subject_units`` with the sentence's content start ``c`` already known."""
    units = match_unit_list(text, c, e)
    if not units:
        return [], None
    last = units[-1].end
    rest = text[last:e]
    if not rest.strip(" \t.;:,"):
        if heading or rest.strip() in (":", ""):
            return units, "lead"
        return [], None
    if heading and len(rest.split()) <= 3 and not _CLAUSE_PUNCT.search(rest.strip()):
        # "5. Trung tâm Dịch vụ tổng hợp": a heading that only names a unit; the grammar
        # stopped at a word that doubles as a verb ("tổng hợp")
        u = units[-1]
        end = e - (len(rest) - len(rest.rstrip(" \t.;:")))
        units[-1] = UnitName(u.start, end, text[u.start:end], canonical_name(text[u.start:end]), u.kind)
        return units, "lead"
    cues = _cues()
    if not cues.predicate_start.match(text, last, e) or _OF_NEXT.match(rest):
        return [], None
    if _PASSIVE_NEXT.match(rest):
        return [], None  # passive: "Cơ quan được đánh giá ..."
    role = "support" if cues.support_predicate.match(text, last, e) else "lead"
    return units, role


def _section_units(doc: Document, sec: Section) -> list[UnitName]:
    """Units a section's heading names as its subject ("1. Thủ trưởng các cơ quan, đơn vị")."""
    hs, he = heading_bounds(doc, sec)
    if he <= hs:
        return []
    s, e = sentence_bounds(doc.text, hs, hs, he)
    units, role = subject_units(doc.text, s, e, heading=(e >= he))
    if units and role == "lead":
        return units
    m = _cues().lead_initial.match(doc.text, hs, he) or _cues().lead_anywhere.match(doc.text, hs, he)
    if m:
        return match_unit_list(doc.text, m.end(), he)
    return []


def context_units(doc: Document, pos: int, lo: int | None = None) -> list[UnitName]:
    """Who is responsible for the text at ``pos``: the subject of its sentence, else of the
    list lead-in, else a "Giao X" before it in the sentence, else the nearest enclosing
    section heading that names units.

    >>> from pipeline.document import Document, OffsetMap, Section
    >>> t = "1. Thủ trưởng các cơ quan, đơn vị\\n- Báo cáo 6 tháng trước ngày 01/6."
    >>> doc = Document("d", "p", "s", "txt", t, OffsetMap(), len(t))
    >>> doc.sections = [Section(1, None, 2, "1", "Thủ trưởng các cơ quan, đơn vị", None, 0, len(t), 33)]
    >>> [u.name for u in context_units(doc, t.index("01/6"))]
    ['Thủ trưởng các cơ quan, đơn vị']
    """
    text = doc.text
    s, e = sentence_bounds(text, pos)
    units, role = subject_units(text, s, e)
    if units and role == "lead":
        return units
    li = lead_in_bounds(text, pos)
    if li:
        ls, le = li
        ss, se = sentence_bounds(text, ls, ls, le)
        units, role = subject_units(text, ss, se)
        if units and role == "lead":
            return units
    for m in _cues().lead_anywhere.finditer(text, s, pos):
        units = match_unit_list(text, m.end(), e)
        if units:
            return units
    ls, _ = line_bounds(text, pos)
    for sec in section_chain(doc, pos):
        if sec.start == ls and sec.heading_end >= pos:
            continue  # pos is in this section's own heading: the sentence rule applied
        units = _section_units(doc, sec)
        if units:
            return units
    return []


# --------------------------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------------------------

def _task_text(text: str, s: int, e: int) -> str | None:
    t = " ".join(text[content_start(text, s, e):e].split())
    if not t:
        return None
    return t if len(t) <= _TASK_MAX else t[:_TASK_MAX - 1].rstrip() + "…"


# The same few units ("Sở Nội vụ", "UBND các xã") are named again and again, in one plan
# and across plans; their key is a pure function of the name and the place.
_unit_key = lru_cache(maxsize=8192)(unit_key)


class _Collector:
    def __init__(self, doc: Document):
        self.doc = doc
        meta = doc.metadata
        self.province = getattr(meta, "province", None)
        self.commune = getattr(meta, "commune", None)
        self.out: list[Assignment] = []
        self.seen: set[tuple] = set()
        self.scan = _LongScan.of(doc.text, 0, len(doc.text), _cue_scan_setup()[1])
        # per document, not per line: what ``_prose`` reads for every line
        self.cues = _cues()
        self.initial_words = _cue_scan_setup()[0] if self.scan is not None else None
        self.starts = unit_start_words() if self.scan is not None else None
        self._cue_starts: list | None = None
        self._any_cue: list[int] = []  # all of them, merged: most lines hold none
        self._no_cue: list = []

    def line_cues(self, ls: int, le: int) -> list[list[int] | None]:
        """Per sentence cue (lead_anywhere, lead_do, support): where its leading words are
        in the line ``ls:le`` (None: not known, search every sentence)."""
        if self._cue_starts is None:
            cues, scan = _cues(), self.scan
            lits = [_pattern_literals(p) if scan is not None else None
                    for p in (cues.lead_anywhere, cues.lead_do, cues.support)]
            self._cue_starts = [None if ws is None else scan.candidates(ws) for ws in lits]
            self._any_cue = sorted(set().union(*(f for f in self._cue_starts if f is not None)))
            self._no_cue = [None if f is None else [] for f in self._cue_starts]  # not to be modified
        i = bisect.bisect_left(self._any_cue, ls)
        if i == len(self._any_cue) or self._any_cue[i] >= le:
            return self._no_cue
        out = []
        for found in self._cue_starts:
            if found is not None:
                i = bisect.bisect_left(found, ls)
                found = found[i:bisect.bisect_left(found, le, i)]
            out.append(found)
        return out

    def add(self, u: UnitName, role: str, task: str | None, source: str, row: int | None = None,
            section_pos: int | None = None) -> None:
        key = (u.start, u.end, role)
        if key in self.seen or not u.name:
            return
        self.seen.add(key)
        sec = section_at(self.doc, u.start if section_pos is None else section_pos)
        self.out.append(Assignment(
            start=u.start, end=u.end, raw=u.raw, unit=u.name, unit_kind=u.kind, role=role, task=task,
            source=source, section_id=sec.section_id if sec else None, row=row,
            unit_key=_unit_key(u.name, self.province, self.commune), province=self.province))


def _allowed(doc: Document, pos: int, has_sections: bool) -> bool:
    """Prose at ``pos`` may assign work: its top-level section is a task-like one. An
    unsegmented document (no labelled sections) is read whole."""
    return _allowed_run(doc, pos, has_sections)[0]


def _allowed_run(doc: Document, pos: int, has_sections: bool) -> tuple[bool, int]:
    """``_allowed(doc, pos, ...)`` and the end of the stretch from ``pos`` sharing the answer."""
    top, until = layout(doc).top_run(pos)
    if top is None:
        return not has_sections, until
    return top.label in ALLOWED_LABELS, until


@lru_cache(maxsize=1)
def _cue_scan_setup() -> tuple[tuple[str, ...] | None, frozenset[str]]:
    """Leading words of the "trách nhiệm của" cue (None: not known), and the characters
    that keep a lower-cased text from showing every cue word (or the first word of a unit
    name, ``unit_names.unit_start_words``) where IGNORECASE sees it."""
    cues = _cues()
    initial = _pattern_literals(cues.lead_initial)
    lits = [initial] + [_pattern_literals(p) for p in (cues.lead_anywhere, cues.lead_do, cues.support)]
    starts = unit_start_words()
    if starts is not None:
        lits.append([w for words in starts.values() for w in words])
    chars = frozenset(ch for ls in lits if ls is not None for lit in ls for ch in lit)
    return (None if initial is None else tuple(sorted(initial))), _unfoldable_chars(chars)


def _cue_hits(pat: regex.Pattern, text: str, s: int, e: int, starts: list[int] | None, scan) -> list:
    """``pat.finditer(text, s, e)`` for a cue, tried only where one of its leading words
    ``starts`` (those of the sentence's line; None: not known, search the sentence)."""
    if starts is None:
        return _prefiltered(pat, text, s, e, scan)
    out = []
    pos = s
    for c in starts:
        if c >= e:
            break
        if c >= pos:
            m = pat.match(text, c, e)
            if m is not None:
                out.append(m)
                pos = m.end() if m.end() > c else c + 1
    return out


def _prose(doc: Document, col: _Collector, ls: int, le: int, heading_end: int | None) -> None:
    text = doc.text
    cues = col.cues
    scan = col.scan
    initial_words = col.initial_words
    starts = col.starts
    anywhere, do, support = col.line_cues(ls, le)
    quiet_line = anywhere == [] and do == [] and support == []  # no cue word in the line
    for s, e in line_sentences(text, ls, le):
        has_colon = text.find(":", s, e) >= 0
        c = content_start(text, s, e)
        unit_here = starts is None or scan.folded.startswith(starts.get(scan.folded[c:c + 1], ()), c)
        # "Trách nhiệm của ...": its first words, looked up in the lower-cased document, rule
        # out most sentences without a regex call
        has_initial = initial_words is None or scan.folded.startswith(initial_words, c)
        if quiet_line and not (has_colon or unit_here or has_initial):
            continue  # no label, no unit opening it, no cue: most sentences of a plan
        # the task text is needed only when the sentence names a unit (a few in a hundred)
        sentence_task: list[str | None] = []

        def task() -> str | None:
            if not sentence_task:
                sentence_task.append(_task_text(text, s, e))
            return sentence_task[0]

        lead_here: list[UnitName] = []
        # label lines: "Đơn vị chủ trì: Sở Tài chính" (both labels end with a colon)
        m = has_colon and cues.lead_label.match(text, s, e)
        if m:
            for u in split_units(text, m.end(), e):
                col.add(u, "lead", task(), "text")
            continue
        m = has_colon and cues.support_label.match(text, s, e)
        if m:
            for u in split_units(text, m.end(), e):
                col.add(u, "support", task(), "text")
            continue
        is_heading = heading_end is not None and s == ls and e >= heading_end - 1
        if unit_here:
            units, role = _subject_units_from(text, s, c, e, is_heading)
        else:
            units, role = [], None  # no unit name starts here (most sentences open with a verb)
        for u in units:
            col.add(u, role, task(), "text")
        if role == "lead":
            lead_here += units
        m = has_initial and cues.lead_initial.match(text, c, e)
        if m:
            us = match_unit_list(text, m.end(), e)
            for u in us:
                col.add(u, "lead", task(), "text")
            lead_here += us
        for m in _cue_hits(cues.lead_anywhere, text, s, e, anywhere, scan) if anywhere != [] else ():
            us = match_unit_list(text, m.end(), e)
            if not us:
                continue
            after = us[-1].end
            if after < e and not cues.predicate_start.match(text, after, e):
                continue
            if _OF_NEXT.match(text[after:e]):
                continue
            for u in us:
                col.add(u, "lead", task(), "text")
            lead_here += us
        for m in _cue_hits(cues.lead_do, text, s, e, do, scan) if do != [] else ():
            us = match_unit_list(text, m.end(), e)
            if us and _LEADS_NEXT.match(text[us[-1].end:e]):
                for u in us:
                    col.add(u, "lead", task(), "text")
                lead_here += us
        for m in _cue_hits(cues.support, text, s, e, support, scan) if support != [] else ():
            us = match_unit_list(text, m.end(), e)
            if not us:
                continue
            if not (lead_here or context_units(doc, m.start())):
                continue  # "Phối hợp với Ủy ban MTTQ ..." with nobody assigned: not an assignment
            for u in us:
                col.add(u, "support", task(), "text")


def extract_assignments(doc: Document) -> list[Assignment]:
    """Every unit the plan makes lead or support, in text order (one record per mention).

    Evaluation compares distinct (unit, role) pairs; the records keep every mention so a
    unit's tasks and table rows can be listed.
    """
    text = doc.text
    col = _Collector(doc)
    has_sections = any(s.label not in (None, "preamble", "closing") for s in doc.sections if s.level == 1)
    heading_ends = {s.start: s.heading_end for s in doc.sections if s.level >= 2}
    pos = 0
    n = len(text)
    allowed, allowed_until = False, 0
    while pos < n:
        if pos >= allowed_until:
            allowed, allowed_until = _allowed_run(doc, pos, has_sections)
            if not allowed:
                # jump to the first line starting after the stretch (the situation report ...)
                nl = text.find("\n", allowed_until - 1)
                pos = n if nl < 0 else nl + 1
                continue
        le = text.find("\n", pos)
        le = n if le < 0 else le
        if le > pos and not is_table_line(text, pos):
            start = pos
            if doc.in_footnote(pos) and text.startswith("[^", pos):
                start = text.find(": ", pos, le) + 2 if text.find(": ", pos, le) > 0 else pos
            _prose(doc, col, start, le, heading_ends.get(pos))
        pos = le + 1
    for r in task_rows(doc):
        if not _allowed(doc, r.start, has_sections) and has_sections:
            continue
        task = r.task_text
        for field_name, role in (("lead", "lead"), ("support", "support")):
            cell = getattr(r, field_name)
            if cell is None or not cell.text.strip():
                continue
            for u in split_units(text, cell.start, cell.end):
                col.add(u, role, task, "table", row=r.number_int)
    col.out.sort(key=lambda a: (a.start, a.role))
    return col.out
