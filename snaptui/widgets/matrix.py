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

from snaptui.display.aggregate import Aggregation, goal_for, stat_text
from snaptui.engine.views import competes
from .jobgrid import STATE_CLASSES, JobGrid
from snaptui.display.model import SweepModel
from snaptui.format import format_result


class Matrix(JobGrid):
    mode: reactive[str] = reactive("state", init=False, repaint=False)   # "state" or a result name (heatmap)
    over: reactive[int | None] = reactive(None, init=False, repaint=False)   # heatmap: the axis averaged over (seeds)

    COMPONENT_CLASSES = {"matrix--header", "matrix--label", "matrix--cursor", "matrix--marked", "matrix--missing",
                         "matrix--heat-low", "matrix--heat-high", "matrix--heat-none", "matrix--dim",
                         *STATE_CLASSES.values()}
    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False), Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left,h", "move(0, -1)", "Left", show=False), Binding("right,l", "move(0, 1)", "Right", show=False),
        Binding("0", "line_edge(-1)", show=False), Binding("dollar_sign", "line_edge(1)", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model: SweepModel | None = None
        self.goals: dict[str, str] = {}   # result name -> "min" or "max": which cell is best
        self._agg: Aggregation | None = None   # the heatmap's mean ± sd over `over`, worked out at relayout
        self.matches: set[int] | None = None   # filter: jobs not in it are dimmed
        self.cursor = (0, 0)
        self._label_width = 0
        self._cell_width = 3

    # -- data ----------------------------------------------------------------------------
    def set_model(self, model: SweepModel) -> None:
        self.model = model
        self.relayout()

    @property
    def grid(self):
        """What the lines show: the model's grid, or the mean ± sd over a parameter (same questions)."""
        return self._agg if self._agg is not None else self.model

    def relayout(self) -> None:
        model = self.model
        if model is None:
            return
        self._agg = None
        if self.mode != "state" and self.over is not None and self.over < len(model.axes) and model.laid_out:
            self._agg = Aggregation(model, self.mode, self.over)
        grid = self.grid
        labels = [grid.row_label(r) for r in range(min(grid.n_rows, 5000))]
        corner = self._corner()
        self._label_width = min(max([len(x) for x in labels] + [len(corner)]), 24) + 1
        col_labels = [len(grid.col_label(c)) for c in range(min(grid.n_cols, 5000))]
        width = max(col_labels + [3])
        if self.mode != "state":
            span = model.span(self.mode) or (0, 0)
            width = max(width, len(format_result(span[0])) + 1, len(format_result(span[1])) + 1, 5)
            if self._agg is not None:
                width = max(width, 11)   # '★0.531±0.02✘'
        width = min(width, 13)
        room = (self.size.width - self._label_width) // max(grid.n_cols, 1) - 1
        self._cell_width = max(width, min(room, 9))   # few columns on a wide screen: bigger cells
        self.virtual_size = Size(self._label_width + grid.n_cols * (self._cell_width + 1), grid.n_rows + 1)
        row, col = self.cursor
        self.cursor = (max(min(row, grid.n_rows - 1), 0), max(min(col, grid.n_cols - 1), 0))
        self.refresh()

    def watch_mode(self) -> None:
        self.relayout()

    def watch_over(self) -> None:
        self.relayout()

    def on_resize(self) -> None:
        self.relayout()

    def _corner(self) -> str:
        model = self.model
        if model is None or not model.axes:
            return ""
        if self._agg is not None:
            return self._agg.corner()
        if model.row_axis is None:
            return f"{model.axes[model.col_axis].name} →"
        return f"{model.axes[model.row_axis].name} ↓ {model.axes[model.col_axis].name} →"

    @property
    def selected(self) -> int | None:
        if self._agg is not None:
            return self._agg.job_at(*self.cursor)
        return self.model.cell(*self.cursor) if self.model is not None else None

    def select_job(self, index: int) -> None:
        model = self.model
        if model is None:
            return
        if model.position(index) is None:
            model.show_slice_of(index)
            if self._agg is not None:
                self.relayout()
        position = self._agg.position(index) if self._agg is not None else model.position(index)
        if position is not None:
            self.cursor = position
            self._cursor_changed()

    def shows_any(self, indexes: list[int]) -> bool:
        """Whether any of these jobs has a cell on screen (a page read in the background: redraw or not)."""
        model = self.model
        if model is None or not indexes:
            return False
        if self._agg is not None:
            return True
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
            if row >= self.grid.n_rows:
                return Strip.blank(width, base)
            text = self.grid.row_label(row)[: lw - 1].ljust(lw)
            style = self.style("matrix--header" if row == self.cursor[0] else "matrix--label")
            label = Strip([Segment(text, style)], lw)
            cells = self._row_cells(row, scroll_x, width - lw)
        return Strip.join([label, cells]).extend_cell_length(width, base).crop(0, width)

    def _visible_cols(self, scroll_x: int, width: int) -> tuple[int, int, int]:
        step = self._cell_width + 1
        first = scroll_x // step
        last = min(self.grid.n_cols, (scroll_x + width) // step + 2)
        return first, last, scroll_x - first * step

    def _header_cells(self, scroll_x: int, width: int) -> Strip:
        first, last, skip = self._visible_cols(scroll_x, width)
        cw = self._cell_width
        segments = []
        for col in range(first, last):
            style = self.style("matrix--header")
            if col == self.cursor[1]:
                style = style + Style(underline=True)
            segments.append(Segment(self.grid.col_label(col)[:cw].center(cw), style))
            segments.append(Segment(" ", self.base_style))
        return Strip(segments).crop(skip, skip + width)

    def _row_cells(self, row: int, scroll_x: int, width: int) -> Strip:
        model = self.model
        first, last, skip = self._visible_cols(scroll_x, width)
        cw = self._cell_width
        heat = self.mode != "state"
        gap = Segment(" ", self.base_style)
        if self._agg is not None:
            return self._stat_cells(row, first, last, cw).crop(skip, skip + width)
        span = model.span(self.mode) if heat else None
        segments = []
        plain: dict = {}   # state -> (text, style): the same for every cell of a state
        for col, index in zip(range(first, last), model.row_cells(row, first, last)):
            if index is None:
                segments.append(Segment("".center(cw), self.style("matrix--missing")))
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
                    text, style = self._heat_cell(job, span, cw)
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

    def goal(self) -> str:
        return self.goals.get(self.mode) or goal_for(self.mode)

    def _heat_style(self, value: float, span: tuple[float, float] | None, bold: bool = False) -> Style:
        """The heat colour of a value: brighter is better, whichever direction the goal says (a loss's
        lowest value is the brightest)."""
        low, high = span or (value, value)
        fraction = 0.5 if high == low else (value - low) / (high - low)
        if self.goal() == "min":
            fraction = 1.0 - fraction
        start, end = self.style("matrix--heat-low").bgcolor, self.style("matrix--heat-high").bgcolor
        if start is None or end is None:
            return Style(bold=bold)
        color = Color.from_rich_color(start).blend(Color.from_rich_color(end), max(0.0, min(fraction, 1.0)))
        return Style(bgcolor=color.rich_color, color=color.get_contrast_text(1.0).rich_color, bold=bold)

    def _stat_cells(self, row: int, first: int, last: int, cw: int) -> Strip:
        agg = self._agg
        span, best = agg.span(), agg.best(self.goal())
        gap = Segment(" ", self.base_style)
        segments = []
        for col in range(first, last):
            text, style = self._stat_cell(agg.cell(row, col), span, cw, best == (row, col))
            if (row, col) == self.cursor:
                style = style + self.modifier("matrix--cursor")
            segments += [Segment(text, style), gap]
        return Strip(segments)

    def _stat_cell(self, cell, span, cw: int, best: bool) -> tuple[str, Style]:
        """'★0.52±0.01': the mean and spread of the COMPLETED jobs; a symbol after it when jobs of the cell
        that did not complete reported values (not in the mean), or only that symbol."""
        if cell is None or (cell.mean is None and not cell.others):
            return "-".center(cw), self.style("matrix--heat-none")
        other = cell.worst_other
        if cell.mean is None:
            return f"{other.symbol}{sum(cell.others.values())}".center(cw), self.style(STATE_CLASSES[other])
        suffix = other.symbol if other is not None else ""
        prefix = "★" if best else ""
        text = prefix + stat_text(cell.mean, cell.spread, cell.n, cw - len(prefix) - len(suffix)) + suffix
        return text.rjust(cw), self._heat_style(cell.mean, span, bold=best)

    def _heat_cell(self, job, span: tuple[float, float] | None, cw: int) -> tuple[str, Style]:
        """A job's value: heat-coloured and ranked (★ the best) if the job competes; else after its state's
        symbol, in its state's colour, never ranked."""
        value = self.model.value(job, self.mode)
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)[:cw].center(cw), self.style("matrix--heat-none") + Style(color="red", bold=True)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return job.state.symbol.center(cw), self.style("matrix--heat-none")
        if not competes(job):
            return (job.state.symbol + format_result(value, cw - 1)).rjust(cw), self.style(STATE_CLASSES[job.state])
        best = span is not None and value == (span[0] if self.goal() == "min" else span[1])
        text = ("★" if best else "") + format_result(value, cw - 1 if best else cw)
        return text.rjust(cw), self._heat_style(value, span, bold=best)

    # -- cursor and scrolling ------------------------------------------------------------
    def _move_to(self, row: int, col: int) -> None:
        model = self.model
        if model is None:
            return
        row = max(0, min(row, self.grid.n_rows - 1))
        col = max(0, min(col, self.grid.n_cols - 1))
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
        """The first or last row, in the same column."""
        if self.model is not None:
            self._move_to(0 if direction < 0 else self.grid.n_rows - 1, self.cursor[1])

    def action_line_edge(self, direction: int) -> None:
        """The first or last column, in the same row (0 and $, as in vim)."""
        if self.model is not None:
            self._move_to(self.cursor[0], 0 if direction < 0 else self.grid.n_cols - 1)

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self.model is None or offset.y == 0 or offset.x < self._label_width:
            return
        col = (offset.x - self._label_width + int(self.scroll_x)) // (self._cell_width + 1)
        row = offset.y - 1 + int(self.scroll_y)
        if row < self.grid.n_rows and col < self.grid.n_cols:
            self._move_to(row, col)
            self._activate_on_double_click(event.chain)
