"""Time expressions: the compiled patterns of the deadline extractor and what each match means.

``find_time_expressions`` reads a stretch of normalized text and returns ``TimeExpr``
records (span, kind, value, calendar window, RRULE). It decides what a *phrase* means and
whether the phrase, by its own words, sets a schedule:

* prose needs a cue — "trước ngày 05/6", "chậm nhất ngày ...", "trong quý III/2026",
  "Thời gian thực hiện: ..." — because a bare date in prose is almost always the issue
  date of a cited instrument or a reference point, and a bare "năm 2026" a title;
* "thường xuyên" counts only where it opens a clause ("Thường xuyên tổ chức kiểm tra"),
  a lone "hằng năm" only in a reporting context ("báo cáo hằng năm");
* "đến năm 2030" is a target horizon, "số liệu tính đến ngày" a reference point, and
  "thôi việc trước ngày 01/01/1995" an eligibility condition: none is a deadline;
* ``cell=True`` reads a table's time column, where no cue is needed.

Document-level rules (sections, cited instruments, the title, dates long before the plan)
are in ``extractors.deadlines``. The words come from ``gazetteer/data/deadlines.json``.

>>> ctx = YearContext(plan_year=2026)
>>> [(e.raw, e.kind, e.value) for e in find_time_expressions("báo cáo năm trước ngày 01/11 về UBND xã", years=ctx)]
[('trước ngày 01/11', 'absolute', '2026-11-01')]
>>> [(e.kind, e.value) for e in find_time_expressions("Quý III, IV/2026", years=ctx, cell=True)]
[('period', '2026-Q3/2026-Q4')]
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
import re
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import accumulate, count

import regex

from gazetteer import load

from .deadline_values import (
    YearContext, day_value, frequencies_rrule, frequencies_value, half_window, months_value,
    quarters_value, roman_or_int, safe_date, year_window,
)

__all__ = ["TimeExpr", "find_time_expressions", "frequencies_in", "YearContext"]


@dataclass(frozen=True)
class TimeExpr:
    """One time expression: its span in the text and its normalised meaning."""

    start: int
    end: int
    raw: str
    kind: str  # absolute / period / recurring / continuous / vague
    value: str
    date: dt.date | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    recurrence: str | None = None
    cue: str | None = None  # before / within / until / from / label / None
    explicit_year: bool = False
    frequencies: tuple[str, ...] = field(default=())
    bare_periodic: bool = False  # "định kỳ" with no frequency: the task text may say which


# --------------------------------------------------------------------------------------------
# Pattern assembly
# --------------------------------------------------------------------------------------------

_WS = r"[^\S\n]"  # whitespace within a line: normalized text has one paragraph per line


def _ws(pattern: str) -> str:
    """``\\s`` -> whitespace that never crosses a line (no pattern here uses ``\\s`` in a set)."""
    return pattern.replace(r"\s", _WS)


def _alt(phrases) -> str:
    items = sorted(set(phrases), key=lambda s: (-len(s), s))
    return "(?:" + "|".join(regex.escape(p).replace(r"\ ", r"\s+").replace(r"\,", ",") for p in items) + ")"


_B = r"(?<![\p{L}\p{N}])"  # word start
_E = r"(?![\p{L}\p{N}])"  # word end
_ROMAN_Q = r"(?:IV|III|II|I|[1-4])(?![\p{L}\d])"
_YEAR = r"(?:19|20)\d\d"

_DAY_NUM = rf"(?P<d>\d{{1,2}})\s*/\s*(?P<m>\d{{1,2}})(?:\s*/\s*(?P<y>{_YEAR}))?(?![\d/])"
_DAY_DOT = rf"(?P<d>\d{{1,2}})[.\-](?P<m>\d{{1,2}})[.\-](?P<y>{_YEAR})(?!\d)"
_DAY_LONG = rf"(?P<d>\d{{1,2}})\s+tháng\s+(?P<m>\d{{1,2}})(?:\s*,?\s*(?:năm\s+|/\s*)(?P<y>{_YEAR}))?(?!\d)"
_NEXT_YEAR = r"(?P<next>\s+(?:của\s+)?năm\s+(?:sau|tiếp\s+theo|kế\s+tiếp))?"


@dataclass(frozen=True)
class _Patterns:
    prefix: regex.Pattern
    absolute: regex.Pattern
    day_range: regex.Pattern
    month_range: regex.Pattern
    year_range: regex.Pattern
    period: regex.Pattern
    cell_year: regex.Pattern
    recurring: regex.Pattern
    bare_periodic: regex.Pattern
    continuous: regex.Pattern
    day_rules: tuple[tuple[regex.Pattern, dict], ...]
    vague: tuple[tuple[regex.Pattern, dict], ...]
    report_types: tuple[tuple[regex.Pattern, str], ...]
    conditions: regex.Pattern
    references: regex.Pattern
    ranges: regex.Pattern
    freq_words: dict[str, str]


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    d = load("deadlines")
    cues = d["cues"]
    cue = (rf"(?:(?P<before>{_alt(cues['before']['phrases'])})|(?P<within>{_alt(cues['within']['phrases'])})"
           rf"|(?P<until>{_alt(cues['until']['phrases'])})|(?P<from>từ))\s+")
    label = rf"(?P<label>{cues['labels']['pattern']})"
    expect = rf"(?:(?P<expect>{_alt(cues['expected']['phrases'])})\s+)?"
    flags = regex.IGNORECASE | regex.V0

    def _c(pattern: str, fl: int) -> regex.Pattern:
        return regex.compile(_ws(pattern), fl)

    # Cores start at their own distinctive token; the cue or label before them is read
    # leftwards by ``prefix`` (an optional prefix on every core made every position costly).
    prefix = _c(rf"{_B}(?:{label})?{expect}(?:{cue})?$", flags)
    absolute = _c(rf"{_B}(?P<ngay>ngày\s+)?(?:{_DAY_LONG}|{_DAY_NUM}|{_DAY_DOT}){_NEXT_YEAR}", flags)
    d1 = (rf"(?:(?P<d1>\d{{1,2}})\s*/\s*(?P<m1>\d{{1,2}})(?:\s*/\s*(?P<y1>{_YEAR}))?"
          rf"|(?P<d1>\d{{1,2}})\s+tháng\s+(?P<m1>\d{{1,2}})(?:\s+năm\s+(?P<y1>{_YEAR}))?)")
    d2 = (rf"(?:(?P<d2>\d{{1,2}})\s*/\s*(?P<m2>\d{{1,2}})(?:\s*/\s*(?P<y2>{_YEAR}))?(?![\d/])"
          rf"|(?P<d2>\d{{1,2}})\s+tháng\s+(?P<m2>\d{{1,2}})(?:\s+năm\s+(?P<y2>{_YEAR}))?(?!\d))")
    day_range = _c(
        rf"{_B}(?P<from>từ)\s+(?:sau\s+)?(?:ngày\s+)?{d1}\s*(?:đến|tới|-)\s*(?:hết\s+)?(?:ngày\s+)?{d2}", flags)
    month_range = _c(
        rf"{_B}(?P<from>từ)\s+tháng\s+(?P<m1>\d{{1,2}})(?:\s*(?:/|năm)\s*(?P<y1>{_YEAR}))?"
        rf"\s*(?:đến|tới|-)\s*(?:hết\s+)?tháng\s+(?P<m2>\d{{1,2}})(?:\s*(?:/|năm)\s*(?P<y2>{_YEAR}))?(?![\d/])", flags)
    year_range = _c(
        rf"{_B}(?P<from>từ)\s+năm\s+(?P<y1>{_YEAR})\s*(?:đến|tới|-)\s*(?:hết\s+)?(?:năm\s+)?(?P<y2>{_YEAR})(?!\d)", flags)
    halves = d["halves"]
    quarters = (rf"quý\s+(?P<q>{_ROMAN_Q})(?:\s*(?:,|-|và|đến|hoặc|&)\s*(?:quý\s+)?(?P<q>{_ROMAN_Q}))*"
                rf"(?:\s*(?:/|,?\s*năm)\s*(?P<y>{_YEAR}))?(?![\d/])")
    months = (rf"tháng\s+(?P<mo>\d{{1,2}})(?!\d)(?:\s*(?:,|-|và|đến)\s*(?:tháng\s+)?(?P<mo>\d{{1,2}})(?!\d))*"
              rf"(?:\s*(?:/|năm)\s*(?P<y>{_YEAR}))?(?![\d/])")
    half = (rf"(?:(?P<h1>{_alt(halves['first'])})|(?P<h2>{_alt(halves['second'])}))"
            rf"(?:\s+(?P<y>{_YEAR}))?")
    year = rf"năm\s+(?P<y>{_YEAR})(?:\s*-\s*(?P<y2>{_YEAR}))?(?!\d)"
    period = _c(
        rf"{_B}(?:(?P<edge>cuối|đầu|giữa)\s+)?(?:(?P<quarter>{quarters})|(?P<month>{months})|(?P<half>{half})"
        rf"|(?P<year>{year}))", flags)
    cell_year = _c(
        rf"\s*(?:(?:trong\s+)?năm\s+)?(?P<y>{_YEAR})(?:\s*-\s*(?P<y2>{_YEAR}))?\s*|\s*(?P<this>(?:trong|cả)\s+năm)\s*",
        flags)

    fr = d["frequencies"]
    freq_words = {}
    for u in fr["units"]:
        for w in u["words"]:
            freq_words[w] = u["value"]
    unit_alts = []
    for w in sorted(freq_words, key=lambda s: (-len(s), s)):
        pat = regex.escape(w).replace(r"\ ", r"\s+")
        if w in ("tháng", "năm", "ngày"):
            pat += r"(?!\s*\d)"
        if w == "quý":
            pat += rf"(?!\s+{_ROMAN_Q})"
        unit_alts.append(pat)
    freq = rf"(?P<f>{'|'.join(unit_alts)}){_E}"
    mark = rf"{_alt(fr['markers'])}\s+"
    per = _alt(fr["periodic"])
    recurring = _c(
        rf"{_B}(?:(?P<per>{per})\s*,?\s*(?:{mark})?|(?P<mark>{mark})){freq}"
        rf"(?:\s*(?:,|và|hoặc|/)\s*(?:{mark})?{freq})*", flags)
    bare_periodic = _c(
        rf"{_B}(?P<per>{per}){_E}(?!\s*,?\s*(?:{mark}|{'|'.join(unit_alts)}))", flags)
    continuous = _c(rf"{_B}(?P<c>{_alt(d['continuous']['phrases'])}){_E}", flags)

    rules = []
    for r in d["day_rules"]["rules"]:
        rules.append((_c(rf"{_B}ngày\s+(?P<day>\d{{1,2}})\s*(?:{r['pattern']})", flags), r))
    unit_tail = r"(?:(?!\s(?:đảm\s+bảo|bảo\s+đảm|để|nhằm)\s)[^,.;:\n(|])+"
    vague = []
    for v in d["vague"]["entries"]:
        pat = v["pattern"].replace("{UNIT}", unit_tail)
        vague.append((_c(rf"{_B}(?P<v>{pat})", flags), v))
    report_types = tuple((_c(rf"{_B}(?:{e['pattern']}){_E}", flags), e["value"])
                         for e in d["report_types"]["entries"])
    bl = d["blockers"]
    conditions = regex.compile(rf"{_B}{_alt(bl['conditions']['phrases'])}(?:\s+từ)?\s*$", flags)
    references = regex.compile(rf"{_B}{_alt(bl['reference']['phrases'])}\s*$", flags)
    ranges = regex.compile(rf"{_B}{_alt(bl['ranges']['phrases'])}\s*$", flags)
    return _Patterns(prefix, absolute, day_range, month_range, year_range, period, cell_year, recurring, bare_periodic, continuous,
                     tuple(rules), tuple(vague), report_types, conditions, references, ranges, freq_words)


# --------------------------------------------------------------------------------------------
# Interpretation of matches
# --------------------------------------------------------------------------------------------

_PREFIX_GROUPS = frozenset({"label", "expect", "before", "within", "until", "from"})


class _Hit:
    """A core match joined with the cue/label read leftwards from its start; behaves like a
    ``regex.Match`` for the interpreters below."""

    __slots__ = ("m", "pre", "_gd")

    def __init__(self, m: regex.Match, pre: regex.Match | None):
        self.m = m
        self.pre = pre if pre is not None and pre.end() > pre.start() else None
        self._gd: dict | None = None

    def group(self, name):
        if name in _PREFIX_GROUPS and name not in self.m.re.groupindex:
            return self.pre.group(name) if self.pre else None
        return self.m.group(name)

    def groupdict(self) -> dict:
        """The groups of both matches (built once: each hit is read several times; not to be
        modified)."""
        if self._gd is None:
            d = dict(self.pre.groupdict()) if self.pre else {}
            d.update({k: v for k, v in self.m.groupdict().items() if v is not None or k not in d})
            self._gd = d
        return self._gd

    def captures(self, name):
        return self.m.captures(name)

    def start(self, name=None) -> int:
        if name is None:
            return self.pre.start() if self.pre else self.m.start()
        if self.pre and name in _PREFIX_GROUPS and name not in self.m.re.groupindex:
            return self.pre.start(name)
        return self.m.start(name)

    def end(self, name=None) -> int:
        if name is None:
            return self.m.end()
        if self.pre and name in _PREFIX_GROUPS and name not in self.m.re.groupindex:
            return self.pre.end(name)
        return self.m.end(name)


def _hits(pat: regex.Pattern, text: str, start: int, end: int, p: "_Patterns", scan: "_LongScan | None" = None):
    """Matches of ``pat`` with the cue/label before each; ``scan`` (a long range) enables the
    literal prefilter."""
    starts = _prefix_starts(p.prefix) if scan is not None else None
    for m in _prefiltered(pat, text, start, end, scan):
        ls = max(start, text.rfind("\n", 0, m.start()) + 1)
        lo, hi = max(ls, m.start() - 70), m.start()
        if starts is None:
            yield _Hit(m, p.prefix.search(text, lo, hi))
        else:
            yield _Hit(m, _prefix_at(p.prefix, text, lo, hi, scan.folded, starts))


def _prefix_at(prefix: regex.Pattern, text: str, lo: int, hi: int, folded: str,
               starts: re.Pattern) -> regex.Match | None:
    """``prefix.search(text, lo, hi)`` where it matters: a non-empty prefix starts with one of
    its literals, so trying where ``starts`` finds one in the lower-cased text, left to right,
    finds the same leftmost match; when none matches the search could only find the empty
    "no cue" match (None here, which ``_Hit`` treats alike)."""
    for s in starts.finditer(folded, lo, hi):
        found = prefix.match(text, s.start(), hi)
        if found is not None:
            return found
    return None


@lru_cache(maxsize=None)
def _prefix_starts(prefix: regex.Pattern) -> re.Pattern | None:
    """Where one of the prefix's literals starts (overlaps included), as a plain-string
    pattern for the lower-cased text: the few characters before each match are searched
    rather than the whole text for every cue word. None when the literals are not known."""
    lits = _prefix_literals(prefix)
    if not lits or not _DIGIT_TOKENS.isdisjoint(lits):
        return None
    return re.compile("(?=" + "|".join(re.escape(lit) for lit in sorted(lits, key=lambda s: (-len(s), s))) + ")")


def _cue_of(m) -> str | None:
    gd = m.groupdict()
    for name in ("before", "within", "until", "from"):
        if gd.get(name):
            return name
    if gd.get("label"):
        return "label"
    return "expected" if gd.get("expect") else None


def _raw_start(m) -> int:
    """Raw text starts after the label, at "dự kiến" or the cue."""
    if m.groupdict().get("label"):
        return m.end("label")
    return m.start()


def _to_end(cue_text: str | None) -> bool:
    """"đến hết quý III" / "đến tháng 6": the window's end is the deadline."""
    if not cue_text:
        return False
    c = cue_text.casefold()
    return "hết" in c or c.strip() in ("đến", "tới", "cho đến")


