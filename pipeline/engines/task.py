"""The unit of work every engine runs: one ``Task`` (a document) -> one ``Outcome`` (its rows).

``process_task`` is the same function in the local process pool and on Dask workers,
so both engines write the same tables. It never raises for a bad document: reading
errors, pipeline bugs and time-outs become a ``failed`` outcome whose documents row
says why. A failed document keeps its *content* hash as ``doc_id`` source, so an
incremental re-run recognises it and a redo replaces its row.
"""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import InitVar, dataclass, field, replace
from typing import Iterator

from ..document import doc_id_for


@dataclass
class Task:
    """What a worker needs to process one document; small and picklable.

    ``data`` carries an archive member's bytes (read once by the planner, which hashed
    them), so workers never reopen archives and a Dask cluster needs no shared disk for
    them; files on disk are read by the worker from ``fs_path``.
    """

    path: str
    fs_path: str | None = None
    data: bytes | None = None
    input_sha: str | None = None
    key: str | None = None
    error: str | None = None  # refused by the planner: becomes a failed row unread
    size: int = 0


Columns = dict[str, list]  # one table's rows as columns: name -> one value per row


def pack(rows: list[dict]) -> Columns:
    """One table's row dicts as columns; a key missing from a row is None there.

    >>> pack([{"a": 1, "b": "x"}, {"a": 2}])
    {'a': [1, 2], 'b': ['x', None]}
    >>> pack([])
    {}
    """
    if not rows:
        return {}
    keys = rows[0].keys()
    if not all(r.keys() == keys for r in rows):  # rarely: rows of one table with other keys
        keys = dict.fromkeys(k for r in rows for k in r)
        return {k: [r.get(k) for r in rows] for k in keys}
    return {k: [r[k] for r in rows] for k in keys}


def n_rows(columns: Columns) -> int:
    """How many rows ``columns`` hold.

    >>> n_rows({"a": [1, 2]}), n_rows({})
    (2, 0)
    """
    for values in columns.values():
        return len(values)
    return 0


_STRUCTS: dict = {}


def encode_rows(table: str, rows: list[dict]):
    """A table's rows as one Arrow record batch in IPC format (a ``pyarrow.Buffer``).

    Why: the main process writes every worker's output, so whatever it spends per document
    bounds how well the pool scales. Rows pickled as Python objects cost it an unpickling
    and a conversion to Arrow per value; an IPC message costs it a pointer. The rows are
    converted in one C++ pass as an array of structs (no per-column calls), which costs
    the worker less than packing and pickling them did. Keys outside the table's schema
    are left out, missing ones are null, as ``Table.from_pylist`` does.

    >>> from pipeline.schema import TABLES
    >>> import pyarrow as pa
    >>> buf = encode_rows("texts", [{"doc_id": "d1", "text": "Kế hoạch", "body_end": 8}])
    >>> pa.ipc.read_record_batch(buf, TABLES["texts"]).to_pylist()
    [{'doc_id': 'd1', 'text': 'Kế hoạch', 'body_end': 8}]
    """
    return rows_to_batch(table, rows).serialize()


def rows_to_batch(table: str, rows: list[dict]):
    """A table's rows as one ``pyarrow.RecordBatch`` in its schema, converted in one C++ pass.

    Keys outside the schema are left out, missing ones are null. pandas must not be
    importable for speed (``pipeline.nopandas``): pyarrow imports it to look for its nulls.

    >>> rows_to_batch("texts", [{"doc_id": "d1", "text": "x", "body_end": 1, "other": 0}]).num_rows
    1
    """
    import pyarrow as pa

    struct = _STRUCTS.get(table)
    if struct is None:
        from ..schema import TABLES

        struct = _STRUCTS[table] = pa.struct(list(TABLES[table]))
    return pa.RecordBatch.from_struct_array(pa.array(rows, type=struct))


