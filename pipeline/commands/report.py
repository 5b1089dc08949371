"""``vnplan report OUT --html report.html``: one self-contained HTML report of a run."""

from __future__ import annotations

import argparse
import sys

HELP = "write a self-contained HTML report (citation matrix, deadline timeline, audit, documents)"

EPILOG = """\
The report is one HTML file with its data, CSS and JavaScript inlined: it loads nothing
from the network and opens from disk. Views: corpus summary; instrument x province
citation matrix (sortable, filterable); a page per cited instrument with the sentence of
every citation; deadline timeline per province; audit findings; every document's text
with citations, deadlines and units highlighted.

example:
  vnplan run data/samples --out out && vnplan report out --html report.html
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="output directory of `vnplan run`")
    p.add_argument("--html", required=True, metavar="FILE", help="where to write the report")
    p.add_argument("--title", help="page title (default: 'vnplan report — <OUT>')")
    p.add_argument("--max-doc-texts", type=int, default=300, metavar="N",
                   help="embed the text of at most N documents for the document view (default 300); "
                        "counts, matrix, timeline and audit always cover every document")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..report import write_report

    try:
        path = write_report(args.out, args.html, title=args.title, max_doc_texts=args.max_doc_texts)
    except FileNotFoundError as e:
        print(f"vnplan report: {e}", file=sys.stderr)
        return 2
    size = path.stat().st_size
    print(f"vnplan: report written to {path} ({size / 1024:.0f} KiB)", file=sys.stderr)
    return 0
