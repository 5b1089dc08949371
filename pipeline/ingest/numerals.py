"""Roman numerals, both ways: Word's automatic numbering writes them, OCR misreads them."""

from __future__ import annotations

import regex

_VALUES = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
           (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
_ROMAN_RE = regex.compile(r"^M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$")


def to_roman(n: int) -> str:
    """A positive number in Roman numerals.

    >>> to_roman(14), to_roman(1999)
    ('XIV', 'MCMXCIX')
    """
    out = []
    for v, s in _VALUES:
        while n >= v:
            out.append(s)
            n -= v
    return "".join(out)


def roman_value(tok: str) -> int | None:
    """The value of a well-formed Roman numeral, else None.

    >>> roman_value("XIV"), roman_value("IIII"), roman_value("IL"), roman_value("")
    (14, None, None, None)
    """
    if not tok or not _ROMAN_RE.match(tok):
        return None
    single = dict((s, v) for v, s in _VALUES if len(s) == 1)
    total = 0
    for k, ch in enumerate(tok):
        v = single[ch]
        total += -v if k + 1 < len(tok) and v < single[tok[k + 1]] else v
    return total
