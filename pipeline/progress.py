"""What a batch run tells its user while it works: a progress line on a terminal, JSON logs.

* ``ProgressBar`` redraws one line on stderr (files, pages, docs/s, MB/s, failures) at
  most ten times a second, and only on an interactive terminal: in CI, in a pipe or
  in a log file it stays silent (``auto_progress``);
* ``JsonLog`` writes one JSON object per line (``--log-json``) for machines: an event
  per document, per skipped input, per committed batch, and the final summary.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import IO, Any


def auto_progress(stream: IO | None = None) -> bool:
    """True when a progress bar helps: ``stream`` is a terminal and this is not CI.

    >>> import io; auto_progress(io.StringIO())
    False
    """
    stream = stream or sys.stderr
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def format_duration(seconds: float) -> str:
    """``75`` -> ``'1m15s'``.

    >>> format_duration(4.2), format_duration(75), format_duration(3725)
    ('4.2s', '1m15s', '1h02m')
    """
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


class ProgressBar:
    """One self-redrawing status line; ``update`` is cheap to call per document."""

    WIDTH = 24

    def __init__(self, enabled: bool | None = None, stream: IO | None = None, interval: float = 0.1):
        self.stream = stream or sys.stderr
        self.enabled = auto_progress(self.stream) if enabled is None else enabled
        self.interval = interval
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._drawn = False
        self.expected: int | None = None  # inputs counted ahead of the run, for the total and ETA

    def count_in_background(self, sources) -> None:
        """Count ``sources`` (an iterable) in a daemon thread; the count becomes the total."""
        import threading

        def count() -> None:
            self.expected = sum(1 for _ in sources)

        if self.enabled:
            threading.Thread(target=count, name="vnplan-count", daemon=True).start()

    def update(self, s, force: bool = False) -> None:
        """Redraw from a ``RunSummary``-like object (processed, failed, skipped, pages, bytes, total)."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self.stream.write("\r" + self.line(s, now - self.t0) + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def line(self, s, elapsed: float) -> str:
        """The status text.

        >>> from types import SimpleNamespace as NS
        >>> ProgressBar(False).line(NS(processed=40, failed=2, skipped=8, pages=90, bytes=4_000_000, total=100), 10)
        '[############............]  50/100 files  90 pages  4.2 docs/s  0.4 MB/s  2 failed  8 skipped  ETA 11.9s'
        """
        done = s.processed + s.failed + s.skipped
        worked = s.processed + s.failed
        rate = worked / elapsed if elapsed > 0 else 0.0
        total = s.total or self.expected
        parts = []
        if total:
            filled = int(self.WIDTH * min(done, total) / total)
            parts.append(f"[{'#' * filled}{'.' * (self.WIDTH - filled)}]  {done}/{total} files")
        else:
            parts.append(f"{done} files")
        parts.append(f"{s.pages} pages")
        parts.append(f"{rate:.1f} docs/s")
        parts.append(f"{s.bytes / 1e6 / elapsed if elapsed > 0 else 0:.1f} MB/s")
        if s.failed:
            parts.append(f"{s.failed} failed")
        if s.skipped:
            parts.append(f"{s.skipped} skipped")
        if total and rate > 0 and done < total:
            parts.append(f"ETA {format_duration((total - done) / rate)}")
        return "  ".join(parts)

    def close(self, s=None) -> None:
        if self.enabled and s is not None:
            self.update(s, force=True)
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class JsonLog:
    """JSON-lines event log to a file, or to stderr for ``-``; disabled for None.

    >>> import io; buf = io.StringIO(); log = JsonLog(buf)
    >>> log.emit("skipped", path="a.txt", reason="unchanged")
    >>> json.loads(buf.getvalue())["event"]
    'skipped'
    """

    def __init__(self, target: str | IO | None):
        self._own = False
        if target is None:
            self.stream = None
        elif target == "-":
            self.stream = sys.stderr
        elif isinstance(target, str):
            self.stream = open(target, "a", encoding="utf-8")
            self._own = True
        else:
            self.stream = target

    @property
    def enabled(self) -> bool:
        return self.stream is not None

    def emit(self, event: str, **fields: Any) -> None:
        if self.stream is None:
            return
        rec = {"ts": round(time.time(), 3), "event": event, **fields}
        self.stream.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._own and self.stream is not None:
            self.stream.close()
        self.stream = None
