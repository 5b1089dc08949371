"""HTML pages (and Word's "web page" .doc files) -> text, tables as markdown.

Government sites often serve a plan as HTML, and a ``.doc`` download is often Word-HTML.
Block elements become lines; data tables become markdown rows; layout tables (a
letterhead or signature grid, one column) become plain lines. Script, style and head are
dropped. The charset comes from the page (``<meta charset>``), else UTF-8, else the
legacy Vietnamese encodings.
"""

from __future__ import annotations

import regex
from lxml import etree, html as lxml_html

from ..document import Page, RawDocument
from . import legacy
from .errors import IngestError
from .markdown import drop_empty, is_layout_grid, render_table
from .text import decode_text_with_encoding, encoding_warning

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "table", "section", "article",
           "blockquote", "pre", "ul", "ol", "dl", "dt", "dd", "header", "footer", "center", "address", "form",
           "fieldset", "hr", "main", "aside", "figure", "figcaption", "caption"}
_DROP = {"script", "style", "head", "noscript", "template", "svg", "iframe", "object", "button", "select"}
_CHARSET_RE = regex.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", regex.I)
_WS_RE = regex.compile(r"[ \t\r\n\u00a0]+")


def _decode(data: bytes) -> tuple[str, str]:
    m = _CHARSET_RE.search(data[:4096])
    if m:
        name = m.group(1).decode("ascii", "ignore").lower()
        try:
            return data.decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text_with_encoding(data)


class _Text:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.tables: list[list[list[str]]] = []

    def flush(self) -> None:
        line = _WS_RE.sub(" ", "".join(self.cur)).strip()
        if line:
            self.lines.append(line)
        self.cur = []

    def walk(self, el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if tag in _DROP or not isinstance(el.tag, str):
            if el.tail:
                self.cur.append(el.tail)
            return
        if tag == "table":
            self.flush()
            self.table(el)
            if el.tail:
                self.cur.append(el.tail)
            return
        block = tag in _BLOCKS
        if block:
            self.flush()
        if tag == "br":
            self.flush()
        if el.text:
            self.cur.append(el.text)
        for child in el:
            self.walk(child)
        if block:
            self.flush()
        if el.tail:
            self.cur.append(el.tail)

    def cell_text(self, cell) -> str:
        sub = _Text()
        sub.walk_children(cell)
        sub.flush()
        return " ".join(sub.lines)

    def walk_children(self, el) -> None:
        if el.text:
            self.cur.append(el.text)
        for child in el:
            self.walk(child)

    def table(self, tbl) -> None:
        rows = []
        for tr in tbl.iter("tr"):
            if next(tr.iterancestors("table"), None) is not tbl:
                continue  # a nested table's rows belong to its cell
            row = []
            for cell in tr:
                if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                    continue
                row.append(self.cell_text(cell))
                span = cell.get("colspan", "1")
                row.extend([""] * (int(span) - 1 if span.isdigit() and 1 < int(span) < 50 else 0))
            rows.append(row)
        rows = drop_empty(rows)
        if not rows:
            return
        nested = next(tbl.iterancestors("table"), None) is not None
        if nested or is_layout_grid(rows):
            self.lines.extend(c for r in rows for c in r if c.strip())
            return
        self.tables.append(rows)
        self.lines.append(render_table(rows))


def read_html(data: bytes, path: str, sha256: str) -> RawDocument:
    """Read an HTML page (or Word-HTML .doc) into one page of text."""
    text, enc = _decode(data)
    text = regex.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as e:
        raise IngestError(f"unreadable HTML: {e}") from None
    body = root.find("body")
    out = _Text()
    out.walk(body if body is not None else root)
    out.flush()
    result = "\n".join(out.lines)
    warnings = [w for w in [encoding_warning(enc)] if w]
    found = legacy.detect(result)
    if found:
        result = legacy.to_unicode(result, found)
        out.tables = [[[legacy.to_unicode(c, found) for c in row] for row in t] for t in out.tables]
        warnings.append(legacy.warning([found]))
    if not result.strip():
        raise IngestError("no text in HTML page")
    return RawDocument(source_path=path, source_format="html", pages=[Page(1, result, tables=out.tables)],
                       source_sha256=sha256, warnings=warnings)
