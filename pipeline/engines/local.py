"""The default engine: a pool of worker processes on this machine, with a watchdog.

Why not ``concurrent.futures.ProcessPoolExecutor``: one worker that segfaults in a PDF
library or hangs in C code would break or stall the whole pool. Here every worker is a
process with its own pipe; the main process hands it one document at a time, and

* a document over the time limit is first interrupted inside the worker (a timer
  signal: the worker answers "timeout after Ns" and is replaced), and if the worker
  does not answer within a grace period it is killed and replaced;
* a worker that dies (segfault, out-of-memory kill) costs only its current document,
  recorded as "worker died: ...";
* workers are recycled after ``max_tasks_per_worker`` documents so a slow leak in a
  library cannot grow memory over a long run.

Workers start from a fork server that has imported the pipeline once, so starting or
replacing one takes milliseconds and never forks a process that has threads.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from collections import deque
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from .server import context, main_module_hidden
from .task import DocumentTimeout, Outcome, Task, failed_outcome, process_task, timeout_error



def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _worker_main(conn, func: Callable[[Task, float | None], Outcome], timeout: float | None,
                 max_tasks: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    done = 0
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the main process is gone
            return
        if task is None:
            return
        try:
            out = func(task, timeout)
        except DocumentTimeout:  # func ran its own time limit without handling it
            out = failed_outcome(task, timeout_error(timeout or 0))
        except BaseException as e:  # a bug in func itself; the pool goes on
            out = failed_outcome(task, f"internal error: {type(e).__name__}: {e}")
        done += 1
        # After a time-out the interrupted code may have left caches half-built: start afresh.
        recycle = bool(out.error and out.error.startswith("timeout after")) or (max_tasks and done >= max_tasks)
        try:
            conn.send((out, recycle))
        except (BrokenPipeError, OSError):
            return
        except Exception as e:  # rows that do not pickle
            conn.send((failed_outcome(task, f"internal error: unpicklable result: {e}"), recycle))
        if recycle:
            return


class _Worker:
    """A worker process and the tasks sent to it: the first is running, the rest wait in its pipe."""

    def __init__(self, ctx, func, timeout, max_tasks):
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, func, timeout, max_tasks), daemon=True,
                                name="vnplan-worker")
        with main_module_hidden():
            self.proc.start()
        child.close()
        self.tasks: deque[Task] = deque()
        self.since = 0.0  # when the running task started (at the latest)

    def send(self, task: Task) -> None:
        if not self.tasks:
            self.since = time.monotonic()
        self.tasks.append(task)
        try:
            self.conn.send(task)
        except OSError:
            # The worker has ended since we last heard from it: it reached max_tasks (its
            # last answer, saying so, is still in the pipe) or it died. The main loop reads
            # that from the pipe and hands this task, still in ``tasks``, to another worker.
            pass

    def done(self) -> Task:
        """The running task has answered: the next one (already in the pipe) starts now."""
        task = self.tasks.popleft()
        self.since = time.monotonic()
        return task

    def stop(self, kill: bool = False) -> list[Task]:
        """End the process; returns the tasks it had not started (to hand to another worker)."""
        if kill or self.tasks:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                self.proc.kill()
        self.proc.join(5)
        if self.proc.is_alive():  # pragma: no cover - ignored the polite request
            self.proc.kill()
            self.proc.join()
        self.conn.close()
        return list(self.tasks)


class LocalEngine:
    """Process pool over this machine's cores.

    >>> from pipeline.engines.task import Task
    >>> eng = LocalEngine(workers=1)
    >>> [o.status for o in eng.run([Task("a.txt", data="KẾ HOẠCH".encode())])]   # doctest: +SKIP
    ['ok']
    """

    name = "local"

    def __init__(self, workers: int | None = None, timeout: float | None = None,
                 func: Callable[[Task, float | None], Outcome] = process_task,
                 max_tasks_per_worker: int = 2000, grace: float = 5.0, prefetch: int = 1):
        self.workers = max(1, workers or default_workers())
        self.prefetch = prefetch
        self.timeout = timeout or None
        self.func = func
        self.max_tasks = max_tasks_per_worker
        self.grace = grace
        self.ctx = context()

    def describe(self) -> str:
        return f"local, {self.workers} worker{'s' * (self.workers > 1)}"

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        """Outcomes of ``tasks`` in completion order; pulls tasks only as workers free up.

        Each worker holds up to ``1 + prefetch`` tasks, so it starts its next document while
        this process is busy writing a batch.
        """
        pool: list[_Worker] = []
        it = iter(tasks)
        retry: deque[Task] = deque()  # sent to a worker that ended before starting them
        exhausted = False
        hard = self.timeout + self.grace if self.timeout else None
        depth = 1 + self.prefetch

        def take() -> Task | None:
            nonlocal exhausted
            if retry:
                return retry.popleft()
            task = None if exhausted else next(it, None)
            exhausted = task is None
            return task

        def retire(w: _Worker, kill: bool = False) -> None:
            pool.remove(w)
            retry.extendleft(reversed(w.stop(kill)))

        try:
            while True:
                while True:  # an idle worker first, a new one next, then a queue slot
                    w = min(pool, key=lambda w: len(w.tasks), default=None)
                    if len(pool) < self.workers and (w is None or w.tasks):
                        w = None
                    elif w is None or len(w.tasks) >= depth:
                        break
                    task = take()
                    if task is None:
                        break
                    if w is None:
                        w = _Worker(self.ctx, self.func, self.timeout, self.max_tasks)
                        pool.append(w)
                    w.send(task)
                busy = [w for w in pool if w.tasks]
                if not busy:
                    if exhausted and not retry:
                        return
                    continue
                wait = None
                if hard:
                    wait = max(0.0, min(w.since + hard for w in busy) - time.monotonic())
                ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=wait)
                for w in busy:
                    if w.conn in ready:
                        try:
                            out, recycle = w.conn.recv()
                            w.done()
                        except (EOFError, OSError):
                            w.proc.join(5)
                            task = w.tasks.popleft()
                            out, recycle = failed_outcome(task, f"worker died: {_describe_exit(w.proc.exitcode)}",
                                                          time.monotonic() - w.since), True
                        if recycle:
                            retire(w)
                        yield out
                    elif hard and time.monotonic() - w.since >= hard:
                        task, since = w.tasks.popleft(), w.since
                        retire(w, kill=True)
                        yield failed_outcome(task, timeout_error(self.timeout, killed=True), time.monotonic() - since)
        finally:
            for w in pool:
                w.stop()
