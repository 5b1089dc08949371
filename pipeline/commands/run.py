"""``vnplan run INPUT... --out DIR``"""

from __future__ import annotations

import argparse
import sys

HELP = "process documents (files, directories, globs) and write Parquet tables"

EPILOG = """\
Inputs: files (.txt, .md), directories (searched recursively) and glob patterns.
A file that cannot be read becomes a `documents` row with status `failed` and an
`error`; the run goes on. Exit status is non-zero only when nothing could be processed.

Tables written under OUT (read with pandas.read_parquet(OUT + "/citations")):
  documents, texts, sections, citations, deadlines, assignments

example:
  vnplan run data/samples --out out
  vnplan run "archive/**/*.txt" --out out
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="file, directory or glob")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output directory for the Parquet tables")
    p.add_argument("--verbose", "-v", action="store_true", help="print one line per document")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..batch import run

    summary = run(args.inputs, args.out, progress=args.verbose)
    print(f"vnplan: {summary.line()} -> {args.out}", file=sys.stderr)
    if summary.errors:
        for reason, n in sorted(summary.errors.items(), key=lambda kv: -kv[1]):
            print(f"  failed: {n} x {reason}", file=sys.stderr)
    return 0 if summary.processed > 0 or (summary.failed == 0 and summary.skipped > 0) else 1
