"""Text-layer PDFs: the PDFium path, ruled tables, page furniture, footnotes, legacy fonts,
the bundled seed PDFs against their .txt, and every kind of bad PDF. OCR itself is faked
here (tests/test_ingest_ocr.py runs the real thing)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import regex

from fixtures.ingest_fixtures import (HEADER, have_font, plan_pdf, scanned_pdf, text_image, text_pdf, to_tcvn3,
                                      zero_page_pdf)
from pipeline.ingest import IngestError, read, read_bytes
from pipeline.ingest import ocr as ocr_mod
from pipeline.ingest.footnotes import SEPARATOR
from pipeline.ingest.pdf import clean_text

REPO = Path(__file__).resolve().parent.parent
SEED_PDFS = sorted((REPO / "data" / "samples_pdf").glob("*.pdf"))
SEED_TXT = REPO / "data" / "samples"

pytestmark = pytest.mark.skipif(not have_font(), reason="DejaVu fonts missing (scripts/bootstrap.sh installs them)")


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return read(plan_pdf(tmp_path_factory.mktemp("pdf") / "plan.pdf"))


def test_plan_pages_and_format(plan):
    assert plan.source_format == "pdf" and plan.n_pages == 3
    assert plan.warnings == [] and plan.ocr_confidence is None


def test_running_header_and_page_numbers_are_dropped(plan):
    for p in plan.pages:
        assert "KẾ HOẠCH 12/KH-UBND" not in p.text
        assert f"- {p.number} -" not in p.text


def test_symbol_hyphenated_at_line_end_is_whole(plan):
    assert "Quyết định số 357/QĐ-UBND ngày 12/3/2025" in plan.pages[0].text
    assert "\ufffe" not in plan.text and "\x02" not in plan.text


def test_footnote_under_its_rule_is_marked(plan):
    lines = plan.pages[0].text.split("\n")
    k = lines.index(SEPARATOR)
    assert lines[k + 1] == "1 Quyết định số 23-QĐ/TW ngày 30/7/2021 của Bộ Chính trị."
    assert any(ln.endswith("hành động1.") for ln in lines[:k])


def test_table_rows_in_page_flow_and_continued_across_pages(plan):
    p2 = plan.pages[1].text.split("\n")
    assert p2[:4] == ["PHỤ LỤC", "Các nhiệm vụ năm 2026", "| " + " | ".join(HEADER) + " |", "|---|---|---|---|"]
    assert p2[4] == "| 1 | Tuyên truyền Chỉ thị số 33/CT-TTg của Thủ tướng Chính phủ | Sở Nội vụ | Thường xuyên |"
    assert p2[5] == ("| 2 | Tổ chức hội nghị sơ kết công tác dân vận chính quyền 6 tháng đầu | Văn phòng UBND tỉnh "
                     "| Quý II/2026 |")
    # Page 3 repeats the header: gone; the continuation row keeps its empty first cell.
    p3 = plan.pages[2].text.split("\n")
    assert p3[:2] == ["|  | năm 2026 trên địa bàn tỉnh. |  |  |",
                      "| 3 | Báo cáo kết quả thực hiện | Các sở, ban, ngành | Trước 15/12/2026 |"]
    assert p3[2:] == ["Nơi nhận:", "- Như trên;", "- Lưu: VT."]
    # Page.tables keep each page's grid as read
    assert plan.pages[1].tables[0][0] == HEADER and plan.pages[2].tables[0][0] == HEADER


def test_plan_through_normalize_gives_one_row_per_task(plan):
    from pipeline.normalize import normalize

    doc = normalize(plan)
    (table,) = doc.tables
    assert [r.number for r in table.rows] == ["1", "2", "3"]
    assert table.rows[1].cells[1].text.endswith("6 tháng đầu năm 2026 trên địa bàn tỉnh.")
    assert doc.text[doc.body_end:].strip().startswith("[^1]: Quyết định số 23-QĐ/TW")


@pytest.mark.parametrize("raw,clean", [
    ("635/KH\ufffeUBND ngày", "635/KH-UBND ngày"),
    ("dòng một\r\ndòng hai\rba", "dòng một\ndòng hai\nba"),
    ("357/QĐ-\u00ad\r\nUBND", "357/QĐ--\nUBND"),
    ("\uf0b7 Sở Nội vụ\n  \uf0a7 Sở Tài chính", "- Sở Nội vụ\n  - Sở Tài chính"),
    ("1\x02 2", "1- 2"),
])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_tcvn3_text_layer_is_converted(tmp_path):
    lines = [to_tcvn3(s) for s in ("kế hoạch thực hiện công tác dân vận năm 2026",
                                   "ủy ban nhân dân tỉnh lâm đồng ban hành kế hoạch như sau:")]
    raw = read(text_pdf(tmp_path / "cu.pdf", lines))
    assert raw.pages[0].text.split("\n") == ["kế hoạch thực hiện công tác dân vận năm 2026",
                                             "ủy ban nhân dân tỉnh lâm đồng ban hành kế hoạch như sau:"]
    assert any("TCVN3" in w for w in raw.warnings)


# --- the bundled seed PDFs ----------------------------------------------------------------------

@pytest.mark.skipif(not SEED_PDFS, reason="data/samples_pdf missing")
@pytest.mark.parametrize("pdf", SEED_PDFS, ids=lambda p: p.stem)
def test_seed_pdf_has_the_words_of_its_txt(pdf):
    """The PDF of a seed carries the same words as the seed's .txt (layout aside)."""
    import difflib

    raw = read(pdf)
    assert raw.source_format == "pdf"
    txt = (SEED_TXT / (pdf.stem + ".txt")).read_text(encoding="utf-8")
    strip = lambda s: [w for w in s.replace("|", " ").split() if not set(w) <= set("-:") and not w.startswith("<")]
    a = [w.replace("<p>", "").replace("</p>", "") for w in strip(txt)]
    b = strip(raw.text)
    ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    assert ratio > 0.97, ratio


