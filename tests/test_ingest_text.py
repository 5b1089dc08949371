"""Ingest of text, legacy encodings, content sniffing, and the text-level helpers shared by
the PDF/OCR readers (page furniture, footnote zones, markdown tables, OCR repairs)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from fixtures.ingest_fixtures import to_tcvn3, to_vni
from pipeline.ingest import IngestError, read, read_bytes
from pipeline.ingest import legacy
from pipeline.ingest.footnotes import SEPARATOR, mark_footnote_zones
from pipeline.ingest.furniture import drop_furniture
from pipeline.ingest.markdown import drop_empty, render_table, stitch_page_tables
from pipeline.ingest.ocr_repair import repair_chars, repair_ocr_pages
from pipeline.ingest.sniff import sniff
from pipeline.ingest.text import decode_text, decode_text_with_encoding

REPO = Path(__file__).resolve().parent.parent
BULK = Path("/work/shared/corpus/bulk")
VIET = "Cộng hòa xã hội chủ nghĩa Việt Nam. Độc lập - Tự do - Hạnh phúc. Ủy ban nhân dân tỉnh Lâm Đồng"


# --- sniffing -------------------------------------------------------------------------------

@pytest.mark.parametrize("data,kind", [
    (b"%PDF-1.7\n1 0 obj", "pdf"),
    (b"\x00\x00junk before%PDF-1.4", "pdf"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
    (b"II*\x00\x08\x00", "image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "doc"),
    (b"{\\rtf1\\ansi\\deff0", "rtf"),
    (b"<!DOCTYPE html><html><body>x</body></html>", "html"),
    (b"\xef\xbb\xbf<html><head>", "html"),
    ("KẾ HOẠCH\nNăm 2026".encode(), "text"),
    ("KẾ HOẠCH".encode("utf-16-le"), "text"),
    (b"\x1f\x8b\x08\x00", "gzip"),
    (b"", "empty"),
    (b" \n\t ", "empty"),
    (bytes(range(256)) * 4, "binary"),
])
def test_sniff(data, kind):
    assert sniff(data) == kind


def test_sniff_docx_inside_zip(tmp_path):
    from fixtures.ingest_fixtures import plan_docx
    assert sniff(plan_docx(tmp_path / "a.docx").read_bytes()) == "docx"


# --- decoding -------------------------------------------------------------------------------

@pytest.mark.parametrize("data,text,enc", [
    ("Kế hoạch".encode("utf-8"), "Kế hoạch", "utf-8"),
    (b"\xef\xbb\xbf" + "Kế hoạch".encode("utf-8"), "Kế hoạch", "utf-8"),
    ("Kế hoạch".encode("utf-16"), "Kế hoạch", "utf-16"),
    ("Kế hoạch số 12".encode("utf-16-le"), "Kế hoạch số 12", "utf-16-le"),
    (unicodedata.normalize("NFD", "Kế hoạch").encode("utf-8"), "Kế hoạch", "utf-8"),
    ("Céng hßa x· héi chñ nghÜa ViÖt Nam".encode("cp1252"), "Cộng hòa xã hội chủ nghĩa Việt Nam", "tcvn3"),
    ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam".encode("cp1252"), "Cộng hòa xã hội chủ nghĩa Việt Nam", "vni"),
    ("Viê\u0323t Nam, ngày 05 tháng 01".encode("cp1258"), "Việt Nam, ngày 05 tháng 01", "cp1258"),
    # UTF-8 text still carrying TCVN3 glyphs (pasted out of an old .doc)
    ("QuyÕt ®Þnh sè 23-Q§/TW".encode("utf-8"), "Quyết định số 23-QĐ/TW", "tcvn3"),
])
def test_decode(data, text, enc):
    assert decode_text_with_encoding(data) == (text, enc)


@pytest.mark.parametrize("name", ["tcvn3", "vni"])
def test_legacy_table_examples(name):
    """Every example stored with the mapping data converts as stated (eyecite-style data check)."""
    for src, want in legacy.tables()[name]["examples"]:
        assert legacy.detect(src) == name, src
        assert legacy.to_unicode(src) == want


def test_tcvn3_table_is_the_iconv_codec():
    """The stored TCVN3 table is glibc's TCVN5712-1 codec for bytes A1-FF."""
    import shutil
    import subprocess
    if shutil.which("iconv") is None:
        pytest.skip("iconv not installed")
    table = legacy.tables()["tcvn3"]["bytes"]
    raw = bytes(int(b, 16) for b in table)
    out = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=raw, capture_output=True).stdout.decode()
    assert out == "".join(table.values())


