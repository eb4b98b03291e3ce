"""The heatmap's mean ± sd over one parameter (seeds, most often), and which cell is best.

Any parameter can be averaged over, also one on an axis: in an `lr x seed` sweep, the mean over seed
is one row per lr. Only the jobs that compete (views.competes: COMPLETED) are averaged and ranked; a
cell counts the others, so the grid can say a failed run is missing from its mean.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from snaptui.engine.states import JobState
from snaptui.engine.views import competes, maximized
from .model import SweepModel

SEED_LIKE = re.compile(r"seed|rep|trial|run", re.IGNORECASE)


def goal_for(name: str) -> str:
    """'max' for metrics better higher (accuracy, score, reward: the engine's rule, as the curves
    legend's), 'min' for the rest (losses, errors, times); toggled by the user with b."""
    return "max" if maximized(name.split(" ")[0]) else "min"


def choices(model: SweepModel) -> list[int]:
    """The axes `m` offers to average over, in the order it offers them: seed-like parameters first,
    then those not on an axis, then the columns', then the rows'."""
    order = sorted(range(len(model.axes)), key=lambda a: (
        not SEED_LIKE.search(model.axes[a].name),
        0 if a in model.other_axes else 1 if a == model.col_axis else 2, a))
    return order


@dataclass
class Cell:
    mean: float | None = None         # over the competing jobs with a finite value
    spread: float = 0.0               # their sample standard deviation
    n: int = 0                        # how many
    others: Counter = field(default_factory=Counter)   # states of the jobs with a value that do not compete
    jobs: list[int] = field(default_factory=list)       # every job of the cell, by index

    @property
    def worst_other(self) -> JobState | None:
        for state in (JobState.FAILED, JobState.TIMEOUT, JobState.CANCELLED, JobState.RUNNING, JobState.UNKNOWN):
            if self.others.get(state):
                return state
        return None


class Aggregation:
    """A grid of cells, each the jobs that differ only in the parameter `over` (the others not on an
    axis: the slice shown). When `over` is on an axis, the grid is one row per value of the other axis
    and one column. Answers as the model does for the grid (n_rows, row_label, ...)."""

    def __init__(self, model: SweepModel, mode: str, over: int) -> None:
        self.model, self.mode, self.over = model, mode, over
        shown = [a for a in (model.row_axis, model.col_axis) if a is not None and a != over]
        if over in (model.row_axis, model.col_axis):
            self.row_axis, self.col_axis = (shown[0] if shown else None), None
        else:
            self.row_axis, self.col_axis = model.row_axis, model.col_axis
        self.sliced = [a for a in range(len(model.axes)) if a not in (self.row_axis, self.col_axis, over)]
        self.cells: dict[tuple[int, int], Cell] = {}
        self._fill()

    def _fill(self) -> None:
        model, cells = self.model, self.cells
        values: dict[tuple[int, int], list[float]] = {}
        for index in model.order:
            job = model.jobs[index]
            coord = model.coord(index)
            if coord is None or any(coord[a] != model.slice.get(a, 0) for a in self.sliced):
                continue
            key = (coord[self.row_axis] if self.row_axis is not None else 0,
                   coord[self.col_axis] if self.col_axis is not None else 0)
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = Cell()
            cell.jobs.append(index)
            value = model.value(job, self.mode)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                if competes(job):
                    values.setdefault(key, []).append(float(value))
                else:
                    cell.others[job.state] += 1
        for key, found in values.items():
            cell = cells[key]
            cell.mean = sum(found) / len(found)
            cell.spread = math.sqrt(sum((v - cell.mean) ** 2 for v in found) / (len(found) - 1)) \
                if len(found) > 1 else 0.0
            cell.n = len(found)

    # -- the grid, as SweepModel answers it -------------------------------------------------
    @property
    def n_rows(self) -> int:
        return len(self.model.axes[self.row_axis].values) if self.row_axis is not None else 1

    @property
    def n_cols(self) -> int:
        return len(self.model.axes[self.col_axis].values) if self.col_axis is not None else 1

    def row_label(self, row: int) -> str:
        return self.model.axes[self.row_axis].label(row) if self.row_axis is not None else ""

    def col_label(self, col: int) -> str:
        if self.col_axis is None:
            return f"±{self.over_name}"
        return self.model.axes[self.col_axis].label(col)

    @property
    def over_name(self) -> str:
        return self.model.axes[self.over].name

    def corner(self) -> str:
        axes = self.model.axes
        if self.row_axis is None:
            return "" if self.col_axis is None else f"{axes[self.col_axis].name} →"
        if self.col_axis is None:
            return f"{axes[self.row_axis].name} ↓"
        return f"{axes[self.row_axis].name} ↓ {axes[self.col_axis].name} →"

    def cell(self, row: int, col: int) -> Cell | None:
        return self.cells.get((row, col))

    def job_at(self, row: int, col: int) -> int | None:
        """The job the cursor stands for in a cell: its first."""
        found = self.cells.get((row, col))
        return found.jobs[0] if found is not None and found.jobs else None

    def position(self, index: int) -> tuple[int, int] | None:
        for key, cell in self.cells.items():
            if index in cell.jobs:
                return key
        return None

    def span(self) -> tuple[float, float] | None:
        means = [c.mean for c in self.cells.values() if c.mean is not None]
        return (min(means), max(means)) if means else None

    def best(self, goal: str) -> tuple[int, int] | None:
        ranked = {key: c.mean for key, c in self.cells.items() if c.mean is not None}
        if not ranked:
            return None
        pick = min if goal == "min" else max
        return pick(ranked, key=ranked.__getitem__)


def stat_text(mean: float, spread: float, n: int, width: int) -> str:
    """'0.531±0.02' cut to the cell: the mean first, its spread as room allows."""
    head = f"{mean:.3g}"
    if n > 1:
        tail = f"±{spread:.1g}"
        if len(head) + len(tail) <= width:
            return head + tail
    return head[:width]
