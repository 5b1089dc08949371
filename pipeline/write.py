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
import uuid
from functools import partial
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from .layout import (MiB, PARTITION_CHOICES, PARTITION_COLUMNS, parse_partition_by,  # noqa: F401 (re-exports)
                     partition_of, slugify, table_files)
from .commit import Committer, land_files, tmp_name
from .engines.task import encode_rows, n_rows
from .nopandas import pandas_refused
from .schema import SCHEMA_VERSION, TABLES, schema_for  # noqa: F401 (SCHEMA_VERSION: re-export)

COMPRESSION = "zstd"
SMALL_COMPRESSION = "lz4"  # for tables under SMALL_BYTES: zstd's setup per column costs more than it saves
SMALL_BYTES = 64 << 10


def compression_for(table: pa.Table) -> str:
    """The codec of a file holding ``table``: zstd, LZ4 for small tables.

    A run writes one file per table and partition, mostly small ones (~1.5 ms each with zstd,
    half of it setting up a compressor per column); LZ4 writes them ~25 % faster for 4 % more
    bytes over the bulk corpus.

    >>> compression_for(pa.table({"a": [1]})), compression_for(pa.table({"a": ["x" * 100_000]}))
    ('lz4', 'zstd')
    """
    return SMALL_COMPRESSION if table.nbytes < SMALL_BYTES else COMPRESSION


_made_dirs: set[Path] = set()


def _mkdir(d: Path) -> None:
    # Cached: a run writes hundreds of files into the same few dozen partition directories.
    if d not in _made_dirs:
        d.mkdir(parents=True, exist_ok=True)
        _made_dirs.add(d)
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
    pq.write_table(table, tmp_name(path), compression=compression_for(table), row_group_size=ROW_GROUP_ROWS)
    land_files(path.parent, [path.name], fsync=fsync)
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


ROW_BYTES = 2800  # a `documents` row held as Python values, bulk corpus, tracemalloc


def _approx_bytes(value) -> int:
    """Memory one table's rows of one document take in the buffer."""
    if isinstance(value, dict):  # Python columns
        return ROW_BYTES * n_rows(value)
    if isinstance(value, pa.RecordBatch):
        return value.nbytes
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

    Rows come as Arrow IPC messages (``pipeline.engines.task.encode_rows``: what workers send
    to the main process), read in place without a copy; as record batches or row dicts (a
    worker buffering its own documents); or as Python columns, gathered in lists and
    converted every ``COMPACT_BYTES`` (``compact``), since Arrow holds them 3-5 times more
    compactly.

    >>> b = TableBuffer("texts"); b.extend({"doc_id": ["d1"], "text": ["x"], "body_end": [1]})
    >>> b.compact() > 0, b.n
    (True, 1)
    >>> from pipeline.engines.task import encode_rows
    >>> b.extend(encode_rows("texts", [{"doc_id": "d2", "text": "yz", "body_end": 2}]))
    >>> b.extend([{"doc_id": "d3", "text": "w", "body_end": 1}])
    >>> b.to_arrow().column("text").to_pylist()
    ['x', 'yz', 'w']
    """

    __slots__ = ("table", "lists", "batches", "n")

    def __init__(self, table: str) -> None:
        self.table = table
        self.lists = ColumnBuffer()
        # IPC messages (or record batches), read only when written: a record batch object per
        # document and table (its schema, arrays and buffers) costs more memory than its data.
        self.batches: list = []
        self.n = 0  # rows in the batches and the lists

    def extend(self, value) -> None:
        """Add one document's rows: Python columns, row dicts, a record batch or an IPC message."""
        if isinstance(value, dict):
            before = self.lists.n
            self.lists.extend(value)
            self.n += self.lists.n - before
            return
        if self.lists.n:  # keep the rows in arrival order
            self.compact()
        if isinstance(value, list):
            # Held as one IPC message: a record batch is a few hundred small buffers, each
            # padded and scattered over the heap (RSS grew by 2.3x the data held, 1.05x so).
            n, value = len(value), encode_rows(self.table, value)
        elif isinstance(value, pa.RecordBatch):
            n = value.num_rows
        else:
            n = pa.ipc.read_record_batch(value, schema_for(self.table)).num_rows
        self.batches.append(value)
        self.n += n

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
        schema = schema_for(self.table)
        batches = [b if isinstance(b, pa.RecordBatch) else pa.ipc.read_record_batch(b, schema) for b in self.batches]
        return pa.Table.from_batches(batches, schema=schema).combine_chunks()

    def messages(self) -> list:
        """Every row as IPC messages, as held (the rows kept as Python lists converted first),
        for another buffer's ``extend``.

        >>> a = TableBuffer("texts"); a.extend([{"doc_id": "d1", "text": "x", "body_end": 1}])
        >>> b = TableBuffer("texts"); b.extend([{"doc_id": "d0", "text": "w", "body_end": 1}])
        >>> for message in a.messages(): b.extend(message)
        >>> b.to_arrow().column("doc_id").to_pylist()
        ['d0', 'd1']
        """
        self.compact()
        return [b.serialize() if isinstance(b, pa.RecordBatch) else b for b in self.batches]


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
class ReadyBatch:
    """A partition's buffered documents, due to be written as one batch."""

    batch_id: str
    part: str
    docs: list  # what the caller gave ``add`` for each document, in order
    tables: dict[str, TableBuffer]
    nbytes: int

    @property
    def table_names(self) -> list[str]:
        return [t for t, b in self.tables.items() if b.n]


