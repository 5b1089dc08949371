"""The shortcuts that make normalize fast give the same answers as the rules they stand for.

Each cheap test (a first/last character, a substring, a stdlib scan) may only skip a regex
when the regex could not have matched; these tests compare them on hand-picked lines and
on many random ones built from the characters that matter.
"""

from __future__ import annotations

import random

import pytest

from pipeline import normalize as N
from pipeline.document import OffsetMap

SAMPLES = [
    "", " ", "a", ".", "I.", "II .", "1.2.", "a)", "Đ.", "- 5 -", "Trang 3", "trang 12/40", " 7 ", "12/40 -",
    "KẾ HOẠCH", "KẾ HOẠCH :", "QUYẾT ĐỊNH:", "PHỤ LỤC", "LUẬT", "THÔNG TƯ LIÊN TỊCH", "Kế hoạch",
    "KT. CHỦ TỊCH", "TM. ỦY BAN", "Q. GIÁM ĐỐC", "Nơi nhận:", "V/v triển khai", "Số: 12/KH-UBND", "Số 12",
    "PHẦN I", "Chương II", "Mục 3", "Điều 5. Hiệu lực", "(Kèm theo", "Hà Nội, ngày 20 tháng 11 năm 2025",
    "Ủy ban nhân dân tỉnh", "UBND TỈNH LAI CHÂU", "Căn cứ Luật", "hành động.", "số 635/KH-", "2026-",
    "kết thúc.”", "kết thúc.)]", "tháng 12;", "xong./.", "xong!", "Hết…", "nội dung”)", "”", ")", "của", "tại",
    "phối hợp với", "Bộ Tài chính", "1.003587", "(12)", "- Nâng cao nhận thức.", "+ Tuyên truyền.", "● Mục",
    "A. Mục tiêu", "B) Yêu cầu", "X. KẾT LUẬN", "IL. NỘI DUNG", "Il. Nội dung", "1 Quyết định", "¹ Ghi chú",
    "ⓐ", "ǅ", "ª", "\x1cKẾ HOẠCH", "KẾ HOẠCH\x1c", "# Tiêu đề", "  ## Tiêu đề", "## ", "#", "######  x",
    "oá uỷ Uỷ quý Quỳnh hoàn khoá xoài oẹo", "Ðảng ðồng Ð\u0301", "a__b", "__x", "x__ y", "**đậm**", "a\u00a0b\r\nc",
]
ALPHABET = list(" .;:!?…\"”’)]/-|#_*,0123456789¹²IVXLlCKTQMNPSĐđaeouhyAOUHYáàảãạéýỳỷỹỵÁÝ\u0301\u00a0\r\n\t\x1c")
WORDS = ["KẾ HOẠCH", "PHỤ LỤC", "Nơi nhận", "ngày", "Căn cứ", "Thực hiện", "Điều", "Chương", "V/v", "Số", "tại",
         "của", "và", "TUQ.", "KT.", "Trang", "oá", "uỷ", "qu", "- ", "1. ", "a) "]


def _random_strings(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = [rng.choice(WORDS) if rng.random() < 0.3 else rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))]
        out.append("".join(parts))
    return out


STRINGS = SAMPLES + _random_strings(20000)


def test_ends_sentence_is_the_terminal_regex():
    for s in STRINGS:
        s = s.rstrip()
        assert N._ends_sentence(s) == bool(N._TERMINAL_RE.search(s)), s


def test_doc_type_test_is_the_regex():
    for s in STRINGS:
        s = s.strip()
        if s:
            assert N._is_doc_type_line(s) == bool(N._DOC_TYPE_LINE_RE.match(s)), s


def test_block_start_prefilter_never_hides_a_match():
    for s in STRINGS:
        s = s.strip()
        if s and N._BLOCK_START_RE.match(s):
            assert N._may_start_block(s), s


def test_page_number_prefilter_never_hides_a_match():
    for s in STRINGS:
        if s.strip() and N._PAGE_NUMBER_RE.match(s):
            assert N._may_be_page_number(s), s
    for k in range(1000):
        for s in (str(k), f" - {k} - ", f"Trang {k}", f"{k}/12", f"trang  {k} / 9  "):
            assert N._may_be_page_number(s) == bool(N._PAGE_NUMBER_RE.match(s)), s


def test_is_caps_is_the_caps_rule():
    for s in STRINGS:
        want = bool(N.CAPS_LINE_RE.match(s)) and sum(c.isalpha() for c in s) >= 2
        assert N._is_caps(s) == want, s


def test_strip_offsets_is_strip_then_heading_hashes():
    for t in STRINGS:
        a = len(t) - len(t.lstrip())
        b = len(t.rstrip())
        m = N._HEADING_HASH_RE.match(t, a)
        assert N._strip_offsets(t) == ((m.end() if m else a), b), t