@pytest.mark.skipif(not SEED_PDFS, reason="data/samples_pdf missing")
def test_seed_appendix_table_matches_pdfplumber():
    """The PDFium grid reader sees the same cells as pdfplumber on the ruled appendix pages,
    but keeps "III-⏎IV/2026" and "UBMTTQV⏎N" whole where pdfplumber writes "III- IV/2026" and
    "UBMTTQV N"."""
    import pdfplumber

    from pipeline.ingest.pdf import join_cell_lines

    pdf = next(p for p in SEED_PDFS if p.name.startswith("003_"))
    raw = read(pdf)
    norm = lambda s: " ".join(join_cell_lines(regex.sub(r"(?<=\S)-\n", "-", s or "")).split())
    with pdfplumber.open(pdf) as doc:
        for page in raw.pages:
            if not page.tables:
                continue
            theirs = [[norm(c) for c in row] for row in doc.pages[page.number - 1].extract_tables()[0]]
            theirs = [r for r in theirs if any(r)]
            ours = [[norm(c) for c in row] for row in page.tables[0]]
            assert ours == theirs, page.number


@pytest.mark.skipif(not SEED_PDFS, reason="data/samples_pdf missing")
def test_seed_appendix_rows_stitched_across_pages():
    from pipeline.normalize import normalize

    raw = read(next(p for p in SEED_PDFS if p.name.startswith("003_")))
    table_pages = [p.number for p in raw.pages if p.tables]
    assert len(table_pages) == 6
    doc = normalize(raw)
    numbers = [r.number for t in doc.tables for r in t.rows]
    assert numbers == [str(k) for k in range(1, 15)]


@pytest.mark.skipif(not SEED_PDFS, reason="data/samples_pdf missing")
def test_text_path_speed():
    """The extraction stage reads the seed PDFs (25 pages) well within a second."""
    read(SEED_PDFS[0])  # warm-up: imports, PDFium
    t0 = time.perf_counter()
    pages = sum(read(p).n_pages for p in SEED_PDFS)
    assert pages == 25
    assert time.perf_counter() - t0 < 2.0


# --- bad PDFs ------------------------------------------------------------------------------------

def test_encrypted_pdf_needs_password(tmp_path):
    p = text_pdf(tmp_path / "khoa.pdf", ["KẾ HOẠCH"], owner_password="chu", user_password="mat-khau")
    with pytest.raises(IngestError, match="^encrypted PDF: a password is required"):
        read(p)


def test_owner_password_only_pdf_is_read(tmp_path):
    p = text_pdf(tmp_path / "han-che.pdf", ["KẾ HOẠCH thực hiện năm 2026"], owner_password="chu", user_password="")
    assert read(p).pages[0].text == "KẾ HOẠCH thực hiện năm 2026"


