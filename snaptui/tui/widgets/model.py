"""The data behind the sweep screen: jobs by index, the parameter axes, marks and results.

Pure Python (no widgets): the grid and the job table both render from it, and an
update tells which jobs changed so only their cells are redrawn.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ...engine.models import format_value
from ...engine.states import JobState


@dataclass
class Axis:
    keys: tuple[str, ...]          # one grid parameter, or the parameters of one zip group
    values: list[tuple]            # distinct value tuples, in expansion order

    @property
    def name(self) -> str:
        return "+".join(self.keys)

    def label(self, position: int) -> str:
        return ",".join(format_value(v) for v in self.values[position])


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def spec_axes(spec: dict | None, jobs: list) -> tuple[list[Axis], dict[int, tuple[int, ...]]] | None:
    """Axes and each job's coordinates from the sweep spec's expansion order (exact, even with
    repeated values): grid keys in file order with the last varying fastest, then each zip group."""
    spec = spec or {}
    factors: list[tuple[tuple[str, ...], list[tuple]]] = []
    for key, values in (spec.get("grid") or {}).items():
        if not isinstance(values, list) or not values:
            return None
        factors.append(((key,), [(_hashable(v),) for v in values]))
    for group in spec.get("zip") or []:
        if not isinstance(group, dict) or not group:
            return None
        keys = tuple(group)
        factors.append((keys, [tuple(_hashable(v) for v in combo) for combo in zip(*group.values())]))
    if not factors or math.prod(len(values) for _, values in factors) != len(jobs):
        return None
    sizes = [len(values) for _, values in factors]
    kept = [n for n, size in enumerate(sizes) if size > 1]
    coords: dict[int, tuple[int, ...]] = {}
    for job in jobs:
        rest, full = job.index, [0] * len(sizes)
        for n in range(len(sizes) - 1, -1, -1):
            rest, full[n] = divmod(rest, sizes[n])
        coords[job.index] = tuple(full[n] for n in kept)
    return [Axis(*factors[n]) for n in kept], coords


def axes_for(jobs: list) -> tuple[list[Axis], dict[int, tuple[int, ...]]]:
    """Axes from the jobs themselves: every parameter whose value differs between jobs."""
    axes: list[Axis] = []
    if jobs:
        first = jobs[0].params
        keys = list(first) + [k for job in jobs[:1000] for k in job.params if k not in first]
        for key in dict.fromkeys(keys):
            seen = dict.fromkeys(_hashable(job.params.get(key)) for job in jobs)
            if len(seen) > 1:
                axes.append(Axis((key,), [(v,) for v in seen]))
    positions = [{value: i for i, value in enumerate(axis.values)} for axis in axes]
    coords = {job.index: tuple(pos[tuple(_hashable(job.params.get(k)) for k in axis.keys)]
                               for axis, pos in zip(axes, positions)) for job in jobs}
    return axes, coords


class SweepModel:
    def __init__(self, sweep, jobs: list):
        self.sweep = sweep
        self.jobs: dict[int, Any] = {job.index: job for job in jobs}
        self.order: list[int] = [job.index for job in jobs]
        self.axes, self.coords = spec_axes(sweep.spec, jobs) or axes_for(jobs)
        self.by_coords: dict[tuple[int, ...], int] = {}
        for index, coord in self.coords.items():
            self.by_coords.setdefault(coord, index)
        self.row_axis: int | None = 0 if len(self.axes) >= 2 else None
        self.col_axis: int | None = 1 if len(self.axes) >= 2 else (0 if self.axes else None)
        self.slice: dict[int, int] = {}   # axis -> value position, for axes not shown
        self.marked: set[int] = set()
        self.results: dict[str, tuple[float, float]] = {}
        self.metric_values: dict[str, dict[int, float]] = {}  # "loss best" -> job index -> value (heatmap)
        self.flagged: dict[int, str] = {}                      # job index -> why (NaN/inf, silent log)
        self._recompute_results()

    # -- updates ---------------------------------------------------------------------
    def update(self, jobs: list) -> set[int]:
        changed = set()
        for job in jobs:
            if job.index in self.jobs and self.jobs[job.index] != job:
                self.jobs[job.index] = job
                changed.add(job.index)
        if changed and any(self.jobs[i].attempt.results for i in changed):
            self._recompute_results()
        return changed

    def _recompute_results(self) -> None:
        ranges: dict[str, tuple[float, float]] = {}
        for job in self.jobs.values():
            for name, value in (job.attempt.results or {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                    low, high = ranges.get(name, (value, value))
                    ranges[name] = (min(low, value), max(high, value))
        for name, values in self.metric_values.items():
            finite = [v for v in values.values() if math.isfinite(v)]
            if finite:
                ranges[name] = (min(finite), max(finite))
        self.results = dict(sorted(ranges.items()))

    def set_metrics(self, values: dict[str, dict[int, float]], flagged: dict[int, str]) -> None:
        """Summaries of metric series (engine.metrics) as extra heatmap modes, and jobs to flag."""
        self.metric_values, self.flagged = values, flagged
        self._recompute_results()

    def value(self, job, mode: str):
        """A job's value for a heatmap mode: a reported result, or a metric summary."""
        found = (job.attempt.results or {}).get(mode)
        return found if found is not None else self.metric_values.get(mode, {}).get(job.index)

    @property
    def result_names(self) -> list[str]:
        return list(self.results)

    # -- counts --------------------------------------------------------------------------
    def counts(self) -> dict[JobState, int]:
        out: dict[JobState, int] = {}
        for job in self.jobs.values():
            out[job.state] = out.get(job.state, 0) + 1
        return out

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
        if not self.axes:
            return self.order[0] if self.order else None
        coord = [0] * len(self.axes)
        for axis in self.other_axes:
            coord[axis] = self.slice.get(axis, 0)
        if self.row_axis is not None:
            coord[self.row_axis] = row
        coord[self.col_axis] = col
        return self.by_coords.get(tuple(coord))

    def position(self, index: int) -> tuple[int, int] | None:
        """Where a job is in the current grid, or None if it is in another slice."""
        coord = self.coords.get(index)
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
        coord = self.coords.get(index)
        if coord is not None:
            for axis in self.other_axes:
                self.slice[axis] = coord[axis]
