"""Normalize stage: ``RawDocument`` -> ``Document`` (the text every offset points into).

Two passes, each keeping an offset map so any span maps back to the raw text:

1. **Characters** (``normalize_chars``): NFC, one tone-placement style (hóa, thủy, ủy,
   khóa — the style of government documents), Ð -> Đ, dash variants -> "-", odd spaces,
   soft hyphens and control characters, ``\\r\\n``, markdown bold markers.
2. **Structure** (``normalize``): lines of PDF-extracted text become one paragraph per
   line (hard wraps joined; headings, list items and table rows kept apart; a symbol
   broken at "635/KH-⏎UBND" joined without a space), page numbers dropped, footnote
   bodies printed at page breaks moved to a footnote area after ``body_end``, glued
   footnote markers ("hành động1.", "23-QĐ/TW1;", "20253.") written ``[^1]``, markdown
   tables parsed, their page-continuation rows merged, one line per logical row.

The rules are about the *shape* of official documents (Nghị định 30/2020/NĐ-CP layout,
PDF converters' habits), never about one sample's wording.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import regex

from gazetteer import load

from .document import (Document, Footnote, FootnoteRef, OffsetMap, RawDocument, Table, TableCell,
                       TableRow, doc_id_for)

# ---------------------------------------------------------------------------------------
# Pass 1: characters
# ---------------------------------------------------------------------------------------

_OLD_TONE = {  # old-style tone on the second vowel of open oa/oe/uy -> on the first vowel
    "oá": "óa", "oà": "òa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oé": "óe", "oè": "òe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uý": "úy", "uỳ": "ùy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
_OLD_TONE.update({k.upper(): v.upper() for k, v in list(_OLD_TONE.items())})
_OLD_TONE.update({k[0].upper() + k[1]: v[0].upper() + v[1] for k, v in list(_OLD_TONE.items()) if k.islower()})

# U+0002 is how some PDF producers write the hyphen at a line break ("635/KH\x02UBND").
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u0002"
_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t\v"
_DELETE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u0000"

_CHAR_RE = regex.compile(
    r"(?P<crlf>\r\n?)"
    rf"|(?P<del>[{_DELETE}]+)"
    rf"|(?P<space>[{_SPACES}])"
    rf"|(?P<dash>[{_DASHES}])"
    r"|(?P<eth>[\u00d0\u00f0](?:\p{M})*)"  # Ð (Icelandic eth) looks like Đ
    r"|(?P<bold>\*\*|__(?=\S)|(?<=\S)__)"
    r"|(?P<comb>\p{L}\p{M}+)"
)
# Already-composed input (the common case) needs no per-letter look for combining marks.
_CHAR_RE_NFC = regex.compile(_CHAR_RE.pattern.replace(r"|(?P<comb>\p{L}\p{M}+)", ""))
# Every match of _CHAR_RE_NFC starts with one of these characters; scanning for them with
# the stdlib ``re`` is several times faster than letting ``regex`` try every position.
_CHAR_START_RE = re.compile(
    "[" + "".join(f"\\u{ord(c):04x}" for c in "\r" + _DELETE + _SPACES + _DASHES + "\u00d0\u00f0*_") + "]")
# Same length, applied after composition so decomposed input is fixed too.
_TONE_RE = regex.compile(r"(?<![qQ])(?:[oO][áàảãạÁÀẢÃẠéèẻẽẹÉÈẺẼẸ]|[uU][ýỳỷỹỵÝỲỶỸỴ])(?!\p{L})")
# The pairs a _TONE_RE match can start at (they cannot overlap), found by stdlib scans, one
# per first letter: a literal first character lets ``re`` skip ahead several times faster
# than a class would.
_TONE_PAIR_RES = [re.compile(first + "[" + vowels + "]")
                  for first, vowels in (("o", "áàảãạÁÀẢÃẠéèẻẽẹÉÈẺẼẸ"), ("O", "áàảãạÁÀẢÃẠéèẻẽẹÉÈẺẼẸ"),
                                        ("u", "ýỳỷỹỵÝỲỶỸỴ"), ("U", "ýỳỷỹỵÝỲỶỸỴ"))]
# Small patterns used below, compiled once (the hot path runs them per line).
_FN_BODY_START_RE = regex.compile(r"[\p{Lu}\"“(]")
_ENDS_MID_SENTENCE_RE = regex.compile(r"[\p{Ll},]\s*$")
_NUMBERED_ITEM_RE = regex.compile(r"^(?:[IVXL]{1,5}|\d{1,2}(?:\.\d{1,2})*)\s?[.)]\s")
_UPPER_OR_DIGIT_START_RE = regex.compile(r"^[\p{Lu}\d]")
_SPACED_BREAK_END_RE = regex.compile(r"\s[-/]$")
_SIGNATURE_PREFIX_RE = regex.compile(r"^(?:KT|TM|TL|TUQ|Q)\.\s")
_NUMBERED_HEADING_RE = regex.compile(r"^\d{1,3}(?:\.\d{1,3})*[.)]\s+\p{Lu}")
_ROMAN_HEADING_START_RE = regex.compile(r"^[IVXL]{1,6}\s?\.")
_ROMAN_LETTER_RE = regex.compile(r"[IVX]")
_ROMAN_CONFUSABLE_RE = regex.compile(r"[Ll1|]")
_DIGIT_OR_COLON_RE = regex.compile(r"[\d:]")
_RULE_LINE_RE = regex.compile(r"[-_=*]{3,}")
_ROW_NUMBER_RE = regex.compile(r"\d{1,4}[.)]?|[IVXL]{1,5}\.?|[a-zđ][.)]?")
_ETH = {"\u00d0": "Đ", "\u0110": "Đ", "\u00f0": "đ", "\u0111": "đ"}


def _char_sub(m: regex.Match) -> str:
    kind = m.lastgroup
    s = m.group()
    if kind == "crlf":
        return "\n"
    if kind in ("del", "bold"):
        return ""
    if kind == "space":
        return " "
    if kind == "dash":
        return "-"
    if kind == "eth":
        return _ETH[s[0]] + unicodedata.normalize("NFC", s[1:]) if len(s) > 1 else _ETH[s]
    # combining sequence
    return unicodedata.normalize("NFC", s)


def _nfc_char_matches(text: str):
    """The matches ``_CHAR_RE_NFC.finditer(text)`` would give, found from their first characters."""
    last = 0
    match = _CHAR_RE_NFC.match
    for c in _CHAR_START_RE.finditer(text):
        p = c.start()
        if p < last:
            continue  # inside the previous match
        m = match(text, p)
        if m:
            yield m
            last = m.end()


def _old_tone(pair: str) -> str:
    """The tone moved to the first vowel, each letter keeping its case ("oÁ" from a case
    change half-way through a word included).

    >>> _old_tone("oá"), _old_tone("UỶ"), _old_tone("oÁ")
    ('óa', 'ỦY', 'óA')
    """
    fixed = _OLD_TONE.get(pair)
    if fixed is None:
        fixed = "".join(c.upper() if p.isupper() else c for c, p in zip(_OLD_TONE[pair.lower()], pair))
    return fixed


def _fix_tone(s: str) -> str:
    """``_TONE_RE.sub`` with the old-style tone moved to the first vowel (same length)."""
    out: list[str] = []
    last = 0
    match = _TONE_RE.match
    for p in sorted(m.start() for pattern in _TONE_PAIR_RES for m in pattern.finditer(s)):
        e = p + 2
        after = s[e:e + 1]
        # An ASCII character after the pair is a letter (\p{L}) exactly when str.isalpha()
        # says so; anything else is left to the regex itself.
        if after.isascii():
            if after.isalpha() or (p and s[p - 1] in "qQ"):
                continue
        elif not match(s, p):
            continue
        out.append(s[last:p])
        out.append(_old_tone(s[p:e]))
        last = e
    if not out:
        return s
    out.append(s[last:])
    return "".join(out)


def normalize_chars(text: str) -> tuple[str, OffsetMap]:
    """Character-level normalization with an offset map to the input.

    >>> normalize_chars("Ð/c Thuỷ – hoá\\r\\n")[0]
    'Đ/c Thủy - hóa\\n'
    >>> normalize_chars("quý, Quỳnh, khoản, hoàn")[0]  # qu- and closed syllables keep their tone
    'quý, Quỳnh, khoản, hoàn'
    """
    out: list[str] = []
    points: list[tuple[int, int]] = [(0, 0)]
    pos_out = 0
    last = 0
    matches = _nfc_char_matches(text) if unicodedata.is_normalized("NFC", text) else _CHAR_RE.finditer(text)
    for m in matches:
        a, b = m.span()
        rep = _char_sub(m)
        if rep == m.group():
            continue
        if a > last:
            out.append(text[last:a])
            pos_out += a - last
        if len(rep) != b - a:
            points.append((pos_out, a))
            out.append(rep)
            pos_out += len(rep)
            points.append((pos_out, b))
        else:
            out.append(rep)
            pos_out += len(rep)
        last = b
    out.append(text[last:])
    s = _fix_tone("".join(out))
    if len(s) != len(text) or len(points) > 1:
        # For the tone rule the replacement may be shorter when a combining
        # cluster was matched earlier; keep only monotonic breakpoints.
        clean = [points[0]]
        for p in points[1:]:
            if p[0] >= clean[-1][0] and p[1] >= clean[-1][1]:
                if p[0] == clean[-1][0]:
                    clean[-1] = p
                else:
                    clean.append(p)
        return s, OffsetMap(clean)
    return s, OffsetMap()


# ---------------------------------------------------------------------------------------
# Pass 2: structure
# ---------------------------------------------------------------------------------------

ROMAN = r"(?:X{0,3}(?:IX|IV|V?I{0,3}))"
_ROMAN_OCR_RE = regex.compile(r"^(\s*)([IVXLl1|]{1,5})(\s?\.\s)")
_VALID_ROMAN_RE = regex.compile(rf"^{ROMAN}$")

# A line that starts a new block: headings, list items, signature/recipient blocks. Each
# branch comes with the class of characters it can start with (see _block_start_re_for).
_BLOCK_START_BRANCHES = [
    (r"[PCM]", r"(?:PHẦN|Phần|CHƯƠNG|Chương|MỤC|Mục)\s+[IVXLC\d]+\b"),
    (r"[IVXL]", r"[IVXL]{1,6}\s?[.)](?:\s|$)"),  # I. II) — Roman headings
    (r"[A-ZĐ]", r"[A-ZĐ][.)]\s"),  # A. B) lettered headings
    (r"\d", r"\d{1,3}(?:\.\d{1,3}){0,3}[.)](?:\s|$)"),  # 1. 1.1. 1.1.1. 1)
    (r"\d", r"\d{1,3}(?:\.\d{1,3}){1,3}\s"),  # 1.1 without final dot
    (r"[a-zđ]", r"[a-zđ][.)]\s"),  # a) b. — lettered items
    (r"[-+•*●○■□◦▪]", r"[-+•*●○■□◦▪]\s?(?=[\p{Lu}\d\"“(])"),  # bullets (a "- xã hội" wrap is not one)
    (r"Đ", r"Điều\s+\d+"),  # articles
    (r"[NKTQP]", r"(?:Nơi\s+nhận|KT\.|TM\.|TL\.|TUQ\.|Q\.\s|PHỤ\s+LỤC)"),
    (r"\(", r"\(Kèm|\(kèm"),
    (r"[VS]", r"V/v\b|Số\s*:"),  # letterhead lines
    (r"\p{Lu}", r"\p{Lu}[^,\n]{1,40},\s*ngày\s"),  # "Hà Nội, ngày 20 tháng 11 năm 2025"
]
_BLOCK_START_RE = regex.compile("^(?:" + "|".join(b for _, b in _BLOCK_START_BRANCHES) + ")")


@lru_cache(maxsize=None)
def _block_start_branches_re(branches: tuple[str, ...]) -> regex.Pattern | None:
    return regex.compile("^(?:" + "|".join(branches) + ")") if branches else None


@lru_cache(maxsize=4096)
def _block_start_re_for(c: str) -> regex.Pattern | None:
    """``_BLOCK_START_RE`` cut down to the branches a line starting with ``c`` can match
    (None when there are none): the full alternation costs several times more per line."""
    return _block_start_branches_re(tuple(b for first, b in _BLOCK_START_BRANCHES if regex.match(first, c)))


# First character -> _block_start_re_for(it), filled as characters are met (a dict lookup
# costs less than the lru_cache call in the per-line join test).
_BLOCK_START_BY_FIRST: dict[str, regex.Pattern | None] = {}


def _block_start(q: str) -> bool:
    """``_BLOCK_START_RE.match(q)`` for a non-empty ``q``."""
    pattern = _block_start_re_for(q[0])
    return pattern is not None and pattern.match(q) is not None


# What a line starting with an upper-case letter must begin with (or contain) to match
# _BLOCK_START_RE: a heading keyword, a Roman or letter ordinal, a "<place>, ngày" line.
_BLOCK_UPPER_STARTS = ("PHẦN", "Phần", "CHƯƠNG", "Chương", "MỤC", "Mục", "Điều", "Nơi", "KT.", "TM.", "TL.", "TUQ.",
                       "Q.", "PHỤ", "V/v", "Số")
# Two capitalised words then a lower-case one: a proper name going on ("Việt Nam thành phố"),
# where a new paragraph starts "Chủ động phối hợp …".
_PROPER_NOUN_START_RE = regex.compile(r"^\p{Lu}\p{Ll}*\s+\p{Lu}\p{Ll}*(?:\s+\p{Lu}\p{Ll}*)*\s+\p{Ll}")
_LIST_MARKER_START_RE = regex.compile(r"^(?:[IVXL]{1,6}|\d{1,3}(?:\.\d{1,3})*|[a-zđA-ZĐ])\s?[.)]\s|^[-+•]\s")
# Function words a Vietnamese sentence or heading never ends on.
_OPEN_END_WORDS = ("tại", "của", "và", "với", "theo", "về", "các", "những", "cho", "trong", "đến", "từ", "do", "bởi",
                   "được", "là", "thì", "mà", "hoặc", "nếu", "để", "số")
_OPEN_END_RE = regex.compile(r"(?<!\S)(?:" + "|".join(_OPEN_END_WORDS) + ")$")
_DASH_LOWER_RE = regex.compile(r"^-\s*\p{Ll}")  # "chính trị⏎- xã hội": a compound, not a bullet
_LOWER_ITEM_RE = regex.compile(r"^[a-zđ][.)]\s")
_ORDINAL_ONLY_RE = regex.compile(r"^(?:[IVXL]{1,6}|\d{1,2}(?:\.\d{1,2})*|[A-ZĐa-zđ])\s?[.)]$")
_TERMINAL_RE = regex.compile(r"""[.;:!?…]["”’)\]]*$|\./\.$""")
_TERMINAL_CLOSERS = "\"”’)]"  # what may follow the sentence-ending character in _TERMINAL_RE
_SYMBOL_BREAK_RE = regex.compile(r"\d[\p{L}\d]*(?:[/-][\p{L}\d&]+)*[/-]$")
# Openers of the legal-basis paragraph (Nghị định 30/2020 layout): never a wrapped line.
_PARA_OPENERS = ("Căn cứ", "Thực hiện", "Xét đề nghị", "Theo đề nghị", "Trên cơ sở", "Thừa lệnh", "Thừa ủy quyền")
_PARA_OPENER_RE = regex.compile(r"^(?:" + "|".join(_PARA_OPENERS) + r")\b")
_PAGE_NUMBER_RE = regex.compile(r"^\s*(?:-\s*)?(?:[Tt]rang\s+)?\d{1,3}(?:\s*/\s*\d{1,3})?(?:\s*-)?\s*$")
_FN_SEPARATOR_RE = regex.compile(r"^(?:[ \t]{10,}|_{8,}|\s*-{20,})\s*$")
_UNMARKED_FN_START_RE = regex.compile(r"^\s?\d{1,2}(?:\s*-\s*|\s+)(?=\p{Lu})")
_FN_START_RE = regex.compile(r"^\s?(\d{1,3}|[¹²³⁴⁵⁶⁷⁸⁹⁰]+)(?:[\s.)-]\s*|(?=\p{Lu}))(?=\S)")
_SUPERSCRIPT = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")
_SUPERSCRIPT_DIGITS = "¹²³⁴⁵⁶⁷⁸⁹⁰"
_SUPERSCRIPT_RE = regex.compile(r"(?<=\S)[¹²³⁴⁵⁶⁷⁸⁹⁰]+")
_TABLE_LINE_RE = regex.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEP_RE = regex.compile(r"^\s*\|(?:\s*:?-{2,}:?\s*\|)+\s*$")
_TAG_RE = regex.compile(r"</?(?:p|br|b|i|u|strong|em|span|div|sup|sub)\b[^>]*>", regex.I)
_WS_RE = regex.compile(r"\s+")
_NONSPACE_RE = regex.compile(r"\S+")
_HEADING_HASH_RE = regex.compile(r"^#{1,6}\s+")
# The enacting authority line of a decision ("ỦY BAN NHÂN DÂN TỈNH X" above "QUYẾT ĐỊNH:").
AUTHORITY_LINE_RE = regex.compile(
    r"^(?:ỦY BAN NHÂN DÂN|UBND|CHỦ TỊCH|BỘ TRƯỞNG|THỦ TƯỚNG|HỘI ĐỒNG NHÂN DÂN|BAN THƯỜNG VỤ|BAN CHẤP HÀNH|"
    r"GIÁM ĐỐC|CHÁNH VĂN PHÒNG|TỔNG CỤC TRƯỞNG|CỤC TRƯỞNG|CHÍNH PHỦ|QUỐC HỘI)\b")
