"""Property tests: normalization + segmentation never raise on arbitrary text, and every
offset they produce is valid (``text[start:end] == raw``)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.document import RawDocument
from pipeline.normalize import normalize
from pipeline.segment import segment

# Text made of the pieces that drive the rules (headings, markers, tables, footnotes,
# symbols, Vietnamese letters, odd whitespace) so the search reaches the interesting paths.
PIECES = st.sampled_from([
    "I. MỤC ĐÍCH\n", "II. ", "IL. ", "1. ", "1.1. ", "a) ", "- ", "+ ", "\n", "\n\n", "\f", "   \n", " ",
    "| 1 | Sở Nội vụ | Thường xuyên |\n", "|---|---|---|\n", "| | tiếp | |\n", "<p>", "</p>",
    "hành động1.", "23-QĐ/TW1;", "¹", "1 Quyết định số 23-QĐ/TW ngày 30/7/2021\n",
    "                                            \n", "635/KH-\n", "UBND", "hoá", "Thuỷ", "Ð", "–", "\u00ad",
    "Nơi nhận:\n", "KT. CHỦ TỊCH\n", "PHỤ LỤC\n", "KẾ HOẠCH\n", "Nguyễn Văn A\n", "2\n", "ngày 05/6/2026",
    "a\u0301", "\r\n", "THƯ VIỆN PHÁP LUẬT\n", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n",
])
TEXTS = st.one_of(st.lists(PIECES, max_size=40).map("".join), st.text(max_size=300))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_normalize_and_segment_never_raise_and_offsets_hold(text):
    d = segment(normalize(RawDocument.from_text(text)))
    n = len(d.text)
    assert 0 <= d.body_end <= n
    for f in d.footnotes:
        assert d.body_end <= f.start <= f.end <= n
    for r in d.footnote_refs:
        assert d.text[r.start:r.end] == f"[^{r.number}]"
    for t in d.tables:
        for row in t.rows:
            for c in row.cells:
                assert d.text[c.start:c.end] == c.text
    for s in d.sections:
        assert 0 <= s.start <= s.end <= n
    for pos in range(0, n, max(1, n // 20)):
        assert 0 <= d.offset_map.to_raw(pos) <= len(text)


@settings(max_examples=150, deadline=None)
@given(TEXTS)
def test_whole_pipeline_records_satisfy_invariant(text):
    from pipeline import process_text

    r = process_text(text)
    body = r.tables["texts"][0]["text"]
    for table in ("citations", "deadlines"):
        for row in r.tables.get(table, []):
            assert body[row["start"]:row["end"]] == row["raw"]
