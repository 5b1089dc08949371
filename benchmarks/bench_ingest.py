"""Ingest speed: the text-PDF path (pages/s per core) and OCR against plain Tesseract.

    python benchmarks/bench_ingest.py             # all figures (OCR of 25 scanned pages: a few minutes)
    python benchmarks/bench_ingest.py --quick     # OCR of 4 pages only
    python benchmarks/bench_ingest.py --record    # also rewrite the figures in docs/ingest.md
    python benchmarks/bench_ingest.py --parity 6  # only: text vs PDF vs scan on 6 unseen bulk documents

Text PDFs (data/samples_pdf, 25 pages of which 6 hold a ruled table): ``ingest.read`` on
every file, best of ``--repeat`` passes, pages per second of CPU time of this process
(one core; the goal is >= 200). pdfplumber's table extraction on the table pages is
timed too, since it is what the PDFium grid reader replaces.

OCR (data/samples_scan: 200 dpi greyscale scans with skew, noise and JPEG): the same page
images are given to

* ``plain``: ``tesseract page.png out -l vie``, one page after the other, as installed
  (OpenMP threads on);
* ``plain 1 thread``: the same with ``OMP_THREAD_LIMIT=1`` (what vnplan runs);
* ``vnplan page``: ``ocr.ocr_image`` (deskew, table cells, running text), one page after the
  other;
* ``vnplan doc``: ``ingest.read`` of the scanned PDFs, pages in parallel over all cores.

Seconds per page are wall clock; CPU seconds count this process and its children. The
goal is vnplan's time per page <= 1.15x plain Tesseract's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from recording import record_block  # noqa: E402

PDFS = REPO / "data" / "samples_pdf"
SCANS = REPO / "data" / "samples_scan"
DOC = REPO / "docs" / "ingest.md"
BEGIN, END = "<!-- bench_ingest:begin -->", "<!-- bench_ingest:end -->"


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = _cpu() - self.cpu


def bench_text_pdfs(repeat: int) -> dict:
    from pipeline.ingest import read

    files = sorted(PDFS.glob("*.pdf"))
    pages = sum(read(f).n_pages for f in files)  # warm-up (imports, PDFium)
    best = None
    for _ in range(repeat):
        with Clock() as c:
            for f in files:
                read(f)
        best = c if best is None or c.cpu < best.cpu else best
    table_pages = [(f, p.number) for f in files for p in read(f).pages if p.tables]
    out = {"files": len(files), "pages": pages, "cpu_s": best.cpu, "wall_s": best.wall,
           "pages_per_cpu_s": pages / best.cpu, "table_pages": len(table_pages)}
    try:
        import pdfplumber
    except ImportError:
        return out
    with Clock() as c:
        for f, no in table_pages:
            with pdfplumber.open(f) as pdf:
                pdf.pages[no - 1].extract_tables()
    out["pdfplumber_table_pages_per_cpu_s"] = len(table_pages) / c.cpu if table_pages else None
    return out


def _page_images(limit: int | None, tmp: Path) -> list[tuple[Path, object, int]]:
    import pypdfium2 as pdfium

    from pipeline.ingest.pdf import page_image

    out = []
    for f in sorted(SCANS.glob("*.pdf")):
        pdf = pdfium.PdfDocument(str(f))
        for i in range(len(pdf)):
            if limit is not None and len(out) >= limit:
                break
            img, dpi = page_image(pdf, i, 0)
            png = tmp / f"{f.stem}-{i + 1:02d}.png"
            img.save(png, dpi=(dpi, dpi))
            out.append((png, img, dpi))
        pdf.close()
    return out


def bench_ocr(limit: int | None) -> dict:
    from pipeline.ingest import ocr, read

    with tempfile.TemporaryDirectory(prefix="vnplan-bench-") as tmpdir:
        tmp = Path(tmpdir)
        pages = _page_images(limit, tmp)
        n = len(pages)
        res = {"pages": n, "workers": ocr.workers()}

        def plain(env: dict) -> Clock:
            with Clock() as c:
                for png, _, _ in pages:
                    subprocess.run(["tesseract", str(png), str(png.with_suffix("")), "-l", "vie"],
                                   capture_output=True, check=True, env=env)
            return c

        c = plain(dict(os.environ))
        res["plain"] = {"s_per_page": c.wall / n, "cpu_per_page": c.cpu / n}
        c = plain(dict(os.environ, OMP_THREAD_LIMIT="1"))
        res["plain_1thread"] = {"s_per_page": c.wall / n, "cpu_per_page": c.cpu / n}
        with Clock() as c:
            for _, img, dpi in pages:
                ocr.ocr_image(img, dpi)
        res["vnplan_page"] = {"s_per_page": c.wall / n, "cpu_per_page": c.cpu / n}
    if limit is None:
        files = sorted(SCANS.glob("*.pdf"))
        with Clock() as c:
            n_doc = sum(read(f).n_pages for f in files)
        res["vnplan_doc"] = {"pages": n_doc, "s_per_page": c.wall / n_doc, "cpu_per_page": c.cpu / n_doc}
    res["ratio_cpu_vs_plain_1thread"] = res["vnplan_page"]["cpu_per_page"] / res["plain_1thread"]["cpu_per_page"]
    res["ratio_wall_vs_plain"] = res["vnplan_page"]["s_per_page"] / res["plain"]["s_per_page"]
    return res


# ---------------------------------------------------------------------------------------------
# Parity on documents nobody tuned for: a bulk document as text, as a PDF, as a scan
# ---------------------------------------------------------------------------------------------

BULK = REPO.parent / "shared" / "corpus" / "bulk"


def _pick_bulk(n: int) -> list[Path]:
    import regex

    cites = regex.compile(r"\bsố\s+\d+/(?:\d{4}/)?[\p{Lu}Đ]")
    picked = []
    for f in sorted(BULK.glob("*.txt")):
        t = f.read_text(encoding="utf-8")
        if 3000 <= len(t) <= 12000 and len(cites.findall(t)) >= 4 and "|" not in t:
            picked.append(f)
    step = max(1, len(picked) // n)
    return picked[::step][:n]


def _render_pdf(text: str, out: Path) -> None:
    from fpdf import FPDF

    from tests.fixtures.ingest_fixtures import FONT

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", FONT)
    pdf.set_font("DejaVu", size=12)
    pdf.set_margins(25, 20, 20)
    pdf.add_page()
    for para in text.split("\n"):
        if para.strip():
            pdf.multi_cell(0, 6.5, para.strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(out))


def _render_scan(pdf_path: Path, out: Path, dpi: int = 200) -> None:
    """Pages as a scanner gives them: 200 dpi greyscale, 0.6° skew, noise, blur, JPEG."""
    import io

    import numpy as np
    import pypdfium2 as pdfium
    from fpdf import FPDF
    from PIL import Image, ImageFilter

    src = pdfium.PdfDocument(str(pdf_path))
    pdf = FPDF(format="A4", unit="pt")
    rng = np.random.default_rng(7)
    for page in src:
        img = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        img = img.rotate(-0.6, resample=Image.BILINEAR, fillcolor=255).filter(ImageFilter.GaussianBlur(0.6))
        arr = np.asarray(img).astype(np.int16) + rng.normal(0, 8, (img.height, img.width)).astype(np.int16)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=60)
        buf.seek(0)
        pdf.add_page()
        pdf.image(buf, x=0, y=0, w=595.28, h=841.89)
    src.close()
    pdf.output(str(out))


def _f1(gold: set, pred: set) -> float:
    if not gold and not pred:
        return 1.0
    tp = len(gold & pred)
    return 2 * tp / (len(gold) + len(pred)) if gold or pred else 1.0


def bench_parity(n: int) -> dict:
    from pipeline.ingest import read
    from pipeline.runner import process_raw

    def keys(res) -> tuple[set, set]:
        cites = {(str(r.get("number")), str(r.get("symbol"))) for r in res.tables.get("citations", [])
                 if r.get("number")}
        secs = {(r.get("ordinal"), r.get("label")) for r in res.tables.get("sections", []) if r.get("level") == 1
                and r.get("label") not in (None, "preamble", "closing")}
        return cites, secs

    rows = []
    with tempfile.TemporaryDirectory(prefix="vnplan-parity-") as tmpdir:
        tmp = Path(tmpdir)
        for f in _pick_bulk(n):
            text = f.read_text(encoding="utf-8")
            pdf, scan = tmp / (f.stem + ".pdf"), tmp / (f.stem + ".scan.pdf")
            _render_pdf(text, pdf)
            _render_scan(pdf, scan)
            base = keys(process_raw(read(f)))
            row = {"doc": f.name, "citations": len(base[0]), "sections": len(base[1])}
            for name, path in (("pdf", pdf), ("scan", scan)):
                raw = read(path)
                got = keys(process_raw(raw))
                row[name] = {"pages": raw.n_pages, "citations_f1": _f1(base[0], got[0]),
                             "sections_f1": _f1(base[1], got[1]), "ocr_confidence": raw.ocr_confidence,
                             "missed": sorted(base[0] - got[0])[:5], "spurious": sorted(got[0] - base[0])[:5]}
            rows.append(row)
    return {"documents": rows}


def parity_report(res: dict) -> str:
    lines = ["| bulk document | citations | PDF: citations F1 / sections F1 | scan: citations F1 / sections F1 |",
             "|---|---|---|---|"]
    for r in res["documents"]:
        lines.append(f"| {r['doc'][:40]} | {r['citations']} | {r['pdf']['citations_f1']:.3f} / "
                     f"{r['pdf']['sections_f1']:.3f} | {r['scan']['citations_f1']:.3f} / {r['scan']['sections_f1']:.3f} |")
    return "\n".join(lines)


def report(text: dict, ocr_res: dict | None) -> str:
    lines = [
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores "
        f"(shared with other work), Python {platform.python_version()}.",
        "",
        "| text-layer PDFs | figure |",
        "|---|---|",
        f"| pages read | {text['pages']} in {text['files']} files ({text['table_pages']} with a ruled table) |",
        f"| **pages per CPU second (one core)** | **{text['pages_per_cpu_s']:.0f}** (goal >= 200) |",
    ]
    if text.get("pdfplumber_table_pages_per_cpu_s"):
        lines.append(f"| pdfplumber `extract_tables`, table pages only | "
                     f"{text['pdfplumber_table_pages_per_cpu_s']:.0f} pages per CPU second |")
    if ocr_res:
        lines += ["", f"| OCR ({ocr_res['pages']} scanned pages, 200 dpi) | s/page (wall) | CPU s/page |",
                  "|---|---|---|"]
        names = [("plain", "`tesseract page.png out -l vie`"), ("plain_1thread", "same, `OMP_THREAD_LIMIT=1`"),
                 ("vnplan_page", "vnplan `ocr_image` (deskew, tables, text), one page at a time"),
                 ("vnplan_doc", f"vnplan `read(scan.pdf)`, pages over {ocr_res['workers']} workers")]
        for key, label in names:
            if key in ocr_res:
                r = ocr_res[key]
                lines.append(f"| {label} | {r['s_per_page']:.2f} | {r['cpu_per_page']:.2f} |")
        lines += ["", f"vnplan per page vs plain Tesseract: **{ocr_res['ratio_cpu_vs_plain_1thread']:.2f}x** the CPU "
                      f"of the one-thread run, {ocr_res['ratio_wall_vs_plain']:.2f}x the wall time of the default run "
                      f"(goal <= 1.15x)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="OCR of 4 pages only, 3 passes over the PDFs")
    ap.add_argument("--repeat", type=int, default=None, help="passes over the text PDFs (best is kept)")
    ap.add_argument("--no-ocr", action="store_true", help="text PDFs only")
    ap.add_argument("--record", action="store_true", help=f"write the figures into {DOC.relative_to(REPO)}")
    ap.add_argument("--parity", type=int, metavar="N", default=0,
                    help="only compare text, PDF and scan of N bulk documents (end to end)")
    args = ap.parse_args(argv)
    if args.parity:
        res = bench_parity(args.parity)
        print(parity_report(res))
        for r in res["documents"]:
            for name in ("pdf", "scan"):
                if r[name]["missed"] or r[name]["spurious"]:
                    print(f"  {r['doc']} {name}: missed {r[name]['missed']} spurious {r[name]['spurious']}")
        return 0
    if not PDFS.is_dir():
        print(f"bench_ingest: {PDFS} missing", file=sys.stderr)
        return 1
    text = bench_text_pdfs(args.repeat or (3 if args.quick else 10))
    ocr_res = None
    if not args.no_ocr and SCANS.is_dir():
        ocr_res = bench_ocr(4 if args.quick else None)
    out = report(text, ocr_res)
    print(out)
    if args.record:
        record_block(DOC, BEGIN, END, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
