"""`vnplan evaluate`: matching rules, scores, loader, CLI, and one end-to-end run."""

from __future__ import annotations

import datetime as dt
import doctest
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings, strategies as st

import pipeline.evaluate as ev
from pipeline.cli import main as cli_main
from pipeline.evaluate import (
    PRF, Accuracy, citation_key, deadline_key, evaluate, government_tones, instruments_from_mentions,
    load_gold, micro_average, name_similarity, normalize_name, normalize_unit, score_assignments,
    score_citations, score_deadlines, score_document, score_metadata, score_sections, source_stem,
)
from pipeline.write import write_table_file

REPO = Path(__file__).resolve().parents[1]


def test_doctests():
    res = doctest.testmod(ev)
    assert res.attempted > 20 and res.failed == 0


# ----------------------------------------------------------------------------------- names


@pytest.mark.parametrize("new, old", [
    ("hoá", "hóa"), ("Hoà bình", "Hòa bình"), ("thuỷ", "thủy"), ("Uỷ ban", "Ủy ban"), ("UỶ BAN", "ỦY BAN"),
    ("khoẻ", "khỏe"), ("KHOÁ XI", "KHÓA XI"), ("hoạ", "họa"),
    # unchanged: already government style, closed syllables, qu+y, ư/ê clusters
    ("hóa", "hóa"), ("hoàng", "hoàng"), ("toán", "toán"), ("quý", "quý"), ("Quỳnh", "Quỳnh"),
    ("thuế", "thuế"), ("mưa", "mưa"), ("hoặc", "hoặc"), ("khuỷu", "khuỷu"), ("tuỵ", "tụy"), ("khuya", "khuya"), ("của", "của"),
])
def test_government_tones(new, old):
    assert government_tones(new) == old