def _expr(text: str, s: int, e: int, **kw) -> TimeExpr:
    return TimeExpr(s, e, text[s:e], **kw)


def _absolute(text: str, m: regex.Match, years: YearContext) -> TimeExpr | None:
    d, mo = int(m.group("d")), int(m.group("m"))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    y_text = m.group("y")
    y = years.resolve(mo, d, explicit=int(y_text) if y_text else None, next_year=bool(m.group("next")))
    return _expr(text, _raw_start(m), m.end(), kind="absolute", value=day_value(y, mo, d),
                 date=safe_date(y, mo, d), cue=_cue_of(m), explicit_year=bool(y_text))


def _period(text: str, m: regex.Match, years: YearContext) -> TimeExpr | None:
    y_text = m.group("y")
    y = int(y_text) if y_text else years.year
    cue = _cue_of(m)
    if m.group("quarter"):
        qs = [q for q in (roman_or_int(t) for t in m.captures("q")) if q]
        if not qs:
            return None
        value, ps, pe = quarters_value(y, qs)
    elif m.group("month"):
        ms = [int(t) for t in m.captures("mo")]
        if not all(1 <= x <= 12 for x in ms):
            return None
        value, ps, pe = months_value(y, ms)
    elif m.group("half"):
        h = 1 if m.group("h1") else 2
        value = f"{y}-H{h}" if y else f"H{h}"
        ps, pe = half_window(y, h) if y else (None, None)
    else:
        y1 = int(m.group("y"))
        y2 = int(m.group("y2")) if m.group("y2") else y1
        if y2 < y1:
            return None
        value = str(y1) if y2 == y1 else f"{y1}/{y2}"
        ps, pe = year_window(y1)[0], year_window(y2)[1]
        y = y1
    edge = (m.group("edge") or "").strip().casefold()
    if m.group("year") and edge == "cuối":
        return _expr(text, _raw_start(m), m.end(), kind="vague", value=f"{y}-year-end", cue=cue,
                     explicit_year=True)
    cue_text = next((m.group(n) for n in ("before", "within", "until") if m.groupdict().get(n)), None)
    if cue == "before" and ps:
        return _expr(text, _raw_start(m), m.end(), kind="absolute", value=ps.isoformat(), date=ps, cue=cue,
                     explicit_year=bool(y_text))
    if cue in ("within", "until") and _to_end(cue_text) and pe:
        return _expr(text, _raw_start(m), m.end(), kind="absolute", value=pe.isoformat(), date=pe, cue=cue,
                     explicit_year=bool(y_text))
    return _expr(text, _raw_start(m), m.end(), kind="period", value=value, period_start=ps, period_end=pe,
                 cue=cue, explicit_year=bool(y_text))


