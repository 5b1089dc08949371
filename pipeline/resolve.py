"""Resolve: one canonical ``instrument_id`` per cited instrument, equal across documents.

``resolve_citations(doc, citations)`` works in three steps:

1. **Within the document**, mentions of the same number and symbol are one instrument:
   a date or issuer phrase given once fills the other mentions (never when the mentions
   disagree on the year: two "12/KH-UBND" of 2024 and 2025 stay two). A law cited by
   name that the document also cites by number ("Luật Tổ chức chính quyền địa phương"
   and "… số 72/2025/QH15") takes that number.
2. **Scope**: national for central issuers (codes TTg, CP, QH, TW, ministries …); for
   local ones (UBND, HĐND, Tỉnh ủy, Đảng ủy, Ban Chỉ đạo, sở …) the province the issuer
   phrase names ("của UBND tỉnh Quảng Trị") or else the citing document's province, and
   the commune when the phrase names one ("của Đảng ủy xã Vĩnh Thủy") or says "xã" in a
   commune's own plan. Two different "61/KH-UBND" of two provinces are two instruments.
3. **Identity**: ``<symbol tokens>:<number>:<year>[@<scope>]`` with the number's leading
   zeros dropped, the symbol's separators unified and the year taken from the number or
   the issue date ("75/NQ-HĐND ngày 09/12/2024" = "75/2024/NQ-HĐND"); "?" when no mention
   dates it. Named instruments: known laws get their number's id (known_laws.json), other
   names a slug ("nghi-quyet:dai-hoi-dang-toan-quoc:xiv").

>>> instrument_key("NĐ-CP", "059", 2023, None, "national")
'NĐ-CP:59:2023'
>>> instrument_key("KH/ĐU", "30", None, dt.date(2026, 1, 30), "Quảng Trị/Vĩnh Thủy")
'KH-ĐU:30:2026@Quảng Trị/Vĩnh Thủy'
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache

import regex

from extractors.citation_codes import CODES
from gazetteer import load

NATIONAL = "national"
UNKNOWN_PLACE = "?"

_SEPS = regex.compile(r"[-/]+")
_CENTRAL_PHRASE = regex.compile(
    r"\b(?:Chính phủ|Thủ tướng|Quốc hội|Bộ Chính trị|Ban Bí thư|Ban Chấp hành Trung ương|BCH Trung ương|"
    r"Trung ương|Bộ(?=\s+\p{Lu})|Tổng cục|Cục(?=\s+\p{Lu})|Ngân hàng Nhà nước|Kiểm toán [Nn]hà nước|"
    r"Chủ tịch nước|Tòa án nhân dân tối cao|Viện kiểm sát nhân dân tối cao)")
_COMMUNE_WORD = regex.compile(r"\b(?:xã|phường|đặc khu|thị trấn)\b", regex.I)
_ORDINAL = regex.compile(r"lần[ ]thứ[ ](?P<o>[IVXLC]+|\d+)")
_TRAILING_YEAR = regex.compile(r"\s*(?:năm\s+)?\d{4}$")
_NON_SLUG = regex.compile(r"[^a-z0-9]+")
_PLACE_WORD = regex.compile(r"^(?i:tỉnh|thành phố|tp\.?)\s*")
_NATIONAL_NAME = regex.compile(r"toàn quốc|quốc gia|của Đảng\b|nhà nước")
_LAW_TYPES = ("Luật", "Bộ luật", "Pháp lệnh", "Hiến pháp")
# Issuer codes whose documents a commune also issues under the same code.
_COMMUNE_CODES = frozenset({"UBND", "UB", "HĐND", "CTUBND", "ĐU", "MTTQ", "BCĐ"})


@lru_cache(maxsize=4096)
def symbol_key(symbol: str) -> str:
    """The symbol with "/" and "-" unified, so "23-QĐ/TW" and "23/QĐ-TW" are one instrument.

    >>> symbol_key("QĐ/TW"), symbol_key("CTPH/BDVTU-BCSĐUBND")
    ('QĐ-TW', 'CTPH-BDVTU-BCSĐUBND')
    """
    return _SEPS.sub("-", symbol).strip("-")


def instrument_key(symbol: str, number: str, year: int | None, issue_date: dt.date | None, scope: str) -> str:
    """The instrument id of a numbered instrument (see the module docstring)."""
    num = number.lstrip("0") or "0"
    y = year or (issue_date.year if issue_date else None)
    key = f"{symbol_key(symbol)}:{num}:{y if y else '?'}"
    return key if scope == NATIONAL else f"{key}@{scope}"


def slug(s: str) -> str:
    """ASCII slug of a Vietnamese name.

    >>> slug("Luật Thực hiện dân chủ ở cơ sở")
    'luat-thuc-hien-dan-chu-o-co-so'
    """
    s = unicodedata.normalize("NFD", s.replace("đ", "d").replace("Đ", "D"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    return _NON_SLUG.sub("-", s).strip("-")


def _fold(s: str | None) -> str:
    return " ".join((s or "").split()).casefold()


# --- known laws ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _known_laws() -> dict[str, list[dict]]:
    by_name: dict[str, list[dict]] = defaultdict(list)
    for e in load("known_laws")["laws"]:
        for n in {_fold(x) for x in [e["name"]] + e.get("aliases", [])}:
            by_name[n].append(e)
    return by_name


def known_law(name: str, year: int | None, as_of: int | None = None) -> dict | None:
    """The known_laws entry a named mention stands for, or None when unknown or ambiguous.

    A year in the mention picks that version; without one, the version in force for a
    document of year ``as_of`` (the latest not newer than it), else the current one.

    >>> known_law("Luật Thực hiện dân chủ cơ sở", 2022)["number"]
    '10'
    >>> known_law("Luật Đất đai", 2013)["number"], known_law("Luật Đất đai", None)["number"]
    ('45', '31')
    >>> known_law("Luật Đất đai", None, as_of=2020)["number"]
    '45'
    """
    entries = _known_laws().get(_fold(name), [])
    if year is not None:
        entries = [e for e in entries if e["year"] == year]
    elif len(entries) > 1 and as_of is not None:
        older = [e for e in entries if e["year"] <= as_of]
        if older:
            latest = max(e["year"] for e in older)
            entries = [e for e in older if e["year"] == latest]
    if len(entries) > 1:
        entries = [e for e in entries if e.get("current")] or entries
    return entries[0] if len(entries) == 1 else None


def known_law_id(entry: dict) -> str:
    """Instrument id of a known law: the id its number gives, or a slug for the Constitution."""
    if entry.get("number") and entry.get("symbol"):
        return instrument_key(entry["symbol"], entry["number"], entry["year"], None, NATIONAL)
    return f"{slug(entry['name'])}:{entry['year']}"


@lru_cache(maxsize=1)
def known_instruments() -> dict[str, dict]:
    """instrument_id -> facts from known_laws.json, for the instruments table."""
    out = {}
    for e in load("known_laws")["laws"]:
        out[known_law_id(e)] = {
            "type": e["type"], "number": e.get("number"), "year": e.get("year"), "symbol": e.get("symbol"),
            "issue_date": dt.date.fromisoformat(e["date"]) if e.get("date") else None, "title": e["name"],
            # Laws and the Constitution are the Quốc hội's; a Pháp lệnh names UBTVQH in its symbol.
            "issuer": (CODES.issuer_name(e["symbol"]) if e.get("symbol") else None) or "Quốc hội",
        }
    return out


# --- scope ---------------------------------------------------------------------------------------


def _place_in_phrase(phrase: str, doc_province: str | None) -> tuple[str | None, str | None, bool]:
    """(province, commune, says_commune) named by an issuer phrase."""
    from extractors.places import find_commune, find_province_mentions

    province = None
    hits = find_province_mentions(phrase)
    if hits:
        h = hits[0]
        # An old (pre-2025) province keeps its own name: its instruments are its own.
        province = _PLACE_WORD.sub("", h.raw).strip() if h.via_old_name else h.province
    commune = None
    c = find_commune(phrase, province or doc_province)
    if c is not None:
        commune = c[1]
    return province, commune, bool(_COMMUNE_WORD.search(phrase))


def scope_of(symbol: str | None, phrase: str | None, meta) -> str:
    """Scope of an instrument from its symbol's issuer level, its issuer phrase and the
    citing document's metadata.

    >>> class M: province, commune = "Quảng Trị", "Vĩnh Thủy"
    >>> scope_of("CT-TTg", None, M), scope_of("KH-UBND", "UBND tỉnh Quảng Trị", M)
    ('national', 'Quảng Trị')
    >>> scope_of("KH/ĐU", "Đảng ủy xã Vĩnh Thủy", M), scope_of("KH-UBND", None, M)
    ('Quảng Trị/Vĩnh Thủy', 'Quảng Trị/Vĩnh Thủy')
    """
    doc_province = getattr(meta, "province", None)
    doc_commune = getattr(meta, "commune", None)
    level = CODES.level_of(symbol) if symbol else None
    if level == "central":
        return NATIONAL
    if level is None and phrase and _CENTRAL_PHRASE.search(phrase) and not _COMMUNE_WORD.search(phrase) \
            and "tỉnh" not in phrase.casefold():
        return NATIONAL
    province = commune = None
    says_commune = False
    if phrase:
        province, commune, says_commune = _place_in_phrase(phrase, doc_province)
    if province is None:
        province = doc_province
    if province is None and level is None:
        return NATIONAL  # an unknown code cited by a document of no province (a ministry's)
    if commune is None and doc_commune and (province in (None, doc_province)):
        first_issuer = CODES.issuers_of(symbol)[0][0].code if symbol and CODES.issuers_of(symbol) else None
        if says_commune or (not phrase and first_issuer in _COMMUNE_CODES and level != "province"):
            commune = doc_commune
    scope = province or UNKNOWN_PLACE
    return f"{scope}/{commune}" if commune else scope


def _named_scope(c, meta) -> str:
    name = c.name or ""
    if c.type in _LAW_TYPES or _NATIONAL_NAME.search(name):
        return NATIONAL
    province, commune, _ = _place_in_phrase(name, getattr(meta, "province", None))
    province = province or getattr(meta, "province", None)
    if province is None:
        return NATIONAL  # cited by a central document: a national programme
    if commune is None and _COMMUNE_WORD.search(name) and getattr(meta, "commune", None):
        commune = meta.commune
    return f"{province}/{commune}" if commune else province


def named_key(c, scope: str) -> str:
    """Slug id of an instrument cited by name only.

    >>> class C: type, name, year = "Nghị quyết", "Nghị quyết Đại hội Đảng toàn quốc lần thứ XIV", None
    >>> named_key(C, "national")
    'nghi-quyet:dai-hoi-dang-toan-quoc:xiv'
    """
    name = c.name or c.type or ""
    rest = name[len(c.type):].strip() if c.type and name.startswith(c.type) else name
    if c.type == "Nghị quyết" and rest.startswith("Đại hội"):
        o = _ORDINAL.search(rest)
        ordinal = o.group("o").lower() if o else "?"
        if scope == NATIONAL:
            key = f"nghi-quyet:dai-hoi-dang-toan-quoc:{ordinal}"
        else:
            key = f"nghi-quyet:dai-hoi-dang-bo:{ordinal}"
    elif c.type in _LAW_TYPES:
        key = f"{slug(c.type)}:{slug(_TRAILING_YEAR.sub('', rest)) or '-'}"
        if c.year:
            key += f":{c.year}"
    else:  # a programme or plan: its period is part of its name
        key = f"{slug(c.type or 'named')}:{slug(rest) or '-'}"
    return key if scope == NATIONAL else f"{key}@{scope}"


# --- the resolver -----------------------------------------------------------------------------------


def _group_key(c) -> tuple[str, str] | None:
    if c.number is None or c.symbol is None:
        return None
    return c.number.lstrip("0") or "0", symbol_key(c.symbol)


def resolve_citations(doc, citations: list) -> list:
    """Fill ``instrument_id`` and ``scope`` of every citation (and parts one mention of an
    instrument gives for the others); returns the same list.
    """
    meta = getattr(doc, "metadata", None)
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for c in citations:
        k = _group_key(c)
        if k is not None:
            groups[k].append(c)

    # Laws cited by name that the document also cites by number.
    numbered_laws = {}
    for g in groups.values():
        for c in g:
            if c.name:
                numbered_laws.setdefault(_fold(c.name), c)
    for c in citations:
        if c.number is None and c.name and _fold(c.name) in numbered_laws:
            full = numbered_laws[_fold(c.name)]
            if c.year is None or c.year in (full.year, full.issue_date.year if full.issue_date else None):
                c.number, c.symbol, c.type_code = full.number, full.symbol, full.type_code
                c.year = full.year
                c.flags.append("short_form")
                groups[_group_key(c)].append(c)

    for g in groups.values():
        _resolve_group(g, meta)
    for c in citations:
        if c.instrument_id is None:
            _resolve_named(c, meta)
    return citations


def _resolve_group(g: list, meta) -> None:
    dates = Counter(c.issue_date for c in g if c.issue_date is not None)
    years = {d.year for d in dates} | {c.year for c in g if c.year is not None}
    single_year = years.pop() if len(years) == 1 else None
    phrases = [c.issuer for c in g if c.issuer]
    if single_year is not None or len(years) == 0:
        # One instrument: what one mention says holds for all.
        date = dates.most_common(1)[0][0] if len(dates) == 1 else None
        for c in g:
            if c.issue_date is None and date is not None:
                c.issue_date = date
                c.flags.append("date_from_other_mention")
            if c.issuer is None and phrases:
                c.issuer = phrases[0]
                c.flags.append("issuer_from_other_mention")
    symbol = g[0].symbol
    scope = scope_of(symbol, phrases[0] if phrases else None, meta)
    for c in g:
        c.scope = scope
        y = single_year if single_year is not None else (c.year or (c.issue_date.year if c.issue_date else None))
        c.instrument_id = instrument_key(c.symbol, c.number, y, None, scope)


def _as_of(meta) -> int | None:
    d = getattr(meta, "issue_date", None)
    return d.year if isinstance(d, dt.date) else getattr(meta, "plan_year", None)


def _resolve_named(c, meta) -> None:
    if c.type in _LAW_TYPES and c.name:
        entry = known_law(c.name, c.year, _as_of(meta))
        if entry is not None:
            c.scope = NATIONAL
            c.instrument_id = known_law_id(entry)
            return
    c.scope = _named_scope(c, meta)
    c.instrument_id = named_key(c, c.scope)
