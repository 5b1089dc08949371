"""Names and places of the output, importable without pyarrow: table names, the schema
version, hive partitions, and which Parquet files of OUT are committed data.

Light on purpose: the main process of ``vnplan run`` plans (hashing inputs, deciding
what to skip) and checks whether the corpus tables need rebuilding with this alone, so an
unchanged re-run never pays for importing pyarrow. The schemas themselves are in
``pipeline.schema``, the writers in ``pipeline.write``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Sequence

SCHEMA_VERSION = "1.1"
# Every output table, in the order the documentation lists them.
TABLE_NAMES = ("documents", "texts", "sections", "citations", "instruments", "deadlines", "assignments",
               "deadline_audit")
# Tables produced per document (instruments and deadline_audit are corpus-level).
PER_DOCUMENT_TABLES = ("documents", "texts", "sections", "citations", "deadlines", "assignments")

MiB = 1 << 20
PARTITION_COLUMNS = {"province": "province_slug", "year": "doc_year"}
PARTITION_CHOICES = ("province", "province,year", "year", "none")


def table_files(out_dir: str | os.PathLike, table: str) -> list[Path]:
    """The committed Parquet files of a table (partitions included, hidden files skipped), sorted."""
    d = os.path.join(out_dir, table)
    if not os.path.isdir(d):
        return []
    found = []
    # os.walk rather than Path.rglob: a finalize lists every table twice, ~3x faster so.
    for root, dirs, files in os.walk(d):
        dirs[:] = [x for x in dirs if not x.startswith((".", "_"))]
        found += [os.path.join(root, f) for f in files if f.endswith(".parquet") and not f.startswith((".", "_"))]
    return [Path(p) for p in sorted(found, key=lambda p: p.split(os.sep))]


# ---------------------------------------------------------------------------------------
# Partitions


def slugify(name: str | None) -> str:
    """An ASCII partition value for a name (``unknown`` for none).

    >>> slugify("Lâm Đồng"), slugify("Hồ Chí Minh"), slugify(None)
    ('lam-dong', 'ho-chi-minh', 'unknown')
    """
    if not name:
        return "unknown"
    s = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-") or "unknown"


def parse_partition_by(spec: str | Sequence[str] | None) -> list[str]:
    """``"province,year"`` -> ``["province", "year"]``; ``"none"`` -> ``[]``.

    >>> parse_partition_by("province,year"), parse_partition_by("none")
    (['province', 'year'], [])
    """
    if spec is None:
        return []
    keys = [k.strip() for k in spec.split(",")] if isinstance(spec, str) else list(spec)
    keys = [k for k in keys if k and k != "none"]
    bad = [k for k in keys if k not in PARTITION_COLUMNS]
    if bad:
        raise ValueError(f"cannot partition by {', '.join(bad)} (choose from {', '.join(PARTITION_CHOICES)})")
    return keys


def partition_of(documents_row: dict, partition_by: Sequence[str]) -> str:
    """The hive partition directory of a document's rows (every table of a document shares it).

    >>> import datetime as dt
    >>> row = {"province": "Lâm Đồng", "plan_year": None, "issue_date": dt.date(2025, 12, 30)}
    >>> partition_of(row, ["province", "year"])
    'province_slug=lam-dong/doc_year=2025'
    """
    parts = []
    for key in partition_by:
        if key == "province":
            value = slugify(documents_row.get("province"))
        else:
            year = documents_row.get("plan_year") or getattr(documents_row.get("issue_date"), "year", None)
            value = str(year) if year else "unknown"
        parts.append(f"{PARTITION_COLUMNS[key]}={value}")
    return "/".join(parts)
