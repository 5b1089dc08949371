"""Repairs of what Tesseract (``vie``) gets wrong on official documents, seen on real scans.

Character confusions that never make sense in Vietnamese are fixed everywhere in OCR'd
text ("Ð" for "Đ", often doubled as "ĐÐ"; "Ñ" for "N"). Heading numbers are fixed with
context only: the numbering of top-level headings (I, II, III ...) and of the items
under them (1., 2., 3. ...) tells what a misread number must have been:

==============================  ==========================
OCR                             repaired (in sequence)
==============================  ==========================
``IL MỤC ĐÍCH, YÊU CẦU``        ``I. MỤC ĐÍCH, YÊU CẦU``
``II MỘT SỐ CHỈ TIÊU``          ``II. MỘT SỐ CHỈ TIÊU``
``II. TỔ CHỨC THỰC HIỆN``       ``III. TỔ CHỨC THỰC HIỆN`` (after II.)
``o. Gắn thực hiện ...``        ``5. Gắn thực hiện ...`` (between 4. and 6.)
==============================  ==========================
"""

from __future__ import annotations

import regex

from .numerals import roman_value, to_roman

_CHAR_FIXES = [
    (regex.compile(r"Đ[ÐĐ]|Ð[ÐĐ]"), "Đ"),  # one glyph read twice
    (regex.compile(r"Ð"), "Đ"),
    (regex.compile(r"ð"), "đ"),
    (regex.compile(r"Ñ"), "N"),  # no Vietnamese letter carries a tilde on N
    (regex.compile(r"ñ"), "n"),
    # Party symbols end in "/TW" (Trung ương); "T" read as "I", the slash sometimes lost too.
    (regex.compile(r"(?<=\d-[A-ZĐ]{1,5})/?IW\b"), "/TW"),
]

_HEADING_RE = regex.compile(r"^(?P<tok>[IVXLl1|]{1,6})(?P<sep>\s*[.,:;]\s*|\s+)(?P<rest>\p{Lu}.*)$")
_ITEM_RE = regex.compile(r"^(?P<tok>\d{1,2}|[oOsSbB]|)\.\s+(?P<rest>\p{Lu}.*)$")
_ITEM_GUESS = {"o": None, "O": None, "s": 5, "S": 5, "b": 6, "B": 8, "": None}


def repair_chars(text: str) -> str:
    """Character confusions Tesseract makes on Vietnamese official documents.

    >>> repair_chars("Quyết định số 310-QĐÐ/TU; Lưu: VT, ÑC; 217-QĐ/IW, 218-QĐIW")
    'Quyết định số 310-QĐ/TU; Lưu: VT, NC; 217-QĐ/TW, 218-QĐ/TW'
    """
    for pattern, rep in _CHAR_FIXES:
        text = pattern.sub(rep, text)
    return text


def _is_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _readings(tok: str) -> set[int]:
    """The Roman numbers an OCR'd heading token can stand for."""
    t = tok.replace("l", "I").replace("1", "I").replace("|", "I")
    out = set()
    for cand in (t, t.replace("L", "I")):
        v = roman_value(cand)
        if v:
            out.add(v)
    if t.endswith("L"):  # "IL MỤC", "IL. MỤC": the dot (or a speck by it) read as L
        v = roman_value(t[:-1])
        if v:
            out.add(v)
    return out


def repair_ocr_pages(pages: list[str | None], context: list[str] | None = None) -> list[str | None]:
    """Repair OCR'd pages (None marks a page that was not OCR'd and is left alone).

    ``context`` gives the text of non-OCR pages, whose headings keep the numbering in
    step; by default None pages give no context.

    >>> repair_ocr_pages(["IL MỤC ĐÍCH\\n1. Nội dung\\nII NHIỆM VỤ\\nII. TỔ CHỨC THỰC HIỆN"])[0].splitlines()
    ['I. MỤC ĐÍCH', '1. Nội dung', 'II. NHIỆM VỤ', 'III. TỔ CHỨC THỰC HIỆN']
    >>> repair_ocr_pages(["4. Bốn\\no. Năm\\n6. Sáu"])[0].splitlines()[1]
    '5. Năm'
    """
    context = context or [None] * len(pages)
    lines: list[tuple[int, int, str, bool]] = []  # (page, line index, text, editable)
    split: list[list[str] | None] = []
    for pi, (p, ctx) in enumerate(zip(pages, context)):
        src = p if p is not None else ctx
        if src is None:
            split.append(None)
            continue
        ls = (repair_chars(src) if p is not None else src).split("\n")
        split.append(ls)
        lines += [(pi, li, ln.strip(), p is not None) for li, ln in enumerate(ls)]

    def put(k: int, text: str) -> None:
        pi, li, _, _ = lines[k]
        split[pi][li] = text
        lines[k] = (pi, li, text, True)

    _repair_headings(lines, put)
    _repair_items(lines, put)
    return ["\n".join(split[pi]) if p is not None else None for pi, p in enumerate(pages)]


def _repair_headings(lines: list[tuple[int, int, str, bool]], put) -> None:
    heads = []
    for k, (_, _, text, _) in enumerate(lines):
        m = _HEADING_RE.match(text)
        if m and _is_caps(m.group("rest")):
            heads.append((k, m, _readings(m.group("tok"))))
    expected = 1
    for h, (k, m, readings) in enumerate(heads):
        if not readings:
            continue
        nxt = heads[h + 1][2] if h + 1 < len(heads) else set()
        tok = m.group("tok")
        if expected in readings:
            value = expected
        elif len(readings) == 1:
            value = next(iter(readings))
            # "II." right after II. is III. that lost an I (likewise I. after I.).
            if value == expected - 1 and set(tok) <= {"I", "l", "1", "|"} and \
                    len(to_roman(expected)) == len(tok) + 1 and (not nxt or expected + 1 in nxt or expected in nxt):
                value = expected
        else:
            value = max(readings)  # "IL." off the sequence: II. more likely than I.
        expected = value + 1
        fixed = f"{to_roman(value)}. {m.group('rest')}"
        if fixed != m.group(0) and lines[k][3]:
            put(k, fixed)


def _repair_items(lines: list[tuple[int, int, str, bool]], put) -> None:
    items = []  # (line index, number or None, match)
    for k, (_, _, text, _) in enumerate(lines):
        if _HEADING_RE.match(text) and _is_caps(_HEADING_RE.match(text).group("rest")):
            items.append((k, "H", None))  # a top-level heading restarts item numbering
            continue
        m = _ITEM_RE.match(text)
        if m:
            tok = m.group("tok")
            items.append((k, int(tok) if tok.isdigit() else None, m))
    for i in range(1, len(items) - 1):
        k, num, m = items[i]
        if num is not None or m is None:
            continue
        prev, nxt = items[i - 1][1], items[i + 1][1]
        if isinstance(prev, int) and isinstance(nxt, int) and nxt == prev + 2:
            guess = _ITEM_GUESS.get(m.group("tok"))
            if guess is None or guess == prev + 1:
                if lines[k][3]:
                    put(k, f"{prev + 1}. {m.group('rest')}")
