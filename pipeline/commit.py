"""Committing batches in order once their files are on disk: the last step of every write.

A batch's files are produced somewhere (a writer thread of the main process, or a worker
of the local engine, which leaves them under hidden ``.tmp-`` names); the ``Committer``
runs the job that puts them in place (writing, or fsync + rename) in a background thread
and, in the caller's thread and in submission order, writes the batch's completion marker
through ``pipeline.manifest.RunState``. A batch is committed only after every batch
submitted before it, and a job that failed raises in the caller.

Light on purpose (no pyarrow): the main process of ``vnplan run`` lands and commits the
batches its workers wrote without ever converting a value.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .layout import SCHEMA_VERSION

TMP_PREFIX = ".tmp-"  # readers and the run state's recovery treat such files as not there


def tmp_name(path: Path) -> Path:
    """Where a file is written before it is put in place.

    >>> tmp_name(Path("out/texts/part-b000000001-000000.parquet")).name
    '.tmp-part-b000000001-000000.parquet'
    """
    return path.with_name(TMP_PREFIX + path.name)


def land_files(out: str | os.PathLike, files: list[str], fsync: bool = True) -> list[str]:
    """Put files written under their ``tmp_name`` in place: fsync, then an atomic rename.

    The fsync comes first so that a completion marker never points at data that only the
    page cache holds. Returns ``files`` (relative to ``out``).
    """
    out = Path(out)
    for rel in files:
        final = out / rel
        tmp = tmp_name(final)
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, final)
    return files


@dataclass
class _Pending:
    future: Future
    batch_id: str
    part: str
    docs: list
    tables: list[str]
    nbytes: int


class Committer:
    """Runs each batch's file job in the background and commits the batches in order.

    ``submit`` waits (committing older batches) while the batches in flight hold more than
    ``max_pending_bytes``; ``poll`` commits the batches whose files have landed; ``close``
    commits everything.
    """

    def __init__(self, out: str | os.PathLike, state, pipeline_version: str = "",
                 on_commit: Callable[[dict], None] | None = None, threads: int = 2,
                 max_pending_bytes: int = 64 << 20):
        self.out = Path(out)
        self.state = state
        self.pipeline_version = pipeline_version
        self.on_commit = on_commit
        self.max_pending_bytes = max_pending_bytes
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="vnplan-write") if threads else None
        self._pending: deque[_Pending] = deque()
        self._pending_bytes = 0

    def submit(self, batch_id: str, part: str, docs: list, tables: list[str], job: Callable[[], list[str]],
               nbytes: int = 0) -> None:
        """Run ``job`` (which returns the batch's files) and commit the batch once it is done."""
        if self._pool is None:
            future: Future = Future()
            try:
                future.set_result(job())
            except BaseException as e:  # raised by the commit, in order, like a threaded job's
                future.set_exception(e)
        else:
            future = self._pool.submit(job)
        self._pending.append(_Pending(future, batch_id, part, docs, tables, nbytes))
        self._pending_bytes += nbytes
        while self._pending and self._pending_bytes > self.max_pending_bytes:
            self._commit_oldest()
        self.poll()

    def _commit_oldest(self) -> dict:
        p = self._pending.popleft()
        self._pending_bytes -= p.nbytes
        files = p.future.result()  # a failed job raises here, in the caller's thread
        marker = self.state.commit(p.batch_id, files, p.docs, p.part, pipeline_version=self.pipeline_version,
                                   schema_version=SCHEMA_VERSION)
        for table in p.tables:  # a table that had no rows before now has some
            (self.out / table / "part-empty.parquet").unlink(missing_ok=True)
        if self.on_commit:
            self.on_commit(marker)
        return marker

    def poll(self) -> None:
        """Commit the batches whose files are in place (in submission order)."""
        while self._pending and self._pending[0].future.done():
            self._commit_oldest()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        """Commit every batch submitted (waiting for their files)."""
        try:
            while self._pending:
                self._commit_oldest()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
