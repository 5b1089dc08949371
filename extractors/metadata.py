"""Metadata extractor (being written)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Metadata:
    doc_type: str | None = None
    title: str | None = None
    doc_number: str | None = None
    issue_date: object = None
    issuer: str | None = None
    issuer_level: str | None = None
    province: str | None = None
    commune: str | None = None
    plan_year: int | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    recipients: list[str] = field(default_factory=list)

    def to_row(self) -> dict:
        return asdict(self)


def extract_metadata(doc) -> Metadata:
    return Metadata(doc_type="Kế hoạch" if "KẾ HOẠCH" in doc.text[:500] else None)
