"""The data behind the sweep screen: jobs by index, the parameter axes, marks and results.

Pure Python (no widgets): the grid and the job table both render from it, and an
update tells which jobs changed so only their cells are redrawn.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..engine.states import JobState


@dataclass
class Axis:
    keys: tuple[str, ...]          # one grid parameter, or the parameters of one zip group
    values: list[tuple]            # distinct value tuples, in expansion order

    @property
    def name(self) -> str:
        return "+".join(self.keys)

    def label(self, position: int) -> str:
        return ",".join(_fmt(v) for v in self.values[position])


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def axes_for(spec: dict | None, jobs: list) -> list[Axis]:
    """Varying parameters as axes: from the sweep spec when it matches the jobs, else from the jobs."""
    groups: list[tuple[str, ...]] = []
    spec = spec or {}
    for key, values in (spec.get("grid") or {}).items():
        if isinstance(values, list) and len(values) > 1:
            groups.append((key,))
    for group in spec.get("zip") or []:
        if isinstance(group, dict) and group and len(next(iter(group.values()))) > 1:
            groups.append(tuple(group))
    if not groups or any(k not in job.params for job in jobs[:50] for g in groups for k in g):
        groups = []
        if jobs:
            first = jobs[0].params
            for key in first:
                if any(job.params.get(key) != first.get(key) for job in jobs):
                    groups.append((key,))
    axes = []
    for keys in groups:
        seen: dict[tuple, None] = {}
        for job in jobs:
            seen.setdefault(tuple(_hashable(job.params.get(k)) for k in keys), None)
        if len(seen) > 1:
            axes.append(Axis(keys, list(seen)))
    return axes


class SweepModel:
    def __init__(self, sweep, jobs: list):
        self.sweep = sweep
        self.jobs: dict[int, Any] = {job.index: job for job in jobs}
        self.order: list[int] = [job.index for job in jobs]
        self.axes = axes_for(sweep.spec, jobs)
        positions = [{value: i for i, value in enumerate(axis.values)} for axis in self.axes]
        self.coords: dict[int, tuple[int, ...]] = {}
        self.by_coords: dict[tuple[int, ...], int] = {}
        for job in jobs:
            coord = tuple(pos[tuple(_hashable(job.params.get(k)) for k in axis.keys)]
                          for axis, pos in zip(self.axes, positions))
            self.coords[job.index] = coord
            self.by_coords.setdefault(coord, job.index)
        self.row_axis: int | None = 0 if len(self.axes) >= 2 else None
        self.col_axis: int | None = 1 if len(self.axes) >= 2 else (0 if self.axes else None)
        self.slice: dict[int, int] = {}   # axis -> value position, for axes not shown
        self.marked: set[int] = set()
        self.results: dict[str, tuple[float, float]] = {}
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
        self.results = dict(sorted(ranges.items()))

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
