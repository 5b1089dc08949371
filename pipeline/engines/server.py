"""The fork server the local engine's workers are forked from, and starting it early.

The server imports the pipeline and warms it up (``pipeline.engines.warm``) once; every
worker forked from it starts with all of that done. ``prestart()`` launches the server
at the very beginning of ``vnplan run``, so its imports overlap the main process's own
start-up and planning instead of following them. Light on purpose: importing this module
must not import the pipeline.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from contextlib import contextmanager

PRELOAD = ["pipeline.engines.warm"]  # the pipeline, imported and warmed up once


PARENT_ENV = "VNPLAN_FORK_SERVER_PARENT"  # tells the preloaded modules they run in our fork server


def in_fork_server() -> bool:
    """Whether this process is the fork server of a process that called ``context()``."""
    return os.environ.get(PARENT_ENV) == str(os.getppid())


def context():
    """The multiprocessing context of the workers (fork server, with the pipeline preloaded)."""
    os.environ[PARENT_ENV] = str(os.getpid())  # inherited by the fork server when it starts
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


@contextmanager
def main_module_hidden():
    """Start processes without re-running the caller's ``__main__`` in them.

    multiprocessing's fork server re-executes the main script in every new process, so a
    script calling ``pipeline.run()`` without an ``if __name__ == "__main__":`` guard would
    start a run in each worker. Workers only run pipeline code (``func`` must be
    importable), so they never need the caller's main module.
    """
    main = sys.modules["__main__"]
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.update(saved)
        if "__spec__" not in saved:
            del main.__spec__


_prestarted = False


def prestarted() -> bool:
    """Whether this process launched the fork server with ``prestart`` (``vnplan run`` does)."""
    return _prestarted


def prestart() -> None:
    """Launch the fork server now (it preloads in the background); never fails the caller."""
    global _prestarted
    from multiprocessing import forkserver

    _prestarted = True
    try:
        context()
        with main_module_hidden():
            forkserver.ensure_running()
    except Exception:  # the engine starts it later, or reports why it cannot
        pass


def stop() -> None:
    """Stop the fork server at the end of ``vnplan run``, even in the middle of its preloading.

    Left alone it would finish importing before noticing that the run is over, holding the
    terminal's stderr (and a shell pipeline) open for that long after an unchanged re-run.
    """
    from multiprocessing import forkserver

    server = forkserver._forkserver
    pid = getattr(server, "_forkserver_pid", None)
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
        server._stop()  # closes its socket and reaps it
    except (OSError, AttributeError):
        pass
