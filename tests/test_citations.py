"""Citation extractor: raw strings -> expected parts, strings that must not match, the
invariant ``text[start:end] == raw`` under fuzzing, and document-level behaviour
(own number, footnotes, sections, date spans for the deadline extractor).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.citations import Citation, citations_in_text, extract_citations, parse_symbol
from pipeline.document import Document, Footnote, FootnoteRef, OffsetMap, Section

D = dt.date


def cite(text: str, metadata=None) -> list[Citation]:
    cits = citations_in_text(text, metadata)
    for c in cits:
        assert text[c.start:c.end] == c.raw
    return cits


def numbered(text: str) -> list[Citation]:
    return [c for c in cite(text) if c.number is not None]


# (text, [(type, number, year, symbol, issue_date, issuer), ...]) — every numbered citation, in order.
CASES = [
    # --- normative (QPPL): the year inside the number -----------------------------------
    ("Nghị định số 59/2023/NĐ-CP ngày 14/8/2023 của Chính phủ quy định chi tiết",
     [("Nghị định", "59", 2023, "NĐ-CP", D(2023, 8, 14), "Chính phủ")]),
    ("Thông tư số 05/2021/TT-TTCP ngày 01/10/2021 của Thanh tra Chính phủ quy định quy trình",
     [("Thông tư", "05", 2021, "TT-TTCP", D(2021, 10, 1), "Thanh tra Chính phủ")]),
    ("Nghị quyết số 75/2024/NQ-HĐND ngày 09/12/2024 về Quyết định các biện pháp",
     [("Nghị quyết", "75", 2024, "NQ-HĐND", D(2024, 12, 9), None)]),
    ("trọng tâm là Luật Tổ chức chính quyền địa phương số 72/2025/QH15, các kết luận",
     [("Luật", "72", 2025, "QH15", None, None)]),
    ("Căn cứ Luật số 88/2019/QH14;", [("Luật", "88", 2019, "QH14", None, None)]),
    ("Nghị quyết số 110/2025/UBTVQH15 của Ủy ban Thường vụ Quốc hội",
     [("Nghị quyết", "110", 2025, "UBTVQH15", None, "Ủy ban Thường vụ Quốc hội")]),
    ("Căn cứ Nghị quyết số 202/2025/QH15 ngày 12 tháng 6 năm 2025 của Quốc hội về sắp xếp",
     [("Nghị quyết", "202", 2025, "QH15", D(2025, 6, 12), "Quốc hội")]),
    ("Căn cứ Pháp lệnh số 02/2020/UBTVQH14 ngày 09/12/2020",
     [("Pháp lệnh", "02", 2020, "UBTVQH14", D(2020, 12, 9), None)]),
    ("Căn cứ Thông tư liên tịch số 39/2014/TTLT-BCT-BTC ngày 29 tháng 10 năm 2014",
     [("Thông tư liên tịch", "39", 2014, "TTLT-BCT-BTC", D(2014, 10, 29), None)]),
    ("theo Quyết định số 22/2013/QĐ-TTG của Thủ tướng", [("Quyết định", "22", 2013, "QĐ-TTg", None, "Thủ tướng")]),
    ("Decree No. 15/2020/ND-CP dated February 3, 2020", [("Nghị định", "15", 2020, "NĐ-CP", None, None)]),
    ("Nghị định số 78/2021/NĐ -CP ngày 01 tháng 8 năm 2021",
     [("Nghị định", "78", 2021, "NĐ-CP", D(2021, 8, 1), None)]),
    ("Nghị định số 23/2019/NĐ CP về", [("Nghị định", "23", 2019, "NĐ-CP", None, None)]),
    ("theo Nghị định số 06/2021/NĐCP", [("Nghị định", "06", 2021, "NĐ-CP", None, None)]),
    ("Luật Quy hoạch số 21/2017/QD14 ngày 24/11/2017", [("Luật", "21", 2017, "QH14", D(2017, 11, 24), None)]),
    ("Luật Đấu thầu số 22/2023/OH15 được sửa đổi", [("Luật", "22", 2023, "QH15", None, None)]),
    ("Nghị định số 59/2023/NÐ-CP ngày 14/8/2023", [("Nghị định", "59", 2023, "NĐ-CP", D(2023, 8, 14), None)]),
    ("Nghị quyết liên tịch số 72/2025/NQLT/UBTVQH15-CP-ĐCTUBTWMTTQVN ngày 07/7/2025",
     [("Nghị quyết liên tịch", "72", 2025, "NQLT/UBTVQH15-CP-ĐCTUBTWMTTQVN", D(2025, 7, 7), None)]),
    # --- administrative (Nghị định 30/2020/NĐ-CP) -------------------------------------------
    ("Thực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ về tiếp tục",
     [("Chỉ thị", "33", None, "CT-TTg", D(2021, 11, 26), "Thủ tướng Chính phủ")]),
    ("Kế hoạch số 450/KH-UBND ngày 03/02/2026 của UBND tỉnh Quảng Trị về Thực hiện",
     [("Kế hoạch", "450", None, "KH-UBND", D(2026, 2, 3), "UBND tỉnh Quảng Trị")]),
    ("và Quyết định số 282/QĐ-TTg ngày 12/02/2026 của Thủ tướng Chính phủ ban hành Kế hoạch",
     [("Quyết định", "282", None, "QĐ-TTg", D(2026, 2, 12), "Thủ tướng Chính phủ")]),
    ("Công văn số 91/UBND-TH, ngày 08/01/2025 của UBND tỉnh về Nghị quyết",
     [("Công văn", "91", None, "UBND-TH", D(2025, 1, 8), "UBND tỉnh")]),
    ("tại số 91/UBND-TH của UBND tỉnh", [("Công văn", "91", None, "UBND-TH", None, "UBND tỉnh")]),
    ("theo Quyết định 1847/QĐ-TTg ngày 27/12/2018", [("Quyết định", "1847", None, "QĐ-TTg", D(2018, 12, 27), None)]),
    ("theo tinh thần 33/CT-TTg", [("Chỉ thị", "33", None, "CT-TTg", None, None)]),
    ("Chỉ thị số 01/CT-UBND tỉnh ngày 09/01/2026 của Chủ tịch UBND tỉnh về việc chấn chỉnh",
     [("Chỉ thị", "01", None, "CT-UBND", D(2026, 1, 9), "Chủ tịch UBND tỉnh")]),
    ("Theo đề nghị của Giám đốc Sở Công Thương tại Tờ trình số 131/TTr-SCT ngày 24/11/2025;",
     [("Tờ trình", "131", None, "TTr-SCT", D(2025, 11, 24), "Giám đốc Sở Công Thương")]),
    ("tại Chương trình hành động số 01/CTr-UBND ngày 19/01/2025",
     [("Chương trình hành động", "01", None, "CTr-UBND", D(2025, 1, 19), None)]),
    ("Kế hoạch số 635/KH- UBND ngày 26/01/2025", [("Kế hoạch", "635", None, "KH-UBND", D(2025, 1, 26), None)]),
    ("Kế hoạch số 635 /KH-UBND ngày 26/01/2025", [("Kế hoạch", "635", None, "KH-UBND", D(2025, 1, 26), None)]),
    ("Cục Thuế đã có công văn số 5106/CT-CS ngày 12/11/2025 về việc chính sách thuế",
     [("Công văn", "5106", None, "CT-CS", D(2025, 11, 12), None)]),
    ("Báo cáo thẩm tra số 163/BC-KTNS ngày 24 tháng 11 năm 2025 của Ban Kinh tế - Ngân sách",
     [("Báo cáo", "163", None, "BC-KTNS", D(2025, 11, 24), "Ban Kinh tế - Ngân sách")]),
    ("căn cứ QĐ số 2062/QĐ-UBND", [("Quyết định", "2062", None, "QĐ-UBND", None, None)]),
    ("Theo đề nghị của Sở Ngoại vụ tại Văn bản số 1605/TTr-SNgV ngày 06/11/2025",
     [("Tờ trình", "1605", None, "TTr-SNgV", D(2025, 11, 6), "Sở Ngoại vụ")]),
    ("Căn cứ Quyết định số 4255/QĐ-BNN-KHCN ngày 04/12/2024 của Bộ Nông nghiệp và PTNT (nay là",
     [("Quyết định", "4255", None, "QĐ-BNN-KHCN", D(2024, 12, 4), "Bộ Nông nghiệp và PTNT")]),
    ("hướng dẫn tại văn bản số 16495/BТС-PTHT ngày 22/10/2025",  # Cyrillic Т and С
     [("Công văn", "16495", None, "BTC-PTHT", D(2025, 10, 22), None)]),
    ("Theo chỉ đạo của UBND tỉnh tại Kế hoạch số 8419/KH-UBND ngày 26/12/2025 về Chuyển đổi số",
     [("Kế hoạch", "8419", None, "KH-UBND", D(2025, 12, 26), "UBND tỉnh")]),
    ("Ý kiến của Bộ Văn hóa, Thể thao và Du lịch tại Công văn 6225/BVHTTDL-VP ngày 18/11/2025",
     [("Công văn", "6225", None, "BVHTTDL-VP", D(2025, 11, 18), None)]),
    # --- Party (Hướng dẫn 36-HD/VPTW) ------------------------------------------------------
    ("Quyết định số 23-QĐ/TW ngày 30/7/2021 của Bộ Chính trị về việc ban hành Quy chế",
     [("Quyết định", "23", None, "QĐ/TW", D(2021, 7, 30), "Bộ Chính trị")]),
    ("theo Kế hoạch số 18-KH/TU của Ban Thường vụ Tỉnh ủy",
     [("Kế hoạch", "18", None, "KH/TU", None, "Ban Thường vụ Tỉnh ủy")]),
    ("Quy chế số 07-QC/TU, ngày 22/9/2025 của Tỉnh ủy Lâm Đồng về công tác dân vận",
     [("Quy chế", "07", None, "QC/TU", D(2025, 9, 22), "Tỉnh ủy Lâm Đồng")]),
    ("Chương trình số 02-CTr/BCĐ, ngày 14/01/2026 về hoạt động của Ban Chỉ đạo",
     [("Chương trình", "02", None, "CTr/BCĐ", D(2026, 1, 14), None)]),
    ("Thông báo số 03-TB/BCĐ, ngày 14/01/2026 của Ban Chỉ đạo thực hiện dân chủ ở cơ sở về kết luận",
     [("Thông báo", "03", None, "TB/BCĐ", D(2026, 1, 14), "Ban Chỉ đạo thực hiện dân chủ ở cơ sở")]),
    ("Chương trình phối hợp số 08-CTPH/BDVTU-BCSĐUBND ngày 05/3/2024",
     [("Chương trình phối hợp", "08", None, "CTPH/BDVTU-BCSĐUBND", D(2024, 3, 5), None)]),
    ("theo Kế hoạch số 30-KH/ĐU ngày 30/01/2026 của Đảng ủy xã Vĩnh Thủy về tăng cường",
     [("Kế hoạch", "30", None, "KH/ĐU", D(2026, 1, 30), "Đảng ủy xã Vĩnh Thủy")]),
    ("Quy định số 11-QĐi/TW, ngày 18/02/2019 của Bộ Chính trị về trách nhiệm",
     [("Quy định", "11", None, "QĐi/TW", D(2019, 2, 18), "Bộ Chính trị")]),
    ("thực hiện Quy định số 101-QĐ/TW của Ban Bí thư", [("Quy định", "101", None, "QĐ/TW", None, "Ban Bí thư")]),
    ("Nghị quyết số 18-NQ/TW ngày 25/10/2017 của BCH Trung ương (khóa XII); đổi mới",
     [("Nghị quyết", "18", None, "NQ/TW", D(2017, 10, 25), "BCH Trung ương (khóa XII)")]),
    ("Hướng dẫn số 36-HD/VPTW ngày 03/4/2018 của Văn phòng Trung ương Đảng",
     [("Hướng dẫn", "36", None, "HD/VPTW", D(2018, 4, 3), "Văn phòng Trung ương Đảng")]),
    ("Văn bản số 14612-CV/VPTW ngày 29/4/2025 về hướng dẫn",
     [("Công văn", "14612", None, "CV/VPTW", D(2025, 4, 29), None)]),
    ("Kết luận số 212-KL/TW ngày 18/11/2025, trong đó", [("Kết luận", "212", None, "KL/TW", D(2025, 11, 18), None)]),
    ("Quy định số 03/QyĐ-UBND về", [("Quy định", "03", None, "QyĐ-UBND", None, None)]),
    ("Thông tri số 07-TT/TC ngày 21 tháng 3 năm 1979", [("Thông tri", "07", None, "TT/TC", D(1979, 3, 21), None)]),
    ("Kế hoạch hành động số 459-KHHĐ/TU ngày 21 tháng 5 năm 2025 của Thành ủy",
     [("Kế hoạch", "459", None, "KHHĐ/TU", D(2025, 5, 21), "Thành ủy")]),
    # --- lists and shared parts ---------------------------------------------------------------
    ("theo Quyết định số 217, 218-QĐ/TW ngày 12/12/2013 của Bộ Chính trị khóa XI về việc",
     [("Quyết định", "217", None, "QĐ/TW", D(2013, 12, 12), "Bộ Chính trị khóa XI"),
      ("Quyết định", "218", None, "QĐ/TW", D(2013, 12, 12), "Bộ Chính trị khóa XI")]),
    ("theo Quyết định số 217-QĐ/TW và Quyết định số 218-QĐ/TW ngày 12/12/2013 của Bộ Chính trị.",
     [("Quyết định", "217", None, "QĐ/TW", D(2013, 12, 12), "Bộ Chính trị"),
      ("Quyết định", "218", None, "QĐ/TW", D(2013, 12, 12), "Bộ Chính trị")]),
    ("tiếp theo các Công điện số 217/CĐ-TTg, 218/CĐ-TTg và 222/CĐ-TTg ngày 19/11/2025 của Thủ tướng Chính phủ",
     [("Công điện", "217", None, "CĐ-TTg", D(2025, 11, 19), "Thủ tướng Chính phủ"),
      ("Công điện", "218", None, "CĐ-TTg", D(2025, 11, 19), "Thủ tướng Chính phủ"),
      ("Công điện", "222", None, "CĐ-TTg", D(2025, 11, 19), "Thủ tướng Chính phủ")]),
    ("thực hiện Quy định số 101-QĐ/TW, 102-QĐ/TW của Bộ Chính trị",
     [("Quy định", "101", None, "QĐ/TW", None, "Bộ Chính trị"), ("Quy định", "102", None, "QĐ/TW", None, "Bộ Chính trị")]),
    ("Nghị định số 15/2020/NĐ-CP và Nghị định số 14/2022/NĐ-CP ngày 27/01/2022",  # years differ: no sharing
     [("Nghị định", "15", 2020, "NĐ-CP", None, None), ("Nghị định", "14", 2022, "NĐ-CP", D(2022, 1, 27), None)]),
    ("các Quyết định số 1234/QĐ-UBND, 1235/QĐ-UBND của UBND tỉnh",
     [("Quyết định", "1234", None, "QĐ-UBND", None, "UBND tỉnh"), ("Quyết định", "1235", None, "QĐ-UBND", None, "UBND tỉnh")]),
    # --- broken, glued, damaged ----------------------------------------------------------------
    ("Kế hoạch số 635/KH-\nUBND ngày 26/01/2025 của UBND tỉnh",
     [("Kế hoạch", "635", None, "KH-UBND", D(2025, 1, 26), "UBND tỉnh")]),
    ("Quyết định số 23-QĐ/TW[^1] ngày 30/7/2021", [("Quyết định", "23", None, "QĐ/TW", D(2021, 7, 30), None)]),
    ("Quyết định số 23-QĐ/TW1 ngày 30/7/2021", [("Quyết định", "23", None, "QĐ/TW", D(2021, 7, 30), None)]),
    ("nhất là Chỉ thị số 33/CT-TTg2. Tiếp tục", [("Chỉ thị", "33", None, "CT-TTg", None, None)]),
    ("Quyết định số 1662/QĐ- BKHCN ngày 15/6/2018", [("Quyết định", "1662", None, "QĐ-BKHCN", D(2018, 6, 15), None)]),
    ("thực hiện Chỉ thị số 33/CT-TTEg kịp thời rà soát", [("Chỉ thị", "33", None, "CT-TTg", None, None)]),  # OCR
    ("theo Nghị quyết số 76/NNQ-CP ngày 15/7/2021 của Chính phủ",  # OCR doubled a letter
     [("Nghị quyết", "76", None, "NQ-CP", D(2021, 7, 15), "Chính phủ")]),
    ("Trả lời công văn số 12/CCT-TTHT ngày 3/3/2025", [("Công văn", "12", None, "CCT-TTHT", D(2025, 3, 3), None)]),
    ("CIRCULAR\nNO. 75/2024/TT-BTC DATED OCTOBER 31, 2024", [("Thông tư", "75", 2024, "TT-BTC", None, None)]),
    # --- dates ---------------------------------------------------------------------------------------
    ("Kế hoạch số 12/KH-UBND trước ngày 30/6/2026 các sở báo cáo",  # a deadline, not an issue date
     [("Kế hoạch", "12", None, "KH-UBND", None, None)]),
    ("Quyết định số 5/QĐ-UBND ngày 31/02/2021", [("Quyết định", "5", None, "QĐ-UBND", None, None)]),
    ("Quyết định số 5/QĐ-UBND ban hành ngày 3/4/2021", [("Quyết định", "5", None, "QĐ-UBND", D(2021, 4, 3), None)]),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:48] for c in CASES])
def test_numbered_citation_parts(text, expected):
    got = [(c.type, c.number, c.year, c.symbol, c.issue_date, c.issuer) for c in numbered(text)]
    assert got == expected


# Strings that look like numbers with slashes or dashes but cite nothing.
NEGATIVES = [
    "ngày 26/11/2021",
    "Hệ thống quản lý chất lượng theo ISO 9001:2015",
    "điện thoại 0213.3876.543, fax 0213 3876 544",
    "giai đoạn 2021-2030 và 2026 - 2031",
    "theo quy định tại Điều 5, khoản 2, điểm a",
    "Số: 123/KH-UBND",
    "  Số 383-QĐ/TW",
    "(Kèm Kế hoạch số /KH-UBND ngày /5/2026 của Chủ tịch UBND tỉnh)",
    "kê khai theo mẫu số 03/TNDN",
    "Thanh niên xung phong đã chết (Mẫu số 04-A).",
    "TAND khu vực 6 - TP Hồ Chí Minh",
    "Tiêu chuẩn cơ sở 661: 2018/BVTV quy trình",
    "tỷ lệ 2/3 số thành viên",
    "Quý III/2026, tháng 11/2025",
    "K0+000 - K16+500",
    "Số hiệu:\n5348/CT-CS",
    "từ 01 - 02 mô hình “Dân vận khéo”",
    "phòng, chống dịch COVID-19",
    "trực 24/7",
    "lúc 14h30, ngày 05/6",
    "km 5/QL1A",
    "Biểu 2 - Dòng tích lũy",
    "Thông tư số ... /2025/TT-BTC",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_no_citation(text):
    assert numbered(text) == []


def test_spans_cover_the_mention_and_date():
    text = "Thực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ về công tác dân vận."
    (c,) = cite(text)
    assert c.raw == "Chỉ thị số 33/CT-TTg ngày 26/11/2021"
    assert text[c.date_start:c.date_end] == "ngày 26/11/2021"
    assert c.subject == "công tác dân vận"
    assert c.grammar == "administrative" and c.type_code == "CT"


def test_shared_suffix_spans_and_shared_date_span():
    text = "theo Quyết định số 217, 218-QĐ/TW ngày 12/12/2013 của Bộ Chính trị"
    a, b = cite(text)
    assert (a.raw, b.raw) == ("Quyết định số 217", "218-QĐ/TW ngày 12/12/2013")
    assert text[a.date_start:a.date_end] == text[b.date_start:b.date_end] == "ngày 12/12/2013"


@pytest.mark.parametrize("text,grammar", [
    ("Nghị định số 59/2023/NĐ-CP", "normative"),
    ("Luật số 72/2025/QH15", "normative"),
    ("Chỉ thị số 33/CT-TTg", "administrative"),
    ("Công văn số 91/UBND-TH", "administrative"),
    ("Quyết định số 23-QĐ/TW", "party"),
    ("Kế hoạch số 30-KH/ĐU", "party"),
])
def test_grammar(text, grammar):
    assert cite(text)[0].grammar == grammar


@pytest.mark.parametrize("sym,canonical", [
    ("CT-TTg", "CT-TTg"), ("QÐ/TW", "QĐ/TW"), ("ND-CP", "NĐ-CP"), ("NĐCP", "NĐ-CP"), ("TTBKHĐT", "TT-BKHĐT"),
    ("TT-BGD&ĐT", "TT-BGDĐT"), ("KH/TU1", "KH/TU"), ("UBTVQH15", "UBTVQH15"), ("CTr/BCĐ", "CTr/BCĐ"),
])
def test_symbol_canonical(sym, canonical):
    assert parse_symbol(sym, 0, sym).canonical == canonical


# --- named instruments ------------------------------------------------------------------------

NAMED = [
    ("Tiếp tục chỉ đạo triển khai thực hiện Luật Thực hiện dân chủ ở cơ sở năm 2022; Nghị định",
     [("Luật", "Luật Thực hiện dân chủ ở cơ sở", 2022)]),
    ("quy định của Hiến pháp, pháp luật của Nhà nước", [("Hiến pháp", "Hiến pháp", None)]),
    ("Căn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam;", [("Hiến pháp", "Hiến pháp", None)]),
    ("thắng lợi Nghị quyết Đại hội đại biểu toàn quốc lần thứ XIV của Đảng.",
     [("Nghị quyết", "Nghị quyết Đại hội đại biểu toàn quốc lần thứ XIV của Đảng", None)]),
    ("tuyên truyền Nghị quyết Đại hội Đảng bộ tỉnh Quảng Trị và xã Vĩnh Thủy lần thứ I, nhiệm kỳ 2025-2030.",
     [("Nghị quyết", "Nghị quyết Đại hội Đảng bộ tỉnh Quảng Trị", None)]),
    ("Nghị quyết Đại hội Đảng toàn quốc lần thứ XIV, Nghị quyết Đại hội Đảng bộ xã Vĩnh Thủy lần thứ I, nhiệm kỳ 2025-2030;",
     [("Nghị quyết", "Nghị quyết Đại hội Đảng toàn quốc lần thứ XIV", None),
      ("Nghị quyết", "Nghị quyết Đại hội Đảng bộ xã Vĩnh Thủy lần thứ I, nhiệm kỳ 2025-2030", None)]),
    ("Tổ chức triển khai có hiệu quả Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021-2030 theo",
     [("Chương trình", "Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021-2030", 2021)]),
    ("của Chính phủ; Kế hoạch Cải cách hành chính xã Vĩnh Thủy năm 2026. Tiếp tục",
     [("Kế hoạch", "Kế hoạch Cải cách hành chính xã Vĩnh Thủy năm 2026", 2026)]),
    ("thực hiện Luật Phòng, chống tham nhũng năm 2018 và", [("Luật", "Luật Phòng, chống tham nhũng", 2018)]),
    ("theo Luật Cán bộ, công chức và Luật Viên chức", [("Luật", "Luật Cán bộ, công chức", None),
                                                     ("Luật", "Luật Viên chức", None)]),
    # not named instruments
    ("Văn phòng UBND tỉnh ban hành Kế hoạch triển khai, thực hiện công tác dân vận chính quyền năm 2026", []),
    ("UBND xã ban hành Kế hoạch thực hiện công tác dân vận chính quyền năm 2026 với các nội dung", []),
    ("mời Luật sư tham gia; theo Luật này", []),
    ("triển khai Nghị quyết đại hội đảng các cấp.", []),
    ("trọng tâm là Luật Tổ chức chính quyền địa phương số 72/2025/QH15", []),
    ("Nghị quyết của HĐND tỉnh quyết định các biện pháp", []),
]


@pytest.mark.parametrize("text,expected", NAMED, ids=[n[0][:48] for n in NAMED])
def test_named_instruments(text, expected):
    got = [(c.type, c.name, c.year) for c in cite(text) if c.grammar == "named"]
    assert got == expected


def test_numbered_law_keeps_its_name():
    (c,) = cite("Căn cứ Luật Tổ chức chính quyền địa phương số 72/2025/QH15;")
    assert c.name == "Luật Tổ chức chính quyền địa phương"
    assert c.raw == "Luật Tổ chức chính quyền địa phương số 72/2025/QH15"


def test_type_word_across_a_name_yields_to_the_code():
    (c,) = numbered("quy định chi tiết thi hành một số điều của Luật Quy hoạch (Số 37/2019/NĐ-CP ngày 07/5/2019)")
    assert (c.type, c.name, c.raw) == ("Nghị định", None, "Số 37/2019/NĐ-CP ngày 07/5/2019")
    assert "type_conflict" in c.flags


# --- documents ----------------------------------------------------------------------------------


class _Meta:
    def __init__(self, **kw):
        self.__dict__.update(dict(doc_number=None, province=None, commune=None, title=None), **kw)


def _doc(text: str, body_end: int | None = None, **kw) -> Document:
    d = Document("d", "<t>", "", "txt", text, OffsetMap(), len(text) if body_end is None else body_end, **kw)
    return d


def test_own_number_is_not_a_citation():
    text = "KẾ HOẠCH\nSố: 123/KH-UBND\nThực hiện Kế hoạch số 45/KH-UBND; Kế hoạch số 123/KH-UBND này được gửi"
    d = _doc(text)
    d.metadata = _Meta(doc_number="123/KH-UBND")
    assert [c.number for c in extract_citations(d)] == ["45"]


def test_footnotes_and_sections():
    body = "I. MỤC ĐÍCH\nThực hiện tốt quy định[^1].\n"
    text = body + "\n[^1]: Quyết định số 23-QĐ/TW ngày 30/7/2021 của Bộ Chính trị.\n"
    fn_start = text.index("Quyết định")
    d = _doc(text, body_end=len(body) + 1,
             footnotes=[Footnote("1", fn_start, len(text) - 1)],
             footnote_refs=[FootnoteRef("1", body.index("[^1]"), body.index("[^1]") + 4)],
             sections=[Section(0, None, 1, "I", "MỤC ĐÍCH", "purpose_requirements", 0, len(body))])
    d.metadata = _Meta(province="Lai Châu")
    (c,) = extract_citations(d)
    assert c.in_footnote is True and c.section_id == 0 and c.province == "Lai Châu"


def test_to_row_has_the_schema_columns():
    from pipeline.schema import CITATIONS

    (c,) = cite("Chỉ thị số 33/CT-TTg ngày 26/11/2021")
    assert set(c.to_row()) == set(CITATIONS.names) - {"doc_id", "citation_id"}


# --- fuzzing: never crashes, offsets always valid ---------------------------------------------------

PIECES = ["Quyết định", "Nghị định", "Luật", "Kế hoạch", "Chỉ thị", " số ", "số", " ", " ", "\n", ", ", "; ", " và ",
          "123", "08", "2021", "2025", "/", "-", " / ", " - ", "QĐ", "QÐ", "TTg", "TTG", "CP", "NĐ", "ND", "UBND", "TW",
          "QH15", "KH", "CTr", "BCĐ", "ngày ", "26/11/2021", "12 tháng 6 năm 2025", "của ", "Bộ Chính trị", "(khóa XII)",
          "[^1]", "về ", "Hiến pháp", "Nghị quyết Đại hội", "năm 2022", "Đảng", "“", "”", ".", ":", "Số: ", "Mẫu số ",
          "ISO 9001:2015", "I.", "a)", "| 1 | ", "BТС", "&"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=40))
def test_fuzz_offsets_are_valid(pieces):
    text = "".join(pieces)
    for c in citations_in_text(text):
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start:c.end] == c.raw
        if c.date_start is not None:
            assert 0 <= c.date_start < c.date_end <= len(text)
        if c.number is not None:
            assert c.symbol and c.number.isdigit()
