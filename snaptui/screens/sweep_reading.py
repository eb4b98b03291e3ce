"""Reading a sweep's jobs for the sweep screen: the first screen's at once, the rest in the background.

A sweep of any size opens from the store's aggregate counts and the jobs its first screen shows; the
other jobs are read a page at a time in a thread and filed in the model the screen already shows.
"""
from __future__ import annotations

from textual import work
from textual.widgets import ContentSwitcher
from textual.worker import get_current_worker

from snaptui.display import responsive
from snaptui.widgets.jobtable import JobTable
from snaptui.widgets.matrix import Matrix
from snaptui.display.layout import axes_for
from snaptui.display.model import SweepModel, result_ranges

READ_PAGE = 2_000   # jobs read at a time after the first screen: decoding a page holds the GIL (~5 ms)
PAGE_SHOW_S = 0.2   # while pages are read, what they change is drawn at most this often
READ_WHOLE = 2000   # a sweep up to this size is read whole before the first paint (~40 ms)


class SweepReading:
    """Mixin for SweepScreen: needs `engine`, `sweep_id`, `model`, `_table_stale` and the screen's
    `_show_status`, `_show_axes`, `_show_selected`; call `_init_reading` from __init__."""

    def _init_reading(self) -> None:
        self._added_unshown: list[int] = []   # jobs read in the background, not drawn yet
        self._pages_pending = False
        self._window_wanted: tuple[int, int] | None = None   # (first, count): rows on screen not read yet

    def _load(self) -> SweepModel:
        """The sweep's counts (one aggregate query) and the jobs its first screen shows: the cells of the
        grid, or, without a grid spec (the grid is laid out from every job's parameters, once all are
        read), the table's first rows. The rest is read in the background (_read_rest)."""
        with responsive.quick_switches():   # the UI thread is busy mounting the screen meanwhile
            sweep = self.engine.sweep(self.sweep_id)
            if sweep.total <= READ_WHOLE:
                return SweepModel(sweep, self.engine.jobs(self.sweep_id))
            model = SweepModel(sweep, [], total=sweep.total)
            width, height = self.app.size   # a cell is at least 4 columns wide; 6 lines are not the grid's
            if model.laid_out:   # the grid's cells need only their states; the job under the cursor in full
                model.early_states = self.engine.job_states(self.sweep_id, model.cells(height - 5, width // 4 + 1))
                first = [model.cell(0, 0)]
            else:
                first = list(range(height))
            model.add(self.engine.jobs_by_index(self.sweep_id, first))
            return model

    @work(thread=True, exclusive=True, group="rest", exit_on_error=False)
    def _read_rest(self) -> None:
        """Every job, a page at a time, into the model the screen already shows. The thread decodes a
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
                try:
                    self.app.call_from_thread(self._page_read, page, ranges)
                except RuntimeError:   # the app has exited meanwhile (NoActiveAppError is one)
                    return
            if everything is not None and not worker.is_cancelled:
                found = axes_for(everything)
                try:
                    self.app.call_from_thread(self._lay_out, found)
                except RuntimeError:
                    return

    def on_job_table_rows_wanted(self, message: JobTable.RowsWanted) -> None:
        """The table drew rows whose jobs the pages have not reached (End, PageDown): read those first.
        One read at a time; the latest rows asked for are read next (earlier ones are off screen)."""
        self._window_wanted = (message.first, message.count)
        self._read_window()

    def _read_window(self) -> None:
        if self._window_wanted is not None and self.model is not None and not self.reading("window"):
            (first, count), self._window_wanted = self._window_wanted, None
            self._fetch_window(first, count)

    @work(thread=True, group="window", exit_on_error=False)
    def _fetch_window(self, first: int, count: int) -> None:
        jobs = self.engine.jobs_window(self.sweep_id, first, count)
        ranges = result_ranges(jobs)
        try:
            self.app.call_from_thread(self._window_read, jobs, ranges)
        except RuntimeError:   # the app has exited meanwhile
            return

    def _window_read(self, jobs: list, ranges: dict) -> None:
        if not self.is_attached or self.model is None:
            return
        fresh = [job for job in jobs if job.index not in self.model.jobs]
        self._page_read(jobs, ranges)
        if fresh:
            self.query_one(JobTable).rows_read(fresh)
            self._show_selected()

    def _lay_out(self, found: tuple) -> None:
        if not self.is_attached or self.model is None:
            return
        self.model.set_layout(found)
        self.query_one(Matrix).relayout()
        self._show_axes()
        self._show_selected()

    def _page_read(self, page: list, ranges: dict) -> None:
        """File a page in the model; what the screen shows of it is drawn at most every PAGE_SHOW_S
        (a redraw per page would be most of the UI thread's time while 100,000 jobs are read)."""
        if not self.is_attached or self.model is None:
            return
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
        """Draw what the pages read since the last time changed: cells on screen that showed `…`, the
        table's new rows, the counts of jobs read."""
        self._pages_pending = False
        added, self._added_unshown = self._added_unshown, []
        if not added or not self.is_attached:
            return
        matrix = self.query_one(Matrix)
        if matrix.mode != "state":
            matrix.relayout()
        elif matrix.shows_any(added):
            matrix.refresh()
        table = self.query_one(JobTable)
        if self.query_one(ContentSwitcher).current == "table" or table.filtering:
            table.take_added(added)
            if table.filtering:
                matrix.matches = set(table.rows)
                matrix.refresh()
        else:
            self._table_stale = True
        self._show_status()
        self._show_axes()
        self._show_selected()

    def still_reading(self) -> bool:
        """Whether jobs are still being read; says so, for actions that need all of them."""
        if self.model is not None and not self.model.complete:
            self.notify(f"still reading this sweep's jobs ({len(self.model.jobs):,}/{self.model.total:,});"
                        " try again in a moment", severity="warning", timeout=4)
            return True
        return False
