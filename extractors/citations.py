"""Citations of legal instruments in a normalized plan: find, parse, and attach their parts.

``extract_citations(doc)`` returns one ``Citation`` per mention, in text order, from the
body, the footnote area and appendix tables alike:

* numbered instruments in the three numbering grammars (normative ``59/2023/NĐ-CP``,
  administrative ``33/CT-TTg`` / ``91/UBND-TH``, Party ``23-QĐ/TW``), with the type word
  before them, shared-suffix lists ("Quyết định số 217, 218-QĐ/TW" is two citations),
  shared dates, and the OCR damage normalize cannot undo (a lost Đ, stray spaces, a
  footnote number glued to a symbol);
* instruments cited by name only ("Luật Thực hiện dân chủ ở cơ sở năm 2022",
  "Hiến pháp", "Nghị quyết Đại hội đại biểu toàn quốc lần thứ XIV của Đảng"), see
  ``named_instruments``.

Every citation spans the whole mention, from its type word through its issue date when
the text gives one ("Chỉ thị số 33/CT-TTg ngày 26/11/2021"), and carries the date's own
span in ``date_start``/``date_end`` — so the deadline extractor never takes an issue date
for a deadline. ``doc.text[c.start:c.end] == c.raw`` always holds.

``instrument_id`` (and ``scope``) are filled later by ``pipeline.resolve``.

>>> from pipeline.document import Document, OffsetMap
>>> t = "Thực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ về công tác dân vận."
>>> doc = Document("d", "<t>", "", "txt", t, OffsetMap(), len(t))
>>> [(c.raw, c.type, c.number, c.symbol, str(c.issue_date), c.issuer) for c in extract_citations(doc)]
[('Chỉ thị số 33/CT-TTg ngày 26/11/2021', 'Chỉ thị', '33', 'CT-TTg', '2021-11-26', 'Thủ tướng Chính phủ')]
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import regex

from .citation_codes import CODES
from .citation_patterns import (
    CITATION_CORE_RE,
    DATE_FIRST,
    DATE_RE,
    ISSUER_COMMA_NAME_RE,
    ISSUER_END_RE,
    ISSUER_LEAD_RE,
    ISSUER_PAREN_RE,
    LEFT_ISSUER_RE,
    LOCALITY_STARTS,
    LOCALITY_TAIL_RE,
    NAME_GAP_RE,
    SO_LIST_RE,
    SUBJECT_END_RE,
    SUBJECT_LEAD_FIRST,
    SUBJECT_LEAD_RE,
    SYMBOL_TOKEN_RE,
    TYPE_WORD_BACK_RE,
)

GRAMMARS = ("normative", "administrative", "party", "named")

_LEFT_WINDOW = 170
_MAX_SUBJECT = 300
_MAX_ISSUER_WORDS = 16
_LOOKALIKES = str.maketrans({"Ð": "Đ", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
                             "Р": "P", "С": "C", "Т": "T", "Х": "X"})
_NAMED_TYPES = ("Luật", "Bộ luật", "Pháp lệnh")
_TRAILING_DIGITS = regex.compile(r"^(?P<stem>\D+?)(?P<digits>\d{1,2})$")
_NAME_YEAR = regex.compile(r"[ ](?:năm[ ])?(?P<y>(?:19|20)\d{2})$")
_ISSUER_TRAIL = regex.compile(r"(?:[ ,;\-]|[ ](?:và|của|tại))+$")
_LIST_NUMBER = regex.compile(r"\d{1,5}")


@dataclass
class Citation:
    """One mention of an instrument; ``start``/``end`` index ``Document.text``.

    ``number`` is as written ("08"), ``year`` the year inside the number ("59/2023/NĐ-CP"
    -> 2023, else None), ``symbol`` the rest in canonical spelling ("QĐ/TW", "NĐ-CP").
    Named instruments have ``number``/``symbol`` None and a normalised ``name``.
    """

    start: int
    end: int
    raw: str
    type: str | None
    number: str | None
    year: int | None
    symbol: str | None
    grammar: str
    issue_date: dt.date | None = None
    date_start: int | None = None  # span of "ngày 26/11/2021" (may lie outside start:end
    date_end: int | None = None    # when a list shares one date: "217, 218-QĐ/TW ngày …")
    issuer: str | None = None  # as the text names it
    subject: str | None = None
    name: str | None = None
    type_code: str | None = None  # the symbol's type code ("QĐ"), None for letters and laws
    in_footnote: bool = False
    section_id: int | None = None
    province: str | None = None  # the citing document's
    instrument_id: str | None = None  # filled by pipeline.resolve
    scope: str | None = None  # "national", a province, or "province/commune"
    flags: list[str] = field(default_factory=list)  # "type_conflict", "date_shared", ...

    @property
    def key(self) -> tuple[str, str] | None:
        """Identity within a document: (number without leading zeros, symbol).

        >>> Citation(0, 1, "x", None, "08", None, "KH-UBND", "administrative").key
        ('8', 'KH-UBND')
        """
        if self.number is None or self.symbol is None:
            return None
        return self.number.lstrip("0") or "0", self.symbol

    def to_row(self) -> dict:
        """The ``citations`` columns (pipeline/schema.py) except doc_id / citation_id."""
        return {
            "start": self.start, "end": self.end, "raw": self.raw, "type": self.type, "number": self.number,
            "year": self.year, "symbol": self.symbol, "issue_date": self.issue_date, "issuer": self.issuer,
            "subject": self.subject, "instrument_id": self.instrument_id, "in_footnote": self.in_footnote,
            "section_id": self.section_id, "name": self.name, "grammar": self.grammar, "province": self.province,
            "scope": self.scope,
        }


# --- symbols ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Symbol:
    canonical: str
    end: int  # end of the symbol in the text
    tokens: list[str]  # canonical tokens
    type_code: str | None
    known_first: bool  # first token is a known type or issuer code
    marker_end: int = 0  # end of a footnote number glued to the symbol ("QĐ/TW1"), else ``end``


def _code_like(token: str) -> bool:
    """An unknown token that still looks like a code: capitals, at most a few lower-case
    letters among them ("SNgV", "KTr2"), never a capitalised word ("Lai", "Về")."""
    upper = sum(ch.isupper() for ch in token)
    lower = sum(ch.islower() for ch in token)
    return upper >= 2 and lower < upper or (lower == 0 and upper >= 1)


def _canon_token(token: str) -> list[str]:
    canon = CODES.canon(token)
    if canon is not None:
        return [canon]
    glued = CODES.split_glued(token)
    if glued is not None:
        return list(glued)
    repaired = CODES.repair(token)
    if repaired is not None:
        return [repaired]
    return [token.translate(_LOOKALIKES)]


def parse_symbol(sym: str, sym_start: int, text: str) -> _Symbol | None:
    """Decide how much of a permissive symbol match is really the symbol.

    Tokens joined by a plain "-" or "/" belong while they look like codes; a token
    joined by a space ("NĐ CP", "NĐ - CP") only when both sides are known codes. A
    footnote number glued to the last code ("QĐ/TW1") is left out.

    >>> parse_symbol("ND - CP ngày", 0, "ND - CP ngày").canonical
    'NĐ-CP'
    >>> parse_symbol("KH-UBND Lai", 0, "KH-UBND Lai").canonical
    'KH-UBND'
    >>> parse_symbol("QĐ/TW1", 0, "QĐ/TW1").canonical
    'QĐ/TW'
    """
    rel = _parse_symbol(sym)
    if rel is None:
        return None
    return _Symbol(rel.canonical, sym_start + rel.end, list(rel.tokens), rel.type_code, rel.known_first,
                   sym_start + rel.marker_end)


@lru_cache(maxsize=8192)
def _parse_symbol(sym: str) -> _Symbol | None:
    """``parse_symbol`` of a symbol starting at 0; memoized, since the same few symbols
    ("NĐ-CP", "KH-UBND") make most citations. Callers get copies, never this object."""
    toks: list[tuple[str, str, int, int]] = []  # (sep, token, start, end)
    for m in SYMBOL_TOKEN_RE.finditer(sym):
        sep = (m.group("sep") or "")
        tok = m.group("tok")
        if not toks:
            if not (CODES.canon(tok) or CODES.split_glued(tok) or _code_like(tok)):
                return None
            toks.append(("", tok, m.start("tok"), m.end("tok")))
            continue
        bare = sep.strip()
        if bare and (bare == sep or sep == bare + "\n"):  # "-" or "/", no spaces (or a line break after it)
            ok = _code_like(tok) or CODES.canon(tok) is not None
        else:  # spaced join: only between known codes
            prev_known = CODES.canon(toks[-1][1]) is not None
            ok = prev_known and (CODES.issuer(tok) is not None) and bare in ("-", "/", "")
        if not ok:
            break
        toks.append((bare or "-", tok, m.start("tok"), m.end("tok")))
    if not toks:
        return None
    # A footnote number glued to the last code: "23-QĐ/TW1", "01/CT-UBND2".
    sep, last, ls, le = toks[-1]
    glued = 0
    if CODES.canon(last) is None and len(toks) > 1:
        m = _TRAILING_DIGITS.match(last)
        if m:
            hit = CODES.issuer(m.group("stem"))
            if hit is not None and not hit[0].term and CODES.canon(m.group("stem")) is not None:
                glued = len(m.group("digits"))
                toks[-1] = (sep, m.group("stem"), ls, le - glued)
    canon_toks: list[str] = []
    out = []
    for i, (sep, tok, _s, _e) in enumerate(toks):
        parts = _canon_token(tok)
        if i == 0 and len(toks) > 1 and CODES.canon(tok) is None and CODES.issuer(toks[1][1]) is not None:
            fixed = CODES.repair_doubled(tok)  # "76/NNQ-CP"
            parts = [fixed] if fixed else parts
        canon_toks += parts
        out.append((sep if i else "") + "-".join(parts))
    first = toks[0][1]
    # A bare type code ("5/QĐ") names no issuer; still a (truncated) citation.
    type_code = CODES.type_code(canon_toks[0]) if len(canon_toks) > 1 or CODES.type_code(first) else None
    known_first = CODES.canon(first) is not None or CODES.split_glued(first) is not None
    end = toks[-1][3]
    return _Symbol("".join(out), end, canon_toks, type_code, known_first, end + glued)


# --- dates, issuers, subjects -------------------------------------------------------------


def parse_date(m: regex.Match) -> dt.date | None:
    """The date of a ``DATE_RE`` match, None when it is not a real calendar day."""
    d, mo, mo2, y, y2 = m.group("d", "m", "m2", "y", "y2")
    d, mo, y = int(d), int(mo or mo2), int(y or y2)
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def _lead_first(text: str, pos: int) -> str:
    """The first character of ``text[pos:pos + 4]`` that is not a space or comma ("" if
    none): what follows the optional "[ ]?,?[ ]?" the patterns right of a symbol open with."""
    return text[pos:pos + 4].lstrip(" ,")[:1]


def _issuer_after(text: str, pos: int, limit: int) -> tuple[str, int] | None:
    """The issuer phrase of "của <issuer>" at ``pos``: (issuer, end) or None."""
    lead = ISSUER_LEAD_RE.match(text, pos, limit)
    if lead is None:
        return None
    start = lead.end()
    # Look past ``limit`` (the next citation) so "của Chính phủ và Quyết định số …" ends
    # before "và"; then never run into the next citation.
    stop = ISSUER_END_RE.search(text, start, min(len(text), start + 200))
    end = min(stop.start() if stop else start + 200, limit)
    comma = ISSUER_COMMA_NAME_RE.match(text, end, limit)
    if comma:
        stop = ISSUER_END_RE.search(text, comma.end(), min(len(text), start + 200))
        end = min(stop.start() if stop else start + 200, limit)
    paren = ISSUER_PAREN_RE.match(text, end, limit)
    if paren:
        end = paren.end()
    phrase = _ISSUER_TRAIL.sub("", text[start:end])
    while phrase.endswith(")") and phrase.count(")") > phrase.count("("):
        phrase = _ISSUER_TRAIL.sub("", phrase[:-1])
    if not phrase or len(phrase.split()) > _MAX_ISSUER_WORDS:
        return None
    return phrase, start + len(phrase)


def _issuer_before(text: str, start: int) -> str | None:
    """An issuer named before the type word: "của UBND tỉnh tại Kế hoạch số …"."""
    m = LEFT_ISSUER_RE.search(text, max(0, start - 120), start)
    if m is None:
        return None
    issuer = m.group("issuer").strip()
    return issuer if len(issuer.split()) <= _MAX_ISSUER_WORDS else None


def _subject_after(text: str, pos: int) -> tuple[str, int] | None:
    if _lead_first(text, pos) not in SUBJECT_LEAD_FIRST:
        return None
    lead = SUBJECT_LEAD_RE.match(text, pos, min(len(text), pos + 40))
    if lead is None:
        return None
    start = lead.end()
    hard = min(len(text), start + _MAX_SUBJECT)
    stop = SUBJECT_END_RE.search(text, start, hard)
    end = stop.start() if stop else hard
    if stop is None and hard < len(text):  # cut at a word boundary
        sp = text.rfind(" ", start, end)
        end = sp if sp > start else end
    subject = text[start:end].strip(" ,")
    return (subject, end) if subject else None


# --- the extractor --------------------------------------------------------------------------


@dataclass(slots=True)
class _Left:
    start: int  # where the mention starts (type word, "số", or the number)
    type_word: str | None
    type_start: int | None
    name: str | None
    has_so: bool
    header: bool | None  # "Số:" line or "Số hiệu:" — the document's own number; None: only if alone on its line
    form: bool  # "Mẫu số 03/TNDN" — a form, not an instrument
    list_numbers: list[tuple[str, int, int]]  # "217, " before "218-QĐ/TW"
    so_start: int | None = None


def _left_context(text: str, num_start: int) -> _Left:
    m = SO_LIST_RE.search(text, max(0, num_start - 48), num_start)
    form, so, so_word, so_hieu, list_ = m.group("form", "so", "so_word", "so_hieu", "list")
    lst = []
    p = m.start()
    tw = TYPE_WORD_BACK_RE.search(text, max(0, p - _LEFT_WINDOW), p)
    type_word = type_start = name = None
    if tw is not None:
        gap = NAME_GAP_RE.fullmatch(text, tw.end(), p)
        if gap is not None:
            type_word, type_start = tw.group("type"), tw.start()
            name = gap.group("name").strip(" ,") or None
            if name and not _plausible_name(type_word, name):
                # "theo quy định tại Điều 26 Nghị định số …": a type word too far away.
                type_word = type_start = name = None
    if list_ and (so or type_word):
        list_start = m.start("list")
        for nm in _LIST_NUMBER.finditer(list_):
            lst.append((nm.group(), list_start + nm.start(), list_start + nm.end()))
    header = False
    so_start = m.start("so") if so else None
    if so:
        line_start = text.rfind("\n", 0, so_start) + 1
        before = text[line_start:so_start].strip(" *\t")
        if so_hieu:
            header = True  # "Số hiệu:" of a legal portal's summary box
        elif so_word[0] in "SN" and not before and not type_word:
            # "Số: 123/KH-UBND" heading a line; "No. 63/2025/QH15;" in running text is
            # a citation: the caller checks what follows the symbol.
            header = True if ":" in so else None
    if type_word:
        start = type_start
    elif so:
        start = so_start
    elif lst:
        start = m.start("list")
    else:
        start = num_start
    return _Left(start, type_word, type_start, name, bool(so), header, bool(form), lst, so_start)


def _plausible_name(type_word: str, name: str) -> bool:
    """Words between a type word and "số" that really qualify it: a law's name
    ("Luật Tổ chức chính quyền địa phương số"), or a few lower-case words ("Báo cáo thẩm
    tra số", "Kế hoạch hành động số")."""
    if CODES.type_of_word(type_word) in _NAMED_TYPES:
        return name[:1].isupper() or name[:1].isdigit()
    words = name.split()
    return len(words) <= 3 and all(w[:1].islower() for w in words)


def _grammar(sep: str, year: str | None, sym: _Symbol) -> str:
    if year is not None:
        return "normative"
    first = CODES.issuer(sym.tokens[0])
    if first is not None and first[0].term:  # "72/2025/QH15" always has its year; "QH15" alone too
        return "normative"
    if sep == "-" or (sym.type_code is not None and sym.canonical[len(sym.tokens[0]):len(sym.tokens[0]) + 1] == "/"):
        return "party"
    return "administrative"


def _accept(sep: str, sym: _Symbol, left: _Left, text: str, num_start: int) -> bool:
    if left.header or left.form:
        return False
    if left.header is None:  # "Số 383-QĐ/TW" heading a line: the own number when alone there
        eol = text.find("\n", sym.marker_end)
        if not text[sym.marker_end:eol if eol >= 0 else len(text)].strip(" *\t"):
            return False
    # "661: 2018/BVTV", "ISO 9001:2015": a standard's year, not a number.
    before = text[max(0, num_start - 3):num_start].rstrip(" ")
    if before.endswith(":") and len(before) >= 2 and before[-2].isdigit():
        return False
    named_by_context = left.has_so or left.type_word is not None
    if sep == "-":  # Party grammar: always TYPE/ISSUER
        return "/" in sym.canonical and (sym.type_code is not None or named_by_context)
    if sym.known_first:
        return True
    return named_by_context and (len(sym.tokens) >= 2 or sum(ch.isupper() for ch in sym.tokens[0]) >= 2)


def _type_of(left: _Left, sym: _Symbol, grammar: str) -> tuple[str | None, str | None]:
    """(type, flag): the type word when the text gives one, else the code's default."""
    word_type = CODES.type_of_word(left.type_word) if left.type_word else None  # "Văn bản": None
    code_type = CODES.default_type(sym.type_code)
    if word_type is not None:
        if sym.type_code is not None and not CODES.compatible(word_type, sym.type_code):
            # Written right before the number the word is what the writer meant ("Công
            # văn số 5348/CT-CS" of Cục Thuế); across a name, an unambiguous code wins
            # ("Luật Quy hoạch (Số 37/2019/NĐ-CP").
            if left.name and len(CODES.types_for_code(sym.type_code)) == 1:
                return code_type, "type_conflict"
            return word_type, "type_conflict"
        return word_type, None
    if code_type is not None:
        return code_type, None
    if grammar == "normative" and CODES.issuer(sym.tokens[0]) is not None and CODES.issuer(sym.tokens[0])[0].term:
        return "Luật", None  # "72/2025/QH15": a law unless the text says Nghị quyết
    return "Công văn", None  # "91/UBND-TH": an official letter has no type code


def _own_number(doc) -> tuple[str, str] | None:
    meta = getattr(doc, "metadata", None)
    num = getattr(meta, "doc_number", None) if meta is not None else None
    if not num:
        return None
    m = CITATION_CORE_RE.search(num)
    if m is None:
        return None
    sym = parse_symbol(m.group("sym"), m.start("sym"), num)
    if sym is None:
        return None
    return m.group("num").lstrip("0") or "0", sym.canonical


def _numbered(text: str, own: tuple[str, str] | None) -> list[Citation]:
    raw_hits = []
    for m in CITATION_CORE_RE.finditer(text):
        num, sep, year_s, sym_s = m.group("num", "sep", "year", "sym")
        sym = parse_symbol(sym_s, m.start("sym"), text)
        if sym is None:
            continue
        left = _left_context(text, m.start())
        if not _accept(sep, sym, left, text, m.start()):
            continue
        if own is not None and (num.lstrip("0") or "0", sym.canonical) == own:
            continue
        raw_hits.append((m, num, sep, year_s, sym, left))

    out: list[Citation] = []
    for i, (m, num, sep, year_s, sym, left) in enumerate(raw_hits):
        limit = raw_hits[i + 1][-1].start if i + 1 < len(raw_hits) else len(text)
        limit = max(limit, sym.end)
        grammar = _grammar(sep, year_s, sym)
        type_, flag = _type_of(left, sym, grammar)
        if flag == "type_conflict" and left.name and type_ == CODES.default_type(sym.type_code):
            # The type word belonged to something else: "Luật Quy hoạch (Số 37/2019/NĐ-CP".
            left.start = left.so_start if left.so_start is not None else m.start()
            left.type_start = left.name = left.type_word = None
        year = int(year_s) if year_s else None

        # Right of the symbol: [locality] [date] [của issuer] [date] [subject].
        pos = sym.marker_end
        tail = LOCALITY_TAIL_RE.match(text, pos, limit) if text.startswith(LOCALITY_STARTS, pos) else None
        if tail:
            pos = tail.end()
        date = date_span = None
        dm = DATE_RE.match(text, pos, limit) if _lead_first(text, pos) in DATE_FIRST else None
        if dm:
            date, date_span, pos = parse_date(dm), dm.span("date"), dm.end()
        issuer = None
        iss = _issuer_after(text, pos, limit)
        if iss:
            issuer, ipos = iss
            pos_after_issuer = ipos
            if date_span is None:
                dm = DATE_RE.match(text, ipos, limit) if _lead_first(text, ipos) in DATE_FIRST else None
                if dm:
                    date, date_span, pos = parse_date(dm), dm.span("date"), dm.end()
                    pos_after_issuer = pos
            subj_pos = pos_after_issuer
        else:
            subj_pos = pos
        if issuer is None and left.type_start is not None:
            issuer = _issuer_before(text, left.type_start)
        end = date_span[1] if date_span else sym.end
        subj = _subject_after(text, subj_pos)
        subject = subj[0] if subj else None

        name = _law_name(left) if type_ in _NAMED_TYPES else None
        flags = [flag] if flag else []
        common = dict(type=type_, year=year, symbol=sym.canonical, grammar=grammar, issue_date=date,
                      date_start=date_span[0] if date_span else None, date_end=date_span[1] if date_span else None,
                      issuer=issuer, subject=subject, type_code=sym.type_code)
        if left.list_numbers:
            for j, (list_num, ns, ne) in enumerate(left.list_numbers):
                s = left.start if j == 0 else ns
                out.append(Citation(s, ne, text[s:ne], number=list_num, name=None, flags=flags + ["shared_suffix"],
                                    **common))
            start = m.start()
        else:
            start = left.start
        out.append(Citation(start, end, text[start:end], number=num, name=name, flags=list(flags), **common))
    return out


def _law_name(left: _Left) -> str | None:
    """"Luật Tổ chức chính quyền địa phương" from the words between type word and "số"."""
    if not left.name or not left.type_word:
        return None
    name = _NAME_YEAR.sub("", " " + left.name).strip()
    if not name or not name[0].isupper():
        return None
    return f"{CODES.type_of_word(left.type_word)} {name}"


def _share_lists(cits: list[Citation], text: str) -> None:
    """Parts the text states once for several citations of the same symbol.

    * "Quy định số 101-QĐ/TW, 102-QĐ/TW": the second, with no type word, is a Quy định;
    * "Quyết định số 217-QĐ/TW và Quyết định số 218-QĐ/TW ngày 12/12/2013 của Bộ Chính
      trị", "Công điện số 217/CĐ-TTg, 218/CĐ-TTg và 222/CĐ-TTg ngày 19/11/2025": the date
      and issuer after the last belong to each one joined to it by "và" / "," / ";" alone
      (unless its own number's year contradicts the date).
    """
    pairs = []
    for a, b in zip(cits, cits[1:]):
        if a.number is None or b.number is None or a.symbol != b.symbol:
            continue
        if not _JOINER.match(text, a.end, b.start) and not (
                a.date_end is not None and a.date_end > a.end and _JOINER.match(text, a.date_end, b.start)):
            continue
        if text[b.start:b.start + 1].isdigit() and a.type != b.type and CODES.compatible(a.type, b.type_code):
            b.type = a.type
        if a.type == b.type:
            pairs.append((a, b))
    for a, b in reversed(pairs):  # right to left: a date at the end of a chain reaches its start
        if b.issue_date is not None and a.year is not None and a.year != b.issue_date.year:
            continue  # "Nghị định số 15/2020/NĐ-CP và Nghị định số 14/2022/NĐ-CP ngày 27/01/2022"
        if a.issue_date is None and b.issue_date is not None:
            a.issue_date, a.date_start, a.date_end = b.issue_date, b.date_start, b.date_end
            a.flags.append("date_shared")
        if a.issuer is None and b.issuer is not None:
            a.issuer = b.issuer


_JOINER = regex.compile(r"[ ]?(?:,|;|và|,[ ]?và)?[ ]?(?:số[ ]?)?\Z")


def extract_citations(doc) -> list[Citation]:
    """Every citation of ``doc`` in text order (numbered and named), with section and footnote.

    The document's own number (its "Số:" line, a blank self-reference "Kế hoạch số
    /KH-UBND", ``doc.metadata.doc_number``) is never a citation.
    """
    from .named_instruments import find_named_instruments

    text = doc.text
    cits = _numbered(text, _own_number(doc))
    cits += find_named_instruments(text, cits, getattr(doc, "metadata", None))
    cits.sort(key=lambda c: (c.start, c.end))
    _share_lists(cits, text)
    meta = getattr(doc, "metadata", None)
    province = getattr(meta, "province", None) if meta is not None else None
    section_at = _section_lookup(doc) if cits else None
    for c in cits:
        c.in_footnote = doc.in_footnote(c.start)
        sec = section_at(c.start)
        c.section_id = sec.section_id if sec is not None else None
        c.province = province
    return cits


def _section_lookup(doc):
    """``doc.section_at`` for many positions in O(log n) each: the last section starting at
    or before a position, or its nearest ancestor containing it, is the deepest section
    containing it (sections nest). Footnote positions, which map to their marker's
    section, still go through ``doc.section_at``."""
    secs = doc.sections
    if not secs:
        return doc.section_at
    order = sorted(secs, key=lambda sec: (sec.start, sec.level))
    starts = [sec.start for sec in order]
    by_id = {sec.section_id: sec for sec in secs}

    def at(pos: int):
        if pos >= doc.body_end:
            return doc.section_at(pos)
        i = bisect.bisect_right(starts, pos) - 1
        sec = order[i] if i >= 0 else None
        while sec is not None and not sec.start <= pos < sec.end:
            sec = by_id.get(sec.parent_id)
        return sec

    return at


def citations_in_text(text: str, metadata=None) -> list[Citation]:
    """Citations of a bare string (no sections or footnote area) — for tests and tools.

    >>> [(c.number, c.symbol) for c in citations_in_text("Quyết định số 217, 218-QĐ/TW ngày 12/12/2013")]
    [('217', 'QĐ/TW'), ('218', 'QĐ/TW')]
    """
    from pipeline.document import Document, OffsetMap

    doc = Document("text", "<text>", "", "txt", text, OffsetMap(), len(text))
    doc.metadata = metadata
    return extract_citations(doc)
