"""The ``vnplan`` command line. Each subcommand lives in ``pipeline/commands/<name>.py``
and exposes ``register(subparsers)``; this module only discovers and dispatches them.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import pkgutil
import sys

from . import __version__, commands, regex_cache

DESCRIPTION = """\
vnplan reads Vietnamese official plans (Kế hoạch of provinces, communes, departments),
finds their sections, and extracts the legal instruments they cite, the deadlines they
set and the units they make responsible, into Parquet tables.

Start with:  vnplan run data/samples --out out   then   vnplan evaluate --gold data/gold --out out
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vnplan", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"vnplan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{commands.__name__}.{mod.name}").register(sub)
    return parser


def _runs_local_pool(argv: list[str]) -> bool:
    """Whether the command line is a ``vnplan run`` on the local engine (a rough look before parsing).

    >>> _runs_local_pool(["run", "data", "--out", "o"]), _runs_local_pool(["run", "--engine", "dask"])
    (True, False)
    """
    if not argv or argv[0] != "run" or any(a in ("-h", "--help") for a in argv):
        return False
    return not any(a.startswith(("--scheduler", "--engine=dask", "--engine=inline")) or
                   (a == "--engine" and nxt != "local") for a, nxt in zip(argv, [*argv[1:], ""]))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # The extractors' patterns come from the cache in this process too (extract, evaluate, a
    # run's finalize); the fork server installs it for itself.
    try:
        if _runs_local_pool(argv):
            from .engines import server

            server.prestart()  # the workers' fork server imports the pipeline while this process does
            regex_cache.install()  # (after: reading the cache would hold the server's start back)
            try:
                return _main(argv)
            finally:
                server.stop()
        regex_cache.install()
        return _main(argv)
    finally:
        regex_cache.save()


def _stdout_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it.

    A flush cannot tell: the failed write may have emptied the buffer. A pipe without a
    reader reports an error condition to ``poll``.
    """
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll here, or stdout is not a file
        return False


def _main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # `vnplan cites OUT | head` closed our stdout: nothing is wrong. Any other broken
        # pipe (a worker's, say) is a real error and must not pass for success.
        if _stdout_gone():
            # Further writes (the final flush at exit) go nowhere instead of failing again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def console() -> None:
    """The ``vnplan`` program: ``main``, then an exit without the interpreter's teardown.

    Why: a ``vnplan run`` ends with pyarrow, its tables and thousands of objects loaded, and
    freeing them one by one at exit took 60-90 ms of a 4-second run. The exit handlers run
    as usual (multiprocessing's clean-up, thread pools) and the standard streams are flushed;
    every file the commands write is closed before ``main`` returns. ``main`` itself returns
    normally, for callers such as the tests.
    """
    code = main()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (`vnplan cites OUT | head`)
            pass
    os._exit(code)


if __name__ == "__main__":
    console()
