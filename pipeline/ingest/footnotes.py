"""Footnote zones at the foot of PDF and OCR pages, marked the way converters print them.

A Word footnote sits at the bottom of its page under a short rule: "1 Quyết định số
23-QĐ/TW ...", with the marker glued to a word of the body above ("hành động1."). The
rule is not text, and in many PDFs (and every OCR'd page) nothing else tells the
footnote from the body. Ingest marks the start of a footnote zone with the line
converters print for the rule, a run of spaces (``SEPARATOR``), which normalize reads as
the footnote separator and moves the bodies to the footnote area.

A zone starts at a line beginning with the next footnote number when the body before it
(on this page or an earlier one) has that number glued to a word, a closing quote or a
year: both must hold, so a numbered list ("2 Phòng ...") is never taken for a footnote.
"""

from __future__ import annotations

import regex

SEPARATOR = " " * 40
# "1 Quyết định ...", "¹ Quyết định ...", "1- ..."; never "1. " or "1) " (list items).
_START_RE = regex.compile(r"^[ \t]*(\d{1,3}|[¹²³⁴⁵⁶⁷⁸⁹⁰]{1,3})(?:[ \t]+|-[ \t]*|(?=\p{Lu}))(?=\S)")
_SUPERSCRIPT = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")
_MARKERS: dict[int, regex.Pattern] = {}


def _marker(n: int) -> regex.Pattern:
    m = _MARKERS.get(n)
    if m is None:
        sup = str(n).translate(str.maketrans("1234567890", "¹²³⁴⁵⁶⁷⁸⁹⁰"))
        m = regex.compile(rf"(?:(?<=\p{{L}}|[)”\"’\]]|/\d{{4}}|/[A-ZĐ]{{2,}}){n}(?![\d/,.]\d)|{sup}(?![¹²³⁴⁵⁶⁷⁸⁹⁰]))")
        _MARKERS[n] = m
    return m


# What OCR makes of a footnote's number (often set small): one stray letter or mark.
_OCR_NUMBER_RE = regex.compile(r"^[ \t]*([oOsSlI|.,'`])[ \t]+(?=\p{Lu})")


def _number(line: str) -> int | None:
    m = _START_RE.match(line)
    return int(m.group(1).translate(_SUPERSCRIPT)) if m else None


def mark_footnote_zones(pages: list[str], ocr: list[bool] | None = None) -> list[str]:
    """Pages with a ``SEPARATOR`` line before each footnote zone.

    On OCR'd pages (``ocr``), a footnote number misread as one letter ("o Chỉ thị số ...",
    where a marker for footnote 5 stands in the body above) is written back as the number.

    >>> pages = ["Nội dung hành động1. Tiếp\\ntục thực hiện\\n1 Quyết định số 23-QĐ/TW ngày 30/7/2021.",
    ...          "2. Nhiệm vụ\\nKhông có chú thích"]
    >>> [ln for ln in mark_footnote_zones(pages)[0].split("\\n")][2] == SEPARATOR
    True
    >>> mark_footnote_zones(["1. Mục đích\\n2 Phòng Văn hóa"]) == ["1. Mục đích\\n2 Phòng Văn hóa"]
    True
    """
    expected = 1
    body_before: list[str] = []  # body text of earlier pages, where markers may stand
    out = []
    for k, page in enumerate(pages):
        lines = page.split("\n")
        start = None
        for i, ln in enumerate(lines):
            if i == 0 or ln.lstrip().startswith("|"):
                continue
            misread = ocr is not None and ocr[k] and _number(ln) is None and _OCR_NUMBER_RE.match(ln)
            if _number(ln) != expected and not misread:
                continue
            before = "\n".join(body_before[-2:] + lines[:i])
            if _marker(expected).search(before):
                if misread:
                    lines[i] = _OCR_NUMBER_RE.sub(f"{expected} ", ln, count=1)
                start = i
                break
        if start is None:
            body_before.append(page)
            out.append(page)
            continue
        # Later footnotes of the same zone just follow; count them to keep numbering in step.
        for ln in lines[start:]:
            if _number(ln) == expected:
                expected += 1
        body_before.append(page)  # a marker may stand after the zone (body resumes below it)
        out.append("\n".join(lines[:start] + [SEPARATOR] + lines[start:]))
    return out
