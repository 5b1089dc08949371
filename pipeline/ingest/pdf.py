"""PDFs: the text layer through PDFium, ruled tables as markdown, OCR where there is no text.

The fast path is PDFium's own text extraction (``pypdfium2``, ~40x faster than pdfminer),
one call per page. A page with ruled tables (vector lines forming a grid, see
``rulings``) is read region by region instead: the running text above, between and below
the tables, and each table cell by cell, so an appendix task table comes out as markdown
rows at its place in the page flow. Pages without a usable text layer (scans, text
drawn as outlines, fonts without a Unicode map) go to OCR; a document with any OCR'd page
has ``source_format = "pdf_ocr"``.

PDFium marks a hyphen that ends a line as U+FFFE and joins the two lines ("635/KH-⏎UBND"
arrives as "635/KH\\ufffeUBND"): it is written back as "-". Running headers, footers and
page numbers are dropped across pages (``furniture``); text in a legacy font encoding
(TCVN3, VNI) is converted (``legacy``).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import regex
from PIL import Image

from ..document import Page, RawDocument
from . import legacy, ocr
from .errors import Deadline, IngestError
from .markdown import clean_cell, drop_empty, render_table
from .pages import finish_pages
from .rulings import Grid, Segment, find_grids

MAX_PAGES = 3000  # beyond this a file is read in part, with a warning
OCR_DPI = 300
_MIN_LETTERS = 15  # fewer letters than this on a page: no usable text layer

_LETTER_RE = regex.compile(r"\p{L}")
_JUNK_RE = regex.compile(r"[\ufffd\p{Co}\x00-\x08\x0b\x0e-\x1f]")
# Symbol-font bullets (Wingdings/Symbol in the private use area) that start list items.
_PUA_BULLET_RE = regex.compile(r"(?m)^([ \t]*)[\uf020-\uf0ff•●○■□◦▪➢➤✓✔]\s*")
_EMPTY_TREE_RE = regex.compile(rb"/Type\s*/Pages\b[^>]*/Count\s+0\b|/Count\s+0\b[^>]*/Type\s*/Pages\b")
_PAGE_OBJ_RE = regex.compile(rb"/Type\s*/Page(?!s)\b")
_PDFIUM_ERRORS = {
    1: "unknown PDFium error", 2: "cannot read the file", 3: "not a PDF or corrupted",
    4: "encrypted: a password is required to open it", 5: "unsupported security handler",
    6: "page not found or content error",
}


@dataclass
class _PageScan:
    """What a page is made of, from one pass over its objects."""

    width: float
    height: float
    left: float
    bottom: float
    segments: list[Segment] = field(default_factory=list)
    n_text: int = 0
    n_paths: int = 0
    image_area: float = 0.0
    big_image: int | None = None  # index of an image object covering the page, for OCR


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == 4:
            raise IngestError("encrypted PDF: a password is required to open it") from None
        if _EMPTY_TREE_RE.search(data) and not _PAGE_OBJ_RE.search(data):
            # PDFium refuses a document whose page tree is empty (and reports no error code).
            raise IngestError("PDF has no pages (empty page tree)") from None
        reason = _PDFIUM_ERRORS.get(code, str(e))
        raise IngestError(f"corrupt or truncated PDF: {reason}") from None


def read_pdf(data: bytes, path: str, sha256: str, deadline: Deadline | None = None, use_ocr: bool = True
             ) -> RawDocument:
    """Read a PDF into pages of text (tables as markdown), OCR'ing pages without text.

    Raises ``IngestError`` for a PDF that cannot be opened, has no pages, or yields no
    text at all; a PDF readable in part comes back with warnings.
    """
    deadline = deadline or Deadline(None)
    pdf = _open(data)
    try:
        return _read(pdf, path, sha256, deadline, use_ocr)
    finally:
        pdf.close()


def _read(pdf: pdfium.PdfDocument, path: str, sha256: str, deadline: Deadline, use_ocr: bool) -> RawDocument:
    n = len(pdf)
    if n == 0:
        raise IngestError("PDF has no pages")
    warnings: list[str] = []
    if n > MAX_PAGES:
        warnings.append(f"only the first {MAX_PAGES} of {n} pages were read")
    pages: list[Page] = []
    scans: dict[int, _PageScan] = {}
    need_ocr: list[int] = []
    stopped_at = None
    for i in range(min(n, MAX_PAGES)):
        no = i + 1
        if deadline.expired():
            stopped_at = no
            break
        try:
            page = pdf[i]
            try:
                text, tables, scan, wants_ocr = _read_page(page)
            finally:
                page.close()
        except Exception as e:  # a broken page must not sink the others
            pages.append(Page(no, "", warnings=[f"page {no} unreadable: {type(e).__name__}: {e}"]))
            continue
        scans[no] = scan
        pages.append(Page(no, text, tables=tables))
        if wants_ocr:
            need_ocr.append(no)
    if stopped_at is not None:
        last = min(n, MAX_PAGES)
        pages += [Page(no, "", warnings=["not read: time limit reached"]) for no in range(stopped_at, last + 1)]
        warnings.append(f"time limit reached: pages {stopped_at}-{last} not read")

    # A legacy font encoding is a property of the document's fonts: detect it over all text.
    enc = legacy.detect("\n".join(p.text for p in pages))
    if enc:
        for p in pages:
            p.text = legacy.to_unicode(p.text, enc)
            p.tables = [[[legacy.to_unicode(c, enc) for c in row] for row in t] for t in p.tables]
        warnings.append(legacy.warning([enc]))

    ocr_pages: set[int] = set()
    if need_ocr:
        ocr_pages = _ocr(pdf, need_ocr, scans, pages, deadline, use_ocr, warnings)

    finish_pages(pages, ocr_pages)
    if not any(p.text.strip() for p in pages):
        reasons = sorted({w for p in pages for w in p.warnings} | set(warnings))
        raise IngestError("no text in PDF" + (f" ({'; '.join(reasons)})" if reasons else
                                              " (blank pages, or images without OCR)"))
    fmt = "pdf_ocr" if ocr_pages else "pdf"
    return RawDocument(source_path=path, source_format=fmt, pages=pages, source_sha256=sha256, warnings=warnings)


# ---------------------------------------------------------------------------------------
# One page of a text-layer PDF
# ---------------------------------------------------------------------------------------

def _scan_objects(page: pdfium.PdfPage) -> _PageScan:
    left, bottom, right, top = page.get_bbox()
    scan = _PageScan(right - left, top - bottom, left, bottom)
    raw = page.raw
    l, b, r, t = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    page_area = max(1.0, scan.width * scan.height)
    for k in range(pdfium_c.FPDFPage_CountObjects(raw)):
        obj = pdfium_c.FPDFPage_GetObject(raw, k)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            scan.n_text += 1
            continue
        if kind not in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE):
            continue
        if not pdfium_c.FPDFPageObj_GetBounds(obj, l, b, r, t):
            continue
        # Top-down coordinates from the crop box's top-left corner, as the grid builder wants.
        x0, x1 = l.value - left, r.value - left
        y0, y1 = top - t.value, top - b.value
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            area = max(0.0, x1 - x0) * max(0.0, y1 - y0)
            scan.image_area += area
            if area >= 0.6 * page_area and (scan.big_image is None):
                scan.big_image = k
            continue
        scan.n_paths += 1
        w, h = x1 - x0, y1 - y0
        # Rules are thin strokes or thin filled rectangles.
        if h <= 3.0 and w >= 4.0:
            scan.segments.append(Segment(True, (y0 + y1) / 2, x0, x1))
        elif w <= 3.0 and h >= 4.0:
            scan.segments.append(Segment(False, (x0 + x1) / 2, y0, y1))
        elif w >= 4.0 and h >= 4.0 and pdfium_c.FPDFPath_CountSegments(obj) in (4, 5) and _stroked(obj):
            # A stroked rectangle: a cell or a table frame drawn as one path.
            scan.segments += [Segment(True, y0, x0, x1), Segment(True, y1, x0, x1),
                              Segment(False, x0, y0, y1), Segment(False, x1, y0, y1)]
    return scan


def _stroked(obj) -> bool:
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    return bool(pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke)) and bool(stroke.value)


def clean_text(text: str) -> str:
    """PDFium text made plain: \\r\\n lines, line-end hyphen marks, symbol-font bullets.

    >>> clean_text("Kế hoạch số 635/KH\\ufffeUBND ngày\\r\\n\\uf0b7 Sở Nội vụ")
    'Kế hoạch số 635/KH-UBND ngày\\n- Sở Nội vụ'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\ufffe", "-").replace("\x02", "-").replace("\u00ad\n", "-\n").replace("\x00", "")
    return _PUA_BULLET_RE.sub(r"\1- ", text)


