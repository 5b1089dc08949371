"""OCR of page images with Tesseract (``vie``): scanned PDF pages and image files.

Each page image is deskewed, its ruled tables are found (``rulings``) and read cell by
cell, the rest of the page is read as running text, and the table is put back where it
stood, as markdown rows. Tesseract runs as a subprocess with one thread
(``OMP_THREAD_LIMIT=1``: its OpenMP threads only fight each other on a busy machine),
pages in parallel over all cores. The mean word confidence (0-1) is kept per page.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
from PIL import Image, ImageOps

from .errors import Deadline, IngestError
from .markdown import drop_empty, render_table
from .rulings import Grid, Segment, find_grids

LANG = os.environ.get("VNPLAN_OCR_LANG", "vie")
PAGE_TIMEOUT = 180.0  # seconds for one Tesseract call, whatever the document's limit
DEFAULT_DPI = 300


def workers() -> int:
    """OCR processes to run at once: VNPLAN_OCR_WORKERS, else the cores this process may use."""
    env = os.environ.get("VNPLAN_OCR_WORKERS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_tesseract(lang: str = LANG) -> None:
    """Raise ``IngestError`` saying what to install when Tesseract or its language is missing."""
    if shutil.which("tesseract") is None:
        raise IngestError("OCR unavailable: the tesseract program is not installed "
                          "(Debian: apt-get install tesseract-ocr tesseract-ocr-vie)")
    if lang not in _languages():
        raise IngestError(f"OCR unavailable: Tesseract has no '{lang}' language data "
                          f"(Debian: apt-get install tesseract-ocr-{lang})")


_LANGS: set[str] | None = None


def _languages() -> set[str]:
    global _LANGS
    if _LANGS is None:
        try:
            out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        _LANGS = {ln.strip() for ln in out.splitlines()[1:] if ln.strip()}
    return _LANGS


# ---------------------------------------------------------------------------------------
# Running Tesseract
# ---------------------------------------------------------------------------------------

@dataclass
class Word:
    image: int  # index of the image in a multi-image call (0 otherwise)
    block: int
    par: int
    line: int
    left: int
    top: int
    width: int
    height: int
    conf: float
    text: str


def _env() -> dict[str, str]:
    return dict(os.environ, OMP_THREAD_LIMIT="1")


def _pgm(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PPM")  # a greyscale image is written as binary PGM: no compression cost
    return buf.getvalue()


def parse_tsv(tsv: str) -> list[Word]:
    """Words (level 5 rows) of Tesseract's TSV output.

    >>> parse_tsv("level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\tword_num\\tleft\\ttop\\twidth\\theight\\tconf\\ttext\\n"
    ...           "5\\t1\\t1\\t1\\t1\\t1\\t10\\t20\\t30\\t12\\t96.5\\tKẾ\\n")[0].text
    'KẾ'
    """
    words = []
    for ln in tsv.splitlines()[1:]:
        f = ln.split("\t")
        if len(f) < 12 or f[0] != "5" or not f[11].strip():
            continue
        words.append(Word(int(f[1]) - 1, int(f[2]), int(f[3]), int(f[4]), int(f[6]), int(f[7]), int(f[8]),
                          int(f[9]), float(f[10]), f[11].strip()))
    return words


class Processes:
    """The Tesseract processes of one document, so that an interrupted document (a batch's
    hard time limit raises in the calling thread) kills them instead of waiting for them."""

    def __init__(self) -> None:
        self._live: set[subprocess.Popen] = set()
        self._lock = threading.Lock()

    def run(self, args: list[str], stdin: bytes | None, timeout: float | None) -> str:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
        with self._lock:
            self._live.add(proc)
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise TimeoutError(f"tesseract took longer than {timeout:.0f}s") from None
        finally:
            with self._lock:
                self._live.discard(proc)
        if proc.returncode != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(f"tesseract exited {proc.returncode}: {lines[-1] if lines else ''}")
        return out.decode("utf-8", "replace")

    def kill(self) -> None:
        with self._lock:
            procs = list(self._live)
        for p in procs:
            with contextlib.suppress(OSError):
                p.kill()


def tesseract_words(img: Image.Image, dpi: int, psm: int = 3, timeout: float | None = PAGE_TIMEOUT,
                    lang: str = LANG, procs: Processes | None = None) -> list[Word]:
    """Run Tesseract on one image (sent on stdin) and return its words."""
    args = ["tesseract", "stdin", "stdout", "-l", lang, "--psm", str(psm), "--dpi", str(dpi), "tsv"]
    return parse_tsv((procs or Processes()).run(args, _pgm(img), timeout))


def tesseract_words_many(images: list[Image.Image], dpi: int, psm: int = 6,
                         timeout: float | None = PAGE_TIMEOUT, lang: str = LANG,
                         procs: Processes | None = None) -> list[Word]:
    """Run one Tesseract process over several small images (table cells): the model loads once."""
    with tempfile.TemporaryDirectory(prefix="vnplan-ocr-") as tmp:
        names = []
        for k, im in enumerate(images):
            name = os.path.join(tmp, f"{k:04d}.pgm")
            im.save(name, "PPM")
            names.append(name)
        listing = os.path.join(tmp, "cells.txt")
        with open(listing, "w") as f:
            f.write("\n".join(names) + "\n")
        args = ["tesseract", listing, "stdout", "-l", lang, "--psm", str(psm), "--dpi", str(dpi), "tsv"]
        return parse_tsv((procs or Processes()).run(args, None, timeout))


# ---------------------------------------------------------------------------------------
# Image analysis: skew, ruled tables
# ---------------------------------------------------------------------------------------

def estimate_skew(gray: np.ndarray, max_deg: float = 3.0) -> float:
    """Skew of text lines in degrees (positive: lines run down to the right).

    Projection profiles: the angle whose sheared row histogram of dark pixels is sharpest.
    Coarse (0.2 deg) then fine (0.02 deg) search.
    """
    ys, xs = np.nonzero(gray < 128)
    if len(ys) < 500:
        return 0.0
    if len(ys) > 60_000:
        pick = np.random.default_rng(0).choice(len(ys), 60_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    xs = xs - xs.mean()

    def sharpness(deg: float) -> float:
        proj = np.round(ys - xs * math.tan(math.radians(deg))).astype(np.int64)
        proj -= proj.min()
        h = np.bincount(proj)
        return float(np.dot(h, h))

    coarse = np.arange(-max_deg, max_deg + 1e-9, 0.2)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - 0.2, best + 0.2 + 1e-9, 0.02)
    return float(max(fine, key=sharpness))


def _runs(mask: np.ndarray, min_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, start, end) of horizontal runs of True at least ``min_len`` long."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    r1, c1 = np.nonzero(d == 1)
    _, c2 = np.nonzero(d == -1)
    keep = (c2 - c1) >= min_len
    return r1[keep], c1[keep], c2[keep]


def _ink_threshold(gray: np.ndarray) -> int:
    """Grey level below which a pixel is ink: rulings in scans are thin and light (120-170)."""
    background = int(np.median(gray[::4, ::4]))
    return max(90, min(200, background - 45))


def find_rulings(gray: np.ndarray, dpi: int) -> list[Segment]:
    """Long horizontal and vertical dark lines of an image (pixel coordinates)."""
    dark = gray < _ink_threshold(gray)
    # Close one-pixel gaps (JPEG noise breaks thin rules) before measuring runs.
    h = dark.copy()
    h[:, 1:-1] |= dark[:, :-2] & dark[:, 2:]
    v = dark.copy()
    v[1:-1, :] |= dark[:-2, :] & dark[2:, :]
    min_len = max(20, int(0.25 * dpi))
    segs = [Segment(True, float(r), float(a), float(b)) for r, a, b in zip(*_runs(h, min_len))]
    segs += [Segment(False, float(c), float(a), float(b)) for c, a, b in zip(*_runs(v.T, min_len))]
    return segs


def _min_pool2(gray: np.ndarray) -> np.ndarray:
    """Half-size image keeping the darkest of each 2x2 block, so one-pixel rules survive."""
    h, w = gray.shape[0] // 2 * 2, gray.shape[1] // 2 * 2
    return np.minimum(np.minimum(gray[0:h:2, 0:w:2], gray[1:h:2, 0:w:2]),
                      np.minimum(gray[0:h:2, 1:w:2], gray[1:h:2, 1:w:2]))


def analysis_image(gray: np.ndarray, dpi: int) -> tuple[np.ndarray, int]:
    """The image rulings are looked for in, and its scale: half size (darkest of each 2x2
    block, so one-pixel rules survive) from 150 dpi up."""
    return (_min_pool2(gray), 2) if dpi >= 150 else (gray, 1)


def find_tables(small: np.ndarray, dpi: int, scale: int = 1) -> list[Grid]:
    """Ruled tables (at least two columns) of a deskewed page image ``small`` of resolution
    ``dpi``, in the coordinates of an image ``scale`` times larger."""
    segs = find_rulings(small, dpi)
    dark = small < _ink_threshold(small)
    reach = max(2, int(0.01 * dpi))  # residual skew and rule thickness

    def has_border(horizontal: bool, pos: float, a: float, b: float) -> bool:
        # Ink along nearly all the side: a rule broken by noise passes, text next to it does not.
        p, lo, hi = int(round(pos)), int(a + (b - a) * 0.1), int(b - (b - a) * 0.1)
        if hi <= lo:
            return True
        band = dark[max(0, p - reach):p + reach + 1, lo:hi] if horizontal else dark[lo:hi, max(0, p - reach):p + reach + 1]
        return float(band.any(axis=0 if horizontal else 1).mean()) >= 0.8

    grids = find_grids(segs, tol=max(2.0, 0.012 * dpi), min_size=0.4 * dpi, has_border=has_border)
    out = []
    for g in grids:
        if g.n_cols < 2:
            continue
        g.xs = [x * scale for x in g.xs]
        g.ys = [y * scale for y in g.ys]
        for c in g.cells:
            c.x0, c.y0, c.x1, c.y1 = c.x0 * scale, c.y0 * scale, c.x1 * scale, c.y1 * scale
        out.append(g)
    return out


def _cell_image(gray: np.ndarray, box: tuple[float, float, float, float], dpi: int, ink: int
                ) -> Image.Image | None:
    """The ink of a cell, cut free of its borders, on a white margin; None when blank."""
    inset = max(2, int(0.01 * dpi))
    x0, y0, x1, y1 = int(box[0]) + inset, int(box[1]) + inset, int(box[2]) - inset, int(box[3]) - inset
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    cell = gray[y0:y1, x0:x1].copy()
    dark = cell < ink
    # Border remnants left by residual skew: lines of ink along the cell's edges.
    edge = max(3, int(0.03 * dpi))
    for axis in (0, 1):
        frac = dark.mean(axis=1 - axis)
        n = len(frac)
        for k in list(range(min(edge, n))) + list(range(max(0, n - edge), n)):
            if frac[k] > 0.3:
                if axis == 0:
                    cell[k, :] = 255
                else:
                    cell[:, k] = 255
    dark = cell < ink
    rows = np.nonzero(dark.sum(axis=1) >= 2)[0]
    cols = np.nonzero(dark.sum(axis=0) >= 2)[0]
    if len(rows) == 0 or len(cols) == 0 or dark.sum() < 15:
        return None
    cell = cell[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    margin = max(8, dpi // 20)
    return ImageOps.expand(Image.fromarray(cell), border=margin, fill=255)


# ---------------------------------------------------------------------------------------
# One page
# ---------------------------------------------------------------------------------------

@dataclass
class OcrPage:
    """What OCR read on one page."""

    text: str
    confidence: float | None  # mean word confidence, 0-1
    tables: list[list[list[str]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _is_blank(gray: np.ndarray) -> bool:
    """No ink worth reading: fewer dark pixels than a single short word would have."""
    sample = gray[::2, ::2]
    return int((sample < 128).sum()) < max(50, sample.size // 20000)


def _lines(words: list[Word]) -> list[tuple[int, str]]:
    """(top, text) of each text line, in Tesseract's reading order."""
    out: list[tuple[int, list[str]]] = []
    key = None
    for w in words:
        k = (w.image, w.block, w.par, w.line)
        if k != key:
            out.append((w.top, []))
            key = k
        out[-1][1].append(w.text)
    return [(top, " ".join(ws)) for top, ws in out]