def test_vnitimes_upper_font():
    assert legacy.tcvn3_to_unicode("kÕ ho¹ch", upper=True) == "KẾ HOẠCH"


def _bulk_texts(n: int = 80) -> list[str]:
    files = sorted(BULK.glob("*.txt"))[:n] if BULK.is_dir() else sorted((REPO / "data" / "samples").glob("*.txt"))
    return [unicodedata.normalize("NFC", f.read_text(encoding="utf-8")) for f in files]


def test_legacy_detection_on_real_documents():
    """No Unicode document is taken for legacy; each one re-encoded is recognised and restored."""
    texts = _bulk_texts()
    assert texts
    for t in texts:
        assert legacy.detect(t) is None
        if sum(c.isalpha() and not c.isascii() for c in t[:2000]) < 50:
            continue  # English documents carry nothing to recognise
        sample = t[:2000]
        assert legacy.detect(to_vni(sample)) == "vni"
        assert legacy.vni_to_unicode(to_vni(sample)) == sample
        low = sample.lower()
        assert legacy.detect(to_tcvn3(low)) == "tcvn3"
        assert legacy.tcvn3_to_unicode(to_tcvn3(low)) == low


_vn_words = st.sampled_from(VIET.lower().replace(".", "").replace("-", "").split() + ["quyết", "định", "ngày", "số"])


@settings(max_examples=60, deadline=None)
@given(st.lists(_vn_words, min_size=6, max_size=40))
def test_legacy_round_trip(words):
    text = " ".join(words)
    if legacy.detect(to_tcvn3(text)) is not None:  # too few marked letters to tell is fine
        assert legacy.to_unicode(to_tcvn3(text)) == text
    if legacy.detect(to_vni(text)) is not None:
        assert legacy.to_unicode(to_vni(text)) == text


_vni_scan_alphabet = "aeAEoiuyOIUYbcn ." + legacy._VNI_AFTER_AE + legacy._VNI_AFTER_OIUY + legacy._VNI_ALONE + "đươ"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_vni_scan_alphabet, max_size=30))
def test_the_fast_vni_scan_counts_what_the_signature_pattern_matches(text):
    # The scan (glyph, then a look back) stands in for the readable pair pattern because it is
    # 3.4x faster; the two must agree on every string, glyphs side by side included.
    assert len(legacy._VNI_SIGNATURE_SCAN.findall(text)) == len(legacy._VNI_SIGNATURE_RE.findall(text))


@pytest.mark.parametrize("text, n", [
    ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", 6), ("aâê", 1), ("oø uû", 2), ("öñ", 2), ("hoà quá xuân", 0),
    ("Quyết định số 23", 0)])
def test_vni_signature_counts(text, n):
    assert len(legacy._VNI_SIGNATURE_SCAN.findall(text)) == n


# --- read() on text files and bad input -----------------------------------------------------

def test_read_text_file_pages_and_format(tmp_path):
    p = tmp_path / "kh.md"
    p.write_text("KẾ HOẠCH\fTrang hai\f", encoding="utf-8")
    raw = read(p)
    assert raw.source_format == "md"
    assert [pg.text for pg in raw.pages] == ["KẾ HOẠCH", "Trang hai"]


