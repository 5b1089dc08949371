"""Corpus-level ``instruments`` table: one row per ``instrument_id``, rebuilt from every
``citations`` row under OUT at the end of each run (``pipeline/finalize.py``).

Each field is what most mentions say (ties: the first mention in document and text order,
so a resumed run writes the same table as a clean one), so one mis-typed mention does not
decide it; what no mention says comes from the code lists and known laws:

* ``issuer``: the issuer phrase most mentions give, else the issuer the symbol's codes
  stand for ("CT-TTg" -> "Thủ tướng Chính phủ", "KH/TU" -> "Tỉnh ủy"), else, for a known
  law, the Quốc hội;
* ``year``: the year inside the number, else of the issue date, else of the id;
* ``title``: the law's or named instrument's name, else the most common subject;
* ``n_documents`` / ``n_mentions``: citing documents and mentions.

>>> import tempfile
>>> from pipeline.write import write_table_file
>>> out = tempfile.mkdtemp()
>>> _ = write_table_file(out, "citations", [
...     {"doc_id": "a", "citation_id": 0, "number": "33", "symbol": "CT-TTg", "type": "Chỉ thị",
...      "instrument_id": "CT-TTg:33:2021", "scope": "national"},
...     {"doc_id": "b", "citation_id": 0, "number": "33", "symbol": "CT-TTg", "type": "Chỉ thị",
...      "instrument_id": "CT-TTg:33:2021", "scope": "national"}])
>>> write_instruments(out)
1
>>> from pipeline.write import read_table
>>> r = read_table(out, "instruments").to_pylist()[0]
>>> r["issuer"], r["year"], r["n_documents"], r["n_mentions"]
('Thủ tướng Chính phủ', 2021, 2, 2)
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from .write import rows_to_table, table_files, write_parquet_atomic

_FIELDS = ("type", "number", "year", "symbol", "issue_date", "issuer", "scope", "name", "subject")
# Mentions in a fixed order (document, position), so ties between equally common values
# always go to the same one and a resumed run writes the same table as a clean one.
_MENTIONS_SQL = f"""
SELECT instrument_id, doc_id, {", ".join(_FIELDS)}
FROM citations
WHERE instrument_id IS NOT NULL
ORDER BY instrument_id, doc_id, start, citation_id
"""


def _most_common(values: list):
    """The most frequent non-null value; ties go to the one seen first.

    >>> _most_common([None, "b", "a", "a", "b"]), _most_common([None])
    ('b', None)
    """
    counts: dict = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    return max(counts, key=counts.get) if counts else None  # max keeps the first of equals


def _aggregate(con) -> list[dict]:
    cur = con.execute(_MENTIONS_SQL)
    groups: dict[str, dict] = {}
    while True:
        batch = cur.fetchmany(50_000)
        if not batch:
            break
        for row in batch:
            g = groups.get(row[0])
            if g is None:
                g = groups[row[0]] = {"docs": set(), "n": 0, **{f: [] for f in _FIELDS}}
            g["docs"].add(row[1])
            g["n"] += 1
            for f, v in zip(_FIELDS, row[2:]):
                g[f].append(v)
    out = []
    for iid, g in groups.items():
        r = {f: _most_common(g[f]) for f in _FIELDS}
        r.update(instrument_id=iid, year_in_number=r.pop("year"), n_documents=len(g["docs"]), n_mentions=g["n"])
        out.append(r)
    out.sort(key=lambda r: (-r["n_documents"], -r["n_mentions"], r["instrument_id"]))
    return out


def _id_year(instrument_id: str) -> int | None:
    """The year an instrument id carries ("CT-TTg:33:2021@…" -> 2021; "?" -> None)."""
    head = instrument_id.split("@", 1)[0]
    last = head.rsplit(":", 1)[-1]
    return int(last) if last.isdigit() and len(last) == 4 else None


def instrument_rows(out_dir: str | os.PathLike) -> list[dict]:
    """The ``instruments`` rows for the citations under ``out_dir`` (not written)."""
    from extractors.citation_codes import CODES

    from .query import connect
    from .resolve import NATIONAL, known_instruments

    con = connect(out_dir, tables=["citations"])
    rows = _aggregate(con)
    known = known_instruments()
    out = []
    for r in rows:
        iid = r["instrument_id"]
        facts = known.get(iid, {})
        issue_date = r["issue_date"] or facts.get("issue_date")
        year = r["year_in_number"] or (issue_date.year if isinstance(issue_date, dt.date) else None) \
            or _id_year(iid) or facts.get("year")
        symbol = r["symbol"] or facts.get("symbol")
        issuer = r["issuer"] or (CODES.issuer_name(symbol) if symbol else None) or facts.get("issuer")
        out.append({
            "instrument_id": iid,
            "type": r["type"] or facts.get("type"),
            "number": r["number"] or facts.get("number"),
            "year": year,
            "symbol": symbol,
            "issue_date": issue_date,
            "issuer": issuer,
            "scope": r["scope"] or NATIONAL,
            "title": facts.get("title") or r["name"] or r["subject"],
            "n_documents": r["n_documents"],
            "n_mentions": r["n_mentions"],
        })
    return out


def write_instruments(out_dir) -> int:
    """Rebuild OUT/instruments from OUT/citations; returns the number of instruments.

    The old files are replaced only after the new one is in place, so a reader sees either
    the old table or the new one.
    """
    out_dir = Path(out_dir)
    if not table_files(out_dir, "citations"):
        return 0
    rows = instrument_rows(out_dir)
    old = table_files(out_dir, "instruments")
    new = write_parquet_atomic(out_dir / "instruments" / "part-instruments.parquet",
                               rows_to_table("instruments", rows), fsync=False)
    for f in old:
        if f != new:
            f.unlink(missing_ok=True)
    return len(rows)
