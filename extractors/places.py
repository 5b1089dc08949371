"""Places: the 34 provinces (accepting the 63 old names) and 3,321 communes.

Pure functions over text; knowledge comes from ``gazetteer/data/provinces.json`` and
``communes.csv``. A province name only counts where the text says it is a place
("tỉnh Lai Châu", "UBND TỈNH LÂM ĐỒNG", "TP. Hồ Chí Minh", a date line "Lâm Đồng, ngày …"):
"phong cách Hồ Chí Minh" is not Hồ Chí Minh city.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from gazetteer import load


@dataclass(frozen=True)
class PlaceMention:
    province: str  # current short name
    start: int
    end: int
    raw: str
    via_old_name: bool = False


_SPACES_RE = regex.compile(r"\s+")
_PLACE_WORD_RE = regex.compile(r"^(?:tỉnh|thành phố|tp\.?)\s*")
# Where a prefixed mention can start ("tỉnh", "thành phố", "TP", in any case): a plain
# literal search finds these far faster than trying the whole pattern at every position.
_PREFIX_START_RE = regex.compile(r"tỉnh|thành|tp", regex.IGNORECASE)


@lru_cache(maxsize=1)
def _province_index():
    alias_to_prov: dict[str, tuple[str, bool]] = {}
    for p in load("provinces")["provinces"]:
        alias_to_prov[p["name"].lower()] = (p["name"], False)
        for o in p["old_names"]:
            alias_to_prov.setdefault(o.lower(), (p["name"], True))
        for a in p["aliases"]:
            alias_to_prov.setdefault(a.lower(), (p["name"], a in p["old_names"]))
    names = sorted(alias_to_prov, key=lambda s: (-len(s), s))
    alt = "|".join(regex.escape(n).replace(r"\ ", r"\s+") for n in names)
    # Bare aliases that already say "city" (TP.HCM) need no prefix.
    prefixed = regex.compile(
        rf"(?:\b(?:tỉnh|thành\s+phố|TP\.?|Tp\.?)\s*)(?P<name>{alt})(?![\p{{L}}\d])", regex.IGNORECASE)
    bare = regex.compile(rf"(?<![\p{{L}}])(?P<name>{alt})(?![\p{{L}}\d])", regex.IGNORECASE)
    return alias_to_prov, prefixed, bare


def province_of_name(name: str) -> str | None:
    """Current short province name for a current, old or alias name.

    >>> province_of_name("Quảng Bình"), province_of_name("TP.HCM"), province_of_name("Thừa Thiên Huế")
    ('Quảng Trị', 'Hồ Chí Minh', 'Huế')
    """
    index = _province_index()[0]
    full = _SPACES_RE.sub(" ", name.strip().lower())
    key = _PLACE_WORD_RE.sub("", full)
    hit = index.get(full) or index.get(key)
    return hit[0] if hit else None


def find_province_mentions(text: str, start: int = 0, end: int | None = None,
                           bare: bool = False) -> list[PlaceMention]:
    """Province mentions introduced by "tỉnh"/"thành phố"/"TP." (or bare names if asked).

    >>> [m.province for m in find_province_mentions("UBND tỉnh Quảng Bình và phong cách Hồ Chí Minh")]
    ['Quảng Trị']
    """
    alias_to_prov, prefixed, bare_re = _province_index()
    end = len(text) if end is None else end
    matches = bare_re.finditer(text, start, end) if bare else _prefixed_matches(prefixed, text, start, end)
    out = []
    for m in matches:
        key = _SPACES_RE.sub(" ", m.group("name").lower())
        prov, old = alias_to_prov[key]
        out.append(PlaceMention(prov, m.start(), m.end(), m.group(), old))
    return out


def _prefixed_matches(prefixed: regex.Pattern, text: str, start: int, end: int):
    """``prefixed.finditer(text, start, end)``, trying the pattern only where its prefix
    word starts (every match starts there; matches do not overlap)."""
    last = start
    for hint in _PREFIX_START_RE.finditer(text, start, end):
        pos = hint.start()
        if pos < last:
            continue
        m = prefixed.match(text, pos, end)
        if m is not None:
            yield m
            last = m.end()


@lru_cache(maxsize=1)
def _communes():
    by_name: dict[str, list[dict]] = {}
    for row in load("communes"):
        by_name.setdefault(row["name"].lower(), []).append(row)
    return by_name


def communes_named(name: str, unit_type: str | None = None, province: str | None = None) -> list[dict]:
    """Commune-level units with this name (optionally of a type / in a province).

    >>> [r["province"] for r in communes_named("Vĩnh Thủy", "xã")]
    ['Quảng Trị']
    """
    rows = _communes().get(name.strip().lower(), [])
    if unit_type:
        rows = [r for r in rows if r["unit_type"] == unit_type.lower()]
    if province:
        rows = [r for r in rows if r["province"] == province]
    return rows


_COMMUNE_RE = regex.compile(
    r"\b(?P<type>xã|phường|đặc\s+khu|XÃ|PHƯỜNG|ĐẶC\s+KHU|Xã|Phường|Đặc\s+khu)\s+"
    r"(?P<name>(?:[\p{Lu}\d][\p{L}\d]*)(?:[\s-]+[\p{Lu}\d][\p{L}\d]*){0,4})")


def find_commune(text: str, province: str | None = None) -> tuple[str, str, int, int] | None:
    """First "xã/phường/đặc khu NAME" whose NAME is a real commune (longest match wins).

    Returns (unit_type, name, start, end).

    >>> find_commune("UBND xã Vĩnh Thủy ban hành Kế hoạch")[:2]
    ('xã', 'Vĩnh Thủy')
    """
    for m in _COMMUNE_RE.finditer(text):
        utype = _SPACES_RE.sub(" ", m.group("type").lower())
        words = _SPACES_RE.split(m.group("name"))
        for k in range(len(words), 0, -1):
            cand = " ".join(words[:k])
            cand_t = cand if not cand.isupper() else cand.title()
            if communes_named(cand_t, utype, province) or communes_named(cand_t, utype):
                name_end = m.start("name") + len(" ".join(words[:k]))
                return utype, cand_t, m.start(), name_end
    return None