@pytest.mark.parametrize("a, b", [
    ("Phòng Văn hóa - Xã hội", "Phòng Văn hoá – Xã hội"),
    ("Phòng Văn hóa - Xã hội", "phòng văn hóa-xã hội"),
    ("Phòng Hành chính – Quản trị", "Phòng Hành chính — Quản trị"),
    ("UBND cấp xã", "Ủy ban nhân dân cấp xã"),
    ("UBND cấp xã", "Uỷ ban nhân dân cấp xã"),
    ("Văn phòng HĐND và UBND", "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân"),
    ("UBMTTQVN và tổ chức chính trị - xã hội các cấp", "Ủy ban Mặt trận Tổ quốc Việt Nam và tổ chức chính trị-xã hội các cấp"),
    ("Ủy ban MTTQ tỉnh", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"),
    ("UBMTTQ tỉnh", "Ủy ban Mặt trận Tổ quốc tỉnh"),
    ("Các cơ quan, đơn vị", "cơ quan, đơn vị"),
    ("Các sở, ban, ngành", "CÁC SỞ, BAN, NGÀNH"),
    ("Ban Quản lý các KCN tỉnh", "Ban Quản lý các khu công nghiệp tỉnh"),
    ("UBND TP. Hồ Chí Minh", "Ủy ban nhân dân Thành phố Hồ Chí Minh"),
    ("UBND TP.Hồ Chí Minh", "UBND TP Hồ Chí Minh"),
    ("Ủy ban MTTQ VN xã", "UBMTTQ xã"),
    ("Sở Nội vụ", "  Sở  Nội vụ; "),
    ("Sở Nội vụ", "- Sở Nội vụ"),
    ("Ðoàn Thanh niên", "Đoàn Thanh niên"),  # U+00D0 eth
])
def test_units_equal_leniently(a, b):
    assert normalize_unit(a) == normalize_unit(b)


@pytest.mark.parametrize("a, b", [
    ("Sở Nội vụ", "Sở Tư pháp"),
    ("Sở Nội vụ", "Sở Nội vụ tỉnh"),  # no containment for units: a different name is a different unit
    ("UBND tỉnh", "UBND xã"),
    ("Các cơ quan, đơn vị", "Các cơ quan, đơn vị, địa phương"),
    ("Thủ trưởng các cơ quan, đơn vị", "Các cơ quan, đơn vị"),  # only a *leading* "Các" goes
    ("Văn phòng UBND tỉnh", "Văn phòng HĐND tỉnh"),
])
def test_units_differ(a, b):
    assert normalize_unit(a) != normalize_unit(b)


@pytest.mark.parametrize("gold, pred, expected", [
    ("Hiến pháp", "Hiến pháp", 1.0),
    ("Luật Thực hiện dân chủ ở cơ sở", "LUẬT THỰC HIỆN DÂN CHỦ Ở CƠ SỞ", 1.0),
    ("Luật Thực hiện dân chủ ở cơ sở", "Luật Thực hiện dân chủ ở cơ sở năm 2022", 0.9),  # containment
    ("Nghị quyết Đại hội Đảng các cấp nhiệm kỳ 2025 - 2030", "Nghị quyết Đại hội Đảng các cấp nhiệm kỳ 2025-2030", 1.0),
    ("Luật Thực hiện dân chủ cơ sở", "Luật Thực hiện dân chủ ở cơ sở", 0.875),  # overlap 7/8
    # the same congress resolution worded two ways: token sets overlap 10/12
    ("Nghị quyết Đại hội Đảng toàn quốc lần thứ XIV", "Nghị quyết Đại hội Đại biểu toàn quốc lần thứ XIV của Đảng", 0.8333),
    ("Nghị quyết Đại hội Đảng bộ tỉnh Lai Châu lần thứ XV", "Nghị quyết Đại hội Đảng bộ tỉnh Lai Châu lần thứ XIV", 0.0),
    ("Nghị quyết Đại hội Đảng bộ tỉnh Quảng Trị", "Nghị quyết", 0.0),  # bare type word never contains-matches
    ("Nghị quyết Đại hội Đảng bộ tỉnh lần thứ I", "Nghị quyết Đại hội Đảng bộ tỉnh lần thứ I, nhiệm kỳ 2025-2030", 0.9),
    ("Chương trình tổng thể cải cách hành chính giai đoạn 2021-2030",
     "Chương trình tổng thể cải cách hành chính giai đoạn 2011-2020", 0.0),
    ("Hiến pháp", "Luật Đất đai", 0.0),
    ("Hiến pháp", None, 0.0),
])
def test_name_similarity(gold, pred, expected):
    assert name_similarity(gold, pred) == expected
    assert name_similarity(pred, gold) == expected


_viet = st.text(alphabet="aăâeêioôơuưyđAĐOUY áàảãạóòỏõọúùủũụýỳỷỹỵ -–—,.;()\"“”0123456789QqHhKkTt\u0301\u0300",
                max_size=40)


@settings(max_examples=200, deadline=None)
@given(_viet, _viet)
def test_name_rules_never_crash_and_are_consistent(a, b):
    assert normalize_name(normalize_name(a)) == normalize_name(a)
    assert normalize_unit(normalize_unit(a)) == normalize_unit(a)
    s = name_similarity(a, b)
    assert 0.0 <= s <= 1.0 and s == name_similarity(b, a)
    if normalize_name(a):
        assert name_similarity(a, a) == 1.0


# ------------------------------------------------------------------------------- keys


@pytest.mark.parametrize("number, symbol, key", [
    ("33", "CT-TTg", ("33", "CT-TTg")),
    ("08", "KH-UBND", ("08", "KH-UBND")),  # leading zero kept
    (" 23.", "QĐ/TW", ("23", "QĐ/TW")),
    ("635", "KH- UBND", ("635", "KH-UBND")),  # line-break residue
    ("635", "KH–UBND", ("635", "KH-UBND")),
    ("12", "QÐ-UBND", ("12", "QĐ-UBND")),  # U+00D0
    ("12", None, ("12", "")),
])
def test_citation_key(number, symbol, key):
    assert citation_key(number, symbol) == key


def test_citation_key_keeps_distinct_instruments_apart():
    assert citation_key("8", "KH-UBND") != citation_key("08", "KH-UBND")
    assert citation_key("23", "QĐ/TW") != citation_key("23", "QĐ-TW")


@pytest.mark.parametrize("kind, value, date, key", [
    ("absolute", "2026-06-01", None, ("absolute", "2026-06-01")),
    ("absolute", None, dt.date(2026, 6, 1), ("absolute", "2026-06-01")),
    ("Period", "2026-Q3/2026-Q4", None, ("period", "2026-q3/2026-q4")),
    ("recurring", "quarterly,monthly", None, ("recurring", "monthly,quarterly")),
    ("recurring", "quarterly:day10-last-month", None, ("recurring", "quarterly:day10-last-month")),
    ("continuous", "continuous", None, ("continuous", "continuous")),
])
def test_deadline_key(kind, value, date, key):
    assert deadline_key(kind, value, date) == key


@pytest.mark.parametrize("path, stem", [
    ("data/samples/000_2c25de43f7d7b53b.txt", "000_2c25de43f7d7b53b"),
    ("/x/y/000_2c25de43f7d7b53b.pdf", "000_2c25de43f7d7b53b"),
    ("000_2c25de43f7d7b53b.scan.pdf", "000_2c25de43f7d7b53b"),
    ("000_2c25de43f7d7b53b.json", "000_2c25de43f7d7b53b"),
])
def test_source_stem(path, stem):
    assert source_stem(path) == stem


# ------------------------------------------------------------------------------- scorers


def test_metadata_exact_and_lenient():
    gold = {"doc_type": "Kế hoạch", "title": "Thực hiện công tác dân vận năm 2026", "issuer": "UBND xã Vĩnh Thủy",
            "issuer_level": "commune", "province": "Quảng Trị", "plan_year": 2026, "doc_number": None,
            "issue_date": "2026-02-10", "signer_name": "Thái Nam Sơn", "signer_title": "CHỦ TỊCH"}
    pred = dict(gold, issuer="Ủy ban nhân dân xã Vĩnh Thủy", plan_year=2026.0, issue_date=dt.date(2026, 2, 10),
                title="Thực hiện công tác  dân vận\nnăm 2026", signer_title="Chủ tịch", doc_number="/KH-UBND")
    m = score_metadata(gold, pred).metrics
    acc = {k: v.accuracy for k, v in m.items()}
    assert acc == {"doc_type": 1.0, "title": 1.0, "issuer": 0.0, "issuer_level": 1.0, "province": 1.0,
                   "plan_year": 1.0, "doc_number": 0.0, "issue_date": 1.0, "signer_name": 1.0,
                   "signer_title": 0.0, "title~": 1.0, "issuer~": 1.0, "signer_title~": 1.0}


def test_metadata_without_output_is_all_wrong_even_for_null_gold():
    for pred in (None, {"doc_id": "d", "status": "failed", "doc_number": None}):
        f = score_metadata({"doc_number": None}, pred)
        assert all(m.correct == 0 and m.total == 1 for m in f.metrics.values())
        assert any("no output" in w for w in f.wrong)


GOLD_SECTIONS = [
    {"ordinal": "I", "heading": "MỤC ĐÍCH, YÊU CẦU", "label": "purpose_requirements"},
    {"ordinal": "II", "heading": "NHIỆM VỤ VÀ GIẢI PHÁP", "label": "tasks"},
    {"ordinal": "III", "heading": "TỔ CHỨC THỰC HIỆN", "label": "implementation"},
    {"ordinal": None, "heading": "PHỤ LỤC", "label": "appendix"},
]


@pytest.mark.parametrize("pred, tp, fp, fn, heading_ok", [
    # perfect, with preamble/closing and sub-sections that must be ignored
    ([{"level": 1, "ordinal": None, "heading": "", "label": "preamble", "start": 0},
      {"level": 1, "ordinal": "I.", "heading": "MỤC ĐÍCH, YÊU CẦU", "label": "purpose_requirements", "start": 10},
      {"level": 2, "ordinal": "1", "heading": "Mục đích", "label": None, "start": 20},
      {"level": 1, "ordinal": "II", "heading": "NHIỆM VỤ VÀ GIẢI PHÁP", "label": "tasks", "start": 30},
      {"level": 1, "ordinal": "III", "heading": "TỔ CHỨC THỰC HIỆN", "label": "implementation", "start": 40},
      {"level": 1, "ordinal": None, "heading": "", "label": "closing", "start": 50},
      {"level": 1, "ordinal": None, "heading": "PHỤ LỤC", "label": "appendix", "start": 60}], 4, 0, 0, 4),
    # wrong label on II, heading with trailing colon still right, appendix missed
    ([{"level": 1, "ordinal": "I", "heading": "MỤC ĐÍCH, YÊU CẦU:", "label": "purpose_requirements"},
      {"level": 1, "ordinal": "II", "heading": "NHIỆM VỤ VÀ GIẢI PHÁP", "label": "targets"},
      {"level": 1, "ordinal": "III", "heading": "TỔ CHỨC", "label": "implementation"}], 2, 1, 2, 1),
    ([], 0, 0, 4, 0),
])
def test_sections(pred, tp, fp, fn, heading_ok):
    f = score_sections(GOLD_SECTIONS, pred)
    s = f.metrics["sections"]
    assert (s.tp, s.fp, s.fn) == (tp, fp, fn)
    assert f.metrics["heading"].correct == heading_ok and f.metrics["heading"].total == tp
    assert len(f.missed) == fn and len(f.spurious) == fp


GOLD_CITES = [
    {"number": "33", "year": None, "symbol": "CT-TTg", "type": "Chỉ thị", "date": "2021-11-26",
     "issuer": "Thủ tướng Chính phủ", "in_footnote_only": False},
    {"number": "23", "year": None, "symbol": "QĐ/TW", "type": "Quyết định", "date": "2021-07-30",
     "issuer": "Bộ Chính trị", "in_footnote_only": True},
    {"number": "59", "year": 2023, "symbol": "NĐ-CP", "type": "Nghị định", "date": "2023-08-14",
     "issuer": "Chính phủ", "in_footnote_only": False},
]
GOLD_NAMED = [{"type": "Luật", "name": "Luật Thực hiện dân chủ ở cơ sở", "year": 2022},
              {"type": "Hiến pháp", "name": "Hiến pháp", "year": None}]


def _mention(number, symbol, start, **kw):
    return dict({"number": number, "symbol": symbol, "start": start, "in_footnote": False}, **kw)


def test_instruments_from_mentions_first_non_null_and_footnote_only():
    rows = [
        _mention("33", "CT-TTg", 500, issue_date=dt.date(2021, 11, 27), in_footnote=True),
        _mention("33", "CT-TTg", 10, issue_date=None, type="Chỉ thị"),
        _mention("33", "CT-TTg", 200, issue_date=dt.date(2021, 11, 26), issuer="Thủ tướng Chính phủ"),
        _mention("23", "QĐ/TW", 900, in_footnote=True),
        _mention("23", "QĐ/TW", 950, in_footnote=True, issue_date=dt.date(2021, 7, 30)),
        {"number": None, "name": "Hiến pháp", "start": 5},
        {"number": None, "name": "HIẾN PHÁP", "start": 50},
    ]
    numbered, named = instruments_from_mentions(rows)
    by = {(c["number"], c["symbol"]): c for c in numbered}
    assert len(numbered) == 2 and len(named) == 1
    assert by["33", "CT-TTg"]["date"] == "2021-11-26"  # first non-null in text order, not in row order
    assert by["33", "CT-TTg"]["in_footnote_only"] is False
    assert by["23", "QĐ/TW"]["in_footnote_only"] is True


def test_citations_scores():
    pred = [
        _mention("33", "CT-TTg", 10, type="Chỉ thị", issue_date=dt.date(2021, 11, 26), issuer="THỦ TƯỚNG CHÍNH PHỦ"),
        _mention("33", "CT-TTg", 400, type="Chỉ thị"),  # a second mention: not a second instrument
        _mention("23", "QĐ/TW", 900, in_footnote=True, type="Quy định", issue_date=dt.date(2021, 7, 30),
                 issuer="Bộ Chính trị"),
        _mention("450", "KH-UBND", 50, type="Kế hoạch"),  # spurious
        {"number": None, "name": "Luật Thực hiện dân chủ ở cơ sở năm 2022", "type": "Luật", "start": 60},
        {"number": None, "name": "Nghị quyết", "type": "Nghị quyết", "start": 70},
    ]
    f = score_citations(GOLD_CITES, GOLD_NAMED, pred)
    m = f.metrics
    assert (m["instruments"].tp, m["instruments"].fp, m["instruments"].fn) == (2, 1, 1)
    assert (m["date"].correct, m["date"].total) == (2, 2)
    assert (m["type"].correct, m["issuer"].correct, m["in_footnote_only"].correct) == (1, 2, 2)
    assert (m["named"].tp, m["named"].fp, m["named"].fn) == (1, 1, 1)
    assert any(s.startswith("450/KH-UBND") for s in f.spurious)
    assert any(s.startswith("59/NĐ-CP") for s in f.missed) and "named: Hiến pháp" in f.missed
    assert any("type" in w and "Quy định" in w for w in f.wrong)


GOLD_DEADLINES = [
    {"kind": "absolute", "value": "2026-06-05", "raw": "Trước ngày 05/6/2026"},
    {"kind": "period", "value": "2026-Q3/2026-Q4", "raw": "Quý III, IV"},
    {"kind": "period", "value": "2026-Q3/2026-Q4", "raw": "Quý III, IV"},
    {"kind": "recurring", "value": "monthly,quarterly", "raw": "hàng tháng, hàng quý"},
    {"kind": "continuous", "value": "continuous", "raw": "Thường xuyên"},
    {"kind": "continuous", "value": "continuous", "raw": "Thường xuyên"},
    {"kind": "vague", "value": "2026-year-end", "raw": "vào dịp cuối năm"},
]


def test_deadlines_multiset_per_kind_and_issue_date_check():
    pred = [
        {"kind": "absolute", "value": "2026-06-05", "date": dt.date(2026, 6, 5), "start": 1},
        {"kind": "period", "value": "2026-Q3/2026-Q4", "start": 2},  # only one of the two
        {"kind": "recurring", "value": "quarterly,monthly", "start": 3},  # order-insensitive
        {"kind": "continuous", "value": "continuous", "start": 4},
        {"kind": "continuous", "value": "continuous", "start": 5},
        {"kind": "continuous", "value": "continuous", "start": 6},  # one too many
        {"kind": "absolute", "value": "2021-11-26", "date": dt.date(2021, 11, 26), "raw": "ngày 26/11/2021"},
    ]
    f = score_deadlines(GOLD_DEADLINES, pred, cited_dates=["2021-11-26", None])
    counts = {k: (m.tp, m.fp, m.fn) for k, m in f.metrics.items()}
    assert counts == {"all": (5, 2, 2), "absolute+period": (2, 1, 1), "recurring": (1, 0, 0),
                      "continuous": (2, 1, 0), "vague": (0, 0, 1)}
    assert f.checks == {"issue_dates_as_deadlines": 1}
    assert any("2021-11-26" in w for w in f.wrong)


def test_assignments_unit_role_and_unit():
    gold = [{"unit": "Sở Nội vụ", "role": "lead"}, {"unit": "Các cơ quan, đơn vị, địa phương", "role": "lead"},
            {"unit": "Các cơ quan, đơn vị, địa phương", "role": "support"},
            {"unit": "UBMTTQVN và tổ chức chính trị - xã hội các cấp", "role": "support"}]
    pred = [{"unit": "Sở Nội vụ", "role": "lead"}, {"unit": "Sở Nội vụ", "role": "lead"},  # duplicate
            {"unit": "Cơ quan, đơn vị, địa phương", "role": "support"},
            {"unit": "Ủy ban Mặt trận Tổ quốc Việt Nam và tổ chức chính trị-xã hội các cấp", "role": "support"},
            {"unit": None, "unit_raw": "Sở Tài chính", "role": "support"}]
    m = score_assignments(gold, pred).metrics
    assert (m["unit+role"].tp, m["unit+role"].fp, m["unit+role"].fn) == (3, 1, 1)
    assert (m["unit"].tp, m["unit"].fp, m["unit"].fn) == (3, 1, 0)


def test_micro_average_sums_counts_not_ratios():
    a = score_document({"citations": GOLD_CITES}, {"citations": [_mention("33", "CT-TTg", 1)]})
    b = score_document({"citations": GOLD_CITES[:1]}, {"citations": [_mention("33", "CT-TTg", 1)]})
    totals, _ = micro_average([a, b])
    inst = totals["citations"]["instruments"]
    assert (inst.tp, inst.fp, inst.fn) == (2, 0, 2) and inst.recall == 0.5  # macro would be 0.667
    assert PRF(1, 0, 0) + PRF(0, 1, 2) == PRF(1, 1, 2) and Accuracy(1, 1) + Accuracy(0, 1) == Accuracy(1, 2)


# ------------------------------------------------------------------------------- loader + CLI

GOLD_DOC = {
    "source": "000_abc.txt",
    "metadata": {"doc_type": "Kế hoạch", "province": "Lai Châu", "plan_year": 2026},
    "sections": GOLD_SECTIONS[:1],
    "citations": GOLD_CITES[:1],
    "named_instruments": [],
    "deadlines": GOLD_DEADLINES[:1],
    "assignments": [{"unit": "Sở Nội vụ", "role": "lead"}],
}


def _write_out(out: Path, docs: list[tuple[str, str]]) -> None:
    """A fake OUT: every (doc_id, source_path) gets a perfect prediction of GOLD_DOC."""
    write_table_file(out, "documents", [{"doc_id": d, "source_path": p, "status": "ok", "doc_type": "Kế hoạch",
                                         "province": "Lai Châu", "plan_year": 2026} for d, p in docs])
    write_table_file(out, "sections", [{"doc_id": d, "section_id": 0, "level": 1, "ordinal": "I",
                                        "heading": "MỤC ĐÍCH, YÊU CẦU", "label": "purpose_requirements"}
                                       for d, _ in docs])
    write_table_file(out, "deadlines", [{"doc_id": d, "kind": "absolute", "value": "2026-06-05",
                                         "date": dt.date(2026, 6, 5)} for d, _ in docs])
    write_table_file(out, "assignments", [{"doc_id": d, "unit": "Sở Nội vụ", "role": "lead"} for d, _ in docs])
    # citations: a hive-partitioned table, as a Dask/duckdb writer may produce
    for d, _ in docs:
        part = out / "citations" / f"doc_id={d}"
        part.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"number": ["33"], "symbol": ["CT-TTg"], "type": ["Chỉ thị"],
                                 "issue_date": [dt.date(2021, 11, 26)], "issuer": ["Thủ tướng Chính phủ"],
                                 "in_footnote": [False], "start": [5]}), part / "part-0.parquet")


