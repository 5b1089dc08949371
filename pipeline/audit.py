"""Deadline audit: are the deadlines of a run consistent, within and across documents?

Reads ``OUT/documents``, ``OUT/deadlines`` and ``OUT/citations``, applies the rules below and
writes ``OUT/deadline_audit`` (schema ``DEADLINE_AUDIT``). Each rule is a function from the
tables (as row dicts) to ``Finding`` records, so tests feed it hand-made rows.

Rules (``RULES``):

* ``subordinate_after_aggregate`` (error) — within a document, a report due *after* the
  report that aggregates it: units report "về UBND xã (qua phòng Văn hóa - Xã hội)" before
  01/6 so that Phòng Văn hóa - Xã hội can report to the province before 05/6; the reverse
  order is flagged. A report feeds another when its recipient names the other's unit, and
  both are of the same report type (or, untyped, fall within 31 days of each other).
* ``child_after_parent`` (error) — across documents, a plan's report due later than the
  same kind of report in the parent plan it implements; the parent is found through the
  child's citations (a commune plan citing "Kế hoạch số 450/KH-UBND" of its province).
* ``impossible_date`` (error) — a day that does not exist ("31/6").
* ``out_of_range_date`` (warning) — a deadline more than 5 years from the plan year.
* ``citation_after_plan`` (error) — a cited instrument dated after the plan itself (or, with
  no issue date, after its plan year).
* ``before_issue_date`` (error / warning for periods) — a deadline that passed before the
  plan was issued.

>>> docs = [{"doc_id": "a", "issue_date": dt.date(2026, 3, 1), "plan_year": 2026}]
>>> dls = [{"doc_id": "a", "start": 0, "end": 15, "raw": "trước ngày 01/2", "kind": "absolute",
...         "value": "2026-02-01", "date": dt.date(2026, 2, 1)}]
>>> [f.rule for f in audit(docs, dls, [])]
['before_issue_date']
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

__all__ = ["Finding", "audit", "RULES", "read_tables", "run_audit", "format_report", "write_findings"]

SEVERITIES = ("error", "warning", "info")
_OUT_OF_RANGE_YEARS = 5
_AGGREGATE_WINDOW = dt.timedelta(days=31)


@dataclass
class Finding:
    """One audit finding; ``spans`` point into ``texts`` of the documents involved."""

    doc_id: str
    rule: str
    severity: str
    message: str
    spans: list[dict] = field(default_factory=list)
    related_doc_id: str | None = None

    def to_row(self) -> dict:
        return {"doc_id": self.doc_id, "rule": self.rule, "severity": self.severity, "message": self.message,
                "spans": self.spans, "related_doc_id": self.related_doc_id}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def _date(v) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        if v != v:  # NaN from pandas
            return None
        return dt.date.fromisoformat(str(v)[:10])
    except (TypeError, ValueError):
        return None


def _span(row: dict) -> dict:
    return {"doc_id": row.get("doc_id"), "start": row.get("start"), "end": row.get("end"), "raw": row.get("raw")}


def _by_doc(rows: Iterable[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r.get("doc_id"), []).append(r)
    return out


def _plan_year(doc: dict) -> int | None:
    y = doc.get("plan_year")
    if y is not None and y == y:
        return int(y)
    d = _date(doc.get("issue_date"))
    return d.year if d else None


def _q(s) -> str:
    s = " ".join(str(s or "").split())
    return f"«{s}»"


def _key(name: str | None) -> str:
    from extractors.unit_names import unit_key

    return unit_key(name) if name else ""


def _names(units: str | None) -> list[str]:
    """The unit names of a deadline's ``unit`` field ("A; B")."""
    return [u.strip() for u in (units or "").split(";") if u.strip()]


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------

def rule_impossible_date(docs: dict, deadlines: dict, citations: dict) -> list[Finding]:
    """An absolute deadline whose day does not exist ("31/6") has a value but no date."""
    out = []
    for doc_id, rows in deadlines.items():
        for r in rows:
            v = r.get("value") or ""
            if r.get("kind") == "absolute" and _date(r.get("date")) is None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
                out.append(Finding(doc_id, "impossible_date", "error",
                                   f"{_q(r.get('raw'))} names a day that does not exist ({v})", [_span(r)]))
    return out


