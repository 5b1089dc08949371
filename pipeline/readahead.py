"""Hashing input files ahead of the planner, in a background thread.

Why: ``vnplan run`` hashes every input before it hands it out (``batch.plan``: a document
already in OUT, or a copy of one seen earlier in the run, is skipped). Done as workers ask
for documents, that reading and hashing is CPU the main process takes from the workers
while they all run. Done ahead, most of it happens while the local engine's fork server
is still starting, when a core is idle anyway. File reads and ``hashlib`` release the
GIL, so the thread costs the main thread little.

The planner's decisions do not change: it still takes the sources in order and decides
everything itself; it only finds a file's hash already computed. Archive members are not
read ahead: an archive is read as a stream, so the thread waits at each member until the
planner is done with it, as the planner's own loop did.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterable, Iterator

from .inputs import Source

_END = object()


def read_ahead(sources: Iterable[Source], wanted: Callable[[Source], bool] = lambda s: True,
               max_items: int = 4096) -> Iterator[Source]:
    """``sources``, in order, with the hash of each ``wanted`` file computed ahead by a
    background thread (``Source.prefetch``), at most ``max_items`` ahead.

    ``wanted(source)`` says whether the planner will need the hash (an unchanged file it
    recognises by its key needs none; a wrong guess only moves the hashing back to the
    planner). An exception raised by ``sources`` is raised here, at the same place in the
    sequence; closing this iterator stops the thread.

    >>> import tempfile, os; d = tempfile.mkdtemp(); p = os.path.join(d, "a.txt")
    >>> _ = open(p, "wb").write(b"x")
    >>> [s.sha256()[:12] for s in read_ahead([Source(p, fs_path=p)])]
    ['2d711642b726']
    """
    q: queue.Queue = queue.Queue()
    room = threading.Semaphore(max_items)
    passed = threading.Event()  # the planner has moved past the member handed to it
    stop = threading.Event()

    def wait_for(ready: Callable[[], bool]) -> bool:
        while not ready():
            if stop.is_set():
                return False
        return not stop.is_set()

    def produce() -> None:
        it = iter(sources)
        try:
            for src in it:
                if src.is_member:
                    passed.clear()
                elif src.error is None and wanted(src):
                    src.prefetch()
                if not wait_for(lambda: room.acquire(timeout=0.5)):
                    return
                q.put(src)
                if src.is_member and not wait_for(lambda: passed.wait(0.5)):
                    return
            q.put(_END)
        except BaseException as e:  # handed to the consumer, raised where the sequence broke
            q.put(e)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="vnplan-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            room.release()
            yield item
            if item.is_member:
                passed.set()
    finally:
        stop.set()