@pytest.fixture
def gold_dir(tmp_path):
    g = tmp_path / "gold"
    g.mkdir()
    (g / "000_abc.json").write_text(json.dumps(GOLD_DOC, ensure_ascii=False), encoding="utf-8")
    (g / "001_def.json").write_text(json.dumps(dict(GOLD_DOC, source="001_def.txt")), encoding="utf-8")
    return g


def test_evaluate_matching_several_outputs_and_missing_gold(tmp_path, gold_dir):
    out = tmp_path / "out"
    _write_out(out, [("d1", "in/000_abc.txt"), ("d2", "pdf/000_abc.scan.pdf"), ("d3", "other/zzz.txt")])
    rep = evaluate(gold_dir, out)
    assert [(d.gold, d.doc_id) for d in rep.documents] == [("000_abc.json", "d1"), ("000_abc.json", "d2"),
                                                           ("001_def.json", None)]
    assert rep.without_output == ["001_def.json"]
    assert rep.shared_gold == {"000_abc.json": ["in/000_abc.txt", "pdf/000_abc.scan.pdf"]}
    for d in rep.documents[:2]:  # each matching output is scored on its own, perfectly
        assert d.metrics["citations"]["instruments"].f1 == 1.0
        assert d.metrics["citations"]["date"].accuracy == 1.0
        assert d.metrics["sections"]["sections"].f1 == 1.0
        assert d.metrics["deadlines"]["absolute+period"].f1 == 1.0
        assert d.metrics["metadata"]["province"].accuracy == 1.0
    inst = rep.totals["citations"]["instruments"]
    assert (inst.tp, inst.fp, inst.fn) == (2, 0, 1)  # the gold file without output counts as missed


