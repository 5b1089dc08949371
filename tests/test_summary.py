"""`vnplan summary OUT`: counts per table and one line per document."""

from __future__ import annotations

import json
import subprocess
import sys

from pipeline.cli import main as cli_main
from pipeline.commands.summary import render, summarize


def test_counts_per_table_and_per_document(analyst_out):
    s = summarize(str(analyst_out))
    assert s["tables"] == {"documents": 4, "sections": 8, "citations": 6, "instruments": 5, "deadlines": 6,
                           "assignments": 5, "deadline_audit": 1}
    by_id = {d["doc_id"]: d for d in s["documents"]}
    assert (by_id["a1"]["citations"], by_id["a1"]["deadlines"], by_id["a1"]["assignments"]) == (3, 2, 2)
    assert (by_id["c3"]["citations"], by_id["c3"]["deadlines"], by_id["c3"]["assignments"]) == (1, 2, 1)
    assert by_id["f4"]["status"] == "failed"
    # ok documents first, failed last
    assert [d["status"] for d in s["documents"]][-1] == "failed"


def test_table_output_has_one_line_per_document(analyst_out, capsys):
    assert cli_main(["summary", str(analyst_out)]) == 0
    out = capsys.readouterr().out
    assert "4 documents (3 ok, 1 failed)" in out
    assert "6 citations" in out and "1 deadline_audit" in out
    lines = out.splitlines()
    row = next(line for line in lines if "Lai Châu" in line)
    assert "12/KH-UBND" in row and "2026" in row
    assert row.endswith("Triển khai công tác dân vận chính quyền năm 2026")
    assert row.split("Lai Châu")[1].split()[:5] == ["2026", "3", "3", "2", "2"]
    assert "in/broken.pdf: ingest error: PDF has no pages" in out
    # the commune plan without a number still gets its line
    assert sum("Kế hoạch" in line for line in lines) == 3


def test_document_without_title_shows_file_name():
    doc = dict(doc_id="x", status="ok", doc_type=None, doc_number=None, province=None, plan_year=None,
               sections=0, citations=0, deadlines=0, assignments=0, title=None, source_path="a/b/plan.pdf",
               error=None)
    text = render({"out": "o", "tables": {"documents": 1}, "documents": [doc]})
    assert "[plan.pdf]" in text


def test_limit_and_json(analyst_out, capsys):
    assert cli_main(["summary", str(analyst_out), "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "... 2 more documents" in out
    assert cli_main(["summary", str(analyst_out), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tables"]["citations"] == 6
    assert {d["province"] for d in data["documents"]} == {"Lai Châu", "Quảng Trị", "Lâm Đồng", None}


def test_missing_out_dir_is_an_error_not_a_traceback(tmp_path, capsys):
    assert cli_main(["summary", str(tmp_path / "nope")]) == 2
    assert "no such output directory" in capsys.readouterr().err


def test_empty_out_dir_has_zero_counts(tmp_path, capsys):
    assert cli_main(["summary", str(tmp_path)]) == 0
    assert "0 documents (0 ok, 0 failed)" in capsys.readouterr().out


def test_summary_of_the_bundled_samples(sample_out):
    """What `make demo` prints right after `vnplan run data/samples`."""
    proc = subprocess.run([sys.executable, "-m", "pipeline", "summary", str(sample_out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "3 documents (3 ok, 0 failed)" in proc.stdout
    s = summarize(str(sample_out))
    assert {d["province"] for d in s["documents"]} == {"Lai Châu", "Quảng Trị", "Lâm Đồng"}
    assert all(d["citations"] > 0 for d in s["documents"])
