"""One sweep: the parameter matrix (or the flat job table), counts and ETA, cancel and resubmit."""
from __future__ import annotations

import heapq

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import ContentSwitcher, Input, Static
from textual.worker import Worker, get_current_worker

from snaptui.display import actions, responsive
from snaptui.format import profile_label
from snaptui.display.messages import SweepMetricsChanged
from snaptui.widgets.filterbox import FilterBox
from snaptui.widgets.footer import SnaptuiFooter
from snaptui.widgets.jobgrid import JobGrid
from snaptui.widgets.jobtable import JobTable
from snaptui.display.lines import axes_line, job_line, status_line
from snaptui.widgets.matrix import Matrix
from snaptui.display.model import ETA_INLINE, SweepModel
from .base import EngineScreen, describe_error
from .sweep_actions import SweepJobActions
from .sweep_metrics import SweepMetricsWatcher
from .sweep_reading import SweepReading
from .sweep_views import SweepViewActions
from .sweeps import sweep_branch

FULL_RELOAD = 2000  # above this many changed jobs, fetch the whole sweep in one query
LAST_LINE_JOBS = 200  # running jobs whose last log line the table shows (8 KiB read each, once a second)


def jobs_by_index(engine, sweep_id: int, indexes: list[int]) -> list:
    """Some jobs of a sweep in one query (resolve_job would recount the sweep for each)."""
    return engine.jobs_by_index(sweep_id, indexes)