def test_evaluate_empty_or_missing_tables_are_not_errors(tmp_path, gold_dir):
    out = tmp_path / "out"
    out.mkdir()
    rep = evaluate(gold_dir, out)
    assert rep.without_output == ["000_abc.json", "001_def.json"] and rep.notes
    write_table_file(out, "documents", [{"doc_id": "d1", "source_path": "000_abc.txt", "status": "failed"}])
    rep = evaluate(gold_dir, out)
    assert rep.without_output == ["001_def.json"]
    assert rep.documents[0].status == "failed"
    assert rep.totals["assignments"]["unit"].fn == 2


def test_read_table_unifies_schemas_of_old_and_new_files(tmp_path):
    for d, extra in (("d1", {}), ("d2", {"name": ["Hiến pháp"]})):  # d2 written by a newer schema
        part = tmp_path / "citations" / f"doc_id={d}"
        part.mkdir(parents=True)
        pq.write_table(pa.table({"number": ["33"], "symbol": ["CT-TTg"], **extra}), part / "part-0.parquet")
    rows = sorted(ev.read_table(tmp_path, "citations"), key=lambda r: r["doc_id"])
    assert [(r["doc_id"], r["number"], r.get("name")) for r in rows] == [("d1", "33", None), ("d2", "33", "Hiến pháp")]
    assert ev.read_table(tmp_path, "deadlines") == []