CAPS_LINE_RE = regex.compile(r"^[^\p{Ll}]*\p{Lu}[^\p{Ll}]*$")
# Lower-case (\p{Ll}) letters of Vietnamese text, to rule out CAPS_LINE_RE cheaply.
_VI_LOWER = frozenset("abcdefghijklmnopqrstuvwxyzàáâãèéêìíòóôõùúýăđĩũơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
# A line that is only a document type ("KẾ HOẠCH", "QUYẾT ĐỊNH:"), from gazetteer/data/document_titles.json.
_DOC_TYPE_TITLES = [e["title"] for e in load("document_titles")["titles"]] + ["PHỤ LỤC"]
_DOC_TYPE_LINE_RE = regex.compile("^(?:" + "|".join(regex.escape(t) for t in _DOC_TYPE_TITLES) + r")\s*:?$")
# The characters a document-type line can start and end with (cheap tests before the regex).
_DOC_TYPE_FIRST = frozenset(t[0] for t in _DOC_TYPE_TITLES)
_DOC_TYPE_LAST = frozenset(t[-1] for t in _DOC_TYPE_TITLES) | {":"}
assert all(_DOC_TYPE_TITLES), "an empty title would match lines the cheap tests rule out"


class _Lines:
    """The lines of the char-normalized text, one list per field (``start``, ``end``, ``text``,
    ``page``, ``page_start``, ``kind``): a document has thousands of lines, and one object
    per line cost more than splitting them. The hot loops read the lists; ``lines[k]`` gives
    a ``_Line`` view for the rules that look at a few lines."""

    __slots__ = ("start", "end", "text", "page", "page_start", "kind")

    def __init__(self) -> None:
        self.start: list[int] = []  # in the char-normalized text
        self.end: list[int] = []  # exclusive, without the newline
        self.text: list[str] = []
        self.page: list[int] = []
        self.page_start: list[bool] = []  # first line of a page (after \f or a leading-space line)
        self.kind: list[str] = []  # text, blank, table, footnote, drop

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, k: int) -> "_Line":
        if not -len(self.text) <= k < len(self.text):
            raise IndexError(k)
        return _Line(self, k % len(self.text))


