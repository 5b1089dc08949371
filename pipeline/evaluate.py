"""Score pipeline output (the Parquet tables under OUT) against gold annotations.

Gold files follow ``data/gold/SPEC.md``: one JSON file per source document. Scoring is
split into pure functions over plain dicts (``score_metadata``, ``score_sections``,
``score_citations``, ``score_deadlines``, ``score_assignments``, ``score_document``) and a
loader (``load_gold``, ``load_output``, ``evaluate``), so tests and benchmarks can call the
scorers on hand-made rows. How every figure is computed, including what "lenient" means,
is written down in ``docs/evaluation.md``; keep the two in step.

Counts are micro-averaged: true/false positives and negatives (or correct/total for
accuracies) are summed over documents before the ratios are taken.

>>> gold = {"source": "x.txt", "metadata": {"province": "Lai Châu"},
...         "assignments": [{"unit": "UBND tỉnh", "role": "lead"}]}
>>> pred = {"documents": [{"province": "Lai Châu"}],
...         "assignments": [{"unit": "Ủy ban nhân dân tỉnh", "role": "lead"}]}
>>> s = score_document(gold, pred)
>>> s.metrics["metadata"]["province"].accuracy, s.metrics["assignments"]["unit+role"].f1
(1.0, 1.0)
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, Sequence

import regex

# ---------------------------------------------------------------------------------------------
# Normalisation of names for lenient comparison
# ---------------------------------------------------------------------------------------------

_DASHES = regex.compile(r"[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFE58\uFE63\uFF0D]")
_SPACES = regex.compile(r"\s+")
_SPACED_DASH = regex.compile(r"\s*-\s*")
_EDGE_PUNCT = regex.compile(r"^[\s\p{P}--[\[(]]+|[\s\p{P}--[\])]]+$", flags=regex.V1)
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "Ð": "Đ", "\u00a0": " "})
# In NFD a tone mark follows its vowel. The "new" style puts the tone of the open
# syllables oa/oe/uy on the second vowel ("hoá", "thuỷ"); government style puts it on the
# first ("hóa", "thủy"). Only word-final clusters differ ("hoàng", "toán" agree in both
# styles) and "qu" + y is not the uy cluster ("quý" is spelt the same in both).
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_NEW_TONE = regex.compile(rf"(?<![qQ])([oOuU])([aAeEyY])([{_TONE_MARKS}])(?!\w)")

# Abbreviations expanded when comparing unit names (whole words of the case-folded text,
# longest first, a following "." absorbed: "TP." = "TP" = "Thành phố"). "Việt Nam"/"VN"
# after "Mặt trận Tổ quốc" is dropped, so "MTTQ", "MTTQVN" and "Mặt trận Tổ quốc Việt Nam"
# all compare equal.
UNIT_ABBREVIATIONS: dict[str, str] = {
    "ubmttqvn": "ủy ban mặt trận tổ quốc",
    "ubmttq": "ủy ban mặt trận tổ quốc",
    "mttqvn": "mặt trận tổ quốc",
    "mttq": "mặt trận tổ quốc",
    "ubnd": "ủy ban nhân dân",
    "hđnd": "hội đồng nhân dân",
    "kcn": "khu công nghiệp",
    "tp": "thành phố",
}
_ABBREV = regex.compile(r"\b(" + "|".join(sorted(UNIT_ABBREVIATIONS, key=lambda s: (-len(s), s))) + r")\b\.?\s*")
_MTTQ_VN = regex.compile(r"\bmặt trận tổ quốc (?:việt nam|vn)\b")
_LEADING_CAC = regex.compile(r"^các\s+")
_TOKEN = regex.compile(r"\w+")
# Numbers that tell instruments apart: congress ordinals ("lần thứ XIV"), years, terms.
_NUMBER_TOKEN = regex.compile(r"(?<!\w)(?:\d+|[IVXLC]+)(?!\w)")

# Instrument type words: a named instrument that is nothing but its type word ("Nghị
# quyết") is too vague to match a longer name by containment.
_TYPE_WORDS = frozenset({
    "luật", "bộ luật", "hiến pháp", "nghị quyết", "nghị định", "quyết định", "chỉ thị", "kết luận",
    "kế hoạch", "chương trình", "thông tư", "thông báo", "quy chế", "quy định", "công văn", "đề án",
    "pháp lệnh", "hướng dẫn", "chiến lược",
})


def government_tones(s: str) -> str:
    """Move the tone of word-final oa/oe/uy to the first vowel, as government texts do.

    >>> government_tones("hoá thuỷ Uỷ ban khoẻ quý hoàng")
    'hóa thủy Ủy ban khỏe quý hoàng'
    """
    return unicodedata.normalize("NFC", _NEW_TONE.sub(r"\1\3\2", unicodedata.normalize("NFD", s)))


def normalize_name(s: str | None) -> str:
    """The lenient comparison key of a name: NFC, government tone style, Ð -> Đ, every dash
    -> "-" without spaces around it, curly quotes straightened, case folded, whitespace
    collapsed, punctuation at both ends dropped.

    >>> normalize_name("  Phòng Hành chính – Quản trị. ")
    'phòng hành chính-quản trị'
    >>> normalize_name("BỘ CHÍNH TRỊ KHOÁ XI") == normalize_name("Bộ Chính trị khóa XI")
    True
    """
    if s is None:
        return ""
    s = government_tones(unicodedata.normalize("NFC", str(s)).translate(_QUOTES))
    s = _DASHES.sub("-", s)
    s = _SPACES.sub(" ", s).strip()
    s = _SPACED_DASH.sub("-", s)
    s = _EDGE_PUNCT.sub("", s)
    return s.casefold()


def normalize_unit(s: str | None) -> str:
    """``normalize_name`` plus the unit rules: UBND/HĐND/MTTQ/KCN/TP expanded, "Việt Nam" after
    "Mặt trận Tổ quốc" dropped, a leading "Các" dropped.

    >>> normalize_unit("Các cơ quan, đơn vị") == normalize_unit("cơ quan, đơn vị")
    True
    >>> normalize_unit("UBMTTQVN tỉnh") == normalize_unit("Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh")
    True
    >>> normalize_unit("Văn phòng HĐND và UBND")
    'văn phòng hội đồng nhân dân và ủy ban nhân dân'
    """
    s = normalize_name(s)
    s = _ABBREV.sub(lambda m: UNIT_ABBREVIATIONS[m.group(1)] + " ", s)
    s = _MTTQ_VN.sub("mặt trận tổ quốc", _SPACES.sub(" ", s).strip())
    return _LEADING_CAC.sub("", s)


def name_tokens(s: str | None) -> list[str]:
    """Word tokens of a normalised name (punctuation and dashes split words).

    >>> name_tokens("Nghị quyết Đại hội nhiệm kỳ 2025 - 2030")
    ['nghị', 'quyết', 'đại', 'hội', 'nhiệm', 'kỳ', '2025', '2030']
    """
    return _TOKEN.findall(normalize_name(s))


def _contains_seq(long: Sequence[str], short: Sequence[str]) -> bool:
    n = len(short)
    return any(list(long[i:i + n]) == list(short) for i in range(len(long) - n + 1))


def name_similarity(a: str | None, b: str | None) -> float:
    """Lenient name match score in [0, 1]; 0 means "no match". Used for named instruments.

    1.0 when the normalised names are equal; 0.9 when one's token sequence occurs inside
    the other's (the shorter having at least 2 tokens and not being a bare type word such
    as "Nghị quyết"); else the token overlap |A ∩ B| / max(|A|, |B|) when it is ≥ 0.8.
    Whatever the words, the numbers (Arabic, or upper-case Roman like "XIV") of one name
    must all occur in the other: "lần thứ XV" never matches "lần thứ XIV".

    >>> name_similarity("Luật Thực hiện dân chủ ở cơ sở", "luật thực hiện dân chủ ở cơ sở")
    1.0
    >>> name_similarity("Luật Thực hiện dân chủ ở cơ sở năm 2022", "Luật Thực hiện dân chủ ở cơ sở")
    0.9
    >>> name_similarity("Luật Thực hiện dân chủ cơ sở", "Luật Thực hiện dân chủ ở cơ sở")
    0.875
    >>> name_similarity("Nghị quyết", "Nghị quyết Đại hội Đảng bộ tỉnh")
    0.0
    >>> name_similarity("Nghị quyết Đại hội Đảng bộ tỉnh lần thứ XV", "Nghị quyết Đại hội Đảng bộ tỉnh lần thứ XIV")
    0.0
    """
    na, nb = normalize_name(a), normalize_name(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    num_a, num_b = set(_NUMBER_TOKEN.findall(str(a))), set(_NUMBER_TOKEN.findall(str(b)))
    if not (num_a <= num_b or num_b <= num_a):
        return 0.0
    ta, tb = _TOKEN.findall(na), _TOKEN.findall(nb)
    short, long = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if len(short) >= 2 and " ".join(short) not in _TYPE_WORDS and _contains_seq(long, short):
        return 0.9
    sa, sb = set(ta), set(tb)
    overlap = len(sa & sb) / max(len(sa), len(sb))
    return round(overlap, 4) if overlap >= 0.8 else 0.0


# ---------------------------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------------------------


@dataclass
class PRF:
    """Precision / recall / F1 from counts; ``+`` sums counts (micro-averaging).

    >>> s = PRF(tp=3, fp=1, fn=2); (s.precision, s.recall, round(s.f1, 3), s.support)
    (0.75, 0.6, 0.667, 5)
    >>> PRF().f1 is None
    True
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """None when there is nothing to score (no gold and no prediction)."""
        if not (self.tp + self.fp + self.fn):
            return None
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def __add__(self, other: "PRF") -> "PRF":
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def to_dict(self) -> dict:
        return {"kind": "prf", "precision": self.precision, "recall": self.recall, "f1": self.f1,
                "tp": self.tp, "fp": self.fp, "fn": self.fn, "support": self.support}


