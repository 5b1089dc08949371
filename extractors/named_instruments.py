"""Instruments cited by name, without a number: laws ("Luật Thực hiện dân chủ ở cơ sở năm
2022"), the Constitution, Party congress resolutions ("Nghị quyết Đại hội đại biểu toàn
quốc lần thứ XIV của Đảng") and named national or local programmes and plans
("Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021-2030").

They become ``Citation`` records with ``number``/``symbol`` None, ``grammar="named"`` and a
normalised ``name``; ``pipeline.resolve`` maps known laws to their number
(gazetteer/data/known_laws.json).

A name is where the text makes it one, never a common noun: "Luật" with a capitalised
name (not "Luật này", "Luật sư"), "Nghị quyết Đại hội …" with a capital Đ, a programme
or plan only when its name is capitalised or says "tổng thể" / "mục tiêu quốc gia" and
ends on its period ("năm 2026", "giai đoạn 2021-2030") — and never the plan itself
("ban hành Kế hoạch …", its own title).

>>> [(c.type, c.name, c.year) for c in find_named_instruments(
...     "Thực hiện Luật Thực hiện dân chủ ở cơ sở năm 2022; quy định của Hiến pháp, pháp luật.", [])]
[('Luật', 'Luật Thực hiện dân chủ ở cơ sở', 2022), ('Hiến pháp', 'Hiến pháp', None)]
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

import regex

from gazetteer import load

from .citation_patterns import TYPE_WORD

_E = r"(?![\p{L}\p{M}\p{N}])"
_B = r"(?<![\p{L}\p{M}\p{N}])"

# Triggers, case-sensitive: running text capitalises instrument names.
NAMED_RE = regex.compile(
    rf"{_B}(?P<type>Hiến pháp|Bộ luật|Luật|Pháp lệnh|Nghị quyết(?=[ ]Đại[ ]hội{_E})|"
    rf"Chương trình|Kế hoạch|Đề án|Chiến lược){_E}"
)
# Where a trigger can start: the stdlib finds these literals several times faster than
# ``NAMED_RE`` scans for them; ``NAMED_RE`` then decides at each. No word starts inside
# another, so a non-overlapping scan misses no start.
_TRIGGER_HINT_RE = re.compile(r"Hiến pháp|Bộ luật|Luật|Pháp lệnh|Nghị quyết|Chương trình|Kế hoạch|Đề án|Chiến lược")
# Words that end a law's name: what follows a name in running text.
_LAW_STOP = (r"về|của|và|theo|tại|được|đã|trên|trong|để|nhằm|cho|với|đến|là|thì|có|khi|từ|do|các|những|"
             r"gắn|số|ngày|năm|này|đó|mới|cũng|như|nêu|hiện[ ]hành|quy[ ]định|hướng[ ]dẫn|thực[ ]hiện|"
             r"sửa[ ]đổi|bổ[ ]sung|ban[ ]hành|thi[ ]hành|liên[ ]quan|ở[ ]các|trong[ ]đó|đối[ ]với")
# A law's name: capitalised first word, then words that do not start what follows it;
# "Phòng, chống …" keeps its comma.
_LAW_NAME_RE = regex.compile(
    rf"[ ](?P<name>\p{{Lu}}[\p{{L}}\p{{M}}]*(?:(?:,[ ]chống|[ ](?!(?:{_LAW_STOP}){_E})\p{{L}}[\p{{L}}\p{{M}}\p{{N}}]*)){{0,11}})"
    rf"(?:[ ](?:năm[ ])?(?P<year>(?:19|20)\d{{2}}){_E})?"
)
_AMENDING = regex.compile(r"^(?:Luật|Bộ luật|Pháp lệnh)[ ](?:Sửa|sửa)[ ]đổi")
_CONSTITUTION_RE = regex.compile(
    r"(?:[ ]nước[ ]Cộng[ ]hòa[ ]xã[ ]hội[ ]chủ[ ]nghĩa[ ]Việt[ ]Nam)?(?:[ ]năm[ ](?P<year>(?:19|20)\d{2}))?")
# "Nghị quyết Đại hội …": until punctuation or a word that starts what follows; keeps
# "lần thứ XIV", "của Đảng", ", nhiệm kỳ 2025-2030".
_CONGRESS_STOP = r"và|đã|đề|với|trên|trong|để|nhằm|gắn|theo|tại|về|được|là|thì|cho|đến|vào|nhiệm[ ]vụ|phương[ ]châm"
_CONGRESS_RE = regex.compile(
    rf"[ ](?P<name>Đại[ ]hội(?:[ ](?!(?:{_CONGRESS_STOP}|của){_E})[\p{{L}}\p{{M}}\p{{N}}]+|[ ]-[ ]\d{{4}}|[ ]của[ ]Đảng(?:[ ]Cộng[ ]sản[ ]Việt[ ]Nam)?){{1,16}}"
    rf"(?:,[ ]nhiệm[ ]kỳ[ ]\d{{4}}[ ]?-[ ]?\d{{4}})?)"
)
# A named programme or plan: capitalised or national, ending on its period; a national
# programme or strategy ("Chương trình … giai đoạn 2021-2030") also when OCR or the writer
# lower-cased its name.
_PERIOD = r"(?:[ ](?:năm|đến[ ]năm)[ ](?:19|20)\d{2}|[ ]giai[ ]đoạn[ ](?:19|20)\d{2}[ ]?-[ ]?(?:19|20)\d{2})"
_NAME_BODY = rf"(?:(?![ ](?:{TYPE_WORD}|ban[ ]hành|số|kèm)[ ])[^,;:.()\[\]\n“”\"]){{0,140}}?"
_PROGRAMME_RE = regex.compile(
    rf"[ ](?P<name>(?:\p{{Lu}}|tổng[ ]thể|mục[ ]tiêu[ ]quốc[ ]gia|hành[ ]động[ ]quốc[ ]gia){_NAME_BODY}{_PERIOD}){_E}"
)
_NATIONAL_PROGRAMME_RE = regex.compile(
    rf"[ ](?P<name>\p{{Ll}}{_NAME_BODY}[ ]giai[ ]đoạn[ ](?:19|20)\d{{2}}[ ]?-[ ]?(?:19|20)\d{{2}}){_E}"
)
_SELF_LEAD_RE = regex.compile(r"(?:ban hành|Ban hành|BAN HÀNH|Trên đây là|xây dựng|thực hiện các nội dung)[ ]\Z")
_YEAR_IN_NAME = regex.compile(r"(?:năm|đến năm|giai đoạn)[ ](?P<y>(?:19|20)\d{2})")
_NOT_LAW_NAMES = frozenset({"Luật sư", "Luật gia", "Luật Việt Nam"})
_KNOWN_NAME_YEAR_RE = regex.compile(rf"[ ](?:năm[ ])?(?P<y>(?:19|20)\d{{2}}){_E}")
_NUMBER_FOLLOWS_RE = regex.compile(r"[ ](?:năm[ ]\d{4}[ ])?số[ ]?\d")
_SPACES = regex.compile(r"\s+")


@lru_cache(maxsize=1)
def _known_law_names() -> list[str]:
    """Known law names and aliases, longest first, for exact name boundaries."""
    names = set()
    for e in load("known_laws")["laws"]:
        names.add(e["name"])
        names.update(e.get("aliases", []))
    return sorted(names, key=lambda s: (-len(s), s))


@lru_cache(maxsize=1)
def _known_law_index() -> tuple[int, dict[str, list[str]]]:
    """Case-folded known names (longest first) by their first ``k`` characters, so a
    mention is compared only with names that can be its prefix."""
    folded = [name.casefold() for name in _known_law_names()]
    k = min(6, *map(len, folded))
    index: dict[str, list[str]] = {}
    for n in folded:
        index.setdefault(n[:k], []).append(n)
    return k, index


def _known_name_at(text: str, pos: int) -> str | None:
    """A known law name starting at ``pos`` (case-insensitive), as written."""
    window = text[pos:pos + 120]
    folded = window.casefold()
    k, index = _known_law_index()
    for n in index.get(folded[:k], ()):
        if folded.startswith(n) and not window[len(n):len(n) + 1].isalnum():
            return window[:len(n)]
    return None


def find_named_instruments(text: str, numbered: list, metadata=None) -> list:
    """Named instruments in ``text``, skipping those inside a numbered citation
    ("Luật Tổ chức chính quyền địa phương số 72/2025/QH15" is numbered).
    """
    from .citations import Citation

    taken = sorted((c.start, c.end) for c in numbered)
    starts = [a for a, _ in taken]

    def overlaps(s: int, e: int) -> bool:
        i = bisect.bisect_left(starts, e) - 1  # spans starting before e; they barely overlap
        return any(taken[j][1] > s for j in range(max(0, i - 2), i + 1))
    title = _fold(getattr(metadata, "title", None) or "")
    out = []
    last = 0
    for hint in _TRIGGER_HINT_RE.finditer(text):
        if hint.start() < last:
            continue
        m = NAMED_RE.match(text, hint.start())
        if m is None:
            continue
        last = m.end()
        t = m.group("type")
        s = m.start()
        if overlaps(s, s + 1):
            continue
        name = year = None
        end = m.end()
        if t == "Hiến pháp":
            c = _CONSTITUTION_RE.match(text, m.end())
            name, end = "Hiến pháp", c.end()
            year = int(c.group("year")) if c.group("year") else None
        elif t in ("Luật", "Bộ luật", "Pháp lệnh"):
            known = _known_name_at(text, s)
            if known is not None:
                name, end = known, s + len(known)
                ym = _KNOWN_NAME_YEAR_RE.match(text[end:end + 10])
                if ym:
                    year, end = int(ym.group("y")), end + ym.end()
            else:
                lm = _LAW_NAME_RE.match(text, m.end())
                if lm is None:
                    continue
                name = f"{t} {lm.group('name')}"
                if name in _NOT_LAW_NAMES or _AMENDING.match(name):
                    continue
                year = int(lm.group("year")) if lm.group("year") else None
                end = lm.end()
            # "Luật … số 72/2025/QH15" is the numbered citation's.
            if _NUMBER_FOLLOWS_RE.match(text[end:end + 16]):
                continue
        elif t == "Nghị quyết":
            cm = _CONGRESS_RE.match(text, m.end())
            if cm is None:
                continue
            name = f"Nghị quyết {cm.group('name')}"
            end = cm.end()
        else:  # Chương trình, Kế hoạch, Đề án, Chiến lược
            if _SELF_LEAD_RE.search(text, max(0, s - 40), s):
                continue
            pm = _PROGRAMME_RE.match(text, m.end())
            if pm is None and t in ("Chương trình", "Đề án", "Chiến lược"):
                pm = _NATIONAL_PROGRAMME_RE.match(text, m.end())
            if pm is None:
                continue
            name = f"{t} {pm.group('name')}"
            end = pm.end()
            if title and (_fold(pm.group("name")) in title or title in _fold(name)):
                continue  # the plan itself
            ym = _YEAR_IN_NAME.search(pm.group("name"))
            year = int(ym.group("y")) if ym else None
        if overlaps(s, end):
            continue
        name = _SPACES.sub(" ", name).strip()
        out.append(Citation(s, end, text[s:end], type=t, number=None, year=year, symbol=None, grammar="named",
                            name=name))
    return out


def _fold(s: str) -> str:
    return _SPACES.sub(" ", s).strip().casefold()