class _Line:
    """One line of ``_Lines`` (a view: setting ``kind`` writes through)."""

    __slots__ = ("_lines", "_k")

    def __init__(self, lines: _Lines, k: int):
        self._lines = lines
        self._k = k

    start = property(lambda self: self._lines.start[self._k])
    end = property(lambda self: self._lines.end[self._k])
    text = property(lambda self: self._lines.text[self._k])
    page = property(lambda self: self._lines.page[self._k])
    page_start = property(lambda self: self._lines.page_start[self._k])

    @property
    def kind(self) -> str:
        return self._lines.kind[self._k]

    @kind.setter
    def kind(self, value: str) -> None:
        self._lines.kind[self._k] = value


@dataclass
class _Builder:
    """Accumulates output text with breakpoints into the char-normalized text."""

    parts: list[str] = field(default_factory=list)
    points: list[tuple[int, int]] = field(default_factory=list)
    length: int = 0

    def emit(self, s: str, src: int) -> None:
        """Append ``s`` copied from source position ``src`` (lengths advance together)."""
        if not s:
            return
        self.points.append((self.length, src))
        self.parts.append(s)
        self.length += len(s)

    def insert(self, s: str, src: int) -> None:
        """Append text that has no source (separators, ``[^n]``); it maps to ``src``."""
        if not s:
            return
        self.points.append((self.length, src))
        self.parts.append(s)
        self.length += len(s)
        # the inserted characters must not advance the source position
        self.points.append((self.length, src))

    def text(self) -> str:
        return "".join(self.parts)