def test_read_legacy_text_file_warns(tmp_path):
    p = tmp_path / "cu.txt"
    p.write_bytes(to_tcvn3("kế hoạch thực hiện công tác dân vận năm 2026").encode("cp1252"))
    raw = read(p)
    assert raw.pages[0].text == "kế hoạch thực hiện công tác dân vận năm 2026"
    assert any("TCVN3" in w for w in raw.warnings)


@pytest.mark.parametrize("name,data,message", [
    ("empty.txt", b"", "empty file"),
    ("blank.pdf", b"   \n", "empty file"),
    ("x.bin", bytes(range(256)) * 8, "unsupported file type: the content is binary data"),
    ("a.pdf", b"\x1f\x8b\x08\x00\x00\x00", "unsupported file type: the content is a gzip archive (named .pdf)"),
    ("a.xlsx", b"PK\x03\x04" + b"\x00" * 30, "unsupported file type: the content is a ZIP archive"),
])
def test_bad_input_messages(tmp_path, name, data, message):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(IngestError) as e:
        read(p)
    assert str(e.value).startswith(message)


def test_missing_and_directory(tmp_path):
    with pytest.raises(IngestError, match="file not found"):
        read(tmp_path / "nope.txt")
    with pytest.raises(IngestError, match="is a directory"):
        read(tmp_path)


def test_mislabelled_text_is_read_with_warning(tmp_path):
    p = tmp_path / "plan.pdf"
    p.write_text("KẾ HOẠCH\nThực hiện năm 2026", encoding="utf-8")
    raw = read(p)
    assert raw.source_format == "txt" and raw.pages[0].text.startswith("KẾ HOẠCH")
    assert raw.warnings[0] == "file named .pdf is plain text; read as such"


def test_html_page_with_table(tmp_path):
    html = ('<html><head><meta charset="utf-8"><style>p{}</style></head><body>'
            '<table><tr><td>ỦY BAN NHÂN DÂN</td><td>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</td></tr>'
            '<tr><td>Số: 12/KH-UBND</td><td>Lâm Đồng, ngày 05 tháng 01 năm 2026</td></tr></table>'
            '<p>KẾ HOẠCH</p><p>Căn cứ <b>Chỉ thị số 33/CT-TTg</b>;</p>'
            '<table border="1"><tr><th>STT</th><th>Nội dung</th></tr><tr><td>1</td><td>Báo cáo</td></tr>'
            '<tr><td>2</td><td>Tổng kết</td></tr></table><script>var x=1;</script></body></html>')
    p = tmp_path / "kh.doc"  # Word-HTML saved as .doc
    p.write_text(html, encoding="utf-8")
    raw = read(p)
    assert raw.source_format == "html"
    assert raw.pages[0].text.split("\n") == [
        "ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 12/KH-UBND",
        "Lâm Đồng, ngày 05 tháng 01 năm 2026", "KẾ HOẠCH", "Căn cứ Chỉ thị số 33/CT-TTg;",
        "| STT | Nội dung |", "|---|---|", "| 1 | Báo cáo |", "| 2 | Tổng kết |"]
    assert raw.pages[0].tables == [[["STT", "Nội dung"], ["1", "Báo cáo"], ["2", "Tổng kết"]]]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from([".pdf", ".docx", ".doc", ".txt", ".png", ".html", ""]))
def test_any_bytes_give_a_document_or_an_ingest_error(data, suffix):
    try:
        raw = read_bytes(data, "f" + suffix, ocr=False)
    except IngestError as e:
        assert str(e)
        return
    assert raw.n_pages >= 1 and all(isinstance(p.text, str) for p in raw.pages)


# --- page furniture, footnote zones, tables across pages ------------------------------------

def test_running_header_and_page_numbers_dropped():
    bodies = ["Mục đích, yêu cầu", "Nhiệm vụ và giải pháp", "Tổ chức thực hiện", "Nơi nhận:"]
    pages = [f"UBND TỈNH LÂM ĐỒNG\nTrang {i}/4\n{b}\n{i}" for i, b in enumerate(bodies, 1)]
    out, n = drop_furniture(pages)
    assert out == bodies
    assert n == 12


