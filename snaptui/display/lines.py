"""The one-line summaries above and below the sweep grid and the log: counts and ETA, axes, a job."""
from __future__ import annotations

from rich.text import Text

from snaptui.engine.states import done_count
from snaptui.format import STATE_STYLE, duration, format_result, jobs_phrase, progress_text, safe
from .model import SweepModel
from .text import elapsed
from .waiting import waiting_text


def status_line(model: SweepModel, now: float, compact: bool, held: str = "") -> Text:
    """'8/12 done  ETA 5m44s  ▶2 ·2 ✔5 ✘1  1 marked'; `held`: why pending jobs wait (the host's cap)."""
    counts = model.counts()
    text = Text(f"{done_count(counts)}/{model.total} done  ", no_wrap=True, overflow="ellipsis")
    text.append(model.eta_text(now), style="bold")
    text.append("  ")
    text.append_text(progress_text(counts, symbols=True, compact=compact))
    if not model.complete:
        text.append(f"  reading {len(model.jobs):,}/{model.total:,} jobs", style="bold")
    if held:
        text.append(f"  {held}", style="bold yellow")
    if model.marked:
        text.append(f"  {len(model.marked)} marked", style="reverse")
    text.append_text(waiting_text(model.waiting, now))
    return text


def axes_line(model: SweepModel, mode: str, table: tuple[int, str] | None, goal: str = "max", agg=None,
              state_filter: str = "all", compact: bool = False) -> Text:
    """Which parameters are on the axes and which slice is shown (or which parameter the heatmap averages
    over); or the table's row count and order. A state filter other than "all" is named first, in both
    views: it is why jobs are missing or dimmed. `compact` (a narrow terminal): without the key hints, which
    `?` lists."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if state_filter != "all":
        text.append(f"only {state_filter}", style="bold")
        text.append(" (f next)  ", style="dim")
    if table is not None:
        rows, order = table
        total = model.total
        count = jobs_phrase(rows) if rows == total else f"{rows:,} of {jobs_phrase(total)}"
        if not model.complete:
            count += f" ({len(model.jobs):,} read so far)"
        hints = "" if compact else "  (s sort, S reverse, f state, t grid)"
        text.append(f"table: {count}, sorted by {order}{hints}", style="dim")
    elif not model.laid_out:
        text.append("grid: laid out once every job is read  (t table)", style="dim")
    elif not model.axes:
        text.append("one job (no varying parameter)", style="dim")
    elif agg is not None and mode != "state":
        if agg.row_axis is not None:
            text.append("rows ", style="dim")
            text.append(model.axes[agg.row_axis].name, style="bold")
        if agg.col_axis is not None:
            text.append("  cols ", style="dim")
            text.append(model.axes[agg.col_axis].name, style="bold")
        text.append(f"  mean±sd over {agg.over_name}", style="bold")
        if agg.sliced:
            text.append("  slice ", style="dim")
            text.append(", ".join(f"{model.axes[a].name}={model.axes[a].label(model.slice.get(a, 0))}"
                                  for a in agg.sliced))
        if not compact:
            text.append("  (m next)", style="dim")
    else:
        if model.row_axis is not None:
            text.append("rows ", style="dim")
            text.append(model.axes[model.row_axis].name, style="bold")
            text.append("  cols ", style="dim")
        else:
            text.append("cols ", style="dim")
        text.append(model.axes[model.col_axis].name, style="bold")
        if model.other_axes:
            text.append("  slice ", style="dim")
            text.append(f"{model.slice_label()} ({model.slice_number() + 1}/{model.slice_count()})")
            if not compact:
                text.append("  x/y axes, [/] slice", style="dim")
        elif len(model.axes) == 2 and not compact:
            text.append("  x/y swap", style="dim")
    if mode != "state" and table is None:   # the table is not coloured by it: its legend would say what is not there
        text.append(f"  heatmap {mode}: ★ {'lowest' if goal == 'min' else 'highest'}" + ("" if compact else " (b)"),
                    style="bold")
        span = model.span(mode)
        if span is not None:
            best, worst = (span[0], span[1]) if goal == "min" else (span[1], span[0])
            text.append(f"  bright {format_result(best)} … dark {format_result(worst)}", style="dim")
        if agg is None and not compact:
            text.append("  m mean", style="dim")
    elif model.results and table is None and not compact:
        text.append("  v heatmap", style="dim")
    return text


def job_line(job, now: float, *, results: bool = True, reason: bool = True) -> Text:
    """'12/3 lr=0.1  ▶ RUNNING  attempt 2  4m10s  exit 1  score=0.93 (reason)'."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if job is None:
        return text
    attempt = job.attempt
    text.append(f"{job.ref} ", style="bold")
    text.append(safe(job.label) + "  ")
    text.append(f"{job.state.symbol} {job.state.value}", style=STATE_STYLE[job.state])
    text.append(f"  attempt {attempt.number}")
    run = elapsed(attempt.started_at, attempt.ended_at, now)
    if run is not None:
        text.append(f"  {duration(run)}")
    if attempt.exit_code is not None:
        text.append(f"  exit {attempt.exit_code}")
    if results:
        for name, value in (attempt.results or {}).items():
            text.append(f"  {safe(name)}={format_result(value)}")
    if reason and attempt.reason and job.state.value != "COMPLETED":
        text.append(f"  ({safe(attempt.reason)})", style="dim")
    return text
