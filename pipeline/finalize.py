"""Corpus-level tables, rebuilt after a run from the per-document tables under OUT.

Every engine (sequential, process pool, Dask) calls ``finalize(out)`` once at the end. It
rebuilds ``instruments`` (one row per cited instrument across the corpus) from scratch, so
an incremental or resumed run ends with the same table as a clean one — and it does
nothing when the per-document tables are exactly those it last aggregated (an unchanged
re-run), which a fingerprint of their committed files and of the versions records.

``deadline_audit`` is not rebuilt here: ``vnplan audit OUT`` writes it on demand (it reads
every deadline and citation of the corpus, which a routine re-run should not pay for).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from . import PIPELINE_VERSION, __version__
from .layout import PER_DOCUMENT_TABLES, SCHEMA_VERSION, table_files

STATE_FILE = Path("_vnplan") / "finalized.json"


def fingerprint(out_dir) -> str:
    """A hash of the committed per-document files (names and sizes) and the versions.

    Batch files are never rewritten in place (a replacement gets a new name), so the set
    of names and sizes changes whenever a run commits or removes anything.
    """
    h = hashlib.sha256(f"{__version__}|{PIPELINE_VERSION}|{SCHEMA_VERSION}".encode())
    root = len(os.path.join(str(out_dir), ""))
    for table in PER_DOCUMENT_TABLES:
        for f in table_files(out_dir, table):
            name = str(f)
            h.update(f"{name[root:]}:{os.stat(name).st_size}\n".encode())
    return h.hexdigest()


def preload() -> None:
    """Import and warm up what ``finalize`` needs (~0.4 s) in a background thread, now.

    Called once a run knows it processes documents: the import then overlaps the run
    instead of adding to its end, at the lowest priority. Its workers write the rows, so
    the main process otherwise loads pyarrow only for ``finalize``.
    """
    import threading

    def load() -> None:
        # At the lowest priority: it should take the CPU the workers leave (while the fork
        # server starts, at the end), not theirs. Only this thread is reniced (Linux: a
        # thread is a task); finalize waits for it on the import lock if it is not done.
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):
            pass
        from .instruments import warm_up

        warm_up()

    threading.Thread(target=load, name="vnplan-preload", daemon=True).start()


def up_to_date(out_dir) -> bool:
    """Whether the corpus tables are those of the per-document files now under ``out_dir``
    (pyarrow is not needed to tell)."""
    out_dir = Path(out_dir)
    state = out_dir / STATE_FILE
    if not (state.exists() and (out_dir / "instruments").is_dir()):
        return False
    try:
        return json.loads(state.read_text(encoding="utf-8")).get("fingerprint") == fingerprint(out_dir)
    except (OSError, ValueError):
        return False  # an unreadable state file just means: rebuild


def finalize_in_fork_server_child(out_dir, force: bool = False, changed: bool = False) -> bool:
    """``finalize`` in a process forked from the local engine's fork server; returns the same.

    The server has pyarrow and the pipeline loaded, so the child starts in a few
    milliseconds with what ``finalize`` needs, and the main process of a local run never
    loads pyarrow: loading it there cost ~0.25 CPU-s, which two workers on two cores had to
    give up while one worker left it the idle core. Should the child fail in any way, the
    caller's own ``finalize`` runs (and raises the error, if it is one).
    """
    from .engines import server

    try:
        ctx = server.context()
        with server.main_module_hidden():
            child = ctx.Process(target=_finalize_child, args=(str(out_dir), force, changed), name="vnplan-finalize")
            child.start()
        child.join()
        if child.exitcode in (0, _NOT_REBUILT):
            return child.exitcode == 0
    except Exception:  # no fork server (a platform without one, resources): do it here
        pass
    return finalize(out_dir, force, changed)


_NOT_REBUILT = 3  # the child's exit status when nothing changed


def _finalize_child(out_dir: str, force: bool, changed: bool) -> None:
    from .nopandas import pandas_refused

    try:
        with pandas_refused():  # pyarrow would import it (0.3 s) to look for its null values
            rebuilt = finalize(out_dir, force, changed)
    except BaseException:
        os._exit(1)  # quietly: the parent runs finalize again and reports the error itself
    sys.exit(0 if rebuilt else _NOT_REBUILT)


def finalize(out_dir, force: bool = False, changed: bool = False) -> bool:
    """Rebuild the corpus-level tables unless nothing changed; returns whether it rebuilt.

    ``changed``: the caller committed or removed files, so the tables are rebuilt without
    looking at the fingerprint first.
    """
    out_dir = Path(out_dir)
    state = out_dir / STATE_FILE
    if not (force or changed) and up_to_date(out_dir):
        return False
    # Imported here: an unchanged re-run stops above without loading pyarrow at all.
    from .instruments import write_instruments
    from .write import ensure_table_dirs

    ensure_table_dirs(out_dir, PER_DOCUMENT_TABLES)
    write_instruments(out_dir)
    ensure_table_dirs(out_dir, ("instruments", "deadline_audit"))
    fp = fingerprint(out_dir)  # with the empty files just written, as the next run will see them
    state.parent.mkdir(parents=True, exist_ok=True)
    tmp = state.with_name(f".tmp-{state.name}")
    tmp.write_text(json.dumps({"fingerprint": fp}), encoding="utf-8")
    os.replace(tmp, state)
    return True