def _split_lines(text: str) -> tuple[_Lines, list[int], list[int]]:
    """Split at newlines and form feeds (page breaks); mark blank and markdown table lines.

    Also returns, so that later steps need not look at every line again, the indices of the
    lines that may be page numbers (``_may_be_page_number``) and of those that may start a
    footnote block (a blank line of 10+ characters, a separator; a line with a digit in its
    first two characters).
    """
    lines = _Lines()
    texts, kinds, pages, page_starts = lines.text, lines.kind, lines.page, lines.page_start
    number_lines: list[int] = []
    footnote_lines: list[int] = []
    table_match = _TABLE_LINE_RE.match
    # Splitting pages first, then lines, gives the same segments as splitting each line at "\f".
    for page, page_text in enumerate(text.split("\f"), 1):
        segs = page_text.split("\n")
        k = len(texts)
        texts += segs
        pages += [page] * len(segs)
        page_starts += [False] * len(segs)
        kinds += ["text"] * len(segs)  # the common kind; the others are set below
        may_be_table = "|" in page_text
        new_page = True
        for seg in segs:
            if not seg or seg.isspace():
                if len(seg) >= 10:
                    footnote_lines.append(k)
                kinds[k] = "blank"
            else:
                if new_page:
                    page_starts[k] = True
                    new_page = False
                elif seg[0] == " " and seg[1:2] != " " and k:
                    # PDF converters print the first line of a page with one leading space
                    page_starts[k] = True
                if may_be_table and "|" in seg and table_match(seg):
                    kinds[k] = "table"
                else:
                    last = seg[-1]
                    if (last == "-" or last.isdigit() or last.isspace()) and _may_be_page_number(seg):
                        number_lines.append(k)
                    if seg[0].isdigit() or seg[1:2].isdigit():
                        footnote_lines.append(k)
            k += 1
    # Each line is followed by one separator character ("\n" or "\f").
    lines.start = list(map(operator.add, itertools.accumulate(map(len, texts), initial=0), range(len(texts))))
    lines.end = list(map(operator.add, lines.start, map(len, texts)))
    return lines, number_lines, footnote_lines


def _may_be_page_number(s: str) -> bool:
    """False when ``_PAGE_NUMBER_RE`` cannot match the non-blank line ``s``: a page number
    ends with a digit or "-" and starts with "-", "T(rang)" or a digit (spaces aside)."""
    last = s[-1] if not s[-1].isspace() else s.rstrip()[-1:]
    if not (last == "-" or last.isdigit()):
        return False
    first = s[0] if not s[0].isspace() else s.lstrip()[:1]
    if not (first in "-Tt" or first.isdigit()):
        return False
    # At most 14 characters of a page number are not spaces ("-", "Trang", two 3-digit numbers,
    # "/", "-"); a printable line has no whitespace but " " (the regex's \s).
    return len(s) - s.count(" ") <= 14 or not s.isprintable()


def _may_be_unmarked_fn_start(s: str) -> bool:
    """False when ``_UNMARKED_FN_START_RE`` cannot match ``s``: after at most one space, one or
    two digits must be followed by a space or "-"."""
    i = 1 if s[:1].isspace() else 0
    if not s[i:i + 1].isdigit():
        return False
    c = s[i + 1:i + 2]
    if c.isdigit():
        c = s[i + 2:i + 3]
    return c == "-" or c.isspace()


def _strip_offsets(t: str) -> tuple[int, int]:
    """Offsets in ``t`` of the line without leading/trailing whitespace and markdown heading hashes."""
    a = len(t) - len(t.lstrip())
    b = len(t.rstrip())
    # ``^`` matches only at the very start, so hashes count only on a line without indentation.
    if a == 0 and t[:1] == "#":
        m = _HEADING_HASH_RE.match(t)
        if m:
            a = m.end()
    return a, b


def _strip_span(line: _Line) -> tuple[int, int]:
    """Span of the line without leading/trailing whitespace and markdown heading hashes."""
    a, b = _strip_offsets(line.text)
    return line.start + a, line.start + b


def _has_marker(marker_starts: list[int], a: int, z: int) -> bool:
    """True when a footnote marker starts in ``[a, z)``."""
    k = bisect.bisect_left(marker_starts, a)
    return k < len(marker_starts) and marker_starts[k] < z


def _is_caps(s: str) -> bool:
    """No lower-case letter, an upper-case one and at least two letters in all."""
    if s[1:2] in _VI_LOWER or s[-1:] in _VI_LOWER:  # a lower-case letter: the common answer, without the regex
        return False
    if not CAPS_LINE_RE.match(s):
        return False
    letters = 0
    for c in s:
        if c.isalpha():
            letters += 1
            if letters == 2:
                return True
    return False


def _is_doc_type_line(s: str) -> bool:
    """``_DOC_TYPE_LINE_RE.match(s)`` for a non-empty stripped ``s``, skipping the regex when
    the first or last character rules it out."""
    return s[0] in _DOC_TYPE_FIRST and s[-1] in _DOC_TYPE_LAST and _DOC_TYPE_LINE_RE.match(s) is not None


def _may_start_block(q: str) -> bool:
    """False when ``_BLOCK_START_RE`` cannot match the non-empty ``q`` (a cheap test that
    spares the regex for the many lines starting with a capitalised word)."""
    c = q[0]
    return (not c.isupper() or c in "IVXL" or q[1:2] in ".)" or q.startswith(_BLOCK_UPPER_STARTS)
            or "ngày" in q)


def _ends_sentence(s: str) -> bool:
    """``_TERMINAL_RE.search(s)`` for a right-stripped ``s``, without scanning all of ``s``:
    the last character before any closing quotes/brackets ends a sentence ("./." included)."""
    t = s.rstrip(_TERMINAL_CLOSERS)
    return t[-1:] in ".;:!?…" and t != ""


def _expected_fn_number(s: str) -> int | None:
    m = _FN_START_RE.match(s)
    if not m or not _FN_BODY_START_RE.match(s[m.end():m.end() + 1]):
        return None
    return int(m.group(1).translate(_SUPERSCRIPT))


@dataclass
class _FootnoteBlock:
    number: int
    spans: list[tuple[int, int]]  # text spans (char-normalized coords) of the body
    anchor: int  # position of the first footnote line (markers are searched before it)


def _find_footnotes(lines: _Lines, text: str, candidates: list[int],
                    superscripts: list[regex.Match]) -> list[_FootnoteBlock]:
    """Find footnote bodies printed at page breaks and mark their lines ``footnote``.

    Two shapes occur: a separator line (a run of spaces or underscores) followed by
    "1 Quyết định ..." lines; and, in markdown conversions, "1- ..." blocks that interrupt
    a sentence right where a superscript marker's page ended. Only the ``candidates``
    lines (in order; from ``_split_lines``) can start a block; ``superscripts`` are the
    text's ``_superscript_matches``.
    """
    blocks: list[_FootnoteBlock] = []
    expected = 1
    # superscript marker number -> position of its first occurrence; an inline footnote
    # body can only come after its marker.
    pending_sup: dict[int, int] = {}
    for m in superscripts:
        pending_sup.setdefault(int(m.group().translate(_SUPERSCRIPT)), m.start())
    n = len(lines)
    # Only a candidate can start a block: a separator is a blank line of 10+ characters, a
    # footnote line starts with a number (after at most one space). Visiting just those, in
    # order, skips lines the checks below would reject.
    texts, kinds = lines.text, lines.kind
    i = 0
    for c in candidates:
        if c < i:
            continue  # inside a block already consumed
        i = c
        kind, line_text = kinds[i], texts[i]
        start_idx = None
        if kind == "blank" and _FN_SEPARATOR_RE.match(line_text):
            j = i + 1
            while j < n and kinds[j] == "blank" and not _FN_SEPARATOR_RE.match(texts[j]):
                j += 1
            if j < n and _expected_fn_number(texts[j]) == expected:
                start_idx = j
        elif kind == "text" and lines.start[i] > pending_sup.get(expected, len(text)) \
                and _expected_fn_number(line_text) == expected:
            prev = _prev_text_line(lines, i)
            # the page broke mid-sentence: the previous line ends with a word or a comma
            if prev is not None and _ENDS_MID_SENTENCE_RE.search(prev.text) \
                    and not _TABLE_LINE_RE.match(prev.text):
                start_idx = i
        elif kind == "text" and _may_be_unmarked_fn_start(line_text) and _UNMARKED_FN_START_RE.match(line_text) \
                and _expected_fn_number(line_text) == expected and _interrupts_sentence(lines, i):
            # OCR and some converters lose the superscript marker; the block's shape
            # (it cuts a sentence that resumes in lower case after it) still tells.
            start_idx = i
        if start_idx is None:
            i += 1
            continue
        i = _consume_footnotes(lines, start_idx, blocks, expected)
        expected = blocks[-1].number + 1
    return blocks


