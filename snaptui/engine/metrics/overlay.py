"""A sweep's curves side by side: one curve per job, with a colour position from a swept parameter.

Faces draw what this returns. Curves are thinned to about `max_points` per curve (keeping each
bucket's minimum and maximum, so spikes and NaN-free extremes survive) because a terminal plot
is at most a few hundred dots wide: 100 jobs x 10,000 points must not reach the renderer whole.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Sequence, TypeGuard

import numpy as np

from ..models import Job
from .series import Series, smooth

@dataclass
class Curve:
    job_index: int
    label: str            # the job's parameters, short
    steps: np.ndarray
    values: np.ndarray    # smoothed if asked, thinned
    final: float | None   # of the raw series
    best: float | None
    colour_at: float      # 0..1 along the colour map (numeric parameter) or category / (categories - 1)
    colour_key: str       # the parameter's value, for the legend
    points: int           # raw number of points


def downsample(steps: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray, max_points: int, *,
               mean: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """At most ~max_points points: each of max_points/2 buckets keeps its minimum and maximum
    (NaN ignored), at the bucket's first and last step; with mean=True one mean point per bucket."""
    x = np.asarray(steps, dtype=float)
    y = np.asarray(values, dtype=float)
    n = len(y)
    if max_points <= 0 or n <= max_points:
        return x, y
    buckets = max(1, max_points if mean else max_points // 2)
    edges = (np.arange(buckets + 1) * n) // buckets
    starts = edges[:-1]
    ends = edges[1:] - 1
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if mean:
            finite = np.where(np.isfinite(y), y, 0.0)
            counts = np.add.reduceat(np.isfinite(y).astype(float), starts)
            sums = np.add.reduceat(finite, starts)
            return (x[starts] + x[ends]) / 2, np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        low = np.fmin.reduceat(y, starts)
        high = np.fmax.reduceat(y, starts)
    out_x = np.empty(2 * buckets)
    out_y = np.empty(2 * buckets)
    out_x[0::2], out_x[1::2] = x[starts], x[ends]
    out_y[0::2], out_y[1::2] = low, high
    return out_x, out_y


def colour_positions(jobs: list[Job], parameter: str | None) -> dict[int, tuple[float, str]]:
    """Where each job sits on the colour scale: by value for a numeric parameter, by order otherwise."""
    if not parameter:
        count = max(1, len(jobs) - 1)
        return {j.index: (i / count, str(j.index)) for i, j in enumerate(jobs)}
    raw = {j.index: j.params.get(parameter) for j in jobs}
    numbers = {i: float(v) for i, v in raw.items() if _is_number(v)}
    if len(numbers) == len(raw) and numbers:
        lo, hi = min(numbers.values()), max(numbers.values())
        use_log = lo > 0 and hi / lo >= 100  # learning rates and the like span decades
        f = (lambda x: math.log10(x)) if use_log else (lambda x: x)
        span = (f(hi) - f(lo)) or 1.0
        return {i: ((f(v) - f(lo)) / span, str(raw[i])) for i, v in numbers.items()}
    categories = list(dict.fromkeys(str(v) for v in raw.values()))
    count = max(1, len(categories) - 1)
    return {i: (categories.index(str(v)) / count, str(v)) for i, v in raw.items()}


def _is_number(value: Any) -> TypeGuard[float]:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def job_label(job: Job, skip: str | None = None) -> str:
    varying = {k: v for k, v in job.params.items() if k != skip}
    return " ".join(f"{k}={v}" for k, v in varying.items()) or f"job {job.index}"


def build_overlay(series_by_job: dict[int, Series], jobs: list[Job], *, colour_by: str | None = None,
                  smoothing: float = 0.0, max_points: int = 400, log_y: bool = False) -> list[Curve]:
    """Curves for the jobs that have the metric, coloured by `colour_by`; log_y drops values <= 0."""
    positions = colour_positions(jobs, colour_by)
    curves = []
    for job in jobs:
        series = series_by_job.get(job.index)
        if series is None or not len(series):
            continue
        if smoothing > 0:
            # EMA over bucket means with the weight a whole bucket would have had: raw EMA costs
            # a Python loop over every point, this costs one per bucket and looks the same
            per_bucket = max(1.0, len(series.values) / max_points)
            steps, means = downsample(series.steps, series.values, max_points, mean=True)
            values = np.asarray(smooth(means.tolist(), smoothing ** per_bucket), dtype=float)
        else:
            steps, values = downsample(series.steps, series.values, max_points)
        if log_y:
            values = np.where(values > 0, values, np.nan)
        at, key = positions.get(job.index, (0.0, ""))
        curves.append(Curve(job.index, job_label(job), steps, values, series.final, series.best, at, key,
                            len(series)))
    return curves