class PartitionBuffers:
    """Documents' rows buffered per partition, cut into batches; memory stays under a budget.

    A partition is due when it holds ``batch_docs`` documents, or, when all buffers together
    exceed ``max_buffer_bytes``, the largest partition is due first. ``add`` and
    ``flush_all`` return the batches due, each with an id from ``new_batch_id``.

    >>> from pipeline.engines.task import Outcome
    >>> ids = iter(["b1", "b2"]); pb = PartitionBuffers([], 2, 1 << 20, lambda: next(ids))
    >>> def doc(i): return Outcome(f"{i}.txt", f"d{i}", "ok", tables={"documents": [{"doc_id": f"d{i}"}]})
    >>> pb.add(doc(1), "first"), [b.docs for b in pb.add(doc(2), "second")]
    ([], [['first', 'second']])
    """

    def __init__(self, partition_by: Sequence[str], batch_docs: int, max_buffer_bytes: int,
                 new_batch_id: Callable[[], str]):
        self.partition_by = list(partition_by)
        self.batch_docs = max(1, batch_docs)
        self.max_buffer_bytes = max_buffer_bytes
        self.new_batch_id = new_batch_id
        self.buffers: dict[str, _Buffer] = {}
        self.nbytes = 0
        self.unknown_tables: set[str] = set()  # rows of tables without a schema: not written
        self.last_part: str | None = None  # the partition of the document added last
        self.last_bytes = 0  # and the bytes its rows take in the buffer

    def add(self, outcome, doc) -> list[ReadyBatch]:
        """Buffer one document's rows (an ``engines.Outcome``), recorded as ``doc``."""
        tables = outcome.tables
        part = partition_of(_first_row(tables["documents"]), self.partition_by)
        buf = self.buffers.setdefault(part, _Buffer())
        size = py_size = 0
        for table, value in tables.items():
            if table not in TABLES:
                self.unknown_tables.add(table)
                continue
            if isinstance(value, list) and not value:
                continue
            table_buf = buf.tables.get(table)
            if table_buf is None:
                table_buf = buf.tables[table] = TableBuffer(table)
            table_buf.extend(value)
            # row dicts became an IPC message: count its bytes
            n = _approx_bytes(table_buf.batches[-1] if isinstance(value, list) else value)
            size += n
            if isinstance(value, dict):
                py_size += n
        buf.docs.append(doc)
        buf.nbytes += size
        buf.py_bytes += py_size
        self.nbytes += size
        self.last_part, self.last_bytes = part, size
        if buf.py_bytes >= COMPACT_BYTES:
            self.nbytes += buf.compact()
        due = []
        if len(buf.docs) >= self.batch_docs:
            due.append(self.flush(part))
        while self.nbytes > self.max_buffer_bytes and self.buffers:
            due.append(self.flush(max(self.buffers, key=lambda p: self.buffers[p].nbytes)))
        return [b for b in due if b is not None]

    def flush(self, part: str) -> ReadyBatch | None:
        """Take one partition's buffer as a batch (None when it holds nothing)."""
        buf = self.buffers.pop(part, None)
        if buf is None or not buf.docs:
            return None
        self.nbytes -= buf.nbytes
        return ReadyBatch(self.new_batch_id(), part, buf.docs, buf.tables, buf.nbytes)

    def give(self, parts: Iterable[str]) -> list[tuple[str, list, dict[str, list]]]:
        """Take these partitions' rows out, for another ``PartitionBuffers`` to ``take``:
        ``(partition, docs, {table: IPC messages})`` per partition held."""
        given = []
        for part in parts:
            buf = self.buffers.pop(part, None)
            if buf is None:
                continue
            self.nbytes -= buf.nbytes
            given.append((part, buf.docs, {t: b.messages() for t, b in buf.tables.items() if b.n}))
        return given

    def take(self, part: str, docs: list, tables: dict[str, list]) -> None:
        """Add rows another buffer ``give``-s (``docs`` as the caller records them) to ``part``.

        >>> pa_ = PartitionBuffers([], 10, 1 << 20, lambda: "b1"); pb = PartitionBuffers([], 10, 1 << 20, lambda: "b2")
        >>> from pipeline.engines.task import Outcome
        >>> def doc(i): return Outcome(f"{i}.txt", f"d{i}", "ok", tables={"documents": [{"doc_id": f"d{i}"}]})
        >>> _ = pa_.add(doc(1), 1); _ = pb.add(doc(2), 1)
        >>> for part, docs, tables in pa_.give(list(pa_.buffers)): pb.take(part, [("a", d) for d in docs], tables)
        >>> [(b.docs, b.tables["documents"].to_arrow().column("doc_id").to_pylist()) for b in pb.flush_all()]
        [([1, ('a', 1)], ['d2', 'd1'])]
        """
        buf = self.buffers.setdefault(part, _Buffer())
        size = 0
        for table, messages in tables.items():
            table_buf = buf.tables.get(table)
            if table_buf is None:
                table_buf = buf.tables[table] = TableBuffer(table)
            for message in messages:
                table_buf.extend(message)
                size += message.size
        buf.docs.extend(docs)
        buf.nbytes += size
        self.nbytes += size

    def flush_all(self) -> list[ReadyBatch]:
        """Every partition's buffer as a batch, in partition order."""
        return [b for b in (self.flush(part) for part in sorted(self.buffers)) if b is not None]