class SweepScreen(SweepReading, SweepJobActions, SweepViewActions, EngineScreen):
    SCOPE = "sweep"
    BINDINGS = actions.bindings("sweep")
    AUTO_FOCUS = "#matrix"

    def __init__(self, sweep_id: int) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.model: SweepModel | None = None
        self._changed: set[int] = set()   # jobs changed since they were last read
        self._table_stale = False
        self._init_reading()

    def compose(self) -> ComposeResult:
        yield Static(f"sweep {self.sweep_id}", id="title", classes="title-bar")
        yield Static("loading…", id="status", classes="status-bar")
        yield Static("", id="axes", classes="status-bar")
        yield FilterBox("filter jobs by label or state; enter to keep, escape to clear", id="filter")
        with ContentSwitcher(initial="matrix", id="views"):
            yield Matrix(id="matrix")
            yield JobTable(self.now, id="table")
        yield Static("", id="selected", classes="status-bar")
        yield SnaptuiFooter()

    def on_mount(self) -> None:
        responsive.keep(self)   # the app's own long-lived objects too: a full pass over them took ~0.1 s early in a read
        self.call_engine(self._load, done=self._loaded, group="load")
        self.set_interval(1.0, self._tick, name="clock")
        SweepMetricsWatcher(self).start()

    def on_unmount(self) -> None:
        responsive.release(self)

    # -- data ----------------------------------------------------------------------------
    def _loaded(self, model: SweepModel) -> None:
        self.model = model
        self.query_one(Matrix).set_model(model)
        self.query_one(JobTable).model = model
        self._table_stale = True   # sorted and measured when first shown
        sweep = model.sweep
        snap = sweep.snapshot or {}
        title = Text()
        title.append(f"sweep {sweep.id} ", style="bold")
        title.append(sweep.name, style="bold")
        title.append(f"  {profile_label(sweep)}  {model.sweep.total} jobs  ", style="dim")
        title.append(sweep_branch(sweep))
        if snap.get("commit"):
            title.append(f" @ {snap['commit'][:10]}", style="dim")
        self.query_one("#title", Static).update(title)
        self._show_status()
        self._show_axes()
        self._show_selected()
        self._read_changed()
        if not model.laid_out:   # no grid until every job is read: the table's first rows meanwhile
            self.action_toggle_table()
        if not model.complete:   # once the first screen is drawn: the read competes with drawing it
            self.call_after_refresh(self._read_rest)

    def engine_events(self, events: list) -> None:
        self._changed.update(e.job_index for e in events if e.sweep_id == self.sweep_id)
        self._read_changed()

    def _read_changed(self) -> None:
        """One read at a time: what changes during a read is read when it ends (on_worker_state_changed),
        so a stream of changes is followed rather than each read cancelling the last."""
        if self._changed and self.model is not None and not self.reading("fetch"):
            wanted, self._changed = self._changed, set()
            self._fetch(wanted)

    @work(thread=True, exclusive=True, group="fetch", exit_on_error=False)
    def _fetch(self, wanted: set[int]) -> None:
        if len(wanted) > FULL_RELOAD:
            jobs = self.engine.jobs(self.sweep_id)
        else:
            jobs = jobs_by_index(self.engine, self.sweep_id, sorted(wanted))
        # while the sweep is still being read, its counts come from the store (one aggregate query)
        counts = None if self.model.complete else self.engine.sweep(self.sweep_id).counts
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._fetched, jobs, counts)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group in ("fetch", "window") and event.worker.is_finished:
            if event.worker.error is not None:
                self.notify(describe_error(event.worker.error), title="snaptui", severity="error", timeout=8)
            self._read_changed() if event.worker.group == "fetch" else self._read_window()

    def _fetched(self, jobs: list, counts: dict | None = None) -> None:
        if not self.is_attached:
            return
        if counts is not None:
            self.model.set_counts(counts)
        changed = self.model.update(jobs)
        if changed:
            matrix = self.query_one(Matrix)
            if matrix.mode != "state" and matrix.mode not in self.model.results:
                matrix.mode = "state"
            matrix.relayout() if matrix.mode != "state" else matrix.refresh()
            table = self.query_one(JobTable)
            if self.query_one(ContentSwitcher).current == "table" or table.filtering:
                table.rebuild()
                matrix.matches = set(table.rows) if table.filtering else None   # a job left the state shown
                matrix.refresh()
                self._show_axes()
            else:
                self._table_stale = True   # re-sorted when shown: 10,000 rows cost ~40 ms
            self._show_status()
            self._show_selected()

    def _tick(self) -> None:
        """Once a second: elapsed times and the ETA of running jobs (the model keeps which are running,
        so a tick costs what is running, not the sweep's size)."""
        if self.model is None:
            return
        running = self.model.running
        table = self.query_one(JobTable)
        if not running and table.last_lines:
            table.set_last_lines({})
        if running:
            if self.query_one(ContentSwitcher).current == "table":
                table.refresh()
                self._read_last_lines(self._running_jobs())
            self._show_status()
            self._show_selected()

    def _running_jobs(self) -> list:
        """The first LAST_LINE_JOBS running jobs by index: those whose last log line the table shows."""
        return [self.model.jobs[i] for i in heapq.nsmallest(LAST_LINE_JOBS, self.model.running)]

    def _read_last_lines(self, jobs: list) -> None:
        from snaptui.display.lastline import last_lines

        if not self.reading("last-lines"):   # a slow disk: skip a tick rather than pile up reads
            self.call_engine(last_lines, self.engine, jobs, done=self.query_one(JobTable).set_last_lines,
                             group="last-lines")

    # -- status lines ---------------------------------------------------------------------
    def _show_status(self) -> None:
        now = self.now()
        if self.model.eta_due(now) and len(self.model.jobs) > ETA_INLINE and not self.reading("eta"):
            self.call_engine(self.model.estimate_eta, list(self.model.jobs.values()), now,
                             done=self._eta_estimated, group="eta")
        self.query_one("#status", Static).update(status_line(self.model, now, self.app.size.width < 120),
                                                 layout=False)

    def _eta_estimated(self, estimate: tuple) -> None:
        self.model.set_eta(estimate)
        self._show_status()

    def _show_axes(self) -> None:
        table = None
        if self.query_one(ContentSwitcher).current == "table":
            view = self.query_one(JobTable)
            table = (len(view.rows), view._title(view.sort_key))
        matrix = self.query_one(Matrix)
        self.query_one("#axes", Static).update(axes_line(self.model, matrix.mode, table,
                                                         matrix.goal() if matrix.aggregate else None,
                                                         self.query_one(JobTable).state_filter), layout=False)

    def _show_selected(self) -> None:
        job = self.selected_job()
        line = job_line(job, self.now())
        flag = self.model.flagged.get(job.index) if job is not None and self.model is not None else None
        if flag:
            line.append(f"  ! {flag}", style="bold red")
        self.query_one("#selected", Static).update(line, layout=False)

    # -- selection -------------------------------------------------------------------------
    def _view(self):
        if self.query_one(ContentSwitcher).current == "table":
            return self.query_one(JobTable)
        return self.query_one(Matrix)

    def selected_job(self):
        if self.model is None:
            return None
        index = self._view().selected
        return self.model.jobs.get(index) if index is not None else None

    def targets(self) -> list:
        """The marked jobs, or else the selected one."""
        if self.model is None:
            return []
        if self.model.marked:
            return [self.model.jobs[i] for i in sorted(self.model.marked)]
        job = self.selected_job()
        return [job] if job is not None else []

    def on_job_grid_cursor_moved(self, _message: JobGrid.CursorMoved) -> None:
        self._show_selected()

    def on_job_table_sort_changed(self, _message) -> None:
        self._show_axes()

    def on_job_grid_activated(self, message: JobGrid.Activated) -> None:
        self._open(message.index)

    def _open(self, index: int) -> None:
        from .job import JobScreen

        self.app.push_screen(JobScreen(self.sweep_id, index, job=self.model.jobs.get(index) if self.model else None))

    # -- actions -----------------------------------------------------------------------------
    def action_open(self) -> None:
        index = self._view().selected if self.model is not None else None
        if index is not None:   # a job not read yet: the job screen reads it
            self._open(index)

    def _redraw(self) -> None:
        self.query_one(Matrix).refresh()
        self.query_one(JobTable).refresh()
        self._show_status()

    def action_mark(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        self.model.marked ^= {job.index}
        if self.query_one(ContentSwitcher).current == "table":
            self.query_one(JobTable).action_move(1)
        self._redraw()

    def action_mark_all(self) -> None:
        if self.model is None or self.still_reading():
            return
        if self.model.marked:
            self.model.marked.clear()
        else:
            self.model.marked.update(self.query_one(JobTable).matching())
        self._redraw()

    def action_next_failed(self) -> None:
        """The next FAILED or TIMEOUT job after the selected one, in the order shown; the table
        when it is in another slice of the grid."""
        if self.model is None:
            return
        table = self.query_one(JobTable)
        on_table = self.query_one(ContentSwitcher).current == "table"
        order = table.rows if on_table else list(self.model.order)
        failed = {i for i, job in self.model.jobs.items() if job.state.value in ("FAILED", "TIMEOUT")}
        if not failed or not order:
            self.notify("no failed or timed-out job in this sweep", severity="warning", timeout=3)
            return
        selected = self._view().selected
        start = order.index(selected) + 1 if selected in order else 0
        target = next((order[(start + n) % len(order)] for n in range(len(order))
                       if order[(start + n) % len(order)] in failed), None)
        if target is None:
            self.notify("no failed job among those shown", severity="warning", timeout=3)
            return
        if not on_table and self.model.position(target) is None:
            self.action_toggle_table()
        self._view().select_job(target)
        self._show_selected()

    def action_toggle_table(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        job = self.selected_job()
        switcher.current = "table" if switcher.current == "matrix" else "matrix"
        if switcher.current == "table" and self._table_stale:
            self._table_stale = False
            self.query_one(JobTable).rebuild()
        if switcher.current == "table" and self.model is not None:
            self._read_last_lines(self._running_jobs())
        view = self._view()
        if job is not None:
            view.select_job(job.index)
        view.focus()
        self._show_axes()
        self._show_selected()

    def on_sweep_metrics_changed(self, _message: SweepMetricsChanged) -> None:
        """Redraw the grid and the selected job's line."""
        matrix = self.query_one(Matrix)
        matrix.relayout() if matrix.mode != "state" else matrix.refresh()
        self._show_selected()

    def action_curves(self) -> None:
        from .curves import CurvesScreen

        if self.model is not None:
            job = self.selected_job()
            self.app.push_screen(CurvesScreen(self.sweep_id, sorted(self.model.marked) or None,
                                              job.index if job else None))

    def action_state_filter(self) -> None:
        """Cycle all / running / failed / pending / completed / cancelled, on the table (the grid dims
        the others, as with `/`, whose text filter combines with this one)."""
        if self.model is None:
            return
        if self.query_one(ContentSwitcher).current != "table":
            self.action_toggle_table()
        table = self.query_one(JobTable)
        table.cycle_state_filter()
        self._filters_changed()

    def _filters_changed(self) -> None:
        table, matrix = self.query_one(JobTable), self.query_one(Matrix)
        matrix.matches = set(table.rows) if table.filtering else None
        matrix.refresh()
        self._show_axes()
        self._show_selected()

    def action_filter(self) -> None:
        self.query_one("#filter", FilterBox).open()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter" or self.model is None:
            return
        table = self.query_one(JobTable)
        table.filter_text = event.value.strip()
        table.rebuild()
        self._filters_changed()

