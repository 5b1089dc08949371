"""Batch runs: inputs -> plan (what to skip) -> engine (process) -> batches (write) -> finalize.

``run(inputs, out)`` is the Python API of ``vnplan run``::

    s = run(["data/samples"], "out", workers=2)
    s.processed, s.failed, s.skipped         # (3, 0, 0)
    run(["data/samples"], "out").skipped_reasons   # {'unchanged': 3}: nothing changed

The stages, each in its own module:

* ``pipeline.inputs`` expands files, directories, globs, path lists and archives into
  ``Source``s, refusing unsafe ones (zip-slip, escaping symlinks, decompression bombs);
* the planner here hashes each input in this process (a cheap stat/CRC ``key`` avoids
  even that on an unchanged re-run) and skips documents already in OUT with the current
  pipeline version, and repeats of a content already seen in this run;
* an engine (``pipeline.engines``: local process pool, or Dask) runs
  ``process_task`` on the rest, a bounded number at a time;
* the rows are buffered per partition and written as batches: by the local engine's
  workers themselves (``pipeline.write.WorkerSink``), or here for the other engines
  (``pipeline.write.BatchWriter``); ``Output`` commits every batch in order through
  ``pipeline.commit`` and ``pipeline.manifest.RunState``, which is what makes a run
  resumable after ``kill -9`` and keeps a ``--force`` re-run free of duplicates;
* ``pipeline.finalize.finalize(out)`` rebuilds the corpus-level tables, once, at the end.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import warnings
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from . import PIPELINE_VERSION
from .document import doc_id_for
from .engines import Task, make_engine
from .finalize import finalize, finalize_in_fork_server_child, preload as preload_finalize, up_to_date
from .inputs import (ArchiveLimits, InputError, Source, expand_inputs,  # noqa: F401 (expand_inputs: re-export)
                     iter_sources, read_path_list)
from .manifest import RunState
from .progress import JsonLog, ProgressBar
from .readahead import read_ahead
from .layout import MiB, parse_partition_by

DEFAULT_TIMEOUT = 600.0  # seconds per document; OCR of a long scan fits, a hang does not
DEFAULT_BATCH_DOCS = 1000
DEFAULT_BUFFER_MB = 32  # Arrow bytes of rows held before the largest partition is written, divided among
# the local engine's workers (with the other engines, as much again may be in batches being written)

# Reasons whose detail names a kind of failure rather than one input.
_DETAILED_REASONS = ("internal error", "ingest error", "worker died")


def failure_reason(error: str | None) -> str:
    """The group a failure is counted under in the summary.

    >>> failure_reason("file not found: /a/b.txt")
    'file not found'
    >>> failure_reason("internal error: KeyError: 'x'\\nTraceback ...")
    'internal error: KeyError'
    >>> failure_reason("timeout after 30s (worker killed)")
    'timeout after 30s (worker killed)'
    """
    first = (error or "unknown error").splitlines()[0]
    head, sep, rest = first.partition(": ")
    if head in _DETAILED_REASONS or head.startswith("task failed after"):
        return f"{head}: {rest.split(':')[0]}" if sep else head
    return head


@dataclass
class RunSummary:
    """What a run did; ``line()`` and ``report()`` say it for people, ``to_dict()`` for logs."""

    processed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    bytes: int = 0
    total: int | None = None  # inputs found; known once the inputs are all expanded
    batches: int = 0
    rewritten: int = 0  # older batches rewritten or dropped because their documents were redone
    cleaned: int = 0  # files of an interrupted run removed
    finalize_seconds: float = 0.0  # rebuilding the corpus-level tables at the end
    main_cpu_seconds: float = 0.0  # CPU time of the calling process (planning, writing), workers not included
    engine: str = ""

    def fail(self, error: str | None) -> None:
        self.failed += 1
        reason = failure_reason(error)
        self.errors[reason] = self.errors.get(reason, 0) + 1

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + 1

    def line(self) -> str:
        """One line: ``3 processed, 0 failed, 0 skipped in 1.2s``."""
        return (f"{self.processed} processed, {self.failed} failed, {self.skipped} skipped "
                f"in {self.seconds:.1f}s")

    def report(self) -> str:
        """The final summary a user reads: counts, rates, failures by reason.

        >>> s = RunSummary(processed=8, failed=2, skipped=1, seconds=2.0, bytes=4_000_000,
        ...                errors={"timeout after 30s": 2}, skipped_reasons={"unchanged": 1})
        >>> print(s.report())
        8 processed, 2 failed, 1 skipped in 2.0s (5.0 docs/s, 2.0 MB/s)
          failed: 2 x timeout after 30s
          skipped: 1 x unchanged
        """
        worked = self.processed + self.failed
        rate = f" ({worked / self.seconds:.1f} docs/s, {self.bytes / 1e6 / self.seconds:.1f} MB/s)" \
            if self.seconds > 0 and worked else ""
        lines = [self.line() + rate]
        for reason, n in sorted(self.errors.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  failed: {n} x {reason}")
        for reason, n in sorted(self.skipped_reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  skipped: {n} x {reason}")
        if self.cleaned:
            lines.append(f"  resumed: removed {self.cleaned} files of an interrupted run")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return asdict(self)


def _skippable(state: RunState, sha: str | None, force: bool, retry_failed: bool, key: str | None = None) -> bool:
    if force:
        return False
    d = state.done(sha) if sha is not None else state.refused(key)
    return d is not None and d.version == PIPELINE_VERSION and (d.status == "ok" or not retry_failed)


def _needs_hash(state: RunState, src: Source, force: bool, retry_failed: bool) -> bool:
    """Whether ``plan`` will hash ``src`` (it does not when the key shows it unchanged)."""
    if force:
        return True
    known = state.sha_for_key(src.key)
    return known is None or not _skippable(state, known, force, retry_failed)


def plan(sources: Iterable[Source], state: RunState, summary: RunSummary, log: JsonLog,
         force: bool = False, retry_failed: bool = False, on_skip=None) -> Iterator[Task]:
    """Tasks for the sources that need processing; skipped ones are counted in ``summary``.

    Inputs are hashed here, in input order, so which of two identical files is kept
    does not depend on which worker finishes first.
    """
    seen: set[str] = set()
    n = 0

    def skip(src: Source, reason: str, sha: str | None) -> None:
        if sha is not None:  # remember where this content is now (a moved or touched file)
            state.alias(doc_id_for(sha), sha, src.key, src.path, PIPELINE_VERSION)
        summary.skip(reason)
        log.emit("skipped", path=src.path, reason=reason, doc_id=sha[:16] if sha else None)
        if on_skip:
            on_skip()

    for src in sources:
        n += 1
        if src.error is not None:
            if _skippable(state, None, force, retry_failed, src.key):
                skip(src, "unchanged", None)
            else:
                yield Task(src.path, key=src.key, error=src.error)
            continue
        known = None if force else state.sha_for_key(src.key)
        if known is not None and _skippable(state, known, force, retry_failed):
            seen.add(known)
            skip(src, "unchanged", known)
            continue
        data = None
        if src.is_member:
            try:
                data = src.read_bytes()
            except InputError as e:
                yield Task(src.path, key=src.key, error=str(e))
                continue
            except Exception as e:  # a corrupt member (bad CRC, truncated stream)
                yield Task(src.path, key=src.key, error=f"bad archive member: {src.path}: {type(e).__name__}: {e}")
                continue
            sha = hashlib.sha256(data).hexdigest()
        else:
            sha = src.sha256()
        if sha is not None:
            if sha in seen:
                skip(src, "duplicate", sha)
                continue
            seen.add(sha)
            if _skippable(state, sha, force, retry_failed):
                skip(src, "unchanged", sha)
                continue
        yield Task(src.path, fs_path=src.fs_path, data=data, input_sha=sha, key=src.key,
                   size=len(data) if data is not None else (src.size or 0))
    summary.total = n


def _on_first(items: Iterable, callback) -> Iterator:
    """``items``, with ``callback()`` called just before the first one is handed out.

    >>> list(_on_first(iter("ab"), lambda: print("first")))
    first
    ['a', 'b']
    >>> list(_on_first([], lambda: print("first")))
    []
    """
    it = iter(items)
    for first in it:
        callback()
        yield first
        yield from it


def _batch_writer(*args):
    from .write import BatchWriter

    return BatchWriter(*args[:-1], on_commit=args[-1])


class LazyWriter:
    """A ``BatchWriter`` built on the first ``add`` (closing an unused one does nothing)."""

    def __init__(self, make):
        self._make = make
        self._writer = None
        self.unknown_tables: set[str] = set()

    def add(self, outcome) -> bool:
        if self._writer is None:
            self._writer = self._make()
            self.unknown_tables = self._writer.unknown_tables
        return self._writer.add(outcome)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


class Output:
    """Where the engine's results go: rows to the writer, written batches to the committer.

    Engines yield a document's ``Outcome`` with its rows (written here, by a ``BatchWriter``)
    or without them (``buffered``: a local-engine worker writes them), the ``WrittenBatch``es
    of such workers (landed and committed here), and ``Retracted`` documents a dead worker
    had not written (forgotten: the engine processes them again).
    """

    def __init__(self, out: Path, state: RunState, summary: RunSummary, log: JsonLog, verbose: bool, make_writer,
                 on_commit):
        from .commit import Committer

        self.out = out
        self.summary, self.log, self.verbose = summary, log, verbose
        self.writer = LazyWriter(make_writer)
        self.committer = Committer(out, state, PIPELINE_VERSION, on_commit, threads=2)
        self.taken: set[str] = set()
        self.duplicates: set[int] = set()  # id() of outcomes counted as duplicates (held until written)
        self.unknown_tables: set[str] = set()

    def handle(self, item) -> None:
        from .engines.task import Retracted, WrittenBatch

        if isinstance(item, WrittenBatch):
            self._commit(item)
        elif isinstance(item, Retracted):
            for o in item.outcomes:
                self._forget(o, item.reason)
        elif item.buffered:
            # Its rows are written already: a repeat is listed in its batch all the same, and
            # the run state keeps one copy (the newest batch's) when the run ends.
            if item.doc_id in self.taken:
                self.duplicates.add(id(item))
                self._duplicate(item)
            else:
                self.taken.add(item.doc_id)
                _record(item, self.summary, self.log, self.verbose)
        elif item.doc_id not in self.taken and self.writer.add(item):
            self.taken.add(item.doc_id)
            _record(item, self.summary, self.log, self.verbose)
        else:  # same doc_id as one taken already (ingest hashed differently than the planner)
            self._duplicate(item)

    def _duplicate(self, outcome) -> None:
        self.summary.skip("duplicate")
        self.log.emit("skipped", path=outcome.path, reason="duplicate", doc_id=outcome.doc_id)

    def _commit(self, batch) -> None:
        from functools import partial

        from .commit import land_files
        from .manifest import DoneDoc

        docs = [DoneDoc(o.doc_id, o.input_sha, o.key, PIPELINE_VERSION, o.status, o.path) for o in batch.docs]
        for o in batch.docs:
            self.duplicates.discard(id(o))
        self.unknown_tables.update(batch.unknown_tables)
        self.committer.submit(batch.batch_id, batch.part, docs, batch.tables, partial(land_files, self.out, batch.files))

    def _forget(self, outcome, reason: str) -> None:
        s = self.summary
        if id(outcome) in self.duplicates:
            self.duplicates.discard(id(outcome))
            s.skipped -= 1
            s.skipped_reasons["duplicate"] -= 1
            if not s.skipped_reasons["duplicate"]:
                del s.skipped_reasons["duplicate"]
        else:
            self.taken.discard(outcome.doc_id)
            if outcome.status == "ok":
                s.processed -= 1
            else:
                s.failed -= 1
                r = failure_reason(outcome.error)
                s.errors[r] -= 1
                if not s.errors[r]:
                    del s.errors[r]
            s.pages -= outcome.n_pages
            s.bytes -= outcome.n_bytes
        self.log.emit("retracted", path=outcome.path, doc_id=outcome.doc_id, reason=reason)

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            self.committer.close()
        self.unknown_tables |= self.writer.unknown_tables


def _record(outcome, summary: RunSummary, log: JsonLog, verbose: bool) -> None:
    if outcome.status == "ok":
        summary.processed += 1
    else:
        summary.fail(outcome.error)
    summary.pages += outcome.n_pages
    summary.bytes += outcome.n_bytes
    log.emit("document", path=outcome.path, doc_id=outcome.doc_id, status=outcome.status, error=outcome.error,
             pages=outcome.n_pages, bytes=outcome.n_bytes, seconds=round(outcome.seconds, 4))
    if verbose:
        print(f"{outcome.status:6} {outcome.path}", file=sys.stderr)


def run(inputs: Iterable[str], out: str | os.PathLike, progress: bool | None = False, *,
        workers: int | None = None, engine: str = "local", scheduler: str | None = None,
        force: bool = False, retry_failed: bool = False, timeout: float | None = DEFAULT_TIMEOUT,
        batch_size: int = DEFAULT_BATCH_DOCS, partition_by: str | list[str] | None = "province",
        from_file: str | None = None, verbose: bool = False, log_json=None, limits: ArchiveLimits | None = None,
        max_buffer_mb: float = DEFAULT_BUFFER_MB, engine_options: dict | None = None) -> RunSummary:
    """Process every input and write the tables under ``out``; returns what was done.

    ``progress``: True/False for the progress line, None to show it on a terminal only.
    ``workers``: processes (default: every core). ``engine``: ``local`` or ``dask``
    (``scheduler`` = address of a Dask scheduler; none starts a LocalCluster).
    ``force`` redoes documents already in OUT; ``retry_failed`` redoes failed ones.
    ``timeout``: seconds per document (0/None: no limit). ``batch_size``: documents per
    committed batch (and Parquet file) per partition; ``max_buffer_mb``: rows held in
    memory before the largest partition is written anyway (all workers together: with the
    local engine each worker writes its own batches within its share).
    """
    t0, cpu0 = time.perf_counter(), time.process_time()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    keys = parse_partition_by(partition_by)
    if scheduler and engine == "local":
        engine = "dask"
    eng = make_engine(engine, workers=workers, timeout=timeout, scheduler=scheduler, **(engine_options or {}))
    summary = RunSummary(engine=eng.describe())
    inputs = list(inputs)
    if from_file == "-":  # stdin can be read once only, and the progress count reads the inputs too
        inputs += read_path_list("-")
        from_file = None
    bar = ProgressBar(enabled=progress)
    bar.count_in_background(iter_sources(inputs, from_file, limits))
    log = JsonLog(log_json)
    try:
        with RunState(out).open(keys) as state:
            summary.cleaned = state.recovered_files
            log.emit("start", out=str(out), engine=summary.engine, pipeline_version=PIPELINE_VERSION,
                     documents_in_out=state.n_docs, cleaned=state.recovered_files)
            def rewrite(marker: dict, keep: set[str], new_batch_id: str) -> list[str]:
                from .write import rewrite_batch

                return rewrite_batch(out, marker, keep, new_batch_id)

            # A previous run may have died between committing a redo and removing what it replaced.
            summary.rewritten += state.collect_garbage(rewrite)

            def committed(marker: dict) -> None:
                summary.batches += 1
                log.emit("batch", batch=marker["batch"], partition=marker["partition"], docs=len(marker["docs"]))

            # pyarrow is loaded with the writer, when a document comes back with its rows: an
            # unchanged re-run never needs it, nor a local run whose workers write.
            output = Output(out, state, summary, log, verbose,
                            lambda: _batch_writer(out, state, keys, batch_size, int(max_buffer_mb * MiB),
                                                  PIPELINE_VERSION, committed), committed)
            if getattr(eng, "can_write", False):
                from .engines.task import SinkConfig

                per_worker = int(max_buffer_mb * MiB / eng.workers)  # the budget is the whole run's
                # the workers' last batches: two writer threads with one worker, one each with two
                # (two per worker then made the end of a bulk run 0.34 s instead of 0.32, median of 8)
                cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
                flush = max(1, min(2, cores) // eng.workers)
                eng.write_in_workers(SinkConfig(str(out), tuple(keys), batch_size, per_worker, PIPELINE_VERSION,
                                                flush), state.next_seq)
            # Files are hashed ahead in a thread: mostly while the engine starts, on an idle core.
            sources = read_ahead(iter_sources(inputs, from_file, limits),
                                 wanted=lambda src: _needs_hash(state, src, force, retry_failed))
            tasks = plan(sources, state, summary, log, force, retry_failed, on_skip=lambda: bar.update(summary))
            # The local engine rebuilds the corpus tables in a child of its fork server, which
            # has pyarrow loaded. Elsewhere, once there is a document to process, their imports
            # load in the background from now on, while the engine starts.
            in_child = engine == "local"
            results = eng.run(tasks if in_child else _on_first(tasks, preload_finalize))
            try:
                for item in results:
                    output.handle(item)
                    bar.update(summary)
            except BaseException:
                # Documents already processed are complete: commit them so a re-run need not redo them.
                with suppress(Exception):
                    for item in getattr(eng, "drain", lambda: ())():
                        output.handle(item)
                with suppress(Exception):
                    output.close()
                    state.commit_aliases()
                raise
            finally:
                results.close()
            output.close()
            if output.unknown_tables:
                warnings.warn(f"rows of tables without a schema were not written: {sorted(output.unknown_tables)} "
                              "(add them to pipeline.schema.TABLES)", stacklevel=2)
            state.commit_aliases()
            summary.rewritten += state.collect_garbage(rewrite)
            log.emit("finalize")
            t_fin = time.perf_counter()
            changed = bool(summary.batches or summary.rewritten)
            if not in_child:
                finalize(out, changed=changed)
            elif changed or not up_to_date(out):  # (an unchanged re-run needs no child)
                finalize_in_fork_server_child(out, force=True)
            summary.finalize_seconds = time.perf_counter() - t_fin
            if in_child:
                from .engines import server

                if server.prestarted():  # `vnplan run`: the workers are done, free the fork server's memory
                    server.stop()
        summary.seconds = time.perf_counter() - t0
        summary.main_cpu_seconds = round(time.process_time() - cpu0, 3)
        log.emit("summary", **summary.to_dict())
    finally:
        summary.seconds = time.perf_counter() - t0
        summary.main_cpu_seconds = round(time.process_time() - cpu0, 3)
        bar.close(summary)
        log.close()
    return summary
