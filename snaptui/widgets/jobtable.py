"""The flat job table: one line per job, sortable and filterable, rendering only visible lines."""
from __future__ import annotations

from typing import Callable

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from snaptui.engine.states import JobState
from .jobgrid import STATE_CLASSES, JobGrid
from snaptui.display.model import SweepModel
from snaptui.display.sortedrows import SortedRows
from snaptui.display.columns import JobColumn, column as job_column, metric_column, natural_key, result_column
from snaptui.display.text import truncate
from snaptui.format import safe

TABLE_COLUMNS = ["index", "label", "state", "cause", "attempt", "executor_id", "node", "elapsed", "exit"]  # columns.py
BASE_COLUMNS = ["mark", *TABLE_COLUMNS]
# The table's own columns, drawn from its state rather than the job: the mark and a running job's last line.
OWN_TITLES = {"mark": " ", "last": "last line"}
OWN_MAX_WIDTH = {"mark": 1, "last": 60}
FROZEN = ("mark", "index", "label")   # stay put while the other columns scroll sideways
# What the state filter key cycles through: name -> the states it shows (None: every job). "failed"
# takes timeouts with it, as the next-failed key does; UNKNOWN jobs show only under "all".
STATE_FILTERS: dict[str, frozenset | None] = {
    "all": None,
    "running": frozenset({JobState.RUNNING}),
    "failed": frozenset({JobState.FAILED, JobState.TIMEOUT}),
    "pending": frozenset({JobState.PENDING}),
    "completed": frozenset({JobState.COMPLETED}),
    "cancelled": frozenset({JobState.CANCELLED}),
}
class JobTable(JobGrid):
    COMPONENT_CLASSES = {"jobtable--header", "jobtable--cursor", "jobtable--marked", *STATE_CLASSES.values()}
    BINDINGS = [Binding("left,h", "scroll_left", show=False), Binding("right,l", "scroll_right", show=False)]

    class SortChanged(Message):
        """The order changed (a key or a click on a header): the caption says which."""

    class RowsWanted(Message):
        """Rows on screen whose jobs are not read yet: the jobs `first`..`first + count - 1` by index
        (the table in index order while the sweep is read shows every job, read or not)."""

        def __init__(self, first: int, count: int) -> None:
            super().__init__()
            self.first, self.count = first, count

    def __init__(self, clock: Callable[[], float], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.model: SweepModel | None = None
        self.rows: list[int] | range | SortedRows = []   # range: every job, read or not; SortedRows: by a column
        self.cursor = 0
        self.sort_key = "index"
        self.sort_reverse = False
        self.filter_text = ""
        self.state_filter = "all"
        self.columns: list[str] = list(BASE_COLUMNS)
        self.widths: dict[str, int] = {}
        self.last_lines: dict[int, str] = {}   # running jobs: what they printed last (set by the screen)
        self.chosen: list[str] | None = None   # result and metric columns ([tui] columns, o); None: each result
        self._data: dict[str, JobColumn] = {}   # those columns as shown, made at rebuild from the model's values
        self._considered: set[int] | None = None   # while the sweep is read: the jobs the rows were made from
        self._unread_shown: set[int] = set()   # jobs drawn as not read yet since the screen was last asked for them

    def set_model(self, model: SweepModel) -> None:
        self.model = model
        self.rebuild()

    # -- rows ---------------------------------------------------------------------------
    def cell_text(self, job, column: str, now: float) -> str:
        if column == "mark":
            return "*" if self.model and job.index in self.model.marked else " "
        if column == "last":
            return safe(self.last_lines.get(job.index, "")) if job.state.value == "RUNNING" else ""
        return self._column(column).text(job, now)

    def _column(self, key: str) -> JobColumn:
        found = self._data.get(key)
        return found if found is not None else job_column(key)

    def _sort_value(self, job):
        key = self.sort_key
        if key in OWN_TITLES:
            return (natural_key(self.cell_text(job, key, 0)), job.index)
        return self._column(key).sort_value(job, self.clock())

    # -- which result and metric columns ---------------------------------------------------
    def result_choices(self) -> list[str]:
        """Each result: reported at the end ("loss"), or a metric's last value while the job runs."""
        model = self.model
        if model is None:
            return []
        names = list(model.reported_names)
        return names + [mode[:-len(" final")] for mode in model.metric_values if mode.endswith(" final")
                        and mode[:-len(" final")] not in names]

    def data_choices(self) -> list[str]:
        """What may be a column: each result, then each metric summary ("loss best", "acc mean10")."""
        modes = [m for m in (self.model.metric_values if self.model is not None else {}) if not m.endswith(" final")]
        return self.result_choices() + modes

    def _data_key(self, choice: str) -> str:
        return f"m:{choice}" if self.model is not None and choice in self.model.metric_values \
            and not choice.endswith(" final") and choice not in self.model.reported_names else f"r:{choice}"

    def _make_data(self) -> None:
        """The chosen columns (else each result) that have a value somewhere; empty ones are not shown."""
        model, made = self.model, {}
        values = model.metric_values if model is not None else {}
        wanted = self.chosen if self.chosen is not None else self.result_choices()
        for choice in wanted:
            key = self._data_key(choice)
            if key.startswith("m:"):
                if values.get(choice):
                    made[key] = metric_column(choice, values[choice])
            elif choice in model.reported_names or values.get(f"{choice} final"):
                made[key] = result_column(choice, values.get(f"{choice} final"))
        self._data = made

    @property
    def filtering(self) -> bool:
        """Whether some jobs may be hidden: by the `/` text, the state filter, or both (they combine)."""
        return bool(self.filter_text) or STATE_FILTERS[self.state_filter] is not None

    def matching(self) -> list[int]:
        model = self.model
        if model is None:
            return []
        if not self.filtering:
            return list(model.order)
        return self._matching(model.order)

    def _matching(self, indexes: list[int]) -> list[int]:
        """Those of `indexes` the filters show."""
        jobs, needle, states = self.model.jobs, self.filter_text.lower(), STATE_FILTERS[self.state_filter]

        def shown(job) -> bool:
            if states is not None and job.state not in states:
                return False
            return not needle or needle in job.label.lower() or needle in job.state.value.lower() \
                or needle in job.attempt.cause_text.lower()

        return [i for i in indexes if shown(jobs[i])]

    def cycle_state_filter(self) -> str:
        """Show only the next group of states (all, running, failed, ...); returns its name."""
        names = list(STATE_FILTERS)
        self.state_filter = names[(names.index(self.state_filter) + 1) % len(names)]
        self.rebuild()
        return self.state_filter

    def rebuild(self) -> None:
        """Re-filter, re-sort and re-measure; the cursor stays on the same job."""
        model = self.model
        if model is None:
            return
        keep = self.selected
        self._make_data()
        self.columns = self._wanted_columns()
        # jobs read before this rebuild but not yet handed to take_added must not be taken twice
        self._considered = None if model.complete else set(model.jobs)
        if self.every_job_a_row:
            rows = range(model.total)
        else:
            rows = self.matching()   # in index order: the usual order needs no sort (0.1 s at 100,000 jobs)
        if self.sort_key == "index" and self.sort_reverse:
            rows.reverse()
        elif self.sort_key != "index":
            rows = SortedRows(sorted((self._sort_value(model.jobs[i]), i) for i in rows), reverse=self.sort_reverse)
        self.rows = rows
        now = self.clock()
        sample = [model.jobs[i] for i in rows[:2000] if i in model.jobs]
        widths = {}
        for column in self.columns:
            title = self._title(column)
            longest = max((len(self.cell_text(job, column, now)) for job in sample), default=0)
            widths[column] = min(max(longest, len(title)), self._max_width(column))
        widths["elapsed"] = max(widths["elapsed"], 7)
        widths["index"] = max(widths["index"], len(str(max(model.total - 1, 0))))   # beyond the rows measured
        self.widths = widths
        total = sum(widths.values()) + len(self.columns)
        self.virtual_size = Size(total, len(rows) + 1)
        if keep is not None and keep in rows:
            self.cursor = rows.index(keep)
        self.cursor = max(0, min(self.cursor, len(rows) - 1))
        self.call_after_refresh(self._scroll_to_cursor)   # once the new size is known: the cursor stays in view
        self.refresh()

    @property
    def every_job_a_row(self) -> bool:
        """While the sweep is read, the table in index order, unfiltered, has a row for every job: row n
        is job n, drawn once the screen has read it (RowsWanted), so End and PageDown go anywhere."""
        model = self.model
        return (model is not None and not model.complete and self.sort_key == "index"
                and not self.sort_reverse and not self.filtering)

    def rows_read(self, jobs: list) -> None:
        """Jobs read for rows drawn as not read: the columns widen to fit them, and they are drawn."""
        now, widths = self.clock(), self.widths
        for column in self.columns:
            longest = max((len(self.cell_text(job, column, now)) for job in jobs), default=0)
            if longest > widths.get(column, 0):
                widths[column] = min(longest, self._max_width(column))
        self.virtual_size = Size(sum(widths.values()) + len(self.columns), self.virtual_size.height)
        self.refresh()

    def _wanted_columns(self) -> list[str]:
        return BASE_COLUMNS + list(self._data) + (["last"] if self.last_lines else [])

    def data_changed(self) -> None:
        """Results or metric values changed: the columns they make may come or go."""
        before = list(self._data)
        self._make_data()
        if list(self._data) != before:
            self.rebuild()
        else:
            self.refresh()

    def take_added(self, added: list[int]) -> None:
        """Jobs read in the background since the last call (index order). In the default order they are
        appended (the rows shown stay as they are, and only a new row on screen is drawn); in another
        order they are merged in by the sort values the rows were sorted by (a rebuild would work out
        every row's again: ~0.1 s at 100,000 jobs, each time a page is drawn)."""
        model = self.model
        if model is None:
            return
        self._make_data()   # a page may bring the first value of a result
        if isinstance(self.rows, range) and self.columns == self._wanted_columns() and not model.complete:
            self.refresh()   # every job has its row already: some on screen may have been read
            return
        if self.columns != self._wanted_columns() or isinstance(self.rows, range) \
                or (self.sort_key == "index" and (self.sort_reverse or (self.rows and min(added) < self.rows[-1]))) \
                or (self.sort_key != "index" and not isinstance(self.rows, SortedRows)):
            self.rebuild()
            return
        if self._considered is not None:
            added = [i for i in added if i not in self._considered]
            self._considered.update(added)
        if self.filtering:
            added = self._matching(added)
        if not added:
            return
        if self.sort_key != "index":
            self._merge_sorted(added)
            return
        before = len(self.rows)
        self.rows += added
        self.virtual_size = Size(self.virtual_size.width, len(self.rows) + 1)
        if before <= self.scroll_y + self.size.height:   # new rows on screen (or the cursor had none)
            self.cursor = max(0, min(self.cursor, len(self.rows) - 1))
            self.refresh()

    def _merge_sorted(self, added: list[int]) -> None:
        keep = self.selected
        jobs = self.model.jobs
        self.rows.add([(self._sort_value(jobs[i]), i) for i in added])   # in time for the batch, not every row
        self.virtual_size = Size(self.virtual_size.width, len(self.rows) + 1)
        if keep is not None:
            self.cursor = self.rows.index(keep)
        self.call_after_refresh(self._scroll_to_cursor)   # the cursor's job stays in view
        self.refresh()

    def _max_width(self, column: str) -> int:
        return OWN_MAX_WIDTH[column] if column in OWN_TITLES else self._column(column).max_width

    def _title(self, column: str) -> str:
        title = OWN_TITLES.get(column) or self._column(column).title
        if column == self.sort_key:
            title += "▼" if self.sort_reverse else "▲"
        return title

    @property
    def selected(self) -> int | None:
        return self.rows[self.cursor] if self.rows and 0 <= self.cursor < len(self.rows) else None

    def select_job(self, index: int) -> None:
        if index in self.rows:
            self.cursor = self.rows.index(index)
            self._scroll_to_cursor()
            self.refresh()

    def cycle_sort(self) -> str:
        """The next column, left to right as the header shows them."""
        keys = [c for c in self.columns if c != "mark"]
        position = keys.index(self.sort_key) if self.sort_key in keys else -1
        self.sort_key = keys[(position + 1) % len(keys)]
        self.sort_reverse = False
        self.rebuild()
        self.post_message(self.SortChanged())
        return self._title(self.sort_key)

    def reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.rebuild()
        self.post_message(self.SortChanged())

    def sort_by(self, column: str) -> None:
        if self.sort_key == column:
            self.reverse()
            return
        self.sort_key, self.sort_reverse = column, False
        self.rebuild()
        self.post_message(self.SortChanged())

    # -- rendering ------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.base_style
        scroll_x, scroll_y = self.scroll_offset
        segments = []
        if y == 0:
            header = self.style("jobtable--header")
            for column in self.columns:
                text = self._fit(self._title(column), column)
                segments += [Segment(text, header), Segment(" ", header)]
            return self._frozen_crop(segments, scroll_x, width)
        else:
            position = scroll_y + y - 1
            if position >= len(self.rows) or self.model is None:
                return Strip.blank(width, base)
            index = self.rows[position]
            job = self.model.jobs.get(index)
            now = self.clock()
            row_style = Style()
            if index in self.model.marked:
                row_style += self.modifier("jobtable--marked")
            if position == self.cursor:
                row_style += self.modifier("jobtable--cursor")
            if job is None:
                return self._unread_line(index, base + row_style, scroll_x, width)
            for column in self.columns:
                style = base + row_style
                if column == "state":
                    style = base + self.style(STATE_CLASSES[job.state]) + row_style
                segments += [Segment(self._fit(self.cell_text(job, column, now), column), style),
                             Segment(" ", base + row_style)]
        return self._frozen_crop(segments, scroll_x, width)

    @property
    def frozen_width(self) -> int:
        """The cells of the columns that stay put (FROZEN), with their gaps."""
        return sum(self.widths.get(c, 0) + 1 for c in self.columns if c in FROZEN)

    def _frozen_crop(self, segments: list[Segment], scroll_x: int, width: int) -> Strip:
        """The frozen columns as they are, then the others from `scroll_x` (two segments a column)."""
        strip = Strip(segments)
        frozen = min(self.frozen_width, width)
        if not scroll_x:
            return strip.crop(0, width).extend_cell_length(width, self.base_style)
        head = strip.crop(0, frozen)
        tail = strip.crop(frozen + scroll_x, scroll_x + width)
        return Strip.join([head, tail]).extend_cell_length(width, self.base_style)

    def _unread_line(self, index: int, style: Style, scroll_x: int, width: int) -> Strip:
        """A row whose job is not read yet: its index and `…`; the screen is asked for the jobs of
        every such row drawn in this frame, once (RowsWanted)."""
        if not self._unread_shown:
            self.call_later(self._ask_for_unread)
        self._unread_shown.add(index)
        texts = {"index": str(index), "state": "…"}
        segments = [Segment(self._fit(texts.get(column, ""), column) + " ", style) for column in self.columns]
        return self._frozen_crop(segments, scroll_x, width)

    def _ask_for_unread(self) -> None:
        unread, self._unread_shown = self._unread_shown, set()
        if unread:
            first = min(unread)
            self.post_message(self.RowsWanted(first, max(unread) - first + 1))

    def _fit(self, text: str, column: str) -> str:
        width = self.widths.get(column, len(text))
        text = truncate(text, width)
        right = column not in OWN_TITLES and self._column(column).right
        return text.rjust(width) if right else text.ljust(width)

    def set_last_lines(self, lines: dict[int, str]) -> None:
        had = bool(self.last_lines)
        self.last_lines = lines
        if had != bool(lines) or any(len(line) > self.widths.get("last", 0) for line in lines.values()):
            self.rebuild()   # the column appears, goes, or widens
        else:
            self.refresh()

    # -- cursor -----------------------------------------------------------------------------
    def _move_to(self, position: int) -> None:
        if not self.rows:
            return
        position = max(0, min(position, len(self.rows) - 1))
        if position != self.cursor:
            rows, self.cursor = (self.cursor, position), position
            self._cursor_changed(rows)

    def _scroll_to_cursor(self) -> None:
        self._scroll_into_view(self.cursor)

    def action_move(self, rows: int, _cols: int = 0) -> None:
        self._move_to(self.cursor + rows)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(self.size.height - 2, 1))

    def action_edge(self, direction: int) -> None:
        self._move_to(0 if direction < 0 else len(self.rows) - 1)

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = offset.x if offset.x < self.frozen_width else offset.x + int(self.scroll_x)
            for column in self.columns:
                if x < self.widths.get(column, 0) + 1:
                    if column != "mark":
                        self.sort_by(column)
                    return
                x -= self.widths.get(column, 0) + 1
            return
        self._move_to(offset.y - 1 + int(self.scroll_y))
        self._activate_on_double_click(event.chain)
