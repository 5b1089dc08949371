"""``vnplan summary OUT``: a short, human-readable overview of a run."""

from __future__ import annotations

import argparse
import json
import sys

HELP = "show what a run produced: rows per table and one line per document"

EPILOG = """\
Prints the number of rows in every output table, then one line per document with its
type, province, plan year, number of citations / deadlines / assignments and title,
and finally the documents that failed, with the reason.

example:
  vnplan run data/samples --out out && vnplan summary out
  vnplan summary out --format json | jq '.documents[].title'
"""

# One query, so a summary of a 100 000-document run stays one scan per table.
DOCUMENTS_SQL = """
WITH c AS (SELECT doc_id, count(*) AS n FROM citations GROUP BY 1),
     dl AS (SELECT doc_id, count(*) AS n FROM deadlines GROUP BY 1),
     a AS (SELECT doc_id, count(*) AS n FROM assignments GROUP BY 1),
     s AS (SELECT doc_id, count(*) AS n FROM sections GROUP BY 1)
SELECT d.doc_id, d.status, d.doc_type, d.doc_number, d.province, d.plan_year,
       coalesce(s.n, 0) AS sections, coalesce(c.n, 0) AS citations,
       coalesce(dl.n, 0) AS deadlines, coalesce(a.n, 0) AS assignments,
       d.title, d.source_path, d.error
FROM documents d
LEFT JOIN c USING (doc_id) LEFT JOIN dl USING (doc_id) LEFT JOIN a USING (doc_id) LEFT JOIN s USING (doc_id)
ORDER BY d.status DESC, d.province NULLS LAST, d.plan_year, d.source_path
"""

TITLE_WIDTH = 70


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("summary", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="output directory of `vnplan run`")
    p.add_argument("--format", "-f", choices=("table", "markdown", "json"), default="table")
    p.add_argument("--limit", type=int, default=200, metavar="N",
                   help="list at most N documents (default 200; 0 = all)")
    p.set_defaults(func=main)


def summarize(out: str) -> dict:
    """Counts per table and one record per document, as plain Python data.

    >>> import tempfile; summarize(tempfile.mkdtemp())["tables"]["citations"]
    0
    """
    from ..query import ANALYST_TABLES, connect, run_query

    con = connect(out)
    tables = {t: run_query(con, f'SELECT count(*) FROM "{t}"').rows[0][0] for t in ANALYST_TABLES}
    docs = run_query(con, DOCUMENTS_SQL).records()
    return {"out": str(out), "tables": tables, "documents": docs}


def _counts_line(tables: dict, docs: list[dict]) -> str:
    ok = sum(1 for d in docs if d["status"] == "ok")
    failed = len(docs) - ok
    head = f"{len(docs)} documents ({ok} ok, {failed} failed)"
    rest = ", ".join(f"{n} {t}" for t, n in tables.items() if t != "documents")
    return f"{head}; {rest}"


def _title(doc: dict) -> str:
    """The document's title, or its file name in brackets when metadata found none."""
    from ..query import truncate

    if doc["title"]:
        return truncate(" ".join(doc["title"].split()), TITLE_WIDTH)
    return "[" + str(doc["source_path"] or doc["doc_id"]).replace("\\", "/").rsplit("/", 1)[-1] + "]"


def render(summary: dict, fmt: str = "table", limit: int = 200) -> str:
    """The text ``vnplan summary`` prints."""
    from ..query import Result, format_markdown, format_table

    if fmt == "json":
        from ..query import _jsonable
        return json.dumps(_jsonable(summary), ensure_ascii=False, indent=1)
    docs = summary["documents"]
    ok = [d for d in docs if d["status"] == "ok"]
    failed = [d for d in docs if d["status"] != "ok"]
    cols = ["doc_type", "doc_number", "province", "plan_year", "sections", "citations", "deadlines",
            "assignments", "title"]
    shown = ok if not limit else ok[:limit]
    rows = [tuple(_title(d) if c == "title" else d[c] for c in cols) for d in shown]
    result = Result(["type", "number", "province", "year", "sect", "cit", "dl", "asg", "title"], rows)
    parts = [f"vnplan run in {summary['out']}", _counts_line(summary["tables"], docs), ""]
    parts.append(format_markdown(result) if fmt == "markdown" else format_table(result, max_width=0))
    if limit and len(ok) > limit:
        parts.append(f"... {len(ok) - limit} more documents (--limit 0 lists all)")
    if failed:
        parts += ["", f"failed ({len(failed)}):"]
        for d in failed[: limit or None]:
            reason = (d["error"] or "").splitlines()[0] if d["error"] else "unknown error"
            parts.append(f"  {d['source_path']}: {reason}")
    return "\n".join(parts)


def main(args: argparse.Namespace) -> int:
    try:
        summary = summarize(args.out)
    except FileNotFoundError as e:
        print(f"vnplan summary: {e}", file=sys.stderr)
        return 2
    print(render(summary, args.format, args.limit))
    return 0
