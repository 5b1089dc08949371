"""pipeline.query (DuckDB views over OUT) and the `vnplan query / deadlines / units` commands."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import unicodedata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, strategies as st

from pipeline.cli import main as cli_main
from pipeline.query import (Result, connect, display_width, format_result, query, run_query, table_files,
                            truncate)
from pipeline.schema import TABLES
from pipeline.write import rows_to_table

REPO = Path(__file__).resolve().parent.parent


def _write_partition(out: Path, table: str, partition: str, rows: list[dict], name: str) -> None:
    d = out / table / partition
    d.mkdir(parents=True, exist_ok=True)
    pq.write_table(rows_to_table(table, rows), d / name)


def _cli(capsys, *argv) -> tuple[int, str, str]:
    rc = cli_main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


# --- views ---------------------------------------------------------------------------------


def test_every_table_is_a_view_with_its_schema_columns(tmp_path):
    con = connect(tmp_path)  # nothing on disk at all
    for table, schema in TABLES.items():
        res = run_query(con, f'SELECT * FROM "{table}"')
        assert res.columns == schema.names
        assert res.rows == []
    # types follow the schema even for an empty (missing) table
    types = dict((r[0], r[1]) for r in run_query(con, "DESCRIBE deadline_audit").rows)
    assert types["finding_id"] == "INTEGER"
    assert types["spans"].startswith("STRUCT(") and types["spans"].endswith("[]")


def test_hive_partitions_hidden_files_and_old_schema(tmp_path):
    base = tmp_path / "citations"
    # a hive partition whose key is also a schema column
    _write_partition(tmp_path, "citations", "province=Huế", [dict(doc_id="d1", citation_id=0, number="33",
                     symbol="CT-TTg", start=0, end=5, raw="x")], "part-a.parquet")
    (base / "province=Lai Châu").mkdir()
    # an older writer that did not know `grammar` or `province` yet, with a non-schema column
    pq.write_table(pa.table({"doc_id": ["d2"], "citation_id": pa.array([0], pa.int32()),
                             "number": ["33"], "symbol": ["CT-TTg"], "batch": ["2025-12"]}),
                   base / "province=Lai Châu" / "old.parquet")
    # a file being written right now by another run, and Spark-style markers
    pq.write_table(pa.table({"doc_id": ["tmp"]}), base / ".tmp-zzz.parquet")
    (base / "_SUCCESS").write_text("")
    assert [p.name for p in table_files(tmp_path, "citations")] == ["part-a.parquet", "old.parquet"]
    res = query(tmp_path, "SELECT doc_id, province, grammar, batch FROM citations ORDER BY doc_id")
    assert res.rows == [("d1", "Huế", None, None), ("d2", "Lai Châu", None, "2025-12")]
    # the schema type wins over the partition's inferred type
    types = dict((r[0], r[1]) for r in query(tmp_path, "DESCRIBE citations").rows)
    assert types["citation_id"] == "INTEGER" and types["year"] == "INTEGER"


def test_hive_partition_value_is_cast_to_the_schema_type(tmp_path):
    _write_partition(tmp_path, "documents", "plan_year=2026", [dict(doc_id="d", status="ok")], "p.parquet")
    res = query(tmp_path, "SELECT plan_year + 1 AS next FROM documents")
    assert res.rows == [(2027,)]


def test_missing_out_dir_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        connect(tmp_path / "absent")


def test_joins_across_tables(analyst_out):
    res = query(analyst_out, """
        SELECT d.province, count(*) AS n FROM citations c JOIN documents d USING (doc_id)
        WHERE c.symbol = 'CT-TTg' AND c.number = '33' GROUP BY 1 ORDER BY 1""")
    assert res.rows == [("Lai Châu", 1), ("Quảng Trị", 1)]
    # the offsets invariant holds through the views (text[start:end] == raw)
    bad = query(analyst_out, """
        SELECT c.doc_id, c.citation_id FROM citations c JOIN texts t USING (doc_id)
        WHERE substring(t.text, c.start + 1, c."end" - c.start) <> c.raw""")
    assert bad.rows == []


# --- formatting ----------------------------------------------------------------------------

RES = Result(["province", "n", "due", "tags"], [("Huế", 3, dt.date(2026, 6, 1), ["a", "b"]),
                                                ("Lào Cai", 12, None, [])])


@pytest.mark.parametrize("fmt, expected", [
    ("csv", "province,n,due,tags\nHuế,3,2026-06-01,a; b\nLào Cai,12,,"),
    ("json", '[{"province": "Huế", "n": 3, "due": "2026-06-01", "tags": ["a", "b"]}, '
             '{"province": "Lào Cai", "n": 12, "due": null, "tags": []}]'),
    ("jsonl", '{"province": "Huế", "n": 3, "due": "2026-06-01", "tags": ["a", "b"]}\n'
              '{"province": "Lào Cai", "n": 12, "due": null, "tags": []}'),
    ("markdown", "| province | n | due | tags |\n|---|---|---|---|\n| Huế | 3 | 2026-06-01 | a; b |\n"
                 "| Lào Cai | 12 |  |  |"),
    ("table", "province   n  due         tags\n--------  --  ----------  ----\nHuế        3  2026-06-01  a; b\n"
              "Lào Cai   12\n(2 rows)"),
])
def test_formats(fmt, expected):
    assert format_result(RES, fmt) == expected


def test_unknown_format():
    with pytest.raises(ValueError):
        format_result(RES, "xml")


@pytest.mark.parametrize("s, width", [("Hà Nội", 6), (unicodedata.normalize("NFD", "Thừa Thiên Huế"), 14),
                                      ("Sở Nội vụ", 9), ("中国", 4), ("", 0)])
def test_display_width(s, width):
    assert display_width(s) == width


@given(st.text(), st.integers(min_value=1, max_value=40))
def test_truncate_never_exceeds_width(s, width):
    t = truncate(s, width)
    assert display_width(t) <= max(width, 1) or display_width(s) <= width
    if display_width(s) <= width:
        assert t == s
    else:
        assert t.endswith("…")


# --- commands ------------------------------------------------------------------------------


def test_query_command(analyst_out, capsys):
    rc, out, _ = _cli(capsys, "query", analyst_out,
                      "SELECT province, count(*) AS n FROM citations GROUP BY 1 ORDER BY n DESC, 1", "-f", "csv")
    assert rc == 0
    assert out == "province,n\nLai Châu,3\nQuảng Trị,2\nLâm Đồng,1\n"


def test_query_bad_sql_is_one_error_line(analyst_out, capsys):
    rc, out, err = _cli(capsys, "query", analyst_out, "SELECT * FROM nope")
    assert rc == 1 and out == ""
    assert err.startswith("vnplan query: CatalogException")


def test_query_from_stdin(analyst_out, capsys, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT count(*) AS n FROM deadline_audit"))
    rc, out, _ = _cli(capsys, "query", analyst_out, "-", "-f", "json")
    assert rc == 0 and json.loads(out) == [{"n": 1}]


def test_query_without_sql_lists_tables(analyst_out, capsys):
    rc, out, _ = _cli(capsys, "query", analyst_out, "-f", "csv")
    assert rc == 0
    assert "citations,6,raw,VARCHAR" in out.splitlines()
    assert "deadline_audit,1,spans," in out


def test_deadlines_by_province(analyst_out, capsys):
    rc, out, _ = _cli(capsys, "deadlines", analyst_out, "--by", "province", "-f", "json")
    assert rc == 0
    rows = {r["province"]: r for r in json.loads(out)}
    assert rows["Lâm Đồng"] == {"province": "Lâm Đồng", "deadlines": 2, "dated": 2, "recurring": 0,
                                "documents": 1, "earliest": "2026-06-30", "latest": "2026-11-20"}
    assert rows["Lai Châu"]["dated"] == 1 and rows["Lai Châu"]["recurring"] == 1


@pytest.mark.parametrize("argv, expected_raws", [
    ([], ["trước ngày 01/6", "trong quý II/2026", "trước ngày 20/11/2026", "trước ngày 15/12/2026",
          "thường xuyên", "hằng quý"]),
    (["--province", "Lai Châu"], ["trước ngày 15/12/2026", "thường xuyên"]),
    (["--kind", "absolute", "--year", "2026"], ["trước ngày 01/6", "trước ngày 20/11/2026",
                                                "trước ngày 15/12/2026"]),
])
def test_deadlines_listing(analyst_out, capsys, argv, expected_raws):
    rc, out, _ = _cli(capsys, "deadlines", analyst_out, *argv, "-f", "json")
    assert rc == 0
    assert [r["raw"] for r in json.loads(out)] == expected_raws


@pytest.mark.parametrize("argv, expected", [
    (["--unit", "Sở Nội vụ"], [("Lai Châu", "lead"), ("Lâm Đồng", "support")]),
    (["--unit", "sở nội vụ", "--role", "support"], [("Lâm Đồng", "support")]),
    (["--unit", "Công an"], [("Quảng Trị", "support")]),
    (["--unit", "Công an", "--exact"], []),
])
def test_units_of_one_unit(analyst_out, capsys, argv, expected):
    rc, out, _ = _cli(capsys, "units", analyst_out, *argv, "-f", "json")
    assert rc == 0
    assert [(r["province"], r["role"]) for r in json.loads(out)] == expected


def test_units_overview(analyst_out, capsys):
    rc, out, _ = _cli(capsys, "units", analyst_out, "-f", "json")
    first = json.loads(out)[0]
    assert first == {"unit": "Sở Nội vụ", "assignments": 2, "lead": 1, "support": 1, "documents": 2,
                     "provinces": 2}


def test_cites_helper(analyst_out):
    from pipeline.query import cites_sql
    rows = query(analyst_out, *cites_sql()).records()
    assert rows[0]["instrument"] == "Chỉ thị 33/CT-TTg"
    assert rows[0]["provinces"] == "Lai Châu, Quảng Trị"
    assert "Nghị định 59/2023/NĐ-CP" in [r["instrument"] for r in rows]
    fn = query(analyst_out, *cites_sql("59/2023")).records()
    assert [(r["province"], r["in_footnote"]) for r in fn] == [("Lai Châu", True)]


# --- on the real pipeline output -------------------------------------------------------------


def test_all_three_samples_cite_chi_thi_33(sample_out):
    """The product owner's first question, asked of the bundled samples."""
    res = query(sample_out, """
        SELECT count(DISTINCT d.province) FROM citations c JOIN documents d USING (doc_id)
        WHERE c.number = '33' AND c.symbol = 'CT-TTg'""")
    assert res.rows == [(3,)]