def _first_row(value) -> dict:
    """The first row of one table's rows of a document, whatever form they take."""
    if isinstance(value, list):
        return value[0]
    if isinstance(value, dict):
        return {k: v[0] for k, v in value.items()}
    if not isinstance(value, pa.RecordBatch):
        value = pa.ipc.read_record_batch(value, schema_for("documents"))
    return value.slice(0, 1).to_pylist()[0]


def write_batch_files(out: str | os.PathLike, batch: ReadyBatch, pipeline_version: str, *,
                      land: bool = True) -> list[str]:
    """Write one Parquet file per table of a batch; returns their paths relative to ``out``.

    ``land=True`` puts each file in place (atomically, fsync'd); ``land=False`` leaves them
    under their hidden ``tmp_name`` for whoever commits the batch (``commit.land_files``).
    """
    out = Path(out)
    files = []
    for table, buf in sorted(batch.tables.items()):
        if not buf.n:
            continue
        rel = Path(table, batch.part, f"part-{batch.batch_id}.parquet") if batch.part \
            else Path(table, f"part-{batch.batch_id}.parquet")
        data = buf.to_arrow()
        data = data.replace_schema_metadata(_file_metadata(table, pipeline_version, batch.batch_id))
        if land:
            write_parquet_atomic(out / rel, data)
        else:
            path = tmp_name(out / rel)
            _mkdir(path.parent)
            try:
                pq.write_table(data, path, compression=compression_for(data), row_group_size=ROW_GROUP_ROWS)
            except FileNotFoundError:  # the directory was removed since it was made
                _made_dirs.discard(path.parent)
                _mkdir(path.parent)
                pq.write_table(data, path, compression=compression_for(data), row_group_size=ROW_GROUP_ROWS)
        files.append(rel.as_posix())
    return files


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
        self.pipeline_version = pipeline_version
        self.parts = PartitionBuffers(partition_by, batch_docs, max_buffer_bytes, state.next_batch_id)
        self.unknown_tables = self.parts.unknown_tables
        self.committer = Committer(out, state, pipeline_version, on_commit, threads, max_buffer_bytes)
        self.taken: set[str] = set()

    def add(self, outcome) -> bool:
        """Buffer one document's rows (an ``engines.Outcome``); may commit batches."""
        from .manifest import DoneDoc

        self.committer.poll()
        if outcome.doc_id in self.taken:
            return False
        self.taken.add(outcome.doc_id)
        version = self.pipeline_version or outcome.documents_row.get("pipeline_version") or ""
        doc = DoneDoc(outcome.doc_id, outcome.input_sha, outcome.key, version, outcome.status, outcome.path)
        for batch in self.parts.add(outcome, doc):
            self._submit(batch)
        return True

    def _submit(self, batch: ReadyBatch) -> None:
        self.committer.submit(batch.batch_id, batch.part, batch.docs, batch.table_names,
                              partial(write_batch_files, self.out, batch, self.pipeline_version), batch.nbytes)

    def flush(self, part: str) -> None:
        """Write one partition's buffer as a batch (in the background) and commit it when written."""
        batch = self.parts.flush(part)
        if batch is not None:
            self._submit(batch)

    def close(self) -> None:
        """Commit everything still buffered (the partitions are written in parallel)."""
        try:
            for batch in self.parts.flush_all():
                self._submit(batch)
        finally:
            self.committer.close()


