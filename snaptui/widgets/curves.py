"""Learning curves on textual-plot's PlotWidget.

Why textual-plot (0.10) and not textual-plotext (1.0.1): it is a native Textual widget that takes
numpy arrays and draws in braille (2x4 dots per cell), is released this year (textual-plotext's
last release is from 2024 and pins plotext below 6), and has no global plotting state, so several
plots can live at once. It has no log axis: log scale plots log10 of the values with a formatter
that labels the ticks with the real values.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from rich.text import Text
from textual.css.query import NoMatches
from textual_hires_canvas import Canvas
from textual_plot import HiResMode, NumericAxisFormatter, PlotWidget

from snaptui.format import format_result
from snaptui.display.braille import rasterize_many

# viridis at five stops: perceptually ordered, readable on dark and light themes, colour-blind safe
_STOPS = [(0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)), (0.75, (94, 201, 98)),
          (1.0, (253, 231, 37))]


def colour_at(position: float) -> str:
    """A hex colour along viridis; the darkest quarter is skipped, it vanishes on a dark terminal."""
    p = 0.2 + 0.8 * min(1.0, max(0.0, position))
    for (p0, c0), (p1, c1) in zip(_STOPS, _STOPS[1:]):
        if p <= p1:
            f = (p - p0) / (p1 - p0)
            r, g, b = (round(a + (b - a) * f) for a, b in zip(c0, c1))
            return f"#{r:02x}{g:02x}{b:02x}"
    return "#fde725"


class FittingFormatter(NumericAxisFormatter):
    """Numeric ticks, as few as it takes for their labels to fit the axis's `room` (columns) with a gap
    between each two: at 80 columns textual-plot's eight labels ran together ('5560')."""

    room = 0

    def get_ticks_and_labels(self, min_: float, max_: float, max_ticks: int = 8) -> tuple[list[float], list[str]]:
        for count in range(max_ticks, 1, -1):
            ticks = self.get_ticks(min_, max_, count)
            labels = self.get_labels_for_ticks(ticks)
            if not self.room or sum(len(label) + 2 for label in labels) <= self.room:
                return ticks, labels
        return ticks, labels


class LogAxisFormatter(FittingFormatter):
    """Ticks of a log10-transformed axis, labelled with the values themselves."""

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        return [f"{10 ** t:.3g}" for t in ticks]


class CurvesPlot(PlotWidget):
    """One line per curve, drawn in braille; `show` replaces everything at once.

    Lines are drawn by braille.rasterize instead of the canvas's per-cell Python path (100
    curves: ~1 s there); this overrides textual-plot's private `_render_line_plot`, hence the
    pin to textual-plot 0.10.x. Axes, ticks, scaling, zoom and pan remain textual-plot's.
    """

    DEFAULT_CSS = """
    CurvesPlot { height: 1fr; width: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_pan_and_zoom=True, **kwargs)
        self._x_fit = FittingFormatter()

    def _render_y_label(self) -> None:
        """The label's margin cleared first: a shorter label was drawn over the longer one ('trvalueoss')."""
        try:
            self.query_one("#margin-top", Canvas).reset()
        except NoMatches:
            pass
        super()._render_y_label()

    def on_mount(self) -> None:
        super().on_mount()
        self.show_legend(is_visible=False)  # our own legend lists values; the built-in one cannot

    def show(self, lines: list[tuple[np.ndarray, np.ndarray, str]], *, log_y: bool, ylabel: str) -> None:
        """Lines as (x, y, colour); y already log-safe (<= 0 as NaN) when log_y."""
        self.clear()
        self.set_xlabel("step")
        self.set_ylabel(f"{ylabel} (log)" if log_y else ylabel)
        self.set_y_formatter(LogAxisFormatter() if log_y else NumericAxisFormatter())
        self.set_x_formatter(self._x_fit)
        for x, y, colour in lines:
            if log_y:
                with np.errstate(all="ignore"):
                    y = np.log10(y)
            self.plot(x, y, line_style=colour, hires_mode=HiResMode.BRAILLE)


    def _render_plot(self) -> None:
        try:
            canvas = self.query_one("#plot", Canvas)
        except NoMatches:
            return super()._render_plot()
        self._pending: list[tuple[np.ndarray, np.ndarray, str]] = []
        self._x_fit.room = canvas.size.width   # the x labels: as many as fit
        with canvas.batch_refresh():  # one refresh for the whole plot, not one per cell
            super()._render_plot()   # axes, ticks, labels; lines only collected (below)
            self._flush_lines(canvas)

    def _render_line_plot(self, dataset) -> None:
        region = self._scale_rectangle
        x_span = (self._x_max - self._x_min) or 1.0
        y_span = (self._y_max - self._y_min) or 1.0
        px = region.x + (np.asarray(dataset.x, dtype=float) - self._x_min) / x_span * region.width
        py = region.bottom - (np.asarray(dataset.y, dtype=float) - self._y_min) / y_span * region.height
        self._pending.append((px, py, dataset.line_style))

    def _flush_lines(self, canvas) -> None:
        """All lines rasterized in one numpy pass; a later line takes a cell several share."""
        size, region = canvas._canvas_size, self._scale_rectangle
        if not size.width or not size.height or not self._pending:
            return
        rows, cols, codes, owners = rasterize_many([(x, y) for x, y, _ in self._pending], size.width, size.height)
        inside = (cols >= region.x) & (cols < region.right) & (rows >= region.y) & (rows < region.bottom)
        buffer, styles, line_styles = canvas._buffer, canvas._styles, [style for *_, style in self._pending]
        for row, col, code, owner in zip(rows[inside].tolist(), cols[inside].tolist(), codes[inside].tolist(),
                                         owners[inside].tolist()):
            buffer[row][col] = BRAILLE[code]
            styles[row][col] = line_styles[owner]


BRAILLE = [chr(0x2800 + code) for code in range(256)]


def legend_line(colour: str, label: str, value: float | None, flag: str = "", state=None) -> Text:
    """'━━ 3 lr=0.1 0.52'; a job that did not complete (`state`) has its value after the state's symbol,
    in the state's colour: shown, not ranked."""
    if state is None:
        return _flagged(Text.assemble(("━━ ", colour), label, " ", (format_result(value), "bold")), flag)
    from snaptui.format import STATE_STYLE

    return _flagged(Text.assemble(("━━ ", colour), label, " ",
                                  (f"{state.symbol}{format_result(value)}", STATE_STYLE[state])), flag)


def _flagged(text: Text, flag: str) -> Text:
    if flag:
        text.append(f"  {flag}", "bold red")
    return text