def test_furniture_keeps_numbered_items_and_single_pages():
    assert drop_furniture(["I. MỤC ĐÍCH\n1. Nội dung", "2. Nội dung\n3"])[0][0] == "I. MỤC ĐÍCH\n1. Nội dung"
    assert drop_furniture(["KẾ HOẠCH\n1"]) == (["KẾ HOẠCH\n1"], 0)


@pytest.mark.parametrize("pages,zones", [
    # marker glued to a word, footnote at the foot of the same page
    (["hành động1. Tiếp tục\n1 Quyết định số 23-QĐ/TW."], [[1]]),
    # marker glued to a year; the footnote at the foot of the next page
    (["ngày 23/12/20251. Đồng thời", "tiếp theo\n1 Kế hoạch số 8382/KH-UBND."], [[], [1]]),
    # marker glued to a symbol
    (["Quyết định số 217-QĐ/TW1; tiếp\n1 Bộ Chính trị khóa XI."], [[1]]),
    # no marker anywhere: a numbered line is no footnote
    (["Nội dung\n2 Phòng Văn hóa - Xã hội"], [[]]),
    # list items "1." are never footnotes
    (["hành động1.\n1. Nâng cao nhận thức"], [[]]),
])
def test_footnote_zones(pages, zones):
    out = mark_footnote_zones(pages)
    assert [[k for k, ln in enumerate(p.split("\n")) if ln == SEPARATOR] for p in out] == zones


def test_footnote_number_misread_by_ocr():
    pages = ["hành động1.\n1 Quyết định số 23.", "doanh nghiệp2.\nIV. TỔ CHỨC THỰC HIỆN\no Chỉ thị số 01/CT-UBND."]
    assert mark_footnote_zones(pages, [True, True])[1].split("\n")[2:] == [SEPARATOR, "2 Chỉ thị số 01/CT-UBND."]
    assert SEPARATOR not in mark_footnote_zones(pages, [False, False])[1]


def test_footnote_zone_numbering_continues_across_pages():
    pages = ["Tỉnh ủy1 và\n1 Quy chế số 06-QC/TU.", "pháp luật2 các đơn\n2 Thông tư số 05/2021/TT-TTCP."]
    out = mark_footnote_zones(pages)
    assert [p.split("\n")[1] for p in out] == [SEPARATOR, SEPARATOR]


def test_render_and_drop_empty():
    assert render_table([["STT", "Nội dung"], ["1", "a|b"]]) == "| STT | Nội dung |\n|---|---|\n| 1 | a/b |"
    assert drop_empty([["", "x", ""], ["", "", ""]]) == [["x"]]


def test_table_continued_on_next_page_loses_repeated_header():
    p1 = "PHỤ LỤC\n| STT | Nội dung | Đơn vị |\n|---|---|---|\n| 1 | Báo cáo quý | Sở Nội vụ |"
    p2 = "| STT | Nội dung | Đơn vị |\n|---|---|---|\n|  | và năm |  |\n| 2 | Tổng kết | Sở Tài chính |\nNơi nhận:"
    out = stitch_page_tables([p1, p2])
    assert out[0] == p1
    assert out[1] == "|  | và năm |  |\n| 2 | Tổng kết | Sở Tài chính |\nNơi nhận:"


def test_table_not_stitched_after_text():
    p1 = "| STT | Nội dung |\n|---|---|\n| 1 | Báo cáo |\nKT. CHỦ TỊCH"
    p2 = "| STT | Nội dung |\n|---|---|\n| 1 | Khác |"
    assert stitch_page_tables([p1, p2]) == [p1, p2]


# --- OCR text repairs ----------------------------------------------------------------------

