"""What every reader shares: the error users see, and the per-document time limit."""

from __future__ import annotations

import time


class IngestError(Exception):
    """A file that cannot be read; the message says why, for the ``error`` column."""


class Deadline:
    """A per-document time limit, checked between pages.

    ``Deadline(None)`` never expires; readers ask ``expired()`` before starting a page and
    ``remaining()`` to bound a subprocess (Tesseract, LibreOffice).

    >>> Deadline(None).expired(), Deadline(None).remaining() is None
    (False, True)
    >>> Deadline(0).expired()
    True
    """

    __slots__ = ("seconds", "_end")

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self._end = None if seconds is None else time.monotonic() + seconds

    def expired(self) -> bool:
        return self._end is not None and time.monotonic() >= self._end

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a limit."""
        return None if self._end is None else max(0.0, self._end - time.monotonic())
