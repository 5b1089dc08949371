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

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .schema import TABLES
from .write import rows_to_table, table_files, write_parquet_atomic

_FIELDS = ("type", "number", "year", "symbol", "issue_date", "issuer", "scope", "name", "subject")
_ORDER = ("instrument_id", "doc_id", "start", "citation_id")


def _most_common(values: list):
    """The most frequent non-null value; ties go to the one seen first.

    The reference semantics of the vectorised ``_field_winners``.

    >>> _most_common([None, "b", "a", "a", "b"]), _most_common([None])
    ('b', None)
    """
    counts: dict = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    return max(counts, key=counts.get) if counts else None  # max keeps the first of equals


def _read_mentions(path) -> pa.Table:
    """One citations file's columns that the aggregation needs, rows with an instrument only."""
    schema = TABLES["citations"]
    names = list(dict.fromkeys(_ORDER + _FIELDS))
    # Arrow's read-ahead and its own thread pool cost more than they save on small files
    pf = pq.ParquetFile(path, pre_buffer=False)
    present = set(pf.schema_arrow.names)
    t = pf.read(columns=[n for n in names if n in present], use_threads=False)
    cols = [t[n].cast(schema.field(n).type) if n in present else pa.nulls(t.num_rows, schema.field(n).type)
            for n in names]
    t = pa.Table.from_arrays(cols, names=names)
    return t.filter(pc.is_valid(t["instrument_id"]))


def _mentions(out_dir) -> tuple[pa.Table, object]:
    """The citations the aggregation needs (one row per mention with an instrument) and the
    order of the mentions: a permutation of the rows sorting them by instrument, document and
    position.

    Ties between equally common values go to the first mention in that order, so a resumed
    run (other files, other row order) writes the same table as a clean one.
    """
    schema = TABLES["citations"]
    names = list(dict.fromkeys(_ORDER + _FIELDS))
    files = table_files(out_dir, "citations")
    if len(files) > 8:
        # Parquet decoding runs outside the GIL: two threads read a large corpus's hundreds of
        # files in about half the time (finalize runs alone at the end of a run).
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            parts = list(pool.map(_read_mentions, files))
    else:
        parts = [_read_mentions(f) for f in files]
    t = pa.concat_tables(parts) if parts else pa.schema([schema.field(n) for n in names]).empty_table()
    return t, _mention_order(t)


