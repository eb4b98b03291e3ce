"""A metric's series and what is read off it: final, best, mean of the last N, smoothing."""
from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Iterable

from snaptui.engine.config.model import MetricsSettings

SUMMARY_MODES = ("final", "best", "mean_last")
DEFAULT_MAXIMIZE = MetricsSettings().maximize


def maximized(metric: str, patterns: Iterable[str] = DEFAULT_MAXIMIZE) -> bool:
    """Whether higher is better for this metric (by name; configurable as metrics.maximize)."""
    name = metric.lower()
    return any(fnmatchcase(name, p.lower()) for p in patterns)


@dataclass
class Series:
    metric: str
    steps: list[float]
    values: list[float]
    higher_is_better: bool = False

    def __len__(self) -> int:
        return len(self.values)

    @property
    def finite(self) -> list[float]:
        return [v for v in self.values if math.isfinite(v)]

    @property
    def final(self) -> float | None:
        return self.values[-1] if self.values else None

    @property
    def best(self) -> float | None:
        finite = self.finite
        if not finite:
            return None
        return max(finite) if self.higher_is_better else min(finite)

    def mean_last(self, n: int) -> float | None:
        tail = [v for v in self.values[-n:] if math.isfinite(v)] if n > 0 else []
        return sum(tail) / len(tail) if tail else None

    def summary(self, mode: str, last_n: int = 10) -> float | None:
        if mode == "final":
            return self.final
        if mode == "best":
            return self.best
        if mode == "mean_last":
            return self.mean_last(last_n)
        raise ValueError(f"unknown summary {mode!r}; one of {', '.join(SUMMARY_MODES)}")


@dataclass(frozen=True)
class Summary:
    """What a table shows of a series: its length, last step, final and best value (as Series gives them)."""
    points: int
    last_step: float
    final: float
    best: float | None   # None when no value is finite


def smooth(values: list[float], weight: float) -> list[float]:
    """TensorBoard's exponential moving average, debiased so the start is not pulled to 0."""
    if weight <= 0:
        return list(values)
    out, last, count = [], 0.0, 0
    for value in values:
        if not math.isfinite(value):
            out.append(value)
            continue
        last = last * weight + (1 - weight) * value
        count += 1
        out.append(last / (1 - weight ** count))
    return out