def _superscript_matches(text: str) -> list[regex.Match]:
    """``_SUPERSCRIPT_RE`` matches; most documents have no superscript digit, which ten
    substring tests tell faster than the regex's scan."""
    if not any(d in text for d in _SUPERSCRIPT_DIGITS):
        return []
    return list(_SUPERSCRIPT_RE.finditer(text))


def _interrupts_sentence(lines: _Lines, i: int, window: int = 12) -> bool:
    """Line ``i`` starts a block that cuts a sentence: the line before ends mid-sentence and,
    a few lines on, a line ending a sentence is followed by a lower-case continuation."""
    prev = _prev_text_line(lines, i)
    if prev is None or _TABLE_LINE_RE.match(prev.text) or not _ENDS_MID_SENTENCE_RE.search(prev.text):
        return False
    last = lines[i]
    seen = 0
    for k in range(i + 1, len(lines)):
        ln = lines[k]
        if ln.kind != "text":
            continue
        seen += 1
        if seen > window or _TABLE_LINE_RE.match(ln.text):
            return False
        s = ln.text.strip()
        if s[:1].islower() and _ends_sentence(last.text.rstrip()):
            return True
        last = ln
    return False


def _prev_text_line(lines: _Lines, i: int) -> _Line | None:
    kinds = lines.kind
    for k in range(i - 1, -1, -1):
        if kinds[k] == "text":
            return lines[k]
    return None


def _consume_footnotes(lines: _Lines, i: int, blocks: list[_FootnoteBlock], expected: int) -> int:
    n = len(lines)
    current: _FootnoteBlock | None = None
    last_text: _Line | None = None
    while i < n:
        ln = lines[i]
        if ln.kind == "blank":
            i += 1
            continue
        num = _expected_fn_number(ln.text)
        if num == expected and (current is None or last_text is None or True):
            m = _FN_START_RE.match(ln.text)
            a = ln.start + m.end()
            current = _FootnoteBlock(num, [(a, _strip_span(ln)[1])], ln.start)
            blocks.append(current)
            expected += 1
            ln.kind = "footnote"
            last_text = ln
            i += 1
            continue
        if current is None:
            break
        # Does this line continue the footnote, or resume the page body?
        if ln.page_start or ln.kind != "text" or _TABLE_LINE_RE.match(ln.text):
            break
        s = ln.text.strip()
        prev_ended = _ends_sentence(last_text.text.rstrip())
        if prev_ended and (s[:1].islower() or _NUMBERED_ITEM_RE.match(s)):
            break
        if not prev_ended and s[:1].islower() and _is_interrupted_body(lines, current, blocks):
            break
        current.spans.append(_strip_span(ln))
        ln.kind = "footnote"
        last_text = ln
        i += 1
    return i


def _is_interrupted_body(lines, current, blocks) -> bool:
    # A lowercase line right after a footnote line that did not end a sentence is a
    # continuation of that footnote (footnotes wrap like body text).
    return False


_MARKER_CAND_RE_CACHE: dict[int, regex.Pattern] = {}


def _marker_re(n: int) -> regex.Pattern:
    r = _MARKER_CAND_RE_CACHE.get(n)
    if r is None:
        sup = str(n).translate(str.maketrans("1234567890", "¹²³⁴⁵⁶⁷⁸⁹⁰"))
        r = regex.compile(
            rf"(?:(?<=[\p{{L}}”\"’)\]])(?<!QH){n}(?![\d/,.]\d)(?=[\s.,;:)\]”\"’…]|$)"
            rf"|(?<=\b\d{{1,2}}/\d{{1,2}}/\d{{4}}){n}(?=[\s.,;:)]|$)"
            rf"|{sup}(?![¹²³⁴⁵⁶⁷⁸⁹⁰]))"
        )
        _MARKER_CAND_RE_CACHE[n] = r
    return r


def _find_markers(text: str, lines: _Lines, blocks: list[_FootnoteBlock],
                  superscripts: list[regex.Match]) -> list[tuple[int, int, int]]:
    """Locate each footnote's marker in the body: (start, end, number) in char coords."""
    if not blocks and not superscripts:
        return []
    body_spans = [(a, z) for a, z, kind in zip(lines.start, lines.end, lines.kind) if kind in ("text", "table")]
    body_starts = [s for s, _ in body_spans]

    def in_body(pos: int) -> bool:
        k = bisect.bisect_right(body_starts, pos) - 1
        return k >= 0 and body_spans[k][0] <= pos < body_spans[k][1]

    markers: list[tuple[int, int, int]] = []
    lo = 0
    for b in blocks:
        found = None
        for m in _marker_re(b.number).finditer(text, lo, b.anchor):
            if in_body(m.start()):
                found = m
                break
        if found is None:  # search further back (a marker on an earlier page)
            for m in _marker_re(b.number).finditer(text, 0, b.anchor):
                if in_body(m.start()) and all(not (x[0] <= m.start() < x[1]) for x in markers):
                    found = m
        if found is not None:
            markers.append((found.start(), found.end(), b.number))
            lo = found.end()
    # Superscript digits with no footnote body found are still markers.
    known = {(a, b_) for a, b_, _ in markers}
    for m in superscripts:
        if (m.start(), m.end()) not in known and in_body(m.start()):
            markers.append((m.start(), m.end(), int(m.group().translate(_SUPERSCRIPT))))
    markers.sort()
    return markers


# --- tables ------------------------------------------------------------------------------

@dataclass
class _Cell:
    frags: list[tuple[int, int]]  # spans in char coords (already stripped of tags/space)

    def is_empty(self, text: str) -> bool:
        return all(not _clean_piece(text[a:b]) for a, b in self.frags)


@dataclass
class _Row:
    cells: list[_Cell]
    is_header: bool = False


def _split_cells(text: str, ln: _Line) -> list[tuple[int, int]]:
    s = ln.text
    a = s.index("|")
    b = s.rindex("|")
    spans = []
    pos = a + 1
    while pos <= b:
        nxt = s.find("|", pos)
        if nxt == -1 or nxt > b:
            break
        spans.append((ln.start + pos, ln.start + nxt))
        pos = nxt + 1
    return spans


def _clean_piece(s: str) -> str:
    return _WS_RE.sub(" ", _TAG_RE.sub(" ", s)).strip()


