"""Aligned columns as one rich Text: a table of many rows printed in milliseconds.

rich's Table measures, wraps and pads every cell through its renderer: ~1 ms a cell, so
`snaptui metrics` spent 0.45 s on a 100-row table (and a one-job table of 10,000 steps took
seconds). Here a column is as wide as its widest cell, columns are two spaces apart, headers are
bold, as rich's Table(box=None) lays them out; a line wider than the terminal is left whole for
the terminal to wrap, not squeezed into wrapped cells.
"""
from __future__ import annotations

from typing import Collection, Sequence

from rich.cells import cell_len
from rich.text import Text

GAP = "  "


def aligned(headers: Sequence[str], rows: Sequence[Sequence[str | Text]], right: Collection[int] = ()) -> Text:
    """`rows` under `headers`; the columns at the positions in `right` right-aligned (numbers), the others
    left-aligned. Print it with soft_wrap=True: a console would otherwise wrap its long lines."""
    cells = [[cell if isinstance(cell, Text) else Text(cell) for cell in row] for row in rows]
    widths = [cell_len(h) for h in headers]
    for row in cells:
        for at, cell in enumerate(row):
            widths[at] = max(widths[at], cell.cell_len)
    out = Text()
    out.append(_line([Text(h, "bold") for h in headers], widths, right))
    for row in cells:
        out.append("\n")
        out.append(_line(row, widths, right))
    return out


def _line(row: list[Text], widths: list[int], right: Collection[int]) -> Text:
    line = Text()
    last = len(row) - 1
    for at, cell in enumerate(row):
        pad = " " * (widths[at] - cell.cell_len)
        if at in right:
            line.append(pad)
            line.append(cell)
        else:
            line.append(cell)
            if at < last:
                line.append(pad)
        if at < last:
            line.append(GAP)
    line.rstrip()
    return line
