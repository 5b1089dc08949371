"""OCR: image analysis (skew, ruled tables) without Tesseract, then two real OCR runs: one page
of a bundled scan, and a generated scanned table."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from fixtures.ingest_fixtures import FONT, have_font, text_image
from pipeline.ingest import IngestError, read
from pipeline.ingest import ocr
from pipeline.ingest.ocr_repair import repair_ocr_pages

REPO = Path(__file__).resolve().parent.parent
SCAN = REPO / "data" / "samples_scan" / "000_2c25de43f7d7b53b.scan.pdf"
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")


def _ruled_table(rows: list[list[str]], widths: list[int], dpi: int = 200, title: str | None = None,
                 skew: float = 0.0) -> Image.Image:
    from PIL import ImageFont

    img = Image.new("L", (int(8.27 * dpi), int(6 * dpi)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, int(11 * dpi / 72))
    x0, y = int(0.8 * dpi), int(0.5 * dpi)
    if title:
        draw.text((x0, y), title, font=font, fill=0)
        y += int(0.5 * dpi)
    row_h = int(0.45 * dpi)
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    top = y
    for r in rows:
        for k, cell in enumerate(r):
            draw.text((xs[k] + 12, y + 14), cell, font=font, fill=0)
        y += row_h
    for k in range(len(rows) + 1):
        draw.line([(xs[0], top + k * row_h), (xs[-1], top + k * row_h)], fill=90, width=2)
    for x in xs:
        draw.line([(x, top), (x, y)], fill=90, width=2)
    if skew:
        img = img.rotate(-skew, resample=Image.BILINEAR, fillcolor=255)
    img.info["dpi"] = (dpi, dpi)
    return img


def test_parse_tsv_words_and_lines():
    tsv = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
           "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n"
           "5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t96.5\tKẾ\n"
           "5\t1\t1\t1\t1\t2\t50\t20\t60\t12\t93.5\tHOẠCH\n"
           "5\t2\t1\t1\t1\t1\t10\t60\t30\t12\t80\tSở\n")
    words = ocr.parse_tsv(tsv)
    assert [(w.image, w.text) for w in words] == [(0, "KẾ"), (0, "HOẠCH"), (1, "Sở")]
    assert ocr._lines(words) == [(20, "KẾ HOẠCH"), (60, "Sở")]
    assert ocr._confidence(words) == pytest.approx(0.9)


@pytest.mark.skipif(not have_font(), reason="DejaVu fonts missing")
@pytest.mark.parametrize("angle", [0.0, 0.6, -1.2])
def test_estimate_skew(angle):
    lines = [f"Dòng thứ {k}: thực hiện công tác dân vận chính quyền năm 2026" for k in range(12)]
    img = text_image(lines, height_in=6).rotate(-angle, resample=Image.BILINEAR, fillcolor=255)
    got = ocr.estimate_skew(np.asarray(img)[::2, ::2])
    assert got == pytest.approx(angle, abs=0.1)


@pytest.mark.skipif(not have_font(), reason="DejaVu fonts missing")
@pytest.mark.parametrize("skew", [0.0, 0.6])
def test_find_tables_in_image(skew):
    rows = [["STT", "Nội dung", "Đơn vị"], ["1", "Báo cáo", "Sở Nội vụ"], ["2", "Tổng kết", "Sở Tài chính"]]
    img = _ruled_table(rows, [120, 700, 400], title="PHỤ LỤC", skew=skew)
    gray = np.asarray(img)
    angle = ocr.estimate_skew(gray[::2, ::2])
    if abs(angle) >= 0.1:
        gray = np.asarray(img.rotate(angle, resample=Image.BILINEAR, fillcolor=255))
    (grid,) = ocr.find_tables(*ocr.analysis_image(gray, 200)[:1], 100, 2)
    assert (grid.n_rows, grid.n_cols, len(grid.cells)) == (3, 3, 9)


def test_blank_page_is_not_read():
    rng = np.random.default_rng(1)
    noise = (250 - rng.integers(0, 12, size=(2339, 1654))).astype(np.uint8)  # a scanner's blank page
    page = ocr.ocr_image(Image.fromarray(noise), 200)
    assert page.text == "" and page.confidence is None


def test_image_file_without_tesseract(monkeypatch, tmp_path):
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda n, *a, **k: None if n == "tesseract" else real(n, *a, **k))
    p = tmp_path / "trang.png"
    Image.new("L", (200, 100), 255).save(p)
    with pytest.raises(IngestError, match="^OCR unavailable: the tesseract program is not installed"):
        read(p)


def test_corrupt_image(tmp_path):
    p = tmp_path / "hong.jpg"
    p.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract not installed")
    with pytest.raises(IngestError, match="^(corrupt or truncated image|unreadable image)"):
        read(p)


# --- real OCR (slow: one page each) ------------------------------------------------------------

@pytest.mark.slow
@needs_tesseract
@pytest.mark.skipif(not SCAN.exists(), reason="data/samples_scan missing")
def test_real_scan_first_page():
    """Page 1 of a bundled scan (200 dpi, 0.6° skew, noise, JPEG): text, numbers, heading repaired."""
    import pypdfium2 as pdfium

    from pipeline.ingest.pdf import page_image

    pdf = pdfium.PdfDocument(str(SCAN))
    img, dpi = page_image(pdf, 0, 0)
    pdf.close()
    assert dpi == 200
    page = ocr.ocr_image(img, dpi)
    text = repair_ocr_pages([page.text])[0]
    lines = text.split("\n")
    assert lines[0] == "KẾ HOẠCH"
    assert "Triển khai, thực hiện công tác dân vận chính quyền năm 2026" in lines
    assert "I. MỤC ĐÍCH, YÊU CẦU" in lines  # Tesseract reads "IL MỤC ĐÍCH, YÊU CẦU"
    assert "33/CT-TTg ngày 26/11/2021" in text and "UBND ngày 26/01/2025" in text
    assert page.confidence > 0.85


@pytest.mark.slow
@needs_tesseract
@pytest.mark.skipif(not have_font(), reason="DejaVu fonts missing")
def test_scanned_table_read_cell_by_cell(tmp_path):
    rows = [["STT", "Nội dung", "Đơn vị chủ trì"], ["1", "Báo cáo quý", "Sở Nội vụ"],
            ["2", "Tổng kết năm", "Sở Tài chính"]]
    p = tmp_path / "bang.png"
    _ruled_table(rows, [140, 600, 450], title="PHỤ LỤC NHIỆM VỤ", skew=0.5).save(p, dpi=(200, 200))
    raw = read(p)
    assert raw.source_format == "image_ocr"
    assert raw.pages[0].text.split("\n") == [
        "PHỤ LỤC NHIỆM VỤ", "| STT | Nội dung | Đơn vị chủ trì |", "|---|---|---|",
        "| 1 | Báo cáo quý | Sở Nội vụ |", "| 2 | Tổng kết năm | Sở Tài chính |"]
    assert raw.pages[0].tables == [rows]
    assert raw.ocr_confidence > 0.8