def _parse_table_blocks(text: str, lines: _Lines) -> list[tuple[int, int, list[_Row]]]:
    """Group table lines into logical tables (continuations across pages merged).

    A row directly above a ``|---|`` line is a header. In one logical table the first
    header is kept; a later header that repeats it (or is empty) is the page break's
    reprint and is dropped; a row whose first cell is empty continues the row above.
    Returns (first_line_idx, last_line_idx, rows); rows hold cell fragments.
    """
    tables: list[tuple[int, int, list[_Row]]] = []
    kinds = lines.kind
    i, n = 0, len(lines)
    while i < n:
        if kinds[i] != "table":
            try:
                i = kinds.index("table", i)  # skip to the next table line in one step
            except ValueError:
                break
        j = i
        block = []
        while j < n and kinds[j] == "table":
            block.append(lines[j])
            j += 1
        rows = []
        for k, ln in enumerate(block):
            if _TABLE_SEP_RE.match(ln.text):
                continue
            cells = [_Cell([(a, b)]) for a, b in _split_cells(text, ln)]
            is_header = k + 1 < len(block) and bool(_TABLE_SEP_RE.match(block[k + 1].text))
            rows.append(_Row(cells, is_header))
        if not rows:  # only separator lines: nothing to keep
            for ln in block:
                ln.kind = "drop"
            i = j
            continue
        ncols = max(len(r.cells) for r in rows)
        # Continuation of the previous table? Only blank lines / page breaks between.
        prev = tables[-1] if tables else None
        if prev is not None and all(kinds[k] in ("blank", "drop", "footnote") for k in range(prev[1] + 1, i)) \
                and max((len(r.cells) for r in prev[2]), default=-1) == ncols:
            merged = prev[2]
            tables[-1] = (prev[0], j - 1, merged)
        else:
            merged = []
            tables.append((i, j - 1, merged))
        _add_rows(text, merged, rows)
        i = j
    return tables


def _add_rows(text: str, merged: list[_Row], rows: list[_Row]) -> None:
    first_header = next((r for r in merged if r.is_header), None)
    for r in rows:
        empty = all(c.is_empty(text) for c in r.cells)
        if r.is_header:
            if first_header is None and not empty and not merged:
                merged.append(r)
                first_header = r
                continue
            if empty or (first_header is not None and _row_text(text, r) == _row_text(text, first_header)):
                continue  # the header reprinted after a page break
            r.is_header = False
        if empty:
            continue
        if r.cells and r.cells[0].is_empty(text) and merged and not merged[-1].is_header:
            _merge_into(text, merged[-1], r)
        else:
            merged.append(r)


def _row_text(text: str, r: _Row) -> list[str]:
    return [" ".join(_clean_piece(text[a:b]) for a, b in c.frags) for c in r.cells]


def _merge_into(text: str, target: _Row, cont: _Row) -> None:
    for k, c in enumerate(cont.cells):
        if k < len(target.cells):
            if not c.is_empty(text):
                target.cells[k].frags.extend(c.frags)
        else:
            target.cells.append(c)


# --- joining lines ----------------------------------------------------------------------

def _wrap_width(lines: _Lines) -> float:
    lens = sorted([n for t, kind in zip(lines.text, lines.kind) if kind == "text" and (n := len(t.strip())) >= 20])
    if not lens:
        return 80.0
    width = float(lens[int(len(lens) * 0.8)])
    # Too few lines to tell how the converter wrapped: assume the usual A4 line.
    return width if len(lens) >= 8 else max(width, 80.0)


def _joins(prev: str, nxt: str, width: float) -> str | None:
    """How to join line ``nxt`` to ``prev`` of the same paragraph: "" (no space), " ",
    or None when ``nxt`` starts a new paragraph.

    >>> _joins("Kế hoạch số 635/KH-", "UBND ngày 26/01/2025", 80)
    ''
    >>> _joins("của Thủ tướng Chính", "phủ về tiếp tục", 80) is not None
    True
    >>> _joins("I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích", 80) is None
    True
    """
    return _joins_stripped(prev.rstrip(), nxt.strip(), width)


def _joins_stripped(p: str, q: str, width: float) -> str | None:
    """``_joins`` for a right-stripped ``p`` and a stripped ``q``, as the main loop has them."""
    if not p or not q:
        return None
    p0, pz, c = p[0], p[-1], q[0]  # read by most of the tests below
    # Fast path for the commonest case, a wrapped line going on in lower case. The cheap
    # character tests come first; each regex or prefix test only runs when its first
    # character can match (``_is_doc_type_line`` inlined).
    if c.islower() and pz not in "-/" and p0 != "|" \
            and not (q[1:2] in ".)" and _LOWER_ITEM_RE.match(q)) \
            and not (p0 in "NKTQ" and p.startswith(("Nơi nhận", "KT.", "TM.", "TL.", "TUQ.", "Q."))) \
            and not (p0 in _DOC_TYPE_FIRST and pz in _DOC_TYPE_LAST and _DOC_TYPE_LINE_RE.match(p)):
        return " "
    if ("|" in q and _TABLE_LINE_RE.match(q)) or ("|" in p and _TABLE_LINE_RE.match(p)):
        return None
    if pz in "/-" and _SYMBOL_BREAK_RE.search(p) and _UPPER_OR_DIGIT_START_RE.match(q) \
            and not _SPACED_BREAK_END_RE.search(p):
        return ""  # "635/KH-⏎UBND", "2026-⏎2031"
    # An ordinal alone has no space before its last two characters ("1.2.", "II .").
    if pz in ".)" and p.find(" ", 0, len(p) - 2) == -1 and _ORDINAL_ONLY_RE.match(p):
        return " "  # "I." alone on its line: the heading text follows
    if (p0 in _DOC_TYPE_FIRST and pz in _DOC_TYPE_LAST and _DOC_TYPE_LINE_RE.match(p)) \
            or (p0 in "KTQ" and _SIGNATURE_PREFIX_RE.match(p)) or (p0 == "N" and p.startswith("Nơi nhận")):
        return None
    t = p.rstrip(_TERMINAL_CLOSERS)  # _ends_sentence(p), inlined: this runs for most lines
    terminal = t[-1:] in ".;:!?…" and t != ""
    # _may_start_block(q) and _block_start(q), inlined with a dict for the per-character pattern.
    block_re = _BLOCK_START_BY_FIRST.get(c, False)
    if block_re is False:
        block_re = _BLOCK_START_BY_FIRST[c] = _block_start_re_for(c)
    if block_re is not None \
            and (not c.isupper() or c in "IVXL" or q[1:2] in ".)" or q.startswith(_BLOCK_UPPER_STARTS) or "ngày" in q) \
            and block_re.match(q) is not None \
            and not (c.isdigit() and not terminal and len(p) >= 0.85 * width and not _NUMBERED_HEADING_RE.match(q)):
        return None
    wrapped = width < 130  # a document hard-wrapped by its converter (not one line per paragraph)
    if q.startswith(_PARA_OPENERS) and _PARA_OPENER_RE.match(q) and len(p) < 0.95 * width:
        return None
    if c.islower() or c in ",;)”’" or (c.isdigit() and not terminal) or (c == "-" and _DASH_LOWER_RE.match(q)):
        return " "
    if terminal:
        # A full wrapped line that happens to end a sentence: the paragraph goes on.
        if wrapped and len(p) >= 0.9 * width and pz == "." and not _is_caps(q) and not p.endswith("./."):
            return " "
        return None
    # An uppercase start after an unfinished line: a wrapped proper noun, unless the
    # previous line is clearly short (a heading or title line that ended by itself).
    if p.endswith(_OPEN_END_WORDS) and _OPEN_END_RE.search(p):
        return " "  # a line cannot end on "tại", "của", "và" …: the sentence goes on
    p_caps, q_caps = _is_caps(p), _is_caps(q)
    if not p_caps and not q_caps and _PROPER_NOUN_START_RE.match(q) and not _LIST_MARKER_START_RE.match(p):
        return " "  # "Ủy ban Mặt trận Tổ quốc⏎Việt Nam thành phố": a name wrapped mid-way
    if p_caps and q_caps:
        if _is_doc_type_line(q) or AUTHORITY_LINE_RE.match(q):
            return None
        # "III. NHIỆM VỤ VÀ GIẢI⏎PHÁP": a Roman heading wrapped onto a second caps line
        return " " if _ROMAN_HEADING_START_RE.match(p) or len(p) >= 0.5 * width else None
    if p_caps != q_caps:
        return None
    # A wrapped line is nearly full (only the next word did not fit).
    return " " if len(p) >= 0.82 * width else None


