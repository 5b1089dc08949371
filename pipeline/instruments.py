"""Corpus-level ``instruments`` table, built from all ``citations`` rows of a run.

Placeholder for the citations issue: ``write_instruments(out_dir)`` aggregates the
citations under OUT into one row per ``instrument_id``.
"""

from __future__ import annotations


def write_instruments(out_dir) -> int:
    """Rebuild OUT/instruments from OUT/citations; returns the number of instruments."""
    return 0
