"""Responsible units: phrases -> (unit, role), unit-name grammar, normalisation, regions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.unit_names import canonical_name, match_unit, split_units, unit_key
from extractors.units import extract_assignments, subject_units
from pipeline import process_text


def roles_in_implementation(*lines: str) -> list[tuple[str, str]]:
    """(unit, role) pairs the extractor finds when ``lines`` form a plan's TỔ CHỨC THỰC HIỆN."""
    text = "KẾ HOẠCH\nCông tác năm 2026\nI. NHIỆM VỤ\n1. Nhiệm vụ chung.\nII. TỔ CHỨC THỰC HIỆN\n" + "\n".join(lines) + "\n"
    doc = process_text(text).document
    out = []
    for a in extract_assignments(doc):
        assert doc.text[a.start:a.end] == a.raw
        if (a.unit, a.role) not in out:
            out.append((a.unit, a.role))
    return out


# (lines of the implementation section, expected (unit, role) pairs in order)
CASES = [
    (["1. Sở Nội vụ", "- Theo dõi, đôn đốc việc thực hiện."], [("Sở Nội vụ", "lead")]),
    (["2. Phòng Văn hoá - Xã hội", "- Tham mưu UBND xã."], [("Phòng Văn hóa - Xã hội", "lead")]),
    (["3. Văn Phòng HĐND và UBND", "- Chủ trì theo dõi."], [("Văn phòng HĐND và UBND", "lead")]),
    (["5. Trung tâm Dịch vụ tổng hợp", "- Đăng tin, bài tuyên truyền."], [("Trung tâm Dịch vụ tổng hợp", "lead")]),
    (["1. Thủ trưởng các cơ quan, đơn vị", "- Triển khai thực hiện."], [("Thủ trưởng các cơ quan, đơn vị", "lead")]),
    (["2. Phòng Hành chính – Quản trị tham mưu theo dõi, đôn đốc."], [("Phòng Hành chính - Quản trị", "lead")]),
    (["1. Các phòng, ban, trung tâm triển khai Kế hoạch này."], [("Các phòng, ban, trung tâm", "lead")]),
    (["2. Giao Sở Nội vụ theo dõi, đôn đốc, kiểm tra."], [("Sở Nội vụ", "lead")]),
    (["Giao cho Phòng Kinh tế tham mưu."], [("Phòng Kinh tế", "lead")]),
    (["Sở Tài chính chủ trì, phối hợp với Sở Nội vụ thẩm định kinh phí."],
     [("Sở Tài chính", "lead"), ("Sở Nội vụ", "support")]),
    (["Giao Sở Y tế chủ trì, phối hợp với các cơ quan, đơn vị liên quan tổ chức thực hiện."],
     [("Sở Y tế", "lead"), ("Các cơ quan, đơn vị liên quan", "support")]),
    (["3. Đề nghị Ủy ban MTTQ Việt Nam tỉnh và các tổ chức chính trị - xã hội tỉnh phối hợp tuyên truyền."],
     [("Ủy ban MTTQ Việt Nam tỉnh và các tổ chức chính trị - xã hội tỉnh", "lead")]),
    (["Sở Tài chính, Sở Xây dựng, Công an tỉnh: Chủ động phối hợp triển khai."],
     [("Sở Tài chính", "lead"), ("Sở Xây dựng", "lead"), ("Công an tỉnh", "lead")]),
    (["Các sở, ban, ngành; UBND các xã, phường căn cứ chức năng, nhiệm vụ tổ chức thực hiện."],
     [("Các sở, ban, ngành", "lead"), ("UBND các xã, phường", "lead")]),
    (["Các sở, ngành phối hợp thực hiện."], [("Các sở, ngành", "support")]),
    (["Sở Nội vụ phối hợp với Sở Tài chính tham mưu."], [("Sở Nội vụ", "lead"), ("Sở Tài chính", "support")]),
    (["4. Trung tâm Phục vụ hành chính công", "- Phối hợp với các phòng chuyên môn để tổ chức đối thoại."],
     [("Trung tâm Phục vụ hành chính công", "lead"), ("Các phòng chuyên môn", "support")]),
    (["5. Trung tâm Dịch vụ tổng hợp", "- Chủ động phối hợp với các cơ quan, đơn vị đăng tin, bài."],
     [("Trung tâm Dịch vụ tổng hợp", "lead"), ("Các cơ quan, đơn vị", "support")]),
    (["Việc kiểm tra do Thanh tra tỉnh chủ trì thực hiện."], [("Thanh tra tỉnh", "lead")]),
    (["- Đơn vị chủ trì: Sở Khoa học và Công nghệ.", "- Đơn vị phối hợp: Các sở, ban, ngành; UBND cấp xã."],
     [("Sở Khoa học và Công nghệ", "lead"), ("Các sở, ban, ngành", "support"), ("UBND cấp xã", "support")]),
    (["Trên đây là Kế hoạch năm 2026, Ủy ban nhân dân xã yêu cầu Thủ trưởng các cơ quan, đơn vị triển khai thực hiện./."],
     [("Thủ trưởng các cơ quan, đơn vị", "lead")]),
    (["Trên đây là Kế hoạch; đề nghị Thủ trưởng các cơ quan, đơn vị, địa phương nghiêm túc triển khai thực hiện./."],
     [("Thủ trưởng các cơ quan, đơn vị, địa phương", "lead")]),
    (["Các cơ quan, đơn vị địa phương rà soát, ban hành quy chế."], [("Các cơ quan, đơn vị, địa phương", "lead")]),
    (["Ủy ban nhân dân các xã, phường, đặc khu trình Hội đồng nhân dân cùng cấp ban hành Nghị quyết."],
     [("Ủy ban nhân dân các xã, phường, đặc khu", "lead")]),
    (["1. Sở Văn hóa, Thể thao và Du lịch", "- Chủ trì tổ chức các hoạt động."], [("Sở Văn hóa, Thể thao và Du lịch", "lead")]),
    (["1. Trách nhiệm của Sở Giáo dục và Đào tạo", "- Hướng dẫn các trường."], [("Sở Giáo dục và Đào tạo", "lead")]),
    (["Chủ tịch UBND các xã chỉ đạo triển khai."], [("Chủ tịch UBND các xã", "lead")]),
    # traps: recipients, advised bodies and subject-less cooperation are not assignments
    (["- Báo cáo kết quả về UBND xã (qua Phòng Văn hóa - Xã hội) trước ngày 01/6."], []),
    (["- Tham mưu UBND xã theo dõi, kiểm tra, đôn đốc."], []),
    (["Phối hợp với Ủy ban Mặt trận Tổ quốc trong công tác dân vận."], []),
    (["- Chủ động tham mưu, đề xuất UBND xã chỉ đạo thực hiện."], []),
    (["Báo cáo theo yêu cầu của Ban Tuyên giáo và Dân vận Tỉnh ủy."], []),
    (["Cơ quan được đánh giá, xếp loại hoàn thành tốt nhiệm vụ."], []),
    (["Ban hành kế hoạch triển khai trong tháng 3."], []),
    (["Lãnh đạo thực hiện hiệu quả việc đăng ký mô hình."], []),
]


