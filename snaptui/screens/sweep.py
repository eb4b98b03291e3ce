"""One sweep: the parameter matrix (or the flat job table), counts and ETA, cancel and resubmit."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import ContentSwitcher, Input, Static

from .. import actions
from ..widgets.footer import SnaptuiFooter
from ..engine.states import RETRYABLE_STATES
from ..widgets.jobtable import JobTable
from ..widgets.lines import axes_line, job_line, status_line
from ..widgets.matrix import Matrix
from ..widgets.model import SweepModel
from .base import EngineScreen
from .confirm import ConfirmScreen, describe_jobs
from .sweep_metrics import SweepMetricsWatcher
from .sweeps import sweep_branch, sweep_profile

FULL_RELOAD = 2000  # above this many changed jobs, fetch the whole sweep in one query


KEPT_NOTE = ("\nEach runs again on its snapshot. The earlier logs are kept; the grid then shows the new "
             "attempt's state and results.")


def resubmit_title(jobs: list) -> str:
    return f"Resubmit job {jobs[0].ref}?" if len(jobs) == 1 else f"Resubmit {len(jobs)} jobs?"


def states_phrase(jobs: list) -> str:
    """'2 failed, 1 cancelled': what the jobs are, by their own state names."""
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job.state.value.lower()] = counts.get(job.state.value.lower(), 0) + 1
    return ", ".join(f"{n} {state}" for state, n in counts.items())


def jobs_by_index(engine, sweep_id: int, indexes: list[int]) -> list:
    """Some jobs of a sweep in one query (resolve_job would recount the sweep for each)."""
    return engine.jobs_by_index(sweep_id, indexes)


class SweepScreen(EngineScreen):
    SCOPE = "sweep"
    BINDINGS = actions.bindings("sweep")
    AUTO_FOCUS = "#matrix"

    def __init__(self, sweep_id: int) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.model: SweepModel | None = None
        self._dirty: set[int] = set()
        self._fetching = False
        self._table_stale = False

    def compose(self) -> ComposeResult:
        yield Static(f"sweep {self.sweep_id}", id="title", classes="title-bar")
        yield Static("loading…", id="status", classes="status-bar")
        yield Static("", id="axes", classes="status-bar")
        yield Input(placeholder="filter jobs by label or state; enter to keep, escape to clear", id="filter",
                    classes="filter")
        with ContentSwitcher(initial="matrix", id="views"):
            yield Matrix(id="matrix")
            yield JobTable(self.now, id="table")
        yield Static("", id="selected", classes="status-bar")
        yield SnaptuiFooter()

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.call_engine(self._load, done=self._loaded, group="load")
        self.set_interval(1.0, self._tick, name="clock")
        SweepMetricsWatcher(self).start()

    # -- data ----------------------------------------------------------------------------
    def _load(self) -> SweepModel:
        sweep = self.engine.sweep(self.sweep_id)
        return SweepModel(sweep, self.engine.jobs(self.sweep_id))

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
        title.append(f"  {sweep_profile(sweep)}  {model.sweep.total} jobs  ", style="dim")
        title.append(sweep_branch(sweep))
        if snap.get("commit"):
            title.append(f" @ {snap['commit'][:10]}", style="dim")
        self.query_one("#title", Static).update(title)
        self._show_status()
        self._show_axes()
        self._show_selected()
        if self._dirty:
            self._fetch()

    def engine_events(self, events: list) -> None:
        self._dirty.update(e.job_index for e in events if e.sweep_id == self.sweep_id)
        if self._dirty and self.model is not None:
            self._fetch()

    def _fetch(self) -> None:
        if self._fetching or not self._dirty:
            return
        self._fetching = True
        wanted, self._dirty = self._dirty, set()
        sweep_id = self.sweep_id

        def fetch() -> list:
            if len(wanted) > FULL_RELOAD:
                return self.engine.jobs(sweep_id)
            return jobs_by_index(self.engine, sweep_id, sorted(wanted))

        def failed(_exc) -> None:
            self._fetching = False

        self.call_engine(fetch, done=self._fetched, failed=failed, group="fetch")

    def _fetched(self, jobs: list) -> None:
        self._fetching = False
        changed = self.model.update(jobs)
        if changed:
            matrix = self.query_one(Matrix)
            if matrix.mode != "state" and matrix.mode not in self.model.results:
                matrix.mode = "state"
            matrix.relayout() if matrix.mode != "state" else matrix.refresh()
            if self.query_one(ContentSwitcher).current == "table" or self.query_one(JobTable).filter_text:
                self.query_one(JobTable).rebuild()
            else:
                self._table_stale = True   # re-sorted when shown: 10,000 rows cost ~40 ms
            self._show_status()
            self._show_selected()
        if self._dirty:
            self._fetch()

    def _tick(self) -> None:
        if self.model is None:
            return
        if any(job.state.value == "RUNNING" for job in self.model.jobs.values()):
            if self.query_one(ContentSwitcher).current == "table":
                self.query_one(JobTable).refresh()
            self._show_status()
            self._show_selected()

    # -- status lines ---------------------------------------------------------------------
    def _show_status(self) -> None:
        self.query_one("#status", Static).update(status_line(self.model, self.now(), self.app.size.width < 120))

    def _show_axes(self) -> None:
        table = None
        if self.query_one(ContentSwitcher).current == "table":
            view = self.query_one(JobTable)
            table = (len(view.rows), view._title(view.sort_key))
        self.query_one("#axes", Static).update(axes_line(self.model, self.query_one(Matrix).mode, table))

    def _show_selected(self) -> None:
        job = self.selected_job()
        line = job_line(job, self.now())
        flag = self.model.flagged.get(job.index) if job is not None and self.model is not None else None
        if flag:
            line.append(f"  ! {flag}", style="bold red")
        self.query_one("#selected", Static).update(line)

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

    def on_matrix_cursor_moved(self, _message) -> None:
        self._show_selected()

    def on_job_table_cursor_moved(self, _message) -> None:
        self._show_selected()

    def on_job_table_sort_changed(self, _message) -> None:
        self._show_axes()

    def on_matrix_activated(self, message: Matrix.Activated) -> None:
        self._open(message.index)

    def on_job_table_activated(self, message: JobTable.Activated) -> None:
        self._open(message.index)

    def _open(self, index: int) -> None:
        from .job import JobScreen

        self.app.push_screen(JobScreen(self.sweep_id, index, job=self.model.jobs.get(index) if self.model else None))

    # -- actions -----------------------------------------------------------------------------
    def action_open(self) -> None:
        job = self.selected_job()
        if job is not None:
            self._open(job.index)

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
        if self.model is None:
            return
        if self.model.marked:
            self.model.marked.clear()
        else:
            self.model.marked.update(self.query_one(JobTable).matching())
        self._redraw()

    def _after_action(self, verb: str):
        def done(jobs: list) -> None:
            self.notify(f"{verb} {len(jobs)} job{'s' if len(jobs) != 1 else ''}", timeout=3)
            if self.model is not None:
                self.model.marked.clear()
                self._redraw()
            self.snaptui.poll_now()
        return done

    def action_cancel(self) -> None:
        targets = self.targets()
        live = [job for job in targets if not job.state.is_final]
        if not live:
            if targets:
                self.notify("nothing to cancel: " + (f"{targets[0].ref} is {targets[0].state.value}"
                                                     if len(targets) == 1 else "every marked job has finished"),
                            severity="warning")
            return
        title = (f"Cancel job {live[0].ref}?" if len(live) == 1 else f"Cancel {len(live)} jobs of sweep {self.sweep_id}?")

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_engine(self.engine.cancel, live, done=self._after_action("cancelled"), title="cancel")

        self.app.push_screen(ConfirmScreen(title, describe_jobs(live)), answered)

    def action_cancel_sweep(self) -> None:
        if self.model is None:
            return
        live = [job for job in self.model.jobs.values() if not job.state.is_final]
        if not live:
            self.notify(f"sweep {self.sweep_id} has no unfinished job", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_engine(self.engine.cancel_sweep, self.sweep_id, done=self._after_action("cancelled"),
                                 title="cancel")

        self.app.push_screen(ConfirmScreen(f"Cancel the whole sweep {self.sweep_id} {self.model.sweep.name}?",
                                           f"{len(live)} unfinished jobs will be cancelled."), answered)

    def action_resubmit(self) -> None:
        targets = self.targets()
        done = [job for job in targets if job.state.is_final]
        if not done:
            if targets:
                self.notify("only finished jobs can be resubmitted; cancel it first", severity="warning")
            return
        def answered(yes: bool | None) -> None:
            if yes:
                self.call_engine(self.engine.resubmit, done, done=self._after_action("resubmitted"),
                                 title="resubmit")

        self.app.push_screen(ConfirmScreen(resubmit_title(done), describe_jobs(done) + KEPT_NOTE, yes="Resubmit",
                                           danger=False), answered)

    def action_resubmit_failed(self) -> None:
        if self.model is None:
            return
        failed = [job for job in self.model.jobs.values() if job.state in RETRYABLE_STATES]
        if not failed:
            self.notify("no failed, cancelled or timed-out job to resubmit", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_engine(self.engine.resubmit_failed, self.sweep_id,
                                 done=self._after_action("resubmitted"), title="resubmit")

        self.app.push_screen(ConfirmScreen(f"Resubmit {len(failed)} jobs of sweep {self.sweep_id} "
                                           f"({states_phrase(failed)})?",
                                           describe_jobs(failed), yes="Resubmit", danger=False), answered)

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
        view = self._view()
        if job is not None:
            view.select_job(job.index)
        view.focus()
        self._show_axes()
        self._show_selected()

    def metrics_changed(self) -> None:
        """New metric summaries or flags (sweep_metrics.py): redraw the grid and the selected job's line."""
        matrix = self.query_one(Matrix)
        matrix.relayout() if matrix.mode != "state" else matrix.refresh()
        self._show_selected()

    def action_curves(self) -> None:
        from .curves import CurvesScreen

        if self.model is not None:
            job = self.selected_job()
            self.app.push_screen(CurvesScreen(self.sweep_id, sorted(self.model.marked) or None,
                                              job.index if job else None))

    def action_cycle_view(self) -> None:
        if self.model is None:
            return
        modes = ["state"] + self.model.result_names
        if len(modes) == 1:
            self.notify("no job has reported a result yet", severity="warning")
            return
        matrix = self.query_one(Matrix)
        matrix.mode = modes[(modes.index(matrix.mode) + 1) % len(modes)] if matrix.mode in modes else "state"
        if self.query_one(ContentSwitcher).current == "table":
            self.action_toggle_table()
        matrix.relayout()
        self._show_axes()

    def _regrid(self) -> None:
        job = self.selected_job()
        matrix = self.query_one(Matrix)
        matrix.relayout()
        if job is not None and self.model.position(job.index) is not None:
            matrix.select_job(job.index)
        self._show_axes()
        self._show_selected()

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

    def action_sort(self) -> None:
        if self.query_one(ContentSwitcher).current != "table":
            self.action_toggle_table()
        self.query_one(JobTable).cycle_sort()
        self._show_axes()

    def action_reverse(self) -> None:
        if self.query_one(ContentSwitcher).current != "table":
            self.action_toggle_table()
        self.query_one(JobTable).reverse()
        self._show_axes()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter" or self.model is None:
            return
        table, matrix = self.query_one(JobTable), self.query_one(Matrix)
        table.filter_text = event.value.strip()
        table.rebuild()
        matrix.matches = set(table.rows) if table.filter_text else None
        matrix.refresh()
        self._show_axes()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            if not event.value.strip():
                event.input.display = False
            self._view().focus()

    def on_key(self, event) -> None:
        box = self.query_one("#filter", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            box.value = ""
            box.display = False
            self._view().focus()