@pytest.mark.parametrize("argv, message", [
    (["--gold", "{tmp}/nogold", "--out", "{tmp}/out"], "gold directory not found"),
    (["--gold", "{tmp}/emptygold", "--out", "{tmp}/out"], "no gold files"),
    (["--gold", "{tmp}/badgold", "--out", "{tmp}/out"], "cannot read gold file"),
    (["--gold", "{tmp}/gold", "--out", "{tmp}/noout"], "output directory not found"),
    (["--gold", "{tmp}/gold", "--out", "{tmp}/out", "--only", "citations,bogus"], "unknown section"),
])
def test_cli_usage_errors(tmp_path, gold_dir, capsys, argv, message):
    (tmp_path / "out").mkdir()
    (tmp_path / "emptygold").mkdir()
    (tmp_path / "badgold").mkdir()
    (tmp_path / "badgold" / "x.json").write_text("{not json", encoding="utf-8")
    rc = cli_main(["evaluate"] + [a.format(tmp=tmp_path) for a in argv])
    assert rc == 2
    assert message in capsys.readouterr().err


def test_load_gold_reads_spec_files():
    gold = load_gold(REPO / "data" / "gold")
    assert [n for n, _ in gold] == ["000_2c25de43f7d7b53b.json", "001_88035d04f5622006.json",
                                    "003_60483f6a6515cc25.json"]
    assert all(source_stem(g["source"]) == source_stem(n) for n, g in gold)


