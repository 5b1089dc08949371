"""Image files (PNG, JPEG, TIFF with one or many pages, GIF, BMP, WebP) -> OCR'd pages."""

from __future__ import annotations

import io
import warnings as _warnings

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from ..document import Page, RawDocument
from . import ocr
from .errors import Deadline, IngestError
from .pages import finish_pages

A4_WIDTH_INCHES = 8.27
MAX_FRAMES = 1000


def _dpi(img: Image.Image) -> int:
    """The image's resolution: its own metadata when plausible, else as if it were A4 wide."""
    info = img.info.get("dpi")
    if info and 100 <= float(info[0]) <= 1200:
        return int(round(float(info[0])))
    return int(min(600, max(100, round(img.width / A4_WIDTH_INCHES))))


def _frames(data: bytes) -> list[tuple[Image.Image, int]]:
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            out = []
            for k, frame in enumerate(ImageSequence.Iterator(img)):
                if k >= MAX_FRAMES:
                    break
                f = ImageOps.exif_transpose(frame.copy()) if k == 0 else frame.copy()
                out.append((f.convert("L"), _dpi(frame)))
            return out
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise IngestError("image too large to OCR safely (decompression bomb limit)") from None
    except UnidentifiedImageError:
        raise IngestError("unreadable image: not a format Pillow can decode") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise IngestError(f"corrupt or truncated image: {e}") from None


def read_image(data: bytes, path: str, sha256: str, deadline: Deadline | None = None, use_ocr: bool = True
               ) -> RawDocument:
    """OCR every frame of an image file into one page each (``source_format = "image_ocr"``)."""
    deadline = deadline or Deadline(None)
    if not use_ocr:
        raise IngestError("image file, and OCR is disabled")
    ocr.check_tesseract()
    frames = _frames(data)
    if not frames:
        raise IngestError("image has no frames")
    results, skipped = ocr.ocr_pages(((k + 1, (lambda f=f: f)) for k, f in enumerate(frames)), deadline)
    pages = []
    for no in range(1, len(frames) + 1):
        res = results.get(no)
        if res is None:
            pages.append(Page(no, "", warnings=["not OCR'd: time limit reached"]))
        else:
            pages.append(Page(no, res.text, tables=res.tables, ocr_confidence=res.confidence,
                              warnings=list(res.warnings)))
    warnings = []
    if skipped:
        warnings.append(f"time limit reached: {len(skipped)} of {len(frames)} page(s) were not OCR'd")
    finish_pages(pages, {p.number for p in pages})
    if not any(p.text.strip() for p in pages):
        reasons = sorted({w for p in pages for w in p.warnings} | set(warnings))
        raise IngestError("no text found by OCR" + (f" ({'; '.join(reasons)})" if reasons else ""))
    return RawDocument(source_path=path, source_format="image_ocr", pages=pages, source_sha256=sha256,
                       warnings=warnings)
