"""Metadata: table of small documents -> expected fields (shapes seen across provinces and levels)."""

from __future__ import annotations

import datetime as dt

import pytest

from extractors.metadata import issuer_level
from extractors.places import communes_named, find_province_mentions, province_of_name
from pipeline import process_text

LETTERHEAD_DECISION = """ỦY BAN NHÂN DÂN
TỈNH BẮC GIANG
-------
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 123/QĐ-UBND
Bắc Giang, ngày 05 tháng 3 năm 2025
QUYẾT ĐỊNH
Về việc ban hành Kế hoạch chuyển đổi số năm 2025
CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC GIANG
Căn cứ Luật Tổ chức chính quyền địa phương;
QUYẾT ĐỊNH:
Điều 1. Ban hành kèm theo Quyết định này Kế hoạch.
Điều 2. Quyết định có hiệu lực từ ngày ký.
Nơi nhận:
- Như Điều 2;
- Lưu: VT.
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
Lê Ô Pích
"""

COMMUNE_PLAN = """ỦY BAN NHÂN DÂN
XÃ VĨNH THỦY
Số:    /KH-UBND
Vĩnh Thủy, ngày    tháng 02 năm 2026
KẾ HOẠCH
Thực hiện công tác dân vận chính quyền năm 2026
Thực hiện Kế hoạch số 450/KH-UBND của UBND tỉnh Quảng Trị; UBND xã ban hành Kế hoạch như sau:
I. MỤC ĐÍCH, YÊU CẦU
Nội dung.
Nơi nhận:
- UBND tỉnh;
- Lưu: VT.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
Thái Nam Sơn
"""

OFFICE_PLAN = """KẾ HOẠCH
Triển khai công tác cải cách hành chính giai đoạn 2026-2030
Thực hiện Kế hoạch số 12/KH-UBND của UBND tỉnh Thừa Thiên Huế; Văn phòng UBND tỉnh ban hành Kế hoạch như sau:
I. NHIỆM VỤ
Nội dung.
CHÁNH VĂN PHÒNG
Nguyễn Thị Hoa
"""

MINISTRY_LETTER = """BỘ NỘI VỤ
-------
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Số: 5348/BNV-CCHC
V/v hướng dẫn đánh giá cải cách hành chính
Hà Nội, ngày 20 tháng 11 năm 2025
Kính gửi: Ủy ban nhân dân các tỉnh, thành phố.
Bộ Nội vụ hướng dẫn như sau.
"""


@pytest.mark.parametrize("text, expected", [
    (LETTERHEAD_DECISION, dict(doc_type="Quyết định", doc_number="123/QĐ-UBND", issue_date=dt.date(2025, 3, 5),
                               province="Bắc Ninh", issuer_level="province", plan_year=2025,
                               title="Về việc ban hành Kế hoạch chuyển đổi số năm 2025",
                               signer_name="Lê Ô Pích", signer_title="PHÓ CHỦ TỊCH", recipients=["Như Điều 2"])),
    (COMMUNE_PLAN, dict(doc_type="Kế hoạch", doc_number=None, issue_date=None, province="Quảng Trị",
                        issuer="UBND xã Vĩnh Thủy", issuer_level="commune", commune="Vĩnh Thủy", plan_year=2026,
                        signer_name="Thái Nam Sơn", signer_title="CHỦ TỊCH", recipients=["UBND tỉnh"])),
    (OFFICE_PLAN, dict(doc_type="Kế hoạch", province="Huế", issuer="Văn phòng UBND tỉnh Huế",
                       issuer_level="province", plan_year=2026, signer_name="Nguyễn Thị Hoa",
                       signer_title="CHÁNH VĂN PHÒNG")),
    (MINISTRY_LETTER, dict(doc_type="Công văn", doc_number="5348/BNV-CCHC", issue_date=dt.date(2025, 11, 20),
                           issuer="Bộ Nội vụ", issuer_level="central", province=None,
                           title="hướng dẫn đánh giá cải cách hành chính")),
])
def test_metadata(text, expected):
    row = process_text(text).tables["documents"][0]
    got = {k: row[k] for k in expected}
    assert got == expected


@pytest.mark.parametrize("issuer, level", [
    ("UBND xã Vĩnh Thủy", "commune"), ("Đảng ủy phường Ba Đình", "commune"), ("UBND đặc khu Côn Đảo", "commune"),
    ("Văn phòng UBND tỉnh Lai Châu", "province"), ("Sở Nội vụ", "province"), ("Tỉnh ủy Lâm Đồng", "province"),
    ("Ủy ban nhân dân Thành phố Hồ Chí Minh", "province"), ("UBND huyện Mường Tè", "district"),
    ("Thủ tướng Chính phủ", "central"), ("Bộ Tài chính", "central"), ("Cục Thuế", "central"), (None, None),
])
def test_issuer_level(issuer, level):
    assert issuer_level(issuer) == level


@pytest.mark.parametrize("name, province", [
    ("Lâm Đồng", "Lâm Đồng"), ("Đắk Nông", "Lâm Đồng"), ("Bình Thuận", "Lâm Đồng"), ("Hòa Bình", "Phú Thọ"),
    ("Hoà Bình", None),  # callers normalize tone style first
    ("Bà Rịa - Vũng Tàu", "Hồ Chí Minh"), ("TP.HCM", "Hồ Chí Minh"), ("Thừa Thiên Huế", "Huế"),
    ("tỉnh Quảng Bình", "Quảng Trị"), ("Hà Giang", "Tuyên Quang"), ("Atlantis", None),
])
def test_province_names(name, province):
    assert province_of_name(name) == province


def test_place_mentions_need_a_place_word():
    text = "học tập theo tư tưởng, đạo đức, phong cách Hồ Chí Minh; UBND TỈNH LÂM ĐỒNG; TP. Hồ Chí Minh"
    assert [m.province for m in find_province_mentions(text)] == ["Lâm Đồng", "Hồ Chí Minh"]


def test_communes():
    assert {r["province"] for r in communes_named("Vĩnh Thủy", "xã")} == {"Quảng Trị"}
    assert communes_named("Ba Đình", "phường")[0]["province"] == "Hà Nội"


def test_type_and_title_from_the_promulgation_clause_when_the_type_line_is_missing():
    text = ("Thực hiện công tác dân vận năm 2026\n"
            "Căn cứ Chỉ thị số 33/CT-TTg của Thủ tướng Chính phủ;\n"
            "Ủy ban nhân dân tỉnh ban hành Kế hoạch thực hiện công tác dân vận năm 2026 như sau:\n"
            "I. MỤC ĐÍCH\nNội dung.\n")
    row = process_text(text).tables["documents"][0]
    assert (row["doc_type"], row["title"]) == ("Kế hoạch", "Thực hiện công tác dân vận năm 2026")


def test_no_title_invented_when_the_clause_does_not_repeat_the_first_line():
    text = ("Căn cứ Luật Tổ chức chính quyền địa phương;\n"
            "Ủy ban nhân dân tỉnh ban hành Kế hoạch phòng chống thiên tai như sau:\nI. MỤC ĐÍCH\nNội dung.\n")
    row = process_text(text).tables["documents"][0]
    assert (row["doc_type"], row["title"]) == ("Kế hoạch", None)
