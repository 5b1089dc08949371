"""The benchmark scripts still run (on the bundled samples, so in seconds) and record their figures."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_stages  # noqa: E402
import output_snapshot  # noqa: E402
from recording import record_block  # noqa: E402


def test_stage_benchmark_times_every_stage_and_records_its_block(tmp_path, capsys):
    res = bench_stages.bench(REPO / "data" / "samples")
    assert res["docs"] == 3 and set(res["stages"]) == set(bench_stages.STAGES)
    assert all(v >= 0 for v in res["stages"].values()) and res["total"] > 0
    doc = tmp_path / "batch.md"
    doc.write_text(f"intro\n{bench_stages.BEGIN}\nold\n{bench_stages.END}\nrest\n", encoding="utf-8")
    record_block(doc, bench_stages.BEGIN, bench_stages.END, bench_stages.markdown(res))
    text = doc.read_text(encoding="utf-8")
    assert "old" not in text and "| normalize |" in text and text.endswith("rest\n")


def test_output_snapshot_sees_a_changed_row():
    sample = sorted((REPO / "data" / "samples").glob("*.txt"))[0]
    before = output_snapshot.output(sample)
    assert output_snapshot.first_difference(before, output_snapshot.output(sample)) == []
    after = {k: [dict(r) for r in rows] for k, rows in before.items()}
    after["citations"][0]["number"] = "999"
    diff = output_snapshot.first_difference(before, after)
    assert diff[0].startswith("  table citations") and "number" in diff[1]
