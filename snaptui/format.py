"""Shared formatting for the faces (batch output, CLI tables, TUI): states, counts, durations."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from rich import filesize
from rich.text import Text

from .engine.states import STATE_ORDER, JobState, done_count
from .engine.views import eta_seconds, slots_of

STATE_STYLE = {
    JobState.PENDING: "dim", JobState.RUNNING: "bold blue", JobState.COMPLETED: "green",
    JobState.FAILED: "bold red", JobState.CANCELLED: "yellow", JobState.TIMEOUT: "magenta",
    JobState.UNKNOWN: "bold yellow",
}


_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7f, *range(0x80, 0xa0))}
_ESCAPES.update({0x09: "\\t", 0x0a: "\\n", 0x0d: "\\r"})
_ESCAPES.update({code: f"\\u{code:04x}" for code in (0x2028, 0x2029, *range(0x202a, 0x202f), *range(0x2066, 0x206a))})


def safe(value: Any) -> str:
    """A field as printable text: control characters (escape sequences, line breaks, bidi overrides)
    shown as visible escapes, so a parameter value, a result or a line of a job's log can never move the
    cursor, recolour or retitle the user's terminal, nor break a table's rows."""
    text = str(value)
    return text if text.isprintable() else text.translate(_ESCAPES)  # the usual case costs one C-level scan


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(max(seconds, 0))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"


def format_result(value: Any, width: int | None = None) -> str:
    """A result or metric value as every face shows it: floats to 4 significant digits (2 when `width`
    is too narrow for 4), other values as they are, '-' for none."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = safe(value)  # a result read from a job's log or file: its control characters escaped
    elif isinstance(value, int):
        text = str(value)
    else:
        text = f"{value:.4g}"
        if width is not None and len(text) > width:
            text = f"{value:.2g}"
    return text if width is None else text[:width]


def profile_label(sweep) -> str:
    """'gpu/slurm', or 'local' when the profile is named after its executor: how every face names it."""
    return sweep.profile if sweep.profile == sweep.executor else f"{sweep.profile}/{sweep.executor}"


def jobs_phrase(n: int) -> str:
    """'1 job', '10,000 jobs': as the CLI and the TUI both count them."""
    return f"{n:,} job" if n == 1 else f"{n:,} jobs"


def states_phrase(counts: Mapping[JobState, int]) -> str:
    """'2 failed, 1 cancelled': how many jobs are in which state, for a sentence (a dialog's title)."""
    return ", ".join(f"{counts[state]} {state.value.lower()}" for state in STATE_ORDER if counts.get(state))


def eta_text(sweep, jobs: Iterable, now: float) -> str:
    """'ETA 5m44s' (engine/sweep/eta.py's estimate for the sweep's jobs), or 'ETA -' before one can be made."""
    return eta_words(eta_seconds(jobs, now, slots_of(sweep.config)))


def eta_words(seconds: float | None) -> str:
    """How every face writes an estimate: 'ETA 5m44s', or 'ETA -' without one."""
    return "ETA -" if seconds is None else f"ETA {duration(seconds)}"


def size_text(n: int | None) -> str:
    """A byte count as the faces show it ('5.4 MB', rich's decimal units); '-' when not known."""
    return "-" if n is None else filesize.decimal(n)


def progress_text(counts: Mapping[JobState, int], total: int | None = None, *, symbols: bool = False,
                  compact: bool = False) -> Text:
    """The one progress text of every face: '3/4 done  1 running  3 completed' (the CLI, batch mode, the
    Hydra launcher's log); without a total only the counts; with symbols '▶ 1 running' (the TUI), or
    '▶1 ✔3' when compact."""
    text = Text()
    if total is not None:
        text.append(f"{done_count(counts)}/{total} done")
    for state in STATE_ORDER:
        if counts.get(state):
            if text:
                text.append(" " if compact else "  ")
            n = counts[state]
            label = f"{state.symbol}{n}" if compact else f"{n} {state.value.lower()}"
            text.append(f"{state.symbol} {label}" if symbols and not compact else label, style=STATE_STYLE[state])
    return text


def cancel_outcome(jobs) -> str:
    """What a cancel did, from the jobs as the engine read them back after it: 'cancelled 2 jobs; 1 ended
    completed instead; 1 still stopping'. A job that ended as it was cancelled is not called cancelled."""
    cancelled = sum(1 for j in jobs if j.state == JobState.CANCELLED)
    ended: dict[str, int] = {}
    for job in jobs:
        if job.state.is_final and job.state != JobState.CANCELLED:
            ended[job.state.value.lower()] = ended.get(job.state.value.lower(), 0) + 1
    stopping = sum(1 for j in jobs if not j.state.is_final)
    parts = [f"cancelled {jobs_phrase(cancelled)}"]
    parts += [f"{n} ended {state} instead" for state, n in ended.items()]
    if stopping:
        parts.append(f"{stopping} still stopping")
    return "; ".join(parts)
