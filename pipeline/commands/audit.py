"""``vnplan audit OUT``: check the deadlines of a run for consistency; write OUT/deadline_audit."""

from __future__ import annotations

import argparse
import json
import sys

HELP = "audit deadline consistency within and across documents; write OUT/deadline_audit"

EPILOG = """\
Rules (severity):
  subordinate_after_aggregate (error)  a unit's report is due after the report that aggregates it
                                       (units -> UBND xã before 01/6, xã -> tỉnh before 05/6 is fine)
  child_after_parent (error)           a plan's report is due after the same report in the parent
                                       plan it cites (commune plan citing the province's 450/KH-UBND)
  impossible_date (error)              a day that does not exist ("trước ngày 31/6")
  citation_after_plan (error)          a cited instrument dated after the plan itself
  before_issue_date (error|warning)    a deadline already past when the plan was issued
  out_of_range_date (warning)          a deadline more than 5 years from the plan year

The table OUT/deadline_audit is replaced on every run: doc_id, finding_id, rule, severity,
message, spans (doc_id, start, end, raw into OUT/texts), related_doc_id.

example:
  vnplan run data/samples --out out && vnplan audit out
  vnplan audit out --severity error --json findings.json
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="output directory of `vnplan run`")
    p.add_argument("--severity", choices=("error", "warning", "info"), default="info",
                   help="print findings of at least this severity (all are written)")
    p.add_argument("--json", metavar="FILE", help="also write the findings as JSON to FILE ('-' for stdout)")
    p.add_argument("--no-write", action="store_true", help="do not write OUT/deadline_audit")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..audit import format_report, run_audit

    if not (Path(args.out) / "documents").is_dir():
        print(f"vnplan audit: {args.out} has no documents table (run `vnplan run ... --out {args.out}` first)",
              file=sys.stderr)
        return 2
    findings, documents, deadlines = run_audit(args.out, write=not args.no_write)
    if args.json:
        data = json.dumps([f.to_row() for f in findings], ensure_ascii=False, indent=1, default=str)
        if args.json == "-":
            print(data)
        else:
            Path(args.json).write_text(data + "\n", encoding="utf-8")
    if args.json != "-":
        print(format_report(findings, documents, deadlines, min_severity=args.severity))
    return 0