def encode_tables(tables: dict[str, list[dict]], keep_as_columns: tuple[str, ...] = ("documents",)) -> dict:
    """Rows per table -> what an ``Outcome`` carries: IPC record batches, and columns
    (``pack``) for the ``documents`` row (the main process reads it to choose the
    partition) and for tables without a schema (the writer reports those)."""
    from ..layout import TABLE_NAMES
    from ..nopandas import pandas_refused

    with pandas_refused():  # pyarrow would import pandas (0.7 s) to convert plain Python values
        return {name: encode_rows(name, rows) if rows and name in TABLE_NAMES and name not in keep_as_columns
                else pack(rows) for name, rows in tables.items()}


@dataclass
class Outcome:
    """One document's rows and what the run reports about it.

    ``tables`` holds, per table, the rows as an Arrow IPC record batch (``encode_rows``),
    or as columns (``pack``) for ``documents`` (``documents_row`` gives it as a dict) and
    for empty tables and tables without a schema. Rows given as lists of dicts are
    encoded on construction.

    >>> o = Outcome("a.txt", "d1", "ok", tables={"documents": [{"doc_id": "d1", "status": "ok"}]})
    >>> o.tables["documents"], o.documents_row
    ({'doc_id': ['d1'], 'status': ['ok']}, {'doc_id': 'd1', 'status': 'ok'})
    """

    path: str
    doc_id: str
    status: str  # ok / failed
    error: str | None = None
    tables: dict = field(default_factory=dict)  # table -> IPC record batch or Columns
    n_pages: int = 0
    n_bytes: int = 0
    seconds: float = 0.0
    input_sha: str | None = None
    key: str | None = None

    buffered: bool = False  # the rows are in a worker's buffer (``WorkerSink``), not in ``tables``
    part: str | None = None  # with ``buffered``: the partition they are buffered in
    row_bytes: int = 0  # with ``buffered``: the bytes they take there (what writing them costs)
    raw: InitVar[bool] = False  # keep row lists as they are (a worker buffering its own rows)

    def __post_init__(self, raw: bool) -> None:
        if not raw:
            self.encode()

    def encode(self) -> "Outcome":
        """Encode the tables given as row lists (for sending to another process); returns self."""
        if any(isinstance(t, list) for t in self.tables.values()):
            self.tables = encode_tables({k: v for k, v in self.tables.items() if isinstance(v, list)}) | \
                {k: v for k, v in self.tables.items() if not isinstance(v, list)}
        return self

    def light(self, part: str | None = None, row_bytes: int = 0) -> "Outcome":
        """This outcome without its rows, which a worker has buffered for writing (in ``part``,
        where they take ``row_bytes``)."""
        return replace(self, tables={}, buffered=True, part=part, row_bytes=row_bytes)

    @property
    def documents_row(self) -> dict:
        rows = self.tables["documents"]
        return rows[0] if isinstance(rows, list) else {k: v[0] for k, v in rows.items()}


@dataclass(frozen=True)
class SinkConfig:
    """How local-engine workers write their own batches (``pipeline.write.WorkerSink``)."""

    out: str
    partition_by: tuple[str, ...]
    batch_docs: int
    max_buffer_bytes: int  # per worker
    pipeline_version: str
    # Threads writing a worker's last batches (None: ``pipeline.write.FLUSH_THREADS``). With as
    # many workers as cores one each is better: their writers hold the GIL much of the time.
    flush_threads: int | None = None


@dataclass
class WrittenBatch:
    """A batch a worker wrote, its files still under hidden names, for the main process to commit.

    ``docs`` are the worker's ordinals of its documents until the engine replaces them with
    their (row-less) outcomes.
    """

    batch_id: str
    part: str
    files: list[str]
    docs: list
    tables: list[str]
    unknown_tables: list[str] = field(default_factory=list)


@dataclass
class Retracted:
    """Documents a worker had processed but not written when it died: they are processed again.

    The engine has put their tasks back in its queue; the caller forgets their outcomes.
    """

    outcomes: list[Outcome]
    reason: str


READ_SHARE = 0.8  # of a document's time limit, for ingest (OCR) before normalize and extract


class DocumentTimeout(BaseException):
    """Raised inside a document's processing when its time is up.

    A ``BaseException`` so that the pipeline's ``except Exception`` (which turns bugs into
    failed rows) does not swallow it.
    """


