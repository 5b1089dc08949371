"""``vnplan cites OUT``: which instruments each province (issuer level, document) cites.

One row per instrument, one column per group, each cell the number of citing documents
of that group ("." for none) — the instrument x province matrix. Wide matrices are
printed in blocks of columns that fit the terminal, the instrument label repeated.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass

HELP = "the instrument x province matrix: which instruments the plans cite, and how often"

EPILOG = """\
Cells count the documents of a group that cite the instrument (--count mentions: the
mentions). Rows come most-cited first; "docs" is the number of citing documents (csv
adds "groups": how many provinces ... cite it). Columns that do not fit the terminal go to
further blocks. Local instruments show their scope in brackets: "Kế hoạch 635/KH-UBND
(2025) [Lai Châu]".

examples:
  vnplan cites out
  vnplan cites out --type "Chỉ thị" --min-docs 2
  vnplan cites out --by issuer_level --format csv > cites.csv
  vnplan cites out --by doc --format json
"""

_LAWS = ("Luật", "Bộ luật", "Pháp lệnh")

GROUPS = {
    "province": "coalesce(c.province, d.province, '(không rõ)')",
    "issuer_level": "coalesce(d.issuer_level, '(không rõ)')",
    "doc": "coalesce(d.doc_number, regexp_extract(d.source_path, '[^/]+$'), c.doc_id)",
}

_SQL = """
SELECT c.instrument_id,
       coalesce(any_value(i.type), mode(c.type)) AS type,
       coalesce(any_value(i.number), mode(c.number)) AS number,
       coalesce(any_value(i.symbol), mode(c.symbol)) AS symbol,
       mode(c.year) AS year_in_number,
       any_value(i.year) AS year,
       any_value(i.scope) AS scope,
       coalesce(any_value(i.title), mode(c.name)) AS title,
       {group} AS grp,
       count(DISTINCT c.doc_id) AS docs,
       count(*) AS mentions
