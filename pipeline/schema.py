"""One explicit, versioned pyarrow schema per output table.

Column names are a contract: add columns freely, never rename or drop one. Bump
``SCHEMA_VERSION`` (minor for added columns, major for anything else) when a schema
changes; it is written into every Parquet file's metadata.
"""

from __future__ import annotations

import functools

import pyarrow as pa

from .layout import PER_DOCUMENT_TABLES, SCHEMA_VERSION, TABLE_NAMES  # noqa: F401 (re-exports)

_str = pa.string()
_i32 = pa.int32()
_i64 = pa.int64()
_date = pa.date32()
_bool = pa.bool_()

DOCUMENTS = pa.schema([
    ("doc_id", _str),
    ("source_path", _str),
    ("source_sha256", _str),
    ("source_format", _str),
    ("status", _str),  # ok / failed
    ("error", _str),
    ("warnings", pa.list_(_str)),
    ("n_pages", _i32),
    ("n_chars", _i64),
    ("ocr_confidence", pa.float64()),
    ("doc_type", _str),
    ("title", _str),
    ("doc_number", _str),
    ("issue_date", _date),
    ("issuer", _str),
    ("issuer_level", _str),
    ("province", _str),
    ("commune", _str),
    ("plan_year", _i32),
    ("signer_name", _str),
    ("signer_title", _str),
    ("recipients", pa.list_(_str)),
    ("schema_version", _str),
    ("vnplan_version", _str),
    ("pipeline_version", _str),
    ("seconds", pa.float64()),
])

TEXTS = pa.schema([
    ("doc_id", _str),
    ("text", pa.large_string()),
    ("body_end", _i64),
])

SECTIONS = pa.schema([
    ("doc_id", _str),
    ("section_id", _i32),
    ("parent_id", _i32),
    ("level", _i32),
    ("ordinal", _str),
    ("heading", _str),
    ("label", _str),
    ("start", _i64),
    ("end", _i64),
])

CITATIONS = pa.schema([
    ("doc_id", _str),
    ("citation_id", _i32),
    ("start", _i64),
    ("end", _i64),
    ("raw", _str),
    ("type", _str),
    ("number", _str),
    ("year", _i32),
    ("symbol", _str),
    ("issue_date", _date),
    ("issuer", _str),
    ("subject", _str),
    ("instrument_id", _str),
    ("in_footnote", _bool),
    ("section_id", _i32),
    ("name", _str),  # normalised name for named instruments (number is null)
    ("grammar", _str),  # normative / administrative / party / named
    ("province", _str),  # the citing document's province (denormalised for queries)
    ("scope", _str),  # the instrument's: "national", a province, or "province/commune"
])

INSTRUMENTS = pa.schema([
    ("instrument_id", _str),
    ("type", _str),
    ("number", _str),
    ("year", _i32),
    ("symbol", _str),
    ("issue_date", _date),
    ("issuer", _str),
    ("scope", _str),
    ("title", _str),
    ("n_documents", _i32),
    ("n_mentions", _i32),
])

DEADLINES = pa.schema([
    ("doc_id", _str),
    ("deadline_id", _i32),
    ("start", _i64),
    ("end", _i64),
    ("raw", _str),
    ("kind", _str),  # absolute / period / recurring / continuous / vague
    ("value", _str),
    ("date", _date),
    ("period_start", _date),
    ("period_end", _date),
    ("recurrence", _str),
    ("report_type", _str),
    ("task", _str),
    ("unit", _str),
    ("recipient", _str),
    ("section_id", _i32),
    ("row", _i32),
])

ASSIGNMENTS = pa.schema([
    ("doc_id", _str),
    ("assignment_id", _i32),
    ("unit", _str),
    ("unit_raw", _str),
    ("unit_kind", _str),  # specific / collective
    ("role", _str),  # lead / support
    ("task", _str),
    ("source", _str),  # text / table
    ("section_id", _i32),
    ("row", _i32),
    ("start", _i64),
    ("end", _i64),
    ("province", _str),
    ("unit_key", _str),  # comparison key: abbreviations expanded, case folded, "tỉnh"/"xã" resolved
])

DEADLINE_AUDIT = pa.schema([
    ("doc_id", _str),
    ("finding_id", _i32),
    ("rule", _str),
    ("severity", _str),
    ("message", _str),
    ("spans", pa.list_(pa.struct([("doc_id", _str), ("start", _i64), ("end", _i64), ("raw", _str)]))),
    ("related_doc_id", _str),
])

TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "texts": TEXTS,
    "sections": SECTIONS,
    "citations": CITATIONS,
    "instruments": INSTRUMENTS,
    "deadlines": DEADLINES,
    "assignments": ASSIGNMENTS,
    "deadline_audit": DEADLINE_AUDIT,
}

assert tuple(TABLES) == TABLE_NAMES, "pipeline.layout.TABLE_NAMES must list the same tables"


@functools.lru_cache(maxsize=None)
def schema_for(table: str) -> pa.Schema:
    """The schema of an output table, with the schema version in its metadata (schemas are
    immutable: callers share one object per table).

    >>> schema_for("sections").metadata[b"vnplan.schema_version"]
    b'1.1'
    """
    return TABLES[table].with_metadata({
        b"vnplan.schema_version": SCHEMA_VERSION.encode(),
        b"vnplan.table": table.encode(),
    })
