"""Polylines to braille cells with numpy: the fast path behind CurvesPlot.

textual-hires-canvas draws a line cell by cell in Python (with a refresh per cell): about
10 ms per full-width curve on this machine, so 100 curves took a second. Here every curve is
sampled along its segments, mapped to 2x4 dots per cell and OR-ed into cell codes in a few
numpy calls; only the cells a curve touches are then written to the canvas.
"""
from __future__ import annotations

import numpy as np

# Unicode braille: dot bits by (row, column) inside a 2-wide, 4-high cell
_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)
MAX_SAMPLES = 2_000_000  # a curve whose segments would need more dots is thinned first


def rasterize(px: np.ndarray, py: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells (rows, cols) and braille codes of a polyline through (px, py), in cell units with
    sub-cell precision (x right, y down). NaN points break the line. Points outside are clipped."""
    hx = np.asarray(px, dtype=float) * 2
    hy = np.asarray(py, dtype=float) * 4
    start_x, start_y, end_x, end_y = hx[:-1], hy[:-1], hx[1:], hy[1:]
    keep = np.isfinite(start_x) & np.isfinite(start_y) & np.isfinite(end_x) & np.isfinite(end_y)
    start_x, start_y, end_x, end_y = start_x[keep], start_y[keep], end_x[keep], end_y[keep]
    lone = np.isfinite(hx) & np.isfinite(hy)
    if not len(start_x):  # single points only
        xs, ys = hx[lone], hy[lone]
    else:
        span = np.ceil(np.maximum(np.abs(end_x - start_x), np.abs(end_y - start_y))).astype(np.int64)
        span = np.clip(span, 1, max(1, 4 * (width + height)))  # a segment never needs more dots than that
        total = int(span.sum()) + 1
        if total > MAX_SAMPLES:
            step = int(np.ceil(total / MAX_SAMPLES))
            return rasterize(px[::step], py[::step], width, height)
        segment = np.repeat(np.arange(len(span)), span)
        offsets = np.arange(len(segment)) - np.repeat(np.cumsum(span) - span, span)
        t = offsets / span[segment]
        xs = np.concatenate([start_x[segment] + (end_x - start_x)[segment] * t, end_x[-1:]])
        ys = np.concatenate([start_y[segment] + (end_y - start_y)[segment] * t, end_y[-1:]])
    dot_x = np.floor(xs).astype(np.int64)
    dot_y = np.floor(ys).astype(np.int64)
    inside = (dot_x >= 0) & (dot_x < 2 * width) & (dot_y >= 0) & (dot_y < 4 * height)
    dot_x, dot_y = dot_x[inside], dot_y[inside]
    codes = np.zeros((height, width), dtype=np.uint8)
    np.bitwise_or.at(codes, (dot_y // 4, dot_x // 2), _BITS[dot_y % 4, dot_x % 2])
    rows, cols = np.nonzero(codes)
    return rows, cols, codes[rows, cols]


def rasterize_many(lines: list[tuple[np.ndarray, np.ndarray]], width: int, height: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Several polylines at once: (rows, cols, codes, line index) of each cell, the later line
    taking a cell that several touch (as drawing them in order would). One pass over all dots."""
    if not lines:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.uint8), empty
    gap = np.array([np.nan])
    px = np.concatenate([part for x, _ in lines for part in (np.asarray(x, dtype=float), gap)])
    py = np.concatenate([part for _, y in lines for part in (np.asarray(y, dtype=float), gap)])
    owner_of_point = np.concatenate([np.full(len(x) + 1, i) for i, (x, _) in enumerate(lines)])
    dot_x, dot_y, dot_owner = _dots(px, py, owner_of_point, width, height)
    cell = (dot_y // 4) * width + dot_x // 2
    owner = np.full(width * height, -1, dtype=np.int64)
    np.maximum.at(owner, cell, dot_owner)
    mine = dot_owner == owner[cell]
    codes = np.zeros(width * height, dtype=np.uint8)
    np.bitwise_or.at(codes, cell[mine], _BITS[dot_y[mine] % 4, dot_x[mine] % 2])
    cells = np.nonzero(owner >= 0)[0]
    return cells // width, cells % width, codes[cells], owner[cells]


def _dots(px, py, owner, width: int, height: int):
    """Dots along every segment between two finite consecutive points (NaN breaks a line)."""
    hx, hy = px * 2, py * 4
    sx, sy, ex, ey = hx[:-1], hy[:-1], hx[1:], hy[1:]
    keep = np.isfinite(sx) & np.isfinite(sy) & np.isfinite(ex) & np.isfinite(ey)
    lone = np.isfinite(hx) & np.isfinite(hy)
    seg_owner = owner[:-1][keep]
    sx, sy, ex, ey = sx[keep], sy[keep], ex[keep], ey[keep]
    span = np.ceil(np.maximum(np.abs(ex - sx), np.abs(ey - sy))).astype(np.int64)
    span = np.clip(span, 1, max(1, 4 * (width + height)))
    segment = np.repeat(np.arange(len(span)), span)
    offsets = np.arange(len(segment)) - np.repeat(np.cumsum(span) - span, span)
    t = offsets / span[segment] if len(segment) else np.empty(0)
    xs = np.concatenate([sx[segment] + (ex - sx)[segment] * t, ex, hx[lone]])
    ys = np.concatenate([sy[segment] + (ey - sy)[segment] * t, ey, hy[lone]])
    os_ = np.concatenate([seg_owner[segment], seg_owner, owner[lone]])
    dot_x = np.floor(xs).astype(np.int64)
    dot_y = np.floor(ys).astype(np.int64)
    inside = (dot_x >= 0) & (dot_x < 2 * width) & (dot_y >= 0) & (dot_y < 4 * height)
    return dot_x[inside], dot_y[inside], os_[inside]