_SPACES = regex.compile(r"\s+")


def _recurring(text: str, m: regex.Match, p: _Patterns) -> TimeExpr:
    freqs = [p.freq_words.get(_SPACES.sub(" ", f.casefold()), "") for f in m.captures("f")]
    value = frequencies_value(freqs)
    return _expr(text, _raw_start(m), m.end(), kind="recurring", value=value,
                 recurrence=frequencies_rrule(freqs), cue=_cue_of(m),
                 frequencies=tuple(f for f in freqs if f))


def _day_rule(text: str, m: regex.Match, rule: dict) -> TimeExpr | None:
    day = int(m.group("day"))
    month = m.groupdict().get("month")
    fmt = {"day": day}
    if month:
        fmt["month"] = int(month)
        if not 1 <= int(month) <= 12:
            return None
    if not 1 <= day <= 31:
        return None
    value = rule["value"].format(**fmt)
    freq = value.split(":")[0]
    return _expr(text, _raw_start(m), m.end(), kind="recurring", value=value,
                 recurrence=rule["rrule"].format(**fmt), cue=_cue_of(m), frequencies=(freq,))


# --------------------------------------------------------------------------------------------
# Context tests on the words around a match
# --------------------------------------------------------------------------------------------

_MARKER_TAIL = r"[ \t]*(?:[-+•][ \t]*|\d+(?:\.\d+)*[.)][ \t]*|[a-zđ][.)][ \t]*)?$"
_CLAUSE_START = regex.compile(r"(?:^|[.;:!?(]|\|)" + _MARKER_TAIL, regex.MULTILINE)  # window starts at the line start
_CLAUSE_START_MID = regex.compile(r"(?:[.;:!?(]|\|)" + _MARKER_TAIL)
_REPORTING = regex.compile(r"(?:báo\s+cáo|họp|giao\s+ban|sơ\s+kết|tổng\s+kết|kiểm\s+tra|tổng\s+hợp|gửi|cập\s+nhật)"
                           r"(?:\s+\S+){0,2}\s*$", regex.IGNORECASE)


def _left(text: str, s: int, lo: int, n: int = 60) -> str:
    """Up to ``n`` characters before ``s`` on the same line."""
    left = text[max(lo, s - n):s]
    nl = left.rfind("\n")
    return left[nl + 1:] if nl >= 0 else left


def clause_initial(text: str, s: int, lo: int = 0) -> bool:
    """True when ``s`` opens a clause: line start (after a list marker), or after . ; : (

    >>> clause_initial("vũ trang. Thường xuyên tổ chức", 10), clause_initial("triển khai thường xuyên", 11)
    (True, False)
    """
    if s == lo:
        return True
    ls = max(lo, text.rfind("\n", 0, s) + 1)
    w0 = max(ls, s - 12)
    pat = _CLAUSE_START if w0 == ls else _CLAUSE_START_MID
    return bool(pat.search(text, w0, s))


def _in_parens(text: str, s: int, e: int) -> bool:
    return text[max(0, s - 1):s] == "(" and text[e:e + 1] == ")"


_LOWER_WORD_NEXT = regex.compile(r"[ \t]*,?[ \t]*\p{Ll}")
_NOT_A_VERB = regex.compile(r"[ \t]*,?[ \t]*(?:từ|trong|của|và|với|đến|qua)(?![\p{L}])")


