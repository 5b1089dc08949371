"""Appendix task tables ("phân công nhiệm vụ"): which column holds what, row by row.

Normalize renders every table as one ``| ... |`` line per logical row (continuation rows
from the next page merged into the row above, repeated headers dropped) and fills
``Document.tables``. Here the columns are recognised by their header words — "Đơn vị chủ
trì", "Đơn vị phối hợp", "Thời gian", "Nội dung" (``gazetteer/data/task_tables.json``) —
never by position, and each row becomes a ``TaskRow`` with its content, lead, support and
time cells (spans into the text).

>>> column_roles(["STT", "Nội dung trọng tâm", "Đơn vị chủ trì", "Đơn vị phối hợp thực hiện", "Thời gian, tiến độ thực hiện"])
{0: 'number', 1: 'content', 2: 'lead', 3: 'support', 4: 'time'}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass
from functools import lru_cache

import regex

from gazetteer import load

from .unit_names import government_tones

if TYPE_CHECKING:  # pipeline imports the extractors; import its types lazily
    from pipeline.document import Document, Table, TableCell

__all__ = ["TaskRow", "column_roles", "task_rows", "is_task_table"]

_TASK_MAX = 300


@dataclass(frozen=True)
class TaskRow:
    """One logical row of a task table, cells by role (None when the table lacks the column)."""

    table_id: int
    number: str | None
    start: int
    end: int
    content: TableCell | None
    lead: TableCell | None
    support: TableCell | None
    time: TableCell | None

    @property
    def number_int(self) -> int | None:
        """The row number as an int ("12" -> 12; "1.2" or "a" -> None)."""
        n = (self.number or "").strip().rstrip(".")
        return int(n) if n.isdigit() else None

    @property
    def task_text(self) -> str | None:
        if self.content is None:
            return None
        t = " ".join(self.content.text.split())
        if not t:
            return None
        return t if len(t) <= _TASK_MAX else t[:_TASK_MAX - 1].rstrip() + "…"


def _fold(s: str) -> str:
    return " ".join(government_tones(s).casefold().replace("\n", " ").split())


@lru_cache(maxsize=1)
def _columns() -> list[dict]:
    return load("task_tables")["columns"]


@lru_cache(maxsize=None)
def _keyword_pattern(keyword: str) -> regex.Pattern:
    """A header keyword as a whole word (compiled once per keyword: headers are many)."""
    return regex.compile(rf"(?<!\w){regex.escape(keyword)}(?!\w)")


def header_role(header: str) -> str | None:
    """Role of one header cell.

    >>> header_role("Đơn vị phối hợp thực hiện"), header_role("Thời hạn hoàn thành"), header_role("Đơn vị tính")
    ('support', 'time', None)
    """
    h = _fold(header).strip(" .:*")
    if not h:
        return None
    for col in _columns():
        for kw in col["keywords"]:
            if (h == kw) if col.get("exact") else _keyword_pattern(kw).search(h):
                return col["role"]
    return None


def column_roles(header: list[str]) -> dict[int, str]:
    """Column index -> role; each role goes to the first column that has it."""
    roles: dict[int, str] = {}
    taken: set[str] = set()
    for i, h in enumerate(header):
        r = header_role(h)
        if r and r not in taken:
            roles[i] = r
            taken.add(r)
    return roles


def is_task_table(roles: dict[int, str]) -> bool:
    """A task table assigns or schedules its rows: it has a lead or a time column, and a
    column saying what the task is."""
    vals = set(roles.values())
    return bool(vals & {"lead", "time"}) and "content" in vals


def _cell(cells: list[TableCell], roles: dict[int, str], role: str) -> TableCell | None:
    for i, r in roles.items():
        if r == role and i < len(cells):
            return cells[i]
    return None


def _subheader(cells: list[TableCell]) -> dict[int, str] | None:
    """A second header row ("| | | Chủ trì | Phối hợp | |") refining a merged header cell."""
    found = {}
    for i, c in enumerate(cells):
        t = c.text.strip()
        if not t:
            continue
        r = header_role(t)
        if r not in ("lead", "support", "time") or len(t) > 40:
            return None
        found[i] = r
    return found or None


def rows_of(table: Table) -> list[TaskRow]:
    """The task rows of one table ([] when it is not a task table)."""
    roles = column_roles(table.header)
    out: list[TaskRow] = []
    for k, row in enumerate(table.rows):
        if k == 0 or not out:
            sub = _subheader(row.cells)
            if sub:
                roles = {i: r for i, r in roles.items() if r not in sub.values()}
                roles.update(sub)
                continue
        if not is_task_table(roles):
            return []
        num_cell = _cell(row.cells, roles, "number")
        number = row.number or (num_cell.text.strip() if num_cell is not None and num_cell.text.strip() else None)
        out.append(TaskRow(table.table_id, number, row.start, row.end, _cell(row.cells, roles, "content"),
                           _cell(row.cells, roles, "lead"), _cell(row.cells, roles, "support"),
                           _cell(row.cells, roles, "time")))
    return out if is_task_table(roles) else []


def task_rows(doc: Document) -> list[TaskRow]:
    """Task rows of every task table of the document, in text order.

    Group rows ("| I | NHIỆM VỤ CHUNG | | | |") that assign and schedule nothing are kept:
    callers skip empty cells.
    """
    rows: list[TaskRow] = []
    for t in doc.tables:
        rows += rows_of(t)
    return rows
