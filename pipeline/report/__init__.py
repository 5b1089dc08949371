"""The HTML report: one self-contained file that shows a run to an analyst.

``write_report(OUT, "report.html")`` reads the tables of a run with DuckDB
(pipeline/query.py), gathers what the page shows into one JSON object, and inlines it
with the template, CSS and JavaScript of this package into a single HTML file: no
network, no CDN, opens from disk or an e-mail attachment.

The page has six views (``#summary``, ``#matrix``, ``#instrument/<i>``, ``#timeline``,
``#audit``, ``#doc/<doc_id>``), all drawn by ``report.js`` from the embedded data:

* corpus summary: counts and one row per document;
* instrument x province citation matrix: cell = number of documents of the province that
  cite the instrument; sortable by any column, filterable by text, type and spread;
* instrument pages: every citing document with the sentence around the citation;
* deadline timeline per province (dated deadlines as points and periods as bars,
  recurring and continuous ones listed beside);
* audit findings of ``deadline_audit`` with links to the spans they are about;
* document view: the normalized text with citations, deadlines and units highlighted.

Data is inserted with ``textContent`` only, so markup in a source document can never run
in the report.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

import regex

HERE = Path(__file__).parent
UNKNOWN_PROVINCE = "(không rõ)"

# A sentence for an instrument page ends at a full stop / semicolon followed by space,
# or at a line end (one paragraph per line in the normalized text).
_SENTENCE_END = regex.compile(r"[.;!?](?=\s)|\n")
_SENTENCE_MAX = 400


def sentence_around(text: str, start: int, end: int, max_chars: int = _SENTENCE_MAX) -> tuple[str, int, int]:
    """The sentence (or paragraph line) containing ``text[start:end]``, cut to ``max_chars``.

    Returns ``(sentence, offset_of_match_in_sentence, match_length)`` so the page can
    highlight the citation inside it.

    >>> t = "Mở đầu.\\nThực hiện Chỉ thị số 33/CT-TTg của Thủ tướng; Sở Nội vụ chủ trì."
    >>> s, i, n = sentence_around(t, t.index("Chỉ"), t.index(" của"))
    >>> s, s[i:i + n]
    ('Thực hiện Chỉ thị số 33/CT-TTg của Thủ tướng;', 'Chỉ thị số 33/CT-TTg')
    """
    left = max(0, start - max_chars)
    s = left  # no sentence end within reach: start the window max_chars back
    for m in _SENTENCE_END.finditer(text, left, start):
        s = m.end()
    m = _SENTENCE_END.search(text, end, min(len(text), end + max_chars))
    e = m.end() if m else min(len(text), end + max_chars)
    if text[e - 1:e] == "\n":
        e -= 1
    e = max(e, end)
    # Trim whitespace around the sentence, never into the match itself.
    while s < start and text[s].isspace():
        s += 1
    while e > end and text[e - 1].isspace():
        e -= 1
    sentence = text[s:e]
    offset = start - s
    n = end - start
    if len(sentence) > max(max_chars, n):  # a very long paragraph: a window that keeps the whole match
        room = max(0, max_chars - n)
        cut = max(0, offset - room // 3)
        tail = cut + n + room < len(sentence)
        sentence = ("…" if cut else "") + sentence[cut:cut + n + room] + ("…" if tail else "")
        offset = offset - cut + (1 if cut else 0)
    return sentence, offset, n


_DIGITS = regex.compile(r"(\d+)")


def natural_key(s: str) -> tuple:
    """Sort key that orders numbers by value: "Quyết định 2/..." before "Quyết định 10/...".

    >>> sorted(["QĐ 10", "QĐ 2", "Luật"], key=natural_key)
    ['Luật', 'QĐ 2', 'QĐ 10']
    """
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in _DIGITS.split(s) if p)


def _json_default(v: Any) -> Any:
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return str(v)


def _records(con, sql: str, params=None) -> list[dict]:
    from ..query import run_query
    return run_query(con, sql, params).records()


def build_report_data(out: str | os.PathLike, max_doc_texts: int = 300) -> dict:
    """Everything the page shows, as JSON-ready Python data.

    ``max_doc_texts`` bounds the file size on large runs: only that many document texts
    (the most cited first) are embedded for the document view; every count, the matrix,
    the timeline and the audit always cover the whole run.
    """
    from .. import __version__
    from ..query import ANALYST_TABLES, connect, instrument_label_sql, run_query

    con = connect(out)
    counts = {t: run_query(con, f'SELECT count(*) FROM "{t}"').rows[0][0] for t in ANALYST_TABLES}
    docs = _records(con, f"""
        WITH c AS (SELECT doc_id, count(*) n FROM citations GROUP BY 1),
             dl AS (SELECT doc_id, count(*) n FROM deadlines GROUP BY 1),
             a AS (SELECT doc_id, count(*) n FROM assignments GROUP BY 1),
             f AS (SELECT doc_id, count(*) n FROM deadline_audit GROUP BY 1)
        SELECT d.doc_id, d.status, d.error, d.source_path, d.source_format, d.doc_type, d.doc_number,
               d.title, d.issuer, d.issuer_level, coalesce(d.province, '{UNKNOWN_PROVINCE}') AS province,
               d.commune, d.plan_year, d.issue_date, d.signer_name, d.signer_title, d.n_pages,
               coalesce(c.n, 0) AS citations, coalesce(dl.n, 0) AS deadlines,
               coalesce(a.n, 0) AS assignments, coalesce(f.n, 0) AS findings
        FROM documents d LEFT JOIN c USING (doc_id) LEFT JOIN dl USING (doc_id)
             LEFT JOIN a USING (doc_id) LEFT JOIN f USING (doc_id)
        ORDER BY d.status DESC, province, d.plan_year, d.doc_number, d.source_path""")
    ok_docs = [d for d in docs if d["status"] == "ok"]
    province_of = {d["doc_id"]: d["province"] for d in docs}
    provinces = sorted({d["province"] for d in ok_docs}, key=lambda p: (p == UNKNOWN_PROVINCE, p))

    label = instrument_label_sql("c")
    # One key per instrument: the resolver's id when it gave one, else the readable label,
    # so unresolved citations still group by what they say.
    mentions = _records(con, f"""
        SELECT coalesce(c.instrument_id, 'label:' || lower({label})) AS key, {label} AS label,
               c.doc_id, c.citation_id, c.start, c."end", c.raw, c.type, c.number, c.grammar, c.in_footnote,
               c.issue_date, c.issuer, i.scope, i.title AS instrument_title
        FROM citations c LEFT JOIN instruments i USING (instrument_id)
        ORDER BY key, c.doc_id, c.start""")
    texts = {r["doc_id"]: r["text"] for r in _records(con, "SELECT doc_id, text FROM texts")}

    instruments: dict[str, dict] = {}
    for m in mentions:
        inst = instruments.get(m["key"])
        if inst is None:
            inst = instruments[m["key"]] = dict(
                key=m["key"], label=m["label"], type=m["type"], grammar=m["grammar"], scope=m["scope"],
                title=m["instrument_title"], issue_date=None, issuer=None, docs={}, mentions=[], labels={})
        # Mentions of one instrument read differently ("Luật số 10/2022/QH15", "Luật Thực hiện
        # dân chủ ở cơ sở"): the label is the most frequent numbered form, else the most frequent.
        inst["labels"][m["label"]] = inst["labels"].get(m["label"], 0) + (1000 if m["number"] else 1)
        inst["issue_date"] = inst["issue_date"] or m["issue_date"]
        inst["issuer"] = inst["issuer"] or m["issuer"]
        prov = province_of.get(m["doc_id"], UNKNOWN_PROVINCE)
        inst["docs"].setdefault(prov, set()).add(m["doc_id"])
        text = texts.get(m["doc_id"])
        sentence, at, n = (sentence_around(text, m["start"], m["end"]) if text and m["end"] <= len(text)
                           else (m["raw"], 0, len(m["raw"] or "")))
        inst["mentions"].append(dict(doc_id=m["doc_id"], province=prov, start=m["start"], end=m["end"],
                                     raw=m["raw"], in_footnote=bool(m["in_footnote"]), sentence=sentence,
                                     at=at, n=n))
    inst_list = []
    for inst in instruments.values():
        labels = inst.pop("labels")
        inst["label"] = max(labels, key=lambda lab: (labels[lab], -len(lab or "")))
        by_prov = {p: len(ds) for p, ds in inst.pop("docs").items()}
        inst["mentions"].sort(key=lambda m: (m["province"], m["doc_id"], m["start"]))
        inst.update(by_province=by_prov, n_provinces=len(by_prov), n_documents=sum(by_prov.values()),
                    n_mentions=len(inst["mentions"]))
        inst_list.append(inst)
    inst_list.sort(key=lambda i: (-i["n_provinces"], -i["n_documents"], natural_key(i["label"] or "")))

    deadlines = _records(con, f"""
        SELECT dl.doc_id, coalesce(d.province, '{UNKNOWN_PROVINCE}') AS province, dl.deadline_id, dl.kind,
               dl.raw, dl.value, dl.date, dl.period_start, dl.period_end, dl.recurrence, dl.report_type,
               dl.task, dl.unit, dl.start, dl."end"
        FROM deadlines dl LEFT JOIN documents d USING (doc_id)
        ORDER BY province, coalesce(dl.date, dl.period_end) NULLS LAST, dl.doc_id, dl.start""")
    assignments = _records(con, """
        SELECT doc_id, assignment_id, unit, unit_raw, unit_kind, role, task, source, start, "end"
        FROM assignments ORDER BY doc_id, start""")
    audit = _records(con, """
        SELECT doc_id, finding_id, rule, severity, message, spans, related_doc_id
        FROM deadline_audit ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                                     doc_id, finding_id""")
    sections = _records(con, """
        SELECT doc_id, level, ordinal, start FROM sections
        ORDER BY doc_id, start""")

    # Texts for the document view: documents with the most extracted records first.
    ranked = sorted(ok_docs, key=lambda d: -(d["citations"] + d["deadlines"] + d["assignments"] + d["findings"]))
    embedded = {d["doc_id"] for d in ranked[:max_doc_texts] if d["doc_id"] in texts}
    spans: dict[str, list] = {d: [] for d in embedded}
    for inst_i, inst in enumerate(inst_list):
        for m in inst["mentions"]:
            if m["doc_id"] in embedded:
                spans[m["doc_id"]].append(dict(kind="citation", start=m["start"], end=m["end"],
                                               label=inst["label"], ref=inst_i))
    for dl in deadlines:
        if dl["doc_id"] in embedded and dl["start"] is not None:
            tip = " · ".join(str(x) for x in (dl["kind"], dl["value"], dl["unit"], dl["task"]) if x)
            spans[dl["doc_id"]].append(dict(kind="deadline", start=dl["start"], end=dl["end"], label=tip))
    for a in assignments:
        if a["doc_id"] in embedded and a["start"] is not None:
            tip = " · ".join(str(x) for x in (a["unit"], a["role"], a["task"]) if x)
            spans[a["doc_id"]].append(dict(kind="unit", start=a["start"], end=a["end"], label=tip))
    for f in audit:
        for s in f["spans"] or []:
            if s and s.get("doc_id") in embedded and s.get("start") is not None:
                spans[s["doc_id"]].append(dict(kind="finding", start=s["start"], end=s["end"],
                                               label=f"{f['severity']}: {f['message']}"))
    # The document view only bolds headings: start, level and ordinal suffice (headings of
    # list items are whole paragraphs and would double the file's size).
    doc_sections: dict[str, list] = {}
    for s in sections:
        if s["doc_id"] in embedded and s["ordinal"] is not None and s["ordinal"] not in ("-", "+", "*", "•"):
            doc_sections.setdefault(s["doc_id"], []).append(
                dict(start=s["start"], level=s["level"], ordinal=s["ordinal"]))

    return dict(
        generated=_dt.datetime.now().replace(microsecond=0).isoformat(sep=" "),
        out=str(out), vnplan_version=__version__, counts=counts, documents=docs, provinces=provinces,
        instruments=inst_list, deadlines=deadlines, assignments=assignments, audit=audit,
        texts={d: texts[d] for d in embedded}, spans=spans, sections=doc_sections,
        n_texts_omitted=len([d for d in ok_docs if d["doc_id"] not in embedded]),
    )


def _script_json(data: dict) -> str:
    """JSON safe inside ``<script>``: no "</script>", no "<!--", no U+2028/9 line breaks."""
    s = json.dumps(data, ensure_ascii=False, default=_json_default, separators=(",", ":"))
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render_html(data: dict, title: str = "vnplan report") -> str:
    """The complete page: template with CSS, data and JavaScript inlined.

    >>> html = render_html({"counts": {}, "documents": [], "provinces": [], "instruments": []})
    >>> html.startswith("<!DOCTYPE html>"), "<script src" in html, "https://" in html
    (True, False, False)
    """
    template = (HERE / "template.html").read_text(encoding="utf-8")
    css = (HERE / "report.css").read_text(encoding="utf-8")
    js = (HERE / "report.js").read_text(encoding="utf-8")
    from html import escape
    return (template.replace("{{TITLE}}", escape(title))
            .replace("/*{{CSS}}*/", css)
            .replace("{{DATA}}", _script_json(data))
            .replace("/*{{JS}}*/", js.replace("</script", "<\\/script")))


def write_report(out: str | os.PathLike, html_path: str | os.PathLike, title: str | None = None,
                 max_doc_texts: int = 300) -> Path:
    """Build the report of the run in ``out`` and write it to ``html_path``."""
    data = build_report_data(out, max_doc_texts=max_doc_texts)
    path = Path(html_path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render_html(data, title or f"vnplan report — {Path(out).name}"), encoding="utf-8")
    os.replace(tmp, path)
    return path