def rule_out_of_range(docs: dict, deadlines: dict, citations: dict) -> list[Finding]:
    """A dated deadline more than five years from the plan year is almost always a typo."""
    out = []
    for doc_id, rows in deadlines.items():
        py = _plan_year(docs.get(doc_id, {}))
        if not py:
            continue
        for r in rows:
            d = _date(r.get("date")) or _date(r.get("period_start"))
            if d and abs(d.year - py) > _OUT_OF_RANGE_YEARS:
                out.append(Finding(doc_id, "out_of_range_date", "warning",
                                   f"{_q(r.get('raw'))} ({d.isoformat()}) is far from the plan year {py}", [_span(r)]))
    return out


# Consolidated texts re-issue old documents with the citations of their later amendments.
_NO_CITATION_CHECK = ("văn bản hợp nhất",)


def rule_citation_after_plan(docs: dict, deadlines: dict, citations: dict) -> list[Finding]:
    """A cited instrument cannot be dated after the plan that cites it (once per instrument)."""
    out = []
    for doc_id, rows in citations.items():
        doc = docs.get(doc_id, {})
        if str(doc.get("doc_type") or "").casefold() in _NO_CITATION_CHECK:
            continue
        issued = _date(doc.get("issue_date"))
        if not issued:
            continue  # a plan year alone is too weak: titles name other years ("sửa đổi Quyết định năm 2014")
        seen = set()
        for c in rows:
            cd = _date(c.get("issue_date"))
            if cd is None or cd <= issued:
                continue
            key = (c.get("number"), c.get("symbol"), cd)
            if key in seen:
                continue
            seen.add(key)
            label = " ".join(x for x in (c.get("type"), c.get("number") and f"số {c.get('number')}"
                                          + (f"/{c['year']}" if c.get("year") else "")
                                          + (f"/{c['symbol']}" if c.get("symbol") else "")) if x)
            out.append(Finding(doc_id, "citation_after_plan", "error",
                               f"cites {label or _q(c.get('raw'))} dated {cd.isoformat()}, after the plan's own "
                               f"date {issued.isoformat()}", [_span(c)]))
    return out


_EXPLICIT_YEAR = re.compile(r"(?:19|20)\d\d")


def rule_before_issue_date(docs: dict, deadlines: dict, citations: dict) -> list[Finding]:
    """A deadline that had passed when the plan was issued."""
    out = []
    for doc_id, rows in deadlines.items():
        issued = _date(docs.get(doc_id, {}).get("issue_date"))
        if not issued:
            continue
        for r in rows:
            d = _date(r.get("date"))
            if r.get("kind") == "absolute" and d and d < issued:
                # a year the text states is a hard error; one inferred from the plan year may be a
                # yearly date ("trước ngày 31/7" in a regulation) and is only a warning
                stated = bool(_EXPLICIT_YEAR.search(r.get("raw") or ""))
                out.append(Finding(doc_id, "before_issue_date", "error" if stated else "warning",
                                   f"{_q(r.get('raw'))} ({d.isoformat()}"
                                   f"{'' if stated else ', year inferred'}) is before the plan's issue date "
                                   f"{issued.isoformat()}", [_span(r)]))
            pe = _date(r.get("period_end"))
            if r.get("kind") == "period" and pe and pe < issued:
                out.append(Finding(doc_id, "before_issue_date", "warning",
                                   f"{_q(r.get('raw'))} ended ({pe.isoformat()}) before the plan's issue date "
                                   f"{issued.isoformat()}", [_span(r)]))
    return out


_VIA_KEY = re.compile(r"\((?:thông )?qua ([^)]*)\)")
_VIA_TAIL = re.compile(r"\s+(?:tổng hợp|để tổng hợp|theo dõi)$")


def _feeds(a: dict, b: dict) -> bool:
    """Report ``a`` goes to the unit that files report ``b``: its recipient, or the office it
    goes through ("UBND xã (qua phòng Văn hóa - Xã hội)"), is ``b``'s unit."""
    rcpt = _key(a.get("recipient"))
    if not rcpt:
        return False
    targets = {rcpt.split(" (")[0].strip()}
    m = _VIA_KEY.search(rcpt)
    if m:
        targets.add(_VIA_TAIL.sub("", m.group(1).strip()))
    return any(_key(name) in targets for name in _names(b.get("unit")))


def _same_report(a: dict, b: dict) -> bool:
    ta, tb = a.get("report_type"), b.get("report_type")
    if ta and tb:
        return ta == tb
    da, db = _date(a.get("date")), _date(b.get("date"))
    return bool(da and db and abs(da - db) <= _AGGREGATE_WINDOW)


