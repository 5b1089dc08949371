"""Deadline extractor: every time limit or schedule a plan sets, linked to its task, the
responsible unit, the report type and the report's recipient.

Pipeline of one document:

1. prose, line by line (one paragraph per line in normalized text), through
   ``deadline_patterns.find_time_expressions`` — a cue is required there ("trước ngày",
   "chậm nhất", "trong quý", "Thời gian thực hiện:");
2. appendix task tables through ``task_tables``: the time column read as a cell (no cue
   needed), one deadline per row, or one per date when a cell lists several;
3. document-level traps removed: spans of cited instruments (their dates are issue dates,
   never deadlines) and "số .../... ngày ..." guards, the title and preamble, "Nơi nhận",
   situation reports, and dates more than a year before the plan (eligibility conditions,
   history) or periods that ended before it;
4. each deadline linked to its sentence / list item / table row (``task``), the unit
   responsible there (``units.context_units``: sentence subject, list lead-in, "Giao X",
   enclosing unit heading; the lead column for table rows), the report type named before
   it in its clause ("báo cáo 6 tháng", "Báo cáo quý:") and the recipient ("về UBND xã
   (qua phòng Văn hóa - Xã hội)").

Years: a date without one takes the plan year (``doc.metadata.plan_year``; a plan issued in
December 2025 for 2026 puts "trước ngày 15/01" on 2026-01-15), "năm sau" adds one.

>>> from pipeline.document import Document, OffsetMap
>>> t = "III. TỔ CHỨC THỰC HIỆN\\n1. Các cơ quan báo cáo về Sở Nội vụ trước ngày 05/6."
>>> doc = Document("d", "p", "s", "txt", t, OffsetMap(), len(t))
>>> [(d.raw, d.value, d.unit, d.recipient) for d in extract_deadlines(doc, plan_year=2026)]
[('trước ngày 05/6', '2026-06-05', 'Các cơ quan', 'Sở Nội vụ')]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import datetime as dt
from dataclasses import dataclass

import regex


from .deadline_context import (
    clause_start, content_start, is_table_line, layout, lead_in_bounds, section_at, sentence_bounds, top_section,
)
from .deadline_patterns import TimeExpr, find_time_expressions, frequencies_in, report_type_before
from .deadline_values import YearContext, frequencies_rrule, frequencies_value
from .task_tables import task_rows
from .unit_names import match_unit
from .units import context_units

if TYPE_CHECKING:  # pipeline imports the extractors; import its types lazily
    from pipeline.document import Document

__all__ = ["Deadline", "extract_deadlines", "year_context"]

# Top-level sections that set no schedules: the header/legal bases, reports of past results,
# the closing ("Nơi nhận", signature).
_SKIP_LABELS = frozenset({"preamble", "closing", "situation", "legal_basis", "scope"})
# Sections that state principles: a dated deadline there still counts, "thường xuyên" does not.
_PRINCIPLE_LABELS = frozenset({"purpose_requirements", "targets"})
_TASK_MAX = 300
_HISTORY = dt.timedelta(days=365)


@dataclass
class Deadline:
    """A time limit or schedule, with ``doc.text[start:end] == raw``."""

    start: int
    end: int
    raw: str
    kind: str
    value: str
    date: dt.date | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    recurrence: str | None = None
    report_type: str | None = None
    task: str | None = None
    unit: str | None = None
    recipient: str | None = None
    section_id: int | None = None
    row: int | None = None

    def to_row(self) -> dict:
        return {"start": self.start, "end": self.end, "raw": self.raw, "kind": self.kind, "value": self.value,
                "date": self.date, "period_start": self.period_start, "period_end": self.period_end,
                "recurrence": self.recurrence, "report_type": self.report_type, "task": self.task,
                "unit": self.unit, "recipient": self.recipient, "section_id": self.section_id, "row": self.row}


# --------------------------------------------------------------------------------------------
# Document context
# --------------------------------------------------------------------------------------------

_YEAR_IN_TITLE = regex.compile(r"năm\s+((?:19|20)\d\d)(?!\d)", regex.IGNORECASE)


def _as_date(v) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def year_context(doc: Document, plan_year: int | None = None) -> YearContext:
    """Plan year and issue date of a document: from its metadata, else the first "năm YYYY"
    of its header (the title states the plan year)."""
    meta = doc.metadata
    py = plan_year or getattr(meta, "plan_year", None)
    issue = _as_date(getattr(meta, "issue_date", None))
    if not py:
        header_end = next((s.start for s in doc.sections if s.level == 1 and s.label not in (None, "preamble")), 800)
        m = _YEAR_IN_TITLE.search(doc.text, 0, min(header_end, 1500))
        py = int(m.group(1)) if m else None
    return YearContext(plan_year=py, issue_date=issue)


# "số 635/KH-UBND ngày", "ban hành ngày": a date right after these is an instrument's issue date.
_SYMBOL_BEFORE = regex.compile(
    r"(?:\d+[\w.]*(?:/|-)[\p{Lu}Đ][\p{L}\d/&.\-]*[\s,]*(?:ngày|,)?\s*|(?:ban\s+hành|ký|thông\s+qua)\s+(?:ngày|vào\s+ngày)\s*)$")


class _Blocked:
    """Spans no deadline may overlap: cited instruments (mention spans)."""

    def __init__(self, citations):
        spans = []
        for c in citations or ():
            s = getattr(c, "start", None) if not isinstance(c, dict) else c.get("start")
            e = getattr(c, "end", None) if not isinstance(c, dict) else c.get("end")
            if s is not None and e is not None:
                spans.append((int(s), int(e)))
        self.spans = sorted(spans)

    def hits(self, s: int, e: int) -> bool:
        return any(a < e and s < b for a, b in self.spans)


def _symbol_guard(text: str, s: int) -> bool:
    ls = text.rfind("\n", 0, s) + 1
    return bool(_SYMBOL_BEFORE.search(text[max(ls, s - 60):s]))


def _label(doc: Document, pos: int) -> str | None:
    top = top_section(doc, pos)
    return top.label if top else None


# --------------------------------------------------------------------------------------------
# Linking
# --------------------------------------------------------------------------------------------

_RECIPIENT_CUE = regex.compile(
    r"(?<![\p{L}\p{N}])(?:gửi\s+(?:về\s+|cho\s+|đến\s+|tới\s+|lên\s+)?|về\s+|báo\s+cáo\s+(?:về\s+|lên\s+|cho\s+)?"
    r"|lên\s+|cho\s+|tới\s+)", regex.IGNORECASE)
_VIA = regex.compile(r"[ \t]*\((?:qua|thông\s+qua)\s[^()\n]*\)", regex.IGNORECASE)
_REPORT_WORD = regex.compile(r"báo\s+cáo", regex.IGNORECASE)


def _recipient_in(text: str, lo: int, hi: int) -> list[tuple[int, str]]:
    out = []
    for m in _RECIPIENT_CUE.finditer(text, lo, hi):
        u = match_unit(text, m.end(), hi)
        if u is None:
            continue
        end = u.end
        v = _VIA.match(text, end, hi)
        if v:
            end = v.end()
        out.append((m.start(), " ".join(text[u.start:end].split())))
    return out


def find_recipient(text: str, s: int, e: int, pos: int, lead_in: tuple[int, int] | None = None) -> str | None:
    """Where the report goes: the first "về/gửi/báo cáo <unit> (qua ...)" after ``pos`` in its
    sentence, else the last one before it, else the first in the list lead-in.

    >>> t = "báo cáo năm trước ngày 01/11 về UBND xã (qua phòng Văn hóa - Xã hội) tổng hợp báo cáo UBND tỉnh"
    >>> find_recipient(t, 0, len(t), 12)
    'UBND xã (qua phòng Văn hóa - Xã hội)'
    """
    found = _recipient_in(text, s, e)
    after = [r for p, r in found if p >= pos]
    if after:
        return after[0]
    before = [r for p, r in found if p < pos]
    if before:
        return before[-1]
    if lead_in:
        li = _recipient_in(text, *lead_in)
        if li:
            return li[0][1]
    return None


def _task_text(text: str, s: int, e: int) -> str | None:
    t = " ".join(text[content_start(text, s, e):e].split())
    if not t:
        return None
    return t if len(t) <= _TASK_MAX else t[:_TASK_MAX - 1].rstrip() + "…"


def _units_text(units) -> str | None:
    names = []
    for u in units:
        if u.name not in names:
            names.append(u.name)
    return "; ".join(names) or None


def _report_type(text: str, e: TimeExpr, lo: int, sent: tuple[int, int], lead_in) -> str | None:
    s, end = sent
    ctx = text[s:end] + (" " + text[lead_in[0]:lead_in[1]] if lead_in else "")
    if not _REPORT_WORD.search(ctx):
        return None
    rt = report_type_before(text, lo, e.start)
    if rt:
        return rt
    if e.kind == "recurring" and len(e.frequencies) == 1:
        return {"monthly": "monthly", "quarterly": "quarterly", "semiannual": "semiannual",
                "annual": "annual"}.get(e.frequencies[0])
    return None


def _link(doc: Document, e: TimeExpr, prev_end: int) -> Deadline:
    text = doc.text
    s, end = sentence_bounds(text, e.start)
    lead_in = lead_in_bounds(text, e.start)
    task = _task_text(text, s, end)
    if lead_in and task and len(task.split()) <= 12:
        task = f"{task} — {_task_text(text, *lead_in)}"
        if len(task) > _TASK_MAX:
            task = task[:_TASK_MAX - 1].rstrip() + "…"
    lo = max(clause_start(text, s, e.start), prev_end if s <= prev_end <= e.start else s)
    sec = section_at(doc, e.start)
    return Deadline(
        start=e.start, end=e.end, raw=e.raw, kind=e.kind, value=e.value, date=e.date,
        period_start=e.period_start, period_end=e.period_end, recurrence=e.recurrence,
        report_type=_report_type(text, e, lo, (s, end), lead_in), task=task,
        unit=_units_text(context_units(doc, e.start)), recipient=find_recipient(text, s, end, e.end, lead_in),
        section_id=sec.section_id if sec else None)


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------

def _too_old(e: TimeExpr, years: YearContext) -> bool:
    """History, not a deadline: an explicit date over a year before the plan, or a period that
    ended before the plan's year began."""
    refs = [d for d in (years.issue_date, dt.date(years.plan_year, 1, 1) if years.plan_year else None) if d]
    if not refs:
        return False
    ref = min(refs)
    if e.kind == "absolute" and e.date and e.explicit_year:
        return e.date < ref - _HISTORY
    if e.kind == "period" and e.period_end and e.explicit_year:
        return e.period_end < ref
    return False


