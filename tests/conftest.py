"""Shared fixtures.

``sample_out``: the bundled samples (data/samples) run through the real pipeline once
per test session; tests read the Parquet tables under it and must not write there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"

# The processes tests start (vnplan, fork servers) keep their compiled patterns in a cache of
# this session (pipeline.regex_cache), never in the user's ~/.cache.
_CACHE = None
if "VNPLAN_CACHE_DIR" not in os.environ:
    _CACHE = os.environ["VNPLAN_CACHE_DIR"] = tempfile.mkdtemp(prefix="vnplan-test-cache-")


def pytest_unconfigure(config):
    if _CACHE:
        shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory) -> Path:
    """OUT directory of ``pipeline.run(["data/samples"], OUT)``, shared by the session."""
    from pipeline import run

    out = tmp_path_factory.mktemp("sample_out")
    summary = run([str(SAMPLES)], out)
    assert summary.processed == len(list(SAMPLES.glob("*.txt"))), summary.line()
    return out


# --- a small hand-made run, independent of the extractors' progress -------------------------
# Three plans from three provinces (two cite Chỉ thị 33/CT-TTg, one only its own province's
# plan), one failed input, a footnote citation, dated / recurring / continuous deadlines,
# lead and support units and one audit finding. Offsets are computed from the texts, so
# ``text[start:end] == raw`` holds for every record, as in real output.

ANALYST_DOCS = {
    "a1": dict(
        province="Lai Châu", doc_number="12/KH-UBND", issuer="Ủy ban nhân dân tỉnh Lai Châu",
        issuer_level="province", plan_year=2026, title="Triển khai công tác dân vận chính quyền năm 2026",
        text=("KẾ HOẠCH\nTriển khai công tác dân vận chính quyền năm 2026\n"
              "Thực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ[^1]; "
              "Ủy ban nhân dân tỉnh ban hành Kế hoạch như sau:\n"
              "I. MỤC ĐÍCH, YÊU CẦU\n1. Quán triệt Luật Thực hiện dân chủ ở cơ sở.\n"
              "II. TỔ CHỨC THỰC HIỆN\n1. Sở Nội vụ chủ trì, báo cáo kết quả trước ngày 15/12/2026.\n"
              "2. Các sở, ban, ngành thực hiện thường xuyên.\n"
              "[^1]: Nghị định số 59/2023/NĐ-CP ngày 14/8/2023 của Chính phủ.\n"),
        citations=[("Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ",
                    dict(type="Chỉ thị", number="33", symbol="CT-TTg", instrument_id="CT-TTg:33:2021",
                         grammar="administrative", issuer="Thủ tướng Chính phủ")),
                   ("Luật Thực hiện dân chủ ở cơ sở",
                    dict(type="Luật", name="Luật Thực hiện dân chủ ở cơ sở", instrument_id="luat:thuc-hien-dan-chu-o-co-so",
                         grammar="named")),
                   ("Nghị định số 59/2023/NĐ-CP",
                    dict(type="Nghị định", number="59", year=2023, symbol="NĐ-CP", instrument_id="NĐ-CP:59:2023",
                         grammar="normative", in_footnote=True))],
        deadlines=[("trước ngày 15/12/2026", dict(kind="absolute", value="2026-12-15", date="2026-12-15",
                                                  task="báo cáo kết quả", unit="Sở Nội vụ", report_type="annual")),
                   ("thường xuyên", dict(kind="continuous", value="continuous", unit="Các sở, ban, ngành"))],
        assignments=[("Sở Nội vụ", dict(unit="Sở Nội vụ", unit_kind="specific", role="lead", task="báo cáo kết quả")),
                     ("Các sở, ban, ngành", dict(unit="Các sở, ban, ngành", unit_kind="collective", role="lead"))],
    ),
    "b2": dict(
        province="Quảng Trị", commune="Vĩnh Thủy", doc_number=None, issuer="UBND xã Vĩnh Thủy",
        issuer_level="commune", plan_year=2026, title="Thực hiện công tác dân vận chính quyền năm 2026",
        text=("KẾ HOẠCH\nThực hiện công tác dân vận chính quyền năm 2026\n"
              "Căn cứ Chỉ thị số 33/CT-TTg của Thủ tướng Chính phủ; Kế hoạch số 450/KH-UBND của UBND tỉnh;\n"
              "I. NHIỆM VỤ\n| 1 | Báo cáo 6 tháng | Phòng Văn hóa - Xã hội | trước ngày 01/6 |\n"
              "II. TỔ CHỨC THỰC HIỆN\nPhòng Văn hóa - Xã hội chủ trì; Công an xã phối hợp; báo cáo hằng quý.\n"),
        citations=[("Chỉ thị số 33/CT-TTg", dict(type="Chỉ thị", number="33", symbol="CT-TTg",
                                                 instrument_id="CT-TTg:33:2021", grammar="administrative")),
                   ("Kế hoạch số 450/KH-UBND", dict(type="Kế hoạch", number="450", symbol="KH-UBND",
                                                    instrument_id="KH-UBND:450:Quảng Trị", grammar="administrative"))],
        deadlines=[("trước ngày 01/6", dict(kind="absolute", value="2026-06-01", date="2026-06-01", row=1,
                                            task="Báo cáo 6 tháng", unit="Phòng Văn hóa - Xã hội",
                                            report_type="semiannual")),
                   ("hằng quý", dict(kind="recurring", value="quarterly", recurrence="quarterly",
                                     task="báo cáo", unit="Phòng Văn hóa - Xã hội"))],
        assignments=[("Phòng Văn hóa - Xã hội", dict(unit="Phòng Văn hóa - Xã hội", unit_kind="specific",
                                                     role="lead", source="table", row=1, task="Báo cáo 6 tháng")),
                     ("Công an xã", dict(unit="Công an xã", unit_kind="specific", role="support"))],
    ),
    "c3": dict(
        province="Lâm Đồng", doc_number="88/KH-UBND", issuer="Ủy ban nhân dân tỉnh Lâm Đồng",
        issuer_level="province", plan_year=2026, title="Thực hiện dân chủ ở cơ sở năm 2026",
        text=("KẾ HOẠCH\nThực hiện dân chủ ở cơ sở năm 2026\n"
              "Thực hiện Kế hoạch số 30/KH-UBND ngày 10/01/2026 của UBND tỉnh;\n"
              "I. NHIỆM VỤ\nSở Nội vụ phối hợp các địa phương, hoàn thành trong quý II/2026.\n"
              "Báo cáo trước ngày 20/11/2026.\n"),
        citations=[("Kế hoạch số 30/KH-UBND ngày 10/01/2026 của UBND tỉnh",
                    dict(type="Kế hoạch", number="30", symbol="KH-UBND", instrument_id="KH-UBND:30:Lâm Đồng",
                         grammar="administrative", issue_date="2026-01-10", issuer="UBND tỉnh"))],
        deadlines=[("trong quý II/2026", dict(kind="period", value="2026-Q2", period_start="2026-04-01",
                                              period_end="2026-06-30", unit="Sở Nội vụ")),
                   ("trước ngày 20/11/2026", dict(kind="absolute", value="2026-11-20", date="2026-11-20",
                                                  report_type="annual", task="Báo cáo"))],
        assignments=[("Sở Nội vụ", dict(unit="Sở Nội vụ", unit_kind="specific", role="support"))],
    ),
}


def _date(v):
    import datetime as dt
    return dt.date.fromisoformat(v) if isinstance(v, str) else v


def _sections(doc_id: str, text: str) -> list[dict]:
    import regex
    heads = [m for m in regex.finditer(r"(?m)^([IVX]+)\. (.+)$", text)]
    labels = {"MỤC ĐÍCH, YÊU CẦU": "purpose_requirements", "NHIỆM VỤ": "tasks",
              "TỔ CHỨC THỰC HIỆN": "implementation"}
    rows = [dict(doc_id=doc_id, section_id=0, parent_id=None, level=1, ordinal=None, heading="",
                 label="preamble", start=0, end=heads[0].start() if heads else len(text))]
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        rows.append(dict(doc_id=doc_id, section_id=i + 1, parent_id=None, level=1, ordinal=m.group(1),
                         heading=m.group(2), label=labels.get(m.group(2)), start=m.start(), end=end))
    return rows


def _spans(doc_id: str, text: str, items, id_col: str, sections, extra: dict) -> list[dict]:
    rows, pos = [], 0
    for i, (raw, fields) in enumerate(items):
        start = text.find(raw)
        assert start >= 0, raw
        sec = next((s["section_id"] for s in sections if s["start"] <= start < s["end"]), None)
        row = dict(doc_id=doc_id, start=start, end=start + len(raw), section_id=sec, **extra)
        row[id_col] = i
        row.update({k: _date(v) if k in ("date", "issue_date", "period_start", "period_end") else v
                    for k, v in fields.items()})
        rows.append(row)
    return rows


def write_analyst_out(out: Path) -> Path:
    """Write the hand-made run under ``out`` (what ``vnplan run`` + finalize would write)."""
    import datetime as dt

    from pipeline.write import ensure_table_dirs, write_table_file

    tables: dict[str, list[dict]] = {t: [] for t in ("documents", "texts", "sections", "citations",
                                                     "deadlines", "assignments", "instruments", "deadline_audit")}
    for doc_id, d in ANALYST_DOCS.items():
        text = d["text"]
        body_end = text.find("[^1]:") if "[^1]:" in text else len(text)
        tables["documents"].append(dict(
            doc_id=doc_id, source_path=f"in/{doc_id}.txt", source_sha256=doc_id * 8, source_format="txt",
            status="ok", warnings=[], n_pages=1, n_chars=len(text), doc_type="Kế hoạch", title=d["title"],
            doc_number=d["doc_number"], issue_date=dt.date(2026, 1, 20), issuer=d["issuer"],
            issuer_level=d["issuer_level"], province=d["province"], commune=d.get("commune"),
            plan_year=d["plan_year"], recipients=[], schema_version="1.0"))
        tables["texts"].append(dict(doc_id=doc_id, text=text, body_end=body_end))
        secs = _sections(doc_id, text)
        tables["sections"] += secs
        cits = _spans(doc_id, text, d["citations"], "citation_id", secs, {"province": d["province"]})
        for c in cits:
            c["raw"] = text[c["start"]:c["end"]]
            c["in_footnote"] = c["start"] >= body_end
        tables["citations"] += cits
        for key, id_col in (("deadlines", "deadline_id"), ("assignments", "assignment_id")):
            extra = {"province": d["province"]} if key == "assignments" else {}
            rows = _spans(doc_id, text, d[key], id_col, secs, extra)
            for r in rows:
                r["raw" if key == "deadlines" else "unit_raw"] = text[r["start"]:r["end"]]
                if key == "assignments":
                    r.setdefault("source", "text")
            tables[key] += rows
    tables["documents"].append(dict(doc_id="f4", source_path="in/broken.pdf", source_sha256="f4" * 32,
                                    source_format="pdf", status="failed", error="ingest error: PDF has no pages",
                                    warnings=[], recipients=[]))
    by_inst: dict[str, dict] = {}
    for c in tables["citations"]:
        i = by_inst.setdefault(c["instrument_id"], dict(
            instrument_id=c["instrument_id"], type=c["type"], number=c.get("number"), year=c.get("year"),
            symbol=c.get("symbol"), title=c.get("name"), docs=set(), n_mentions=0))
        i["docs"].add(c["doc_id"])
        i["n_mentions"] += 1
    for i in by_inst.values():
        i["n_documents"] = len(i.pop("docs"))
        tables["instruments"].append(i)
    a_text, c_text = ANALYST_DOCS["a1"]["text"], ANALYST_DOCS["c3"]["text"]
    tables["deadline_audit"].append(dict(
        doc_id="c3", finding_id=0, rule="report_after_parent", severity="warning",
        message="Báo cáo năm hạn 20/11/2026, sau hạn của kế hoạch cấp trên (15/12/2026 không khớp)",
        related_doc_id="a1",
        spans=[dict(doc_id="c3", start=c_text.find("trước ngày 20/11/2026"),
                    end=c_text.find("trước ngày 20/11/2026") + len("trước ngày 20/11/2026"),
                    raw="trước ngày 20/11/2026"),
               dict(doc_id="a1", start=a_text.find("trước ngày 15/12/2026"),
                    end=a_text.find("trước ngày 15/12/2026") + len("trước ngày 15/12/2026"),
                    raw="trước ngày 15/12/2026")]))
    for table, rows in tables.items():
        write_table_file(out, table, rows, part="0")
    ensure_table_dirs(out, tables)
    return out


@pytest.fixture(scope="session")
def analyst_out(tmp_path_factory) -> Path:
    """A small hand-made OUT directory with every table filled (see ANALYST_DOCS)."""
    return write_analyst_out(tmp_path_factory.mktemp("analyst_out"))
