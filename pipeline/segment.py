"""Segment stage: the section tree of a normalized document.

Headings are recognised by their numbering, not their words: Roman (I., II., "I ." with a
stray space; OCR's "IL." is repaired by normalize), PHẦN/CHƯƠNG, Điều, lettered (A., B.),
Arabic (1., 1.1., 1.1.1.), lettered items (a), b)) and bullets (-, +). Ranks decide nesting:
an item's parent is the nearest earlier item of a lower rank. Top-level sections get a
canonical label from ``gazetteer/data/section_labels.json``; the text before the first
heading is the ``preamble`` and the "Nơi nhận"/signature block is the ``closing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from gazetteer import load

from .document import Document, Section

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_VALID_ROMAN = regex.compile(r"^(?=[IVXLC])C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$")

_HEADING_RES: list[tuple[str, regex.Pattern]] = [
    # "Chương trình" is a word, not a chapter: a part needs a numeral or "thứ …"
    ("part", regex.compile(r"^(?:PHẦN|Phần|CHƯƠNG|Chương)\s+((?:thứ|THỨ)\s+\p{L}+|[IVXLC]+\b|\d+\b)[.:]?\s*(.*)$")),
    ("roman", regex.compile(r"^([IVXLC]{1,6})\s?[.)]\s*(.*)$")),
    ("article", regex.compile(r"^(Điều\s+\d+)\s*[.:]\s*(.*)$")),
    ("appendix", regex.compile(r"^(PHỤ\s+LỤC|Phụ\s+lục)(?:\s+(?:số\s+)?([IVXLC]+|\d+|[A-Z])\b)?\s*[.:]?\s*(.*)$")),
    ("upper_letter", regex.compile(r"^([A-ZĐ])[.)]\s+(\S.*)$")),
    ("arabic3", regex.compile(r"^(\d{1,2}\.\d{1,2}\.\d{1,2})\.?\s+(\S.*)$")),
    ("arabic2", regex.compile(r"^(\d{1,2}\.\d{1,2})\.?\s+(\S.*)$")),
    ("arabic", regex.compile(r"^(\d{1,2})[.)]\s+(\S.*)$")),
    ("lower_letter", regex.compile(r"^([a-zđ])[.)]\s+(\S.*)$")),
    ("bullet", regex.compile(r"^([-•*●■])\s*([^\s\-_=*].*)$")),  # not a "-------" rule
    ("plus", regex.compile(r"^([+○◦□▪])\s*(\S.*)$")),
]
# The shapes as one alternation whose empty marker group names the first shape that matches
# (alternatives are tried in order), for lines the closing/attachment test passed over.
_FIRST_HEADING_RE = regex.compile("|".join(f"(?:{rx.pattern})(?P<h{i}>)" for i, (_, rx) in enumerate(_HEADING_RES)))
_RANK = {"part": 0, "roman": 1, "article": 1, "appendix": 1, "attachment": 1, "upper_letter": 1.5,
         "arabic": 2, "arabic2": 3, "arabic3": 4, "lower_letter": 5, "bullet": 6, "plus": 7}
_BARE_APPENDIX_RE = regex.compile(r"^Phụ\s+lục(?:\s+(?:số\s+)?(?:[IVXLC]+|\d+|[A-Z]))?\s*[.:]?$")
_ATTACHMENT_RE = regex.compile(
    r"^(?:KẾ HOẠCH|QUY CHẾ|QUY ĐỊNH|CHƯƠNG TRÌNH|ĐỀ ÁN|HƯỚNG DẪN|ĐIỀU LỆ)(?:\s+HÀNH ĐỘNG)?\s*$")
# Small patterns used below, compiled once (the hot path runs them per line).
_SENTENCE_BREAK_RE = regex.compile(r"[.:;]\s+\p{Lu}")
_HEADING_CUT_RE = regex.compile(r"(?<=\S)[.:;](?=\s|$)")


@dataclass(slots=True)
class _Item:
    kind: str
    ordinal: str | None
    heading: str
    start: int
    heading_end: int
    label: str | None = None


def _roman_value(tok: str) -> int:
    total = 0
    for i, ch in enumerate(tok):
        v = _ROMAN_VALUES[ch]
        nxt = _ROMAN_VALUES[tok[i + 1]] if i + 1 < len(tok) else 0
        total += -v if v < nxt else v
    return total


def _label_rules():
    data = load("section_labels")
    top = [(e["label"], [regex.compile(p) for p in e["patterns"]]) for e in data["top_level"]]
    sub = [(e["label"], [regex.compile(p) for p in e["patterns"]]) for e in data["sub_level"]]
    closing = [regex.compile(p) for p in data["closing_starts"]["patterns"]]
    return top, sub, closing


_RULES = None


def _rules():
    global _RULES
    if _RULES is None:
        _RULES = _label_rules()
    return _RULES


def label_for_heading(heading: str) -> str:
    """Canonical label of a top-level heading.

    >>> label_for_heading("NHIỆM VỤ VÀ GIẢI PHÁP"), label_for_heading("Tổ chức thực hiện")
    ('tasks', 'implementation')
    """
    up = heading.upper()
    for label, pats in _rules()[0]:
        if any(p.search(up) for p in pats):
            return label
    return "other"


def sub_label_for_heading(heading: str) -> str | None:
    """Label of "1. Mục đích" / "2. Yêu cầu" under purpose_requirements.

    >>> sub_label_for_heading("Mục đích"), sub_label_for_heading("Yêu cầu"), sub_label_for_heading("Khác")
    ('purpose', 'requirements', None)
    """
    up = heading.upper().strip()
    for label, pats in _rules()[1]:
        if any(p.search(up) for p in pats):
            return label
    return None


def _short_heading(text: str) -> str:
    """A heading is the line itself when short; for a numbered paragraph, its first clause."""
    text = text.strip()
    if len(text) <= 160:
        # a break needs its punctuation before the last character: most headings have none
        body = text[:-1]
        if not ("." in body or ":" in body or ";" in body) or not _SENTENCE_BREAK_RE.search(text):
            return text.rstrip(" .:;")
    m = _HEADING_CUT_RE.search(text)
    cut = m.start() if m and m.start() <= 200 else None
    if cut is None:
        cut = text.rfind(" ", 0, 160) if len(text) > 160 else len(text)
        return text[:max(cut, 1)].rstrip(" ,.:;") + ("…" if cut < len(text) else "")
    return text[:cut].rstrip(" ,")


_LINE_RE = None


def _line_alternatives() -> list[str]:
    """The closing starts, the attachment title and the heading shapes, in the order
    ``find_items`` tests them, each ending with an empty marker group that names it
    (``c0``.. a closing start, ``att`` the attachment title, ``h0``.. a heading shape)."""
    alts = [f"(?:{p.pattern})(?P<c{i}>)" for i, p in enumerate(_rules()[2])]
    alts.append(f"(?:{_ATTACHMENT_RE.pattern})(?P<att>)")
    alts += [f"(?:{rx.pattern})(?P<h{i}>)" for i, (_, rx) in enumerate(_HEADING_RES)]
    return alts


def _line_re() -> regex.Pattern:
    """One match per line instead of one per pattern: every line alternative as one
    alternation; the marker group ending the first alternative that matches names it."""
    global _LINE_RE
    if _LINE_RE is None:
        _LINE_RE = regex.compile("|".join(_line_alternatives()))
    return _LINE_RE


@lru_cache(maxsize=None)
def _alternative_re(i: int) -> regex.Pattern:
    """Line alternative ``i`` alone, to test which alternatives a line prefix can start."""
    return regex.compile(_line_alternatives()[i])


@lru_cache(maxsize=None)
def _line_re_of(keep: tuple[int, ...]) -> regex.Pattern:
    """The alternation of the alternatives ``keep`` only (same order, same marker groups)."""
    alts = _line_alternatives()
    return regex.compile("|".join(alts[i] for i in keep))


@lru_cache(maxsize=16384)
def _line_re_for(prefix: str) -> regex.Pattern | None:
    """What to match a line beginning with ``prefix`` against: None when it cannot match
    ``_line_re`` at all (a partial match means the pattern reached the end of ``prefix``
    without failing; most body lines, "Căn cứ …", "Thực hiện …", are ruled out by their
    first two characters), else the alternation of the alternatives that can — a "- …"
    bullet line is then tried against one shape instead of every one."""
    if _line_re().match(prefix, partial=True) is None:
        return None
    n = len(_line_alternatives())
    keep = tuple(i for i in range(n) if _alternative_re(i).match(prefix, partial=True) is not None)
    return _line_re_of(keep) if keep else _line_re()


def find_items(doc: Document) -> list[_Item]:
    """Every heading / list item line of the body, in order, with its kind."""
    text = doc.text
    items: list[_Item] = []
    expected_roman = 1
    seen_closing = False
    z = -1
    for line in text[:doc.body_end].split("\n"):
        a = z + 1
        z = a + len(line)
        if not line or line[0] == "|":
            continue
        line_re = _line_re_for(line[:2])
        if line_re is None:
            continue
        lm = line_re.match(line)
        if lm is None:  # not a closing start, an attachment title or a heading shape
            continue
        which = lm.lastgroup
        if which[0] == "c":
            items.append(_Item("closing", None, line.rstrip(" :"), a, z))
            seen_closing = True
            continue
        if which == "att":
            if seen_closing:
                items.append(_Item("attachment", None, line, a, z))
                expected_roman = 1
                seen_closing = False
                continue
            lm = _FIRST_HEADING_RE.match(line)
            if lm is None:
                continue
            which = lm.lastgroup
        first = int(which[1:])
        for k in range(first, len(_HEADING_RES)):
            kind, rx = _HEADING_RES[k]
            if k == first:  # the line match holds this shape's groups, right before its marker
                base = lm.re.groupindex[which] - rx.groups - 1
                g1, g2 = lm.group(base + 1, base + 2)
            else:
                m = rx.match(line)
                if not m:
                    continue
                g1, g2 = m.group(1, 2)
            if kind == "roman":
                tok = g1
                if not _VALID_ROMAN.match(tok):
                    continue
                val = _roman_value(tok)
                # "I. " could be a Roman one or a letter; accept Roman numerals in sequence
                # (or restarting at I in an attachment/appendix).
                if val != expected_roman and val != 1:
                    if len(tok) == 1 and tok in "CLVX" and val > expected_roman:
                        kind = "upper_letter"
                    elif val < expected_roman or val > expected_roman + 1:
                        continue
                expected_roman = val + 1 if kind == "roman" else expected_roman
                heading = g2
            elif kind == "appendix":
                # "PHỤ LỤC …" or a bare "Phụ lục II"; "Phụ lục kèm theo)." ends a sentence
                if not (line.isupper() or _BARE_APPENDIX_RE.match(line)):
                    continue
                heading = line
            elif kind == "part":
                heading = line
            else:
                heading = g2
            ordinal = None if kind in ("appendix",) else g1
            if kind == "part" or kind == "article":
                ordinal = g1
            items.append(_Item(kind, ordinal, _short_heading(heading) if kind != "appendix" else heading.strip(),
                               a, z))
            if kind == "appendix":
                seen_closing = False
            break
    return items


def segment(doc: Document) -> Document:
    """Build ``doc.sections`` (level 1 = top) with canonical labels.

    >>> from pipeline.normalize import normalize
    >>> from pipeline.document import RawDocument
    >>> d = segment(normalize(RawDocument.from_text(
    ...     "KẾ HOẠCH\\nThực hiện năm 2026\\nI. MỤC ĐÍCH, YÊU CẦU\\n1. Mục đích\\n- Nâng cao.\\n"
    ...     "II. TỔ CHỨC THỰC HIỆN\\nGiao Sở Nội vụ.\\nNơi nhận:\\n- Như trên.")))
    >>> [(s.level, s.ordinal, s.label) for s in d.sections]
    [(1, None, 'preamble'), (1, 'I', 'purpose_requirements'), (2, '1', 'purpose'), (3, '-', None), (1, 'II', 'implementation'), (1, None, 'closing')]
    """
    items = find_items(doc)
    has_roman = any(i.kind == "roman" for i in items)
    sections: list[Section] = []
    stack: list[tuple[float, Section]] = []
    in_appendix = False
    in_closing = False
    first_top = next((i.start for i in items if _is_top(i, has_roman)), None)
    if first_top is None:
        first_top = doc.body_end
    if first_top > 0 and doc.text[:first_top].strip():
        pre = Section(0, None, 1, None, "", "preamble", 0, first_top, 0)
        sections.append(pre)
    for it in items:
        kind = it.kind
        if kind == "closing":
            if in_closing:
                continue
            in_closing = True
            stack.clear()
            sec = Section(len(sections), None, 1, None, it.heading, "closing", it.start, 0, it.heading_end)
            sections.append(sec)
            continue
        if in_closing and kind not in ("appendix", "attachment", "roman", "part"):
            continue  # list items in "Nơi nhận" are not sections
        if kind in ("appendix", "attachment"):
            in_closing = False
            in_appendix = kind == "appendix"
            stack.clear()
            label = "appendix" if kind == "appendix" else "attachment"
            sec = Section(len(sections), None, 1, it.ordinal, it.heading, label, it.start, 0, it.heading_end)
            sections.append(sec)
            stack.append((_RANK[kind], sec))
            continue
        in_closing = False
        rank = _RANK[kind]
        if kind == "upper_letter" and not has_roman:
            rank = 1
        if in_appendix:
            rank += 1  # an appendix's own I., II. nest inside it
        while stack and stack[-1][0] >= rank:
            stack.pop()
        parent = stack[-1][1] if stack else None
        level = parent.level + 1 if parent else 1
        label = None
        if level == 1:
            if kind == "article":
                label = "article"
            elif kind in ("roman", "part", "upper_letter") or (
                    kind in ("arabic", "lower_letter") and it.heading.isupper()):
                label = label_for_heading(it.heading)
        elif parent is not None and parent.label == "purpose_requirements" and level == 2:
            label = sub_label_for_heading(it.heading)
        sec = Section(len(sections), parent.section_id if parent else None, level, it.ordinal, it.heading, label,
                      it.start, 0, it.heading_end)
        sections.append(sec)
        stack.append((rank, sec))
    _set_ends(sections, doc.body_end)
    doc.sections = sections
    return doc


def _is_top(it: _Item, has_roman: bool) -> bool:
    return it.kind in ("roman", "part", "article", "appendix", "attachment", "closing") or (
        it.kind == "upper_letter" and not has_roman)


def _set_ends(sections: list[Section], body_end: int) -> None:
    """A section ends where the next section of the same or a higher level starts.

    One pass: ``open_`` holds the sections still waiting for their end, levels rising,
    so each new section closes those at its level or deeper.
    """
    open_: list[Section] = []
    for t in sections:
        while open_ and open_[-1].level >= t.level:
            open_.pop().end = t.start
        open_.append(t)
    for s in open_:
        s.end = body_end
