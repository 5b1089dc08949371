"""Corpus-level tables, rebuilt after every run from the per-document tables under OUT.

Every engine (sequential, process pool, Dask) calls ``finalize(out)`` once at the end.
"""

from __future__ import annotations

from .instruments import write_instruments
from .schema import PER_DOCUMENT_TABLES
from .write import ensure_table_dirs


def finalize(out_dir) -> None:
    ensure_table_dirs(out_dir, PER_DOCUMENT_TABLES)
    write_instruments(out_dir)
    ensure_table_dirs(out_dir, ("instruments",))
