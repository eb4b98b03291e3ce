"""The sweep screen's metric summaries: heatmap modes ("loss best", "loss mean10", ...) and flags.

What the jobs' logs and metrics files gained is read (bounded per read), then one aggregate query per
metric and mode; the screen runs `read` in a worker every INTERVAL_S.
"""
from __future__ import annotations

INTERVAL_S = 3.0
READ_PER_TICK = 4 * 1024 * 1024


def flag_reason(flags) -> str:
    if flags.nonfinite:
        metric, step, value = flags.nonfinite[0]
        return f"{value} in {metric} at step {step:g}"
    return f"log silent for {flags.silent_s / 60:.0f} min: hung?"


class SweepMetrics:
    """The engine's metrics reader for one sweep, kept between reads (it remembers how far each file was read)."""

    def __init__(self) -> None:
        self.metrics = None
        self.seen_running = True  # read at least once, also for a finished sweep

    def due(self, model) -> bool:
        """Whether a read may find something new: jobs are unfinished, or were at the last read."""
        running = any(n for state, n in model.counts().items() if not state.is_final)
        due = running or self.seen_running
        self.seen_running = running
        return due

    def read(self, engine, jobs: list, now: float) -> tuple[dict, dict]:
        """(heatmap values by mode and job, flag reason by job): off the UI thread."""
        if self.metrics is None:
            self.metrics = engine.metrics()
        self.metrics.update(jobs, max_bytes=READ_PER_TICK)
        flags = self.metrics.flags(jobs, now=now)
        return self.metrics.heat_values(jobs), {i: flag_reason(f) for i, f in flags.items()}
