"""``vnplan deadlines OUT [--by province]``: the deadlines of a run, listed or grouped."""

from __future__ import annotations

import argparse

from .query import add_format_args, run_sql

HELP = "list the deadlines plans set, or count them by province / document / kind / unit / month"

EPILOG = """\
Without --by: one line per deadline (province, document, kind, the words of the text,
the due date for dated ones, recurrence, unit, task), earliest first.
With --by: counts per group, dated deadlines apart from undated ones ("thường xuyên"),
and the earliest and latest due date.

examples:
  vnplan deadlines out --by province
  vnplan deadlines out --province "Lâm Đồng" --kind absolute
  vnplan deadlines out --by month --year 2026 --format csv
"""


def register(sub: argparse._SubParsersAction) -> None:
    from ..query import DEADLINE_GROUPS

    p = sub.add_parser("deadlines", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="output directory of `vnplan run`")
    p.add_argument("--by", choices=tuple(DEADLINE_GROUPS), help="count deadlines per group")
    p.add_argument("--province", help="only documents of this province (short name, e.g. 'Huế')")
    p.add_argument("--kind", choices=("absolute", "period", "recurring", "continuous", "vague"))
    p.add_argument("--year", type=int, help="only deadlines falling due in this year")
    add_format_args(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..query import deadlines_sql

    sql, params = deadlines_sql(by=args.by, province=args.province, kind=args.kind, year=args.year)
    return run_sql(args.out, sql, params, args, "deadlines")
