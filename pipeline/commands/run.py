"""``vnplan run INPUT... --out DIR``"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import nullcontext

HELP = "process documents (files, directories, globs, archives) and write Parquet tables"

EPILOG = """\
Inputs: files, directories (searched recursively), glob patterns, .zip/.tar/.tar.gz
archives (read in place; archives inside archives too) and --from-file lists. Unsafe
inputs are refused: archive members escaping the archive (zip-slip), symlinks leading
outside an input directory, decompression bombs.
A file that cannot be read becomes a `documents` row with status `failed` and an
`error`; the run goes on. Exit status is non-zero only when nothing could be processed.

Runs are incremental and resumable: a document whose content and pipeline version are
already in OUT is skipped (--force redoes it, --retry-failed redoes failures); a run
that was killed resumes where it stopped, without duplicates.

Tables written under OUT (read with pandas.read_parquet(OUT + "/citations")):
  documents, texts, sections, citations, deadlines, assignments, instruments
partitioned by province (column `province_slug`) unless --partition-by none.

examples:
  vnplan run data/samples --out out
  vnplan run "archive/**/*.txt" plans-2026.zip --out out --workers 8
  vnplan run --from-file list.txt --out out --log-json run.jsonl
  vnplan run archive/ --out out --engine dask --scheduler tcp://10.0.0.5:8786
"""


def register(sub: argparse._SubParsersAction) -> None:
    from ..batch import DEFAULT_BATCH_DOCS, DEFAULT_BUFFER_MB, DEFAULT_TIMEOUT
    from ..engines import ENGINES
    from ..layout import PARTITION_CHOICES

    p = sub.add_parser("run", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="file, directory, glob or archive")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output directory for the Parquet tables")
    p.add_argument("--from-file", metavar="FILE", help="also read inputs from FILE, one per line ('-': stdin)")
    p.add_argument("--workers", "-j", type=int, metavar="N", help="worker processes (default: every core)")
    p.add_argument("--engine", choices=ENGINES, default="local", help="where documents are processed (default: local)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (implies --engine dask; "
                        "--engine dask without it starts a local cluster)")
    p.add_argument("--force", action="store_true", help="redo documents already in OUT")
    p.add_argument("--retry-failed", action="store_true", help="redo documents that failed in an earlier run")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit per document (default: {DEFAULT_TIMEOUT:g}; 0: none)")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_DOCS, metavar="N",
                   help=f"documents per committed batch and Parquet file (default: {DEFAULT_BATCH_DOCS})")
    p.add_argument("--max-buffer-mb", type=float, default=DEFAULT_BUFFER_MB, metavar="MB",
                   help=f"rows held in memory before a batch is written, all workers together "
                        f"(default: {DEFAULT_BUFFER_MB})")
    p.add_argument("--partition-by", choices=PARTITION_CHOICES, default="province", metavar="KEYS",
                   help=f"hive partitions of the per-document tables: {', '.join(PARTITION_CHOICES)} "
                        "(default: province)")
    p.add_argument("--max-ratio", type=float, metavar="X",
                   help="refuse archive members expanding more than X times (default: 100)")
    p.add_argument("--log-json", nargs="?", const="-", metavar="FILE",
                   help="write JSON-lines events to FILE (or stderr without FILE)")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="always show the progress line (default: on a terminal, not in CI)")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="never show it")
    p.add_argument("--verbose", "-v", action="store_true", help="print one line per document")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..batch import run
    from ..engines import EngineError
    from ..engines.local import WriteError
    from ..inputs import ArchiveLimits
    from ..manifest import StateError
    from ..nopandas import pandas_refused

    if not args.inputs and not args.from_file:
        print("vnplan run: give at least one INPUT or --from-file", file=sys.stderr)
        return 2
    limits = ArchiveLimits(max_ratio=args.max_ratio) if args.max_ratio else None
    progress = args.progress
    if progress is None and (args.log_json == "-" or args.verbose):
        progress = False  # JSON lines or per-document lines on stderr: no status line among them
    # Arrow's default allocator here (mimalloc) keeps what the written batches freed: ~90 MB
    # more at the peak of a 10,000-document run than the system allocator, for no speed gain in
    # this process. Read when pyarrow is first loaded (later); a user's own setting wins.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    refuse = pandas_refused() if args.engine in ("local", "inline") and not args.scheduler else nullcontext()
    try:
        with refuse:  # nothing in this process uses pandas; pyarrow would import it for nothing
            summary = run(args.inputs, args.out, progress=progress, workers=args.workers, engine=args.engine,
                          scheduler=args.scheduler, force=args.force, retry_failed=args.retry_failed,
                          timeout=args.timeout, batch_size=args.batch_size, partition_by=args.partition_by,
                          from_file=args.from_file, verbose=args.verbose, log_json=args.log_json, limits=limits,
                          max_buffer_mb=args.max_buffer_mb)
    except (StateError, EngineError, WriteError) as e:
        print(f"vnplan run: {e}", file=sys.stderr)
        return 2
    if args.log_json != "-":
        print(f"vnplan: {summary.report()} -> {args.out}", file=sys.stderr)
    return 0 if summary.processed > 0 or (summary.failed == 0 and summary.skipped > 0) else 1
