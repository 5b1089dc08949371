"""Word files: text boxes, numbering, tables, headers, footnotes, legacy fonts; .doc/.rtf/.odt
through LibreOffice (or a clear error without it); broken .docx files."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest

from fixtures.ingest_fixtures import NUMBERING, _p, _run, _table, make_docx, plan_docx
from pipeline.ingest import IngestError, read
from pipeline.ingest.docx import Numbering, format_number, legacy_font
from pipeline.ingest.footnotes import SEPARATOR


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return read(plan_docx(tmp_path_factory.mktemp("docx") / "kh.docx"))


def test_plan_docx_lines(plan):
    assert plan.source_format == "docx" and plan.n_pages == 1
    assert plan.pages[0].text.split("\n") == [
        "UBND TỈNH LÂM ĐỒNG",  # the page header
        "ỦY BAN NHÂN DÂN", "TỈNH LÂM ĐỒNG",  # borderless letterhead table: cell by cell, line by line
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "Số: 12/KH-UBND", "Lâm Đồng, ngày 05 tháng 01 năm 2026",  # the text box, once
        "",
        "KẾ HOẠCH",
        "Thực hiện công tác dân vận chính quyền năm 2026",
        "Căn cứ Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ¹;",  # footnote marker
        "I. MỤC ĐÍCH, YÊU CẦU",  # automatic numbering written out
        "1. Nâng cao nhận thức của cán bộ, công chức.",
        "- Tuyên truyền thường xuyên.",
        "II. NHIỆM VỤ",
        "Phòng Văn hóa - Xã hội và Công an xã phối hợp thực hiện.",  # .VnTime and VNI-Times runs
        "TỔ CHỨC THỰC HIỆN",  # .VnTimeH: capitals
        "| STT | Nội dung | Đơn vị chủ trì | Thời gian |",
        "|---|---|---|---|",
        "| 1 | Tuyên truyền Chỉ thị số 33/CT-TTg | Sở Nội vụ | Thường xuyên |",
        "| 1 | Báo cáo sơ kết | Văn phòng UBND tỉnh | Quý II/2026 |",  # vertically merged STT repeated
        "Nơi nhận:", "- Như trên;", "- Lưu: VT.",
        "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn A",
        SEPARATOR,
        "1 Quyết định số 23-QĐ/TW ngày 30/7/2021 của Bộ Chính trị.",
    ]
    assert plan.pages[0].tables == [[["STT", "Nội dung", "Đơn vị chủ trì", "Thời gian"],
                                     ["1", "Tuyên truyền Chỉ thị số 33/CT-TTg", "Sở Nội vụ", "Thường xuyên"],
                                     ["1", "Báo cáo sơ kết", "Văn phòng UBND tỉnh", "Quý II/2026"]]]
    assert plan.warnings == ["legacy encoding TCVN3 (ABC), VNI-Windows converted to Unicode"]


def test_plan_docx_footnote_moves_in_normalize(plan):
    from pipeline.normalize import normalize

    doc = normalize(plan)
    assert doc.text[doc.body_end:].strip() == "[^1]: Quyết định số 23-QĐ/TW ngày 30/7/2021 của Bộ Chính trị."
    assert "Thủ tướng Chính phủ[^1];" in doc.text


@pytest.mark.parametrize("n,fmt,want", [
    (1, "upperRoman", "I"), (14, "upperRoman", "XIV"), (3, "lowerLetter", "c"), (28, "lowerLetter", "ab"),
    (2, "upperLetter", "B"), (9, "lowerRoman", "ix"), (7, "decimalZero", "07"), (12, "decimal", "12"),
])
def test_format_number(n, fmt, want):
    assert format_number(n, fmt) == want


def test_numbering_counters_restart_below_and_continue_above():
    num = Numbering(NUMBERING.encode())
    labels = [num.label("1", lvl) for lvl in (0, 1, 1, 0, 1, 2)]
    assert labels == ["I.", "1.", "2.", "II.", "1.", "-"]
    assert num.label("9", 0) is None and num.label(None, 0) is None


@pytest.mark.parametrize("font,want", [
    (".VnTime", ("tcvn3", False)), (".VnTimeH", ("tcvn3", True)), (".VnArial", ("tcvn3", False)),
    ("VNI-Times", ("vni", False)), ("VNI-Helve", ("vni", False)), ("Times New Roman", (None, False)), (None, (None, False)),
])
def test_legacy_font_names(font, want):
    assert legacy_font(font) == want


def test_whole_document_in_unnamed_legacy_font(tmp_path):
    """TCVN3 text in runs with no legacy font name (fonts changed after typing) is still converted."""
    body = _p(_run("KÕ ho¹ch thùc hiÖn c«ng t¸c d©n vËn n¨m 2026")) + _p(_run("Uû ban nh©n d©n tØnh ban hµnh"))
    raw = read(make_docx(tmp_path / "cu.docx", body))
    assert raw.pages[0].text.split("\n") == ["Kế hoạch thực hiện công tác dân vận năm 2026",
                                             "Uỷ ban nhân dân tỉnh ban hành"]


def test_page_breaks_split_pages(tmp_path):
    body = (_p(_run("Trang một")) + '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'
            + '<w:p><w:r><w:lastRenderedPageBreak/><w:t>Trang hai</w:t></w:r></w:p>')
    raw = read(make_docx(tmp_path / "p.docx", body))
    assert [p.text.strip() for p in raw.pages] == ["Trang một", "Trang hai"]


def test_bordered_letterhead_is_layout_and_one_column_table_is_text(tmp_path):
    body = (_table([["ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"], ["Số: 5/KH-UBND", "ngày 1/1/2026"]],
                   borders=True)
            + _table([["Ghi chú"], ["Một cột"]], borders=True))
    raw = read(make_docx(tmp_path / "l.docx", body))
    assert raw.pages[0].text.split("\n") == ["ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 5/KH-UBND",
                                             "ngày 1/1/2026", "Ghi chú", "Một cột"]
    assert raw.pages[0].tables == []


def test_hidden_and_deleted_text_skipped(tmp_path):
    body = _p(_run("Giữ"), '<w:r><w:rPr><w:vanish/></w:rPr><w:t>ẩn</w:t></w:r>',
              '<w:del><w:r><w:delText>xóa</w:delText></w:r></w:del>', '<w:ins>' + _run(" thêm") + '</w:ins>')
    assert read(make_docx(tmp_path / "h.docx", body)).pages[0].text == "Giữ thêm"


# --- broken and other Word formats -----------------------------------------------------------------

def test_truncated_docx(tmp_path):
    good = plan_docx(tmp_path / "a.docx").read_bytes()
    p = tmp_path / "cut.docx"
    p.write_bytes(good[: len(good) // 2])
    with pytest.raises(IngestError, match="^corrupt or truncated .docx"):
        read(p)


def test_docx_without_document_part(tmp_path):
    p = tmp_path / "x.docx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("word/styles.xml", "<w:styles/>")
    with pytest.raises(IngestError, match="^not a Word document: word/document.xml is missing"):
        read(p)


def test_docx_with_broken_xml(tmp_path):
    p = tmp_path / "x.docx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("word/document.xml", "<w:document><w:body><w:p>")
    with pytest.raises(IngestError, match="^corrupt .docx: document.xml is not well-formed XML"):
        read(p)


@pytest.mark.parametrize("name,data,what", [
    ("cu.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "Word 97-2003 .doc"),
    ("cu.rtf", b"{\\rtf1\\ansi K\\u7871? ho\\u7841?ch}", "RTF"),
])
def test_doc_and_rtf_without_libreoffice(monkeypatch, tmp_path, name, data, what):
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda n, *a, **k: None if n in ("soffice", "libreoffice") else real(n, *a, **k))
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(IngestError, match=f"^cannot read {what} files: LibreOffice is not installed"):
        read(p)


@pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                    reason="LibreOffice not installed")
def test_doc_through_libreoffice(tmp_path):
    import subprocess

    # The .doc is made by LibreOffice itself, from HTML: it does not load the hand-made minimal
    # .docx of the other tests.
    src = tmp_path / "kh.html"
    src.write_text("<html><head><meta charset='utf-8'></head><body><p>Số: 12/KH-UBND</p><p>KẾ HOẠCH</p>"
                   "<table border='1'><tr><td>STT</td><td>Nội dung</td><td>Cơ quan chủ trì</td><td>Thời gian</td></tr>"
                   "<tr><td>1</td><td>Tuyên truyền Chỉ thị số 33/CT-TTg</td><td>Sở Nội vụ</td>"
                   "<td>Thường xuyên</td></tr></table></body></html>", encoding="utf-8")
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([exe, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "doc:MS Word 97", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=120)
    raw = read(tmp_path / "kh.doc")
    assert raw.source_format == "doc"
    assert "Số: 12/KH-UBND" in raw.text and "| 1 | Tuyên truyền Chỉ thị số 33/CT-TTg | Sở Nội vụ | Thường xuyên |" in raw.text
