"""Normalization rules: input text -> expected normalized text (and the offset invariant)."""

from __future__ import annotations

import pytest

from pipeline.document import RawDocument
from pipeline.normalize import normalize, normalize_chars


def norm(text: str) -> str:
    return normalize(RawDocument.from_text(text)).text


@pytest.mark.parametrize("raw, expected", [
    ("hoá, thuỷ, uỷ ban, khoá XI", "hóa, thủy, ủy ban, khóa XI"),
    ("HOÁ HỌC, Thuỷ lợi, Uỷ ban", "HÓA HỌC, Thủy lợi, Ủy ban"),
    ("quý, Quỳnh, hoàn thành, khoản 2, xoài", "quý, Quỳnh, hoàn thành, khoản 2, xoài"),  # qu-, closed syllables
    ("QÐ-UBND, Ðảng, ðồng", "QĐ-UBND, Đảng, đồng"),  # U+00D0/U+00F0 look-alikes
    ("kinh tế – xã hội — an ninh", "kinh tế - xã hội - an ninh"),
    ("a\u00a0b\u2009c\td", "a b c d"),
    ("so\u00adft hy\u200bphen", "soft hyphen"),
    ("635/KH\u0002UBND", "635/KH-UBND"),  # a PDF producer's line-break hyphen
    ("nghi\u0323 quyê\u0301t", "nghị quyết"),  # decomposed (NFD) input composed
    ("ho\u0061\u0301", "hóa"),  # decomposed old tone style
    ("dòng 1\r\ndòng 2", "dòng 1\ndòng 2"),
    ("**KT. CHỦ TỊCH**", "KT. CHỦ TỊCH"),
])
def test_character_rules(raw, expected):
    assert normalize_chars(raw)[0] == expected


@pytest.mark.parametrize("raw, expected", [
    # hard wraps joined, blank lines between wrapped lines ignored
    ("Thực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính\n\nphủ về công tác dân vận.",
     "Thực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ về công tác dân vận.\n"),
    # a symbol broken at its hyphen is joined without a space
    ("Kế hoạch số 635/KH-\nUBND ngày 26/01/2025.", "Kế hoạch số 635/KH-UBND ngày 26/01/2025.\n"),
    ("nhiệm kỳ 2026-\n2031 của tỉnh.", "nhiệm kỳ 2026-2031 của tỉnh.\n"),
    # a wrapped "- xã hội" is not a bullet
    ("các tổ chức chính trị\n- xã hội và Nhân dân.", "các tổ chức chính trị - xã hội và Nhân dân.\n"),
    # headings and list items stay on their own lines
    ("I. MỤC ĐÍCH, YÊU CẦU\n1. Mục đích\n- Nâng cao nhận thức.\n+ Tuyên truyền.\na) Tổ chức.",
     "I. MỤC ĐÍCH, YÊU CẦU\n1. Mục đích\n- Nâng cao nhận thức.\n+ Tuyên truyền.\na) Tổ chức.\n"),
    # a Roman heading wrapped onto a second caps line is one heading
    ("III. NHIỆM VỤ VÀ GIẢI\nPHÁP\n1. Tuyên truyền.", "III. NHIỆM VỤ VÀ GIẢI PHÁP\n1. Tuyên truyền.\n"),
    # OCR "IL." is "II."
    ("IL. NỘI DUNG\n1. Tuyên truyền.", "II. NỘI DUNG\n1. Tuyên truyền.\n"),
    # the document type line stays apart from its title
    ("KẾ HOẠCH\nThực hiện công tác dân vận năm 2026\nCăn cứ Luật Tổ chức chính quyền địa phương;",
     "KẾ HOẠCH\nThực hiện công tác dân vận năm 2026\nCăn cứ Luật Tổ chức chính quyền địa phương;\n"),
    # page numbers dropped
    ("Đoạn một kết thúc.\n\n2\n\nĐoạn hai.", "Đoạn một kết thúc.\nĐoạn hai.\n"),
    # signature block: title and name stay apart
    ("KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nĐình Văn Tuấn", "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nĐình Văn Tuấn\n"),
    # markdown tags and heading hashes
    ("## I. MỤC ĐÍCH", "I. MỤC ĐÍCH\n"),
])
def test_structure_rules(raw, expected):
    assert norm(raw) == expected


FOOTNOTED = (
    "1. Tuyên truyền về công tác dân vận của cơ quan hành chính nhà nước trong tình hình mới, bảo đảm\n"
    "thống nhất trong nhận thức và hành động1. Thực hiện theo Quyết định số 23-QĐ/TW2; Kế hoạch số\n"
    "8382/KH-UBND ngày 23/12/20253.\n"
    "                                           \n"
    "1 Quyết định số 23-QĐ/TW ngày 30/7/2021 của Bộ Chính trị về việc ban hành Quy chế công tác dân vận của\n"
    "hệ thống chính trị.\n"
    "2 Quy chế công tác dân vận.\n"
    "3 Kế hoạch số 8382/KH-UBND ngày 23/12/2025 của UBND tỉnh về Cải cách hành chính tỉnh Lai Châu\n"
    "năm 2026.\n"
    " 2. Phòng Hành chính - Quản trị tham mưu.\n"
)


