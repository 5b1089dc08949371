"""Citation extraction speed on one core, over the bulk corpus (589 real documents).

    python benchmarks/bench_citations.py            # print the figures
    python benchmarks/bench_citations.py --quick    # the first 150 documents only
    python benchmarks/bench_citations.py --record   # also rewrite the figures in docs/citations.md

Documents are read and normalized, segmented and given their metadata first (not
timed); then ``extract_citations`` (find + parse, the issue's 5 MB/s target) and
``resolve_citations`` are timed separately, best of ``--repeat`` passes. Throughput is
MB of UTF-8 normalized text per second of CPU time of this one process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CORPUS = REPO.parent / "shared" / "corpus" / "bulk"
DOC = REPO / "docs" / "citations.md"
BEGIN, END = "<!-- bench_citations:begin -->", "<!-- bench_citations:end -->"


def load_documents(corpus: Path, limit: int | None = None) -> list:
    """Normalized, segmented documents with metadata, ready for the citation extractor."""
    from extractors.metadata import extract_metadata
    from pipeline.ingest import read
    from pipeline.normalize import normalize
    from pipeline.segment import segment

    docs = []
    for path in sorted(corpus.glob("*.txt"))[:limit]:
        doc = normalize(read(path))
        segment(doc)
        doc.metadata = extract_metadata(doc)
        docs.append(doc)
    return docs


def bench(docs: list, repeat: int = 3) -> dict:
    """Best-of-``repeat`` CPU seconds for extraction and for resolution over ``docs``."""
    from extractors.citations import extract_citations
    from pipeline.resolve import resolve_citations

    mb = sum(len(d.text.encode("utf-8")) for d in docs) / 1e6
    best_x = best_r = float("inf")
    n = 0
    for _ in range(repeat):
        t0 = time.process_time()
        found = [extract_citations(d) for d in docs]
        t1 = time.process_time()
        for d, cits in zip(docs, found):
            resolve_citations(d, cits)
        t2 = time.process_time()
        best_x, best_r = min(best_x, t1 - t0), min(best_r, t2 - t1)
        n = sum(len(c) for c in found)
    return {"documents": len(docs), "mb": mb, "citations": n, "extract_s": best_x, "resolve_s": best_r,
            "extract_mb_s": mb / best_x, "total_mb_s": mb / (best_x + best_r)}


def report(r: dict) -> str:
    return "\n".join([
        f"corpus: {r['documents']} documents, {r['mb']:.1f} MB of normalized text, {r['citations']} citations",
        f"extract_citations: {r['extract_s']:.2f} s CPU -> {r['extract_mb_s']:.1f} MB/s (target >= 5 MB/s)",
        f"extract + resolve: {r['extract_s'] + r['resolve_s']:.2f} s CPU -> {r['total_mb_s']:.1f} MB/s",
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"{dt.date.today().isoformat()}",
    ])


def record(text: str, doc: Path = DOC) -> None:
    """Replace the figures between the bench markers in docs/citations.md."""
    body = doc.read_text(encoding="utf-8")
    block = f"{BEGIN}\n```\n{text}\n```\n{END}"
    if BEGIN in body and END in body:
        body = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, body, flags=re.S)
    else:
        body = body.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--quick", action="store_true", help="first 150 documents only")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--record", action="store_true", help="write the figures into docs/citations.md")
    args, _unknown = ap.parse_known_args(argv)  # run_all.py passes every benchmark the same flags
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    docs = load_documents(args.corpus, 150 if args.quick else None)
    text = report(bench(docs, args.repeat))
    print(text)
    if args.record and not args.quick:
        record(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
