"""Appendix task tables: columns by header words, rows split across pages merged, deadlines and
assignments per row."""

from __future__ import annotations

import pytest

from extractors.deadlines import extract_deadlines
from extractors.task_tables import column_roles, header_role, is_task_table, rows_of, task_rows
from extractors.units import extract_assignments
from pipeline import process_text
from pipeline.document import Table, TableCell, TableRow


@pytest.mark.parametrize("headers,roles", [
    (["STT", "Nội dung trọng tâm", "Đơn vị chủ trì", "Đơn vị phối hợp thực hiện", "Thời gian, tiến độ thực hiện"],
     {0: "number", 1: "content", 2: "lead", 3: "support", 4: "time"}),
    (["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn hoàn thành", "Sản phẩm"],
     {0: "number", 1: "content", 2: "lead", 3: "support", 4: "time", 5: "product"}),
    (["Thời gian", "Nội dung công việc", "Đơn vị thực hiện"], {0: "time", 1: "content", 2: "lead"}),
    (["Tên chỉ tiêu", "Đơn vị tính", "Kế hoạch năm 2026"], {0: "content"}),
])
def test_column_roles(headers, roles):
    assert column_roles(headers) == roles


def test_statistics_table_is_not_a_task_table():
    assert not is_task_table(column_roles(["Tên chỉ tiêu", "Đơn vị tính", "Kế hoạch năm 2026"]))
    assert header_role("Đơn vị tính") is None


# An appendix as it comes out of a PDF: the table breaks across pages, the header repeats on
# the next page, and a row's last words continue in a row with an empty STT cell.
SPLIT = """KẾ HOẠCH
Thực hiện công tác dân vận năm 2026
I. NHIỆM VỤ
1. Nhiệm vụ chung của các cơ quan, đơn vị trong năm.
PHỤ LỤC
| STT | Nội dung trọng tâm | Đơn vị chủ trì | Đơn vị phối hợp thực hiện | Thời gian, tiến độ thực hiện |
|------------|---|---|----------------------------------|-------------------------------------|
| 1 | Đẩy mạnh cải cách hành chính theo Quyết định số 282/QĐ-TTg ngày 12/02/2026 của Thủ tướng Chính phủ ban hành Kế hoạch trọng tâm giai đoạn 2026- | Sở Nội vụ, Sở Tư pháp, Văn phòng UBND tỉnh, | Các cơ quan, đơn vị, địa phương | Thường xuyên |

| | | | | |
|---|---|--|--|-------------------------|
| | 2030. | | | |
| 2 | Phối hợp tổ chức tập huấn, bồi dưỡng kiến thức cho cán bộ, công chức | Sở Nội vụ, Trường Chính trị tỉnh | Các cơ quan, đơn vị, địa phương | Dự kiến |

| | | | | |
|----|---|--|---------------------------------|--------------------------------------|
| | được phân công theo dõi công tác dân vận. | | | quý III-IV/2026 |
| 3 | Báo cáo công tác dân vận định kỳ 6 tháng, năm | Sở Nội vụ | Các cơ quan, đơn vị | Định kỳ và theo yêu cầu của cấp trên |
"""


@pytest.fixture(scope="module")
def split_doc():
    return process_text(SPLIT).document


def test_split_rows_are_merged(split_doc):
    rows = task_rows(split_doc)
    assert [r.number for r in rows] == ["1", "2", "3"]
    assert rows[0].task_text.endswith("giai đoạn 2026-2030.")
    assert rows[1].time.text.split() == ["Dự", "kiến", "quý", "III-IV/2026"]
    for r in rows:
        for c in (r.content, r.lead, r.support, r.time):
            assert split_doc.text[c.start:c.end] == c.text


def test_split_rows_deadlines(split_doc):
    dls = [(d.row, d.kind, d.value, d.unit) for d in extract_deadlines(split_doc, plan_year=2026)]
    assert dls == [
        (1, "continuous", "continuous", "Sở Nội vụ; Sở Tư pháp; Văn phòng UBND tỉnh"),
        (2, "period", "2026-Q3/2026-Q4", "Sở Nội vụ; Trường Chính trị tỉnh"),
        (3, "recurring", "semiannual,annual", "Sở Nội vụ"),
    ]
    # the issue date of the instrument cited inside a content cell is no deadline
    assert all(d.value != "2026-02-12" for d in extract_deadlines(split_doc, plan_year=2026))


def test_split_rows_assignments(split_doc):
    got = sorted({(a.unit, a.role) for a in extract_assignments(split_doc) if a.source == "table"})
    assert got == sorted({
        ("Sở Nội vụ", "lead"), ("Sở Tư pháp", "lead"), ("Văn phòng UBND tỉnh", "lead"),
        ("Trường Chính trị tỉnh", "lead"), ("Các cơ quan, đơn vị, địa phương", "support"),
        ("Các cơ quan, đơn vị", "support"),
    })


def _cell(text: str, pos: int) -> TableCell:
    return TableCell(text, pos, pos + len(text))


def test_two_level_header_from_table_records():
    # "Đơn vị thực hiện" spans two sub-columns named on the first row
    t = Table(0, ["TT", "Nhiệm vụ", "Đơn vị thực hiện", "", "Thời gian"], [
        TableRow([_cell("", 0), _cell("", 0), _cell("Chủ trì", 0), _cell("Phối hợp", 0), _cell("", 0)], 0, 0),
        TableRow([_cell("1", 0), _cell("Tập huấn", 0), _cell("Sở Nội vụ", 0), _cell("Các sở", 0), _cell("Quý II", 0)], 0, 0,
                 number="1"),
    ], 0, 0)
    rows = rows_of(t)
    assert len(rows) == 1
    r = rows[0]
    assert (r.content.text, r.lead.text, r.support.text, r.time.text) == ("Tập huấn", "Sở Nội vụ", "Các sở", "Quý II")
