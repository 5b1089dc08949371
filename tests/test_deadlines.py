"""Deadline extraction: phrases -> normalised deadlines (with the traps), table cells, year
inference, document-level rules, linking, and "never crashes, offsets valid"."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.deadline_patterns import find_time_expressions, frequencies_in, report_type_before
from extractors.deadline_values import YearContext
from extractors.deadlines import extract_deadlines, find_recipient
from pipeline import process_text

Y2026 = YearContext(plan_year=2026)


def found(text: str, years: YearContext = Y2026, cell: bool = False) -> list[tuple[str, str, str]]:
    return [(e.raw, e.kind, e.value) for e in find_time_expressions(text, years=years, cell=cell)]


# (prose, expected [(raw, kind, value)]) — plan year 2026
PHRASES = [
    # absolute days, with and without year
    ("báo cáo trước ngày 05/6/2026", [("trước ngày 05/6/2026", "absolute", "2026-06-05")]),
    ("báo cáo 6 tháng trước ngày 01/6", [("trước ngày 01/6", "absolute", "2026-06-01")]),
    ("Trước ngày 30/11/2026.", [("Trước ngày 30/11/2026", "absolute", "2026-11-30")]),
    ("gửi chậm nhất ngày 15/7/2026", [("chậm nhất ngày 15/7/2026", "absolute", "2026-07-15")]),
    ("chậm nhất là ngày 20 tháng 12 năm 2026", [("chậm nhất là ngày 20 tháng 12 năm 2026", "absolute", "2026-12-20")]),
    ("hoàn thành trước ngày 15 tháng 3", [("trước ngày 15 tháng 3", "absolute", "2026-03-15")]),
    ("tổ chức vào ngày 26/3/2026", [("vào ngày 26/3/2026", "absolute", "2026-03-26")]),
    ("hạn chót ngày 31.12.2026", [("hạn chót ngày 31.12.2026", "absolute", "2026-12-31")]),
    ("không muộn hơn ngày 30/9", [("không muộn hơn ngày 30/9", "absolute", "2026-09-30")]),
    ("báo cáo năm trước ngày 15/01 năm sau", [("trước ngày 15/01 năm sau", "absolute", "2027-01-15")]),
    ("nộp trước ngày 31/6/2026", [("trước ngày 31/6/2026", "absolute", "2026-06-31")]),  # impossible, kept for audit
    ("hoàn thành trước quý III/2026", [("trước quý III/2026", "absolute", "2026-07-01")]),
    ("thực hiện đến hết năm 2026", [("đến hết năm 2026", "absolute", "2026-12-31")]),
    # periods
    ("hoàn thành trong tháng 12/2025", [("trong tháng 12/2025", "period", "2025-12")]),
    ("đăng ký xây dựng mô hình trong năm 2026", [("trong năm 2026", "period", "2026")]),
    ("tổ chức trong Quý II/2026", [("trong Quý II/2026", "period", "2026-Q2")]),
    ("Dự kiến quý III-IV/2026 tổ chức tập huấn", [("Dự kiến quý III-IV/2026", "period", "2026-Q3/2026-Q4")]),
    ("triển khai trong quý I năm 2026", [("trong quý I năm 2026", "period", "2026-Q1")]),
    ("thực hiện trong 6 tháng đầu năm", [("trong 6 tháng đầu năm", "period", "2026-H1")]),
    ("thực hiện trong 6 tháng cuối năm 2026", [("trong 6 tháng cuối năm 2026", "period", "2026-H2")]),
    ("tổ chức trong tháng 6, 7/2026", [("trong tháng 6, 7/2026", "period", "2026-06/2026-07")]),
    ("từ ngày 01/6 đến ngày 15/6/2026", [("từ ngày 01/6 đến ngày 15/6/2026", "period", "2026-06-01/2026-06-15")]),
    ("từ tháng 3 đến tháng 6/2026", [("từ tháng 3 đến tháng 6/2026", "period", "2026-03/2026-06")]),
    ("Báo cáo giữa kỳ (năm 2030)", [("năm 2030", "period", "2030")]),
    ("Thời gian thực hiện: Quý III/2026", [("Quý III/2026", "period", "2026-Q3")]),
    ("Thời gian thực hiện Chương trình: Từ năm 2025 đến hết năm 2030", [("Từ năm 2025 đến hết năm 2030", "period", "2025/2030")]),
    # recurring
    ("Định kỳ hàng tháng, quý, 6 tháng, năm", [("Định kỳ hàng tháng, quý, 6 tháng, năm", "recurring", "monthly,quarterly,semiannual,annual")]),
    ("kế hoạch công tác cụ thể hàng tháng, hàng quý", [("hàng tháng, hàng quý", "recurring", "monthly,quarterly")]),
    ("báo cáo định kỳ 6 tháng, năm", [("định kỳ 6 tháng, năm", "recurring", "semiannual,annual")]),
    ("Báo cáo quý: Trước ngày 10 của tháng cuối quý.", [("Trước ngày 10 của tháng cuối quý", "recurring", "quarterly:day10-last-month")]),
    ("gửi trước ngày 25 hàng tháng", [("trước ngày 25 hàng tháng", "recurring", "monthly:day25")]),
    ("báo cáo trước ngày 30/12 hằng năm", [("trước ngày 30/12 hằng năm", "recurring", "annual:12-30")]),
    ("gửi trước ngày 05 tháng đầu quý sau", [("trước ngày 05 tháng đầu quý sau", "recurring", "quarterly:day5-next-quarter")]),
    ("Định kỳ hằng năm (trước ngày 15 tháng 12) báo cáo kết quả", [("trước ngày 15 tháng 12", "recurring", "annual:12-15")]),
    ("Hằng năm, Sở Nội vụ tổng hợp báo cáo", [("Hằng năm", "recurring", "annual")]),
    ("báo cáo hằng quý về Sở Nội vụ", [("hằng quý", "recurring", "quarterly")]),
    ("thiết lập chế độ báo cáo nhanh hàng ngày", [("hàng ngày", "recurring", "daily")]),
    # continuous and vague
    ("vũ trang. Thường xuyên tổ chức kiểm tra, thanh tra công vụ", [("Thường xuyên", "continuous", "continuous")]),
    ("- Thường xuyên, liên tục rà soát hồ sơ", [("Thường xuyên, liên tục", "continuous", "continuous")]),
    ("khen thưởng vào dịp cuối năm.", [("vào dịp cuối năm", "vague", "2026-year-end")]),
    ("tiếp công dân định kỳ, đột xuất theo quy định", [("định kỳ, đột xuất theo quy định", "vague", "periodic-and-ad-hoc-per-regulation")]),
    ("báo cáo theo định kỳ và đột xuất theo yêu cầu của Ban Tuyên giáo và Dân vận Tỉnh ủy đảm bảo chất lượng",
     [("theo định kỳ và đột xuất theo yêu cầu của Ban Tuyên giáo và Dân vận Tỉnh ủy", "vague", "periodic-and-ad-hoc-on-request")]),
    ("Thời gian: Khi có yêu cầu", [("Khi có yêu cầu", "vague", "on-request")]),
    # traps: none of these is a deadline
    ("Thực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ", []),
    ("Kế hoạch số 635/KH-UBND ngày 26/01/2025 của UBND tỉnh", []),
    ("Lai Châu, ngày 10 tháng 02 năm 2026", []),
    ("Chương trình tổng thể cải cách hành chính giai đoạn 2021-2030", []),
    ("bầu cử đại biểu HĐND các cấp nhiệm kỳ 2026-2031", []),
    ("Kế hoạch thực hiện công tác dân vận chính quyền năm 2026", []),
    ("phát triển kinh tế - xã hội, tầm nhìn đến năm 2045", []),
    ("phấn đấu đến năm 2030 đạt 100%", []),
    ("người thôi việc trước ngày 01 tháng 01 năm 1995", []),
    ("thương binh được công nhận trước ngày 31/12/1993", []),
    ("số liệu tính đến ngày 31/12/2025", []),
    ("thời gian báo cáo tính từ ngày 15/12 năm trước đến ngày 14 tháng 12", []),
    ("Số lượng đơn vị hành chính trước 01/7/2025", []),
    ("bảo đảm công tác dân vận được triển khai thường xuyên, gắn với nhiệm vụ", []),
    ("tiêu chí đánh giá, xếp loại thi đua, khen thưởng hằng năm đối với tập thể", []),
    ("báo cáo kết quả 6 tháng đầu năm", []),
    ("xây dựng từ 01 - 02 mô hình", []),
    ("kết quả thực hiện năm 2025", []),
    ("Kịp thời biểu dương, khen thưởng", []),
    ("Nghị định có hiệu lực từ ngày 01/7/2026 đến hết ngày 31/12/2026.", []),
    ("dự toán giao từ ngày 19/02/2026 đến trước ngày 01/10/2026 thì thực hiện theo", []),
    ("đã thực hành di sản. Liên tục từ năm 2020 đến nay", []),
    ("Từ năm 2025 đến hết năm 2030, tỉnh phấn đấu", []),
    ("đạt mức phát thải ròng bằng 0 vào năm 2050", []),
]


@pytest.mark.parametrize("text,expected", PHRASES, ids=[p[0][:40] for p in PHRASES])
def test_phrase(text, expected):
    assert found(text) == expected


# table time cells: no cue needed, whole cell for one expression
CELLS = [
    ("Thường xuyên", [("Thường xuyên", "continuous", "continuous")]),
    ("Quý III, IV/2026", [("Quý III, IV/2026", "period", "2026-Q3/2026-Q4")]),
    ("Tháng 6/2026", [("Tháng 6/2026", "period", "2026-06")]),
    ("30/6/2026", [("30/6/2026", "absolute", "2026-06-30")]),
    ("Năm 2026-2027", [("Năm 2026-2027", "period", "2026/2027")]),
    ("2026", [("2026", "period", "2026")]),
    ("Trong năm", [("Trong năm", "period", "2026")]),
    ("Khi có yêu cầu", [("Khi có yêu cầu", "vague", "on-request")]),
    ("Định kỳ hàng tháng, quý, 6 tháng, năm",
     [("Định kỳ hàng tháng, quý, 6 tháng, năm", "recurring", "monthly,quarterly,semiannual,annual")]),
]


@pytest.mark.parametrize("cell,expected", CELLS, ids=[c[0] for c in CELLS])
def test_cell(cell, expected):
    assert found(cell, cell=True) == expected


def test_year_inference_plan_issued_in_december_for_next_year():
    # plan year 2026 from the title, issued 2025-12-20: "15/01" is January 2026
    years = YearContext(plan_year=2026, issue_date=dt.date(2025, 12, 20))
    assert found("hoàn thành trước ngày 15/01", years) == [("trước ngày 15/01", "absolute", "2026-01-15")]
    # no plan year: the first occurrence not long before the issue date
    years = YearContext(issue_date=dt.date(2025, 12, 20))
    assert found("hoàn thành trước ngày 15/01", years)[0][2] == "2026-01-15"
    assert found("hoàn thành trước ngày 30/12", years)[0][2] == "2025-12-30"
    # nothing known: the year stays unknown, not guessed
    assert found("hoàn thành trước ngày 15/01", YearContext())[0][2] == "--01-15"


def test_time_expression_fields():
    e = find_time_expressions("Báo cáo quý: Trước ngày 10 của tháng cuối quý.", years=Y2026)[0]
    assert e.recurrence == "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=10"
    e = find_time_expressions("trong quý III/2026", years=Y2026)[0]
    assert (e.period_start, e.period_end) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    e = find_time_expressions("trước ngày 05/6/2026", years=Y2026)[0]
    assert e.date == dt.date(2026, 6, 5) and e.explicit_year


def test_frequencies_and_report_types():
    assert frequencies_in("Báo cáo ... định kỳ 6 tháng, năm và theo yêu cầu") == ("semiannual", "annual")
    t = "Định kỳ báo cáo kết quả 6 tháng đầu năm trước ngày 01/6, báo cáo năm trước ngày 01/11"
    assert report_type_before(t, 0, t.index("trước ngày 01/6")) == "semiannual"
    assert report_type_before(t, t.index(", báo cáo năm"), t.index("trước ngày 01/11")) == "annual"


def test_recipient():
    t = "Tổng hợp báo cáo trước ngày 05/6 và gửi về Ủy ban nhân dân tỉnh (qua Sở Nội vụ tổng hợp)."
    assert find_recipient(t, 0, len(t), t.index("05/6")) == "Ủy ban nhân dân tỉnh (qua Sở Nội vụ tổng hợp)"
    t = "thực hiện trước ngày 05/6 về công tác dân vận"
    assert find_recipient(t, 0, len(t), t.index("05/6")) is None


# --------------------------------------------------------------------------------------------
# Whole documents (through the real normalize + segment)
# --------------------------------------------------------------------------------------------

PLAN = """KẾ HOẠCH
Triển khai công tác chuyển đổi số năm 2026
Căn cứ Kế hoạch số 512/KH-UBND ngày 20/12/2025 của UBND tỉnh Nghệ An về chuyển đổi số năm 2026; UBND xã Nghi Lộc ban hành Kế hoạch như sau:
I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
- Thường xuyên nâng cao nhận thức của cán bộ về chuyển đổi số.
II. NHIỆM VỤ TRỌNG TÂM
1. Hoàn thành số hóa hồ sơ một cửa trước ngày 15/01 và tổ chức tập huấn trong Quý II/2026.
2. Rà soát dữ liệu dân cư, hoàn thành chậm nhất ngày 30 tháng 9 năm 2026.
III. TỔ CHỨC THỰC HIỆN
1. Văn phòng HĐND và UBND xã
a) Chủ trì, phối hợp với Phòng Kinh tế triển khai Kế hoạch.
b) Tổng hợp, báo cáo UBND tỉnh (qua Sở Khoa học và Công nghệ) kết quả 6 tháng trước ngày 10/6/2026 và báo cáo năm trước ngày 10/12/2026.
2. Các ban, ngành, đoàn thể xã
- Báo cáo kết quả về UBND xã (qua Văn phòng HĐND và UBND xã) trước ngày 05/6 và trước ngày 05/12.
Nơi nhận:
- UBND tỉnh (b/c);
- Lưu: VT.
"""


@pytest.fixture(scope="module")
def plan_doc():
    doc = process_text(PLAN).document
    return doc


def test_plan_deadlines(plan_doc):
    dls = extract_deadlines(plan_doc, plan_year=2026)
    got = [(d.raw, d.kind, d.value) for d in dls]
    assert got == [
        ("trước ngày 15/01", "absolute", "2026-01-15"),
        ("trong Quý II/2026", "period", "2026-Q2"),
        ("chậm nhất ngày 30 tháng 9 năm 2026", "absolute", "2026-09-30"),
        ("trước ngày 10/6/2026", "absolute", "2026-06-10"),
        ("trước ngày 10/12/2026", "absolute", "2026-12-10"),
        ("trước ngày 05/6", "absolute", "2026-06-05"),
        ("trước ngày 05/12", "absolute", "2026-12-05"),
    ]
    for d in dls:
        assert plan_doc.text[d.start:d.end] == d.raw
    by_raw = {d.raw: d for d in dls}
    # the 20/12/2025 issue date of the cited plan, and the purpose section's "Thường xuyên", are not deadlines
    assert not any(d.value == "2025-12-20" for d in dls)
    assert not any(d.kind == "continuous" for d in dls)
    d = by_raw["trước ngày 10/6/2026"]
    assert (d.unit, d.report_type) == ("Văn phòng HĐND và UBND xã", "semiannual")
    assert d.recipient == "UBND tỉnh (qua Sở Khoa học và Công nghệ)"
    assert by_raw["trước ngày 10/12/2026"].report_type == "annual"
    d = by_raw["trước ngày 05/6"]
    assert d.unit == "Các ban, ngành, đoàn thể xã"
    assert d.recipient == "UBND xã (qua Văn phòng HĐND và UBND xã)"


def test_citation_spans_block_deadlines(plan_doc):
    # a citation record overlapping a would-be deadline removes it
    t = plan_doc.text
    s = t.index("trước ngày 15/01")

    class Cit:
        start, end = s - 5, s + 20

    dls = extract_deadlines(plan_doc, [Cit()], plan_year=2026)
    assert "trước ngày 15/01" not in [d.raw for d in dls]


def test_table_rows_become_deadlines():
    text = ("KẾ HOẠCH\nCông tác năm 2026\nI. NHIỆM VỤ\n1. Nhiệm vụ chung.\nPHỤ LỤC\n"
            "| TT | Nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian hoàn thành |\n"
            "|---|---|---|---|---|\n"
            "| 1 | Số hóa hồ sơ | Văn phòng UBND xã | Các thôn | Tháng 3/2026 |\n"
            "| 2 | Báo cáo định kỳ 6 tháng, năm | Phòng Kinh tế | | Định kỳ |\n"
            "| 3 | Tập huấn | Phòng Văn hóa - Xã hội | | Quý II/2026 (dự thảo); Quý IV/2026 (ban hành) |\n")
    doc = process_text(text).document
    dls = extract_deadlines(doc, plan_year=2026)
    rows = [(d.row, d.kind, d.value, d.unit) for d in dls if d.row is not None]
    assert rows == [
        (1, "period", "2026-03", "Văn phòng UBND xã"),
        (2, "recurring", "semiannual,annual", "Phòng Kinh tế"),
        (3, "period", "2026-Q2", "Phòng Văn hóa - Xã hội"),
        (3, "period", "2026-Q4", "Phòng Văn hóa - Xã hội"),
    ]
    for d in dls:
        assert doc.text[d.start:d.end] == d.raw


def test_to_row_has_the_schema_columns(plan_doc):
    from pipeline.schema import DEADLINES

    row = extract_deadlines(plan_doc, plan_year=2026)[0].to_row()
    assert set(row) == set(DEADLINES.names) - {"doc_id", "deadline_id"}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(
    ["trước ngày", "05/6", "/2026", "quý", "III", "IV", ",", "-", "tháng", "6", "năm", "2026", "hàng", "định kỳ",
     "thường xuyên", "vào dịp cuối năm", "\n", " ", "Sở Nội vụ", "báo cáo", "về", "(qua", ")", "31/6", "từ",
     "đến", "hết", "ngày", "Thời gian:", "| ", " |", "- ", "1. ", "III. TỔ CHỨC THỰC HIỆN\n"]), max_size=40))
def test_never_crashes_offsets_valid(parts):
    text = "".join(parts)
    for cell in (False, True):
        for e in find_time_expressions(text, years=Y2026, cell=cell):
            assert text[e.start:e.end] == e.raw and e.start < e.end
    doc = process_text(text).document
    for d in extract_deadlines(doc):
        assert doc.text[d.start:d.end] == d.raw