@pytest.mark.parametrize("src,want", [
    ("310-QĐÐ/TU", "310-QĐ/TU"),
    ("Ðảng bộ", "Đảng bộ"),
    ("Lưu: VT, ÑC.", "Lưu: VT, NC."),
])
def test_repair_chars(src, want):
    assert repair_chars(src) == want


@pytest.mark.parametrize("lines,want", [
    (["IL MỤC ĐÍCH, YÊU CẦU", "II MỘT SỐ CHỈ TIÊU", "IIL. NHIỆM VỤ", "IV. TỔ CHỨC THỰC HIỆN"],
     ["I. MỤC ĐÍCH, YÊU CẦU", "II. MỘT SỐ CHỈ TIÊU", "III. NHIỆM VỤ", "IV. TỔ CHỨC THỰC HIỆN"]),
    (["I. MỤC ĐÍCH", "II. NHIỆM VỤ", "II. TỔ CHỨC THỰC HIỆN"],
     ["I. MỤC ĐÍCH", "II. NHIỆM VỤ", "III. TỔ CHỨC THỰC HIỆN"]),
    (["IL. MỤC ĐÍCH, YÊU CẦU", "II. NHIỆM VỤ VÀ GIẢI PHÁP", "II. TỔ CHỨC THỰC HIỆN"],
     ["I. MỤC ĐÍCH, YÊU CẦU", "II. NHIỆM VỤ VÀ GIẢI PHÁP", "III. TỔ CHỨC THỰC HIỆN"]),
    (["I. MỤC ĐÍCH", "IL. NHIỆM VỤ", "IIL TỔ CHỨC THỰC HIỆN"],
     ["I. MỤC ĐÍCH", "II. NHIỆM VỤ", "III. TỔ CHỨC THỰC HIỆN"]),
    (["1. Một", "2. Hai", "o. Ba", "4. Bốn"], ["1. Một", "2. Hai", "3. Ba", "4. Bốn"]),
    (["I. MỤC ĐÍCH", "1 Quyết định số 23-QĐ/TW"], ["I. MỤC ĐÍCH", "1 Quyết định số 23-QĐ/TW"]),
])
def test_repair_heading_sequences(lines, want):
    assert repair_ocr_pages(["\n".join(lines)])[0].split("\n") == want


def test_repair_leaves_text_layer_pages_alone():
    out = repair_ocr_pages([None, "II. TỔ CHỨC THỰC HIỆN"], context=["I. MỤC ĐÍCH\nII. NHIỆM VỤ", None])
    assert out == [None, "III. TỔ CHỨC THỰC HIỆN"]


def test_decode_text_api_kept():
    assert decode_text("Kế hoạch".encode()) == "Kế hoạch"


_line = st.sampled_from([
    "KẾ HOẠCH", "I. MỤC ĐÍCH", "1. Nội dung", "hành động1.", "1 Quyết định số 23-QĐ/TW.", "2 Phòng Văn hóa",
    "- 3 -", "Trang 2/5", "UBND TỈNH LÂM ĐỒNG", "| STT | Nội dung |", "|---|---|", "|  | tiếp theo |",
    "| 1 | Báo cáo |", "", "ngày 23/12/20252.", "Nơi nhận:",
])
_pages = st.lists(st.lists(_line, max_size=8).map("\n".join), min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(_pages)
def test_page_helpers_only_remove_or_mark(pages):
    """Furniture removal and table stitching only take lines away; footnote marking only adds
    separator lines: no text is ever invented or reordered."""
    def is_subsequence(small: list[str], big: list[str]) -> bool:
        it = iter(big)
        return all(any(x == y for y in it) for x in small if x)

    dropped, _ = drop_furniture(pages)
    stitched = stitch_page_tables(dropped)
    marked = mark_footnote_zones(stitched)
    for orig, d, s, m in zip(pages, dropped, stitched, marked):
        assert is_subsequence(d.split("\n"), orig.split("\n"))
        assert is_subsequence(s.split("\n"), d.split("\n"))
        assert [ln for ln in m.split("\n") if ln != SEPARATOR] == s.split("\n")