# --- main --------------------------------------------------------------------------------

def _fix_roman_ocr(line_text: str) -> str:
    """OCR reads "II." as "IL." or "Il.": repair heading numerals that are not valid Roman."""
    m = _ROMAN_OCR_RE.match(line_text)
    if not m:
        return line_text
    tok = m.group(2)
    if _VALID_ROMAN_RE.match(tok) or not _ROMAN_LETTER_RE.search(tok) or not _ROMAN_CONFUSABLE_RE.search(tok):
        return line_text
    fixed = tok.replace("L", "I").replace("l", "I").replace("1", "I").replace("|", "I")
    if _VALID_ROMAN_RE.match(fixed) and fixed:
        return line_text[:m.start(2)] + fixed + line_text[m.end(2):]
    return line_text


def normalize(raw: RawDocument) -> Document:
    """Normalize a raw document into the single text every record points into.

    >>> d = normalize(RawDocument.from_text("Căn cứ Kế hoạch số 635/KH-\\n\\nUBND ngày 26/01/2025 của\\n\\nUBND tỉnh."))
    >>> d.text
    'Căn cứ Kế hoạch số 635/KH-UBND ngày 26/01/2025 của UBND tỉnh.\\n'
    """
    chars, cmap = normalize_chars(raw.text)
    lines, number_lines, footnote_lines = _split_lines(chars)
    for k in number_lines:
        if _PAGE_NUMBER_RE.match(lines.text[k]) and _isolated(lines, k):
            lines.kind[k] = "drop"

    _drop_site_furniture(lines, chars)
    superscripts = _superscript_matches(chars)
    blocks = _find_footnotes(lines, chars, footnote_lines, superscripts)
    markers = _find_markers(chars, lines, blocks, superscripts)
    tables = _parse_table_blocks(chars, lines)
    table_at = {t[0]: t for t in tables}

    width = _wrap_width(lines)
    b = _Builder()
    marker_starts = [m[0] for m in markers]
    out_refs: list[FootnoteRef] = []

    def emit_span(a: int, z: int) -> None:
        """Emit chars[a:z] with glued footnote markers written as [^n]."""
        k = bisect.bisect_left(marker_starts, a)
        pos = a
        while k < len(markers) and markers[k][0] < z:
            ms, me, num = markers[k]
            b.emit(chars[pos:ms], pos)
            ref_start = b.length
            b.insert(f"[^{num}]", ms)
            out_refs.append(FootnoteRef(str(num), ref_start, b.length))
            pos = me
            k += 1
        b.emit(chars[pos:z], pos)

    def emit_clean(a: int, z: int) -> None:
        """Emit a span with tags removed and runs of whitespace folded to one space."""
        piece = chars[a:z]
        if "<" not in piece and "  " not in piece:
            emit_span(a, z)
            return
        first = True
        pos = 0
        for seg_end, seg_next in [(m.start(), m.end()) for m in _TAG_RE.finditer(piece)] + [(len(piece), len(piece))]:
            for m in _NONSPACE_RE.finditer(piece, pos, seg_end):
                if not first:
                    b.insert(" ", a + m.start())
                emit_span(a + m.start(), a + m.end())
                first = False
            pos = seg_next

    out_tables: list[Table] = []
    page_starts_out: list[int] = []
    # Lines are emitted as they are read; a paragraph stays open (``open_end`` is the source
    # end of its last line) until a line that does not join it, a table or the end closes it
    # with a newline. The common line (no tags, no double spaces, no footnote marker) is
    # appended here directly, as b.emit/b.insert would, with the length kept in a local.
    parts, points = b.parts, b.points
    length = 0
    closed = 0  # output length when the last paragraph or table was closed
    open_end: int | None = None
    prev_text = ""
    texts, starts, ends, page_starts = lines.text, lines.start, lines.end, lines.page_start
    # Most documents have no "<" or no double space at all: one test each spares one per line.
    may_tag, may_double_space = "<" in chars, "  " in chars
    # One zip over the columns costs less than indexing four lists per line.
    for k, (kind, t, a, z, page_start) in enumerate(zip(lines.kind, texts, starts, ends, page_starts)):
        if kind != "text":
            # Every line of a table has kind "table"; its first line emits the whole table.
            if k in table_at:
                b.length = length
                if open_end is not None:
                    b.insert("\n", open_end)
                    open_end = None
                out_tables.append(_emit_table(chars, table_at[k][2], b, emit_clean, len(out_tables)))
                length = closed = b.length
            continue
        # (A text line is never inside a table's line range: tables span table lines and,
        # between the parts of a merged table, blank, dropped and footnote lines only.)
        if page_start:
            page_starts_out.append(closed + (1 if open_end is not None else 0))
        text_line = t.strip()
        # Only a line whose heading "#" came off (below) can still start with a space: one
        # that str.strip() takes and regex's \s does not.
        lead_space = False
        if len(text_line) != len(t) or t[0] == "#":
            lo, hi = _strip_offsets(t)
            text_line = t[lo:hi]
            a, z = a + lo, a + hi
            lead_space = text_line[:1].isspace()
        first = text_line[:1]
        # Only such lines can be OCR'd Roman headings ("IL. ", a dot within the first 7 characters).
        if lead_space or (first and first in "IVXLl1|" and text_line.find(".", 1, 7) != -1):
            fixed = _fix_roman_ocr(text_line)
            if fixed != text_line:
                # Same length by construction; patch the source characters in place.
                chars = chars[:a] + fixed + chars[z:]
                text_line = fixed
        if open_end is not None:
            # prev_text is right-stripped, text_line too, and left-stripped unless a
            # heading's "#" came off before a character str.strip() takes and regex's \s does not.
            sep = _joins_stripped(prev_text, text_line.lstrip() if lead_space else text_line, width)
            if sep is None:  # a new paragraph: close the open one
                points.append((length, open_end))
                parts.append("\n")
                length += 1
                points.append((length, open_end))
                closed = length
            elif sep:
                points.append((length, a))
                parts.append(sep)
                length += len(sep)
                points.append((length, a))
        if (may_tag and "<" in text_line) or (may_double_space and "  " in text_line) \
                or (marker_starts and _has_marker(marker_starts, a, z)):
            b.length = length
            emit_clean(a, z)
            length = b.length
        elif text_line:
            points.append((length, a))
            parts.append(text_line)
            length += len(text_line)
        open_end = z
        prev_text = text_line
    b.length = length
    if open_end is not None:
        b.insert("\n", open_end)

    body_end = b.length
    out_footnotes: list[Footnote] = []
    if blocks:
        b.insert("\n", len(chars))
        body_end = b.length
        for blk in blocks:
            b.insert(f"[^{blk.number}]: ", blk.anchor)
            fs = b.length
            prev_text = None
            for a, z in blk.spans:
                if prev_text is not None:
                    sep = _joins(prev_text, chars[a:z], width)
                    b.insert("" if sep == "" else " ", a)
                emit_clean(a, z)
                prev_text = chars[a:z]
            out_footnotes.append(Footnote(str(blk.number), fs, b.length, _anchor_of(b.points, blk.anchor, body_end)))
            b.insert("\n", blk.spans[-1][1])

    text = b.text()
    omap = _compose_map(b.points, cmap)
    doc = Document(
        doc_id=doc_id_for(raw.source_sha256), source_path=raw.source_path, source_sha256=raw.source_sha256,
        source_format=raw.source_format, text=text, offset_map=omap, body_end=body_end,
        n_pages=raw.n_pages, page_starts=sorted(set([0] + [p for p in page_starts_out if p < len(text)])),
        footnotes=out_footnotes, footnote_refs=out_refs, tables=out_tables,
        ocr_confidence=raw.ocr_confidence, warnings=list(raw.warnings),
    )
    return doc