def _keep_prose(doc: Document, e: TimeExpr, label: str | None, blocked: _Blocked, years: YearContext) -> bool:
    if blocked.hits(e.start, e.end) or _symbol_guard(doc.text, e.start):
        return False
    if label in _PRINCIPLE_LABELS and e.kind not in ("absolute", "period"):
        return False
    return not _too_old(e, years)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------

_CELL_RANK = {"absolute": 0, "period": 1, "recurring": 2, "continuous": 3, "vague": 5}


def _cell_rank(e: TimeExpr) -> int:
    return 4 if e.bare_periodic else _CELL_RANK[e.kind]


def _cell_deadlines(doc: Document, cell, years: YearContext, content) -> list[TimeExpr]:
    """One time cell -> its deadlines: each date when it lists several, else one deadline
    whose raw text is the whole cell ("Thường xuyên và theo đợt phát động ...")."""
    text = doc.text
    exprs = find_time_expressions(text, cell.start, cell.end, years=years, cell=True)
    if not exprs:
        return []
    dated = [x for x in exprs if x.kind in ("absolute", "period")]
    if len(dated) >= 2:
        return dated
    best = min(exprs, key=_cell_rank)
    if best.bare_periodic:
        freqs = frequencies_in(text, content.start, content.end) if content is not None else ()
        if freqs:
            best = TimeExpr(best.start, best.end, best.raw, "recurring", frequencies_value(list(freqs)),
                            recurrence=frequencies_rrule(list(freqs)), frequencies=freqs, cue=best.cue)
    raw = text[cell.start:cell.end]
    s = cell.start + (len(raw) - len(raw.lstrip()))
    e = cell.start + len(raw.rstrip())
    return [TimeExpr(s, e, text[s:e], best.kind, best.value, best.date, best.period_start, best.period_end,
                     best.recurrence, best.cue, best.explicit_year, best.frequencies, best.bare_periodic)]