REPORT_FIELDS = {
    "metadata": {"doc_type", "title", "issuer", "issuer_level", "province", "plan_year", "doc_number",
                 "issue_date", "signer_name", "signer_title"},
    "sections": {"sections", "heading"},
    "citations": {"instruments", "date", "type", "issuer", "in_footnote_only", "named"},
    "deadlines": {"absolute+period", "recurring", "continuous", "vague"},
    "assignments": {"unit+role", "unit"},
}


def test_end_to_end_on_samples(tmp_path, capsys):
    """Run the real pipeline on data/samples, then evaluate: every field is reported and every
    gold document is scored (no thresholds: the extractors are still being written)."""
    samples = tmp_path / "samples"
    shutil.copytree(REPO / "data" / "samples", samples)
    out = tmp_path / "out"
    assert cli_main(["run", str(samples), "--out", str(out)]) == 0
    capsys.readouterr()
    js = tmp_path / "scores.json"
    rc = cli_main(["evaluate", "--gold", str(REPO / "data" / "gold"), "--out", str(out), "--json", str(js),
                   "--verbose"])
    text = capsys.readouterr().out
    assert rc == 0
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["n_gold"] == 3 and data["n_scored"] == 3 and data["without_output"] == []
    assert "issue_dates_as_deadlines" in data["checks"]
    for sec, names in REPORT_FIELDS.items():
        assert names <= set(data["scores"][sec]), sec
        for name in names:
            assert data["scores"][sec][name]["support"] >= 0
    assert data["scores"]["citations"]["instruments"]["support"] == 32  # distinct instruments in the gold
    assert data["scores"]["sections"]["sections"]["support"] == 11
    assert data["scores"]["metadata"]["province"]["total"] == 3
    for doc in data["documents"]:
        assert doc["source_path"].endswith(doc["gold"].replace(".json", ".txt"))
        assert set(doc["missed"]) == set(REPORT_FIELDS)
    for sec in REPORT_FIELDS:
        assert f"\n{sec:<12} " in text
    assert text.count("\n== ") == 3

    rc = cli_main(["evaluate", "--gold", str(REPO / "data" / "gold"), "--out", str(out), "--only", "citations"])
    text = capsys.readouterr().out
    assert rc == 0 and "\ncitations " in text and "\nmetadata " not in text and "deadlines" not in text
