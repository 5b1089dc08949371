"""Ruled tables: horizontal and vertical line segments -> grids of cells.

Shared by the PDF reader (segments from vector path objects) and OCR (segments found
in the page image), so both read a ruled appendix table the same way. Coordinates are
top-down (y grows downwards), in any unit; ``tol`` is the slack in that unit.

Cells that span columns or rows (a border missing between two grid cells) are merged.
A cell spanning columns gives its text to its first column; one spanning rows (a unit
in charge of two tasks) repeats it in each row, so no row starts empty, which in the
markdown convention would make it a continuation of the row above.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

# has_border(horizontal, pos, a, b): is there a rule at ``pos`` along [a, b]?
BorderTest = Callable[[bool, float, float, float], bool]


@dataclass(frozen=True)
class Segment:
    """An axis-parallel line: ``horizontal`` at ``pos`` (y) from ``a`` to ``b`` (x), or
    vertical at ``pos`` (x) from ``a`` to ``b`` (y)."""

    horizontal: bool
    pos: float
    a: float
    b: float


@dataclass
class Cell:
    row: int
    col: int
    x0: float
    y0: float
    x1: float
    y1: float
    rowspan: int = 1


@dataclass
class Grid:
    """A ruled table: row and column boundaries and its cells (top-left first)."""

    xs: list[float]
    ys: list[float]
    cells: list[Cell] = field(default_factory=list)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]

    @property
    def n_rows(self) -> int:
        return len(self.ys) - 1

    @property
    def n_cols(self) -> int:
        return len(self.xs) - 1

    def rows(self, texts: dict[tuple[int, int], str]) -> list[list[str]]:
        """The grid as rows of cell strings, given text per (row, col) of each cell.

        >>> g = Grid([0, 1, 2], [0, 1, 2], [Cell(0, 0, 0, 0, 1, 2, rowspan=2), Cell(0, 1, 1, 0, 2, 1),
        ...                                 Cell(1, 1, 1, 1, 2, 2)])
        >>> g.rows({(0, 0): "1", (0, 1): "a", (1, 1): "b"})
        [['1', 'a'], ['1', 'b']]
        """
        out = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for c in self.cells:
            for r in range(c.row, c.row + c.rowspan):
                out[r][c.col] = texts.get((c.row, c.col), "")
        return out


def _merge_collinear(segs: list[Segment], tol: float, gap: float) -> list[Segment]:
    """Join pieces of the same line (per-cell border strokes, a rule broken by scan noise).

    Pieces within ``tol`` of each other in position form one line (a rule two pixels thick
    gives two runs); along it, pieces closer than ``gap`` are joined.
    """
    out: list[Segment] = []
    group: list[Segment] = []

    def flush() -> None:
        if not group:
            return
        pos = sum(s.pos for s in group) / len(group)
        cur_a = cur_b = None
        for s in sorted(group, key=lambda s: s.a):
            if cur_b is not None and s.a <= cur_b + gap:
                cur_b = max(cur_b, s.b)
            else:
                if cur_a is not None:
                    out.append(Segment(s.horizontal, pos, cur_a, cur_b))
                cur_a, cur_b = s.a, s.b
        out.append(Segment(group[0].horizontal, pos, cur_a, cur_b))
        group.clear()

    for s in sorted(segs, key=lambda s: s.pos):
        if group and s.pos - group[-1].pos > tol:
            flush()
        group.append(s)
    flush()
    return out


def _covers(segs: list[Segment], pos: float, a: float, b: float, tol: float) -> bool:
    """Is there a line at ``pos`` running over the middle of [a, b]?"""
    mid_lo, mid_hi = a + (b - a) * 0.3, a + (b - a) * 0.7
    return any(abs(s.pos - pos) <= tol and s.a <= mid_lo + tol and s.b >= mid_hi - tol for s in segs)


def find_grids(segments: list[Segment], tol: float = 2.0, min_size: float = 0.0, gap: float | None = None,
               has_border: BorderTest | None = None) -> list[Grid]:
    """Group segments into tables and build each table's grid of cells.

    A table needs at least two horizontal and two vertical lines that touch each other;
    lone rules (a footnote separator, an underline) make no table. ``tol`` is the slack
    in position, ``gap`` (default ``3 * tol``) the longest break bridged along a line.
    ``has_border`` decides whether two neighbouring grid cells are separated (default: a
    segment runs along the middle of their common side); OCR passes a test on the pixels,
    which a noisy scan's broken rules pass where segments do not.

    >>> s = [Segment(True, y, 0, 100) for y in (0, 10, 20)] + [Segment(False, x, 0, 20) for x in (0, 30, 100)]
    >>> g = find_grids(s)[0]
    >>> (g.n_rows, g.n_cols, len(g.cells))
    (2, 2, 4)
    >>> s = [Segment(True, y, 0, 100) for y in (0, 10, 20)] + [Segment(False, 0, 0, 20), Segment(False, 100, 0, 20),
    ...      Segment(False, 30, 10, 20)]  # the first row is one cell across both columns
    >>> [(c.row, c.col) for c in find_grids(s)[0].cells]
    [(0, 0), (1, 0), (1, 1)]
    """
    gap = 3 * tol if gap is None else gap
    hs = _merge_collinear([s for s in segments if s.horizontal and s.b - s.a > tol], tol, gap)
    vs = _merge_collinear([s for s in segments if not s.horizontal and s.b - s.a > tol], tol, gap)
    if len(hs) < 2 or len(vs) < 2:
        return []
    # Connected components of touching lines (union-find over h/v intersections).
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if h.a - tol <= v.pos <= h.b + tol and v.a - tol <= h.pos <= v.b + tol:
                parent[find(i)] = find(len(hs) + j)
    groups: dict[int, tuple[list[Segment], list[Segment]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    grids = []
    for gh, gv in groups.values():
        if len(gh) < 2 or len(gv) < 2:
            continue
        grid = _grid(gh, gv, tol, has_border or _segment_test(gh, gv, tol))
        if grid is not None and grid.xs[-1] - grid.xs[0] >= min_size and grid.ys[-1] - grid.ys[0] >= min_size:
            grids.append(grid)
    grids.sort(key=lambda g: (g.ys[0], g.xs[0]))
    return grids


def _segment_test(hs: list[Segment], vs: list[Segment], tol: float) -> BorderTest:
    def test(horizontal: bool, pos: float, a: float, b: float) -> bool:
        return _covers(hs if horizontal else vs, pos, a, b, tol)
    return test


def _grid(hs: list[Segment], vs: list[Segment], tol: float, has_border: BorderTest) -> Grid | None:
    x_lo, x_hi = min(v.pos for v in vs), max(v.pos for v in vs)
    y_lo, y_hi = min(h.pos for h in hs), max(h.pos for h in hs)
    # A grid line must run along a fair part of the table: a stroke of text that happens
    # to touch a rule (an underline, a long dash) is no row or column boundary.
    xs = _strong_lines(vs, tol, 0.3 * (y_hi - y_lo))
    ys = _strong_lines(hs, tol, 0.3 * (x_hi - x_lo))
    if len(xs) < 2 or len(ys) < 2:
        return None
    nr, nc = len(ys) - 1, len(xs) - 1
    owner = [[-1] * nc for _ in range(nr)]
    cells: list[Cell] = []
    for r in range(nr):
        for c in range(nc):
            if owner[r][c] >= 0:
                continue
            # Grow right while no vertical border separates, then down while no horizontal one.
            c2 = c
            while c2 + 1 < nc and not has_border(False, xs[c2 + 1], ys[r], ys[r + 1]):
                c2 += 1
            r2 = r
            while r2 + 1 < nr and not any(has_border(True, ys[r2 + 1], xs[k], xs[k + 1]) for k in range(c, c2 + 1)) \
                    and all(owner[r2 + 1][k] < 0 for k in range(c, c2 + 1)):
                r2 += 1
            for rr in range(r, r2 + 1):
                for cc in range(c, c2 + 1):
                    owner[rr][cc] = len(cells)
            cells.append(Cell(r, c, xs[c], ys[r], xs[c2 + 1], ys[r2 + 1], r2 - r + 1))
    return Grid(xs, ys, cells)


def _strong_lines(segs: list[Segment], tol: float, min_cover: float) -> list[float]:
    """Positions of the lines (segments clustered by position) covering ``min_cover`` or more."""
    groups: list[list[Segment]] = []
    for s in sorted(segs, key=lambda s: s.pos):
        if groups and s.pos - groups[-1][-1].pos <= tol:
            groups[-1].append(s)
        else:
            groups.append([s])
    return [sum(s.pos for s in g) / len(g) for g in groups if sum(s.b - s.a for s in g) >= min_cover]