def rule_subordinate_after_aggregate(docs: dict, deadlines: dict, citations: dict) -> list[Finding]:
    """Within a document, a report due after the report that aggregates it."""
    out = []
    for doc_id, rows in deadlines.items():
        dated = [r for r in rows if r.get("kind") == "absolute" and _date(r.get("date"))]
        for a in dated:
            for b in dated:
                if a is b or _names(a.get("unit")) == _names(b.get("unit")):
                    continue
                if _feeds(a, b) and _same_report(a, b) and _date(a["date"]) > _date(b["date"]):
                    out.append(Finding(
                        doc_id, "subordinate_after_aggregate", "error",
                        f"{a.get('unit') or 'a unit'} reports {_q(a.get('raw'))} ({_date(a['date']).isoformat()}) to "
                        f"{a.get('recipient')}, after {b.get('unit')} must send the aggregated report "
                        f"{_q(b.get('raw'))} ({_date(b['date']).isoformat()})",
                        [_span(a), _span(b)]))
    return out


def _doc_number_key(number: str | None) -> tuple[str, str] | None:
    """"450/KH-UBND" -> ("450", "kh-ubnd"); a blank number ("/KH-UBND") -> None."""
    if not number:
        return None
    m = re.match(r"\s*0*(\d+)\s*/\s*(?:(\d{4})\s*/\s*)?([^\s]+)", str(number))
    if not m:
        return None
    return m.group(1), m.group(3).casefold().strip(".")


def _citation_key(c: dict) -> tuple[str, str] | None:
    num, sym = c.get("number"), c.get("symbol")
    if not num or not sym:
        return None
    n = str(num).lstrip("0") or "0"
    return n, str(sym).casefold().strip(".")


def parents(docs: dict, citations: dict) -> dict[str, list[str]]:
    """doc_id -> ids of documents it cites (matched on number/symbol, province and issue date)."""
    index: dict[tuple[str, str], list[dict]] = {}
    for d in docs.values():
        k = _doc_number_key(d.get("doc_number"))
        if k:
            index.setdefault(k, []).append(d)
    out: dict[str, list[str]] = {}
    for doc_id, rows in citations.items():
        child = docs.get(doc_id, {})
        for c in rows:
            k = _citation_key(c)
            for p in index.get(k, []) if k else []:
                if p.get("doc_id") == doc_id:
                    continue
                if child.get("province") and p.get("province") and child["province"] != p["province"]:
                    continue
                cd, pd_ = _date(c.get("issue_date")), _date(p.get("issue_date"))
                if cd and pd_ and cd != pd_:
                    continue
                out.setdefault(doc_id, [])
                if p["doc_id"] not in out[doc_id]:
                    out[doc_id].append(p["doc_id"])
    return out


def rule_child_after_parent(docs: dict, deadlines: dict, citations: dict) -> list[Finding]:
    """Across documents: a child plan's report due after the parent plan's report of that type."""
    out = []
    for child_id, parent_ids in parents(docs, citations).items():
        for parent_id in parent_ids:
            for rt in sorted({r.get("report_type") for r in deadlines.get(child_id, []) if r.get("report_type")}):
                mine = [r for r in deadlines.get(child_id, []) if r.get("report_type") == rt and r.get("kind") == "absolute"
                        and _date(r.get("date"))]
                theirs = [r for r in deadlines.get(parent_id, []) if r.get("report_type") == rt
                          and r.get("kind") == "absolute" and _date(r.get("date"))]
                if not mine or not theirs:
                    continue
                latest = max(mine, key=lambda r: _date(r["date"]))
                bound = max(theirs, key=lambda r: _date(r["date"]))
                if _date(latest["date"]) > _date(bound["date"]):
                    pdoc = docs.get(parent_id, {})
                    out.append(Finding(
                        child_id, "child_after_parent", "error",
                        f"{rt} report {_q(latest.get('raw'))} ({_date(latest['date']).isoformat()}) is due after the "
                        f"parent plan {pdoc.get('doc_number') or parent_id}'s {_q(bound.get('raw'))} "
                        f"({_date(bound['date']).isoformat()})",
                        [_span(latest), _span(bound)], related_doc_id=parent_id))
    return out


RULES: tuple[Callable[[dict, dict, dict], list[Finding]], ...] = (
    rule_subordinate_after_aggregate, rule_child_after_parent, rule_impossible_date, rule_out_of_range,
    rule_citation_after_plan, rule_before_issue_date,
)


