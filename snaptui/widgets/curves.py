"""Learning curves on textual-plot's PlotWidget.

Why textual-plot (0.10) and not textual-plotext (1.0.1): it is a native Textual widget that takes
numpy arrays and draws in braille (2x4 dots per cell), is released this year (textual-plotext's
last release is from 2024 and pins plotext below 6), and has no global plotting state, so several
plots can live at once. It has no log axis: log scale plots log10 of the values with a formatter
that labels the ticks with the real values.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from rich.text import Text
from textual_plot import HiResMode, NumericAxisFormatter, PlotWidget

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


class LogAxisFormatter(NumericAxisFormatter):
    """Ticks of a log10-transformed axis, labelled with the values themselves."""

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        return [f"{10 ** t:.3g}" for t in ticks]


def format_value(value: float | None) -> str:
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


class CurvesPlot(PlotWidget):
    """One line per curve, drawn in braille; `show` replaces everything at once."""

    DEFAULT_CSS = """
    CurvesPlot { height: 1fr; width: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_pan_and_zoom=True, **kwargs)

    def on_mount(self) -> None:
        super().on_mount()
        self.show_legend(is_visible=False)  # our own legend lists values; the built-in one cannot

    def show(self, lines: list[tuple[np.ndarray, np.ndarray, str]], *, log_y: bool, ylabel: str) -> None:
        """Lines as (x, y, colour); y already log-safe (<= 0 as NaN) when log_y."""
        self.clear()
        self.set_xlabel("step")
        self.set_ylabel(f"{ylabel} (log)" if log_y else ylabel)
        self.set_y_formatter(LogAxisFormatter() if log_y else NumericAxisFormatter())
        for x, y, colour in lines:
            if log_y:
                with np.errstate(all="ignore"):
                    y = np.log10(y)
            self.plot(x, y, line_style=colour, hires_mode=HiResMode.BRAILLE)


def legend_line(colour: str, label: str, value: float | None, flag: str = "") -> Text:
    text = Text.assemble(("━━ ", colour), label, " ", (format_value(value), "bold"))
    if flag:
        text.append(f"  {flag}", "bold red")
    return text