def _junk(text: str) -> bool:
    """Mostly characters no font with a Unicode map gives (U+FFFD, controls, private use)."""
    return len(_JUNK_RE.findall(text)) >= 0.2 * max(1, len(text.strip()))


def _read_page(page: pdfium.PdfPage) -> tuple[str, list[list[list[str]]], _PageScan, bool]:
    """(text, tables, scan, needs OCR) of one page."""
    scan = _scan_objects(page)
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range() if scan.n_text else ""
        page_area = max(1.0, scan.width * scan.height)
        letters = len(_LETTER_RE.findall(text))
        drawn = scan.image_area >= 0.1 * page_area or scan.n_paths >= 200
        if _junk(text) and (drawn or scan.n_text):
            # A font without a Unicode map: what the page shows is only to be had by OCR.
            return "", [], scan, True
        if letters < _MIN_LETTERS and drawn:
            # No text over an image (a scan) or over many paths (text drawn as outlines).
            return "", [], scan, True
        if scan.big_image is not None and letters < 150:
            # A page image under a thin text layer (a signature stamp, a scanner's label).
            return "", [], scan, True
        grids = [g for g in find_grids(scan.segments, tol=2.0, min_size=12.0) if g.n_cols >= 2]
        if not grids:
            return clean_text(text), [], scan, False
        return (*_read_with_tables(textpage, scan, grids), scan, False)
    finally:
        textpage.close()


