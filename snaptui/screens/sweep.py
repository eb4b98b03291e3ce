"""One sweep: reads its jobs into the SweepView (the grid or the table, counts and ETA) and acts on them:
open, curves, cancel and resubmit.

A sweep of any size opens from the store's aggregate counts and the jobs its first screen shows; the
other jobs are read a page at a time in a worker and filed in the model the view already shows. Changes
recorded by any process are read as they come, one read at a time.
"""
from __future__ import annotations

import heapq

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Static
from textual.worker import Worker, get_current_worker

from snaptui.display import actions, responsive
from snaptui.display.dialogs import Confirmation, cancel_jobs, resubmit_jobs
from snaptui.display.layout import axes_for
from snaptui.display.model import ETA_INLINE, SweepModel, result_ranges
from snaptui.display.sweepmetrics import INTERVAL_S as METRICS_INTERVAL_S, SweepMetrics
from snaptui.display.text import sweep_branch
from snaptui.engine.states import RETRYABLE_STATES, JobState
from snaptui.format import cancel_outcome, jobs_phrase, profile_label
from snaptui.widgets.footer import SnaptuiFooter
from snaptui.widgets.jobgrid import JobGrid
from snaptui.widgets.jobtable import JobTable
from snaptui.widgets.sweepview import VIEW_ACTIONS, SweepView
from .base import EngineScreen

FULL_RELOAD = 2000  # above this many changed jobs, fetch the whole sweep in one query
LAST_LINE_JOBS = 200  # running jobs whose last log line the table shows (8 KiB read each, once a second)
READ_PAGE = 2_000   # jobs read at a time after the first screen: decoding a page holds the GIL (~5 ms)
PAGE_SHOW_S = 0.2   # while pages are read, what they change is drawn at most this often
READ_WHOLE = 2000   # a sweep up to this size is read whole before the first paint (~40 ms)


