"""Tables seen as grids (PDF rulings, OCR'd cells, Word tables) written as markdown rows.

The normalized-text convention (see ``pipeline/document.py``) is a markdown pipe table
per page: a header row, a ``|---|`` separator, one ``| c1 | c2 |`` line per row. Normalize
parses it, drops a header repeated on the next page and merges a continuation row (empty
first cell) into the row above, so readers write each page's grid as they saw it.
"""

from __future__ import annotations

from difflib import SequenceMatcher

import regex

_WS_RE = regex.compile(r"\s+")
# What the letterhead and signature grids of an official document hold.
_LETTERHEAD_RE = regex.compile(r"CỘNG\s+H[ÒO]A\s+XÃ\s+HỘI|Độc\s+lập|^Số\s*:|Nơi\s+nhận|\b(?:KT|TM|TL)\.\s",
                               regex.M | regex.I)


def is_layout_grid(rows: list[list[str]]) -> bool:
    """A grid that lays text out rather than holding data: one column, or a few rows of
    letterhead or signature block ("CỘNG HÒA ...", "Số: ...", "Nơi nhận:", "KT. CHỦ TỊCH").

    >>> is_layout_grid([["ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]])
    True
    >>> is_layout_grid([["STT", "Nội dung"], ["1", "Báo cáo"]])
    False
    """
    if not rows or max(len(r) for r in rows) < 2:
        return True
    return len(rows) <= 3 and bool(_LETTERHEAD_RE.search("\n".join(c for r in rows for c in r)))


def clean_cell(text: str) -> str:
    """One line of cell text: newlines and runs of spaces folded, pipes made harmless.

    >>> clean_cell("Sở Nội vụ,\\n  Sở Tài chính | ")
    'Sở Nội vụ, Sở Tài chính /'
    """
    return _WS_RE.sub(" ", text.replace("|", "/")).strip()


def render_table(rows: list[list[str]]) -> str:
    """A grid as markdown lines (first row = header), without a trailing newline.

    >>> print(render_table([["STT", "Nội dung"], ["1", "Báo cáo\\nquý"], ["2"]]))
    | STT | Nội dung |
    |---|---|
    | 1 | Báo cáo quý |
    | 2 |  |
    """
    rows = [[clean_cell(c or "") for c in r] for r in rows if r]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    lines = []
    for k, r in enumerate(rows):
        r = r + [""] * (width - len(r))
        lines.append("| " + " | ".join(r) + " |")
        if k == 0:
            lines.append("|" + "---|" * width)
    return "\n".join(lines)


def drop_empty(rows: list[list[str]]) -> list[list[str]]:
    """Rows and columns with no text removed (ruling artefacts, spacer columns).

    >>> drop_empty([["1", "", "a"], ["", "", ""], ["2", " ", "b"]])
    [['1', 'a'], ['2', 'b']]
    """
    rows = [r for r in rows if any((c or "").strip() for c in r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    keep = [j for j in range(width) if any((r[j] or "").strip() for r in rows)]
    return [[r[j] for j in keep] for r in rows]


def _cells(line: str) -> list[str] | None:
    s = line.strip()
    if not (s.startswith("|") and s.endswith("|") and len(s) >= 2):
        return None
    return [c.strip() for c in s[1:-1].split("|")]


def _is_separator(line: str) -> bool:
    cells = _cells(line)
    return cells is not None and all(c and set(c) <= set("-: ") for c in cells)


def _similar(a: list[str], b: list[str]) -> bool:
    """Two header rows alike (OCR may misread a letter or two)."""
    if len(a) != len(b):
        return False
    x, y = " | ".join(a).lower(), " | ".join(b).lower()
    return x == y or SequenceMatcher(None, x, y, autojunk=False).ratio() >= 0.85


def stitch_page_tables(pages: list[str]) -> list[str]:
    """Continue a table across a page break the way the markdown convention wants it.

    When a page opens with a table and the page before ended with one of as many columns,
    the new page's repeated header (and its ``|---|`` line) goes, and a first row that
    continues the row above (empty first cell) is no header at all, so normalize merges it
    into that row.

    >>> p1 = "| STT | Nội dung |\\n|---|---|\\n| 1 | Báo cáo |"
    >>> p2 = "| STT | Nội dung |\\n|---|---|\\n|  | quý I |\\n| 2 | Tổng kết |"
    >>> stitch_page_tables([p1, p2])[1]
    '|  | quý I |\\n| 2 | Tổng kết |'
    >>> stitch_page_tables([p1, "|  | quý I |\\n|---|---|\\n| 2 | Tổng kết |"])[1]
    '|  | quý I |\\n| 2 | Tổng kết |'
    """
    out = list(pages)
    header: list[str] | None = None  # header of the table running at the end of the page before
    for i, page in enumerate(out):
        lines = page.split("\n")
        idx = [k for k, ln in enumerate(lines) if ln.strip()]
        if i > 0 and header is not None and idx and _cells(lines[idx[0]]) is not None:
            first = idx[0]
            cells = _cells(lines[first])
            sep = len(idx) > 1 and _is_separator(lines[idx[1]])
            if len(cells) == len(header) and sep:
                if _similar(cells, header):
                    drop = {first, idx[1]}  # the repeated header
                else:
                    drop = {idx[1]}  # the first row is a continuation, not a header
                lines = [ln for k, ln in enumerate(lines) if k not in drop]
                out[i] = "\n".join(lines)
        # Which table (if any) runs at the end of this page, and its header.
        idx = [k for k, ln in enumerate(lines) if ln.strip()]
        if idx and _cells(lines[idx[-1]]) is not None:
            k = idx[-1]
            while k > 0 and _cells(lines[k - 1]) is not None:
                k -= 1
            block = lines[k:idx[-1] + 1]
            if len(block) > 1 and _is_separator(block[1]):
                header = _cells(block[0])
            elif header is None or k > 0:
                header = None
        else:
            header = None
    return out
