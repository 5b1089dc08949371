"""The corpus-level ``instruments`` aggregation against its reference semantics.

``pipeline.instruments._aggregate`` is vectorised (dictionary codes and numpy); these tests
check it against a plain-Python reading of the rules on arbitrary mentions: each field is the
most common non-null value of the instrument's mentions, ties going to the first mention in
(instrument, document, start, citation) order, and the counts are distinct documents and rows.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.instruments import _FIELDS, _ORDER, _aggregate, _mention_order, _most_common
from pipeline.schema import TABLES

NAMES = list(dict.fromkeys(_ORDER + _FIELDS))
SCHEMA = pa.schema([TABLES["citations"].field(n) for n in NAMES])

VALUES = {
    "type": st.sampled_from(["Chỉ thị", "Quyết định", "Luật"]),
    "number": st.sampled_from(["33", "12", "1"]),
    "year": st.sampled_from([2021, 2024, 2026]),
    "symbol": st.sampled_from(["CT-TTg", "QĐ-UBND", "QH15"]),
    "issue_date": st.sampled_from([dt.date(2021, 10, 5), dt.date(2024, 1, 2)]),
    "issuer": st.sampled_from(["Thủ tướng Chính phủ", "UBND tỉnh", "Quốc hội"]),
    "scope": st.sampled_from(["national", "province"]),
    "name": st.sampled_from(["Luật Đất đai", "Luật Đầu tư"]),
    "subject": st.sampled_from(["về phòng cháy", "về chuyển đổi số", "về đất đai"]),
}

MENTION = st.fixed_dictionaries(
    {"instrument_id": st.sampled_from(["A:1:2021", "B:2:2024", "C:3:2026", "D"]),
     "doc_id": st.sampled_from(["d1", "d2", "d3"]),
     "start": st.integers(0, 50),
     "citation_id": st.integers(0, 5)},
    optional={f: st.one_of(st.none(), v) for f, v in VALUES.items()},
)


def _sorted_table(rows: list[dict]) -> pa.Table:
    t = pa.Table.from_pylist(rows, schema=SCHEMA)
    return t.take(pc.sort_indices(t, [(n, "ascending") for n in _ORDER]))


def _reference(t: pa.Table) -> list[dict]:
    by_id: dict[str, list[dict]] = {}
    for r in t.to_pylist():  # already in mention order
        by_id.setdefault(r["instrument_id"], []).append(r)
    out = []
    for iid, ms in by_id.items():
        r = {f: _most_common([m[f] for m in ms]) for f in _FIELDS}
        r.update(instrument_id=iid, year_in_number=r.pop("year"),
                 n_documents=len({m["doc_id"] for m in ms}), n_mentions=len(ms))
        out.append(r)
    out.sort(key=lambda r: (-r["n_documents"], -r["n_mentions"], r["instrument_id"]))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(MENTION, max_size=40, unique_by=lambda m: (m["doc_id"], m["citation_id"])))  # as in a corpus
def test_aggregate_equals_the_reference(rows):
    t = _sorted_table(rows)
    assert _aggregate(t) == _reference(t)
    # rows in any order, with the permutation that sorts them (what finalize reads from files)
    shuffled = pa.Table.from_pylist(rows[::-1], schema=SCHEMA)
    order = _mention_order(shuffled)
    assert shuffled.take(pa.array(order)).equals(t)
    assert _aggregate(shuffled, order) == _reference(t)


def test_most_common_value_wins_and_ties_go_to_the_first_mention():
    rows = [
        {"instrument_id": "X", "doc_id": "a", "start": 0, "citation_id": 0, "issuer": "UBND tỉnh", "year": 2024},
        {"instrument_id": "X", "doc_id": "b", "start": 0, "citation_id": 0, "issuer": "Quốc hội", "year": 2021},
        {"instrument_id": "X", "doc_id": "b", "start": 9, "citation_id": 1, "issuer": "Quốc hội"},
        {"instrument_id": "Y", "doc_id": "a", "start": 5, "citation_id": 1, "subject": "về đất đai"},
    ]
    by_id = {r["instrument_id"]: r for r in _aggregate(_sorted_table(rows))}
    assert by_id["X"]["issuer"] == "Quốc hội"  # 2 mentions against 1
    assert by_id["X"]["year_in_number"] == 2024  # 1 against 1: the first mention's
    assert (by_id["X"]["n_documents"], by_id["X"]["n_mentions"]) == (2, 3)
    assert by_id["Y"]["issuer"] is None and by_id["Y"]["subject"] == "về đất đai"
    assert _aggregate(_sorted_table([])) == []
