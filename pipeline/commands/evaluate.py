"""``vnplan evaluate --gold DIR --out DIR``"""

from __future__ import annotations

import argparse
import json
import sys

HELP = "score the tables under OUT against gold annotations (precision/recall/F1, accuracy)"

EPILOG = """\
Gold files are JSON in the format of data/gold/SPEC.md. An output document matches a gold
file when its source file name, up to the first ".", equals the gold "source" up to its
first "." (000_x.txt, 000_x.pdf and 000_x.scan.pdf all match 000_x.json); several matching
outputs are scored separately. Scores are micro-averaged over documents; see
docs/evaluation.md for every rule, including what "lenient" name matching means.

Report sections: metadata, sections, citations, deadlines, assignments.
Exit status: 0 after scoring (whatever the scores), 2 on usage errors.

example:
  vnplan run data/samples --out out
  vnplan evaluate --gold data/gold --out out
  vnplan evaluate --gold data/gold --out out --only citations,deadlines --json scores.json
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gold", "-g", required=True, metavar="DIR", help="directory of gold *.json files (or one file)")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output directory of `vnplan run`")
    p.add_argument("--json", metavar="FILE", help="also write every score, per document too, as JSON to FILE")
    p.add_argument("--only", metavar="SECTIONS",
                   help="comma list of report sections to print: metadata,sections,citations,deadlines,assignments")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="per-document score tables and complete missed/spurious/wrong lists")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..evaluate import SECTIONS, EvaluationError, evaluate, format_report

    only = tuple(SECTIONS)
    if args.only:
        only = tuple(s.strip() for s in args.only.split(",") if s.strip())
        unknown = [s for s in only if s not in SECTIONS]
        if unknown or not only:
            print(f"vnplan evaluate: unknown section(s) in --only: {', '.join(unknown) or args.only!r}; "
                  f"choose from {','.join(SECTIONS)}", file=sys.stderr)
            return 2
    try:
        report = evaluate(args.gold, args.out)
    except EvaluationError as e:
        print(f"vnplan evaluate: {e}", file=sys.stderr)
        return 2
    print(format_report(report, only=only, verbose=args.verbose))
    if args.json:
        try:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(report.to_dict(), f, ensure_ascii=False, indent=1)
        except OSError as e:
            print(f"vnplan evaluate: cannot write {args.json}: {e}", file=sys.stderr)
            return 2
    return 0