class SweepScreen(EngineScreen):
    SCOPE = "sweep"
    BINDINGS = actions.bindings("sweep", skip=VIEW_ACTIONS)
    AUTO_FOCUS = "#matrix"

    def __init__(self, sweep_id: int) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.view = SweepView(self.now, id="sweep-view")
        self._changed: set[int] = set()   # jobs changed since they were last read
        self._added_unshown: list[int] = []   # jobs read in the background, not drawn yet
        self._pages_pending = False
        self._window_wanted: tuple[int, int] | None = None   # (first, count): rows on screen not read yet
        self._metrics = SweepMetrics()

    def compose(self) -> ComposeResult:
        yield Static(f"sweep {self.sweep_id}", id="title", classes="title-bar")
        yield self.view
        yield SnaptuiFooter()

    def on_mount(self) -> None:
        # the app's own long-lived objects too: a full pass over them took ~0.1 s early in a read
        responsive.keep(self)
        self._load()
        self.set_interval(1.0, self._tick, name="clock")
        self.set_interval(METRICS_INTERVAL_S, self._read_metrics_if_due, name="metrics")
        self.set_timer(0.2, self._read_metrics_if_due)
        self.watch(self.view, "shown", self._shown_changed, init=False)

    def on_unmount(self) -> None:
        responsive.release(self)

    @property
    def model(self) -> SweepModel | None:
        return self.view.model

    def selected_job(self):
        return self.view.selected_job()

    def action_back(self) -> None:
        """Escape clears a filter first, then leaves."""
        if not self.view.clear_filters():
            super().action_back()

    def action_target(self, name: str):
        return self.view if name in VIEW_ACTIONS else self

    # -- the first screen ------------------------------------------------------------------
    @work(thread=True, exit_on_error=False, group="load", name="sweep", description="read the sweep")
    def _load(self) -> None:
        """The sweep's counts (one aggregate query) and the jobs its first screen shows: the cells of the
        grid, or, without a grid spec (the grid is laid out from every job's parameters, once all are
        read), the table's first rows. The rest is read in the background (_read_rest)."""
        with responsive.quick_switches():   # the UI thread is busy mounting the screen meanwhile
            sweep = self.engine.sweep(self.sweep_id)
            if sweep.total <= READ_WHOLE:
                model = SweepModel(sweep, self.engine.jobs(self.sweep_id))
            else:
                model = SweepModel(sweep, [], total=sweep.total)
                width, height = self.app.size   # a cell is at least 4 columns wide; 6 lines are not the grid's
                if model.laid_out:   # the grid's cells need only their states; the job under the cursor in full
                    model.early_states = self.engine.job_states(self.sweep_id, model.cells(height - 5, width // 4 + 1))
                    first = [model.cell(0, 0)]
                else:
                    first = list(range(height))
                model.add(self.engine.jobs_by_index(self.sweep_id, first))
        self.hand_back(self._loaded, model)

    def _loaded(self, model: SweepModel) -> None:
        chosen = self.snaptui.table_columns
        if chosen is None:
            chosen = self.engine.table_columns or None   # [tui] columns, as snaptui.toml says now
        self.view.table.chosen = chosen
        self.view.model = model
        sweep = model.sweep
        snap = sweep.snapshot or {}
        title = Text()
        title.append(f"sweep {sweep.id} ", style="bold")
        title.append(sweep.name, style="bold")
        title.append(f"  {profile_label(sweep)}  {jobs_phrase(sweep.total)}  ", style="dim")
        title.append(sweep_branch(sweep))
        if snap.get("commit"):
            title.append(f" @ {snap['commit'][:10]}", style="dim")
        self.query_one("#title", Static).update(title)
        self._estimate_eta_if_due()
        self._read_changed()
        if not model.complete:   # once the first screen is drawn: the read competes with drawing it
            self.call_after_refresh(self._read_rest)

    # -- the rest, a page at a time ------------------------------------------------------------
    @work(thread=True, exclusive=True, group="rest", exit_on_error=False, name="sweep", description="read the jobs")
    def _read_rest(self) -> None:
        """Every job, a page at a time, into the model the view already shows. The thread decodes a
        page and works out its result ranges; the UI thread only files the jobs (_page_read). Without a
        grid spec, the thread then lays out the grid from every job's parameters (_lay_out)."""
        worker = get_current_worker()
        everything: list | None = None if self.model.laid_out else []
        with responsive.quick_switches():
            for page in self.engine.jobs_in_pages(self.sweep_id, size=READ_PAGE):
                if worker.is_cancelled:
                    return
                ranges = result_ranges(page)
                if everything is not None:
                    everything += page
                if not self.hand_back(self._page_read, page, ranges):
                    return
            if everything is not None and not worker.is_cancelled:
                self.hand_back(self._lay_out, axes_for(everything))

    def _page_read(self, page: list, ranges: dict) -> None:
        """File a page in the model; what the view shows of it is drawn at most every PAGE_SHOW_S
        (a redraw per page would be most of the UI thread's time while 100,000 jobs are read)."""
        added = self.model.add(page, ranges)
        if not added:
            return
        responsive.keep(self)
        self._added_unshown += added
        if self.model.complete:
            self._show_pages()
        elif not self._pages_pending:
            self._pages_pending = True
            self.set_timer(PAGE_SHOW_S, self._show_pages, name="pages")

    def _show_pages(self) -> None:
        self._pages_pending = False
        added, self._added_unshown = self._added_unshown, []
        if added and self.is_attached:
            self._estimate_eta_if_due()
            self.view.jobs_added(added)

    def _lay_out(self, found: tuple) -> None:
        self.model.set_layout(found)
        self.view.laid_out()

    def on_job_table_rows_wanted(self, message: JobTable.RowsWanted) -> None:
        """The table drew rows whose jobs the pages have not reached (End, PageDown): read those first.
        One read at a time; the latest rows asked for are read next (earlier ones are off screen)."""
        self._window_wanted = (message.first, message.count)
        self._read_window()

    def _read_window(self) -> None:
        if self._window_wanted is not None and self.model is not None and not self.reading("window"):
            (first, count), self._window_wanted = self._window_wanted, None
            self._fetch_window(first, count)

    @work(thread=True, group="window", exit_on_error=False, name="sweep", description="read the rows shown")
    def _fetch_window(self, first: int, count: int) -> None:
        jobs = self.engine.jobs_window(self.sweep_id, first, count)
        self.hand_back(self._window_read, jobs, result_ranges(jobs))

    def _window_read(self, jobs: list, ranges: dict) -> None:
        fresh = [job for job in jobs if job.index not in self.model.jobs]
        self._page_read(jobs, ranges)
        if fresh:
            self.view.rows_read(fresh)

    # -- changes recorded by any process --------------------------------------------------------
    def engine_events(self, events: list) -> None:
        self._changed.update(e.job_index for e in events if e.sweep_id == self.sweep_id)
        self._read_changed()

    def _read_changed(self) -> None:
        """One read at a time: what changes during a read is read when it ends (on_worker_state_changed),
        so a stream of changes is followed rather than each read cancelling the last."""
        if self._changed and self.model is not None and not self.reading("fetch"):
            wanted, self._changed = self._changed, set()
            self._fetch(wanted)

    @work(thread=True, exclusive=True, group="fetch", exit_on_error=False, name="sweep", description="read changes")
    def _fetch(self, wanted: set[int]) -> None:
        if len(wanted) > FULL_RELOAD:
            jobs = self.engine.jobs(self.sweep_id)
        else:
            jobs = self.engine.jobs_by_index(self.sweep_id, sorted(wanted))
        # while the sweep is still being read, its counts come from the store (one aggregate query)
        counts = None if self.model.complete else self.engine.sweep(self.sweep_id).counts
        self.hand_back(self._fetched, jobs, counts)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group in ("fetch", "window") and event.worker.is_finished:
            self._read_changed() if event.worker.group == "fetch" else self._read_window()

    def _fetched(self, jobs: list, counts: dict | None = None) -> None:
        if counts is not None:
            self.model.set_counts(counts)
        if self.model.update(jobs):
            self._estimate_eta_if_due()
            self.view.jobs_changed()

    # -- the clock: elapsed times, ETA, last log lines, metrics -----------------------------------
    def _tick(self) -> None:
        """Once a second: elapsed times and the ETA of running jobs (the model keeps which are running,
        so a tick costs what is running, not the sweep's size)."""
        model = self.model
        if model is None:
            return
        table = self.view.table
        if not model.running and table.last_lines:
            table.set_last_lines({})
        if model.running:
            if self.view.on_table:
                self._read_last_lines_if_free()
            self._estimate_eta_if_due()
            self.view.tick()
        if model.sweep.executor == "local" and model.counts().get(JobState.PENDING) and not self.reading("host"):
            self._read_host_load()
        elif self.view.held:
            self.view.held = ""
            self.view.show_status()

    @work(thread=True, exit_on_error=False, group="host", name="host", description="the host's load")
    def _read_host_load(self) -> None:
        self.hand_back(self._host_read, *self.engine.host_load())

    def _host_read(self, running: int, cap: int) -> None:
        """Pending jobs held by `[local] max_jobs` (all local sweeps together), not by this sweep: say so."""
        held = f"· pending: the host is full ([local] max_jobs = {cap})" if running >= cap else ""   # fits 80 columns
        if held != self.view.held:
            self.view.held = held
            self.view.show_status()

    def _shown_changed(self, shown: str) -> None:
        if shown == "table" and self.model is not None:
            self._read_last_lines_if_free()

    def _read_last_lines_if_free(self) -> None:
        """The last log line of the first LAST_LINE_JOBS running jobs by index; a slow disk skips a tick
        rather than pile up reads."""
        if not self.reading("last-lines"):
            model = self.model
            self._read_last_lines([model.jobs[i] for i in heapq.nsmallest(LAST_LINE_JOBS, model.running)])

    @work(thread=True, exit_on_error=False, group="last-lines", name="last lines", description="last lines")
    def _read_last_lines(self, jobs: list) -> None:
        from snaptui.display.lastline import last_lines

        self.hand_back(self.view.table.set_last_lines, last_lines(self.engine, jobs))

    def _estimate_eta_if_due(self) -> None:
        """A sweep of more than ETA_INLINE jobs has its ETA estimated in a worker (the model does a
        smaller one's itself, when the status line asks)."""
        model, now = self.model, self.now()
        if model.eta_due(now) and len(model.jobs) > ETA_INLINE and not self.reading("eta"):
            self._estimate_eta(model, list(model.jobs.values()), now)

    @work(thread=True, exit_on_error=False, group="eta", name="eta", description="estimate the ETA")
    def _estimate_eta(self, model: SweepModel, jobs: list, now: float) -> None:
        self.hand_back(self._eta_estimated, model.estimate_eta(jobs, now))

    def _eta_estimated(self, estimate: tuple) -> None:
        self.model.set_eta(estimate)
        self.view.show_status()

    def _read_metrics_if_due(self) -> None:
        """Never two reads at once; none once the sweep has ended and been read since."""
        model = self.model
        if model is not None and not self.reading("metrics") and self._metrics.due(model):
            # what the read needs from the screen is taken here: in the thread the screen may be gone
            self._read_metrics(self.engine, list(model.jobs.values()), self.now())

    @work(thread=True, exit_on_error=False, group="metrics", name="metrics", description="read metrics")
    def _read_metrics(self, engine, jobs: list, now: float) -> None:
        self.hand_back(self._metrics_read, *self._metrics.read(engine, jobs, now))

    def _metrics_read(self, values: dict, flagged: dict) -> None:
        model = self.model
        if values != model.metric_values or flagged != model.flagged:
            model.set_metrics(values, flagged)
            self.view.metrics_changed()

    # -- other screens ----------------------------------------------------------------------------
    def on_job_grid_activated(self, message: JobGrid.Activated) -> None:
        self._open(message.index)

    def action_open(self) -> None:
        index = self.view.selected_index
        if index is not None:   # a job not read yet: the job screen reads it
            self._open(index)

    def _open(self, index: int) -> None:
        self.snaptui.open_job(self.sweep_id, index, job=self.model.jobs.get(index) if self.model else None)

    def action_columns(self) -> None:
        """Choose the table's result and metric columns (for this session; [tui] columns in snaptui.toml
        sets them for good)."""
        table = self.view.table
        choices = table.data_choices()
        if not choices:
            self.notify("no job has reported a result or a metric yet", severity="warning", timeout=4)
            return
        shown = table.chosen if table.chosen is not None else table.result_choices()

        def chosen(picked: list[str] | None) -> None:
            if picked is not None:
                self.snaptui.table_columns = picked
                self.view.set_columns(picked)
                self.view.shown = "table"

        self.snaptui.choose_columns(choices, shown, chosen)

    def action_curves(self) -> None:
        if self.model is not None:
            job = self.selected_job()
            self.snaptui.open_curves(self.sweep_id, sorted(self.model.marked) or None, job.index if job else None)

    # -- cancel and resubmit: marked jobs or the selected one, or every failed one; each asks first ----
    def _after(self, verb: str):
        def done(jobs: list) -> None:
            self.notify(cancel_outcome(jobs) if verb == "cancelled" else
                        f"{verb} {len(jobs)} job{'s' if len(jobs) != 1 else ''}", timeout=3)
            if self.model is not None:
                self.model.marked.clear()
                self.view.redraw()
            self.snaptui.poll_now()
        return done

    def _command(self, title: str, fn, *args, verb: str):
        return lambda: self.snaptui.command(title, fn, *args, done=self._after(verb), caller=self)

    def action_cancel(self) -> None:
        targets = self.view.targets()
        live = [job for job in targets if not job.state.is_final]
        if not live:
            if targets:
                self.notify("nothing to cancel: " + (f"{targets[0].ref} is {targets[0].state.value}"
                                                     if len(targets) == 1 else "every marked job has finished"),
                            severity="warning")
            return
        self.snaptui.confirm(cancel_jobs(live, self.sweep_id),
                             self._command("cancel", self.engine.cancel, live, verb="cancelled"))

    def action_cancel_sweep(self) -> None:
        """Also while a large sweep is still being read (a wrong 100,000-job launch is stopped at once):
        the engine cancels from the store, and the dialog counts from the store's counts."""
        if self.model is None:
            return
        live = sum(n for state, n in self.model.counts().items() if not state.is_final)
        if not live:
            self.notify(f"sweep {self.sweep_id} has no unfinished job", severity="warning")
            return
        self.snaptui.confirm(Confirmation(f"Cancel the whole sweep {self.sweep_id} {self.model.sweep.name}?",
                                          f"{live:,} unfinished jobs will be cancelled."),
                             self._command("cancel", self.engine.cancel_sweep, self.sweep_id, verb="cancelled"))

    def action_resubmit(self) -> None:
        targets = self.view.targets()
        done = [job for job in targets if job.state.is_final]
        if not done:
            if targets:
                self.notify("only finished jobs can be resubmitted; cancel it first", severity="warning")
            return
        self.snaptui.confirm(resubmit_jobs(done),
                             self._command("resubmit", self.engine.resubmit, done, verb="resubmitted"))

    def action_resubmit_failed(self) -> None:
        """R: the resubmit dialog (screens/resubmit.py) for the marked jobs that ended other than completed,
        else for every such job of the sweep: by cause, with resources to change."""
        if self.model is None or self.view.still_reading():
            return
        retryable = [job for job in self.model.jobs.values() if job.state in RETRYABLE_STATES]
        marked = [job for job in retryable if job.index in self.model.marked]
        if not (marked or retryable):
            self.notify("no failed, cancelled or timed-out job to resubmit", severity="warning")
            return
        self._prepare_resubmit(marked or retryable)

    @work(thread=True, exit_on_error=False, group="resubmit", name="resubmit", description="suggest resources")
    def _prepare_resubmit(self, jobs: list) -> None:
        suggested = self.engine.resubmit_suggestions(jobs)
        self.hand_back(self._resubmit_dialog, jobs, suggested, self.engine.job_resources(jobs[0]))

    def _resubmit_dialog(self, jobs: list, suggested: dict, current: dict) -> None:
        from snaptui.display.resubmit import cause_groups, resource_fields

        def resubmit(chosen: list, sets: list[str]) -> None:
            self.snaptui.command("resubmit", self.engine.resubmit, chosen, sets, done=self._after("resubmitted"),
                                 caller=self)

        self.snaptui.open_resubmit(f"Resubmit jobs of sweep {self.sweep_id} {self.model.sweep.name}?",
                                   cause_groups(jobs), resource_fields(current, suggested), resubmit)
