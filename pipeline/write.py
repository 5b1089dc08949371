"""Parquet writer: one directory per table under OUT, files written with explicit schemas.

``pandas.read_parquet(OUT / "citations")`` reads a table back, and so does DuckDB
(``read_parquet('OUT/citations/**/*.parquet', hive_partitioning = true)``). Every file is
first written under a hidden temporary name (``.tmp-*``, which readers skip) and renamed
into place, so a reader never sees half a file.

Batch runs write through ``BatchWriter``: rows are buffered per partition and written as
one file per table per batch (``OUT/<table>/province_slug=lam-dong/part-<batch>.parquet``),
then the batch is committed in the run state (``pipeline.manifest``). Partition keys have
their own column names (``province_slug``, ``doc_year``) so they never collide with a
data column such as ``citations.province``; values are ASCII slugs, ``unknown`` when the
document has none. Each file's metadata carries ``vnplan.schema_version``,
``vnplan.table``, ``vnplan.pipeline_version`` and ``vnplan.batch``.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .layout import (MiB, PARTITION_CHOICES, PARTITION_COLUMNS, parse_partition_by,  # noqa: F401 (re-exports)
                     partition_of, slugify, table_files)
from .engines.task import n_rows
from .schema import SCHEMA_VERSION, TABLES, schema_for

COMPRESSION = "zstd"
ROW_GROUP_ROWS = 1_000_000  # a batch file is usually one row group; analytics engines like them big


def rows_to_table(table: str, rows: list[dict]) -> pa.Table:
    """Build a pyarrow table from row dicts, with the table's schema (missing keys are null).

    >>> rows_to_table("texts", [{"doc_id": "d", "text": "x", "body_end": 1}]).num_rows
    1
    """
    return pa.Table.from_pylist(rows, schema=schema_for(table))


def write_parquet_atomic(path: Path, table: pa.Table, fsync: bool = True) -> Path:
    """Write ``table`` to ``path`` via a hidden temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")
    pq.write_table(table, tmp, compression=COMPRESSION, row_group_size=ROW_GROUP_ROWS)
    if fsync:  # the completion marker must never point at data still in the page cache only
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    os.replace(tmp, path)
    return path


def write_table_file(out_dir: str | os.PathLike, table: str, rows: list[dict], part: str | None = None) -> Path | None:
    """Write ``rows`` as one Parquet file in ``OUT/<table>/``; returns its path (None if no rows)."""
    if not rows:
        return None
    part = part or uuid.uuid4().hex[:12]
    return write_parquet_atomic(Path(out_dir) / table / f"part-{part}.parquet", rows_to_table(table, rows),
                                fsync=False)


class TableWriter:
    """Buffers rows per table and flushes them to Parquet files (no partitions, no run state).

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


def _has_data_files(d: Path) -> bool:
    return any(not any(part.startswith((".", "_")) for part in p.relative_to(d).parts) for p in d.rglob("*.parquet"))


def ensure_table_dirs(out_dir: str | os.PathLike, tables: Iterable[str]) -> None:
    """Make sure every table exists on disk, writing an empty file for absent ones.

    Readers (pandas, DuckDB) can then open every table even when a run found no rows.
    Files inside hive partitions count: a partitioned table gets no empty file.
    """
    for table in tables:
        d = Path(out_dir) / table
        if not (d.exists() and _has_data_files(d)):
            d.mkdir(parents=True, exist_ok=True)
            pq.write_table(rows_to_table(table, []), d / "part-empty.parquet")


def read_table(out_dir: str | os.PathLike, table: str) -> pa.Table:
    """Every row of one table under OUT, in the table's schema, partition columns left out.

    Robust where a dataset scan is not: files of an older schema (missing columns read
    as null) and mixed partition layouts.

    >>> import tempfile; d = tempfile.mkdtemp()
    >>> _ = write_table_file(d, "texts", [{"doc_id": "d", "text": "x", "body_end": 1}])
    >>> read_table(d, "texts").to_pylist()
    [{'doc_id': 'd', 'text': 'x', 'body_end': 1}]
    """
    schema = TABLES[table]
    parts = []
    for f in table_files(out_dir, table):
        t = pq.ParquetFile(f).read()
        cols = [t[name].cast(field.type) if name in t.column_names else pa.nulls(t.num_rows, field.type)
                for name, field in zip(schema.names, schema)]
        parts.append(pa.Table.from_arrays(cols, schema=schema))
    return pa.concat_tables(parts) if parts else schema.empty_table()


# ---------------------------------------------------------------------------------------
# Batches


def _file_metadata(table: str, pipeline_version: str, batch_id: str) -> dict[bytes, bytes]:
    meta = dict(schema_for(table).metadata)
    meta[b"vnplan.pipeline_version"] = pipeline_version.encode()
    meta[b"vnplan.batch"] = batch_id.encode()
    return meta


ROW_BYTES = 2800  # a `documents` row (the one table workers send as Python values), bulk corpus, tracemalloc


def _approx_bytes(value) -> int:
    """Memory one table's rows of one document take in the buffer."""
    if isinstance(value, dict):  # Python columns
        return ROW_BYTES * n_rows(value)
    return value.size if hasattr(value, "size") else len(value)  # an IPC message, held as received


