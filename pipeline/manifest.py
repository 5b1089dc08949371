"""Run state under ``OUT/_vnplan``: which documents are finished, crash recovery, no duplicates.

A run writes documents in *batches*. A batch is committed by writing its completion
marker ``OUT/_vnplan/batches/<batch_id>.json`` (atomically, after its Parquet files are
in place); the marker lists the batch's files and documents (doc_id, content hash, cheap
``key`` for skipping unread, pipeline version, status). Everything else follows:

* **resume**: Parquet files of a batch without a marker (a run killed mid-batch) are
  deleted when the next run opens OUT, and their documents are simply not done yet;
* **incremental**: a document whose content hash is in a marker with the current
  pipeline version is skipped; ``key`` (path, size, mtime or CRC) lets the planner
  skip without even reading the file;
* **no duplicates**: a ``doc_id``'s rows belong to the newest batch that lists it (batches
  are numbered in commit order). Older batches that also list it (``--force``, a new
  pipeline version, a retried failure) are rewritten without it, or deleted when nothing
  of them remains. A rewrite is itself a new batch whose marker names the batch it
  ``replaces`` (and keeps its place in the order), so a crash during the rewrite is
  finished by the next run;
* **paths**: an input path points at the document last read from it; a document no path
  points at any more (its file was edited in place) is retired the same way. Documents a
  run skipped under a new path or key are recorded as *aliases* (a marker without files),
  so a moved file keeps its document and a touched one is not read again.

Only one run may write to an OUT at a time (``OUT/_vnplan/lock``, released by the
kernel when the process dies, even on ``kill -9``).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .layout import PER_DOCUMENT_TABLES, TABLE_NAMES

STATE_DIR = "_vnplan"
STATE_FORMAT = 1
DOC_COLUMNS = ["doc_id", "sha", "key", "version", "status", "path"]
BATCH_FILE = re.compile(r"^part-(b\d{9}-[0-9a-f]{6})\.parquet$")
EMPTY_FILE = "part-empty.parquet"


class StateError(RuntimeError):
    """OUT cannot be written by this run (locked, foreign files, other partitioning)."""


@dataclass(frozen=True)
class DoneDoc:
    """A finished document as a completion marker records it."""

    doc_id: str
    sha: str | None  # hash of the input bytes the planner read (None: unreadable input)
    key: str | None
    version: str
    status: str
    path: str


def _rows(docs: Iterable[DoneDoc]) -> list[list]:
    return [[getattr(d, c) for c in DOC_COLUMNS] for d in docs]


def _fsync_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class RunState:
    """The committed batches of one OUT directory, and the indexes a run plans with.

    >>> import tempfile; st = RunState(tempfile.mkdtemp()).open(["province"])
    >>> st.next_batch_id()[:10], len(st.batches)
    ('b000000001', 0)
    >>> st.close()
    """

    def __init__(self, out: str | os.PathLike):
        self.out = Path(out)
        self.dir = self.out / STATE_DIR
        self.batch_dir = self.dir / "batches"
        self.batches: dict[str, dict] = {}
        self.rows_in: dict[str, str] = {}  # doc_id -> newest batch holding its rows
        self.by_path: dict[str, str] = {}  # input path -> doc_id last read from it
        self.refs: dict[str, int] = {}  # doc_id -> number of paths pointing at it
        self.by_sha: dict[str, DoneDoc] = {}
        self.sha_by_key: dict[str, str] = {}
        self.refused_by_key: dict[str, DoneDoc] = {}  # inputs refused unread (no content hash)
        self.pending_aliases: list[DoneDoc] = []
        self._seq = 0
        self._lock_fd: int | None = None
        self.recovered_files = 0

    # -- opening ------------------------------------------------------------------------

    def open(self, partition_by: Iterable[str] = ("province",)) -> "RunState":
        """Lock OUT, check it is ours, finish or roll back what a crashed run left, load markers."""
        if not self.dir.exists():
            self._refuse_foreign_files()
        self.batch_dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            self._check_config(list(partition_by))
            self._load()
            self._recover()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> "RunState":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _lock(self) -> None:
        fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            if e.errno in (errno.EAGAIN, errno.EACCES):
                raise StateError(f"another vnplan run (pid {holder or '?'}) is writing to {self.out}") from None
            raise
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def _refuse_foreign_files(self) -> None:
        for table in PER_DOCUMENT_TABLES:
            d = self.out / table
            if not d.is_dir():
                continue
            for p in d.rglob("*.parquet"):
                if p.name == EMPTY_FILE or p.name.startswith((".", "_")):
                    continue
                raise StateError(f"{self.out} holds tables written without run state ({p.relative_to(self.out)}); "
                                 "write to an empty --out directory, or remove the old tables first")

    def _check_config(self, partition_by: list[str]) -> None:
        path = self.dir / "state.json"
        if path.exists():
            cfg = json.loads(path.read_text())
            if cfg.get("partition_by") != partition_by:
                have = ",".join(cfg.get("partition_by") or []) or "none"
                raise StateError(f"{self.out} is partitioned by {have}; run with --partition-by {have} "
                                 "or write to a new --out")
            return
        _fsync_write(path, json.dumps({"format": STATE_FORMAT, "partition_by": partition_by}).encode())

    def _load(self) -> None:
        for p in self.batch_dir.iterdir():
            if p.name.startswith(".tmp-"):
                p.unlink(missing_ok=True)  # a marker being written when the run died
                continue
            if p.suffix != ".json":
                continue
            try:
                marker = json.loads(p.read_text())
            except (OSError, ValueError):  # cannot be ours half-written (markers are renamed into place)
                raise StateError(f"unreadable completion marker {p}; remove it and re-run") from None
            self.batches[marker["batch"]] = marker
        self._reindex()

    def _reindex(self) -> None:
        for index in (self.rows_in, self.by_path, self.refs, self.by_sha, self.sha_by_key, self.refused_by_key):
            index.clear()
        self._seq = max(self._seq, max((m["seq"] for m in self.batches.values()), default=0))
        for m in sorted(self.batches.values(), key=lambda m: (m.get("order", m["seq"]), m["seq"], m["batch"])):
            self._index(m)
        for d in self.pending_aliases:
            self._index_alias(d)

    def _point(self, path: str, doc_id: str) -> None:
        prev = self.by_path.get(path)
        if prev == doc_id:
            return
        self.by_path[path] = doc_id
        self.refs[doc_id] = self.refs.get(doc_id, 0) + 1
        if prev is not None:
            self.refs[prev] -= 1

    def _index(self, marker: dict) -> None:
        for row in marker["docs"]:
            d = DoneDoc(*row)
            self.rows_in[d.doc_id] = marker["batch"]
            self._point(d.path, d.doc_id)
            if d.sha:
                self.by_sha[d.sha] = d
            if d.key and d.sha:
                self.sha_by_key[d.key] = d.sha
            elif d.key:
                self.refused_by_key[d.key] = d
        for row in marker.get("aliases", ()):
            self._index_alias(DoneDoc(*row))

    def _index_alias(self, d: DoneDoc) -> None:
        self._point(d.path, d.doc_id)
        if d.key and d.sha:
            self.sha_by_key[d.key] = d.sha

    def owner(self, doc_id: str) -> str | None:
        """The batch holding a document's rows, None when no input path points at it any more."""
        return self.rows_in.get(doc_id) if self.refs.get(doc_id, 0) > 0 else None

    def _recover(self) -> None:
        # A rewrite whose marker is committed replaces its source batch: finish removing it.
        for m in list(self.batches.values()):
            old = m.get("replaces")
            if old and old in self.batches:
                self._drop(old)
        # A marker whose files are gone (lost by a crash before they reached the disk) is void.
        for bid, m in list(self.batches.items()):
            if any(not (self.out / f).exists() for f in m["files"]):
                self._drop(bid)
        listed = {f for m in self.batches.values() for f in m["files"]}
        for table in TABLE_NAMES:
            d = self.out / table
            if not d.is_dir():
                continue
            for p in d.rglob("*.parquet"):
                rel = p.relative_to(self.out).as_posix()
                if (BATCH_FILE.match(p.name) and rel not in listed) or p.name.startswith(".tmp-"):
                    p.unlink(missing_ok=True)  # written by a batch that never committed
                    self.recovered_files += 1
        self._reindex()

    # -- planning -------------------------------------------------------------------------

    def sha_for_key(self, key: str | None) -> str | None:
        """The content hash recorded for an input ``key`` (unchanged path, size and mtime)."""
        return self.sha_by_key.get(key) if key else None

    def done(self, sha: str | None) -> DoneDoc | None:
        """The finished document with this input hash, if it is still owned by a batch."""
        d = self.by_sha.get(sha) if sha else None
        return d if d is not None and self.owner(d.doc_id) is not None else None

    def refused(self, key: str | None) -> DoneDoc | None:
        """The recorded refusal of an input with this ``key`` (an unchanged unsafe member), if any."""
        d = self.refused_by_key.get(key) if key else None
        return d if d is not None and self.owner(d.doc_id) is not None else None

    def alias(self, doc_id: str, sha: str, key: str | None, path: str, version: str) -> None:
        """Record that ``path`` (with ``key``) holds document ``doc_id``, which this run skipped.

        Only when something is new (a path or key not yet recorded for it); kept in memory
        and written by ``commit_aliases``.
        """
        if self.by_path.get(path) == doc_id and (not key or self.sha_by_key.get(key) == sha):
            return
        d = DoneDoc(doc_id, sha, key, version, "alias", path)
        self.pending_aliases.append(d)
        self._index_alias(d)

    def commit_aliases(self) -> dict | None:
        """Write the aliases recorded by this run as a marker without files."""
        if not self.pending_aliases:
            return None
        marker = self.commit(self.next_batch_id(), [], [], aliases=self.pending_aliases)
        self.pending_aliases = []
        return marker

    @property
    def n_docs(self) -> int:
        return sum(1 for i in self.rows_in if self.owner(i) is not None)

    # -- committing -----------------------------------------------------------------------

    def next_seq(self) -> int:
        """A new sequence number: batch ids made from it sort after every batch in OUT.

        A local-engine worker gets one and numbers its own batches ``b<seq>-<n>``.
        """
        self._seq += 1
        return self._seq

    def next_batch_id(self) -> str:
        """A new batch id; ids sort in commit order."""
        return f"b{self.next_seq():09d}-{secrets.token_hex(3)}"

    def commit(self, batch_id: str, files: list[str], docs: list[DoneDoc], partition: str = "",
               replaces: str | None = None, aliases: list[DoneDoc] = (), index: bool = True, **extra) -> dict:
        """Write the completion marker of a batch whose files are already in place."""
        seq = int(batch_id[1:10])
        marker = {
            "batch": batch_id, "seq": seq, "partition": partition, "files": files, "doc_columns": DOC_COLUMNS,
            "docs": _rows(docs), "replaces": replaces,
            # a rewrite keeps the place of the batch it replaces, so that paths it lists do not
            # override what newer batches recorded for them
            "order": self.batches[replaces].get("order", self.batches[replaces]["seq"]) if replaces else seq,
            "committed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra,
        }
        if aliases:
            marker["aliases"] = _rows(aliases)
        _fsync_write(self.batch_dir / f"{batch_id}.json", json.dumps(marker, ensure_ascii=False).encode())
        self.batches[batch_id] = marker
        if index:
            self._index(marker)
        return marker

    def _drop(self, batch_id: str) -> None:
        # Marker first: a crash between the two leaves orphan files, which recovery deletes.
        m = self.batches.pop(batch_id)
        (self.batch_dir / f"{batch_id}.json").unlink(missing_ok=True)
        for f in m["files"]:
            (self.out / f).unlink(missing_ok=True)

    # -- superseded rows ------------------------------------------------------------------

    def superseded(self) -> dict[str, set[str]]:
        """Batches holding documents a newer batch redid: batch_id -> doc_ids to keep."""
        out = {}
        for bid, m in self.batches.items():
            ids = [row[0] for row in m["docs"]]
            keep = {i for i in ids if self.owner(i) == bid}
            if len(keep) < len(ids):
                out[bid] = keep
            elif not ids and not any(self.by_path.get(a[5]) == a[0] for a in m.get("aliases", ())):
                out[bid] = set()  # aliases that newer records all overrode
        return out

    def collect_garbage(self, rewrite: Callable[[dict, set[str], str], list[str]]) -> int:
        """Remove superseded rows; ``rewrite(marker, keep_ids, new_batch_id)`` writes the kept rows.

        Returns the number of batches rewritten or deleted.
        """
        todo = self.superseded()
        for bid, keep in sorted(todo.items()):
            m = self.batches[bid]
            if keep:
                new_id = self.next_batch_id()
                files = rewrite(m, keep, new_id)
                docs = [DoneDoc(*row) for row in m["docs"] if row[0] in keep]
                self.commit(new_id, files, docs, m.get("partition", ""), replaces=bid, index=False,
                            **{k: v for k, v in m.items() if k in ("pipeline_version", "schema_version")})
            self._drop(bid)
        if todo:
            self._reindex()
        return len(todo)