def _followed_by_verb(text: str, e: int, hi: int) -> bool:
    """"Thường xuyên tổ chức ...", not "liên tục từ năm 2020" (a duration)."""
    if _NOT_A_VERB.match(text, e, hi):
        return False
    return bool(_LOWER_WORD_NEXT.match(text[e:min(hi, e + 4)]))


# --------------------------------------------------------------------------------------------
# Literal prefilter for long scans
# --------------------------------------------------------------------------------------------
# ``finditer`` over a whole document tries every position, and the word-start lookbehind
# plus IGNORECASE keeps the regex engine from skipping ahead: scanning the full text costs
# far more than matching. Every core pattern starts (after zero-width assertions) with one of
# a few literal words ("quý", "tháng", "định", ...), so on a long range we find those words
# with ``str.find`` in a lower-cased copy and try ``pattern.match`` only there. The matches
# are exactly ``finditer``'s: same leftmost positions, same resumption after each match
# (lookbehinds see the text before ``pos`` in both). Where a pattern's leading literals
# cannot be read, or lower-casing would not mirror IGNORECASE, the plain scan is used.
# Refinements, each keeping the candidates a superset of the match starts: a date starts
# at a run of digits after a word break (``_DIGIT_RUN``), a day number at a run of one or
# two digits followed by "/", by "." or "-" and a digit, or by blanks and "/" or "tháng"
# (``_SHORT_RUN``); "định" counts only followed by blanks and "kỳ" when every pattern says
# so (``join``), and such a pair is found from its second word when that word is looked up
# anyway (``_backward_joins``); patterns sharing words are tried through one alternation
# first (``_gates``); the cue before a match is looked for in the few characters before it
# (``_prefix_starts``).

_PREFILTER_MIN_CHARS = 200  # below this (table cells) the plain scan is already cheap
# Not a literal (literals never hold a backslash): "the first digit of a run of digits".
_DIGIT_RUN = r"\d"
# Not a literal either: "the first digit of a run of one or two digits followed by '/', '.' or
# '-' and a digit, blanks and '/', or blanks and 'tháng'" (a day: "05/6", "5 tháng 6", "05.6.2026").
_SHORT_RUN = r"\d{1,2}"
_DIGIT_TOKENS = frozenset({_DIGIT_RUN, _SHORT_RUN})
# What ``\d{1,2}`` at a word start must be followed by for the match to start at a
# ``_SHORT_RUN`` (none starts with a digit, so the digits are the whole run).
_MONTH_WORD = "tháng"
_SHORT_RUN_TAILS = (_WS + "*/", _WS + "+" + _MONTH_WORD, r"[.\-]")
_DIGITS = regex.compile(r"\d+")
# The ``_SHORT_RUN`` positions, read in the lower-cased text (digits have no case).
_SHORT_RUNS = regex.compile(rf"(?<!\d)\d{{1,2}}(?=/|[.\-]\d|{_WS}+(?:/|{_MONTH_WORD}))")
_META = set("\\()[]{}?*+|.^$")


def _split_top(pattern: str, sep: str = "|") -> list[str] | None:
    """``pattern`` split on top-level ``sep``; None if brackets do not balance."""
    parts, depth, in_set, i, last = [], 0, False, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_set:
            in_set = c != "]"
        elif c == "[":
            in_set = True
            if pattern[i + 1:i + 2] == "]" or pattern[i + 1:i + 3] == "^]":
                return None  # a set starting with "]": not worth reading
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return None
        elif c == sep and depth == 0:
            parts.append(pattern[last:i])
            last = i + 1
        i += 1
    if depth or in_set:
        return None
    parts.append(pattern[last:])
    return parts


def _group_end(pattern: str, i: int) -> int | None:
    """Index just past the ``)`` closing the group opened at ``pattern[i]``."""
    depth, in_set = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_set:
            in_set = c != "]"
        elif c == "[":
            in_set = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _leading_literals(pattern: str, nonempty: bool = False, word_start: bool = False,
                      join: bool = False) -> frozenset[str] | None:
    """Literal strings one of which every match of ``pattern`` starts with (lower-cased), or
    None when that cannot be read safely. Conservative: any construct it does not know
    gives None. ``nonempty``: only non-empty matches count (an empty tail adds nothing).
    ``word_start``: the match is known to start a word (after ``_B``), so a leading digit
    can only be the first of a run of digits: the ``_DIGIT_RUN`` token stands for those.
    ``join``: a literal followed by blanks and a second literal ("định kỳ") is read as
    both, joined by ``_BLANKS_JOIN`` (see ``_LongScan.literal_positions``)."""
    if nonempty and not pattern:
        return frozenset()
    alts = _split_top(pattern)
    if alts is None:
        return None
    if len(alts) > 1:
        out: set[str] = set()
        for a in alts:
            lits = _leading_literals(a, nonempty, word_start, join)
            if lits is None:
                return None
            out |= lits
        return frozenset(out)
    if pattern.startswith("("):
        close = _group_end(pattern, 0)
        if close is None:
            return None
        head, rest = pattern[:close], pattern[close:]
        if head.startswith(("(?<!", "(?<=", "(?!", "(?=")):
            # zero-width: the match starts with what follows
            return _leading_literals(rest, nonempty, word_start or head == _B, join)
        if head.startswith("(?P<"):
            inner = head[head.index(">") + 1:-1]
        elif head.startswith("(?:"):
            inner = head[3:-1]
        else:
            return None  # flags, plain groups, ...: not needed here
        if rest[:1] in ("?", "*"):
            opt = inner
            if join and rest[:1] == "?" and len(_split_top(inner) or ()) == 1:
                # with the group, the match is the group's then the rest's: a join may span
                # both ("(?:ngày\s+)?\d{1,2}/..." -> "ngày", blanks, a day number)
                opt = inner + rest[1:].lstrip("?+")
            first = _leading_literals(opt, nonempty, word_start, join)
            after = _leading_literals(rest[1:].lstrip("?+"), nonempty, word_start, join)
            return None if first is None or after is None else first | after
        if rest[:1] == "{":
            return None  # may repeat zero times
        if word_start and inner == _SHORT_RUN and _short_run_tail(rest):
            return frozenset({_SHORT_RUN})
        alts = _split_top(inner)
        if join and len(alts) > 1 and not any(_META.intersection(a) for a in alts):
            # a choice of words, then the rest: each word may join what follows ("khi"/"theo",
            # blanks, "yêu cầu")
            out = set()
            for a in alts:
                lits = _leading_literals(a + rest, nonempty, word_start, join)
                if lits is None:
                    return None
                out |= lits
            return frozenset(out)
        # a required group: the match starts with its match
        return _leading_literals(inner, word_start=word_start, join=join)
    if word_start and pattern.startswith(r"\d") and pattern[2:3] not in ("?", "*") \
            and not pattern.startswith((r"\d{0", r"\d{,")):
        return frozenset({_DIGIT_RUN})
    lit, n = _literal_prefix(pattern)
    if not lit:
        return None
    if join and pattern.startswith(_BLANK_RUN, n):
        # after blanks a word starts: a digit there is the first of its run
        seconds = _leading_literals(pattern[n + len(_BLANK_RUN):], word_start=True)
        if seconds and all(w and w[0] not in _blank_chars() for w in seconds):  # the blanks end there
            return frozenset(lit + _BLANKS_JOIN + w for w in seconds)
    return frozenset({lit})


