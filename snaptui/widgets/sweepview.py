"""One sweep as the sweep screen shows it: counts and ETA, the axes or the table's order, the filter,
the parameter grid or the flat job table, the selected job's line.

The view's state is held in reactives (`model`, `shown`, `mode`, `over`): setting one redraws
what depends on it. The screen reads the jobs and feeds the model in (`jobs_changed`, `jobs_added`,
`laid_out`, ...); the keys that only change what is shown are the view's own (VIEW_ACTIONS), those that
act on jobs or open another screen are the screen's. A job opened (a double click) bubbles up as
JobGrid.Activated.
"""
from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import ContentSwitcher, Input, Static

from snaptui.display import actions
from snaptui.display.aggregate import choices
from snaptui.display.lines import axes_line, job_line, status_line
from snaptui.display.model import SweepModel
from snaptui.engine.views import results_hint
from .filterbox import FilterBox
from .jobgrid import JobGrid
from .jobtable import JobTable
from .matrix import Matrix

VIEW_ACTIONS = ("mark", "mark_all", "toggle_table", "cycle_view", "filter", "aggregate", "goal", "row_axis",
                "col_axis", "prev_slice", "next_slice", "state_filter", "next_failed", "sort", "reverse")


class SweepView(Vertical):
    BINDINGS = actions.bindings("sweep", only=VIEW_ACTIONS)
    DEFAULT_CSS = "SweepView { height: 1fr; }"

    model: reactive[SweepModel | None] = reactive(None, init=False, always_update=True)
    shown: reactive[str] = reactive("matrix", init=False)     # "matrix" (the grid) or "table"
    mode: reactive[str] = reactive("state", init=False)       # the grid: "state" or a result (heatmap)
    over: reactive[int | None] = reactive(None, init=False)   # heatmap: the parameter (axis) averaged over

    def __init__(self, clock: Callable[[], float], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.table_stale = False   # jobs changed while the table was hidden: sorted and measured when shown
        self.held = ""             # why pending jobs wait, when it is not their sweep (the screen says)

    def compose(self) -> ComposeResult:
        yield Static("loading…", id="status", classes="status-bar")
        yield Static("", id="axes", classes="status-bar")
        yield FilterBox("filter jobs by label or state; enter to keep, escape to clear", id="filter")
        with ContentSwitcher(initial="matrix", id="views"):
            yield Matrix(id="matrix")
            yield JobTable(self.clock, id="table")
        yield Static("", id="selected", classes="status-bar")

    @property
    def matrix(self) -> Matrix:
        return self.query_one(Matrix)

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    @property
    def on_table(self) -> bool:
        return self.shown == "table"

    # -- reactive state ---------------------------------------------------------------------
    def watch_model(self, model: SweepModel | None) -> None:
        if model is None:
            return
        self.matrix.set_model(model)
        self.table.model = model
        self.table_stale = True   # sorted and measured when first shown
        self.show_status()
        self.show_axes()
        self.show_selected()
        if not model.laid_out:   # no grid until every job is read: the table's first rows meanwhile
            self.shown = "table"

    def watch_shown(self, before: str, shown: str) -> None:
        job = self._job_at(self.matrix if before == "matrix" else self.table)
        self.query_one(ContentSwitcher).current = shown
        if shown == "table" and self.table_stale:
            self.table_stale = False
            self.table.rebuild()
        view = self.current
        if job is not None:
            view.select_job(job.index)
        view.focus()
        self.show_axes()
        self.show_selected()

    def watch_mode(self, mode: str) -> None:
        self.matrix.mode = mode
        self.show_axes()

    def watch_over(self, over: int | None) -> None:
        self.matrix.over = over
        self.show_axes()

    # -- what the screen feeds in -------------------------------------------------------------
    def jobs_changed(self) -> None:
        """Jobs already read changed (states, results): redraw what shows them."""
        model, matrix = self.model, self.matrix
        if self.mode != "state" and self.mode not in model.results:
            self.mode = "state"
        matrix.relayout() if self.mode != "state" else matrix.refresh()
        table = self.table
        if self.on_table or table.filtering:
            table.rebuild()
            matrix.matches = set(table.rows) if table.filtering else None   # a job left the state shown
            matrix.refresh()
            self.show_axes()
        else:
            self.table_stale = True   # re-sorted when shown: 10,000 rows cost ~40 ms
        self.show_status()
        self.show_selected()

    def jobs_added(self, added: list[int]) -> None:
        """Jobs read in the background: cells on screen that showed `…`, the table's new rows, the counts
        of jobs read."""
        matrix = self.matrix
        if self.mode != "state":
            matrix.relayout()
        elif matrix.shows_any(added):
            matrix.refresh()
        table = self.table
        if self.on_table or table.filtering:
            table.take_added(added)
            if table.filtering:
                matrix.matches = set(table.rows)
                matrix.refresh()
        else:
            self.table_stale = True
        self.show_status()
        self.show_axes()
        self.show_selected()

    def rows_read(self, jobs: list) -> None:
        """Jobs read for the table's rows on screen (End, PageDown while the sweep is read)."""
        self.table.rows_read(jobs)
        self.show_selected()

    def laid_out(self) -> None:
        """The grid's axes are known (from every job's parameters)."""
        self.matrix.relayout()
        self.show_axes()
        self.show_selected()

    def metrics_changed(self) -> None:
        matrix = self.matrix
        matrix.relayout() if self.mode != "state" else matrix.refresh()
        if self.on_table:
            self.table.data_changed()   # live values; a metric's column may appear
        else:
            self.table_stale = True
        self.show_selected()

    def set_columns(self, chosen: list[str] | None) -> None:
        """The result and metric columns of the table ([tui] columns, or o), None: each result."""
        table = self.table
        table.chosen = chosen
        if self.on_table:
            table.rebuild()
            self.show_axes()
        else:
            self.table_stale = True

    def tick(self) -> None:
        """Once a second while jobs run: elapsed times and the ETA."""
        if self.on_table:
            self.table.refresh()
        self.show_status()
        self.show_selected()

    def redraw(self) -> None:
        self.matrix.refresh()
        self.table.refresh()
        self.show_status()

    # -- the lines around the grid -----------------------------------------------------------
    def show_status(self) -> None:
        if self.model is not None:
            self.query_one("#status", Static).update(
                status_line(self.model, self.clock(), self.app.size.width < 120, self.held), layout=False)

    def show_axes(self) -> None:
        if self.model is None:
            return
        table = None
        if self.on_table:
            view = self.table
            table = (len(view.rows), view._title(view.sort_key))
        matrix = self.matrix
        self.query_one("#axes", Static).update(axes_line(self.model, self.mode, table, matrix.goal(),
                                                         matrix.grid if self.over is not None else None,
                                                         self.table.state_filter, self.app.size.width < 100),
                                                layout=False)

    def show_selected(self) -> None:
        job = self.selected_job()
        line = job_line(job, self.clock())
        flag = self.model.flagged.get(job.index) if job is not None and self.model is not None else None
        if flag:
            line.append(f"  ! {flag}", style="bold red")
        self.query_one("#selected", Static).update(line, layout=False)

    # -- selection ---------------------------------------------------------------------------
    @property
    def current(self) -> Matrix | JobTable:
        """The job view shown: the grid or the table."""
        return self.table if self.on_table else self.matrix

    @property
    def selected_index(self) -> int | None:
        """The index under the cursor, also of a job not read yet."""
        return self.current.selected if self.model is not None else None

    def _job_at(self, view: Matrix | JobTable):
        if self.model is None:
            return None
        index = view.selected
        return self.model.jobs.get(index) if index is not None else None

    def selected_job(self):
        return self._job_at(self.current)

    def targets(self) -> list:
        """The marked jobs, or else the selected one."""
        if self.model is None:
            return []
        if self.model.marked:
            return [self.model.jobs[i] for i in sorted(self.model.marked)]
        job = self.selected_job()
        return [job] if job is not None else []

    def still_reading(self) -> bool:
        """Whether jobs are still being read; says so, for actions that need all of them."""
        model = self.model
        if model is not None and not model.complete:
            self.notify(f"still reading this sweep's jobs ({len(model.jobs):,}/{model.total:,});"
                        " try again in a moment", severity="warning", timeout=4)
            return True
        return False

    def on_job_grid_cursor_moved(self, _message: JobGrid.CursorMoved) -> None:
        self.show_selected()

    def on_job_table_sort_changed(self, _message: JobTable.SortChanged) -> None:
        self.show_axes()

    # -- keys: marks -------------------------------------------------------------------------
    def action_mark(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        self.model.marked ^= {job.index}
        if self.on_table:
            self.table.action_move(1)
        self.redraw()

    def action_mark_all(self) -> None:
        if self.model is None or self.still_reading():
            return
        if self.model.marked:
            self.model.marked.clear()
        else:
            self.model.marked.update(self.table.matching())
        self.redraw()

    def action_next_failed(self) -> None:
        """The next FAILED or TIMEOUT job after the selected one, in the order shown; the table
        when it is in another slice of the grid."""
        model = self.model
        if model is None:
            return
        order = self.table.rows if self.on_table else list(model.order)
        failed = {i for i, job in model.jobs.items() if job.state.value in ("FAILED", "TIMEOUT")}
        if not failed or not order:
            self.notify("no failed or timed-out job in this sweep", severity="warning", timeout=3)
            return
        selected = self.current.selected
        start = order.index(selected) + 1 if selected in order else 0
        target = next((order[(start + n) % len(order)] for n in range(len(order))
                       if order[(start + n) % len(order)] in failed), None)
        if target is None:
            self.notify("no failed job among those shown", severity="warning", timeout=3)
            return
        if not self.on_table and model.position(target) is None:
            self.shown = "table"
        self.current.select_job(target)
        self.show_selected()

    # -- keys: grid or table, heatmap --------------------------------------------------------
    def action_toggle_table(self) -> None:
        self.shown = "matrix" if self.on_table else "table"

    def action_cycle_view(self) -> None:
        if self.model is None:
            return
        if self.on_table:   # the table is not coloured by the heatmap: cycling it there changed nothing seen
            self.notify("v cycles the grid's heatmap; the table is not coloured by it: t shows the grid",
                        timeout=4)
            return
        self._next_mode()

    def _next_mode(self) -> None:
        modes = ["state"] + self.model.result_names
        if len(modes) == 1:
            self.notify(f"no job has reported a result yet: {results_hint(self.model.sweep)}", severity="warning",
                        timeout=10)
            return
        self.mode = modes[(modes.index(self.mode) + 1) % len(modes)] if self.mode in modes else "state"
        self.shown = "matrix"

    def action_aggregate(self) -> None:
        """Mean ± sd over the next parameter (seed-like ones first), then none again."""
        if self.mode == "state":
            self._next_mode()
            if self.mode == "state":
                return
        offered = choices(self.model) if self.model.laid_out else []
        if not offered:
            self.notify("the grid has no parameter to average over", severity="warning", timeout=3)
            return
        at = offered.index(self.over) + 1 if self.over in offered else 0
        self.over = offered[at] if at < len(offered) else None

    def action_goal(self) -> None:
        matrix = self.matrix
        if self.mode != "state":
            matrix.goals[self.mode] = "max" if matrix.goal() == "min" else "min"
            matrix.refresh()
            self.show_axes()

    # -- keys: axes and slices ----------------------------------------------------------------
    def _regrid(self) -> None:
        job = self.selected_job()
        matrix = self.matrix
        matrix.relayout()
        if job is not None and self.model.position(job.index) is not None:
            matrix.select_job(job.index)
        self.show_axes()
        self.show_selected()

    def action_row_axis(self) -> None:
        if self.model is not None and self.model.cycle_axis("row"):
            self._regrid()

    def action_col_axis(self) -> None:
        if self.model is not None and self.model.cycle_axis("col"):
            self._regrid()

    def action_next_slice(self) -> None:
        if self.model is not None and self.model.step_slice(1):
            self._regrid()

    def action_prev_slice(self) -> None:
        if self.model is not None and self.model.step_slice(-1):
            self._regrid()

    # -- keys: the table's order and filters -----------------------------------------------------
    def action_sort(self) -> None:
        self.shown = "table"
        self.table.cycle_sort()
        self.show_axes()

    def action_reverse(self) -> None:
        self.shown = "table"
        self.table.reverse()
        self.show_axes()

    def action_state_filter(self) -> None:
        """Cycle all / running / failed / pending / completed / cancelled, on the table (the grid dims
        the others, as with `/`, whose text filter combines with this one)."""
        if self.model is None:
            return
        self.shown = "table"
        self.table.cycle_state_filter()
        self._filters_changed()

    def _filters_changed(self) -> None:
        table, matrix = self.table, self.matrix
        matrix.matches = set(table.rows) if table.filtering else None
        matrix.refresh()
        self.show_axes()
        self.show_selected()

    def clear_filters(self) -> bool:
        """Escape's first job on the sweep screen: the `/` text and the state filter go; False if none was on."""
        table = self.table
        if not table.filtering:
            return False
        box = self.query_one("#filter", FilterBox)
        box.value = ""   # Input.Changed: the text filter goes (on_input_changed)
        box.display = False
        table.filter_text, table.state_filter = "", "all"
        table.rebuild()
        self._filters_changed()
        return True

    def action_filter(self) -> None:
        self.query_one("#filter", FilterBox).open()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter" or self.model is None:
            return
        table = self.table
        table.filter_text = event.value.strip()
        table.rebuild()
        self._filters_changed()