def test_footnotes_moved_and_markers_linked():
    d = normalize(RawDocument.from_text(FOOTNOTED))
    body, notes = d.text[:d.body_end], d.text[d.body_end:]
    assert "hành động[^1]." in body
    assert "23-QĐ/TW[^2];" in body
    assert "ngày 23/12/2025[^3]." in body
    assert "2. Phòng Hành chính - Quản trị tham mưu." in body
    assert "Quyết định số 23-QĐ/TW ngày 30/7/2021" not in body
    assert [f.number for f in d.footnotes] == ["1", "2", "3"]
    assert d.text[d.footnotes[0].start:d.footnotes[0].end].startswith("Quyết định số 23-QĐ/TW ngày 30/7/2021")
    assert d.text[d.footnotes[0].start:d.footnotes[0].end].endswith("của hệ thống chính trị.")
    assert d.text[d.footnotes[2].start:d.footnotes[2].end].endswith("Lai Châu năm 2026.")
    assert [(r.number, d.text[r.start:r.end]) for r in d.footnote_refs] == [("1", "[^1]"), ("2", "[^2]"), ("3", "[^3]")]
    assert notes.startswith("[^1]: Quyết định") and body.endswith(".\n\n")
    assert d.in_footnote(d.footnotes[1].start) and not d.in_footnote(0)


def test_numbers_glued_without_footnotes_are_kept():
    # QH15 and "TW1" are only markers when a footnote 1 / 15 exists
    assert norm("Luật số 72/2025/QH15 và Quyết định 23-QĐ/TW1 hôm nay.") == \
        "Luật số 72/2025/QH15 và Quyết định 23-QĐ/TW1 hôm nay.\n"


def test_inline_superscript_footnote_interrupting_a_sentence():
    raw = ("11. Rà soát các văn bản về dân chủ ở cơ sở¹; ban hành văn bản phân công.\n\n"
           "13. Tăng cường nắm tình hình trong các dự án trọng điểm của tỉnh, địa\n\n"
           "1- Ủy ban nhân dân các xã, phường trình Hội đồng nhân dân cùng cấp.\n\n"
           "- Các cơ quan, đơn vị rà soát Quy chế.\n\n"
           "phương; lĩnh vực đất đai.\n")
    d = normalize(RawDocument.from_text(raw))
    assert "cơ sở[^1];" in d.text
    assert "trọng điểm của tỉnh, địa phương; lĩnh vực đất đai." in d.text[:d.body_end]
    fn = d.text[d.footnotes[0].start:d.footnotes[0].end]
    assert fn.startswith("Ủy ban nhân dân các xã") and "Các cơ quan, đơn vị rà soát Quy chế." in fn


TABLE = """PHỤ LỤC
| STT | Nội dung | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian |
|---|---|---|---|---|
| 1 | <p>Tuyên truyền</p> | Sở Nội vụ | Các sở, ngành | Thường xuyên |
| 2 | Cải cách hành chính giai đoạn 2026- | Sở Nội vụ | Các cơ quan, đơn vị, địa | Dự kiến |

| | | | | |
|---|---|---|---|---|
| | 2030. | | phương | quý III-IV/2026 |
| 3 | Tập huấn | Trường Chính trị tỉnh | | Quý IV/2026 |

| STT | Nội dung | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian |
|---|---|---|---|---|
| 4 | Báo cáo | Sở Nội vụ | | Định kỳ |
"""


