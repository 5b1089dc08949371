"""DuckDB over a run's output: every table under OUT becomes a view of the same name.

``connect(OUT)`` gives an in-memory DuckDB connection on which ``documents``,
``sections``, ``citations``, ``instruments``, ``deadlines``, ``assignments``,
``deadline_audit`` and ``texts`` are views over ``OUT/<table>/**/*.parquet``::

    >>> con = connect("out")                                      # doctest: +SKIP
    >>> con.sql("SELECT province, count(*) FROM citations GROUP BY 1").fetchall()  # doctest: +SKIP

The views always have every column of the table's schema (pipeline/schema.py), with
the schema's types, whatever is on disk:

* a missing table (a run that never wrote it, an older run) is an empty view, so a
  query over it answers "no rows" instead of "table does not exist";
* files written by an older schema lack newer columns: those read as NULL
  (``union_by_name``), never as an error;
* hive partitions (``OUT/citations/province=Huế/part-0.parquet``) are understood; the
  partition value is cast to the schema's type when it names a schema column;
* hidden files (``.tmp-*`` being written by a concurrent run, ``_SUCCESS``) are skipped,
  so a query never reads half a file.

The named queries behind ``vnplan deadlines``/``units``/``cites`` live here as SQL
builders, so the CLI, the HTML report and the notebooks answer the same question the
same way.
"""

from __future__ import annotations

import csv
import datetime as _dt
import decimal
import io
import json
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .layout import TABLE_NAMES

if TYPE_CHECKING:
    import pyarrow as pa


# Tables an analyst queries, in the order ``vnplan summary`` lists them; ``texts`` is
# registered too (the report needs it) but is not shown by default.
ANALYST_TABLES = ("documents", "sections", "citations", "instruments", "deadlines", "assignments",
                  "deadline_audit")
FORMATS = ("table", "csv", "json", "jsonl", "markdown")


def table_files(out: str | os.PathLike, table: str) -> list[Path]:
    """The readable Parquet files of one table, hive partitions included, hidden ones skipped.

    >>> table_files("/nonexistent", "citations")
    []
    """
    root = Path(out) / table
    if not root.is_dir():
        return []
    files = []
    for p in sorted(root.rglob("*.parquet")):
        rel = p.relative_to(root).parts
        # ".tmp-x.parquet" is a file a writer has not renamed into place yet.
        if any(part.startswith((".", "_")) for part in rel):
            continue
        files.append(p)
    return files


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _duckdb_types(con, schema: pa.Schema) -> dict[str, str]:
    """DuckDB type names for an arrow schema (lists and structs included)."""
    import pyarrow as pa

    rel = con.from_arrow(pa.Table.from_pylist([], schema=schema))
    return {name: str(t) for name, t in zip(rel.columns, rel.types)}


def _empty_view_sql(types: dict[str, str]) -> str:
    cols = ", ".join(f"CAST(NULL AS {t}) AS {_quote_ident(n)}" for n, t in types.items())
    return f"SELECT {cols} WHERE false"


def register_table(con, out: str | os.PathLike, table: str, schema: pa.Schema | None = None) -> int:
    """Create (or replace) the view ``table`` over ``OUT/<table>``; returns the number of files.

    Columns of ``schema`` (default: the table's schema) come first, cast to their
    schema type, then any extra column the files have (a hive partition key that is
    not in the schema, a column added by a newer writer).
    """
    from .schema import TABLES

    schema = schema if schema is not None else TABLES.get(table)
    files = table_files(out, table)
    types = _duckdb_types(con, schema) if schema is not None else {}
    if not files:
        if not types:
            return 0
        con.execute(f"CREATE OR REPLACE VIEW {_quote_ident(table)} AS {_empty_view_sql(types)}")
        return 0
    file_list = "[" + ", ".join(_sql_str(str(f)) for f in files) + "]"
    hive = any("=" in part for f in files for part in f.relative_to(Path(out) / table).parts[:-1])
    source = (f"read_parquet({file_list}, union_by_name = true, "
              f"hive_partitioning = {'true' if hive else 'false'})")
    present = con.sql(f"SELECT * FROM {source} LIMIT 0").columns
    select = []
    for name, t in types.items():
        if name in present:
            select.append(f"CAST({_quote_ident(name)} AS {t}) AS {_quote_ident(name)}")
        else:
            select.append(f"CAST(NULL AS {t}) AS {_quote_ident(name)}")
    select += [_quote_ident(c) for c in present if c not in types]
    con.execute(f"CREATE OR REPLACE VIEW {_quote_ident(table)} AS SELECT {', '.join(select)} FROM {source}")
    return len(files)