def _short_run_tail(rest: str) -> bool:
    """Whether ``rest``, following ``\\d{1,2}`` at a word start, starts with one of
    ``_SHORT_RUN_TAILS`` (its last character not made optional), "." or "-" followed by digits."""
    for tail in _SHORT_RUN_TAILS:
        if rest.startswith(tail) and rest[len(tail):len(tail) + 1] not in ("?", "*", "{"):
            if tail != r"[.\-]":
                return True
            # after "." a digit starts a run, as at a word start
            digits = _leading_literals(rest[len(tail):], word_start=True)
            return bool(digits) and digits <= _DIGIT_TOKENS
    return False


def _literal_prefix(pattern: str) -> tuple[str, int]:
    """The literal characters ``pattern`` starts with (lower-cased; "" when none or when
    lower-casing changes their length) and where they end in ``pattern``."""
    n = 0
    while n < len(pattern) and pattern[n] not in _META:
        n += 1
    if n < len(pattern) and pattern[n] in "?*{":
        n -= 1  # the last character is optional (or repeated zero times)
    lit = pattern[:n]
    if not lit or len(lit.lower()) != len(lit):
        return "", n
    return lit.lower(), n


_BLANK_RUN = _WS + "+"
# Joins the two words of a literal read across ``_BLANK_RUN``; a literal never holds it.
_BLANKS_JOIN = "\x00"


@lru_cache(maxsize=1)
def _bmp() -> str:
    """Every character of the Basic Multilingual Plane, in order (surrogates included).

    Built once: the character tables below scan it, and building it with ``chr`` each time
    took ~10 ms of a worker's start.

    >>> s = _bmp(); len(s), s[65], s[0xD800] == chr(0xD800)
    (65536, 'A', True)
    """
    import array

    codes = array.array("I", range(0x10000))
    if codes.itemsize != 4:  # pragma: no cover - a platform with 2-byte ints
        return "".join(map(chr, range(0x10000)))
    return codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be", "surrogatepass")


@lru_cache(maxsize=1)
def _blank_chars() -> frozenset[str]:
    """Every character ``_WS`` matches (white space lies in the BMP)."""
    return frozenset(regex.findall(_WS, _bmp()))


@lru_cache(maxsize=None)
def _pattern_literals(pat: regex.Pattern) -> frozenset[str] | None:
    """The leading literals of ``pat`` (None: scan it the plain way)."""
    return _leading_literals(pat.pattern)


@lru_cache(maxsize=None)
def _scan_literals(pat: regex.Pattern) -> frozenset[str] | None:
    """The leading literals of ``pat`` for the literal prefilter: two words joined when the
    pattern says so ("định kỳ": "định" alone is in every "quy định")."""
    return _leading_literals(pat.pattern, join=True)


@lru_cache(maxsize=None)
def _unfoldable_chars(literal_chars: frozenset[str]) -> frozenset[str]:
    """The characters that IGNORECASE equates with one of ``literal_chars`` but that
    ``str.lower`` does not map onto it ("ſ" for "s", "İ" for "i"); a text holding one is
    scanned the plain way."""
    probe = regex.compile("[" + "".join(regex.escape(c) for c in sorted(literal_chars)) + "]",
                          regex.IGNORECASE | regex.V0)
    # case pairs never cross the BMP boundary, so the BMP holds every variant of our letters
    everything = _bmp()
    return frozenset(c for c in probe.findall(everything) if len(c.lower()) != 1 or c.lower() not in literal_chars)


@lru_cache(maxsize=None)
def _prefix_literals(prefix: regex.Pattern) -> frozenset[str] | None:
    """Leading literals of the non-empty matches of the cue/label ``prefix`` (it ends with
    ``$``, zero-width; its empty match means "no cue" and is dropped by ``_Hit``)."""
    pattern = prefix.pattern
    if not pattern.endswith("$") or pattern.endswith("\\$"):
        return None
    return _leading_literals(pattern[:-1], nonempty=True)


def _all_literal_chars(p: "_Patterns") -> frozenset[str]:
    chars: set[str] = set()
    for lits in [_scan_literals(pat) for pat in _scanned_patterns(p)] + [_prefix_literals(p.prefix)]:
        for lit in lits or ():
            for word in lit.split(_BLANKS_JOIN):
                if word == _SHORT_RUN:
                    chars |= set(_MONTH_WORD)  # read in the lower-cased text after the digits
                elif word != _DIGIT_RUN:
                    chars |= set(word)
    return frozenset(chars)


@lru_cache(maxsize=1)
def _scan_unfoldable() -> frozenset[str]:
    """The characters that turn the literal prefilter off for the time patterns."""
    return _unfoldable_chars(_all_literal_chars(_patterns()))


_GROUP_NAME = regex.compile(r"\(\?P<\w+>")
_NO_GATE = regex.compile(r"\(\?P=|\(\?\(|\\g<|\\[1-9]")


@lru_cache(maxsize=1)
def _gates() -> dict[regex.Pattern, tuple[regex.Pattern, frozenset[str]]]:
    """Scanned patterns that share a leading literal -> one alternation of the group (the
    gate) and the group's literals.

    Where the gate does not match no pattern of the group can, so each position is tried
    once for the group ("theo" starts five patterns, "ngày" four day rules) rather than
    once per pattern. Groups are renamed away in the gate; patterns whose source refers to
    a group are left out, and so are digit-led ones (their many positions rarely match
    more than one pattern)."""
    groups: list[tuple[set[str], list[regex.Pattern]]] = []
    for pat in _scanned_patterns(_patterns()):
        lits = _scan_literals(pat)
        if lits is None or not _DIGIT_TOKENS.isdisjoint(lits) or not _line_local(pat) \
                or _NO_GATE.search(pat.pattern):
            continue
        joined = [g for g in groups if g[0] & lits and g[1][0].flags == pat.flags]
        merged = (set(lits).union(*(g[0] for g in joined)), [p for g in joined for p in g[1]] + [pat])
        groups = [g for g in groups if not any(g is j for j in joined)] + [merged]
    gates = {}
    for lits, pats in groups:
        if len(pats) > 1:
            source = "|".join("(?:" + _GROUP_NAME.sub("(?:", p.pattern) + ")" for p in pats)
            gate = regex.compile(source, pats[0].flags)
            gates.update((p, (gate, frozenset(lits))) for p in pats)
    return gates


def _scanned_patterns(p: "_Patterns"):
    yield from (pat for pat, _ in p.day_rules)
    yield from (p.day_range, p.month_range, p.year_range, p.absolute, p.period, p.recurring, p.bare_periodic,
                p.continuous)
    yield from (pat for pat, _ in p.vague)


_NEGATED_SET = regex.compile(r"(?<!\\)\[\^((?:\\.|[^\]\\])*)\]")
_SAFE_ESCAPE = regex.compile(r"\\(?:d|p\{(?:L|N|Ll|Lu)\}|[^A-Za-z0-9\s])")
_INLINE_FLAGS = regex.compile(r"\(\?(?!P<|:|<[!=]|[!=])")


