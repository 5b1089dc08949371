"""Word files: .docx read from its XML; .doc, .rtf, .odt converted by LibreOffice first.

What a plan's .docx holds beyond plain paragraphs, and where it goes in the text:

* **text boxes** (``w:txbxContent``, in DrawingML or VML): letterheads put "Số: 12/KH-UBND"
  and the date there. Their paragraphs come first, before the paragraph anchoring them;
  a box drawn twice (``mc:AlternateContent`` choice and fallback) is read once;
* **automatic numbering** (``numbering.xml``): "I.", "1.", "a)" that Word draws but the XML
  does not spell are written out, so headings keep their numbers; bullets become "-";
* **tables**: ruled tables become markdown rows (merged cells stay empty); borderless
  layout tables (the letterhead and signature blocks) become plain lines, cell by cell;
* **headers** (first-page or default) open the text; **footnotes** keep their marker as
  a superscript number glued to the word and their bodies follow the body under the
  separator line normalize knows (``footnotes.SEPARATOR``);
* **legacy fonts**: runs in a TCVN3 font (``.VnTime``; ``.VnTimeH`` is all capitals) or a
  VNI font (``VNI-Times``) are converted to Unicode; text in unnamed fonts too when the
  document as a whole reads as TCVN3/VNI;
* pages split at hard page breaks and at the page breaks Word last rendered.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field

import regex
from lxml import etree

from ..document import Page, RawDocument
from . import legacy
from .errors import Deadline, IngestError
from .footnotes import SEPARATOR
from .markdown import drop_empty, is_layout_grid, render_table
from .numerals import to_roman

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_W = "{%s}" % W
_PAGE_BREAK = "\f"
MAX_XML_BYTES = 200 * 1024 * 1024  # a document.xml larger than this is refused (zip bomb)
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_BORDER_NONE = {"nil", "none"}


def _q(tag: str) -> str:
    return _W + tag


# ---------------------------------------------------------------------------------------
# Numbering (numbering.xml)
# ---------------------------------------------------------------------------------------

def _letter(n: int) -> str:
    s = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        s = chr(ord("a") + r) + s
    return s


def format_number(n: int, fmt: str) -> str:
    """One level's counter in Word's number format.

    >>> [format_number(4, f) for f in ("decimal", "upperRoman", "lowerLetter", "decimalZero")]
    ['4', 'IV', 'd', '04']
    """
    if fmt == "upperRoman":
        return to_roman(n)
    if fmt == "lowerRoman":
        return to_roman(n).lower()
    if fmt == "upperLetter":
        return _letter(n).upper()
    if fmt == "lowerLetter":
        return _letter(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."


class Numbering:
    """Word's automatic list numbers: counters per abstract list, as Word keeps them."""

    def __init__(self, xml: bytes | None):
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self._started: set[str] = set()
        if not xml:
            return
        root = etree.fromstring(xml)
        for a in root.iter(_q("abstractNum")):
            levels = {}
            for lvl in a.iter(_q("lvl")):
                lv = _Level()
                el = lvl.find(_q("start"))
                if el is not None and el.get(_q("val"), "").isdigit():
                    lv.start = int(el.get(_q("val")))
                el = lvl.find(_q("numFmt"))
                if el is not None:
                    lv.fmt = el.get(_q("val"), "decimal")
                el = lvl.find(_q("lvlText"))
                if el is not None:
                    lv.text = el.get(_q("val"), "")
                levels[int(lvl.get(_q("ilvl"), "0"))] = lv
            self.abstract[a.get(_q("abstractNumId"))] = levels
        for num in root.iter(_q("num")):
            an = num.find(_q("abstractNumId"))
            overrides = {}
            for ov in num.iter(_q("lvlOverride")):
                so = ov.find(_q("startOverride"))
                if so is not None and so.get(_q("val"), "").isdigit():
                    overrides[int(ov.get(_q("ilvl"), "0"))] = int(so.get(_q("val")))
            if an is not None:
                self.nums[num.get(_q("numId"))] = (an.get(_q("val")), overrides)

    def label(self, num_id: str | None, ilvl: int) -> str | None:
        """The number Word draws before the next paragraph of list ``num_id`` at level ``ilvl``."""
        if not num_id or num_id == "0" or num_id not in self.nums:
            return None
        abs_id, overrides = self.nums[num_id]
        levels = self.abstract.get(abs_id, {})
        lv = levels.get(ilvl)
        if lv is None:
            return None
        counters = self.counters.setdefault(abs_id, {})
        if num_id not in self._started:
            self._started.add(num_id)
            for k, v in overrides.items():
                counters[k] = v - 1
        counters[ilvl] = counters.get(ilvl, levels[ilvl].start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        if lv.fmt == "bullet":
            return "-"
        if lv.fmt == "none":
            return lv.text.replace("%", "") or None

        def sub(m: regex.Match) -> str:
            k = int(m.group(1)) - 1
            level = levels.get(k, _Level())
            return format_number(counters.get(k, level.start), level.fmt)

        return regex.sub(r"%(\d)", sub, lv.text).strip() or None


# ---------------------------------------------------------------------------------------
# Styles: paragraph numbering and fonts, table borders
# ---------------------------------------------------------------------------------------

@dataclass
class _Styles:
    num: dict[str, tuple[str, int]] = field(default_factory=dict)  # style id -> (numId, ilvl)
    font: dict[str, str] = field(default_factory=dict)  # style id -> ascii font
    bordered_tables: set[str] = field(default_factory=set)
    default_font: str = ""

    @classmethod
    def parse(cls, xml: bytes | None) -> "_Styles":
        st = cls()
        if not xml:
            return st
        root = etree.fromstring(xml)
        rf = root.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr/{_W}rFonts")
        if rf is not None:
            st.default_font = rf.get(_q("ascii")) or rf.get(_q("hAnsi")) or ""
        for s in root.iter(_q("style")):
            sid = s.get(_q("styleId"))
            num = s.find(f"{_W}pPr/{_W}numPr")
            if num is not None:
                nid = num.find(_q("numId"))
                ilvl = num.find(_q("ilvl"))
                if nid is not None:
                    st.num[sid] = (nid.get(_q("val")), int(ilvl.get(_q("val"), "0")) if ilvl is not None else 0)
            rf = s.find(f"{_W}rPr/{_W}rFonts")
            if rf is not None and (rf.get(_q("ascii")) or rf.get(_q("hAnsi"))):
                st.font[sid] = rf.get(_q("ascii")) or rf.get(_q("hAnsi"))
            if s.get(_q("type")) == "table" and _has_borders(s.find(f"{_W}tblPr/{_W}tblBorders")):
                st.bordered_tables.add(sid)
        return st


def _has_borders(borders) -> bool:
    if borders is None:
        return False
    return any(b.get(_q("val"), "single") not in _BORDER_NONE for b in borders)


def legacy_font(name: str | None) -> tuple[str | None, bool]:
    """(encoding, all capitals) of a font name.

    >>> legacy_font(".VnTimeH"), legacy_font("VNI-Times"), legacy_font("Times New Roman")
    (('tcvn3', True), ('vni', False), (None, False))
    """
    if not name:
        return None, False
    if name.startswith(".Vn"):
        return "tcvn3", name.rstrip().endswith("H")
    if name.upper().startswith("VNI-") or name.upper().startswith("VNI "):
        return "vni", False
    return None, False


# ---------------------------------------------------------------------------------------
# The document walk
# ---------------------------------------------------------------------------------------

class _Reader:
    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.warnings: list[str] = []
        self.styles = self._optional("word/styles.xml", _Styles.parse, _Styles())
        self.numbering = self._optional("word/numbering.xml", Numbering, Numbering(None))
        self.footnote_xml = {}
        fx = self._optional("word/footnotes.xml", etree.fromstring, None)
        if fx is not None:
            for fn in fx.iter(_q("footnote")):
                if fn.get(_q("type")) in (None, "normal"):
                    self.footnote_xml[fn.get(_q("id"))] = fn
        self.footnote_order: list[str] = []
        self.doc_encoding: str | None = None  # legacy encoding of runs in no named legacy font
        self.tables: list[list[list[str]]] = []
        self.page_tables: dict[int, list[list[list[str]]]] = {}
        self.page = 1
        self.converted: set[str] = set()

    def plain_font_text(self, root) -> str:
        """Text of the runs in no legacy font: if it reads as TCVN3/VNI, so was it typed."""
        out = []
        for p in root.iter(_q("p")):
            ps = p.find(f"{_W}pPr/{_W}pStyle")
            style = ps.get(_q("val")) if ps is not None else None
            for r in p.iter(_q("r")):
                if legacy_font(self._run_font(r, style))[0] is None:
                    out.extend(t.text or "" for t in r.iter(_q("t")))
        return "".join(out)

    def _optional(self, name: str, parse, default):
        """A part that helps but is not essential: a broken one is skipped with a warning."""
        data = self._part(name)
        if not data:
            return default
        try:
            return parse(data)
        except etree.XMLSyntaxError:
            self.warnings.append(f"{name} is not well-formed XML; ignored")
            return default

    def _part(self, name: str) -> bytes | None:
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            return None
        if info.file_size > MAX_XML_BYTES:
            raise IngestError(f"corrupt or hostile .docx: {name} expands to {info.file_size >> 20} MB")
        return self.zf.read(info)

    # -- runs ----------------------------------------------------------------------------
    def _run_font(self, r, para_style: str | None) -> str | None:
        rf = r.find(f"{_W}rPr/{_W}rFonts")
        if rf is not None:
            name = rf.get(_q("ascii")) or rf.get(_q("hAnsi")) or rf.get(_q("cs"))
            if name:
                return name
        rs = r.find(f"{_W}rPr/{_W}rStyle")
        if rs is not None and rs.get(_q("val")) in self.styles.font:
            return self.styles.font[rs.get(_q("val"))]
        if para_style and para_style in self.styles.font:
            return self.styles.font[para_style]
        return self.styles.default_font or None

    def _convert(self, text: str, font: str | None) -> str:
        enc, upper = legacy_font(font)
        enc = enc or self.doc_encoding
        if enc:
            self.converted.add(enc)
        if enc == "tcvn3":
            return legacy.tcvn3_to_unicode(text, upper=upper)
        if enc == "vni":
            out = legacy.vni_to_unicode(text)
            return out.upper() if upper else out
        return text

    # -- paragraphs ----------------------------------------------------------------------
    def paragraph(self, p, out: list[str], in_table: bool = False) -> None:
        """Append the lines of a paragraph (text boxes first) to ``out``."""
        ppr = p.find(_q("pPr"))
        style = None
        num_id, ilvl = None, 0
        if ppr is not None:
            ps = ppr.find(_q("pStyle"))
            style = ps.get(_q("val")) if ps is not None else None
            numpr = ppr.find(_q("numPr"))
            if numpr is not None:
                nid = numpr.find(_q("numId"))
                lv = numpr.find(_q("ilvl"))
                num_id = nid.get(_q("val")) if nid is not None else None
                ilvl = int(lv.get(_q("val"), "0")) if lv is not None else 0
            elif style in self.styles.num:
                num_id, ilvl = self.styles.num[style]
        elif style in self.styles.num:
            num_id, ilvl = self.styles.num[style]
        boxes: list[str] = []
        parts: list[str] = []
        self._inline(p, parts, boxes, style)
        out.extend(boxes)
        text = "".join(parts)
        if not text.strip() and _PAGE_BREAK not in text:
            if not in_table:
                out.append("")
            return
        label = self.numbering.label(num_id, ilvl) if num_id else None
        if label:
            lead = len(text) - len(text.lstrip())
            text = text[:lead] + label + " " + text[lead:].lstrip()
        out.append(text)

    def _inline(self, el, parts: list[str], boxes: list[str], style: str | None) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == _q("r"):
                self._run(child, parts, boxes, style)
            elif tag in (_q("hyperlink"), _q("ins"), _q("smartTag"), _q("fldSimple"), _q("sdt"), _q("sdtContent"),
                         _q("customXml"), _q("bdo"), _q("dir")):
                self._inline(child, parts, boxes, style)
            elif tag == "{%s}AlternateContent" % MC:
                choice = child.find("{%s}Choice" % MC)
                self._inline(choice if choice is not None else child, parts, boxes, style)

    def _run(self, r, parts: list[str], boxes: list[str], style: str | None) -> None:
        rpr = r.find(_q("rPr"))
        if rpr is not None and rpr.find(_q("vanish")) is not None:
            return
        font = None
        for child in r:
            tag = child.tag
            if tag == _q("t"):
                if font is None:
                    font = self._run_font(r, style) or ""
                parts.append(self._convert(child.text or "", font))
            elif tag == _q("tab"):
                parts.append("\t")
            elif tag == _q("br"):
                parts.append(_PAGE_BREAK if child.get(_q("type")) == "page" else "\n")
            elif tag == _q("cr"):
                parts.append("\n")
            elif tag == _q("lastRenderedPageBreak"):
                parts.append(_PAGE_BREAK)
            elif tag == _q("noBreakHyphen"):
                parts.append("-")
            elif tag == _q("sym"):
                parts.append("-")
            elif tag == _q("footnoteReference"):
                fid = child.get(_q("id"))
                if fid in self.footnote_xml:
                    self.footnote_order.append(fid)
                    parts.append(str(len(self.footnote_order)).translate(_SUPERSCRIPT))
            elif tag == "{%s}AlternateContent" % MC:
                choice = child.find("{%s}Choice" % MC)
                self._boxes(choice if choice is not None else child, boxes)
            elif tag in (_q("drawing"), _q("pict"), _q("object")):
                self._boxes(child, boxes)

    def _boxes(self, el, boxes: list[str]) -> None:
        for box in el.iter(_q("txbxContent")):
            for child in box:
                self.block(child, boxes, in_table=True)

    # -- blocks --------------------------------------------------------------------------
    def block(self, el, out: list[str], in_table: bool = False) -> None:
        tag = el.tag
        if tag == _q("p"):
            self.paragraph(el, out, in_table)
        elif tag == _q("tbl"):
            self.table(el, out, in_table)
        elif tag in (_q("sdt"), _q("sdtContent"), _q("customXml")):
            for child in el:
                self.block(child, out, in_table)
        elif tag == "{%s}AlternateContent" % MC:
            choice = el.find("{%s}Choice" % MC)
            for child in (choice if choice is not None else el):
                self.block(child, out, in_table)

    def _cell_lines(self, tc) -> list[str]:
        lines: list[str] = []
        for child in tc:
            self.block(child, lines, in_table=True)
        return [ln.replace(_PAGE_BREAK, " ").strip() for ln in lines if ln.strip()]

    def table(self, tbl, out: list[str], nested: bool) -> None:
        grid: list[list[list[str]]] = []  # rows of cells of lines
        above: dict[int, list[str]] = {}  # per column, the cell a vertical merge continues
        for tr in tbl.iter(_q("tr")):
            if tr.getparent() is not tbl:
                continue  # rows of a nested table belong to its cell
            row: list[list[str]] = []
            for tc in tr.findall(_q("tc")) + [c for sdt in tr.findall(_q("sdt")) for c in sdt.iter(_q("tc"))]:
                tcpr = tc.find(_q("tcPr"))
                span = 1
                continued = False
                if tcpr is not None:
                    gs = tcpr.find(_q("gridSpan"))
                    if gs is not None and gs.get(_q("val"), "1").isdigit():
                        span = max(1, int(gs.get(_q("val"))))
                    vm = tcpr.find(_q("vMerge"))
                    continued = vm is not None and vm.get(_q("val"), "continue") != "restart"
                # A vertically merged cell repeats its text in each row it spans (one unit in
                # charge of two tasks): an empty first cell would read as a continuation.
                col = len(row)
                lines = above.get(col, []) if continued else self._cell_lines(tc)
                above[col] = lines
                row.append(lines)
                row.extend([[] for _ in range(span - 1)])
            grid.append(row)
        rows = drop_empty([[" ".join(cell) for cell in row] for row in grid])
        if not rows:
            return
        if nested or self._is_layout(tbl, rows):
            # Layout grids (letterhead, signature) read cell by cell, each paragraph a line;
            # a vertically merged cell once.
            seen: set[int] = set()
            for row in grid:
                for cell in row:
                    if id(cell) not in seen:
                        seen.add(id(cell))
                        out.extend(cell)
            return
        self.tables.append(rows)
        self.page_tables.setdefault(self.page, []).append(rows)
        out.append(render_table(rows))

    def _is_layout(self, tbl, rows: list[list[str]]) -> bool:
        """Borderless tables, one-column tables and letterhead/signature grids hold layout, not data."""
        if is_layout_grid(rows):
            return True
        tblpr = tbl.find(_q("tblPr"))
        bordered = False
        if tblpr is not None:
            borders = tblpr.find(_q("tblBorders"))
            if borders is not None:
                bordered = _has_borders(borders)
            else:
                ts = tblpr.find(_q("tblStyle"))
                bordered = ts is not None and ts.get(_q("val")) in self.styles.bordered_tables
        if not bordered:
            bordered = any(_has_borders(tc.find(f"{_W}tcPr/{_W}tcBorders")) for tc in tbl.iter(_q("tc")))
        return not bordered

    def header_lines(self, body) -> list[str]:
        """Lines of the first page's header (first-page header if the section has one)."""
        sect = body.find(_q("sectPr"))
        if sect is None:
            return []
        refs = {h.get(_q("type"), "default"): h.get("{%s}id" % R_NS) for h in sect.findall(_q("headerReference"))}
        rid = refs.get("first") if sect.find(_q("titlePg")) is not None else None
        rid = rid or refs.get("default")
        target = self._rel_target(rid)
        root = self._optional("word/" + target, etree.fromstring, None) if target else None
        if root is None:
            return []
        lines: list[str] = []
        for child in root:
            self.block(child, lines, in_table=True)
        if not any(regex.search(r"\p{L}{2}", ln) for ln in lines):
            return []  # page numbers and rules only
        return lines

    def _rel_target(self, rid: str | None) -> str | None:
        if not rid:
            return None
        rels = self._optional("word/_rels/document.xml.rels", etree.fromstring, None)
        if rels is None:
            return None
        for rel in rels.iter("{%s}Relationship" % PKG_REL):
            if rel.get("Id") == rid:
                return rel.get("Target", "").lstrip("/").removeprefix("word/")
        return None

    def footnote_lines(self) -> list[str]:
        lines = []
        for k, fid in enumerate(self.footnote_order, 1):
            body: list[str] = []
            for child in self.footnote_xml[fid]:
                self.block(child, body, in_table=True)
            text = " ".join(ln.strip() for ln in body if ln.strip())
            lines.append(f"{k} {text}")
        return lines


def read_docx(data: bytes, path: str, sha256: str, fmt: str = "docx") -> RawDocument:
    """Read a .docx into pages of text (tables as markdown, text boxes, numbering, footnotes)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise IngestError("corrupt or truncated .docx (not a readable ZIP archive)") from None
    with zf:
        try:
            reader = _Reader(zf)
            xml = reader._part("word/document.xml")
            if xml is None:
                raise IngestError("not a Word document: word/document.xml is missing")
            root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, huge_tree=False))
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:
            raise IngestError(f"corrupt or truncated .docx: {e}") from None
        except etree.XMLSyntaxError as e:
            raise IngestError(f"corrupt .docx: document.xml is not well-formed XML ({e})") from None
        body = root.find(_q("body"))
        if body is None:
            raise IngestError("not a Word document: no body")
        warnings: list[str] = reader.warnings
        reader.doc_encoding = legacy.detect(reader.plain_font_text(root))
        lines: list[str] = reader.header_lines(body)
        for child in body:
            before = len(lines)
            reader.block(child, lines)
            reader.page += sum(ln.count(_PAGE_BREAK) for ln in lines[before:])
        foot = reader.footnote_lines()
    text = "\n".join(lines)
    if foot:
        text = text.rstrip("\n") + "\n" + SEPARATOR + "\n" + "\n".join(foot)
    if reader.converted:
        warnings.append(legacy.warning(reader.converted))
    chunks = [c for c in text.split(_PAGE_BREAK)]
    # Word writes both a hard break and a rendered break at one page boundary: drop empty pages.
    chunks = [c.strip("\n") for c in chunks if c.strip()] or [""]
    if not any(c.strip() for c in chunks):
        raise IngestError("no text in .docx")
    pages = [Page(i, c) for i, c in enumerate(chunks, 1)]
    for no, tables in reader.page_tables.items():
        if 1 <= no <= len(pages):
            pages[no - 1].tables = tables
    return RawDocument(source_path=path, source_format=fmt, pages=pages, source_sha256=sha256, warnings=warnings)


# ---------------------------------------------------------------------------------------
# .doc / .rtf / .odt through LibreOffice
# ---------------------------------------------------------------------------------------

def soffice() -> str | None:
    """The LibreOffice executable, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_via_libreoffice(data: bytes, path: str, sha256: str, kind: str, deadline: Deadline | None = None
                         ) -> RawDocument:
    """Convert a .doc/.rtf/.odt to .docx with LibreOffice (headless) and read that."""
    exe = soffice()
    names = {"doc": "Word 97-2003 .doc", "rtf": "RTF", "odt": "OpenDocument .odt"}
    if exe is None:
        raise IngestError(f"cannot read {names[kind]} files: LibreOffice is not installed "
                          f"(Debian: apt-get install libreoffice-writer-nogui), or save the file as .docx")
    deadline = deadline or Deadline(None)
    timeout = min(300.0, deadline.remaining() or 300.0)
    with tempfile.TemporaryDirectory(prefix="vnplan-soffice-") as tmp:
        src = os.path.join(tmp, f"in.{kind}")
        with open(src, "wb") as f:
            f.write(data)
        profile = "file://" + os.path.join(tmp, "profile")  # a private profile: parallel runs do not lock
        cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "docx",
               "--outdir", tmp, src]
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise IngestError(f"LibreOffice took longer than {timeout:.0f}s to convert the {names[kind]} file") from None
        out = os.path.join(tmp, "in.docx")
        if r.returncode != 0 or not os.path.exists(out):
            err = (r.stderr or r.stdout).decode("utf-8", "replace").strip().splitlines()
            raise IngestError(f"LibreOffice could not convert the {names[kind]} file"
                              + (f": {err[-1]}" if err else " (corrupt file?)"))
        with open(out, "rb") as f:
            converted = f.read()
    raw = read_docx(converted, path, sha256, fmt=kind)
    raw.warnings.insert(0, f"converted from {names[kind]} by LibreOffice")
    return raw