def _ranks(column: pa.ChunkedArray):
    """Each row's rank among the column's distinct values in Arrow's sort order (nulls last).

    >>> _ranks(pa.chunked_array([["b", None, "a", "b"]])).tolist()
    [1, 2, 0, 1]
    """
    import numpy as np

    enc = pc.dictionary_encode(column.combine_chunks())
    n = len(enc.dictionary)
    rank = np.empty(n + 1, np.int64)
    rank[np.asarray(pc.sort_indices(enc.dictionary).to_numpy(), dtype=np.int64)] = np.arange(n)
    rank[n] = n  # the code -1 of nulls picks this last slot
    codes = np.asarray(enc.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return rank[codes]


def _mention_order(t: pa.Table):
    """The permutation sorting ``t``'s rows by ``_ORDER`` (a stable sort, nulls last), as
    ``t.take(pc.sort_indices(t, ...))`` would, without moving every column."""
    import numpy as np

    keys = [_ranks(t[n]) for n in _ORDER]
    return np.lexsort(keys[::-1]) if t.num_rows else np.zeros(0, np.int64)


def _groups(codes, n_rows: int):
    """Start index and size of each run of equal ``codes`` (an int array, equal values adjacent).

    >>> import numpy as np
    >>> starts, sizes = _groups(np.array([0, 0, 1, 1, 1, 4]), 6)
    >>> starts.tolist(), sizes.tolist()
    ([0, 2, 5], [2, 3, 1])
    """
    import numpy as np

    if n_rows == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    return starts, np.diff(np.append(starts, n_rows))


def _codes(column: pa.ChunkedArray):
    """Integer codes of a column's values (equal values, equal codes; nulls -1)."""
    import numpy as np

    enc = pc.dictionary_encode(column.combine_chunks())  # one array: chunks would have their own codes
    return np.asarray(enc.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _field_winners(column: pa.ChunkedArray, order, iid, n_instruments: int) -> list:
    """Per instrument, the most common non-null value of ``column``; ties go to the value
    mentioned first; None when no mention gives one. ``order`` puts the rows in mention order
    and ``iid`` numbers their instruments (0, 1, 2... in that order)."""
    import numpy as np

    vals = _codes(column)[order]
    rows = np.flatnonzero(vals >= 0)
    if rows.size == 0:
        return [None] * n_instruments
    # one key per (instrument, value); a stable sort keeps each key's rows in mention order
    key = iid[rows] * (int(vals.max()) + 1) + vals[rows]
    by_key = np.argsort(key, kind="stable")
    starts, sizes = _groups(key[by_key], rows.size)
    first = rows[by_key[starts]]  # each (instrument, value)'s first mention
    inst = iid[first]
    # per instrument: the largest count, then the earliest first mention
    best = np.lexsort((first, -sizes, inst))
    inst_sorted = inst[best]
    keep = np.concatenate(([True], inst_sorted[1:] != inst_sorted[:-1]))
    winner = np.full(n_instruments, -1, np.int64)
    winner[inst_sorted[keep]] = order[first[best][keep]]
    return column.take(pa.array(winner, mask=winner < 0)).to_pylist()


def _aggregate(t: pa.Table, order=None) -> list[dict]:
    """One row per instrument: each field's most common value, document and mention counts.

    ``order``: the permutation putting ``t``'s rows in mention order (``_mention_order``);
    without it they are in that order already. Ties go to the first mention.

    Vectorised (Arrow's dictionary encoding and numpy over integer codes, not Arrow's query
    engine, whose first use in a process costs ~0.2 s of loading): Python touches one row per
    instrument, so memory stays a few columns of the corpus's citations however many mentions
    it has.
    """
    import numpy as np

    n = t.num_rows
    if order is None:
        order = np.arange(n, dtype=np.int64)
    ids = _codes(t["instrument_id"])[order]
    starts, sizes = _groups(ids, n)
    iid = np.repeat(np.arange(len(starts), dtype=np.int64), sizes)  # 0, 1, 2... in mention order
    doc = _codes(t["doc_id"])[order]
    # rows are in (instrument, document) order: a new document starts a new (iid, doc) run
    new_doc = np.ones(n, np.int64)
    if n > 1:
        new_doc[1:] = (doc[1:] != doc[:-1]) | (iid[1:] != iid[:-1])
    n_docs = np.add.reduceat(new_doc, starts).tolist() if n else []
    winners = {f: _field_winners(t[f], order, iid, len(starts)) for f in _FIELDS}
    names = t["instrument_id"].take(pa.array(order[starts], pa.int64())).to_pylist()
    out = []
    for k, (instrument_id, nd, nm) in enumerate(zip(names, n_docs, sizes.tolist())):
        r = {f: winners[f][k] for f in _FIELDS}
        r.update(instrument_id=instrument_id, year_in_number=r.pop("year"), n_documents=nd, n_mentions=nm)
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

    from .resolve import NATIONAL, known_instruments

    rows = _aggregate(*_mentions(out_dir))
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


def warm_up() -> None:
    """Pay the one-time costs of ``write_instruments`` now: the code lists, the known laws and
    Arrow's grouping engine (its first ``group_by`` in a process takes ~0.2 s)."""
    from extractors.citation_codes import CODES
    from .resolve import known_instruments

    known_instruments()
    CODES.issuer_name("CT-TTg")
    schema = TABLES["citations"]
    names = list(dict.fromkeys(_ORDER + _FIELDS))
    rows = [{"instrument_id": "CT-TTg:33:2021", "doc_id": d, "start": 0, "citation_id": 0, "number": "33",
             "symbol": "CT-TTg", "type": "Chỉ thị"} for d in ("a", "b")]
    t = pa.Table.from_pylist(rows, schema=pa.schema([schema.field(n) for n in names]))
    _aggregate(t, _mention_order(t))


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