@lru_cache(maxsize=None)
def _line_local(pat: regex.Pattern) -> bool:
    """True when no part of ``pat`` (lookaheads included) can match a newline, so a match
    starting on a line is found just as well with ``endpos`` at that line's end. This
    matters for speed: ``match`` looks for a pattern's rare required words ("dịp",
    "yêu cầu") from ``pos`` up to ``endpos``, i.e. to the end of the document on every
    call unless bounded. Conservative: an unknown escape, an anchor, inline flags or a
    negated set that does not exclude the newline all say False."""
    pattern = pat.pattern
    if pat.flags & regex.DOTALL or "\n" in pattern or _INLINE_FLAGS.search(pattern):
        return False
    if any(r"\n" not in m.group(1) for m in _NEGATED_SET.finditer(pattern)):
        return False
    rest = _NEGATED_SET.sub("", pattern)
    if "^" in rest or "$" in rest:
        return False
    return "\\" not in _SAFE_ESCAPE.sub("", rest)


class _LongScan:
    """A long range of one text, prepared for the literal prefilter: the lower-cased text
    and, per literal, its positions (shared by the patterns that start with it)."""

    __slots__ = ("text", "folded", "start", "end", "positions", "merged")

    def __init__(self, text: str, folded: str, start: int, end: int):
        self.text, self.folded, self.start, self.end = text, folded, start, end
        self.positions: dict[str, list[int]] = {}
        self.merged: dict = {}  # literal set (or gate, literal set) -> candidates

    def line_ends(self) -> list[int]:
        """Position of every newline of the text, then ``len(text)``: the ends of its lines."""
        return line_ends(self.text)

    @classmethod
    def of(cls, text: str, start: int, end: int, unfoldable: frozenset[str]) -> "_LongScan | None":
        """None when lower-casing is not position-for-position a case-insensitive view of
        ``text`` for the literals whose ``_unfoldable_chars`` are given (then scans use
        ``finditer``)."""
        folded = lower_text(text)
        if len(folded) != len(text) or _holds_any(text, unfoldable):
            return None
        return cls(text, folded, start, end)

    def literal_positions(self, lit: str) -> list[int]:
        found = self.positions.get(lit)
        if found is None and lit == _DIGIT_RUN:
            # digits have no case: read them in the text itself
            found = self.positions[lit] = [m.start() for m in _DIGITS.finditer(self.text, self.start, self.end)]
        if found is None and lit == _SHORT_RUN:
            runs = _SHORT_RUNS.finditer(self.folded, self.start, self.end)
            found = self.positions[lit] = [m.start() for m in runs]
        if found is None and _BLANKS_JOIN in lit:
            found = self.positions[lit] = self._joined_positions(*lit.split(_BLANKS_JOIN))
        if found is None:
            found = []
            i = self.folded.find(lit, self.start, self.end)
            while i >= 0:
                found.append(i)
                i = self.folded.find(lit, i + 1, self.end)
            self.positions[lit] = found
        return found

    def _joined_positions(self, first: str, second: str) -> list[int]:
        """Where ``first``, blanks (``_WS``, at least one) and ``second`` (a literal or
        one of ``_DIGIT_TOKENS``) follow each other."""
        folded, end = self.folded, self.end
        if (first, second) in _backward_joins():
            n = len(first)
            return [j - n for j, _ in self._blanks_before(second)
                    if j - n >= self.start and folded.startswith(first, j - n, j)]
        pairs = self._blanks_after(first)
        if second in _DIGIT_TOKENS:
            return [p for p, k in pairs if self._run_at(k, second)]
        return [p for p, k in pairs if folded.startswith(second, k, end)]

    def _blanks_before(self, second: str) -> list[tuple[int, int]]:
        """``(j, k)`` for each position ``k`` of ``second`` preceded by blanks that start at
        ``j`` (the same blank runs ``_blanks_after`` reads, found from their other end)."""
        key = (_BLANKS_JOIN, second)
        found = self.merged.get(key)
        if found is None:
            text, start, blanks = self.text, self.start, _blank_chars()
            found = []
            for k in self.literal_positions(second):
                j = k
                while j > start and text[j - 1] in blanks:
                    j -= 1
                if j < k:
                    found.append((j, k))
            self.merged[key] = found
        return found

    def _blanks_after(self, first: str) -> list[tuple[int, int]]:
        """``(p, k)`` for each position ``p`` of ``first`` followed by blanks that end at
        ``k`` (shared by the words joined to ``first``)."""
        key = (first, _BLANKS_JOIN)
        found = self.merged.get(key)
        if found is None:
            text, end, blanks = self.text, self.end, _blank_chars()
            found = []
            for p in self.literal_positions(first):
                k = j = p + len(first)
                while k < end and text[k] in blanks:
                    k += 1
                if k > j:
                    found.append((p, k))
            self.merged[key] = found
        return found

    def _run_at(self, k: int, token: str) -> bool:
        """Whether the ``token`` (``_DIGIT_RUN`` or ``_SHORT_RUN``) positions of this scan hold
        ``k``, a position after a blank (so a digit there starts a run): asked for the few
        positions after a word rather than listing every run of the range."""
        if token == _DIGIT_RUN:
            return _DIGITS.match(self.text, k, self.end) is not None
        return _SHORT_RUNS.match(self.folded, k, self.end) is not None

    def gated(self, gate: regex.Pattern, literals: frozenset[str]) -> list[int]:
        """The ``candidates(literals)`` where the line-local ``gate`` matches (each tried up
        to the end of its line or of the scan, as ``_prefiltered`` tries a pattern)."""
        key = (gate, literals)
        found = self.merged.get(key)
        if found is None:
            ends, match, text = self.line_ends(), gate.match, self.text
            found = self.merged[key] = [c for c in self.candidates(literals)
                                        if match(text, c, min(ends[bisect.bisect_left(ends, c)], self.end))]
        return found

    def candidates(self, literals: frozenset[str]) -> list[int]:
        """Sorted start positions of any of ``literals`` (several patterns share a set)."""
        if len(literals) == 1:
            return self.literal_positions(next(iter(literals)))
        found = self.merged.get(literals)
        if found is None:
            found = self.merged[literals] = sorted(set().union(*(self.literal_positions(lit) for lit in literals)))
        return found


@lru_cache(maxsize=1)
def _backward_joins() -> frozenset[tuple[str, str]]:
    """The joined literals ("6 tháng", "sau khi") to find from their second word: one the
    scan looks up anyway, so the first word needs no pass over the text of its own.

    Words that are looked up anyway (single literals, the first word of a join to a digit
    run) come first; a join whose second word is among them is read backwards; a join whose
    first word is among them forwards; of the others, one first word is added to them at a
    time until every join is placed. Both directions find the same positions (the blank
    run between the words is the same), so the choice only changes the cost."""
    singles, joins = set(), set()
    for pat in _scanned_patterns(_patterns()):
        for lit in _scan_literals(pat) or ():
            if _BLANKS_JOIN in lit:
                joins.add(tuple(lit.split(_BLANKS_JOIN)))
            elif lit not in _DIGIT_TOKENS:
                singles.add(lit)
    blanks = _blank_chars()
    looked_up = singles | {f for f, s in joins if s in _DIGIT_TOKENS}
    backward: set[tuple[str, str]] = set()
    todo = sorted((f, s) for f, s in joins if s not in _DIGIT_TOKENS)
    while todo:
        rest = []
        for f, s in todo:
            if s in looked_up and f and f[-1] not in blanks:
                backward.add((f, s))
            elif f in looked_up:
                pass  # forwards, from a word looked up anyway
            else:
                rest.append((f, s))
        if rest:
            looked_up.add(rest[0][0])  # one more word to look up; place the others again
        todo = rest
    return frozenset(backward)


_LAST_TEXT: list = [(None, "", {})]