@pytest.mark.parametrize("make,message", [
    (lambda good: b"%PDF-1.4\n" + bytes(range(256)) * 20, "corrupt or truncated PDF"),
    (lambda good: zero_page_pdf(), "PDF has no pages"),
    (lambda good: good[: len(good) // 3], None),  # truncated: an error or what can be read
])
def test_broken_pdfs(tmp_path, make, message):
    good = text_pdf(tmp_path / "ok.pdf", ["KẾ HOẠCH trang {page}", "Nội dung của trang {page}"], pages=6).read_bytes()
    p = tmp_path / "bad.pdf"
    p.write_bytes(make(good))
    if message is None:
        try:
            raw = read(p)
        except IngestError as e:
            assert str(e).startswith(("corrupt or truncated PDF", "no text in PDF"))
        else:
            assert raw.n_pages >= 1
        return
    with pytest.raises(IngestError, match="^" + message):
        read(p)


def test_mislabelled_docx_named_pdf(tmp_path):
    from fixtures.ingest_fixtures import plan_docx

    p = tmp_path / "that-ra-la-docx.pdf"
    p.write_bytes(plan_docx(tmp_path / "a.docx").read_bytes())
    raw = read(p)
    assert raw.source_format == "docx"
    assert raw.warnings[0] == "file named .pdf is a Word .docx file; read as such"


def test_huge_pdf_read_in_part(monkeypatch, tmp_path):
    from pipeline.ingest import pdf as pdf_mod

    monkeypatch.setattr(pdf_mod, "MAX_PAGES", 2)
    raw = read(text_pdf(tmp_path / "lon.pdf", ["Nội dung trang {page}"], pages=3))
    assert raw.n_pages == 2 and raw.warnings == ["only the first 2 of 3 pages were read"]


def test_time_limit_stops_before_pages(tmp_path):
    p = text_pdf(tmp_path / "dai.pdf", ["Nội dung trang {page}"], pages=5)
    with pytest.raises(IngestError, match="time limit reached"):
        read(p, timeout=0)


# --- pages without text: OCR (faked) ---------------------------------------------------------------

@pytest.fixture
def two_page_scan(tmp_path):
    from fpdf import FPDF
    import io

    img = text_image(["KẾ HOẠCH"], height_in=11.69)  # a whole A4 page at 200 dpi
    pdf = FPDF(format="A4", unit="pt")
    for _ in range(2):
        pdf.add_page()
        buf = io.BytesIO()
        img.save(buf, "PNG")
        buf.seek(0)
        pdf.image(buf, x=0, y=0, w=img.width * 72 / 200, h=img.height * 72 / 200)
    out = tmp_path / "scan.pdf"
    pdf.output(str(out))
    return out


def test_scanned_pages_go_to_ocr(monkeypatch, two_page_scan):
    seen = []

    def fake(img, dpi=None, timeout=None, lang="vie", tables=True, procs=None):
        seen.append((img.size, dpi))
        return ocr_mod.OcrPage("KẾ HOẠCH\nThực hiện năm 2026", 0.91)

    monkeypatch.setattr(ocr_mod, "ocr_image", fake)
    raw = read(two_page_scan)
    assert raw.source_format == "pdf_ocr"
    assert raw.ocr_confidence == pytest.approx(0.91)
    assert [p.ocr_confidence for p in raw.pages] == [0.91, 0.91]
    # the page image is the scan's own pixels at their own resolution, not a re-rendering
    assert seen[0][1] == 200 and seen[0][0][0] == int(8.27 * 200)


def test_ocr_failure_on_one_page_is_recorded(monkeypatch, two_page_scan):
    calls = {"n": 0}

    def flaky(img, dpi=None, timeout=None, lang="vie", tables=True, procs=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("tesseract exited 1: Error in pixReadMem")
        return ocr_mod.OcrPage("KẾ HOẠCH năm 2026", 0.9)

    monkeypatch.setenv("VNPLAN_OCR_WORKERS", "1")
    monkeypatch.setattr(ocr_mod, "ocr_image", flaky)
    raw = read(two_page_scan)
    assert raw.pages[0].text == "KẾ HOẠCH năm 2026"
    assert raw.pages[1].text == "" and raw.pages[1].warnings == [
        "OCR failed on page 2: tesseract exited 1: Error in pixReadMem"]
    assert "OCR failed on 1 page(s): 2" in raw.warnings


def test_ocr_time_limit_gives_partial_result(monkeypatch, two_page_scan):
    def slow(img, dpi=None, timeout=None, lang="vie", tables=True, procs=None):
        time.sleep(0.6)
        return ocr_mod.OcrPage("KẾ HOẠCH năm 2026", 0.9)

    monkeypatch.setenv("VNPLAN_OCR_WORKERS", "1")
    monkeypatch.setattr(ocr_mod, "ocr_image", slow)
    raw = read(two_page_scan, timeout=0.3)
    assert raw.pages[0].text == "KẾ HOẠCH năm 2026"
    assert raw.pages[1].warnings == ["not OCR'd: time limit reached"]
    assert any(w.startswith("time limit reached: 1 of 2 page(s) to OCR were skipped") for w in raw.warnings)


def test_scan_without_tesseract_is_a_clear_error(monkeypatch, two_page_scan):
    import shutil

    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "tesseract" else real(name, *a, **k))
    with pytest.raises(IngestError, match="^scanned PDF, but OCR unavailable: the tesseract program is not installed"):
        read(two_page_scan)


def test_ocr_disabled_leaves_a_warning(two_page_scan):
    with pytest.raises(IngestError, match="not OCR'd \\(OCR disabled\\)"):
        read(two_page_scan, ocr=False)
