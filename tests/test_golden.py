"""Golden files for whole documents: metadata, the section tree, footnotes and tables of the
bundled samples. Regenerate after an intended change with ``VNPLAN_REGEN_GOLDEN=1 pytest tests/test_golden.py``
and review the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline import process_file

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
SAMPLES = sorted((REPO / "data" / "samples").glob("*.txt"))


def snapshot(path: Path) -> dict:
    r = process_file(path)
    d = r.document
    meta = {k: (str(v) if v is not None and k == "issue_date" else v) for k, v in d.metadata.to_row().items()}
    return {
        "metadata": meta,
        "sections": [[s.level, s.ordinal, s.label, s.heading[:80], d.text[s.start:s.start + 30]]
                     for s in d.sections if s.level <= 2],
        "footnotes": [[f.number, d.text[f.start:f.start + 60]] for f in d.footnotes],
        "footnote_refs": [[r.number, d.text[max(0, r.start - 20):r.end]] for r in d.footnote_refs],
        "tables": [[[c.text[:50] for c in row.cells] for row in t.rows] for t in d.tables],
        "n_chars": len(d.text),
    }


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_golden(path):
    got = snapshot(path)
    gold = GOLDEN / f"{path.stem}.json"
    if os.environ.get("VNPLAN_REGEN_GOLDEN") or not gold.exists():
        gold.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if not os.environ.get("VNPLAN_REGEN_GOLDEN"):
            pytest.fail(f"golden file {gold.name} was missing and has been written; review and commit it")
    assert got == json.loads(gold.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_every_record_satisfies_the_offset_invariant(path):
    r = process_file(path)
    text = r.tables["texts"][0]["text"]
    for table in ("citations", "deadlines"):
        for row in r.tables.get(table, []):
            assert text[row["start"]:row["end"]] == row["raw"], (table, row)
    for row in r.tables.get("assignments", []):
        assert row["start"] is None or 0 <= row["start"] <= row["end"] <= len(text)
    for row in r.tables["sections"]:
        assert 0 <= row["start"] < row["end"] <= len(text)
