"""The in-process engine: documents one after another in the calling process.

For debugging (a breakpoint or a profiler sees the pipeline), tiny runs and tests. The
time limit is the timer signal only (when called from the main thread): nothing can
kill code stuck inside a C extension, and a crash takes the run with it.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from .task import DocumentTimeout, Outcome, Task, failed_outcome, process_task, timeout_error


class InlineEngine:
    """Runs ``func`` on each task in this process, in input order.

    >>> from pipeline.engines.task import Task
    >>> [o.status for o in InlineEngine().run([Task("a.txt", data="KẾ HOẠCH".encode())])]
    ['ok']
    """

    name = "inline"

    def __init__(self, workers: int | None = None, timeout: float | None = None,
                 func: Callable[[Task, float | None], Outcome] = process_task):
        self.timeout = timeout or None
        self.func = func

    def describe(self) -> str:
        return "inline (this process)"

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        for task in tasks:
            try:
                yield self.func(task, self.timeout)
            except DocumentTimeout:
                yield failed_outcome(task, timeout_error(self.timeout or 0))