def test_tone_fix_is_the_tone_substitution():
    for s in STRINGS + [" ".join(STRINGS[k:k + 40]) for k in range(0, 2000, 40)]:
        want = N._TONE_RE.sub(lambda m: N._old_tone(m.group()), s)
        assert N._fix_tone(s) == want, s


@pytest.mark.parametrize("text, expected", [
    ("hoá", "hóa"), ("HOÁ", "HÓA"), ("Hoá", "Hóa"), ("thuỷ", "thủy"),
    # a case change half-way through a word (typed, or OCR) used to raise KeyError
    ("hoÁ", "hóA"), ("HoÁ", "HóA"), ("uÝ", "úY"), ("Uý", "Úy"),
    ("quý", "quý"), ("khoản", "khoản"),
])
def test_old_tone_every_case(text, expected):
    assert N.normalize_chars(text)[0] == expected


def test_char_matches_are_the_regex_matches():
    for s in STRINGS + ["".join(STRINGS[k:k + 40]) for k in range(0, 2000, 40)]:
        want = [(m.span(), m.lastgroup) for m in N._CHAR_RE_NFC.finditer(s)]
        assert [(m.span(), m.lastgroup) for m in N._nfc_char_matches(s)] == want, s


@pytest.mark.parametrize("seed", range(5))
def test_to_raw_many_is_to_raw(seed):
    rng = random.Random(seed)
    for _ in range(500):
        n = rng.randint(1, 8)
        norm = sorted(rng.randint(0, 30) for _ in range(n))
        raw = sorted(rng.randint(0, 40) for _ in range(n))
        m = OffsetMap(list(zip(norm, raw)))
        pos = [rng.randint(-3, 40) for _ in range(rng.randint(0, 30))]
        if rng.random() < 0.5:
            pos.sort()
        assert m.to_raw_many(pos) == [m.to_raw(p) for p in pos]
    assert OffsetMap().to_raw_many([0, 7, 3]) == [0, 7, 3]
    assert OffsetMap().to_raw_many([-2]) == [0]


def test_split_lines_pages_and_candidates():
    text = "a\n\n 1 Ghi chú\fTrang 2\n" + " " * 12 + "\n- 3 -\n| x | y |\n"
    lines, numbers, footnotes = N._split_lines(text)
    assert [(ln.text, ln.page, ln.page_start, ln.kind) for ln in lines] == [
        ("a", 1, True, "text"), ("", 1, False, "blank"), (" 1 Ghi chú", 1, True, "text"),
        ("Trang 2", 2, True, "text"), (" " * 12, 2, False, "blank"), ("- 3 -", 2, False, "text"),
        ("| x | y |", 2, False, "table"), ("", 2, False, "blank")]
    assert all(text[ln.start:ln.end] == ln.text for ln in lines)
    assert numbers == [3, 5]
    assert footnotes == [2, 4]


def test_block_start_by_first_character_is_the_block_start_rule():
    for s in STRINGS + [c + rest for c in "PCMIVXLAĐad0١-+•●(NKTQSHỦ“ " for rest in ("", ". ", ") ", "1.2 x", "ều 5",
                                                                               "ơi nhận", "T.", "/v x", "ố:",
                                                                               "à Nội, ngày 5", " Kèm", "Kèm")]:
        s = s.strip()
        if s:
            assert N._block_start(s) == bool(N._BLOCK_START_RE.match(s)), s


def test_unmarked_footnote_prefilter_never_hides_a_match():
    extra = [f"{p}{d}{s}{u}" for p in ("", " ", "\u2028") for d in ("1", "12", "123", "٣", "²")
             for s in ("", " ", "-", " - ", "\u2028", ".", "\x1c") for u in ("Quyết", "quyết", "", "Ǆ")]
    for s in STRINGS + extra:
        if N._UNMARKED_FN_START_RE.match(s):
            assert N._may_be_unmarked_fn_start(s), s


def test_page_number_prefilter_on_long_and_odd_lines():
    rng = random.Random(3)
    alphabet = list("-Tt rang0123456789/\u2028\x85") + ["Trang", "trang"]
    for _ in range(20000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        if s.strip() and N._PAGE_NUMBER_RE.match(s):
            assert N._may_be_page_number(s), repr(s)


def test_lines_view_reads_and_writes_the_columns():
    lines, _, _ = N._split_lines("a\n\nb")
    assert len(lines) == 3 and lines[-1].text == "b" and lines[2].start == 3
    lines[1].kind = "drop"
    assert lines.kind == ["text", "drop", "text"]
    with pytest.raises(IndexError):
        lines[3]


def test_footer_first_letters_never_hide_a_footer():
    _, _, footers, firsts = N._furniture_rules()
    assert firsts is not None
    lines = STRINGS + ["Văn bản gốc", "  Văn bản liên quan ", "\x1cTải văn bản", "Lược đồ", "Cảm ơn đã dùng dịch vụ"]
    for t in lines:
        if footers.match(t.strip()):
            assert t.strip()[:1] in firsts, t