@dataclass
class Accuracy:
    """Correct / total; ``+`` sums counts.

    >>> Accuracy(2, 3).accuracy == 2 / 3, Accuracy().accuracy
    (True, None)
    """

    correct: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None

    @property
    def support(self) -> int:
        return self.total

    def __add__(self, other: "Accuracy") -> "Accuracy":
        return Accuracy(self.correct + other.correct, self.total + other.total)

    def to_dict(self) -> dict:
        return {"kind": "accuracy", "accuracy": self.accuracy, "correct": self.correct,
                "total": self.total, "support": self.total}


Metric = PRF | Accuracy


@dataclass
class Findings:
    """Scores of one report section for one document, and what went wrong."""

    metrics: dict[str, Metric] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)  # in gold, not predicted
    spurious: list[str] = field(default_factory=list)  # predicted, not in gold
    wrong: list[str] = field(default_factory=list)  # matched, but a field differs
    checks: dict[str, int] = field(default_factory=dict)  # counts that must be 0


# ---------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------


def match_keys(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """One-to-one multiset matching on equal keys, in order of appearance.

    Returns ``(pairs of (gold index, pred index), unmatched gold indices, unmatched pred
    indices)``; a key given twice in gold needs two predictions.

    >>> match_keys(["a", "b", "a"], ["a", "c"])
    ([(0, 0)], [1, 2], [1])
    """
    waiting: dict[Hashable, list[int]] = defaultdict(list)
    for i, k in enumerate(gold):
        waiting[k].append(i)
    pairs, spurious = [], []
    for j, k in enumerate(pred):
        if waiting.get(k):
            pairs.append((waiting[k].pop(0), j))
        else:
            spurious.append(j)
    matched = {g for g, _ in pairs}
    return pairs, [i for i in range(len(gold)) if i not in matched], spurious


def match_scored(gold: Sequence[Any], pred: Sequence[Any], score: Callable[[Any, Any], float]
                 ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """One-to-one matching by a similarity (0 = no match), best-scoring pairs first.

    >>> match_scored(["Luật Đất đai"], ["Hiến pháp", "Luật đất đai năm 2024"], name_similarity)
    ([(0, 1)], [], [0])
    """
    cands = sorted(((s, i, j) for i, g in enumerate(gold) for j, p in enumerate(pred)
                    if (s := score(g, p)) > 0), key=lambda t: (-t[0], t[1], t[2]))
    used_g, used_p, pairs = set(), set(), []
    for _, i, j in cands:
        if i not in used_g and j not in used_p:
            used_g.add(i); used_p.add(j); pairs.append((i, j))
    pairs.sort()
    return (pairs, [i for i in range(len(gold)) if i not in used_g],
            [j for j in range(len(pred)) if j not in used_p])


def _prf(pairs, missed, spurious) -> PRF:
    return PRF(len(pairs), len(spurious), len(missed))


# ---------------------------------------------------------------------------------------------
# Value helpers (rows come from Parquet via pyarrow, or are hand-made in tests)
# ---------------------------------------------------------------------------------------------


def _null(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _scalar(v: Any) -> Any:
    """A comparable plain value: None for nulls, ISO strings for dates, ints for whole floats,
    NFC strings with collapsed whitespace."""
    if _null(v):
        return None
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()[:10]
    if hasattr(v, "isoformat") and hasattr(v, "year"):  # pandas Timestamp
        return v.isoformat()[:10]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        v = _SPACES.sub(" ", unicodedata.normalize("NFC", v)).strip()
        return v or None
    return v


def _short(s: Any, n: int = 70) -> str:
    s = "" if s is None else str(s)
    return s if len(s) <= n else s[: n - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Per-section scorers
# ---------------------------------------------------------------------------------------------

METADATA_FIELDS = ("doc_type", "title", "issuer", "issuer_level", "province", "plan_year",
                   "doc_number", "issue_date", "signer_name", "signer_title")
# Free-text fields also scored leniently (normalize_unit), as "<field>~".
METADATA_LENIENT = ("title", "issuer", "signer_title")


def score_metadata(gold: dict, pred: dict | None) -> Findings:
    """Exact accuracy per metadata field (after NFC and whitespace collapse; dates as ISO),
    plus lenient accuracy (``normalize_unit``) for title, issuer and signer title.

    A gold null is matched only by a predicted null. ``pred`` is the ``documents`` row
    (None when the document has no output, or a ``failed`` row: every field counts as wrong).

    >>> f = score_metadata({"plan_year": 2026, "issuer": "UBND xã A"},
    ...                    {"plan_year": 2026.0, "issuer": "Ủy ban nhân dân xã A"})
    >>> f.metrics["plan_year"].accuracy, f.metrics["issuer"].accuracy, f.metrics["issuer~"].accuracy
    (1.0, 0.0, 1.0)
    """
    out = Findings()
    pred = pred or {}
    present = bool(pred) and pred.get("status") != "failed"
    for name in METADATA_FIELDS:
        g, p = _scalar(gold.get(name)), _scalar(pred.get(name))
        ok = present and g == p
        out.metrics[name] = Accuracy(int(ok), 1)
        if not ok:
            out.wrong.append(f"{name}: gold {g!r}, got {p!r}" if present else f"{name}: gold {g!r}, no output")
    for name in METADATA_LENIENT:
        g, p = gold.get(name), pred.get(name)
        ok = present and normalize_unit(_scalar(g)) == normalize_unit(_scalar(p))
        out.metrics[f"{name}~"] = Accuracy(int(ok), 1)
    return out


_NON_GOLD_TOP = frozenset({"preamble", "closing"})


def _ordinal(v: Any) -> str | None:
    v = _scalar(v)
    return None if v is None else str(v).strip(" .:)").upper() or None


def top_level_sections(rows: Iterable[dict]) -> list[dict]:
    """Predicted sections comparable to gold: level 1 (or no parent), not preamble/closing,
    in text order.

    >>> top_level_sections([{"level": 1, "label": "preamble", "start": 0},
    ...                     {"level": 2, "label": None, "start": 5},
    ...                     {"level": 1, "label": "tasks", "ordinal": "I", "start": 9}])
    [{'level': 1, 'label': 'tasks', 'ordinal': 'I', 'start': 9}]
    """
    top = [r for r in rows
           if (r.get("level") == 1 or (r.get("level") is None and _null(r.get("parent_id"))))
           and r.get("label") not in _NON_GOLD_TOP]
    return sorted(top, key=lambda r: (r.get("start") or 0))


def score_sections(gold: list[dict], pred_rows: list[dict]) -> Findings:
    """P/R/F1 on (ordinal, label) of top-level sections (multiset), and heading accuracy over
    matched pairs (``normalize_name``: case, tones, dashes, whitespace, edge punctuation).

    Ordinals compare upper-cased without a trailing "." (so "I." = "I").

    >>> f = score_sections([{"ordinal": "I", "heading": "MỤC ĐÍCH, YÊU CẦU", "label": "purpose_requirements"},
    ...                     {"ordinal": "II", "heading": "TỔ CHỨC THỰC HIỆN", "label": "implementation"}],
    ...                    [{"level": 1, "ordinal": "I.", "heading": "Mục đích, yêu cầu", "label": "purpose_requirements"},
    ...                     {"level": 1, "ordinal": "II", "heading": "NHIỆM VỤ", "label": "tasks"}])
    >>> f.metrics["sections"].f1, f.metrics["heading"].accuracy
    (0.5, 1.0)
    """
    out = Findings()
    pred = top_level_sections(pred_rows)
    gk = [(_ordinal(s.get("ordinal")), s.get("label")) for s in gold]
    pk = [(_ordinal(s.get("ordinal")), s.get("label")) for s in pred]
    pairs, missed, spurious = match_keys(gk, pk)
    out.metrics["sections"] = _prf(pairs, missed, spurious)
    heading = Accuracy()
    for i, j in pairs:
        ok = normalize_name(gold[i].get("heading")) == normalize_name(pred[j].get("heading"))
        heading += Accuracy(int(ok), 1)
        if not ok:
            out.wrong.append(f"{gk[i][0]} heading: gold {gold[i].get('heading')!r}, got {pred[j].get('heading')!r}")
    out.metrics["heading"] = heading
    out.missed += [f"{gk[i][0] or '-'} {gk[i][1]}: {gold[i].get('heading')}" for i in missed]
    out.spurious += [f"{pk[j][0] or '-'} {pk[j][1]}: {_short(pred[j].get('heading'))}" for j in spurious]
    return out


def citation_key(number: Any, symbol: Any) -> tuple[str, str]:
    """The identity of a numbered instrument: (number, symbol).

    The number loses surrounding punctuation/whitespace (leading zeros are kept: "08" is
    not "8"); the symbol is NFC, Ð -> Đ, dashes -> "-", whitespace removed. Case is kept.

    >>> citation_key(" 23 ", "QĐ/TW"), citation_key("08", "KH – UBND")
    (('23', 'QĐ/TW'), ('08', 'KH-UBND'))
    """
    n = _scalar(number)
    n = "" if n is None else regex.sub(r"^[\s\p{P}]+|[\s\p{P}]+$", "", str(n))
    s = _scalar(symbol)
    s = "" if s is None else _SPACES.sub("", _DASHES.sub("-", str(s).translate(_QUOTES)))
    return n, s


def instruments_from_mentions(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Collapse citation mentions into distinct instruments.

    Numbered mentions group by ``citation_key``; each field takes its first non-null value
    in text order; ``in_footnote_only`` is true when every mention is in a footnote (None
    when no mention says). Named mentions (no number, ``name`` set) dedupe on
    ``normalize_name(name)``. Returns ``(numbered, named)``.

    >>> num, named = instruments_from_mentions([
    ...     {"number": "33", "symbol": "CT-TTg", "issue_date": None, "in_footnote": False, "start": 5},
    ...     {"number": "33", "symbol": "CT-TTg", "issue_date": "2021-11-26", "in_footnote": True, "start": 90},
    ...     {"number": None, "name": "Hiến pháp", "type": "Hiến pháp", "start": 7}])
    >>> [(c["number"], c["date"], c["in_footnote_only"]) for c in num], [n["name"] for n in named]
    ([('33', '2021-11-26', False)], ['Hiến pháp'])
    """
    rows = sorted(rows, key=lambda r: (_scalar(r.get("start")) or 0, _scalar(r.get("citation_id")) or 0))
    numbered: dict[tuple, dict] = {}
    named: dict[str, dict] = {}
    for r in rows:
        if _scalar(r.get("number")) is None:
            name = _scalar(r.get("name"))
            if name is not None and normalize_name(name) not in named:
                named[normalize_name(name)] = {"name": name, "type": _scalar(r.get("type")),
                                               "year": _scalar(r.get("year")), "raw": _scalar(r.get("raw"))}
            continue
        key = citation_key(r.get("number"), r.get("symbol"))
        c = numbered.setdefault(key, {"number": key[0], "symbol": key[1], "year": None, "type": None,
                                      "date": None, "issuer": None, "in_footnote_only": None,
                                      "raw": _scalar(r.get("raw"))})
        for dst, src in (("year", "year"), ("type", "type"), ("date", "issue_date"), ("issuer", "issuer")):
            if c[dst] is None:
                c[dst] = _scalar(r.get(src))
        fn = _scalar(r.get("in_footnote"))
        if fn is not None:
            c["in_footnote_only"] = bool(fn) if c["in_footnote_only"] is None else c["in_footnote_only"] and bool(fn)
    return list(numbered.values()), list(named.values())


# (field, how to compare gold and predicted values)
_CITATION_FIELDS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("date", _scalar),
    ("type", lambda v: normalize_name(_scalar(v)) or None),
    ("issuer", lambda v: normalize_name(_scalar(v)) or None),
    ("year", _scalar),
    ("in_footnote_only", lambda v: None if _null(v) else bool(v)),
)


def score_citations(gold: list[dict], gold_named: list[dict], pred_rows: list[dict]) -> Findings:
    """Numbered instruments: P/R/F1 on ``citation_key`` (mentions deduped per document), and
    over matched pairs the accuracy of date (exact ISO), type and issuer (``normalize_name``),
    year and in_footnote_only. Named instruments: P/R/F1 with ``name_similarity``.

    >>> f = score_citations(
    ...     [{"number": "33", "symbol": "CT-TTg", "date": "2021-11-26", "type": "Chỉ thị",
    ...       "issuer": "Thủ tướng Chính phủ", "year": None, "in_footnote_only": False}],
    ...     [{"name": "Luật Thực hiện dân chủ ở cơ sở"}],
    ...     [{"number": "33", "symbol": "CT-TTg", "issue_date": "2021-11-26", "type": "Chỉ thị",
    ...       "issuer": "THỦ TƯỚNG CHÍNH PHỦ", "in_footnote": False, "start": 1},
    ...      {"number": "12", "symbol": "KH-UBND", "start": 9}])
    >>> m = f.metrics; m["instruments"].precision, m["issuer"].accuracy, m["named"].recall
    (0.5, 1.0, 0.0)
    """
    out = Findings()
    pred, pred_named = instruments_from_mentions(pred_rows)
    gk = [citation_key(c.get("number"), c.get("symbol")) for c in gold]
    pk = [(c["number"], c["symbol"]) for c in pred]
    pairs, missed, spurious = match_keys(gk, pk)
    out.metrics["instruments"] = _prf(pairs, missed, spurious)
    accs = {name: Accuracy() for name, _ in _CITATION_FIELDS}
    for i, j in pairs:
        for name, conv in _CITATION_FIELDS:
            gv = gold[i].get(name)
            ok = conv(gv) == conv(pred[j].get(name))
            accs[name] += Accuracy(int(ok), 1)
            if not ok:
                out.wrong.append(f"{'/'.join(gk[i])} {name}: gold {_scalar(gv)!r}, got {pred[j].get(name)!r}")
    out.metrics.update(accs)
    out.missed += [f"{n}/{s} ({gold[i].get('type')}, {gold[i].get('date')})" for i, (n, s) in
                   ((i, gk[i]) for i in missed)]
    out.spurious += [f"{pk[j][0]}/{pk[j][1]} «{_short(pred[j].get('raw'), 60)}»" for j in spurious]

    gnames = [g.get("name") for g in gold_named]
    pnames = [p["name"] for p in pred_named]
    npairs, nmissed, nspurious = match_scored(gnames, pnames, name_similarity)
    out.metrics["named"] = _prf(npairs, nmissed, nspurious)
    out.missed += [f"named: {gnames[i]}" for i in nmissed]
    out.spurious += [f"named: {pnames[j]}" for j in nspurious]
    return out


DEADLINE_KINDS = ("absolute", "period", "recurring", "continuous", "vague")
_ISO_DATE = regex.compile(r"^\d{4}-\d{2}-\d{2}$")


def deadline_key(kind: Any, value: Any, date: Any = None) -> tuple[str, str]:
    """(kind, value) of a deadline, for matching. Kind is lower-cased; an absolute deadline
    with no value takes its ``date``; a recurring value's comma list is sorted (order does
    not matter); other values compare after trimming and case folding.

    >>> deadline_key("absolute", None, "2026-06-01"), deadline_key("recurring", "quarterly, monthly")
    (('absolute', '2026-06-01'), ('recurring', 'monthly,quarterly'))
    """
    k = (_scalar(kind) or "").lower()
    v = _scalar(value)
    if v is None and k == "absolute":
        v = _scalar(date)
    v = "" if v is None else str(v).strip().casefold()
    if k == "recurring":
        v = ",".join(sorted(p.strip() for p in v.split(",") if p.strip()))
    return k, v


def _deadline_date(row: dict) -> str | None:
    d = _scalar(row.get("date"))
    if d is None:
        v = _scalar(row.get("value"))
        d = v if isinstance(v, str) and _ISO_DATE.match(v) else None
    return d


def score_deadlines(gold: list[dict], pred_rows: list[dict], cited_dates: Iterable[str] = ()) -> Findings:
    """P/R/F1 on (kind, value) multisets: all kinds, absolute+period together, and each of
    recurring / continuous / vague. ``cited_dates`` are the issue dates of the instruments
    the document cites; the check ``issue_dates_as_deadlines`` counts predicted deadlines
    whose date equals one of them.

    >>> f = score_deadlines([{"kind": "absolute", "value": "2026-06-01"}, {"kind": "continuous", "value": "continuous"}],
    ...                     [{"kind": "absolute", "value": "2026-06-01", "date": "2026-06-01"},
    ...                      {"kind": "absolute", "value": "2021-11-26", "date": "2021-11-26"}],
    ...                     cited_dates=["2021-11-26"])
    >>> f.metrics["absolute+period"].precision, f.metrics["continuous"].recall, f.checks
    (0.5, 0.0, {'issue_dates_as_deadlines': 1})
    """
    out = Findings()
    pred = sorted(pred_rows, key=lambda r: (_scalar(r.get("start")) or 0, _scalar(r.get("deadline_id")) or 0))
    gk = [deadline_key(d.get("kind"), d.get("value"), d.get("date")) for d in gold]
    pk = [deadline_key(d.get("kind"), d.get("value"), d.get("date")) for d in pred]
    pairs, missed, spurious = match_keys(gk, pk)
    out.metrics["all"] = _prf(pairs, missed, spurious)
    for name, kinds in (("absolute+period", ("absolute", "period")), ("recurring", ("recurring",)),
                        ("continuous", ("continuous",)), ("vague", ("vague",))):
        gi = [i for i, k in enumerate(gk) if k[0] in kinds]
        pj = [j for j, k in enumerate(pk) if k[0] in kinds]
        p, m, s = match_keys([gk[i] for i in gi], [pk[j] for j in pj])
        out.metrics[name] = _prf(p, m, s)
    out.missed += [f"{gold[i].get('kind')} {gold[i].get('value')} «{_short(gold[i].get('raw'), 50)}» "
                   f"{_short(gold[i].get('what'), 50)}" for i in missed]
    out.spurious += [f"{pred[j].get('kind')} {_scalar(pred[j].get('value')) or _scalar(pred[j].get('date'))} "
                     f"«{_short(pred[j].get('raw'), 60)}»" for j in spurious]
    cited = {d for d in (_scalar(x) for x in cited_dates) if d}
    bad = [r for r in pred if _deadline_date(r) in cited]
    out.checks["issue_dates_as_deadlines"] = len(bad)
    out.wrong += [f"issue date reported as deadline: {_deadline_date(r)} «{_short(r.get('raw'), 60)}»" for r in bad]
    return out


def score_assignments(gold: list[dict], pred_rows: list[dict]) -> Findings:
    """Units F1 with lenient names (``normalize_unit``): on distinct (unit, role) pairs and on
    distinct units alone.

    >>> f = score_assignments([{"unit": "Phòng Văn hóa – Xã hội", "role": "lead"},
    ...                        {"unit": "Các cơ quan, đơn vị", "role": "support"}],
    ...                       [{"unit": "phòng văn hoá-xã hội", "role": "lead"},
    ...                        {"unit": "Cơ quan, đơn vị", "role": "lead"}])
    >>> f.metrics["unit+role"].f1, f.metrics["unit"].f1
    (0.5, 1.0)
    """
    out = Findings()

    def distinct(rows, key):
        seen: dict[Hashable, dict] = {}
        for r in rows:
            k = key(r)
            if k[0] and k not in seen:
                seen[k] = r
        return list(seen.items())

    def unit_role(r):
        return normalize_unit(_scalar(r.get("unit")) or _scalar(r.get("unit_raw"))), (_scalar(r.get("role")) or "").lower()

    for metric, key in (("unit+role", unit_role), ("unit", lambda r: (unit_role(r)[0],))):
        g, p = distinct(gold, key), distinct(pred_rows, key)
        pairs, missed, spurious = match_keys([k for k, _ in g], [k for k, _ in p])
        out.metrics[metric] = _prf(pairs, missed, spurious)
        if metric == "unit+role":
            out.missed += [f"{g[i][1].get('role')}: {g[i][1].get('unit')}" for i in missed]
            out.spurious += [f"{p[j][1].get('role')}: {p[j][1].get('unit') or p[j][1].get('unit_raw')}"
                             for j in spurious]
    return out


SECTIONS = ("metadata", "sections", "citations", "deadlines", "assignments")


@dataclass
class DocumentScore:
    """The scores of one output document (or a missing one) against one gold file."""

    gold: str  # gold file name
    doc_id: str | None = None
    source_path: str | None = None
    status: str | None = None  # "ok" / "failed" / None when there is no output document
    findings: dict[str, Findings] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, dict[str, Metric]]:
        return {sec: f.metrics for sec, f in self.findings.items()}


def score_document(gold: dict, pred: dict[str, list[dict]] | None, gold_name: str = "") -> DocumentScore:
    """Score one document: ``gold`` is a parsed gold file, ``pred`` maps table names
    (documents, sections, citations, deadlines, assignments) to that document's rows.
    ``pred=None`` means no output document: everything counts as missed.

    >>> s = score_document({"metadata": {}, "citations": [{"number": "1", "symbol": "KH"}]}, None, "g.json")
    >>> s.status, s.metrics["citations"]["instruments"].fn
    (None, 1)
    """
    p = pred or {}
    docs = p.get("documents") or []
    drow = docs[0] if docs else None
    cited = [c.get("date") for c in gold.get("citations") or []]
    score = DocumentScore(gold=gold_name or gold.get("source", ""),
                          doc_id=drow.get("doc_id") if drow else None,
                          source_path=drow.get("source_path") if drow else None,
                          status=drow.get("status") if drow else None)
    score.findings = {
        "metadata": score_metadata(gold.get("metadata") or {}, drow),
        "sections": score_sections(gold.get("sections") or [], p.get("sections") or []),
        "citations": score_citations(gold.get("citations") or [], gold.get("named_instruments") or [],
                                     p.get("citations") or []),
        "deadlines": score_deadlines(gold.get("deadlines") or [], p.get("deadlines") or [], cited),
        "assignments": score_assignments(gold.get("assignments") or [], p.get("assignments") or []),
    }
    return score


def micro_average(scores: Iterable[DocumentScore]) -> tuple[dict[str, dict[str, Metric]], dict[str, int]]:
    """Sum every metric's counts (and every check) over documents.

    >>> a = score_document({"citations": [{"number": "1", "symbol": "KH"}]}, {"citations": [{"number": "1", "symbol": "KH"}]})
    >>> b = score_document({"citations": [{"number": "2", "symbol": "KH"}]}, None)
    >>> micro_average([a, b])[0]["citations"]["instruments"].recall
    0.5
    """
    total: dict[str, dict[str, Metric]] = {}
    checks: dict[str, int] = {}
    for s in scores:
        for sec, f in s.findings.items():
            dst = total.setdefault(sec, {})
            for name, m in f.metrics.items():
                dst[name] = dst[name] + m if name in dst else m
            for name, n in f.checks.items():
                checks[name] = checks.get(name, 0) + n
    return total, checks


# ---------------------------------------------------------------------------------------------
# Loading gold files and output tables
# ---------------------------------------------------------------------------------------------


class EvaluationError(Exception):
    """A usage problem (no gold files, OUT missing, unreadable gold): the CLI exits non-zero."""


def source_stem(path: str | os.PathLike | None) -> str:
    """The matching key of a source: its basename up to the first ".".

    >>> source_stem("/x/000_2c25de43f7d7b53b.scan.pdf"), source_stem("000_2c25de43f7d7b53b.txt")
    ('000_2c25de43f7d7b53b', '000_2c25de43f7d7b53b')
    """
    return os.path.basename(str(path or "")).split(".", 1)[0]


def load_gold(path: str | os.PathLike) -> list[tuple[str, dict]]:
    """Gold files under a directory (``*.json``, sorted), or one gold file, as (name, data).

    Raises ``EvaluationError`` when there are none or one cannot be parsed.
    """
    p = Path(path)
    if p.is_file():
        files = [p]
    elif p.is_dir():
        files = sorted(f for f in p.glob("*.json") if f.is_file())
    else:
        raise EvaluationError(f"gold directory not found: {path}")
    if not files:
        raise EvaluationError(f"no gold files (*.json) in {path}")
    out = []
    for f in files:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise EvaluationError(f"cannot read gold file {f}: {e}") from e
        if not isinstance(data, dict):
            raise EvaluationError(f"gold file {f} is not a JSON object")
        out.append((f.name, data))
    return out


TABLES = ("documents", "sections", "citations", "deadlines", "assignments")


def read_table(out_dir: str | os.PathLike, table: str) -> list[dict]:
    """Rows of ``OUT/<table>`` (plain or hive-partitioned Parquet) as dicts; [] when the table
    is missing or empty."""
    import pyarrow.dataset as ds

    import pyarrow as pa

    d = Path(out_dir) / table
    if not d.exists():
        return []
    try:
        dataset = ds.dataset(d, format="parquet", partitioning="hive")
        # Files from runs with different schema versions: read them all with the union schema
        # (otherwise the first file's schema silently drops newer columns).
        schemas = [f.physical_schema for f in dataset.get_fragments()]
        if any(not s.equals(schemas[0]) for s in schemas[1:]):
            union = pa.unify_schemas([dataset.schema, *schemas], promote_options="permissive")
            dataset = ds.dataset(d, format="parquet", partitioning="hive", schema=union)
        return dataset.to_table().to_pylist()
    except (OSError, ValueError) as e:  # pyarrow raises ArrowInvalid (a ValueError) on a broken file
        raise EvaluationError(f"cannot read table {d}: {e}") from e


def load_output(out_dir: str | os.PathLike) -> dict[str, dict[str, list[dict]]]:
    """The output tables under OUT grouped per document: ``{doc_id: {table: rows}}``.
    Every document in the ``documents`` table appears, even with no other rows.

    Raises ``EvaluationError`` when OUT does not exist.
    """
    if not Path(out_dir).is_dir():
        raise EvaluationError(f"output directory not found: {out_dir} (run `vnplan run INPUT --out {out_dir}` first)")
    per_doc: dict[str, dict[str, list[dict]]] = {}
    for row in read_table(out_dir, "documents"):
        per_doc.setdefault(row.get("doc_id"), {t: [] for t in TABLES})["documents"].append(row)
    for table in TABLES[1:]:
        for row in read_table(out_dir, table):
            if row.get("doc_id") in per_doc:
                per_doc[row["doc_id"]][table].append(row)
    return per_doc


@dataclass
class Report:
    """Everything ``vnplan evaluate`` prints or writes."""

    gold_dir: str
    out_dir: str
    documents: list[DocumentScore]
    without_output: list[str]  # gold files no output document matched
    shared_gold: dict[str, list[str]]  # gold file -> source paths, when several outputs match it
    totals: dict[str, dict[str, Metric]]
    checks: dict[str, int]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-ready dict: totals, checks, and per-document scores and findings."""
        def metrics(ms):
            return {sec: {name: m.to_dict() for name, m in fields.items()} for sec, fields in ms.items()}
        return {
            "gold": self.gold_dir, "out": self.out_dir,
            "n_gold": len({d.gold for d in self.documents}), "n_scored": len(self.documents),
            "without_output": self.without_output, "shared_gold": self.shared_gold, "notes": self.notes,
            "scores": metrics(self.totals), "checks": self.checks,
            "documents": [{
                "gold": d.gold, "doc_id": d.doc_id, "source_path": d.source_path, "status": d.status,
                "scores": metrics(d.metrics),
                "checks": {k: v for f in d.findings.values() for k, v in f.checks.items()},
                "missed": {s: f.missed for s, f in d.findings.items()},
                "spurious": {s: f.spurious for s, f in d.findings.items()},
                "wrong": {s: f.wrong for s, f in d.findings.items()},
            } for d in self.documents],
        }


def evaluate(gold_dir: str | os.PathLike, out_dir: str | os.PathLike) -> Report:
    """Score every gold file against the matching output documents under ``out_dir``.

    Output documents match a gold file when ``source_stem`` of their ``source_path`` equals
    that of the gold file's ``source`` (or of the gold file name): ``000_x.txt``,
    ``000_x.pdf`` and ``000_x.scan.pdf`` all match ``000_x.json``. Each matching output
    document is scored separately; a gold file with none is scored as all missed.
    """
    gold = load_gold(gold_dir)
    outputs = load_output(out_dir)
    by_stem: dict[str, list[str]] = defaultdict(list)
    for doc_id, tables in outputs.items():
        by_stem[source_stem(tables["documents"][0].get("source_path"))].append(doc_id)
    scores, without, shared, notes = [], [], {}, []
    if not outputs:
        notes.append(f"no documents table under {out_dir}: every gold document counts as missed")
    for name, g in gold:
        stem = source_stem(g.get("source") or name)
        ids = sorted(by_stem.get(stem, []), key=lambda i: str(outputs[i]["documents"][0].get("source_path")))
        if not ids:
            without.append(name)
            scores.append(score_document(g, None, name))
            continue
        if len(ids) > 1:
            shared[name] = [outputs[i]["documents"][0].get("source_path") for i in ids]
        for doc_id in ids:
            scores.append(score_document(g, outputs[doc_id], name))
    totals, checks = micro_average(scores)
    return Report(str(gold_dir), str(out_dir), scores, without, shared, totals, checks, notes)


# ---------------------------------------------------------------------------------------------
# Text report
# ---------------------------------------------------------------------------------------------


def _fmt(v: float | None) -> str:
    return "    -" if v is None else f"{v:5.3f}"


def format_metrics(metrics: dict[str, dict[str, Metric]], only: Sequence[str] = SECTIONS, indent: str = "") -> list[str]:
    """Lines of the score table: section, field, P, R, F1, accuracy, support.

    >>> print("\\n".join(format_metrics({"citations": {"instruments": PRF(1, 1, 0)}})))
    section      field                  P      R     F1    acc  support
    citations    instruments        0.500  1.000  0.667      -        1
    """
    lines = [f"{indent}{'section':<12} {'field':<18} {'P':>5}  {'R':>5}  {'F1':>5}  {'acc':>5}  {'support':>7}"]
    for sec in SECTIONS:
        if sec not in only or sec not in metrics:
            continue
        for name, m in metrics[sec].items():
            if isinstance(m, PRF):
                cells = f"{_fmt(m.precision)}  {_fmt(m.recall)}  {_fmt(m.f1)}  {_fmt(None)}"
            else:
                cells = f"{_fmt(None)}  {_fmt(None)}  {_fmt(None)}  {_fmt(m.accuracy)}"
            lines.append(f"{indent}{sec:<12} {name:<18} {cells}  {m.support:>7}")
    return lines


def format_report(report: Report, only: Sequence[str] = SECTIONS, verbose: bool = False,
                  max_items: int = 40) -> str:
    """The human-readable report: totals table, checks, then per document what was missed,
    spurious or wrong (at most ``max_items`` per list unless ``verbose``)."""
    n_gold = len({d.gold for d in report.documents})
    lines = [f"vnplan evaluate: {n_gold} gold documents, {len(report.documents)} scored, "
             f"{len(report.without_output)} without output (gold {report.gold_dir}, out {report.out_dir})"]
    lines += [f"note: {n}" for n in report.notes]
    for g, paths in report.shared_gold.items():
        lines.append(f"note: {g} matches {len(paths)} output documents, scored separately: {', '.join(map(str, paths))}")
    if report.without_output:
        lines.append("gold documents with no output (all missed): " + ", ".join(report.without_output))
    lines += ["", "micro-averaged over documents:"] + format_metrics(report.totals, only)
    if "deadlines" in only and report.checks:
        lines.append("")
        lines += [f"check {k}: {v}" + ("" if v == 0 else "   <- must be 0") for k, v in report.checks.items()]
    for d in report.documents:
        where = d.source_path or "no output document"
        lines += ["", f"== {d.gold} <- {where}" + (f" [{d.status}]" if d.status not in (None, "ok") else "")]
        if verbose:
            lines += format_metrics(d.metrics, only, indent="   ")
        for sec in SECTIONS:
            f = d.findings.get(sec)
            if sec not in only or f is None:
                continue
            for what, items in (("missed", f.missed), ("spurious", f.spurious), ("wrong", f.wrong)):
                if not items:
                    continue
                shown = items if verbose else items[:max_items]
                lines.append(f"  {sec} {what} ({len(items)}):")
                lines += [f"    - {x}" for x in shown]
                if len(shown) < len(items):
                    lines.append(f"    ... {len(items) - len(shown)} more (--verbose shows all)")
    return "\n".join(lines)
