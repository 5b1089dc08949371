"""``vnplan units OUT [--unit "Sở Nội vụ"]``: who is made responsible for what."""

from __future__ import annotations

import argparse

from .query import add_format_args, run_sql

HELP = "list the units plans make responsible, or the tasks of one unit"

EPILOG = """\
Without --unit: one line per unit with its number of assignments (as lead / support),
documents and provinces. With --unit: every task given to a matching unit (a
case-insensitive substring of the canonical or the written name; --exact for equality).

examples:
  vnplan units out
  vnplan units out --unit "Sở Nội vụ"
  vnplan units out --unit "Công an" --role lead --province "Quảng Trị" --format json
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("units", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="output directory of `vnplan run`")
    p.add_argument("--unit", "-u", help="show the tasks of units matching this name")
    p.add_argument("--exact", action="store_true", help="--unit must equal the canonical unit name")
    p.add_argument("--role", choices=("lead", "support"))
    p.add_argument("--province", help="only this province (short name, e.g. 'Lâm Đồng')")
    add_format_args(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..query import units_sql

    sql, params = units_sql(unit=args.unit, role=args.role, province=args.province, exact=args.exact)
    return run_sql(args.out, sql, params, args, "units")
