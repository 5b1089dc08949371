"""Corpus-level tables, rebuilt after every run from the per-document tables under OUT.

Every engine (sequential, process pool, Dask) calls ``finalize(out)`` once at the end:
``instruments`` (one row per cited instrument across the corpus) and ``deadline_audit``
(consistency findings, the same as ``vnplan audit OUT``) are rebuilt from scratch, so an
incremental or resumed run ends with the same tables as a clean one.
"""

from __future__ import annotations

from .audit import run_audit
from .instruments import write_instruments
from .schema import PER_DOCUMENT_TABLES
from .write import ensure_table_dirs


def finalize(out_dir) -> None:
    ensure_table_dirs(out_dir, PER_DOCUMENT_TABLES)
    write_instruments(out_dir)
    run_audit(out_dir, write=True)
    ensure_table_dirs(out_dir, ("instruments", "deadline_audit"))