def _bounded(textpage: pdfium.PdfTextPage, scan: _PageScan, x0: float, y0: float, x1: float, y1: float) -> str:
    """Text inside a top-down box of the page."""
    if x1 - x0 <= 0.5 or y1 - y0 <= 0.5:
        return ""
    top = scan.bottom + scan.height
    return clean_text(textpage.get_text_bounded(scan.left + x0, top - y1, scan.left + x1, top - y0))


_BROKEN_WORD_RE = regex.compile(r"(?<=\b\p{Lu}{3,})\n(?=\p{Lu}{1,2}\b)")


def join_cell_lines(text: str) -> str:
    """Lines of a cell, where a narrow column broke an abbreviation without a hyphen, rejoined.

    >>> join_cell_lines("các tổ chức\\nUBMTTQV\\nN và tổ chức")
    'các tổ chức\\nUBMTTQVN và tổ chức'
    """
    return _BROKEN_WORD_RE.sub("", text)


def _read_with_tables(textpage: pdfium.PdfTextPage, scan: _PageScan, grids: list[Grid]
                      ) -> tuple[str, list[list[list[str]]]]:
    parts: list[str] = []
    tables: list[list[list[str]]] = []
    y = 0.0
    width = scan.width
    for g in grids:
        gx0, gy0, gx1, gy1 = g.bbox
        parts.append(_bounded(textpage, scan, -5, y, width + 5, gy0 - 0.5))
        texts = {}
        for c in g.cells:
            cell = _bounded(textpage, scan, c.x0 + 0.8, c.y0 + 0.8, c.x1 - 0.8, c.y1 - 0.8)
            texts[(c.row, c.col)] = clean_cell(join_cell_lines(cell))
        rows = drop_empty(g.rows(texts))
        if rows:
            tables.append(rows)
            parts.append(render_table(rows))
        # Text beside the table (rare: a note in the margin) follows it.
        parts.append(_bounded(textpage, scan, -5, gy0, gx0 - 0.5, gy1))
        parts.append(_bounded(textpage, scan, gx1 + 0.5, gy0, width + 5, gy1))
        y = gy1 + 0.5
    parts.append(_bounded(textpage, scan, -5, y, width + 5, scan.height + 5))
    return "\n".join(p.strip("\n") for p in parts if p.strip()), tables


