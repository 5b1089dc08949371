"""The bundled gold (data/gold) scored with ``pipeline.evaluate``, and a golden file of
every citation the pipeline finds in the three samples.

The golden file (tests/test_citations_golden.json) records, per sample, each citation's
raw text and parts — not its offsets, so a change in normalize's layout alone does not
break it. After an intended change, regenerate it and review the diff:

    VNPLAN_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_citations_gold.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GOLD = REPO / "data" / "gold"
SAMPLES = REPO / "data" / "samples"
GOLDEN = Path(__file__).with_name("test_citations_golden.json")
FIELDS = ("raw", "type", "number", "year", "symbol", "issue_date", "issuer", "name", "grammar", "in_footnote",
          "instrument_id")


@pytest.fixture(scope="module")
def results():
    from pipeline import process_file

    return {p.stem: process_file(p) for p in sorted(SAMPLES.glob("*.txt"))}


def test_gold_scores(results):
    from pipeline.evaluate import Accuracy, PRF, score_citations

    totals: dict[str, PRF | Accuracy] = {}
    for g in sorted(GOLD.glob("*.json")):
        gold = json.loads(g.read_text(encoding="utf-8"))
        f = score_citations(gold["citations"], gold["named_instruments"], results[g.stem].tables["citations"])
        for k, v in f.metrics.items():
            totals[k] = totals[k] + v if k in totals else v
    assert totals["instruments"].f1 >= 0.98
    assert totals["date"].accuracy >= 0.98
    assert totals["type"].accuracy >= 0.98
    assert totals["year"].accuracy >= 0.98
    assert totals["named"].f1 >= 0.9


def test_invariant_on_samples(results):
    for r in results.values():
        text = r.document.text
        for row in r.tables["citations"]:
            assert text[row["start"]:row["end"]] == row["raw"]


def _snapshot(results) -> dict:
    return {stem: [{k: (str(row[k]) if k == "issue_date" and row[k] else row[k]) for k in FIELDS}
                   for row in r.tables["citations"]] for stem, r in results.items()}


def test_golden_file(results):
    got = _snapshot(results)
    if os.environ.get("VNPLAN_REGEN_GOLDEN") or not GOLDEN.exists():
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pytest.skip("golden file regenerated")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for stem in want:
        assert got[stem] == want[stem], f"{stem}: citations changed (VNPLAN_REGEN_GOLDEN=1 to accept)"
