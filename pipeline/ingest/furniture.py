"""Page furniture: running headers/footers and page numbers, dropped across pages.

A line is a running header or footer when (digits aside) the same text stands among the
first or last lines of at least half the pages; a page number is a lone number ("3",
"- 3 -", "Trang 3/12") at the top or bottom of a page that keeps step with the page
index. Both are found from the pages' text alone, so PDF text layers and OCR share them.
"""

from __future__ import annotations

from collections import Counter

import regex

EDGE_LINES = 3  # how many lines at the top and bottom of a page can be furniture
_PAGE_NO_RE = regex.compile(r"^[\s\-–—.(\[]*(?:[Tt]rang\s*)?(\d{1,4})(?:\s*/\s*\d{1,4})?[\s\-–—.)\]]*$")
_DIGITS_RE = regex.compile(r"\d+")
# List items and headings differ from page to page by their number only: never furniture.
_NUMBERED_RE = regex.compile(r"^\s*(?:\d{1,3}(?:\.\d{1,3})*[.)]|[IVXL]{1,6}\.|[a-zđ]\))\s")
_WS_RE = regex.compile(r"\s+")


def _key(line: str) -> str:
    return _WS_RE.sub(" ", _DIGITS_RE.sub("#", line.strip().lower()))


def _edges(lines: list[str]) -> list[int]:
    """Indices of the first and last EDGE_LINES non-blank, non-table lines."""
    idx = [i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("|")]
    return sorted(set(idx[:EDGE_LINES] + idx[-EDGE_LINES:]))


def drop_furniture(pages: list[str]) -> tuple[list[str], int]:
    """Pages' text without running headers/footers and page numbers; also how many lines went.

    >>> body = ["Mục đích", "Nhiệm vụ", "Tổ chức thực hiện", "Nơi nhận"]
    >>> drop_furniture([f"UBND TỈNH X\\n{b}\\n- {i} -" for i, b in enumerate(body, 1)])[0]
    ['Mục đích', 'Nhiệm vụ', 'Tổ chức thực hiện', 'Nơi nhận']
    >>> drop_furniture(["1. Mục đích\\nA", "2. Yêu cầu\\nB"])[1]  # list items are no page numbers
    0
    """
    n = len(pages)
    if n < 2:
        return pages, 0
    split = [p.split("\n") for p in pages]
    edges = [_edges(lines) for lines in split]

    # Running headers/footers: the same text (digits aside) on the edges of many pages.
    # With two pages only, digits must agree too (a header "Trang 1" is then missed, but two
    # pages ending in sentences that differ by a number are kept).
    key = _key if n >= 3 else (lambda line: _WS_RE.sub(" ", line.strip().lower()))
    seen: Counter[str] = Counter()
    for lines, idx in zip(split, edges):
        seen.update({key(lines[i]) for i in idx if not _NUMBERED_RE.match(lines[i])})
    need = max(2, (n + 1) // 2) if n >= 3 else 2
    running = {k for k, c in seen.items() if c >= need and len(k.strip("# ")) >= 5}

    # Page numbers: a lone number whose offset from the page index repeats.
    offsets: Counter[int] = Counter()
    numbers: list[dict[int, int]] = []
    for page_no, (lines, idx) in enumerate(zip(split, edges), 1):
        found = {}
        for i in idx:
            m = _PAGE_NO_RE.match(lines[i])
            if m:
                found[i] = int(m.group(1)) - page_no
        numbers.append(found)
        offsets.update(set(found.values()))
    good = {off for off, c in offsets.items() if c >= 2 and -3 <= off <= 3}

    out, dropped = [], 0
    for lines, idx, found in zip(split, edges, numbers):
        drop = {i for i in idx if key(lines[i]) in running and not _NUMBERED_RE.match(lines[i])}
        drop |= {i for i, off in found.items() if off in good}
        if all(k in drop for k, ln in enumerate(lines) if ln.strip()):
            drop = set()  # nothing but "furniture": the pages repeat each other, keep them
        dropped += len(drop)
        out.append("\n".join(ln for i, ln in enumerate(lines) if i not in drop))
    return out, dropped
