"""The distributed engine: the same per-document function on a Dask cluster.

``DaskEngine(scheduler="tcp://host:8786")`` submits one task per document to an existing
cluster; without a scheduler it starts a ``LocalCluster`` on this machine. Dask does the
scheduling, retries (``retries``: a task that raised is re-run, possibly on another
worker) and recovery from lost workers (their tasks are re-run elsewhere); this module
only keeps a bounded number of tasks in flight and hands outcomes back in completion
order. The client process writes the tables, exactly as the local engine does, so both
engines produce the same output.

What workers need: vnplan installed (same version), and files given by path readable
at the same absolute path (a shared file system). Archive members travel inside the
task, so an archive only needs to be readable by the client.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
from typing import Callable, Iterable, Iterator

from . import EngineError
from .local import default_workers
from .task import DocumentTimeout, Outcome, Task, failed_outcome, process_task, timeout_error


class WorkerCannotRead(OSError):
    """The client hashed a file this worker cannot see: retried on another worker."""


def run_on_worker(task: Task, timeout: float | None,
                  func: Callable[[Task, float | None], Outcome] = process_task) -> Outcome:
    """The Dask task: ``func(task, timeout)``, raising (so Dask retries) when the file is missing here."""
    if task.data is None and task.input_sha and task.fs_path and not os.path.exists(task.fs_path):
        raise WorkerCannotRead(f"{task.fs_path} is not readable on worker {socket.gethostname()}")
    try:
        return func(task, timeout)
    except DocumentTimeout:  # func ran its own time limit without handling it
        return failed_outcome(task, timeout_error(timeout or 0))


class DaskEngine:
    """Runs tasks on a Dask cluster (``scheduler`` address) or on a new LocalCluster."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None, timeout: float | None = None,
                 retries: int = 2, func: Callable[[Task, float | None], Outcome] = process_task,
                 processes: bool = True, window: int | None = None, connect_timeout: float = 30):
        self.scheduler = scheduler
        self.workers = workers or default_workers()
        self.timeout = timeout or None
        self.retries = retries
        self.func = func
        self.processes = processes
        self.window = window
        self.connect_timeout = connect_timeout

    def describe(self) -> str:
        return f"dask, scheduler {self.scheduler}" if self.scheduler else f"dask, local cluster of {self.workers}"

    def _client(self):
        try:
            from distributed import Client, LocalCluster
        except ImportError as e:  # pragma: no cover - a dependency of vnplan
            raise EngineError(f"the dask engine needs dask[distributed]: {e}") from None
        if self.scheduler:
            try:
                return Client(self.scheduler, timeout=self.connect_timeout), None
            except (OSError, TimeoutError) as e:
                raise EngineError(f"cannot reach the Dask scheduler at {self.scheduler}: {e}") from None
        cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=self.processes,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        return Client(cluster), cluster

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        """Outcomes in completion order, with at most ``window`` tasks submitted at a time."""
        from distributed import KilledWorker, as_completed

        client, cluster = self._client()
        try:
            slots = sum(client.nthreads().values()) or self.workers
            window = self.window or 2 * slots + 2
            pending: dict[str, Task] = {}
            done = as_completed()

            def submit(task: Task) -> None:
                fut = client.submit(run_on_worker, task, self.timeout, self.func, pure=False, retries=self.retries)
                pending[fut.key] = dataclasses.replace(task, data=None)  # enough to report a failure
                done.add(fut)

            it = iter(tasks)
            for task in it:
                submit(task)
                if len(pending) >= window:
                    break
            for fut in done:
                task = pending.pop(fut.key)
                try:
                    out = fut.result()
                except KilledWorker as e:
                    out = failed_outcome(task, f"worker died: {e}")
                except Exception as e:
                    out = failed_outcome(task, f"task failed after {self.retries} retries: {type(e).__name__}: {e}")
                fut.release()
                yield out
                nxt = next(it, None)
                if nxt is not None:
                    submit(nxt)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
