"""Deadline values: year inference, calendar windows and the value strings of gold/SPEC.md.

Value formats (comparable across documents, sortable as text within a kind):

* absolute  ``2026-06-01`` (an impossible day such as 31/6 keeps its text, ``2026-06-31``,
  with no ``date``; an unknown year gives ``--06-01``)
* period    ``2026-Q3``, ``2026-Q3/2026-Q4``, ``2026-06``, ``2026-06/2026-07``, ``2026-H1``,
  ``2026``, ``2026/2027``, ``2026-06-01/2026-06-15`` (a day range)
* recurring ``monthly,quarterly``; a stated day: ``quarterly:day10-last-month``,
  ``monthly:day25``, ``annual:12-30``
* continuous ``continuous``; vague: a short gloss (``2026-year-end``)

>>> ctx = YearContext(plan_year=2026)
>>> ctx.resolve(6, 1), ctx.resolve(1, 15, explicit=2027)
(2026, 2027)
>>> quarter_window(2026, 3)
(datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

FREQ_ORDER = ("daily", "weekly", "monthly", "quarterly", "semiannual", "annual")
RRULES = {
    "daily": "FREQ=DAILY",
    "weekly": "FREQ=WEEKLY",
    "monthly": "FREQ=MONTHLY",
    "quarterly": "FREQ=MONTHLY;INTERVAL=3",
    "semiannual": "FREQ=MONTHLY;INTERVAL=6",
    "annual": "FREQ=YEARLY",
}

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


@dataclass(frozen=True)
class YearContext:
    """What a year-less date is resolved against: the plan year, else the issue date.

    A plan issued in December 2025 for 2026 has ``plan_year=2026``, so "trước ngày 15/01"
    is 2026-01-15. Without a plan year, a day-month takes the first year at which it is no
    more than a month before the issue date ("15/01" in a plan issued 2025-12-20 -> 2026).

    >>> YearContext(issue_date=dt.date(2025, 12, 20)).resolve(1, 15)
    2026
    >>> YearContext(issue_date=dt.date(2025, 12, 20)).resolve(12, 30)
    2025
    """

    plan_year: int | None = None
    issue_date: dt.date | None = None

    @property
    def year(self) -> int | None:
        """The year of the plan (for periods written without one)."""
        if self.plan_year:
            return self.plan_year
        return self.issue_date.year if self.issue_date else None

    def resolve(self, month: int, day: int | None = None, *, explicit: int | None = None,
                next_year: bool = False) -> int | None:
        if explicit:
            return explicit
        if self.plan_year:
            return self.plan_year + (1 if next_year else 0)
        if self.issue_date is None:
            return None
        y = self.issue_date.year + (1 if next_year else 0)
        if not next_year and 1 <= month <= 12:
            d = min(day or 1, calendar.monthrange(y, month)[1])
            if dt.date(y, month, d) < self.issue_date - dt.timedelta(days=31):
                y += 1
        return y


def roman_or_int(tok: str) -> int | None:
    """Quarter number from "III" or "3".

    >>> roman_or_int("IV"), roman_or_int("2"), roman_or_int("V")
    (4, 2, None)
    """
    t = tok.strip().upper()
    if t in _ROMAN:
        return _ROMAN[t]
    if t.isdigit() and 1 <= int(t) <= 4:
        return int(t)
    return None


def safe_date(y: int | None, m: int, d: int) -> dt.date | None:
    """``date(y, m, d)`` or None when the day does not exist (31/6) or the year is unknown."""
    if y is None:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def day_value(y: int | None, m: int, d: int) -> str:
    """ISO text of a day even when it does not exist, so the audit can show it.

    >>> day_value(2026, 6, 31), day_value(None, 6, 1)
    ('2026-06-31', '--06-01')
    """
    if y is None:
        return f"--{m:02d}-{d:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}"


def month_window(y: int, m: int) -> tuple[dt.date, dt.date]:
    return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])


def quarter_window(y: int, q: int) -> tuple[dt.date, dt.date]:
    return dt.date(y, 3 * q - 2, 1), month_window(y, 3 * q)[1]


def half_window(y: int, h: int) -> tuple[dt.date, dt.date]:
    return (dt.date(y, 1, 1), dt.date(y, 6, 30)) if h == 1 else (dt.date(y, 7, 1), dt.date(y, 12, 31))


def year_window(y: int) -> tuple[dt.date, dt.date]:
    return dt.date(y, 1, 1), dt.date(y, 12, 31)


def span_value(first: str, last: str) -> str:
    """``first`` alone, or ``first/last`` for a window of several units.

    >>> span_value("2026-Q3", "2026-Q4"), span_value("2026-06", "2026-06")
    ('2026-Q3/2026-Q4', '2026-06')
    """
    return first if first == last else f"{first}/{last}"


def quarters_value(y: int | None, quarters: list[int]) -> tuple[str, dt.date | None, dt.date | None]:
    """Value and window of one or more quarters of a year.

    >>> quarters_value(2026, [3, 4])[0]
    '2026-Q3/2026-Q4'
    """
    qs = sorted(set(quarters))
    label = (lambda q: f"{y}-Q{q}") if y else (lambda q: f"Q{q}")
    value = span_value(label(qs[0]), label(qs[-1]))
    if y is None:
        return value, None, None
    return value, quarter_window(y, qs[0])[0], quarter_window(y, qs[-1])[1]


def months_value(y: int | None, months: list[int], y_last: int | None = None) -> tuple[str, dt.date | None, dt.date | None]:
    """Value and window of one or more months (``y_last`` for "tháng 11/2025 - tháng 2/2026").

    >>> months_value(2025, [12])
    ('2025-12', datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))
    """
    ms = [m for m in months if 1 <= m <= 12]
    if not ms:
        return "", None, None
    y2 = y_last or y
    first, last = (ms[0], ms[-1]) if y_last else (min(ms), max(ms))
    label = (lambda yy, m: f"{yy}-{m:02d}") if y else (lambda yy, m: f"--{m:02d}")
    value = span_value(label(y, first), label(y2, last))
    if y is None:
        return value, None, None
    return value, month_window(y, first)[0], month_window(y2, last)[1]


def frequencies_value(freqs: list[str]) -> str:
    """Comma list of frequencies in calendar order, each once.

    >>> frequencies_value(["annual", "monthly", "quarterly", "monthly"])
    'monthly,quarterly,annual'
    """
    seen = {f for f in freqs if f in FREQ_ORDER}
    return ",".join(f for f in FREQ_ORDER if f in seen)


def frequencies_rrule(freqs: list[str]) -> str | None:
    """The RFC 5545 RRULE of a single frequency; None for a list (no one rule fits).

    >>> frequencies_rrule(["quarterly"]), frequencies_rrule(["monthly", "annual"])
    ('FREQ=MONTHLY;INTERVAL=3', None)
    """
    uniq = {f for f in freqs if f in RRULES}
    return RRULES[uniq.pop()] if len(uniq) == 1 else None
