"""CPU time of each pipeline stage on one core, over the bulk corpus (589 real documents).

    python benchmarks/bench_stages.py               # print the table
    python benchmarks/bench_stages.py --repeat 3    # best of 3 passes per stage
    python benchmarks/bench_stages.py --record      # also rewrite the figures in docs/batch.md

Every document goes through ingest -> normalize -> segment -> metadata -> citations ->
resolve -> deadlines -> units -> rows in this one process; each stage's ``time.process_time``
is summed over the corpus (CPU time, so other jobs on the machine disturb it less than wall
time). This is the ceiling of what one worker of ``vnplan run`` can do; the batch benchmark
(``bench_batch.py``) adds the engine, the writing and start-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from recording import record_block  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "bulk"
DOC = REPO / "docs" / "batch.md"
BEGIN, END = "<!-- bench_stages:begin -->", "<!-- bench_stages:end -->"
STAGES = ("ingest", "normalize", "segment", "metadata", "citations", "resolve", "deadlines", "units", "rows")


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix != ".tsv")


def one_pass(files: list[Path]) -> dict[str, float]:
    from extractors.citations import extract_citations
    from extractors.deadlines import extract_deadlines
    from extractors.metadata import extract_metadata
    from extractors.units import extract_assignments
    from pipeline.ingest import read
    from pipeline.normalize import normalize
    from pipeline.resolve import resolve_citations
    from pipeline.segment import segment

    t = dict.fromkeys(STAGES, 0.0)
    clock = time.process_time
    for f in files:
        c0 = clock(); raw = read(f)
        c1 = clock(); doc = normalize(raw)
        c2 = clock(); segment(doc)
        c3 = clock(); doc.metadata = extract_metadata(doc)
        c4 = clock(); cites = extract_citations(doc)
        c5 = clock(); cites = resolve_citations(doc, cites)
        c6 = clock(); deadlines = extract_deadlines(doc, cites)
        c7 = clock(); units = extract_assignments(doc)
        c8 = clock()
        for records in (cites, deadlines, units):
            [r.to_row() for r in records]
        c9 = clock()
        for name, a, b in zip(STAGES, (c0, c1, c2, c3, c4, c5, c6, c7, c8), (c1, c2, c3, c4, c5, c6, c7, c8, c9)):
            t[name] += b - a
    return t


def bench(corpus: Path = CORPUS, repeat: int = 1) -> dict:
    from pipeline.runner import process_file

    files = corpus_files(corpus)
    mb = sum(f.stat().st_size for f in files) / 1e6
    process_file(files[0])  # lazy tables and patterns are built once, as in a warmed worker
    best = None
    for _ in range(repeat):
        t = one_pass(files)
        best = t if best is None else {k: min(best[k], t[k]) for k in STAGES}
    total = sum(best.values())
    return {"docs": len(files), "mb": mb, "stages": best, "total": total, "mb_per_cpu_s": mb / total,
            "date": dt.date.today().isoformat(), "python": platform.python_version()}


def markdown(res: dict) -> str:
    lines = [f"Measured {res['date']} (Python {res['python']}), {res['docs']} documents, {res['mb']:.1f} MB, "
             "CPU seconds of one process:", "",
             "| stage | CPU s | share |", "|---|---|---|"]
    for name, s in res["stages"].items():
        lines.append(f"| {name} | {s:.2f} | {100 * s / res['total']:.0f} % |")
    lines.append(f"| **all** | **{res['total']:.2f}** | **{res['mb_per_cpu_s']:.2f} MB per CPU-second** |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--repeat", type=int, default=1, help="passes; the fastest of each stage counts")
    ap.add_argument("--record", action="store_true", help=f"write the figures into {DOC.relative_to(REPO)}")
    ap.add_argument("--quick", action="store_true", help="accepted for run_all.py; same as the default")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    res = bench(args.corpus, args.repeat)
    md = markdown(res)
    print(md)
    if args.record:
        record_block(DOC, BEGIN, END, md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