def audit(documents: list[dict], deadlines: list[dict], citations: list[dict]) -> list[Finding]:
    """Every finding of every rule, ordered by document then rule."""
    docs = {d.get("doc_id"): d for d in documents}
    dl, ct = _by_doc(deadlines), _by_doc(citations)
    findings: list[Finding] = []
    for rule in RULES:
        findings += rule(docs, dl, ct)
    findings.sort(key=lambda f: (str(f.doc_id), SEVERITIES.index(f.severity), f.rule,
                                 min((s.get("start") or 0) for s in f.spans) if f.spans else 0))
    return findings


# --------------------------------------------------------------------------------------------
# I/O
# --------------------------------------------------------------------------------------------

def read_table(out_dir: str | os.PathLike, table: str) -> list[dict]:
    """Rows of ``OUT/<table>`` with every schema column (missing table or column -> none/null)."""
    import pyarrow.dataset as ds

    from .schema import TABLES

    path = Path(out_dir) / table
    if not path.is_dir() or not any(path.rglob("*.parquet")):
        return []
    schema = TABLES[table]
    files = [str(p) for p in sorted(path.rglob("*.parquet")) if not p.name.startswith((".", "_"))]
    return ds.dataset(files, format="parquet", schema=schema).to_table().to_pylist()


def read_tables(out_dir) -> tuple[list[dict], list[dict], list[dict]]:
    """(documents, deadlines, citations) of a run; only documents that were processed."""
    documents = [d for d in read_table(out_dir, "documents") if (d.get("status") or "ok") == "ok"]
    return documents, read_table(out_dir, "deadlines"), read_table(out_dir, "citations")


def write_findings(out_dir, findings: list[Finding]) -> Path:
    """Replace ``OUT/deadline_audit`` with these findings (an empty file when there are none)."""
    import pyarrow.parquet as pq

    from .write import rows_to_table

    d = Path(out_dir) / "deadline_audit"
    d.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, f in enumerate(findings):
        r = f.to_row()
        r["finding_id"] = i
        rows.append(r)
    tmp = d / ".tmp-audit.parquet"
    pq.write_table(rows_to_table("deadline_audit", rows), tmp)
    for old in d.glob("*.parquet"):
        if not old.name.startswith("."):
            old.unlink()
    final = d / "part-audit.parquet"
    os.replace(tmp, final)
    return final


def run_audit(out_dir, write: bool = True) -> tuple[list[Finding], list[dict], list[dict]]:
    """Audit a run's tables; returns (findings, documents, deadlines) and writes the table."""
    documents, deadlines, citations = read_tables(out_dir)
    findings = audit(documents, deadlines, citations)
    if write:
        write_findings(out_dir, findings)
    return findings, documents, deadlines


def format_report(findings: list[Finding], documents: list[dict], deadlines: list[dict] | None = None,
                  min_severity: str = "info") -> str:
    """A readable report: a summary line, then findings grouped by document."""
    keep = SEVERITIES[:SEVERITIES.index(min_severity) + 1]
    shown = [f for f in findings if f.severity in keep]
    docs = {d.get("doc_id"): d for d in documents}
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    n_dl = len(deadlines) if deadlines is not None else None
    head = (f"vnplan audit: {len(documents)} documents"
            + (f", {n_dl} deadlines" if n_dl is not None else "")
            + f", {len(findings)} findings ({counts['error']} errors, {counts['warning']} warnings)")
    lines = [head]
    by_rule: dict[str, int] = {}
    for f in findings:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    if by_rule:
        lines.append("  " + ", ".join(f"{r}: {n}" for r, n in sorted(by_rule.items(), key=lambda kv: -kv[1])))
    current = None
    for f in shown:
        if f.doc_id != current:
            current = f.doc_id
            d = docs.get(f.doc_id, {})
            src = os.path.basename(str(d.get("source_path") or f.doc_id))
            who = ", ".join(x for x in (d.get("issuer"), d.get("province")) if x)
            lines.append("")
            lines.append(f"{src}" + (f"  ({who})" if who else "") + f"  [{f.doc_id}]")
        rel = ""
        if f.related_doc_id:
            rd = docs.get(f.related_doc_id, {})
            rel = f"  -> {os.path.basename(str(rd.get('source_path') or f.related_doc_id))}"
        lines.append(f"  {f.severity.upper():7} {f.rule}: {f.message}{rel}")
    return "\n".join(lines)
