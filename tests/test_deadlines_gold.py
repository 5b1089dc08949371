"""The issue's acceptance figures on the bundled gold (data/gold), through the real pipeline:
absolute+period deadlines F1 >= 0.95, no issue date reported as a deadline, units F1 >= 0.85
(lenient names), recurring and continuous items found; and the record invariants on every row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.evaluate import evaluate

GOLD = Path(__file__).resolve().parent.parent / "data" / "gold"


@pytest.fixture(scope="module")
def report(sample_out):
    return evaluate(GOLD, sample_out)


def test_deadline_scores(report):
    m = report.totals["deadlines"]
    assert m["absolute+period"].f1 >= 0.95
    assert m["recurring"].recall >= 0.8
    assert m["continuous"].recall >= 0.8
    assert report.checks.get("issue_dates_as_deadlines", 0) == 0


def test_unit_scores(report):
    assert report.totals["assignments"]["unit"].f1 >= 0.85
    assert report.totals["assignments"]["unit+role"].f1 >= 0.85


def test_rows_point_into_the_text(sample_out):
    texts = {r.doc_id: r.text for r in pd.read_parquet(sample_out / "texts").itertuples()}
    for table in ("deadlines", "assignments"):
        rows = pd.read_parquet(sample_out / table)
        assert len(rows) > 0
        for r in rows.itertuples():
            assert texts[r.doc_id][r.start:r.end] == (r.raw if table == "deadlines" else r.unit_raw)


def test_commune_reporting_chain(sample_out):
    """001: units report to the commune before 01/6 so the commune can report before 05/6."""
    rows = pd.read_parquet(sample_out / "deadlines")
    chain = rows[rows["raw"].isin(["trước ngày 01/6", "trước ngày 05/6"])].sort_values("start")
    assert list(chain["unit"]) == ["Thủ trưởng các cơ quan, đơn vị", "Phòng Văn hóa - Xã hội"]
    assert list(chain["report_type"]) == ["semiannual", "semiannual"]
    assert list(chain["recipient"]) == ["UBND xã (qua phòng Văn hóa - Xã hội)",
                                        "Ủy ban nhân dân tỉnh (qua Sở Nội vụ tổng hợp)"]
