"""Deadline audit: every rule fires on its case and stays quiet on the consistent one."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipeline.audit import audit, format_report, parents, run_audit
from pipeline.cli import main as cli_main
from pipeline.write import write_table_file

D = dt.date


def doc(doc_id, **kw):
    return {"doc_id": doc_id, "source_path": f"{doc_id}.txt", "status": "ok", **kw}


def dl(doc_id, raw, date=None, *, kind="absolute", value=None, start=0, **kw):
    return {"doc_id": doc_id, "raw": raw, "kind": kind, "value": value or (date.isoformat() if date else None),
            "date": date, "start": start, "end": start + len(raw), **kw}


def rules(findings):
    return [f.rule for f in findings]


# --- within a document: a subordinate report due after the report that aggregates it --------

def _commune(units_date: dt.date, aggregate_date: dt.date):
    return [
        dl("c", f"trước ngày {units_date:%d/%m}", units_date, start=10, report_type="semiannual",
           unit="Thủ trưởng các cơ quan, đơn vị", recipient="UBND xã (qua phòng Văn hóa - Xã hội)"),
        dl("c", f"trước ngày {aggregate_date:%d/%m}", aggregate_date, start=90, report_type="semiannual",
           unit="Phòng Văn hóa - Xã hội", recipient="Ủy ban nhân dân tỉnh (qua Sở Nội vụ tổng hợp)"),
    ]


def test_subordinate_before_aggregate_is_fine():
    assert audit([doc("c", plan_year=2026)], _commune(D(2026, 6, 1), D(2026, 6, 5)), []) == []


def test_subordinate_after_aggregate_is_flagged():
    f = audit([doc("c", plan_year=2026)], _commune(D(2026, 6, 8), D(2026, 6, 5)), [])
    assert rules(f) == ["subordinate_after_aggregate"]
    assert f[0].severity == "error" and [s["start"] for s in f[0].spans] == [10, 90]


def test_recipient_must_name_the_aggregating_unit():
    rows = _commune(D(2026, 6, 8), D(2026, 6, 5))
    rows[0]["recipient"] = "Thủ tướng Chính phủ"
    rows[1]["unit"] = "Chính phủ"  # a substring of the recipient, not the same body
    assert audit([doc("c", plan_year=2026)], rows, []) == []


def test_reports_of_different_types_are_not_compared():
    rows = _commune(D(2026, 11, 1), D(2026, 6, 5))
    rows[0]["report_type"] = "annual"
    assert audit([doc("c", plan_year=2026)], rows, []) == []


# --- across documents: a child plan later than the parent it implements ----------------------

def _pair(child_date: dt.date):
    docs = [doc("p", doc_number="450/KH-UBND", province="Quảng Trị", issue_date=D(2026, 2, 3), plan_year=2026),
            doc("c", doc_number=None, province="Quảng Trị", issue_date=D(2026, 2, 20), plan_year=2026)]
    cits = [{"doc_id": "c", "number": "450", "symbol": "KH-UBND", "issue_date": D(2026, 2, 3), "type": "Kế hoạch",
             "start": 5, "end": 40, "raw": "Kế hoạch số 450/KH-UBND ngày 03/02/2026"}]
    dls = [dl("p", "Trước ngày 05/6/2026", D(2026, 6, 5), report_type="semiannual", unit="Các cơ quan, đơn vị, địa phương"),
           dl("c", "trước ngày x", child_date, report_type="semiannual", unit="Phòng Văn hóa - Xã hội")]
    return docs, dls, cits


def test_parent_found_through_citation():
    docs, _, cits = _pair(D(2026, 6, 1))
    assert parents({d["doc_id"]: d for d in docs}, {"c": cits}) == {"c": ["p"]}
    other_province = [dict(d, province="Huế") if d["doc_id"] == "p" else d for d in docs]
    assert parents({d["doc_id"]: d for d in other_province}, {"c": cits}) == {}


def test_child_before_parent_is_fine():
    assert audit(*_pair(D(2026, 6, 5))) == []


def test_child_after_parent_is_flagged():
    f = audit(*_pair(D(2026, 6, 10)))
    assert rules(f) == ["child_after_parent"] and f[0].related_doc_id == "p" and f[0].doc_id == "c"


# --- impossible / out-of-range dates ----------------------------------------------------------

def test_impossible_date():
    bad = dl("a", "trước ngày 31/6/2026", None, value="2026-06-31")
    good = dl("a", "trước ngày 30/6/2026", D(2026, 6, 30))
    assert rules(audit([doc("a", plan_year=2026)], [bad], [])) == ["impossible_date"]
    assert audit([doc("a", plan_year=2026)], [good], []) == []


def test_out_of_range_date():
    far = dl("a", "trước ngày 30/6/2062", D(2062, 6, 30))
    near = dl("a", "trước ngày 30/6/2027", D(2027, 6, 30))
    assert rules(audit([doc("a", plan_year=2026)], [far], [])) == ["out_of_range_date"]
    assert audit([doc("a", plan_year=2026)], [near], []) == []


def test_citation_dated_after_the_plan():
    cit = {"doc_id": "a", "type": "Kế hoạch", "number": "12", "symbol": "KH-UBND", "issue_date": D(2026, 5, 1),
           "start": 0, "end": 20, "raw": "Kế hoạch số 12/KH-UBND"}
    f = audit([doc("a", issue_date=D(2026, 3, 1), plan_year=2026)], [], [cit, dict(cit, start=50, end=70)])
    assert rules(f) == ["citation_after_plan"]  # once per instrument
    assert audit([doc("a", issue_date=D(2026, 6, 1), plan_year=2026)], [], [cit]) == []
    # without an issue date a plan year is too weak a bound; consolidated texts cite later amendments
    assert audit([doc("a", plan_year=2025)], [], [cit]) == []
    assert audit([doc("a", issue_date=D(2026, 3, 1), doc_type="Văn bản hợp nhất")], [], [cit]) == []


def test_deadline_before_issue_date():
    past = dl("a", "trước ngày 01/02/2026", D(2026, 2, 1))
    future = dl("a", "trước ngày 01/06/2026", D(2026, 6, 1))
    period = {"doc_id": "a", "raw": "trong quý I/2026", "kind": "period", "value": "2026-Q1", "start": 0, "end": 16,
              "period_start": D(2026, 1, 1), "period_end": D(2026, 3, 31)}
    inferred = dl("a", "trước ngày 31/7", D(2025, 7, 31), start=40)
    f = audit([doc("a", issue_date=D(2026, 5, 1), plan_year=2026)], [past, future, period], [])
    assert [(x.rule, x.severity) for x in f] == [("before_issue_date", "error"), ("before_issue_date", "warning")]
    f = audit([doc("a", issue_date=D(2025, 11, 24), plan_year=2025)], [inferred], [])
    assert [(x.rule, x.severity) for x in f] == [("before_issue_date", "warning")]
    assert audit([doc("a", plan_year=2026)], [past], []) == []  # no issue date: nothing to compare


# --- tables on disk and the command ----------------------------------------------------------

@pytest.fixture()
def out(tmp_path):
    docs, dls, cits = _pair(D(2026, 6, 10))
    write_table_file(tmp_path, "documents", docs)
    write_table_file(tmp_path, "deadlines", dls + _commune(D(2026, 6, 1), D(2026, 6, 5)))
    write_table_file(tmp_path, "citations", cits)
    return tmp_path


def test_run_audit_writes_table(out):
    findings, documents, _ = run_audit(out)
    table = pd.read_parquet(out / "deadline_audit")
    assert list(table["rule"]) == [f.rule for f in findings] == ["child_after_parent"]
    assert list(table["finding_id"]) == [0]
    assert table["spans"][0][0]["raw"] == "trước ngày x"
    run_audit(out)  # re-running replaces the table instead of appending to it
    assert len(pd.read_parquet(out / "deadline_audit")) == 1
    report = format_report(findings, documents)
    assert "child_after_parent" in report and "c.txt" in report


def test_cli(out, capsys):
    assert cli_main(["audit", str(out), "--severity", "error"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("vnplan audit: 2 documents") and "ERROR   child_after_parent" in printed


def test_cli_without_a_run(tmp_path, capsys):
    assert cli_main(["audit", str(tmp_path)]) == 2
