"""``vnplan query OUT "SQL"``: DuckDB SQL over the output tables."""

from __future__ import annotations

import argparse
import sys

HELP = "run DuckDB SQL over a run's output tables (documents, citations, deadlines, ...)"

EPILOG = """\
Every table under OUT is a view of the same name: documents, sections, citations,
instruments, deadlines, assignments, deadline_audit (and texts, the normalized texts).
Missing tables are empty views; hive-partitioned directories are read as well.
SQL "-" reads the query from standard input. Without SQL, lists the tables and columns.

examples:
  vnplan query out "SELECT province, count(*) AS n FROM citations GROUP BY 1 ORDER BY n DESC"
  vnplan query out "SELECT DISTINCT province FROM citations WHERE symbol = 'CT-TTg' AND number = '33'"
  vnplan query out "SELECT * FROM deadlines WHERE date < DATE '2026-07-01'" --format csv > h1.csv
  vnplan query out --tables

See docs/analysis.md for more example queries.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("query", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="output directory of `vnplan run`")
    p.add_argument("sql", metavar="SQL", nargs="?", help='a DuckDB query, or "-" to read it from stdin')
    add_format_args(p)
    p.add_argument("--tables", action="store_true", help="list the tables, their columns and row counts")
    p.set_defaults(func=main)


def add_format_args(p: argparse.ArgumentParser) -> None:
    """The output options every query-backed command shares."""
    from ..query import FORMATS

    p.add_argument("--format", "-f", choices=FORMATS, default="table",
                   help="output format (default: table; json is one array, jsonl one object per line)")
    p.add_argument("--max-width", type=int, default=60, metavar="N",
                   help="cut table cells at N characters (0 = never; table format only)")


def print_result(result, args: argparse.Namespace) -> None:
    """Print a query result in the format the user asked for."""
    from ..query import format_result

    text = format_result(result, args.format, args.max_width)
    if text:
        print(text)


def run_sql(out: str, sql: str, params, args: argparse.Namespace, command: str) -> int:
    """Connect, run, print; a bad query or OUT is a one-line error and exit status 1/2."""
    import duckdb

    from ..query import connect, run_query

    try:
        con = connect(out)
    except FileNotFoundError as e:
        print(f"vnplan {command}: {e}", file=sys.stderr)
        return 2
    try:
        result = run_query(con, sql, params)
    except duckdb.Error as e:
        print(f"vnplan {command}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print_result(result, args)
    return 0


def tables_overview(out: str):
    """One row per (table, column) with the table's row count."""
    from ..query import Result, connect, run_query
    from ..schema import TABLES

    con = connect(out)
    rows = []
    for t in TABLES:
        n = run_query(con, f'SELECT count(*) FROM "{t}"').rows[0][0]
        for name, typ, *_ in run_query(con, f'DESCRIBE "{t}"').rows:
            rows.append((t, n, name, typ))
    return Result(["table", "rows", "column", "type"], rows)


def main(args: argparse.Namespace) -> int:
    if args.tables or not args.sql:
        try:
            print_result(tables_overview(args.out), args)
        except FileNotFoundError as e:
            print(f"vnplan query: {e}", file=sys.stderr)
            return 2
        return 0
    sql = sys.stdin.read() if args.sql == "-" else args.sql
    return run_sql(args.out, sql, None, args, "query")
