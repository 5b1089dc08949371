"""The last step every paged reader (PDF, OCR) shares: from each page's text as read to the
page text normalize expects."""

from __future__ import annotations

from ..document import Page
from .footnotes import mark_footnote_zones
from .furniture import drop_furniture
from .markdown import stitch_page_tables
from .ocr_repair import repair_ocr_pages


def finish_pages(pages: list[Page], ocr_numbers: set[int]) -> None:
    """Drop running headers/footers and page numbers, continue tables over page breaks,
    mark footnote zones, and repair OCR'd pages (in place).

    >>> pages = [Page(1, "IL MỤC ĐÍCH\\nNội dung"), Page(2, "II. NHIỆM VỤ\\nViệc")]
    >>> finish_pages(pages, {1}); [p.text.split("\\n")[0] for p in pages]
    ['I. MỤC ĐÍCH', 'II. NHIỆM VỤ']
    """
    texts, _ = drop_furniture([p.text for p in pages])
    texts = mark_footnote_zones(stitch_page_tables(texts), [p.number in ocr_numbers for p in pages])
    if ocr_numbers:
        repaired = repair_ocr_pages([t if p.number in ocr_numbers else None for p, t in zip(pages, texts)],
                                    context=texts)
        texts = [r if r is not None else t for r, t in zip(repaired, texts)]
    for p, t in zip(pages, texts):
        p.text = t
