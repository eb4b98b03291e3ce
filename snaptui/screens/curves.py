"""Learning curves: a sweep's overlay (one curve per job) or one job's metrics, updating live.

Opened with `p` from a sweep (the marked jobs, or all). Series come from the engine's metrics
store; a timer reads what the logs and metrics files gained and refetches only new points,
off the UI thread.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from snaptui.display import actions
from snaptui.engine.views import competes
from snaptui.format import STATE_STYLE
from snaptui.widgets.curves import CurvesPlot, colour_at, legend_line
from snaptui.widgets.footer import SnaptuiFooter
from .base import EngineScreen

SMOOTHING = (0.0, 0.6, 0.9, 0.99)
READ_PER_TICK = 8 * 1024 * 1024  # bytes per source per refresh: a huge backlog is caught up over ticks
LEGEND_ROWS = 200
MAX_CURVES = 300  # beyond this an overlay is a blur, and each refresh costs more


@dataclass
class View:
    metric: str | None = None
    colour_by: str | None = None
    smoothing: float = 0.0
    log_y: bool = False
    legend: str = "final"           # or "best"
    job: int | None = None          # one job's metrics instead of the overlay


class CurvesScreen(EngineScreen):
    SCOPE = "curves"
    BINDINGS = actions.bindings("curves")
    DEFAULT_CSS = """
    CurvesScreen #curves-body { height: 1fr; }
    CurvesScreen #legend { width: 44; max-width: 40%; border-left: solid $panel; padding: 0 1; }
    """

    def __init__(self, sweep_id: int, job_indexes: list[int] | None = None, selected: int | None = None,
                 interval: float = 2.0) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.job_indexes = job_indexes
        self.selected = selected
        self.interval = interval
        self.view = View()
        self.jobs: list = []
        self.names: list[str] = []
        self.params: list[str] = []
        self.curves: list = []
        self.flags: dict = {}
        self._metrics = None
        self._live: dict[str, object] = {}
        self.drawn_at = 0.0  # perf_counter of the last draw (bench/metrics.py measures updates with it)
        self.total_jobs = 0
        self._problems: list[str] = []
        self._told: set[str] = set()  # problems already shown

    def compose(self) -> ComposeResult:
        yield Static(f"sweep {self.sweep_id}: curves", id="title", classes="title-bar")
        yield Static("reading metrics…", id="status", classes="status-bar")
        with Horizontal(id="curves-body"):
            yield CurvesPlot(id="plot")
            with VerticalScroll(id="legend"):
                yield Static("", id="legend-text")
        yield SnaptuiFooter()   # whole keys only, ? Help first: Textual's Footer cut it off at 80 columns

    def on_mount(self) -> None:
        self._refresh()
        self.set_interval(self.interval, self._refresh, name="curves")

    # -- data (worker thread) ---------------------------------------------------------------
    def _refresh(self) -> None:
        if self.reading("curves"):
            return  # the previous read is still going: never overlap them
        view = View(**self.view.__dict__)
        self._read_curves(view)

    @work(thread=True, exit_on_error=False, group="curves", name="curves", description="read the curves")
    def _read_curves(self, view: View) -> None:
        self.hand_back(self._shown, self._read(view))

    def _read(self, view: View):
        if self._metrics is None:
            self._metrics = self.engine.metrics()
        metrics = self._metrics
        jobs = self.engine.jobs(self.sweep_id)
        if self.job_indexes:
            wanted = set(self.job_indexes)
            jobs = [j for j in jobs if j.index in wanted]
        self.total_jobs = len(jobs)
        jobs = jobs[:MAX_CURVES]  # mark jobs (space) on the sweep to choose others
        metrics.update(jobs, max_bytes=READ_PER_TICK)
        names = metrics.metric_names(jobs)
        params = [k for k in dict.fromkeys(k for j in jobs for k in j.params)
                  if len({str(j.params.get(k)) for j in jobs}) > 1]
        flags = metrics.flags(jobs, now=self.now())
        self._problems = sorted({p for found in metrics.problems(jobs).values() for p in found})
        if view.job is not None:
            job = next((j for j in jobs if j.index == view.job), None)
            shown = [view.metric] if view.metric else names
            curves = []
            for position, name in enumerate(shown):
                live = self._live_for(metrics, name)
                one = metrics.overlay([job], name, smoothing=view.smoothing, log_y=view.log_y, live=live) if job else []
                for curve in one:
                    curve.label, curve.colour_key = name, name
                    curve.colour_at = position / max(1, len(shown) - 1)
                curves += one
            return jobs, names, params, flags, curves, view
        metric = view.metric if view.metric in names else (_default_metric(names))
        view.metric = metric
        colour_by = view.colour_by if view.colour_by in params else (params[0] if params else None)
        view.colour_by = colour_by
        curves = [] if metric is None else metrics.overlay(
            jobs, metric, colour_by=colour_by, smoothing=view.smoothing, log_y=view.log_y,
            live=self._live_for(metrics, metric))
        return jobs, names, params, flags, curves, view

    def _live_for(self, metrics, metric: str):
        if metric not in self._live:
            self._live[metric] = metrics.live(metric)
        return self._live[metric]

    # -- drawing (UI thread) ------------------------------------------------------------------
    def _shown(self, result) -> None:
        for problem in self._problems:  # e.g. a TensorBoard file without the tensorboard package
            if problem not in self._told:
                self._told.add(problem)
                self.notify(problem, title="metrics", severity="warning", timeout=10, markup=False)
        self.jobs, self.names, self.params, self.flags, self.curves, view = result
        if view.job == self.view.job:
            self.view.metric = self.view.metric or view.metric
            self.view.colour_by = self.view.colour_by or view.colour_by
        self.draw()

    def draw(self) -> None:
        view = self.view
        plot = self.query_one(CurvesPlot)
        lines = [(c.steps, c.values, colour_at(c.colour_at)) for c in self.curves]
        plot.show(lines, log_y=view.log_y, ylabel=(view.metric or "value") if view.job is None else "value")
        self.query_one("#status", Static).update(self._status())
        self.query_one("#legend-text", Static).update(self._legend())
        self.drawn_at = time.perf_counter()

    def _status(self) -> Text:
        """What is shown, one part after another, in lines no wider than the status bar: at 80 columns a
        flagged sweep's line ran past the edge and lost its last parts (legend final)."""
        view = self.view
        if not self.names:
            return Text("no metrics reported yet: print SNAPTUI_RESULT step=N loss=... or write metrics.csv")
        shown = f"{len(self.curves)} curves"
        if self.total_jobs > MAX_CURVES:
            shown += f" (first {MAX_CURVES} of {self.total_jobs:,} jobs: mark jobs to choose)"
        parts = [Text.assemble(("job " + str(view.job) if view.job is not None else shown, "bold"))]
        job = next((j for j in self.jobs if j.index == view.job), None) if view.job is not None else None
        if job is not None:   # whose curves, and whether its values are final: a failed job's are partial
            parts[0].append(f" {job.label} ")
            parts[0].append(f"{job.state.symbol} {job.state.value}", STATE_STYLE[job.state])
        if view.job is not None and self.flags.get(view.job):
            parts.append(Text(_flag_word(self.flags[view.job], view.metric), "bold red"))
        elif view.job is None and self.flags:
            parts.append(Text(f"{len(self.flags)} flagged", "bold red"))
        parts.append(Text.assemble("metric ", (view.metric or "all", "bold")))
        if view.job is None:
            parts.append(Text.assemble("colour ", (view.colour_by or "job", "bold")))
        parts += [Text(f"smoothing {view.smoothing:g}"), Text("log" if view.log_y else "linear"),
                  Text(f"legend {view.legend}")]
        return _packed(parts, self._status_width())

    def _status_width(self) -> int:
        status = self.query_one("#status", Static)
        return status.content_region.width or max(20, self.app.size.width - 2)

    def on_resize(self) -> None:
        if self.names:
            self.query_one("#status", Static).update(self._status())

    def _legend(self) -> Text:
        view = self.view
        jobs = {job.index: job for job in self.jobs}
        if view.job is None:   # the completed jobs best first; the others after them, by index, never ranked
            ranked = [c for c in self.curves if c.job_index in jobs and competes(jobs[c.job_index])]
            unranked = [c for c in self.curves if not (c.job_index in jobs and competes(jobs[c.job_index]))]
            ordered = sorted(ranked, key=lambda c: (_sort_key(c.final if view.legend == "final" else c.best),
                                                    c.job_index))
            best_first = (ordered if not _higher_is_better(view.metric) else list(reversed(ordered))) + \
                sorted(unranked, key=lambda c: c.job_index)
        else:
            best_first = self.curves
        lines = [Text(f"{view.legend} {view.metric or ''}".rstrip(), "bold")]
        for curve in best_first[:LEGEND_ROWS]:
            flags = self.flags.get(curve.job_index)
            flag = "" if not flags else _flag_word(flags, view.metric) if view.job is None else \
                _flag_word(flags, curve.label, only_shown=True)
            key = f"{view.colour_by}={curve.colour_key}" if view.job is None and view.colour_by else curve.label
            label = f"{curve.job_index:>3} {key}" if view.job is None else key
            job = jobs.get(curve.job_index)
            state = job.state if job is not None and not competes(job) else None   # one job's too: partial
            lines.append(legend_line(colour_at(curve.colour_at), label,
                                     curve.final if view.legend == "final" else curve.best, flag, state))
        if len(best_first) > LEGEND_ROWS:
            lines.append(Text(f"… {len(best_first) - LEGEND_ROWS} more", "dim"))
        return Text("\n").join(lines)

    # -- keys -------------------------------------------------------------------------------------
    def _redraw_now(self) -> None:
        self.curves = []
        self._refresh_soon()

    def _refresh_soon(self) -> None:
        if self.reading("curves"):
            self.set_timer(0.1, self._refresh_soon)
        else:
            self._refresh()

    def action_next_metric(self) -> None:
        choices = ([None] if self.view.job is not None else []) + self.names
        if choices:
            at = choices.index(self.view.metric) if self.view.metric in choices else -1
            self.view.metric = choices[(at + 1) % len(choices)]
            self._redraw_now()

    def action_colour_by(self) -> None:
        if self.params:
            at = self.params.index(self.view.colour_by) if self.view.colour_by in self.params else -1
            self.view.colour_by = self.params[(at + 1) % len(self.params)]
            self._redraw_now()

    def action_smooth(self) -> None:
        at = SMOOTHING.index(self.view.smoothing) if self.view.smoothing in SMOOTHING else 0
        self.view.smoothing = SMOOTHING[(at + 1) % len(SMOOTHING)]
        self._redraw_now()

    def action_log_scale(self) -> None:
        self.view.log_y = not self.view.log_y
        self._redraw_now()

    def action_legend_value(self) -> None:
        self.view.legend = "best" if self.view.legend == "final" else "final"
        self.draw()

    def action_one_job(self) -> None:
        """Between the overlay and the metrics of one job (the selected one, then the next)."""
        indexes = [j.index for j in self.jobs]
        if self.view.job is None:
            self.view.job = self.selected if self.selected in indexes else (indexes[0] if indexes else None)
            self.view.metric = None
        else:
            self.view.job, self.view.metric = None, None
        self._redraw_now()

    def action_next_job(self) -> None:
        indexes = [j.index for j in self.jobs]
        if self.view.job is not None and indexes:
            at = indexes.index(self.view.job) if self.view.job in indexes else -1
            self.view.job = indexes[(at + 1) % len(indexes)]
            self._redraw_now()


