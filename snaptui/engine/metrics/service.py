"""The metrics API the faces use: bring series up to date, then read curves, summaries, flags.

Reading is pull-based and incremental: `update(jobs)` reads only what each source
gained since the last call (by any process) and stores it; a face calls it on a timer
while jobs run. Sources of an attempt: its stdout log (result lines) and the files in
its folder ($SNAPTUI_JOB_DIR) matched by `metrics.files` globs.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from snaptui.engine.config.model import MetricsSettings
from snaptui.engine.config.settings import stored_config
from ..models import Attempt, Job, Sweep
from ..states import JobState
from .db import DB_FILENAME, MetricsDB
from .lines import LineParser, read_log
from .reading import Point, ReadState
from .series import Series, Summary, maximized
from .readers import READERS, reader_for
from .tfevents import TensorBoardMissing

if TYPE_CHECKING:   # live and overlay hold numpy arrays: imported when a face asks for them, not by every reader
    from .live import ArraySeries, LiveSeries
    from .overlay import Curve

STEP_BYTES = 16 * 1024 * 1024  # one transaction's worth of reading; bounds memory, not the total


@dataclass
class JobFlags:
    nonfinite: list[tuple[str, float, str]] = field(default_factory=list)  # (metric, first step, "nan"/"inf")
    silent_s: float | None = None  # set when a running job's log has been quiet longer than hung_after_min

    @property
    def any(self) -> bool:
        return bool(self.nonfinite) or self.silent_s is not None


class Metrics:
    def __init__(self, engine: Any, settings: MetricsSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings or engine.project.metrics
        self.db = MetricsDB(engine.store.path.parent / DB_FILENAME)  # beside state.db, wherever that lives
        self._parsers: dict[str, LineParser] = {}
        # what this process already read to the end, so a live view's tick over 10,000 jobs costs
        # a stat per changed file, not a transaction (and a folder walk) per job
        self._unchanged: dict[str, tuple[int, int]] = {}  # path -> (size, mtime_ns) when last read to its end
        self._finished: set[int] = set()                   # final attempts whose sources were all read after the end
        self._sweeps: dict[int, Sweep | None] = {}             # sweep id -> its record, for the jobs' Hydra run dirs

    # -- ingestion ---------------------------------------------------------------
    def sources(self, attempt: Attempt) -> list[tuple[Path, str]]:
        """The attempt's stdout log, then metrics files in its folder ($SNAPTUI_JOB_DIR) and in the Hydra
        run dir snaptui gave its job, if any (where Lightning's CSV and TensorBoard loggers write)."""
        found: list[tuple[Path, str]] = []
        stdout, _ = self.engine.log_paths(attempt)
        if stdout is not None:
            found.append((stdout, "log"))
        folders = [Path(attempt.log_dir)] if attempt.log_dir else []
        run_dir = self._run_dir(attempt)
        if run_dir is not None:
            folders.append(run_dir)
        seen = set()
        for folder in folders:
            if not folder.is_dir():
                continue
            for pattern in self.settings.files:
                for path in sorted(folder.glob(pattern)):
                    reader = reader_for(path)
                    if reader and path.is_file() and path not in seen:
                        seen.add(path)
                        found.append((path, reader.kind))
        return found

    def _run_dir(self, attempt: Attempt) -> Path | None:
        if attempt.sweep_id not in self._sweeps:
            self._sweeps[attempt.sweep_id] = self.engine.store.sweep(attempt.sweep_id)
        sweep = self._sweeps[attempt.sweep_id]
        return self.engine.run_dir(attempt, sweep) if sweep is not None and sweep.spec.get("run_dir") else None

    def update(self, jobs: Iterable[Job | Attempt], *, max_bytes: int | None = None) -> int:
        """Read what the jobs' sources gained; returns the number of new points.

        max_bytes bounds the bytes read per source in this call (a TUI tick); None reads to the end.
        """
        added = 0
        sweeps: dict[int, str] = {}
        for item in jobs:
            attempt = item.attempt if isinstance(item, Job) else item
            if attempt.started_at is None and not attempt.log_dir:
                continue
            if attempt.sweep_id not in sweeps:
                recorded = self.engine.store.sweep(attempt.sweep_id).config
                sweeps[attempt.sweep_id] = stored_config(recorded).results.pattern
            if attempt.id in self._finished:
                continue
            parser = self._parser(sweeps[attempt.sweep_id])
            complete = True
            for path, kind in self.sources(attempt):
                stamp = _stamp(path)
                if stamp is not None and self._unchanged.get(str(path)) == stamp:
                    continue
                new, at_end = self._ingest(attempt.id, path, kind, parser, max_bytes)
                added += new
                if at_end and stamp is not None and _stamp(path) == stamp:
                    self._unchanged[str(path)] = stamp
                else:
                    complete = False
            if complete and attempt.state.is_final:
                self._finished.add(attempt.id)
        return added

    def _parser(self, pattern: str) -> LineParser:
        if pattern not in self._parsers:
            self._parsers[pattern] = LineParser(pattern)
        return self._parsers[pattern]

    def _ingest(self, attempt_id: int, path: Path, kind: str, parser: LineParser,
                max_bytes: int | None) -> tuple[int, bool]:
        """New points from one source: (how many, whether its whole content is now read)."""
        added = 0
        while True:
            budget = STEP_BYTES if max_bytes is None else min(STEP_BYTES, max_bytes - added)
            with self.db.write() as conn:
                source_id, state = self.db.source(conn, attempt_id, str(path), kind)
                before = state.offset
                problem = None
                try:
                    points = _read(kind, path, state, parser, budget)
                except TensorBoardMissing as exc:
                    points, problem = [], str(exc)
                except Exception as exc:  # noqa: BLE001 - recorded as the source's problem (shown); the others go on
                    points, problem = [], f"{path.name}: {exc}"
                count = self.db.save(conn, source_id, attempt_id, state, points, problem, kind=kind)
            moved = state.offset - before if state.offset >= before else state.offset
            added += count
            if max_bytes is not None or not moved:  # a read stops short of its budget at a line end:
                stamp = _stamp(path)                # only a read that moved nothing means the end
                return added, problem is None and stamp is not None and state.offset >= stamp[0]

    # -- reading -----------------------------------------------------------------
    def metric_names(self, jobs: Iterable[Job]) -> list[str]:
        return self.db.metric_names([j.attempt.id for j in jobs])

    def series(self, job: Job | Attempt, metric: str) -> Series:
        attempt = job.attempt if isinstance(job, Job) else job
        steps, values = self.db.series(attempt.id, metric)
        return Series(metric, steps, values, maximized(metric, self.settings.maximize))

    def series_of(self, jobs: Iterable[Job], metric: str) -> dict[int, ArraySeries]:
        """Every job's series of `metric` by job index, in step order as series() gives it, read at once
        from the packed chunks (a sweep's 1M points: 10 s one query per job, row by row). Jobs without
        the metric are left out."""
        import numpy as np

        from .live import ArraySeries

        jobs = list(jobs)
        found = self.db.arrays([j.attempt.id for j in jobs], metric, self.db.last_rowid())
        higher = maximized(metric, self.settings.maximize)
        out: dict[int, ArraySeries] = {}
        for job in jobs:
            if job.attempt.id in found:
                steps, values = found[job.attempt.id]
                order = np.argsort(steps, kind="stable")
                ordered_steps: Any = steps[order]   # arrays where a Series holds lists: ArraySeries reads them alike
                ordered_values: Any = values[order]
                out[job.index] = ArraySeries(metric, ordered_steps, ordered_values, higher)
        return out

    def summaries_of(self, jobs: Iterable[Job], metric: str) -> dict[int, Summary]:
        """Every job's points, last step, final and best value of `metric` by job index, as series_of's
        series would give them, without numpy (`snaptui metrics`' table). Jobs without the metric are left out."""
        jobs = list(jobs)
        found = self.db.summaries([j.attempt.id for j in jobs], metric, self.db.last_rowid())
        higher = maximized(metric, self.settings.maximize)
        out: dict[int, Summary] = {}
        for job in jobs:
            if job.attempt.id in found:
                n, last_step, final, lo, hi = found[job.attempt.id]
                out[job.index] = Summary(n, last_step, final, hi if higher else lo)
        return out

    def summaries(self, jobs: Iterable[Job], metric: str, mode: str = "final",
                  last_n: int | None = None) -> dict[int, float | None]:
        """A metric's final, best or mean-of-last-N value per job index (the heatmap's values)."""
        n = self.settings.last_n if last_n is None else last_n
        return {j.index: self.series(j, metric).summary(mode, n) for j in jobs}

    def heat_values(self, jobs: Iterable[Job]) -> dict[str, dict[int, float]]:
        """Every metric's final, best and mean-of-last-N value per job index, keyed "loss final",
        "loss best", "loss mean10": the heatmap's extra modes. One query per metric and mode."""
        jobs = list(jobs)
        by_attempt = {j.attempt.id: j.index for j in jobs}
        ids = list(by_attempt)
        n = self.settings.last_n
        out: dict[str, dict[int, float]] = {}
        for metric in self.db.metric_names(ids):
            higher = maximized(metric, self.settings.maximize)
            for mode, label in (("final", "final"), ("best", "best"), ("mean_last", f"mean{n}")):
                values = self.db.aggregate(ids, metric, mode, n, higher)
                out[f"{metric} {label}"] = {by_attempt[a]: v for a, v in values.items()}
        return out

    def flags(self, jobs: Iterable[Job], now: float | None = None) -> dict[int, JobFlags]:
        """NaN/inf seen in any metric, and running jobs whose log has been silent too long."""
        jobs = list(jobs)
        now = time.time() if now is None else now
        bad = self.db.nonfinite([j.attempt.id for j in jobs])
        limit = self.settings.hung_after_min * 60
        out: dict[int, JobFlags] = {}
        for job in jobs:
            flags = JobFlags(nonfinite=bad.get(job.attempt.id, []))
            if job.state == JobState.RUNNING and limit > 0:
                last = self._last_output(job.attempt)
                if last is not None and now - last > limit:
                    flags.silent_s = now - last
            if flags.any:
                out[job.index] = flags
        return out

    def live(self, metric: str) -> LiveSeries:
        """An in-memory copy of one metric's series that refreshes with only new rows (for live views)."""
        from .live import LiveSeries

        return LiveSeries(self, metric)

    def overlay(self, jobs: list[Job], metric: str, *, colour_by: str | None = None, smoothing: float = 0.0,
                max_points: int = 400, log_y: bool = False, live: LiveSeries | None = None) -> list[Curve]:
        """One curve per job that has the metric (see overlay.build_overlay)."""
        from .overlay import build_overlay

        live = live or self.live(metric)
        live.refresh([j.attempt.id for j in jobs])
        higher = maximized(metric, self.settings.maximize)
        series = {j.index: live.series(j.attempt.id, higher) for j in jobs}
        return build_overlay(series, jobs, colour_by=colour_by, smoothing=smoothing, max_points=max_points,
                             log_y=log_y)

    def problems(self, jobs: Iterable[Job]) -> dict[int, list[str]]:
        by_attempt = self.db.problems([j.attempt.id for j in jobs])
        return {j.index: by_attempt[j.attempt.id] for j in jobs if j.attempt.id in by_attempt}

    def _last_output(self, attempt: Attempt) -> float | None:
        """When the job last wrote to its log; None without a log (on a filesystem this host cannot
        see, every job would otherwise look hung)."""
        times = []
        for path in self.engine.log_paths(attempt):
            try:
                times.append(os.stat(path).st_mtime)
            except (OSError, TypeError):
                pass
        return max(times, default=None)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _read(kind: str, path: Path, state: ReadState, parser: LineParser, budget: int) -> list[Point]:
    if kind == "log":
        return read_log(path, state, parser, budget)
    return READERS[kind].read(path, state, budget)