def connect(out: str | os.PathLike, tables: Iterable[str] | None = None, database: str = ":memory:"):
    """A DuckDB connection with the output tables of ``out`` registered as views.

    ``tables`` defaults to every table of pipeline/schema.py. Views read the Parquet
    files lazily, so connecting to a large run is instant.

    >>> import tempfile
    >>> con = connect(tempfile.mkdtemp())
    >>> con.sql("SELECT count(*) FROM citations").fetchall()
    [(0,)]
    """
    import duckdb

    if not Path(out).is_dir():
        raise FileNotFoundError(f"no such output directory: {out}")
    con = duckdb.connect(database)
    for table in (tables if tables is not None else TABLE_NAMES):
        register_table(con, out, table)
    return con


# --- results -----------------------------------------------------------------------------


@dataclass
class Result:
    """The answer to a query: column names and rows of Python values."""

    columns: list[str]
    rows: list[tuple]

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, r)) for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)


def run_query(con, sql: str, params: Sequence[Any] | dict | None = None) -> Result:
    """Execute ``sql`` (with optional ``?``/``$name`` parameters) and fetch every row.

    >>> import duckdb
    >>> run_query(duckdb.connect(), "SELECT ? AS x", [1]).rows
    [(1,)]
    """
    cur = con.execute(sql, params) if params is not None else con.execute(sql)
    if cur.description is None:  # a statement without a result (CREATE VIEW ...)
        return Result([], [])
    cols = [d[0] for d in cur.description]
    return Result(cols, cur.fetchall())


def query(out: str | os.PathLike, sql: str, params: Sequence[Any] | dict | None = None) -> Result:
    """Run one SQL query over a run's output directory.

    >>> import tempfile
    >>> query(tempfile.mkdtemp(), "SELECT count(*) AS n FROM documents").records()
    [{'n': 0}]
    """
    return run_query(connect(out), sql, params)


# --- formatting ----------------------------------------------------------------------------