def _packed(parts: list[Text], width: int) -> Text:
    """Parts two spaces apart, a new line where the next part would pass `width` (never inside a part)."""
    lines = [parts[0].copy()]
    for part in parts[1:]:
        if lines[-1].cell_len + 2 + part.cell_len > width:
            lines.append(part.copy())
        else:
            lines[-1].append("  ")
            lines[-1].append(part)
    return Text("\n").join(lines)


def _default_metric(names: list[str]) -> str | None:
    for preferred in ("loss", "val_loss", "train_loss"):
        if preferred in names:
            return preferred
    return names[0] if names else None


def _higher_is_better(metric: str | None) -> bool:
    from snaptui.engine.views import maximized
    return bool(metric) and maximized(metric)


def _sort_key(value) -> float:
    import math
    return value if value is not None and math.isfinite(value) else math.inf


def _flag_word(flags, shown: str | None, only_shown: bool = False) -> str:
    """The first NaN/inf of the metric shown (or of any metric, unless `only_shown`), else the silence flag."""
    if flags.nonfinite:
        mine = [f for f in flags.nonfinite if f[0] == shown]
        if only_shown and not mine:
            return ""
        metric, step, value = (mine or flags.nonfinite)[0]
        return f"{value} {metric}@{step:g}"
    return "silent: hung?" if flags.silent_s is not None else ""
