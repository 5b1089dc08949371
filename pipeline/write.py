"""Parquet writer: one directory per table under OUT, files written with explicit schemas.

``pandas.read_parquet(OUT / "citations")`` reads a table back. Rows are buffered and
written as one file per flush; every file is first written under a temporary name and
renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from .schema import schema_for


def rows_to_table(table: str, rows: list[dict]) -> pa.Table:
    """Build a pyarrow table from row dicts, with the table's schema (missing keys are null).

    >>> rows_to_table("texts", [{"doc_id": "d", "text": "x", "body_end": 1}]).num_rows
    1
    """
    schema = schema_for(table)
    cols = {name: [r.get(name) for r in rows] for name in schema.names}
    return pa.Table.from_pydict(cols, schema=schema)


def write_table_file(out_dir: str | os.PathLike, table: str, rows: list[dict], part: str | None = None) -> Path | None:
    """Write ``rows`` as one Parquet file in ``OUT/<table>/``; returns its path (None if no rows)."""
    if not rows:
        return None
    d = Path(out_dir) / table
    d.mkdir(parents=True, exist_ok=True)
    part = part or uuid.uuid4().hex[:12]
    final = d / f"part-{part}.parquet"
    tmp = d / f".tmp-{part}.parquet"
    pq.write_table(rows_to_table(table, rows), tmp, row_group_size=64_000)
    os.replace(tmp, final)
    return final


class TableWriter:
    """Buffers rows per table and flushes them to Parquet files.

    >>> import tempfile; w = TableWriter(tempfile.mkdtemp())
    >>> w.add("texts", [{"doc_id": "d", "text": "x", "body_end": 1}]); w.flush()
    """

    def __init__(self, out_dir: str | os.PathLike, max_rows: int = 50_000):
        self.out_dir = Path(out_dir)
        self.max_rows = max_rows
        self.buffers: dict[str, list[dict]] = {}

    def add(self, table: str, rows: Iterable[dict]) -> None:
        buf = self.buffers.setdefault(table, [])
        buf.extend(rows)
        if len(buf) >= self.max_rows:
            self._flush_one(table)

    def add_result(self, tables: dict[str, list[dict]]) -> None:
        for table, rows in tables.items():
            self.add(table, rows)

    def _flush_one(self, table: str) -> None:
        rows = self.buffers.pop(table, [])
        write_table_file(self.out_dir, table, rows)

    def flush(self) -> None:
        for table in list(self.buffers):
            self._flush_one(table)


def ensure_table_dirs(out_dir: str | os.PathLike, tables: Iterable[str]) -> None:
    """Make sure every table exists on disk, writing an empty file for absent ones.

    Readers (pandas, DuckDB) can then open every table even when a run found no rows.
    """
    for table in tables:
        d = Path(out_dir) / table
        if not any(d.glob("*.parquet")) if d.exists() else True:
            d.mkdir(parents=True, exist_ok=True)
            pq.write_table(rows_to_table(table, []), d / "part-empty.parquet")