def _text_entry(text: str) -> tuple[str, str, dict]:
    """``(text, text.lower(), facts)`` for the last text asked: the deadline and unit
    extractors both scan the same document, in several stretches (one tuple, replaced
    whole, so concurrent callers never mix two texts)."""
    entry = _LAST_TEXT[0]
    if entry[0] is not text:
        entry = (text, text.lower(), {})
        _LAST_TEXT[0] = entry
    return entry


def lower_text(text: str) -> str:
    """``text.lower()`` (remembered for the last text)."""
    return _text_entry(text)[1]


def line_ends(text: str) -> list[int]:
    """Position of every newline of ``text``, then ``len(text)`` (remembered for the last text)."""
    facts = _text_entry(text)[2]
    found = facts.get("\n")
    if found is None:
        # newline k follows k + 1 pieces of the split and k newlines; the last "end" is len(text)
        found = facts["\n"] = list(map(operator.add, accumulate(map(len, text.split("\n"))), count()))
    return found


def _holds_any(text: str, chars: frozenset[str]) -> bool:
    """Whether ``text`` holds one of ``chars`` (remembered for the last text)."""
    facts = _text_entry(text)[2]
    found = facts.get(chars)
    if found is None:
        found = facts[chars] = any(c in text for c in chars)
    return found


def _prefiltered(pat: regex.Pattern, text: str, start: int, end: int, scan: _LongScan | None) -> list:
    """The matches of ``pat.finditer(text, start, end)``, found from literal candidates when
    ``scan`` (the same text, a range holding ``start:end``) is given and ``pat``'s leading
    literals are known."""
    literals = _scan_literals(pat) if scan is not None else None
    if literals is None:
        return list(pat.finditer(text, start, end))
    gate = _gates().get(pat) if end == scan.end else None  # a gate is tried up to the scan's end
    candidates = scan.candidates(literals) if gate is None else scan.gated(*gate)
    lo, hi = bisect.bisect_left(candidates, start), bisect.bisect_left(candidates, end)
    if lo == hi:
        return []
    if lo > 0 or hi < len(candidates):
        candidates = candidates[lo:hi]  # a short range (a sentence) of a long scan
    ends = scan.line_ends() if _line_local(pat) else None
    out = []
    pos = start
    stop = end
    match = pat.match
    for c in candidates:
        if c < pos:
            continue  # inside the last match: ``finditer`` resumes after it
        if ends is not None and not c < stop < end:
            # the end of c's line, kept while the candidates stay on that line
            stop = min(ends[bisect.bisect_left(ends, c)], end)
        m = match(text, c, stop)
        if m is not None:
            out.append(m)
            pos = m.end() if m.end() > c else c + 1
    return out


# --------------------------------------------------------------------------------------------
# The finder
# --------------------------------------------------------------------------------------------

_HORIZON_YEARS = 10
_WINDOW_END = regex.compile(r"(?:^|\s)(?:đến|tới)\s*$", regex.IGNORECASE)
_WINDOW_START = regex.compile(r"(?:tính\s+từ|kể\s+từ|từ\s+(?:sau\s+)?ngày|từ\s+tháng|từ\s+năm)[^;]*$", regex.IGNORECASE)
_PRIORITY = {"recurring_rule": 0, "range": 1, "absolute": 2, "vague": 3, "period": 4, "recurring": 5,
             "continuous": 6, "periodic": 7}


def find_time_expressions(text: str, start: int = 0, end: int | None = None, *,
                          years: YearContext = YearContext(), cell: bool = False) -> list[TimeExpr]:
    """Time expressions in ``text[start:end]`` that set a schedule, left to right.

    ``cell=True`` reads a table time cell (no cue needed). Overlapping candidates resolve to
    the longest, then by kind priority (a day rule beats a plain date, a date a period).

    >>> ctx = YearContext(plan_year=2026)
    >>> [e.value for e in find_time_expressions("hàng tháng, quý, 6 tháng, năm thực hiện chế độ thông báo", years=ctx)]
    ['monthly,quarterly,semiannual,annual']
    >>> find_time_expressions("Thực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng", years=ctx)
    []
    """
    end = len(text) if end is None else end
    p = _patterns()
    scan = _LongScan.of(text, start, end, _scan_unfoldable()) if end - start >= _PREFILTER_MIN_CHARS else None
    cands: list[tuple[int, TimeExpr]] = []

    def add(kind_key: str, e: TimeExpr | None):
        if e is not None and e.end > e.start:
            cands.append((_PRIORITY[kind_key], e))

    for pat, rule in p.day_rules:
        for m in _hits(pat, text, start, end, p, scan):
            add("recurring_rule", _day_rule(text, m, rule))
    for m in _hits(p.day_range, text, start, end, p, scan):
        if not cell and p.references.search(_left(text, m.start(), start, 30)):
            continue
        add("range", _day_range(text, m, years))
    for m in _hits(p.month_range, text, start, end, p, scan):
        add("range", _month_range(text, m, years))
    for m in _hits(p.year_range, text, start, end, p, scan):
        e = _year_range(text, m)
        if e is not None and not (cell or m.group("label")):
            e = replace(e, kind="_blocked")  # "từ năm 2025 đến hết năm 2030" in prose: a span, no deadline
        add("range", e)
    for m in _hits(p.absolute, text, start, end, p, scan):
        cue = _cue_of(m)
        if not cell:
            if cue is None or cue == "from":
                continue
            bare_before = cue == "before" and (m.group("before") or "").casefold() == "trước"
            if not m.group("ngay") and (cue not in ("before", "label") or bare_before):
                continue  # "trước 01/7/2025" is a column title; deadlines say "trước ngày"
            left = _left(text, m.start(), start)
            if cue == "until" and (p.references.search(left) or _WINDOW_START.search(_left(text, m.start(), start, 100))):
                continue  # "(tính) từ ngày X ... đến ngày Y": a window, not a time limit
            cue_txt = (m.group("within") or m.group("until") or "").casefold()
            if (cue_txt.startswith(("đến", "tới", "cho đến")) or _WINDOW_END.search(left)) \
                    and _WINDOW_START.search(_left(text, m.start(), start, 100)):
                continue  # "có hiệu lực từ ngày X đến hết ngày Y", "từ ngày X đến trước ngày Y"
            if cue == "before" and p.conditions.search(left):
                continue
        add("absolute", _absolute(text, m, years))
    for m in _hits(p.period, text, start, end, p, scan):
        cue = _cue_of(m)
        if not cell:
            paren = _in_parens(text, m.start(), m.end())
            if cue == "from" or (cue is None and not paren):
                continue  # "dự kiến quý III/2026" counts: "expected" is a cue
            if m.group("year"):
                cue_text = (m.group("until") or m.group("within") or "").casefold()
                if cue == "until" and "hết" not in cue_text:
                    continue  # "đến năm 2030": a target horizon
                if p.ranges.search(_left(text, m.start(), start, 25)):
                    continue
                if years.year and int(m.group("y")) > years.year + _HORIZON_YEARS:
                    continue  # "vào năm 2050", "tầm nhìn 2045": a national horizon, not a deadline
            if cue == "before" and p.conditions.search(_left(text, m.start(), start)):
                continue
        add("period", _period(text, m, years))
    if cell:
        m = p.cell_year.fullmatch(text, start, end)
        if m:
            add("period", _cell_year(text, m, years, start, end))
    for m in _hits(p.recurring, text, start, end, p, scan):
        e = _recurring(text, m, p)
        if not cell and not m.group("per") and len(e.frequencies) == 1 and _cue_of(m) != "label":
            if not (clause_initial(text, m.start(), start) or _REPORTING.search(_left(text, m.start(), start, 30))):
                continue
        add("recurring", e)
    for m in _hits(p.bare_periodic, text, start, end, p, scan):
        if cell or _cue_of(m) == "label":
            add("periodic", _expr(text, _raw_start(m), m.end(), kind="recurring", value="periodic",
                                  cue=_cue_of(m), bare_periodic=True))
    for m in _hits(p.continuous, text, start, end, p, scan):
        if not cell and _cue_of(m) != "label":
            if not (clause_initial(text, m.start(), start) and _followed_by_verb(text, m.end(), end)):
                continue
        add("continuous", _expr(text, _raw_start(m), m.end(), kind="continuous", value="continuous",
                                cue=_cue_of(m)))
    for pat, entry in p.vague:
        for m in _hits(pat, text, start, end, p, scan):
            if entry.get("cell_only") and not cell and _cue_of(m) != "label":
                continue
            y = m.groupdict().get("year")
            value = entry["value"].format(year=y or years.year or "")
            add("vague", _expr(text, _raw_start(m), m.end(), kind="vague", value=value.lstrip("-"),
                               cue=_cue_of(m), explicit_year=bool(y)))
    return _annual_days(text, [e for e in _resolve_overlaps(cands) if e.kind != "_blocked"])


