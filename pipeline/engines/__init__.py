"""Engines run the per-document function over a stream of tasks.

An engine is any object with ``run(tasks: Iterable[Task]) -> Iterator[Outcome]`` (outcomes
in completion order, tasks pulled lazily so memory stays bounded) and ``describe()``.
Planning (what to skip) and committing stay in ``pipeline.batch``, in the calling process.
Engines compute; the rows are written through ``pipeline.write`` — in the calling process,
or, for an engine that offers ``write_in_workers`` (the local one), by its workers into
hidden files the calling process commits — so every engine writes the same tables.

* ``local`` (default): a process pool on this machine with a per-document watchdog;
* ``dask``: a Dask cluster (``scheduler`` address) or a LocalCluster;
* ``inline``: one document after another in the calling process (debugging, tests).
"""

from __future__ import annotations

ENGINES = ("local", "dask", "inline")


class EngineError(RuntimeError):
    """An engine cannot start (no Dask installed, scheduler unreachable)."""


def make_engine(name: str = "local", workers: int | None = None, timeout: float | None = None,
                scheduler: str | None = None, **options):
    """Build an engine by name.

    >>> make_engine("local", workers=2).describe()
    'local, 2 workers'
    >>> make_engine("dask", scheduler="tcp://10.0.0.5:8786").describe()
    'dask, scheduler tcp://10.0.0.5:8786'
    """
    if name == "local":
        from .local import LocalEngine

        return LocalEngine(workers=workers, timeout=timeout, **options)
    if name == "dask":
        from .dask_engine import DaskEngine

        return DaskEngine(scheduler=scheduler, workers=workers, timeout=timeout, **options)
    if name == "inline":
        from .inline import InlineEngine

        return InlineEngine(workers=workers, timeout=timeout, **options)
    raise ValueError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})")


__all__ = ["ENGINES", "DocumentTimeout", "EngineError", "Outcome", "Task", "make_engine", "process_task", "time_limit"]


_TASK_NAMES = ("DocumentTimeout", "Outcome", "Task", "process_task", "time_limit")


def __getattr__(name: str):
    # Imported on first use: ``pipeline.engines.server`` must load without the pipeline.
    if name in _TASK_NAMES:
        from . import task

        return getattr(task, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