@pytest.mark.parametrize("lines,expected", CASES, ids=[c[0][0][:40] for c in CASES])
def test_roles(lines, expected):
    assert roles_in_implementation(*lines) == expected


def test_regions_without_assignments():
    text = ("KẾ HOẠCH\nCông tác năm 2026\nUBND xã Vĩnh Thủy ban hành Kế hoạch như sau:\n"
            "I. MỤC ĐÍCH, YÊU CẦU\n- Sở Nội vụ tham mưu thực hiện tốt.\n"
            "II. TỔ CHỨC THỰC HIỆN\n1. Phòng Kinh tế chủ trì.\n"
            "Nơi nhận:\n- Sở Nội vụ (b/c);\n- Các phòng, ban, trung tâm;\n- Lưu: VT.\n")
    doc = process_text(text).document
    got = [(a.unit, a.role) for a in extract_assignments(doc)]
    assert got == [("Phòng Kinh tế", "lead")]


def test_table_assignments_split_cells():
    text = ("KẾ HOẠCH\nCông tác năm 2026\nI. NHIỆM VỤ\n1. Chung.\nPHỤ LỤC\n"
            "| STT | Nội dung | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian |\n|---|---|---|---|---|\n"
            "| 1 | Cải cách hành chính | Sở Nội vụ, Sở Tư pháp, Văn phòng UBND tỉnh, | Các cơ quan, đơn vị, địa phương | Thường xuyên |\n"
            "| 2 | Giám sát | Các sở, ban, ngành; UBND cấp xã | Các đơn vị sự nghiệp công lập, UBMTTQVN và tổ chức chính trị - xã hội các cấp | Quý III/2026 |\n")
    doc = process_text(text).document
    got = [(a.unit, a.role, a.row, a.source, a.unit_kind) for a in extract_assignments(doc)]
    assert got == [
        ("Sở Nội vụ", "lead", 1, "table", "specific"),
        ("Sở Tư pháp", "lead", 1, "table", "specific"),
        ("Văn phòng UBND tỉnh", "lead", 1, "table", "specific"),
        ("Các cơ quan, đơn vị, địa phương", "support", 1, "table", "collective"),
        ("Các sở, ban, ngành", "lead", 2, "table", "collective"),
        ("UBND cấp xã", "lead", 2, "table", "collective"),
        ("Các đơn vị sự nghiệp công lập", "support", 2, "table", "collective"),
        ("UBMTTQVN và tổ chức chính trị - xã hội các cấp", "support", 2, "table", "collective"),
    ]