_CLAUSE_BREAK = regex.compile(r"[;.]\s|[;\n]")


def _annual_days(text: str, exprs: list[TimeExpr]) -> list[TimeExpr]:
    """"Định kỳ hằng năm (trước ngày 15 tháng 12) báo cáo ...": a year-less day in the clause
    of a yearly schedule is a yearly rule ("annual:12-15"), not a date in the plan year; the
    bare "hằng năm" is absorbed into it."""
    yearly = [x for x in exprs if x.kind == "recurring" and x.frequencies == ("annual",) and ":" not in x.value]
    if not yearly:
        return exprs
    drop: set[int] = set()
    out = []
    for x in exprs:
        if x.kind == "absolute" and not x.explicit_year and x.value.count("-") >= 2:
            r = next((y for y in yearly if _same_clause(text, x, y)), None)
            if r is not None:
                mm, dd = x.value[-5:-3], x.value[-2:]
                if mm.isdigit() and dd.isdigit():
                    drop.add(id(r))
                    x = replace(x, kind="recurring", value=f"annual:{mm}-{dd}", date=None,
                                recurrence=f"FREQ=YEARLY;BYMONTH={int(mm)};BYMONTHDAY={int(dd)}",
                                frequencies=("annual",))
        out.append(x)
    return [x for x in out if id(x) not in drop]


def _same_clause(text: str, a: TimeExpr, b: TimeExpr) -> bool:
    lo, hi = (a.end, b.start) if a.end <= b.start else (b.end, a.start)
    return hi - lo <= 120 and not _CLAUSE_BREAK.search(text, lo, hi)


def _day_range(text: str, m: regex.Match, years: YearContext) -> TimeExpr | None:
    d1, m1, d2, m2 = (int(m.group(g)) for g in ("d1", "m1", "d2", "m2"))
    if not (1 <= m1 <= 12 and 1 <= m2 <= 12):
        return None
    y2 = years.resolve(m2, d2, explicit=int(m.group("y2")) if m.group("y2") else None)
    y1 = int(m.group("y1")) if m.group("y1") else (y2 - 1 if y2 and (m1, d1) > (m2, d2) else y2)
    a, b = safe_date(y1, m1, d1), safe_date(y2, m2, d2)
    value = f"{day_value(y1, m1, d1)}/{day_value(y2, m2, d2)}"
    return _expr(text, _raw_start(m), m.end(), kind="period", value=value, period_start=a, period_end=b,
                 cue="from", explicit_year=bool(m.group("y2")))


def _month_range(text: str, m: regex.Match, years: YearContext) -> TimeExpr | None:
    m1, m2 = int(m.group("m1")), int(m.group("m2"))
    if not (1 <= m1 <= 12 and 1 <= m2 <= 12):
        return None
    y2 = int(m.group("y2")) if m.group("y2") else years.year
    y1 = int(m.group("y1")) if m.group("y1") else (y2 - 1 if y2 and m1 > m2 else y2)
    value, ps, pe = months_value(y1, [m1, m2], y_last=y2)
    return _expr(text, _raw_start(m), m.end(), kind="period", value=value, period_start=ps, period_end=pe,
                 cue="from", explicit_year=bool(m.group("y2")))


def _year_range(text: str, m) -> TimeExpr | None:
    y1, y2 = int(m.group("y1")), int(m.group("y2"))
    if y2 < y1:
        return None
    return _expr(text, _raw_start(m), m.end(), kind="period", value=f"{y1}/{y2}",
                 period_start=year_window(y1)[0], period_end=year_window(y2)[1], cue="from", explicit_year=True)


def _cell_year(text: str, m: regex.Match, years: YearContext, start: int, end: int) -> TimeExpr | None:
    if m.group("this"):
        y = years.year
        if not y:
            return None
        ps, pe = year_window(y)
        s = m.start("this")
        return _expr(text, s, m.end("this"), kind="period", value=str(y), period_start=ps, period_end=pe)
    y1 = int(m.group("y"))
    y2 = int(m.group("y2")) if m.group("y2") else y1
    if y2 < y1:
        return None
    s = start + len(text[start:end]) - len(text[start:end].lstrip())
    e = start + len(text[start:end].rstrip())
    return _expr(text, s, e, kind="period", value=str(y1) if y1 == y2 else f"{y1}/{y2}",
                 period_start=year_window(y1)[0], period_end=year_window(y2)[1], explicit_year=True)


def _resolve_overlaps(cands: list[tuple[int, TimeExpr]]) -> list[TimeExpr]:
    cands.sort(key=lambda c: (-(c[1].end - c[1].start), c[0], c[1].start))
    taken: list[TimeExpr] = []
    for _, e in cands:
        if all(e.end <= t.start or e.start >= t.end for t in taken):
            taken.append(e)
    taken.sort(key=lambda e: e.start)
    return taken


def frequencies_in(text: str, start: int = 0, end: int | None = None) -> tuple[str, ...]:
    """Frequencies a text states ("định kỳ 6 tháng, năm" -> semiannual, annual); used to fill
    a bare "Định kỳ" time cell from its task.

    >>> frequencies_in("Báo cáo ... định kỳ 6 tháng, năm và theo yêu cầu")
    ('semiannual', 'annual')
    """
    end = len(text) if end is None else end
    out: list[str] = []
    for m in _patterns().recurring.finditer(text, start, end):
        out += [f for f in _recurring(text, m, _patterns()).frequencies if f not in out]
    return tuple(out)


def report_type_before(text: str, start: int, pos: int) -> str | None:
    """The report type named closest before ``pos`` in ``text[start:pos]`` ("báo cáo năm" ...).

    >>> report_type_before("Báo cáo quý: ", 0, 13), report_type_before("6 tháng đầu năm ", 0, 16)
    ('quarterly', 'semiannual')
    """
    best: tuple[int, str] | None = None
    for pat, value in _patterns().report_types:
        for m in pat.finditer(text, start, pos):
            if best is None or m.end() > best[0]:
                best = (m.end(), value)
    return best[1] if best else None
