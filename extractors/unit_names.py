"""Unit names: recognise where a responsible unit's name starts and ends, and normalise it.

The grammar (its words live in ``gazetteer/data/units.json``)::

    UNIT       := PERSON? (COLLECTIVE | HEAD LEVEL | KNOWN NAME* | HEAD NAME*)
    PERSON     := "Thủ trưởng" | "Chủ tịch" | "Giám đốc" | ...        (kept in the name)
    COLLECTIVE := PLURAL NOUN (SEP NOUN)* QUALIFIER*                 "Các cơ quan, đơn vị, địa phương"
    LEVEL      := "các" NOUN (SEP NOUN)* | "cấp xã" | "các cấp"      "UBND các xã, phường" (collective)
    HEAD       := "Sở" | "Phòng" | "Ủy ban nhân dân" | "UBND" | ...
    NAME       := capitalised words, lower-case words that are not a predicate ("tham mưu",
                  "chủ trì", ...), " - " joins, "và" + a capitalised non-head word, a locality
                  ("tỉnh", "xã") with its proper name

Prose gives no delimiter after a name ("Sở Nội vụ tham mưu ..."), so a name ends at the
first lower-case predicate word, at punctuation, or after four lower-case words in a row.
Table cells are delimited: ``split_units`` reads a cell as a list of names.

>>> u = match_unit("Phòng Hành chính - Quản trị tham mưu theo dõi", 0)
>>> u.raw, u.kind
('Phòng Hành chính - Quản trị', 'specific')
>>> [x.name for x in split_units("Các sở, ban, ngành; UBND cấp xã")]
['Các sở, ban, ngành', 'UBND cấp xã']
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex

from gazetteer import load

from .deadline_patterns import _DIGIT_TOKENS, _pattern_literals, _unfoldable_chars

__all__ = ["UnitName", "match_unit", "match_unit_list", "split_units", "canonical_name", "unit_key",
           "government_tones"]


@dataclass(frozen=True)
class UnitName:
    """A unit name found in a text: its span, normalised name, comparison key and kind."""

    start: int
    end: int
    raw: str
    name: str
    kind: str  # specific / collective

    @property
    def key(self) -> str:
        return unit_key(self.name)


# --------------------------------------------------------------------------------------------
# Tone placement and keys
# --------------------------------------------------------------------------------------------

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
# New-style tone on the second vowel of a word-final oa/oe/uy ("hoá", "thuỷ") moves to the first
# vowel ("hóa", "thủy"); "qu" + y is not the uy cluster ("quý" is the same in both styles).
_NEW_TONE = regex.compile(rf"(?<![qQ])([oOuU])([aAeEyY])([{_TONE_MARKS}])(?!\w)")


def government_tones(s: str) -> str:
    """Government tone placement for word-final oa/oe/uy.

    >>> government_tones("Văn hoá - Xã hội, Uỷ ban, quý")
    'Văn hóa - Xã hội, Ủy ban, quý'
    """
    return unicodedata.normalize("NFC", _NEW_TONE.sub(r"\1\3\2", unicodedata.normalize("NFD", s)))


@lru_cache(maxsize=1)
def _data() -> dict:
    return load("units")


def _alt(words, flags="") -> str:
    """Regex alternation of literal phrases, longest first, a space matching any whitespace."""
    parts = sorted({w for w in words}, key=lambda s: (-len(s), s))
    return "(?:" + "|".join(regex.escape(p).replace(r"\ ", r"\s+") for p in parts) + ")"


@lru_cache(maxsize=1)
def _alias_re() -> tuple[regex.Pattern, dict[str, str]]:
    aliases = {government_tones(a["alias"]).casefold(): government_tones(a["expansion"]).casefold()
               for a in _data()["aliases"]}
    pat = regex.compile(r"(?<![\w&])(" + "|".join(regex.escape(a) for a in sorted(aliases, key=lambda s: (-len(s), s)))
                        + r")(?![\w&])")
    return pat, aliases


_SPACES = regex.compile(r"\s+")
# compiled once (they run per unit name; module-level ``regex`` calls re-look-up the pattern)
_LEVEL_AT_END = regex.compile(r"\b(?:các\s+cấp|cấp\s+(?:xã|tỉnh|huyện|cơ sở))\s*$")
_COLLECTIVE_WORDS = regex.compile(r"\b(?:các cấp|cấp xã|cấp tỉnh|cấp huyện)\b")
_DASHES = regex.compile(r"[\u2010-\u2015\u2212]")
_DASH_SPACES = regex.compile(r"\s*-\s*")
_MTTQ_VN = regex.compile(r"(mặt trận tổ quốc) việt nam\b")
_EDGE = regex.compile(r"^[\s,;:.\-]+|[\s,;:.\-]+$")


def unit_key(name: str, province: str | None = None, commune: str | None = None) -> str:
    """Comparison key of a unit name: abbreviations expanded, case folded, dashes unspaced,
    a leading "các" dropped; a bare "tỉnh" / "xã" at the end is resolved to the document's
    province / commune when given.

    >>> unit_key("Văn phòng UBND tỉnh", province="Lâm Đồng")
    'văn phòng ủy ban nhân dân tỉnh lâm đồng'
    >>> unit_key("UBMTTQVN xã") == unit_key("Ủy ban Mặt trận Tổ quốc xã")
    True
    """
    s = government_tones(unicodedata.normalize("NFC", name)).casefold()
    pat, aliases = _alias_re()
    s = pat.sub(lambda m: aliases[m.group(1)], s)
    s = _SPACES.sub(" ", _DASH_SPACES.sub("-", s)).strip()
    s = _MTTQ_VN.sub(r"\1", s)
    s = _EDGE.sub("", s)
    if s.startswith("các "):
        s = s[4:]
    if province and s.endswith(" tỉnh"):
        s = f"{s} {government_tones(province).casefold()}"
    elif commune and s.endswith(" xã"):
        s = f"{s} {government_tones(commune).casefold()}"
    return s


# --------------------------------------------------------------------------------------------
# Compiled grammar
# --------------------------------------------------------------------------------------------

_WORD_CHARS = r"[\p{L}\p{N}]"


@dataclass(frozen=True)
class _Grammar:
    head: regex.Pattern
    head_info: dict  # casefolded variant -> head entry
    person: regex.Pattern
    collective: regex.Pattern
    bare_nouns: regex.Pattern
    noun: regex.Pattern
    level: regex.Pattern
    known: regex.Pattern
    and_inside: regex.Pattern
    front_tail: regex.Pattern
    predicate: regex.Pattern
    locality: regex.Pattern
    suffix_body: regex.Pattern
    word: regex.Pattern


@lru_cache(maxsize=1)
def _grammar() -> _Grammar:
    d = _data()
    head_info = {}
    variants = []
    for h in d["heads"]:
        for v in h["variants"]:
            head_info[v.casefold()] = h
            variants.append(v)
    coll = d["collective"]
    nouns = _alt(coll["nouns"])
    quals = _alt(coll["qualifiers"])
    joinable = _alt(coll["space_joinable"])
    sep = r"(?:\s*[,/]\s*|\s+và\s+(?:các\s+)?)"
    # a bare space joins only a few generic nouns ("cơ quan đơn vị"); after a space a place word
    # is a qualifier ("các sở, ban, ngành tỉnh") and "tổ chức" a verb ("các xã, phường tổ chức")
    noun_list = rf"{nouns}(?:{sep}{nouns}|\s+{joinable})*(?!{_WORD_CHARS})"
    qual_tail = rf"(?:\s+{quals}(?!{_WORD_CHARS}))*"
    plural = _alt(coll["plural_markers"])
    word_end = rf"(?!{_WORD_CHARS})"
    return _Grammar(
        head=regex.compile(_alt(variants) + rf"(?![\p{{L}}\p{{N}}&])", regex.IGNORECASE),
        head_info=head_info,
        person=regex.compile(_alt(d["person_prefixes"]["words"]) + r"\s+"),
        collective=regex.compile(rf"{plural}\s+(?P<nouns>{noun_list}){qual_tail}", regex.IGNORECASE),
        bare_nouns=regex.compile(rf"(?P<nouns>{noun_list}){qual_tail}", regex.IGNORECASE),
        noun=regex.compile(rf"(?<![\p{{L}}\p{{N}}]){nouns}{word_end}", regex.IGNORECASE),
        level=regex.compile(rf"\s+(?:các\s+(?P<nouns>{noun_list}){qual_tail}|{_alt(coll['levels'])}{word_end})"),
        known=regex.compile(_alt(d["known_names"]["names"]) + word_end),
        and_inside=regex.compile(r"\s+" + _alt(d["compounds"]["and_inside"]) + word_end),
        front_tail=regex.compile(r"\s+" + _alt(d["compounds"]["front_tails"]) + qual_tail + word_end),
        predicate=regex.compile(_alt(d["predicates"]["words"]) + word_end),
        locality=regex.compile(_alt(d["localities"]["words"]) + word_end),
        suffix_body=regex.compile(_alt(d["localities"]["suffix_bodies"]) + word_end),
        word=regex.compile(r"[\p{L}\p{N}]+(?:[&.'][\p{L}\p{N}]+)*"),
    )


def _is_cap(w: str) -> bool:
    return w[:1].isupper() or w[:1].isdigit()


def _specific_head_at(text: str, p: int, end: int, g: "_Grammar") -> bool:
    """A head word followed by a capitalised name ("Sở Nội vụ"), not a generic noun ("sở, ban")."""
    hm = g.head.match(text, p, end)
    if not hm:
        return False
    gap = _GAP.match(text, hm.end(), end)
    w = gap and g.word.match(text, gap.end(), end)
    return bool(w and _is_cap(w.group()))


def _is_front(head_entry: dict) -> bool:
    return "Mặt trận" in head_entry["canonical"]


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------

_GAP = regex.compile(r"[ \t]+")
_DASH_GAP = regex.compile(r"[ \t]*-[ \t]*")
_AND = regex.compile(r"[ \t]+và[ \t]+")
_MAX_LOWER_RUN = 4
_YEARLIKE = regex.compile(r"(?:19|20)\d\d")
_MAX_WORDS = 16


def _name_end(text: str, pos: int, end: int, head: dict | None, g: _Grammar, only_locality: bool = False) -> int:
    """End of the NAME words after a head (or known name) ending at ``pos``."""
    q = pos
    n_words = 0
    lower_run = 0
    allow_lower = bool(head and head.get("lowercase_name"))
    m = g.and_inside.match(text, q, end)
    if m:
        q = m.end()
        n_words += 1
    while n_words < _MAX_WORDS:
        gap = _GAP.match(text, q, end)
        # both patterns read the same run of blanks: a dash can follow only where it ends
        dq = gap.end() if gap else q
        dash = _DASH_GAP.match(text, q, end) if dq < end and text[dq] == "-" else None
        if dash:
            w = g.word.match(text, dash.end(), end)
            # a dash inside a name joins two capitalised parts ("Văn hóa - Xã hội") or the
            # fixed lower-case pair "chính trị - xã hội"
            if w and (_is_cap(w.group()) or text[max(pos, q - 8):q].endswith("chính trị")):
                q = w.end()
                n_words += 1
                lower_run = 0
                continue
            break
        if not gap:
            break
        p = gap.end()
        if p >= end:
            break
        and_ = _AND.match(text, q, end) if text.startswith("và", p) else None
        if and_:
            nxt = g.word.match(text, and_.end(), end)
            if nxt and _is_cap(nxt.group()) and not g.head.match(text, nxt.start(), end) \
                    and not g.person.match(text, nxt.start(), end):
                q = nxt.end()
                n_words += 1
                lower_run = 0
                continue
            break
        loc = g.locality.match(text, p, end)
        if loc:
            q = loc.end()
            n_words += 1
            lower_run = 0
            # the place's proper name: "tỉnh Lâm Đồng", "xã Vĩnh Thủy"
            while True:
                gp = _GAP.match(text, q, end)
                w = gp and g.word.match(text, gp.end(), end)
                if w and _is_cap(w.group()) and not _YEARLIKE.fullmatch(w.group()) \
                        and not g.head.match(text, w.start(), end):
                    q = w.end()
                else:
                    break
            continue
        if g.predicate.match(text, p, end):
            break
        w = g.word.match(text, p, end)
        if not w or _YEARLIKE.fullmatch(w.group()):
            break
        if _is_cap(w.group()):
            sb = g.suffix_body.match(text, p, end)
            if sb and n_words > 0:
                q = sb.end()
                break
            if g.head.match(text, p, end) and n_words > 0 and not w.group().isupper():
                break  # a second unit starts ("Sở Nội vụ Sở Tài chính" never happens in one name)
            if (n_words > 0 or only_locality) and not w.group().isupper() \
                    and g.predicate.match(text[p:min(end, p + 40)].lower()):
                break  # a capitalised verb opens the next sentence ("... tổng hợp Chủ động phối hợp")
            if only_locality:
                break
            q = w.end()
            n_words += 1
            lower_run = 0
            continue
        if (n_words == 0 and not allow_lower) or lower_run >= _MAX_LOWER_RUN or only_locality:
            break
        q = w.end()
        n_words += 1
        lower_run += 1
    # never end a name on a lower-case function word
    return q


def _make(text: str, start: int, end: int, kind: str, nouns: tuple[int, int] | None = None) -> UnitName:
    raw = text[start:end]
    name = raw
    if nouns is not None:
        # "Các cơ quan, đơn vị địa phương" = "Các cơ quan, đơn vị, địa phương": generic nouns
        # separated by a bare space get the comma the list means
        ns, ne = nouns
        g = _grammar()
        parts, last = [], ns
        for m in g.noun.finditer(text, ns, ne):
            if m.start() < last:
                continue
            gap = text[last:m.start()]
            parts.append(", " if parts and not gap.strip() else gap)
            parts.append(m.group())
            last = m.end()
        parts.append(text[last:ne])
        name = text[start:ns] + "".join(parts) + text[ne:end]
    return UnitName(start, end, raw, canonical_name(name), kind)


@lru_cache(maxsize=2)
def _start_words(cell: bool) -> tuple[dict[str, tuple[str, ...]], frozenset[str], int] | None:
    """The lower-cased words one of which starts every unit name (the leading words of the
    person, collective, known-name and head patterns; of bare nouns too in a cell) by first
    letter, the characters that make lower-casing disagree with IGNORECASE about them, and
    the longest word's length. None when some pattern's leading words cannot be read."""
    g = _grammar()
    words: set[str] = set()
    for pat in (g.person, g.collective, g.known, g.head) + ((g.bare_nouns,) if cell else ()):
        lits = _pattern_literals(pat)
        if lits is None or not _DIGIT_TOKENS.isdisjoint(lits):
            return None
        words |= lits
    buckets: dict[str, list[str]] = {}
    for w in sorted(words):
        buckets.setdefault(w[0], []).append(w)
    return ({k: tuple(v) for k, v in buckets.items()}, _unfoldable_chars(frozenset("".join(words))),
            max(map(len, words)))


def unit_start_words() -> dict[str, tuple[str, ...]] | None:
    """First letter -> the lower-cased words one of which starts a unit name in prose (None
    when not known); ``match_unit(text, pos)`` is None where none of them starts."""
    gate = _start_words(False)
    return None if gate is None else gate[0]


def _may_start_unit(text: str, pos: int, cell: bool) -> bool:
    """False when no unit name can start at ``pos``: ``match_unit`` is asked at every
    sentence start, and most sentences open with a verb, which one word lookup rules out."""
    gate = _start_words(cell)
    if gate is None:
        return True
    buckets, unfoldable, longest = gate
    window = text[pos:pos + longest]
    if not unfoldable.isdisjoint(window):
        return True
    low = window.lower()
    words = buckets.get(low[:1])
    return words is not None and low.startswith(words)


def match_unit(text: str, pos: int, end: int | None = None, *, cell: bool = False) -> UnitName | None:
    """The unit name starting exactly at ``pos`` (None if none does).

    ``cell=True`` reads a table cell: a bare list of generic nouns ("đơn vị sự nghiệp công
    lập thuộc tỉnh") is a collective unit there, as it is after a person prefix.

    >>> match_unit("Giao Sở Nội vụ theo dõi", 5).raw
    'Sở Nội vụ'
    >>> match_unit("UBND các xã, phường, đặc khu trình HĐND", 0).name
    'UBND các xã, phường, đặc khu'
    >>> match_unit("Ban hành kế hoạch", 0) is None
    True
    """
    end = len(text) if end is None else end
    if not _may_start_unit(text, pos, cell):
        return None
    g = _grammar()
    p = pos
    person = g.person.match(text, p, end)
    if person:
        p = person.end()
    m = g.collective.match(text, p, end)
    if m:
        return _make(text, pos, m.end(), "collective", m.span("nouns"))
    if person or cell:
        m = g.bare_nouns.match(text, p, end)
        if m and not _specific_head_at(text, p, end, g):
            return _make(text, pos, m.end(), "collective", m.span("nouns"))
    m = g.known.match(text, p, end)
    head = None
    if m:
        q = _name_end(text, m.end(), end, None, g, only_locality=True)
        return _make(text, pos, q, "specific")
    m = g.head.match(text, p, end)
    if not m:
        return None
    head = g.head_info.get(m.group().casefold()) or g.head_info.get(_SPACES.sub(" ", m.group()).casefold())
    if head is None:
        return None
    word = m.group()
    if not _is_cap(word):
        # a lower-case head ("phòng Văn hóa - Xã hội", "qua sở Tài chính") needs a capitalised name
        nxt = _GAP.match(text, m.end(), end)
        w = nxt and g.word.match(text, nxt.end(), end)
        if not (w and _is_cap(w.group())):
            return None
    lv = g.level.match(text, m.end(), end)
    if lv:
        return _make(text, pos, lv.end(), "collective", lv.span("nouns") if lv.group("nouns") else None)
    q = _name_end(text, m.end(), end, head, g)
    if q == m.end() and not head.get("complete"):
        return None
    if _is_front(head):
        t = g.front_tail.match(text, q, end)
        if t:
            q = t.end()
            lv = g.level.match(text, q, end)
            if lv:
                q = lv.end()
    kind = "specific"
    lv_in = _LEVEL_AT_END.search(text[pos:q])
    if lv_in:
        kind = "collective"
    return _make(text, pos, q, kind)


_LIST_SEP = regex.compile(r"[ \t]*(?:,|;|/)[ \t]*(?:và[ \t]+)?|[ \t]+(?:và|cùng|với)[ \t]+")


def match_unit_list(text: str, pos: int, end: int | None = None, *, cell: bool = False) -> list[UnitName]:
    """Units listed from ``pos``: "A, B và C" / "A; B" (stops at the first non-unit).

    >>> [u.raw for u in match_unit_list("Sở Nội vụ, Sở Tài chính và UBND các xã chủ trì", 0)]
    ['Sở Nội vụ', 'Sở Tài chính', 'UBND các xã']
    """
    end = len(text) if end is None else end
    out: list[UnitName] = []
    p = pos
    while p < end:
        u = match_unit(text, p, end, cell=cell)
        if u is None:
            break
        out.append(u)
        s = _LIST_SEP.match(text, u.end, end)
        if not s:
            break
        p = s.end()
    return out


_PAREN = regex.compile(r"\([^()]*\)")
_CELL_SPLIT = regex.compile(r"\s*[;\n]\s*|\s*,\s*(?=\S)|\s*\+\s*")
_SKIP = regex.compile(r"[\s\-+•.,;:]+")


def split_units(text: str, start: int = 0, end: int | None = None) -> list[UnitName]:
    """Every unit named in a delimited field (a table cell, a "Chủ trì: ..." value).

    Commas separate units unless a collective name uses them ("Các sở, ban, ngành"); a piece
    the grammar cannot read is kept whole, since the column says it is a unit.

    >>> [u.name for u in split_units("Sở Nội vụ, Sở Khoa học và Công nghệ, Văn phòng UBND tỉnh,")]
    ['Sở Nội vụ', 'Sở Khoa học và Công nghệ', 'Văn phòng UBND tỉnh']
    >>> [u.name for u in split_units("Các đơn vị sự nghiệp công lập, UBMTTQVN và tổ chức chính trị - xã hội các cấp")]
    ['Các đơn vị sự nghiệp công lập', 'UBMTTQVN và tổ chức chính trị - xã hội các cấp']
    """
    end = len(text) if end is None else end
    out: list[UnitName] = []
    p = start
    while p < end:
        # skip separators, bullets and parentheticals ("(chủ trì)")
        while p < end:
            m = _SKIP.match(text, p, end)
            if m:
                p = m.end()
                continue
            m = _PAREN.match(text, p, end)
            if m:
                p = m.end()
                continue
            break
        if p >= end:
            break
        u = match_unit(text, p, end, cell=True)
        nxt = _CELL_SPLIT.search(text, p + 1, end)
        piece_end = nxt.start() if nxt else end
        if u is not None and u.end >= piece_end:
            out.append(u)
            p = u.end
            continue
        if u is not None:
            # the grammar stopped inside the piece: trust the column and keep the piece whole,
            # unless what follows is a parenthetical
            rest = text[u.end:piece_end]
            if not rest.strip() or _PAREN.fullmatch(rest.strip()):
                out.append(u)
                p = piece_end
                continue
        piece = text[p:piece_end]
        stripped = _PAREN.sub("", piece).strip(" \t.,;:")
        if stripped and any(ch.isalpha() for ch in stripped):
            s = p + piece.find(stripped[:1]) if stripped else p
            e = s + len(piece[s - p:].rstrip(" \t.,;:"))
            raw = text[s:e]
            out.append(UnitName(s, e, raw, canonical_name(raw), _kind_of(raw)))
        p = piece_end
    return out


def _kind_of(raw: str) -> str:
    low = raw.casefold()
    if low.startswith(("các ", "toàn thể", "tất cả")) or " các " in f" {low} " or _COLLECTIVE_WORDS.search(low):
        return "collective"
    return "specific"


# --------------------------------------------------------------------------------------------
# Normalised display names
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _case_fixes() -> regex.Pattern:
    """Heads written with a wrong capital ("Văn Phòng") -> canonical spelling."""
    canon = {}
    for h in _data()["heads"]:
        for v in h["variants"]:
            if not v.isupper():
                canon.setdefault(v.casefold(), v)
    return regex.compile(r"^(?:" + "|".join(regex.escape(v) for v in sorted(canon, key=lambda s: (-len(s), s)))
                         + r")(?!\w)", regex.IGNORECASE), canon


def canonical_name(raw: str) -> str:
    """Normalised unit name: whitespace collapsed, government tones, Ð -> Đ, "-" dashes,
    the head spelt canonically ("Văn Phòng" -> "Văn phòng"), first letter capitalised,
    abbreviations kept as written.

    >>> canonical_name("Văn Phòng HĐND và  UBND")
    'Văn phòng HĐND và UBND'
    >>> canonical_name("các phòng chuyên môn")
    'Các phòng chuyên môn'
    >>> canonical_name("phòng Văn hoá – Xã hội")
    'Phòng Văn hóa - Xã hội'
    """
    s = unicodedata.normalize("NFC", raw).replace("\u00d0", "Đ")
    s = _DASHES.sub("-", s)
    s = government_tones(_SPACES.sub(" ", s)).strip(" \t,;:.")
    if s.endswith(" -"):
        s = s[:-2]
    pat, canon = _case_fixes()
    m = pat.match(s)
    if m and not m.group().isupper():
        s = canon[m.group().casefold()] + s[m.end():]
    if s[:1].islower():
        s = s[:1].upper() + s[1:]
    return s