class ColumnBuffer:
    """Rows of one table gathered as columns, from documents whose columns may differ.

    A column a document lacks (a failed document has no metadata) is None in its rows.

    >>> b = ColumnBuffer(); b.extend({"a": [1, 2]}); b.extend({"a": [3], "b": ["x"]})
    >>> b.n, b.columns
    (3, {'a': [1, 2, 3], 'b': [None, None, 'x']})
    """

    __slots__ = ("n", "columns")

    def __init__(self) -> None:
        self.n = 0
        self.columns: dict[str, list] = {}

    def extend(self, columns: dict[str, list]) -> None:
        k = n_rows(columns)
        if not k:
            return
        have = self.columns
        for name, values in columns.items():
            col = have.get(name)
            if col is None:
                have[name] = [None] * self.n + values if self.n else values
            else:
                col += values
        if len(have) > len(columns):
            for name, col in have.items():
                if name not in columns:
                    col += [None] * k
        self.n += k

    def to_arrow(self, table: str) -> pa.Table:
        """The rows in ``table``'s schema (columns it does not know are left out)."""
        schema = schema_for(table)
        arrays = [pa.array(self.columns[f.name], type=f.type) if f.name in self.columns else pa.nulls(self.n, f.type)
                  for f in schema]
        return pa.Table.from_arrays(arrays, schema=schema)


COMPACT_BYTES = 2 * MiB  # a partition's rows held as Python objects before they are converted to Arrow


class TableBuffer:
    """One table's rows of one batch, as Arrow record batches.

    Workers send most tables as Arrow IPC messages (``pipeline.engines.task.encode_rows``):
    they are read in place, without a copy. Rows that come as Python columns (the
    ``documents`` rows) are gathered in lists and converted every ``COMPACT_BYTES``
    (``compact``), since Arrow holds them 3-5 times more compactly.

    >>> b = TableBuffer("texts"); b.extend({"doc_id": ["d1"], "text": ["x"], "body_end": [1]})
    >>> b.compact() > 0, b.n
    (True, 1)
    >>> from pipeline.engines.task import encode_rows
    >>> b.extend(encode_rows("texts", [{"doc_id": "d2", "text": "yz", "body_end": 2}]))
    >>> b.to_arrow().column("text").to_pylist()
    ['x', 'yz']
    """

    __slots__ = ("table", "lists", "batches", "n")

    def __init__(self, table: str) -> None:
        self.table = table
        self.lists = ColumnBuffer()
        self.batches: list[pa.RecordBatch] = []
        self.n = 0  # rows in the batches and the lists

    def extend(self, value) -> None:
        """Add one document's rows: Python columns, or an IPC record batch in this table's schema."""
        if isinstance(value, dict):
            before = self.lists.n
            self.lists.extend(value)
            self.n += self.lists.n - before
            return
        if self.lists.n:  # keep the rows in arrival order
            self.compact()
        batch = pa.ipc.read_record_batch(value, schema_for(self.table))
        self.batches.append(batch)
        self.n += batch.num_rows

    def compact(self) -> int:
        """Convert the rows held as Python lists to Arrow; returns their bytes in Arrow."""
        if not self.lists.n:
            return 0
        chunk = self.lists.to_arrow(self.table)
        self.batches.extend(chunk.to_batches())
        self.lists = ColumnBuffer()
        return chunk.nbytes

    def to_arrow(self) -> pa.Table:
        """Every row, in the table's schema, in one chunk per column."""
        self.compact()
        return pa.Table.from_batches(self.batches, schema=schema_for(self.table)).combine_chunks()