def test_markdown_table_rows_merged_across_pages():
    d = normalize(RawDocument.from_text(TABLE))
    assert len(d.tables) == 1
    t = d.tables[0]
    assert t.header == ["STT", "Nội dung", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian"]
    rows = [[c.text for c in r.cells] for r in t.rows]
    assert rows == [
        ["1", "Tuyên truyền", "Sở Nội vụ", "Các sở, ngành", "Thường xuyên"],
        ["2", "Cải cách hành chính giai đoạn 2026-2030.", "Sở Nội vụ", "Các cơ quan, đơn vị, địa phương",
         "Dự kiến quý III-IV/2026"],
        ["3", "Tập huấn", "Trường Chính trị tỉnh", "", "Quý IV/2026"],
        ["4", "Báo cáo", "Sở Nội vụ", "", "Định kỳ"],
    ]
    assert [r.number for r in t.rows] == ["1", "2", "3", "4"]
    for r in t.rows:
        for c in r.cells:
            assert d.text[c.start:c.end] == c.text
    assert "| 2 | Cải cách hành chính giai đoạn 2026-2030. | Sở Nội vụ |" in d.text


def test_offset_map_points_back_to_raw():
    raw = "Kế hoạch số 635/KH-\n\nUBND của Uỷ ban\n\nnhân dân tỉnh."
    d = normalize(RawDocument.from_text(raw))
    i = d.text.index("UBND")
    assert raw[d.offset_map.to_raw(i):d.offset_map.to_raw(i) + 4] == "UBND"
    j = d.text.index("nhân dân")
    assert raw[d.offset_map.to_raw(j):d.offset_map.to_raw(j) + 8] == "nhân dân"


def test_legal_portal_furniture_dropped():
    raw = ("Bản dịch này thuộc quyền sở hữu của\nTHƯ VIỆN PHÁP LUẬT. Mọi hành vi sao chép\n"
           "Đang tải văn bản...\nSố hiệu:\n12/KH-UBND\n\nỦY BAN NHÂN DÂN\nTỈNH LAI CHÂU\n-------\n"
           "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nSố: 12/KH-UBND\n"
           "KẾ HOẠCH\nThực hiện năm 2026\nI. MỤC ĐÍCH\nNội dung.\n"
           "Văn bản liên quan\nCảm ơn đã dùng ThuVienPhapLuat.vn\n")
    t = norm(raw)
    assert t.startswith("ỦY BAN NHÂN DÂN")
    assert "THƯ VIỆN" not in t and "Văn bản liên quan" not in t and "Số hiệu" not in t


def test_unmarked_footnote_that_cuts_a_sentence():
    # OCR lost the superscript marker; the block still cuts a sentence that resumes after it
    raw = ("13. Tăng cường nắm tình hình trong các dự án trọng điểm của tỉnh, địa\n\n"
           "1- Ủy ban nhân dân các xã, phường trình Hội đồng nhân dân cùng cấp ban hành Nghị quyết.\n\n"
           "- Các cơ quan, đơn vị rà soát Quy chế.\n\n"
           "phương; lĩnh vực đất đai.\n")
    d = normalize(RawDocument.from_text(raw))
    assert "của tỉnh, địa phương; lĩnh vực đất đai." in d.text[:d.body_end]
    assert d.text[d.footnotes[0].start:].startswith("Ủy ban nhân dân các xã")


def test_numbered_list_after_an_open_line_is_not_a_footnote():
    raw = "Các nội dung gồm\n1 Tuyên truyền pháp luật.\n2 Kiểm tra việc thực hiện.\nCuối cùng là tổng kết."
    d = normalize(RawDocument.from_text(raw))
    assert d.footnotes == [] and "1 Tuyên truyền pháp luật." in d.text


@pytest.mark.parametrize("raw, expected", [
    # a proper name wrapped mid-way in web-extracted text
    ("Đề nghị Ủy ban Mặt trận Tổ quốc\nViệt Nam thành phố phối hợp thực hiện.",
     "Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam thành phố phối hợp thực hiện.\n"),
    # a short unit heading stays apart from its first task, even in a tiny document
    ("5. Trung tâm Dịch vụ tổng hợp\nĐăng tin, bài tuyên truyền.", "5. Trung tâm Dịch vụ tổng hợp\nĐăng tin, bài tuyên truyền.\n"),
])
def test_more_joining_rules(raw, expected):
    assert norm(raw) == expected


@pytest.mark.parametrize("pages, rows", [
    # the header reprinted on the next page, then a continuation row
    (["| STT | Nội dung |\n|---|---|\n| 2 | Việc hai |", "| STT | Nội dung |\n|---|---|\n|  | tiếp theo |"],
     [["2", "Việc hai tiếp theo"]]),
    # an empty reprinted header
    (["| STT | Nội dung |\n|---|---|\n| 2 | Việc hai |", "|  |  |\n|---|---|\n|  | tiếp theo |\n| 3 | Việc ba |"],
     [["2", "Việc hai tiếp theo"], ["3", "Việc ba"]]),
])
def test_table_continued_over_a_page_break_without_blank_lines(pages, rows):
    from pipeline.document import Page
    raw = RawDocument("<t>", "pdf", [Page(k + 1, t) for k, t in enumerate(pages)], "0" * 64)
    d = normalize(raw)
    assert len(d.tables) == 1 and d.tables[0].header == ["STT", "Nội dung"]
    assert [[c.text for c in r.cells] for r in d.tables[0].rows] == rows


def test_phu_luc_inside_a_sentence_is_no_appendix():
    from pipeline.segment import segment
    d = segment(normalize(RawDocument.from_text(
        "Điều 1. Ban hành danh mục (chi tiết tại\nPhụ lục kèm theo).\nĐiều 2. Hiệu lực.")))
    assert "(chi tiết tại Phụ lục kèm theo)." in d.text
    assert [s.label for s in d.sections] == ["article", "article"]


def test_footnote_without_marker_belongs_where_the_page_broke():
    from pipeline.segment import segment
    raw = ("I. NHIỆM VỤ\n1. Tăng cường nắm tình hình trong các dự án trọng điểm của tỉnh, địa\n\n"
           "1- Ủy ban nhân dân các xã trình Hội đồng nhân dân cùng cấp ban hành Nghị quyết.\n\n"
           "phương; lĩnh vực đất đai.\nII. TỔ CHỨC THỰC HIỆN\nGiao Sở Nội vụ.\n")
    d = segment(normalize(RawDocument.from_text(raw)))
    fn = d.footnotes[0]
    assert d.footnote_refs == [] and fn.anchor is not None
    assert d.top_section_at(fn.start).label == "tasks"
