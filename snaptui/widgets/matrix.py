"""The sweep matrix: rows x columns of parameter values, one cell per job.

A Line-API widget: only the visible lines are rendered, and of each line only the
visible cells, so a 10,000-job sweep opens and scrolls as fast as a 10-job one.
The header row and the row labels stay put while the cells scroll under them.
"""
from __future__ import annotations

import math

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.color import Color
from textual.events import Click
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip

from snaptui.display.aggregate import best_cell, cell_stats, goal_for, stat_text
from .jobgrid import STATE_CLASSES, JobGrid
from snaptui.display.model import SweepModel
from snaptui.format import format_result


class Matrix(JobGrid):
    mode: reactive[str] = reactive("state", init=False, repaint=False)   # "state" or a result name (heatmap)
    aggregate: reactive[bool] = reactive(False, init=False, repaint=False)   # heatmap: mean and spread over the axes not shown (seeds)

    COMPONENT_CLASSES = {"matrix--header", "matrix--label", "matrix--cursor", "matrix--marked", "matrix--missing",
                         "matrix--heat-low", "matrix--heat-high", "matrix--heat-none", "matrix--dim",
                         *STATE_CLASSES.values()}
    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False), Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False), Binding("right", "move(0, 1)", "Right", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model: SweepModel | None = None
        self.goals: dict[str, str] = {}   # result name -> "min" or "max": which cell is best
        self._stats: dict | None = None
        self.matches: set[int] | None = None   # filter: jobs not in it are dimmed
        self.cursor = (0, 0)
        self._label_width = 0
        self._cell_width = 3

    # -- data ----------------------------------------------------------------------------
    def set_model(self, model: SweepModel) -> None:
        self.model = model
        self.relayout()

    def relayout(self) -> None:
        model = self.model
        if model is None:
            return
        self._stats = None
        labels = [model.row_label(r) for r in range(min(model.n_rows, 5000))]
        corner = self._corner()
        self._label_width = min(max([len(x) for x in labels] + [len(corner)]), 24) + 1
        col_labels = [len(model.col_label(c)) for c in range(min(model.n_cols, 5000))]
        width = max(col_labels + [3])
        if self.mode != "state":
            low, high = model.results.get(self.mode, (0, 0))
            width = max(width, len(format_result(low)), len(format_result(high)), 5)
            if self.aggregate:
                width = max(width, 10)   # '★0.531±0.02
        width = min(width, 12)
        room = (self.size.width - self._label_width) // max(model.n_cols, 1) - 1
        self._cell_width = max(width, min(room, 9))   # few columns on a wide screen: bigger cells
        self.virtual_size = Size(self._label_width + model.n_cols * (self._cell_width + 1), model.n_rows + 1)
        row, col = self.cursor
        self.cursor = (min(row, model.n_rows - 1), min(col, model.n_cols - 1))
        self.refresh()

    def watch_mode(self) -> None:
        self.relayout()

    def watch_aggregate(self) -> None:
        self.relayout()

    def on_resize(self) -> None:
        self.relayout()

    def _corner(self) -> str:
        model = self.model
        if model is None or not model.axes:
            return ""
        if model.row_axis is None:
            return f"{model.axes[model.col_axis].name} →"
        return f"{model.axes[model.row_axis].name} ↓ {model.axes[model.col_axis].name} →"

    @property
    def selected(self) -> int | None:
        return self.model.cell(*self.cursor) if self.model is not None else None

    def select_job(self, index: int) -> None:
        model = self.model
        if model is None:
            return
        if model.position(index) is None:
            model.show_slice_of(index)
        position = model.position(index)
        if position is not None:
            self.cursor = position
            self._cursor_changed()

    def shows_any(self, indexes: list[int]) -> bool:
        """Whether any of these jobs has a cell on screen (a page read in the background: redraw or not)."""
        model = self.model
        if model is None or not indexes:
            return False
        wanted = set(indexes)
        scroll_x, scroll_y = self.scroll_offset
        first, last, _ = self._visible_cols(scroll_x, self.size.width - self._label_width)
        for row in range(scroll_y, min(model.n_rows, scroll_y + self.size.height)):
            if not wanted.isdisjoint(model.row_cells(row, first, last)):
                return True
        return False

    # -- rendering -------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.base_style
        model = self.model
        if model is None or not model.laid_out:
            if y == 0 and model is not None:
                text = " the grid is laid out from the jobs' parameters once every job is read (t: the table)"
                return Strip([Segment(text[:width].ljust(width), self.style("matrix--missing"))], width)
            return Strip.blank(width, base)
        scroll_x, scroll_y = self.scroll_offset
        lw = self._label_width
        if y == 0:
            label = Strip([Segment(self._corner()[: lw - 1].ljust(lw), self.style("matrix--header"))], lw)
            cells = self._header_cells(scroll_x, width - lw)
        else:
            row = scroll_y + y - 1
            if row >= model.n_rows:
                return Strip.blank(width, base)
            text = model.row_label(row)[: lw - 1].ljust(lw)
            style = self.style("matrix--header" if row == self.cursor[0] else "matrix--label")
            label = Strip([Segment(text, style)], lw)
            cells = self._row_cells(row, scroll_x, width - lw)
        return Strip.join([label, cells]).extend_cell_length(width, base).crop(0, width)

    def _visible_cols(self, scroll_x: int, width: int) -> tuple[int, int, int]:
        step = self._cell_width + 1
        first = scroll_x // step
        last = min(self.model.n_cols, (scroll_x + width) // step + 2)
        return first, last, scroll_x - first * step

    def _header_cells(self, scroll_x: int, width: int) -> Strip:
        first, last, skip = self._visible_cols(scroll_x, width)
        cw = self._cell_width
        segments = []
        for col in range(first, last):
            style = self.style("matrix--header")
            if col == self.cursor[1]:
                style = style + Style(underline=True)
            segments.append(Segment(self.model.col_label(col)[:cw].center(cw), style))
            segments.append(Segment(" ", self.base_style))
        return Strip(segments).crop(skip, skip + width)

    def _row_cells(self, row: int, scroll_x: int, width: int) -> Strip:
        model = self.model
        first, last, skip = self._visible_cols(scroll_x, width)
        cw = self._cell_width
        heat = self.mode != "state"
        low, high = model.results.get(self.mode, (0.0, 0.0)) if heat else (0.0, 0.0)
        stats = self.stats() if heat and self.aggregate else None
        if stats:
            means = [m for m, _, _ in stats.values()]
            low, high = min(means), max(means)
            best = best_cell(stats, self.goal())
        segments = []
        gap = Segment(" ", self.base_style)
        plain: dict = {}   # state -> (text, style): the same for every cell of a state
        for col, index in zip(range(first, last), model.row_cells(row, first, last)):
            if index is None:
                segments.append(Segment("".center(cw), self.style("matrix--missing")))
            elif stats is not None:
                text, style = self._stat_cell(stats.get((row, col)), low, high, cw, best == (row, col))
                if (row, col) == self.cursor:
                    style = style + self.modifier("matrix--cursor")
                segments.append(Segment(text, style))
            elif (job := model.jobs.get(index)) is None:   # not read yet: its state if known, else …
                state = model.early_states.get(index) if not heat else None
                if state is not None:
                    text, style = state.symbol.center(cw), self.style(STATE_CLASSES[state])
                else:
                    text, style = "…".center(cw), self.style("matrix--missing")
                if (row, col) == self.cursor:
                    style = style + self.modifier("matrix--cursor")
                segments.append(Segment(text, style))
            else:
                if heat:
                    text, style = self._heat_cell(job, low, high, cw)
                else:
                    found = plain.get(job.state)
                    if found is None:
                        found = plain[job.state] = (job.state.symbol.center(cw), self.style(STATE_CLASSES[job.state]))
                    text, style = found
                    if index in model.flagged:  # NaN/inf in a metric, or a silent log
                        text, style = (job.state.symbol + "!").center(cw), style + Style(color="red", bold=True)
                if index in model.marked:
                    text = "*" + text[1:]
                    style = style + self.modifier("matrix--marked")
                if self.matches is not None and index not in self.matches:
                    style = style + self.modifier("matrix--dim")
                if (row, col) == self.cursor:
                    style = style + self.modifier("matrix--cursor")
                segments.append(Segment(text, style))
            segments.append(gap)
        return Strip(segments).crop(skip, skip + width)

    def stats(self) -> dict:
        if self._stats is None:
            self._stats = cell_stats(self.model, self.mode)
        return self._stats

    def goal(self) -> str:
        return self.goals.get(self.mode) or goal_for(self.mode)

    def _stat_cell(self, stat, low: float, high: float, cw: int, best: bool) -> tuple[str, Style]:
        if stat is None:
            return "-".center(cw), self.style("matrix--heat-none")
        mean, spread, n = stat
        text = stat_text(mean, spread, n, cw - 1 if best else cw)
        text = ("★" + text).rjust(cw) if best else text.rjust(cw)
        fraction = 0.5 if high == low else (mean - low) / (high - low)
        start, end = self.style("matrix--heat-low").bgcolor, self.style("matrix--heat-high").bgcolor
        if start is None or end is None:
            return text, Style(bold=best)
        color = Color.from_rich_color(start).blend(Color.from_rich_color(end), fraction)
        return text, Style(bgcolor=color.rich_color, color=color.get_contrast_text(1.0).rich_color, bold=best)

    def _heat_cell(self, job, low: float, high: float, cw: int) -> tuple[str, Style]:
        value = self.model.value(job, self.mode)
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)[:cw].center(cw), self.style("matrix--heat-none") + Style(color="red", bold=True)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return job.state.symbol.center(cw), self.style("matrix--heat-none")
        fraction = 0.5 if high == low else (value - low) / (high - low)
        start = self.style("matrix--heat-low").bgcolor
        end = self.style("matrix--heat-high").bgcolor
        if start is None or end is None:
            return format_result(value, cw).rjust(cw), Style()
        color = Color.from_rich_color(start).blend(Color.from_rich_color(end), fraction)
        style = Style(bgcolor=color.rich_color, color=color.get_contrast_text(1.0).rich_color)
        return format_result(value, cw).rjust(cw), style

    # -- cursor and scrolling ------------------------------------------------------------
    def _move_to(self, row: int, col: int) -> None:
        model = self.model
        if model is None:
            return
        row = max(0, min(row, model.n_rows - 1))
        col = max(0, min(col, model.n_cols - 1))
        if (row, col) != self.cursor:
            rows, self.cursor = (self.cursor[0], row), (row, col)
            self._cursor_changed(rows)

    def _scroll_to_cursor(self) -> None:
        row, col = self.cursor
        step = self._cell_width + 1
        self._scroll_into_view(row, col * step, step, max(self.size.width - self._label_width, step))

    def action_move(self, rows: int, cols: int) -> None:
        self._move_to(self.cursor[0] + rows, self.cursor[1] + cols)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor[0] + direction * max(self.size.height - 2, 1), self.cursor[1])

    def action_edge(self, direction: int) -> None:
        model = self.model
        if model is not None:
            self._move_to(self.cursor[0], 0 if direction < 0 else model.n_cols - 1)

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self.model is None or offset.y == 0 or offset.x < self._label_width:
            return
        col = (offset.x - self._label_width + int(self.scroll_x)) // (self._cell_width + 1)
        row = offset.y - 1 + int(self.scroll_y)
        if row < self.model.n_rows and col < self.model.n_cols:
            self._move_to(row, col)
            self._activate_on_double_click(event.chain)
