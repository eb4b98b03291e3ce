"""The sweep screen's metric summaries: heatmap modes ("loss best", "loss mean10", ...) and flags.

Kept out of sweep.py: a timer reads what the jobs' logs and metrics files gained (bounded per
tick), then one aggregate query per metric and mode, off the UI thread.
"""
from __future__ import annotations

from snaptui.display.messages import SweepMetricsChanged

INTERVAL_S = 3.0
READ_PER_TICK = 4 * 1024 * 1024


def flag_reason(flags) -> str:
    if flags.nonfinite:
        metric, step, value = flags.nonfinite[0]
        return f"{value} in {metric} at step {step:g}"
    return f"log silent for {flags.silent_s / 60:.0f} min: hung?"


class SweepMetricsWatcher:
    def __init__(self, screen) -> None:
        self.screen = screen
        self.metrics = None
        self.seen_running = True  # read at least once, also for a finished sweep

    def start(self) -> None:
        self.screen.set_interval(INTERVAL_S, self.tick, name="metrics")
        self.screen.set_timer(0.2, self.tick)

    def tick(self) -> None:
        screen = self.screen
        model = screen.model
        if model is None or screen.reading("metrics"):   # never two reads at once
            return
        running = any(n for state, n in model.counts().items() if not state.is_final)
        if not running and not self.seen_running:
            return  # nothing can change any more
        self.seen_running = running
        # what the read needs from the screen is taken here: in the thread the screen may be gone
        # (the app closed or the sweep left mid-read), and asking it for its app then raises
        screen.call_engine(self.read, screen.engine, list(model.jobs.values()), screen.now(),
                           done=self.shown, group="metrics")

    def read(self, engine, jobs: list, now: float):
        if self.metrics is None:
            self.metrics = engine.metrics()
        self.metrics.update(jobs, max_bytes=READ_PER_TICK)
        flags = self.metrics.flags(jobs, now=now)
        return self.metrics.heat_values(jobs), {i: flag_reason(f) for i, f in flags.items()}

    def shown(self, result) -> None:
        values, flagged = result
        model = self.screen.model
        if model is None or (values == model.metric_values and flagged == model.flagged):
            return
        model.set_metrics(values, flagged)
        self.screen.post_message(SweepMetricsChanged())