FLUSH_THREADS = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class WorkerSink:
    """A local-engine worker's own batches: its documents' rows, buffered and written by it.

    Why: the main process would otherwise convert and write every row of every worker,
    and whatever it spends per document is time the workers wait for on a machine with
    as many workers as cores. Files are left under hidden names (``land=False``); the main
    process lands them (fsync + rename) and writes the completion marker, so nothing a
    worker writes counts before the main process has committed it, and a worker that
    outlives a killed run leaves only hidden files behind.

    Batch ids are ``b<seq>-<n>``: ``seq`` is given by the main process (unique in OUT, in
    commit order with other runs' batches), ``n`` counts this worker's batches.
    """

    def __init__(self, config, seq: int):
        self.config = config
        self.seq = seq
        self.n = 0
        self.parts = PartitionBuffers(config.partition_by, config.batch_docs, config.max_buffer_bytes,
                                      self._new_id)

    def _new_id(self) -> str:
        if self.n > 0xFFFFFF:
            raise RuntimeError("a worker wrote more than 16 million batches")
        bid = f"b{self.seq:09d}-{self.n:06x}"
        self.n += 1
        return bid

    def _write(self, batches: list[ReadyBatch]):
        from .engines.task import WrittenBatch

        return [WrittenBatch(b.batch_id, b.part, write_batch_files(self.config.out, b, self.config.pipeline_version,
                                                                   land=False),
                             b.docs, b.table_names, sorted(self.parts.unknown_tables)) for b in batches]

    def add(self, outcome, ordinal: int) -> list:
        """Buffer a document (``ordinal``: its number in this worker); returns the batches written."""
        with pandas_refused():
            return self._write(self.parts.add(outcome, ordinal))

    def give(self, parts: Iterable[str], path: str | os.PathLike) -> list:
        """Hand these partitions' rows over, for the worker that writes them at the end of the
        run: their IPC messages go into the file ``path`` as they are (no decoding, one write
        each); returns ``(partition, docs, {table: [(offset, size), ...]})`` per partition,
        where ``take`` finds them."""
        index, offset = [], 0
        _mkdir(Path(path).parent)
        with open(path, "wb") as f:
            for part, docs, tables in self.parts.give(parts):
                spans: dict[str, list] = {}
                for table, messages in tables.items():
                    spans[table] = []
                    for m in messages:
                        f.write(m)
                        spans[table].append((offset, m.size))
                        pad = -m.size % 8  # each message where Arrow expects it: 8-byte aligned
                        f.write(b"\0" * pad)
                        offset += m.size + pad
                index.append((part, docs, spans))
        return index

    def take(self, given: Iterable[tuple[str, str, list, dict[str, list]]]) -> None:
        """Add partitions' rows other workers gave: ``(file, partition, docs, spans)`` as
        ``give`` described them (``docs``: the keys the main process chose for them). The files
        are memory-mapped: the rows are read from the page cache when they are written."""
        maps: dict[str, pa.Buffer] = {}
        for path, part, docs, spans in given:
            m = maps.get(path)
            if m is None:
                with pa.memory_map(str(path)) as f:
                    m = maps[path] = f.read_buffer()  # no copy; the mapping lives as long as the buffer
            self.parts.take(part, docs, {t: [m.slice(offset, size) for offset, size in s] for t, s in spans.items()})

    def close(self) -> list:
        """Write every partition still buffered; returns the batches written."""
        return list(self.close_each())

    def close_each(self, threads: int | None = None):
        """Write every partition still buffered, yielding each batch as soon as it is written
        (so that the main process lands it while the next one is written).

        ``threads`` (default: the config's ``flush_threads``, else ``FLUSH_THREADS``) write them
        side by side: the end of a run is one small file per table and partition, Arrow and
        file-system work that runs partly outside the GIL, and with one worker the other core
        has little else to do then.
        """
        batches = self.parts.flush_all()
        if threads is None:
            threads = self.config.flush_threads or FLUSH_THREADS
        if threads <= 1 or len(batches) < 2:
            for batch in batches:
                with pandas_refused():
                    yield from self._write([batch])
            return
        from concurrent.futures import ThreadPoolExecutor

        with pandas_refused(), ThreadPoolExecutor(threads, thread_name_prefix="vnplan-flush") as pool:
            for future in [pool.submit(self._write, [b]) for b in batches]:
                yield from future.result()


def rewrite_batch(out: str | os.PathLike, marker: dict, keep: set[str], new_batch_id: str) -> list[str]:
    """Copy a batch's rows of the ``keep`` documents into files of a new batch; returns their paths.

    Used to drop rows superseded by a newer batch (``RunState.collect_garbage``).
    """
    import pyarrow.compute as pc  # here only: importing it costs a worker's start ~0.05 s

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
