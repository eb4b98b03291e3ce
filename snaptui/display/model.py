"""The data behind the sweep screen: jobs by index, the parameter axes, marks and results.

Pure Python (no widgets): the grid and the job table both render from it, and an
update tells which jobs changed so only their cells are redrawn.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

from snaptui.engine.states import JobState
from snaptui.engine.views import competes, eta_seconds, slots_of
from snaptui.format import eta_words
from .layout import SpecCoords, axes_for, spec_axes
from .waiting import Waiting, waiting

ETA_JOBS_PER_SECOND = 20_000   # a sweep's ETA is estimated again after len(jobs) / this many seconds
ETA_INLINE = 5_000             # up to this many jobs (~5 ms) the ETA is estimated on the UI thread


def _numbers(results: dict | None):
    for name, value in (results or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            yield name, value


EMPTY = (math.inf, -math.inf)   # the range of a result no COMPLETED job has reported (yet)


def result_ranges(jobs) -> dict[str, tuple[float, float]]:
    """The lowest and highest value of each numeric result over the jobs that compete for best
    (views.competes: COMPLETED); a result only other jobs reported has the EMPTY range, so it is a
    heatmap mode all the same. Plain data, so a page read in a thread brings its own (SweepModel.add
    merges them without going over the jobs)."""
    ranges: dict[str, tuple[float, float]] = {}
    for job in jobs:
        ranked = competes(job)
        for name, value in _numbers(job.attempt.results):
            if ranked:
                low, high = ranges.get(name, EMPTY)
                ranges[name] = (min(low, value), max(high, value))
            elif name not in ranges:
                ranges[name] = EMPTY
    return ranges


def _widen(ranges: dict[str, tuple[float, float]], more: dict[str, tuple[float, float]]) -> None:
    for name, (low, high) in more.items():
        old = ranges.get(name)
        ranges[name] = (low, high) if old is None else (min(old[0], low), max(old[1], high))


class SweepModel:
    """The sweep's jobs as far as they are read. Built from every job (`total` None), or from some
    of them (`total` the sweep's size, its counts the store's aggregate) with the rest added a page
    at a time (`add`): the grid's layout comes from the spec, so the first screen needs only its cells."""

    def __init__(self, sweep, jobs: list, total: int | None = None):
        self.sweep = sweep
        self.total = len(jobs) if total is None else total
        self.jobs: dict[int, Any] = {job.index: job for job in jobs}
        self.order: list[int] = sorted(self.jobs)   # by index, as the table's default order
        found = spec_axes(sweep.spec, self.total)
        if found is None and len(self.jobs) < self.total:
            found = ([], None)   # laid out from the jobs' parameters once every one is read (set_layout)
        self.set_layout(found or axes_for(jobs))
        self.marked: set[int] = set()
        self.early_states: dict[int, JobState] = {}   # a first screen's cells: states known, jobs not read yet
        self.results: dict[str, tuple[float, float]] = {}
        self._result_ranges: dict[str, tuple[float, float]] = {}   # over reported results only
        self.metric_values: dict[str, dict[int, float]] = {}  # "loss best" -> job index -> value (heatmap)
        self._metric_ranges: dict[str, tuple[float, float]] = {}
        self.running: set[int] = {i for i, job in self.jobs.items() if job.state is JobState.RUNNING}
        self.flagged: dict[int, str] = {}                      # job index -> why (NaN/inf, silent log)
        # until every job is read
        self._store_counts: dict[JobState, int] = {} if self.complete else dict(sweep.counts)
        self._read_counts: Counter = Counter(job.attempt.state for job in jobs)   # the jobs read, kept up to date
        self._eta: tuple[float, float | None] | None = None   # (when, seconds left then)
        self.waiting: Waiting | None = None   # why jobs wait and ended, found with the ETA (display/waiting.py)
        self._recompute_results()

    @staticmethod
    def laid_out_by_spec(sweep) -> bool:
        """Whether the grid comes from the sweep's spec, so the model may start with some of its jobs."""
        return spec_axes(sweep.spec, sweep.total) is not None

    @property
    def complete(self) -> bool:
        """Whether every job has been read."""
        return len(self.jobs) >= self.total

    @property
    def laid_out(self) -> bool:
        """Whether the grid is known: from the spec at once, else once every job is read (set_layout)."""
        return self.layout is not None

    def set_layout(self, found: tuple[list, Any]) -> None:
        """The axes and coordinates (layout.spec_axes or axes_for); rows and columns the first two axes."""
        self.axes, self.layout = found
        self.row_axis: int | None = 0 if len(self.axes) >= 2 else None
        self.col_axis: int | None = 1 if len(self.axes) >= 2 else (0 if self.axes else None)
        self.slice: dict[int, int] = {}   # axis -> value position, for axes not shown

    def coord(self, index: int) -> tuple[int, ...] | None:
        return self.layout.coord(index) if self.layout is not None else None

    def add(self, jobs: list, ranges: dict[str, tuple[float, float]] | None = None) -> list[int]:
        """Jobs read after the first screen; one already here (a change read meanwhile) is kept, as
        it is at least as new. `ranges` are the jobs' result_ranges when the reader worked them out
        (off the UI thread). Returns the indexes added."""
        have = self.jobs
        added = [job.index for job in jobs if job.index not in have]
        if not added:
            return added
        fresh = [job for job in jobs if job.index not in have] if len(added) < len(jobs) else jobs
        have.update((job.index, job) for job in fresh)
        self._read_counts.update(job.attempt.state for job in fresh)
        self.running.update(job.index for job in fresh if job.state is JobState.RUNNING)
        in_order = added if added == sorted(added) else sorted(added)
        if self.order and in_order[0] < self.order[-1]:   # a window read ahead of the pages (JobTable.RowsWanted)
            self.order += in_order
            self.order.sort()   # sorted runs: merged in one pass, not sorted again
        else:   # pages come in index order: no need to sort the 100,000 read so far again
            self.order += in_order
        _widen(self._result_ranges, result_ranges(fresh) if ranges is None or fresh is not jobs else ranges)
        self._publish_results()
        if self.complete:
            self.early_states = {}
        return added

    # -- updates ---------------------------------------------------------------------
    def update(self, jobs: list) -> set[int]:
        """Newer versions of jobs; while the sweep is still being read, a job not read yet is taken
        as read (its page may have been read before the change)."""
        changed, new, results_dropped, completed = set(), False, False, False
        for job in jobs:
            old = self.jobs.get(job.index)
            if old is None and (self.complete or not 0 <= job.index < self.total):
                continue
            if old != job:
                self.jobs[job.index] = job
                changed.add(job.index)
                new = new or old is None
                if old is None or old.state is not job.state:
                    if old is not None:
                        self._read_counts[old.state] -= 1
                    self._read_counts[job.state] += 1
                    completed = completed or JobState.COMPLETED in (job.state, old.state if old else None)
                results_dropped = results_dropped or (old is not None and bool(old.attempt.results)
                                                      and old.attempt.results != job.attempt.results)
                if job.state is JobState.RUNNING:
                    self.running.add(job.index)
                else:
                    self.running.discard(job.index)
        if new:
            self.order = sorted(self.jobs)
        if completed and self.metric_values:   # a job now competes (or no longer does) with its metric values
            self._metric_ranges = self._competing_ranges(self.metric_values)
        if results_dropped:   # a resubmitted job's old result may have been an end of a range
            self._recompute_results()
        elif changed:
            _widen(self._result_ranges, result_ranges(self.jobs[i] for i in changed))
            self._publish_results()
        return changed

    def set_counts(self, counts: dict[JobState, int]) -> None:
        """The store's count of jobs by state, read again while the jobs are still being read."""
        if not self.complete:
            self._store_counts = dict(counts)

    def _recompute_results(self) -> None:
        self._result_ranges = result_ranges(self.jobs.values())
        self._publish_results()

    def _publish_results(self) -> None:
        """`results`: the reported results' ranges, a metric summary's range in place of a result's of
        the same name."""
        self.results = dict(sorted({**self._result_ranges, **self._metric_ranges}.items()))

    def set_metrics(self, values: dict[str, dict[int, float]], flagged: dict[int, str]) -> None:
        """Summaries of metric series (engine.metrics) as extra heatmap modes, and jobs to flag."""
        self.metric_values, self.flagged = values, flagged
        self._metric_ranges = self._competing_ranges(values)
        self._publish_results()

    def _competing_ranges(self, values: dict[str, dict[int, float]]) -> dict[str, tuple[float, float]]:
        """Each metric summary's range over the jobs that compete for best (EMPTY if none has a value)."""
        jobs, ranges = self.jobs, {}
        for name, by_job in values.items():
            finite = [v for i, v in by_job.items() if math.isfinite(v) and i in jobs and competes(jobs[i])]
            ranges[name] = (min(finite), max(finite)) if finite else EMPTY
        return ranges

    def span(self, mode: str) -> tuple[float, float] | None:
        """The lowest and highest value of a heatmap mode among the jobs that compete; None if none has one."""
        low, high = self.results.get(mode, EMPTY)
        return (low, high) if low <= high else None

    def value(self, job, mode: str):
        """A job's value for a heatmap mode: a reported result, or a metric summary."""
        found = (job.attempt.results or {}).get(mode)
        return found if found is not None else self.metric_values.get(mode, {}).get(job.index)

    @property
    def reported_names(self) -> list[str]:
        """The results jobs reported (SNAPTUI_RESULT lines, the result file), without metric summaries."""
        return sorted(self._result_ranges)

    @property
    def result_names(self) -> list[str]:
        return list(self.results)

    # -- counts --------------------------------------------------------------------------
    def counts(self) -> dict[JobState, int]:
        """Jobs by state: the store's count while the jobs are still being read, then the jobs' (kept as
        jobs are read and change, never counted over the whole sweep)."""
        if not self.complete:
            return dict(self._store_counts)
        return {state: n for state, n in self._read_counts.items() if n}

    def eta_due(self, now: float) -> bool:
        """Whether the ETA should be estimated again: an estimate reads every job, so a large sweep's is
        made again every len/ETA_JOBS_PER_SECOND seconds and counts down in between."""
        return self.complete and (self._eta is None
                                  or not 0 <= now - self._eta[0] < len(self.jobs) / ETA_JOBS_PER_SECOND)

    def estimate_eta(self, jobs: list, now: float) -> tuple:
        """(now, seconds left, why jobs wait and ended) from a list of the jobs: may run off the UI thread
        (set_eta takes it)."""
        return now, eta_seconds(jobs, now, slots_of(self.sweep.config)), waiting(jobs, now)

    def set_eta(self, estimate: tuple) -> None:
        self._eta, self.waiting = estimate[:2], estimate[2]

    def eta_text(self, now: float) -> str:
        """'ETA 5m44s' once every job is read. A sweep of up to ETA_INLINE jobs is estimated here when due;
        a larger one by the screen, off the UI thread (100,000 jobs cost ~0.1 s), counting down meanwhile."""
        if not self.complete:
            return eta_words(None)
        if len(self.jobs) <= ETA_INLINE and self.eta_due(now):
            self.set_eta(self.estimate_eta(list(self.jobs.values()), now))
        if self._eta is None:
            return eta_words(None)
        at, seconds = self._eta
        return eta_words(None if seconds is None else seconds - (now - at))

    # -- the grid ------------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return len(self.axes[self.row_axis].values) if self.row_axis is not None else 1

    @property
    def n_cols(self) -> int:
        return len(self.axes[self.col_axis].values) if self.col_axis is not None else 1

    def row_label(self, row: int) -> str:
        return self.axes[self.row_axis].label(row) if self.row_axis is not None else ""

    def col_label(self, col: int) -> str:
        return self.axes[self.col_axis].label(col) if self.col_axis is not None else ""

    @property
    def other_axes(self) -> list[int]:
        return [i for i in range(len(self.axes)) if i not in (self.row_axis, self.col_axis)]

    def cell(self, row: int, col: int) -> int | None:
        """The job index at a grid cell (None where the combination was not launched)."""
        if self.layout is None:
            return None
        if not self.axes:
            return self.order[0] if self.order else None
        coord = [0] * len(self.axes)
        for axis in self.other_axes:
            coord[axis] = self.slice.get(axis, 0)
        if self.row_axis is not None:
            coord[self.row_axis] = row
        coord[self.col_axis] = col
        return self.layout.index(tuple(coord))

    def row_cells(self, row: int, first: int, last: int) -> list[int | None]:
        """The job indexes of a grid row's columns first..last-1: cell() for each, with the slice and the
        row worked out once (a frame draws ~1,500 cells)."""
        if not self.axes:
            return [self.cell(row, col) for col in range(first, last)]
        coord = [0] * len(self.axes)
        for axis in self.other_axes:
            coord[axis] = self.slice.get(axis, 0)
        if self.row_axis is not None:
            coord[self.row_axis] = row
        layout = self.layout
        if isinstance(layout, SpecCoords):
            coord[self.col_axis] = 0
            start, step = layout.index(tuple(coord)), layout.strides[layout.kept[self.col_axis]]
            return [start + col * step for col in range(first, last)]
        found = []
        for col in range(first, last):
            coord[self.col_axis] = col
            found.append(layout.index(tuple(coord)))
        return found

    def cells(self, rows: int, cols: int) -> list[int]:
        """The jobs of the grid's first `rows` x `cols` cells: what a first screen shows."""
        found = [index for row in range(min(rows, self.n_rows))
                 for index in self.row_cells(row, 0, min(cols, self.n_cols))]
        return [index for index in found if index is not None]

    def position(self, index: int) -> tuple[int, int] | None:
        """Where a job is in the current grid, or None if it is in another slice."""
        coord = self.coord(index)
        if coord is None:
            return None
        if not self.axes:
            return (0, 0)
        if any(coord[a] != self.slice.get(a, 0) for a in self.other_axes):
            return None
        row = coord[self.row_axis] if self.row_axis is not None else 0
        return row, coord[self.col_axis]

    def cycle_axis(self, which: str) -> bool:
        """Move the row or column axis to the next parameter (swapping when they would clash)."""
        if len(self.axes) < 2:
            return False
        current = self.row_axis if which == "row" else self.col_axis
        other = self.col_axis if which == "row" else self.row_axis
        nxt = (current + 1) % len(self.axes)
        if nxt == other:
            other = current
        if which == "row":
            self.row_axis, self.col_axis = nxt, other
        else:
            self.col_axis, self.row_axis = nxt, other
        return True

    def slice_count(self) -> int:
        return math.prod(len(self.axes[a].values) for a in self.other_axes) if self.other_axes else 1

    def slice_number(self) -> int:
        number = 0
        for axis in self.other_axes:
            number = number * len(self.axes[axis].values) + self.slice.get(axis, 0)
        return number

    def step_slice(self, delta: int) -> bool:
        total = self.slice_count()
        if total <= 1:
            return False
        number = (self.slice_number() + delta) % total
        for axis in reversed(self.other_axes):
            size = len(self.axes[axis].values)
            self.slice[axis] = number % size
            number //= size
        return True

    def slice_label(self) -> str:
        parts = [f"{self.axes[a].name}={self.axes[a].label(self.slice.get(a, 0))}" for a in self.other_axes]
        return ", ".join(parts)

    def show_slice_of(self, index: int) -> None:
        coord = self.coord(index)
        if coord is not None:
            for axis in self.other_axes:
                self.slice[axis] = coord[axis]