def _documented_queries() -> list[str]:
    """Every `vnplan query OUT "..."` example in README.md and docs/analysis.md."""
    sqls = []
    for doc in (REPO / "README.md", REPO / "docs" / "analysis.md"):
        if not doc.exists():
            continue
        text = doc.read_text(encoding="utf-8")
        # join shell continuation lines, then take each `vnplan query` command
        text = re.sub(r"\\\n\s*", " ", text)
        for line in text.splitlines():
            m = re.match(r"(?:\.venv/bin/)?vnplan query (\S+) (.+)$", line.strip())
            if m and not m.group(2).startswith("-"):
                args = shlex.split(m.group(2), comments=True)
                if args:
                    sqls.append(args[0])
    return sqls


def test_docs_have_example_queries():
    assert len(_documented_queries()) >= 5


@pytest.mark.parametrize("sql", _documented_queries())
def test_documented_queries_run_on_the_samples(sample_out, capsys, sql):
    rc, out, err = _cli(capsys, "query", sample_out, sql)
    assert rc == 0, err
    assert out.strip().endswith("rows)") or out.strip().endswith("row)")


@pytest.mark.parametrize("sql", _documented_queries())
def test_documented_queries_answer_on_a_hand_made_run(analyst_out, sql):
    """On data that has an answer, every documented query has one."""
    assert len(query(analyst_out, sql)) > 0