def _anchor_of(points: list[tuple[int, int]], src: int, body_end: int) -> int | None:
    """Output position of the last body text emitted from before source position ``src``."""
    # The last body point (output positions never decrease) with s <= src: searching back
    # from the body's end stops at the anchor instead of always walking the whole body.
    for k in range(bisect.bisect_left(points, body_end, key=operator.itemgetter(0)) - 1, -1, -1):
        out, s = points[k]
        if s <= src:
            return out
    return None


def _compose_map(points: list[tuple[int, int]], cmap: OffsetMap) -> OffsetMap:
    """Compose the map: output -> char-normalized (``points``) -> raw (``cmap``).

    Output positions never decrease, so a dict keeps each position once, in order, with
    its last breakpoint (several land on one position around inserted text).
    """
    last = dict(points) or {0: 0}
    return OffsetMap.from_columns(list(last), cmap.to_raw_many(list(last.values())))


@lru_cache(maxsize=1)
def _furniture_rules():
    data = load("boilerplate")
    comp = lambda key, flags=0: [regex.compile(p, flags) for p in data[key]["patterns"]]  # noqa: E731
    footer_patterns = data["footer_starts"]["patterns"]
    footer = regex.compile("|".join(f"(?:{p})" for p in footer_patterns))
    # When every footer pattern is "^<letter>…" without alternatives, only a line starting with
    # one of those letters can match: a set lookup spares the regex on every other line.
    simple = all(p[:1] == "^" and p[1:2].isalpha() and p[2:3] not in ("?", "*", "{") and "|" not in p
                 for p in footer_patterns)
    footer_firsts = frozenset(p[1] for p in footer_patterns) if simple else None
    return comp("site_markers"), comp("document_start"), footer, footer_firsts


def _drop_site_furniture(lines: _Lines, chars: str) -> None:
    """Mark a legal portal's header and footer around the document as ``drop``.

    Only when a site marker appears near the top, so ordinary documents are untouched.
    """
    markers, starts, footers, footer_firsts = _furniture_rules()
    top = chars[:4000]
    if not any(p.search(top) for p in markers):
        return
    doc_start = None
    for p in starts:
        m = p.search(chars)
        if m and (doc_start is None or m.start() < doc_start):
            doc_start = m.start()
    if doc_start is None:
        return
    idx = bisect.bisect_left(lines.end, doc_start)  # the first line ending at or after doc_start
    if idx == len(lines):
        idx = 0
    # back up over the agency block above the motto ("CHÍNH⏎PHỦ⏎-------")
    k = idx - 1
    while k >= 0 and idx - k <= 8:
        t = lines[k].text.strip()
        if lines[k].kind == "blank" or (CAPS_LINE_RE.match(t) and not _DIGIT_OR_COLON_RE.search(t)) \
                or _RULE_LINE_RE.fullmatch(t):
            k -= 1
            continue
        break
    kinds, texts = lines.kind, lines.text
    for j in range(0, k + 1):
        kinds[j] = "drop"
    for j in range(idx, len(lines)):
        t = texts[j]
        if footer_firsts is not None and t[:1] not in footer_firsts \
                and not (t[:1].isspace() and t.lstrip()[:1] in footer_firsts):
            continue
        if footers.match(t.strip()):
            for r in range(j, len(lines)):
                kinds[r] = "drop"
            break


def _isolated(lines: _Lines, k: int) -> bool:
    """A number alone on a line next to a page boundary or blank lines is a page number."""
    kinds, page_starts = lines.kind, lines.page_start
    prev = next((j for j in range(k - 1, -1, -1) if kinds[j] != "blank"), None)
    if prev is not None and lines.text[prev].rstrip().endswith(":"):
        return False
    before_blank = k == 0 or kinds[k - 1] == "blank"
    after_blank = k + 1 >= len(lines) or kinds[k + 1] == "blank" or page_starts[k + 1]
    return before_blank or after_blank or page_starts[k]


def _emit_table(chars: str, rows: list[_Row], b: _Builder, emit_clean, table_id: int) -> Table:
    t_start = b.length
    first_part = len(b.parts)
    out_rows: list[TableRow] = []
    header: list[str] = []
    for r in rows:
        r_start = b.length
        b.insert("|", r.cells[0].frags[0][0] if r.cells and r.cells[0].frags else 0)
        cells: list[TableCell] = []
        for c in r.cells:
            b.insert(" ", c.frags[0][0])
            c_start = b.length
            prev = None
            for a, z in c.frags:
                if not _clean_piece(chars[a:z]):
                    continue
                if prev is not None:
                    # a cell continued on the next page: "giai đoạn 2026-" + "2030."
                    sep = "" if _SYMBOL_BREAK_RE.search(prev) else " "
                    b.insert(sep, a)
                prev = _clean_piece(chars[a:z])
                # strip leading/trailing whitespace of the fragment
                s = chars[a:z]
                la = len(s) - len(s.lstrip())
                emit_clean(a + la, a + len(s.rstrip()))
            c_end = b.length
            cells.append(TableCell("", c_start, c_end))
            b.insert(" |", c.frags[-1][1])
        b.insert("\n", r.cells[-1].frags[-1][1] if r.cells else 0)
        row = TableRow(cells, r_start, b.length - 1)
        if r.is_header:
            header = [None] * len(cells)  # filled below
        out_rows.append((row, r.is_header))
    # Only this table's output, not the whole text so far (a document may have many tables).
    table_text = "".join(b.parts[first_part:])
    tbl_rows: list[TableRow] = []
    for row, is_header in out_rows:
        for c in row.cells:
            c.text = table_text[c.start - t_start:c.end - t_start]
        if is_header:
            header = [c.text for c in row.cells]
        else:
            if row.cells and _ROW_NUMBER_RE.fullmatch(row.cells[0].text or ""):
                row.number = row.cells[0].text.rstrip(".)")
            tbl_rows.append(row)
    return Table(table_id, header, tbl_rows, t_start, b.length)