FROM citations c
LEFT JOIN documents d USING (doc_id)
LEFT JOIN instruments i USING (instrument_id)
WHERE c.instrument_id IS NOT NULL {where}
GROUP BY c.instrument_id, grp
"""


@dataclass
class Matrix:
    """Instruments (rows) x groups (columns); ``cells[i][g]`` counts documents or mentions."""

    groups: list[str]
    rows: list[dict]  # instrument_id, label, type, docs, mentions, cells: {group: n}

    def as_table(self) -> tuple[list[str], list[tuple]]:
        cols = ["instrument", "type", "docs", "groups"] + self.groups
        out = [(r["label"], r["type"], r["docs"], len(r["cells"]), *[r["cells"].get(g, 0) for g in self.groups])
               for r in self.rows]
        return cols, out


def label(r: dict) -> str:
    """A readable name for an instrument row.

    >>> label({"type": "Nghị định", "number": "59", "symbol": "NĐ-CP", "year_in_number": 2023, "year": 2023,
    ...        "scope": "national", "title": None, "instrument_id": "NĐ-CP:59:2023"})
    'Nghị định 59/2023/NĐ-CP'
    >>> label({"type": "Kế hoạch", "number": "635", "symbol": "KH-UBND", "year_in_number": None, "year": 2025,
    ...        "scope": "Lai Châu", "title": None, "instrument_id": "KH-UBND:635:2025@Lai Châu"})
    'Kế hoạch 635/KH-UBND (2025) [Lai Châu]'
    """
    if r.get("number") and r.get("symbol"):
        sep = "-" if _party(r["symbol"]) else "/"
        in_number = r.get("year_in_number") or (r.get("year") if r.get("type") in _LAWS else None)
        if in_number:  # normative numbers carry their year: "59/2023/NĐ-CP", "10/2022/QH15"
            text = f"{r['number']}/{in_number}/{r['symbol']}"
        else:
            text = f"{r['number']}{sep}{r['symbol']}" + (f" ({r['year']})" if r.get("year") else "")
        if r.get("type") in _LAWS and r.get("title"):
            text = f"{r['title']} ({text})"  # "Luật Thực hiện dân chủ ở cơ sở (10/2022/QH15)"
        else:
            text = f"{r['type']} {text}" if r.get("type") else text
    else:
        text = r.get("title") or r["instrument_id"]
    scope = r.get("scope")
    return text if not scope or scope == "national" else f"{text} [{scope}]"


def _party(symbol: str) -> bool:
    # Party numbers are written "23-QĐ/TW": the type code is followed by "/".
    return "/" in symbol and "-" not in symbol.split("/")[0]


def cites_matrix(out: str, by: str = "province", type_: str | None = None, min_docs: int = 1,
                 count: str = "documents") -> Matrix:
    """Build the matrix from a run's output directory.

    >>> import tempfile; cites_matrix(tempfile.mkdtemp()).rows
    []
    """
    from ..query import connect, run_query

    where, params = "", []
    if type_:
        where = "AND lower(coalesce(i.type, c.type)) = lower(?)"
        params.append(type_)
    con = connect(out, tables=["citations", "documents", "instruments"])
    recs = run_query(con, _SQL.format(group=GROUPS[by], where=where), params).records()
    per: dict[str, dict] = {}
    docs_total = _docs_per_instrument(con, where, params)
    for r in recs:
        row = per.setdefault(r["instrument_id"], dict(r, cells={}, docs=docs_total.get(r["instrument_id"], 0),
                                                       mentions=0))
        row["cells"][r["grp"]] = r["docs"] if count == "documents" else r["mentions"]
        row["mentions"] += r["mentions"]
    rows = [dict(r, label=label(r)) for r in per.values() if r["docs"] >= min_docs]
    rows.sort(key=lambda r: (-r["docs"], -len(r["cells"]), -r["mentions"], r["label"]))
    groups = sorted({g for r in rows for g in r["cells"]},
                    key=lambda g: (-sum(1 for r in rows if g in r["cells"]), g))
    return Matrix(groups, rows)


def _docs_per_instrument(con, where: str, params: list) -> dict[str, int]:
    from ..query import run_query

    sql = ("SELECT c.instrument_id, count(DISTINCT c.doc_id) AS n FROM citations c "
           "LEFT JOIN instruments i USING (instrument_id) "
           f"WHERE c.instrument_id IS NOT NULL {where} GROUP BY 1")
    return {r["instrument_id"]: r["n"] for r in run_query(con, sql, params).records()}


def format_matrix(m: Matrix, width: int | None = None, label_width: int = 48) -> str:
    """The matrix as fixed-width text; columns that do not fit ``width`` go to further blocks.

    >>> print(format_matrix(Matrix(["Huế", "Lào Cai"], [dict(label="Chỉ thị 33/CT-TTg", type="Chỉ thị",
    ...     docs=3, cells={"Huế": 2, "Lào Cai": 1})]), width=80))
    instrument         type     docs  Huế  Lào Cai
    -----------------  -------  ----  ---  -------
    Chỉ thị 33/CT-TTg  Chỉ thị     3    2        1
    (1 instrument, 2 groups)
    """
    from ..query import display_width, truncate

    width = width or shutil.get_terminal_size((120, 24)).columns
    labels = [truncate(r["label"], label_width) for r in m.rows]
    types = [truncate(r.get("type") or "", 14) for r in m.rows]
    lw = max([display_width("instrument")] + [display_width(x) for x in labels])
    tw = max([display_width("type")] + [display_width(x) for x in types])
    dw = max(4, *(len(str(r["docs"])) for r in m.rows)) if m.rows else 4
    fixed = lw + 2 + tw + 2 + dw

    def pad(s: str, w: int, right: bool = False) -> str:
        gap = " " * (w - display_width(s))
        return gap + s if right else s + gap

    col_w = {g: max(display_width(g), *(len(str(r["cells"].get(g, ""))) for r in m.rows)) for g in m.groups}
    blocks, cur, used = [], [], fixed
    for g in m.groups:
        if cur and used + 2 + col_w[g] > width:
            blocks.append(cur)
            cur, used = [], fixed
        cur.append(g)
        used += 2 + col_w[g]
    blocks.append(cur)
    lines = []
    for b, cols in enumerate(blocks):
        if b:
            lines.append("")
        head = [pad("instrument", lw), pad("type", tw), pad("docs", dw, True)] + [pad(g, col_w[g], True) for g in cols]
        lines.append("  ".join(head).rstrip())
        lines.append("  ".join("-" * w for w in [lw, tw, dw] + [col_w[g] for g in cols]))
        for r, lab, typ in zip(m.rows, labels, types):
            cells = [pad(str(r["cells"][g]) if g in r["cells"] else ".", col_w[g], True) for g in cols]
            lines.append("  ".join([pad(lab, lw), pad(typ, tw), pad(str(r["docs"]), dw, True)] + cells).rstrip())
    n, k = len(m.rows), len(m.groups)
    lines.append(f"({n} instrument{'s' if n != 1 else ''}, {k} group{'s' if k != 1 else ''})")
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cites", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="output directory of `vnplan run`")
    p.add_argument("--by", choices=tuple(GROUPS), default="province", help="columns of the matrix (default: province)")
    p.add_argument("--type", dest="type_", metavar="TYPE", help='only instruments of this type, e.g. "Chỉ thị"')
    p.add_argument("--min-docs", type=int, default=1, metavar="N", help="only instruments cited by at least N documents")
    p.add_argument("--count", choices=("documents", "mentions"), default="documents",
                   help="what a cell counts (default: citing documents)")
    p.add_argument("--limit", type=int, default=0, metavar="N", help="at most N instruments (0: all)")
    p.add_argument("--format", "-f", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..query import Result, format_result

    try:
        m = cites_matrix(args.out, args.by, args.type_, args.min_docs, args.count)
    except FileNotFoundError as e:
        print(f"vnplan cites: {e}", file=sys.stderr)
        return 2
    if args.limit:
        m = Matrix(m.groups, m.rows[:args.limit])
    if args.format == "table":
        print(format_matrix(m))
    elif args.format == "csv":
        cols, rows = m.as_table()
        print(format_result(Result(["instrument_id"] + cols, [(r["instrument_id"], *t) for r, t in zip(m.rows, rows)]),
                            "csv"))
    else:
        recs = [{"instrument_id": r["instrument_id"], "instrument": r["label"], "type": r.get("type"),
                 "scope": r.get("scope"), "docs": r["docs"], "mentions": r["mentions"], "by": r["cells"]}
                for r in m.rows]
        print(json.dumps(recs, ensure_ascii=False))
    return 0
