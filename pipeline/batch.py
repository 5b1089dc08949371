"""Batch runs: expand inputs, process every document, write the tables.

This is the simple sequential engine; see docs for the parallel/incremental one.
"""

from __future__ import annotations

import glob
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .runner import process_file
from .finalize import finalize
from .write import TableWriter

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".pdf", ".docx", ".doc", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def expand_inputs(inputs: Iterable[str]) -> Iterator[Path]:
    """Files named, files under directories (recursive, sorted), and glob matches.

    A path that matches nothing is still yielded so it becomes a ``failed`` row.
    """
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield f
        elif p.exists():
            yield p
        elif any(c in item for c in "*?["):
            for m in sorted(glob.glob(item, recursive=True)):
                if os.path.isfile(m):
                    yield Path(m)
        else:
            yield p


@dataclass
class RunSummary:
    processed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        return (f"{self.processed} processed, {self.failed} failed, {self.skipped} skipped "
                f"in {self.seconds:.1f}s")


def run(inputs: Iterable[str], out: str | os.PathLike, progress: bool = False) -> RunSummary:
    """Process every input and write the per-document tables under ``out``.

    >>> import tempfile; s = run(["data/samples"], tempfile.mkdtemp())  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    summary = RunSummary()
    writer = TableWriter(out)
    for path in expand_inputs(inputs):
        res = process_file(path)
        writer.add_result(res.tables)
        if res.status == "ok":
            summary.processed += 1
        else:
            summary.failed += 1
            reason = (res.error or "").split(":")[0]
            summary.errors[reason] = summary.errors.get(reason, 0) + 1
        if progress:
            print(f"{res.status:6} {path}", file=sys.stderr)
    writer.flush()
    finalize(out)
    summary.seconds = time.perf_counter() - t0
    return summary