def _confidence(words: list[Word]) -> float | None:
    confs = [w.conf for w in words if w.conf >= 0]
    return round(sum(confs) / len(confs) / 100.0, 4) if confs else None


def ocr_image(img: Image.Image, dpi: int | None = None, timeout: float | None = PAGE_TIMEOUT,
              lang: str = LANG, tables: bool = True, procs: Processes | None = None) -> OcrPage:
    """OCR one page image: deskew, ruled tables cell by cell, the rest as running text."""
    dpi = int(dpi or img.info.get("dpi", (DEFAULT_DPI,))[0] or DEFAULT_DPI)
    dpi = min(max(dpi, 70), 600)
    gray_img = img if img.mode == "L" else img.convert("L")
    gray = np.asarray(gray_img)
    if _is_blank(gray):
        return OcrPage("", None)  # a blank scanned page: Tesseract would read noise as text
    step = max(1, round(dpi / 100))  # ~100 dpi is plenty to measure the angle of text lines
    angle = estimate_skew(gray[::step, ::step])
    grids: list[Grid] = []
    if tables:
        # Rules are looked for in a deskewed copy; the page given to Tesseract is only turned
        # when it has a table (Tesseract copes with a degree of skew in text, and reads a
        # resampled page ~15% slower). Nearest-neighbour keeps one-pixel rules dark.
        turned = gray_img.rotate(angle, resample=Image.NEAREST, fillcolor=255) if abs(angle) >= 0.1 else gray_img
        small, scale = analysis_image(np.asarray(turned), dpi)
        grids = find_tables(small, dpi // scale, scale)
        if grids:
            gray_img = turned
            gray = np.asarray(gray_img)
    table_rows: list[list[list[str]]] = []
    words_cells: list[Word] = []
    if grids:
        ink = _ink_threshold(gray)
        page = gray.copy()
        crops: list[Image.Image] = []
        where: list[tuple[int, tuple[int, int]]] = []
        for gi, g in enumerate(grids):
            x0, y0, x1, y1 = (int(v) for v in g.bbox)
            page[max(0, y0 - 3):y1 + 4, max(0, x0 - 3):x1 + 4] = 255
            for c in g.cells:
                crop = _cell_image(gray, (c.x0, c.y0, c.x1, c.y1), dpi, ink)
                if crop is not None:
                    crops.append(crop)
                    where.append((gi, (c.row, c.col)))
        texts: list[dict[tuple[int, int], str]] = [{} for _ in grids]
        if crops:
            words_cells = tesseract_words_many(crops, dpi, psm=6, timeout=timeout, lang=lang, procs=procs)
            by_image: dict[int, list[Word]] = {}
            for w in words_cells:
                by_image.setdefault(w.image, []).append(w)
            for k, (gi, rc) in enumerate(where):
                texts[gi][rc] = " ".join(t for _, t in _lines(by_image.get(k, [])))
        table_rows = [drop_empty(g.rows(t)) for g, t in zip(grids, texts)]
        body = page
    else:
        body = gray
    # The running text (tables whitened); a page that is all table needs no second pass.
    words = [] if grids and _is_blank(body) else \
        tesseract_words(Image.fromarray(body) if grids else gray_img, dpi, psm=3, timeout=timeout, lang=lang,
                        procs=procs)
    lines = _lines(words)
    # Each table goes back where it stood: before the first line below its top, Tesseract's
    # reading order kept otherwise (a two-column letterhead stays column by column).
    out: list[str] = []
    pending = sorted(((g.bbox[1], render_table(rows)) for g, rows in zip(grids, table_rows) if rows),
                     key=lambda t: t[0])
    for top, line in lines:
        while pending and pending[0][0] <= top:
            out.append(pending.pop(0)[1])
        out.append(line)
    out += [t for _, t in pending]
    return OcrPage("\n".join(out), _confidence(words + words_cells), [r for r in table_rows if r])


# ---------------------------------------------------------------------------------------
# Many pages, in parallel
# ---------------------------------------------------------------------------------------

ImageJob = Callable[[], tuple[Image.Image, int]]


def ocr_pages(jobs: Iterable[tuple[int, ImageJob]], deadline: Deadline, n_workers: int | None = None,
              lang: str = LANG) -> tuple[dict[int, OcrPage], list[int]]:
    """OCR pages in parallel. ``jobs`` yields (page number, function returning (image, dpi)).

    Images are made in the calling thread (PDF renderers are not thread-safe) only when a
    worker is free, so a 500-page scan never sits in memory at once. Returns the pages
    read and the page numbers skipped because the time limit ran out.
    """
    n_workers = n_workers or workers()
    results: dict[int, OcrPage] = {}
    skipped: list[int] = []
    running: dict[Future, int] = {}
    procs = Processes()

    def collect(done: Iterable[Future]) -> None:
        for f in done:
            no = running.pop(f)
            try:
                results[no] = f.result()
            except Exception as e:  # one bad page must not sink the document
                results[no] = OcrPage("", None, warnings=[f"OCR failed on page {no}: {_reason(e)}"])

    pool = ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="vnplan-ocr")
    try:
        for no, make in jobs:
            while len(running) >= n_workers:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                collect(done)
            if deadline.expired():
                skipped.append(no)
                continue
            try:
                img, dpi = make()
            except Exception as e:
                results[no] = OcrPage("", None, warnings=[f"page {no} could not be rendered: {_reason(e)}"])
                continue
            remaining = deadline.remaining()
            limit = PAGE_TIMEOUT if remaining is None else max(1.0, min(PAGE_TIMEOUT, remaining))
            running[pool.submit(ocr_image, img, dpi, limit, lang, True, procs)] = no
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            collect(done)
    except BaseException:
        # Interrupted (a batch time limit, Ctrl-C): stop now, not when the pages are done.
        for f in running:
            f.cancel()
        procs.kill()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results, skipped


def _reason(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}" if not isinstance(e, (RuntimeError, TimeoutError)) else str(e)
