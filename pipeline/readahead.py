"""Hashing input files ahead of the planner, in a background thread.

Why: ``vnplan run`` hashes every input before it hands it out (``batch.plan``: a document
already in OUT, or a copy of one seen earlier in the run, is skipped). Done as workers ask
for documents, that reading and hashing is CPU the main process takes from the workers
while they all run. Done ahead, most of it happens while the local engine's fork server
is still starting, when a core is idle anyway. File reads and ``hashlib`` release the
GIL, so the thread costs the main thread little.

The planner's decisions do not change: it still takes the sources in order and decides
everything itself; it only finds a file's hash already computed. Archives are not read
ahead: an archive is read as a stream, its members one after the other as the planner
takes them, so at the first archive member the thread hands the rest of the sources over
to the planner's own thread.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterable, Iterator

from .inputs import Source

_END = object()
_CHUNK = 64  # sources passed at a time once the thread is ahead (one at a time costs ~15 us each)


def read_ahead(sources: Iterable[Source], wanted: Callable[[Source], bool] = lambda s: True,
               max_items: int = 4096) -> Iterator[Source]:
    """``sources``, in order, with the hash of each ``wanted`` file computed ahead by a
    background thread (``Source.prefetch``), at most about ``max_items`` ahead.

    ``wanted(source)`` says whether the planner will need the hash (an unchanged file it
    recognises by its key needs none; a wrong guess only moves the hashing back to the
    planner). An exception raised by ``sources`` is raised here, at the same place in the
    sequence; closing this iterator stops the thread.

    >>> import tempfile, os; d = tempfile.mkdtemp(); p = os.path.join(d, "a.txt")
    >>> _ = open(p, "wb").write(b"x")
    >>> [s.sha256()[:12] for s in read_ahead([Source(p, fs_path=p)])]
    ['2d711642b726']
    """
    q: queue.Queue = queue.Queue(maxsize=max(1, max_items // _CHUNK))
    stop = threading.Event()
    it = iter(sources)
    handed_over = []  # the first archive member: from there on the planner's thread iterates

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        chunk: list = []
        try:
            for src in it:
                if src.is_member:
                    handed_over.append(src)
                    break
                if src.error is None and wanted(src):
                    src.prefetch()
                chunk.append(src)
                # one at a time while the planner waits, in chunks once ahead
                if len(chunk) >= _CHUNK or q.empty():
                    if not put(chunk):
                        return
                    chunk = []
            if chunk and not put(chunk):
                return
            put(_END)
        except BaseException as e:  # handed to the consumer, raised where the sequence broke
            if not chunk or put(chunk):
                put(e)
        finally:
            if stop.is_set():  # the planner stopped early: the sources' files are closed here
                close = getattr(it, "close", None)
                if close is not None:
                    close()

    thread = threading.Thread(target=produce, name="vnplan-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            yield from item
        if handed_over:
            yield handed_over[0]
            yield from it
    finally:
        stop.set()
        if not thread.is_alive():
            close = getattr(it, "close", None)
            if close is not None:
                close()
