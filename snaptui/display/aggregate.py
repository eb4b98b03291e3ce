"""The heatmap over seeds: each grid cell's mean and spread over the parameters not on an axis,
and the best cell, lowest or highest by the metric's kind."""
from __future__ import annotations

import math
import re

from .model import SweepModel

LOWER_IS_BETTER = re.compile(r"loss|err|perplex|time|latency|mse|mae|rmse|regret|nll|wer|cer", re.IGNORECASE)


def goal_for(name: str) -> str:
    """'min' for losses and errors, 'max' for scores and accuracies (toggled by the user with b)."""
    return "min" if LOWER_IS_BETTER.search(name) else "max"


def cell_stats(model: SweepModel, mode: str) -> dict[tuple[int, int], tuple[float, float, int]]:
    """(row, col) -> (mean, standard deviation, number of finite values) over every slice."""
    values: dict[tuple[int, int], list[float]] = {}
    for index, job in model.jobs.items():
        coord = model.coord(index)
        if coord is None:
            continue
        if not model.axes:
            key = (0, 0)
        else:
            key = (coord[model.row_axis] if model.row_axis is not None else 0, coord[model.col_axis])
        value = model.value(job, mode)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            values.setdefault(key, []).append(float(value))
    out = {}
    for key, found in values.items():
        mean = sum(found) / len(found)
        spread = math.sqrt(sum((v - mean) ** 2 for v in found) / (len(found) - 1)) if len(found) > 1 else 0.0
        out[key] = (mean, spread, len(found))
    return out


def best_cell(stats: dict, goal: str) -> tuple[int, int] | None:
    if not stats:
        return None
    pick = min if goal == "min" else max
    return pick(stats, key=lambda key: stats[key][0])


def stat_text(mean: float, spread: float, n: int, width: int) -> str:
    """'0.531±0.02' cut to the cell: the mean first, its spread as room allows."""
    head = f"{mean:.3g}"
    if n > 1:
        tail = f"±{spread:.1g}"
        if len(head) + len(tail) <= width:
            return head + tail
    return head[:width]