# ---------------------------------------------------------------------------------------
# Pages for OCR
# ---------------------------------------------------------------------------------------

def page_image(pdf: pdfium.PdfDocument, index: int, big_image: int | None, dpi: int = OCR_DPI
               ) -> tuple[Image.Image, int]:
    """A greyscale image of a page for OCR, and its resolution.

    A scan page (one image covering the page) gives its own pixels at their own
    resolution when that is 150-400 dpi: no resampling, no rendering. Anything else is
    rendered at ``dpi``.
    """
    page = pdf[index]
    try:
        if big_image is not None and page.get_rotation() == 0:
            native = _native_image(page, big_image)
            if native is not None:
                return native
        img = page.render(scale=dpi / 72.0, grayscale=True).to_pil()
        return (img if img.mode == "L" else img.convert("L")), dpi
    finally:
        page.close()


def _native_image(page: pdfium.PdfPage, k: int) -> tuple[Image.Image, int] | None:
    obj = pdfium.PdfObject(pdfium_c.FPDFPage_GetObject(page.raw, k), page=page, pdf=page.pdf)
    if not isinstance(obj, pdfium.PdfImage):
        return None
    m = obj.get_matrix()
    if abs(m.b) > 1e-6 or abs(m.c) > 1e-6 or m.a <= 0 or m.d <= 0:
        return None  # rotated or flipped placement: let the renderer sort it out
    w_px, h_px = obj.get_px_size()
    if w_px <= 0 or h_px <= 0:
        return None
    dpi = w_px / (m.a / 72.0)
    if not 150 <= dpi <= 400 or abs(dpi - h_px / (m.d / 72.0)) > 0.05 * dpi:
        return None
    img = obj.get_bitmap(render=False).to_pil()
    return (img if img.mode == "L" else img.convert("L")), int(round(dpi))


def _ocr(pdf: pdfium.PdfDocument, need: list[int], scans: dict[int, _PageScan], pages: list[Page],
         deadline: Deadline, use_ocr: bool, warnings: list[str]) -> set[int]:
    by_no = {p.number: p for p in pages}
    if not use_ocr:
        warnings.append(f"{len(need)} page(s) without a text layer were not OCR'd (OCR disabled)")
        return set()
    try:
        ocr.check_tesseract()
    except IngestError as e:
        if len(need) == len(pages):
            raise IngestError(f"scanned PDF, but {e}") from None
        warnings.append(f"{len(need)} page(s) without a text layer were not read: {e}")
        return set()

    def jobs():
        for no in need:
            yield no, (lambda no=no: page_image(pdf, no - 1, scans[no].big_image))

    results, skipped = ocr.ocr_pages(jobs(), deadline)
    done = set()
    for no, res in results.items():
        page = by_no[no]
        page.text = res.text
        page.tables = res.tables
        page.ocr_confidence = res.confidence
        page.warnings += res.warnings
        if res.text.strip():
            done.add(no)
    if skipped:
        for no in skipped:
            by_no[no].warnings.append("not OCR'd: time limit reached")
        warnings.append(f"time limit reached: {len(skipped)} of {len(need)} page(s) to OCR were skipped "
                        f"(first {skipped[0]})")
    failed = [no for no, r in results.items() if r.warnings and not r.text.strip()]
    if failed:
        warnings.append(f"OCR failed on {len(failed)} page(s): {', '.join(map(str, failed[:10]))}")
    return done