def _table_deadlines(doc: Document, years: YearContext, blocked: _Blocked, skip) -> tuple[list[Deadline], set[int]]:
    from .unit_names import split_units

    out: list[Deadline] = []
    handled: set[int] = set()
    for r in task_rows(doc):
        handled.add(r.table_id)
        if r.time is None or not r.time.text.strip() or skip(r.start):
            continue
        unit = None
        if r.lead is not None and r.lead.text.strip():
            unit = _units_text(split_units(doc.text, r.lead.start, r.lead.end))
        sec = section_at(doc, r.start)
        for e in _cell_deadlines(doc, r.time, years, r.content):
            if blocked.hits(e.start, e.end):
                continue
            rt = None
            if r.content is not None and _REPORT_WORD.search(r.content.text):
                rt = report_type_before(doc.text, r.content.start, r.content.end) if e.kind != "recurring" else None
            out.append(Deadline(
                start=e.start, end=e.end, raw=e.raw, kind=e.kind, value=e.value, date=e.date,
                period_start=e.period_start, period_end=e.period_end, recurrence=e.recurrence,
                report_type=rt, task=r.task_text, unit=unit, recipient=None,
                section_id=sec.section_id if sec else None, row=r.number_int))
    return out, handled


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------

def _line_end(text: str, pos: int) -> int:
    le = text.find("\n", pos)
    return len(text) if le < 0 else le