def _jsonable(v: Any) -> Any:
    if isinstance(v, (_dt.date, _dt.datetime, _dt.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return "; ".join(_cell(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(_jsonable(v), ensure_ascii=False)
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    return str(v).replace("\n", " ")


def display_width(s: str) -> int:
    """Terminal columns taken by ``s`` (combining marks take none, wide CJK two).

    >>> display_width("Hà Nội"), display_width(unicodedata.normalize("NFD", "Hà Nội"))
    (6, 6)
    """
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def truncate(s: str, width: int) -> str:
    """Cut ``s`` to at most ``width`` display columns, marking the cut with "…".

    >>> truncate("Sở Nội vụ tỉnh Lào Cai", 10)
    'Sở Nội vụ…'
    """
    if display_width(s) <= width:
        return s
    out, w = [], 0
    for ch in s:
        cw = 0 if unicodedata.combining(ch) else (2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1)
        if w + cw > width - 1:
            break
        out.append(ch)
        w += cw
    return "".join(out).rstrip() + "…"


def _pad(s: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(s))
    return gap + s if right else s + gap


def format_table(result: Result, max_width: int = 60) -> str:
    """A plain fixed-width table (numbers right-aligned, long cells cut at ``max_width``).

    >>> print(format_table(Result(["province", "n"], [("Huế", 3), ("Lào Cai", 12)])))
    province   n
    --------  --
    Huế        3
    Lào Cai   12
    (2 rows)
    """
    cols = result.columns
    cells = [[truncate(_cell(v), max_width) if max_width else _cell(v) for v in row] for row in result.rows]
    numeric = [bool(result.rows) and all(isinstance(r[i], (int, float, decimal.Decimal)) and not isinstance(r[i], bool)
                                         or r[i] is None for r in result.rows) for i in range(len(cols))]
    widths = [max([display_width(c)] + [display_width(r[i]) for r in cells]) for i, c in enumerate(cols)]
    lines = ["  ".join(_pad(c, widths[i], numeric[i]) for i, c in enumerate(cols)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for r in cells:
        lines.append("  ".join(_pad(v, widths[i], numeric[i]) for i, v in enumerate(r)).rstrip())
    n = len(result.rows)
    lines.append(f"({n} row{'s' if n != 1 else ''})")
    return "\n".join(lines)


def format_markdown(result: Result) -> str:
    """A GitHub-flavoured markdown table (pipes in cells escaped).

    >>> print(format_markdown(Result(["a"], [("x|y",)])))
    | a |
    |---|
    | x\\|y |
    """
    def esc(v: Any) -> str:
        return _cell(v).replace("|", "\\|")
    lines = ["| " + " | ".join(result.columns) + " |", "|" + "|".join("---" for _ in result.columns) + "|"]
    lines += ["| " + " | ".join(esc(v) for v in r) + " |" for r in result.rows]
    return "\n".join(lines)


def format_result(result: Result, fmt: str = "table", max_width: int = 60) -> str:
    """Render a result as ``table``, ``csv``, ``json`` (one array), ``jsonl`` or ``markdown``.

    >>> format_result(Result(["d"], [(_dt.date(2026, 3, 31),)]), "json")
    '[{"d": "2026-03-31"}]'
    """
    if fmt == "table":
        return format_table(result, max_width)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(result.columns)
        for r in result.rows:
            w.writerow(["" if v is None else (_cell(v) if isinstance(v, (list, dict, tuple)) else
                                              v.isoformat() if isinstance(v, (_dt.date, _dt.datetime)) else v)
                        for v in r])
        return buf.getvalue().rstrip("\n")
    if fmt == "json":
        return json.dumps([_jsonable(d) for d in result.records()], ensure_ascii=False)
    if fmt == "jsonl":
        return "\n".join(json.dumps(_jsonable(d), ensure_ascii=False) for d in result.records())
    if fmt == "markdown":
        return format_markdown(result)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


# --- named queries -------------------------------------------------------------------------
# Each builder returns (sql, params); the CLI commands, report and notebooks share them.

# How a document is named in listings: its number, else its file name, else its id.
DOC_LABEL = r"coalesce(d.doc_number, nullif(regexp_extract(d.source_path, '[^/\\]+$'), ''), d.doc_id)"

DEADLINE_GROUPS = {
    "province": "coalesce(d.province, '(không rõ)')",
    "document": "{doc}",
    "kind": "coalesce(dl.kind, '(không rõ)')",
    "unit": "coalesce(dl.unit, '(không giao)')",
    "month": "strftime(coalesce(dl.date, dl.period_end), '%Y-%m')",
    "report_type": "coalesce(dl.report_type, '(không phải báo cáo)')",
}


def deadlines_sql(by: str | None = None, province: str | None = None, kind: str | None = None,
                  year: int | None = None) -> tuple[str, list]:
    """SQL for ``vnplan deadlines``: every deadline (with its document) or counts grouped ``by``.

    Dated deadlines (absolute dates, ends of periods) are counted apart from undated
    ones ("thường xuyên", "kịp thời"), since only the former can be compared.

    >>> sql, params = deadlines_sql(by="province"); "GROUP BY" in sql
    True
    """
    where, params = ["true"], []
    if province:
        where.append("d.province = ?")
        params.append(province)
    if kind:
        where.append("dl.kind = ?")
        params.append(kind)
    if year:
        where.append("year(coalesce(dl.date, dl.period_end)) = ?")
        params.append(int(year))
    base = ("FROM deadlines dl LEFT JOIN documents d USING (doc_id) WHERE " + " AND ".join(where))
    if by:
        if by not in DEADLINE_GROUPS:
            raise ValueError(f"unknown grouping {by!r} (one of {', '.join(DEADLINE_GROUPS)})")
        key = DEADLINE_GROUPS[by].replace("{doc}", DOC_LABEL)
        sql = (f"SELECT {key} AS {by}, count(*) AS deadlines, "
               "count(coalesce(dl.date, dl.period_end)) AS dated, "
               "count(*) FILTER (WHERE dl.kind IN ('recurring', 'continuous')) AS recurring, "
               "count(DISTINCT dl.doc_id) AS documents, "
               "min(coalesce(dl.date, dl.period_end)) AS earliest, "
               "max(coalesce(dl.date, dl.period_end)) AS latest "
               f"{base} GROUP BY 1 ORDER BY deadlines DESC, 1")
    else:
        sql = (f"SELECT d.province, {DOC_LABEL} AS document, dl.kind, dl.raw, "
               "coalesce(dl.date, dl.period_end) AS due, dl.recurrence, dl.unit, dl.task "
               f"{base} ORDER BY due NULLS LAST, d.province, dl.doc_id, dl.start")
    return sql, params


def units_sql(unit: str | None = None, role: str | None = None, province: str | None = None,
              exact: bool = False) -> tuple[str, list]:
    """SQL for ``vnplan units``: the tasks of one unit, or every unit with its task counts.

    ``unit`` matches the canonical unit name case-insensitively as a substring
    ("Sở Nội vụ" also finds "Sở Nội vụ tỉnh Lào Cai" when the resolver kept the
    province), unless ``exact``.

    >>> units_sql(unit="Sở Nội vụ")[1]
    ['%sở nội vụ%', '%sở nội vụ%']
    """
    where, params = ["true"], []
    if unit:
        if exact:
            where.append("a.unit = ?")
            params.append(unit)
        else:
            where.append("(lower(a.unit) LIKE ? OR lower(a.unit_raw) LIKE ?)")
            params += [f"%{unit.lower()}%"] * 2
    if role:
        where.append("a.role = ?")
        params.append(role)
    if province:
        where.append("coalesce(a.province, d.province) = ?")
        params.append(province)
    base = "FROM assignments a LEFT JOIN documents d USING (doc_id) WHERE " + " AND ".join(where)
    if unit:
        sql = (f"SELECT coalesce(a.province, d.province) AS province, {DOC_LABEL} AS document, "
               "a.unit, a.role, a.source, a.task "
               f"{base} ORDER BY 1, 2, a.start")
    else:
        sql = ("SELECT a.unit, count(*) AS assignments, count(*) FILTER (WHERE a.role = 'lead') AS lead, "
               "count(*) FILTER (WHERE a.role = 'support') AS support, "
               "count(DISTINCT a.doc_id) AS documents, "
               "count(DISTINCT coalesce(a.province, d.province)) AS provinces "
               f"{base} GROUP BY 1 ORDER BY assignments DESC, 1")
    return sql, params


def instrument_label_sql(alias: str = "c") -> str:
    """A readable label for a cited instrument: "Chỉ thị 33/CT-TTg", "Quyết định 23-QĐ/TW", a law's name, or the raw text.

    >>> "coalesce" in instrument_label_sql()
    True
    """
    a = alias
    # The year goes back between number and symbol only when it was part of the number
    # ("59/2023/NĐ-CP"); the citations table keeps it null for "33/CT-TTg". Party-style
    # symbols carry their own slash and are written with a hyphen: "23-QĐ/TW", "30-KH/ĐU".
    joiner = f"CASE WHEN contains({a}.symbol, '/') AND {a}.year IS NULL THEN '-' ELSE '/' END"
    return (f"coalesce(CASE WHEN {a}.symbol IS NOT NULL AND {a}.number IS NOT NULL "
            f"THEN concat_ws(' ', {a}.type, {a}.number || coalesce('/' || {a}.year, '') || {joiner} || {a}.symbol) "
            f"WHEN {a}.number IS NOT NULL THEN concat_ws(' ', {a}.type, {a}.number) END, "
            f"{a}.name, {a}.raw)")


def cites_sql(instrument: str | None = None, province: str | None = None) -> tuple[str, list]:
    """SQL behind ``vnplan cites``: which documents (and provinces) cite which instruments.

    Without ``instrument``: one row per instrument with the provinces citing it. With it
    (a substring of the label or the instrument id, e.g. "33/CT-TTg"): one row per
    citing mention, with where it stands.

    >>> cites_sql("33/CT-TTg")[1]
    ['%33/ct-ttg%', '%33/ct-ttg%']
    """
    label = instrument_label_sql("c")
    where, params = ["true"], []
    if instrument:
        where.append(f"(lower({label}) LIKE ? OR lower(coalesce(c.instrument_id, '')) LIKE ?)")
        params += [f"%{instrument.lower()}%"] * 2
    if province:
        where.append("coalesce(c.province, d.province) = ?")
        params.append(province)
    base = "FROM citations c LEFT JOIN documents d USING (doc_id) WHERE " + " AND ".join(where)
    if instrument:
        sql = (f"SELECT coalesce(c.province, d.province) AS province, {DOC_LABEL} AS document, "
               f"{label} AS instrument, c.raw, c.in_footnote {base} ORDER BY 1, 2, c.start")
    else:
        sql = (f"SELECT {label} AS instrument, any_value(c.type) AS type, count(*) AS mentions, "
               "count(DISTINCT c.doc_id) AS documents, "
               "string_agg(DISTINCT coalesce(c.province, d.province), ', ' ORDER BY coalesce(c.province, d.province)) "
               f"AS provinces {base} GROUP BY 1 ORDER BY documents DESC, mentions DESC, 1")
    return sql, params