@dataclass
class _Buffer:
    tables: dict[str, TableBuffer] = field(default_factory=dict)
    docs: list = field(default_factory=list)
    nbytes: int = 0  # Arrow bytes + the estimate of the rows still held as Python objects
    py_bytes: int = 0  # that estimate

    def compact(self) -> int:
        """Convert the rows held as Python objects to Arrow; returns the change of ``nbytes``."""
        delta = sum(t.compact() for t in self.tables.values()) - self.py_bytes
        self.nbytes += delta
        self.py_bytes = 0
        return delta


@dataclass
class _Pending:
    """A batch whose files are being written by a writer thread; committed once they are."""

    future: Future
    batch_id: str
    part: str
    docs: list
    tables: list[str]
    nbytes: int


class BatchWriter:
    """Buffers outcomes per partition and commits them as batches; memory stays under a budget.

    A partition is flushed when it holds ``batch_docs`` documents, or, when all buffers
    together exceed ``max_buffer_bytes``, the largest partition is flushed first.
    ``add`` refuses (returns False) a ``doc_id`` this writer already took in this run.

    Flushed batches are converted and written by ``threads`` background threads while the
    caller goes on feeding workers (Parquet encoding, compression and fsync release the
    GIL); batches are committed in flush order, in the caller's thread, as their files land.
    Batches being written hold at most another ``max_buffer_bytes`` (then ``add`` waits).
    """

    def __init__(self, out: str | os.PathLike, state, partition_by: Sequence[str] = ("province",),
                 batch_docs: int = 1000, max_buffer_bytes: int = 64 * MiB, pipeline_version: str = "",
                 on_commit: Callable[[dict], None] | None = None, threads: int = 2):
        self.out = Path(out)
        self.state = state
        self.partition_by = list(partition_by)
        self.batch_docs = max(1, batch_docs)
        self.max_buffer_bytes = max_buffer_bytes
        self.pipeline_version = pipeline_version
        self.on_commit = on_commit
        self.buffers: dict[str, _Buffer] = {}
        self.nbytes = 0
        self.taken: set[str] = set()
        self.unknown_tables: set[str] = set()  # rows of tables without a schema: not written
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="vnplan-write") \
            if threads else None
        self._pending: deque[_Pending] = deque()
        self._pending_bytes = 0

    def add(self, outcome) -> bool:
        """Buffer one document's rows (an ``engines.Outcome``); may commit batches."""
        from .manifest import DoneDoc

        self._commit_written(wait=False)
        if outcome.doc_id in self.taken:
            return False
        self.taken.add(outcome.doc_id)
        row = outcome.documents_row
        part = partition_of(row, self.partition_by)
        buf = self.buffers.setdefault(part, _Buffer())
        size = py_size = 0
        for table, value in outcome.tables.items():
            if table not in TABLES:
                self.unknown_tables.add(table)
                continue
            table_buf = buf.tables.get(table)
            if table_buf is None:
                table_buf = buf.tables[table] = TableBuffer(table)
            table_buf.extend(value)
            n = _approx_bytes(value)
            size += n
            if isinstance(value, dict):
                py_size += n
        buf.docs.append(DoneDoc(outcome.doc_id, outcome.input_sha, outcome.key,
                                self.pipeline_version or row.get("pipeline_version") or "", outcome.status,
                                outcome.path))
        buf.nbytes += size
        buf.py_bytes += py_size
        self.nbytes += size
        if buf.py_bytes >= COMPACT_BYTES:
            self.nbytes += buf.compact()
        if len(buf.docs) >= self.batch_docs:
            self.flush(part)
        while self.nbytes > self.max_buffer_bytes and self.buffers:
            self.flush(max(self.buffers, key=lambda p: self.buffers[p].nbytes))
        return True

    def _write_files(self, batch_id: str, part: str, tables: dict[str, TableBuffer]) -> list[str]:
        files = []
        for table, buf in sorted(tables.items()):
            if not buf.n:
                continue
            rel = Path(table, part, f"part-{batch_id}.parquet") if part else Path(table, f"part-{batch_id}.parquet")
            data = buf.to_arrow()
            data = data.replace_schema_metadata(_file_metadata(table, self.pipeline_version, batch_id))
            write_parquet_atomic(self.out / rel, data)
            files.append(rel.as_posix())
        return files

    def flush(self, part: str) -> None:
        """Write one partition's buffer as a batch (in the background) and commit it when written."""
        buf = self.buffers.pop(part, None)
        if buf is None or not buf.docs:
            return
        self.nbytes -= buf.nbytes
        batch_id = self.state.next_batch_id()
        if self._pool is None:
            future: Future = Future()
            future.set_result(self._write_files(batch_id, part, buf.tables))
        else:
            future = self._pool.submit(self._write_files, batch_id, part, buf.tables)
        self._pending.append(_Pending(future, batch_id, part, buf.docs, [t for t, b in buf.tables.items() if b.n],
                                      buf.nbytes))
        self._pending_bytes += buf.nbytes
        while self._pending and self._pending_bytes > self.max_buffer_bytes:
            self._commit_oldest()
        self._commit_written(wait=False)

    def _commit_oldest(self) -> dict:
        p = self._pending.popleft()
        self._pending_bytes -= p.nbytes
        files = p.future.result()  # a failed write raises here, in the caller's thread
        marker = self.state.commit(p.batch_id, files, p.docs, p.part, pipeline_version=self.pipeline_version,
                                   schema_version=SCHEMA_VERSION)
        for table in p.tables:  # a table that had no rows before now has some
            (self.out / table / "part-empty.parquet").unlink(missing_ok=True)
        if self.on_commit:
            self.on_commit(marker)
        return marker

    def _commit_written(self, wait: bool) -> None:
        # In flush order: a batch is committed only after every batch flushed before it.
        while self._pending and (wait or self._pending[0].future.done()):
            self._commit_oldest()

    def close(self) -> None:
        """Commit everything still buffered (the partitions are written in parallel)."""
        try:
            for part in sorted(self.buffers):
                self.flush(part)
            self._commit_written(wait=True)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)


def rewrite_batch(out: str | os.PathLike, marker: dict, keep: set[str], new_batch_id: str) -> list[str]:
    """Copy a batch's rows of the ``keep`` documents into files of a new batch; returns their paths.

    Used to drop rows superseded by a newer batch (``RunState.collect_garbage``).
    """
    out = Path(out)
    keep_arr = pa.array(sorted(keep), pa.string())
    files = []
    for rel in marker["files"]:
        src = out / rel
        data = pq.ParquetFile(src).read()  # the file alone: no partition columns from its path
        data = data.filter(pc.is_in(data["doc_id"], value_set=keep_arr))
        if data.num_rows == 0:
            continue
        meta = dict(data.schema.metadata or {})
        meta[b"vnplan.batch"] = new_batch_id.encode()
        new_rel = Path(rel).with_name(f"part-{new_batch_id}.parquet")
        write_parquet_atomic(out / new_rel, data.replace_schema_metadata(meta))
        files.append(new_rel.as_posix())
    return files