UNIT_STARTS = [
    ("Sở Nội vụ tham mưu", "Sở Nội vụ", "specific"),
    ("Trung tâm Tin học và Công báo tham mưu viết", "Trung tâm Tin học và Công báo", "specific"),
    ("UBND tỉnh Lâm Đồng chủ trì", "UBND tỉnh Lâm Đồng", "specific"),
    ("Sở Nông nghiệp và Môi trường, Sở Tài chính", "Sở Nông nghiệp và Môi trường", "specific"),
    ("Ban Quản lý các KCN tỉnh chủ trì", "Ban Quản lý các KCN tỉnh", "specific"),
    ("Ủy ban Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị - xã hội các cấp",
     "Ủy ban Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị - xã hội các cấp", "collective"),
    ("UBND các cấp triển khai", "UBND các cấp", "collective"),
    ("Các sở, ban, ngành tỉnh căn cứ", "Các sở, ban, ngành tỉnh", "collective"),
    ("UBND các xã, phường tổ chức cấp phát", "UBND các xã, phường", "collective"),
    ("Sở Nội vụ và Sở Tài chính", "Sở Nội vụ", "specific"),
    ("Ban Quản lý khu Kinh tế tỉnh Đồng Tháp 2026", "Ban Quản lý khu Kinh tế tỉnh Đồng Tháp", "specific"),
    ("Ủy ban nhân dân tỉnh kết quả thực hiện", "Ủy ban nhân dân tỉnh", "specific"),
]


@pytest.mark.parametrize("text,name,kind", UNIT_STARTS, ids=[u[0][:35] for u in UNIT_STARTS])
def test_match_unit(text, name, kind):
    u = match_unit(text, 0)
    assert (u.name, u.kind) == (name, kind)
    assert text[u.start:u.end] == u.raw


@pytest.mark.parametrize("text", ["Ban hành kế hoạch", "Lãnh đạo thực hiện", "Phòng, chống tham nhũng", "Trên đây là",
                                  "báo cáo kết quả", "Sở hữu trí tuệ"])
def test_not_a_unit(text):
    assert match_unit(text, 0) is None


def test_split_units_keeps_collectives_together():
    cell = "Các sở, ban, ngành; đơn vị sự nghiệp công lập thuộc tỉnh; Ủy ban Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị - xã hội các cấp"
    assert [u.name for u in split_units(cell)] == [
        "Các sở, ban, ngành", "Đơn vị sự nghiệp công lập thuộc tỉnh",
        "Ủy ban Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị - xã hội các cấp"]
    assert [u.name for u in split_units("Sở Nội vụ (chủ trì); Tổ công tác liên ngành")] == [
        "Sở Nội vụ", "Tổ công tác liên ngành"]


@pytest.mark.parametrize("raw,name", [
    ("Văn Phòng HĐND và UBND", "Văn phòng HĐND và UBND"),
    ("phòng Văn hoá – Xã hội", "Phòng Văn hóa - Xã hội"),
    ("các phòng chuyên môn", "Các phòng chuyên môn"),
    ("Uỷ ban nhân dân  tỉnh,", "Ủy ban nhân dân tỉnh"),
])
def test_canonical_name(raw, name):
    assert canonical_name(raw) == name


def test_unit_key_expands_aliases_and_resolves_locality():
    assert unit_key("UBND tỉnh") == unit_key("Ủy ban nhân dân tỉnh")
    assert unit_key("UBMTTQVN xã") == unit_key("Ủy ban Mặt trận Tổ quốc xã")
    assert unit_key("Văn phòng UBND tỉnh", province="Lâm Đồng") == "văn phòng ủy ban nhân dân tỉnh lâm đồng"
    assert unit_key("UBND xã", commune="Vĩnh Thủy") == "ủy ban nhân dân xã vĩnh thủy"
    assert unit_key("Sở Nội vụ", province="Lâm Đồng") == "sở nội vụ"


def test_subject_units_role():
    t = "Các sở, ngành phối hợp thực hiện"
    assert subject_units(t, 0, len(t))[1] == "support"
    t = "Sở Tài chính của tỉnh"
    assert subject_units(t, 0, len(t)) == ([], None)


def test_assignment_row_has_schema_columns():
    from pipeline.schema import ASSIGNMENTS

    text = "KẾ HOẠCH\nNăm 2026\nI. TỔ CHỨC THỰC HIỆN\n1. Giao Sở Nội vụ theo dõi.\n"
    a = extract_assignments(process_text(text).document)[0]
    assert set(a.to_row()) <= set(ASSIGNMENTS.names)
    assert set(ASSIGNMENTS.names) - {"doc_id", "assignment_id"} <= set(a.to_row())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(
    ["Sở", "Nội vụ", "các", "cơ quan", ",", "đơn vị", ";", "và", "UBND", "tỉnh", "xã", "Giao", "phối hợp với", "chủ trì",
     "Đề nghị", " ", "\n", "- ", "1. ", ":", "Phòng", "Văn hóa", " - ", "Xã hội", "(qua", ")", "| ", " |",
     "II. TỔ CHỨC THỰC HIỆN\n", "Thủ trưởng", "tham mưu"]), max_size=40))
def test_never_crashes_offsets_valid(parts):
    text = "".join(parts)
    for p in range(0, len(text), 3):
        u = match_unit(text, p)
        if u is not None:
            assert text[u.start:u.end] == u.raw and u.start == p
    for u in split_units(text):
        assert text[u.start:u.end] == u.raw
    doc = process_text(text).document
    for a in extract_assignments(doc):
        assert doc.text[a.start:a.end] == a.raw
