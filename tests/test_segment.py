"""Segmentation: section trees and canonical labels from heading shapes."""

from __future__ import annotations

import pytest

from pipeline.document import RawDocument
from pipeline.normalize import normalize
from pipeline.segment import label_for_heading, segment


def tree(text: str, max_level: int = 9):
    d = segment(normalize(RawDocument.from_text(text)))
    return [(s.level, s.ordinal, s.label) for s in d.sections if s.level <= max_level]


@pytest.mark.parametrize("heading, label", [
    ("MỤC ĐÍCH, YÊU CẦU", "purpose_requirements"),
    ("MỤC ĐÍCH", "purpose_requirements"),
    ("YÊU CẦU", "purpose_requirements"),
    ("MỤC TIÊU", "purpose_requirements"),
    ("MỘT SỐ CHỈ TIÊU CỤ THỂ", "targets"),
    ("MỤC TIÊU, CHỈ TIÊU", "targets"),
    ("NHIỆM VỤ VÀ GIẢI PHÁP", "tasks"),
    ("NỘI DUNG NHIỆM VỤ", "tasks"),
    ("NỘI DUNG", "tasks"),
    ("NHIỆM VỤ, GIẢI PHÁP", "tasks"),
    ("Nhiệm vụ trọng tâm", "tasks"),
    ("TỔ CHỨC THỰC HIỆN", "implementation"),
    ("Tổ chức thực hiện", "implementation"),
    ("PHÂN CÔNG NHIỆM VỤ", "implementation"),
    ("KINH PHÍ THỰC HIỆN", "budget"),
    ("PHỤ LỤC", "appendix"),
    ("NHỮNG ĐIỀU KHÁC", "other"),
])
def test_labels(heading, label):
    assert label_for_heading(heading) == label


@pytest.mark.parametrize("text, expected", [
    # preamble, Roman sections, closing
    ("KẾ HOẠCH\nThực hiện Chỉ thị số 33.\nI. MỤC ĐÍCH, YÊU CẦU\nNội dung.\nII. NỘI DUNG\nNội dung.\n"
     "III. TỔ CHỨC THỰC HIỆN\nGiao Sở.\nNơi nhận:\n- Như trên;\nCHỦ TỊCH\nNguyễn Văn A",
     [(1, None, "preamble"), (1, "I", "purpose_requirements"), (1, "II", "tasks"), (1, "III", "implementation"),
      (1, None, "closing")]),
    # a stray space before the dot, OCR "IL."
    ("I . MỤC ĐÍCH\nNội dung.\nIL. NHIỆM VỤ\nNội dung.", [(1, "I", "purpose_requirements"), (1, "II", "tasks")]),
    # sub-labels purpose / requirements
    ("I. MỤC ĐÍCH, YÊU CẦU\n1. Mục đích\n- Một.\n2. Yêu cầu\n- Hai.",
     [(1, "I", "purpose_requirements"), (2, "1", "purpose"), (3, "-", None), (2, "2", "requirements"),
      (3, "-", None)]),
    # Arabic levels and lettered items nest
    ("II. NHIỆM VỤ\n1. Một\n1.1. Một một\n1.1.1. Một một một\na) Chữ\n+ Cộng\n2. Hai",
     [(1, "II", "tasks"), (2, "1", None), (3, "1.1", None), (4, "1.1.1", None), (5, "a", None), (6, "+", None),
      (2, "2", None)]),
    # an appendix after the signature, with its own Roman headings nested inside
    ("I. NHIỆM VỤ\nNội dung.\nNơi nhận:\n- Như trên.\nCHỦ TỊCH\nTrần B\nPHỤ LỤC\nI. DANH MỤC\n1. Một",
     [(1, "I", "tasks"), (1, None, "closing"), (1, None, "appendix"), (2, "I", None), (3, "1", None)]),
    # lettered top-level headings when there are no Roman ones
    ("A. MỤC ĐÍCH\nNội dung.\nB. TỔ CHỨC THỰC HIỆN\nNội dung.",
     [(1, "A", "purpose_requirements"), (1, "B", "implementation")]),
    # a rule of dashes in a letterhead is not a bullet
    ("ỦY BAN NHÂN DÂN\n-------\nI. NỘI DUNG\nNội dung.", [(1, None, "preamble"), (1, "I", "tasks")]),
])
def test_trees(text, expected):
    assert tree(text) == expected


def test_section_spans_nest_and_cover_body():
    d = segment(normalize(RawDocument.from_text(
        "I. MỤC ĐÍCH\n1. Một.\n2. Hai.\nII. TỔ CHỨC THỰC HIỆN\n1. Ba.")))
    by_id = {s.section_id: s for s in d.sections}
    for s in d.sections:
        assert 0 <= s.start < s.end <= d.body_end
        if s.parent_id is not None:
            p = by_id[s.parent_id]
            assert p.start <= s.start and s.end <= p.end
    assert d.section_at(d.text.index("Ba.")).ordinal == "1"
    assert d.top_section_at(d.text.index("Ba.")).label == "implementation"