def _prose_stretches(doc: Document, skip) -> list[tuple[int, int]]:
    """Spans of consecutive lines that are neither table rows nor in a section ``skip`` says
    sets no schedule (asked once per stretch of positions sharing a top-level section)."""
    text, n = doc.text, len(doc.text)
    lay = layout(doc)
    out: list[tuple[int, int]] = []

    def keep(lo: int, hi: int) -> None:
        if out and out[-1][1] + 1 == lo:
            lo = out.pop()[0]  # adjacent lines: one scan
        out.append((lo, hi))

    pos = 0
    while pos < n:
        _, until = lay.top_run(pos)
        last = _line_end(text, until - 1)  # end of the last line starting in [pos, until)
        if not skip(pos):
            # lines starting in [pos, until), table rows left out
            while pos < until:
                if is_table_line(text, pos):
                    pos = _line_end(text, pos) + 1
                    continue
                t = text.find("\n|", pos, last)
                stop = last if t < 0 else t
                keep(pos, stop)
                pos = stop + 1
        pos = last + 1
    return out


def extract_deadlines(doc: Document, citations=(), *, plan_year: int | None = None) -> list[Deadline]:
    """Every deadline of a document, in text order.

    ``citations`` are the citation records of the document (anything with ``start``/``end``);
    no deadline overlaps one. ``plan_year`` overrides the metadata's (tests).
    """
    text = doc.text
    years = year_context(doc, plan_year)
    blocked = _Blocked(citations)
    has_sections = any(s.label not in (None, "preamble", "closing") for s in doc.sections if s.level == 1)

    def skip(pos: int) -> bool:
        label = _label(doc, pos)
        return label in _SKIP_LABELS and (has_sections or label != "preamble")

    out, handled = _table_deadlines(doc, years, blocked, skip)
    # cells of other tables are prose
    for t in doc.tables:
        if t.table_id in handled:
            continue
        for row in t.rows:
            if skip(row.start):
                continue
            for cell in row.cells:
                for e in find_time_expressions(text, cell.start, cell.end, years=years):
                    if _keep_prose(doc, e, _label(doc, e.start), blocked, years):
                        out.append(_link(doc, e, -1))
    # prose: no pattern crosses a line, so scanning only the stretches of lines that are
    # read finds what one scan of the whole text would find on them
    prev_end, prev_line = -1, -1
    exprs = [e for lo, hi in _prose_stretches(doc, skip) for e in find_time_expressions(text, lo, hi, years=years)]
    for e in exprs:
        ls = text.rfind("\n", 0, e.start) + 1
        if ls != prev_line:
            prev_end, prev_line = -1, ls
        if _keep_prose(doc, e, _label(doc, ls), blocked, years):
            out.append(_link(doc, e, prev_end))
            prev_end = e.end
    out.sort(key=lambda d: d.start)
    return out