def _raise_timeout(signum, frame):
    raise DocumentTimeout()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise ``DocumentTimeout`` in the running code after ``seconds`` (None or 0: no limit).

    In the main thread (process-pool workers) this is an interval timer signal, which
    also interrupts blocking system calls; in other threads (Dask workers run tasks in
    threads) the exception is injected asynchronously. Neither stops a long call inside a
    C extension: the local engine's watchdog kills such a worker, Dask cannot.

    >>> import time
    >>> try:
    ...     with time_limit(0.05):
    ...         time.sleep(1)
    ... except DocumentTimeout:
    ...     print("stopped")
    stopped
    """
    if not seconds:
        yield
        return
    if threading.current_thread() is threading.main_thread():
        old = signal.signal(signal.SIGALRM, _raise_timeout)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        return
    tid = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False}

    def fire() -> None:
        with lock:
            if not state["done"]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(DocumentTimeout))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
            timer.cancel()
            # An exception injected just before the work finished must not fire later,
            # outside this block: clear it.
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)


def timeout_error(seconds: float, killed: bool = False) -> str:
    """The ``error`` of a document stopped by the time limit.

    >>> timeout_error(30), timeout_error(2.5, killed=True)
    ('timeout after 30s', 'timeout after 2.5s (worker killed)')
    """
    return f"timeout after {seconds:g}s" + (" (worker killed)" if killed else "")


def failed_outcome(task: Task, error: str, seconds: float = 0.0) -> Outcome:
    """A failed outcome for a task, keyed by its content hash when the planner knew it."""
    from ..runner import failed_result  # imported on use: the main process never loads the extractors

    res = failed_result(task.path, error, task.input_sha)
    return Outcome(task.path, res.doc_id, "failed", error, res.tables, 0, task.size, seconds,
                   task.input_sha, task.key)


def process_task(task: Task, timeout: float | None = None) -> Outcome:
    """Run the per-document pipeline on one task, within ``timeout`` seconds; the rows
    are encoded for sending to another process (``encode_tables``).

    >>> o = process_task(Task("plan.txt", data="KẾ HOẠCH\\nNăm 2026\\n".encode()))
    >>> o.status, o.documents_row["source_path"], len(o.doc_id)
    ('ok', 'plan.txt', 16)
    >>> process_task(Task("x.zip!/../a.txt", error="unsafe archive member (zip-slip): ...")).status
    'failed'
    """
    return run_task(task, timeout).encode()


def run_task(task: Task, timeout: float | None = None) -> Outcome:
    """``process_task`` with the rows left as lists of dicts: for a worker that writes them itself.

    >>> o = run_task(Task("plan.txt", data="KẾ HOẠCH\\nNăm 2026\\n".encode()))
    >>> type(o.tables["sections"]).__name__
    'list'
    """
    from ..runner import process_bytes, process_file

    if task.error is not None:
        return failed_outcome(task, task.error)
    t0 = time.perf_counter()
    # Ingest gets most of the time: OCR then stops starting pages and keeps what it read
    # (with a warning) instead of the whole document being lost to the hard limit.
    read_limit = READ_SHARE * timeout if timeout else None
    try:
        with time_limit(timeout):
            if task.data is not None:
                # the planner hashed these very bytes: no need to hash them again
                res = process_bytes(task.data, task.path, timeout=read_limit, sha256=task.input_sha)
            else:
                res = process_file(task.fs_path or task.path, timeout=read_limit)
    except DocumentTimeout:
        return failed_outcome(task, timeout_error(timeout or 0), time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    doc_row = res.tables["documents"][0]
    if doc_row.get("source_path") != task.path:  # the worker read an absolute path
        doc_row["source_path"] = task.path
        if res.error and task.fs_path:
            doc_row["error"] = res.error = res.error.replace(task.fs_path, task.path)
    if res.status != "ok" and task.input_sha and res.doc_id != doc_id_for(task.input_sha):
        # ingest failed before hashing: key the failure by the content the planner hashed
        return failed_outcome(task, res.error or "failed", seconds)
    return Outcome(task.path, res.doc_id, res.status, res.error, res.tables,
                   doc_row.get("n_pages") or 0, task.size or len(task.data or b""), seconds, task.input_sha, task.key,
                   raw=True)
